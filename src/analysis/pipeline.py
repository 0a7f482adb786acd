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
from dataclasses import dataclass, field
from pathlib import Path

from analysis import cache
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


def execute_notebook(notebook: str, out_ipynb: str, parameters: dict, env: dict | None = None,
                     km=None) -> float:
    """Execute one jupytext notebook with papermill; return its wall time in seconds.

    Runs in a worker process; ``env`` is set for the kernel it starts. ``km``: a kernel
    already started for this notebook (:func:`start_kernel`), used instead of a new one
    (the caller shuts it down). Timing metadata papermill adds is removed and cell ids are
    numbered so that executed notebooks are identical between runs with identical inputs.
    """
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
        papermill.execute_notebook(
            str(src_ipynb),
            str(out),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(Path(notebook).parent),
            extra_arguments=KERNEL_ARGUMENTS,
            **({"km": km} if km is not None else {}),
        )
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
               pool: KernelPool | None = None, keys: dict[str, str] | None = None, km=None) -> None:
    """Run the steps whose key changed (or all with ``force``); ``keys``: keys already computed;
    ``km``: a kernel started ahead for the single step of ``steps`` (the cleaning)."""
    paths = run_paths(params.out)
    store = cache.StepCache(paths["cache"])
    todo = []
    for step in steps:
        key = (keys or {}).get(step.name) or _step_key(step, params)
        if not force and store.is_fresh(step.name, key):
            log.skipped.append(step.name)
            log.say(f"  · {step.name} : inchangé, sauté")
        else:
            todo.append((step, key))
    if not todo:
        return
    for s, _ in todo:
        log.say(f"  ▶ {s.name} : exécution du carnet {s.notebook}")
    workers = min(len(todo), os.cpu_count() or 1) if parallel else 1
    if workers > 1 or pool is not None:
        # longest first (seconds of the last run): the two workers finish closer together
        order = sorted(todo, key=lambda t: -_last_seconds(paths["cache"]).get(t[0].name, 0.0))
        own = pool is None
        pool = pool or KernelPool(workers)
        try:
            times = dict(zip([s.name for s, _ in order], pool.run([_job(s, params) for s, _ in order]),
                             strict=True))
        finally:
            if own:
                pool.close()
        times = [times[s.name] for s, _ in todo]
    elif km is not None and len(todo) == 1:
        times = [execute_notebook(*_job(todo[0][0], params), km=km)]
    else:
        times = [execute_notebook(*_job(s, params)) for s, _ in todo]
    for (step, key), seconds in zip(todo, times, strict=True):
        store.record(step.name, key, _step_outputs(step, params))
        log.ran.append(step.name)
        log.seconds[step.name] = seconds
        log.say(f"  ✓ {step.name} : {seconds:.1f} s")
    _remember_seconds(paths["cache"], {s.name: log.seconds[s.name] for s, _ in todo})


def _job(step: NotebookStep, params: RunParams) -> tuple:
    """The arguments of :func:`execute_notebook` for a step."""
    paths = run_paths(params.out)
    return (str(NOTEBOOKS_DIR / step.notebook), str(paths["notebooks"] / step.notebook.replace(".py", ".ipynb")),
            params.notebook_parameters(step.name), _step_env(step))


SECONDS_MEMO = "step-seconds.json"


