"""Editions over time: the statistics by hand and against statsmodels, and the comparison of two real
runs (the bundled example, 2021-09 → 2022-04, and the generated new period, 2023-01 → 2023-06)
recomputed independently from their clean Parquet files."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from analysis.analyses import evolution as E
from analysis.analyses.cluster import MIN_CLUSTERS
from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START, REFERENCE_DIR
from analysis.example.new_period import write_new_period
from analysis.ingest.clean import run_cleaning

NEW_START, NEW_END = "2023-01", "2023-06"


# --------------------------------------------------------------------------- statistics by hand


def test_quasi_poisson_ratio_matches_a_poisson_glm_with_pearson_scale():
    y1 = np.array([10, 30, 8, 25.0])
    y2 = np.array([20, 5, 15, 60, 22, 18.0])
    r = E.quasi_poisson_ratio(y1, y2)
    d = pd.DataFrame({"y": np.r_[y1, y2], "p": [0] * 4 + [1] * 6})
    m = sm.GLM(d["y"], sm.add_constant(d["p"]), family=sm.families.Poisson()).fit(scale="X2")
    assert m.scale > 1  # overdispersed: the Pearson scale is used as is
    assert r["ratio"] == pytest.approx(math.exp(m.params["p"]))
    assert r["rate_before"] == pytest.approx(73 / 4) and r["rate_after"] == pytest.approx(140 / 6)
    assert r["dispersion"] == pytest.approx(m.scale)
    q = sps.t.ppf(0.975, 8)
    assert r["ratio_low"] == pytest.approx(math.exp(m.params["p"] - q * m.bse["p"]))
    assert r["ratio_high"] == pytest.approx(math.exp(m.params["p"] + q * m.bse["p"]))


def test_quasi_poisson_floors_the_dispersion_at_one_and_handles_zeros():
    r = E.quasi_poisson_ratio(np.array([10, 10.0]), np.array([20, 20, 20.0]))
    assert r["dispersion"] == 1 and r["ratio"] == pytest.approx(2)
    se = math.sqrt(1 / 20 + 1 / 60)
    assert r["ratio_low"] == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-5)
    # nothing in the second period: exact conditional interval (Clopper-Pearson on 0 of 3, times t1/t2)
    z = E.quasi_poisson_ratio(np.array([3, 0.0]), np.array([0, 0, 0.0]))
    p_high = 1 - 0.025 ** (1 / 3)
    assert z["ratio"] == 0 and z["ratio_low"] == 0
    assert z["ratio_high"] == pytest.approx(p_high / (1 - p_high) * 2 / 3)
    assert E.verdict_ratio(z["ratio_low"], z["ratio_high"]) == "indetermine"  # 3 activities: too few
    many = E.quasi_poisson_ratio(np.full(8, 12.0), np.zeros(6))  # 96 activities, then none
    assert many["ratio_high"] < 0.1 and E.verdict_ratio(many["ratio_low"], many["ratio_high"]) == "baisse"
    new = E.quasi_poisson_ratio(np.zeros(8), np.full(6, 10.0))  # nothing before, 60 now
    assert new["ratio"] == math.inf and new["ratio_high"] == math.inf and new["ratio_low"] > 1
    assert E.verdict_ratio(new["ratio_low"], new["ratio_high"]) == "hausse"
    assert E.verdict_ratio(math.nan, 1.0) == "indetermine"


def test_cluster_ratio_is_the_cluster_robust_poisson_glm():
    before = pd.Series([10, 0, 3, 7], index=list("abcd"))
    after = pd.Series([12, 5, 0, 9, 4], index=list("abcde"))
    r = E.cluster_ratio(before, after, 8, 6)
    rows = [(s, p, int(ser.get(s, 0)), t) for s in list("abcde")
            for p, ser, t in ((0, before, 8), (1, after, 6))]
    d = pd.DataFrame(rows, columns=["s", "p", "y", "t"])
    m = sm.GLM(d["y"], sm.add_constant(d["p"]), family=sm.families.Poisson(), offset=np.log(d["t"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["s"])[0], "use_correction": False})
    g = 5
    se = m.bse["p"] * math.sqrt(g / (g - 1))  # our correction: G / (G − 1) only
    q = sps.t.ppf(0.975, g - 1)
    assert r["ratio"] == pytest.approx(math.exp(m.params["p"]), rel=1e-6) == pytest.approx((30 / 6) / (20 / 8))
    assert r["ratio_low"] == pytest.approx(r["ratio"] * math.exp(-q * se), rel=1e-6)
    assert r["ratio_high"] == pytest.approx(r["ratio"] * math.exp(q * se), rel=1e-6)


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), method 10: 56/70 − 48/80 = 0,2000, 95 % CI 0,0524 to 0,3339
    r = E.newcombe_diff(48, 80, 56, 70)
    assert r["diff_pts"] == pytest.approx(20)
    assert r["diff_low"] == pytest.approx(5.24, abs=0.01) and r["diff_high"] == pytest.approx(33.39, abs=0.01)
    wider = E.newcombe_diff(48, 80, 56, 70, deff1=2, deff2=2)
    assert wider["diff_low"] < r["diff_low"] and wider["diff_high"] > r["diff_high"]


def test_design_effect():
    n = pd.Series([10, 10, 10, 10], index=list("abcd"))
    assert E.design_effect(pd.Series([5, 5, 5, 5], index=list("abcd")), n) == 1.0  # no variation between services
    k = pd.Series([10, 0, 10, 0], index=list("abcd"))
    p = 0.5  # all the variation is between services: deff = C/(C−1) Σ(k − pn)² / n² / (p(1−p)/n)
    expected = 4 / 3 * 4 * 25 / 40**2 / (p * (1 - p) / 40)
    assert E.design_effect(k, n) == pytest.approx(expected)


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (1.1, 1.4, "hausse"), (0.5, 0.9, "baisse"), (0.85, 1.2, "stable"), (0.6, 1.5, "indetermine"),
    (math.nan, math.nan, "indetermine"),
])
def test_verdict_comes_from_the_interval(low, high, verdict):
    assert E.verdict_ratio(low, high) == verdict


def test_verdict_of_a_difference():
    assert E.verdict_diff(1, 9, 5) == "hausse"
    assert E.verdict_diff(-4, 3, 5) == "stable"
    assert E.verdict_diff(-12, 3, 5) == "indetermine"


# --------------------------------------------------------------------------- code changes


def test_code_changes_map_old_codes_and_the_axis(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    (ref / "code_changes.csv").write_text(
        "domain,old_code,new_code,since,note\nactivity_types,atelier,communautaire_collectif,2023-01,renamed\n"
        "services,OLD,NOR,2023-01,merged\n", encoding="utf-8")
    act = pd.DataFrame({"service_code": ["OLD", "CGE"], "activity_type": ["atelier", "formation"],
                        "axis": ["axis9", "axis2"], "month": ["2021-09", "2021-09"]}, dtype="string")
    sub = pd.DataFrame({"service_code": ["OLD", "NOR"], "month": ["2021-09", "2021-09"],
                        "returned_activities": [True, False], "returned_users": [False, False],
                        "returned_pros": [False, False]})
    tables, mapped = E.apply_code_changes({"activities": act, "submissions": sub}, E.code_changes(ref), ref)
    assert tables["activities"]["activity_type"].tolist() == ["communautaire_collectif", "formation"]
    assert tables["activities"]["axis"].tolist() == ["axis1", "axis2"]
    assert tables["activities"]["service_code"].tolist() == ["NOR", "CGE"]
    assert tables["submissions"].set_index("service_code").loc["NOR", "returned_activities"]  # merged months
    assert set(mapped["old_code"]) == {"atelier", "OLD"}
    assert E.code_changes(REFERENCE_DIR).columns.tolist() == ["domain", "old_code", "new_code", "since", "note"]


def test_code_changes_of_the_raw_folder_add_to_the_reference_table(tmp_path):
    """A period's raw folder may carry its own ``code_changes.csv`` (with its services registry): read after
    the reference table, in the order of ``since`` (a chain is followed to its end); a bad file is one
    French line."""
    from analysis.errors import InputError

    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    (ref / "code_changes.csv").write_text("domain,old_code,new_code,since,note\nservices,B,C,2024-01,\n",
                                          encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "code_changes.csv").write_text("domain;old_code;new_code;since;note\nservices;A;B;2023-01;fusion\n",
                                          encoding="utf-8")
    ch = E.code_changes(ref, raw)
    assert ch[["old_code", "new_code"]].values.tolist() == [["A", "B"], ["B", "C"]]
    sub = pd.DataFrame({"service_code": ["A", "C"], "month": ["2021-09", "2021-10"], "returned_activities": [True, True],
                        "returned_users": [False, False], "returned_pros": [False, False]})
    tables, _ = E.apply_code_changes({"submissions": sub}, ch, ref)
    assert set(tables["submissions"]["service_code"]) == {"C"}
    older = tmp_path / "raw-2023"  # a compared edition's raw folder: its changes stay in force
    older.mkdir()
    (older / "code_changes.csv").write_text("domain,old_code,new_code,since\nreferrers,cpas,aide_sociale_generale,"
                                            "2022-01\n", encoding="utf-8")
    assert E.code_changes(ref, raw, (older,))["old_code"].tolist() == ["cpas", "A", "B"]
    (raw / "code_changes.csv").write_text("domain,old_code,new_code\nservice,A,B\n", encoding="utf-8")
    with pytest.raises(InputError, match="domaine « service » inconnu"):
        E.code_changes(ref, raw)


def test_code_changes_declared_with_a_period_stay_with_its_run_folder(tmp_path):
    """The raw folder of an earlier period is often gone when the next edition is built: the changes it
    declared are kept in its run folder (as notebook 06 writes them), and a later comparison with that run
    still maps them; the reference table's own changes are not copied."""
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    (ref / "code_changes.csv").write_text("domain,old_code,new_code,since,note\nreferrers,cpas,x,2022-01,\n",
                                          encoding="utf-8")
    raw, out = tmp_path / "raw-2023", tmp_path / "run-2023"
    raw.mkdir()
    out.mkdir()
    (raw / "code_changes.csv").write_text("domain,old_code,new_code,since,note\nservices,GRE,GRC,2023-01,fusion\n",
                                          encoding="utf-8")
    declared = E.declared_code_changes(raw)
    assert declared[["domain", "old_code", "new_code"]].values.tolist() == [["services", "GRE", "GRC"]]
    declared.to_csv(out / "code_changes.csv", index=False, encoding="utf-8")
    shutil.rmtree(raw)
    ch = E.code_changes(ref, tmp_path / "raw-2024", (out,))
    assert ch[["old_code", "new_code"]].values.tolist() == [["cpas", "x"], ["GRE", "GRC"]]
    # the next run keeps the chain too (its own raw folder declares nothing)
    assert E.declared_code_changes(tmp_path / "raw-2024", (out,))["old_code"].tolist() == ["GRE"]
    assert E.declared_code_changes(tmp_path / "nothing").empty


