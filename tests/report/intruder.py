"""The intruder of issue #12: a reader who has only the rendered book and public facts, and computes.

It reads what a reader gets — every HTML page of ``_book`` (tables with their captions, image alt
texts), every SVG, the CSV/XLSX downloads, the search index, the PDF text, the files written next
to the chapters in ``report/`` (``_variables.yml``, ``_generated/``) — plus the public commune
populations and the commune → quintile / basin membership printed in the book, and tries to
recover a suppressed person count.

Written independently of :mod:`analysis.publish` on purpose: it never asks the publication code
which cell is hidden; a cell is hidden when the book prints « < T » or « n.p. » in its place.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

T = 5
NP = "n.p."
#: public reference files (commune names, referrer and gender labels, the 2022 report's printed figures)
REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")


def _month_fr(month: str) -> str:
    """``2021-09`` → ``septembre 2021`` (as the book's captions name a month)."""
    year, m = month.split("-")
    return f"{MONTHS_FR[int(m) - 1]} {year}"
HIDDEN_PRIMARY = "<"
HIDDEN_SECONDARY = "np"


def norm(text: str) -> str:
    """Text as compared by the attacker: NFC, thin/non-breaking spaces as spaces, single spaces."""
    text = unicodedata.normalize("NFC", str(text))
    text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2009", " ").replace("’", "'")
    return " ".join(text.split())


def parse_cell(text: str):
    """A published cell: an ``int``, ``"<"`` (« < T »: 0..T-1), ``"np"`` (« n.p. »), or ``None`` (not a count)."""
    t = norm(text)
    if re.fullmatch(rf"<\s*{T}", t):
        return HIDDEN_PRIMARY
    if t == NP:
        return HIDDEN_SECONDARY
    if re.fullmatch(r"\d{1,3}( \d{3})*", t):
        return int(t.replace(" ", ""))
    return None


def parse_number(text: str) -> float | None:
    """The first French decimal of a cell (``36,4 (31,5 à 41,8)`` → 36.4), or None."""
    m = re.match(r"\s*(-?\d{1,3}(?: \d{3})*(?:,\d+)?)", norm(text))
    if not m:
        return None
    return float(m.group(1).replace(" ", "").replace(",", "."))


def decimals(text: str) -> int:
    m = re.match(r"\s*-?\d[\d ]*(?:,(\d+))?", norm(text))
    return len(m.group(1)) if m and m.group(1) else 0


# --------------------------------------------------------------------------- reading the book


@dataclass
class Table:
    source: str  # file the reader read it from
    ident: str  # html id / file stem
    caption: str
    header: list[str]
    rows: list[list[str]]

    def signature(self) -> tuple:
        return (tuple(norm(h) for h in self.header), tuple(sorted(norm(r[0]) for r in self.rows if r)))


class _HtmlReader(HTMLParser):
    """Tables (caption, header, body), image alt texts and figure captions of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.alts: list[tuple[str, str]] = []  # (img src, alt)
        self.figures: list[list[str]] = []  # [img src, alt, figcaption]
        self.figcaptions: list[str] = []
        self._stack: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._caption: list[str] | None = None
        self._last_caption = ""
        self._last_id = ""
        self._depth_caption = 0
        self._fig: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("alt") is not None:
            self.alts.append((a.get("src", ""), a["alt"]))
            self.figures.append([a.get("src", ""), a["alt"], ""])
        if tag == "figcaption":
            self._fig = []
        if tag == "div" and "table-caption" in (a.get("class") or ""):
            self._caption, self._depth_caption = [], 1
        elif tag == "div" and self._caption is not None:
            self._depth_caption += 1
        if tag == "div" and "table-figure" in (a.get("class") or ""):
            self._last_id, self._last_caption = a.get("id", ""), ""
        if tag == "table":
            self._stack.append({"id": self._last_id or f"anon{len(self.tables)}", "caption": self._last_caption,
                                "head": [], "rows": []})
            self._last_id, self._last_caption = "", ""
        elif self._stack:
            if tag == "thead":
                self._in_head = True
            elif tag == "tr":
                self._row = []
            elif tag in ("td", "th"):
                self._cell = []

    def handle_endtag(self, tag):
        if tag == "figcaption" and self._fig is not None:
            self.figcaptions.append(norm("".join(self._fig)))
            if self.figures and not self.figures[-1][2]:
                self.figures[-1][2] = self.figcaptions[-1]
            self._fig = None
        if tag == "div" and self._caption is not None:
            self._depth_caption -= 1
            if self._depth_caption == 0:
                self._last_caption = norm("".join(self._caption))
                self._caption = None
        if not self._stack:
            return
        t = self._stack[-1]
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(norm("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            (t["head"] if self._in_head else t["rows"]).append(self._row)
            self._row = None
        elif tag == "table":
            self.tables.append(self._stack.pop())

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)
        if self._fig is not None:
            self._fig.append(data)


@dataclass
class Book:
    """Everything a reader of one edition holds."""

    root: Path
    tables: list[Table] = field(default_factory=list)
    alts: list[tuple[str, str, str]] = field(default_factory=list)  # (page, img src, alt)
    figcaptions: list[str] = field(default_factory=list)
    figures: dict[str, tuple[str, str]] = field(default_factory=dict)  # svg path → (alt, figcaption)
    svgs: dict[str, str] = field(default_factory=dict)
    search: list[dict] = field(default_factory=list)
    pdf_text: str = ""
    side_files: dict[str, str] = field(default_factory=dict)  # report/_variables.yml, _generated/*.md…


def _csv_table(path: Path) -> Table | None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh)]
    if not rows:
        return None
    return Table(str(path), path.stem, "", [norm(c) for c in rows[0]], [[norm(c) for c in r] for r in rows[1:]])


def _xlsx_table(path: Path) -> Table | None:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = [["" if v is None else norm(v) for v in r] for r in ws.iter_rows(values_only=True)]
    wb.close()
    rows = [r for r in rows if any(r)]
    # the caption may sit above the header: the header is the first row with as many cells as the body
    width = max((sum(1 for c in r if c) for r in rows), default=0)
    start = next((i for i, r in enumerate(rows) if sum(1 for c in r if c) >= min(width, 2)), 0)
    if not rows[start:]:
        return None
    header = rows[start]
    n = len([c for c in header if c]) or len(header)
    body = [r[:n] for r in rows[start + 1:] if len([c for c in r if c]) > 1]
    return Table(str(path), path.stem, " ".join(c for r in rows[:start] for c in r if c), header[:n], body)


def _md_caption(path: Path) -> str:
    """The caption line (``: …``) of a markdown table written next to the chapters."""
    if not path.exists():
        return ""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith(": ")]
    return norm(lines[0][2:]) if lines else ""


def read_book(book: Path, report_files: Path | None = None) -> Book:
    """Read every reader-facing file of a rendered edition."""
    b = Book(Path(book))
    for page in sorted(b.root.rglob("*.html")):
        r = _HtmlReader()
        r.feed(page.read_text(encoding="utf-8"))
        rel = str(page.relative_to(b.root))
        for t in r.tables:
            header = t["head"][-1] if t["head"] else (t["rows"][0] if t["rows"] else [])
            rows = t["rows"] if t["head"] else t["rows"][1:]
            ident = re.sub(r"^tbl-|-caption$", "", t["id"])
            b.tables.append(Table(rel, ident, t["caption"], header, rows))
        b.alts += [(rel, src, norm(alt)) for src, alt in r.alts]
        b.figcaptions += r.figcaptions
        for src, alt, cap in r.figures:
            if src.endswith(".svg"):
                b.figures[str((page.parent / src).resolve().relative_to(b.root.resolve()))] = (norm(alt), cap)
    for path in sorted(b.root.rglob("*.csv")):
        if (t := _csv_table(path)) is not None:
            b.tables.append(t)
    for path in sorted(b.root.rglob("*.xlsx")):
        if (t := _xlsx_table(path)) is not None:
            b.tables.append(t)
    for path in sorted(b.root.rglob("*.svg")):
        b.svgs[str(path.relative_to(b.root))] = path.read_text(encoding="utf-8")
    for path in sorted(b.root.rglob("search.json")):
        b.search += json.loads(path.read_text(encoding="utf-8"))
    pdfs = sorted(b.root.glob("*.pdf"))
    if pdfs:
        b.pdf_text = subprocess.run(["pdftotext", "-layout", str(pdfs[0]), "-"], capture_output=True,
                                    text=True, check=True).stdout
    if report_files is not None:
        # tables written next to the chapters, included in the book or not
        for path in sorted((Path(report_files) / "_generated").rglob("*.csv")):
            if (t := _csv_table(path)) is not None:
                t.caption = _md_caption(path.with_suffix(".md"))
                b.tables.append(t)
        for path in sorted(Path(report_files).rglob("*")):
            if path.is_file() and path.suffix in (".yml", ".md", ".csv", ".json", ".txt", ".qmd") \
                    and "_book" not in path.parts:
                b.side_files[str(path.relative_to(report_files))] = path.read_text(encoding="utf-8",
                                                                                   errors="replace")
    return b


# --------------------------------------------------------------------------- the reader's cells


def row_label(table: Table, row: list[str]) -> str:
    return norm(row[0]) if row else ""


def count_columns(table: Table) -> list[int]:
    """Columns of person counts: those where the book prints a suppression marker, or a count header."""
    named = re.compile(r"^(effectif|dénominateur|lignes lues|retenues|mises à l'écart|personnes|nombre)", re.I)
    cols = []
    for j, h in enumerate(table.header):
        vals = [parse_cell(r[j]) for r in table.rows if j < len(r)]
        marked = any(v in (HIDDEN_PRIMARY, HIDDEN_SECONDARY) for v in vals)
        if j > 0 and (marked or (named.match(norm(h)) and any(isinstance(v, int) for v in vals))):
            cols.append(j)
    return cols


def labels_of(table: Table) -> list[str]:
    """Row labels, made unique with the second column when the first repeats (``Vague 1 · Suivi``)."""
    first = [row_label(table, r) for r in table.rows]
    if len(set(first)) == len(first):
        return first
    cols = count_columns(table)
    k = max(2, min(cols) if cols else 2)
    for width in range(2, k + 1):
        labels = [" · ".join(norm(c) for c in r[:width]) for r in table.rows]
        if len(set(labels)) == len(labels):
            return labels
    return [f"{lab} #{i}" for i, lab in enumerate(labels)]


def is_total_label(label: str) -> bool:
    return bool(re.match(r"^(total|ensemble)\b", label, re.I))


class Reader:
    """The attacker's model: one variable per distinct published count, the relations the book states.

    Identical tables (the chapter's and the notebook annex's copy, the CSV and XLSX downloads) are
    one table: the reader merges them by header and row labels. A cell hidden in one copy and
    printed in another is a direct leak (:attr:`conflicts`).
    """

    def __init__(self, book: Book):
        self.book = book
        self.cells: dict[str, object] = {}  # key → int | "<" | "np"
        self.where: dict[str, list[str]] = defaultdict(list)
        self.conflicts: list[str] = []
        self.eqs: list[tuple[dict[str, float], float]] = []  # Σ coef·cell = rhs
        self.bounds_extra: list[tuple[dict[str, float], float, float]] = []  # lo ≤ Σ coef·cell ≤ hi
        #: hidden cells another publication pins by itself (the 2022 report's 0,0 %): its disclosure, not
        #: the book's; they stay in the LP (they may not help recover another cell)
        self.printed_elsewhere: set[str] = set()
        self.tables: dict[str, Table] = {}
        self._canon: dict[tuple, str] = {}
        named = [t for t in book.tables if not re.match(r"^(anon\d+|cb\d+-\d+)$", t.ident)
                 and t.source.endswith(".html")]
        for t in named + [t for t in book.tables if t not in named]:
            self._add_table(t)

    def _name(self, t: Table) -> str:
        """A named table (HTML id = download file name) is its name; a copy without a name (notebook
        annex output) is the named table with the same header and row labels."""
        sig = t.signature()
        if not re.match(r"^(anon\d+|cb\d+-\d+)$", t.ident):
            self._canon.setdefault(sig, t.ident)
            return t.ident
        return self._canon.setdefault(sig, f"{t.ident}@{t.source}")

    def key(self, table: str, label: str, col: str) -> str:
        return f"{table} | {label} | {col}"

    def _set(self, key: str, value, where: str) -> None:
        old = self.cells.get(key)
        self.where[key].append(where)
        if old is None:
            self.cells[key] = value
        elif old != value:
            if isinstance(old, int) and isinstance(value, int):
                self.conflicts.append(f"{key}: {old} ≠ {value} ({', '.join(self.where[key])})")
            elif isinstance(value, int):
                self.conflicts.append(f"{key}: hidden « {old} » in one copy, {value} in {where}")
                self.cells[key] = value
            elif isinstance(old, int):
                self.conflicts.append(f"{key}: hidden « {value} » in {where}, {old} in another copy")

    def _add_table(self, t: Table) -> None:
        cols = count_columns(t)
        if not cols or not t.rows:
            return
        name = self._name(t)
        self.tables.setdefault(name, t)
        labels = labels_of(t)
        for lab, row in zip(labels, t.rows, strict=False):
            for j in cols:
                if j < len(row) and (v := parse_cell(row[j])) is not None:
                    self._set(self.key(name, lab, norm(t.header[j])), v, f"{t.source}")

    # ------------------------------------------------------------------ relations a reader knows

    def add_sum(self, total: str, parts: list[str]) -> None:
        if total in self.cells and all(p in self.cells for p in parts):
            coefs: dict[str, float] = defaultdict(float)
            coefs[total] -= 1
            for p in parts:
                coefs[p] += 1
            self.eqs.append((dict(coefs), 0.0))

    def add_equal(self, a: str, b: str) -> None:
        if a in self.cells and b in self.cells and a != b:
            self.eqs.append(({a: 1.0, b: -1.0}, 0.0))

    def table_relations(self) -> None:
        """Total rows (« Total » = the other rows), and « Lues = retenues + écartées » columns."""
        for name, t in self.tables.items():
            labels = labels_of(t)
            cols = count_columns(t)
            for j in cols:
                col = norm(t.header[j])
                totals = [lab for lab in labels if is_total_label(lab)]
                if len(totals) == 1 and not any(re.match(r"^dont\b", lab, re.I) for lab in labels):
                    self.add_sum(self.key(name, totals[0], col),
                                 [self.key(name, lab, col) for lab in labels if lab != totals[0]])
            heads = [norm(h) for h in t.header]
            if any(re.search(r"lues = retenues \+ écartées", h, re.I) for h in heads):
                lu, ret, ec = (next(h for h in heads if re.match(p, h, re.I))
                               for p in (r"lignes lues", r"retenues", r"mises à l'écart"))
                for lab in labels:
                    self.add_sum(self.key(name, lab, lu), [self.key(name, lab, ret), self.key(name, lab, ec)])

    def population_relations(self, communes: set[str]) -> None:
        """Tables of the same population share their total: « Total » rows of the tables whose caption
        names the population, the « Retenues » of the quality annex, the volume of the methods table."""
        pops = {"users": r"usager", "pros": r"professionnel", "census": r"recensement|demandes aux SSM"}
        for pop, pat in pops.items():
            self.cells.setdefault(f"pop:{pop}", HIDDEN_SECONDARY)
            members = []
            for name, t in self.tables.items():
                if not re.search(pat, t.caption, re.I) or re.search(
                        "|".join(p for q, p in pops.items() if q != pop), t.caption, re.I):
                    continue
                totals = [lab for lab in labels_of(t) if is_total_label(lab)]
                for j in count_columns(t):
                    if norm(t.header[j]).lower().startswith("effectif") and len(totals) == 1:
                        members.append(self.key(name, totals[0], norm(t.header[j])))
                if pop != "census" and set(labels_of(t)) >= communes:  # communes + outside = everybody
                    pass
            for t in self.book.tables:
                name = self._name(t)
                heads = [norm(h) for h in t.header]
                if "Retenues" in heads:
                    lab = {"users": "usagers", "pros": "professionnels", "census": "recensement"}[pop]
                    if lab in labels_of(t):
                        members.append(self.key(name, lab, "Retenues"))
                if "Volume" in heads and "Source" in heads:
                    for r in t.rows:
                        if re.search(pat, r[0], re.I) and not re.search(r"vague", r[0], re.I):
                            m = re.match(r"(\d[\d ]*) demandes", norm(r[heads.index("Volume")]))
                            if m:
                                k = self.key(name, norm(r[0]), "Volume")
                                self._set(k, int(m.group(1).replace(" ", "")), t.source)
                                members.append(k)
            known = {self.cells[m] for m in members if isinstance(self.cells.get(m), int)}
            if len(known) <= 1:  # one population, one total (a disagreement means another population)
                for m in members:
                    self.add_equal(f"pop:{pop}", m)

    def commune_relations(self, communes: set[str]) -> None:
        """The same population by commune in two tables (two chapters) is one set of cells; a row of a
        table listing its « Communes » (a quintile, a basin) is the sum of those communes' cells."""
        def effectif(t: Table) -> str | None:
            return next((norm(t.header[j]) for j in count_columns(t)
                         if norm(t.header[j]).startswith("Effectif")), None)

        by_commune = [(n, t) for n, t in self.tables.items() if len(set(labels_of(t)) & communes) >= 10
                      and _population(t.caption) and effectif(t)]
        for a, (na, ta) in enumerate(by_commune):
            for nb, tb in by_commune[a + 1:]:
                if _population(ta.caption) == _population(tb.caption):
                    for c in set(labels_of(ta)) & set(labels_of(tb)) & communes:
                        self.add_equal(self.key(na, c, effectif(ta)), self.key(nb, c, effectif(tb)))
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            col = effectif(t)
            if "Communes" not in heads or col is None:
                continue
            pop = _population(t.caption)
            home = next(((n, u) for n, u in by_commune if _population(u.caption) == pop), None)
            if home is None:
                continue
            for lab, r in zip(labels_of(t), t.rows, strict=False):
                members = [norm(c) for c in r[heads.index("Communes")].split(",")]
                if members and set(members) <= set(labels_of(home[1])):
                    self.add_sum(self.key(name, lab, col), [self.key(home[0], c, effectif(home[1]))
                                                           for c in members])

    # ------------------------------------------------------------------ back-computing

    def derived_bounds(self) -> list[str]:
        """Rates, shares and percentages printed in the row of a count: the reader calibrates the factor
        ``count = f × value × multiplier`` on the published rows (multiplier: 1, the row's population or
        its denominator) and applies it, with the printed rounding, to the rows of hidden counts.
        Returns a description of every bound found for a hidden cell."""
        found = []
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            labels = labels_of(t)
            counts = count_columns(t)
            mults = {"1": None}
            for h in ("Population", "Dénominateur"):
                if h in heads:
                    mults[h] = heads.index(h)
            for c in counts:
                if heads[c] in ("Dénominateur",):
                    continue
                for d, h in enumerate(heads):
                    if d in counts or d == 0 or not re.search(r"taux|part|%|pour 10 000|proportion", h, re.I):
                        continue
                    for mj in mults.values():
                        ratios, rows = [], []
                        for lab, r in zip(labels, t.rows, strict=False):
                            if max(c, d) >= len(r):
                                continue
                            v, x = parse_cell(r[c]), parse_number(r[d])
                            m = 1.0 if mj is None else parse_number(r[mj])
                            rows.append((lab, r, v, x, m))
                            if isinstance(v, int) and v >= T and x and m:
                                ratios.append(v / (x * m))
                        if len(ratios) < 2:
                            continue
                        f = float(np.median(ratios))
                        if max(abs(q / f - 1) for q in ratios) > 0.06:
                            continue
                        for lab, r, v, x, m in rows:
                            if v in (HIDDEN_PRIMARY, HIDDEN_SECONDARY) and x is not None and m:
                                half = 0.5 * 10 ** -decimals(r[d])
                                lo, hi = f * (x - half) * m, f * (x + half) * m
                                key = self.key(name, lab, heads[c])
                                self.bounds_extra.append(({key: 1.0}, lo, hi))
                                found.append(f"{key}: {h} = {r[d]} → [{lo:.2f}, {hi:.2f}]")
                        break
        return found

    def interval_bounds(self) -> list[str]:
        """Interval ends printed in the row of a count (« 0,7 (0,4 à 1,2) », « 29,0 à 69,7 % »): the reader
        knows the denominator (the table's published « Total » for a share, the row's population for a
        rate per 10 000) and keeps the counts whose interval lies within the printed one, to its
        rounding: Wilson for a share (a wider interval, e.g. clustered, still contains Wilson's), exact
        Poisson for a rate (per period or per wave: 1 to 4 waves tried). Returns the bounds found."""
        found = []
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            labels = labels_of(t)
            counts = [c for c in count_columns(t) if heads[c].startswith("Effectif")]
            if len(counts) != 1:
                continue
            c = counts[0]
            pop_col = next((j for j, h in enumerate(heads) if h.startswith("Population")), None)
            totals = [(lab, r) for lab, r in zip(labels, t.rows, strict=False) if is_total_label(lab)]
            n_total = parse_cell(totals[0][1][c]) if len(totals) == 1 and c < len(totals[0][1]) else None
            for d, h in enumerate(heads):
                if d in (0, c) or not re.search(r"IC|intervalle", h):
                    continue
                rate = re.search(r"pour 10 000", h) is not None
                if rate and pop_col is None or not rate and not isinstance(n_total, int):
                    continue
                for lab, r in zip(labels, t.rows, strict=False):
                    if max(c, d) >= len(r) or is_total_label(lab):
                        continue
                    v = parse_cell(r[c])
                    if v not in (HIDDEN_PRIMARY, HIDDEN_SECONDARY):
                        continue
                    iv = parse_interval(r[d])
                    if iv is None:
                        continue
                    lo, hi, half = iv
                    if rate:
                        pop = parse_number(r[pop_col])
                        ks = set()
                        for waves in (1, 2, 3, 4):
                            m = pop * waves / 10000
                            ks |= {k for k in range(int((hi + half) * m * 3) + 10)
                                   if _poisson_within(k, m, lo, hi, half)}
                    else:
                        ks = {k for k in range(n_total + 1) if _wilson_within(k, n_total, lo, hi, half)}
                    if not ks:
                        continue
                    key = self.key(name, lab, heads[c])
                    self.bounds_extra.append(({key: 1.0}, float(min(ks)), float(max(ks))))
                    found.append(f"{key}: {h} = {r[d]} → [{min(ks)}, {max(ks)}]")
        return found

    def named_share_bounds(self, prose: list[tuple[str, str]] = ()) -> list[str]:
        """A row's share printed outside its table: « Etterbeek (17,7 %) » in the prose of the table's
        page, or a row « … Etterbeek (%) » with a percentage in another table (the audit annex's
        recomputed value, or the 2022 value it says it matches: « conforme »). With the table's
        published total as denominator, the share bounds the row's count. ``prose``: (where, text)
        of the pages. Returns the bounds found for a hidden cell."""
        found = []
        pct = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%?$")
        for name, t in self.tables.items():
            labels = labels_of(t)
            totals = [lab for lab in labels if is_total_label(lab)]
            page = Path(t.source).stem
            for j in count_columns(t):
                col = norm(t.header[j])
                n = self.cells.get(self.key(name, totals[0], col)) if len(totals) == 1 else None
                if not isinstance(n, int) or n <= 0:
                    continue
                for lab in labels:
                    key = self.key(name, lab, col)
                    if self.cells.get(key) not in (HIDDEN_PRIMARY, HIDDEN_SECONDARY) or len(lab) < 4:
                        continue
                    hits = []
                    in_prose = re.compile(re.escape(lab) + r"\s*\(\s*(\d+(?:,\d+)?)\s*%\s*\)")
                    for where, text in prose:
                        if page in where:
                            hits += [(where, m.group(1)) for m in in_prose.finditer(norm(text))]
                    row_of = re.compile(r"(^|: )" + re.escape(lab) + r"\s*\(%\)$", re.I)
                    for other in self.book.tables:
                        for r in other.rows:
                            if not r or not row_of.search(norm(r[0])):
                                continue
                            cells = [norm(c) for c in r[1:]]
                            agreed = "conforme" in cells
                            for k, c in enumerate(cells):
                                m = pct.match(c)
                                if m and ("%" in c or (k == 0 and agreed)):
                                    hits.append((other.source, m.group(1)))
                    for where, text in hits:
                        x = float(text.replace(",", "."))
                        half = 0.5 * 10 ** -(len(text.replace(",", ".").split(".")[1]) if "." in text.replace(
                            ",", ".") else 0)
                        lo, hi = (x - half) / 100 * n, (x + half) / 100 * n
                        self.bounds_extra.append(({key: 1.0}, lo, hi))
                        found.append(f"{key}: {text} % of {n} in {where} → [{lo:.2f}, {hi:.2f}]")
        return found

    def age_extreme_bounds(self, prose: list[tuple[str, str]] = ()) -> list[str]:
        """The youngest and oldest ages printed in the prose (« l'âge … de 17 à 75 ans ») with an age table:
        the bands below the youngest (above the oldest) hold nobody, the band of each extreme at least
        one person. Returns the bounds found for a hidden band."""
        found = []
        span = re.compile(r"\bde (\d+) à (\d+) ans\b")
        band = re.compile(r"^(\d+)\s*[–-]\s*(\d+) ans$|^(\d+) ans et plus$")
        for name, t in self.tables.items():
            labels = labels_of(t)
            bands = {}
            for lab in labels:
                if m := band.match(lab):
                    bands[lab] = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), 10 ** 3)
            cols = count_columns(t)
            if len(bands) < 3 or not cols:
                continue
            col = norm(t.header[cols[0]])
            for where, text in prose:
                text = norm(text)
                for m in span.finditer(text):
                    if "âge" not in text[max(0, m.start() - 80):m.start()]:  # a sentence on the persons' ages
                        continue
                    young, old = int(m.group(1)), int(m.group(2))
                    for lab, (lo, hi) in bands.items():
                        key = self.key(name, lab, col)
                        if self.cells.get(key) not in (HIDDEN_PRIMARY, HIDDEN_SECONDARY):
                            continue
                        if hi < young or lo > old:
                            self.bounds_extra.append(({key: 1.0}, 0.0, 0.0))
                            found.append(f"{key}: nobody outside {young}–{old} ({where})")
                        elif lo <= young <= hi or lo <= old <= hi:
                            self.bounds_extra.append(({key: 1.0}, 1.0, math.inf))
                            found.append(f"{key}: holds the age {young} or {old} ({where})")
        return found

    def printed_report_bounds(self, figures: Path = REFERENCE / "published_figures.yaml") -> list[str]:
        """The 2022 report in hand: when the book covers its tracking period (a caption names the months
        ``period.start`` – ``period.end`` of the printed figures), the persons are the same, and every
        figure printed about them bounds a cell of the book: the total of new demands, the share of a
        commune, of a referrer, of women (of the printed total, rounded to the nearest or truncated),
        the youngest and oldest ages (:meth:`age_extreme_bounds`). Returns the bounds found."""
        import yaml

        doc = yaml.load(Path(figures).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        start, end = doc["period"]["start"], doc["period"]["end"]
        span = f"{_month_fr(start)} – {_month_fr(end)}"
        months = "|".join(MONTHS_FR)
        spans = {m.group(0) for t in self.book.tables
                 for m in re.finditer(rf"\b(?:{months}) \d{{4}} – (?:{months}) \d{{4}}", norm(t.caption))}
        if span not in spans:
            return []
        # a book on that period only: every table of its users; else (an Évolution chapter setting another
        # period beside it) only the tables whose caption names that period
        same = spans == {span}
        u = doc["users_new_demands"]
        n = int(u["n"])
        labels: dict[str, str] = dict(u["commune_top_pct"].items())  # commune name → printed share
        refs = {r["code"]: r["label_fr"] for r in csv.DictReader(open(REFERENCE / "referrers.csv", encoding="utf-8"))}
        genders = {r["code"]: r["label_fr"] for r in csv.DictReader(open(REFERENCE / "genders.csv", encoding="utf-8"))}
        for code, printed in u["referrer_pct"].items():
            labels[norm(refs[code])] = printed
        labels[norm(genders["F"])] = u["female_pct"]
        found = []
        self.cells.setdefault("pop:users", HIDDEN_SECONDARY)
        self.bounds_extra.append(({"pop:users": 1.0}, float(n), float(n)))
        for name, t in self.tables.items():
            if _population(t.caption) != "users" or not (same or span in norm(t.caption)):
                continue
            cols = [j for j in count_columns(t) if norm(t.header[j]).startswith("Effectif")]
            for lab in labels_of(t):
                printed = next((v for k, v in labels.items() if lab == k or lab.startswith(k + " (")), None)
                if printed is None or not cols:
                    continue
                d = len(printed.split(".")[1]) if "." in printed else 0
                p, step = float(printed), 10.0 ** -d
                lo, hi = (p - step / 2) * n / 100, (p + step) * n / 100 - 1e-9  # rounded or truncated
                key = self.key(name, lab, norm(t.header[cols[0]]))
                if isinstance(self.cells.get(key), int) and not lo <= self.cells[key] <= hi:
                    continue  # the book's count contradicts the printed share: not the same persons
                self.bounds_extra.append(({key: 1.0}, lo, hi))
                if self.cells.get(key) in (HIDDEN_PRIMARY, HIDDEN_SECONDARY):
                    found.append(f"{key}: {printed} % of {n} in the 2022 report → [{lo:.2f}, {hi:.2f}]")
                    if math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < T - 1:
                        self.printed_elsewhere.add(key)
        if same:  # the age table is the period's own
            found += self.age_extreme_bounds([("rapport 2022", f"l'âge va de {u['age_min']} à {u['age_max']} ans")])
            found += self.mean_age_bounds(u["age_mean"], int(u["age_min"]), int(u["age_max"]), n)
        return found

    def census_share_bounds(self, figures: Path = REFERENCE / "published_figures.yaml") -> list[str]:
        """The 2022 report's census share in hand (« 30 % » of the demands of November 2020 – February
        2021 reoriented for lack of room), whatever the book's period: the census wave is the same
        demands. In a census table's row « Vague 1 · Réorientation contrainte …, sur toutes les demandes »
        (« Vague 1 » is that wave: ``census_waves.csv``), the count is that share of the printed
        denominator, rounded or truncated. Returns the bounds on a hidden count."""
        import yaml

        doc = yaml.load(Path(figures).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        printed = doc.get("saturation_study_2022", {}).get("constrained_reorientation_pct")
        waves = list(csv.DictReader(open(REFERENCE / "census_waves.csv", encoding="utf-8")))
        wave = next((w for w in waves if w["start"] == "2020-11"), None)
        if printed is None or wave is None:
            return []
        short = norm(wave["label_fr"].split("(")[0])
        d = len(printed.split(".")[1]) if "." in printed else 0
        p, step = float(printed), 10.0 ** -d
        found = []
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            if "Dénominateur" not in heads:
                continue
            den = heads.index("Dénominateur")
            counts = [c for c in count_columns(t) if heads[c].startswith("Effectif")]
            for lab, r in zip(labels_of(t), t.rows, strict=False):
                if not counts or not re.match(rf"^{re.escape(short)} · Réorientation contrainte\b.*sur toutes les "
                                              r"demandes$", lab):
                    continue
                n = parse_cell(r[den]) if den < len(r) else None
                if not isinstance(n, int):
                    continue
                key = self.key(name, lab, heads[counts[0]])
                lo, hi = (p - step / 2) * n / 100, (p + step) * n / 100 - 1e-9
                if isinstance(self.cells.get(key), int) and not lo <= self.cells[key] <= hi:
                    continue  # not the demands of the 2022 study
                self.bounds_extra.append(({key: 1.0}, lo, hi))
                if self.cells.get(key) in (HIDDEN_PRIMARY, HIDDEN_SECONDARY):
                    found.append(f"{key}: {printed} % of {n} in the 2022 report → [{lo:.2f}, {hi:.2f}]")
        return found

    def own_mean_age_bounds(self, prose: list[tuple[str, str]]) -> list[str]:
        """The book's own mean age (« L'âge moyen au premier contact est de 43,1 ans »), with its age table
        of the same persons: :meth:`mean_age_bounds` with the ages 0 to 120 (or the extremes the prose
        prints). Returns the constraints that involve a hidden band."""
        found = []
        for where, text in prose:
            text = norm(text)
            m = re.search(r"[âa]ge moyen au premier contact est de (\d+(?:,\d)?) ans", text, re.I)
            if not m:
                continue
            ext = re.search(r"\bde (\d+) à (\d+) ans\b", text[m.end():m.end() + 80])
            young, old = (int(ext.group(1)), int(ext.group(2))) if ext else (0, 120)
            found += [f"{where}: {f}" for f in self.mean_age_bounds(m.group(1).replace(",", "."), young, old)]
            break
        return found

    def mean_age_bounds(self, printed: str, young: int, old: int, n: int | None = None) -> list[str]:
        """A printed mean age ``m`` (rounded or truncated to its decimals) of the persons of an age table,
        all aged ``young`` to ``old``: each band ``[lo, hi]`` (clipped to those ages) puts its count
        ``n_b`` between ``lo·n_b`` and ``hi·n_b`` years, so ``Σ n_b·(lo − m_max) ≤ 0 ≤ Σ n_b·(hi − m_min)``
        (two linear constraints on the band counts; the persons of unknown age are not in the mean). An
        age table of the users (or without caption: the notebooks annex) whose printed bands hold no more
        than the ``n`` persons of the 2022 report. Returns the constraints that involve a hidden band."""
        found = []
        d = len(printed.split(".")[1]) if "." in printed else 0
        m, step = float(printed), 10.0 ** -d
        m_min, m_max = m - step / 2, m + step
        band = re.compile(r"^(\d+)\s*[–-]\s*(\d+) ans$|^(\d+) ans et plus$")
        for name, t in self.tables.items():
            if _population(t.caption) not in ("users", None):
                continue
            bands = {}
            for lab in labels_of(t):
                if mt := band.match(lab):
                    lo, hi = (int(mt.group(1)), int(mt.group(2))) if mt.group(1) else (int(mt.group(3)), old)
                    if hi >= young and lo <= old:
                        bands[lab] = (max(lo, young), min(hi, old))
            cols = count_columns(t)
            if len(bands) < 3 or not cols:
                continue
            col = norm(t.header[cols[0]])
            keys = {self.key(name, lab, col): b for lab, b in bands.items()}
            if not any(self.cells.get(k) in (HIDDEN_PRIMARY, HIDDEN_SECONDARY) for k in keys):
                continue
            if n is not None and sum(v for k in keys if isinstance(v := self.cells.get(k), int)) > n:
                continue  # more persons than the 2022 report's: not its table
            self.bounds_extra.append(({k: lo - m_max for k, (lo, _) in keys.items()}, -math.inf, 0.0))
            self.bounds_extra.append(({k: hi - m_min for k, (_, hi) in keys.items()}, 0.0, math.inf))
            found.append(f"{name}: mean age {printed} of the bands {sorted(bands)}")
        return found

    def ratio_bounds(self, prose: list[tuple[str, str]] = ()) -> list[str]:
        """Rate ratios between two income quintiles (a row's « Rapport de taux vs Q5 », the Q1/Q5 column of
        an indices table, a sentence of the prose): ``r = (c₁/p₁)/(c₅/p₅)``, i.e. ``c₁·p₅ = r·p₁·c₅``,
        with the quintiles' printed populations, becomes two linear constraints on the two counts (r to
        its rounding, and ``RATIO_SLACK`` for a model's estimate that is not the crude ratio).
        ``prose``: (where, text) of the pages. Returns the constraints on a hidden count."""
        found = []
        quint = self.quintile_tables()

        def constrain(pop: str, a: int, b: int, text: str, where: str) -> None:
            if pop not in quint or (iv := _ratio_value(text)) is None:
                return
            name, rows, col, _ = quint[pop]
            if a not in rows or b not in rows:
                return
            (la, pa, _), (lb, pb, _) = rows[a], rows[b]
            ka, kb = self.key(name, la, col), self.key(name, lb, col)
            if ka not in self.cells or kb not in self.cells:
                return
            if all(isinstance(self.cells[k], int) for k in (ka, kb)):
                return
            r, half = iv
            r_lo, r_hi = (r - half) * (1 - RATIO_SLACK), (r + half) * (1 + RATIO_SLACK)
            # c_a / p_a = r · c_b / p_b  →  c_a − r · (p_a / p_b) · c_b = 0, r in [r_lo, r_hi]
            self.bounds_extra.append(({ka: 1.0, kb: -r_hi * pa / pb}, -math.inf, 0.0))
            self.bounds_extra.append(({ka: 1.0, kb: -r_lo * pa / pb}, 0.0, math.inf))
            found.append(f"{where}: Q{a}/Q{b} = {text} → {ka} ≈ {r:g}·{pa / pb:.4f}·{kb}")

        for pop, (name, rows, _col, heads) in quint.items():
            d = next((j for j, h in enumerate(heads) if re.match(r"Rapport de taux vs Q(\d)", h)), None)
            if d is None:
                continue
            ref = int(re.match(r"Rapport de taux vs Q(\d)", heads[d]).group(1))
            for k, (_lab, _p, r) in rows.items():
                if k != ref and d < len(r):
                    constrain(pop, k, ref, r[d], name)
        for name, t in self.tables.items():  # indices: one row per population, a Q1/Q5 column
            heads = [norm(h) for h in t.header]
            d = next((j for j, h in enumerate(heads) if re.match(r"Rapport de taux Q(\d)/Q(\d)", h)), None)
            if d is None:
                continue
            a, b = (int(x) for x in re.match(r"Rapport de taux Q(\d)/Q(\d)", heads[d]).groups())
            for r in t.rows:
                if d < len(r) and not re.search(r"vague", r[0], re.I) and (pop := _population(r[0])):
                    constrain(pop, a, b, r[d], name)
        for where, text in prose:
            text = norm(text)
            for m in re.finditer(r"quintile le plus pauvre et celui du plus aisé\s*:\s*(\d+,\d+)"
                                 r"|(\d+,\d+) fois plus élevé[^.]{0,120}cinquième le plus pauvre", text):
                before = text[max(0, m.start() - 600): m.end()]
                pop = ("census" if re.search(r"recensement|services de santé mentale", before[-400:], re.I)
                       else "users" if re.search(r"usager", before, re.I) else None)
                if pop:
                    constrain(pop, 1, 5, m.group(1) or m.group(2), where)
        return found

    # ------------------------------------------------------------------ samples and orderings

    def quintile_tables(self) -> dict[str, tuple[str, dict[int, tuple[str, float, list[str]]], str, list[str]]]:
        """population → (table, {quintile k: (row label, printed population, row)}, count column, header)."""
        out = {}
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            pop_col = next((j for j, h in enumerate(heads) if h.startswith("Population")), None)
            counts = [c for c in count_columns(t) if heads[c].startswith("Effectif")]
            if not heads or heads[0] != "Quintile" or pop_col is None or len(counts) != 1:
                continue
            rows = {}
            for lab, r in zip(labels_of(t), t.rows, strict=False):
                m = re.match(r"Q(\d)", lab)
                if m and pop_col < len(r) and parse_number(r[pop_col]):
                    rows[int(m.group(1))] = (lab, parse_number(r[pop_col]), r)
            if rows and (pop := _population(t.caption)):
                out.setdefault(pop, (name, rows, heads[counts[0]], heads))
        return out

    def commune_tables(self, communes: set[str]) -> dict[str, tuple[str, dict[str, float | None], str]]:
        """population → (table, {commune: printed population or None}, count column) of the tables by
        commune of residence (the gradient's, the referrals')."""
        out = {}
        for name, t in self.tables.items():
            heads = [norm(h) for h in t.header]
            labels = labels_of(t)
            col = next((heads[j] for j in count_columns(t) if heads[j].startswith("Effectif")), None)
            if len(set(labels) & communes) < 10 or col is None or not (pop := _population(t.caption)):
                continue
            pop_col = next((j for j, h in enumerate(heads) if h.startswith("Population")), None)
            rows = {lab: (parse_number(r[pop_col]) if pop_col is not None and pop_col < len(r) else None)
                    for lab, r in zip(labels, t.rows, strict=False) if lab in communes}
            if pop not in out or pop_col is not None and out[pop][1] and None in out[pop][1].values():
                out[pop] = (name, rows, col)
        return out

    def sample_hypotheses(self, prose: list[tuple[str, str]], communes: set[str]) -> list[tuple[str, list]]:
        """A model's or an analysis's sample printed in the prose (« Modèle estimé sur 4 708 demandes de
        résident·e·s bruxellois·es », « n = 35 », « 118 demandes localisées dans une commune bruxelloise »)
        with the published tables of its population: the sample is the population's total less the rows
        it sets aside. The reader does not know which rows those are: each guess (the communes of
        Brussels; a table's rows less its « inconnu »/outside rows) is a hypothesis, kept if the book does
        not contradict it (:meth:`solve_hypotheses`). Returns (description, equations) per guess."""
        out = []
        pat = re.compile(r"(?:\bsur|\bn\s*=)\s*(\d{1,3}(?:[  ]\d{3})*|\d+)\b(?:\s+(demandes|usager|personnes|réponses))?"
                         r"|(\d{1,3}(?:[  ]\d{3})*|\d+) demandes localisées dans une commune bruxelloise"
                         r"|demandes localisées dans une commune bruxelloise\s*:\s*(\d{1,3}(?:[  ]\d{3})*|\d+)\b")
        outside = re.compile(r"inconnu|non renseign|indéterminé|hors bruxelles|flandre|wallonie|autre|étranger"
                             r"|manquant|hors calcul", re.I)
        by_commune = self.commune_tables(communes)
        for where, text in prose:
            text = norm(text)
            for m in pat.finditer(text):
                n = int(re.sub(r"\D", "", m.group(1) or m.group(3) or m.group(4)))
                if m.group(1) and not (m.group(2) or re.search(r"n\s*=", m.group(0))):
                    continue
                before = text[max(0, m.start() - 400): m.end() + 80]
                pop = ("census" if "saturation" in where or re.search(r"recensement|SSM|services de santé mentale",
                                                                       before[-300:], re.I)
                       else "users" if re.search(r"usager", before, re.I) else None)
                if pop is None:
                    continue
                brussels = bool(m.group(3) or m.group(4)) or re.search(r"bruxellois|commune bruxelloise", m.group(0) + text[
                    m.end(): m.end() + 60])
                if pop in by_commune and brussels:  # the communes of Brussels, every one of them
                    name, rows, col = by_commune[pop]
                    keys = [self.key(name, c, col) for c in rows]
                    if all(k in self.cells for k in keys):
                        out.append((f"{where}: {m.group(0)} = Σ {name} communes",
                                    [({k: 1.0 for k in keys}, float(n))]))
                for name, t in self.tables.items():  # a table of the population less its set-aside rows
                    if _population(t.caption) != pop:
                        continue
                    labels = labels_of(t)
                    kept = [lab for lab in labels if not is_total_label(lab) and not outside.search(lab)]
                    if len(kept) == len(labels) - sum(map(is_total_label, labels)) or not kept:
                        continue
                    for j in count_columns(t):
                        col = norm(t.header[j])
                        keys = [self.key(name, lab, col) for lab in kept]
                        if all(k in self.cells for k in keys) and any(
                                not isinstance(self.cells[k], int) for k in
                                [self.key(name, lab, col) for lab in labels]):
                            out.append((f"{where}: {m.group(0)} = Σ {name} less its set-aside rows ({col})",
                                        [({k: 1.0 for k in keys}, float(n))]))
        return out

    def solve_hypotheses(self, hypotheses: list[tuple[str, list]]) -> dict[str, dict[str, tuple[float, float]]]:
        """Each hypothesis's equations added to the LP in turn: description → the « < T » cells it narrows
        (a hypothesis the book contradicts is dropped, as the reader would)."""
        out = {}
        for desc, eqs in hypotheses:
            saved = list(self.eqs)
            self.eqs += eqs
            try:
                narrow = self.narrowed(self._solve(T))
            except (_Infeasible, AssertionError):
                narrow = None
            finally:
                self.eqs = saved
            if narrow is not None:
                out[desc] = narrow
        return out

    def order_bounds(self, prose: list[tuple[str, str]], communes: set[str], populations=None) -> list[str]:
        """Orders stated in the prose and alt texts become inequalities between cells:

        - « le taux diminue à chaque quintile » (rate Qk ≥ rate Qk+1), « le plus élevé est observé dans le
          quintile Qk » (rate Qk ≥ every other quintile's), with the quintile table's printed populations:
          ``c_k·p_j ≥ c_j·p_k``;
        - « Taux le plus élevé : A (x) ; le plus bas : B (y) » (a map's alt text): every commune's rate lies in
          [y, x] to the rounding, i.e. ``c_j`` within [y−½, x+½] × p_j / 10 000 × the waves (the factor the
          published rows give);
        - « les communes les plus fréquentes sont A, B, C » / « A (12,0 %), B (…) »: each named commune's count
          ≥ every other commune's.
        Returns the constraints that touch a hidden cell."""
        found = []
        quint = self.quintile_tables()
        by_commune = self.commune_tables(communes)

        def pop_of(where: str, before: str) -> str | None:
            if re.search(r"recensement|SSM|services de santé mentale|par vague", before[-400:], re.I):
                return "census"
            return "users" if re.search(r"usager", before, re.I) else None

        def ge(a: str, b: str, wa: float, wb: float, desc: str) -> None:
            """wa·a ≥ wb·b."""
            if a in self.cells and b in self.cells and not all(isinstance(self.cells[k], int) for k in (a, b)):
                self.bounds_extra.append(({a: wa, b: -wb} if a != b else {a: wa - wb}, 0.0, math.inf))
                found.append(desc)

        for where, text in prose:
            text = norm(text)
            for m in re.finditer(r"le taux diminue à chaque quintile|le plus élevé est observé dans le quintile Q(\d)",
                                 text):
                pop = pop_of(where, text[max(0, m.start() - 600): m.start()])
                if pop not in quint:
                    continue
                name, rows, col, _ = quint[pop]
                key = {k: self.key(name, lab, col) for k, (lab, _p, _r) in rows.items()}
                popn = {k: p for k, (_lab, p, _r) in rows.items()}
                if m.group(1):
                    top = int(m.group(1))
                    pairs = [(top, j) for j in rows if j != top and top in rows]
                else:
                    pairs = [(k, k + 1) for k in sorted(rows) if k + 1 in rows]
                for a, b in pairs:  # c_a / p_a ≥ c_b / p_b
                    ge(key[a], key[b], popn[b], popn[a], f"{where}: rate Q{a} ≥ rate Q{b} ({pop})")
            for m in re.finditer(r"Taux le plus élevé : ([^(;]+?) \((\d+(?:,\d+)?)\) ; le plus bas : ([^(;]+?) "
                                 r"\((\d+(?:,\d+)?)\)", text):
                pop = pop_of(where, text[max(0, m.start() - 400): m.start()])
                if pop not in by_commune:
                    continue
                name, rows, col = by_commune[pop]
                hi_v, lo_v = parse_number(m.group(2)), parse_number(m.group(4))
                half = 0.5 * 10 ** -decimals(m.group(2))
                factor = self._rate_factor(name, rows, col, populations, text[max(0, m.start() - 400): m.start()])
                if factor is None:
                    continue
                for c, p in rows.items():
                    k = self.key(name, c, col)
                    if self.cells.get(k) in (HIDDEN_PRIMARY, HIDDEN_SECONDARY) and (p or factor[1].get(c)):
                        popc = p or factor[1][c]
                        lo, hi = (lo_v - half) * popc / 10000 * factor[0], (hi_v + half) * popc / 10000 * factor[0]
                        self.bounds_extra.append(({k: 1.0}, lo, hi))
                        found.append(f"{where}: {c} rate in [{m.group(4)}, {m.group(2)}] → {k} ∈ [{lo:.2f}, {hi:.2f}]")
            for m in re.finditer(r"communes(?: de résidence)? les plus fréquentes(?: sont)?\s*:?\s*([^.;]+)", text):
                named = [c for c in communes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", m.group(1))]
                pop = pop_of(where, text[max(0, m.start() - 400): m.end()])
                if not named or pop not in by_commune:
                    continue
                name, rows, col = by_commune[pop]
                for a in named:
                    for b in rows:
                        if b not in named:
                            ge(self.key(name, a, col), self.key(name, b, col), 1.0, 1.0,
                               f"{where}: {a} ≥ {b} (les plus fréquentes)")
        return found

    def _rate_factor(self, name: str, rows: dict, col: str, populations, context: str):
        """(waves, {commune: population}) of a commune table: the printed populations, else the public ones of
        the year the context names; the waves factor (rate per wave) from the published rows."""
        pops = dict(rows)
        if any(v is None for v in pops.values()):
            year = re.search(r"\((\d{4})\)", context)
            if populations is None:
                return None
            try:
                public = populations(int(year.group(1)) if year else 2022)
            except Exception:
                return None
            pops = {c: public.get(c) for c in rows}
        t = self.tables[name]
        heads = [norm(h) for h in t.header]
        rate_col = next((j for j, h in enumerate(heads) if h.startswith("Taux")), None)
        if rate_col is None:
            return None
        factors = []
        for lab, r in zip(labels_of(t), t.rows, strict=False):
            v = self.cells.get(self.key(name, lab, col))
            rate = parse_number(r[rate_col]) if rate_col < len(r) else None
            if isinstance(v, int) and v > 0 and rate and pops.get(lab):
                factors.append(v / (rate * pops[lab] / 10000))
        if not factors:
            return None
        return float(round(float(np.median(factors)))) or 1.0, pops

    # ------------------------------------------------------------------ the LP

    def solve(self) -> dict[str, tuple[float, float]]:
        """Min and max of every hidden cell under every relation and bound (« n.p. » ≥ T, or ≥ 0 if
        the book contradicts that: a withdrawn small cell)."""
        for floor in (T, 0):
            try:
                return self._solve(floor)
            except _Infeasible:
                continue
        raise AssertionError("the published tables contradict each other even with « n.p. » ≥ 0")

    def _solve(self, floor: int) -> dict[str, tuple[float, float]]:
        hidden = sorted(k for k, v in self.cells.items() if not isinstance(v, int))
        col = {c: i for i, c in enumerate(hidden)}
        n = len(hidden)
        a_eq, b_eq, a_ub, b_ub = [], [], [], []
        for coefs, rhs in self.eqs:
            a = np.zeros(n)
            b = rhs
            for c, k in coefs.items():
                if c in col:
                    a[col[c]] += k
                else:
                    b -= k * self.cells[c]
            if np.any(a):
                a_eq.append(a)
                b_eq.append(b)
            elif abs(b) > 1e-6:
                raise AssertionError(f"published relation false: {coefs}")
        for coefs, lo, hi in self.bounds_extra:
            a = np.zeros(n)
            shift = 0.0
            for c, k in coefs.items():
                if c in col:
                    a[col[c]] += k
                else:
                    shift += k * self.cells[c]
            if np.any(a):  # one-sided constraints have an infinite end
                if math.isfinite(hi):
                    a_ub.append(a)
                    b_ub.append(hi - shift)
                if math.isfinite(lo):
                    a_ub.append(-a)
                    b_ub.append(-(lo - shift))
        bounds = [(0, T - 1) if self.cells[c] == HIDDEN_PRIMARY else (floor, None) for c in hidden]
        kw = dict(A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                  A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                  bounds=bounds, method="highs")
        # only cells touched by some relation can be narrowed: the others keep their bounds
        touched = {c for coefs, _ in self.eqs for c in coefs} | {c for coefs, _, _ in self.bounds_extra
                                                                  for c in coefs}
        if linprog(np.zeros(n), **kw).status == 2:
            raise _Infeasible()
        out = {}
        for c in hidden:
            if c not in touched:
                out[c] = bounds[col[c]]
                continue
            obj = np.zeros(n)
            obj[col[c]] = 1
            # the system is feasible: a status 2 (HiGHS's presolve: « infeasible or unbounded ») is unbounded
            lo, hi = linprog(obj, **kw), linprog(-obj, **kw)
            out[c] = (lo.fun if lo.status == 0 else -math.inf, -hi.fun if hi.status == 0 else math.inf)
        return out

    def narrowed(self, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        """« < T » cells whose feasible range is narrower than T values (integers ⌈min⌉..⌊max⌋), except those
        another publication pins by itself (:attr:`printed_elsewhere`)."""
        out = {}
        for c, (lo, hi) in ranges.items():
            if self.cells[c] != HIDDEN_PRIMARY or c in self.printed_elsewhere:
                continue
            ilo, ihi = math.ceil(lo - 1e-6), math.floor(hi + 1e-6)
            if ihi - ilo < T - 1:
                out[c] = (lo, hi)
        return out


class _Infeasible(Exception):
    pass


#: A rate ratio printed from a count model (negative binomial) is not exactly the crude ratio of the
#: two quintiles' rates: the reader allows it this relative slack (measured on the example's census:
#: model 3,52, crude 3,37, i.e. 4 %).
RATIO_SLACK = 0.10


def _ratio_value(text: str) -> tuple[float, float] | None:
    """The ratio at the start of a cell or clause (« 17,68 (2,07 à 150,83) » → 17.68) and its rounding."""
    t = norm(text)
    if not re.match(r"\s*\d+,\d+", t):
        return None
    return parse_number(t), 0.5 * 10 ** -decimals(t)


def parse_interval(text: str) -> tuple[float, float, float] | None:
    """The interval of a cell (« 0,7 (0,4 à 1,2) », « 29,0 à 69,7 % », « 2,07–150,83 »): (low, high,
    half a unit of the last printed decimal)."""
    m = re.search(r"(-?\d+(?:,\d+)?)\s*(?:à|–)\s*(-?\d+(?:,\d+)?)", norm(text))
    if not m:
        return None
    lo, hi = (float(x.replace(",", ".")) for x in m.groups())
    return lo, hi, 0.5 * 10 ** -max(decimals(m.group(1)), decimals(m.group(2)))


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    w = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return 100 * max(0.0, centre - w), 100 * min(1.0, centre + w)


def _wilson_within(k: int, n: int, lo: float, hi: float, half: float) -> bool:
    """Wilson's interval (in %) of k of n lies within the printed interval, to its rounding."""
    a, b = _wilson(k, n)
    return a >= lo - half - 1e-9 and b <= hi + half + 1e-9


def _poisson_within(k: int, m: float, lo: float, hi: float, half: float) -> bool:
    """The exact Poisson interval of k events, divided by m (population per 10 000 × waves), lies within
    the printed interval, to its rounding."""
    from scipy.stats import chi2

    a = chi2.ppf(0.025, 2 * k) / 2 if k > 0 else 0.0
    b = chi2.ppf(0.975, 2 * k + 2) / 2
    return a / m >= lo - half - 1e-9 and b / m <= hi + half + 1e-9


def _population(caption: str) -> str | None:
    c = caption.lower()
    if re.search(r"recensement|demandes aux ssm", c):
        return "census"
    if "usager" in c:
        return "users"
    if "professionnel" in c:
        return "pros"
    return None


# --------------------------------------------------------------------------- figure geometry


@dataclass
class Bar:
    x0: float
    x1: float
    y0: float
    y1: float
    hatched: bool


@dataclass
class Axes:
    xticks: list[tuple[float, str]]
    yticks: list[tuple[float, str]]
    bars: list[Bar]
    vlines: list[tuple[float, float, float]]  # error bars: (x, y0, y1)
    hlines: list[tuple[float, float, float]]  # (y, x0, x1)
    texts: list[str]

    def numeric(self, ticks) -> list[tuple[float, float]]:
        out = []
        for pos, lab in ticks:
            v = parse_number(lab) if re.fullmatch(r"[−-]?\d[\d ]*(,\d+)?( %)?", lab) else None
            if v is not None:
                out.append((pos, -v if lab.startswith("−") else v))
        return out

    def horizontal(self) -> bool:
        """Bars along x (categories on the y axis)."""
        return len(self.numeric(self.xticks)) >= 2 and len(self.numeric(self.yticks)) < 2

    def scale(self):
        """Pixel → value along the value axis (least squares on the numeric tick labels)."""
        ticks = self.numeric(self.xticks if self.horizontal() else self.yticks)
        if len(ticks) < 2:
            return None
        p, v = np.array([t[0] for t in ticks]), np.array([t[1] for t in ticks])
        a, b = np.polyfit(p, v, 1)
        return lambda px: a * px + b

    def categories(self) -> list[tuple[float, str]]:
        ticks = self.yticks if self.horizontal() else self.xticks
        return [(p, lab) for p, lab in ticks if parse_number(lab) is None or not re.fullmatch(r"[\d ,%−-]+", lab)]

    def bar_values(self) -> list[tuple[str | None, Bar, float | None]]:
        """(category, bar, value read from its geometry) for every bar."""
        f, cats, hor = self.scale(), self.categories(), self.horizontal()
        out = []
        for b in self.bars:
            centre = (b.y0 + b.y1) / 2 if hor else (b.x0 + b.x1) / 2
            cat = min(cats, key=lambda c: abs(c[0] - centre))[1] if cats else None
            if f is None:
                out.append((cat, b, None))
            elif hor:
                out.append((cat, b, f(max(b.x0, b.x1)) - f(min(b.x0, b.x1))))
            else:
                out.append((cat, b, f(min(b.y0, b.y1)) - f(max(b.y0, b.y1))))
        return out


def _comment(seg: str) -> str:
    m = re.search(r"<!-- (.*?) -->", seg, re.S)
    return norm(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) if m else ""


def _ticks(seg: str, axis: str) -> list[tuple[float, str]]:
    out = []
    starts = [m.start() for m in re.finditer(rf'<g id="{axis}tick_\d+">', seg)]
    for i, s in enumerate(starts):
        part = seg[s: starts[i + 1] if i + 1 < len(starts) else s + 4000]
        # the tick mark (a marker placed at the tick), else the grid line (a marker's own <defs> path
        # starts at 0 0 and says nothing of the position)
        m = re.search(r'<use [^>]*x="([\d.-]+)" y="([\d.-]+)"', part.split("<!--")[0]) \
            or re.search(r'<path d="M ([\d.-]+) ([\d.-]+)', re.sub(r"<defs>.*?</defs>", "", part, flags=re.S))
        if not m:
            continue
        x, y = float(m.group(1)), float(m.group(2))
        out.append((x if axis == "x" else y, _comment(part)))
    return out


def read_svg(svg: str) -> list[Axes]:
    """The axes of a matplotlib SVG: tick labels and positions, rectangles (bars), error bars, texts."""
    parts = re.split(r'<g id="axes_\d+">', svg)[1:]
    axes = []
    for seg in parts:
        bars = []
        plot = seg.split('<g id="legend_')[0]  # a legend's colour keys are no bars
        for m in re.finditer(r'<g id="patch_\d+">\s*<path d="([^"]*)"[^>]*?style="([^"]*)"', plot):
            pts = re.findall(r"([\d.-]+) ([\d.-]+)", m.group(1))
            xs = sorted({round(float(x), 3) for x, _ in pts})
            ys = sorted({round(float(y), 3) for _, y in pts})
            if len(pts) in (4, 5) and len(xs) == 2 and len(ys) == 2 and "fill: none" not in m.group(2):
                bars.append(Bar(xs[0], xs[1], ys[0], ys[1], "url(#h" in m.group(2)))
        if bars:
            bars = bars[1:]  # the axes background
        vlines, hlines = [], []
        for m in re.finditer(r'<g id="LineCollection_\d+">(.*?)</g>', seg, re.S):
            for d in re.findall(r'd="([^"]*)"', m.group(1)):
                pts = [(float(x), float(y)) for x, y in re.findall(r"([\d.-]+) ([\d.-]+)", d)]
                if len(pts) == 2 and abs(pts[0][0] - pts[1][0]) < 1e-3:
                    vlines.append((pts[0][0], pts[0][1], pts[1][1]))
                elif len(pts) == 2 and abs(pts[0][1] - pts[1][1]) < 1e-3:
                    hlines.append((pts[0][1], pts[0][0], pts[1][0]))
        texts = [_comment(m.group(0)) for m in re.finditer(r'<g id="text_\d+">\s*<!-- .*? -->', seg, re.S)]
        axes.append(Axes(_ticks(seg, "x"), _ticks(seg, "y"), bars, vlines, hlines, texts))
    return axes


def membership(reader: Reader) -> dict[str, dict[str, str]]:
    """Commune → quintile and commune → basin, as printed in a commune table (public structure)."""
    out: dict[str, dict[str, str]] = {"quintile": {}, "basin": {}}
    for t in reader.book.tables:
        heads = [norm(h) for h in t.header]
        if heads and heads[0] == "Commune":
            for kind, h in (("quintile", "Quintile de revenu"), ("basin", "Bassin")):
                if h in heads:
                    for r in t.rows:
                        out[kind][norm(r[0])] = norm(r[heads.index(h)])
    return out


def figure_rate_bounds(reader: Reader, populations) -> list[str]:
    """Bars of a rate per 10 000 by income quintile: rate × the quintile's public population is the
    quintile's count, i.e. the sum of its communes' cells in the commune table of the same population."""
    found = []
    groups = membership(reader)["quintile"]
    if not groups:
        return found
    for path, svg in reader.book.svgs.items():
        alt, cap = reader.book.figures.get(path, ("", ""))
        pop = _population(cap)
        for ax in read_svg(svg):
            label = " ".join(ax.texts) + " " + alt
            year = re.search(r"pour 10 000 habitant·e·s \((\d{4})\)", label)
            cats = {c for _, c in ax.categories()}
            if not year or not cats & {"Q1", "Q5"} or pop is None:
                continue
            popn = populations(int(year.group(1)))
            table = next((n for n, t in reader.tables.items() if _population(t.caption) == pop
                          and set(groups) <= set(labels_of(t))), None)
            if table is None:
                continue
            col = next(norm(reader.tables[table].header[j]) for j in count_columns(reader.tables[table]))
            for cat, bar, value in ax.bar_values():
                if bar.hatched or value is None or cat not in set(groups.values()):
                    continue
                members = [c for c, q in groups.items() if q == cat]
                people = sum(popn[c] for c in members) / 10000
                n = value * people
                # a bar at a value of few decimals is a rounded rate: the reader takes its rounding
                d = next((d for d in (0, 1, 2) if abs(value * 10 ** d - round(value * 10 ** d)) < 1e-4), None)
                half = 0.5 * 10 ** -d if d is not None else 0.0
                waves = next((k for k in (1, 2, 3, 4) if abs(n * k - round(n * k)) < 0.02), None)
                if waves is None and d is not None:  # the factor the published rows give (rates per wave)
                    waves = _waves_factor(reader, table, col, popn) or 1
                waves = waves or 1
                lo, hi = (value - half) * people * waves - 0.05, (value + half) * people * waves + 0.05
                keys = {reader.key(table, c, col): 1.0 for c in members}
                reader.bounds_extra.append((keys, lo, hi))
                found.append(f"{path} {cat}: rate {value:.4f} → Σ {cat} communes ∈ [{lo:.2f}, {hi:.2f}]")
    return found


def _waves_factor(reader: Reader, table: str, col: str, popn: dict[str, int]) -> int | None:
    """Counts per rate × population / 10 000 on the published rows of a commune table (2 when the rate is
    per wave of a two-wave census), rounded to an integer."""
    t = reader.tables[table]
    heads = [norm(h) for h in t.header]
    j = next((k for k, h in enumerate(heads) if h.startswith("Taux")), None)
    if j is None:
        return None
    ratios = []
    for lab, r in zip(labels_of(t), t.rows, strict=False):
        v = reader.cells.get(reader.key(table, lab, col))
        rate = parse_number(norm(r[j]).split("(")[0]) if j < len(r) and re.match(r"\d", norm(r[j])) else None
        if isinstance(v, int) and v > 0 and rate and popn.get(lab):
            ratios.append(v / (rate * popn[lab] / 10000))
    return int(round(float(np.median(ratios)))) if ratios else None
