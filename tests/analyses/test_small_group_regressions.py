"""Regressions found by the property tests (``tests/test_properties_pipeline.py``): each failing example kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from analysis.analyses import saturation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import BETA, SSMS, simulate_census  # noqa: E402


def test_constrained_model_with_one_service_is_not_estimable_instead_of_dividing_by_zero():
    # statsmodels' clustered fit divided by (clusters - 1) = 0 and raised ZeroDivisionError,
    # which analyse_saturation did not catch: a census from a single SSM stopped the chapter.
    census = simulate_census(60, seed=1, beta=BETA)
    census["service_code"] = SSMS[0]
    with pytest.raises(ValueError, match="non estimable"):
        saturation.fit_constrained_model(census, saturation.census_income(census))
    assert saturation.analyse_saturation(census, saturation.census_income(census)).model is None
