"""Message table of the site's cell pages (publications, builds): French first, English
available. The words every cell page shares (menu, crisis, areas, reason) are the core's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.i18n import translate
from crisis.state_labels import state_label
from crisis.types import EventType

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "pub.new": {"fr": "Nouvelle publication", "en": "New publication"},
    "pub.id": {"fr": "Identifiant (lettres minuscules, chiffres, tirets ; facultatif)",
               "en": "Id (lowercase letters, digits, dashes; optional)"},
    "pub.title": {"fr": "Titre", "en": "Title"},
    "pub.body": {"fr": "Texte (Markdown)", "en": "Text (Markdown)"},
    "pub.easy": {"fr": "Version facile à lire (facultatif)", "en": "Easy-read version (optional)"},
    "pub.lang": {"fr": "Langue", "en": "Language"},
    "pub.priority": {"fr": "Priorité", "en": "Priority"},
    "pub.crisis": {"fr": "Crise", "en": "Crisis"},
    "pub.none_crisis": {"fr": "Aucune (information générale)", "en": "None (general information)"},
    "pub.save": {"fr": "Enregistrer le brouillon", "en": "Save draft"},
    "pub.status": {"fr": "Statut", "en": "Status"},
    "pub.version": {"fr": "Version", "en": "Version"},
    "pub.preview": {"fr": "Aperçu de la page du site", "en": "Preview of the site page"},
    "pub.sms": {"fr": "Texte SMS", "en": "SMS text"},
    "pub.cap": {"fr": "Message CAP", "en": "CAP message"},
    "pub.submit": {"fr": "Soumettre", "en": "Submit"},
    "pub.validate": {"fr": "Valider", "en": "Validate"},
    "pub.publish": {"fr": "Publier", "en": "Publish"},
    "pub.withdraw": {"fr": "Retirer", "en": "Withdraw"},
    "pub.edit": {"fr": "Modifier (nouvelle version)", "en": "Edit (new version)"},
    "pub.list": {"fr": "Toutes les publications", "en": "All publications"},
    "pub.archived_at": {"fr": "Archivée le", "en": "Archived on"},
    "builds.title": {"fr": "Publications du site", "en": "Site builds"},
    "builds.when": {"fr": "Quand", "en": "When"},
    "builds.trigger": {"fr": "Déclencheur", "en": "Trigger"},
    "builds.kind": {"fr": "Type", "en": "Kind"},
    "builds.duration": {"fr": "Durée (s)", "en": "Duration (s)"},
    "builds.pages": {"fr": "Pages modifiées", "en": "Pages changed"},
    "builds.result": {"fr": "Résultat", "en": "Result"},
    "builds.ok": {"fr": "en ligne", "en": "published"},
    "builds.failed": {"fr": "ÉCHEC (le site précédent reste en ligne)",
                      "en": "FAILED (the previous site stays online)"},
    "builds.kept": {"fr": "Versions conservées", "en": "Kept builds"},
    "builds.live": {"fr": "en ligne", "en": "live"},
    "builds.rollback": {"fr": "Revenir à cette version", "en": "Roll back to this build"},
    "builds.rebuild": {"fr": "Reconstruire tout le site", "en": "Rebuild the whole site"},
    "builds.none": {"fr": "Aucune publication du site pour l'instant.", "en": "No build yet."},
}

# The kinds of site build (static_site.records.BuildRecord.kind).
BUILD_KINDS: Final[Mapping[str, Mapping[str, str]]] = {
    "full": {"fr": "complète", "en": "full"},
    "incremental": {"fr": "partielle", "en": "incremental"},
    "dark": {"fr": "site noir", "en": "dark site"},
    "rollback": {"fr": "retour arrière", "en": "rollback"},
}


def build_kind(kind: str, lang: str) -> str:
    """A build's kind in `lang`; an unknown kind shows as is rather than failing the page."""
    return translate(BUILD_KINDS, kind, lang) if kind in BUILD_KINDS else kind


def build_trigger(trigger: str, lang: str) -> str:
    """What started a build, in `lang`: an event says what happened ("Publication publiée");
    anything else (`crisis up`, a rollback, the command line) shows as is."""
    try:
        return state_label(EventType(trigger), lang)
    except ValueError:
        return trigger
