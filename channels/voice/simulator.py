"""The phone simulator of the demo's sandbox (`/sandbox/phone`): a call in the browser that
walks the IVR's real TwiML.

The page never talks to the webhooks itself: each step goes to `POST /sandbox/phone/step`,
which signs the form with the sandbox's Twilio auth token exactly as Twilio would, calls our
own webhook over HTTP, and returns the TwiML read as a list of actions (what is said, the
menu's Gather, the queue...). Only with the SMS/voice sandbox (`crisis up --demo` without a
Twilio account), for supervisors: nothing leaves the machine.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from importlib import resources
from typing import Any

import aiohttp
import jinja2
from aiohttp import web
from twilio.request_validator import RequestValidator

from channels.voice.twiml import HOOKS
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import Role
from crisis.web.json_io import read_body
from crisis.web.middleware import require
from crisis.web.shell import lang_query

SIMULATED_CALLER = "+33600000099"
SIMULATED_NUMBER = "+33700000000"
_FIELDS = ("Digits", "SpeechResult", "QueueResult", "QueueTime", "QueuePosition",
           "CallStatus", "DialCallStatus", "DialCallDuration")
_PAGE = jinja2.Environment(autoescape=True).from_string(
    (resources.files("channels.voice") / "static" / "phone.html").read_text(encoding="utf-8"))


def twiml_actions(twiml: str) -> list[dict[str, Any]]:
    """TwiML as the simulator shows it: one action per verb, in order (Gather's prompts
    first, then the Gather itself)."""
    actions: list[dict[str, Any]] = []
    for verb in ET.fromstring(twiml):
        if verb.tag == "Gather":
            for inner in verb:
                actions.append({"verb": "Say", "text": inner.text or "",
                                "language": inner.get("language", "")})
            actions.append({"verb": "Gather", "action": verb.get("action", ""),
                            "input": verb.get("input", "dtmf")})
        elif verb.tag == "Dial":
            actions.append({"verb": "Dial", "to": " ".join(t.text or "" for t in verb),
                            "action": verb.get("action", "")})
        else:
            actions.append({"verb": verb.tag, "text": (verb.text or "").strip(),
                            **{k: v for k, v in verb.attrib.items()}})
    return actions


def setup_simulator(app: web.Application, ctx: Context) -> None:
    settings = ctx.settings
    assert settings.twilio_auth_token is not None
    validator = RequestValidator(settings.twilio_auth_token.reveal())

    async def page(request: web.Request) -> web.Response:
        require(request, Role.SUPERVISOR)
        from crisis.web.app_keys import SESSION

        session = request[SESSION]
        html = _PAGE.render(csrf=session.csrf if session else "", q=lang_query(request))
        return web.Response(text=html, content_type="text/html")

    async def step(request: web.Request) -> web.Response:
        require(request, Role.SUPERVISOR)
        body = await read_body(request, dict[str, str])
        path = body.get("path", "")
        if path.startswith(settings.base_url):
            path = path[len(settings.base_url):]
        if not path.startswith(HOOKS) or len(path) > 500:
            raise InvalidInput("path: one of the IVR's webhooks, /hooks/twilio/voice...")
        call = body.get("call", "")[:40] or "CAsim" + secrets.token_hex(14)
        form = {"CallSid": call, "AccountSid": settings.twilio_account_sid or "",
                "From": SIMULATED_CALLER, "To": SIMULATED_NUMBER, "Direction": "inbound",
                "CallStatus": "in-progress", "ApiVersion": "2010-04-01"}
        for name in _FIELDS:
            if body.get(name):
                form[name] = body[name][:500]
        signature = validator.compute_signature(settings.base_url + path, form)
        async with aiohttp.ClientSession() as session:  # our own webhook, over HTTP
            async with session.post(f"{request.url.origin()}{path}", data=form,
                                    headers={"X-Twilio-Signature": signature}) as answer:
                text = await answer.text()
                if answer.status != 200:
                    raise InvalidInput(f"the webhook answered {answer.status}: {text[:200]}")
        return web.json_response({"call": call, "actions": twiml_actions(text)})

    app.router.add_get("/sandbox/phone", page)
    app.router.add_post("/sandbox/phone/step", step)
    app.router.add_static("/sandbox/phone/static/",
                          str(resources.files("channels.voice") / "static"))
