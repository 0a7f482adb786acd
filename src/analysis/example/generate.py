"""The synthetic example dataset (``prr example``): calibrated truth rendered as messy raw files.

:func:`write_example` draws the clean truth (:mod:`analysis.example.truth`),
renders it as the workbooks and census files services really send
(:mod:`analysis.example.mess`, :mod:`analysis.example.files`) and writes them
under ``out_dir``:

- ``suivi/``: one tracking workbook per funded service for 2021-09 → 2022-04
  (some services split the period in two files), mostly ``.xlsx``, a few
  ``.xlsm`` and ``.ods``, plus the bad and redundant files real returns contain
  (an identical copy, a CSV saved as ``.xlsx``, a truncated file, a
  password-protected copy, an Excel lock file, a month sent again);
- ``recensement/``: the saturation census, one file per wave (``.xlsx`` and a
  ``;``-separated CSV in Windows-1252);
- ``README.md`` saying the data are synthetic, and a hidden manifest of the
  files written so that the next run deletes those files only.

At ``scale=1`` the cleaning of these files gives back the truth exactly, and
the truth reproduces the printed figures (see ``docs/example-data.md``). Other
scales multiply the data for benchmarks: one workbook per service and month,
census files per wave and month; they are not calibrated. Everything is drawn
from ``seed``: two runs write byte-identical files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import reference
from analysis.config import EXAMPLE_END, EXAMPLE_START
from analysis.example import files as ef
from analysis.example import mess as em
from analysis.example import truth as et
from analysis.ingest import rawformat

MANIFEST = ".prr-example-files.json"
TRACKING_DIR = "suivi"
CENSUS_DIR = "recensement"
README = "README.md"
#: The researcher's choice between two submissions of one service (see analysis.ingest.resubmissions):
#: Rézone's corrected January–April file repeats part of December by mistake; the complete December
#: is the one of the September–December file.
REPLACEMENTS = "remplacements.csv"
REPLACEMENTS_TEXT = (
    "fichier_retenu;fichier_remplacé;motif\n"
    "Rézone suivi PRR sept-déc.xlsx;Rézone suivi PRR janv-avr (corrigé).xlsx;"
    "décembre renvoyé en partie par erreur dans le fichier corrigé : le mois complet est dans sept-déc\n"
)
SYNTHETIC_NOTICE = "Données synthétiques – ne décrivent l'activité d'aucun service réel"
PASSWORD = "prr2022"
#: Share of a month's rows sent again in a later file (the "month submitted twice").
RESENT_SHARE = 0.4
#: Scale of the injected row-level mess (1 = the rates of ``example_mess.style_for``).
MESSY = 1.0
#: Share of census ages written as a band (``18-25 ans``).
CENSUS_AGE_BAND_RATE = 0.12
#: Census stream's stream number in the seed sequence (tracking files use their index).
_STREAM_TRUTH_FIX, _STREAM_FILES, _STREAM_CENSUS = 1, 2, 3


# --------------------------------------------------------------------------- plan of files


@dataclass
class WorkbookPlan:
    """One tracking workbook: whose, which months, format, and the quirks of that service."""

    path: str
    service: str
    months: str = "12345678"  # month numbers of the period the file covers
    fmt: str = "xlsx"  # xlsx | xlsm | ods
    id_name: str | None = ""  # name written in Identification; "" = registry name; None = no sheet
    id_code: bool = False  # Code service filled in
    sheets: dict[str, str | None] = field(default_factory=dict)  # table → sheet name (None: sheet missing)
    overrides: dict[str, dict] = field(default_factory=dict)  # table → SheetStyle fields
    lists_sheet: bool = False  # the template's hidden Listes sheet is still there
    resend: str | None = None  # month number whose rows (part of) are sent again in this file
    resend_from: str | None = None  # path of the file holding that month


def _calibrated_plan() -> list[WorkbookPlan]:
    """The tracking workbooks of the calibrated example (scale 1), with each service's quirks."""
    t = TRACKING_DIR
    return [
        WorkbookPlan(f"{t}/Outil de suivi PRR - CGE 2021-2022.xlsx", "CGE", id_name="Centre de guidance Etterbeek",
                     id_code=True, lists_sheet=True),
        WorkbookPlan(f"{t}/suivi PRR Chapelle-aux-Champs.xlsx", "CAC", id_name="Chapelle aux Champs",
                     sheets={"activities": "Activites"},
                     overrides={"activities": {"header_variant_rate": 1.0, "title_row": True}}),
        WorkbookPlan(f"{t}/PRR_SSM_Champs_de_la_Couronne_avril2022.xlsx", "CDC", id_name="SSM Champ de la Couronne"),
        WorkbookPlan(f"{t}/PRR D'Ici et D'Ailleurs sept-dec 2021.xlsx", "DIA", months="1234",
                     id_name="SSM d'ici et d'ailleurs"),
        WorkbookPlan(f"{t}/PRR D'Ici et D'Ailleurs janv-avril 2022.xlsx", "DIA", months="5678", id_name=None),
        WorkbookPlan(f"{t}/Outil suivi Le Méridien.xlsx", "MER", id_name="SSM le Meridien"),
        WorkbookPlan(f"{t}/Babel'zin - outil de suivi PRR.ods", "GRE", fmt="ods", id_name="Babel'zin",
                     overrides={"activities": {"duplicate_rate": 0.01, "blank_rows": 2}}),
        WorkbookPlan(f"{t}/Copie de outil suivi PRR - Primavera.xlsx", "NCP", id_name="Nouveau Centre Primavera",
                     sheets={"activities": "ACTIVITÉS"}),
        WorkbookPlan(f"{t}/Copie de outil suivi PRR - Norois (2).xlsx", "NOR", id_name="SSM le Norois",
                     overrides={"activities": {"total_row": True}, "users": {"title_row": True}}),
        WorkbookPlan(f"{t}/SMES outil de suivi PRR 2021-2022.xlsm", "SMES", fmt="xlsm", id_name="Smes-Support",
                     id_code=True, lists_sheet=True,
                     overrides={"pros": {"reorder": True, "comment_col": True}}),
        WorkbookPlan(f"{t}/L'Equipe - suivi PRR.xlsx", "EQU", id_name="L'Équipe",
                     overrides={"activities": {"title_row": True, "reorder": True, "comment_col": True,
                                               "header_variant_rate": 0.6}}),
        WorkbookPlan(f"{t}/Rézone suivi PRR sept-déc.xlsx", "REZ", months="1234", id_name="Rézone"),
        WorkbookPlan(f"{t}/Rézone suivi PRR janv-avr (corrigé).xlsx", "REZ", months="5678", id_name="Rezone",
                     resend="4", resend_from=f"{t}/Rézone suivi PRR sept-déc.xlsx"),
        WorkbookPlan(f"{t}/LBSM outil PRR.xlsm", "LBSM", fmt="xlsm", id_name="LBSM", id_code=True,
                     sheets={"pros": None}),
        WorkbookPlan(f"{t}/Coin des Cerises PRR 2021.xlsx", "CER", months="1234", id_name="Le Coin des Cerises"),
        WorkbookPlan(f"{t}/Coin des Cerises PRR 2022.ods", "CER", months="5678", fmt="ods",
                     id_name="Coin des Cerises", sheets={"activities": "activités 2022"}),
        WorkbookPlan(f"{t}/Outil suivi PRR Triangle.xlsx", "MST", id_name="Maison médicale du Triangle",
                     sheets={"users": "Usagers 2021-2022"}),
        WorkbookPlan(f"{t}/IFISAM_PRR_suivi.xlsx", "IFISAM", id_name="IFISAM", id_code=True, lists_sheet=True),
        WorkbookPlan(f"{t}/outil de suivi Mobiwest 2021-2022 FINAL.xlsx", "MOB", id_name="Mobi West",
                     overrides={"users": {"comment_col": True, "blank_rows": 1}}),
        WorkbookPlan(f"{t}/Tableau PRR Dune ASBL v3.xlsx", "DUNE", id_name="asbl Dune"),
    ]