# --------------------------------------------------------------------------- two real runs


def _write_run(out, raw, start, end, is_example):
    run_cleaning(raw, start, end).write(out / "clean")
    manifest = {"created": "2026-01-01T00:00:00+00:00", "commit": "0123456789abcdef", "commit_dirty": False,
                "parameters": {"raw": str(raw), "start": start, "end": end, "out": str(out), "threshold": 5,
                               "is_example": is_example}, "inputs": {"a.xlsx": "x"}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The example run and a new-period run (clean tables and manifest, as ``prr run`` writes them)."""
    root = tmp_path_factory.mktemp("evolution")
    raw = root / "raw2023"
    write_new_period(raw, seed=0, start=NEW_START, end=NEW_END)
    before = _write_run(root / "example", EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, True)
    after = _write_run(root / "new", raw, NEW_START, NEW_END, False)
    return before, after


@pytest.fixture(scope="module")
def result(runs):
    before, after = runs
    return E.analyse_evolution(after, [before])


def _months(start, end):
    return [p.strftime("%Y-%m") for p in pd.period_range(start, end, freq="M")]


def _parquet(run, table):
    return pd.read_parquet(run / "clean" / f"{table}.parquet")


def _services(run):
    return set().union(*(set(_parquet(run, t)["service_code"].dropna()) for t in ("submissions", "activities", "users")))


def test_periods_and_provenance(result, runs):
    before, after = runs
    assert [e.start for e in result.earlier] == [EXAMPLE_START] and result.current.start == NEW_START
    assert result.earlier[0].n_months == 8 and result.current.n_months == 6
    p = E.provenance(result.earlier[0])
    assert p == {**p, "raw": "example", "commit": "0123456789abcdef", "start": EXAMPLE_START, "end": EXAMPLE_END,
                 "run": "example", "created": "2026-01-01T00:00:00+00:00", "inputs_n": 1}


def test_activities_per_month_recomputed_from_parquet(result, runs):
    before, after = runs
    comp = result.comparisons[0].set_index(["scope", "measure", "key"])
    a1, a2 = _parquet(before, "activities"), _parquet(after, "activities")
    m1, m2 = _months(EXAMPLE_START, EXAMPLE_END), _months(NEW_START, NEW_END)
    a1, a2 = a1[a1["month"].isin(m1)], a2[a2["month"].isin(m2)]
    common = sorted(_services(before) & _services(after))
    assert comp.attrs["common_services"] == common if hasattr(comp, "attrs") else True
    assert result.comparisons[0].attrs["common_services"] == common
    for scope, (x1, x2) in {"all": (a1, a2), "common": (a1[a1["service_code"].isin(common)],
                                                        a2[a2["service_code"].isin(common)])}.items():
        for axis in ("total", "axis1", "axis2", "axis3", "divers"):
            s1 = x1 if axis == "total" else x1[x1["axis"] == axis]
            s2 = x2 if axis == "total" else x2[x2["axis"] == axis]
            r = comp.loc[(scope, "activities", axis)]
            assert r["rate_before"] == pytest.approx(len(s1) / 8), (scope, axis)
            assert r["rate_after"] == pytest.approx(len(s2) / 6), (scope, axis)
            y1 = s1.groupby("month").size().reindex(m1, fill_value=0).to_numpy(float)
            y2 = s2.groupby("month").size().reindex(m2, fill_value=0).to_numpy(float)
            if y1.sum() and y2.sum():
                d = pd.DataFrame({"y": np.r_[y1, y2], "p": [0] * 8 + [1] * 6})
                m = sm.GLM(d["y"], sm.add_constant(d["p"]), family=sm.families.Poisson()).fit(scale="X2")
                scale = max(1.0, m.scale)
                se = m.bse["p"] * math.sqrt(scale / m.scale)
                q = sps.t.ppf(0.975, 12) if m.scale > 1 else sps.norm.ppf(0.975)
                assert r["ratio"] == pytest.approx(math.exp(m.params["p"]), rel=1e-6)
                assert r["ratio_low"] == pytest.approx(math.exp(m.params["p"] - q * se), rel=1e-6)
        # participations: users present for axis-1 types, professionals present for pros types
        types = pd.read_csv(REFERENCE_DIR / "activity_types.csv").set_index("code")["participants"]
        for x, months, key in ((x1, 8, "rate_before"), (x2, 6, "rate_after")):
            kind = x["activity_type"].map(types)
            part = x["users_present"].where(kind == "users", x["pros_present"].where(kind == "pros"))
            assert comp.loc[(scope, "participations", "total"), key] == pytest.approx(
                float(part.fillna(0).sum()) / months)
    for code in ("suivi_accompagnement", "temps_reseau", "formation"):
        r = comp.loc[("all", "activities", f"type.{code}")]
        assert r["count_before"] == (a1["activity_type"] == code).sum()
        assert r["count_after"] == (a2["activity_type"] == code).sum()


def test_new_demands_shares_and_participation_recomputed_from_parquet(result, runs):
    before, after = runs
    comp = result.comparisons[0].set_index(["scope", "measure", "key"])
    u1, u2 = _parquet(before, "users"), _parquet(after, "users")
    u1 = u1[u1["month"].isin(_months(EXAMPLE_START, EXAMPLE_END))]
    u2 = u2[u2["month"].isin(_months(NEW_START, NEW_END))]
    r = comp.loc[("all", "users", "total")]
    assert (r["count_before"], r["count_after"]) == (len(u1), len(u2))
    # cluster-robust Poisson GLM on services × periods (zeros for a service absent from a period); a service
    # with no new demand in either edition is no cluster (ninth review, M1)
    has = set(u1["service_code"].astype(str)) | set(u2["service_code"].astype(str))
    clusters = sorted((_services(before) | _services(after)) & has)
    c1 = u1.groupby("service_code").size().reindex(clusters, fill_value=0)
    c2 = u2.groupby("service_code").size().reindex(clusters, fill_value=0)
    d = pd.DataFrame({"y": np.r_[c1, c2], "p": [0] * len(clusters) + [1] * len(clusters),
                      "t": [8] * len(clusters) + [6] * len(clusters), "g": clusters * 2})
    m = sm.GLM(d["y"], sm.add_constant(d["p"]), family=sm.families.Poisson(), offset=np.log(d["t"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["g"])[0], "use_correction": False})
    g = len(clusters)
    se = m.bse["p"] * math.sqrt(g / (g - 1))
    assert r["ratio"] == pytest.approx(math.exp(m.params["p"]), rel=1e-6)
    if g < MIN_CLUSTERS:  # persons in fewer than ten services: no interval (analyses.cluster)
        assert math.isnan(r["ratio_low"]) and math.isnan(r["ratio_high"]) and r["verdict"] == "indetermine"
    else:
        assert r["ratio_high"] == pytest.approx(math.exp(m.params["p"] + sps.t.ppf(0.975, g - 1) * se), rel=1e-6)
    refs = pd.read_csv(REFERENCE_DIR / "referrers.csv", keep_default_na=False)
    first = set(refs.loc[refs["first_line"] == "true", "code"])
    fl = comp.loc[("all", "first_line", "first_line")]
    for u, side in ((u1, "before"), (u2, "after")):
        known = u[u["referrer"] != "inconnu"]
        assert fl[f"k_{side}"] == known["referrer"].isin(first).sum() and fl[f"n_{side}"] == len(known)
        assert comp.loc[("all", "gender", "F"), f"k_{side}"] == (u["gender"] == "F").sum()
        assert comp.loc[("all", "referrer", "sante_generale"), f"k_{side}"] == (u["referrer"] == "sante_generale").sum()
    age = comp.loc[("all", "age_mean", "age_mean")]
    assert age["mean_before"] == pytest.approx(u1["age"].dropna().mean())
    assert age["mean_after"] == pytest.approx(u2["age"].dropna().mean())
    s1 = _parquet(before, "submissions")
    p = comp.loc[("all", "participation", "rate")]
    assert (p["k_before"], p["n_before"]) == (s1["returned_activities"].sum(), len(s1))
    ex = json.loads((before / "manifest.json").read_text())  # the example run's own rate, k / n
    assert ex["parameters"]["start"] == EXAMPLE_START and p["pct_before"] == pytest.approx(
        100 * s1["returned_activities"].mean())


def test_per_service_and_series(result, runs):
    before, after = runs
    svc = result.services[0].set_index("service_code")
    a1, a2 = _parquet(before, "activities"), _parquet(after, "activities")
    for s in sorted(_services(before) & _services(after)):
        assert svc.loc[s, "rate_before"] == pytest.approx((a1["service_code"] == s).sum() / 8)
        assert svc.loc[s, "rate_after"] == pytest.approx((a2["service_code"] == s).sum() / 6)
        assert svc.loc[s, "in_before"] and svc.loc[s, "in_after"]
    assert result.current.names["PAS"] == "Passerelle Mobile"  # from the registry shipped with the raw folder
    assert result.earlier[0].names["CGE"] == "Centre de Guidance d'Etterbeek"
    series = result.series
    assert set(series["month"]) == set(_months(EXAMPLE_START, EXAMPLE_END)) | set(_months(NEW_START, NEW_END))
    assert "2022-09" not in set(series["month"])  # a month between the editions has no point
    assert series[series["edition"] == 0]["n"].sum() == len(a1)


def test_metrics_carry_no_person_value(result):
    m = E.evolution_metrics(result)
    assert m["evolution.compared_n"] == 1 and m["evolution.editions.1.start"] == EXAMPLE_START
    person = [k for k in m if ".users." in k or ".first_line." in k or ".referrer." in k or ".gender." in k]
    assert person and all(k.endswith(".verdict") for k in person)
    assert m["evolution.editions.1.all.activities.total.verdict"] in E.VERDICTS
