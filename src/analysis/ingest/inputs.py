"""The files of a raw folder, listed safely: data files, the researcher's settings, and the rest.

Standard library only: the pipeline lists and hashes the raw folder before
deciding whether anything has to run, and a build with nothing to do must not
import pandas.

Decisions:

- A symbolic link is followed only when it resolves to a regular file inside
  the raw folder. A broken link, a link leading outside the folder and a
  linked folder are never followed: they are listed as set aside, with the
  reason (the run must not read, nor hash, a file the researcher did not put
  in the folder).
- A file that cannot be opened (permissions) is listed as unreadable with a
  French reason; it is never hashed (hashing it raised a traceback before).
- Two files at the top of the raw folder are the researcher's settings, not
  data: ``remplacements.csv`` (which submission replaces which, see
  :mod:`analysis.ingest.resubmissions`) and ``services.csv`` (the services
  registry override, see :mod:`analysis.ingest.registry`). They are hashed
  with the inputs (a change re-runs the cleaning) but never read as a workbook.
- Hidden files, Excel lock files (``~$…``) and other extensions are skipped
  and listed with the reason, as before.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
#: Settings files read from the top of the raw folder (folded name → kind).
REPLACEMENTS_NAMES = ("remplacements.csv", "remplacements.yaml", "remplacements.yml")
REGISTRY_NAMES = ("services.csv",)
#: Codes changed since earlier editions (read by the « Évolution » comparison, not by the cleaning).
CODE_CHANGES_NAMES = ("code_changes.csv",)
SETTINGS_NAMES = REPLACEMENTS_NAMES + REGISTRY_NAMES + CODE_CHANGES_NAMES


@dataclass
class RawListing:
    """What a raw folder holds, sorted by relative path (forward slashes)."""

    root: Path
    inputs: list[Path] = field(default_factory=list)  # data files to read
    settings: dict[str, Path] = field(default_factory=dict)  # settings file name → path
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (relpath, French reason): data files that cannot be opened
    set_aside: list[tuple[str, str]] = field(default_factory=list)  # (relpath, French reason): links not followed
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (relpath, French reason): not data

    def rel(self, path: Path) -> str:
        return Path(path).relative_to(self.root).as_posix()


def raw_dir_problem(raw_dir: Path) -> str | None:
    """A French sentence when ``raw_dir`` cannot be used as the raw folder, else None."""
    raw_dir = Path(raw_dir)
    if raw_dir.is_dir():
        if not os.access(raw_dir, os.R_OK | os.X_OK):
            return f"dossier de données brutes illisible (permission refusée) : {raw_dir}"
        return None
    if raw_dir.is_file():
        return (f"--raw doit être un dossier, pas un fichier : {raw_dir} "
                f"(pour vérifier un classeur seul : « prr check {raw_dir} »)")
    if raw_dir.is_symlink():
        return f"--raw est un lien symbolique cassé : {raw_dir}"
    return f"dossier de données brutes introuvable : {raw_dir}"


def _readable(path: Path) -> str | None:
    """None when the file opens for reading, else a French reason."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except PermissionError:
        return "fichier illisible : permission refusée (demander l'accès ou copier le fichier)"
    except OSError as exc:
        return f"fichier impossible à ouvrir ({exc.strerror or type(exc).__name__})"
    return None


def _link_problem(path: Path, root_resolved: Path) -> str | None:
    """None when a symbolic link may be followed (a regular file inside the raw folder)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "lien symbolique cassé (sa cible n'existe pas) : non suivi"
    if root_resolved != target and root_resolved not in target.parents:
        return f"lien symbolique vers un fichier hors du dossier brut ({target}) : non suivi"
    if target.is_dir():
        return "lien symbolique vers un dossier : non suivi"
    if not target.is_file():
        return "lien symbolique vers autre chose qu'un fichier : non suivi"
    return None


def list_raw(raw_dir: Path) -> RawListing:
    """List ``raw_dir`` recursively without following links out of it (see the module docstring)."""
    root = Path(raw_dir)
    root_resolved = root.resolve()
    listing = RawListing(root)
    found: list[tuple[str, Path, bool]] = []  # (relpath, path, is a directory link)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                found.append(((here / d).relative_to(root).as_posix(), here / d, True))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            found.append(((here / name).relative_to(root).as_posix(), here / name, False))
    for rel, path, is_dir_link in sorted(found):
        parts = Path(rel).parts
        if any(part.startswith(".") for part in parts):
            continue
        if is_dir_link:
            listing.set_aside.append((rel, "lien symbolique vers un dossier : non suivi"))
            continue
        if path.name.startswith("~$"):
            listing.ignored.append((rel, "fichier de verrouillage temporaire d'Excel"))
            continue
        suffix = path.suffix.lower()
        if suffix not in WORKBOOK_SUFFIXES + CSV_SUFFIXES and path.name.lower() not in SETTINGS_NAMES:
            listing.ignored.append((rel, f"extension {path.suffix or '(aucune)'} non prise en charge"))
            continue
        if path.is_symlink():
            problem = _link_problem(path, root_resolved)
            if problem:
                listing.set_aside.append((rel, problem))
                continue
        elif not path.is_file():
            listing.ignored.append((rel, "pas un fichier ordinaire"))
            continue
        if len(parts) == 1 and path.name.lower() in SETTINGS_NAMES:
            listing.settings[path.name.lower()] = path
            continue
        problem = _readable(path)
        if problem:
            listing.unreadable.append((rel, problem))
            continue
        listing.inputs.append(path)
    return listing


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_hashes(raw_dir: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every data and settings file; a file that cannot be hashed
    (or is not followed) gets a short marker instead, so the cache notices it without failing."""
    listing = list_raw(raw_dir)
    out: dict[str, str] = {}
    for path in [*listing.inputs, *listing.settings.values()]:
        try:
            out[listing.rel(path)] = sha256_file(path)
        except OSError:
            out[listing.rel(path)] = "illisible"
    for rel, why in listing.unreadable + listing.set_aside:
        out[rel] = "mis de côté : " + why
    return dict(sorted(out.items()))
