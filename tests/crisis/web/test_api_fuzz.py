"""The JSON API fuzzed from its own OpenAPI document (schemathesis), on a live server.

Every operation of /api/openapi.json gets generated requests, valid and invalid, as an
administrator's API token (the role that reaches every handler); each answer must not be a
server error and must match what the document declares (status codes, content type, body
schema). A centre started on loopback in a thread, on the test's real Redis: the requests are
real HTTP, as a script or an attacker would send them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from channels.api import DESK
from crisis.activation import activate_scenario
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, Role, utcnow
from crisis.web.app_keys import CONTEXT
from knowledge_base.article import parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from tests.conftest import ADMIN
from tests.support.live_centre import live_centre


# Examples per operation: valid requests with generated ids, valid requests on things that
# exist (so the handlers' real work runs), invalid requests. ~55 operations stay within
# CI's budget (about 40 s here).
RANDOM_IDS, REAL_IDS, INVALID = 12, 12, 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def centre(settings: Settings, redis_url: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A live centre with things in it; yields its base URL, an administrator's bearer
    token and the ids of things that exist."""
    with live_centre(settings, redis_url) as live:
        token = live.call(live.app[CONTEXT].accounts.create_token("fuzzer", Role.ADMIN,
                                                                  actor=ADMIN))
        yield live.base, token, live.call(_seed(live.app))


async def _seed(app: web.Application) -> dict[str, str]:
    """A live crisis with its publications, the flood knowledge base, a citizen's chat."""
    ctx = app[CONTEXT]
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75,92",
                                     level=2, actor=ADMIN, title="Crue", reason="fuzz")
    lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
    articles = parse_article_lines(lines)
    await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus), articles, actor=ADMIN)
    received = await app[DESK].store.receive(InboundMessage(
        channel=ChannelKind.CHAT, address="fuzz-citizen", text="ma cave est inondée",
        provider_id="fuzz-1", received_at=utcnow()))
    assert received is not None
    return {"crisis_id": crisis.id, "publication_id": (await ctx.publications.list())[0].id,
            "article_id": articles[0].id, "scenario_id": "inondation",
            "conversation_id": received.conversation_id}


def _strategies(operation: Any, ids: dict[str, str]) -> list[tuple[str, int, Any]]:
    names = {p.name for p in operation.path_parameters}
    plans = [("random ids", RANDOM_IDS, operation.as_strategy()),
             ("invalid", INVALID, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))]
    if names and names <= set(ids):
        plans.append(("real ids", REAL_IDS, operation.as_strategy(
            path_parameters={n: ids[n] for n in names})))
    return plans


def test_every_api_operation_survives_generated_requests(
        centre: tuple[str, str, dict[str, str]]) -> None:
    base, token, ids = centre
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    auth = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # the whole API, not an empty document
    failures: list[str] = []
    for operation in operations:
        for plan, examples, strategy in _strategies(operation, ids):
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base, headers=auth, checks=CHECKS, timeout=10)

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing in the request can be made invalid (no parameter, no body).
                assert plan == "invalid" and not operation.path_parameters and \
                    not operation.query and not operation.body, operation.path
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 - collect them all
                failures.append(f"{operation.method.upper()} {operation.path} ({plan}): "
                                f"{str(err)[:1500]}")
    assert not failures, "\n\n".join(failures)
