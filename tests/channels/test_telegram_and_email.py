"""Telegram and e-mail end to end, through the whole centre: the provider's call, the desk's
answer from the knowledge base, the reply job of a real `crisis worker`, the provider's
stand-in receiving it (the Telegram Bot API on loopback; an SMTP relay sink)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from channels.api import DESK
from channels.email.service import serve_mail
from crisis.context import Context
from crisis.types import ConversationStatus, Direction
from knowledge_base.keys import KbKeys
from testbed.ports import free_port
from testbed.smtp_sink import SmtpSink
from testbed.telegram import TelegramStandIn, callback_update, message_update, webhook_headers
from tests.channels.conftest import PUBLIC_URL
from tests.channels.test_sms import run_worker_burst
from tests.support.polling import until

SECRET = "end-to-end-secret"
CENTRE = "contact@crise.example.gouv.fr"


@pytest.fixture
def env(env: dict[str, str], telegram: TelegramStandIn, relay: SmtpSink) -> dict[str, str]:
    return {**env, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": telegram.base,
            "CRISIS_SMTP_RELAY": f"127.0.0.1:{relay.port}", "CRISIS_MAIL_FROM": CENTRE,
            "CRISIS_MAIL_ACCEPT": CENTRE, "CRISIS_SMTP_LISTEN": f"127.0.0.1:{free_port()}"}


async def _auto_answered(client: Any, channel: str) -> Any:
    store = client.app[DESK].store

    async def answered() -> Any:
        items, _, _ = await store.page(status=ConversationStatus.AUTO_ANSWERED.value,
                                       channel=None, limit=10, cursor=None)
        return [c for c in items if c.channel.value == channel]
    return (await until(answered))[0]


async def test_a_telegram_question_is_answered_with_buttons_and_a_vote_counted(
        kb: None, client: Any, env: dict[str, str], telegram: TelegramStandIn,
        ctx: Context) -> None:
    await until(lambda: _registered(telegram))  # set at start, in the background
    assert telegram.webhook["url"] == PUBLIC_URL + "/hooks/telegram"
    assert telegram.webhook["secret_token"] == SECRET
    forged = await client.post("/hooks/telegram", json=message_update(42, "bonjour"),
                               headers=webhook_headers("wrong"))
    assert forged.status == 403
    response = await client.post("/hooks/telegram",
                                 json=message_update(4242, "l'eau du robinet est potable ?"),
                                 headers=webhook_headers(SECRET))
    assert response.status == 200
    conversation = await _auto_answered(client, "telegram")
    messages = await client.app[DESK].store.messages(conversation.id)
    answer = next(m for m in messages if m.direction is Direction.OUTBOUND)
    assert answer.article_id
    await run_worker_burst(env)
    [sent] = telegram.messages
    assert sent["chat"]["id"] == 4242 and sent["text"] == answer.text
    buttons = str(sent.get("reply_markup"))
    assert f"useful:{answer.article_id}:yes" in buttons and "human" in buttons

    vote = await client.post("/hooks/telegram",
                             json=callback_update(4242, f"useful:{answer.article_id}:yes"),
                             headers=webhook_headers(SECRET))
    assert (await vote.json())["method"] == "answerCallbackQuery"  # the button stops spinning

    async def counted() -> bool:
        score = await ctx.redis.zscore(KbKeys(ctx.keys).answers("useful"), answer.article_id)
        return score == 1
    await until(counted)
    await until(lambda: _texts(client, conversation.id, 3))
    await run_worker_burst(env)
    assert telegram.messages[-1]["text"].startswith("Merci")


async def _registered(telegram: TelegramStandIn) -> bool:
    return "url" in telegram.webhook


async def _texts(client: Any, conversation_id: str, count: int) -> bool:
    messages = await client.app[DESK].store.messages(conversation_id)
    return len(messages) >= count


async def test_an_email_question_is_answered_in_its_thread(
        kb: None, client: Any, env: dict[str, str], relay: SmtpSink, ctx: Context) -> None:
    stop = asyncio.Event()
    listener = asyncio.create_task(serve_mail(ctx, stop))
    try:
        mail = EmailMessage()
        mail["From"] = "Camille <camille@example.fr>"
        mail["To"] = CENTRE
        mail["Subject"] = "Eau du robinet"
        mail["Message-ID"] = "<question-1@example.fr>"
        mail.set_content("Bonjour,\n\nl'eau du robinet est potable ?\n\nCamille")
        host, port = ctx.settings.smtp_listen.host, ctx.settings.smtp_listen.port

        def send() -> None:
            with smtplib.SMTP(host, port, timeout=10) as smtp:
                smtp.send_message(mail)
        await until(lambda: _listening(host, port))
        await asyncio.to_thread(send)
        conversation = await _auto_answered(client, "email")
        await run_worker_burst(env)
        [delivered] = relay.delivered
        reply = delivered.message
        assert delivered.rcpt_tos == ["camille@example.fr"]
        assert reply["Subject"] == "Re: Eau du robinet"
        assert reply["In-Reply-To"] == "<question-1@example.fr>"
        assert reply["Auto-Submitted"] == "auto-replied"
        outbound = [m for m in await client.app[DESK].store.messages(conversation.id)
                    if m.direction is Direction.OUTBOUND]
        body = reply.get_body(("plain",))
        assert body is not None and outbound[0].text.split()[0] in body.get_content()
    finally:
        stop.set()
        await listener


async def _listening(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    return True
