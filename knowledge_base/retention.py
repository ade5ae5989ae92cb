"""The retention purge's share of the knowledge base: citizens' own words do not outlive it.

Two places keep a citizen's verbatim text outside the conversations: the questions left
without an automatic answer (kb:unanswered, shown to the cell as "missing answers") and the
phrasings learnt from operators' replies and from citizens' picks in a queue notice's menu that
wait for the cell's decision (kb:alternates, sources "operator-answer" and "citizen-choice").
The channels' retention job (channels/retention.py) calls
`purge_citizen_text` with the same cutoff as the conversations: an unanswered question last
asked before it, and a learnt phrasing proposed before it and still pending, are deleted.
A phrasing the cell validated has become the article's text (the service's words now, kept
with the article's versions); a proposal an operator typed is not a citizen's text.

Each deletion is compare-and-delete on the value read, so a question asked again meanwhile
(its entry rewritten) is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import cast

import msgspec
import redis.asyncio as aioredis

from crisis.keys import Keys
from crisis.lua_scripts import register_lua
from knowledge_base.alternates import LEARNT_SOURCES, AlternateProposal, phrasing_field
from knowledge_base.keys import KbKeys
from knowledge_base.learning import UnansweredQuestion

BATCH = 500


@dataclasses.dataclass(frozen=True)
class CitizenTextPurge:
    unanswered: int
    learnt_phrasings: int


async def _scan(redis: aioredis.Redis, key: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    async for field, raw in redis.hscan_iter(key, count=BATCH):
        found.append((str(field), str(raw)))
    return found


async def purge_citizen_text(redis: aioredis.Redis, keys: Keys, before: dt.datetime
                             ) -> CitizenTextPurge:
    """Delete the citizens' words kept by the knowledge base and last touched before `before`."""
    kb = KbKeys(keys)
    stale = [(field, raw) for field, raw in await _scan(redis, kb.unanswered)
             if msgspec.json.decode(raw, type=UnansweredQuestion).last_at < before]
    unanswered = 0
    delete_unchanged = register_lua(redis, "knowledge_base", "retention_delete_unchanged.lua")
    for start in range(0, len(stale), BATCH):
        args = [item for pair in stale[start:start + BATCH] for item in pair]
        unanswered += int(await delete_unchanged(keys=[kb.unanswered], args=args))
    learnt: list[str] = []
    for proposal_id, raw in await _scan(redis, kb.alternates):
        proposal = msgspec.json.decode(raw, type=AlternateProposal)
        if proposal.source in LEARNT_SOURCES and proposal.proposed_at < before:
            learnt += [proposal_id, raw, phrasing_field(proposal.article_id, proposal.text)]
    delete_proposals = register_lua(redis, "knowledge_base", "retention_delete_proposals.lua")
    phrasings = 0
    for start in range(0, len(learnt), 3 * BATCH):
        phrasings += int(cast(int, await delete_proposals(
            keys=[kb.alternates, kb.alternate_index("count"), kb.alternate_index("phrasing")],
            args=learnt[start:start + 3 * BATCH])))
    return CitizenTextPurge(unanswered, phrasings)
