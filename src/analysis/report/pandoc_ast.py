"""pandoc and its JSON AST: running pandoc, building elements, walking and flattening trees.

Documents are pandoc's JSON (``{"t": type, "c": contents}``) as plain dicts and
lists; the constructors are named after pandoc's element types. A pandoc failure
is a :class:`~analysis.errors.RenderError` with pandoc's first message line.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

from analysis.errors import RenderError

NBSP = "\u00a0"


# --------------------------------------------------------------------------- running pandoc


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
