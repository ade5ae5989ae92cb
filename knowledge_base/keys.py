"""Every Redis key of the knowledge base, built in one place (nothing else reads them).

| key (after the prefix)          | type   | owner                     | lifetime                                       |
|---------------------------------|--------|---------------------------|------------------------------------------------|
| kb:article:{id}                 | string | knowledge_base.store      | forever (JSON of the latest ArticleVersion)    |
| kb:article:{id}:versions        | list   | knowledge_base.store      | forever (every version, oldest first)          |
| kb:article:{id}:live            | string | knowledge_base.store      | while published (the version citizens see)     |
| kb:articles                     | zset   | knowledge_base.store      | forever (id -> last update time)               |
| kb:generation                   | string | knowledge_base.store      | forever (bumped when the live set or synonyms change; indexes poll it) |
| kb:synonyms                     | hash   | knowledge_base.tuning     | forever (the cell's edits over the defaults; "" deletes one) |
| kb:thresholds                   | hash   | knowledge_base.tuning     | forever (channel -> auto-answer threshold)     |
| kb:alternates                   | hash   | knowledge_base.alternates | until validated or rejected; one learnt from a reply (a citizen's words) also goes with the retention purge (id -> JSON of a proposal) |
| kb:alternate-seq                | string | knowledge_base.alternates | forever (counter for proposal ids)             |
| kb:alternates:phrasing          | hash   | knowledge_base.alternates | as kb:alternates ("<article id>\x1f<folded text>" -> proposal id: the O(1) dedupe) |
| kb:alternates:count             | hash   | knowledge_base.alternates | as kb:alternates (proposal id -> times proposed) |
| kb:unanswered                   | hash   | knowledge_base.learning   | until covered by an article, dismissed, or the retention purge (last asked before its cutoff; normalised question -> JSON), at most 20,000 fields |
| kb:answers:auto                 | zset   | knowledge_base.learning   | forever (article id -> automatic answers given) |
| kb:answers:operator             | zset   | knowledge_base.learning   | forever (article id -> times inserted by an operator) |
"""

from __future__ import annotations

import dataclasses

from crisis.keys import Keys

OWNER = "kb"


@dataclasses.dataclass(frozen=True)
class KbKeys:
    """Key builders of the knowledge base, under the centre's prefix."""

    keys: Keys

    def article(self, article_id: str) -> str:
        return self.keys.scoped(OWNER, "article", article_id)

    def versions(self, article_id: str) -> str:
        return self.keys.scoped(OWNER, "article", article_id, "versions")

    def live(self, article_id: str) -> str:
        return self.keys.scoped(OWNER, "article", article_id, "live")

    @property
    def articles(self) -> str:
        return self.keys.scoped(OWNER, "articles")

    @property
    def generation(self) -> str:
        return self.keys.scoped(OWNER, "generation")

    @property
    def synonyms(self) -> str:
        return self.keys.scoped(OWNER, "synonyms")

    @property
    def thresholds(self) -> str:
        return self.keys.scoped(OWNER, "thresholds")

    @property
    def alternates(self) -> str:
        return self.keys.scoped(OWNER, "alternates")

    def alternate_index(self, part: str) -> str:
        """`part` is "phrasing" (article id and folded text -> proposal id) or "count"."""
        return self.keys.scoped(OWNER, "alternates", part)

    @property
    def alternate_seq(self) -> str:
        return self.keys.scoped(OWNER, "alternate-seq")

    @property
    def unanswered(self) -> str:
        return self.keys.scoped(OWNER, "unanswered")

    def embeddings(self, model: str) -> str:
        """Sentence embeddings of article texts made by `model` (knowledge_base/semantic.py)."""
        return self.keys.scoped(OWNER, "embeddings", model)

    def embedding_claim(self, model: str) -> str:
        """The lock of the process making `model`'s missing embeddings (embedding_store.py)."""
        return self.keys.scoped(OWNER, "embeddings", model, "claim")

    def answers(self, source: str) -> str:
        """`source` is "auto" or "operator"; "useful" and "not-useful" count citizens' votes
        on an automatic answer (the buttons under a Telegram answer)."""
        return self.keys.scoped(OWNER, "answers", source)
