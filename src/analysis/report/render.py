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
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from analysis.config import REPORT_DIR
from analysis.errors import RenderError
from analysis.report import pandoc_ast
from analysis.report.book import Book, Chapter, expand_chapters, load_book, parse_chapter, parse_chapters
from analysis.report.html import write_html
from analysis.report.pdf import build_typst, write_pdf
from analysis.report.xref import (
    apply_citeproc,
    citations_of,
    number_book,
    number_one_chapter,
    put_citations,
    resolve_crossrefs,
)

QUARTO_MESSAGE = "Rendu via Quarto"
FALLBACK_MESSAGE = "Rendu via pandoc + typst (Quarto absent)"


@dataclass
class RenderResult:
    """What a render did: which engine, the files it wrote, how long each part took."""

    engine: str  # "quarto" or "fallback"
    message: str
    outputs: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: the outputs actually (re)written; the others were already identical
    changed: list[Path] = field(default_factory=list)

    @property
    def html_index(self) -> Path | None:
        return next((p for p in self.outputs if p.name == "index.html"), None)

    @property
    def pdf(self) -> Path | None:
        return next((p for p in self.outputs if p.suffix == ".pdf"), None)


# --------------------------------------------------------------------------- entry point


def render(report_dir: Path = REPORT_DIR, formats: Iterable[str] = ("html", "pdf"),
           engine: str = "auto", pdf_link: bool | None = None, quiet: bool = False) -> RenderResult:
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
        if not quiet:
            print(QUARTO_MESSAGE, flush=True)
        return _render_quarto(quarto, report_dir, fmts)
    if not quiet:
        print(FALLBACK_MESSAGE, flush=True)
    return render_fallback(report_dir, fmts, pdf_link)


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

#: Hidden folder of the book holding what makes re-renders incremental: pandoc's results
#: (content-addressed, see :func:`analysis.report.pandoc_ast.run_pandoc`), the staging
#: folders and the hash of the last PDF's typst source. Deleting it only costs time.
CACHE_DIRNAME = ".prr-cache"


def render_fallback(report_dir: Path = REPORT_DIR, formats: Iterable[str] = ("html", "pdf"),
                    pdf_link: bool | None = None) -> RenderResult:
    """Render the book with pandoc + typst (the Quarto features the book uses, nothing else).

    Incremental: pandoc runs only on what changed since a previous render (a chapter's
    expanded text — its includes and variables —, a chapter's final tree once numbered
    and cross-referenced, the citations), and a page is written only when its bytes
    changed; the PDF is recompiled only when its typst source changed. ``pdf_link``
    (default: when the PDF is rendered too) adds the PDF link to the pages.
    """
    fmts = _normalise_formats(formats)
    t0 = time.perf_counter()
    book = load_book(report_dir)
    cache_dir = book.root / CACHE_DIRNAME
    pandoc_ast.use_cache(cache_dir / "pandoc")
    try:
        if KEEP_PREPARED:
            chapters = _prepare_kept(book)
        else:
            chapters = parse_chapters(book)
            labels = number_book(chapters, book)
            resolve_crossrefs(chapters, labels, book)
            apply_citeproc(chapters, book)
        seconds = {"prepare": time.perf_counter() - t0}
        outputs: list[Path] = []
        changed: list[Path] = []
        if "html" in fmts:
            t1 = time.perf_counter()
            staging = _staging(cache_dir / "staging-html")
            written = write_html(_copy(chapters) if "pdf" in fmts else chapters, replace(book, output_dir=staging),
                                 with_pdf="pdf" in fmts if pdf_link is None else pdf_link,
                                 pristine=KEEP_PREPARED and "pdf" not in fmts)
            out, new = _publish(staging, written, book.output_dir, keep=lambda p: p.suffix == ".pdf")
            outputs += out
            changed += new
            seconds["html"] = time.perf_counter() - t1
        if "pdf" in fmts:
            t1 = time.perf_counter()
            pdf, new = _render_pdf(chapters, book, cache_dir)
            outputs.append(pdf)
            changed += new
            seconds["pdf"] = time.perf_counter() - t1
        pandoc_ast.prune_cache()
    finally:
        pandoc_ast.use_cache(None)
    seconds["total"] = time.perf_counter() - t0
    return RenderResult("fallback", FALLBACK_MESSAGE, sorted(outputs), seconds, sorted(changed))


# --------------------------------------------------------------------------- fallback: prepare kept

#: Set by ``prr render --watch``: the process keeps the last prepared book (:func:`_prepare_kept`).
KEEP_PREPARED = False


@dataclass
class _Prepared:
    """The last prepared book of this process and what each chapter contributed to it."""

    context: str  # the book's settings, bibliography and style (by size and modification time)
    digests: list[str]  # each chapter's expanded text and files
    chapters: list[Chapter]  # prepared trees, never modified afterwards (write_html copies)
    labels: dict  # every numbered id's label
    chapter_labels: list[dict]  # the labels each chapter defines
    citations: list[tuple[str, str]]  # per chapter: what citeproc was given, what it made of it


_KEPT: _Prepared | None = None


