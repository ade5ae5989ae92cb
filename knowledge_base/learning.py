"""The learning loop: proposed alternate phrasings, questions left unanswered, answer counts."""

from __future__ import annotations

import datetime as dt
from typing import cast

import msgspec
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, NotFound
from crisis.events import make_event
from crisis.types import Principal, Role, utcnow
from knowledge_base.article import MAX_ALTERNATES, MAX_QUESTION
from knowledge_base.store import ArticleStore, ArticleVersion
from knowledge_base.text import fold, tokenise

MAX_UNANSWERED = 20_000


class AlternateProposal(msgspec.Struct, frozen=True, kw_only=True):
    """A phrasing proposed for an article, waiting for the cell."""

    id: str
    article_id: str
    text: str
    proposed_by: str
    proposed_at: dt.datetime
    source: str  # "operator-answer" (learnt from a reply) or "proposal"


class UnansweredQuestion(msgspec.Struct, kw_only=True):
    """Questions with the same normalised words that got no automatic answer."""

    key: str  # the normalised words (stems, sorted): the hash field
    question: str  # the latest wording, shown to the cell
    lang: str
    count: int
    channels: dict[str, int]
    last_at: dt.datetime


def _known_phrasings(version: ArticleVersion) -> set[str]:
    return {fold(version.article.question), *(fold(a) for a in version.article.alternates)}


async def pending_alternates(store: ArticleStore, article_id: str | None = None) -> list[AlternateProposal]:
    """Proposals waiting for the cell, oldest first (of one article when given)."""
    raws = (await store.redis.hgetall(store.keys.alternates)).values()
    proposals = [msgspec.json.decode(r, type=AlternateProposal) for r in raws]
    return sorted((p for p in proposals if article_id is None or p.article_id == article_id),
                  key=lambda p: (p.proposed_at, p.id))


async def propose_alternate(store: ArticleStore, article_id: str, text: str, *, actor: Principal,
                            source: str = "proposal") -> AlternateProposal | None:
    """Propose `text` as an alternate of the article; None when it is already known or pending."""
    require_role(actor, Role.OPERATOR, "propose alternate phrasings")
    text = " ".join(text.split())
    if not fold(text):
        raise InvalidInput("an alternate phrasing needs words")
    if len(text) > MAX_QUESTION:
        raise InvalidInput(f"an alternate phrasing is at most {MAX_QUESTION} characters")
    version = await store.get(article_id)
    folded = fold(text)
    if folded in _known_phrasings(version) or any(
            fold(p.text) == folded for p in await pending_alternates(store, article_id)):
        return None
    number = await store.redis.incr(store.keys.alternate_seq)
    proposal = AlternateProposal(id=f"alt-{number}", article_id=article_id, text=text,
                                 proposed_by=actor.label(), proposed_at=utcnow(), source=source)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hset(store.keys.alternates, proposal.id, msgspec.json.encode(proposal))
        add_audit(pipe, store.core, audit_entry(actor, "kb.alternate.propose", article_id, after=proposal.id))
        store.bus.add_to(pipe, make_event("kb.alternate_proposed", actor=actor.label(), subject=article_id,
                                          proposal=proposal.id, source=source))
        await pipe.execute()
    return proposal


async def _take_proposal(store: ArticleStore, proposal_id: str) -> AlternateProposal:
    raw = await store.redis.hget(store.keys.alternates, proposal_id)
    if raw is None:
        raise NotFound(f"no pending alternate {proposal_id!r}")
    return msgspec.json.decode(raw, type=AlternateProposal)


async def validate_alternate(store: ArticleStore, proposal_id: str, *, actor: Principal) -> ArticleVersion:
    """Add the phrasing to the article's latest version (cell only); if that version is the
    live one, search uses it within a second."""
    require_role(actor, Role.CELL, "validate alternate phrasings")
    proposal = await _take_proposal(store, proposal_id)
    now = utcnow()

    def change(before: ArticleVersion | None) -> ArticleVersion:
        if before is None:
            raise NotFound(f"no article {proposal.article_id!r}")
        alternates = list(before.article.alternates)
        if fold(proposal.text) not in _known_phrasings(before):
            if len(alternates) >= MAX_ALTERNATES:
                raise InvalidInput(f"article {before.id!r} already has {MAX_ALTERNATES} alternates")
            alternates.append(proposal.text)
        return msgspec.structs.replace(
            before, article=msgspec.structs.replace(before.article, alternates=alternates),
            version=before.version + 1, action="add-alternate", changed_by=actor.label(),
            changed_at=now, reason=f"alternate {proposal.id} from {proposal.proposed_by}")

    def remove(pipe: aioredis.client.Pipeline) -> None:
        pipe.hdel(store.keys.alternates, proposal.id)

    return await store.write(proposal.article_id, "add-alternate", actor, change,
                             reason=proposal.text, event="kb.alternate_validated", also=remove)


