"""The « Évolution » chapter for readers: disclosure of compared person counts and of their differences,
readings from intervals, the no-edition text, and the published values against the exact ones."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.analyses import evolution as E
from analysis.publish import evolution as P
from analysis.publish.disclosure import hidden_text
from analysis.publish.fmt import NBSP, fmt_number

T = 5


def _users(rows):
    """rows: (service, month, referrer, gender, age) — the columns the comparison reads."""
    data = pd.DataFrame(rows, columns=["service_code", "month", "referrer", "gender", "age"])
    return data.astype({"service_code": "string", "month": "string", "referrer": "string", "gender": "string",
                        "age": "Int64"})


def _edition(start, end, users, services, activities_per_service=20):
    months = E.months_between(start, end)
    act_rows = [(s, m, "temps_reseau", "axis3", 1, None, 6, 60.0) for s in services for m in months
                for _ in range(activities_per_service // len(months) or 1)]
    act = pd.DataFrame(act_rows, columns=["service_code", "month", "activity_type", "axis", "workers",
                                          "users_present", "pros_present", "duration_min"])
    act = act.astype({"workers": "Int64", "users_present": "Int64", "pros_present": "Int64",
                      "duration_min": "Float64"})
    sub = pd.DataFrame([(s, m, True, True, False) for s in services for m in months],
                       columns=["service_code", "month", "returned_activities", "returned_users", "returned_pros"])
    return E.Edition(out=Path(f"/runs/{start}"), start=start, end=end, months=months, activities=act,
                     users=users, submissions=sub, manifest={})


def _crowd(service, month, n, referrer="sante_generale", gender="F", age=40):
    return [(service, month, referrer, gender, age)] * n


@pytest.fixture()
def small():
    """Before: A has 30 demands, B has 3 (B is not in the new period); now: A has 20 + 2 first-line."""
    u1 = _users(_crowd("A", "2022-01", 30) + _crowd("B", "2022-02", 3, "justice", "H"))
    u2 = _users(_crowd("A", "2023-01", 20) + _crowd("A", "2023-02", 2, "initiative_personnelle", "H", 30))
    before = _edition("2022-01", "2022-04", u1, ["A", "B"])
    after = _edition("2023-01", "2023-06", u2, ["A"])
    res = E.EvolutionResults(current=after, earlier=[before], comparisons=[E.compare_editions(before, after)],
                             services=[E.per_service(before, after)], series=E.monthly_series([before, after]),
                             changes=E.code_changes(), mapped=pd.DataFrame(columns=["domain", "old_code", "new_code",
                                                                                     "table", "rows", "edition"]))
    return res


def test_a_difference_of_published_counts_does_not_reveal_a_hidden_one(small):
    comp, svc = small.comparisons[0], small.services[0]
    pc = P.PersonCounts(comp, svc, T)
    # all services: 33 before, common services (A): 30 before → the rest (B) is 3: the common count is hidden
    assert not pc.is_hidden("all", "users", "total", "before")
    assert pc.is_hidden("common", "users", "total", "before")
    table = P.demands_table(comp, pc)
    common = table[(table["Services"] == "présents aux deux éditions")
                   & table["Mesure"].str.startswith("Nouvelles demandes")].iloc[0]
    assert "30" not in common["Avant"] and common["Évolution (IC 95 %)"] == "–"
    # the referrer « justice » (3 before) and « initiative personnelle » (2 now) are hidden, with their shares
    # and differences; the first-line share now (2 of 22) is hidden because one of its referrers is
    shown = table.set_index("Mesure")
    assert shown.loc["Envoyeur : Justice", "Avant"] == "–"
    assert shown.loc["Envoyeur : Justice", "Évolution (IC 95 %)"] == "–"
    assert shown.loc["Envoyeur : Initiative personnelle", "Maintenant"] == "–"
    fl = table[(table["Services"] == "tous") & table["Mesure"].str.startswith("Part de première")].iloc[0]
    assert fl["Maintenant"] == "–" and fl["Évolution (IC 95 %)"] == "–"
    # no new demands per service (each edition's cluster intervals give back the services' sizes: third and
    # fourth reviews); B's 3 demands before are the rest of the two totals, printed nowhere and protected by
    # hiding the common count
    st = P.services_table(svc, pc).set_index("Service")
    assert not any(c.startswith("Nouvelles demandes") for c in st.columns)
    before = pc.protections["before"]
    assert before.ranges["users.rest"][1] - before.ranges["users.rest"][0] >= T - 1 and not before.unsafe()
    assert not any(c.startswith("svc.") for p in pc.protections.values() for c in p.values)


def test_person_counts_pass_the_lp_audit_and_hide_as_the_referrals_chapter(small):
    """Each period's linked cells (total, common services, each service) pass the LP audit of
    ``publish.sdc``; a zero count is hidden like 1 to 4; the referrer line of a period hides the same
    cells as the referrals chapter of that period (same line, same protection)."""
    from analysis import reference
    from analysis.analyses.referrals import share_table
    from analysis.publish.disclosure import publish_line

    comp, svc = small.comparisons[0], small.services[0]
    pc = P.PersonCounts(comp, svc, T)
    for side, p in pc.protections.items():
        assert not p.unsafe(), side
    refs = reference.table("referrers").sort_values("order")
    for side, ed in (("before", small.earlier[0]), ("after", small.current)):
        line = share_table(ed.users["referrer"], list(refs["code"]), reference.labels("referrers"),
                           can_be_missing=False)  # mandatory (data dictionary): no « Non renseigné » row
        _texts, hidden = publish_line(line["n"], T)
        for code, h in zip(line["code"], hidden, strict=True):
            if code != "non_renseigne":
                assert pc.is_hidden("all", "referrer", code, side) == bool(h), (side, code)
    # « justice »: 3 before, 0 now: both hidden (0 is « < 5 » too)
    assert pc.cell(0, "all", "referrer", "justice", "after") == hidden_text(T)


def test_no_small_person_count_in_any_published_cell(small, tmp_path):
    P.save_outputs(small, tmp_path, T)
    demands = pd.read_csv(tmp_path / "tables" / "evolution-demandes-1.csv", dtype=str)
    services = pd.read_csv(tmp_path / "tables" / "evolution-services-1.csv", dtype=str)
    assert not any(c.startswith("Nouvelles demandes") for c in services.columns)
    cells = [*demands["Avant"], *demands["Maintenant"]]
    for cell in cells:
        assert not re.fullmatch(r"[1-4]", cell), cell
        assert not re.search(r"\((?:[1-4])\)", cell), cell  # « 0,5 (2) »: a count in brackets
    body = (tmp_path / "tables" / "evolution.md").read_text(encoding="utf-8")
    assert not re.search(r"\b[1-4] (?:demandes|personnes)", body)


def test_readings_come_from_the_intervals(small):
    comp = small.comparisons[0]
    r = comp[(comp["scope"] == "all") & (comp["measure"] == "activities") & (comp["key"] == "total")].iloc[0]
    sentence = P.ratio_sentence(r.to_dict(), "le nombre d'activités", "activités")
    assert P.verdict_fr(E.verdict_ratio(r["ratio_low"], r["ratio_high"])) in sentence
    assert set(comp["verdict"]) <= set(E.VERDICTS)
    assert P.verdict_fr("indetermine") == "trop peu de données pour conclure"


def test_no_earlier_edition(tmp_path):
    P.save_outputs(E.EvolutionResults(current=None, earlier=[], comparisons=[], services=[],  # type: ignore[arg-type]
                                      series=pd.DataFrame(), changes=E.code_changes(), mapped=pd.DataFrame()),
                   tmp_path)
    assert (tmp_path / "tables" / "evolution.md").read_text(encoding="utf-8") == P.NO_EDITION
    assert "aucune édition antérieure" in (tmp_path / "tables" / "evolution-provenance.md").read_text(encoding="utf-8")
    assert not list((tmp_path / "tables").glob("evolution-activites*"))


def test_published_tables_show_the_exact_values(small, tmp_path):
    written = P.save_outputs(small, tmp_path, T)
    assert "evolution-mois" in written["figures"] and (tmp_path / "figures" / "evolution-mois.svg").exists()
    comp = small.comparisons[0].set_index(["scope", "measure", "key"])
    csv = pd.read_csv(tmp_path / "tables" / "evolution-activites-1.csv", dtype=str)
    row = csv[(csv["Services"] == "tous") & (csv["Mesure"] == "Activités – Toutes activités")].iloc[0]
    r = comp.loc[("all", "activities", "total")]
    assert row["Avant (par mois)"] == fmt_number(r["rate_before"], 1)
    assert row["Maintenant (par mois)"] == fmt_number(r["rate_after"], 1)
    assert row["Lecture"] == P.verdict_fr(r["verdict"])
    body = (tmp_path / "tables" / "evolution.md").read_text(encoding="utf-8")
    for name in written["tables"]:
        assert f"/_generated/tables/{name}.md" in body
    assert "{{< include /_generated/figures/evolution-mois.md >}}" in body
    prov = (tmp_path / "tables" / "evolution-provenance.md").read_text(encoding="utf-8")
    assert "{#tbl-evolution-provenance}" in prov and "janv. 2022" in prov
    assert f"±{NBSP}5 points" in body


def test_readings_of_hidden_comparisons_are_withheld_from_prose(small):
    keys = P.withheld_metrics(small, T)
    assert "evolution.editions.1.common.users.total.verdict" in keys  # the common count before is hidden
    assert "evolution.editions.1.all.referrer.justice.verdict" in keys
    assert "evolution.editions.1.all.users.total.verdict" not in keys  # 33 and 22: both shown
    assert not any(".activities." in k for k in keys)  # activities are not person counts


def test_code_changes_are_said_in_reader_words(small):
    """Which service of which edition is counted under which one of this edition: names, no codes, no
    row counts (a service's rows of new demands are a person count)."""
    before = small.earlier[0]
    before.names = {"B": "Service Bêta"}
    small.current.names = {"A": "Service Alpha"}
    small.mapped = pd.DataFrame([{"domain": "services", "old_code": "B", "new_code": "A", "table": "users",
                                  "rows": 3, "edition": 0}])
    small.changes = pd.DataFrame([{"domain": "services", "old_code": "B", "new_code": "A", "since": "2023-01",
                                   "note": "Bêta a rejoint Alpha"}])
    text = P.codes_text(small)
    assert "- Le service « Service Bêta » de l'édition janv. 2022 – avr. 2022 est compté avec « Service Alpha » " \
           "(Bêta a rejoint Alpha)." in text
    assert " 3 " not in text and "`" not in text


def test_with_the_users_plans_the_lines_hide_what_the_referrals_chapter_hides(small):
    """Given each period's users plan, the referrer and gender lines and the first-line share of the
    Évolution chapter follow it: the same cell hidden in both chapters, and the share of women « now »
    is the referrals prose's (same number, same decision)."""
    from analysis import reference
    from analysis.analyses import referrals as R
    from analysis.publish import referrals as PR

    communes = reference.communes().sort_values("nis_code")["nis_code"].astype(str).tolist()
    for ed in (small.earlier[0], small.current):
        n = len(ed.users)
        ed.users = ed.users.assign(commune_nis=pd.array([communes[i % 3] for i in range(n)], dtype="string"),
                                   residence=pd.array(["bruxelles"] * n, dtype="string"),
                                   income_source=pd.array(["travail"] * n, dtype="string"))
    plans = P.users_plans(small, T)
    comp, svc = small.comparisons[0], small.services[0]
    pc = P.PersonCounts(comp, svc, T, plans=plans[0])
    for side in ("before", "after"):
        plan = plans[0][side]
        assert not plan.protection.unsafe()
        for measure in ("referrer", "gender"):
            for key in comp[(comp["scope"] == "all") & (comp["measure"] == measure)]["key"]:
                assert pc.is_hidden("all", measure, key, side) == plan.hidden(f"users.{measure}.{key}"), \
                    (side, measure, key)
        if any(plan.hidden(c) for c in PR.FIRST_LINE_CELLS):
            assert pc.is_hidden("all", "first_line", "first_line", side)
    # now: 22 demands, 2 « initiative personnelle » (primary): the first-line share is hidden
    assert pc.is_hidden("all", "first_line", "first_line", "after")
    pros = pd.DataFrame({"service_code": pd.array(["A"], dtype="string"),
                         "requesting_service": pd.array(["cpas"], dtype="string"),
                         "origin_region": pd.array(["bruxelles"], dtype="string")})
    census = pd.DataFrame({"wave": pd.array([], dtype="string"), "service_code": pd.array([], dtype="string"),
                           "first_line": pd.array([], dtype="boolean")})
    res = R.analyse_referrals(small.current.users, pros, census, small.current.start, small.current.end)
    female = R.referral_metrics(res)["users.female_pct"]
    row = comp[(comp["scope"] == "all") & (comp["measure"] == "gender") & (comp["key"] == "F")].iloc[0]
    assert row["pct_after"] == pytest.approx(female)
    withheld = PR.withheld_metrics(res, plans[0]["after"], T)
    assert ("users.female_pct" in withheld) == pc.is_hidden("all", "gender", "F", "after")
    table = P.demands_table(comp, pc).set_index("Mesure")
    assert (table.loc["Genre : Femme", "Maintenant"] == "–") == ("users.female_pct" in withheld)
