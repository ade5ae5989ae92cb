"""Domain synonym tables: colloquial words mapped to the words articles use, editable by the cell."""

from __future__ import annotations

from collections.abc import Mapping

from knowledge_base.familiar import FAMILIAR_WORDS
from knowledge_base.topic_words import TOPIC_WORDS

# A synonym table maps one folded word or two-word phrase (lowercase, no accents) to the
# words that replace it. It is a plain dict so the cell can edit it and it can be stored
# in Redis as a hash; the search index copies it at build time, so edits take effect on
# the next rebuild.
SynonymTable = dict[str, str]

# Why this table exists: citizens text with everyday and slang words; the validated
# answers are written in administrative French. Each entry bridges one such gap that
# stemming cannot (different roots). Keys and values are folded (see text.fold). The general
# familiar-French table (familiar.py) and the everyday names of the articles' topics
# (topic_words.py) come first, so an entry below overrides them.
DEFAULT_SYNONYMS: Mapping[str, str] = {
    **FAMILIAR_WORDS,
    **TOPIC_WORDS,
    # water
    "robinet": "robinet eau",
    "buvable": "potable",
    "boire": "potable boire",
    # vehicles
    "auto": "voiture",
    "vehicule": "voiture",
    "tuture": "voiture",
    "4x4": "voiture",
    # health
    "docteur": "medecin",
    "insuline": "medicaments traitement",
    "samu": "samu urgence",
    # children and school
    "college": "ecole college",
    "lycee": "ecole lycee",
    "maternelle": "ecole",
    "primaire": "ecole",
    "classe": "ecole",
    "cours": "ecole cours",
    # work
    "patron": "employeur",
    "chef": "employeur",
    # police and rescue
    "gendarmes": "gendarmerie",
    "pompier": "pompiers",
    # electricity
    "courant": "electricite",
    "jus": "electricite",
    "edf": "electricite enedis",
    "lumiere": "electricite",
    "disjoncteur": "disjoncteur electricite",
    # food
    "manger": "nourriture aliments",
    "congel": "congelateur",
    "frigo": "refrigerateur",
    # home
    "logement": "maison",
    "appart": "appartement",
    "habitation": "maison",
    "domicile": "maison",
    "chez": "maison",
    "salon": "maison",
    "sous sol": "cave",
    "ss sol": "cave",
    "soussol": "cave",
    # money and papers
    # money words ("argent" itself stays: asked for it is aid, offered it is volunteering)
    "indemnite": "indemnisation",
    "indemnites": "indemnisation",
    "indemnise": "indemnisation",
    "indemnises": "indemnisation",
    "rembourse": "indemnisation",
    "remboursement": "indemnisation",
    "cni": "carte identite",
    "assureur": "assurance",
    "cat nat": "catastrophe naturelle",
    "catnat": "catastrophe naturelle",
    # internet
    "box": "internet",
    # farm animals: the livestock article names few species
    **{word: f"{word} betail elevage" for word in (
        "vache", "vaches", "veau", "veaux", "brebis", "mouton", "moutons", "agneau", "agneaux",
        "chevre", "chevres", "cochon", "cochons", "porc", "porcs", "poule", "poules", "volaille",
        "volailles", "cheval", "chevaux", "troupeau", "troupeaux", "bestiaux", "betail", "ane", "anes")},
    # flood vocabulary
    "crue": "crue inondation",
    "inonde": "inondation",
    "inondee": "inondation",
    "inondes": "inondation",
    "inondees": "inondation",
    "noye": "inondation",
    "noyee": "inondation",
    "submerge": "inondation",
    "submergee": "inondation",
    "sinistres": "sinistre",
    "victimes": "sinistre",
    "dodo": "dormir",
    "bloque": "coupee fermee",
    "bloquee": "coupee fermee",
    "bloquees": "coupees fermees",
    "pieu": "lit",
    "decrue": "decrue baisse",
}


def merge(default: Mapping[str, str], custom: Mapping[str, str]) -> SynonymTable:
    """Return a new table: `default` overridden by `custom`; an empty custom value removes the entry."""
    table: SynonymTable = dict(default)
    for key, value in custom.items():
        if value.strip():
            table[key] = value
        else:
            table.pop(key, None)
    return table
