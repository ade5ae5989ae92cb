"""Character 4-gram cosine between a question and an article's phrasings: a second opinion on the
search's top hits, independent of its stems, synonyms, typo correction and idf weights."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from knowledge_base.text import MAX_QUERY_WORDS, normalise_words

# Four characters of a space-padded word: long enough to tell topics apart, short enough that
# a misspelt or inflected word ("inondee", "innondé", "inondation") still shares most of them.
GRAM = 4
# Article profiles are built on first use (only the few top hits of a question need one) and
# kept up to this many per index, so a 10,000-article index neither pays them at build time
# nor holds them all.
_CACHE_MAX = 4_096

Profile = dict[str, float]


def char_profile(text: str, lang: str, *, limit: int | None = None) -> Profile:
    """Unit vector of the (1 + log tf)-weighted 4-grams of the content words of `text` (SMS
    spellings expanded, stop words out), each word padded with a space on both sides."""
    return words_profile(normalise_words(text, lang, limit=limit))


def words_profile(words: Sequence[str]) -> Profile:
    """The profile of words already folded and without stop words (as char_profile makes them)."""
    counts: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        counts.update(padded[i:i + GRAM] for i in range(max(len(padded) - GRAM + 1, 1)))
    weights = {gram: 1.0 + math.log(tf) for gram, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {gram: w / norm for gram, w in weights.items()} if norm > 0 else {}


def cosine(a: Profile, b: Profile) -> float:
    """Cosine of two unit profiles (0 when either is empty)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(w * large.get(gram, 0.0) for gram, w in small.items())


def char_grams(words: Sequence[str]) -> set[str]:
    """The 4-grams of `words` (folded) as a set: the `whole` of `coverage` when its weights do
    not matter, without the cost of a profile."""
    grams: set[str] = set()
    for word in words:
        padded = f" {word} "
        grams.update(padded[i:i + GRAM] for i in range(max(len(padded) - GRAM + 1, 1)))
    return grams


def coverage(part: Profile, whole: Profile | set[str]) -> float:
    """How much of `part` is found in `whole`: the share of its squared weight on 4-grams that
    `whole` also has (1.0 when every one is there, whatever else `whole` holds). Unlike the
    cosine it is not diluted by a long `whole`: a short claim inside a long article scores high."""
    return sum(w * w for gram, w in part.items() if gram in whole)


class CharSimilarity:
    """Character similarity of a question to the phrasings (question and alternates, as one text)
    of one language's articles, numbered as in the search index. Safe for concurrent readers: a
    dict store is atomic, and two threads building one profile build the same one."""

    def __init__(self, phrasings: Sequence[str], lang: str) -> None:
        self._phrasings = phrasings
        self._lang = lang
        self._profiles: dict[int, Profile] = {}

    def similarities(self, query: str, docs: Sequence[int]) -> list[float]:
        """Cosine between `query` and each of `docs`, in order."""
        question = char_profile(query, self._lang, limit=MAX_QUERY_WORDS)
        return [cosine(question, self._profile(doc)) for doc in docs]

    def _profile(self, doc: int) -> Profile:
        profile = self._profiles.get(doc)
        if profile is None:
            profile = char_profile(self._phrasings[doc], self._lang)
            if len(self._profiles) < _CACHE_MAX:
                self._profiles[doc] = profile
        return profile
