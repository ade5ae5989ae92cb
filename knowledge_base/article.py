"""Knowledge-base articles: the validated answer type and its JSON Lines import/export."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from crisis.errors import InvalidInput
from crisis.types import ArticleStatus
from knowledge_base.text import fold

# Bounds keep one article renderable in an SMS, a web page and the index without surprises.
MAX_QUESTION = 500
MAX_ANSWER = 20_000
# Room for the learning loop: every operator answer proposes its question as a phrasing, and
# a crisis's busiest articles gather dozens of validated ones (29 after ~600 answered questions
# in the evaluation sets' simulation).
MAX_ALTERNATES = 100
# Three concatenated SMS segments of 153 GSM-7 septets each (7 septets go to the UDH).
SMS_MAX_SEPTETS = 3 * 153

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=80)]
Question = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUESTION)]
Answer = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ANSWER)]
Alternate = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_QUESTION)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
# Departement codes: metropolitan 01-95 with Corsica 2A/2B, overseas 971-976.
AreaCode = Annotated[str, msgspec.Meta(pattern=r"^(\d{2}|2[AB]|97[1-6])$")]
Lang = Literal["fr", "en"]
Audience = Literal["public", "operators"]
Status = ArticleStatus

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# Characters common in French text that GSM-7 lacks, replaced so a derived SMS stays in
# 153-septet segments instead of falling back to 67-character UCS-2 segments.
_TO_GSM7 = str.maketrans({
    "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ç": "c", "œ": "oe",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U", "Œ": "OE",
    "’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"', "–": "-", "—": "-",
    "…": "...", "\u00a0": " ", "\u202f": " ", "°": " degres",
})
_MARKDOWN = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images keep their text
    (re.compile(r"[*_`#>]+"), ""),
    (re.compile(r"^\s*[-+]\s+", re.MULTILINE), ""),
    (re.compile(r"\s+"), " "),
]


def gsm7_septets(text: str) -> int | None:
    """Number of GSM-7 septets `text` needs, or None if it has a character GSM-7 cannot encode."""
    total = 0
    for ch in text:
        if ch in _GSM7_BASIC:
            total += 1
        elif ch in _GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def gsm7_alphabet() -> tuple[str, str]:
    """The GSM-7 characters: (basic, one septet each; extended, two septets each), for a page
    that counts SMS segments as the cell types (the same alphabet `gsm7_septets` counts)."""
    return "".join(sorted(_GSM7_BASIC)), "".join(sorted(_GSM7_EXTENDED))


# Derived again for every SMS answer sent (`Article.sms`): ~60 us each (4 % of the events
# process under an SMS flood, py-spy), for the same few dozen live answers all day.
@functools.lru_cache(maxsize=1024)
def derive_sms_text(markdown: str) -> str:
    """Plain GSM-7 text of a Markdown answer, cut on a word boundary to fit three SMS segments."""
    text = markdown.translate(_TO_GSM7)
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    text = "".join(ch if ch in _GSM7_BASIC else " " for ch in text).strip()
    if len(text) <= SMS_MAX_SEPTETS:
        return text
    cut = text[: SMS_MAX_SEPTETS - 3]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:") + "..."


class Article(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One validated answer. Decoding checks every bound; `sms` gives the SMS form."""

    id: Slug
    lang: Lang = "fr"
    question: Question
    answer: Answer
    sms_text: str | None = None
    tags: list[Tag] = []
    alternates: Annotated[list[Alternate], msgspec.Meta(max_length=MAX_ALTERNATES)] = []
    audience: Audience = "public"
    status: Status = ArticleStatus.PUBLISHED
    areas: list[AreaCode] = []
    crisis: Slug | None = None
    publications: list[Slug] = []

    def __post_init__(self) -> None:
        if not self.question.strip() or not self.answer.strip():
            raise ValueError("question and answer must not be blank")
        if self.sms_text is not None:
            septets = gsm7_septets(self.sms_text)
            if septets is None:
                raise ValueError("sms_text has characters outside the GSM-7 alphabet")
            if septets > SMS_MAX_SEPTETS:
                raise ValueError(f"sms_text needs {septets} GSM-7 characters, over {SMS_MAX_SEPTETS}")

    @property
    def sms(self) -> str:
        """The SMS form: `sms_text` when given, else derived from the answer (never stored)."""
        return self.sms_text if self.sms_text is not None else derive_sms_text(self.answer)


_DECODER = msgspec.json.Decoder(Article)
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]*)`")
_MISSING = re.compile(r"Object missing required field `([^`]*)`")
_AT = re.compile(r"^(.*) - at `\$\.?([^`]*)`$")


def _describe(error: msgspec.DecodeError) -> str:
    """Turn a msgspec error into the one-line message a person editing the file understands."""
    message = str(error)
    if match := _UNKNOWN.search(message):
        return f"unknown field '{match.group(1)}'"
    if match := _MISSING.search(message):
        return f"missing required field '{match.group(1)}'"
    if match := _AT.match(message):
        reason = match.group(1).replace("`", "")
        return f"field '{match.group(2)}': {reason[0].lower()}{reason[1:]}"
    return message.replace("`", "'")


def parse_article_lines(lines: Iterable[str]) -> list[Article]:
    """Decode JSON Lines into articles; blank lines are skipped.

    Raises InvalidInput listing every bad line ("line N: ...") and every duplicated id.
    """
    articles: list[Article] = []
    problems: list[str] = []
    first_line: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            article = _DECODER.decode(line)
        except msgspec.DecodeError as err:
            problems.append(f"line {number}: {_describe(err)}")
            continue
        except UnicodeEncodeError:  # a lone surrogate: text decoded with surrogateescape
            problems.append(f"line {number}: not valid UTF-8 text")
            continue
        key = (article.id, article.lang)
        if key in first_line:
            problems.append(f"line {number}: duplicate id '{article.id}' (first on line {first_line[key]})")
            continue
        first_line[key] = number
        articles.append(article)
    if problems:
        raise InvalidInput("; ".join(problems))
    return articles


def article_to_json_line(article: Article) -> str:
    """One JSON line (no newline) that `parse_article_lines` reads back to an equal article."""
    return msgspec.json.encode(article).decode("utf-8")


def with_alternates(article: Article, texts: Iterable[str]) -> tuple[Article, list[str]]:
    """`article` with each new phrasing of `texts` appended, and the phrasings added.

    Whitespace is collapsed; a phrasing whose folded form the article already has (as its
    question or an alternate), or that came earlier in `texts`, is skipped. The one place that
    decides what a validated phrasing becomes, for the cell's validation and the evaluation's
    simulation of the learning loop alike. InvalidInput past MAX_ALTERNATES."""
    known = {fold(article.question), *(fold(a) for a in article.alternates)}
    added: list[str] = []
    for text in texts:
        clean = " ".join(text.split())
        folded = fold(clean)
        if folded and folded not in known:
            known.add(folded)
            added.append(clean)
    if len(article.alternates) + len(added) > MAX_ALTERNATES:
        raise InvalidInput(f"article {article.id!r} would have {len(article.alternates) + len(added)} "
                           f"alternate phrasings, over {MAX_ALTERNATES}: remove some first")
    if not added:
        return article, added
    return msgspec.structs.replace(article, alternates=[*article.alternates, *added]), added
