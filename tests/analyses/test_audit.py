"""The consistency audit compares printed figures at their printed precision."""

import pytest

from analysis.analyses import audit


@pytest.mark.parametrize(
    ("printed", "computed", "status"),
    [
        ("75", 75.04, audit.STATUS_OK),
        ("75", 74.3, audit.STATUS_DIFF),
        ("55.7", 55.696, audit.STATUS_OK),
        ("5.4", 5.38, audit.STATUS_OK),
        ("37.8", 37.85, audit.STATUS_DIFF),  # half up: 37.9
        ("1491", 1491, audit.STATUS_OK),
        ("2021-09", "2021-09", audit.STATUS_OK),
        ("10", None, audit.STATUS_NA),
    ],
)
def test_compare_uses_printed_precision(printed, computed, status):
    assert audit.compare(printed, computed) == status


def test_every_printed_figure_is_audited():
    assert audit.unmapped_figures() == []


def test_audit_marks_contradictions_and_sums():
    metrics = {
        "activities.permanence_elaboration.n": 99,
        "activities.permanence_orientation.n": 17,
        "activities.permanence_intervention.n": 42,
        "activities.axis2.participations": 1491,
    }
    table = audit.build_audit(metrics).set_index("figure")
    assert table.loc["activities_pros.permanence.n", "computed"] == 158
    assert table.loc["activities_pros.permanence.n", "status"] == audit.STATUS_OK
    assert table.loc["activities_pros.total.participations", "contradiction"]
    assert table.loc["users_new_demands.prestations_for_them", "status"] == audit.STATUS_NA
    assert table["contradiction"].sum() >= 3
