"""Render the report: with Quarto where it is installed, else with pandoc + typst.

``report/`` is a real Quarto book. Quarto cannot be installed everywhere (its
installer downloads a binary), so the same sources are also rendered by a
fallback built on two PyPI wheels: pandoc (``pypandoc-binary``) and typst
(``typst``). The fallback implements exactly the Quarto features the book uses,
with Quarto's semantics:

- chapters and appendices in ``_quarto.yml`` order, book metadata from it;
- ``{{< include path >}}`` on a line of its own; like Quarto, a relative path is
  resolved from the directory of the *chapter* being rendered (an include is a
  copy-paste, so nested includes and images too), ``/path`` from the project root;
- ``{{< var dotted.key >}}`` from ``_variables.yml`` (dots are nesting);
- callouts (``.callout-note`` …) whose title is ``title=`` or a first heading;
- numbered figures (``{#fig-…}``), tables (``{#tbl-…}``) and sections, numbered
  per chapter (``7.2``), appendices lettered; ``@fig-x``, ``@tbl-x``, ``@sec-x``
  become « Figure 7.2 », « Tableau 7.1 », « Chapitre 7 », « Section 7.3 »,
  « Annexe A »; ``-@fig-x`` gives the number alone;
- citations with the bibliography and CSL style (``--citeproc``), printed where
  ``::: {#refs}`` stands;
- fenced divs with classes: ``.vignette`` is boxed by ``filters/vignette.lua``,
  the same Lua filter Quarto runs; ``{.unnumbered}`` headings.

Anything that cannot be resolved (unknown variable, missing include or image,
unknown cross-reference or citation) stops the render with one French line that
names the file and the key or path. Output is deterministic: two renders of the
same inputs give byte-identical HTML and PDF.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import posixpath
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import yaml

from analysis.config import REPORT_DIR
from analysis.errors import PrrError

QUARTO_MESSAGE = "Rendu via Quarto"
FALLBACK_MESSAGE = "Rendu via pandoc + typst (Quarto absent)"

#: Quarto's French callout titles (its ``fr`` language file).
CALLOUT_TITLES = {
    "note": "Note", "warning": "Avertissement", "important": "Important",
    "tip": "Astuce", "caution": "Attention",
}
#: Cross-reference prefixes the book uses, with their French label.
XREF_LABELS = {"fig": "Figure", "tbl": "Tableau", "sec": "Section"}
CHAPTER_LABEL = "Chapitre"
APPENDIX_LABEL = "Annexe"
APPENDICES_TITLE = "Annexes"
IMAGE_EXTENSIONS = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}
NBSP = "\u00a0"


class RenderError(PrrError):
    """The report cannot be rendered as written; the message names the file and the key or path."""


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


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True)
class ChapterSpec:
    source: str  # path relative to the project, posix
    appendix: bool


@dataclass
class Book:
    """What ``_quarto.yml`` and ``_variables.yml`` say about the book."""

    root: Path
    title: str
    subtitle: str
    author: str
    date: str
    lang: str
    chapters: list[ChapterSpec]
    bibliography: Path | None
    csl: Path | None
    output_dir: Path
    output_file: str
    number_depth: int
    image_ext: dict[str, str]
    css: list[str]
    filters: list[str]
    variables: dict

    @property
    def synthetic(self) -> bool:
        return self.variables.get("synthetic") is True


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}" if mark else ""
        raise RenderError(f"{path.name} n'est pas un YAML valide{where}") from None
    return data or {}


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _chapter_entries(entries: list, appendix: bool) -> list[ChapterSpec]:
    """Chapter entries: a path, ``{href: path}`` or ``{part: title, chapters: [...]}``."""
    out: list[ChapterSpec] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(ChapterSpec(entry, appendix))
        elif isinstance(entry, dict) and "chapters" in entry:
            out.extend(_chapter_entries(_as_list(entry["chapters"]), appendix))
        elif isinstance(entry, dict) and "href" in entry:
            out.append(ChapterSpec(entry["href"], appendix))
        else:
            raise RenderError(f"_quarto.yml : entrée de chapitre non comprise {entry!r}")
    return out


def _author_text(author) -> str:
    names = []
    for a in _as_list(author):
        names.append(a.get("name", "") if isinstance(a, dict) else str(a))
    return ", ".join(n for n in names if n)


def load_variables(report_dir: Path) -> dict:
    """``_variables.yml`` as nested mappings (empty when absent)."""
    path = Path(report_dir) / "_variables.yml"
    return _read_yaml(path) if path.exists() else {}


def load_book(report_dir: Path = REPORT_DIR) -> Book:
    """Read ``_quarto.yml`` (and ``_variables.yml``) of the book in ``report_dir``."""
    root = Path(report_dir).resolve()
    cfg_path = root / "_quarto.yml"
    if not cfg_path.exists():
        raise RenderError(f"{cfg_path} introuvable : ce dossier n'est pas un livre Quarto")
    cfg = _read_yaml(cfg_path)
    book = cfg.get("book") or {}
    project = cfg.get("project") or {}
    formats = cfg.get("format") or {}
    html = formats.get("html") or {}
    typ = formats.get("typst") or {}
    chapters = _chapter_entries(_as_list(book.get("chapters")), False)
    chapters += _chapter_entries(_as_list(book.get("appendices")), True)
    if not chapters:
        raise RenderError("_quarto.yml : book.chapters est vide")
    bib = cfg.get("bibliography")
    csl = cfg.get("csl")
    date = book.get("date", "")
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.isoformat()
    return Book(
        root=root,
        title=str(book.get("title", "")),
        subtitle=str(book.get("subtitle", "") or ""),
        author=_author_text(book.get("author")),
        date=str(date or ""),
        lang=str(cfg.get("lang", "fr")),
        chapters=chapters,
        bibliography=root / _as_list(bib)[0] if bib else None,
        csl=root / csl if csl else None,
        output_dir=root / project.get("output-dir", "_book"),
        output_file=str(book.get("output-file") or "book"),
        number_depth=int(cfg.get("number-depth", html.get("number-depth", 3))),
        image_ext={"html": str(html.get("default-image-extension", "svg")),
                   "pdf": str(typ.get("default-image-extension", "pdf"))},
        css=[str(c) for c in _as_list(html.get("css"))],
        filters=[str(f) for f in _as_list(cfg.get("filters"))
                 if isinstance(f, str) and f.endswith(".lua")],
        variables=load_variables(root),
    )


# --------------------------------------------------------------------------- shortcodes

_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|[^\s>]+)\s*>\}\}\s*$")
_VAR = re.compile(r"\{\{<\s*var\s+(?P<key>[^\s>]+)\s*>\}\}")
_SHORTCODE = re.compile(r"\{\{<\s*(?P<name>[\w-]*)")
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})")


def lookup_variable(variables: dict, key: str):
    """Value of ``a.b.c`` in nested ``variables`` (``KeyError`` when absent or not a leaf)."""
    node = variables
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    if isinstance(node, (dict, list)):
        raise KeyError(key)
    return node


def _var_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _resolve_project_path(ref: str, main_dir: Path, root: Path) -> Path:
    """Quarto's rule: ``/x`` is from the project root, anything else from the chapter's directory."""
    ref = ref.strip().strip("\"'")
    return (root / ref.lstrip("/")) if ref.startswith("/") else (main_dir / ref)


def expand_source(path: Path, root: Path, variables: dict, main_dir: Path | None = None,
                  _stack: tuple[Path, ...] = ()) -> tuple[str, list[Path]]:
    """Text of ``path`` with includes spliced in and variables replaced.

    Returns the text and the files it was made of (for error messages). Code
    blocks are left alone, as Quarto does.
    """
    path = Path(path).resolve()
    main_dir = main_dir or path.parent
    files = [path]
    out: list[str] = []
    fence: str | None = None
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(keepends=True), 1):
        m = _FENCE.match(line)
        if m:
            tok = m["fence"]
            if fence is None:
                fence = tok
            elif tok[0] == fence[0] and len(tok) >= len(fence) and not line.strip()[len(tok):].strip():
                fence = None
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            continue
        inc = _INCLUDE.match(line)
        if inc:
            target = _resolve_project_path(inc["path"], main_dir, root).resolve()
            shown = inc["path"].strip("\"'")
            if not target.is_file():
                raise RenderError(f"fichier inclus introuvable « {shown} » ({_rel(path, root)}, ligne {no})")
            if target in _stack or target == path:
                raise RenderError(f"inclusion circulaire de « {shown} » ({_rel(path, root)}, ligne {no})")
            text, sub = expand_source(target, root, variables, main_dir, (*_stack, path))
            out.append("\n" + text.rstrip("\n") + "\n\n")
            files.extend(sub)
            continue

        def _var(m: re.Match, _no: int = no) -> str:
            key = m["key"].strip("\"'")
            try:
                return _var_text(lookup_variable(variables, key))
            except KeyError:
                raise RenderError(
                    f"variable inconnue « {key} » ({_rel(path, root)}, ligne {_no}) : absente de _variables.yml"
                ) from None

        line = _VAR.sub(_var, line)
        other = _SHORTCODE.search(line)
        if other:
            raise RenderError(
                f"shortcode « {other['name'] or line.strip()} » non pris en charge ({_rel(path, root)}, ligne {no})"
                " : seuls include et var le sont"
            )
        out.append(line)
    return "".join(out), files


# --------------------------------------------------------------------------- pandoc AST helpers


def _pandoc_bin() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def run_pandoc(args: list[str], text: str) -> tuple[str, str]:
    """Run pandoc on ``text``; returns (stdout, stderr); a failure is a :class:`RenderError`."""
    proc = subprocess.run([_pandoc_bin(), *args], input=text.encode("utf-8"), capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        first = next((line for line in err.splitlines() if line.strip()), "erreur inconnue")
        raise RenderError(f"pandoc a échoué : {first}")
    return proc.stdout.decode("utf-8"), err


def Str(s: str) -> dict:
    return {"t": "Str", "c": s}


SPACE = {"t": "Space"}


def attr(ident: str = "", classes: list[str] | None = None, kv: list | None = None) -> list:
    return [ident, classes or [], kv or []]


def Span(a: list, inlines: list) -> dict:
    return {"t": "Span", "c": [a, inlines]}


def Link(inlines: list, url: str, a: list | None = None) -> dict:
    return {"t": "Link", "c": [a or attr(), inlines, [url, ""]]}


def Div(a: list, blocks: list) -> dict:
    return {"t": "Div", "c": [a, blocks]}


def Plain(inlines: list) -> dict:
    return {"t": "Plain", "c": inlines}


def RawBlock(fmt: str, text: str) -> dict:
    return {"t": "RawBlock", "c": [fmt, text]}


def RawInline(fmt: str, text: str) -> dict:
    return {"t": "RawInline", "c": [fmt, text]}


def walk(node, fn: Callable[[dict], dict | None]):
    """Apply ``fn`` to every element, top-down; a non-None result replaces the element (not descended)."""
    if isinstance(node, list):
        return [walk(x, fn) for x in node]
    if isinstance(node, dict):
        if "t" in node:
            new = fn(node)
            if new is not None:
                return new
            if "c" in node:
                node["c"] = walk(node["c"], fn)
            return node
        return {k: walk(v, fn) for k, v in node.items()}
    return node


def each(node, fn: Callable[[dict], None]) -> None:
    """Call ``fn`` on every element (read-only traversal)."""
    if isinstance(node, list):
        for x in node:
            each(x, fn)
    elif isinstance(node, dict):
        if "t" in node:
            fn(node)
            if "c" in node:
                each(node["c"], fn)
        else:
            for v in node.values():
                each(v, fn)


def map_blocks(blocks: list, fn: Callable[[dict], list | None]) -> list:
    """Replace blocks by lists of blocks (``fn`` returns None to keep), recursing into containers."""
    out = []
    for b in blocks:
        t = b.get("t")
        if t == "Div":
            b["c"][1] = map_blocks(b["c"][1], fn)
        elif t == "BlockQuote":
            b["c"] = map_blocks(b["c"], fn)
        elif t == "BulletList":
            b["c"] = [map_blocks(item, fn) for item in b["c"]]
        elif t == "OrderedList":
            b["c"][1] = [map_blocks(item, fn) for item in b["c"][1]]
        new = fn(b)
        out.extend([b] if new is None else new)
    return out


def stringify(node) -> str:
    """Plain text of inlines or blocks (footnotes left out)."""
    parts: list[str] = []

    def go(x) -> None:
        if isinstance(x, list):
            for y in x:
                go(y)
            return
        if not isinstance(x, dict) or "t" not in x:
            return
        t, c = x["t"], x.get("c")
        if t == "Str":
            parts.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif t in ("Code", "Math"):
            parts.append(c[1])
        elif t == "Quoted":
            parts.append("« ")
            go(c[1])
            parts.append(" »")
        elif t in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps", "Superscript", "Subscript"):
            go(c)
        elif t in ("Link", "Image", "Span"):
            go(c[1])
        elif t == "Cite":
            go(c[1])
        elif t in ("Para", "Plain", "Header", "Div", "BlockQuote", "BulletList", "OrderedList",
                   "Figure", "LineBlock", "Table"):
            before = len(parts)
            go(c)
            if len(parts) > before:
                parts.append(" ")
        elif t == "CodeBlock":
            parts.append(c[1] + " ")
        elif t in ("Note", "RawInline", "RawBlock", "HorizontalRule"):
            return
        else:
            go(c)

    go(node)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _classes(el: dict) -> list[str]:
    return el["c"][0][1]


def _kv(a: list) -> dict[str, str]:
    return dict(a[2])


# --------------------------------------------------------------------------- chapters and numbering


@dataclass
class Chapter:
    spec: ChapterSpec
    blocks: list
    files: list[Path]
    number: str | None = None
    title: list = field(default_factory=list)
    ident: str = ""
    page: str = ""  # output page, relative to the output dir

    @property
    def title_text(self) -> str:
        return stringify(self.title)


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


def _locate(needle: str, chapter: Chapter, root: Path) -> str:
    """The source file (chapter or included file) that contains ``needle``."""
    for f in chapter.files[1:] + chapter.files[:1]:
        try:
            if needle in f.read_text(encoding="utf-8"):
                return _rel(f, root)
        except OSError:
            continue
    return _rel(chapter.files[0], root)


def parse_chapters(book: Book) -> list[Chapter]:
    """Expand shortcodes and parse every chapter with pandoc (in parallel)."""
    sources = []
    for spec in book.chapters:
        path = book.root / spec.source
        if not path.is_file():
            raise RenderError(f"chapitre introuvable « {spec.source} » (listé dans _quarto.yml)")
        text, files = expand_source(path, book.root, book.variables)
        sources.append((spec, text, files))

    def parse(item) -> Chapter:
        spec, text, files = item
        out, _ = run_pandoc(["-f", "markdown", "-t", "json"], text)
        doc = json.loads(out)
        blocks = doc["blocks"]
        meta_title = doc.get("meta", {}).get("title")
        if not any(b["t"] == "Header" and b["c"][0] == 1 for b in blocks) and meta_title:
            title = meta_title["c"] if meta_title["t"] == "MetaInlines" else [Str(stringify(meta_title))]
            blocks.insert(0, {"t": "Header", "c": [1, attr(), title]})
        return Chapter(spec, blocks, files)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        return list(pool.map(parse, sources))


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
        _normalise_callouts(ch, book.root)
        h1 = next((b for b in ch.blocks if b["t"] == "Header" and b["c"][0] == 1), None)
        if h1 is None:
            raise RenderError(f"le chapitre {ch.spec.source} n'a pas de titre de niveau 1 (# Titre)")
        unnumbered = "unnumbered" in h1["c"][1][1]
        if not unnumbered:
            if ch.spec.appendix:
                n_apx += 1
                ch.number = _letters(n_apx)
            else:
                n_chap += 1
                ch.number = str(n_chap)
        ch.title = h1["c"][2]
        ch.ident = h1["c"][1][0]
        h1["c"][1][2] = [*h1["c"][1][2], ["data-number", ch.number or ""]]
        _ChapterNumberer(ch, i, h1, book.number_depth, register).run()
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


def apply_citeproc(chapters: list[Chapter], book: Book) -> None:
    """Run citeproc once over the whole book (citations everywhere, list in ``#refs``)."""
    has_cites = []
    for ch in chapters:
        each(ch.blocks, lambda el, _h=has_cites: _h.append(1) if el["t"] == "Cite" else None)
    if not has_cites:
        return
    if book.bibliography is None or not book.bibliography.exists():
        raise RenderError(f"bibliographie introuvable « {book.bibliography} » (_quarto.yml : bibliography)")
    blocks = [Div(attr(f"prr-chapter-{i}", ["prr-chapter"]), ch.blocks) for i, ch in enumerate(chapters)]
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
    for ch, div in zip(chapters, result, strict=True):
        ch.blocks = walk(div["c"][1], _rendered_cite)
        _french_punctuation_in_refs(ch.blocks)


def _rendered_cite(el: dict) -> dict | None:
    """A citation formatted by citeproc becomes a plain span (the typst writer would re-cite it)."""
    if el["t"] != "Cite":
        return None
    keys = " ".join(c["citationId"] for c in el["c"][0])
    return Span(attr("", ["citation"], [["cites", keys]]), walk(el["c"][1], _rendered_cite))


_API_VERSION: list | None = None


def _api_version() -> list:
    global _API_VERSION
    if _API_VERSION is None:
        _API_VERSION = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], "x")[0])["pandoc-api-version"]
    return _API_VERSION


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


