"""The PDF: contents then chapters in order, cover notice."""

from __future__ import annotations

from render_helpers import chapter_titles, pdf_text, squash


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
