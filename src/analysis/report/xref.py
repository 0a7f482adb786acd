"""Numbering, cross-references and citations, as a Quarto book does them.

- callouts (``.callout-note`` …) whose title is ``title=`` or a first heading
  (normalised in the numbering pass);
- numbered figures (``{#fig-…}``), tables (``{#tbl-…}``) and sections, numbered
  per chapter (``7.2``), appendices lettered, ``{.unnumbered}`` headings left
  out; ``@fig-x``, ``@tbl-x``, ``@sec-x`` become « Figure 7.2 », « Tableau 7.1 »,
  « Chapitre 7 », « Section 7.3 », « Annexe A »; ``-@fig-x`` gives the number alone;
- citations with the bibliography and CSL style (``--citeproc``), printed where
  ``::: {#refs}`` stands.

An unknown cross-reference or citation, or an identifier defined twice, is a
:class:`~analysis.errors.RenderError` naming the file and the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import RenderError
from analysis.report.book import Book, Chapter, _locate, _rel
from analysis.report.pandoc_ast import (
    NBSP,
    SPACE,
    Div,
    Link,
    Plain,
    Span,
    Str,
    _api_version,
    _classes,
    _kv,
    attr,
    each,
    map_blocks,
    run_pandoc,
    stringify,
    walk,
)

#: Quarto's French callout titles (its ``fr`` language file).
CALLOUT_TITLES = {
    "note": "Note", "warning": "Avertissement", "important": "Important",
    "tip": "Astuce", "caution": "Attention",
}
#: Cross-reference prefixes the book uses, with their French label.
XREF_LABELS = {"fig": "Figure", "tbl": "Tableau", "sec": "Section"}
CHAPTER_LABEL = "Chapitre"
APPENDIX_LABEL = "Annexe"


# --------------------------------------------------------------------------- numbering


@dataclass(frozen=True)
class Label:
    kind: str  # fig, tbl, sec
    number: str | None
    chapter: int
    text: str  # what a reference prints (« Figure 7.2 »)
    level: int = 0


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _normalise_callouts(ch: Chapter, root: Path) -> None:
    """Rewrite callout divs as ``callout callout-<type>`` with a title div and a body div.

    The title is ``title=`` if given, else the callout's first heading (which
    Quarto also takes as the title), else the type's French name.
    """

    def fn(b: dict) -> list | None:
        if b["t"] != "Div":
            return None
        kinds = [c for c in _classes(b) if c.startswith("callout-")]
        if not kinds:
            return None
        kind = kinds[0].removeprefix("callout-")
        if kind not in CALLOUT_TITLES:
            raise RenderError(f"type d'encadré inconnu « {kinds[0]} » ({_locate(kinds[0], ch, root)})")
        a, content = b["c"]
        kv = _kv(a)
        title: list = []
        if kv.get("title"):
            title = [Str(kv["title"])]
        elif content and content[0]["t"] == "Header":
            title = content.pop(0)["c"][2]
        if not title:
            title = [Str(CALLOUT_TITLES[kind])]
        new_attr = attr(a[0], ["callout", f"callout-{kind}"], [["data-kind", kind]])
        return [Div(new_attr, [Div(attr("", ["callout-title"]), [Plain(title)]),
                               Div(attr("", ["callout-body"]), content)])]

    ch.blocks = map_blocks(ch.blocks, fn)


def number_book(chapters: list[Chapter], book: Book) -> dict[str, Label]:
    """Number chapters, sections, figures and tables like a Quarto book; return the labels by id.

    Chapters are numbered 1, 2, … and appendices A, B, …; an unnumbered chapter
    (``{.unnumbered}``) has unnumbered sections. Sections are numbered down to
    ``number-depth``; figures and tables per chapter (``7.1``).
    """
    labels: dict[str, Label] = {}
    n_chap = n_apx = 0

    def register(ident: str, label: Label, ch: Chapter) -> None:
        if ident in labels:
            raise RenderError(f"identifiant « #{ident} » défini deux fois ({_locate('#' + ident, ch, book.root)})")
        labels[ident] = label

    for i, ch in enumerate(chapters):
        h1 = _chapter_h1(ch, book)
        if "unnumbered" not in h1["c"][1][1]:
            if ch.spec.appendix:
                n_apx += 1
                ch.number = _letters(n_apx)
            else:
                n_chap += 1
                ch.number = str(n_chap)
        _number_chapter(ch, i, h1, book, register)
    return labels


def _chapter_h1(ch: Chapter, book: Book) -> dict:
    _normalise_callouts(ch, book.root)
    h1 = next((b for b in ch.blocks if b["t"] == "Header" and b["c"][0] == 1), None)
    if h1 is None:
        raise RenderError(f"le chapitre {ch.spec.source} n'a pas de titre de niveau 1 (# Titre)")
    return h1


def _number_chapter(ch: Chapter, index: int, h1: dict, book: Book,
                    register: Callable[[str, Label, Chapter], None]) -> None:
    ch.title = h1["c"][2]
    ch.ident = h1["c"][1][0]
    h1["c"][1][2] = [*h1["c"][1][2], ["data-number", ch.number or ""]]
    _ChapterNumberer(ch, index, h1, book.number_depth, register).run()


def number_one_chapter(ch: Chapter, index: int, number: str | None, book: Book) -> dict[str, Label] | None:
    """Number one chapter as :func:`number_book` would at ``index`` with chapter number ``number``.

    Returns the labels it defines, or None when its title's ``{.unnumbered}`` does not agree with
    ``number`` (its number would then depend on the other chapters: number the whole book)."""
    labels: dict[str, Label] = {}

    def register(ident: str, label: Label, _ch: Chapter) -> None:
        if ident in labels:
            raise RenderError(f"identifiant « #{ident} » défini deux fois ({_locate('#' + ident, ch, book.root)})")
        labels[ident] = label

    h1 = _chapter_h1(ch, book)
    if ("unnumbered" in h1["c"][1][1]) != (number is None):
        return None
    ch.number = number
    _number_chapter(ch, index, h1, book, register)
    return labels


class _ChapterNumberer:
    """Numbers of one chapter's sections (down to ``number_depth``), figures and tables."""

    def __init__(self, ch: Chapter, index: int, h1: dict, number_depth: int,
                 register: Callable[[str, Label, Chapter], None]):
        self.ch, self.index, self.h1, self.depth, self.register = ch, index, h1, number_depth, register
        self.counters = [0] * 10
        self.n_fig = self.n_tbl = 0

    def run(self) -> None:
        each(self.ch.blocks, self.visit)

    def _section(self, level: int) -> str:
        self.counters[level - 1] += 1
        for k in range(level, len(self.counters)):
            self.counters[k] = 0
        return ".".join([self.ch.number or ""] + [str(self.counters[k]) for k in range(1, level)])

    def _float(self, kind: str, count: int, b: dict) -> None:
        num = f"{self.ch.number}.{count}" if self.ch.number else str(count)
        text = f"{XREF_LABELS[kind]}{NBSP}{num}"
        self.register(b["c"][0][0], Label(kind, num, self.index, text), self.ch)
        _prefix_caption(b["c"][1], text)

    def visit(self, b: dict) -> None:
        ch, t = self.ch, b["t"]
        if t == "Header":
            level, a, inlines = b["c"]
            if b is self.h1:
                num = ch.number
                text = (f"{APPENDIX_LABEL if ch.spec.appendix else CHAPTER_LABEL}{NBSP}{num}"
                        if num else stringify(inlines))
            elif level == 1 or "unnumbered" in a[1] or not ch.number or level > self.depth:
                num, text = None, stringify(inlines)
            else:
                num = self._section(level)
                text = f"{XREF_LABELS['sec']}{NBSP}{num}"
                a[2] = [*a[2], ["data-number", num]]
            if a[0].startswith("sec-"):
                self.register(a[0], Label("sec", num, self.index, text, level), ch)
        elif t == "Figure" and b["c"][0][0].startswith("fig-"):
            self.n_fig += 1
            self._float("fig", self.n_fig, b)
        elif t == "Table" and b["c"][0][0].startswith("tbl-"):
            self.n_tbl += 1
            self._float("tbl", self.n_tbl, b)


