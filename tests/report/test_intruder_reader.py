"""The intruder of the book (``tests/report/intruder.py``) is not vacuous: on small hand-made books
with a leak, each of its attacks finds the leak (fast; the slow suite runs it on real editions)."""

from __future__ import annotations

import io
import math
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


QUINTILES = ["Quintile", "Population", "Effectif", "Rapport de taux vs Q5 (IC 95 %)"]


def test_a_rate_ratio_against_a_hidden_reference_gives_it_back(tmp_path):
    """Q1/Q5 = 10,00 at equal populations: the 20 demands of Q1 give Q5 back (2, to the model's slack)."""
    rows = [["Q1 (plus pauvres)", "100 000", "20", "10,00 (2,10 à 47,60)"], ["Q3", "100 000", "30", "n.p."],
            ["Q5 (plus aisés)", "100 000", "&lt; 5", "référence"]]
    book = _page(tmp_path, QUINTILES, rows)
    r = I.Reader(I.read_book(book))
    found = r.ratio_bounds()
    narrow = r.narrowed(r.solve())
    assert found and set(narrow) == {"t | Q5 (plus aisés) | Effectif"}
    lo, hi = narrow["t | Q5 (plus aisés) | Effectif"]
    assert 1.5 < lo <= 2 <= hi < 2.5


def test_a_rate_ratio_in_the_prose_gives_a_hidden_quintile_back(tmp_path):
    """The same ratio printed only in a sentence of the chapter (« … plus aisé : 10,00 »)."""
    rows = [["Q1 (plus pauvres)", "100 000", "20", "–"], ["Q5 (plus aisés)", "100 000", "&lt; 5", "–"]]
    book = _page(tmp_path, QUINTILES, rows)
    r = I.Reader(I.read_book(book))
    prose = [("page", "Les usager·e·s des projets PRR. Rapport entre le taux du quintile le plus pauvre et celui "
                      "du plus aisé : 10,00 (IC 95 % : 2,10 à 47,60).")]
    assert r.ratio_bounds(prose)
    assert set(r.narrowed(r.solve())) == {"t | Q5 (plus aisés) | Effectif"}
    # without the sentence, nothing is recovered
    r = I.Reader(I.read_book(book))
    assert not r.ratio_bounds() and not r.narrowed(r.solve())


def test_an_interval_printed_next_to_a_hidden_share_gives_the_count_back(tmp_path):
    """Wilson's 95 % interval of 2 of 40 is 1,4 à 16,5 %: printed next to « < 5 », it gives 2 back."""
    rows = [["CPAS", "20", "50,0 %", "35,2 à 64,8 %"], ["Hôpital", "&lt; 5", "–", "1,4 à 16,5 %"],
            ["École", "n.p.", "–", "–"], ["Total", "40", "100,0 %", "–"]]
    book = _page(tmp_path, ["Envoyeur", "Effectif", "Part", "IC 95 %"], rows)
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert r.interval_bounds()
    assert r.narrowed(r.solve()) == {"t | Hôpital | Effectif": (2.0, 2.0)}


def test_an_interval_printed_next_to_a_hidden_rate_gives_the_count_back(tmp_path):
    """The exact Poisson interval of 3 events per 10 000 of 50 000 residents: 0,12 à 1,75."""
    rows = [["A", "100 000", "50", "5,00 (3,71 à 6,59)"], ["C", "50 000", "&lt; 5", "– (0,12 à 1,75)"]]
    book = _page(tmp_path, ["Commune", "Population", "Effectif", "Taux pour 10 000 (IC 95 %)"], rows)
    r = I.Reader(I.read_book(book))
    assert r.interval_bounds()
    lo, hi = r.narrowed(r.solve())["t | C | Effectif"]
    assert lo <= 3 <= hi and hi - lo < 4


