"""The auditor: re-checks every hard rule of ``docs/plan-rules.md`` on a plan, from its files and the scenario alone.

The validator shares no code with the solvers (it never imports ``optimiser.roster``, ``optimiser.routing``,
``optimiser.instance`` or a solver package), so a solver bug shows up here instead of being repeated. It
reads the plan contract (:mod:`optimiser.plan`) and the scenario (:mod:`optimiser.scenario`, whose staff
expansion, duty patterns and weekly budgets it shares with the engine); it works out crow-fly legs
itself, and street-network legs with :func:`optimiser.network.travel_matrix`, the function the solver's
data came from (shortest paths on the same extract).

Conventions, all from ``docs/plan-rules.md``: a *day* is a local calendar day in the scenario's time
zone; the *week* runs Monday 00:00 to the next Monday 00:00 local; durations are absolute (every
subtraction is done in UTC, so the clock changes cannot stretch or shrink a shift). The hard rules judge
the truth recomputed from the times (paid hours from the shift and break times, dwell from arrival and
departure), so one broken field is reported once, under its own rule; the ``summary`` figures are
recomputed from the rows as written.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.errors import DataError, ScenarioError
from optimiser.network import TravelMatrix, travel_matrix
from optimiser.plan import (
    FUNDINGS,
    OPTIMAL_GAP,
    STATUSES,
    Plan,
    RosterRow,
    VisitRow,
    format_time,
    proven_optimal,
    read_plan,
    relative_gap,
    rewrite_summary,
    summary_mapping,
)
from optimiser.scenario import (
    DAYS,
    DosagePolicy,
    ExpandedOfficer,
    ExpandedPcso,
    ExpandedWarden,
    Hotspot,
    LoadedScenario,
    Scenario,
    WorkingTime,
    great_circle_m,
    load_scenario,
    parse_hhmm,
)

__all__ = [
    "RULES",
    "Violation",
    "check",
    "check_folder",
    "format_report",
    "recompute_summary",
    "reprice",
]

logger = logging.getLogger(__name__)

RULES: tuple[str, ...] = (
    "roster", "hotspots", "visit-in-shift", "visit-in-break", "crew-overlap", "double-booking", "base-legs",
    "travel", "dwell", "revisit-gap", "presence-cap", "eligibility", "crewing", "contract", "contracted-hours",
    "duty-overlap", "daily-rest", "weekly-rest", "weekly-hours", "shift-length", "break",
    "max-consecutive-days", "pay", "cost", "budget", "summary",
)  # fmt: skip
"""Every rule name of ``docs/plan-rules.md``, in the document's order (violations are reported in it)."""

CONTRACTED_HOURS_TOLERANCE_H = 0.01
"""A warden's paid hours in the week may differ from the contract by this much (hours)."""
PAID_HOURS_TOLERANCE_H = 0.001
"""A row's ``paid_hours`` may differ from its recomputation by this much (hours; CSV rounding)."""
MONEY_TOLERANCE_GBP = 0.01
"""A row's cost, and each money figure of the summary, may differ by one penny."""
FIGURE_TOLERANCE = 1e-6
"""Relative tolerance (of max(1, |x|)) of the summary's dosage, soft terms, objective and gap."""

_EPS = 1e-9
_ASB, _SV = "asb", "sv"
_FUNDING_OF_ROLE = {"warden": "grant-asb", "officer": "grant-sv", "pcso": "force"}
_SOFT_TERMS = ("visit_shortfall", "hours_spread", "nights_spread", "weekends_spread")


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, a message for people with the numbers, and the rows involved.

    Attributes
    ----------
    rule : str
        A name from :data:`RULES`, e.g. ``"daily-rest"``.
    message : str
        Starts with the rule name, then who or what and the numbers, e.g. ``daily-rest: W-ST-03 rests
        8.0 h between 2024-07-02T22:00+01:00 and 2024-07-03T06:00+01:00 (minimum 11 h)``.
    rows : tuple[str, ...]
        Ids of the rows involved: ``shift_id``, ``visit_id`` or ``staff_id`` (hotspot ids for figures).
    """

    rule: str
    message: str
    rows: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------------
# the plan as the rules see it
# --------------------------------------------------------------------------------------------------


@dataclass
class _Person:
    """A scenario person (or, for an unknown ``staff_id``, what the roster row says)."""

    staff_id: str
    role: str
    known: bool
    base: str | None = None
    district: str | None = None
    warden: ExpandedWarden | None = None
    officer: ExpandedOfficer | None = None
    pcso: ExpandedPcso | None = None


@dataclass
class _Shift:
    """The roster rows sharing a ``shift_id``: one person on one shift (times in UTC)."""

    shift_id: str
    staff_id: str
    crew_id: str
    role: str
    base_id: str
    start: datetime
    end: datetime
    break_start: datetime | None
    break_minutes: int
    rows: list[tuple[int, RosterRow]]

    @property
    def break_interval(self) -> tuple[datetime, datetime] | None:
        """The unpaid-or-paid break ``[start, start + minutes)`` in UTC, or None when there is none."""
        if self.break_start is None or self.break_minutes <= 0:
            return None
        return self.break_start, self.break_start + timedelta(minutes=self.break_minutes)

    @property
    def length_minutes(self) -> float:
        """Elapsed length of the shift, minutes."""
        return _minutes(self.start, self.end)


@dataclass
class _Crew:
    """The shifts sharing a ``crew_id``, with the visits they carry (sorted by arrival)."""

    crew_id: str
    shifts: list[_Shift]
    start: datetime
    end: datetime
    base_id: str
    project: str
    profile: str
    breaks: list[tuple[datetime, datetime]]
    visits: list[_Visit] = field(default_factory=list)


@dataclass
class _Visit:
    """A visit row with its times in UTC."""

    row: VisitRow
    arrive: datetime
    depart: datetime

    @property
    def visit_id(self) -> str:
        """The row's ``visit_id``."""
        return self.row.visit_id

    @property
    def hotspot_id(self) -> str:
        """The row's ``hotspot_id``."""
        return self.row.hotspot_id

    @property
    def actual_minutes(self) -> float:
        """Minutes from arrival to departure (negative when the row is back to front)."""
        return _minutes(self.arrive, self.depart)


@dataclass
class _Period:
    """A merged work period of one person: roster shifts and normal duty that touch or overlap."""

    start: datetime
    end: datetime
    shift_ids: list[str]
    unpaid_break_minutes: float = 0.0

    @property
    def rostered(self) -> bool:
        """Whether the period holds a roster shift (not only normal duty)."""
        return bool(self.shift_ids)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _minutes(a: datetime, b: datetime) -> float:
    """Absolute minutes from ``a`` to ``b`` (both converted to UTC so a clock change cannot distort it)."""
    return (_utc(b) - _utc(a)).total_seconds() / 60.0


