"""Social gradient: ridits, quintiles, rates, SII/RII, Poisson / negative binomial choice."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import reference
from analysis.analyses import gradient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from commune_rows import analysed_gradient, commune_rows  # noqa: E402


def _areas(pop: list[float], income: list[float] | None = None) -> tuple[pd.Series, pd.Series]:
    idx = [f"a{i}" for i in range(len(pop))]
    income = income if income is not None else list(range(1, len(pop) + 1))
    return pd.Series(income, index=idx, dtype=float), pd.Series(pop, index=idx, dtype=float)


# ------------------------------------------------------------------ ridits and quintiles

def test_ridits_are_population_midpoints_poorest_first():
    income, pop = _areas([50, 10, 10, 10, 20], [5, 4, 3, 2, 1])  # the last area is the poorest
    r = gradient.ridit_scores(income, pop)
    assert r.tolist() == pytest.approx([0.75, 0.45, 0.35, 0.25, 0.1])


@pytest.mark.parametrize(("pop", "expected"), [
    ([1] * 5, [1, 2, 3, 4, 5]),
    ([1] * 10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
    ([50, 10, 10, 10, 20], [2, 3, 4, 4, 5]),  # ridits .25 .55 .65 .75 .9
])
def test_quintiles_follow_population_shares(pop, expected):
    income, p = _areas(pop)
    assert gradient.income_quintiles(income, p).tolist() == expected


def test_quintiles_of_the_19_communes():
    frame = gradient.commune_frame(reference.population(2022), reference.income(2022)["mean_income_per_return_eur"])
    assert len(frame) == 19
    assert sorted(frame["quintile"].unique()) == [1, 2, 3, 4, 5]
    poorest, richest = frame.sort_values("income").index[[0, -1]]
    assert frame.loc[poorest, "quintile"] == 1 and frame.loc[poorest, "rank"] == 1
    assert frame.loc[richest, "quintile"] == 5 and frame.loc[richest, "rank"] == 19
    # each quintile holds roughly a fifth of the population (communes are indivisible)
    shares = frame.groupby("quintile")["population"].sum() / frame["population"].sum()
    assert shares.between(0.08, 0.32).all()


def test_period_year_is_the_closest_first_of_january():
    assert gradient.period_year("2021-09", "2022-04") == 2022
    assert gradient.period_year("2020-11", "2021-02") == 2021
    assert gradient.period_year("2022-01", "2022-12") == 2022


# ------------------------------------------------------------------ rates

def test_rates_per_10000_with_exact_poisson_interval():
    r = gradient.rates(pd.Series([25, 0]), pd.Series([50_000, 20_000]))
    assert r["rate"].tolist() == pytest.approx([5.0, 0.0])
    # Garwood interval of 25: 16.18 to 36.90; of 0: 0 to 3.689
    assert r["ci_low"].iloc[0] == pytest.approx(16.179 / 5, abs=1e-3)
    assert r["ci_high"].iloc[0] == pytest.approx(36.905 / 5, abs=1e-3)
    assert r["ci_low"].iloc[1] == 0
    assert r["ci_high"].iloc[1] == pytest.approx(3.689 / 2, abs=1e-3)


def test_counts_and_exclusions_by_commune():
    frame = gradient.commune_frame(reference.population(2022), reference.income(2022)["mean_income_per_return_eur"])
    rows = commune_rows({"21001": 3, "21009": 2}, outside=4)
    counts = gradient.count_by_commune(rows, frame.index)
    assert counts.sum() == 5 and counts["21001"] == 3 and (counts == 0).sum() == 17
    assert gradient.exclusions(rows) == {"excluded_bruxelles": 0, "excluded_hors_bruxelles": 4, "excluded_inconnu": 0}
    com = gradient.commune_rates(counts, frame)
    assert com.loc["21001", "rate"] == pytest.approx(3 / frame.loc["21001", "population"] * 10_000)
    assert com["rank"].tolist() == list(range(1, 20))


def test_basin_rates_keep_bruxelles_ville_in_an_undetermined_row():
    frame = gradient.commune_frame(reference.population(2022), reference.income(2022)["mean_income_per_return_eur"])
    city = frame.index[frame["basin"].isna()][0]
    rows = commune_rows({city: 6, "21003": 2}, basins={city: "Nord"})
    b = gradient.basin_rates(rows, frame)
    assert b.index[-1] == gradient.UNKNOWN_BASIN_FR
    assert b.loc[gradient.UNKNOWN_BASIN_FR, "count"] == 6
    assert b.loc[gradient.UNKNOWN_BASIN_FR, "city_rows_with_basin"] == 6
    assert b.loc[gradient.UNKNOWN_BASIN_FR, "population"] == frame.loc[city, "population"]
    assert b.loc["Nord", "count"] == 2
    assert b["population"].sum() == frame["population"].sum()


# ------------------------------------------------------------------ SII / RII

def test_sii_rii_textbook_linear_case():
    # five equal areas, poorest first, rates 50..10: ridits .1 .3 .5 .7 .9, rate = 55 - 50 x
    # so the fitted rate is 55 at the poorest end and 5 at the richest: SII = 50, RII = (5 + 50) / 5 = 11
    income, pop = _areas([10_000] * 5)
    rate = pd.Series([50.0, 40, 30, 20, 10], index=pop.index)
    idx = gradient.sii_rii(rate, pop, income, n_sim=2000)
    assert idx.sii == pytest.approx(50)
    assert idx.rii == pytest.approx(11)
    assert idx.y_richest == pytest.approx(5) and idx.y_poorest == pytest.approx(55)
    assert idx.sii_low < 50 < idx.sii_high
    # the reverse gradient (higher among the rich) gives a negative SII
    rev = gradient.sii_rii(rate[::-1].set_axis(pop.index), pop, income, n_sim=200)
    assert rev.sii == pytest.approx(-50)


def test_sii_weights_areas_by_population():
    # populations 1, 2, 1: ridits .125, .5, .875; rates exactly linear in s = 1 - x: r = 2 + 16 s
    income, pop = _areas([1000, 2000, 1000])
    rate = pd.Series([2 + 16 * 0.875, 2 + 16 * 0.5, 2 + 16 * 0.125], index=pop.index)
    idx = gradient.sii_rii(rate, pop, income, counts=pd.Series([100, 100, 100], index=pop.index), n_sim=500)
    assert idx.sii == pytest.approx(16)
    assert idx.rii == pytest.approx(9)


def test_sii_simulation_is_reproducible_with_its_seed():
    income, pop = _areas([10_000] * 5)
    rate = pd.Series([12.0, 0, 8, 5, 6], index=pop.index)  # an area without any event
    a = gradient.sii_rii(rate, pop, income, n_sim=1000, seed=7)
    b = gradient.sii_rii(rate, pop, income, n_sim=1000, seed=7)
    c = gradient.sii_rii(rate, pop, income, n_sim=1000, seed=8)
    assert a == b
    assert a.sii_low != c.sii_low
    assert np.isfinite([a.sii_low, a.sii_high]).all()


# ------------------------------------------------------------------ count models

def _synthetic_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = pd.Series(rng.integers(20_000, 120_000, n).astype(float), index=[f"c{i:03d}" for i in range(n)])
    income = pd.Series(rng.normal(30_000, 6_000, n), index=pop.index)
    return pd.DataFrame({
        "population": pop, "income": income, "ridit": gradient.ridit_scores(income, pop),
        "quintile": gradient.income_quintiles(income, pop),
    })


def _simulate_counts(frame: pd.DataFrame, rii: float, seed: int, nb_alpha: float = 0.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    mu = frame["population"] * 5e-4 * np.exp(np.log(rii) * (1 - frame["ridit"]))
    if nb_alpha:
        mu = mu * rng.gamma(1 / nb_alpha, nb_alpha, len(mu))
    return pd.Series(rng.poisson(mu), index=frame.index)


def test_poisson_kept_when_counts_are_poisson_and_rate_ratio_recovered():
    frame = _synthetic_frame(200, seed=1)
    counts = _simulate_counts(frame, rii=2.0, seed=2)
    m = gradient.fit_count_models(counts, frame)
    assert m.kind == "poisson"
    assert m.dispersion == pytest.approx(1, abs=0.3)
    assert m.rii_model == pytest.approx(2.0, rel=0.08)
    assert m.rii_model_low < 2.0 < m.rii_model_high
    # Q1 (ridits 0-.2, mean s ~ .9) vs Q5 (mean s ~ .1): ratio ~ 2 ** 0.8
    q1 = m.rate_ratios.set_index("quintile").loc[1, "rate_ratio"]
    assert q1 == pytest.approx(2 ** 0.8, rel=0.1)


def test_poisson_quintile_rate_ratio_equals_crude_ratio():
    frame = gradient.commune_frame(reference.population(2022), reference.income(2022)["mean_income_per_return_eur"])
    counts = pd.Series(np.where(frame["quintile"] == 1, 12, 3), index=frame.index)
    m = gradient.fit_count_models(counts, frame, force="poisson")
    q = gradient.quintile_rates(counts, frame)
    rr = m.rate_ratios.set_index("quintile")["rate_ratio"]
    for k in range(1, 5):
        assert rr[k] == pytest.approx(q.loc[k, "rate"] / q.loc[5, "rate"], rel=1e-6)
    assert rr[5] == 1


def test_negative_binomial_chosen_when_over_dispersed():
    frame = _synthetic_frame(200, seed=3)
    counts = _simulate_counts(frame, rii=2.0, seed=4, nb_alpha=0.3)
    m = gradient.fit_count_models(counts, frame)
    assert m.kind == "negative_binomial"
    assert m.dispersion > 5 and m.dispersion_p < 0.001
    assert m.nb_alpha == pytest.approx(0.3, rel=0.35)
    assert m.rii_model == pytest.approx(2.0, rel=0.3)


def test_negative_binomial_chosen_on_19_communes_when_pearson_ratio_is_large():
    frame = gradient.commune_frame(reference.population(2022), reference.income(2022)["mean_income_per_return_eur"])
    counts = _simulate_counts(frame, rii=1.5, seed=5, nb_alpha=0.5)
    m = gradient.fit_count_models(counts, frame)
    assert m.dispersion > gradient.DISPERSION_RATIO
    assert m.kind == "negative_binomial"
    assert gradient.fit_count_models(counts, frame, force="poisson").kind == "poisson"


def test_cameron_trivedi_detects_overdispersion_only_when_present():
    rng = np.random.default_rng(0)
    mu = np.full(400, 20.0)
    assert gradient.cameron_trivedi(rng.poisson(mu), mu)[1] > 0.05
    assert gradient.cameron_trivedi(rng.poisson(mu * rng.gamma(2, 0.5, 400)), mu)[1] < 0.001


# ------------------------------------------------------------------ whole analysis, metrics, disclosure

@pytest.fixture(scope="module")
def analysed():
    return analysed_gradient()


def test_gradient_metrics_keys(analysed):
    m = gradient.gradient_metrics(analysed)
    for key in ("gradient.users.rate_ratio_q1_q5", "gradient.census.rate_ratio_q1_q5", "gradient.census.sii",
                "gradient.census.rii", "gradient.census.sii_low", "gradient.census.rii_high", "gradient.users.sii",
                "gradient.users.rii", "gradient.model", "gradient.census.model", "gradient.users.dispersion",
                "gradient.census.dispersion", "gradient.income_year", "gradient.population_year"):
        assert key in m, key
    assert m["gradient.model"] in ("poisson", "negative_binomial")
    assert m["gradient.population_year"] == 2022 and m["gradient.income_year"] == 2022
    assert m["gradient.census.population_years"] == "2021,2023"
    assert m["gradient.users.excluded_hors_bruxelles"] == 3
    assert m["gradient.users.n"] == analysed.users.communes["count"].sum()
    # users: 12 per commune in Q1, 3 elsewhere
    assert m["gradient.users.rate_ratio_q1_q5"] > 1.5
    assert m["gradient.users.rate_ratio_q1_q5_low"] < m["gradient.users.rate_ratio_q1_q5"]
    assert m["gradient.users.sii"] > 0  # higher among the poorest communes
    wave = reference.codes("census_waves")[0]
    assert f"gradient.census.{wave}.sii" in m
    assert not any(k.endswith("_fr") for k in m)  # French names: see publish


def test_population_years(analysed):
    assert analysed.users.population_year == 2022
    assert analysed.census.population_year is None  # several waves: exposure summed over the waves
    assert [g.population_year for g in analysed.census_waves.values()] == [2021, 2023]


# ---------------------------------------------------------------- phe_sii, reproduced from its reference tests

# PHEindicatormethods (UKHSA), tests/testthat/testdata_SII.xlsx, records 71–90: a rate indicator by
# deprivation decile (value, population, standard error of the log rate) and the package's expected
# SII and RII with 95 % limits (100 000 simulations). The SII and RII must match exactly, the limits
# within the package's own test tolerance (5 %).
PHE_RATE_CASES = [
    dict(value=[5.892220, 4.734504, 3.827634, 3.868138, 3.677157, 3.143626, 3.125871, 2.942568, 2.828800,
                2.764810],
         population=[279012, 255993, 236961, 214315, 192812, 183546, 168593, 164822, 154836, 138165],
         se=[0.024587, 0.028652, 0.033134, 0.034657, 0.037477, 0.041553, 0.043478, 0.045325, 0.047696,
             0.051071],
         sii=(-3.275201, -3.586823, -2.965317), rii=(0.406001, 0.368882, 0.446248)),
    dict(value=[4.896750, 4.567800, 4.676660, 4.356660, 3.900000, 3.800000, 3.500000, 3.200000, 3.210000,
                2.800000],
         population=[13837, 14519, 14940, 14599, 12311, 21675, 20065, 19750, 24713, 20112],
         se=[0.010463, 0.011221, 0.010958, 0.011767, 0.013153, 0.013501, 0.014665, 0.016049, 0.015999,
             0.018361],
         sii=(-2.287679, -2.398526, -2.176188), rii=(0.535252, 0.517343, 0.553739)),
]


@pytest.mark.parametrize("case", PHE_RATE_CASES)
def test_phe_sii_reproduces_the_reference_implementation(case):
    r = gradient.phe_sii(case["value"], case["population"], case["se"], "rate", reps=100_000, seed=5)
    assert r.sii == pytest.approx(case["sii"][0], abs=5e-6)
    assert r.rii == pytest.approx(case["rii"][0], abs=5e-6)
    for got, want in ((r.sii_low, case["sii"][1]), (r.sii_high, case["sii"][2]),
                      (r.rii_low, case["rii"][1]), (r.rii_high, case["rii"][2])):
        assert got == pytest.approx(want, rel=0.05)


def test_cumulative_midpoints_are_phe_x_values():
    assert gradient.cumulative_midpoints([1, 1, 2]).tolist() == pytest.approx([0.125, 0.375, 0.75])


def test_quintile_sii_widens_with_over_dispersion_and_points_to_the_poor():
    q = pd.DataFrame({"count": [100, 80, 60, 40, 20], "population": [1e5] * 5}, index=range(1, 6))
    pois = gradient.quintile_sii_rii(q, 1.0, reps=20_000)
    over = gradient.quintile_sii_rii(q, 4.0, reps=20_000)
    assert pois.sii > 0 and pois.rii > 1  # higher rates among the poorest (Q1)
    assert over.sii == pytest.approx(pois.sii) and over.dispersion == 4.0
    assert (over.sii_high - over.sii_low) == pytest.approx(2 * (pois.sii_high - pois.sii_low), rel=0.1)
    assert gradient.quintile_sii_rii(q, 0.3).dispersion == 1.0  # never narrower than Poisson


def test_stability_rule_flags_a_rate_ratio_resting_on_one_event():
    frame = _synthetic_frame(19, 3)
    counts = pd.Series(50, index=frame.index)
    counts[frame["quintile"] == 5] = 0
    counts[(frame["quintile"] == 5).idxmax()] = 1  # one event in the richest quintile
    m = gradient.fit_count_models(counts, frame)
    rr = m.rate_ratios.set_index("quintile")
    assert rr.loc[5, "ref_count"] == 1 and not rr["stable"].any()
    big = gradient.fit_count_models(_simulate_counts(frame, 2.0, seed=4), frame)
    assert big.rate_ratios["stable"].all()
