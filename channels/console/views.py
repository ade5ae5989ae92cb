"""The console's pages (GET): my conversations and the queue, one conversation, supervision."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.api import DESK, readable_conversation
from channels.console import board
from channels.console.live import HUB
from channels.console.messages import CANNED, TOPICS, WRAP_UPS, t
from channels.console.pages import page, render
from channels.console.transfer import transfer_note
from channels.desk import Desk
from crisis.types import ChannelKind, OperatorStatus, Principal, Role
from crisis.web.middleware import HTML_CSP, require
from crisis.web.shell import lang_of


# A call answered in the browser: the Twilio Voice SDK (served from here) talks to Twilio's
# signalling and insights servers; nothing else of the page's policy changes.
BROWSER_PHONE_CSP = HTML_CSP.replace(
    "connect-src 'self'", "connect-src 'self' wss://*.twilio.com https://*.twilio.com")


async def _panel_context(desk: Desk, principal: Principal) -> dict[str, Any]:
    return {"me": await desk.operator(principal.name),
            "mine": await board.my_rows(desk, principal.name),
            "queue": await board.queue_summary(desk)}


async def index(request: web.Request) -> web.Response:
    principal = require(request, Role.OPERATOR)
    desk = request.app[DESK]
    return page(request, "index.html", statuses=list(OperatorStatus),
                **await _panel_context(desk, principal))


async def panel(request: web.Request) -> web.Response:
    """The live part of the index page, fetched again by the page's script on each event."""
    principal = require(request, Role.OPERATOR)
    html = render(request, "_panel.html", **await _panel_context(request.app[DESK], principal))
    return web.Response(text=html, content_type="text/html")


async def conversation_page(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    await desk.record_reading(principal, conversation.id)
    if conversation.operator == principal.name:
        await desk.accept_offer(conversation.id)  # opening an offer accepts it
    messages = await desk.messages(conversation.id)
    lang = lang_of(request)
    suggestions = await board.suggestions_for(desk.kb, conversation, messages, lang)
    draft, article_id = _draft(request, suggestions, conversation.lang)
    operators = [o for o in await desk.operators()
                 if o.name != principal.name and o.status is OperatorStatus.AVAILABLE]
    fields = await desk.conversation_fields(conversation.id)
    queue = await board.queue_summary(desk)
    mine = conversation.operator == principal.name
    browser_phone = mine and conversation.channel is ChannelKind.VOICE and \
        desk.ctx.settings.browser_phone_enabled
    response = page(request, "conversation.html", c=conversation, messages=messages,
                    suggestions=suggestions, draft=draft, article_id=article_id,
                    canned=CANNED, wrap_ups=WRAP_UPS, topics=TOPICS,
                    topic=fields.get("topic", ""), note=transfer_note(fields),
                    skill_counts=queue.skill_counts(), operators=operators, mine=mine,
                    browser_phone=browser_phone)
    if browser_phone:
        response.headers["Content-Security-Policy"] = BROWSER_PHONE_CSP
    return response


def _draft(request: web.Request, suggestions: list[board.SuggestionView], citizen_lang: str
           ) -> tuple[str, str]:
    """Without script, the insert links come back here with ?insert= or ?canned=."""
    wanted = request.query.get("insert", "")
    for suggestion in suggestions:
        if suggestion.id == wanted:
            return suggestion.text, suggestion.id
    canned = request.query.get("canned", "")
    if canned in CANNED:
        return t(canned, citizen_lang, CANNED), ""
    return "", ""


async def history(request: web.Request) -> web.Response:
    """The messages of a conversation, fetched again by the page's script on each event."""
    desk, conversation, _ = await readable_conversation(request)
    html = render(request, "_history.html", c=conversation,
                  messages=await desk.messages(conversation.id))
    return web.Response(text=html, content_type="text/html")


async def supervisor_page(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    desk = request.app[DESK]
    hub = request.app[HUB]
    operators = await desk.operators()
    presence = {o.name: await hub.connected(o.name) for o in operators}
    assigned = await board.rows(desk, [c for o in operators for c in o.conversations])
    return page(request, "supervisor.html", operators=operators, presence=presence,
                queue=await board.queue_summary(desk), queued=await board.queued_rows(desk),
                assigned=assigned, skill_wait_s=(await desk.policy()).skill_wait_s,
                available=[o for o in operators if o.status is OperatorStatus.AVAILABLE])

