"""The publication check on the rendered example: what a reviewer looks for on the printed PDF.

The checker (:mod:`analysis.report.check`) is first shown to fail on a PDF made
with the faults it looks for, then run on the edition rendered from the
example, for the report's period and for another one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REPORT_DIR, RunParams
from analysis.report import check
from analysis.report import render as render_mod
from analysis.report.inputs import prepare_report_inputs

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pdftotext") is None,
                                 reason="pdftotext (poppler-utils) absent : .ci/run l'installe")]

FAULTY = r"""
#set page(paper: "a5", numbering: "1")
#set figure(numbering: none)
= Un chapitre
#lorem(60)

#"Intitulé exact à vérifier. Voir data/reference/chronology.csv et le manifest.json du run."
#"Th{\\`e}se, **gras**, {{< var x >}}, @fig-absente."

#place(top + left, dx: 2cm, dy: 9cm)[Evere Forest Jette]
#place(top + left, dx: 2.1cm, dy: 9.05cm)[Ganshoren Berchem]
#place(top + left, dx: 12cm, dy: 3cm)[texte qui sort de la page]

Part : 28,1 % (26,4 à 29,9) ; autre : 30,0 % (28,2–31,8).

#figure(rect(), caption: [Figure 1.1 : jamais citée.])

#v(1fr)
== Un titre seul en bas
#pagebreak()
Une ligne.
#pagebreak()
#lorem(300)
#v(1fr)
Tableau 1.1 : une légende dont le tableau est passé à la page suivante.
#v(1cm)
#pagebreak()
= Chapitre suivant
#lorem(400)
"""


def test_checker_finds_every_kind_of_fault(tmp_path):
    import typst

    src = tmp_path / "faulty.typ"
    src.write_text(FAULTY, encoding="utf-8")
    pdf = tmp_path / "faulty.pdf"
    typst.compile(str(src), output=str(pdf))
    rules = {p.rule for p in check.check_publication(pdf)}
    assert {"texte hors de la page", "lignes superposées", "page presque vide", "titre seul en bas de page",
            "légende de tableau seule en bas de page", "note interne", "balisage brut", "figure ou tableau jamais cité",
            "intervalles écrits de plusieurs façons"} <= rules


def _render(run_out: Path, dest: Path) -> Path:
    report = dest / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml"))
    prepare_report_inputs(run_out, report, DEFAULT_DISCLOSURE_THRESHOLD, is_example=True)
    render_mod.render(report, engine="fallback")
    return report / "_book" / "prr-rapport.pdf"


@pytest.mark.parametrize("period", [("2021-09", "2022-04"), ("2021-09", "2021-12")], ids=["report", "other"])
def test_rendered_edition_is_fit_to_print(tmp_path, period):
    params = RunParams(out=tmp_path / "run", start=period[0], end=period[1])
    pipeline.run(params, force=True)
    pdf = _render(params.out, tmp_path)
    problems = check.check_publication(pdf)
    assert problems == [], "\n".join(map(str, problems))


@pytest.mark.parametrize("variant", ["tracking", "census", "both"])
def test_new_period_edition_is_fit_to_print(new_period_build, variant):
    """The same check on the book ``prr build`` made from a new period written by the independent
    generator (``analysis.example.new_period``): tracking only, census only, and both. The build is
    shared with tests/test_new_period_truth.py (session fixture)."""
    built = new_period_build(variant)
    assert built["result"].returncode == 0, built["result"].stderr[-3000:]
    problems = check.check_publication(built["book"] / "prr-rapport.pdf")
    assert problems == [], "\n".join(map(str, problems))
