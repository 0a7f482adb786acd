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
    assert row["Activités"] == "3" and row["Participants par activité : moyenne (min. à max.)"] == "10,0 (0\u00a0à 20)"
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
