"""The cell's broadcasts page over real HTTP: a broadcast during and after sending (progress
per channel, failures by reason, the ETA), the two-step stop, the subscribers table, English,
roles, the live fragment."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from channels.alerts.broadcasts import Broadcasts
from channels.alerts.subscriptions import Subscriptions
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.publication_file import parse_publication
from crisis.types import Publication, Role
from tests.conftest import CELL, bearer

NOTICE = """---
title: Évacuation des quais de Seine
id: evacuation-quais
area: [75, 92]
sms: Évacuez les quais de Seine avant 18 h.
---
Les quais de Seine sont évacués avant 18 h. Suivez les consignes des secours.
"""


async def seed_subscribers(ctx: Context) -> None:
    """Three real subscriptions, and bulk members in the areas' sets (what a count reads)."""
    keys = ChannelKeys(ctx.keys)
    subscriptions = Subscriptions(ctx.redis, keys, ctx.secret)
    await subscriptions.subscribe("sms", "+33611111111", ["75", "92"], source="sms ALERTE")
    await subscriptions.subscribe("telegram", "4242", ["75"], source="telegram /alerte")
    await subscriptions.subscribe("email", "a@example.org", ["13"], source="site form")
    await ctx.redis.sadd(keys.alert_area("75", "sms"), *[f"c{i}" for i in range(12_429)])
    await ctx.redis.sadd(keys.alert_area("92", "telegram"), *[f"t{i}" for i in range(3_209)])


async def seed_broadcast(ctx: Context, publication: Publication) -> tuple[Broadcasts, str]:
    """A broadcast made and snapshotted as the worker would, then counters half-way."""
    broadcasts = Broadcasts(ctx.redis, ChannelKeys(ctx.keys))
    broadcast_id, _ = await broadcasts.create(publication, ctx.settings.base_url)
    await broadcasts.snapshot(broadcast_id)
    await ctx.redis.hset(ChannelKeys(ctx.keys).broadcast(broadcast_id), mapping={
        "sent:sms": 6000, "failed:sms": 12, "reason:sms:invalid": 9,
        "reason:sms:blocked": 3, "unknown:sms": 4, "sent:telegram": 3210})
    return broadcasts, broadcast_id


def text_of(html: str) -> str:
    """The visible words of a page, spaces normalised (no tags, no scripts)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace("\u202f", " ")


async def test_a_broadcast_during_and_after_sending_and_stopped(client: Any, ctx: Context) -> None:
    await seed_subscribers(ctx)
    publication = await ctx.publications.publish_document(parse_publication(NOTICE), actor=CELL)
    broadcasts, broadcast_id = await seed_broadcast(ctx, publication)
    headers = await bearer(ctx, "cellule", Role.CELL)
    page = await client.get("/cell/broadcasts", headers=headers)
    html = await page.text()
    words = text_of(html)
    assert page.status == 200
    assert 'aria-current="page">Diffusions d&#39;alertes</a>' in html
    assert "Évacuation des quais de Seine Envoi en cours · 9 226 traités sur 15 640 (59 %)" in words
    assert "Fin estimée dans 13 min 22 s" in words  # 6 414 SMS left at 8 a second
    assert re.search(r'<tr data-channel="sms"><th scope="row">SMS</th>\s*<td><progress max="12430" '
                     r'value="6016"', html)
    assert "SMS 48 % 12 430 6 000 12 4 6 414" in words
    assert "Telegram 100 % 3 210 3 210 0 0 0 E-mail aucun abonné 0 0 0 0 0" in words
    assert "Échecs par motif SMS : numéro ou adresse invalide (abonnement supprimé) 9, bot bloqué par l'abonné (abonnement supprimé) 3" in words
    assert "Départements 75, 92" in words and "Arrêter la diffusion" in words
    # The subscribers, the most followed département first, with the totals.
    assert "75 Paris 12 430 1 0 0 12 431 92 Hauts-de-Seine 1 3 209 0 0 3 210 13 " in words
    assert "Total 12 431 3 210 1 0 15 642" in words

    # Stopping: the button asks to confirm; the confirmation stops it.
    asked = await client.post(f"/cell/broadcasts/{broadcast_id}/cancel", data={}, headers=headers)
    confirm = text_of(await asked.text())
    assert asked.status == 200 and "Arrêter la diffusion ?" in confirm
    assert "les 6 414 destinataires restants ne la recevront pas" in confirm
    assert (await broadcasts.get(broadcast_id))["state"] == "sending"  # not yet
    stopped = await client.post(f"/cell/broadcasts/{broadcast_id}/cancel?lang=en",
                                data={"confirm": "yes"}, headers=headers, allow_redirects=False)
    assert stopped.status == 303 and stopped.headers["Location"] == "/cell/broadcasts?lang=en"
    after = text_of(await (await client.get("/cell/broadcasts?lang=en", headers=headers)).text())
    assert "Évacuation des quais de Seine Stopped · 9,226 handled out of 15,640 (59%)" in after
    assert "Stop the broadcast" not in after and "Estimated time left" not in after
    assert "Subscribers per area and channel" in after and "Keyboard shortcuts" in after
    again = await client.post(f"/cell/broadcasts/{broadcast_id}/cancel",
                              data={"confirm": "yes"}, headers=headers)
    assert again.status == 400 and "already cancelled" in await again.text()


async def test_the_fragment_and_the_publication_filter(client: Any, ctx: Context) -> None:
    publication = await ctx.publications.publish_document(parse_publication(NOTICE), actor=CELL)
    await seed_broadcast(ctx, publication)
    headers = await bearer(ctx, "cellule", Role.CELL)
    fragment = await (await client.get("/cell/broadcasts?fragment=1", headers=headers)).text()
    assert fragment.lstrip().startswith('<p class="updated">Mis à jour à <time')
    assert "<html" not in fragment and "<nav" not in fragment and "Évacuation" in fragment
    other = text_of(await (await client.get("/cell/broadcasts?publication=autre",
                                            headers=headers)).text())
    assert "Aucune diffusion récente pour cette publication." in other
    mine = text_of(await (await client.get("/cell/broadcasts?publication=evacuation-quais",
                                           headers=headers)).text())
    assert "Diffusions de la publication evacuation-quais" in mine and "Envoi en cours" in mine


async def test_only_the_cell_opens_it(client: Any, ctx: Context) -> None:
    supervisor = await bearer(ctx, "sup", Role.SUPERVISOR)
    assert (await client.get("/cell/broadcasts", headers=supervisor)).status == 403
    empty = await client.get("/cell/broadcasts", headers=await bearer(ctx, "c", Role.CELL))
    words = text_of(await empty.text())
    assert "Aucune diffusion pour l'instant." in words
    assert "Personne n'est abonné aux alertes pour l'instant." in words
    anonymous = await client.get("/cell/broadcasts", allow_redirects=False)
    assert anonymous.status in (302, 303) and "/login" in anonymous.headers["Location"]
