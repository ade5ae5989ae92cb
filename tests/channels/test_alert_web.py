"""The site's alert routes over real HTTP on loopback: a browser's push subscription and an
e-mail's double opt-in, their validation (with clear 400s), limits and pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rq import Queue

from channels.alerts.email_optin import (
    SEND_CONFIRMATION_JOB, confirmation_token, make_token, unsubscribe_url,
)
from channels.alerts.subscriptions import Subscriptions
from channels.keys import ChannelKeys
from channels.push.subscription import canonical_subscription
from channels.push.vapid import load_vapid_keys
from crisis.context import Context
from crisis.jobs import queue_name
from crisis.settings import Settings
from tests.channels.alert_web_support import browser_subscription, mount_alert_web


@pytest.fixture
def env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    mount_alert_web(monkeypatch)
    return {**env, "CRISIS_PUBLIC_URL": "https://info-crise.example.gouv.fr",
            "CRISIS_ALERT_SIGNUPS_PER_IP_PER_HOUR": "6"}


@pytest.fixture
def subscriptions(ctx: Context) -> Subscriptions:
    return Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)


async def test_the_public_key_is_the_data_dirs(client: Any, settings: Settings) -> None:
    response = await client.get("/api/alerts/push/key")
    assert response.status == 200
    assert (await response.json())["publicKey"] == load_vapid_keys(settings).public_key


async def test_a_browser_subscribes_changes_its_areas_and_unsubscribes(
        client: Any, subscriptions: Subscriptions, settings: Settings) -> None:
    browser = browser_subscription()
    address = canonical_subscription(browser, settings.push_services)
    response = await client.post("/api/alerts/push", json={
        "subscription": browser, "areas": ["75", "2a"], "lang": "en"})
    assert response.status == 201, await response.text()
    assert await response.json() == {"channel": "push", "areas": ["75", "2A"], "lang": "en"}
    stored = await subscriptions.get("push", address)
    assert stored is not None and stored.areas == ("75", "2A") and stored.lang == "en"
    assert stored.source == "site web push"
    again = await client.post("/api/alerts/push", json={"subscription": browser, "areas": "971"})
    assert again.status == 201
    assert (await subscriptions.counts()) == {"971": {"push": 1}}
    gone = await client.delete("/api/alerts/push", json={"subscription": browser})
    assert await gone.json() == {"unsubscribed": True}
    assert await subscriptions.get("push", address) is None
    assert await (await client.delete("/api/alerts/push", json={"subscription": browser})
                  ).json() == {"unsubscribed": False}


def _with(subscription: dict[str, Any], **changes: Any) -> dict[str, Any]:
    keys = {**subscription["keys"], **changes.pop("keys", {})}
    return {**subscription, **changes, "keys": keys}


SUB = browser_subscription()
BAD_PUSH_BODIES: list[tuple[Any, str]] = [
    ({"subscription": _with(SUB, endpoint="http://fcm.googleapis.com/x"), "areas": ["75"]},
     "https"),
    ({"subscription": _with(SUB, endpoint="https://127.0.0.1/x"), "areas": ["75"]},
     "known push service"),
    ({"subscription": _with(SUB, endpoint="https://intranet.example.gouv.fr/x"), "areas": ["75"]},
     "known push service"),
    ({"subscription": _with(SUB, endpoint="https://fcm.googleapis.com:8443/x"), "areas": ["75"]},
     "known push service"),
    ({"subscription": _with(SUB, endpoint="https://u:p@fcm.googleapis.com/x"), "areas": ["75"]},
     "without credentials"),
    ({"subscription": _with(SUB, keys={"p256dh": "AAAA"}), "areas": ["75"]}, "P-256"),
    ({"subscription": _with(SUB, keys={"auth": "AAAA"}), "areas": ["75"]}, "16 bytes"),
    ({"subscription": _with(SUB, keys={"auth": "%%%"}), "areas": ["75"]}, "base64url"),
    ({"subscription": SUB, "areas": ["75", "99"]}, "99"),
    ({"subscription": SUB, "areas": []}, "at least one"),
    ({"subscription": SUB, "areas": [75]}, "list of départements"),
    ({"subscription": "x", "areas": ["75"]}, "PushSubscription"),
    ({"areas": ["75"]}, "PushSubscription"),
    ([1, 2], "JSON object"),
]


@pytest.mark.parametrize(("body", "says"), BAD_PUSH_BODIES)
async def test_bad_push_bodies_get_a_clear_400(client: Any, body: Any, says: str) -> None:
    response = await client.post("/api/alerts/push", json=body)
    assert response.status == 400
    assert says in (await response.json())["error"]["message"]


async def test_a_body_that_is_no_json_or_too_big_is_refused(client: Any) -> None:
    assert (await client.post("/api/alerts/push", data=b"{nope",
                              headers={"Content-Type": "application/json"})).status == 400
    huge = await client.post("/api/alerts/push", json={"subscription": SUB, "areas": ["75"],
                                                       "pad": "x" * 10_000})
    assert huge.status == 413


async def test_signups_are_limited_per_client_address(client: Any) -> None:
    for _ in range(6):
        response = await client.post("/api/alerts/push", json={
            "subscription": browser_subscription(), "areas": ["13"]})
        assert response.status == 201
    refused = await client.post("/api/alerts/push", json={
        "subscription": browser_subscription(), "areas": ["13"]})
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0


async def test_a_cross_site_page_cannot_subscribe_anyone(client: Any) -> None:
    response = await client.post("/api/alerts/email", json={
        "email": "victime@example.fr", "areas": ["75"]},
        headers={"Origin": "https://evil.example"})
    assert response.status == 403


def _jobs(ctx: Context) -> list[Any]:
    queue = Queue(queue_name(ctx.keys, "default"), connection=ctx.jobs.connection)
    return [job for job in queue.get_jobs() if job.func_name == SEND_CONFIRMATION_JOB]


async def test_an_email_signup_enqueues_a_confirmation_and_stores_nothing(
        client: Any, ctx: Context, subscriptions: Subscriptions) -> None:
    response = await client.post("/api/alerts/email", json={
        "email": " Marie.Dupont@Example.FR ", "areas": "75 92", "lang": "fr"})
    assert response.status == 202
    [job] = _jobs(ctx)
    assert job.args == ("marie.dupont@example.fr", ["75", "92"], "fr")
    assert job.origin == queue_name(ctx.keys, "default")
    assert await subscriptions.get("email", "marie.dupont@example.fr") is None
    # A mailbox gets three confirmations a day whoever asks; the answer does not tell.
    for _ in range(3):
        assert (await client.post("/api/alerts/email", json={
            "email": "marie.dupont@example.fr", "areas": ["75"]})).status == 202
    assert len(_jobs(ctx)) == 3


@pytest.mark.parametrize(("body", "says"), [
    ({"email": "pas une adresse", "areas": ["75"]}, "e-mail address"),
    ({"email": "a@b", "areas": ["75"]}, "e-mail address"),
    ({"email": ["a@example.fr"], "areas": ["75"]}, "e-mail address"),
    ({"email": "a@example.fr", "areas": ["2C"]}, "2C"),
])
async def test_bad_email_bodies_get_a_clear_400(client: Any, body: Any, says: str) -> None:
    response = await client.post("/api/alerts/email", json=body)
    assert response.status == 400
    assert says in (await response.json())["error"]["message"]


async def test_the_form_without_javascript_gets_a_page(client: Any, ctx: Context) -> None:
    response = await client.post("/api/alerts/email", data={
        "email": "paul@example.fr", "areas": "13", "lang": "fr"})
    assert response.status == 200
    assert "Vérifiez votre messagerie" in await response.text()
    bad = await client.post("/api/alerts/email", data={"email": "x", "areas": "13", "lang": "en"})
    assert bad.status == 400
    assert "Please correct your request" in (text := await bad.text()) and "e-mail" in text
    assert len(_jobs(ctx)) == 1


async def test_the_link_subscribes_and_the_unsubscribe_link_stops_at_once(
        client: Any, ctx: Context, subscriptions: Subscriptions, settings: Settings) -> None:
    token = confirmation_token(ctx.secret, "lea@example.fr", ("69",), "fr", 48)
    page = await client.get("/alerts/confirm", params={"token": token, "lang": "fr"})
    assert page.status == 200
    text = await page.text()
    assert "Abonnement confirmé" in text and "69" in text
    stored = await subscriptions.get("email", "lea@example.fr")
    assert stored is not None and stored.areas == ("69",)
    assert stored.source.startswith("site form ") and stored.source.endswith("link confirmed")
    link = unsubscribe_url(settings, ctx.secret, "lea@example.fr", "en")
    assert link.startswith("https://info-crise.example.gouv.fr/alerts/unsubscribe?token=")
    stop = await client.get(link.removeprefix("https://info-crise.example.gouv.fr"))
    assert stop.status == 200 and "You are unsubscribed" in await stop.text()
    assert await subscriptions.get("email", "lea@example.fr") is None


async def test_a_one_click_unsubscribe_by_post(client: Any, ctx: Context,
                                               subscriptions: Subscriptions) -> None:
    await subscriptions.subscribe("email", "jo@example.fr", ("33",), source="test")
    token = make_token(ctx.secret, "unsubscribe", a="jo@example.fr")
    response = await client.post("/alerts/unsubscribe", params={"token": token},
                                 data={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert await subscriptions.get("email", "jo@example.fr") is None


@pytest.mark.parametrize("kind", ["tampered", "expired", "other purpose", "garbage"])
async def test_a_bad_link_subscribes_nobody(client: Any, ctx: Context,
                                            subscriptions: Subscriptions, kind: str) -> None:
    good = confirmation_token(ctx.secret, "eve@example.fr", ("75",), "fr", 48)
    token = {"tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
             "expired": confirmation_token(ctx.secret, "eve@example.fr", ("75",), "fr", 1,
                                           now=time.time() - 7200),
             "other purpose": make_token(ctx.secret, "unsubscribe", a="eve@example.fr"),
             "garbage": "x"}[kind]
    page = await client.get("/alerts/confirm", params={"token": token, "lang": "en"})
    assert page.status == 400 and "Invalid or expired link" in await page.text()
    assert await subscriptions.get("email", "eve@example.fr") is None
