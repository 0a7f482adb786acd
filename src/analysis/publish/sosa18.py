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


#: Sections of the sheet's point 8 (the four measures) and point 11 (budget impact by year).
MEASURE_SECTIONS = ("mobilite", "lieu_de_liens_unite", "lieux_de_liens", "spad", "coordination")
IMPACT_SECTIONS = ("impact_2020", "impact_2021")


def _eur(v) -> str:
    return "–" if pd.isna(v) else fmt_eur(round(float(v)))


def _gap(d) -> str:
    """``conforme`` when the printed amount follows from its parts, else the signed gap; blank when not recomputable."""
    if pd.isna(d):
        return ""
    if abs(d) < 0.5:
        return "conforme"
    return ("+" if d > 0 else "−") + fmt_eur(abs(round(float(d))))


def display_budget(df: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing table of the measures (point 8): printed and recomputed amounts side by side, gaps flagged."""
    return pd.DataFrame({
        "Mesure": [SECTIONS_FR.get(s, s) for s in df["section"]],
        "Poste": [lab + (f" (calcul imprimé : {fmt_number(m, 0)} × {_eur(u)})"
                         if pd.notna(m) and pd.notna(f) and pd.notna(u) and float(m) != float(f) else "")
                  for lab, m, f, u in zip(df["label_fr"], df["printed_multiplier"], df["fte"], df["unit_eur"],
                                          strict=True)],
        "ETP": ["" if pd.isna(v) else fmt_number(v, 1 if float(v) % 1 else 0) for v in df["fte"]],
        "Coût unitaire": [_eur(v) for v in df["unit_eur"]],
        "Imprimé": [_eur(v) for v in df["printed_eur"]],
        "Recalculé": [_eur(v) for v in df["recomputed_eur"]],
        "Écart": [_gap(d) for d in df["diff_eur"]],
    })


def display_impact(df: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing table of the budget impact (point 11), printed and recomputed totals side by side."""
    return pd.DataFrame({
        "Année": [str(int(y)) if pd.notna(y) else "" for y in df["year"]],
        "Poste": df["label_fr"].str.replace("Total imprimé", "Total", regex=False),
        "Imprimé": [_eur(v) for v in df["printed_eur"]],
        "Recalculé": [_eur(v) for v in df["recomputed_eur"]],
        "Écart": [_gap(d) for d in df["diff_eur"]],
    })


def _with_widths(markdown: str, widths: tuple[int, ...]) -> str:
    """Set a pipe table's relative column widths (pandoc reads them from the dashes of the separator line)."""
    lines = markdown.split("\n")
    cols = lines[1].strip("|").split("|")
    lines[1] = "|" + "|".join((":" if c.startswith(":") else "") + "-" * w + (":" if c.endswith(":") else "")
                              for c, w in zip(cols, widths, strict=True)) + "|"
    return "\n".join(lines)


def _n_gaps(df: pd.DataFrame) -> int:
    return int((df["diff_eur"].abs() >= 0.5).sum())


def budget_markdown(ref_dir: Path = REFERENCE_DIR) -> str:
    """Table A.2: the amounts of the four measures (point 8 of the sheet)."""
    from analysis.publish.tables import markdown_table

    df = recompute(load_budget(ref_dir))
    df = df[df["section"].isin(MEASURE_SECTIONS)]
    caption = (f"Fiche SOSA_18, point 8 : montants imprimés et recalculés à partir de leurs composantes "
               f"({_n_gaps(df)} écarts). Recalculé : effectif × coût unitaire, ou somme des lignes qui "
               "composent un total. Source : fiche SOSA_18.")
    return _with_widths(markdown_table(display_budget(df), caption, "sosa18-budget"), (16, 30, 6, 13, 13, 13, 11))


def impact_markdown(ref_dir: Path = REFERENCE_DIR) -> str:
    """Table A.3: the budget impact for 2020 and 2021 (point 11 of the sheet)."""
    from analysis.publish.tables import markdown_table

    df = recompute(load_budget(ref_dir))
    df = df[df["section"].isin(IMPACT_SECTIONS)]
    caption = (f"Fiche SOSA_18, point 11 : impact budgétaire par année et par entité, montants imprimés et "
               f"recalculés comme somme de leurs lignes ({_n_gaps(df)} écarts). Source : fiche SOSA_18.")
    return _with_widths(markdown_table(display_impact(df), caption, "sosa18-impact"), (8, 44, 16, 16, 16))


def load_form(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The sheet's fields (``sosa18_form.csv``): number, field, content summarised in our words, source."""
    return pd.read_csv(Path(ref_dir) / "sosa18_form.csv", dtype=str).fillna("")


def form_markdown(ref_dir: Path = REFERENCE_DIR) -> str:
    """Table A.1: every field of the SOSA_18 sheet, in the sheet's order."""
    from analysis.publish.tables import markdown_table

    f = load_form(ref_dir)
    disp = pd.DataFrame({"Point": f["number"], "Rubrique": f["field_fr"], "Contenu": f["content_fr"]})
    md = markdown_table(disp, "Fiche mesure SOSA_18 du plan bruxellois de relance et de redéploiement, rubrique "
                                "par rubrique (contenu résumé). Source : fiche SOSA_18.", "sosa18-fiche")
    return _with_widths(md, (6, 24, 70))


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
