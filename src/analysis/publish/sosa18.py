"""The SOSA_18 budget annex: printed amounts next to amounts recomputed from their own parts.

The printed sheet multiplies staff by unit costs and adds sub-totals; some of
its figures do not follow from their parts (a multiplier of 12 for 10 FTE, a
2020 total that is not the sum of its lines). Each line's rule is written
here once, in :data:`RULES`, as the sum of other lines of the sheet
(``section.item`` keys, optionally multiplied) or staff × unit cost.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.publish.fmt import fmt_eur, fmt_number

#: item -> list of (factor, "section.item"); lines not listed use fte × unit cost when both are given.
RULES: dict[str, list[tuple[float, str]]] = {
    "mobilite.total": [(1, "mobilite.psy"), (1, "mobilite.a1_ba"), (1, "mobilite.psychiatre")],
    "mobilite.total_cocof": [(1, "mobilite.total"), (-1, "mobilite.total_cocom")],
    "lieu_de_liens_unite.cumul_1": [(1, "lieu_de_liens_unite.psy"), (1, "lieu_de_liens_unite.psychiatre")],
    "lieu_de_liens_unite.cumul_2": [(1, "lieu_de_liens_unite.cumul_1"), (1, "lieu_de_liens_unite.ba")],
    "lieu_de_liens_unite.fonctionnement": [(0.10, "lieu_de_liens_unite.cumul_2")],
    "lieu_de_liens_unite.total_unite": [(1, "lieu_de_liens_unite.cumul_2"), (1, "lieu_de_liens_unite.fonctionnement")],
    "lieux_de_liens.total": [(4, "lieu_de_liens_unite.total_unite")],
    "lieux_de_liens.total_cocom": [(0.5, "lieux_de_liens.total")],
    "lieux_de_liens.total_cocof": [(0.5, "lieux_de_liens.total")],
    "coordination.objectif": [(4, "coordination.unit")],
    "impact_2020.ssm": [(1, "impact_2020.ssm_cocom"), (1, "impact_2020.ssm_cocof")],
    "impact_2020.lieux_de_liens": [(1, "impact_2020.lieux_cocom"), (1, "impact_2020.lieux_cocof")],
    "impact_2020.total": [(1, "impact_2020.spad"), (1, "impact_2020.ssm"), (1, "impact_2020.lieux_de_liens"),
                          (1, "impact_2020.coordination")],
    "impact_2020.total_cocom": [(1, "impact_2020.spad"), (1, "impact_2020.ssm_cocom"), (1, "impact_2020.lieux_cocom"),
                                (1, "impact_2020.coordination")],
    "impact_2020.total_cocof": [(1, "impact_2020.ssm_cocof"), (1, "impact_2020.lieux_cocof")],
    "impact_2021.ssm": [(1, "impact_2021.ssm_cocom"), (1, "impact_2021.ssm_cocof")],
    "impact_2021.lieux_de_liens": [(1, "impact_2021.lieux_cocom"), (1, "impact_2021.lieux_cocof")],
    "impact_2021.total": [(1, "impact_2021.spad"), (1, "impact_2021.ssm"), (1, "impact_2021.lieux_de_liens"),
                          (1, "impact_2021.coordination")],
    "impact_2021.total_cocom": [(1, "impact_2021.spad"), (1, "impact_2021.ssm_cocom"), (1, "impact_2021.lieux_cocom"),
                                (1, "impact_2021.coordination")],
    "impact_2021.total_cocof": [(1, "impact_2021.ssm_cocof"), (1, "impact_2021.lieux_cocof")],
}
SECTIONS_FR = {
    "mobilite": "Renforts mobilité (8.1)", "lieu_de_liens_unite": "Un lieu de liens (8.2)",
    "lieux_de_liens": "Lieux de liens (8.2)", "spad": "SPAD (8.3)", "coordination": "Coordination (8.4)",
    "impact_2020": "Impact budgétaire 2020 (11)", "impact_2021": "Impact budgétaire 2021 (11)",
}


def load_budget(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    return pd.read_csv(Path(ref_dir) / "sosa18_budget.csv", dtype={"item": str, "section": str})


def recompute(budget: pd.DataFrame) -> pd.DataFrame:
    """Add ``recomputed_eur`` (from :data:`RULES`, else fte × unit cost) and ``diff_eur`` to the sheet."""
    df = budget.copy()
    df["key"] = df["section"] + "." + df["item"]
    printed = dict(zip(df["key"], df["printed_eur"], strict=True))
    values: dict[str, float] = {}

    def part(key: str, stack: tuple[str, ...]) -> float:
        # a line is checked against the printed amounts of its parts, so each gap stays where it arises
        p = printed.get(key, math.nan)
        return float(p) if not pd.isna(p) else value(key, stack)

    def value(key: str, stack: tuple[str, ...] = ()) -> float:
        if key in values:
            return values[key]
        if key == "coordination.unit":
            row = df[df["key"] == "coordination.objectif"].iloc[0]
            return float(row["unit_eur"])
        rule = RULES.get(key)
        row = df[df["key"] == key]
        if rule is not None and key not in stack:
            parts = [f * part(k, stack + (key,)) for f, k in rule]
            out = math.nan if any(math.isnan(p) for p in parts) else float(sum(parts))
        elif len(row) and pd.notna(row.iloc[0]["fte"]) and pd.notna(row.iloc[0]["unit_eur"]) \
                and row.iloc[0]["section"] != "spad":
            out = float(row.iloc[0]["fte"]) * float(row.iloc[0]["unit_eur"])
        else:
            out = float(printed.get(key, math.nan))
        values[key] = out
        return out

    df["recomputed_eur"] = [value(k) if (k in RULES or (pd.notna(f) and pd.notna(u) and s != "spad")) else math.nan
                            for k, f, u, s in zip(df["key"], df["fte"], df["unit_eur"], df["section"], strict=True)]
    df["diff_eur"] = df["recomputed_eur"] - df["printed_eur"]
    return df


def display_budget(df: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing table: printed and recomputed amounts side by side, gaps flagged."""
    def eur(v) -> str:
        return "–" if pd.isna(v) else fmt_eur(round(float(v)))

    def gap(d) -> str:
        if pd.isna(d) or abs(d) < 0.5:
            return "" if pd.isna(d) else "conforme"
        return ("+" if d > 0 else "−") + fmt_eur(abs(round(float(d))))

    return pd.DataFrame({
        "Section": [SECTIONS_FR.get(s, s) for s in df["section"]],
        "Poste": df["label_fr"],
        "ETP": ["" if pd.isna(v) else fmt_number(v, 1 if float(v) % 1 else 0) for v in df["fte"]],
        "Coût unitaire": [eur(v) for v in df["unit_eur"]],
        "Imprimé": [eur(v) for v in df["printed_eur"]],
        "Recalculé": [eur(v) for v in df["recomputed_eur"]],
        "Écart": [gap(d) for d in df["diff_eur"]],
    })


