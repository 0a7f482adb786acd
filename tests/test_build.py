"""End to end: the example is run and rendered; numbers reach the report; two builds are identical;
another period gives other numbers; nothing below the disclosure threshold reaches a reader."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import kernelfork, pipeline
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REPORT_DIR, RunParams, run_paths
from analysis.report import render as render_mod
from analysis.report.inputs import prepare_report_inputs

pytestmark = pytest.mark.slow


def _render(run_out: Path, dest: Path) -> Path:
    report = dest / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml"))
    prepare_report_inputs(run_out, report, DEFAULT_DISCLOSURE_THRESHOLD, is_example=True)
    render_mod.render(report, engine="fallback")
    return report / "_book"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(str(path)).pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, example_build):
    """Build "a" is the session's example build (tests/conftest.py), shared with the web book's tests;
    build "b" runs ordinary kernels, without the kernel server (:mod:`analysis.kernelfork`)."""
    root = tmp_path_factory.mktemp("build")
    b = RunParams(out=root / "b")
    short = RunParams(out=root / "short", start="2021-09", end="2021-12")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kernelfork.SERVER_ENV, "off")
        pipeline.run(b, force=True)
    pipeline.run(short, force=True)
    return {"a": example_build, "b": (b, _render(b.out, root / "rb")),
            "short": (short, _render(short.out, root / "rs"))}


def _hashes(folder: Path, patterns=("*",)) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for pat in patterns for p in sorted(folder.rglob(pat)) if p.is_file()}


def test_every_output_of_a_run_exists(builds):
    params, book = builds["a"]
    paths = run_paths(params.out)
    metrics = json.loads(paths["metrics"].read_text())
    for key in ("period.start", "participation.rate_pct", "activities.total.n", "users.n", "pros.n",
                "saturation.2020_11.n", "saturation.accepted_change_pct", "gradient.census.sii", "gradient.model",
                "rows.raw", "rows.clean", "rows.rejected", "temps_reseau.work_time_pct"):
        assert key in metrics, key
    assert metrics["rows.raw"] == metrics["rows.clean"] + metrics["rows.rejected"]
    for nb in ("01_clean", "02_activities", "03_referrals", "04_saturation", "05_gradient"):
        assert (paths["notebooks"] / f"{nb}.ipynb").exists()
    assert (book / "index.html").exists() and (book / "prr-rapport.pdf").exists()


def test_the_clean_step_leaves_no_parts_on_disk(builds, tmp_path):
    """The clean kernel is stopped without its exit handlers: the spilled parts are removed by the
    step itself, and parts a killed run left behind are swept by the next one."""
    from analysis.ingest.parts import PREFIX, Spill

    params, _ = builds["a"]
    cache_dir = run_paths(params.out)["cache"]
    assert cache_dir.is_dir() and not list(cache_dir.glob(f"{PREFIX}*"))
    stale = Spill(tmp_path)
    stale.put(pd.DataFrame({"a": [1]}))
    stale._cleanup.detach()  # as if the process had been killed
    assert Spill.sweep(tmp_path) == [stale.dir] and not stale.dir.exists()


def test_two_builds_are_byte_identical(builds):
    """Also: kernels forked from the kernel server (a) and ordinary kernels (b) give the same files."""
    (a, book_a), (b, book_b) = builds["a"], builds["b"]
    for part in ("clean", "figures", "tables", "exact"):
        assert _hashes(a.out / part) == _hashes(b.out / part), part
    assert (a.out / "metrics.json").read_bytes() == (b.out / "metrics.json").read_bytes()
    assert _hashes(book_a, ("*.html",)) == _hashes(book_b, ("*.html",))


def test_metrics_reach_the_pdf_and_html(builds):
    _, book = builds["a"]
    pdf = _pdf_text(book / "prr-rapport.pdf")
    html = re.sub(r"[\u00a0\u202f]", " ", "".join(p.read_text(encoding="utf-8") for p in book.rglob("*.html")))
    for text in ("3 419", "10 292", "55,7 %", "49,4 %", "37,8", "11 163", "21,1 %", "75,0 %"):
        assert text in pdf, text
        assert text in html, text


def test_every_chapter_and_vignette_is_in_the_book(builds):
    _, book = builds["a"]
    html = "".join(p.read_text(encoding="utf-8") for p in book.rglob("*.html"))
    for qmd in sorted((REPORT_DIR / "chapters").glob("*.qmd")):
        title = qmd.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").split(" {")[0]
        assert title.replace("'", "&#39;") in html or title in html.replace("’", "'"), title
    for v in sorted((REPORT_DIR / "vignettes").glob("*.qmd")):
        assert f'id="{v.stem}' in html or v.stem in html, v.stem
    assert "{{<" not in html and "?@" not in html


def test_another_period_gives_other_numbers(builds):
    (a, _), (s, book_s) = builds["a"], builds["short"]
    ma = json.loads(run_paths(a.out)["metrics"].read_text())
    ms = json.loads(run_paths(s.out)["metrics"].read_text())
    assert ms["period.end"] == "2021-12" and ms["activities.total.n"] < ma["activities.total.n"]
    pdf = _pdf_text(book_s / "prr-rapport.pdf")
    from analysis.publish.fmt import fmt_int

    assert fmt_int(ms["activities.total.n"]).replace("\u00a0", " ") in pdf
    assert "décembre 2021" in pdf


COUNT_HEADERS = ("Effectif", "Demandes", "Dénominateur", "Usagers", "Nouvelles demandes")
#: Data quality tables: in the rows of a person table, every count column is a person count.
PERSON_TABLE_LABELS = {"usagers", "professionnels", "recensement"}
QUALITY_COUNT_HEADERS = ("Lignes", "Retenues", "Mises à l'écart")


def _md_tables(text: str):
    """(header, rows) of every pipe table of a Markdown text."""
    block: list[str] = []
    for ln in [*text.splitlines(), ""]:
        if ln.startswith("|"):
            block.append(ln)
            continue
        if len(block) > 2:
            split = [[c.strip() for c in b.strip().strip("|").split("|")] for b in block]
            yield split[0], split[2:]
        block = []


def _html_tables(html: str):
    """(header, rows) of every table of an HTML page, cell text without tags."""
    def cells(row: str) -> list[str]:  # a body row's key columns are row headers (th)
        found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        return [" ".join(re.sub(r"<[^>]+>", "", c).replace("&lt;", "<").split()) for c in found]

    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        rows = re.findall(r"<tr.*?</tr>", table, flags=re.S)
        if rows:
            yield cells(rows[0]), [cells(r) for r in rows[1:]]


def _small_person_counts(header: list[str], rows: list[list[str]], t: int) -> list[str]:
    small = {str(v) for v in range(1, t)}
    cols = [i for i, h in enumerate(header) if h.startswith(COUNT_HEADERS)]
    quality = [i for i, h in enumerate(header) if h.startswith(QUALITY_COUNT_HEADERS)]
    found = []
    for cells in rows:
        person_row = bool(cells) and cells[0] in PERSON_TABLE_LABELS
        for i in cols + (quality if person_row else []):
            if i < len(cells) and cells[i] in small:
                found.append(f"{header[i]} = {cells[i]} ({cells[0]})")
    return found


def test_no_small_person_count_is_published(builds):
    """Person-count columns of every published table hold no 1..threshold−1: in the run's tables,
    in the rendered HTML (the PDF is rendered from the same sources) and in the executed notebooks."""
    params, book = builds["a"]
    t = DEFAULT_DISCLOSURE_THRESHOLD
    for md in sorted(run_paths(params.out)["tables"].glob("*.md")):
        for header, rows in _md_tables(md.read_text(encoding="utf-8")):
            found = _small_person_counts(header, rows, t)
            assert not found, f"{md.name}: {found}"
    n_html = 0
    for page in sorted(book.rglob("*.html")):
        for header, rows in _html_tables(page.read_text(encoding="utf-8")):
            n_html += 1
            found = _small_person_counts(header, rows, t)
            assert not found, f"{page.name}: {found}"
    assert n_html > 20  # the scan did see the book's tables
    for nb in sorted(run_paths(params.out)["notebooks"].glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("data", {}).get("text/markdown", ""))
                for header, rows in _md_tables(text):
                    found = _small_person_counts(header, rows, t)
                    assert not found, f"{nb.name}: {found}"


def test_executed_notebooks_hold_no_person_level_rows(builds):
    params, _ = builds["a"]
    for nb in run_paths(params.out)["notebooks"].glob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        for column in ("birth_year", "first_contact", "demand_date"):
            assert column not in text or nb.stem == "01_clean", (nb.name, column)


ANALYSES = {"activities", "referrals", "saturation", "gradient", "evolution"}


def test_nothing_changed_means_nothing_runs_and_chapter_edits_only_rerender(builds, tmp_path, monkeypatch, capsys):
    params, _ = builds["a"]
    log = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    assert log.ran == [] and set(log.skipped) == {"clean"} | ANALYSES

    report = tmp_path / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml"))
    monkeypatch.setattr(pipeline, "REPORT_DIR", report)
    assert pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback").ran == ["render"]
    assert pipeline.render(params, log=pipeline.BuildLog(quiet=True), engine="fallback").skipped == ["render"]

    chapter = report / "chapters" / "11-conclusion.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUne phrase ajoutée par un auteur.\n", encoding="utf-8")
    again = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    assert again.ran == []  # no notebook for a chapter edit
    # the authors' preview loop (`prr render --watch`) re-renders the edited chapter, runs no notebook
    from analysis.cli import watch

    assert watch(pipeline, params, "fallback", interval=0, rounds=2) == 0
    said = capsys.readouterr().out
    assert said.count("rendu refait") == 1  # once for the edit, then nothing changed
    assert "Une phrase ajoutée par un auteur." in (report / "_book" / "chapters" / "11-conclusion.html").read_text(
        encoding="utf-8")


def test_a_changed_workbook_reruns_cleaning_and_what_depends_on_it(tmp_path):
    from analysis.config import EXAMPLE_RAW_DIR

    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLE_RAW_DIR, raw)
    params = RunParams(raw=raw, out=tmp_path / "run")
    pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    (raw / "suivi" / "Tableau PRR Dune ASBL v3.xlsx").unlink()
    log = pipeline.run(params, log=pipeline.BuildLog(quiet=True))
    # Dune's workbook holds activities only: the notebooks reading other tables are not rerun
    # (the « Évolution » notebook reads the activities too)
    assert log.ran == ["clean", "activities", "evolution"]
    assert set(log.skipped) == ANALYSES - {"activities", "evolution"}
    forced = pipeline.run(params, force=True, log=pipeline.BuildLog(quiet=True))
    assert set(forced.ran) == {"clean"} | ANALYSES


def test_statistical_chapters_of_the_example_keep_the_wording_rules(builds):
    """On real numbers the sentences built in code obey the wording rules too, and the PRR users'
    Q1/Q5 ratio (one user in Q5) is printed as « effectif trop faible pour conclure », never as a number."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "report"))
    from wording_rules import STAT_CHAPTERS, violations

    params, book = builds["a"]
    metrics = json.loads(run_paths(params.out)["metrics"].read_text())
    found = {}
    for stem in STAT_CHAPTERS:
        html = (book / "chapters" / f"{stem}.html").read_text(encoding="utf-8")
        text = re.sub(r"<[^>]+>", " ", html[html.index("<main"):html.index("</main>")]).replace("\u2019", "'")
        found[stem] = violations(text)
        if stem == "10-gradient":
            gradient_text = re.sub(r"[\u00a0\u202f]", " ", text)
    assert not any(found.values()), found
    assert metrics["gradient.users.rate_ratio_q1_q5_stable"] is False
    rr = f"{metrics['gradient.users.rate_ratio_q1_q5']:.2f}".replace(".", ",")
    assert rr not in gradient_text
    # disclosure comes first: a ratio resting on a withheld count is « non publié »
    assert "effectif trop faible pour conclure" in gradient_text or "non publié" in gradient_text


