"""Our Twilio signature check against twilio's RequestValidator, the reference, on many requests."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from channels.sms.signature import TwilioSignature

TOKEN = "12345678901234567890123456789012"
REFERENCE = RequestValidator(TOKEN)
OURS = TwilioSignature(TOKEN)

BASES = ["https://crisis.example.gouv.fr", "https://crisis.example.gouv.fr:443",
         "https://crisis.example.gouv.fr:8443", "http://127.0.0.1:8080", "http://localhost",
         "http://localhost:80", "https://user:pw@crisis.example.gouv.fr", "http://[::1]:8080"]
PATHS = ["/hooks/twilio/sms", "/hooks/twilio/sms/status", "/hooks/twilio/sms?x=1&y=%C3%A9",
         "/hooks/twilio/sms?bodySHA256=abc", "/"]
names = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
forms = st.dictionaries(names, values, max_size=12)


def variants(url: str) -> list[str]:
    """The URL as our server knows it and as Twilio may have signed it (port or no port)."""
    host = url.split("/", 3)
    found = [url]
    if url.startswith("https://") and ":443" not in host[2]:
        found.append(url.replace(host[2], host[2] + ":443", 1))
    if ":443" in host[2] or ":80" in host[2]:
        found.append(url.replace(":443", "", 1).replace(":80/", "/", 1))
    return found


@settings(max_examples=600, deadline=None)
@given(base=st.sampled_from(BASES), path=st.sampled_from(PATHS), form=forms,
       signed_as=st.integers(0, 2), tamper=st.sampled_from(["none", "value", "field", "sig"]))
def test_same_verdict_as_twilios_request_validator(
        base: str, path: str, form: dict[str, str], signed_as: int, tamper: str) -> None:
    url = base + path
    signed_url = variants(url)[signed_as % len(variants(url))]
    signature = REFERENCE.compute_signature(signed_url, form)
    received = dict(form)
    if tamper == "value" and form:
        first = sorted(form)[0]
        received[first] = form[first] + "x"
    elif tamper == "field":
        received["Extra"] = "1"
    elif tamper == "sig":
        signature = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    expected = REFERENCE.validate(url, received, signature)
    assert OURS.valid(url, received, signature) is expected
    assert OURS.compute(url, received).decode() == REFERENCE.compute_signature(url, received)


def test_a_genuine_request_passes_with_and_without_the_port() -> None:
    form = {"MessageSid": "SM1", "From": "+33612345678", "Body": "où est l'eau ?"}
    for signed_url in ("https://crisis.example.gouv.fr/hooks/twilio/sms",
                       "https://crisis.example.gouv.fr:443/hooks/twilio/sms"):
        signature = REFERENCE.compute_signature(signed_url, form)
        for url in ("https://crisis.example.gouv.fr/hooks/twilio/sms",
                    "https://crisis.example.gouv.fr:443/hooks/twilio/sms"):
            assert REFERENCE.validate(url, form, signature)
            assert OURS.valid(url, form, signature)


def test_missing_odd_or_forged_signatures_fail() -> None:
    url, form = "https://crisis.example.gouv.fr/hooks/twilio/sms", {"Body": "bonjour"}
    good = REFERENCE.compute_signature(url, form)
    assert OURS.valid(url, form, good)
    assert not OURS.valid(url, form, "")
    assert not OURS.valid(url, form, good + "=")
    assert not OURS.valid(url, form, "é" * len(good))
    assert not OURS.valid(url, {"Body": "bonjour\udcff"}, good)  # undecodable: not valid
    assert not OURS.valid("http://[::1/hooks", form, good)  # unparsable URL: not valid
