"""A second, uncalibrated test dataset: a raw folder for a new period, with its row-level truth.

The bundled example (``analysis.example.generate``) was calibrated to reproduce
the printed report, so tests on it prove little about the cleaning. This module
builds a raw folder for another period (by default 2023-01 → 2023-06) from the
data contract (``shared/spec/tracking-tool.md``) and the public reference tables
of ``data/reference/`` only: it reads no code or value of the bundled example.
Its services are a new subset of the registry (Le Norois, Le Méridien, Le Grès,
Smes Support, Dune, Mobiwest, Coin des Cerises, re-funded for the new period)
plus one invented service (``PAS``, Passerelle Mobile), declared in a
``services.csv`` registry override written at the root of the raw folder.

:func:`write_new_period` writes, with a seeded random generator:

- tracking workbooks in a mix of formats: ``.xlsx`` (openpyxl and xlsxwriter),
  ``.ods`` (odfpy), ``.xls`` (xlwt, only when it is installed; otherwise the
  file is skipped and :attr:`Truth.skipped` says so) and ``.csv`` (one file
  per sheet, read by ``analysis.ingest.readers`` as a one-sheet workbook whose
  service is recognised from the file name);
- a Dutch return (sheets ``Identificatie``, ``Gebruikers``, ``Professionals``,
  ``Activiteiten``; Dutch headers and values, ``M``/``V``, Dutch month names);
- a resubmission (``Meridien PRR v2.xlsx`` then ``Meridien PRR v2
  (corrigé).xlsx``, same months and row counts, one corrected value: the
  corrected file is the one to keep), a duplicate submission (the same bytes
  under two names), same-day identical home visits (real activities, kept),
  small counts, a service whose users sheet has no row, a month without any
  activity, messy values (header variants, a title row, blank rows, a total
  row, extra comment columns, dates as cells, serials, ``dd/mm/yyyy``,
  ``dd-mm-yy``, ISO, French and Dutch month names, communes in Dutch, as postal
  codes, with typos or as a neighbourhood, durations ``1h30``, ``01:30``,
  ``90``, ``1,5``, a time cell, numbers as text) and rows to set aside
  (impossible dates, dates outside the period, unknown activity types,
  a negative count, a total row; census demands outside the census waves or
  without outcome), each with its expected reason;
- a census extract (``recensement/``) for the census wave months that fall in
  the period, plus demands after the wave (set aside).

The truth (:class:`Truth`) lists every non-blank row written below a header:
file, sheet, spreadsheet row number, target table, the scenario (``case``)
and either ``kept`` with the expected clean values (in the columns of
``analysis.ingest.schema``) or ``set_aside`` with the expected reason code
(and the acceptable alternatives when the code is not settled, e.g. for a
superseded resubmission). :meth:`Truth.write` stores it as CSV files under a
hidden ``.truth/`` folder of the raw folder, which the pipeline never reads
(hidden paths are skipped by ``analysis.ingest.readers.list_raw_files``).
Values are stored as canonical text (:func:`canonical`): dates ``YYYY-MM-DD``,
numbers without trailing zeros, booleans ``True``/``False``, missing as empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import REFERENCE_DIR

#: Scenarios of the dataset (the ``case`` column of the truth).
CASES = (
    "xlsx_messy",  # Le Norois, openpyxl: title row, header variants, blank and total rows…
    "resubmission",  # Le Méridien: v2 then v2 (corrigé)
    "duplicate_submission",  # Le Grès: same bytes twice
    "same_day_visits",  # Le Norois: identical home visits the same day
    "dutch",  # Smes Support: Dutch .ods
    "xls",  # Dune: .xls (xlwt)
    "csv",  # Mobiwest: one CSV per sheet
    "ods_new_service",  # Passerelle Mobile: invented service known only from services.csv
    "small_and_empty",  # Coin des Cerises: no users rows, a month without activity
    "set_aside",  # rows that must be set aside (any service)
    "census",  # census extract
    "merged_services",  # optional: Le Grès + Coin des Cerises merged under a new code (code_changes.csv)
)

TRACKING_TABLES = ("users", "pros", "activities")
ROW_COLUMNS = ["source_file", "sheet", "row", "table", "case", "service_code", "expected", "reason",
               "reason_alt", "note"]
FILE_COLUMNS = ["source_file", "format", "instrument", "service_code", "status", "case", "note"]
#: Columns of the expected clean values, per table (those of ``analysis.ingest.schema``).
VALUE_COLUMNS = {
    "users": ["service_code", "source_file", "sheet", "row", "first_contact", "month", "gender", "birth_year",
              "age", "commune_nis", "residence", "basin", "income_source", "referrer", "first_line"],
    "pros": ["service_code", "source_file", "sheet", "row", "first_contact", "month", "requesting_service",
             "origin_region", "origin_commune_nis"],
    "activities": ["service_code", "source_file", "sheet", "row", "date", "month", "activity_type", "axis",
                   "place", "workers", "users_present", "pros_present", "duration_min"],
    "census": ["wave", "service_code", "source_file", "sheet", "row", "demand_date", "requester",
               "requester_sector", "first_line", "age", "gender", "commune_nis", "residence", "public",
               "followup_requested", "outcome", "reorientation_reason", "destination_full", "first_appointment"],
}
#: The set-aside reason of a superseded resubmission is not settled: any of these is accepted.
SUPERSEDED_REASONS = ("duplicate_month", "superseded", "resubmission", "resubmitted", "superseded_submission",
                      "duplicate_submission")

FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
NL_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")


def canonical(value: Any) -> str:
    """A value as comparable text: ``""`` for missing, ISO dates, ``90`` for 90.0, ``True``/``False``."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "True" if value else "False"
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        f = float(value)
        return str(int(f)) if f.is_integer() else f"{round(f, 4):g}"
    if type(value).__name__.startswith("int"):
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- reference facts


