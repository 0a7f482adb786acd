"""Wording of the statistical chapters, read in the rendered book (HTML and PDF).

No causal or confirmatory phrasing for associations; the methods and limits chapter exists with
its sections, before the conclusion; the chapters added to the 2022 report say so at their start.
"""

from __future__ import annotations

import pytest
import yaml
from render_helpers import pdf_text, plain, squash
from wording_rules import STAT_CHAPTERS, violations

pytestmark = pytest.mark.slow

METHOD_SECTIONS = {
    "sec-methodes-objectifs": "Les objectifs du suivi quantitatif",
    "sec-methodes-outil": "Comment l'outil de suivi a été construit",
    "sec-methodes-sources": "Les sources et leur couverture",
    "sec-methodes-definitions": "Définitions des indicateurs",
    "sec-methodes-calculs": "Intervalles, modèles et tests, en une phrase chacun",
    "sec-methodes-stabilite": "La règle de stabilité",
    "sec-methodes-limites": "Ce que ces données ne peuvent pas dire",
    "sec-methodes-discussion": "Apports et difficultés de l'outil",
}
#: Every method the chapters use, named and explained in the methods chapter.
METHODS_NAMED = ("Wilson", "Newcombe", "Kaplan et Meier", "censur", "binomial négatif", "surdispersion", "SII",
                 "RII", "CR2", "bootstrap sauvage", "rapport de cotes", "effectif trop faible pour conclure",
                 "association entre communes", "pas standardisé pour l'âge", "appréciation")
ADDED = "Ajout par rapport au rapport de 2022"


def _main(book, stem: str) -> str:
    html = (book / "_book" / "chapters" / f"{stem}.html").read_text(encoding="utf-8")
    return html[html.index("<main"):html.index("</main>")]


def test_no_forbidden_phrasing_in_the_statistical_chapters(rendered):
    book, _ = rendered
    found = {stem: violations(plain(_main(book, stem)).replace("\u2019", "'")) for stem in STAT_CHAPTERS}
    assert not any(found.values()), found


def test_the_rules_catch_what_the_issue_found():
    """The phrasings of the earlier chapters are caught (the rules are not vacuous)."""
    for bad in ("Le test ci-dessus dit si les données de la période confirment cette lecture.",
                "Le manque de disponibilité explique 71,0 % des réorientations",
                "69,9 % des réorientations contraintes aboutissent vers un service lui-même saturé",
                "Les besoins en santé mentale suivent le gradient social",
                "Ces chiffres prouvent l'effet du projet.", "Le modèle démontre que le revenu compte."):
        assert violations(bad), bad
    for fine in ("ils ne peuvent pas la démontrer", "un écart non démontré", "compatible avec le hasard",
                 "l'écart demande à être vérifié sur un autre recensement"):
        assert not violations(fine), fine


def test_methods_chapter_has_its_sections_and_names_every_method(rendered):
    book, _ = rendered
    main = _main(book, "10b-methodes")
    for ident, title in METHOD_SECTIONS.items():
        assert f'id="{ident}"' in main, ident
        assert squash(title) in squash(plain(main)), title
    text = plain(main).replace("\u2019", "'")
    missing = [m for m in METHODS_NAMED if m not in text]
    assert not missing, missing
    assert 'id="tbl-methodes-sources"' in main


def test_methods_chapter_comes_just_before_the_conclusion(rendered):
    book, _ = rendered
    chapters = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))["book"]["chapters"]
    i = chapters.index("chapters/10b-methodes.qmd")
    # after every quantitative chapter (gradient, then the « Évolution » chapter), right before the conclusion
    assert chapters.index("chapters/10-gradient.qmd") < chapters.index("chapters/12-evolution.qmd") < i
    assert chapters[i + 1] == "chapters/11-conclusion.qmd"
    assert [c for c in chapters if c.startswith("chapters/")][-1] == "chapters/11-conclusion.qmd"


def test_added_chapters_say_so_before_their_first_section(rendered):
    book, _ = rendered
    for stem in ("09-saturation", "10-gradient"):
        main = _main(book, stem)
        first_section = main.index("<h2")
        at = main.find(ADDED)
        assert 0 <= at < first_section, stem
        assert "callout" in main[max(at - 600, 0):at], stem
    for stem in ("07-activites", "08-orientations"):
        assert ADDED not in _main(book, stem)


def test_wording_reaches_the_pdf(rendered):
    book, _ = rendered
    pdf = squash(pdf_text(book / "_book" / "prr-rapport.pdf"))
    for text in ("Méthodes et limites des chapitres chiffrés", ADDED, "Ce que ces données ne peuvent pas dire",
                 "taux bruts de demandes enregistrées"):
        assert squash(text) in pdf, text
    assert pdf.count(squash(ADDED)) >= 2
