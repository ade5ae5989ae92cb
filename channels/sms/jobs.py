"""RQ jobs of the SMS channel: one outbound SMS, paced per sender, retried with backoff."""

from __future__ import annotations

import time

from channels.keys import ChannelKeys
from channels.sms.adapter import TwilioSms
from channels.store import ConversationStore
from crisis.errors import ChannelError
from crisis.events import EventBus
from crisis.worker import worker_settings
from crisis.keys import Keys
from crisis.redis_client import async_redis, sync_redis
from crisis.secret_key import resolve_secret_key
from crisis.types import DeliveryStatus

# Twilio queues what exceeds a number's rate (TWILIO_MESSAGES_PER_SECOND): a long code sends
# about 1 message/s, a short code or a Messaging Service with several numbers far more.
_PACE_TIMEOUT_S = 30.0


def _wait_for_slot(sender: str, keys: ChannelKeys, url: str, per_second: int) -> None:
    """A shared per-second counter in Redis paces every worker together for one sender."""
    client = sync_redis(url)
    deadline = time.monotonic() + _PACE_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            second = int(time.time())
            key = keys.send_rate(sender, second)
            count = client.incr(key)
            client.expire(key, 2)
            if int(count) <= per_second:
                return
            time.sleep(max(0.0, second + 1 - time.time()))
    finally:
        client.close()


async def send_sms_job(conversation_id: str, message_id: str, text: str) -> str:
    """Send one reply; raises (so RQ retries) when Twilio is busy or unreachable."""
    settings, url = worker_settings()
    keys = ChannelKeys(Keys(settings.redis_prefix))
    client = async_redis(url)
    try:
        store = ConversationStore(client, keys, EventBus(client, keys.keys),
                                  resolve_secret_key(settings))
        conversation = await store.get(conversation_id)
        to = await store.address_of(conversation)
        if not await store.may_send(conversation, message_id):  # STOP, its confirmation aside
            await store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
            return "opted-out"
        adapter = TwilioSms(settings)
        _wait_for_slot(adapter.sender, keys, url,
                       settings.twilio_messages_per_second)
        callback = f"{settings.base_url}/hooks/twilio/sms/status"
        try:
            sid = adapter.send_blocking(to, text, callback)
        except ChannelError as err:
            if not err.retryable:
                await store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
                return f"failed: {err.message}"
            raise
        await store.set_delivery(conversation_id, message_id, DeliveryStatus.SENT, sid)
        return sid
    finally:
        await client.aclose()
