"""Skills in the console: operators' skills set by themselves and by a supervisor, a question
routed to the operator with its topic, and a transfer to a skill's queue with a note."""

from __future__ import annotations

import json
from typing import Any

from channels.api import DESK
from channels.router import HEAD_BOOST
from crisis.context import Context
from crisis.types import ConversationStatus, Role
from tests.channels.conftest import until
from tests.channels.test_console_pages import assigned_to, become, csrf_of, env, set_status, sms
from tests.conftest import bearer, login

__all__ = ["env"]  # the console's plain-http public URL, for the session cookie


async def become_with_skills(client: Any, ctx: Context, name: str, topics: tuple[str, ...],
                             status: str = "available") -> str:
    """Log in and post the console's status form with its skill boxes ticked."""
    csrf = csrf_of(await login(client, ctx, name, Role.OPERATOR))
    await post_skills(client, csrf, topics, status)
    return csrf


async def post_skills(client: Any, csrf: str, topics: tuple[str, ...], status: str) -> None:
    response = await client.post("/console/status", allow_redirects=False, data=[
        ("csrf_token", csrf), ("status", status), ("skills", "1"), ("langs", "fr"),
        *[("topics", topic) for topic in topics]])
    assert response.status == 303, await response.text()


async def test_operators_and_supervisors_set_skills_the_supervisor_sees_them(
        client: Any, ctx: Context, aiohttp_client: Any) -> None:
    desk = client.app[DESK]
    csrf = await become_with_skills(client, ctx, "assureur", ("assurance",))
    assert (await desk.router.operator("assureur")).topics == ("assurance",)
    await set_status(client, csrf, "pause")  # a bare status change keeps the topics
    assert (await desk.router.operator("assureur")).topics == ("assurance",)
    chef = await aiohttp_client(client.server)
    chef_csrf = csrf_of(await login(chef, ctx, "chef", Role.SUPERVISOR))
    page = await (await chef.get("/console/supervisor")).text()
    assert "Assurance, aides" in page and 'id="op-assureur-topics-assurance" value="assurance" checked' in page
    response = await chef.post("/console/supervisor/skills", allow_redirects=False, data=[
        ("csrf_token", chef_csrf), ("operator", "assureur"), ("langs", "fr"), ("langs", "en"),
        ("topics", "eau"), ("channels", "sms")])
    assert response.status == 303
    state = await desk.router.operator("assureur")
    assert (state.langs, state.topics, state.channels) == (("fr", "en"), ("eau",), ("sms",))
    english = await (await chef.get("/console/supervisor?lang=en")).text()
    assert "Drinking water" in english and "any operator with its language and channel" in english
    for name, topic in (("assureur", "nope"), ("ghost", "eau")):
        refused = await chef.post("/console/supervisor/skills", allow_redirects=False, data={
            "csrf_token": chef_csrf, "operator": name, "langs": "fr", "topics": topic})
        assert refused.status == 400
    assert (await client.post("/console/supervisor/skills", allow_redirects=False,
                              data={"csrf_token": csrf, "operator": "assureur",
                                    "langs": "fr"})).status == 403
    # The API keeps the skills it is not told about, and checks the ones it is.
    headers = await bearer(ctx, "api-op", Role.OPERATOR)
    body = await (await client.post("/api/operators/me/status", headers=headers, json={
        "status": "pause", "topics": ["sante"]})).json()
    assert body["topics"] == ["sante"] and body["langs"] == ["fr"]
    body = await (await client.post("/api/operators/me/status", headers=headers,
                                    json={"status": "available"})).json()
    assert body["topics"] == ["sante"]
    bad = await client.post("/api/operators/me/status", headers=headers,
                            json={"status": "available", "channels": ["fax"]})
    assert bad.status == 400


async def test_a_question_goes_to_the_operator_with_its_topic(
        kb: None, client: Any, ctx: Context, aiohttp_client: Any) -> None:
    await become(client, ctx, "generalist")  # idle longest, but without the topic
    specialist = await aiohttp_client(client.server)
    await become_with_skills(specialist, ctx, "assureur", ("assurance",))
    # Below the SMS threshold; the best guess is the insurance claim article.
    await sms(client, "mon assurance refuse de payer", "SMK1")
    [conversation_id] = await assigned_to(client, "assureur")
    desk = client.app[DESK]
    assert (await desk.store.get(conversation_id)).topic == "assurance"
    assert (await desk.router.operator("generalist")).conversations == ()
    page = await (await specialist.get(f"/console/c/{conversation_id}")).text()
    assert 'id="topic-label">Assurance, aides<' in page


