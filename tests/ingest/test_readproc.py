"""Workbooks read by a second process (:mod:`analysis.ingest.readproc`, big folders): the same
workbooks, the same clean files byte for byte as reading them in a thread; a caller's script
without a ``__main__`` guard is not run again."""

from __future__ import annotations

import filecmp
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START
from analysis.ingest import clean, inputs
from analysis.ingest.readers import read_file
from analysis.ingest.readproc import ReaderProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402
import make_hostile_extra as mx  # noqa: E402


def _written(raw: Path, start: str, end: str, out: Path, monkeypatch, process: bool) -> list[str]:
    # the folder's size decides; the threshold moved so that the same small folder goes either way
    monkeypatch.setattr(clean, "READ_PROCESS_MIN_BYTES", 0 if process else 2**62)
    seen = []
    real = clean._in_order

    def spy(entries, submit, *rest):
        seen.append(getattr(submit, "__self__", None))
        yield from real(entries, submit, *rest)

    monkeypatch.setattr(clean, "_in_order", spy)
    result = clean.run_cleaning(raw, start, end, spill=True)
    result.write(out)
    assert isinstance(seen[0], ReaderProcess) == process
    return sorted(p.name for p in out.iterdir())


def _same_files(raw: Path, start: str, end: str, tmp_path: Path, monkeypatch) -> None:
    a = _written(raw, start, end, tmp_path / "thread", monkeypatch, process=False)
    b = _written(raw, start, end, tmp_path / "process", monkeypatch, process=True)
    assert a == b and "activities.parquet" in a
    assert [n for n in a if not filecmp.cmp(tmp_path / "thread" / n, tmp_path / "process" / n, shallow=False)] == []


def test_example_read_by_a_process_gives_the_same_clean_files(tmp_path, monkeypatch):
    _same_files(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, tmp_path, monkeypatch)


def test_hostile_corpus_read_by_a_process_gives_the_same_clean_files(tmp_path, monkeypatch):
    # unreadable, encrypted, empty, renamed and duplicated files, Dutch sheets, merged cells, formulas
    # without a value (found by the cleaning process, not the reading one)...
    raw = mh.make_hostile(tmp_path / "raw")
    mx.make_hostile_extra(raw)
    _same_files(raw, mh.START, mh.END, tmp_path, monkeypatch)


def _formulas_only(path: Path) -> Path:
    """A workbook whose only cells are formulas without a saved value (openpyxl saves none)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Activités"
    wb.active["A1"] = "=1+1"
    wb.active["B2"] = "=SUM(A1:A1)"
    wb.save(path)
    return path


def test_formula_cells_come_back_whichever_process_looks_for_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    mx.make_hostile_extra(raw)
    only = _formulas_only(raw / "formules seules.xlsx")
    paths = [only, *sorted(raw.rglob("*.xlsx"))]
    with ReaderProcess(raw) as reader:
        got = []
        for p in paths:
            reader.submit(p)
            got.append(reader.result())
    assert got == [read_file(p, raw) for p in paths]
    assert got[0].ok and got[0].sheets[0].formula_cells  # not an empty workbook: two formulas without value
    assert sum(len(s.formula_cells) for w in got[1:] for s in w.sheets) > 0


def test_a_file_changed_while_it_is_read_is_reported(tmp_path):
    from analysis.errors import InputError
    from analysis.ingest.readers import add_formula_cells

    path = _formulas_only(tmp_path / "a.xlsx")
    wb = read_file(path, tmp_path, formulas=False)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(InputError, match="a.xlsx : le fichier a changé pendant la lecture"):
        add_formula_cells(wb, tmp_path)


def test_reader_process_returns_what_read_file_returns(tmp_path):
    raw = mh.make_hostile(tmp_path / "raw")
    (raw / "zz_broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    paths = inputs.list_raw(raw).inputs + [raw / "zz_broken.xlsx"]
    assert len(paths) > 5
    with ReaderProcess(raw) as reader:
        for p in paths[:2]:
            reader.submit(p)
        got = [reader.result()]
        for p in paths[2:]:
            reader.submit(p)
            got.append(reader.result())
        got.append(reader.result())
    assert got == [read_file(p, raw) for p in paths]
    assert {w.status for w in got} == {"ok", "unreadable"}


def test_a_script_without_main_guard_is_not_run_again(tmp_path):
    """multiprocessing's spawn would import the caller's script again in the child (and run it):
    the reader is a plain child process."""
    marker = tmp_path / "runs.txt"
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from analysis.ingest import clean
        clean.READ_PROCESS_MIN_BYTES = 0
        with open({str(marker)!r}, "a") as f:
            f.write("run\\n")
        r = clean.run_cleaning(Path({str(EXAMPLE_RAW_DIR)!r}), {EXAMPLE_START!r}, {EXAMPLE_END!r})
        print(len(r.tables["activities"]))
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 100
    assert marker.read_text() == "run\n"


def test_reader_process_stops_with_its_caller(tmp_path):
    with ReaderProcess(tmp_path) as reader:
        proc = reader._proc
    assert proc.poll() is not None
