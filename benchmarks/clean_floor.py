"""The cleaning step and `prr run` against the physical floor (``benchmarks/floor_physical.py``).

Not a test: ``python benchmarks/clean_floor.py --raw FOLDER [--old-src DIR]``. Interleaves,
``--repeat`` times, as separate processes sampled every 0.1 s for the resident memory of the
whole process tree (kernels included, see :func:`run.measure`):

- the physical floor: python-calamine reading every cell + each column's distinct values
  normalised once (``floor_physical.py``);
- the cleaning alone: ``run_cleaning`` + ``CleanResult.write`` (what the clean notebook does,
  without the kernel), with this checkout and, given ``--old-src``, with an older ``src``;
- ``prr run --force`` (clean notebook + the four analyses), unless ``--no-run``.

Prints one Markdown table (best of the repeats, all runs listed); with ``--write``, also puts it
in RESULTS.md (section « Against the physical floor », replaced on each run).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from run import ROOT, START, END, measure, step_times  # noqa: I001 - benchmarks/ sibling

HERE = Path(__file__).resolve().parent
CLEAN_ONLY = (
    "import sys, time; from pathlib import Path; from analysis.ingest.clean import run_cleaning; "
    "t = time.perf_counter(); r = run_cleaning(Path(sys.argv[1]), sys.argv[2], sys.argv[3]); "
    "r.write(Path(sys.argv[4])); print(f'  ✓ clean : {time.perf_counter() - t:.1f} s')"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True, type=Path)
    parser.add_argument("--old-src", type=Path, help="an older checkout's src/ to compare the cleaning with")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-run", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    py = sys.executable
    env_new = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="prr-cleanfloor-") as tmp:
        for _ in range(args.repeat):
            cmds = {"floor": ([py, str(HERE / "floor_physical.py"), "--raw", str(args.raw)], env_new),
                    "clean": ([py, "-c", CLEAN_ONLY, str(args.raw), START, END, f"{tmp}/new"], env_new)}
            if args.old_src:
                env_old = {**os.environ, "PYTHONPATH": str(args.old_src)}
                cmds["clean (old)"] = ([py, "-c", CLEAN_ONLY, str(args.raw), START, END, f"{tmp}/old"], env_old)
            if not args.no_run:
                cmds["prr run"] = ([py, "-m", "analysis.cli", "run", "--force", "--raw", str(args.raw),
                                    "--out", f"{tmp}/run", "--start", START, "--end", END], env_new)
            for name, (cmd, env) in cmds.items():
                m = measure(cmd, env=env)
                m["steps"] = step_times(m["output"])
                results.setdefault(name, []).append(m)
                print(f"{name}: {m['wall']:.1f} s, peak {m['peak_mib']:.0f} MiB {m['steps']}", flush=True)
    load = os.getloadavg()
    best = {k: min(v, key=lambda m: m["wall"]) for k, v in results.items()}
    floor = best["floor"]["steps"].get("read", 0) + best["floor"]["steps"].get("normalise", 0)
    lines = ["| measure | best wall s | all walls s | peak MiB (process tree) | / physical floor |",
             "|---|---:|---:|---:|---:|"]
    for name, runs in results.items():
        wall = best[name]["wall"] if name != "floor" else floor
        walls = ", ".join(f"{m['wall']:.1f}" for m in runs)
        lines.append(f"| {name} | {wall:.1f} | {walls} | {best[name]['peak_mib']:.0f} | {wall / floor:.2f} |")
    lines.append("")
    if "prr run" in best:
        lines.append(f"Clean step inside `prr run`: {best['prr run']['steps'].get('clean', float('nan')):.1f} s; "
                     "analyses: " + ", ".join(f"{k} {v:.1f} s" for k, v in best["prr run"]["steps"].items()
                                              if k != "clean") + " (two at a time).")
    lines.append(f"Physical floor = read {best['floor']['steps'].get('read', 0):.1f} s + "
                 f"normalise {best['floor']['steps'].get('normalise', 0):.1f} s (inside a "
                 f"{best['floor']['wall']:.1f} s process). Load average at the end: "
                 + " / ".join(f"{x:.1f}" for x in load) + ".")
    print("\n" + "\n".join(lines))
    if args.write:
        write_section(args, lines)


SECTION = "## Against the physical floor (1 M rows)"


def write_section(args, table: list[str]) -> None:
    """Replace (or add before « Authors' loop ») this script's section of RESULTS.md."""
    section = [
        SECTION, "",
        f"Command: `python benchmarks/clean_floor.py --raw <raw_1M> --repeat {args.repeat}` (called by "
        "`benchmarks/run.py`). The measures are interleaved (floor, cleaning, `prr run`, then again) and "
        "the best of the repeats is kept: other jobs share the 2 cores, so the ratios within one run are the "
        "figures to read, not the absolute times. Peak memory: resident memory summed over the process tree "
        "(kernels included), sampled every 0.1 s.",
        "",
        "What the physical floor includes (`benchmarks/floor_physical.py`): python-calamine opening every "
        "workbook and turning every cell into a Python value (`to_python`), plus, for every data sheet, "
        "its header found and each recognised column's distinct values normalised once with the parsers of "
        "`analysis.ingest.normalise`, spread back over the rows with numpy; no rule, note, table or file.",
        "The old floor (`benchmarks/floor.py`, first table) is the whole pipeline's functions in one process.",
        "",
        *table, "",
    ]
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    for old in (SECTION, "## Cleaning against the physical floor (speed-clean)"):
        if f"\n{old}\n" in text:
            head, rest = text.split(f"\n{old}\n", 1)
            tail = rest[rest.index("\n## "):] if "\n## " in rest else ""
            text = head.rstrip("\n") + "\n\n" + "\n".join(section) + tail
            break
    else:
        marker = "\n## Authors' loop\n"
        if marker in text:
            head, tail = text.split(marker, 1)
            text = head.rstrip("\n") + "\n\n" + "\n".join(section) + marker + tail
        else:
            text = text.rstrip("\n") + "\n\n" + "\n".join(section)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