def _overlap_minutes(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> float:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return max(0.0, _minutes(start, end))


def _close(value: float, expected: float, tolerance: float = FIGURE_TOLERANCE) -> bool:
    return abs(value - expected) <= tolerance * max(1.0, abs(expected))


class _Context:
    """Everything the rules need, derived once from the plan, the scenario and the week."""

    def __init__(self, plan: Plan, scenario: Scenario, week_start: date) -> None:
        self.plan = plan
        self.scenario = scenario
        self.week_start = week_start
        self.tz: ZoneInfo = scenario.tz
        self.week_days = [week_start + timedelta(days=i) for i in range(7)]
        self.week_begin = self.at(week_start, time(0))
        self.week_end = self.at(week_start + timedelta(days=7), time(0))
        self.hotspots: dict[str, Hotspot] = {h.id: h for h in scenario.hotspots}
        self.bases = {b.id: b for b in scenario.bases}
        self.holidays = set(scenario.public_holidays)
        self.people = self._people()
        self.shifts = self._shifts()
        self.crews = self._crews()
        self.visits = [
            _Visit(v, _utc(v.arrive), _utc(v.depart))
            for v in sorted(plan.visits, key=lambda v: (_utc(v.arrive), _utc(v.depart), v.hotspot_id, v.crew_id))
        ]
        for visit in self.visits:
            crew = self.crews.get(visit.row.crew_id)
            if crew is not None:
                crew.visits.append(visit)
        self._matrices: dict[str, TravelMatrix] = {}
        self._worths: list[float] | None = None

    def worths(self) -> list[float]:
        """Each visit's value in the order of ``visits`` (computed once: the summary rule and its figures share it)."""
        if self._worths is None:
            self._worths = _visit_values(self)
        return self._worths

    # ---- time -----------------------------------------------------------------------------------
    def at(self, day: date, clock: time) -> datetime:
        """The UTC instant of local ``clock`` on ``day``."""
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the scenario's time zone."""
        return moment.astimezone(self.tz)

    def day_of(self, moment: datetime) -> date:
        """The local calendar day of ``moment``."""
        return self.local(moment).date()

    def show(self, moment: datetime) -> str:
        """``moment`` as the plan contract writes it, in local time with its offset."""
        return format_time(self.local(moment))

    def in_week(self, day: date) -> bool:
        """Whether ``day`` is one of the week's seven days."""
        return self.week_start <= day < self.week_start + timedelta(days=7)

    # ---- people, shifts, crews -------------------------------------------------------------------
    def _people(self) -> dict[str, _Person]:
        people: dict[str, _Person] = {}
        for w in self.scenario.warden_list():
            people[w.id] = _Person(w.id, "warden", True, base=w.base, district=w.district, warden=w)
        for o in self.scenario.officer_list():
            people[o.id] = _Person(o.id, "officer", True, base=o.station, officer=o)
        for p in self.scenario.pcso_list():
            people[p.id] = _Person(p.id, "pcso", True, base=p.station, pcso=p)
        for row in self.plan.roster:
            if row.staff_id not in people:
                people[row.staff_id] = _Person(row.staff_id, row.role, False)
        return people

    def _shifts(self) -> dict[str, _Shift]:
        grouped: dict[str, list[tuple[int, RosterRow]]] = defaultdict(list)
        for index, row in enumerate(self.plan.roster):
            grouped[row.shift_id].append((index, row))
        shifts: dict[str, _Shift] = {}
        for shift_id in sorted(grouped):
            rows = sorted(grouped[shift_id], key=lambda item: (_utc(item[1].shift_start), _utc(item[1].shift_end)))
            first = rows[0][1]
            person = self.people[first.staff_id]
            shifts[shift_id] = _Shift(
                shift_id=shift_id,
                staff_id=first.staff_id,
                crew_id=first.crew_id,
                role=person.role,
                base_id=first.base_id,
                start=min(_utc(r.shift_start) for _, r in rows),
                end=max(_utc(r.shift_end) for _, r in rows),
                break_start=_utc(first.break_start) if first.break_start is not None else None,
                break_minutes=first.break_minutes,
                rows=rows,
            )
        return shifts

    def _crews(self) -> dict[str, _Crew]:
        grouped: dict[str, list[_Shift]] = defaultdict(list)
        for shift in self.shifts.values():
            grouped[shift.crew_id].append(shift)
        crews: dict[str, _Crew] = {}
        for crew_id in sorted(grouped):
            members = grouped[crew_id]
            roles = {m.role for m in members}
            project = _SV if roles & {"officer", "pcso"} else _ASB
            profiles = self.scenario.travel.profiles
            profile = "walk" if any(profiles.get(r, "walk") == "walk" for r in roles) else "drive"  # type: ignore[call-overload]
            breaks = sorted({m.break_interval for m in members if m.break_interval is not None})
            crews[crew_id] = _Crew(
                crew_id=crew_id,
                shifts=members,
                start=max(m.start for m in members),
                end=min(m.end for m in members),
                base_id=members[0].base_id,
                project=project,
                profile=profile,
                breaks=breaks,
            )
        return crews

    # ---- scenario lookups ------------------------------------------------------------------------
    def rules(self, role: str) -> WorkingTime:
        """Working-time rules of ``role``."""
        return self.scenario.rules_for(role)

    def policy(self, project: str) -> DosagePolicy:
        """Dosage policy of ``project``."""
        return self.scenario.projects.get(project).dosage

    def revisit_gap(self, hotspot: Hotspot) -> int:
        """Minimum minutes between arrivals at ``hotspot`` (joint: the larger of the two projects)."""
        if hotspot.project == "joint":
            return max(self.policy(_ASB).revisit_gap_minutes, self.policy(_SV).revisit_gap_minutes)
        return self.policy(hotspot.project).revisit_gap_minutes

    def presence_cap(self, hotspot: Hotspot) -> int:
        """Most dwell minutes a day at ``hotspot`` (joint: the smaller of the two projects)."""
        if hotspot.project == "joint":
            return min(self.policy(_ASB).max_presence_minutes_per_day, self.policy(_SV).max_presence_minutes_per_day)
        return self.policy(hotspot.project).max_presence_minutes_per_day

    def travel(self, profile: str, origin: str, destination: str) -> int:
        """Leg minutes (rounded up) between two hotspot/base ids with the scenario's travel model."""
        if origin == destination:
            return 0
        if self.scenario.travel.model == "crowfly":
            return self._crowfly_minutes(profile, origin, destination)
        matrix = self._matrices.get(profile)
        if matrix is None:
            points = [(h.id, h.lat, h.lon) for h in self.scenario.hotspots]
            points += [(b.id, b.lat, b.lon) for b in self.scenario.bases if b.id not in self.hotspots]
            # speeds_kmh is keyed by Literal profiles; the protocol's Mapping[str, float] is invariant in its key
            matrix = travel_matrix(points, travel=self.scenario.travel, profile=profile)  # type: ignore[arg-type]
            self._matrices[profile] = matrix
        return matrix.minutes_between(origin, destination)

    def _crowfly_minutes(self, profile: str, origin: str, destination: str) -> int:
        """A crow-fly leg worked out here, not by the engine's travel code (a bug there shows up here).

        Great-circle distance on the mean Earth radius (:func:`optimiser.scenario.great_circle_m`, not the
        engine's vectorised one) x circuity / speed, in minutes rounded up; float noise below a microsecond
        is forgiven in the plan's favour (plan-rules.md, travel).
        """
        metres = great_circle_m(*self._point(origin), *self._point(destination))
        travel = self.scenario.travel
        seconds = metres * travel.circuity / (travel.speeds_kmh[profile] / 3.6)  # type: ignore[index]
        return math.ceil(max(seconds - 2e-6, 0.0) / 60)

    def _point(self, point: str) -> tuple[float, float]:
        """(lat, lon) of a hotspot or base id; ``KeyError`` names an unknown one."""
        if point in self.hotspots:
            return self.hotspots[point].lat, self.hotspots[point].lon
        if point in self.bases:
            return self.bases[point].lat, self.bases[point].lon
        raise KeyError(f"point {point!r} is neither a hotspot nor a base of the scenario")

    def located(self, point: str) -> bool:
        """Whether ``point`` is a scenario hotspot or base (so travel to it can be computed)."""
        return point in self.hotspots or point in self.bases

    def duty(self, person: _Person, days: Iterable[date]) -> list[tuple[datetime, datetime]]:
        """Normal duty shifts of an officer or PCSO starting on ``days`` (UTC intervals, sorted)."""
        pattern = person.officer.duty if person.officer else person.pcso.duty if person.pcso else ()
        leave = set(person.officer.leave if person.officer else person.pcso.leave if person.pcso else ())
        out: list[tuple[datetime, datetime]] = []
        for day in days:
            if day in leave:
                continue  # no normal duty on a day of leave
            name = DAYS[day.weekday()]
            for duty in pattern:
                if duty.day != name:
                    continue
                start_clock, end_clock = parse_hhmm(duty.start), parse_hhmm(duty.end)
                end_day = day if end_clock > start_clock else day + timedelta(days=1)
                out.append((self.at(day, start_clock), self.at(end_day, end_clock)))
        return sorted(out)

    def has_duty_on(self, person: _Person, day: date) -> bool:
        """Whether the person's normal duty pattern has a shift starting on ``day`` (else it is a rest day)."""
        pattern = person.officer.duty if person.officer else person.pcso.duty if person.pcso else ()
        return any(d.day == DAYS[day.weekday()] for d in pattern)

    def window_weight(self, project: str, arrive: datetime) -> float:
        """Weight of the project's patrol window containing ``arrive`` (the largest if several; 0 if none).

        Only windows opening on a day of the grant period count: the programme patrols inside it.
        """
        weight = 0.0
        arrive_day = self.day_of(arrive)
        period = self.scenario.period
        for day in (arrive_day - timedelta(days=1), arrive_day):
            if not period.start <= day <= period.end:
                continue
            name = DAYS[day.weekday()]
            for window in self.scenario.projects.get(project).windows:
                if name not in window.days:
                    continue
                start_clock, end_clock = parse_hhmm(window.start), parse_hhmm(window.end)
                end_day = day if end_clock > start_clock else day + timedelta(days=1)
                if self.at(day, start_clock) <= arrive < self.at(end_day, end_clock):
                    weight = max(weight, window.weight)
        return weight

    # ---- work periods ----------------------------------------------------------------------------
    def work_periods(self, person: _Person, *, neighbours: bool = False) -> list[_Period]:
        """Roster shifts plus normal duty starting in the week, merged where they touch or overlap.

        ``neighbours`` adds the duty starting the day before and the day after the week: a Sunday night's
        overtime must leave the daily rest before the next Monday's duty (and a Monday's after the Sunday
        before), though the weekly rules judge the week alone.
        """
        pieces: list[tuple[datetime, datetime, str | None]] = [
            (s.start, s.end, s.shift_id) for s in self.shifts.values() if s.staff_id == person.staff_id
        ]
        days = self.week_days
        if neighbours:
            days = [self.week_start - timedelta(days=1), *days, self.week_start + timedelta(days=7)]
        pieces += [(a, b, None) for a, b in self.duty(person, days)]
        pieces.sort(key=lambda p: (p[0], p[1]))
        periods: list[_Period] = []
        for start, end, shift_id in pieces:
            if periods and start <= periods[-1].end:
                periods[-1].end = max(periods[-1].end, end)
            else:
                periods.append(_Period(start, end, []))
            if shift_id is not None:
                periods[-1].shift_ids.append(shift_id)
        rules = self.rules(person.role)
        if not rules.breaks_paid:
            for period in periods:
                for shift_id in period.shift_ids:
                    interval = self.shifts[shift_id].break_interval
                    if interval is not None:
                        period.unpaid_break_minutes += _overlap_minutes(interval, (period.start, period.end))
            # normal duty takes its own unpaid break (the force's rota, not the plan's): a duty shift longer
            # than break_after_hours is worked less break_minutes, as the planner counts it, unless a
            # rostered break already falls inside it (a PCSO's patrol shift is their duty)
            breaks = [i for sid in (x[2] for x in pieces) if sid and (i := self.shifts[sid].break_interval)]
            for start, end, shift_id in pieces:
                if shift_id is not None or _minutes(start, end) <= rules.break_after_hours * 60:
                    continue
                if any(_overlap_minutes(b, (start, end)) > 0 for b in breaks):
                    continue
                holder = next(q for q in periods if q.start <= start and end <= q.end)
                holder.unpaid_break_minutes += rules.break_minutes
        return periods

    def rostered_people(self) -> list[_Person]:
        """People with at least one roster shift, by staff id."""
        ids = sorted({s.staff_id for s in self.shifts.values()})
        return [self.people[i] for i in ids]

    # ---- pay -------------------------------------------------------------------------------------
    def officer_annual(self, officer: ExpandedOfficer, day: date) -> float:
        """Annual pay in force on ``day`` (the earliest entry before any is in force)."""
        entries = sorted(officer.pay, key=lambda p: p.from_date)
        annual = entries[0].annual_gbp
        for entry in entries:
            if entry.from_date <= day:
                annual = entry.annual_gbp
        return annual

    def base_hourly(self, person: _Person, day: date) -> tuple[float, float]:
        """(base hourly rate in GBP on ``day``, on-cost rate) of a known person."""
        if person.warden is not None:
            w = person.warden
            return w.annual_cost_gbp * 7 / 365 / w.contracted_hours_per_week, 0.0
        if person.officer is not None:
            annual = self.officer_annual(person.officer, day)
            return (
                annual * 7 / 365 / self.scenario.overtime.pay_week_hours,
                self.scenario.on_costs.officer_overtime_rate,
            )
        assert person.pcso is not None
        return person.pcso.hourly_cost_gbp, self.scenario.on_costs.pcso_rate

    def rest_day_shift(self, shift: _Shift) -> bool:
        """Whether an officer's shift starts on a day without normal duty (a rest day)."""
        person = self.people[shift.staff_id]
        return person.officer is not None and not self.has_duty_on(person, self.day_of(shift.start))

    def expected_multiplier(self, shift: _Shift, row: RosterRow) -> float:
        """The pay multiplier a row must carry (pay rule)."""
        person = self.people[shift.staff_id]
        if person.officer is None:
            return 1.0
        overtime = self.scenario.overtime
        if self.day_of(_utc(row.shift_start)) in self.holidays:
            return overtime.public_holiday_multiplier
        if self.rest_day_shift(shift):
            return overtime.rest_day_multiplier
        return overtime.ordinary_multiplier

    def expected_paid_hours(self, shift: _Shift) -> dict[int, float]:
        """Paid hours each row of the shift must carry, by roster index (rest-day top-up on the last row)."""
        interval = shift.break_interval
        unpaid = interval is not None and not self.rules(shift.role).breaks_paid
        paid: dict[int, float] = {}
        for index, row in shift.rows:
            span = (_utc(row.shift_start), _utc(row.shift_end))
            minutes = _minutes(*span) - (_overlap_minutes(interval, span) if unpaid and interval else 0.0)
            paid[index] = minutes / 60.0
        if self.rest_day_shift(shift):
            minimum = self.scenario.overtime.rest_day_min_paid_hours
            total = sum(paid.values())
            if total < minimum:
                paid[shift.rows[-1][0]] += minimum - total
        return paid

    def expected_row_cost(self, shift: _Shift, row: RosterRow, paid_hours: float) -> float:
        """``round(paid hours x base hourly x multiplier x (1 + on-cost), 2)`` for a known person's row."""
        person = self.people[shift.staff_id]
        hourly, on_cost = self.base_hourly(person, self.day_of(_utc(row.shift_start)))
        return round(paid_hours * hourly * self.expected_multiplier(shift, row) * (1 + on_cost), 2)

    def rate_changes_inside(self, shift: _Shift, row: RosterRow) -> list[datetime]:
        """Local midnights strictly inside an officer's row where the pay rate changes (holiday, pay award)."""
        person = self.people[shift.staff_id]
        if person.officer is None:
            return []
        start, end = _utc(row.shift_start), _utc(row.shift_end)
        changes = []
        day = self.day_of(start) + timedelta(days=1)
        while True:
            midnight = self.at(day, time(0))
            if midnight >= end:
                break
            if midnight > start:
                before = day - timedelta(days=1)
                holiday_change = (before in self.holidays) != (day in self.holidays)
                award = self.officer_annual(person.officer, before) != self.officer_annual(person.officer, day)
                if holiday_change or award:
                    changes.append(midnight)
            day += timedelta(days=1)
        return changes

    def contract_days(self, warden: ExpandedWarden) -> list[date]:
        """The warden's contract days in the week that fall inside the grant period (the ones it pays)."""
        first = max(warden.contract_start, self.scenario.period.start)
        last = min(warden.contract_end, self.scenario.period.end)
        return [d for d in self.week_days if first <= d <= last]

    def committed_warden_cost(self) -> float:
        """Each warden's annual cost x contract days in the week / 365, summed (GBP).

        Zero when the scenario does not plan the ASB project (``active_projects``): its wardens are
        then outside this plan and its budget.
        """
        if "asb" not in self.scenario.active_projects:
            return 0.0
        total = 0.0
        for warden in self.scenario.warden_list():
            days = len(self.contract_days(warden))
            total += warden.annual_cost_gbp * days / 365
        return total


# --------------------------------------------------------------------------------------------------
# the rules, one function each, in the document's order
# --------------------------------------------------------------------------------------------------


def _rule_roster(ctx: _Context) -> Iterator[Violation]:
    rule = "roster"
    for shift in ctx.shifts.values():
        sid = shift.shift_id
        person = ctx.people[shift.staff_id]
        for _, row in shift.rows:
            if _utc(row.shift_end) <= _utc(row.shift_start):
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} has a row ending {ctx.show(_utc(row.shift_end))} at or before its start "
                    f"{ctx.show(_utc(row.shift_start))}",
                    (sid,),
                )
        fields_seen = {
            name: sorted({str(getattr(r, name)) for _, r in shift.rows})
            for name in ("staff_id", "crew_id", "role", "district", "base_id", "break_start", "break_minutes")
        }
        for name, values in fields_seen.items():
            if len(values) > 1:
                yield Violation(rule, f"{rule}: shift {sid} rows disagree on {name} ({', '.join(values)})", (sid,))
        previous_end: datetime | None = None
        for _, row in shift.rows:
            start = _utc(row.shift_start)
            if previous_end is not None and start < previous_end:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} rows overlap: a row starts {ctx.show(start)} before the previous ends "
                    f"{ctx.show(previous_end)} (a repeated row?)",
                    (sid,),
                )
            elif previous_end is not None and start != previous_end:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} rows are not contiguous: a row starts {ctx.show(start)} but the previous "
                    f"ends {ctx.show(previous_end)}",
                    (sid,),
                )
            previous_end = _utc(row.shift_end)
        first = shift.rows[0][1]
        if not person.known:
            yield Violation(
                rule,
                f"{rule}: shift {sid} names staff {shift.staff_id}, who is not in the scenario's staff",
                (sid, shift.staff_id),
            )
        else:
            if first.role != person.role:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} gives {shift.staff_id} role {first.role!r}; "
                    f"the scenario says {person.role!r}",
                    (sid, shift.staff_id),
                )
            if person.district is not None and first.district != person.district:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} gives warden {shift.staff_id} district {first.district!r}; the scenario says "
                    f"{person.district!r}",
                    (sid, shift.staff_id),
                )
            if first.base_id != person.base:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} starts {shift.staff_id} at base {first.base_id!r}; their base is "
                    f"{person.base!r}",
                    (sid, shift.staff_id),
                )
            project = _ASB if person.role == "warden" else _SV
            if project not in ctx.scenario.active_projects:
                # outside the plan: its cost would count in no figure and its visits would still earn value
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} rosters {person.role} {shift.staff_id}, but the {project.upper()} project "
                    f"is not planned in this scenario (active_projects: {', '.join(ctx.scenario.active_projects)})",
                    (sid, shift.staff_id),
                )
        if first.base_id not in ctx.bases:
            yield Violation(rule, f"{rule}: shift {sid} names base {first.base_id!r}, not in the scenario", (sid,))
        day = ctx.day_of(shift.start)
        period = ctx.scenario.period
        if not ctx.in_week(day):
            yield Violation(
                rule,
                f"{rule}: shift {sid} starts on {day}, outside the week {ctx.week_start}..{ctx.week_days[-1]}",
                (sid,),
            )
        elif not period.start <= day <= period.end:
            yield Violation(
                rule,
                f"{rule}: shift {sid} starts on {day}, outside the grant period {period.start}..{period.end} "
                "(the programme patrols inside it)",
                (sid,),
            )


