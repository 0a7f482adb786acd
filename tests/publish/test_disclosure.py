"""Disclosure control with adversarial small counts."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.publish import disclosure as d


def test_primary_rule():
    assert [d.is_suppressed(v, 5) for v in (0, 1, 4, 5, 12)] == [False, True, True, False, False]
    assert d.publish_count(3) == "<\u00a05" and d.publish_count(0) == "0" and d.publish_count(1234) == "1\u00a0234"
    assert d.publish_count_prose(2) == "moins de 5"


def test_single_hidden_cell_gets_a_partner():
    mask = d.suppression_mask(pd.Series([40, 3, 12, 9]), 5)
    assert mask.tolist() == [False, True, False, True]  # 3 alone could be recovered from the total


def test_hidden_cells_all_ones_or_all_max_get_a_partner():
    assert d.suppression_mask(pd.Series([40, 1, 1, 12]), 5).tolist() == [False, True, True, True]
    assert d.suppression_mask(pd.Series([40, 4, 4, 12, 30]), 5).tolist() == [False, True, True, True, False]
    assert d.suppression_mask(pd.Series([40, 2, 1, 12]), 5).tolist() == [False, True, True, False]


def test_zero_is_never_a_partner_and_never_hidden():
    mask = d.suppression_mask(pd.Series([0, 3, 0, 20]), 5)
    assert mask.tolist() == [False, True, False, True]


def test_two_way_table_rows_and_columns():
    t = pd.DataFrame({"a": [20, 2, 30], "b": [15, 25, 18], "c": [9, 11, 40]}, index=["x", "y", "z"])
    mask = d.suppression_mask(t, 5)
    for line in list(mask.to_numpy()) + list(mask.to_numpy().T):
        assert line.sum() != 1
    assert mask.loc["y", "a"]


def _recoverable_cells(values: np.ndarray, mask: np.ndarray, t: int) -> list[int]:
    """Brute force: hidden cells whose value is the same in every table consistent with the totals."""
    hidden = np.flatnonzero(mask)
    total_hidden = values[mask].sum()
    options = [range(1, t) if values[i] < t else range(t, int(values[i]) + t) for i in hidden]
    solutions = [c for c in itertools.product(*options) if sum(c) == total_hidden]
    return [hidden[j] for j in range(len(hidden)) if len({s[j] for s in solutions}) == 1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=7))
def test_no_hidden_cell_recoverable_from_the_total(cells):
    values = np.array(cells, dtype=float)
    mask = d.suppression_mask(pd.Series(values), 5).to_numpy()
    assert not (mask & ~(values > 0)).any()  # zeros stay visible
    if mask.any() and not d.total_must_be_hidden(pd.Series(values), 5):
        assert _recoverable_cells(values, mask, 5) == []


def test_publish_counts_texts():
    out = d.publish_counts(pd.Series([40, 3, 12, 9]), 5)
    assert out.tolist() == ["40", "<\u00a05", "12", "n.p."]


def test_withheld_keys_cover_counts_and_their_shares():
    m = {"users.referrer_n.justice": 2, "users.referrer_pct.justice": 2.5, "users.referrer_n.sante": 39,
         "users.referrer_pct.sante": 49.4, "activities.recherche.n": 2}
    person = lambda k: k.startswith("users.") and "_n." in k  # noqa: E731
    assert d.withheld_keys(m, person, 5) == {"users.referrer_n.justice", "users.referrer_pct.justice"}
