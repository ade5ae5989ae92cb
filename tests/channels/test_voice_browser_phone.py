"""Operators answer calls in the browser: the access token the Twilio Voice JS SDK registers
with, and "Prendre l'appel" dialling the operator's browser (`<Dial><Client>`)."""

from __future__ import annotations

from typing import Any

import aiohttp
import jwt
import pytest

from channels.api import DESK
from channels.voice.browser_phone import TOKEN_TTL_S, voice_access_token
from crisis.context import Context
from crisis.errors import NotFound
from crisis.settings import load_settings
from crisis.types import Role
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import ACCOUNT, until
from tests.channels.test_console_pages import become
from tests.channels.test_voice import HOOK, flood  # noqa: F401 (fixture)
from tests.channels.test_voice_calls import queued_call
from tests.channels.voice_support import PUBLIC_URL, call_form, path_of, post_twiml
from tests.conftest import bearer

KEY_SID = "SK" + "2" * 32
KEY_SECRET = "an-api-key-secret-of-thirty-two-chars"
APP_SID = "AP" + "3" * 32


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL, "TWILIO_API_KEY_SID": KEY_SID, "TWILIO_API_KEY_SECRET": KEY_SECRET,
            "TWILIO_TWIML_APP_SID": APP_SID}


def decoded(token: str) -> dict[str, Any]:
    """The token as Twilio reads it: signature checked with the API key's secret."""
    claims: dict[str, Any] = jwt.decode(token, KEY_SECRET, algorithms=["HS256"],
                                        options={"require": ["exp", "iss", "sub"]})
    return claims


def test_the_token_is_signed_by_the_api_key_and_grants_voice_to_the_identity() -> None:
    settings = load_settings({"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "t" * 32,
                              "TWILIO_API_KEY_SID": KEY_SID, "TWILIO_API_KEY_SECRET": KEY_SECRET,
                              "TWILIO_TWIML_APP_SID": APP_SID})
    token = voice_access_token(settings, "op1")
    claims = decoded(token)
    assert jwt.get_unverified_header(token)["cty"] == "twilio-fpa;v=1"
    assert claims["iss"] == KEY_SID and claims["sub"] == ACCOUNT
    assert claims["exp"] - claims["nbf"] == TOKEN_TTL_S  # short-lived: an hour
    assert claims["grants"]["identity"] == "op1"
    assert claims["grants"]["voice"] == {"incoming": {"allow": True},
                                         "outgoing": {"application_sid": APP_SID}}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-thirty-two-characters", algorithms=["HS256"])
    with pytest.raises(NotFound, match="TWILIO_API_KEY_SID"):
        voice_access_token(load_settings({}), "op1")


async def test_signed_in_operators_get_a_token_for_their_own_name(client: Any,
                                                                 ctx: Context) -> None:
    async with aiohttp.ClientSession() as anonymous:
        response = await anonymous.get(client.make_url("/api/voice/token"))
        assert response.status in (401, 403)
    await become(client, ctx, "op1")
    response = await client.get("/api/voice/token")
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["identity"] == "op1" and body["address"] == "client:op1"
    assert decoded(body["token"])["grants"]["identity"] == "op1"
    supervisor = await client.get("/api/voice/token",
                                  headers=await bearer(ctx, "sup1", Role.SUPERVISOR))
    assert decoded((await supervisor.json())["token"])["grants"]["identity"] == "sup1"


async def test_a_call_taken_in_the_browser_rings_the_operators_client(
        kb: None, client: Any, ctx: Context, flood: str,  # noqa: F811
        twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    csrf = await become(client, ctx, "op1")
    # Another operator's browser is refused: their calls must not ring here.
    refused = await client.post("/console/voice-address", allow_redirects=False,
                                data={"csrf_token": csrf, "address": "client:op2"})
    assert refused.status == 400
    saved = await client.post("/console/voice-address", allow_redirects=False,
                              data={"csrf_token": csrf, "address": "client:op1"})
    assert saved.status == 303
    await queued_call(client, "CAbrowser")
    desk = client.app[DESK]

    async def given() -> Any:
        state = await desk.router.operator("op1")
        return state.conversations[0] if state.conversations else None

    conversation_id = await until(given)
    response = await client.post(f"/console/c/{conversation_id}/take-call",
                                 allow_redirects=False, data={"csrf_token": csrf})
    assert response.status == 303, await response.text()
    bridge = await post_twiml(client, path_of(standin.call_updates[-1]["Url"]),
                              call_form("CAbrowser"))
    dial = bridge.find("Dial")
    assert dial is not None and dial.findtext("Client") == "op1"
    assert dial.find("Number") is None
    assert path_of(dial.get("action") or "").startswith(HOOK + "/dial-done")
