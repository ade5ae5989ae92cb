"""The message table of the user interface: French first, English available.

Every user-facing string of the core goes through `t(key, lang)`; edge packages keep their
own tables in the same shape. A test checks every key has both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.types import LANGS

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "login.title": {"fr": "Connexion", "en": "Log in"},
    "login.name": {"fr": "Identifiant", "en": "Account name"},
    "login.password": {"fr": "Mot de passe", "en": "Password"},
    "login.code": {"fr": "Code de vérification", "en": "Verification code"},
    "login.code_help": {"fr": "Seulement si votre compte en a un : les 6 chiffres de votre "
                                "application d'authentification.",
                        "en": "Only if your account has one: the 6 digits of your "
                              "authenticator app."},
    "login.submit": {"fr": "Se connecter", "en": "Log in"},
    "login.failed": {"fr": "Identifiant, mot de passe ou code de vérification incorrect. "
                           "Vérifiez et réessayez (un code ne sert qu'une fois).",
                     "en": "Wrong account name, password or verification code. Check them and "
                           "try again (a code works once)."},
    "login.intro": {"fr": "Espace réservé à la cellule de crise et aux opérateurs.",
                    "en": "For the crisis cell and the operators only."},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "republic": {"fr": "République française", "en": "French Republic"},
    "service": {"fr": "Centre d'information de crise", "en": "Crisis information centre"},
    "other_lang": {"fr": "English", "en": "Français"},
    "logout": {"fr": "Se déconnecter", "en": "Sign out"},
    # The page shell: the areas' names and menus (crisis.web.shell.navigation).
    "cell.title": {"fr": "Cellule de crise", "en": "Crisis cell"},
    "cell.nav": {"fr": "Menu de la cellule", "en": "Cell menu"},
    "console.title": {"fr": "Console des opérateurs", "en": "Operator console"},
    "nav.crises": {"fr": "Crises", "en": "Crises"},
    "nav.situation": {"fr": "Situation", "en": "Situation"},
    "nav.live_situation": {"fr": "Situation en direct", "en": "Live situation"},
    "nav.rumours": {"fr": "Rumeurs", "en": "Rumours"},
    "nav.activate": {"fr": "Activer un scénario", "en": "Activate a scenario"},
    "nav.publications": {"fr": "Publications", "en": "Publications"},
    "nav.kb": {"fr": "Base de connaissances", "en": "Knowledge base"},
    "nav.builds": {"fr": "Publications du site", "en": "Site builds"},
    "nav.broadcasts": {"fr": "Diffusions d'alertes", "en": "Alert broadcasts"},
    "nav.pulses": {"fr": "Sondages éclair", "en": "Pulse questions"},
    "nav.site": {"fr": "Voir le site", "en": "View the site"},
    "nav.supervision": {"fr": "Supervision", "en": "Supervision"},
    "nav.mine": {"fr": "Mes conversations", "en": "My conversations"},
    "error.label": {"fr": "Erreur", "en": "Error"},
    # The crisis pages of the cell (crisis.web.crisis_pages).
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
    "signed_in_as": {"fr": "Connecté en tant que", "en": "Signed in as"},
    "home./console/": {"fr": "Aller à la console des opérateurs", "en": "Go to the operator console"},
    "home./console/supervisor": {"fr": "Aller à la supervision", "en": "Go to the supervision board"},
    "home./cell/": {"fr": "Aller à l'espace de la cellule de crise", "en": "Go to the crisis cell's pages"},
    "error.next": {"fr": "Où aller maintenant", "en": "Where to go now"},
    "error.sign_in": {"fr": "Se connecter", "en": "Sign in"},
    "error.sign_in_other": {"fr": "Se connecter avec un autre compte",
                            "en": "Sign in with another account"},
    "error.site": {"fr": "Consulter le site d'information public", "en": "Read the public information site"},
    "error.detail": {"fr": "Détail", "en": "Detail"},
    "error.code": {"fr": "Erreur {status}", "en": "Error {status}"},
    "error.403.title": {"fr": "Accès refusé", "en": "Access denied"},
    "error.403.text": {"fr": "Votre compte ne donne pas accès à cette page.",
                       "en": "Your account does not give access to this page."},
    "error.403.role": {"fr": "Votre compte « {name} » ({role}) ne donne pas accès à cette page.",
                       "en": "Your account “{name}” ({role}) does not give access to this page."},
    "error.csrf.title": {"fr": "Formulaire expiré", "en": "Form expired"},
    "error.csrf.text": {"fr": "Ce formulaire n'est plus valable (la page était ancienne ou la "
                              "session a changé). Revenez en arrière, rechargez la page et "
                              "réessayez.",
                        "en": "This form is no longer valid (the page was old or the session "
                              "changed). Go back, reload the page and try again."},
    "error.401.title": {"fr": "Connexion nécessaire", "en": "Sign-in needed"},
    "error.401.text": {"fr": "Cette page est réservée aux comptes de la cellule de crise et des "
                             "opérateurs. Connectez-vous pour continuer.",
                       "en": "This page is for the crisis cell's and the operators' accounts. "
                             "Sign in to go on."},
    "error.404.title": {"fr": "Page introuvable", "en": "Page not found"},
    "error.404.text": {"fr": "Cette page n'existe pas ou n'existe plus. Vérifiez l'adresse, ou "
                             "repartez d'un des liens ci-dessous.",
                       "en": "This page does not exist or no longer exists. Check the address, "
                             "or start again from one of the links below."},
    "error.500.title": {"fr": "Erreur du service", "en": "Service error"},
    "error.500.text": {"fr": "Un incident nous empêche d'afficher cette page. Il a été "
                             "enregistré pour l'équipe technique. Réessayez dans un instant.",
                       "en": "A fault stops us from showing this page. It was logged for the "
                             "technical team. Try again in a moment."},
    "error.other.title": {"fr": "Demande impossible", "en": "Request not possible"},
    "error.other.text": {"fr": "Cette demande ne peut pas aboutir telle quelle.",
                         "en": "This request cannot be carried out as it is."},
}


Table = Mapping[str, Mapping[str, str]]


def translate(table: Table, key: str, lang: str) -> str:
    """The entry `key` of a message table in `lang`, French when the language or the
    translation is missing. Every package's table is read through this one function."""
    entry = table[key]
    return entry.get(lang if lang in LANGS else "fr") or entry["fr"]


