"""The console's and the cell's pages fed anything: any form to every page that takes one,
any query string to every page, as an administrator (who reaches every handler); the answer
is a page, a redirect or a clear 4xx, never a server error, and nothing fails unseen."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.api import DESK
from crisis.activation import activate_scenario
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, Role, utcnow
from crisis.web.app_keys import CONTEXT
from tests.conftest import ADMIN
from tests.support.live_centre import LiveCentre, live_centre

# The names the pages' handlers read (from their code), and others.
FIELDS = ["text", "article_id", "article", "tags", "topic", "target", "note", "status", "langs",
          "topics", "channels", "capacity", "operator", "conversation", "scenario", "areas",
          "area", "level", "title", "reason", "body", "easy_read", "priority", "crisis", "lang",
          "id", "question", "answer", "alternates", "members", "confirm", "insert", "canned",
          "done", "fragment", "next", "q", "since", "limit", "cursor", "channel", "wrap_up",
          "build_id", "decision", "name"]
values = st.one_of(st.text(max_size=120),
                   st.sampled_from(["", "0", "-1", "99999999999999999999", "fr", "en", "75",
                                    "2A", "inondation", "available", "offline", "urgent", "on",
                                    "../../etc/passwd", "//evil.example", "<script>x</script>",
                                    "1e999", "null", "[]", "{}"]))
forms = st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=12), values),
                 max_size=8)


@pytest.fixture
def live(settings: Settings, redis_url: str, caplog: pytest.LogCaptureFixture
         ) -> Iterator[tuple[LiveCentre, dict[str, str], dict[str, str]]]:
    caplog.set_level(logging.ERROR)
    with live_centre(settings, redis_url) as centre:
        token = centre.call(centre.app[CONTEXT].accounts.create_token("admin", Role.ADMIN,
                                                                      actor=ADMIN))
        ids = centre.call(_seed(centre))
        yield centre, {"Authorization": f"Bearer {token}"}, ids
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def _seed(centre: LiveCentre) -> dict[str, str]:
    ctx = centre.app[CONTEXT]
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75",
                                     level=2, actor=ADMIN, title="Crue", reason="fuzz")
    received = await centre.app[DESK].store.receive(InboundMessage(
        channel=ChannelKind.CHAT, address="pages-fuzz", text="ma cave est inondée",
        provider_id="pages-1", received_at=utcnow()))
    assert received is not None
    return {"{crisis_id}": crisis.id, "{publication_id}": (await ctx.publications.list())[0].id,
            "{conversation_id}": received.conversation_id, "{article_id}": "no-such-article",
            "{proposal_id}": "no-such-proposal", "{path}": "index.html"}


def _page_routes(centre: LiveCentre, method: str) -> list[str]:
    """The pages (not the JSON API, the webhooks or the sign-in) answering `method`."""
    found = set()
    for route in centre.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method == method and path and not path.startswith(
                ("/api/", "/hooks/", "/sandbox/", "/login", "/logout", "/chat/ws",
                 "/console/ws")) and "prefix" not in info:
            found.add(path)
    return sorted(found)


def _url(path: str, ids: dict[str, str], action: str) -> str:
    for placeholder, value in ids.items():
        path = path.replace(placeholder, value)
    return re.sub(r"{\w+}", action, path)


actions = st.sampled_from(["validate", "publish", "withdraw", "close", "de-escalate",
                           "re-escalate", "accept", "refuse", "submit", "reject", "archive"]) \
    | st.text("abcdefghijklmnopqrstuvwxyz-/", min_size=1, max_size=12)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), form=forms, action=actions)
def test_any_form_to_any_page_is_never_a_server_error(
        live: tuple[LiveCentre, dict[str, str], dict[str, str]], data: Any,
        form: list[tuple[str, str]], action: str) -> None:
    centre, auth, ids = live
    path = data.draw(st.sampled_from(_page_routes(centre, "POST")))
    response = requests.post(centre.base + _url(path, ids, action), data=form, headers=auth,
                             allow_redirects=False, timeout=20)
    assert response.status_code < 500, (path, form, response.status_code, response.text[:300])


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), query=forms, action=actions)
def test_any_query_to_any_page_is_never_a_server_error(
        live: tuple[LiveCentre, dict[str, str], dict[str, str]], data: Any,
        query: list[tuple[str, str]], action: str) -> None:
    centre, auth, ids = live
    path = data.draw(st.sampled_from(_page_routes(centre, "GET")))
    # stream=True: the status is read from the headers and the body only on a failure, since
    # one page (/cell/situation/stream, the wall screens' event stream) never ends.
    with requests.get(centre.base + _url(path, ids, action), params=query, headers=auth,
                      allow_redirects=False, timeout=20, stream=True) as response:
        if path == "/readyz" and response.status_code == 503:
            return  # not ready while no worker beats: readiness's own answer
        assert response.status_code < 500, (path, query, response.status_code,
                                             response.raw.read(300, decode_content=True))
