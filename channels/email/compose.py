"""Our reply as an e-mail: in the citizen's thread, marked automatic, plain UTF-8 text.

In-Reply-To and References name the citizen's message, so their mail program files the reply
with their question and their answer comes back in the same thread (its References name our
Message-ID). `Auto-Submitted: auto-replied` (RFC 3834) on every reply tells their
out-of-office not to answer it: half of the protection against mail loops (the listener's
refusal to answer automated mail is the other half).
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from channels.email.auto import OUR_ID_PREFIX
from channels.messages import say
from crisis.types import OutboundMessage

_ID = re.compile(r"<[^<>\s]{1,248}>")
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")
MAX_REFERENCES = 20  # ids named in References (the newest ones)


def reply_id(message: OutboundMessage, domain: str) -> str:
    """Our Message-ID for `message`: the same at every retry of the same reply, so a
    resend after a lost acknowledgement is one message in the citizen's mail program."""
    local = _UNSAFE_ID_CHARS.sub("", f"{message.conversation_id}.{message.message_id}")[:80]
    return f"{OUR_ID_PREFIX}{local or 'reply'}@{domain}>"


def reply_subject(message: OutboundMessage) -> str:
    # A message that starts its own thread (an alert, a subscription's confirmation) names
    # its subject itself: no "Re:".
    if message.thread.get("subject_line"):
        return " ".join(message.thread["subject_line"].split())[:200]
    subject = " ".join(message.thread.get("subject", "").split())[:200]
    if not subject:
        return say("email_subject", message.lang)
    return subject if subject.lower().startswith(("re:", "re :")) else f"Re: {subject}"


def compose_reply(message: OutboundMessage, sender: str, domain: str) -> EmailMessage:
    """The e-mail for `message` (ValueError when the thread holds something unsendable)."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = reply_subject(message)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = reply_id(message, domain)
    mail["Auto-Submitted"] = "auto-replied"
    mail["Content-Language"] = message.lang
    theirs = _ID.findall(message.thread.get("message_id", ""))[:1]
    chain = _ID.findall(message.thread.get("references", "")) + theirs
    if theirs:
        mail["In-Reply-To"] = theirs[0]
    if chain:
        mail["References"] = " ".join(chain[-MAX_REFERENCES:])
    unsubscribe = message.thread.get("list_unsubscribe", "")
    if unsubscribe.startswith("https://") or unsubscribe.startswith("http://"):
        # RFC 2369 + RFC 8058: mail programs show an "unsubscribe" button that POSTs there.
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.replace_header("Auto-Submitted", "auto-generated")
    mail.set_content(message.text, charset="utf-8", cte="quoted-printable")
    return mail