def _rule_hotspots(ctx: _Context) -> Iterator[Violation]:
    rule = "hotspots"
    listed: dict[str, int] = defaultdict(int)
    for row in ctx.plan.hotspots:
        listed[row.hotspot_id] += 1
    for hotspot_id, count in sorted(listed.items()):
        if count > 1:
            yield Violation(rule, f"{rule}: hotspots.csv lists {hotspot_id} {count} times", (hotspot_id,))
    for row in sorted(ctx.plan.hotspots, key=lambda r: r.hotspot_id):
        spot = ctx.hotspots.get(row.hotspot_id)
        if spot is None:
            yield Violation(
                rule, f"{rule}: hotspots.csv lists {row.hotspot_id}, not a scenario hotspot", (row.hotspot_id,)
            )
            continue
        wrong = []
        if row.district != spot.district:
            wrong.append(f"district {row.district!r} (scenario {spot.district!r})")
        if row.project != spot.project:
            wrong.append(f"project {row.project!r} (scenario {spot.project!r})")
        if abs(row.lat - spot.lat) > 1e-6 or abs(row.lon - spot.lon) > 1e-6:
            wrong.append(f"position {row.lat}, {row.lon} (scenario {spot.lat}, {spot.lon})")
        if abs(row.harm_weight - spot.harm_weight) > 1e-6 * max(1.0, abs(spot.harm_weight)):  # CSV keeps 6 dp
            wrong.append(f"harm_weight {row.harm_weight:g} (scenario {spot.harm_weight:g})")
        if wrong:
            yield Violation(
                rule, f"{rule}: hotspots.csv row {row.hotspot_id} has {'; '.join(wrong)}", (row.hotspot_id,)
            )
    for visit in ctx.visits:
        if visit.hotspot_id not in ctx.hotspots:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} goes to {visit.hotspot_id}, not a scenario hotspot",
                (visit.visit_id,),
            )
        elif visit.hotspot_id not in listed:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} goes to {visit.hotspot_id}, missing from hotspots.csv",
                (visit.visit_id,),
            )


