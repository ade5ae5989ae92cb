"""What the channels say first while crises are live: IVR greeting, SMS and urgent keywords.

Kept in one Redis hash (crisis id -> JSON), switched by crisis events, so every channel
process greets citizens with the live crises' texts without asking the core.
"""

from __future__ import annotations

import msgspec

from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.scenarios import get_scenario
from crisis.types import Event, EventType, Text

LIVE_EVENTS = frozenset({EventType.CRISIS_ACTIVATED, EventType.CRISIS_LEVEL_CHANGED,
                         EventType.CRISIS_RE_ESCALATED,
                         EventType.CRISIS_DE_ESCALATING})
GREETING_EVENTS = LIVE_EVENTS | {EventType.CRISIS_CLOSED}


class Greeting(msgspec.Struct, frozen=True):
    crisis_id: str
    level: int
    ivr: Text
    sms_keywords: tuple[str, ...]
    urgent_keywords: tuple[str, ...]
    ivr_menu: Text | None = None  # the scenario's IVR menu (channels/voice/ivr_texts.py)


# How long a process's inbound pipeline keeps the greetings it read (channels/desk.py).
GREETINGS_TTL_S = 1.0


def greetings_key(ctx: Context) -> str:
    return ChannelKeys(ctx.keys).greetings


async def update_greetings(ctx: Context, event: Event) -> None:
    """Switch greetings on activation and level changes; drop them at closing."""
    if event.type == EventType.CRISIS_CLOSED:
        await ctx.redis.hdel(greetings_key(ctx), event.subject)
    elif event.type in LIVE_EVENTS:
        scenario = get_scenario(str(event.data["scenario"]))
        greeting = Greeting(event.subject, int(event.data["level"]), scenario.ivr_greeting,
                            scenario.sms_keywords, scenario.urgent_keywords, scenario.ivr_menu)
        await ctx.redis.hset(greetings_key(ctx), event.subject, msgspec.json.encode(greeting))


async def live_greetings(ctx: Context) -> list[Greeting]:
    """The greetings of every live crisis, highest level first."""
    raws = await ctx.redis.hvals(greetings_key(ctx))
    greetings = [msgspec.json.decode(r, type=Greeting) for r in raws]
    return sorted(greetings, key=lambda g: -g.level)
