"""The web book of the fallback: one page per chapter, sidebar contents, previous/next links, search.

Pages look like Quarto's (section numbers in ``span.header-section-number``,
captioned tables as ``div.table-figure``); ``#id`` links point at the page that
holds the id. The CSS and the search script come from ``assets/fallback``; the
search index is written as ``search.json`` and ``search-index.js`` (the same
data, loadable from ``file://``).

Accessibility (checked with axe-core by ``tests/report/test_site_a11y.py``):
the sidebar's chapters open and close with a ``button`` beside the chapter link
(no link inside a toggle); every table scrolls sideways inside a focusable,
labelled region whose key column stays in view (``th`` row headers); heading
levels never jump (a vignette's ``####`` under a ``##`` becomes ``<h3>``).

Downloads: beside each captioned table, its published CSV and XLSX (the run's
``tables/<name>.csv`` and ``.xlsx`` as copied by ``report.inputs``; a table the
report itself generates is written out cell for cell, its XLSX by
``publish.tables``); beside each figure, its SVG and PNG.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
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
    RawBlock,
    Span,
    Str,
    _api_version,
    _kv,
    attr,
    each,
    map_blocks,
    run_pandoc,
    stringify,
    walk,
)

#: Each chapter's HTML as the last render of this process made it, by the digest of everything it is
#: made from (:func:`_chapter_key`): ``prr render --watch`` renders many times in one process, and
#: after a text edit only the edited chapter is transformed, converted and laid out again.
_MEMO: dict[str, _Done] = {}
_PAGES: dict[str, str] = {}
_SEARCH: dict[str, list[dict]] = {}
#: With pristine trees (``prr render --watch``): each tree's ids and digest, by the tree (:func:`_tree_facts`).
_FACTS: dict[int, tuple] = {}


@dataclass
class _Done:
    blocks: list  # after the HTML transforms (read by the contents and the search index)
    body: str  # pandoc's HTML
    images: dict[str, Path]
    files: dict[str, Callable[[Path], None]]


def write_html(chapters: list[Chapter], book: Book, with_pdf: bool = True, pristine: bool = False) -> list[Path]:
    """The web book: one page per chapter, sidebar contents, previous/next links, search.

    With ``pristine``, the trees given are not modified (a chapter is copied before its HTML
    transforms): ``prr render --watch`` keeps them for the next render."""
    global _MEMO, _PAGES, _SEARCH
    out = book.output_dir
    for ch in chapters:
        ch.page = _page_of(ch.spec)
    global _FACTS
    facts = [_tree_facts(ch.blocks, _FACTS if pristine else None) for ch in chapters]
    if pristine:
        _FACTS = {id(ch.blocks): (ch.blocks, *f) for ch, f in zip(chapters, facts, strict=True)}
    ids: dict[str, str] = {}
    for ch, (found, _) in zip(chapters, facts, strict=True):
        for ident in found:
            ids.setdefault(ident, ch.page)

    filters = _lua_filters(book)
    context = _context_digest(book, ids, filters)
    images: dict[str, Path] = {}
    files: dict[str, Callable[[Path], None]] = {}  # project path → writes the file there
    keys = [_chapter_key(context, ch, digest) for ch, (_, digest) in zip(chapters, facts, strict=True)]
    done: dict[str, _Done] = {}
    todo: list[tuple[str, Chapter, dict, dict]] = []
    for key, ch in zip(keys, chapters, strict=True):
        if key in _MEMO:
            done[key] = _MEMO[key]
            ch.blocks = done[key].blocks
            continue
        if pristine:
            ch.blocks = json.loads(json.dumps(ch.blocks))
        refs: dict[str, ImageRef] = {}
        ch_images: dict[str, Path] = {}
        ch_files: dict[str, Callable[[Path], None]] = {}

        def on_image(el: dict, ref: ImageRef, alt: str, _page: str = ch.page, _refs=refs, _images=ch_images) -> dict:
            _images[ref.project_path] = ref.source
            el["c"][2][0] = _relurl(ref.project_path, _page)
            _refs[el["c"][2][0]] = ref
            el["c"][1] = [Str(alt)]
            return el

        _fix_images(ch, book, "html", on_image)
        _html_headers(ch)
        _html_heading_order(ch)
        _html_links(ch, ids)
        _html_figures(ch, refs, ch_images)
        _html_tables(ch, book, ch_files)
        todo.append((key, ch, ch_images, ch_files))

    def convert(ch: Chapter) -> str:
        doc = {"pandoc-api-version": _api_version(), "meta": {}, "blocks": ch.blocks}
        return run_pandoc(["-f", "json", "-t", "html5", "--wrap=none", *filters], json.dumps(doc))[0]

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        bodies = list(pool.map(convert, [ch for _, ch, _, _ in todo]))
    for (key, ch, ch_images, ch_files), body in zip(todo, bodies, strict=True):
        done[key] = _Done(ch.blocks, body, ch_images, ch_files)
    for key in keys:
        images.update(done[key].images)
        files.update(done[key].files)

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    toc = _toc_entries(chapters)
    nav = _nav_digest(context, chapters, toc, with_pdf)
    pages: dict[str, str] = {}
    for k, (key, ch) in enumerate(zip(keys, chapters, strict=True)):
        page_key = f"{key}-{nav}-{k}"
        html = _PAGES.get(page_key)
        if html is None:
            html = _page_html(book, chapters, k, done[key].body, toc, with_pdf)
        pages[page_key] = html
        path = out / ch.page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    for project_path, source in sorted(images.items()):
        dest = out / project_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    for project_path, write in sorted(files.items()):
        dest = out / project_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        write(dest)
        written.append(dest)
    written += _write_site_assets(book)
    search: dict[str, list[dict]] = {}
    written += _write_search_index(chapters, book, keys, search)
    _MEMO, _PAGES, _SEARCH = done, pages, search  # only this render's: the memory holds one book
    return written


def _context_digest(book: Book, ids: dict[str, str], filters: list[str]) -> str:
    """What every chapter's HTML depends on besides its own tree: the book's settings, which page
    holds each id, the Lua filters and the files of the report folder (figures, published
    tables and their downloads), by size and modification time; not the chapters' sources
    (their text is in the trees)."""
    stats = []
    for path in sorted(book.root.rglob("*")):
        rel = path.relative_to(book.root)
        if rel.parts[0] == "_book" or rel.parts[0].startswith(".") or path.suffix in (".qmd", ".md") \
                or not path.is_file():
            continue
        st = path.stat()
        stats.append((rel.as_posix(), st.st_size, st.st_mtime_ns))
    for f in filters:
        if Path(f).is_file():
            st = Path(f).stat()
            stats.append((f, st.st_size, st.st_mtime_ns))
    text = json.dumps([repr(book), sorted(ids.items()), filters, stats], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tree_facts(blocks: list, memo: dict | None) -> tuple[list[str], str]:
    """A chapter tree's ids (in document order) and the digest of the tree.

    ``memo`` (pristine trees only: never modified once given) holds them by the tree itself,
    from the last render: the chapters a text edit did not touch are not walked again."""
    if memo is not None:
        hit = memo.get(id(blocks))
        if hit is not None and hit[0] is blocks:
            return hit[1], hit[2]
    found: list[str] = []

    def grab(el: dict) -> None:
        a = el["c"][0] if el["t"] in ("Div", "Figure", "Table", "Span", "CodeBlock") else (
            el["c"][1] if el["t"] == "Header" else None)
        if a and isinstance(a, list) and a[0]:
            found.append(a[0])

    each(blocks, grab)
    return found, hashlib.sha256(json.dumps(blocks, ensure_ascii=False).encode("utf-8")).hexdigest()


def _chapter_key(context: str, ch: Chapter, tree: str) -> str:
    """What a chapter's HTML is made from: the context, its page and its tree (``tree``: its digest)."""
    return hashlib.sha256(json.dumps([context, ch.page, tree]).encode("utf-8")).hexdigest()


