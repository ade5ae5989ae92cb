"""The Web Push adapter against the stand-in push service over loopback: what it sends is
VAPID-signed for the endpoint's origin, encrypted (aes128gcm) to the browser's key, with a
TTL and a Topic, and decrypts to the alert; the service's answers become our errors."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from channels.push.adapter import SubscriptionGone, WebPush, topic_of
from channels.push.vapid import load_vapid_keys, vapid_subject
from crisis.errors import ChannelError
from crisis.settings import Settings, load_settings
from crisis.types import ChannelKind, OutboundMessage
from testbed.push_service import PushStandIn


@pytest.fixture
async def service() -> AsyncIterator[PushStandIn]:
    standin = PushStandIn()
    server = TestServer(standin.app(), host="127.0.0.1")
    await server.start_server()
    standin.base = str(server.make_url("")).rstrip("/")
    yield standin
    await server.close()


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings({**env, "CRISIS_MAIL_FROM": "Centre <alertes@crise.example.gouv.fr>",
                          "CRISIS_PUSH_CONCURRENCY": "3"})


@pytest.fixture
async def push(settings: Settings) -> AsyncIterator[WebPush]:
    adapter = WebPush(settings)
    yield adapter
    await adapter.aclose()


def alert(address: str, text: str = "Évacuez les quais bas.", message_id: str = "m1",
          **thread: str) -> OutboundMessage:
    return OutboundMessage(channel=ChannelKind.SMS, address=address, text=text,
                           conversation_id="broadcast-1", message_id=message_id, bulk=True,
                           thread=thread)


def address_of(service: PushStandIn, push: WebPush) -> str:
    """A stored address, as the API would store it (our endpoint check refuses http and
    loopback, so the stand-in's subscription is stored as the API's canonical form)."""
    sub = service.subscribe(push.keys.public_key).json()
    return json.dumps({"endpoint": sub["endpoint"], "keys": sub["keys"]}, sort_keys=True,
                      separators=(",", ":"))


async def test_an_alert_arrives_signed_encrypted_and_readable(
        service: PushStandIn, push: WebPush, settings: Settings) -> None:
    address = address_of(service, push)
    provider_id = await push.send(alert(address, title="Crue de la Seine",
                                        url="https://info-crise.example.gouv.fr/publications/p1/"))
    assert provider_id.startswith(service.base + "/message/")
    assert service.refusals == []
    [delivery] = service.deliveries
    assert delivery.payload == {"title": "Crue de la Seine", "body": "Évacuez les quais bas.",
                                "url": "https://info-crise.example.gouv.fr/publications/p1/",
                                "lang": "fr"}
    assert delivery.headers["TTL"] == str(settings.push_ttl_s)
    assert delivery.headers["Content-Encoding"] == "aes128gcm"
    assert delivery.headers["Urgency"] == "high"
    assert delivery.headers["Topic"] == topic_of(alert(address))
    assert delivery.headers["Authorization"].endswith(",k=" + push.keys.public_key)
    assert push.keys.subject == "mailto:alertes@crise.example.gouv.fr" == vapid_subject(settings)


async def test_the_key_pair_is_made_once_private_and_kept(settings: Settings) -> None:
    first = load_vapid_keys(settings)
    path = settings.data_dir / "vapid" / "private_key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_vapid_keys(settings).public_key == first.public_key
    assert len(first.public_key) == 87  # base64url of a 65-byte uncompressed P-256 point


async def test_a_resend_has_the_same_topic_and_another_message_another(
        service: PushStandIn, push: WebPush) -> None:
    address = address_of(service, push)
    await push.send(alert(address))
    await push.send(alert(address))
    await push.send(alert(address, message_id="m2"))
    topics = [d.headers["Topic"] for d in service.deliveries]
    assert topics[0] == topics[1] != topics[2]
    assert all(len(t) <= 32 for t in topics)


async def test_a_gone_subscription_says_so(service: PushStandIn, push: WebPush) -> None:
    address = address_of(service, push)
    service.gone.add(next(iter(service.subscriptions)))
    with pytest.raises(SubscriptionGone) as gone:
        await push.send(alert(address))
    assert gone.value.reason == "gone" and not gone.value.retryable
    unknown = address.replace("/push/s1-", "/push/nobody-")
    with pytest.raises(SubscriptionGone):
        await push.send(alert(unknown))


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_busy_service_is_retried_later(service: PushStandIn, push: WebPush,
                                                status: int) -> None:
    address = address_of(service, push)
    service.fail_next = [status]
    with pytest.raises(ChannelError) as busy:
        await push.send(alert(address))
    assert busy.value.retryable and not isinstance(busy.value, SubscriptionGone)
    assert busy.value.retry_after_s == (1.0 if status == 429 else 0.0)
    await push.send(alert(address))  # the next try goes through
    assert len(service.deliveries) == 1


async def test_a_subscription_made_for_another_key_is_refused_for_good(
        service: PushStandIn, push: WebPush, tmp_path: Path, env: dict[str, str]) -> None:
    other = load_vapid_keys(load_settings({**env, "CRISIS_DATA_DIR": str(tmp_path / "other")}))
    sub = service.subscribe(other.public_key)
    with pytest.raises(ChannelError) as refused:
        await push.send(alert(json.dumps({"endpoint": sub.endpoint, "keys": sub.json()["keys"]})))
    assert not refused.value.retryable
    assert service.refusals == [(403, "k is not the key this subscription was made with")]


async def test_sends_in_flight_are_bounded_per_process(service: PushStandIn,
                                                        push: WebPush) -> None:
    addresses = [address_of(service, push) for _ in range(12)]
    service.delay_s = 0.05
    await asyncio.gather(*(push.send(alert(a)) for a in addresses))
    assert len(service.deliveries) == 12
    assert service.max_in_flight == 3  # CRISIS_PUSH_CONCURRENCY


async def test_a_long_text_is_cut_to_fit_the_push_size_limit(service: PushStandIn,
                                                              push: WebPush) -> None:
    await push.send(alert(address_of(service, push), text="é" * 5000))
    [delivery] = service.deliveries
    assert 100 < len(delivery.payload["body"]) <= 1500


async def test_a_stored_address_that_is_no_subscription_is_not_retried(push: WebPush) -> None:
    with pytest.raises(ChannelError) as bad:
        await push.send(alert("not json"))
    assert not bad.value.retryable
