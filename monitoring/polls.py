"""Opinion polls in the watch: a CSV file checked whole, then stored; each answer's share
with its 95 % margin of error, as trends per question and answer.

CSV columns (a header row, comma or semicolon separated, UTF-8): date (YYYY-MM-DD),
institute, question, answer, share (a percentage, 0-100, "," or "." decimals, "%" allowed),
sample size (a whole number of respondents), method. A poll is keyed by date, institute,
question and answer: importing the same poll twice replaces it, never doubles it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import redis.asyncio as aioredis

from crisis.errors import InvalidInput, NotFound
from crisis.survey_margin import margin_of_error
from monitoring.keys import WatchKeys

COLUMNS: Final = ("date", "institute", "question", "answer", "share", "sample_size", "method")
MAX_FILE_BYTES: Final = 20 * 1024 * 1024
MAX_REPORTED: Final = 20
SEP: Final = "\x1f"


@dataclasses.dataclass(frozen=True)
class PollResult:
    """One answer's share in one poll (share as a fraction, 0-1)."""

    date: dt.date
    institute: str
    question: str
    answer: str
    share: float
    sample_size: int
    method: str

    @property
    def field(self) -> str:
        return SEP.join((self.date.isoformat(), self.institute, self.question, self.answer))

    @property
    def margin(self) -> float:
        return margin_of_error(self.share, self.sample_size)

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "institute": self.institute,
                "question": self.question, "answer": self.answer, "share": self.share,
                "sample_size": self.sample_size, "method": self.method}


def _header(row: list[str]) -> list[str]:
    return [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in row]


def _share(text: str) -> float:
    value = float(text.strip().rstrip("%").strip().replace(",", "."))
    if not 0 <= value <= 100 or math.isnan(value):
        raise ValueError("share must be a percentage between 0 and 100")
    return value / 100


def _result(row: dict[str, str]) -> PollResult:
    """One row as a result; ValueError says which column is wrong."""
    for column in COLUMNS:
        if not (row.get(column) or "").strip() and column != "method":
            raise ValueError(f"{column} is empty")
    try:
        date = dt.date.fromisoformat(row["date"].strip())
    except ValueError:
        raise ValueError(f"date {row['date'].strip()!r} is not YYYY-MM-DD") from None
    try:
        share = _share(row["share"])
    except ValueError:
        raise ValueError(f"share {row['share'].strip()!r} is not a percentage "
                         "between 0 and 100") from None
    sample = row["sample_size"].strip().replace(" ", "").replace("\u202f", "")
    if not sample.isdigit() or int(sample) < 1:
        raise ValueError(f"sample size {row['sample_size'].strip()!r} is not a whole "
                         "number of respondents")
    return PollResult(date=date, institute=row["institute"].strip(),
                      question=row["question"].strip(), answer=row["answer"].strip(),
                      share=share, sample_size=int(sample),
                      method=(row.get("method") or "").strip())


def decode_utf8(data: bytes, name: str) -> str:
    """The file's text; InvalidInput naming the first byte that is not UTF-8 and its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise InvalidInput(
            f"{name} is not UTF-8: byte 0x{data[err.start]:02x} on line {line} is not valid "
            "UTF-8 (a Windows-1252 or Latin-1 export?); save the file as UTF-8 CSV") from None


def parse_polls(text: str) -> list[PollResult]:
    """Every row checked; InvalidInput listing each bad row by its line number (nothing kept)."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = _header(next(reader))
    except StopIteration:
        raise InvalidInput("the poll file is empty (a header row is expected: "
                           + ", ".join(COLUMNS) + ")") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput("line 1: missing column(s) " + ", ".join(missing)
                           + " (expected: " + ", ".join(COLUMNS) + ")")
    results: list[PollResult] = []
    errors: list[str] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(f"line {reader.line_num}: {len(cells)} columns, "
                          f"{len(header)} expected")
            continue
        try:
            results.append(_result(dict(zip(header, cells, strict=True))))
        except ValueError as err:
            errors.append(f"line {reader.line_num}: {err}")
    if errors:
        more = len(errors) - MAX_REPORTED
        raise InvalidInput("nothing imported; " + "; ".join(errors[:MAX_REPORTED])
                           + (f"; and {more} more bad rows" if more > 0 else ""))
    if not results:
        raise InvalidInput("the poll file has a header but no row")
    return results


def read_poll_file(path: Path) -> list[PollResult]:
    """The file's rows, all checked (errors: missing file, too large, not UTF-8, bad rows)."""
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return parse_polls(decode_utf8(path.read_bytes(), str(path)))


class Polls:
    """The poll results held by the watch (one hash, one field per poll and answer)."""

    def __init__(self, redis: aioredis.Redis, keys: WatchKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def put(self, results: Iterable[PollResult]) -> int:
        """All results written in one HSET (atomic: all or none)."""
        mapping: dict[Any, Any] = {
            r.field: json.dumps(r.as_json(), ensure_ascii=False) for r in results}
        if mapping:
            await self.redis.hset(self.keys.polls, mapping=mapping)
        return len(mapping)

    async def all(self) -> list[PollResult]:
        raw = await self.redis.hvals(self.keys.polls)
        results = []
        for value in raw:
            data = json.loads(value)
            results.append(PollResult(
                date=dt.date.fromisoformat(data["date"]), institute=data["institute"],
                question=data["question"], answer=data["answer"], share=float(data["share"]),
                sample_size=int(data["sample_size"]), method=data["method"]))
        return results


def poll_trends(results: Iterable[PollResult]) -> list[dict[str, Any]]:
    """Per question (in order of their latest poll, newest first), per answer, the points in
    date order with share and margin as percentages (one decimal)."""
    questions: dict[str, dict[str, list[PollResult]]] = {}
    for result in results:
        questions.setdefault(result.question, {}).setdefault(result.answer, []).append(result)
    out: list[dict[str, Any]] = []
    for question, answers in questions.items():
        rows: list[dict[str, Any]] = []
        for answer, points in sorted(answers.items()):
            points.sort(key=lambda r: (r.date, r.institute))
            rows.append({"answer": answer, "points": [
                {"date": p.date.isoformat(), "institute": p.institute, "method": p.method,
                 "share_pct": round(p.share * 100, 1), "margin_pct": round(p.margin * 100, 1),
                 "sample_size": p.sample_size} for p in points]})
        latest = max(p.date for points in answers.values() for p in points).isoformat()
        out.append({"question": question, "latest": latest, "answers": rows})
    out.sort(key=lambda q: (q["latest"], q["question"]), reverse=True)
    return out
