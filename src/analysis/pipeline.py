"""The pipeline: clean → four analyses (in parallel) → metrics → report.

Every step is a parameterised notebook executed by papermill, skipped when its
inputs are unchanged (see :mod:`analysis.cache`). This module only orchestrates;
it imports nothing heavy until a step actually has to run, so that a build with
nothing to do is instant.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from analysis import cache
from analysis.config import NOTEBOOKS_DIR, REFERENCE_DIR, REPORT_DIR, RunParams, run_paths

RAW_PATTERNS = ("*.xlsx", "*.xlsm", "*.ods", "*.csv", "*.xls")


class StepFailed(Exception):
    """A notebook raised; carries the exception's name and message (picklable)."""

    USER_ERRORS = ("PrrError", "NoUsableInput", "NoDataInPeriod", "InputError", "ParameterError")

    def __init__(self, notebook: str, ename: str, evalue: str, executed: str):
        super().__init__(notebook, ename, evalue, executed)
        self.notebook, self.ename, self.evalue, self.executed = notebook, ename, evalue, executed

    @property
    def is_user_error(self) -> bool:
        return self.ename in self.USER_ERRORS

    def __str__(self) -> str:
        if self.is_user_error:
            return self.evalue
        return f"le carnet {self.notebook} a échoué ({self.ename}: {self.evalue}) ; voir {self.executed}"


@dataclass(frozen=True)
class NotebookStep:
    name: str  # also the metrics part name
    notebook: str  # file name under notebooks/
    inputs: str  # "raw" or "clean"


CLEAN_STEP = NotebookStep("clean", "01_clean.py", "raw")


def analysis_steps(notebooks_dir: Path = NOTEBOOKS_DIR) -> tuple[NotebookStep, ...]:
    """The analysis notebooks: every ``NN_<name>.py`` after the cleaning, in order.

    They read only the clean tables, never each other's outputs, so they run in
    parallel; adding an analysis is adding a notebook.
    """
    steps = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.py")):
        if path.name == CLEAN_STEP.notebook:
            continue
        steps.append(NotebookStep(path.stem.split("_", 1)[1], path.name, "clean"))
    return tuple(steps)


@dataclass
class BuildLog:
    """What a build ran and skipped, with timings, printed as it goes."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    quiet: bool = False

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def summary(self) -> str:
        ran = ", ".join(self.ran) or "rien"
        skipped = ", ".join(self.skipped) or "rien"
        return f"Exécuté : {ran}. Inchangé (sauté) : {skipped}."


def raw_files(raw: Path) -> list[Path]:
    """Input files of the cleaning: every workbook or CSV under the raw folder that can be read
    safely (links out of the folder are not followed), and the researcher's settings files."""
    from analysis.ingest.inputs import list_raw

    listing = list_raw(raw)
    return sorted([*listing.inputs, *listing.settings.values()])


def raw_input_hashes(raw: Path) -> dict[str, str]:
    """SHA-256 of every input of the cleaning, never failing on a file that cannot be read."""
    from analysis.ingest.inputs import input_hashes

    return input_hashes(raw)


#: Options passed to every notebook kernel: the kernel's own log (« Kernel is running over
#: TCP without encryption », debugger notices) is not for the user; cell errors still come back.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--Application.log_level=CRITICAL"]


def _step_key(step: NotebookStep, params: RunParams) -> str:
    nb_path = NOTEBOOKS_DIR / step.notebook
    source = nb_path.read_text(encoding="utf-8")
    paths = run_paths(params.out)
    if step.inputs == "raw":
        inputs = raw_input_hashes(params.raw)
    else:
        inputs = cache.hash_files(cache.files_under(paths["clean"], ("*.parquet",)), root=paths["clean"])
    parts = {
        "notebook": cache.sha256_file(nb_path),
        "params": params.notebook_parameters(),
        "inputs": inputs,
        "code": cache.hash_files(cache.module_closure(source), root=cache.PACKAGE_DIR),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "python": sys.version.split()[0],
    }
    return cache.step_key(parts)


def _step_outputs(step: NotebookStep, params: RunParams) -> list[Path]:
    paths = run_paths(params.out)
    outputs = [paths["notebooks"] / step.notebook.replace(".py", ".ipynb")]
    if step.name == "clean":
        outputs += cache.files_under(paths["clean"], ("*.parquet", "*.json"))
    else:
        outputs.append(Path(params.out) / "metrics" / f"{step.name}.json")
    return outputs


