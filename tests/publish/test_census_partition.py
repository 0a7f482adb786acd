"""The census plan against a reader who takes the outcomes for a partition of the demands.

Second intruder review (A1, ``docs/review/intruder-2026-12-05b.md``): a wave of 36 demands printed
suivi « n.p. », liste d'attente 11, réorientation 11, sans suite « < 5 », and the share still waiting
« 76,2 % », whose only fraction of denominator ≤ 36 is 16/21. A reader who takes the four outcomes for
the whole wave and the waits for the demands offered a follow-up found suivi = 10 and sans suite = 4:
the audit had let the outcome « other » and the offered demands left out of the waits be anything.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from census_rows import (  # noqa: E402
    ACCEPTED,
    CONSTRAINED,
    NO_FOLLOWUP,
    OTHER_REASON,
    REORIENTED,
    WAITING,
    census_frame,
)

from analysis.analyses import saturation  # noqa: E402
from analysis.publish.saturation import saturation_plan  # noqa: E402

T = 5
OUTCOMES = ("accepted", "waiting", "reoriented", "no_followup")


def _wave(accepted: int, seen: int, waiting: int, reoriented: int, no_followup: int) -> pd.DataFrame:
    day = pd.Timestamp("2022-11-07")
    rows = ([{"outcome": ACCEPTED, "demand_date": day, "first_appointment": day + pd.Timedelta(days=9)}] * seen
            + [{"outcome": ACCEPTED, "demand_date": day}] * (accepted - seen)
            + [{"outcome": WAITING, "demand_date": day}] * waiting
            + [{"outcome": REORIENTED, "reorientation_reason": CONSTRAINED}] * (reoriented // 2)
            + [{"outcome": REORIENTED, "reorientation_reason": OTHER_REASON}] * (reoriented - reoriented // 2)
            + [{"outcome": NO_FOLLOWUP}] * no_followup)
    return census_frame(rows)


def _reader_ranges(plan, wave: str, values: dict[str, int], n: int, wait_n: int | None,
                   secondary_at_least: int) -> dict[str, set[int]]:
    """Every value of each outcome a reader finds possible: the outcomes add up to the printed demands,
    the waits' demands (given by the printed share) are the accepted and waiting ones, a printed cell is
    its value, a « < 5 » is 0..4 and a « n.p. » at least ``secondary_at_least``."""
    allowed = {}
    for o in OUTCOMES:
        why = plan.reason(wave, o)
        allowed[o] = ([values[o]] if why is None else range(T) if why == "primary"
                      else range(secondary_at_least, n + 1))
    found: dict[str, set[int]] = {o: set() for o in OUTCOMES}
    for combo in itertools.product(*(allowed[o] for o in OUTCOMES)):
        if sum(combo) != n or (wait_n is not None and combo[0] + combo[1] != wait_n):
            continue
        for o, v in zip(OUTCOMES, combo, strict=True):
            found[o].add(v)
    return found


@pytest.mark.parametrize("counts", [(10, 5, 11, 11, 4), (12, 6, 2, 20, 3), (30, 10, 9, 1, 0), (7, 7, 8, 6, 2)])
def test_no_small_outcome_is_pinned_by_the_partition_and_the_waits(counts):
    accepted, seen, waiting, reoriented, no_followup = counts
    census = _wave(*counts)
    res = saturation.analyse_saturation(census, saturation.census_income(census))
    plan = saturation_plan(res, T)
    wave = res.waves[0]
    assert plan.protection.known.get(f"sat.{wave}.outcome_other") == (0.0, 0.0)
    values = dict(zip(OUTCOMES, (accepted, waiting, reoriented, no_followup), strict=True))
    n = sum(values.values())
    # the share still waiting is printed when its demands and appointments are: it gives its denominator
    wait_n = accepted + waiting if plan.published(wave, "wait_n", "wait_events") else None
    small = [o for o in OUTCOMES if plan.reason(wave, o) == "primary"]
    assert small, counts
    for at_least in (0, T):
        found = _reader_ranges(plan, wave, values, n, wait_n, at_least)
        if not found[small[0]]:
            continue  # this reader's premise (every « n.p. » ≥ 5) contradicts the table
        for o in small:
            assert found[o] == set(range(T)), (counts, at_least, o, sorted(found[o]))
