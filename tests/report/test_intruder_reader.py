"""The intruder of the book (``tests/report/intruder.py``) is not vacuous: on small hand-made books
with a leak, each of its attacks finds the leak (fast; the slow suite runs it on real editions)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intruder as I  # noqa: E402

CAPTION = "Nouvelles demandes d’usager·e·s par envoyeur."


def _page(tmp: Path, header: list[str], rows: list[list[str]], name: str = "t",
          caption: str = CAPTION) -> Path:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    (tmp / "book").mkdir(exist_ok=True)
    (tmp / "book" / f"{name}.html").write_text(
        f'<html><body><div id="tbl-{name}" class="table-figure"><div class="table-caption">{caption}</div>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></body></html>",
        encoding="utf-8")
    return tmp / "book"


def _attack(book: Path):
    r = I.Reader(I.read_book(book))
    r.table_relations()
    r.derived_bounds()
    return r, r.narrowed(r.solve())


def test_a_total_row_gives_back_a_lone_hidden_cell(tmp_path):
    book = _page(tmp_path, ["Envoyeur", "Effectif"], [["CPAS", "10"], ["Hôpital", "&lt; 5"], ["Total", "13"]])
    _, narrow = _attack(book)
    assert list(narrow.values()) == [(3.0, 3.0)]


def test_two_hidden_cells_of_a_total_keep_their_range(tmp_path):
    book = _page(tmp_path, ["Envoyeur", "Effectif"],
                 [["CPAS", "10"], ["Hôpital", "&lt; 5"], ["École", "n.p."], ["Total", "20"]])
    r, narrow = _attack(book)
    assert not narrow and r.cells["t | Hôpital | Effectif"] == "<"


def test_a_rate_printed_next_to_a_hidden_count_gives_it_back(tmp_path):
    rows = [["A", "100 000", "50", "5,0"], ["B", "200 000", "80", "4,0"], ["C", "50 000", "&lt; 5", "0,4"]]
    book = _page(tmp_path, ["Commune", "Population", "Effectif", "Taux pour 10 000"], rows)
    _, narrow = _attack(book)
    lo, hi = narrow["t | C | Effectif"]  # 0,4 ± 0,05 per 10 000 × 50 000: 1,75 to 2,25, i.e. 2
    assert set(narrow) == {"t | C | Effectif"} and (lo, hi) == pytest.approx((1.75, 2.25))


def test_a_download_that_prints_a_hidden_cell_is_a_conflict(tmp_path):
    book = _page(tmp_path, ["Envoyeur", "Effectif"], [["CPAS", "10"], ["Hôpital", "&lt; 5"], ["Total", "n.p."]])
    (book / "t.csv").write_text("Envoyeur,Effectif\nCPAS,10\nHôpital,3\nTotal,n.p.\n", encoding="utf-8")
    r = I.Reader(I.read_book(book))
    assert any("Hôpital" in c for c in r.conflicts), r.conflicts


def test_bar_heights_are_read_back_from_the_svg():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar(["Q1", "Q2", "Q3"], [0.73, 0.6, 1.26])
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.1f}".replace(".", ","))  # French ticks, as the book
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    (axes,) = I.read_svg(buf.getvalue())
    got = {c: v for c, _, v in axes.bar_values()}
    assert set(got) == {"Q1", "Q2", "Q3"}
    assert abs(got["Q1"] - 0.73) < 1e-3 and abs(got["Q3"] - 1.26) < 1e-3
