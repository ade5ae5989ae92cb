"""What the demo's sandboxes "sent": kept in a Redis list per channel, listed for supervisors.

`crisis up --demo` points each channel's provider at a sandbox of the centre itself (SMS:
channels/sms/sandbox.py, Telegram: channels/telegram/sandbox.py, e-mail:
channels/email/sandbox.py): nothing leaves the machine, and `GET /sandbox/<channel>` shows
the replies the centre would have sent, so the whole path can be tried by hand.
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis.asyncio as aioredis
from aiohttp import web

from crisis.types import Role
from crisis.web.middleware import require

KEEP = 1000
SHOWN = 100


async def keep(redis: aioredis.Redis, key: str, record: dict[str, Any]) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(key, json.dumps(record))
        pipe.ltrim(key, 0, KEEP - 1)
        await pipe.execute()


def listing(redis: aioredis.Redis, key: str) -> Any:
    """The handler of `GET /sandbox/<channel>` (supervisors): the last messages, newest first."""
    async def list_sent(request: web.Request) -> web.Response:
        require(request, Role.SUPERVISOR)
        raws = cast(list[str], await redis.lrange(key, 0, SHOWN - 1))
        return web.json_response({"items": [json.loads(r) for r in raws]})
    return list_sent
