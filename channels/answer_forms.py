"""The form an answer takes on each channel: the one place that decides it.

Knowledge-base answers are Markdown. A citizen gets, per channel:
- SMS (and the other text-only channels): plain text, no Markdown marker, within three SMS
  segments, with the SMS's own instruction ("répondez 0");
- web chat: the Markdown, shown as sanitised HTML by the widget, with the chat's own way to
  reach an adviser (a button; never "répondez 0").
Pages show an automatic chat answer as sanitised HTML too (the console's history), and the
console's suggestions are shown formatted but inserted in the reply box as the plain text of
the conversation's channel (the reply box is plain text sent as is).

Only our own texts (authored "auto": validated articles, the desk's message table) are ever
rendered as markup; citizen and operator texts are always shown as text.
"""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt

from channels.messages import say
from crisis.types import ChannelKind, Message
from knowledge_base import SMS_MAX_SEPTETS, Article, derive_sms_text, gsm7_septets

# Channels whose citizens read the Markdown formatted (the others get plain text).
FORMATTED = frozenset({ChannelKind.CHAT})
# The desk's bound on one outbound message (channels.desk.MAX_REPLY_CHARS).
MAX_MESSAGE_CHARS = 1600
# What an answer may contain once rendered: text formatting, lists, links (http/https/tel).
_TAGS = {"p", "strong", "em", "ul", "ol", "li", "a", "br", "code", "blockquote", "h3", "h4"}
_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_HEADING = re.compile(r"<(/?)h[1-2]>")


@functools.cache
def _markdown() -> MarkdownIt:
    # html=False: markup written in a text is escaped, never passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def answer_html(markdown: str) -> str:
    """Sanitised HTML of a Markdown answer (headings become h3: it sits inside a page)."""
    html = _HEADING.sub(r"<\1h3>", _markdown().render(markdown.replace("\x00", "")))
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES,
                     link_rel="noopener noreferrer")


def answer_plain(markdown: str) -> str:
    """A Markdown answer as plain text: no marker left, paragraphs and list items on their
    own lines, a link's address after its text."""
    html = _markdown().render(markdown.replace("\x00", ""))
    html = re.sub(r'<a href="([^"]*)">(.*?)</a>',
                  lambda m: m.group(2) if m.group(1) in m.group(2) else f"{m.group(2)} ({m.group(1)})",
                  html)
    html = re.sub(r"<li>", "- ", html)
    text = nh3.clean(html, tags=set())
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"),
                         ("&amp;", "&")):
        text = text.replace(entity, char)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(" ,;:") + "…"


@functools.lru_cache(maxsize=1024)  # every SMS answer: the same live answers and hints all day
def fit_sms(body: str, suffix: str = "", prefix: str = "") -> str:
    """`prefix` + `body`, then `suffix` on its own line, within three GSM-7 SMS segments: the
    body is cut on a word boundary when all do not fit (prefix and instruction stay whole)."""
    end = f"\n{suffix}" if suffix else ""
    fixed = prefix + end
    room = SMS_MAX_SEPTETS - (gsm7_septets(fixed) or 2 * len(fixed))
    septets = gsm7_septets(body)
    if septets is not None and septets <= room:
        return f"{prefix}{body}{end}"
    text = derive_sms_text(body)  # GSM-7 basic characters only: one septet each
    if len(text) > room:
        cut = text[: max(0, room - 3)]
        space = cut.rfind(" ")
        text = (cut[:space] if space > 0 else cut).rstrip(" ,;:") + "..."
    return f"{prefix}{text}{end}"


def auto_answer(article: Article, channel: ChannelKind, lang: str) -> str:
    """The automatic answer as stored and sent on `channel`, with the channel's own way to
    reach an adviser."""
    hint = say("human_hint", lang, channel)
    # An English question answered from a French article says so first.
    note = say("answer_in_other_language", lang) if article.lang != lang else ""
    if channel is ChannelKind.SMS:
        return fit_sms(article.sms, hint, prefix=note)
    if channel in FORMATTED:
        return note + _cut(article.answer, MAX_MESSAGE_CHARS - len(note) - len(hint) - 2) + f"\n\n{hint}"
    return note + _cut(answer_plain(article.answer), MAX_MESSAGE_CHARS - len(note) - len(hint) - 1) + f"\n{hint}"


def offered_answer(article: Article, channel: ChannelKind, lang: str) -> str:
    """In surge, the likely answer offered while the citizen chooses to wait or not."""
    lead = say("surge_answer", lang).replace("{answer}", "")
    if channel is ChannelKind.SMS:
        return fit_sms(article.sms, prefix=lead)
    if channel in FORMATTED:
        return _cut(f"{lead.strip()}\n\n{article.answer}", MAX_MESSAGE_CHARS)
    return _cut(lead + answer_plain(article.answer), MAX_MESSAGE_CHARS)


def reply_text(article: Article, channel: ChannelKind) -> str:
    """The article as an operator's reply on `channel`: the console's reply box is plain text
    sent as is, so the SMS form for SMS, the plain text of the answer elsewhere."""
    return article.sms if channel is ChannelKind.SMS else answer_plain(article.answer)


def reply_forms(article: Article) -> frozenset[str]:
    """Every unchanged form of the article an operator may send (reinforcement staff send
    nothing else)."""
    return frozenset({article.answer.strip(), article.sms.strip(),
                      *(reply_text(article, kind).strip() for kind in ChannelKind)})


def message_html(message: Message, channel: ChannelKind) -> str | None:
    """A message's text as sanitised HTML when it is our own formatted text on a formatted
    channel (an automatic chat answer); None when it must be shown as text."""
    if message.author != "auto" or channel not in FORMATTED:
        return None
    return answer_html(message.text)
