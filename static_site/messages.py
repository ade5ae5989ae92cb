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
}


def t(key: str, lang: str) -> str:
    """The message `key` in `lang` (French when the translation is missing)."""
    return translate(MESSAGES, key, lang)
