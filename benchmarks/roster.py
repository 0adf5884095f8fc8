"""Weekly roster benchmark (issue 6 item 8): convergence on the default week, growth, value against a hand plan.

Run from the repository root, one part at a time or all (2 cores; the parts run one after another):

    python benchmarks/roster.py default             # (a) the default week, 60 s roster solve + plan_week
    python benchmarks/roster.py growth [--quick] [--plan]  # (b) hotspots x staff grid, synthetic seeded weeks
    python benchmarks/roster.py baseline            # (c) plan_week against the even-spread baseline
    python benchmarks/roster.py all --quick         # (a), (b) roster at 15 s a cell, (c) from (a)'s plan

(a) Builds the default scenario's roster model (every rule on, as ``roster.solve`` does) and solves it
once for ``--time-limit`` seconds (default 60) with solution and best-bound callbacks: time to the
first feasible roster, time to a proven gap of 1% (if reached) and the gap at the limit. Then
``pipeline.plan_week`` plans the week with the scenario's own solver settings (60 s split between
roster and routes) and its routed objective, best bound and gap are printed: that is the plan's figure.

(b) For hotspots H in 10/20/40/80 and staff S in 10/20/40/80: a synthetic week built from the default
scenario (same districts, bases, pay, templates, windows and rules), H hotspots scattered within ~2 km
of their district's base (6 in 10 ASB, 3 SV, 1 joint; harm log-normal), S staff split 45% wardens, 10%
PCSOs, the rest officers (pools per district, duty rotated), budgets scaled to the staff. Seeded by
``--seed``, H and S, so every run builds the same weeks. Each cell solves the roster model (as in (a))
for ``--cell-limit`` seconds (default 60; ``--quick`` 15: shorter than the default week's 60 s, so gaps
are larger than a full solve's) and prints the time to the first feasible roster, to a 1% gap, and the
gap at the limit; ``--plan`` also runs ``plan_week`` on each cell with the same limit (routed gap).

(c) The even-spread plan a planner draws by hand, from the same staff and shifts: the optimiser's
warden and PCSO shifts; officer overtime bought evenly across the days (most crews on the emptiest
day first, then the most paid hours) up to the same SV budget, under every staffing rule (the roster
model's staffing rules, solved by CP-SAT); each crew walks its eligible hotspots in a fixed
round-robin order by hotspot id (crew k of a team's n that day starts k/n of the way round), 15-minute
visits back to back with travel, waiting when the revisit gap requires, skipping a hotspot whose daily
presence cap is used up, and a mid-shift break. Both plans are checked with ``validate.check`` (both must
be valid) and their harm-weighted dosage is compared as a ratio (issue 6 asks for at least 1.2).

Tables are printed and written as CSV under ``--out`` (default benchmarks/results/).
"""

from __future__ import annotations

import argparse
import copy
import heapq
import logging
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser import instance, pipeline
from optimiser.instance import ProblemData
from optimiser.pipeline import PlanResult, plan_week
from optimiser.plan import Plan
from optimiser.roster.model import VALUE_SCALE, RosterSolution, build_model, hotspot_policy_gap
from optimiser.routing.model import Stop
from optimiser.routing.weekly import RoutedCrew
from optimiser.scenario import LoadedScenario, load_scenario
from optimiser.validate import check, recompute_summary

GRID = (10, 20, 40, 80)
TARGET_GAP = 0.01
log = logging.getLogger("benchmarks.roster")


# --------------------------------------------------------------------------------------------------
# (a) the default week
# --------------------------------------------------------------------------------------------------


