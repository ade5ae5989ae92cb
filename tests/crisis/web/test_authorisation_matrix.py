"""Who may call what, for every route of the built application, written once and proved.

EXPECTED says, for each route (its alternatives such as `{action:submit|validate}` spelt out),
who may call it: a minimum role, anyone (PUBLIC), only Twilio (signed webhooks, Basic auth on
the sandbox), the metrics scraper, or the operator holding a conversation and supervisors.
The test asks every route as every kind of caller over real HTTP (anonymous; an operator,
supervisor, cell member and administrator signed in with a session, and the same four with an
API bearer token; a reinforcement operator) and checks that each answer is a refusal (401,
403, or a redirect to the sign-in page) exactly where EXPECTED says so, and never a 5xx.
A route added without a row in EXPECTED fails the test: whoever adds it decides who may call it.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from channels.alerts.broadcasts import Broadcasts
from channels.api import DESK
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.types import ChannelKind, InboundMessage, Role, utcnow
from crisis.web.api_registry import API_ROUTES
from crisis.web.shell.assets import PAGE_ASSETS
from knowledge_base.article import parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from tests.conftest import ADMIN

PUBLIC = "anyone"
TWILIO = "Twilio only (signed webhook)"
TWILIO_BASIC = "Twilio stand-in only (account SID and auth token)"
METRICS = "Prometheus only (CRISIS_METRICS_TOKEN)"
HOLDER = "the operator holding the conversation, or a supervisor"
Access = Role | str

OP, SUP, CELL, ADM = Role.OPERATOR, Role.SUPERVISOR, Role.CELL, Role.ADMIN
EXPECTED: dict[tuple[str, str], Access] = {
    # Plumbing: load balancers and Prometheus.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): METRICS,
    # Signing in and out; the API's description.
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/api/session"): PUBLIC,
    ("DELETE", "/api/session"): PUBLIC,
    ("GET", "/api/me"): OP,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/assets"): PUBLIC,
    # Crises and scenarios.
    ("GET", "/api/scenarios"): OP,
    ("GET", "/api/scenarios/{scenario_id}"): OP,
    ("GET", "/api/crises"): OP,
    ("POST", "/api/crises"): CELL,
    ("GET", "/api/crises/{crisis_id}"): OP,
    ("POST", "/api/crises/{crisis_id}/level"): CELL,
    ("POST", "/api/crises/{crisis_id}/de-escalate"): CELL,
    ("POST", "/api/crises/{crisis_id}/re-escalate"): CELL,
    ("POST", "/api/crises/{crisis_id}/close"): CELL,
    ("GET", "/api/status"): OP,
    ("GET", "/api/audit"): CELL,
    # Publications: supervisors draft and submit, the cell decides.
    ("GET", "/api/publications"): OP,
    ("POST", "/api/publications"): SUP,
    ("GET", "/api/publications/{publication_id}"): OP,
    ("POST", "/api/publications/{publication_id}/submit"): SUP,
    ("POST", "/api/publications/{publication_id}/validate"): CELL,
    ("POST", "/api/publications/{publication_id}/publish"): CELL,
    ("POST", "/api/publications/{publication_id}/withdraw"): CELL,
    # Alerts: the cell previews, follows and stops broadcasts; supervisors see the counts.
    ("GET", "/api/broadcasts/preview"): CELL,
    ("GET", "/api/broadcasts"): CELL,
    ("GET", "/api/broadcasts/{broadcast_id}"): CELL,
    ("POST", "/api/broadcasts/{broadcast_id}/cancel"): CELL,
    ("GET", "/api/alerts/subscribers"): SUP,
    ("GET", "/api/situation"): SUP,
    # The watch: scripts feed signals with a supervisor's token; the cell edits the rumours.
    ("POST", "/api/signals"): SUP,
    ("GET", "/api/watch/rumours"): SUP,
    ("POST", "/api/watch/rumours"): CELL,
    ("DELETE", "/api/watch/rumours/{claim_id}"): CELL,
    # Knowledge base: operators propose, the cell validates what citizens read.
    ("GET", "/api/kb/articles"): OP,
    ("POST", "/api/kb/articles"): OP,
    ("GET", "/api/kb/articles/{article_id}"): OP,
    ("PUT", "/api/kb/articles/{article_id}"): OP,
    ("POST", "/api/kb/articles/{article_id}/submit"): OP,
    ("POST", "/api/kb/articles/{article_id}/validate"): CELL,
    ("POST", "/api/kb/articles/{article_id}/publish"): CELL,
    ("POST", "/api/kb/articles/{article_id}/reject"): CELL,
    ("POST", "/api/kb/articles/{article_id}/archive"): CELL,
    ("GET", "/api/kb/articles/{article_id}/history"): OP,
    ("GET", "/api/kb/articles/{article_id}/diff"): OP,
    ("GET", "/api/kb/search"): OP,
    ("POST", "/api/kb/answer"): OP,
    ("GET", "/api/kb/alternates"): OP,
    ("POST", "/api/kb/articles/{article_id}/alternates"): OP,
    ("POST", "/api/kb/alternates/{proposal_id}/validate"): CELL,
    ("POST", "/api/kb/alternates/{proposal_id}/reject"): CELL,
    ("POST", "/api/kb/alternates/validate"): CELL,
    ("POST", "/api/kb/alternates/reject"): CELL,
    ("POST", "/api/kb/operator-answers"): OP,
    ("GET", "/api/kb/missing"): SUP,
    ("POST", "/api/kb/missing/dismiss"): CELL,
    ("POST", "/api/kb/missing/article"): CELL,
    ("GET", "/api/kb/top"): SUP,
    ("GET", "/api/kb/synonyms"): OP,
    ("PUT", "/api/kb/synonyms"): CELL,
    ("GET", "/api/kb/thresholds"): OP,
    ("PUT", "/api/kb/thresholds"): CELL,
    # Citizens' web chat, and the providers.
    ("GET", "/chat/ws"): PUBLIC,
    ("GET", "/chat/static"): PUBLIC,
    ("GET", "/chat/"): PUBLIC,
    ("POST", "/hooks/twilio/sms"): TWILIO,
    ("POST", "/hooks/twilio/sms/status"): TWILIO,
    ("POST", "/sandbox/twilio/2010-04-01/Accounts/{sid}/Messages.json"): TWILIO_BASIC,
    ("GET", "/sandbox/sms"): SUP,
    # Alerts (channels/alerts/): the cell follows and stops broadcasts, supervisors see
    # how many subscribe where.
    ("GET", "/api/broadcasts"): CELL,
    ("GET", "/api/broadcasts/preview"): CELL,
    ("GET", "/api/broadcasts/{broadcast_id}"): CELL,
    ("POST", "/api/broadcasts/{broadcast_id}/cancel"): CELL,
    ("GET", "/api/alerts/subscribers"): SUP,
    # Subscribing from the site: anyone (rate-limited per address, double opt-in by e-mail).
    ("GET", "/api/alerts/push/key"): PUBLIC,
    ("POST", "/api/alerts/push"): PUBLIC,
    ("DELETE", "/api/alerts/push"): PUBLIC,
    ("POST", "/api/alerts/email"): PUBLIC,
    ("GET", "/alerts/confirm"): PUBLIC,
    ("GET", "/alerts/unsubscribe"): PUBLIC,
    ("POST", "/alerts/unsubscribe"): PUBLIC,
    # The telephone (channels/voice/): Twilio's signed webhooks, the demo's phone simulator,
    # the cell's IVR texts, the console's call actions.
    ("POST", "/hooks/twilio/voice"): TWILIO,
    **{("POST", f"/hooks/twilio/voice/{step}"): TWILIO for step in (
        "bridge", "callback", "callback-choice", "dial-done", "menu", "pending", "question",
        "queue-exit", "status", "wait", "wait-key")},
    ("GET", "/sandbox/phone"): SUP,
    ("GET", "/sandbox/phone/static"): PUBLIC,
    ("POST", "/sandbox/phone/step"): SUP,
    ("GET", "/api/voice/ivr/{crisis_id}"): CELL,
    ("PUT", "/api/voice/ivr/{crisis_id}"): CELL,
    ("POST", "/console/c/{conversation_id}/take-call"): HOLDER,
    ("POST", "/console/voice-address"): OP,
    ("GET", "/api/voice/token"): OP,  # a Twilio access token to answer calls in the browser
    # The contact centre's API and the operator console. The conversation asked for is a
    # real one, held by an operator who is none of the callers (channels/access.py).
    ("GET", "/api/contact-centre/policy"): SUP,
    ("PUT", "/api/contact-centre/policy"): SUP,
    ("GET", "/api/conversations"): OP,
    ("GET", "/api/conversations/{conversation_id}"): HOLDER,
    ("POST", "/api/conversations/{conversation_id}/reply"): HOLDER,
    ("POST", "/api/conversations/{conversation_id}/close"): HOLDER,
    ("POST", "/api/operators/me/status"): OP,
    ("GET", "/console"): PUBLIC,  # a redirect to /console/, which asks to sign in
    ("GET", "/console/"): OP,
    ("GET", "/console/panel"): OP,
    ("GET", "/console/ws"): OP,
    ("POST", "/console/status"): OP,
    ("GET", "/console/c/{conversation_id}"): HOLDER,
    ("GET", "/console/c/{conversation_id}/history"): HOLDER,
    ("POST", "/console/c/{conversation_id}/reply"): HOLDER,
    ("POST", "/console/c/{conversation_id}/tags"): HOLDER,
    ("POST", "/console/c/{conversation_id}/transfer"): HOLDER,
    ("POST", "/console/c/{conversation_id}/close"): HOLDER,
    ("GET", "/console/supervisor"): SUP,
    ("POST", "/console/supervisor/reassign"): SUP,
    ("POST", "/console/supervisor/skills"): SUP,
    ("GET", "/console/static"): PUBLIC,
    ("GET", "/console/{tail}"): PUBLIC,  # the app's 404 page, to anyone: it holds nothing
    # The crisis cell's pages.
    ("GET", "/cell/static/{name}"): PUBLIC,  # each package's page files (crisis.web.shell.assets)
    ("GET", "/cell/"): CELL,
    ("GET", "/cell/situation"): SUP,
    ("GET", "/cell/situation/stream"): SUP,  # the wall screens' live stream (server-sent events)
    # The situation reports (monitoring/report_pages.py): the cell writes and reads them.
    ("GET", "/cell/reports"): CELL,
    ("GET", "/cell/rumours"): CELL,
    ("POST", "/cell/rumours"): CELL,
    ("POST", "/cell/rumours/{claim_id}/remove"): CELL,
    ("POST", "/cell/rumours/{claim_id}/denial"): CELL,
    ("POST", "/cell/rumours/{claim_id}/article"): CELL,
    ("GET", "/cell/feeds"): CELL,
    ("POST", "/cell/feeds"): CELL,
    ("POST", "/cell/feeds/{name}/remove"): CELL,
    ("POST", "/cell/reports"): CELL,
    ("GET", "/cell/reports/{report_id}"): CELL,
    ("GET", "/cell/reports/{report_id}.pdf"): CELL,
    ("GET", "/cell/activate"): CELL,
    ("POST", "/cell/activate"): CELL,
    ("POST", "/cell/crises/{crisis_id}/{action}"): CELL,
    ("GET", "/cell/publications"): CELL,
    ("POST", "/cell/publications"): CELL,
    ("GET", "/cell/publications/{publication_id}"): CELL,
    ("GET", "/cell/publications/{publication_id}/preview"): CELL,
    ("POST", "/cell/publications/{publication_id}/{action}"): CELL,
    ("GET", "/cell/builds"): CELL,
    ("POST", "/cell/builds/rollback"): CELL,
    ("POST", "/cell/builds/rebuild"): CELL,
    ("GET", "/cell/broadcasts"): CELL,
    ("POST", "/cell/broadcasts/{broadcast_id}/cancel"): CELL,
    # Pulse questions: supervisors read the results, the cell sends and closes.
    ("GET", "/cell/pulses"): SUP,
    ("POST", "/cell/pulses"): CELL,
    ("GET", "/cell/pulses/{pulse_id}"): SUP,
    ("POST", "/cell/pulses/{pulse_id}/close"): CELL,
    ("GET", "/cell/kb"): CELL,
    ("POST", "/cell/kb/articles/{article_id}/{action}"): CELL,
    ("POST", "/cell/kb/alternates"): CELL,
    ("POST", "/cell/kb/alternates/{proposal_id}/accept"): CELL,
    ("POST", "/cell/kb/alternates/{proposal_id}/refuse"): CELL,
    ("POST", "/cell/kb/missing"): CELL,
    ("GET", "/cell/kb/drafts/{article_id}"): CELL,
    ("POST", "/cell/kb/drafts/{article_id}"): CELL,
    ("GET", "/cell/{tail}"): PUBLIC,  # the app's 404 page, to anyone: it holds nothing
    # The citizens' information site, last: everything else below /.
    ("GET", "/{path}"): PUBLIC,
}
# Routes whose answer ends the caller's session: asked last, after everything else.
SIGNING_OUT = {("POST", "/logout"), ("DELETE", "/api/session")}
# /readyz says 503 while no worker beats: that is its answer, not a server error.
MAY_BE_503 = {("GET", "/readyz")}

PUBLIC_URL = "http://crisis.example.gouv.fr"
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "matrix-auth-token"
METRICS_TOKEN = "matrix-metrics-token"
PASSWORD = "correct horse battery staple"


@dataclasses.dataclass(frozen=True)
class Caller:
    label: str
    role: Role | None  # None: anonymous
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Case:
    method: str
    pattern: str   # the row of EXPECTED
    url: str


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    # Twilio on, pointing at the centre's own sandbox: every optional route is mounted.
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+33700000000",
            "TWILIO_API_BASE": PUBLIC_URL + "/sandbox/twilio",
            "TWILIO_API_KEY_SID": "SK" + "1" * 32, "TWILIO_API_KEY_SECRET": "matrix-api-key-secret-of-32-chars",
            "TWILIO_TWIML_APP_SID": "AP" + "1" * 32,
            "CRISIS_METRICS_TOKEN": METRICS_TOKEN}


def _expansions(path: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Each concrete pattern of a route: `{action:a|b}` gives one pattern per alternative
    (with the value to send); `{name}` and `{name:regex}` stay `{name}`."""
    choices: list[list[tuple[str, str, str]]] = []
    for match in re.finditer(r"{(\w+)(?::([^}]*))?}", path):
        name, regex = match.group(1), match.group(2)
        if regex and re.fullmatch(r"[\w-]+(\|[\w-]+)+", regex):
            choices.append([(match.group(0), alt, alt) for alt in regex.split("|")])
        else:
            choices.append([(match.group(0), "{" + name + "}", "")])
    combos: list[list[tuple[str, str, str]]] = [[]]
    for options in choices:
        combos = [c + [o] for c in combos for o in options]
    for combo in combos:
        pattern, fixed = path, {}
        for placeholder, written, value in combo:
            pattern = pattern.replace(placeholder, written, 1)
            if value:
                fixed[placeholder] = value
        yield pattern, fixed


