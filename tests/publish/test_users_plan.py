"""The users' linked plan covers the referrer and gender lines (issue #12).

A reader of the referrals chapter holds the referrer table (each referrer's count, or « < 5 » /
« n.p. », and the total) and the first-line share p = first line / known referrers. The share is a
linear relation between counts, ``(1 − p)·Σ first-line referrers − p·Σ other known referrers = 0``:
with a hidden first-line referrer and its neighbour printed, it gives the hidden one back unless the
plan protects the two lines together. The attacker below is written independently of
:mod:`analysis.publish.sdc`: its own LP over what the chapter prints.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from analysis import reference
from analysis.analyses import referrals as R
from analysis.publish import referrals as P
from analysis.publish.linked import users_plan

T = 5
START, END = "2021-09", "2022-04"


def _users(referrers: dict[str, int], genders: dict[str, int]) -> pd.DataFrame:
    ref = [c for c, k in referrers.items() for _ in range(k)]
    gen = [c for c, k in genders.items() for _ in range(k)]
    assert len(ref) == len(gen)
    n = len(ref)
    communes = reference.communes().sort_values("nis_code")["nis_code"].astype(str).tolist()
    # every commune well above the threshold: the commune tables need no suppression here
    nis = [communes[i % len(communes)] for i in range(n)]
    return pd.DataFrame({
        "service_code": pd.array([f"S{i % 4}" for i in range(n)], dtype="string"),
        "referrer": pd.array(ref, dtype="string"), "gender": pd.array(gen, dtype="string"),
        "age": pd.array([30] * n, dtype="Int64"), "commune_nis": pd.array(nis, dtype="string"),
        "residence": pd.array(["bruxelles"] * n, dtype="string"),
        "income_source": pd.array(["travail"] * n, dtype="string"),
    })


PROS = pd.DataFrame({"service_code": pd.array(["SMES"], dtype="string"),
                     "requesting_service": pd.array(["cpas"], dtype="string"),
                     "origin_region": pd.array(["bruxelles"], dtype="string")})
CENSUS = pd.DataFrame({"wave": pd.array(["2020_11"] * 100, dtype="string"),
                       "service_code": pd.array([f"SSM{i % 5}" for i in range(100)], dtype="string"),
                       "first_line": pd.array([True] * 50 + [False] * 50, dtype="boolean")})
#: 3 by personal initiative (first line) next to 10 by relatives: 13 first line, 60 other known, 6 unknown
REFERRERS = {"initiative_personnelle": 3, "entourage": 10, "sante_generale": 30, "sante_mentale": 20,
             "aide_sociale_generale": 10, "inconnu": 6}
GENDERS = {"F": 45, "H": 32, "X": 2}


def _setup():
    users = _users(REFERRERS, {"F": 45, "H": 32, "X": 2})
    return users, R.analyse_referrals(users, PROS, CENSUS, START, END)


def _parse(text: str):
    t = str(text).replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    return "<" if t.startswith("<") else "np" if t == "n.p." else int(t)


def reader_ranges(table: pd.DataFrame, first_share: float | None) -> dict[str, tuple[float, float]]:
    """Min and max of each « < 5 » referrer given the printed table (total row included) and, when
    printed, the first-line share (exact: the strongest reader)."""
    refs = reference.table("referrers").set_index("label_fr")
    first = {lab for lab, f in refs["first_line"].astype(str).str.lower().items() if f == "true"}
    rows = {r["Envoyeur"]: _parse(r["Effectif"]) for r in table.to_dict("records")}
    total = rows.pop("Total")
    hidden = [lab for lab, v in rows.items() if not isinstance(v, int)]
    col = {lab: i for i, lab in enumerate(hidden)}
    n = len(hidden)
    a_eq, b_eq = [], []
    a = np.zeros(n)
    b = float(total)
    for lab, v in rows.items():
        if lab in col:
            a[col[lab]] += 1
        else:
            b -= v
    a_eq.append(a)
    b_eq.append(b)
    if first_share is not None:  # (1 − p)·first − p·second = 0 over known referrers
        a, b = np.zeros(n), 0.0
        for lab, v in rows.items():
            if lab == "Inconnu" or lab == "Non renseigné":
                continue
            k = (1 - first_share) if lab in first else -first_share
            if lab in col:
                a[col[lab]] += k
            else:
                b -= k * v
        a_eq.append(a)
        b_eq.append(b)
    bounds = [(0, T - 1) if rows[lab] == "<" else (T, None) for lab in hidden]
    out = {}
    for lab in hidden:
        c = np.zeros(n)
        c[col[lab]] = 1
        lo = linprog(c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
        assert lo.status == 0 and hi.status == 0, (lab, lo.message, hi.message)
        out[lab] = (lo.fun, -hi.fun)
    return {lab: rng for lab, rng in out.items() if rows[lab] == "<"}


def test_without_the_plan_the_first_line_share_gives_a_hidden_referrer_back():
    """The gap the plan closes: the referrer line protected on its own, the share printed."""
    _users_, res = _setup()
    table = P.display_shares(res.referrers, "Envoyeur", T)
    assert P.first_line_published(res, T)  # 13 and 60: both counts above the threshold
    ranges = reader_ranges(table, res.first_line_k / res.first_line_n)
    lo, hi = ranges["Initiative personnelle"]
    assert math.ceil(lo - 1e-6) == math.floor(hi + 1e-6) == 3  # the only integer left


def test_with_the_plan_no_referrer_is_recovered_and_the_share_follows_its_counts():
    users, res = _setup()
    plan = users_plan(users, START, END, T)
    assert not plan.protection.unsafe()
    table = P.display_shares(res.referrers, "Envoyeur", T, hidden=P.line_hidden(plan, "referrer",
                                                                                  res.referrers["code"]))
    shown = P.first_line_published(res, T, plan)
    ranges = reader_ranges(table, res.first_line_k / res.first_line_n if shown else None)
    assert ranges, "no « < 5 » referrer: the test proves nothing"
    for lab, (lo, hi) in ranges.items():
        assert hi - lo >= T - 1 - 1e-6, (lab, lo, hi)
    withheld = P.withheld_metrics(res, plan, T)
    assert ("users.first_line_pct" in withheld) == (not shown)
    assert ("referrals.first_line_comparison.users_pct" in withheld) == (not shown)
    # the figure and the table hide the same referrers
    assert {r["Envoyeur"] for r in table.to_dict("records") if _parse(r["Effectif"]) in ("<", "np")} == {
        lab for code, lab in zip(res.referrers["code"], res.referrers["label"], strict=True)
        if plan.hidden(f"users.referrer.{code}")}


def test_the_share_of_women_follows_the_gender_line_of_the_plan():
    """2 « X » force a complementary cell among F and H: when F is the one hidden, the prose's share of
    women is withheld with it (its count × the published total would give F, then X)."""
    users, res = _setup()
    plan = users_plan(users, START, END, T)
    assert plan.primary("users.gender.X")
    assert plan.hidden("users.gender.F") or plan.hidden("users.gender.H")
    withheld = P.withheld_metrics(res, plan, T)
    assert ("users.female_pct" in withheld) == plan.hidden("users.gender.F")
    # a population where F is the smaller of the two: F hidden, the share withheld
    users = _users(REFERRERS, {"F": 20, "H": 57, "X": 2})
    res = R.analyse_referrals(users, PROS, CENSUS, START, END)
    plan = users_plan(users, START, END, T)
    assert plan.hidden("users.gender.F") and "users.female_pct" in P.withheld_metrics(res, plan, T)
