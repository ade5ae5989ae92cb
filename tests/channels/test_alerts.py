"""Alerts end to end: a citizen subscribes by SMS, the cell publishes with `push: true`, a
real `crisis worker` broadcasts, the Twilio stand-in receives the alert once, with the link
and how to stop; the cell follows the progress in the API."""

from __future__ import annotations

import collections
import statistics
import json
from typing import Any

import pytest

from aiohttp.test_utils import TestServer

from channels.api import DESK
from channels.keys import ChannelKeys
from channels.push.vapid import load_vapid_keys
from crisis.context import Context
from crisis.publication_file import parse_publication
from crisis.types import Role
from testbed.push_service import PushStandIn
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import PUBLIC_URL, signed, sms_form
from tests.channels.test_sms import run_worker_burst
from tests.conftest import CELL, bearer
from tests.support.polling import until

NOTICE = """---
title: Évacuation des quais de Seine
area: [75]
push: true
sms: Évacuez les quais de Seine avant 18 h.
---
Les quais de Seine sont évacués avant 18 h. Suivez les consignes des secours.
"""


async def _sms(client: Any, text: str, sid: str, sender: str) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form(text, sid, sender=sender))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200


async def test_a_subscriber_gets_the_pushed_publication_once(
        client: Any, ctx: Context, env: dict[str, str],
        twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    await _sms(client, "ALERTE 75 92", "SMal1", "+33611111111")
    await _sms(client, "alerte 13", "SMal2", "+33622222222")  # another area: nothing
    await _sms(client, "ALERTE 99", "SMal3", "+33633333333")  # unknown code: told how
    desk = client.app[DESK]

    async def subscribed() -> bool:
        counts = await desk.alerts.counts()
        return counts.get("75") == {"sms": 1} and counts.get("13") == {"sms": 1}
    await until(subscribed)
    await run_worker_burst(env)
    texts = {m["To"]: m["Body"] for m in standin.messages}
    assert "Alertes activées pour : 75 92" in texts["+33611111111"]
    assert "Département inconnu : 99" in texts["+33633333333"]
    standin.messages.clear()

    await ctx.publications.publish_document(parse_publication(NOTICE), actor=CELL)
    headers = await bearer(ctx, "cellule", Role.CELL)  # PUBLIC_URL is https: no cookie here

    async def broadcast() -> Any:
        body = await (await client.get("/api/broadcasts", headers=headers)).json()
        items = body["items"] if "items" in body else pytest.fail(str(body))
        return items[0] if items else None
    created = await until(broadcast)
    await run_worker_burst(env)  # prepares, then sends
    [alert] = standin.messages
    assert alert["To"] == "+33611111111"
    assert alert["Body"].startswith("Évacuez les quais de Seine avant 18 h. "
                                    f"{PUBLIC_URL}/publications/")
    assert alert["Body"].endswith("STOP pour ne plus recevoir")
    progress = await (await client.get(f"/api/broadcasts/{created['id']}",
                                       headers=headers)).json()
    assert progress["state"] == "done"
    assert progress["channels"]["sms"] == {"total": 1, "sent": 1, "failed": 0, "unknown": 0,
                                           "remaining": 0, "failures": {}}

    situation = await (await client.get("/api/situation", headers=headers)).json()
    alerts = situation["sections"]["alerts"] if "sections" in situation else situation["alerts"]
    assert alerts["subscribers_per_channel"] == {"sms": 2}
    assert alerts["broadcasts"][0]["channels"]["sms"]["sent"] == 1

    # STOP ends the alerts too; a new version of the notice reaches nobody.
    await _sms(client, "STOP", "SMal4", "+33611111111")
    await until(lambda: _no_subscriber(desk, "75"))


async def _no_subscriber(desk: Any, area: str) -> bool:
    return area not in await desk.alerts.counts()


async def test_browsers_get_the_alert_as_a_notification_and_gone_ones_are_forgotten(
        client: Any, ctx: Context, env: dict[str, str], settings: Any) -> None:
    """Web Push through the broadcast: what the push service decrypts is the alert's title,
    text and link; a subscription the service says is gone (410) is deleted."""
    service = PushStandIn()
    server = TestServer(service.app(), host="127.0.0.1")
    await server.start_server()
    service.base = str(server.make_url("")).rstrip("/")
    try:
        public_key = load_vapid_keys(settings).public_key  # the worker loads the same keys
        addresses = []
        for _ in range(2):
            sub = service.subscribe(public_key).json()
            addresses.append(json.dumps({"endpoint": sub["endpoint"], "keys": sub["keys"]},
                                        sort_keys=True, separators=(",", ":")))
            await client.app[DESK].alerts.subscribe("push", addresses[-1], ("75",),
                                                    source="site")
        service.gone.add(json.loads(addresses[1])["endpoint"].rsplit("/", 1)[1])
        await ctx.publications.publish_document(parse_publication(NOTICE), actor=CELL)
        await until(lambda: _broadcast_created(ctx))
        await run_worker_burst(env)
        [delivery] = service.deliveries
        assert delivery.payload["title"] == "Évacuation des quais de Seine"
        assert delivery.payload["body"].startswith("Évacuez les quais de Seine avant 18 h.")
        assert delivery.payload["url"].startswith(f"{PUBLIC_URL}/publications/")
        assert await client.app[DESK].alerts.counts() == {"75": {"push": 1}}  # gone: removed
    finally:
        await server.close()


async def _broadcast_created(ctx: Context) -> bool:
    return bool(await ctx.redis.zcard(ChannelKeys(ctx.keys).broadcasts))


async def test_a_broadcast_never_exceeds_the_providers_rate(
        client: Any, ctx: Context, env: dict[str, str],
        twilio: tuple[TwilioStandIn, str]) -> None:
    """Paced from the stand-in's own clock: at 10 SMS a second (share 1.0), 35 alerts are
    spread evenly (the sends are reserved 102 ms apart) over three and a half seconds.

    What the stand-in sees is the send times plus the network's and the loop's delays: on a
    loaded machine a send held back 30 ms can reach it in the same clock second as the next
    ten (seen once in CI: 11). The spreading itself is what is checked: the gaps between
    arrivals, and the total span; a burst at the top of each second (what the pacer replaced)
    fails both."""
    standin, _ = twilio
    for n in range(35):
        await client.app[DESK].alerts.subscribe("sms", f"+336500000{n:02d}", ("75",),
                                                source="test")
    await ctx.publications.publish_document(parse_publication(NOTICE), actor=CELL)
    await until(lambda: _broadcast_created(ctx))
    await run_worker_burst({**env, "TWILIO_MESSAGES_PER_SECOND": "10",
                            "CRISIS_BROADCAST_SHARE": "1.0"})
    arrivals = sorted(float(m["ReceivedAt"]) for m in standin.messages)
    assert len(arrivals) == 35
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert statistics.median(gaps) >= 0.09, gaps  # evenly spaced, not bursts
    assert arrivals[-1] - arrivals[0] >= 34 * 0.102 - 0.25  # never faster than the rate
    seconds = collections.Counter(int(arrival) for arrival in arrivals)
    assert max(seconds.values()) <= 10 + 1, seconds  # one send shifted by a delay at most
