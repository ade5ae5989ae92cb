"""What a new password must be: long enough, not a known one, not the account's own name.

Checked when a password is chosen (account creation, password change), never at sign-in: a
password that met the older, shorter rule keeps working until it is changed.

The list of known passwords is Django's (20,000 common passwords from breached-password
corpora, lowercased; see common-passwords.LICENSE.txt beside it). It is shipped in the
package because nothing on a production machine may reach the internet to look one up.
"""

from __future__ import annotations

import functools
import re
import secrets
from importlib import resources

from crisis.errors import InvalidInput

MIN_NEW_PASSWORD = 12
MAX_PASSWORD = 1024
ADVICE = "a phrase of four or more unrelated words is long and easy to remember"
# Digits and symbols people tack on to a common word ("Soleil2026!") do not make it unknown.
_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NAME_PARTS = re.compile(r"[._-]")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process (about 20 ms)."""
    text = (resources.files("crisis") / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _is_repetition(text: str) -> bool:
    """'aaaaaaaaaaaa', 'abcabcabcabc': one short unit repeated is guessed at once."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def _name_pieces(name: str) -> list[str]:
    """The account name, and its parts of 4+ characters ('jean.dupont': jean, dupont)."""
    pieces = [name] if len(name) >= 3 else []
    pieces += [part for part in _NAME_PARTS.split(name) if len(part) >= 4 and part != name]
    return pieces


def check_new_password(password: str, name: str = "") -> None:
    """Refuse a password a person should not choose, saying why and what to do instead.

    Raises InvalidInput when it is shorter than 12 or longer than 1024 characters, is (or is
    a common password padded with digits and symbols) in the list of known passwords, is one
    short sequence repeated, or contains the account name.
    """
    if len(password) < MIN_NEW_PASSWORD:
        raise InvalidInput(f"password too short: {len(password)} characters, at least "
                           f"{MIN_NEW_PASSWORD}; {ADVICE}")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"password too long: at most {MAX_PASSWORD} characters")
    lowered = password.lower()
    core = _PADDING.sub("", lowered)
    known = common_passwords()
    if lowered in known or core in known or lowered.strip() in known:
        raise InvalidInput("this password is in a list of common or breached passwords that "
                           f"attackers try first; choose another: {ADVICE}")
    if _is_repetition(lowered) or (core and _is_repetition(core) and len(core) < len(lowered)):
        raise InvalidInput(f"this password repeats one short sequence; {ADVICE}")
    for piece in _name_pieces(name.lower()):
        if piece in lowered:
            raise InvalidInput(f"the password must not contain the account name ({piece!r}); "
                               f"{ADVICE}")


def generate_password(name: str = "") -> str:
    """A random password (16 URL-safe characters) that passes check_new_password."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            check_new_password(candidate, name)
        except InvalidInput:
            continue  # vanishingly rare: it happened to contain the name
        return candidate
