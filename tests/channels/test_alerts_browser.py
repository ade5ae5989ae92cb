"""The site's "receive the alerts" block in Debian's Chromium, against the whole centre on
loopback: its French and English text, the service worker registered at the site's root,
the e-mail form (with and without JavaScript), the push subscription posted to the API,
the service worker showing a push it is given, and the confirmation and unsubscribe pages.

Headless Chromium has no push service it can reach here (its own is Google's FCM, and the
tests are offline): `pushManager.subscribe` fails. That one call is replaced in the page by
a subscription made the browser's way (a real P-256 key from WebCrypto, an FCM-shaped
endpoint); everything around it (permission, service worker, VAPID key, our script, the
API, the store) is real. The push itself is delivered to the service worker through the
DevTools protocol (ServiceWorker.deliverPushMessage), as a push service would deliver it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import async_playwright
from rq import Queue

from channels.alerts.email_optin import confirmation_token, unsubscribe_url
from channels.alerts.subscriptions import Subscriptions
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.jobs import queue_name
from crisis.settings import Settings
from static_site.builder import build_site_files
from static_site.model import SiteConfig
from testbed.site_data import CRISIS_ID, demo_data
from tests.channels.alert_web_support import mount_alert_web
from tests.support.browser import axe_violations, launch_chromium
from tests.support.polling import until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Stands in for the browser's push service only: a subscription as Chromium would return it.
FAKE_PUSH_SERVICE = """
PushManager.prototype.subscribe = async function (options) {
  const pair = await crypto.subtle.generateKey({name: "ECDH", namedCurve: "P-256"}, true,
                                               ["deriveBits"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-")
    .replace(/\\//g, "_").replace(/=+$/, "");
  window.__applicationServerKey = b64(new Uint8Array(options.applicationServerKey));
  const json = {endpoint: "https://fcm.googleapis.com/fcm/send/chromium-test",
                expirationTime: null,
                keys: {p256dh: b64(raw), auth: b64(crypto.getRandomValues(new Uint8Array(16)))}};
  window.__subscription = json;
  return {toJSON: () => json, unsubscribe: async () => true, endpoint: json.endpoint};
};
PushManager.prototype.getSubscription = async function () {
  return window.__subscription ? {toJSON: () => window.__subscription,
                                  unsubscribe: async () => { window.__subscription = null; return true; }}
                               : null;
};
"""


@pytest.fixture
def env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    mount_alert_web(monkeypatch)
    return env


@pytest.fixture
async def centre(aiohttp_server: Any, settings: Settings, redis_url: str
                 ) -> AsyncIterator[str]:
    """The whole centre on loopback, serving a built site at / (same origin as the API)."""
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    build_site_files(demo_data(), SiteConfig(base_url=base), settings.site_path)
    yield base


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as p:
        chromium = await launch_chromium(p)
        yield chromium
        await chromium.close()


async def _page(browser: Any, base: str, *, javascript: bool = True, lang: str = "fr-FR"
                ) -> Any:
    context = await browser.new_context(locale=lang, java_script_enabled=javascript)
    if javascript:
        await context.grant_permissions(["notifications"], origin=base)
    page = await context.new_page()
    page.set_default_timeout(8000)
    return page


async def test_the_block_speaks_french_then_english_and_registers_the_worker(
        browser: Any, centre: str) -> None:
    page = await _page(browser, centre)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(centre + "/")
    block = page.locator("#alertes")
    await block.get_by_role("heading", name="Recevoir les alertes").wait_for()
    assert await block.get_by_label("Départements (par exemple 75 92 2A 971)").is_visible()
    assert await block.get_by_label("Adresse électronique").is_visible()
    assert await block.get_by_role("button", name="Recevoir par courriel").is_visible()
    # Push is possible here (loopback is a secure context): its button shows.
    await block.get_by_role("button", name="Recevoir sur ce navigateur").wait_for()
    worker = await page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return {scope: registration.scope, script: registration.active.scriptURL};
    }""")
    assert worker == {"scope": centre + "/", "script": centre + "/sw.js"}
    assert await axe_violations(page) == []
    await page.goto(centre + f"/en/crises/{CRISIS_ID}/")
    await page.get_by_role("heading", name="Receive the alerts").wait_for()
    # A crisis page proposes its own areas.
    assert await page.locator("#alert-areas").input_value() == "75 92"
    assert await axe_violations(page) == []
    assert errors == []  # no CSP violation, no script error


async def test_a_browser_subscribes_and_unsubscribes_through_the_api(
        browser: Any, centre: str, ctx: Context, settings: Settings) -> None:
    subscriptions = Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)
    page = await _page(browser, centre)
    await page.add_init_script(FAKE_PUSH_SERVICE)
    await page.goto(centre + "/departements/75/")
    assert await page.locator("#alert-areas").input_value() == "75"
    await page.fill("#alert-areas", "75 2a")
    await page.get_by_role("button", name="Recevoir sur ce navigateur").click()
    status = page.locator(".alerts-status")
    await status.get_by_text("C'est fait : ce navigateur recevra les alertes pour 75, 2A.").wait_for()
    key = (await (await page.request.get(centre + "/api/alerts/push/key")).json())["publicKey"]
    assert await page.evaluate("window.__applicationServerKey") == key  # the VAPID key
    sent = await page.evaluate("window.__subscription")
    address = json.dumps({"endpoint": sent["endpoint"], "keys": {
        "auth": sent["keys"]["auth"], "p256dh": sent["keys"]["p256dh"]}},
        sort_keys=True, separators=(",", ":"))
    stored = await subscriptions.get("push", address)
    assert stored is not None and stored.areas == ("75", "2A") and stored.lang == "fr"
    await page.get_by_role("button", name="Ne plus recevoir sur ce navigateur").click()
    await status.get_by_text("Ce navigateur ne recevra plus d'alertes.").wait_for()
    assert await subscriptions.get("push", address) is None


async def test_where_the_browser_cannot_subscribe_it_says_to_use_email(
        browser: Any, centre: str) -> None:
    """Chromium's real pushManager.subscribe, headless and offline: "AbortError:
    Registration failed - permission denied" (notifications granted or not)."""
    page = await _page(browser, centre)
    await page.goto(centre + "/")
    await page.fill("#alert-areas", "75")
    await page.get_by_role("button", name="Recevoir sur ce navigateur").click()
    await page.locator(".alerts-status").get_by_text(
        "Ce navigateur ne peut pas recevoir les alertes : recevez-les par courriel.").wait_for()


async def test_blocked_notifications_are_explained(browser: Any, centre: str) -> None:
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    page.set_default_timeout(8000)
    await page.goto(centre + "/")
    await page.fill("#alert-areas", "75")
    # Headless Chromium answers "denied" to a permission nobody granted.
    await page.get_by_role("button", name="Recevoir sur ce navigateur").click()
    await page.locator(".alerts-status").get_by_text(
        "Les notifications sont bloquées pour ce site", exact=False).wait_for()


async def test_the_service_worker_shows_a_push_it_receives(browser: Any, centre: str) -> None:
    page = await _page(browser, centre)
    await page.goto(centre + "/")
    await page.evaluate("navigator.serviceWorker.ready")
    cdp = await page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    await cdp.send("ServiceWorker.enable")
    registration = await until(_first(registrations, centre))
    payload = {"title": "Crue de la Seine", "body": "Évacuez les quais bas.",
               "url": centre + f"/crises/{CRISIS_ID}/", "lang": "fr"}
    # A push delivered while the worker is still starting can be dropped (it failed so in CI
    # under load, twice): deliver again when nothing shows within 5 s. The notification's tag
    # is the URL, so a second delivery replaces the first, never adds one.
    shown: list[dict[str, Any]] = []
    for _attempt in range(3):
        await cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": centre + "/", "registrationId": registration["registrationId"],
            "data": json.dumps(payload)})
        shown = await page.evaluate("""async () => {
            const registration = await navigator.serviceWorker.ready;
            for (let i = 0; i < 100; i += 1) {
                const list = await registration.getNotifications();
                if (list.length) {
                    return list.map(n => ({title: n.title, body: n.body, url: n.data.url}));
                }
                await new Promise(done => setTimeout(done, 50));
            }
            return [];
        }""")
        if shown:
            break
    assert shown == [{"title": "Crue de la Seine", "body": "Évacuez les quais bas.",
                      "url": payload["url"]}]


