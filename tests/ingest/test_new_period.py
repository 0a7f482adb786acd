"""A new period on real returns: identical rows kept, resubmissions resolved whole, the services
registry as an input, files that cannot be read safely, ``prr check``. All on real files written
into temporary folders."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import reference
from analysis.errors import InputError
from analysis.ingest import check, clean, inputs, quality, rawformat, resubmissions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402

ACT_HEADER = [c.header for c in rawformat.ACTIVITIES.columns]
USERS_HEADER = [c.header for c in rawformat.USERS.columns]
VISIT = ["04/10/2021", "Suivi / accompagnement", "À l'extérieur", 1, 1, 0, 60]


def book(path: Path, service: str = "Le Norois", activities: list | None = None, users: list | None = None,
         modified: str | None = "2022-01-01T00:00:00Z") -> Path:
    """A tracking workbook with an Identification sheet and the given rows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("Identification")
    ws.append(["Service", service])
    if activities is not None:
        ws = wb.create_sheet("Activités")
        ws.append(ACT_HEADER)
        for row in activities:
            ws.append(row)
    if users is not None:
        ws = wb.create_sheet("Usagers")
        ws.append(USERS_HEADER)
        for row in users:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return mh.set_modified(path, modified)


def reasons(result, source: str) -> dict[int, str]:
    rej = result.tables["rejected"]
    sel = rej[(rej["source_file"] == source) & rej["row"].notna()]
    return dict(zip(sel["row"].astype(int), sel["reason"], strict=True))


