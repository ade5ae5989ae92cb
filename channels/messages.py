"""What the contact centre says to citizens: French first, English available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

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
    "human_hint": {
        "fr": "Pour parler à un conseiller, répondez 0.",
        "en": "To talk to an adviser, reply 0.",
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
    "intent_thanks": {"fr": "Merci à vous. Prenez soin de vous.", "en": "Thank you. Take care."},
    "intent_goodbye": {"fr": "Au revoir. Prenez soin de vous.", "en": "Goodbye. Take care."},
    "intent_empty": {
        "fr": "Nous n'avons pas compris votre message. Écrivez votre question en quelques mots.",
        "en": "We could not read your message. Write your question in a few words.",
    },
}


def say(key: str, lang: str) -> str:
    """The message in `lang`, French when there is no translation."""
    entry = MESSAGES[key]
    return entry.get(lang) or entry["fr"]
