"""Words of the cell's broadcasts page (/cell/broadcasts): French first, English available.
The words every cell page shares (menu, areas) are the core's (crisis.i18n)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "title": {"fr": "Diffusions d'alertes", "en": "Alert broadcasts"},
    "intro": {"fr": "Chaque publication marquée « Diffuser aux abonnés » est envoyée, une fois "
                    "publiée, à tous les abonnés de ses départements. Cette page se met à jour "
                    "toute seule toutes les 2 secondes.",
              "en": "Each publication marked \"Broadcast to subscribers\" is sent, once "
                    "published, to every subscriber of its areas. This page updates itself "
                    "every 2 seconds."},
    "refresh": {"fr": "Actualiser", "en": "Refresh"},
    "updated": {"fr": "Mis à jour à", "en": "Updated at"},
    "none": {"fr": "Aucune diffusion pour l'instant.", "en": "No broadcast yet."},
    "none_for": {"fr": "Aucune diffusion récente pour cette publication.",
                 "en": "No recent broadcast for this publication."},
    "only_for": {"fr": "Diffusions de la publication", "en": "Broadcasts of the publication"},
    "all": {"fr": "Voir toutes les diffusions", "en": "See all broadcasts"},
    "publication": {"fr": "Publication", "en": "Publication"},
    "state": {"fr": "État", "en": "State"},
    "state.preparing": {"fr": "Préparation des destinataires", "en": "Preparing the recipients"},
    "state.sending": {"fr": "Envoi en cours", "en": "Sending"},
    "state.done": {"fr": "Terminée", "en": "Finished"},
    "state.cancelled": {"fr": "Arrêtée", "en": "Stopped"},
    "created": {"fr": "Créée le", "en": "Created"},
    "finished": {"fr": "Fin", "en": "Ended"},
    "national": {"fr": "toute la France", "en": "the whole country"},
    "summary": {"fr": "{done} traités sur {total} ({pct} %)",
                "en": "{done} handled out of {total} ({pct}%)"},
    "eta": {"fr": "Fin estimée dans", "en": "Estimated time left"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "by_channel": {"fr": "Avancement par canal", "en": "Progress per channel"},
    "nobody": {"fr": "aucun abonné", "en": "no subscriber"},
    "progress": {"fr": "Avancement", "en": "Progress"},
    "total": {"fr": "Destinataires", "en": "Recipients"},
    "sent": {"fr": "Envoyés", "en": "Sent"},
    "failed": {"fr": "Échecs", "en": "Failed"},
    "unknown": {"fr": "Incertains", "en": "Unknown"},
    "unknown_help": {"fr": "Incertains : envoi interrompu par une panne, le fournisseur ne peut "
                           "pas dire s'il est parti ; jamais renvoyé, pour que personne ne le "
                           "reçoive deux fois.",
                     "en": "Unknown: a send interrupted by a crash, whose outcome the provider "
                           "cannot tell; never sent again, so nobody gets it twice."},
    "remaining": {"fr": "Restants", "en": "Remaining"},
    "failures": {"fr": "Échecs par motif", "en": "Failures by reason"},
    "stop": {"fr": "Arrêter la diffusion", "en": "Stop the broadcast"},
    "confirm.title": {"fr": "Arrêter la diffusion ?", "en": "Stop the broadcast?"},
    "confirm.what": {
        "fr": "La diffusion de « {title} » s'arrête au prochain lot. Les messages déjà envoyés "
              "le restent ; les {remaining} destinataires restants ne la recevront pas.",
        "en": "The broadcast of \"{title}\" stops at the next batch. The messages already "
              "sent stay sent; the {remaining} remaining recipients will not get it."},
    "confirm.yes": {"fr": "Oui, arrêter la diffusion", "en": "Yes, stop the broadcast"},
    "confirm.no": {"fr": "Non, continuer la diffusion", "en": "No, keep broadcasting"},
    "subscribers": {"fr": "Abonnés par département et canal", "en": "Subscribers per area and channel"},
    "subscribers.help": {"fr": "Les départements les plus suivis d'abord.",
                         "en": "The most followed areas first."},
    "subscribers.none": {"fr": "Personne n'est abonné aux alertes pour l'instant.",
                         "en": "Nobody has subscribed to alerts yet."},
    "area": {"fr": "Département", "en": "Area"},
    "all_areas": {"fr": "Total", "en": "Total"},
    "by_channel.sms": {"fr": "SMS", "en": "SMS"},
    "by_channel.telegram": {"fr": "Telegram", "en": "Telegram"},
    "by_channel.email": {"fr": "E-mail", "en": "E-mail"},
    "by_channel.push": {"fr": "Notification", "en": "Notification"},
    # Why a send failed (channels/alerts/sending.py `_reason`).
    "reason.gone": {"fr": "adresse disparue (abonnement supprimé)",
                    "en": "address gone (subscription removed)"},
    "reason.blocked": {"fr": "bot bloqué par l'abonné (abonnement supprimé)",
                       "en": "bot blocked by the subscriber (subscription removed)"},
    "reason.invalid": {"fr": "numéro ou adresse invalide (abonnement supprimé)",
                       "en": "invalid number or address (subscription removed)"},
    "reason.unreachable": {"fr": "injoignable", "en": "unreachable"},
    "reason.refused": {"fr": "refusé par le fournisseur", "en": "refused by the provider"},
    "reason.retryable": {"fr": "fournisseur indisponible", "en": "provider unavailable"},
    "shortcuts": {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"},
    "key.jk": {"fr": "diffusion suivante / précédente", "en": "next / previous broadcast"},
    "key.x": {"fr": "arrêter la diffusion choisie (une confirmation est demandée)",
              "en": "stop the chosen broadcast (asks for confirmation)"},
    "key.r": {"fr": "actualiser maintenant", "en": "refresh now"},
    "key.tab": {"fr": "liens et boutons, dans l'ordre de la page",
                "en": "links and buttons, in page order"},
}
