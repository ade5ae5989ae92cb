"""The client address the limits count: X-Forwarded-For is believed from trusted proxies only."""

from __future__ import annotations

import types

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from crisis.settings import load_settings
from crisis.web.app_keys import CONTEXT
from crisis.web.client_address import client_address


def _request(peer: str, forwarded: str | None, trusted: str = "") -> web.Request:
    app = web.Application()
    app[CONTEXT] = types.SimpleNamespace(  # type: ignore[assignment]
        settings=load_settings({"CRISIS_TRUSTED_PROXIES": trusted}))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    transport = types.SimpleNamespace(get_extra_info=lambda name, default=None:
                                      (peer, 40000) if name == "peername" else default)
    return make_mocked_request("GET", "/chat/ws", headers=headers, app=app,
                               transport=transport)  # type: ignore[arg-type]


def test_a_client_cannot_choose_its_address() -> None:
    assert client_address(_request("192.0.2.1", "203.0.113.7")) == "192.0.2.1"


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address(_request("10.0.0.2", "203.0.113.7", "10.0.0.2")) == "203.0.113.7"
    # A client's own X-Forwarded-For comes first; the proxy appends the real peer: the
    # right-most address that is not a trusted proxy wins.
    assert client_address(_request("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.3",
                                   "10.0.0.2,10.0.0.3")) == "203.0.113.7"
    assert client_address(_request("10.0.0.2", None, "10.0.0.2")) == "10.0.0.2"


def test_a_bad_trusted_proxy_is_a_configuration_error() -> None:
    import pytest

    from crisis.errors import ConfigError
    with pytest.raises(ConfigError, match="CRISIS_TRUSTED_PROXIES"):
        load_settings({"CRISIS_TRUSTED_PROXIES": "10.0.0.1, nginx"})
