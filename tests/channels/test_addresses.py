"""Phone numbers normalised to E.164: the shortcut for French numbers already in E.164 gives
what the full parse gives, and everything else still goes through phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from channels.addresses import FRENCH_E164, normalise_address
from crisis.errors import InvalidInput
from crisis.types import ChannelKind


def parsed(raw: str) -> str | None:
    """What phonenumbers alone says: the E.164 form, or None when not possible."""
    try:
        number = phonenumbers.parse(raw.strip(), "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_french_numbers_in_e164_are_what_the_parse_gives() -> None:
    draw = random.Random(7)
    numbers = [f"+33{draw.randint(1, 9)}{draw.randint(0, 99_999_999):08d}" for _ in range(2_000)]
    assert all(FRENCH_E164.fullmatch(n) for n in numbers)  # the shortcut is taken
    assert [normalise_address(ChannelKind.SMS, n) for n in numbers] == [parsed(n) for n in numbers]


@pytest.mark.parametrize("raw", [
    "06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "0033612345678", "+330612345678",
    "+3361234567", "+44 7700 900123", "+1 202 555 0143", "+262692123456", " +33612345678 ",
])
def test_other_forms_go_through_the_full_parse(raw: str) -> None:
    expected = parsed(raw)
    if expected is None:
        with pytest.raises(InvalidInput):
            normalise_address(ChannelKind.SMS, raw)
    else:
        assert normalise_address(ChannelKind.SMS, raw) == expected