def execute_notebook(notebook: str, out_ipynb: str, parameters: dict) -> float:
    """Execute one jupytext notebook with papermill; return its wall time in seconds.

    Runs in a worker process. Timing metadata papermill adds is removed so that
    executed notebooks are identical between runs with identical inputs.
    """
    import jupytext
    import nbformat
    import papermill

    t0 = time.perf_counter()
    nb = jupytext.read(notebook)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = Path(out_ipynb)
    out.parent.mkdir(parents=True, exist_ok=True)
    src_ipynb = out.with_suffix(".input.ipynb")
    nbformat.write(nb, src_ipynb)
    try:
        papermill.execute_notebook(
            str(src_ipynb),
            str(out),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(Path(notebook).parent),
            extra_arguments=KERNEL_ARGUMENTS,
        )
    except papermill.PapermillExecutionError as exc:
        raise StepFailed(Path(notebook).name, exc.ename, str(exc.evalue), str(out)) from None
    finally:
        src_ipynb.unlink(missing_ok=True)
    executed = nbformat.read(out, as_version=4)
    executed.metadata.pop("papermill", None)
    for cell in executed.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(executed, out)
    return time.perf_counter() - t0


def _run_steps(steps, params: RunParams, force: bool, log: BuildLog, parallel: bool) -> None:
    paths = run_paths(params.out)
    store = cache.StepCache(paths["cache"])
    todo = []
    for step in steps:
        key = _step_key(step, params)
        if not force and store.is_fresh(step.name, key):
            log.skipped.append(step.name)
            log.say(f"  · {step.name} : inchangé, sauté")
        else:
            todo.append((step, key))
    if not todo:
        return
    parameters = params.notebook_parameters()
    jobs = [
        (str(NOTEBOOKS_DIR / s.notebook), str(paths["notebooks"] / s.notebook.replace(".py", ".ipynb")), parameters)
        for s, _ in todo
    ]
    for s, _ in todo:
        log.say(f"  ▶ {s.name} : exécution du carnet {s.notebook}")
    workers = min(len(jobs), os.cpu_count() or 1) if parallel else 1
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, initializer=_worker_ignores_sigint) as pool:
            futures = [pool.submit(execute_notebook, *job) for job in jobs]
            try:
                times = [f.result() for f in futures]
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                raise
    else:
        times = [execute_notebook(*job) for job in jobs]
    for (step, key), seconds in zip(todo, times, strict=True):
        store.record(step.name, key, _step_outputs(step, params))
        log.ran.append(step.name)
        log.seconds[step.name] = seconds
        log.say(f"  ✓ {step.name} : {seconds:.1f} s")