@dataclass(frozen=True)
class Decoy:
    """A redundant or broken file derived from a good one."""

    kind: str  # copy | csv_as_xlsx | truncated | encrypted | lock
    path: str
    source: str


def _calibrated_decoys() -> list[Decoy]:
    t = TRACKING_DIR
    return [
        Decoy("copy", f"{t}/outil de suivi Mobiwest 2021-2022 FINAL (1).xlsx",
              f"{t}/outil de suivi Mobiwest 2021-2022 FINAL.xlsx"),
        Decoy("csv_as_xlsx", f"{t}/export activites Norois.xlsx", f"{t}/Copie de outil suivi PRR - Norois (2).xlsx"),
        Decoy("truncated", f"{t}/PRR_SSM_Champs_de_la_Couronne_mars2022.xlsx",
              f"{t}/PRR_SSM_Champs_de_la_Couronne_avril2022.xlsx"),
        Decoy("encrypted", f"{t}/Outil suivi Le Méridien (protégé).xlsx", f"{t}/Outil suivi Le Méridien.xlsx"),
        Decoy("lock", f"{t}/~$Copie de outil suivi PRR - Norois (2).xlsx",
              f"{t}/Copie de outil suivi PRR - Norois (2).xlsx"),
    ]


def _scaled_plan() -> list[WorkbookPlan]:
    """Benchmark layout: one workbook per service and month it returned."""
    services = reference.services().set_index("code")["name"]
    formats = ("xlsx", "xlsx", "xlsx", "xlsm", "xlsx", "ods")
    plans = []
    for k, (service, months) in enumerate(sorted(et.PARTICIPATION.items())):
        for m in months:
            month = et.months_of()[int(m) - 1]
            fmt = formats[(k + int(m)) % len(formats)]
            plans.append(WorkbookPlan(f"{TRACKING_DIR}/{service}/outil suivi PRR {services[service]} {month}.{fmt}",
                                      service, months=m, fmt=fmt, id_code=True))
    return plans


