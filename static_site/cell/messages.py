"""Message table of the site's cell pages (publications, builds): French first, English
available. The words every cell page shares (menu, crisis, areas, reason) are the core's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.alert_texts import STOP_HINT
from crisis.i18n import translate
from crisis.state_labels import state_label
from crisis.types import EventType

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "pub.new": {"fr": "Nouvelle publication", "en": "New publication"},
    "pub.edit_draft": {"fr": "Modifier le brouillon", "en": "Edit the draft"},
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
    "pub.alert": {"fr": "Alerte aux abonnés", "en": "Alert to subscribers"},
    "pub.push": {"fr": "Diffuser aux abonnés", "en": "Broadcast to subscribers"},
    "pub.push_help": {
        "fr": "À la publication, chaque abonné des départements de la publication (tous, sans "
              "département) reçoit le message court par SMS, Telegram, notification, et le texte "
              "complet par e-mail.",
        "en": "When published, every subscriber of the publication's areas (all of them, with no "
              "area) gets the short message by SMS, Telegram, notification, and the full text by "
              "e-mail."},
    "pub.short": {"fr": "Message court (SMS, Telegram, notification)",
                  "en": "Short message (SMS, Telegram, notification)"},
    "pub.short_help": {"fr": "La phrase essentielle ; vide, le titre est envoyé. Le lien vers la "
                             "publication et la mention STOP s'ajoutent.",
                       "en": "The essential sentence; when empty, the title is sent. The link to "
                             "the publication and how to stop are added."},
    "pub.will_push": {"fr": "Sera diffusée aux abonnés dès sa publication.",
                      "en": "Will be broadcast to subscribers when published."},
    "pub.pushed": {"fr": "Diffusée aux abonnés à sa publication.",
                   "en": "Broadcast to subscribers when published."},
    "pub.no_push": {"fr": "Pas de diffusion aux abonnés.", "en": "No broadcast to subscribers."},
    "pub.see_broadcast": {"fr": "Voir la diffusion et son avancement",
                          "en": "See the broadcast and its progress"},
    "pub.broadcast": {"fr": "Diffusion", "en": "Broadcast"},
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

# The words of the publication form's script (cell_publication.js): the SMS counter and the
# broadcast preview. {n}, {channel}, {d}... are filled in by the script.
FORM_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "count": {"fr": "{chars} caractères : {sms} SMS ({encoding})",
              "en": "{chars} characters: {sms} SMS ({encoding})"},
    "count_full": {"fr": "Avec le lien et la mention STOP : {chars} caractères, {sms} SMS.",
                   "en": "With the link and how to stop: {chars} characters, {sms} SMS."},
    "ucs2": {"fr": "« {char} » n'est pas dans l'alphabet SMS : 70 caractères par SMS au lieu "
                   "de 160.",
             "en": "\"{char}\" is not in the SMS alphabet: 70 characters per SMS instead of 160."},
    "title_sent": {"fr": "Vide : le titre sera envoyé.", "en": "Empty: the title will be sent."},
    "first.one": {"fr": "{n} abonné par {channel}", "en": "{n} subscriber by {channel}"},
    "first.many": {"fr": "{n} abonnés par {channel}", "en": "{n} subscribers by {channel}"},
    "next": {"fr": "{n} par {channel}", "en": "{n} by {channel}"},
    "eta": {"fr": "envoi estimé : {d}", "en": "estimated sending time: {d}"},
    "sep": {"fr": " ; ", "en": "; "},
    "none": {"fr": "Aucun abonné dans ces départements : personne ne recevra d'alerte.",
             "en": "No subscriber in these areas: nobody will get an alert."},
    "national": {"fr": "Toute la France (aucun département indiqué) : ",
                 "en": "The whole country (no area given): "},
    "loading": {"fr": "Calcul des destinataires…", "en": "Counting the recipients…"},
    "bad_areas": {"fr": "Départements à corriger (ex. 75, 2A, 971) : aperçu impossible.",
                  "en": "Areas to correct (e.g. 75, 2A, 971): no preview."},
    "failed": {"fr": "Aperçu indisponible pour l'instant.", "en": "Preview unavailable for now."},
    "channel.sms": {"fr": "SMS", "en": "SMS"},
    "channel.telegram": {"fr": "Telegram", "en": "Telegram"},
    "channel.email": {"fr": "e-mail", "en": "e-mail"},
    "channel.push": {"fr": "notification", "en": "notification"},
    # What the broadcast adds to an SMS alert (crisis/alert_texts.py), in its longest form
    # (French), for the count whatever the page's language.
    "stop_hint": {"fr": STOP_HINT["sms"]["fr"], "en": STOP_HINT["sms"]["fr"]},
}


def form_words(lang: str) -> dict[str, str]:
    """FORM_WORDS in `lang`, for the form's script (a JSON attribute)."""
    return {key: translate(FORM_WORDS, key, lang) for key in FORM_WORDS}


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
