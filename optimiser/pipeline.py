"""The conductor: plan_week(scenario, week) runs every stage in order and returns a checked Plan.

Stages: scenario check -> ProblemData (instance) -> presolve checks (budget against committed
contracts) -> CP-SAT roster (shifts, crews, visit buckets; its bound is the week's best bound) ->
route stage (exact times per team and day, across crews) -> staffing search judged by those routes
(one crew moved at a time) -> plan rows -> summary -> independent validation. The CLI, finance and
batch all call it; nothing is written unless the caller asks.
"""

from __future__ import annotations

import itertools
import logging
import math
import statistics
import time as clock_time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from optimiser import cpsat
from optimiser.breaks import BreakCrew, place_breaks
from optimiser.errors import DataError, InfeasibleError, ScenarioError
from optimiser.instance import (
    CrewGroup,
    ProblemData,
    ShiftOption,
    build,
    paid_minutes_by_row,
    row_cost_pence,
)
from optimiser.outputs import beside, holds_a_valid_plan, may_replace_with_any
from optimiser.plan import (
    HotspotRow,
    Plan,
    RosterRow,
    VisitRow,
    calendar_namespace,
    prepare_out_dir,
    proven_optimal,
    read_plan,
    relative_gap,
    shift_day_keys,
    shift_spans,
    write_plan,
)
from optimiser.roster.model import (
    Pin,
    RosterSolution,
    SolverParams,
    allowed_buckets,
    ceiling_bound,
    hotspot_day_ceilings,
    hotspot_policy_gap,
)
from optimiser.roster.model import solve as solve_roster
from optimiser.roster.staffing import StaffingOracle, fairness_penalty
from optimiser.routing.model import Stop
from optimiser.routing.weekly import (
    DispatchHotspot,
    RoutedCrew,
    TeamDay,
    VisitSlot,
    WeeklyCrew,
    dispatch_routes,
    improve_routes,
    push_insert,
    route_team_day,
    with_breaks,
)
from optimiser.scenario import DAYS, LoadedScenario, Scenario, week_is_valid
from optimiser.validate import Violation, check, recompute_summary, visit_values

log = logging.getLogger(__name__)

#: A mid-week re-plan (``--pin-days``) replaces a published week that still holds every rule only when it
#: gains more than this share of the objective: moving people's shifts for a 0.1% gain is churn (a
#: re-publish with nothing changed once moved 19 people's days for +27 of 26,438).
STABILITY_MARGIN = 0.01
#: Share of the time limit given to the roster model; the rest goes to the route stage.
ROSTER_SHARE = 0.5
#: The roster model and the first routes get at most this many seconds of the time limit (unless no roster
#: is found in it); the rest goes to the staffing search judged by routes. Why: past it the relaxation's own
#: objective keeps rising while the routed plans it leads to fall (default week, seed 0, before this cap:
#: limit 45 s 26,939; 60 s 26,918; 90 s 26,866; 120 s 26,808; 300 s 26,840), so a longer limit gave a worse
#: plan; a stage of 30 s or 40 s stopped the roster on worse rosters (seed 0: 23,978 against 25,656). With
#: the cap, a longer limit starts from this plan and only keeps moves that gain (60 s 27,071; 120 s 27,116;
#: 300 s 27,116, seed 0; with the week-edge rest and the breaks inside the working period, measured since:
#: 60 s 27,162; 120 s 27,162).
STAGE_SECONDS = 45.0
#: Share of the route stage's time given to its final sweep (the rest goes to the day-by-day pass).
SWEEP_SHARE = 0.5
#: CP-SAT deterministic time units per second of time limit (about half a second of solving on a
#: 2-core machine): solves stop on this deterministic clock, so a seed repeats on any machine.
DETERMINISTIC_PER_SECOND = 0.35
#: The wall clock stops a solve only past this multiple of its share of the time limit (a safety cap on a
#: slow or busy machine); below it, the deterministic clock decides, so results repeat.
WALL_CAP_FACTOR = 2.0
#: Ruin-and-recreate rounds of a route call per second of its share of the time limit (a round is a
#: millisecond or two), and the fewest any call gets; counted, not timed, so a seed repeats. Measured on
#: the default week: 100 a second gave dosage 26,203, 300 gave 26,248, 1,000 gave 26,228 (a plateau).
LNS_ROUNDS_PER_SECOND = 300
LNS_MIN_ROUNDS = 20
#: Deterministic units a second for the route calls' slot model, which polishes the searched routes:
#: at ten times this it added 6 of 26,000 to the default week for 25 s more, so it gets a tenth of the
#: roster's rate.
ROUTE_DETERMINISTIC_PER_SECOND = 0.035
#: Below this many deterministic units a call, the slot model is not built: it would return about its
#: hint, and building it costs a few tenths of a second a call. Default week, 60 s limit (every call
#: below it), seeds 0/1/2: 27,074 / 26,985 / 27,020 in 42-52 s with the model at a 0.05 floor; without it
#: 27,071 / 27,003 / 27,062 in 25-30 s. Small weeks (the tests' tiny scenarios) keep it.
SLOT_MODEL_MIN_DETERMINISTIC = 0.05
#: The staffing search after the routes (:func:`_restaff`), counted per second of time limit so a seed
#: repeats: staffing questions to the oracle (milliseconds each), moves screened by routing the moved
#: crew alone (tens of milliseconds), and full re-routes of a team-day (about half a second each, at
#: ``RESTAFF_CALL_SHARE`` of the route stage's time); at most ``RESTAFF_SCREENS_PER_ROUND`` screens a round.
RESTAFF_QUESTIONS_PER_SECOND = 4.0
RESTAFF_SCREENS_PER_SECOND = 2.0
RESTAFF_CALLS_PER_SECOND = 0.25
RESTAFF_CALL_SHARE = 0.02
RESTAFF_SCREENS_PER_ROUND = 40
#: Full re-routes tried a round when no screened move gains on its own.
RESTAFF_CALLS_PER_ROUND = 3
#: Past ``STAGE_SECONDS``, each second of the extra time buys this many full re-routes of a team-day (about
#: half a second each), staffing questions and screens. Such a round screens ``EXTENDED_SCREENS_PER_ROUND``
#: moves and re-routes them in full, best screen first, until one gains; a round where none gains is tried
#: again twice as wide. Default week, limit 60 s (15 s past the stage), seeds 0-4: 27,071 / 27,056 / 27,119 /
#: 27,051 / 27,037 in 25-32 s (mean 27,067; at 0.4 / 3 / 10 a second: mean 27,044; with all 60 s staged
#: and no extended search, before the slot model was skipped: mean 26,946).
EXTENDED_CALLS_PER_SECOND = 1.0
EXTENDED_QUESTIONS_PER_SECOND = 20.0
EXTENDED_SCREENS_PER_SECOND = 6.0
EXTENDED_SCREENS_PER_ROUND = 15


@dataclass
class Crew:
    """A crew on shift after pairing: its members' shift options and the group it came from."""

    crew_id: str
    group: CrewGroup
    members: list[ShiftOption]


@dataclass
class PlanResult:
    """A planned week: the plan (contract tables + summary) and how it was made."""

    plan: Plan
    roster: RosterSolution | None = None
    out_dir: Path | None = None
    violations: list[Any] = field(default_factory=list)

    def headline(self) -> str:
        """One line for people: status, dosage, gap, cost against budget, time."""
        s = self.plan.summary
        if s["status"] in ("infeasible", "no-plan"):
            return f"{s['scenario']} week {s['week_start']}: {s['status']} - {s['explanation']}"
        cost = s["cost_gbp"]
        budget = s["budget_gbp"]
        gap = s.get("gap")
        gap_text = f"{gap * 100:.2f}%" if isinstance(gap, int | float) else "n/a"
        visits = sum(s["visits_by_hotspot"].values())
        check_text = "passed" if s["validation"]["ok"] else "FAILED"
        return (
            f"{s['scenario']} week {s['week_start']}: {s['status']}, harm-weighted dosage "
            f"{s['harm_weighted_dosage']:.2f}, objective {s['objective']:.2f} "
            f"(bound {s['best_bound']:.2f}, gap {gap_text}), {visits} visits; "
            f"ASB £{cost['grant-asb']:,.2f} of £{budget['asb']:,.2f}, "
            f"SV £{cost['grant-sv']:,.2f} of £{budget['sv']:,.2f}, force £{cost['force']:,.2f}; "
            f"travel {s['travel_model']}; {s['solve_seconds']:.1f} s; check {check_text}"
        )


def _summary_base(loaded: LoadedScenario, week: date, data: ProblemData | None) -> dict[str, Any]:
    scenario = loaded.scenario
    travel = scenario.travel
    speeds = ", ".join(f"{p} {v:g} km/h" for p, v in sorted(travel.speeds_kmh.items()))
    extract: dict[str, str] = {}
    if travel.model == "network":
        # on streets, driving is timed at OSM speed limits; the scenario's drive speed only fills roads with none
        walk, drive = travel.speeds_kmh.get("walk"), travel.speeds_kmh.get("drive")
        model_text = (
            f"network ({Path(str(travel.extract)).name}; walk {walk:g} km/h; drive at OSM speed limits, "
            f"{drive:g} km/h on roads with none)"
        )
        # the hash the street graph was loaded under (the extract is not read again for it)
        hashes = {matrix.extract_sha256 for matrix in (data.travel.values() if data is not None else ())}
        if len(hashes) == 1 and "" not in hashes:
            extract["travel_extract_sha256"] = hashes.pop()
    else:
        model_text = f"crowfly (great-circle x {travel.circuity:g}; {speeds})"
    return {
        "scenario": scenario.name,
        "scenario_sha256": loaded.sha256,
        "overrides": list(loaded.overrides),
        "week_start": week.isoformat(),
        "status": "no-plan",
        "explanation": "",
        "objective": None,
        "best_bound": None,
        "gap": None,
        "harm_weighted_dosage": 0.0,
        "soft_terms": {},
        "dosage_minutes_by_hotspot": {},
        "visits_by_hotspot": {},
        "predictability_by_hotspot": {},
        "cost_gbp": {"grant-asb": 0.0, "grant-sv": 0.0, "force": 0.0},
        "budget_gbp": {p: round(scenario.weekly_budget_gbp(p, week), 2) for p in ("asb", "sv")},
        "travel_model": model_text,
        **extract,
        "hotspots_window": scenario.hotspots_window,
        "solve_seconds": 0.0,
        "validation": {"ok": True, "violations": []},
    }


def _sv_budget_notes(data: ProblemData, shifts: Sequence[int], counts: Mapping[int, int], pin: Pin | None) -> list[str]:
    """Why SV money is left, when one more officer crew would be affordable: no crew fits the rules.

    Why: finance reads unspent overtime money as a plan that did not try; when every officer crew that
    could be added around the roster breaks a working-time or crewing rule (asked of the roster's own
    rules, one crew at a time, the rest of the roster kept), the officers' hours, not the money, decide.
    """
    if "sv" not in data.scenario.active_projects:
        return []
    left = data.budgets_pence["sv"] - _sv_spend(data, shifts)
    groups = [
        h
        for h, group in enumerate(data.groups)
        if group.team == "sv" and counts.get(h, 0) < group.max_crews
        and any(data.options[i].funding == "grant-sv" for ix in group.options_by_role.values() for i in ix)
    ]  # fmt: skip
    cheapest = min(
        (
            sum(
                min(data.options[i].cost_pence for i in data.groups[h].options_by_role[role])
                for role in data.groups[h].roles
            )
            for h in groups
            if all(data.groups[h].options_by_role.get(role) for role in data.groups[h].roles)
        ),
        default=None,
    )
    if cheapest is not None and left < cheapest and not _sv_spend(data, shifts) and left > 0:
        return [
            f"£{left / 100:,.2f} of the SV budget is left: the cheapest officer crew costs £{cheapest / 100:,.2f}, "
            "so no overtime was bought"
        ]
    if cheapest is None or left < cheapest:
        return []
    oracle = StaffingOracle(data, pin=pin, seed=data.scenario.solver.seed)
    for h in groups:
        if oracle.staff(shifts, {**counts, h: counts.get(h, 0) + 1}, {h}) is not None:
            return []  # a crew fits: the search found no gain in it
    return [
        f"£{left / 100:,.2f} of the SV budget is left: no further officer crew fits around this roster within the "
        "working-time rules (weekly hours, daily and weekly rest, normal duty) and the crewing rule; more "
        "officers in the overtime pool would use it"
    ]


