"""Markdown to safe HTML for the site: markdown-it-py renders, nh3 sanitises (no I/O)."""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from crisis.publication_file import MAX_BODY, SLUG_PATTERN
from crisis.types import LANGS

# Raw HTML in the source is escaped by markdown-it (html=False); nh3 is the second wall in
# case a renderer rule ever lets markup through, and it drops non-http(s) links.
_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote",
         "code", "pre", "br", "hr", "table", "thead", "tbody", "tr", "th", "td"}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_HEADING = re.compile(r"<(/?)h1>")


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


# One publication's body appears on up to ten pages of a build (home, feeds, crisis, areas,
# lite, CAP): rendered once per build, not once per page. Cleared at the start of each build
# (forget_rendered) so a long-lived process does the same work as a freshly forked job.
_MEMO_SIZE = 512


def forget_rendered() -> None:
    """Drop the memo of rendered texts (called at the start of every build)."""
    render_markdown.cache_clear()
    _plain_whole.cache_clear()


@functools.lru_cache(maxsize=_MEMO_SIZE)
def render_markdown(source: str, *, limit: int = MAX_BODY) -> Markup:
    """Sanitised HTML of `source`; a body over `limit` characters is cut, never rendered whole.

    Page titles are the only <h1>: headings in a body start at <h2>. The result is `Markup`
    so that HTML templates insert it as markup, not as text: this is the one place where
    text becomes trusted HTML, and only after nh3 has cleaned it. A format that carries HTML
    as text (Atom's type="html" content) must escape it explicitly (`forceescape`).
    """
    if len(source) > limit:
        source = source[:limit] + "\n\n…"
    html = _markdown().render(source.replace("\x00", ""))
    html = _HEADING.sub(r"<\1h2>", html)
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES,
                            url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer"))


def plain_text(source: str, limit: int = 600) -> str:
    """Markdown reduced to plain text (for SMS, CAP, feeds and the lite pages), cut at `limit`."""
    text = _plain_whole(source)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") + "…" if " " in cut else cut + "…"


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _plain_whole(source: str) -> str:
    text = nh3.clean(_markdown().render(source[:MAX_BODY]), tags=set())
    text = re.sub(r"[ \t]+", " ", text.replace("&amp;", "&").replace("&lt;", "<")
                  .replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def safe_slug(value: str) -> str | None:
    """`value` if it is a plain ASCII slug usable as a path segment, else None (skipped)."""
    return value if SLUG_PATTERN.match(value) else None


def safe_lang(value: str) -> str | None:
    """`value` if the site speaks it, else None (the item is left out of the site)."""
    return value if value in LANGS else None
