"""Team orienteering benchmark: run the routing module on Chao et al. (1996) TOP or TOPTW instances.

Protocol (after PyVRP's): each instance once, a fixed seed, one core, a fixed wall-clock limit; every route
is re-checked in true (float) distance, independently of the solver; the table reports the gap to the
best-known score.

    python benchmarks/top.py --instances ../shared/data/top_benchmarks/chao_1996 \
        --bks ../shared/data/top_benchmarks/top_chao_bks.csv --time-limit 10 --out top.csv
    python benchmarks/top.py --toptw --instances ../shared/data/top_benchmarks/toptw \
        --bks ../shared/data/top_benchmarks/toptw_bks.csv --time-limit 10
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.routing import RoutingParams, solve
from optimiser.routing.instances import (
    TopInstance,
    check_top_routes,
    parse_chao,
    parse_toptw,
    to_routing,
)

TOPTW_DEFAULT = ("c101", "r101", "rc101", "pr01")


def run_instance(inst: TopInstance, params: RoutingParams) -> tuple[float, list[list[int]], float, list[str]]:
    """Solve one instance; return score, routes as point indices (start and end included), seconds, problems."""
    crews, visits, matrices, _ = to_routing(inst)
    t0 = time.perf_counter()
    result = solve(crews, visits, matrices, params=params)
    seconds = time.perf_counter() - t0
    routes = [
        [inst.start, *(int(s.visit_id) for s in result.routes[c.crew_id]), inst.end]
        for c in crews
        if result.routes[c.crew_id]
    ]
    problems = check_top_routes(inst, routes)
    score = float(sum(inst.score[p] for r in routes for p in r[1:-1]))
    return score, routes, seconds, problems


def certify(rows: list[dict], files: dict[str, Path], args: argparse.Namespace) -> None:
    """Print an upper bound on the true-distance optimum for each instance where we fell short."""
    if not rows:
        return
    print()
    head = f"{'instance':<10} {'score':>8} {'best':>8} {'bound':>8}"
    print(f"{head}  verdict (CP-SAT on the relaxed rounding, <= {args.certify:g} s each)")
    params = RoutingParams(time_limit_seconds=args.certify, seed=args.seed, engine="cpsat", deterministic=False)
    for row in rows:
        name = row["instance"]
        text = files[name].read_text()
        if args.toptw:
            inst = parse_toptw(text, name=name, num_vehicles=args.vehicles, decimals=2 if name.startswith("pr") else 1)
        else:
            inst = parse_chao(text, name=name)
        crews, visits, matrices, _ = to_routing(inst, relax=True)
        result = solve(crews, visits, matrices, params=params)
        bound = result.bound if result.bound is not None else float("inf")
        if bound <= row["score"] + 1e-9:
            verdict = "our score is optimal in true distance"
        elif bound < row["best_known"] - 1e-9:
            verdict = "best-known exceeds every route within tmax in true distance"
        else:
            verdict = "open"
        print(f"{name:<10} {row['score']:8.0f} {row['best_known']:8.0f} {bound:8.0f}  {verdict}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", required=True, type=Path, help="folder of instance files (searched recursively)")
    ap.add_argument("--bks", required=True, type=Path, help="CSV with columns instance, best_known_score")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="pyvrp", choices=["pyvrp", "ortools", "cpsat", "auto"])
    ap.add_argument("--deterministic", action="store_true", help="work budget instead of wall clock")
    ap.add_argument("--toptw", action="store_true", help=f"TOPTW instances (default {', '.join(TOPTW_DEFAULT)})")
    ap.add_argument("--vehicles", type=int, default=1, help="TOPTW routes per instance (default 1)")
    ap.add_argument("--only", nargs="*", help="instance names or shell patterns to run (default all)")
    ap.add_argument("--out", type=Path, help="write the per-instance table as CSV")
    ap.add_argument("--routes-out", type=Path, help="write routes as JSON lines")
    ap.add_argument(
        "--certify",
        type=float,
        metavar="S",
        help="for instances below best-known, bound the true-distance optimum with an exact CP-SAT solve "
        "of the relaxed rounding (distances down, tmax up) for up to S seconds",
    )
    ap.add_argument("--cpu", type=int, default=None, help="pin to this CPU (default: the first allowed)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pyvrp").setLevel(logging.WARNING)

    if hasattr(os, "sched_setaffinity"):  # one core per instance, as the protocol says
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {args.cpu if args.cpu is not None else cpus[0]})

    with args.bks.open(newline="") as fh:
        bks = {row["instance"]: float(row["best_known_score"]) for row in csv.DictReader(fh)}
    files = {p.stem: p for p in sorted(args.instances.rglob("*.txt")) if p.stem in bks}
    patterns = args.only or (list(TOPTW_DEFAULT) if args.toptw else ["*"])
    names = sorted(n for n in files if any(fnmatch.fnmatch(n, pat) for pat in patterns))
    if not names:
        print(f"no instances in {args.instances} match {patterns} and {args.bks}", file=sys.stderr)
        return 2
    params = RoutingParams(
        time_limit_seconds=args.time_limit, seed=args.seed, engine=args.engine, deterministic=args.deterministic
    )
    rows = []
    routes_fh = args.routes_out.open("w") if args.routes_out else None
    print(f"{'instance':<10} {'score':>8} {'best':>8} {'gap%':>7} {'sec':>6}  feasible", flush=True)
    for name in names:
        text = files[name].read_text()
        if args.toptw:
            inst = parse_toptw(text, name=name, num_vehicles=args.vehicles, decimals=2 if name.startswith("pr") else 1)
        else:
            inst = parse_chao(text, name=name)
        score, routes, seconds, problems = run_instance(inst, params)
        best = bks[name]
        gap = 0.0 if best == 0 else 100.0 * (best - score) / best
        feasible = not problems
        rows.append(
            {
                "instance": name,
                "score": score,
                "best_known": best,
                "gap_pct": round(gap, 4),
                "seconds": round(seconds, 2),
                "feasible": feasible,
            }
        )
        print(f"{name:<10} {score:8.0f} {best:8.0f} {gap:7.2f} {seconds:6.1f}  {feasible}", flush=True)
        for p in problems:
            print(f"    INFEASIBLE: {p}", flush=True)
        if routes_fh:
            routes_fh.write(json.dumps({"instance": name, "routes": routes}) + "\n")
            routes_fh.flush()
    if routes_fh:
        routes_fh.close()
    gaps = [r["gap_pct"] for r in rows]
    at_best = sum(1 for r in rows if r["score"] >= r["best_known"] - 1e-9)
    infeasible = sum(1 for r in rows if not r["feasible"])
    print()
    print(f"instances        {len(rows)}")
    print(f"mean gap %       {statistics.fmean(gaps):.3f}")
    print(f"at best-known    {at_best}")
    print(f"max gap %        {max(gaps):.3f}")
    print(f"infeasible       {infeasible}")
    print(
        f"engine {args.engine}, {args.time_limit:g} s/instance, seed {args.seed}, "
        f"{'deterministic budget' if args.deterministic else 'wall clock'}"
    )
    if args.certify:
        certify([r for r in rows if r["score"] < r["best_known"] - 1e-9], files, args)
    if args.out:
        with args.out.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["instance", "score", "best_known", "gap_pct", "seconds", "feasible"])
            w.writeheader()
            w.writerows(rows)
    return 1 if infeasible else 0


if __name__ == "__main__":
    raise SystemExit(main())