def _prefix_caption(caption: list, label: str) -> None:
    """Put « Figure 7.2 : » before a figure or table caption."""
    blocks = caption[1]
    prefix = [{"t": "Strong", "c": [Str(label)]}, Str(f"{NBSP}:"), SPACE]
    if blocks and blocks[0]["t"] in ("Plain", "Para"):
        blocks[0]["c"] = prefix + blocks[0]["c"]
    else:
        blocks.insert(0, Plain(prefix[:1]))


# --------------------------------------------------------------------------- cross-references


def resolve_crossrefs(chapters: list[Chapter], labels: dict[str, Label], book: Book) -> None:
    """Replace ``@fig-x``/``@tbl-x``/``@sec-x`` citations by links labelled like Quarto's."""

    for ch in chapters:
        def fn(el: dict, _ch: Chapter = ch) -> dict | None:
            if el["t"] != "Cite":
                return None
            cites = el["c"][0]
            ids = [c["citationId"] for c in cites]
            if not any(_is_xref(i) for i in ids):
                return None
            out: list = []
            for k, c in enumerate(cites):
                ident = c["citationId"]
                if ident not in labels:
                    raise RenderError(f"renvoi introuvable « @{ident} » ({_locate('@' + ident, _ch, book.root)}) :"
                                      " aucun élément ne porte cet identifiant")
                lab = labels[ident]
                text = lab.text
                if c["citationMode"]["t"] == "SuppressAuthor" and lab.number:
                    text = lab.number
                if k:
                    out += [Str(" et" if k == len(cites) - 1 else ","), SPACE]
                if c["citationPrefix"]:
                    out += [*c["citationPrefix"], SPACE]
                out.append(Link([Str(text)], "#" + ident, attr("", ["quarto-xref"])))
                if c["citationSuffix"]:
                    out += c["citationSuffix"]
            return Span(attr(), out)

        ch.blocks = walk(ch.blocks, fn)