def test_a_share_named_in_the_prose_gives_a_hidden_row_back(tmp_path):
    """« Etterbeek (13,9 %) » in the page of a table where Etterbeek is « n.p. »: of 79, only 11; then
    the « < 5 » cell beside it is the total minus the rest."""
    rows = [["Anderlecht", "n.p."], ["Ixelles", "66"], ["Saint-Josse-ten-Noode", "&lt; 5"], ["Total", "79"]]
    book = _page(tmp_path, ["Commune", "Effectif"], rows)
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert not r.narrowed(r.solve())
    prose = [("search:t.html", "Les communes les plus fréquentes sont Ixelles (83,5 %) et Anderlecht (13,9 %).")]
    assert r.named_share_bounds(prose)
    assert set(r.narrowed(r.solve())) == {"t | Saint-Josse-ten-Noode | Effectif"}


def test_a_recomputed_share_in_another_table_gives_a_hidden_row_back(tmp_path):
    """The audit annex's row « Envoyeur : CPAS (%) | 0.0 | 0,0 % | conforme » of a « < 5 » cell."""
    _page(tmp_path, ["Envoyeur", "Effectif"], [["CPAS", "&lt; 5"], ["Hôpital", "n.p."], ["Total", "40"]])
    book = _page(tmp_path, ["Chiffre", "Imprimé (2022)", "Recalculé", "Statut"],
                 [["Envoyeur : CPAS (%)", "0.0", "0,0 %", "conforme"]], name="audit", caption="Contrôle.")
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert r.named_share_bounds()
    assert set(r.narrowed(r.solve())) == {"t | CPAS | Effectif"}


def test_extreme_ages_in_the_prose_empty_or_fill_hidden_age_bands(tmp_path):
    """« de 17 à 75 ans »: the 0–11 band « < 5 » is 0, the 12–17 band holds the 17-year-old."""
    rows = [["0–11 ans", "&lt; 5"], ["12–17 ans", "&lt; 5"], ["18–64 ans", "60"], ["65 ans et plus", "12"]]
    book = _page(tmp_path, ["Classe d'âge", "Effectif"], rows)
    r = I.Reader(I.read_book(book))
    assert not r.narrowed(r.solve())
    assert len(r.age_extreme_bounds([("search:t.html", "L'âge va de 17 à 75 ans.")])) == 2
    narrow = r.narrowed(r.solve())
    assert narrow["t | 0–11 ans | Effectif"] == (0.0, 0.0) and narrow["t | 12–17 ans | Effectif"][0] == 1.0


def _commune_book(tmp: Path, pattern) -> Path:
    """Three communes of a quintile and their total, as printed by an edition on the 2022 period, with
    the protection ``pattern`` (:func:`analysis.publish.sdc.protect`)."""
    names = {"and": "Anderlecht", "mol": "Molenbeek-Saint-Jean", "sjt": "Saint-Josse-ten-Noode"}
    rows = [[label, "&lt; 5" if c in pattern.primary else "n.p." if c in pattern.hidden else str(pattern.values[c])]
            for c, label in names.items()]
    return _page(tmp, ["Commune", "Effectif"], rows + [["Total", str(pattern.values["q1"])]],
                 caption="Nouvelles demandes d’usager·e·s du quintile 1 par commune, septembre 2021 – avril 2022.")


