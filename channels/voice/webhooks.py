"""Twilio Voice's webhooks, `POST /hooks/twilio/voice` and below: each verifies the signature
(403 otherwise, through the adapter), reads the call's form as a CallTurn and answers TwiML.

Bodies are capped like every provider's webhook (channels/webhooks.py MAX_WEBHOOK_BYTES, set
for `/hooks/` by the channels' setup); query parameters are ours, read with bounds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.sms.adapter import SIGNATURE_HEADER
from channels.webhooks import inbound_request
from channels.voice.adapter import CallTurn
from channels.voice.operators import CallDesk
from channels.voice.twiml import HOOKS, lang_of
from crisis.errors import InvalidInput

Handler = Callable[[web.Request], Awaitable[web.Response]]
_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'
MAX_QUERY_VALUE = 64


def _twiml(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/xml", charset="utf-8")


def _param(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if len(value) > MAX_QUERY_VALUE or not all(c.isalnum() or c in "-_.@" for c in value):
        raise InvalidInput(f"bad {name} parameter")
    return value


def _number(request: web.Request, name: str) -> int:
    value = _param(request, name) or "0"
    if not value.isdigit() or len(value) > 4:
        raise InvalidInput(f"{name} must be a small whole number")
    return int(value)


def voice_routes(calls: CallDesk) -> list[tuple[str, Handler]]:
    ivr = calls.ivr
    settings = ivr.settings

    async def turn_of(request: web.Request) -> CallTurn:
        return ivr.adapter.parse_turn(await inbound_request(request, settings,
                                                            (SIGNATURE_HEADER,)))

    async def incoming(request: web.Request) -> web.Response:
        return _twiml(await ivr.incoming(await turn_of(request), lang_of(_param(request, "lang"))))

    async def menu(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await ivr.menu_choice(turn, _param(request, "lang"),
                                            answer=_param(request, "answer"),
                                            silent=_number(request, "silent")))

    async def question(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await ivr.question(turn, _param(request, "lang"),
                                         _number(request, "turn")))

    async def pending(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await ivr.pending(turn, _param(request, "lang"), _number(request, "tries")))

    async def wait(request: web.Request) -> web.Response:
        return _twiml(await ivr.wait(await turn_of(request), _param(request, "lang")))

    async def wait_key(request: web.Request) -> web.Response:
        return _twiml(await ivr.wait_key(await turn_of(request), _param(request, "lang")))

    async def callback_choice(request: web.Request) -> web.Response:
        return _twiml(await ivr.callback_choice(await turn_of(request), _param(request, "lang")))

    async def queue_exit(request: web.Request) -> web.Response:
        return _twiml(await ivr.queue_exit(await turn_of(request), _param(request, "lang")))

    async def bridge(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await calls.bridge(turn, _param(request, "lang"),
                                         _param(request, "conversation"),
                                         _param(request, "operator")))

    async def dial_done(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await calls.dial_done(turn, _param(request, "lang"),
                                            _param(request, "conversation"),
                                            _param(request, "operator")))

    async def callback(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        return _twiml(await calls.callback_answered(turn, _param(request, "lang"),
                                                    _param(request, "conversation"),
                                                    _param(request, "operator")))

    async def status(request: web.Request) -> web.Response:
        turn = await turn_of(request)
        conversation = _param(request, "conversation")
        if conversation:  # one of our callbacks
            await calls.callback_status(turn, conversation)
        else:
            await ivr.status(turn)
        return _twiml(_EMPTY)

    return [(HOOKS, incoming), (f"{HOOKS}/menu", menu), (f"{HOOKS}/question", question),
            (f"{HOOKS}/pending", pending), (f"{HOOKS}/wait", wait),
            (f"{HOOKS}/wait-key", wait_key), (f"{HOOKS}/callback-choice", callback_choice),
            (f"{HOOKS}/queue-exit", queue_exit), (f"{HOOKS}/bridge", bridge),
            (f"{HOOKS}/dial-done", dial_done), (f"{HOOKS}/callback", callback),
            (f"{HOOKS}/status", status)]
