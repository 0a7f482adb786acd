"""pandoc and its JSON AST: running pandoc, building elements, walking and flattening trees.

Documents are pandoc's JSON (``{"t": type, "c": contents}``) as plain dicts and
lists; the constructors are named after pandoc's element types. A pandoc failure
is a :class:`~analysis.errors.RenderError` with pandoc's first message line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from analysis.errors import RenderError

NBSP = "\u00a0"


# --------------------------------------------------------------------------- running pandoc


@functools.cache
def _pandoc_bin() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


#: Folder of the content-addressed cache of pandoc's results (``None``: no cache). The renderer
#: points it at ``report/.prr-cache/pandoc`` (see :func:`use_cache`).
CACHE_DIR: Path | None = None
#: Most results kept in the cache; the least recently used are removed beyond that.
CACHE_MAX_ENTRIES = 600
_FILE_ARGS = ("--lua-filter", "--bibliography", "--csl")


def use_cache(folder: Path | None) -> None:
    """Cache pandoc's results under ``folder`` (``None`` turns the cache off)."""
    global CACHE_DIR
    CACHE_DIR = Path(folder) if folder else None


def _cache_key(args: list[str], text: str) -> str:
    """Hash of pandoc's binary, the arguments, the files they name (filters) and the input text.

    Bibliography and CSL files passed in the document's metadata are in ``text`` by name
    only: their content is added when the text names them (``--citeproc``).
    """
    h = hashlib.sha256()
    binary = Path(_pandoc_bin())
    st = binary.stat()
    h.update(f"{binary}|{st.st_size}|{st.st_mtime_ns}\0".encode())
    files = [args[k + 1] for k, a in enumerate(args[:-1]) if a in _FILE_ARGS]
    if "--citeproc" in args:
        files += [json.loads(f'"{m}"') for m in re.findall(r'"c":\s*"([^"]+\.(?:bib|csl))"', text)]
    for a in args:
        h.update(a.encode() + b"\0")
    for f in files:
        p = Path(f)
        h.update(p.read_bytes() if p.is_file() else b"missing:" + f.encode())
        h.update(b"\0")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def run_pandoc(args: list[str], text: str) -> tuple[str, str]:
    """Run pandoc on ``text``; returns (stdout, stderr); a failure is a :class:`RenderError`.

    With a cache folder (:func:`use_cache`), a result already computed for the same
    pandoc, arguments, named files and text is read back instead: re-rendering after
    editing one chapter runs pandoc only for what changed.
    """
    path = None
    if CACHE_DIR is not None:
        path = CACHE_DIR / _cache_key(args, text)[:40]
        if path in _RECENT and path.is_file():  # read in this process already (``prr render --watch``)
            return _RECENT[path]
        try:
            out, err = json.loads(path.read_text(encoding="utf-8"))
            os.utime(path)  # recently used
            _remember(path, (out, err))
            return out, err
        except (OSError, ValueError):
            pass
    proc = subprocess.run([_pandoc_bin(), *args], input=text.encode("utf-8"), capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        first = next((line for line in err.splitlines() if line.strip()), "erreur inconnue")
        raise RenderError(f"pandoc a échoué : {first}")
    out = proc.stdout.decode("utf-8")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps([out, err]), encoding="utf-8")
            tmp.replace(path)
            _remember(path, (out, err))
        except OSError:  # a cache that cannot be written only costs time
            pass
    return out, err


#: Results of the cache already read by this process, by file (a renderer that runs many
#: times in one process reads and decodes each file once); at most :data:`CACHE_MAX_ENTRIES`.
_RECENT: dict[Path, tuple[str, str]] = {}
_RECENT_LOCK = threading.Lock()


def _remember(path: Path, result: tuple[str, str]) -> None:
    with _RECENT_LOCK:
        if len(_RECENT) >= CACHE_MAX_ENTRIES:
            _RECENT.clear()
        _RECENT[path] = result


def prune_cache(keep: int = CACHE_MAX_ENTRIES) -> None:
    """Remove the least recently used results beyond ``keep``."""
    if CACHE_DIR is None or not CACHE_DIR.is_dir():
        return
    entries = []
    for p in CACHE_DIR.iterdir():
        try:
            entries.append((p.stat().st_mtime_ns, p))
        except OSError:
            continue
    for _, p in sorted(entries, reverse=True)[keep:]:
        p.unlink(missing_ok=True)


_API_VERSION: list | None = None


def _api_version() -> list:
    global _API_VERSION
    if _API_VERSION is None:
        _API_VERSION = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], "x")[0])["pandoc-api-version"]
    return _API_VERSION


# --------------------------------------------------------------------------- constructors


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


# --------------------------------------------------------------------------- traversal


def walk(node, fn: Callable[[dict], dict | None]):
    """Apply ``fn`` to every element, top-down; a non-None result replaces the element (not descended)."""
    t = type(node)
    if t is list:
        return [x if type(x) is str else walk(x, fn) for x in node]
    if t is dict:
        if "t" in node:
            new = fn(node)
            if new is not None:
                return new
            c = node.get("c")
            if c is not None and type(c) is not str:
                node["c"] = walk(c, fn)
            return node
        return {k: walk(v, fn) for k, v in node.items()}
    return node


def each(node, fn: Callable[[dict], None]) -> None:
    """Call ``fn`` on every element (read-only traversal), in document order (pre-order).

    Iterative (a stack, no recursion): this runs over the whole book several times per render.
    """
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        x = pop()
        t = type(x)
        if t is dict:
            if "t" in x:
                fn(x)
                c = x.get("c")
                if c is not None and type(c) is not str:
                    push(c)
            else:
                extend(reversed(list(x.values())))
        elif t is list:
            extend(reversed(x))


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
