"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def example_build(tmp_path_factory):
    """The synthetic example run over the report's period and its rendered book (HTML + PDF), built once
    per session; returns (RunParams, the book's output folder ``_book``)."""
    from analysis import pipeline
    from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REPORT_DIR, RunParams
    from analysis.report import render as render_mod
    from analysis.report.inputs import prepare_report_inputs

    root = tmp_path_factory.mktemp("example")
    params = RunParams(out=root / "run")
    pipeline.run(params, force=True)
    report = root / "report"
    shutil.copytree(REPORT_DIR, report, ignore=shutil.ignore_patterns("_book", "_generated", "_variables.yml"))
    prepare_report_inputs(params.out, report, DEFAULT_DISCLOSURE_THRESHOLD, is_example=True)
    render_mod.render(report, engine="fallback")
    return params, report / "_book"
