"""The executed notebooks as an annex: text, code and text outputs; tables and figures named."""

from __future__ import annotations

import json

from analysis.config import REPO_ROOT
from analysis.report import inputs as RI


def write_notebook(path, run_out):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# 2. Activités\n", "\n", "Ce carnet…\n", "## Détail"]},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": "start = 'défaut'"},
        {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
         "source": f'# Parameters\nraw = "{REPO_ROOT}/data/raw/example"\nout = "{run_out}"\n'},
        {"cell_type": "code", "metadata": {}, "source": "print(x)", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["ligne\n"] * 50},
            {"output_type": "display_data", "data": {"text/markdown": "| a |\n|---|\n| 1 |\n\n: T {#tbl-x}",
                                                     "text/plain": "<Markdown>"}, "metadata": {}},
            {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>", "text/plain": "<SVG>"},
             "metadata": {}},
        ]},
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                    encoding="utf-8")


def test_notebook_section(tmp_path):
    run_out = tmp_path / "run"
    nb = run_out / "notebooks" / "02_activities.ipynb"
    nb.parent.mkdir(parents=True)
    write_notebook(nb, run_out)
    md = RI.notebooks_markdown(run_out)
    assert "{#tbl-carnets}" in md
    assert "## Activités {#sec-carnet-02-activities}" in md
    assert "**Détail**" in md and "\n## Détail" not in md  # no heading (nor id) of the book duplicated
    assert "défaut" not in md  # the defaults cell is not shown; the injected values are
    assert 'raw = "./data/raw/example"' in md and 'out = "<run>"' in md
    assert str(tmp_path) not in md and str(REPO_ROOT) not in md
    assert md.count("ligne\n") == RI.MAX_OUTPUT_LINES and "10 lignes de plus" in md
    assert "tableau affiché" in md and "figure affichée" in md
    assert "{#tbl-x}" not in md and "<svg" not in md


def test_no_notebooks(tmp_path):
    assert "Aucun carnet" in RI.notebooks_markdown(tmp_path)
