"""What the operator console says: French first, English available; canned replies, wrap-ups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.i18n import translate

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "console": {"fr": "Console des opérateurs", "en": "Operator console"},
    "supervisor": {"fr": "Supervision", "en": "Supervision"},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "republic": {"fr": "République française", "en": "French Republic"},
    "other_lang": {"fr": "English", "en": "Français"},
    "logout": {"fr": "Se déconnecter", "en": "Log out"},
    "signed_in_as": {"fr": "Connecté en tant que", "en": "Signed in as"},
    "status": {"fr": "Mon statut", "en": "My status"},
    "status.available": {"fr": "Disponible", "en": "Available"},
    "status.pause": {"fr": "En pause", "en": "On a break"},
    "status.offline": {"fr": "Hors ligne", "en": "Offline"},
    "langs": {"fr": "Langues traitées", "en": "Languages I answer"},
    "lang.fr": {"fr": "Français", "en": "French"},
    "lang.en": {"fr": "Anglais", "en": "English"},
    "save_status": {"fr": "Changer de statut", "en": "Change status"},
    "load": {"fr": "Conversations en cours : {load} sur {capacity}",
             "en": "Open conversations: {load} of {capacity}"},
    "queue": {"fr": "File d'attente", "en": "Queue"},
    "queue.waiting": {"fr": "En attente", "en": "Waiting"},
    "queue.oldest": {"fr": "Attente la plus longue", "en": "Longest wait"},
    "queue.by_channel": {"fr": "Par canal", "en": "By channel"},
    "mine": {"fr": "Mes conversations", "en": "My conversations"},
    "mine.none": {"fr": "Aucune conversation pour le moment. Passez « Disponible » pour en recevoir.",
                  "en": "No conversation yet. Become available to receive some."},
    "offered": {"fr": "proposée, à ouvrir", "en": "offered, open it"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "citizen": {"fr": "Citoyen", "en": "Citizen"},
    "state": {"fr": "État", "en": "State"},
    "last_message": {"fr": "Dernier message", "en": "Last message"},
    "history": {"fr": "Historique", "en": "History"},
    "author.citizen": {"fr": "Citoyen", "en": "Citizen"},
    "author.auto": {"fr": "Réponse automatique", "en": "Automatic answer"},
    "author.operator": {"fr": "Opérateur", "en": "Operator"},
    "suggestions": {"fr": "Réponses suggérées", "en": "Suggested answers"},
    "suggestions.none": {"fr": "Aucune réponse de la base ne correspond.",
                         "en": "No knowledge-base answer fits."},
    "insert": {"fr": "Insérer", "en": "Insert"},
    "canned": {"fr": "Réponses types", "en": "Canned replies"},
    "reply": {"fr": "Votre réponse", "en": "Your reply"},
    "send": {"fr": "Envoyer", "en": "Send"},
    "tags": {"fr": "Étiquettes et sujet", "en": "Tags and topic"},
    "tags.field": {"fr": "Étiquettes (séparées par des virgules)", "en": "Tags (comma separated)"},
    "topic": {"fr": "Sujet", "en": "Topic"},
    "save_tags": {"fr": "Enregistrer", "en": "Save"},
    "transfer": {"fr": "Transférer", "en": "Transfer"},
    "transfer.to": {"fr": "Vers", "en": "To"},
    "transfer.queue": {"fr": "La file d'attente", "en": "The queue"},
    "close": {"fr": "Clore la conversation", "en": "Close the conversation"},
    "wrap_up": {"fr": "Code de clôture", "en": "Wrap-up code"},
    "back": {"fr": "Retour à mes conversations", "en": "Back to my conversations"},
    "shortcuts": {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"},
    "key.jk": {"fr": "conversation suivante / précédente dans une liste",
               "en": "next / previous conversation in a list"},
    "key.enter": {"fr": "ouvrir la conversation sélectionnée", "en": "open the selected conversation"},
    "key.alt123": {"fr": "insérer la suggestion 1, 2 ou 3", "en": "insert suggestion 1, 2 or 3"},
    "key.ctrl_enter": {"fr": "envoyer la réponse", "en": "send the reply"},
    "key.alt_r": {"fr": "aller au champ de réponse", "en": "go to the reply field"},
    "key.escape": {"fr": "revenir à la liste (hors champ de saisie)",
                   "en": "back to the list (outside a text field)"},
    "kbd.enter": {"fr": "Entrée", "en": "Enter"},
    "kbd.escape": {"fr": "Échap", "en": "Esc"},
    "live.update": {"fr": "Mise à jour : {what}", "en": "Update: {what}"},
    "live.offline": {"fr": "Connexion temps réel perdue, nouvelle tentative…",
                     "en": "Live connection lost, retrying…"},
    "operators": {"fr": "Opérateurs", "en": "Operators"},
    "operator": {"fr": "Opérateur", "en": "Operator"},
    "connected": {"fr": "Connecté", "en": "Connected"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "reassign": {"fr": "Réattribuer", "en": "Reassign"},
    "conversation": {"fr": "Conversation", "en": "Conversation"},
    "assigned_to": {"fr": "Attribuée à", "en": "Assigned to"},
    "nobody": {"fr": "personne", "en": "nobody"},
    "open": {"fr": "Ouvrir", "en": "Open"},
    "seconds": {"fr": "{n} s", "en": "{n} s"},
    "error.full": {"fr": "Cet opérateur n'est pas disponible ou n'a plus de place.",
                   "en": "That operator is not available or has no room left."},
    "chat.title": {"fr": "Poser une question à un conseiller", "en": "Ask an adviser"},
    "chat.intro": {"fr": "Écrivez votre question : une réponse validée ou un conseiller vous répond.",
                   "en": "Write your question: a validated answer or an adviser replies."},
}

CONVERSATION_STATES: Final[Mapping[str, Mapping[str, str]]] = {
    "new": {"fr": "nouvelle", "en": "new"},
    "auto-answered": {"fr": "réponse automatique", "en": "auto-answered"},
    "queued": {"fr": "en file", "en": "queued"},
    "assigned": {"fr": "à traiter", "en": "to answer"},
    "waiting-citizen": {"fr": "attend le citoyen", "en": "waiting for the citizen"},
    "closed": {"fr": "close", "en": "closed"},
}

CANNED: Final[Mapping[str, Mapping[str, str]]] = {
    "hello": {"fr": "Bonjour, je suis conseiller du centre d'information. Je regarde votre question.",
              "en": "Hello, I am an adviser at the information centre. I am looking at your question."},
    "more": {"fr": "Pouvez-vous préciser votre commune et votre situation ?",
             "en": "Could you tell me your town and your situation?"},
    "wait": {"fr": "Je vérifie l'information, je vous réponds dans quelques minutes.",
             "en": "I am checking the information; I will answer within a few minutes."},
    "site": {"fr": "Les informations à jour sont sur le site du centre d'information.",
             "en": "Up-to-date information is on the information centre's website."},
    "bye": {"fr": "Merci pour votre message. Prenez soin de vous.",
            "en": "Thank you for your message. Take care."},
}

WRAP_UPS: Final[Mapping[str, Mapping[str, str]]] = {
    "answered": {"fr": "Répondu", "en": "Answered"},
    "answered-kb": {"fr": "Répondu avec la base", "en": "Answered from the knowledge base"},
    "redirected": {"fr": "Orienté vers un service", "en": "Referred to a service"},
    "emergency": {"fr": "Urgence : renvoyé vers le 112", "en": "Emergency: referred to 112"},
    "no-answer": {"fr": "Sans réponse du citoyen", "en": "No answer from the citizen"},
    "abusive": {"fr": "Message abusif", "en": "Abusive message"},
}

TOPICS: Final[Mapping[str, Mapping[str, str]]] = {
    "": {"fr": "(aucun)", "en": "(none)"},
    "evacuation": {"fr": "Évacuation, hébergement", "en": "Evacuation, shelter"},
    "eau": {"fr": "Eau potable", "en": "Drinking water"},
    "electricite": {"fr": "Électricité, gaz", "en": "Electricity, gas"},
    "transports": {"fr": "Routes, transports", "en": "Roads, transport"},
    "sante": {"fr": "Santé", "en": "Health"},
    "assurance": {"fr": "Assurance, aides", "en": "Insurance, aid"},
    "autre": {"fr": "Autre", "en": "Other"},
}


def t(key: str, lang: str, table: Mapping[str, Mapping[str, str]] = MESSAGES) -> str:
    """The entry `key` of `table` in `lang`, French when the translation is missing."""
    return translate(table, key, lang)