def _reach_notes(data: ProblemData) -> list[str]:
    """Hotspots no crew of the week can patrol (district, roles, beat limits, travel): they get no visits.

    Why: such a hotspot is silently left out of every route (a point with lat and lon swapped was),
    while the plan still passes its check; the planner should hear about it.
    """
    # a crew of some group may patrol the hotspot and can get there and back inside a patrol window
    reachable = {h for _group, h in allowed_buckets(data)}
    missed = [hotspot.id for hotspot in data.hotspots if hotspot.index not in reachable]
    if not missed:
        return []
    return [
        f"{len(missed)} hotspot(s) no crew this week can patrol, so they get no visits: {', '.join(missed)} "
        "(check their district and lat/lon, the projects' roles and patrol windows, travel.beat_minutes, and "
        "whether a shift leaves time to get there and back)"
    ]


#: A place farther than this from the street network (its nearest node) is named in the plan's notes (metres).
SNAP_NOTE_METRES = 50.0


def _snap_notes(data: ProblemData) -> list[str]:
    """On a street network, places far from it, and places that snap to one node of it, named in the notes.

    Why: legs run between the street nodes the places are snapped to; the way from a place to its node is
    not timed, and places on one node are 0 minutes apart. A hotspot 4 km off the map, let in by a
    raised ``snap_max_m``, once gave a plan that passed its check with nothing said.
    """
    notes: list[str] = []
    for profile, matrix in sorted(data.travel.items()):
        if matrix.model != "network":
            continue
        notes += matrix.notes
        far = sorted(
            ((metres, point) for point, metres in matrix.snap_distances_m.items() if metres > SNAP_NOTE_METRES),
            reverse=True,
        )
        if far:
            shown = ", ".join(f"{point} {metres:,.0f} m" for metres, point in far[:8])
            more = f" and {len(far) - 8} more" if len(far) > 8 else ""
            notes.append(
                f"{len(far)} place(s) lie more than {SNAP_NOTE_METRES:g} m from the {profile} street network ({shown}"
                f"{more}): their legs are timed from its nearest node and the way to it is not "
                "counted; check their coordinates, or use an extract with their streets"
            )
        together = (matrix.seconds == 0) & (matrix.seconds.T == 0)
        np.fill_diagonal(together, False)
        shared = sorted(
            {
                tuple(matrix.ids[j] for j in np.flatnonzero(together[i] | (np.arange(len(matrix.ids)) == i)))
                for i in np.flatnonzero(together.any(axis=1))
            }
        )
        for points in shared:
            notes.append(
                f"{', '.join(points)} snap to one node of the {profile} street network: legs between them take "
                "0 minutes"
            )
    return notes


def look_ahead(hotspots_window: str | None, week: date) -> str:
    """A warning when the hotspots come from police.uk months from the planned week's month on (else "").

    Why: a plan of a past week made with hotspots of later months has seen the future; a review or an
    evaluation of that week would flatter the method.
    """
    if not hotspots_window:
        return ""
    last = hotspots_window.split(":")[-1]
    if last < f"{week.year:04d}-{week.month:02d}":
        return ""
    return (
        f"the hotspots come from police.uk months {hotspots_window}, up to or after the week planned "
        f"({week.isoformat()}): the plan uses data the planner could not have had; refresh the hotspots from "
        "the months before it (patrol hotspots refresh --months)"
    )


def presolve_checks(data: ProblemData) -> list[str]:
    """Conflicts visible before solving, in planner terms (money first: it is the usual cause)."""
    conflicts = []
    asb_budget = data.scenario.weekly_budget_gbp("asb", data.week_start)
    # the plan rules' test, to the half penny: a plan that passes this passes the independent check
    if "asb" in data.scenario.active_projects and data.committed_asb_gbp > asb_budget + 0.005:
        conflicts.append(
            f"budget: ASB weekly budget £{asb_budget:,.2f} < committed warden contracts "
            f"£{data.committed_asb_gbp:,.2f}: cut posts in the annual plan (patrol budget plan)"
        )
    unreachable: dict[tuple[int, int, tuple[int, ...], tuple[int, int | None]], list[str]] = defaultdict(list)
    # a shift is worked in a crew, and a crew exists only where its members may patrol some hotspot
    crewed = {i for group in data.groups for indices in group.options_by_role.values() for i in indices}
    idle: dict[str, list[str]] = defaultdict(list)
    for person in data.people.values():
        if person.required_paid_minutes:
            templated = [o for o in data.options if o.person == person.id]
            options = [o for o in templated if o.index in crewed]
            if not templated:
                conflicts.append(
                    f"contracted-hours: {person.id} must work {person.required_paid_minutes / 60:g} h but no shift "
                    "template fits their role, contract and leave this week"
                )
                continue
            if not options:
                idle[person.district or "?"].append(person.id)
                continue
            low = max(0, person.required_paid_minutes - person.paid_shortfall_minutes)
            near = _nearest_paid_sums(options, person.required_paid_minutes, low=low)
            if near is not None:
                lengths = tuple(sorted({o.paid_minutes for o in options}))
                unreachable[(low, person.required_paid_minutes, lengths, near)].append(person.id)
    for district, people in sorted(idle.items()):
        names = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
        known = data.scenario.districts.get(district)
        place = f"{known.name} ({district})" if known is not None else district
        conflicts.append(
            f"contracted-hours: {names} must work their contracted hours but no hotspot of {place} "
            "is theirs to patrol (no ASB or joint hotspot there): add the district's hotspots or take its posts "
            "out of this scenario"
        )
    for (low, required, lengths, (below, above)), people in sorted(unreachable.items()):
        names = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
        can = _hours(below) + (f" and {_hours(above)}" if above is not None else "")
        shifts = ", ".join(_hours(m) for m in lengths)
        wanted = f"exactly {_hours(required)}" if low == required else f"{_hours(low)} to {_hours(required)}"
        conflicts.append(
            f"contracted-hours: {names} must work {wanted} paid this week (contracted hours pro "
            f"rata to the contract days, less leave) but no set of their shifts ({shifts}) adds up to it (nearest: "
            f"{can}): add a shift template that makes up the difference or check the contract dates and leave"
        )
    return conflicts


def pinned_conflicts(data: ProblemData, pin: Pin) -> list[str]:
    """Conflicts the pinned days (worked as published) make with this week's rules, in planner terms.

    Why: a core of solver assumptions names every rule the frozen shifts touch (two hundred items); these
    are the usual causes, said with their figures: money the pinned overtime has spent already, and
    contracted hours the pinned shifts already exceed (leave marked on days that would not have been worked).
    """
    days = ", ".join(DAYS[d] for d in sorted(pin.days))
    conflicts = []
    pinned = [data.options[i] for i in sorted(pin.chosen) if data.options[i].day in pin.days]
    spent = sum(o.cost_pence for o in pinned if o.funding == "grant-sv")
    if "sv" in data.scenario.active_projects and spent > data.budgets_pence["sv"]:
        conflicts.append(
            f"budget: SV weekly budget £{data.budgets_pence['sv'] / 100:,.2f} < officer overtime already worked on "
            f"the pinned days ({days}) £{spent / 100:,.2f}: keep the budget at least that, or pin fewer days"
        )
    worked: dict[str, int] = defaultdict(int)
    for option in pinned:
        worked[option.person] += option.paid_minutes
    for person_id, minutes in sorted(worked.items()):
        due = data.people[person_id].required_paid_minutes
        if due is not None and minutes > due:
            conflicts.append(
                f"contracted-hours: {person_id} worked {_hours(minutes)} on the pinned days ({days}), more than the "
                f"{_hours(due)} due this week (each leave day takes a fifth of the week's hours: mark leave only on "
                "days they would have worked)"
            )
    return conflicts


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".") + " h"


def _nearest_paid_sums(
    options: Sequence[ShiftOption], required: int, *, low: int | None = None
) -> tuple[int, int | None] | None:
    """None when some of the person's options add up to ``low``..``required`` paid minutes; else the nearest.

    ``low`` defaults to ``required`` (exactly); the nearest sums are below ``low`` and above ``required``.

    Why: a warden whose contract ends mid-week owes hours pro rata that whole shifts may not add up to; the
    roster model would only report a large core of every rule it touches. Any set of distinct options is
    allowed here (more than the rules allow, e.g. two a day), so a week this calls impossible is.
    """
    sums = {0}
    for option in options:
        sums |= {total + option.paid_minutes for total in sums if total + option.paid_minutes <= 2 * required}
    low = required if low is None else low
    if any(low <= total <= required for total in sums):
        return None
    below = max(total for total in sums if total < low)  # 0 is a sum, and low > 0 here
    above = min((total for total in sums if total > required), default=None)
    return below, above


def plan_week(
    loaded: LoadedScenario,
    *,
    week_start: date | None = None,
    pin_dir: Path | None = None,
    pin_days: Sequence[date] | None = None,
    cache_dir: Path | None = None,
) -> PlanResult:
    """Plan one week (see :func:`_plan_week`); a search stopped by the wall-clock cap is said in the summary.

    Why: the same scenario, seed and workers give the same plan because searches stop on deterministic
    budgets; on a busy machine the wall-clock safety cap can stop one first, and then the plan (or the
    lack of one) may not repeat. ``stopped_on_wall_clock`` lists such searches and a note says what to do.
    """
    with cpsat.wall_clock_stops() as stops:
        result = _plan_week(loaded, week_start=week_start, pin_dir=pin_dir, pin_days=pin_days, cache_dir=cache_dir)
    if stops:
        summary = result.plan.summary
        summary["stopped_on_wall_clock"] = list(stops)
        said = (
            f"the {' and '.join(stops)} stopped on the wall-clock safety cap before the deterministic budget: the "
            "machine was busy or slow, so this result may not repeat for the same seed; raise --time-limit or plan "
            "on a less busy machine"
        )
        if summary.get("status") == "no-plan":
            summary["explanation"] = f"{summary.get('explanation', '')} ({said})"
        else:
            summary["notes"] = [*summary.get("notes", []), said]
    return result