def test_the_2022_report_in_hand_gives_back_saint_josse_unless_the_plan_knows_it(tmp_path):
    """Planted leak (issue 12): a pattern chosen blind to the 2022 report hides Anderlecht as the
    complement of Saint-Josse; the 2022 report printed Anderlecht's share (13,9 % of 79: 11), so the
    reader gets Saint-Josse = 43 − 30 − 11 = 2. The plan that takes the printed figures as known
    (``known``) hides Molenbeek instead, and the same reader recovers nothing."""
    from analysis.publish.printed import reader_knowledge
    from analysis.publish.sdc import Relation, protect

    values = {"and": 11, "mol": 30, "sjt": 2, "q1": 43}
    rels = [Relation("q1", ("and", "mol", "sjt"))]
    known = {"and": reader_knowledge("2021-09", "2022-04")["users.commune.21001"]}
    for name, pattern, leaks in (("blind", protect(values, rels, 5, fixed=["q1"]), True),
                                 ("aware", protect(values, rels, 5, fixed=["q1"], known=known), False)):
        (tmp_path / name).mkdir()
        book = _commune_book(tmp_path / name, pattern)
        r = I.Reader(I.read_book(book))
        r.table_relations()
        assert not r.narrowed(r.solve()), name  # the book alone gives nothing back
        found = r.printed_report_bounds()
        assert found or not leaks, name
        narrow = r.narrowed(r.solve())
        if leaks:
            assert set(narrow) == {"t | Saint-Josse-ten-Noode | Effectif"}
            lo, hi = narrow["t | Saint-Josse-ten-Noode | Effectif"]
            assert math.ceil(lo) == math.floor(hi) == 2
        else:
            assert not narrow, narrow


def test_the_2022_mean_age_narrows_a_hidden_band_the_book_alone_keeps(tmp_path):
    """Planted leak: 40 persons, « 0–11 ans » < 5, « 25–44 ans » 30, « 45–64 ans » n.p. The book alone
    leaves the small band 0..4; a mean age of 27,0 printed for the same persons (youngest 3) needs
    3·x + 25·30 + 45·(10 − x) ≤ 27,1·40, i.e. x ≥ 3: the reader learns it is 3 or 4. (On the example's
    book the 2022 mean of 37,8 narrows nothing: ``test_intruder_book``.)"""
    import yaml

    rows = [["0–11 ans", "&lt; 5"], ["25–44 ans", "30"], ["45–64 ans", "n.p."], ["Total", "40"]]
    book = _page(tmp_path, ["Classe d'âge", "Effectif"], rows,
                 caption="Nouvelles demandes d’usager·e·s par classe d'âge, septembre 2021 – avril 2022.")
    figures = tmp_path / "figures.yaml"
    figures.write_text(yaml.safe_dump({
        "period": {"start": "2021-09", "end": "2022-04"},
        "users_new_demands": {"n": 40, "age_mean": "27.0", "age_min": 3, "age_max": 60,
                              "commune_top_pct": {}, "referrer_pct": {}, "female_pct": "50.0"}}), encoding="utf-8")
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert not r.narrowed(r.solve())
    found = r.printed_report_bounds(figures)
    assert any("mean age 27.0" in f for f in found)
    narrow = r.narrowed(r.solve())
    assert set(narrow) == {"t | 0–11 ans | Effectif"}
    lo, hi = narrow["t | 0–11 ans | Effectif"]
    assert (math.ceil(lo - 1e-6), math.floor(hi + 1e-6)) == (3, 4)


def test_the_2022_census_share_pins_the_constrained_count_of_a_small_wave(tmp_path):
    """Planted leak: a wave 1 of 100 demands whose constrained reorientations are hidden (n.p.), split
    by public into « Enfants » < 5 and « Adultes » 26. The book alone leaves Enfants 0..4; the 2022
    report's « 30 % » of that wave pins the count to 30, hence Enfants = 4, on any period (the census
    wave is the same demands)."""
    lab = "Réorientation contrainte (manque de disponibilité), sur toutes les demandes"
    wave = _page(tmp_path, ["Vague", "Indicateur", "Effectif", "Dénominateur"],
                 [["Vague 1", "Suivi proposé", "70", "100"], ["Vague 1", lab, "n.p.", "100"]],
                 name="vagues", caption="Indicateurs de saturation par vague (recensement), janvier 2023 – juin 2023.")
    _page(tmp_path, ["Public", "Effectif"], [["Enfants", "&lt; 5"], ["Adultes", "26"]],
          name="publics", caption="Réorientations contraintes par public, vague 1 (recensement).")
    r = I.Reader(I.read_book(wave))
    r.table_relations()
    r.add_sum(f"vagues | Vague 1 · {lab} | Effectif", ["publics | Enfants | Effectif", "publics | Adultes | Effectif"])
    assert not r.narrowed(r.solve())
    found = r.census_share_bounds()
    assert len(found) == 1 and "30 % of 100" in found[0]
    narrow = r.narrowed(r.solve())
    assert set(narrow) == {"publics | Enfants | Effectif"}
    lo, hi = narrow["publics | Enfants | Effectif"]
    assert math.ceil(lo - 1e-6) == math.floor(hi + 1e-6) == 4