def _rule_visit_in_shift(ctx: _Context) -> Iterator[Violation]:
    rule = "visit-in-shift"
    repeated = Counter(visit.visit_id for visit in ctx.visits)
    for visit_id, count in sorted(repeated.items()):
        if count > 1:
            message = f"{rule}: visit_id {visit_id} is used by {count} visits; give each its own"
            yield Violation(rule, message, (visit_id,))
    for visit in ctx.visits:
        crew = ctx.crews.get(visit.row.crew_id)
        if crew is None:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} names crew {visit.row.crew_id}, which has no roster rows",
                (visit.visit_id,),
            )
            continue
        if visit.arrive < crew.start or visit.depart > crew.end:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} of crew {crew.crew_id} at {visit.hotspot_id} "
                f"{ctx.show(visit.arrive)}-{ctx.show(visit.depart)} is outside the shift "
                f"{ctx.show(crew.start)}-{ctx.show(crew.end)}",
                (visit.visit_id, *(s.shift_id for s in crew.shifts)),
            )


def _rule_visit_in_break(ctx: _Context) -> Iterator[Violation]:
    rule = "visit-in-break"
    for crew in ctx.crews.values():
        for visit in crew.visits:
            for start, end in crew.breaks:
                if visit.arrive < end and visit.depart > start:
                    yield Violation(
                        rule,
                        f"{rule}: visit {visit.visit_id} of crew {crew.crew_id} at {visit.hotspot_id} "
                        f"{ctx.show(visit.arrive)}-{ctx.show(visit.depart)} overlaps the break "
                        f"{ctx.show(start)}-{ctx.show(end)}",
                        (visit.visit_id, *(s.shift_id for s in crew.shifts)),
                    )


def _rule_crew_overlap(ctx: _Context) -> Iterator[Violation]:
    rule = "crew-overlap"
    for crew in ctx.crews.values():
        latest: _Visit | None = None
        for visit in crew.visits:
            if latest is not None and visit.arrive < latest.depart:
                yield Violation(
                    rule,
                    f"{rule}: crew {crew.crew_id} visit {visit.visit_id} arrives {ctx.show(visit.arrive)} before visit "
                    f"{latest.visit_id} departs {ctx.show(latest.depart)}",
                    (latest.visit_id, visit.visit_id),
                )
            if latest is None or visit.depart > latest.depart:
                latest = visit


def _rule_double_booking(ctx: _Context) -> Iterator[Violation]:
    rule = "double-booking"
    by_person: dict[str, list[_Shift]] = defaultdict(list)
    for shift in ctx.shifts.values():
        by_person[shift.staff_id].append(shift)
    for staff_id in sorted(by_person):
        shifts = sorted(by_person[staff_id], key=lambda s: (s.start, s.end, s.shift_id))
        latest: _Shift | None = None
        for shift in shifts:
            if latest is not None and shift.start < latest.end:
                yield Violation(
                    rule,
                    f"{rule}: {staff_id} is on shift {latest.shift_id} (crew {latest.crew_id}, "
                    f"{ctx.show(latest.start)}-{ctx.show(latest.end)}) and shift {shift.shift_id} (crew "
                    f"{shift.crew_id}, {ctx.show(shift.start)}-{ctx.show(shift.end)}) at once",
                    (latest.shift_id, shift.shift_id, staff_id),
                )
            if latest is None or shift.end > latest.end:
                latest = shift


def _breaks_within(crew: _Crew, start: datetime, end: datetime) -> float:
    """Minutes of the crew's breaks lying wholly inside ``[start, end]``."""
    return sum(_minutes(a, b) for a, b in crew.breaks if start <= a and b <= end)


def _rule_base_legs(ctx: _Context) -> Iterator[Violation]:
    rule = "base-legs"
    for crew in ctx.crews.values():
        visits = [v for v in crew.visits if v.hotspot_id in ctx.hotspots]
        if not visits or crew.base_id not in ctx.bases:
            continue
        rows = tuple(s.shift_id for s in crew.shifts)
        first, last = visits[0], visits[-1]
        if first.arrive >= crew.start:
            leg = ctx.travel(crew.profile, crew.base_id, first.hotspot_id)
            need = leg + _breaks_within(crew, crew.start, first.arrive)
            if _minutes(crew.start, first.arrive) < need - _EPS:
                yield Violation(
                    rule,
                    f"{rule}: crew {crew.crew_id} starts {ctx.show(crew.start)} at {crew.base_id} but reaches "
                    f"{first.hotspot_id} (visit {first.visit_id}) at {ctx.show(first.arrive)}: "
                    f"{_minutes(crew.start, first.arrive):g} min for a {need:g}-min leg",
                    (first.visit_id, *rows),
                )
        if last.depart <= crew.end:
            leg = ctx.travel(crew.profile, last.hotspot_id, crew.base_id)
            need = leg + _breaks_within(crew, last.depart, crew.end)
            if _minutes(last.depart, crew.end) < need - _EPS:
                yield Violation(
                    rule,
                    f"{rule}: crew {crew.crew_id} leaves {last.hotspot_id} (visit {last.visit_id}) at "
                    f"{ctx.show(last.depart)} but the shift ends {ctx.show(crew.end)}: "
                    f"{_minutes(last.depart, crew.end):g} min for a {need:g}-min leg back to {crew.base_id}",
                    (last.visit_id, *rows),
                )


def _rule_travel(ctx: _Context) -> Iterator[Violation]:
    rule = "travel"
    for crew in ctx.crews.values():
        previous: _Visit | None = None
        for visit in crew.visits:
            origin = previous.hotspot_id if previous is not None else crew.base_id
            row = visit.row
            if row.prev_location != origin:
                yield Violation(
                    rule,
                    f"{rule}: visit {visit.visit_id} of crew {crew.crew_id} gives prev_location {row.prev_location!r}; "
                    f"the crew comes from {origin!r}",
                    (visit.visit_id,),
                )
            if ctx.located(origin) and visit.hotspot_id in ctx.hotspots:
                leg = ctx.travel(crew.profile, origin, visit.hotspot_id)
                if row.travel_minutes_from_prev != leg:
                    yield Violation(
                        rule,
                        f"{rule}: visit {visit.visit_id} gives travel_minutes_from_prev "
                        f"{row.travel_minutes_from_prev}; "
                        f"the {crew.profile} leg {origin}->{visit.hotspot_id} takes {leg} min",
                        (visit.visit_id,),
                    )
                if previous is not None and visit.arrive >= previous.depart:
                    need = leg + _breaks_within(crew, previous.depart, visit.arrive)
                    gap = _minutes(previous.depart, visit.arrive)
                    if gap < need - _EPS:
                        yield Violation(
                            rule,
                            f"{rule}: crew {crew.crew_id} leaves {previous.hotspot_id} (visit {previous.visit_id}) at "
                            f"{ctx.show(previous.depart)} and reaches {visit.hotspot_id} (visit {visit.visit_id}) at "
                            f"{ctx.show(visit.arrive)}: {gap:g} min for a {need:g}-min leg; arrive at "
                            f"{ctx.show(previous.depart + timedelta(minutes=need))} or later, or leave earlier",
                            (previous.visit_id, visit.visit_id),
                        )
            previous = visit


def _rule_dwell(ctx: _Context) -> Iterator[Violation]:
    rule = "dwell"
    for visit in ctx.visits:
        actual = visit.actual_minutes
        if abs(visit.row.dwell_minutes - actual) > _EPS:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} gives dwell_minutes {visit.row.dwell_minutes} "
                f"but stays {actual:g} min "
                f"({ctx.show(visit.arrive)}-{ctx.show(visit.depart)})",
                (visit.visit_id,),
            )
        crew = ctx.crews.get(visit.row.crew_id)
        if crew is None:
            continue
        policy = ctx.policy(crew.project)
        if not policy.dwell_min_minutes - _EPS <= actual <= policy.dwell_max_minutes + _EPS:
            yield Violation(
                rule,
                f"{rule}: visit {visit.visit_id} at {visit.hotspot_id} stays {actual:g} min; the {crew.project} policy "
                f"allows {policy.dwell_min_minutes}..{policy.dwell_max_minutes} min",
                (visit.visit_id,),
            )


def _visits_by_hotspot(ctx: _Context) -> dict[str, list[_Visit]]:
    grouped: dict[str, list[_Visit]] = defaultdict(list)
    for visit in ctx.visits:
        grouped[visit.hotspot_id].append(visit)
    return dict(sorted(grouped.items()))


def _rule_revisit_gap(ctx: _Context) -> Iterator[Violation]:
    rule = "revisit-gap"
    for hotspot_id, visits in _visits_by_hotspot(ctx).items():
        spot = ctx.hotspots.get(hotspot_id)
        if spot is None:
            continue
        gap = ctx.revisit_gap(spot)
        for previous, visit in itertools.pairwise(visits):
            apart = _minutes(previous.arrive, visit.arrive)
            if apart < gap - _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {hotspot_id} visited at {ctx.show(previous.arrive)} (visit {previous.visit_id}) and "
                    f"{ctx.show(visit.arrive)} (visit {visit.visit_id}), {apart:g} min apart (minimum {gap} min)",
                    (previous.visit_id, visit.visit_id),
                )


def _rule_presence_cap(ctx: _Context) -> Iterator[Violation]:
    rule = "presence-cap"
    for hotspot_id, visits in _visits_by_hotspot(ctx).items():
        spot = ctx.hotspots.get(hotspot_id)
        if spot is None:
            continue
        cap = ctx.presence_cap(spot)
        by_day: dict[date, list[_Visit]] = defaultdict(list)
        for visit in visits:
            by_day[ctx.day_of(visit.arrive)].append(visit)
        for day, day_visits in sorted(by_day.items()):
            total = sum(max(0.0, v.actual_minutes) for v in day_visits)
            if total > cap + _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {hotspot_id} has {total:g} min of presence on {day} over {len(day_visits)} visits "
                    f"(cap {cap} min)",
                    tuple(v.visit_id for v in day_visits),
                )


