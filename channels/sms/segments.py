"""SMS segment counting: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part).

One character outside the GSM 03.38 alphabet (an emoji, a curly apostrophe, "œ") switches the
whole message to UCS-2 and more than doubles its cost: messages we write use straight quotes.
"""

from __future__ import annotations

import math

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each takes two septets


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def segment_count(text: str) -> int:
    """How many SMS parts `text` is billed as."""
    if not text:
        return 1
    if is_gsm7(text):
        septets = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2  # astral characters take two UCS-2 units
    return 1 if units <= 70 else math.ceil(units / 67)