def routes_of(app: web.Application) -> list[tuple[str, str, dict[str, str]]]:
    """(method, pattern, fixed values) of every route; HEAD is asked with its GET (_heads)."""
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
        if "pattern" in info:  # give back each variable its regex: {action:submit|validate}
            for name, regex in re.findall(r"\(\?P<(\w+)>([^()]*)\)", info["pattern"].pattern):
                if re.fullmatch(r"[\w-]+(\|[\w-]+)+", regex):
                    path = path.replace("{" + name + "}", "{" + name + ":" + regex + "}")
        for pattern, fixed in _expansions(path):
            found.add((route.method, pattern, tuple(sorted(fixed.items()))))
    return sorted((m, p, dict(f)) for m, p, f in found)


def _heads(app: web.Application) -> set[str]:
    """The patterns that answer HEAD themselves (pages; the JSON API answers GET only)."""
    heads = set()
    for route in app.router.routes():
        if route.method == "HEAD" and route.resource is not None:
            heads.add(route.resource.canonical)
    return heads


def _first_file(app: web.Application, prefix: str) -> str:
    for resource in app.router.resources():
        info = resource.get_info()
        if info.get("prefix") == prefix:
            directory = Path(info["directory"])
            return sorted(p.name for p in directory.iterdir() if p.is_file())[0]
    raise AssertionError(f"no static route at {prefix}")


