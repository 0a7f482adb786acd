"""The header score's shortcut (difflib's quick_ratio bound) gives the scores of the full comparison."""

from __future__ import annotations

import difflib

from hypothesis import given
from hypothesis import strategies as st

from analysis.ingest import clean
from analysis.ingest import normalise as nz


def reference_score(cell: str, key: str) -> float:
    """The score as defined in the docstring, with a full difflib comparison for every fuzzy case."""
    if not cell or not key:
        return 0.0
    if cell == key:
        return 3.0
    short = min(len(cell), len(key))
    if short >= 4 and (cell.startswith(key + " ") or key.startswith(cell + " ")):
        return 2.0
    if len(key) >= 5 and f" {key} " in f" {cell} ":
        return 2.0
    ratio = difflib.SequenceMatcher(None, cell, key).ratio()
    return 1.0 + ratio if ratio >= clean.HEADER_FUZZY_CUTOFF else 0.0


def _keys() -> list[str]:
    return sorted({k for table in ("activities", "users", "pros", "census")
                   for keys in clean._header_keys(table).values() for k in keys})


KEYS = _keys()


@given(st.sampled_from(KEYS), st.text(alphabet="abcdeéilmnoprstuy '()-0123", max_size=30))
def test_shortcut_scores_equal_full_comparison(key, noise):
    for cell in (noise, nz.fold(key + noise), nz.fold(noise + key), key[: len(key) // 2] + noise):
        assert clean.header_cell_score(cell, key) == reference_score(cell, key)


def test_every_alias_against_every_other():
    for cell in KEYS:
        for key in KEYS:
            assert clean.header_cell_score(cell, key) == reference_score(cell, key), (cell, key)
