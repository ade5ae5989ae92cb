"""What citizens read about their alert subscriptions (pages, e-mails): French first, English."""

from __future__ import annotations

from typing import Final

from crisis.i18n import Table, translate

MESSAGES: Final[Table] = {
    "title": {"fr": "Alertes par département", "en": "Alerts by area"},
    "confirm.subject": {"fr": "Confirmez votre abonnement aux alertes",
                        "en": "Confirm your subscription to alerts"},
    "confirm.body": {
        "fr": "Bonjour,\n\nVous (ou quelqu'un avec votre adresse) avez demandé à recevoir par "
              "courriel les alertes officielles pour : {areas}.\n\nPour confirmer, ouvrez ce "
              "lien (valable {hours} heures) :\n{link}\n\nSi vous n'avez rien demandé, ignorez "
              "ce message : vous ne recevrez rien.\n\n{service}",
        "en": "Hello,\n\nYou (or someone using your address) asked to receive the official "
              "alerts by e-mail for: {areas}.\n\nTo confirm, open this link (valid for {hours} "
              "hours):\n{link}\n\nIf you did not ask for this, ignore this message: you will "
              "receive nothing.\n\n{service}"},
    "service": {"fr": "Information de crise du Gouvernement",
                "en": "Government crisis information"},
    "confirmed.title": {"fr": "Abonnement confirmé", "en": "Subscription confirmed"},
    "confirmed.text": {
        "fr": "Vous recevrez par courriel les alertes officielles pour : {areas}.",
        "en": "You will receive the official alerts by e-mail for: {areas}."},
    "confirmed.stop": {
        "fr": "Chaque alerte contient un lien pour vous désabonner.",
        "en": "Every alert has a link to unsubscribe."},
    "unsubscribed.title": {"fr": "Désabonnement effectué", "en": "You are unsubscribed"},
    "unsubscribed.text": {
        "fr": "Vous ne recevrez plus d'alertes par courriel à cette adresse.",
        "en": "You will no longer receive alerts by e-mail at this address."},
    "invalid.title": {"fr": "Lien invalide ou expiré", "en": "Invalid or expired link"},
    "invalid.text": {
        "fr": "Ce lien n'est pas valable ou a expiré. Vous pouvez refaire la demande depuis "
              "le site.",
        "en": "This link is not valid or has expired. You can ask again from the site."},
    "form.invalid.title": {"fr": "Demande à corriger", "en": "Please correct your request"},
    "back": {"fr": "Retour au site d'information", "en": "Back to the information site"},
    "sent.title": {"fr": "Vérifiez votre messagerie", "en": "Check your inbox"},
    "sent.text": {
        "fr": "Si l'adresse est valide, un courriel de confirmation vient d'y être envoyé. "
              "Ouvrez le lien qu'il contient pour recevoir les alertes.",
        "en": "If the address is valid, a confirmation e-mail has just been sent to it. Open "
              "the link it contains to receive the alerts."},
    "alert.stop": {"fr": "Se désabonner : {link}", "en": "Unsubscribe: {link}"},
}


def t(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)
