"""Evaluation of search and auto-answer on {"q", "expected"} lines, against a plain BM25 baseline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np

from crisis.errors import InvalidInput
from crisis.settings import DEFAULT_KB_CHOICES
from knowledge_base.answer import DEFAULT_THRESHOLD, auto_answer
from knowledge_base.article import Article
from knowledge_base.language import citizen_language
from knowledge_base.search import SearchIndex
from knowledge_base.second_look import look
from knowledge_base.semantic import SemanticIndex
from knowledge_base.text import tokenise


class EvalLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One evaluation question; `expected` None means no article should answer it."""

    q: str
    expected: str | None
    lang: str = ""  # "": the language the SMS channel would detect (citizen_language)


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Counts over one evaluation set; rates are derived properties."""

    name: str
    total: int
    answerable: int
    top1_correct: int
    top3_correct: int
    answered: int  # automatic answers given, to any line
    answered_correct: int
    wrong: int  # automatic answers that were not the expected article (null lines included)
    failures: tuple[str, ...] = ()
    empty: int = 0  # answerable lines that got no candidate at all
    # Lines not answered automatically whose queue notice offers articles to pick by number
    # (`AutoAnswer.choices`, as the channels offer them), and the answerable ones among them
    # whose expected article is offered: what a citizen can answer themselves while waiting.
    offered: int = 0
    offered_right: int = 0
    menus: bool = False  # whether this engine offers menus at all (bm25 does not)

    @property
    def unanswerable(self) -> int:
        return self.total - self.answerable

    @property
    def precision_at_1(self) -> float:
        return self.top1_correct / self.answerable if self.answerable else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.top3_correct / self.answerable if self.answerable else 0.0

    @property
    def answered_share(self) -> float:
        """Share of answerable lines that got the right automatic answer."""
        return self.answered_correct / self.answerable if self.answerable else 0.0

    @property
    def offered_right_share(self) -> float:
        """Share of answerable lines left to the operators with the right article offered."""
        return self.offered_right / self.answerable if self.answerable else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0


_LINE = msgspec.json.Decoder(EvalLine)


def parse_eval_lines(lines: Iterable[str]) -> list[EvalLine]:
    """Decode evaluation JSON Lines; raises InvalidInput listing every bad line."""
    parsed: list[EvalLine] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                item = _LINE.decode(line)
            except msgspec.DecodeError as err:
                problems.append(f"line {number}: {str(err).replace('`', chr(39))}")
                continue
            # A line without a language is in the one the SMS channel would detect.
            parsed.append(item if item.lang else msgspec.structs.replace(item, lang=citizen_language(item.q)))
    if problems:
        raise InvalidInput("; ".join(problems))
    return parsed


def _report(name: str, items: Sequence[EvalLine], ranked: Sequence[Sequence[str]],
            answers: Sequence[str | None],
            offers: Sequence[tuple[str, ...]] | None = None) -> EvalReport:
    """`offers`: the articles each line's queue notice would offer (unanswered lines); None
    for an engine that offers no menu."""
    answerable = [i for i, item in enumerate(items) if item.expected is not None]
    menus = offers is not None
    offers = offers if offers is not None else [()] * len(items)
    failures = [f"{items[i].q!r}: expected {items[i].expected}, answered {answers[i]}"
                for i in range(len(items)) if answers[i] is not None and answers[i] != items[i].expected]
    return EvalReport(
        name=name,
        total=len(items),
        answerable=len(answerable),
        top1_correct=sum(1 for i in answerable if ranked[i][:1] == [items[i].expected]),
        top3_correct=sum(1 for i in answerable if items[i].expected in ranked[i][:3]),
        answered=sum(1 for a in answers if a is not None),
        answered_correct=sum(1 for i in answerable if answers[i] == items[i].expected),
        wrong=len(failures),
        failures=tuple(failures),
        empty=sum(1 for i in answerable if not ranked[i]),
        offered=sum(1 for i, offer in enumerate(offers) if offer and answers[i] is None),
        offered_right=sum(1 for i in answerable
                          if answers[i] is None and items[i].expected in offers[i]),
        menus=menus,
    )


def evaluate(index: SearchIndex, lines: Iterable[str], threshold: float = DEFAULT_THRESHOLD,
             semantic: SemanticIndex | None = None, choices: int = DEFAULT_KB_CHOICES) -> EvalReport:
    """Run every line through search (for precision@1, recall@3) and the auto-answer; with
    `semantic`, as a centre with the embeddings runs: the ranking is operators' suggestions
    fused with embeddings, and the automatic answers are the fast path's except for the
    questions it leaves to the second look (top article bare), which the second look decides
    (knowledge_base/second_look.py). The articles a queue notice offers (at most `choices`)
    are the fast path's, as the events process that queues the question has them, or the
    fused list's when a second look declined it (channels/second_look_consumer.py)."""
    items = parse_eval_lines(lines)
    if semantic is None:
        ranked = [[h.article_id for h in index.search(i.q, lang=i.lang, limit=3)] for i in items]
        fast_answers = [auto_answer(index, i.q, lang=i.lang, threshold=threshold) for i in items]
        return _report("ours", items, ranked, [a.answer_id for a in fast_answers],
                       [a.choices(choices) for a in fast_answers])
    ranked = [[h.article_id for h in semantic.suggest(index, i.q, 3, i.lang)] for i in items]
    answers, offers = [], []
    for item in items:
        fast = auto_answer(index, item.q, lang=item.lang, threshold=threshold, second_look=True)
        offer = fast.choices(choices)
        if fast.second_look:
            decided = look(index, semantic, semantic.embedder.query, item.q, item.lang)
            answers.append(decided.answer_id)
            offers.append(decided.menu(offer, choices))
        else:
            answers.append(fast.answer_id)
            offers.append(offer)
    return _report("ours + embeddings (second look)", items, ranked, answers, offers)


