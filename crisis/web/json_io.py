"""Reading and writing JSON bodies with msgspec: typed, bounded, with clear error messages."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from crisis.errors import InvalidInput

T = TypeVar("T")


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    """The body of a transition: why it is done (kept in the event and the audit)."""

    reason: str = ""


async def read_body(request: web.Request, type_: type[T]) -> T:
    """Decode the JSON body into `type_`; InvalidInput says which field is wrong.

    The size bound is the application's client_max_size (CRISIS_MAX_BODY_BYTES): aiohttp
    answers 413 before we read more.
    """
    raw = await request.read()
    if not raw:
        raise InvalidInput("the request needs a JSON body")
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as err:
        raise InvalidInput(f"invalid request body: {err}") from None
    except msgspec.DecodeError:
        raise InvalidInput("the request body is not valid JSON") from None


def json_response(data: Any, status: int = 200) -> web.Response:
    """Encode msgspec structs, dataclasses, datetimes and enums as JSON."""
    return web.Response(body=msgspec.json.encode(data), status=status,
                        content_type="application/json")
