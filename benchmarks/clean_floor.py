"""The cleaning step and `prr run` against the physical floor (``benchmarks/floor_physical.py``).

Not a test: ``python benchmarks/clean_floor.py --raw FOLDER [--old-src DIR]``. Interleaves,
``--repeat`` times, as separate processes sampled every 0.1 s for the resident memory of the
whole process tree (kernels included, see :func:`run.measure`):

- the physical floor: python-calamine reading every cell + each column's distinct values
  normalised once (``floor_physical.py``);
- the cleaning alone: ``run_cleaning`` + ``CleanResult.write`` (what the clean notebook does,
  without the kernel), with this checkout and, given ``--old-src``, with an older ``src``;
- ``prr run --force`` (clean notebook + the four analyses), unless ``--no-run``.

Prints one Markdown table (best of the repeats, all runs listed) to paste in RESULTS.md.
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
    best = {k: min(v, key=lambda m: m["wall"]) for k, v in results.items()}
    floor = best["floor"]["steps"].get("read", 0) + best["floor"]["steps"].get("normalise", 0)
    print("\n| measure | best wall s | all walls s | peak MiB (process tree) | / physical floor |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in results.items():
        wall = best[name]["wall"] if name != "floor" else floor
        walls = ", ".join(f"{m['wall']:.1f}" for m in runs)
        print(f"| {name} | {wall:.1f} | {walls} | {best[name]['peak_mib']:.0f} | {wall / floor:.2f} |")
    if "prr run" in best:
        print(f"\nclean step inside `prr run`: {best['prr run']['steps'].get('clean', float('nan')):.1f} s")
    print(f"physical floor = read {best['floor']['steps'].get('read', 0):.1f} s + "
          f"normalise {best['floor']['steps'].get('normalise', 0):.1f} s (inside a {best['floor']['wall']:.1f} s process)")


if __name__ == "__main__":
    main()