def _is_xref(ident: str) -> bool:
    return ident.split("-", 1)[0] in XREF_LABELS and "-" in ident


# --------------------------------------------------------------------------- citations


_MISSING_CITE = re.compile(r"Citeproc: citation (\S+) not found")


def apply_citeproc(chapters: list[Chapter], book: Book, memo: list | None = None) -> None:
    """Run citeproc once over the whole book (citations everywhere, list in ``#refs``).

    ``memo`` (a list) receives, per chapter, what citeproc was given from it and what it made of
    it (:func:`citations_of`, :func:`put_citations`)."""
    if memo is not None:
        memo.clear()
    has_cites = []
    for ch in chapters:
        each(ch.blocks, lambda el, _h=has_cites: _h.append(1) if el["t"] == "Cite" else None)
    if not has_cites:
        if memo is not None:
            memo += [("[[], []]", "[[], []]") for _ in chapters]
        return
    if book.bibliography is None or not book.bibliography.exists():
        raise RenderError(f"bibliographie introuvable « {book.bibliography} » (_quarto.yml : bibliography)")
    # citeproc sees only the citations, in book order, and the bibliography's place: what it
    # prints does not depend on the text around them, and the result is cached by pandoc_ast
    # until a citation changes (editing a sentence does not run citeproc again)
    cites: list[dict] = []
    refs: list[dict] = []
    touched: set[int] = set()  # chapters with a citation or the bibliography

    for i, ch in enumerate(chapters):
        def grab(el: dict, _i: int = i) -> dict | None:
            if el["t"] == "Cite":
                cites.append(el)
            elif el["t"] == "Div" and el["c"][0][0] == "refs":
                refs.append(el)
            else:
                return None
            touched.add(_i)
            return el

        walk(ch.blocks, grab)
    blocks = [Plain([c]) for c in cites] + refs
    meta = {
        "lang": {"t": "MetaString", "c": "fr-FR"},
        "link-citations": {"t": "MetaBool", "c": True},
        "bibliography": {"t": "MetaString", "c": str(book.bibliography)},
    }
    if book.csl:
        if not book.csl.exists():
            raise RenderError(f"style de citation introuvable « {_rel(book.csl, book.root)} » (_quarto.yml : csl)")
        meta["csl"] = {"t": "MetaString", "c": str(book.csl)}
    doc = {"pandoc-api-version": _api_version(), "meta": meta, "blocks": blocks}
    out, err = run_pandoc(["-f", "json", "-t", "json", "--citeproc"], json.dumps(doc))
    missing = _MISSING_CITE.findall(err)
    if missing:
        key = missing[0]
        where = next((_locate("@" + key, ch, book.root) for ch in chapters
                      if any("@" + key in f.read_text(encoding="utf-8") for f in ch.files)), "?")
        raise RenderError(f"référence bibliographique inconnue « @{key} » ({where}) :"
                          f" absente de {_rel(book.bibliography, book.root)}")
    result = json.loads(out)["blocks"]
    if memo is not None:
        n_cites = n_refs = 0
        for ch in chapters:
            mine_c, mine_r = citations_of(ch)
            memo.append((json.dumps([mine_c, mine_r]),
                         json.dumps([[b["c"][0] for b in result[n_cites: n_cites + len(mine_c)]],
                                     result[len(cites) + n_refs: len(cites) + n_refs + len(mine_r)]])))
            n_cites += len(mine_c)
            n_refs += len(mine_r)
    # the bibliography may come before later citations
    put = _putter([b["c"][0] for b in result[: len(cites)]], result[len(cites):])
    for i, ch in enumerate(chapters):
        if i in touched:
            ch.blocks = walk(ch.blocks, put)