def _ref(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class _Place:
    raw: Any
    nis: str | None
    region: str  # bruxelles | wallonie | flandre | hors_bruxelles | inconnu
    basin: str | None

    @property
    def residence(self) -> str:
        return self.region if self.region in ("bruxelles", "inconnu") else "hors_bruxelles"


@cache
def _places() -> dict[str, list[_Place]]:
    """Commune representations by style, from ``communes.csv`` (names, postal codes, basins)."""
    communes = _ref("communes")
    by_name = {c["name_fr"]: c for c in communes}

    def nis(name: str) -> str:
        return by_name[name]["nis_code"]

    def basin(name: str) -> str | None:
        return by_name[name]["basin"] or None

    fr = [_Place(c["name_fr"], c["nis_code"], "bruxelles", c["basin"] or None) for c in communes]
    nl = [_Place(c["name_nl"], c["nis_code"], "bruxelles", c["basin"] or None) for c in communes]
    # postal codes: 1020/1120/1130 are Bruxelles-Ville in the Nord basin, 1000 the Pentagone
    # (Centre-Ouest), per communes.csv's basin_note; other codes are their commune's basin.
    postal = [_Place(int(c["postal_codes"]), c["nis_code"], "bruxelles", c["basin"] or None)
              for c in communes if ";" not in c["postal_codes"]]
    postal += [_Place("1020", nis("Bruxelles"), "bruxelles", "Nord"),
               _Place(1120, nis("Bruxelles"), "bruxelles", "Nord"),
               _Place("1000", nis("Bruxelles"), "bruxelles", "Centre-Ouest"),
               _Place("1050 Ixelles", nis("Ixelles"), "bruxelles", basin("Ixelles"))]
    messy = [_Place("Scharbeek", nis("Schaerbeek"), "bruxelles", basin("Schaerbeek")),
             _Place("St-Gilles", nis("Saint-Gilles"), "bruxelles", basin("Saint-Gilles")),
             _Place("Woluwé St Lambert", nis("Woluwe-Saint-Lambert"), "bruxelles", basin("Woluwe-Saint-Lambert")),
             _Place("Molenbeek", nis("Molenbeek-Saint-Jean"), "bruxelles", basin("Molenbeek-Saint-Jean")),
             _Place("Laeken", nis("Bruxelles"), "bruxelles", "Nord"),
             _Place("Neder-over-Heembeek", nis("Bruxelles"), "bruxelles", "Nord"),
             _Place("Haren", nis("Bruxelles"), "bruxelles", "Nord"),
             _Place("schaerbeek ", nis("Schaerbeek"), "bruxelles", basin("Schaerbeek")),
             _Place("ANDERLECHT", nis("Anderlecht"), "bruxelles", basin("Anderlecht"))]
    outside = [_Place("Hors Bruxelles", None, "hors_bruxelles", None)]
    unknown = [_Place(None, None, "inconnu", None), _Place("Inconnu", None, "inconnu", None)]
    return {"fr": fr, "nl": nl, "postal": postal, "messy": messy, "outside": outside, "unknown": unknown}


@cache
def _origins_fr() -> list[_Place]:
    communes = _ref("communes")
    out = [_Place(c["name_fr"], c["nis_code"], "bruxelles", None) for c in communes]
    return out + [_Place("Wallonie", None, "wallonie", None), _Place("Flandre", None, "flandre", None),
                  _Place("Inconnu", None, "inconnu", None)]


@cache
def _origins_nl() -> list[_Place]:
    communes = _ref("communes")
    out = [_Place(c["name_nl"], c["nis_code"], "bruxelles", None) for c in communes]
    return out + [_Place("Wallonië", None, "wallonie", None), _Place("Vlaanderen", None, "flandre", None),
                  _Place("Onbekend", None, "inconnu", None)]


# Raw wordings per code, French and Dutch. French ones follow the contract's lists.
GENDER_FR = {"F": ["F", "Femme", "femme", "F "], "H": ["H", "Homme", "M", "homme"], "X": ["X", "autre"]}
GENDER_NL = {"F": ["V", "v", "Vrouw"], "H": ["M", "m", "Man"], "X": ["X"]}
INCOME_FR = {
    "travail": ["Travail", "travail"], "chomage": ["Chômage", "chomage"],
    "cpas_ris": ["CPAS / revenu d'intégration", "CPAS"], "mutuelle": ["Mutuelle (incapacité, invalidité)", "mutuelle"],
    "pension": ["Pension"], "allocation_handicap": ["Allocation handicap"], "sans_revenu": ["Sans revenu"],
    "autre": ["Autre"], "inconnu": ["Inconnu", None],
}
INCOME_NL = {
    "travail": ["Werk"], "chomage": ["Werkloosheid"], "cpas_ris": ["OCMW / leefloon"],
    "mutuelle": ["Ziekenfonds (arbeidsongeschiktheid, invaliditeit)"], "pension": ["Pensioen"],
    "allocation_handicap": ["Tegemoetkoming handicap"], "sans_revenu": ["Geen inkomen"], "autre": ["Andere"],
    "inconnu": ["Onbekend"],
}
REFERRER_FR = {
    "initiative_personnelle": ["Initiative personnelle"], "entourage": ["Entourage / proche", "famille"],
    "sante_generale": ["Santé générale (médecin généraliste, hôpital, maison médicale)", "médecin généraliste",
                       "hôpital"],
    "sante_mentale": ["Santé mentale"], "aide_sociale_generale": ["Aide sociale générale (CPAS, service social)",
                                                                  "CPAS"],
    "enseignement": ["Enseignement"], "aide_jeunesse": ["Aide à la jeunesse"], "justice": ["Justice"],
    "logement": ["Logement / hébergement"], "autre": ["Autre"], "inconnu": ["Inconnu", None],
}
REFERRER_NL = {
    "initiative_personnelle": ["Eigen initiatief"], "entourage": ["Omgeving / naaste"],
    "sante_generale": ["Algemene gezondheidszorg (huisarts, ziekenhuis, wijkgezondheidscentrum)"],
    "sante_mentale": ["Geestelijke gezondheidszorg"],
    "aide_sociale_generale": ["Algemene sociale hulp (OCMW, sociale dienst)"], "enseignement": ["Onderwijs"],
    "aide_jeunesse": ["Jeugdhulp"], "justice": ["Justitie"], "logement": ["Huisvesting / opvang"],
    "autre": ["Andere"], "inconnu": ["Onbekend"],
}
REQUESTING_FR = {
    "cpas": ["CPAS"], "maison_accueil": ["Maison d'accueil / hébergement", "maison d'accueil"],
    "hopital": ["Hôpital", "hopital"], "maison_medicale": ["Maison médicale"], "ssm": ["SSM"],
    "service_social": ["Service social"], "logement_social": ["Logement social (SISP/AIS)", "AIS"],
    "ecole": ["École", "ecole"], "aide_jeunesse": ["Aide à la jeunesse"], "maison_repos": ["Maison de repos"],
    "autre": ["Autre"],
}
REQUESTING_NL = {
    "cpas": ["OCMW"], "maison_accueil": ["Opvanghuis"], "hopital": ["Ziekenhuis"],
    "maison_medicale": ["Wijkgezondheidscentrum"], "ssm": ["Dienst geestelijke gezondheidszorg"],
    "service_social": ["Sociale dienst"], "logement_social": ["Sociale huisvesting"], "ecole": ["School"],
    "aide_jeunesse": ["Jeugdhulp"], "maison_repos": ["Woonzorgcentrum"], "autre": ["Andere"],
}
ACTIVITY_FR = {
    "suivi_accompagnement": ["Suivi / accompagnement", "Suivi/accompagnement", "suivi accompagnement"],
    "prevention_rdr": ["Prévention / réduction des risques", "Prevention / reduction des risques"],
    "communautaire_collectif": ["Activité communautaire / collective", "Activité communautaire"],
    "immersion": ["Immersion"], "formation": ["Formation"], "supervision": ["Supervision"],
    "intervision": ["Intervision"], "groupe_parole": ["Groupe de parole"],
    "permanence_elaboration": ["Permanence d'écoute – élaboration", "Permanence d'écoute - Élaboration"],
    "permanence_orientation": ["Permanence d'écoute – orientation"],
    "permanence_intervention": ["Permanence d'écoute – intervention"],
    "temps_reseau": ["Temps de réseau", "temps de reseau"], "recherche": ["Recherche"],
    "participation_formation": ["Participation à une formation / supervision / intervision"],
    "divers": ["Divers"],
}
ACTIVITY_NL = {
    "suivi_accompagnement": ["Opvolging / begeleiding"], "prevention_rdr": ["Preventie / risicobeperking"],
    "communautaire_collectif": ["Gemeenschaps- / groepsactiviteit"], "immersion": ["Immersie"],
    "formation": ["Vorming"], "supervision": ["Supervisie"], "intervision": ["Intervisie"],
    "groupe_parole": ["Praatgroep"], "temps_reseau": ["Netwerkoverleg"], "recherche": ["Onderzoek"],
}
PLACE_FR = {"service": ["Au sein du service", "au service"], "exterieur": ["À l'extérieur", "domicile"],
            "en_ligne": ["En ligne", "visio"]}
PLACE_NL = {"service": ["In de dienst"], "exterieur": ["Buiten de dienst"], "en_ligne": ["Online"]}

HEADERS_FR = {
    "users": ["Date du premier contact", "Genre", "Année de naissance", "Commune de résidence",
              "Source principale de revenus", "Envoyeur"],
    "pros": ["Date du premier contact", "Type de service demandeur", "Région / commune du service"],
    "activities": ["Date", "Type d'activité", "Lieu d'intervention", "Travailleurs mobilisés", "Usagers présents",
                   "Professionnels présents", "Durée"],
}
HEADERS_NL = {
    "users": ["Datum eerste contact", "Geslacht", "Geboortejaar", "Woonplaats", "Belangrijkste inkomensbron",
              "Verwijzer"],
    "pros": ["Datum eerste contact", "Type aanvragende dienst", "Regio / gemeente van de dienst"],
    "activities": ["Datum", "Type activiteit", "Plaats van tussenkomst", "Ingezette medewerkers",
                   "Aanwezige gebruikers", "Aanwezige professionals", "Duur"],
}
SHEETS_FR = {"identification": "Identification", "users": "Usagers", "pros": "Professionnels",
             "activities": "Activités"}
SHEETS_NL = {"identification": "Identificatie", "users": "Gebruikers", "pros": "Professionals",
             "activities": "Activiteiten"}

#: Registry subset re-funded for the new period, and one invented service.
REGISTRY_SUBSET = ("NOR", "MER", "GRE", "SMES", "DUNE", "MOB", "CER")
NEW_SERVICE = {"code": "PAS", "name": "Passerelle Mobile", "aliases": "Passerelle;asbl Passerelle Mobile",
               "instrument": "prr", "call": "mobilite", "kind": "equipe_mobile", "funder": "cocof"}
CENSUS_SERVICES = ("SSM03", "SSM07", "SSM11", "SSM15")
#: ``merged_services=True``: Le Grès and Coin des Cerises (two lieux de liens of the bundled registry) have
#: merged into one service with a new code for the new period. Its registry row is in ``services.csv``,
#: the old codes' mapping in ``code_changes.csv`` (both at the root of the raw folder); the merged
#: service sends the Le Grès workbooks under its new name and code, Coin des Cerises sends none.
MERGED_SERVICE = {"code": "GRC", "name": "Grès-Cerises", "aliases": "Le Grès - Coin des Cerises;Gres Cerises",
                  "instrument": "prr", "call": "lieux_de_liens", "kind": "ssm", "funder": "cocof"}
MERGED_FROM = ("GRE", "CER")


# --------------------------------------------------------------------------- row specs


@dataclass
class _Row:
    """One data row: its cells and what the cleaning must make of it."""

    cells: list
    table: str
    expected: dict | None  # clean values (no trace, no service/month) when kept
    reason: str | None = None
    alt: tuple[str, ...] = ()
    note: str = ""
    case: str | None = None  # overrides the file's case
    data_len: int | None = None  # cells that are data columns (the rest are comments)


@dataclass
class _Sheet:
    name: str
    top: list[list]  # rows above the data (title, header); for Identification the whole grid
    rows: list[_Row | None] = field(default_factory=list)  # None is a blank row
    table: str | None = None


@dataclass
class Truth:
    """Row-level truth of a generated folder (see the module docstring)."""

    rows: pd.DataFrame
    values: dict[str, pd.DataFrame]
    files: pd.DataFrame
    skipped: list[str]
    start: str
    end: str

    def write(self, folder: Path) -> list[Path]:
        """Write ``rows.csv``, ``files.csv`` and ``<table>.csv`` (expected values) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, df in (("rows", self.rows), ("files", self.files), *self.values.items()):
            path = folder / f"{name}.csv"
            df.to_csv(path, index=False)
            paths.append(path)
        (folder / "skipped.txt").write_text("".join(f"{s}\n" for s in self.skipped), encoding="utf-8")
        return paths


class _Gen:
    def __init__(self, out_dir: Path, seed: int, start: str, end: str):
        self.out = Path(out_dir)
        self.rng = random.Random(seed)
        self.merged = False  # see MERGED_SERVICE
        self.start, self.end = start, end
        self.months = _months_between(start, end)
        self.places = _places()
        self.rows: list[dict] = []
        self.values: dict[str, list[dict]] = {t: [] for t in VALUE_COLUMNS}
        self.files: list[dict] = []
        self.skipped: list[str] = []
        self.axis = {r["code"]: r["axis"] for r in _ref("activity_types")}
        self.first_line = {r["code"]: {"true": True, "false": False}.get(r["first_line"]) for r in _ref("referrers")}
        self.census_first_line = {r["code"]: {"true": True, "false": False}.get(r["first_line"])
                                  for r in _ref("census_requesters")}

    # ----------------------------------------------------------------- random helpers

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, weights: dict):
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def day(self, month: str | None = None) -> dt.date:
        month = month or self.pick(self.months)
        y, m = int(month[:4]), int(month[5:7])
        return dt.date(y, m, self.rng.randint(1, _month_days(y, m)))

    def place(self, styles: dict[str, float]) -> _Place:
        return self.pick(self.places[self.weighted(styles)])

    # ----------------------------------------------------------------- raw date forms

    def date_cell(self, d: dt.date, style: str) -> Any:
        if style == "cell":
            return d
        if style == "datetime":
            return dt.datetime(d.year, d.month, d.day)
        if style == "serial":
            return (d - dt.date(1899, 12, 30)).days
        if style == "dmy":
            return d.strftime("%d/%m/%Y")
        if style == "dmy2":
            return d.strftime("%d-%m-%y")
        if style == "iso":
            return d.isoformat()
        if style == "fr_text":
            return f"{d.day} {FR_MONTHS[d.month - 1]} {d.year}"
        if style == "nl_text":
            return f"{d.day} {NL_MONTHS[d.month - 1]} {d.year}"
        raise ValueError(style)

    # ----------------------------------------------------------------- rows

    def user_row(self, lang: str, date_styles: dict, order: list[int] | None = None,
                 birth_forms: tuple = ("int",), place_styles: dict | None = None, extra: list | None = None) -> _Row:
        d = self.day()
        gender = self.weighted({"F": 55, "H": 42, "X": 3})
        year = self.rng.randint(1948, 2006)
        income = self.weighted({"travail": 12, "chomage": 14, "cpas_ris": 22, "mutuelle": 16, "pension": 6,
                                "allocation_handicap": 5, "sans_revenu": 10, "autre": 4, "inconnu": 11})
        referrer = self.weighted({"initiative_personnelle": 14, "entourage": 10, "sante_generale": 18,
                                  "sante_mentale": 16, "aide_sociale_generale": 15, "enseignement": 2,
                                  "aide_jeunesse": 3, "justice": 4, "logement": 8, "autre": 4, "inconnu": 6})
        styles = place_styles or ({"nl": 60, "fr": 15, "postal": 15, "unknown": 5, "outside": 5} if lang == "nl"
                                  else {"fr": 55, "postal": 15, "messy": 15, "outside": 8, "unknown": 7})
        place = self.place(styles)
        form = self.pick(birth_forms)
        if form == "int":
            birth = year
        elif form == "text":
            birth = f"{year}"
        elif form == "age":
            birth = f"{d.year - year} {'jaar' if lang == 'nl' else 'ans'}"
        else:  # full birth date
            birth = f"{self.rng.randint(1, 28):02d}/{self.rng.randint(1, 12):02d}/{year}"
        gender_raw = self.pick((GENDER_NL if lang == "nl" else GENDER_FR)[gender])
        income_raw = self.pick((INCOME_NL if lang == "nl" else INCOME_FR)[income])
        referrer_raw = self.pick((REFERRER_NL if lang == "nl" else REFERRER_FR)[referrer])
        cells = [self.date_cell(d, self.weighted(date_styles)), gender_raw, birth, place.raw, income_raw,
                 referrer_raw]
        expected = {"first_contact": d, "gender": gender, "birth_year": year, "age": d.year - year,
                    "commune_nis": place.nis, "residence": place.residence, "basin": place.basin,
                    "income_source": income, "referrer": referrer, "first_line": self.first_line[referrer]}
        return _Row(_reorder(cells, order) + (extra or []), "users", expected, data_len=len(cells))

    def pro_row(self, lang: str, date_styles: dict, order: list[int] | None = None) -> _Row:
        d = self.day()
        req = self.weighted({"cpas": 16, "maison_accueil": 10, "hopital": 14, "maison_medicale": 12, "ssm": 12,
                             "service_social": 10, "logement_social": 6, "ecole": 6, "aide_jeunesse": 6,
                             "maison_repos": 3, "autre": 5})
        origin = self.pick(_origins_nl() if lang == "nl" else _origins_fr())
        req_raw = self.pick((REQUESTING_NL if lang == "nl" else REQUESTING_FR)[req])
        cells = [self.date_cell(d, self.weighted(date_styles)), req_raw, origin.raw]
        expected = {"first_contact": d, "requesting_service": req, "origin_region": origin.region,
                    "origin_commune_nis": origin.nis}
        return _Row(_reorder(cells, order), "pros", expected)

    def activity_row(self, lang: str, date_styles: dict, types: dict, order: list[int] | None = None,
                     month: str | None = None, duration_forms: tuple = ("int",), count_text: bool = False,
                     extra: list | None = None) -> _Row:
        d = self.day(month)
        code = self.weighted(types)
        axis = self.axis[code]
        place = self.weighted({"service": 45, "exterieur": 45, "en_ligne": 10})
        workers = self.rng.randint(1, 3)
        if axis == "axis1":
            users, pros = self.rng.randint(1, 9 if code == "communautaire_collectif" else 3), self.rng.randint(0, 1)
        elif code in ("recherche", "divers"):
            users, pros = 0, 0
        else:
            users, pros = 0, self.rng.randint(2, 14)
        minutes = self.pick((30, 45, 60, 90, 120, 150, 180))
        form = self.pick(duration_forms)
        if form == "int":
            dur = minutes
        elif form == "h":
            dur = f"{minutes // 60}h{minutes % 60:02d}" if minutes % 60 else f"{minutes // 60}h"
        elif form == "hm":
            dur = f"{minutes // 60:02d}:{minutes % 60:02d}"
        elif form == "time":
            dur = dt.time(minutes // 60, minutes % 60)
        elif form == "comma" and minutes % 30 == 0 and minutes >= 60:
            dur = f"{minutes / 60:g}".replace(".", ",")
        elif form == "min":
            dur = f"{minutes} min"
        else:
            dur = minutes
        type_raw = self.pick((ACTIVITY_NL if lang == "nl" else ACTIVITY_FR)[code])
        place_raw = self.pick((PLACE_NL if lang == "nl" else PLACE_FR)[place])
        users_raw: Any = users
        pros_raw: Any = pros
        if count_text and self.rng.random() < 0.3:
            users_raw = f"{users} " if users < 2 else f"{users} pers."
        if axis == "axis2" and self.rng.random() < 0.3:
            users_raw = None  # empty next to a filled count of professionals: 0 (contract: empty means zero)
        cells = [self.date_cell(d, self.weighted(date_styles)), type_raw, place_raw, workers, users_raw, pros_raw, dur]
        expected = {"date": d, "activity_type": code, "axis": axis, "place": place, "workers": workers,
                    "users_present": users, "pros_present": pros, "duration_min": float(minutes)}
        return _Row(_reorder(cells, order) + (extra or []), "activities", expected, data_len=len(cells))

    def unique(self, make, n: int, order_key=None) -> list[_Row]:
        """``n`` rows from ``make()``, none identical to another in its cells (no accidental copies)."""
        seen: set = set()
        out: list[_Row] = []
        while len(out) < n:
            row = make()
            key = tuple(_cell_key(c) for c in row.cells[:row.data_len])
            if key in seen:
                continue
            seen.add(key)
            out.append(row)
        if order_key:
            out.sort(key=order_key)
        return out

    # ----------------------------------------------------------------- output

    def emit(self, relpath: str, fmt: str, sheets: list[_Sheet], case: str, service: str | None,
             instrument: str = "tracking", status: str = "used", superseded_by: str | None = None,
             duplicate_of: str | None = None, note: str = "") -> bool:
        path = self.out / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        grids = [(s.name, s.top + [None if r is None else r.cells for r in s.rows]) for s in sheets]
        if not _WRITERS[fmt](path, grids):
            self.skipped.append(f"{relpath}: {fmt} writer unavailable (xlwt not installed), file not written")
            return False
        self.files.append({"source_file": relpath, "format": fmt, "instrument": instrument, "service_code": service,
                           "status": status, "case": case, "note": note})
        for s in sheets:
            sheet_name = Path(relpath).stem if fmt == "csv" else s.name
            for i, r in enumerate(s.rows):
                if r is None:
                    continue
                rownum = len(s.top) + i + 1
                row_case = r.case or case
                svc = service if r.table != "census" else (r.expected or {}).get("service_code", service)
                rec = {"source_file": relpath, "sheet": sheet_name, "row": rownum, "table": r.table,
                       "case": row_case, "service_code": svc}
                if superseded_by is not None and r.expected is not None:
                    rec.update(expected="set_aside", reason="duplicate_month", reason_alt=";".join(SUPERSEDED_REASONS),
                               note=f"superseded by the corrected resubmission {superseded_by}")
                elif duplicate_of is not None:
                    rec.update(expected="set_aside", reason="duplicate_submission", reason_alt="duplicate_submission",
                               note=f"same workbook as {duplicate_of}")
                elif r.expected is None:
                    rec.update(expected="set_aside", reason=r.reason, reason_alt=";".join((r.reason, *r.alt)),
                               note=r.note)
                else:
                    rec.update(expected="kept", reason=None, reason_alt=None, note=r.note)
                    values = dict(r.expected)
                    values.update(source_file=relpath, sheet=sheet_name, row=rownum)
                    if r.table != "census":
                        date = values["first_contact" if r.table != "activities" else "date"]
                        values.update(service_code=service, month=f"{date.year:04d}-{date.month:02d}")
                    self.values[r.table].append({c: canonical(values.get(c)) for c in VALUE_COLUMNS[r.table]})
                self.rows.append(rec)
        return True

    def truth(self) -> Truth:
        rows = pd.DataFrame(self.rows, columns=ROW_COLUMNS)
        values = {t: pd.DataFrame(v, columns=VALUE_COLUMNS[t], dtype="string") for t, v in self.values.items()}
        return Truth(rows, values, pd.DataFrame(self.files, columns=FILE_COLUMNS), self.skipped, self.start, self.end)


def _reorder(cells: list, order: list[int] | None) -> list:
    return cells if order is None else [cells[i] for i in order]


def _cell_key(value: Any) -> str:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if value is not None else ""


def _months_between(start: str, end: str) -> list[str]:
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_days(y: int, m: int) -> int:
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def _shift_month(month: str, delta: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + delta
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def _date_key(row: _Row):
    return row.expected[next(k for k in ("first_contact", "date", "demand_date") if k in row.expected)]


# --------------------------------------------------------------------------- writers


def _write_openpyxl(path: Path, grids) -> bool:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, grid in grids:
        ws = wb.create_sheet(name)
        for r, cells in enumerate(grid, start=1):
            for c, value in enumerate(cells or [], start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, dt.time):
                    cell.number_format = "hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
    wb.save(path)
    return True


def _write_xlsxwriter(path: Path, grids) -> bool:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, grid in grids:
        ws = wb.add_worksheet(name)
        for r, cells in enumerate(grid):
            for c, value in enumerate(cells or []):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
                else:
                    ws.write(r, c, value)
    wb.close()
    return True


def _write_ods(path: Path, grids) -> bool:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, grid in grids:
        table = Table(name=name)
        for cells in grid:
            tr = TableRow()
            for value in cells or [None]:
                if value is None:
                    tc = TableCell()
                elif isinstance(value, bool):
                    tc = TableCell(valuetype="string")
                    tc.addElement(P(text=str(value)))
                elif isinstance(value, dt.date):
                    tc = TableCell(valuetype="date", datevalue=value.isoformat())
                    tc.addElement(P(text=value.strftime("%d/%m/%Y")))
                elif isinstance(value, (int, float)):
                    tc = TableCell(valuetype="float", value=value)
                    tc.addElement(P(text=str(value)))
                else:
                    tc = TableCell(valuetype="string")
                    tc.addElement(P(text=str(value)))
                tr.addElement(tc)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return True


def _write_xls(path: Path, grids) -> bool:
    try:
        import xlwt
    except ImportError:
        return False
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, grid in grids:
        ws = wb.add_sheet(name)
        for r, cells in enumerate(grid):
            for c, value in enumerate(cells or []):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write(r, c, dt.datetime(value.year, value.month, value.day), date_style)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))
    return True


def _write_csv(path: Path, grids, encoding: str = "cp1252") -> bool:
    (name, grid), = grids
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        for cells in grid:
            w.writerow(["" if v is None else v for v in (cells or [])])
    return True


_WRITERS = {"xlsx": _write_openpyxl, "xlsx-xlsxwriter": _write_xlsxwriter, "ods": _write_ods, "xls": _write_xls,
            "csv": _write_csv}


def _identification(lang: str, name: str, code: str | None) -> _Sheet:
    if lang == "nl":
        grid = [["Identificatie van de dienst"], [], ["Dienst", name], ["Code dienst", code]]
        return _Sheet(SHEETS_NL["identification"], grid)
    return _Sheet(SHEETS_FR["identification"], [["Service", name], ["Code service", code]])


# --------------------------------------------------------------------------- services


def _norois(g: _Gen) -> None:
    """Le Norois, .xlsx (openpyxl): every kind of mess, the same-day home visits, set-aside rows."""
    dates = {"cell": 30, "serial": 15, "dmy": 20, "dmy2": 10, "iso": 10, "fr_text": 15}
    # Users: title row, header variants, columns in another order, an extra comment column, blank rows.
    order = [0, 1, 2, 3, 5, 4]  # Envoyeur before the income source
    users = g.unique(lambda: g.user_row("fr", dates, order, ("int", "text", "age", "date"),
                                        extra=[g.pick([None, None, "revu en mars", "ok"])]), 34, order_key=_date_key)
    users.insert(12, None)
    users.insert(20, None)
    users += [
        _Row([ "30/02/2023", "F", 1990, "Ixelles", "Santé mentale", "Travail"], "users", None, "date_invalid",
             note="impossible date 30/02", case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(_shift_month(g.start, -1) + "-28"), "dmy"), "H", 1975, "Jette",
              "CPAS", "CPAS"], "users", None, "date_out_of_period", note="month before the period", case="set_aside"),
    ]
    users_sheet = _Sheet("Usagers", [["Outil de suivi PRR – Le Norois – premier semestre"],
                                     ["Date 1er contact", "Sexe", "Annee de naissance", "Commune",
                                      "Envoyé par", "Source de revenus ", "Remarques"]], users)
    # Professionals: canonical headers with line breaks.
    pros = g.unique(lambda: g.pro_row("fr", dates), 14, order_key=_date_key)
    pros.append(_Row([g.date_cell(dt.date.fromisoformat(_shift_month(g.end, 1) + "-03"), "iso"), "CPAS", "Forest"],
                     "pros", None, "date_out_of_period", note="month after the period", case="set_aside"))
    pros_sheet = _Sheet("Professionnels", [["Date du premier\ncontact", "Type de service\ndemandeur",
                                            "Région / commune\ndu service"]], pros)
    # Activities: columns reordered (duration third), numbers as text, every duration form.
    types = {"suivi_accompagnement": 40, "prevention_rdr": 12, "communautaire_collectif": 10, "supervision": 5,
             "intervision": 6, "permanence_elaboration": 4, "permanence_orientation": 3, "temps_reseau": 10,
             "recherche": 2, "participation_formation": 4, "divers": 2}
    order = [0, 1, 6, 2, 3, 4, 5]
    acts = g.unique(lambda: g.activity_row("fr", dates, types, order, duration_forms=("int", "h", "hm", "time",
                                                                                      "comma", "min"),
                                           count_text=True, extra=[g.pick([None, None, None, "VAD"])]),
                    70, order_key=_date_key)
    visit_day = dt.date.fromisoformat(g.months[min(2, len(g.months) - 1)] + "-14")
    visit = {"date": visit_day, "activity_type": "suivi_accompagnement", "axis": "axis1", "place": "exterieur",
             "workers": 1, "users_present": 1, "pros_present": 0, "duration_min": 60.0}
    same_day = [_Row([g.date_cell(visit_day, "dmy"), "Suivi / accompagnement", "1h", "domicile", 1, 1, 0, "VAD"],
                     "activities", dict(visit), note="identical home visit the same day (real, kept)",
                     case="same_day_visits") for _ in range(3)]
    acts[30:30] = same_day
    acts.insert(45, None)
    acts += [
        _Row([f"31/02/{g.start[:4]}", "Supervision", 90, "Au sein du service", 2, 0, 5, None], "activities", None,
             "date_invalid", note="impossible date 31/02", case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(_shift_month(g.start, -1) + "-15"), "dmy"), "Intervision", 60,
              "En ligne", 1, 0, 6, None], "activities", None, "date_out_of_period", note="month before the period",
             case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(_shift_month(g.end, 1) + "-12"), "cell"), "Temps de réseau", "2h",
              "À l'extérieur", 2, 0, 8, None], "activities", None, "date_out_of_period",
             note="month after the period", case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(g.months[1] + "-09"), "dmy"), "Pique-nique des bénévoles", "3h",
              "À l'extérieur", 3, 12, 0, None], "activities", None, "activity_type_unknown",
             note="activity type outside the 13 types", case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(g.months[2] + "-21"), "dmy"), "Suivi / accompagnement", 60,
              "Au sein du service", 1, "-1", 0, None], "activities", None, "count_invalid",
             note="negative count of users present", case="set_aside"),
        None,
        _Row(["Total", None, None, None, 93, 150, 210, None], "activities", None, "total_row",
             note="total row below the data", case="set_aside"),
    ]
    acts_sheet = _Sheet("Activités", [["Date", "Type d'activite", "Durée", "Lieu d'intervention ",
                                       "Travailleurs\nmobilisés", "USAGERS PRESENTS",
                                       "Professionnels présents (hors équipe)", "Commentaire"]], acts)
    g.emit("suivi/Le Norois - outil PRR 1er semestre.xlsx", "xlsx",
           [_identification("fr", "SSM Le Norois", None), users_sheet, pros_sheet, acts_sheet],
           "xlsx_messy", "NOR")


def _meridien(g: _Gen) -> None:
    """Le Méridien: ``v2.xlsx`` then ``v2 (corrigé).xlsx`` with the same months and one corrected value."""
    dates = {"cell": 80, "dmy": 20}
    types = {"suivi_accompagnement": 50, "communautaire_collectif": 20, "groupe_parole": 10, "temps_reseau": 20}
    users = g.unique(lambda: g.user_row("fr", dates), 11, order_key=_date_key)
    pros = g.unique(lambda: g.pro_row("fr", dates), 5, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("fr", dates, types), 24, order_key=_date_key)
    fixed = next(i for i, r in enumerate(acts) if r.expected["axis"] == "axis1")
    wrong = _Row(list(acts[fixed].cells), "activities", dict(acts[fixed].expected))
    wrong.cells[4] = acts[fixed].expected["users_present"] + 5  # the typo the corrected file fixes
    wrong.expected["users_present"] = wrong.cells[4]

    def sheets(act_rows):
        return [_identification("fr", "SSM Le Méridien", "MER"),
                _Sheet("Usagers", [HEADERS_FR["users"]], list(users)),
                _Sheet("Professionnels", [HEADERS_FR["pros"]], list(pros)),
                _Sheet("Activités", [HEADERS_FR["activities"]], act_rows)]

    first = "suivi/Meridien PRR v2.xlsx"
    corrected = "suivi/Meridien PRR v2 (corrigé).xlsx"
    g.emit(first, "xlsx-xlsxwriter", sheets(acts[:fixed] + [wrong] + acts[fixed + 1:]), "resubmission", "MER",
           status="used", superseded_by=corrected, note="first version, superseded month by month")
    g.emit(corrected, "xlsx-xlsxwriter", sheets(acts), "resubmission", "MER",
           note="corrected resubmission: same months, same row counts, one corrected value")


def _gres(g: _Gen) -> None:
    """Le Grès: small counts (3 users), the same workbook submitted twice under two names."""
    dates = {"cell": 100}
    types = {"communautaire_collectif": 60, "suivi_accompagnement": 30, "temps_reseau": 10}
    users = g.unique(lambda: g.user_row("fr", dates, place_styles={"fr": 100}), 3, order_key=_date_key)
    pros = g.unique(lambda: g.pro_row("fr", dates), 2, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("fr", dates, types), 12, order_key=_date_key)
    code = MERGED_SERVICE["code"] if g.merged else "GRE"
    name = MERGED_SERVICE["name"] if g.merged else "Le Grès"
    sheets = [_identification("fr", name, code), _Sheet("Usagers", [HEADERS_FR["users"]], users),
              _Sheet("Professionnels", [HEADERS_FR["pros"]], pros),
              _Sheet("Activités", [HEADERS_FR["activities"]], acts)]
    original = "suivi/Le Gres - suivi 2023.xlsx"
    g.emit(original, "xlsx-xlsxwriter", sheets, "duplicate_submission", code)
    g.emit("suivi/Le Gres - suivi 2023_renvoi.xlsx", "xlsx-xlsxwriter", sheets, "duplicate_submission", code,
           status="duplicate", duplicate_of=original, note="identical content sent a second time")
    a, b = g.out / original, g.out / "suivi/Le Gres - suivi 2023_renvoi.xlsx"
    b.write_bytes(a.read_bytes())  # byte-identical, whatever the writer's timestamps


def _smes(g: _Gen) -> None:
    """Smes Support: a Dutch return (.ods)."""
    dates = {"cell": 40, "dmy": 30, "nl_text": 30}
    types = {"suivi_accompagnement": 20, "prevention_rdr": 10, "supervision": 15, "intervision": 15,
             "groupe_parole": 10, "immersion": 5, "formation": 10, "temps_reseau": 15}
    users = g.unique(lambda: g.user_row("nl", dates, birth_forms=("int", "age")), 9, order_key=_date_key)
    pros = g.unique(lambda: g.pro_row("nl", dates), 8, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("nl", dates, types, duration_forms=("int", "h", "hm")), 26,
                    order_key=_date_key)
    acts += [
        _Row([f"30 februari {g.start[:4]}", "Supervisie", "In de dienst", 1, 0, 6, "1h30"], "activities",
             None, "date_invalid", note="impossible date (Dutch month name)", case="set_aside"),
        _Row([g.date_cell(dt.date.fromisoformat(g.months[1] + "-16"), "nl_text"), "Teamuitstap", "Buiten de dienst",
              4, 0, 0, "4h"], "activities", None, "activity_type_unknown", note="not an activity type",
             case="set_aside"),
    ]
    sheets = [_identification("nl", "Smes Support", None),
              _Sheet(SHEETS_NL["users"], [HEADERS_NL["users"]], users),
              _Sheet(SHEETS_NL["pros"], [HEADERS_NL["pros"]], pros),
              _Sheet(SHEETS_NL["activities"], [HEADERS_NL["activities"]], acts)]
    g.emit("suivi/Smes Support - registratie PRR 2023.ods", "ods", sheets, "dutch", "SMES")


def _dune(g: _Gen) -> None:
    """Dune: .xls (xlwt), plain French, dates as cells and serial numbers."""
    dates = {"cell": 70, "serial": 30}
    types = {"prevention_rdr": 50, "suivi_accompagnement": 35, "temps_reseau": 15}
    users = g.unique(lambda: g.user_row("fr", dates), 8, order_key=_date_key)
    pros = g.unique(lambda: g.pro_row("fr", dates), 4, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("fr", dates, types, duration_forms=("int", "comma")), 18,
                    order_key=_date_key)
    g.emit("suivi/DUNE_suivi_PRR_2023.xls", "xls",
           [_identification("fr", "Dune ASBL", "DUNE"), _Sheet("Usagers", [HEADERS_FR["users"]], users),
            _Sheet("Professionnels", [HEADERS_FR["pros"]], pros),
            _Sheet("Activités", [HEADERS_FR["activities"]], acts)], "xls", "DUNE")


def _mobiwest(g: _Gen) -> None:
    """Mobiwest: one CSV per sheet (``;``, Windows-1252), service told by the file name only."""
    dates = {"dmy": 60, "dmy2": 20, "iso": 20}
    types = {"suivi_accompagnement": 55, "prevention_rdr": 15, "temps_reseau": 20, "supervision": 10}
    users = g.unique(lambda: g.user_row("fr", dates, birth_forms=("text",)), 10, order_key=_date_key)
    for r in users:
        r.cells[2] = str(r.cells[2])
    pros = g.unique(lambda: g.pro_row("fr", dates), 6, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("fr", dates, types, duration_forms=("h", "hm", "int"),
                                           count_text=True), 20, order_key=_date_key)
    for r in acts:
        r.cells = [str(c) if isinstance(c, int) else c for c in r.cells]
    for table, rows, stem in (("users", users, "Usagers"), ("pros", pros, "Professionnels"),
                              ("activities", acts, "Activites")):
        g.emit(f"suivi/Mobiwest - {stem}.csv", "csv", [_Sheet(stem, [HEADERS_FR[table]], rows)], "csv", "MOB",
               note="one CSV per sheet; service from the file name")


def _passerelle(g: _Gen) -> None:
    """Passerelle Mobile (invented, known only from services.csv): .ods, two users."""
    dates = {"cell": 50, "dmy": 50}
    types = {"suivi_accompagnement": 60, "prevention_rdr": 25, "temps_reseau": 15}
    users = g.unique(lambda: g.user_row("fr", dates, place_styles={"fr": 100}), 2, order_key=_date_key)
    pros = g.unique(lambda: g.pro_row("fr", dates), 3, order_key=_date_key)
    acts = g.unique(lambda: g.activity_row("fr", dates, types, duration_forms=("h", "int")), 14, order_key=_date_key)
    g.emit("suivi/passerelle/PRR Passerelle Mobile 2023.ods", "ods",
           [_identification("fr", "Passerelle Mobile", "PAS"), _Sheet("Usagers", [HEADERS_FR["users"]], users),
            _Sheet("Professionnels", [HEADERS_FR["pros"]], pros),
            _Sheet("Activités", [HEADERS_FR["activities"]], acts)], "ods_new_service", "PAS",
           note="service absent from the bundled registry: needs services.csv")


def _cerises(g: _Gen) -> None:
    """Coin des Cerises: a users sheet without rows, one professional, a month without activity."""
    dates = {"cell": 100}
    types = {"communautaire_collectif": 70, "suivi_accompagnement": 30}
    pros = g.unique(lambda: g.pro_row("fr", dates), 1)
    empty_month = g.months[min(3, len(g.months) - 1)]
    months = [m for m in g.months if m != empty_month]
    acts = g.unique(lambda: g.activity_row("fr", dates, types, month=g.pick(months)), 9, order_key=_date_key)
    g.emit("suivi/Coin des Cerises PRR.xlsx", "xlsx",
           [_identification("fr", "Coin des Cerises", "CER"), _Sheet("Usagers", [HEADERS_FR["users"]], []),
            _Sheet("Professionnels", [HEADERS_FR["pros"]], pros),
            _Sheet("Activités", [HEADERS_FR["activities"]], acts)], "small_and_empty", "CER",
           note=f"no users rows; no activity in {empty_month}")


# --------------------------------------------------------------------------- census


CENSUS_HEADERS = ["SSM", "Date de la demande", "Demandeur", "Âge", "Genre", "Commune", "Public", "Suivi demandé",
                  "Issue", "Motif de réorientation", "Service de réorientation saturé", "Date du premier rendez-vous"]
REQUESTER_RAW = {("personne", None): ["La personne elle-même", "personne"], ("proche", None): ["Un proche", "famille"],
                 ("professionnel", "sante_generale"): ["Professionnel - santé générale"],
                 ("professionnel", "aide_sociale_generale"): ["Professionnel - CPAS"],
                 ("professionnel", "sante_mentale"): ["Professionnel - santé mentale"],
                 ("professionnel", "enseignement"): ["Professionnel - enseignement"]}
PUBLIC_RAW = {"enfant": "Enfant", "adolescent": "Adolescent", "adulte": "Adulte", "personne_agee": "Personne âgée"}
FOLLOWUP_RAW = {"psychologique": "Psychologique", "psychiatrique": "Psychiatrique",
                "pedopsychiatrique": "Pédopsychiatrique", "logopedique": "Logopédique", "social": "Social",
                "psychomoteur": "Psychomoteur", "autre": "Autre"}
OUTCOME_RAW = {"suivi_propose": "Suivi proposé", "liste_attente": "Liste d'attente", "reorientation": "Réorientation",
               "sans_suite": "Sans suite"}
REASON_RAW = {"saturation": "Manque de disponibilité (saturation)", "hors_mission": "Demande hors mission / inadéquate",
              "autre": "Autre"}
YES_NO_RAW = {"oui": "oui", "non": "non", "inconnu": "inconnu"}


def _census(g: _Gen) -> None:
    """A census extract: demands in the wave months of the period, a few after the wave (set aside)."""
    waves = _ref("census_waves")
    in_wave = [(m, w["code"]) for m in g.months for w in waves if w["start"] <= m <= w["end"]]
    outside = [m for m in g.months if not any(w["start"] <= m <= w["end"] for w in waves)]
    rows: list[_Row] = []

    def demand(month: str, wave: str) -> _Row:
        d = g.day(month)
        svc = g.pick(CENSUS_SERVICES)
        who = g.weighted({("personne", None): 45, ("proche", None): 20, ("professionnel", "sante_generale"): 15,
                          ("professionnel", "aide_sociale_generale"): 8, ("professionnel", "sante_mentale"): 8,
                          ("professionnel", "enseignement"): 4})
        public = g.weighted({"enfant": 20, "adolescent": 15, "adulte": 55, "personne_agee": 10})
        age = {"enfant": (4, 11), "adolescent": (12, 17), "adulte": (18, 64), "personne_agee": (65, 90)}[public]
        age = g.rng.randint(*age)
        gender = g.weighted({"F": 56, "H": 42, "X": 2})
        place = g.place({"fr": 70, "postal": 15, "messy": 5, "outside": 5, "unknown": 5})
        follow = g.weighted({"psychologique": 50, "psychiatrique": 20, "pedopsychiatrique": 8, "logopedique": 7,
                             "social": 8, "psychomoteur": 3, "autre": 4})
        outcome = g.weighted({"suivi_propose": 45, "liste_attente": 25, "reorientation": 22, "sans_suite": 8})
        reason = g.weighted({"saturation": 55, "hors_mission": 30, "autre": 15}) if outcome == "reorientation" else None
        full = g.weighted({"oui": 40, "non": 35, "inconnu": 25}) if outcome == "reorientation" else None
        first = d + dt.timedelta(days=g.rng.randint(3, 40)) if outcome == "suivi_propose" else None
        cells = [svc if g.rng.random() < 0.8 else svc.lower(), g.date_cell(d, g.weighted({"cell": 70, "dmy": 30})),
                 g.pick(REQUESTER_RAW[who]), age if g.rng.random() < 0.8 else f"{age} ans",
                 g.pick(GENDER_FR[gender]), place.raw, PUBLIC_RAW[public], FOLLOWUP_RAW[follow], OUTCOME_RAW[outcome],
                 REASON_RAW.get(reason), YES_NO_RAW.get(full), first]
        expected = {"wave": wave, "service_code": svc, "demand_date": d, "requester": who[0],
                    "requester_sector": who[1], "first_line": g.census_first_line[who[0]], "age": age,
                    "gender": gender, "commune_nis": place.nis, "residence": place.residence, "public": public,
                    "followup_requested": follow, "outcome": outcome, "reorientation_reason": reason,
                    "destination_full": full, "first_appointment": first}
        return _Row(cells, "census", expected)

    if in_wave:
        rows = g.unique(lambda: demand(*g.pick(in_wave)), 36, order_key=_date_key)
        bad = demand(*in_wave[0])
        bad.cells[8] = None
        bad.cells[9] = bad.cells[10] = bad.cells[11] = None
        rows.append(_Row(bad.cells, "census", None, "outcome_missing", note="no outcome", case="set_aside"))
    for month in outside[:3]:
        late = demand(month, "")
        rows.append(_Row(late.cells, "census", None, "date_out_of_wave",
                         note=f"demand in {month}, after the census wave", case="census"))
    sheet = _Sheet("Demandes", [["Recensement des nouvelles demandes – extrait"], CENSUS_HEADERS], rows)
    g.emit("recensement/Recensement nouvelles demandes - extrait 2023.xlsx", "xlsx", [sheet], "census", None,
           instrument="census")
    # the service of a census row is the one written in it
    for rec, r in zip([x for x in g.rows if x["table"] == "census"], rows, strict=True):
        rec["service_code"] = str(r.cells[0]).upper()


# --------------------------------------------------------------------------- registry override


def _write_services(g: _Gen) -> None:
    """``services.csv`` at the root of the raw folder: the subset re-funded for the period, PAS, census SSMs."""
    bundled = {r["code"]: r for r in _ref("services")}
    columns = list(next(iter(bundled.values())))
    out = []
    for code in REGISTRY_SUBSET:
        if g.merged and code in MERGED_FROM:
            continue
        row = dict(bundled[code])
        row.update(funded_from=g.start, funded_to=g.end, source="new-period test dataset (re-funded subset)")
        out.append(row)
    out.append({**{c: "" for c in columns}, **NEW_SERVICE, "funded_from": g.start, "funded_to": g.end,
                "source": "new-period test dataset (invented service)"})
    if g.merged:
        out.append({**{c: "" for c in columns}, **MERGED_SERVICE, "funded_from": g.start, "funded_to": g.end,
                    "source": "new-period test dataset (merged service)"})
    out += [dict(bundled[c]) for c in CENSUS_SERVICES]
    with open(g.out / "services.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(out)
    g.files.append({"source_file": "services.csv", "format": "csv", "instrument": "registry", "service_code": None,
                    "status": "registry", "case": "ods_new_service",
                    "note": "registry override (same columns as data/reference/services.csv), not data"})
    if g.merged:
        with open(g.out / "code_changes.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["domain", "old_code", "new_code", "since", "note"])
            for old in MERGED_FROM:
                w.writerow(["services", old, MERGED_SERVICE["code"], g.start,
                            "Le Grès et Coin des Cerises ont fusionné"])
        g.files.append({"source_file": "code_changes.csv", "format": "csv", "instrument": "registry",
                        "service_code": None, "status": "registry", "case": "merged_services",
                        "note": "codes changed since earlier editions (same columns as "
                                "data/reference/code_changes.csv), not data"})


# --------------------------------------------------------------------------- entry point


def write_new_period(out_dir: Path, seed: int = 0, start: str = "2023-01", end: str = "2023-06",
                     with_tracking: bool = True, with_census: bool = True, merged_services: bool = False) -> Truth:
    """Write a new-period raw folder into ``out_dir`` and return (and store) its truth.

    ``out_dir`` must be empty or absent. The truth is also written to
    ``out_dir/.truth/`` (hidden: never read by the pipeline). The period must
    span at least three months. ``merged_services``: Le Grès and Coin des Cerises send as one merged
    service with a new code (:data:`MERGED_SERVICE`), declared in the raw folder's ``services.csv`` and
    ``code_changes.csv`` (for the comparison with earlier editions).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    g = _Gen(out_dir, seed, start, end)
    g.merged = merged_services
    if len(g.months) < 3:
        raise ValueError("the new-period dataset needs a period of at least three months")
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_services(g)
    if with_tracking:
        for build in (_norois, _meridien, _gres, _smes, _dune, _mobiwest, _passerelle, _cerises):
            if not (merged_services and build is _cerises):
                build(g)
    if with_census:
        _census(g)
    truth = g.truth()
    truth.write(out_dir / ".truth")
    return truth
