"""Reading request bodies before any handler: bounded in time and size, checked for encoding.

Every body is read here, once, before authentication and routing logic see it:
- within CRISIS_BODY_TIMEOUT_S of the headers (a slow-body client gets 408 and the
  connection is closed; it no longer holds a connection and a handler for minutes);
- within the size cap of its path (`BODY_CAPS`, e.g. 64 KiB for the provider webhooks) or
  CRISIS_MAX_BODY_BYTES, enforced on the stream itself, so a chunked body without
  Content-Length is cut at the cap too (413);
- a form (`application/x-www-form-urlencoded`) must be UTF-8: anything else is a 400 with a
  clear message, before a handler or the CSRF check parses it.
A client that goes away mid-body is not an error of ours: no traceback, no 5xx; it is
counted in `crisis_http_bodies_aborted_total`.
Multipart bodies are left to their handler (none of ours takes one).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientPayloadError, web
from aiohttp.typedefs import Handler
from prometheus_client import Counter

from crisis.errors import InvalidInput, RequestTimeout
from crisis.web.app_keys import CONTEXT
from crisis.web.middleware import CLIENT_GONE, error_response

log = logging.getLogger(__name__)

BODY_CAPS: web.AppKey[dict[str, int]] = web.AppKey("body_caps", dict)
FORM = "application/x-www-form-urlencoded"
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

BODIES_ABORTED = Counter(
    "crisis_http_bodies_aborted_total",
    "Request bodies not received in full, by reason (timeout, disconnect).", ["reason"],
)


class ClientGone(Exception):
    """The client closed the connection before its body was in."""


def cap_for(request: web.Request) -> int:
    caps = request.app.get(BODY_CAPS, {})
    matching = [cap for prefix, cap in caps.items() if request.path.startswith(prefix)]
    return min(matching) if matching else request.client_max_size


async def read_body_in_time(request: web.Request, timeout_s: float) -> bytes:
    try:
        async with asyncio.timeout(timeout_s):
            return await request.read()
    except TimeoutError:
        BODIES_ABORTED.labels("timeout").inc()
        raise RequestTimeout(
            f"the request body did not arrive within {timeout_s:g} s; send it again") from None
    except (ConnectionError, ClientPayloadError) as err:
        BODIES_ABORTED.labels("disconnect").inc()
        raise ClientGone(str(err)) from None
    except asyncio.CancelledError:
        # aiohttp cancels the handler when the connection is lost mid-body.
        BODIES_ABORTED.labels("disconnect").inc()
        log.info("client closed the connection before its body was in",
                 extra={"path": request.path})
        raise


def check_form_encoding(raw: bytes, charset: str | None) -> None:
    if charset is not None and charset.lower() not in UTF8_CHARSETS:
        raise InvalidInput(f"form bodies must be UTF-8, not {charset[:20]!r}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the form body is not valid UTF-8") from None


@web.middleware
async def body_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.body_exists or request.content_type == "multipart/form-data":
        return await handler(request)
    cap = cap_for(request)
    length = request.content_length
    if length is not None and length <= min(cap, request.client_max_size) \
            and request.content.is_eof() and "Content-Encoding" not in request.headers:
        # All in already (a provider's webhook comes in one packet with its headers) and
        # within both caps: read without a timer or a clone of the request. Not for a
        # compressed body: its length says nothing of what it inflates to, which the
        # clone's cap bounds.
        raw = await request.read()
    else:
        if cap != request.client_max_size:
            request = request.clone(client_max_size=cap)
        try:
            raw = await read_body_in_time(request, request.app[CONTEXT].settings.body_timeout_s)
        except RequestTimeout as err:
            # Answer now and close: otherwise aiohttp keeps reading ("lingering") the rest
            # of the slow body for another 10 s before closing.
            response = error_response(request, err.http_status, err.code, err.message)
            response.force_close()
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()
            return response
        except ClientGone as gone:
            log.info("client closed the connection before its body was in",
                     extra={"path": request.path, "reason": str(gone)[:100]})
            response = web.Response(status=CLIENT_GONE)
            response.force_close()
            return response
    if request.content_type == FORM:
        check_form_encoding(raw, request.charset)
    return await handler(request)
