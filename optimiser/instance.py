"""Scenario + hotspots + travel matrices -> ProblemData: integer minutes and pence, no solver imports.

All times are integer minutes from the week's start (Monday 00:00 local), computed through aware
datetimes so clock changes are exact; money is integer pence. Only this module converts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path

import numpy as np

from optimiser.network import TravelMatrix, release_source_graph, travel_matrix
from optimiser.scenario import (
    DAYS,
    DosagePolicy,
    DutyShift,
    ExpandedOfficer,
    ExpandedPcso,
    Hotspot,
    Scenario,
    ShiftTemplate,
    WorkingTime,
    minutes_of,
)

#: The window weights are looked up over this many days from the week start (a Sunday night shift ends on Monday).
HORIZON_DAYS = 8


@dataclass(frozen=True)
class Clock:
    """Converts between local datetimes and integer minutes from the week start (DST-safe)."""

    week_start: date
    tz_name: str

    @property
    def origin(self) -> datetime:
        """Monday 00:00 local, as an aware datetime."""
        from zoneinfo import ZoneInfo

        return datetime.combine(self.week_start, time(0, 0), tzinfo=ZoneInfo(self.tz_name))

    def at(self, day: date, hhmm: str, *, next_day: bool = False) -> int:
        """Minutes from the origin of local clock time ``hhmm`` on ``day`` (or the day after)."""
        from zoneinfo import ZoneInfo

        moment = datetime.combine(
            day + timedelta(days=1 if next_day else 0), _time(hhmm), tzinfo=ZoneInfo(self.tz_name)
        )
        return self.minutes(moment)

    def minutes(self, moment: datetime) -> int:
        """Whole minutes from the origin to ``moment`` (absolute, so a 25-hour day counts 25 hours).

        Both sides go to UTC first: Python subtracts two datetimes sharing one tzinfo on the wall
        clock, which would make the spring-forward Sunday 24 hours long.
        """
        return int((moment.astimezone(UTC) - self.origin.astimezone(UTC)).total_seconds() // 60)

    def datetime(self, minute: int) -> datetime:
        """The local aware datetime ``minute`` minutes after the origin."""
        from zoneinfo import ZoneInfo

        utc = self.origin.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minute)
        return utc.astimezone(ZoneInfo(self.tz_name))

    def local_date(self, minute: int) -> date:
        """The local calendar date at ``minute``."""
        return self.datetime(minute).date()

    #: Days before the week start that :attr:`midnights` begins with.
    MIDNIGHTS_BEFORE = 2

    @cached_property
    def midnights(self) -> list[int]:
        """Minutes of the local midnights from two days before the week to two weeks after it."""
        first = -self.MIDNIGHTS_BEFORE
        return [self.at(self.week_start + timedelta(days=i), "00:00") for i in range(first, 16)]

    def day_index(self, minute: int) -> int:
        """Local day number from the week start (0 = Monday; 7 = the next Monday).

        Looked up among the cached local midnights (the route stage asks millions of times); outside
        them, computed from the local date.
        """
        midnights = self.midnights
        if midnights[0] <= minute < midnights[-1]:
            return bisect_right(midnights, minute) - 1 - self.MIDNIGHTS_BEFORE
        return (self.local_date(minute) - self.week_start).days

    def day_indices(self, minutes: np.ndarray) -> np.ndarray:
        """:meth:`day_index` of many minutes at once (all within the cached two weeks)."""
        midnights = self.midnights
        if len(minutes) and not (midnights[0] <= int(minutes.min()) and int(minutes.max()) < midnights[-1]):
            raise ValueError("day_indices covers the two weeks around the week start only")
        return np.searchsorted(np.array(midnights), minutes, side="right") - 1 - self.MIDNIGHTS_BEFORE


def _time(hhmm: str) -> time:
    minutes = minutes_of(hhmm)
    return time(minutes // 60, minutes % 60)


def _span(clock: Clock, day: date, start: str, end: str) -> tuple[int, int]:
    """A clock-time span starting on ``day``; an end at or before the start is the next day."""
    next_day = minutes_of(end) <= minutes_of(start)
    return clock.at(day, start), clock.at(day, end, next_day=next_day)


@dataclass(frozen=True)
class Window:
    """A patrol window in minutes, with its weight."""

    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class HotspotData:
    """A hotspot with its location index in the travel matrices."""

    id: str
    index: int
    location: int
    project: str
    district: str
    harm_weight: float
    spec: Hotspot


def part_week_shortfall_minutes(weekly_hours: float) -> int:
    """How far a warden's paid minutes may fall short of the pro rata hours in a part week.

    A week the contract starts or ends in: less than one day's contracted hours (``weekly_hours / 5``), so
    never a whole day short.
    """
    return max(0, round(weekly_hours / 5 * 60) - 1)


@dataclass(frozen=True)
class Person:
    """A warden, officer or PCSO, with the fixed parts of their week."""

    id: str
    role: str
    base_id: str
    district: str | None
    rules: WorkingTime
    duty: tuple[tuple[int, int], ...] = ()
    required_paid_minutes: int | None = None
    #: in a week the contract starts or ends in, paid minutes may fall short of ``required_paid_minutes`` by
    #: up to this (less than one day's contracted hours): whole shifts rarely add up to a pro rata figure
    paid_shortfall_minutes: int = 0


@dataclass(frozen=True)
class PayRow:
    """One stretch of a shift at one pay rate (a shift splits where the rate changes)."""

    start: int
    end: int
    hourly_gbp: float
    multiplier: float
    on_cost_rate: float
    pay_type: str


@dataclass(frozen=True)
class ShiftOption:
    """A shift a person could work: a template on a day, with its pay and its cost bound."""

    index: int
    person: str
    role: str
    day: int
    template_id: str
    start: int
    end: int
    break_minutes: int
    worked_minutes: int
    paid_minutes: int
    cost_pence: int
    rows: tuple[PayRow, ...]
    funding: str
    night: bool
    weekend: bool
    min_paid_hours: float = 0.0  # a rest-day shift's paid minimum (overtime.rest_day_min_paid_hours), else 0


@dataclass(frozen=True)
class CrewGroup:
    """Crews that share base, day and template: the roster decides how many of them go out.

    ``roles`` is the crew's make-up (``("officer", "officer")`` for double crewing).
    """

    key: str
    project: str
    team: str
    base_id: str
    base_location: int
    day: int
    template_id: str
    roles: tuple[str, ...]
    start: int
    end: int
    break_minutes: int
    profile: str
    hotspots: tuple[int, ...]
    options_by_role: dict[str, tuple[int, ...]]
    max_crews: int


@dataclass
class ProblemData:
    """Everything the roster and routing solvers need, in integers."""

    scenario: Scenario
    clock: Clock
    hotspots: list[HotspotData]
    location_ids: list[str]
    matrices: dict[str, np.ndarray]
    travel: dict[str, TravelMatrix]
    people: dict[str, Person]
    options: list[ShiftOption]
    groups: list[CrewGroup]
    windows: dict[str, list[Window]]
    budgets_pence: dict[str, int]
    committed_asb_gbp: float  # unrounded, as the validator sums it: the budget rule compares it to the half penny
    notes: list[str] = field(default_factory=list)

    @property
    def patrol_days(self) -> int:
        """Days of the week inside the grant period (7 but in a week straddling its end): days 0..n-1.

        Why: no patrol happens after the grant ends, so those days want no visits (no shortfall).
        """
        last = self.scenario.period.end
        return sum(1 for i in range(7) if self.week_start + timedelta(days=i) <= last)

    @property
    def week_start(self) -> date:
        """The Monday the week starts on."""
        return self.clock.week_start

    def policy(self, project: str) -> DosagePolicy:
        """The dosage policy of a project."""
        return self.scenario.projects.get(project).dosage

    def weight_at(self, project: str, minute: int) -> float:
        """Weight of the project's window containing ``minute`` (0 outside every window)."""
        return max((w.weight for w in self.windows[project] if w.start <= minute < w.end), default=0.0)

    def weights(self, project: str, horizon: int) -> np.ndarray:
        """:meth:`weight_at` of every minute in [0, horizon) at once."""
        table = np.zeros(horizon)
        for window in self.windows[project]:
            lo, hi = max(window.start, 0), min(window.end, horizon)
            if lo < hi:
                table[lo:hi] = np.maximum(table[lo:hi], window.weight)
        return table


