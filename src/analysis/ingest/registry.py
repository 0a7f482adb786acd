"""The services registry as an input: the bundled table plus the researcher's override.

``data/reference/services.csv`` says which services exist and in which months
each is funded (``funded_from`` → ``funded_to``, ``AAAA-MM``). A new period
(a new call, an extension, a service that stopped) is described without
touching the code: a ``services.csv`` at the top of the raw folder, with the
same columns (only ``code`` is required), replaces the filled cells of the
bundled rows of the codes it lists (an empty cell keeps the bundled value), and adds the codes it does not know
(``instrument`` defaults to ``prr``, ``name`` to the code). The override is in
force for the whole run: the pipeline names it in the environment variable
:data:`analysis.reference.SERVICES_OVERRIDE_ENV`, which every notebook kernel
inherits, and :func:`active` does the same around a cleaning called directly.

The run warns (in French) when no service is expected in the period, and when a
service sent rows for months outside its funded months (the rows are kept).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from analysis import reference
from analysis.errors import InputError
from analysis.ingest.inputs import REGISTRY_NAMES


def override_path(raw_dir: Path) -> Path | None:
    """The registry override of a raw folder (``services.csv`` at its top), if there is one."""
    for child in sorted(Path(raw_dir).iterdir()) if Path(raw_dir).is_dir() else []:
        if child.name.lower() in REGISTRY_NAMES and child.is_file() and not child.is_symlink():
            return child
    return None


def _clear_caches() -> None:
    from analysis.ingest import normalise as nz

    nz._service_keys.cache_clear()


@contextmanager
def active(raw_dir: Path | None) -> Iterator[Path | None]:
    """Put the raw folder's registry override in force (or none) for the block; checks it."""
    path = override_path(raw_dir) if raw_dir is not None else None
    env = reference.SERVICES_OVERRIDE_ENV
    before = os.environ.get(env)
    if path is None:
        os.environ.pop(env, None)
    else:
        os.environ[env] = str(Path(path).resolve())
    _clear_caches()
    try:
        if path is not None:
            try:
                reference.services()
            except reference.RegistryError as exc:
                raise InputError(str(exc)) from None
        yield path
    finally:
        if before is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = before
        _clear_caches()


def funded_months(row: pd.Series) -> tuple[str, str]:
    return (row["funded_from"] or "0000-01", row["funded_to"] or "9999-12")


def registry_warnings(tables: dict[str, pd.DataFrame], start: str, end: str,
                      override: Path | None = None) -> list[str]:
    """French warnings about the registry for the period and the rows kept."""
    out: list[str] = []
    s = reference.services()
    prr = s[s["instrument"] == "prr"].set_index("code")
    if reference.funded_services(start, end).empty:
        where = f"« {override.name} » du dossier brut" if override else "data/reference/services.csv"
        out.append(f"aucun service n'est attendu (financé) dans la période {start} → {end} d'après le "
                   f"registre ({where}) : la participation sera vide ; ajouter ou prolonger les services "
                   "dans un fichier services.csv du dossier brut")
    months: dict[str, set[str]] = {}
    for t in ("users", "pros", "activities"):
        df = tables[t][["service_code", "month"]].drop_duplicates()
        for code, month in zip(df["service_code"], df["month"], strict=True):
            if isinstance(code, str):
                months.setdefault(code, set()).add(month)
    for code in sorted(months):
        if code not in prr.index:
            continue
        frm, to = funded_months(prr.loc[code])
        outside = sorted(m for m in months[code] if not frm <= m <= to)
        if outside:
            shown = ", ".join(outside[:6]) + (" …" if len(outside) > 6 else "")
            window = f"{prr.loc[code, 'funded_from'] or '…'} → {prr.loc[code, 'funded_to'] or '…'}"
            out.append(f"le service {code} a envoyé des données pour des mois hors de sa période de "
                       f"financement ({window}) : {shown} ; lignes gardées, vérifier le registre des services")
    return out
