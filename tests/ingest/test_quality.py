"""The data quality tables: every set-aside file and reason listed, person counts controlled."""

from __future__ import annotations

import pandas as pd

from analysis.ingest import quality
from analysis.publish.fmt import NBSP

ACCOUNTING = pd.DataFrame({
    "source_file": ["a.xlsx", "a.xlsx", "b.xlsx"], "sheet": ["Activités", "Usagers", "Activités"],
    "table": ["activities", "users", "activities"],
    "raw_rows": [10, 30, 5], "clean_rows": [8, 28, 5], "rejected_rows": [2, 2, 0],
})
REJECTED = pd.DataFrame({
    "table": ["activities", "activities", "users", "users", "file"],
    "source_file": ["a.xlsx", "a.xlsx", "a.xlsx", "a.xlsx", "c.xlsx"],
    "sheet": ["Activités", "Activités", "Usagers", "Usagers", ""],
    "row": [4, 5, 7, 9, None],
    "reason": ["total_row", "date_invalid", "date_invalid", "duplicate_row", "file_encrypted"],
    "detail": ["", "", "", "", ""], "service_code": ["A", "A", "A", "A", None],
})
FILES = pd.DataFrame({
    "source_file": ["a.xlsx", "b.xlsx", "c.xlsx"], "sha256": ["1", "2", "3"],
    "instrument": ["tracking", "tracking", "inconnu"], "service_code": ["A", "A", None],
    "status": ["used", "duplicate", "unreadable"],
    "detail": [None, "copie de « a.xlsx » (même contenu)", "classeur protégé par un mot de passe"],
})


def test_rows_add_up_and_person_tables_are_controlled():
    t = quality.rows_table(ACCOUNTING, threshold=5).set_index("Table")
    assert t.loc["activités"].tolist() == ["15", "13", "2", "oui"]  # activities are not persons
    users = t.loc["usagers"]
    assert users["Retenues"] == "28" and users["Lues = retenues + écartées"] == "oui"  # printed in the chapters
    assert users["Mises à l'écart"] == f"<{NBSP}5"
    assert users["Lignes lues"] == "n.p."  # else 30 - 28 gives the hidden 2 back


def test_reasons_in_french_with_small_person_counts_hidden():
    t = quality.reasons_table(REJECTED, threshold=5)
    assert list(t["Table"]) == ["activités", "activités", "usagers", "professionnels", "recensement",
                                "fichiers et feuilles"]
    assert "ligne de total" in set(t["Motif"]) and "fichier protégé par mot de passe" in set(t["Motif"])
    assert t[t["Table"] == "activités"]["Lignes"].tolist() == ["1", "1"]
    # person tables: reasons of fewer than 5 rows grouped, the group printed even when it is zero
    assert t[t["Table"] == "usagers"]["Lignes"].tolist() == [f"<{NBSP}5"]
    assert t[t["Table"] == "usagers"]["Motif"].str.startswith("autres motifs").all()


def test_every_unused_and_ignored_file_is_listed_with_its_reason():
    t = quality.files_table(FILES, [("notes.txt", "extension .txt non prise en charge")])
    assert t["Fichier"].tolist() == ["`b.xlsx`", "`c.xlsx`", "`notes.txt`"]
    assert t["Statut"].tolist() == ["doublon", "illisible", "ignoré (pas un classeur)"]
    assert t["Motif"].str.len().min() > 0


def test_returns_grid_and_files_written(tmp_path):
    subs = pd.DataFrame({"service_code": ["DUNE", "DUNE", "MOB", "MOB"], "month": ["2021-09", "2021-10"] * 2,
                         "returned_activities": [True, False, True, True],
                         "returned_users": [False] * 4, "returned_pros": [False] * 4, "files": [None] * 4})
    grid = quality.returns_table(subs)
    assert list(grid.columns) == ["Service", "sept. 2021", "oct. 2021", "Mois rendus"]
    assert grid.iloc[0].tolist() == ["Dune ASBL", "✓", "–", "1/2"]
    tables = {"accounting": ACCOUNTING, "rejected": REJECTED, "files": FILES, "submissions": subs}
    names = quality.save_quality_tables(tables, [], tmp_path, threshold=5, is_example=True)
    for name in names:
        text = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
        assert f"{{#tbl-{name}}}" in text and "synthétiques" in text
        assert (tmp_path / f"{name}.csv").exists()
