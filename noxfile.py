"""Menu of the project's tasks: ``nox -l`` lists them.

Every session installs the pinned versions of ``requirements/lock.txt`` and the
project itself; ``nox -s lock`` refreshes the lock file from ``pyproject.toml``.
"""

from __future__ import annotations

import os

import nox

# Compile bytecode at install time: machines that set PYTHONDONTWRITEBYTECODE would otherwise
# compile pandas, scipy and matplotlib from source in every process and every notebook kernel
# (about 5 s each).
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

LOCK = "requirements/lock.txt"


def _install(session: nox.Session) -> None:
    session.install("-r", LOCK)
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "compileall", "-q", "src", silent=True)


@nox.session
def build(session: nox.Session) -> None:
    """Build the whole report (HTML + PDF) from the bundled example data; args go to `prr build`."""
    _install(session)
    session.run("prr", "build", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest); args go to pytest."""
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint with ruff."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")


@nox.session
def example(session: nox.Session) -> None:
    """Regenerate the bundled synthetic example dataset in data/raw/example."""
    _install(session)
    session.run("prr", "example", *session.posargs)


@nox.session(default=False)
def lab(session: nox.Session) -> None:
    """Open the notebooks in JupyterLab, paired with their jupytext files, on the last run's outputs."""
    _install(session)
    session.run("python", "-m", "analysis.lab", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks at 1x, 10x and ~1 million activity rows (slow; writes benchmarks/RESULTS.md)."""
    _install(session)
    session.install("psutil")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(default=False, venv_backend="none")
def lock(session: nox.Session) -> None:
    """Refresh requirements/lock.txt from pyproject.toml (needs uv on PATH)."""
    session.run(
        "uv", "pip", "compile", "pyproject.toml", "--extra", "test", "--extra", "lint",
        "--universal", "--python-version", "3.11", "-o", LOCK, external=True,
    )
