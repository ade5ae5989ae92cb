"""ConversationStore's writes besides receive and transition: topic, tags, pacing, order
marks, opt-out, deletion (the store is their only writer: test_store_is_the_only_writer.py)."""

from __future__ import annotations

from channels.keys import ChannelKeys
from channels.store import ConversationStore, drop_conversation
from crisis.context import Context
from crisis.types import ChannelKind, ConversationStatus, InboundMessage, utcnow


def _store(ctx: Context) -> ConversationStore:
    return ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)


async def _conversation(store: ConversationStore, sid: str = "SMs1",
                        number: str = "+33612345678") -> str:
    received = await store.receive(InboundMessage(
        channel=ChannelKind.SMS, address=number, text="bonjour", provider_id=sid,
        received_at=utcnow()))
    assert received is not None
    return received.conversation_id


async def test_a_guessed_topic_never_replaces_one_already_set(ctx: Context) -> None:
    store = _store(ctx)
    conversation = await store.get(await _conversation(store))
    guessed = await store.guess_topic(conversation, "eau")
    assert guessed.topic == "eau" and (await store.get(conversation.id)).topic == "eau"
    await store.set_tags(conversation.id, ["cave"], topic="sante")  # an operator's choice
    kept = await store.guess_topic(conversation, "electricite")
    assert kept.topic == "sante" and kept.tags == ("cave",)


async def test_wait_updates_are_paced_per_conversation(ctx: Context) -> None:
    store = _store(ctx)
    first, second = await _conversation(store), await _conversation(store, "SMs2", "+33611111111")
    assert await store.claim_wait_update(first, 600)
    assert not await store.claim_wait_update(first, 600)
    assert await store.claim_wait_update(second, 600)


async def test_the_inbound_mark_only_moves_forward_and_never_revives_a_purge(
        ctx: Context) -> None:
    store = _store(ctx)
    conversation_id = await _conversation(store)
    await store.mark_inbound_done(conversation_id, 2)
    await store.mark_inbound_done(conversation_id, 1)
    assert await store.inbound_done(conversation_id) == 2
    async with ctx.redis.pipeline(transaction=True) as pipe:
        drop_conversation(pipe, store.k, conversation_id)
        await pipe.execute()
    await store.mark_inbound_done(conversation_id, 3)
    assert await store.fields(conversation_id) == {}
    items, total, _ = await store.page(status=None, channel=None, limit=5, cursor=None)
    assert (items, total) == ([], 0)
    for status in ConversationStatus:
        assert not await ctx.redis.zcard(store.k.by_status(status.value))


async def test_an_opted_out_citizen_gets_only_the_confirmation(ctx: Context) -> None:
    store = _store(ctx)
    conversation = await store.get(await _conversation(store))
    answer = await store.add_outbound(conversation.id, "une réponse", "auto")
    assert await store.may_send(conversation, answer.id)
    await store.set_opted_out(conversation.citizen, True)
    notice = await store.add_opt_out_notice(conversation.id, "Vous ne recevrez plus de SMS.",
                                            "auto")
    assert await store.opted_out(conversation.citizen)
    assert await store.may_send(conversation, notice.id)
    assert not await store.may_send(conversation, answer.id)
    assert [m.id for m in await store.messages(conversation.id)][-1] == notice.id
    await store.set_opted_out(conversation.citizen, False)
    assert await store.may_send(conversation, answer.id)
