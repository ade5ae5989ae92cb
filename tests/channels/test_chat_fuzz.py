"""The web-chat socket fed any frame: it answers or says "invalid frame", and the socket
keeps serving (a hello after it is welcomed); nothing fails unseen in the server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisis.settings import Settings
from tests.support.live_centre import LiveCentre, live_centre

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
frames = st.one_of(
    st.text(max_size=1000),  # at most 4,000 bytes of UTF-8: under the socket's 4 KB frame cap
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["hello", "message", "bye", ""]) | json_values},
        optional={"token": json_values | st.just("a.b"), "since": json_values,
                  "lang": json_values, "id": json_values, "text": json_values},
    ).map(json.dumps),
).filter(lambda frame: len(frame.encode()) <= 4000)


@pytest.fixture
def live(settings: Settings, redis_url: str, caplog: pytest.LogCaptureFixture
         ) -> Iterator[LiveCentre]:
    caplog.set_level(logging.ERROR)
    with live_centre(settings, redis_url) as centre:
        yield centre
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def _send_then_hello(base: str, frame: str) -> list[dict[str, Any]]:
    """Send `frame`, then a hello; the frames received until the welcome."""
    received: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(base + "/chat/ws", timeout=aiohttp.ClientWSTimeout(
                ws_close=5)) as socket:
            await socket.send_str(frame)
            await socket.send_str(json.dumps({"type": "hello", "token": None, "lang": "fr"}))
            while True:
                message = await socket.receive(timeout=10)
                assert message.type is aiohttp.WSMsgType.TEXT, (message.type, message.data)
                received.append(json.loads(message.data))
                if received[-1].get("type") == "welcome" and len(
                        [r for r in received if r.get("type") == "welcome"]) == (
                        2 if _is_hello(frame) else 1):
                    return received


def _is_hello(frame: str) -> bool:
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("type") == "hello"


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(frame=frames)
@example(frame="[" * 3000)   # nested past Python's recursion limit
@example(frame='{"type": "hello", "token": ' + "[" * 2000 + "]" * 2000 + "}")
@example(frame='{"type": "message", "id": 1e999, "text": {"a": [1]}}')
@example(frame='{"type": "hello", "since": ["m1"], "token": "x.y"}')
def test_any_frame_leaves_the_socket_serving(live: LiveCentre, frame: str) -> None:
    received = live.call(_send_then_hello(live.base, frame))
    assert received[-1]["type"] == "welcome" and received[-1]["token"]
    for answer in received:
        assert answer["type"] in ("welcome", "error", "ack", "message"), answer
