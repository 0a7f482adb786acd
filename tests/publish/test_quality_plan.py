"""The quality annex's person counts against a reader who computes (issue #12).

The reader holds the quality tables (rows read, kept, set aside per table; set-aside rows per
reason), the chapters' count of each person table (the kept rows, e.g. 124 professionals'
demands) and the prose totals. The attack here is written independently of
:mod:`analysis.publish.sdc`: one linear programme per « < 5 » cell, with scipy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from analysis.ingest import quality
from analysis.publish.fmt import NBSP
from analysis.publish.quality import quality_plan

T = 5
LESS = f"<{NBSP}{T}"

# The example's shape: professionals 128 read, 124 kept (printed in chapter 8), 4 set aside.
ACCOUNTING = pd.DataFrame({
    "source_file": ["a.xlsx", "a.xlsx", "a.xlsx", "c.xlsx"],
    "sheet": ["Activités", "Usagers", "Professionnels", "Recensement"],
    "table": ["activities", "users", "pros", "census"],
    "raw_rows": [300, 112, 128, 5333], "clean_rows": [280, 79, 124, 5300], "rejected_rows": [20, 33, 4, 33],
})
REJECTED = pd.DataFrame({
    "table": ["activities"] * 20 + ["users"] * 33 + ["pros"] * 4 + ["census"] * 33,
    "reason": (["total_row"] * 20 + ["duplicate_submission"] * 31 + ["date_out_of_period"] * 2
               + ["date_out_of_period"] * 4
               + ["date_out_of_wave"] * 15 + ["date_invalid"] * 7 + ["date_missing"] * 6
               + ["outcome_missing"] * 4 + ["total_row"]),
})
PERSONS = {"usagers": "users", "professionnels": "pros", "recensement": "census"}


def _value(text: str):
    if text in ("n.p.", LESS):
        return text
    return int(str(text).replace(NBSP, "").replace("\u202f", "").replace(" ", ""))


def _reader_lp(rows: pd.DataFrame, reasons: pd.DataFrame, printed_elsewhere: dict[str, int],
               totals: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Feasible range of every « < 5 » cell for a reader holding the tables, the chapters' counts of
    kept rows and the prose totals (« n.p. » read as ≥ 5 when consistent, else ≥ 0)."""
    cells: dict[str, object] = {}
    eqs: list[tuple[dict[str, float], float]] = []
    by_table = rows.set_index("Table")
    for label, t in PERSONS.items():
        r = by_table.loc[label]
        cells[f"{t}.read"], cells[f"{t}.kept"], cells[f"{t}.rej"] = (
            _value(r["Lignes lues"]), _value(r["Retenues"]), _value(r["Mises à l'écart"]))
        if t in printed_elsewhere:  # the chapter prints the kept count
            eqs.append(({f"{t}.kept": 1.0, f"{t}.kept@chapter": -1.0}, 0.0))
            cells[f"{t}.kept@chapter"] = printed_elsewhere[t]
        eqs.append(({f"{t}.read": 1.0, f"{t}.kept": -1.0, f"{t}.rej": -1.0}, 0.0))
        part = reasons[reasons["Table"] == label]
        names = [f"{t}.reason.{c.strip('`') or 'other'}" for c in part["Code"]]
        cells |= {n: _value(v) for n, v in zip(names, part["Lignes"], strict=True)}
        eqs.append(({f"{t}.rej": 1.0, **{n: -1.0 for n in names}}, 0.0))
    others = by_table.drop(index=list(PERSONS))
    for key, col, kind in (("rows.raw", "Lignes lues", "read"), ("rows.rejected", "Mises à l'écart", "rej")):
        if totals[key] != "n.p.":
            const = sum(_value(v) for v in others[col])
            eqs.append(({f"{t}.{kind}": 1.0 for t in PERSONS.values()}, float(_value(totals[key]) - const)))
    unknown = sorted(c for c, v in cells.items() if isinstance(v, str))
    col = {c: i for i, c in enumerate(unknown)}

    def solve(np_floor: int) -> dict[str, tuple[float, float]]:
        a, b = [], []
        for coefs, rhs in eqs:
            row, rhs_ = np.zeros(len(unknown)), rhs
            for c, k in coefs.items():
                if c in col:
                    row[col[c]] += k
                else:
                    rhs_ -= k * cells[c]
            if row.any():
                a.append(row)
                b.append(rhs_)
            else:
                assert abs(rhs_) < 1e-9, coefs
        bounds = [(0, T - 1) if cells[c] == LESS else (np_floor, None) for c in unknown]
        out = {}
        for c in unknown:
            if cells[c] != LESS:
                continue
            obj = np.zeros(len(unknown))
            obj[col[c]] = 1
            lo = linprog(obj, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
            hi = linprog(-obj, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
            if lo.status == 2:
                raise ValueError("infeasible")
            out[c] = (lo.fun, -hi.fun if hi.status == 0 else math.inf)
        return out

    try:
        return solve(T)
    except ValueError:
        return solve(0)


def test_a_kept_count_printed_elsewhere_does_not_give_away_the_rows_set_aside():
    """128 read − 124 kept (chapter 8) = 4 set aside: the old per-row suppression printed 128."""
    plan = quality.plan_of_run({"accounting": ACCOUNTING, "rejected": REJECTED}, None, T)
    rows = quality.rows_table(ACCOUNTING, T, plan)
    reasons = quality.reasons_table(REJECTED, T, plan)
    texts = plan.texts()
    pros = rows.set_index("Table").loc["professionnels"]
    assert pros["Mises à l'écart"] == LESS and pros["Retenues"] == "124"
    ranges = _reader_lp(rows, reasons, {"users": 79, "pros": 124, "census": 5300}, texts)
    assert "pros.rej" in ranges and "pros.reason.other" in ranges
    narrow = {c: r for c, r in ranges.items() if r[1] - r[0] < T - 1 - 1e-6}
    assert not narrow, narrow
    assert plan.protection.unsafe() == [] and not plan.protection.withdrawn
    assert plan.withheld_metrics() == set()  # the chapters' sentences keep their totals: table cells hidden


def test_reasons_of_few_rows_are_grouped_and_the_group_is_printed_even_when_zero():
    """A reason listed only when some row has it would be known to count 1 to 4, not 0 to 4."""
    plan = quality.plan_of_run({"accounting": ACCOUNTING, "rejected": REJECTED}, None, T)
    reasons = quality.reasons_table(REJECTED, T, plan)
    census = reasons[reasons["Table"] == "recensement"]
    assert census["Code"].tolist() == ["`date_out_of_wave`", "`date_invalid`", "`date_missing`", ""]
    assert census["Lignes"].tolist()[-1] == "5"  # outcome_missing 4 + total_row 1, each unnamed
    pros = reasons[reasons["Table"] == "professionnels"]
    assert pros["Motif"].str.startswith("autres motifs").tolist() == [True] and pros["Lignes"].tolist() == [LESS]
    no_pros = REJECTED[REJECTED["table"] != "pros"]
    t = quality.reasons_table(no_pros, T)
    assert t.loc[t["Table"] == "professionnels", "Lignes"].tolist() == [LESS]  # zero, shown as « < 5 »


def test_defaults_without_a_plan_are_safe_too():
    """``rows_table`` alone (no plan given) still treats the kept rows as printed elsewhere."""
    rows = quality.rows_table(ACCOUNTING, T)
    assert rows.set_index("Table").loc["professionnels", "Lignes lues"] == "n.p."


def test_prose_totals_are_withheld_when_they_would_give_a_count_away():
    """One person table whose kept rows are printed: its rows read are hidden, and so is the prose
    total of rows read (the only other cell that would give them back)."""
    acc = pd.DataFrame({"source_file": ["a.xlsx"] * 2, "sheet": ["Activités", "Usagers"],
                        "table": ["activities", "users"], "raw_rows": [10, 30], "clean_rows": [8, 28],
                        "rejected_rows": [2, 2]})
    plan = quality_plan(acc, threshold=T, person_tables=("users",))
    assert plan.text("users.read") == "n.p." and plan.text("users.kept") == "28"
    assert plan.withheld_metrics() == {"rows.raw", "rows.rejected"}
    assert plan.texts()["rows.clean"] == "36"  # activities' 8 + users' 28
    assert plan.protection.unsafe() == []


def test_duplicates_nested_in_kept_rows_and_the_account_prints_no_hidden_count():
    notes = pd.DataFrame({"issue": ["duplicate_possible"] * 3, "source_file": ["a.xlsx"] * 3,
                          "sheet": ["Professionnels"] * 3, "row": [3, 4, 5]})
    plan = quality.plan_of_run({"accounting": ACCOUNTING, "rejected": REJECTED}, notes, T)
    table = quality.duplicates_table(notes, T, {("a.xlsx", "Professionnels"): "pros"}, plan)
    # pros: 3 identical rows, below the threshold: grouped with the other sheets, unnamed; zero for the
    # users and census, printed « < 5 » too (a row listed only when some sheet has one would say ≥ 1)
    assert table["Fichier"].str.startswith("autres feuilles").all()
    assert table["Table"].tolist() == ["usagers", "professionnels", "recensement"]
    assert table["Lignes identiques gardées"].tolist() == [LESS] * 3
    assert plan.protection.unsafe() == []


def test_a_withdrawn_cell_pinned_by_printed_totals_is_reported_unsafe():
    """« n.p. » hides nothing when the cells printed elsewhere give the count back: the audit says so."""
    from analysis.publish.sdc import Relation, protect

    rel = [Relation("read", ("kept", "aside"))]
    pinned = protect({"read": 30, "kept": 28, "aside": 2}, rel, 5, fixed={"read", "kept"})
    assert pinned.withdrawn == {"aside"} and pinned.unsafe() == ["aside"]
    assert [r["protected"] for r in pinned.records() if r["cell"] == "aside"] == [False]
    free = protect({"read": 30, "kept": 28, "aside": 2}, rel, 5, fixed={"read"})
    assert free.unsafe() == [] and free.is_hidden("kept")


def test_a_table_with_no_row_kept_prints_its_zero():
    """Fourth review (H1): an edition without census data says so in its chapters (« aucune demande du
    recensement »), so its quality annex's « Retenues < 5 » for the census was a zero every reader knew,
    and « Lues = Retenues + Écartées » then said read = excluded. The kept count (and the identical rows
    kept, nested in it) are known zeros, printed « 0 »; the other small cells keep their five values."""
    import pandas as pd

    from analysis.publish.quality import quality_plan

    acc = pd.DataFrame({"table": ["users", "pros", "census"], "raw_rows": [40, 30, 3],
                        "clean_rows": [38, 27, 0], "rejected_rows": [2, 3, 3]})
    rej = pd.DataFrame({"table": ["users"] * 2 + ["pros"] * 3 + ["census"] * 3,
                        "reason": ["date_invalid"] * 2 + ["no_data"] * 3 + ["date_missing"] * 3})
    dup = pd.DataFrame({"table": ["users"], "source_file": ["a.xlsx"], "sheet": ["U"], "n": [2]})
    p = quality_plan(acc, rej, dup)
    texts = p.texts()
    assert texts["census.kept"] == "0" and texts["census.dup.other"] == "0"
    assert p.protection.known["census.kept"] == (0.0, 0.0)
    assert p.protection.unsafe() == []
    for c in ("census.read", "census.rejected"):
        lo, hi = p.protection.ranges[c]
        assert texts[c] != "3" and hi - lo >= 4, (c, lo, hi)
