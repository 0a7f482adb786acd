"""Property tests: every analysis, table, figure and prose value, end to end, on clean tables of any size.

Clean tables of the contract's shape (``tests/fixtures/clean_tables.py``) with 0 to a few
thousand rows, one or several services, communes, waves and category mixes are driven
through ``analyses`` → ``publish`` exactly as the notebooks do. Beyond "no crash", the
properties checked are those a reader relies on: intervals contain their estimate and lie
in [0, 100] % for shares, error bars are never negative, published counts add up to what
went in, no person count below the threshold is printed, suppressed cells show the
placeholder, numbers are in French format.
"""

from __future__ import annotations

import math
import re
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analysis.analyses import activities, gradient, referrals, saturation  # noqa: E402
from analysis.analyses.cluster import MIN_CLUSTERS  # noqa: E402
from analysis.config import run_paths  # noqa: E402
from analysis.publish import activities as pub_act  # noqa: E402
from analysis.publish import gradient as pub_grad  # noqa: E402
from analysis.publish import referrals as pub_ref  # noqa: E402
from analysis.publish import saturation as pub_sat  # noqa: E402
from analysis.publish.disclosure import hidden_text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import clean_tables as ct  # noqa: E402

HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
FAST = settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
#: The slow variants (``-m slow``) draw larger tables (up to 3 000 rows each); 30 examples keep CI near 5 min.
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
THRESHOLDS = st.sampled_from([1, 5, 10])
#: A number as printed for a French reader: no ASCII decimal point between digits, no comma grouping.
EN_NUMBER = re.compile(r"\d\.\d")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _draw_only(fig, name: str, figures_dir: Path, alt: str, caption: str) -> dict[str, str]:
    """Stand-in for ``save_figure`` in the fast tests: render the figure once (Agg) and mark it written.

    Writing SVG, PDF and PNG for every example costs seconds; the slow variants use the real one."""
    assert alt.strip() and caption.strip()
    _french([alt, caption])
    fig.canvas.draw()
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    (figures_dir / f"{name}.svg").write_text("", encoding="utf-8")
    plt.close(fig)
    return {"name": name, "alt": alt, "caption": caption}


def _figures(fast: bool):
    """Patch ``save_figure`` with :func:`_draw_only` when ``fast``."""
    from contextlib import nullcontext
    from unittest import mock

    return mock.patch("analysis.publish.figures.save_figure", _draw_only) if fast else nullcontext()


def _check_interval(table: pd.DataFrame, point: str, low: str, high: str, top: float = 100.0) -> None:
    ok = table[[point, low, high]].astype(float).dropna()
    assert (ok[low] <= ok[point] + 1e-9).all(), ok
    assert (ok[high] >= ok[point] - 1e-9).all(), ok
    assert (ok[low] >= -1e-12).all() and (ok[high] <= top + 1e-9).all(), ok


def _published_cells(tables_dir: Path) -> list[str]:
    cells = []
    for md in tables_dir.glob("*.md"):
        for line in md.read_text(encoding="utf-8").splitlines():
            if line.startswith("|") and not set(line) <= set("|-: "):
                cells += [c.strip() for c in line.strip("|").split("|")]
    return cells


PERSON_COLUMNS = ("Effectif", "Dénominateur", "Demandes", "Premier rendez-vous observé")
SPACES = dict.fromkeys(map(ord, "\u00a0\u202f "), None)


