"""Proposed alternate phrasings: the learning loop's proposals, counted when repeated, and the
cell's decisions on them, one or many at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec
import redis.asyncio as aioredis

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, NotFound
from crisis.events import make_event
from crisis.transactions import watched_update
from crisis.types import EventType, Principal, Role, utcnow
from knowledge_base.article import MAX_QUESTION, with_alternates
from knowledge_base.store import MAX_REASON, ArticleStore, ArticleVersion
from knowledge_base.text import fold

# Where a proposal comes from, when its text is a citizen's question (the retention purge
# deletes those with the conversations): an operator answered it with the article, or the
# citizen picked the article from a queue notice's menu.
OPERATOR_ANSWER = "operator-answer"
CITIZEN_CHOICE = "citizen-choice"
LEARNT_SOURCES = frozenset({OPERATOR_ANSWER, CITIZEN_CHOICE})


class AlternateProposal(msgspec.Struct, frozen=True, kw_only=True):
    """A phrasing proposed for an article, waiting for the cell."""

    id: str
    article_id: str
    text: str
    proposed_by: str  # who proposed it first
    proposed_at: dt.datetime
    source: str  # OPERATOR_ANSWER, CITIZEN_CHOICE (LEARNT_SOURCES) or "proposal"
    count: int = 1  # times proposed: read from kb:alternates:count (the stored JSON keeps 1)


class ValidatedAlternates(msgspec.Struct, frozen=True, kw_only=True):
    """What a validation did: one new version per article touched, and the phrasings added."""

    versions: list[ArticleVersion]
    added: dict[str, list[str]]  # article id -> phrasings added (ones it already knew are skipped)

    @property
    def phrasings(self) -> int:
        return sum(len(texts) for texts in self.added.values())


def _known_phrasings(version: ArticleVersion) -> set[str]:
    return {fold(version.article.question), *(fold(a) for a in version.article.alternates)}


def phrasing_field(article_id: str, text: str) -> str:
    """The dedupe index's field: article ids are slugs, so the separator never occurs in one."""
    return f"{article_id}\x1f{fold(text)}"


def _decode_proposal(raw: str | bytes, count: str | bytes | None = None) -> AlternateProposal:
    proposal = msgspec.json.decode(raw, type=AlternateProposal)
    return proposal if count is None else msgspec.structs.replace(proposal, count=int(count))


async def pending_alternates(store: ArticleStore, article_id: str | None = None) -> list[AlternateProposal]:
    """Proposals waiting for the cell (of one article when given), each with the number of
    times it was proposed: most proposed first, then oldest."""
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hgetall(store.keys.alternates)
        pipe.hgetall(store.keys.alternate_index("count"))
        raws, counts = await pipe.execute()
    proposals = [_decode_proposal(raw, counts.get(pid)) for pid, raw in raws.items()]
    return sorted((p for p in proposals if article_id is None or p.article_id == article_id),
                  key=lambda p: (-p.count, p.proposed_at, p.id))


def group_by_article(proposals: Iterable[AlternateProposal]) -> list[tuple[str, list[AlternateProposal]]]:
    """Proposals per article, keeping their order inside a group; the article proposed most
    in total first, then the one waiting longest."""
    groups: dict[str, list[AlternateProposal]] = {}
    for proposal in proposals:
        groups.setdefault(proposal.article_id, []).append(proposal)
    return sorted(groups.items(), key=lambda item: (-sum(p.count for p in item[1]),
                                                    min(p.proposed_at for p in item[1]), item[0]))


async def _count_repeat(store: ArticleStore, field: str) -> bool:
    """Count a repeat of a pending phrasing (knowledge_base/alternates_count_repeat.lua);
    False when no pending proposal has it."""
    keys = [store.keys.alternates, store.keys.alternate_index("phrasing"), store.keys.alternate_index("count")]
    return await store.count_repeat_script(keys=keys, args=[field]) is not None


