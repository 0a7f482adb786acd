"""Every notebook kernel does its linear algebra on one thread (:data:`analysis.pipeline.SINGLE_THREAD_ENV`):
the steps already run side by side on the cores, and a model fitted with BLAS split over several threads
differs in its last digits from machine to machine."""

from __future__ import annotations

import contextlib
import json
import os

import nbformat
import pytest

from analysis import pipeline

PROBE = '''\
# %% tags=["parameters"]
target = ""

# %%
import ctypes, glob, json, os
import numpy as np

libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
threads = None
for lib in libs:
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
        fn = getattr(ctypes.CDLL(lib), name, None)
        if fn is not None:
            threads = fn()
            break
env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                       "PRR_CLEAN_READS")}
with open(target, "w") as f:
    json.dump({"threads": threads, "env": env}, f)
'''


@pytest.mark.parametrize("forked", [False, True], ids=["own-kernel", "forked-kernel"])
def test_analysis_kernel_does_linear_algebra_on_one_thread(tmp_path, monkeypatch, forked):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # what the caller has does not matter
    src = tmp_path / "probe.py"
    src.write_text(PROBE, encoding="utf-8")
    step = next(s for s in pipeline.analysis_steps() if s.reads)
    target = tmp_path / "probe.json"
    with pipeline.kernel_server() if forked else contextlib.nullcontext() as kernels:
        if forked:
            kernels.start()  # numpy is imported by the server, before the fork
        pipeline.execute_notebook(str(src), str(tmp_path / "probe.ipynb"), {"target": str(target)},
                                  pipeline._step_env(step))
    got = json.loads(target.read_text())
    assert got["env"]["OPENBLAS_NUM_THREADS"] == got["env"]["OMP_NUM_THREADS"] == "1"
    assert got["env"]["MKL_NUM_THREADS"] == "1"
    assert got["env"]["PRR_CLEAN_READS"] == ",".join(step.reads)  # the step's own variables still there
    if got["threads"] is not None:  # numpy's own OpenBLAS (wheels): ask it
        assert got["threads"] == 1
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"  # the caller's environment is given back
    nb = nbformat.read(tmp_path / "probe.ipynb", as_version=4)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_clean_step_kernel_is_single_threaded_too():
    assert pipeline._step_env(pipeline.CLEAN_STEP).items() >= pipeline.SINGLE_THREAD_ENV.items()
    for step in pipeline.analysis_steps():
        assert pipeline._step_env(step).items() >= pipeline.SINGLE_THREAD_ENV.items()