def _tables(tables_dir: Path) -> dict[str, pd.DataFrame]:
    """Published Markdown tables as text frames (header row = columns)."""
    out = {}
    for md in tables_dir.glob("*.md"):
        rows = [[c.strip() for c in line.strip().strip("|").split("|")]
                for line in md.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
        rows = [r for r in rows if not all(set(c) <= set("-: ") for c in r)]
        if rows:
            out[md.stem] = pd.DataFrame(rows[1:], columns=rows[0])
    return out


def _no_small_person_count(tables_dir: Path, threshold: int, prefixes: tuple[str, ...]) -> None:
    """Every person count printed is 0 or at least ``threshold``; hidden ones show a placeholder."""
    for name, t in _tables(tables_dir).items():
        if not name.startswith(prefixes) or name == "gradient-indices":
            continue
        for col in t.columns:
            if col not in PERSON_COLUMNS:
                continue
            for cell in t[col]:
                digits = cell.translate(SPACES)
                if digits.isdigit():
                    assert int(digits) == 0 or int(digits) >= threshold, (name, col, cell)
                else:
                    assert cell in (hidden_text(threshold), "n.p.", "–", "") or not any(ch.isdigit() for ch in cell) \
                        or cell.startswith(hidden_text(threshold)), (name, col, cell)


def _french(cells: list[str]) -> None:
    for c in cells:
        assert "nan" not in c.lower().split(), c
        assert not EN_NUMBER.search(c.replace("2021-", "").replace("2022-", "")), c


# --------------------------------------------------------------------------- activities


def run_activities(t: dict, out: Path):
    res = activities.analyse_activities(t["activities"], t["submissions"], *ct.PERIOD)
    metrics = activities.activity_metrics(res)
    written = pub_act.save_outputs(res, out, is_example=False)
    return res, metrics, written


@FAST
@given(ct.plans())
def test_activities_end_to_end(plan):
    check_activities(plan, fast=True)


@pytest.mark.slow
@SLOW
@given(ct.plans(large=3000))
def test_activities_end_to_end_large(plan):
    check_activities(plan)


def check_activities(plan, fast: bool = False):
    t = ct.tables(plan)
    with tempfile.TemporaryDirectory() as d, _figures(fast):
        res, metrics, written = run_activities(t, Path(d))
        paths = run_paths(Path(d))
        for name in written["figures"]:
            assert (paths["figures"] / f"{name}.svg").exists()
        _french(_published_cells(paths["tables"]))
    n = len(t["activities"])
    assert res.by_type["n"].sum() == n
    assert res.by_axis.set_index("code").loc["total", "n"] == n
    assert res.monthly.to_numpy().sum() == n
    if n:
        assert math.isclose(res.by_type["count_pct"].sum(), 100.0)
    assert (res.participation["services_n"] <= res.participation["funded_n"]).all()
    rate = res.participation["rate_pct"].dropna()
    assert ((rate >= 0) & (rate <= 100)).all()
    assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for v in metrics.values())


# --------------------------------------------------------------------------- referrals


def run_referrals(t: dict, out: Path, threshold: int):
    res = referrals.analyse_referrals(t["users"], t["pros"], t["census"], *ct.PERIOD)
    metrics = referrals.referral_metrics(res) | pub_ref.referral_prose(res)
    written = pub_ref.save_outputs(res, out, threshold, is_example=False)
    sentence = pub_ref.comparison_sentence(res)
    return res, metrics, written, sentence


@FAST
@given(ct.plans(), THRESHOLDS)
def test_referrals_end_to_end(plan, threshold):
    check_referrals(plan, threshold, fast=True)


@pytest.mark.slow
@SLOW
@given(ct.plans(large=3000), THRESHOLDS)
def test_referrals_end_to_end_large(plan, threshold):
    check_referrals(plan, threshold)


def check_referrals(plan, threshold, fast: bool = False):
    t = ct.tables(plan)
    with tempfile.TemporaryDirectory() as d, _figures(fast):
        res, metrics, written, sentence = run_referrals(t, Path(d), threshold)
        paths = run_paths(Path(d))
        cells = _published_cells(paths["tables"])
        _french(cells)
        _no_small_person_count(paths["tables"], threshold, ("orientations",))
        for name in written["figures"]:
            assert (paths["figures"] / f"{name}.svg").exists()
    assert isinstance(sentence, str)
    n = len(t["users"])
    assert res.users_n == n
    for table in (res.referrers, res.income):
        assert table["n"].sum() <= n
        _check_interval(table, "pct", "ci_low", "ci_high") if "ci_low" in table else None
    assert res.referrers["n"].sum() == n and res.income["n"].sum() == n and res.communes["n"].sum() == n
    assert res.requesters["n"].sum() == len(t["pros"])
    assert res.age_table["n"].sum() == n
    if res.comparison is not None:
        c = res.comparison
        for p, lo, hi, g in ((c.users_share, c.users_low, c.users_high, c.users_services),
                             (c.census_share, c.census_low, c.census_high, c.census_services)):
            if 1 < g < MIN_CLUSTERS:  # too few services for an interval (analyses.cluster)
                assert math.isnan(lo) and math.isnan(hi), (g, lo, hi)
                continue
            assert 0 <= lo <= p + 1e-12 and p - 1e-12 <= hi <= 1, (p, lo, hi)
    for table in (res.referrers, res.income, res.communes, res.genders, res.requesters):
        disp = pub_ref.display_shares(table, "x", threshold)
        for k, cell in zip(table["n"], disp["Effectif"].iloc[:-1], strict=True):
            assert cell == (hidden_text(threshold) if 0 < k < threshold else cell) and (
                cell in (hidden_text(threshold), "n.p.") or cell.translate(SPACES) == str(k)), (k, cell)