# --------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageRef:
    source: Path  # absolute file
    project_path: str  # relative to the project root, posix


def resolve_image(src: str, ch: Chapter, book: Book, fmt: str) -> ImageRef:
    """Find the file an image points to (default extension of the format when none is given)."""
    main_dir = (book.root / ch.spec.source).parent
    path = _resolve_project_path(src, main_dir, book.root)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        path = path.with_name(path.name + "." + book.image_ext[fmt])
    path = path.resolve()
    if not path.is_file():
        raise RenderError(f"image introuvable « {_rel(path, book.root)} » ({_locate(src, ch, book.root)})")
    try:
        project_path = path.relative_to(book.root).as_posix()
    except ValueError:
        raise RenderError(f"image hors du dossier du rapport « {src} » ({_locate(src, ch, book.root)})") from None
    return ImageRef(path, project_path)


def _alt_text(img: dict, ref: ImageRef, caption: list | None) -> str:
    """``fig-alt``, else the figure's JSON sidecar (``analysis.publish.figures``), else the caption."""
    kv = _kv(img["c"][0])
    if kv.get("fig-alt"):
        return kv["fig-alt"]
    sidecar = ref.source.with_suffix(".json")
    if sidecar.exists():
        try:
            alt = json.loads(sidecar.read_text(encoding="utf-8")).get("alt")
        except json.JSONDecodeError:
            alt = None
        if alt:
            return str(alt)
    return stringify(caption or img["c"][1]) or Path(ref.project_path).stem


