"""The publication check: what a reviewer looks for on the printed PDF, done by a program.

:func:`check_publication` reads a rendered PDF's own text positions (poppler's
``pdftotext -bbox-layout``: one box per line of text, figures' labels
included) and its bookmarks (pypdf: every heading's page and height), and
lists what would embarrass the edition in print:

- text outside the page box, and lines of text printed over each other;
- pages less than a fifth full, except the last page of a chapter (or part);
- a heading, or a table's caption, left alone at the bottom of a page;
- internal notes or placeholders left for authors (« à vérifier », « TODO »,
  ``manifest.json``, « Sortie : », file paths…);
- raw markup or escapes (``{\\```, ``**``, ``{{<``, unresolved ``@fig-…``);
- a figure or table that is numbered but never cited in the text, or a gap in
  the numbering (a figure or table that lost its caption);
- confidence intervals written in more than one style (the house style is
  « 26,4 à 29,9 »).

It works on any rendered edition (the example, or a new period), so it can run
after each ``prr build``. It needs ``pdftotext`` (Debian/Ubuntu:
``poppler-utils``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import InputError

#: Wording that only makes sense to the authors: notes to self, placeholders, machinery.
INTERNAL_WORDING: dict[str, str] = {
    r"\bà (?:vérifier|confirmer|compléter|préciser)\b(?!\s+(?:que|qu['’]|si|l['’]|la|le|les|leur|leurs|comment|où|auprès|avec|par))":
        "note interne « à vérifier »",
    r"reconstitu[ée]": "note interne « reconstitué »",
    r"\bTODO\b|\bFIXME\b|\bXXX\b": "marque de travail (TODO/FIXME)",
    r"\bprovisoire\b": "mention « provisoire »",
    r"manifest\.json|\bmanifeste du run\b": "fichier interne (manifest.json)",
    r"\bSortie\s*:": "sortie de carnet nommée au lieu d'être montrée (« Sortie : »)",
    r"\bruns?\b": "jargon interne « run »",
    r"\bipynb\b": "jargon interne des carnets",
    r"\blorem ipsum\b": "texte de remplissage",
    # files of the machinery (a workbook a service sent may be named in the data-quality annex)
    r"(?<![\w/])(?:\./|<run>/)?(?:[\w.-]+/)*[\w.-]+\.(?:parquet|ipynb|py|qmd|typ|ya?ml)\b":
        "fichier interne",
    r"(?<![\w/])(?:\./|<run>/)?(?:data|src|report|notebooks|tests|processed|clean|exact|tables|figures)/[\w./-]+":
        "chemin de fichier",
    r"(?:/work/|/home/|/tmp/|[A-Z]:\\\\)\S+": "chemin absolu",
    r"\bdata/(?:raw|processed|reference)\b": "chemin de dossier interne",
}

#: Markup that should have been interpreted, not printed.
RAW_MARKUP: dict[str, str] = {
    r"\{\\": "échappement BibTeX/LaTeX « {\\ »",
    r"\\['`^\"~]": "accent LaTeX échappé",
    r"\\[a-zA-Z]+\{": "commande LaTeX",
    r"\*\*": "gras Markdown non interprété « ** »",
    r"\{\{<|>\}\}": "code court Quarto « {{< » non interprété",
    r"(?<![\w@.])[?]?@(?:fig|tbl|sec|eq)-[\w-]+": "renvoi non résolu (@fig-…)",
    r"\?\?": "renvoi non résolu (??)",
}

#: Interval styles; an edition uses exactly one of them (the house style is « à »).
INTERVAL_STYLES: dict[str, str] = {
    "tiret (26,4–29,9)": r"(?<![\d,])\d+,\d+(?:\s?%)?[–-][−-]?\d+,\d+",
    "crochets ([26,4 ; 29,9])": r"\[\s*[−-]?\d+(?:,\d+)?\s*%?\s*[;,]\s*[−-]?\d+(?:,\d+)?\s*%?\s*\]",
    "« à » (26,4 à 29,9)": r"\(\s*[−-]?\d+,\d+\s?%?\s+à\s+[−-]?\d+,\d+\s?%?\s*\)",
}

_CAPTION = re.compile(r"^(Figure|Tableau)\s+([A-Z0-9]+\.\d+)\s*:", re.M)


@dataclass(frozen=True)
class Problem:
    """One problem found on the printed edition (``page`` is the PDF page, 1-based; 0: whole document)."""

    page: int
    rule: str
    detail: str

    def __str__(self) -> str:
        where = f"page {self.page}" if self.page else "document"
        return f"{where} : {self.rule} : {self.detail}"


@dataclass(frozen=True)
class Line:
    """A line of text and its box, in points from the page's top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


@dataclass(frozen=True)
class Heading:
    level: int
    page: int
    top: float  # from the page's top, in points
    title: str


