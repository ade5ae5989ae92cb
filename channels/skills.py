"""The routing skills: the languages, topics and channels an operator answers.

A conversation needs its language and its channel (hard requirements) and may have a topic
(a preference: it waits a while for an operator with that topic, then any operator with the
language and channel may take it; see `Router.assign`). The topics are a short fixed list so
that operators, supervisors and the knowledge base's tags agree on the words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Final

from crisis.errors import InvalidInput
from crisis.types import LANGS, ChannelKind

# Topic -> the knowledge-base tags that suggest it (an article's tags give a queued
# conversation its topic when the auto-answer's best guess was not sure enough to answer).
TOPIC_TAGS: Final[Mapping[str, frozenset[str]]] = {
    "evacuation": frozenset({"evacuation", "hebergement", "shelter", "retour", "secours"}),
    "eau": frozenset({"eau", "water", "distribution"}),
    "electricite": frozenset({"electricite", "electricity", "gaz", "enedis", "monoxyde"}),
    "transports": frozenset({"transports", "transport", "routes", "roads", "circulation",
                             "train", "bus", "voiture"}),
    "sante": frozenset({"sante", "health", "medicaments", "vulnerables", "handicap"}),
    "assurance": frozenset({"assurance", "insurance", "indemnisation", "aides", "argent",
                            "catastrophe naturelle", "demarches"}),
    "autre": frozenset(),
}
TOPICS: Final = tuple(TOPIC_TAGS)
CHANNELS: Final = tuple(kind.value for kind in ChannelKind)


def topic_for_tags(tags: Iterable[str]) -> str:
    """The topic the first matching tag suggests, or "" when none does."""
    for tag in tags:
        for topic, suggesting in TOPIC_TAGS.items():
            if tag.casefold() in suggesting:
                return topic
    return ""


@dataclasses.dataclass(frozen=True)
class Skills:
    """An operator's skills. Empty channels means every channel; empty topics means no
    preference (the operator still takes conversations of any topic once they spill over)."""

    langs: tuple[str, ...] = ("fr",)
    topics: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def describe(self) -> str:
        """For people: "answers fr,en; topics x; channels sms" (empty parts left out)."""
        parts = [f"answers {','.join(self.langs)}"]
        parts += [f"{name} {','.join(values)}" for name, values in
                  (("topics", self.topics), ("channels", self.channels)) if values]
        return "; ".join(parts)

    def check(self) -> Skills:
        """The same skills in a stable order; InvalidInput on an unknown value."""
        for name, values, known in (("language", self.langs, LANGS), ("topic", self.topics, TOPICS),
                                    ("channel", self.channels, CHANNELS)):
            unknown = sorted(set(values) - set(known))
            if unknown:
                raise InvalidInput(f"unknown {name} {unknown[0][:30]!r}; use {', '.join(known)}")
        if not self.langs:
            raise InvalidInput("an operator answers at least one language")
        return Skills(*(tuple(v for v in known if v in values) for values, known in (
            (self.langs, LANGS), (self.topics, TOPICS), (self.channels, CHANNELS))))