class _Trace(cp_model.CpSolverSolutionCallback):
    """Records (seconds, objective, bound) at every improving solution of the roster model."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.solutions: list[tuple[float, float, float]] = []

    def on_solution_callback(self) -> None:
        self.solutions.append(
            (
                time.perf_counter() - self.started,
                self.ObjectiveValue() / VALUE_SCALE,
                self.BestObjectiveBound() / VALUE_SCALE,
            )
        )


def roster_convergence(data: ProblemData, *, limit: float, workers: int, seed: int) -> dict[str, Any]:
    """Solve the roster model once with callbacks; times to first feasible and to a 1% gap, gap at the limit."""
    started = time.perf_counter()
    built = build_model(data)
    for literal in built.vars.assumptions.values():
        built.model.Add(literal == 1)
    build_seconds = time.perf_counter() - started
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    bounds: list[tuple[float, float]] = []
    began = time.perf_counter()
    trace = _Trace(began)
    solver.best_bound_callback = lambda bound: bounds.append((time.perf_counter() - began, bound / VALUE_SCALE))
    status = solver.Solve(built.model, trace)
    seconds = time.perf_counter() - began
    events = sorted(
        [(t, "solution", obj, bound) for t, obj, bound in trace.solutions] + [(t, "bound", None, b) for t, b in bounds]
    )
    best_obj: float | None = None
    best_bound = float("inf")
    to_target = None
    for moment, _kind, obj, bound in events:
        best_bound = min(best_bound, bound)
        if obj is not None:
            best_obj = obj if best_obj is None else max(best_obj, obj)
        if best_obj is not None and best_bound > 0 and (best_bound - best_obj) / best_bound <= TARGET_GAP:
            to_target = moment
            break
    final_obj = solver.ObjectiveValue() / VALUE_SCALE if trace.solutions else None
    final_bound = solver.BestObjectiveBound() / VALUE_SCALE
    return {
        "variables": len(built.model.Proto().variables),
        "constraints": len(built.model.Proto().constraints),
        "build_s": round(build_seconds, 2),
        "status": solver.StatusName(status),
        "first_feasible_s": round(trace.solutions[0][0], 2) if trace.solutions else None,
        "first_objective": round(trace.solutions[0][1], 2) if trace.solutions else None,
        "to_1pct_gap_s": round(to_target, 2) if to_target is not None else None,
        "solutions": len(trace.solutions),
        "objective": round(final_obj, 2) if final_obj is not None else None,
        "bound": round(final_bound, 2),
        "gap_at_limit": round((final_bound - final_obj) / final_bound, 4) if final_obj and final_bound > 0 else None,
        "seconds": round(seconds, 2),
    }


def plan_figures(result: PlanResult, seconds: float) -> dict[str, Any]:
    """The routed plan's headline figures."""
    s = result.plan.summary
    return {
        "status": s["status"],
        "valid": s["validation"]["ok"],
        "harm_weighted_dosage": round(s["harm_weighted_dosage"], 2),
        "objective": s["objective"],
        "best_bound": s["best_bound"],
        "gap": s["gap"],
        "roster_status": s.get("roster_status"),
        "roster_objective": s.get("roster_objective"),
        "visits": sum(s["visits_by_hotspot"].values()),
        "sv_spend_gbp": s["cost_gbp"]["grant-sv"],
        "sv_budget_gbp": round(s["budget_gbp"]["sv"], 2),
        "seconds": round(seconds, 1),
    }


def run_default(args: argparse.Namespace) -> PlanResult:
    loaded = load_scenario(args.scenario, args.set or [])
    scenario = loaded.scenario
    data = instance.build(scenario, scenario.default_week_start)
    print(
        f"(a) default week {scenario.default_week_start}: {len(data.hotspots)} hotspots, {len(data.people)} people, "
        f"{len(data.options)} shift options, {len(data.groups)} crew groups; {scenario.solver.workers} workers"
    )
    roster = roster_convergence(data, limit=args.time_limit, workers=scenario.solver.workers, seed=scenario.solver.seed)
    print(f"roster model alone, {args.time_limit:g} s:")
    print(pd.DataFrame([roster]).to_string(index=False))
    started = time.perf_counter()
    result = plan_week(loaded)
    figures = plan_figures(result, time.perf_counter() - started)
    print(
        f"plan_week (scenario limit {scenario.solver.time_limit_seconds:g} s, roster share {pipeline.ROSTER_SHARE:g}):"
    )
    print(pd.DataFrame([figures]).to_string(index=False))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"part": "roster", **roster}, {"part": "plan_week", **figures}]).to_csv(
        out / "roster_default.csv", index=False
    )
    return result


