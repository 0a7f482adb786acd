"""Values of a new period's real returns: Dutch workbooks, typed values, hidden and unknown sheets,
the Identification's name and code. Every test writes small real workbooks (.xlsx, .ods) and
cleans them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from analysis.config import REFERENCE_DIR
from analysis.ingest import normalise as nz
from analysis.ingest import quality
from analysis.ingest.clean import run_cleaning
from analysis.ingest.template import service_choices, service_codes, write_template

START, END = "2021-09", "2022-04"

NL_USERS = [
    ["Datum eerste contact", "Geslacht", "Geboortejaar", "Woonplaats", "Voornaamste inkomensbron", "Verwijzer"],
    ["3 maart 2022", "M", 1980, "Elsene", "Leefloon", "Huisarts"],  # 2
    ["okt. 2021", "V", 1992, "Schaarbeek", "Werkloosheid", "Eigen initiatief"],  # 3
    [dt.date(2021, 11, 5), "X", 2001, "1030", "Ziekenfonds", "Familie"],  # 4
    ["dinsdag 5 oktober 2021", "v", "43 jaar", "Buiten Brussel", "Geen inkomen", "OCMW"],  # 5
]
NL_PROS = [
    ["Datum eerste contact", "Type aanvragende dienst", "Gemeente van de dienst"],
    ["12/10/2021", "Ziekenhuis", "Sint-Gillis"],  # 2
    ["1ste februari 2022", "OCMW", "Vlaanderen"],  # 3
]
NL_ACTIVITIES = [
    ["Datum", "Type activiteit", "Plaats", "Ingezette medewerkers", "Aanwezige gebruikers",
     "Aanwezige professionals", "Duur"],
    ["4 oktober 2021", "Begeleiding", "In de dienst", 1, 1, 0, "1u30"],  # 2: 1 uur 30
    ["mei 2022", "Vorming", "Extern", 2, 0, 12, 90],  # 3: out of period
    ["15/11/2021", "Intervisie", "Online", 1, 0, 6, "2h"],  # 4
    ["16/11/2021", "Netwerkoverleg", "Buiten", 1, None, 4, 45],  # 5
]


def _ods_bytes_to(path: Path, sheets: list[tuple[str, list[list], bool]]) -> Path:
    """Write an .ods with odfpy: ``(name, rows, hidden)`` per sheet (dates as text, numbers as floats)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    hidden_style = Style(name="ta_hidden", family="table")
    hidden_style.addElement(TableProperties(display=False))
    doc.automaticstyles.addElement(hidden_style)
    for name, rows, hidden in sheets:
        table = Table(name=name, stylename=hidden_style) if hidden else Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                if value is None:
                    tr.addElement(TableCell())
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                    tr.addElement(cell)
                else:
                    text = value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=text))
                    tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def _xlsx(path: Path, sheets: list[tuple[str, list[list], bool]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows, hidden in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


WRITERS = {"xlsx": _xlsx, "ods": _ods_bytes_to}


def _dutch_workbook(fmt: str, folder: Path) -> Path:
    ident = [["Dienst", "SSM Le Norois"], ["Dienstcode", None]]
    return WRITERS[fmt](folder / f"opvolging PRR.{fmt}", [
        ("Identificatie", ident, False), ("Gebruikers", NL_USERS, False), ("Professionals", NL_PROS, False),
        ("Activiteiten", NL_ACTIVITIES, False)])


def _by_row(result, table: str):
    return result.tables[table].set_index("row")


# --------------------------------------------------------------------------- 1. Dutch workbooks


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_dutch_workbook_is_read_sheet_by_sheet(tmp_path, fmt):
    _dutch_workbook(fmt, tmp_path)
    result = run_cleaning(tmp_path, START, END)
    files = result.tables["files"]
    assert files["status"].tolist() == ["used"] and files["service_code"].tolist() == ["NOR"]
    assert "sheet_unrecognised" not in set(result.tables["rejected"]["reason"])

    users = _by_row(result, "users")
    assert users.index.tolist() == [2, 3, 4, 5]
    assert users["gender"].tolist() == ["H", "F", "X", "F"], "M = man → H, V = vrouw → F"
    assert [str(d.date()) for d in users["first_contact"]] == ["2022-03-03", "2021-10-01", "2021-11-05", "2021-10-05"]
    assert users["commune_nis"].tolist()[:3] == ["21009", "21015", "21015"]
    assert users["residence"].tolist()[3] == "hors_bruxelles"
    assert users["income_source"].tolist() == ["cpas_ris", "chomage", "mutuelle", "sans_revenu"]
    assert users["referrer"].tolist() == ["sante_generale", "initiative_personnelle", "entourage",
                                          "aide_sociale_generale"]
    assert users.loc[5, "age"] == 43

    pros = _by_row(result, "pros")
    assert pros["requesting_service"].tolist() == ["hopital", "cpas"]
    assert pros["origin_region"].tolist() == ["bruxelles", "flandre"]

    act = _by_row(result, "activities")
    assert act.index.tolist() == [2, 4, 5]
    assert act["activity_type"].tolist() == ["suivi_accompagnement", "intervision", "temps_reseau"]
    assert act["place"].tolist() == ["service", "en_ligne", "exterieur"]
    assert act["duration_min"].tolist() == [90, 120, 45]
    assert act.loc[5, "users_present"] == 0, "empty beside a filled count is 0, as in French sheets"
    rej = result.tables["rejected"]
    assert rej.loc[rej["row"] == 3, "reason"].tolist() == ["date_out_of_period"], "« mei 2022 » is May 2022"

    notes = result.notes
    dutch = notes[notes["issue"] == "sheet_language"]
    assert set(dutch["sheet"]) == {"Gebruikers", "Professionals", "Activiteiten"}
    assert dutch["detail"].str.contains("néerlandais").all()
    acc = result.tables["accounting"]
    assert (acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    assert acc["raw_rows"].sum() == 4 + 2 + 4


def test_dutch_census_headers_and_values(tmp_path):
    rows = [["Dienst", "Datum van de aanvraag", "Aanvrager", "Leeftijd", "Geslacht", "Gemeente", "Doelgroep",
             "Gevraagde opvolging", "Uitkomst", "Reden van doorverwijzing", "Doorverwezen dienst verzadigd",
             "Datum eerste afspraak"],
            ["SSM01", "10 november 2020", "De persoon", 34, "V", "Elsene", "Volwassenen", "Psychologisch",
             "Doorverwezen", "Geen plaats", "Ja", None],
            ["SSM01", "12/11/2020", "Familie", 15, "M", "Ukkel", "Jongeren", "Psychiatrisch", "Wachtlijst",
             None, None, "3 december 2020"]]
    _xlsx(tmp_path / "telling golf 1.xlsx", [("Telling", rows, False)])
    codes = nz.vocabulary("census_requesters").keys
    assert codes[nz.fold("De persoon")] == "personne"
    result = run_cleaning(tmp_path, START, END)
    census = result.tables["census"].set_index("row")
    assert census["outcome"].tolist() == ["reorientation", "liste_attente"]
    assert census["gender"].tolist() == ["F", "H"]
    assert census["public"].tolist() == ["adulte", "adolescent"]
    assert census.loc[2, "reorientation_reason"] == "saturation" and census.loc[2, "destination_full"] == "oui"
    assert census["requester"].tolist() == ["personne", "proche"]


def test_a_clash_between_languages_is_decided_by_the_sheet_language(tmp_path):
    """No alias of the shipped tables clashes (M is H in both languages); the rule is tested on a copy."""
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, ref)
    with (ref / "aliases.csv").open("a", encoding="utf-8") as f:
        f.write("yes_no_unknown,O,inconnu,nl\n")  # a Dutch form's O (onbekend) against the French O (oui)
    nz.vocabulary.cache_clear()
    try:
        fr = nz.vocabulary("yes_no_unknown", str(ref), "fr")
        nl = nz.vocabulary("yes_no_unknown", str(ref), "nl")
        assert fr.keys["o"] == "oui" and nl.keys["o"] == "inconnu"
        assert fr.keys["ja"] == nl.keys["ja"] == "oui", "aliases that do not clash are read in both languages"
    finally:
        nz.vocabulary.cache_clear()
    for lang in ("fr", "nl"):
        assert nz.parse_gender("M", lang) == "H"
    assert nz.parse_gender("V", "fr") == "F", "V means nothing else in French"


def test_dutch_dates():
    assert nz.parse_date("3 maart 2022") == dt.date(2022, 3, 3)
    assert nz.parse_date("okt. 2021") == dt.date(2021, 10, 1)
    assert nz.parse_date("mei 2022") == dt.date(2022, 5, 1)
    assert nz.parse_date("1ste februari 2022") == dt.date(2022, 2, 1)
    assert nz.parse_date("Woensdag 3de november 2021") == dt.date(2021, 11, 3)
    with pytest.raises(nz.ValueProblem):
        nz.parse_date("mei")  # no year: not a date


# --------------------------------------------------------------------------- 2. sheets set aside


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_unrecognised_and_hidden_sheets_count_as_read_and_set_aside(tmp_path, fmt):
    ident = [["Service", "SSM Le Norois"]]
    acts = [["Date", "Type d'activité", "Lieu d'intervention", "Travailleurs mobilisés", "Usagers présents",
             "Professionnels présents", "Durée"],
            ["04/10/2021", "Formation", "Au sein du service", 1, 0, 8, 120],
            ["05/10/2021", "Supervision", "En ligne", 1, 0, 4, 90]]
    draft = [acts[0], ["04/10/2021", "Formation", "Au sein du service", 1, 0, 8, 120],
             ["05/10/2021", "Supervision", "En ligne", 1, 0, 4, 90], ["06/10/2021", "Divers", None, 1, 0, 0, 30]]
    notes = [["Remarques de l'équipe"], [None], ["réunion annulée le 12"], ["à revoir avec la coordination"]]
    hidden_lists = [["Liste perso"], ["a"], ["b"]]
    WRITERS[fmt](tmp_path / f"norois.{fmt}", [
        ("Identification", ident, False), ("Activités", acts, False), ("Activités (brouillon)", draft, True),
        ("Notes", notes, False), ("Feuil3", hidden_lists, True)])
    result = run_cleaning(tmp_path, START, END)

    assert len(result.tables["activities"]) == 2, "the hidden draft is not counted twice"
    acc = result.tables["accounting"].set_index(["sheet", "table"])
    assert acc.loc[("Activités (brouillon)", "activities"), ["raw_rows", "rejected_rows"]].tolist() == [3, 3]
    assert acc.loc[("Notes", "file"), ["raw_rows", "clean_rows", "rejected_rows"]].tolist() == [3, 0, 3]
    assert acc.loc[("Feuil3", "file"), ["raw_rows", "rejected_rows"]].tolist() == [3, 3]
    assert (acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    rej = result.tables["rejected"]
    draft_rej = rej[rej["sheet"] == "Activités (brouillon)"]
    assert draft_rej["reason"].unique().tolist() == ["sheet_hidden"] and draft_rej["row"].tolist() == [2, 3, 4]
    assert draft_rej["service_code"].unique().tolist() == ["NOR"]
    notes_rej = rej[rej["sheet"] == "Notes"]
    assert notes_rej["reason"].unique().tolist() == ["sheet_unrecognised"]
    assert notes_rej["row"].tolist() == [1, 3, 4] and notes_rej["source_file"].unique().tolist() == [f"norois.{fmt}"]
    assert rej.loc[rej["sheet"] == "Feuil3", "reason"].unique().tolist() == ["sheet_hidden"]
    assert result.tables["files"]["status"].tolist() == ["used"]

    lines = quality.rows_table(result.tables["accounting"]).set_index("Table")
    assert lines.loc["feuilles masquées ou non reconnues", "Lignes lues"] == "6"
    assert lines.loc["activités", "Lignes lues"] == "5" and lines.loc["activités", "Mises à l'écart"] == "3"
    assert (lines["Lues = retenues + écartées"] == "oui").all()
    summary = result.summary_fr()
    assert "feuilles masquées ou non reconnues : 6 lignes lues" in summary


def test_workbook_with_only_unrecognised_sheets_is_not_used(tmp_path):
    _xlsx(tmp_path / "norois.xlsx", [("Identification", [["Service", "SSM Le Norois"]], False),
                                     ("Bladzijde 1", [["iets"], ["nog iets"]], False)])
    _xlsx(tmp_path / "cge.xlsx", [
        ("Identification", [["Service", "Centre de Guidance d'Etterbeek"]], False),
        ("Activités", [["Date", "Type d'activité", "Usagers présents"], ["04/10/2021", "Suivi", 1]], False)])
    result = run_cleaning(tmp_path, START, END)
    files = result.tables["files"].set_index("source_file")
    assert files.loc["norois.xlsx", "status"] == "unrecognised"
    assert "Bladzijde 1" in files.loc["norois.xlsx", "detail"]
    acc = result.tables["accounting"].set_index(["source_file", "sheet"])
    assert acc.loc[("norois.xlsx", "Bladzijde 1"), "raw_rows"] == 2
    assert acc.loc[("norois.xlsx", "Bladzijde 1"), "rejected_rows"] == 2
    assert result.metrics()["clean"]["files_used"] == 1


def test_readers_see_hidden_sheets_in_ods(tmp_path):
    from analysis.ingest.readers import read_file

    path = _ods_bytes_to(tmp_path / "m.ods", [("Activités", [["a"]], False), ("Brouillon", [["b"]], True)])
    wb = read_file(path, tmp_path)
    assert [(s.name, s.hidden) for s in wb.sheets] == [("Activités", False), ("Brouillon", True)]


# --------------------------------------------------------------------------- 3. values a person types


@pytest.mark.parametrize(("domain", "raw", "code", "how"), [
    ("referrers", "initiative perso", "initiative_personnelle", "abbreviation"),
    ("referrers", "Lui-même", "initiative_personnelle", "exact"),
    ("referrers", "entourge", "entourage", "typo"),
    ("referrers", "hopital", "sante_generale", "exact"),
    ("referrers", "hopitl", "sante_generale", "typo"),
    ("referrers", "santé gén.", "sante_generale", "abbreviation"),
    ("activity_types", "perm. élab.", "permanence_elaboration", "abbreviation"),
    ("activity_types", "Activité communautaire", "communautaire_collectif", "exact"),
    ("activity_types", "supervison", "supervision", "typo"),
    ("activity_types", "Autre : réunion d'équipe", "divers", "head"),
    ("income_sources", "chomgae", "chomage", "typo"),
    ("places", "a l exterieru", "exterieur", "typo"),
])
def test_typed_values_are_read_and_say_how(domain, raw, code, how):
    assert nz.match_code_how(domain, raw) == (code, how)


@pytest.mark.parametrize(("domain", "raw"), [
    ("activity_types", "form"),  # formation or participation à une formation
    ("activity_types", "perm."),  # three permanences
    ("activity_types", "interv"),  # intervision or intervention
])
def test_values_close_to_two_codes_are_never_guessed(domain, raw):
    with pytest.raises(nz.ValueProblem) as exc:
        nz.match_code(domain, raw)
    assert exc.value.kind == "ambiguous"


def test_edit_distance_and_its_limit():
    assert nz.edit_distance("entourge", "entourage", 2) == 1
    assert nz.edit_distance("ab", "ba", 1) == 1, "a swap is one edit"
    assert nz.edit_distance("formation", "intervision", 2) == 3
    assert [nz.max_typos(n) for n in (3, 4, 5, 7, 8, 20)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize(("raw", "count", "approximate"), [
    ("±5", 5, True), ("env. 10", 10, True), ("~3", 3, True), ("environ 4", 4, True), ("5 pers.", 5, False),
    ("ca. 6", 6, True), ("ongeveer 8", 8, True), ("5 environ", 5, True), ("3", 3, False), (7, 7, False),
])
def test_approximate_counts(raw, count, approximate):
    assert nz.parse_count(raw) == count
    assert nz.is_approximate_count(raw) is approximate


@pytest.mark.parametrize(("raw", "minutes", "ambiguous"), [
    (5, 300, True), ("7", 420, True), ("9", 540, True), (4, 240, False), ("1,5", 90, False), (10, 10, False),
    ("45", 45, False), ("5 min", 5, False), ("5h", 300, False), (4.5, 270, False),
])
def test_duration_unit_rule(raw, minutes, ambiguous):
    assert nz.parse_duration(raw) == minutes
    assert (nz.duration_ambiguity(raw) is not None) is ambiguous


def test_typed_values_in_a_workbook_are_kept_with_a_note(tmp_path):
    users = [["Date du premier contact", "Genre", "Année de naissance", "Commune de résidence",
              "Source principale de revenus", "Envoyeur"],
             ["04/10/2021", "F", 1980, "Ixelles", "Chômage", "initiative perso"],  # 2
             ["05/10/2021", "H", 1975, "Uccle", "Travail", "Lui-même"],  # 3
             ["06/10/2021", "F", 1990, "Jette", "Pension", "entourge"]]  # 4
    acts = [["Date", "Type d'activité", "Lieu d'intervention", "Travailleurs mobilisés", "Usagers présents",
             "Professionnels présents", "Durée"],
            ["04/10/2021", "Formation", "Au sein du service", 1, 0, "±5", 5],  # 2
            ["05/10/2021", "form", "Au sein du service", 1, 0, 4, 60],  # 3: ambiguous type → set aside
            ["06/10/2021", "supervison", "En ligne", 1, 0, "env. 10", "45"],  # 4
            ["07/10/2021", "Intervision", "En ligne", 1, 0, "5 pers.", "1,5"]]  # 5
    _xlsx(tmp_path / "norois.xlsx", [("Identification", [["Service", "SSM Le Norois"]], False),
                                     ("Usagers", users, False), ("Activités", acts, False)])
    result = run_cleaning(tmp_path, START, END)
    users_out = _by_row(result, "users")
    assert users_out["referrer"].tolist() == ["initiative_personnelle", "initiative_personnelle", "entourage"]
    act = _by_row(result, "activities")
    assert act.index.tolist() == [2, 4, 5]
    assert act["pros_present"].tolist() == [5, 10, 5]
    assert act["duration_min"].tolist() == [300, 45, 90]
    assert act.loc[4, "activity_type"] == "supervision"
    rej = result.tables["rejected"]
    row3 = rej[(rej["sheet"] == "Activités") & (rej["row"] == 3)]
    assert row3["reason"].tolist() == ["activity_type_unknown"] and "ambiguë" in row3["detail"].iloc[0]

    notes = result.notes
    by = {(r.sheet, r.row, r.issue): r.detail for r in notes.itertuples() if r.row is not None}
    assert "interprété comme « Initiative personnelle » (abréviation)" in by[("Usagers", 2, "interpreted")]
    assert ("Usagers", 3, "interpreted") not in by, "an alias of the reference tables is not an interpretation"
    assert "« Entourage / proche » (faute de frappe)" in by[("Usagers", 4, "interpreted")]
    assert "« Supervision »" in by[("Activités", 4, "interpreted")]
    assert "valeur approximative « ±5 »" in by[("Activités", 2, "approximate")]
    assert "valeur approximative « env. 10 »" in by[("Activités", 4, "approximate")]
    assert ("Activités", 5, "approximate") not in by
    assert "lue comme 5 heures" in by[("Activités", 2, "duration_unit")]
    assert ("Activités", 5, "duration_unit") not in by
    summary = result.summary_fr()
    assert "valeurs interprétées" in summary and "effectifs approximatifs gardés" in summary
    assert "valeurs non reconnues" not in summary, "interpreted values are not unrecognised ones"


# --------------------------------------------------------------------------- 4. Identification name and code


def test_template_lists_keep_names_and_codes_paired(tmp_path):
    names, codes = service_choices(), service_codes()
    assert len(names) == len(codes)
    for name, code in zip(names, codes, strict=True):
        assert name.endswith(f" ({code})")
        assert nz.match_service(name, "prr") == code
    path = write_template(tmp_path / "outil.xlsx")
    wb = openpyxl.load_workbook(path)
    lists = wb["Listes"]
    assert [c.value for c in lists["A"][1:len(names) + 1]] == names
    assert [c.value for c in lists["B"][1:len(codes) + 1]] == codes


def _identified(tmp_path: Path, name: str, code: str | None, filename: str = "outil.xlsx"):
    path = write_template(tmp_path / filename)
    wb = openpyxl.load_workbook(path)
    wb["Identification"]["B1"] = name
    wb["Identification"]["B2"] = code
    wb["Activités"].append([dt.date(2021, 10, 4), "Formation", "En ligne", 1, 0, 6, "1h30"])
    wb.save(path)
    result = run_cleaning(tmp_path, START, END)
    notes = result.notes[result.notes["issue"] == "service_mismatch"]
    return result.tables["files"]["service_code"].iloc[0], notes["detail"].tolist()


def test_template_name_with_its_code_identifies_the_service(tmp_path):
    name = next(n for n in service_choices() if n.endswith("(NOR)"))
    assert _identified(tmp_path, name, None) == ("NOR", [])
    (tmp_path / "outil.xlsx").unlink()
    assert _identified(tmp_path, name, "NOR") == ("NOR", [])


def test_name_and_code_that_disagree_are_warned_and_the_name_wins(tmp_path):
    code, notes = _identified(tmp_path, "SSM Le Norois", "CGE")
    assert code == "NOR"
    assert len(notes) == 1
    assert "« SSM Le Norois » (NOR)" in notes[0] and "« CGE » (CGE)" in notes[0]
    assert "service NOR retenu" in notes[0] and "le nom du service prime" in notes[0]


def test_name_and_code_that_disagree_follow_the_file_name_when_it_says(tmp_path):
    code, notes = _identified(tmp_path, "SSM Le Norois", "CGE", filename="suivi PRR CGE 2022.xlsx")
    assert code == "CGE"
    assert "service CGE retenu (le nom du fichier désigne ce service)" in notes[0]
