"""The plan as people read it: shifts, crews and routes in local time, with the scenario's names and shapes.

Every planner view (workbook, printable roster, map, calendars) is drawn from one :class:`PlanView`, so
they all group, order and label the plan the same way. The plan contract stays the source of truth:
this module only regroups it (roster rows into shifts and crews, visits into routes) and converts its
UTC-offset times into the scenario's local time zone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.errors import DataError
from optimiser.plan import Plan, RosterRow, VisitRow
from optimiser.scenario import Scenario, polygon_parts

LOGGER = logging.getLogger(__name__)

ROLE_PROJECT = {"warden": "asb", "officer": "sv", "pcso": "sv"}
ROLE_LABEL = {"warden": "Warden", "officer": "Officer", "pcso": "PCSO"}
PROJECT_LABEL = {"asb": "ASB", "sv": "SV", "joint": "Joint ASB + SV"}
FUNDING_LABEL = {
    "grant-asb": "ASB grant (council wardens)",
    "grant-sv": "SV grant (police overtime)",
    "force": "Force budget (PCSOs)",
}
FUNDING_PROJECT = {"grant-asb": "asb", "grant-sv": "sv", "force": ""}


@dataclass(frozen=True)
class HotspotView:
    """A hotspot with its scenario shape and its planned dosage for the week.

    ``radius_m`` (metres) or ``polygon`` (its rings, each ``((lon, lat), ...)``, EPSG:4326) give the drawn area;
    ``visits`` and ``minutes`` are counted from the plan's visit rows.
    """

    hotspot_id: str
    name: str
    district: str
    project: str
    lat: float
    lon: float
    harm_weight: float
    radius_m: float | None
    polygon: tuple[tuple[tuple[float, float], ...], ...] | None
    visits: int
    minutes: int


@dataclass(frozen=True)
class BaseView:
    """A warden base or police station where shifts start and end."""

    base_id: str
    name: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class VisitView:
    """One visit in local time, numbered by its place in the crew's route (1 = first stop)."""

    row: VisitRow
    stop: int
    arrive: datetime
    depart: datetime
    hotspot_name: str


@dataclass(frozen=True)
class WithdrawnShift:
    """A shift of the previous revision that this one dropped: its calendar key and times."""

    staff_id: str
    day: date
    n: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ShiftView:
    """One person's shift: the roster rows sharing a ``shift_id``, merged, in local time.

    ``paid_hours`` (hours) and ``cost_gbp`` (GBP) are sums over the rows; ``multipliers`` and
    ``fundings`` list the distinct values in row order (a shift splits where the pay rate changes).
    """

    shift_id: str
    crew_id: str
    staff_id: str
    role: str
    district: str
    base_id: str
    day: date
    start: datetime
    end: datetime
    break_start: datetime | None
    break_minutes: int
    paid_hours: float
    cost_gbp: float
    multipliers: tuple[float, ...]
    fundings: tuple[str, ...]
    template_id: str
    rows: tuple[RosterRow, ...]


@dataclass(frozen=True)
class CrewView:
    """A crew on one shift: its members, its base and its route (visits in order of arrival)."""

    crew_id: str
    members: tuple[str, ...]
    roles: tuple[str, ...]
    project: str
    district: str
    base_id: str
    day: date
    start: datetime
    end: datetime
    break_start: datetime | None
    break_minutes: int
    visits: tuple[VisitView, ...]