def allowed(access: Access, caller: Caller) -> bool:
    if access == PUBLIC:
        return True
    if access in (TWILIO, TWILIO_BASIC, METRICS):
        return False  # no account or API token may stand in for a provider or the scraper
    if caller.role is None:
        return False
    if access == HOLDER:  # the conversation is held by someone else
        return caller.role.at_least(Role.SUPERVISOR)
    assert isinstance(access, Role)
    return caller.role.at_least(access)


def refused(status: int, location: str) -> bool:
    # A page asks to sign in with a redirect that comes back after (a plain /login is where
    # signing out lands, not a refusal).
    return status in (401, 403) or (300 <= status < 400 and location.startswith("/login?next="))


async def _callers(client: Any, ctx: Context) -> list[Caller]:
    callers = [Caller("anonymous", None)]
    for role in (OP, SUP, CELL, ADM):
        callers.append(await _session(client, ctx, f"s-{role.value}", role))
    for role in (OP, SUP, CELL, ADM):
        token = await ctx.accounts.create_token(f"t-{role.value}", role, actor=ADMIN)
        callers.append(Caller(f"token {role.value}", role, {"Authorization": f"Bearer {token}"}))
    callers.append(await _session(client, ctx, "renfort", OP, reinforcement=True))
    return callers


async def _session(client: Any, ctx: Context, name: str, role: Role,
                   reinforcement: bool = False) -> Caller:
    expires = utcnow().replace(year=utcnow().year + 1) if reinforcement else None
    await ctx.accounts.create_account(name, role, PASSWORD, actor=ADMIN, expires_at=expires,
                                      reinforcement=reinforcement)
    client.session.cookie_jar.clear()
    response = await client.post("/api/session", json={"name": name, "password": PASSWORD})
    assert response.status == 200, await response.text()
    cookie = response.cookies["crisis_session"].value
    label = f"reinforcement {role.value}" if reinforcement else f"session {role.value}"
    return Caller(label, role, {"Cookie": f"crisis_session={cookie}",
                                "X-CSRF-Token": (await response.json())["csrf"]})


