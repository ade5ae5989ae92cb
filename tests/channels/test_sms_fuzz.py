"""Twilio's SMS webhooks fed anything: the parser raises only our own errors, and over HTTP
the centre answers 200, 400, 403 or 413, never a server error, signed or not."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from channels.sms.adapter import TwilioSms
from channels.sms.signature import TwilioSignature
from crisis.errors import CrisisError, Forbidden
from crisis.ports import InboundRequest
from crisis.settings import Settings
from tests.channels.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.support.live_centre import LiveCentre, live_centre

SMS = "/hooks/twilio/sms"
STATUS = "/hooks/twilio/sms/status"
# Twilio's own field names, often, so the parser gets past its first checks.
TWILIO_FIELDS = ["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaUrl1",
                 "MessageStatus", "ErrorCode", "AccountSid"]
names = st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=20))
values = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["+33612345678", "0612345678", "12", "-3", "1e9", "٣", "9" * 5000,
                     "delivered", "failed", ""]),
)
forms = st.dictionaries(names, values, max_size=10)
# Any text at all, lone surrogates included: never from Twilio, but never a crash either.
any_text = st.text(st.characters(codec=None), max_size=60)


@pytest.fixture
def adapter(settings: Settings) -> TwilioSms:
    return TwilioSms(settings)


def _signed(path: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature":
            RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=forms, path=st.sampled_from([SMS, STATUS]))
@example(form={"MessageSid": "SM1", "From": "+33612345678", "NumMedia": "deux"}, path=SMS)
@example(form={"MessageSid": "SM1", "From": "pas un numéro"}, path=SMS)
def test_a_signed_form_of_anything_parses_or_raises_our_error(
        adapter: TwilioSms, form: dict[str, str], path: str) -> None:
    request = InboundRequest(url=PUBLIC_URL + path, headers=_signed(path, form), form=form)
    try:
        if path == SMS:
            [message] = adapter.parse_inbound(request)
            assert message.provider_id and message.address.startswith("+")
        else:
            adapter.parse_delivery(request)
    except CrisisError:
        pass  # a clear 4xx: the middleware maps it


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(any_text, any_text, max_size=6), signature=any_text, url=any_text)
def test_an_unsigned_or_forged_form_is_always_forbidden(
        adapter: TwilioSms, form: dict[str, str], signature: str, url: str) -> None:
    request = InboundRequest(url=url, headers={"X-Twilio-Signature": signature}, form=form)
    with pytest.raises(Forbidden):
        adapter.parse_inbound(request)
    with pytest.raises(Forbidden):
        adapter.parse_delivery(request)


@settings(max_examples=300, deadline=None)
@given(url=any_text, form=st.dictionaries(any_text, any_text, max_size=6), signature=any_text)
def test_the_signature_check_answers_yes_or_no_to_anything(
        url: str, form: dict[str, str], signature: str) -> None:
    assert TwilioSignature(AUTH_TOKEN).valid(url, form, signature) in (True, False)


@pytest.fixture
def live(settings: Settings, redis_url: str, caplog: pytest.LogCaptureFixture
         ) -> Iterator[LiveCentre]:
    caplog.set_level(logging.ERROR)
    with live_centre(settings, redis_url) as centre:
        yield centre
    # Whatever arrived, nothing failed unseen behind the 200 (the pipeline after the webhook).
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


printable = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(form=st.dictionaries(st.one_of(st.sampled_from(TWILIO_FIELDS), printable.filter(bool)),
                            printable, max_size=8),
       path=st.sampled_from([SMS, STATUS]), sign=st.booleans(),
       raw=st.one_of(st.none(), st.binary(max_size=300)))  # bodies that are not even forms
@example(form={"MessageSid": "SMx", "From": "+33612345678", "NumMedia": "beaucoup"}, path=SMS,
         sign=True, raw=None)
@example(form={}, path=SMS, sign=False, raw=b"\xff\xfe=%%%&&=\x00&From")
def test_over_http_the_webhooks_never_answer_a_server_error(
        live: LiveCentre, form: dict[str, str], path: str, sign: bool, raw: bytes | None) -> None:
    headers = _signed(path, form) if sign else {}
    if raw is not None:  # a body that is not even a form
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = requests.post(live.base + path, data=raw, headers=headers, timeout=10)
    else:
        response = requests.post(live.base + path, data=form, headers=headers, timeout=10)
    assert response.status_code in (200, 400, 403, 413), (response.status_code, response.text)
    if not sign:
        assert response.status_code in (400, 403)
    if response.status_code == 200:  # TwiML: empty, or the one SMS saying a sender is over
        assert response.text.startswith("<?xml") and "<Response>" in response.text
