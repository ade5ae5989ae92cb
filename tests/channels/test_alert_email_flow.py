"""E-mail alerts end to end: the site's form, the confirmation job run by a real
`crisis worker --burst`, the mail received by an SMTP relay sink on loopback, its link
opened, the subscription recorded; the unsubscribe link of an alert e-mail stops it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from channels.alerts.email_optin import alert_email_footer
from channels.alerts.subscriptions import Subscriptions
from channels.email.adapter import EmailAdapter
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.settings import Settings
from crisis.types import ChannelKind, OutboundMessage
from testbed.smtp_sink import SmtpSink
from tests.channels.alert_web_support import mount_alert_web
from tests.channels.test_sms import run_worker_burst

CENTRE = "Centre d'information <alertes@crise.example.gouv.fr>"
PUBLIC = "https://info-crise.example.gouv.fr"


@pytest.fixture
async def relay() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
def env(env: dict[str, str], relay: SmtpSink, monkeypatch: pytest.MonkeyPatch
        ) -> dict[str, str]:
    mount_alert_web(monkeypatch)
    return {**env, "CRISIS_SMTP_RELAY": f"127.0.0.1:{relay.port}", "CRISIS_MAIL_FROM": CENTRE,
            "CRISIS_PUBLIC_URL": PUBLIC}


async def test_the_form_the_mail_the_link_then_the_subscription(
        client: Any, env: dict[str, str], relay: SmtpSink, ctx: Context) -> None:
    subscriptions = Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)
    response = await client.post("/api/alerts/email", json={
        "email": "Camille@Example.fr", "areas": ["13", "2B"], "lang": "fr"})
    assert response.status == 202
    assert relay.delivered == []  # nothing is sent by the web process
    await run_worker_burst(env)
    [mail] = relay.delivered
    message = mail.message
    assert mail.rcpt_tos == ["camille@example.fr"]
    assert message["Subject"] == "Confirmez votre abonnement aux alertes"
    body = message.get_content()
    assert "13, 2B" in body and "48 heures" in body
    assert await subscriptions.get("email", "camille@example.fr") is None  # not before the link
    link = re.search(r"https://\S+", body)
    assert link is not None and link.group().startswith(PUBLIC + "/alerts/confirm?token=")
    parts = urlsplit(link.group())
    page = await client.get(f"{parts.path}?{parts.query}")
    assert page.status == 200 and "Abonnement confirmé" in await page.text()
    stored = await subscriptions.get("email", "camille@example.fr")
    assert stored is not None and stored.areas == ("13", "2B") and stored.lang == "fr"


async def test_an_alert_email_carries_a_one_click_unsubscribe(
        client: Any, relay: SmtpSink, ctx: Context, settings: Settings) -> None:
    """What the broadcast will send: the footer's link and the List-Unsubscribe header."""
    subscriptions = Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)
    await subscriptions.subscribe("email", "noe@example.fr", ("75",), source="test")
    footer = alert_email_footer(settings, ctx.secret, "noe@example.fr", "fr")
    adapter = EmailAdapter(settings)
    try:
        await adapter.send(OutboundMessage(
            channel=ChannelKind.EMAIL, address="noe@example.fr",
            text="Crue : évacuez les quais." + footer["text"], conversation_id="bc-1",
            message_id="noe", bulk=True, thread={"subject_line": "Alerte crue",
                                                  "list_unsubscribe": footer["list_unsubscribe"]}))
    finally:
        await adapter.aclose()
    message = relay.delivered[0].message  # the relay had it when send returned
    assert message["Subject"] == "Alerte crue"
    assert message["List-Unsubscribe"] == f"<{footer['list_unsubscribe']}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Se désabonner : " + footer["list_unsubscribe"] in message.get_content()
    # The mail program's one-click: a POST to the header's URL.
    parts = urlsplit(footer["list_unsubscribe"])
    response = await client.post(f"{parts.path}?{parts.query}",
                                 data={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert await subscriptions.get("email", "noe@example.fr") is None
