"""Resubmissions: when two files of one service cover the same months, one file wins, whole.

A service often sends a month again: a corrected workbook (``… v2 (corrigé).xlsx``),
a second export, a file that repeats the last month of the previous one. For
every pair of files of one service that both hold rows of the same sheet and
month, one file is retained for all the months they share, never a
month-by-month mix. The other file's rows for those months are set aside
(``duplicate_month``) with the retained file and the rule named; its other
months are kept.

The rule, in order:

a. **the researcher's choice**: ``remplacements.csv`` (or ``.yaml``) at the top
   of the raw folder, columns ``fichier_retenu``, ``fichier_remplacé``,
   ``motif`` (files named by their path in the raw folder or just their name);
b. **the workbook's own last-modified date**, saved inside the file by the
   spreadsheet program (``docProps/core.xml`` of an ``.xlsx``/``.xlsm``,
   ``meta.xml`` of an ``.ods``; the file system's date is not used: copying a
   file changes it), when both files carry one and they differ: the later wins;
c. **hints in the names**, compared in this order: a correction (« corrigé »,
   « correction », « rectifié »), « final »/« définitif », a version number
   (« v2 », « version 3 », « bis »), a copy number (« (1) », « Copie de »: the
   copy is the later file);
d. otherwise (nothing tells them apart) the file with more rows in the shared
   months, then the one last in name order; the decision is flagged « à
   confirmer » so that the researcher can settle it in ``remplacements.csv``.

Every decision is returned (and printed at the end of the run, and listed in the
data quality annex).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cmp_to_key
from pathlib import Path
from xml.etree import ElementTree

from analysis.errors import InputError
from analysis.ingest.inputs import REPLACEMENTS_NAMES

RULES_FR = {
    "researcher": "choix de la chercheuse ou du chercheur (remplacements)",
    "metadata": "date de dernière modification enregistrée dans le classeur",
    "name": "indice dans le nom du fichier",
    "default": "par défaut (plus de lignes, puis ordre des noms) : à confirmer",
}
RETAINED_KEYS = ("fichier_retenu", "retenu", "fichier retenu")
REPLACED_KEYS = ("fichier_remplacé", "fichier_remplace", "remplacé", "remplace", "fichier remplacé",
                 "fichier remplace")
REASON_KEYS = ("motif", "raison", "commentaire")


@dataclass(frozen=True)
class Replacement:
    """One line of the researcher's file: ``retained`` replaces ``replaced``."""

    retained: str
    replaced: str
    reason: str
    line: int


@dataclass
class Decision:
    """One file retained over another for the months they share."""

    service_code: str
    retained: str
    replaced: str
    rule: str
    detail: str
    months: set[str] = field(default_factory=set)
    rows_set_aside: int = 0

    def as_record(self) -> dict:
        return {"service_code": self.service_code, "retained": self.retained, "replaced": self.replaced,
                "rule": self.rule, "rule_fr": RULES_FR[self.rule], "detail": self.detail,
                "months": sorted(self.months), "rows_set_aside": self.rows_set_aside}

    def sentence_fr(self) -> str:
        months = ", ".join(sorted(self.months))
        return (f"{self.service_code} : « {self.retained} » retenu, « {self.replaced} » remplacé pour "
                f"{months} ({self.rows_set_aside} ligne{'s' if self.rows_set_aside != 1 else ''} mise"
                f"{'s' if self.rows_set_aside != 1 else ''} de côté) ; règle : {RULES_FR[self.rule]} — {self.detail}")


# --------------------------------------------------------------------------- the researcher's file


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("\\", "/").split())


def replacements_path(raw_dir: Path) -> Path | None:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return None
    for child in sorted(raw_dir.iterdir()):
        if child.name.lower() in REPLACEMENTS_NAMES and child.is_file() and not child.is_symlink():
            return child
    return None


def _pick(row: dict, keys: tuple[str, ...]) -> str:
    folded = {_fold(k): v for k, v in row.items() if k is not None}
    for k in keys:
        v = folded.get(_fold(k))
        if v is not None:
            return str(v).strip()
    return ""