def citations_of(ch: Chapter) -> tuple[list[dict], list[dict]]:
    """The citations and bibliography places of a chapter, in the order citeproc is given them."""
    cites: list[dict] = []
    refs: list[dict] = []

    def grab(el: dict) -> dict | None:
        if el["t"] == "Cite":
            cites.append(el)
        elif el["t"] == "Div" and el["c"][0][0] == "refs":
            refs.append(el)
        else:
            return None
        return el

    walk(ch.blocks, grab)
    return cites, refs


def put_citations(ch: Chapter, done: str) -> None:
    """Put in a chapter what citeproc made of its citations (``done``: recorded by :func:`apply_citeproc`)."""
    cites, refs = json.loads(done)
    if not cites and not refs:
        return
    ch.blocks = walk(ch.blocks, _putter(cites, refs))


def _putter(cites: list, refs: list):
    """A walk function putting citeproc's citations and bibliography places back, in order."""
    done_cites, done_refs = iter(cites), iter(refs)

    def put(el: dict) -> dict | None:
        if el["t"] == "Cite":
            return _rendered_cite(next(done_cites))
        if el["t"] == "Div" and el["c"][0][0] == "refs":
            div = next(done_refs)
            _french_punctuation_in_refs([div])
            return div
        return None

    return put


def _rendered_cite(el: dict) -> dict | None:
    """A citation formatted by citeproc becomes a plain span (the typst writer would re-cite it)."""
    if el["t"] != "Cite":
        return None
    keys = " ".join(c["citationId"] for c in el["c"][0])
    return Span(attr("", ["citation"], [["cites", keys]]), walk(el["c"][1], _rendered_cite))


def _french_punctuation_in_refs(blocks: list) -> None:
    """French spacing in the bibliography: « Titre : sous-titre » (pandoc joins title and subtitle with ': ')."""

    def fix(el: dict) -> dict | None:
        if el["t"] == "Div" and el["c"][0][0] == "refs":
            def punct(x: dict) -> dict | None:
                if x["t"] == "Str" and re.search(r"[^\s\u00a0\u202f][:;!?]$", x["c"]) and "://" not in x["c"]:
                    x["c"] = x["c"][:-1] + NBSP + x["c"][-1]
                return None

            walk(el["c"][1], punct)
            return el
        return None

    walk(blocks, fix)
