"""What the learning loop makes of the articles after a crisis has run a while.

Each question an operator answered by inserting article X is proposed as a phrasing of X; once
the cell validates it, search reads it like any alternate (`knowledge_base.alternates`). Here the
same rule (`with_alternates`) is applied to labelled lines at once, so the evaluation and the
calibration can measure the auto-answer in that state: "the questions of the other sets were
answered by operators, and the cell validated them; how does it answer this unseen set?".

A held-out set never teaches itself: `learned_sets` builds, for each set, an index learned from
the other sets only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from knowledge_base.article import MAX_ALTERNATES, Article, with_alternates
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.evaluation import EvalLine


def learned_articles(articles: Sequence[Article], answered: Iterable[EvalLine]) -> list[Article]:
    """`articles` once each answered line is a validated phrasing of its expected article.

    Lines with no expected article (nobody answered them with one), or whose article is of
    another language, teach nothing. An article that would pass MAX_ALTERNATES keeps its first
    phrasings: in a crisis the cell would have to remove some before adding more.
    """
    by_key = {(a.id, a.lang): a for a in articles}
    taught: dict[tuple[str, str], list[str]] = defaultdict(list)
    for line in answered:
        if line.expected is not None and (line.expected, line.lang) in by_key:
            taught[(line.expected, line.lang)].append(line.q)
    result = []
    for article in articles:
        texts = taught.get((article.id, article.lang), [])
        room = MAX_ALTERNATES - len(article.alternates)
        result.append(with_alternates(article, texts[:room])[0] if texts and room > 0 else article)
    return result


def learned_sets(articles: Sequence[Article],
                 sets: Mapping[str, Sequence[EvalLine]]) -> dict[str, tuple[SearchIndex, Sequence[EvalLine]]]:
    """For each set, an index of `articles` learned from every other set, and the set's lines."""
    return {name: (SearchIndex(learned_articles(articles, [line for other, lines in sets.items()
                                                           if other != name for line in lines])), lines)
            for name, lines in sets.items()}
