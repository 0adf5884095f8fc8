"""CP-SAT weekly roster: shifts, crews and half-hour visit buckets, one define_<rule>() per rule family.

The model is a *relaxation* of the full plan: every feasible plan maps onto a feasible assignment here
with at least the same objective (time and the presence cap are counted at the minimum dwell, worth the
full value of the target dwell), so the solver's best bound is a valid upper bound for the week. Times
are bucketed into half hours: a hotspot is visited at most once in any run of ``revisit_gap // 30``
buckets; a crew class's visits in a run of buckets fit the run's minutes by shortest legs. The route
stage then turns the roster's shifts into exact, feasible routes.

Soft rules return penalty terms; only :func:`define_objective` combines them.
"""

from __future__ import annotations

import logging
import math
import time as clock_time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.sat.python import cp_model

from optimiser import cpsat
from optimiser.instance import CrewGroup, ProblemData
from optimiser.scenario import DAYS

log = logging.getLogger(__name__)

BUCKET_MINUTES = 30
VALUE_SCALE = 10_000  # objective units per dosage unit (coefficients rounded so the bound stays valid)
WEEK_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class SolverParams:
    """CP-SAT parameters.

    With ``deterministic_time`` set, the search stops on CP-SAT's deterministic clock and several
    workers interleave on one schedule, so the same seed and worker count give the same answer on any
    machine; ``time_limit_seconds`` stays as a wall-clock safety cap (if it triggers first, the run says so).
    """

    time_limit_seconds: float = 60.0
    seed: int = 0
    workers: int = 2
    deterministic_time: float | None = None
    log_search: bool = False


@dataclass(frozen=True)
class Pin:
    """Shifts frozen from a published plan: on the pinned days exactly ``chosen`` are worked.

    The ``people``'s shifts in ``chosen`` on the other days are worked too, and they may be given more: a
    repair re-plan keeps everyone its change does not touch, and may call them in to fill a gap.
    """

    chosen: frozenset[int]
    days: frozenset[int]
    people: frozenset[str] = frozenset()


@dataclass
class RosterVars:
    """The model's decision variables, by meaning."""

    shift: dict[int, cp_model.IntVar] = field(default_factory=dict)  # option index -> works it
    crews: dict[int, cp_model.IntVar] = field(default_factory=dict)  # group index -> number of crews
    team_visit: dict[tuple[str, int, int], cp_model.IntVar] = field(default_factory=dict)  # (team, hotspot, bucket)
    class_visit: dict[tuple[str, int, int], cp_model.IntVar] = field(default_factory=dict)  # (crew class, ...)
    day_visits: dict[tuple[int, int], cp_model.LinearExprT] = field(default_factory=dict)  # (hotspot, day)
    assumptions: dict[str, cp_model.IntVar] = field(default_factory=dict)  # rule label -> enforcement literal


@dataclass
class RosterModel:
    """A built model with its variables, soft terms and the metadata the route stage needs."""

    model: cp_model.CpModel
    vars: RosterVars
    soft_terms: dict[str, list[tuple[cp_model.LinearExprT, float]]]
    value_terms: list[tuple[cp_model.LinearExprT, float]]
    buckets: dict[tuple[int, int], list[int]]  # (group, hotspot) -> allowed buckets


@dataclass
class RosterSolution:
    """What the roster stage decided, plus the solver's figures."""

    status: str
    objective: float
    best_bound: float
    seconds: float
    shifts: list[int]
    crews: dict[int, int]
    visits: list[tuple[str, int, int]]  # (crew class, hotspot, bucket)
    conflicts: list[str] = field(default_factory=list)


def bucket_span(bucket: int) -> tuple[int, int]:
    """Minutes [start, end) of a bucket."""
    return bucket * BUCKET_MINUTES, (bucket + 1) * BUCKET_MINUTES


