"""Activities for readers: French tables, figures and captions from exact results."""

from __future__ import annotations

import pandas as pd

from analysis.analyses import activities as A
from analysis.publish import activities as P


def _act(rows):
    cols = ["service_code", "month", "activity_type", "axis", "workers", "users_present", "pros_present",
            "duration_min"]
    df = pd.DataFrame(rows, columns=cols)
    return df.astype({"workers": "Int64", "users_present": "Int64", "pros_present": "Int64",
                      "duration_min": "Float64", "service_code": "string", "month": "string",
                      "activity_type": "string", "axis": "string"})


SMALL = _act([
    ("CGE", "2021-09", "communautaire_collectif", "axis1", 2, 10, None, 120),
    ("CGE", "2021-09", "communautaire_collectif", "axis1", 1, 0, None, 60),
    ("REZ", "2021-10", "communautaire_collectif", "axis1", 1, 20, 3, 60),
    ("REZ", "2021-10", "temps_reseau", "axis3", 2, None, 8, 90),
    ("REZ", "2021-10", "recherche", "axis3", 1, None, None, 60),
])
SUBMISSIONS = pd.DataFrame({"service_code": pd.array(["CGE", "REZ"], dtype="string"),
                            "month": pd.array(["2021-09", "2021-10"], dtype="string"),
                            "returned_activities": pd.array([True, True], dtype="boolean")})


def _results():
    return A.analyse_activities(SMALL, SUBMISSIONS, "2021-09", "2021-10")


def test_display_tables_are_french_and_formatted():
    res = _results()
    types = P.display_types(res).set_index("Type d'activité")
    row = types.iloc[list(res.by_type["code"]).index("communautaire_collectif")]
    assert row["Activités"] == "3" and row["Participants par activité : moyenne (min. à max.)"] == "10,0 (<\u00a05\u00a0à 20)"
    assert row["Part du temps de travail"] == "60,0\u00a0%"
    axes = P.display_axes(res)
    assert axes.iloc[-1]["Axe"] == "Total" and axes.iloc[-1]["Activités"] == "5"
    part = P.display_participation(res)
    assert part["Mois"].tolist()[0].lower().startswith("septembre 2021")


def test_save_outputs_writes_figures_tables_and_exact_values(tmp_path):
    written = P.save_outputs(_results(), tmp_path, is_example=True)
    assert written == {"figures": ["activites-types", "activites-mois", "activites-participation"],
                       "tables": ["activites-types", "activites-axes", "activites-participation"]}
    for name in written["figures"]:
        assert (tmp_path / "figures" / f"{name}.svg").exists()
    for name in written["tables"]:
        assert (tmp_path / "tables" / f"{name}.md").exists() and (tmp_path / "exact" / f"{name}.csv").exists()
    assert "Données d'exemple synthétiques." in (tmp_path / "tables" / "activites-axes.md").read_text(encoding="utf-8")


def _period_2023(attendance):
    """A generated 2023 period: one row per activity, ``attendance`` = {type: [participants, …]}."""
    axis = {"communautaire_collectif": "axis1", "supervision": "axis2", "immersion": "axis2",
            "temps_reseau": "axis3"}
    rows = []
    for i, (code, values) in enumerate(attendance.items()):
        for j, v in enumerate(values):
            users, pros = (v, None) if axis[code] == "axis1" else (None, v)
            rows.append((["DUNE", "MOB", "SMES"][(i + j) % 3], f"2023-0{1 + j % 6}", code, axis[code], 1, users,
                         pros, 60))
    subs = pd.DataFrame({"service_code": pd.array(["DUNE", "MOB", "SMES"] * 2, dtype="string"),
                         "month": pd.array([f"2023-0{m}" for m in (1, 1, 1, 2, 2, 2)], dtype="string"),
                         "returned_activities": pd.array([True] * 6, dtype="boolean")})
    return A.analyse_activities(_act(rows), subs, "2023-01", "2023-06")


def test_attendance_under_the_threshold_is_never_printed_exactly(tmp_path):
    """Tableau 7.1 once printed « 6,5 (4 à 9) »: the 4 persons of one activity. The smallest attendance
    under 5 reads « < 5 »; a range from which it could be worked out (2 activities: 13 − 9 = 4) is not
    printed; a single activity of 3 persons shows neither its total nor its mean."""
    res = _period_2023({"communautaire_collectif": [1, 9, 6, 7, 3, 12], "immersion": [4, 9],
                        "supervision": [3], "temps_reseau": [6, 8, 14]})
    types = P.display_types(res, threshold=5).set_index("Type d'activité")
    col = "Participants par activité : moyenne (min. à max.)"
    label = dict(zip(res.by_type["code"], res.by_type["label"], strict=True))
    assert types.loc[label["communautaire_collectif"], col] == "6,3 (<\u00a05\u00a0à 12)"
    assert types.loc[label["immersion"], col] == "6,5 (n.p.)"
    assert types.loc[label["immersion"], "Participations"] == "13"
    assert types.loc[label["supervision"], col] == "<\u00a05" and types.loc[label["supervision"], "Participations"] == "<\u00a05"
    assert types.loc[label["temps_reseau"], col] == "9,3 (6\u00a0à 14)"  # no bound under 5: unchanged
    prose = P.activities_prose(res, threshold=5)
    assert prose["activities.communautaire_collectif.participants_range_fr"] == "de moins de\u00a05\u00a0à 12 par activité"
    assert prose["activities.temps_reseau.participants_range_fr"] == "de 6\u00a0à 14 par activité"
    assert "non publiée" in prose["activities.immersion.participants_range_fr"]
    withheld = P.withheld_metrics(res, threshold=5)
    assert {"activities.communautaire_collectif.min_participants", "activities.immersion.min_participants",
            "activities.immersion.max_participants", "activities.supervision.participations"} <= withheld
    assert not any(k.startswith("activities.temps_reseau.") for k in withheld)
    P.save_outputs(res, tmp_path, threshold=5)
    md = (tmp_path / "tables" / "activites-types.md").read_text(encoding="utf-8")
    assert "4\u00a0à 9" not in md and "« n.p. » : étendue non publiée" in md


def test_a_hidden_bound_is_never_recoverable_from_the_printed_row():
    """Every range the table prints leaves a hidden smallest attendance all its values, 0 to 4 (as every
    « < 5 » of the report): checked against all attendances of 2 to 4 activities of 0 to 9 persons."""
    import itertools

    for k in (2, 3, 4):
        for values in itertools.combinations_with_replacement(range(10), k):
            total, mean = sum(values), sum(values) / k
            if not total:
                continue
            printed = P.attendance_range(total, mean, min(values), max(values), 5)
            if printed is None or min(values) >= 5:
                continue
            hi = int(printed.rsplit(" ", 1)[-1])
            assert hi >= 5 and printed.startswith("<\u00a05")
            others = {v[0] for v in itertools.combinations_with_replacement(range(hi + 1), k)
                      if sum(v) == total and v[0] < 5 and max(v) == hi}
            assert others == set(range(5)), (values, printed, others)