def _pay_rate(pay: Sequence[object], on: date) -> float:
    """Annual pay in force on ``on`` (the latest entry starting on or before it)."""
    entries = sorted(pay, key=lambda p: p.from_date)  # type: ignore[attr-defined]
    annual = entries[0].annual_gbp  # type: ignore[attr-defined]
    for entry in entries:
        if entry.from_date <= on:  # type: ignore[attr-defined]
            annual = entry.annual_gbp  # type: ignore[attr-defined]
    return float(annual)


def _duty_spans(clock: Clock, duty: Sequence[DutyShift], leave: Collection[date] = ()) -> tuple[tuple[int, int], ...]:
    """Duty shifts of the week, the Sunday before (its night may run into Monday) and the Monday after.

    Why the Monday after: a Sunday night's overtime must leave the daily rest before it (the duty pattern
    repeats, so next week's Monday duty is known now). No duty starts on a day of ``leave``.
    """
    spans = []
    for offset in range(-1, 8):
        day = clock.week_start + timedelta(days=offset)
        if day in leave:
            continue
        for shift in duty:
            if DAYS[day.weekday()] == shift.day:
                spans.append(_span(clock, day, shift.start, shift.end))
    return tuple(sorted(spans))


def break_minutes_for(template: ShiftTemplate, rules: WorkingTime) -> int:
    """Break owed on a shift: the template's own, else the rule's when the shift is long enough."""
    if template.break_minutes is not None:
        return template.break_minutes
    return rules.break_minutes if template.length_minutes() > rules.break_after_hours * 60 else 0


