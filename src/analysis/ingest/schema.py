"""What a clean row is: the columns of every clean table, their types and allowed values.

This module is the contract between cleaning (``analysis.ingest.clean``), the example
generator, the analyses and the codebook annex of the report. Each column is a
:class:`Column`; :func:`pandera_schema` turns a table's columns into a pandera
schema that the cleaning validates its output with.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import reference

#: The clean tables that hold data rows (the others describe files and submissions).
DATA_TABLES = ("users", "pros", "activities", "census")
#: Columns that record where rows came from and change when a workbook is re-saved with the same
#: values (the file's hash). The pipeline leaves them out of a table's content key and the
#: analyses never see them (so their results cannot depend on them); they stay in the parquet
#: files for the quality annex, the run summary and ``prr check``.
PROVENANCE_COLUMNS: dict[str, tuple[str, ...]] = {"files": ("sha256",)}
#: Environment variable the pipeline sets for an analysis kernel: the clean tables its notebook
#: declares in its ``# reads: …`` line (comma-separated); ``load_clean`` loads only those.
READS_ENV = "PRR_CLEAN_READS"
#: French names of the data tables (and of the file level) in messages and the quality annex.
TABLES_FR = {
    "users": "usagers", "pros": "professionnels", "activities": "activités", "census": "recensement",
    "file": "fichiers et feuilles",
}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # pandas dtype of the clean table
    label_fr: str
    domain: str | None = None  # reference code list the values come from
    nullable: bool = True
    min: float | None = None
    max: float | None = None


def _trace() -> list[Column]:
    """Where each clean row comes from (file, sheet, Excel row number, 1-based)."""
    return [
        Column("source_file", "string", "Fichier d'origine (chemin relatif au dossier brut)", nullable=False),
        Column("sheet", "string", "Feuille d'origine", nullable=False),
        Column("row", "int64", "Numéro de ligne dans la feuille (comme dans le tableur)", nullable=False, min=1),
    ]


TABLES: dict[str, list[Column]] = {
    "users": [
        Column("service_code", "string", "Service (code du registre)", "services", nullable=False),
        *_trace(),
        Column("first_contact", "datetime64[ns]", "Date du premier contact", nullable=False),
        Column("month", "string", "Mois du premier contact (AAAA-MM)", nullable=False),
        Column("gender", "string", "Genre", "genders"),
        Column("birth_year", "Int64", "Année de naissance", min=1900, max=2030),
        Column("age", "Int64", "Âge au premier contact (années)", min=0, max=120),
        Column("commune_nis", "string", "Commune de résidence (code INS), vide si hors Bruxelles ou inconnue", "communes"),
        Column("residence", "string", "Résidence : bruxelles, hors_bruxelles ou inconnu", "regions", nullable=False),
        Column("basin", "string", "Bassin d'aide et de soins (vide si indéterminé)"),
        Column("income_source", "string", "Source principale de revenus", "income_sources", nullable=False),
        Column("referrer", "string", "Envoyeur", "referrers", nullable=False),
        Column("first_line", "boolean", "Demande de première ligne (personne ou entourage)"),
    ],
    "pros": [
        Column("service_code", "string", "Service (code du registre)", "services", nullable=False),
        *_trace(),
        Column("first_contact", "datetime64[ns]", "Date du premier contact", nullable=False),
        Column("month", "string", "Mois du premier contact (AAAA-MM)", nullable=False),
        Column("requesting_service", "string", "Type de service demandeur", "requesting_services", nullable=False),
        Column("origin_region", "string", "Région du service demandeur", "regions", nullable=False),
        Column("origin_commune_nis", "string", "Commune du service demandeur (code INS)", "communes"),
    ],
    "activities": [
        Column("service_code", "string", "Service (code du registre)", "services", nullable=False),
        *_trace(),
        Column("date", "datetime64[ns]", "Date de l'activité", nullable=False),
        Column("month", "string", "Mois de l'activité (AAAA-MM)", nullable=False),
        Column("activity_type", "string", "Type d'activité", "activity_types", nullable=False),
        Column("axis", "string", "Axe", "axes", nullable=False),
        Column("place", "string", "Lieu d'intervention", "places"),
        Column("workers", "Int64", "Travailleur·euse·s mobilisé·e·s", min=0, max=100),
        Column("users_present", "Int64", "Usager·e·s présent·e·s", min=0, max=1000),
        Column("pros_present", "Int64", "Professionnel·le·s présent·e·s (hors équipe)", min=0, max=1000),
        Column("duration_min", "Float64", "Durée (minutes)", min=0, max=24 * 60),
    ],
    "census": [
        Column("wave", "string", "Vague du recensement", "census_waves", nullable=False),
        Column("service_code", "string", "SSM (code pseudonyme)", "services", nullable=False),
        *_trace(),
        Column("demand_date", "datetime64[ns]", "Date de la demande", nullable=False),
        Column("requester", "string", "Demandeur", "census_requesters"),
        Column("requester_sector", "string", "Secteur du demandeur professionnel", "referrers"),
        Column("first_line", "boolean", "Demande de première ligne (personne ou proche)"),
        Column("age", "Int64", "Âge (années ; milieu de la tranche si donnée en tranche)", min=0, max=120),
        Column("gender", "string", "Genre", "genders"),
        Column("commune_nis", "string", "Commune de résidence (code INS)", "communes"),
        Column("residence", "string", "Résidence : bruxelles, hors_bruxelles ou inconnu", "regions", nullable=False),
        Column("public", "string", "Public", "publics"),
        Column("followup_requested", "string", "Suivi demandé", "followups"),
        Column("outcome", "string", "Issue de la demande", "census_outcomes", nullable=False),
        Column("reorientation_reason", "string", "Motif de réorientation", "reorientation_reasons"),
        Column("destination_full", "string", "Service de réorientation lui-même saturé", "yes_no_unknown"),
        Column("first_appointment", "datetime64[ns]", "Date du premier rendez-vous (vide si aucun à la fin du recensement)"),
    ],
    "submissions": [
        Column("service_code", "string", "Service (code du registre)", "services", nullable=False),
        Column("month", "string", "Mois (AAAA-MM)", nullable=False),
        Column("returned_activities", "boolean", "Au moins une activité encodée pour ce mois", nullable=False),
        Column("returned_users", "boolean", "Au moins une nouvelle demande d'usager encodée pour ce mois", nullable=False),
        Column("returned_pros", "boolean", "Au moins une nouvelle demande de professionnel encodée pour ce mois", nullable=False),
        Column("files", "string", "Fichiers retenus pour ce service (séparés par « ; »)"),
    ],
    "rejected": [
        Column("table", "string", "Table visée (users, pros, activities, census, file)", nullable=False),
        *_trace()[:2],
        Column("row", "Int64", "Numéro de ligne (vide pour un fichier ou une feuille entière)"),
        Column("reason", "string", "Motif de mise à l'écart (code)", nullable=False),
        Column("detail", "string", "Détail lisible, en français"),
        Column("service_code", "string", "Service, s'il a pu être identifié"),
    ],
    "files": [
        Column("source_file", "string", "Fichier (chemin relatif au dossier brut)", nullable=False),
        Column("sha256", "string", "Empreinte SHA-256 du fichier", nullable=False),
        Column("instrument", "string", "Instrument : tracking, census ou inconnu", nullable=False),
        Column("service_code", "string", "Service identifié dans le classeur"),
        Column("status", "string", "used, duplicate, unreadable ou unrecognised (service ou contenu non reconnu)", nullable=False),
        Column("detail", "string", "Motif, si le fichier n'est pas utilisé"),
    ],
    "accounting": [
        Column("source_file", "string", "Fichier", nullable=False),
        Column("sheet", "string", "Feuille", nullable=False),
        Column("table", "string", "Table visée", nullable=False),
        Column("raw_rows", "int64", "Lignes brutes (hors en-tête)", nullable=False, min=0),
        Column("clean_rows", "int64", "Lignes retenues", nullable=False, min=0),
        Column("rejected_rows", "int64", "Lignes mises à l'écart", nullable=False, min=0),
    ],
}


def can_be_missing(table: str, column: str) -> bool:
    """Whether a clean row of ``table`` may leave ``column`` empty (a mandatory column never does: its
    « not given » row would be a structural zero, known to every reader of the data dictionary)."""
    return next(c.nullable for c in TABLES[table] if c.name == column)


def columns(table: str) -> list[str]:
    """Column names of a clean table, in order."""
    return [c.name for c in TABLES[table]]


def allowed_values(col: Column) -> list[str] | None:
    """Allowed values of a coded column, from the reference tables."""
    if col.domain is None:
        return None
    if col.domain == "communes":
        return reference.communes()["nis_code"].tolist()
    if col.domain == "services":
        return reference.services()["code"].tolist()
    return reference.codes(col.domain)


def empty_frame(table: str) -> pd.DataFrame:
    """An empty clean table with the right columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in TABLES[table]})


