"""The IVR's shared TwiML: built once per content and key, never outliving its content."""

from __future__ import annotations

import dataclasses

from channels.voice.content import Instruction, IvrContent
from channels.voice.twiml_cache import TwimlCache


def content(greeting: str = "Bonjour.") -> IvrContent:
    return IvrContent(greeting={"fr": greeting, "en": "Hello."}, menu={"fr": "1.", "en": "1."},
                      audio_url="", voice={"fr": "Polly.Lea", "en": "Polly.Amy"},
                      instructions={"fr": (Instruction("Eau", "Ne buvez pas."),), "en": ()})


def test_an_answer_is_built_once_per_content_and_key() -> None:
    cache, built = TwimlCache(), []

    def build(text: str) -> str:
        built.append(text)
        return text

    live = content()
    assert cache.get(live, ("wait", 1), lambda: build("un")) == "un"
    assert cache.get(live, ("wait", 1), lambda: build("autre")) == "un"
    assert cache.get(live, ("wait", 2), lambda: build("deux")) == "deux"
    assert built == ["un", "deux"]
    # New content (even equal: the source hands the same object back while nothing
    # changed): every answer is built again from it.
    changed = dataclasses.replace(live, greeting={"fr": "Alerte.", "en": "Alert."})
    assert cache.get(changed, ("wait", 1), lambda: build("neuf")) == "neuf"
    assert cache.get(live, ("wait", 1), lambda: build("encore")) == "encore"


def test_the_cache_stays_bounded() -> None:
    cache, live = TwimlCache(max_entries=3), content()
    for position in range(10):
        cache.get(live, position, lambda: "x")
    assert len(cache._built) <= 3