def _rule_eligibility(ctx: _Context) -> Iterator[Violation]:
    rule = "eligibility"
    for crew in ctx.crews.values():
        allowed_roles = ctx.scenario.projects.get(crew.project).roles
        for visit in crew.visits:
            spot = ctx.hotspots.get(visit.hotspot_id)
            if spot is None:
                continue
            reasons = []
            for shift in crew.shifts:
                person = ctx.people[shift.staff_id]
                if person.role == "warden":
                    if spot.project not in (_ASB, "joint"):
                        reasons.append(f"warden {person.staff_id} at {spot.project} hotspot {spot.id}")
                    elif person.district is not None and spot.district != person.district:
                        reasons.append(f"warden {person.staff_id} of {person.district} at {spot.id} in {spot.district}")
                elif spot.project not in (_SV, "joint"):
                    reasons.append(f"{person.role} {person.staff_id} at {spot.project} hotspot {spot.id}")
                if person.role not in allowed_roles:
                    reasons.append(f"{person.role} {person.staff_id} is not in the {crew.project} project's roles")
                beat = ctx.scenario.travel.beat_minutes.get(person.role)  # type: ignore[call-overload]
                if beat is not None and ctx.located(crew.base_id) and ctx.located(spot.id):
                    distance = ctx.travel(crew.profile, crew.base_id, spot.id)
                    if distance > beat:
                        reasons.append(
                            f"{spot.id} is {distance} min from base {crew.base_id}, beyond the {person.role} beat "
                            f"of {beat} min"
                        )
            if reasons:
                yield Violation(
                    rule,
                    f"{rule}: visit {visit.visit_id} of crew {crew.crew_id}: {'; '.join(dict.fromkeys(reasons))}",
                    (visit.visit_id, *(s.shift_id for s in crew.shifts)),
                )


def _rule_crewing(ctx: _Context) -> Iterator[Violation]:
    rule = "crewing"
    mode = ctx.scenario.sv_crewing
    for crew in ctx.crews.values():
        rows = tuple(s.shift_id for s in crew.shifts)
        roles = sorted(s.role for s in crew.shifts)
        staff = [s.staff_id for s in crew.shifts]
        described = ", ".join(f"{s.staff_id} ({s.role})" for s in crew.shifts)
        problem = None
        if len(set(staff)) != len(staff):
            problem = "names one person twice"
        elif "warden" in roles:
            if roles != ["warden"]:
                problem = "must be one warden alone"
        elif mode == "single" and len(roles) != 1:
            problem = "must be one officer or one PCSO (sv_crewing: single)"
        elif mode == "double" and roles not in (["officer", "officer"], ["pcso", "pcso"]):
            problem = "must be two officers or two PCSOs (sv_crewing: double)"
        elif mode == "officer_pcso" and roles != ["officer", "pcso"]:
            problem = "must be one officer and one PCSO (sv_crewing: officer_pcso)"
        if problem:
            yield Violation(rule, f"{rule}: crew {crew.crew_id} [{described}] {problem}", rows)
        shapes = {(s.start, s.end, s.break_interval, s.base_id) for s in crew.shifts}
        if len(shapes) > 1:
            parts = [
                f"{s.staff_id} {ctx.show(s.start)}-{ctx.show(s.end)} break "
                f"{ctx.show(s.break_interval[0]) + f' {s.break_minutes} min' if s.break_interval else 'none'} "
                f"base {s.base_id}"
                for s in crew.shifts
            ]
            yield Violation(
                rule,
                f"{rule}: crew {crew.crew_id} members do not share shift times, break and base: {'; '.join(parts)}",
                rows,
            )


def _rule_contract(ctx: _Context) -> Iterator[Violation]:
    rule = "contract"
    for shift in ctx.shifts.values():
        person = ctx.people[shift.staff_id]
        warden = person.warden
        police = person.officer or person.pcso
        if warden is None and police is not None and ctx.day_of(shift.start) in police.leave:
            yield Violation(
                rule,
                f"{rule}: {person.role} {shift.staff_id} works shift {shift.shift_id} on {ctx.day_of(shift.start)}, "
                "a day of leave",
                (shift.shift_id, shift.staff_id),
            )
        if warden is None:
            continue
        day = ctx.day_of(shift.start)
        if not warden.contract_start <= day <= warden.contract_end:
            yield Violation(
                rule,
                f"{rule}: warden {warden.id} works shift {shift.shift_id} on {day}, outside the contract "
                f"{warden.contract_start}..{warden.contract_end}",
                (shift.shift_id, warden.id),
            )
        elif day in warden.leave:
            yield Violation(
                rule,
                f"{rule}: warden {warden.id} works shift {shift.shift_id} on {day}, a day of leave",
                (shift.shift_id, warden.id),
            )


def _true_paid_hours(ctx: _Context, shift: _Shift) -> float:
    return sum(ctx.expected_paid_hours(shift).values())


def _rule_contracted_hours(ctx: _Context) -> Iterator[Violation]:
    rule = "contracted-hours"
    if "asb" not in ctx.scenario.active_projects:
        return  # wardens are outside a plan that does not cover the ASB project
    for warden in ctx.scenario.warden_list():
        contract_days = ctx.contract_days(warden)
        leave_days = {d for d in warden.leave if d in contract_days}
        weekly = warden.contracted_hours_per_week
        required = max(0.0, weekly * len(contract_days) / 7 - len(leave_days) * weekly / 5)
        shifts = [s for s in ctx.shifts.values() if s.staff_id == warden.id]
        worked = sum(_true_paid_hours(ctx, s) for s in shifts)
        # a week the contract starts or ends in: up to the pro rata hours, short by less than a day's hours
        part_week = len(contract_days) < 7
        tolerance = CONTRACTED_HOURS_TOLERANCE_H + _EPS
        over = worked > required + tolerance
        under = worked <= required - weekly / 5 - tolerance if part_week else worked < required - tolerance
        if over or under:
            floor = required - weekly / 5
            if not part_week:
                needs = f"{required:.2f} h"
            elif floor > 0:
                needs = f"more than {floor:.2f} h and at most {required:.2f} h"
            else:
                needs = f"at most {required:.2f} h"
            yield Violation(
                rule,
                f"{rule}: warden {warden.id} is paid {worked:.2f} h in the week; the contract needs {needs} "
                f"({weekly:g} h x {len(contract_days)}/7 contract days - {len(leave_days)} leave day(s) "
                f"x {weekly:g}/5)",
                (warden.id, *(s.shift_id for s in shifts)),
            )


def _rule_duty_overlap(ctx: _Context) -> Iterator[Violation]:
    rule = "duty-overlap"
    around = [ctx.week_start + timedelta(days=i) for i in range(-1, 8)]
    for shift in ctx.shifts.values():
        person = ctx.people[shift.staff_id]
        if person.officer is not None:
            for start, end in ctx.duty(person, around):
                if shift.start < end and shift.end > start:
                    yield Violation(
                        rule,
                        f"{rule}: officer {person.staff_id}'s overtime shift {shift.shift_id} "
                        f"{ctx.show(shift.start)}-{ctx.show(shift.end)} overlaps normal duty "
                        f"{ctx.show(start)}-{ctx.show(end)}",
                        (shift.shift_id, person.staff_id),
                    )
        elif person.pcso is not None:
            duty = ctx.duty(person, around)
            if not any(start <= shift.start and shift.end <= end for start, end in duty):
                yield Violation(
                    rule,
                    f"{rule}: PCSO {person.staff_id}'s shift {shift.shift_id} {ctx.show(shift.start)}-"
                    f"{ctx.show(shift.end)} is not inside one of their duty shifts",
                    (shift.shift_id, person.staff_id),
                )


def _periods_of_rostered(
    ctx: _Context, *, neighbours: bool = False
) -> Iterator[tuple[_Person, WorkingTime, list[_Period]]]:
    for person in ctx.rostered_people():
        yield person, ctx.rules(person.role), ctx.work_periods(person, neighbours=neighbours)


def _rule_daily_rest(ctx: _Context) -> Iterator[Violation]:
    rule = "daily-rest"
    for person, rules, periods in _periods_of_rostered(ctx, neighbours=True):
        for previous, period in itertools.pairwise(periods):
            if not (previous.rostered or period.rostered):
                continue
            rest = _minutes(previous.end, period.start) / 60
            if rest < rules.daily_rest_hours - _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {person.staff_id} rests {rest:.1f} h between {ctx.show(previous.end)} and "
                    f"{ctx.show(period.start)} (minimum {rules.daily_rest_hours:g} h)",
                    (*previous.shift_ids, *period.shift_ids, person.staff_id),
                )


def _rule_weekly_rest(ctx: _Context) -> Iterator[Violation]:
    rule = "weekly-rest"
    for person, rules, periods in _periods_of_rostered(ctx):
        marks = [ctx.week_begin]
        for period in periods:
            marks += [
                min(max(period.start, ctx.week_begin), ctx.week_end),
                min(max(period.end, ctx.week_begin), ctx.week_end),
            ]
        marks.append(ctx.week_end)
        longest = max(max(0.0, _minutes(marks[i], marks[i + 1])) for i in range(0, len(marks), 2)) / 60
        if longest < rules.weekly_rest_hours - _EPS:
            yield Violation(
                rule,
                f"{rule}: {person.staff_id}'s longest rest in the week is {longest:.1f} h (minimum "
                f"{rules.weekly_rest_hours:g} h)",
                (*(sid for p in periods for sid in p.shift_ids), person.staff_id),
            )


def _rule_weekly_hours(ctx: _Context) -> Iterator[Violation]:
    rule = "weekly-hours"
    for person, rules, periods in _periods_of_rostered(ctx):
        hours = sum(_minutes(p.start, p.end) - p.unpaid_break_minutes for p in periods) / 60
        if hours > rules.max_weekly_hours + _EPS:
            yield Violation(
                rule,
                f"{rule}: {person.staff_id} works {hours:.2f} h in the week, roster and normal duty (maximum "
                f"{rules.max_weekly_hours:g} h)",
                (*(sid for p in periods for sid in p.shift_ids), person.staff_id),
            )


