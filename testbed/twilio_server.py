"""The Twilio stand-in as a process of its own, for the benchmarks (real HTTP on loopback).

    python -m testbed.twilio_server PORT

Besides Twilio's REST API (testbed/twilio.py), `GET /count` answers how many SMS it received
`GET /times` their arrival times (then forgets them), and `GET /messages` the recipient and
text of each (to count an SMS answered twice): what a benchmark checks.
"""

from __future__ import annotations

import sys

from aiohttp import web

from testbed.twilio import TwilioStandIn


def main(port: int) -> None:
    standin = TwilioStandIn()
    app = standin.app()

    async def count(request: web.Request) -> web.Response:
        return web.Response(text=str(len(standin.messages)))

    async def times(request: web.Request) -> web.Response:
        stamps = [float(m["ReceivedAt"]) for m in standin.messages]
        standin.messages.clear()
        return web.json_response(stamps)

    async def messages(request: web.Request) -> web.Response:
        return web.json_response([{"To": m.get("To", ""), "Body": m.get("Body", "")}
                                  for m in standin.messages])

    app.router.add_get("/count", count)
    app.router.add_get("/messages", messages)
    app.router.add_get("/times", times)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
