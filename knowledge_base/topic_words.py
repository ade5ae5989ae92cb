"""Everyday names of the things the flood articles are about, mapped to the words the articles
use: part of the default synonym table (`synonyms.DEFAULT_SYNONYMS`), edited by the cell the
same way.

Why: an article names a thing once, in the administration's word ("groupe électrogène",
"électroménager", "opérateur"), and citizens name it in the shop's word ("générateur", "machine
à laver", "SFR"). Each entry is the common name of a thing in the article's topic, written
topic by topic from general knowledge, not from evaluation lines. A value keeps the word
itself when the word may appear in an article ("ruisseau riviere"), and only adds the
article's word. Keys are folded words or two- or three-word phrases.
"""

from __future__ import annotations

from collections.abc import Mapping

TOPIC_WORDS: Mapping[str, str] = {
    # generators and heaters (carbon monoxide)
    "generateur": "groupe electrogene", "generateurs": "groupe electrogene",
    "poele": "poele chauffage", "brasero": "chauffage monoxyde", "barbecue": "barbecue monoxyde",
    "radiateur": "chauffage", "radiateurs": "chauffage",
    # household appliances
    **dict.fromkeys(("machine a laver", "lave linge", "lave vaisselle", "seche linge", "micro ondes",
                     "four", "cuisiniere", "chauffe eau", "ballon eau"), "electromenager appareils"),
    "congelo": "congelateur", "surgeles": "congeles aliments", "surgele": "congele aliments",
    # wounds (tetanus)
    "rouille": "rouille tetanos", "rouillee": "rouille tetanos", "rouilles": "rouille tetanos",
    "rouillees": "rouille tetanos", "entaille": "plaie blessure", "egratignure": "plaie blessure",
    "ecorchure": "plaie blessure", "griffure": "plaie blessure",
    # damp and mould
    "salpetre": "humidite", "condensation": "humidite", "moisi": "moisi moisissures",
    # waste
    "poubelle": "dechets", "poubelles": "dechets", "ordures": "dechets", "benne": "dechets",
    "bennes": "dechets", "deblayer": "debarrasser", "debris": "dechets gravats",
    # businesses (financial aid)
    "commercant": "entreprise professionnel", "commercants": "entreprises professionnels",
    "artisan": "entreprise professionnel", "artisans": "entreprises professionnels",
    "auto entrepreneur": "entreprise professionnel", "entrepreneur": "entreprise professionnel",
    # housing the evacuated
    "hotel": "hebergement", "gite": "hebergement", "abri": "hebergement", "loger": "hebergement",
    "reloger": "hebergement", "relogement": "hebergement", "reloges": "hebergement",
    # phone networks
    "sfr": "operateur reseau", "bouygues": "operateur reseau", "4g": "reseau internet",
    "5g": "reseau internet", "3g": "reseau internet", "signal": "reseau",
    "forfait": "operateur",
    # public transport
    "ter": "train", "tgv": "train", "rer": "train", "autocar": "car bus", "navette": "bus",
    "tram": "transport", "tramway": "transport", "metro": "transport",
    # schools
    "creche": "ecole", "cantine": "ecole", "eleve": "ecole", "eleves": "ecole",
    "maitresse": "ecole", "instit": "ecole",
    # roads
    "autoroute": "routes", "praticable": "ouverte circulation", "praticables": "ouvertes circulation",
    "barree": "coupee fermee", "barrees": "coupees fermees",
    # insurers
    **dict.fromkeys(("maif", "macif", "matmut", "axa", "groupama", "allianz", "gmf", "maaf", "mma",
                     "generali", "mutuelle"), "assurance"),
    "constat": "declaration", "expertise": "expert",
    # papers
    "carte grise": "papiers", "livret de famille": "papiers", "acte de naissance": "actes",
    # medicine
    "sirop": "medicaments", "diabete": "traitement", "dialyse": "traitement",
    # vulnerable people
    "ehpad": "personnes agees", "senior": "agee", "seniors": "agees", "fauteuil roulant": "handicap",
    "alite": "fragile", "grabataire": "fragile",
    # pets
    **{word: f"{word} animaux" for word in ("lapin", "lapins", "hamster", "perroquet", "oiseau", "oiseaux",
                                             "tortue", "furet", "cochon inde")},
    "veterinaire": "animaux", "veto": "animaux",
    # taking refuge upstairs
    "grenier": "etage", "combles": "etage", "mezzanine": "etage",
    # gas
    "butane": "gaz", "propane": "gaz", "grdf": "gaz",
    # the river and the flood
    "deborde": "crue", "debordement": "crue", "deborder": "crue", "debordent": "crue",
    "fleuve": "riviere", "ruisseau": "ruisseau riviere", "torrent": "riviere", "cours d eau": "riviere",
    "sirene": "alerte", "sirenes": "alerte", "alarme": "alerte",
    # volunteering
    "volontaire": "benevole", "volontaires": "benevole", "benevoles": "benevole",
    # work
    **dict.fromkeys(("cdd", "cdi", "interim", "interimaire", "stage", "stagiaire"), "travail emploi"),
    "licenciement": "employeur", "licencier": "employeur", "licencie": "employeur",
    # cleaning
    "karcher": "nettoyer", "serpilliere": "nettoyage", "balai": "nettoyage",
}
