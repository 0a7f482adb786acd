"""The executed notebooks as an annex, rendered by nbconvert as a reader sees them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from analysis.config import REPO_ROOT
from analysis.report import notebooks as NB


def write_notebook(path, run_out, figure_svg):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# 2. Activités\n", "\n", "Ce carnet…\n", "## Détail"]},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [], "execution_count": 1,
         "source": "start = 'défaut'"},
        {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [], "execution_count": 2,
         "source": f'# Parameters\nraw = "{REPO_ROOT}/data/raw/example"\nstart = "2021-09"\nend = "2022-04"\n'
                   f'out = "{run_out}"\nthreshold = 5\nis_example = True\n'},
        {"cell_type": "code", "metadata": {}, "source": "print(x)", "execution_count": 3, "outputs": [
            {"output_type": "stream", "name": "stdout", "text": [f"lu : {REPO_ROOT}/data/raw/example/suivi/a.xlsx\n"]},
            {"output_type": "display_data", "data": {"text/markdown": "| a |\n|---|\n| 1 |\n\n: T {#tbl-x}",
                                                     "text/plain": "<Markdown>"}, "metadata": {}},
            {"output_type": "display_data", "data": {"image/svg+xml": figure_svg, "text/plain": "<SVG>"},
             "metadata": {}},
            {"output_type": "execute_result", "data": {"text/plain": f"{{'x': PosixPath('{run_out}/tables')}}"},
             "metadata": {}, "execution_count": 3},
        ]},
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                    encoding="utf-8")


def test_notebook_section_is_what_a_reader_sees(tmp_path):
    run_out = tmp_path / "run"
    figures = tmp_path / "figures"
    figures.mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    (figures / "activites-types.svg").write_text(svg, encoding="utf-8")
    (figures / "activites-types.json").write_text(json.dumps({"alt": "Barres des types"}), encoding="utf-8")
    nb = run_out / "notebooks" / "02_activities.ipynb"
    nb.parent.mkdir(parents=True)
    write_notebook(nb, run_out, svg)
    md = NB.notebooks_markdown(run_out, figures, tmp_path / "img", {"tbl-x", "fig-activites-types"})
    assert "## Activités {#sec-carnet-02-activities}" in md
    assert "**Détail**" in md and "\n## Détail" not in md  # no heading (nor id) of the book duplicated
    assert "défaut" not in md and "# Parameters" not in md  # parameters told in words, not as code
    assert "période de septembre 2021 à avril 2022" in md and "jeu d'exemple synthétique" in md
    assert str(tmp_path) not in md and str(REPO_ROOT) not in md and "data/raw" not in md
    assert "lu : a.xlsx" in md  # a file keeps its name, not the machine's folders
    assert "| a |" in md and "Le carnet affiche le @tbl-x" in md and "{#tbl-x}" not in md  # table shown, cited
    assert "@fig-activites-types" in md and 'fig-alt="Barres des types"' in md  # figure shown from the report
    assert "PosixPath" not in md and "Sortie" not in md and "run" not in md.replace(str(run_out), "")


def test_table_not_in_book_keeps_its_caption_unnumbered(tmp_path):
    run_out = tmp_path / "run"
    nb = run_out / "notebooks" / "02_activities.ipynb"
    nb.parent.mkdir(parents=True)
    write_notebook(nb, run_out, "<svg/>")
    md = NB.notebooks_markdown(run_out, tmp_path, tmp_path / "img", set())
    assert "*T*" in md and "@tbl-x" not in md


def test_parameters_sentence():
    s = NB.parameters_sentence('start = "2023-01"\nend = "2023-12"\nthreshold = 10\nis_example = False\n')
    assert s == ("*Exécuté avec ces paramètres : période de janvier 2023 à décembre 2023 ; effectifs de moins de "
                 "10 personnes non publiés ; données : classeurs des services.*")


def test_no_notebooks(tmp_path):
    assert "Aucun carnet" in NB.notebooks_markdown(tmp_path, tmp_path, tmp_path)


def _table_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in md.splitlines()
            if line.startswith("|") and not line.startswith("|:") and not line.startswith("|-")]


def test_months_returned_in_the_annex_agree_with_the_quality_table(tmp_path):
    """A new period (2023-01 → 2023-06) where services return 3, 4 and 6 months: the notebook annex
    shows the same « Mois rendus » as the quality annex's table (« 3/6 » once became « 6 »)."""
    import pandas as pd

    from analysis.ingest import quality

    months = [f"2023-0{i}" for i in range(1, 7)]
    sent = {"DUNE": {"2023-03", "2023-05", "2023-06"}, "MOB": set(months) - {"2023-04", "2023-05"},
            "SMES": set(months)}
    subs = pd.DataFrame([{"service_code": s, "month": m, "returned_activities": m in got,
                          "returned_users": False, "returned_pros": False, "files": None}
                         for s, got in sent.items() for m in months])
    sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
    from test_quality import ACCOUNTING, FILES, REJECTED

    tables = quality.save_quality_tables(
        {"accounting": ACCOUNTING, "rejected": REJECTED, "files": FILES, "submissions": subs}, [],
        tmp_path / "tables", threshold=5, is_example=False)
    assert "qualite-retours" in tables
    published = (tmp_path / "tables" / "qualite-retours.md").read_text(encoding="utf-8")
    run_out = tmp_path / "run"
    nb = run_out / "notebooks" / "01_clean.ipynb"
    nb.parent.mkdir(parents=True)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# 1. Nettoyage"},
             {"cell_type": "code", "metadata": {}, "source": "display(x)", "execution_count": 1, "outputs": [
                 {"output_type": "display_data", "data": {"text/markdown": published, "text/plain": "<Markdown>"},
                  "metadata": {}}]}]
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    annex = NB.notebooks_markdown(run_out, tmp_path, tmp_path / "img", {"tbl-qualite-retours"})
    expected = quality.returns_table(subs)
    shown = _table_rows(annex)
    assert shown[0] == list(expected.columns)
    assert [r[-1] for r in shown[1:]] == expected["Mois rendus"].tolist() == ["3/6", "4/6", "6/6"]
    assert shown == _table_rows(published)


def test_labels_with_a_slash_are_not_paths():
    """Table headers of the notebook copies keep « χ²/ddl », « Q1/Q5 », « SISP/AIS » (a reviewer
    read « Surdispersion (ddl) » in the annex); real paths still lose their folders."""
    for label in ("Surdispersion (χ²/ddl)", "Rapport de taux Q1/Q5", "Logement social (SISP/AIS)",
                  "| 3/6 |", "le 01/02/2023"):
        assert NB.strip_dirs(label) == label
    assert NB.strip_dirs("lu /home/x/run/clean/users.parquet") == "lu users.parquet"
    assert NB.strip_dirs("fichier suivi/a.xlsx rejeté") == "fichier a.xlsx rejeté"
    assert NB.strip_dirs("dans 'data/processed/clean'") == "dans 'clean'"
