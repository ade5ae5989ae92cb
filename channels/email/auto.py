"""Mail no person wrote: auto-replies and bounces, which the centre must never answer.

Answering an out-of-office with our auto-answer, which it answers again, is a mail loop. So
any sign of automation (RFC 3834 Auto-Submitted, Precedence, X-Autoreply, a null sender, a
delivery report) makes a message unanswerable. A bounce (RFC 3464 delivery status) of one of
our own replies is read for the failure it reports, which the reply's delivery status shows.
"""

from __future__ import annotations

import re
from email.message import Message

from crisis.ports import DeliveryReport
from crisis.types import DeliveryStatus

# Our replies' Message-IDs start with this, so a bounce can tell ours from a forged one.
OUR_ID_PREFIX = "<crisis."
_AUTOMATED_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")
# The returned reply's own Message-ID header (its References may name earlier replies).
_OUR_ID = re.compile(rb"^Message-ID:[ \t]*(<crisis\.[A-Za-z0-9._-]{1,80}@[A-Za-z0-9.-]{1,200}>)",
                     re.IGNORECASE | re.MULTILINE)
_ACTION = re.compile(r"^\s*Action\s*:\s*([A-Za-z]+)", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"^\s*Status\s*:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(r"^\s*Diagnostic-Code\s*:\s*(.{1,300})", re.IGNORECASE | re.MULTILINE)


def _header(message: Message, name: str) -> str:
    try:
        return str(message.get(name, "") or "").strip()
    except (LookupError, UnicodeError, ValueError, TypeError, IndexError):
        return ""


def is_bounce(message: Message, envelope_sender: str | None) -> bool:
    """A delivery status notification: multipart/report, or mail from the null sender."""
    if message.get_content_type() == "multipart/report":
        return True
    if envelope_sender is not None and envelope_sender in ("", "<>"):
        return True
    return _header(message, "Return-Path").replace(" ", "") == "<>"


def is_auto_reply(message: Message) -> bool:
    """Written by a program: an out-of-office, a list, a robot (RFC 3834 and the usual
    non-standard headers)."""
    submitted = _header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return True
    if _header(message, "Precedence").lower() in _AUTOMATED_PRECEDENCE:
        return True
    return any(_header(message, name) for name in _AUTOREPLY_HEADERS)


def _status_text(message: Message) -> str:
    """The delivery-status part's fields as text (the parser makes them header blocks)."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            if isinstance(blocks, list):
                return "\n".join(str(block) for block in blocks)[:20_000]
            return str(blocks)[:20_000]
    return ""


def bounce_report(message: Message, raw: bytes) -> DeliveryReport | None:
    """FAILED for the reply a bounce is about, when that reply is ours and the report says
    it failed (not "delayed", which the relay keeps trying); None otherwise."""
    # Past the bounce's own header block: its own Message-ID is the reporting server's.
    ends = [at for at in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if at >= 0]
    found = _OUR_ID.search(raw, min(ends) if ends else 0)
    if found is None:
        return None
    status = _status_text(message)
    actions = {action.lower() for action in _ACTION.findall(status)}
    if actions and "failed" not in actions:
        return None  # delayed, relayed, delivered: not a failure
    codes = _STATUS.findall(status)
    if codes and not any(code.startswith("5") for code in codes) and not actions:
        return None
    diagnostic = _DIAGNOSTIC.search(status)
    error = " ".join(filter(None, [codes[0] if codes else "",
                                   diagnostic.group(1).strip() if diagnostic else ""]))
    return DeliveryReport(found.group(1).decode("ascii"), DeliveryStatus.FAILED,
                          error[:200] or "bounced")
