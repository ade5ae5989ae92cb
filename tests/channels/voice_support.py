"""Helpers of the telephone's tests: signed Twilio Voice webhooks and parsed TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from twilio.request_validator import RequestValidator

from tests.channels.conftest import ACCOUNT, AUTH_TOKEN

CALLER = "+33612345678"
# Plain http, so the console's session cookie works with the test client too.
PUBLIC_URL = "http://crisis.example.gouv.fr"


def signed(path: str, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return {"X-Twilio-Signature": signature}, form


def call_form(sid: str, **extra: str) -> dict[str, str]:
    """The fields Twilio sends with every voice webhook of an inbound call."""
    return {"CallSid": sid, "AccountSid": ACCOUNT, "From": CALLER, "To": "+33700000000",
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01",
            "Caller": CALLER, "Called": "+33700000000", **extra}


def path_of(url: str) -> str:
    """An absolute TwiML URL as the path and query Twilio will request."""
    assert url.startswith(PUBLIC_URL), url
    return url[len(PUBLIC_URL):]


async def post_twiml(client: Any, path: str, form: dict[str, str]) -> ET.Element:
    """POST a signed webhook; the TwiML answer parsed (checked to be TwiML)."""
    headers, form = signed(path, form)
    # As Twilio sends it: without the console's session cookie the test client may hold.
    async with aiohttp.ClientSession() as twilio:
        response = await twilio.post(client.make_url(path), data=form, headers=headers)
        body = await response.text()
    assert response.status == 200, body
    assert response.content_type == "text/xml"
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> str:
    """Everything the caller hears read out, in order (Say anywhere, Gather included)."""
    return " ".join((say.text or "") for say in root.iter("Say"))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
