"""Citizens' addresses: normalised once, identified by a keyed hash, shown masked.

Addresses are personal data. The raw address is stored once, in the citizen record, so a
reply can be sent; everything else (conversation lists, exports, logs) carries the citizen id
and a masked form.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

import phonenumbers

from crisis.errors import InvalidInput
from crisis.types import ChannelKind

PHONE_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.VOICE})
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
# A French number already in E.164 (what Twilio sends for nearly every citizen here): +33 and
# the 9 digits of the national number, which is what phonenumbers would give back after a
# parse that costs a tenth of a webhook's own work.
FRENCH_E164 = re.compile(r"\+33[1-9][0-9]{8}")


@functools.lru_cache(maxsize=65_536)  # citizens write again and again: parse a number once
def normalise_address(channel: ChannelKind, raw: str, region: str = "FR") -> str:
    """E.164 for phones (a French number without +33 is read as French), lowercase e-mail."""
    raw = raw.strip()
    if channel in PHONE_CHANNELS:
        if FRENCH_E164.fullmatch(raw):
            return raw
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            raise InvalidInput(f"not a phone number: {raw[:30]!r}") from None
        if not phonenumbers.is_possible_number(number):
            raise InvalidInput(f"not a possible phone number: {raw[:30]!r}")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if channel is ChannelKind.EMAIL:
        if not EMAIL.match(raw):
            raise InvalidInput(f"not an e-mail address: {raw[:60]!r}")
        return raw.lower()
    if not raw or len(raw) > 128:
        raise InvalidInput("empty or oversized address")
    return raw


def citizen_id(secret: bytes, address: str) -> str:
    """One id per person across channels: SMS and voice from one number share it."""
    return "z" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:20]


def mask(channel: ChannelKind, address: str) -> str:
    """What lists show: enough to tell two citizens apart, not enough to call them."""
    if channel in PHONE_CHANNELS:
        return address[:4] + "•" * max(0, len(address) - 6) + address[-2:]
    if channel is ChannelKind.EMAIL:
        user, _, domain = address.partition("@")
        return f"{user[:1]}•••@{domain}"
    return f"{channel.value}-•••{address[-4:]}"
