"""The cleaning step end to end on hostile files, and its pieces."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import reference
from analysis.errors import InputError, NoDataInPeriod, NoUsableInput, PrrError
from analysis.ingest import clean, rawformat, schema
from analysis.ingest.readers import Sheet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    raw = mh.make_hostile(tmp_path_factory.mktemp("hostile"))
    return raw, clean.run_cleaning(raw, mh.START, mh.END)


def _rejected(result, source: str, sheet: str) -> dict[int, str]:
    rej = result.tables["rejected"]
    sel = rej[(rej["source_file"] == source) & (rej["sheet"] == sheet) & rej["row"].notna()]
    return dict(zip(sel["row"].astype(int), sel["reason"], strict=True))


# --------------------------------------------------------------------------- whole run


def test_every_table_is_there_and_valid(hostile):
    _, result = hostile
    assert set(result.tables) == set(schema.TABLES)
    for name, df in result.tables.items():
        schema.validate(df, name)


def test_file_statuses(hostile):
    _, result = hostile
    files = result.tables["files"].set_index("source_file")
    assert files["status"].to_dict() == mh.EXPECTED
    assert files.loc["norois 2021.xlsx", "service_code"] == "NOR"
    assert files.loc["meridien.ods", "service_code"] == "MER"
    assert files.loc["Mobiwest activites.xlsx", "service_code"] == "MOB"
    assert files.loc["recensement_vague1.csv", "instrument"] == "census"
    assert "lu comme CSV" in files.loc["Mobiwest activites.xlsx", "detail"]
    assert "mot de passe" in files.loc["protege.xlsx", "detail"]
    assert "lisez-moi.txt" in dict(result.ignored_files)


def test_accounting_balances_for_every_file_and_sheet(hostile):
    _, result = hostile
    acc = result.tables["accounting"]
    assert (acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    norois = acc.set_index(["source_file", "sheet"]).loc[("norois 2021.xlsx", "activités 2022")]
    assert norois["table"] == "activities"
    assert norois["raw_rows"] == len([r for r in mh.ACT_ROWS if r is not None])
    for table in clean.DATA_TABLES:
        sel = acc[acc["table"] == table]
        assert sel["clean_rows"].sum() == len(result.tables[table])


def test_activity_rows_kept_and_set_aside_with_their_reason(hostile):
    _, result = hostile
    act = result.tables["activities"]
    norois = act[act["source_file"] == "norois 2021.xlsx"]
    assert norois["row"].tolist() == mh.ACT_EXPECTED["clean"]
    assert _rejected(result, "norois 2021.xlsx", "activités 2022") == mh.ACT_EXPECTED["rejected"]
    row4 = norois.set_index("row").loc[4]
    assert (row4["activity_type"], row4["axis"], row4["place"], row4["duration_min"]) == \
        ("suivi_accompagnement", "axis1", "service", 90.0)
    assert (row4["users_present"], row4["pros_present"]) == (1, 0), "an empty count beside a filled one is 0"
    by_row = norois.set_index("row")
    assert by_row.loc[8, "activity_type"] == "permanence_elaboration"
    assert by_row.loc[8, "pros_present"] == 5
    assert by_row.loc[9, "date"] == pd.Timestamp("2021-10-01")
    assert by_row.loc[6, "date"] == pd.Timestamp("2021-10-06")


def test_details_name_the_column_and_the_raw_value(hostile):
    _, result = hostile
    rej = result.tables["rejected"].set_index(["source_file", "row"])
    detail = rej.loc[("norois 2021.xlsx", 11), "detail"]
    assert "Date" in detail and "31/02/2022" in detail
    assert "Danse du ventre" in rej.loc[("norois 2021.xlsx", 13), "detail"]
    assert "-2" in rej.loc[("norois 2021.xlsx", 14), "detail"]


def test_users_rows_keep_unknown_values_as_unknown(hostile):
    _, result = hostile
    users = result.tables["users"].set_index("row")
    assert users.index.tolist() == [2, 3, 4, 5, 6]
    assert users.loc[2, ["gender", "birth_year", "commune_nis", "basin", "income_source", "referrer"]].tolist() == \
        ["F", 1985, "21015", "Nord-Est", "cpas_ris", "sante_generale"]
    assert users.loc[3, ["gender", "age", "commune_nis", "basin"]].tolist() == ["H", 37, "21004", "Nord"]
    assert users.loc[4, ["income_source", "referrer"]].tolist() == ["inconnu", "inconnu"]
    assert pd.isna(users.loc[4, "first_line"])
    assert users.loc[5, "residence"] == "inconnu" and pd.isna(users.loc[5, "commune_nis"])
    assert users.loc[6, "residence"] == "hors_bruxelles"
    assert bool(users.loc[6, "first_line"]) is True
    assert _rejected(result, "norois 2021.xlsx", "USAGERS") == {7: "date_out_of_period"}
    notes = result.notes
    atlantis = notes[notes["value"] == "Atlantis"]
    assert len(atlantis) == 1 and atlantis["issue"].iloc[0] == "value_unmatched"


def test_pros_from_the_ods_file(hostile):
    _, result = hostile
    pros = result.tables["pros"].set_index("row")
    assert pros["requesting_service"].tolist() == ["cpas", "maison_medicale", "autre"]
    assert pros["origin_region"].tolist() == ["wallonie", "bruxelles", "flandre"]
    assert pros.loc[3, "origin_commune_nis"] == "21005"


def test_duplicate_workbook_rows_are_set_aside(hostile):
    _, result = hostile
    copy = "sous-dossier/Copie de norois 2021 (2).xlsx"
    reasons = set(_rejected(result, copy, "activités 2022").values()) | set(_rejected(result, copy, "USAGERS").values())
    assert reasons == {"duplicate_submission"}
    assert (result.tables["activities"]["source_file"] != copy).all()


def test_a_copy_is_not_counted_again_in_what_a_reader_sees(hostile, tmp_path):
    """Sixth review of 2026-12-05 (H1): the set-aside rows of a copy are its service's rows; counted among
    the rows set aside (by reason, in the quality annex) they told how many rows the service encoded, and
    a « < 5 » holding them was at least 1 for a service known to have encoded. The run's tables keep every
    row; the counts a reader sees (metrics for the prose, the annex, the notebook's account) leave the
    copy's rows out, and still balance."""
    from analysis.ingest import quality

    _, result = hostile
    copy = "sous-dossier/Copie de norois 2021 (2).xlsx"
    full = result.tables["accounting"]
    n_copy = int(full.loc[full["source_file"] == copy, "raw_rows"].sum())
    assert n_copy > 0 and (result.tables["rejected"]["source_file"] == copy).sum() == n_copy
    acc, rej = clean.counted(result.tables)
    assert copy not in set(acc["source_file"]) and copy not in set(rej["source_file"])
    assert len(rej) == len(result.tables["rejected"]) - n_copy
    m = result.metrics()
    assert m["rows"]["raw"] == int(full["raw_rows"].sum()) - n_copy == m["rows"]["clean"] + m["rows"]["rejected"]
    assert m["clean"]["copy_rows"] == n_copy and m["clean"]["raw_rows"] == int(full["raw_rows"].sum())
    plan = quality.plan_of_run(result.tables, result.notes, 5)
    quality.save_quality_tables(result.tables, result.ignored_files, tmp_path, 5, notes=result.notes,
                                decisions=result.decisions, plan=plan)
    motifs = (tmp_path / "qualite-motifs.md").read_text(encoding="utf-8")
    assert "duplicate_submission" not in motifs and "envoyé deux fois" not in motifs
    assert "reçu deux fois" in motifs  # the caption says why
    files = (tmp_path / "qualite-fichiers.md").read_text(encoding="utf-8")
    assert copy in files and "pas comptées une seconde fois" in files
    account = result.summary_fr(5, shown=plan.texts())
    assert "envoyé deux fois" not in account
    assert "envoyé deux fois" in result.summary_fr()  # the researcher's own account keeps them


def test_month_sent_twice_keeps_the_file_saved_last(hostile):
    """The « bis » file was saved earlier (workbook metadata): the main file wins October, whole."""
    _, result = hostile
    assert _rejected(result, "norois_2021-10_bis.xlsx", "Activités") == {2: "duplicate_month"}
    kept = result.tables["activities"]
    assert kept[(kept["source_file"] == "norois_2021-10_bis.xlsx")]["month"].tolist() == ["2021-12"]
    [decision] = result.decisions
    assert (decision["retained"], decision["replaced"], decision["rule"], decision["months"]) == \
        ("norois 2021.xlsx", "norois_2021-10_bis.xlsx", "metadata", ["2021-10"])


def test_identical_activity_rows_are_kept_and_listed(hostile):
    _, result = hostile
    notes = result.notes
    dups = notes[(notes["issue"] == "duplicate_possible") & (notes["source_file"] == "norois 2021.xlsx")]
    assert dict(zip(dups["row"].astype(int), dups["detail"], strict=True)).keys() == \
        mh.ACT_EXPECTED["possible_duplicates"].keys()
    assert "ligne 9" in dups["detail"].iloc[0] and "gardée" in dups["detail"].iloc[0]
    assert "duplicate_row" not in set(result.tables["rejected"]["reason"])


def test_unknown_service_sets_the_file_aside(hostile):
    _, result = hostile
    assert set(_rejected(result, "jardin.xlsx", "Activités").values()) == {"service_unknown"}
    rej = result.tables["rejected"]
    file_level = rej[(rej["table"] == "file")].set_index("source_file")["reason"]
    assert file_level["jardin.xlsx"] == "service_unknown"
    assert file_level["protege.xlsx"] == "file_encrypted"
    assert file_level["corrompu.xlsx"] == "file_corrupted"
    assert file_level["vide.xlsx"] == "file_empty"


def test_census_rows_get_their_wave_and_reasons(hostile):
    _, result = hostile
    census = result.tables["census"].set_index("row")
    assert census.index.tolist() == [3, 4, 5]
    assert set(census["wave"]) == {"2020_11"}
    assert census.loc[4, ["requester", "requester_sector", "age", "commune_nis", "outcome",
                          "reorientation_reason", "destination_full"]].tolist() == \
        ["professionnel", "sante_generale", 29, "21009", "reorientation", "saturation", "oui"]
    assert census.loc[5, ["age", "residence"]].tolist() == [9, "hors_bruxelles"]
    assert census.loc[3, "first_appointment"] == pd.Timestamp("2020-11-30")
    assert _rejected(result, "recensement_vague1.csv", "recensement_vague1") == {
        6: "date_out_of_wave", 7: "service_unknown", 8: "outcome_missing"}


def test_ignored_columns_and_missing_sheets_are_noted(hostile):
    _, result = hostile
    notes = result.notes
    ignored = notes[notes["issue"] == "column_ignored"]
    assert ignored["value"].tolist() == ["Commentaires"]
    missing = notes[(notes["issue"] == "sheet_missing") & (notes["source_file"] == "norois 2021.xlsx")]
    assert missing["sheet"].tolist() == ["Professionnels"]
    rej = result.tables["rejected"]
    assert ((rej["sheet"] == "Feuil3") & (rej["reason"] == "sheet_unrecognised")).any()


def test_submissions_cover_every_funded_service_and_month(hostile):
    _, result = hostile
    sub = result.tables["submissions"]
    funded = reference.funded_services(mh.START, mh.END)
    assert len(sub) == len(funded) * 8
    nor = sub.set_index(["service_code", "month"])
    assert bool(nor.loc[("NOR", "2021-10"), "returned_activities"])
    assert bool(nor.loc[("NOR", "2021-09"), "returned_users"])
    assert not bool(nor.loc[("NOR", "2021-09"), "returned_activities"])
    assert bool(nor.loc[("MER", "2021-11"), "returned_pros"])
    assert nor.loc[("NOR", "2021-10"), "files"] == "norois 2021.xlsx; norois_2021-10_bis.xlsx"
    assert pd.isna(nor.loc[("CGE", "2021-10"), "files"])


def test_summary_is_french_and_states_the_check(hostile):
    _, result = hostile
    text = result.summary_fr()
    assert "Fichiers lus : 10" in text
    assert "vérifié" in text
    assert "date hors période" in text
    assert "protege.xlsx" in text


def test_write_is_deterministic_and_load_restores_dtypes(hostile, tmp_path):
    _, result = hostile
    a, b = tmp_path / "a", tmp_path / "b"
    paths_a = result.write(a)
    result.write(b)
    assert {p.name for p in paths_a} >= {f"{t}.parquet" for t in schema.TABLES}
    for p in paths_a:
        assert hashlib.sha256(p.read_bytes()).digest() == hashlib.sha256((b / p.name).read_bytes()).digest()
    loaded = clean.load_clean(a)
    for name in schema.TABLES:
        schema.validate(loaded[name], name)
        pd.testing.assert_frame_equal(loaded[name], clean.sort_table(result.tables[name], name))


def test_the_run_is_reproducible(hostile):
    raw, result = hostile
    again = clean.run_cleaning(raw, mh.START, mh.END)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(again.tables[name], result.tables[name])


# --------------------------------------------------------------------------- errors


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        clean.run_cleaning(tmp_path / "nope", "2021-09", "2022-04")


def test_nothing_usable(tmp_path):
    (tmp_path / "vide.xlsx").write_bytes(b"")
    with pytest.raises(NoUsableInput) as err:
        clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    assert isinstance(err.value, PrrError)
    assert "\n" not in str(err.value) and "aucune donnée utilisable" in str(err.value)


def test_empty_folder(tmp_path):
    with pytest.raises(NoUsableInput):
        clean.run_cleaning(tmp_path, "2021-09", "2022-04")


def test_wrong_period_says_so(tmp_path):
    mh.write_norois(tmp_path / "norois.xlsx")
    with pytest.raises(NoDataInPeriod) as err:
        clean.run_cleaning(tmp_path, "2015-01", "2015-12")
    assert "2015-01" in str(err.value)


# --------------------------------------------------------------------------- pieces


def _activities_book(path: Path, rows: list[list], name: str = "Activités", ident: str | None = "Le Norois") -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if ident is not None:
        ws = wb.create_sheet("Identification")
        ws["A1"], ws["B1"] = "Service", ident
    ws = wb.create_sheet(name)
    ws.append([c.header for c in rawformat.ACTIVITIES.columns])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_month_tie_goes_to_the_file_last_in_name_order(tmp_path):
    for name, day in (("a.xlsx", "04"), ("b.xlsx", "05")):
        _activities_book(tmp_path / name, [[f"{day}/10/2021", "Formation", None, 1, 0, 5, 60]])
        mh.set_modified(tmp_path / name, "2022-01-01T00:00:00Z")
    result = clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    assert result.tables["activities"]["source_file"].tolist() == ["b.xlsx"]
    assert _rejected(result, "a.xlsx", "Activités") == {2: "duplicate_month"}


def test_same_content_in_another_format_is_a_duplicate(tmp_path):
    rows = [["04/10/2021", "Formation", None, 1, 0, 5, 60]]
    _activities_book(tmp_path / "a.xlsx", rows)
    with pd.ExcelWriter(tmp_path / "b.ods", engine="odf") as writer:
        pd.DataFrame({"Service": ["Le Norois"]}).to_excel(writer, sheet_name="Identification", index=False)
        pd.DataFrame(rows, columns=[c.header for c in rawformat.ACTIVITIES.columns]).to_excel(
            writer, sheet_name="Activités", index=False)
    result = clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    files = result.tables["files"].set_index("source_file")["status"]
    assert files.to_dict() == {"a.xlsx": "used", "b.ods": "duplicate"}


def test_numbers_only_row_below_the_data_is_a_total(tmp_path):
    rows = [["04/10/2021", "Formation", None, 1, 0, 5, 60], ["05/10/2021", "Supervision", None, 1, 0, 3, 60],
            [None, None, None, 2, 0, 8, None]]
    _activities_book(tmp_path / "a.xlsx", rows)
    result = clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    assert _rejected(result, "a.xlsx", "Activités") == {4: "total_row"}


def test_service_from_the_file_name_when_identification_is_empty(tmp_path):
    _activities_book(tmp_path / "Copie de outil suivi PRR - Mobiwest (2).xlsx",
                     [["04/10/2021", "Formation", None, 1, 0, 5, 60]], ident=None)
    result = clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    assert result.tables["activities"]["service_code"].tolist() == ["MOB"]
    assert (result.notes["issue"] == "service_from_filename").any()


def test_census_is_recognised_by_headers_whatever_the_names(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Activités"
    ws.append([c.header.upper() for c in rawformat.CENSUS.columns])
    ws.append(["SSM05", "20/12/2022", "Proche", "12", "F", "Jette", "Enfant", "Psychologique", "Sans suite",
               None, None, None])
    wb.save(tmp_path / "suivi_activites.xlsx")
    result = clean.run_cleaning(tmp_path, "2021-09", "2022-04")
    assert result.tables["files"]["instrument"].tolist() == ["census"]
    census = result.tables["census"]
    assert census[["wave", "service_code", "outcome", "public"]].iloc[0].tolist() == \
        ["2022_11", "SSM05", "sans_suite", "enfant"]


@pytest.mark.parametrize(("name", "kind"), [
    ("Activités", "activities"), ("Activites", "activities"), ("activités 2022", "activities"),
    ("ACTIVITES", "activities"), ("Usagers", "users"), ("usagers 2021", "users"), ("Professionnels", "pros"),
    ("Identification", "identification"), ("Feuil1", None), ("Listes", "lists"),
])
def test_sheet_names(name, kind):
    assert clean.sheet_kind(name) == kind


def test_header_below_a_title_with_variants_and_comments():
    rows = [
        (1, ("Outil de suivi – activités 2022", None, None, None, None)),
        (2, (None, None, None, None, None)),
        (3, ("TYPE D'ACTIVITE", "date", "Duree\n(minutes)", "Nombre d'usagers présents", "Remarques")),
        (4, ("Formation", "04/10/2021", 60, 3, "ok")),
    ]
    header = clean.find_header(Sheet("x", rows), rawformat.ACTIVITIES, min_matches=2)
    assert header is not None and header.row == 3
    assert header.columns == {"activity_type": 0, "date": 1, "duration": 2, "users_present": 3}
    assert header.ignored == ((4, "Remarques"),)


def test_census_service_column_is_not_confused_with_the_reorientation_one():
    cells = tuple(c.header for c in rawformat.CENSUS.columns)
    mapping, _ = clean.match_header_row(tuple(reversed(cells)), rawformat.CENSUS)
    n = len(cells)
    assert mapping == {c.field: n - 1 - i for i, c in enumerate(rawformat.CENSUS.columns)}


@pytest.mark.parametrize(("counts", "expected"), [
    ((1, None, 4), (1, 0, 4)), ((1, 3, None), (1, 3, 0)), ((None, None, None), (None, None, None)),
    ((None, 2, 0), (None, 2, 0)),
])
def test_activity_count_empty_rule(counts, expected):
    assert clean.activity_counts(*counts) == expected


def test_census_wave_by_month():
    assert clean.census_wave("2020-11") == "2020_11"
    assert clean.census_wave("2021-02") == "2020_11"
    assert clean.census_wave("2021-06") is None
    assert clean.census_wave("2023-02") == "2022_11"


def test_a_comment_starting_with_total_does_not_make_a_total_row():
    assert not clean.is_total_row(("04/10/2021", "Formation", "total 3 séances"), "04/10/2021", False)
    assert clean.is_total_row(("TOTAL", None, 12), "TOTAL", False)
    assert clean.is_total_row((None, "Sous-total octobre", 12), None, False)
    assert clean.is_total_row((None, None, 12, 30), None, True)
    assert not clean.is_total_row((None, None, 12, 30), None, False)
