"""Signing in over real HTTP: where each role lands, which `next=` is followed, the error
pages a browser gets (403, 404, 500, expired form) and signing out."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from tests.conftest import ADMIN

PASSWORD = "correct horse battery staple"


async def _sign_in(client: Any, ctx: Context, name: str, role: Role, next_url: str | None = None,
                   lang: str = "fr") -> str:
    """Create the account, post the login form; the Location it is sent to."""
    await ctx.accounts.create_account(name, role, PASSWORD, actor=ADMIN)
    form = {"name": name, "password": PASSWORD}
    if next_url is not None:
        form["next"] = next_url
    response = await client.post(f"/login?lang={lang}", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    return str(response.headers["Location"])


@pytest.mark.parametrize(("role", "home", "heading"), [
    (Role.OPERATOR, "/console/", "<h1>Console des opérateurs</h1>"),
    (Role.SUPERVISOR, "/console/supervisor", "<h1>Supervision</h1>"),
    (Role.CELL, "/cell/", "<h1>Crises</h1>"),
    (Role.ADMIN, "/cell/", "<h1>Crises</h1>"),
])
async def test_each_role_lands_on_its_own_home(client: Any, ctx: Context, role: Role, home: str,
                                               heading: str) -> None:
    assert await _sign_in(client, ctx, "someone", role) == home
    landed = await client.get(home)
    text = await landed.text()
    assert landed.status == 200 and heading in text
    assert "Se déconnecter" in text and "Connecté en tant que" in text


@pytest.mark.parametrize(("role", "next_url", "expected"), [
    # A local page the role may open is where it goes, query string included.
    (Role.CELL, "/cell/publications?lang=en", "/cell/publications?lang=en"),
    (Role.SUPERVISOR, "/cell/situation", "/cell/situation"),
    (Role.OPERATOR, "/console/c/abc", "/console/c/abc"),
    (Role.OPERATOR, "/fr/", "/fr/"),
    # A page the role cannot open: its home, not a 403.
    (Role.OPERATOR, "/cell/", "/console/"),
    (Role.OPERATOR, "/console/supervisor", "/console/"),
    (Role.SUPERVISOR, "/cell/builds", "/console/supervisor"),
    # Another site, in every disguise: the home.
    (Role.CELL, "https://evil.example/cell/", "/cell/"),
    (Role.CELL, "//evil.example/cell/", "/cell/"),
    (Role.CELL, "/\\evil.example/", "/cell/"),
    (Role.CELL, "javascript:alert(1)", "/cell/"),
    (Role.CELL, "/cell/\r\nSet-Cookie: x=1", "/cell/"),
    (Role.CELL, "/\t/evil.example/", "/cell/"),
    (Role.SUPERVISOR, "/login?next=/cell/", "/console/supervisor"),
    (Role.SUPERVISOR, "", "/console/supervisor"),
])
async def test_next_is_followed_only_to_a_local_page_the_role_may_open(
        client: Any, ctx: Context, role: Role, next_url: str, expected: str) -> None:
    assert await _sign_in(client, ctx, "someone", role, next_url) == expected


async def test_a_page_asked_before_signing_in_is_reached_after(client: Any, ctx: Context) -> None:
    asked = await client.get("/console/supervisor?lang=en", allow_redirects=False)
    assert asked.status == 303
    login = await client.get(asked.headers["Location"])
    assert 'name="next" value="/console/supervisor?lang=en"' in await login.text()
    assert await _sign_in(client, ctx, "chef", Role.SUPERVISOR,
                          "/console/supervisor?lang=en") == "/console/supervisor?lang=en"


async def test_a_403_page_says_who_you_are_and_where_to_go(client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "op1", Role.OPERATOR)
    refused = await client.get("/cell/builds")
    text = await refused.text()
    assert refused.status == 403 and refused.content_type == "text/html"
    assert "<h1>Accès refusé</h1>" in text and "Erreur 403" in text
    assert "Votre compte « op1 » (opérateur) ne donne pas accès à cette page." in text
    assert '<a href="/console/">Aller à la console des opérateurs</a>' in text
    assert "Se connecter avec un autre compte" in text and "Se déconnecter" in text
    english = await (await client.get("/cell/builds", headers={"Accept-Language": "en"})).text()
    assert "<h1>Access denied</h1>" in english and "Go to the operator console" in english
    # The JSON API keeps its JSON errors.
    api = await client.get("/cell/builds", headers={"Accept": "application/json"})
    assert api.status == 403 and (await api.json())["error"]["code"] == "forbidden"


async def test_a_404_page_in_the_app_and_on_the_site(client: Any, ctx: Context) -> None:
    visitor = await client.get("/cell/nothing-here")
    text = await visitor.text()
    assert visitor.status == 404 and "<h1>Page introuvable</h1>" in text
    assert '<a href="/login?lang=fr">Se connecter</a>' in text and 'href="/">Consulter le site' in text
    await _sign_in(client, ctx, "chef", Role.CELL)
    unknown = await client.get("/cell/publications/no-such-publication?lang=en")
    english = await unknown.text()
    assert unknown.status == 404 and "<h1>Page not found</h1>" in english
    assert "Go to the crisis cell" in english and "Sign out" in english
    console = await client.get("/console/nowhere")
    assert console.status == 404 and "Page introuvable" in await console.text()
    # No site built yet: aiohttp's own 404 is the same page.
    site = await client.get("/no/such/page")
    assert site.status == 404 and "<h1>Page introuvable</h1>" in await site.text()


async def test_an_expired_form_says_so(client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "chef", Role.CELL)
    stale = await client.post("/cell/builds/rebuild", data={"csrf_token": "old"})
    text = await stale.text()
    assert stale.status == 403 and "<h1>Formulaire expiré</h1>" in text
    assert "rechargez la page" in text


async def test_a_500_page_shows_no_traceback(aiohttp_client: Any, settings: Settings,
                                             redis_url: str) -> None:
    from crisis.app import build_app
    app = build_app(settings, redis_url)

    @web.middleware
    async def fault(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/fr/":
            raise RuntimeError("secret internals /srv/crisis/x.py line 12")
        return await handler(request)

    app.middlewares.append(fault)
    client = await aiohttp_client(app)
    response = await client.get("/fr/", headers={"Accept-Language": "en"})
    text = await response.text()
    assert response.status == 500 and "<h1>Service error</h1>" in text
    assert "It was logged" in text and "Sign in" in text
    assert "secret internals" not in text and "Traceback" not in text and "x.py" not in text


async def test_signing_out_ends_the_session(client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "chef", Role.CELL)
    page = await (await client.get("/cell/")).text()
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert 'action="/logout?lang=fr"' in page
    out = await client.post("/logout?lang=fr", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/login"
    again = await client.get("/cell/", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"] == "/login?next=/cell/"


async def test_menus_offer_only_what_the_role_may_open(client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "chef", Role.SUPERVISOR)
    board = await (await client.get("/console/supervisor")).text()
    assert 'href="/cell/situation">Situation en direct</a>' in board
    situation = await (await client.get("/cell/situation")).text()
    assert 'href="/console/supervisor">Supervision</a>' in situation
    assert 'href="/cell/builds"' not in situation and 'href="/cell/activate"' not in situation
    client.session.cookie_jar.clear()
    await _sign_in(client, ctx, "cellule", Role.CELL)
    situation = await (await client.get("/cell/situation")).text()
    assert 'href="/cell/builds"' in situation and 'href="/console/supervisor"' not in situation


async def test_the_cell_and_the_console_follow_the_browsers_language_or_the_choice(
        client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "chef", Role.CELL)
    english = {"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}
    cell = await (await client.get("/cell/publications", headers=english)).text()
    assert "New publication" in cell and "Sign out" in cell
    assert 'href="/cell/builds"' in cell  # links follow the browser too: no ?lang= needed
    chosen = await (await client.get("/cell/publications?lang=fr", headers=english)).text()
    assert "Nouvelle publication" in chosen and 'href="/cell/builds?lang=fr"' in chosen
    console = await (await client.get("/console/", headers=english)).text()
    assert "Operator console" in console and "Sign out" in console
    french = await (await client.get("/cell/publications")).text()
    assert "Nouvelle publication" in french and "Se déconnecter" in french


async def test_every_signed_in_page_has_the_sign_out_form(client: Any, ctx: Context) -> None:
    await _sign_in(client, ctx, "root", Role.ADMIN)
    csrf = (await (await client.get("/api/me")).json())["csrf"]
    form = (f'<form method="post" action="/logout?lang=fr" class="logout">'
            f'<input type="hidden" name="csrf_token" value="{csrf}">'
            f'<button type="submit">Se déconnecter</button></form>')
    for path in ("/cell/", "/cell/situation", "/cell/activate", "/cell/publications", "/cell/kb",
                 "/cell/builds", "/console/", "/console/supervisor"):
        response = await client.get(path)
        assert response.status == 200, path
        assert form in await response.text(), path
