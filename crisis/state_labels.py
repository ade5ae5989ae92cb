"""How every value of the vocabulary's enums reads on a page, French first, English available.

One table for every page (console, cell, knowledge-base review): a state is never shown as
its code ("published", "queued"). tests/crisis/test_state_labels.py fails when a StrEnum of
crisis.types has a value without a label in either language.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from crisis.i18n import translate

Labels = Mapping[str, Mapping[str, str]]

STATE_LABELS: Final[Mapping[str, Labels]] = {
    "Role": {
        "operator": {"fr": "opérateur", "en": "operator"},
        "supervisor": {"fr": "superviseur", "en": "supervisor"},
        "cell": {"fr": "cellule de crise", "en": "crisis cell"},
        "admin": {"fr": "administrateur", "en": "administrator"},
    },
    "CrisisState": {
        "prepared": {"fr": "préparée", "en": "prepared"},
        "active": {"fr": "en cours", "en": "active"},
        "de-escalating": {"fr": "en désescalade", "en": "de-escalating"},
        "closed": {"fr": "close", "en": "closed"},
    },
    "PublicationStatus": {
        "draft": {"fr": "brouillon", "en": "draft"},
        "submitted": {"fr": "soumise", "en": "submitted"},
        "validated": {"fr": "validée", "en": "validated"},
        "published": {"fr": "publiée", "en": "published"},
        "withdrawn": {"fr": "retirée", "en": "withdrawn"},
    },
    "ArticleStatus": {
        "draft": {"fr": "brouillon", "en": "draft"},
        "submitted": {"fr": "soumis", "en": "submitted"},
        "validated": {"fr": "validé", "en": "validated"},
        "published": {"fr": "publié", "en": "published"},
        "archived": {"fr": "archivé", "en": "archived"},
    },
    "Priority": {
        "urgent": {"fr": "urgente", "en": "urgent"},
        "high": {"fr": "haute", "en": "high"},
        "normal": {"fr": "normale", "en": "normal"},
    },
    "ChannelKind": {
        "sms": {"fr": "SMS", "en": "SMS"},
        "voice": {"fr": "téléphone", "en": "phone"},
        "chat": {"fr": "chat web", "en": "web chat"},
        "telegram": {"fr": "Telegram", "en": "Telegram"},
        "email": {"fr": "courriel", "en": "e-mail"},
    },
    "ConversationStatus": {
        "new": {"fr": "nouvelle", "en": "new"},
        "auto-answered": {"fr": "réponse automatique", "en": "auto-answered"},
        "queued": {"fr": "en file", "en": "queued"},
        "assigned": {"fr": "à traiter", "en": "to answer"},
        "waiting-citizen": {"fr": "attend le citoyen", "en": "waiting for the citizen"},
        "closed": {"fr": "close", "en": "closed"},
    },
    "Direction": {
        "in": {"fr": "reçu", "en": "received"},
        "out": {"fr": "envoyé", "en": "sent"},
    },
    "DeliveryStatus": {
        "queued": {"fr": "en attente d'envoi", "en": "waiting to be sent"},
        "sent": {"fr": "envoyé", "en": "sent"},
        "delivered": {"fr": "distribué", "en": "delivered"},
        "failed": {"fr": "échec de l'envoi", "en": "not delivered"},
        "received": {"fr": "reçu", "en": "received"},
    },
    "OperatorStatus": {
        "available": {"fr": "Disponible", "en": "Available"},
        "pause": {"fr": "En pause", "en": "On a break"},
        "offline": {"fr": "Hors ligne", "en": "Offline"},
    },
}


def state_label(state: StrEnum, lang: str) -> str:
    """The label of `state` (a value of one of crisis.types' enums) in `lang`."""
    return translate(STATE_LABELS[type(state).__name__], state.value, lang)
