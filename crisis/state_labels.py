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
        "archived": {"fr": "archivée (crise terminée)", "en": "archived (crisis closed)"},
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
    # Events name what happened in the cell's pages (build triggers, audit).
    "EventType": {
        "crisis.created": {"fr": "Crise préparée", "en": "Crisis prepared"},
        "crisis.activated": {"fr": "Crise activée", "en": "Crisis activated"},
        "crisis.level_changed": {"fr": "Niveau de crise changé", "en": "Crisis level changed"},
        "crisis.de_escalating": {"fr": "Désescalade de la crise", "en": "Crisis de-escalating"},
        "crisis.re_escalated": {"fr": "Crise réactivée", "en": "Crisis re-escalated"},
        "crisis.closed": {"fr": "Crise terminée", "en": "Crisis closed"},
        "publication.drafted": {"fr": "Publication rédigée", "en": "Publication drafted"},
        "publication.submitted": {"fr": "Publication soumise", "en": "Publication submitted"},
        "publication.validated": {"fr": "Publication validée", "en": "Publication validated"},
        "publication.published": {"fr": "Publication publiée", "en": "Publication published"},
        "publication.withdrawn": {"fr": "Publication retirée", "en": "Publication withdrawn"},
        "publication.archived": {"fr": "Publication archivée", "en": "Publication archived"},
        "account.created": {"fr": "Compte créé", "en": "Account created"},
        "account.disabled": {"fr": "Compte désactivé", "en": "Account disabled"},
        "conversation.message_received": {"fr": "Message reçu", "en": "Message received"},
        "conversation.auto_answer": {"fr": "Réponse automatique", "en": "Automatic answer"},
        "conversation.queue": {"fr": "Mise en file", "en": "Queued"},
        "conversation.assign": {"fr": "Attribuée à un opérateur", "en": "Assigned to an operator"},
        "conversation.reply": {"fr": "Réponse d'un opérateur", "en": "Operator's reply"},
        "conversation.citizen_reply": {"fr": "Réponse du citoyen", "en": "Citizen's reply"},
        "conversation.requeue": {"fr": "Remise en file", "en": "Back in the queue"},
        "conversation.close": {"fr": "Conversation close", "en": "Conversation closed"},
        "conversation.transferred": {"fr": "Conversation transférée", "en": "Conversation transferred"},
        "kb.article_drafted": {"fr": "Article rédigé", "en": "Article drafted"},
        "kb.article_submitted": {"fr": "Article soumis", "en": "Article submitted"},
        "kb.article_validated": {"fr": "Article validé", "en": "Article validated"},
        "kb.article_published": {"fr": "Article publié", "en": "Article published"},
        "kb.article_rejected": {"fr": "Article renvoyé en brouillon", "en": "Article sent back to draft"},
        "kb.article_archived": {"fr": "Article archivé", "en": "Article archived"},
        "kb.alternate_proposed": {"fr": "Formulation proposée", "en": "Phrasing proposed"},
        "kb.alternate_validated": {"fr": "Formulation validée", "en": "Phrasing validated"},
        "kb.alternate_rejected": {"fr": "Formulation refusée", "en": "Phrasing refused"},
        "kb.imported": {"fr": "Base de connaissances importée", "en": "Knowledge base imported"},
        "kb.synonyms_changed": {"fr": "Synonymes modifiés", "en": "Synonyms changed"},
        "kb.threshold_changed": {"fr": "Seuil de réponse automatique modifié",
                                 "en": "Automatic-answer threshold changed"},
    },
}


def state_label(state: StrEnum, lang: str) -> str:
    """The label of `state` (a value of one of crisis.types' enums) in `lang`."""
    return translate(STATE_LABELS[type(state).__name__], state.value, lang)
