"""A notebook kernel that dies while starting (a port taken by another kernel starting at the same
moment) is started again; an error inside a cell is not retried."""

from __future__ import annotations

import papermill
import pytest

from analysis import pipeline
from analysis.config import REPO_ROOT

NOTEBOOK = str(REPO_ROOT / "notebooks" / "01_clean.py")


def _fake(fail_times: int, exc: Exception, calls: list):
    def run(src, out, **kwargs):
        calls.append(src)
        if len(calls) <= fail_times:
            raise exc
        import nbformat
        nbformat.write(nbformat.read(src, as_version=4), out)
    return run


def test_kernel_dying_at_start_is_started_again(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(papermill, "execute_notebook",
                        _fake(2, RuntimeError("Kernel died before replying to kernel_info"), calls))
    pipeline.execute_notebook(NOTEBOOK, str(tmp_path / "o.ipynb"), {})
    assert len(calls) == 3 and (tmp_path / "o.ipynb").exists()


def test_kernel_that_keeps_dying_is_reported(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(papermill, "execute_notebook",
                        _fake(9, RuntimeError("Kernel died before replying to kernel_info"), calls))
    with pytest.raises(RuntimeError, match="Kernel died"):
        pipeline.execute_notebook(NOTEBOOK, str(tmp_path / "o.ipynb"), {})
    assert len(calls) == pipeline.KERNEL_START_ATTEMPTS


def test_other_errors_are_not_retried(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(papermill, "execute_notebook", _fake(1, RuntimeError("autre chose"), calls))
    with pytest.raises(RuntimeError, match="autre chose"):
        pipeline.execute_notebook(NOTEBOOK, str(tmp_path / "o.ipynb"), {})
    assert len(calls) == 1
