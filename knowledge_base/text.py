"""Text normalisation for short, noisy French and English questions: folding, SMS spelling, stems."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import snowballstemmer

try:  # PyStemmer: the same Snowball algorithms compiled in C, ten times faster on cold rebuilds
    import Stemmer as _c_stemmer
except ImportError:  # pragma: no cover - the pure-Python stemmer gives identical stems
    _c_stemmer = None

# Letters that NFKD does not decompose but people type in French words.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
# Anything that is not a letter or digit of any script separates words; this drops
# punctuation, emoji, HTML and SQL syntax in one pass.
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]")
# Long queries are cut: a question past 64 words is a letter, not a search, and the cut
# bounds query time whatever the input.
MAX_QUERY_WORDS = 64

# Why: SMS and chat users write phonetic abbreviations that no stemmer or dictionary
# knows; each maps to the words an article would use. Keys are folded tokens, or two
# tokens separated by a space for phrases split by folding.
SMS_SPELLINGS: Mapping[str, str] = {
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi",
    "bcp": "beaucoup", "jsp": "je sais pas", "chai pas": "je sais pas", "stp": "s il te plait",
    "svp": "s il vous plait", "qd": "quand", "kan": "quand", "ds": "dans", "ya": "il y a",
    "y a": "il y a", "koi": "quoi", "kwa": "quoi", "c": "c est", "cest": "c est", "mtn": "maintenant",
    "mnt": "maintenant", "tjs": "toujours", "tjrs": "toujours", "dc": "donc", "pr": "pour",
    "ke": "que", "k": "que", "kel": "quel", "kelle": "quelle", "auj": "aujourd hui",
    "ajd": "aujourd hui", "aujourdhui": "aujourd hui", "slt": "salut", "bjr": "bonjour",
    "bsr": "bonsoir", "mrc": "merci", "mci": "merci", "dsl": "desole", "pb": "probleme",
    "pbm": "probleme", "tt": "tout", "ts": "tous", "vs": "vous", "ns": "nous", "qqn": "quelqu un",
    "qqch": "quelque chose", "qq": "quelques", "jpp": "je peux plus", "jpeux": "je peux",
    "jveux": "je veux", "chui": "je suis", "chuis": "je suis", "jsuis": "je suis",
    "jai": "j ai", "g": "j ai", "jme": "je me", "tkt": "t inquiete", "rdv": "rendez vous",
    "rep": "reponse", "msg": "message", "infos": "information", "info": "information",
    "recup": "recuperer", "dispo": "disponible", "distrib": "distribution", "ac": "avec",
    "avc": "avec", "bi1": "bien", "rien2": "rien", "2m1": "demain", "dem1": "demain",
    "pdt": "pendant", "mm": "meme", "oqp": "occupe", "tlm": "tout le monde",
    "leau": "l eau", "lelectricite": "l electricite", "durgence": "d urgence",
    # Clipped forms of the domain's own words, as typed on a phone keyboard.
    "elec": "electricite", "elect": "electricite", "elek": "electricite", "assu": "assurance",
    "assur": "assurance", "apparts": "appartements", "appt": "appartement", "apt": "appartement",
    "voit": "voiture", "num": "numero", "nums": "numeros", "tph": "telephone",
    "tels": "telephones", "evac": "evacuation", "evacs": "evacuation",
    "congelo": "congelateur", "hosto": "hopital", "pharma": "pharmacie", "ordo": "ordonnance",
    "pref": "prefecture", "hdv": "mairie", "mair": "mairie", "secu": "securite", "docs": "papiers documents",
    "rezo": "reseau", "wifi": "internet", "kil": "qu il", "ki": "qui", "kes": "qu est",
    "koman": "comment", "komen": "comment", "qqun": "quelqu un", "qlq": "quelques", "qlqs": "quelques",
    "vrmt": "vraiment", "slmt": "seulement", "dja": "deja", "pa": "pas", "jsui": "je suis",
    "oskour": "au secours", "pls": "s il te plait", "plz": "s il te plait",
}

# Why: function words carry no topic; leaving them in lets "est-ce que je peux" outrank
# the one content word of a short question. Folded forms, because matching is on folded text.
FRENCH_STOP_WORDS: frozenset[str] = frozenset(
    "a ai aie ais ait as au aux avec avoir avez avons c ca ce ceci cela celle celui ces cet cette "
    "chaque comme comment d dans de des du donc dont elle elles en encore es est et etc etait "
    "ete etre eu eux fait faire faut ici il ils j je l la le les leur leurs lui m ma mais me "
    "meme mes moi mon n ne ni nos notre nous on ont ou par pas peu peut peuvent peux plus pour "
    "pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se ses si sil soit son "
    "sont sur t ta te tes toi ton tous tout toute toutes tres tu un une vos votre vous y "
    "bonjour salut svp s il plait te merci stp oui non sais veux voudrais dois doit doivent "
    "aussi alors bien deja ya hui aujourd maintenant toujours beaucoup quelque quelques "
    "est-ce estce apres avant chose rien ok jamais cest".split()
    # Prepositions and generic verbs of motion: they glue a question together but name no topic.
    + "sous vers entre contre chez selon pendant depuis aller va vais vont allez allons".split()
    # A plea ("aidez-moi", "aidez nous") says the writer is distressed, not what about; asking
    # how to help others uses the infinitive ("comment aider"), which stays a content word.
    + "aidez".split()
    # Forms of etre and avoir that the short list above misses.
    + "suis etes sommes serai sera serons seront etais etions etiez etaient avais avait avions "
    "aviez avaient aurai aura aurons auront".split()
    # Forms of faire, vouloir and pouvoir and familiar fillers: they frame any question ("je
    # fais quoi", "il veut", "un truc") and, unknown to the articles, were typo-corrected into
    # article words ("fais" -> "fois", "veut" -> "vert") or counted against the top article.
    + "fais font veut veulent voulez voulons voulait voudrait voudrais pourrait pourrais pouvons "
    "truc trucs machin bidule hein bah ben ouais mdr lol ptdr svp".split()
    # Question and reporting words that frame a question whatever its topic.
    + "combien dit disent dire savoir vraiment partout".split()
    # Time words: citizens date their message ("since last night"), which says nothing
    # about which answer they need, and a rare time word in one alternate would outrank the topic.
    + "hier soir matin jour jours semaine semaines heure heures minute minutes lundi mardi mercredi "
    "jeudi vendredi samedi dimanche nuit nuits week end weekend prochain prochaine".split()
)
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    "a about after again all am an and any are as at be been before being but by can could "
    "did do does doing for from had has have having he her here hers him his how i if in into "
    "is it its just me more most my no not now of on or our out please should so some still "
    "such than that the their them then there these they this those to too up very was we "
    "were what when where which who why will with would you your yours hi hello thanks".split()
)
_STOP_WORDS: Mapping[str, frozenset[str]] = {"fr": FRENCH_STOP_WORDS, "en": ENGLISH_STOP_WORDS}
# Words after which a citizen names a place: prepositions of place, and words that always
# start a place name (street types, "saint"). Only a following word the index does not know
# is treated as a place (see search.query_terms); after a street word it is not even
# typo-corrected ("saint genies" must not become "sait gene").
STREET_WORDS: frozenset[str] = frozenset(
    "rue avenue av bd boulevard chemin impasse allee place quartier residence lotissement cite "
    "hameau lieu dit st ste saint sainte street road".split()
)
# Words that start an address: when a place name follows them, they leave the question with it.
ROAD_WORDS: frozenset[str] = frozenset("rue avenue av bd boulevard chemin impasse allee route street road".split())
PLACE_MARKERS: frozenset[str] = STREET_WORDS | frozenset(
    "a au aux de d du des pres vers entre et sur route in at near from to of".split()
)


def stop_words(lang: str) -> frozenset[str]:
    """The stop words of `lang` (French for an unknown language)."""
    return _STOP_WORDS.get(lang, FRENCH_STOP_WORDS)
_STEMMER_NAMES: Mapping[str, str] = {"fr": "french", "en": "english"}


# Folding table of ASCII bytes: letters lowercased, digits kept, everything else a space.
# bytes.translate runs at memory speed, six times faster than a regex over long answers.
_ASCII_FOLD = bytes(ord(chr(i).lower()) if chr(i).isalnum() and i < 128 else 32 for i in range(256))


def fold_words(text: str) -> list[str]:
    """The words of `text` casefolded, without accents, split on every non-word character."""
    if not text.isascii():
        lowered = text.casefold().translate(_LIGATURES)
        # A regex over the decomposed text keeps folding at C speed on 10,000-article rebuilds.
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))
        if not text.isascii():  # letters of other scripts: keep them as words
            return _NON_WORD.sub(" ", text).split()
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii").split()


def fold(text: str) -> str:
    """Casefold, strip accents and replace every run of non-word characters by one space."""
    return " ".join(fold_words(text))


def pair_pattern(*tables: Mapping[str, str]) -> re.Pattern[str] | None:
    """A regex finding the two-word keys of `tables` in folded text (None if there are none)."""
    pairs = sorted({key for table in tables for key in table if " " in key}, key=len, reverse=True)
    if not pairs:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in pairs) + r")\b")


_SMS_PAIRS = pair_pattern(SMS_SPELLINGS)


def replace_pairs(folded: str, pattern: re.Pattern[str] | None, *tables: Mapping[str, str]) -> str:
    """Replace two-word keys in folded text (a regex pass, so long answers stay cheap)."""
    if pattern is None:
        return folded

    def lookup(match: re.Match[str]) -> str:
        key = match.group(0)
        return next((table[key] for table in tables if key in table), key)

    return pattern.sub(lookup, folded)


def word_forms(token: str, lang: str, synonyms: Mapping[str, str] | None) -> list[str]:
    """Content words one folded token stands for: SMS spelling, then synonyms, minus stop words."""
    words = SMS_SPELLINGS.get(token, token).split() if lang == "fr" else [token]
    if synonyms:
        words = [out for word in words for out in synonyms.get(word, word).split()]
    stops = _STOP_WORDS.get(lang, FRENCH_STOP_WORDS)
    return [word for word in words if word not in stops]


def normalise_words(
    text: str, lang: str = "fr", synonyms: Mapping[str, str] | None = None, *, limit: int | None = None
) -> list[str]:
    """Folded content words of `text`: SMS spellings expanded, synonyms applied, stop words removed."""
    folded = fold(text)
    if limit is not None:
        folded = " ".join(folded.split()[: limit * 2])
    if lang == "fr":
        folded = replace_pairs(folded, _SMS_PAIRS, SMS_SPELLINGS)
    if synonyms:
        folded = replace_pairs(folded, pair_pattern(synonyms), synonyms)
    words = [word for token in folded.split() for word in word_forms(token, lang, synonyms)]
    return words[:limit] if limit is not None else words


_per_thread = threading.local()


def _stemmer(lang: str) -> Any:
    # One stemmer per thread: a Snowball stemmer keeps its word in itself, so two threads
    # (the event loop stemming a query, an index rebuild in a worker thread) sharing one
    # corrupt each other (IndexError inside find_among_b).
    stemmers: dict[str, Any] = _per_thread.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        name = _STEMMER_NAMES.get(lang, "french")
        stemmers[lang] = _c_stemmer.Stemmer(name) if _c_stemmer else snowballstemmer.stemmer(name)
    return stemmers[lang]


# Snowball gives a noun and a verb of different meaning the same stem; for these the noun
# keeps its own stem. "aide(s)" is financial help ("des aides"), "aider" is to help
# (volunteering): one stem made "je veux aider" and "ya des aides ?" fight for one article.
# (Kept together: "don(s)" and "donner", since giving in a crisis is donating.)
# "pompier(s)" keeps a stem apart from "pomper" even if a stemmer version merges them.
STEM_EXCEPTIONS: Mapping[str, Mapping[str, str]] = {"fr": {
    "aide": "aide", "aides": "aide",
    "pompier": "pompier", "pompiers": "pompier"}}


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str = "fr") -> str:
    """Snowball stem of one folded word (cached: the vocabulary is small, the stemmer is slow)."""
    if word.isdigit() or len(word) <= 2:
        return word
    exception = STEM_EXCEPTIONS.get(lang, {}).get(word)
    if exception is not None:
        return exception
    result: str = _stemmer(lang).stemWord(word)
    return result


def tokenise(text: str, lang: str = "fr", synonyms: Mapping[str, str] | None = None) -> list[str]:
    """Stems of the content words of `text`, in order (duplicates kept)."""
    return [stem(w, lang) for w in normalise_words(text, lang, synonyms)]