async def _real_ids(client: Any, ctx: Context) -> dict[str, str]:
    """Things that exist, so that a route reaches its real work, not only a 404."""
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75",
                                     level=2, actor=ADMIN, title="Crue", reason="matrix")
    publication = (await ctx.publications.list())[0]
    lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    articles = parse_article_lines(lines)
    await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus), articles, actor=ADMIN)
    received = await client.app[DESK].store.receive(InboundMessage(
        channel=ChannelKind.CHAT, address="matrix-citizen", text="ma cave est inondée",
        provider_id="matrix-1", received_at=utcnow()))
    assert received is not None
    # Held by an operator who is none of the callers.
    await ctx.redis.hset(client.app[DESK].k.conversation(received.conversation_id),
                         mapping={"operator": "someone-else"})
    broadcast_id, _ = await Broadcasts(ctx.redis, client.app[DESK].k).create(
        publication, PUBLIC_URL)  # preparing: the first caller allowed to stop it stops it
    return {"{crisis_id}": crisis.id, "{publication_id}": publication.id,
            "{broadcast_id}": broadcast_id,
            "{article_id}": articles[0].id, "{scenario_id}": "inondation",
            "{proposal_id}": "no-such-proposal", "{sid}": ACCOUNT_SID,
            "{conversation_id}": received.conversation_id, "{broadcast_id}": "no-such-broadcast", "{report_id}": "no-such-report",
            "{claim_id}": "no-such-claim", "{pulse_id}": "no-such-pulse"}


