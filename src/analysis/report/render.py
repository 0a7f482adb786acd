"""Render the report: with Quarto where it is installed, else with pandoc + typst.

``report/`` is a real Quarto book. Quarto cannot be installed everywhere (its
installer downloads a binary), so the same sources are also rendered by a
fallback built on two PyPI wheels: pandoc (``pypandoc-binary``) and typst
(``typst``). The fallback implements exactly the Quarto features the book uses,
with Quarto's semantics, one job per module of :mod:`analysis.report`:

- :mod:`~analysis.report.book`: the book model from ``_quarto.yml``, chapters in
  order, ``{{< include >}}`` and ``{{< var >}}``, images;
- :mod:`~analysis.report.pandoc_ast`: running pandoc, helpers for its JSON AST;
- :mod:`~analysis.report.xref`: numbering, cross-references, callouts, citations;
- :mod:`~analysis.report.html`: the web book (pages, navigation, search);
- :mod:`~analysis.report.pdf`: the typst PDF.

This module chooses the engine and, for the fallback, runs those stages in order.

Anything that cannot be resolved (unknown variable, missing include or image,
unknown cross-reference or citation) stops the render with one French line that
names the file and the key or path (:class:`~analysis.errors.RenderError`).
Output is deterministic: two renders of the same inputs give byte-identical HTML
and PDF.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.config import REPORT_DIR
from analysis.errors import RenderError
from analysis.report.book import Book, load_book, parse_chapters
from analysis.report.html import write_html
from analysis.report.pdf import write_pdf
from analysis.report.xref import apply_citeproc, number_book, resolve_crossrefs

QUARTO_MESSAGE = "Rendu via Quarto"
FALLBACK_MESSAGE = "Rendu via pandoc + typst (Quarto absent)"


@dataclass
class RenderResult:
    """What a render did: which engine, the files it wrote, how long each part took."""

    engine: str  # "quarto" or "fallback"
    message: str
    outputs: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def html_index(self) -> Path | None:
        return next((p for p in self.outputs if p.name == "index.html"), None)

    @property
    def pdf(self) -> Path | None:
        return next((p for p in self.outputs if p.suffix == ".pdf"), None)


# --------------------------------------------------------------------------- entry point


def render(report_dir: Path = REPORT_DIR, formats: Iterable[str] = ("html", "pdf"),
           engine: str = "auto") -> RenderResult:
    """Render the book in ``report_dir`` to ``<output-dir>/`` (HTML web book and PDF).

    ``engine``: ``auto`` uses Quarto when ``quarto`` is on the PATH, else the
    fallback; ``quarto`` requires it; ``fallback`` forces pandoc + typst.
    """
    report_dir = Path(report_dir)
    fmts = _normalise_formats(formats)
    if engine not in ("auto", "quarto", "fallback"):
        raise RenderError(f"moteur de rendu inconnu « {engine} » (auto, quarto ou fallback)")
    quarto = shutil.which("quarto")
    if engine == "quarto" and not quarto:
        raise RenderError("Quarto n'est pas installé : utilisez --engine fallback (pandoc + typst)")
    if quarto and engine in ("auto", "quarto"):
        print(QUARTO_MESSAGE, flush=True)
        return _render_quarto(quarto, report_dir, fmts)
    print(FALLBACK_MESSAGE, flush=True)
    return render_fallback(report_dir, fmts)


def _normalise_formats(formats: Iterable[str]) -> tuple[str, ...]:
    aliases = {"html": "html", "pdf": "pdf", "typst": "pdf"}
    out = []
    for f in formats:
        if f not in aliases:
            raise RenderError(f"format de sortie inconnu « {f} » (html ou pdf)")
        if aliases[f] not in out:
            out.append(aliases[f])
    if not out:
        raise RenderError("aucun format de sortie demandé (html, pdf)")
    return tuple(out)


def _render_quarto(quarto: str, report_dir: Path, fmts: tuple[str, ...]) -> RenderResult:
    """``quarto render`` on the project (every format of ``_quarto.yml``, or the one asked)."""
    t0 = time.perf_counter()
    cmd = [quarto, "render", str(report_dir)]
    if set(fmts) != {"html", "pdf"}:
        cmd += ["--to", "html" if fmts == ("html",) else "typst"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["(aucun message)"]
        raise RenderError(f"quarto render a échoué : {tail[0]}")
    book = load_book(report_dir)
    outputs = sorted(p for p in book.output_dir.rglob("*") if p.suffix in (".html", ".pdf"))
    return RenderResult("quarto", QUARTO_MESSAGE, outputs, {"total": time.perf_counter() - t0})


# --------------------------------------------------------------------------- fallback: driver


def render_fallback(report_dir: Path = REPORT_DIR, formats: Iterable[str] = ("html", "pdf")) -> RenderResult:
    """Render the book with pandoc + typst (the Quarto features the book uses, nothing else)."""
    fmts = _normalise_formats(formats)
    t0 = time.perf_counter()
    book = load_book(report_dir)
    chapters = parse_chapters(book)
    labels = number_book(chapters, book)
    resolve_crossrefs(chapters, labels, book)
    apply_citeproc(chapters, book)
    seconds = {"prepare": time.perf_counter() - t0}
    _clean_output(book, fmts)
    outputs: list[Path] = []
    if "html" in fmts:
        t1 = time.perf_counter()
        outputs += write_html(copy.deepcopy(chapters), book, with_pdf="pdf" in fmts)
        seconds["html"] = time.perf_counter() - t1
    if "pdf" in fmts:
        t1 = time.perf_counter()
        outputs.append(write_pdf(copy.deepcopy(chapters), book))
        seconds["pdf"] = time.perf_counter() - t1
    seconds["total"] = time.perf_counter() - t0
    return RenderResult("fallback", FALLBACK_MESSAGE, sorted(outputs), seconds)


def _clean_output(book: Book, fmts: tuple[str, ...]) -> None:
    """Remove what the formats being rendered wrote last time (stale pages, old PDF)."""
    out = book.output_dir
    if not out.exists():
        return
    if set(fmts) == {"html", "pdf"}:
        shutil.rmtree(out)
        return
    for p in sorted(out.iterdir()):
        is_pdf = p.is_file() and p.suffix == ".pdf"
        if ("pdf" in fmts and is_pdf) or ("html" in fmts and not is_pdf):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
