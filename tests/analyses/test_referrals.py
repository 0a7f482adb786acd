"""Referral statistics on hand-made tables (exact results; their publication: tests/publish)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.analyses import referrals as R


def _users(referrers, ages, genders):
    n = len(referrers)
    return pd.DataFrame({
        "service_code": pd.array(["CGE"] * n, dtype="string"), "referrer": pd.array(referrers, dtype="string"),
        "age": pd.array(ages, dtype="Int64"), "gender": pd.array(genders, dtype="string"),
        "commune_nis": pd.array(["21005"] * (n - 1) + [None], dtype="string"),
        "residence": pd.array(["bruxelles"] * (n - 1) + ["hors_bruxelles"], dtype="string"),
        "income_source": pd.array(["travail"] * n, dtype="string"),
    })


def _census(first_line):
    return pd.DataFrame({"wave": pd.array(["2020_11"] * len(first_line), dtype="string"),
                         "service_code": pd.array([f"SSM{i % 5}" for i in range(len(first_line))], dtype="string"),
                         "first_line": pd.array(first_line, dtype="boolean")})


PROS = pd.DataFrame({"service_code": pd.array(["SMES"] * 3, dtype="string"),
                     "requesting_service": pd.array(["cpas", "cpas", None], dtype="string"),
                     "origin_region": pd.array(["bruxelles", None, "wallonie"], dtype="string")})


def test_share_table_with_wilson():
    t = R.share_table(pd.Series(["a", "a", "b", None]), ["a", "b", "c"], {"a": "A"}).set_index("code")
    assert t.loc["a", "n"] == 2 and t.loc["a", "pct"] == 50 and t.loc["c", "n"] == 0
    assert t.loc["non_renseigne", "n"] == 1  # missing values are counted, not dropped
    assert t.loc["a", "ci_low"] == pytest.approx(15.0, abs=0.1) and t.loc["a", "ci_high"] == pytest.approx(85.0, abs=0.1)


def test_first_line_against_the_census_and_profile():
    users = _users(["initiative_personnelle", "sante_generale", "sante_generale", "inconnu"],
                   [10, 30, 50, None], ["F", "F", "H", "X"])
    res = R.analyse_referrals(users, PROS, _census([True] * 50 + [False] * 50), "2021-09", "2022-04")
    m = R.referral_metrics(res)
    assert m["users.n"] == 4 and m["users.first_line_pct"] == pytest.approx(100 / 3)  # unknown referrer left out
    assert m["referrals.baseline_wave"] == "2020_11" and m["referrals.baseline_first_line_pct"] == 50
    assert m["referrals.first_line_comparison.kind"] == "descriptive"
    assert m["referrals.first_line_comparison.test_performed"] is False
    assert not any("p_value" in k for k in m)  # different instruments: no test, so no p-value to quote
    assert m["users.age_mean"] == 30 and m["users.age_min"] == 10 and m["users.age_max"] == 50
    assert m["users.female_pct"] == 50 and m["users.commune_pct.21005"] == 75
    assert m["pros.n"] == 3 and m["pros.requester_n.cpas"] == 2
    assert not any(k.endswith(".sentence") for k in m)  # the sentences are published, not computed here


def test_baseline_wave_is_the_latest_started_by_the_end_of_the_period():
    census = pd.DataFrame({"wave": ["2020_11", "2022_11"]})
    assert R.baseline_wave(census, "2022-04") == "2020_11"
    assert R.baseline_wave(census, "2023-06") == "2022_11"
    assert R.baseline_wave(census, "2019-01") == "2020_11"
    assert R.baseline_wave(census.iloc[0:0], "2022-04") is None


def test_not_given_rows_follow_the_data_dictionary():
    """Third review (F1): the data dictionary (annex C) marks referrer, income source and requesting
    service as mandatory, so their « Non renseigné » row is a structural zero: printed « < 5 », a reader
    subtracted it as 0 and found Maison de repos = 4. A mandatory column has no such row; a column that may
    be empty (gender, commune, age) lists it at every edition, zero included (second review, B2)."""
    from analysis.ingest.schema import can_be_missing

    users = _users(["initiative_personnelle", "sante_generale", "sante_generale", "inconnu"],
                   [10, 30, 50, 40], ["F", "F", "H", "X"])
    res = R.analyse_referrals(users, PROS.assign(requesting_service=["cpas", "cpas", "autre"]),
                              _census([True] * 50 + [False] * 50), "2021-09", "2022-04")
    for table, column, shares in (("users", "referrer", res.referrers), ("users", "income_source", res.income),
                                  ("pros", "requesting_service", res.requesters), ("users", "gender", res.genders)):
        listed = "non_renseigne" in set(shares["code"])
        assert listed == can_be_missing(table, column), (column, listed)
    assert not can_be_missing("users", "referrer") and can_be_missing("users", "gender")
    assert res.genders.set_index("code").loc["non_renseigne", "n"] == 0
    assert res.age_table["band"].iloc[-1] == "Âge inconnu" and res.age_table["n"].iloc[-1] == 0
    # a mandatory column that is empty all the same (input not validated) still shows its empty rows
    t = R.share_table(pd.Series(["a", None]), ["a"], {}, can_be_missing=False).set_index("code")
    assert t.loc["non_renseigne", "n"] == 1
