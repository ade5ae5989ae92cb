"""CLI commands of the knowledge base (`crisis kb ...`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import Principal
from knowledge_base import AutoAnswer, KnowledgeBase, citizen_language, read_article_files

MAX_EVAL_BYTES = 50_000_000


async def kb_import(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Validate every line of every file first; then write all articles at once, or none."""
    articles = read_article_files(Path(args.path), progress=say)
    say(f"{len(articles)} articles read, all valid")
    report = await KnowledgeBase.from_context(ctx).import_articles(articles, actor=actor, progress=say)
    say(f"imported: {report.summary()}")


async def kb_export(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    for line in await KnowledgeBase.from_context(ctx).export_lines():
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
    snapshot = await KnowledgeBase.from_context(ctx).snapshot("default", embeddings=args.json)
    for number, question in _questions(args):
        lang = args.lang or citizen_language(question)
        try:
            result = snapshot.answer(question, lang=lang)
        except InvalidInput as err:
            raise InvalidInput(f"line {number}: {err.message}" if number else err.message) from None
        if snapshot.semantic is not None:
            # The candidates an operator is offered (fused with the embeddings); the
            # automatic answer and its confidence stay the lexical engine's.
            result = dataclasses.replace(result, candidates=tuple(
                (h.article_id, h.score) for h in snapshot.suggestions(
                    question, lang=lang, limit=max(len(result.candidates), 3))))
        article = snapshot.article(result.answer_id) if result.answer_id else None
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
    kb = KnowledgeBase.from_context(ctx)
    snapshot = await kb.snapshot("default")
    if not len(snapshot.index):
        raise InvalidInput("no published public article to evaluate; import some first "
                           "(crisis kb import FILE.jsonl)")
    say(f"{len(snapshot.index)} published public articles, threshold {snapshot.threshold}")
    choices = ctx.settings.kb_choices  # the articles a queue notice offers, as configured
    ours = evaluate(snapshot.index, lines, threshold=snapshot.threshold, choices=choices)
    print(format_report(ours, bm25_baseline(snapshot.public_articles(), lines)))
    if kb.index.embedder is not None:
        # Operators' suggestions with the embeddings (knowledge_base/semantic.py).
        say("operators' suggestions with the articles' embeddings (CRISIS_KB_SEMANTIC=0 skips "
            "this; the first time, about a second per five articles)...")
        semantic = (await kb.snapshot("default", embeddings=True)).semantic
        if semantic is not None:
            fused = await asyncio.to_thread(evaluate, snapshot.index, lines, snapshot.threshold,
                                            semantic, choices)
            print(format_report(fused, ours))
