"""Import and export of articles in the contract's JSON Lines format, all or nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import cast

import msgspec
from redis.exceptions import WatchError

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, NotFound
from crisis.events import make_event
from crisis.types import EventType, Principal, Role, utcnow
from knowledge_base.article import Article, article_to_json_line, parse_article_lines
from knowledge_base.store import ArticleStore, ArticleVersion, same_text

MAX_IMPORT_BYTES = 200_000_000
PROGRESS_EVERY = 5_000

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # existing articles left alone (starter imports never overwrite the cell's edits)

    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
                + (f", {self.kept} kept as they were" if self.kept else ""))


def _numbered(lines: Iterable[str], name: str, progress: Progress | None) -> Iterable[str]:
    for number, line in enumerate(lines, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(f"{name}: {number} lines read")
        yield line


def read_article_files(path: Path, progress: Progress | None = None) -> list[Article]:
    """Articles of a .jsonl file, or of every *.jsonl file of a directory (sorted by name).

    Every problem of every file is reported at once ("file.jsonl: line 3: ..."); an id may
    appear only once across all files.
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".jsonl" and p.is_file())
        if not files:
            raise InvalidInput(f"{path} has no .jsonl file")
    elif path.is_file():
        files = [path]
    else:
        raise NotFound(f"no file or directory {path}")
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for file in files:
        if file.stat().st_size > MAX_IMPORT_BYTES:
            raise InvalidInput(f"{file} is larger than {MAX_IMPORT_BYTES} bytes")
        try:
            with file.open(encoding="utf-8") as lines:
                parsed = parse_article_lines(_numbered(lines, file.name, progress))
        except InvalidInput as err:
            problems.append(f"{file.name}: {err.message}")
            continue
        except UnicodeDecodeError:
            problems.append(f"{file.name}: not UTF-8 text")
            continue
        for article in parsed:
            if article.id in seen:
                problems.append(f"{file.name}: id '{article.id}' already in {seen[article.id]}")
            seen.setdefault(article.id, file.name)
        articles.extend(parsed)
    if problems:
        raise InvalidInput("; ".join(problems))
    return articles


def _imported(before: ArticleVersion | None, article: Article, actor: str,
              now: dt.datetime) -> ArticleVersion:
    # The import states the status: it is the cell's bulk decision, not a lifecycle step.
    approved = article.status in ("validated", "published")
    return ArticleVersion(
        article=article, version=before.version + 1 if before else 1, action="import",
        author=actor, changed_by=actor, changed_at=now,
        validated_by=actor if approved else None, validated_at=now if approved else None,
        published_at=now if article.status == "published" else None)


async def import_articles(store: ArticleStore, articles: Sequence[Article], *, actor: Principal,
                          keep_existing: bool = False, progress: Progress | None = None) -> ImportReport:
    """Write every article in one transaction: all are imported, or none.

    An existing article with the same text and status is left as it is; with `keep_existing`
    any existing article is (scenario starter articles must not undo the cell's edits).
    Needs the cell role: imported articles keep the status their line gives.
    """
    require_role(actor, Role.CELL, "import articles")
    ids = [a.id for a in articles]
    keys = [store.keys.article(i) for i in ids]
    async with store.redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                if keys:
                    await pipe.watch(*keys)
                raws = cast(list[str | None], await pipe.mget(keys)) if keys else []
                report, versions = _plan(articles, raws, actor.label(), keep_existing)
                if progress is not None and versions:
                    progress(f"writing {len(versions)} articles...")
                pipe.multi()  # type: ignore[no-untyped-call]
                for before, after in versions:
                    store.queue_version(pipe, before, after)
                    add_audit(pipe, store.core, audit_entry(
                        actor, "kb.article.import", after.id,
                        before=f"v{before.version} {before.status}" if before else None,
                        after=f"v{after.version} {after.status}"))
                if versions:
                    store.bus.add_to(pipe, make_event(
                        EventType.KB_IMPORTED, actor=actor.label(), subject="kb", created=report.created,
                        updated=report.updated, ids=[v.id for _, v in versions[:1000]]))
                await pipe.execute()
                return report
            except WatchError:
                continue


def _plan(articles: Sequence[Article], raws: Sequence[str | None], actor: str, keep_existing: bool
          ) -> tuple[ImportReport, list[tuple[ArticleVersion | None, ArticleVersion]]]:
    now = utcnow()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    versions: list[tuple[ArticleVersion | None, ArticleVersion]] = []
    for article, raw in zip(articles, raws):
        before = msgspec.json.decode(raw, type=ArticleVersion) if raw else None
        if before is not None and keep_existing:
            counts["kept"] += 1
        elif before is not None and before.status == article.status and same_text(before.article, article):
            counts["unchanged"] += 1
        else:
            counts["updated" if before else "created"] += 1
            versions.append((before, _imported(before, article, actor, now)))
    return ImportReport(**counts), versions


async def export_lines(store: ArticleStore) -> list[str]:
    """The latest version of every article as JSON Lines (no newlines), sorted by id."""
    versions = sorted(await store.latest(), key=lambda v: v.id)
    return [article_to_json_line(v.article) for v in versions]