def _first(found: list[dict[str, Any]], origin: str) -> Any:
    """The first live registration of the site at `origin`, once the browser has said it."""
    async def probe() -> dict[str, Any] | None:
        return next((r for r in found if not r.get("isDeleted")
                     and str(r.get("scopeURL", "")).startswith(origin)), None)
    return probe


async def test_the_email_form_with_and_without_javascript(
        browser: Any, centre: str, ctx: Context) -> None:
    queue = Queue(queue_name(ctx.keys, "default"), connection=ctx.jobs.connection)
    page = await _page(browser, centre)
    await page.goto(centre + "/")
    await page.fill("#alert-areas", "13")
    await page.get_by_label("Adresse électronique").fill("camille@example.fr")
    await page.get_by_role("button", name="Recevoir par courriel").click()
    await page.locator(".alerts-status").get_by_text(
        "Vérifiez votre messagerie : ouvrez le lien de confirmation").wait_for()
    assert page.url == centre + "/"  # the script sent it; the page stayed
    plain = await _page(browser, centre, javascript=False, lang="en-GB")
    await plain.goto(centre + "/en/")
    assert not await plain.get_by_role("button", name="Receive in this browser").is_visible()
    await plain.fill("#alert-areas", "971")
    await plain.get_by_label("E-mail address").fill("sam@example.fr")
    await plain.get_by_role("button", name="Receive by e-mail").click()
    await plain.get_by_role("heading", name="Check your inbox").wait_for()
    assert [job.args for job in queue.get_jobs()] == [
        ("camille@example.fr", ["13"], "fr"), ("sam@example.fr", ["971"], "en")]


async def test_the_confirmation_and_unsubscribe_pages(
        browser: Any, centre: str, ctx: Context, settings: Settings) -> None:
    token = confirmation_token(ctx.secret, "lea@example.fr", ("69", "2A"), "fr", 48)
    page = await _page(browser, centre)
    await page.goto(centre + f"/alerts/confirm?token={token}&lang=fr")
    await page.get_by_role("heading", name="Abonnement confirmé").wait_for()
    assert "Vous recevrez par courriel les alertes officielles pour : 69, 2A." in \
        await page.inner_text("main")
    assert await axe_violations(page) == []
    link = unsubscribe_url(settings, ctx.secret, "lea@example.fr", "en")
    await page.goto(centre + link[link.index("/alerts/"):])
    await page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert "You will no longer receive alerts by e-mail at this address." in \
        await page.inner_text("main")
    await page.goto(centre + "/alerts/confirm?token=forged&lang=fr")
    await page.get_by_role("heading", name="Lien invalide ou expiré").wait_for()
