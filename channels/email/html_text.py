"""An HTML-only e-mail as plain text: what a person would read, without any markup.

Scripts, styles and the head are dropped, blocks become lines, entities are decoded. The
result is text, never rendered as HTML anywhere (the console escapes it as any message).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg",
                      "iframe", "object"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
MAX_HTML_CHARS = 2_000_000  # a body larger than this is cut before parsing (bounded work)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quoting = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "blockquote":
            self.quoting += 1  # quoted history: Gmail and Outlook put it in <blockquote>
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quoting = max(0, self.quoting - 1)
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quoting:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises on broken HTML."""
    collector = _TextCollector()
    try:
        collector.feed(html[:MAX_HTML_CHARS])
        collector.close()
    except (AssertionError, ValueError):  # html.parser's rare internal errors on garbage
        pass
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
