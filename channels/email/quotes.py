"""Quoted history in a citizen's e-mail: what their mail program appended below the answer.

A reply carries the whole exchange again ("> " lines, "Le ... a écrit :", Outlook's "De :
... Envoyé : ..." block); an operator must read what is new, not our own answer quoted back.
"""

from __future__ import annotations

import re

# "Le lun. 3 mars 2025 à 10:02, Jean <j@x.fr> a écrit :" / "On Mon, ... wrote:"; mail
# programs wrap it, so it is also tried on two lines joined.
_ATTRIBUTION = re.compile(
    r"^\s*(?:le|on|am|el)\b.{0,300}?\b(?:a\s+écrit|wrote|schrieb|escribió)\s*:\s*$",
    re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|message d'origine|message original|"
    r"forwarded message|message transféré)\s*-{2,}\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\**(?:de|from)\s*:\**\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\**(?:envoyé|sent|date|à|to|objet|subject)\s*:", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's line above its "De :" block
_SIGNATURE = "-- "


def _history_starts(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ORIGINAL.match(line) or _ATTRIBUTION.match(line):
        return True
    if index + 1 < len(lines) and _ATTRIBUTION.match(line + " " + lines[index + 1]):
        return True
    if _RULE.match(line) and index + 1 < len(lines) and _OUTLOOK_FROM.match(lines[index + 1]):
        return True
    if _OUTLOOK_FROM.match(line):
        # "De : X" alone may be the citizen's own words; a header block follows it.
        return any(_OUTLOOK_NEXT.match(following) for following in lines[index + 1:index + 4])
    return False


def strip_quoted(text: str) -> str:
    """The text without quoted history and signature; the whole text when nothing else
    remains (a reply written inline between the quotes is better read whole)."""
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line == _SIGNATURE or _history_starts(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    result = "\n".join(kept).strip()
    return result if result else text.strip()
