"""The report's render engine: engine choice, and the rendered book as a whole.

The book is rendered once to HTML and PDF (``conftest.py``) and the outputs are
inspected as a reader would; the modules' own jobs are tested in ``test_book``,
``test_xref``, ``test_html`` and ``test_pdf``. Here: the engine (fallback or
Quarto), nothing left unresolved, callouts, vignettes and citations, byte-identical
renders, and errors that stop a render with one French line.
"""

from __future__ import annotations

import os
import re

import pytest
from render_helpers import pdf_text, plain, small_book, squash

from analysis.errors import RenderError
from analysis.report import render as R

# --------------------------------------------------------------------------- the rendered book


def test_fallback_is_used_and_says_so(rendered, capsys):
    _, result = rendered
    assert result.engine == "fallback"
    assert result.message == "Rendu via pandoc + typst (Quarto absent)"


def test_nothing_left_unresolved(rendered):
    book, _ = rendered
    out = book / "_book"
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "{{<" not in html, page
        assert not re.search(r"\?@|@(fig|tbl|sec)-", plain(html)), page
    pdf = pdf_text(next(out.glob("*.pdf")))
    assert "{{<" not in pdf and not re.search(r"@(fig|tbl|sec)-", pdf)


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


def test_two_renders_are_byte_identical(rendered, tmp_path):
    book, result = rendered
    out = book / "_book"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    R.render(book, engine="fallback")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before.keys() == after.keys()
    changed = [str(k) for k in before if before[k] != after[k]]
    assert not changed


# --------------------------------------------------------------------------- errors and engines


def test_missing_include_image_and_crossref_fail_clearly(tmp_path):
    cases = [
        ("# T\n\n{{< include _generated/absent.md >}}\n", "fichier inclus introuvable « _generated/absent.md »"),
        ("# T\n\n![Légende](figures/absente){#fig-x}\n", "image introuvable « figures/absente.svg »"),
        ("# T\n\nVoir @fig-inconnue.\n", "renvoi introuvable « @fig-inconnue » (index.qmd)"),
        ("# T\n\n{{< pagebreak >}}\n", "shortcode « pagebreak » non pris en charge"),
    ]
    for k, (body, expected) in enumerate(cases):
        book = small_book(tmp_path / str(k), body, {})
        with pytest.raises(RenderError, match=re.escape(expected)):
            R.render(book, formats=("html",), engine="fallback")


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
    with pytest.raises(RenderError, match="Quarto n'est pas installé"):
        R.render(book, engine="quarto")
