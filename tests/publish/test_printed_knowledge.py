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


# The 2022 report's mean age (37,8 years, ages 3 to 89): two linear constraints on the age bands.
AGE_COUNTS = [21, 3, 10, 20, 4, 12]  # a period whose small bands the mean would narrow (the example's does not)


def _age_res(counts, start="2021-09", end="2022-04"):
    from types import SimpleNamespace

    import pandas as pd

    return SimpleNamespace(age_table=pd.DataFrame({"n": counts, "band": [b[2] for b in AGE_BANDS]}),
                           start=start, end=end)


def _mean_age_ranges(texts, counts):
    """The reader's LP: printed bands and total, the 2022 extreme ages and mean (rounded or truncated)."""
    from scipy.optimize import linprog

    hidden = [i for i, x in enumerate(texts) if not x.isdigit()]
    span = [(max(lo, 3), min(hi, 89)) for lo, hi, _ in AGE_BANDS]
    fixed = {i: counts[i] for i in range(len(counts)) if i not in hidden}
    a_ub = [[span[i][0] - 37.9 for i in hidden], [-(span[i][1] - 37.75) for i in hidden]]
    b_ub = [-sum(v * (span[i][0] - 37.9) for i, v in fixed.items()),
            sum(v * (span[i][1] - 37.75) for i, v in fixed.items())]
    bounds = [(0, T - 1) if texts[i].startswith("<") else (1 if i in (0, 5) else T, None) for i in hidden]
    kw = dict(A_ub=a_ub, b_ub=b_ub, A_eq=[[1] * len(hidden)], b_eq=[sum(counts) - sum(fixed.values())],
              bounds=bounds, method="highs")
    out = {}
    for j, i in enumerate(hidden):
        obj = [0] * len(hidden)
        obj[j] = 1
        lo, hi = linprog(obj, **kw), linprog([-x for x in obj], **kw)
        out[i] = (lo.fun, -hi.fun if hi.status == 0 else math.inf)
    return out


def test_the_2022_mean_age_narrows_no_small_age_band_of_its_period():
    """Planted: with the band counts ``AGE_COUNTS``, the line protection alone leaves « 12–17 ans »
    (3 persons) in 0..4 for a reader of this edition, but the mean age of 37,8 printed in 2022 narrows
    it; the age table then prints one more band « n.p. » and every small band keeps its 5 values."""
    from analysis.publish.disclosure import hidden_text, publish_line
    from analysis.publish.printed import mean_age_narrows
    from analysis.publish.referrals import age_line

    known = age_band_knowledge("2021-09", "2022-04", AGE_BANDS)
    texts, hidden = publish_line(AGE_COUNTS, T, known=known)
    primary = [x == hidden_text(T) for x in texts]
    assert mean_age_narrows(AGE_COUNTS, primary, hidden, list(AGE_BANDS), T, "2021-09", "2022-04")
    before = _mean_age_ranges([x.replace("\u00a0", " ") for x in texts], AGE_COUNTS)
    assert any(math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < T - 1 for i, (lo, hi) in before.items()
               if primary[i])
    got, mask = age_line(_age_res(AGE_COUNTS), T)
    assert mask.sum() > hidden.sum()
    after = _mean_age_ranges([x.replace("\u00a0", " ") for x in got], AGE_COUNTS)
    for i, (lo, hi) in after.items():
        if got[i].startswith("<"):
            assert math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) >= T - 1, (i, lo, hi)
    # another period: the 2022 figures say nothing, the line protection alone decides
    other, other_mask = age_line(_age_res(AGE_COUNTS, "2023-01", "2023-06"), T)
    assert (other_mask == publish_line(AGE_COUNTS, T)[1]).all()


def test_the_2022_census_share_is_known_in_every_edition_holding_its_wave():
    """« 30 % » of constrained reorientations in the census of November 2020 – February 2021 (wave
    2020_11): a count interval of that wave's demands, rounded or truncated, whatever the tracking
    period; about n/100 values, so it pins a small wave (100 demands: exactly 30)."""
    from analysis.publish.printed import census_knowledge

    assert census_knowledge({"2020_11": 2500, "2022_11": 2800}) == {"sat.2020_11.constrained": (738.0, 774.0)}
    assert census_knowledge({"2020_11": 100}) == {"sat.2020_11.constrained": (30.0, 30.0)}
    assert census_knowledge({"2022_11": 100}) == {}


