"""The book rendered once for the whole session (HTML + PDF) from a fake run."""

from __future__ import annotations

import pytest
from render_helpers import copy_book, make_run

from analysis.report import inputs as RI
from analysis.report import render as R


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Render the book once (HTML + PDF); returns (book dir, result)."""
    tmp = tmp_path_factory.mktemp("render")
    book = copy_book(tmp)
    run = make_run(tmp, book)
    RI.prepare_report_inputs(run, book, threshold=5, is_example=True)
    result = R.render(book, engine="fallback")
    return book, result
