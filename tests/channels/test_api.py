"""The contact centre's JSON API: list with paging and filters, one conversation, reply, close."""

from __future__ import annotations

from typing import Any

from channels.answer_forms import answer_plain
from channels.api import DESK
from crisis.context import Context
from crisis.types import Role
from tests.channels.conftest import signed, sms_form, until
from tests.conftest import bearer


async def _sms(client: Any, body: str, sid: str, sender: str) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form(body, sid, sender))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200


async def test_listing_pages_filters_and_masks(kb: None, client: Any, ctx: Context) -> None:
    for number in range(5):
        await _sms(client, "je veux un conseiller", f"SMP{number}", f"+3361234560{number}")
    operator = await bearer(ctx, "op1", Role.OPERATOR)

    async def all_queued() -> Any:
        body = await (await client.get("/api/conversations?status=queued", headers=operator)).json()
        return body if body["total"] == 5 else None

    first = await until(all_queued)
    assert all("•" in c["address_masked"] and "+3361234560" not in c["address_masked"]
               for c in first["items"])
    page = await (await client.get("/api/conversations?limit=2", headers=operator)).json()
    assert len(page["items"]) == 2 and page["next"]
    seen = [c["id"] for c in page["items"]]
    while page["next"]:
        page = await (await client.get(f"/api/conversations?limit=2&cursor={page['next']}",
                                           headers=operator)).json()
        seen += [c["id"] for c in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert (await (await client.get("/api/conversations?channel=chat", headers=operator)).json())["items"] == []
    for query, fragment in (("limit=0", "between 1 and 1000"), ("limit=5000", "between"),
                            ("status=lost", "unknown status"), ("cursor=abc", "cursor"),
                            ("cursor=1.5:-1", "cursor"), ("cursor=nan", "cursor")):
        response = await client.get(f"/api/conversations?{query}", headers=operator)
        assert response.status == 400 and fragment in (await response.json())["error"]["message"]


async def test_an_operator_replies_and_closes_only_their_own(kb: None, client: Any, ctx: Context) -> None:
    await _sms(client, "passez moi quelqu'un", "SMQ1", "+33611111111")
    headers = await bearer(ctx, "op2", Role.OPERATOR)
    status = await client.post("/api/operators/me/status", headers=headers,
                               json={"status": "available", "capacity": 2})
    assert (await status.json())["status"] == "available"

    async def mine() -> Any:
        body = await (await client.get("/api/conversations?status=assigned", headers=headers)).json()
        return body["items"]

    conversation = (await until(mine))[0]
    assert conversation["operator"] == "op2"
    reply = await client.post(f"/api/conversations/{conversation['id']}/reply", headers=headers,
                              json={"text": "Bonjour, je regarde votre situation."})
    assert reply.status == 201
    detail = await (await client.get(f"/api/conversations/{conversation['id']}", headers=headers)).json()
    assert detail["status"] == "waiting-citizen" and detail["first_human_reply_at"]
    assert detail["messages"][-1]["author"] == "op2"
    empty = await client.post(f"/api/conversations/{conversation['id']}/reply", headers=headers,
                              json={"text": "   "})
    assert empty.status == 400
    other = await bearer(ctx, "op3", Role.OPERATOR)
    refused = await client.post(f"/api/conversations/{conversation['id']}/close", headers=other,
                                json={"wrap_up": "info"})
    assert refused.status == 403
    headers = await bearer(ctx, "sup", Role.SUPERVISOR)
    closed = await client.post(f"/api/conversations/{conversation['id']}/close", headers=headers,
                               json={"wrap_up": "informed"})
    assert (await closed.json())["status"] == "closed"
    situation = await (await client.get("/api/situation", headers=headers)).json()
    sms = situation["contact_centre"]["channels"]["sms"]
    assert sms["contacts"] == 1 and sms["mean_first_reply_s"] is not None
    assert situation["contact_centre"]["queue"]["length"] == 0


async def test_going_offline_puts_conversations_back_at_the_head(client: Any, ctx: Context,
                                                                 kb: None) -> None:
    desk = client.app[DESK]
    await _sms(client, "un humain svp", "SMR1", "+33622222222")
    headers = await bearer(ctx, "op4", Role.OPERATOR)
    await client.post("/api/operators/me/status", headers=headers, json={"status": "available"})

    async def assigned() -> Any:
        items, _, _ = await desk.store.page(status="assigned", channel=None, limit=1, cursor=None)
        return items

    conversation = (await until(assigned))[0]
    await client.post("/api/operators/me/status", headers=headers, json={"status": "offline"})
    assert (await desk.store.get(conversation.id)).status.value == "queued"
    assert await desk.router.position(conversation.id) == 1
    assert (await desk.router.operator("op4")).load == 0


async def test_reinforcement_staff_send_validated_answers_only(client: Any, ctx: Context,
                                                               kb: None) -> None:
    import datetime as dt

    import pytest

    from channels.api import check_reply_allowed
    from crisis.errors import Forbidden, InvalidInput
    from crisis.types import Principal, utcnow
    from tests.conftest import ADMIN

    with pytest.raises(InvalidInput, match="expiry"):
        await ctx.accounts.create_account("vol0", Role.OPERATOR, "a long password!", actor=ADMIN,
                                          reinforcement=True)
    await ctx.accounts.create_account("vol1", Role.OPERATOR, "a long password!", actor=ADMIN,
                                      reinforcement=True,
                                      expires_at=utcnow() + dt.timedelta(hours=72))
    volunteer = await ctx.accounts.authenticate("vol1", "a long password!")
    assert volunteer.restricted
    desk = client.app[DESK]
    from knowledge_base.store import ArticleStore
    article = (await ArticleStore(ctx.redis, ctx.keys, ctx.bus).published())[0]
    text = (await desk.article_of(article.id)).answer
    await check_reply_allowed(desk, volunteer, text, article.id)
    # As a browser's form sends it (CRLF line breaks), and as the console inserts it.
    await check_reply_allowed(desk, volunteer, text.replace("\n", "\r\n"), article.id)
    await check_reply_allowed(desk, volunteer, answer_plain(text), article.id)
    with pytest.raises(Forbidden, match="validated answers only"):
        await check_reply_allowed(desk, volunteer, "Rentrez chez vous.", None)
    with pytest.raises(Forbidden, match="may not change"):
        await check_reply_allowed(desk, volunteer, text + " (ajout)", article.id)
    await check_reply_allowed(desk, Principal("op", Role.OPERATOR), "free text", None)
