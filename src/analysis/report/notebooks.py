"""The executed notebooks as a reader sees them, for the annex: converted by nbconvert.

Each executed notebook of the edition (``<run>/notebooks/*.ipynb``) goes
through :class:`ReaderView`, then nbconvert's :class:`~nbconvert.MarkdownExporter`:

- the parameters cells (defaults and injected values) are replaced by one
  sentence that says, in French, what the notebook was run on (period,
  publication threshold, data);
- text is shown as the notebook printed it, with directories removed from any
  path (a file keeps its name: nothing of the machine that ran it shows);
  warnings (stderr) are left to the executed notebook, for the authors;
- tables (Markdown outputs) are shown in full; their caption becomes a
  sentence citing the numbered table of the chapter, so that no number or
  identifier of the book is duplicated;
- figures are shown: one that is a figure of the report is drawn from the
  report's own copy (PDF for print, SVG for the web) with its alternative
  text, and cites the numbered figure; any other is written next to the annex;
- a value echoed by a cell (``written``, a dictionary of output files) is
  left out: it is bookkeeping, not a result;
- headings inside a notebook become bold lines, its title the section's title.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

from nbconvert import MarkdownExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Dict, Unicode
from traitlets.config import Config

from analysis.config import run_paths, without_iri_grammar
from analysis.publish.fmt import fmt_month

#: Where the annex's own images (figures that are not figures of the report) are written, from the report root.
IMAGES_DIR = "_generated/notebooks"
#: A path with at least one directory: only its file name is shown.
_PATH = re.compile(r"(?:(?<=[\s'\"(=])|^)(?:[A-Za-z]:)?(?:[\w.<>~-]*/)+([\w.-]+)", re.M)
_CAPTION = re.compile(r"^:\s+(?P<text>.*?)\s*\{#(?P<id>(?:tbl|fig)-[\w-]+)\}\s*$", re.M)


#: Numbers separated by slashes (« 3/6 » months returned, a date 01/02/2023): not a path.
_NUMBERS = re.compile(r"[\d/]+")
#: A file name with an extension (``users.parquet``, ``a.xlsx``).
_FILE = re.compile(r"[^/]*\.[A-Za-z][\w]{0,7}")


def _is_path(match: str) -> bool:
    """Whether a slash-separated word is a path: rooted (``/``, ``~``, ``C:``, ``./``), several folders
    deep, or ending in a file name with an extension. « χ²/ddl », « Q1/Q5 », « SISP/AIS » or « 3/6 »
    are labels, not paths."""
    if _NUMBERS.fullmatch(match):
        return False
    if match.startswith(("/", "~", "./", "../")) or re.match(r"[A-Za-z]:", match):
        return True
    return match.count("/") >= 2 or bool(_FILE.fullmatch(match.rsplit("/", 1)[-1]))


def strip_dirs(text: str) -> str:
    """``/home/x/run/clean/users.parquet`` → ``users.parquet``; ``suivi/a.xlsx`` → ``a.xlsx``.

    Labels with a slash are kept whole: « 3/6 » (months returned of the period) is not a folder
    ``3`` holding a file ``6``, nor « χ²/ddl » a folder ``χ²``."""
    return _PATH.sub(lambda m: m.group(1) if _is_path(m.group(0)) else m.group(0), text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def _svg_digest(svg: str) -> str:
    """Digest of an SVG as IPython displays it (its ``<svg>`` element re-serialised), so that a figure file and
    the notebook's display of it compare equal."""
    from xml.dom import minidom

    try:
        found = minidom.parseString(svg.strip().encode("utf-8")).getElementsByTagName("svg")
    except Exception:  # not well-formed: compare the raw text
        return _digest(svg)
    return _digest(found[0].toxml() if found else svg)


def parameters_sentence(source: str) -> str:
    """The injected parameters of a notebook, as one French sentence."""
    values: dict[str, object] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    parts = []
    if isinstance(values.get("start"), str) and isinstance(values.get("end"), str):
        parts.append(f"période de {fmt_month(values['start'])} à {fmt_month(values['end'])}")
    if "threshold" in values:
        parts.append(f"effectifs de moins de {values['threshold']} personnes non publiés")
    if "is_example" in values:
        parts.append("données : jeu d'exemple synthétique" if values["is_example"] else "données : classeurs des services")
    if not parts:
        return ""
    return "*Exécuté avec ces paramètres : " + " ; ".join(parts) + ".*"