def _fix_images(ch: Chapter, book: Book, fmt: str, on_image: Callable[[dict, ImageRef, str], dict | None]) -> None:
    """Resolve every image of the chapter; ``on_image(img, ref, alt)`` may return a replacement."""

    def _one_image(el: dict, caption: list | None) -> dict | None:
        src = el["c"][2][0]
        if re.match(r"^[a-z]+://", src) or src.startswith("data:"):
            return None
        ref = resolve_image(src, ch, book, fmt)
        alt = _alt_text(el, ref, caption)
        el["c"][0][2] = [kv for kv in el["c"][0][2] if kv[0] != "fig-alt"]
        return on_image(el, ref, alt)

    def fn(el: dict) -> dict | None:
        if el["t"] == "Figure":
            caption = el["c"][1][1]
            el["c"][2] = walk(el["c"][2], lambda x: _one_image(x, caption) if x["t"] == "Image" else None)
            el["c"][1] = walk(el["c"][1], fn)
            return el
        if el["t"] == "Image":
            return _one_image(el, None) or el
        return None

    ch.blocks = walk(ch.blocks, fn)


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


def _page_of(spec: ChapterSpec) -> str:
    return posixpath.splitext(spec.source)[0] + ".html"


def _relurl(target: str, page: str) -> str:
    start = posixpath.dirname(page) or "."
    return posixpath.relpath(target, start)


def _lua_filters(book: Book) -> list[str]:
    """The Lua filters ``_quarto.yml`` lists, for pandoc (Quarto's own entries left out)."""
    args = []
    for f in book.filters:
        path = book.root / f
        if not path.is_file():
            raise RenderError(f"filtre Lua introuvable « {f} » (_quarto.yml : filters)")
        args += ["--lua-filter", str(path)]
    return args


# --------------------------------------------------------------------------- fallback: HTML


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


# --------------------------------------------------------------------------- fallback: PDF (typst)


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


def build_typst(chapters: list[Chapter], book: Book) -> str:
    """The typst source of the whole book (template call, then every chapter)."""
    for ch in chapters:
        def on_image(el: dict, ref: ImageRef, alt: str) -> dict:
            return RawInline("typst", f"#image({typst_string('/' + ref.project_path)}, alt: {typst_string(alt)}, "
                                      "width: 100%)")

        _fix_images(ch, book, "pdf", on_image)
        _typst_headers(ch)
        _typst_callouts(ch)
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