# --------------------------------------------------------------------------- truth as written


def example_truth(scale: float = 1.0, seed: int = 2022) -> et.Truth:
    """The clean truth the written files encode (what the cleaning must give back).

    It is :func:`analysis.example.truth.build_truth` with one rendering
    decision folded in: census ages written as a band (``18-25 ans``) are read
    by the cleaning as the band's midpoint, so the truth holds that midpoint.
    """
    truth = et.build_truth(scale, seed)
    rng = np.random.default_rng([seed, _STREAM_TRUTH_FIX])
    banded, read = em.band_ages(rng, truth.census["age"], CENSUS_AGE_BAND_RATE)
    census = truth.census.copy()
    census["age"] = pd.array([None if np.isnan(v) else int(v) for v in read], dtype="Int64")
    census["_banded"] = banded
    truth.census = census
    return truth


def truth_tables(truth: et.Truth) -> dict[str, pd.DataFrame]:
    """The truth's four data tables without helper columns."""
    return {name: truth.table(name)[et.truth_columns(name)] for name in ("users", "pros", "activities", "census")}


# --------------------------------------------------------------------------- workbooks


def _month_numbers(months: str) -> list[str]:
    all_months = et.months_of()
    return [all_months[int(m) - 1] for m in months]


def _style(rng: np.random.Generator, table: str, overrides: dict, messy: float) -> em.SheetStyle:
    style = em.style_for(rng, table, messy)
    return replace(style, **overrides.get(table, {}))


def _identification_sheet(plan: WorkbookPlan) -> ef.SheetSpec:
    name = plan.id_name or reference.services().set_index("code").loc[plan.service, "name"]
    period = _month_numbers(plan.months)
    first, last = pd.Period(period[0], freq="M"), pd.Period(period[-1], freq="M")
    rows = [
        ["Outil de suivi PRR – Identification du service", None],
        [None, None],
        ["Service", name],
        ["Code service", plan.service if plan.id_code else None],
        ["Période", f"{em.FRENCH_MONTHS[first.month - 1]} {first.year} – {em.FRENCH_MONTHS[last.month - 1]} {last.year}"],
        [None, None],
        [SYNTHETIC_NOTICE, None],
    ]
    return ef.SheetSpec("Identification", rows, widths=[30, 45])


def _lists_sheet() -> ef.SheetSpec:
    cols = [list(reference.labels(d).values()) for d in ("activity_types", "places", "genders", "referrers")]
    depth = max(len(c) for c in cols)
    rows = [[c[i] if i < len(c) else None for c in cols] for i in range(depth)]
    return ef.SheetSpec("Listes", rows, hidden=True)


def _sheet_rows(rng: np.random.Generator, table: str, df: pd.DataFrame, style: em.SheetStyle,
                inject: bool = True) -> tuple[list[list], dict[str, int]]:
    rendered = em.render_sheet(rng, table, df, style, (EXAMPLE_START, EXAMPLE_END), inject=inject)
    return rendered.rows, rendered.injected


