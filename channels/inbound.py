"""What to do with a citizen's message: a pure decision, carried out by the desk.

`decide_inbound` reads what the desk knows (`InboundFacts`) and returns the actions to take,
in order; it does no I/O. The order of the checks: opt-out keywords (SMS), Telegram commands
and alert requests, a bare number picking one of the articles the queue notice offered (sent,
and off the queue), a bare option number answering an open pulse question that drew the
citizen (counted and thanked, channels/alerts/pulses.py), a reply in a
conversation a person holds or that waits in the queue, then urgent keywords (tell them to
call 112, queue first), a request for a person (queue), the surge menu's "1" and "2", then the
knowledge base's auto-answer (answer at once when confident; in surge, self-service first),
else the queue with the expected wait and, for a question, the likeliest articles to pick.

Some facts cost a round trip or a search, so the desk does not gather them up front: when the
decision needs one it does not have, it returns a `Need` instead of actions, and the desk asks
again with that fact added (channels/desk.py, `Desk.process_inbound`). So a STOP, an urgent
message or a request for a person never asks the knowledge base.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from channels.answer_forms import auto_answer, offered_answer
from channels.messages import say
from channels.skills import topic_for_tags
from crisis.areas import DEPARTEMENTS, parse_areas
from crisis.errors import InvalidInput
from crisis.lifecycle import ConversationAction
from crisis.types import LANGS, ChannelKind, Conversation, ConversationStatus, InstantReply
from knowledge_base import Article, AutoAnswer, Intent

STOP_WORDS = frozenset({"stop", "arret", "arreter", "unsubscribe", "desabonner"})
START_WORDS = frozenset({"start", "unstop", "reprendre"})
HUMAN_WORDS = frozenset({"0", "agent", "humain", "conseiller", "operateur"})
# Where a citizen's STOP ends everything and "ALERTE 75" subscribes: the channels that can
# write to them first (Telegram has the same as commands: /stop, /alerte).
OPT_OUT_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.EMAIL})
ALERT_WORDS = frozenset({"alerte", "alertes", "alert", "alerts"})
AREA_TOKEN = re.compile(r"^(\d{1,3}|2[ab])$")
# A reply to a pulse question: one digit, maybe a full stop or a parenthesis after it.
PULSE_OPTION = re.compile(r"^([1-9])\s*[.)]?$")
# Which of our keywords the SMS provider confirms itself (TWILIO_KEYWORD_REPLIES): the
# citizen must get one confirmation, not two, and not none. Twilio's standard STOP filtering
# on a long code answers its English words with its own text and blocks the number; the
# French ones are ours to confirm unless a Messaging Service's Advanced Opt-Out answers them.
PROVIDER_KEYWORDS: Final[Mapping[str, frozenset[str]]] = {
    "english": frozenset({"stop", "unsubscribe", "start", "unstop"}),
    "all": STOP_WORDS | START_WORDS,
    "none": frozenset(),
}
# In surge, a below-threshold answer this likely to be right is offered as "may help".
SURGE_SUGGESTION_CONFIDENCE = 0.5
# A queued question takes the topic of the auto-answer's best guess from this confidence on:
# a wrong topic only costs the skill wait, so the bar is lower than for answering.
TOPIC_GUESS_CONFIDENCE = 0.2
# Where a citizen can answer a menu with a number (a call's choices are its own IVR's).
CHOICE_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.CHAT, ChannelKind.TELEGRAM,
                             ChannelKind.EMAIL})
OPEN_FOR_A_PERSON = frozenset({ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN})
SMALL_TALK = frozenset({Intent.GREETING, Intent.THANKS, Intent.GOODBYE, Intent.EMPTY})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


# What the web chat's "Talk to an adviser" button sends, in each language.
ADVISER_REQUESTS = frozenset(fold(say("adviser_request", lang)) for lang in LANGS)


class Fact(StrEnum):
    """A fact the decision may need that the desk fetches only then."""

    URGENT_KEYWORDS = "urgent_keywords"  # the live crises' urgent keywords
    ANSWER = "answer"  # the knowledge base's auto-answer to the message
    ARTICLE = "article"  # one live article (Need.article_id)
    WAIT = "wait"  # the estimated wait of a new place in the queue
    ALERT_AREAS = "alert_areas"  # the citizen's alert subscription on this channel
    PULSE = "pulse"  # the open pulse question that drew the citizen on this channel


@dataclasses.dataclass(frozen=True, slots=True)
class OpenPulse:
    """The open pulse question whose sample holds the citizen on this channel."""

    pulse_id: str
    options: int  # answers 1..options count


NO_PULSE = OpenPulse("", 0)  # no open pulse question drew this citizen


@dataclasses.dataclass(frozen=True, slots=True)
class Need:
    fact: Fact
    article_id: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class InboundFacts:
    """What the desk knows when deciding; the optional facts are None until needed."""

    conversation: Conversation
    text: str  # the citizen's message, folded (`fold`)
    surge_wait_s: int  # the queue policy's surge threshold (0: off)
    site_url: str  # the public information site, given in surge and overflow messages
    provider_keywords: frozenset[str] = frozenset()  # see PROVIDER_KEYWORDS
    urgent_keywords: frozenset[str] | None = None
    # The live crises' greetings in the conversation's language (fetched with the keywords).
    greetings: tuple[str, ...] | None = None
    answer: AutoAnswer | None = None
    # Live articles by id, None for one that is not (or no longer) published.
    articles: Mapping[str, Article | None] = dataclasses.field(default_factory=dict)
    wait_s: float | None = None
    # The citizen's alert areas on this channel (() when not subscribed), fetched for "ALERTE ?".
    alert_areas: tuple[str, ...] | None = None
    # Fetched only for a message that is a bare option number ("1", "2."); NO_PULSE if none.
    pulse: OpenPulse | None = None
    # What the citizen already got in the webhook's answer while Redis was down (degraded
    # mode, channels/degraded.py): recorded, never sent again (`RecordSent`).
    answered: InstantReply | None = None
    max_choices: int = 0  # CRISIS_KB_CHOICES: articles offered with a queue notice (0: none)


# The actions, carried out in order by the desk.
@dataclasses.dataclass(frozen=True, slots=True)
class Send:
    """An automatic message to the citizen: recorded, then handed to the channel."""

    text: str
    article_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RecordSent:
    """An automatic message the citizen already got (in the webhook's own answer, degraded
    mode): recorded as sent, not handed to the channel."""

    text: str
    article_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ConfirmOptOut:
    """The confirmation of a STOP: the one message that still reaches an opted-out citizen."""

    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class SetOptOut:
    opted_out: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Queue:
    """Into the queue, telling the citizen their position and wait (`Desk.queue`), and the
    articles in `choices` to pick by number meanwhile (none: any earlier ones are dropped)."""

    urgent: bool = False
    tags: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class AnswerChosen:
    """A queued citizen picked an offered article by its number: it is sent and the
    conversation leaves the queue, unless an operator took it meanwhile
    (`Desk.answer_chosen`). The article as the decision read it: the desk sends it
    without reading it again."""

    article: Article


@dataclasses.dataclass(frozen=True, slots=True)
class Transition:
    action: ConversationAction
    actor: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class SetTopic:
    """The guessed routing topic, unless the conversation has one by then."""

    topic: str


@dataclasses.dataclass(frozen=True, slots=True)
class Subscribe:
    """Alerts for exactly these départements on this channel (channels/alerts/)."""

    areas: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class EndAlerts:
    """No more alerts on this channel (STOP)."""


@dataclasses.dataclass(frozen=True, slots=True)
class RecordFeedback:
    """A citizen's vote on an automatic answer (Telegram's "was this useful?" buttons)."""

    article_id: str
    useful: bool


@dataclasses.dataclass(frozen=True, slots=True)
class CountPulseAnswer:
    """A citizen's answer to a pulse question (channels/alerts/pulses.py)."""

    pulse_id: str
    option: int


