"""What the IVR reads: the live crisis's greeting and menu, and the instructions in force.

The greeting and the menu come from the scenario template (channels/greetings.py keeps the
live crises' ones), and the cell may replace them for its crisis, or give a recorded audio
URL and another voice (`IvrSettings`, one JSON per crisis in `ch:voice:ivr`). The
instructions are the live crises' published publications, most urgent first. Everything is
read again at most every CACHE_S per process: every call of a surge starts here.
"""

from __future__ import annotations

import dataclasses
import msgspec

from channels.greetings import Greeting, live_greetings
from channels.keys import ChannelKeys
from channels.ttl_cache import TtlCache
from channels.voice.texts import voice_text
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import Priority, PublicationStatus

CACHE_S = 2.0
MAX_INSTRUCTIONS = 3  # read out on the phone; the SMS and the site have them all
MAX_TEXT_CHARS = 2000
_ORDER = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}


class IvrSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The cell's changes to its crisis's IVR; an empty field keeps the scenario's text."""

    greeting_fr: str = ""
    greeting_en: str = ""
    menu_fr: str = ""
    menu_en: str = ""
    audio_url: str = ""  # a recorded greeting (https), played instead of the greeting text
    voice: str = ""  # a Twilio voice name for French (e.g. Polly.Lea-Neural)

    def checked(self) -> IvrSettings:
        for name in ("greeting_fr", "greeting_en", "menu_fr", "menu_en"):
            if len(getattr(self, name)) > MAX_TEXT_CHARS:
                raise InvalidInput(f"{name}: at most {MAX_TEXT_CHARS} characters")
        if self.audio_url and not self.audio_url.startswith("https://"):
            raise InvalidInput("audio_url: an https:// address of a recording")
        if self.voice and (len(self.voice) > 60 or not all(
                c.isalnum() or c in ".-_" for c in self.voice)):
            raise InvalidInput("voice: a Twilio voice name such as Polly.Lea")
        return IvrSettings(**{f.name: getattr(self, f.name).strip()
                              for f in msgspec.structs.fields(self)})


@dataclasses.dataclass(frozen=True)
class Instruction:
    title: str
    body: str


@dataclasses.dataclass(frozen=True)
class IvrContent:
    """Everything the first TwiML turn of a call reads, in French and English."""

    greeting: dict[str, str]
    menu: dict[str, str]
    audio_url: str
    voice: dict[str, str]
    instructions: dict[str, tuple[Instruction, ...]]

    def say_voice(self, lang: str) -> str:
        return self.voice["en" if lang == "en" else "fr"]


class IvrContentSource:
    def __init__(self, ctx: Context, keys: ChannelKeys) -> None:
        self.ctx = ctx
        self.k = keys
        self._cache = TtlCache(self._load, CACHE_S)
        self._last: IvrContent | None = None

    async def get(self) -> IvrContent:
        return await self._cache.get()

    def invalidate(self) -> None:
        self._cache.invalidate()

    async def settings_of(self, crisis_id: str) -> IvrSettings:
        raw = await self.ctx.redis.hget(self.k.voice_ivr, crisis_id)
        return IvrSettings() if raw is None else msgspec.json.decode(raw, type=IvrSettings)

    async def save_settings(self, crisis_id: str, settings: IvrSettings) -> IvrSettings:
        checked = settings.checked()
        await self.ctx.redis.hset(self.k.voice_ivr, crisis_id, msgspec.json.encode(checked))
        self.invalidate()
        return checked

    async def _load(self) -> IvrContent:
        """The content as it is now; the very object loaded before when nothing changed,
        so the TwiML built from it stays cached (channels/voice/twiml_cache.py)."""
        fresh = await self._read()
        if self._last is not None and fresh == self._last:
            return self._last
        self._last = fresh
        return fresh

    async def _read(self) -> IvrContent:
        greetings = await live_greetings(self.ctx)
        top: Greeting | None = greetings[0] if greetings else None
        custom = await self.settings_of(top.crisis_id) if top else IvrSettings()
        greeting, menu = {}, {}
        for lang in ("fr", "en"):
            greeting[lang] = getattr(custom, f"greeting_{lang}") or (
                top.ivr.in_lang(lang) if top else voice_text("greeting", lang))
            menu[lang] = getattr(custom, f"menu_{lang}") or (
                top.ivr_menu.in_lang(lang) if top and top.ivr_menu else voice_text("menu", lang))
        settings = self.ctx.settings
        return IvrContent(
            greeting=greeting, menu=menu, audio_url=custom.audio_url,
            voice={"fr": custom.voice or settings.voice_fr, "en": settings.voice_en},
            instructions=await self._instructions({g.crisis_id for g in greetings}))

    async def _instructions(self, crisis_ids: set[str]) -> dict[str, tuple[Instruction, ...]]:
        live = [p for p in await self.ctx.publications.list_live()
                if p.status is PublicationStatus.PUBLISHED and p.crisis_id in crisis_ids]
        live.sort(key=lambda p: (_ORDER.get(p.priority, 3), -(p.published_at or p.updated_at)
                                 .timestamp()))
        found: dict[str, tuple[Instruction, ...]] = {}
        for lang in ("fr", "en"):
            chosen = [p for p in live if p.lang == lang] or [p for p in live if p.lang == "fr"]
            found[lang] = tuple(Instruction(p.title, p.body) for p in chosen)
        return found


def instruction_titles(content: IvrContent, lang: str) -> list[str]:
    return [i.title for i in content.instructions.get(lang, ())]