def _tracking_sheets(plan: WorkbookPlan, truth: et.Truth, rng: np.random.Generator, messy: float,
                     resent: pd.DataFrame | None) -> tuple[list[ef.SheetSpec], dict]:
    months = _month_numbers(plan.months)
    sheets: list[ef.SheetSpec] = []
    if plan.id_name is not None:
        sheets.append(_identification_sheet(plan))
    injected: dict = {}
    for raw in (rawformat.USERS, rawformat.PROS, rawformat.ACTIVITIES):
        table = raw.table
        name = plan.sheets.get(table, raw.name)
        if name is None:
            continue
        df = truth.table(table)
        df = df[(df["service_code"] == plan.service) & df["month"].isin(months)]
        if table == "activities" and resent is not None:
            df = pd.concat([resent, df], ignore_index=True)
        style = _style(rng, table, plan.overrides, messy)
        rows, kinds = _sheet_rows(rng, table, df.reset_index(drop=True), style)
        injected[table] = kinds
        widths = [14.0] * max(len(r) for r in rows)
        sheets.append(ef.SheetSpec(name, rows, widths=widths))
    if plan.lists_sheet:
        sheets.append(_lists_sheet())
    return sheets, injected


def _write_workbook(path: Path, fmt: str, sheets: list[ef.SheetSpec]) -> Path:
    if fmt == "ods":
        return ef.write_ods(path, sheets)
    return ef.write_xlsx(path, sheets)


def _resent_rows(plan: WorkbookPlan, truth: et.Truth, rng: np.random.Generator) -> pd.DataFrame | None:
    """Part of a month already sent in an earlier file, sent again (set aside by the cleaning)."""
    if plan.resend is None:
        return None
    month = _month_numbers(plan.resend)[0]
    act = truth.activities
    rows = act[(act["service_code"] == plan.service) & (act["month"] == month)]
    k = max(1, int(len(rows) * RESENT_SHARE))
    if k >= len(rows):
        return None
    return rows.iloc[np.sort(rng.choice(len(rows), k, replace=False))]


# --------------------------------------------------------------------------- census files


def _census_files(truth: et.Truth, scale: float) -> list[tuple[str, str, pd.DataFrame]]:
    """(path, format, rows) of the census files: one per wave, or per wave and month when scaled."""
    census = truth.census
    waves = reference.table("census_waves").set_index("code")
    out = []
    for k, wave in enumerate(waves.index):
        rows = census[census["wave"] == wave]
        start, end = waves.loc[wave, "start"], waves.loc[wave, "end"]
        fmt = "xlsx" if k % 2 == 0 else "csv"
        label = f"{start[:4]}-{end[:4]}"
        if scale == 1:
            name = (f"Recensement nouvelles demandes vague {k + 1} ({label}).xlsx" if fmt == "xlsx"
                    else f"recensement_{label}_export.csv")
            out.append((f"{CENSUS_DIR}/{name}", fmt, rows))
        else:
            month = rows["demand_date"].dt.strftime("%Y-%m")
            for m in sorted(month.unique()):
                out.append((f"{CENSUS_DIR}/recensement vague {k + 1} {m}.{fmt}", fmt, rows[month == m]))
    return out


def _census_rows(rng: np.random.Generator, rows: pd.DataFrame, fmt: str, wave_period: tuple[str, str],
                 messy: float) -> tuple[list[list], dict]:
    style = em.style_for(rng, "census", messy)
    style = replace(style, csv=(fmt == "csv"), header_variant_rate=0.5, comment_col=(fmt == "xlsx"),
                    title_row=(fmt == "xlsx"), total_row=(fmt == "xlsx"), blank_rows=2,
                    out_of_period_rate=0.004 * messy, impossible_date_rate=0.001 * messy,
                    missing_field_rate=0.001 * messy, duplicate_rate=0.002 * messy,
                    date_styles={"cell": 0.8, "dmy": 0.1, "serial": 0.1} if fmt == "xlsx"
                    else {"dmy": 0.75, "dmy2": 0.1, "iso": 0.1, "text": 0.05})
    rendered = em.render_sheet(rng, "census", rows.reset_index(drop=True), style, wave_period,
                               extra={"banded": rows["_banded"].to_numpy()})
    return rendered.rows, rendered.injected


