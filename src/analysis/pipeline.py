"""The pipeline: clean → four analyses (in parallel) → metrics → report.

Every step is a parameterised notebook executed by papermill, skipped when its
inputs are unchanged (see :mod:`analysis.cache`). This module only orchestrates;
it imports nothing heavy until a step actually has to run, so that a build with
nothing to do is instant.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from analysis import cache, kernelfork
from analysis.config import COMPARE_STEPS, NOTEBOOKS_DIR, REFERENCE_DIR, REPORT_DIR, RunParams, run_paths

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
    #: the clean tables the notebook reads (its ``# reads:`` line); ``None``: every table
    reads: tuple[str, ...] | None = None


CLEAN_STEP = NotebookStep("clean", "01_clean.py", "raw")

_READS_LINE = re.compile(r"^#\s*reads\s*:\s*(?P<tables>\w+(?:\s*,\s*\w+)*)", re.M)


def notebook_reads(path: Path) -> tuple[str, ...] | None:
    """The clean tables a notebook declares it reads, from a ``# reads: users, census`` line.

    A notebook without such a line depends on every clean table (the safe default).
    """
    m = _READS_LINE.search(Path(path).read_text(encoding="utf-8"))
    if m is None:
        return None
    return tuple(sorted({t.strip() for t in m["tables"].split(",") if t.strip()}))


def analysis_steps(notebooks_dir: Path = NOTEBOOKS_DIR) -> tuple[NotebookStep, ...]:
    """The analysis notebooks: every ``NN_<name>.py`` after the cleaning, in order.

    They read only the clean tables, never each other's outputs, so they run in
    parallel; adding an analysis is adding a notebook.
    """
    steps = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.py")):
        if path.name == CLEAN_STEP.notebook:
            continue
        steps.append(NotebookStep(path.stem.split("_", 1)[1], path.name, "clean", notebook_reads(path)))
    return tuple(steps)


@dataclass
class BuildLog:
    """What a build ran and skipped, with timings, printed as it goes."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    quiet: bool = False
    render: object = None  # the last RenderResult, if a render ran

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