def read_replacements(path: Path | None) -> list[Replacement]:
    """The researcher's replacements (empty without a file); a malformed file is an :class:`InputError`."""
    if path is None:
        return []
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"fichier de remplacements {path.name} illisible ({exc.strerror})") from None
    text = raw.decode("utf-8-sig", errors="replace")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError:
            raise InputError(f"fichier de remplacements {path.name} : YAML illisible") from None
        if isinstance(data, dict):
            data = data.get("remplacements", [])
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(f"fichier de remplacements {path.name} : une liste d'entrées "
                             "« fichier_retenu / fichier_remplacé / motif » est attendue")
        rows = [(n, r) for n, r in enumerate(data, start=1)]
    else:
        delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = [(n, r) for n, r in enumerate(reader, start=2)]
    out = []
    for n, row in rows:
        retained, replaced = _pick(row, RETAINED_KEYS), _pick(row, REPLACED_KEYS)
        if not retained and not replaced:
            continue
        if not retained or not replaced:
            raise InputError(f"fichier de remplacements {path.name}, ligne {n} : les colonnes fichier_retenu et "
                             "fichier_remplacé doivent être remplies toutes les deux")
        out.append(Replacement(retained, replaced, _pick(row, REASON_KEYS), n))
    return out


def match_file(name: str, files: list[str]) -> str | None:
    """The raw file (relative path) a name of the researcher's file designates, if exactly one."""
    want = _fold(name).strip("/")
    exact = [f for f in files if _fold(f) == want]
    if exact:
        return exact[0]
    by_name = [f for f in files if _fold(Path(f).name) == want or _fold(Path(f).stem) == want]
    return by_name[0] if len(by_name) == 1 else None


# --------------------------------------------------------------------------- what a file tells


_CORE_NS = {"dcterms": "http://purl.org/dc/terms/", "dc": "http://purl.org/dc/elements/1.1/"}