@dataclasses.dataclass(frozen=True, slots=True)
class AskSecondLook:
    """Once queued, the question goes to the second look (knowledge_base/second_look.py): a
    worker may still answer it automatically, unless an operator takes it first."""

    question: str  # kept for the cell's missing answers if no look can be asked


@dataclasses.dataclass(frozen=True, slots=True)
class CountAutoAnswer:
    """One more message answered by the knowledge base (service levels)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PublishLive:
    """An update for the operators' consoles."""

    kind: str
    operator: str | None


Action = Send | RecordSent | ConfirmOptOut | SetOptOut | Queue | Transition | SetTopic | CountAutoAnswer \
    | PublishLive | RecordFeedback | Subscribe | EndAlerts | CountPulseAnswer | AskSecondLook \
    | AnswerChosen
Actions = tuple[Action, ...]


def decide_inbound(facts: InboundFacts) -> Need | Actions:
    """The actions for the citizen's latest message, or the fact still needed to decide."""
    decision = _decide(facts)
    if facts.answered is None or isinstance(decision, Need):
        return decision
    return already_answered(decision, facts.answered)


def already_answered(actions: Actions, answered: InstantReply) -> Actions:
    """The actions once the citizen already got `answered` (degraded mode): the automatic
    message that says the same (same article, else same text) is recorded as sent instead of
    sent; when the decision now differs (the conversation was held by a person, the article
    changed), the answer given is still recorded and counted first, and the rest is done."""
    for n, action in enumerate(actions):
        if isinstance(action, Send) and (action.article_id == answered.article_id
                                         if answered.article_id else action.text == answered.text):
            return (*actions[:n], RecordSent(answered.text, answered.article_id), *actions[n + 1:])
    given: Actions = (RecordSent(answered.text, answered.article_id),)
    if answered.article_id and not any(isinstance(a, CountAutoAnswer) for a in actions):
        given = (*given, CountAutoAnswer())
    return (*given, *actions)


