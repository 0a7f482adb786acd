"""The clean "truth" of the synthetic example: what the cleaning must recover.

The example dataset is built in two stages. This module draws the clean rows
(users, pros, activities, census), in the column form of
:data:`analysis.ingest.schema.TABLES` minus the trace columns; :mod:`analysis.example.mess`
then renders them into messy raw files. At ``scale=1`` the truth reproduces the
figures printed in the 2022 PRR report (``data/reference/published_figures.yaml``)
exactly; larger scales multiply every count for benchmarks and are not
calibrated.

Calibration decisions (documented in ``docs/example-data.md``):

- Per activity type, the number of rows and the sum of participations are the
  printed ones. Participations are the users present for axis 1, the
  professionals present for axis 2, ``temps_reseau`` and
  ``participation_formation`` (``participants`` column of
  ``activity_types.csv``); types without participants leave both counts empty.
- Monthly participation: with 17 services only multiples of 1/17 are possible;
  the counts 13, 14, 14, 13, 13, 12, 12, 11 are each the closest (or second
  closest) integer to the printed percentage and sum to 102 = 75,0 % of 136,
  the printed global rate.
- Shares of services: 11/17 services encode ``communautaire_collectif``
  (64,7 %, printed 63 %) and 10/17 ``temps_reseau`` (58,8 %, printed 58 %).
- ``temps_reseau`` work time (duration × workers) is 21 % of all work time.
- Users: 79 rows from 4 services, ages summing to 2 986 (mean 37,797 → 37,8),
  min 3, max 89, 44 women, Etterbeek 14, Jette 13, Anderlecht 11, referrers
  39 ``sante_generale`` and 16 ``aide_sociale_generale``, no first-line referrer.
- Census: exact outcome counts per wave (see :data:`WAVE_PLAN`); who is
  reoriented for lack of availability follows a logistic model (public,
  requested follow-up, first-line demand, income of the commune, SSM effect)
  conditioned on the exact total.

No two truth rows of one service and table are identical in every data
column (the cleaning keeps identical rows and lists them as possible duplicates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import reference
from analysis.config import EXAMPLE_END, EXAMPLE_START, REFERENCE_DIR
from analysis.ingest import schema

PUBLISHED_FIGURES = "published_figures.yaml"
TRACE_COLUMNS = ("source_file", "sheet", "row")
#: Fixed-date Belgian public holidays (month, day): no activity is dated on them.
#: Movable feasts (Easter Monday, Ascension, Whit Monday) are ignored.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25))

# --------------------------------------------------------------------------- the plan

#: Months (1 = first month of the period) in which each funded service returned
#: at least one activity row. Column sums: 13, 14, 14, 13, 13, 12, 12, 11.
PARTICIPATION = {
    "CER": "12345678", "GRE": "12345678", "EQU": "12345678", "REZ": "12345678",
    "SMES": "12345678", "MOB": "12345678", "DUNE": "12345678",
    "LBSM": "1234567", "CGE": "1234568", "NOR": "2345678",
    "MST": "123457", "NCP": "12368", "DIA": "1247", "CAC": "358", "MER": "123",
    "CDC": "45", "IFISAM": "67",
}
#: Monthly counts of participating services (see module docstring).
MONTHLY_PARTICIPATING = (13, 14, 14, 13, 13, 12, 12, 11)

#: Rows per activity type and service (scale 1). Totals are the printed counts.
ACTIVITY_PLAN: dict[str, dict[str, int]] = {
    "suivi_accompagnement": {"MOB": 120, "NOR": 80, "CGE": 60, "MST": 50, "NCP": 33},
    "prevention_rdr": {"DUNE": 46},
    "communautaire_collectif": {"CER": 520, "GRE": 380, "EQU": 300, "REZ": 180, "DIA": 150, "NCP": 110,
                                "MST": 90, "CDC": 60, "MER": 50, "CAC": 40, "DUNE": 33},
    "immersion": {"MOB": 10, "NOR": 8, "SMES": 5},
    "formation": {"IFISAM": 18, "SMES": 8, "REZ": 4},
    "supervision": {"SMES": 12, "CGE": 8, "CAC": 8},
    "intervision": {"SMES": 10, "MER": 8, "REZ": 6},
    "groupe_parole": {"SMES": 6, "CAC": 4},
    "permanence_elaboration": {"SMES": 70, "MOB": 29},
    "permanence_orientation": {"SMES": 12, "MOB": 5},
    "permanence_intervention": {"SMES": 30, "MOB": 12},
    "temps_reseau": {"REZ": 120, "EQU": 80, "SMES": 70, "MOB": 60, "LBSM": 50, "CGE": 40, "NOR": 40,
                     "GRE": 34, "CER": 30, "DUNE": 30},
    "recherche": {"LBSM": 50, "IFISAM": 22},
    "participation_formation": {"CGE": 15, "CAC": 12, "CDC": 10, "DIA": 12, "MER": 10, "GRE": 10, "NCP": 10,
                                "NOR": 10, "MST": 10, "CER": 10, "MOB": 10},
    "divers": {"LBSM": 20, "EQU": 15, "REZ": 14, "CER": 10, "SMES": 10, "DIA": 10, "CDC": 10, "GRE": 10},
}

#: Per type: (participant count range lo, hi), negative-binomial shape, workers
#: choices and weights, durations (minutes) choices and weights, places and weights.
TYPE_SHAPE: dict[str, dict] = {
    "suivi_accompagnement": dict(lo=0, hi=4, workers=((1, 2), (0.85, 0.15)),
                                 durations=((45, 60, 75, 90), (0.2, 0.5, 0.15, 0.15)),
                                 places=(("service", "exterieur", "en_ligne"), (0.55, 0.4, 0.05))),
    "prevention_rdr": dict(lo=0, hi=40, workers=((2, 3), (0.6, 0.4)),
                           durations=((300, 330, 360, 390, 420), (0.15, 0.2, 0.3, 0.2, 0.15)),
                           places=(("exterieur",), (1.0,))),
    "communautaire_collectif": dict(lo=0, hi=50, workers=((1, 2, 3), (0.35, 0.5, 0.15)),
                                    durations=((60, 90, 120, 150, 180), (0.2, 0.25, 0.3, 0.1, 0.15)),
                                    places=(("service", "exterieur", "en_ligne"), (0.7, 0.25, 0.05))),
    "immersion": dict(lo=3, hi=40, workers=((1, 2), (0.6, 0.4)),
                      durations=((180, 240, 360, 420), (0.3, 0.3, 0.2, 0.2)),
                      places=(("service", "exterieur"), (0.3, 0.7))),
    "formation": dict(lo=1, hi=15, workers=((1, 2), (0.6, 0.4)),
                      durations=((120, 180, 240, 360), (0.3, 0.3, 0.25, 0.15)),
                      places=(("service", "exterieur", "en_ligne"), (0.5, 0.35, 0.15))),
    "supervision": dict(lo=1, hi=15, workers=((1, 2), (0.8, 0.2)),
                        durations=((90, 120, 150), (0.3, 0.5, 0.2)),
                        places=(("service", "exterieur", "en_ligne"), (0.4, 0.5, 0.1))),
    "intervision": dict(lo=3, hi=30, workers=((1, 2), (0.7, 0.3)),
                        durations=((90, 120, 150), (0.4, 0.4, 0.2)),
                        places=(("service", "exterieur", "en_ligne"), (0.5, 0.4, 0.1))),
    "groupe_parole": dict(lo=3, hi=20, workers=((1, 2), (0.5, 0.5)),
                          durations=((90, 120), (0.5, 0.5)),
                          places=(("service", "exterieur"), (0.5, 0.5))),
    "permanence_elaboration": dict(lo=1, hi=12, workers=((1, 2), (0.75, 0.25)),
                                   durations=((45, 60, 90, 120), (0.2, 0.4, 0.25, 0.15)),
                                   places=(("service", "exterieur", "en_ligne"), (0.45, 0.35, 0.2))),
    "permanence_orientation": dict(lo=0, hi=3, workers=((1,), (1.0,)),
                                   durations=((15, 30, 45), (0.3, 0.5, 0.2)),
                                   places=(("service", "en_ligne"), (0.4, 0.6))),
    "permanence_intervention": dict(lo=1, hi=6, workers=((1, 2), (0.6, 0.4)),
                                    durations=((60, 90, 120, 180), (0.3, 0.3, 0.25, 0.15)),
                                    places=(("service", "exterieur"), (0.3, 0.7))),
    "temps_reseau": dict(lo=1, hi=30, workers=((1, 2, 3), (0.35, 0.45, 0.2)),
                         durations=((60, 90, 120, 150, 180), (0.2, 0.3, 0.3, 0.1, 0.1)),
                         places=(("service", "exterieur", "en_ligne"), (0.3, 0.5, 0.2))),
    "recherche": dict(lo=0, hi=0, workers=((1, 2), (0.6, 0.4)),
                      durations=((60, 120, 180, 240), (0.2, 0.3, 0.3, 0.2)),
                      places=(("service", "exterieur", "en_ligne"), (0.6, 0.2, 0.2))),
    "participation_formation": dict(lo=1, hi=15, workers=((1, 2), (0.7, 0.3)),
                                    durations=((120, 180, 240, 360, 420), (0.25, 0.25, 0.2, 0.15, 0.15)),
                                    places=(("service", "exterieur", "en_ligne"), (0.2, 0.6, 0.2))),
    "divers": dict(lo=0, hi=0, workers=((1, 2), (0.8, 0.2)),
                   durations=((30, 60, 90, 120), (0.25, 0.4, 0.2, 0.15)),
                   places=(("service", "exterieur", "en_ligne"), (0.6, 0.3, 0.1))),
}
#: Share of activities whose place is left empty (unknown).
PLACE_MISSING = 0.03
#: temps_reseau's share of all work time, in percent, and the tolerance kept
#: around it so that rounding gives the printed 21 %.
WORK_TIME_TARGET_PCT = 21.0
WORK_TIME_TOLERANCE = 0.15
DURATION_STEP = 15

#: New user demands per service (4 services, 79 rows).
USERS_PLAN = {"MOB": 30, "NOR": 20, "CGE": 15, "MST": 14}
#: Users' commune of residence: NIS code → count; ``hors_bruxelles`` and ``inconnu`` are regions.
USERS_COMMUNES = {"21005": 14, "21010": 13, "21001": 11, "21015": 7, "21004": 6, "21009": 5, "21012": 5,
                  "21013": 3, "21007": 2, "21011": 2, "21006": 2, "21014": 2, "21018": 1,
                  "hors_bruxelles": 3, "inconnu": 3}
USERS_REFERRERS = {"sante_generale": 39, "aide_sociale_generale": 16, "sante_mentale": 7, "enseignement": 4,
                   "aide_jeunesse": 4, "logement": 3, "justice": 2, "autre": 2, "inconnu": 2,
                   "initiative_personnelle": 0, "entourage": 0}
USERS_INCOME = {"cpas_ris": 22, "mutuelle": 14, "chomage": 12, "travail": 9, "sans_revenu": 8,
                "allocation_handicap": 4, "pension": 3, "autre": 2, "inconnu": 5}
USERS_GENDERS = {"F": 44, "H": 33, "X": 2}
#: Sum of the 79 ages: 2 986 / 79 = 37,797… → 37,8.
USERS_AGE_SUM = 2986
#: Users of services working with children (a guidance centre) are younger.
CHILD_SERVICES = ("CGE",)

#: New demands from professionals: one service, 124 rows.
PROS_PLAN = {"SMES": 124}
PROS_REQUESTING = {"cpas": 22, "maison_accueil": 18, "hopital": 15, "maison_medicale": 14, "service_social": 13,
                   "ssm": 12, "logement_social": 10, "aide_jeunesse": 6, "ecole": 5, "autre": 5, "maison_repos": 4}
#: Origin of the requesting service outside the Brussels communes (counts).
PROS_ORIGIN_OTHER = {"wallonie": 6, "flandre": 5, "hors_bruxelles": 1, "inconnu": 12}

#: Census waves: demands, participating SSMs and exact outcome shares.
WAVE_PLAN: dict[str, dict] = {
    "2020_11": dict(n=2500, ssms=18, accepted=0.2808, reoriented=0.40, constrained=0.30, waiting=0.18,
                    full_yes_of_known=0.55, dest_unknown=0.15, first_line=0.50, requester_missing=0.02),
    "2022_11": dict(n=2800, ssms=20, accepted=0.25, reoriented=0.53, constrained=0.53 * 0.71, waiting=0.14,
                    full_yes_of_known=0.70, dest_unknown=0.12, first_line=0.48, requester_missing=0.015),
}
#: Census publics (share) and their age ranges (inclusive).
PUBLICS = {"enfant": (0.22, 1, 11), "adolescent": (0.15, 12, 17), "adulte": (0.55, 18, 64),
           "personne_agee": (0.08, 65, 95)}
#: Requested follow-up by public (weights in the order of ``followups.csv``:
#: psychologique, psychiatrique, pedopsychiatrique, logopedique, social, psychomoteur, autre).
FOLLOWUP_WEIGHTS = {
    "enfant": (0.35, 0.0, 0.25, 0.2, 0.05, 0.12, 0.03),
    "adolescent": (0.55, 0.0, 0.3, 0.03, 0.07, 0.02, 0.03),
    "adulte": (0.6, 0.25, 0.0, 0.01, 0.11, 0.0, 0.03),
    "personne_agee": (0.5, 0.35, 0.0, 0.0, 0.12, 0.0, 0.03),
}
#: Log-odds of a constrained reorientation (logistic model of the census truth).
LOGIT_PUBLIC = {"enfant": 0.75, "adolescent": 0.55, "adulte": 0.0, "personne_agee": 0.2}
LOGIT_FOLLOWUP = {"psychologique": 0.0, "psychiatrique": 0.5, "pedopsychiatrique": 0.7, "logopedique": 0.35,
                  "social": -0.5, "psychomoteur": 0.3, "autre": 0.0}
LOGIT_FIRST_LINE = 0.35
LOGIT_INCOME_PER_10K = -0.4
SSM_EFFECT_SD = 0.45
#: Commune weights of census demands: population × (income / median income) ** this.
INCOME_GRADIENT_EXPONENT = -2.5
CENSUS_RESIDENCE = {"bruxelles": 0.9, "hors_bruxelles": 0.06, "inconnu": 0.04}
#: Sectors of professional requesters (codes of ``referrers.csv``), weights.
CENSUS_SECTORS = {"sante_generale": 0.34, "sante_mentale": 0.18, "aide_sociale_generale": 0.14,
                  "enseignement": 0.12, "aide_jeunesse": 0.08, "justice": 0.04, "logement": 0.03,
                  "autre": 0.04, None: 0.03}
#: Median wait (days) for a first appointment: accepted demands, waiting-list demands.
WAIT_MEDIAN_DAYS = {"accepted": 14.0, "waiting": 50.0}
WAIT_FACTOR_YOUNG = 1.8
WAIT_FACTOR_PSY = 1.5
WAIT_FACTOR_WAVE2 = 1.3
WAITING_WITH_APPOINTMENT = 0.35


# --------------------------------------------------------------------------- result


@dataclass
class Truth:
    """Clean rows of every data table (schema columns minus the trace columns)."""

    users: pd.DataFrame
    pros: pd.DataFrame
    activities: pd.DataFrame
    census: pd.DataFrame
    scale: float = 1.0
    meta: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def truth_columns(table: str) -> list[str]:
    """Columns of a clean table without the trace (file, sheet, row)."""
    return [c for c in schema.columns(table) if c not in TRACE_COLUMNS]


def _typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Cast to the schema's dtypes and column order (trace columns left out)."""
    dtypes = {c.name: c.dtype for c in schema.TABLES[table]}
    out = {}
    for col in truth_columns(table):
        values = df[col]
        dtype = dtypes[col]
        if dtype.startswith("datetime64"):
            out[col] = pd.to_datetime(values).astype(dtype)
        elif dtype == "boolean":
            out[col] = pd.array(values.tolist(), dtype="boolean")
        elif dtype in ("Int64", "Float64"):
            out[col] = pd.array([None if pd.isna(v) else v for v in values], dtype=dtype)
        else:
            out[col] = pd.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                                 for v in values], dtype=dtype)
    return pd.DataFrame(out).reset_index(drop=True)