@dataclass(frozen=True)
class PlanView:
    """Everything the planner views draw, grouped and in local time.

    Attributes
    ----------
    days : tuple of date
        The week's seven local days (Monday first), plus any day a shift starts on outside it.
    shifts : tuple of ShiftView
        Ordered by district, day, start time and staff id.
    crews : tuple of CrewView
        Ordered by day, start time and crew id.
    """

    plan: Plan
    scenario: Scenario
    tz: ZoneInfo
    week_start: date
    days: tuple[date, ...]
    district_names: dict[str, str]
    hotspots: tuple[HotspotView, ...]
    bases: tuple[BaseView, ...]
    shifts: tuple[ShiftView, ...]
    crews: tuple[CrewView, ...]

    @property
    def summary(self) -> dict[str, Any]:
        """The plan's ``summary.json``."""
        return self.plan.summary

    def district_name(self, code: str) -> str:
        """The district's name from the scenario (its code when the scenario does not know it)."""
        return self.district_names.get(code, code)

    @cached_property
    def _hotspot_index(self) -> dict[str, HotspotView]:
        return {spot.hotspot_id: spot for spot in self.hotspots}

    @cached_property
    def _base_index(self) -> dict[str, BaseView]:
        return {base.base_id: base for base in self.bases}

    @cached_property
    def _crew_index(self) -> dict[str, CrewView]:
        return {crew.crew_id: crew for crew in self.crews}

    def hotspot(self, hotspot_id: str) -> HotspotView:
        """The hotspot with this id."""
        return self._hotspot_index[hotspot_id]

    def base(self, base_id: str) -> BaseView | None:
        """The base with this id, or None when the scenario does not list it."""
        return self._base_index.get(base_id)

    def base_name(self, base_id: str) -> str:
        """A base's name (its id when unknown)."""
        base = self.base(base_id)
        return base.name if base is not None and base.name else base_id

    def crew(self, crew_id: str) -> CrewView:
        """The crew with this id."""
        return self._crew_index[crew_id]

    @property
    def week_end(self) -> date:
        """The week's last day (Sunday)."""
        return self.week_start + timedelta(days=6)

    @property
    def revision(self) -> int:
        """The plan's revision: 0 for a first plan, one more for each re-plan around it (``--pin``)."""
        revision = self.plan.summary.get("revision", 0)
        return revision if isinstance(revision, int) and revision >= 0 else 0

    @property
    def withdrawn(self) -> list[WithdrawnShift]:
        """Shifts of the previous revision this one dropped (``summary.withdrawn_shifts``), for cancellations.

        A record that does not read (a hand edit) is left out with a warning: the views still build.
        """
        records = self.plan.summary.get("withdrawn_shifts") or []
        out = []
        for record in records if isinstance(records, list) else [records]:
            try:
                shift = WithdrawnShift(
                    staff_id=str(record["staff_id"]),
                    day=date.fromisoformat(str(record["day"])),
                    n=int(record["n"]),
                    start=datetime.fromisoformat(str(record["shift_start"])),
                    end=datetime.fromisoformat(str(record["shift_end"])),
                )
            except (KeyError, TypeError, ValueError):
                LOGGER.warning("summary.json: withdrawn shift %r does not read; no cancellation is sent for it", record)
                continue
            if shift.start.tzinfo is None or shift.end.tzinfo is None or shift.n < 1:
                LOGGER.warning("summary.json: withdrawn shift %r needs times with offsets and n >= 1", record)
                continue
            out.append(shift)
        return out

    @property
    def violations(self) -> int:
        """How many hard rules the plan's last check found broken (0 when it passed or was not run)."""
        validation = self.plan.summary.get("validation")
        if isinstance(validation, dict) and validation.get("ok") is False:
            return max(1, len(validation.get("violations") or []))
        return 0

    @property
    def status(self) -> str:
        """The plan's status (``optimal``, ``feasible``, ``infeasible`` or ``no-plan``), and a failed check.

        Why the check in it: every view shows the status, so a plan that breaks a hard rule (a hand edit,
        an old plan under new rules) can never be read or sent on as a good one.
        """
        status = str(self.plan.summary.get("status", "unknown"))
        if self.violations:
            status += f", CHECK FAILED ({self.violations} violation(s): run patrol check)"
        return status