# --------------------------------------------------------------------------------------------------
# (b) growth grid
# --------------------------------------------------------------------------------------------------

_PROJECT_CYCLE = ("asb", "sv", "asb", "asb", "sv", "joint", "asb", "sv", "asb", "asb")


def _pools(total: int, groups: list[str]) -> dict[str, int]:
    """``total`` people spread as evenly as possible over ``groups`` (the first ones get the remainder)."""
    return {g: total // len(groups) + (1 if i < total % len(groups) else 0) for i, g in enumerate(groups)}


def synthetic_scenario(
    base: LoadedScenario, hotspots: int, staff: int, *, seed: int, limit: float, folder: Path
) -> LoadedScenario:
    """A seeded synthetic week from the default scenario with ``hotspots`` hotspots and ``staff`` people."""
    rng = random.Random(f"roster-growth-{seed}-{hotspots}-{staff}")
    data = copy.deepcopy(base.resolved)
    districts = sorted(data["districts"])
    warden_base = {b["district"]: b for b in data["bases"] if b["kind"] == "warden_base"}
    station = {b["district"]: b for b in data["bases"] if b["kind"] == "police_station"}
    spots = []
    for i in range(hotspots):
        district = districts[i % len(districts)]
        centre = warden_base[district]
        spots.append(
            {
                "id": f"SYN-{i + 1:03d}",
                "name": f"synthetic {i + 1}",
                "district": district,
                "project": _PROJECT_CYCLE[(i // len(districts)) % len(_PROJECT_CYCLE)],
                "lat": round(centre["lat"] + rng.uniform(-0.015, 0.015), 6),
                "lon": round(centre["lon"] + rng.uniform(-0.025, 0.025), 6),
                "radius_m": 150,
                "harm_weight": round(rng.lognormvariate(3.0, 0.8), 1),
            }
        )
    wardens_n = round(0.45 * staff)
    pcsos_n = 2 * round(0.05 * staff)
    officers_n = staff - wardens_n - pcsos_n
    warden_template = dict(data["staff"]["wardens"][0])
    officer_template = dict(data["staff"]["officers"][0])
    pcso_template = dict(data["staff"]["pcsos"][0])
    wardens = []
    for district, count in _pools(wardens_n, districts).items():
        if count:
            entry = {k: v for k, v in warden_template.items() if k not in ("id", "id_prefix", "count", "leave")}
            wardens.append({**entry, "id_prefix": f"SW-{district[-2:]}", "count": count, "district": district,
                             "base": warden_base[district]["id"]})  # fmt: skip
    officers = []
    for district, count in _pools(officers_n, districts).items():
        if count:
            entry = {k: v for k, v in officer_template.items() if k not in ("id", "id_prefix", "count")}
            officers.append(
                {**entry, "id_prefix": f"SPC-{district[-2:]}", "count": count, "station": station[district]["id"]}
            )
    pcsos = []
    for district, count in _pools(pcsos_n, districts[:2]).items():
        if count:
            entry = {k: v for k, v in pcso_template.items() if k not in ("id", "id_prefix", "count")}
            pcsos.append(
                {**entry, "id_prefix": f"SPCSO-{district[-2:]}", "count": count, "station": station[district]["id"]}
            )
    data["name"] = f"synthetic-h{hotspots}-s{staff}"
    data["hotspots"] = spots
    data["hotspots_file"] = None
    data["staff"] = {"wardens": wardens, "officers": officers, "pcsos": pcsos}
    annual = float(warden_template["annual_cost_gbp"])
    # budgets scaled to the staff: every warden contract plus 5%; £345 of SV overtime per officer (Cleveland's ratio)
    data["projects"]["asb"]["weekly_budget_gbp"] = round(wardens_n * annual * 7 / 365 * 1.05 + 1, 2)
    data["projects"]["sv"]["weekly_budget_gbp"] = round(345.0 * officers_n, 2)
    data["solver"] = {**data.get("solver", {}), "time_limit_seconds": limit}
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


def run_growth(args: argparse.Namespace) -> None:
    base = load_scenario(args.scenario, args.set or [])
    limit = args.cell_limit if args.cell_limit is not None else (15.0 if args.quick else 60.0)
    workers = base.scenario.solver.workers
    what = "roster model" + (" and plan_week" if args.plan else "")
    print(f"(b) growth grid: {what} with a {limit:g} s limit per cell (seed {args.seed}, {workers} workers)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="roster-growth-") as tmp:
        for hotspots in GRID:
            for staff in GRID:
                loaded = synthetic_scenario(base, hotspots, staff, seed=args.seed, limit=limit, folder=Path(tmp))
                data = instance.build(loaded.scenario, loaded.scenario.default_week_start)
                roster = roster_convergence(data, limit=limit, workers=workers, seed=args.seed)
                row: dict[str, Any] = {
                    "hotspots": hotspots,
                    "staff": staff,
                    "options": len(data.options),
                    "groups": len(data.groups),
                    "variables": roster["variables"],
                    "build_s": roster["build_s"],
                    "first_feasible_s": roster["first_feasible_s"],
                    "to_1pct_gap_s": roster["to_1pct_gap_s"],
                    "roster_status": roster["status"],
                    "roster_gap": roster["gap_at_limit"],
                    "roster_s": roster["seconds"],
                }
                if args.plan:
                    started = time.perf_counter()
                    result = plan_week(loaded)
                    s = result.plan.summary
                    row.update(
                        plan_status=s["status"],
                        plan_valid=s["validation"]["ok"],
                        plan_objective=s["objective"],
                        plan_gap=s["gap"],
                        plan_s=round(time.perf_counter() - started, 1),
                    )
                rows.append(row)
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(frame.to_string(index=False))
        for value in ("first_feasible_s", "roster_gap", *(["plan_gap"] if args.plan else [])):
            print(f"{value} by hotspots (rows) x staff (columns):")
            print(frame.pivot(index="hotspots", columns="staff", values=value).to_string())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "roster_growth.csv", index=False)


# --------------------------------------------------------------------------------------------------
# (c) the even-spread baseline
# --------------------------------------------------------------------------------------------------


def _options_of(data: ProblemData, plan: Plan) -> list[int]:
    """Shift options of a plan's roster rows (matched by person, start and end)."""
    by_key = {(o.person, o.start, o.end): o.index for o in data.options}
    shifts: dict[str, list[Any]] = defaultdict(list)
    for row in plan.roster:
        shifts[row.shift_id].append(row)
    chosen = []
    for rows in shifts.values():
        start = data.clock.minutes(min(r.shift_start for r in rows))
        end = data.clock.minutes(max(r.shift_end for r in rows))
        chosen.append(by_key[(rows[0].staff_id, start, end)])
    return chosen


def even_overtime(data: ProblemData, kept: list[int], *, limit: float, workers: int, seed: int) -> RosterSolution:
    """Roster with the kept warden/PCSO shifts and officer overtime spread evenly over days within the SV budget.

    Every staffing rule of the roster model holds (no visit variables). Objective: most officer crews on
    the emptiest day first, then the most paid overtime minutes (so the budget buys patrol time).
    """
    built = build_model(data, with_visits=False)
    model, v = built.model, built.vars
    for literal in v.assumptions.values():
        model.Add(literal == 1)
    keep = set(kept)
    for o in data.options:
        if o.role != "officer":
            model.Add(v.shift[o.index] == (1 if o.index in keep else 0))
    per_day = []
    for day in range(7):
        crews = [v.crews[g] for g, group in enumerate(data.groups) if group.day == day and "officer" in group.roles]
        per_day.append(sum(crews) if crews else 0)
    fewest = model.NewIntVar(0, len(data.options), "fewest_crews_a_day")
    for count in per_day:
        model.Add(fewest <= count)
    minutes = sum(v.shift[o.index] * o.paid_minutes for o in data.options if o.role == "officer")
    model.Maximize(fewest * 1_000_000 + minutes)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"baseline overtime: {solver.StatusName(status)}")
    shifts = [i for i, var in v.shift.items() if solver.Value(var)]
    crews = {g: int(solver.Value(var)) for g, var in v.crews.items() if solver.Value(var)}
    return RosterSolution(solver.StatusName(status).lower(), 0.0, 0.0, solver.WallTime(), shifts, crews, [])


@dataclass
class _Walker:
    """A crew walking its round-robin list of hotspots."""

    crew: pipeline.Crew
    order: list[int]
    pointer: int
    free: int
    location: int
    break_pending: bool
    stops: list[Stop] = field(default_factory=list)
    break_start: int | None = None


def _first_allowed(arrival: int, taken: list[int], gap: int) -> int:
    """Earliest minute at or after ``arrival`` at least ``gap`` from every arrival in ``taken``."""
    moved = True
    while moved:
        moved = False
        for other in taken:
            if abs(arrival - other) < gap:
                arrival, moved = other + gap, True
    return arrival


def round_robin_routes(data: ProblemData, crews: list[pipeline.Crew]) -> dict[str, RoutedCrew]:
    """Each crew visits its eligible hotspots in id order, back to back, keeping gap, cap and a mid-shift break."""
    by_team_day: dict[tuple[str, int], list[pipeline.Crew]] = defaultdict(list)
    for crew in crews:
        by_team_day[(crew.group.team, crew.group.day)].append(crew)
    walkers: dict[str, _Walker] = {}
    for members in by_team_day.values():
        for k, crew in enumerate(sorted(members, key=lambda c: c.crew_id)):
            order = sorted(crew.group.hotspots, key=lambda h: data.hotspots[h].id)
            walkers[crew.crew_id] = _Walker(
                crew, order, (k * len(order)) // len(members), crew.group.start, crew.group.base_location,
                crew.group.break_minutes > 0,
            )  # fmt: skip
    arrivals: dict[int, list[int]] = defaultdict(list)
    presence: dict[tuple[int, int], int] = defaultdict(int)
    queue = [(w.free, crew_id) for crew_id, w in walkers.items()]
    heapq.heapify(queue)
    while queue:
        _free, crew_id = heapq.heappop(queue)
        w = walkers[crew_id]
        group = w.crew.group
        brk = group.break_minutes
        matrix = data.matrices[group.profile]
        dwell = data.policy(group.project).dwell_target_minutes
        if w.break_pending and w.free >= group.start + (group.end - group.start - brk) // 2:
            w.break_start, w.free, w.break_pending = w.free, w.free + brk, False
        placed = False
        for step in range(len(w.order)):
            h = w.order[(w.pointer + step) % len(w.order)]
            location = data.hotspots[h].location
            gap, cap = hotspot_policy_gap(data, h)
            arrive = _first_allowed(w.free + int(matrix[w.location, location]), arrivals[h], gap)
            day = data.clock.day_index(arrive)
            back = arrive + dwell + int(matrix[location, group.base_location]) + (brk if w.break_pending else 0)
            if presence[(h, day)] + dwell > cap or back > group.end:
                continue
            w.stops.append(Stop(f"{data.hotspots[h].id}@{arrive}", arrive, arrive + dwell))
            arrivals[h].append(arrive)
            presence[(h, day)] += dwell
            w.free, w.location, w.pointer = arrive + dwell, location, (w.pointer + step + 1) % len(w.order)
            heapq.heappush(queue, (w.free, crew_id))
            placed = True
            break
        if not placed and w.break_pending:
            # no visit fits any more: the break follows the last visit (or sits mid-shift on an idle shift)
            w.break_start = w.free if w.stops else group.start + (group.end - group.start - brk) // 2
            w.break_pending = False
    return {cid: RoutedCrew(cid, w.stops, w.break_start) for cid, w in walkers.items()}


def even_spread_plan(
    loaded: LoadedScenario, data: ProblemData, optimised: Plan, *, limit: float
) -> tuple[Plan, RosterSolution]:
    """The even-spread baseline plan (see the module docstring), with its summary recomputed from its rows."""
    scenario = loaded.scenario
    kept = [i for i in _options_of(data, optimised) if data.options[i].role != "officer"]
    roster = even_overtime(data, kept, limit=limit, workers=scenario.solver.workers, seed=scenario.solver.seed)
    crews = pipeline._form_crews(data, roster)
    routed = round_robin_routes(data, crews)
    plan = Plan(scenario_yaml=loaded.resolved_yaml(), hotspots=pipeline._hotspot_rows(data))
    # a break the walk left at a shift's edge goes inside, as the optimised plan's do (the same rule)
    plan.roster, plan.visits = pipeline._plan_rows(data, crews, pipeline._breaks_inside(data, crews, routed))
    summary = pipeline._summary_base(loaded, data.week_start, data)
    summary.update(recompute_summary(plan, scenario, data.week_start))
    summary["status"] = "feasible"
    plan.summary = summary
    return plan, roster


def run_baseline(args: argparse.Namespace, optimised: PlanResult | None = None) -> None:
    loaded = load_scenario(args.scenario, args.set or [])
    scenario = loaded.scenario
    week: date = scenario.default_week_start
    if optimised is None:
        optimised = plan_week(loaded)
    data = instance.build(scenario, week)
    started = time.perf_counter()
    baseline, roster = even_spread_plan(loaded, data, optimised.plan, limit=30.0)
    seconds = time.perf_counter() - started
    rows = []
    for name, plan in (("optimiser", optimised.plan), ("even-spread", baseline)):
        violations = check(plan, scenario, week_start=week)
        s = plan.summary
        rows.append(
            {
                "plan": name,
                "valid": not violations,
                "violations": len(violations),
                "harm_weighted_dosage": round(s["harm_weighted_dosage"], 2),
                "objective": round(s["objective"], 2),
                "visits": sum(s["visits_by_hotspot"].values()),
                "patrol_minutes": sum(s["dosage_minutes_by_hotspot"].values()),
                "shifts": len({r.shift_id for r in plan.roster}),
                "officer_shifts": len({r.shift_id for r in plan.roster if r.role == "officer"}),
                "sv_spend_gbp": s["cost_gbp"]["grant-sv"],
                "sv_budget_gbp": round(s["budget_gbp"]["sv"], 2),
            }
        )
        for violation in violations[:5]:
            print(f"  {name}: {violation.message}")
    frame = pd.DataFrame(rows)
    ratio = (
        rows[0]["harm_weighted_dosage"] / rows[1]["harm_weighted_dosage"]
        if rows[1]["harm_weighted_dosage"]
        else float("inf")
    )
    print(f"(c) value against the even-spread baseline (baseline built in {seconds:.1f} s; overtime {roster.status}):")
    with pd.option_context("display.width", 200):
        print(frame.to_string(index=False))
    print(f"harm-weighted dosage ratio optimiser / even-spread = {ratio:.3f} (issue 6 asks >= 1.2)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.assign(ratio=round(ratio, 4)).to_csv(out / "roster_baseline.csv", index=False)


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("default", "growth", "baseline", "all"))
    parser.add_argument("--scenario", default=None, help="scenario YAML (default: the embedded Cleveland scenario)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="scenario override (repeatable)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="(a) roster solve limit, seconds (default 60)")
    parser.add_argument(
        "--cell-limit", type=float, default=None, help="(b) limit per cell, seconds (default 60; --quick 15)"
    )
    parser.add_argument("--quick", action="store_true", help="(b) 15 s per cell")
    parser.add_argument("--plan", action="store_true", help="(b) also run plan_week on every cell (doubles the time)")
    parser.add_argument("--seed", type=int, default=0, help="(b) seed of the synthetic weeks")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"), help="CSV folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    optimised = None
    if args.part in ("default", "all"):
        optimised = run_default(args)
    if args.part in ("growth", "all"):
        run_growth(args)
    if args.part in ("baseline", "all"):
        run_baseline(args, optimised)
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