def instant_reply(actions: Actions) -> InstantReply | None:
    """What of a decision can be answered at once, in the webhook's own response, while Redis
    is down (channels/degraded.py): a sure answer of the knowledge base (the decision counts
    it as an auto-answer), or the urgent message (call 112) of an urgent one. Nothing else:
    a STOP, an alert request, a request for a person wait for the replay."""
    if any(isinstance(a, CountAutoAnswer) for a in actions):
        for action in actions:
            if isinstance(action, Send) and action.article_id:
                return InstantReply(text=action.text, article_id=action.article_id)
    if any(isinstance(a, Queue) and a.urgent for a in actions):
        for action in actions:
            if isinstance(action, Send):
                return InstantReply(text=action.text)
    return None


def _decide(facts: InboundFacts) -> Need | Actions:
    conversation, text = facts.conversation, facts.text
    if conversation.channel in OPT_OUT_CHANNELS and text in STOP_WORDS | START_WORDS:
        return _opt(facts, opted_out=text in STOP_WORDS)
    if conversation.channel is ChannelKind.TELEGRAM and text.startswith("/"):
        return _command(facts)
    if conversation.channel in OPT_OUT_CHANNELS and (codes := alert_request(text)) is not None:
        return _alerts(facts, codes)
    if (option := pulse_option(text)) is not None:
        # The menu of the queue notice was sent in this very conversation, and the citizen
        # is still waiting on it: their number answers it rather than a pulse question.
        if conversation.status is ConversationStatus.QUEUED \
                and 1 <= option <= len(conversation.choices):
            return _chosen(facts, conversation.choices[option - 1])
        if facts.pulse is None:
            return Need(Fact.PULSE)
        if 1 <= option <= facts.pulse.options:
            return _pulse_answer(facts, facts.pulse.pulse_id, option)
    if conversation.status is ConversationStatus.CLOSED:
        return _closed_meanwhile(facts)
    if conversation.status in OPEN_FOR_A_PERSON:
        return (Transition(ConversationAction.CITIZEN_REPLY, "citizen"),
                PublishLive("message", conversation.operator))
    if conversation.status is ConversationStatus.QUEUED:
        return (PublishLive("message", None),)
    return _first_answer(facts)


def _chosen(facts: InboundFacts, article_id: str) -> Need | Actions:
    """The article the citizen picked; withdrawn since, the operators see the number as any
    message of a queued conversation."""
    if article_id not in facts.articles:
        return Need(Fact.ARTICLE, article_id)
    article = facts.articles[article_id]
    if article is None:
        return (PublishLive("message", None),)
    return (AnswerChosen(article),)


def choices_for(facts: InboundFacts, answer: AutoAnswer) -> tuple[str, ...]:
    """The articles to offer a queued question (`AutoAnswer.choices`): none where the
    channel cannot take a numbered answer."""
    if facts.conversation.channel not in CHOICE_CHANNELS:
        return ()
    return answer.choices(facts.max_choices)


def _closed_meanwhile(facts: InboundFacts) -> Need | Actions:
    """A message stored while its conversation was open, handled after an operator closed it
    (a race of a few seconds under load): answered from the knowledge base when it is sure,
    else told that writing again opens a new conversation (the store opens one for the next
    message). A closed conversation is never queued or moved again."""
    conversation = facts.conversation
    if facts.answer is None:
        return Need(Fact.ANSWER)
    answer = facts.answer
    if answer.answer_id is not None:
        if answer.answer_id not in facts.articles:
            return Need(Fact.ARTICLE, answer.answer_id)
        article = facts.articles[answer.answer_id]
        if article is not None:
            return (Send(auto_answer(article, conversation.channel, conversation.lang),
                         article.id), CountAutoAnswer())
    return (Send(say("closed_meanwhile", conversation.lang)),)


