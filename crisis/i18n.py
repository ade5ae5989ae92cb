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
    "login.submit": {"fr": "Se connecter", "en": "Log in"},
    "login.failed": {"fr": "Identifiant ou mot de passe incorrect. Vérifiez et réessayez.",
                     "en": "Wrong account name or password. Check them and try again."},
    "login.intro": {"fr": "Espace réservé à la cellule de crise et aux opérateurs.",
                    "en": "For the crisis cell and the operators only."},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "republic": {"fr": "République française", "en": "French Republic"},
    "service": {"fr": "Centre d'information de crise", "en": "Crisis information centre"},
    "other_lang": {"fr": "English", "en": "Français"},
    "logout": {"fr": "Se déconnecter", "en": "Log out"},
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