LEGEND_ROWS = [
    ["Légende du recensement"],
    ["Demandeur : la personne, un proche, ou un professionnel (préciser le secteur)"],
    ["Issue : suivi proposé, liste d'attente, réorientation, sans suite"],
    ["Motif : manque de disponibilité, hors mission, autre"],
    [SYNTHETIC_NOTICE],
]


# --------------------------------------------------------------------------- README and manifest

README_TEXT = """# Données d'exemple SYNTHÉTIQUES

Tous les fichiers de ce dossier sont **synthétiques** : ils ont été produits par
`prr example` (module `analysis.example.generate`, graine {seed}, échelle {scale:g}) et ne
décrivent l'activité d'aucun service réel. Les noms de services sont ceux du
registre public des projets PRR, mais chaque chiffre, chaque date et chaque
ligne sont tirés au hasard.

Les fichiers imitent les retours réels, désordre compris (en-têtes variés,
dates en tous formats, doublons, fichiers illisibles) : c'est voulu, la chaîne
de nettoyage doit s'en accommoder. Le nettoyage de ce dossier redonne
exactement les chiffres imprimés du rapport PRR 2022 (voir
`docs/example-data.md`).

- `suivi/` : classeurs de suivi des {n_services} services financés, 2021-09 → 2022-04 ;
- `recensement/` : recensement des nouvelles demandes dans les SSM, deux vagues.
{replacements}
Ne pas modifier à la main : relancer `prr example` régénère ce dossier à
l'identique (octet pour octet).
"""


def _wipe_previous(out_dir: Path) -> None:
    """Delete the files listed in the manifest of an earlier run (and nothing else)."""
    manifest = out_dir / MANIFEST
    if not manifest.exists():
        return
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        listed = []
    for rel in listed:
        path = (out_dir / rel).resolve()
        if out_dir.resolve() in path.parents and path.is_file():
            path.unlink()
    for sub in sorted({(out_dir / rel).parent for rel in listed}, key=lambda p: -len(p.parts)):
        if sub != out_dir and sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
    manifest.unlink()


# --------------------------------------------------------------------------- entry point


def _write_tracking(out_dir: Path, truth: et.Truth, plan: WorkbookPlan, index: int, seed: int) -> Path:
    """Render and write one tracking workbook (its own random stream: order-independent)."""
    rng = np.random.default_rng([seed, _STREAM_FILES, index])
    resent = _resent_rows(plan, truth, rng)
    sheets, _ = _tracking_sheets(plan, truth, rng, MESSY, resent)
    return _write_workbook(out_dir / plan.path, plan.fmt, sheets)


def _write_census(out_dir: Path, truth: et.Truth, rel: str, fmt: str, rows: pd.DataFrame, index: int,
                  seed: int, legend: bool) -> Path:
    """Render and write one census file."""
    rng = np.random.default_rng([seed, _STREAM_CENSUS, index])
    waves = reference.table("census_waves").set_index("code")
    wave = rows["wave"].iloc[0]
    data, _ = _census_rows(rng, rows, fmt, (waves.loc[wave, "start"], waves.loc[wave, "end"]), MESSY)
    if fmt == "csv":
        return ef.write_bytes(out_dir / rel, ef.csv_bytes(data, encoding="cp1252"))
    sheets = [ef.SheetSpec("Recensement", data, widths=[14.0] * len(data[0]))]
    if legend:
        sheets.append(ef.SheetSpec("Légende", LEGEND_ROWS, widths=[80.0]))
    return ef.write_xlsx(out_dir / rel, sheets)


#: Truth shared with forked worker processes (benchmark scales only).
_SHARED: dict = {}


def _run_task(task: tuple) -> Path:
    kind, args = task
    truth = _SHARED["truth"]
    if kind == "tracking":
        return _write_tracking(_SHARED["out_dir"], truth, *args)
    return _write_census(_SHARED["out_dir"], truth, *args)


def _run_tasks(tasks: list[tuple], out_dir: Path, truth: et.Truth, workers: int) -> list[Path]:
    """Run file tasks serially, or in forked processes (each task has its own seed stream,
    so the bytes do not depend on the number of workers)."""
    _SHARED.update(truth=truth, out_dir=out_dir)
    try:
        if workers <= 1 or len(tasks) < 2:
            return [_run_task(t) for t in tasks]
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            return pool.map(_run_task, tasks, chunksize=1)
    finally:
        _SHARED.clear()