def _week_start(plan: Plan, scenario: Scenario, tz: ZoneInfo) -> date:
    """The plan's week: ``summary.week_start``, else the Monday of its first shift, else the scenario's default."""
    text = plan.summary.get("week_start")
    if text:
        try:
            return date.fromisoformat(str(text)[:10])
        except ValueError as exc:
            raise DataError(f"summary.json: week_start {text!r} is not a date (write e.g. 2024-12-02)") from exc
    if plan.roster:
        first = min(row.shift_start for row in plan.roster).astimezone(tz).date()
        return first - timedelta(days=first.weekday())
    return scenario.default_week_start


def _shifts(rows: Sequence[RosterRow], tz: ZoneInfo) -> list[ShiftView]:
    grouped: dict[str, list[RosterRow]] = defaultdict(list)
    for row in rows:
        grouped[row.shift_id].append(row)
    shifts: list[ShiftView] = []
    for shift_id, members in grouped.items():
        members.sort(key=lambda r: r.shift_start.timestamp())
        first = members[0]
        people = {r.staff_id for r in members}
        if len(people) > 1:
            raise DataError(
                f"roster.csv: shift {shift_id} has rows for several people ({', '.join(sorted(people))}); "
                "a shift_id belongs to one person - give each person's rows their own shift_id"
            )
        crews = {r.crew_id for r in members}
        if len(crews) > 1:
            raise DataError(f"roster.csv: shift {shift_id} has rows in several crews ({', '.join(sorted(crews))})")
        breaks = [r for r in members if r.break_start is not None and r.break_minutes > 0]
        start = first.shift_start.astimezone(tz)
        shifts.append(
            ShiftView(
                shift_id=shift_id,
                crew_id=first.crew_id,
                staff_id=first.staff_id,
                role=first.role,
                district=first.district,
                base_id=first.base_id,
                day=start.date(),
                start=start,
                end=max(r.shift_end for r in members).astimezone(tz),
                break_start=breaks[0].break_start.astimezone(tz) if breaks and breaks[0].break_start else None,
                break_minutes=breaks[0].break_minutes if breaks else 0,  # every row of a shift repeats its break
                paid_hours=round(sum(r.paid_hours for r in members), 4),
                cost_gbp=round(sum(r.cost_gbp for r in members), 2),
                multipliers=tuple(dict.fromkeys(r.pay_multiplier for r in members)),
                fundings=tuple(dict.fromkeys(r.funding for r in members)),
                template_id=first.template_id,
                rows=tuple(members),
            )
        )
    return shifts