def budget_markdown(ref_dir: Path = REFERENCE_DIR) -> str:
    from analysis.publish.tables import markdown_table

    df = recompute(load_budget(ref_dir))
    n_gaps = int((df["diff_eur"].abs() >= 0.5).sum())
    caption = (f"Fiche SOSA_18 : montants imprimés et recalculés à partir de leurs composantes "
               f"({n_gaps} écarts). Source : rapport PRR 2022, annexe SOSA_18.")
    return markdown_table(display_budget(df), caption, "sosa18-budget")


def services_markdown(ref_dir: Path = REFERENCE_DIR) -> str:
    """The funded services registry as a table (reference data, not run-dependent)."""
    from analysis import reference
    from analysis.publish.tables import markdown_table

    s = reference.services(ref_dir)
    s = s[s["instrument"] == "prr"]
    calls = reference.labels("calls", ref_dir)
    kinds = reference.labels("kinds", ref_dir)
    disp = pd.DataFrame({"Service": s["name"], "Appel": [calls.get(c, c) for c in s["call"]],
                         "Type d'institution": [kinds.get(k, k) for k in s["kind"]]})
    return markdown_table(disp.sort_values(["Appel", "Service"]).reset_index(drop=True),
                          "Services financés par la COCOF dans le cadre du PRR (registre de référence du projet).",
                          "services")