def _plan_week(
    loaded: LoadedScenario,
    *,
    week_start: date | None = None,
    pin_dir: Path | None = None,
    pin_days: Sequence[date] | None = None,
    cache_dir: Path | None = None,
) -> PlanResult:
    """Plan one week: roster, routes, costs; validated before it is returned.

    Returns a :class:`PlanResult` whose summary status is ``optimal``, ``feasible``, ``infeasible``
    (with the conflicting rules named in ``explanation``) or ``no-plan``. It never writes files.

    ``pin_dir`` freezes a published plan's days (all the days it has shifts on, or only ``pin_days`` of a
    whole published week: the days already worked). With ``pin_days`` the published week stays the plan
    unless the re-plan beats it and it still holds every rule: re-publishing mid-week with nothing
    changed moves nobody's shifts.
    """
    scenario = loaded.scenario
    week = week_start or scenario.default_week_start
    problem = week_is_valid(scenario, week)
    if problem:
        raise ScenarioError(problem)
    started = clock_time.perf_counter()
    data = build(scenario, week, cache_dir=cache_dir)
    summary = _summary_base(loaded, week, data)
    if warning := look_ahead(scenario.hotspots_window, week):
        log.warning("%s", warning)
    plan = Plan(scenario_yaml=loaded.resolved_yaml(), hotspots=_hotspot_rows(data))

    conflicts = presolve_checks(data)
    if conflicts:
        return _infeasible(plan, summary, conflicts, started)
    limit = scenario.solver.time_limit_seconds
    stage = min(limit, STAGE_SECONDS)
    params = SolverParams(
        time_limit_seconds=stage * ROSTER_SHARE * WALL_CAP_FACTOR,
        seed=scenario.solver.seed,
        workers=scenario.solver.workers,
        deterministic_time=stage * ROSTER_SHARE * DETERMINISTIC_PER_SECOND,
    )
    previous = read_plan(pin_dir, require_scenario=False) if pin_dir is not None else None
    if previous is not None and previous.summary.get("status") in ("infeasible", "no-plan"):
        raise DataError(
            f"{pin_dir}: holds no plan to pin (status {previous.summary.get('status')!r}); pin a published plan, "
            "or the days already worked"
        )
    published = _days_of(previous, pin_days, scenario.tz) if previous is not None and pin_days else previous
    pin = _pinned_options(data, published, pin_dir) if published is not None and pin_dir is not None else None
    if pin is not None and pin_days:
        # a day named as worked stays as published even when it had no shift: history is not re-planned
        named = frozenset((day - week).days for day in pin_days if 0 <= (day - week).days < 7)
        empty = sorted(named - pin.days)
        if empty:
            log.warning(
                "the pinned plan has no shift on %s: kept without shifts, as worked",
                ", ".join(DAYS[d] for d in empty),
            )
        pin = replace(pin, days=pin.days | named)
    if published is not None and pin_dir is not None:
        _refuse_broken_history(published, loaded, week, pin_dir)
    if pin is not None and (conflicts := pinned_conflicts(data, pin)):
        return _infeasible(plan, summary, conflicts, started)
    roster = None
    repair_note = ""
    if pin is not None and pin_days and previous is not None and pin_dir is not None:
        repair = _repair_pin(data, plan, previous, loaded, week, pin_dir, pin)
        if repair is not None:
            roster = solve_roster(data, params, pin=repair)
            if roster.status in ("optimal", "feasible"):
                pin = repair
                freed = sorted(set(data.people) - repair.people)
                repair_note = (
                    f"re-planned around the change: {', '.join(freed)} re-planned; everyone else keeps their "
                    "published shift times (and may be given more); breaks and routes may move, as the revision "
                    "note counts"
                )
                log.info("re-plan: the published shifts of %d people are kept all week", len(repair.people))
            else:
                log.info(
                    "re-plan: keeping the unaffected people's shifts has no roster; every day after the "
                    "pinned ones is planned afresh"
                )
                roster = None
    if roster is None:
        roster = solve_roster(data, params, pin=pin)
    if roster.status == "no-plan" and limit > stage:
        # this week's roster takes longer to find: the relaxation gets its share of the whole limit
        params = replace(
            params,
            time_limit_seconds=limit * ROSTER_SHARE * WALL_CAP_FACTOR,
            deterministic_time=limit * ROSTER_SHARE * DETERMINISTIC_PER_SECOND,
        )
        roster = solve_roster(data, params, pin=pin)
    if roster.status == "infeasible":
        return _infeasible(plan, summary, roster.conflicts or ["the rules cannot all hold"], started)
    if roster.status == "no-plan":
        summary["explanation"] = f"no roster found within {params.time_limit_seconds:g} s; raise --time-limit"
        summary["solve_seconds"] = round(clock_time.perf_counter() - started, 2)
        plan.summary = summary
        return PlanResult(plan, roster)

    crews = _form_crews(data, roster)
    # on pinned days the published visits stand as well as the shifts (days already worked are history)
    fixed = _pinned_routes(data, crews, published, pin_dir, pin) if published and pin_dir and pin else {}
    routes_budget = stage * (1 - ROSTER_SHARE)
    routed = _route_all(data, crews, time_budget=routes_budget, fixed=fixed)
    project_of = {c.crew_id: c.group.project for c in crews}
    realised_already = (
        roster.status == "optimal" and _routes_objective(data, routed, project_of) >= roster.objective - 1e-4
    )
    if not realised_already:
        deadline = started + limit * WALL_CAP_FACTOR
        searches = [_SearchCounts.for_stage(stage)]
        if limit > stage:
            searches.append(_SearchCounts.extended(limit - stage))
        staffing = replace(_Staffing.of(data, roster, crews, routed), frozen=frozenset(fixed))
        ceilings = hotspot_day_ceilings(data)  # where value is lost: computed once for both searches
        for counts in searches:
            staffing = _restaff(
                data, staffing, counts, pin=pin, time_budget=routes_budget, deadline=deadline, ceilings=ceilings
            )
        # the relaxation's objective and bound stay as solved (a bound over every roster); the shifts are
        # the searched ones
        roster = replace(roster, shifts=staffing.shifts, crews=staffing.counts)
        crews, routed = staffing.crews, staffing.routed
    routed = _breaks_inside(data, crews, routed, frozen=frozenset(fixed))
    budget_notes = _sv_budget_notes(data, roster.shifts, roster.crews, pin)
    plan.roster, plan.visits = _plan_rows(data, crews, routed)
    if published is not None and fixed:
        plan.visits = _keep_pinned_ids(plan.visits, published.visits)
    values = visit_values(plan, scenario, week)
    plan.visits = [replace(v, value=round(values.get(v.visit_id, 0.0), 6)) for v in plan.visits]

    figures = recompute_summary(plan, scenario, week)
    summary.update(figures)
    # two valid bounds, the tighter one reported: the roster relaxation (staffing-aware) and the
    # hotspot-day ceilings (presence cap, revisit gap and window weights, whatever the staffing)
    ceiling = ceiling_bound(data)
    summary["bounds"] = {
        "roster_relaxation": math.ceil(roster.best_bound * 1e6) / 1e6,
        "hotspot_day_ceilings": math.ceil(ceiling * 1e6) / 1e6,
    }
    # not raised to the objective: a bound below it is a bug, which the independent check then reports
    summary["best_bound"] = min(summary["bounds"].values())
    objective = figures["objective"]
    bound = summary["best_bound"]
    summary["gap"] = relative_gap(bound, objective)
    # proven optimal when the objective is within OPTIMAL_GAP of a valid bound (when the roster relaxation
    # is solved to optimality and the routes realise its value, its bound is that close); a gap below zero
    # (a bound under the objective) is a bug the check names, never a proof of optimality
    summary["status"] = "optimal" if proven_optimal(bound, objective) else "feasible"
    summary["predictability_by_hotspot"] = _predictability(data, plan.visits)
    summary["roster_objective"] = round(roster.objective, 6)
    summary["roster_status"] = roster.status
    summary["notes"] = _reach_notes(data) + _snap_notes(data) + budget_notes + ([repair_note] if repair_note else [])
    if previous is not None and pin_dir is not None and pin_days:
        plan, summary = _keep_published_unless_beaten(data, plan, summary, previous, loaded, week, pin_dir, pin)
    if previous is not None:
        _set_revision(summary, previous, plan, scenario.tz)
    summary["solve_seconds"] = round(clock_time.perf_counter() - started, 2)
    plan.summary = summary
    violations = check(plan, scenario, week_start=week)
    summary["validation"] = {"ok": not violations, "violations": [v.message for v in violations]}
    if violations:
        log.error("the plan failed its independent check: %s", violations[0].message)
    return PlanResult(plan, roster, violations=violations)


def _infeasible(plan: Plan, summary: dict[str, Any], conflicts: list[str], started: float) -> PlanResult:
    summary["status"] = "infeasible"
    summary["explanation"] = "; ".join(conflicts)
    summary["conflicts"] = conflicts
    summary["solve_seconds"] = round(clock_time.perf_counter() - started, 2)
    plan.summary = summary
    return PlanResult(plan)


def _hotspot_rows(data: ProblemData) -> list[HotspotRow]:
    """The plan's hotspot rows, with numbers as ``hotspots.csv`` writes them (6 decimals).

    Why rounded here: the views written with the plan and those rebuilt from its folder by ``patrol
    report`` must show the same figures.
    """
    return [
        HotspotRow(
            h.id,
            h.spec.name,
            h.district,
            h.project,
            round(h.spec.lat, 6),
            round(h.spec.lon, 6),
            round(h.harm_weight, 6),
        )
        for h in data.hotspots
    ]


def _pinned_options(data: ProblemData, pinned: Plan, pin_dir: Path) -> Pin:
    """The published plan's shifts, matched by person, start and end, frozen on the days it covers.

    A plan folder of the days already worked pins those days only; the rest of the week is re-planned.
    """
    pinned_week = pinned.summary.get("week_start")
    if isinstance(pinned_week, str) and pinned_week != data.week_start.isoformat():
        raise DataError(
            f"{pin_dir}: the pinned plan is for the week of {pinned_week}, not {data.week_start.isoformat()}; "
            f"pin a plan of this week, or plan --week {pinned_week}"
        )
    by_key = {(o.person, o.start, o.end): o.index for o in data.options}
    rows_by_shift: dict[str, list[RosterRow]] = defaultdict(list)
    for row in pinned.roster:
        rows_by_shift[row.shift_id].append(row)
    chosen = []
    days = set()
    for shift_id, rows in rows_by_shift.items():
        start = data.clock.minutes(min(r.shift_start for r in rows))
        end = data.clock.minutes(max(r.shift_end for r in rows))
        index = by_key.get((rows[0].staff_id, start, end))
        begins = min((r.shift_start for r in rows), key=datetime.timestamp).astimezone(data.scenario.tz).date()
        if index is None and begins > data.scenario.period.end:
            raise DataError(
                f"{pin_dir}/roster.csv: shift {shift_id} of {rows[0].staff_id} starts on {begins}, after the grant "
                f"period ends ({data.scenario.period.end}); the programme patrols inside it: pin fewer days"
            )
        if index is None:
            raise DataError(
                f"{pin_dir}/roster.csv: shift {shift_id} of {rows[0].staff_id} is not possible in this scenario "
                "and week (template, contract, leave or duty changed): a day already worked must stay possible, so "
                "keep its template for that day (e.g. days: [mon, tue] rather than removing it), and mark leave "
                "only on days not yet worked"
            )
        chosen.append(index)
        days.add(data.options[index].day)
    return Pin(frozenset(chosen), frozenset(days))


PINNED_DAY_RULES: frozenset[str] = frozenset(
    {
        "visit-in-shift", "visit-in-break", "crew-overlap", "double-booking", "base-legs", "travel", "dwell",
        "revisit-gap", "presence-cap", "eligibility", "crewing", "duty-overlap", "daily-rest", "shift-length",
    }
)  # fmt: skip
"""Rules a pinned day can break on its own (the week's totals are judged on the whole re-plan; a break at a
shift's edge is moved into a published gap where there is one, so it is judged after)."""


def _days_of(plan: Plan, days: Sequence[date], tz: Any) -> Plan:
    """The part of ``plan`` on ``days``: the shifts starting on them (local dates) and their crews' visits."""
    wanted = set(days)
    kept = {
        sid for sid, (_staff, start, _end) in shift_spans(plan.roster).items() if start.astimezone(tz).date() in wanted
    }
    roster = [r for r in plan.roster if r.shift_id in kept]
    crews = {r.crew_id for r in roster}
    return replace(plan, roster=roster, visits=[v for v in plan.visits if v.crew_id in crews])


