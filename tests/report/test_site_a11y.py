"""The web book of the example, in a real browser: axe-core finds no accessibility violation on any
page (at a laptop's and a phone's width), wide tables keep their key column in view and lose no
column, and the downloads beside tables and figures hold the published values only.

Chromium and chromedriver come from Debian packages, axe-core from npm (see ``browser.py``); the
browser tests are skipped, with the command to run, only where no browser is installed.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import chromium, describe, find_browser, html_pages, run_axe, set_viewport

from analysis.config import run_paths
from analysis.publish.tables import xlsx_value

pytestmark = pytest.mark.slow

WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def driver():
    if find_browser() is None:
        pytest.skip("pas de navigateur : installer Chromium et chromedriver "
                    "(apt-get install -y chromium chromium-driver) pour ces tests")
    with chromium() as d:
        yield d


@pytest.fixture(scope="module")
def axe(driver):
    from browser import axe_script

    return axe_script()


# --------------------------------------------------------------------------- accessibility


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_on_any_page(example_build, driver, axe, width):
    _, book = example_build
    pages = html_pages(book)
    assert len(pages) >= 20  # 1 + 11 chapters + references + 7 annexes
    set_viewport(driver, width)
    failures = {}
    for page in pages:
        violations = run_axe(driver, page.resolve().as_uri(), axe)
        if violations:
            failures[page.relative_to(book).as_posix()] = describe(violations)
    assert not failures, f"axe-core at {width} px:\n" + "\n".join(f"{p}:\n{d}" for p, d in failures.items())


def _tables_geometry(driver) -> list[dict]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('.table-scroll')).map(function (box) {
          var r = box.getBoundingClientRect();
          return {id: box.parentElement.id, scroll: box.scrollWidth, client: box.clientWidth,
                  left: r.left, right: r.right, tabindex: box.getAttribute('tabindex'),
                  role: box.getAttribute('role'),
                  label: (document.getElementById(box.getAttribute('aria-labelledby') || '') || {}).textContent
                         || box.getAttribute('aria-label')};
        });""")


def test_no_table_loses_a_column_on_a_laptop(example_build, driver):
    """At 1280 px every table of the chapters is shown whole (no sideways scrolling)."""
    _, book = example_build
    set_viewport(driver, 1280)
    seen = 0
    for page in html_pages(book):
        if "chapters" not in page.parts:
            continue
        driver.get(page.resolve().as_uri())
        for t in _tables_geometry(driver):
            seen += 1
            assert t["scroll"] <= t["client"] + 1, (page.name, t)
    assert seen >= 8


def test_wide_table_scrolls_with_its_key_columns_in_view_on_a_phone(example_build, driver):
    _, book = example_build
    set_viewport(driver, 375, 800)
    driver.get((book / "chapters" / "07-activites.html").resolve().as_uri())
    t = next(t for t in _tables_geometry(driver) if t["id"] == "tbl-activites-types")
    assert t["scroll"] > t["client"]  # wider than a phone: it scrolls…
    assert t["tabindex"] == "0" and t["role"] == "region" and _norm(t["label"]).startswith("Tableau 7.1 :")
    assert t["right"] <= 375  # …inside its region, not the page
    moved = driver.execute_script("""
        var box = document.querySelector('#tbl-activites-types .table-scroll');
        var row = box.querySelector('tbody tr');
        box.scrollLeft = box.scrollWidth;
        var b = box.getBoundingClientRect();
        return {keys: Array.from(row.children).slice(0, 2).map(function (c) {
                  var r = c.getBoundingClientRect(); return [c.tagName, r.left - b.left, r.right - b.left]; }),
                last: row.lastElementChild.getBoundingClientRect().right - b.right,
                scrolled: box.scrollLeft};""")
    assert moved["scrolled"] > 0
    assert moved["last"] <= 1  # the last column comes into view
    (tag1, left1, right1), (tag2, left2, _) = moved["keys"]
    assert tag1 == tag2 == "TH"  # axe and type of activity are the row's headers…
    assert abs(left1) <= 1 and abs(left2 - right1) <= 1  # …and stay at the left edge, side by side
    # no page-level sideways scrolling on a phone
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 375


def test_contents_buttons_show_and_hide_sections(example_build, driver):
    _, book = example_build
    set_viewport(driver, 1280)
    driver.get((book / "chapters" / "07-activites.html").resolve().as_uri())
    assert not driver.find_elements("css selector", "summary a, button a, a button")
    button = driver.find_element("css selector", "#sidebar li:not(.active) .toc-toggle")
    sections = driver.find_element("id", button.get_attribute("aria-controls"))
    assert button.get_attribute("aria-expanded") == "false" and not sections.is_displayed()
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and sections.is_displayed()
    button.click()
    assert not sections.is_displayed()
    active = driver.find_element("css selector", "#sidebar li.active .toc-toggle")
    assert active.get_attribute("aria-expanded") == "true"


