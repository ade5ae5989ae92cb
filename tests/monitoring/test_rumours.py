"""Rumours: near-duplicates grouped under their claim (the labelled set), matches counted per
source and area, the banner when a rumour rises in a synthetic stream, the two one-click
drafts end to end through HTTP, and the missing answers ranked by growth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from crisis.context import Context
from crisis.types import Role
from knowledge_base import KnowledgeBase
from monitoring.claim_grouping import NEAR_THRESHOLD
from monitoring.detection import BASELINE_WINDOWS, WINDOW_S, window_of
from monitoring.intake import add_signals, ensure_group, normalise_once
from monitoring.keys import WatchKeys
from monitoring.signal import Signal
from monitoring.text_terms import content_words, terms
from monitoring.watch_situation import watch_section
from monitoring.watchlist import Claim, Rumours, Watchlist, check_claim
from tests.conftest import login

LABELLED = Path(__file__).parent / "data" / "rumour_paraphrases.json"
BARRAGE = Claim(id="barrage", claim="le barrage va céder", variants=("la digue va lâcher",))


def _labelled() -> tuple[list[Claim], list[dict[str, Any]]]:
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    return [check_claim(c) for c in data["claims"]], data["texts"]


def _found(watchlist: Watchlist, text: str) -> list[str]:
    return watchlist.claims_in(terms(text), content_words(text))


def test_grouping_finds_every_paraphrase_of_the_labelled_set_and_no_unrelated_text() -> None:
    claims, texts = _labelled()
    near, exact = Watchlist.build((), claims), Watchlist.build((), claims, near=False)
    paraphrases = [t for t in texts if t["claim"]]
    grouped = [t for t in paraphrases if t["claim"] in _found(near, t["text"])]
    exactly = [t for t in paraphrases if t["claim"] in _found(exact, t["text"])]
    wrong = [(t["text"], _found(near, t["text"])) for t in texts
             if set(_found(near, t["text"])) - {t["claim"]}]
    assert NEAR_THRESHOLD == 0.7
    assert len(grouped) == len(paraphrases)  # recall 1.0 on the set (exact variants: 10/19)
    assert len(exactly) < len(paraphrases) * 0.6
    assert wrong == []  # precision 1.0: no unrelated text grouped


def test_an_unrelated_text_sharing_a_word_is_not_grouped() -> None:
    watchlist = Watchlist.build((), [BARRAGE])
    assert _found(watchlist, "Le barrage est surveillé en permanence") == []
    assert _found(watchlist, "on m'a dit que le barage allait ceder") == ["barrage"]
    assert _found(Watchlist.build((), [BARRAGE], near=False),
                  "on m'a dit que le barage allait ceder") == []


def _signal(text: str, source: str, area: str, at: dt.datetime) -> Signal:
    return Signal(source=source, time=at, text=text, area=area)


async def _normalise_all(ctx: Context, keys: WatchKeys) -> None:
    await ensure_group(ctx.redis, keys)
    while await normalise_once(ctx.redis, keys, "none", consumer="t", block_ms=None):
        pass


async def test_matches_are_counted_per_source_and_area(ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    await Rumours(ctx.redis, keys).put(BARRAGE)
    now = dt.datetime.now(dt.timezone.utc)
    await add_signals(ctx.redis, keys, [
        _signal("le barrage va céder cette nuit", "mastodon", "30", now),
        _signal("Le barrage a cédé ???", "mastodon", "30", now),
        _signal("la digue a lâché", "rss", "34", now),
        _signal("Visite du préfet au barrage", "rss", "34", now)])
    await _normalise_all(ctx, keys)
    section = await watch_section(ctx.redis, keys)
    rumour = section["rumours"][0]
    assert rumour["count"] == 3 and rumour["hour_total"] == 3
    assert rumour["sources"] == {"mastodon": 2, "rss": 1}
    assert rumour["areas"] == {"30": 2, "34": 1}
    assert all(t["kind"] not in ("rumour-source", "rumour-area") for t in section["trends"])


async def _steady_then_rising(ctx: Context, keys: WatchKeys) -> None:
    """A synthetic stream: an hour with one mention per window, then eight in this window."""
    now = dt.datetime.now(dt.timezone.utc)
    start = window_of(now.timestamp()) * WINDOW_S
    signals = [_signal("le barrage va céder", "mastodon", "30",
                       dt.datetime.fromtimestamp(start - k * WINDOW_S + 1, dt.timezone.utc))
               for k in range(1, BASELINE_WINDOWS + 1)]
    signals += [_signal(f"le barrage risque de céder {n}", "rss", "30", now) for n in range(8)]
    await add_signals(ctx.redis, keys, signals)
    await _normalise_all(ctx, keys)


async def test_a_rising_rumour_shows_a_banner_on_the_cells_pages(client: Any, ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    await Rumours(ctx.redis, keys).put(BARRAGE)
    await login(client, ctx, "cellule", Role.CELL)
    calm = await (await client.get("/cell/")).text()
    assert "Rumeur en hausse" not in calm
    await _steady_then_rising(ctx, keys)
    for path in ("/cell/", "/cell/situation", "/cell/kb"):
        page = await (await client.get(path)).text()
        assert "Rumeur en hausse : « le barrage va céder » (8 mentions en 5 min)." in page, path
        assert 'href="/cell/rumours#claim-barrage"' in page


async def test_one_click_drafts_a_denial_and_an_article_with_the_claims_text(
        client: Any, ctx: Context, knowledge: KnowledgeBase) -> None:
    keys = WatchKeys(ctx.keys)
    headers = await login(client, ctx, "cellule", Role.CELL)
    csrf = headers["X-CSRF-Token"]
    added = await client.post("/cell/rumours", data={
        "csrf_token": csrf, "claim": "L'eau du robinet est empoisonnée",
        "variants": "l'eau est contaminée\n\n on a empoisonné l'eau "}, allow_redirects=False)
    assert added.status == 303
    claim = (await Rumours(ctx.redis, keys).all())[0]
    assert claim.variants == ("l'eau est contaminée", "on a empoisonné l'eau")
    page = await (await client.get("/cell/rumours")).text()
    assert "« L&#39;eau du robinet est empoisonnée »" in page and "Rédiger un démenti" in page
    english = await (await client.get("/cell/rumours?lang=en")).text()
    assert "Draft a denial" in english and "Watch this rumour" in english

    denial = await client.post(f"/cell/rumours/{claim.id}/denial", data={"csrf_token": csrf},
                               allow_redirects=False)
    assert denial.status == 303
    location = denial.headers["Location"]
    assert location.startswith("/cell/publications?edit=") and location.endswith("#new")
    publication_id = location.removesuffix("#new").rsplit("=", 1)[-1]
    publication = await ctx.publications.get(publication_id)
    assert publication.status.value == "draft"
    assert "L'eau du robinet est empoisonnée" in publication.title
    assert "Cette information est fausse" in publication.body
    form = await (await client.get(location)).text()
    assert "Modifier le brouillon « " + publication_id in form
    assert 'value="Fausse information : « L&#39;eau du robinet est empoisonnée »"' in form
    edited = await client.post("/cell/publications", data={
        "csrf_token": csrf, "id": publication_id, "title": publication.title,
        "body": "L'eau du robinet est potable : l'ARS la contrôle chaque jour.", "lang": "fr",
        "priority": "high", "crisis": "", "areas": "", "easy_read": "", "sms": ""},
        allow_redirects=False)
    assert edited.headers["Location"] == f"/cell/publications/{publication_id}"
    assert (await ctx.publications.get(publication_id)).version == 2
    again = await client.post(f"/cell/rumours/{claim.id}/denial", data={"csrf_token": csrf},
                              allow_redirects=False)
    assert again.headers["Location"] == location  # the draft started, not a second one

    article = await client.post(f"/cell/rumours/{claim.id}/article", data={"csrf_token": csrf},
                                allow_redirects=False)
    assert article.status == 303 and article.headers["Location"].startswith("/cell/kb/drafts/")
    article_id = article.headers["Location"].rsplit("/", 1)[-1]
    version = await knowledge.get(article_id)
    assert version.status.value == "draft"
    assert version.article.question == "Est-il vrai que L'eau du robinet est empoisonnée ?"
    assert "on a empoisonné l'eau" in version.article.alternates
    edit = await client.get(article.headers["Location"])
    assert edit.status == 200 and "Enregistrer le brouillon" in await edit.text()
    saved = await client.post(article.headers["Location"], data={
        "csrf_token": csrf, "question": "L'eau du robinet est-elle empoisonnée ?",
        "answer": "Non. L'eau du robinet est contrôlée chaque jour par l'ARS.",
        "alternates": "l'eau est empoisonnée"}, allow_redirects=False)
    assert saved.status == 303
    assert (await knowledge.get(article_id)).article.answer.startswith("Non. L'eau")


async def test_bad_claims_get_a_clear_error(client: Any, ctx: Context) -> None:
    headers = await login(client, ctx, "cellule", Role.CELL)
    blank = await client.post("/cell/rumours", data={"csrf_token": headers["X-CSRF-Token"],
                                                     "claim": "  ", "variants": ""})
    assert blank.status == 400 and "must be a text of 1 to 200" in await blank.text()
    unknown = await client.post("/cell/rumours/nope/denial",
                                data={"csrf_token": headers["X-CSRF-Token"]})
    assert unknown.status == 404


async def test_missing_answers_are_ranked_by_growth(ctx: Context, knowledge: KnowledgeBase) -> None:
    from knowledge_base import learning  # the recording verb: what an unanswered SMS does
    store = knowledge.store
    hour = dt.datetime.now(dt.timezone.utc).replace(minute=30, second=0, microsecond=0)
    plan = {"ou dormir ce soir gymnase": (1, 6),  # growing: 1 then 6
            "indemnisation assurance voiture": (9, 2),  # asked more, but falling
            "horaires navette bus": (0, 3)}
    for question, (before, now) in plan.items():
        for at, times in ((hour - dt.timedelta(hours=1), before), (hour, now)):
            for _ in range(times):
                await learning.record_unanswered(store, question, lang="fr", channel="sms", at=at)
    ranked = [u["question"] for u in
              (await watch_section(ctx.redis, WatchKeys(ctx.keys), kb=knowledge,
                                   now_s=hour.timestamp()))["unanswered"]]
    assert ranked[:3] == ["ou dormir ce soir gymnase", "horaires navette bus",
                          "indemnisation assurance voiture"]