def test_a_small_census_wave_is_protected_around_the_2022_share():
    """Planted: 100 demands of wave 2020_11, 30 constrained reorientations (the 2022 share pins 30),
    2 of them for children. The census plan takes the 30 as known: whatever it hides, the children's
    « < 5 » keeps its 5 values for a reader who also holds the 2022 report."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
    from census_rows import ACCEPTED, CONSTRAINED, PUBLICS, REORIENTED, census_frame

    from analysis.analyses import saturation
    from analysis.publish.saturation import saturation_cells, saturation_plan

    adult, child = PUBLICS[0], PUBLICS[1]
    rows = ([{"outcome": REORIENTED, "reorientation_reason": CONSTRAINED, "public": child}] * 2
            + [{"outcome": REORIENTED, "reorientation_reason": CONSTRAINED, "public": adult}] * 28
            + [{"outcome": ACCEPTED, "public": adult}] * 60 + [{"outcome": ACCEPTED, "public": child}] * 10)
    res = saturation.analyse_saturation(census_frame(rows), saturation.census_income(census_frame(rows)))
    plan = saturation_plan(res, T)
    p = plan.protection
    assert p.known.get("sat.2020_11.constrained") == (30.0, 30.0)
    assert p.unsafe() == []
    values, rels, unprinted, _fixed = saturation_cells(res)
    ranges = feasible_ranges(values, rels, p.primary, p.secondary, T, withdrawn=p.withdrawn,
                             unprinted=p.unprinted, known=p.known)
    small = [c for c in p.primary if c not in p.unprinted]
    assert small, "the children's constrained reorientations (2) are « < 5 »"
    for c in small:
        lo, hi = ranges[c]
        assert math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) >= T - 1 or c in p.disclosed, (c, lo, hi)


def test_the_mean_age_the_chapter_prints_narrows_no_small_age_band_on_any_period():
    """Planted: 21 new demands of 2023, 17 of them aged 12–17, the others alone in their bands, mean
    age 19,8 printed beside the table (chapter 8). The bands 65+ (2 persons, at least 65 years each) and
    the rest are bounded by that mean: the line protection alone lets a reader narrow a « < 5 » band;
    the age table then prints 12–17 « n.p. » too, and no small band is narrowed any more."""
    from types import SimpleNamespace

    import pandas as pd

    from analysis.publish.disclosure import hidden_text, publish_line
    from analysis.publish.printed import mean_age_narrows
    from analysis.publish.referrals import age_line

    counts, ages = [1, 17, 1, 0, 0, 2], [8] + [15] * 17 + [19] + [66, 67]
    mean = sum(ages) / len(ages)
    assert f"{mean:.1f}" == "19.8"
    texts, hidden = publish_line(counts, T)
    primary = [x == hidden_text(T) for x in texts]
    assert mean_age_narrows(counts, primary, hidden, list(AGE_BANDS), T, "2023-01", "2023-06", own_mean=mean)
    res = SimpleNamespace(age_table=pd.DataFrame({"n": counts, "band": [b[2] for b in AGE_BANDS]}),
                          start="2023-01", end="2023-06", ages=pd.Series(ages, dtype=float))
    got, mask = age_line(res, T)
    assert mask.sum() > hidden.sum() and got[1] == "n.p."
    assert not mean_age_narrows(counts, [x == hidden_text(T) for x in got], mask, list(AGE_BANDS), T,
                                "2023-01", "2023-06", own_mean=mean)


def test_known_bounds_hold_in_every_block_of_the_audit():
    """Regression: the audit's shortcut for blocks of several small cells reused the name of the known
    bounds, so a block solved after it (here ``b``) lost what the reader knows from elsewhere (b1 is 2 or 3)."""
    from analysis.publish.sdc import Relation, feasible_ranges

    values = {"ta": 30, "a1": 2, "a2": 3, "a3": 25, "tb": 40, "b1": 3, "b2": 37}
    rels = [Relation("ta", ("a1", "a2", "a3")), Relation("tb", ("b1", "b2"))]
    rng = feasible_ranges(values, rels, {"a1", "a2", "b1"}, {"a3", "b2"}, 5, known={"b1": (2, 3)})
    assert rng["b1"] == (2.0, 3.0) and rng["b2"] == (37.0, 38.0)
    assert rng["a1"] == (0.0, 4.0)
