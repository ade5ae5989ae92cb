"""Bare articles (question and answer only, as at crisis start) found from told situations and
specific words: the needs and general words of needs.py, added to the question at a lower weight."""

from __future__ import annotations

import pytest

from knowledge_base.article import Article
from knowledge_base.search import SearchIndex

# A new crisis's articles, written for these tests in a cell's general words.
ARTICLES = [
    ("ecoles", "Les écoles sont-elles ouvertes ?", "Toutes les écoles de la commune restent fermées lundi."),
    ("routes", "Quelles routes sont fermées ?", "Consultez la carte des routes fermées sur le site de la préfecture."),
    ("animaux", "Que faire de mes animaux de compagnie ?",
     "Emmenez-les avec vous si vous partez, avec de quoi les nourrir pour trois jours."),
    ("hebergement", "Où dormir si je dois quitter mon logement ?",
     "Un hébergement est ouvert à la salle municipale, avec repas et lits de camp."),
    ("vulnerables", "Comment signaler une personne âgée ou fragile isolée ?",
     "Appelez la mairie, qui tient le registre des personnes vulnérables et envoie une équipe."),
    ("proches", "Je n'ai pas de nouvelles d'un proche, que faire ?",
     "Appelez la cellule d'information du public, qui recense les personnes recherchées."),
    ("aides", "Quelles aides financières pour les sinistrés ?",
     "Une aide d'urgence est versée par la commune aux foyers sinistrés, sur demande."),
    ("secours", "Quand appeler les secours ?", "Appelez le 112 si une vie est en danger."),
    ("sourds", "Je suis sourd, comment joindre les secours ?", "Envoyez un SMS au 114, ou utilisez l'application."),
    ("retour", "Quand pourrai-je rentrer chez moi ?", "Le retour sera annoncé par la mairie quand l'eau sera partie."),
]


@pytest.fixture(scope="module")
def bare_index() -> SearchIndex:
    return SearchIndex([Article(id=i, question=q, answer=a) for i, q, a in ARTICLES])


def top(index: SearchIndex, query: str) -> str | None:
    hits = index.search(query, limit=3)
    return hits[0].article_id if hits else None


@pytest.mark.parametrize(("query", "expected"), [
    ("le ramassage scolaire passe demain ?", "ecoles"),
    ("mon fils est en cm2, c est ouvert demain ?", "ecoles"),
    ("la d118 est fermée ?", "routes"),
    ("on peut passer par la nationale ?", "routes"),
    ("je peux venir avec mon caniche", "animaux"),
    ("le chat peut venir avec nous ?", "animaux"),
    ("mon voisin est handicapé et vit seul", "vulnerables"),
    ("ma fille est malentendante, comment elle contacte les secours ?", "sourds"),
])
def test_a_specific_word_finds_the_article_in_general_words(bare_index: SearchIndex, query: str,
                                                             expected: str) -> None:
    assert top(bare_index, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("on est à la rue avec les enfants", "hebergement"),
    ("on a nulle part où aller", "hebergement"),
    ("ma mère répond plus au téléphone", "proches"),
    ("on a tout perdu", "aides"),
    ("on pourra revenir quand ?", "retour"),
])
def test_a_told_situation_finds_the_article_about_its_need(bare_index: SearchIndex, query: str,
                                                           expected: str) -> None:
    assert top(bare_index, query) == expected


def test_the_question_s_own_words_still_outrank_an_expansion(bare_index: SearchIndex) -> None:
    # "partir" stands for evacuation (the lodging article says "quitter"), but the question
    # names the emergency services, and that article must stay first.
    assert top(bare_index, "je dois partir, quand appeler les secours ?") == "secours"


def test_expanded_words_give_the_auto_answer_no_evidence(bare_index: SearchIndex) -> None:
    # Only the question's own words count as understood: a question of expansion words alone
    # gets candidates but nothing the auto-answer could be confident about.
    analysis = bare_index.analyse("mon caniche")
    assert analysis.hits and analysis.hits[0].article_id == "animaux"
    assert analysis.known_terms == 0
