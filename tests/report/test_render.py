"""The report's render engine (pandoc + typst fallback) and the generation of its inputs.

One fake run folder (metrics, a figure, tables) feeds the real report sources,
copied to a temporary folder (chapters that other people have not written yet
are replaced by stubs). The book is rendered once to HTML and PDF and the
outputs are inspected as a reader would: chapters in order, numbered figures
and cross-references in French, variables, images, search index.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.config import REPORT_DIR
from analysis.errors import PrrError
from analysis.publish.fmt import NBSP
from analysis.report import inputs as RI
from analysis.report import render as R

FIGURES = ("activities_by_type", "referrals_referrers", "saturation_outcomes", "gradient_users_quintiles")

METRICS = {
    "period.start": "2021-09",
    "period.end": "2022-04",
    "activities.total.n": 2302,
    "activities.total.participations": 11163,
    "users.n": 79,
    "users.female_pct": 55.696,
    "users.age_mean": 37.82,
    "users.services_n": 4,
    "users.commune_n.21005": 3,
    "pros.n": 124,
    "saturation.model.n": 1234,
    "saturation.2020_11.n": 3,
    "saturation.model.p.income": 0.0004,
    "gradient.users.n": 71,
    "gradient.users.rate_ratio_q1_q5": 2.3456,
    "sosa18.total_eur": 1526000,
}


# --------------------------------------------------------------------------- fixtures


def included(book: Path, kind: str) -> set[str]:
    """Names of the generated figures or tables (``kind``) that the book's sources include."""
    names = set()
    for qmd in book.rglob("*.qmd"):
        names |= set(re.findall(rf"_generated/{kind}/([\w-]+)\.md", qmd.read_text(encoding="utf-8")))
    return names


def book_variables(book: Path) -> set[str]:
    """Every ``{{< var key >}}`` of the book's sources."""
    keys: set[str] = set()
    for qmd in book.rglob("*.qmd"):
        keys |= set(re.findall(r"\{\{< var ([\w.\-]+) >\}\}", qmd.read_text(encoding="utf-8")))
    return keys


