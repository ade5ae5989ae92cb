"""The SMS sandbox: a local stand-in for Twilio's REST API, for demos and exercises.

Switched on only when TWILIO_API_BASE points at this very centre
(`$CRISIS_PUBLIC_URL/sandbox/twilio`), which `crisis up --demo` does when no real Twilio
account is configured. Outbound SMS are then kept in Redis instead of sent, and
`GET /sandbox/sms` (supervisors) lists them, so the whole SMS path can be tried with curl.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from aiohttp import web

from channels.keys import ChannelKeys
from channels.sandbox_log import keep, listing
from crisis.context import Context
from crisis.errors import ConfigError
from crisis.types import utcnow

SANDBOX_PATH = "/sandbox/twilio"


def sandbox_enabled(ctx: Context) -> bool:
    return ctx.settings.twilio_enabled and \
        ctx.settings.twilio_api_base.rstrip("/") == ctx.settings.base_url + SANDBOX_PATH


def setup_sandbox(app: web.Application, ctx: Context, keys: ChannelKeys) -> None:
    key = keys.sandbox_sms
    if ctx.settings.twilio_auth_token is None:
        raise ConfigError("the SMS sandbox needs TWILIO_AUTH_TOKEN")
    expected = "Basic " + base64.b64encode(
        f"{ctx.settings.twilio_account_sid}:{ctx.settings.twilio_auth_token.reveal()}".encode()
    ).decode()

    async def create_message(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401},
                                     status=401)
        form = {k: str(v) for k, v in (await request.post()).items()}
        sid = "SM" + secrets.token_hex(16)
        record = {"sid": sid, "to": form.get("To"), "body": form.get("Body"),
                  "date_created": utcnow().isoformat(), "status": "queued"}
        await keep(ctx.redis, key, record)
        return web.json_response({**record, "account_sid": request.match_info["sid"],
                                  "num_segments": "1", "direction": "outbound-api"}, status=201)

    app.router.add_post(SANDBOX_PATH + "/2010-04-01/Accounts/{sid}/Messages.json", create_message)
    app.router.add_get("/sandbox/sms", listing(ctx.redis, key))