def _worker_ignores_sigint() -> None:
    """Analysis workers leave Ctrl-C to the main process (one French line, no worker tracebacks);
    the kernels they start run in their own session and are shut down by papermill."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _registry_env(raw: Path):
    """Name the raw folder's registry override (``services.csv``) for every step's kernel."""
    from contextlib import contextmanager

    from analysis.ingest.inputs import list_raw
    from analysis.reference import SERVICES_OVERRIDE_ENV

    @contextmanager
    def ctx():
        override = next((p for name, p in list_raw(raw).settings.items() if name == "services.csv"), None)
        before = os.environ.get(SERVICES_OVERRIDE_ENV)
        if override is None:
            os.environ.pop(SERVICES_OVERRIDE_ENV, None)
        else:
            os.environ[SERVICES_OVERRIDE_ENV] = str(Path(override).resolve())
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(SERVICES_OVERRIDE_ENV, None)
            else:
                os.environ[SERVICES_OVERRIDE_ENV] = before

    return ctx()


def run(params: RunParams, force: bool = False, log: BuildLog | None = None, parallel: bool = True) -> BuildLog:
    """Clean the raw folder and run the four analyses for the period; merge the metrics."""
    from analysis import metrics
    from analysis.ingest.inputs import raw_dir_problem

    log = log or BuildLog()
    problem = raw_dir_problem(Path(params.raw))
    if problem:
        from analysis.errors import InputError

        raise InputError(problem)
    _check_writable(Path(params.out))
    log.say(f"Période {params.start} → {params.end} ; données : {params.raw} ; sorties : {params.out}")
    with _registry_env(Path(params.raw)):
        _run_steps([CLEAN_STEP], params, force, log, parallel=False)
        _run_steps(analysis_steps(), params, force, log, parallel=parallel)
    metrics.merge(params.out)
    write_manifest(params)
    return log


def run_account(params: RunParams) -> list[str]:
    """The French end-of-run account written by the cleaning (files, rows, warnings)."""
    from analysis.ingest.runsummary import read_lines

    return read_lines(run_paths(params.out)["clean"])


def _check_writable(out: Path) -> None:
    from analysis.errors import InputError

    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"le dossier de sortie {out} ne peut pas être écrit ({exc.strerror})") from None


def write_manifest(params: RunParams) -> Path:
    """Provenance of the run: input hashes, row counts, parameters, versions, commit.

    This file is the only output that carries a timestamp.
    """
    import datetime as dt
    import subprocess
    from importlib import metadata as md

    paths = run_paths(params.out)
    metrics_path = paths["metrics"]
    m = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    try:
        commit = subprocess.run(
            ["git", "-C", str(NOTEBOOKS_DIR.parent), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(NOTEBOOKS_DIR.parent), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    packages = {d.metadata["Name"].lower(): d.version for d in md.distributions() if d.metadata["Name"]}
    manifest = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "parameters": {k: v for k, v in params.notebook_parameters().items()},
        "inputs": raw_input_hashes(params.raw),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "rows": {k: v for k, v in m.items() if k.startswith("rows.")},
        "commit": commit,
        "commit_dirty": dirty,
        "python": sys.version.split()[0],
        "packages": dict(sorted(packages.items())),
    }
    path = paths["manifest"]
    cache.write_atomic(path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return path


def render_key(params: RunParams) -> str:
    """Hash of everything the rendered report depends on."""
    paths = run_paths(params.out)
    sources = [p for p in cache.files_under(REPORT_DIR) if not str(p.relative_to(REPORT_DIR)).startswith(("_book", "_generated", "_variables.yml"))]
    parts = {
        "report": cache.hash_files(sources, root=REPORT_DIR),
        "metrics": cache.sha256_file(paths["metrics"]),
        "figures": cache.hash_files(cache.files_under(paths["figures"]), root=paths["figures"]),
        "tables": cache.hash_files(cache.files_under(paths["tables"]), root=paths["tables"]),
        "notebooks": cache.hash_files(cache.files_under(paths["notebooks"]), root=paths["notebooks"]),
        "clean": cache.hash_files(cache.files_under(paths["clean"]), root=paths["clean"]),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "code": cache.hash_files(cache.module_closure("import analysis.report.render, analysis.report.inputs"), root=cache.PACKAGE_DIR),
        "params": params.notebook_parameters(),
    }
    return cache.step_key(parts)


def render(params: RunParams, force: bool = False, log: BuildLog | None = None, engine: str = "auto") -> BuildLog:
    """Generate the report inputs from the run folder and render HTML and PDF."""
    log = log or BuildLog()
    paths = run_paths(params.out)
    if not paths["metrics"].exists():
        from analysis.errors import InputError

        raise InputError(f"aucune mesure dans {params.out} : lancez d'abord « prr run » (ou « prr build »)")
    store = cache.StepCache(paths["cache"])
    key = render_key(params)
    book = REPORT_DIR / "_book"
    stamp = book / ".prr-render-key"
    # the book folder is shared by every run: it is fresh only if it was rendered from this run's key
    if not force and store.is_fresh("render", key) and stamp.exists() and stamp.read_text() == key:
        log.skipped.append("render")
        log.say("  · rapport : inchangé, sauté")
        return log
    from analysis.report import render as render_mod
    from analysis.report.inputs import prepare_report_inputs

    t0 = time.perf_counter()
    log.say("  ▶ rapport : génération des entrées et rendu")
    prepare_report_inputs(params.out, REPORT_DIR, threshold=params.threshold, is_example=params.is_example)
    result = render_mod.render(REPORT_DIR, engine=engine)
    stamp.write_text(key)
    outputs = [p for p in cache.files_under(book) if p.suffix in (".html", ".pdf")]
    store.record("render", key, outputs)
    log.ran.append("render")
    log.seconds["render"] = time.perf_counter() - t0
    log.say(f"  ✓ rapport : {log.seconds['render']:.1f} s ({getattr(result, 'engine', '')})")
    return log