def _parse_when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip().replace("Z", "+00:00")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def workbook_modified(path: Path) -> dt.datetime | None:
    """Last-modified date saved inside an ``.xlsx``/``.xlsm`` (core properties) or ``.ods`` (meta.xml)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "docProps/core.xml" in names:
                node = ElementTree.fromstring(z.read("docProps/core.xml")).find("dcterms:modified", _CORE_NS)
                return _parse_when(node.text if node is not None else None)
            if "meta.xml" in names:
                root = ElementTree.fromstring(z.read("meta.xml"))
                node = root.find(".//dc:date", _CORE_NS)
                return _parse_when(node.text if node is not None else None)
    except Exception:  # noqa: BLE001 - a file without readable metadata simply has none
        return None
    return None


_CORRECTED = re.compile(r"\b(corrige|corrigee|corriges|correction|corrections|rectifie|rectifiee)\b")
_FINAL = re.compile(r"\b(final|finale|definitif|definitive|definitifs)\b")
_VERSION = re.compile(r"(?:\bv|\bversion\s*)(\d{1,2})\b")
_BIS = {"bis": 2, "ter": 3, "quater": 4}
_COPY_NUMBER = re.compile(r"\((\d{1,2})\)")
_COPY_WORD = re.compile(r"\b(copie|copy)\b")


def name_hints(relpath: str) -> tuple[tuple[int, int, int, int], list[str]]:
    """Rank of a file name as a later version, and the hints found (French)."""
    name = _fold(Path(relpath).stem).replace("_", " ")
    hints = []
    corrected = 1 if _CORRECTED.search(name) else 0
    if corrected:
        hints.append("« corrigé »")
    final = 1 if _FINAL.search(name) else 0
    if final:
        hints.append("« final »/« définitif »")
    version = max([int(v) for v in _VERSION.findall(name)] + [_BIS[w] for w in re.findall(r"\b(bis|ter|quater)\b", name)]
                  + [0])
    if version:
        hints.append(f"version {version}")
    copy = max([int(n) for n in _COPY_NUMBER.findall(name)] + [0])
    if _COPY_WORD.search(name):
        copy = max(copy, 1)
    if copy:
        hints.append(f"copie n° {copy}")
    return (corrected, final, version, copy), hints


# --------------------------------------------------------------------------- deciding


@dataclass
class _Compare:
    replacements: dict[tuple[str, str], Replacement]
    modified: dict[str, dt.datetime | None]
    overlap_rows: dict[tuple[str, str], int]  # (file, other) -> rows of file in the months they share

    def decide(self, a: str, b: str) -> tuple[str, str, str]:
        """(winner, rule, French detail) between two files of one service."""
        for x, y in ((a, b), (b, a)):
            rep = self.replacements.get((x, y))
            if rep is not None:
                return x, "researcher", f"ligne {rep.line} du fichier de remplacements" + (
                    f" : {rep.reason}" if rep.reason else "")
        ma, mb = self.modified.get(a), self.modified.get(b)
        if ma is not None and mb is not None and ma != mb:
            w, l_, mw, ml = (a, b, ma, mb) if ma > mb else (b, a, mb, ma)
            return w, "metadata", (f"enregistré le {mw:%Y-%m-%d %H:%M}, l'autre le {ml:%Y-%m-%d %H:%M}")
        (ra, ha), (rb, hb) = name_hints(a), name_hints(b)
        if ra != rb:
            w, hints = (a, ha) if ra > rb else (b, hb)
            other = hb if w == a else ha
            return w, "name", f"nom : {', '.join(hints)}" + (f" (l'autre : {', '.join(other)})" if other else "")
        na, nb = self.overlap_rows[(a, b)], self.overlap_rows[(b, a)]
        if na != nb:
            w = a if na > nb else b
            return w, "default", f"{max(na, nb)} lignes contre {min(na, nb)} sur les mois communs"
        w = max(a, b)
        return w, "default", f"autant de lignes ({na}) : le dernier dans l'ordre des noms"

    def cmp(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return 1 if self.decide(a, b)[0] == a else -1


def resolve(rows: list[tuple[str, str, str, str]], raw_dir: Path | None,
            replacements: list[Replacement], all_files: list[str]) -> tuple[dict[int, tuple[str, Decision]],
                                                                               list[Decision], list[str]]:
    """Decide which file wins where files of one service overlap.

    ``rows`` are ``(service, table, month, file)`` of every candidate tracking row,
    in order. Returns the index of each row to set aside → (retained file,
    decision), the decisions, and French warnings about the replacements file.
    """
    counts: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    winners, decisions, warnings = resolve_counts(counts, raw_dir, replacements, all_files)
    set_aside: dict[int, tuple[str, Decision]] = {}
    for i, (svc, table, month, source) in enumerate(rows):
        winner = winners.get((svc, table, month))
        if winner is not None and winner != source:
            dec = decisions[(winner, source)]
            dec.rows_set_aside += 1
            set_aside[i] = (winner, dec)
    ordered = sorted(decisions.values(), key=lambda d: (d.service_code, d.retained, d.replaced))
    return set_aside, ordered, warnings


def resolve_counts(counts: dict[tuple[str, str, str, str], int], raw_dir: Path | None,
                   replacements: list[Replacement], all_files: list[str]
                   ) -> tuple[dict[tuple[str, str, str], str], dict[tuple[str, str], Decision], list[str]]:
    """The core of :func:`resolve` on row counts: ``(service, table, month, file)`` → number of
    candidate rows, in the order the rows come. Returns the retained file of each overlapping
    ``(service, table, month)``, the decisions by ``(retained, replaced)`` (``rows_set_aside``
    left for the caller to count) and the French warnings."""
    warnings: list[str] = []
    rep_pairs: dict[tuple[str, str], Replacement] = {}
    for rep in replacements:
        kept, gone = match_file(rep.retained, all_files), match_file(rep.replaced, all_files)
        missing = [n for n, f in ((rep.retained, kept), (rep.replaced, gone)) if f is None]
        if missing:
            warnings.append(f"remplacements, ligne {rep.line} : fichier introuvable dans le dossier brut : "
                            + ", ".join(f"« {m} »" for m in missing) + " ; ligne sans effet")
            continue
        if (gone, kept) in rep_pairs:
            warnings.append(f"remplacements, ligne {rep.line} : contredit la ligne {rep_pairs[(gone, kept)].line} ; "
                            "ligne sans effet")
            continue
        rep_pairs[(kept, gone)] = rep

    files_at: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for (svc, table, month, source), n in counts.items():
        files_at[(svc, table, month)][source] += n
    overlap_rows: Counter = Counter()
    involved: set[str] = set()
    for per_file in files_at.values():
        if len(per_file) > 1:
            for f in per_file:
                involved.add(f)
                for g in per_file:
                    if g != f:
                        overlap_rows[(f, g)] += per_file[f]
    modified = {f: workbook_modified(Path(raw_dir) / f) if raw_dir is not None else None for f in sorted(involved)}
    cmp = _Compare(rep_pairs, modified, overlap_rows)

    winners: dict[tuple[str, str, str], str] = {}
    decisions: dict[tuple[str, str], Decision] = {}
    for key, per_file in files_at.items():
        if len(per_file) < 2:
            continue
        files = sorted(per_file)
        beats_all = [f for f in files if all(f == g or cmp.decide(f, g)[0] == f for g in files)]
        winner = beats_all[0] if beats_all else max(files, key=cmp_to_key(cmp.cmp))
        winners[key] = winner
        for f in files:
            if f == winner:
                continue
            _, rule, detail = cmp.decide(winner, f)
            if cmp.decide(winner, f)[0] != winner:  # no consistent order among three or more files
                rule, detail = "default", "ordre incohérent entre plusieurs fichiers : " + detail
            dec = decisions.setdefault((winner, f), Decision(key[0], winner, f, rule, detail))
            dec.months.add(key[2])
    return winners, decisions, warnings
