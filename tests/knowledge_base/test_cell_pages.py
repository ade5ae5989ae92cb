"""The cell's knowledge-base page over real HTTP: review with a diff, alternates, missing answers."""

from __future__ import annotations

from typing import Any

from crisis.context import Context
from crisis.types import Role
from knowledge_base.article import Article
from knowledge_base.learning import pending_alternates
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.service import answer_question, knowledge_base, missing_answers, record_operator_answer
from tests.conftest import CELL, OPERATOR, login

SAND = Article(id="sacs-sable", question="Où trouver des sacs de sable ?", answer="À la mairie.")


async def test_the_cell_reviews_and_writes_from_missing_answers(client: Any, ctx: Context) -> None:
    store = knowledge_base(ctx).store
    await store.save_draft(SAND, actor=OPERATOR)
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    await store.save_draft(Article(id="sacs-sable", question=SAND.question, answer="Au gymnase <b>Jean Moulin</b>."),
                           actor=OPERATOR)
    await store.move("sacs-sable", ArticleAction.SUBMIT, actor=OPERATOR)
    await record_operator_answer(ctx, "besoin de sacs de sable rue haute", "sacs-sable", OPERATOR)
    for question in ("la piscine est fermee ?", "piscine fermee"):
        await answer_question(ctx, question, channel="sms")
    headers = await login(client, ctx, "chef", Role.CELL)
    html = await (await client.get("/cell/kb")).text()
    assert "-À la mairie." in html and "+Au gymnase &lt;b&gt;Jean Moulin&lt;/b&gt;." in html
    assert "besoin de sacs de sable rue haute" in html and "2 fois (sms 2)" in html
    proposal = (await pending_alternates(store))[0]
    accepted = await client.post(f"/cell/kb/alternates/{proposal.id}/accept", headers=headers,
                                 allow_redirects=False)
    assert accepted.status == 303
    published = await client.post("/cell/kb/articles/sacs-sable/publish", headers=headers, allow_redirects=False)
    assert published.status == 303
    live = await store.get_live("sacs-sable")
    assert live is not None and live.article.answer.startswith("Au gymnase")
    assert "besoin de sacs de sable rue haute" in live.article.alternates
    cluster = (await missing_answers(ctx))[0]
    written = await client.post("/cell/kb/missing", headers=headers, allow_redirects=False, data={
        "id": "piscine-fermee", "question": "La piscine est-elle fermée ?", "answer": "Oui.",
        "alternates": "\n".join(cluster.questions), "members": "|".join(cluster.members)})
    assert written.status == 303
    assert (await store.get("piscine-fermee")).status == "draft"
    assert await missing_answers(ctx) == []
    bad = await client.post("/cell/kb/missing", headers=headers, data={
        "id": "Pas Un Slug", "question": "q", "answer": "r", "alternates": "", "members": ""})
    assert bad.status == 400 and "invalid article id" in await bad.text()
    client.session.cookie_jar.clear()
    await login(client, ctx, "op", Role.OPERATOR)
    assert (await client.get("/cell/kb", headers={"Accept": "application/json"})).status == 403
