"""Inputs of the report: metrics formatted in French, variables (small counts withheld), tables, notices."""

from __future__ import annotations

import pytest
import yaml
from render_helpers import METRICS

from analysis.publish.fmt import NBSP
from analysis.report import inputs as RI
from analysis.report.book import lookup_variable

# --------------------------------------------------------------------------- format_metric and variables


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("users.female_pct", 55.696, f"55,7{NBSP}%"),
        ("saturation.accepted_pct_low", 12.04, f"12,0{NBSP}%"),
        ("activities.communautaire_collectif.participations", 10292, f"10{NBSP}292"),
        ("activities.total.n", 2302.0, f"2{NBSP}302"),
        ("users.services_n", 4, "4"),
        ("users.age_mean", 37.82, "37,8"),
        ("saturation.2020_11.median_wait_days", 21.0, "21"),
        ("saturation.accepted_p_value", 0.0004, f"p{NBSP}<{NBSP}0,001"),
        ("gradient.users.dispersion_p_value", 0.0312, f"p{NBSP}={NBSP}0,03"),
        ("saturation.model.p.income", 0.0042, f"p{NBSP}={NBSP}0,004"),
        ("sosa18.total_eur", 1526000, f"1{NBSP}526{NBSP}000{NBSP}€"),
        ("gradient.income_year", 2020, "2020"),
        ("gradient.users.rate_ratio_q1_q5", 2.3456, "2,35"),
        ("saturation.model.or.income_low", 0.81234, "0,81"),
        ("gradient.users.rate_per_10000", 45.678, "45,7"),
        ("gradient.income_indicator", "mean_income_per_return_eur", "mean_income_per_return_eur"),
        ("period.start", "2021-09", "2021-09"),
        ("users.age_min", 3, "3"),
        ("saturation.model.n", None, "–"),
    ],
)
def test_format_metric(key, value, expected):
    assert RI.format_metric(key, value) == expected


@pytest.mark.parametrize(
    ("key", "person"),
    [("users.n", True), ("pros.n", True), ("saturation.2020_11.n", True), ("users.commune_n.21005", True),
     ("gradient.users.quintile.q1.count", True), ("gradient.census.excluded_outside", True),
     ("users.services_n", False), ("gradient.communes_n", False), ("gradient.n_sim", False),
     ("activities.total.n", False), ("users.female_pct", False), ("activities.formation.participations", False)],
)
def test_is_person_count(key, person):
    assert RI.is_person_count(key) is person


def test_build_variables_withholds_small_person_counts_and_nests():
    v = RI.build_variables(METRICS, threshold=5, is_example=True)
    assert v["synthetic"] is True
    assert v["users"]["commune_n"]["21005"] == "moins de 5"
    assert v["saturation"]["2020_11"]["n"] == "moins de 5"
    assert v["users"]["services_n"] == "4"  # services are not people
    assert v["users"]["n"] == "79"
    assert v["activities"]["total"]["participations"] == f"11{NBSP}163"
    assert v["period"]["start_fr"] == "septembre 2021" and v["period"]["end_fr"] == "avril 2022"
    # zero is « moins de 5 » too (a « < 5 » cell may be 0), and the threshold is a parameter
    assert RI.build_variables({"users.n": 0}, threshold=5)["users"]["n"] == "moins de 5"
    # counts per category, their shares, and keys withheld by a notebook
    w = RI.build_variables({"users.age_band_n.2": 4, "pros.requester_n.ssm": 3, "pros.requester_pct.ssm": 2.4,
                            "gradient.users.rate_ratio_q1_q5": 17.68},
                           withheld={"gradient.users.rate_ratio_q1_q5"})
    assert w["users"]["age_band_n"]["2"] == "moins de 5" and w["pros"]["requester_n"]["ssm"] == "moins de 5"
    assert w["pros"]["requester_pct"]["ssm"].startswith("non publié")
    assert w["gradient"]["users"]["rate_ratio_q1_q5"].startswith("non publié")
    # only what the report cites is written
    assert set(RI.build_variables({"users.n": 79, "users.age_min": 3}, only={"users.n"})["users"]) == {"n"}
    assert RI.build_variables({"users.n": 7}, threshold=10)["users"]["n"] == "moins de 10"


def test_nest_rejects_a_key_that_is_both_value_and_group():
    with pytest.raises(ValueError, match="both a value and a group"):
        RI.nest({"a.b": 1, "a.b.c": 2})


def test_variables_file_round_trips_through_yaml(tmp_path):
    v = RI.build_variables({"saturation.2020_11.n": 12, "users.female_pct": 55.7}, is_example=False)
    path = RI.write_variables(v, tmp_path / "_variables.yml")
    back = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert back["saturation"]["2020_11"]["n"] == "12"  # a numeric-looking key stays a string key
    assert lookup_variable(back, "users.female_pct") == f"55,7{NBSP}%"
    assert back["synthetic"] is False


def test_table_caption_gets_an_id():
    text = "| a |\n|---|\n| 1 |\n\n: Légende du tableau\n"
    assert RI.add_table_id(text, "saturation_by_wave").rstrip().endswith("{#tbl-saturation-by-wave}")
    assert RI.add_table_id("| a |\n|---|\n| 1 |\n", "x") == "| a |\n|---|\n| 1 |\n"  # no caption: unnumbered
    keep = "| a |\n|---|\n\n: Déjà {#tbl-autre}\n"
    assert RI.add_table_id(keep, "x") == keep


def test_synthetic_notice_only_for_example_data():
    assert "callout-warning" in RI.synthetic_notice(True) and "synthétique" in RI.synthetic_notice(True)
    assert RI.synthetic_notice(False) == ""


def test_per_level_percentages_carry_their_sign():
    # « 49,4 des demandes » was printed without « % » for users.referrer_pct.<code>
    assert RI.format_metric("users.referrer_pct.sante_generale", 49.367) == f"49,4{NBSP}%"
    assert RI.format_metric("users.commune_pct.21001", 12.0) == f"12,0{NBSP}%"


def test_unstable_and_non_estimable_values_are_printed_in_words():
    v = RI.build_variables({"gradient.users.rate_ratio_q1_q5": 17.68, "gradient.users.rate_ratio_q1_q5_low": 2.07,
                            "gradient.users.rate_ratio_q1_q5_stable": False,
                            "gradient.census.rate_ratio_q1_q5": 3.52, "gradient.census.rate_ratio_q1_q5_stable": True,
                            "saturation.2020_11.public.enfant.median_wait_days_high": None,
                            "saturation.2020_11.public.enfant.median_wait_days_high_estimable": False})
    assert v["gradient"]["users"]["rate_ratio_q1_q5"] == "effectif trop faible pour conclure"
    assert v["gradient"]["users"]["rate_ratio_q1_q5_low"] == "effectif trop faible pour conclure"
    assert v["gradient"]["census"]["rate_ratio_q1_q5"] == "3,52"
    assert v["saturation"]["2020_11"]["public"]["enfant"]["median_wait_days_high"] == "non estimable"


def test_audit_annex_of_another_period_explains_instead_of_listing_differences():
    from analysis.report.inputs import audit_markdown

    text = audit_markdown({"period.start": "2023-01", "period.end": "2023-06"})
    assert "tbl-audit" not in text and "janvier 2023 à juin 2023" in text and "septembre 2021" in text
    same = audit_markdown({"period.start": "2021-09", "period.end": "2022-04"})
    assert "tbl-audit" in same
