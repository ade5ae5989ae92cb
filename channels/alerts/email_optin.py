"""E-mail alerts with double opt-in: a signed confirmation link, nothing stored before it.

The site's form asks for an address and départements; the centre mails a link carrying
them, signed (HMAC-SHA256 with a key derived from the centre's secret) and expiring
(CRISIS_ALERT_CONFIRM_HOURS). Only when the link is opened is the subscription recorded,
with the time of the request and of the confirmation as its consent. Until then the
centre keeps nothing but rate-limit counters (per client address, per e-mail address:
keyed hashes, 1 h and 24 h). Every alert e-mail carries a signed unsubscribe link
(`unsubscribe_url`), valid as long as the subscription: stopping is one click.

The confirmation is sent by the RQ job `send_confirmation_job` (queue `default`) through
the worker's e-mail adapter, paced like every e-mail (channels/outbound.py's kit).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import time
from typing import Any
from urllib.parse import quote

from channels.alerts.messages import t
from channels.outbound import outbound_kit
from crisis.errors import ChannelError, InvalidInput
from crisis.settings import Settings
from crisis.secret_key import resolve_secret_key
from crisis.types import ChannelKind, OutboundMessage
from crisis.worker_context import WorkerContext, with_worker_context

log = logging.getLogger(__name__)

SEND_CONFIRMATION_JOB = "channels.alerts.email_optin.send_confirmation_job"
CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+")


def email_address(text: Any) -> str:
    """A citizen's address, lower-cased (one subscription per mailbox); InvalidInput if it
    does not look like one."""
    if not isinstance(text, str):
        raise InvalidInput("email must be an e-mail address")
    address = text.strip().lower()
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise InvalidInput("email must be an e-mail address, e.g. prenom.nom@example.fr")
    return address


def _key(secret: bytes) -> bytes:
    # A key of its own: a token of this module can never be a valid signature elsewhere.
    return hmac.new(secret, b"alerts-email-v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_token(secret: bytes, purpose: str, **fields: Any) -> str:
    """`<payload>.<signature>`, both base64url; the payload names its purpose."""
    payload = _b64(json.dumps({"p": purpose, **fields}, separators=(",", ":"),
                              sort_keys=True).encode())
    mac = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_token(secret: bytes, purpose: str, token: str, now: float | None = None
               ) -> dict[str, Any]:
    """The fields of a token of `purpose`, if its signature holds and it has not expired;
    InvalidInput otherwise (one message: which check failed is nobody's business)."""
    invalid = InvalidInput("this link is not valid or has expired")
    payload, _, signature = token.partition(".")
    if not payload or len(token) > 2000:
        raise invalid
    expected = _b64(hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise invalid
    try:
        fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(fields, dict) or fields.get("p") != purpose:
        raise invalid
    expires = fields.get("x")
    if expires is not None and (now or time.time()) > float(expires):
        raise invalid
    return fields


def confirmation_token(secret: bytes, address: str, areas: tuple[str, ...], lang: str,
                       hours: int, now: float | None = None) -> str:
    issued = int(now or time.time())
    return make_token(secret, CONFIRM, a=address, r=list(areas), l=lang, i=issued,
                      x=issued + hours * 3600)


def unsubscribe_url(settings: Settings, secret: bytes, address: str, lang: str = "fr") -> str:
    """The link every alert e-mail to `address` carries (and its List-Unsubscribe header):
    signed, without expiry, so an old alert's link still stops the next ones."""
    token = make_token(secret, UNSUBSCRIBE, a=address)
    return f"{settings.base_url}/alerts/unsubscribe?token={quote(token)}&lang={lang}"


def alert_email_footer(settings: Settings, secret: bytes, address: str, lang: str) -> dict[str, str]:
    """For the broadcast: the line to append to an alert e-mail and the thread keys that
    give it a List-Unsubscribe header (channels/email/compose.py)."""
    link = unsubscribe_url(settings, secret, address, lang)
    return {"text": "\n\n-- \n" + t("alert.stop", lang).format(link=link),
            "list_unsubscribe": link}


def confirmation_message(settings: Settings, secret: bytes, address: str,
                         areas: tuple[str, ...], lang: str) -> OutboundMessage:
    token = confirmation_token(secret, address, areas, lang, settings.alert_confirm_hours)
    link = f"{settings.base_url}/alerts/confirm?token={quote(token)}&lang={lang}"
    text = t("confirm.body", lang).format(areas=", ".join(areas), link=link,
                                          hours=settings.alert_confirm_hours,
                                          service=t("service", lang))
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return OutboundMessage(channel=ChannelKind.EMAIL, address=address, text=text,
                           conversation_id="alerts", message_id=f"confirm-{digest}", lang=lang,
                           author="auto", thread={"subject_line": t("confirm.subject", lang)})


@with_worker_context
async def send_confirmation_job(ctx: WorkerContext, address: str, areas: list[str],
                                lang: str) -> str:
    """Mail the confirmation link to `address`. A refusal that retrying cannot mend (no such
    mailbox) is logged and dropped; a busy relay raises and RQ tries again."""
    kit = outbound_kit(ctx)
    adapter = kit.adapters.get(ChannelKind.EMAIL)
    if adapter is None:
        log.warning("an alert confirmation could not be sent: e-mail is not configured "
                    "(CRISIS_SMTP_RELAY, CRISIS_MAIL_FROM)")
        return "no channel"
    message = confirmation_message(ctx.settings, resolve_secret_key(ctx.settings), address,
                                   tuple(areas), lang)
    await kit.pacer.wait(adapter.pacing(message))
    try:
        return await adapter.send(message)
    except ChannelError as err:
        if err.retryable:
            raise
        log.info("an alert confirmation was refused by the relay", extra={"error": err.message})
        return f"failed: {err.message}"