def _reader_tables(tables: Path, pop: str) -> tuple[dict, list]:
    """The intruder's view of one population: the commune, quintile and basin tables as published
    (and, for the users, the referrals chapter's commune table with its total)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "publish"))
    from test_intruder import parse_count

    stem = "gradient-usagers" if pop == "users" else "gradient"
    com = pd.read_csv(tables / f"{stem}-communes.csv", dtype=str)
    qui = pd.read_csv(tables / f"{stem}-quintiles.csv", dtype=str)
    bas = pd.read_csv(tables / f"{stem}-bassins.csv", dtype=str)
    cells = {f"c:{r.Commune}": parse_count(r.Effectif) for r in com.itertuples()}
    rels = []
    for r in qui.itertuples():
        key = f"q:{r.Quintile.split()[0]}"
        cells[key] = parse_count(r.Effectif)
        rels.append((key, [f"c:{n}" for n in r.Communes.split(", ")]))
    for r in bas.itertuples():
        key = f"b:{r.Bassin}"
        cells[key] = parse_count(r.Effectif)
        rels.append((key, [f"c:{n}" for n in r.Communes.split(", ")]))
    if pop == "users":
        ref = pd.read_csv(tables / "orientations-communes.csv", dtype=str)
        for r in ref.itertuples():
            key = "total" if r.Commune == "Total" else f"c:{r.Commune}"
            if key in cells and parse_count(r.Effectif) != cells[key]:
                raise AssertionError(f"the two chapters disagree on {key}")
            cells[key] = parse_count(r.Effectif)
        rels.append(("total", [k for k in cells if k.startswith("c:")]))
    return cells, rels


@pytest.mark.parametrize("which", ["a", "short"])
def test_intruder_recovers_no_suppressed_count_from_the_published_tables(builds, which):
    """Differencing across every linked table of the rendered period, by linear programming: every
    « < 5 » keeps its five possible values 0..4; no rate, ratio or index is published next to it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "publish"))
    from test_intruder import T, attack

    params, _ = builds[which]
    tables = params.out / "tables"
    hidden_seen = 0
    for pop in ("users", "census"):
        cells, rels = _reader_tables(tables, pop)
        ranges = attack(cells, rels)
        hidden_seen += sum(1 for v in cells.values() if v == "<")
        narrow = {c: r for c, r in ranges.items() if cells[c] == "<" and r[1] - r[0] < T - 1 - 1e-6}
        assert not narrow, (which, pop, narrow)
    assert hidden_seen > 0
    # the run records the audit (internal), and the report's variables hold only what the chapters cite
    audit = json.loads((params.out / "disclosure" / "gradient-users.json").read_text(encoding="utf-8"))
    assert audit["unsafe"] == [] and audit["cells"]
    # every linked plan of the run (users, census, quality, saturation…) protects all its small cells
    audits = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (params.out / "disclosure").glob("*.json")}
    unsafe = {name: a["unsafe"] for name, a in audits.items() if isinstance(a, dict) and a.get("unsafe")}
    assert not unsafe, (which, unsafe)
    assert {"quality.json", "saturation.json"} <= set(audits), sorted(audits)
