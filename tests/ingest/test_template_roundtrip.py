"""Property: the blank template, filled with any small number of rows (0 to 10 per sheet), cleans back
to exactly those rows — the values chosen from its own drop-down lists, typed dates, years, counts and
durations as a user writes them."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import reference
from analysis.errors import NoUsableInput
from analysis.ingest import normalise as nz
from analysis.ingest.clean import run_cleaning
from analysis.ingest.template import dropdown_values, write_template

START, END = "2023-01", "2023-06"
VALUES = dropdown_values()
N_BRUSSELS = len(reference.communes())  # the commune lists start with the 19 communes

dates = st.dates(dt.date(2023, 1, 1), dt.date(2023, 6, 30))


def _pick(key):
    return st.integers(0, len(VALUES[key]) - 1)


user_rows = st.lists(st.tuples(dates, _pick(("Usagers", "gender")), st.integers(1930, 2008),
                               st.integers(0, N_BRUSSELS - 1), _pick(("Usagers", "income_source")),
                               _pick(("Usagers", "referrer"))), max_size=10)
pro_rows = st.lists(st.tuples(dates, _pick(("Professionnels", "requesting_service")),
                              st.integers(0, N_BRUSSELS - 1)), max_size=10)
activity_rows = st.lists(st.tuples(dates, _pick(("Activités", "activity_type")), _pick(("Activités", "place")),
                                   st.integers(1, 6), st.integers(0, 25), st.integers(0, 25),
                                   st.integers(1, 32).map(lambda q: 15 * q), st.booleans()), max_size=10)


def _duration(minutes: int, as_hours: bool) -> str:
    if as_hours and minutes >= 60:
        h, m = divmod(minutes, 60)
        return f"{h}h{m:02d}" if m else f"{h}h"
    return f"{minutes} min"


def _fill(ws, rows: list[list]) -> None:
    for i, values in enumerate(rows, start=2):
        for j, v in enumerate(values, start=1):
            ws.cell(i, j, v)


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "outil.xlsx")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=user_rows, pros=pro_rows, acts=activity_rows)
def test_filled_template_round_trips(blank, users, pros, acts):
    with tempfile.TemporaryDirectory() as tmp:
        wb = openpyxl.load_workbook(blank)
        wb["Identification"]["B1"] = "SSM Le Norois"
        u_vals = [[d, VALUES[("Usagers", "gender")][g], y, VALUES[("Usagers", "commune")][c],
                   VALUES[("Usagers", "income_source")][i], VALUES[("Usagers", "referrer")][r]]
                  for d, g, y, c, i, r in users]
        p_vals = [[d, VALUES[("Professionnels", "requesting_service")][s], VALUES[("Professionnels", "origin")][o]]
                  for d, s, o in pros]
        a_vals = [[d, VALUES[("Activités", "activity_type")][t], VALUES[("Activités", "place")][p], w, up, pp,
                   _duration(m, h)] for d, t, p, w, up, pp, m, h in acts]
        _fill(wb["Usagers"], u_vals)
        _fill(wb["Professionnels"], p_vals)
        _fill(wb["Activités"], a_vals)
        wb.save(Path(tmp) / "outil.xlsx")
        if not (users or pros or acts):
            with pytest.raises(NoUsableInput):
                run_cleaning(Path(tmp), START, END)
            return
        result = run_cleaning(Path(tmp), START, END)

    t = result.tables
    rej = t["rejected"]
    assert rej.empty, rej[["sheet", "row", "reason", "detail"]].to_string()

    codes = {dom: reference.codes(dom) for dom in ("genders", "income_sources", "referrers",
                                                   "requesting_services", "activity_types", "places")}
    got = t["users"].sort_values("row")
    assert len(got) == len(users)
    for row, (d, g, y, c, i, r) in zip(got.itertuples(), users, strict=True):
        assert (row.first_contact.date(), row.gender, row.birth_year, row.income_source, row.referrer) == \
            (d, codes["genders"][g], y, codes["income_sources"][i], codes["referrers"][r])
        assert row.commune_nis == nz.parse_commune(VALUES[("Usagers", "commune")][c]).nis
        assert row.service_code == "NOR"
    got = t["pros"].sort_values("row")
    assert len(got) == len(pros)
    for row, (d, s, o) in zip(got.itertuples(), pros, strict=True):
        assert (row.first_contact.date(), row.requesting_service) == (d, codes["requesting_services"][s])
        assert row.origin_commune_nis == nz.parse_commune(VALUES[("Professionnels", "origin")][o]).nis
    got = t["activities"].sort_values("row")
    assert len(got) == len(acts)
    for row, (d, ty, p, w, up, pp, m, _h) in zip(got.itertuples(), acts, strict=True):
        assert (row.date.date(), row.activity_type, row.place, row.workers, row.users_present,
                row.pros_present, row.duration_min) == (d, codes["activity_types"][ty], codes["places"][p],
                                                         w, up, pp, float(m))
    assert [r for r in result.tables["accounting"]["rejected_rows"] if r] == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=st.lists(st.tuples(dates, _pick(("Usagers", "gender")), st.integers(1930, 2008),
                                st.integers(0, N_BRUSSELS - 1), _pick(("Usagers", "income_source")),
                                st.sampled_from([0, 1, 2, 3])), min_size=1, max_size=12),
       pros=st.integers(0, 3))
def test_small_filled_template_goes_through_referrals_analysis_and_publication(blank, users, pros):
    """A template filled with a handful of users (often one referrer only: 0 % or 100 % shares) is
    analysed and published — tables, figures, sentences — without error (Wilson bounds, error bars)."""
    from analysis.analyses import referrals
    from analysis.publish import referrals as publish
    from analysis.publish.figures import set_theme

    set_theme()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        wb = openpyxl.load_workbook(blank)
        wb["Identification"]["B1"] = "SSM Le Norois"
        _fill(wb["Usagers"], [[d, VALUES[("Usagers", "gender")][g], y, VALUES[("Usagers", "commune")][c],
                               VALUES[("Usagers", "income_source")][i], VALUES[("Usagers", "referrer")][r]]
                              for d, g, y, c, i, r in users])
        _fill(wb["Professionnels"], [[dt.date(2023, 2, 1), VALUES[("Professionnels", "requesting_service")][0],
                                      VALUES[("Professionnels", "origin")][0]]] * pros)
        wb.save(raw / "outil.xlsx")
        t = run_cleaning(raw, START, END).tables
        res = referrals.analyse_referrals(t["users"], t["pros"], t["census"], START, END)
        metrics = referrals.referral_metrics(res) | publish.referral_prose(res)
        written = publish.save_outputs(res, Path(tmp) / "out", 5, False)
    assert metrics["users.n"] == len(users)
    assert written
