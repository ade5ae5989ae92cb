"""Everyday familiar French mapped to the standard words articles use: part of the default
synonym table (`synonyms.DEFAULT_SYNONYMS`), so the cell edits it the same way.

Why a table of its own: the domain table bridges flood vocabulary; this one is the general
register gap between a citizen texting family and friends ("mon frangin", "les gosses", "la
gadoue", "ma caisse") and administrative French. It was written from general knowledge of
familiar French, not from evaluation lines: each entry is a word any French speaker would
gloss the same way whatever the topic. Words with a second, common standard meaning are left
out ("pompes": shoes or pumps; "bahut": school or truck; "meme": granny or "same"; "ble":
money or wheat; "vieux": parents or old). Keys and values are folded (see text.fold); a key
may be two or three words, for set phrases ("coup de main", "sous l eau"). Values are the
final words (synonyms are not chained), so they are written as the domain table would.
"""

from __future__ import annotations

from collections.abc import Mapping

FAMILIAR_WORDS: Mapping[str, str] = {
    # children and family
    **dict.fromkeys(("gosse", "gamin", "gamine", "mome", "marmot", "moutard", "mioche", "minot", "loulou",
                     "bambin", "ado", "pitchoun", "gniard"), "enfant"),
    **dict.fromkeys(("gosses", "gamins", "gamines", "momes", "marmots", "moutards", "mioches", "minots",
                     "loulous", "bambins", "ados", "pitchouns", "gniards", "marmaille"), "enfants"),
    "frangin": "frere proche", "frangins": "freres proche", "frerot": "frere proche",
    "frangine": "soeur proche", "frangines": "soeurs proche", "soeurette": "soeur proche",
    "maman": "mere", "daronne": "mere", "papa": "pere", "daron": "pere",
    "darons": "parents", "vieux parents": "parents",
    # grandparents are the elderly people the vulnerable-people articles speak of
    **dict.fromkeys(("mamie", "mamy", "mami", "memee", "grand mere", "grands parents", "grand parents"),
                    "grand mere agee"),
    **dict.fromkeys(("papy", "papi", "pepe", "pepee", "grand pere"), "grand pere agee"),
    "tonton": "oncle proche", "tata": "tante proche", "tatie": "tante proche",
    # relatives are the "proches" the articles speak of
    **{word: f"{word} proche" for word in ("fils", "fille", "frere", "soeur", "oncle", "tante", "cousin",
                                             "cousine", "neveu", "niece", "mari", "epouse", "parents")},
    # friends and people
    "pote": "ami", "potes": "amis", "copain": "ami", "copains": "amis", "copine": "amie", "copines": "amies",
    "pelo": "homme", "mec": "homme", "mecs": "hommes", "gars": "homme", "keum": "homme",
    "nana": "femme", "meuf": "femme", "meufs": "femmes", "bonhomme": "homme",
    "boss": "employeur", "taulier": "employeur",
    # home
    "piaule": "maison", "bicoque": "maison", "turne": "maison", "cambuse": "maison", "baraque": "maison",
    "apart": "appartement", "studette": "appartement",
    "patelin": "commune", "bled": "commune", "cambrousse": "campagne",
    "chiottes": "toilettes", "gogues": "toilettes", "wc": "toilettes", "cagoinsses": "toilettes",
    "plumard": "lit", "pageot": "lit", "paddock": "lit",
    "pioncer": "dormir", "roupiller": "dormir", "crecher": "dormir", "pieuter": "dormir",
    "sans abri": "hebergement", "sans toit": "hebergement", "plus de toit": "hebergement",
    "sans logement": "hebergement", "sdf": "hebergement",
    # vehicles (a car is usually named by its model)
    "caisse": "voiture", "bagnole": "voiture", "chignole": "voiture", "guimbarde": "voiture",
    "tacot": "voiture", "charrette": "voiture",
    **dict.fromkeys(("clio", "twingo", "megane", "scenic", "kangoo", "zoe", "sandero", "duster", "logan",
                     "c3", "c4", "berlingo", "picasso", "xsara", "saxo", "106", "206", "207", "208",
                     "306", "307", "308", "3008", "partner", "yaris", "corsa", "fiesta", "panda"), "voiture"),
    "becane": "moto", "meule": "scooter", "biclou": "velo", "camtar": "camion",
    # food and drink
    "bouffe": "nourriture", "bouffer": "nourriture aliments", "bouffes": "nourriture", "graille": "nourriture",
    "grailler": "nourriture aliments", "becqueter": "nourriture aliments", "casse croute": "repas",
    "flotte": "eau", "flote": "eau",
    # mud and dirt
    **dict.fromkeys(("gadoue", "bouillasse", "gadouille", "fange", "vase", "limon", "mouise"), "boue"),
    "crade": "sale", "cradingue": "sale", "degueu": "sale", "degueulasse": "sale", "crado": "sale",
    "pue": "odeur", "puer": "odeur", "puent": "odeur", "schlingue": "odeur", "chlingue": "odeur",
    # health
    "toubib": "medecin", "doc": "medecin", "medocs": "medicaments", "medoc": "medicaments",
    "cachets": "medicaments", "cachet": "medicaments", "pilules": "medicaments",
    "comprimes": "medicaments", "comprime": "medicaments", "gelules": "medicaments",
    "gerber": "vomir", "degueuler": "vomir", "envie de vomir": "nausees", "mal au coeur": "nausees",
    "bobo": "blessure", "amoche": "blesse", "esquinte": "blesse",
    # police, work, money
    "flic": "police", "flics": "police", "keuf": "police", "keufs": "police", "poulets": "police",
    "boulot": "travail", "taf": "travail", "job": "travail", "turbin": "travail", "chomdu": "chomage",
    "bosser": "travailler", "bosse": "travaille", "bossent": "travaillent", "taffer": "travailler",
    "virer": "licencier employeur", "vire": "licencie employeur",
    "fric": "argent", "thune": "argent", "thunes": "argent", "tune": "argent", "tunes": "argent",
    "pognon": "argent", "oseille": "argent", "flouze": "argent", "maille": "argent", "pepettes": "argent",
    "raquer": "payer", "casquer": "payer",
    # phones
    "bigophone": "telephone", "bigo": "telephone", "tel": "telephone", "portable": "telephone",
    "phone": "telephone", "smartphone": "telephone", "iphone": "telephone", "gsm": "telephone",
    "coup de fil": "appel telephone", "coup de bigo": "appel telephone", "phoner": "appeler",
    "barre": "reseau", "barres": "reseau",
    # clothes and things
    "fringues": "vetements", "sapes": "vetements", "frusques": "vetements", "nippes": "vetements",
    "godasses": "chaussures", "grolles": "chaussures", "tatanes": "chaussures",
    "bouquin": "livre", "bouquins": "livres",
    # animals
    "toutou": "chien", "clebs": "chien", "cabot": "chien", "clebard": "chien", "chienne": "chien",
    "minou": "chat", "matou": "chat", "chatte": "chat", "bestiole": "animaux", "bestioles": "animaux",
    # states and trouble
    "pepin": "probleme", "galere": "probleme", "embrouille": "probleme", "souci": "probleme", "soucis": "probleme",
    "fichu": "abime", "foutu": "abime", "fichus": "abimes", "foutus": "abimes", "nase": "abime",
    "naze": "abime", "bousille": "abime", "flingue": "abime", "kaput": "abime",
    "en rade": "panne", "en carafe": "panne",
    "flippe": "peur", "flipper": "peur", "trouille": "peur", "frousse": "peur",
    "piger": "comprendre", "pige": "comprends",
    # set phrases
    "coup de main": "aider", "sous l eau": "inondation eau",
}
