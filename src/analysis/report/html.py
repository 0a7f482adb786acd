"""The web book of the fallback: one page per chapter, sidebar contents, previous/next links, search.

Pages look like Quarto's (section numbers in ``span.header-section-number``,
captioned tables as ``div.table-figure``); ``#id`` links point at the page that
holds the id. The CSS and the search script come from ``assets/fallback``; the
search index is written as ``search.json`` and ``search-index.js`` (the same
data, loadable from ``file://``).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from pathlib import Path

from analysis.errors import RenderError
from analysis.report.book import (
    APPENDICES_TITLE,
    Book,
    Chapter,
    ChapterSpec,
    ImageRef,
    _fix_images,
    _lua_filters,
)
from analysis.report.pandoc_ast import (
    NBSP,
    SPACE,
    Div,
    Plain,
    Span,
    Str,
    _api_version,
    _kv,
    attr,
    each,
    map_blocks,
    run_pandoc,
    stringify,
)


def write_html(chapters: list[Chapter], book: Book, with_pdf: bool = True) -> list[Path]:
    """The web book: one page per chapter, sidebar contents, previous/next links, search."""
    out = book.output_dir
    for ch in chapters:
        ch.page = _page_of(ch.spec)
    ids: dict[str, str] = {}
    for ch in chapters:
        def grab(el: dict, _page: str = ch.page) -> None:
            a = el["c"][0] if el["t"] in ("Div", "Figure", "Table", "Span", "CodeBlock") else (
                el["c"][1] if el["t"] == "Header" else None)
            if a and isinstance(a, list) and a[0]:
                ids.setdefault(a[0], _page)

        each(ch.blocks, grab)

    images: dict[str, Path] = {}
    for ch in chapters:
        def on_image(el: dict, ref: ImageRef, alt: str, _page: str = ch.page) -> dict:
            images[ref.project_path] = ref.source
            el["c"][2][0] = _relurl(ref.project_path, _page)
            el["c"][1] = [Str(alt)]
            return el

        _fix_images(ch, book, "html", on_image)
        _html_headers(ch)
        _html_links(ch, ids)
        _html_tables(ch)

    filters = _lua_filters(book)

    def convert(ch: Chapter) -> str:
        doc = {"pandoc-api-version": _api_version(), "meta": {}, "blocks": ch.blocks}
        return run_pandoc(["-f", "json", "-t", "html5", "--wrap=none", *filters], json.dumps(doc))[0]

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        bodies = list(pool.map(convert, chapters))

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    toc = _toc_entries(chapters)
    for k, (ch, body) in enumerate(zip(chapters, bodies, strict=True)):
        html = _page_html(book, chapters, k, body, toc, with_pdf)
        path = out / ch.page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    for project_path, source in sorted(images.items()):
        dest = out / project_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    written += _write_site_assets(book)
    written += _write_search_index(chapters, book)
    return written


def _page_of(spec: ChapterSpec) -> str:
    return posixpath.splitext(spec.source)[0] + ".html"


def _relurl(target: str, page: str) -> str:
    start = posixpath.dirname(page) or "."
    return posixpath.relpath(target, start)


def _html_headers(ch: Chapter) -> None:
    """Numbers before headings, as Quarto prints them (``<span class="header-section-number">``)."""

    def fn(el: dict) -> None:
        if el["t"] == "Header":
            num = _kv(el["c"][1]).get("data-number")
            el["c"][1][2] = [kv for kv in el["c"][1][2] if kv[0] != "data-number"]
            if num:
                el["c"][2] = [Span(attr("", ["header-section-number"]), [Str(num)]), SPACE, *el["c"][2]]

    each(ch.blocks, fn)


def _html_tables(ch: Chapter) -> None:
    """A captioned table becomes a ``div.table-figure`` holding the caption then the table (as Quarto).

    A ``<caption>`` is as narrow as its table; outside, the caption takes the
    text's width and the table can scroll sideways on small screens.
    """

    def fn(b: dict) -> list | None:
        if b["t"] != "Table" or not b["c"][1][1]:
            return None
        ident = b["c"][0][0]
        caption = b["c"][1][1]
        b["c"][0][0] = ""
        b["c"][1] = [None, []]
        inlines = [x for blk in caption for x in (blk["c"] if blk["t"] in ("Plain", "Para") else [])]
        return [Div(attr(ident, ["table-figure"]), [Div(attr("", ["table-caption"]), [Plain(inlines)]),
                                                    Div(attr("", ["table-scroll"]), [b])])]

    ch.blocks = map_blocks(ch.blocks, fn)


def _html_links(ch: Chapter, ids: dict[str, str]) -> None:
    """Point ``#id`` links at the page that holds the id; ``x.qmd`` links at ``x.html``."""

    def fn(el: dict) -> None:
        if el["t"] != "Link":
            return
        url = el["c"][2][0]
        if url.startswith("#"):
            page = ids.get(url[1:])
            if page and page != ch.page:
                el["c"][2][0] = _relurl(page, ch.page) + url
        elif not re.match(r"^[a-z]+:", url):
            base, _, frag = url.partition("#")
            if base.endswith((".qmd", ".md")):
                el["c"][2][0] = posixpath.splitext(base)[0] + ".html" + (("#" + frag) if frag else "")

    each(ch.blocks, fn)


