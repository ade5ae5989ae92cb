"""What the contact centre says to citizens: French first, English available.

An entry `key.<channel>` (e.g. "human_hint.chat") replaces `key` on that channel: each channel
gives only its own instructions ("répondez 0" by SMS, a button in the web chat).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.i18n import translate
from crisis.types import ChannelKind

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "urgent": {
        "fr": "Si vous êtes en danger, appelez le 112 maintenant. Un conseiller va vous répondre en priorité.",
        "en": "If you are in danger, call 112 now. An adviser will answer you first.",
    },
    "queued": {
        "fr": "Un conseiller va vous répondre. Vous êtes en position {position} dans la file, "
              "attente estimée : {minutes} min.",
        "en": "An adviser will answer you. You are number {position} in the queue, "
              "estimated wait: {minutes} min.",
    },
    "queue_choices": {
        "fr": "En attendant, l'une de ces réponses peut vous aider : répondez par son numéro.",
        "en": "Meanwhile, one of these answers may help: reply with its number.",
    },
    "surge": {
        "fr": "Forte affluence : attente estimée {minutes} min. En attendant : {site}. "
              "Répondez 1 pour rester en file, 2 pour être rappelé.",
        "en": "Very busy: estimated wait {minutes} min. Meanwhile: {site}. "
              "Reply 1 to stay in the queue, 2 to be called back.",
    },
    "surge_answer": {
        "fr": "Cette réponse peut vous aider : {answer}",
        "en": "This answer may help: {answer}",
    },
    "overflow": {
        "fr": "L'attente est longue. Les consignes officielles sont sur {site}. "
              "Répondez 2 pour être rappelé, ou restez en ligne.",
        "en": "The wait is long. Official instructions are at {site}. "
              "Reply 2 to be called back, or stay in the queue.",
    },
    "callback": {
        "fr": "C'est noté : un conseiller vous rappellera au plus vite.",
        "en": "Noted: an adviser will call you back as soon as possible.",
    },
    # Before an answer taken from an article in another language (an English question at a
    # centre whose articles are all French).
    "answer_in_other_language": {
        "fr": "Cette réponse n'existe qu'en anglais : ",
        "en": "This answer is only available in French: ",
    },
    "human_hint": {
        "fr": "Pour parler à un conseiller, répondez 0.",
        "en": "To talk to an adviser, reply 0.",
    },
    "human_hint.chat": {
        "fr": "Si cette réponse ne suffit pas, choisissez « Parler à un conseiller ».",
        "en": "If this answer is not enough, choose “Talk to an adviser”.",
    },
    "surge.chat": {
        "fr": "Forte affluence : attente estimée {minutes} min. En attendant : {site}. "
              "Pour attendre un conseiller, choisissez « Parler à un conseiller ».",
        "en": "Very busy: estimated wait {minutes} min. Meanwhile: {site}. "
              "To wait for an adviser, choose “Talk to an adviser”.",
    },
    "overflow.chat": {
        "fr": "L'attente est longue. Les consignes officielles sont sur {site}. "
              "Gardez cette page ouverte : un conseiller vous répondra ici.",
        "en": "The wait is long. Official instructions are at {site}. "
              "Keep this page open: an adviser will answer you here.",
    },
    "adviser_button": {"fr": "Parler à un conseiller", "en": "Talk to an adviser"},
    "adviser_request": {
        "fr": "Je souhaite parler à un conseiller.",
        "en": "I would like to talk to an adviser.",
    },
    "opt_out": {
        "fr": "Vous ne recevrez plus de SMS. Envoyez START pour vous réabonner.",
        "en": "You will receive no more SMS. Send START to subscribe again.",
    },
    "opt_in": {
        "fr": "Vous recevrez de nouveau nos SMS. Envoyez STOP pour arrêter.",
        "en": "You will receive our SMS again. Send STOP to stop.",
    },
    "intent_greeting": {
        "fr": "Bonjour. Posez votre question en quelques mots, ou répondez 0 pour un conseiller.",
        "en": "Hello. Ask your question in a few words, or reply 0 for an adviser.",
    },
    "intent_greeting.chat": {
        "fr": "Bonjour. Posez votre question en quelques mots, ou choisissez « Parler à un "
              "conseiller ».",
        "en": "Hello. Ask your question in a few words, or choose “Talk to an adviser”.",
    },
    "intent_thanks": {"fr": "Merci à vous. Prenez soin de vous.", "en": "Thank you. Take care."},
    "intent_goodbye": {"fr": "Au revoir. Prenez soin de vous.", "en": "Goodbye. Take care."},
    "rate_limited_chat": {
        "fr": "Beaucoup de messages sont partis de votre connexion en peu de temps. Votre "
              "message n'est pas encore transmis : il repartira tout seul dans {seconds} s. "
              "En cas de danger, appelez le 112.",
        "en": "Many messages came from your connection in a short time. Your message is not "
              "sent yet: it will go by itself in {seconds} s. If you are in danger, call 112.",
    },
    "busy_chat": {
        "fr": "Le centre reçoit énormément de messages en ce moment. Votre message n'est pas "
              "encore transmis : il repartira tout seul dans {seconds} s. Les consignes sont "
              "sur le site. En cas de danger, appelez le 112.",
        "en": "The centre is receiving a great many messages right now. Your message is not "
              "sent yet: it will go by itself in {seconds} s. The guidance is on the site. If "
              "you are in danger, call 112.",
    },
    "rate_limited_sms": {
        "fr": "Vous avez envoyé beaucoup de SMS en peu de temps : ceux de la prochaine minute "
              "ne seront pas lus. Renvoyez ensuite votre question. Danger : appelez le 112.",
        "en": "You sent many SMS in a short time: those of the next minute will not be read. "
              "Then send your question again. Danger: call 112.",
    },
    "email_subject": {
        "fr": "Votre question au centre d'information",
        "en": "Your question to the information centre",
    },
    "too_many_hellos": {
        "fr": "Trop de reprises de conversation sur cette connexion. Rechargez la page.",
        "en": "Too many conversation restarts on this connection. Reload the page.",
    },
    "too_many_sockets": {
        "fr": "Trop de discussions ouvertes depuis votre connexion. Fermez-en une et "
              "réessayez.",
        "en": "Too many chats are open from your connection. Close one and try again.",
    },
    "intent_empty": {
        "fr": "Nous n'avons pas compris votre message. Écrivez votre question en quelques mots.",
        "en": "We could not read your message. Write your question in a few words.",
    },
    # --- telegram (channels/telegram/): the buttons under an answer, the commands ---
    "useful_button": {"fr": "👍 Utile", "en": "👍 Useful"},
    "not_useful_button": {"fr": "👎 Pas utile", "en": "👎 Not useful"},
    "telegram_welcome": {
        "fr": "Bonjour, ici le centre d'information du Gouvernement. Posez votre question en "
              "quelques mots : nous répondons tout de suite quand la réponse est validée, sinon "
              "un conseiller vous répond. /info : les consignes en cours. /stop : ne plus "
              "recevoir de messages. Consignes officielles : {site}",
        "en": "Hello, this is the Government information centre. Ask your question in a few "
              "words: we answer at once when the answer is validated, otherwise an adviser "
              "answers you. /info: current instructions. /stop: no more messages. "
              "Official instructions: {site}",
    },
    "telegram_info": {
        "fr": "{greeting}\nConsignes officielles à jour : {site}",
        "en": "{greeting}\nUp-to-date official instructions: {site}",
    },
    "telegram_no_crisis": {
        "fr": "Aucune crise n'est en cours. Les informations officielles : {site}",
        "en": "No crisis is under way. Official information: {site}",
    },
    "telegram_help": {
        "fr": "Commandes : /info (les consignes en cours), /stop (ne plus recevoir de "
              "messages). Pour une question, écrivez-la simplement.",
        "en": "Commands: /info (current instructions), /stop (no more messages). "
              "For a question, just write it.",
    },
    # --- alerts (channels/alerts/): ALERTE 75 92, ALERTE ?, /alerte ---
    "pulse_thanks": {
        "fr": "Merci, votre réponse est enregistrée. Vous pouvez la changer en répondant "
              "un autre numéro.",
        "en": "Thank you, your answer is recorded. You can change it by replying another number.",
    },
    "alert_subscribed": {
        "fr": "Alertes activées pour : {areas}. Vous recevrez les consignes officielles pour "
              "ces départements. ALERTE ? pour les revoir, STOP pour arrêter.",
        "en": "Alerts on for: {areas}. You will get the official instructions for these "
              "départements. ALERTE ? to list them, STOP to stop.",
    },
    "alert_subscribed.telegram": {
        "fr": "Alertes activées pour : {areas}. Vous recevrez les consignes officielles pour "
              "ces départements. /alerte pour les revoir, /stop pour arrêter.",
        "en": "Alerts on for: {areas}. You will get the official instructions for these "
              "départements. /alerte to list them, /stop to stop.",
    },
    "alert_list": {
        "fr": "Vous recevez les alertes pour : {areas}. Pour changer, envoyez ALERTE suivi des "
              "départements (par exemple ALERTE 75 92) ; STOP pour arrêter.",
        "en": "You get alerts for: {areas}. To change, send ALERTE and the départements "
              "(e.g. ALERTE 75 92); STOP to stop.",
    },
    "alert_list.telegram": {
        "fr": "Vous recevez les alertes pour : {areas}. Pour changer, envoyez /alerte suivi des "
              "départements (par exemple /alerte 75 92) ; /stop pour arrêter.",
        "en": "You get alerts for: {areas}. To change, send /alerte and the départements "
              "(e.g. /alerte 75 92); /stop to stop.",
    },
    "alert_none": {
        "fr": "Vous ne recevez aucune alerte. Envoyez ALERTE suivi d'un ou plusieurs numéros de "
              "département, par exemple ALERTE 75 92.",
        "en": "You get no alerts. Send ALERTE and one or more département numbers, "
              "e.g. ALERTE 75 92.",
    },
    "alert_none.telegram": {
        "fr": "Vous ne recevez aucune alerte. Envoyez /alerte suivi d'un ou plusieurs numéros "
              "de département, par exemple /alerte 75 92.",
        "en": "You get no alerts. Send /alerte and one or more département numbers, "
              "e.g. /alerte 75 92.",
    },
    "alert_bad_area": {
        "fr": "Département inconnu : {codes}. Écrivez les numéros de département séparés par "
              "des espaces, par exemple 75, 2A (Corse-du-Sud) ou 971 (Guadeloupe).",
        "en": "Unknown département: {codes}. Write the département numbers separated by "
              "spaces, e.g. 75, 2A (Corse-du-Sud) or 971 (Guadeloupe).",
    },
    "closed_meanwhile": {
        "fr": "Cette conversation a été close par un conseiller. Si vous avez encore une "
              "question, écrivez-la : elle ouvrira une nouvelle conversation.",
        "en": "An adviser closed this conversation. If you still have a question, write it: "
              "it will open a new conversation.",
    },
    "feedback_thanks": {
        "fr": "Merci, votre avis aide à améliorer nos réponses.",
        "en": "Thank you, your opinion helps us improve our answers.",
    },
    # --- end of telegram ---
    # --- telephone (channels/voice/): a caller presses keys, never "replies" ---
    "human_hint.voice": {
        "fr": "Pour parler à un conseiller, tapez 4.",
        "en": "To talk to an adviser, press 4.",
    },
    "intent_greeting.voice": {
        "fr": "Bonjour. Posez votre question en quelques mots, ou tapez 4 pour un conseiller.",
        "en": "Hello. Ask your question in a few words, or press 4 for an adviser.",
    },
    "surge.voice": {
        "fr": "Forte affluence : attente estimée {minutes} min. Les consignes sont sur {site}. "
              "Pour attendre un conseiller, tapez 4.",
        "en": "Very busy: estimated wait {minutes} min. The instructions are at {site}. "
              "To wait for an adviser, press 4.",
    },
    "overflow.voice": {
        "fr": "L'attente est longue. Les consignes officielles sont sur {site}. "
              "Restez en ligne : un conseiller va vous répondre.",
        "en": "The wait is long. Official instructions are at {site}. "
              "Please hold: an adviser will answer you.",
    },
    # --- end of telephone ---
}


def say(key: str, lang: str, channel: ChannelKind | None = None) -> str:
    """The message in `lang` (French when there is no translation), in `channel`'s own
    wording when it has one."""
    if channel is not None and f"{key}.{channel.value}" in MESSAGES:
        key = f"{key}.{channel.value}"
    return translate(MESSAGES, key, lang)
