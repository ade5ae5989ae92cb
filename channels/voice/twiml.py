"""The IVR's TwiML, built with twilio's VoiceResponse, and the URLs of its webhooks.

Every text goes through the spoken form (channels/voice/spoken.py) and is said in the
caller's language with the configured voice. Pure: no I/O here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from channels.voice.content import IvrContent
from channels.voice.spoken import spoken_form
from channels.voice.texts import voice_text

HOOKS = "/hooks/twilio/voice"
LANGUAGE = {"fr": "fr-FR", "en": "en-GB"}
MENU_TIMEOUT_S = 6
SPEECH_TIMEOUT = "auto"
# Words a caller may say instead of pressing a key at the menu.
MENU_HINTS = {"fr": "un, deux, trois, quatre, neuf, conseiller, question, anglais, répéter",
              "en": "one, two, three, four, nine, adviser, question, French, repeat"}


@dataclasses.dataclass(frozen=True)
class VoiceUrls:
    """Absolute URLs of the IVR's webhooks (Twilio signs each request against it)."""

    base: str

    def url(self, step: str = "", **query: str | int) -> str:
        path = f"{self.base}{HOOKS}" + (f"/{step}" if step else "")
        params = {k: str(v) for k, v in query.items() if v not in ("", None)}
        return path + (f"?{urlencode(params)}" if params else "")


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "fr"


class Twiml:
    """One TwiML answer in the caller's language."""

    def __init__(self, content: IvrContent, lang: str, urls: VoiceUrls) -> None:
        self.content = content
        self.lang = lang_of(lang)
        self.urls = urls
        self.response = VoiceResponse()

    def __str__(self) -> str:
        return str(self.response)

    def _say_into(self, target: VoiceResponse | Gather, text: str) -> None:
        spoken = spoken_form(text, self.lang)
        if spoken:
            target.say(spoken, language=LANGUAGE[self.lang],
                       voice=self.content.say_voice(self.lang))

    def say(self, *texts: str) -> Twiml:
        for text in texts:
            self._say_into(self.response, text)
        return self

    def text(self, key: str, **values: str | int) -> Twiml:
        return self.say(voice_text(key, self.lang).format(**values))

    def greeting(self) -> Twiml:
        """The live crisis's greeting: the recorded audio if the cell gave one, else read."""
        if self.content.audio_url and self.lang == "fr":
            self.response.play(self.content.audio_url)
        else:
            self.say(self.content.greeting[self.lang])
        return self

    def instructions(self, limit: int = 3) -> Twiml:
        found = self.content.instructions.get(self.lang, ())
        if not found:
            return self.text("no_instructions")
        self.text("instructions")
        for instruction in found[:limit]:
            self.say(f"{instruction.title}.", instruction.body)
        return self

    def menu(self, *, prompt: str | None = None, answer: str = "", silent: int = 0) -> Twiml:
        """The menu as a Gather (keys or words); silence comes back to the menu once more."""
        gather = Gather(input="dtmf speech", num_digits=1, timeout=MENU_TIMEOUT_S,
                        language=LANGUAGE[self.lang], hints=MENU_HINTS[self.lang],
                        speech_timeout=SPEECH_TIMEOUT, action_on_empty_result=False,
                        action=self.urls.url("menu", lang=self.lang, answer=answer),
                        method="POST")
        self._say_into(gather, prompt if prompt is not None else self.content.menu[self.lang])
        other = "fr" if self.lang == "en" else "en"
        gather.say(spoken_form(voice_text("switch", self.lang), other),
                   language=LANGUAGE[other], voice=self.content.say_voice(other))
        self.response.append(gather)
        if silent < 2:
            self.response.redirect(self.urls.url("menu", lang=self.lang, answer=answer,
                                                 silent=silent + 1), method="POST")
        else:
            self.text("goodbye")
            self.response.hangup()
        return self

    def ask_question(self, turn: int) -> Twiml:
        gather = Gather(input="speech", language=LANGUAGE[self.lang],
                        speech_timeout=SPEECH_TIMEOUT, timeout=MENU_TIMEOUT_S,
                        action=self.urls.url("question", lang=self.lang, turn=turn),
                        method="POST")
        self._say_into(gather, voice_text("ask", self.lang))
        self.response.append(gather)
        self.text("not_heard")
        return self.menu()

    def pending(self, turn: int, tries: int) -> Twiml:
        """The answer is not ready: a short pause, then ask again (Twilio waits for nobody)."""
        self.text("one_moment")
        self.response.pause(length=2)
        self.response.redirect(self.urls.url("pending", lang=self.lang, turn=turn,
                                             tries=tries + 1), method="POST")
        return self

    def enqueue(self, queue: str) -> Twiml:
        self.response.enqueue(queue, action=self.urls.url("queue-exit", lang=self.lang),
                              method="POST", wait_url=self.urls.url("wait", lang=self.lang),
                              wait_url_method="POST")
        return self

    def offer_callback(self, key: str, action: str) -> Twiml:
        gather = Gather(input="dtmf", num_digits=1, timeout=MENU_TIMEOUT_S,
                        action=self.urls.url(action, lang=self.lang), method="POST")
        self._say_into(gather, voice_text(key, self.lang))
        self.response.append(gather)
        return self

    def wait_turn(self, texts: Iterable[str], *, callback: bool, replay: bool,
                  pause_s: int) -> Twiml:
        """What a waiting caller hears each round of the wait URL."""
        self.say(*texts)
        if replay:
            self.instructions(limit=2)
        if callback:
            self.offer_callback("callback_offer", "wait-key")
        self.response.pause(length=pause_s)
        return self

    def dial(self, address: str, *, caller_id: str, action: str) -> Twiml:
        """Put the caller through to an operator's phone number, SIP address or browser
        (`client:<identity>`, registered by the Twilio Voice JS SDK)."""
        dial = Dial(action=action, method="POST", timeout=25, caller_id=caller_id or None)
        if address.startswith("client:"):
            dial.client(address[len("client:"):])
        elif address.startswith(("sip:", "sips:")):
            dial.sip(address)
        else:
            dial.number(address)
        self.response.append(dial)
        return self

    def leave(self) -> Twiml:
        self.response.leave()
        return self

    def hangup(self) -> Twiml:
        self.response.hangup()
        return self


def queue_name(skill: str) -> str:
    """The Twilio queue of a router skill ("fr|voice|eau|0" -> "crisis-fr-voice-eau")."""
    lang, channel, topic, _cost = (skill.split("|") + ["", "", "", ""])[:4]
    return "-".join(p for p in ("crisis", lang or "fr", channel or "voice", topic) if p)[:64]