# --------------------------------------------------------------------------- saturation


def run_saturation(census: pd.DataFrame, out: Path, threshold: int):
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    metrics = saturation.saturation_metrics(res) | pub_sat.saturation_prose(res, threshold=threshold)
    paths = run_paths(out)
    written = pub_sat.save_outputs(res, paths["figures"], paths["tables"], threshold, is_example=False)
    texts = [pub_sat.model_sentence(res.model) if res.model is not None else "",
             pub_sat.comparison_sentence(res), pub_sat.wait_sentence(res, threshold)]
    return res, metrics, written, texts


@settings(FAST, max_examples=15)
@given(ct.plans(), THRESHOLDS)
def test_saturation_end_to_end(plan, threshold):
    check_saturation(plan, threshold, fast=True)


@pytest.mark.slow
@SLOW
@given(ct.plans(large=3000), THRESHOLDS)
def test_saturation_end_to_end_large(plan, threshold):
    check_saturation(plan, threshold)


def check_saturation(plan, threshold, fast: bool = False):
    t = ct.tables(plan)
    census = t["census"]
    with tempfile.TemporaryDirectory() as d, _figures(fast):
        res, metrics, written, texts = run_saturation(census, Path(d), threshold)
        paths = run_paths(Path(d))
        cells = _published_cells(paths["tables"])
        _french(cells)
        _no_small_person_count(paths["tables"], threshold, ("saturation",))
        for name in written["figures"]:
            assert (paths["figures"] / f"{name}.svg").exists()
    assert all(isinstance(x, str) for x in texts)
    for table, col in ((res.by_wave, "wave"), (res.by_public, "public"), (res.by_followup, "followup_requested")):
        _check_interval(table, "pct", "ci_low", "ci_high")
        outcomes = table[table["indicator"].isin(saturation.OUTCOME_INDICATORS)]
        assert (outcomes.groupby(list(table.columns[:table.columns.get_loc("indicator")]))["k"].sum()
                == outcomes.groupby(list(table.columns[:table.columns.get_loc("indicator")]))["n"].first()).all()
        accepted = table[table["indicator"] == "accepted"]
        assert accepted["n"].sum() == census[col].notna().sum()
    for med in (res.medians_by_wave, res.medians_by_public):
        if len(med):
            assert not np.isinf(med[["median_days", "ci_low", "ci_high"]].to_numpy(dtype=float)).any()


# --------------------------------------------------------------------------- gradient


def run_gradient(t: dict, out: Path, threshold: int):
    res = gradient.analyse_gradient(t["users"], t["census"], *ct.PERIOD, n_sim=200)
    metrics = gradient.gradient_metrics(res) | pub_grad.gradient_prose(res)
    paths = run_paths(out)
    written = pub_grad.save_outputs(res, paths["figures"], paths["tables"], threshold, is_example=False)
    return res, metrics, written


@settings(FAST, max_examples=5)
@given(ct.plans(), THRESHOLDS)
def test_gradient_end_to_end(plan, threshold):
    check_gradient(plan, threshold, fast=True)


@pytest.mark.slow
@settings(SLOW, max_examples=15)
@given(ct.plans(large=3000), THRESHOLDS)
def test_gradient_end_to_end_large(plan, threshold):
    check_gradient(plan, threshold)


def check_gradient(plan, threshold, fast: bool = False):
    t = ct.tables(plan)
    with tempfile.TemporaryDirectory() as d, _figures(fast):
        res, metrics, written = run_gradient(t, Path(d), threshold)
        paths = run_paths(Path(d))
        _french(_published_cells(paths["tables"]))
        _no_small_person_count(paths["tables"], threshold, ("gradient",))
        for name in written["figures"]:
            assert (paths["figures"] / f"{name}.svg").exists()
    inside = int((t["users"]["residence"] == "bruxelles").sum())
    assert int(res.users.communes["count"].sum()) == inside
    assert int(res.users.quintiles["count"].sum()) == inside
    assert hidden_text(threshold)