def _split_rows(
    clock: Clock, start: int, end: int, rate_of: object, *, boundaries: Sequence[int]
) -> list[tuple[int, int, tuple[float, float, str]]]:
    """Split [start, end) at local midnights where the (hourly, multiplier, type) rate changes."""
    cuts = [start] + [b for b in boundaries if start < b < end] + [end]
    rows: list[tuple[int, int, tuple[float, float, str]]] = []
    for a, b in pairwise(cuts):
        rate = rate_of(a)  # type: ignore[operator]
        if rows and rows[-1][2] == rate:
            rows[-1] = (rows[-1][0], b, rate)
        else:
            rows.append((a, b, rate))
    return rows


def row_cost_pence(paid_minutes: float, row: PayRow) -> int:
    """Cost of a row in pence, by the contract's formula rounded to the penny."""
    gbp = paid_minutes / 60 * row.hourly_gbp * row.multiplier * (1 + row.on_cost_rate)
    return round(gbp * 100 + 1e-9)


def build(scenario: Scenario, week_start: date, *, cache_dir: Path | None = None) -> ProblemData:
    """Build the integer problem for one week.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    week_start : date
        Monday starting the week (checked by the caller).
    """
    clock = Clock(week_start, scenario.timezone)
    active = set(scenario.active_projects)
    hotspot_specs = [h for h in scenario.hotspots if any(h.serves(p) for p in active)]
    location_points = [(h.id, h.lat, h.lon) for h in hotspot_specs] + [(b.id, b.lat, b.lon) for b in scenario.bases]
    location_ids = [p[0] for p in location_points]
    loc_index = {lid: i for i, lid in enumerate(location_ids)}
    hotspots = [HotspotData(h.id, i, i, h.project, h.district, h.harm_weight, h) for i, h in enumerate(hotspot_specs)]
    profiles: list[str] = sorted(set(scenario.travel.profiles.values()))
    try:
        travel = {
            p: travel_matrix(location_points, travel=scenario.travel, profile=p, cache_dir=cache_dir) for p in profiles
        }
    finally:
        release_source_graph()  # the parsed extract was kept for the other profile only (also when one fails)
    matrices = {p: np.asarray(t.minutes(), dtype=np.int64) for p, t in travel.items()}

    windows: dict[str, list[Window]] = {}
    for name in ("asb", "sv"):
        spans = []
        for offset in range(-1, HORIZON_DAYS):
            day = week_start + timedelta(days=offset)
            if not scenario.period.start <= day <= scenario.period.end:
                continue  # the programme patrols inside its grant period only
            for window in scenario.projects.get(name).windows:
                if DAYS[day.weekday()] in window.days:
                    start, end = _span(clock, day, window.start, window.end)
                    spans.append(Window(start, end, window.weight))
        windows[name] = sorted(spans, key=lambda w: w.start)

    holidays = set(scenario.public_holidays)
    midnights = [clock.at(week_start + timedelta(days=i), "00:00") for i in range(HORIZON_DAYS + 1)]
    people: dict[str, Person] = {}
    options: list[ShiftOption] = []
    week_days = [week_start + timedelta(days=i) for i in range(7)]

    def in_week_days(first: date, last: date) -> list[date]:
        # a contract's days that count here are the grant period's: after it, the grant neither pays nor patrols
        return [d for d in week_days if max(first, scenario.period.start) <= d <= min(last, scenario.period.end)]

    if "asb" in active:
        for warden in scenario.warden_list():
            rules = scenario.rules_for("warden")
            contract_days = in_week_days(warden.contract_start, warden.contract_end)
            leave = [d for d in contract_days if d in set(warden.leave)]
            required_hours = (
                warden.contracted_hours_per_week * len(contract_days) / 7
                - len(leave) * warden.contracted_hours_per_week / 5
            )
            people[warden.id] = Person(
                id=warden.id,
                role="warden",
                base_id=warden.base,
                district=warden.district,
                rules=rules,
                required_paid_minutes=round(max(required_hours, 0) * 60),
                paid_shortfall_minutes=(
                    part_week_shortfall_minutes(warden.contracted_hours_per_week) if len(contract_days) < 7 else 0
                ),
            )
    if "sv" in active:
        police: list[tuple[str, ExpandedOfficer | ExpandedPcso]] = [("officer", o) for o in scenario.officer_list()]
        police += [("pcso", p) for p in scenario.pcso_list()]
        for role, member in police:
            people[member.id] = Person(
                id=member.id,
                role=role,
                base_id=member.station,
                district=scenario.base(member.station).district,
                rules=scenario.rules_for(role),
                duty=_duty_spans(clock, member.duty, set(member.leave)),
            )

    wardens = {w.id: w for w in scenario.warden_list()}
    officers = {o.id: o for o in scenario.officer_list()}
    pcsos = {p.id: p for p in scenario.pcso_list()}
    overtime = scenario.overtime
    for person in people.values():
        rules = person.rules
        for day_index, day in enumerate(week_days):
            if day > scenario.period.end:
                break  # no patrol shift after the grant period (a week straddling its end)
            weekday = DAYS[day.weekday()]
            for template in scenario.shift_templates:
                if person.role not in template.roles or weekday not in template.days:
                    continue
                start, end = _span(clock, day, template.start, template.end)
                brk = break_minutes_for(template, rules)
                worked = end - start - (0 if rules.breaks_paid else brk)
                if person.role == "warden":
                    warden = wardens[person.id]
                    if not warden.contract_start <= day <= warden.contract_end or day in set(warden.leave):
                        continue
                    hourly = warden.annual_cost_gbp * 7 / 365 / warden.contracted_hours_per_week
                    raw = [(start, end, (hourly, 1.0, "contract"))]
                    on_cost, funding = 0.0, "grant-asb"
                    minimum_hours = 0.0
                elif day in set((pcsos[person.id] if person.role == "pcso" else officers[person.id]).leave):
                    continue  # a day the officer or PCSO cannot work
                elif person.role == "pcso":
                    if not any(a <= start and end <= b for a, b in person.duty):
                        continue  # PCSOs patrol only inside their own duty shifts
                    raw = [(start, end, (pcsos[person.id].hourly_cost_gbp, 1.0, "duty"))]
                    on_cost, funding = scenario.on_costs.pcso_rate, "force"
                    minimum_hours = 0.0
                else:
                    if any(a < end and start < b for a, b in person.duty):
                        continue  # overtime never overlaps normal duty
                    if not _fits_around_duty(start, end, person.duty, rules):
                        continue  # daily rest or shift length broken against the fixed duty
                    duty_today = any(clock.local_date(a) == day for a, _ in person.duty)
                    officer = officers[person.id]

                    def rate_of(minute: int, *, _duty_today: bool = duty_today, _officer: object = officer) -> tuple:
                        on = clock.local_date(minute)
                        hourly = _pay_rate(_officer.pay, on) * 7 / 365 / overtime.pay_week_hours  # type: ignore[attr-defined]
                        if on in holidays:
                            return (hourly, overtime.public_holiday_multiplier, "public_holiday")
                        if not _duty_today:
                            return (hourly, overtime.rest_day_multiplier, "rest_day")
                        return (hourly, overtime.ordinary_multiplier, "ordinary")

                    raw = _split_rows(clock, start, end, rate_of, boundaries=midnights)
                    on_cost, funding = scenario.on_costs.officer_overtime_rate, "grant-sv"
                    # a shift starting on a day without normal duty is a rest-day shift, paid a minimum, also on
                    # a public holiday (its rows then carry the holiday rate, not the rest-day one)
                    minimum_hours = 0.0 if duty_today else overtime.rest_day_min_paid_hours
                rows = tuple(PayRow(a, b, r[0], r[1], on_cost, r[2]) for a, b, r in raw)
                paid = end - start - (0 if rules.breaks_paid else brk)
                cost = _shift_cost_bound(rows, brk if not rules.breaks_paid else 0, minimum_hours)
                paid = max(paid, round(minimum_hours * 60))
                local_start = clock.datetime(start)
                options.append(
                    ShiftOption(
                        index=len(options),
                        person=person.id,
                        role=person.role,
                        day=day_index,
                        template_id=template.id,
                        start=start,
                        end=end,
                        break_minutes=brk,
                        worked_minutes=worked,
                        paid_minutes=paid,
                        cost_pence=cost,
                        rows=rows,
                        funding=funding,
                        night=clock.local_date(end - 1) != local_start.date(),
                        weekend=local_start.weekday() >= 5,
                        min_paid_hours=minimum_hours,
                    )
                )

    groups = _crew_groups(scenario, people, options, hotspots, loc_index, matrices)
    budgets = {p: round(scenario.weekly_budget_gbp(p, week_start) * 100) for p in ("asb", "sv")}
    # summed, not rounded: the validator and the summary do the same
    committed = (
        sum(
            w.annual_cost_gbp * len(in_week_days(w.contract_start, w.contract_end)) / 365
            for w in scenario.warden_list()
        )
        if "asb" in active
        else 0.0
    )
    return ProblemData(
        scenario=scenario,
        clock=clock,
        hotspots=hotspots,
        location_ids=location_ids,
        matrices=matrices,
        travel=travel,
        people=people,
        options=options,
        groups=groups,
        windows=windows,
        budgets_pence=budgets,
        committed_asb_gbp=committed,
    )