def pandera_schema(table: str):
    """Build the pandera schema of a clean table (strict column set and order)."""
    import pandera.pandas as pa

    cols = {}
    for c in TABLES[table]:
        checks = []
        allowed = allowed_values(c)
        if allowed is not None:
            checks.append(pa.Check.isin(allowed))
        if c.min is not None:
            checks.append(pa.Check.ge(c.min))
        if c.max is not None:
            checks.append(pa.Check.le(c.max))
        cols[c.name] = pa.Column(c.dtype, checks=checks, nullable=c.nullable)
    return pa.DataFrameSchema(cols, strict=True, ordered=True, coerce=False)


def validate(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Validate a clean table against its schema; raise pandera's error listing failures."""
    return pandera_schema(table).validate(df, lazy=True)


def codebook() -> pd.DataFrame:
    """One row per variable: table, name, type, French label, allowed values."""
    rows = []
    for table, cols in TABLES.items():
        for c in cols:
            allowed = allowed_values(c)
            if allowed is not None and c.domain not in ("communes", "services"):
                values = ", ".join(allowed)
            elif c.domain == "communes":
                values = "code INS d'une des 19 communes"
            elif c.domain == "services":
                values = "code du registre des services"
            elif c.min is not None or c.max is not None:
                values = f"{c.min:g} à {c.max:g}" if c.min is not None and c.max is not None else ""
            else:
                values = ""
            rows.append(
                {
                    "table": table,
                    "variable": c.name,
                    "type": c.dtype,
                    "description": c.label_fr,
                    "valeurs": values,
                    "obligatoire": "oui" if not c.nullable else "non",
                }
            )
    return pd.DataFrame(rows)
