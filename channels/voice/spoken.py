"""The spoken form of a text: what the IVR's text-to-speech reads to a caller.

A validated answer is Markdown written for the eye. On the phone a caller cannot see a link
or a bullet, and a speech engine reads "112", "0 800 130 000" or "18h30" in its own way. The
spoken form keeps the words and writes the rest out: no Markdown marker, no URL (the site is
named instead), list items as sentences, phone numbers group by group, times, decimals,
units and other numbers as words, in the caller's language (French unless "en").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from channels.answer_forms import answer_plain
from channels.voice.numbers import in_words

_MARKDOWN_HINT = re.compile(r"[*_`#\[\]]|^\s*(?:[-+*]|\d+[.)])\s", re.MULTILINE)
_URL = r"(?:https?://|www\.)[^\s)<>]*[^\s)<>.,;:!?]"
_URL_IN_PARENS = re.compile(r"\s*\(\s*" + _URL + r"\s*\)")
_BARE_URL = re.compile(_URL + r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LIST_MARKER = re.compile(r"^\s*(?:[-+*•]|\d+[.)])\s+")
# A French phone number: 10 digits from a leading 0 (or +33 and 9 digits), in groups.
_PHONE = re.compile(r"(?<![\d,.])(?:\+33[ .]?[1-9]|0[1-9])(?:[ .]?\d){8}(?!\d|,\d)"
                    r"|(?<![\d,.])0[ .]?[1-9]\d{2}(?:[ .]?\d{3}){2}(?!\d|,\d)")
_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])")
_TIME_FR = re.compile(r"\b([01]?\d|2[0-3]) ?h ?([0-5]\d)?\b")
_DECIMAL = {"fr": re.compile(r"(\d+),(\d+)"), "en": re.compile(r"(\d+)\.(\d+)")}
_ORDINAL_FR = re.compile(r"\b(\d+)(er|re|e|ème|eme)\b")
_ORDINAL_EN = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_INTEGER = re.compile(r"\d+")
_FEMININE = re.compile(r"\b((?:et )?)un (minutes?|heures?|secondes?|semaines?|personnes?|fois)\b")
_SILENT = re.compile(r"[*_`#>|\[\]{}~^\\]")
_SENTENCE_END = ("." , "!", "?", ":", ";", "…")

_WORDS: dict[str, dict[str, str]] = {
    "site": {"fr": "le site internet", "en": "the website"},
    "comma": {"fr": "virgule", "en": "point"},
    "hours": {"fr": "heures", "en": "hours"},
    "plus": {"fr": "plus", "en": "plus"},
}
# (pattern, French, English): units and symbols read as words, after the numbers before them.
_UNITS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\s?%"), " pour cent", " per cent"),
    (re.compile(r"\s?€"), " euros", " euros"),
    (re.compile(r"\s?°\s?C\b"), " degrés", " degrees"),
    (re.compile(r"\s?km/h\b"), " kilomètres heure", " kilometres per hour"),
    (re.compile(r"(?<=\d)\s?km\b"), " kilomètres", " kilometres"),
    (re.compile(r"(?<=\d)\s?m\b"), " mètres", " metres"),
    (re.compile(r"(?<=\d)\s?cm\b"), " centimètres", " centimetres"),
    (re.compile(r"(?<=\d)\s?min\b"), " minutes", " minutes"),
    (re.compile(r"(?<=\d)\s?h\b"), " heures", " hours"),
    (re.compile(r"\bn°\s?", re.IGNORECASE), "numéro ", "number "),
    (re.compile(r"\s&\s"), " et ", " and "),
    (re.compile(r"(?<=\w)/(?=\w)"), " ou ", " or "),
)


def _word(key: str, lang: str) -> str:
    return _WORDS[key]["en" if lang == "en" else "fr"]


def _group_in_words(group: str, lang: str) -> str:
    """One group of a phone number: leading zeros one by one, then the rest as a number."""
    digits = group.lstrip("0")
    zeros = [in_words(0, lang)] * (len(group) - len(digits))
    return " ".join(zeros + ([in_words(int(digits), lang)] if digits else []))


def _phone(match: re.Match[str], lang: str) -> str:
    text = match.group(0)
    prefix = ""
    if text.startswith("+"):
        prefix = f"{_word('plus', lang)} {in_words(33, lang)}, "
        text = text[3:].strip(" .")
    groups = re.split(r"[ .]", text) if re.search(r"[ .]", text) else \
        [text[i:i + 2] for i in range(0, len(text), 2)]
    return prefix + ", ".join(_group_in_words(g, lang) for g in groups if g) + ","


def _ordinal_fr(match: re.Match[str]) -> str:
    n = int(match.group(1))
    if n == 1:
        return "première" if match.group(2) == "re" else "premier"
    word = in_words(n, "fr")
    if word.endswith("e"):
        word = word[:-1]
    elif word.endswith("cinq"):
        word += "u"
    elif word.endswith("neuf"):
        word = word[:-1] + "v"
    return word + "ième"


def _ordinal_en(match: re.Match[str]) -> str:
    n = int(match.group(1))
    special = {1: "first", 2: "second", 3: "third", 5: "fifth", 8: "eighth", 9: "ninth",
               12: "twelfth"}
    if n in special:
        return special[n]
    word = in_words(n, "en")
    return (word[:-1] + "ieth") if word.endswith("y") else word + "th"


def _sentences(plain: str) -> str:
    """Lines (paragraphs, list items) as sentences joined by spaces."""
    out = []
    for line in plain.splitlines():
        line = _LIST_MARKER.sub("", line).strip()
        if not line:
            continue
        if not line.endswith(_SENTENCE_END):
            line += "."
        out.append(line)
    return " ".join(out)


def _speakable(char: str) -> bool:
    """Letters, digits, punctuation and spaces are read; symbols and emoji are not."""
    return unicodedata.category(char)[0] in "LNPZ" or char in "€%°&/+\n"


@functools.lru_cache(maxsize=4096)  # greetings, instructions, menus: the same on every call
def spoken_form(text: str, lang: str = "fr") -> str:
    """`text` as the IVR reads it to a caller in `lang` (see the module's docstring)."""
    lang = "en" if lang == "en" else "fr"
    if _MARKDOWN_HINT.search(text):
        text = answer_plain(text)
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))
    text = _URL_IN_PARENS.sub("", text)
    text = _BARE_URL.sub(_word("site", lang), text)
    text = "".join(c if _speakable(c) else " " for c in text)
    text = _sentences(text)
    text = _SILENT.sub(" ", text)
    text = _PHONE.sub(lambda m: _phone(m, lang), text)
    text = _THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
    if lang == "fr":
        text = _TIME_FR.sub(lambda m: f"{m.group(1)} {_word('hours', lang)}"
                            + (f" {m.group(2)}" if m.group(2) else ""), text)
        text = _ORDINAL_FR.sub(_ordinal_fr, text)
    else:
        text = _ORDINAL_EN.sub(_ordinal_en, text)
    text = _DECIMAL[lang].sub(lambda m: f"{m.group(1)} {_word('comma', lang)} {m.group(2)}",
                              text)
    for pattern, french, english in _UNITS:
        text = pattern.sub(english if lang == "en" else french, text)
    number: Callable[[re.Match[str]], str] = lambda m: in_words(int(m.group(0)), lang)
    text = _INTEGER.sub(number, text)
    if lang == "fr":  # "une minute", "vingt et une heures": one agrees with the noun
        text = _FEMININE.sub(lambda m: f"{m.group(1)}une {m.group(2)}", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r",([.!?;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()