def _command(facts: InboundFacts) -> Need | Actions:
    """A Telegram command (channels/telegram/updates.py normalises them: "/alerte 75 92",
    a button's "/useful <article> yes|no"). Answered at once, whoever holds the conversation;
    a new conversation that only said "/start" is not left waiting in the queue."""
    conversation = facts.conversation
    lang, site = conversation.lang, facts.site_url
    command, _, rest = facts.text.partition(" ")
    if command == "/stop":
        # Telegram confirms nothing itself: the confirmation is always ours.
        return _opt(dataclasses.replace(facts, text="stop", provider_keywords=frozenset()),
                    opted_out=True)
    said: Actions
    if command == "/start":
        said = (SetOptOut(False), Send(say("telegram_welcome", lang).format(site=site)))
    elif command == "/info":
        if facts.greetings is None:
            return Need(Fact.URGENT_KEYWORDS)
        said = (Send(say("telegram_info", lang).format(greeting="\n".join(facts.greetings),
                                                       site=site) if facts.greetings
                     else say("telegram_no_crisis", lang).format(site=site)),)
    elif command == "/alerte" and (codes := alert_request("alerte " + rest)) is not None:
        return _alerts(facts, codes)
    elif command == "/useful" and len(words := rest.split()) == 2 and words[1] in ("yes", "no"):
        said = (RecordFeedback(words[0], words[1] == "yes"), Send(say("feedback_thanks", lang)))
    else:
        said = (Send(say("telegram_help", lang)),)
    if conversation.status is ConversationStatus.NEW:
        return (*said, Transition(ConversationAction.AUTO_ANSWER, "knowledge-base"))
    return said


def pulse_option(text: str) -> int | None:
    """The number of a reply that is only an option number: "1", " 2 ", "2.", "3)"."""
    match = PULSE_OPTION.match(text)
    return int(match.group(1)) if match else None


def _pulse_answer(facts: InboundFacts, pulse_id: str, option: int) -> Actions:
    """Counted and thanked, whatever the conversation's state; no operator is asked for.
    When a person holds the conversation the message reaches them too (they may have asked
    something a "1" answers); a queued one stays in the queue."""
    conversation = facts.conversation
    counted: Actions = (CountPulseAnswer(pulse_id, option),
                        Send(say("pulse_thanks", conversation.lang, conversation.channel)))
    if conversation.status is ConversationStatus.NEW:
        return (*counted, Transition(ConversationAction.AUTO_ANSWER, "pulse"))
    if conversation.status in OPEN_FOR_A_PERSON:
        return (*counted, Transition(ConversationAction.CITIZEN_REPLY, "citizen"),
                PublishLive("message", conversation.operator))
    return counted


def alert_request(text: str) -> str | None:
    """The codes of an alert request ("alerte 75 92": "75 92"; "alerte" or "alerte ?": ""),
    or None when the message is not one: "alerte inondation rue X" is a question."""
    word, _, rest = text.partition(" ")
    if word not in ALERT_WORDS:
        return None
    rest = rest.replace(",", " ").strip()
    if rest in ("", "?"):
        return ""
    return rest if all(AREA_TOKEN.match(token) for token in rest.split()) else None


def _alerts(facts: InboundFacts, codes: str) -> Need | Actions:
    """Subscribe to the départements given, or say which ones the citizen has."""
    conversation = facts.conversation
    lang, channel = conversation.lang, conversation.channel
    said: Actions
    if not codes:
        if facts.alert_areas is None:
            return Need(Fact.ALERT_AREAS)
        said = (Send(say("alert_list", lang, channel).format(areas=" ".join(facts.alert_areas))
                     if facts.alert_areas else say("alert_none", lang, channel)),)
    else:
        try:
            areas = parse_areas(codes)
        except InvalidInput:
            unknown = [c for c in codes.split() if c.upper().zfill(2) not in DEPARTEMENTS]
            said = (Send(say("alert_bad_area", lang).format(codes=" ".join(unknown)[:60])),)
        else:
            said = (Subscribe(areas),
                    Send(say("alert_subscribed", lang, channel).format(areas=" ".join(areas))))
    if conversation.status is ConversationStatus.NEW:
        return (*said, Transition(ConversationAction.AUTO_ANSWER, "knowledge-base"))
    return said