def test_the_mean_age_in_the_prose_narrows_a_hidden_age_band(tmp_path):
    """Planted leak (any period): 21 demands, 17 aged 12–17, the other bands « < 5 », and the prose's
    « L'âge moyen au premier contact est de 19,8 ans »: the persons of 65 and over weigh at least 65
    years each, so the mean caps them below 5 values' worth."""
    rows = [["0–11 ans", "&lt; 5"], ["12–17 ans", "17"], ["18–24 ans", "&lt; 5"], ["25–44 ans", "&lt; 5"],
            ["45–64 ans", "&lt; 5"], ["65 ans et plus", "&lt; 5"], ["Total", "21"]]
    book = _page(tmp_path, ["Classe d'âge", "Effectif"], rows,
                 caption="Nouvelles demandes d’usager·e·s par classe d'âge, janvier 2023 – juin 2023.")
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert not r.narrowed(r.solve())
    prose = [("search:08.html", "L’âge moyen au premier contact est de 19,8 ans (âges extrêmes non publiés).")]
    assert r.own_mean_age_bounds(prose)
    narrow = r.narrowed(r.solve())
    assert "t | 65 ans et plus | Effectif" in narrow


def test_the_2022_figures_are_ignored_on_another_period(tmp_path):
    rows = [["Anderlecht", "n.p."], ["Molenbeek-Saint-Jean", "30"], ["Saint-Josse-ten-Noode", "&lt; 5"],
            ["Total", "43"]]
    book = _page(tmp_path, ["Commune", "Effectif"], rows,
                 caption="Nouvelles demandes d’usager·e·s par commune, janvier 2023 – juin 2023.")
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert r.printed_report_bounds() == [] and not r.narrowed(r.solve())


# --------------------------------------------------------------------------- samples and orderings

COMMUNES = ["Anderlecht", "Auderghem", "Etterbeek", "Evere", "Forest", "Ixelles", "Jette", "Koekelberg",
            "Schaerbeek", "Uccle"]
USERS = "Nouvelles demandes d'usager·e·s par commune de résidence."


def _listed_communes_book(tmp: Path, counts: list[str], rates: list[str] | None = None, pops: list[int] | None = None,
                  extra: list[list[str]] = ()) -> tuple[I.Reader, set[str]]:
    header = ["Commune", "Quintile de revenu"] + (["Population au 1er janvier 2022"] if pops else []) + ["Effectif"]
    header += ["Taux pour 10 000 habitant·e·s (2022)"] if rates else []
    rows = []
    for i, (c, n) in enumerate(zip(COMMUNES, counts, strict=True)):
        rows.append([c, f"Q{i % 5 + 1}"] + ([f"{pops[i]:,}".replace(",", " ")] if pops else []) + [n]
                    + ([rates[i]] if rates else []))
    book = _page(tmp, header, rows + [list(r) for r in extra], name="communes", caption=USERS)
    r = I.Reader(I.read_book(book))
    r.table_relations()
    return r, set(I.membership(r)["quintile"])


@pytest.mark.parametrize("sentence", ["118 demandes localisées dans une commune bruxelloise",
                                      "demandes localisées dans une commune bruxelloise : 118"])
def test_a_sample_of_the_brussels_communes_gives_a_hidden_commune_back(tmp_path, sentence):
    counts = ["20", "15", "10", "&lt; 5", "12", "18", "10", "10", "10", "10"]  # published: 115
    r, communes = _listed_communes_book(tmp_path, counts)
    assert not r.narrowed(r.solve())  # the table alone keeps « < 5 » in 0..4
    prose = [("search:gradient.html", f"Les usager·e·s des projets PRR ({sentence}).")]
    found = r.solve_hypotheses(r.sample_hypotheses(prose, communes))
    assert {(lo, hi) for narrow in found.values() for lo, hi in narrow.values()} == {(3.0, 3.0)}, found


