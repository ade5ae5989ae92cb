"""Grouping unanswered questions into "missing answers" the cell can write an article for (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from knowledge_base.learning import UnansweredQuestion

# token_set_ratio on sorted stems: 100 when one question's words contain the other's, so
# "eau potable" and "eau robinet potable ecole" group; 75 keeps unrelated short questions apart.
SIMILARITY = 75
MAX_CLUSTERED = 5_000
SAMPLES = 8


@dataclasses.dataclass(frozen=True)
class MissingAnswer:
    """A cluster: how often its questions were asked, on which channels, and a few wordings."""

    key: str  # the representative entry (the most asked)
    label: str  # its latest wording
    lang: str
    count: int
    channels: dict[str, int]
    questions: tuple[str, ...]  # sample wordings, most asked first
    members: tuple[str, ...]  # entry keys: what the cell resolves when it writes the article
    # Asked in the current clock hour and in the hour before (0 when the cluster was built
    # without a time): the watch ranks missing answers by their growth.
    last_hour: int = 0
    hour_before: int = 0

    @property
    def growth(self) -> int:
        return self.last_hour - self.hour_before


def cluster_unanswered(entries: Sequence[UnansweredQuestion], *,
                       hour: int | None = None) -> list[MissingAnswer]:
    """Greedy clustering, most asked first: each entry joins the closest earlier cluster of its
    language if similar enough, else starts one. Clusters come back most asked first; `hour`
    (epoch seconds // 3600, now) fills their counts of this hour and the one before."""
    ordered = sorted(entries, key=lambda e: (-e.count, e.key))[:MAX_CLUSTERED]
    groups: list[list[UnansweredQuestion]] = []
    reps: dict[str, list[str]] = {}
    rep_group: dict[str, list[int]] = {}
    for entry in ordered:
        words = entry.key.split(":", 1)[-1]
        choices = reps.setdefault(entry.lang, [])
        match = process.extractOne(words, choices, scorer=fuzz.token_set_ratio, score_cutoff=SIMILARITY)
        if match is not None:
            groups[rep_group[entry.lang][match[2]]].append(entry)
            continue
        choices.append(words)
        rep_group.setdefault(entry.lang, []).append(len(groups))
        groups.append([entry])
    clusters = [_summary(group, hour) for group in groups]
    clusters.sort(key=lambda c: (-c.count, c.key))
    return clusters


def _summary(group: list[UnansweredQuestion], hour: int | None) -> MissingAnswer:
    channels: dict[str, int] = {}
    last_hour = hour_before = 0
    for entry in group:
        if hour is not None:
            last_hour += entry.hours.get(str(hour), 0)
            hour_before += entry.hours.get(str(hour - 1), 0)
        for channel, n in entry.channels.items():
            channels[channel] = channels.get(channel, 0) + n
    return MissingAnswer(
        key=group[0].key, label=group[0].question, lang=group[0].lang,
        count=sum(e.count for e in group), channels=channels,
        questions=tuple(e.question for e in group[:SAMPLES]), members=tuple(e.key for e in group),
        last_hour=last_hour, hour_before=hour_before)