def _last_seconds(cache_dir: Path) -> dict[str, float]:
    """How long each step took when it last ran (orders the analyses, longest first)."""
    try:
        data = json.loads((Path(cache_dir) / SECONDS_MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else {}


def _remember_seconds(cache_dir: Path, seconds: dict[str, float]) -> None:
    data = _last_seconds(cache_dir) | {k: round(v, 2) for k, v in seconds.items()}
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    cache.write_atomic(Path(cache_dir) / SECONDS_MEMO, json.dumps(data, indent=1, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- kernels started ahead


def warm_up_code(notebook: str | Path, lazy: bool = False) -> str:
    """The notebook's import statements, as one line a kernel runs as it starts.

    Run in a throwaway namespace (the notebook's own namespace stays empty) and with no
    history (execution counts unchanged): the executed notebook is the same as with a
    cold kernel, only its import cell returns sooner.
    """
    import ast

    tree = ast.parse(Path(notebook).read_text(encoding="utf-8"))
    code = "\n".join(ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom))
    if lazy:  # an analysis: what its functions import when called
        code += "".join(f"\ntry:\n    import {m}\nexcept ImportError:\n    pass" for m in LAZY_IMPORTS)
    return f"exec(compile({code!r}, '<prr-warm-up>', 'exec'), {{}})"


#: Modules the analyses import inside their functions (statsmodels alone takes about 2 s to
#: import): imported ahead too by a kernel started early.
LAZY_IMPORTS = ("statsmodels.api",)


def start_kernel(notebook: str | Path, env: dict | None = None, lazy: bool = False):
    """Start the kernel of a notebook now (its imports run as it starts); return its manager.

    The process is launched and this returns at once: the kernel imports while the caller
    does something else; papermill connects to it later (``execute_notebook(..., km=...)``).
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3")
    args = [*KERNEL_ARGUMENTS, "--HistoryManager.hist_file=:memory:",
            f"--IPKernelApp.exec_lines={warm_up_code(notebook, lazy)}"]
    run_sync(km.start_kernel)(extra_arguments=args, cwd=str(Path(notebook).parent),
                              env={**os.environ, **(env or {})})
    return km


def stop_kernel(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is already gone
        pass


def _kernel_worker(conn) -> None:
    """A worker of :class:`KernelPool`: runs notebooks one at a time, each in a kernel of its own.

    Messages: ``("warm", job)`` starts the kernel of that job now; ``("run", job)`` executes it
    (in the warm kernel if it is this job's, else in a new one) and answers ``("ok", seconds)``
    or ``("failed", exception)``; ``("stop",)`` ends the worker and its kernels.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's (one French line)
    warm = None
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                break
            job = msg[1]
            if warm is not None and (msg[0] == "warm" or warm[0] != job[0]):
                stop_kernel(warm[1])
                warm = None
            if msg[0] == "warm":
                try:
                    warm = (job[0], start_kernel(job[0], job[3], lazy=True))
                except Exception:  # noqa: BLE001 - the job will start its own kernel and report
                    warm = None
                _import_papermill()  # while the kernel starts
                continue
            km, warm = (warm[1] if warm is not None else None), None
            try:
                conn.send(("ok", execute_notebook(*job, km=km)))
            except StepFailed as exc:
                conn.send(("failed", exc))
            except Exception as exc:  # noqa: BLE001 - sent back to the main process, raised there
                conn.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))
            finally:
                if km is not None:
                    stop_kernel(km)
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        if warm is not None:
            stop_kernel(warm[1])


def _import_papermill() -> None:
    """Import what executing a notebook needs in this process (papermill, jupytext, nbformat: several
    seconds, mostly jsonschema's grammars); a worker forked afterwards has them already."""
    import jupytext  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401


class KernelPool:
    """Worker processes executing the analysis notebooks, two at a time on two cores.

    A worker can start a notebook's kernel ahead (:meth:`warm`), while the clean step runs:
    the kernel's start and its imports (pandas, statsmodels, matplotlib: about 4 s each) are
    then off the critical path. A job goes to the worker whose warm kernel is its own when
    there is one; otherwise to any free worker (a warm kernel that is not needed is stopped).
    """

    def __init__(self, workers: int):
        import multiprocessing as mp

        # spawned, not forked: this process may already hold a kernel's zmq context (the cleaning's)
        ctx = mp.get_context("spawn")
        self._conns, self._procs, self._warm = [], [], []
        for _ in range(max(1, workers)):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_kernel_worker, args=(child,), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
            self._warm.append(None)

    def warm(self, jobs: list[tuple]) -> None:
        """Start the kernels of ``jobs`` (one per worker, in order) now."""
        for k, job in enumerate(jobs[: len(self._conns)]):
            self._conns[k].send(("warm", job))
            self._warm[k] = job[0]

    def run(self, jobs: list[tuple]) -> list[float]:
        """Execute ``jobs`` (in this order of priority); the seconds each took. Raises the first failure
        (in ``jobs`` order) once the running notebooks are done."""
        from multiprocessing.connection import wait

        pending = list(range(len(jobs)))
        times: dict[int, float] = {}
        failures: dict[int, BaseException] = {}
        busy: dict[int, int] = {}  # worker → job index

        def give(worker: int) -> None:
            if failures or not pending:
                return
            mine = next((j for j in pending if jobs[j][0] == self._warm[worker]), None)
            if mine is None:  # a job whose kernel is warm elsewhere waits for that worker
                others = {w for w in self._warm if w is not None}
                mine = next((j for j in pending if jobs[j][0] not in others), pending[0])
            pending.remove(mine)
            self._warm[worker] = None
            self._conns[worker].send(("run", jobs[mine]))
            busy[worker] = mine

        for w in range(len(self._conns)):
            give(w)
        while busy:
            ready = wait([self._conns[w] for w in busy])
            for w in list(busy):
                if self._conns[w] in ready:
                    try:
                        status, value = self._conns[w].recv()
                    except EOFError:
                        status, value = "failed", RuntimeError("un processus d'analyse s'est arrêté")
                    j = busy.pop(w)
                    if status == "ok":
                        times[j] = value
                    else:
                        failures[j] = value
                    give(w)
        if failures:
            raise failures[min(failures)]
        return [times[j] for j in range(len(jobs))]

    def close(self) -> None:
        for conn in self._conns:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
        for conn in self._conns:
            conn.close()


def _step_env(step: NotebookStep) -> dict:
    """An analysis kernel sees only the clean tables its notebook declares
    (:data:`analysis.ingest.schema.READS_ENV`)."""
    if step.inputs != "clean" or step.reads is None:
        return {}
    from analysis.ingest.schema import READS_ENV

    return {READS_ENV: ",".join(step.reads)}


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
        steps = analysis_steps()
        workers = min(len(steps), os.cpu_count() or 1) if parallel else 1
        pool, clean_km = None, None
        clean_key = _step_key(CLEAN_STEP, params)
        try:
            if force or not cache.StepCache(run_paths(params.out)["cache"]).is_fresh(CLEAN_STEP.name, clean_key):
                # the cleaning will run: its kernel starts (and imports) while this process imports
                # papermill; then the first analyses' kernels start, they import while it cleans
                clean_km = start_kernel(NOTEBOOKS_DIR / CLEAN_STEP.notebook)
                if workers > 1:
                    last = _last_seconds(run_paths(params.out)["cache"])
                    planned = sorted(steps, key=lambda s: -last.get(s.name, 0.0))
                    pool = KernelPool(workers)
                    pool.warm([_job(s, params) for s in planned])
                _import_papermill()
            _run_steps([CLEAN_STEP], params, force, log, parallel=False, keys={CLEAN_STEP.name: clean_key},
                       km=clean_km)
            _run_steps(steps, params, force, log, parallel=parallel, pool=pool)
        finally:
            if clean_km is not None:
                stop_kernel(clean_km)
            if pool is not None:
                pool.close()
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