def read_pages(pdf: Path) -> list[Page]:
    """Every page's lines of text with their boxes (``pdftotext -bbox-layout``)."""
    exe = shutil.which("pdftotext")
    if not exe:
        raise InputError("pdftotext est introuvable : installez poppler-utils pour vérifier le PDF")
    out = subprocess.run([exe, "-bbox-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out)
    root = ET.fromstring(out)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = []
    for k, pg in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        page = Page(k, float(pg.get("width")), float(pg.get("height")))
        for line in pg.iterfind(".//h:line", ns):
            words = [w.text or "" for w in line.iterfind("h:word", ns)]
            text = " ".join(words).strip()
            if text:
                page.lines.append(Line(*(float(line.get(a)) for a in ("xMin", "yMin", "xMax", "yMax")), text))
        pages.append(page)
    return pages


def read_headings(pdf: Path) -> list[Heading]:
    """The PDF's bookmarks: every heading's level, page and height on the page."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    out: list[Heading] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            k = reader.get_destination_page_number(item)
            height = float(reader.pages[k].mediabox.height)
            top = item.get("/Top")
            out.append(Heading(level, k + 1, height - float(top) if top is not None else 0.0, item.title))

    walk(reader.outline, 1)
    return out


def page_text(pages: list[Page]) -> str:
    """The document's text, soft hyphens and hyphenation breaks undone."""
    text = "\n\f".join(p.text for p in pages)
    return re.sub("\u00ad\\s*", "", text)


# --------------------------------------------------------------------------- the rules


def _body(page: Page, bottom_margin: float) -> list[Line]:
    """The page's lines without its footer (page number)."""
    return [ln for ln in page.lines if ln.y0 < page.height - bottom_margin]


def check_page_box(pages: list[Page], tolerance: float = 0.5) -> list[Problem]:
    out = []
    for p in pages:
        for ln in p.lines:
            if ln.x0 < -tolerance or ln.y0 < -tolerance or ln.x1 > p.width + tolerance or ln.y1 > p.height + tolerance:
                out.append(Problem(p.number, "texte hors de la page", ln.text[:60]))
    return out


def check_overlaps(pages: list[Page], min_overlap: float = 0.6) -> list[Problem]:
    """Two lines whose boxes cross by more than ``min_overlap`` of the smaller line's height.

    Boxes of text inside figures are loose (font ascent to descent): two lines of a
    wrapped label share about half their height, text printed over text much more.
    """
    out = []
    for p in pages:
        lines = sorted(p.lines, key=lambda ln: ln.y0)
        for i, a in enumerate(lines):
            for b in lines[i + 1:]:
                if b.y0 >= a.y1:
                    break
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                if dx <= 1.0 or dy <= 0:
                    continue
                if _vertical(a) or _vertical(b):
                    # rotated text (an axis title): boxes are loose, compare areas
                    area = min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0))
                    crossed = area > 0 and dx * dy > min_overlap * area
                else:
                    h = min(a.y1 - a.y0, b.y1 - b.y0)
                    crossed = h > 0 and dy > min_overlap * h
                if crossed:
                    out.append(Problem(p.number, "lignes superposées", f"« {a.text[:40]} » / « {b.text[:40]} »"))
    return out


def _vertical(line: Line) -> bool:
    """A line of rotated text: much taller than wide for its length."""
    return len(line.text) >= 4 and (line.y1 - line.y0) > 2 * (line.x1 - line.x0)


def _chapter_ends(pages: list[Page], headings: list[Heading]) -> set[int]:
    starts = {h.page for h in headings if h.level == 1}
    ends = {s - 1 for s in starts} | {len(pages)}
    return ends


def check_fill(pages: list[Page], headings: list[Heading], min_fill: float = 0.2,
               top_margin: float = 68.0, bottom_margin: float = 60.0) -> list[Problem]:
    """Pages less than ``min_fill`` full (height from first to last line), except a chapter's last page."""
    exempt = _chapter_ends(pages, headings)
    out = []
    for p in pages:
        if p.number in exempt:
            continue
        body = _body(p, bottom_margin)
        area = p.height - top_margin - bottom_margin
        used = (max(ln.y1 for ln in body) - min(ln.y0 for ln in body)) if body else 0.0
        if used < min_fill * area:
            first = body[0].text[:50] if body else "page vide"
            out.append(Problem(p.number, "page presque vide",
                               f"{round(100 * used / area)} % de la hauteur utile (« {first} »)"))
    return out


def check_orphan_headings(pages: list[Page], headings: list[Heading], min_lines_after: int = 2,
                          bottom_margin: float = 60.0) -> list[Problem]:
    """A heading followed on its page by fewer than ``min_lines_after`` lines of text."""
    out = []
    by_number = {p.number: p for p in pages}
    for h in headings:
        p = by_number.get(h.page)
        if p is None:
            continue
        body = _body(p, bottom_margin)
        below = [ln for ln in body if ln.y0 > h.top - 2]
        if not below:
            out.append(Problem(p.number, "titre seul en bas de page", h.title[:60]))
            continue
        first = below[0]
        after = [ln for ln in below if ln.y0 >= first.y1 - 1 and ln is not first]
        # A heading wrapping on two lines: its second line is not content.
        if len(after) < min_lines_after and p.height - bottom_margin - first.y1 < 0.25 * p.height:
            out.append(Problem(p.number, "titre seul en bas de page", h.title[:60]))
    return out


