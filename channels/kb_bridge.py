"""How the contact centre asks the knowledge base: answer a question, fetch an answer's text."""

from __future__ import annotations

from channels.desk import Answerer, ArticleText
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import ChannelKind
from knowledge_base.answer import DEFAULT_THRESHOLD, MAX_QUESTION_CHARS, AutoAnswer, auto_answer
from knowledge_base.intents import Intent
from knowledge_base.live_index import LiveIndex
from knowledge_base.store import ArticleStore


def knowledge_base_for(ctx: Context) -> tuple[Answerer, ArticleText, LiveIndex]:
    """The answerer and article-text functions the desk uses, over this process's live index."""
    live = LiveIndex(ArticleStore(ctx.redis, ctx.keys, ctx.bus))

    async def answer(question: str, lang: str, channel: ChannelKind) -> AutoAnswer:
        indexes = await live.current()
        try:
            return auto_answer(indexes.public, question[:MAX_QUESTION_CHARS], lang=lang,
                               threshold=DEFAULT_THRESHOLD)
        except InvalidInput:  # empty once cleaned: nothing to search
            return AutoAnswer(question, None, 0.0, (), Intent.EMPTY)

    async def text(article_id: str, short: bool) -> str:
        article = (await live.current()).articles.get(article_id)
        if article is None:
            raise NotFound(f"no published article {article_id!r}")
        return article.sms if short else article.answer

    return answer, text, live