def _cases(app: web.Application, ids: dict[str, str]) -> list[Case]:
    statics = {prefix: _first_file(app, prefix)
               for prefix in ("/assets", "/chat/static", "/console/static",
                              "/sandbox/phone/static")}
    ids = {**ids, "{name}": sorted(app[PAGE_ASSETS])[0]}
    cases = []
    for method, pattern, fixed in routes_of(app):
        url = pattern
        for placeholder, value in {**ids, **fixed}.items():
            url = url.replace(placeholder, value)
        url = re.sub(r"{action}|{decision}", "close" if "crises" in pattern else "validate", url)
        url = url.replace("{path}", "index.html").replace("{tail}", "no-such-page")
        if pattern in statics:
            url = f"{pattern}/{statics[pattern]}"
        cases.append(Case(method, pattern, url))
    first = [c for c in cases if (c.method, c.pattern) not in SIGNING_OUT]
    return first + [c for c in cases if (c.method, c.pattern) in SIGNING_OUT]


async def _ask(client: Any, case: Case, caller: Caller) -> tuple[int, str]:
    client.session.cookie_jar.clear()  # only the caller's own credentials go
    headers = dict(caller.headers)
    if case.url.endswith("/ws"):
        try:
            socket = await client.ws_connect(case.url, headers=headers)
        except aiohttp.WSServerHandshakeError as err:
            return err.status, err.headers.get("Location", "") if err.headers else ""
        await socket.close()
        return 101, ""
    kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
    if case.pattern == "/login" and case.method == "POST":
        kwargs["data"] = {"name": "s-operator", "password": PASSWORD, "next": "/console/"}
    elif case.pattern == "/api/session" and case.method == "POST":
        kwargs["json"] = {"name": "s-operator", "password": PASSWORD}
    elif case.method != "GET" and case.url.startswith("/api/"):
        kwargs["json"] = {}
    elif case.method != "GET":
        kwargs["data"] = {}
    async with client.request(case.method, case.url, **kwargs) as response:
        if response.content_type != "text/event-stream":  # a stream never ends: status only
            await response.read()
        return response.status, response.headers.get("Location", "")