def check_orphan_table_captions(pages: list[Page], bottom_margin: float = 60.0) -> list[Problem]:
    """A table's caption (printed above the table) that ends its page: the table starts overleaf."""
    out = []
    for p in pages:
        body = sorted(_body(p, bottom_margin), key=lambda ln: ln.y0)
        for i, ln in enumerate(body):
            if not re.match(r"Tableau\s+[A-Z0-9]+\.\d+\s*:", ln.text):
                continue
            # the caption's own wrapped lines follow at the line spacing (boxes about touch); the
            # table comes after a wider gap (the figure's gap plus the cells' inset)
            end, height = ln.y1, ln.y1 - ln.y0
            rest = body[i + 1:]
            while rest and rest[0].y0 - end < 0.35 * height:
                end = rest[0].y1
                rest = rest[1:]
            if not rest:
                out.append(Problem(p.number, "légende de tableau seule en bas de page", ln.text[:60]))
    return out


def _search(rules: dict[str, str], rule: str, pages: list[Page]) -> list[Problem]:
    out = []
    for p in pages:
        text = re.sub("\u00ad\\s*", "", p.text)
        for pattern, what in rules.items():
            for m in re.finditer(pattern, text, flags=re.IGNORECASE if rule != "balisage brut" else 0):
                out.append(Problem(p.number, rule, f"{what} : « {m.group(0)[:60]} »"))
    return out


def check_wording(pages: list[Page], extra: dict[str, str] | None = None) -> list[Problem]:
    return _search({**INTERNAL_WORDING, **(extra or {})}, "note interne", pages)


def check_markup(pages: list[Page]) -> list[Problem]:
    return _search(RAW_MARKUP, "balisage brut", pages)


def check_captions(pages: list[Page]) -> list[Problem]:
    """Every numbered figure and table is cited in the text; numbering has no gap."""
    out = []
    text = page_text(pages)
    flat = re.sub(r"\s+", " ", text)
    seen: dict[tuple[str, str], int] = {}
    for p in pages:
        for m in _CAPTION.finditer(re.sub("\u00ad\\s*", "", p.text)):
            seen.setdefault((m[1], m[2]), p.number)
    for (kind, num), page in sorted(seen.items(), key=lambda kv: kv[1]):
        cited = re.findall(rf"(?:{kind}|{kind.lower()}|{kind[:3]}\.|{kind[:3].lower()}\.)s?\s+{re.escape(num)}(?!\d)(?!\s*:)",
                           flat)
        if not cited:
            out.append(Problem(page, "figure ou tableau jamais cité", f"{kind} {num}"))
    for kind in ("Figure", "Tableau"):
        by_prefix: dict[str, list[int]] = {}
        for (k, num), _ in seen.items():
            if k == kind:
                pre, n = num.rsplit(".", 1)
                by_prefix.setdefault(pre, []).append(int(n))
        for pre, nums in by_prefix.items():
            missing = sorted(set(range(1, max(nums) + 1)) - set(nums))
            if missing:
                out.append(Problem(0, "numérotation incomplète (légende manquante ?)",
                                   ", ".join(f"{kind} {pre}.{n}" for n in missing)))
    return out


def check_intervals(pages: list[Page]) -> list[Problem]:
    """Confidence intervals (and ranges of decimals) are written in one style only."""
    text = re.sub(r"\s+", " ", page_text(pages))
    found = {style: re.findall(pattern, text) for style, pattern in INTERVAL_STYLES.items()}
    used = {s: v for s, v in found.items() if v}
    if len(used) <= 1:
        return []
    main = max(used, key=lambda s: len(used[s]))
    return [Problem(0, "intervalles écrits de plusieurs façons",
                    f"{len(v)} en style {s} (ex. « {v[0]} »), {len(used[main])} en style {main}")
            for s, v in used.items() if s != main]


def check_publication(pdf: Path, min_fill: float = 0.2, extra_wording: dict[str, str] | None = None) -> list[Problem]:
    """Every rule above on the rendered PDF ``pdf``; an empty list means the edition is fit to print."""
    pdf = Path(pdf)
    if not pdf.exists():
        raise InputError(f"PDF introuvable : {pdf}")
    pages = read_pages(pdf)
    headings = read_headings(pdf)
    return (check_page_box(pages) + check_overlaps(pages) + check_fill(pages, headings, min_fill)
            + check_orphan_headings(pages, headings) + check_orphan_table_captions(pages) + check_wording(pages, extra_wording)
            + check_markup(pages) + check_captions(pages) + check_intervals(pages))
