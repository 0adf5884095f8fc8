"""The `patrol` command: parses arguments, calls the optimiser package, prints; no domain logic here.

Exit codes: 0 success, 1 error (or a plan that fails its check), 2 usage or invalid input, 3 infeasible.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from optimiser import __version__
from optimiser.errors import DataError, PatrolError, ScenarioError

log = logging.getLogger("patrol")


def _mondays(text: str) -> tuple[date, ...]:
    """``FIRST:LAST`` -> every Monday from FIRST to LAST, for batch --weeks (at most a year of them)."""
    first_text, colon, last_text = text.partition(":")
    try:
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: give FIRST:LAST, two Mondays as YYYY-MM-DD") from exc
    if not colon or first.weekday() or last.weekday() or last < first:
        raise argparse.ArgumentTypeError(f"{text!r}: give FIRST:LAST, two Mondays, the first not after the last")
    weeks = tuple(first + timedelta(days=7 * k) for k in range((last - first).days // 7 + 1))
    if len(weeks) > 53:
        raise argparse.ArgumentTypeError(f"{text!r}: {len(weeks)} weeks; give at most a year (53 weeks)")
    return weeks


def _week(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from exc


def _positive(unit: str, example: str, most: float = float("inf")) -> Callable[[str], float]:
    """An argparse type for a positive number of ``unit`` up to ``most``.

    Checked as the flag, so its error names the flag: the flags become scenario overrides, which the user
    did not type.
    """

    def parse(text: str) -> float:
        try:
            value = float(text.replace(",", ""))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from exc
        if not 0 < value <= most or value == float("inf"):
            limit = f" up to {most:,g}" if most < float("inf") else ""
            raise argparse.ArgumentTypeError(f"{text!r}: give a number of {unit} above 0{limit}, e.g. {example}")
        return value

    return parse


_seconds = _positive("seconds", "60", most=86_400)  # the scenario's solver.time_limit_seconds bound
_hours = _positive("hours", "13000")


def _whole(what: str, least: int, most: int) -> Callable[[str], int]:
    """An argparse type for a whole number from ``least`` to ``most`` (the scenario's bounds for the field)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
        if not least <= value <= most:
            raise argparse.ArgumentTypeError(f"{text!r}: give a {what} from {least} to {most:,}")
        return value

    return parse


_count = _whole("number of workers", 1, 64)
_seed = _whole("seed", 0, 2**31 - 1)


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


# ---- commands ------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate scenario files; list every problem as ``file:line: field.path: message``."""
    from optimiser.instance import build
    from optimiser.pipeline import look_ahead, presolve_checks
    from optimiser.scenario import load_scenario

    problems: list[str] = []
    for name in args.files:
        try:
            loaded = load_scenario(name, args.set or [])
        except ScenarioError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        # the checks `patrol plan` makes before solving, on the default week: what only building the week finds
        # (the street network, shifts that add up to the contracted hours, money for the contracts)
        week = loaded.scenario.default_week_start
        try:
            conflicts = presolve_checks(build(loaded.scenario, week))
        except PatrolError as exc:
            problems.append(f"{name}: default week {week}: {exc}")
            continue
        print(f"{name}: ok ({loaded.scenario.name}, {len(loaded.scenario.hotspots)} hotspots)")
        # the warning `patrol plan` gives: an adopted list refreshed from months up to or after the week
        if warning := look_ahead(loaded.scenario.hotspots_window, week):
            print(f"{name}: warning: default week {week}: {warning}")
        for conflict in conflicts:
            print(f"{name}: warning: the default week {week} cannot be planned (patrol plan exits 3): {conflict}")
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 2
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the scenario JSON Schema."""
    from optimiser.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _solver_overrides(args: argparse.Namespace) -> list[str]:
    overrides = list(getattr(args, "set", None) or [])
    if getattr(args, "time_limit", None) is not None:
        overrides.append(f"solver.time_limit_seconds={args.time_limit}")
    if getattr(args, "seed", None) is not None:
        overrides.append(f"solver.seed={args.seed}")
    if getattr(args, "workers", None) is not None:
        overrides.append(f"solver.workers={args.workers}")
    return overrides


def _weekdays(text: str) -> tuple[int, ...]:
    """``mon,tue`` -> (0, 1): days of the week, for --pin-days."""
    from optimiser.scenario import DAYS as names

    days = [d.strip().lower()[:3] for d in text.split(",") if d.strip()]
    unknown = [d for d in days if d not in names]
    if not days or unknown:
        raise argparse.ArgumentTypeError(f"{text!r}: give days of the week separated by commas, e.g. mon,tue")
    return tuple(sorted({names.index(d) for d in days}))


def _pin_dates(args: argparse.Namespace, default_week: date) -> list[date] | None:
    """The dates --pin-days names in the planned week (None without it); it needs --pin."""
    if args.pin_days is None:
        return None
    if args.pin is None:
        raise DataError("--pin-days needs --pin PLAN_DIR: the published week whose days are frozen")
    week = args.week or default_week
    return [week + timedelta(days=d) for d in args.pin_days]


def _formats(text: str) -> tuple[str, ...]:
    """--formats: known views, at least one (--no-reports is how to write none)."""
    from optimiser.reports import check_formats

    formats = tuple(check_formats(text.split(",")))
    if not formats:
        raise DataError("--formats is empty: name at least one of xlsx, html, map, ics (comma-separated)")
    return formats


def cmd_plan(args: argparse.Namespace) -> int:
    """Plan one week and write the plan folder (the plan contract plus the planner views)."""
    from optimiser.pipeline import plan_to_folder
    from optimiser.scenario import load_scenario

    formats = () if args.no_reports else _formats(args.formats)  # a typo fails now, not after the solve
    loaded = load_scenario(args.scenario, _solver_overrides(args))
    with _console().status("Planning the week...", spinner="dots"):
        result = plan_to_folder(
            loaded,
            week_start=args.week,
            out_dir=args.out,
            pin_dir=args.pin,
            pin_days=_pin_dates(args, loaded.scenario.default_week_start),
            formats=formats,
            revises=args.revises,
        )
    summary = result.plan.summary
    print(result.headline())
    for note in summary.get("notes") or []:
        print(f"note: {note}")
    print(f"plan written to {result.out_dir}")
    valid = summary["status"] in ("optimal", "feasible") and summary["validation"]["ok"]
    if valid and "ics" in formats and not summary.get("revision"):
        print(
            "calendars: revision 0, a first publication; to re-publish a changed week, write it over the "
            "published folder or give --revises PUBLISHED_DIR, so staff calendars move and cancel its shifts"
        )
    if summary["status"] == "infeasible":
        print(f"infeasible: {summary['explanation']}", file=sys.stderr)
        return 3
    if summary["status"] == "no-plan":
        print(f"no plan: {summary['explanation']}", file=sys.stderr)
        return 1
    return 0 if summary["validation"]["ok"] else 1


def cmd_check(args: argparse.Namespace) -> int:
    """Re-check every hard rule of a plan folder."""
    from optimiser.validate import check_folder, format_report, update_summary

    if args.update_summary:
        if args.scenario:
            raise DataError("--update-summary checks the plan against its own scenario; leave out --scenario")
        left = update_summary(Path(args.plan_dir))
        if left:
            print(format_report(left))
            print("summary not updated: the plan breaks the rules above; fix them first", file=sys.stderr)
            return 1
        print(f"summary.json and the visits' values recomputed; run `patrol report {args.plan_dir}` for the views")
        return 0
    violations, plan = check_folder(Path(args.plan_dir), scenario_path=Path(args.scenario) if args.scenario else None)
    status = plan.summary.get("status")
    if not violations and status in ("infeasible", "no-plan"):
        # nothing to judge but the summary itself: say so rather than call it a valid plan
        print(f"no plan to check: the folder's status is {status} ({plan.summary.get('explanation') or 'no reason'})")
        return 0
    print(format_report(violations))
    judged_by = Path(args.scenario) if args.scenario else Path(args.plan_dir) / "scenario.resolved.yaml"
    name = plan.summary.get("scenario") if not args.scenario else None
    print(f"judged by {judged_by}" + (f" (scenario {name})" if name else ""), file=sys.stderr)
    # only figures a recompute mends (the rows give another value): not a status, a week or a scenario
    if violations and all(v.rule == "summary" and "rows give" in v.message for v in violations):
        print(
            f"only summary.json disagrees: if the rows were edited by hand and keep every rule, "
            f"`patrol check {args.plan_dir} --update-summary` recomputes its figures",
            file=sys.stderr,
        )
    return 1 if violations else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build the planner views from a plan folder."""
    from optimiser.reports import check_and_report

    formats = _formats(args.formats)
    out = Path(args.out) if args.out else None
    written, messages = check_and_report(Path(args.plan_dir), formats=formats, out_dir=out)
    for path in written:
        print(path)
    if messages:
        print(
            f"patrol: the plan fails its check ({len(messages)} violation(s), first: {messages[0]}); the views say "
            "CHECK FAILED: run `patrol check` for all",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_hotspots_refresh(args: argparse.Namespace) -> int:
    """Re-detect hotspots from police.uk data; write hotspots.yaml, diff.csv, hotspots.geojson, rows_not_used.csv.

    rows_not_used.csv lists the police.uk rows set aside, by reason and file; hotspots.yaml's header sums it up.
    """
    from optimiser import hotspots, incidents
    from optimiser.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.set or []).scenario
    window = (
        incidents.parse_months(args.months)
        if args.months is not None
        else incidents.default_window(scenario.default_week_start)
    )
    method = hotspots.parse_method(args.method)
    if method["method"] == "segment":
        raise DataError(
            "--method segment needs a street network of the whole force area, which refresh does not load; "
            "use grid or lsoa (or hotspots.detect(graph=...) from Python)"
        )
    hotspots.refuse_other_outputs(args.out, "hotspot refresh")  # before the data is read, not only when writing
    files = incidents.scenario_street_files(scenario, window)
    force = incidents.scenario_force_area(scenario)
    frame, report = incidents.load(files, lsoa_file=force, months=window, log_report=False)
    print(report.summary())
    result = hotspots.refresh(
        frame,
        window=window,
        out_dir=Path(args.out),
        old_hotspots=scenario.hotspots,
        crime_types={p: scenario.projects.get(p).crime_types for p in ("asb", "sv")},
        top_k=hotspots.scenario_top_k(scenario),
        force_area=force,
        lsoa_boundaries=scenario.force_area.lsoa_boundaries if scenario.force_area else None,
        title=scenario.name,
        command=args.command_line,
        load_report=report,
        **method,
    )
    for note in result.hotspots.notes:
        print(f"note: {note}")
    counts: dict[str, int] = {}
    for status in result.diff["status"]:
        counts[status] = counts.get(status, 0) + 1
    print(
        f"{len(result.hotspots)} hotspots for {window}: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    )
    for path in (result.yaml_path, result.diff_path, result.geojson_path, result.rows_not_used_path):
        if path is not None:
            print(path)
    return 0


def cmd_hotspots_evaluate(args: argparse.Namespace) -> int:
    """Compare hotspot methods and K values by hit rate and PAI on a later window, with the baseline."""
    from optimiser import hotspots, incidents
    from optimiser.outputs import replace_files
    from optimiser.scenario import load_scenario

    out = Path(args.out)
    _refuse_csv_target(out, [], option="--out")
    scenario = load_scenario(args.scenario, args.set or []).scenario
    train, test = incidents.parse_months(args.train), incidents.parse_months(args.test)
    hotspots.check_windows(train, test)
    both = incidents.MonthWindow(train.start, test.end)
    files = incidents.scenario_street_files(scenario, both)
    force = incidents.scenario_force_area(scenario)
    frame, report = incidents.load(files, lsoa_file=force, months=both, log_report=False)
    print(report.summary())
    table = hotspots.evaluate(
        frame,
        train=train,
        test=test,
        force_area=force,
        crime_types={p: scenario.projects.get(p).crime_types for p in ("asb", "sv")},
        default_top_k=hotspots.scenario_top_k(scenario),
        lsoa_boundaries=scenario.force_area.lsoa_boundaries if scenario.force_area else None,
    )
    print(hotspots.format_evaluation(table))
    replace_files(out.parent, {out.name: lambda path: table.to_csv(path, index=False)})
    print(f"written {out}")
    return 0


def cmd_hotspots_report(args: argparse.Namespace) -> int:
    """Count ASB incidents, SV crimes and other crime in each hotspot of the scenario's adopted list.

    The list is the scenario's hotspots (its hotspots_file / hotspots:); each is counted as points in its
    published polygon, by month and police.uk crime type, over any months of the scenario's police.uk data.
    Writes hotspot_incidents.csv (hotspot x month x crime type), hotspot_summary.csv (per hotspot, per
    district and the force, with each list's share of the force's ASB, SV and area) and rows_not_used.csv
    (the police.uk rows set aside, by reason and file), all three or none.
    """
    from optimiser import hotspots, incidents
    from optimiser.scenario import load_scenario

    out = Path(args.out)
    hotspots.refuse_other_outputs(out, "hotspot report")  # before the data is read, not only when writing
    scenario = load_scenario(args.scenario, args.set or []).scenario
    if args.months is not None:
        window = incidents.parse_months(args.months)
    elif scenario.hotspots_window:
        window = incidents.parse_months(scenario.hotspots_window)
    else:
        window = incidents.default_window(scenario.default_week_start)
    if not scenario.hotspots:
        raise DataError(f"scenario {scenario.name} has no hotspots to report on; set hotspots_file: or hotspots:")
    files = incidents.scenario_street_files(scenario, window)
    force = incidents.scenario_force_area(scenario)
    frame, report = incidents.load(files, lsoa_file=force, months=window, log_report=False)
    print(report.summary())
    detail, summary = hotspots.report_tables(
        scenario.hotspots,
        frame,
        window=window,
        force_area=force,
        crime_types={p: scenario.projects.get(p).crime_types for p in ("asb", "sv")},
    )
    written = hotspots.write_report(out, detail, summary, report.rows_not_used())
    force_row = summary[(summary["level"] == "list") & (summary["district"] == "") & (summary["project"] == "all")]
    if len(force_row):
        r = force_row.iloc[0]
        print(
            f"{len(scenario.hotspots)} hotspots, {window}: {r['asb_share_pct']:.2f}% of the force's ASB incidents and "
            f"{r['sv_share_pct']:.2f}% of its SV crimes on {r['area_share_pct']:.3f}% of its area"
        )
    for path in written:
        print(path)
    return 0


def _scenario_points(scenario) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    return [(h.id, h.lat, h.lon) for h in scenario.hotspots] + [(b.id, b.lat, b.lon) for b in scenario.bases]


def cmd_network_inspect(args: argparse.Namespace) -> int:
    """Load the scenario's street network; print nodes, edges, components, snap distances and travel times."""
    from optimiser import network
    from optimiser.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.set or []).scenario
    profiles = [args.profile] if args.profile else sorted(set(scenario.travel.profiles.values()))
    for profile in profiles:
        report = network.inspect(scenario.travel, _scenario_points(scenario), profile=profile)
        print(report.to_text())
    return 0


def cmd_network_fetch(args: argparse.Namespace) -> int:
    """Download a place's street network (the only command that uses the internet)."""
    from optimiser import network

    path = network.fetch(args.place, Path(args.out), timeout_s=args.timeout)
    print(f"written {path}")
    return 0


def cmd_budget_plan(args: argparse.Namespace) -> int:
    """Month-by-month annual plan against the grant: warden posts, officer overtime hours, spend, headroom."""
    from optimiser.finance import annual_plan
    from optimiser.scenario import load_scenario

    loaded = load_scenario(args.scenario, args.set or [])
    if bool(args.actuals) != bool(args.as_of):
        raise ScenarioError("--actuals and --as-of go together: give the actuals CSV and the last month it covers")
    plan = annual_plan(
        loaded,
        out_dir=Path(args.out),
        actuals=Path(args.actuals) if args.actuals else None,
        as_of=args.as_of,
        solver=args.solver,
        seasonality="flat" if args.flat_seasons else "incidents",
        commit_contracts=args.commit_contracts,
        **({"target_hours": args.target_hours} if args.target_hours is not None else {}),
        **({"ceiling_hours": args.ceiling_hours} if args.ceiling_hours is not None else {}),
    )
    print(plan.text())
    print(f"written to {plan.out_dir}")
    return 3 if plan.status == "infeasible" else 0


def cmd_budget_sweep(args: argparse.Namespace) -> int:
    """Scale both allocations by each factor, plan staffing for the year and roster a week (--week)."""
    from optimiser.finance import budget_sweep
    from optimiser.scenario import load_scenario

    loaded = load_scenario(args.scenario, _solver_overrides(args))
    try:
        factors = [float(f) for f in args.factors.split(",") if f.strip()]
    except ValueError as exc:
        raise ScenarioError(
            f"--factors {args.factors!r}: give numbers separated by commas, e.g. 0.5,0.75,1,1.25"
        ) from exc
    if not factors or not all(0 <= f <= 100 for f in factors):  # also refuses nan and inf
        raise ScenarioError("--factors needs at least one factor, each from 0 to 100 (e.g. 0.5,0.75,1,1.25)")
    with _console().status("Sweeping budgets...", spinner="dots"):
        table = budget_sweep(
            loaded,
            factors=factors,
            out_dir=Path(args.out),
            solver=args.solver,
            week_start=args.week,
            seasonality="flat" if args.flat_seasons else "incidents",
        )
    # the headline columns on the terminal (sweep.csv keeps all of them, costs by district too)
    from optimiser.finance import SWEEP_COLUMNS

    print(table[[c for c in SWEEP_COLUMNS if c in table.columns]].to_string(index=False))
    for record in table.to_dict("records"):
        if isinstance(record.get("explanation"), str) and record["explanation"]:
            print(f"x{record['factor']:g}: {record['explanation']}")
    print(f"written {Path(args.out) / 'sweep.csv'} (every column) and {Path(args.out) / 'sweep.png'}")
    failed = int((table["status"] == "check-failed").sum())
    if failed:
        log.error("%d level(s) planned a week that failed its independent check (status check-failed)", failed)
    return 1 if failed else 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Plan two scenarios (or read two plan folders, weekly or annual) and print key figures side by side."""
    from optimiser.finance import compare_table, format_comparison
    from optimiser.outputs import replace_files

    target = Path(args.csv) if args.csv else None
    if target is not None:
        _refuse_csv_target(target, [Path(args.a), Path(args.b)])
    table = compare_table(args.a, args.b, week=args.week, overrides=_solver_overrides(args))
    print(format_comparison(table))
    if target is not None:
        replace_files(target.parent, {target.name: lambda path: table.to_csv(path, index=False)})
        print(f"written {target}")
    return 0


def _refuse_csv_target(target: Path, sources: Sequence[Path], *, option: str = "--csv") -> None:
    """Refuse a place a table's CSV must not go.

    Not a folder, not inside a plan's folder (weekly or annual: it would break or muddle the plan), not
    inside a plan being compared, and over a CSV file only.
    """
    if target.is_dir():
        raise DataError(f"{option} {target}: is a folder; give a file name outside any plan folder, e.g. table.csv")
    for source in sources:
        if source.is_dir() and target.resolve().is_relative_to(source.resolve()):
            raise DataError(f"{option} {target}: is inside {source}, a plan being compared; write it elsewhere")
    if (target.parent / "summary.json").is_file():
        raise DataError(f"{option} {target}: is inside {target.parent}, a plan's folder; write it elsewhere")
    if target.exists() and target.suffix.lower() != ".csv":
        raise DataError(f"{option} {target}: exists and is not a .csv file; give another name")


def cmd_batch(args: argparse.Namespace) -> int:
    """Plan many scenarios in parallel processes (or on a Dask cluster); one folder each plus summary.csv."""
    from optimiser.batch import batch, is_valid_plan

    names = _glob_all(args.patterns)
    overrides = list(args.set or [])
    if args.time_limit is not None:
        overrides.append(f"solver.time_limit_seconds={args.time_limit}")
    if args.seed is not None:
        overrides.append(f"solver.seed={args.seed}")
    table = batch(
        names,
        out_dir=Path(args.out),
        workers=args.workers,
        dask_scheduler=args.dask_scheduler,
        overrides=overrides,
        week_start=args.week,
        weeks=args.weeks or (),
    )
    print(_batch_console(table))
    failed = int((table["status"] == "error").sum()) if "status" in table else 0
    # a week with no plan in the time limit, or a plan failing its check, is not an answer a nightly run can use
    unusable = sum(
        1
        for row in table.to_dict("records")
        if row.get("status") == "no-plan" or (row.get("status") in ("optimal", "feasible") and not is_valid_plan(row))
    )
    problems = f", {unusable} without a valid plan (no plan in the time limit, or a failed check)" if unusable else ""
    print(f"{len(table)} scenario(s), {failed} failed{problems}; summary {Path(args.out) / 'summary.csv'}")
    return 1 if failed or unusable else 0


# ---- parser --------------------------------------------------------------------------------------


def _add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", help="scenario YAML (default: the embedded Cleveland scenario)")


def _add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario field (repeatable)")


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", type=_week, help="Monday that starts the week (default: the scenario's)")
    _add_set_option(parser)
    parser.add_argument(
        "--time-limit", type=_seconds, metavar="S", help="solver time limit, seconds (default: the scenario's, 60)"
    )
    parser.add_argument(
        "--seed", type=_seed, help="random seed; results are deterministic for a seed (default: the scenario's, 0)"
    )
    parser.add_argument("--workers", type=_count, help="solver worker threads (default: the scenario's, 2)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `patrol` command."""
    parser = argparse.ArgumentParser(
        prog="patrol",
        description="Hotspot patrol allocation optimiser: weekly rosters, routes, budgets and hotspot reviews.",
    )
    parser.add_argument("--version", action="version", version=f"patrol {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sub = commands.add_parser("validate", help="check scenario files", description=cmd_validate.__doc__)
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field (repeatable)")
    sub.set_defaults(handler=cmd_validate)

    sub = commands.add_parser("schema", help="print the scenario JSON Schema", description=cmd_schema.__doc__)
    sub.set_defaults(handler=cmd_schema)

    sub = commands.add_parser("plan", help="plan a week's roster and routes", description=cmd_plan.__doc__)
    _add_scenario_argument(sub)
    _add_plan_options(sub)
    sub.add_argument("--out", type=Path, help="plan folder (default plans/<scenario>-<week>)")
    sub.add_argument(
        "--pin",
        type=Path,
        metavar="PLAN_DIR",
        help="freeze the shifts and visits of a published plan (or of the days already worked); re-plan the rest",
    )
    sub.add_argument(
        "--pin-days",
        type=_weekdays,
        metavar="DAYS",
        help="with --pin of a whole published week: freeze only these days (e.g. mon,tue: the days already "
        "worked); the published week stays unless a re-plan of the rest beats it",
    )
    sub.add_argument(
        "--revises",
        type=Path,
        metavar="PLAN_DIR",
        help="the published plan this one replaces, kept in its own folder: this plan is its next revision "
        "(calendars update moved shifts and cancel dropped ones; the roster lists what changed)",
    )
    sub.add_argument("--formats", default="xlsx,html,map,ics", help="planner views to write (default all)")
    sub.add_argument("--no-reports", action="store_true", help="write only the contract files")
    sub.set_defaults(handler=cmd_plan)

    sub = commands.add_parser(
        "check", help="re-check a plan folder against every hard rule", description=cmd_check.__doc__
    )
    sub.add_argument("plan_dir", metavar="PLAN_DIR")
    sub.add_argument("--scenario", help="scenario YAML (default: the plan's scenario.resolved.yaml)")
    sub.add_argument(
        "--update-summary",
        action="store_true",
        help="after a hand edit that keeps every rule: recompute summary.json and the visits' values",
    )
    sub.set_defaults(handler=cmd_check)

    sub = commands.add_parser("report", help="write the planner views of a plan", description=cmd_report.__doc__)
    sub.add_argument("plan_dir", metavar="PLAN_DIR")
    sub.add_argument("--formats", default="xlsx,html,map,ics", help="comma list of xlsx,html,map,ics")
    sub.add_argument("--out", help="output folder (default: the plan folder)")
    sub.set_defaults(handler=cmd_report)

    hot = commands.add_parser("hotspots", help="refresh or evaluate hotspots from police.uk data")
    hot_commands = hot.add_subparsers(dest="hotspots_command", metavar="ACTION")
    hot_commands.required = True
    sub = hot_commands.add_parser("refresh", help="re-detect hotspots", description=cmd_hotspots_refresh.__doc__)
    _add_scenario_argument(sub)
    sub.add_argument("--months", help="window YYYY-MM:YYYY-MM (default: 12 months before default_week_start)")
    sub.add_argument(
        "--method",
        default="grid",
        help="detection method as `hotspots evaluate` names them, e.g. grid, grid:cell_m=100, lsoa:rank_by=harm "
        "(default grid: 150 m cells ranked by count)",
    )
    sub.add_argument("--out", required=True, help="output folder")
    _add_set_option(sub)
    sub.set_defaults(handler=cmd_hotspots_refresh)
    sub = hot_commands.add_parser(
        "evaluate", help="PAI of methods against the baseline", description=cmd_hotspots_evaluate.__doc__
    )
    _add_scenario_argument(sub)
    sub.add_argument("--train", default="2023-12:2024-11", help="training months (default 2023-12:2024-11)")
    sub.add_argument("--test", default="2024-12:2025-08", help="test months (default 2024-12:2025-08)")
    sub.add_argument("--out", default="hotspot-evaluation.csv", help="CSV to write (default hotspot-evaluation.csv)")
    _add_set_option(sub)
    sub.set_defaults(handler=cmd_hotspots_evaluate)
    sub = hot_commands.add_parser(
        "report",
        help="ASB, SV and other crime in each adopted hotspot, by month and crime type",
        description=cmd_hotspots_report.__doc__,
    )
    _add_scenario_argument(sub)
    sub.add_argument(
        "--months",
        help="months YYYY-MM:YYYY-MM to count (default: the hotspot list's own window, else the 12 months "
        "before default_week_start)",
    )
    sub.add_argument("--out", required=True, help="output folder")
    _add_set_option(sub)
    sub.set_defaults(handler=cmd_hotspots_report)

    net = commands.add_parser("network", help="inspect the street network or download one")
    net_commands = net.add_subparsers(dest="network_command", metavar="ACTION")
    net_commands.required = True
    sub = net_commands.add_parser(
        "inspect", help="graph, snaps and travel times", description=cmd_network_inspect.__doc__
    )
    _add_scenario_argument(sub)
    sub.add_argument("--profile", choices=("walk", "drive"), help="one profile (default: every profile used)")
    _add_set_option(sub)
    sub.set_defaults(handler=cmd_network_inspect)
    sub = net_commands.add_parser(
        "fetch", help="download a place's streets (needs internet)", description=cmd_network_fetch.__doc__
    )
    sub.add_argument("--place", required=True, help='place name, e.g. "Middlesbrough, UK"')
    sub.add_argument("--out", required=True, help="GraphML file to write")
    sub.add_argument("--timeout", type=float, default=10.0, help="seconds before giving up (default 10)")
    sub.set_defaults(handler=cmd_network_fetch)

    budget = commands.add_parser("budget", help="annual plan against the grant; budget sweeps")
    budget_commands = budget.add_subparsers(dest="budget_command", metavar="ACTION")
    budget_commands.required = True
    sub = budget_commands.add_parser("plan", help="month-by-month annual plan", description=cmd_budget_plan.__doc__)
    _add_scenario_argument(sub)
    sub.add_argument("--actuals", help="CSV of month, project, district, spend_gbp, patrol_hours")
    sub.add_argument("--as-of", help="last month the actuals cover, YYYY-MM")
    sub.add_argument("--solver", choices=("cbc", "highs"), default="cbc", help="LP solver (default cbc)")
    sub.add_argument("--flat-seasons", action="store_true", help="no seasonal weights from incident data")
    sub.add_argument(
        "--commit-contracts",
        action="store_true",
        help="the scenario's warden contracts are committed posts (in-year view); default: posts planned afresh",
    )
    sub.add_argument(
        "--target-hours", type=_hours, metavar="H", help="patrol person-hours aimed for in the year (default 13,000)"
    )
    sub.add_argument(
        "--ceiling-hours", type=_hours, metavar="H", help="most patrol person-hours in the year (default 20,000)"
    )
    sub.add_argument("--out", required=True, help="output folder")
    _add_set_option(sub)
    sub.set_defaults(handler=cmd_budget_plan)
    sub = budget_commands.add_parser("sweep", help="budget levels against dosage", description=cmd_budget_sweep.__doc__)
    _add_scenario_argument(sub)
    sub.add_argument("--factors", default="0.5,0.75,1,1.25", help="allocation factors (default 0.5,0.75,1,1.25)")
    sub.add_argument("--flat-seasons", action="store_true", help="no seasonal weights from incident data")
    sub.add_argument("--solver", choices=("cbc", "highs"), default="cbc", help="LP solver (default cbc)")
    sub.add_argument("--out", required=True, help="output folder")
    _add_plan_options(sub)
    sub.set_defaults(handler=cmd_budget_sweep)

    sub = commands.add_parser("compare", help="two scenarios or plans side by side", description=cmd_compare.__doc__)
    sub.add_argument("a", help="scenario YAML or plan folder")
    sub.add_argument("b", help="scenario YAML or plan folder")
    sub.add_argument("--csv", metavar="FILE", help="also write the table (figure, a, b, delta) to this CSV file")
    _add_plan_options(sub)
    sub.set_defaults(handler=cmd_compare)

    sub = commands.add_parser("batch", help="plan many scenarios in parallel", description=cmd_batch.__doc__)
    sub.add_argument("patterns", nargs="+", metavar="GLOB", help="scenario files or patterns")
    sub.add_argument("--out", required=True, help="output folder")
    sub.add_argument(
        "--dask-scheduler", metavar="tcp://HOST:PORT", help="run on a Dask cluster ('local' starts one here)"
    )
    sub.add_argument(
        "--workers", type=_count, default=1, help="scenarios solved at once: processes or local Dask workers"
    )
    sub.add_argument("--week", type=_week, help="Monday that starts the week (default: each scenario's)")
    sub.add_argument(
        "--weeks",
        type=_mondays,
        metavar="FIRST:LAST",
        help="plan every week from Monday FIRST to Monday LAST (inclusive) for each scenario, one folder each",
    )
    sub.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field of every scenario")
    sub.add_argument("--time-limit", type=_seconds, metavar="S", help="solver time limit per scenario, seconds")
    sub.add_argument("--seed", type=_seed, help="random seed")
    sub.set_defaults(handler=cmd_batch)

    _everywhere(parser)
    return parser


def _everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``-v`` and ``--debug`` after the command too (``patrol plan -v``), as people type them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
                sub.add_argument(
                    "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
                )
                _everywhere(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `patrol` command; returns the exit code (also used by tests)."""
    parser = build_parser()
    try:
        words = list(argv) if argv is not None else sys.argv[1:]
        args = parser.parse_args(words)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    args.command_line = shlex.join(["patrol", *words])  # as typed, for files that record how they were made
    level = logging.DEBUG if args.debug else (logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args))
    except PatrolError as exc:
        if args.debug:
            raise
        if isinstance(exc, ScenarioError):
            for problem in exc.problems:
                print(str(problem), file=sys.stderr)
        else:
            print(f"patrol: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (`patrol check ... | head`): nothing to report; stop writing to the closed pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        # a place that cannot be read or written (a file where a folder is wanted, no permission, a full disk)
        if args.debug:
            raise
        # a write that fails (a full disk) names no file: name the output being written instead
        target = exc.filename or getattr(args, "out", None) or getattr(args, "csv", None)
        where = f"{target}: " if target else ""
        print(f"patrol: {where}{exc.strerror or exc}; check the path, its permissions and free space", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("patrol: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:
        # Ctrl-C while a library loads surfaces as its failed import
        if isinstance(exc.__context__, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt):
            print("patrol: interrupted", file=sys.stderr)
            return 130
        raise


def _batch_console(table) -> str:  # type: ignore[no-untyped-def]
    """The batch summary as people read it on a terminal: a few columns, then each failure or conflict in full.

    Why: summary.csv holds every column (costs by district too), forty of them; printed whole, the error
    text is cut off at the terminal's edge.
    """
    shown = [
        ("scenario", "scenario", "{}"),
        *([("week_start", "week", "{}")] if "week_start" in table and table["week_start"].nunique() > 1 else []),
        ("status", "status", "{}"),
        ("objective", "objective", "{:,.2f}"),
        ("gap", "gap", "{:.2%}"),
        ("cost_grant_asb_gbp", "ASB £", "{:,.2f}"),
        ("cost_grant_sv_gbp", "SV £", "{:,.2f}"),
        ("validation_ok", "valid", "{}"),
        ("solve_seconds", "seconds", "{:.1f}"),
    ]
    rows = []
    for record in table.to_dict("records"):
        cells = []
        planned = record.get("status") in ("optimal", "feasible")
        for column, _label, form in shown:
            value = record.get(column)
            missing = value is None or (isinstance(value, float) and value != value)  # NaN: no figure
            # an infeasible or failed week has no plan: no costs to show, and nothing was checked
            missing = missing or (
                not planned and column in ("validation_ok", "cost_grant_asb_gbp", "cost_grant_sv_gbp")
            )
            cells.append("-" if missing else form.format(value))
        rows.append(cells)
    labels = [label for _column, label, _form in shown]
    widths = [max(len(labels[i]), *(len(r[i]) for r in rows)) for i in range(len(labels))] if rows else []
    lines = ["  ".join(label.ljust(w) for label, w in zip(labels, widths, strict=True))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    for record in table.to_dict("records"):
        reason = record.get("error")
        if isinstance(reason, str) and reason:
            lines.append(f"{record.get('scenario')}: {reason}")
    return "\n".join(lines)


def _glob_all(patterns: Sequence[str]) -> list[str]:
    """Expand shell-style patterns (for shells that do not, e.g. on Windows)."""
    names: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        names.extend(matches or [pattern])
    return names


if __name__ == "__main__":
    sys.exit(main())
