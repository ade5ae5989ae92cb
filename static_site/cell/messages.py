"""Message table of the cell's pages: French first, English available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.types import LANGS

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "title": {"fr": "Cellule de crise", "en": "Crisis cell"},
    "republic": {"fr": "République française", "en": "French Republic"},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "other_lang": {"fr": "English", "en": "Français"},
    "nav": {"fr": "Menu de la cellule", "en": "Cell menu"},
    "nav.crises": {"fr": "Crises", "en": "Crises"},
    "nav.activate": {"fr": "Activer un scénario", "en": "Activate a scenario"},
    "nav.publications": {"fr": "Publications", "en": "Publications"},
    "nav.builds": {"fr": "Publications du site", "en": "Site builds"},
    "nav.site": {"fr": "Voir le site", "en": "View the site"},
    "crises.none": {"fr": "Aucune crise en cours.", "en": "No live crisis."},
    "crisis.level": {"fr": "Niveau", "en": "Level"},
    "crisis.state": {"fr": "État", "en": "State"},
    "crisis.areas": {"fr": "Départements", "en": "Areas"},
    "crisis.change_level": {"fr": "Changer le niveau", "en": "Change level"},
    "crisis.de_escalate": {"fr": "Désescalader", "en": "De-escalate"},
    "crisis.re_escalate": {"fr": "Réactiver", "en": "Re-escalate"},
    "crisis.close": {"fr": "Clore la crise", "en": "Close the crisis"},
    "reason": {"fr": "Motif", "en": "Reason"},
    "activate.scenario": {"fr": "Scénario", "en": "Scenario"},
    "activate.areas": {"fr": "Départements (codes séparés par des virgules, vide = national)",
                       "en": "Areas (comma-separated codes, empty = national)"},
    "activate.title": {"fr": "Titre public (facultatif)", "en": "Public title (optional)"},
    "activate.preview": {"fr": "Prévisualiser", "en": "Preview"},
    "activate.confirm": {"fr": "Activer maintenant", "en": "Activate now"},
    "activate.will_publish": {"fr": "Ce qui sera mis en ligne", "en": "What will go live"},
    "activate.done": {"fr": "Crise activée", "en": "Crisis activated"},
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
    "error": {"fr": "Erreur", "en": "Error"},
}


def t(key: str, lang: str) -> str:
    entry = MESSAGES[key]
    return entry.get(lang if lang in LANGS else "fr") or entry["fr"]
