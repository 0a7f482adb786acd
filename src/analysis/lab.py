"""Open the analysis notebooks in JupyterLab, for authors (``nox -s lab``).

The notebooks are the jupytext files of ``notebooks/`` (« percent » format):
JupyterLab opens them as notebooks (jupytext's contents manager) and saves the
code back to the same ``.py`` file, so nothing but text enters the source tree;
outputs live in the kernel only, and each run's executed copies stay in its
folder (``<run>/notebooks/``). The notebooks start from the last run
(``PRR_RUN``, else the newest run folder under ``data/processed``): their
parameters cell reads it through :func:`analysis.config.notebook_defaults`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from analysis.config import LAB_RUN_ENV, NOTEBOOKS_DIR, last_run


def lab_settings(folder: Path) -> Path:
    """JupyterLab user settings that open ``.py`` files as notebooks (jupytext) by default."""
    docmanager = folder / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True, exist_ok=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(
        json.dumps({"defaultViewers": {"python": "Jupytext Notebook"}}, indent=2), encoding="utf-8")
    return folder


def lab_command(extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={NOTEBOOKS_DIR}",
            "--ServerApp.ip=127.0.0.1", *extra]


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    run = last_run()
    env = dict(os.environ)
    if run is not None:
        env[LAB_RUN_ENV] = str(run.resolve())
        print(f"Carnets ouverts sur le dernier run : {run}")
    else:
        print("Aucun run trouvé : les carnets partent de l'exemple (lancez d'abord « prr build »).")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(lab_settings(Path(tempfile.mkdtemp(prefix="prr-lab-"))))
    return subprocess.call(lab_command(extra), env=env)


if __name__ == "__main__":
    raise SystemExit(main())
