"""Kernels forked from the run's kernel server (:mod:`analysis.kernelfork`): what a notebook sees is
what an ordinary kernel would give it, kernels do not outlive their notebook, and without a server
the same launcher starts an ordinary kernel."""

from __future__ import annotations

import json
import os
import time

import pytest

from analysis import kernelfork
from analysis.pipeline import SINGLE_THREAD_ENV, StepFailed, execute_notebook

pytestmark = pytest.mark.skipif(not kernelfork.available(), reason="kernels are forked on Linux only")

PROBE = '''# %% tags=["parameters"]
out = ""

# %%
import json, os, sys
json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
           "reads": os.environ.get("PRR_TEST_STEP"), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
           "preloaded": "analysis.ingest.clean" in sys.modules, "argv": sys.argv}, open(out, "w"))
'''


def _probe(tmp_path, name: str = "probe", body: str = PROBE) -> tuple[dict, float]:
    nb = tmp_path / f"{name}.py"
    nb.write_text(body, encoding="utf-8")
    out = tmp_path / f"{name}.json"
    execute_notebook(str(nb), str(tmp_path / f"{name}.ipynb"), {"out": str(out)}, {**SINGLE_THREAD_ENV, "PRR_TEST_STEP": name})
    return json.loads(out.read_text()), time.time()


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_kernel_is_forked_from_the_server_and_sees_its_own_step(tmp_path):
    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        assert kernelfork.in_use()
        first, _ = _probe(tmp_path, "first")
        second, _ = _probe(tmp_path, "second")
        server_pid = kernels.process.pid
    assert not kernelfork.in_use() and kernels.process is None
    for seen, name in ((first, "first"), (second, "second")):
        assert seen["ppid"] == server_pid  # forked, not started by the launcher
        assert seen["preloaded"]  # the server's imports came with the fork
        assert seen["reads"] == name  # the step's own environment, given after the fork
        assert seen["blas"] == "1"
        assert seen["cwd"] == str(tmp_path)
        assert _gone(seen["pid"]), "the kernel outlived its notebook"
    assert first["pid"] != second["pid"]


def test_a_failing_cell_is_reported_as_with_an_ordinary_kernel(tmp_path):
    body = '# %%\nraise ValueError("colonne manquante")\n'
    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        nb = tmp_path / "fails.py"
        nb.write_text(body, encoding="utf-8")
        with pytest.raises(StepFailed) as err:
            execute_notebook(str(nb), str(tmp_path / "fails.ipynb"), {}, {})
    assert "colonne manquante" in str(err.value)


def test_without_a_reachable_server_the_launcher_starts_an_ordinary_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv(kernelfork.SERVER_ENV, str(tmp_path / "no-such-socket"))
    seen, _ = _probe(tmp_path)
    assert not seen["preloaded"] and seen["ppid"] == os.getpid()  # the launcher became the kernel
    assert "ipykernel_launcher" in seen["argv"][0]
    assert _gone(seen["pid"])


def test_the_server_refuses_nothing_it_cannot_serve(tmp_path):
    """A request without the launcher's streams gets no kernel (and the server keeps serving)."""
    import socket

    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        path = os.environ[kernelfork.SERVER_ENV]
        deadline = time.time() + 30
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
            conn.connect(path)
            conn.send(json.dumps({"argv": [], "env": {}, "cwd": "/"}).encode())
            assert conn.recv(64) == b""  # closed without a pid
        seen, _ = _probe(tmp_path)
        assert seen["ppid"] == kernels.process.pid


def _local_function() -> int:
    return 1


def test_a_call_runs_in_a_forked_process_and_errors_come_back():
    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        call = kernelfork.ForkedCall(os.getpid)
        assert call.forked
        pid = call.result()
        assert pid != os.getpid() and kernelfork.ForkedCall(os.getppid).result() == kernels.process.pid
        assert _gone(pid)
        with pytest.raises(RuntimeError, match="ValueError : invalid literal"):
            kernelfork.ForkedCall(int, "pas un nombre").result()
        with pytest.raises(RuntimeError, match="ModuleNotFoundError"):  # a function the server cannot import
            kernelfork.ForkedCall(_local_function).result()
    inline = kernelfork.ForkedCall(os.getpid)  # no server: run here
    assert not inline.forked and inline.result() == os.getpid()


def test_a_spilled_table_written_by_a_forked_process_is_the_same_file(tmp_path):
    import filecmp

    from analysis.config import EXAMPLE_END, EXAMPLE_RAW_DIR, EXAMPLE_START
    from analysis.ingest.clean import run_cleaning
    from analysis.ingest.parts import SpilledTable
    from analysis.ingest.schema import PROVENANCE_COLUMNS

    result = run_cleaning(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END, spill=tmp_path / "parts")
    table = result.tables["activities"]
    assert isinstance(table, SpilledTable)
    drop = PROVENANCE_COLUMNS.get("activities", ())
    here = table.write(tmp_path / "here.parquet", drop)
    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        call = kernelfork.ForkedCall(SpilledTable.write, table, tmp_path / "there.parquet", drop)
        assert call.forked
        there = call.result()
    assert here == there
    assert filecmp.cmp(tmp_path / "here.parquet", tmp_path / "there.parquet", shallow=False)
    result.close()


def test_without_a_temporary_folder_kernels_import_for_themselves(tmp_path, monkeypatch):
    import tempfile

    def no_folder(**_):
        raise PermissionError("read-only")

    monkeypatch.setattr(tempfile, "mkdtemp", no_folder)
    with kernelfork.server({**os.environ, **SINGLE_THREAD_ENV}) as kernels:
        kernels.start()
        assert kernels.process is None and not kernelfork.in_use()
        seen, _ = _probe(tmp_path)
    assert not seen["preloaded"]
