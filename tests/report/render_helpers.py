"""Shared by the report's tests: a fake run folder fed to the real report sources, and text helpers.

One fake run folder (metrics, a figure, tables) feeds the real report sources,
copied to a temporary folder (chapters that other people have not written yet
are replaced by stubs). Not a test module: imported by ``conftest.py`` and the
``test_*`` modules of this folder.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from analysis.config import REPORT_DIR

FIGURES = ("activities_by_type", "referrals_referrers", "saturation_outcomes", "gradient_users_quintiles")


METRICS = {
    "period.start": "2021-09",
    "period.end": "2022-04",
    "activities.total.n": 2302,
    "activities.total.participations": 11163,
    "users.n": 79,
    "users.female_pct": 55.696,
    "users.age_mean": 37.82,
    "users.services_n": 4,
    "users.commune_n.21005": 3,
    "pros.n": 124,
    "saturation.model.n": 1234,
    "saturation.2020_11.n": 3,
    "saturation.model.p.income": 0.0004,
    "gradient.users.n": 71,
    "gradient.users.rate_ratio_q1_q5": 2.3456,
    "sosa18.total_eur": 1526000,
    # every source has rows (the data flags of analysis.report.inputs.data_flags): all sections shown
    "rows.activities": 2302,
    "rows.users": 79,
    "rows.pros": 124,
    "rows.census": 5300,
}


# --------------------------------------------------------------------------- fixtures


def included(book: Path, kind: str) -> set[str]:
    """Names of the generated figures or tables (``kind``) that the book's sources include."""
    names = set()
    for qmd in book.rglob("*.qmd"):
        names |= set(re.findall(rf"_generated/{kind}/([\w-]+)\.md", qmd.read_text(encoding="utf-8")))
    return names


def book_variables(book: Path) -> set[str]:
    """Every ``{{< var key >}}`` of the book's sources."""
    keys: set[str] = set()
    for qmd in book.rglob("*.qmd"):
        keys |= set(re.findall(r"\{\{< var ([\w.\-]+) >\}\}", qmd.read_text(encoding="utf-8")))
    return keys


def make_run(tmp: Path, book: Path) -> Path:
    """A run folder with metrics.json and every figure and table the book includes."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import save_figure, set_theme

    run = tmp / "run"
    (run / "tables").mkdir(parents=True)
    metrics = dict(METRICS)
    for key in book_variables(book):  # every variable the real chapters use gets a plausible value
        if key not in metrics and not key.startswith(("period.", "disclosure.", "synthetic")):
            leaf = key.rsplit(".", 1)[-1]
            metrics[key] = "texte" if leaf in ("name", "sentence", "model_fr", "method", "model") else 12.5
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    set_theme()
    for k, name in enumerate(sorted(set(FIGURES) | included(book, "figures") - {"chronologie"})):
        fig, ax = plt.subplots(figsize=(4, 2.5))
        ax.bar(["a", "b", "c"], [3 + k, 5, 2])
        save_figure(fig, name, run / "figures", alt=f"Diagramme en barres de test {name}.",
                    caption=f"Figure de test {name} (données synthétiques).")
    for name in sorted(included(book, "tables")):
        (run / "tables" / f"{name}.md").write_text(
            f"| Catégorie | Effectif |\n|---|--:|\n| a | 1 234 |\n| b | 5 |\n\n: Tableau de test {name}\n",
            encoding="utf-8")
    return run


def copy_book(tmp: Path) -> Path:
    """The real report sources in a temporary folder; missing chapters become stubs."""
    book = tmp / "report"
    shutil.copytree(REPORT_DIR, book, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml",
                                                                   ".quarto", "_freeze"))
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    for src in cfg["book"]["chapters"] + cfg["book"]["appendices"]:
        path = book / src
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            stem = Path(src).stem.split("-", 1)[-1]
            path.write_text(f"# Chapitre {stem} {{#sec-{stem}}}\n\nTexte provisoire.\n", encoding="utf-8")
    return book


def chapter_titles(book: Path) -> list[str]:
    """The level-1 heading of every chapter, in _quarto.yml order (without attributes)."""
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    titles = []
    for src in cfg["book"]["chapters"] + cfg["book"]["appendices"]:
        text = (book / src).read_text(encoding="utf-8")
        m = re.search(r"^# (.+?)\s*(\{[^}]*\})?\s*$", text, re.M)
        titles.append(m.group(1).strip())
    return titles


def small_book(tmp: Path, body: str, variables: dict | None = None) -> Path:
    """A one-chapter book to provoke errors."""
    book = tmp / "mini"
    book.mkdir(parents=True)
    (book / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Mini\n  chapters:\n    - index.qmd\n", encoding="utf-8")
    (book / "index.qmd").write_text(body, encoding="utf-8")
    if variables is not None:
        (book / "_variables.yml").write_text(yaml.safe_dump(variables), encoding="utf-8")
    return book


# --------------------------------------------------------------------------- reading outputs


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def plain(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    for a, b in (("&amp;", "&"), ("&#39;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">")):
        text = text.replace(a, b)
    return re.sub(r"[ \t\r\n]+", " ", text).strip()  # keeps no-break spaces


def squash(text: str) -> str:
    """Compare texts whatever the spaces (PDF extraction drops or adds some) and apostrophes."""
    return re.sub(r"[\s\u00a0\u202f]+", "", text).replace("\u2019", "'")
