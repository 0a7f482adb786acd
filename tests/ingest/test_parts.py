"""Clean rows kept on disk sheet by sheet (``run_cleaning(..., spill=True)``, :mod:`analysis.ingest.parts`):
the same tables, the same files byte for byte, the same digests, metrics and account as the
cleaning that holds every row in memory, resubmissions (rule 9) included."""

from __future__ import annotations

import filecmp
import json
import sys
from pathlib import Path

import pandas as pd

from analysis import cache
from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START
from analysis.ingest import clean, parts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_hostile as mh  # noqa: E402


def _both(raw: Path, start: str, end: str, out: Path):
    mem = clean.run_cleaning(raw, start, end)
    spilled = clean.run_cleaning(raw, start, end, spill=True)
    for name, result in (("mem", mem), ("spill", spilled)):
        result.write(out / name, digests_memo=out / name / ".digests.json")
    return mem, spilled


def _same_outputs(mem, spilled, out: Path) -> None:
    a, b = out / "mem", out / "spill"
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    differ = [n for n in names if not filecmp.cmp(a / n, b / n, shallow=False)]
    assert differ == []
    for t in clean.DATA_TABLES:
        got = spilled.tables[t]
        frame = got.frame() if isinstance(got, parts.SpilledTable) else got
        pd.testing.assert_frame_equal(frame, mem.tables[t])
        assert len(got) == len(mem.tables[t])
    assert spilled.metrics() == mem.metrics()
    assert spilled.summary_fr() == mem.summary_fr()
    assert spilled.summary_fr(5) == mem.summary_fr(5)
    assert spilled.decisions == mem.decisions
    assert spilled.warnings == mem.warnings


def test_example_spilled_writes_the_same_files(tmp_path):
    mem, spilled = _both(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, tmp_path)
    # the example has resubmitted months (rule 9) and a copied workbook: both resolved from the parts
    reasons = set(mem.tables["rejected"]["reason"])
    assert {"duplicate_month", "duplicate_submission"} <= reasons
    assert isinstance(spilled.tables["activities"], parts.SpilledTable)
    assert len(spilled.tables["activities"].parts) > 1
    _same_outputs(mem, spilled, tmp_path)
    memo = json.loads((tmp_path / "spill" / ".digests.json").read_text())
    # the digests streamed row group by row group are those of the table read back
    back = clean.load_clean(tmp_path / "spill")
    for t in clean.DATA_TABLES:
        assert memo[t]["content"] == cache.frame_digest(back[t])


def test_hostile_corpus_spilled_writes_the_same_files(tmp_path):
    raw = mh.make_hostile(tmp_path / "raw")
    mem, spilled = _both(raw, mh.START, mh.END, tmp_path)
    assert (mem.tables["rejected"]["reason"] == "duplicate_month").any()
    _same_outputs(mem, spilled, tmp_path)


def test_new_period_spilled_writes_the_same_files(tmp_path):
    from analysis.example.new_period import write_new_period

    write_new_period(tmp_path / "raw", seed=0)
    mem, spilled = _both(tmp_path / "raw", "2023-01", "2023-06", tmp_path)
    assert mem.decisions  # resubmissions resolved across workbooks
    _same_outputs(mem, spilled, tmp_path)


def test_row_groups_streamed_are_those_of_one_write(tmp_path, monkeypatch):
    """Several row groups, each spanning parts of several sheets and files: the file is the one
    pandas writes from the whole table with the same row-group size, byte for byte."""
    monkeypatch.setattr(parts, "ROW_GROUP_ROWS", 97)
    mem = clean.run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END)
    spilled = clean.run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, spill=True)
    for t in ("activities", "census", "users"):
        a, b = tmp_path / f"{t}-one.parquet", tmp_path / f"{t}-streamed.parquet"
        mem.tables[t].to_parquet(a, index=False, row_group_size=97)
        digest = spilled.tables[t].write(b, ())
        assert filecmp.cmp(a, b, shallow=False), t
        assert digest == cache.frame_digest(mem.tables[t])
        import pyarrow.parquet as pq

        assert pq.ParquetFile(b).metadata.num_row_groups == -(-len(mem.tables[t]) // 97)


def test_parts_are_on_disk_one_per_sheet_and_removed_with_the_result(tmp_path):
    spilled = clean.run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, spill=tmp_path)
    folder = spilled.spill.dir
    assert folder.parent == tmp_path
    table = spilled.tables["activities"]
    on_disk = {p.path for p in table.parts}
    assert all(p.frame is None for p in table.parts)  # no clean row held in memory
    assert on_disk <= set(folder.iterdir())
    assert sum(p.n for p in table.parts) == len(table)
    keys = [(p.source, p.sheet) for p in table.parts]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    spilled.spill.close()
    assert not folder.exists()


def test_activities_read_as_categories_give_the_same_results(tmp_path):
    """The activities kernel reads its text columns as categoricals (memory): same results."""
    from analysis.analyses import activities

    clean.run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, spill=True).write(tmp_path)
    plain = clean.load_clean(tmp_path, columns={"activities": activities.COLUMNS})
    small = clean.load_clean(tmp_path, columns={"activities": activities.COLUMNS},
                             categories={"activities": activities.CATEGORIES})
    assert all(isinstance(small["activities"][c].dtype, pd.CategoricalDtype) for c in activities.CATEGORIES)
    assert str(small["activities"]["workers"].dtype) == "Int64"
    pd.testing.assert_frame_equal(small["activities"].astype({c: "string" for c in activities.CATEGORIES}),
                                  plain["activities"])
    a = activities.analyse_activities(plain["activities"], plain["submissions"], EXAMPLE_START, EXAMPLE_END)
    b = activities.analyse_activities(small["activities"], small["submissions"], EXAMPLE_START, EXAMPLE_END)
    assert activities.activity_metrics(b) == activities.activity_metrics(a)
    for name in ("by_type", "by_axis", "monthly", "participation"):
        pd.testing.assert_frame_equal(getattr(b, name), getattr(a, name))
