"""The pulse form's checks and the text each subscriber receives (pure), and the broadcast
sending that text as it is, in the subscriber's language."""

from __future__ import annotations

from typing import Any

from channels.alerts.pulse_drafts import PulseDraft, check_draft, pulse_text
from channels.alerts.sending import BroadcastSender


def _draft(**fields: Any) -> PulseDraft | list[Any]:
    form = {"question": "Avez-vous reçu la consigne ?", "areas": "", "sample_size": "1 000",
            "minutes": "120", "question_en": "", **fields}
    return check_draft(form, fields.get("options", ["oui", "non"]),
                       fields.get("options_en", []), fields.get("channels", ["sms"]))


def test_a_good_form_gives_a_draft_for_the_whole_country() -> None:
    draft = _draft()
    assert isinstance(draft, PulseDraft)
    assert (draft.areas, draft.sample_size, draft.minutes) == ((), 1000, 120)


def test_every_problem_is_reported_at_once() -> None:
    problems = _draft(question="", options=["oui"], channels=[], areas="75 999",
                      sample_size="-3", minutes="5")
    assert isinstance(problems, list)
    assert [key for key, _ in problems] == ["err.question", "err.options", "err.channels",
                                            "err.areas", "err.sample", "err.minutes"]
    assert dict(problems)["err.areas"] == {"codes": "999"}


def test_english_needs_the_question_and_as_many_answers() -> None:
    assert _draft(question_en="Did you get it?", options_en=["yes"]) == [("err.options_en", {})]
    assert _draft(question_en="Did you get it?") == [("err.options_en", {})]
    assert _draft(options_en=["yes", "no"]) == [("err.options_en", {})]
    draft = _draft(question_en="Did you get it?", options_en=["yes", "no"])
    assert isinstance(draft, PulseDraft) and draft.options_en == ("yes", "no")


def test_the_texts_in_french_and_english_per_channel() -> None:
    draft = _draft(question_en="Did you get the evacuation order?", options_en=["yes", "no"],
                   options=["oui", "non", "je ne sais pas"])
    assert not isinstance(draft, PulseDraft)  # three French answers, two English
    draft = _draft(question_en="Did you get the evacuation order?",
                   options_en=["yes", "no", "not sure"], options=["oui", "non", "je ne sais pas"])
    assert isinstance(draft, PulseDraft)
    assert pulse_text(draft, "sms", "fr") == (
        "Sondage du Service d'information du Gouvernement : Avez-vous reçu la consigne ? "
        "Répondez 1 pour oui, 2 pour non ou 3 pour je ne sais pas. "
        "(STOP pour ne plus recevoir d'alertes)")
    assert pulse_text(draft, "telegram", "en") == (
        "Poll from the French Government Information Service: Did you get the evacuation "
        "order? Reply 1 for yes, 2 for no or 3 for not sure. (/stop to receive no more alerts)")
    french_only = _draft()
    assert isinstance(french_only, PulseDraft)
    assert pulse_text(french_only, "sms", "en") == pulse_text(french_only, "sms", "fr")


def test_the_broadcast_sends_a_pulse_text_as_it_is_in_the_subscribers_language() -> None:
    sender = BroadcastSender.__new__(BroadcastSender)
    sender.email_footer = None
    record = {"id": "b-p1", "title": "Q", "url": "https://x/", "text": "fr", "full": "fr",
              "text:sms:fr": "Sondage … Répondez 1 pour oui", "text:sms:en": "Poll … Reply 1"}
    english = sender._message(record, "sms", {"address": "+33600000000", "lang": "en"}, "c1")
    french = sender._message(record, "sms", {"address": "+33600000001", "lang": "fr"}, "c2")
    assert (english.text, french.text) == ("Poll … Reply 1", "Sondage … Répondez 1 pour oui")