def paid_minutes_by_row(
    rows: Sequence[PayRow], unpaid_break: int, break_row: int | None, min_paid_hours: float
) -> list[float]:
    """Paid minutes of each row: its length less the unpaid break inside it, the minimum topped up last.

    ``min_paid_hours`` is the shift's paid minimum: a rest-day shift's (``ShiftOption.min_paid_hours``),
    0 for other shifts; the top-up goes on the last row, as the pay rule says.
    """
    paid = [float(r.end - r.start - (unpaid_break if i == break_row else 0)) for i, r in enumerate(rows)]
    paid[-1] += max(0.0, min_paid_hours * 60 - sum(paid))
    return paid


def _shift_cost_bound(rows: Sequence[PayRow], unpaid_break: int, min_paid_hours: float) -> int:
    """Largest cost the shift can have wherever its unpaid break falls (so budgets hold after routing)."""
    placements: list[int | None] = [None] if unpaid_break == 0 else list(range(len(rows)))
    return max(
        sum(
            row_cost_pence(paid, row)
            for paid, row in zip(paid_minutes_by_row(rows, unpaid_break, where, min_paid_hours), rows, strict=True)
        )
        for where in placements
    )


def _fits_around_duty(start: int, end: int, duty: Sequence[tuple[int, int]], rules: WorkingTime) -> bool:
    """Whether overtime [start, end) keeps daily rest and shift length against fixed duty shifts.

    Overtime touching a duty shift merges with it into one work period (an extension); otherwise it
    must leave the daily rest on both sides.
    """
    rest = round(rules.daily_rest_hours * 60)
    period_start, period_end = start, end
    merged: set[tuple[int, int]] = set()
    grown = True
    while grown:  # duty touching the period joins it (overtime 14-18 then duty 18-22: one period 14-22)
        grown = False
        for a, b in duty:
            if (a, b) not in merged and (b == period_start or a == period_end):
                merged.add((a, b))
                period_start, period_end = min(period_start, a), max(period_end, b)
                grown = True
    for a, b in duty:  # the rest is measured from the merged period's ends, not the overtime's
        if (a, b) not in merged and (0 < period_start - b < rest or 0 < a - period_end < rest):
            return False
    return period_end - period_start <= rules.max_shift_hours * 60


