"""Bad feeds over real HTTP on loopback: a gzip bomb, an endless chunked body, redirect loops and
chains, XML entity bombs and external entities, garbage and future dates, entries without text
or key, a huge entry, 100,000 entries. Each one: a clear reason (or the entries kept and the
skipped ones counted), memory bounded, and the next feed still read. Then bad signal lines
(missing fields, wrong types, future or ancient times, huge lines, invalid UTF-8), each named
by POST /api/signals and by the file import."""

from __future__ import annotations

import datetime as dt
import json
import struct
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from crisis.context import Context
from crisis.types import Role
from monitoring.feed_polling import MAX_ENTRIES_PER_POLL, MAX_FEED_BYTES, PollOutcome, poll
from monitoring.feeds import Feeds
from monitoring.keys import WatchKeys
from monitoring.signal import MAX_TEXT_CHARS, Signal, decode_signal
from monitoring.signal_batches import import_file
from tests.conftest import bearer

GOOD = """<?xml version="1.0"?><rss version="2.0"><channel><title>Préfecture</title>
<item><guid>g1</guid><title>Crue de la Loire</title><link>http://x/g1</link></item>
</channel></rss>"""
BOMB_BYTES = 1024 ** 3  # decompressed size of the gzip bomb


def rss(items: str, head: str = "") -> str:
    return (f'<?xml version="1.0"?>{head}<rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>")


def _gzip_bomb() -> bytes:
    """1 GiB of zeros as one gzip member (~1 MB). Compressing the GiB cost 6-10 s of CPU at
    each run: after a full flush the compressor starts afresh, so every MiB of zeros after
    the first compresses to the same bytes, compressed once and repeated; the trailer (CRC
    and size of the whole GiB) written by hand. The same valid gzip stream, decoding to 1 GiB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    mebibytes = BOMB_BYTES // len(zeros)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)  # with the gzip header
    again = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    last_block = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # empty, final
    return (first + again * (mebibytes - 1) + last_block
            + struct.pack("<II", crc, BOMB_BYTES & 0xFFFFFFFF))


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return _gzip_bomb()


@pytest.fixture
async def bad_server(aiohttp_server: Any, gzip_bomb: bytes) -> Any:
    sent = {"bomb": 0, "endless": 0}
    docs: dict[str, str] = {}

    async def good(request: web.Request) -> web.Response:
        return web.Response(text=GOOD, content_type="application/rss+xml")

    async def bomb(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml",
                                               "Content-Encoding": "gzip"})
        await response.prepare(request)
        try:
            for start in range(0, len(gzip_bomb), 16 * 1024):
                await response.write(gzip_bomb[start:start + 16 * 1024])
                sent["bomb"] += 16 * 1024
        except (ConnectionError, RuntimeError):
            pass  # the reader hung up at its cap
        return response

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        item = b"<item><guid>e</guid><title>encore</title></item>" * 1000
        try:
            await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while sent["endless"] < 100 * MAX_FEED_BYTES:  # a bound for the test, not for the reader
                await response.write(item)
                sent["endless"] += len(item)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def chain(request: web.Request) -> web.Response:
        step = int(request.match_info["step"])
        raise web.HTTPFound(f"/chain/{step + 1}" if step < 10 else "/good")

    async def short_chain(request: web.Request) -> web.Response:
        step = int(request.match_info["step"])
        raise web.HTTPFound(f"/short/{step + 1}" if step < 3 else "/good")

    async def document(request: web.Request) -> web.Response:
        return web.Response(text=docs[request.match_info["name"]],
                            content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/good", good)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/endless", endless)
    app.router.add_get("/loop", loop)
    app.router.add_get("/chain/{step}", chain)
    app.router.add_get("/short/{step}", short_chain)
    app.router.add_get("/doc/{name}", document)
    server = await aiohttp_server(app)
    server.sent = sent
    server.docs = docs
    return server


async def poll_all(ctx: Context, server: Any, paths: dict[str, str]) -> dict[str, PollOutcome]:
    """Each path as a feed, then /good: the outcomes by name, and /good must still be read."""
    keys = WatchKeys(ctx.keys)
    feeds = Feeds(ctx.redis, keys)
    added = [await feeds.add(str(server.make_url(path)), name=name) for name, path in paths.items()]
    added.append(await feeds.add(str(server.make_url("/good")), name="good"))
    async with aiohttp.ClientSession() as session:
        outcomes = {f.name: await poll(ctx.redis, keys, session, f) for f in added}
    assert outcomes["good"].ok and outcomes["good"].new_entries == 1
    return outcomes


async def signals(ctx: Context) -> list[Signal]:
    entries = await ctx.redis.xrange(WatchKeys(ctx.keys).signals)
    return [decode_signal(fields["s"]) for _, fields in entries]


async def listing(ctx: Context) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in await Feeds(ctx.redis, WatchKeys(ctx.keys)).listing()}


async def test_a_gzip_bomb_stops_at_the_cap_on_decoded_bytes(ctx: Context, bad_server: Any) -> None:
    tracemalloc.start()
    try:
        outcomes = await poll_all(ctx, bad_server, {"bomb": "/bomb"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not outcomes["bomb"].ok and outcomes["bomb"].reason == "larger than 5 MiB"
    # 1 GiB once decoded; the reader held about the cap, and read a small part of the ~1 MB sent.
    assert peak < 4 * MAX_FEED_BYTES, peak
    state = (await listing(ctx))["bomb"]
    assert state["health"] == "unhealthy" and state["reason"] == "larger than 5 MiB"


async def test_an_endless_chunked_body_is_cut_at_the_cap(ctx: Context, bad_server: Any) -> None:
    outcomes = await poll_all(ctx, bad_server, {"endless": "/endless"})
    assert not outcomes["endless"].ok and outcomes["endless"].reason == "larger than 5 MiB"
    assert bad_server.sent["endless"] < 3 * MAX_FEED_BYTES  # the reader hung up, not the server


async def test_redirect_loops_and_long_chains_fail_with_their_reason(
        ctx: Context, bad_server: Any) -> None:
    outcomes = await poll_all(ctx, bad_server, {"loop": "/loop", "chain": "/chain/0",
                                                "short": "/short/0"})
    assert outcomes["loop"].reason == "more than 5 redirects"
    assert outcomes["chain"].reason == "more than 5 redirects"
    assert outcomes["short"].ok and outcomes["short"].new_entries == 1  # 4 redirects are fine
    assert (await listing(ctx))["loop"]["health"] == "unhealthy"


LAUGHS = ('<!DOCTYPE rss [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
          + "]>").replace("&lol0;", "&lol;")
XXE = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
# One short entity referenced a million times: under expat's amplification factor (x100),
# yet 250 MB of text once expanded. A "simple" entity that feedparser itself would keep.
QUADRATIC = f'<!DOCTYPE rss [<!ENTITY a "{"x" * 250}">]>'


async def test_xml_entities_are_refused_and_nothing_is_expanded(
        ctx: Context, bad_server: Any) -> None:
    bad_server.docs.update({
        "laughs": rss("<item><guid>b1</guid><title>&lol9;</title></item>"
                      "<item><guid>b2</guid><title>ok</title></item>", LAUGHS),
        "xxe": rss("<item><guid>x1</guid><title>fuite &xxe; fin</title></item>", XXE),
        "quadratic": rss("<item><guid>q1</guid><title>" + "&a;" * 1_000_000 + "</title></item>",
                         QUADRATIC),
        "external": rss("<item><guid>d1</guid><title>t</title></item>",
                        f'<!DOCTYPE rss SYSTEM "{bad_server.make_url("/good")}">'),
    })
    tracemalloc.start()
    try:
        outcomes = await poll_all(ctx, bad_server, {name: f"/doc/{name}" for name in
                                                    ("laughs", "xxe", "quadratic", "external")})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for name in ("laughs", "xxe", "quadratic"):
        assert not outcomes[name].ok
        assert outcomes[name].reason.startswith("refused: the XML declares entities"), name
    assert "EntitiesForbidden" in outcomes["xxe"].reason
    assert "ExternalReferenceForbidden" in outcomes["external"].reason
    assert peak < 20 * MAX_FEED_BYTES, peak
    texts = [s.text for s in await signals(ctx)]
    assert texts == ["Crue de la Loire"]  # the good feed's only
    with open("/etc/passwd", encoding="utf-8") as passwd:
        assert passwd.readline().split(":")[0] not in " ".join(texts)


async def test_bad_dates_are_dated_at_fetch_time_and_counted(ctx: Context, bad_server: Any) -> None:
    bad_server.docs["dates"] = rss(
        "<item><guid>d1</guid><title>garbage</title><pubDate>la semaine dernière</pubDate></item>"
        "<item><guid>d2</guid><title>far</title><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item>"
        "<item><guid>d3</guid><title>soon</title><pubDate>"
        + (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        + "</pubDate></item>"
        "<item><guid>d4</guid><title>fine</title><pubDate>Wed, 02 Dec 2026 10:00:00 GMT</pubDate></item>"
        "<item><guid>d5</guid><title>undated</title></item>")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    outcomes = await poll_all(ctx, bad_server, {"dates": "/doc/dates"})
    after = dt.datetime.now(dt.timezone.utc)
    assert outcomes["dates"].ok and outcomes["dates"].new_entries == 5
    times = {s.text: s.time for s in await signals(ctx)}
    for text in ("garbage", "far", "soon", "undated"):
        assert before <= times[text] <= after, (text, times[text])
    assert times["fine"] == dt.datetime(2026, 12, 2, 10, tzinfo=dt.timezone.utc)
    assert (await listing(ctx))["dates"]["skipped"] == {"bad_date": 3}
    assert outcomes["dates"].skipped == "unreadable or future dates, dated at reading: 3"


async def test_empty_huge_and_countless_entries_are_bounded_and_counted(
        ctx: Context, bad_server: Any) -> None:
    bad_server.docs["empty"] = rss(
        "<item></item><item><description></description></item>"
        "<item><title>sans clé</title></item>"
        "<item><guid>h1</guid><title>énorme</title><description>"
        + "mot " * 1_000_000 + "</description></item>")
    # Ten times the cap: the rest counted, not kept (100,000 took 6-10 s of parsing, the
    # same check).
    bad_server.docs["many"] = rss("".join(f"<item><guid>{n}</guid><title>t{n}</title></item>"
                                          for n in range(10 * MAX_ENTRIES_PER_POLL)))
    outcomes = await poll_all(ctx, bad_server, {"empty": "/doc/empty", "many": "/doc/many"})
    assert outcomes["empty"].ok and outcomes["empty"].new_entries == 1
    assert outcomes["many"].ok and outcomes["many"].new_entries == MAX_ENTRIES_PER_POLL
    states = await listing(ctx)
    assert states["empty"]["skipped"] == {"cut": 1, "no_key": 1, "no_text": 2}
    assert states["many"]["skipped"] == {"over_cap": 9 * MAX_ENTRIES_PER_POLL}
    assert states["many"]["health"] == "ok"
    huge = next(s for s in await signals(ctx) if s.text.startswith("énorme"))
    assert len(huge.text) == MAX_TEXT_CHARS


def signal_line(**fields: Any) -> str:
    record = {"source": "social", "time": dt.datetime.now(dt.timezone.utc).isoformat(),
              "text": "Crue à Nantes", **fields}
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


# (line, what the error says about it): each kind of bad signal line, as the API and the file
# import both name it.
BAD_LINES = (
    (signal_line(text=None), "'text' is required"),
    (signal_line(time=1764669600), "'time' must be an ISO 8601 string"),
    (signal_line(reach="1200"), "'reach' must be a whole number"),
    (signal_line(source=["rss"]), "'source' must be a string"),
    (signal_line(time=(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).isoformat()),
     "'time' is in the future"),
    (signal_line(time="0001-01-01T00:00:00+01:00"), "'time' is out of range"),
    (signal_line(time="1900-01-01T00:00:00Z"), "'time' is before 1970"),
    (signal_line(text="x" * 70_000), "longer than 65536 bytes"),
)


async def test_bad_signal_lines_are_named_by_the_api_and_nothing_is_taken(
        client: Any, ctx: Context) -> None:
    headers = await bearer(ctx, "veille", Role.SUPERVISOR)
    body = b"\n".join([signal_line().encode()] + [bad.encode() for bad, _ in BAD_LINES]
                      + [b'{"source": "rss", "text": "caf\xe9"}'])
    refused = await client.post("/api/signals", data=body, headers=headers)
    assert refused.status == 400
    message = (await refused.json())["error"]["message"]
    assert message.startswith(f"{len(BAD_LINES) + 1} bad line(s), nothing accepted")
    for number, (_, reason) in enumerate(BAD_LINES, start=2):
        assert f"line {number}: {reason}" in message, (number, message)
    assert f"line {len(BAD_LINES) + 2}: not a JSON object (Invalid UTF-8" in message
    assert await ctx.redis.xlen(WatchKeys(ctx.keys).signals) == 0


async def test_a_file_skips_and_counts_bad_lines_when_asked(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join([signal_line().encode()] + [bad.encode() for bad, _ in BAD_LINES]
                                + [b"\xff\xfe not even json", signal_line(text="fin").encode()]))
    written, errors = await import_file(ctx.redis, WatchKeys(ctx.keys), path, skip_bad=True,
                                        progress=lambda _: None)
    assert (written, errors.count) == (2, len(BAD_LINES) + 1)
    assert "line 6: 'time' is in the future" in errors.summary()
    assert [s.text for s in await signals(ctx)] == ["Crue à Nantes", "fin"]
