"""What a parsed e-mail says: its body as text, its attachments as a list, its defects.

The standard library parses (policy=default); this module only reads the result and never
trusts it: unknown or lying charsets, broken boundaries and missing parts all give some text.
Attachments are listed (name, type, size) and never decoded further: no archive is opened,
no HTML of theirs is rendered.
"""

from __future__ import annotations

import codecs
import re
from email import errors as email_errors
from email.message import EmailMessage, Message

from channels.email.html_text import html_to_text

MAX_ATTACHMENTS_LISTED = 20
MAX_PARTS_WALKED = 500  # a message of thousands of tiny parts costs no more than this
# Defects after which the structure cannot be trusted: the text is then read from the raw body.
_STRUCTURAL = (email_errors.StartBoundaryNotFoundDefect,
               email_errors.CloseBoundaryNotFoundDefect,
               email_errors.MultipartInvariantViolationDefect,
               email_errors.NoBoundaryInMultipartDefect,
               email_errors.MissingHeaderBodySeparatorDefect,
               email_errors.InvalidMultipartContentTransferEncodingDefect)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """No control or bidirectional-override characters, Unix line ends."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def decode_bytes(payload: bytes, charset: str | None) -> str:
    """`payload` in its declared charset; UTF-8, then Windows-1252, when that charset is
    unknown or not a text encoding (mail programs lie about it)."""
    declared = None
    if charset:
        try:
            declared = codecs.lookup(charset).name
        except (LookupError, UnicodeError, ValueError, TypeError):
            declared = None
    if declared == "utf-7":  # UTF-7 hides markup from filters: read as what it claims not
        declared = None
    for encoding in filter(None, (declared, "utf-8")):
        try:
            return payload.decode(encoding)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    # Neither fits (us-ascii declared for accented text...): the declared one, patched.
    try:
        return payload.decode(declared or "cp1252", errors="replace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return payload.decode("cp1252", errors="replace")


def part_text(part: Message) -> str:
    """A text part's content as text (transfer encoding undone, charset applied)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except (LookupError, UnicodeError, ValueError, TypeError):
        charset = None
    text = decode_bytes(payload, charset)
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text


def is_malformed(message: Message) -> bool:
    """Whether the MIME structure is broken (a defect the parser had to guess around)."""
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS_WALKED:
            return True
        if any(isinstance(defect, _STRUCTURAL) for defect in part.defects):
            return True
    return False


def body_text(message: EmailMessage) -> str:
    """The text a citizen wrote: the plain part, else the HTML part as text, else ""."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    return part_text(body)


def _attachment_name(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except (LookupError, UnicodeError, ValueError, TypeError, IndexError):
        name = ""
    name = clean_text(str(name)).replace("\n", " ").strip()
    return name[:100] or "(sans nom)"


def attachments(message: EmailMessage, body: Message | None) -> tuple[str, ...]:
    """Each attachment as "name (type, N bytes)"; the parts themselves are dropped."""
    listed: list[str] = []
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS_WALKED or len(listed) >= MAX_ATTACHMENTS_LISTED:
            break
        if part is body or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not part.get_filename() and (
                part.get_content_maintype() == "text"):
            continue  # an alternative of the body (its HTML twin), not an attachment
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        listed.append(f"{_attachment_name(part)} ({part.get_content_type()}, {size} bytes)")
    return tuple(listed)
