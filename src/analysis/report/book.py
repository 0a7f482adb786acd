"""The book as ``_quarto.yml`` describes it, and its chapters with shortcodes resolved.

The fallback renderer follows Quarto's semantics for what the book uses:

- chapters and appendices in ``_quarto.yml`` order, book metadata from it;
- ``{{< include path >}}`` on a line of its own; like Quarto, a relative path is
  resolved from the directory of the *chapter* being rendered (an include is a
  copy-paste, so nested includes and images too), ``/path`` from the project root;
- ``{{< var dotted.key >}}`` from ``_variables.yml`` (dots are nesting);
- fenced divs with classes: ``.vignette`` is boxed by ``filters/vignette.lua``,
  the same Lua filter Quarto runs (the Lua filters ``_quarto.yml`` lists).

Each chapter's expanded text is parsed by pandoc into a :class:`Chapter`; images
are found with the same path rules (with the output format's default extension
when none is given). A missing chapter, include or image, an unknown variable or
shortcode is a :class:`~analysis.errors.RenderError` naming the file (and line).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis.config import REPORT_DIR
from analysis.errors import RenderError
from analysis.report.pandoc_ast import Str, _kv, attr, run_pandoc, stringify, walk

APPENDICES_TITLE = "Annexes"
IMAGE_EXTENSIONS = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}


# --------------------------------------------------------------------------- _quarto.yml


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


#: libyaml's safe loader when PyYAML was built with it (ten times faster on ``_variables.yml``).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
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


def _lua_filters(book: Book) -> list[str]:
    """The Lua filters ``_quarto.yml`` lists, for pandoc (Quarto's own entries left out)."""
    args = []
    for f in book.filters:
        path = book.root / f
        if not path.is_file():
            raise RenderError(f"filtre Lua introuvable « {f} » (_quarto.yml : filters)")
        args += ["--lua-filter", str(path)]
    return args


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


# --------------------------------------------------------------------------- chapters


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


def _locate(needle: str, chapter: Chapter, root: Path) -> str:
    """The source file (chapter or included file) that contains ``needle``."""
    for f in chapter.files[1:] + chapter.files[:1]:
        try:
            if needle in f.read_text(encoding="utf-8"):
                return _rel(f, root)
        except OSError:
            continue
    return _rel(chapter.files[0], root)


def expand_chapters(book: Book) -> list[tuple[ChapterSpec, str, list[Path]]]:
    """Each chapter's expanded text (includes and variables) and the files it was made from."""
    sources = []
    for spec in book.chapters:
        path = book.root / spec.source
        if not path.is_file():
            raise RenderError(f"chapitre introuvable « {spec.source} » (listé dans _quarto.yml)")
        text, files = expand_source(path, book.root, book.variables)
        sources.append((spec, text, files))
    return sources


def parse_chapter(item: tuple[ChapterSpec, str, list[Path]]) -> Chapter:
    """One expanded chapter parsed by pandoc (its title from the metadata when it has no ``#``)."""
    spec, text, files = item
    out, _ = run_pandoc(["-f", "markdown", "-t", "json"], text)
    doc = json.loads(out)
    blocks = doc["blocks"]
    meta_title = doc.get("meta", {}).get("title")
    if not any(b["t"] == "Header" and b["c"][0] == 1 for b in blocks) and meta_title:
        title = meta_title["c"] if meta_title["t"] == "MetaInlines" else [Str(stringify(meta_title))]
        blocks.insert(0, {"t": "Header", "c": [1, attr(), title]})
    return Chapter(spec, blocks, files)


def parse_chapters(book: Book, sources: list | None = None) -> list[Chapter]:
    """Expand shortcodes and parse every chapter with pandoc (in parallel)."""
    if sources is None:
        sources = expand_chapters(book)
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        return list(pool.map(parse_chapter, sources))


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