def _keep_published_unless_beaten(
    data: ProblemData,
    plan: Plan,
    summary: dict[str, Any],
    published: Plan,
    loaded: LoadedScenario,
    week: date,
    pin_dir: Path,
    pin: Pin | None,
) -> tuple[Plan, dict[str, Any]]:
    """The published week itself when it still holds every rule and the re-plan does not beat it.

    Why: a re-plan of the days left is a fresh search that may land lower than the published week, which
    is itself a valid completion of the days worked; staff rosters should not churn for nothing. The
    re-plan's bound holds for both (the published week keeps the pinned days).
    """
    scenario = loaded.scenario
    candidate, figures, broken = _published_violations(plan, published, scenario, week)
    if broken:
        # e.g. leave added on a day not yet worked: that day's published shift cannot stand
        log.info("the published week no longer holds every rule (%s): the re-plan is kept", broken[0].message)
        return plan, summary
    if figures["objective"] < summary["objective"] - STABILITY_MARGIN * abs(summary["objective"]):
        return plan, summary  # the re-plan gains enough to move people's shifts
    kept = {**summary, **figures}
    bound = kept["best_bound"]
    kept["gap"] = relative_gap(bound, figures["objective"])
    kept["status"] = "optimal" if proven_optimal(bound, figures["objective"]) else "feasible"
    kept["predictability_by_hotspot"] = _predictability(data, candidate.visits)
    candidate.summary = kept
    # the notes describe the roster kept (the published one), not the re-plan's
    try:
        shifts = sorted(_pinned_options(data, published, pin_dir).chosen)
    except DataError as exc:  # the scenario no longer offers some published shift: the re-plan stands
        log.info("the published week has shifts this scenario no longer offers (%s): the re-plan is kept", exc)
        return plan, summary
    kept["notes"] = (
        _reach_notes(data) + _snap_notes(data) + _sv_budget_notes(data, shifts, _crew_counts(data, shifts), pin)
    )
    kept["notes"] = [
        *kept["notes"],
        f"the published week is kept: the re-plan of the days left reached {summary['objective']:,.2f} against its "
        f"{figures['objective']:,.2f}, not more than {STABILITY_MARGIN:.0%} better",
    ]
    log.info(
        "the published week (objective %.2f) is kept: the re-plan of the days left reached %.2f",
        figures["objective"],
        summary["objective"],
    )
    candidate.summary = {}
    return candidate, kept


