"""Published tables as CSV and XLSX (same cells), figures as SVG, PDF and PNG: identical bytes run to run."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.publish.tables import write_table, xlsx_value

NNBSP = "\u202f"


@pytest.mark.parametrize("text, value, fmt", [
    (f"1{NNBSP}913", 1913, "#,##0"),
    ("343", 343, "0"),
    ("2021", 2021, "0"),
    ("5,4", 5.4, "0.0"),
    (f"10,0{NNBSP}%", 0.1, "0.0%"),
    ("−0,2", -0.2, "0.0"),
    ("n.p.", "n.p.", None),
    (f"<{NNBSP}5", f"<{NNBSP}5", None),
    ("1,0 [0–4]", "1,0 [0–4]", None),
    ("0123", "0123", None),
    ("Axe 1", "Axe 1", None),
    ("", "", None),
])
def test_xlsx_value_reads_french_numbers_only(text, value, fmt):
    got, got_fmt = xlsx_value(text)
    assert got_fmt == fmt
    assert got == pytest.approx(value) if fmt else got == value


def test_table_csv_and_xlsx_hold_the_same_published_cells(tmp_path):
    display = pd.DataFrame({"Type": ["Suivi", "Formation", "Divers"],
                            "Activités": [f"1{NNBSP}913", "30", f"<{NNBSP}5"],
                            "Part": [f"56,0{NNBSP}%", f"0,9{NNBSP}%", "n.p."]})
    write_table(display, "essai", tmp_path / "a", "Activités par type (test)")
    write_table(display, "essai", tmp_path / "b", "Activités par type (test)")
    for ext in ("md", "csv", "xlsx"):
        assert (tmp_path / "a" / f"essai.{ext}").read_bytes() == (tmp_path / "b" / f"essai.{ext}").read_bytes()
    with open(tmp_path / "a" / "essai.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    ws = load_workbook(tmp_path / "a" / "essai.xlsx").active
    cells = [list(r) for r in ws.iter_rows(values_only=True)]
    assert cells[0][0] == "Activités par type (test)"
    assert cells[2] == rows[0]  # header
    assert cells[3:] == [[xlsx_value(c)[0] for c in r] for r in rows[1:]]
    assert ws["B4"].number_format == "#,##0" and ws["C4"].number_format == "0.0%"
    assert ws["B6"].value == f"<{NNBSP}5"  # a withheld count stays the published text


def test_figures_are_written_as_svg_pdf_and_png_identically(tmp_path):
    import matplotlib.pyplot as plt

    from analysis.publish.figures import save_figure, set_theme

    set_theme()
    for folder in ("a", "b"):
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2])
        save_figure(fig, "essai", tmp_path / folder, alt="Deux barres.", caption="Essai")
    for ext in ("svg", "pdf", "png"):
        assert (tmp_path / "a" / f"essai.{ext}").read_bytes() == (tmp_path / "b" / f"essai.{ext}").read_bytes()
    assert (tmp_path / "a" / "essai.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_theme_is_seaborns_whitegrid_without_importing_seaborn(tmp_path):
    """The theme written out in ``figures.SEABORN_THEME`` is what ``seaborn.set_theme`` sets
    (starting from matplotlib's defaults and from every setting changed): same figures, byte for byte."""
    import subprocess
    import sys

    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import seaborn as sns

    from analysis.publish import figures

    def seaborn_then_project():
        sns.set_theme(context="notebook", style="whitegrid", palette=figures.OKABE_ITO, font="DejaVu Sans")
        plt.rcParams.update(figures.PROJECT_THEME)

    def draw(folder):
        fig, ax = plt.subplots()
        ax.bar(["a", "b"], [1, 2], label="barres")
        ax.plot([0, 1], [2, 1], label="ligne")
        ax.legend(title="Légende")
        ax.set_title("Titre")
        figures.save_figure(fig, "essai", tmp_path / folder, alt="Essai.", caption="Essai")

    with mpl.rc_context():
        for start in ("defaults", "changed"):
            mpl.rcdefaults()
            if start == "changed":
                plt.rcParams.update({"font.size": 7, "axes.grid": False, "xtick.bottom": True, "lines.linewidth": 3,
                                     "axes.edgecolor": "red", "patch.force_edgecolor": False})
            saved = dict(plt.rcParams)
            seaborn_then_project()
            expected = dict(plt.rcParams)
            draw(f"seaborn-{start}")
            plt.rcParams.update(saved)
            figures.set_theme()
            got = dict(plt.rcParams)
            draw(f"written-{start}")
            expected.pop("image.cmap"), got.pop("image.cmap")
            assert got == expected
            for ext in ("svg", "pdf", "png"):
                assert ((tmp_path / f"written-{start}" / f"essai.{ext}").read_bytes()
                        == (tmp_path / f"seaborn-{start}" / f"essai.{ext}").read_bytes()), (start, ext)
    code = "import analysis.publish.figures as f, sys; f.set_theme(); print('seaborn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
