"""Data-dependent sections: shown as written when the run has their data, else a « no data » note.

Both renderers only see ``{{< include >}}`` of generated files, so these tests
check what :func:`analysis.report.inputs.write_sections` writes, then that the
real chapters expand (fallback shortcodes) for runs that lack each source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from render_helpers import METRICS, copy_book, make_run

from analysis.report import inputs as RI
from analysis.report.book import expand_source, load_book

FLAGS_ALL = {"tracking": True, "activities": True, "users": True, "pros": True, "census": True,
             "census.2020_11": True, "census.2022_11": True}


def _section(report: Path, name: str, front: str, body: str) -> None:
    (report / "sections").mkdir(parents=True, exist_ok=True)
    (report / "sections" / f"{name}.qmd").write_text(f"---\n{front}\n---\n\n{body}", encoding="utf-8")


def _write(tmp_path: Path, flags: dict, variables: dict, figures: tuple[str, ...] = ()) -> dict[str, str]:
    gen = tmp_path / "_generated"
    (gen / "figures").mkdir(parents=True, exist_ok=True)
    for f in figures:
        (gen / "figures" / f"{f}.md").write_text("![x](/_generated/figures/x){#fig-x}\n", encoding="utf-8")
    RI.write_sections(tmp_path, gen, variables, flags)
    return {p.stem: p.read_text(encoding="utf-8") for p in (gen / "sections").glob("*.md")}


def test_section_shown_when_its_data_values_and_figures_exist(tmp_path):
    body = "## Titre {#sec-t}\n\n{{< var a.n >}} demandes.\n\n{{< include ../_generated/figures/f.md >}}\n"
    _section(tmp_path, "t", "needs: [census]", body)
    out = _write(tmp_path, FLAGS_ALL, {"a": {"n": "12"}}, figures=("f",))
    assert out["t"] == body


@pytest.mark.parametrize("case", ["flag", "variable", "figure"])
def test_section_without_its_data_keeps_its_heading_and_says_so(tmp_path, case):
    body = "## Titre {#sec-t}\n\n{{< var a.n >}} demandes (@fig-f).\n\n{{< include ../_generated/figures/f.md >}}\n"
    _section(tmp_path, "t", "needs: [census]", body)
    flags = {**FLAGS_ALL, "census": case != "flag"}
    variables = {} if case == "variable" else {"a": {"n": "12"}}
    out = _write(tmp_path, flags, variables, figures=() if case == "figure" else ("f",))["t"]
    assert out.startswith("## Titre {#sec-t}\n")
    assert RI.NO_DATA_TITLE in out
    assert "{{<" not in out and "@fig-f" not in out  # no variable, include or cross-reference left
    if case == "flag":
        assert "aucun recensement" in out
    else:
        assert "trop peu nombreuses" in out


def test_empty_nodata_drops_the_section_and_else_chooses_another(tmp_path):
    _section(tmp_path, "deux", "needs: [census.2020_11, census.2022_11]\nelse: une", "Deux vagues.\n")
    _section(tmp_path, "une", "needs: [census.2022_11]\nnodata: \"\"", "Une vague.\n")
    _section(tmp_path, "propre", "needs: [users]\nnodata: Pas de comparaison possible.", "Texte.\n")
    out = _write(tmp_path, {**FLAGS_ALL, "census.2020_11": False, "users": False}, {})
    assert out["deux"] == "Une vague.\n" and out["une"] == "Une vague.\n"
    assert "Pas de comparaison possible." in out["propre"] and "Texte" not in out["propre"]
    out = _write(tmp_path, {**FLAGS_ALL, "census.2020_11": False, "census.2022_11": False, "users": True}, {})
    assert out["deux"] == "" and out["une"] == ""


def test_data_flags_and_waves_sentence():
    m = {"rows.activities": 0, "rows.users": 3, "rows.pros": 0, "rows.census": 36, "saturation.2022_11.n": 36}
    flags = RI.data_flags(m)
    assert flags == {"activities": False, "users": True, "pros": False, "census": True, "tracking": True,
                     "census.2020_11": False, "census.2022_11": True}
    assert RI.census_waves_fr(flags) == "la vague 2 (novembre 2022 – février 2023) du recensement"
    assert RI.census_waves_fr({}).startswith("aucune,") and "ne contenant pas de vague" in RI.census_waves_fr({})
    notice = RI.data_notice(flags, ("janvier 2023", "juin 2023"))
    assert "activités" in notice and "professionnel" in notice and "recensement" not in notice
    assert RI.data_notice(FLAGS_ALL, None) == ""


SOURCES = {"tracking only": ("census",), "census only": ("activities", "users", "pros"),
           "users only": ("activities", "pros", "census"), "nothing": ("activities", "users", "pros", "census")}


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sections")
    book = copy_book(tmp)
    return book, make_run(tmp, book)


def _copy(fake_run, tmp_path: Path) -> tuple[Path, Path]:
    import shutil

    book, run = fake_run
    shutil.copytree(book, tmp_path / "report")
    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "report", tmp_path / "run"


@pytest.mark.parametrize("variant", list(SOURCES))
def test_real_chapters_expand_for_any_subset_of_sources(fake_run, tmp_path, variant):
    """The real chapters, with a run that lacks some sources (and its values, figures, tables): every
    shortcode resolves, and each chapter that depends on a missing source says it has no data."""
    book, run = _copy(fake_run, tmp_path)
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    prefixes = {"activities": ("activities.", "temps_reseau."), "users": ("users.", "gradient.users"),
                "pros": ("pros.",), "census": ("saturation.", "gradient.census", "referrals.first_line_test")}
    # (the participation figure and table are written by every run, with or without activities)
    figures = {"activities": ("activites-types", "activites-mois", "activites-axes"), "users": ("orientations-", "gradient-usagers"),
               "pros": "orientations-professionnels", "census": ("saturation-", "gradient-")}
    for source in SOURCES[variant]:
        metrics = {k: v for k, v in metrics.items() if not k.startswith(prefixes[source])}
        metrics[f"rows.{source}"] = 0
        for f in list((run / "figures").glob("*")) + list((run / "tables").glob("*")):
            if f.name.startswith(figures[source]) and not (source == "census" and "usagers" in f.name):
                f.unlink()
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    RI.prepare_report_inputs(run, book, threshold=5, is_example=False)
    b = load_book(book)
    texts = {spec.source: expand_source(book / spec.source, b.root, b.variables)[0] for spec in b.chapters}
    whole = "".join(texts.values())
    assert "{{<" not in whole
    targets = set(re.findall(r"\{#((?:fig|tbl|sec)-[\w-]+)", whole))
    refs = set(re.findall(r"@((?:fig|tbl|sec)-[\w-]*\w)", whole))
    assert refs <= targets, f"cross-references without their figure, table or section: {sorted(refs - targets)}"
    if "census" in SOURCES[variant]:
        assert RI.NO_DATA_TITLE in texts["chapters/09-saturation.qmd"]
        assert "@fig-saturation" not in texts["chapters/09-saturation.qmd"]
    if "users" in SOURCES[variant]:
        assert RI.NO_DATA_TITLE in texts["chapters/08-orientations.qmd"]
        assert "@fig-orientations" not in texts["chapters/08-orientations.qmd"]
    if "activities" in SOURCES[variant]:
        assert RI.NO_DATA_TITLE in texts["chapters/07-activites.qmd"]
    assert "Données absentes pour cette période" in texts["index.qmd"]


def test_full_data_shows_every_section(fake_run, tmp_path):
    book, run = _copy(fake_run, tmp_path)
    assert METRICS["rows.census"] > 0
    RI.prepare_report_inputs(run, book, threshold=5, is_example=False)
    b = load_book(book)
    text = "".join(expand_source(book / spec.source, b.root, b.variables)[0] for spec in b.chapters)
    assert RI.NO_DATA_TITLE not in text and "Données absentes" not in text


def test_census_coverage_is_computed_from_the_waves_dates():
    assert RI.census_coverage_fr("2021-09", "2022-04") == (
        "Aucune vague du recensement des SSM ne recouvre cette période, même en partie")
    assert RI.census_coverage_fr("2023-01", "2023-06") == (
        "La vague 2 du recensement, de novembre 2022 à février 2023, recouvre en partie cette période : 2 de ses "
        "4 mois en font partie (de janvier 2023 à février 2023)")
    one = RI.census_coverage_fr("2021-02", "2021-08")
    assert one.startswith("La vague 1 du recensement") and "1 de ses 4 mois en fait partie (février 2021)" in one
    both = RI.census_coverage_fr("2019-01", "2023-01")
    assert "vague 1 du recensement, de novembre 2020 à février 2021, se déroule entièrement" in both
    assert "vague 2 du recensement, de novembre 2022 à février 2023, recouvre en partie" in both
    assert "3 de ses 4 mois en font partie (de novembre 2022 à janvier 2023)" in both
    assert RI.census_wave_fr("2022_11") == "la vague 2 du recensement, de novembre 2022 à février 2023"
    assert RI.census_wave_fr(None) is None and RI.census_wave_fr("1999_01") is None


def test_new_period_names_the_wave_its_numbers_come_from(fake_run, tmp_path):
    """A 2023 edition whose census has only wave 2: the methods say that wave overlaps January–February
    2023, and the conclusion's first-line share is told as wave 2's, not « 2020–2021 »."""
    book, run = _copy(fake_run, tmp_path)
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    metrics = {k: v for k, v in metrics.items() if not k.startswith(("saturation.2020_11", "saturation.compare"))}
    metrics.update({"period.start": "2023-01", "period.end": "2023-06", "referrals.baseline_wave": "2022_11",
                    "referrals.baseline_first_line_pct": 58.3})
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    RI.prepare_report_inputs(run, book, threshold=5, is_example=False)
    b = load_book(book)
    texts = {spec.source: expand_source(book / spec.source, b.root, b.variables)[0] for spec in b.chapters}
    methods = " ".join(texts["chapters/10b-methodes.qmd"].split())
    assert "Aucun recensement des SSM ne couvre cette période" not in methods
    assert ("La vague 2 du recensement, de novembre 2022 à février 2023, recouvre en partie cette période : "
            "2 de ses 4 mois en font partie (de janvier 2023 à février 2023)") in methods
    conclusion = " ".join(texts["chapters/11-conclusion.qmd"].split())
    assert "2020–2021" not in conclusion.split("## Après 2022")[0]
    assert "lors de la vague 2 du recensement, de novembre 2022 à février 2023 (@sec-orientations)" in conclusion
    assert "Lors de la vague du recensement menée de novembre 2022 à février 2023" in conclusion
