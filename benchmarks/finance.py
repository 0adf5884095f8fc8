"""Finance benchmarks: annual plan (CBC vs HiGHS), the default budget sweep, batch local vs Dask.

Run from the repository root, one at a time (2 cores):

    python benchmarks/finance.py annual                      # CBC and HiGHS on the default scenario
    python benchmarks/finance.py sweep --out /tmp/sweep      # factors 0.5,0.75,1,1.25 (a weekly solve each)
    python benchmarks/finance.py batch --out /tmp/batch      # scenarios/*.yaml on 2 processes, then on Dask

Each prints a table and the wall-clock seconds it measured.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimiser.batch import TIMING_COLUMNS, batch
from optimiser.finance import annual_plan, budget_sweep, seasonal_weights
from optimiser.scenario import load_scenario


def run_annual(args: argparse.Namespace) -> None:
    loaded = load_scenario(args.scenario, args.set or [])
    started = time.perf_counter()
    seasons = seasonal_weights(loaded.scenario)
    print(f"seasonal weights read in {time.perf_counter() - started:.2f} s ({seasons.source})")
    rows = []
    for solver in ("cbc", "highs"):
        started = time.perf_counter()
        plan = annual_plan(loaded, seasonality=seasons, solver=solver, out_dir=Path(args.out) / solver)
        total = time.perf_counter() - started
        s = plan.summary
        rows.append(
            {
                "solver": solver,
                "status": s["status"],
                "objective": s["objective"],
                "person_hours": s["patrol_person_hours"],
                "asb_spend": s["projects"]["asb"]["spend_gbp"],
                "sv_spend": s["projects"]["sv"]["spend_gbp"],
                "posts_at_end": sum(s["warden_posts_at_end"].values()),
                "solve_s": s["solve_seconds"],
                "total_s": round(total, 2),
            }
        )
        print(plan.text())
    print(pd.DataFrame(rows).to_string(index=False))


def run_sweep(args: argparse.Namespace) -> None:
    loaded = load_scenario(args.scenario, args.set or [])
    factors = [float(f) for f in args.factors.split(",")]
    started = time.perf_counter()
    frame = budget_sweep(loaded, factors=factors, out_dir=args.out, solver=args.solver)
    total = time.perf_counter() - started
    columns = [
        "factor", "asb_budget_gbp", "sv_budget_gbp", "status", "gap", "warden_posts", "officer_overtime_hours",
        "harm_weighted_dosage", "patrol_hours", "visits", "cost_gbp", "marginal_dosage_per_1000_gbp",
        "annual_patrol_person_hours", "annual_headroom_gbp", "solve_seconds",
    ]  # fmt: skip
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        print(frame[[c for c in columns if c in frame.columns]].to_string(index=False))
    print(
        f"sweep of {len(factors)} levels: {total:.1f} s; "
        f"table {Path(args.out) / 'sweep.csv'}, chart {Path(args.out) / 'sweep.png'}"
    )


def run_batch(args: argparse.Namespace) -> None:
    from dask.distributed import LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    out = Path(args.out)
    started = time.perf_counter()
    common = {"progress": False, "overrides": args.set or [], "solver_workers": args.solver_workers}
    local = batch(args.patterns, out_dir=out / "local", workers=args.workers, **common)
    local_s = time.perf_counter() - started
    started = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        up = time.perf_counter() - started
        started = time.perf_counter()
        remote = batch(args.patterns, out_dir=out / "dask", dask_scheduler=cluster.scheduler_address, **common)
        dask_s = time.perf_counter() - started
    columns = ["scenario", "status", "objective", "gap", "harm_weighted_dosage", "visits", "cost_grant_asb_gbp",
               "cost_grant_sv_gbp", "cost_force_gbp", "solve_seconds", "wall_seconds"]  # fmt: skip
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        print("local processes:")
        print(local[columns].to_string(index=False))
        print("dask:")
        print(remote[columns].to_string(index=False))
    stable_local = local.drop(columns=list(TIMING_COLUMNS)).set_index("file")
    stable_remote = remote.drop(columns=list(TIMING_COLUMNS)).set_index("file")
    same = stable_local.equals(stable_remote)
    print(f"identical apart from timing columns: {same}")
    if (
        not same
        and stable_local.index.equals(stable_remote.index)
        and stable_local.columns.equals(stable_remote.columns)
    ):
        print(stable_local.compare(stable_remote).to_string())
    print(f"local {args.workers} processes: {local_s:.1f} s; dask cluster start {up:.1f} s, batch {dask_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("annual", "sweep", "batch"):
        p = sub.add_parser(name)
        p.add_argument("--out", default=f"/tmp/patrol-finance-{name}")
        p.add_argument("--set", action="append", metavar="KEY=VALUE")
        if name != "batch":
            p.add_argument("--scenario", default=None)
    sub.choices["sweep"].add_argument("--factors", default="0.5,0.75,1,1.25")
    sub.choices["sweep"].add_argument("--solver", default="cbc", choices=("cbc", "highs"))
    sub.choices["batch"].add_argument("--patterns", nargs="+", default=["scenarios/*.yaml"])
    sub.choices["batch"].add_argument("--workers", type=int, default=2)
    sub.choices["batch"].add_argument("--solver-workers", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    {"annual": run_annual, "sweep": run_sweep, "batch": run_batch}[args.what](args)


if __name__ == "__main__":
    main()
