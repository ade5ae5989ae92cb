"""The citizens' ways to subscribe from the site: Web Push and e-mail (double opt-in).

Routes (anonymous, rate-limited per client address across processes, small bodies):
- `GET /api/alerts/push/key`: the VAPID public key, the page's applicationServerKey;
- `POST /api/alerts/push` `{"subscription", "areas", "lang"}`: subscribe this browser;
  `DELETE /api/alerts/push` `{"subscription"}`: unsubscribe it (the same object: its keys
  are part of the address, so knowing an endpoint alone unsubscribes nobody);
- `POST /api/alerts/email` `{"email", "areas", "lang"}` (JSON from the script, or the
  plain form without JavaScript, answered with a page): mail a confirmation link;
- `GET /alerts/confirm?token=`: the link: subscribe and say so;
- `GET|POST /alerts/unsubscribe?token=`: the link in every alert e-mail (POST is the
  one-click of RFC 8058's List-Unsubscribe-Post).
The composition root calls `setup_alert_web(app, ctx)` before the site's catch-all route.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from aiohttp import web

from channels.addresses import citizen_id
from channels.alerts.email_optin import (
    CONFIRM, SEND_CONFIRMATION_JOB, UNSUBSCRIBE, email_address, read_token,
)
from channels.alerts.messages import MESSAGES, t
from channels.alerts.subscriptions import PUSH, Subscriptions, area_codes
from channels.keys import ChannelKeys
from channels.push.subscription import canonical_subscription
from channels.push.vapid import load_vapid_keys
from crisis.context import Context
from crisis.errors import Forbidden, InvalidInput, RateLimited
from crisis.rate_limits import WindowLimit
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.body import BODY_CAPS
from crisis.web.client_address import client_address
from crisis.web.json_io import json_response
from crisis.web.origin import same_origin
from crisis.web.shell import Area, PageTemplates, lang_of

log = logging.getLogger(__name__)

MAX_ALERT_BODY = 8192  # a subscription is ~400 bytes; nothing here needs more
HOUR, DAY = 3600, 86400
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3  # a mailbox is never flooded through our form
ALERT_WEB: web.AppKey[AlertWeb] = web.AppKey("channels_alert_web")
# The core's "service" names the header; no menu: these pages are for citizens.
PAGES = PageTemplates("channels.alerts", Area("service", ()), messages=MESSAGES)

_AREAS_SCHEMA = {"oneOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 101},
                           {"type": "string"}], "description": "départements: 75, 2A, 971..."}
_SUBSCRIPTION_SCHEMA = {"type": "object", "required": ["endpoint", "keys"], "properties": {
    "endpoint": {"type": "string"}, "keys": {"type": "object", "properties": {
        "p256dh": {"type": "string"}, "auth": {"type": "string"}}}}}
PUSH_BODY = {"type": "object", "required": ["subscription", "areas"], "properties": {
    "subscription": _SUBSCRIPTION_SCHEMA, "areas": _AREAS_SCHEMA,
    "lang": {"type": "string", "enum": ["fr", "en"]}}}
PUSH_DELETE_BODY = {"type": "object", "required": ["subscription"],
                    "properties": {"subscription": _SUBSCRIPTION_SCHEMA}}
EMAIL_BODY = {"type": "object", "required": ["email", "areas"], "properties": {
    "email": {"type": "string"}, "areas": _AREAS_SCHEMA,
    "lang": {"type": "string", "enum": ["fr", "en"]}}}


class AlertWeb:
    """What the handlers share: the subscriptions, the limits, the public key."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.keys = ChannelKeys(ctx.keys)
        self.subscriptions = Subscriptions(ctx.redis, self.keys, ctx.secret)
        self.per_ip = WindowLimit(ctx.redis, ctx.settings.alert_signups_per_ip_per_hour, HOUR)
        self.per_mailbox = WindowLimit(ctx.redis, CONFIRMATIONS_PER_ADDRESS_PER_DAY, DAY)
        self._public_key: str | None = None

    @property
    def public_key(self) -> str:
        if self._public_key is None:  # made on first use: a centre without push never has one
            self._public_key = load_vapid_keys(self.ctx.settings).public_key
        return self._public_key

    async def count_signup(self, request: web.Request, lang: str) -> None:
        """One more subscription from this client address; RateLimited over the limit.
        A cross-site form or script is refused: subscriptions come from our own pages."""
        if not same_origin(request):
            raise Forbidden("subscriptions are made from the site's own pages")
        # The client address is personal data: the counter's key holds a keyed hash of it.
        subject = citizen_id(self.ctx.secret, "ip:" + client_address(request))
        verdict = await self.per_ip.hit(self.keys.limit("alert-ip", subject))
        if not verdict.allowed:
            raise RateLimited("too many subscriptions from this address; try again later"
                              if lang == "en" else "trop de demandes depuis cette adresse ; "
                              "réessayez plus tard", retry_after_s=verdict.retry_after_s)


