"""Each signal normalised once: language, terms, area, sentiment, keyword and rumour matches.

`normalise` is pure (no I/O) so the intake consumer, the tests and the benchmark share it; the
watchlist it matches against is built once per batch from Redis (monitoring/intake.py).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from monitoring.gazetteer import area_of
from knowledge_base import detect_language
from monitoring.sentiment import compound, sentiment_of
from monitoring.signal import Signal
from monitoring.text_terms import content_words_of, fold, terms_of
from monitoring.watchlist import Watchlist

MAX_TERMS = 64  # a long article's first 64 content words say what it is about


class NormalisedSignal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A signal with what the watch measures on it."""

    id: str
    source: str
    time: dt.datetime
    text: str
    lang: str
    url: str = ""
    area: str = ""
    area_from: str = ""  # "source" (given) or "text" (a place named in it)
    author_kind: str = ""
    reach: int | None = None
    terms: tuple[str, ...] = ()
    sentiment: str = "neutral"
    score: float = 0.0
    keywords: tuple[str, ...] = ()
    rumours: tuple[str, ...] = ()


def normalise(signal: Signal, signal_id: str, watchlist: Watchlist) -> NormalisedSignal:
    lang = signal.lang or detect_language(signal.text) or "fr"
    words = fold(signal.text).split()  # once, for the terms and the sentiment
    stems = terms_of(words, lang)[:MAX_TERMS]
    area, area_from = (signal.area, "source") if signal.area else (area_of(signal.text), "text")
    score = compound(signal.text, words=words) if lang == "fr" else 0.0
    content = content_words_of(words)[:MAX_TERMS] if watchlist.grouping else None
    return NormalisedSignal(
        id=signal_id, source=signal.source, time=signal.time, text=signal.text, lang=lang,
        url=signal.url, area=area, area_from=area_from if area else "",
        author_kind=signal.author_kind, reach=signal.reach, terms=tuple(stems),
        sentiment=sentiment_of(score).value, score=round(score, 3),
        keywords=tuple(watchlist.keywords_in(stems)), rumours=tuple(watchlist.claims_in(stems, content)))
