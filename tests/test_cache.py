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


def test_file_digest_is_remembered_only_while_the_file_is_untouched(tmp_path, monkeypatch):
    """``sha256_file`` reads a file again as soon as it is written, even to the same size with its
    modification time put back (``prr render --watch`` relies on it between edits)."""
    import hashlib
    import os
    import time

    from analysis import cache

    f = tmp_path / "figure.svg"
    f.write_bytes(b"<svg>aaaa</svg>")
    # just written: not remembered (a second write within the clock's resolution could go unseen)
    assert cache.sha256_file(f) == hashlib.sha256(b"<svg>aaaa</svg>").hexdigest()
    assert str(f) not in cache._DIGESTS
    monkeypatch.setattr(cache, "_SETTLED_NS", -(10**18))  # as if written long ago
    assert cache.sha256_file(f) == hashlib.sha256(b"<svg>aaaa</svg>").hexdigest()
    assert str(f) in cache._DIGESTS
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: reads.append(a[0]) or real_open(*a, **k))
    assert cache.sha256_file(f) == hashlib.sha256(b"<svg>aaaa</svg>").hexdigest()
    assert reads == []  # unchanged: not read again
    st = f.stat()
    time.sleep(0.05)  # past the kernel's clock tick for file times
    with real_open(f, "r+b") as fh:
        fh.write(b"<svg>bbbb</svg>")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time put back
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert cache.sha256_file(f) == hashlib.sha256(b"<svg>bbbb</svg>").hexdigest()
    assert reads == [str(f)]


def test_imports_memo_gives_the_parsed_closure_and_survives_a_bad_file(tmp_path: Path, monkeypatch):
    source = "import analysis.pipeline\n"
    monkeypatch.setattr(cache, "_IMPORTS", {})
    parsed = cache.module_closure(source)
    memo = tmp_path / cache.IMPORTS_MEMO
    cache.save_imports(memo)
    monkeypatch.setattr(cache, "_IMPORTS", {})
    cache.load_imports(memo)
    calls = []
    monkeypatch.setattr(cache, "_parse_imports", lambda s: calls.append(s) or frozenset())
    assert cache.module_closure(source) == parsed and calls == []  # every module found in the memo
    changed = source + "import analysis.metrics\n"
    cache.module_closure(changed)
    assert calls == [changed]  # a changed text is parsed again
    memo.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(cache, "_IMPORTS", {})
    cache.load_imports(memo)  # ignored
    assert cache._IMPORTS == {}