def make_run(tmp: Path, book: Path) -> Path:
    """A run folder with metrics.json and every figure and table the book includes."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import save_figure, set_theme

    run = tmp / "run"
    (run / "tables").mkdir(parents=True)
    metrics = dict(METRICS)
    for key in book_variables(book):  # every variable the real chapters use gets a plausible value
        if key not in metrics and not key.startswith(("period.", "disclosure.", "synthetic")):
            leaf = key.rsplit(".", 1)[-1]
            metrics[key] = "texte" if leaf in ("name", "sentence", "model_fr", "method", "model") else 12.5
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    set_theme()
    for k, name in enumerate(sorted(set(FIGURES) | included(book, "figures") - {"chronologie"})):
        fig, ax = plt.subplots(figsize=(4, 2.5))
        ax.bar(["a", "b", "c"], [3 + k, 5, 2])
        save_figure(fig, name, run / "figures", alt=f"Diagramme en barres de test {name}.",
                    caption=f"Figure de test {name} (données synthétiques).")
    for name in sorted(included(book, "tables")):
        (run / "tables" / f"{name}.md").write_text(
            f"| Catégorie | Effectif |\n|---|--:|\n| a | 1 234 |\n| b | 5 |\n\n: Tableau de test {name}\n",
            encoding="utf-8")
    return run


def copy_book(tmp: Path) -> Path:
    """The real report sources in a temporary folder; missing chapters become stubs."""
    book = tmp / "report"
    shutil.copytree(REPORT_DIR, book, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml",
                                                                   ".quarto", "_freeze"))
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    for src in cfg["book"]["chapters"] + cfg["book"]["appendices"]:
        path = book / src
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            stem = Path(src).stem.split("-", 1)[-1]
            path.write_text(f"# Chapitre {stem} {{#sec-{stem}}}\n\nTexte provisoire.\n", encoding="utf-8")
    return book


def chapter_titles(book: Path) -> list[str]:
    """The level-1 heading of every chapter, in _quarto.yml order (without attributes)."""
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    titles = []
    for src in cfg["book"]["chapters"] + cfg["book"]["appendices"]:
        text = (book / src).read_text(encoding="utf-8")
        m = re.search(r"^# (.+?)\s*(\{[^}]*\})?\s*$", text, re.M)
        titles.append(m.group(1).strip())
    return titles


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render the book once (HTML + PDF); returns (book dir, result)."""
    tmp = tmp_path_factory.mktemp("render")
    book = copy_book(tmp)
    run = make_run(tmp, book)
    RI.prepare_report_inputs(run, book, threshold=5, is_example=True)
    result = R.render(book, engine="fallback")
    return book, result


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def plain(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    for a, b in (("&amp;", "&"), ("&#39;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">")):
        text = text.replace(a, b)
    return re.sub(r"[ \t\r\n]+", " ", text).strip()  # keeps no-break spaces


def squash(text: str) -> str:
    """Compare texts whatever the spaces (PDF extraction drops or adds some) and apostrophes."""
    return re.sub(r"[\s\u00a0\u202f]+", "", text).replace("\u2019", "'")


# --------------------------------------------------------------------------- format_metric and variables


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("users.female_pct", 55.696, f"55,7{NBSP}%"),
        ("saturation.accepted_pct_low", 12.04, f"12,0{NBSP}%"),
        ("activities.communautaire_collectif.participations", 10292, f"10{NBSP}292"),
        ("activities.total.n", 2302.0, f"2{NBSP}302"),
        ("users.services_n", 4, "4"),
        ("users.age_mean", 37.82, "37,8"),
        ("saturation.2020_11.median_wait_days", 21.0, "21,0"),
        ("saturation.accepted_p_value", 0.0004, f"p{NBSP}<{NBSP}0,001"),
        ("gradient.users.dispersion_p_value", 0.0312, f"p{NBSP}={NBSP}0,03"),
        ("saturation.model.p.income", 0.0042, f"p{NBSP}={NBSP}0,004"),
        ("sosa18.total_eur", 1526000, f"1{NBSP}526{NBSP}000{NBSP}€"),
        ("gradient.income_year", 2020, "2020"),
        ("gradient.users.rate_ratio_q1_q5", 2.3456, "2,35"),
        ("saturation.model.or.income_low", 0.81234, "0,81"),
        ("gradient.users.rate_per_10000", 45.678, "45,7"),
        ("gradient.income_indicator", "mean_income_per_return_eur", "mean_income_per_return_eur"),
        ("period.start", "2021-09", "2021-09"),
        ("users.age_min", 3, "3"),
        ("saturation.model.n", None, "–"),
    ],
)
def test_format_metric(key, value, expected):
    assert RI.format_metric(key, value) == expected


@pytest.mark.parametrize(
    ("key", "person"),
    [("users.n", True), ("pros.n", True), ("saturation.2020_11.n", True), ("users.commune_n.21005", True),
     ("gradient.users.quintile.q1.count", True), ("gradient.census.excluded_outside", True),
     ("users.services_n", False), ("gradient.communes_n", False), ("gradient.n_sim", False),
     ("activities.total.n", False), ("users.female_pct", False), ("activities.formation.participations", False)],
)
def test_is_person_count(key, person):
    assert RI.is_person_count(key) is person


def test_build_variables_withholds_small_person_counts_and_nests():
    v = RI.build_variables(METRICS, threshold=5, is_example=True)
    assert v["synthetic"] is True
    assert v["users"]["commune_n"]["21005"] == "moins de 5"
    assert v["saturation"]["2020_11"]["n"] == "moins de 5"
    assert v["users"]["services_n"] == "4"  # services are not people
    assert v["users"]["n"] == "79"
    assert v["activities"]["total"]["participations"] == f"11{NBSP}163"
    assert v["period"]["start_fr"] == "septembre 2021" and v["period"]["end_fr"] == "avril 2022"
    # zero is published, and the threshold is a parameter
    assert RI.build_variables({"users.n": 0}, threshold=5)["users"]["n"] == "0"
    assert RI.build_variables({"users.n": 7}, threshold=10)["users"]["n"] == "moins de 10"


def test_nest_rejects_a_key_that_is_both_value_and_group():
    with pytest.raises(ValueError, match="both a value and a group"):
        RI.nest({"a.b": 1, "a.b.c": 2})


def test_variables_file_round_trips_through_yaml(tmp_path):
    v = RI.build_variables({"saturation.2020_11.n": 12, "users.female_pct": 55.7}, is_example=False)
    path = RI.write_variables(v, tmp_path / "_variables.yml")
    back = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert back["saturation"]["2020_11"]["n"] == "12"  # a numeric-looking key stays a string key
    assert R.lookup_variable(back, "users.female_pct") == f"55,7{NBSP}%"
    assert back["synthetic"] is False


def test_table_caption_gets_an_id():
    text = "| a |\n|---|\n| 1 |\n\n: Légende du tableau\n"
    assert RI.add_table_id(text, "saturation_by_wave").rstrip().endswith("{#tbl-saturation-by-wave}")
    assert RI.add_table_id("| a |\n|---|\n| 1 |\n", "x") == "| a |\n|---|\n| 1 |\n"  # no caption: unnumbered
    keep = "| a |\n|---|\n\n: Déjà {#tbl-autre}\n"
    assert RI.add_table_id(keep, "x") == keep


def test_synthetic_notice_only_for_example_data():
    assert "callout-warning" in RI.synthetic_notice(True) and "synthétique" in RI.synthetic_notice(True)
    assert RI.synthetic_notice(False) == ""


# --------------------------------------------------------------------------- the rendered book


def test_fallback_is_used_and_says_so(rendered, capsys):
    _, result = rendered
    assert result.engine == "fallback"
    assert result.message == "Rendu via pandoc + typst (Quarto absent)"


def test_every_chapter_in_order_in_html(rendered):
    book, _ = rendered
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    sources = cfg["book"]["chapters"] + cfg["book"]["appendices"]
    titles = chapter_titles(book)
    out = book / "_book"
    index = (out / "index.html").read_text(encoding="utf-8")
    sidebar = squash(plain(index.split('<nav id="sidebar"', 1)[1].split("</nav>", 1)[0]))
    pos = [sidebar.find(squash(t)) for t in titles]
    assert all(p >= 0 for p in pos), [t for t, p in zip(titles, pos, strict=True) if p < 0]
    assert pos == sorted(pos)
    for src, title in zip(sources, titles, strict=True):
        page = out / (str(Path(src).with_suffix(".html")))
        assert page.exists(), page
        assert squash(title) in squash(plain(page.read_text(encoding="utf-8")))
    # previous / next links chain the pages in the same order
    second = (out / Path(sources[1]).with_suffix(".html")).read_text(encoding="utf-8")
    assert 'rel="prev" href="../index.html"' in second
    assert f'rel="next" href="{Path(sources[2]).name.replace(".qmd", ".html")}"' in second


def test_every_chapter_in_order_in_pdf(rendered):
    book, result = rendered
    assert result.pdf is not None and result.pdf.name == "prr-rapport.pdf"
    text = squash(pdf_text(result.pdf))
    titles = [squash(t) for t in chapter_titles(book)]
    # the contents list every title in order, then each chapter starts with it, in the same order
    body_start = 0
    for t in titles:
        body_start = text.find(t, body_start)
        assert body_start >= 0, f"absent des matières : {t}"
    pos = body_start + len(titles[-1])
    for t in titles:
        found = text.find(t, pos)
        assert found >= 0, f"chapitre absent ou déplacé : {t}"
        pos = found + len(t)
    assert squash("Table des matières") in text
    assert squash("Données synthétiques") in text  # cover notice


def test_nothing_left_unresolved(rendered):
    book, _ = rendered
    out = book / "_book"
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "{{<" not in html, page
        assert not re.search(r"\?@|@(fig|tbl|sec)-", plain(html)), page
    pdf = pdf_text(next(out.glob("*.pdf")))
    assert "{{<" not in pdf and not re.search(r"@(fig|tbl|sec)-", pdf)


def test_cross_references_in_french(rendered):
    book, _ = rendered
    out = book / "_book"
    sat = (out / "chapters" / "09-saturation.html").read_text(encoding="utf-8")
    # chapter 9 (index is unnumbered): outcomes are figure 9.1, publics 9.2, the wave table 9.1
    assert f'<a href="#fig-saturation-publics" class="quarto-xref">Figure{NBSP}9.2</a>' in sat
    assert f"<strong>Tableau{NBSP}9.1</strong>" in sat
    assert f"<strong>Figure{NBSP}9.1</strong>" in sat  # numbered caption
    assert '<span class="header-section-number">9</span>' in sat
    index = (out / "index.html").read_text(encoding="utf-8")
    if "@sec-introduction" in (book / "index.qmd").read_text(encoding="utf-8"):
        assert f'href="chapters/01-introduction.html#sec-introduction" class="quarto-xref">Chapitre{NBSP}1</a>' in index
    apx = (out / "annexes" / "a1-sosa18.html").read_text(encoding="utf-8")
    assert '<span class="header-section-number">A</span>' in apx
    assert f"Tableau{NBSP}A.1" in apx
    pdf = squash(pdf_text(out / "prr-rapport.pdf"))
    assert squash("Figure 9.1") in pdf and squash("Tableau 9.1") in pdf


def test_variables_in_both_outputs(rendered):
    book, _ = rendered
    out = book / "_book"
    act = plain((out / "chapters" / "07-activites.html").read_text(encoding="utf-8"))
    assert f"2{NBSP}302 activités" in act and f"11{NBSP}163 participations" in act
    pdf = squash(pdf_text(out / "prr-rapport.pdf"))
    assert squash("2 302 activités") in pdf and squash("11 163 participations") in pdf


def test_images_exist_and_have_alt_text(rendered):
    book, _ = rendered
    out = book / "_book"
    n = 0
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<img [^>]*>", html):
            src = re.search(r'src="([^"]+)"', tag).group(1)
            alt = re.search(r'alt="([^"]*)"', tag)
            assert (page.parent / src).resolve().is_file(), (page, src)
            assert src.endswith(".svg")
            assert alt and alt.group(1).strip(), (page, tag)
            n += 1
    assert n >= len(FIGURES) + 1  # the run's figures and the chronology
    sat = (out / "chapters" / "09-saturation.html").read_text(encoding="utf-8")
    assert 'alt="Diagramme en barres de test saturation-issues."' in sat


def test_callouts_vignettes_and_citations(rendered):
    book, _ = rendered
    out = book / "_book"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="callout callout-warning"' in index and "Données synthétiques" in index
    all_html = "".join(p.read_text(encoding="utf-8") for p in (out / "chapters").glob("*.html"))
    if (book / "vignettes").is_dir() and any((book / "vignettes").glob("*.qmd")):
        assert 'class="vignette"' in all_html and "Vignette clinique" in all_html
        assert "Vignetteclinique" in squash(pdf_text(out / "prr-rapport.pdf"))
    refs = (out / "references.html").read_text(encoding="utf-8")
    if re.search(r"\[@\w|@\w+\d{4}", "".join(p.read_text(encoding="utf-8") for p in book.rglob("*.qmd"))):
        assert 'class="csl-entry"' in refs
        assert re.search(r'href="\.\./references\.html#ref-[^"]+"', all_html)


def test_search_index(rendered):
    book, _ = rendered
    out = book / "_book"
    entries = json.loads((out / "search.json").read_text(encoding="utf-8"))
    urls = {e["url"].split("#")[0] for e in entries}
    assert {"index.html", "chapters/09-saturation.html", "annexes/a7-vignettes.html"} <= urls
    assert all(set(e) == {"url", "title", "chapter", "text"} for e in entries)
    js = (out / "search-index.js").read_text(encoding="utf-8")
    assert js.startswith("window.PRR_SEARCH_INDEX = ")
    assert (out / "site_libs" / "prr" / "search.js").exists()
    assert 'src="../search-index.js"' in (out / "chapters" / "09-saturation.html").read_text(encoding="utf-8")


def test_two_renders_are_byte_identical(rendered, tmp_path):
    book, result = rendered
    out = book / "_book"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    R.render(book, engine="fallback")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before.keys() == after.keys()
    changed = [str(k) for k in before if before[k] != after[k]]
    assert not changed


# --------------------------------------------------------------------------- errors


def small_book(tmp: Path, body: str, variables: dict | None = None) -> Path:
    """A one-chapter book to provoke errors."""
    book = tmp / "mini"
    book.mkdir(parents=True)
    (book / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Mini\n  chapters:\n    - index.qmd\n", encoding="utf-8")
    (book / "index.qmd").write_text(body, encoding="utf-8")
    if variables is not None:
        (book / "_variables.yml").write_text(yaml.safe_dump(variables), encoding="utf-8")
    return book


def test_unknown_variable_fails_with_one_french_line(tmp_path):
    book = small_book(tmp_path, "# Titre\n\nIl y a {{< var users.nombre >}} demandes.\n", {"users": {"n": "3"}})
    with pytest.raises(PrrError) as err:
        R.render(book, formats=("html",), engine="fallback")
    msg = str(err.value)
    assert "\n" not in msg
    assert "variable inconnue « users.nombre »" in msg and "index.qmd, ligne 3" in msg


def test_missing_include_image_and_crossref_fail_clearly(tmp_path):
    cases = [
        ("# T\n\n{{< include _generated/absent.md >}}\n", "fichier inclus introuvable « _generated/absent.md »"),
        ("# T\n\n![Légende](figures/absente){#fig-x}\n", "image introuvable « figures/absente.svg »"),
        ("# T\n\nVoir @fig-inconnue.\n", "renvoi introuvable « @fig-inconnue » (index.qmd)"),
        ("# T\n\n{{< pagebreak >}}\n", "shortcode « pagebreak » non pris en charge"),
    ]
    for k, (body, expected) in enumerate(cases):
        book = small_book(tmp_path / str(k), body, {})
        with pytest.raises(R.RenderError, match=re.escape(expected)):
            R.render(book, formats=("html",), engine="fallback")


def test_include_paths_follow_quarto(tmp_path):
    """Relative to the chapter (even in a nested include), ``/`` from the project root."""
    book = small_book(tmp_path, "# T\n\n{{< include parts/a.md >}}\n", {"k": "valeur"})
    (book / "parts").mkdir()
    (book / "parts" / "a.md").write_text("Texte A {{< var k >}}.\n\n{{< include parts/b.md >}}\n", encoding="utf-8")
    (book / "parts" / "b.md").write_text("Texte B.\n\n{{< include /parts/c.md >}}\n", encoding="utf-8")
    (book / "parts" / "c.md").write_text("Texte C.\n", encoding="utf-8")
    text, files = R.expand_source(book / "index.qmd", book, {"k": "valeur"})
    assert "Texte A valeur." in text and "Texte B." in text and "Texte C." in text
    assert [f.name for f in files] == ["index.qmd", "a.md", "b.md", "c.md"]


def test_quarto_is_used_when_installed(tmp_path, monkeypatch, capsys):
    """With ``quarto`` on the PATH, ``auto`` runs ``quarto render <report_dir>``."""
    book = small_book(tmp_path, "# T\n\nTexte.\n", {})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "quarto-args.txt"
    fake = bin_dir / "quarto"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{log}"\nmkdir -p "$2/_book" && echo ok > "$2/_book/index.html"\n',
                    encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    result = R.render(book)
    assert result.engine == "quarto" and "Rendu via Quarto" in capsys.readouterr().out
    assert log.read_text(encoding="utf-8").split() == ["render", str(book)]
    assert result.html_index == book / "_book" / "index.html"
    R.render(book, formats=("pdf",), engine="quarto")
    assert log.read_text(encoding="utf-8").split() == ["render", str(book), "--to", "typst"]


def test_engine_quarto_without_quarto_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(R.shutil, "which", lambda name: None)
    book = small_book(tmp_path, "# T\n", {})
    with pytest.raises(R.RenderError, match="Quarto n'est pas installé"):
        R.render(book, engine="quarto")


# --------------------------------------------------------------------------- chronology


def test_chronology_dates_and_order():
    from analysis.publish import chronology as C

    assert C.parse_date("2021-05") == dt.date(2021, 5, 15)
    assert C.parse_date("2021-02", end=True) == dt.date(2021, 2, 28)
    assert C.date_fr("2022-02-24") == "24 février 2022" and C.date_fr("2021-12-01") == "1er décembre 2021"
    df = C.load_chronology()
    assert list(df["start"]) == sorted(df["start"])
    assert set(df["entity"]) <= {"cocof", "cocom", "commun"}


def test_overlapping_periods_get_separate_sub_lanes():
    import pandas as pd

    from analysis.publish.chronology import span_offsets

    d = dt.date
    df = pd.DataFrame({"entity": ["commun"] * 4,
                       "start": [d(2021, 1, 1), d(2021, 2, 1), d(2021, 6, 1), d(2021, 3, 1)],
                       "end": [d(2021, 4, 1), d(2021, 5, 1), d(2021, 7, 1), None]})
    off = span_offsets(df)
    assert off[3] == 0.0  # a single date stays on the lane
    assert off[0] != off[1]  # overlapping periods side by side
    assert off[2] == off[0]  # a later period reuses the first free sub-lane


def test_chronology_figure_files_and_alt_text(tmp_path):
    from analysis.publish.chronology import make_chronology_figure

    info = make_chronology_figure(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"chronologie.svg", "chronologie.pdf", "chronologie.json"}
    assert info["alt"].startswith("Frise chronologique de ")
    assert "COCOF" in info["alt"] and "COCOM" in info["alt"] and "communs" in info["alt"]