def bm25_baseline(articles: Sequence[Article], lines: Iterable[str]) -> EvalReport:
    """Plain BM25 (bm25s) on stemmed question + answer, no synonyms, typos, intents or threshold:
    it answers with its top hit whenever it has one."""
    items = parse_eval_lines(lines)
    ranked: list[list[str]] = []
    for item in items:
        group = [a for a in articles if a.lang == item.lang]
        ranked.append(_bm25_rank(group, item.q, item.lang))
    answers = [r[0] if r else None for r in ranked]
    return _report("bm25", items, ranked, answers)


# bm25s is imported where it is used: only `crisis kb eval` needs it, and its import (with
# numpy's) would otherwise slow every `crisis` command down.
_BM25_CACHE: dict[tuple[str, ...], Any] = {}


def _bm25_rank(group: Sequence[Article], query: str, lang: str) -> list[str]:
    key = tuple(a.id for a in group)
    if not group:
        return []
    if key not in _BM25_CACHE:
        import bm25s

        model = bm25s.BM25()
        model.index(_as_corpus([tokenise(f"{a.question} {a.answer}", lang) for a in group]), show_progress=False)
        _BM25_CACHE.clear()  # one corpus at a time is all an evaluation needs
        _BM25_CACHE[key] = model
    model = _BM25_CACHE[key]
    tokens = [t for t in tokenise(query, lang) if t in model.vocab_dict]
    if not tokens:
        return []
    scores = model.get_scores(tokens)
    order = [int(i) for i in np.argsort(-scores, kind="stable")[:3] if scores[i] > 0]
    return [group[i].id for i in order]


def _as_corpus(docs: list[list[str]]) -> Any:
    import bm25s.tokenization

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in docs]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def format_report(ours: EvalReport, baseline: EvalReport) -> str:
    """Side-by-side table of two reports, as printed by `crisis kb eval`."""
    rows: list[tuple[str, Callable[[EvalReport], str]]] = [
        ("lines (answerable / out of scope)", lambda r: f"{r.total} ({r.answerable} / {r.unanswerable})"),
        ("precision@1 on answerable", lambda r: f"{r.precision_at_1:.3f}"),
        ("recall@3 on answerable", lambda r: f"{r.recall_at_3:.3f}"),
        ("answerable with no candidate", lambda r: str(r.empty)),
        ("automatic answers given", lambda r: str(r.answered)),
        ("  right", lambda r: f"{r.answered_correct} ({r.answered_share:.1%} of answerable)"),
        ("  wrong (out of scope included)", lambda r: f"{r.wrong} ({r.wrong_rate:.1%} of all)"),
        ("left to operators with a menu", lambda r: str(r.offered) if r.menus else "-"),
        ("  the right article in it", lambda r: f"{r.offered_right} "
                                                f"({r.offered_right_share:.1%} of answerable)"
                                                if r.menus else "-"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':{width}}  {ours.name:>24}  {baseline.name:>24}"]
    lines += [f"{label:{width}}  {cell(ours):>24}  {cell(baseline):>24}" for label, cell in rows]
    return "\n".join(lines)
