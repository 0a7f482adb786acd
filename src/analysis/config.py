"""One place for paths and run parameters.

Transform functions never read configuration themselves: the entry points
(``prr`` and the notebooks' parameters cells) build a :class:`RunParams` and pass
plain values down.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(os.environ.get("PRR_ROOT", Path(__file__).resolve().parents[2]))
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
RAW_DIR = DATA_DIR / "raw"
EXAMPLE_RAW_DIR = RAW_DIR / "example"
PROCESSED_DIR = DATA_DIR / "processed"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
REPORT_DIR = REPO_ROOT / "report"

#: The period of the printed 2022 report, used by the bundled example data.
EXAMPLE_START = "2021-09"
EXAMPLE_END = "2022-04"
#: Person counts below this value are never published (see ``analysis.publish.disclosure``).
DEFAULT_DISCLOSURE_THRESHOLD = 5

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ParameterError(ValueError):
    """A run parameter is invalid; the message is meant for the user, on one line."""


def check_month(value: str, name: str) -> str:
    """Return ``value`` if it is a ``YYYY-MM`` month, else raise :class:`ParameterError`."""
    if not isinstance(value, str) or not _MONTH.match(value):
        raise ParameterError(f"--{name} doit être un mois AAAA-MM, reçu {value!r}")
    return value


def default_out(raw: Path, start: str, end: str) -> Path:
    """Default run folder: ``data/processed/<raw folder name>_<start>_<end>``."""
    return PROCESSED_DIR / f"{Path(raw).name}_{start}_{end}"


#: Analysis steps that read the earlier editions given with ``--compare``.
COMPARE_STEPS = ("evolution",)


@dataclass(frozen=True)
class RunParams:
    """Everything a run depends on besides code and reference tables."""

    raw: Path = EXAMPLE_RAW_DIR
    start: str = EXAMPLE_START
    end: str = EXAMPLE_END
    out: Path | None = None
    threshold: int = DEFAULT_DISCLOSURE_THRESHOLD
    #: Run folders of earlier editions this period is compared with (``--compare``).
    compare: tuple[Path, ...] = ()
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_month(self.start, "start")
        check_month(self.end, "end")
        if self.start > self.end:
            raise ParameterError(f"--start {self.start} est après --end {self.end}")
        if int(self.threshold) < 1:
            raise ParameterError(f"--threshold doit être ≥ 1, reçu {self.threshold}")
        object.__setattr__(self, "raw", Path(self.raw))
        if self.out is None:
            object.__setattr__(self, "out", default_out(self.raw, self.start, self.end))
        object.__setattr__(self, "out", Path(self.out))
        compare = tuple(Path(p) for p in (self.compare or ()))
        for p in compare:
            if not (p / "clean").is_dir():
                raise ParameterError(f"--compare {p} : ce n'est pas le dossier d'un run (pas de sous-dossier "
                                     "clean/ ; lancez d'abord « prr run » pour cette édition)")
        object.__setattr__(self, "compare", compare)

    @property
    def is_example(self) -> bool:
        """True when the run reads the bundled synthetic dataset."""
        return Path(self.raw).resolve() == EXAMPLE_RAW_DIR.resolve()

    def notebook_parameters(self, step: str | None = None) -> dict:
        """Parameters passed to a notebook by papermill (plain JSON types).

        ``compare`` (the earlier runs, resolved paths) is passed only to the steps
        of :data:`COMPARE_STEPS`, so that comparing with other editions reruns
        those steps alone.
        """
        d = asdict(self)
        d.pop("extra")
        d.pop("compare")
        d["raw"] = str(Path(self.raw).resolve())
        d["out"] = str(Path(self.out).resolve())
        d["is_example"] = self.is_example
        if step in COMPARE_STEPS:
            d["compare"] = [str(Path(p).resolve()) for p in self.compare]
        return d


def run_paths(out: Path) -> dict[str, Path]:
    """Layout of a run folder: every output of a run lives under ``out``."""
    out = Path(out)
    return {
        "out": out,
        "clean": out / "clean",
        "figures": out / "figures",
        "tables": out / "tables",
        "notebooks": out / "notebooks",
        "metrics": out / "metrics.json",
        "manifest": out / "manifest.json",
        "cache": out / ".cache",
    }


#: Environment variable naming the run folder that notebooks opened by hand start from (``nox -s lab``).
LAB_RUN_ENV = "PRR_RUN"


def last_run() -> Path | None:
    """The run folder named by ``PRR_RUN``, else the one under ``data/processed`` whose provenance is newest."""
    import os

    named = os.environ.get(LAB_RUN_ENV)
    if named and (Path(named) / "manifest.json").exists():
        return Path(named)
    runs = sorted(PROCESSED_DIR.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return runs[-1].parent if runs else None


def notebook_defaults() -> tuple[str, str, str, str, int, bool]:
    """Parameters of a notebook opened by hand: those of the last run, else the example's.

    A production run never uses them: papermill injects the run's own values after the parameters cell.
    """
    import json

    run = last_run()
    if run is not None:
        p = json.loads((run / "manifest.json").read_text(encoding="utf-8")).get("parameters", {}) or {}
        if {"raw", "start", "end", "out"} <= set(p):
            return (str(p["raw"]), str(p["start"]), str(p["end"]), str(p["out"]),
                    int(p.get("threshold", DEFAULT_DISCLOSURE_THRESHOLD)), bool(p.get("is_example", False)))
    return (str(EXAMPLE_RAW_DIR), EXAMPLE_START, EXAMPLE_END,
            str(default_out(EXAMPLE_RAW_DIR, EXAMPLE_START, EXAMPLE_END)), DEFAULT_DISCLOSURE_THRESHOLD, True)


def without_iri_grammar() -> None:
    """Keep jsonschema's optional « iri » format checker out of this process.

    nbformat validates notebooks with jsonschema, which, at import, builds the grammar of
    ``rfc3987_syntax`` with lark when that package is installed: 1.5 s per process. No
    notebook schema uses a format checker (nbformat does not pass one), so the module is
    marked absent before jsonschema is first imported; call before importing nbformat or papermill.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