def balanced(result) -> bool:
    acc = result.tables["accounting"]
    return bool((acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all())


# --------------------------------------------------------------------------- identical rows


def test_identical_home_visits_are_kept_and_listed(tmp_path):
    """A mobile team's three identical visits of one day are three activities."""
    book(tmp_path / "raw" / "mobile.xlsx", activities=[VISIT, VISIT, VISIT, ["05/10/2021", *VISIT[1:]]],
         users=[["04/10/2021", "F", 1980, "Ixelles", "CPAS", "CPAS"]] * 2)
    result = clean.run_cleaning(tmp_path / "raw", "2021-09", "2022-04")
    assert len(result.tables["activities"]) == 4 and len(result.tables["users"]) == 2
    assert reasons(result, "mobile.xlsx") == {}
    notes = result.notes[result.notes["issue"] == "duplicate_possible"]
    assert sorted(zip(notes["sheet"], notes["row"].astype(int), strict=True)) == \
        [("Activités", 3), ("Activités", 4), ("Usagers", 3)]
    table = quality.duplicates_table(result.notes, 5, {("mobile.xlsx", "Activités"): "activities",
                                                        ("mobile.xlsx", "Usagers"): "users"})
    # users' sheet (1 identical row) grouped, unnamed; professionals and census: zero, also « < 5 »
    assert table["Lignes identiques gardées"].tolist() == ["2"] + ["< 5".replace(" ", "\u00a0")] * 3
    assert table["Fichier"].tolist()[0] == "`mobile.xlsx`" and table["Table"].tolist()[1] == "usagers"
    assert "doublons possibles" in result.summary_fr()
    assert balanced(result)


def test_same_workbook_sent_twice_is_still_set_aside(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "a.xlsx", activities=[VISIT])
    (raw / "a (1).xlsx").write_bytes((raw / "a.xlsx").read_bytes())
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    assert set(reasons(result, "a.xlsx").values()) == {"duplicate_submission"}
    assert result.tables["activities"]["source_file"].tolist() == ["a (1).xlsx"]


# --------------------------------------------------------------------------- resubmissions


def _two_versions(raw: Path, old_modified: str, new_modified: str, old="Norois v2.xlsx",
                  new="Norois v2 (corrigé).xlsx") -> None:
    # the old file: September to November; the new one re-sends October and November with other rows
    book(raw / old, activities=[["10/09/2021", *VISIT[1:]], ["11/10/2021", *VISIT[1:]],
                                ["12/10/2021", *VISIT[1:]], ["10/11/2021", *VISIT[1:]]], modified=old_modified)
    book(raw / new, activities=[["13/10/2021", *VISIT[1:]], ["14/11/2021", *VISIT[1:]]], modified=new_modified)


def test_the_later_saved_version_wins_the_shared_months_as_a_whole(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    kept = result.tables["activities"]
    # October: the old file had more rows; still the new file wins, for October and November alike
    assert sorted(kept["month"]) == ["2021-09", "2021-10", "2021-11"]
    assert set(kept.loc[kept["month"] != "2021-09", "source_file"]) == {"Norois v2 (corrigé).xlsx"}
    assert reasons(result, "Norois v2.xlsx") == {3: "duplicate_month", 4: "duplicate_month", 5: "duplicate_month"}
    [d] = result.decisions
    assert (d["retained"], d["replaced"], d["rule"], d["months"], d["rows_set_aside"]) == \
        ("Norois v2 (corrigé).xlsx", "Norois v2.xlsx", "metadata", ["2021-10", "2021-11"], 3)
    assert balanced(result)


def test_the_researchers_file_overrides_dates_and_names(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    (raw / "remplacements.csv").write_text(
        "fichier_retenu;fichier_remplacé;motif\nNorois v2.xlsx;Norois v2 (corrigé).xlsx;le corrigé est incomplet\n",
        encoding="utf-8")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    assert set(result.tables["activities"]["source_file"]) == {"Norois v2.xlsx"}
    [d] = result.decisions
    assert d["rule"] == "researcher" and "incomplet" in d["detail"]
    assert ("remplacements.csv", "fichier de remplacements (choix entre deux envois d'un service)") in \
        result.settings_files
    # the settings file is not read as a data file
    assert "remplacements.csv" not in set(result.tables["files"]["source_file"])


def test_the_researchers_file_may_be_yaml(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    (raw / "remplacements.yaml").write_text(
        "- fichier_retenu: Norois v2.xlsx\n  fichier_remplacé: Norois v2 (corrigé).xlsx\n  motif: vu au téléphone\n",
        encoding="utf-8")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    assert result.decisions[0]["rule"] == "researcher"


def test_a_replacement_naming_an_unknown_file_is_a_warning(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    (raw / "remplacements.csv").write_text("fichier_retenu,fichier_remplacé\nabsent.xlsx,Norois v2.xlsx\n",
                                           encoding="utf-8")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    assert result.decisions[0]["rule"] == "metadata"
    assert any("absent.xlsx" in w and "introuvable" in w for w in result.warnings)


def test_a_malformed_replacements_file_is_a_one_line_error(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    (raw / "remplacements.csv").write_text("fichier_retenu;fichier_remplacé\nNorois v2.xlsx;\n", encoding="utf-8")
    with pytest.raises(InputError, match="ligne 2"):
        clean.run_cleaning(raw, "2021-09", "2022-04")


def test_name_hints_decide_when_the_dates_are_equal(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-01-01T10:00:00Z")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    [d] = result.decisions
    assert (d["retained"], d["rule"]) == ("Norois v2 (corrigé).xlsx", "name")
    assert "corrigé" in d["detail"]


def test_without_any_hint_the_decision_is_flagged_to_confirm(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-01-01T10:00:00Z", old="norois A.xlsx", new="norois B.xlsx")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    [d] = result.decisions
    assert (d["retained"], d["rule"]) == ("norois A.xlsx", "default")  # 3 rows against 2 in the shared months
    assert any("à départager" in w and "remplacements.csv" in w for w in result.warnings)


@pytest.mark.parametrize(("a", "b", "later"), [
    ("suivi v2.xlsx", "suivi v3.xlsx", "suivi v3.xlsx"),
    ("suivi.xlsx", "suivi FINAL.xlsx", "suivi FINAL.xlsx"),
    ("suivi final.xlsx", "suivi final corrigé.xlsx", "suivi final corrigé.xlsx"),
    ("suivi.xlsx", "suivi (1).xlsx", "suivi (1).xlsx"),
    ("outil.xlsx", "Copie de outil.xlsx", "Copie de outil.xlsx"),
    ("suivi définitif.xlsx", "suivi v4.xlsx", "suivi définitif.xlsx"),
])
def test_name_hints_order(a, b, later):
    ra, rb = resubmissions.name_hints(a)[0], resubmissions.name_hints(b)[0]
    assert (a if ra > rb else b) == later


def test_workbook_dates_are_read_from_xlsx_and_ods(tmp_path):
    x = book(tmp_path / "a.xlsx", activities=[VISIT], modified="2023-03-04T05:06:07Z")
    assert str(resubmissions.workbook_modified(x)) == "2023-03-04 05:06:07"
    ods = tmp_path / "b.ods"
    with pd.ExcelWriter(ods, engine="odf") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, index=False)
    with zipfile.ZipFile(ods) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["meta.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
                         b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                         b'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
                         b'<dc:date>2023-05-06T07:08:09</dc:date></office:meta></office:document-meta>')
    with zipfile.ZipFile(ods, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert str(resubmissions.workbook_modified(ods)) == "2023-05-06 07:08:09"
    assert resubmissions.workbook_modified(mh.set_modified(book(tmp_path / "c.xlsx", activities=[VISIT]), None)) \
        is None


def test_replacements_table_names_both_files_and_the_rule(tmp_path):
    raw = tmp_path / "raw"
    _two_versions(raw, "2022-01-01T10:00:00Z", "2022-02-01T10:00:00Z")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    table = quality.replacements_table(result.decisions)
    assert table.iloc[0]["Fichier remplacé"] == "`Norois v2.xlsx`"
    assert table.iloc[0]["Règle"].startswith("date de dernière modification")
    written = quality.save_quality_tables(result.tables, [], tmp_path / "tables", notes=result.notes,
                                          decisions=result.decisions)
    assert {"qualite-doublons", "qualite-remplacements"} <= set(written)
    assert "Norois v2.xlsx" in (tmp_path / "tables" / "qualite-remplacements.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the services registry


def test_a_2023_run_without_override_warns_that_no_service_is_expected(tmp_path):
    book(tmp_path / "raw" / "n.xlsx", activities=[["04/10/2023", *VISIT[1:]]])
    result = clean.run_cleaning(tmp_path / "raw", "2023-01", "2023-12")
    assert result.tables["submissions"].empty
    assert any("aucun service n'est attendu" in w for w in result.warnings)
    assert any("NOR" in w and "hors de sa période de financement" in w for w in result.warnings)
    assert len(result.tables["activities"]) == 1  # rows kept


def test_the_raw_folders_registry_overrides_and_extends(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[["04/10/2023", *VISIT[1:]]])
    book(raw / "neuf.xlsx", service="Nouvelle Équipe Mobile", activities=[["05/10/2023", *VISIT[1:]]])
    (raw / "services.csv").write_text(
        "code,name,aliases,funded_from,funded_to\n"
        "NOR,,,2020-11,2023-12\n"
        "NEM,Nouvelle Équipe Mobile,NEM,2023-01,2023-12\n", encoding="utf-8")
    result = clean.run_cleaning(raw, "2023-01", "2023-12")
    sub = result.tables["submissions"]
    assert set(sub["service_code"]) == {"NOR", "NEM"} and len(sub) == 24
    assert set(result.tables["activities"]["service_code"]) == {"NOR", "NEM"}
    assert sub[(sub["month"] == "2023-10")]["returned_activities"].all()
    assert not result.warnings
    files = result.tables["files"].set_index("source_file")
    assert files.loc["n.xlsx", "service_code"] == "NOR"  # empty cells of the override keep the bundled aliases
    # the override is in force for the cleaning only
    assert "NEM" not in set(reference.services()["code"])
    assert reference.services().set_index("code").loc["NOR", "name"] == "SSM Le Norois"


def test_a_malformed_registry_is_a_one_line_error(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[VISIT])
    (raw / "services.csv").write_text("code,funded_to\nNOR,fin 2023\n", encoding="utf-8")
    with pytest.raises(InputError, match="funded_to doit être un mois"):
        clean.run_cleaning(raw, "2021-09", "2022-04")


# --------------------------------------------------------------------------- files that cannot be read


def test_links_are_never_followed_out_of_the_raw_folder(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[VISIT])
    outside = book(tmp_path / "ailleurs" / "secret.xlsx", service="Mobiwest", activities=[VISIT])
    (raw / "lien.xlsx").symlink_to(outside)
    (raw / "casse.xlsx").symlink_to(tmp_path / "nulle-part.xlsx")
    (raw / "interne.xlsx").symlink_to(raw / "n.xlsx")
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    files = result.tables["files"].set_index("source_file")
    assert files.loc["lien.xlsx", "status"] == "unreadable" and "hors du dossier brut" in files.loc["lien.xlsx", "detail"]
    assert files.loc["casse.xlsx", "status"] == "unreadable" and "cassé" in files.loc["casse.xlsx", "detail"]
    # a link inside the folder is read (and is the same workbook as the file it points to)
    assert (files.loc["interne.xlsx", "status"], files.loc["n.xlsx", "status"]) == ("used", "duplicate")
    assert "MOB" not in set(result.tables["activities"]["service_code"])
    hashes = inputs.input_hashes(raw)
    assert hashes["lien.xlsx"].startswith("mis de côté") and hashes["casse.xlsx"].startswith("mis de côté")


def test_an_unreadable_file_is_set_aside_and_never_hashed(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[VISIT])
    book(raw / "ferme.xlsx", service="Mobiwest", activities=[VISIT])
    real_open = open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("ferme.xlsx"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(inputs, "open", guarded, raising=False)
    hashes = inputs.input_hashes(raw)
    assert "permission refusée" in hashes["ferme.xlsx"]
    result = clean.run_cleaning(raw, "2021-09", "2022-04")
    files = result.tables["files"].set_index("source_file")
    assert files.loc["ferme.xlsx", "status"] == "unreadable"
    assert "permission refusée" in files.loc["ferme.xlsx", "detail"]
    assert "file_unreadable" in set(result.tables["rejected"]["reason"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[VISIT])
    locked = book(raw / "ferme.xlsx", activities=[VISIT])
    locked.chmod(0)
    try:
        assert "permission refusée" in inputs.input_hashes(raw)["ferme.xlsx"]
    finally:
        locked.chmod(0o644)


def test_raw_pointing_at_a_file_says_so(tmp_path):
    f = book(tmp_path / "n.xlsx", activities=[VISIT])
    with pytest.raises(InputError, match="doit être un dossier, pas un fichier"):
        clean.run_cleaning(f, "2021-09", "2022-04")


# --------------------------------------------------------------------------- prr check


def test_check_names_the_cell_to_fix(tmp_path):
    f = book(tmp_path / "n.xlsx", activities=[VISIT, ["31/02/2022", *VISIT[1:]], [*VISIT[:4], -2, *VISIT[5:]],
                                               VISIT])
    report = check.check_files([f])
    text = report.text()
    assert not report.ok and report.set_aside == 2 and report.kept == 2
    assert f"{f}, feuille « Activités », cellule A3" in text and "date impossible" in text
    assert "cellule E4" in text  # Usagers présents is column E
    assert "doublons possibles" in text and "lignes 5" in text


def test_check_of_a_clean_file_is_ok(tmp_path):
    report = check.check_files([book(tmp_path / "n.xlsx", activities=[VISIT])])
    assert report.ok and "rien ne serait mis de côté" in report.text()


def test_check_of_a_missing_file(tmp_path):
    report = check.check_files([tmp_path / "absent.xlsx"])
    assert not report.ok and "fichier introuvable" in report.text()
