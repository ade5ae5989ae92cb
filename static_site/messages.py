"""The site's and the cell pages' message table: French first, English available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.i18n import translate

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "republic": {"fr": "République<br>française", "en": "French<br>Republic"},
    "service": {"fr": "Information de crise du Gouvernement",
                "en": "Government crisis information"},
    "skip.content": {"fr": "Aller au contenu", "en": "Skip to content"},
    "skip.emergency": {"fr": "Aller aux numéros d'urgence", "en": "Skip to emergency numbers"},
    "skip.lite": {"fr": "Version texte légère", "en": "Lightweight text version"},
    "lang.switch": {"fr": "English version", "en": "Version française"},
    "breadcrumb": {"fr": "Vous êtes ici :", "en": "You are here:"},
    "home": {"fr": "Accueil", "en": "Home"},
    "home.title": {"fr": "Informations officielles sur les crises en cours",
                   "en": "Official information on ongoing crises"},
    "home.none": {"fr": "Aucune crise en cours. Restez informé sur ce site.",
                  "en": "No ongoing crisis. Stay informed on this site."},
    "home.instructions": {"fr": "Consignes de sécurité", "en": "Safety instructions"},
    "home.crises": {"fr": "Crises en cours", "en": "Ongoing crises"},
    "level": {"fr": "Niveau", "en": "Level"},
    "areas": {"fr": "Départements", "en": "Areas"},
    "areas.national": {"fr": "tout le territoire", "en": "the whole country"},
    "updated": {"fr": "Mis à jour le", "en": "Updated on"},
    "published": {"fr": "Publié le", "en": "Published on"},
    "emergency.title": {"fr": "Numéros d'urgence", "en": "Emergency numbers"},
    "emergency.112": {"fr": "numéro d'urgence européen", "en": "European emergency number"},
    "emergency.18": {"fr": "pompiers", "en": "fire brigade"},
    "emergency.15": {"fr": "SAMU (urgence médicale)", "en": "SAMU (medical emergency)"},
    "emergency.114": {"fr": "personnes sourdes ou malentendantes (SMS, visio, tchat)",
                      "en": "deaf or hard of hearing people (SMS, video, chat)"},
    "contact.title": {"fr": "Nous contacter", "en": "Contact us"},
    "contact.phone": {"fr": "Téléphone", "en": "Phone"},
    "contact.sms": {"fr": "SMS", "en": "Text message"},
    "contact.chat": {"fr": "Tchat", "en": "Web chat"},
    "contact.telegram": {"fr": "Telegram", "en": "Telegram"},
    "contact.email": {"fr": "Courriel", "en": "E-mail"},
    "contact.note": {"fr": "Pour une urgence vitale, appelez le 112.",
                     "en": "In a life-threatening emergency, call 112."},
    "crisis.publications": {"fr": "Messages officiels", "en": "Official messages"},
    "crisis.articles": {"fr": "Questions fréquentes", "en": "Frequently asked questions"},
    "publication.easy": {"fr": "Version facile à lire", "en": "Easy-read version"},
    "publication.full": {"fr": "Version complète", "en": "Full version"},
    "publication.cap": {"fr": "Alerte au format CAP", "en": "Alert in CAP format"},
    "articles": {"fr": "Questions et réponses", "en": "Questions and answers"},
    "topics": {"fr": "Thèmes", "en": "Topics"},
    "topic": {"fr": "Thème", "en": "Topic"},
    "area": {"fr": "Département", "en": "Area"},
    "feeds": {"fr": "Flux", "en": "Feeds"},
    "priority.urgent": {"fr": "Urgent", "en": "Urgent"},
    "priority.high": {"fr": "Important", "en": "Important"},
    "priority.normal": {"fr": "Information", "en": "Information"},
    "notfound.title": {"fr": "Page introuvable", "en": "Page not found"},
    "notfound.text": {"fr": "Cette page n'existe pas ou a été retirée.",
                      "en": "This page does not exist or was withdrawn."},
    "footer.gov": {"fr": "Service d'information du Gouvernement",
                   "en": "Government information service"},
    "lite.note": {"fr": "Version texte. Site complet :", "en": "Text version. Full site:"},
    "state.de-escalating": {"fr": "en cours de levée", "en": "being lifted"},
    "state.active": {"fr": "en cours", "en": "ongoing"},
    "state.closed": {"fr": "terminée", "en": "ended"},
    # A closed crisis's pages and its archived publications: "<ended.title> <date> —
    # <ended.text>", then a link to what is in force now.
    "ended.title": {"fr": "Crise terminée le", "en": "Crisis ended on"},
    "ended.text": {"fr": "ces consignes ne sont plus en vigueur.",
                   "en": "these instructions are no longer in force."},
    "ended.current": {"fr": "Voir la situation actuelle", "en": "See the current situation"},
    "ended.tag": {"fr": "Plus en vigueur", "en": "No longer in force"},
    "ended.publications": {"fr": "Consignes diffusées pendant la crise",
                           "en": "Instructions issued during the crisis"},
    "cap.allclear": {"fr": "Fin d'alerte", "en": "All clear"},
    "cap.allclear.text": {"fr": "La crise est terminée : cette consigne n'est plus en vigueur.",
                          "en": "The crisis is over: this instruction is no longer in force."},
    "cap.allclear.next": {"fr": "Consultez la situation actuelle :",
                          "en": "See the current situation:"},
    "lite.title": {"fr": "Version texte légère", "en": "Lightweight text version"},
    "lite.intro": {"fr": "Pages en texte brut, très légères, pour les connexions lentes.",
                   "en": "Plain-text pages, very light, for slow connections."},
    "lite.home": {"fr": "Consignes et crises en cours (texte)",
                  "en": "Current instructions and crises (text)"},
    "lite.none": {"fr": "Aucune crise en cours.", "en": "No ongoing crisis."},
    "lite.full": {"fr": "Site complet", "en": "Full site"},
    "lite.other": {"fr": "Text version in English", "en": "Version texte en français"},
    # The "receive the alerts" block (templates/site/_alerts.html, assets/alerts.js).
    "alerts.title": {"fr": "Recevoir les alertes", "en": "Receive the alerts"},
    "alerts.intro": {"fr": "Recevez les consignes officielles pour les départements de votre choix.",
                     "en": "Receive the official instructions for the areas you choose."},
    "alerts.areas": {"fr": "Départements (par exemple 75 92 2A 971)",
                     "en": "Areas (départements, e.g. 75 92 2A 971)"},
    "alerts.email": {"fr": "Adresse électronique", "en": "E-mail address"},
    "alerts.email.submit": {"fr": "Recevoir par courriel", "en": "Receive by e-mail"},
    "alerts.email.note": {
        "fr": "Un lien de confirmation vous sera envoyé. Chaque alerte contient un lien pour "
              "vous désabonner.",
        "en": "A confirmation link will be sent to you. Every alert has a link to unsubscribe."},
    "alerts.push.submit": {"fr": "Recevoir sur ce navigateur", "en": "Receive in this browser"},
    "alerts.push.stop": {"fr": "Ne plus recevoir sur ce navigateur",
                         "en": "Stop receiving in this browser"},
    "alerts.push.note": {
        "fr": "Notifications de ce navigateur : il vous demandera votre accord.",
        "en": "Notifications from this browser: it will ask for your permission."},
    "alerts.js.working": {"fr": "Un instant…", "en": "One moment…"},
    "alerts.js.subscribed": {"fr": "C'est fait : ce navigateur recevra les alertes pour {areas}.",
                             "en": "Done: this browser will receive the alerts for {areas}."},
    "alerts.js.unsubscribed": {"fr": "Ce navigateur ne recevra plus d'alertes.",
                               "en": "This browser will no longer receive alerts."},
    "alerts.js.denied": {
        "fr": "Les notifications sont bloquées pour ce site dans votre navigateur : "
              "autorisez-les, ou recevez les alertes par courriel.",
        "en": "Notifications are blocked for this site in your browser: allow them, or "
              "receive the alerts by e-mail."},
    "alerts.js.unavailable": {
        "fr": "Ce navigateur ne peut pas recevoir les alertes : recevez-les par courriel.",
        "en": "This browser cannot receive the alerts: receive them by e-mail."},
    "alerts.js.email_sent": {
        "fr": "Vérifiez votre messagerie : ouvrez le lien de confirmation pour recevoir les alertes.",
        "en": "Check your inbox: open the confirmation link to receive the alerts."},
    "alerts.js.failed": {"fr": "La demande n'a pas abouti : {reason}",
                         "en": "The request failed: {reason}"},
}


def t(key: str, lang: str) -> str:
    """The message `key` in `lang` (French when the translation is missing)."""
    return translate(MESSAGES, key, lang)
