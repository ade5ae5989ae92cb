"""The HTTP client the twilio package sends our REST calls with, on aiohttp.

twilio ships an asyncio client (twilio.http.async_http_client), but it passes credentials as
aiohttp.BasicAuth through the `auth` argument, both deprecated in aiohttp 3.13 and removed in
4, and it has no connection limit. This one sends the same request with an Authorization
header, a bounded keep-alive pool and a total timeout; the twilio package does the rest
(URLs, parameters, errors as TwilioRestException).
"""

from __future__ import annotations

import base64
import logging
from typing import Any, cast

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

log = logging.getLogger(__name__)
MAX_CONNECTIONS = 32  # per worker process: Twilio answers in ~100-300 ms, so ~100+ sends/s


class TwilioHttp(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
    def __init__(self, timeout_s: float = 10.0) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), True, timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None,
                      headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        if self._session is None:  # made in the loop that sends
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS), timeout=self._timeout)
        headers = dict(headers or {})
        if auth is not None:
            login = f"{auth[0]}:{auth[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(login).decode("ascii")
        async with self._session.request(
                method.upper(), uri, params=cast(Any, params), data=data, headers=headers,
                allow_redirects=allow_redirects,
                timeout=aiohttp.ClientTimeout(total=timeout) if timeout else None) as response:
            return Response(response.status, await response.text(), response.headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
