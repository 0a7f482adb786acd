"""Issue #12: cells the 2022 report already printed are known to the reader of an edition on its period.

The 2022 report printed the share of new demands from Anderlecht (13,9 % of 79: 11 persons). An
edition on the same period that hides Anderlecht as a complementary cell and prints the income
quintile holding it lets a reader with both reports subtract: Saint-Josse = Q1 − Anderlecht −
Molenbeek. The plans take the printed figures as known cells (bounds in the LP audit) and choose
other complements.
"""

from __future__ import annotations

import math

from analysis.analyses.referrals import AGE_BANDS
from analysis.publish.disclosure import protect_line
from analysis.publish.printed import age_band_knowledge, reader_knowledge, same_period, share_bounds
from analysis.publish.sdc import Relation, feasible_ranges, protect

T = 5

# A quintile of three communes (Anderlecht, Molenbeek, Saint-Josse), the rest of the population elsewhere.
VALUES = {"and": 11, "mol": 30, "sjt": 2, "ixl": 40, "q1": 43, "tot": 83}
RELS = [Relation("q1", ("and", "mol", "sjt")), Relation("tot", ("q1", "ixl"))]
KNOWN = {"and": (11.0, 11.0)}  # printed elsewhere: 13,9 % of 79


def _reader_ranges(p, known):
    """The audit's LP for a reader who holds ``known`` on top of the published tables."""
    return feasible_ranges(p.values, RELS, p.primary, p.secondary, T, withdrawn=p.withdrawn, known=known)


def test_the_printed_figures_of_the_2022_report_are_known_cells_of_its_period_only():
    known = reader_knowledge("2021-09", "2022-04")
    assert known["users.commune.21001"] == (11, 11)  # Anderlecht 13,9 % of 79
    assert known["users.commune.21005"] == (14, 14) and known["users.commune.21010"] == (13, 13)
    assert known["users.referrer.initiative_personnelle"] == (0, 0)
    assert known["users.referrer.aide_sociale_generale"] == (16, 16)  # printed truncated: 20,2 for 20,25
    assert known["users.gender.F"] == (44, 44) and known["users.total"] == (79, 79)
    assert same_period("2021-09", "2022-04") and not same_period("2023-01", "2023-06")
    assert reader_knowledge("2023-01", "2023-06") == {}
    assert age_band_knowledge("2023-01", "2023-06", AGE_BANDS) == {}
    # 3 and 89 years: somebody in 0–11 and in 65+, no band wholly outside
    assert age_band_knowledge("2021-09", "2022-04", AGE_BANDS) == {0: (1.0, math.inf), 5: (1.0, math.inf)}


def test_share_bounds_allow_rounding_and_truncation():
    assert share_bounds("13.9", 79) == (11, 11)
    assert share_bounds("20.2", 79) == (16, 16)  # 16 / 79 = 20,25: truncated, not rounded
    assert share_bounds("0.0", 79) == (0, 0)
    assert share_bounds("30", 2500) == (738, 774)


def test_a_pattern_blind_to_the_printed_figures_leaks_and_the_known_cells_fix_it():
    """Planted leak: without the known cells, Anderlecht is the cheapest complement of Saint-Josse; a
    reader who knows it from 2022 gets Saint-Josse exactly. With them, another complement is chosen."""
    blind = protect(VALUES, RELS, T, fixed=["tot"])
    assert blind.unsafe() == [] and "and" in blind.secondary
    assert _reader_ranges(blind, KNOWN)["sjt"] == (2.0, 2.0)  # 43 − 11 − 30
    aware = protect(VALUES, RELS, T, fixed=["tot"], known=KNOWN)
    assert aware.unsafe() == [] and "and" not in aware.hidden
    lo, hi = aware.ranges["sjt"]
    assert (lo, hi) == _reader_ranges(aware, KNOWN)["sjt"] and hi - lo >= T - 1


def test_a_small_cell_printed_elsewhere_is_no_leak_of_ours_and_helps_recover_nothing():
    """« initiative personnelle » 0,0 % in 2022: pinned to 0 by that report. It is recorded as published
    elsewhere (not unsafe), and the reader's 0 does not narrow the other small cell of its line."""
    values = {"init": 0, "ent": 4, "sante": 30, "autre": 20, "tot": 54}
    rels = [Relation("tot", ("init", "ent", "sante", "autre"))]
    p = protect(values, rels, T, fixed=["tot"], known={"init": (0.0, 0.0)})
    assert p.unsafe() == [] and p.disclosed == {"init"}
    rec = {r["cell"]: r for r in p.records()}
    assert rec["init"]["kind"] == "published_elsewhere" and rec["init"]["protected"]
    lo, hi = p.ranges["ent"]
    assert hi - lo >= T - 1
    # without the rule, « init » and « ent » protect each other (0 + 4: each 0 to 4); with the 2022 0,
    # « ent » is 4
    blind = protect(values, rels, T, fixed=["tot"])
    assert blind.unsafe() == [] and not blind.secondary
    r = feasible_ranges(values, rels, blind.primary, blind.secondary, T, known={"init": (0.0, 0.0)})
    assert r["ent"] == (4.0, 4.0)


def test_a_band_known_to_hold_somebody_is_printed_np_and_stays_wide():
    """The oldest person is 89: the « 65 ans et plus » band holds at least one. Printed « < 5 » it would
    be 1 to 4 (four values); it is printed « n.p. » with a complement, and its range holds ≥ 5 values."""
    counts = [9, 6, 4, 28, 28, 4]  # the example's bands
    primary, secondary = protect_line(counts, T)
    assert primary[5] and not secondary[5]
    primary, secondary = protect_line(counts, T, known={0: (1.0, math.inf), 5: (1.0, math.inf)})
    assert not primary[5] and secondary[5]
    cells = {f"c{i}": v for i, v in enumerate(counts)} | {"total": sum(counts)}
    rels = [Relation("total", tuple(f"c{i}" for i in range(len(counts))))]
    p = protect(cells, rels, T, fixed=["total"], known={"c0": (1.0, math.inf), "c5": (1.0, math.inf)})
    assert p.unsafe() == [] and "c5" in p.withdrawn
    lo, hi = p.ranges["c5"]
    assert lo >= 1 and hi - lo >= T - 1