async def reject_alternate(store: ArticleStore, proposal_id: str, *, actor: Principal) -> AlternateProposal:
    require_role(actor, Role.CELL, "reject alternate phrasings")
    proposal = await _take_proposal(store, proposal_id)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hdel(store.keys.alternates, proposal.id)
        add_audit(pipe, store.core, audit_entry(actor, "kb.alternate.reject", proposal.article_id,
                                                before=proposal.id))
        store.bus.add_to(pipe, make_event("kb.alternate_rejected", actor=actor.label(),
                                          subject=proposal.article_id, proposal=proposal.id))
        await pipe.execute()
    return proposal


async def count_answer(store: ArticleStore, article_id: str, source: str) -> None:
    """Count one answer given with the article ("auto" or "operator")."""
    await store.redis.zincrby(store.keys.answers(source), 1, article_id)


async def top_articles(store: ArticleStore, limit: int = 20) -> list[dict[str, object]]:
    """Articles that answered most: automatic and operator answers, by total."""
    counts: dict[str, dict[str, int]] = {}
    for source in ("auto", "operator"):
        pairs = cast(list[tuple[str, float]], await store.redis.zrevrange(
            store.keys.answers(source), 0, -1, withscores=True))
        for article_id, score in pairs:
            counts.setdefault(article_id, {"auto": 0, "operator": 0})[source] = int(score)
    rows = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [{"id": i, **c, "total": sum(c.values())} for i, c in rows[:limit]]


def unanswered_key(question: str, lang: str) -> str:
    """Questions asked with the same content words, in any order, share one entry."""
    return " ".join(sorted(set(tokenise(question, lang))))[:300]


# One atomic step per unanswered question. (It was WATCH + MULTI on the one hash every
# question shares: under a burst of unanswered SMS the concurrent handlers kept invalidating
# each other's WATCH and retried, the pipeline's costliest step.) Fields as UnansweredQuestion.
RECORD_UNANSWERED_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entry
if raw then
  entry = cjson.decode(raw)
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  entry = {key = ARGV[1], lang = ARGV[3], count = 0, channels = {[ARGV[5]] = 0}}
end
entry.question = ARGV[4]
entry.count = entry.count + 1
entry.channels[ARGV[5]] = (entry.channels[ARGV[5]] or 0) + 1
entry.last_at = ARGV[6]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return 1
"""
_record_script: AsyncScript | None = None


async def record_unanswered(store: ArticleStore, question: str, *, lang: str, channel: str) -> None:
    """Remember a question that got no automatic answer (bounded: at most MAX_UNANSWERED)."""
    global _record_script
    key = unanswered_key(question, lang)
    if not key:
        return
    if _record_script is None:  # one Script object serves every client (passed at each call)
        _record_script = store.redis.register_script(RECORD_UNANSWERED_LUA)
    at = msgspec.json.encode(utcnow()).decode().strip('"')
    await _record_script(keys=[store.keys.unanswered], client=store.redis, args=[
        f"{lang}:{key}", MAX_UNANSWERED, lang, question[:MAX_QUESTION], channel, at])


async def unanswered_questions(store: ArticleStore) -> list[UnansweredQuestion]:
    raws = (await store.redis.hgetall(store.keys.unanswered)).values()
    return [msgspec.json.decode(r, type=UnansweredQuestion) for r in raws]


async def forget_unanswered(store: ArticleStore, keys: list[str], *, actor: Principal,
                            article_id: str | None = None) -> int:
    """Remove questions from the missing answers (covered by `article_id`, or dismissed)."""
    require_role(actor, Role.CELL, "manage missing answers")
    if not keys:
        return 0
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hdel(store.keys.unanswered, *keys)
        add_audit(pipe, store.core, audit_entry(actor, "kb.missing.resolve", article_id or "dismissed",
                                                before=f"{len(keys)} questions"))
        results = await pipe.execute()
    return int(results[0])
