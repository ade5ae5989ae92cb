"""English questions at a centre with French articles only: how the word-by-word translation
(knowledge_base/english_to_french.py) ranks them. Tuning sets only (the flood sets' English
lines, their English articles removed and each expected English article mapped to its French
twin); the judging sets (data/cold/) are never read here.

`python -m knowledge_base.tooling.english_questions [-v]`
"""

from __future__ import annotations

import sys

from knowledge_base.answer import auto_answer
from knowledge_base.english_to_french import dictionary
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.cold_start import DATA, FLOOD_SETS, bare_articles
from knowledge_base.tooling.evaluation import parse_eval_lines

# The flood articles' English twins, by the French article they translate.
FRENCH_TWIN = {
    "evacuation-order-en": "evacuation-ordre", "drinking-water-en": "eau-potable",
    "emergency-numbers-en": "numeros-urgence", "shelters-en": "centres-hebergement",
    "power-outage-en": "coupure-electricite", "insurance-claim-en": "declarer-sinistre",
    "roads-closed-en": "routes-coupees", "return-home-en": "retour-domicile",
    "pets-en": "animaux-compagnie"}
THRESHOLD = 0.9  # the shipped default (knowledge_base/tuning.py)


def main(verbose: bool = False) -> None:
    if not dictionary():
        print("no English-French dictionary (apt-get install dict-freedict-eng-fra): "
              "English questions are searched untranslated")
    index = SearchIndex([a for a in bare_articles("kb-inondation.jsonl") if a.lang == "fr"])
    items = [item for name in FLOOD_SETS
             for item in parse_eval_lines((DATA / name).read_text(encoding="utf-8").splitlines())
             if item.lang == "en"]
    in_scope = [(item.q, FRENCH_TWIN.get(item.expected, item.expected)) for item in items
                if item.expected is not None]
    top1 = top3 = answered = right = 0
    for question, expected in in_scope:
        hits = [h.article_id for h in index.search(question, lang="en", limit=3)]
        top1 += hits[:1] == [expected]
        top3 += expected in hits
        answer = auto_answer(index, question, lang="en", threshold=THRESHOLD).answer_id
        answered += answer is not None
        right += answer == expected
        if verbose and hits[:1] != [expected]:
            print(f"  MISS {question!r} expected {expected} got {hits}")
    wrong = sum(auto_answer(index, item.q, lang="en", threshold=THRESHOLD).answer_id is not None
                for item in items if item.expected is None)
    n = len(in_scope)
    print(f"{len(items)} English questions ({n} in scope), French articles only (bare)")
    print(f"precision@1 {top1 / n:.3f}  recall@3 {top3 / n:.3f}  "
          f"automatic answers {answered} ({right} right, {answered - right + wrong} wrong)")


if __name__ == "__main__":
    main("-v" in sys.argv)
