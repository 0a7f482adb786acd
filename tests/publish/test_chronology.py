"""The chronology: French dates, periods in order on their lanes, the figure and its alt text."""

from __future__ import annotations

import datetime as dt


def test_chronology_dates_and_order():
    from analysis.publish import chronology as C

    assert C.parse_date("2021-05") == dt.date(2021, 5, 15)
    assert C.parse_date("2021-02", end=True) == dt.date(2021, 2, 28)
    assert C.date_fr("2022-02-24") == "24 février 2022" and C.date_fr("2021-12-01") == "1er décembre 2021"
    df = C.load_chronology()
    assert list(df["start"]) == sorted(df["start"])
    assert set(df["entity"]) <= {"cocof", "cocom", "commun"}


def test_overlapping_periods_get_separate_sub_lanes():
    import pandas as pd

    from analysis.publish.chronology import span_offsets

    d = dt.date
    df = pd.DataFrame({"entity": ["commun"] * 4,
                       "start": [d(2021, 1, 1), d(2021, 2, 1), d(2021, 6, 1), d(2021, 3, 1)],
                       "end": [d(2021, 4, 1), d(2021, 5, 1), d(2021, 7, 1), None]})
    off = span_offsets(df)
    assert off[3] == 0.0  # a single date stays on the lane
    assert off[0] != off[1]  # overlapping periods side by side
    assert off[2] == off[0]  # a later period reuses the first free sub-lane


def test_chronology_figure_files_and_alt_text(tmp_path):
    from analysis.publish.chronology import make_chronology_figure

    info = make_chronology_figure(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"chronologie.svg", "chronologie.pdf", "chronologie.png",
                                                    "chronologie.json"}
    assert info["alt"].startswith("Frise chronologique de ")
    assert "COCOF" in info["alt"] and "COCOM" in info["alt"] and "communs" in info["alt"]
