"""Each channel's form of an answer: formatted and sanitised for the web chat and the console,
plain text within SMS limits for SMS, and only the channel's own instructions."""

from __future__ import annotations

import datetime as dt
import re

from channels.answer_forms import (
    answer_html,
    answer_plain,
    auto_answer,
    fit_sms,
    message_html,
    offered_answer,
    reply_forms,
    reply_text,
)
from crisis.types import ChannelKind, Direction, Message
from knowledge_base.article import SMS_MAX_SEPTETS, Article, gsm7_septets

MARKDOWN = ("L'eau **peut être contaminée** par la crue.\n\n- ne la buvez pas ;\n"
            "- voyez [le site de l'ARS](https://www.ars.sante.fr/).\n\n# Et après\n\n_Attendez_.")
ARTICLE = Article(id="eau", question="L'eau est-elle potable ?", answer=MARKDOWN)
MARKERS = re.compile(r"\*\*|__|`|\]\(|^#|^\s*[-+*]\s", re.MULTILINE)


def test_the_chat_answer_is_markdown_with_the_button_hint_never_reply_0() -> None:
    text = auto_answer(ARTICLE, ChannelKind.CHAT, "fr")
    assert text.startswith(MARKDOWN)
    assert "répondez 0" not in text and "« Parler à un conseiller »" in text
    english = auto_answer(ARTICLE, ChannelKind.CHAT, "en")
    assert "reply 0" not in english and "“Talk to an adviser”" in english


def test_the_sms_answer_is_plain_within_three_segments_with_reply_0() -> None:
    text = auto_answer(ARTICLE, ChannelKind.SMS, "fr")
    assert not MARKERS.search(text), text
    assert "peut etre contaminée" in text  # GSM-7 has é, not ê
    assert text.endswith("\nPour parler à un conseiller, répondez 0.")
    long = Article(id="long", question="q ?", answer="**Très** long. " * 200)
    sms = auto_answer(long, ChannelKind.SMS, "fr")
    septets = gsm7_septets(sms)
    assert septets is not None and septets <= SMS_MAX_SEPTETS
    assert sms.endswith("...\nPour parler à un conseiller, répondez 0.")


def test_a_given_sms_text_is_kept_and_the_instruction_still_fits() -> None:
    given = "A" * SMS_MAX_SEPTETS
    article = Article(id="sms", question="q ?", answer="**x**", sms_text=given)
    sms = auto_answer(article, ChannelKind.SMS, "fr")
    assert len(sms) <= SMS_MAX_SEPTETS and sms.endswith("répondez 0.")
    assert fit_sms("Court.", "Fin.") == "Court.\nFin."
    offered = offered_answer(article, ChannelKind.SMS, "fr")
    assert offered.startswith("Cette réponse peut vous aider : ") and len(offered) <= SMS_MAX_SEPTETS


def test_html_is_formatted_and_sanitised() -> None:
    html = answer_html(MARKDOWN)
    assert "<strong>peut être contaminée</strong>" in html and "**" not in html
    assert '<a href="https://www.ars.sante.fr/" rel="noopener noreferrer">' in html
    assert "<h3>Et après</h3>" in html and "<h1>" not in html
    hostile = answer_html('<script>alert(1)</script> <img src=x onerror=alert(1)> '
                          '[clic](javascript:alert(1)) <b onclick="x">b</b>')
    assert set(re.findall(r"<(\w+)", hostile)) <= {"p", "a"}, hostile
    assert not re.search(r"<[^>]*\son\w+=", hostile) and "href=\"javascript" not in hostile
    assert "&lt;script&gt;" in hostile  # shown as text, harmless


def test_plain_text_has_no_marker_and_keeps_lines_and_links() -> None:
    text = answer_plain(MARKDOWN)
    assert not MARKERS.search(text.replace("- ne", "").replace("- voyez", "")), text
    assert "L'eau peut être contaminée par la crue." in text
    assert "- ne la buvez pas ;" in text.splitlines()
    assert "le site de l'ARS (https://www.ars.sante.fr/)" in text
    assert "Attendez." in text and "**" not in text and "_" not in text


def test_suggestions_insert_the_plain_form_of_the_channel() -> None:
    assert reply_text(ARTICLE, ChannelKind.SMS) == ARTICLE.sms
    assert reply_text(ARTICLE, ChannelKind.CHAT) == answer_plain(MARKDOWN)
    assert {ARTICLE.sms, answer_plain(MARKDOWN), MARKDOWN} <= reply_forms(ARTICLE)


def _message(author: str, text: str) -> Message:
    return Message(id="m1", direction=Direction.OUTBOUND, text=text, author=author,
                   at=dt.datetime(2026, 12, 2, 6, 42, tzinfo=dt.timezone.utc))


def test_only_our_own_chat_answers_become_markup() -> None:
    assert message_html(_message("auto", "**gras**"), ChannelKind.CHAT) == \
        "<p><strong>gras</strong></p>\n"
    # A citizen's or an operator's text is never markup; nor an SMS, sent as plain text.
    assert message_html(_message("citizen", "**gras** <b>x</b>"), ChannelKind.CHAT) is None
    assert message_html(_message("claire", "**gras**"), ChannelKind.CHAT) is None
    assert message_html(_message("auto", "**gras**"), ChannelKind.SMS) is None
