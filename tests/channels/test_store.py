"""ConversationStore's writes besides receive and transition: topic, tags, pacing, order
marks, opt-out, deletion (the store is their only writer: test_store_is_the_only_writer.py)."""

from __future__ import annotations

import pytest

from channels.keys import ChannelKeys
from channels.store import ConversationStore, drop_conversation
from crisis.context import Context
from crisis.errors import InvalidTransition
from crisis.lifecycle import ConversationAction
from crisis.types import ChannelKind, ConversationStatus, EventType, InboundMessage, utcnow


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


async def test_a_transition_from_the_status_read_writes_what_the_watched_one_does(
        ctx: Context) -> None:
    """The inbound pipeline's one-round-trip transition: the same status, listings,
    transition line and event as `transition`."""
    store = _store(ctx)
    held = await store.get(await _conversation(store))
    after = await store.transition_from(held, ConversationAction.AUTO_ANSWER,
                                        actor="knowledge-base", tags='["surge"]')
    stored = await store.get(held.id)
    assert after.status is stored.status is ConversationStatus.AUTO_ANSWERED
    assert stored.tags == ("surge",)
    assert await ctx.redis.zscore(store.k.by_status("auto-answered"), held.id) is not None
    assert await ctx.redis.zscore(store.k.by_status("new"), held.id) is None
    [line] = await ctx.redis.lrange(store.k.transitions(held.id), 0, -1)
    assert line.startswith("auto-answered ")
    event = (await ctx.bus.read_all())[-1]
    assert (event.type, event.subject, event.actor) == (
        EventType.CONVERSATION_AUTO_ANSWERED, held.id, "knowledge-base")
    assert (event.data["previous"], event.data["status"]) == ("new", "auto-answered")


async def test_a_transition_from_a_status_changed_meanwhile_is_decided_again(
        ctx: Context) -> None:
    """Read new, closed by an operator before the pipeline answered: nothing is written
    from the stale status, and the refusal names the status it is in now."""
    store = _store(ctx)
    held = await store.get(await _conversation(store))
    await store.transition(held.id, ConversationAction.CLOSE, actor="alice")
    events = len(await ctx.bus.read_all())
    with pytest.raises(InvalidTransition, match="closed"):
        await store.transition_from(held, ConversationAction.AUTO_ANSWER, actor="knowledge-base")
    assert (await store.get(held.id)).status is ConversationStatus.CLOSED
    assert len(await ctx.bus.read_all()) == events
    # Queued meanwhile: the move is allowed from there too, and made from the real status.
    other = await store.get(await _conversation(store, "SMs2", "+33611111111"))
    await store.transition(other.id, ConversationAction.QUEUE, actor="router")
    await store.transition_from(other, ConversationAction.CLOSE, actor="citizen")
    assert (await store.get(other.id)).status is ConversationStatus.CLOSED
    assert await ctx.redis.zscore(store.k.by_status("queued"), other.id) is None


@pytest.mark.parametrize("budget", [2, 5000])
async def test_paging_lists_each_conversation_once_when_several_share_a_change_time(
        ctx: Context, budget: int) -> None:
    """A batch handled with one clock reading gives its conversations one score: paging
    through them, by small pages or a small scan budget, must neither skip nor repeat one."""
    store = _store(ctx)
    ids = [await _conversation(store, f"SMt{n}", f"+3361222000{n}") for n in range(7)]
    await ctx.redis.zadd(store.k.conversations, {i: 1_700_000_000.5 for i in ids[1:6]})
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        items, total, cursor = await store.page(status=None, channel=None, limit=2,
                                                cursor=cursor, scan_budget=budget)
        assert total == 7
        seen += [c.id for c in items]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7
