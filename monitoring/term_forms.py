"""Trending terms as people wrote them: "digue cède", not the stems counted ("digu ced").

The counters hold stems (monitoring/term_trends.py): one counter for "cède", "cèdera" and
"cede". The cell reads words, so once a cycle has found its trending grams, the signals of
the last minutes are read back (the newest SAMPLE of the intake stream) and each gram gets
the lowercase wording that made it most often. Done in the cycle, for the few grams that
trend, rather than in the normaliser for every gram of every signal (its hot path).
A gram whose signals have left the sample keeps its stems.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Final, cast

import redis.asyncio as aioredis

from knowledge_base import detect_language
from monitoring.keys import WatchKeys

from monitoring.term_trends import gram_positions
from monitoring.signal import decode_signal
from monitoring.text_terms import STOP_WORDS, fold, stem

SAMPLE: Final = 2_000  # newest signals read back per cycle
_WORD: Final = re.compile(r"\w+")


def worded_grams(text: str, lang: str) -> dict[str, str]:
    """Each gram of `text`, as `grams` counts it from the normaliser's stems -> the words
    that made it (lowercase, accents kept)."""
    stems: list[str] = []
    written: list[str] = []
    for word in _WORD.findall(text.casefold()):
        for folded in fold(word).split():  # a ligature or a symbol can split a word
            if folded not in STOP_WORDS and len(folded) > 1:  # as text_terms.terms_of
                stems.append(stem(folded, lang))
                written.append(word)
    places = gram_positions(stems)  # grams() counts these
    head, words = [stems[i] for i in places], [written[i] for i in places]
    found: dict[str, str] = {}
    for n in (1, 2, 3):
        for i in range(len(head) - n + 1):
            found.setdefault(" ".join(head[i:i + n]), " ".join(words[i:i + n]))
    return found


def forms_of(wanted: Iterable[str], signals: Iterable[tuple[str, str]]) -> dict[str, str]:
    """For each gram of `wanted`, its most frequent wording among `signals` ((text, language
    given or "") pairs: a language is detected as the normaliser does); grams not seen are
    left out. CPU work (a language detection per signal without one): run it in a thread."""
    wanted = set(wanted)
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text, given in signals:
        lang = given or detect_language(text) or "fr"
        for gram, words in worded_grams(text, lang).items():
            if gram in wanted:
                seen[gram][words] += 1
    return {gram: counts.most_common(1)[0][0] for gram, counts in seen.items()}


async def recent_texts(redis: aioredis.Redis, keys: WatchKeys) -> list[tuple[str, str]]:
    """The newest SAMPLE signals of the intake stream: (text, language given or "")."""
    entries = cast(Sequence[tuple[str, dict[str, str]]],
                   await redis.xrevrange(keys.signals, count=SAMPLE))
    texts = []
    for _, fields in entries:
        try:
            signal = decode_signal(fields["s"])
        except Exception:  # noqa: BLE001 - validated on the way in; a damaged one is skipped
            continue
        texts.append((signal.text, signal.lang))
    return texts
