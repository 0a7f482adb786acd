"""The saturation chapter reads the census linked plan (issue #12): what a reader computes from the
written tables, sentences and withheld metrics gives back no hidden count.

Each census below plants one leak that per-table rules let through: a group difference (a wave's
count minus its publics' counts) and a nested complement (demands minus those with a known requester,
printed next to each other as a share's denominator). The reader's view is parsed from the Markdown
tables the chapter writes, never from the plan.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.analyses import saturation
from analysis.publish import saturation as publish
from analysis.publish.linked import write_audit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import ACCEPTED, NO_FOLLOWUP, PUBLICS, REORIENTED, WAITING, census_frame  # noqa: E402

T = 5
A, B = PUBLICS[0], PUBLICS[1]


def leaky_census() -> pd.DataFrame:
    """One wave, two publics. Waiting: 10 (public A) and 3 (public B), 13 in the wave: B's 3 is the wave's
    13 minus A's 10. Public A: 46 demands of which 44 with a known requester (2 unknown: the share of first
    line prints both). Every other count is large."""
    pro = {"requester": "professionnel", "first_line": False}
    first = {"requester": "personne", "first_line": True}
    rows = []
    rows += [{"public": A, "outcome": ACCEPTED, **(first if i % 2 else pro)} for i in range(20)]
    rows += [{"public": A, "outcome": WAITING, **first} for _ in range(10)]
    rows += [{"public": A, "outcome": REORIENTED, **pro} for _ in range(8)]
    rows += [{"public": A, "outcome": ACCEPTED, "requester": None, "first_line": None} for _ in range(2)]
    rows += [{"public": g, "outcome": NO_FOLLOWUP, **pro} for g in (A, B) for _ in range(6)]
    rows += [{"public": B, "outcome": ACCEPTED, **(first if i % 2 else pro)} for i in range(30)]
    rows += [{"public": B, "outcome": WAITING, **pro} for _ in range(3)]
    rows += [{"public": B, "outcome": REORIENTED, **first} for _ in range(12)]
    return census_frame(rows)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    census = leaky_census()
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    out = tmp_path_factory.mktemp("sat")
    (out / "figures").mkdir()
    (out / "tables").mkdir()
    publish.save_outputs(res, out / "figures", out / "tables", T)
    return res, out


def _table(out: Path, name: str) -> pd.DataFrame:
    """A written table as a reader holds it (the CSV next to the Markdown: the same published cells)."""
    return pd.read_csv(out / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def _num(text: str) -> int | None:
    t = str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    return int(t) if t.isdigit() else None


def _cell(t: pd.DataFrame, indicator: str, column: str, group: str | None = None) -> str:
    rows = t[t["Indicateur"] == publish.INDICATORS_FR[indicator]]
    if group is not None:
        rows = rows[rows["Groupe"] == group]
    assert len(rows) == 1
    return rows[column].iloc[0]


def test_a_group_difference_gives_back_no_hidden_count(written):
    from analysis import reference

    res, out = written
    labels = reference.labels("publics")
    waves, publics = _table(out, "saturation-vagues"), _table(out, "saturation-publics")
    assert _num(_cell(publics, "waiting", "Effectif", labels[B])) is None  # 3: below the threshold
    wave = _num(_cell(waves, "waiting", "Effectif"))
    a = _num(_cell(publics, "waiting", "Effectif", labels[A]))
    # per-table rules printed 13 and 10: the reader gets B's 3 back as 13 − 10
    assert wave is None or a is None, f"waiting: wave {wave} − public A {a} gives public B's count"


def test_a_nested_complement_is_not_given_by_a_share_denominator(written):
    from analysis import reference

    res, out = written
    publics = _table(out, "saturation-publics")
    a = reference.labels("publics")[A]
    n = _num(_cell(publics, "accepted", "Dénominateur", a))
    known = _num(_cell(publics, "first_line", "Dénominateur", a))
    # per-table rules printed 46 and 44: 2 demands of public A without a known requester
    assert n is None or known is None, f"public A: {n} demands, {known} with a known requester"
    # the share resting on a hidden count says why it is withheld
    if known is None:
        assert _cell(publics, "first_line", "% (IC 95 %)", a).startswith("non publié")


def test_prose_metrics_follow_the_plan(written):
    res, out = written
    plan = publish.saturation_plan(res, T)
    keys = publish.withheld_metrics(res, T, plan)
    w = res.waves[0]
    for g, prefix in ((w, f"saturation.{w}"), (publish.group_key(w, "public", A), f"saturation.{w}.public.{A}"),
                      (publish.group_key(w, "public", B), f"saturation.{w}.public.{B}")):
        for ind in ("accepted", "waiting", "reoriented", "first_line"):
            k = publish._cell_of(ind, "k")
            assert (f"{prefix}.{ind}_count" in keys) == plan.hidden(g, k)
            assert (f"{prefix}.{ind}_pct" in keys) == (not plan.share_shown(g, ind))
    # the figure of outcomes draws a wave only when all its shares are published
    import matplotlib.pyplot as plt

    fig, alt = publish.plot_outcomes(res.by_wave, threshold=T, plan=plan)
    shown = all(plan.share_shown(w, k) for k in ("accepted", "waiting", "reoriented", "no_followup"))
    widths = [p.get_width() for c in fig.axes[0].containers for p in c]
    assert (sum(widths) > 0) == shown
    plt.close(fig)


def test_audit_written_in_the_run_format(written, tmp_path):
    res, _ = written
    plan = publish.saturation_plan(res, T)
    path = write_audit(plan, tmp_path, "saturation")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert path == tmp_path / "disclosure" / "saturation.json"
    assert doc["threshold"] == T and doc["unsafe"] == []
    primary = [c for c in doc["cells"] if c["kind"] == "primary"]
    assert primary and all(c["feasible_max"] - c["feasible_min"] >= T - 1 - 1e-6 for c in primary)
