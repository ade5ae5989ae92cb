"""Batches of signal lines, from a file (`crisis signals import`) or a request body
(`POST /api/signals`), validated before anything is written.

A file is read twice, line by line (memory bounded by one batch, whatever its size): first
every line is checked, then, only if all are valid (or the caller chose to skip bad lines),
the signals are written in batches of WRITE_BATCH. Nothing is half-imported silently: a bad
line stops the whole import with its line number, unless skipped on purpose and reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import msgspec
import redis.asyncio as aioredis

from crisis.errors import InvalidInput, NotFound, TooLarge
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.signal import Signal, parse_signal_line

WRITE_BATCH: Final = 1_000
MAX_API_LINES: Final = 1_000
MAX_LINE_BYTES: Final = 64 * 1024
MAX_REPORTED: Final = 20  # bad lines listed one by one; the rest counted


@dataclasses.dataclass
class LineErrors:
    count: int = 0
    listed: list[str] = dataclasses.field(default_factory=list)

    def add(self, number: int, message: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_REPORTED:
            self.listed.append(f"line {number}: {message}")

    def summary(self) -> str:
        more = self.count - len(self.listed)
        return "; ".join(self.listed) + (f"; and {more} more bad lines" if more > 0 else "")


def _checked(number: int, line: bytes, now: dt.datetime, errors: LineErrors) -> Signal | None:
    if len(line) > MAX_LINE_BYTES:
        errors.add(number, f"longer than {MAX_LINE_BYTES} bytes")
        return None
    try:
        return parse_signal_line(line, now=now)
    except InvalidInput as err:
        errors.add(number, err.message)
        return None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def check_file(path: Path, now: dt.datetime) -> tuple[int, LineErrors]:
    """(valid lines, errors) of a whole file, without keeping it in memory."""
    if not path.is_file():
        raise NotFound(f"no file {path}")
    errors = LineErrors()
    valid = sum(1 for number, line in _lines(path) if _checked(number, line, now, errors))
    return valid, errors


async def import_file(redis: aioredis.Redis, keys: WatchKeys, path: Path, *,
                      skip_bad: bool = False, progress: Callable[[str], None]) -> tuple[int, LineErrors]:
    """Check, then write; InvalidInput (nothing written) when a line is bad and not skipped."""
    now = dt.datetime.now(dt.timezone.utc)
    valid, errors = check_file(path, now)
    if errors.count and not skip_bad:
        raise InvalidInput(f"{path}: {errors.count} bad line(s), nothing imported "
                           f"(--skip-bad imports the others): {errors.summary()}")
    written = 0
    batch: list[Signal] = []
    ignored = LineErrors()  # the same lines as in the first pass
    for number, line in _lines(path):
        signal = _checked(number, line, now, ignored)
        if signal is not None:
            batch.append(signal)
        if len(batch) >= WRITE_BATCH:
            written += await add_signals(redis, keys, batch)
            batch = []
            progress(f"{written} / {valid} signals written")
    written += await add_signals(redis, keys, batch)
    return written, errors


def parse_body(raw: bytes) -> list[Signal]:
    """A request body of JSON lines (or one JSON array) -> signals; nothing if any is bad."""
    text = raw.strip()
    if not text:
        raise InvalidInput("the body is empty: send signal lines, one JSON object per line")
    if text.startswith(b"["):
        try:
            items = msgspec.json.decode(text, type=list[msgspec.Raw])
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise InvalidInput("the body is not a valid JSON array") from None
        lines = [(index, bytes(item)) for index, item in enumerate(items, start=1)]
    else:
        lines = [(number, line) for number, line in enumerate(text.split(b"\n"), start=1)
                 if line.strip()]
    if len(lines) > MAX_API_LINES:
        raise TooLarge(f"{len(lines)} signals in one request; send at most {MAX_API_LINES}")
    now = dt.datetime.now(dt.timezone.utc)
    errors = LineErrors()
    signals = [s for number, line in lines if (s := _checked(number, line, now, errors))]
    if errors.count:
        raise InvalidInput(f"{errors.count} bad line(s), nothing accepted: {errors.summary()}")
    return signals