def build_view(plan: Plan, scenario: Scenario) -> PlanView:
    """Regroup a plan for reading: shifts, crews with numbered routes, hotspots with shapes.

    Raises
    ------
    DataError
        When the plan refers to something it does not define (a visit's crew or hotspot), naming the
        file and row so a hand edit can be fixed.
    """
    tz = scenario.tz
    week_start = _week_start(plan, scenario, tz)
    shifts = _shifts(plan.roster, tz)
    shifts.sort(key=lambda s: (s.district, s.day, s.start.timestamp(), s.staff_id))

    scenario_spots = {h.id: h for h in scenario.hotspots}
    counts: dict[str, int] = defaultdict(int)
    minutes: dict[str, int] = defaultdict(int)
    for visit in plan.visits:
        counts[visit.hotspot_id] += 1
        minutes[visit.hotspot_id] += visit.dwell_minutes
    hotspots: list[HotspotView] = []
    for row in plan.hotspots:
        spec = scenario_spots.get(row.hotspot_id)
        radius = spec.radius_m if spec is not None else None
        polygon = (
            tuple(tuple(ring) for ring in polygon_parts(spec.polygon)) if spec is not None and spec.polygon else None
        )
        hotspots.append(
            HotspotView(
                hotspot_id=row.hotspot_id,
                name=row.name or (spec.name if spec is not None else "") or row.hotspot_id,
                district=row.district,
                project=row.project,
                lat=row.lat,
                lon=row.lon,
                harm_weight=row.harm_weight,
                radius_m=radius,
                polygon=polygon,
                visits=counts.get(row.hotspot_id, 0),
                minutes=minutes.get(row.hotspot_id, 0),
            )
        )
    unshaped = [h.hotspot_id for h in hotspots if h.radius_m is None and h.polygon is None]
    if unshaped:
        LOGGER.warning(
            "%d hotspot(s) of hotspots.csv are not in the scenario, so have no drawn area; shown as 150 m circles: %s",
            len(unshaped),
            ", ".join(unshaped),
        )
    names = {h.hotspot_id: h.name for h in hotspots}
    for visit in plan.visits:
        if visit.hotspot_id not in names:
            raise DataError(
                f"visits.csv: visit {visit.visit_id} is at hotspot {visit.hotspot_id!r}, which hotspots.csv does not "
                "list; add the hotspot or correct the id"
            )

    crew_shifts: dict[str, list[ShiftView]] = defaultdict(list)
    for shift in shifts:
        crew_shifts[shift.crew_id].append(shift)
    crew_visits: dict[str, list[VisitRow]] = defaultdict(list)
    for visit in plan.visits:
        if visit.crew_id not in crew_shifts:
            raise DataError(
                f"visits.csv: visit {visit.visit_id} belongs to crew {visit.crew_id!r}, which roster.csv does not "
                "list; add the crew's shifts or correct the crew_id"
            )
        crew_visits[visit.crew_id].append(visit)
    crews: list[CrewView] = []
    for crew_id, members in crew_shifts.items():
        members.sort(key=lambda s: (s.role, s.staff_id))
        lead = members[0]
        # by the instant, not the wall clock: in the hour the clocks go back 01:22 GMT follows 01:44 BST
        ordered = sorted(crew_visits.get(crew_id, []), key=lambda v: (v.arrive.timestamp(), v.visit_id))
        crews.append(
            CrewView(
                crew_id=crew_id,
                members=tuple(s.staff_id for s in members),
                roles=tuple(s.role for s in members),
                project=ROLE_PROJECT.get(lead.role, lead.role),
                district=lead.district,
                base_id=lead.base_id,
                day=min(s.day for s in members),
                start=min(s.start for s in members),
                end=max(s.end for s in members),
                break_start=lead.break_start,
                break_minutes=lead.break_minutes,
                visits=tuple(
                    VisitView(
                        row=v,
                        stop=i,
                        arrive=v.arrive.astimezone(tz),
                        depart=v.depart.astimezone(tz),
                        hotspot_name=names[v.hotspot_id],
                    )
                    for i, v in enumerate(ordered, start=1)
                ),
            )
        )
    crews.sort(key=lambda c: (c.day, c.start.timestamp(), c.crew_id))

    week = [week_start + timedelta(days=i) for i in range(7)]
    extra = sorted({s.day for s in shifts} - set(week))
    if extra:
        LOGGER.warning("%d shift day(s) fall outside the week of %s: %s", len(extra), week_start, extra)
    bases = tuple(BaseView(b.id, b.name or b.id, b.kind, b.lat, b.lon) for b in scenario.bases)
    return PlanView(
        plan=plan,
        scenario=scenario,
        tz=tz,
        week_start=week_start,
        days=tuple(week + extra),
        district_names={code: d.name for code, d in scenario.districts.items()},
        hotspots=tuple(hotspots),
        bases=bases,
        shifts=tuple(shifts),
        crews=tuple(crews),
    )


def hhmm(moment: datetime | None) -> str:
    """``HH:MM`` of a local time ("" for None); in the hour the clocks go back, ``01:22 GMT`` / ``01:44 BST``.

    Why the zone there: that hour happens twice, and a route reading 01:44 then 01:22 is only right
    when the reader can see which 01:xx is meant.
    """
    if moment is None:
        return ""
    text = moment.strftime("%H:%M")
    if moment.tzinfo is not None and moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset():
        text += f" {moment.tzname()}"
    return text


