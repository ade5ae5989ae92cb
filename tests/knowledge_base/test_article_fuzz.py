"""The knowledge-base import line parser fed anything: every line is an article or a
message naming its line, never another exception; what it accepts it writes back the same."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crisis.errors import InvalidInput
from knowledge_base.article import article_to_json_line, parse_article_lines

FIELDS = ["id", "lang", "question", "answer", "sms_text", "tags", "alternates", "audience",
          "status", "areas", "crisis", "publications"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40) | st.sampled_from(["fr", "en", "public", "published", "draft", "75"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10)
# Lines that look like articles (their own field names, values of any JSON type), and lines
# that are anything at all.
article_like = st.fixed_dictionaries(
    {"id": st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True) | json_values,
     "question": st.text(max_size=80) | json_values,
     "answer": st.text(max_size=200) | json_values},
    optional={name: json_values for name in FIELDS if name not in ("id", "question", "answer")}
    | {"unknown": json_values},
).map(json.dumps)
lines = st.lists(st.one_of(article_like, st.text(max_size=200), json_values.map(json.dumps)),
                 max_size=6)


@settings(max_examples=400, deadline=None)
@given(lines=lines)
@example(lines=['{"id": "eau", "question": "Eau potable ?", "answer": "Oui, **bouillie**.", '
                '"tags": ["eau"], "areas": ["75", "2A"], "alternates": ["boire"]}', ""])
@example(lines=["[" * 5000])
@example(lines=['{"id": "a", "question": "q", "answer": "r", "tags": ' + "[" * 3000 + "]" * 3000
                + "}"])
@example(lines=['{"id": "a", "question": " ", "answer": "r"}'])
@example(lines=['{"id": "a", "question": "q", "answer": "r", "sms_text": "€" + "x" * 600}'])
def test_any_lines_give_articles_or_one_message_naming_the_lines(lines: list[str]) -> None:
    try:
        articles = parse_article_lines(lines)
    except InvalidInput as err:
        assert err.message.startswith("line "), err.message
        return
    for article in articles:  # accepted: it writes back to a line that reads the same
        assert parse_article_lines([article_to_json_line(article)]) == [article]


@pytest.mark.parametrize("line", ["\x00", "\ud800", '{"id": "\\ud800", "question": "q", "answer": "r"}'])
def test_odd_characters_are_a_line_error(line: str) -> None:
    with pytest.raises(InvalidInput, match="line 1"):
        parse_article_lines([line])
