"""A stand-in for Twilio's REST API on loopback: records messages, answers like Twilio.

The real twilio client talks to it through TWILIO_API_BASE. `fail_next` makes the next calls
answer an error (e.g. 429 or 500) to exercise retries.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from typing import Any

from aiohttp import web


@dataclasses.dataclass
class TwilioStandIn:
    messages: list[dict[str, str]] = dataclasses.field(default_factory=list)
    fail_next: list[int] = dataclasses.field(default_factory=list)
    _ids: Any = dataclasses.field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        return app

    async def create_message(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.json_response({"code": 20429 if status == 429 else 20500,
                                      "message": "stand-in failure", "status": status},
                                     status=status)
        if not form.get("To") or not form.get("Body"):
            return web.json_response({"code": 21604, "message": "'To' and 'Body' are required",
                                      "status": 400}, status=400)
        sid = f"SM{next(self._ids):032x}"
        self.messages.append({**form, "Sid": sid, "Account": request.match_info["sid"],
                              "ReceivedAt": str(time.time())})
        return web.json_response({
            "sid": sid, "status": "queued", "to": form["To"], "from": form.get("From"),
            "body": form["Body"], "account_sid": request.match_info["sid"],
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Wed, 25 Nov 2026 12:00:00 +0000", "price": None,
            "uri": f"/2010-04-01/Accounts/{request.match_info['sid']}/Messages/{sid}.json",
        }, status=201)