def gap_buckets(gap_minutes: int) -> int:
    """Consecutive buckets that can hold at most one visit to a hotspot (two visits gap apart skip floor(gap/30))."""
    return max(1, gap_minutes // BUCKET_MINUTES)


def spaced_buckets(buckets: Sequence[int], run: int) -> int:
    """Most of ``buckets`` that can all hold a visit with at most one visit in any ``run`` consecutive buckets.

    Why: a hotspot-day's buckets need not be one unbroken stretch (two windows, an SV window across
    midnight, gaps in the crews' reach); the earliest-first greedy count is exact for any set of buckets,
    where ``ceil(len / run)`` undercounts separate stretches and would cut real plans off.
    """
    count, last = 0, None
    for bucket in sorted(buckets):
        if last is None or bucket - last >= run:
            count += 1
            last = bucket
    return count


def hotspot_policy_gap(data: ProblemData, hotspot: int) -> tuple[int, int]:
    """Revisit gap and daily presence cap of a hotspot: the stricter of the projects it serves."""
    spec = data.hotspots[hotspot].spec
    projects = [p for p in ("asb", "sv") if spec.serves(p) and p in data.scenario.active_projects]
    gap = max(data.policy(p).revisit_gap_minutes for p in projects)
    cap = min(data.policy(p).max_presence_minutes_per_day for p in projects)
    return gap, cap


def arrival_range(data: ProblemData, group: CrewGroup, hotspot: int) -> tuple[int, int]:
    """Earliest and latest arrival of a crew of ``group`` at a hotspot, from base legs and the dwell."""
    matrix = data.matrices[group.profile]
    location = data.hotspots[hotspot].location
    dwell = data.policy(group.project).dwell_min_minutes  # the shortest visit a plan may make
    earliest = group.start + int(matrix[group.base_location, location])
    latest = group.end - dwell - int(matrix[location, group.base_location])
    return earliest, latest


def bucket_weight(data: ProblemData, project: str, lo: int, hi: int) -> float:
    """Largest window weight of the project over arrivals in [lo, hi] (a relaxation of the weight at arrival)."""
    best = 0.0
    for window in data.windows[project]:
        if window.start <= hi and lo < window.end:
            best = max(best, window.weight)
    return best


# ---- rule families ------------------------------------------------------------------------------


def define_shift_overlap(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """double-booking: a person works at most one of any set of overlapping shifts."""
    by_person: dict[str, list[int]] = {}
    for option in data.options:
        by_person.setdefault(option.person, []).append(option.index)
    for person, indices in by_person.items():
        enforce = None
        for i, a in enumerate(indices):
            oa = data.options[a]
            for b in indices[i + 1 :]:
                ob = data.options[b]
                if oa.start < ob.end and ob.start < oa.end:
                    if enforce is None:
                        enforce = _assumption(model, v, f"double-booking: {person} on overlapping shifts")
                    model.add_bool_or([v.shift[a].negated(), v.shift[b].negated()]).with_name(
                        f"overlap[{person},{a},{b}]"
                    ).only_enforce_if(enforce)


def define_daily_rest(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """daily-rest and shift-length between two chosen shifts of one person (duty was checked in instance)."""
    by_person: dict[str, list[int]] = {}
    for option in data.options:
        by_person.setdefault(option.person, []).append(option.index)
    for person, indices in by_person.items():
        rules = data.people[person].rules
        rest = round(rules.daily_rest_hours * 60)
        longest = rules.max_shift_hours * 60
        label = (
            f"daily-rest: {person} needs {rules.daily_rest_hours:g} h between shifts "
            f"(and at most {rules.max_shift_hours:g} h in one)"
        )
        enforce = None
        for a in indices:
            for b in indices:
                oa, ob = data.options[a], data.options[b]
                if a == b or ob.start < oa.end:
                    continue
                gap = ob.start - oa.end
                if (0 < gap < rest) or (gap == 0 and ob.end - oa.start > longest):
                    if enforce is None:
                        enforce = _assumption(model, v, label)
                    model.add_bool_or([v.shift[a].negated(), v.shift[b].negated()]).with_name(
                        f"daily_rest[{person},{a},{b}]"
                    ).only_enforce_if(enforce)


def _work_spans(data: ProblemData, person: str) -> list[tuple[int, int]]:
    return [(a, b) for a, b in data.people[person].duty if b > 0 and a < WEEK_MINUTES]


def define_weekly_rest(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """weekly-rest: some rest of weekly_rest_hours inside the week, between work periods or at its ends."""
    for person_id, person in data.people.items():
        options = [o for o in data.options if o.person == person_id]
        if not options:
            continue
        need = round(person.rules.weekly_rest_hours * 60)
        duty = _work_spans(data, person_id)
        starts = sorted({0, WEEK_MINUTES - need} | {b for _, b in duty} | {o.end for o in options})
        literals = []
        for start in starts:
            end = start + need
            if start < 0 or end > WEEK_MINUTES or any(a < end and start < b for a, b in duty):
                continue
            rest = model.new_bool_var(f"weekly_rest[{person_id},{start}]")
            for option in options:
                if option.start < end and start < option.end:
                    model.add_implication(rest, v.shift[option.index].negated())
            literals.append(rest)
        label = f"weekly-rest: {person_id} needs {person.rules.weekly_rest_hours:g} h of rest in the week"
        enforce = _assumption(model, v, label)
        model.add_bool_or(literals or [model.new_constant(0)]).only_enforce_if(enforce)


def weekly_duty_minutes(data: ProblemData, person_id: str) -> int:
    """Minutes of normal duty worked in the week, as ``docs/plan-rules.md`` counts them for weekly hours.

    Duty *starting* in the week, whole (a Sunday night's duty into Monday counts in this week, last
    Sunday's not), less the unpaid break of each duty shift longer than ``break_after_hours``: the same
    count as the independent validator's.
    """
    person = data.people[person_id]
    minutes = 0
    for a, b in person.duty:
        if 0 <= a < WEEK_MINUTES:
            unpaid = person.rules.break_minutes if (b - a) > person.rules.break_after_hours * 60 else 0
            minutes += (b - a) - (0 if person.rules.breaks_paid else unpaid)
    return minutes


def define_weekly_hours(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """weekly-hours: duty plus patrol shifts (less unpaid breaks) within max_weekly_hours."""
    for person_id, person in data.people.items():
        options = [o for o in data.options if o.person == person_id]
        if not options:
            continue
        cap = round(person.rules.max_weekly_hours * 60) - weekly_duty_minutes(data, person_id)
        # a PCSO's patrol shift lies inside their duty: it adds no hours
        extra = [(v.shift[o.index], 0 if o.role == "pcso" else o.worked_minutes) for o in options]
        label = f"weekly-hours: {person_id} over {person.rules.max_weekly_hours:g} h"
        enforce = _assumption(model, v, label)
        model.add(sum(var * minutes for var, minutes in extra) <= cap).only_enforce_if(enforce)


def define_consecutive_days(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """max-consecutive-days: no more than max_consecutive_days worked in a row within the week."""
    for person_id, person in data.people.items():
        options = [o for o in data.options if o.person == person_id]
        if not options:
            continue
        limit = person.rules.max_consecutive_days
        if limit >= 7:
            continue
        duty_days = {data.clock.day_index(a) for a, _ in _work_spans(data, person_id) if a >= 0}
        worked: list[cp_model.LinearExprT] = []
        for day in range(7):
            if day in duty_days:
                worked.append(1)
            else:
                worked.append(sum((v.shift[o.index] for o in options if o.day == day), start=0))
        enforce = _assumption(
            model, v, f"max-consecutive-days: {person_id} works at most {limit} days in a row (duty included)"
        )
        for first in range(0, 7 - limit):
            model.add(sum(worked[first : first + limit + 1]) <= limit).with_name(
                f"consecutive[{person_id},{first}]"
            ).only_enforce_if(enforce)


def define_contracted_hours(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """contracted-hours: each warden works their contracted paid hours in the week.

    Exactly in a whole week; in a week the contract starts or ends in, the pro rata hours or less, by
    less than one day's hours (whole shifts rarely add up to a pro rata figure).
    """
    for person_id, person in data.people.items():
        if person.required_paid_minutes is None:
            continue
        options = [o for o in data.options if o.person == person_id]
        required = person.required_paid_minutes
        low = max(0, required - person.paid_shortfall_minutes)
        wanted = f"exactly {required / 60:g}" if low == required else f"{low / 60:g} to {required / 60:g}"
        label = (
            f"contracted-hours: {person_id} must work {wanted} paid hours "
            f"from shifts of {sorted({round(o.paid_minutes / 60, 2) for o in options})} h"
        )
        enforce = _assumption(model, v, label)
        paid = sum(v.shift[o.index] * o.paid_minutes for o in options)
        model.add(paid <= required).only_enforce_if(enforce)
        model.add(paid >= low).only_enforce_if(enforce)


def define_budget(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """budget: officer overtime (cost bound per shift) within the SV weekly budget."""
    overtime = [o for o in data.options if o.funding == "grant-sv"]
    if not overtime:
        return
    label = f"budget: SV weekly budget £{data.budgets_pence['sv'] / 100:,.2f}"
    enforce = _assumption(model, v, label)
    model.add(sum(v.shift[o.index] * o.cost_pence for o in overtime) <= data.budgets_pence["sv"]).only_enforce_if(
        enforce
    )


def define_crewing(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """crewing: a crew group's members come in whole crews of its make-up; nobody patrols outside a crew."""
    member_of: dict[int, int] = {}
    for g, group in enumerate(data.groups):
        for role, indices in group.options_by_role.items():
            per_crew = group.roles.count(role)
            model.add(sum(v.shift[i] for i in indices) == per_crew * v.crews[g]).with_name(
                f"crewing[{group.key},{role}]"
            )
            for i in indices:
                member_of[i] = g
    for option in data.options:
        if option.index not in member_of:
            model.add(v.shift[option.index] == 0)


def crew_class(group: CrewGroup) -> str:
    """Crews that share team, travel profile and base: their capacity is modelled together."""
    return f"{group.team}|{group.profile}|{group.base_id}"


def _class_legs(data: ProblemData, members: Sequence[CrewGroup]) -> dict[int, int]:
    """Least time a class crew spends after arriving at each hotspot before its next arrival, beyond the dwell.

    After a visit a crew goes to another class hotspot or its base (the shortest leg, 0 for one at the same
    point), or stays and visits the same hotspot again, arriving at least the revisit gap after the last
    arrival (``gap - dwell`` beyond the dwell). The least of these keeps every real route's spacing.
    """
    matrix = data.matrices[members[0].profile]
    dwell = data.policy(members[0].project).dwell_min_minutes
    spots = sorted({h for g in members for h in g.hotspots})
    legs = {}
    for h in spots:
        here = data.hotspots[h].location
        elsewhere = [int(matrix[here, data.hotspots[k].location]) for k in spots if k != h]
        elsewhere.append(int(matrix[here, members[0].base_location]))
        stay = max(0, hotspot_policy_gap(data, h)[0] - dwell)
        legs[h] = min([*elsewhere, stay])
    return legs


def define_visit_capacity(
    model: cp_model.CpModel, data: ProblemData, v: RosterVars, buckets: dict[tuple[int, int], list[int]]
) -> None:
    """Route time: a crew class's visits in any run of buckets fit its crews' minutes by shortest legs.

    For one crew, arrivals in a run of buckets lie within the minutes the crew can arrive in it, and
    consecutive visits are at least dwell + the hotspot's shortest leg apart; summing over visits and
    crews gives a bound that every real set of routes keeps (so the model stays a relaxation).
    """
    classes: dict[str, list[tuple[int, CrewGroup]]] = {}
    for g, group in enumerate(data.groups):
        classes.setdefault(crew_class(group), []).append((g, group))
    for name, groups in classes.items():
        project = groups[0][1].project
        dwell = data.policy(project).dwell_min_minutes  # any plan's visits last at least this
        legs = _class_legs(data, [group for _, group in groups])
        cost = {h: dwell + leg for h, leg in legs.items()}
        slack = dwell + max(legs.values())
        keys = [(h, b) for (c, h, b) in v.class_visit if c == name]
        if not keys:
            continue
        by_bucket: dict[int, list[int]] = {}
        for h, b in keys:
            by_bucket.setdefault(b, []).append(h)
        reach = {g: _arrival_envelope(data, group) for g, group in groups}
        for run in (1, 2, 4, 8):
            for first in sorted(by_bucket):
                lo, hi = first * BUCKET_MINUTES, (first + run) * BUCKET_MINUTES - 1
                terms = [
                    (v.class_visit[(name, h, b)], cost[h])
                    for b in range(first, first + run)
                    for h in by_bucket.get(b, [])
                ]
                if len(terms) < 2:
                    continue
                crew_terms = []
                for g, _group in groups:
                    earliest, latest = reach[g]
                    overlap = min(hi, latest) - max(lo, earliest) + 1
                    if overlap > 0:
                        crew_terms.append((v.crews[g], overlap - 1 + slack))
                model.add(sum(var * c for var, c in terms) <= sum(var * c for var, c in crew_terms)).with_name(
                    f"capacity[{name},{first},{run}]"
                )
        _define_far_cliques(model, data, v, name, groups, by_bucket, reach, dwell)
        # whole shifts: a crew's visits fit between leaving base and returning, less the break
        by_day: dict[int, list[tuple[int, CrewGroup]]] = {}
        for g, group in groups:
            by_day.setdefault(group.day, []).append((g, group))
        for day, members in by_day.items():
            lo = min(group.start for _, group in members)
            hi = max(group.end for _, group in members)
            terms = [(v.class_visit[(name, h, b)], cost[h]) for (h, b) in keys if lo <= b * BUCKET_MINUTES < hi]
            room = []
            for g, group in members:
                matrix = data.matrices[group.profile]
                out_leg = min(int(matrix[group.base_location, data.hotspots[h].location]) for h in group.hotspots)
                room.append((v.crews[g], group.end - group.start - group.break_minutes - out_leg))
            if terms:
                model.add(sum(var * c for var, c in terms) <= sum(var * c for var, c in room)).with_name(
                    f"shift_room[{name},{day}]"
                )


def _far_cliques(distance: dict[tuple[int, int], int], spots: list[int], limit: int) -> list[list[int]]:
    """Greedy cover of the "far" pairs (no crew can reach both within ``limit`` minutes) by cliques."""
    far = {h: {k for k in spots if k != h and distance[(h, k)] > limit} for h in spots}
    cliques: list[list[int]] = []
    covered: set[tuple[int, int]] = set()
    for seed in sorted(spots, key=lambda h: (-len(far[h]), h)):
        for other in sorted(far[seed]):
            if (seed, other) in covered:
                continue
            clique = [seed, other]
            for candidate in sorted(far[seed] & far[other], key=lambda h: (-len(far[h]), h)):
                if all(candidate in far[member] for member in clique):
                    clique.append(candidate)
            cliques.append(clique)
            covered |= {(a, b) for a in clique for b in clique if a != b}
    return cliques


def _define_far_cliques(
    model: cp_model.CpModel,
    data: ProblemData,
    v: RosterVars,
    name: str,
    groups: list[tuple[int, CrewGroup]],
    by_bucket: dict[int, list[int]],
    reach: dict[int, tuple[int, int]],
    dwell: int,
) -> None:
    """Far hotspots: in a run of one or two buckets a crew reaches at most one of a set of mutually far ones.

    Two visits by one crew with arrivals in a run of L minutes are at least dwell + travel apart, so
    hotspots farther apart than that cannot share a crew in the run: across them, visits in the run are at
    most the number of the class's crews that can arrive in it (a valid cut, tight for night crews).
    """
    matrix = data.matrices[groups[0][1].profile]
    spots = sorted({h for hs in by_bucket.values() for h in hs})
    if len(spots) < 2:
        return
    location = {h: data.hotspots[h].location for h in spots}
    distance = {
        (a, b): min(int(matrix[location[a], location[b]]), int(matrix[location[b], location[a]]))
        for a in spots
        for b in spots
        if a != b
    }
    for run in (1, 2):
        length = BUCKET_MINUTES * run
        cliques = _far_cliques(distance, spots, length - 1 - dwell)
        if not cliques:
            continue
        for first in sorted(by_bucket):
            lo, hi = first * BUCKET_MINUTES, first * BUCKET_MINUTES + length - 1
            crews_here = [v.crews[g] for g, _group in groups if min(hi, reach[g][1]) >= max(lo, reach[g][0])]
            for clique in cliques:
                terms = [
                    v.class_visit[(name, h, b)]
                    for b in range(first, first + run)
                    for h in clique
                    if (name, h, b) in v.class_visit
                ]
                if len(terms) > 1:
                    model.add(sum(terms) <= sum(crews_here)).with_name(f"far[{name},{first},{run}]")


def _arrival_envelope(data: ProblemData, group: CrewGroup) -> tuple[int, int]:
    ranges = [arrival_range(data, group, h) for h in group.hotspots]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def define_coverage(
    model: cp_model.CpModel, data: ProblemData, v: RosterVars, buckets: dict[tuple[int, int], list[int]]
) -> None:
    """A crew class visits a hotspot in a bucket only when one of its crews on shift could arrive there then."""
    reach: dict[tuple[str, int, int], list[int]] = {}
    for (g, h), allowed in buckets.items():
        for b in allowed:
            reach.setdefault((crew_class(data.groups[g]), h, b), []).append(g)
    for (name, h, b), groups in reach.items():
        model.add(v.class_visit[(name, h, b)] <= sum(v.crews[g] for g in groups))


def define_revisit_gap(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """revisit-gap: at most one visit (by any team) to a hotspot in any run of gap // 30 buckets."""
    per_hotspot: dict[int, dict[int, list[cp_model.IntVar]]] = {}
    for (_team, h, b), var in v.team_visit.items():
        per_hotspot.setdefault(h, {}).setdefault(b, []).append(var)
    for h, by_bucket in per_hotspot.items():
        gap, _cap = hotspot_policy_gap(data, h)
        run = gap_buckets(gap)
        for b in sorted(by_bucket):
            window = [var for bb in range(b, b + run) for var in by_bucket.get(bb, [])]
            if len(window) > 1:
                model.add_at_most_one(window).with_name(f"revisit[{data.hotspots[h].id},{b}]")


def _day_counts(data: ProblemData, v: RosterVars) -> dict[tuple[int, int], dict[int, list[cp_model.IntVar]]]:
    """Visit variables by (hotspot, day of arrival) then bucket."""
    out: dict[tuple[int, int], dict[int, list[cp_model.IntVar]]] = {}
    for (_team, h, b), var in v.team_visit.items():
        day = data.clock.day_index(bucket_span(b)[0])
        out.setdefault((h, day), {}).setdefault(b, []).append(var)
    return out


def define_presence_cap(model: cp_model.CpModel, data: ProblemData, v: RosterVars) -> None:
    """presence-cap: visits to a hotspot on one day of arrival, each at least the minimum dwell, within the cap."""
    for (h, day), by_bucket in _day_counts(data, v).items():
        _gap, cap = hotspot_policy_gap(data, h)
        dwell = min(
            data.policy(p).dwell_min_minutes for p in data.scenario.active_projects if data.hotspots[h].spec.serves(p)
        )
        variables = [var for vs in by_bucket.values() for var in vs]
        v.day_visits[(h, day)] = sum(variables)
        if len(variables) * dwell > cap:
            model.add(sum(variables) * dwell <= cap).with_name(f"presence[{data.hotspots[h].id},{day}]")


def repeat_value(factor: float, count: int) -> float:
    """G(n): worth of n visits on one day at weight 1 (1 + factor + ... + factor^(n-1))."""
    return sum(factor**k for k in range(count))


def _spaced_count(intervals: Sequence[tuple[int, int]], gap: int) -> int:
    """Most arrivals, pairwise at least ``gap`` minutes apart, inside a union of [lo, hi] minute intervals."""
    count, last = 0, None
    for lo, hi in sorted(intervals):
        at = lo if last is None else max(lo, last + max(gap, 1))
        while at <= hi:
            count += 1
            last = at
            at = last + max(gap, 1)
    return count


def _group_arrival_spans(
    data: ProblemData, horizon_days: np.ndarray, weights: dict[str, np.ndarray], group: CrewGroup, h: int
) -> list[tuple[int, float, tuple[int, int]]]:
    """(day of arrival, window weight, [first, last] minute) runs in which a crew of ``group`` can arrive at ``h``."""
    earliest, latest = arrival_range(data, group, h)
    if latest < earliest:
        return []
    span_days = horizon_days[earliest : latest + 1]
    span_weights = weights[group.project][earliest : latest + 1]
    cuts = np.flatnonzero((np.diff(span_days) != 0) | (np.diff(span_weights) != 0)) + 1
    return [
        (int(span_days[lo]), float(span_weights[lo]), (earliest + int(lo), earliest + int(hi) - 1))
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(span_days)], strict=True)
    ]


def _horizon(data: ProblemData) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Day index and each project's window weight of every minute a crew may arrive (Monday 00:00 onwards)."""
    horizon = max([g.end for g in data.groups] + [WEEK_MINUTES]) + 1
    return data.clock.day_indices(np.arange(horizon)), {p: data.weights(p, horizon) for p in ("asb", "sv")}


def _arrival_spans(data: ProblemData) -> dict[tuple[int, int], dict[float, list[tuple[int, int]]]]:
    """Minutes some crew can arrive at each hotspot, by day of arrival and window weight (0: outside windows)."""
    days, weights = _horizon(data)
    spans: dict[tuple[int, int], dict[float, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for group in data.groups:
        for h in group.hotspots:
            for day, weight, interval in _group_arrival_spans(data, days, weights, group, h):
                spans[(h, day)][weight].append(interval)
    return spans


def hotspot_day_ceilings(
    data: ProblemData, spans: dict[tuple[int, int], dict[float, list[tuple[int, int]]]] | None = None
) -> dict[tuple[int, int], float]:
    """Most dosage a hotspot can earn on a day of arrival, whatever the staffing (a valid bound).

    Why: the roster model counts time at the minimum dwell (a plan may shorten visits), so it may credit
    more full-value visits than the presence cap allows; this ceiling does not. The day's dose is at
    most cap / target (a visit's dose is min(dwell, target) / target), its arrivals are spaced by the
    revisit gap within the minutes some crew can arrive, and the k-th visit takes factor^(k-1); by
    rearrangement the worth is at most the largest window weights available matched to the first ranks,
    the last rank taking the fraction of a dose left. Hotspot-days no crew can reach in a window are
    absent (0).
    """
    ceilings = {}
    for (h, day), by_weight in (spans if spans is not None else _arrival_spans(data)).items():
        in_windows = [interval for weight, intervals in by_weight.items() if weight > 0 for interval in intervals]
        if not in_windows:
            continue
        hotspot = data.hotspots[h]
        projects = [p for p in data.scenario.active_projects if hotspot.spec.serves(p)]
        gap, cap = hotspot_policy_gap(data, h)
        doses = cap / min(data.policy(p).dwell_target_minutes for p in projects)
        factor = max(data.policy(p).repeat_visit_factor for p in projects)
        units = [w for w, intervals in by_weight.items() if w > 0 for _ in range(_spaced_count(intervals, gap))]
        units = sorted(units, reverse=True)[: _spaced_count(in_windows, gap)]
        whole = math.floor(doses)
        worth = sum(weight * factor**k for k, weight in enumerate(units[:whole]))
        if len(units) > whole:
            worth += (doses - whole) * units[whole] * factor**whole
        worth = min(worth, _chronological_worth(by_weight, gap, math.ceil(doses), factor))
        ceilings[(h, day)] = hotspot.harm_weight * worth
    return ceilings


def _chronological_worth(by_weight: dict[float, list[tuple[int, int]]], gap: int, most: int, factor: float) -> float:
    """Best sum of weight x factor^(rank - 1) over at most ``most`` arrivals ``gap`` apart, ranked by time.

    Why: the rank-matching bound gives the heaviest weights to the first ranks, but ranks follow the
    clock: an evening at weight 2 after an afternoon at 1 cannot have its visits ranked first unless the
    afternoon goes unvisited. A plan's day has at most ceil(cap / target) visits worth anything (at most
    one visit's dose is fractional in the best split of the cap, the others are 0 or whole, and a visit
    of no dose only pushes later ones down the ranks), each worth at most its full dose, so this is a
    valid bound. Dynamic programme over minutes: best[c][t] = best worth of c arrivals, the last by t.
    """
    intervals = [interval for spans in by_weight.values() for interval in spans]
    first = min(lo for lo, _ in intervals)
    weight = np.zeros(max(hi for _, hi in intervals) - first + 1)
    for w, spans in by_weight.items():
        for lo, hi in spans:
            np.maximum(weight[lo - first : hi - first + 1], w, out=weight[lo - first : hi - first + 1])
    best = 0.0
    previous = np.zeros(len(weight))  # no arrival yet: worth 0 at every minute
    for count in range(1, most + 1):
        if count == 1:
            before = previous
        else:  # the previous arrival at least ``gap`` minutes earlier
            before = np.full(len(weight), -np.inf)
            if gap < len(weight):
                before[gap:] = previous[: len(weight) - gap]
        current = np.maximum.accumulate(before + weight * factor ** (count - 1))
        best = max(best, float(current[-1]))
        previous = current
    return best


def ceiling_bound(data: ProblemData) -> float:
    """A bound on the week's objective from the hotspot-day ceilings, less the shortfall no plan avoids.

    The objective is dosage less soft penalties, each penalty at least 0; a hotspot-day where no crew
    can arrive at any minute has its whole shortfall whatever the plan.
    """
    spans = _arrival_spans(data)
    worth = sum(hotspot_day_ceilings(data, spans).values())
    weight = data.scenario.soft_weights.visit_shortfall
    unavoidable = 0.0
    for hotspot in data.hotspots:
        projects = [p for p in data.scenario.active_projects if hotspot.spec.serves(p)]
        wanted = max([data.policy(p).visits_wanted_per_day for p in projects] or [0])
        for day in range(data.patrol_days):
            if (hotspot.index, day) not in spans:
                unavoidable += weight * hotspot.harm_weight * wanted
    return worth - unavoidable


def define_dosage_value(
    model: cp_model.CpModel, data: ProblemData, v: RosterVars
) -> list[tuple[cp_model.LinearExprT, float]]:
    """Harm-weighted dosage per hotspot and day, exact for one weight and a valid bound otherwise.

    With weights w_1..w_S over a day's segments in time order and N_s visits up to segment s, the
    day's worth is harm x sum_s (w_s - w_{s+1}) G(N_s), G concave. Terms with w_s >= w_{s+1} use
    prefix indicators (exact, LP-tight); the others use G's chord (an upper bound), so the model
    never understates a plan's worth.
    """
    terms: list[tuple[cp_model.LinearExprT, float]] = []
    for (h, day), by_bucket in sorted(_day_counts(data, v).items()):
        spec = data.hotspots[h].spec
        projects = [p for p in data.scenario.active_projects if spec.serves(p)]
        factor = max(data.policy(p).repeat_visit_factor for p in projects)
        harm = data.hotspots[h].harm_weight
        gap, _ = hotspot_policy_gap(data, h)
        segments: list[tuple[float, list[int]]] = []
        for b in sorted(by_bucket):
            lo, hi = bucket_span(b)
            weight = max(bucket_weight(data, p, lo, hi - 1) for p in projects)
            if segments and segments[-1][0] == weight:
                segments[-1][1].append(b)
            else:
                segments.append((weight, [b]))
        seen: list[int] = []
        for index, (weight, members) in enumerate(segments):
            seen += members
            upto = [var for b in seen for var in by_bucket[b]]
            most = min(len(upto), spaced_buckets(seen, gap_buckets(gap)))
            next_weight = segments[index + 1][0] if index + 1 < len(segments) else 0.0
            kappa = weight - next_weight
            if kappa == 0:
                continue
            if kappa > 0:
                prefix = [model.new_bool_var(f"dose[{spec.id},{day},{index},{k}]") for k in range(1, most + 1)]
                model.add(sum(prefix) == sum(upto))
                for k, literal in enumerate(prefix):
                    terms.append((literal, harm * kappa * factor**k))
            else:
                chord = repeat_value(factor, most) / most if most else 0.0
                for var in upto:
                    terms.append((var, harm * kappa * chord))
    return terms


def define_visit_shortfall(
    model: cp_model.CpModel, data: ProblemData, v: RosterVars
) -> list[tuple[cp_model.LinearExprT, float]]:
    """Soft: visits short of visits_wanted_per_day, per hotspot and day of the week, times harm.

    A visit outside every patrol window is worth nothing but still counts as a visit (the contract counts
    every visit), and the model has no variables for such visits: each hotspot-day is credited with as
    many of them as its rostered crews could make there (each crew's arrivals outside the windows, spaced
    by the revisit gap), so the model never charges a shortfall a plan avoids and its bound stays valid.
    """
    weight = data.scenario.soft_weights.visit_shortfall
    if weight <= 0:
        return []
    outside = _outside_window_visits(data)
    terms: list[tuple[cp_model.LinearExprT, float]] = []
    for h, hotspot in enumerate(data.hotspots):
        projects = [p for p in data.scenario.active_projects if hotspot.spec.serves(p)]
        wanted = max(data.policy(p).visits_wanted_per_day for p in projects)
        if wanted == 0:
            continue
        for day in range(data.patrol_days):
            visits = v.day_visits.get((h, day), 0)
            # each rostered crew of a group that can arrive outside the windows may make up to this many there
            credit = sum((v.crews[g] * min(count, wanted) for g, count in outside.get((h, day), {}).items()), start=0)
            short = model.new_int_var(0, wanted, f"shortfall[{hotspot.id},{day}]")
            model.add(cp_model.LinearExpr.sum([short, visits, credit]) >= wanted)
            terms.append((short, weight * hotspot.harm_weight))
    return terms


def _outside_window_visits(data: ProblemData) -> dict[tuple[int, int], dict[int, int]]:
    """Most visits one crew of each group can make to a hotspot on a day of arrival outside every window.

    Arrivals the crew can make there with window weight 0, spaced by the hotspot's revisit gap; keyed by
    (hotspot, day of arrival), then group. A crew's visits outside the windows are at most this many.
    """
    days, weights = _horizon(data)
    out: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for g, group in enumerate(data.groups):
        for h in group.hotspots:
            outside: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for day, weight, interval in _group_arrival_spans(data, days, weights, group, h):
                if weight == 0:
                    outside[day].append(interval)
            gap, _cap = hotspot_policy_gap(data, h)
            for day, intervals in outside.items():
                if count := _spaced_count(intervals, gap):
                    out[(h, day)][g] = count
    return out


def _spread(
    model: cp_model.CpModel,
    values: Sequence[cp_model.LinearExprT],
    rostered: Sequence[cp_model.IntVar],
    name: str,
    upper: int,
) -> cp_model.IntVar:
    """The spread (largest less smallest) of ``values`` among the people rostered this week, as the contract counts.

    A person with no shift is out of the spread (the contract's ``recompute_summary`` counts rostered
    people only); counting them at zero would penalise plans more than the contract does and make the
    model's bound invalid when a spread weight is set.
    """
    high = model.new_int_var(0, upper, f"{name}_max")
    low = model.new_int_var(0, upper, f"{name}_min")
    for value, works in zip(values, rostered, strict=True):
        model.add(high >= value)
        model.add(low <= value).only_enforce_if(works)
    spread = model.new_int_var(0, upper, name)
    model.add(spread >= high - low)
    return spread


def _rostered(model: cp_model.CpModel, data: ProblemData, v: RosterVars, person: str) -> cp_model.IntVar:
    """A literal true exactly when ``person`` works at least one shift this week."""
    shifts = [v.shift[o.index] for o in data.options if o.person == person]
    works = model.new_bool_var(f"rostered[{person}]")
    if not shifts:
        model.add(works == 0)
        return works
    model.add_max_equality(works, shifts)
    return works


def define_fairness(
    model: cp_model.CpModel, data: ProblemData, v: RosterVars
) -> dict[str, list[tuple[cp_model.LinearExprT, float]]]:
    """Soft: spread (max - min) of paid hours, nights and weekend shifts among each role's rostered people."""
    weights = data.scenario.soft_weights
    out: dict[str, list[tuple[cp_model.LinearExprT, float]]] = {
        "hours_spread": [],
        "nights_spread": [],
        "weekends_spread": [],
    }
    if weights.hours_spread <= 0 and weights.nights_spread <= 0 and weights.weekends_spread <= 0:
        return out
    for role in ("warden", "officer", "pcso"):
        people = [p for p, person in data.people.items() if person.role == role]
        if len(people) < 2:
            continue
        options = {p: [o for o in data.options if o.person == p] for p in people}
        rostered = [_rostered(model, data, v, p) for p in people]
        if weights.hours_spread > 0:
            hours = [sum(v.shift[o.index] * o.paid_minutes for o in options[p]) for p in people]
            spread = _spread(model, hours, rostered, f"hours_spread[{role}]", 7 * 24 * 60)
            out["hours_spread"].append((spread, weights.hours_spread / 60))
        if weights.nights_spread > 0:
            nights = [sum(v.shift[o.index] for o in options[p] if o.night) for p in people]
            out["nights_spread"].append(
                (_spread(model, nights, rostered, f"nights_spread[{role}]", 7), weights.nights_spread)
            )
        if weights.weekends_spread > 0:
            weekends = [sum(v.shift[o.index] for o in options[p] if o.weekend) for p in people]
            out["weekends_spread"].append(
                (_spread(model, weekends, rostered, f"weekends_spread[{role}]", 7), weights.weekends_spread)
            )
    return out


def define_objective(
    model: cp_model.CpModel,
    value_terms: Sequence[tuple[cp_model.LinearExprT, float]],
    soft_terms: dict[str, list[tuple[cp_model.LinearExprT, float]]],
) -> None:
    """Objective assembled once: dosage minus soft penalties; value rounded up, penalties down (valid bound)."""
    gains = [(expr, math.ceil(value * VALUE_SCALE)) for expr, value in value_terms]
    losses = [(expr, -math.floor(weight * VALUE_SCALE)) for terms in soft_terms.values() for expr, weight in terms]
    model.maximize(cp_model.LinearExpr.weighted_sum([e for e, _ in gains + losses], [c for _, c in gains + losses]))


RULES: dict[str, Callable[..., object]] = {
    "double-booking": define_shift_overlap,
    "daily-rest": define_daily_rest,
    "weekly-rest": define_weekly_rest,
    "weekly-hours": define_weekly_hours,
    "max-consecutive-days": define_consecutive_days,
    "contracted-hours": define_contracted_hours,
    "budget": define_budget,
    "crewing": define_crewing,
    "visit-capacity": define_visit_capacity,
    "coverage": define_coverage,
    "revisit-gap": define_revisit_gap,
    "presence-cap": define_presence_cap,
}


def _assumption(model: cp_model.CpModel, v: RosterVars, label: str) -> cp_model.IntVar:
    literal = model.new_bool_var(f"assume[{len(v.assumptions)}]")
    v.assumptions[label] = literal
    return literal


def allowed_buckets(data: ProblemData) -> dict[tuple[int, int], list[int]]:
    """Buckets in which a crew of each group could arrive at each eligible hotspot inside a patrol window."""
    out: dict[tuple[int, int], list[int]] = {}
    for g, group in enumerate(data.groups):
        for h in group.hotspots:
            earliest, latest = arrival_range(data, group, h)
            if latest < earliest:
                continue
            found = []
            for b in range(earliest // BUCKET_MINUTES, latest // BUCKET_MINUTES + 1):
                lo, hi = bucket_span(b)
                lo, hi = max(lo, earliest), min(hi - 1, latest)
                if lo <= hi and bucket_weight(data, group.project, lo, hi) > 0:
                    found.append(b)
            if found:
                out[(g, h)] = found
    return out


def build_model(data: ProblemData, *, pin: Pin | None = None, with_visits: bool = True) -> RosterModel:
    """Build the weekly roster model (see the module docstring).

    ``with_visits=False`` builds the staffing rules alone: small and quick, used to explain an
    infeasible week with CP-SAT assumptions.
    """
    model = cp_model.CpModel()
    v = RosterVars()
    for option in data.options:
        v.shift[option.index] = model.new_bool_var(f"shift[{option.person},d={option.day},{option.template_id}]")
    for g, group in enumerate(data.groups):
        v.crews[g] = model.new_int_var(0, group.max_crews, f"crews[{group.key}]")
    buckets = allowed_buckets(data) if with_visits else {}
    for (g, h), allowed in buckets.items():
        name = crew_class(data.groups[g])
        for b in allowed:
            if (name, h, b) not in v.class_visit:
                v.class_visit[(name, h, b)] = model.new_bool_var(f"visit[{name},{data.hotspots[h].id},b={b}]")
    by_team: dict[tuple[str, int, int], list[cp_model.IntVar]] = {}
    for (name, h, b), var in v.class_visit.items():
        by_team.setdefault((name.split("|")[0], h, b), []).append(var)
    for key, members in by_team.items():
        if len(members) == 1:
            v.team_visit[key] = members[0]
        else:
            team_var = model.new_bool_var(f"visit[{key[0]},{data.hotspots[key[1]].id},b={key[2]}]")
            model.add(sum(members) == team_var)
            v.team_visit[key] = team_var
    for name, rule in RULES.items():
        if name in ("visit-capacity", "coverage"):
            rule(model, data, v, buckets)
        else:
            rule(model, data, v)
    value_terms = define_dosage_value(model, data, v)
    soft_terms: dict[str, list[tuple[cp_model.LinearExprT, float]]] = {
        "visit_shortfall": define_visit_shortfall(model, data, v)
    }
    soft_terms.update(define_fairness(model, data, v))
    define_objective(model, value_terms, soft_terms)
    if pin is not None and (pin.days or pin.people):
        # an assumption like the rules: an infeasible re-plan can then name the pinned days in its core
        worked = ", ".join(DAYS[d] for d in sorted(pin.days)) or "none"
        kept = f"; {len(pin.people)} people's published shifts kept all week" if pin.people else ""
        enforce = _assumption(model, v, f"pinned days: {worked} worked as published{kept}")
        for index, var in v.shift.items():
            option = data.options[index]
            if option.day in pin.days:
                model.add(var == (1 if index in pin.chosen else 0)).only_enforce_if(enforce)
            elif option.person in pin.people and index in pin.chosen:
                model.add(var == 1).only_enforce_if(enforce)
    return RosterModel(model, v, soft_terms, value_terms, buckets)


def _minimise_core(
    model: cp_model.CpModel,
    core: list[int],
    by_index: dict[int, cp_model.IntVar],
    params: SolverParams,
    *,
    most_solves: int = 400,
    most_seconds: float = 20.0,
) -> list[int]:
    """Drop assumptions the conflict does not need (deletion filter), so the planner sees only the cause.

    Each solve is of the staffing rules alone (milliseconds); a core of hundreds (every rule pinned days
    touch) is filtered whole, within ``most_seconds``.
    """
    if len(core) <= 1:
        return core
    kept = list(core)
    started = clock_time.perf_counter()
    for literal in list(core)[:most_solves]:
        if clock_time.perf_counter() - started > most_seconds:
            break
        trial = [x for x in kept if x != literal]
        if not trial:
            break
        model.clear_assumptions()
        model.add_assumptions([by_index[i] for i in trial])
        solver = make_solver(SolverParams(time_limit_seconds=5.0, seed=params.seed, workers=1, deterministic_time=2.0))
        if cpsat.solve(solver, model) == cp_model.INFEASIBLE:
            kept = trial
    return kept


def make_solver(params: SolverParams) -> cp_model.CpSolver:
    """A CP-SAT solver set up from ``params`` (deterministic when ``deterministic_time`` is set)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = params.time_limit_seconds
    solver.parameters.random_seed = params.seed
    solver.parameters.num_workers = params.workers
    solver.parameters.log_search_progress = params.log_search
    if params.deterministic_time is not None:
        solver.parameters.max_deterministic_time = params.deterministic_time
        # interleaved even on one worker: a lone worker's default search found no roster of the default week in 45 s
        # (with it: 14 s), and the interleaved schedule is what makes a seed repeat
        solver.parameters.interleave_search = True
    return solver


FIRST_SEARCH_FACTOR = 3.0
"""When the roster's deterministic budget ends with no roster, the search for a first one gets this many
times that budget more (deterministic units), within the wall-clock cap."""


def solve(
    data: ProblemData,
    params: SolverParams,
    *,
    hint: RosterSolution | None = None,
    pin: Pin | None = None,
) -> RosterSolution:
    """Build and solve the roster; on infeasibility, name the rule families in conflict."""
    started = clock_time.perf_counter()
    built = build_model(data, pin=pin)
    model, v = built.model, built.vars
    # every rule holds in the real solve; assumptions are only used to explain an infeasible week
    # (CP-SAT searches with a single worker under assumptions)
    for literal in v.assumptions.values():
        model.add(literal == 1)
    if hint is not None:
        chosen = set(hint.shifts)
        for index, var in v.shift.items():
            model.add_hint(var, 1 if index in chosen else 0)
    solver = make_solver(params)
    status = cpsat.solve(solver, model)
    remaining = params.time_limit_seconds - (clock_time.perf_counter() - started)
    first_search = status == cp_model.UNKNOWN and params.deterministic_time is not None and remaining > 0.1
    budget = params.deterministic_time
    if first_search and budget is not None:
        # no roster yet on the deterministic budget: go on to the first one rather than answer "no plan"
        # for a week that has one; on a deterministic budget too (FIRST_SEARCH_FACTOR times the first),
        # so whether a roster is found does not depend on how busy the machine is
        log.info("no roster within the deterministic budget; searching on for a first one")
        budget *= FIRST_SEARCH_FACTOR
        solver = make_solver(replace(params, deterministic_time=budget, time_limit_seconds=remaining))
        solver.parameters.stop_after_first_solution = True
        status = cpsat.solve(solver, model)
    seconds = clock_time.perf_counter() - started
    stopped_early = (
        budget is not None
        and solver.deterministic_time < budget * 0.99
        and not (first_search and status in (cp_model.OPTIMAL, cp_model.FEASIBLE))
    )
    if stopped_early and status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        cpsat.note_wall_clock_stop("roster search")
        log.warning(
            "the roster stopped on the wall-clock limit (%.0f s) before its deterministic budget; "
            "this run may not repeat exactly - raise --time-limit",
            params.time_limit_seconds,
        )
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        shifts = [i for i, var in v.shift.items() if solver.value(var)]
        crews = {g: int(solver.value(var)) for g, var in v.crews.items() if solver.value(var)}
        visits = [key for key, var in v.class_visit.items() if solver.value(var)]
        return RosterSolution(
            status="optimal" if status == cp_model.OPTIMAL else "feasible",
            objective=solver.objective_value / VALUE_SCALE,
            best_bound=solver.best_objective_bound / VALUE_SCALE,
            seconds=seconds,
            shifts=shifts,
            crews=crews,
            visits=visits,
        )
    if status == cp_model.INFEASIBLE:
        conflicts = explain_infeasible(data, params, pin=pin)
        return RosterSolution(
            "infeasible", 0.0, 0.0, clock_time.perf_counter() - started, [], {}, [], conflicts=conflicts
        )
    return RosterSolution(
        "no-plan", 0.0, 0.0, seconds, [], {}, [], conflicts=["no solution found within the time limit"]
    )


def explain_infeasible(data: ProblemData, params: SolverParams, *, pin: Pin | None = None) -> list[str]:
    """Name the staffing rules in conflict: a core of rule assumptions that cannot all hold."""
    built = build_model(data, pin=pin, with_visits=False)
    model, v = built.model, built.vars
    for literal in v.assumptions.values():
        model.add_assumption(literal)
    solver = make_solver(
        SolverParams(
            time_limit_seconds=min(30.0, params.time_limit_seconds),
            seed=params.seed,
            workers=1,
            deterministic_time=10.0,
        )
    )
    status = cpsat.solve(solver, model)
    if status != cp_model.INFEASIBLE:
        return ["the visit rules (revisit gap, presence cap, travel) conflict with the staffing rules"]
    labels = {literal.index: label for label, literal in v.assumptions.items()}
    core = [i for i in solver.sufficient_assumptions_for_infeasibility() if i in labels]
    by_index = {literal.index: literal for literal in v.assumptions.values()}
    named = [labels[i] for i in _minimise_core(model, core, by_index, params)]
    return named or ["the staffing rules conflict (no single rule family identified)"]