# --------------------------------------------------------------------------- downloads


class _Page(HTMLParser):
    """Tables (cells as text), their download links, and the download links of figures."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []  # {"id", "rows", "links"}
        self.figures: list[dict] = []  # {"id", "links"}
        self._stack: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._last: dict | None = None
        self._downloads = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "table-figure" in (a.get("class") or ""):
            self._last = {"id": a.get("id"), "rows": [], "links": []}
            self.tables.append(self._last)
        elif tag == "figure":
            self._last = {"id": a.get("id"), "links": []}
            self.figures.append(self._last)
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "p" and a.get("class") == "downloads":
            self._downloads = True
        elif tag == "a" and self._downloads and self._last is not None:
            self._last["links"].append(a["href"])
        elif tag == "span" and self._cell is not None and "visually-hidden" in (a.get("class") or ""):
            pass

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._last is not None and "rows" in self._last:
                self._last["rows"].append(self._row)
            self._row = None
        elif tag == "p":
            self._downloads = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(page: Path) -> _Page:
    p = _Page()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\u00a0\u202f]", " ", text).replace("\u2019", "'").split())


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _xlsx_rows(path: Path) -> list[list]:
    from openpyxl import load_workbook

    ws = load_workbook(path).active
    return [[("" if v is None else v) for v in r] for r in ws.iter_rows(values_only=True)
            if any(v not in (None, "") for v in r)]


def test_every_table_and_figure_offers_its_published_files(example_build):
    params, book = example_build
    run_tables = run_paths(params.out)["tables"]
    run_figures = run_paths(params.out)["figures"]
    exact = {p.read_bytes() for p in (params.out / "exact").rglob("*") if p.is_file()}
    n_tables = n_from_run = n_figures = 0
    for page in html_pages(book):
        parsed = _parse(page)
        for table in parsed.tables:
            n_tables += 1
            name = table["id"].removeprefix("tbl-")
            hrefs = table["links"]
            assert [Path(h).suffix for h in hrefs] == [".csv", ".xlsx"], (page.name, table["id"], hrefs)
            files = [(page.parent / h).resolve() for h in hrefs]
            assert all(f.is_file() for f in files), files
            assert not any("exact" in h.split("/") for h in hrefs)
            csv_path, xlsx_path = files
            rows = _csv_rows(csv_path)
            # the CSV holds what the page shows, cell for cell (a code name is `code` in a published CSV)
            assert [[_norm(c).replace("`", "") for c in r] for r in rows] == \
                [[_norm(c) for c in r] for r in table["rows"]], (page.name, name)
            published = run_tables / csv_path.name
            if published.is_file():  # a table of the run: its published CSV, byte for byte
                n_from_run += 1
                assert csv_path.read_bytes() == published.read_bytes(), name
            # the workbook holds the same cells (numbers where the CSV reads as a French number)
            expected = [[xlsx_value(c)[0] for c in r] for r in rows]
            got = _xlsx_rows(xlsx_path)  # the caption on the first row, then the table
            assert got[1:] == expected, name
            assert isinstance(got[0][0], str) and len(got[0][0]) > 10 and not any(got[0][1:]), got[0]
            for f in files:
                assert f.read_bytes() not in exact, f
        for figure in parsed.figures:
            n_figures += 1
            hrefs = figure["links"]
            assert [Path(h).suffix for h in hrefs] == [".svg", ".png"], (page.name, figure["id"], hrefs)
            for h in hrefs:
                f = (page.parent / h).resolve()
                assert f.is_file(), f
                if (run_figures / f.name).is_file():
                    assert f.read_bytes() == (run_figures / f.name).read_bytes(), f.name
            assert (page.parent / hrefs[1]).resolve().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert n_tables >= 25 and n_from_run >= 12 and n_figures >= 12, (n_tables, n_from_run, n_figures)


def test_axe_finds_no_violation_on_a_new_period(new_period_build, driver, axe):
    """The book built from a generated new period (tracking and census), at both widths."""
    built = new_period_build("both")
    assert built["result"].returncode == 0, built["result"].stderr[-3000:]
    book = built["book"]
    failures = {}
    for width in WIDTHS:
        set_viewport(driver, width)
        for page in html_pages(book):
            violations = run_axe(driver, page.resolve().as_uri(), axe)
            if violations:
                failures[f"{page.relative_to(book).as_posix()} à {width} px"] = describe(violations)
    assert not failures, "axe-core:\n" + "\n".join(f"{p}:\n{d}" for p, d in failures.items())
