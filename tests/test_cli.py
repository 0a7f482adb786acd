"""The ``prr`` command: one-line errors, runs, incremental rebuilds."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import make_hostile as mh  # noqa: E402

from analysis import cli, pipeline  # noqa: E402
from analysis.config import RunParams  # noqa: E402


def _prr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--start", "2021-13"], "--start doit être un mois"),
        (["run", "--start", "2022-05", "--end", "2022-01"], "est après"),
        (["run", "--bogus"], "arguments non reconnus"),
        (["run", "--raw", "/nonexistent/raw"], "introuvable"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, needle):
    res = _prr(*args)
    assert res.returncode == cli.EXIT_USER_ERROR
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0]
    assert "Traceback" not in res.stderr


def test_unwritable_output_is_one_line(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    raw = mh.make_hostile(tmp_path / "raw")
    res = _prr("run", "--raw", str(raw), "--out", str(blocker / "out"))
    assert res.returncode == cli.EXIT_USER_ERROR
    assert "ne peut pas être écrit" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.slow
def test_run_writes_clean_tables_and_skips_when_unchanged(tmp_path: Path):
    raw = mh.make_hostile(tmp_path / "raw")
    params = RunParams(raw=raw, start="2021-09", end="2022-04", out=tmp_path / "run")
    log = pipeline.BuildLog(quiet=True)
    pipeline._run_steps([pipeline.CLEAN_STEP], params, force=False, log=log, parallel=False)
    assert log.ran == ["clean"]
    clean = tmp_path / "run" / "clean"
    for table in ("users", "pros", "activities", "census", "submissions", "rejected", "files", "accounting"):
        assert (clean / f"{table}.parquet").is_file()
    assert (tmp_path / "run" / "notebooks" / "01_clean.ipynb").is_file()

    again = pipeline.BuildLog(quiet=True)
    pipeline._run_steps([pipeline.CLEAN_STEP], params, force=False, log=again, parallel=False)
    assert again.ran == [] and again.skipped == ["clean"]

    # a changed workbook reruns the cleaning
    victim = next(raw.rglob("*.ods"))
    victim.write_bytes(victim.read_bytes() + b"\0")
    third = pipeline.BuildLog(quiet=True)
    pipeline._run_steps([pipeline.CLEAN_STEP], params, force=False, log=third, parallel=False)
    assert third.ran == ["clean"]


@pytest.mark.slow
def test_empty_raw_folder_fails_with_one_line(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    res = _prr("run", "--raw", str(raw), "--out", str(tmp_path / "run"))
    assert res.returncode == cli.EXIT_USER_ERROR
    assert res.stderr.strip().splitlines()[-1].startswith("prr : erreur : ")
    assert "Traceback" not in res.stderr


def test_manifest_records_inputs_and_parameters(tmp_path: Path):
    raw = mh.make_hostile(tmp_path / "raw")
    params = RunParams(raw=raw, start="2021-09", end="2022-04", out=tmp_path / "run")
    (tmp_path / "run").mkdir()
    path = pipeline.write_manifest(params)
    manifest = json.loads(path.read_text())
    assert manifest["parameters"]["start"] == "2021-09"
    assert manifest["parameters"]["threshold"] == 5
    assert len(manifest["inputs"]) == len(pipeline.raw_files(raw))
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert "pandas" in manifest["packages"]
