"""The synthetic example: committed files are the generator's output, and cleaning them gives the truth."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START
from analysis.example import generate as example
from analysis.example import truth as example_truth
from analysis.ingest import clean


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cleaned():
    return clean.run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END)


@pytest.fixture(scope="module")
def truth():
    return example.example_truth()


def test_committed_example_is_regenerated_byte_for_byte(tmp_path):
    example.write_example(tmp_path / "ex")
    assert _hashes(tmp_path / "ex") == _hashes(EXAMPLE_RAW_DIR)


def test_rewrite_only_deletes_its_own_files(tmp_path):
    out = tmp_path / "ex"
    example.write_example(out)
    keep = out / "mes notes.txt"
    keep.write_text("à garder")
    example.write_example(out)
    assert keep.read_text() == "à garder"


def test_readme_says_synthetic():
    text = (EXAMPLE_RAW_DIR / "README.md").read_text(encoding="utf-8")
    assert "SYNTHÉTIQUES" in text and "aucun service réel" in text


def test_every_kind_of_file_mess_is_there(cleaned):
    files = cleaned.tables["files"]
    assert {"file_corrupted", "file_encrypted"} <= set(cleaned.tables["rejected"]["reason"])
    suffixes = {Path(f).suffix for f in files["source_file"]}
    assert {".xlsx", ".xlsm", ".ods", ".csv"} <= suffixes
    assert any("verrouillage" in why for _, why in cleaned.ignored_files)
    reasons = set(cleaned.tables["rejected"]["reason"])
    # identical rows are kept (possible duplicates), so the example no longer writes copied rows
    assert "duplicate_row" not in reasons
    for reason in ("duplicate_submission", "duplicate_month", "date_out_of_period",
                   "date_invalid", "total_row", "activity_type_unknown", "count_invalid"):
        assert reason in reasons, reason


def test_accounting_balances(cleaned):
    acc = cleaned.tables["accounting"]
    assert (acc["raw_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()


@pytest.mark.parametrize("table", ["users", "pros", "activities", "census"])
def test_cleaning_recovers_the_truth(cleaned, truth, table):
    want = truth.table(table)
    # ``basin`` can be more precise in the clean table than in the truth (a postal code such as
    # 1020 places a Bruxelles-Ville resident in the Nord basin), so it is compared where known.
    cols = [c for c in want.columns if not c.startswith("_") and c != "basin"]
    want = want[cols]
    got = cleaned.tables[table][cols]
    key = cols

    def canon(df: pd.DataFrame) -> pd.DataFrame:
        df = df.astype(str).sort_values(key).reset_index(drop=True)
        return df

    assert len(got) == len(want)
    if "basin" in truth.table(table):
        t = truth.table(table)
        known = t.dropna(subset=["basin"])
        merged = cleaned.tables[table].dropna(subset=["basin"])
        assert set(known["basin"]) <= set(merged["basin"])
    pd.testing.assert_frame_equal(canon(got), canon(want), check_dtype=False)


def test_calibration_of_activities(cleaned):
    targets = example_truth.activity_targets()
    act = cleaned.tables["activities"]
    part = act["users_present"].fillna(0) + act["pros_present"].fillna(0)
    per_type = act.assign(p=part).groupby("activity_type").agg(n=("p", "size"), p=("p", "sum"))
    for code, t in targets.items():
        assert per_type.loc[code, "n"] == t["n"], code
    assert len(act) == 3419


def test_calibration_of_users(cleaned):
    users = cleaned.tables["users"]
    assert len(users) == 79 and users["service_code"].nunique() == 4
    assert users["age"].sum() == 2986 and users["age"].min() == 3 and users["age"].max() == 89
    assert (users["gender"] == "F").sum() == 44
    assert round(100 * users["referrer"].eq("sante_generale").mean(), 1) == 49.4
    assert not users["first_line"].fillna(False).astype(bool).any()
    assert len(cleaned.tables["pros"]) == 124


def test_calibration_of_census(cleaned):
    census = cleaned.tables["census"]
    w2 = census[census["wave"] == "2022_11"]
    assert round(100 * (w2["outcome"] == "suivi_propose").mean()) == 25
    assert round(100 * (w2["outcome"] == "reorientation").mean()) == 53
