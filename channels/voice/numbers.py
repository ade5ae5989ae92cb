"""Whole numbers in words, French and English, for the IVR's text-to-speech.

Text-to-speech engines read "112" or "0 800 130 000" unpredictably (as digits, as a year, as
one big number); the spoken form writes them out so every caller hears the same thing.
French follows the traditional spelling ("vingt et un", "quatre-vingts", "deux cents").
"""

from __future__ import annotations

_FR_UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
             "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept",
             "dix-huit", "dix-neuf")
_FR_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
_EN_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
             "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
            "ninety")
MAX_SPOKEN = 999_999_999_999  # beyond this, digits one by one


def _fr_below_100(n: int) -> str:
    if n < 20:
        return _FR_UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix, quatre-vingt-dix: 60 or 80 plus 10..19
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = _FR_UNITS[10 + unit]
        return f"{base} et {rest}" if n == 71 else f"{base}-{rest}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_FR_UNITS[unit]}"
    word = _FR_TENS[tens]
    if unit == 0:
        return word
    return f"{word} et un" if unit == 1 else f"{word}-{_FR_UNITS[unit]}"


def _fr_below_1000(n: int, final: bool) -> str:
    """`final`: nothing follows (then "deux cents", "quatre-vingts" take their plural s)."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        head = "cent" if hundreds == 1 else f"{_FR_UNITS[hundreds]} cent"
        if hundreds > 1 and rest == 0 and final:
            head += "s"
        words.append(head)
    if rest or not hundreds:
        part = _fr_below_100(rest)
        if not final and part == "quatre-vingts":
            part = "quatre-vingt"
        words.append(part)
    return " ".join(words)


def french(n: int) -> str:
    if n < 0:
        return "moins " + french(-n)
    if n > MAX_SPOKEN:
        return " ".join(_FR_UNITS[int(d)] for d in str(n))
    if n < 1000:
        return _fr_below_1000(n, final=True)
    parts = []
    for value, singular, plural in ((10**9, "milliard", "milliards"),
                                    (10**6, "million", "millions")):
        count, n = divmod(n, value)
        if count:
            parts.append(f"{_fr_below_1000(count, final=True)} "
                         f"{singular if count == 1 else plural}")
    thousands, n = divmod(n, 1000)
    if thousands:
        parts.append("mille" if thousands == 1
                     else f"{_fr_below_1000(thousands, final=False)} mille")
    if n:
        parts.append(_fr_below_1000(n, final=True))
    return " ".join(parts)


def _en_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append(f"{_EN_UNITS[hundreds]} hundred")
    if rest:
        if rest < 20:
            tail = _EN_UNITS[rest]
        else:
            tens, unit = divmod(rest, 10)
            tail = _EN_TENS[tens] + (f"-{_EN_UNITS[unit]}" if unit else "")
        words.append(("and " if hundreds else "") + tail)
    return " ".join(words) or _EN_UNITS[0]


def english(n: int) -> str:
    if n < 0:
        return "minus " + english(-n)
    if n > MAX_SPOKEN:
        return " ".join(_EN_UNITS[int(d)] for d in str(n))
    if n < 1000:
        return _en_below_1000(n)
    parts = []
    for value, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        count, n = divmod(n, value)
        if count:
            parts.append(f"{_en_below_1000(count)} {name}")
    if n:
        parts.append(("and " if n < 100 else "") + _en_below_1000(n))
    return " ".join(parts)


def in_words(n: int, lang: str) -> str:
    """`n` in words in `lang` (French unless "en")."""
    return english(n) if lang == "en" else french(n)
