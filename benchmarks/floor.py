"""The floor: the pipeline's analysis functions called in one plain Python process.

Same cleaning, same four analyses, same outputs (clean tables, metrics parts,
figures, tables) as ``prr run``, but no papermill, no kernels, no cache and no
parallelism. ``benchmarks/run.py`` divides the pipeline's wall time by this one.
Prints one ``✓ <step> : <seconds> s`` line per step, like the pipeline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from analysis import metrics
from analysis.analyses import activities, gradient, referrals, saturation
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, run_paths
from analysis.ingest.clean import load_clean, run_cleaning
from analysis.publish import activities as publish_activities
from analysis.publish import gradient as publish_grad
from analysis.publish import referrals as publish_referrals
from analysis.publish import saturation as publish_sat
from analysis.publish.figures import set_theme


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--threshold", type=int, default=DEFAULT_DISCLOSURE_THRESHOLD)
    args = parser.parse_args()
    start, end, threshold = args.start, args.end, args.threshold
    with tempfile.TemporaryDirectory(prefix="prr-floor-") as tmp:
        out = Path(tmp)
        paths = run_paths(out)
        set_theme()

        t0 = time.perf_counter()
        result = run_cleaning(Path(args.raw), start, end)
        result.write(paths["clean"])
        metrics.write_part(out, "clean", result.metrics())
        print(f"  ✓ clean : {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        clean = load_clean(paths["clean"])
        res = activities.analyse_activities(clean["activities"], clean["submissions"], start, end)
        metrics.write_part(out, "activities", activities.activity_metrics(res))
        publish_activities.save_outputs(res, out, True)
        print(f"  ✓ activities : {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        clean = load_clean(paths["clean"])
        res = referrals.analyse_referrals(clean["users"], clean["pros"], clean["census"], start, end)
        metrics.write_part(out, "referrals",
                           referrals.referral_metrics(res) | publish_referrals.referral_prose(res))
        publish_referrals.save_outputs(res, out, threshold, True)
        print(f"  ✓ referrals : {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        census = load_clean(paths["clean"])["census"]
        res = saturation.analyse_saturation(census, saturation.census_income(census))
        metrics.write_part(out, "saturation", saturation.saturation_metrics(res) | publish_sat.saturation_prose(res))
        publish_sat.save_outputs(res, paths["figures"], paths["tables"], threshold, True)
        print(f"  ✓ saturation : {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        clean = load_clean(paths["clean"])
        res = gradient.analyse_gradient(clean["users"], clean["census"], start, end)
        metrics.write_part(out, "gradient", gradient.gradient_metrics(res) | publish_grad.gradient_prose(res))
        publish_grad.save_outputs(res, paths["figures"], paths["tables"], threshold, True)
        print(f"  ✓ gradient : {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
