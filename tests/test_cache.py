"""The step cache: keys change with inputs, records detect tampered outputs."""

from pathlib import Path

from analysis import cache


def test_module_closure_follows_imports_transitively():
    files = {p.name for p in cache.module_closure("from analysis.metrics import merge\n")}
    assert "metrics.py" in files
    assert "__init__.py" in files
    files = {p.name for p in cache.module_closure("import analysis.analyses.audit\n")}
    assert {"audit.py", "config.py"} <= files
    assert "pipeline.py" not in files


def test_step_key_is_stable_and_sensitive():
    a = cache.step_key({"x": 1, "y": [1, 2]})
    assert a == cache.step_key({"y": [1, 2], "x": 1})
    assert a != cache.step_key({"x": 2, "y": [1, 2]})


def test_cache_records_and_detects_changed_outputs(tmp_path: Path):
    out = tmp_path / "result.txt"
    out.write_text("v1")
    store = cache.StepCache(tmp_path / ".cache")
    assert not store.is_fresh("step", "k1")
    store.record("step", "k1", [out])
    assert store.is_fresh("step", "k1")
    assert not store.is_fresh("step", "k2")
    out.write_text("tampered")
    assert not store.is_fresh("step", "k1")
    out.unlink()
    assert not store.is_fresh("step", "k1")


def test_files_under_skips_hidden(tmp_path: Path):
    (tmp_path / "a.xlsx").write_text("x")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "b.xlsx").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in cache.files_under(tmp_path, ("*.xlsx", "*.csv"))]
    assert found == ["a.xlsx", "sub/c.csv"]
