"""The local spool (channels/spool.py): what a webhook acknowledged while Redis was down is
stored once Redis is back, in order, once; when the disk refuses too, the provider retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from channels.keys import ChannelKeys
from channels.spool import Spool
from channels.store import ConversationStore
from crisis.app import build_app
from crisis.context import Context
from crisis.settings import load_settings
from crisis.types import ChannelKind, InboundMessage, utcnow
from testbed.ports import free_port
from tests.channels.conftest import signed, sms_form
from tests.faults.traffic import centre_env


def message(n: int) -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address="+33612345678", text=f"message {n}",
                          provider_id=f"SMspool{n}", received_at=utcnow())


async def test_the_spool_replays_in_order_and_once(ctx: Context, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    for n in range(5):
        spool.append(message(n))
    assert spool.waiting()
    store = ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)

    async def deliver(report: Any) -> None:
        raise AssertionError("no receipt was spooled")

    calls: list[str] = []

    async def flaky(inbound: InboundMessage) -> object:
        calls.append(inbound.provider_id)
        if len(calls) == 3:
            raise ConnectionError("Redis went away again")
        return await store.receive(inbound)

    try:
        await spool.replay(flaky, deliver)
    except ConnectionError:
        pass
    assert spool.waiting()  # the file stays whole for the next round
    assert await spool.replay(store.receive, deliver) == 5
    assert not spool.waiting()
    received = await store.receive(message(0))
    assert received is None  # already there: replayed once, not twice
    [conversation_id] = await ctx.redis.zrange(ChannelKeys(ctx.keys).conversations, 0, -1)
    texts = [m.text for m in await store.messages(str(conversation_id))]
    assert texts == [f"message {n}" for n in range(5)]


async def test_a_webhook_answers_503_when_the_spool_cannot_be_written(
        aiohttp_client: Any, tmp_path: Path) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # Redis unreachable
    env = centre_env(nobody, "s:", tmp_path / "var", "http://127.0.0.1:9")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "spool").write_text("not a directory")  # the disk refuses
    client = await aiohttp_client(build_app(load_settings(env), nobody, consume_events=False))
    headers, form = signed("/hooks/twilio/sms", sms_form("bonjour", "SMnospool"))
    response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
    assert response.status == 503 and response.headers["Retry-After"] == "5"


async def test_what_is_written_during_a_replay_is_replayed_next(ctx: Context,
                                                                tmp_path: Path) -> None:
    """Messages spooled while a replay runs go to a new file, which the next replay takes,
    even when nothing is spooled after Redis came back (the case that once stayed behind)."""
    spool = Spool(tmp_path / "spool")
    store = ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)
    spool.append(message(0))

    async def receive_and_spool_more(inbound: InboundMessage) -> object:
        spool.append(message(int(inbound.provider_id.removeprefix("SMspool")) + 10))
        return await store.receive(inbound)

    async def deliver(report: Any) -> None:
        raise AssertionError("no receipt was spooled")

    assert await spool.replay(receive_and_spool_more, deliver) == 1
    assert spool.waiting() and spool.pending == 1  # message 10, in a file of its own
    assert await spool.replay(store.receive, deliver) == 1
    assert not spool.waiting() and spool.pending == 0
    assert await store.receive(message(10)) is None  # it was stored
