"""The publication front matter fed anything: a draft or a clear InvalidInput, quickly, and
over HTTP never a server error (what a supervisor's script or pasted document may hold)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisis.errors import CrisisError, InvalidInput
from crisis.publication_file import KNOWN_KEYS, parse_publication
from crisis.settings import Settings
from crisis.types import Role
from crisis.web.app_keys import CONTEXT
from tests.conftest import ADMIN
from tests.support.live_centre import LiveCentre, live_centre

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=60) | st.dates() | st.sampled_from(["urgent", "fr", "en", "75", "2A"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10)
front_matters = st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS)) | st.text(max_size=10),
                                yaml_values, max_size=6)
documents = st.one_of(
    st.builds(lambda meta, body: f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n{body}",
              front_matters, st.text(max_size=300)),
    st.builds(lambda head, body: f"---\n{head}\n---\n{body}", st.text(max_size=300),
              st.text(max_size=100)),
    st.text(max_size=500),
)


def _alias_bomb(field: str) -> str:
    """300 bytes of YAML that stand for ten million items when turned into text."""
    levels = ["&a [x,x,x,x,x,x,x,x,x,x]"]
    for name, previous in zip("bcdefg", "abcdef"):
        levels.append(f"&{name} [{','.join(['*' + previous] * 10)}]")
    return f"---\ntitle: Alerte\n{field}: [{', '.join(levels)}]\n---\nTexte\n"


@settings(max_examples=400, deadline=None)
@given(text=documents)
@example(text="---\ntitle: " + "[" * 3000 + "\n---\nTexte")
@example(text=_alias_bomb("title"))
@example(text=_alias_bomb("area"))
@example(text=_alias_bomb("easy_read"))
@example(text="---\ntitle: !!python/object/apply:os.system ['true']\n---\nTexte")
@example(text="---\ntitle: {a: 1}\nid: [x]\n---\nTexte")
def test_any_document_is_a_draft_or_a_clear_error_in_good_time(text: str) -> None:
    started = time.monotonic()
    try:
        draft = parse_publication(text)
    except InvalidInput as err:
        assert err.message and len(err.message) < 2_000
    else:
        assert draft.title and draft.id and draft.body
    assert time.monotonic() - started < 2.0  # the alias bomb took 7 s


@pytest.mark.parametrize(("text", "told"), [
    (_alias_bomb("title"), "'title' must be a single value"),
    (_alias_bomb("area"), "'area' is a departement code or a list of codes"),
    ("---\ntitle: " + "[" * 3000 + "\n---\nTexte", "nested too deeply|maximum nesting depth"),
])
def test_nested_front_matter_is_refused_with_what_to_write(text: str, told: str) -> None:
    with pytest.raises(InvalidInput, match=told):
        parse_publication(text)


def test_plain_values_still_work() -> None:
    draft = parse_publication("---\ntitle: 2026\nid: alerte-crue\narea: [1, 92, 2A]\n"
                              "priority: urgent\neasy_read: Restez chez vous.\n---\nTexte\n")
    assert (draft.title, draft.id, draft.areas, draft.priority.value, draft.easy_read) == \
        ("2026", "alerte-crue", ("01", "92", "2A"), "urgent", "Restez chez vous.")
    assert parse_publication("---\ntitle: T\narea: 75, 92\n---\nx").areas == ("75", "92")


@pytest.fixture
def live(settings: Settings, redis_url: str) -> Iterator[tuple[LiveCentre, dict[str, str]]]:
    with live_centre(settings, redis_url) as centre:
        token = centre.call(centre.app[CONTEXT].accounts.create_token(
            "drafter", Role.SUPERVISOR, actor=ADMIN))
        yield centre, {"Authorization": f"Bearer {token}"}


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=documents)
@example(text=_alias_bomb("title"))
@example(text="---\ntitle: " + "[" * 3000 + "\n---\nTexte")
def test_over_http_a_document_is_saved_or_refused_never_a_server_error(
        live: tuple[LiveCentre, dict[str, str]], text: str) -> None:
    centre, auth = live
    response = requests.post(centre.base + "/api/publications", json={"document": text},
                             headers=auth, timeout=10)
    assert response.status_code in (201, 400, 404, 409, 413), (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.json()["error"]["message"]


def test_the_error_root_is_what_callers_catch() -> None:
    assert issubclass(InvalidInput, CrisisError)
