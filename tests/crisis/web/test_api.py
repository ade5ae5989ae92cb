"""The JSON API over real HTTP: auth, roles, CSRF, errors, limits, headers, OpenAPI."""

from __future__ import annotations

import io
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from crisis.context import Context
from crisis.types import Role
from tests.conftest import ADMIN, login


async def test_openapi_documents_every_api_route(client: Any) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    import re
    routed = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/") and path != "/api/openapi.json" and route.method != "HEAD":
            routed.add((route.method, re.sub(r"{(\w+)(:[^}]*)?}", r"{\1}", path)))
    assert routed and routed <= documented, routed - documented


async def test_writes_need_a_login(client: Any) -> None:
    response = await client.post("/api/crises", json={"scenario": "inondation", "areas": "75"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_cell_activates_and_operator_cannot(client: Any, ctx: Context) -> None:
    cell = await login(client, ctx, "cell1", Role.CELL)
    response = await client.post("/api/crises", headers=cell, json={
        "scenario": "inondation", "areas": "75,92", "level": 2, "title": "Crue de la Seine"})
    assert response.status == 201, await response.text()
    crisis = await response.json()
    assert crisis["state"] == "active" and crisis["areas"] == ["75", "92"]
    client.session.cookie_jar.clear()
    operator = await login(client, ctx, "op1", Role.OPERATOR)
    response = await client.post(f"/api/crises/{crisis['id']}/close", headers=operator, json={})
    assert response.status == 403
    assert "needs the cell role" in (await response.json())["error"]["message"]
    listed = await (await client.get("/api/crises")).json()
    assert [c["id"] for c in listed["items"]] == [crisis["id"]]


async def test_cookie_writes_without_csrf_token_are_refused(client: Any, ctx: Context) -> None:
    await login(client, ctx, "cell2", Role.CELL)
    response = await client.post("/api/crises", json={"scenario": "canicule", "areas": "13"})
    assert response.status == 403
    assert "CSRF" in (await response.json())["error"]["message"]


async def test_bearer_tokens_need_no_csrf_and_bad_ones_are_refused(client: Any, ctx: Context) -> None:
    token = await ctx.accounts.create_token("script", Role.CELL, actor=ADMIN)
    response = await client.post("/api/crises", json={"scenario": "canicule", "areas": "13"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201
    response = await client.get("/api/crises", headers={"Authorization": "Bearer crt_forged"})
    assert response.status == 401


async def test_illegal_transition_is_409_with_a_message(client: Any, ctx: Context) -> None:
    cell = await login(client, ctx, "cell3", Role.CELL)
    crisis = await (await client.post("/api/crises", headers=cell, json={
        "scenario": "tempete", "areas": "29"})).json()
    response = await client.post(f"/api/crises/{crisis['id']}/re-escalate", headers=cell, json={})
    assert response.status == 409
    body = await response.json()
    assert body["error"]["code"] == "invalid_transition"
    assert "allowed now" in body["error"]["message"]


async def test_bad_bodies_get_clear_errors(client: Any, ctx: Context) -> None:
    cell = await login(client, ctx, "cell4", Role.CELL)
    for body, expected in (
        ("{not json", "not valid JSON"),
        ('{"scenario": "inondation"}', "areas"),
        ('{"scenario": "inondation", "areas": "75", "evil": 1}', "evil"),
        ('{"scenario": "inondation", "areas": "75", "level": 9}', "level must be 1, 2 or 3"),
    ):
        response = await client.post("/api/crises", data=body, headers={
            **cell, "Content-Type": "application/json"})
        assert response.status == 400, body
        assert expected in (await response.json())["error"]["message"]


async def test_oversized_bodies_are_413(client: Any, ctx: Context) -> None:
    cell = await login(client, ctx, "cell5", Role.CELL)
    response = await client.post("/api/publications", headers={
        **cell, "Content-Type": "application/json"}, data=io.BytesIO(b'{"document": "' + b"x" * 2_000_000 + b'"}'))
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"


async def test_unknown_api_route_is_json_404(client: Any) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status == 404
    assert "error" in await response.json()


async def test_head_on_an_api_get_route_answers_like_get(client: Any) -> None:
    """A monitor's HEAD probe of an API URL gets the route's status, not the site's 404."""
    get = await client.get("/api/situation")
    head = await client.head("/api/situation")
    assert get.status == 401  # signed out: the API's answer, not the site's
    assert head.status == get.status and await head.read() == b""


async def test_html_pages_carry_security_headers(client: Any) -> None:
    response = await client.get("/login")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


async def test_login_form_sets_a_strict_cookie_and_bad_password_says_what_to_do(
    client: Any, ctx: Context
) -> None:
    await ctx.accounts.create_account("op9", Role.OPERATOR, "a long password!", actor=ADMIN)
    response = await client.post("/login", data={"name": "op9", "password": "wrong one!!"},
                                 allow_redirects=False)
    assert response.status == 401
    assert "Vérifiez et réessayez" in await response.text()
    response = await client.post("/login", data={"name": "op9", "password": "a long password!",
                                                 "next": "https://evil.example/"},
                                 allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/console/"  # never an open redirect: home instead
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_publication_lifecycle_through_the_api(client: Any, ctx: Context) -> None:
    supervisor = await login(client, ctx, "sup1", Role.SUPERVISOR)
    document = "---\ntitle: Coupures d'eau\nlang: fr\n---\nL'eau est coupée à Nanterre.\n"
    created = await client.post("/api/publications", headers=supervisor, json={"document": document})
    assert created.status == 201
    pub_id = (await created.json())["id"]
    submitted = await client.post(f"/api/publications/{pub_id}/submit", headers=supervisor, json={})
    assert (await submitted.json())["status"] == "submitted"
    refused = await client.post(f"/api/publications/{pub_id}/publish", headers=supervisor, json={})
    assert refused.status == 403
    client.session.cookie_jar.clear()
    cell = await login(client, ctx, "cell6", Role.CELL)
    published = await client.post(f"/api/publications/{pub_id}/publish", headers=cell, json={})
    body = await published.json()
    assert body["status"] == "published" and body["validated_by"] == "session:cell6"
    detail = await (await client.get(f"/api/publications/{pub_id}")).json()
    assert [v["status"] for v in detail["history"]] == ["draft", "submitted", "published"]


async def test_script_in_a_publication_is_refused(client: Any, ctx: Context) -> None:
    cell = await login(client, ctx, "cell7", Role.CELL)
    document = "---\ntitle: Test\n---\nHello <script>alert(1)</script>\n"
    response = await client.post("/api/publications", headers=cell, json={"document": document})
    assert response.status == 400
    assert "scripts" in (await response.json())["error"]["message"]


async def test_health_and_metrics(client: Any) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    # No worker runs in this test: not ready, and it says why.
    assert ready.status == 503
    assert "worker" in (await ready.json())["problems"][0]
    await client.get("/api/openapi.json")
    metrics = await (await client.get("/metrics")).text()
    assert "crisis_http_requests_total" in metrics


async def test_requests_are_counted_by_route_and_status_class(client: Any) -> None:
    """Each answer counted once in its route's series: a route's series kept between
    requests must go on counting (crisis/metrics.py looks them up once)."""
    def count(text: str, route: str, status: str) -> float:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "crisis_http_requests_total" and sample.labels == {
                        "method": "GET", "route": route, "status": status}:
                    return float(sample.value)
        return 0.0

    before = await (await client.get("/metrics")).text()
    for _ in range(3):
        assert (await client.get("/healthz")).status == 200
    assert (await client.get("/no/such/page")).status == 404
    after = await (await client.get("/metrics")).text()
    assert count(after, "/healthz", "2xx") - count(before, "/healthz", "2xx") == 3
    # The site's catch-all route answered the unknown page: its template, not the path.
    assert count(after, "/{path}", "4xx") - count(before, "/{path}", "4xx") == 1
