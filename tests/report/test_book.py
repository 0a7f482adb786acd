"""The book model: variables and includes resolved as Quarto does (and clear errors when they cannot be)."""

from __future__ import annotations

import pytest
from render_helpers import pdf_text, plain, small_book, squash

from analysis.errors import PrrError
from analysis.publish.fmt import NBSP
from analysis.report import render as R
from analysis.report.book import expand_source


def test_variables_in_both_outputs(rendered):
    book, _ = rendered
    out = book / "_book"
    act = plain((out / "chapters" / "07-activites.html").read_text(encoding="utf-8"))
    assert f"2{NBSP}302 activités" in act and f"11{NBSP}163 participations" in act
    pdf = squash(pdf_text(out / "prr-rapport.pdf"))
    assert squash("2 302 activités") in pdf and squash("11 163 participations") in pdf


def test_unknown_variable_fails_with_one_french_line(tmp_path):
    book = small_book(tmp_path, "# Titre\n\nIl y a {{< var users.nombre >}} demandes.\n", {"users": {"n": "3"}})
    with pytest.raises(PrrError) as err:
        R.render(book, formats=("html",), engine="fallback")
    msg = str(err.value)
    assert "\n" not in msg
    assert "variable inconnue « users.nombre »" in msg and "index.qmd, ligne 3" in msg


def test_include_paths_follow_quarto(tmp_path):
    """Relative to the chapter (even in a nested include), ``/`` from the project root."""
    book = small_book(tmp_path, "# T\n\n{{< include parts/a.md >}}\n", {"k": "valeur"})
    (book / "parts").mkdir()
    (book / "parts" / "a.md").write_text("Texte A {{< var k >}}.\n\n{{< include parts/b.md >}}\n", encoding="utf-8")
    (book / "parts" / "b.md").write_text("Texte B.\n\n{{< include /parts/c.md >}}\n", encoding="utf-8")
    (book / "parts" / "c.md").write_text("Texte C.\n", encoding="utf-8")
    text, files = expand_source(book / "index.qmd", book, {"k": "valeur"})
    assert "Texte A valeur." in text and "Texte B." in text and "Texte C." in text
    assert [f.name for f in files] == ["index.qmd", "a.md", "b.md", "c.md"]
