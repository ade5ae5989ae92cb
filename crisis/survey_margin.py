"""The 95 % margin of error of a share, for the watch's polls and the cell's pulse questions
(one formula for both: no sibling package imports another). Pure: no I/O."""

from __future__ import annotations

import math
from typing import Final

Z_95: Final = 1.96


def margin_of_error(share: float, sample_size: int, population: int | None = None) -> float:
    """The 95 % margin of error of a proportion: 1.96 * sqrt(p (1 - p) / n), as a fraction,
    times the finite population correction sqrt((N - n) / (N - 1)) when the population N
    the sample was drawn from is known (a pulse question's subscribers): answers from all of
    a small population leave no sampling error.

    The simple random sample's formula: quota samples (most French polls) have no exact
    margin, and this is the convention the Commission des sondages asks to publish. It says
    nothing of non-response bias (who does not answer may differ from who does)."""
    if sample_size <= 0:
        return 0.0
    margin = Z_95 * math.sqrt(share * (1 - share) / sample_size)
    if population is not None and population > 1:
        margin *= math.sqrt(max(population - sample_size, 0) / (population - 1))
    return margin