async def test_every_route_answers_every_caller_as_the_table_says(
        client: Any, ctx: Context) -> None:
    app = client.app
    missing = [(m, p) for m, p, _ in routes_of(app) if (m, p) not in EXPECTED]
    assert not missing, f"routes with no row in EXPECTED (decide who may call them): {missing}"
    stale = set(EXPECTED) - {(m, p) for m, p, _ in routes_of(app)}
    assert not stale, f"rows of EXPECTED that match no route any more: {stale}"

    callers = await _callers(client, ctx)
    cases = _cases(app, await _real_ids(client, ctx))
    heads = _heads(app)
    wrong: list[str] = []
    asked = 0
    for case in cases:
        access = EXPECTED[(case.method, case.pattern)]
        for caller in callers:
            methods = [case.method, "HEAD"] if case.method == "GET" and case.pattern in heads \
                and not case.url.endswith("/ws") else [case.method]
            for method in methods:
                status, location = await _ask(client, dataclasses.replace(case, method=method),
                                              caller)
                asked += 1
                was_refused = refused(status, location)
                if status >= 500 and not (status == 503 and (case.method, case.pattern)
                                          in MAY_BE_503):
                    wrong.append(f"{method} {case.url} as {caller.label}: {status} (server error)")
                elif was_refused == allowed(access, caller):
                    verdict = "refused" if was_refused else "allowed"
                    wrong.append(f"{method} {case.url} as {caller.label}: {verdict} ({status}), "
                                 f"but the table says {access}")
    assert not wrong, f"{len(wrong)} of {asked} answers differ:\n" + "\n".join(wrong)
    assert asked > 1000


async def test_the_providers_own_routes_let_the_provider_in(client: Any) -> None:
    """The other half of TWILIO, TWILIO_BASIC and METRICS: the right credentials get in."""
    form = {"MessageSid": "SMmatrix", "From": "+33612345678", "To": "+33700000000",
            "Body": "bonjour", "NumMedia": "0"}
    for path in ("/hooks/twilio/sms", "/hooks/twilio/sms/status"):
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
        response = await client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status == 200, (path, await response.text())
    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    response = await client.post(f"/sandbox/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                                 data={"To": "+33612345678", "Body": "x"},
                                 headers={"Authorization": f"Basic {basic}"})
    assert response.status == 201
    metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert metrics.status == 200 and "crisis_" in await metrics.text()


async def test_the_openapi_document_states_the_roles_the_table_enforces(client: Any) -> None:
    """The API's documented role ("Needs the X role") is the least role any of its
    alternatives needs: documentation and enforcement cannot drift apart."""
    for route in client.app[API_ROUTES]:
        needed = [EXPECTED[(route.method, pattern)] for pattern, _ in _expansions(route.path)]
        if route.role is None:
            assert needed == [PUBLIC] * len(needed), route.path
        else:
            # The holder of a conversation may be any operator: the role the API documents.
            roles = [OP if r == HOLDER else r for r in needed if isinstance(r, Role) or r == HOLDER]
            assert roles and min(roles, key=lambda r: r.rank) is route.role, \
                (route.method, route.path, route.role, needed)