def _opt(facts: InboundFacts, *, opted_out: bool) -> Actions:
    conversation = facts.conversation
    actions: list[Action] = [SetOptOut(opted_out)]
    if opted_out:
        actions.append(EndAlerts())
    if facts.text not in facts.provider_keywords:  # else the provider confirmed it already
        text = say("opt_out" if opted_out else "opt_in", conversation.lang)
        actions.append(ConfirmOptOut(text) if opted_out else Send(text))
    if conversation.status is not ConversationStatus.CLOSED:
        actions.append(Transition(ConversationAction.CLOSE, "citizen"))
    return tuple(actions)


def _first_answer(facts: InboundFacts) -> Need | Actions:
    conversation, text = facts.conversation, facts.text
    lang, tags = conversation.lang, set(conversation.tags)
    if facts.urgent_keywords is None:
        return Need(Fact.URGENT_KEYWORDS)
    if facts.urgent_keywords & set(text.replace("'", " ").split()):
        return (Send(say("urgent", lang)), Queue(urgent=True))
    if text in HUMAN_WORDS or text in ADVISER_REQUESTS or (text == "1" and "surge" in tags):
        return (Queue(),)
    if text == "2" and {"surge", "overflow"} & tags:
        return (Send(say("callback", lang)), Queue(tags=("callback",)))
    if facts.answer is None:
        return Need(Fact.ANSWER)
    topic = _topic_guess(facts, facts.answer)
    if isinstance(topic, Need):
        return topic
    then = _answer(facts, facts.answer)
    return then if isinstance(then, Need) else (*topic, *then)


def _topic_guess(facts: InboundFacts, answer: AutoAnswer) -> Need | Actions:
    """A question's routing topic from its likeliest article's tags (kept even when answered:
    for when the citizen then asks for a person)."""
    if answer.intent is not Intent.QUESTION or facts.conversation.topic \
            or not answer.candidates or answer.confidence < TOPIC_GUESS_CONFIDENCE:
        return ()
    best = answer.candidates[0][0]
    if best not in facts.articles:
        return Need(Fact.ARTICLE, best)
    article = facts.articles[best]
    topic = topic_for_tags(article.tags) if article is not None else ""
    return (SetTopic(topic),) if topic else ()


def _answer(facts: InboundFacts, answer: AutoAnswer) -> Need | Actions:
    conversation = facts.conversation
    lang, channel = conversation.lang, conversation.channel
    if answer.answer_id is None and answer.intent is Intent.QUESTION and facts.surge_wait_s:
        if facts.wait_s is None:
            return Need(Fact.WAIT)
        if facts.wait_s >= facts.surge_wait_s:
            return _self_service(facts, answer, facts.wait_s)
    if answer.intent is Intent.HUMAN:
        return (Queue(),)
    if answer.answer_id is not None:
        if answer.answer_id not in facts.articles:
            return Need(Fact.ARTICLE, answer.answer_id)
        article = facts.articles[answer.answer_id]
        if article is None:  # unpublished since the search: a person answers
            return (Queue(),)
        return (Send(auto_answer(article, channel, lang), article.id),
                Transition(ConversationAction.AUTO_ANSWER, "knowledge-base"), CountAutoAnswer())
    if answer.intent in SMALL_TALK:
        said: Actions = (Send(say(f"intent_{answer.intent.value}", lang, channel)),)
        if conversation.status is ConversationStatus.NEW:
            return (*said, Transition(ConversationAction.AUTO_ANSWER, "knowledge-base"))
        return said
    choices = choices_for(facts, answer)
    if answer.second_look:  # its top article is bare: the second look decides, meanwhile queued
        return (Queue(choices=choices), AskSecondLook(answer.question))
    return (Queue(choices=choices),)


def _self_service(facts: InboundFacts, answer: AutoAnswer, wait_s: float) -> Need | Actions:
    """In surge, self-service first: the likely answer if there is one, the site, and the
    choice to stay in the queue ("1") or be called back ("2")."""
    conversation = facts.conversation
    lang, channel = conversation.lang, conversation.channel
    actions: list[Action] = []
    if answer.candidates and answer.confidence >= SURGE_SUGGESTION_CONFIDENCE:
        best = answer.candidates[0][0]
        if best not in facts.articles:
            return Need(Fact.ARTICLE, best)
        article = facts.articles[best]
        if article is not None:
            actions.append(Send(offered_answer(article, channel, lang), article.id))
    actions.append(Send(say("surge", lang, channel).format(
        minutes=max(1, round(wait_s / 60)), site=facts.site_url)))
    actions.append(Transition(ConversationAction.AUTO_ANSWER, "router",
                              (("tags", json.dumps(["surge"])),)))
    return tuple(actions)
