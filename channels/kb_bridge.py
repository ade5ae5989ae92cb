"""How the contact centre asks the knowledge base: answer a question, fetch an answer's text.

Everything goes through knowledge_base.service, so channels use the per-channel thresholds,
count automatic answers, feed the cell's missing answers, and share the process's one index.
"""

from __future__ import annotations

from channels.desk import Answerer, ArticleOf
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import ChannelKind
from knowledge_base.answer import MAX_QUESTION_CHARS, AutoAnswer
from knowledge_base.article import Article
from knowledge_base.intents import Intent
from knowledge_base.service import answer_question, get_live_article


def knowledge_base_for(ctx: Context) -> tuple[Answerer, ArticleOf]:
    """The answerer and live-article functions the desk uses (channels/answer_forms.py gives
    an article its form on each channel)."""

    async def answer(question: str, lang: str, channel: ChannelKind) -> AutoAnswer:
        try:
            return await answer_question(ctx, question[:MAX_QUESTION_CHARS], lang=lang,
                                         channel=channel.value)
        except InvalidInput:  # empty once cleaned: nothing to search
            return AutoAnswer(question, None, 0.0, (), Intent.EMPTY)

    async def article(article_id: str) -> Article:
        found = await get_live_article(ctx, article_id)
        if found is None:
            raise NotFound(f"no published article {article_id!r}")
        return found

    return answer, article
