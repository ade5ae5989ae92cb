"""A stand-in for Twilio's REST API on loopback: records messages, calls and queues, answers
like Twilio (the JSON shapes of the 2010-04-01 API).

The real twilio client talks to it through TWILIO_API_BASE. `fail_next` makes the next calls
answer an error (e.g. 429 or 500) to exercise retries. A test puts a caller in a queue with
`enqueue_member` (Twilio does it on `<Enqueue>`, which no REST call shows).
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
    # --- telephone ---
    calls: list[dict[str, str]] = dataclasses.field(default_factory=list)
    call_updates: list[dict[str, str]] = dataclasses.field(default_factory=list)
    queues: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    members: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        add_voice_routes(app, self)
        return app

    def failure(self) -> web.Response | None:
        """The next error asked for with `fail_next`, in Twilio's error shape."""
        if not self.fail_next:
            return None
        status = self.fail_next.pop(0)
        return web.json_response({"code": 20429 if status == 429 else 20500,
                                  "message": "stand-in failure", "status": status},
                                 status=status)

    def enqueue_member(self, queue_name: str, call_sid: str) -> None:
        """What Twilio does on `<Enqueue>`: the caller joins the queue (created if new)."""
        queue = next((q for q in self.queues.values() if q["friendly_name"] == queue_name),
                     None) or self._new_queue("AC", queue_name, 100)
        self.members.setdefault(queue["sid"], []).append(
            {"call_sid": call_sid, "date_enqueued": "Wed, 25 Nov 2026 12:00:00 +0000",
             "position": len(self.members.get(queue["sid"], [])) + 1, "wait_time": 0,
             "queue_sid": queue["sid"]})
        queue["current_size"] = len(self.members[queue["sid"]])

    def _new_queue(self, account: str, name: str, max_size: int) -> dict[str, Any]:
        sid = f"QU{next(self._ids):032x}"
        self.queues[sid] = {
            "sid": sid, "friendly_name": name, "max_size": max_size, "current_size": 0,
            "average_wait_time": 0, "account_sid": account,
            "date_created": "Wed, 25 Nov 2026 12:00:00 +0000",
            "date_updated": "Wed, 25 Nov 2026 12:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{account}/Queues/{sid}.json"}
        return self.queues[sid]
    # --- end of telephone ---

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
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.messages.append({**form, "Sid": sid, "Account": request.match_info["sid"],
                              "ReceivedAt": str(time.time()),
                              # The client's port: the same on every request of one kept-alive
                              # connection (a test checks the reply worker reuses it).
                              "Peer": f"{peer[0]}:{peer[1]}" if peer else ""})
        return web.json_response({
            "sid": sid, "status": "queued", "to": form["To"], "from": form.get("From"),
            "body": form["Body"], "account_sid": request.match_info["sid"],
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Wed, 25 Nov 2026 12:00:00 +0000", "price": None,
            "uri": f"/2010-04-01/Accounts/{request.match_info['sid']}/Messages/{sid}.json",
        }, status=201)


# --- telephone: Calls (create, update) and Queues (create, list, update, members) ---
def _call_json(account: str, sid: str, form: dict[str, str], status: str) -> dict[str, Any]:
    return {"sid": sid, "account_sid": account, "to": form.get("To"), "from": form.get("From"),
            "status": status, "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Wed, 25 Nov 2026 12:00:00 +0000", "date_updated": None,
            "start_time": None, "end_time": None, "duration": None, "price": None,
            "parent_call_sid": None, "answered_by": None, "queue_time": "0",
            "uri": f"/2010-04-01/Accounts/{account}/Calls/{sid}.json"}


