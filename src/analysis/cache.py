"""Step cache: skip a pipeline step when nothing it depends on changed.

Modelled on DVC's ``dvc.lock``: a step's key is the hash of everything it
depends on (its notebook, its parameters, its input files, the source of the
``analysis`` modules it imports, the reference tables). The key and the hashes
of the step's outputs are stored in ``<out>/.cache/<step>.json``; a step whose
key is unchanged and whose outputs are intact is skipped. Quarto's ``freeze``
is not used for this: it ignores data, parameters and included files.

Only the standard library is imported here so that a fully cached build starts
fast (no pandas, no kernel).
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Content digests of the clean tables, in a run's ``.cache`` folder (:func:`remember_digests`).
DIGESTS_MEMO = "clean-digests.json"


#: Digests computed in this process, by absolute path: (stat signature, digest) (:func:`sha256_file`).
_DIGESTS: dict[str, tuple[tuple[int, int, int, int], str]] = {}
#: A digest is remembered only for a file last changed this many nanoseconds before it was read.
_SETTLED_NS = 2_000_000_000


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes.

    Within one process (``prr render --watch`` hashes the run's figures, tables and
    notebooks at every edit), a file whose size, modification time, inode and status-change
    time are those it had when it was last read is not read again. Any write to a file
    changes its status-change time (which no program can set back), so a rewritten file is
    always read again; a digest is remembered only for a file already unchanged for 2 s
    when read, so that a write within the file system's time resolution cannot go unseen.
    """
    import os
    import time

    key = os.path.abspath(path)
    st = os.stat(key)
    sig = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    known = _DIGESTS.get(key)
    if known is not None and known[0] == sig:
        return known[1]
    h = hashlib.sha256()
    with open(key, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED_NS:
        _DIGESTS[key] = (sig, digest)
    else:
        _DIGESTS.pop(key, None)
    return digest


def hash_files(paths: Iterable[Path], root: Path | None = None) -> dict[str, str]:
    """Map each file (relative to ``root`` when given) to its SHA-256, sorted."""
    out = {}
    for p in sorted(Path(x) for x in paths):
        key = str(p.relative_to(root)) if root else str(p)
        out[key] = sha256_file(p)
    return out


def frame_digest(df, drop: Iterable[str] = ()) -> str:
    """SHA-256 of a table's column names, types and values (row order kept), ``drop`` left out.

    ``df`` is a pandas frame (pandas is only imported by the caller): the pipeline's content
    digest of a clean table (:func:`analysis.pipeline.table_digests`).
    """
    import pandas as pd

    df = df.drop(columns=[c for c in drop if c in df.columns])
    h = hashlib.sha256()
    h.update(json.dumps([[c, str(t)] for c, t in df.dtypes.items()]).encode())
    h.update(str(len(df)).encode())
    if len(df.columns) and len(df):
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def remember_digests(folder: Path, memo_path: Path, digests: dict[str, str]) -> None:
    """Store content digests of ``<folder>/<name>.parquet`` files next to the files' SHA-256.

    Written by the step that wrote the tables (it holds them in memory), so that the pipeline
    reads the digests instead of loading every table again (:func:`analysis.pipeline.table_digests`).
    """
    memo = {name: {"file": sha256_file(Path(folder) / f"{name}.parquet"), "content": d}
            for name, d in sorted(digests.items())}
    Path(memo_path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(memo_path), json.dumps(memo, indent=1, sort_keys=True) + "\n")


def files_under(folder: Path, patterns: Iterable[str] = ("*",)) -> list[Path]:
    """Regular files under ``folder`` (recursive) matching any pattern, hidden ones excluded."""
    folder = Path(folder)
    if not folder.exists():
        return []
    found = set()
    for pat in patterns:
        for p in folder.rglob(pat):
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts):
                found.add(p)
    return sorted(found)


#: Name of the memo, in a run's ``.cache``, of the imports found in each source text (:func:`load_imports`).
IMPORTS_MEMO = "imports.json"
#: SHA-256 of a source text → the ``analysis.*`` modules it imports (parsing every module of the package
#: for the steps' keys takes 0.7 s; the memo makes it a lookup when the code has not changed).
_IMPORTS: dict[str, frozenset[str]] = {}


def load_imports(memo_path: Path) -> None:
    """Take the imports found by earlier runs (``memo_path``, written by :func:`save_imports`); an
    unreadable memo is ignored (every source is parsed again)."""
    try:
        memo = json.loads(Path(memo_path).read_text(encoding="utf-8"))
        _IMPORTS.update({k: frozenset(v) for k, v in memo.items()})
    except (OSError, ValueError, TypeError, AttributeError):
        pass


def save_imports(memo_path: Path) -> None:
    """Keep the imports found so far for the next run (see :func:`load_imports`)."""
    Path(memo_path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(Path(memo_path), json.dumps({k: sorted(v) for k, v in sorted(_IMPORTS.items())}) + "\n")


def _imports(source: str) -> frozenset[str]:
    """``analysis.*`` modules imported by a Python source text (parsed once per text, see :data:`_IMPORTS`)."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    found = _IMPORTS.get(key)
    if found is None:
        found = _IMPORTS[key] = _parse_imports(source)
    return found


def _parse_imports(source: str) -> frozenset[str]:
    mods: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names if a.name.startswith("analysis"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            mods.add(node.module)
            # ``from analysis.pkg import mod`` imports a module when ``mod`` is one (non-modules are skipped)
            mods.update(f"{node.module}.{a.name}" for a in node.names)
    return frozenset(mods)


def module_closure(source: str) -> list[Path]:
    """Files of the ``analysis`` modules a source imports, followed transitively."""
    seen: dict[str, Path] = {}
    todo = list(_imports(source)) + ["analysis"]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        rel = mod.split(".")[1:]
        candidates = [PACKAGE_DIR.joinpath(*rel).with_suffix(".py"), PACKAGE_DIR.joinpath(*rel, "__init__.py")]
        path = next((c for c in candidates if rel and c.is_file()), None)
        if not rel:
            path = PACKAGE_DIR / "__init__.py"
        if path is None:
            continue
        seen[mod] = path
        todo.extend(_imports(path.read_text(encoding="utf-8")) - seen.keys())
    return sorted(set(seen.values()))


def step_key(parts: dict) -> str:
    """Stable hash of a JSON-serialisable description of a step's inputs."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that it is never seen half-written (Ctrl-C, crash): a temporary
    file next to it, then an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class StepCache:
    """Records of completed steps under ``<out>/.cache``."""

    def __init__(self, cache_dir: Path):
        self.dir = Path(cache_dir)

    def _path(self, step: str) -> Path:
        return self.dir / f"{step}.json"

    def is_fresh(self, step: str, key: str) -> bool:
        """True when ``step`` last ran with ``key`` and its outputs are unchanged."""
        path = self._path(step)
        if not path.is_file():
            return False
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:  # an unreadable record is a stale one
            return False
        if not isinstance(record, dict) or record.get("key") != key:
            return False
        for name, digest in record.get("outputs", {}).items():
            p = Path(name)
            if not p.is_file() or sha256_file(p) != digest:
                return False
        return True

    def record(self, step: str, key: str, outputs: Iterable[Path]) -> None:
        """Store ``key`` and the hashes of the step's outputs."""
        self.dir.mkdir(parents=True, exist_ok=True)
        record = {"key": key, "outputs": {str(p): sha256_file(p) for p in sorted(outputs)}}
        write_atomic(self._path(step), json.dumps(record, indent=1, sort_keys=True) + "\n")

    def forget(self, step: str) -> None:
        self._path(step).unlink(missing_ok=True)
