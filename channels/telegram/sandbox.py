"""The Telegram sandbox: the few Bot API methods the centre calls, answered by the centre.

Switched on only when TELEGRAM_API_BASE points at this very centre
(`$CRISIS_PUBLIC_URL/sandbox/telegram`), which `crisis up --demo` does when no bot is
configured. Sent messages are kept in Redis (channels/sandbox_log.py) and listed at
`GET /sandbox/telegram` for supervisors; a citizen's message is tried by posting an update
to `/hooks/telegram` with the webhook secret, as Telegram would.
"""

from __future__ import annotations

import hmac
import itertools
import json
import time
from typing import Any

from aiohttp import web

from channels.keys import ChannelKeys
from channels.sandbox_log import keep, listing
from crisis.context import Context

SANDBOX_PATH = "/sandbox/telegram"
BOT_ID = 100000001


def telegram_sandbox_enabled(ctx: Context) -> bool:
    return ctx.settings.telegram_enabled and \
        ctx.settings.telegram_api_base.rstrip("/") == ctx.settings.base_url + SANDBOX_PATH


def setup_telegram_sandbox(app: web.Application, ctx: Context, keys: ChannelKeys) -> None:
    token = ctx.settings.telegram_bot_token.reveal() if ctx.settings.telegram_bot_token else ""
    key = keys.sandbox("telegram")
    ids = itertools.count(int(time.time()))
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Centre de crise (démo)",
           "username": "centre_crise_demo_bot"}

    async def call(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["token"], token):
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params = body if isinstance(body, dict) else {}
        else:
            params = {k: str(v) for k, v in (await request.post()).items()}
        method = request.match_info["method"].lower()
        result: Any = True
        if method == "getme":
            result = bot
        elif method == "sendmessage":
            markup = params.get("reply_markup")
            result = {"message_id": next(ids), "date": int(time.time()),
                      "chat": {"id": int(str(params.get("chat_id", "0"))), "type": "private"},
                      "text": str(params.get("text", "")), "from": bot}
            await keep(ctx.redis, key, {"chat_id": str(params.get("chat_id", "")),
                                        "text": result["text"],
                                        "buttons": json.loads(markup) if isinstance(markup, str)
                                        else markup, "at": time.time()})
        return web.json_response({"ok": True, "result": result})

    app.router.add_post(SANDBOX_PATH + "/bot{token}/{method}", call)
    app.router.add_get("/sandbox/telegram", listing(ctx.redis, key))