async def propose_alternate(store: ArticleStore, article_id: str, text: str, *, actor: Principal,
                            source: str = "proposal") -> AlternateProposal | None:
    """Propose `text` as an alternate of the article: the new proposal, or None when the
    article already knows the phrasing (folded) or it is pending, in which case the pending
    proposal's count goes up by one. O(1) in the number of pending proposals."""
    require_role(actor, Role.OPERATOR, "propose alternate phrasings")
    text = " ".join(text.split())
    if not fold(text):
        raise InvalidInput("an alternate phrasing needs words")
    if len(text) > MAX_QUESTION:
        raise InvalidInput(f"an alternate phrasing is at most {MAX_QUESTION} characters")
    version = await store.get(article_id)
    if fold(text) in _known_phrasings(version):
        return None
    field = phrasing_field(article_id, text)
    if await _count_repeat(store, field):
        return None
    number = await store.redis.incr(store.keys.alternate_seq)
    proposal = AlternateProposal(id=f"alt-{number}", article_id=article_id, text=text,
                                 proposed_by=actor.label(), proposed_at=utcnow(), source=source)
    index, counts = store.keys.alternate_index("phrasing"), store.keys.alternate_index("count")

    async def create(pipe: aioredis.client.Pipeline) -> AlternateProposal | None:
        # Under WATCH of the index: two operators proposing the same new phrasing at once make
        # one proposal counted twice. Only new phrasings and decisions write the index. A field
        # naming no pending proposal (left by a fold that changed since) is replaced.
        existing = await pipe.hget(index, field)
        if existing is not None and not await pipe.hexists(store.keys.alternates, existing):
            existing = None
        pipe.multi()  # type: ignore[no-untyped-call]
        if existing is not None:
            pipe.hincrby(counts, existing, 1)
            return None
        pipe.hset(index, field, proposal.id)
        pipe.hset(counts, proposal.id, 1)
        pipe.hset(store.keys.alternates, proposal.id, msgspec.json.encode(proposal))
        add_audit(pipe, store.core, audit_entry(actor, "kb.alternate.propose", article_id, after=proposal.id))
        store.bus.add_to(pipe, make_event(EventType.KB_ALTERNATE_PROPOSED, actor=actor.label(), subject=article_id,
                                          proposal=proposal.id, source=source))
        return proposal

    return await watched_update(store.redis, index, create)


async def _take_proposals(store: ArticleStore, proposal_ids: Iterable[str],
                          reader: aioredis.Redis | aioredis.client.Pipeline | None = None,
                          ) -> list[AlternateProposal]:
    """The pending proposals of `proposal_ids` (each once, in the order given); NotFound
    naming every id that is not pending, before anything is written."""
    ids = list(dict.fromkeys(proposal_ids))
    if not ids:
        raise InvalidInput("choose at least one proposed phrasing")
    raws = await (reader or store.redis).hmget(store.keys.alternates, ids)
    missing = [pid for pid, raw in zip(ids, raws) if raw is None]
    if missing:
        raise NotFound(f"no pending alternate {', '.join(repr(m) for m in missing)}: unknown, or already "
                       "validated or rejected by someone else; reload the list and choose again")
    return [_decode_proposal(raw) for raw in raws if raw is not None]


def _queue_forget(pipe: aioredis.client.Pipeline, store: ArticleStore,
                  proposals: list[AlternateProposal]) -> None:
    """Queue the removal of decided proposals: the proposal, its dedupe field, its count."""
    ids = [p.id for p in proposals]
    pipe.hdel(store.keys.alternates, *ids)
    pipe.hdel(store.keys.alternate_index("count"), *ids)
    pipe.hdel(store.keys.alternate_index("phrasing"), *(phrasing_field(p.article_id, p.text) for p in proposals))