def clock_on(moment: datetime, day: date) -> str:
    """``HH:MM`` of a local time, with ``(+1)`` when it falls after ``day`` (a break after midnight)."""
    later = (moment.date() - day).days
    return hhmm(moment) + (f" (+{later})" if later > 0 else "")


def span(start: datetime, end: datetime, *, day: date | None = None) -> str:
    """``13:00-20:44``; an end on a later day than ``day`` (default: the start's) gets ``(+1)``."""
    first = day or start.date()
    later = (end.date() - first).days
    suffix = f" (+{later})" if later > 0 else ""
    return f"{hhmm(start)}–{hhmm(end)}{suffix}"


def revision_lines(view: PlanView) -> list[str]:
    """What a printed roster says of its revision: which one, a hand edit, and the shifts it withdrew.

    Why: a roster on a noticeboard must be told apart from the one it replaces, as the calendars are.
    """
    if not view.revision and not view.withdrawn and not view.summary.get("edited"):
        return []
    lines = [
        f"Revision {view.revision}"
        + (f" (replaces revision {view.revision - 1})" if view.revision else "")
        + ("; figures recomputed after a hand edit" if view.summary.get("edited") else "")
    ]
    if view.withdrawn:
        dropped = sorted(view.withdrawn, key=lambda w: (w.start.timestamp(), w.staff_id))
        shown = "; ".join(
            f"{w.staff_id} {day_label(w.day)} {span(w.start.astimezone(view.tz), w.end.astimezone(view.tz))}"
            for w in dropped
        )
        lines.append(f"Withdrawn since the last revision ({len(dropped)}): {shown}")
    lines += _changed_lines(view)
    return lines


def plan_notes(view: PlanView) -> list[str]:
    """The plan's notes (``summary.notes``): why budget is left, who was re-planned, network warnings.

    Why in every view: the console shows them once; the returns officer reading "73% of the SV grant used"
    in the workbook needs the note saying why, and the supervisor the one saying who was re-planned.
    """
    notes = view.summary.get("notes")
    return [str(note) for note in notes] if isinstance(notes, list) else []


#: How the roster names each kind of change to a kept shift (``summary.changed_shifts``).
_CHANGE_TITLES = {
    "new shift": "New shifts (people called in)",
    "times": "Shift times moved",
    "break": "Breaks moved",
    "crew": "Crewmates changed",
    "route": "Routes changed",
}


def _changed_lines(view: PlanView) -> list[str]:
    """One line per kind of change since the last revision, each shift with its person, day and times now.

    Why: supervisors brief staff from the printout; a re-plan that keeps shift times still moves breaks
    and routes, and may call people in, which only a line like this tells them.
    """
    records = view.summary.get("changed_shifts")
    if not view.revision or not isinstance(records, list):
        return []
    grouped: dict[str, list[tuple[float, str]]] = {kind: [] for kind in _CHANGE_TITLES}
    for record in records:
        try:
            start = datetime.fromisoformat(str(record["shift_start"])).astimezone(view.tz)
            end = datetime.fromisoformat(str(record["shift_end"])).astimezone(view.tz)
            label = f"{record['staff_id']} {day_label(start.date())} {span(start, end)}"
            kinds = [str(kind) for kind in record["changes"]]
        except (KeyError, TypeError, ValueError):
            LOGGER.warning("summary.json: changed shift %r does not read; it is left off the roster", record)
            continue
        for kind in kinds:
            if kind in grouped:
                grouped[kind].append((start.timestamp(), label))
    return [
        f"{_CHANGE_TITLES[kind]} since the last revision ({len(shifts)}): "
        + "; ".join(label for _when, label in sorted(shifts))
        for kind, shifts in grouped.items()
        if shifts
    ]


def day_label(day: date) -> str:
    """``Mon 21 Oct 2024``."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def long_day_label(day: date) -> str:
    """``Monday 21 October 2024``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def money(value: float) -> str:
    """``£1,234.50``."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
