"""The header score's shortcut (difflib's quick_ratio bound) gives the scores of the full comparison."""

from __future__ import annotations

import difflib

from hypothesis import given
from hypothesis import strategies as st

from analysis.ingest import clean
from analysis.ingest import normalise as nz


def reference_score(cell: str, key: str) -> float:
    """The score with a full difflib comparison for every fuzzy case (the bound never cuts short)."""
    bound = difflib.SequenceMatcher.quick_ratio
    difflib.SequenceMatcher.quick_ratio = lambda self: 1.0
    try:
        return clean.header_cell_score(cell, key)
    finally:
        difflib.SequenceMatcher.quick_ratio = bound


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
