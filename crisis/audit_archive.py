"""The audit trail copied to files before Redis trims it.

The trail is one Redis Stream capped near AUDIT_MAXLEN entries (crisis/audit.py): memory stays
bounded, but in a long crisis the oldest entries (who read which citizen's conversation, who
signed in from where) would be trimmed, and an inquiry may ask for them months later. `crisis
audit archive DIR` appends every entry not yet archived to DIR/audit-YYYY-MM-DD.jsonl (one file
per UTC day, one JSON object a line, the stream id first), oldest first; the systemd timer of
deploy/systemd runs it every hour.

The files are the source of truth for where to resume: a run reads the last id of the newest
file and goes on from there, so a run that died half-way neither loses nor repeats an entry (a
line cut by the crash is dropped and written again). The id reached is also kept in Redis
(`audit:archived`) for the gauges and alerts (crisis/live_gauges.py): entries trimmed before
any archive held them show there.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import redis.asyncio as aioredis

from crisis.errors import InvalidInput
from crisis.keys import Keys
from crisis.stream_ids import stream_id_parts, stream_id_seconds

PAGE = 1_000  # entries read from Redis at a time: the memory of a run, whatever the trail's size
FILE_NAME = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})\.jsonl$")
LOCK_NAME = ".archive.lock"
LINE_ID = re.compile(rb'^\{"id": "(\d+-\d+)", "entry": ')  # how `archive` starts every line


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    written: int  # entries appended by this run
    files: tuple[str, ...]  # the day files they went to
    last_id: str | None  # the newest entry archived, now or before
    trimmed_before_archive: bool  # the trail's oldest entry is past what the archive holds


def day_files(folder: Path) -> list[Path]:
    """The archive's day files, oldest first."""
    return sorted(p for p in folder.iterdir() if FILE_NAME.match(p.name)) if folder.is_dir() else []


def _last_line_id(path: Path) -> str | None:
    """The stream id of the file's last complete line; a trailing partial line (a run that died
    while writing) is cut off, so the next run writes that entry again, whole."""
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return None
        # The last 64 KiB hold the last line: an entry is at most a few hundred bytes.
        start = max(0, size - 65_536)
        f.seek(start)
        tail = f.read()
        if not tail.endswith(b"\n"):
            cut = tail.rfind(b"\n")
            if cut < 0 and start > 0:  # 64 KiB without a line break: not a file of ours
                raise InvalidInput(f"{path} does not end with archived audit entries; move it "
                                   "away and run the archive again")
            f.truncate(start + cut + 1 if cut >= 0 else start)
            tail = tail[:cut + 1] if cut >= 0 else b""
        lines = tail.splitlines()
        if not lines:
            return None
        # Only the id, which every line of ours starts with: an entry's body is kept as Redis
        # held it, and one that is not JSON must not stop the archive.
        found = LINE_ID.match(lines[-1])
        if found is None:
            raise InvalidInput(f"{path}: its last line is not an archived audit entry; move the "
                               "file away (or mend that line) and run the archive again")
        return found.group(1).decode()


def resume_point(folder: Path) -> str | None:
    """The id of the newest archived entry, read from the files (None: nothing archived)."""
    for path in reversed(day_files(folder)):
        found = _last_line_id(path)
        if found is not None:
            return found
    return None


def _by_day(page: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The page cut into runs of entries of the same UTC day (a page spans one day or two)."""
    runs: list[tuple[str, list[tuple[str, str]]]] = []
    if _day_of(page[0][0]) == _day_of(page[-1][0]):
        return [(_day_of(page[0][0]), page)]
    for item in page:
        day = _day_of(item[0])
        if not runs or runs[-1][0] != day:
            runs.append((day, []))
        runs[-1][1].append(item)
    return runs


def _day_of(stream_id: str) -> str:
    return dt.datetime.fromtimestamp(stream_id_seconds(stream_id), dt.UTC).strftime("%Y-%m-%d")


async def entries_after(redis: aioredis.Redis, keys: Keys, after: str | None
                        ) -> AsyncIterator[list[tuple[str, str]]]:
    """The trail's (id, encoded entry) after `after`, oldest first, PAGE at a time."""
    low = "-" if after is None else f"({after}"
    while True:
        page = cast(list[tuple[str, dict[str, str]]],
                    await redis.xrange(keys.audit, min=low, max="+", count=PAGE))
        if not page:
            return
        yield [(str(i), fields["entry"]) for i, fields in page]
        if len(page) < PAGE:
            return
        low = f"({page[-1][0]}"


async def archive(redis: aioredis.Redis, keys: Keys, folder: Path,
                  progress: Callable[[int], None] | None = None) -> ArchiveReport:
    """Append every entry after the archive's newest to its day file; see the module doc.
    One run at a time per folder (two would append the same entries twice): InvalidInput when
    another holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InvalidInput(f"another `crisis audit archive` is writing to {folder}: "
                               "let it finish") from None
        return await _archive(redis, keys, folder, progress)


async def _archive(redis: aioredis.Redis, keys: Keys, folder: Path,
                   progress: Callable[[int], None] | None) -> ArchiveReport:
    after = resume_point(folder)
    oldest = cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.audit, count=1))
    # The trail no longer holds the newest archived entry: Redis trimmed past it.
    trimmed = bool(oldest) and after is not None \
        and stream_id_parts(after) < stream_id_parts(oldest[0][0])
    written, files = 0, list[str]()
    handle: IO[str] | None = None
    day = None
    try:
        async for page in entries_after(redis, keys, after):
            for run_day, run in _by_day(page):
                if run_day != day:
                    if handle is not None:
                        _close(handle)
                    day = run_day
                    name = f"audit-{day}.jsonl"
                    handle = (folder / name).open("a", encoding="utf-8")
                    files.append(name)
                assert handle is not None
                # The entry as stored, behind its id: no decoding, nothing lost or reformatted.
                handle.write("".join([f'{{"id": "{i}", "entry": {encoded}}}\n' for i, encoded in run]))
            after = page[-1][0]
            written += len(page)
            if progress is not None:
                progress(written)
    finally:
        if handle is not None:
            _close(handle)
    if after is not None:
        await redis.set(keys.audit_archived, after)
    return ArchiveReport(written, tuple(files), after, trimmed)


def _close(handle: IO[str]) -> None:
    handle.flush()
    os.fsync(handle.fileno())  # on disk before the mark in Redis says so
    handle.close()