# --------------------------------------------------------------------------- helpers


@cache
def published_figures(ref_dir: str = str(REFERENCE_DIR)) -> dict:
    """The printed figures (``data/reference/published_figures.yaml``)."""
    with open(Path(ref_dir) / PUBLISHED_FIGURES, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def months_of(start: str = EXAMPLE_START, end: str = EXAMPLE_END) -> list[str]:
    """``YYYY-MM`` months from ``start`` to ``end``."""
    return [str(p) for p in pd.period_range(start, end, freq="M")]


@cache
def working_days(month: str) -> np.ndarray:
    """Weekdays of a month that are not fixed public holidays (``datetime64[D]``)."""
    days = pd.date_range(f"{month}-01", periods=pd.Period(month, freq="M").days_in_month, freq="D")
    keep = (days.day_of_week < 5) & ~np.array([(d.month, d.day) in FIXED_HOLIDAYS for d in days])
    return days[keep].values.astype("datetime64[D]")


def draw_days(rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
    """One random working day in each given month (vectorised by month)."""
    out = np.empty(len(months), dtype="datetime64[D]")
    for month in np.unique(months):
        sel = np.flatnonzero(months == month)
        days = working_days(str(month))
        out[sel] = days[rng.integers(0, len(days), len(sel))]
    return out


def scaled(n: int, scale: float) -> int:
    """A plan count multiplied by the scale (at least 1 when the plan count is positive)."""
    return 0 if n == 0 else max(1, int(round(n * scale)))


def counts_to_array(rng: np.random.Generator, counts: dict, scale: float = 1.0) -> np.ndarray:
    """A shuffled array holding each key ``count × scale`` times (object dtype)."""
    values = [k for k, n in counts.items() for _ in range(scaled(n, scale))]
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr[rng.permutation(len(arr))]


def exact_sum_counts(rng: np.random.Generator, n: int, total: int, lo: int, hi: int,
                     dispersion: float = 1.5, force_extremes: bool = False) -> np.ndarray:
    """``n`` integers in ``[lo, hi]`` summing to ``total``, negative-binomial-like.

    Draws around the mean ``total / n``, then moves random entries by one until
    the sum is exact. With ``force_extremes`` one entry is ``lo`` and one ``hi``
    (so the printed minimum and maximum hold).
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if not (n * lo <= total <= n * hi):
        raise ValueError(f"cannot draw {n} counts in [{lo}, {hi}] summing to {total}")
    mean = total / n
    if hi == lo:
        return np.full(n, lo, dtype=np.int64)
    span = max(mean - lo, 0.05)
    x = lo + rng.negative_binomial(dispersion, dispersion / (dispersion + span), n)
    x = np.clip(x, lo, hi).astype(np.int64)
    protected = np.zeros(n, dtype=bool)
    if force_extremes and n >= 2:
        i, j = rng.choice(n, 2, replace=False)
        x[i], x[j] = lo, hi
        protected[[i, j]] = True
    diff = total - int(x.sum())
    while diff != 0:
        step = 1 if diff > 0 else -1
        movable = np.flatnonzero(~protected & ((x < hi) if step > 0 else (x > lo)))
        if len(movable) == 0:
            raise ValueError("cannot reach the exact total")
        pick = rng.choice(movable, min(abs(diff), len(movable)), replace=False)
        x[pick] += step
        diff = total - int(x.sum())
    return x


def weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` items sampled without replacement, probability increasing with weight
    (Efraimidis–Spirakis keys ``u ** (1 / w)``)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    keys = np.log(rng.random(len(w))) / np.maximum(w, 1e-12)
    return np.argsort(-keys, kind="stable")[:k]


def round_half(x: float) -> int:
    """Round half away from zero (as a reader rounds a printed percentage)."""
    return int(np.floor(x + 0.5))


# --------------------------------------------------------------------------- plan checks


def check_plan(ref_dir: Path = REFERENCE_DIR) -> None:
    """Raise ``ValueError`` if the plan disagrees with the reference tables or printed figures."""
    figs = published_figures(str(ref_dir))
    services = reference.funded_services(EXAMPLE_START, EXAMPLE_END, ref_dir)["code"].tolist()
    types = reference.codes("activity_types", ref_dir)
    problems = []
    if sorted(PARTICIPATION) != sorted(services):
        problems.append("PARTICIPATION does not list the funded services")
    sums = [sum(str(i + 1) in m for m in PARTICIPATION.values()) for i in range(len(MONTHLY_PARTICIPATING))]
    if tuple(sums) != MONTHLY_PARTICIPATING:
        problems.append(f"participation matrix column sums {sums}")
    printed = figs["participation"]["by_month_pct"]
    for (month, pct), k in zip(printed.items(), MONTHLY_PARTICIPATING, strict=True):
        if abs(100 * k / len(services) - pct) > 100 / len(services):
            problems.append(f"participation {month}: {k} services far from {pct} %")
    if round_half(100 * sum(MONTHLY_PARTICIPATING) / (len(services) * len(MONTHLY_PARTICIPATING))) != \
            figs["participation"]["global_pct"]:
        problems.append("global participation")
    if set(ACTIVITY_PLAN) != set(types) or set(TYPE_SHAPE) != set(types):
        problems.append("ACTIVITY_PLAN / TYPE_SHAPE do not cover the activity types")
    for t, per_service in ACTIVITY_PLAN.items():
        target = activity_targets(ref_dir)[t]
        if sum(per_service.values()) != target["n"]:
            problems.append(f"{t}: {sum(per_service.values())} rows planned, {target['n']} printed")
        for s in per_service:
            if s not in services:
                problems.append(f"{t}: unknown service {s}")
    if sum(USERS_COMMUNES.values()) != figs["users_new_demands"]["n"]:
        problems.append("USERS_COMMUNES total")
    for plan in (USERS_REFERRERS, USERS_INCOME, USERS_GENDERS):
        if sum(plan.values()) != figs["users_new_demands"]["n"]:
            problems.append("users plan total")
    if set(USERS_REFERRERS) - set(reference.codes("referrers", ref_dir)):
        problems.append("USERS_REFERRERS codes")
    if set(USERS_INCOME) - set(reference.codes("income_sources", ref_dir)):
        problems.append("USERS_INCOME codes")
    if sum(PROS_REQUESTING.values()) != figs["pros_new_demands"]["n"]:
        problems.append("PROS_REQUESTING total")
    if problems:
        raise ValueError("plan of the example inconsistent: " + "; ".join(problems))


@cache
def activity_targets(ref_dir: Path = REFERENCE_DIR) -> dict[str, dict]:
    """Printed ``{n, participations}`` of every activity type (participations 0 if none)."""
    figs = published_figures(str(ref_dir))
    out: dict[str, dict] = {}
    for block in ("activities_users", "activities_pros", "activities_between_pros"):
        for code, spec in figs[block].items():
            if isinstance(spec, dict) and "n" in spec and code in ACTIVITY_PLAN:
                out[code] = {"n": int(spec["n"]), "participations": int(spec.get("participations", 0))}
    return out


# --------------------------------------------------------------------------- activities


def _participants(ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    ref = reference.table("activity_types", ref_dir)
    return dict(zip(ref["code"], ref["participants"], strict=True))


def _axis(ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    ref = reference.table("activity_types", ref_dir)
    return dict(zip(ref["code"], ref["axis"], strict=True))


def _choice(rng: np.random.Generator, spec: tuple, n: int) -> np.ndarray:
    values, weights = spec
    w = np.asarray(weights, dtype=float)
    idx = rng.choice(len(values), size=n, p=w / w.sum())
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr[idx]


def _assign_months(rng: np.random.Generator, n: int, months: list[str]) -> np.ndarray:
    """Months of ``n`` rows of one service: every participating month at least once."""
    out = np.empty(n, dtype=object)
    first = min(n, len(months))
    order = rng.permutation(n)
    out[order[:first]] = months[:first]
    if n > first:
        w = np.array([0.8 if m.endswith("-12") else 1.0 for m in months])
        out[order[first:]] = np.array(months, dtype=object)[rng.choice(len(months), n - first, p=w / w.sum())]
    return out


def build_activities(rng: np.random.Generator, scale: float, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Activity rows: counts per type and service, months, days, head counts, durations."""
    months = months_of()
    participants = _participants(ref_dir)
    axis = _axis(ref_dir)
    targets = activity_targets(ref_dir)
    frames = []
    for atype, per_service in ACTIVITY_PLAN.items():
        shape = TYPE_SHAPE[atype]
        codes = [s for s in per_service for _ in range(scaled(per_service[s], scale))]
        n = len(codes)
        total = int(round(targets[atype]["participations"] * n / targets[atype]["n"])) \
            if targets[atype]["n"] else 0
        frame = pd.DataFrame({"service_code": codes, "activity_type": atype, "axis": axis[atype]})
        if participants[atype] == "none":
            frame["users_present"] = pd.NA
            frame["pros_present"] = pd.NA
        else:
            force = atype == "communautaire_collectif"
            counts = exact_sum_counts(rng, n, total, shape["lo"], shape["hi"], force_extremes=force)
            main, other = ("users_present", "pros_present") if participants[atype] == "users" \
                else ("pros_present", "users_present")
            frame[main] = counts
            frame[other] = 0
        frame["workers"] = _choice(rng, shape["workers"], n).astype(np.int64)
        frame["duration_min"] = _choice(rng, shape["durations"], n).astype(float)
        frame["place"] = _choice(rng, shape["places"], n)
        if atype != "prevention_rdr":
            frame.loc[rng.random(n) < PLACE_MISSING, "place"] = None
        frames.append(frame)
    act = pd.concat(frames, ignore_index=True)
    _fix_prevention_duration(rng, act, ref_dir)
    # months and days, service by service
    act["month"] = None
    for service, g in act.groupby("service_code", sort=True):
        service_months = [months[int(i) - 1] for i in PARTICIPATION[service]]
        act.loc[g.index, "month"] = _assign_months(rng, len(g), service_months)
    act["date"] = draw_days(rng, act["month"].to_numpy(dtype=str))
    _calibrate_work_time(rng, act)
    _dedupe(rng, act, ["service_code", "date", "activity_type", "place", "workers", "users_present",
                       "pros_present", "duration_min"], "date", strict=scale == 1)
    act["date"] = pd.to_datetime(act["date"])
    act = act.sort_values(["service_code", "date", "activity_type"], kind="mergesort")
    return _typed(act, "activities")


def _fix_prevention_duration(rng: np.random.Generator, act: pd.DataFrame, ref_dir: Path) -> None:
    """Prevention rounds last 6 h on average exactly (printed mean duration)."""
    hours = published_figures(str(ref_dir))["activities_users"]["prevention_rdr"]["mean_duration_h"]
    sel = act.index[act["activity_type"] == "prevention_rdr"]
    if len(sel) == 0:
        return
    steps = exact_sum_counts(rng, len(sel), int(len(sel) * (hours * 60 - 300) / 30), 0, 4, dispersion=4)
    act.loc[sel, "duration_min"] = 300.0 + 30.0 * steps


def work_time_share(act: pd.DataFrame, atype: str = "temps_reseau") -> float:
    """Percent of all work time (duration × workers) spent on ``atype``."""
    wt = act["duration_min"].astype(float) * act["workers"].astype(float)
    return float(100 * wt[act["activity_type"] == atype].sum() / wt.sum())


def _calibrate_work_time(rng: np.random.Generator, act: pd.DataFrame) -> None:
    """Rescale then nudge ``temps_reseau`` durations until its work-time share is 21 %."""
    sel = act.index[act["activity_type"] == "temps_reseau"]
    wt = act["duration_min"] * act["workers"]
    other = float(wt.drop(sel).sum())
    p = WORK_TIME_TARGET_PCT / 100
    needed = p * other / (1 - p)
    factor = needed / float(wt.loc[sel].sum())
    new = np.round(act.loc[sel, "duration_min"].to_numpy() * factor / DURATION_STEP) * DURATION_STEP
    act.loc[sel, "duration_min"] = np.clip(new, 30, 300)
    for _ in range(100_000):
        share = work_time_share(act)
        if abs(share - WORK_TIME_TARGET_PCT) <= WORK_TIME_TOLERANCE:
            return
        step = DURATION_STEP if share < WORK_TIME_TARGET_PCT else -DURATION_STEP
        cur = act.loc[sel, "duration_min"].to_numpy()
        ok = sel[(cur + step >= 30) & (cur + step <= 300)]
        k = max(1, int(len(ok) * min(1.0, abs(share - WORK_TIME_TARGET_PCT) / 10)))
        pick = rng.choice(ok, min(k, len(ok)), replace=False)
        act.loc[pick, "duration_min"] += step
    raise RuntimeError("work-time calibration did not converge")


def _dedupe(rng: np.random.Generator, df: pd.DataFrame, key: list[str], date_col: str,
            strict: bool = True, max_rounds: int = 200) -> None:
    """Redraw the day (same month) of rows identical to an earlier one on ``key``.

    At scales other than 1 (``strict=False``) a service can have more rows in a
    month than there are distinct combinations of its values; after
    ``max_rounds // 10`` rounds the remaining copies are kept (the cleaning keeps
    them too, listed as possible duplicates).
    """
    rounds = max_rounds if strict else max_rounds // 10
    for _ in range(rounds):
        dup = df.duplicated(subset=key, keep="first").to_numpy()
        if not dup.any():
            return
        idx = df.index[dup]
        months = pd.to_datetime(df.loc[idx, date_col]).dt.strftime("%Y-%m").to_numpy(dtype=str)
        df.loc[idx, date_col] = draw_days(rng, months)
    if strict:
        raise RuntimeError("could not make rows distinct")


# --------------------------------------------------------------------------- users and pros


def _partial_shuffle(rng: np.random.Generator, arr: np.ndarray, share: float) -> np.ndarray:
    """Shuffle a random ``share`` of positions among themselves (keeps a loose order)."""
    arr = arr.copy()
    pos = np.flatnonzero(rng.random(len(arr)) < share)
    arr[pos] = arr[rng.permutation(pos)]
    return arr


def _user_ages(rng: np.random.Generator, services: np.ndarray, total: int, lo: int, hi: int) -> np.ndarray:
    """Ages at first contact: children in guidance centres, adults elsewhere; exact sum, min and max."""
    n = len(services)
    child = np.isin(services, CHILD_SERVICES)
    ages = np.where(child, rng.integers(lo + 1, 17, n), np.clip(np.round(rng.normal(43, 13, n)), 18, hi - 4))
    ages = ages.astype(np.int64)
    young = np.flatnonzero(child) if child.any() else np.arange(n)
    old = np.flatnonzero(~child) if (~child).any() else np.arange(n)
    i_min = young[rng.integers(len(young))]
    i_max = old[rng.integers(len(old))]
    ages[i_min], ages[i_max] = lo, hi
    protected = np.zeros(n, dtype=bool)
    protected[[i_min, i_max]] = True
    diff = total - int(ages.sum())
    while diff != 0:
        step = 1 if diff > 0 else -1
        upper = np.where(child, 17, hi - 1)
        movable = np.flatnonzero(~protected & ((ages < upper) if step > 0 else (ages > np.where(child, lo + 1, 18))))
        pick = rng.choice(movable, min(abs(diff), len(movable)), replace=False)
        ages[pick] += step
        diff = total - int(ages.sum())
    return ages


def build_users(rng: np.random.Generator, scale: float, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """New user demands (sheet ``Usagers``)."""
    figs = published_figures(str(ref_dir))["users_new_demands"]
    months = months_of()
    services = np.array([s for s, k in USERS_PLAN.items() for _ in range(scaled(k, scale))], dtype=object)
    n = len(services)
    total_age = int(round(USERS_AGE_SUM * n / figs["n"]))
    ages = _user_ages(rng, services, total_age, int(figs["age_min"]), int(figs["age_max"]))
    month = np.empty(n, dtype=object)
    for s in USERS_PLAN:
        sel = np.flatnonzero(services == s)
        service_months = [months[int(i) - 1] for i in PARTICIPATION[s]]
        month[sel] = np.array(service_months, dtype=object)[rng.integers(0, len(service_months), len(sel))]
    first_contact = draw_days(rng, month.astype(str))
    # communes in a loose service order: the guidance centre's users live around Etterbeek,
    # Mobiwest's in the west of the region
    communes = np.sort(counts_to_array(rng, USERS_COMMUNES, scale)[:n].astype(str))
    order = {"21005": 0, "21009": 0, "21018": 0, "21010": 1, "21001": 1, "21012": 1, "21011": 1}
    communes = np.array(sorted(communes, key=lambda c: (order.get(c, 2), c)), dtype=object)
    by_service = np.argsort(np.array([{"CGE": 0, "MOB": 1}.get(s, 2) for s in services]), kind="stable")
    commune = np.empty(n, dtype=object)
    commune[by_service] = _partial_shuffle(rng, communes, 0.5)
    gender = counts_to_array(rng, USERS_GENDERS, scale)[:n]
    referrer = counts_to_array(rng, USERS_REFERRERS, scale)[:n]
    income = counts_to_array(rng, USERS_INCOME, scale)[:n]
    minors = ages < 18
    income[minors & np.isin(income, ["travail", "chomage", "pension"])] = "sans_revenu"
    region = np.where(np.isin(commune, ["hors_bruxelles", "inconnu"]), commune, "bruxelles")
    basins = dict(zip(reference.communes(ref_dir)["nis_code"], reference.communes(ref_dir)["basin"], strict=True))
    first_line = reference.table("referrers", ref_dir).set_index("code")["first_line"]
    df = pd.DataFrame({
        "service_code": services,
        "first_contact": pd.to_datetime(first_contact),
        "month": month,
        "gender": gender,
        "birth_year": pd.to_datetime(first_contact).year - ages,
        "age": ages,
        "commune_nis": np.where(region == "bruxelles", commune, None),
        "residence": region,
        "basin": [basins.get(c) or None if r == "bruxelles" else None for c, r in zip(commune, region, strict=True)],
        "income_source": income,
        "referrer": referrer,
        "first_line": [first_line.get(r) for r in referrer],
    })
    _dedupe(rng, df, ["service_code", "first_contact", "gender", "birth_year", "commune_nis", "residence",
                      "income_source", "referrer"], "first_contact", strict=scale == 1)
    df["birth_year"] = pd.to_datetime(df["first_contact"]).dt.year - df["age"]
    df["month"] = pd.to_datetime(df["first_contact"]).dt.strftime("%Y-%m")
    return _typed(df.sort_values(["service_code", "first_contact"], kind="mergesort"), "users")


def _commune_weights(year: int, ref_dir: Path, exponent: float = INCOME_GRADIENT_EXPONENT) -> pd.Series:
    """Demand weights of the 19 communes: population × (income / median income) ** exponent."""
    pop = reference.population(year, ref_dir)
    inc = reference.income(year, ref_dir)["mean_income_per_return_eur"]
    w = pop * (inc / inc.median()) ** exponent
    return (w / w.sum()).sort_index()


def build_pros(rng: np.random.Generator, scale: float, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """New demands from professionals (sheet ``Professionnels``)."""
    months = months_of()
    services = np.array([s for s, k in PROS_PLAN.items() for _ in range(scaled(k, scale))], dtype=object)
    n = len(services)
    requesting = counts_to_array(rng, PROS_REQUESTING, scale)[:n]
    other = counts_to_array(rng, PROS_ORIGIN_OTHER, scale)
    n_bxl = max(0, n - len(other))
    w = _commune_weights(2021, ref_dir, exponent=-1.0)
    bxl = rng.choice(w.index.to_numpy(), n_bxl, p=w.to_numpy())
    origin = np.concatenate([bxl.astype(object), other])[:n]
    origin = origin[rng.permutation(n)]
    is_bxl = ~np.isin(origin, list(PROS_ORIGIN_OTHER))
    month = np.empty(n, dtype=object)
    for s in PROS_PLAN:
        sel = np.flatnonzero(services == s)
        service_months = [months[int(i) - 1] for i in PARTICIPATION[s]]
        month[sel] = np.array(service_months, dtype=object)[rng.integers(0, len(service_months), len(sel))]
    df = pd.DataFrame({
        "service_code": services,
        "first_contact": pd.to_datetime(draw_days(rng, month.astype(str))),
        "month": month,
        "requesting_service": requesting,
        "origin_region": np.where(is_bxl, "bruxelles", origin),
        "origin_commune_nis": np.where(is_bxl, origin, None),
    })
    _dedupe(rng, df, ["service_code", "first_contact", "requesting_service", "origin_region",
                      "origin_commune_nis"], "first_contact", strict=scale == 1)
    df["month"] = pd.to_datetime(df["first_contact"]).dt.strftime("%Y-%m")
    return _typed(df.sort_values(["service_code", "first_contact"], kind="mergesort"), "pros")


# --------------------------------------------------------------------------- census


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def conditional_bernoulli(rng: np.random.Generator, logit: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask with exactly ``k`` successes, drawn from a logistic model.

    The intercept is shifted (bisection) so that the expected total is ``k``;
    independent Bernoulli draws are then corrected to exactly ``k`` by adding
    (or removing) items with probability increasing in ``p`` (or ``1 - p``).
    """
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _expit(logit + mid).sum() < k:
            lo = mid
        else:
            hi = mid
    p = _expit(logit + (lo + hi) / 2)
    hit = rng.random(len(p)) < p
    diff = k - int(hit.sum())
    if diff > 0:
        cand = np.flatnonzero(~hit)
        hit[cand[weighted_pick(rng, p[cand], diff)]] = True
    elif diff < 0:
        cand = np.flatnonzero(hit)
        hit[cand[weighted_pick(rng, 1 - p[cand], -diff)]] = False
    return hit


def _wave_bounds(wave: str, ref_dir: Path) -> tuple[str, str]:
    ref = reference.table("census_waves", ref_dir).set_index("code")
    return ref.loc[wave, "start"], ref.loc[wave, "end"]


def _census_wave(rng: np.random.Generator, wave: str, plan: dict, n: int, ref_dir: Path) -> pd.DataFrame:
    """Demands of one census wave (see :data:`WAVE_PLAN`)."""
    start, end = _wave_bounds(wave, ref_dir)
    wave_end = pd.Period(end, freq="M").end_time.normalize()
    ssm_all = reference.services(ref_dir)
    ssm_all = ssm_all[ssm_all["instrument"] == "census"]["code"].tolist()
    ssms = np.array(ssm_all[: plan["ssms"]], dtype=object)
    size = rng.lognormal(0, 0.5, len(ssms))
    child_team = rng.random(len(ssms)) < 0.4
    effect = rng.normal(0, SSM_EFFECT_SD, len(ssms))
    service_idx = rng.choice(len(ssms), n, p=size / size.sum())
    month = np.array(months_of(start, end), dtype=object)[rng.integers(0, 4, n)]
    demand = draw_days(rng, month.astype(str))

    pub_codes = list(PUBLICS)
    base = np.array([PUBLICS[p][0] for p in pub_codes])
    public = np.empty(n, dtype=object)
    for team in (False, True):
        sel = np.flatnonzero(child_team[service_idx] == team)
        w = base * (np.array([2.0, 1.6, 0.7, 0.8]) if team else np.array([0.6, 0.8, 1.2, 1.2]))
        public[sel] = np.array(pub_codes, dtype=object)[rng.choice(4, len(sel), p=w / w.sum())]
    age = np.empty(n, dtype=np.int64)
    for p in pub_codes:
        sel = np.flatnonzero(public == p)
        _, lo, hi = PUBLICS[p]
        if p == "adulte":
            age[sel] = np.clip(np.round(rng.gamma(4.0, 9.0, len(sel)) + 14), lo, hi)
        else:
            age[sel] = rng.integers(lo, hi + 1, len(sel))
    gender = np.array(["F", "H", "X", None], dtype=object)[rng.choice(4, n, p=[0.6, 0.38, 0.01, 0.01])]

    year = int(start[:4])
    weights = _commune_weights(year, ref_dir)
    residence = np.array(list(CENSUS_RESIDENCE), dtype=object)[
        rng.choice(3, n, p=list(CENSUS_RESIDENCE.values()))]
    commune = np.where(residence == "bruxelles",
                       rng.choice(weights.index.to_numpy(), n, p=weights.to_numpy()).astype(object), None)
    income = reference.income(year, ref_dir)["mean_income_per_return_eur"]

    followups = reference.codes("followups", ref_dir)
    followup = np.empty(n, dtype=object)
    for p in pub_codes:
        sel = np.flatnonzero(public == p)
        w = np.array(FOLLOWUP_WEIGHTS[p])
        followup[sel] = np.array(followups, dtype=object)[rng.choice(len(followups), len(sel), p=w / w.sum())]

    # requester: an exact share of first-line demands among known requesters
    known = ~(rng.random(n) < plan["requester_missing"])
    k_first = int(round(plan["first_line"] * known.sum()))
    fl_weight = np.where(public == "adulte", 1.3, np.where(public == "personne_agee", 0.9, 0.7))
    first_line = np.zeros(n, dtype=bool)
    known_idx = np.flatnonzero(known)
    first_line[known_idx[weighted_pick(rng, fl_weight[known_idx], k_first)]] = True
    requester = np.where(known, np.where(first_line, "personne", "professionnel"), None).astype(object)
    proche_p = np.where(np.isin(public, ["enfant", "adolescent"]), 0.85, 0.12)
    requester[first_line & (rng.random(n) < proche_p)] = "proche"
    sectors = list(CENSUS_SECTORS)
    sw = np.array(list(CENSUS_SECTORS.values()))
    sector = np.empty(n, dtype=object)
    pro = requester == "professionnel"
    sector[pro] = np.array(sectors, dtype=object)[rng.choice(len(sectors), int(pro.sum()), p=sw / sw.sum())]
    young_pro = pro & np.isin(public, ["enfant", "adolescent"]) & (rng.random(n) < 0.35)
    sector[young_pro] = np.array(["enseignement", "aide_jeunesse"], dtype=object)[
        rng.integers(0, 2, int(young_pro.sum()))]

    # outcomes with exact counts
    inc = np.array([income.get(c, np.nan) if c is not None else np.nan for c in commune], dtype=float)
    inc = np.where(np.isnan(inc), float(income.median()), inc)
    logit = (np.array([LOGIT_PUBLIC[p] for p in public]) + np.array([LOGIT_FOLLOWUP[f] for f in followup])
             + LOGIT_FIRST_LINE * first_line + LOGIT_INCOME_PER_10K * (inc - income.mean()) / 10_000
             + effect[service_idx])
    k_con = int(round(plan["constrained"] * n))
    k_reo = int(round(plan["reoriented"] * n))
    k_acc = int(round(plan["accepted"] * n))
    k_wait = int(round(plan["waiting"] * n))
    constrained = conditional_bernoulli(rng, logit, k_con)
    outcome = np.full(n, "sans_suite", dtype=object)
    outcome[constrained] = "reorientation"
    rest = np.flatnonzero(~constrained)
    w_other = 1 + 1.5 * np.isin(followup[rest], ["social", "autre"])
    other = rest[weighted_pick(rng, w_other, k_reo - k_con)]
    outcome[other] = "reorientation"
    rest = np.flatnonzero(outcome == "sans_suite")
    w_acc = (1.3 * (public[rest] == "adulte") + 0.8 * (public[rest] != "adulte")) * \
        np.where(np.isin(followup[rest], ["psychologique", "social"]), 1.2, 0.9) * np.exp(-0.5 * effect[service_idx[rest]])
    outcome[rest[weighted_pick(rng, w_acc, k_acc)]] = "suivi_propose"
    rest = np.flatnonzero(outcome == "sans_suite")
    w_wait = np.where(np.isin(public[rest], ["enfant", "adolescent"]), 1.5, 1.0) * \
        np.where(np.isin(followup[rest], ["logopedique", "psychomoteur"]), 2.0, 1.0)
    outcome[rest[weighted_pick(rng, w_wait, k_wait)]] = "liste_attente"

    reason = np.empty(n, dtype=object)
    reason[constrained] = "saturation"
    reason[other] = np.array(["hors_mission", "autre", None], dtype=object)[
        rng.choice(3, len(other), p=[0.65, 0.28, 0.07])]
    dest = np.empty(n, dtype=object)
    con_idx = np.flatnonzero(constrained)
    unknown = rng.random(len(con_idx)) < plan["dest_unknown"]
    known_dest = con_idx[~unknown]
    yes = np.zeros(len(known_dest), dtype=bool)
    yes[rng.permutation(len(known_dest))[: int(round(plan["full_yes_of_known"] * len(known_dest)))]] = True
    dest[known_dest] = np.where(yes, "oui", "non")
    dest[con_idx[unknown]] = np.array(["inconnu", None], dtype=object)[rng.integers(0, 2, int(unknown.sum()))]

    # first appointment: log-normal waits, censored at the end of the wave
    factor = np.where(np.isin(public, ["enfant", "adolescent"]), WAIT_FACTOR_YOUNG, 1.0) * \
        np.where(np.isin(followup, ["psychiatrique", "pedopsychiatrique"]), WAIT_FACTOR_PSY, 1.0) * \
        (WAIT_FACTOR_WAVE2 if wave != next(iter(WAVE_PLAN)) else 1.0)
    median = np.where(outcome == "suivi_propose", WAIT_MEDIAN_DAYS["accepted"], WAIT_MEDIAN_DAYS["waiting"])
    wait = np.maximum(1, np.round(median * factor * rng.lognormal(0, 0.6, n))).astype("timedelta64[D]")
    appt = demand + wait
    appt = np.busday_offset(appt, 0, roll="forward")
    has = ((outcome == "suivi_propose") & (rng.random(n) > 0.03)) | \
        ((outcome == "liste_attente") & (rng.random(n) < WAITING_WITH_APPOINTMENT))
    has &= appt <= np.datetime64(wave_end.date(), "D")
    df = pd.DataFrame({
        "wave": wave,
        "service_code": ssms[service_idx],
        "demand_date": pd.to_datetime(demand),
        "requester": requester,
        "requester_sector": sector,
        "first_line": np.where(known, first_line, None),
        "age": age,
        "gender": gender,
        "commune_nis": commune,
        "residence": residence,
        "public": public,
        "followup_requested": followup,
        "outcome": outcome,
        "reorientation_reason": reason,
        "destination_full": dest,
        "first_appointment": pd.to_datetime(np.where(has, appt, np.datetime64("NaT"))),
    })
    return df


def build_census(rng: np.random.Generator, scale: float, ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Both census waves. The census grows more slowly than the tracking data with the scale
    (``max(1, scale / 20)``) so that scale 300 gives some 80 000 demands."""
    factor = max(1.0, scale / 20)
    frames = [_census_wave(rng, w, plan, int(round(plan["n"] * factor)), ref_dir) for w, plan in WAVE_PLAN.items()]
    df = pd.concat(frames, ignore_index=True)
    key = [c for c in truth_columns("census")]
    for _ in range(10):
        _dedupe(rng, df, key, "demand_date", strict=scale == 1)
        # a redrawn demand date may fall after the appointment: the appointment is then unknown
        late = (df["first_appointment"].notna() & (df["first_appointment"] < df["demand_date"])).to_numpy()
        if not late.any():
            break
        df.loc[late, "first_appointment"] = pd.NaT
    return _typed(df.sort_values(["wave", "service_code", "demand_date"], kind="mergesort"), "census")


def build_truth(scale: float = 1.0, seed: int = 2022, ref_dir: Path = REFERENCE_DIR) -> Truth:
    """Draw the clean truth of the example (calibrated at ``scale == 1``)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    check_plan(ref_dir)
    root = np.random.default_rng(seed)
    rngs = root.spawn(4)
    activities = build_activities(rngs[0], scale, ref_dir)
    users = build_users(rngs[1], scale, ref_dir)
    pros = build_pros(rngs[2], scale, ref_dir)
    census = build_census(rngs[3], scale, ref_dir)
    return Truth(users, pros, activities, census, scale,
                 meta={"seed": seed, "work_time_pct": work_time_share(activities)})


def _date(value) -> dt.date:
    return pd.Timestamp(value).date()