def write_example(out_dir: Path, scale: float = 1.0, seed: int = 2022, workers: int | None = None) -> list[Path]:
    """Write the synthetic example under ``out_dir`` and return the files written.

    Files written by an earlier call (listed in the folder's hidden manifest)
    are deleted first; other files in ``out_dir`` are left alone. ``workers``
    processes write the files at benchmark scales (default: one per CPU); the
    calibrated example (``scale == 1``) is always written in one process.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _wipe_previous(out_dir)
    truth = example_truth(scale, seed)
    calibrated = scale == 1
    plans = _calibrated_plan() if calibrated else _scaled_plan()
    tasks: list[tuple] = [("tracking", (plan, i, seed)) for i, plan in enumerate(plans)]
    census = _census_files(truth, scale)
    tasks += [("census", (rel, fmt, rows, i, seed, calibrated)) for i, (rel, fmt, rows) in enumerate(census)]
    if workers is None:
        workers = 1 if calibrated else min(os.cpu_count() or 1, 8)
    paths = _run_tasks(tasks, out_dir, truth, 1 if calibrated else workers)
    rels = [plan.path for plan in plans] + [rel for rel, _, _ in census]
    written: dict[str, Path] = dict(zip(rels, paths, strict=True))
    if calibrated:
        for k, decoy in enumerate(_calibrated_decoys()):
            written[decoy.path] = _write_decoy(out_dir, decoy, truth, seed, k)

        replacements = out_dir / REPLACEMENTS
        replacements.write_text(REPLACEMENTS_TEXT, encoding="utf-8")
        written[REPLACEMENTS] = replacements

    n_services = len(reference.funded_services(EXAMPLE_START, EXAMPLE_END))
    readme = out_dir / README
    note = ("- `remplacements.csv` : le choix entre deux envois d'un même service\n"
            "  pour les mêmes mois (voir le README du dépôt).\n") if calibrated else ""
    readme.write_text(README_TEXT.format(seed=seed, scale=scale, n_services=n_services, replacements=note),
                      encoding="utf-8")
    written[README] = readme
    files = sorted(written)
    (out_dir / MANIFEST).write_text(json.dumps({"seed": seed, "scale": scale, "files": files},
                                               ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [written[f] for f in files] + [out_dir / MANIFEST]


def _write_decoy(out_dir: Path, decoy: Decoy, truth: et.Truth, seed: int, k: int) -> Path:
    """Write one redundant or broken file derived from an already written one."""
    source = out_dir / decoy.source
    target = out_dir / decoy.path
    if decoy.kind == "copy":
        return ef.write_bytes(target, source.read_bytes())
    if decoy.kind == "truncated":
        return ef.write_bytes(target, ef.truncate(source.read_bytes()))
    if decoy.kind == "encrypted":
        return ef.write_bytes(target, ef.encrypt_workbook(source.read_bytes(), PASSWORD, seed + k))
    if decoy.kind == "lock":
        return ef.write_bytes(target, ef.excel_lock_file("coordination"))
    if decoy.kind == "csv_as_xlsx":
        return ef.write_bytes(target, _partial_export(truth, decoy, seed, k))
    raise ValueError(f"unknown decoy kind {decoy.kind}")


def _partial_export(truth: et.Truth, decoy: Decoy, seed: int, k: int) -> bytes:
    """An early export of some activities of one month, saved as CSV text under an ``.xlsx`` name.

    It holds fewer rows of that month than the service's workbook, so the
    cleaning keeps the workbook's rows for the month and sets these aside.
    """
    plan = next(p for p in _calibrated_plan() if p.path == decoy.source)
    act = truth.activities
    act = act[act["service_code"] == plan.service]
    by_month = act.groupby("month").size()
    month = by_month.idxmax()
    rows = act[act["month"] == month]
    rows = rows.iloc[: max(1, len(rows) // 3)]
    rng = np.random.default_rng([seed, _STREAM_FILES, 1000 + k])
    style = em.SheetStyle(csv=True, date_styles={"dmy": 1.0}, duration_styles={"minutes": 1.0})
    data, _ = _sheet_rows(rng, "activities", rows.reset_index(drop=True), style, inject=False)
    return ef.csv_bytes(data, encoding="utf-8")
