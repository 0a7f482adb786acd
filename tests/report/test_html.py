"""The web book: chapters in order with previous/next links, images with alt text, search index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from render_helpers import FIGURES, chapter_titles, plain, squash


def test_every_chapter_in_order_in_html(rendered):
    book, _ = rendered
    cfg = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    sources = cfg["book"]["chapters"] + cfg["book"]["appendices"]
    titles = chapter_titles(book)
    out = book / "_book"
    index = (out / "index.html").read_text(encoding="utf-8")
    sidebar = squash(plain(index.split('<nav id="sidebar"', 1)[1].split("</nav>", 1)[0]))
    pos = [sidebar.find(squash(t)) for t in titles]
    assert all(p >= 0 for p in pos), [t for t, p in zip(titles, pos, strict=True) if p < 0]
    assert pos == sorted(pos)
    for src, title in zip(sources, titles, strict=True):
        page = out / (str(Path(src).with_suffix(".html")))
        assert page.exists(), page
        assert squash(title) in squash(plain(page.read_text(encoding="utf-8")))
    # previous / next links chain the pages in the same order
    second = (out / Path(sources[1]).with_suffix(".html")).read_text(encoding="utf-8")
    assert 'rel="prev" href="../index.html"' in second
    assert f'rel="next" href="{Path(sources[2]).name.replace(".qmd", ".html")}"' in second


def test_images_exist_and_have_alt_text(rendered):
    book, _ = rendered
    out = book / "_book"
    n = 0
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<img [^>]*>", html):
            src = re.search(r'src="([^"]+)"', tag).group(1)
            alt = re.search(r'alt="([^"]*)"', tag)
            assert (page.parent / src).resolve().is_file(), (page, src)
            assert src.endswith(".svg")
            assert alt and alt.group(1).strip(), (page, tag)
            n += 1
    assert n >= len(FIGURES) + 1  # the run's figures and the chronology
    sat = (out / "chapters" / "09-saturation.html").read_text(encoding="utf-8")
    assert 'alt="Diagramme en barres de test saturation-issues."' in sat


def test_search_index(rendered):
    book, _ = rendered
    out = book / "_book"
    entries = json.loads((out / "search.json").read_text(encoding="utf-8"))
    urls = {e["url"].split("#")[0] for e in entries}
    assert {"index.html", "chapters/09-saturation.html", "annexes/a7-vignettes.html"} <= urls
    assert all(set(e) == {"url", "title", "chapter", "text"} for e in entries)
    js = (out / "search-index.js").read_text(encoding="utf-8")
    assert js.startswith("window.PRR_SEARCH_INDEX = ")
    assert (out / "site_libs" / "prr" / "search.js").exists()
    assert 'src="../search-index.js"' in (out / "chapters" / "09-saturation.html").read_text(encoding="utf-8")


def test_contents_toggles_are_buttons_beside_links(rendered):
    """No link inside a toggle (axe-core's nested-interactive): a button beside each chapter's link."""
    book, _ = rendered
    page = (book / "_book" / "chapters" / "07-activites.html").read_text(encoding="utf-8")
    sidebar = page.split('<nav id="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert "<summary" not in sidebar and "<details" not in sidebar
    buttons = re.findall(r"<button [^>]*>.*?</button>", sidebar)
    assert buttons and all("<a " not in b for b in buttons)
    for b in buttons:
        target = re.search(r'aria-controls="([^"]+)"', b).group(1)
        assert f'<ul id="{target}">' in sidebar
        assert re.search(r'<span class="visually-hidden">Sections de « .+ »</span>', b)
    assert 'aria-expanded="true"' in sidebar and 'aria-current="page"' in sidebar


def test_tables_scroll_in_labelled_regions_with_downloads(rendered):
    book, _ = rendered
    out = book / "_book"
    n = 0
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert html.count("<table") == html.count('class="table-scroll')
        for m in re.finditer(r'<div class="table-scroll key-[12]" tabindex="0" role="region" '
                             r'aria-labelledby="([^"]+)">', html):
            assert f'id="{m.group(1)}"' in html
            n += 1
        for href in re.findall(r'<a href="([^"]+)" download', html):
            assert (page.parent / href).resolve().is_file(), (page, href)
    assert n >= 10
    ch7 = (out / "chapters" / "07-activites.html").read_text(encoding="utf-8")
    assert 'href="../_generated/tables/activites-types.csv" download' in ch7
    assert 'href="../_generated/tables/activites-types.xlsx" download' in ch7
    assert 'href="../_generated/figures/activites-types.png" download' in ch7
    assert '<span class="visually-hidden"> (tableau 7.1)</span>' in ch7


def test_vignette_headings_never_skip_a_level(rendered):
    book, _ = rendered
    for page in (book / "_book").rglob("*.html"):
        levels = [int(x) for x in re.findall(r"<h([1-6])[ >]", page.read_text(encoding="utf-8"))]
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), page.name
