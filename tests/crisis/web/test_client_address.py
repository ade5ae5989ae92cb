"""The client address the limits count: X-Forwarded-For is believed from trusted proxies only."""

from __future__ import annotations

import re
import time
import types
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from crisis.context import Context
from crisis.errors import ConfigError
from crisis.settings import TrustedProxies, load_settings
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
    with pytest.raises(ConfigError, match="CRISIS_TRUSTED_PROXIES"):
        load_settings({"CRISIS_TRUSTED_PROXIES": "10.0.0.1, nginx"})


# --- Ranges (CIDR) next to exact addresses ---

def _trusted(value: str) -> TrustedProxies:
    return load_settings({"CRISIS_TRUSTED_PROXIES": value}).trusted_proxies


def test_ranges_and_addresses_are_parsed_at_load() -> None:
    trusted = _trusted(" 10.0.0.0/8, fd00::/8,192.0.2.1 , 2001:DB8::0:1, 198.51.100.7/32 ")
    # A /32 (or /128) is one address: the set lookup, not a range to walk.
    assert trusted.addresses == {"192.0.2.1", "2001:db8::1", "198.51.100.7"}
    assert [str(n) for n in trusted.networks] == ["10.0.0.0/8", "fd00::/8"]
    assert not _trusted("") and not load_settings({}).trusted_proxies


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "10.0.0.0/33", "nginx", "fd00::/129",
                                   "10.0.0.0/8/8", "10.0.0.*"])
def test_a_bad_entry_is_a_configuration_error_naming_it(entry: str) -> None:
    with pytest.raises(ConfigError, match=rf"CRISIS_TRUSTED_PROXIES=.*'{re.escape(entry)}' is "
                                          r"neither an address"):
        load_settings({"CRISIS_TRUSTED_PROXIES": f"10.1.0.0/16, {entry}"})


@pytest.mark.parametrize(("address", "inside"), [
    ("10.0.0.1", True), ("10.255.255.254", True), ("11.0.0.1", False), ("9.255.255.255", False),
    ("192.0.2.1", True), ("192.0.2.2", False),
    ("fd00::1", True), ("fdff:ffff::1", True), ("fe80::1", False), ("2001:db8::1", True),
    ("2001:DB8:0::1", True),            # another spelling of a listed address
    ("::ffff:10.1.2.3", True),          # a dual-stack listener's view of an IPv4 proxy
    ("::ffff:192.0.2.1", True), ("::ffff:11.0.0.1", False),
    ("nginx", False), ("", False), ("10.0.0.1:80", False), ("unknown", False),
])
def test_matching_addresses_ranges_and_mapped_ipv4(address: str, inside: bool) -> None:
    assert (address in _trusted("10.0.0.0/8, fd00::/8, 192.0.2.1, 2001:db8::1")) is inside


def test_a_proxy_inside_a_range_names_the_client_and_nobody_else_does() -> None:
    ranges = "10.0.0.0/8, fd00::/8"
    assert client_address(_request("10.3.4.5", "203.0.113.7", ranges)) == "203.0.113.7"
    assert client_address(_request("fd00::a:1", "2001:db8::7", ranges)) == "2001:db8::7"
    # Two proxies of the range in a row (a load balancer, then the ingress controller).
    assert client_address(_request("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.9.9.9",
                                   ranges)) == "203.0.113.7"
    # A peer outside every range: its X-Forwarded-For is a lie it may not tell.
    assert client_address(_request("192.0.2.50", "10.0.0.9", ranges)) == "192.0.2.50"
    assert client_address(_request("fe80::1", "203.0.113.7", ranges)) == "fe80::1"


def test_matching_stays_cheap() -> None:
    trusted = _trusted("10.0.0.0/8, 172.16.0.0/12, fd00::/8, 192.0.2.1")
    started = time.perf_counter()
    for _ in range(10_000):
        assert "192.0.2.1" in trusted and "172.20.0.5" in trusted
        assert "203.0.113.7" not in trusted
    per_check = (time.perf_counter() - started) / 30_000
    assert per_check < 20e-6, f"{per_check * 1e6:.1f} µs per check"  # ~1-2 µs measured


async def test_over_http_a_spoofed_header_from_an_untrusted_peer_is_ignored(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    """The audit of a failed login records the address the limits count: the header's when
    the peer (loopback here) is inside a trusted range, the peer's when it is not."""
    from crisis.app import build_app
    from crisis.audit import read_audit

    async def failed_login_address(trusted: str, forwarded: str) -> str:
        client = await aiohttp_client(build_app(
            load_settings({**env, "CRISIS_TRUSTED_PROXIES": trusted}), redis_url))
        name = f"nobody-{len(trusted)}"
        answer = await client.post("/api/session", json={"name": name, "password": "x"},
                                   headers={"X-Forwarded-For": forwarded})
        assert answer.status == 401
        [failed] = [e for e in await read_audit(ctx.redis, ctx.keys)
                    if e.action == "login.failed" and e.target == name]
        return str(failed.address)

    assert await failed_login_address("127.0.0.0/8", "203.0.113.7") == "203.0.113.7"
    assert await failed_login_address("10.0.0.0/8, fd00::/8", "198.51.100.9") == "127.0.0.1"