def _rule_shift_length(ctx: _Context) -> Iterator[Violation]:
    rule = "shift-length"
    for person, rules, periods in _periods_of_rostered(ctx, neighbours=True):
        for period in periods:
            hours = _minutes(period.start, period.end) / 60
            if period.rostered and hours > rules.max_shift_hours + _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {person.staff_id} works {hours:.2f} h without a rest, {ctx.show(period.start)}-"
                    f"{ctx.show(period.end)} (maximum {rules.max_shift_hours:g} h)",
                    (*period.shift_ids, person.staff_id),
                )


def _rule_break(ctx: _Context) -> Iterator[Violation]:
    rule = "break"
    for shift in ctx.shifts.values():
        rules = ctx.rules(shift.role)
        sid = shift.shift_id
        if shift.break_minutes > 0 and shift.break_start is None:
            yield Violation(
                rule, f"{rule}: shift {sid} has break_minutes {shift.break_minutes} but no break_start", (sid,)
            )
        interval = shift.break_interval
        if interval is not None and not (shift.start <= interval[0] and interval[1] <= shift.end):
            yield Violation(
                rule,
                f"{rule}: shift {sid}'s break {ctx.show(interval[0])} ({shift.break_minutes} min) "
                f"is not inside the shift "
                f"{ctx.show(shift.start)}-{ctx.show(shift.end)}",
                (sid,),
            )
        elif interval is not None:
            # taken during the working period, not at its start or end (a short shift: about its middle)
            edge = min(float(rules.break_edge_minutes), (shift.length_minutes - shift.break_minutes) // 2)
            after, before = _minutes(shift.start, interval[0]), _minutes(interval[1], shift.end)
            if min(after, before) < edge - _EPS:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid}'s break {ctx.show(interval[0])} ({shift.break_minutes} min) comes "
                    f"{after:.0f} min after the shift starts and {before:.0f} min before it ends; it must be taken "
                    f"during the working period, at least {edge:.0f} min from either end",
                    (sid,),
                )
        hours = shift.length_minutes / 60
        if hours > rules.break_after_hours + _EPS:
            taken = shift.break_minutes if interval is not None else 0
            if taken < rules.break_minutes:
                yield Violation(
                    rule,
                    f"{rule}: shift {sid} of {shift.staff_id} lasts {hours:.2f} h with a {taken}-min break (over "
                    f"{rules.break_after_hours:g} h needs {rules.break_minutes} min)",
                    (sid,),
                )


def _rule_max_consecutive_days(ctx: _Context) -> Iterator[Violation]:
    rule = "max-consecutive-days"
    for person, rules, periods in _periods_of_rostered(ctx):
        days = sorted({ctx.day_of(p.start) for p in periods})
        rostered_days = {ctx.day_of(p.start) for p in periods if p.rostered}
        run: list[date] = []
        runs: list[list[date]] = []
        for day in days:
            if run and day == run[-1] + timedelta(days=1):
                run.append(day)
            else:
                run = [day]
                runs.append(run)
        for run in runs:
            if len(run) > rules.max_consecutive_days and rostered_days & set(run):
                yield Violation(
                    rule,
                    f"{rule}: {person.staff_id} works {len(run)} days in a row, {run[0]}..{run[-1]} (maximum "
                    f"{rules.max_consecutive_days})",
                    (*(sid for p in periods if ctx.day_of(p.start) in run for sid in p.shift_ids), person.staff_id),
                )


def _rule_pay(ctx: _Context) -> Iterator[Violation]:
    rule = "pay"
    for shift in ctx.shifts.values():
        if not ctx.people[shift.staff_id].known:
            continue
        paid = ctx.expected_paid_hours(shift)
        for index, row in shift.rows:
            label = f"shift {shift.shift_id} row {ctx.show(_utc(row.shift_start))}-{ctx.show(_utc(row.shift_end))}"
            if abs(row.paid_hours - paid[index]) > PAID_HOURS_TOLERANCE_H + _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {label} gives paid_hours {row.paid_hours:g}; the row pays {paid[index]:.4g} h",
                    (shift.shift_id,),
                )
            multiplier = ctx.expected_multiplier(shift, row)
            if abs(row.pay_multiplier - multiplier) > 1e-6:
                yield Violation(
                    rule,
                    f"{rule}: {label} gives pay_multiplier {row.pay_multiplier:g}; "
                    f"{shift.role} {shift.staff_id} is paid "
                    f"x{multiplier:g} then",
                    (shift.shift_id,),
                )
            for midnight in ctx.rate_changes_inside(shift, row):
                yield Violation(
                    rule,
                    f"{rule}: {label} spans a change of pay rate at {ctx.show(midnight)}; split the row there",
                    (shift.shift_id,),
                )


def _rule_cost(ctx: _Context) -> Iterator[Violation]:
    rule = "cost"
    for shift in ctx.shifts.values():
        person = ctx.people[shift.staff_id]
        if not person.known:
            continue
        paid = ctx.expected_paid_hours(shift)
        funding = _FUNDING_OF_ROLE[person.role]
        for index, row in shift.rows:
            label = f"shift {shift.shift_id} row {ctx.show(_utc(row.shift_start))}-{ctx.show(_utc(row.shift_end))}"
            expected = ctx.expected_row_cost(shift, row, paid[index])
            if abs(row.cost_gbp - expected) > MONEY_TOLERANCE_GBP + _EPS:
                yield Violation(
                    rule,
                    f"{rule}: {label} costs £{row.cost_gbp:.2f}; the pay rules give £{expected:.2f}",
                    (shift.shift_id,),
                )
            if row.funding != funding:
                yield Violation(
                    rule,
                    f"{rule}: {label} is funded {row.funding!r}; a {person.role}'s cost is {funding!r}",
                    (shift.shift_id,),
                )


def _rule_budget(ctx: _Context) -> Iterator[Violation]:
    rule = "budget"
    committed = ctx.committed_warden_cost()
    asb_budget = ctx.scenario.weekly_budget_gbp(_ASB, ctx.week_start)
    if committed > asb_budget + MONEY_TOLERANCE_GBP / 2:
        yield Violation(
            rule,
            f"{rule}: ASB weekly budget £{asb_budget:,.2f} < committed warden contracts £{committed:,.2f}",
            tuple(w.id for w in ctx.scenario.warden_list()),
        )
    officer_rows = [row for row in ctx.plan.roster if ctx.people[row.staff_id].role == "officer"]
    overtime = sum(row.cost_gbp for row in officer_rows)
    sv_budget = ctx.scenario.weekly_budget_gbp(_SV, ctx.week_start)
    if overtime > sv_budget + MONEY_TOLERANCE_GBP / 2:
        yield Violation(
            rule,
            f"{rule}: SV weekly budget £{sv_budget:,.2f} < officer overtime £{overtime:,.2f}",
            tuple(sorted({row.shift_id for row in officer_rows})),
        )


