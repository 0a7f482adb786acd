"""The package layout shows the flow, and its import rules hold.

ingest → analyses → publish → report; example apart; orchestration at the top.
The rules are read from the source (every ``import`` statement, including those
inside functions), so a lazy import cannot hide a forbidden dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis import cache

PACKAGE_DIR = cache.PACKAGE_DIR
SUBPACKAGES = ("ingest", "analyses", "publish", "report", "example")
TOP_LEVEL = {"config", "cache", "pipeline", "cli", "metrics", "errors", "reference", "lab", "kernelfork"}

#: What each layer may import from the package (besides itself). The top level's
#: leaf modules (config, errors, reference, cache, metrics) import no layer; only the
#: orchestration (pipeline, cli) may reach every layer.
ALLOWED = {
    "ingest": {"top", "publish"},
    "analyses": {"top", "ingest"},
    "publish": {"top", "ingest", "analyses"},
    "report": {"top", "publish", "analyses", "ingest"},
    "example": {"top", "ingest"},
    "top-leaf": {"top"},
    "top-orchestration": {"top", "ingest", "analyses", "publish", "report", "example"},
}
ORCHESTRATION = {"pipeline", "cli"}

#: Calls that write a file a reader could see. Outside ``publish`` and ``report``
#: nothing may make them; ingest writes internal Parquet (``to_parquet``) only.
#: Internal files that ingest/analyses may write with these calls, and why they are not reader-facing.
INTERNAL_WRITERS = {
    "ingest/runsummary.py": "run-summary.json, the researcher's end-of-run account inside the run folder",
}
READER_FACING_WRITES = {"savefig", "to_csv", "to_excel", "write_text", "write_bytes", "to_markdown", "to_html"}


def modules() -> dict[str, Path]:
    """Dotted name → file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).with_suffix("")
        parts = ["analysis", *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def imports_of(path: Path) -> set[str]:
    """Package modules imported anywhere in a file (``from analysis.x import y`` counts y when it is a module)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # imports under ``if TYPE_CHECKING:`` exist for annotations only: they never run
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("analysis"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            sub = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found.update(sub or {node.module})
    return {m for m in found if m in MODULES and m != "analysis"}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in SUBPACKAGES:
        return parts[1]
    if len(parts) >= 2 and parts[1] in ORCHESTRATION:
        return "top-orchestration"
    return "top-leaf"


def layer_group(module: str) -> str:
    name = layer(module)
    return "top" if name.startswith("top") else name


GRAPH = {m: imports_of(p) for m, p in MODULES.items()}


def test_every_subpackage_exists_and_top_level_is_orchestration_only():
    for sub in SUBPACKAGES:
        assert (PACKAGE_DIR / sub / "__init__.py").is_file(), sub
    top = {p.stem for p in PACKAGE_DIR.glob("*.py")} - {"__init__"}
    assert top == TOP_LEVEL, f"modules at the top that are not orchestration: {sorted(top - TOP_LEVEL)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_flow(module):
    allowed = ALLOWED[layer(module)] | {layer_group(module)}
    bad = sorted(m for m in GRAPH[module] if layer_group(m) not in allowed)
    assert not bad, f"{module} ({layer(module)}) may not import {bad}"


def test_no_import_cycles():
    """Tarjan's strongly connected components over the module graph: every component is one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("sub", ["ingest", "analyses"])
def test_only_publish_writes_reader_facing_files(sub):
    offenders = []
    for path in sorted((PACKAGE_DIR / sub).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in READER_FACING_WRITES and str(path.relative_to(PACKAGE_DIR)) not in INTERNAL_WRITERS:
                    offenders.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} {node.func.attr}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.startswith("matplotlib") for n in names):
                    offenders.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} imports matplotlib")
    assert not offenders, offenders


def test_pipeline_never_imports_the_example():
    """The synthetic example is apart: a run of real data never loads its code."""
    closure = {str(p.relative_to(PACKAGE_DIR)) for p in cache.module_closure("import analysis.pipeline")}
    assert not any(p.startswith("example/") for p in closure), closure