def _json(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise InvalidInput("the request needs a JSON body")
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise InvalidInput("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def _areas(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and len(value) <= 101 and all(isinstance(v, str) for v in value):
        return area_codes(" ".join(value))
    if isinstance(value, str) and len(value) <= 500:
        return area_codes(value)
    raise InvalidInput("areas must be a list of départements, e.g. [\"75\", \"2A\", \"971\"]")


def _lang(value: Any) -> str:
    return "en" if value == "en" else "fr"


async def push_key(request: web.Request) -> web.Response:
    return json_response({"publicKey": request.app[ALERT_WEB].public_key})


async def subscribe_push(request: web.Request) -> web.Response:
    alert_web = request.app[ALERT_WEB]
    body = _json(await request.read())
    lang = _lang(body.get("lang"))
    address = canonical_subscription(body.get("subscription"),
                                     alert_web.ctx.settings.push_services)
    areas = _areas(body.get("areas"))
    await alert_web.count_signup(request, lang)
    subscription = await alert_web.subscriptions.subscribe(PUSH, address, areas, lang=lang,
                                                           source="site web push")
    return json_response({"channel": PUSH, "areas": subscription.areas, "lang": lang}, 201)


async def unsubscribe_push(request: web.Request) -> web.Response:
    alert_web = request.app[ALERT_WEB]
    body = _json(await request.read())
    address = canonical_subscription(body.get("subscription"),
                                     alert_web.ctx.settings.push_services)
    return json_response({"unsubscribed": await alert_web.subscriptions.unsubscribe(PUSH,
                                                                                     address)})


async def subscribe_email(request: web.Request) -> web.StreamResponse:
    """Mail a confirmation link; the same answer whether or not it is sent (a mailbox over
    its daily limit is not told apart: the form must not reveal who subscribed)."""
    alert_web = request.app[ALERT_WEB]
    is_form = request.content_type == "application/x-www-form-urlencoded"
    if is_form:
        form = await request.post()
        body: dict[str, Any] = {"email": form.get("email"), "areas": form.get("areas"),
                                "lang": form.get("lang")}
    else:
        body = _json(await request.read())
    lang = _lang(body.get("lang"))
    try:
        address = email_address(body.get("email"))
        areas = _areas(body.get("areas"))
    except InvalidInput as err:
        if not is_form:
            raise
        return PAGES.page(request, "alerts/page.html", 400,
                          title=t("form.invalid.title", lang), texts=[err.message],
                          page_lang=lang)
    await alert_web.count_signup(request, lang)
    mailbox = await alert_web.per_mailbox.hit(alert_web.keys.limit(
        "alert-email", citizen_id(alert_web.ctx.secret, address)))
    if mailbox.allowed:
        await alert_web.ctx.jobs.enqueue_async(SEND_CONFIRMATION_JOB, address, list(areas), lang,
                                               queue="default")
    else:
        log.info("alert confirmation not sent: the mailbox had its share today")
    if is_form:
        return PAGES.page(request, "alerts/page.html", title=t("sent.title", lang),
                          texts=[t("sent.text", lang)], page_lang=lang)
    return json_response({"status": "confirmation sent"}, 202)


async def confirm_email(request: web.Request) -> web.Response:
    alert_web = request.app[ALERT_WEB]
    lang = lang_of(request)
    try:
        fields = read_token(alert_web.ctx.secret, CONFIRM, request.query.get("token", ""))
        areas = area_codes(" ".join(fields["r"]))
        address = email_address(fields["a"])
    except (InvalidInput, KeyError, TypeError):
        return _invalid(request, lang)
    issued = int(fields.get("i", 0))
    subscription = await alert_web.subscriptions.subscribe(
        "email", address, areas, lang=_lang(fields.get("l")),
        source=f"site form {issued}, link confirmed")
    return PAGES.page(request, "alerts/page.html", title=t("confirmed.title", lang), texts=[
        t("confirmed.text", lang).format(areas=", ".join(subscription.areas)),
        t("confirmed.stop", lang)], page_lang=lang)


async def unsubscribe_email(request: web.Request) -> web.Response:
    alert_web = request.app[ALERT_WEB]
    lang = lang_of(request)
    try:
        fields = read_token(alert_web.ctx.secret, UNSUBSCRIBE, request.query.get("token", ""))
        address = email_address(fields["a"])
    except (InvalidInput, KeyError, TypeError):
        return _invalid(request, lang)
    await alert_web.subscriptions.unsubscribe("email", address)
    if request.method == "POST":  # a mail program's one-click: no page to show
        return web.Response(text="unsubscribed\n")
    return PAGES.page(request, "alerts/page.html", title=t("unsubscribed.title", lang),
                      texts=[t("unsubscribed.text", lang)], page_lang=lang)


def _invalid(request: web.Request, lang: str) -> web.Response:
    return PAGES.page(request, "alerts/page.html", 400, title=t("invalid.title", lang),
                      texts=[t("invalid.text", lang)], page_lang=lang)


def setup_alert_web(app: web.Application, ctx: Context) -> None:
    """Mount the routes above (before the site's catch-all GET /{path})."""
    app[ALERT_WEB] = AlertWeb(ctx)
    app[BODY_CAPS]["/api/alerts/"] = MAX_ALERT_BODY
    for route in (
        ApiRoute("GET", "/api/alerts/push/key", push_key,
                 "The VAPID public key browsers subscribe with", tag="alerts"),
        ApiRoute("POST", "/api/alerts/push", subscribe_push,
                 "Subscribe a browser to alerts for départements (anyone)", body=PUSH_BODY,
                 tag="alerts"),
        ApiRoute("DELETE", "/api/alerts/push", unsubscribe_push,
                 "Unsubscribe a browser (its PushSubscription)", body=PUSH_DELETE_BODY,
                 tag="alerts"),
        ApiRoute("POST", "/api/alerts/email", subscribe_email,
                 "Mail a confirmation link to subscribe an address (anyone)", body=EMAIL_BODY,
                 tag="alerts"),
    ):
        add_api_route(app, route)
    app.router.add_get("/alerts/confirm", confirm_email)
    app.router.add_get("/alerts/unsubscribe", unsubscribe_email)
    app.router.add_post("/alerts/unsubscribe", unsubscribe_email)