async def _add_to_article(store: ArticleStore, article_id: str, proposals: list[AlternateProposal],
                          actor: Principal) -> tuple[ArticleVersion, list[str]]:
    """One new version of the article with the proposals' phrasings, the proposals removed, the
    audit entry and the event, in one transaction (as ArticleStore.write, which watches only the
    article: this also watches the proposals, so a concurrent rejection is not overridden)."""
    key = store.keys.article(article_id)
    now = utcnow()

    async def step(pipe: aioredis.client.Pipeline) -> tuple[ArticleVersion, list[str]]:
        await pipe.watch(store.keys.alternates)
        await _take_proposals(store, [p.id for p in proposals], pipe)
        raw = await pipe.get(key)
        if raw is None:
            raise NotFound(f"no article {article_id!r}")
        before = msgspec.json.decode(raw, type=ArticleVersion)
        article, added = with_alternates(before.article, [p.text for p in proposals])
        after = msgspec.structs.replace(
            before, article=article, version=before.version + 1, action="add-alternate",
            changed_by=actor.label(), changed_at=now, reason=", ".join(
                f"alternate {p.id} from {p.proposed_by}" for p in proposals)[:MAX_REASON])
        pipe.multi()  # type: ignore[no-untyped-call]
        store.queue_version(pipe, before, after)
        _queue_forget(pipe, store, proposals)
        add_audit(pipe, store.core, audit_entry(
            actor, "kb.article.add-alternate", article_id,
            before=f"v{before.version} {before.status}", after=f"v{after.version} {after.status}"))
        store.bus.add_to(pipe, make_event(
            EventType.KB_ALTERNATE_VALIDATED, actor=actor.label(), subject=article_id,
            reason=" | ".join(p.text for p in proposals)[:MAX_REASON], version=after.version,
            status=after.status, lang=after.article.lang, proposals=",".join(p.id for p in proposals)))
        return after, added

    return await watched_update(store.redis, key, step)


async def validate_alternates(store: ArticleStore, proposal_ids: Iterable[str], *,
                              actor: Principal) -> ValidatedAlternates:
    """Add the proposals' phrasings to their articles (cell only): one new version per article
    touched, whatever the number of proposals (phrasings it already knows are skipped); a live
    article's search uses them within a second.

    Nothing is written when an id is not pending (NotFound naming them) or an article would go
    past MAX_ALTERNATES (InvalidInput naming it); each article's change is one transaction."""
    require_role(actor, Role.CELL, "validate alternate phrasings")
    groups: dict[str, list[AlternateProposal]] = {}
    for proposal in await _take_proposals(store, proposal_ids):
        groups.setdefault(proposal.article_id, []).append(proposal)
    problems = []
    for article_id, proposals in groups.items():
        try:
            with_alternates((await store.get(article_id)).article, [p.text for p in proposals])
        except InvalidInput as err:
            problems.append(err.message)
    if problems:
        raise InvalidInput("; ".join(problems))
    versions, added = [], {}
    for article_id, proposals in groups.items():
        version, added[article_id] = await _add_to_article(store, article_id, proposals, actor)
        versions.append(version)
    return ValidatedAlternates(versions=versions, added=added)


async def validate_alternate(store: ArticleStore, proposal_id: str, *, actor: Principal) -> ArticleVersion:
    """One proposal's validation (see validate_alternates): the article's new version."""
    return (await validate_alternates(store, [proposal_id], actor=actor)).versions[0]


async def reject_alternates(store: ArticleStore, proposal_ids: Iterable[str], *,
                            actor: Principal) -> list[AlternateProposal]:
    """Drop the proposals (cell only), in one transaction with an audit entry and an event each;
    NotFound naming the ids that are not pending, and then nothing is dropped."""
    require_role(actor, Role.CELL, "reject alternate phrasings")
    ids = list(proposal_ids)

    async def step(pipe: aioredis.client.Pipeline) -> list[AlternateProposal]:
        proposals = await _take_proposals(store, ids, pipe)
        pipe.multi()  # type: ignore[no-untyped-call]
        _queue_forget(pipe, store, proposals)
        for proposal in proposals:
            add_audit(pipe, store.core, audit_entry(actor, "kb.alternate.reject", proposal.article_id,
                                                    before=proposal.id))
            store.bus.add_to(pipe, make_event(EventType.KB_ALTERNATE_REJECTED, actor=actor.label(),
                                              subject=proposal.article_id, proposal=proposal.id))
        return proposals

    return await watched_update(store.redis, store.keys.alternates, step)


async def reject_alternate(store: ArticleStore, proposal_id: str, *, actor: Principal) -> AlternateProposal:
    """One proposal's rejection (see reject_alternates)."""
    return (await reject_alternates(store, [proposal_id], actor=actor))[0]