# --------------------------------------------------------------------------- pages and navigation


@dataclass
class TocEntry:
    title: str
    number: str | None
    ident: str
    level: int


def _toc_entries(chapters: list[Chapter]) -> list[list[TocEntry]]:
    """Sections (levels 2–3) of every chapter, for the sidebar and the search index."""
    result = []
    for ch in chapters:
        entries = []
        for b in ch.blocks:
            _collect_headers(b, entries)
        result.append(entries)
    return result


def _collect_headers(b: dict, entries: list[TocEntry]) -> None:
    if b["t"] == "Header" and 2 <= b["c"][0] <= 3:
        inlines = b["c"][2]
        num = None
        if inlines and inlines[0]["t"] == "Span" and "header-section-number" in inlines[0]["c"][0][1]:
            num = stringify(inlines[0]["c"][1])
            inlines = inlines[2:]
        entries.append(TocEntry(stringify(inlines), num, b["c"][1][0], b["c"][0]))


def _chapter_link_html(ch: Chapter, page: str) -> str:
    num = f'<span class="chapter-number">{escape(ch.number)}</span> ' if ch.number else ""
    return f'<a href="{escape(_relurl(ch.page, page))}">{num}<span class="chapter-title">{escape(ch.title_text)}</span></a>'


def _sidebar_html(book: Book, chapters: list[Chapter], current: int, toc: list[list[TocEntry]]) -> str:
    page = chapters[current].page
    items = []
    in_appendix = False
    for k, ch in enumerate(chapters):
        if ch.spec.appendix and not in_appendix:
            in_appendix = True
            items.append(f'<li class="toc-part">{escape(APPENDICES_TITLE)}</li>')
        cls = ' class="active"' if k == current else ""
        aria = ' aria-current="page"' if k == current else ""
        link = _chapter_link_html(ch, page).replace("<a ", f"<a{aria} ", 1)
        subs = []
        for e in toc[k]:
            if e.level == 3 and k != current:
                continue
            num = f'<span class="header-section-number">{escape(e.number)}</span> ' if e.number else ""
            href = escape(_relurl(ch.page, page) + "#" + e.ident) if k != current else "#" + escape(e.ident)
            subs.append(f'<li class="toc-l{e.level}"><a href="{href}">{num}{escape(e.title)}</a></li>')
        if subs:
            opened = " open" if k == current else ""
            items.append(f'<li{cls}><details{opened}><summary>{link}</summary><ul>{"".join(subs)}</ul></details></li>')
        else:
            items.append(f'<li{cls}><div class="toc-leaf">{link}</div></li>')
    return '<ul class="toc">' + "\n".join(items) + "</ul>"