def _prepare_context(book: Book) -> str:
    stats = []
    for f in (book.bibliography, book.csl):
        if f is not None and Path(f).is_file():
            st = Path(f).stat()
            stats.append((str(f), st.st_size, st.st_mtime_ns))
    return hashlib.sha256(json.dumps([repr(book), stats]).encode("utf-8")).hexdigest()


def _prepare_kept(book: Book) -> list[Chapter]:
    """The book prepared (parsed, numbered, cross-referenced, cited), redoing one edited chapter only.

    When a single chapter's text changed and it defines the same labels (ids, numbers, titles of
    numbered items), its chapter title and number are the same and it gives citeproc the same
    citations, the other chapters' prepared trees, the labels and citeproc's results are those of
    the last render; only that chapter is parsed, numbered, cross-referenced and cited again, and
    the result is the one the whole prepare stage would give. Anything else prepares the whole book.
    """
    global _KEPT
    sources = expand_chapters(book)
    context = _prepare_context(book)
    digests = [hashlib.sha256(json.dumps([spec.source, text, [str(f) for f in files]]).encode("utf-8")).hexdigest()
               for spec, text, files in sources]
    kept = _KEPT
    if kept is not None and kept.context == context and len(kept.digests) == len(digests):
        edited = [i for i, (a, b) in enumerate(zip(kept.digests, digests, strict=True)) if a != b]
        if not edited:
            return [copy.copy(ch) for ch in kept.chapters]
        if len(edited) == 1:
            chapters = _prepare_one(book, kept, edited[0], sources[edited[0]])
            if chapters is not None:
                kept.digests = digests
                return [copy.copy(ch) for ch in chapters]
    _KEPT = None
    chapters = parse_chapters(book, sources)
    labels = number_book(chapters, book)
    chapter_labels: list[dict] = [{} for _ in chapters]  # the labels each chapter defines
    for ident, lab in labels.items():
        chapter_labels[lab.chapter].setdefault(ident, lab)
    resolve_crossrefs(chapters, labels, book)
    citations: list = []
    apply_citeproc(chapters, book, memo=citations)
    _KEPT = _Prepared(context, digests, chapters, labels, chapter_labels, citations)
    return [copy.copy(ch) for ch in chapters]


def _prepare_one(book: Book, kept: _Prepared, i: int, source) -> list[Chapter] | None:
    """The book with chapter ``i`` prepared again, or None when the whole book must be."""
    old = kept.chapters[i]
    try:
        ch = parse_chapter(source)
        labels = number_one_chapter(ch, i, old.number, book)
        if labels is None or labels != kept.chapter_labels[i] or ch.title != old.title or ch.ident != old.ident:
            return None
        resolve_crossrefs([ch], kept.labels, book)
        cites, refs = citations_of(ch)
        given, done = kept.citations[i]
        if json.dumps([cites, refs]) != given:
            return None
        put_citations(ch, done)
    except RenderError:
        return None  # the whole prepare stage says it (and names the file)
    kept.chapters[i] = ch
    return kept.chapters


def _copy(chapters: list[Chapter]) -> list[Chapter]:
    """A deep copy of the chapters (each output format rewrites its trees); JSON is faster than deepcopy."""
    out = []
    for ch in chapters:
        c = copy.copy(ch)
        c.blocks = json.loads(json.dumps(ch.blocks))
        out.append(c)
    return out


def _staging(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _publish(staging: Path, written: list[Path], out: Path, keep) -> tuple[list[Path], list[Path]]:
    """Move what was rendered into ``staging`` to ``out``, replacing only files whose bytes changed.

    A file is replaced atomically (never seen half-written by a browser). Files of ``out``
    the render did not produce are removed, except hidden ones and those ``keep`` accepts
    (the other format's). Returns (every output, the files actually written).
    """
    staged = sorted({Path(p) for p in written} | {p for p in staging.rglob("*") if p.is_file()})
    outputs, changed = [], []
    for src in staged:
        rel = src.relative_to(staging)
        dest = out / rel
        outputs.append(dest)
        if dest.is_file() and _same_bytes(src, dest):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        changed.append(dest)
    produced = {p.relative_to(out) for p in outputs}
    if out.is_dir():
        for p in sorted(out.rglob("*"), reverse=True):
            rel = p.relative_to(out)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if p.is_file() and rel not in produced and not keep(p):
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()
    shutil.rmtree(staging, ignore_errors=True)
    return outputs, changed


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


def _render_pdf(chapters: list[Chapter], book: Book, cache_dir: Path) -> tuple[Path, list[Path]]:
    """The PDF, recompiled only when its typst source changed since the last compile."""
    source = build_typst(_copy(chapters), book)  # build_typst and write_pdf both rewrite the trees
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    stamp = cache_dir / "pdf-source.sha256"
    pdf = book.output_dir / f"{book.output_file}.pdf"
    if pdf.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return pdf, []
    staging = _staging(cache_dir / "staging-pdf")
    built = write_pdf(_copy(chapters), replace(book, output_dir=staging))
    book.output_dir.mkdir(parents=True, exist_ok=True)
    for old in book.output_dir.glob("*.pdf"):
        if old.name != pdf.name:
            old.unlink()
    os.replace(built, pdf)
    shutil.rmtree(staging, ignore_errors=True)
    stamp.write_text(digest, encoding="utf-8")
    return pdf, [pdf]