def add_voice_routes(app: web.Application, standin: TwilioStandIn) -> None:
    base = "/2010-04-01/Accounts/{account}"

    async def form_of(request: web.Request) -> dict[str, str]:
        return {k: str(v) for k, v in (await request.post()).items()}

    async def create_call(request: web.Request) -> web.Response:
        form = await form_of(request)
        if (failed := standin.failure()) is not None:
            return failed
        if not form.get("To") or not form.get("From") or not (form.get("Url") or form.get("Twiml")):
            return web.json_response({"code": 21205, "message": "'To', 'From' and 'Url' are "
                                      "required", "status": 400}, status=400)
        sid = f"CA{next(standin._ids):032x}"
        standin.calls.append({**form, "Sid": sid, "ReceivedAt": str(time.time())})
        return web.json_response(_call_json(request.match_info["account"], sid, form, "queued"),
                                 status=201)

    async def update_call(request: web.Request) -> web.Response:
        form = await form_of(request)
        if (failed := standin.failure()) is not None:
            return failed
        sid = request.match_info["call"].removesuffix(".json")
        standin.call_updates.append({**form, "Sid": sid})
        for members in standin.members.values():  # redirected out of its queue
            members[:] = [m for m in members if m["call_sid"] != sid]
        return web.json_response(_call_json(request.match_info["account"], sid, form,
                                            "in-progress"))

    async def create_queue(request: web.Request) -> web.Response:
        form = await form_of(request)
        if (failed := standin.failure()) is not None:
            return failed
        name = form.get("FriendlyName", "")
        if not name or any(q["friendly_name"] == name for q in standin.queues.values()):
            return web.json_response({"code": 22003, "message": "A queue with this name "
                                      "already exists" if name else "FriendlyName is required",
                                      "status": 400}, status=400)
        max_size = int(form.get("MaxSize") or 100)
        if not 1 <= max_size <= 5000:
            return web.json_response({"code": 22001, "message": "MaxSize must be 1 to 5000",
                                      "status": 400}, status=400)
        return web.json_response(standin._new_queue(request.match_info["account"], name,
                                                    max_size), status=201)

    def page(request: web.Request, key: str, items: list[dict[str, Any]]) -> web.Response:
        uri = request.path
        return web.json_response({key: items, "page": 0, "page_size": 1000, "start": 0,
                                  "end": max(0, len(items) - 1), "uri": uri,
                                  "first_page_uri": uri, "next_page_uri": None,
                                  "previous_page_uri": None})

    async def list_queues(request: web.Request) -> web.Response:
        return page(request, "queues", list(standin.queues.values()))

    async def update_queue(request: web.Request) -> web.Response:
        form = await form_of(request)
        queue = standin.queues.get(request.match_info["queue"].removesuffix(".json"))
        if queue is None:
            return web.json_response({"code": 20404, "message": "not found", "status": 404},
                                     status=404)
        if "MaxSize" in form:
            queue["max_size"] = int(form["MaxSize"])
        return web.json_response(queue)

    async def list_members(request: web.Request) -> web.Response:
        return page(request, "queue_members", standin.members.get(request.match_info["queue"], []))

    async def update_member(request: web.Request) -> web.Response:
        form = await form_of(request)
        members = standin.members.get(request.match_info["queue"], [])
        wanted = request.match_info["call"].removesuffix(".json")
        found = next((m for m in members if wanted in (m["call_sid"], "Front")), None)
        if found is None:
            return web.json_response({"code": 20404, "message": "not found", "status": 404},
                                     status=404)
        members.remove(found)
        standin.call_updates.append({**form, "Sid": found["call_sid"]})
        return web.json_response(found)

    app.router.add_post(base + "/Calls.json", create_call)
    app.router.add_post(base + "/Calls/{call}", update_call)
    app.router.add_post(base + "/Queues.json", create_queue)
    app.router.add_get(base + "/Queues.json", list_queues)
    app.router.add_post(base + "/Queues/{queue}", update_queue)
    app.router.add_get(base + "/Queues/{queue}/Members.json", list_members)
    app.router.add_post(base + "/Queues/{queue}/Members/{call}", update_member)
# --- end of telephone ---