def _page_html(book: Book, chapters: list[Chapter], k: int, body: str, toc: list[list[TocEntry]],
               with_pdf: bool) -> str:
    ch = chapters[k]
    page = ch.page
    root = _relurl("index.html", page)[: -len("index.html")] or "./"
    number = f"{ch.number}{NBSP}{NBSP}" if ch.number else ""
    title = f"{number}{ch.title_text} – {book.title}"
    css = "".join(f'<link rel="stylesheet" href="{escape(root + c)}">\n' for c in
                  [*book.css, "site_libs/prr/book.css"])
    title_block = ""
    if k == 0:
        parts = [f'<p class="book-title">{escape(book.title)}</p>']
        if book.subtitle:
            parts.append(f'<p class="book-subtitle">{escape(book.subtitle)}</p>')
        meta = " · ".join(escape(x) for x in (book.author, book.date) if x)
        if meta:
            parts.append(f'<p class="book-meta">{meta}</p>')
        title_block = '<header class="title-block">' + "".join(parts) + "</header>\n"
    nav = []
    if k > 0:
        nav.append(f'<a class="prev" rel="prev" href="{escape(_relurl(chapters[k - 1].page, page))}">'
                   f'<span class="dir">← Précédent</span>{_nav_title(chapters[k - 1])}</a>')
    if k + 1 < len(chapters):
        nav.append(f'<a class="next" rel="next" href="{escape(_relurl(chapters[k + 1].page, page))}">'
                   f'<span class="dir">Suivant →</span>{_nav_title(chapters[k + 1])}</a>')
    pdf = ""
    if with_pdf:
        pdf = (f'<a class="pdf-link" href="{escape(root + book.output_file)}.pdf" '
               'title="Télécharger le rapport en PDF">PDF</a>')
    return f"""<!DOCTYPE html>
<html lang="{escape(book.lang)}" data-root="{escape(root)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="prr-report (pandoc + typst)">
<title>{escape(title)}</title>
{css}</head>
<body>
<a class="skip-link" href="#content">Aller au contenu</a>
<header class="topbar">
<button class="nav-toggle" type="button" aria-controls="sidebar" aria-expanded="false">☰ <span>Sommaire</span></button>
<a class="topbar-title" href="{escape(root)}index.html">{escape(book.title)}</a>
{pdf}
</header>
<div class="layout">
<nav id="sidebar" class="sidebar" aria-label="Table des matières">
<div class="search">
<label for="search-input" class="visually-hidden">Rechercher dans le rapport</label>
<input id="search-input" type="search" placeholder="Rechercher…" autocomplete="off">
<div id="search-results" class="search-results" aria-live="polite"></div>
</div>
{_sidebar_html(book, chapters, k, toc)}
</nav>
<main id="content" class="content">
{title_block}{body}
<nav class="page-nav" aria-label="Chapitres précédent et suivant">
{"".join(nav)}
</nav>
</main>
</div>
<script src="{escape(root)}search-index.js"></script>
<script src="{escape(root)}site_libs/prr/search.js"></script>
</body>
</html>
"""


def _nav_title(ch: Chapter) -> str:
    num = f'<span class="chapter-number">{escape(ch.number)}</span> ' if ch.number else ""
    return f'<span class="nav-title">{num}{escape(ch.title_text)}</span>'


def _write_site_assets(book: Book) -> list[Path]:
    """Copy the book's CSS and the fallback's own CSS/JS into the output."""
    out = book.output_dir
    written = []
    for c in book.css:
        src = book.root / c
        if not src.is_file():
            raise RenderError(f"feuille de style introuvable « {c} » (_quarto.yml : format.html.css)")
        dest = out / c
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written.append(dest)
    assets = book.root / "assets" / "fallback"
    for name in ("book.css", "search.js"):
        src = assets / name
        if not src.is_file():
            raise RenderError(f"fichier du rendu de secours introuvable « assets/fallback/{name} »")
        dest = out / "site_libs" / "prr" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written.append(dest)
    return written


# --------------------------------------------------------------------------- search


def build_search_index(chapters: list[Chapter]) -> list[dict]:
    """One entry per chapter section: page URL with anchor, titles and plain text."""
    entries: list[dict] = []
    for ch in chapters:
        chap = (f"{ch.number} " if ch.number else "") + ch.title_text
        current = {"url": ch.page, "title": chap, "chapter": chap, "text": []}
        sections = [current]
        for b in ch.blocks:
            if b["t"] == "Header" and 2 <= b["c"][0] <= 3:
                current = {"url": f"{ch.page}#{b['c'][1][0]}", "title": stringify(b["c"][2]),
                           "chapter": chap, "text": []}
                sections.append(current)
            elif b["t"] != "Header" or b["c"][0] > 1:
                current["text"].append(stringify(b))
        for s in sections:
            s["text"] = " ".join(t for t in s["text"] if t)
            if s["text"] or s is sections[0]:
                entries.append(s)
    return entries


def _write_search_index(chapters: list[Chapter], book: Book) -> list[Path]:
    """``search.json`` and ``search-index.js`` (the same data, loadable from ``file://``)."""
    entries = build_search_index(chapters)
    data = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    js = book.output_dir / "search-index.js"
    js.write_text(f"window.PRR_SEARCH_INDEX = {data};\n", encoding="utf-8")
    path = book.output_dir / "search.json"
    path.write_text(data + "\n", encoding="utf-8")
    return [path, js]
