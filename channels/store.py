"""Conversations and their messages in Redis: receive (deduplicated), transition, read.

`receive` is one Lua script (channels/store_receive.lua): drop a provider's retry, find the
citizen's open conversation on that channel (or open one), append the message. So a message
acknowledged to the provider is always stored, and stored once, whichever web process got it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import msgspec
import redis.asyncio as aioredis

from channels.addresses import citizen_id, mask
from channels.conversation_hints import ConversationHints
from channels.keys import ChannelKeys
from channels.paging import PageCursor
from channels.pipelined_script import PipelinedScript
from channels.service_levels import Count
from crisis.errors import Busy, Conflict, InvalidTransition, NotFound
from crisis.events import CONVERSATION_BACKLOG_LIMIT, EventBus, make_event
from crisis.lifecycle import (
    EVENT_FOR_CONVERSATION_ACTION, ConversationAction, next_conversation_status,
)
from crisis.lua_scripts import lua_source, register_lua
from crisis.metrics import INBOUND_REFUSED_BACKLOG as REFUSED_BACKLOG
from crisis.rate_limits import Verdict
from crisis.transactions import watched_update
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, DeliveryStatus, Direction, EventType,
    InboundMessage, Message, utcnow,
)

SEEN_TTL_S = 7 * 24 * 3600
# An event is redelivered within minutes (a consumer's pending entries after a failover).
HANDLED_TTL_S = 24 * 3600
LOOKBACK = 10  # messages read from the end before reading a whole conversation
DEFAULT_WINDOW_S = 24 * 3600
SCAN_BUDGET = 5000  # conversations read at most per listing request (see page)
RECEIVE_ATTEMPTS = 3  # a stale hint costs one more; a third is a race lost twice
# A message refused because the pipeline is far behind: a minute's backlog drains in about as
# long, and a provider's retry sooner would only be refused again.
BACKLOG_RETRY_AFTER_S = 30

# The citizen messages' order (channels/inbound_order.py): message n is handled once n - 1
# is marked done. The mark only moves forward, and never recreates a purged conversation.
INBOUND_DONE_FIELD = "inbound_done"
# The id of the message that confirms a citizen's STOP: the one message that may still go
# to them once they opted out (see ConversationStore.may_send).
OPT_OUT_NOTICE_FIELD = "opt_out_notice"

_OPTIONAL_TIMES = ("first_human_reply_at", "closed_at")


@dataclasses.dataclass(frozen=True)
class ReplyFacts:
    """What the reply job reads before sending one outbound message (reply_facts)."""

    conversation: Conversation
    message: Message
    may_send: bool  # False once the citizen sent STOP, except for the STOP's confirmation
    address: str
    thread: dict[str, str]
    index: int  # the message's place in the conversation's list (for set_delivery)


@dataclasses.dataclass(frozen=True, slots=True)
class InboundView:
    """What handling one citizen message starts from (`inbound_views`)."""

    conversation: Conversation
    message: Message | None  # None: not among the last LOOKBACK messages (or no such message)
    handled: bool  # the pipeline handled it already (its handled mark)
    done: int  # the rank of the conversation's last inbound message handled (inbound_order)


@dataclasses.dataclass(frozen=True)
class Received:
    conversation_id: str
    message: Message
    created: bool


@dataclasses.dataclass(frozen=True, slots=True)
class SenderLimit:
    """At most `limit` messages per `window_s` from one sender on one scope, counted by the
    receive script itself (`receive_within`): a webhook's limit and store are one round trip,
    not two. The counter is the one crisis/rate_limits.py keeps (`ChannelKeys.limit`)."""

    scope: str  # the adapter's kind: "sms", ...
    limit: int
    window_s: int
    exempt: bool = False  # counted, but stored even over the limit (STOP and START are heard)


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def choices_fields(choices: Iterable[str] = ()) -> dict[str, str]:
    """The conversation hash's field for the queue notice's menu (`decode_conversation` reads
    it), to write with a transition; no `choices`: the menu dropped."""
    return {"choices": json.dumps(list(choices))}


def decode_conversation(fields: dict[str, str]) -> Conversation:
    if not fields:
        raise NotFound("no such conversation")
    data: dict[str, Any] = dict(fields)
    data["tags"] = json.loads(data.get("tags") or "[]")
    data["choices"] = json.loads(data.get("choices") or "[]")
    data["priority"] = int(data.get("priority") or 0)
    data["updated_at"] = dt.datetime.fromtimestamp(float(data["updated_at"]), dt.timezone.utc)
    data["operator"] = data.get("operator") or None
    data["area"] = data.get("area") or None
    for name in _OPTIONAL_TIMES:
        data[name] = data.get(name) or None
    return msgspec.convert(data, Conversation, strict=False)


class ConversationStore:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys, bus: EventBus, secret: bytes,
                 window_s: int = DEFAULT_WINDOW_S) -> None:
        self.redis = redis
        self.k = keys
        self.bus = bus
        self.secret = secret
        self.window_s = window_s
        self._receive = PipelinedScript(redis, lua_source(
            "channels", "crisis:window_hit.lua", "store_receive.lua"))
        self._add_outbound = register_lua(redis, "channels", "store_add_outbound.lua")
        # The same script alone (not in a transaction): every automatic reply, pipelined.
        self._add_outbound_alone = PipelinedScript(
            redis, lua_source("channels", "store_add_outbound.lua"))
        self._mark_inbound_done = register_lua(redis, "channels", "inbound_order_mark_done.lua")
        self._finish_inbound = PipelinedScript(redis, lua_source(
            "channels", "inbound_order_mark_done.lua", "inbound_finish.lua"))
        self._transition_from = PipelinedScript(
            redis, lua_source("channels", "store_transition_from.lua"))
        self._inbound_view = PipelinedScript(redis, lua_source("channels", "store_inbound_view.lua"))
        self._hints = ConversationHints()
        # KEYS 5-7 of the receive script: the events stream, every conversation, the new ones.
        stream = bus.stream_for(EventType.CONVERSATION_MESSAGE_RECEIVED)
        self._receive_cap = bus.maxlen_of(stream)
        self._receive_keys = [stream,
                              keys.conversations,
                              keys.by_status(ConversationStatus.NEW.value)]

    async def receive(self, inbound: InboundMessage, *, bounded: bool = True) -> Received | None:
        """Store an inbound message and announce it; None if the provider already delivered
        it (a retry). One round trip, the hot path of every channel; two when this process's
        hint of the citizen's conversation is missing or stale (channels/conversation_hints.py).
        Busy, nothing stored, when the pipeline's backlog is at its bound (a message whose
        sender can try again: `bounded`; a spooled message, already acknowledged, or a
        caller's words in a call are stored whatever the backlog), or in the unlikely case
        the address changed conversation at every attempt."""
        received = await self.receive_within(inbound, None, bounded=bounded)
        assert not isinstance(received, Verdict)  # only a limit refuses
        return received

    async def receive_within(self, inbound: InboundMessage, limit: SenderLimit | None, *,
                             bounded: bool = True) -> Received | Verdict | None:
        """`receive`, with the sender's `limit` counted in the same script: the refusal's
        Verdict (nothing stored) when the sender is over it and not exempt."""
        citizen = citizen_id(self.secret, inbound.address)
        now = inbound.received_at
        random = secrets.token_hex(12)  # one system call for both ids
        message = Message(id="m" + random[:12], direction=Direction.INBOUND, text=inbound.text,
                          at=now, author="citizen", provider_id=inbound.provider_id,
                          attachments=inbound.attachments, thread=inbound.thread,
                          answered=inbound.answered)
        fresh = "c" + random[12:]
        fields = {"id": fresh, "channel": inbound.channel.value, "citizen": citizen,
                  "address_masked": mask(inbound.channel, inbound.address),
                  "status": ConversationStatus.NEW.value, "lang": inbound.lang, "tags": "[]",
                  "priority": "0", "created_at": _iso(now), "updated_at": str(now.timestamp())}
        event = msgspec.json.encode(make_event(
            EventType.CONVERSATION_MESSAGE_RECEIVED, actor="citizen", subject="@@ID@@",
            channel=inbound.channel.value, new="@@NEW@@", message=message.id, seq="@@SEQ@@"))
        address = self.k.address(inbound.channel.value, citizen)
        keys = [self.k.seen(inbound.channel.value, inbound.provider_id), address,
                self.k.citizen(citizen), self.k.citizen_conversations(citizen),
                *self._receive_keys, self.k.conversation(fresh), self.k.messages(fresh)]
        counter = [self.k.limit(limit.scope, citizen)] if limit is not None else []
        args: list[str | bytes | int | float] = [
            SEEN_TTL_S, fresh, self.window_s, now.timestamp(), msgspec.json.encode(message),
            inbound.channel.value, inbound.address, event,
            CONVERSATION_BACKLOG_LIMIT if bounded else 0, "",
            limit.limit if limit is not None else 0, limit.window_s if limit is not None else 0,
            1 if limit is not None and limit.exempt else 0, self._receive_cap,
            *[item for pair in fields.items() for item in pair]]
        believed = self._hints.get(address)
        for _ in range(RECEIVE_ATTEMPTS):
            args[9] = believed
            extra = [self.k.conversation(believed), self.k.messages(believed)] if believed else []
            result = await self._receive(keys + extra + counter, args)
            if len(result) == 6:  # the pipeline too far behind: nothing written
                REFUSED_BACKLOG.labels(inbound.channel.value).inc()
                raise Busy(f"{int(result[5])} events wait for the pipeline: try again shortly",
                           retry_after_s=BACKLOG_RETRY_AFTER_S)
            if len(result) == 5 and limit is not None:  # over the limit: nothing written
                return Verdict(False, int(result[3]), max(1, int(result[4])), limit.limit)
            if len(result) < 3:
                break
            believed = str(result[2])  # the address is in another conversation: its keys
        else:  # the address changed conversation at every attempt: a race, tried again later
            raise Busy("the conversation changed while the message was stored", retry_after_s=1)
        conversation_id, created = result[0], result[1]
        if not conversation_id:
            return None
        self._hints.remember(address, str(conversation_id))
        return Received(str(conversation_id), message, bool(created))

    async def get(self, conversation_id: str) -> Conversation:
        fields = await self.redis.hgetall(self.k.conversation(conversation_id))
        if not fields:
            raise NotFound(f"no conversation {conversation_id!r}")
        return decode_conversation(cast(dict[str, str], fields))

    async def messages(self, conversation_id: str) -> list[Message]:
        raws = await self.redis.lrange(self.k.messages(conversation_id), 0, -1)
        return [msgspec.json.decode(r, type=Message) for r in raws]

    async def last_citizen_message(self, conversation_id: str,
                                   message_id: str | None = None) -> Message | None:
        """The citizen's latest message, or the one with `message_id`, read from the end: the
        hot path must not load a long conversation to find it (nearly always among the last few)."""
        key = self.k.messages(conversation_id)
        found = _citizen_message(await self.redis.lrange(key, -LOOKBACK, -1), message_id)
        return found or _citizen_message(await self.redis.lrange(key, 0, -1), message_id)

    async def inbound_view(self, conversation_id: str, message_id: str | None, *,
                           check_handled: bool = True,
                           ) -> tuple[Conversation, Message | None, bool]:
        """What handling citizen message `message_id` (default: the latest) starts from, in
        one round trip: the conversation, the message (read from the last LOOKBACK messages;
        the whole list only when it is older) and, with `check_handled`, whether the pipeline
        handled it already (else False; the watch reads messages without it). NotFound when
        the conversation is gone."""
        key = self.k.messages(conversation_id)
        asked = message_id is not None and check_handled
        pairs, recent, handled = await self._inbound_view(
            [self.k.conversation(conversation_id), key,
             *([self.k.handled(message_id)] if asked and message_id is not None else [])],
            [LOOKBACK])
        if not pairs:
            raise NotFound(f"no conversation {conversation_id!r}")
        conversation = decode_conversation(dict(zip(pairs[::2], pairs[1::2])))
        last = _citizen_message(recent, message_id)
        if last is None and len(recent) >= LOOKBACK:
            last = _citizen_message(await self.redis.lrange(key, 0, -1), message_id)
        if last is None or not check_handled:
            return conversation, last, False
        # Without an id the script could not look the mark up: one more read.
        done = bool(handled) if asked else await self.handled(last.id)
        return conversation, last, done

    async def inbound_views(self, wanted: Sequence[tuple[str, str]]
                            ) -> list[InboundView | None]:
        """`inbound_view` of many (conversation, message id) pairs, their calls written
        together (one round trip for an events batch), with each conversation's done mark;
        None for a conversation that is gone. A message older than the last LOOKBACK ones is
        not looked for further (None): the one-at-a-time path reads the whole list."""
        replies = await self._inbound_view.many([
            ([self.k.conversation(conversation_id), self.k.messages(conversation_id),
              self.k.handled(message_id)], [LOOKBACK]) for conversation_id, message_id in wanted])
        views: list[InboundView | None] = []
        for (_, message_id), (pairs, recent, handled) in zip(wanted, replies):
            if not pairs:
                views.append(None)
                continue
            fields = dict(zip(pairs[::2], pairs[1::2]))
            views.append(InboundView(decode_conversation(fields),
                                     _citizen_message(recent, message_id), bool(handled),
                                     int(fields.get(INBOUND_DONE_FIELD) or 0)))
        return views

    async def citizen_turn(self, conversation_id: str) -> list[Message]:
        """The citizen's messages since an operator last wrote, oldest first, the conversation's
        latest replies (the one just sent, automatic ones) aside: "bonjour", "ya de l'eau dans
        la cave", "svp" is one turn. Read from the last LOOKBACK messages only."""
        raws = await self.redis.lrange(self.k.messages(conversation_id), -LOOKBACK, -1)
        turn: list[Message] = []
        for raw in reversed(raws):
            message = msgspec.json.decode(raw, type=Message)
            if message.author == "citizen":
                turn.append(message)
            elif message.author != "auto" and turn:
                break  # an operator's earlier answer: the turn starts after it
        return turn[::-1]

    async def address_of(self, conversation: Conversation) -> str:
        """The raw address to reply to (read only when sending)."""
        raw = await self.redis.hget(self.k.citizen(conversation.citizen),
                                    conversation.channel.value)
        if raw is None:
            raise NotFound("the citizen's address was purged")
        return str(raw)

    @staticmethod
    def outbound_message(text: str, author: str, article_id: str | None = None,
                         message_id: str | None = None,
                         status: DeliveryStatus = DeliveryStatus.QUEUED) -> Message:
        """A new outbound message, not yet recorded (add_outbound or transition record it)."""
        return Message(id=message_id or new_id("m"), direction=Direction.OUTBOUND, text=text,
                       at=utcnow(), author=author, status=status, article_id=article_id)

    async def add_outbound(self, conversation_id: str, text: str, author: str,
                           article_id: str | None = None, message_id: str | None = None,
                           status: DeliveryStatus = DeliveryStatus.QUEUED) -> Message:
        """Append an outbound message and remember its index (see set_delivery). With a
        `message_id` already recorded, nothing is added (a redelivered inbound event).
        `status` SENT records one the citizen already got (degraded mode's instant answer)."""
        message = self.outbound_message(text, author, article_id, message_id, status)
        await self.add_outbound_many([(conversation_id, message)])
        return message

    async def add_outbound_many(self, messages: Sequence[tuple[str, Message]]) -> None:
        """`add_outbound` of many (conversation id, message built by `outbound_message`),
        written together: one round trip."""
        await self._add_outbound_alone.many([
            ([self.k.messages(conversation_id), self.k.outbound_index(conversation_id)],
             [msgspec.json.encode(message), message.id]) for conversation_id, message in messages])

    async def handled(self, message_id: str) -> bool:
        """Whether the inbound pipeline already handled citizen message `message_id`."""
        return bool(await self.redis.exists(self.k.handled(message_id)))

    async def finish_inbound(self, conversation_id: str, message_id: str, seq: int,
                             counts: Sequence[Count] = ()) -> None:
        """Citizen message `message_id` (rank `seq`, 0: unnumbered) is handled: its handled
        mark and what `mark_inbound_done` writes, and `counts` added, in one round trip
        (inbound_order_mark_done.lua then inbound_finish.lua, pipelined)."""
        await self.finish_inbound_many([(conversation_id, message_id, seq, counts)])

    async def finish_inbound_many(self, finished: Sequence[tuple[str, str, int, Sequence[Count]]]
                                  ) -> None:
        """`finish_inbound` of many (conversation id, message id, seq, counts), written
        together: one round trip."""
        calls = []
        for conversation_id, message_id, seq, counts in finished:
            keys = [self.k.conversation(conversation_id), self.k.handled(message_id)]
            args: list[str | bytes | int | float] = [seq, INBOUND_DONE_FIELD, HANDLED_TTL_S]
            for count in counts:
                keys.append(count.key)
                args += [count.field, count.amount,
                         "int" if isinstance(count.amount, int) else "float", count.ttl_s]
            calls.append((keys, args))
        await self._finish_inbound.many(calls)

    async def _index_of(self, conversation_id: str, message_id: str) -> int | None:
        """The outbound message's index in its list (written by add_outbound), one hash read."""
        raw = await self.redis.hget(self.k.outbound_index(conversation_id), message_id)
        return None if raw is None else int(raw)

    async def set_delivery(self, conversation_id: str, message_id: str,
                           status: DeliveryStatus, provider_id: str = "", *,
                           index: int | None = None, sending_mark: str | None = None) -> None:
        """Record a delivery status (and the provider's id) on an outbound message.

        Constant time: the index written by add_outbound points at the message (`index`, when
        the caller read it already: ReplyFacts.index); the update is an optimistic
        transaction, so two receipts at once (sent, delivered) both land. `sending_mark`
        (channels/outbound.py) is deleted in the same transaction: the status and the end of
        the provider call are recorded together."""
        if index is None:
            index = await self._index_of(conversation_id, message_id)
        if index is None:
            if sending_mark is not None:
                await self.redis.delete(sending_mark)
            return
        key = self.k.messages(conversation_id)
        at = index

        async def step(pipe: aioredis.client.Pipeline) -> None:
            raw = await pipe.lindex(key, at)
            message = None if raw is None else msgspec.json.decode(raw, type=Message)
            pipe.multi()  # type: ignore[no-untyped-call]
            if sending_mark is not None:
                pipe.delete(sending_mark)
            if message is None or message.id != message_id:
                return  # purged (and maybe rebuilt): nothing to update
            updated = msgspec.structs.replace(
                message, status=status, provider_id=provider_id or message.provider_id)
            pipe.lset(key, at, msgspec.json.encode(updated).decode())
            if provider_id:
                pipe.set(self.k.provider(provider_id), f"{conversation_id}|{message_id}",
                         ex=SEEN_TTL_S)

        await watched_update(self.redis, key, step)

    async def delivery_by_provider(self, provider_id: str, status: DeliveryStatus) -> bool:
        """A provider's receipt: find the message by the provider's id and record it."""
        ref = await self.redis.get(self.k.provider(provider_id))
        if ref is None:
            return False
        conversation_id, _, message_id = str(ref).partition("|")
        await self.set_delivery(conversation_id, message_id, status)
        return True

    async def transition(self, conversation_id: str, action: ConversationAction, *,
                         actor: str, **fields: str) -> Conversation:
        """Move a conversation through its lifecycle (optimistic transaction) with an event."""
        return await self.checked_transition(conversation_id, action, actor=actor, fields=fields)

    async def transition_from(self, conversation: Conversation, action: ConversationAction, *,
                              actor: str, **fields: str) -> Conversation:
        """`transition` of a conversation the caller read in `conversation.status`, in one
        round trip (the inbound pipeline's hot path): a script writes it only while the
        conversation is still in that status. When it changed meanwhile, or the move is not
        allowed from the status read, `transition` decides (InvalidTransition, NotFound)."""
        try:
            next_conversation_status(conversation.status, action)
        except InvalidTransition:
            return await self.transition(conversation.id, action, actor=actor, **fields)
        written = await self.transition_if_unchanged(conversation, action, actor=actor,
                                                     **fields)
        if written is None:
            return await self.transition(conversation.id, action, actor=actor, **fields)
        return written

    async def transition_if_unchanged(self, conversation: Conversation,
                                      action: ConversationAction, *, actor: str,
                                      **fields: str) -> Conversation | None:
        """The script of `transition_from` alone: the conversation moved and returned, or None
        when it is no longer in the status read (nothing written). InvalidTransition when the
        move is not allowed from the status read."""
        [moved] = await self.transitions_if_unchanged([(conversation, action, actor, fields)])
        return moved

    async def transitions_if_unchanged(
        self, moves: Sequence[tuple[Conversation, ConversationAction, str, dict[str, str]]],
    ) -> list[Conversation | None]:
        """`transition_if_unchanged` of many (conversation, action, actor, fields), written
        together: one round trip."""
        calls = []
        moved: list[Conversation] = []
        for conversation, action, actor, fields in moves:
            status = next_conversation_status(conversation.status, action)
            now = utcnow()
            event_type = EVENT_FOR_CONVERSATION_ACTION[action]
            stream = self.bus.stream_for(event_type)
            event = msgspec.json.encode(make_event(
                event_type, actor=actor, subject=conversation.id,
                channel=conversation.channel.value, status=status.value,
                previous=conversation.status.value))
            mapping = {"status": status.value, "updated_at": str(now.timestamp()), **fields}
            calls.append((
                [self.k.conversation(conversation.id), self.k.conversations,
                 self.k.by_status(conversation.status.value), self.k.by_status(status.value),
                 self.k.transitions(conversation.id), stream],
                [conversation.status.value, conversation.id, now.timestamp(),
                 f"{status.value} {_iso(now)}", event, self.bus.maxlen_of(stream),
                 *[item for pair in mapping.items() for item in pair]]))
            moved.append(msgspec.structs.replace(conversation, status=status, updated_at=now))
        written = await self._transition_from.many(calls)
        return [after if done else None for after, done in zip(moved, written)]

    async def checked_transition(
        self, conversation_id: str, action: ConversationAction, *, actor: str,
        fields: dict[str, str], guard: Callable[[Conversation], object] | None = None,
        outbound: Message | None = None, latest_seq: int | None = None,
        also: Callable[[aioredis.client.Pipeline], None] | None = None,
    ) -> Conversation:
        """`transition` writing `fields`, where `guard` sees the conversation as it is inside
        the transaction and may raise to refuse (nothing is written), and `outbound` is a
        message appended in the same transaction: recorded if and only if the transition was
        allowed (InvalidTransition otherwise) and the guard let it through. With `latest_seq`,
        Conflict unless the citizen's latest message is still that one (its rank,
        channels/inbound_order.py); `also` queues other writes in the same transaction (the
        router's removal from the queue: `Router.dequeue_in`)."""
        key = self.k.conversation(conversation_id)

        async def step(pipe: aioredis.client.Pipeline) -> Conversation:
            raw = cast(dict[str, str], await pipe.hgetall(key))
            before = decode_conversation(raw)
            status = next_conversation_status(before.status, action)
            if guard is not None:
                guard(before)
            if latest_seq is not None and int(raw.get("inbound_seq") or 0) != latest_seq:
                raise Conflict("the citizen wrote again meanwhile")
            now = utcnow()
            pipe.multi()  # type: ignore[no-untyped-call]
            if also is not None:
                also(pipe)
            if outbound is not None:
                await self._add_outbound(
                    keys=[self.k.messages(conversation_id), self.k.outbound_index(conversation_id)],
                    args=[msgspec.json.encode(outbound), outbound.id], client=pipe)
            mapping = {"status": status.value, "updated_at": str(now.timestamp()), **fields}
            pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
            pipe.zadd(self.k.conversations, {conversation_id: now.timestamp()})
            pipe.zrem(self.k.by_status(before.status.value), conversation_id)
            pipe.zadd(self.k.by_status(status.value), {conversation_id: now.timestamp()})
            pipe.rpush(self.k.transitions(conversation_id), f"{status.value} {_iso(now)}")
            self.bus.add_to(pipe, make_event(
                EVENT_FOR_CONVERSATION_ACTION[action], actor=actor,
                subject=conversation_id, channel=before.channel.value,
                status=status.value, previous=before.status.value))
            return msgspec.structs.replace(before, status=status, updated_at=now)

        return await watched_update(self.redis, key, step)

    async def page(self, *, status: str | None, channel: ChannelKind | None, limit: int,
                   cursor: PageCursor | None,
                   visible: Callable[[Conversation], bool] | None = None,
                   scan_budget: int = SCAN_BUDGET,
                   ) -> tuple[list[Conversation], int, PageCursor | None]:
        """Newest first; `cursor` is where the previous page's scan stopped (channels/paging.py).

        `visible` leaves out what the caller may not see (channels/access.py). At most
        `scan_budget` conversations are read per call, whatever the filters leave: a page
        may then hold fewer than `limit` items and still have a next cursor (the place the
        scan stopped), so a narrow filter over a long history costs bounded work per request.
        """
        key = self.k.by_status(status) if status else self.k.conversations
        total = int(await self.redis.zcard(key))
        # The scan's position: the score it stands at and how many members at that exact
        # score it has passed. The range's upper bound is inclusive, the passed ones skipped.
        at: float | str = "+inf" if cursor is None else cursor.score
        passed = 0 if cursor is None else cursor.skip
        found: list[Conversation] = []
        scanned = 0
        while len(found) < limit and scanned < scan_budget:
            batch = cast(list[tuple[str, float]], await self.redis.zrevrangebyscore(
                key, at, "-inf", start=passed, num=min(limit * 2, scan_budget - scanned),
                withscores=True))
            if not batch:
                return found, total, None
            async with self.redis.pipeline(transaction=False) as pipe:
                for member, _score in batch:
                    pipe.hgetall(self.k.conversation(str(member)))
                rows = await pipe.execute()
            for (member, score), fields in zip(batch, rows):
                if score == at:
                    passed += 1
                else:
                    at, passed = float(score), 1
                scanned += 1
                if not fields:
                    continue  # purged between the two reads
                conversation = decode_conversation(fields)
                if (channel is None or conversation.channel is channel) and \
                        (visible is None or visible(conversation)):
                    found.append(conversation)
                    if len(found) == limit:
                        break
        # Stopped on a full page or on the budget: more may follow from where the scan stopped.
        if isinstance(at, str) or await self.redis.zcount(key, "-inf", at) <= passed:
            return found, total, None
        return found, total, PageCursor(at, passed)

    # Every other write to a conversation's keys is one of the methods below: nothing outside
    # this class writes them (tests/channels/test_store_is_the_only_writer.py checks), except
    # the router's scripts, which set `operator` and `cost` atomically with the operator's load.

    async def fields(self, conversation_id: str) -> dict[str, str]:
        """The conversation's raw hash: the fields `Conversation` leaves out too
        (transfer_note...); empty when there is no such conversation."""
        return cast(dict[str, str], await self.redis.hgetall(self.k.conversation(conversation_id)))

    async def set_choices(self, conversation_id: str, choices: tuple[str, ...]) -> None:
        """Replace the articles the conversation's queue notice offers, without a transition
        (channels/desk.py, `Desk.release_notice`)."""
        await self.redis.hset(self.k.conversation(conversation_id),
                              mapping=choices_fields(choices))  # type: ignore[arg-type]

    async def set_tags(self, conversation_id: str, tags: list[str] | tuple[str, ...],
                       topic: str | None = None) -> None:
        """Replace the conversation's tags (and its topic, when given), without a transition."""
        mapping = {"tags": json.dumps(list(tags))}
        if topic is not None:
            mapping["topic"] = topic
        await self.redis.hset(self.k.conversation(conversation_id),
                              mapping=mapping)  # type: ignore[arg-type]

    async def guess_topic(self, conversation: Conversation, topic: str) -> Conversation:
        """The conversation with `topic`, stored unless it has a topic already (an operator's
        choice made meanwhile wins: the conversation is then read again)."""
        if not await self.redis.hsetnx(self.k.conversation(conversation.id), "topic", topic):
            return await self.get(conversation.id)
        return msgspec.structs.replace(conversation, topic=topic)

    async def guess_topics(self, guesses: Sequence[tuple[str, str]]) -> None:
        """`guess_topic` of many (conversation id, topic) pairs, in one round trip, for
        callers that do not read the conversation again (an operator's topic set meanwhile
        wins all the same)."""
        if not guesses:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, topic in guesses:
                pipe.hsetnx(self.k.conversation(conversation_id), "topic", topic)
            await pipe.execute()

    async def claim_wait_update(self, conversation_id: str, interval_s: int) -> bool:
        """True at most once per `interval_s` per conversation, across all processes: paces
        the queue-position updates sent to a waiting citizen."""
        return bool(await self.redis.set(self.k.wait_update(conversation_id), "1", nx=True,
                                         ex=interval_s))

    async def inbound_done(self, conversation_id: str) -> int:
        """The rank of the last citizen message marked handled (0: none)."""
        return int(await self.redis.hget(self.k.conversation(conversation_id),
                                         INBOUND_DONE_FIELD) or 0)

    async def mark_inbound_done(self, conversation_id: str, seq: int) -> None:
        """Citizen message `seq` is handled (the mark only moves forward)."""
        await self._mark_inbound_done(keys=[self.k.conversation(conversation_id)],
                                      args=[seq, INBOUND_DONE_FIELD])

    async def opted_out(self, citizen: str) -> bool:
        """Whether the citizen sent STOP (and not START since)."""
        return bool(await self.redis.sismember(self.k.optout, citizen))

    async def set_opted_out(self, citizen: str, opted_out: bool) -> None:
        if opted_out:
            await self.redis.sadd(self.k.optout, citizen)
        else:
            await self.redis.srem(self.k.optout, citizen)

    async def add_opt_out_notice(self, conversation_id: str, text: str, author: str) -> Message:
        """Append the message that confirms the citizen's STOP, marked as the one message that
        may still go to them (may_send), in one transaction: the mark is there before the
        message can be handed to its channel."""
        message = self.outbound_message(text, author)
        async with self.redis.pipeline(transaction=True) as pipe:
            await self._add_outbound(
                keys=[self.k.messages(conversation_id), self.k.outbound_index(conversation_id)],
                args=[msgspec.json.encode(message), message.id], client=pipe)
            pipe.hset(self.k.conversation(conversation_id), OPT_OUT_NOTICE_FIELD, message.id)
            await pipe.execute()
        return message

    async def may_send(self, conversation: Conversation, message_id: str) -> bool:
        """False when the citizen opted out (STOP), for every message but the one that
        confirms it (add_opt_out_notice): what every outbound path asks before sending."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sismember(self.k.optout, conversation.citizen)
            pipe.hget(self.k.conversation(conversation.id), OPT_OUT_NOTICE_FIELD)
            opted_out, notice = await pipe.execute()
        return not opted_out or notice == message_id

    async def reply_facts(self, conversation_id: str, message_id: str) -> ReplyFacts:
        """What sending outbound message `message_id` needs, in two round trips: the
        conversation, the message, whether it may go (STOP), the address, and the thread of
        the citizen's latest message (an e-mail's Message-ID). NotFound when purged."""
        [facts] = await self.reply_facts_many([(conversation_id, message_id)])
        if facts is None:
            raise NotFound(f"no outbound message {message_id!r} in {conversation_id!r}")
        return facts

    async def reply_facts_many(self, replies: list[tuple[str, str]]
                               ) -> list[ReplyFacts | None]:
        """`reply_facts` of many (conversation, message) pairs in the same two round trips
        (a reply consumer's batch); None for one purged meanwhile."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, message_id in replies:
                pipe.hgetall(self.k.conversation(conversation_id))
                pipe.hget(self.k.outbound_index(conversation_id), message_id)
                pipe.lrange(self.k.messages(conversation_id), -LOOKBACK, -1)
            first = await pipe.execute()
        found: dict[int, tuple[dict[str, str], int, list[str], Conversation]] = {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for n, (conversation_id, _) in enumerate(replies):
                fields, index, recent = first[3 * n:3 * n + 3]
                if not fields or index is None:
                    continue
                conversation = decode_conversation(cast(dict[str, str], fields))
                found[n] = (fields, int(index), recent, conversation)
                pipe.lindex(self.k.messages(conversation_id), int(index))
                pipe.sismember(self.k.optout, conversation.citizen)
                pipe.hget(self.k.citizen(conversation.citizen), conversation.channel.value)
            second = await pipe.execute() if found else []
        facts: list[ReplyFacts | None] = [None] * len(replies)
        for at, (n, (fields, index, recent, conversation)) in enumerate(found.items()):
            raw, opted_out, address = second[3 * at:3 * at + 3]
            message_id = replies[n][1]
            if raw is None or address is None:
                continue  # the conversation or the citizen's address was purged
            message = msgspec.json.decode(raw, type=Message)
            if message.id != message_id:
                continue
            thread: dict[str, str] = {}
            for item in reversed(recent):
                earlier = msgspec.json.decode(item, type=Message)
                if earlier.author == "citizen":
                    thread = earlier.thread
                    break
            may_send = not opted_out or fields.get(OPT_OUT_NOTICE_FIELD) == message_id
            facts[n] = ReplyFacts(conversation, message, may_send, str(address), thread, index)
        return facts

    async def oldest_change(self, status: ConversationStatus) -> float | None:
        """When the longest-unchanged conversation in `status` last changed (epoch s)."""
        oldest = await self.redis.zrange(self.k.by_status(status.value), 0, 0, withscores=True)
        return float(oldest[0][1]) if oldest else None


def _citizen_message(raws: list[Any], message_id: str | None) -> Message | None:
    """The latest citizen message among `raws`, or the one with `message_id`."""
    for raw in reversed(raws):
        message = msgspec.json.decode(raw, type=Message)
        if message.author == "citizen" and message_id in (None, message.id):
            return message
    return None


def drop_conversation(pipe: aioredis.client.Pipeline, keys: ChannelKeys,
                      conversation_id: str) -> None:
    """Queue on `pipe` the deletion of one conversation: its own keys (the hash, messages,
    transitions...) and its place in the listings (the retention purge, a citizen's erasure)."""
    pipe.delete(*keys.conversation_keys(conversation_id))
    pipe.zrem(keys.conversations, conversation_id)
    for status in ConversationStatus:
        pipe.zrem(keys.by_status(status.value), conversation_id)
