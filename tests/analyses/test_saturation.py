"""Saturation census analyses: shares, intervals, wave comparison, model, waits."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import reference
from analysis.analyses import saturation
from analysis.analyses.saturation import ACCEPTED, REORIENTED, WAITING
from analysis.ingest import schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import (  # noqa: E402
    BETA,
    CONSTRAINED,
    FOLLOWUPS,
    PUBLICS,
    SSMS,
    WAVES,
    census_frame,
    simulate_census,
    small_census,
)


def _ind(table: pd.DataFrame, name: str) -> pd.Series:
    return table.set_index("indicator").loc[name]


def test_outcome_and_constrained_shares_hand_counted():
    t = saturation.indicator_table(small_census(), ["wave"])
    assert (_ind(t, "accepted")[["k", "n"]] == [4, 10]).all()
    assert _ind(t, "accepted")["pct"] == pytest.approx(40)
    assert _ind(t, "waiting")["pct"] == pytest.approx(20)
    assert _ind(t, "reoriented")["pct"] == pytest.approx(30)
    assert _ind(t, "no_followup")["pct"] == pytest.approx(10)
    assert t[t["indicator"].isin(saturation.OUTCOME_INDICATORS)]["pct"].sum() == pytest.approx(100)
    assert _ind(t, "constrained")["pct"] == pytest.approx(20)
    assert (_ind(t, "constrained_of_reoriented")[["k", "n"]] == [2, 3]).all()
    # the "inconnu" answer leaves the denominator: 1 full out of 1 known answer
    assert (_ind(t, "full_destination")[["k", "n"]] == [1, 1]).all()


def test_first_line_denominator_excludes_unknown_requester():
    t = saturation.indicator_table(small_census(), ["wave"])
    # 9 rows have a requester (the no-follow-up row has none); 5 of them are first-line
    assert (_ind(t, "first_line")[["k", "n"]] == [5, 9]).all()


def test_reorientation_without_reason_is_not_constrained():
    df = census_frame([{"outcome": REORIENTED}, {"outcome": REORIENTED, "reorientation_reason": CONSTRAINED}])
    t = saturation.indicator_table(df, ["wave"])
    assert _ind(t, "constrained")["k"] == 1
    res = saturation.analyse_saturation(df, pd.Series(dtype=float))
    assert res.reason_missing[WAVES[0]] == 1


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Stat Med 17:857, table II
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    lo, hi = saturation.wilson_ci(k, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)
    p = saturation.proportion(k, n)
    assert p["ci_low"] == pytest.approx(100 * low, abs=5e-3)


def test_newcombe_difference_interval_matches_published_example():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339
    d, lo, hi = saturation.newcombe_diff_ci(48, 80, 56, 70)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.0524, abs=1e-4)
    assert hi == pytest.approx(0.3339, abs=1e-4)


def test_wave_comparison_relative_change_and_test():
    rows = ([{"wave": WAVES[0], "outcome": ACCEPTED}] * 280 + [{"wave": WAVES[0], "outcome": WAITING}] * 720
            + [{"wave": WAVES[1], "outcome": ACCEPTED, "demand_date": pd.Timestamp("2022-11-10")}] * 250
            + [{"wave": WAVES[1], "outcome": REORIENTED, "demand_date": pd.Timestamp("2022-11-10")}] * 750)
    c = saturation.compare_waves(census_frame(rows), WAVES[0], WAVES[1])
    assert c.pct_from == pytest.approx(28) and c.pct_to == pytest.approx(25)
    assert c.diff_pts == pytest.approx(-3)
    assert c.diff_low < -3 < c.diff_high
    assert c.change_pct == pytest.approx(100 * (0.25 / 0.28 - 1))
    se = math.sqrt(1 / 250 - 1 / 1000 + 1 / 280 - 1 / 1000)
    assert c.change_low == pytest.approx(100 * (0.25 / 0.28 * math.exp(-1.959964 * se) - 1), abs=1e-3)
    # pooled z test: z = -0.03 / sqrt(p(1-p)(2/1000)), p = 0.265
    z = -0.03 / math.sqrt(0.265 * 0.735 * 0.002)
    assert c.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2)))), rel=1e-3)


def test_kaplan_meier_median_on_tiny_censored_example():
    # S(2)=5/6, S(3)=5/6*4/5=2/3 (one censored at 3), S(5)=2/3*2/3=4/9 < 0.5 -> median 5
    days = [2, 3, 3, 5, 6, 8]
    event = [1, 1, 0, 1, 0, 1]
    curve = saturation.kaplan_meier(days, event)
    s = curve.set_index("time")["survival"]
    assert s[0] == 1
    assert s[2] == pytest.approx(5 / 6)
    assert s[3] == pytest.approx(2 / 3)
    assert s[5] == pytest.approx(4 / 9)
    assert s[8] == pytest.approx(0)
    assert curve.set_index("time").loc[5, "at_risk"] == 3
    assert saturation.km_median(curve) == 5
    from statsmodels.duration.survfunc import SurvfuncRight

    sf = SurvfuncRight(np.array(days, float), np.array(event))
    assert np.allclose(sf.surv_prob, s.drop(0).drop([6]).to_numpy())


def test_km_median_not_reached_is_nan():
    curve = saturation.kaplan_meier([1, 2, 3], [1, 0, 0])
    assert math.isnan(saturation.km_median(curve))


def test_wait_durations_censor_at_wave_end():
    end = saturation.wave_end(WAVES[0])
    df = census_frame([
        {"demand_date": pd.Timestamp("2020-11-10"), "first_appointment": pd.Timestamp("2020-11-20")},
        {"demand_date": pd.Timestamp("2020-11-10")},  # none yet: censored at the wave end
        {"demand_date": pd.Timestamp("2020-11-10"), "outcome": WAITING,
         "first_appointment": end + pd.Timedelta(days=30)},  # after the end: censored too
        {"demand_date": pd.Timestamp("2020-11-10"), "first_appointment": pd.Timestamp("2020-11-01")},  # impossible
        {"demand_date": pd.Timestamp("2020-11-10"), "outcome": REORIENTED},  # not meant to get an appointment
    ])
    w, excl = saturation.wait_durations(df)
    assert excl == {"excluded_before_demand": 1}
    assert w["days"].tolist() == [10, (end - pd.Timestamp("2020-11-10")).days, (end - pd.Timestamp("2020-11-10")).days]
    assert w["event"].tolist() == [True, False, False]
    assert end == pd.Timestamp("2021-02-28")



@pytest.fixture(scope="module")
def simulated():
    return simulate_census(6000, seed=11, beta=BETA)


def test_logistic_model_recovers_known_odds_ratios_with_clustered_errors(simulated):
    income = reference.income(2021)["mean_income_per_return_eur"]
    res = saturation.fit_constrained_model(simulated, income)
    t = res.table.set_index("term")
    # reference levels are the most frequent: adults and the first follow-up
    for term, b in BETA.items():
        if term == "const":
            continue
        assert math.log(t.loc[term, "odds_ratio"]) == pytest.approx(b, abs=0.15), term
        assert t.loc[term, "ci_low"] < t.loc[term, "odds_ratio"] < t.loc[term, "ci_high"]
    assert res.fit.cov_type == "cluster"
    assert res.clusters == len(SSMS)
    assert res.n == 6000 and res.excluded_outside_brussels == 0
    assert res.references == {"public": PUBLICS[2], "followup": FOLLOWUPS[0]}  # no wave term: one wave
    assert list(res.table.columns) == ["term", "variable", "odds_ratio", "ci_low", "ci_high", "p_value", "df"]


def test_model_excludes_demands_outside_brussels(simulated):
    df = simulated.copy()
    df.loc[df.index[:40], "commune_nis"] = pd.NA
    df.loc[df.index[:40], "residence"] = "hors_bruxelles"
    df.loc[df.index[40:45], "public"] = pd.NA
    income = reference.income(2021)["mean_income_per_return_eur"]
    res = saturation.fit_constrained_model(df, income)
    assert res.excluded_outside_brussels == 40
    assert res.excluded_missing == 5
    assert res.n == 6000 - 45


def test_metrics_keys_and_values(simulated):
    income = reference.income(2021)["mean_income_per_return_eur"]
    res = saturation.analyse_saturation(simulated, income)
    m = saturation.saturation_metrics(res)
    w = WAVES[0]
    assert m[f"saturation.{w}.n"] == 6000
    assert m[f"saturation.{w}.services_n"] == len(SSMS)
    shares = sum(m[f"saturation.{w}.{k}_pct"] for k in ("accepted", "waiting", "reoriented", "no_followup"))
    assert shares == pytest.approx(100)
    assert m[f"saturation.{w}.constrained_of_reoriented_pct"] == pytest.approx(100)
    assert m[f"saturation.{w}.full_destination_pct"] == pytest.approx(70, abs=3)
    assert m[f"saturation.{w}.median_wait_days"] == pytest.approx(40 * math.log(2), abs=4)
    assert f"saturation.{w}.public.{PUBLICS[0]}.constrained_pct" in m
    assert f"saturation.{w}.followup.{FOLLOWUPS[0]}.accepted_pct" in m
    assert "saturation.model.or.income_10k" in m and "saturation.model.or_low.income_10k" in m
    assert not any(isinstance(v, str) and " " in v for v in m.values())  # no French text: see publish
    assert "saturation.accepted_change_pct" not in m  # one wave only


def test_empty_census_gives_only_the_availability_flag():
    empty = schema.empty_frame("census")
    res = saturation.analyse_saturation(empty, saturation.census_income(empty))
    assert res.waves == [] and res.model is None
    assert saturation.saturation_metrics(res) == {"saturation.available": False}


# ---------------------------------------------------------------- clustering by service, censoring, stability

def _two_wave_census(seed: int = 3) -> pd.DataFrame:
    """Two waves, services with their own acceptance level; wave 2 adds two services."""
    rng = np.random.default_rng(seed)
    rows = []
    for w, services in ((WAVES[0], SSMS[:8]), (WAVES[1], SSMS[:10])):
        for s in services:
            level = rng.uniform(0.1, 0.5)
            for _ in range(int(rng.integers(20, 60))):
                rows.append({"wave": w, "service_code": s, "demand_date": pd.Timestamp("2020-11-10" if w == WAVES[0]
                                                                                      else "2022-11-10"),
                             "outcome": ACCEPTED if rng.random() < level else REORIENTED,
                             "reorientation_reason": CONSTRAINED})
    return census_frame(rows)


def test_clustered_wave_comparison_is_wider_than_the_unclustered_test():
    census = _two_wave_census()
    c = saturation.compare_waves_clustered(census, WAVES[0], WAVES[1], "accepted", boot_reps=1999)
    naive = saturation.compare_waves(census, WAVES[0], WAVES[1], "accepted")
    assert c.diff_pts == pytest.approx(naive.diff_pts)
    assert (c.diff_high - c.diff_low) > (naive.diff_high - naive.diff_low)
    assert c.p_unclustered == pytest.approx(naive.p_value)
    assert c.services_from == 8 and c.services_to == 10 and c.services_common == 8
    assert 1 < c.df < 10 and 0 <= c.p_boot <= 1 and abs(c.p_boot - c.p_value) < 0.1


def test_paired_comparison_keeps_only_services_present_in_both_waves():
    census = _two_wave_census()
    p = saturation.compare_waves_clustered(census, WAVES[0], WAVES[1], "constrained", paired=True, boot_reps=199)
    kept = census[census["service_code"].isin(SSMS[:8])]
    assert p.n_to == int((kept["wave"] == WAVES[1]).sum()) and p.services_to == 8 and p.scope == "paired"


def test_like_for_like_comparisons_are_in_the_metrics():
    census = _two_wave_census()
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    m = saturation.saturation_metrics(res)
    for key in ("accepted", "constrained"):  # ten SSM in all: clustered inference
        assert m[f"saturation.compare.{key}.method"] == "CR2-BM"
        assert m[f"saturation.compare.{key}.p_value"] > 0
    for key in ("accepted_paired", "constrained_paired"):  # eight SSM in both waves: fewer than MIN_CLUSTERS
        assert m[f"saturation.compare.{key}.p_value"] is None
        assert m[f"saturation.compare.{key}.diff_pts"] is not None  # the difference itself stays
    # the headline keys are the clustered ones; the unclustered p-value is named as such
    assert m["saturation.accepted_p_value"] == m["saturation.compare.accepted.p_value"]
    assert "saturation.accepted_unclustered_p_value" in m


def test_median_wait_upper_bound_not_estimable_when_most_demands_are_censored():
    end = saturation.wave_end(WAVES[0])
    start = pd.Timestamp("2020-11-10")
    rows = [{"demand_date": start, "first_appointment": start + pd.Timedelta(days=d)} for d in (5, 9, 20, 31, 40)]
    rows += [{"demand_date": start}] * 6  # never seen: censored at the wave end
    w, _ = saturation.wait_durations(census_frame(rows))
    med = saturation.median_waits(w, ["wave"]).iloc[0]
    assert med["censored"] == 6 and med["censored_pct"] == pytest.approx(600 / 11)
    assert math.isnan(med["ci_high"]) and not med["ci_high_estimable"]
    assert (end - start).days > 40
    m = saturation._median_metrics("x", med)
    assert m["x.median_wait_days_high_estimable"] is False and m["x.wait_censored_n"] == 6


def test_logistic_model_uses_cr2_and_flags_too_few_events_per_parameter(simulated):
    income = reference.income(2021)["mean_income_per_return_eur"]
    res = saturation.fit_constrained_model(simulated, income)
    assert res.cov_type == "CR2-BM" and res.stable and res.events_per_parameter >= 10
    assert (res.table["df"] < len(SSMS)).all() and (res.table["df"] > 1).all()
    few = simulated.iloc[:150]
    small = saturation.fit_constrained_model(few, income)
    assert small.events_per_parameter < 10 and not small.stable
    m = saturation.saturation_metrics(saturation.analyse_saturation(few, income))
    assert m["saturation.model.stable"] is False


def _generated_clean(tmp_path, seed: int = 3) -> dict[str, pd.DataFrame]:
    """The clean tables of a new period written by the independent generator."""
    from analysis.example.new_period import write_new_period
    from analysis.ingest.clean import run_cleaning

    write_new_period(tmp_path / "raw", seed=seed)
    return run_cleaning(tmp_path / "raw", "2023-01", "2023-06").tables


def test_census_share_interval_is_clustered_by_service_like_referrals(tmp_path):
    """A census share gets the referrals chapter's interval (the wider of Wilson and CR2 by service),
    on a generated period: the census table and the first-line comparison print the same interval."""
    from analysis.analyses import referrals
    from analysis.analyses.cluster import MIN_CLUSTERS, share_interval

    t = _generated_clean(tmp_path)
    census = t["census"]
    table = saturation.indicator_table(census, ["wave"])
    res = referrals.analyse_referrals(t["users"], t["pros"], census, "2023-01", "2023-06")
    c = res.comparison
    assert c is not None and c.census_services >= 3
    row = table[(table["wave"] == c.census_wave) & (table["indicator"] == "first_line")].iloc[0]
    assert (row["k"], row["n"]) == (c.census_k, c.census_n)
    assert row["ci_low"] == pytest.approx(100 * c.census_low, abs=1e-9, nan_ok=True)
    assert row["ci_high"] == pytest.approx(100 * c.census_high, abs=1e-9, nan_ok=True)
    # four SSM: fewer than MIN_CLUSTERS, no interval at all (analyses.cluster, review of 2026-12-05)
    assert c.census_services < MIN_CLUSTERS and table["ci_low"].isna().all() and table["ci_high"].isna().all()
    # with ten SSM: every indicator the same rule, and wider than Wilson where the services differ
    census = _two_wave_census()
    table = saturation.indicator_table(census, ["wave"])
    table = table[table["wave"] == WAVES[1]]
    flagged = saturation.add_flags(census)
    wider = 0
    for _, r in table.iterrows():
        g = flagged[flagged["wave"] == r["wave"]]
        among = {"constrained_of_reoriented": g["reoriented"], "full_destination": g["full_known"],
                 "first_line": g["first_line_known"]}.get(r["indicator"], pd.Series(True, index=g.index))
        flag = {"constrained_of_reoriented": "constrained", "full_destination": "full"}.get(r["indicator"],
                                                                                            r["indicator"])
        y = g.loc[among.to_numpy(dtype=bool), flag].astype(bool).to_numpy()
        lo, hi = share_interval(y, g.loc[among.to_numpy(dtype=bool), "service_code"].astype(str).to_numpy())
        assert (r["k"], r["n"]) == (int(y.sum()), len(y))
        if len(y):
            assert (r["ci_low"], r["ci_high"]) == pytest.approx((100 * lo, 100 * hi), abs=1e-9)
            w_lo, w_hi = saturation.wilson_ci(int(y.sum()), len(y))
            assert r["ci_low"] <= 100 * w_lo + 1e-9 and r["ci_high"] >= 100 * w_hi - 1e-9
            wider += (r["ci_high"] - r["ci_low"]) > 100 * (w_hi - w_lo) + 0.5
    assert wider >= 3  # clustering matters on real-looking data: not just Wilson under another name


def test_census_share_of_one_service_falls_back_to_wilson():
    """One service: no cluster-robust interval can be estimated, the Wilson interval stays."""
    df = small_census()
    df["service_code"] = df["service_code"].iloc[0]
    t = saturation.indicator_table(df, ["wave"])
    r = _ind(t, "accepted")
    lo, hi = saturation.wilson_ci(int(r["k"]), int(r["n"]))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((100 * lo, 100 * hi))


def test_every_public_and_followup_is_listed_in_every_wave():
    """A level shown only when somebody is in it would tell that its « < 5 » is at least 1 (second review,
    B2): the breakdowns by public and by requested follow-up list every level of the reference tables in
    every wave, an empty one with zero counts, and the census plan protects them like any small count."""
    from analysis.publish.saturation import saturation_plan

    adult = reference.codes("publics")[2]
    rows = ([{"outcome": ACCEPTED, "public": adult, "followup_requested": reference.codes("followups")[0]}] * 30
            + [{"outcome": REORIENTED, "public": adult}] * 12 + [{"outcome": WAITING}] * 8)
    census = census_frame(rows)
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    for table, column, codes in ((res.by_public, "public", "publics"), (res.by_followup, "followup_requested",
                                                                         "followups")):
        listed = table.loc[table["indicator"] == "accepted", column].astype(str)
        assert sorted(listed) == sorted(reference.codes(codes)), column
        empty = table[(table[column] != listed.iloc[0]) & (table["indicator"] == "accepted")]
    assert (res.by_public.loc[res.by_public["public"] != adult, "n"] == 0).all()
    assert not empty.empty
    plan = saturation_plan(res)
    assert plan.protection.unsafe() == []
    assert plan.reason(f"{res.waves[0]}|public|{reference.codes('publics')[0]}", "n") == "primary"
