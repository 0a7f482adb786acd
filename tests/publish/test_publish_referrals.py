"""Referrals for readers: small counts hidden, the comparison read in French, files written."""

from __future__ import annotations

import pandas as pd

from analysis.analyses import referrals as R
from analysis.publish import referrals as P


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


def _results(census=None):
    users = _users(["initiative_personnelle", "sante_generale", "sante_generale", "inconnu"],
                   [10, 30, 50, None], ["F", "F", "H", "X"])
    census = _census([True] * 50 + [False] * 50) if census is None else census
    return R.analyse_referrals(users, PROS, census, "2021-09", "2022-04")


def test_display_hides_small_counts_and_their_shares():
    t = R.share_table(pd.Series(["a"] * 20 + ["b"] * 2 + ["c"] * 9), ["a", "b", "c"], {})
    disp = P.display_shares(t, "Envoyeur", 5).set_index("Envoyeur")
    assert disp.loc["b", "Effectif"] == "<\u00a05" and disp.loc["b", "Part"] == "–"
    assert disp.loc["c", "Effectif"] == "n.p."  # else b = total − a − c
    assert disp.loc["Total", "Effectif"] == "31"


def test_comparison_read_in_french_and_merged_into_the_metrics():
    res = _results()
    prose = P.referral_prose(res)
    assert sorted(prose) == ["referrals.first_line_comparison.sentence", "referrals.first_line_test.sentence",
                             "referrals.shares_ci.sentence", "users.age_range_fr", "users.commune_top_sentence"]
    sentence = prose["referrals.first_line_comparison.sentence"]
    assert "première ligne" in sentence and "novembre 2020" in sentence
    # different instruments: side by side, never a test or a p-value
    assert "p\u00a0" not in sentence and "Fisher" not in sentence
    if P.first_line_published(res):
        assert "sans test statistique" in sentence
    else:  # a share resting on a count below the threshold is withheld, with its interval
        assert "n'est pas publiée" in sentence
    assert not set(prose) & set(R.referral_metrics(res))  # one part, no key written twice


def test_no_comparison_without_a_census():
    res = _results(_census([]).iloc[0:0])
    assert res.comparison is None and sorted(P.referral_prose(res)) == [
        "referrals.shares_ci.sentence", "users.age_range_fr", "users.commune_top_sentence"]
    assert "n'est pas possible" in P.comparison_sentence(res)


def test_save_outputs_writes_controlled_tables_and_exact_values(tmp_path):
    written = P.save_outputs(_results(), tmp_path, threshold=5, is_example=True)
    assert written["figures"] == ["orientations-envoyeurs", "orientations-premiere-ligne", "orientations-ages"]
    for name in written["figures"]:
        assert (tmp_path / "figures" / f"{name}.svg").exists()
    for name in written["tables"]:
        assert (tmp_path / "tables" / f"{name}.md").exists() and (tmp_path / "exact" / f"{name}.csv").exists()
    md = (tmp_path / "tables" / "orientations-envoyeurs.md").read_text(encoding="utf-8")
    assert "<\u00a05" in md and "Données d'exemple synthétiques." in md
    exact = pd.read_csv(tmp_path / "exact" / "orientations-envoyeurs.csv").set_index("code")
    assert exact.loc["sante_generale", "n"] == 2  # exact, unlike the published table


class _Plan:
    """The linked plan's answer for the commune cells only."""

    def __init__(self, hidden: set[str]):
        self._hidden = hidden

    def hidden(self, cell: str) -> bool:
        return cell in self._hidden


def test_top_communes_named_only_when_the_plan_publishes_their_counts():
    """A share printed in the prose for a commune the table hides (« n.p. ») gives its count back
    (13,9 % of 79 is 11 and nothing else): the names and shares go with the counts."""
    res = _results()
    top = res.communes.sort_values(["n", "label"], ascending=[False, True]).head(3)
    open_ = P.commune_top_sentence(res, 5, _Plan(set()))
    assert all(label in open_ for label in top["label"])
    hidden_one = _Plan({f"users.commune.{top['code'].iloc[0]}"})
    closed = P.commune_top_sentence(res, 5, hidden_one)
    assert not any(label in closed for label in top["label"]) and "%" not in closed


def test_extreme_ages_withheld_when_an_age_band_is_hidden():
    """« de 17 à 75 ans » with the 0–11 and 12–17 bands « < 5 »: 0–11 is then 0 and 12–17 at least 1."""
    res = _results()  # 4 users: every age band is below the threshold
    assert "non publiés" in P.age_range_fr(res, 5) and " 10 " not in P.age_range_fr(res, 5)
    assert P.age_range_fr(res, 0) == "de 10 à 50 ans"  # nothing hidden at a threshold of 0