def _crew_counts(data: ProblemData, shifts: Sequence[int]) -> dict[int, int]:
    """Crews of each group that a set of shifts makes (its members' shifts over the crew's size)."""
    group_of = {i: g for g, group in enumerate(data.groups) for ix in group.options_by_role.values() for i in ix}
    members: dict[int, int] = defaultdict(int)
    for index in shifts:
        if index in group_of:
            members[group_of[index]] += 1
    return {g: n // len(data.groups[g].roles) for g, n in members.items()}


def _keep_pinned_ids(visits: list[VisitRow], pinned: Sequence[VisitRow]) -> list[VisitRow]:
    """Pinned visits keep their published ``visit_id``; the others are numbered after, in time order.

    Why: the days worked are history that reports and incident logs refer to by visit id.
    """
    published = {(v.hotspot_id, v.arrive.timestamp(), v.depart.timestamp()): v.visit_id for v in pinned}
    taken = set(published.values())
    numbers = (f"V{n:04d}" for n in itertools.count(1))
    out = []
    for visit in visits:
        same = published.pop((visit.hotspot_id, visit.arrive.timestamp(), visit.depart.timestamp()), None)
        if same is None:
            same = next(n for n in numbers if n not in taken)
        out.append(replace(visit, visit_id=same))
    return out


def _revision(plan: Plan) -> int:
    """The published plan's revision (0 for a first plan), from its summary."""
    revision = plan.summary.get("revision", 0)
    return revision if isinstance(revision, int) and revision >= 0 else 0


def _withdrawn(previous: Plan, plan: Plan, tz: Any) -> list[dict[str, Any]]:
    """The previous plan's calendar events this plan no longer has (a person's n-th shift of a day).

    Why: calendars are sent to staff; a re-published week must withdraw the shifts it dropped, or they
    stay in people's calendars. A shift moved within its day keeps its event (updated, not withdrawn).
    The previous revision's own withdrawals stand too (unless this plan works that shift again): someone
    who missed that revision's calendars still gets the cancellation.
    """
    now = set(shift_day_keys(plan.roster, tz).values())
    spans = shift_spans(previous.roster)
    withdrawn = []
    earlier = previous.summary.get("withdrawn_shifts")
    for record in earlier if isinstance(earlier, list) else []:
        try:
            key = (str(record["staff_id"]), date.fromisoformat(str(record["day"])), int(record["n"]))
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited record: the views warn about it
        if key not in now:
            withdrawn.append(dict(record))
    for shift_id, (staff_id, day, n) in sorted(shift_day_keys(previous.roster, tz).items(), key=lambda kv: kv[1]):
        if (staff_id, day, n) not in now:
            _staff, start, end = spans[shift_id]
            withdrawn.append(
                {
                    "staff_id": staff_id,
                    "day": day.isoformat(),
                    "n": n,
                    "shift_start": start.isoformat(timespec="minutes"),
                    "shift_end": end.isoformat(timespec="minutes"),
                }
            )
    return sorted(withdrawn, key=lambda w: (str(w.get("staff_id")), str(w.get("day")), int(w.get("n", 0))))


def _published_violations(
    plan: Plan, published: Plan, scenario: Scenario, week: date
) -> tuple[Plan, dict[str, Any], list[Violation]]:
    """The published week as a plan of this scenario, its figures recomputed, and the rules it now breaks.

    The summary rule is left out: the figures are the recomputed ones, so only the rows are judged.
    """
    candidate = Plan(scenario_yaml=plan.scenario_yaml, hotspots=plan.hotspots, roster=list(published.roster))
    candidate.visits = list(published.visits)
    values = visit_values(candidate, scenario, week)
    candidate.visits = [replace(v, value=round(values.get(v.visit_id, 0.0), 6)) for v in candidate.visits]
    figures = recompute_summary(candidate, scenario, week)
    candidate.summary = {**published.summary, **figures}
    broken = [v for v in check(candidate, scenario, week_start=week) if v.rule != "summary"]
    return candidate, figures, broken


def _repair_pin(
    data: ProblemData, plan: Plan, published: Plan, loaded: LoadedScenario, week: date, pin_dir: Path, pin: Pin
) -> Pin | None:
    """A pin that keeps, all week, the published shifts of everyone the change does not touch.

    Why: a mid-week change (a warden off sick, an overtime shift cancelled) once re-planned every day left
    from scratch, and a sick Hartlepool warden moved twenty wardens' days in all four districts. The people
    a broken rule names in the published week, and everyone who crews with them on a day not yet worked,
    are free; the others keep their shifts (their visits are re-routed) and may be given more, so a
    replacement crew can be called in. None when the published week still holds (nothing to repair), or a
    broken rule names nobody (a repair cannot be localised).
    """
    scenario = loaded.scenario
    _candidate, _figures, broken = _published_violations(plan, published, scenario, week)
    # shifts this scenario no longer offers (a template withdrawn for that day) are changes too, though no
    # plan rule names them: their people are free to be re-planned
    options = {(o.person, o.start, o.end) for o in data.options}
    withdrawn = {
        staff
        for staff, start, end in shift_spans(published.roster).values()
        if (staff, data.clock.minutes(start), data.clock.minutes(end)) not in options
    }
    if not broken and not withdrawn:
        return None
    staff_of_shift = {r.shift_id: r.staff_id for r in published.roster}
    crew_of_visit = {v.visit_id: v.crew_id for v in published.visits}
    members: dict[str, set[str]] = defaultdict(set)
    for row in published.roster:
        members[row.crew_id].add(row.staff_id)
    affected: set[str] = set(withdrawn)
    for violation in broken:
        named = {staff_of_shift[r] for r in violation.rows if r in staff_of_shift}
        named |= {r for r in violation.rows if r in data.people}
        for r in violation.rows:
            if r in crew_of_visit:
                named |= members[crew_of_visit[r]]
        if not named:
            return None
        affected |= named
    later = [r for r in published.roster if data.clock.day_index(data.clock.minutes(r.shift_start)) not in pin.days]
    named = set(affected)
    for row in later:  # a crew on a day not yet worked goes out whole or not at all: its members are free too
        if row.staff_id in named:
            affected |= members[row.crew_id]
    kept = replace(published, roster=[r for r in later if r.staff_id not in affected])
    try:
        frozen = _pinned_options(data, kept, pin_dir)
    except DataError:
        return None
    people = frozenset(p for p in data.people if p not in affected)
    return Pin(chosen=pin.chosen | frozen.chosen, days=pin.days, people=people)


def _refuse_broken_history(published: Plan, loaded: LoadedScenario, week: date, pin_dir: Path) -> None:
    """Refuse, before solving, a pinned plan whose own days break a rule the re-plan must keep.

    Why now: pinned days stand as published, so such a re-plan can only fail its check, and would say so
    after the whole solve. The message lists what to fix in the pinned folder.
    """
    partial_plan = replace(published, summary={})
    broken = [v for v in check(partial_plan, loaded.scenario, week_start=week) if v.rule in PINNED_DAY_RULES]
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise DataError(
            f"{pin_dir}: the pinned days break a rule every plan must keep, so no re-plan around them can pass its "
            f"check: {broken[0].message}{more}; fix those rows (patrol check {pin_dir} lists them all) or pin "
            "fewer days"
        )


def _pinned_routes(
    data: ProblemData, crews: Sequence[Crew], pinned: Plan, pin_dir: Path, pin: Pin
) -> dict[str, RoutedCrew]:
    """The published routes of the crews on pinned days: their visits and break exactly as published.

    A crew is matched by its members and shift start (the same people work the same pinned shifts, so the
    same crews form; a warden works one a day).
    """
    members_of: dict[str, frozenset[str]] = defaultdict(frozenset)
    start_of: dict[str, int] = {}
    break_of: dict[str, int | None] = {}
    for row in pinned.roster:
        members_of[row.crew_id] = members_of[row.crew_id] | {row.staff_id}
        start = data.clock.minutes(row.shift_start)
        start_of[row.crew_id] = min(start_of.get(row.crew_id, start), start)
        break_of[row.crew_id] = data.clock.minutes(row.break_start) if row.break_start is not None else None
    crew_of = {(members, start_of[crew_id]): crew_id for crew_id, members in members_of.items()}
    stops: dict[str, list[Stop]] = defaultdict(list)
    known = {h.id for h in data.hotspots}
    for visit in sorted(pinned.visits, key=lambda v: v.arrive):
        if visit.hotspot_id not in known:
            raise DataError(
                f"{pin_dir}/visits.csv: visit {visit.visit_id} goes to {visit.hotspot_id}, which is not a hotspot of "
                "this scenario; re-plan without --pin, or pin with the scenario the plan was made with"
            )
        arrive, depart = data.clock.minutes(visit.arrive), data.clock.minutes(visit.depart)
        stops[visit.crew_id].append(Stop(f"{visit.hotspot_id}@{arrive}", arrive, depart))
    fixed = {}
    for crew in crews:
        if not any(data.options[m.index].day in pin.days for m in crew.members):
            continue
        published = crew_of.get((frozenset(m.person for m in crew.members), crew.group.start))
        if published is None:
            raise DataError(
                f"{pin_dir}/roster.csv: no published crew of {', '.join(sorted(m.person for m in crew.members))} "
                "on their pinned day (crews were paired differently); re-plan without --pin or edit the plan"
            )
        fixed[crew.crew_id] = RoutedCrew(crew.crew_id, stops.get(published, []), break_of.get(published))
    return fixed


def _form_crews(data: ProblemData, roster: RosterSolution) -> list[Crew]:
    """Pair the chosen shift options of each group into its crews (members share base and times)."""
    chosen = set(roster.shifts)
    crews = []
    for g, count in sorted(roster.crews.items()):
        group = data.groups[g]
        by_role = {
            r: sorted((data.options[i] for i in idx if i in chosen), key=lambda o: o.person)
            for r, idx in group.options_by_role.items()
        }
        day_name = DAYS[(data.week_start + timedelta(days=group.day)).weekday()].capitalize()
        for k in range(count):
            members = []
            for role in group.roles:
                members.append(by_role[role].pop(0))
            label = "W" if group.project == "asb" else "SV"
            crew_id = f"{label}-{group.base_id}-{day_name}-{group.template_id}-{k + 1}"
            crews.append(Crew(crew_id, group, members))
    return crews


def _route_all(
    data: ProblemData, crews: list[Crew], *, time_budget: float, fixed: Mapping[str, RoutedCrew] | None = None
) -> dict[str, RoutedCrew]:
    """Route every team's crews day by day; on each day the team order that plans more worth wins.

    Teams are routed one after another, each keeping the revisit gap from visits already routed, so the
    order matters at joint hotspots: officers first keep their (heavier) Friday and Saturday weights,
    wardens first leave the scarce officer crews free for the SV-only hotspots and the night. Both orders
    are tried on each day (from the same start) and the one with the larger objective so far is kept.
    A final sweep routes each team-day again against all the others' visits (block coordinate ascent).
    ``fixed`` routes (pinned days) stand as given; the others keep every rule against them.
    """
    fixed = dict(fixed or {})
    teams = sorted({c.group.team for c in crews}, key=lambda t: (t != "sv", t))
    calls: list[tuple[str, int, list[Crew]]] = []
    for day in range(7):
        for team in teams:
            day_crews = [c for c in crews if c.group.team == team and c.group.day == day and c.crew_id not in fixed]
            if day_crews:
                calls.append((team, day, day_crews))
    # a call's share of the time grows with its crews x the harm of the hotspots they may visit (where the
    # value is); a floor of 0.1% of the average size keeps every call in the search
    sizes = {
        (t, d): len(cs) * sum(data.hotspots[h].harm_weight for h in {h for c in cs for h in c.group.hotspots})
        for t, d, cs in calls
    }
    floor = 1e-3 * sum(sizes.values()) / len(sizes) if sum(sizes.values()) > 0 else 1.0
    total_size = sum(sizes.values()) + floor * len(sizes)
    position = {(t, d): i for i, (t, d, _cs) in enumerate(calls)}
    routed: dict[str, RoutedCrew] = dict(fixed)
    started = clock_time.perf_counter()
    project_of = {c.crew_id: c.group.project for c in crews}
    for day in range(7):
        todays = [(t, cs) for t, d, cs in calls if d == day]
        if not todays:
            continue
        best: tuple[float, dict[str, RoutedCrew]] | None = None
        orders = [todays] if len(todays) == 1 else [todays, todays[::-1]]
        for order in orders:
            trial = dict(routed)
            arrivals = _arrivals(data, trial)
            for team, day_crews in order:
                # the budget is shared by problem size on the deterministic clock (not on what earlier
                # calls happened to take), so the routes repeat for a seed
                share = (sizes[(team, day)] + floor) / total_size / len(orders) * (1 - SWEEP_SHARE)
                index = position[(team, day)]
                trial.update(
                    _route_call(data, day_crews, arrivals, index, share, time_budget, started, trial, project_of)
                )
            worth = _routes_objective(data, trial, project_of)
            if best is None or worth > best[0] + 1e-9:
                best = (worth, trial)
        assert best is not None
        routed = best[1]
    # one sweep (two, splitting the same rounds, did worse: 26,287 against 26,369 over seeds 0-2): each
    # team-day's search again from the better of a fresh dispatch and its current routes, now
    # knowing every other team's visits (before and after it); kept only when the week's objective improves
    worth = _routes_objective(data, routed, project_of)
    for index, (team, day, day_crews) in enumerate(calls):
        ids = {c.crew_id for c in day_crews}
        others = {k: r for k, r in routed.items() if k not in ids}
        share = (sizes[(team, day)] + floor) / total_size * SWEEP_SHARE
        fresh = _route_call(
            data,
            day_crews,
            _arrivals(data, others),
            len(calls) + index,
            share,
            time_budget,
            started,
            others,
            project_of,
            current=routed,
        )
        trial = {**others, **fresh}
        trial_worth = _routes_objective(data, trial, project_of)
        if trial_worth > worth + 1e-9:
            routed, worth = trial, trial_worth
    return routed


@dataclass
class _Staffing:
    """One staffing of the week with its routes and the contract's objective for them."""

    shifts: list[int]
    counts: dict[int, int]
    crews: list[Crew]
    routed: dict[str, RoutedCrew]
    value: float
    frozen: frozenset[str] = frozenset()  # crews whose published routes stand (pinned days): never re-routed

    @classmethod
    def of(
        cls, data: ProblemData, roster: RosterSolution, crews: list[Crew], routed: dict[str, RoutedCrew]
    ) -> _Staffing:
        """The roster's staffing with its first routes, valued as the contract values it."""
        shifts = sorted(roster.shifts)
        return cls(shifts, dict(roster.crews), crews, routed, _week_value(data, crews, routed, shifts))


def _week_value(
    data: ProblemData, crews: Sequence[Crew], routed: Mapping[str, RoutedCrew], shifts: Sequence[int]
) -> float:
    """The contract's objective of a staffing and its routes: dosage less shortfall and spreads."""
    project_of = {c.crew_id: c.group.project for c in crews}
    kept = {k: r for k, r in routed.items() if k in project_of}
    return _routes_objective(data, kept, project_of) - fairness_penalty(data, shifts)


def _staffing_moves(data: ProblemData, counts: Mapping[int, int]) -> list[tuple[int | None, int]]:
    """Moves of one crew (from group ``g``, or None to add one) to group ``h`` of the same team and make-up.

    A crew may change template or base on its day, or keep both and change day (who can work it is the
    oracle's question); pure additions are tried where a group has room.
    """
    moves: list[tuple[int | None, int]] = []
    groups = data.groups
    for g in sorted(counts):
        if counts[g] <= 0:
            continue
        a = groups[g]
        for h, b in enumerate(groups):
            if h == g or b.team != a.team or b.roles != a.roles or counts.get(h, 0) >= b.max_crews:
                continue
            if b.day == a.day or (b.base_id == a.base_id and b.template_id == a.template_id):
                moves.append((g, h))
    moves.extend((None, h) for h, b in enumerate(groups) if counts.get(h, 0) < b.max_crews)
    return moves


def _sv_spend(data: ProblemData, shifts: Sequence[int]) -> int:
    """Overtime cost bound of the shifts charged to the SV grant, in pence."""
    return sum(data.options[i].cost_pence for i in shifts if data.options[i].funding == "grant-sv")


def _overspends(data: ProblemData, spent: int, group: int) -> bool:
    """True when one more crew of ``group`` costs more than ``spent`` leaves of the SV budget, whoever works it."""
    members = data.groups[group]
    cheapest = 0
    for role in members.roles:
        options = [data.options[i] for i in members.options_by_role[role]]
        if any(o.funding != "grant-sv" for o in options):
            return False
        cheapest += min(o.cost_pence for o in options)
    return spent + cheapest > data.budgets_pence["sv"]


def _lost_value(
    data: ProblemData,
    ceilings: Mapping[tuple[int, int], float],
    routed: Mapping[str, RoutedCrew],
    crews: Sequence[Crew],
) -> dict[tuple[int, int], float]:
    """Ceiling less value earned, by (hotspot, day): where a moved crew could find value."""
    project_of = {c.crew_id: c.group.project for c in crews}
    visits = _visits_by_key(data, routed, project_of)
    value = _HotspotDayValue(data, project_of)
    return {key: max(0.0, ceiling - value(key, visits.get(key, []))) for key, ceiling in ceilings.items()}


def _screen(data: ProblemData, staffing: _Staffing, shifts: list[int], counts: dict[int, int], seed: int) -> _Staffing:
    """The moved staffing with every unmoved crew's route kept and each new crew routed alone around them.

    Every route stays feasible (dropping a crew's visits breaks no rule; the new crew keeps the revisit
    gap from all the others), so a screen that gains is already a better plan.
    """
    crews = _form_crews(data, RosterSolution("feasible", 0.0, 0.0, 0.0, shifts, counts, []))
    ids = {c.crew_id for c in crews}
    kept = {k: r for k, r in staffing.routed.items() if k in ids}
    project_of = {c.crew_id: c.group.project for c in crews}
    for crew in (c for c in crews if c.crew_id not in kept):
        arrivals = _arrivals(data, kept)
        team, *_ = _team_day(data, [crew], arrivals)
        routes = dispatch_routes(team, seed=seed, restarts=4)
        routes = push_insert(team, routes, _team_day_worth(data, [crew], kept, project_of))
        kept.update(routes)
    return _Staffing(shifts, counts, crews, kept, _week_value(data, crews, kept, shifts), staffing.frozen)


def _reroute(data: ProblemData, trial: _Staffing, team: str, day: int, index: int, time_budget: float) -> _Staffing:
    """``trial`` with one team-day routed again in full from its current routes, kept if the week gains."""
    day_crews = [
        c for c in trial.crews if c.group.team == team and c.group.day == day and c.crew_id not in trial.frozen
    ]
    if not day_crews:
        return trial
    ids = {c.crew_id for c in day_crews}
    others = {k: r for k, r in trial.routed.items() if k not in ids}
    project_of = {c.crew_id: c.group.project for c in trial.crews}
    fresh = _route_call(
        data,
        day_crews,
        _arrivals(data, others),
        index,
        RESTAFF_CALL_SHARE,
        time_budget,
        clock_time.perf_counter(),
        others,
        project_of,
        current=trial.routed,
    )
    rerouted = {**others, **fresh}
    value = _week_value(data, trial.crews, rerouted, trial.shifts)
    return replace(trial, routed=rerouted, value=value) if value > trial.value + 1e-9 else trial


@dataclass
class _SearchCounts:
    """What one staffing search may spend: oracle questions, screens, full re-routes (a round's cap too).

    ``first_seed`` numbers its route calls apart from the route stage's and the other search's. A
    ``replayable`` search checks its budgets between rounds only and stops where a move could not be
    re-routed in full, so a bigger budget replays it round for round and then goes on: past
    ``STAGE_SECONDS`` a longer time limit never ends lower. The first search, whose budget is the same for
    every limit past ``STAGE_SECONDS``, spends its counts to the last and keeps a gaining move as screened.
    """

    questions: int
    screens: int
    calls: int
    calls_per_round: int | None  # None: as many as the round screened
    screens_per_round: int
    first_seed: int
    replayable: bool

    def affords_round(self, questions: int, screens: int, calls: int) -> bool:
        """Whether a round may start: a replayable one needs every count left (it spends inside the round)."""
        if not self.replayable:
            return True  # the first search spends its counts inside its rounds
        return questions > 0 and screens > 0 and calls > 0

    @classmethod
    def for_stage(cls, seconds: float) -> _SearchCounts:
        """The search after the first routes, counted per second of the staged time limit."""
        rates = (RESTAFF_QUESTIONS_PER_SECOND, RESTAFF_SCREENS_PER_SECOND, RESTAFF_CALLS_PER_SECOND)
        questions, screens, calls = (round(seconds * rate) for rate in rates)
        return cls(questions, screens, calls, RESTAFF_CALLS_PER_ROUND, RESTAFF_SCREENS_PER_ROUND, 10_000, False)

    @classmethod
    def extended(cls, seconds: float) -> _SearchCounts:
        """The search in the time past ``STAGE_SECONDS``: every screened move re-routed in full."""
        rates = (EXTENDED_QUESTIONS_PER_SECOND, EXTENDED_SCREENS_PER_SECOND, EXTENDED_CALLS_PER_SECOND)
        questions, screens, calls = (round(seconds * rate) for rate in rates)
        return cls(questions, screens, calls, None, EXTENDED_SCREENS_PER_ROUND, 20_000, True)


def _restaff(
    data: ProblemData,
    current: _Staffing,
    budget: _SearchCounts,
    *,
    pin: Pin | None,
    time_budget: float,
    deadline: float,
    ceilings: Mapping[tuple[int, int], float] | None = None,
) -> _Staffing:
    """Staffing search judged by routes: move one crew at a time while the week's objective rises.

    Why: the roster model's relaxation credits each crew with visits per half hour, not with routes, so
    it cannot tell a 15:00-23:00 crew from a 19:00-03:00 one that reaches the first visits after
    midnight (a new day of arrival, worth more). Here each move (a crew to another template, base or
    day, or one more crew where the rules and budget allow; the :class:`StaffingOracle` answers who can
    work it) is screened by routing the moved crew around everyone else's routes, towards where the
    hotspot-day ceilings say value is lost; the best screen that gains is kept and its team-days are
    re-routed in full. When no screen gains alone, the best few (``budget.calls_per_round``) are
    re-routed in full before the search stops (a replayable search re-routes every screened move and,
    when none gains, screens twice as many others). Every count is fixed in ``budget``, so a seed repeats, and
    only gaining moves are kept, so the result is never worse than ``current``.
    """
    oracle = StaffingOracle(data, pin=pin, seed=data.scenario.solver.seed)
    questions, screens, calls = budget.questions, budget.screens, budget.calls
    ceilings = hotspot_day_ceilings(data) if ceilings is None else ceilings
    people_of = [
        frozenset(data.options[i].person for indices in group.options_by_role.values() for i in indices)
        for group in data.groups
    ]
    call_index = budget.first_seed  # route-call seeds apart from the route stage's (and the other search's)
    # a move nobody can staff stays so while the shifts of the people who could work it are unchanged
    # (caching a "no" can only miss a move, never admit a wrong one: the oracle answers every "yes")
    unstaffable: set[tuple[int | None, int, frozenset[int]]] = set()
    kept = 0
    width = budget.screens_per_round
    tried: set[tuple[int | None, int]] = set()
    while clock_time.perf_counter() < deadline and budget.affords_round(questions, screens, calls):
        lost = _lost_value(data, ceilings, current.routed, current.crews)
        promise = {}
        for h, group in enumerate(data.groups):
            days = range(data.clock.day_index(group.start), data.clock.day_index(group.end - 1) + 1)
            promise[h] = sum(lost.get((spot, day), 0.0) for spot in group.hotspots for day in days)
        moves = _staffing_moves(data, current.counts)
        moves.sort(key=lambda m: -promise[m[1]])  # stable: ties keep the group order
        spent = _sv_spend(data, current.shifts)
        screened: list[tuple[float, tuple[int | None, int], _Staffing]] = []
        for move in moves:
            spent_out = not budget.replayable and (questions <= 0 or screens <= 0)
            if spent_out or len(screened) >= width:
                break
            if move in tried:
                continue
            g, h = move
            touched = {h} if g is None else {g, h}
            who = frozenset().union(*(people_of[t] for t in touched))
            key = (g, h, frozenset(i for i in current.shifts if data.options[i].person in who))
            if key in unstaffable or (g is None and _overspends(data, spent, h)):
                continue
            counts = dict(current.counts)
            if g is not None:
                counts[g] -= 1
                if counts[g] == 0:
                    del counts[g]
            counts[h] = counts.get(h, 0) + 1
            questions -= 1
            staffed = oracle.staff(current.shifts, counts, touched)
            if staffed is None:
                unstaffable.add(key)
                continue
            screens -= 1
            trial = _screen(data, current, staffed, counts, data.scenario.solver.seed + call_index + len(screened))
            screened.append((trial.value, move, trial))
        screened.sort(key=lambda item: -item[0])
        accepted: tuple[tuple[int | None, int], _Staffing] | None = None
        out_of_calls = False
        for tries, (_value, move, trial) in enumerate(screened):
            most = width if budget.calls_per_round is None else budget.calls_per_round
            if trial.value <= current.value + 1e-6 and (calls <= 0 or tries >= most):
                break
            moved_days = _moved_days(data, move, trial)
            if budget.replayable and calls < len(moved_days):
                out_of_calls = True  # a bigger budget re-routes this move in full: stop rather than differ
                break
            for day in moved_days[:calls]:
                calls -= 1
                call_index += 1
                trial = _reroute(data, trial, data.groups[move[1]].team, day, call_index, time_budget)
            if trial.value > current.value + 1e-6:
                accepted = (move, trial)
                break
            if budget.replayable:
                tried.add(move)  # re-routed in full without gain: not again until the staffing changes
        if out_of_calls:
            break
        if accepted is None and budget.replayable and screened:
            width *= 2  # nothing gained among the best screens: look wider while the counts last
            continue
        if accepted is None:
            break
        width, tried = budget.screens_per_round, set()
        move, trial = accepted
        source = "one more crew" if move[0] is None else data.groups[move[0]].key
        log.info(
            "staffing search: %s -> %s, %.2f -> %.2f", source, data.groups[move[1]].key, current.value, trial.value
        )
        current = trial
        kept += 1
    if clock_time.perf_counter() >= deadline:
        cpsat.note_wall_clock_stop("staffing search")
        log.warning("the staffing search stopped on the wall-clock limit; this run may not repeat exactly")
    log.info(
        "staffing search: %d move(s) kept, objective %.2f; %d staffing questions, %d screens, %d re-routes left",
        kept,
        current.value,
        max(questions, 0),
        max(screens, 0),
        calls,
    )
    return current


def _moved_days(data: ProblemData, move: tuple[int | None, int], trial: _Staffing) -> list[int]:
    """The days a move touches on which its team still has crews: the team-days to re-route in full."""
    team = data.groups[move[1]].team
    return [
        day
        for day in sorted({data.groups[g].day for g in move if g is not None})
        if any(c.group.team == team and c.group.day == day for c in trial.crews)
    ]


def _arrivals(data: ProblemData, routed: dict[str, RoutedCrew]) -> dict[int, list[int]]:
    """Arrival minutes of the routed visits, by hotspot index (what later routes keep the gap from)."""
    index = {h.id: h.index for h in data.hotspots}
    arrivals: dict[int, list[int]] = defaultdict(list)
    for route in routed.values():
        for stop in route.stops:
            arrivals[index[stop.visit_id.split("@")[0]]].append(stop.arrive)
    return arrivals


def _stop_worth(data: ProblemData, project: str, hotspot: int, stop: Stop) -> float:
    """A visit's worth before its rank factor: harm x window weight at arrival x dose."""
    policy = data.policy(project)
    dose = min(stop.depart - stop.arrive, policy.dwell_target_minutes) / policy.dwell_target_minutes
    return data.hotspots[hotspot].harm_weight * data.weight_at(project, stop.arrive) * dose


def _visits_by_key(
    data: ProblemData, routed: Mapping[str, RoutedCrew], project_of: Mapping[str, str]
) -> dict[tuple[int, int], list[tuple[int, str, float]]]:
    """Visits of the routes by (hotspot, day of arrival): (arrival, crew, worth before rank)."""
    index = {h.id: h.index for h in data.hotspots}
    visits: dict[tuple[int, int], list[tuple[int, str, float]]] = defaultdict(list)
    for crew_id, route in routed.items():
        for stop in route.stops:
            h = index[stop.visit_id.split("@")[0]]
            visits[(h, data.clock.day_index(stop.arrive))].append(
                (stop.arrive, crew_id, _stop_worth(data, project_of[crew_id], h, stop))
            )
    return visits


class _HotspotDayValue:
    """The contract's value of one hotspot-day: dosage by rank, less its visit shortfall.

    Prepared once (rank factor per crew, shortfall per hotspot) because the route search asks for it
    thousands of times; :func:`_routes_objective` and :func:`_team_day_worth` both count with it.
    """

    def __init__(self, data: ProblemData, project_of: Mapping[str, str]) -> None:
        self.factor = {crew_id: data.policy(project).repeat_visit_factor for crew_id, project in project_of.items()}
        self.days = data.patrol_days
        weight = data.scenario.soft_weights.visit_shortfall
        self.shortfall: dict[int, tuple[int, float]] = {}
        for hotspot in data.hotspots:
            projects = [p for p in data.scenario.active_projects if hotspot.spec.serves(p)]
            wanted = max([data.policy(p).visits_wanted_per_day for p in projects] or [0])
            if weight > 0 and wanted > 0:
                self.shortfall[hotspot.index] = (wanted, weight * hotspot.harm_weight)

    def __call__(self, key: tuple[int, int], members: list[tuple[int, str, float]]) -> float:
        """``members``: the day's visits as (arrival, crew, worth before rank)."""
        total = sum(w * self.factor[crew_id] ** rank for rank, (_t, crew_id, w) in enumerate(sorted(members)))
        if key[1] < self.days and key[0] in self.shortfall:
            wanted, penalty = self.shortfall[key[0]]
            total -= penalty * max(0, wanted - len(members))
        return total


def _routes_objective(data: ProblemData, routed: dict[str, RoutedCrew], project_of: dict[str, str]) -> float:
    """Dosage less the visit shortfall of the routes so far, as the contract counts them."""
    visits = _visits_by_key(data, routed, project_of)
    keys = set(visits) | {(h.index, day) for h in data.hotspots for day in range(7)}
    value = _HotspotDayValue(data, project_of)
    return sum(value(key, visits.get(key, [])) for key in keys)


def _team_day_worth(
    data: ProblemData, crews: Sequence[Crew], others: Mapping[str, RoutedCrew], project_of: Mapping[str, str]
) -> Callable[[Mapping[str, RoutedCrew]], float]:
    """The week's objective as far as these crews' routes change it (other teams' visits held fixed).

    Called thousands of times by the route search, so the fixed part is prepared once and each visit's
    key and worth are cached; the figures are those of :func:`_routes_objective`.
    """
    days = {data.clock.day_index(t) for c in crews for t in (c.group.start, c.group.end - 1)}
    keys = sorted({(h, day) for c in crews for h in c.group.hotspots for day in range(min(days), max(days) + 1)})
    fixed = _visits_by_key(data, others, project_of)
    value = _HotspotDayValue(data, project_of)
    index = {h.id: h.index for h in data.hotspots}
    # keyed by the times too: a slot-model stop's id names its slot, not its arrival
    seen: dict[tuple[str, str, int, int], tuple[tuple[int, int], float]] = {}

    def worth(routes: Mapping[str, RoutedCrew]) -> float:
        mine: dict[tuple[int, int], list[tuple[int, str, float]]] = defaultdict(list)
        for crew_id, route in routes.items():
            for stop in route.stops:
                cached = seen.get((crew_id, stop.visit_id, stop.arrive, stop.depart))
                if cached is None:
                    h = index[stop.visit_id.split("@")[0]]
                    key = (h, data.clock.day_index(stop.arrive))
                    cached = seen[(crew_id, stop.visit_id, stop.arrive, stop.depart)] = (
                        key,
                        _stop_worth(data, project_of[crew_id], h, stop),
                    )
                mine[cached[0]].append((stop.arrive, crew_id, cached[1]))
        return sum(value(key, fixed.get(key, []) + mine.get(key, [])) for key in keys)

    return worth


def _on_shift(crew: Crew) -> dict[str, Any]:
    """What every stage's view of a crew on shift holds: id, base, times, travel profile and break."""
    group = crew.group
    return {
        "crew_id": crew.crew_id,
        "base_location": group.base_location,
        "start": group.start,
        "end": group.end,
        "profile": group.profile,
        "break_minutes": group.break_minutes,
    }


def _team_day(
    data: ProblemData, day_crews: Sequence[Crew], arrivals: Mapping[int, list[int]]
) -> tuple[TeamDay, list[WeeklyCrew], list[DispatchHotspot], list[int]]:
    """One team's crews on one day as the route search sees them (crews, hotspots with their rules)."""
    project = day_crews[0].group.project
    policy = data.policy(project)
    weekly_crews = [WeeklyCrew(**_on_shift(c), hotspots=frozenset(c.group.hotspots)) for c in day_crews]
    spots = sorted({h for c in day_crews for h in c.group.hotspots})
    limits = {h: hotspot_policy_gap(data, h) for h in spots}  # (revisit gap, presence cap)
    dispatch_hotspots = [
        DispatchHotspot(
            hotspot=h,
            hotspot_id=data.hotspots[h].id,
            location=data.hotspots[h].location,
            harm=data.hotspots[h].harm_weight,
            dwell=policy.dwell_target_minutes,
            gap=limits[h][0],
            cap_visits=limits[h][1] // policy.dwell_target_minutes,
            factor=policy.repeat_visit_factor,
        )
        for h in spots
    ]
    team = TeamDay(
        weekly_crews,
        dispatch_hotspots,
        data.matrices,
        weight_at=partial(data.weight_at, project),
        day_of=data.clock.day_index,
        arrivals=arrivals,
        shortfall_weight=data.scenario.soft_weights.visit_shortfall,
    )
    return team, weekly_crews, dispatch_hotspots, spots


def _route_call(
    data: ProblemData,
    day_crews: list[Crew],
    arrivals: dict[int, list[int]],
    index: int,
    share: float,
    time_budget: float,
    started: float,
    others: Mapping[str, RoutedCrew],
    project_of: Mapping[str, str],
    current: Mapping[str, RoutedCrew] | None = None,
) -> dict[str, RoutedCrew]:
    """Route one team's crews on one day, keeping the gap from ``arrivals`` (updated with the new visits).

    Dispatch (or the crews' ``current`` routes when they are worth more), then ruin-and-recreate rounds
    judged by the contract's value with ``others`` (every other team's routes so far) held fixed, then
    the slot model from that start.
    """
    hotspot_index = {h.id: h.index for h in data.hotspots}
    routed: dict[str, RoutedCrew] = {}
    project = day_crews[0].group.project
    team, weekly_crews, dispatch_hotspots, spots = _team_day(data, day_crews, arrivals)
    seed = data.scenario.solver.seed + index
    dispatched = dispatch_routes(team, seed=seed)
    worth = _team_day_worth(data, day_crews, others, project_of)
    if current is not None:
        kept = with_breaks(team, current)
        if worth(kept) > worth(dispatched):
            dispatched = kept
    dispatched = improve_routes(
        team,
        dispatched,
        worth,
        rounds=max(LNS_MIN_ROUNDS, round(time_budget * share * LNS_ROUNDS_PER_SECOND)),
        seed=seed,
    )
    dispatched = push_insert(team, dispatched, worth)
    slots, initial = _free_slots(data, project, day_crews, spots, arrivals, dispatched)
    initial = with_breaks(team, initial)  # a stop that found no slot leaves a longer wait: re-place the break
    deterministic = time_budget * share * ROUTE_DETERMINISTIC_PER_SECOND
    if deterministic >= SLOT_MODEL_MIN_DETERMINISTIC:
        remaining = max(0.5, time_budget * WALL_CAP_FACTOR - (clock_time.perf_counter() - started))
        initial = route_team_day(
            weekly_crews,
            slots,
            data.matrices,
            revisit_gap={spot.hotspot: spot.gap for spot in dispatch_hotspots},
            blocked={h: list(arrivals[h]) for h in spots},
            time_limit_seconds=remaining,
            seed=seed,
            workers=1,
            initial=initial,
            deterministic_time=deterministic,
        ).routes
    for crew_id, route in initial.items():
        routed[crew_id] = route
        for stop in route.stops:
            arrivals[hotspot_index[stop.visit_id.split("@")[0]]].append(stop.arrive)
    return routed


def _free_slots(
    data: ProblemData,
    project: str,
    crews: list[Crew],
    spots: list[int],
    arrivals: dict[int, list[int]],
    dispatched: dict[str, RoutedCrew],
) -> tuple[list[VisitSlot], dict[str, RoutedCrew]]:
    """Every visit the team's crews could still make, as ranked slots, plus the dispatch routes in them.

    The dispatch routes, expressed in these slots, are the route model's starting solution.

    A slot is the k-th visit of a hotspot on one day of arrival inside one patrol window; its worth is
    harm x window weight x factor^(visits already made that day + k - 1), exactly as the contract counts.
    """
    policy = data.policy(project)
    lo = min(c.group.start for c in crews)
    hi = max(c.group.end for c in crews)
    segments = []
    for window in data.windows[project]:
        start, end = max(window.start, lo), min(window.end, hi)
        if start >= end:
            continue
        cut = start
        while cut < end:
            day_end = data.clock.at(data.clock.local_date(cut), "00:00", next_day=True)
            segments.append((cut, min(end, day_end) - 1, window.weight))
            cut = min(end, day_end)
    slots: list[VisitSlot] = []
    slot_ids: dict[tuple[int, int], list[VisitSlot]] = {}
    for h in spots:
        hotspot = data.hotspots[h]
        gap, cap = hotspot_policy_gap(data, h)
        for seg_lo, seg_hi, weight in segments:
            day = data.clock.day_index(seg_lo)
            before = sum(1 for t in arrivals[h] if data.clock.day_index(t) == day)
            room = cap // policy.dwell_target_minutes - before
            count = min(room, (seg_hi - seg_lo) // max(gap, 1) + 1)
            for k in range(1, count + 1):
                slot = VisitSlot(
                    slot_id=f"{hotspot.id}@{seg_lo}#{k}",
                    hotspot=h,
                    location=hotspot.location,
                    value=hotspot.harm_weight * weight * policy.repeat_visit_factor ** (before + k - 1),
                    dwell=policy.dwell_target_minutes,
                    earliest=seg_lo + (k - 1) * gap,
                    latest=seg_hi,
                    order=seg_lo + k,
                    series=seg_lo,
                )
                slots.append(slot)
                slot_ids.setdefault((h, seg_lo), []).append(slot)
    index = {hs.id: hs.index for hs in data.hotspots}
    used: dict[tuple[int, int], int] = defaultdict(int)
    initial: dict[str, RoutedCrew] = {}
    stops_in_order = sorted(
        ((stop.arrive, crew_id, stop) for crew_id, route in dispatched.items() for stop in route.stops),
        key=lambda item: (item[0], item[1]),
    )
    renamed: dict[tuple[str, int], str] = {}
    for arrive, crew_id, stop in stops_in_order:
        h = index[stop.visit_id.split("@")[0]]
        seg = next((s for s in segments if s[0] <= arrive <= s[1]), None)
        if seg is None:
            continue
        candidates = slot_ids.get((h, seg[0]), [])
        k = used[(h, seg[0])]
        if k < len(candidates) and candidates[k].earliest <= arrive <= candidates[k].latest:
            renamed[(crew_id, arrive)] = candidates[k].slot_id
            used[(h, seg[0])] += 1
    for crew_id, route in dispatched.items():
        stops = [
            type(stop)(renamed[(crew_id, stop.arrive)], stop.arrive, stop.depart)
            for stop in route.stops
            if (crew_id, stop.arrive) in renamed
        ]
        initial[crew_id] = RoutedCrew(crew_id, stops, route.break_start)
    return slots, initial


def _breaks_inside(
    data: ProblemData, crews: list[Crew], routed: dict[str, RoutedCrew], *, frozen: frozenset[str] = frozenset()
) -> dict[str, RoutedCrew]:
    """The routes with every break inside its shift's working period (:mod:`optimiser.breaks`).

    ``frozen`` crews (pinned days) keep their published visits: their break moves only into a gap as it is.
    """
    project_of = {c.crew_id: c.group.project for c in crews}
    by_id = {c.crew_id: c for c in crews}
    break_crews = [
        BreakCrew(**_on_shift(c), edge_minutes=max(data.people[m.person].rules.break_edge_minutes for m in c.members))
        for c in crews
    ]
    return place_breaks(
        data,
        break_crews,
        routed,
        lambda crew_id, others: _team_day_worth(data, [by_id[crew_id]], others, project_of),
        keep_visits=frozen,
    )


def _plan_rows(
    data: ProblemData, crews: list[Crew], routed: dict[str, RoutedCrew]
) -> tuple[list[RosterRow], list[VisitRow]]:
    clock = data.clock
    roster_rows: list[RosterRow] = []
    visit_rows: list[VisitRow] = []
    hotspot_by_id = {h.id: h for h in data.hotspots}
    for crew in crews:
        route = routed.get(crew.crew_id, RoutedCrew(crew.crew_id))
        group = crew.group
        break_start = route.break_start if group.break_minutes else None
        for option in crew.members:
            person = data.people[option.person]
            unpaid = 0 if person.rules.breaks_paid else option.break_minutes
            break_row = None
            if break_start is not None:
                break_row = next(
                    (i for i, r in enumerate(option.rows) if r.start <= break_start < r.end), len(option.rows) - 1
                )
            paid = paid_minutes_by_row(option.rows, unpaid, break_row, option.min_paid_hours)
            shift_id = f"{option.person}-{clock.local_date(option.start):%a}-{option.template_id}"
            for row, minutes in zip(option.rows, paid, strict=True):
                roster_rows.append(
                    RosterRow(
                        shift_id=shift_id,
                        crew_id=crew.crew_id,
                        staff_id=option.person,
                        role=option.role,
                        district=person.district or "",
                        base_id=group.base_id,
                        shift_start=clock.datetime(row.start),
                        shift_end=clock.datetime(row.end),
                        break_start=clock.datetime(break_start) if break_start is not None else None,
                        break_minutes=option.break_minutes if break_start is not None else 0,
                        paid_hours=round(minutes / 60, 6),
                        pay_multiplier=row.multiplier,
                        cost_gbp=row_cost_pence(round(minutes / 60, 6) * 60, row) / 100,
                        funding=option.funding,
                        project=group.project,
                        pay_type=row.pay_type,
                        template_id=option.template_id,
                    )
                )
        matrix = data.matrices[group.profile]
        previous = group.base_location
        for stop in route.stops:
            hotspot = hotspot_by_id[stop.visit_id.split("@")[0]]
            visit_rows.append(
                VisitRow(
                    visit_id="",
                    crew_id=crew.crew_id,
                    hotspot_id=hotspot.id,
                    arrive=clock.datetime(stop.arrive),
                    depart=clock.datetime(stop.depart),
                    dwell_minutes=stop.depart - stop.arrive,
                    travel_minutes_from_prev=int(matrix[previous, hotspot.location]),
                    prev_location=data.location_ids[previous],
                    project=group.project,
                )
            )
            previous = hotspot.location
    visit_rows.sort(key=lambda v: (v.arrive.timestamp(), v.crew_id))  # the instant: the clocks may go back
    numbered = [VisitRow(**{**v.__dict__, "visit_id": f"V{i:04d}"}) for i, v in enumerate(visit_rows, start=1)]
    return roster_rows, numbered


def _predictability(data: ProblemData, visits: list[VisitRow]) -> dict[str, float]:
    """Spread (standard deviation, minutes) of a hotspot's arrival clock times over the week.

    Clock times are measured from noon so evening and after-midnight visits are neighbours; a higher
    figure means less predictable presence (Koper: random, intermittent visits).
    """
    out: dict[str, float] = {}
    for hotspot in data.hotspots:
        times = []
        for visit in visits:
            if visit.hotspot_id == hotspot.id:
                local = visit.arrive
                times.append(((local.hour * 60 + local.minute) - 720) % 1440)
        out[hotspot.id] = round(statistics.pstdev(times), 1) if len(times) > 1 else 0.0
    return out


def default_out_dir(loaded: LoadedScenario, week: date) -> Path:
    """``plans/<scenario>-<week>`` under the current directory."""
    return Path("plans") / f"{loaded.scenario.name}-{week.isoformat()}"


def plan_to_folder(
    loaded: LoadedScenario,
    *,
    week_start: date | None = None,
    out_dir: Path | None = None,
    pin_dir: Path | None = None,
    pin_days: Sequence[date] | None = None,
    formats: tuple[str, ...] = (),
    keep_valid: bool = True,
    revises: str | Path | None = None,
) -> PlanResult:
    """Plan a week and write its folder (contract files plus the planner views) atomically.

    A plan that fails its independent check is still written (so it can be inspected) but its summary
    says so and the CLI exits non-zero; an infeasible week writes ``summary.json`` with the explanation.
    Such a result never replaces a valid plan already in the folder (a published week survives a what-if
    run): it goes beside it, in ``<folder>.<status>`` (``.infeasible``, ``.no-plan``, ``.failed-check``;
    ``.<status>.2`` ... when that name is taken by something else). ``keep_valid=False`` (generated output
    such as a budget sweep's levels) replaces it anyway, so no stale plan outlives its run.

    ``revises`` names the published plan this one replaces when it is written to another folder: the plan
    is its next revision (calendar SEQUENCE, withdrawn and changed shifts), as when written over it.
    """
    week = week_start or loaded.scenario.default_week_start
    revised = _published_to_revise(Path(revises), loaded, week, pin_dir) if revises is not None else None
    target = prepare_out_dir(Path(out_dir) if out_dir is not None else default_out_dir(loaded, week))
    result = plan_week(loaded, week_start=week, pin_dir=pin_dir, pin_days=pin_days)
    status = result.plan.summary["status"]
    valid = status in ("optimal", "feasible") and result.plan.summary["validation"]["ok"]
    if valid and revised is not None:
        _set_revision(result.plan.summary, _latest_revision(revised, target), result.plan, loaded.scenario.tz)
    elif valid and (pin_dir is None or target.resolve() != Path(pin_dir).resolve()):
        # the plan replaced is what staff calendars hold: revise against it (a pinned folder of the days
        # worked only knows those days)
        if pin_dir is not None and not pin_days and not holds_a_valid_plan(target):
            log.warning(
                "the shifts this re-plan withdraws are worked out against %s; if it holds only the days worked, "
                "write the re-plan over the published plan's folder (--out PUBLISHED) so the calendars cancel "
                "the published shifts it drops",
                pin_dir,
            )
        _revise(result.plan, target, loaded, week)
    if keep_valid and not valid and holds_a_valid_plan(target):
        outcome = status if status not in ("optimal", "feasible") else "failed-check"
        published, target = target, beside(target, outcome, may_replace_with_any)
        log.warning("%s holds a valid plan: this run's %s result is written beside it", published, outcome)
    writers = {}
    if formats and result.plan.summary["status"] in ("optimal", "feasible"):
        from optimiser.reports import write_reports

        def _reports(folder: Path) -> None:
            write_reports(result.plan, folder, formats=formats, scenario=loaded.scenario)

        writers["reports"] = _reports
    result.out_dir = write_plan(result.plan, target, extra_files=writers)
    return result


def _published_to_revise(folder: Path, loaded: LoadedScenario, week: date, pin_dir: str | Path | None) -> Plan:
    """The published plan ``--revises`` names, checked before solving: a valid plan of the same week and staff.

    Why strict: its shifts become this plan's withdrawals and its revision this one's predecessor; a what-if
    folder, another week or another scenario's staff would send staff cancellations for shifts they never had
    (and key the new calendars under another publication's name).
    """
    if pin_dir is not None:
        raise DataError(
            "--revises with --pin: give one; a re-plan around a pinned plan is already its next revision "
            "(write it over the published folder, or --pin the published folder and --revises nothing)"
        )
    if not holds_a_valid_plan(folder):
        raise DataError(
            f"--revises {folder}: no valid published plan there (it needs roster.csv, visits.csv and a "
            "summary.json of a plan that passed its check); name the folder of the plan staff were sent"
        )
    published = read_plan(folder, require_scenario=False)
    if published.summary.get("week_start") != week.isoformat():
        raise DataError(
            f"--revises {folder}: that plan is for the week of {published.summary.get('week_start')}, this one for "
            f"{week.isoformat()}; a revision replaces the same week (use --week {published.summary.get('week_start')})"
        )
    scenario = loaded.scenario
    ours = (
        {w.id for w in scenario.warden_list()}
        | {o.id for o in scenario.officer_list()}
        | {p.id for p in scenario.pcso_list()}
    )
    theirs = {row.staff_id for row in published.roster}
    if theirs and not theirs & ours:
        raise DataError(
            f"--revises {folder}: that plan ({published.summary.get('scenario')}) rosters none of this scenario's "
            f"staff (it has {', '.join(sorted(theirs)[:4])}...); name the published plan of these people"
        )
    return published


def _same_publication(previous: Plan, loaded: LoadedScenario, week: date) -> bool:
    """Whether a plan folder holds this scenario's published week: the same week, under this scenario's name.

    The name may be its scenario or the calendar namespace its events are keyed under (a revision made with
    ``--revises`` from a renamed file, then re-published from the original file).
    """
    names = {previous.summary.get("scenario"), calendar_namespace(previous.summary)}
    return previous.summary.get("week_start") == week.isoformat() and loaded.scenario.name in names


def _latest_revision(revised: Plan, target: Path) -> Plan:
    """The plan ``--revises`` revises: the one it names, or a later revision of it already in ``--out``.

    Why: the same command run again after a change finds its own earlier output in ``--out``, which is what
    staff calendars hold; revising the named folder again would repeat its SEQUENCE, and calendars ignore it.
    """
    if not holds_a_valid_plan(target):
        return revised
    try:
        current = read_plan(target, require_scenario=False)
    except DataError:
        return revised
    # strictly later: a first plan (a what-if) of the same scenario left in --out is not what staff were sent
    later = _revision(current) > _revision(revised)
    return current if later and _publication(current) == _publication(revised) else revised


def _publication(plan: Plan) -> tuple[str, Any]:
    """Which published week a plan belongs to: its calendar namespace and week (what staff calendars key on)."""
    return calendar_namespace(plan.summary), plan.summary.get("week_start")


def _revise(plan: Plan, target: Path, loaded: LoadedScenario, week: date) -> None:
    """A plan replacing a published plan of the same scenario and week is its next revision.

    Why: its calendars are sent again; with the revision as their SEQUENCE and the dropped shifts
    cancelled, staff calendars take the changes instead of keeping the old events beside the new.
    """
    if not holds_a_valid_plan(target):
        return
    try:
        previous = read_plan(target, require_scenario=False)
    except DataError:
        return
    if _same_publication(previous, loaded, week):
        _set_revision(plan.summary, previous, plan, loaded.scenario.tz)


#: What can change in a shift kept from one revision to the next, in the order the roster lists them.
SHIFT_CHANGES: tuple[str, ...] = ("new shift", "times", "break", "crew", "route")


def _shift_facts(plan: Plan, tz: Any) -> dict[tuple[str, date, int], dict[str, Any]]:
    """Each shift's calendar key -> what a person is told of it: times, break, crewmates and route."""
    spans = shift_spans(plan.roster)
    crews: dict[str, list[RosterRow]] = defaultdict(list)
    shifts: dict[str, list[RosterRow]] = defaultdict(list)
    for row in plan.roster:
        crews[row.crew_id].append(row)
        shifts[row.shift_id].append(row)
    routes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for visit in sorted(plan.visits, key=lambda v: v.arrive.timestamp()):
        routes[visit.crew_id].append((visit.hotspot_id, visit.arrive.isoformat()))
    facts: dict[tuple[str, date, int], dict[str, Any]] = {}
    for shift_id, key in shift_day_keys(plan.roster, tz).items():
        rows = [row for row in shifts[shift_id] if row.staff_id == key[0]]
        _staff, start, end = spans[shift_id]
        crew_ids = sorted({row.crew_id for row in rows})
        facts[key] = {
            "times": (start.timestamp(), end.timestamp()),
            "break": sorted((row.break_start.timestamp() if row.break_start else 0, row.break_minutes) for row in rows),
            "crew": sorted({mate.staff_id for crew in crew_ids for mate in crews[crew]} - {key[0]}),
            "route": [stop for crew in crew_ids for stop in routes[crew]],
            "start": start,
            "end": end,
        }
    return facts


def _changed_shifts(previous: Plan, plan: Plan, tz: Any) -> list[dict[str, Any]]:
    """The shifts of this revision that differ from the previous one's for the person working them.

    Why: a re-published roster is read by supervisors who brief staff from it; telling them only which
    shifts were withdrawn left moved breaks, new crewmates, re-routed crews and people newly called in to be
    found by comparing two printouts (a re-plan that keeps everyone's shift times still moves breaks and
    routes). Each record is one shift: its calendar key, its times now, and what changed (``SHIFT_CHANGES``).
    """
    before, now = _shift_facts(previous, tz), _shift_facts(plan, tz)
    changed = []
    for key in sorted(now, key=lambda k: (k[0], k[1], k[2])):
        old, new = before.get(key), now[key]
        changes = ["new shift"] if old is None else [what for what in SHIFT_CHANGES[1:] if old[what] != new[what]]
        if changes:
            staff_id, day, n = key
            changed.append(
                {
                    "staff_id": staff_id,
                    "day": day.isoformat(),
                    "n": n,
                    "shift_start": new["start"].isoformat(timespec="minutes"),
                    "shift_end": new["end"].isoformat(timespec="minutes"),
                    "changes": changes,
                }
            )
    return changed


def _set_revision(summary: dict[str, Any], previous: Plan, plan: Plan, tz: Any) -> None:
    """Make the summary the next revision of ``previous``: number, calendar namespace, shifts, note.

    The shifts are those withdrawn (cancelled in calendars) and those changed (listed on the roster).
    Why the note: the console shows notes; a planner re-publishing must see what the staff will be told.
    Why the namespace is carried over: calendar events are keyed by it, so a revision planned from a
    renamed scenario file (``--revises``) still updates the events staff already hold.
    """
    summary["revision"] = _revision(previous) + 1
    summary["calendar_namespace"] = calendar_namespace(previous.summary)
    summary["withdrawn_shifts"] = _withdrawn(previous, plan, tz)
    summary["changed_shifts"] = _changed_shifts(previous, plan, tz)
    dropped = summary["withdrawn_shifts"]
    shown = ", ".join(f"{w['staff_id']} {w['day']}" for w in dropped[:6]) + (
        f" and {len(dropped) - 6} more" if len(dropped) > 6 else ""
    )
    changed = summary["changed_shifts"]
    kinds = [
        f"{what} {count}" for what in SHIFT_CHANGES if (count := sum(what in record["changes"] for record in changed))
    ]
    note = (
        f"revision {summary['revision']}: "
        + (
            f"{len(dropped)} shift(s) withdrawn, sent as cancelled calendar events ({shown})"
            if dropped
            else "no shift withdrawn"
        )
        + (
            f"; {len(changed)} shift(s) of {len({r['staff_id'] for r in changed})} people changed "
            f"({', '.join(kinds)}), listed on the printed roster and the workbook's Summary"
            if changed
            else "; no other shift changed"
        )
    )
    notes = summary.get("notes")
    kept = [n for n in notes if not str(n).startswith("revision ")] if isinstance(notes, list) else []
    summary["notes"] = [*kept, note]


def require_feasible(result: PlanResult) -> PlanResult:
    """Raise :class:`InfeasibleError` for an infeasible week (for callers that want an exception)."""
    if result.plan.summary["status"] == "infeasible":
        raise InfeasibleError(result.plan.summary["explanation"], conflicts=result.plan.summary.get("conflicts"))
    return result