def _number(value: Any) -> float | None:
    """A summary figure as a finite float; None when it is not a number (text, true/false, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _shown(value: Any) -> str:
    """A summary figure as the file has it, saying so when it is text rather than a number."""
    return f"the text {value!r}, not a number" if isinstance(value, str) else repr(value)


_OTHER_STREETS = "is not the one the plan was made with"


def _extract_unchanged(ctx: _Context) -> Iterator[Violation]:
    """A street-network plan is judged on the extract it was made with (its ``travel_extract_sha256``).

    Why: after a routine OSM refresh the legs are judged on other streets; without this the check lists dozens
    of travel violations with no word of the cause (or, on faster streets, passes a plan nobody re-made).
    """
    made_with = ctx.plan.summary.get("travel_extract_sha256")
    extract = ctx.scenario.travel.extract
    if ctx.scenario.travel.model != "network" or not isinstance(made_with, str) or extract is None:
        return
    try:
        hasher = hashlib.sha256()
        with Path(extract).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        digest = hasher.hexdigest()
    except OSError:
        return  # a missing extract is named where the legs are worked out
    if digest != made_with:
        yield Violation(
            "summary",
            f"summary: the street network {extract} {_OTHER_STREETS} (sha256 {digest[:12]}..., "
            f"the plan's {made_with[:12]}...): travel is judged on other streets; re-plan the week, or restore the "
            "extract it was made with",
        )


def _rule_summary(ctx: _Context) -> Iterator[Violation]:
    rule = "summary"
    summary = ctx.plan.summary
    if not summary:
        yield Violation(rule, f"{rule}: summary.json is missing or empty")
        return
    status = summary.get("status")
    if status not in STATUSES:
        yield Violation(rule, f"{rule}: status {status!r} is not one of {', '.join(STATUSES)}")
    if summary.get("week_start") != ctx.week_start.isoformat():
        yield Violation(
            rule, f"{rule}: week_start {summary.get('week_start')!r} is not the week checked, {ctx.week_start}"
        )
    if ctx.week_start.weekday() != 0:
        yield Violation(rule, f"{rule}: week_start {ctx.week_start} is a {ctx.week_start.strftime('%A')}, not a Monday")
    model = summary.get("travel_model")
    # the summary may describe the model ("crowfly (circuity 1.3 ...)"); its first word must be the model
    if model is not None and str(model).split(" ", 1)[0] != ctx.scenario.travel.model:
        yield Violation(
            rule, f"{rule}: travel_model {model!r} but the scenario's travel model is {ctx.scenario.travel.model!r}"
        )
    yield from _extract_unchanged(ctx)
    if status in ("infeasible", "no-plan"):
        if ctx.plan.roster or ctx.plan.visits:
            yield Violation(rule, f"{rule}: status {status!r} but the plan has roster or visit rows")
        return
    expected = recompute_summary(ctx.plan, ctx.scenario, ctx.week_start, _context=ctx)
    for visit, worth in zip(ctx.visits, ctx.worths(), strict=True):
        written = visit.row.value
        if written is not None and not _close(written, worth):
            message = f"{rule}: visit {visit.visit_id}'s value is {written!r}; its rows give {worth:.6f}"
            yield Violation(rule, message, (visit.visit_id,))
    for key in ("harm_weighted_dosage", "objective"):
        value = _number(summary.get(key))
        if value is None or not _close(value, expected[key]):
            yield Violation(rule, f"{rule}: {key} is {_shown(summary.get(key))}; the rows give {expected[key]:.6f}")
    for key, tolerance, relative in (
        ("soft_terms", FIGURE_TOLERANCE, True),
        ("visits_by_hotspot", 0.0, False),
        ("dosage_minutes_by_hotspot", _EPS, False),
        ("cost_gbp", MONEY_TOLERANCE_GBP, False),
        ("budget_gbp", MONEY_TOLERANCE_GBP, False),
    ):
        given = summary.get(key)
        if not isinstance(given, Mapping):
            yield Violation(rule, f"{rule}: {key} is missing (expected a mapping)")
            continue
        wanted: Mapping[str, float] = expected[key]
        for name in sorted(set(wanted) | set(given)):
            value = _number(given.get(name, 0))
            target = float(wanted.get(name, 0))
            ok = value is not None and (
                _close(value, target, tolerance) if relative else abs(value - target) <= tolerance + _EPS
            )
            if not ok:
                yield Violation(
                    rule, f"{rule}: {key}[{name}] is {_shown(given.get(name))}; the rows give {target:.6f}", (name,)
                )
    for key in ("best_bound", "gap"):
        if summary.get(key) is not None and _number(summary.get(key)) is None:
            yield Violation(rule, f"{rule}: {key} is {_shown(summary.get(key))}; write a number, or null when unknown")
    bound, objective, gap = (
        _number(summary.get("best_bound")),
        _number(summary.get("objective")),
        _number(summary.get("gap")),
    )
    if bound is not None and objective is not None:
        if bound < objective - FIGURE_TOLERANCE * max(1.0, abs(objective)):
            yield Violation(rule, f"{rule}: best_bound {bound:.6g} is below the objective {objective:.6g}")
        if summary.get("status") == "optimal" and not proven_optimal(bound, objective):
            yield Violation(
                rule,
                f"{rule}: status 'optimal' but the objective {objective:.6g} is not within {OPTIMAL_GAP:.2%} of "
                f"best_bound {bound:.6g}; write 'feasible'",
            )
        if gap is not None and abs(bound) > _EPS and not _close(gap, (bound - objective) / abs(bound)):
            yield Violation(
                rule,
                f"{rule}: gap {gap:.6g} is not (best_bound - objective) / |best_bound| = "
                f"{(bound - objective) / abs(bound):.6g}",
            )


_RULE_FUNCTIONS = {
    "roster": _rule_roster,
    "hotspots": _rule_hotspots,
    "visit-in-shift": _rule_visit_in_shift,
    "visit-in-break": _rule_visit_in_break,
    "crew-overlap": _rule_crew_overlap,
    "double-booking": _rule_double_booking,
    "base-legs": _rule_base_legs,
    "travel": _rule_travel,
    "dwell": _rule_dwell,
    "revisit-gap": _rule_revisit_gap,
    "presence-cap": _rule_presence_cap,
    "eligibility": _rule_eligibility,
    "crewing": _rule_crewing,
    "contract": _rule_contract,
    "contracted-hours": _rule_contracted_hours,
    "duty-overlap": _rule_duty_overlap,
    "daily-rest": _rule_daily_rest,
    "weekly-rest": _rule_weekly_rest,
    "weekly-hours": _rule_weekly_hours,
    "shift-length": _rule_shift_length,
    "break": _rule_break,
    "max-consecutive-days": _rule_max_consecutive_days,
    "pay": _rule_pay,
    "cost": _rule_cost,
    "budget": _rule_budget,
    "summary": _rule_summary,
}
assert tuple(_RULE_FUNCTIONS) == RULES


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


def _week_of(plan: Plan, scenario: Scenario, week_start: date | None) -> date:
    if week_start is not None:
        return week_start
    text = plan.summary.get("week_start") if plan.summary else None
    if isinstance(text, str):
        try:
            return date.fromisoformat(text)
        except ValueError:
            logger.warning("summary week_start %r is not a date; checking the scenario's default week", text)
    return scenario.default_week_start


def check(plan: Plan, scenario: Scenario, *, week_start: date | None = None) -> list[Violation]:
    """Re-check every hard rule of ``docs/plan-rules.md``; an empty list means the plan is valid.

    Parameters
    ----------
    plan : Plan
        The plan as read from (or about to be written to) its folder.
    scenario : Scenario
        The scenario to judge it by, normally the plan's own ``scenario.resolved.yaml``.
    week_start : date, optional
        The Monday of the planned week; default ``summary["week_start"]``, else the scenario's
        ``default_week_start``.

    Returns
    -------
    list of Violation
        In the order of :data:`RULES`, each naming its rule, the rows involved and the numbers.

    Raises
    ------
    DataError
        When travel times cannot be computed (e.g. a ``network`` scenario whose extract is missing).
    """
    week = _week_of(plan, scenario, week_start)
    ctx = _Context(plan, scenario, week)
    violations: list[Violation] = []
    # an infeasible or empty answer holds no plan: only its summary (status, week, no rows) is checked
    no_plan = (plan.summary or {}).get("status") in ("infeasible", "no-plan")
    for rule in ("summary",) if no_plan else RULES:
        violations.extend(_RULE_FUNCTIONS[rule](ctx))
    logger.info("checked plan for week %s: %d violation(s)", week, len(violations))
    return violations


def _scenario_to_check(source: Path) -> LoadedScenario:
    try:
        return load_scenario(source)
    except ScenarioError as exc:
        raise DataError(f"{source}: the scenario to check the plan against is invalid:\n{exc}") from exc


def check_folder(plan_dir: Path, *, scenario_path: Path | None = None) -> tuple[list[Violation], Plan]:
    """Read a plan folder and check it (``patrol check PLAN_DIR [--scenario FILE]``).

    Parameters
    ----------
    plan_dir : Path
        A folder written by ``patrol plan --out DIR`` (or edited by hand).
    scenario_path : Path, optional
        The scenario to judge it by; default the folder's ``scenario.resolved.yaml``.

    Returns
    -------
    (violations, plan)
        The violations (empty when valid) and the plan read.

    Raises
    ------
    DataError
        The folder, a CSV, ``summary.json`` or the scenario cannot be read or is invalid.
    """
    folder = Path(plan_dir)
    source = Path(scenario_path) if scenario_path is not None else folder / "scenario.resolved.yaml"
    if scenario_path is None:
        plan = read_plan(folder)
    loaded = _scenario_to_check(source)
    scenario = loaded.scenario
    if scenario_path is not None:
        # times typed without an offset are read in the zone of the scenario the plan is judged by
        plan = read_plan(folder, require_scenario=False, zone=scenario.tz)
    text = plan.summary.get("week_start") if plan.summary else None
    week: date | None = None
    if isinstance(text, str):
        try:
            week = date.fromisoformat(text)
        except ValueError as exc:
            raise DataError(f"{folder / 'summary.json'}: week_start {text!r} is not a date (write YYYY-MM-DD)") from exc
    violations = check(plan, scenario, week_start=week)
    if scenario_path is None:
        violations += _scenario_is_the_plans(plan, loaded.sha256, source)
    return violations, plan


def _scenario_is_the_plans(plan: Plan, sha256: str, source: Path) -> list[Violation]:
    """The folder's own scenario is the one the plan was made with: its recorded ``scenario_sha256``.

    Why: judged by an edited scenario (a raised budget or weekly-hours limit) any plan could pass, so a
    plan whose sha is missing, blank or different is not judged valid by its own folder's scenario.
    """
    recorded = plan.summary.get("scenario_sha256") if plan.summary else None
    if isinstance(recorded, str) and recorded == sha256:
        return []
    if isinstance(recorded, str) and recorded:
        problem = (
            f"{source.name} is not the scenario this plan was made with (its scenario_sha256 differs): it was "
            "edited after planning"
        )
    else:
        problem = f"scenario_sha256 is missing, so {source.name} cannot be shown to be the scenario of the plan"
    return [Violation("summary", f"summary: {problem}; check against the intended scenario with --scenario FILE")]


def update_summary(plan_dir: Path) -> list[Violation]:
    """Recompute a hand-edited plan folder's figures (``summary.json``, visit values) when every hard rule holds.

    Why: a legal edit (a visit a minute shorter, moved within the rules) leaves the summary's figures
    stale, and the check then fails on them alone. Returns the violations of other rules, in which case
    nothing is written: figures are only refreshed for a plan that keeps every rule.
    """
    violations, plan = check_folder(plan_dir)
    # an edited scenario is not a figure to refresh: judged by it, any plan could be made to pass
    broken = [v for v in violations if v.rule != "summary" or "scenario_sha256" in v.message]
    if broken:
        return broken
    loaded = load_scenario(plan_dir / "scenario.resolved.yaml")
    text = plan.summary.get("week_start")
    week = date.fromisoformat(text) if isinstance(text, str) else None
    values = visit_values(plan, loaded.scenario, week or loaded.scenario.default_week_start)
    plan.visits = [replace(v, value=round(values.get(v.visit_id, 0.0), 6)) for v in plan.visits]
    figures = recompute_summary(plan, loaded.scenario, week or loaded.scenario.default_week_start)
    summary = {**plan.summary, **figures}
    objective = figures["objective"]
    beaten = FIGURE_TOLERANCE * max(1.0, abs(objective))

    def standing(value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and value >= objective - beaten

    if isinstance(summary.get("bounds"), dict):
        # a bound the edit beats should not happen (each is a relaxation of these rules): it is dropped, and
        # the best bound is the tightest one left
        summary["bounds"] = {name: value for name, value in summary["bounds"].items() if standing(value)}
    bound = summary.get("best_bound")
    if not standing(bound):
        remaining = list(summary_mapping(summary, "bounds").values())
        bound = min(remaining) if remaining else None
        summary["best_bound"] = bound
    summary["gap"] = relative_gap(bound, objective) if bound is not None else None
    if summary.get("status") in ("optimal", "feasible"):
        # as the planner decides it: an edit that loses value is no longer proven best, one that reaches the bound is
        summary["status"] = "optimal" if bound is not None and proven_optimal(bound, objective) else "feasible"
    summary["validation"] = {"ok": True, "violations": []}
    summary["edited"] = True
    plan.summary = summary
    # judged before writing: what a recompute does not mend (a status, a week) keeps the file as it was
    left = check(plan, loaded.scenario, week_start=week) + _scenario_is_the_plans(
        plan, loaded.sha256, plan_dir / "scenario.resolved.yaml"
    )
    if not left:
        rewrite_summary(plan, plan_dir)
    return left


def format_report(violations: Sequence[Violation]) -> str:
    """The violations as people read them: a count by rule, then one line each (``patrol check`` prints it)."""
    if not violations:
        return "plan is valid: every rule of docs/plan-rules.md holds"
    counts: dict[str, int] = defaultdict(int)
    for violation in violations:
        counts[violation.rule] += 1
    by_rule = ", ".join(f"{rule} {counts[rule]}" for rule in RULES if rule in counts)
    by_rule += "".join(f", {rule} {n}" for rule, n in counts.items() if rule not in RULES)
    lines = [f"plan breaks {len(counts)} rule(s) with {len(violations)} violation(s): {by_rule}"]
    # a cause of many other violations (the plan judged on other streets) is shown first
    causes = [v for v in violations if _OTHER_STREETS in v.message]
    lines += [f"  {v.message}" for v in [*causes, *(v for v in violations if v not in causes)]]
    lines.append(
        "each rule is defined in docs/plan-rules.md: edit the rows named (shift_id in roster.csv, visit_id in "
        "visits.csv) and check again, or plan the week again (patrol plan, --pin to keep the days worked)"
    )
    return "\n".join(lines)


def _shift_groups(plan: Plan) -> dict[str, list[RosterRow]]:
    grouped: dict[str, list[RosterRow]] = defaultdict(list)
    for row in plan.roster:
        grouped[row.shift_id].append(row)
    return grouped


def _visit_values(ctx: _Context) -> list[float]:
    """Each visit's value, in the order of ``ctx.visits`` (by position, so a repeated id loses no visit).

    Rank k counts all visits to the hotspot on the day of arrival (plan-rules.md).
    """
    ranked: dict[tuple[str, date], list[tuple[int, _Visit]]] = defaultdict(list)
    for position, visit in enumerate(ctx.visits):
        ranked[(visit.hotspot_id, ctx.day_of(visit.arrive))].append((position, visit))
    values = [0.0] * len(ctx.visits)
    for (hotspot_id, _day), visits in sorted(ranked.items()):
        spot = ctx.hotspots.get(hotspot_id)
        visits.sort(key=lambda item: (item[1].arrive, item[1].row.crew_id, item[1].depart, item[1].visit_id))
        for k, (position, visit) in enumerate(visits, start=1):
            crew = ctx.crews.get(visit.row.crew_id)
            if spot is None or crew is None:
                continue
            policy = ctx.policy(crew.project)
            dwell = max(0.0, float(visit.row.dwell_minutes))
            share = min(dwell, policy.dwell_target_minutes) / policy.dwell_target_minutes
            weight = ctx.window_weight(crew.project, visit.arrive)
            values[position] = spot.harm_weight * share * weight * policy.repeat_visit_factor ** (k - 1)
    return values


def visit_values(plan: Plan, scenario: Scenario, week_start: date) -> dict[str, float]:
    """The value of each visit (by ``visit_id``), as the contract defines it, for the ``value`` column."""
    ctx = _Context(plan, scenario, week_start)
    return {visit.visit_id: value for visit, value in zip(ctx.visits, ctx.worths(), strict=True)}


def recompute_summary(
    plan: Plan, scenario: Scenario, week_start: date, *, _context: _Context | None = None
) -> dict[str, Any]:
    """The figures ``summary.json`` must hold, recomputed from the plan's rows as written.

    Usable before the summary exists: the solver pipeline fills ``summary.json`` with it. Figures (see
    ``docs/plan-rules.md``): ``week_start``; ``harm_weighted_dosage`` (sum of visit values);
    ``visits_by_hotspot`` and ``dosage_minutes_by_hotspot`` (every scenario hotspot, zeros included);
    ``soft_terms`` (``visit_shortfall``, ``hours_spread``, ``nights_spread``, ``weekends_spread``, each
    already multiplied by its weight); ``objective`` (dosage minus the soft terms); ``cost_gbp`` by
    funding (``grant-asb`` the committed warden contracts, ``grant-sv`` the officer rows, ``force`` the
    PCSO rows; GBP, 2 dp); ``budget_gbp`` by project (GBP, 2 dp).

    Parameters
    ----------
    plan : Plan
        The plan's rows (its summary is not read).
    scenario : Scenario
        The scenario the plan was made from.
    week_start : date
        The Monday of the planned week.
    """
    ctx = _context or _Context(plan, scenario, week_start)
    dosage = sum(ctx.worths())
    visits_by_hotspot: dict[str, int] = {h.id: 0 for h in scenario.hotspots}
    minutes_by_hotspot: dict[str, int] = {h.id: 0 for h in scenario.hotspots}
    for visit in ctx.visits:
        visits_by_hotspot[visit.hotspot_id] = visits_by_hotspot.get(visit.hotspot_id, 0) + 1
        minutes_by_hotspot[visit.hotspot_id] = minutes_by_hotspot.get(visit.hotspot_id, 0) + visit.row.dwell_minutes

    weights = scenario.soft_weights
    # visit shortfall against visits_wanted_per_day, active projects only (joint: the larger wish)
    shortfall = 0.0
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    for visit in ctx.visits:
        per_day[(visit.hotspot_id, ctx.day_of(visit.arrive))] += 1
    for spot in scenario.hotspots:
        projects = [_ASB, _SV] if spot.project == "joint" else [spot.project]
        wishes = [ctx.policy(p).visits_wanted_per_day for p in projects if p in scenario.active_projects]
        if not wishes:
            continue
        wanted = max(wishes)
        for day in ctx.week_days:
            if day <= scenario.period.end:  # no visit is wanted after the grant period
                shortfall += spot.harm_weight * max(0, wanted - per_day.get((spot.id, day), 0))
    # fairness spreads over each role's rostered people
    paid: dict[str, float] = defaultdict(float)
    nights: dict[str, int] = defaultdict(int)
    weekends: dict[str, int] = defaultdict(int)
    role_of: dict[str, str] = {}
    for rows in _shift_groups(plan).values():
        staff_id = rows[0].staff_id
        role_of[staff_id] = ctx.people[staff_id].role
        paid[staff_id] += sum(r.paid_hours for r in rows)
        start = min(_utc(r.shift_start) for r in rows)
        end = max(_utc(r.shift_end) for r in rows)
        if end > ctx.at(ctx.day_of(start) + timedelta(days=1), time(0)):
            nights[staff_id] += 1
        if ctx.day_of(start).weekday() >= 5:
            weekends[staff_id] += 1

    def spread(counts: Mapping[str, float]) -> float:
        total = 0.0
        for role in sorted(set(role_of.values())):
            values = [counts.get(s, 0) for s, r in role_of.items() if r == role]
            total += max(values) - min(values)
        return total

    soft_terms = {
        "visit_shortfall": weights.visit_shortfall * shortfall,
        "hours_spread": weights.hours_spread * spread(paid),
        "nights_spread": weights.nights_spread * spread(nights),
        "weekends_spread": weights.weekends_spread * spread(weekends),
    }
    costs = {name: 0.0 for name in FUNDINGS}
    costs["grant-asb"] = ctx.committed_warden_cost()
    for row in plan.roster:
        role = ctx.people[row.staff_id].role
        if role == "officer":
            costs["grant-sv"] += row.cost_gbp
        elif role == "pcso":
            costs["force"] += row.cost_gbp
    return {
        "week_start": week_start.isoformat(),
        "harm_weighted_dosage": round(dosage, 9),
        "visits_by_hotspot": dict(sorted(visits_by_hotspot.items())),
        "dosage_minutes_by_hotspot": dict(sorted(minutes_by_hotspot.items())),
        "soft_terms": {k: round(v, 9) for k, v in soft_terms.items()},
        "objective": round(dosage - sum(soft_terms.values()), 9),
        "cost_gbp": {k: round(v, 2) for k, v in costs.items()},
        "budget_gbp": {p: round(scenario.weekly_budget_gbp(p, week_start), 2) for p in (_ASB, _SV)},
    }


def reprice(plan: Plan, scenario: Scenario, week_start: date) -> Plan:
    """A copy of the plan whose roster rows carry the paid hours, multiplier, cost and funding the rules give.

    For known staff only (rows of people missing from the scenario are kept as they are). Useful to
    build plans by hand or in tests, and as a cross-check of a solver's pay arithmetic.
    """
    ctx = _Context(plan, scenario, week_start)
    roster = list(plan.roster)
    for shift in ctx.shifts.values():
        person = ctx.people[shift.staff_id]
        if not person.known:
            continue
        paid = ctx.expected_paid_hours(shift)
        for index, row in shift.rows:
            roster[index] = replace(
                row,
                paid_hours=round(paid[index], 6),
                pay_multiplier=ctx.expected_multiplier(shift, row),
                cost_gbp=ctx.expected_row_cost(shift, row, paid[index]),
                funding=_FUNDING_OF_ROLE[person.role],
            )
    return replace(plan, roster=roster)
