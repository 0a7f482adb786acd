"""Reader-facing saturation outputs: disclosure in tables, model sentence, figures, files written."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import reference
from analysis.analyses import saturation
from analysis.ingest import schema
from analysis.publish import saturation as publish

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import BETA, simulate_census, small_census  # noqa: E402


@pytest.fixture(scope="module")
def simulated():
    return simulate_census(6000, seed=11, beta=BETA)


@pytest.fixture(scope="module")
def analysed(simulated):
    return saturation.analyse_saturation(simulated, reference.income(2021)["mean_income_per_return_eur"])


def test_model_sentence_and_labels(analysed):
    res = analysed.model
    sentence = publish.model_sentence(res)
    assert "rapport de cotes" in sentence and "Par tranche de 10" in sentence
    assert "plus pauvres sont plus souvent réorientées" in sentence
    assert "vague" not in sentence.split(")")[0]  # one wave: not a covariate
    t = publish.model_table(res)
    assert list(t.columns[:4]) == ["term", "variable", "label_fr", "reference_fr"]
    assert t.set_index("term").loc["first_line", "reference_fr"] == "professionnel·le"
    prose = publish.saturation_prose(analysed)
    assert prose["saturation.model.sentence"] == sentence
    assert "raison indiquée par le service" in sentence
    # one wave only: the comparison says so, the wait sentence gives the median with its interval
    assert prose["saturation.compare.sentence"].startswith("Une seule vague")
    assert "Délai médian" in prose["saturation.wait.sentence"] and "IC" in prose["saturation.wait.sentence"]


def test_display_table_hides_small_counts():
    t = saturation.indicator_table(small_census(), ["wave"])
    d = publish.display_indicators(t, "wave", threshold=5)
    row = d.set_index("Indicateur").loc[publish.INDICATORS_FR["constrained"]]
    assert row["Effectif"].startswith("<") and row["% (IC 95 %)"] == "–"
    assert "2" not in row["Effectif"]
    accepted = d.set_index("Indicateur").loc["Suivi proposé"]
    assert accepted["Effectif"].startswith("<")  # 4 < 5


def test_figures_render(analysed, tmp_path):
    from analysis.publish.figures import save_figure, set_theme

    set_theme()
    res = analysed
    for name, (fig, alt) in {
        "outcomes": publish.plot_outcomes(res.by_wave),
        "forest": publish.plot_forest(res.model),
        "km": publish.plot_survival(res.curves, res.waits),
        "public": publish.plot_group_indicator(res.by_public, "public", "constrained",
                                               reference.labels("publics")),
    }.items():
        assert len(alt) > 40
        save_figure(fig, name, tmp_path, alt, "légende")
        assert (tmp_path / f"{name}.svg").stat().st_size > 1000


def test_empty_census_writes_placeholder_figure_and_table(tmp_path):
    """A raw folder without census files: figures and tables still written without error."""
    empty = schema.empty_frame("census")
    res = saturation.analyse_saturation(empty, saturation.census_income(empty))
    assert publish.saturation_prose(res) == {}
    written = publish.save_outputs(res, tmp_path / "f", tmp_path / "t")
    assert written["figures"] == ["saturation-issues"] and len(written["tables"]) == 1
    assert (tmp_path / "f" / f"{written['figures'][0]}.svg").exists()
    assert "Aucune demande" in (tmp_path / "t" / f"{written['tables'][0]}.md").read_text(encoding="utf-8")


def test_tables_written_exact_csv_and_published_markdown(tmp_path):
    t = saturation.indicator_table(small_census(), ["wave"])
    publish.write_table(t, publish.display_indicators(t, "wave"), "sat", tmp_path / "tables", "Légende | test")
    exact = pd.read_csv(tmp_path / "exact" / "sat.csv")
    assert exact.set_index("indicator").loc["constrained", "k"] == 2  # exact, unlike the published table
    md = (tmp_path / "tables" / "sat.md").read_text(encoding="utf-8")
    assert "| 2 |" not in (tmp_path / "tables" / "sat.csv").read_text(encoding="utf-8")
    assert md.splitlines()[0].startswith("| Vague | Indicateur |")
    assert md.splitlines()[-1] == ": Légende | test {#tbl-sat}"
    assert "| 2 |" not in md




@pytest.fixture(scope="module")
def two_waves(simulated):
    from census_rows import WAVES

    second = simulate_census(3000, seed=12, beta=BETA)
    second["wave"] = pd.array([WAVES[1]] * len(second), dtype=simulated["wave"].dtype)
    for col in ("demand_date", "first_appointment"):
        second[col] = second[col] + pd.DateOffset(years=2)
    census = pd.concat([simulated, second], ignore_index=True)
    return saturation.analyse_saturation(census, reference.income(2021)["mean_income_per_return_eur"])


def test_wave_comparison_is_like_for_like_and_never_confirms(two_waves):
    """Same indicator in both waves, the clustered interval, and « compatible » / « probable » wording."""
    text = publish.comparison_sentence(two_waves)
    assert text.count("À définition identique") == 2
    assert "suivi est proposé" in text and "faute de place (raison indiquée par le service)" in text
    for ind in ("accepted", "constrained"):
        c = two_waves.clustered[ind]
        assert f"{c.pct_from:.1f}".replace(".", ",") in text and f"{c.pct_to:.1f}".replace(".", ",") in text
        reading = publish._diff_reading(c.diff_low, c.diff_high, c.p_value, c.p_boot)
        assert reading in text.replace("L'intervalle", "l'intervalle")
        assert ("compatibles avec une absence de changement" in reading) == (c.diff_low <= 0 <= c.diff_high)
    assert "confirm" not in text and "significati" not in text


def test_wait_sentence_gives_interval_censoring_and_a_cautious_comparison(two_waves):
    text = publish.wait_sentence(two_waves)
    med = two_waves.medians_by_wave
    assert text.count("encore sans rendez-vous à la fin de la vague") == len(med)
    lows, highs = med["ci_low"].tolist(), med["ci_high"].tolist()
    if max(lows) <= min(highs):
        assert "ne permettent pas de dire que l'attente a changé" in text
    else:
        assert "ne tiennent pas compte du regroupement" in text


def test_wait_sentence_applies_the_stability_rule():
    t = saturation.analyse_saturation(small_census(), reference.income(2021)["mean_income_per_return_eur"])
    text = publish.wait_sentence(t)
    assert "effectif trop faible pour conclure" in text and "jours" not in text


# ---------------------------------------------------------------- shares resting on small counts (issue 12)

WITHHELD = "non publié (moins de 5)"


def test_share_publishable_needs_count_complement_and_denominator():
    assert publish.share_publishable(10, 30) and publish.share_publishable(0, 30)  # a true zero is publishable
    assert not publish.share_publishable(3, 30)  # count
    assert not publish.share_publishable(27, 30)  # complement
    assert not publish.share_publishable(4, 4) and not publish.share_publishable(0, 0)  # denominator
    assert not publish.share_publishable(20, 28, threshold=10) and publish.share_publishable(20, 30, threshold=10)


def _small_wave(comparison, k_from: int, n_from: int):
    """A wave comparison whose first wave has ``k_from`` of ``n_from`` demands (a small census wave)."""
    import dataclasses

    return dataclasses.replace(comparison, k_from=k_from, n_from=n_from, pct_from=100 * k_from / n_from)


def test_comparison_sentence_withholds_a_share_resting_on_a_small_count(two_waves):
    from types import SimpleNamespace

    acc, con = two_waves.clustered["accepted"], two_waves.clustered["constrained"]
    # complement small (38 of 40 accepted: 2 not accepted) and count small (3 of 40 constrained)
    res = SimpleNamespace(clustered={"accepted": _small_wave(acc, 38, 40), "constrained": _small_wave(con, 3, 40)})
    text = publish.comparison_sentence(res)
    assert "95,0" not in text and "7,5" not in text
    assert text.count(WITHHELD) == 2 and "n'est pas publié" in text
    for c in (acc, con):  # the difference would give the withheld share back: not printed either
        assert f"{abs(c.diff_pts):.1f}".replace(".", ",") not in text
        assert f"{c.pct_to:.1f}".replace(".", ",") in text  # the other wave's share is publishable
    # the threshold comes from the parameters: 20 of 28 has a complement of 8 < 10
    res = SimpleNamespace(clustered={"accepted": _small_wave(acc, 20, 28)})
    assert "71,4" in publish.comparison_sentence(res)
    text = publish.comparison_sentence(res, threshold=10)
    assert "71,4" not in text and "non publié (moins de 10)" in text


def test_wait_sentence_and_table_withhold_a_small_censored_share(two_waves):
    from types import SimpleNamespace

    med = two_waves.medians_by_wave.copy()
    med.loc[med.index[0], ["n", "events", "censored"]] = [30, 27, 3]  # 3 of 30 still waiting: 10 %
    med.loc[med.index[0], "censored_pct"] = 10.0
    text = publish.wait_sentence(SimpleNamespace(medians_by_wave=med))
    first = text.split(" ; ")[0]
    assert WITHHELD in first and "10 %" not in first.replace("\u00a0", " ") and "jours" in first
    row = publish.display_medians(med).iloc[0]
    assert row["Sans rendez-vous à la fin de la vague (censurées)"] == WITHHELD
    assert row["Premier rendez-vous observé"] == "n.p."  # 30 − 27 would give the 3 back
    assert row["Demandes"] == "30"


def _by_wave(counts: dict[str, int]) -> pd.DataFrame:
    from census_rows import WAVES

    n = sum(counts.values())
    return pd.DataFrame([{"wave": WAVES[0], "indicator": key, "k": k, "n": n, "pct": 100 * k / n,
                          "ci_low": 0.0, "ci_high": 100.0} for key, k in counts.items()])


def test_outcome_bars_are_drawn_from_published_shares_only():
    import matplotlib.pyplot as plt

    # 30 demands: 15 accepted, 3 waiting, 2 reoriented, 10 without follow-up
    fig, alt = publish.plot_outcomes(_by_wave({"accepted": 15, "waiting": 3, "reoriented": 2, "no_followup": 10}))
    ax = fig.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts).replace("\u00a0", " ")
    assert "50 %" not in texts and "33 %" not in texts and "10 %" not in texts and "7 %" not in texts
    assert "10 %" not in alt.replace("\u00a0", " ") and "7 %" not in alt.replace("\u00a0", " ")
    # waiting and reoriented are small; one large share is withheld too (else 30 − 15 − 10 = 5 pins them)
    assert alt.count(WITHHELD) == 3
    data_bars = [p for c in ax.containers for p in c]
    assert len(data_bars) == 4 and all(p.get_width() == 0 for p in data_bars)  # no data length for the withheld wave
    plt.close(fig)
    # every share publishable: drawn and labelled as before
    fig, alt = publish.plot_outcomes(_by_wave({"accepted": 10, "waiting": 5, "reoriented": 5, "no_followup": 20}))
    assert WITHHELD not in alt and "50 %" in alt.replace("\u00a0", " ")
    assert [p.get_width() for c in fig.axes[0].containers for p in c] == [25, 12.5, 12.5, 50]
    plt.close(fig)


def test_withheld_metrics_keep_small_shares_out_of_the_prose(analysed):
    from analysis.analyses.saturation import saturation_metrics
    from analysis.report.inputs import WITHHELD_FR, build_variables

    res = saturation.analyse_saturation(small_census(), reference.income(2021)["mean_income_per_return_eur"])
    keys = publish.withheld_metrics(res)
    w = res.waves[0]
    # 10 demands: 4 accepted (small count), 2 constrained (small count); the shares and intervals are withheld
    assert {f"saturation.{w}.accepted_pct", f"saturation.{w}.accepted_ci_low",
            f"saturation.{w}.constrained_pct"} <= keys
    metrics = saturation_metrics(res)
    flat = build_variables(metrics, withheld=keys, only={f"saturation.{w}.accepted_pct"})
    assert flat["saturation"][w]["accepted_pct"] == WITHHELD_FR
    # a large wave with no waiting list and no « sans suite » (the simulated census): two zeros, printed
    # « < 5 » like any small count. A reader takes the four outcomes for the whole wave and the waits'
    # demands for the accepted and waiting ones (true here): the reoriented count (demands − accepted) and
    # the accepted one (the waits' demands) would each pin the zeros, so both are hidden with their shares,
    # and the zeros keep their five values
    big = publish.withheld_metrics(analysed)
    wb = analysed.waves[0]
    assert {f"saturation.{wb}.accepted_pct", f"saturation.{wb}.constrained_pct"} <= big
    plan = publish.saturation_plan(analysed)
    assert plan.protection.unsafe() == []
    assert [plan.reason(wb, o) for o in ("accepted", "waiting", "reoriented", "no_followup")] == [
        "secondary", "primary", "secondary", "primary"]


def test_outcome_counts_in_the_table_cannot_be_recovered_by_difference():
    """Publishing 15 and 10 next to the total 30 would give waiting + reoriented = 5, hence each in 1..4
    (ranges narrower than the threshold): one large count is withheld too."""
    t = _by_wave({"accepted": 15, "waiting": 3, "reoriented": 2, "no_followup": 10})
    d = publish.display_indicators(t, "wave").set_index("Indicateur")
    eff = d["Effectif"].str.replace("\u00a0", " ")
    assert eff[publish.INDICATORS_FR["waiting"]] == "< 5" and eff[publish.INDICATORS_FR["reoriented"]] == "< 5"
    assert list(eff).count("n.p.") == 1 and (d.loc[eff == "n.p.", "% (IC 95 %)"] == "–").all()
    # a zero is « < 5 » too, as in the linked tables: then 3 + 2 + 0 = 5 leaves each hidden cell 0..4
    t = _by_wave({"accepted": 15, "waiting": 3, "reoriented": 2, "no_followup": 0})
    eff = list(publish.display_indicators(t, "wave")["Effectif"].str.replace("\u00a0", " "))
    assert eff == ["15", "< 5", "< 5", "< 5"]
    # two small cells next to two large ones: one large cell is hidden too (else waiting + reoriented = 5)
    t = _by_wave({"accepted": 10, "waiting": 3, "reoriented": 2, "no_followup": 10})
    eff = list(publish.display_indicators(t, "wave")["Effectif"].str.replace("\u00a0", " "))
    assert eff.count("< 5") == 2 and eff.count("n.p.") == 1
    # nothing small: nothing hidden
    t = _by_wave({"accepted": 10, "waiting": 5, "reoriented": 6, "no_followup": 10})
    assert list(publish.display_indicators(t, "wave")["Effectif"]) == ["10", "5", "6", "10"]


def test_model_sample_size_not_printed_when_it_gives_a_small_set_aside_count_back(analysed):
    """« Modèle estimé sur 35 demandes » next to 36 demands in the census: 1 set aside."""
    from dataclasses import replace

    res = analysed.model
    few = replace(res, excluded_outside_brussels=0, excluded_missing=1)
    assert "non publié" in publish.model_sample_fr(few, 5)
    assert "non publié" not in publish.model_sample_fr(replace(res, excluded_outside_brussels=0,
                                                               excluded_missing=0), 5)
    assert "non publié" not in publish.model_sample_fr(replace(res, excluded_outside_brussels=7,
                                                               excluded_missing=0), 5)


def _steps_hold_the_threshold(curve, shown, t=5):
    """Every published step accounts for at least ``t`` first appointments since the previous one, with no
    or at least ``t`` demands censored in between, at least ``t`` still waiting, at the exact KM value."""
    import numpy as np

    assert shown["time"].iloc[0] == 0 and shown["survival_pct"].iloc[0] == 100.0
    prev = 0
    for time, level in zip(shown["time"].iloc[1:], shown["survival_pct"].iloc[1:], strict=True):
        block = curve[(curve["time"] > prev) & (curve["time"] <= time)]
        cens = curve[(curve["time"] >= prev) & (curve["time"] < time)]["censored"].sum() if prev else \
            curve[(curve["time"] < time)]["censored"].sum()
        assert block["events"].sum() >= t
        assert cens == 0 or cens >= t
        assert (block["at_risk"] >= t).all()
        assert np.isclose(level, round(100 * float(block["survival"].iloc[-1]), 1))
        prev = time
    if len(shown) > 1:  # what is left after the last step (the totals are printed) is none or at least t
        last = shown["time"].iloc[-1]
        left_e = curve[curve["time"] > last]["events"].sum()
        left_c = curve[curve["time"] >= last]["censored"].sum()
        assert left_e == 0 or left_e >= t
        assert left_c == 0 or left_c >= t
    assert shown["time"].dtype.kind == "i"  # whole days


def test_survival_curve_falls_only_by_steps_of_the_threshold():
    """A Kaplan–Meier step is a ratio of counts: the published curve falls only after at least the
    threshold of first appointments, and stops while at least the threshold are still waiting."""
    import pandas as pd

    from analysis.analyses.saturation import kaplan_meier

    days = pd.Series([1, 2, 3, 5, 8, 13, 21, 34, 40, 41, 60, 61])
    event = pd.Series([1] * 12)
    curve = kaplan_meier(days, event)
    shown = publish.published_survival(curve, 5)
    assert list(shown["time"]) == [0, 8]  # five appointments by day 8; the next five would leave 2 waiting
    _steps_hold_the_threshold(curve, shown)


def test_the_reviews_small_curve_gives_no_count_back():
    """The review of 2026-12-05 read a 16-demand curve's steps: one appointment on days 3, 4, 6, 9, 13 and
    16, two censored after 6, 9 and 13. Published now: no step of one appointment; at most one drop."""
    import pandas as pd

    from analysis.analyses.saturation import kaplan_meier

    days = [3, 4, 6, 9, 13, 16] + [7, 7, 10, 10, 14, 14] + [30] * 4
    event = [1] * 6 + [0] * 6 + [0] * 4
    curve = kaplan_meier(pd.Series(days), pd.Series(event))
    shown = publish.published_survival(curve, 5)
    assert len(shown) <= 2
    _steps_hold_the_threshold(curve, shown)


def test_survival_steps_are_whole_days_on_a_generated_census(tmp_path):
    """The published curves of a census written by the independent generator: steps at whole days only,
    each while at least the threshold are waiting."""
    from analysis.analyses import saturation
    from analysis.example.new_period import write_new_period
    from analysis.ingest.clean import run_cleaning

    write_new_period(tmp_path / "raw", seed=5)
    census = run_cleaning(tmp_path / "raw", "2023-01", "2023-06").tables["census"]
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    assert len(res.curves)
    for _, curve in res.curves.groupby(["wave", "public"], observed=True):
        shown = publish.published_survival(curve, 5)
        _steps_hold_the_threshold(curve, shown)


def test_survival_alt_text_without_any_curve_is_a_sentence():
    """Regression: with every public below the threshold, the alt text ended in « en attente. . »."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis import reference
    from analysis.analyses.saturation import survival_curves

    wave = reference.codes("census_waves")[0]
    public = reference.codes("publics")[0]
    waits = pd.DataFrame({"wave": [wave] * 3, "public": [public] * 3, "days": [3.0, 5.0, 9.0],
                          "event": [True, True, False]})
    fig, alt = publish.plot_survival(survival_curves(waits, ["wave", "public"]), waits, 5)
    plt.close(fig)
    assert ". ." not in alt and alt.endswith("pour une courbe.")
