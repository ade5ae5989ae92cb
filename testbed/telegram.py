"""A stand-in for Telegram's Bot API on loopback, and builders of the updates Telegram posts.

The real python-telegram-bot client talks to it through TELEGRAM_API_BASE: every method is
`POST /bot<token>/<method>`, its parameters in a JSON body, a form (the library sends
`application/x-www-form-urlencoded` with non-string values JSON-encoded) or the query string.
Answers have the Bot API's envelope: `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`.

`fail_next` makes the next calls (getMe aside: the library calls it once when it starts)
answer one of Telegram's errors: 429 (with `parameters.retry_after`), 403 (blocked by the
user), 400 (chat not found) or 500. A chat in `blocked` answers 403 to every send, as a
citizen who blocked the bot does.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAStandInTokenForTheCrisisCentre0000"
BOT_USERNAME = "crisis_standin_bot"
MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts them

_ERRORS: dict[int, str] = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}
_OBJECT_PARAMS = frozenset({"reply_markup", "allowed_updates", "link_preview_options",
                            "reply_parameters", "entities"})


def utf16_len(text: str) -> int:
    """A text's length as Telegram measures its limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclasses.dataclass
class TelegramStandIn:
    token: str = TOKEN
    base: str = ""  # the stand-in's URL once it listens (TELEGRAM_API_BASE)
    retry_after: int = 3  # seconds, in a 429's parameters
    fail_next: list[int] = dataclasses.field(default_factory=list)
    blocked: set[int] = dataclasses.field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    messages: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    webhook: dict[str, Any] = dataclasses.field(default_factory=dict)
    _ids: Any = dataclasses.field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.call)
        return app

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method` so far, oldest first."""
        return [params for name, params in self.calls if name == method.lower()]

    async def call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()  # Telegram ignores the case
        handler = _METHODS.get(method)
        if handler is None:
            return _error(404, "Not Found")
        try:
            params = await _params(request)
        except ValueError:
            return _error(400, "Bad Request: can't parse request parameters")
        self.calls.append((method, params))
        if method != "getme" and self.fail_next:
            status = self.fail_next.pop(0)
            extra = {"retry_after": self.retry_after} if status == 429 else None
            return _error(status, _ERRORS.get(status, "Internal Server Error").format(
                retry_after=self.retry_after), extra)
        return handler(self, params)

    # --- methods: each returns the response for validated parameters ---
    def get_me(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": int(self.token.split(":")[0]), "is_bot": True,
                    "first_name": "Centre de crise", "username": BOT_USERNAME,
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    def set_webhook(self, params: dict[str, Any]) -> web.Response:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided "
                               "for webhook")
        secret = str(params.get("secret_token", ""))
        if secret and (len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-")
                                                     for c in secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret,
                        "allowed_updates": params.get("allowed_updates") or []}
        return _ok(True, "Webhook was set" if url else "Webhook was deleted")

    def delete_webhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True, "Webhook was deleted")

    def get_webhook_info(self, params: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0,
                    "allowed_updates": self.webhook.get("allowed_updates", [])})

    def send_message(self, params: dict[str, Any]) -> web.Response:
        chat = _chat_id(params.get("chat_id"))
        if params.get("chat_id") in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        if chat in self.blocked:
            return _error(403, _ERRORS[403])
        text = str(params.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        message = {"message_id": next(self._ids), "date": int(time.time()),
                   "chat": {"id": chat, "type": "private"}, "text": text,
                   "from": {"id": int(self.token.split(":")[0]), "is_bot": True,
                            "first_name": "Centre de crise", "username": BOT_USERNAME}}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages.append(message)
        return _ok(message)

    def answer_callback_query(self, params: dict[str, Any]) -> web.Response:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired "
                               "or query ID is invalid")
        return _ok(True)

    def edit_message_reply_markup(self, params: dict[str, Any]) -> web.Response:
        chat, message_id = _chat_id(params.get("chat_id")), params.get("message_id")
        found = next((m for m in self.messages if m["chat"]["id"] == chat
                      and str(m["message_id"]) == str(message_id)), None)
        if found is None:
            return _error(400, "Bad Request: message to edit not found")
        found.pop("reply_markup", None)
        if params.get("reply_markup"):
            found["reply_markup"] = params["reply_markup"]
        return _ok(found)


_METHODS = {
    "getme": TelegramStandIn.get_me,
    "setwebhook": TelegramStandIn.set_webhook,
    "deletewebhook": TelegramStandIn.delete_webhook,
    "getwebhookinfo": TelegramStandIn.get_webhook_info,
    "sendmessage": TelegramStandIn.send_message,
    "answercallbackquery": TelegramStandIn.answer_callback_query,
    "editmessagereplymarkup": TelegramStandIn.edit_message_reply_markup,
}


async def _params(request: web.Request) -> dict[str, Any]:
    """A call's parameters from the query string and a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("not an object")
        return {**params, **body}
    if request.method == "POST":
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in _OBJECT_PARAMS & params.keys():  # JSON-encoded in a form, as the API expects
        if isinstance(params[name], str):
            params[name] = json.loads(params[name])
    return params


def _chat_id(value: Any) -> int | None:
    """A private chat's id; None for what Telegram would answer "chat not found" to."""
    try:
        chat = int(value)
    except (TypeError, ValueError):
        return None
    return chat if chat != 0 else None


def _ok(result: Any, description: str | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body)


def _error(status: int, description: str,
           parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


# --- builders of the updates Telegram posts to a bot's webhook ---
_update_ids = itertools.count(500_000_000)


def _user(chat_id: int, lang: str) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Camille", "language_code": lang}


def message_update(chat_id: int, text: str | None = None, *, lang: str = "fr",
                   chat_type: str = "private", update_id: int | None = None,
                   **content: Any) -> dict[str, Any]:
    """A `message` update; `content` adds fields such as photo=[...], caption="...".
    A command's text gets its bot_command entity, as Telegram marks it."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Camille"
    else:
        chat["title"] = "Groupe"
    message: dict[str, Any] = {"message_id": next(_update_ids) % 100_000, "date": int(time.time()),
                               "chat": chat, "from": _user(chat_id, lang), **content}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0]) if text.split() else 1}]
    return {"update_id": update_id if update_id is not None else next(_update_ids),
            "message": message}


def command_update(chat_id: int, command: str, *args: str, lang: str = "fr",
                   mention: bool = False) -> dict[str, Any]:
    """A command as a menu or a typed `/command`; `mention` adds `@botname` as groups do."""
    head = f"/{command}" + (f"@{BOT_USERNAME}" if mention else "")
    return message_update(chat_id, " ".join((head, *args)), lang=lang)


def callback_update(chat_id: int, data: str, *, lang: str = "fr",
                    update_id: int | None = None) -> dict[str, Any]:
    """A press on an inline keyboard's button under one of the bot's messages."""
    return {"update_id": update_id if update_id is not None else next(_update_ids),
            "callback_query": {
                "id": str(next(_update_ids)), "from": _user(chat_id, lang),
                "chat_instance": "-123456789", "data": data,
                "message": {"message_id": 7, "date": int(time.time()),
                            "chat": {"id": chat_id, "type": "private", "first_name": "Camille"},
                            "text": "Réponse du centre"}}}


def photo_update(chat_id: int, caption: str | None = None, *, lang: str = "fr"
                 ) -> dict[str, Any]:
    sizes = [{"file_id": f"AgAC{n}", "file_unique_id": f"AQAD{n}", "width": w, "height": w,
              "file_size": w * 100} for n, w in enumerate((90, 320, 800))]
    extra: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        extra["caption"] = caption
    return message_update(chat_id, lang=lang, **extra)


def sticker_update(chat_id: int, emoji: str = "👍") -> dict[str, Any]:
    return message_update(chat_id, sticker={
        "file_id": "CAACStick", "file_unique_id": "AgADStick", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji})


def webhook_headers(secret: str) -> dict[str, str]:
    """The headers of Telegram's webhook calls."""
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
