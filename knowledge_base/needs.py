"""Query expansion for bare articles: the needs a told situation expresses, and the general word for
a specific one. Added to a question at a reduced weight (`search.EXPANSION_WEIGHT`), never to articles.

Why: at crisis start an article is one question and one answer, in the cell's general words
("écoles", "routes", "animaux", "personnes âgées ou fragiles", "hébergement"), and citizens
tell a situation ("on a nulle part où dormir", "ma mère ne répond plus") or name a specific thing
("le collège", "la D118", "mon caniche"). The synonym table replaces words on both sides at full
weight; these lists only add words to the question, at a lower weight, so a question that already
names the article's words is ranked as before, and the auto-answer's evidence ignores them.

Written from general knowledge of French (and a little English), category by category, not from
evaluation lines or articles: each entry is what any speaker would say the words mean whatever the
crisis. Keys are folded words or two- to four-word phrases; values are folded words (the index keeps
only those some article uses). A key the synonym table also holds is expanded from the question's
own words, before synonyms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Needs, each as the words a cell's article about that need uses.
_SHELTER = "hebergement dormir loger nuit"
_EVACUATION = "evacuer evacuation quitter"
_MONEY = "aides financieres indemnisation"
_NEWS = "nouvelles proche joindre"
_HEALTH = "blessure soins medecin sante"
_VULNERABLE = "personne agee fragile isolee vulnerable"
_FOOD = "nourriture aliments"
_DRINKING = "eau potable boire"
_POWER = "electricite coupure"
_DONATE = "dons donner aider"
_GO_BAG = "kit urgence emporter"
_HOME_AGAIN = "rentrer retour"

# Situations told instead of asked, mapped to the need they express.
SITUATION_NEEDS: Mapping[str, str] = {
    # nowhere to sleep
    **dict.fromkeys(("nulle part", "a la rue", "dehors", "passer la nuit", "pour la nuit",
                     "plus de maison", "plus de toit", "sans toit", "sans abri", "on va ou", "aller ou",
                     "on dort ou", "dormir ou"), _SHELTER),
    # told to leave
    **dict.fromkeys(("partir", "quitter", "obliger", "obligent", "oblige", "obliges", "ordonne", "ordonnent",
                     "haut parleur", "megaphone", "faut partir", "doit partir", "evacue", "evacuee", "evacues"),
                    _EVACUATION),
    # lost everything, cannot pay
    **dict.fromkeys(("tout perdu", "plus rien", "pas d assurance", "pas assure", "sans assurance", "qui paye",
                     "qui paie", "ruine", "ruines", "fins de mois"), _MONEY),
    # ("argent", "payer", "sous" are left out: money asked for is aid, money offered is a donation.)
    # no news of someone
    **dict.fromkeys(("repond plus", "repond pas", "injoignable", "injoignables", "sans nouvelles",
                     "pas de nouvelles", "joindre", "sonne dans le vide", "messagerie", "disparu", "disparue"),
                    _NEWS),
    # hurt or ill
    **dict.fromkeys(("tousse", "tousser", "toux", "fievre", "saigne", "saigner", "sang", "coupe la main",
                     "me suis coupe", "me suis coupee", "suis blesse", "suis blessee", "ouvert le", "mal a",
                     "mal au", "douleur", "malade", "malades", "vomi", "vomit", "diarrhee", "plaie"), _HEALTH),
    # hungry, thirsty, in the dark
    **dict.fromkeys(("faim", "rien a manger", "plus a manger", "plus de nourriture"), _FOOD),
    **dict.fromkeys(("soif", "plus d eau", "rien a boire", "plus a boire", "packs d eau", "pack d eau",
                     "bouteilles d eau"), _DRINKING),
    **dict.fromkeys(("noir complet", "dans le noir", "plus de courant", "plus de lumiere", "plus d electricite",
                     "sans courant", "sans electricite"), _POWER),
    # someone alone or frail
    **dict.fromkeys(("tout seul", "toute seule", "seul chez", "seule chez", "vit seul", "vit seule", "isole",
                     "isolee", "handicape", "handicapee", "handicap", "invalide", "alite", "alitee",
                     "grabataire", "dependant", "dependante", "en fauteuil"), _VULNERABLE),
    # about to leave: what to take
    **dict.fromkeys(("quoi prendre", "a prendre", "prendre avec", "quoi emporter", "a emporter", "rassembler",
                     "affaires a", "preparer un sac", "sac a dos", "partir vite", "partir en vitesse",
                     "filer vite", "filer en vitesse"), _GO_BAG),
    # going back home
    **dict.fromkeys(("retourner", "retourne", "regagner", "revenir", "reintegrer", "se reinstaller",
                     "reinstaller", "rentrer chez"), _HOME_AGAIN),
    # giving things
    **dict.fromkeys(("deposer des", "donner des", "a donner", "apporter des", "cagnotte", "collecte"), _DONATE),
}

# Specific words mapped to the general word an article would use (kinds of schools, animals,
# roads, vehicles, people, buildings, papers, food...).
HYPERNYMS: Mapping[str, str] = {
    # schools
    **dict.fromkeys(("college", "colleges", "lycee", "lycees", "maternelle", "primaire", "creche", "creches",
                     "fac", "universite", "scolaire", "scolaires", "ramassage scolaire", "sixieme", "cinquieme",
                     "quatrieme", "troisieme", "seconde", "terminale", "6e", "5e", "4e", "3e", "cp", "ce1", "ce2",
                     "cm1", "cm2", "eleve", "eleves", "instituteur", "institutrice", "prof", "profs"), "ecole ecoles"),
    # animals kept at home
    **dict.fromkeys(("chien", "chiens", "chat", "chats", "chaton", "chatons", "chiot", "chiots", "caniche",
                     "labrador", "berger", "teckel", "lapin", "lapins", "hamster", "cochon d inde", "perruche",
                     "perroquet", "canari", "oiseau", "oiseaux", "poisson rouge", "tortue", "furet", "nac"),
                    "animaux compagnie"),
    # farm animals
    **dict.fromkeys(("vache", "vaches", "veau", "veaux", "brebis", "mouton", "moutons", "chevre", "chevres",
                     "cochon", "cochons", "porc", "porcs", "poule", "poules", "cheval", "chevaux", "troupeau",
                     "troupeaux", "traite", "bergerie", "etable", "poulailler", "genisse", "genisses", "taureau",
                     "taureaux", "boeuf", "boeufs", "agneau", "agneaux", "canard", "canards", "eleveur",
                     "exploitant agricole", "agriculteur", "ferme"), "animaux elevage"),
    # roads (numbered roads are matched by ROAD_NUMBER below)
    **dict.fromkeys(("departementale", "nationale", "autoroute", "rocade", "periph", "peripherique", "voie rapide",
                     "pont", "gue", "deviation", "deviations", "itineraire", "bouchon", "bouchons"), "route routes"),
    # vehicles
    **dict.fromkeys(("pick up", "pickup", "4x4", "suv", "camionnette", "utilitaire", "fourgon", "camping car",
                     "break", "citadine", "berline", "poids lourd", "camion"), "voiture vehicule"),
    # frail people
    **dict.fromkeys(("vieille dame", "vieux monsieur", "personne agee", "personnes agees", "retraite", "retraitee",
                     "voisine agee", "voisin age", "malvoyant", "malvoyante", "aveugle", "diabetique", "dialyse",
                     "oxygene"), _VULNERABLE),
    # (hard of hearing is deaf: the word an article about calling for help without speaking uses)
    **dict.fromkeys(("malentendant", "malentendante", "malentendants", "surdite"), "sourd sourds"),
    # emergency services
    **dict.fromkeys(("ambulance", "ambulances"), "secours urgence"),
    # where the evacuated sleep
    **dict.fromkeys(("gymnase", "salle des fetes", "salle polyvalente", "centre d accueil"), "hebergement centre"),
    # papers
    **dict.fromkeys(("permis de conduire", "passeport", "carte vitale", "carte d identite", "carte grise",
                     "livret de famille", "diplome", "diplomes", "permis"), "papiers documents"),
    # food
    **dict.fromkeys(("yaourt", "yaourts", "viande", "poisson", "lait", "fromage", "beurre", "oeufs", "legumes",
                     "glace", "glaces", "plats", "restes"), "aliments nourriture"),
    # clothes and bedding
    **dict.fromkeys(("pull", "pulls", "manteau", "manteaux", "couverture", "couvertures", "draps", "duvet",
                     "duvets", "chaussettes"), "vetements"),
    # heating and gas appliances
    **dict.fromkeys(("chaudiere", "gaziniere", "cuisiniere a gaz"), "gaz chauffage"),
    "oeuf pourri": "odeur gaz",
    # drinking water at home
    **dict.fromkeys(("evier", "lavabo", "biberon", "biberons"), "eau robinet potable"),
    # mould
    **dict.fromkeys(("taches noires", "champignons", "champignon", "moisi", "salpetre", "renferme"),
                    "moisissures humidite"),
    # English
    **dict.fromkeys(("dog", "dogs", "cat", "cats", "puppy", "kitten"), "pets animals"),
    **dict.fromkeys(("school", "college", "highschool"), "school schools"),
    **dict.fromkeys(("motorway", "highway", "bridge"), "road roads"),
    **dict.fromkeys(("tonight", "nowhere"), "shelter sleep"),
}

# A numbered French road: "d118", "la d 7", "rn20", "a86", "n7", "rd 912".
ROAD_NUMBER = re.compile(r"^(?:[adn]|rd|rn)\d{1,4}$")
ROAD_EXPANSION = "route routes"

EXPANSIONS: Mapping[str, str] = {**HYPERNYMS, **SITUATION_NEEDS}
