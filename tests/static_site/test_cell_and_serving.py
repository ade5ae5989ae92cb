"""The cell's pages and the embedded serving, through the whole app over real HTTP."""

from __future__ import annotations

from typing import Any

from crisis.context import Context
from crisis.types import Role
from knowledge_base import KnowledgeBase
from static_site.model import SiteConfig
from static_site.records import recent_records
from static_site.service import run_build
from tests.conftest import login


async def _cell(client: Any, ctx: Context) -> str:
    headers = await login(client, ctx, "cellule", Role.CELL)
    return headers["X-CSRF-Token"]


async def _activate(client: Any, csrf: str) -> None:
    form = {"csrf_token": csrf, "scenario": "inondation", "areas": "75,92", "level": "2",
            "title": "Crue test"}
    preview = await client.post("/cell/activate", data=form)
    text = await preview.text()
    assert preview.status == 200 and "Ce qui sera mis en ligne" in text and "Paris (75)" in text
    done = await client.post("/cell/activate", data={**form, "confirm": "yes"},
                             allow_redirects=False)
    assert done.status == 303


async def test_cell_pages_need_the_cell_role(client: Any, ctx: Context) -> None:
    response = await client.get("/cell/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
    await login(client, ctx, "op", Role.OPERATOR)
    assert (await client.get("/cell/builds")).status == 403


async def test_activate_publish_build_and_serve(client: Any, ctx: Context) -> None:
    csrf = await _cell(client, ctx)
    await _activate(client, csrf)
    crisis = (await ctx.crises.list_live())[0]
    assert crisis.title == "Crue test" and crisis.level == 2
    form = {"csrf_token": csrf, "title": "Évitez le quai", "id": "evitez-le-quai",
            "body": "Le **quai** est fermé. <script>alert(1)</script>", "lang": "fr",
            "priority": "high", "crisis": crisis.id, "areas": "75", "easy_read": ""}
    refused = await client.post("/cell/publications", data=form)
    assert refused.status == 400 and "scripts" in await refused.text()
    form["body"] = "Le **quai** est fermé. <b>gras</b>"
    created = await client.post("/cell/publications", data=form, allow_redirects=False)
    assert created.status == 303
    detail = await client.get("/cell/publications/evitez-le-quai")
    text = await detail.text()
    assert "<alert" in text.replace("&lt;", "<") and "Le quai est ferm" in text  # CAP and SMS
    preview = await client.get("/cell/publications/evitez-le-quai/preview")
    assert "&lt;b&gt;gras&lt;/b&gt;" in await preview.text()
    published = await client.post("/cell/publications/evitez-le-quai/publish",
                                  data={"csrf_token": csrf}, allow_redirects=False)
    assert published.status == 303
    record = await run_build(ctx.redis, ctx.keys, SiteConfig.from_settings(ctx.settings),
                             ctx.settings.site_path, kb=KnowledgeBase.from_context(ctx), trigger="test")
    assert record.ok, record.error
    page = await client.get("/publications/evitez-le-quai/", headers={"Accept-Encoding": "br"})
    assert page.status == 200 and page.headers["Content-Encoding"] == "br"
    assert "Évitez le quai" in await page.text()
    home = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Crue test" in await home.text()
    assert "stale-if-error" in home.headers["Cache-Control"]
    builds = await client.get("/cell/builds")
    assert "test" in await builds.text()


async def test_failed_build_is_recorded_and_shown(client: Any, ctx: Context, monkeypatch: Any) -> None:
    csrf = await _cell(client, ctx)
    del csrf

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("static_site.builder.render_page", broken)
    record = await run_build(ctx.redis, ctx.keys, SiteConfig(), ctx.settings.site_path,
                             kb=KnowledgeBase.from_context(ctx), trigger="publication.published")
    assert not record.ok and "disk full" in record.error
    assert (await recent_records(ctx.redis, ctx.keys))[0].error == record.error
    text = await (await client.get("/cell/builds")).text()
    assert "ÉCHEC" in text and "disk full" in text
    assert "Publication publiée" in text and "publication.published" not in text
    metrics = await (await client.get("/metrics")).text()
    assert 'crisis_site_builds_total{kind="incremental",outcome="failed"}' in metrics


async def test_rollback_from_the_cell(client: Any, ctx: Context) -> None:
    csrf = await _cell(client, ctx)
    config = SiteConfig.from_settings(ctx.settings)
    kb = KnowledgeBase.from_context(ctx)
    first = await run_build(ctx.redis, ctx.keys, config, ctx.settings.site_path, kb=kb, trigger="a", full=True)
    await run_build(ctx.redis, ctx.keys, config, ctx.settings.site_path, kb=kb, trigger="b", full=True)
    response = await client.post("/cell/builds/rollback", data={"csrf_token": csrf},
                                 allow_redirects=False)
    assert response.status == 303
    assert ctx.settings.site_path.resolve().name == first.id
    refused = await client.post("/cell/builds/rollback", data={"csrf_token": "wrong"})
    assert refused.status == 403


async def test_serving_refuses_traversal_and_hidden_files(client: Any, ctx: Context) -> None:
    await run_build(ctx.redis, ctx.keys, SiteConfig(), ctx.settings.site_path,
                    kb=KnowledgeBase.from_context(ctx), trigger="t")
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.manifest.json"):
        response = await client.get(path)
        assert response.status == 404, path
    css = next((ctx.settings.site_path / "site-assets").glob("site.*.css")).name
    asset = await client.get(f"/site-assets/{css}", headers={"Accept-Encoding": "br"})
    assert asset.status == 200 and asset.headers["Content-Encoding"] == "br"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    served = await client.get("/robots.txt")
    assert served.status == 200 and "Sitemap" in await served.text()
