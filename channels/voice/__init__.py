"""The telephone (Twilio Voice): an IVR that answers, a queue per skill, callbacks, and calls
taken by operators from the console. See docs/contact-centre.md for the set-up."""

from __future__ import annotations

from aiohttp import web

from channels.desk import Desk
from channels.voice.adapter import TwilioVoice
from channels.voice.browser_phone import setup_browser_phone
from channels.voice.calls import Calls
from channels.voice.cell_api import setup_ivr_api
from channels.voice.console import console_call_routes
from channels.voice.content import IvrContentSource
from channels.voice.ivr import Ivr
from channels.voice.operators import CallDesk
from channels.voice.webhooks import voice_routes
from crisis.context import Context
from crisis.types import EventType
from crisis.web.shell import add_page_assets

CALL_DESK: web.AppKey[CallDesk] = web.AppKey("channels_call_desk", CallDesk)


def setup_voice(app: web.Application, ctx: Context, desk: Desk) -> CallDesk:
    """The voice channel's webhooks (its live adapter is in the desk's table: channels/
    __init__.py), callbacks on assignment, and
    its figures in the situation view (only with Twilio credentials)."""
    calls = Calls(ctx.redis, desk.k)
    content = IvrContentSource(ctx, desk.k)
    ivr = Ivr(desk, calls, content, TwilioVoice(ctx.settings), ctx.settings)
    call_desk = CallDesk(ivr)
    app[CALL_DESK] = call_desk
    for path, handler in voice_routes(call_desk):
        app.router.add_post(path, handler)
    console_call_routes(app, call_desk)
    setup_ivr_api(app, content)
    if ctx.settings.browser_phone_enabled:  # the vendored Voice SDK, at /cell/static/
        add_page_assets(app, "channels.voice", "browser")
    ctx.subscribe("channels-voice-callbacks", call_desk.on_assigned,
                  types=(EventType.CONVERSATION_ASSIGNED,))
    ctx.add_situation("telephone", ivr.situation)
    return call_desk
