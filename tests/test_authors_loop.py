"""What reruns after which change: the authors' loop and the rerun granularity.

- a notebook declares the clean tables it reads (``# reads: …``) and reruns only when
  the content of one of them changes; a workbook re-saved with the same values reruns
  nothing after the cleaning (not even the render);
- editing a chapter's prose rerenders only the HTML of that chapter (the report inputs
  are not regenerated, the other pages keep their bytes);
- the preview server serves the book on the loopback interface and tells a page when
  its file changed.

Timings are measured in ``benchmarks/authors_loop.py``, not asserted here.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import pipeline
from analysis.config import EXAMPLE_RAW_DIR, NOTEBOOKS_DIR, REPORT_DIR, RunParams, run_paths
from analysis.ingest import schema
from analysis.ingest.clean import load_clean
from analysis.report import render as render_mod

ANALYSES = {"activities", "referrals", "saturation", "gradient", "evolution"}
DUNE = Path("suivi") / "Tableau PRR Dune ASBL v3.xlsx"


# --------------------------------------------------------------------------- fast: declarations and keys


def test_every_analysis_notebook_declares_the_tables_it_reads():
    steps = {s.name: s.reads for s in pipeline.analysis_steps()}
    assert steps == {"activities": ("activities", "submissions"), "referrals": ("census", "pros", "users"),
                     "saturation": ("census",), "gradient": ("census", "users"),
                     "evolution": ("activities", "submissions", "users")}
    for s in pipeline.analysis_steps():
        assert set(s.reads) <= set(schema.TABLES), s.notebook
        # what the notebook indexes in the clean tables is within what it declares
        text = (NOTEBOOKS_DIR / s.notebook).read_text(encoding="utf-8")
        for table in schema.TABLES:
            if f'["{table}"]' in text and "load_clean" in text:
                assert table in s.reads, (s.notebook, table)


def test_notebook_without_declaration_reads_everything(tmp_path: Path):
    nb = tmp_path / "06_new.py"
    nb.write_text("# %%\nx = 1\n", encoding="utf-8")
    assert pipeline.notebook_reads(nb) is None
    nb.write_text('# %% tags=["parameters"]\n# reads: users,census  (why)\nx = 1\n', encoding="utf-8")
    assert pipeline.notebook_reads(nb) == ("census", "users")


def _write_tables(folder: Path, files_sha: str, users_age: int = 30) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"source_file": ["a.xlsx"], "sha256": [files_sha], "status": ["used"]}).to_parquet(
        folder / "files.parquet")
    pd.DataFrame({"service_code": ["X"], "age": pd.array([users_age], dtype="Int64")}).to_parquet(
        folder / "users.parquet")


def test_table_digests_ignore_provenance_columns_only(tmp_path: Path):
    clean, memo = tmp_path / "clean", tmp_path / ".cache"
    _write_tables(clean, "a" * 64)
    first = pipeline.table_digests(clean, memo)
    assert set(first) == {"files", "users"}
    _write_tables(clean, "b" * 64)  # the same workbook re-saved: another file hash
    assert pipeline.table_digests(clean, memo) == first
    _write_tables(clean, "b" * 64, users_age=31)  # one value changed
    changed = pipeline.table_digests(clean, memo)
    assert changed["files"] == first["files"] and changed["users"] != first["users"]
    # the memo is keyed on the parquet bytes: a tampered memo is not trusted
    assert (memo / "clean-digests.json").is_file()


def test_analysis_kernels_see_only_declared_tables_without_provenance(tmp_path: Path, monkeypatch):
    clean = tmp_path / "clean"
    clean.mkdir()
    for name in schema.TABLES:
        cols = schema.columns(name)
        pd.DataFrame({c: pd.Series([], dtype="object") for c in cols}).to_parquet(clean / f"{name}.parquet")
    assert set(load_clean(clean)) == set(schema.TABLES)
    monkeypatch.setenv(schema.READS_ENV, "files,census")
    tables = load_clean(clean)
    assert set(tables) == {"files", "census"}
    assert "sha256" not in tables["files"].columns and "source_file" in tables["files"].columns


def test_preview_server_serves_on_loopback_and_versions_pages(tmp_path: Path):
    from analysis.report.serve import SCRIPT_PATH, start_server

    book = tmp_path / "_book"
    (book / "chapters").mkdir(parents=True)
    page = book / "chapters" / "x.html"
    page.write_text("<html><body><p>v1</p></body></html>", encoding="utf-8")
    server, url = start_server(book, 0)
    try:
        assert url.startswith("http://127.0.0.1:")
        html = urllib.request.urlopen(url + "chapters/x.html").read().decode()
        assert "<p>v1</p>" in html and SCRIPT_PATH in html
        assert SCRIPT_PATH not in page.read_text(encoding="utf-8")  # the file itself is untouched
        version = url + "__prr/version?page=/chapters/x.html"
        v1 = urllib.request.urlopen(version).read()
        assert urllib.request.urlopen(version).read() == v1
        page.write_text("<html><body><p>version 2</p></body></html>", encoding="utf-8")
        assert urllib.request.urlopen(version).read() != v1
        assert urllib.request.urlopen(url + "__prr/version?page=/../../etc/passwd").read() == b"absent"
    finally:
        server.shutdown()


# --------------------------------------------------------------------------- slow: the pipeline


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    raw = root / "raw"
    shutil.copytree(EXAMPLE_RAW_DIR, raw)
    params = RunParams(raw=raw, out=root / "run")
    pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    return params


@pytest.mark.slow
def test_resaved_workbook_reruns_nothing_after_cleaning(example_run, tmp_path, monkeypatch):
    params = example_run
    report = tmp_path / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml",
                                                                      ".prr-cache"))
    monkeypatch.setattr(pipeline, "REPORT_DIR", report)
    pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback", formats=("html",))
    path = Path(params.raw) / DUNE
    before = path.read_bytes()
    wb = openpyxl.load_workbook(path)
    wb.save(path)  # same values, other bytes
    assert path.read_bytes() != before
    log = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    assert log.ran == ["clean"] and set(log.skipped) == ANALYSES
    rendered = pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback", formats=("html",))
    assert rendered.skipped == ["render"]


@pytest.mark.slow
def test_one_cell_edit_reruns_only_the_steps_reading_that_table(example_run):
    params = example_run
    path = Path(params.raw) / DUNE
    wb = openpyxl.load_workbook(path)
    ws = wb["Activités"]
    assert ws["F4"].value == 3  # users present at the first activity
    ws["F4"] = 4
    wb.save(path)
    log = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    # the activities table changed: the notebooks whose « # reads: » line names it rerun (06_evolution reads it)
    assert log.ran == ["clean", "activities", "evolution"]
    assert set(log.skipped) == ANALYSES - {"activities", "evolution"}
    # a change in a table several analyses read reruns those, and only those
    census = Path(params.raw) / "recensement" / "recensement_2022-2023_export.csv"
    lines = census.read_bytes().splitlines(keepends=True)
    census.write_bytes(b"".join(lines[:-1]))  # one census row less (the last one is kept by the cleaning)
    log = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    assert log.ran[0] == "clean" and set(log.ran[1:]) == {"referrals", "saturation", "gradient"}
    assert set(log.skipped) == {"activities", "evolution"}
    assert len(load_clean(run_paths(params.out)["clean"])["census"]) > 0


@pytest.mark.slow
def test_chapter_edit_rewrites_only_that_chapters_page(example_run, tmp_path, monkeypatch):
    params = example_run
    report = tmp_path / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml",
                                                                      ".prr-cache"))
    monkeypatch.setattr(pipeline, "REPORT_DIR", report)
    first = pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback")
    assert first.ran == ["render"]
    book = report / "_book"
    pages = sorted(book.rglob("*.html"))
    stamps = {p: os.stat(p).st_mtime_ns for p in [*pages, book / "prr-rapport.pdf", report / "_variables.yml"]}

    chapter = report / "chapters" / "07-activites.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUne phrase ajoutée par une autrice.\n",
                       encoding="utf-8")
    run = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    assert run.ran == []  # no notebook for a chapter edit
    log = pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback", formats=("html",),
                          pdf_link=True)
    assert log.ran == ["render"]
    edited = book / "chapters" / "07-activites.html"
    assert [p for p in log.render.changed if p.suffix == ".html"] == [edited]
    assert "Une phrase ajoutée par une autrice." in edited.read_text(encoding="utf-8")
    for p, t in stamps.items():  # nothing else rewritten: other pages, the PDF, the report inputs
        if p != edited:
            assert os.stat(p).st_mtime_ns == t, p
    # the PDF follows on demand, from the cached chapters
    pdf = pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback", formats=("pdf",))
    assert pdf.ran == ["render"] and [p.name for p in pdf.render.changed] == ["prr-rapport.pdf"]
    assert pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback").skipped == ["render"]


@pytest.mark.slow
def test_incremental_render_equals_a_fresh_render(example_run, tmp_path):
    """The render cache changes nothing in the output: a render after edits (cache warm) gives the same
    bytes as a render from scratch."""
    from analysis.report.inputs import prepare_report_inputs

    books = []
    for name in ("warm", "cold"):
        report = tmp_path / name
        shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated",
                                                                          "_variables.yml", ".prr-cache"))
        prepare_report_inputs(example_run.out, report, is_example=True)
        books.append(report)
    warm = books[0]
    chapter = warm / "chapters" / "09-saturation.qmd"
    original = chapter.read_text(encoding="utf-8")
    render_mod.render(warm, engine="fallback", formats=("html",))
    chapter.write_text(original + "\nParagraphe provisoire.\n", encoding="utf-8")
    render_mod.render(warm, engine="fallback", formats=("html",))
    chapter.write_text(original, encoding="utf-8")
    render_mod.render(warm, engine="fallback", formats=("html",))
    render_mod.render(books[1], engine="fallback", formats=("html",))
    a = {p.relative_to(warm / "_book"): p.read_bytes() for p in (warm / "_book").rglob("*") if p.is_file()}
    b = {p.relative_to(books[1] / "_book"): p.read_bytes() for p in (books[1] / "_book").rglob("*")
         if p.is_file()}
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def test_clean_step_digests_are_those_of_the_written_tables(tmp_path: Path):
    """The clean step stores each table's content digest while it holds the table; the pipeline
    trusts them (no table loaded again): they must be the digests of the parquet files as read back."""
    import json

    from analysis import cache
    from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START
    from analysis.ingest.clean import run_cleaning
    from analysis.ingest.schema import PROVENANCE_COLUMNS

    clean, memo = tmp_path / "clean", tmp_path / ".cache" / cache.DIGESTS_MEMO
    run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END).write(clean, digests_memo=memo)
    stored = json.loads(memo.read_text(encoding="utf-8"))
    assert set(stored) == {p.stem for p in clean.glob("*.parquet")}
    for name, entry in stored.items():
        path = clean / f"{name}.parquet"
        assert entry["file"] == cache.sha256_file(path)
        assert entry["content"] == pipeline._content_digest(path, PROVENANCE_COLUMNS.get(name, ())), name
    # the pipeline reads them as they are (same file hashes): its digests are the stored ones
    assert pipeline.table_digests(clean, memo.parent) == {n: e["content"] for n, e in stored.items()}


@pytest.mark.slow
def test_watch_reloads_the_open_page_in_a_browser(example_run, tmp_path, monkeypatch):
    """``prr render --watch`` in headless Chromium: the chapter's page is open, the author saves the
    chapter, the page reloads by itself and shows the new sentence (nothing else done by hand)."""
    import sys
    import threading
    import time

    sys.path.insert(0, str(Path(__file__).parent / "report"))
    from browser import chromium, find_browser

    from analysis import cli
    from analysis.report import serve

    if find_browser() is None:
        pytest.skip("pas de navigateur : installer Chromium et chromedriver (apt-get install -y chromium "
                    "chromium-driver) pour ce test")
    report = tmp_path / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml",
                                                                      ".prr-cache"))
    monkeypatch.setattr(pipeline, "REPORT_DIR", report)
    urls: list[str] = []
    start_server = serve.start_server

    def recording(*args, **kwargs):
        server, url = start_server(*args, **kwargs)
        urls.append(url)
        return server, url

    monkeypatch.setattr(serve, "start_server", recording)
    page = report / "_book" / "chapters" / "07-activites.html"
    stop = threading.Event()
    loop = threading.Thread(target=cli.watch, args=(pipeline, example_run, "fallback"),
                            kwargs={"serve": True, "port": 0, "stop": stop}, daemon=True)
    loop.start()
    try:
        deadline = time.time() + 300
        while not (urls and page.is_file()) and time.time() < deadline:  # the first render
            time.sleep(0.2)
        assert page.is_file(), "le premier rendu n'a pas écrit la page"
        with chromium() as driver:
            driver.get(urls[0] + "chapters/07-activites.html")
            driver.execute_script("window.prrMarker = 1;")
            assert driver.execute_script("return window.prrMarker") == 1
            chapter = report / "chapters" / "07-activites.qmd"
            sentence = "Une phrase que la page ouverte montre sans rechargement manuel."  # no quote: pandoc curls them
            assert sentence not in driver.page_source
            chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
            deadline = time.time() + 120
            while time.time() < deadline:
                # a reload gives a new window object (the marker is gone) holding the new text
                if driver.execute_script("return window.prrMarker === undefined && "
                                         f"document.body.innerText.includes({sentence!r})"):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("la page ouverte ne s'est pas rechargée après l'enregistrement du chapitre")
            assert sentence in page.read_text(encoding="utf-8").split("<main", 1)[1]  # in the content
            assert serve.SCRIPT_PATH not in page.read_text(encoding="utf-8")  # the file has no reload script
    finally:
        stop.set()
        loop.join(timeout=60)
    assert not loop.is_alive()