class ReaderView(Preprocessor):
    """Turn an executed notebook into what a reader of the annex should see (see the module's docstring)."""

    figures = Dict(help="digest of an SVG -> name of the report's figure").tag(config=True)
    cited = Dict(help="identifiers (tbl-…, fig-…) of the tables and figures the book shows -> True").tag(config=True)
    alts = Dict(help="name of the report's figure -> alternative text").tag(config=True)
    title = Unicode("")

    def preprocess(self, nb, resources):
        self.title = ""
        cells = []
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if "parameters" in tags:
                continue
            if "injected-parameters" in tags:
                sentence = parameters_sentence(cell.source)
                if sentence:
                    cells.append(_markdown_cell(sentence))
                continue
            if cell.cell_type == "markdown":
                cell.source = self._markdown(cell.source)
                if not cell.source.strip():
                    continue
            elif cell.cell_type == "code":
                cell.outputs = [o for o in (self._output(o) for o in cell.get("outputs", [])) if o is not None]
            cells.append(cell)
        nb.cells = cells
        resources["notebook_title"] = self.title
        return nb, resources

    def _markdown(self, source: str) -> str:
        lines = source.strip().splitlines()
        if lines and lines[0].startswith("# ") and not self.title:
            self.title = re.sub(r"^\d+\.\s*", "", lines[0][2:].strip())  # the annex numbers its sections
            lines = lines[1:]
        return strip_dirs("\n".join(f"**{ln.lstrip('#').strip()}**" if ln.startswith("#") else ln
                                    for ln in lines).strip())

    def _output(self, out):
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") == "stderr":
                return None  # warnings are for the authors (they stay in the executed notebook)
            out["text"] = strip_dirs("".join(out.get("text", "")))
            return out if out["text"].strip() else None
        if kind == "error":
            out["traceback"] = [strip_dirs(t) for t in out.get("traceback", [])]
            return out
        data = out.get("data", {})
        if "image/svg+xml" in data:
            svg = "".join(data["image/svg+xml"])
            name = self.figures.get(_svg_digest(svg))
            if name:
                alt = self.alts.get(name, "").replace('"', "'")
                lead = (f"La figure ci-dessous est la @fig-{name}, telle que le carnet l'affiche.\n\n"
                        if self.cited.get(f"fig-{name}") else "")
                return _markdown_output(f"{lead}![](/_generated/figures/{name}){{fig-alt=\"{alt}\"}}\n")
            return out
        if "text/markdown" in data:
            md = "".join(data["text/markdown"])
            found = list(_CAPTION.finditer(md))
            md = _CAPTION.sub("", md).rstrip() + "\n"
            lead = ""
            if found and self.cited.get(found[0]["id"]):
                lead = f"Le carnet affiche le @{found[0]['id']} :\n\n"
            elif found:  # a table the book does not show: its caption, unnumbered
                lead = f"*{found[0]['text']}*\n\n"
            return _markdown_output(lead + strip_dirs(md))
        if kind == "execute_result":
            return None  # a value echoed at the end of a cell: bookkeeping of the run, not a result
        if "text/plain" in data:
            data["text/plain"] = strip_dirs("".join(data["text/plain"]))
        return out


def _markdown_cell(text: str):
    without_iri_grammar()
    import nbformat

    return nbformat.v4.new_markdown_cell(text)


def _markdown_output(text: str):
    without_iri_grammar()
    import nbformat

    return nbformat.v4.new_output("display_data", data={"text/markdown": text})


def _report_figures(figures_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    digests, alts = {}, {}
    if figures_dir.is_dir():
        for svg in sorted(figures_dir.glob("*.svg")):
            digests[_svg_digest(svg.read_text(encoding="utf-8"))] = svg.stem
            sidecar = svg.with_suffix(".json")
            if sidecar.exists():
                alts[svg.stem] = json.loads(sidecar.read_text(encoding="utf-8")).get("alt", "")
    return digests, alts


def shown_in_book(report_dir: Path, generated: bool = True) -> set[str]:
    """Identifiers of the generated tables and figures that the book's sources include (``tbl-x``, ``fig-x``).

    ``generated``: the authored sections (report/sections/) are shown only when the run has their data,
    so read their generated copies (report/_generated/sections/: the section or its « no data » note);
    ``False`` reads the authored sections themselves (a cache key that does not depend on the last render).
    """
    out: set[str] = set()
    skip = {"_book", "_generated", "sections"} if generated else {"_book", "_generated"}
    sources = [q for q in Path(report_dir).rglob("*.qmd") if not skip & set(q.relative_to(report_dir).parts)]
    if generated:
        sources += sorted((Path(report_dir) / "_generated" / "sections").glob("*.md"))
    for qmd in sources:
        for kind, name in re.findall(r"_generated/(tables|figures)/([\w-]+)\.md", qmd.read_text(encoding="utf-8")):
            out.add(("tbl-" if kind == "tables" else "fig-") + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
    return out


def notebook_markdown(path: Path, figures_dir: Path, images_dir: Path, cited: set[str] | None = None) -> str:
    """One executed notebook as a section of the annex (nbconvert's Markdown exporter, after :class:`ReaderView`).

    ``cited``: identifiers of the tables and figures the book shows (see :func:`shown_in_book`); a notebook's
    table or figure among them cites it, any other is shown with its caption, unnumbered.
    """
    digests, alts = _report_figures(Path(figures_dir))
    c = Config()
    c.ReaderView.cited = dict.fromkeys(cited or (), True)
    c.ReaderView.figures = digests
    c.ReaderView.alts = alts
    c.MarkdownExporter.exclude_input_prompt = True
    c.MarkdownExporter.exclude_output_prompt = True
    exporter = MarkdownExporter(config=c)
    exporter.register_preprocessor(ReaderView(config=c), enabled=True)
    stem = Path(path).stem
    body, resources = exporter.from_filename(str(path), resources={
        "unique_key": stem, "output_files_dir": "/" + IMAGES_DIR})
    for name, data in (resources.get("outputs") or {}).items():
        target = Path(images_dir) / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8"))
    # an image nbconvert extracted (not a figure of the report): alternative text instead of its MIME type
    body = re.sub(r"!\[(?:svg|png|jpeg)\]\(([^)]+)\)", r'![](\1){fig-alt="Figure affichée par le carnet"}', body)
    title = resources.get("notebook_title") or stem
    ident = "sec-carnet-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"## {title} {{#{ident}}}\n\n{body.strip()}\n"


def notebooks_markdown(run_out: Path, figures_dir: Path, images_dir: Path, cited: set[str] | None = None) -> str:
    """Annex: every notebook executed for this edition, in order, as a reader sees it."""
    nb_dir = run_paths(run_out)["notebooks"]
    paths = sorted(nb_dir.glob("*.ipynb")) if nb_dir.is_dir() else []
    if not paths:
        return "Aucun carnet exécuté n'accompagne cette édition.\n"
    return "\n".join(notebook_markdown(p, figures_dir, images_dir, cited) for p in paths)