def table_digests(clean_dir: Path, cache_dir: Path) -> dict[str, str]:
    """Content digest of every clean table: its data, without :data:`PROVENANCE_COLUMNS`.

    Two clean tables with the same rows and values have the same digest, whatever
    the parquet bytes or the hash of the workbook they came from. Digests are
    remembered in ``<out>/.cache/clean-digests.json`` next to the parquet file's own
    SHA-256, so that pandas is only imported when a table actually changed.
    """
    clean_dir, cache_dir = Path(clean_dir), Path(cache_dir)
    memo_path = cache_dir / cache.DIGESTS_MEMO
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    out, fresh = {}, {}
    for path in cache.files_under(clean_dir, ("*.parquet",)):
        name = path.relative_to(clean_dir).as_posix().removesuffix(".parquet")
        file_sha = cache.sha256_file(path)
        known = memo.get(name)
        if isinstance(known, dict) and known.get("file") == file_sha and known.get("content"):
            digest = known["content"]
        else:
            from analysis.ingest.schema import PROVENANCE_COLUMNS

            digest = _content_digest(path, PROVENANCE_COLUMNS.get(name, ()))
        out[name] = digest
        fresh[name] = {"file": file_sha, "content": digest}
    if fresh != memo:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache.write_atomic(memo_path, json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    return out


def _content_digest(path: Path, drop: tuple[str, ...]) -> str:
    """SHA-256 of a parquet table's column names, types and values (row order kept), ``drop`` left out.

    Analyses never see the dropped columns (:data:`analysis.ingest.schema.PROVENANCE_COLUMNS`).
    """
    import pandas as pd

    return cache.frame_digest(pd.read_parquet(path), drop)


def _settings_hashes(raw: Path) -> dict[str, str]:
    """The researcher's settings files in the raw folder (``services.csv`` is read by every step)."""
    from analysis.ingest.inputs import list_raw

    return {name: cache.sha256_file(p) for name, p in sorted(list_raw(raw).settings.items())}


def _step_key(step: NotebookStep, params: RunParams) -> str:
    nb_path = NOTEBOOKS_DIR / step.notebook
    source = nb_path.read_text(encoding="utf-8")
    paths = run_paths(params.out)
    if step.inputs == "raw":
        inputs = raw_input_hashes(params.raw)
    else:
        digests = table_digests(paths["clean"], paths["cache"])
        wanted = digests.keys() if step.reads is None else step.reads
        unknown = sorted(set(wanted) - digests.keys())
        if unknown:
            from analysis.errors import InputError

            raise InputError(f"le carnet {step.notebook} déclare lire la table nettoyée « {unknown[0]} », "
                             f"qui n'existe pas (tables : {', '.join(sorted(digests))})")
        inputs = {"tables": {t: digests.get(t) for t in sorted(wanted)},
                  "settings": _settings_hashes(Path(params.raw))}
    parts = {
        "notebook": cache.sha256_file(nb_path),
        "params": params.notebook_parameters(step.name),
        "inputs": inputs,
        "code": cache.hash_files(cache.module_closure(source), root=cache.PACKAGE_DIR),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "python": sys.version.split()[0],
    }
    if step.name in COMPARE_STEPS:
        parts["compared"] = compared_inputs(params)
    return cache.step_key(parts)


def compared_inputs(params: RunParams) -> dict[str, dict[str, str]]:
    """Hashes of what a comparison step reads from each earlier run: clean tables, metrics, manifest."""
    out = {}
    for run in params.compare:
        paths = run_paths(run)
        files = cache.files_under(paths["clean"], ("*.parquet",))
        files += [p for p in (paths["metrics"], paths["manifest"]) if p.is_file()]
        out[str(Path(run).resolve())] = cache.hash_files(files, root=Path(run))
    return out


def _step_outputs(step: NotebookStep, params: RunParams) -> list[Path]:
    paths = run_paths(params.out)
    outputs = [paths["notebooks"] / step.notebook.replace(".py", ".ipynb")]
    if step.name == "clean":
        outputs += cache.files_under(paths["clean"], ("*.parquet", "*.json"))
    else:
        outputs.append(Path(params.out) / "metrics" / f"{step.name}.json")
    return outputs


#: How many times a notebook kernel that dies while starting (before any cell) is started again.
KERNEL_START_ATTEMPTS = 3


def execute_notebook(notebook: str, out_ipynb: str, parameters: dict, env: dict | None = None) -> float:
    """Execute one jupytext notebook with papermill; return its wall time in seconds.

    Runs in a worker process; ``env`` is set for the kernel it starts. Timing
    metadata papermill adds is removed and cell ids are numbered so that executed
    notebooks are identical between runs with identical inputs.
    """
    from analysis.config import without_iri_grammar

    without_iri_grammar()
    import jupytext
    import nbformat
    import papermill

    t0 = time.perf_counter()
    nb = jupytext.read(notebook)
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{k:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = Path(out_ipynb)
    out.parent.mkdir(parents=True, exist_ok=True)
    src_ipynb = out.with_suffix(".input.ipynb")
    nbformat.write(nb, src_ipynb)
    before = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        for attempt in range(KERNEL_START_ATTEMPTS):
            try:
                papermill.execute_notebook(
                    str(src_ipynb),
                    str(out),
                    parameters=parameters,
                    kernel_name="python3",
                    progress_bar=False,
                    cwd=str(Path(notebook).parent),
                    extra_arguments=KERNEL_ARGUMENTS,
                    # the last cell has run and every file it wrote is closed: the kernel is stopped at
                    # once instead of waiting for its interpreter to tear down (about 0.4 s a notebook)
                    shutdown_kernel="immediate",
                    **({"kernel_manager_class": kernelfork.manager_class()} if kernelfork.in_use() else {}),
                )
                break
            except RuntimeError as exc:
                # Two kernels starting at once on one machine may pick the same free port (jupyter_client
                # picks then releases it): the kernel dies before running any cell, so starting again is safe.
                if "Kernel died before replying" not in str(exc) or attempt == KERNEL_START_ATTEMPTS - 1:
                    raise
    except papermill.PapermillExecutionError as exc:
        raise StepFailed(Path(notebook).name, exc.ename, str(exc.evalue), str(out)) from None
    finally:
        src_ipynb.unlink(missing_ok=True)
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    executed = nbformat.read(out, as_version=4)
    executed.metadata.pop("papermill", None)
    for k, cell in enumerate(executed.cells):
        cell["id"] = f"cell-{k:03d}"  # papermill gives its injected cell a random id
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(executed, out)
    return time.perf_counter() - t0


def _run_steps(steps, params: RunParams, force: bool, log: BuildLog, parallel: bool,
               kernels: kernelfork.server | None = None) -> None:
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
    if kernels is not None:
        kernels.start()  # before the workers are created: they inherit its name
    jobs = [
        (str(NOTEBOOKS_DIR / s.notebook), str(paths["notebooks"] / s.notebook.replace(".py", ".ipynb")),
         params.notebook_parameters(s.name), _step_env(s))
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


#: Every kernel's linear algebra (OpenBLAS, MKL, OpenMP) on one thread: the steps already run side by
#: side on the cores, and results must not depend on the machine: a model fitted with BLAS split
#: over 2 threads differs in its last digits from the same fit on 1 or 8.
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def kernel_server() -> kernelfork.server:
    """The run's kernel server (started when a step runs): its libraries are imported with the
    kernels' single-thread linear algebra (:data:`SINGLE_THREAD_ENV`)."""
    return kernelfork.server({**os.environ, **SINGLE_THREAD_ENV})


def _step_env(step: NotebookStep) -> dict:
    """The environment of a step's kernel: linear algebra on one thread (:data:`SINGLE_THREAD_ENV`),
    and an analysis kernel sees only the clean tables its notebook declares
    (:data:`analysis.ingest.schema.READS_ENV`)."""
    env = dict(SINGLE_THREAD_ENV)
    if step.inputs != "clean" or step.reads is None:
        return env
    from analysis.ingest.schema import READS_ENV

    return {**env, READS_ENV: ",".join(step.reads)}


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
    imports_memo = run_paths(params.out)["cache"] / cache.IMPORTS_MEMO
    cache.load_imports(imports_memo)
    log.say(f"Période {params.start} → {params.end} ; données : {params.raw} ; sorties : {params.out}")
    with _registry_env(Path(params.raw)), kernel_server() as kernels:
        _run_steps([CLEAN_STEP], params, force, log, parallel=False, kernels=kernels)
        _run_steps(analysis_steps(), params, force, log, parallel=parallel, kernels=kernels)
    metrics.merge(params.out)
    write_manifest(params)
    cache.save_imports(imports_memo)
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
        "compare": [str(Path(p).resolve()) for p in params.compare],
        "commit": commit,
        "commit_dirty": dirty,
        "python": sys.version.split()[0],
        "packages": dict(sorted(packages.items())),
    }
    path = paths["manifest"]
    cache.write_atomic(path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return path


def _manifest_digest(path: Path) -> str | None:
    """What the report shows of ``manifest.json`` (the provenance annex): everything but the
    creation time and the input files' hashes (their names are kept), which change when a
    workbook is re-saved with the same values."""
    if not path.is_file():
        return None
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    man.pop("created", None)
    man["inputs"] = sorted(man.get("inputs") or {})
    return cache.step_key(man)


def refresh_comparison(params: RunParams, force: bool, log: BuildLog) -> None:
    """``prr render --compare``: (re)run the comparison steps of an existing run when the compared
    runs changed, then merge the metrics (skipped when nothing changed)."""
    from analysis import metrics

    steps = [s for s in analysis_steps() if s.name in COMPARE_STEPS]
    ran = len(log.ran)
    _run_steps(steps, params, force, log, parallel=False)
    if len(log.ran) > ran:
        metrics.merge(params.out)
        write_manifest(params)


def render_key(params: RunParams) -> str:
    """Hash of everything the rendered report depends on.

    The clean tables are not part of it: the report reads the run's metrics, figures,
    tables, executed notebooks and manifest, never the clean tables themselves.
    """
    paths = run_paths(params.out)
    sources = [p for p in cache.files_under(REPORT_DIR) if not str(p.relative_to(REPORT_DIR)).startswith(("_book", "_generated", "_variables.yml"))]
    parts = {
        "report": cache.hash_files(sources, root=REPORT_DIR),
        "metrics": cache.sha256_file(paths["metrics"]),
        "figures": cache.hash_files(cache.files_under(paths["figures"]), root=paths["figures"]),
        "tables": cache.hash_files(cache.files_under(paths["tables"]), root=paths["tables"]),
        "notebooks": cache.hash_files(cache.files_under(paths["notebooks"]), root=paths["notebooks"]),
        "manifest": _manifest_digest(paths["manifest"]),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "code": cache.hash_files(cache.module_closure("import analysis.report.render, analysis.report.inputs"), root=cache.PACKAGE_DIR),
        "params": params.notebook_parameters(),
    }
    return cache.step_key(parts)


def inputs_key(params: RunParams) -> str:
    """Hash of what the report inputs (``_variables.yml``, ``_generated/``) are made from.

    The run's outputs, the reference tables, the code that writes them, the parameters, and
    what they read from the report's sources: the index of vignettes (which chapter includes
    which vignette), hashed as the text of that annex, and which generated tables and figures
    the chapters include (the notebooks annex names them). Editing a chapter's prose
    leaves this key unchanged: the inputs (and their matplotlib figures) are not regenerated.
    """
    from analysis.report.inputs import vignettes_markdown
    from analysis.report.notebooks import shown_in_book

    paths = run_paths(params.out)
    parts = {
        "metrics": cache.sha256_file(paths["metrics"]),
        "figures": cache.hash_files(cache.files_under(paths["figures"]), root=paths["figures"]),
        "tables": cache.hash_files(cache.files_under(paths["tables"]), root=paths["tables"]),
        "notebooks": cache.hash_files(cache.files_under(paths["notebooks"]), root=paths["notebooks"]),
        "manifest": _manifest_digest(paths["manifest"]),
        "reference": cache.hash_files(cache.files_under(REFERENCE_DIR), root=REFERENCE_DIR),
        "code": cache.hash_files(cache.module_closure("import analysis.report.inputs, analysis.report.notebooks"),
                                 root=cache.PACKAGE_DIR),
        "vignettes": vignettes_markdown(REPORT_DIR),
        "shown": sorted(shown_in_book(REPORT_DIR, generated=False)),
        "params": params.notebook_parameters(),
    }
    return cache.step_key(parts)


def _generated_files() -> list[Path]:
    return [*cache.files_under(REPORT_DIR / "_generated"), REPORT_DIR / "_variables.yml"]


def prepare_inputs(params: RunParams, store: cache.StepCache, force: bool = False) -> bool:
    """Write the report inputs unless they are already those of this run; True when written."""
    from analysis.report.inputs import prepare_report_inputs

    key = inputs_key(params)
    if not force and store.is_fresh("report-inputs", key) and (REPORT_DIR / "_variables.yml").is_file():
        return False
    prepare_report_inputs(params.out, REPORT_DIR, threshold=params.threshold, is_example=params.is_example)
    store.record("report-inputs", key, _generated_files())
    return True


RENDER_FORMATS = ("html", "pdf")


def render(params: RunParams, force: bool = False, log: BuildLog | None = None, engine: str = "auto",
           formats: tuple[str, ...] = RENDER_FORMATS, pdf_link: bool | None = None) -> BuildLog:
    """Generate the report inputs from the run folder and render the book (HTML and PDF by default).

    Each format is skipped when it was last rendered from the same inputs (``render_key``);
    otherwise the report inputs are regenerated only if the run changed (``inputs_key``),
    and the fallback renderer redoes only what changed (see ``analysis.report.render``).
    ``--force`` also empties the renderer's cache (``report/.prr-cache``).
    """
    log = log or BuildLog()
    paths = run_paths(params.out)
    if not paths["metrics"].exists():
        from analysis.errors import InputError

        raise InputError(f"aucune mesure dans {params.out} : lancez d'abord « prr run » (ou « prr build »)")
    if params.compare and not set(COMPARE_STEPS) & set(log.ran + log.skipped):
        refresh_comparison(params, force, log)
    store = cache.StepCache(paths["cache"])
    key = render_key(params)
    book = REPORT_DIR / "_book"

    def stamp(fmt: str) -> Path:
        return book / f".prr-render-key-{fmt}"

    # the book folder is shared by every run: a format is fresh only if it was rendered from this run's key
    todo = tuple(f for f in formats if force or not (
        store.is_fresh(f"render-{f}", key) and stamp(f).is_file() and stamp(f).read_text() == key))
    if not todo:
        log.skipped.append("render")
        log.say("  · rapport : inchangé, sauté")
        return log
    from analysis.report import render as render_mod

    t0 = time.perf_counter()
    if force:
        import shutil

        shutil.rmtree(REPORT_DIR / render_mod.CACHE_DIRNAME, ignore_errors=True)
    log.say(f"  ▶ rapport : rendu {' + '.join(x.upper() for x in todo)}")
    if prepare_inputs(params, store, force):
        log.say("    entrées du rapport régénérées depuis le run")
    result = render_mod.render(REPORT_DIR, formats=todo, engine=engine, pdf_link=pdf_link, quiet=log.quiet)
    for f in todo:
        stamp(f).write_text(key)
        outputs = [p for p in cache.files_under(book) if (p.suffix == ".pdf") == (f == "pdf")
                   and p.suffix in (".html", ".pdf")]
        store.record(f"render-{f}", key, outputs)
    log.ran.append("render")
    log.seconds["render"] = time.perf_counter() - t0
    log.render = result
    changed = len(getattr(result, "changed", []))
    log.say(f"  ✓ rapport : {log.seconds['render']:.1f} s ({getattr(result, 'engine', '')}, "
            f"{changed} fichier{'s' if changed > 1 else ''} réécrit{'s' if changed > 1 else ''})")
    return log