async def test_a_transfer_to_a_skill_requeues_at_the_head_with_a_note(
        kb: None, client: Any, ctx: Context, aiohttp_client: Any) -> None:
    desk = client.app[DESK]
    specialist = await aiohttp_client(client.server)
    spec_csrf = await become_with_skills(specialist, ctx, "assureur", ("assurance",), "pause")
    csrf = await become(client, ctx, "op1")
    await sms(client, "je voudrais parler a un humain", "SMK2")
    [conversation_id] = await assigned_to(client, "op1")
    page = await (await client.get(f"/console/c/{conversation_id}")).text()
    assert '<option value="topic:assurance">Sujet : Assurance, aides (0)</option>' in page
    assert 'aria-keyshortcuts="Alt+T"' in page
    base = f"/console/c/{conversation_id}"
    assert (await client.post(f"{base}/transfer", allow_redirects=False, data={
        "csrf_token": csrf, "target": "topic:nope"})).status == 400
    moved = await client.post(f"{base}/transfer", allow_redirects=False, data={
        "csrf_token": csrf, "target": "topic:assurance", "note": "Sinistre <b>cave</b>, contrat MAIF"})
    assert moved.status == 303
    # At the head of the queue, waiting for the specialist (on a break, so signed in):
    # op1, who has room but not the topic, does not get it back within the skill wait.
    conversation = await desk.store.get(conversation_id)
    assert conversation.status is ConversationStatus.QUEUED and conversation.operator is None
    assert await desk.router.position(conversation_id) == 1
    assert float(await ctx.redis.zscore(desk.k.queue, conversation_id) or 0) < -HEAD_BOOST / 2
    assert await desk.router.queued_skill(conversation_id) == "fr|sms|assurance|1"
    assert (await desk.router.operator("op1")).load == 0
    note = json.loads(str(await ctx.redis.hget(desk.k.conversation(conversation_id),
                                                "transfer_note")))
    assert note["by"] == "op1" and note["to"] == "topic:assurance"
    await post_skills(specialist, spec_csrf, ("assurance",), "available")
    await assigned_to(specialist, "assureur")
    page = await (await specialist.get(base)).text()
    assert "Note de transfert de op1" in page and "Sinistre &lt;b&gt;cave&lt;/b&gt;, contrat MAIF" in page
    # The specialist hands it on to the English-speaking queue: its language changes.
    await specialist.post(f"{base}/transfer", allow_redirects=False, data={
        "csrf_token": spec_csrf, "target": "lang:en"})
    assert (await desk.store.get(conversation_id)).lang == "en"
    assert await desk.router.queued_skill(conversation_id) == "en|sms|assurance|1"

    async def still_queued() -> bool:
        return bool(await desk.router.queue_length() == 1)
    assert await until(still_queued)



async def test_a_supervisor_moves_a_queued_conversation_to_a_topic(
        kb: None, client: Any, ctx: Context, aiohttp_client: Any) -> None:
    desk = client.app[DESK]
    specialist = await aiohttp_client(client.server)
    await become_with_skills(specialist, ctx, "hydro", ("eau",), status="pause")
    await sms(client, "je voudrais parler a un humain", "SMK3")

    async def queued() -> Any:
        return await desk.router.queue_length()
    await until(queued)
    csrf = csrf_of(await login(client, ctx, "chef", Role.SUPERVISOR))
    [conversation_id] = [str(c) for c in await ctx.redis.zrange(desk.k.queue, 0, -1)]
    base = f"/console/c/{conversation_id}"
    # Setting the topic of a queued conversation moves it to that topic's queue in place...
    await client.post(f"{base}/tags", allow_redirects=False,
                      data={"csrf_token": csrf, "tags": "", "topic": "electricite"})
    assert await desk.router.queued_skill(conversation_id) == "fr|sms|electricite|1"
    # ...and a transfer to a topic puts it at the head of that topic's queue.
    await client.post(f"{base}/transfer", allow_redirects=False,
                      data={"csrf_token": csrf, "target": "topic:eau", "note": "coupure"})
    assert await desk.router.queued_skill(conversation_id) == "fr|sms|eau|1"
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.QUEUED
    supervision = await (await client.get("/console/supervisor")).text()
    assert "Sujet : Eau potable" in supervision  # the queue by topic


async def test_an_answered_question_keeps_its_topic_for_the_person_asked_next(
        kb: None, client: Any, ctx: Context, aiohttp_client: Any) -> None:
    desk = client.app[DESK]
    await sms(client, "Comment déclarer les dégâts à mon assurance ?", "SMK4")

    async def answered() -> Any:
        items, _, _ = await desk.store.page(status="auto-answered", channel=None, limit=1,
                                            cursor=None)
        return items
    [conversation] = await until(answered)
    assert (await desk.store.get(conversation.id)).topic == "assurance"
    specialist = await aiohttp_client(client.server)
    await become(client, ctx, "generalist")
    await become_with_skills(specialist, ctx, "assureur", ("assurance",))
    await sms(client, "0", "SMK5")  # "a person, please"
    assert await assigned_to(client, "assureur") == [conversation.id]