def _nav_digest(context: str, chapters: list[Chapter], toc: list[list[TocEntry]], with_pdf: bool) -> str:
    """What a page's frame depends on: every chapter's page, number, title and sections."""
    nav = [[ch.page, ch.number, ch.title_text, ch.spec.appendix,
            [[e.title, e.number, e.ident, e.level] for e in entries]] for ch, entries in zip(chapters, toc, strict=True)]
    return hashlib.sha256(json.dumps([context, nav, with_pdf], ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


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


def _html_heading_order(ch: Chapter) -> None:
    """No heading level skipped: a heading deeper than the one before plus one is raised to it.

    A vignette is written with ``####`` so that it sits under a ``###`` section;
    included under a ``##`` section it would jump a level (``h2`` → ``h4``),
    which screen-reader users navigating by headings take for a missing part.
    Only the HTML changes; the headings stay unnumbered.
    """
    last = [1]

    def fn(el: dict) -> None:
        if el["t"] == "Header":
            el["c"][0] = min(el["c"][0], last[0] + 1)
            last[0] = el["c"][0]

    each(ch.blocks, fn)


_LABEL = re.compile(r"^(Tableau|Figure)[\s\u00a0\u202f]+([A-Z]?[\d.]*\d|[A-Z])\b")


def _label(caption_inlines: list) -> str:
    """« tableau 7.1 » / « figure 9.2 » from a numbered caption, else « tableau » / « figure »."""
    m = _LABEL.match(stringify(caption_inlines))
    return f"{m[1].lower()} {m[2]}" if m else ""


def _downloads_html(links: list[tuple[str, str, str]], label: str) -> str:
    """``<p class="downloads">`` with one link per (href, format, MIME type); the link names the object."""
    what = f" ({escape(label)})" if label else ""
    items = " ".join(f'<a href="{escape(href)}" download type="{mime}">{fmt}'
                     f'<span class="visually-hidden">{what}</span></a>' for href, fmt, mime in links)
    return f'<p class="downloads"><span class="downloads-label">Télécharger</span> {items}</p>'


def _html_figures(ch: Chapter, refs: dict[str, ImageRef], images: dict[str, Path]) -> None:
    """Under each figure, links to its SVG and PNG (the published files, copied with the image)."""

    def fn(b: dict) -> list | None:
        if b["t"] != "Figure":
            return None
        found: list[str] = []
        each(b["c"][2], lambda el: found.append(el["c"][2][0]) if el["t"] == "Image" else None)
        ref = refs.get(found[0]) if found else None
        if ref is None:
            return None
        links = []
        for ext, fmt, mime in ((".svg", "SVG", "image/svg+xml"), (".png", "PNG", "image/png")):
            source = ref.source.with_suffix(ext)
            if source.is_file():
                project_path = posixpath.splitext(ref.project_path)[0] + ext
                images[project_path] = source
                links.append((_relurl(project_path, ch.page), fmt, mime))
        if not links:
            return None
        return [b, RawBlock("html", _downloads_html(links, _label(b["c"][1][1])))]

    ch.blocks = map_blocks(ch.blocks, fn)


def _cell_text(blocks: list) -> str:
    """A cell's text as printed (no-break spaces kept)."""
    parts: list[str] = []

    def fn(el: dict) -> None:
        if el["t"] == "Str":
            parts.append(el["c"])
        elif el["t"] in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif el["t"] in ("Code", "Math"):
            parts.append(el["c"][1])

    each(blocks, fn)
    return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()


def table_cells(table: dict) -> tuple[list[str], list[list[str]]]:
    """Header and body rows of a pandoc table, as text."""
    head_rows = table["c"][3][1]
    header = [_cell_text(cell[4]) for cell in head_rows[-1][1]] if head_rows else []
    rows = [[_cell_text(cell[4]) for cell in row[1]]
            for body in table["c"][4] for row in body[2] + body[3]]
    return header, rows


def _key_columns(header: list[str], rows: list[list[str]]) -> int:
    """How many first columns name a row (kept in view when the table scrolls sideways).

    One, unless the first column is a short grouping label that repeats (« Axe 1 »)
    and the second tells the rows apart: then two.
    """
    if len(header) < 3 or not rows:
        return 1
    first = [r[0] for r in rows if r]
    pairs = [tuple(r[:2]) for r in rows if len(r) > 1]
    short = sorted(map(len, first))[len(first) // 2] <= 8 and max(map(len, first)) <= 24
    if len(set(first)) < len(first) and short and len(set(pairs)) == len(pairs):
        return 2
    return 1


def _table_files(name: str, header: list[str], rows: list[list[str]], caption: str, book: Book,
                 files: dict[str, Callable[[Path], None]]) -> list[str]:
    """The CSV and XLSX a table offers; registers their writers; returns their project paths.

    A published table of the run (``_generated/tables/<name>.csv`` beside its
    ``.md``) is offered as published: its CSV copied byte for byte, its XLSX copied
    or, for a run that wrote none, made from that CSV by ``publish.tables``. A table
    the report generates (annexes, reference tables) is written out as shown.
    """
    from analysis.publish.tables import write_xlsx, xlsx_from_csv

    published = {re.sub(r"[^a-z0-9]+", "-", p.stem.lower()).strip("-"): p
                 for p in sorted((book.root / "_generated" / "tables").glob("*.csv"))}
    src_csv = published.get(name)
    base = f"_generated/tables/{src_csv.stem if src_csv else name}"
    src_xlsx = book.root / f"{base}.xlsx"
    if src_csv is not None:
        files[f"{base}.csv"] = lambda dest: shutil.copyfile(src_csv, dest)
        if src_xlsx.is_file():
            files[f"{base}.xlsx"] = lambda dest: shutil.copyfile(src_xlsx, dest)
        else:
            files[f"{base}.xlsx"] = _kept(book, ["csv", src_csv.read_text(encoding="utf-8"), caption],
                                          lambda dest: xlsx_from_csv(src_csv, dest, caption))
    else:
        def write_csv(dest: Path) -> None:
            with open(dest, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(rows)

        files[f"{base}.csv"] = write_csv
        files[f"{base}.xlsx"] = _kept(book, ["rows", header, rows, caption],
                                      lambda dest: write_xlsx(header, rows, dest, caption))
    return [f"{base}.csv", f"{base}.xlsx"]


@cache
def _xlsx_code() -> str:
    import xlsxwriter

    from analysis.publish import tables

    return hashlib.sha256(Path(tables.__file__).read_bytes() + xlsxwriter.__version__.encode()).hexdigest()


def _kept(book: Book, parts: list, write: Callable[[Path], None]) -> Callable[[Path], None]:
    """``write`` through the render cache: an XLSX made from the same cells (and the same
    ``publish.tables`` code) is copied from ``.prr-cache/files`` instead of being built again
    (building the book's XLSX files was a tenth of a second of every text edit)."""
    key = hashlib.sha256(json.dumps([_xlsx_code(), parts], ensure_ascii=False).encode("utf-8")).hexdigest()
    kept = book.root / ".prr-cache" / "files" / f"{key[:40]}.xlsx"

    def writer(dest: Path) -> None:
        if not kept.is_file():
            kept.parent.mkdir(parents=True, exist_ok=True)
            tmp = kept.with_name(f"{kept.stem}.{os.getpid()}.tmp.xlsx")
            write(tmp)
            os.replace(tmp, kept)
        shutil.copyfile(kept, dest)

    return writer


_NUMBER_RANGE = re.compile(r"\d[–\-−]\d|^[(\[].*\d.*[)\]]$")


def _keep_numbers_whole(el: dict) -> dict | None:
    """A cell's interval or bracketed figure (« (2,07–150,83) ») in ``span.nobr``: lines break around it."""
    if el["t"] == "Str" and _NUMBER_RANGE.search(el["c"]):
        return Span(attr("", ["nobr"]), [el])
    return None


def _html_tables(ch: Chapter, book: Book, files: dict[str, Callable[[Path], None]]) -> None:
    """Every table scrolls sideways in a focusable region named by its caption, key column(s) in view.

    A captioned table becomes a ``div.table-figure`` holding the caption, the
    table and its downloads (CSV, XLSX), as Quarto's ``div`` does. A ``<caption>``
    is as narrow as its table; outside, the caption takes the text's width. The
    first column(s) that name a row become row headers (``th``), which the CSS keeps
    in view while the other columns scroll (``div.table-scroll.key-1`` or ``key-2``).
    Columns take the width of their content (pandoc's relative widths are dropped).
    """
    count = [0]

    def fn(b: dict) -> list | None:
        if b["t"] != "Table":
            return None
        count[0] += 1
        ident = b["c"][0][0]
        caption = b["c"][1][1]
        header, rows = table_cells(b)
        keys = _key_columns(header, rows)
        # Widths that pandoc derives from a pipe table's dashes would squeeze the columns to equal
        # shares of the page; the browser sizes them to their content instead.
        b["c"][2] = [[spec[0], {"t": "ColWidthDefault"}] for spec in b["c"][2]]
        b["c"][4] = walk(b["c"][4], _keep_numbers_whole)
        for body in b["c"][4]:
            body[1] = keys
        scroll_cls = ["table-scroll", f"key-{keys}"]
        if not caption:
            # numbered on the page: two landmarks never share a name (axe-core « landmark-unique »)
            label = (f"Tableau {count[0]} de la page ({len(header)} colonnes, défilement horizontal)"
                     if header else f"Tableau {count[0]} de la page")
            return [Div(attr("", scroll_cls, [["tabindex", "0"], ["role", "region"], ["aria-label", label]]), [b])]
        b["c"][0][0] = ""
        b["c"][1] = [None, []]
        inlines = [x for blk in caption for x in (blk["c"] if blk["t"] in ("Plain", "Para") else [])]
        cap_id = f"{ident or f'tableau-{count[0]}'}-caption"
        blocks = [Div(attr(cap_id, ["table-caption"]), [Plain(inlines)]),
                  Div(attr("", scroll_cls, [["tabindex", "0"], ["role", "region"], ["aria-labelledby", cap_id]]), [b])]
        if ident.startswith("tbl-"):
            caption_text = stringify(inlines)
            paths = _table_files(ident.removeprefix("tbl-"), header, rows, caption_text, book, files)
            links = [(_relurl(p, ch.page), fmt, mime) for p, fmt, mime in
                     zip(paths, ("CSV", "XLSX"), ("text/csv",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), strict=True)]
            blocks.append(RawBlock("html", _downloads_html(links, _label(inlines))))
        return [Div(attr(ident, ["table-figure"]), blocks)]

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
    """The contents: one entry per chapter; a button beside the chapter's link shows its sections.

    The button is a sibling of the link (a link inside a toggle such as
    ``<summary>`` is a control inside a control, which assistive technologies
    announce badly). Without JavaScript every list of sections is shown and the
    buttons are hidden (``html.no-js``).
    """
    page = chapters[current].page
    items = []
    in_appendix = False
    for k, ch in enumerate(chapters):
        if ch.spec.appendix and not in_appendix:
            in_appendix = True
            items.append(f'<li class="toc-part">{escape(APPENDICES_TITLE)}</li>')
        aria = ' aria-current="page"' if k == current else ""
        link = _chapter_link_html(ch, page).replace("<a ", f"<a{aria} ", 1)
        subs = []
        for e in toc[k]:
            if e.level == 3 and k != current:
                continue
            num = f'<span class="header-section-number">{escape(e.number)}</span> ' if e.number else ""
            href = escape(_relurl(ch.page, page) + "#" + e.ident) if k != current else "#" + escape(e.ident)
            subs.append(f'<li class="toc-l{e.level}"><a href="{href}">{num}{escape(e.title)}</a></li>')
        cls = ["active"] if k == current else []
        if subs:
            opened = k == current
            cls.append("open" if opened else "closed")
            sub_id = f"toc-sections-{k}"
            name = (f"{ch.number} " if ch.number else "") + ch.title_text
            button = (f'<button class="toc-toggle" type="button" aria-expanded="{"true" if opened else "false"}" '
                      f'aria-controls="{sub_id}"><span class="visually-hidden">Sections de « {escape(name)} »'
                      '</span></button>')
            items.append(f'<li class="{" ".join(cls)}"><div class="toc-row">{button}{link}</div>'
                         f'<ul id="{sub_id}">{"".join(subs)}</ul></li>')
        else:
            attr_cls = f' class="{" ".join(cls)}"' if cls else ""
            items.append(f'<li{attr_cls}><div class="toc-row toc-leaf">{link}</div></li>')
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
<html lang="{escape(book.lang)}" class="no-js" data-root="{escape(root)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>document.documentElement.className = "js";</script>
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
    return [e for ch in chapters for e in _search_entries(ch)]


def _search_entries(ch: Chapter) -> list[dict]:
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
    entries = []
    for s in sections:
        s["text"] = " ".join(t for t in s["text"] if t)
        if s["text"] or s is sections[0]:
            entries.append(s)
    return entries


def _write_search_index(chapters: list[Chapter], book: Book, keys: list[str] | None = None,
                        memo: dict[str, list[dict]] | None = None) -> list[Path]:
    """``search.json`` and ``search-index.js`` (the same data, loadable from ``file://``).

    With ``keys`` (each chapter's :func:`_chapter_key`), a chapter's entries are taken from the
    last render of this process when its tree, number and title are the same; ``memo`` receives
    this render's."""
    entries: list[dict] = []
    for k, ch in enumerate(chapters):
        key = f"{keys[k]}-{ch.number}-{ch.title_text}" if keys else None
        found = _SEARCH.get(key) if key else None
        if found is None:
            found = _search_entries(ch)
        if key and memo is not None:
            memo[key] = found
        entries += found
    data = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    js = book.output_dir / "search-index.js"
    js.write_text(f"window.PRR_SEARCH_INDEX = {data};\n", encoding="utf-8")
    path = book.output_dir / "search.json"
    path.write_text(data + "\n", encoding="utf-8")
    return [path, js]
