"""``prr render --watch`` keeps the prepared book: after a text edit only the edited chapter is
parsed, numbered, cross-referenced and cited again (against the kept tables); any edit that changes
an id, a number, a title or a citation prepares the whole book. Either way the pages are the bytes
a render from scratch writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from render_helpers import copy_book, make_run

from analysis.report import book as B
from analysis.report import html as H
from analysis.report import inputs as RI
from analysis.report import render as R


def _files(book: Path) -> dict[Path, bytes]:
    out = book / "_book"
    return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _cold(book: Path, tmp: Path, monkeypatch) -> dict[Path, bytes]:
    """The same sources rendered by a fresh process's path: whole prepare stage, no page kept."""
    other = tmp / f"cold{len(list(tmp.glob('cold*')))}"
    shutil.copytree(book, other, ignore=shutil.ignore_patterns("_book"))  # pandoc's own cache is content-addressed
    with monkeypatch.context() as m:
        m.setattr(R, "KEEP_PREPARED", False)
        m.setattr(R, "_KEPT", None)
        m.setattr(R, "parse_chapters", B.parse_chapters)
        m.setattr(H, "_MEMO", {})
        m.setattr(H, "_PAGES", {})
        m.setattr(H, "_SEARCH", {})
        R.render_fallback(other, ("html",), pdf_link=True)
    return _files(other)


@pytest.fixture
def watched(tmp_path, monkeypatch):
    book = copy_book(tmp_path)
    run = make_run(tmp_path, book)
    RI.prepare_report_inputs(run, book, threshold=5, is_example=True)
    other = book / "chapters" / "08-orientations.qmd"  # another chapter refers to a section of chapter 7
    other.write_text(other.read_text(encoding="utf-8") + "\nVoir la @sec-activites-participation.\n",
                     encoding="utf-8")
    monkeypatch.setattr(R, "KEEP_PREPARED", True)
    monkeypatch.setattr(R, "_KEPT", None)
    full = []
    parse = R.parse_chapters
    monkeypatch.setattr(R, "parse_chapters", lambda *a, **k: full.append(1) or parse(*a, **k))
    R.render_fallback(book, ("html",), pdf_link=True)
    assert full == [1]
    return book, full


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_text_edit_prepares_one_chapter_and_equals_a_fresh_render(watched, tmp_path, monkeypatch):
    book, full = watched
    chapter = book / "chapters" / "07-activites.qmd"
    for n in range(2):
        _edit(chapter, "Ce chapitre présente", f"Phrase ajoutée {n}. Ce chapitre présente")
        result = R.render_fallback(book, ("html",), pdf_link=True)
        assert full == [1]  # the whole book was not parsed again
        page = book / "_book" / "chapters" / "07-activites.html"
        assert [p for p in result.changed if p.suffix == ".html"] == [page]
        assert f"Phrase ajoutée {n}." in page.read_text(encoding="utf-8")
        assert _files(book) == _cold(book, tmp_path, monkeypatch)


def test_a_new_section_renumbers_the_other_chapters_references(watched, tmp_path, monkeypatch):
    book, full = watched
    other = book / "_book" / "chapters" / "08-orientations.html"
    before = other.read_bytes()
    _edit(book / "chapters" / "07-activites.qmd", "## Sources et participation",
          "## Une section de plus {#sec-activites-nouvelle}\n\nTexte.\n\n## Sources et participation")
    R.render_fallback(book, ("html",), pdf_link=True)
    assert full == [1, 1]  # numbers changed: the whole book prepared again
    assert other.read_bytes() != before and "7.2" in other.read_text(encoding="utf-8")
    assert _files(book) == _cold(book, tmp_path, monkeypatch)
    # then a text edit is again prepared alone, against the new tables
    _edit(book / "chapters" / "07-activites.qmd", "Texte.", "Texte modifié.")
    R.render_fallback(book, ("html",), pdf_link=True)
    assert full == [1, 1]
    assert _files(book) == _cold(book, tmp_path, monkeypatch)


def test_a_new_citation_runs_citeproc_on_the_whole_book(watched, tmp_path, monkeypatch):
    book, full = watched
    _edit(book / "chapters" / "07-activites.qmd", "Ce chapitre présente",
          "Comme le prévoyait le plan [@vervoort2020plan], ce chapitre présente")
    R.render_fallback(book, ("html",), pdf_link=True)
    assert full == [1, 1]
    assert "vervoort2020plan" in (book / "_book" / "chapters" / "07-activites.html").read_text(encoding="utf-8")
    assert _files(book) == _cold(book, tmp_path, monkeypatch)