def test_a_model_sample_and_a_published_total_give_the_set_aside_rows_back(tmp_path):
    book = _page(tmp_path, ["Résidence", "Effectif"],
                 [["Bruxelles", "n.p."], ["Wallonie", "12"], ["Inconnu", "&lt; 5"], ["Total", "150"]])
    r = I.Reader(I.read_book(book))
    r.table_relations()
    assert not r.narrowed(r.solve())
    prose = [("search:profil.html", "Chez les usager·e·s : modèle estimé sur 136 demandes de résident·e·s "
                                        "bruxellois·es.")]
    found = r.solve_hypotheses(r.sample_hypotheses(prose, set()))
    assert any(narrow.get("t | Inconnu | Effectif") == pytest.approx((2.0, 2.0)) for narrow in found.values()), found


def test_a_stated_quintile_order_bounds_a_hidden_quintile(tmp_path):
    rows = [["Q1 (plus pauvres)", "200 000", "30"], ["Q2", "200 000", "20"], ["Q3", "200 000", "12"],
            ["Q4", "200 000", "6"], ["Q5 (plus aisés)", "100 000", "&lt; 5"]]
    book = _page(tmp_path, ["Quintile", "Population au 1er janvier 2022", "Effectif"], rows, name="q",
                 caption="Nouvelles demandes d'usager·e·s par quintile de revenu.")
    r = I.Reader(I.read_book(book))
    assert not r.narrowed(r.solve())
    prose = [("search:g.html", "Les usager·e·s des projets PRR. Comparaison des quintiles : le taux diminue à "
                               "chaque quintile, du plus pauvre au plus aisé.")]
    assert r.order_bounds(prose, set())
    lo, hi = r.narrowed(r.solve())["q | Q5 (plus aisés) | Effectif"]  # c5 ≤ 6 · 100 000 / 200 000 = 3
    assert (lo, hi) == pytest.approx((0.0, 3.0))


def test_a_map_alt_naming_the_lowest_rate_bounds_a_hidden_commune_from_below(tmp_path):
    pops = [10000] * 10
    counts = ["10", "8", "6", "&lt; 5", "7", "9", "5", "6", "8", "7"]
    rates = ["10,0", "8,0", "6,0", "non publié", "7,0", "9,0", "5,0", "6,0", "8,0", "7,0"]
    r, communes = _listed_communes_book(tmp_path, counts, rates, pops)
    assert not r.narrowed(r.solve())
    prose = [("alt:carte.svg", "Carte des 19 communes : nouvelles demandes d'usager·e·s. Taux le plus élevé : "
                               "Anderlecht (10,0) ; le plus bas : Jette (2,0).")]
    assert r.order_bounds(prose, communes)
    lo, hi = r.narrowed(r.solve())["communes | Evere | Effectif"]  # rate ≥ 1,95 on 10 000 people: ≥ 2
    assert (lo, hi) == pytest.approx((1.95, 4.0))


def test_named_most_frequent_communes_bound_a_hidden_one_from_below(tmp_path):
    counts = ["20", "3", "2", "&lt; 5", "3", "18", "3", "1", "2", "3"]  # a planted book: small published cells
    r, communes = _listed_communes_book(tmp_path, counts)
    assert not r.narrowed(r.solve())
    prose = [("search:o.html", "Nouvelles demandes d'usager·e·s : les communes les plus fréquentes sont "
                               "Anderlecht, Evere et Ixelles.")]
    assert r.order_bounds(prose, communes)
    lo, hi = r.narrowed(r.solve())["communes | Evere | Effectif"]  # Evere ≥ Jette (3)
    assert (lo, hi) == pytest.approx((3.0, 4.0))
