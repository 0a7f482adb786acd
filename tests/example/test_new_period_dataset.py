"""The uncalibrated new-period dataset (``analysis.example.new_period``) against the cleaning, row by row.

Every row the generator wrote has a truth: kept with its expected clean values, or
set aside with its expected reason. These tests check each row, the per file × sheet
accounting, and (slow) that ``prr build`` renders the report for a tracking-only, a
census-only and a combined folder of the new period.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

import pandas as pd
import pytest

from analysis.config import REPORT_DIR
from analysis.example.new_period import CASES, VALUE_COLUMNS, canonical, write_new_period
from analysis.ingest.clean import run_cleaning

START, END = "2023-01", "2023-06"
KEY = ["source_file", "sheet", "row"]
MAX_LISTED = 40


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    raw = tmp_path_factory.mktemp("new_period") / "raw"
    truth = write_new_period(raw, seed=0, start=START, end=END)
    return raw, truth


@pytest.fixture(scope="module")
def cleaned(generated):
    raw, truth = generated
    return truth, run_cleaning(raw, START, END)


def _canon(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [canonical(v) for v in df[c]] for c in columns}, dtype="string")


def _where(result, table: str, key: tuple) -> str:
    """Where a row that is not in its clean table went (for failure messages)."""
    rej = result.tables["rejected"]
    hit = rej[(rej["source_file"] == key[0]) & (rej["sheet"] == key[1]) & (rej["row"] == int(key[2]))]
    if not hit.empty:
        return "set aside: " + "; ".join(f"{r.reason} ({r.detail})" for r in hit.itertuples())
    files = result.tables["files"]
    f = files[files["source_file"] == key[0]]
    whole = rej[(rej["source_file"] == key[0]) & rej["row"].isna()]
    bits = [f"file status {f['status'].iloc[0]}" if not f.empty else "file not read"]
    bits += [f"{r.reason} on sheet « {r.sheet} »" for r in whole.itertuples()]
    return "nowhere: " + ", ".join(bits)


def _report(problems: list[str]) -> str:
    more = f"\n… and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(problems[:MAX_LISTED]) + more


def test_the_truth_is_hidden_from_the_pipeline(generated, cleaned):
    raw, truth = generated
    _, result = cleaned
    assert (raw / ".truth" / "rows.csv").exists()
    stored = pd.read_csv(raw / ".truth" / "rows.csv")
    assert len(stored) == len(truth.rows)
    assert not result.tables["files"]["source_file"].str.startswith(".truth").any()
    assert set(truth.rows["case"]) <= set(CASES)
    assert truth.rows.duplicated(KEY).sum() == 0


@pytest.mark.parametrize("case", CASES)
def test_kept_rows_have_the_expected_values(cleaned, case):
    truth, result = cleaned
    problems = []
    for table, columns in VALUE_COLUMNS.items():
        expected = truth.values[table]
        keys = truth.rows[(truth.rows["case"] == case) & (truth.rows["table"] == table)
                          & (truth.rows["expected"] == "kept")]
        if keys.empty:
            continue
        want = expected.merge(_canon(keys, KEY), on=KEY)
        got = _canon(result.tables[table], columns)
        merged = want.merge(got, on=KEY, how="left", suffixes=("", "__got"), indicator=True)
        for row in merged.to_dict("records"):
            where = f"{table} {row['source_file']} › {row['sheet']} › row {row['row']}"
            if row["_merge"] == "left_only":
                problems.append(f"{where}: missing from the clean table ({_where(result, table, (row['source_file'], row['sheet'], row['row']))})")
                continue
            for col in columns:
                if col in KEY:
                    continue
                a, b = row[col], row[f"{col}__got"]
                if (a if not pd.isna(a) else "") != (b if not pd.isna(b) else ""):
                    problems.append(f"{where}: {col} expected {a!r}, got {b!r}")
    assert not problems, _report(problems)


@pytest.mark.parametrize("case", CASES)
def test_set_aside_rows_have_the_expected_reason(cleaned, case):
    truth, result = cleaned
    rows = truth.rows[(truth.rows["case"] == case) & (truth.rows["expected"] == "set_aside")]
    rej = result.tables["rejected"]
    rej = rej[rej["row"].notna()]
    reasons = {(r.source_file, r.sheet, int(r.row)): r.reason for r in rej.itertuples()}
    problems = []
    for r in rows.itertuples():
        accepted = set(str(r.reason_alt).split(";"))
        got = reasons.get((r.source_file, r.sheet, int(r.row)))
        if got is None:
            t = result.tables[r.table]
            kept = bool(((t["source_file"] == r.source_file) & (t["sheet"] == r.sheet) & (t["row"] == int(r.row))).any())
            problems.append(f"{r.table} {r.source_file} › {r.sheet} › row {r.row}: expected set aside "
                            f"({r.reason}: {r.note}), {'kept' if kept else 'nowhere'}")
        elif got not in accepted:
            problems.append(f"{r.table} {r.source_file} › {r.sheet} › row {r.row}: expected reason {r.reason} "
                            f"({r.note}), got {got}")
    assert not problems, _report(problems)


def test_raw_rows_are_kept_or_set_aside_in_every_file_and_sheet(cleaned):
    truth, result = cleaned
    acc = result.tables["accounting"]
    got = {(r.source_file, r.sheet): (r.raw_rows, r.clean_rows, r.rejected_rows)
           for r in acc.groupby(["source_file", "sheet"], as_index=False)[["raw_rows", "clean_rows",
                                                                            "rejected_rows"]].sum().itertuples()}
    problems = []
    for (source, sheet), rows in truth.rows.groupby(["source_file", "sheet"]):
        n = Counter(rows["expected"])
        want = (len(rows), n["kept"], n["set_aside"])
        if got.get((source, sheet)) != want:
            problems.append(f"{source} › {sheet}: expected raw/kept/set aside {want}, got {got.get((source, sheet))}")
    truth_keys = set(truth.rows.groupby(["source_file", "sheet"]).groups)
    for key, counts in got.items():
        if key not in truth_keys and counts[0]:
            problems.append(f"{key[0]} › {key[1]}: {counts[0]} raw rows the generator did not write")
    assert not problems, _report(problems)


def test_no_row_is_kept_or_set_aside_that_the_truth_does_not_know(cleaned):
    truth, result = cleaned
    known = {(r.source_file, r.sheet, int(r.row)) for r in truth.rows.itertuples()}
    problems = []
    for table in VALUE_COLUMNS:
        for r in result.tables[table].itertuples():
            if (r.source_file, r.sheet, int(r.row)) not in known:
                problems.append(f"{table} {r.source_file} › {r.sheet} › row {r.row}: kept, unknown to the truth")
    rej = result.tables["rejected"]
    for r in rej[rej["row"].notna()].itertuples():
        if (r.source_file, r.sheet, int(r.row)) not in known:
            problems.append(f"{r.table} {r.source_file} › {r.sheet} › row {r.row}: set aside ({r.reason}), "
                            "unknown to the truth")
    assert not problems, _report(problems)


def test_files_have_the_expected_status(cleaned):
    truth, result = cleaned
    files = result.tables["files"].set_index("source_file")
    problems = []
    for f in truth.files.itertuples():
        if f.status == "registry":
            if f.source_file in files.index and files.loc[f.source_file, "status"] == "used":
                problems.append(f"{f.source_file}: registry override read as data")
            continue
        if f.source_file not in files.index:
            problems.append(f"{f.source_file}: not read")
            continue
        got = files.loc[f.source_file]
        if got["status"] != f.status:
            problems.append(f"{f.source_file}: status expected {f.status}, got {got['status']} ({got['detail']})")
        if canonical(f.service_code) and canonical(got["service_code"]) != canonical(f.service_code):
            problems.append(f"{f.source_file}: service expected {f.service_code}, got {got['service_code']}")
    assert not problems, _report(problems)


# --------------------------------------------------------------------------- end to end

VARIANTS = {"tracking": {"with_tracking": True, "with_census": False},
            "census": {"with_tracking": False, "with_census": True},
            "both": {"with_tracking": True, "with_census": True}}


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_prr_build_renders_the_new_period(tmp_path, variant):
    raw = tmp_path / "raw"
    write_new_period(raw, seed=1, start=START, end=END, **VARIANTS[variant])
    book = REPORT_DIR / "_book"
    t0 = time.time()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([p for p in sys.path if p])}
    res = subprocess.run([sys.executable, "-m", "analysis.cli", "build", "--raw", str(raw), "--start", START,
                          "--end", END, "--out", str(tmp_path / "out"), "--engine", "fallback", "--force"],
                         capture_output=True, text=True, env=env, timeout=1800)
    assert res.returncode == 0, f"prr build failed ({res.returncode}):\n{res.stderr[-3000:]}"
    for name in ("index.html", "prr-rapport.pdf"):
        path = book / name
        assert path.exists() and path.stat().st_mtime >= t0, f"{name} not produced by this build"
    assert (tmp_path / "out" / "metrics.json").exists()