def crew_profile(scenario: Scenario, roles: Sequence[str]) -> str:
    """A crew walks if any member walks (a PCSO on foot slows a car crew to walking pace)."""
    profiles = {scenario.travel.profiles.get(r, "walk") for r in roles}  # type: ignore[call-overload]
    return "walk" if "walk" in profiles else "drive"


def crew_make_ups(crewing: str) -> list[tuple[str, ...]]:
    """Crew make-ups allowed for SV patrols by the crewing rule."""
    if crewing == "single":
        return [("officer",), ("pcso",)]
    if crewing == "double":
        return [("officer", "officer"), ("pcso", "pcso")]
    return [("officer", "pcso")]


def _crew_groups(
    scenario: Scenario,
    people: dict[str, Person],
    options: list[ShiftOption],
    hotspots: list[HotspotData],
    loc_index: dict[str, int],
    matrices: dict[str, np.ndarray],
) -> list[CrewGroup]:
    by_key: dict[tuple[str, int, str], list[ShiftOption]] = {}
    for option in options:
        base = people[option.person].base_id
        by_key.setdefault((base, option.day, option.template_id), []).append(option)
    groups: list[CrewGroup] = []
    sv_roles = set(scenario.projects.sv.roles)
    for (base_id, day, template_id), members in sorted(by_key.items()):
        roles_here = {o.role for o in members}
        make_ups: list[tuple[str, ...]] = []
        if "warden" in roles_here:
            make_ups.append(("warden",))
        make_ups += [m for m in crew_make_ups(scenario.sv_crewing) if set(m) <= roles_here & sv_roles]
        for roles in make_ups:
            project = "asb" if roles == ("warden",) else "sv"
            relevant = [o for o in members if o.role in roles]
            if project == "asb":
                district = people[relevant[0].person].district
                eligible = tuple(h.index for h in hotspots if h.spec.serves("asb") and h.district == district)
                team = f"asb:{district}"
            else:
                eligible = tuple(h.index for h in hotspots if h.spec.serves("sv"))
                team = "sv"
            limits = [scenario.travel.beat_minutes[r] for r in roles if r in scenario.travel.beat_minutes]
            if limits:
                matrix = matrices[crew_profile(scenario, roles)]
                base_location = loc_index[base_id]
                eligible = tuple(h for h in eligible if int(matrix[base_location, hotspots[h].location]) <= min(limits))
            if not eligible:
                continue
            counts = {r: roles.count(r) for r in set(roles)}
            max_crews = min(sum(1 for o in relevant if o.role == r) // n for r, n in counts.items())
            if max_crews == 0:
                continue
            first = relevant[0]
            groups.append(
                CrewGroup(
                    key=f"{base_id}/{day}/{template_id}/{'+'.join(roles)}",
                    project=project,
                    team=team,
                    base_id=base_id,
                    base_location=loc_index[base_id],
                    day=day,
                    template_id=template_id,
                    roles=roles,
                    start=first.start,
                    end=first.end,
                    break_minutes=max(o.break_minutes for o in relevant),
                    profile=crew_profile(scenario, roles),
                    hotspots=eligible,
                    options_by_role={r: tuple(o.index for o in relevant if o.role == r) for r in counts},
                    max_crews=max_crews,
                )
            )
    return groups
