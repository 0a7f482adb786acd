"""Linked protection of the census (saturation) tables, nested counts and the model by group.

The attacker here is written independently of :mod:`analysis.publish.sdc`: it reads what a reader sees
(each count as printed: a number, « < 5 » or « n.p. ») and the structure a reader knows from the tables
(a wave is the sum of its publics and of its requested follow-ups, minus demands without one; a nested
count is at most its parent: constrained ≤ reoriented ≤ demands, full ≤ known answer ≤ constrained,
first line ≤ known requester ≤ demands; appointments observed ≤ demands waiting ≤ accepted + waiting),
and solves its own linear programmes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from analysis.analyses import saturation
from analysis.publish import saturation as publish
from analysis.publish.sdc import Relation, protect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import (  # noqa: E402
    ACCEPTED,
    CONSTRAINED,
    FOLLOWUPS,
    NO,
    NO_FOLLOWUP,
    OTHER_REASON,
    PUBLICS,
    REORIENTED,
    REQUESTERS,
    SSMS,
    WAITING,
    YES,
    census_frame,
)

T = 5
MEASURE = {("accepted", "k"): "A", ("waiting", "k"): "W", ("reoriented", "k"): "R", ("no_followup", "k"): "S",
           ("constrained", "k"): "C", ("full_destination", "k"): "F", ("full_destination", "n"): "FK",
           ("first_line", "k"): "FL", ("first_line", "n"): "FLK"}
#: what a reader knows of the nested counts of one group: big ≥ Σ small
NESTED = [("N", ["A", "W", "R", "S"]), ("R", ["C"]), ("C", ["FK"]), ("FK", ["F"]), ("N", ["FLK"]), ("FLK", ["FL"])]


def _parse(text: str):
    t = str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    return "<" if t.startswith("<") else "np" if t == "n.p." else int(t)


def reader_view(res, plan):
    """Printed cells (``group.measure`` → number / ``"<"`` / ``"np"``) and the structure a reader knows."""
    cells: dict[str, object] = {}
    groups: dict[str, list[str]] = {}

    def add(g, rows):
        for r in rows.itertuples(index=False):
            for part in ("k", "n"):
                m = "N" if part == "n" and r.indicator in ("accepted", "waiting", "reoriented", "no_followup",
                                                           "constrained") else MEASURE.get((r.indicator, part))
                if m is None:  # constrained_of_reoriented: k = C, n = R (the same printed cells)
                    m = "C" if part == "k" else "R"
                measure = {"N": "n", "A": "accepted", "W": "waiting", "R": "reoriented", "S": "no_followup",
                           "C": "constrained", "F": "full", "FK": "full_known", "FL": "first_line",
                           "FLK": "first_line_known"}[m]
                cells[f"{g}.{m}"] = _parse(plan.text(g, measure, getattr(r, part), T))

    for w in res.waves:
        add(w, res.by_wave[res.by_wave["wave"] == w])
        for by, table, col in (("public", res.by_public, "public"),
                               ("followup", res.by_followup, "followup_requested")):
            sub = table[table["wave"] == w]
            groups[f"{w}|{by}"] = []
            for lv in sorted(str(v) for v in sub[col].unique()):
                g = publish.group_key(w, by, lv)
                add(g, sub[sub[col].astype(str) == lv])
                groups[f"{w}|{by}"].append(g)
        for r in res.medians_by_wave[res.medians_by_wave["wave"] == w].itertuples(index=False):
            cells[f"{w}.WN"] = _parse(plan.text(w, "wait_n", r.n, T))
            cells[f"{w}.WE"] = _parse(plan.text(w, "wait_events", r.events, T))
            cells[f"{w}.WC"] = _parse(plan.text(w, "wait_censored", r.n - r.events, T))
        for r in res.medians_by_public[res.medians_by_public["wave"] == w].itertuples(index=False):
            g = publish.group_key(w, "public", r.public)
            cells[f"{g}.WN"] = _parse(plan.text(g, "wait_n", r.n, T))
            cells[f"{g}.WE"] = _parse(plan.text(g, "wait_events", r.events, T))
            cells[f"{g}.WC"] = _parse(plan.text(g, "wait_censored", r.n - r.events, T))
    return cells, groups


def constraints(cells, groups, waves):
    """``(coefs, kind)`` rows, kind ``eq`` (= 0) or ``ge`` (≥ 0), over printed cells."""
    rows = []
    gs = sorted({c.rsplit(".", 1)[0] for c in cells})
    for g in gs:
        for big, small in NESTED:
            rows.append(({f"{g}.{big}": 1, **{f"{g}.{s}": -1 for s in small}}, "ge"))
        if f"{g}.WN" in cells:
            rows.append(({f"{g}.WN": 1, f"{g}.WE": -1, f"{g}.WC": -1}, "eq"))
            rows.append(({f"{g}.A": 1, f"{g}.W": 1, f"{g}.WN": -1}, "ge"))
    for w in waves:
        for key, members in groups.items():
            if not key.startswith(w + "|"):
                continue
            for m in ("N", "A", "W", "R", "S", "C", "FK", "F", "FLK", "FL", "WN", "WE", "WC"):
                parts = [f"{g}.{m}" for g in members if f"{g}.{m}" in cells]
                if f"{w}.{m}" in cells and parts:
                    rows.append(({f"{w}.{m}": 1, **{p: -1 for p in parts}}, "ge"))
    return rows


def _split(coefs: dict[str, float], col: dict[str, int], cells) -> tuple[np.ndarray, float]:
    """A linear expression as (coefficients of the hidden cells, value of the printed part)."""
    a, known = np.zeros(len(col)), 0.0
    for c, k in coefs.items():
        if c in col:
            a[col[c]] += k
        else:
            known += k * cells[c]
    return a, known


def attack(cells, rows, objective: dict[str, float], np_floor: int = T):
    """Min and max of a linear expression of cells given everything printed."""
    hidden = sorted(c for c, v in cells.items() if not isinstance(v, int))
    col = {c: i for i, c in enumerate(hidden)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for coefs, kind in rows:
        a, known = _split(coefs, col, cells)
        rhs = -known
        if not a.any():
            continue
        if kind == "eq":
            a_eq.append(a)
            b_eq.append(rhs)
        else:  # a·x ≥ rhs  ⇔  −a·x ≤ −rhs
            a_ub.append(-a)
            b_ub.append(-rhs)
    obj, const = _split(objective, col, cells)
    if not obj.any():
        return const, const
    bounds = [(0, T - 1) if cells[c] == "<" else (np_floor, None) for c in hidden]
    kw = dict(A_eq=np.vstack(a_eq) if a_eq else None, b_eq=b_eq or None,
              A_ub=np.vstack(a_ub) if a_ub else None, b_ub=b_ub or None, bounds=bounds)
    lo, hi = linprog(obj, **kw), linprog(-obj, **kw)
    if np_floor and (lo.status == 2 or hi.status == 2):
        return attack(cells, rows, objective, np_floor=0)
    assert lo.status in (0, 3) and hi.status in (0, 3), "the printed tables are inconsistent"
    return (lo.fun + const if lo.status == 0 else -np.inf), (-hi.fun + const if hi.status == 0 else np.inf)


def small_groups_census(seed: int) -> pd.DataFrame:
    """One wave, 60 demands spread over every public and follow-up: many counts of 0 to 4, nested ones too."""
    rng = np.random.default_rng(seed)
    first = REQUESTERS.loc[REQUESTERS["first_line"].astype(bool), "code"].iloc[0]
    pro = REQUESTERS.loc[~REQUESTERS["first_line"].astype(bool), "code"].iloc[0]
    rows = []
    for i in range(60):
        outcome = rng.choice([ACCEPTED, WAITING, REORIENTED, NO_FOLLOWUP], p=[0.45, 0.2, 0.3, 0.05])
        reason = (CONSTRAINED if rng.random() < 0.7 else OTHER_REASON) if outcome == REORIENTED else None
        fl = rng.random() < 0.5
        date = pd.Timestamp("2020-11-02") + pd.Timedelta(days=int(rng.integers(0, 60)))
        rows.append({
            "service_code": SSMS[i % 3], "demand_date": date, "outcome": outcome, "reorientation_reason": reason,
            "destination_full": rng.choice([YES, NO, "inconnu"]) if reason == CONSTRAINED else None,
            "requester": first if fl else pro, "first_line": bool(fl) if rng.random() < 0.9 else None,
            "public": PUBLICS[int(rng.integers(0, len(PUBLICS)))] if rng.random() < 0.95 else None,
            "followup_requested": FOLLOWUPS[int(rng.integers(0, len(FOLLOWUPS)))],
            "first_appointment": date + pd.Timedelta(days=int(rng.integers(1, 90)))
            if outcome in (ACCEPTED, WAITING) and rng.random() < 0.8 else pd.NaT,
        })
    return census_frame(rows)


def _analysed(seed: int):
    census = small_groups_census(seed)
    return saturation.analyse_saturation(census, saturation.census_income(census))


def test_nested_complement_printed_nowhere_is_protected():
    """Reoriented 12, constrained 10: the 2 others are printed nowhere but follow from the two counts."""
    values = {"R": 12, "C": 10, "other": 2}
    p = protect(values, [Relation("R", ("C", "other"))], T, unprinted=["other"])
    assert p.hidden & {"R", "C"}, "a small complement left recoverable"
    assert "other" not in p.hidden  # printed nowhere: never « hidden » in a table
    assert not p.unsafe()
    shown = {c: values[c] for c in ("R", "C") if c not in p.hidden}
    shown |= {c: "np" for c in ("R", "C") if c in p.hidden}
    lo, hi = attack(shown, [({"R": 1, "C": -1}, "ge")], {"R": 1, "C": -1})
    assert hi - lo >= T - 1


def test_zero_complement_printed_nowhere_needs_nothing():
    values = {"R": 12, "C": 12, "other": 0}
    p = protect(values, [Relation("R", ("C", "other"))], T, unprinted=["other"])
    assert not p.hidden


def test_saturation_tables_protected_together():
    """Many small counts by public and follow-up, nested counts: the reader recovers none of them."""
    for seed in (1, 2):
        res = _analysed(seed)
        plan = publish.saturation_plan(res, T)
        assert not plan.protection.unsafe()
        cells, groups = reader_view(res, plan)
        rows = constraints(cells, groups, res.waves)
        small = [c for c, v in cells.items() if v == "<"]
        assert len(small) >= 10, "the generated census has too few small counts to test anything"
        for c in small:
            lo, hi = attack(cells, rows, {c: 1})
            assert hi - lo >= T - 1 - 1e-6, f"seed {seed}: {c} narrowed to [{lo}, {hi}]"
        # nested complements (reoriented for another reason, unknown destination…) that are small
        w = res.waves[0]
        t = res.by_wave[res.by_wave["wave"] == w].set_index("indicator")
        exact = {"R": t.loc["reoriented", "k"], "C": t.loc["constrained", "k"],
                 "FK": t.loc["full_destination", "n"], "F": t.loc["full_destination", "k"]}
        for big, sub in (("R", "C"), ("C", "FK"), ("FK", "F")):
            if 0 < exact[big] - exact[sub] < T:
                lo, hi = attack(cells, rows, {f"{w}.{big}": 1, f"{w}.{sub}": -1})
                assert hi - lo >= T - 1 - 1e-6, f"seed {seed}: {big} − {sub} narrowed to [{lo}, {hi}]"


def test_unprotected_tables_are_attackable():
    """The attack can fail: with primary suppression alone (no linked plan) it recovers a small count."""
    res = _analysed(1)
    plan = publish.saturation_plan(res, T)

    class PrimaryOnly:
        def text(self, g, m, v, t):
            return "< 5" if v < t else str(int(v))

    cells, groups = reader_view(res, PrimaryOnly())
    rows = constraints(cells, groups, res.waves)
    narrowed = [c for c, v in cells.items() if v == "<"
                and (lambda r: r[1] - r[0])(attack(cells, rows, {c: 1})) < T - 1 - 1e-6]
    assert narrowed, "primary suppression alone should leave something to recover"
    assert plan.protection.secondary


def test_model_by_group_published_only_when_every_group_is():
    from census_rows import BETA, simulate_census

    census = simulate_census(1500, 3, BETA)
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    assert res.model is not None
    assert publish.model_groups_publishable(res.model, T)
    # a threshold above the smallest group's events withholds every estimate
    x = pd.DataFrame(res.model.fit.model.exog, columns=res.model.fit.model.exog_names)
    y = np.asarray(res.model.fit.model.endog)
    smallest = min(int(y[x[c] > 0.5].sum()) for c in x.columns if c not in ("const", "income_10k"))
    assert not publish.model_groups_publishable(res.model, smallest + 1)
    withheld = publish.withheld_metrics(res, smallest + 1)
    assert any(k.startswith("saturation.model.or.") for k in withheld)
    prose = publish.saturation_prose(res, threshold=smallest + 1)
    assert prose["saturation.model.sentence"].startswith("Modèle non publié")
