"""The inbound decision (channels/inbound.py) as a pure function: no Redis, no knowledge base.

Each case gives the facts the desk would fetch and checks the actions, and which facts the
decision asked for: a STOP, an urgent message or a request for a person must not cost a
search of the knowledge base.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import msgspec
import pytest

from channels.answer_forms import auto_answer, offered_answer
from channels.inbound import (
    PROVIDER_KEYWORDS, START_WORDS, STOP_WORDS, Actions, ConfirmOptOut, CountAutoAnswer, Fact,
    NO_PULSE, OPEN_FOR_A_PERSON, CountPulseAnswer, EndAlerts, InboundFacts, Need, OpenPulse, PublishLive, Queue, RecordFeedback, Send, SetOptOut, SetTopic,
    Subscribe, Transition, RecordSent, AnswerChosen,
    decide_inbound, fold, instant_reply,
)
from channels.messages import say
from crisis.lifecycle import ConversationAction
from crisis.types import ChannelKind, Conversation, ConversationStatus, InstantReply, utcnow
from knowledge_base.answer import AutoAnswer
from knowledge_base.article import Article
from knowledge_base.intents import Intent

SITE = "https://info.example.gouv.fr/"
WATER = Article(id="eau-potable", question="L'eau du robinet est-elle potable ?",
                answer="Non : **faites-la bouillir** avant de la boire.", tags=["eau"])
SHELTER = Article(id="hebergement", question="Où dormir ce soir ?",
                  answer="Les gymnases de la ville accueillent les sinistrés.",
                  tags=["hebergement"])
LIVE = {WATER.id: WATER, SHELTER.id: SHELTER}
CLOSE = Transition(ConversationAction.CLOSE, "citizen")
AUTO = Transition(ConversationAction.AUTO_ANSWER, "knowledge-base")
SURGE = Transition(ConversationAction.AUTO_ANSWER, "router", (("tags", json.dumps(["surge"])),))


def conversation(status: ConversationStatus = ConversationStatus.NEW, *,
                 channel: ChannelKind = ChannelKind.SMS, lang: str = "fr",
                 tags: tuple[str, ...] = (), topic: str = "",
                 operator: str | None = None) -> Conversation:
    now = utcnow()
    return Conversation(id="c1", channel=channel, citizen="h1", address_masked="+336****78",
                        status=status, lang=lang, tags=tags, topic=topic, operator=operator,
                        created_at=now, updated_at=now)


def facts(text: str, on: Conversation | None = None, *, surge_wait_s: int = 0,
          provider: str = "english") -> InboundFacts:
    return InboundFacts(on or conversation(), fold(text), surge_wait_s=surge_wait_s,
                        site_url=SITE, provider_keywords=PROVIDER_KEYWORDS[provider])


def answer(answer_id: str | None, confidence: float = 0.95, *,
           intent: Intent = Intent.QUESTION, best: str | None = None) -> AutoAnswer:
    candidate = best or answer_id
    return AutoAnswer("q", answer_id, confidence,
                      ((candidate, 9.0),) if candidate else (), intent)


def settle(start: InboundFacts, *, urgent: frozenset[str] = frozenset({"noie", "coince"}),
           kb: AutoAnswer | None = None, articles: Mapping[str, Article] = LIVE,
           wait_s: float = 60.0, pulse: OpenPulse = NO_PULSE) -> tuple[Actions, list[Need]]:
    """What the desk does: ask, fetch what is needed, ask again. Returns the actions and the
    facts asked for, in order."""
    current, asked = start, []
    for _ in range(8):
        decision = decide_inbound(current)
        if not isinstance(decision, Need):
            return decision, asked
        asked.append(decision)
        if decision.fact is Fact.URGENT_KEYWORDS:
            current = dataclasses.replace(current, urgent_keywords=urgent)
        elif decision.fact is Fact.ANSWER:
            assert kb is not None, "the decision asked the knowledge base"
            current = dataclasses.replace(current, answer=kb)
        elif decision.fact is Fact.ARTICLE:
            current = dataclasses.replace(current, articles={
                **current.articles, decision.article_id: articles.get(decision.article_id)})
        elif decision.fact is Fact.PULSE:
            current = dataclasses.replace(current, pulse=pulse)
        else:
            current = dataclasses.replace(current, wait_s=wait_s)
    raise AssertionError(f"the decision never settled: {asked}")


URGENT_ONLY = [Need(Fact.URGENT_KEYWORDS)]
TO_THE_KB = [Need(Fact.URGENT_KEYWORDS), Need(Fact.ANSWER)]
PULSE_ASKED = Need(Fact.PULSE)

# --- STOP and START (SMS) ---------------------------------------------------------------------

OPT_OUT = say("opt_out", "fr")
OPT_IN = say("opt_in", "fr")


@pytest.mark.parametrize(("text", "provider", "expected"), [
    # Twilio's standard filtering answered the English words itself (and blocks the number).
    ("STOP", "english", (SetOptOut(True), EndAlerts(), CLOSE)),
    ("Unsubscribe", "english", (SetOptOut(True), EndAlerts(), CLOSE)),
    ("START", "english", (SetOptOut(False), CLOSE)),
    ("unstop", "english", (SetOptOut(False), CLOSE)),
    # The French words are ours to confirm: the confirmation of a STOP is marked as such.
    ("ARRÊT", "english", (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)),
    ("Arrêter", "english", (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)),
    ("désabonner", "english", (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)),
    ("Reprendre", "english", (SetOptOut(False), Send(OPT_IN), CLOSE)),
    # Twilio answers nothing (keyword handling off, a standalone short code): we confirm all.
    ("STOP", "none", (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)),
    (" stop ", "none", (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)),
    ("START", "none", (SetOptOut(False), Send(OPT_IN), CLOSE)),
    # Advanced Opt-Out answers every word: we confirm none.
    ("ARRET", "all", (SetOptOut(True), EndAlerts(), CLOSE)),
    ("reprendre", "all", (SetOptOut(False), CLOSE)),
])
def test_stop_and_start_by_sms(text: str, provider: str, expected: Actions) -> None:
    assert settle(facts(text, provider=provider)) == (expected, [])


def test_stop_in_a_conversation_a_person_holds_closes_it_too() -> None:
    held = conversation(ConversationStatus.ASSIGNED, operator="alice")
    assert settle(facts("stop", held, provider="none"))[0] == \
        (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT), CLOSE)


def test_stop_in_an_already_closed_conversation_is_not_closed_again() -> None:
    closed = conversation(ConversationStatus.CLOSED)
    assert settle(facts("arret", closed))[0] == (SetOptOut(True), EndAlerts(), ConfirmOptOut(OPT_OUT))


def test_the_confirmation_speaks_the_citizens_language() -> None:
    english = conversation(lang="en")
    assert settle(facts("STOP", english, provider="none"))[0][2] == \
        ConfirmOptOut(say("opt_out", "en"))


def test_stop_is_an_sms_keyword_only() -> None:
    """In the web chat "stop" is a word like any other: the knowledge base is asked."""
    chat = conversation(channel=ChannelKind.CHAT)
    actions, asked = settle(facts("stop", chat), kb=answer(None, 0.1, best=None))
    assert asked == TO_THE_KB and actions == (Queue(),)


def test_every_provider_setting_names_only_our_keywords() -> None:
    for words in PROVIDER_KEYWORDS.values():
        assert words <= STOP_WORDS | START_WORDS


# --- a conversation already with a person or in the queue -------------------------------------

@pytest.mark.parametrize("status", [ConversationStatus.ASSIGNED,
                                    ConversationStatus.WAITING_CITIZEN])
def test_a_reply_in_a_conversation_a_person_holds_goes_to_them(
        status: ConversationStatus) -> None:
    held = conversation(status, operator="alice")
    assert settle(facts("merci, et pour l'eau ?", held)) == (
        (Transition(ConversationAction.CITIZEN_REPLY, "citizen"), PublishLive("message", "alice")),
        [])


def test_a_message_while_queued_only_updates_the_consoles() -> None:
    queued = conversation(ConversationStatus.QUEUED)
    assert settle(facts("je me noie", queued)) == ((PublishLive("message", None),), [])


# --- before the knowledge base: urgent, a person, the surge menu -------------------------------

@pytest.mark.parametrize("text", ["Je me noie !", "coincé dans la voiture",
                                  "l'eau monte, je me NOIE"])
def test_urgent_words_tell_to_call_112_and_queue_first(text: str) -> None:
    assert settle(facts(text)) == ((Send(say("urgent", "fr")), Queue(urgent=True)), URGENT_ONLY)


def test_urgent_words_count_only_while_a_crisis_lists_them() -> None:
    actions, asked = settle(facts("je me noie"), urgent=frozenset(), kb=answer(None, 0.0))
    assert asked == TO_THE_KB and actions == (Queue(),)


@pytest.mark.parametrize("text", ["0", "Conseiller", "opérateur", "humain",
                                  say("adviser_request", "fr"), say("adviser_request", "en")])
def test_asking_for_a_person_queues_without_asking_the_knowledge_base(text: str) -> None:
    assert settle(facts(text)) == ((Queue(),), URGENT_ONLY)


def test_one_in_the_surge_menu_stays_in_the_queue() -> None:
    offered = conversation(ConversationStatus.AUTO_ANSWERED, tags=("surge",))
    assert settle(facts("1", offered)) == ((Queue(),), [PULSE_ASKED, *URGENT_ONLY])


@pytest.mark.parametrize("tag", ["surge", "overflow"])
def test_two_after_a_surge_or_overflow_message_asks_for_a_callback(tag: str) -> None:
    offered = conversation(ConversationStatus.AUTO_ANSWERED, tags=(tag,))
    assert settle(facts("2", offered)) == (
        (Send(say("callback", "fr")), Queue(tags=("callback",))), [PULSE_ASKED, *URGENT_ONLY])


@pytest.mark.parametrize("text", ["1", "2"])
def test_one_and_two_are_plain_text_outside_the_menu(text: str) -> None:
    actions, asked = settle(facts(text), kb=answer(None, 0.0, intent=Intent.EMPTY, best=None))
    assert asked == [PULSE_ASKED, *TO_THE_KB]
    assert actions == (Send(say("intent_empty", "fr", ChannelKind.SMS)), AUTO)


def test_one_after_overflow_only_is_not_the_surge_menu() -> None:
    overflowed = conversation(ConversationStatus.QUEUED, tags=("overflow",))
    # Queued: the message only reaches the operators; "1" means nothing more.
    assert settle(facts("1", overflowed))[0] == (PublishLive("message", None),)


# --- the knowledge base's answer ----------------------------------------------------------------

def test_a_confident_answer_is_sent_and_counted_and_gives_the_topic() -> None:
    actions, asked = settle(facts("l'eau du robinet est potable ?"), kb=answer(WATER.id))
    assert asked == [*TO_THE_KB, Need(Fact.ARTICLE, WATER.id)]  # one read serves both
    assert actions == (SetTopic("eau"),
                       Send(auto_answer(WATER, ChannelKind.SMS, "fr"), WATER.id),
                       AUTO, CountAutoAnswer())


def test_a_confident_answer_in_the_chat_takes_the_chats_form() -> None:
    chat = conversation(channel=ChannelKind.CHAT, lang="en", topic="eau")
    actions, _ = settle(facts("is tap water safe?", chat), kb=answer(WATER.id))
    assert actions == (Send(auto_answer(WATER, ChannelKind.CHAT, "en"), WATER.id), AUTO,
                       CountAutoAnswer())


def test_a_topic_already_set_is_kept() -> None:
    routed = conversation(topic="sante")
    actions, asked = settle(facts("l'eau est potable ?", routed), kb=answer(WATER.id))
    assert not any(isinstance(a, SetTopic) for a in actions)
    assert asked.count(Need(Fact.ARTICLE, WATER.id)) == 1


def test_an_answer_unpublished_since_the_search_goes_to_a_person() -> None:
    actions, _ = settle(facts("l'eau est potable ?"), kb=answer(WATER.id), articles={})
    assert actions == (Queue(),)


@pytest.mark.parametrize(("intent", "key"), [(Intent.GREETING, "intent_greeting"),
                                             (Intent.THANKS, "intent_thanks"),
                                             (Intent.GOODBYE, "intent_goodbye"),
                                             (Intent.EMPTY, "intent_empty")])
@pytest.mark.parametrize("channel", [ChannelKind.SMS, ChannelKind.CHAT])
def test_small_talk_gets_its_own_answer(intent: Intent, key: str, channel: ChannelKind) -> None:
    new = conversation(channel=channel)
    actions, asked = settle(facts("bonjour", new), kb=answer(None, 0.0, intent=intent, best=None))
    assert asked == TO_THE_KB
    assert actions == (Send(say(key, "fr", channel)), AUTO)


def test_small_talk_after_an_answer_changes_no_state() -> None:
    answered = conversation(ConversationStatus.AUTO_ANSWERED)
    actions, _ = settle(facts("merci"), kb=answer(None, 0.0, intent=Intent.THANKS, best=None))
    assert actions[-1] == AUTO  # a new conversation moves on...
    actions, _ = settle(facts("merci", answered),
                        kb=answer(None, 0.0, intent=Intent.THANKS, best=None))
    assert actions == (Send(say("intent_thanks", "fr", ChannelKind.SMS)),)  # ...this one stays


def test_a_request_for_a_person_in_other_words_queues() -> None:
    actions, _ = settle(facts("je veux parler a quelqu'un"),
                        kb=answer(None, 0.0, intent=Intent.HUMAN, best=None))
    assert actions == (Queue(),)


def test_below_the_threshold_a_person_answers_with_the_guessed_topic() -> None:
    actions, asked = settle(facts("ou dormir ?"), kb=answer(None, 0.4, best=SHELTER.id))
    assert asked == [*TO_THE_KB, Need(Fact.ARTICLE, SHELTER.id)]  # surge off: no wait read
    assert actions == (SetTopic("evacuation"), Queue())


def test_a_guess_too_unsure_gives_no_topic_and_reads_no_article() -> None:
    actions, asked = settle(facts("ou dormir ?"), kb=answer(None, 0.1, best=SHELTER.id))
    assert asked == TO_THE_KB and actions == (Queue(),)


def test_a_guess_whose_article_is_gone_gives_no_topic() -> None:
    actions, _ = settle(facts("ou dormir ?"), kb=answer(None, 0.4, best="retire"))
    assert actions == (Queue(),)


# --- surge: self-service first ----------------------------------------------------------------

def surge_text(minutes: int, channel: ChannelKind = ChannelKind.SMS) -> Send:
    return Send(say("surge", "fr", channel).format(minutes=minutes, site=SITE))


def test_in_surge_a_likely_answer_is_offered_with_the_wait_and_the_menu() -> None:
    actions, asked = settle(facts("ou dormir ?", surge_wait_s=600),
                            kb=answer(None, 0.6, best=SHELTER.id), wait_s=1500)
    assert asked == [*TO_THE_KB, Need(Fact.ARTICLE, SHELTER.id), Need(Fact.WAIT)]
    assert actions == (SetTopic("evacuation"),
                       Send(offered_answer(SHELTER, ChannelKind.SMS, "fr"), SHELTER.id),
                       surge_text(25), SURGE)


def test_in_surge_an_unlikely_answer_is_not_offered() -> None:
    actions, _ = settle(facts("ou dormir ?", surge_wait_s=600),
                        kb=answer(None, 0.3, best=SHELTER.id), wait_s=600)
    assert actions == (SetTopic("evacuation"), surge_text(10), SURGE)


def test_in_surge_a_suggestion_unpublished_meanwhile_is_left_out() -> None:
    routed = conversation(topic="eau")
    actions, _ = settle(facts("ou dormir ?", routed, surge_wait_s=600),
                        kb=answer(None, 0.7, best="retire"), wait_s=700)
    assert actions == (surge_text(12), SURGE)


def test_in_the_chat_the_surge_menu_is_a_button() -> None:
    chat = conversation(channel=ChannelKind.CHAT, topic="eau")
    actions, _ = settle(facts("ou dormir ?", chat, surge_wait_s=600),
                        kb=answer(None, 0.0, best=None), wait_s=30)
    assert actions == (Queue(),)  # a short wait: no surge
    actions, _ = settle(facts("ou dormir ?", chat, surge_wait_s=600),
                        kb=answer(None, 0.0, best=None), wait_s=3600)
    assert actions == (surge_text(60, ChannelKind.CHAT), SURGE)


def test_the_surge_wait_is_at_least_a_minute() -> None:
    actions, _ = settle(facts("ou dormir ?", conversation(topic="eau"), surge_wait_s=1),
                        kb=answer(None, 0.0, best=None), wait_s=5)
    assert actions[0] == surge_text(1)


@pytest.mark.parametrize("kb", [answer(WATER.id), answer(None, 0.0, intent=Intent.HUMAN,
                                                         best=None),
                                answer(None, 0.0, intent=Intent.GREETING, best=None)])
def test_surge_concerns_unanswered_questions_only(kb: AutoAnswer) -> None:
    _, asked = settle(facts("texte", conversation(topic="eau"), surge_wait_s=600), kb=kb,
                      wait_s=9999)
    assert Need(Fact.WAIT) not in asked


@pytest.mark.parametrize("text,expected", [
    ("ALERTE 75 92", (Subscribe(("75", "92")),)),
    ("alertes 2a, 971", (Subscribe(("2A", "971")),)),
    ("alerte 1", (Subscribe(("01",)),)),
])
def test_alerte_with_codes_subscribes(text: str, expected: Actions) -> None:
    actions = settle(facts(text, conversation()))[0]
    assert actions[:1] == expected
    assert isinstance(actions[1], Send) and "Alertes activées pour" in actions[1].text


def test_alerte_with_an_unknown_code_says_how_to_write_one() -> None:
    [send, *_] = settle(facts("ALERTE 75 99", conversation()))[0]
    assert isinstance(send, Send) and send.text.startswith("Département inconnu : 99.")


def test_alerte_question_asks_for_the_subscription_only_then() -> None:
    assert decide_inbound(facts("alerte ?", conversation())) == Need(Fact.ALERT_AREAS)
    listed = decide_inbound(dataclasses.replace(facts("alerte ?", conversation()),
                                                alert_areas=("75", "92")))
    assert isinstance(listed, tuple) and isinstance(listed[0], Send)
    assert "75 92" in listed[0].text
    none = decide_inbound(dataclasses.replace(facts("alerte", conversation()), alert_areas=()))
    assert isinstance(none, tuple) and isinstance(none[0], Send)
    assert none[0].text.startswith("Vous ne recevez aucune alerte")


def test_alerte_in_a_sentence_is_a_question_not_a_request() -> None:
    assert decide_inbound(facts("alerte inondation rue de la Gare", conversation())) == \
        Need(Fact.URGENT_KEYWORDS)


def test_telegram_commands() -> None:
    chat = conversation(channel=ChannelKind.TELEGRAM)
    subscribed = settle(facts("/alerte 13", chat))[0]
    assert subscribed[0] == Subscribe(("13",))
    stop = settle(facts("/stop", chat))[0]
    assert stop[:2] == (SetOptOut(True), EndAlerts())
    assert isinstance(stop[2], ConfirmOptOut)  # Telegram confirms nothing itself
    [vote, thanks, *_] = settle(facts("/useful art-1 yes", chat))[0]
    assert vote == RecordFeedback("art-1", True) and isinstance(thanks, Send)
    assert decide_inbound(facts("/info", chat)) == Need(Fact.URGENT_KEYWORDS)


def test_a_message_handled_after_its_conversation_was_closed_is_answered_not_queued() -> None:
    """Stored while open, handled after an operator closed it: never queued again (that was a
    dead-lettered event and a citizen without answer)."""
    closed = conversation(ConversationStatus.CLOSED)
    sure = answer("eau-potable")
    actions, _ = settle(facts("leau du robinet est potable ?", closed), kb=sure)
    assert isinstance(actions[0], Send) and actions[0].article_id == "eau-potable"
    assert not any(isinstance(a, (Queue, Transition)) for a in actions)
    unsure = answer(None, 0.3, best="eau-potable")
    actions, _ = settle(facts("et pour mon chien ?", closed), kb=unsure)
    assert actions == (Send(say("closed_meanwhile", "fr")),)


# --- pulse questions (channels/alerts/pulses.py) ---------------------------------------------

POLL = OpenPulse("p1", 2)
THANKS = say("pulse_thanks", "fr", ChannelKind.SMS)
PULSE_AUTO = Transition(ConversationAction.AUTO_ANSWER, "pulse")


@pytest.mark.parametrize(("text", "option"), [
    ("1", 1), (" 2 ", 2), ("2.", 2), ("1)", 1), ("2 .", 2), ("\u00a01\n", 1)])
@pytest.mark.parametrize("channel", [ChannelKind.SMS, ChannelKind.TELEGRAM])
def test_an_option_number_of_an_open_pulse_is_counted_thanked_and_not_queued(
        text: str, option: int, channel: ChannelKind) -> None:
    new = conversation(channel=channel)
    thanks = say("pulse_thanks", "fr", channel)
    assert settle(facts(text, new), pulse=POLL) == (
        (CountPulseAnswer("p1", option), Send(thanks), PULSE_AUTO), [PULSE_ASKED])


def test_the_thanks_is_in_the_citizens_language() -> None:
    english = conversation(lang="en")
    actions, _ = settle(facts("1", english), pulse=POLL)
    assert actions[1] == Send(say("pulse_thanks", "en", ChannelKind.SMS))
    assert actions[1] != Send(THANKS)


@pytest.mark.parametrize("status", [ConversationStatus.AUTO_ANSWERED, ConversationStatus.QUEUED,
                                    ConversationStatus.CLOSED])
def test_an_answer_in_an_older_conversation_is_counted_and_changes_nothing_else(
        status: ConversationStatus) -> None:
    older = conversation(status, tags=("surge",))  # even in surge: the pulse asked last
    assert settle(facts("1", older), pulse=POLL)[0] == (CountPulseAnswer("p1", 1), Send(THANKS))


@pytest.mark.parametrize("status", sorted(OPEN_FOR_A_PERSON))
def test_an_answer_in_a_conversation_a_person_holds_reaches_them_too(
        status: ConversationStatus) -> None:
    held = conversation(status, operator="alice")
    assert settle(facts("2", held), pulse=POLL)[0] == (
        CountPulseAnswer("p1", 2), Send(THANKS),
        Transition(ConversationAction.CITIZEN_REPLY, "citizen"), PublishLive("message", "alice"))


@pytest.mark.parametrize("text", ["3", "9"])
def test_a_number_that_is_no_option_goes_to_the_desk(text: str) -> None:
    actions, asked = settle(facts(text), kb=answer(None, 0.0, intent=Intent.EMPTY), pulse=POLL)
    assert actions == (Send(say("intent_empty", "fr", ChannelKind.SMS)), AUTO)
    assert asked == [PULSE_ASKED, *TO_THE_KB]


def test_zero_still_asks_for_a_person_whatever_pulse_is_open() -> None:
    assert settle(facts("0"), pulse=POLL) == ((Queue(),), URGENT_ONLY)


@pytest.mark.parametrize("text", ["1 oui", "12", "oui", "1 2", "1,5", "option 1", "un", "-1",
                                  "1!", "", "1.."])
def test_other_text_does_not_ask_for_the_pulse_and_goes_to_the_desk(text: str) -> None:
    actions, asked = settle(facts(text), kb=answer(None, 0.0, intent=Intent.QUESTION),
                            pulse=POLL)
    assert PULSE_ASKED not in asked
    assert not any(isinstance(a, CountPulseAnswer) for a in actions)


def test_a_citizen_no_open_pulse_drew_goes_to_the_desk_as_before() -> None:
    actions, asked = settle(facts("1"), kb=answer(None, 0.0, intent=Intent.EMPTY))
    assert asked == [PULSE_ASKED, *TO_THE_KB]
    assert actions == (Send(say("intent_empty", "fr", ChannelKind.SMS)), AUTO)


def test_stop_and_alert_keywords_come_before_the_pulse() -> None:
    assert settle(facts("STOP", provider="none"), pulse=POLL)[1] == []
    assert not any(isinstance(a, CountPulseAnswer)
                   for a in settle(facts("alerte 75"), pulse=POLL)[0])
    telegram = conversation(channel=ChannelKind.TELEGRAM)
    assert settle(facts("/stop", telegram), pulse=POLL)[1] == []


@pytest.mark.parametrize("options", [2, 3, 4, 5])
def test_every_option_of_the_pulse_and_none_beyond(options: int) -> None:
    poll = OpenPulse("p9", options)
    for number in range(1, 10):
        actions, _ = settle(facts(str(number)), kb=answer(None, 0.0, intent=Intent.EMPTY),
                            pulse=poll)
        counted = [a for a in actions if isinstance(a, CountPulseAnswer)]
        assert counted == ([CountPulseAnswer("p9", number)] if number <= options else [])


# --- degraded mode: what can be answered at once, and the replay of what was -------------------

WATER_SMS = auto_answer(WATER, ChannelKind.SMS, "fr")


def test_a_sure_answer_can_be_given_at_once() -> None:
    actions, _ = settle(facts("l'eau du robinet est potable ?"), kb=answer(WATER.id))
    assert instant_reply(actions) == InstantReply(text=WATER_SMS, article_id=WATER.id)


def test_an_urgent_message_is_told_to_call_112_at_once_never_an_article() -> None:
    actions, _ = settle(facts("je suis coincé au grenier"), kb=answer(WATER.id))
    assert instant_reply(actions) == InstantReply(text=say("urgent", "fr"))


@pytest.mark.parametrize("text", ["STOP", "ARRÊT", "START", "alerte 75", "0", "bonjour"])
def test_opt_out_alerts_a_person_and_small_talk_wait_for_the_replay(text: str) -> None:
    actions, _ = settle(facts(text), kb=answer(None, 0.1, intent=Intent.GREETING))
    assert instant_reply(actions) is None


def test_an_unsure_answer_is_not_given_at_once() -> None:
    actions, _ = settle(facts("mon chat a faim"), kb=answer(None, 0.3, best=WATER.id))
    assert instant_reply(actions) is None


def test_on_replay_the_answer_given_is_recorded_not_sent_and_still_counted() -> None:
    given = InstantReply(text=WATER_SMS, article_id=WATER.id)
    start = dataclasses.replace(facts("l'eau du robinet est potable ?"), answered=given)
    actions, _ = settle(start, kb=answer(WATER.id))
    assert actions == (SetTopic("eau"), RecordSent(WATER_SMS, WATER.id), AUTO, CountAutoAnswer())


def test_on_replay_an_urgent_message_is_queued_and_its_112_message_recorded() -> None:
    start = dataclasses.replace(facts("je me noie"),
                                answered=InstantReply(text=say("urgent", "fr")))
    actions, _ = settle(start)
    assert actions == (RecordSent(say("urgent", "fr")), Queue(urgent=True))


def test_on_replay_in_a_conversation_a_person_holds_the_answer_given_is_recorded_first() -> None:
    held = conversation(ConversationStatus.ASSIGNED, operator="ana")
    given = InstantReply(text=WATER_SMS, article_id=WATER.id)
    start = dataclasses.replace(facts("l'eau est potable ?", held), answered=given)
    actions, _ = settle(start)
    assert actions == (RecordSent(WATER_SMS, WATER.id), CountAutoAnswer(),
                       Transition(ConversationAction.CITIZEN_REPLY, "citizen"),
                       PublishLive("message", "ana"))


# --- the queue notice's choices -----------------------------------------------------------------

def ranked(*candidates: str, confidence: float = 0.6) -> AutoAnswer:
    """Not sure enough to answer: the candidates, best first."""
    return AutoAnswer("q", None, confidence, tuple((c, 9.0 - n) for n, c in enumerate(candidates)),
                      Intent.QUESTION)


def offering(text: str, on: Conversation | None = None, max_choices: int = 3) -> InboundFacts:
    return dataclasses.replace(facts(text, on), max_choices=max_choices)


def test_a_queued_question_is_offered_its_likeliest_articles_up_to_the_setting() -> None:
    kb = ranked(WATER.id, SHELTER.id, "routes", "ecoles")
    actions, _ = settle(offering("on peut boire ?"), kb=kb)
    assert Queue(choices=(WATER.id, SHELTER.id, "routes")) in actions
    actions, _ = settle(offering("on peut boire ?", max_choices=1), kb=kb)
    assert Queue(choices=(WATER.id,)) in actions
    actions, _ = settle(offering("on peut boire ?", max_choices=0), kb=kb)  # CRISIS_KB_CHOICES=0
    assert Queue() in actions


@pytest.mark.parametrize("why, on, kb", [
    ("barely recognised", None, ranked(WATER.id, confidence=0.1)),
    ("a call: its choices are the IVR's", conversation(channel=ChannelKind.VOICE),
     ranked(WATER.id)),
    ("asks for a person", None, AutoAnswer("q", None, 0.9, ((WATER.id, 9.0),), Intent.HUMAN)),
])
def test_no_choices_where_a_menu_would_be_noise(why: str, on: Conversation | None,
                                                kb: AutoAnswer) -> None:
    actions, _ = settle(offering("on peut boire ?", on), kb=kb)
    assert Queue() in actions, why


def test_a_bare_number_of_the_menu_answers_it_while_queued() -> None:
    waiting = msgspec.structs.replace(conversation(ConversationStatus.QUEUED),
                                  choices=(WATER.id, SHELTER.id))
    actions, asked = settle(offering(" 2. ", waiting))
    assert actions == (AnswerChosen(SHELTER),)
    assert asked == [Need(Fact.ARTICLE, SHELTER.id)]  # no search, no pulse looked up


@pytest.mark.parametrize("text, on", [
    ("3", msgspec.structs.replace(conversation(ConversationStatus.QUEUED), choices=(WATER.id,))),
    ("1", conversation(ConversationStatus.QUEUED)),  # no menu was sent
    ("1", msgspec.structs.replace(conversation(ConversationStatus.ASSIGNED, operator="op"),
                              choices=(WATER.id,))),  # an operator has it: theirs to read
])
def test_other_numbers_reach_the_operators_as_before(text: str, on: Conversation) -> None:
    actions, _ = settle(offering(text, on))
    assert not any(isinstance(a, AnswerChosen) for a in actions)
    assert any(isinstance(a, PublishLive) for a in actions)


def test_a_chosen_article_withdrawn_since_leaves_the_number_to_the_operators() -> None:
    waiting = msgspec.structs.replace(conversation(ConversationStatus.QUEUED), choices=("retire",))
    actions, _ = settle(offering("1", waiting), articles={})
    assert actions == (PublishLive("message", None),)


def test_the_menu_wins_over_a_pulse_question_while_the_citizen_waits_on_it() -> None:
    waiting = msgspec.structs.replace(conversation(ConversationStatus.QUEUED), choices=(WATER.id,))
    actions, asked = settle(offering("1", waiting), pulse=POLL)
    assert actions == (AnswerChosen(WATER),)
    assert PULSE_ASKED not in asked
