"""The alert routes fed any JSON body (Hypothesis): a subscription, a clear 400 or a 413,
never a server error, and nothing logged as an error."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisis.settings import Settings, load_settings
from tests.channels.alert_web_support import browser_subscription, mount_alert_web
from tests.support.live_centre import LiveCentre, live_centre

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
VALID = browser_subscription()
b64ish = st.text(alphabet="ABCDEFabcdef0123456789-_=%", max_size=100)
subscriptions = st.one_of(json_values, st.fixed_dictionaries(
    {"endpoint": st.sampled_from([VALID["endpoint"], "http://fcm.googleapis.com/x",
                                  "https://[::1]/x", "https://fcm.googleapis.com:99999/x",
                                  "https://a.push.services.mozilla.com/x", ""]) | json_values,
     "keys": st.fixed_dictionaries({}, optional={
         "p256dh": st.just(VALID["keys"]["p256dh"]) | b64ish | json_values,
         "auth": st.just(VALID["keys"]["auth"]) | b64ish | json_values}) | json_values}))
areas = st.one_of(json_values, st.lists(st.sampled_from(["75", "2a", "971", "99", "", "2C"])
                                        | st.text(max_size=5), max_size=5),
                  st.text(max_size=30))
push_bodies = st.one_of(json_values, st.fixed_dictionaries(
    {"subscription": subscriptions, "areas": areas},
    optional={"lang": st.sampled_from(["fr", "en"]) | json_values}))
email_bodies = st.one_of(json_values, st.fixed_dictionaries(
    {"email": st.sampled_from(["a@example.fr", "x", "a@b", ""]) | st.emails() | json_values,
     "areas": areas}, optional={"lang": json_values}))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, redis_url: str
         ) -> Iterator[LiveCentre]:
    patch = pytest.MonkeyPatch()
    mount_alert_web(patch)
    centre_settings: Settings = load_settings({
        "CRISIS_DATA_DIR": str(tmp_path_factory.mktemp("fuzz") / "var"),
        "CRISIS_REDIS_PREFIX": "fuzz-alerts:", "REDIS_URL": redis_url,
        "CRISIS_SECRET_KEY": "fuzz-secret", "CRISIS_LOG_FORMAT": "text",
        "CRISIS_ALERT_SIGNUPS_PER_IP_PER_HOUR": "1000000"})
    try:
        with live_centre(centre_settings, redis_url) as centre:
            yield centre
    finally:
        patch.undo()


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.ERROR)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def _post(live: LiveCentre, method: str, path: str, body: Any) -> requests.Response:
    return requests.request(method, live.base + path, data=json.dumps(body),
                            headers={"Content-Type": "application/json"}, timeout=10)


def _check(response: requests.Response, ok: int) -> None:
    assert response.status_code in (ok, 400, 413), (response.status_code, response.text)
    if response.status_code != ok:
        assert response.json()["error"]["message"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=push_bodies)
@example(body={"subscription": VALID, "areas": ["75"]})
@example(body={"subscription": VALID, "areas": "[" * 3000})
@example(body={"subscription": {"endpoint": VALID["endpoint"], "keys": {
    "p256dh": "BA" + "A" * 85, "auth": VALID["keys"]["auth"]}}, "areas": ["75"]})
def test_any_push_body_subscribes_or_says_why_not(live: LiveCentre, body: Any) -> None:
    _check(_post(live, "POST", "/api/alerts/push", body), 201)
    _check(_post(live, "DELETE", "/api/alerts/push", body), 200)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=email_bodies)
@example(body={"email": "a@example.fr", "areas": ["75"]})
def test_any_email_body_is_taken_or_refused_clearly(live: LiveCentre, body: Any) -> None:
    _check(_post(live, "POST", "/api/alerts/email", body), 202)
