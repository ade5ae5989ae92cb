"""CLI commands of the knowledge base (`crisis kb ...`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import Principal
from knowledge_base.answer import AutoAnswer, auto_answer
from knowledge_base.importing import export_lines, import_articles, read_article_files
from knowledge_base.service import knowledge_base
from knowledge_base.tuning import threshold_for

MAX_EVAL_BYTES = 50_000_000


async def kb_import(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Validate every line of every file first; then write all articles at once, or none."""
    articles = read_article_files(Path(args.path), progress=say)
    say(f"{len(articles)} articles read, all valid")
    report = await import_articles(knowledge_base(ctx).store, articles, actor=actor, progress=say)
    say(f"imported: {report.summary()}")


async def kb_export(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    for line in await export_lines(knowledge_base(ctx).store):
        print(line)


def _questions(args: argparse.Namespace) -> Iterator[tuple[int, str]]:
    if args.question is not None:
        yield 0, args.question
        return
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            yield number, line.rstrip("\n")


def _print_answer(result: AutoAnswer, args: argparse.Namespace, answer_text: str | None) -> None:
    if args.json:
        print(json.dumps({"question": result.question, "answer_id": result.answer_id,
                          "confidence": result.confidence,
                          "candidates": [{"id": i, "score": s} for i, s in result.candidates]},
                         ensure_ascii=False), flush=True)
    elif args.question is None:
        print(f"{result.answer_id or '-'}\t{result.confidence:.2f}\t{result.question}", flush=True)
    elif result.answer_id is None:
        print(f"pas de réponse automatique (confiance {result.confidence:.2f}, {result.intent.value}) : "
              "la question irait à un opérateur")
    else:
        print(f"{result.answer_id} (confiance {result.confidence:.2f})\n\n{answer_text}")


async def kb_ask(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Best published public article for QUESTION or each stdin line (nothing is recorded)."""
    kb = knowledge_base(ctx)
    indexes = await kb.index.current()
    threshold = await threshold_for(kb.store, "default")
    for number, question in _questions(args):
        try:
            result = auto_answer(indexes.public, question, lang=args.lang, threshold=threshold)
        except InvalidInput as err:
            raise InvalidInput(f"line {number}: {err.message}" if number else err.message) from None
        article = indexes.articles.get(result.answer_id) if result.answer_id else None
        _print_answer(result, args, article.answer if article else None)


async def kb_eval(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """precision@1, recall@3 and automatic answers on {q, expected} lines, beside plain BM25."""
    # Offline tooling: imported here, so no other command (nor the centre) loads it.
    from knowledge_base.tooling.evaluation import bm25_baseline, evaluate, format_report

    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_EVAL_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_EVAL_BYTES} bytes")
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound(f"no file {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    kb = knowledge_base(ctx)
    indexes = await kb.index.current()
    if not len(indexes.public):
        raise InvalidInput("no published public article to evaluate; import some first "
                           "(crisis kb import FILE.jsonl)")
    threshold = await threshold_for(kb.store, "default")
    say(f"{len(indexes.public)} published public articles, threshold {threshold}")
    ours = evaluate(indexes.public, lines, threshold=threshold)
    public = [a for a in indexes.articles.values() if a.audience == "public"]
    print(format_report(ours, bm25_baseline(public, lines)))
