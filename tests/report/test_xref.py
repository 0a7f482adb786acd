"""Numbering and cross-references in French, in the web book and the PDF."""

from __future__ import annotations

from render_helpers import pdf_text, squash

from analysis.publish.fmt import NBSP


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
