"""The PDF of the fallback: the whole book as typst source, compiled with the typst wheel.

The template ``assets/typst/prr-book.typ`` makes the cover, contents and page
style; headings keep their computed numbers, callouts become ``#prr-callout``,
the appendices open with ``#prr-part``. Typst's root is the project, and only
bundled fonts are used.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from analysis.errors import RenderError
from analysis.report.book import APPENDICES_TITLE, Book, Chapter, ImageRef, _fix_images, _lua_filters
from analysis.report.pandoc_ast import (
    RawBlock,
    RawInline,
    Str,
    _api_version,
    _classes,
    _kv,
    each,
    map_blocks,
    run_pandoc,
    stringify,
)


def typst_string(text: str) -> str:
    """A typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _typst_headers(ch: Chapter) -> None:
    def fn(el: dict) -> None:
        if el["t"] == "Header":
            num = _kv(el["c"][1]).get("data-number")
            el["c"][1][2] = [kv for kv in el["c"][1][2] if kv[0] != "data-number"]
            if num:
                el["c"][2] = [Str(num), RawInline("typst", "#h(0.7em)"), *el["c"][2]]

    each(ch.blocks, fn)


def _typst_callouts(ch: Chapter) -> None:
    def fn(b: dict) -> list | None:
        if b["t"] != "Div" or "callout" not in _classes(b):
            return None
        kind = _kv(b["c"][0]).get("data-kind", "note")
        title_div, body_div = b["c"][1]
        title = stringify(title_div["c"][1])
        return [RawBlock("typst", f"#prr-callout(kind: {typst_string(kind)}, title: {typst_string(title)})["),
                *body_div["c"][1], RawBlock("typst", "]")]

    ch.blocks = map_blocks(ch.blocks, fn)


#: A ``::: {.keep-with-next}`` block stays on the page of what follows it (a table's lead-in sentence
#: under a heading: without it, the heading and one line could be left at the bottom of a page).
KEEP_WITH_NEXT = "keep-with-next"


def _typst_keep_with_next(ch: Chapter) -> None:
    def fn(b: dict) -> list | None:
        if b["t"] != "Div" or KEEP_WITH_NEXT not in _classes(b):
            return None
        return [RawBlock("typst", "#block(sticky: true)["), *b["c"][1], RawBlock("typst", "]")]

    ch.blocks = map_blocks(ch.blocks, fn)


def build_typst(chapters: list[Chapter], book: Book) -> str:
    """The typst source of the whole book (template call, then every chapter)."""
    for ch in chapters:
        def on_image(el: dict, ref: ImageRef, alt: str) -> dict:
            return RawInline("typst", f"#image({typst_string('/' + ref.project_path)}, alt: {typst_string(alt)}, "
                                      "width: 100%)")

        _fix_images(ch, book, "pdf", on_image)
        _typst_headers(ch)
        _typst_callouts(ch)
        _typst_keep_with_next(ch)
    blocks: list = []
    appendix_started = False
    for ch in chapters:
        if ch.spec.appendix and not appendix_started:
            appendix_started = True
            blocks.append(RawBlock("typst", f"#prr-part({typst_string(APPENDICES_TITLE)})"))
        blocks.extend(ch.blocks)
    targets: set[str] = set()
    each(blocks, lambda el: targets.add(el["c"][2][0][1:])
         if el["t"] == "Link" and el["c"][2][0].startswith("#") else None)
    # labels that raw typst refers to (`<vig-…>` in the vignette index's page numbers)
    each(blocks, lambda el: targets.update(re.findall(r"<([\w-]+)>", el["c"][1]))
         if el["t"] in ("RawInline", "RawBlock") and el["c"][0] == "typst" else None)

    def drop_unused_ids(el: dict) -> None:
        t = el["t"]
        a = el["c"][1] if t == "Header" else (el["c"][0] if t in ("Div", "Figure", "Table", "Span") else None)
        if a and a[0] and a[0] not in targets:
            a[0] = ""

    each(blocks, drop_unused_ids)
    doc = {"pandoc-api-version": _api_version(), "meta": {}, "blocks": blocks}
    body, _ = run_pandoc(["-f", "json", "-t", "typst", "--wrap=preserve", *_lua_filters(book)], json.dumps(doc))
    v = book.variables
    period = v.get("period") if isinstance(v.get("period"), dict) else {}
    period_text = ""
    if period.get("start_fr") and period.get("end_fr"):
        period_text = f"Données de {period['start_fr']} à {period['end_fr']}"
    args = {
        "title": typst_string(book.title),
        "subtitle": typst_string(book.subtitle),
        "author": typst_string(book.author),
        "date": typst_string(book.date),
        "period": typst_string(period_text),
        "synthetic": "true" if book.synthetic else "false",
    }
    call = ", ".join(f"{k}: {val}" for k, val in args.items())
    return (f'#import "/assets/typst/prr-book.typ": *\n#show: prr-book.with({call})\n\n{body}')


def write_pdf(chapters: list[Chapter], book: Book) -> Path:
    """Compile the book with the typst wheel (project root as typst root, bundled fonts only)."""
    import typst

    source = build_typst(chapters, book)
    out = book.output_dir
    out.mkdir(parents=True, exist_ok=True)
    typ = out / f"{book.output_file}.typ"
    pdf = out / f"{book.output_file}.pdf"
    typ.write_text(source, encoding="utf-8")
    try:
        typst.compile(str(typ), output=str(pdf), root=str(book.root), ignore_system_fonts=True)
    except Exception as exc:  # typst.TypstError carries the typst diagnostic
        first = next((line for line in str(exc).splitlines() if line.strip()), "erreur inconnue")
        raise RenderError(f"typst n'a pas pu compiler le PDF ({typ.name}) : {first}") from None
    finally:
        if not os.environ.get("PRR_KEEP_TYPST"):
            typ.unlink(missing_ok=True)
    return pdf
