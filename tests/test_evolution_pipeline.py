"""``--compare``: one place for the parameter (``RunParams``), passed to the evolution step only, and part
of that step's cache key; end to end (slow) on the example run and a generated new period."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import pipeline
from analysis.cli import build_parser, main
from analysis.config import (
    EXAMPLE_END,
    EXAMPLE_START,
    REPORT_DIR,
    ParameterError,
    RunParams,
)
from analysis.publish.fmt import fmt_number


def _fake_run(folder: Path) -> Path:
    (folder / "clean").mkdir(parents=True)
    (folder / "clean" / "activities.parquet").write_bytes(b"v1")
    (folder / "manifest.json").write_text("{}")
    return folder


def test_compare_is_a_run_parameter(tmp_path):
    old = _fake_run(tmp_path / "old")
    params = RunParams(out=tmp_path / "new", compare=(old,))
    assert params.compare == (old,)
    assert "compare" not in params.notebook_parameters()
    assert "compare" not in params.notebook_parameters("activities")
    assert params.notebook_parameters("evolution")["compare"] == [str(old.resolve())]
    with pytest.raises(ParameterError, match="--compare"):
        RunParams(out=tmp_path / "new", compare=(tmp_path / "nowhere",))
    args = build_parser().parse_args(["build", "--compare", str(old), str(old)])
    assert tuple(args.compare) == (old, old)


def test_compare_bad_folder_is_one_line(tmp_path, capsys):
    assert main(["run", "--compare", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prr : erreur : --compare") and err.count("\n") == 1


def test_example_new_period_writes_a_period_to_compare(tmp_path, capsys):
    """``prr example --new-period --out DIR`` (the README's way to try ``--compare``): the new period's
    raw folder with its services registry and its table of code changes (two services merged)."""
    out = tmp_path / "retours-2023"
    assert main(["example", "--new-period", "--out", str(out)]) == 0
    assert "(période 2023-01 → 2023-06)" in capsys.readouterr().out
    changes = pd.read_csv(out / "code_changes.csv", dtype=str)
    assert set(changes["domain"]) == {"services"} and set(changes["new_code"]) == {"GRC"}
    assert "GRC" in set(pd.read_csv(out / "services.csv", dtype=str)["code"])
    assert main(["example", "--new-period", "--out", str(out)]) == 2  # not over an existing folder
    assert "n'est pas vide" in capsys.readouterr().err


def test_readme_compare_commands_are_prr_commands():
    """The README's « Comparer avec les éditions précédentes » block: each line is a ``prr`` command the
    parser accepts, the new period is written by ``prr example --new-period`` and compared with the example's
    run folder (the slow test below builds the same)."""
    import shlex

    text = (REPORT_DIR.parent / "README.md").read_text(encoding="utf-8")
    block = text.split("### Comparer avec les éditions précédentes")[1].split("```sh")[1].split("```")[0]
    commands = [shlex.split(c, comments=True) for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    assert [c[:2] for c in commands] == [["prr", "build"], ["prr", "example"], ["prr", "build"]]
    parsed = [build_parser().parse_args(c[1:]) for c in commands]
    assert parsed[1].new_period and parsed[1].out == Path("data/raw/retours-2023")
    assert parsed[2].raw == parsed[1].out and (parsed[2].start, parsed[2].end) == ("2023-01", "2023-06")
    assert parsed[2].compare == [Path(f"data/processed/example_{EXAMPLE_START}_{EXAMPLE_END}")]


def test_compared_runs_are_in_the_evolution_step_key_only(tmp_path, monkeypatch):
    from analysis.ingest import schema

    # the new run's own clean tables: fixed content digests (their keys are tested in test_authors_loop)
    monkeypatch.setattr(pipeline, "table_digests", lambda *a, **k: dict.fromkeys(schema.TABLES, "same"))
    old = _fake_run(tmp_path / "old")
    steps = {s.name: s for s in pipeline.analysis_steps()}
    assert "evolution" in steps and steps["evolution"].notebook == "06_evolution.py"
    alone = RunParams(out=tmp_path / "new")
    compared = RunParams(out=tmp_path / "new", compare=(old,))
    key = pipeline._step_key
    assert key(steps["activities"], alone) == key(steps["activities"], compared)
    k1 = key(steps["evolution"], compared)
    assert k1 != key(steps["evolution"], alone)
    (old / "clean" / "activities.parquet").write_bytes(b"v2")  # the earlier run was redone
    assert key(steps["evolution"], compared) != k1
    assert key(steps["activities"], compared) == key(steps["activities"], alone)


# --------------------------------------------------------------------------- end to end


def _prr(*args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example-run") / "example_2021-09_2022-04"
    res = _prr("run", "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.slow
def test_new_period_compared_with_the_example(example_run, tmp_path):
    """``prr run`` of the generated new period with ``--compare`` the example run: the chapter's tables hold
    the values recomputed here from the two runs' Parquet files."""
    from analysis.example.new_period import write_new_period

    raw = tmp_path / "retours-2023"
    write_new_period(raw, seed=0)
    out = tmp_path / "run2023"
    res = _prr("run", "--raw", str(raw), "--start", "2023-01", "--end", "2023-06", "--out", str(out),
               "--compare", str(example_run))
    # other analysis steps may still fail on this uncalibrated period; the evolution step must have run
    assert (out / "metrics" / "evolution.json").exists(), res.stderr
    m = json.loads((out / "metrics" / "evolution.json").read_text())
    assert m["evolution.compared_n"] == 1 and m["evolution.editions.1.start"] == EXAMPLE_START
    # the audit of each period's linked cells is in the run folder, and nothing is left unprotected; no
    # per-service cells (new demands are not given per service: third and fourth reviews)
    for side in ("before", "after"):
        audit = json.loads((out / "disclosure" / f"evolution-1-{side}.json").read_text(encoding="utf-8"))
        assert audit["unsafe"] == [] and not any(c["cell"].startswith("svc.") for c in audit["cells"]), side
    a1 = pd.read_parquet(example_run / "clean" / "activities.parquet")
    a2 = pd.read_parquet(out / "clean" / "activities.parquet")
    a2 = a2[a2["month"].between("2023-01", "2023-06")]
    table = pd.read_csv(out / "tables" / "evolution-activites-1.csv", dtype=str)
    for axis, label in (("total", "Toutes activités"), ("axis1", "Axe 1"), ("axis3", "Axe 3")):
        row = table[(table["Services"] == "tous")
                    & (table["Mesure"].str.replace("\u00a0", " ") == f"Activités – {label}")].iloc[0]
        s1 = a1 if axis == "total" else a1[a1["axis"] == axis]
        s2 = a2 if axis == "total" else a2[a2["axis"] == axis]
        assert row["Avant (par mois)"] == fmt_number(len(s1) / 8, 1)
        assert row["Maintenant (par mois)"] == fmt_number(len(s2) / 6, 1)
    body = (out / "tables" / "evolution.md").read_text(encoding="utf-8")
    assert "septembre 2021 – avril 2022 (8\u00a0mois)" in body
    prov = (out / "tables" / "evolution-provenance.md").read_text(encoding="utf-8")
    assert example_run.name in prov and "example (exemple synthétique)" in prov
    assert ("| cette édition | janv. 2023 – juin 2023 (6\u00a0mois) | run2023 | retours-2023 ; fichiers de ce "
            "rapport | avec ce rapport |") in prov
    manifest = json.loads((example_run / "manifest.json").read_text())
    assert manifest["commit"][:12] in prov
    assert (out / "figures" / "evolution-mois.svg").exists()


@pytest.mark.slow
def test_rendered_chapter_with_the_example_compared_with_itself(example_run):
    """``prr render --compare``: the example run compared with itself renders the chapter, its tables and
    figure, and the provenance annex names the compared run; without --compare the chapter says so."""
    res = _prr("render", "--out", str(example_run), "--compare", str(example_run))
    assert res.returncode == 0, res.stderr
    html = (REPORT_DIR / "_book" / "chapters" / "12-evolution.html").read_text(encoding="utf-8")
    assert "Évolution depuis les éditions précédentes" in html
    assert "Par rapport à" in html and 'id="tbl-evolution-activites-1"' in html
    assert 'id="fig-evolution-mois"' in html
    assert "des périodes comparées se recouvrent" in html  # (the typography filter puts a no-break space before « : »)
    assert "stable" in html  # a period compared with itself: every computable ratio is 1
    annex = (REPORT_DIR / "_book" / "annexes" / "a5-provenance.html").read_text(encoding="utf-8")
    assert example_run.name in annex
    assert (REPORT_DIR / "_book" / "prr-rapport.pdf").exists()
    res = _prr("build", "--out", str(example_run))
    assert res.returncode == 0, res.stderr
    html = (REPORT_DIR / "_book" / "chapters" / "12-evolution.html").read_text(encoding="utf-8")
    assert "aucune édition antérieure" in html
    assert EXAMPLE_END  # the period of the example run


# --------------------------------------------------------------------------- independent recomputation


def _edition(run: Path, start: str, end: str, services: dict[str, str] | None = None) -> dict:
    """What the comparison needs of one run, read here from its clean Parquet tables (not through
    ``analyses.evolution``): kept rows of the period, services present, months; ``services`` maps old
    service codes to today's (a merger)."""
    from analysis.analyses.activities import months_between

    months = months_between(start, end)
    t = {name: pd.read_parquet(run / "clean" / f"{name}.parquet") for name in ("activities", "users", "submissions")}
    t = {name: df[df["month"].isin(months)].copy() for name, df in t.items()}
    for df in t.values():
        df["service_code"] = df["service_code"].astype("string").replace(services or {})
    services = set()
    for df in t.values():
        services |= set(df["service_code"].dropna().astype(str))
    return {**t, "n_months": len(months), "services": services}


def _verdict_from_interval(text: str) -> str:
    """« ×1,05 (0,93–1,19) » → the reading the interval allows (margins of ``analyses.evolution``)."""
    import re

    from analysis.analyses.evolution import RATIO_MARGIN

    if m := re.fullmatch(r"au moins ×([\d,]+)", text):  # nothing before: the interval has no upper bound
        return "en hausse" if float(m[1].replace(",", ".")) > 1 else "trop peu de données pour conclure"
    low, high = (float(x.replace(",", ".")) for x in re.search(r"\(([\d,]+)\s*(?:–|à)\s*([\d,]+)\)", text).groups())
    if low > 1:
        return "en hausse"
    if high < 1:
        return "en baisse"
    if RATIO_MARGIN[0] <= low and high <= RATIO_MARGIN[1]:
        return "stable"
    return "trop peu de données pour conclure"


@pytest.mark.slow
def test_built_new_period_compared_with_the_example_is_right(example_run, tmp_path):
    """``prr build`` of a generated new period with ``--compare`` the example run: the « Évolution » chapter's
    tables hold what is recomputed here from both runs' clean tables, person counts go through the disclosure
    threshold (a rate or a mean resting on a withheld count is withheld too; no hidden count can be found
    back from the published ones), each reading is the one its interval allows, and the rendered chapter and
    annex speak to a reader (no « run », no paths). In the new period two services of the example have
    merged under a new code (the raw folder's ``services.csv`` and ``code_changes.csv``): the chapter compares
    the merged service with the sum of the two old ones and says so. The printed book passes the
    publication check."""
    import re
    import shutil

    from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD as T
    from analysis.example.new_period import MERGED_FROM, MERGED_SERVICE, write_new_period
    from analysis.publish.fmt import fmt_int

    raw = tmp_path / "retours-2023"
    write_new_period(raw, seed=0, merged_services=True)
    out = tmp_path / "run2023"
    res = _prr("build", "--raw", str(raw), "--start", "2023-01", "--end", "2023-06", "--out", str(out),
               "--compare", str(example_run))
    assert res.returncode == 0, res.stderr[-3000:]
    assert (out / "metrics" / "evolution.json").exists(), res.stderr
    # the merger, read here from the raw folder's own table of code changes
    changes = pd.read_csv(raw / "code_changes.csv", dtype=str)
    merged = dict(zip(changes["old_code"], changes["new_code"], strict=True))
    assert merged == dict.fromkeys(MERGED_FROM, MERGED_SERVICE["code"])
    # the run keeps them, for a later edition compared with it once the raw folder is gone
    kept = pd.read_csv(out / "code_changes.csv", dtype=str)
    assert dict(zip(kept["old_code"], kept["new_code"], strict=True)) == merged
    before = _edition(example_run, EXAMPLE_START, EXAMPLE_END, merged)
    after = _edition(out, "2023-01", "2023-06")
    assert MERGED_SERVICE["code"] in before["services"] & after["services"]  # present in both, once mapped
    common = before["services"] & after["services"]
    m = json.loads((out / "metrics" / "evolution.json").read_text())
    assert m["evolution.editions.1.common_services_n"] == len(common)

    acts = pd.read_csv(out / "tables" / "evolution-activites-1.csv", dtype=str)
    for scope, label in (("tous", None), ("présents aux deux éditions", common)):
        for axis, name in (("total", "Toutes activités"), ("axis1", "Axe 1"), ("axis2", "Axe 2"), ("axis3", "Axe 3")):
            row = acts[(acts["Services"] == scope) & (acts["Mesure"].str.replace("\u00a0", " ") == f"Activités – {name}")]
            assert len(row) == 1, (scope, name)
            row = row.iloc[0]
            for side, ed in (("Avant (par mois)", before), ("Maintenant (par mois)", after)):
                a = ed["activities"]
                a = a if label is None else a[a["service_code"].isin(label)]
                a = a if axis == "total" else a[a["axis"] == axis]
                assert row[side] == fmt_number(len(a) / ed["n_months"], 1), (scope, name, side)
            if row["Rapport (IC 95 %)"] != "–":
                assert row["Lecture"] == _verdict_from_interval(row["Rapport (IC 95 %)"]), row.to_dict()

    demands = pd.read_csv(out / "tables" / "evolution-demandes-1.csv", dtype=str)
    per_service = pd.read_csv(out / "tables" / "evolution-services-1.csv", dtype=str)
    for scope, label in (("tous", None), ("présents aux deux éditions", common)):
        rows = demands[demands["Services"] == scope].set_index("Mesure")
        counts = {}
        for side, ed in (("Avant", before), ("Maintenant", after)):
            u = ed["users"]
            u = u if label is None else u[u["service_code"].isin(label)]
            n = counts[side] = len(u)
            cell = rows.loc["Nouvelles demandes par mois (nombre sur la période)", side]
            one_edition_only = ed["services"] - common
            # (no new demands per service: each edition's cluster intervals give the services' sizes back)
            if label is not None and one_edition_only:
                # withheld by rule, whatever the rest (fifth review): else « n.p. » would say the rest is small
                assert cell == "n.p." and rows.loc["Âge moyen au premier contact", side] == "–", (scope, side, cell)
            elif n >= T:
                assert cell == f"{fmt_number(n / ed['n_months'], 1)} ({fmt_int(n)})", (scope, side, cell)
            else:  # withheld (0 included): neither the count nor the rate per month it rests on
                assert fmt_int(n) not in cell and fmt_number(n / ed["n_months"], 1) not in cell, (scope, cell)
                assert rows.loc["Âge moyen au premier contact", side] == "–"
        if any(n < T for n in counts.values()):
            assert rows.loc["Nouvelles demandes par mois (nombre sur la période)", "Évolution (IC 95 %)"] == "–"

    # the merged service: one row, its « before » the two old services together; the old names are gone
    names = per_service.set_index("Service")
    assert MERGED_SERVICE["name"] in names.index
    assert not {"SSM Le Grès", "Coin des Cerises"} & set(names.index)
    row = names.loc[MERGED_SERVICE["name"]]
    code = MERGED_SERVICE["code"]
    for side, ed in (("avant", before), ("maintenant", after)):
        a = ed["activities"]
        assert row[f"Activités par mois {side}"] == fmt_number((a["service_code"] == code).sum() / ed["n_months"], 1)
    assert row["Lecture"] == _verdict_from_interval(row["Rapport (IC 95 %)"])

    # disclosure: no new demands per service; a share of a referrer or a gender is shown only for a count of at
    # least T
    assert not any(c.startswith("Nouvelles demandes") for c in per_service.columns)
    for side, ed in (("Avant", before), ("Maintenant", after)):
        for r in demands[demands["Mesure"].str.startswith(("Genre", "Envoyeur"))].to_dict("records"):
            if r[side].endswith("%"):
                n = len(ed["users"])
                assert round(float(r[side].replace("\u00a0", "").rstrip(" %").replace(",", ".")) * n / 100) >= T, r

    chapter = (REPORT_DIR / "_book" / "chapters" / "12-evolution.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", chapter)
    assert "Par rapport à sept. 2021 – avr. 2022" in text.replace("\u00a0", " ")
    flat = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    for old in ("SSM Le Grès", "Coin des Cerises"):  # the chapter says which codes were mapped, in reader words
        assert f"Le service « {old} » de l’édition sept. 2021 – avr. 2022 est compté avec « Grès-Cerises »" \
            in flat.replace("'", "’"), flat[flat.find("changé de code"):][:800]
    assert 'id="fig-evolution-mois"' in chapter and 'id="tbl-evolution-demandes-1"' in chapter
    annex = re.sub(r"<[^>]+>", " ", (REPORT_DIR / "_book" / "annexes" / "a5-provenance.html")
                   .read_text(encoding="utf-8"))
    example_manifest = json.loads((example_run / "manifest.json").read_text())
    assert example_run.name in annex and example_manifest["commit"][:12] in annex and "Calculée" in annex
    for page in (text, annex):
        assert not re.search(r"\bruns?\b", page)
        assert "data/processed" not in page and "manifest.json" not in page

    # the publication check (tests/report/test_publication.py) on the printed book with its Évolution chapter
    if shutil.which("pdftotext"):
        from analysis.report import check

        problems = check.check_publication(REPORT_DIR / "_book" / "prr-rapport.pdf")
        assert problems == [], "\n".join(map(str, problems))
