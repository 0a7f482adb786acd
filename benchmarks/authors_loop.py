"""Benchmark the authors' loop on the example and append the results to benchmarks/RESULTS.md.

Not a test: run it with ``python benchmarks/authors_loop.py`` (after ``prr build``). Measures,
each as the best of ``--repeat`` tries (this machine's speed drifts):

- text edit → HTML refreshed: ``prr render --watch --format html`` runs in the background;
  a sentence is appended to a chapter and the time until that chapter's page file is
  rewritten is measured (polling included: what the author waits for, before the open
  page's own 0.25 s poll); also the same edit rendered by a one-shot ``prr render --format html``;
- one cell of one workbook changed → metrics: ``prr run`` after changing one activity count
  (which steps ran);
- a workbook re-saved with the same values: ``prr run`` then ``prr render`` (which steps ran);
- the PDF on demand after a text edit: ``prr render --format pdf``.

The chapter is restored afterwards; the raw data are a copy under ``benchmarks/_data``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from analysis.config import EXAMPLE_RAW_DIR, REPORT_DIR  # noqa: E402

DATA = HERE / "_data"
CHAPTER = REPORT_DIR / "chapters" / "07-activites.qmd"
PAGE = REPORT_DIR / "_book" / "chapters" / "07-activites.html"
DUNE = Path("suivi") / "Tableau PRR Dune ASBL v3.xlsx"
PRR = [sys.executable, "-m", "analysis.cli"]


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return wall, proc.stdout


def ran_steps(output: str) -> str:
    m = re.search(r"Exécuté : (.*?)\. Inchangé", output)
    return m.group(1) if m else "?"


def edit_chapter(k: int) -> None:
    CHAPTER.write_text(ORIGINAL + f"\nPhrase de mesure numéro {k}.\n", encoding="utf-8")


def watch_refresh(repeat: int) -> list[float]:
    """Seconds from saving the chapter to its page rewritten, with ``prr render --watch`` running."""
    proc = subprocess.Popen([*PRR, "render", "--watch", "--format", "html", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    times = []
    try:
        deadline = time.time() + 120
        while "rendu refait" not in (line := proc.stdout.readline()):  # the first render (or its skip)
            if not line and proc.poll() is not None or time.time() > deadline:
                break
            if "Ouvrir" in line:
                time.sleep(3)  # the first round has rendered (nothing to do, or the first render)
                break
        for k in range(repeat):
            time.sleep(1.0)
            before = PAGE.stat().st_mtime_ns
            t0 = time.perf_counter()
            edit_chapter(100 + k)
            while PAGE.stat().st_mtime_ns == before:
                if time.perf_counter() - t0 > 60:
                    raise SystemExit("the page was not refreshed within 60 s")
                time.sleep(0.01)
            times.append(time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait()
    return times


def main() -> None:
    global ORIGINAL
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ORIGINAL = CHAPTER.read_text(encoding="utf-8")
    raw, out = DATA / "raw_loop", DATA / "run_loop"
    if raw.exists():
        shutil.rmtree(raw)
    shutil.copytree(EXAMPLE_RAW_DIR, raw)
    opts = ["--raw", str(raw), "--out", str(out)]
    res: dict[str, object] = {}
    try:
        run([*PRR, "build"])  # the example, rendered: the loop starts from a built book
        res["full_run"] = run([*PRR, "run", "--force", *opts])[0]

        # text edit → HTML, one-shot command, then in the watch loop
        shots = []
        for k in range(args.repeat):
            edit_chapter(k)
            wall, output = run([*PRR, "render", "--format", "html"])
            shots.append(wall)
        res["render_html_cmd"] = shots
        res["watch"] = watch_refresh(args.repeat)
        res["pdf_cmd"] = run([*PRR, "render", "--format", "pdf"])[0]
        CHAPTER.write_text(ORIGINAL, encoding="utf-8")
        res["restore_render"] = run([*PRR, "render"])[0]

        # one cell of one workbook
        import openpyxl

        cells = []
        for k in range(args.repeat):
            wb = openpyxl.load_workbook(raw / DUNE)
            wb["Activités"]["F4"] = 5 + k
            wb.save(raw / DUNE)
            wall, output = run([*PRR, "run", *opts])
            cells.append((wall, ran_steps(output)))
        res["one_cell"] = cells

        # identical re-save (the book first rendered from this run: the book folder is shared by runs)
        run([*PRR, "build", *opts])
        saves = []
        for _ in range(args.repeat):
            wb = openpyxl.load_workbook(raw / DUNE)
            wb.save(raw / DUNE)
            wall, output = run([*PRR, "build", *opts])
            saves.append((wall, ran_steps(output)))
        res["resave"] = saves
        res["noop"] = run([*PRR, "build", *opts])
    finally:
        CHAPTER.write_text(ORIGINAL, encoding="utf-8")
    write_results(res)


def write_results(res: dict) -> None:
    import psutil

    load = os.getloadavg()
    mem = psutil.virtual_memory().total / 2**30
    best = min
    lines = [
        "",
        "## Authors' loop",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.machine()}), {mem:.0f} GiB RAM, Python "
        f"{platform.python_version()}; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(other jobs were running on the 2 cores: times are wall times on a loaded machine; compare "
        "with the no-op build, 0.6 s on an idle machine above).",
        "",
        "Command: `python benchmarks/authors_loop.py` (the example; every time is the best of "
        f"{len(res['watch'])} tries, all tries listed).",
        "",
        "| change | command | what ran | seconds |",
        "|---|---|---|---:|",
        f"| a sentence added to a chapter | `prr render --watch` running: save → page file rewritten | the HTML of "
        f"that chapter (one page written) | {best(res['watch']):.2f} |",
        f"| a sentence added to a chapter | `prr render --format html` (new process) | the HTML of that chapter | "
        f"{best(res['render_html_cmd']):.2f} |",
        f"| (then) the PDF on demand | `prr render --format pdf` | the PDF (typst) | {res['pdf_cmd']:.2f} |",
        f"| one cell of one workbook (an activity's users present) | `prr run` | "
        f"{' / '.join(sorted({r for _, r in res['one_cell']}))} | "
        f"{best(w for w, _ in res['one_cell']):.2f} |",
        f"| a workbook re-saved with the same values | `prr build` | {' / '.join(sorted({r for _, r in res['resave']}))} | "
        f"{best(w for w, _ in res['resave']):.2f} |",
        f"| nothing | `prr build` | {ran_steps(res['noop'][1])} | {res['noop'][0]:.2f} |",
        f"| (reference) everything | `prr run --force` | clean and the four analyses | {res['full_run']:.2f} |",
        "",
        "Every try: watch " + ", ".join(f"{x:.2f}" for x in res["watch"])
        + " s; `render --format html` " + ", ".join(f"{x:.2f}" for x in res["render_html_cmd"])
        + " s; one cell " + ", ".join(f"{w:.2f}" for w, _ in res["one_cell"])
        + " s; re-save " + ", ".join(f"{w:.2f}" for w, _ in res["resave"]) + " s.",
        "",
    ]
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n## Authors' loop\n")
    tail = rest[rest.index("\n## "):] if "\n## " in rest else ""  # the sections after this one stay
    path.write_text(head.rstrip("\n") + "\n" + "\n".join(lines) + tail, encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
