"""A pulse question as the cell writes it: the form checked whole (every problem reported at
once, as message keys the page translates), and the short text each subscriber receives.

Pure: no I/O. The channels a pulse goes out on are the ones a citizen can answer on with a
bare number: SMS and Telegram. E-mail is left out (a reply quotes the question and its
footer, so "1" rarely arrives alone) and so is Web Push (the browser cannot answer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from crisis.areas import DEPARTEMENTS, parse_areas
from crisis.errors import InvalidInput

PULSE_CHANNELS: Final = ("sms", "telegram")
MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 5
MAX_QUESTION: Final = 300
MAX_OPTION: Final = 60
MAX_SAMPLE: Final = 100_000
DEFAULT_SAMPLE: Final = 1000
DEFAULT_MINUTES: Final = 120
MIN_MINUTES: Final = 10
MAX_MINUTES: Final = 48 * 60

# The opening words and the way to stop, per language and channel (the alerts' STOP words).
INTRO: Final = {"fr": "Sondage du Service d'information du Gouvernement :",
                "en": "Poll from the French Government Information Service:"}
STOP: Final = {("sms", "fr"): "STOP pour ne plus recevoir d'alertes",
               ("sms", "en"): "STOP to receive no more alerts",
               ("telegram", "fr"): "/stop pour ne plus recevoir d'alertes",
               ("telegram", "en"): "/stop to receive no more alerts"}


@dataclasses.dataclass(frozen=True, slots=True)
class PulseDraft:
    """A checked pulse question, ready to draw its sample and send."""

    question: str
    options: tuple[str, ...]
    question_en: str  # "" when the cell wrote none: English subscribers get the French
    options_en: tuple[str, ...]
    channels: tuple[str, ...]
    areas: tuple[str, ...]  # () for every département
    sample_size: int
    minutes: int


Problem = tuple[str, Mapping[str, str]]  # a message key and its values


def _options(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())


def _whole(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text.strip().replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def check_draft(form: Mapping[str, str], options: list[str],
                options_en: list[str], channels: list[str]) -> PulseDraft | list[Problem]:
    """The draft from the form's fields, or every problem found (message keys)."""
    problems: list[Problem] = []
    question = form.get("question", "").strip()
    question_en = form.get("question_en", "").strip()
    if not question:
        problems.append(("err.question", {}))
    for text in (question, question_en):
        if len(text) > MAX_QUESTION:
            problems.append(("err.question_long", {"max": str(MAX_QUESTION)}))
    answers, answers_en = _options(options), _options(options_en)
    if not MIN_OPTIONS <= len(answers) <= MAX_OPTIONS or len(options) > MAX_OPTIONS:
        problems.append(("err.options", {"count": str(len(answers))}))
    if (answers_en or question_en) and (len(answers_en) != len(answers) or not question_en):
        problems.append(("err.options_en", {}))
    if any(len(a) > MAX_OPTION for a in (*answers, *answers_en)):
        problems.append(("err.option_long", {"max": str(MAX_OPTION)}))
    chosen = tuple(c for c in PULSE_CHANNELS if c in channels)
    if not chosen or len(set(channels) - set(PULSE_CHANNELS)):
        problems.append(("err.channels", {}))
    areas: tuple[str, ...] = ()
    try:
        areas = parse_areas(form.get("areas", "")[:400])
    except InvalidInput:
        unknown = [c for c in form.get("areas", "").replace(",", " ").split()
                   if c.upper().zfill(2) not in DEPARTEMENTS]
        problems.append(("err.areas", {"codes": " ".join(unknown)[:80]}))
    sample = _whole(form.get("sample_size", ""), 1, MAX_SAMPLE)
    if sample is None:
        problems.append(("err.sample", {"max": f"{MAX_SAMPLE:,}".replace(",", "\u202f")}))
    minutes = _whole(form.get("minutes", str(DEFAULT_MINUTES)), MIN_MINUTES, MAX_MINUTES)
    if minutes is None:
        problems.append(("err.minutes", {"min": str(MIN_MINUTES), "max": str(MAX_MINUTES)}))
    if problems or sample is None or minutes is None:
        return problems
    return PulseDraft(question=question, options=answers,
                      question_en=question_en if answers_en else "",
                      options_en=answers_en, channels=chosen, areas=areas,
                      sample_size=sample, minutes=minutes)


def _choices(options: tuple[str, ...], lang: str) -> str:
    """ "1 pour oui, 2 pour non" / "1 for yes, 2 for no or 3 for unsure"."""
    word, last = ("for", "or") if lang == "en" else ("pour", "ou")
    parts = [f"{n} {word} {option}" for n, option in enumerate(options, start=1)]
    if len(parts) == 2:
        return ", ".join(parts)
    return ", ".join(parts[:-1]) + f" {last} " + parts[-1]


def pulse_text(draft: PulseDraft, channel: str, lang: str) -> str:
    """What a subscriber receives: the question, the numbers to reply, how to stop alerts.
    English only when the cell wrote the English question and answers."""
    if lang == "en" and draft.question_en:
        question, options = draft.question_en, draft.options_en
    else:
        lang, question, options = "fr", draft.question, draft.options
    reply = "Reply" if lang == "en" else "Répondez"
    return (f"{INTRO[lang]} {question} {reply} {_choices(options, lang)}. "
            f"({STOP[(channel, lang)]})")
