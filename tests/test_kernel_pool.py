"""Kernels started ahead (``pipeline.KernelPool``): the analyses' kernels start and import while
the clean step runs; what a notebook shows must not depend on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import pipeline

NOTEBOOK = '''# %% tags=["parameters"]
x = 1

# %%
import json
from pathlib import Path

# %%
print(sorted(k for k in globals() if not k.startswith("_") and k not in ("In", "Out", "exit", "quit", "get_ipython")))

# %%
import sys
"statsmodels.api" in sys.modules

# %%
x + 1
'''


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(output: dict) -> str:
    value = output["text"] if "text" in output else output["data"]["text/plain"]
    return "".join(value)


def test_warm_up_code_runs_the_notebooks_imports_in_a_throwaway_namespace(tmp_path: Path):
    nb = tmp_path / "07_demo.py"
    nb.write_text(NOTEBOOK, encoding="utf-8")
    code = pipeline.warm_up_code(nb)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - what the kernel runs at start
    assert set(namespace) == {"__builtins__"}  # nothing left in the notebook's namespace
    assert "import json" in code and "from pathlib import Path" in code and "import sys" in code
    assert "x + 1" not in code and "print" not in code  # only imports, never the notebook's code


@pytest.mark.slow
def test_a_kernel_started_ahead_gives_the_same_notebook(tmp_path: Path):
    nb = tmp_path / "07_demo.py"
    nb.write_text(NOTEBOOK, encoding="utf-8")
    cold, warm = tmp_path / "cold.ipynb", tmp_path / "warm.ipynb"
    pipeline.execute_notebook(str(nb), str(cold), {"x": 41})
    pool = pipeline.KernelPool(2)
    try:
        bad = tmp_path / "08_bad.py"
        bad.write_text("# %%\nraise ValueError('exprès')\n", encoding="utf-8")
        jobs = [(str(nb), str(warm), {"x": 41}, {}), (str(bad), str(tmp_path / "bad.ipynb"), {}, {})]
        pool.warm(jobs)
        with pytest.raises(pipeline.StepFailed, match="exprès"):
            pool.run(jobs)  # a failure is raised once the other notebook is done
        assert warm.is_file()
    finally:
        pool.close()
    a, b = _cells(cold), _cells(warm)
    # the warm kernel had imported statsmodels before the notebook ran (it was used)...
    assert _text(a[4]["outputs"][0]) == "False"
    assert _text(b[4]["outputs"][0]) == "True"
    # ...and everything else is the same: namespace, execution counts, results
    del a[4]["outputs"], b[4]["outputs"]
    assert a == b
    assert "'json', " in _text(b[3]["outputs"][0]) and "statsmodels" not in _text(b[3]["outputs"][0])
    assert b[5]["execution_count"] == a[5]["execution_count"] and _text(b[5]["outputs"][0]) == "42"
