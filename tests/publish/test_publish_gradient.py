"""Reader-facing gradient outputs: disclosure in tables and map, labels, figures, files written."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import reference
from analysis.analyses import gradient
from analysis.publish import gradient as publish

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from commune_rows import analysed_gradient  # noqa: E402


@pytest.fixture(scope="module")
def analysed():
    return analysed_gradient()


def test_population_labels_and_prose(analysed):
    assert publish.population_label(analysed.users) == "pour 10\u00a0000 habitant·e·s (2022)"
    assert publish.population_label(analysed.census) == "pour 10\u00a0000 habitant·e·s et par vague"
    prose = publish.gradient_prose(analysed)
    assert prose["gradient.users.model_fr"] in ("régression de Poisson", "régression binomiale négative")
    readings = {f"{k}_fr" for k, v in gradient.gradient_metrics(analysed).items()
                if k.endswith((".model", ".rate_ratio_q1_q5", ".rii_headline"))}
    assert set(prose) - readings == {k for k in prose if k.endswith(".pattern_fr")}
    m = gradient.gradient_metrics(analysed)
    for pop in ("users", "census"):
        text = prose[f"gradient.{pop}.rate_ratio_q1_q5_fr"]
        assert ("trop faible" in text) == (m[f"gradient.{pop}.rate_ratio_q1_q5_stable"] is False)


def test_indices_exact_record_puts_each_french_name_after_its_key(analysed):
    exact = publish._indices_exact(analysed)
    keys = exact["metric"].tolist()
    i = keys.index("gradient.users.model")
    assert keys[i + 1] == "gradient.users.model_fr"
    assert len(keys) == len(gradient.gradient_metrics(analysed)) + len(publish.gradient_prose(analysed))


def test_display_tables_hide_small_counts(analysed):
    d = publish.display_communes(analysed.users, threshold=5)
    small = d[d["Effectif"].str.startswith("<")]
    assert len(small) > 0
    rate_col = [c for c in d.columns if c.startswith("Taux")][0]
    assert small[rate_col].str.startswith("non publié").all()  # a withheld rate says why
    assert not d["Effectif"].isin(["0", "1", "2", "3", "4"]).any()  # zero is « < 5 » too
    q = publish.display_quintiles(analysed.users)
    ratios = q["Rapport de taux vs Q5 (IC 95 %)"]
    if q["Effectif"].iloc[-1] in ("n.p.",) or q["Effectif"].iloc[-1].startswith("<"):
        assert ratios.str.startswith("non publié").all()  # a withheld reference withholds the column
    else:
        assert ratios.iloc[-1] == "référence"


def test_map_numbers_every_commune_and_leaves_out_small_counts(analysed):
    fig, alt = publish.plot_map(analysed.users, threshold=5)
    texts = [t.get_text() for t in fig.axes[0].texts]
    c = analysed.users.communes
    plan = publish.plan_of(analysed.users, 5)
    hidden = c[[plan.hidden(f"users.commune.{n}") for n in c.index]]
    numbers = sorted(int(t) for t in texts if t.isdigit())
    assert numbers == list(range(1, len(c) + 1))  # every commune numbered on the map
    key = "\n".join(t for t in texts if ". " in t)
    for name in c["name_fr"]:
        assert f". {name} : " in key  # every commune named in the key
    for name in hidden["name_fr"]:
        assert f". {name} : non publié" in key  # no rate for a withheld count (small or complementary)
    assert "hachurée" in alt and len(hidden) >= len(c.query("count < 5")) > 0


def test_figures_render(analysed, tmp_path):
    from analysis.publish.figures import save_figure, set_theme

    set_theme()
    for name, (fig, alt) in {
        "scatter": publish.plot_rate_vs_income(analysed.census),
        "quintiles": publish.plot_quintile_rates(analysed.users),
        "map": publish.plot_map(analysed.census),
    }.items():
        save_figure(fig, name, tmp_path, alt, "légende")
        assert (tmp_path / f"{name}.svg").stat().st_size > 1000


def test_save_outputs_writes_every_figure_and_table(analysed, tmp_path):
    from analysis.publish.figures import set_theme

    set_theme()
    written = publish.save_outputs(analysed, tmp_path / "f", tmp_path / "t", threshold=5)
    assert written["map"] == "gradient-carte"
    for name in written["figures"]:
        assert (tmp_path / "f" / f"{name}.svg").exists()
    for name in written["tables"]:
        assert (tmp_path / "t" / f"{name}.md").exists() and (tmp_path / "exact" / f"{name}.csv").exists()
    exact = pd.read_csv(tmp_path / "exact" / "gradient-indices.csv")
    assert "gradient.census.model_fr" in set(exact["metric"])


def test_population_column_is_one_year_never_the_sum_of_waves(analysed):
    # pooled census: rates use the sum of both waves' populations, readers see the period year's population
    d = publish.display_communes(analysed.census)
    col = "Population au 1er janvier 2022" if analysed.census.population_year else "Population"
    city = analysed.census.communes.loc["21004"]
    assert city["population"] > 1.9 * city["residents"]  # two waves of exposure
    row = d[d["Commune"] == city["name_fr"]].iloc[0]
    assert row[col] == publish.fmt_int(reference.population(2022).loc["21004"])


def test_indices_table_leads_with_the_model_and_flags_unstable_estimates(analysed):
    d = publish.display_indices(analysed)
    assert list(d.columns)[3] == "RII du modèle (IC 95 %)"
    users = d.iloc[0]
    # users: 3 per commune outside Q1, so some quintile may hold fewer than 10 events
    if not publish.models_published(analysed.users):  # disclosure first: estimates resting on a hidden count
        assert users["RII par quintiles (IC 95 %)"].startswith("non publié")
    elif analysed.users.quintiles["count"].min() < gradient.MIN_EVENTS_GROUP:
        assert users["RII par quintiles (IC 95 %)"] == "effectif trop faible pour conclure"


def test_quintile_figure_ticks_are_not_rounded_wrongly(analysed):
    import matplotlib.pyplot as plt

    fig, _ = publish.plot_quintile_rates(analysed.users)
    ax = fig.axes[0]
    fig.canvas.draw()
    for tick, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=False):
        text = label.get_text().replace("\u2212", "-").replace("\u00a0", "").replace(",", ".")
        if text:
            assert float(text) == pytest.approx(tick, abs=1e-9)  # 0,25 never printed « 0,2 »
    plt.close(fig)


def test_rii_and_pattern_readings_say_what_the_interval_allows(analysed):
    """The model RII is read from its interval (never « confirme »), the quintile shape from the rates."""
    prose = publish.gradient_prose(analysed)
    for pop, g in (("users", analysed.users), ("census", analysed.census)):
        text = prose[f"gradient.{pop}.rii_headline_fr"]
        m = g.model
        if m.rii_model_low > 1:
            assert "au-dessus de 1" in text and "association" not in text
        elif m.rii_model_high < 1:
            assert "au-dessous de 1" in text
        else:
            assert "ne permettent pas de conclure" in text
        assert "confirm" not in text and "besoin" not in text
        rates = g.quintiles.sort_index()["rate"].tolist()
        steady = all(a >= b for a, b in zip(rates[:-1], rates[1:], strict=True))
        assert ("diminue à chaque quintile" in prose[f"gradient.{pop}.pattern_fr"]) == steady


def test_pattern_names_the_highest_quintile_when_not_steady(analysed):
    import copy

    g = copy.copy(analysed.users)
    q = g.quintiles.copy()
    q["rate"] = [3.0, 2.0, 1.0, 4.0, 0.5]
    g.quintiles = q
    text = publish.quintile_pattern(g)
    assert text.startswith("le taux ne diminue pas régulièrement") and text.endswith("Q4")


@pytest.mark.parametrize("population", ["users", "census"])
def test_quintile_bars_and_whiskers_stand_at_the_printed_values(analysed, population):
    """Issue #12: Figure 10.3 is drawn from the quintile table as printed (rate and interval ends to one
    decimal), read back from the SVG with the axis transform; withheld quintiles are placeholders."""
    import io
    import re

    import matplotlib.pyplot as plt

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
    import intruder as I

    g = getattr(analysed, population)
    table = publish.display_quintiles(g)
    rate_col = next(c for c in table.columns if c.startswith("Taux"))
    printed = {row["Quintile"].split(" ")[0]: I.norm(row[rate_col]) for _, row in table.iterrows()}
    fig, _ = publish.plot_quintile_rates(g)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    (ax,) = I.read_svg(buf.getvalue())
    f = ax.scale()
    drawn = 0
    for cat, bar, value in ax.bar_values():
        text = printed[cat]
        if bar.hatched:
            assert not re.match(r"\d", text)
            continue
        drawn += 1
        rate, (lo, hi, _half) = I.parse_number(text.split("(")[0]), I.parse_interval(text.split("(", 1)[1])
        assert value == pytest.approx(rate, abs=1e-4), (cat, value, text)
        (y0, y1), = [(a, b) for x, a, b in ax.vlines if bar.x0 <= x <= bar.x1]
        base = f(max(bar.y0, bar.y1))
        assert sorted((f(y0) - base, f(y1) - base)) == pytest.approx([lo, hi], abs=1e-4), (cat, text)
    assert drawn >= 1
