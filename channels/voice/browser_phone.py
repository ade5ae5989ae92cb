"""Operators answer calls in the browser (Twilio Voice JS SDK): `GET /api/voice/token`.

The SDK registers the browser with Twilio as `client:<identity>` using a short-lived access
token (a JWT signed with an API key's secret, carrying a voice grant). The token's identity
is the operator's account name, so "Prendre l'appel" bridges to `client:<name>` like it
bridges to a phone number or a SIP address (channels/voice/operators.py). Without the API
key and the TwiML App settings the feature is off and the route says so (404).
"""

from __future__ import annotations

from aiohttp import web
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from crisis.errors import NotFound
from crisis.settings import Settings
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.json_io import json_response
from crisis.web.middleware import require

TOKEN_TTL_S = 3600  # the SDK asks for a new one before it expires (tokenWillExpire)
CLIENT_PREFIX = "client:"
NOT_CONFIGURED = ("answering calls in the browser is not configured: set TWILIO_API_KEY_SID, "
                  "TWILIO_API_KEY_SECRET and TWILIO_TWIML_APP_SID (docs/configuration.md)")


def client_address(name: str) -> str:
    """Where calls reach `name`'s browser: the Voice SDK's registered identity."""
    return CLIENT_PREFIX + name


def voice_access_token(settings: Settings, identity: str, *, ttl_s: int = TOKEN_TTL_S) -> str:
    """A Twilio access token (JWT, HS256 with the API key's secret) that lets `identity`'s
    browser receive calls (`client:<identity>`) and place them through the TwiML App.
    NotFound when the settings for it are missing."""
    if not settings.browser_phone_enabled:
        raise NotFound(NOT_CONFIGURED)
    assert settings.twilio_account_sid and settings.twilio_api_key_sid \
        and settings.twilio_api_key_secret  # browser_phone_enabled says so
    token = AccessToken(settings.twilio_account_sid, settings.twilio_api_key_sid,
                        settings.twilio_api_key_secret.reveal(), identity=identity, ttl=ttl_s)
    token.add_grant(VoiceGrant(outgoing_application_sid=settings.twilio_twiml_app_sid,
                               incoming_allow=True))
    return str(token.to_jwt())


def setup_browser_phone(app: web.Application, settings: Settings) -> None:
    async def voice_token(request: web.Request) -> web.Response:
        principal = require(request, Role.OPERATOR)
        token = voice_access_token(settings, principal.name)
        response = json_response({"token": token, "identity": principal.name,
                                  "address": client_address(principal.name),
                                  "expires_in_s": TOKEN_TTL_S})
        response.headers["Cache-Control"] = "no-store"  # a credential: never kept by a cache
        return response

    add_api_route(app, ApiRoute(
        "GET", "/api/voice/token", voice_token,
        "A short-lived Twilio access token (voice grant) to answer calls in the browser; "
        "404 when the centre has no API key and TwiML App for it", Role.OPERATOR,
        tag="contact centre"))
