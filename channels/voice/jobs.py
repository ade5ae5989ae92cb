"""RQ jobs of the telephone: size a Twilio queue, call a citizen back, text a caller.

Outbound calls are paced to TWILIO_CALLS_PER_SECOND (Twilio's default for an account is one
call a second) by a per-second counter in Redis shared by every worker.
"""

from __future__ import annotations

from channels.answer_forms import fit_sms
from channels.addresses import citizen_id
from channels.keys import ChannelKeys
from channels.outbound import outbound_kit
from channels.pacing import Pacer
from channels.store import ConversationStore
from channels.voice.adapter import TwilioVoice
from channels.voice.calls import Calls
from channels.voice.twiml import VoiceUrls
from crisis.errors import ChannelError
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.metrics import CALLBACKS
from crisis.redis_client import async_redis, sync_redis
from crisis.secret_key import resolve_secret_key
from crisis.ports import Pace
from crisis.types import ChannelKind, OutboundMessage
from crisis.worker import worker_settings
from crisis.worker_context import WorkerContext, with_worker_context

def ensure_queue_job(name: str) -> str:
    """Create or resize Twilio queue `name` to CRISIS_VOICE_QUEUE_MAX; remember its sid."""
    settings, url = worker_settings()
    keys = ChannelKeys(Keys(settings.redis_prefix))
    sid = TwilioVoice(settings).ensure_queue(name, settings.voice_queue_max)
    client = sync_redis(url)
    try:
        client.hset(keys.voice_queues, name, sid)
    finally:
        client.close()
    return sid


async def place_callback_job(conversation_id: str, operator: str) -> str:
    """Call the citizen of a callback conversation; Twilio then asks our callback webhook
    for TwiML that puts them through to `operator`. Raises (RQ retries twice) when Twilio
    is busy or unreachable."""
    settings, url = worker_settings()
    keys = ChannelKeys(Keys(settings.redis_prefix))
    client = async_redis(url)
    try:
        store = ConversationStore(client, keys, EventBus(client, keys.keys),
                                  resolve_secret_key(settings))
        calls = Calls(client, keys)
        conversation = await store.get(conversation_id)
        to = await store.address_of(conversation)
        facts = await calls.facts(conversation_id)
        attempts = int(facts.get("callback_attempts") or 0) + 1
        # Every worker together, as replies are paced (channels/pacing.py).
        await Pacer(client, keys).wait([Pace("calls", settings.twilio_calls_per_second)])
        urls = VoiceUrls(settings.base_url)
        try:
            sid = TwilioVoice(settings).place_call(
                to, urls.url("callback", lang=conversation.lang, conversation=conversation_id,
                             operator=operator),
                urls.url("status", conversation=conversation_id))
        except ChannelError as err:
            if err.retryable:
                raise
            CALLBACKS.labels("failed").inc()
            await calls.record_facts(conversation_id, callback="failed",
                                     callback_attempts=attempts)
            return f"failed: {err.message}"
        CALLBACKS.labels("placed").inc()
        await calls.count(callbacks_placed=1)
        await calls.record_facts(conversation_id, callback="placed", callback_sid=sid,
                                 callback_attempts=attempts)
        return sid
    finally:
        await client.aclose()


@with_worker_context
async def send_caller_sms_job(ctx: WorkerContext, to: str, text: str) -> str:
    """The instructions by SMS to a caller who has no conversation yet (menu option 2);
    never to a number that sent STOP. Through the worker's SMS adapter (channels/outbound.py)."""
    kit = outbound_kit(ctx)
    if await kit.store.opted_out(citizen_id(kit.store.secret, to)):
        return "opted-out"
    adapter = kit.adapters.get(ChannelKind.SMS)
    if adapter is None:
        return "no SMS channel"
    message = OutboundMessage(channel=ChannelKind.SMS, address=to, text=fit_sms(text),
                              conversation_id="", message_id="")
    await kit.pacer.wait(adapter.pacing(message))
    try:
        return await adapter.send(message)
    except ChannelError as err:
        if err.retryable:
            raise
        return f"failed: {err.message}"
