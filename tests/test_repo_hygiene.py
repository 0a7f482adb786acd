"""Real raw data never enter the repository: only the synthetic example is tracked."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".parquet"}


def _tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return out.stdout.splitlines()


def test_no_raw_workbook_outside_the_example_is_tracked():
    offending = [
        f for f in _tracked()
        if f.startswith("data/raw/") and not f.startswith("data/raw/example/") and Path(f).suffix.lower() in DATA_SUFFIXES
    ]
    assert offending == [], f"real raw data tracked by git: {offending}"


def test_no_processed_output_is_tracked():
    offending = [f for f in _tracked() if f.startswith("data/processed/") and not f.endswith(".gitkeep")]
    assert offending == []


def test_gitignore_ignores_real_raw_data():
    probe = "data/raw/2023-real/returns.xlsx"
    res = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", probe])
    assert res.returncode == 0, "data/raw/* must be ignored except the example"
    res = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "data/raw/example/x.xlsx"])
    assert res.returncode == 1, "the synthetic example must stay trackable"