def t(key: str, lang: str) -> str:
    """The core's message `key` in `lang`."""
    return translate(MESSAGES, key, lang)


def pick_lang(query_lang: str | None, accept_language: str) -> str:
    """?lang= wins; then the first supported language of Accept-Language; then French."""
    if query_lang in LANGS:
        return query_lang
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "fr"


def translate_count(table: Table, key: str, n: int, lang: str) -> str:
    """The entry `key.one` or `key.many` for the number `n`, in `lang`, with `{n}` filled in
    (other placeholders are the caller's). French counts 0 and 1 as singular, English 1 only."""
    one = n == 1 or (lang != "en" and n == 0)
    return translate(table, f"{key}.{'one' if one else 'many'}", lang).replace("{n}", str(n))


def percent(fraction: float | None, lang: str, digits: int = 1) -> str:
    """A share as people read it: 0.625 -> "62,5 %" (French) or "62.5 %" (a narrow no-break
    space before the sign); a dash when there is none."""
    if fraction is None:
        return "–"
    text = f"{float(fraction) * 100:.{digits}f}"
    return (text if lang == "en" else text.replace(".", ",")) + "\u202f%"


def duration(seconds: float | None) -> str:
    """A duration as people read it, in either language: 42 s, 3 min 05 s, 2 h 05 min; a dash
    when there is none."""
    if seconds is None:
        return "–"
    total = int(round(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"
