"""Scenario files: YAML -> validated, frozen Scenario (pydantic), with `extends`, `--set` overrides and line numbers.

A scenario expresses the whole operating model of one force's hotspot patrol programme: the grant
period and allocations, districts, hotspots, bases, staff and their contracts, pay and working-time
rules, travel model and solver settings. Everything numeric carries its unit in its name.

Precedence, lowest first: schema defaults < base file (``extends:``) < this file < ``--set`` overrides.
Problems are collected in three layers (schema, cross-references, later data checks) and raised
together as one :class:`~optimiser.errors.ScenarioError` naming file, line and field path.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimiser.errors import Problem, ScenarioError

DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
log = logging.getLogger(__name__)

DAYS: tuple[DayName, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROJECT_NAMES: tuple[Literal["asb", "sv"], ...] = ("asb", "sv")
POLICE_UK_CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
"""The 'Crime type' categories of police.uk street-level files (data.police.uk/about): a misspelt type in
a scenario would match no incident and give a project no hotspots."""
DEFAULT_PROFILES: dict[Literal["warden", "officer", "pcso"], Literal["walk", "drive"]] = {
    "warden": "walk",
    "pcso": "walk",
    "officer": "drive",
}
DEFAULT_SPEEDS_KMH: dict[Literal["walk", "drive"], float] = {"walk": 4.8, "drive": 30.0}
Role = Literal["warden", "officer", "pcso"]
ProjectName = Literal["asb", "sv"]
HotspotProject = Literal["asb", "sv", "joint"]
Profile = Literal["walk", "drive"]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "cleveland.yaml"

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time:
    """Parse ``HH:MM`` (24-hour clock) into a :class:`datetime.time`."""
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"expected a time as HH:MM (24-hour clock, e.g. '14:00'), got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _check_hhmm(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a time as a quoted 'HH:MM' string, got {value!r}")
    parse_hhmm(value)
    return value


HHMM = Annotated[str, Field(description="local clock time 'HH:MM'; an end at or before the start means the next day")]


class _Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """The grant period, both dates inclusive (e.g. 2024-04-01 .. 2025-03-31)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def days(self) -> int:
        """Number of days in the period, inclusive."""
        return (self.end - self.start).days + 1


class District(_Model):
    """A council area whose wardens patrol its own ASB hotspots."""

    name: str = Field(min_length=1)


class PatrolWindow(_Model):
    """When a project's patrols count, with a weight for peak times.

    A window starting on one of ``days`` at ``start`` and ending at ``end`` (the next day when ``end``
    is at or before ``start``). A visit's value uses the weight of the window containing its arrival.
    """

    days: list[DayName] = Field(default_factory=lambda: list(DAYS), min_length=1)
    start: HHMM
    end: HHMM
    weight: float = Field(default=1.0, gt=0, le=10)

    _v_start = field_validator("start", "end")(classmethod(lambda cls, v: _check_hhmm(v)))


class DosagePolicy(_Model):
    """How long and how often a hotspot is visited (Koper curve; revisit every ~2 h; cap against over-policing)."""

    dwell_min_minutes: int = Field(default=10, ge=10, le=20)
    dwell_target_minutes: int = Field(default=15, ge=10, le=20)
    dwell_max_minutes: int = Field(default=20, ge=10, le=20)
    revisit_gap_minutes: int = Field(
        default=120,
        ge=30,
        le=1440,
        description="least minutes between two arrivals at one hotspot (all crews); at least 30: plans are made "
        "in half-hour slots, at most one visit to a hotspot starting in any 30 minutes",
    )
    visits_wanted_per_day: int = Field(default=2, ge=0, le=24)
    max_presence_minutes_per_day: int = Field(default=90, ge=10, le=1440)
    repeat_visit_factor: float = Field(default=0.6, gt=0, le=1)

    @field_validator("revisit_gap_minutes", mode="before")
    @classmethod
    def _half_hour_at_least(cls, value: Any) -> Any:
        # said in planner terms before the bare bound does: why a shorter gap cannot be planned
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 30:
            raise ValueError(
                f"{value:g} minutes is too short: plans are made in half-hour slots, at most one visit to a hotspot "
                "starting in any 30 minutes, so the revisit gap must be at least 30 (the evidence suggests about 120)"
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> DosagePolicy:
        if not self.dwell_min_minutes <= self.dwell_target_minutes <= self.dwell_max_minutes:
            raise ValueError(
                "dwell times must satisfy dwell_min_minutes <= dwell_target_minutes <= dwell_max_minutes "
                f"(got {self.dwell_min_minutes}, {self.dwell_target_minutes}, {self.dwell_max_minutes})"
            )
        if self.max_presence_minutes_per_day < self.dwell_min_minutes:
            raise ValueError("max_presence_minutes_per_day is shorter than one minimum visit (dwell_min_minutes)")
        return self


class Project(_Model):
    """One funded project (ASB or SV): its money, who patrols it, when, and its dosage policy."""

    allocation_gbp: float = Field(ge=0, le=1e9, description="grant allocation for the whole period, GBP")
    weekly_budget_gbp: float | None = Field(
        default=None,
        ge=0,
        le=1e8,
        description="override; default allocation x days of the week in the period / days in the period",
    )
    roles: list[Role] = Field(min_length=1)
    crime_types: list[str] = Field(min_length=1, description="police.uk 'Crime type' values counted for this project")
    windows: list[PatrolWindow] = Field(min_length=1)
    dosage: DosagePolicy = DosagePolicy()
    hotspots_per_district: int | dict[str, int] = Field(
        default=5,
        description="how many hotspots `patrol hotspots refresh` picks in each district (a number for every "
        "district, or district code -> number; a district not listed gets none)",
    )

    @field_validator("crime_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in POLICE_UK_CRIME_TYPES]
        if unknown:
            raise ValueError(
                f"unknown police.uk crime type(s) {unknown}; use the 'Crime type' names of police.uk files: "
                + ", ".join(POLICE_UK_CRIME_TYPES)
            )
        if len(set(value)) != len(value):
            raise ValueError("a crime type is listed twice")
        return value

    @field_validator("hotspots_per_district")
    @classmethod
    def _counts(cls, value: int | dict[str, int]) -> int | dict[str, int]:
        counts = [value] if isinstance(value, int) else list(value.values())
        if any(c < 0 or c > 100 for c in counts):
            raise ValueError("hotspots per district must be 0 to 100")
        return value


class Projects(_Model):
    """The two projects, run separately with separate budgets."""

    asb: Project
    sv: Project

    @model_validator(mode="after")
    def _separate_types(self) -> Projects:
        # a crime type in both would be counted for one project only when hotspots are detected
        shared = sorted(set(self.asb.crime_types) & set(self.sv.crime_types))
        if shared:
            raise ValueError(
                f"crime type(s) {shared} are listed for both asb and sv; each police.uk type feeds one project "
                "(a place high in both becomes a joint hotspot)"
            )
        return self

    def get(self, name: str) -> Project:
        """Return the project called ``name`` (``asb`` or ``sv``)."""
        return self.asb if name == "asb" else self.sv


def polygon_parts(polygon: Any) -> list[list[tuple[float, float]]]:
    """The rings of a hotspot polygon: one ring ``[[lon, lat], ...]``, or several ``[[[lon, lat], ...], ...]``.

    Why two forms: a hotspot whose units do not touch is published as the units themselves (several
    parts), so that its figures are the points inside it; a single ring stays as it always was.
    """
    if not polygon:
        return []
    first = polygon[0]
    if len(first) and isinstance(first[0], list | tuple):
        return [[(float(p[0]), float(p[1])) for p in ring] for ring in polygon]
    return [[(float(p[0]), float(p[1])) for p in polygon]]


class Hotspot(_Model):
    """A place to patrol: a point with a radius or a polygon, its harm weight and priority."""

    id: str = Field(min_length=1)
    name: str = ""
    district: str
    project: HotspotProject
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0, le=5000)
    polygon: list[tuple[float, float]] | list[list[tuple[float, float]]] | None = Field(
        default=None, description="[[lon, lat], ...] EPSG:4326, or a list of such rings (parts that do not touch)"
    )
    harm_weight: float = Field(gt=0, le=1e9)
    priority: int = Field(default=1, ge=1)
    harm_asb: float = Field(default=0.0, ge=0)
    harm_sv: float = Field(default=0.0, ge=0)
    incidents: int = Field(default=0, ge=0)
    incidents_asb: int = Field(default=0, ge=0)
    incidents_sv: int = Field(default=0, ge=0)

    @field_validator("polygon", mode="before")
    @classmethod
    def _polygon_form(cls, value: Any) -> Any:
        """One message for a polygon of the wrong form, not one per branch of the two forms it may take.

        Why: a ring exported with heights ([lon, lat, 0], as KML and some GeoJSON give) read as a dozen
        problems, half of them about the several-rings form the author never meant.
        """
        if value is None:
            return value

        def pair(point: Any) -> bool:
            return (
                isinstance(point, list | tuple)
                and len(point) == 2
                and all(isinstance(c, int | float) and not isinstance(c, bool) for c in point)
            )

        if isinstance(value, list | tuple) and value:
            if all(pair(point) for point in value):
                return value
            if all(isinstance(ring, list | tuple) and ring and all(pair(p) for p in ring) for ring in value):
                return value
        first = value[0] if isinstance(value, list | tuple) and value else None
        rings = isinstance(first, list | tuple) and bool(first) and isinstance(first[0], list | tuple)
        if rings:
            candidates = [p for ring in value for p in (ring if isinstance(ring, list | tuple) else [ring])]
        else:
            candidates = list(value) if isinstance(value, list | tuple) else [value]
        odd = next((p for p in candidates if not pair(p)), None)
        shown = f"; got {odd!r}" if odd is not None else ""
        raise ValueError(
            "a polygon is a ring of [lon, lat] pairs (two numbers each, no height), or a list of such rings for "
            f"parts that do not touch{shown}"
        )

    @model_validator(mode="after")
    def _shape(self) -> Hotspot:
        if self.polygon is not None and (not self.polygon or any(len(r) < 3 for r in polygon_parts(self.polygon))):
            raise ValueError("a polygon needs at least 3 [lon, lat] points (in each ring, when it has several)")
        return self

    def serves(self, project: str) -> bool:
        """Whether patrols of ``project`` (asb or sv) count here: its own project, or a joint hotspot."""
        return self.project == project or self.project == "joint"


class Base(_Model):
    """A warden base or police station: where shifts start and end."""

    id: str = Field(min_length=1)
    name: str = ""
    kind: Literal["warden_base", "police_station"]
    district: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Warden(_Model):
    """Council Community Wardens on fixed-term contracts: one (``id``) or a pool (``count`` + ``id_prefix``).

    Their contract cost is committed to the ASB grant whether or not they patrol.
    """

    id: str | None = None
    id_prefix: str | None = None
    count: int | None = Field(default=None, ge=1, le=500)
    district: str
    base: str
    contract_start: date
    contract_end: date
    contracted_hours_per_week: float = Field(gt=0, le=60)
    annual_cost_gbp: float = Field(ge=0, le=1_000_000, description="fully loaded, including employer on-costs")
    leave: list[date] = Field(default_factory=list, description="days of leave; each reduces the week's hours by 1/5")

    @model_validator(mode="after")
    def _contract(self) -> Warden:
        if self.contract_end < self.contract_start:
            raise ValueError(f"contract_end {self.contract_end} is before contract_start {self.contract_start}")
        if (self.id is None) == (self.id_prefix is None):
            raise ValueError("give either id (one warden) or id_prefix with count (a pool)")
        if self.id_prefix is not None and self.count is None:
            raise ValueError("a pool with id_prefix needs count")
        return self


class DatedPay(_Model):
    """An annual pay figure in force from a date (pay awards change it mid-year)."""

    from_date: date
    annual_gbp: float = Field(gt=0, le=1_000_000)


class DutyShift(_Model):
    """A normal (non-overtime) shift, repeating weekly on ``day``; the end may be the next day."""

    day: DayName
    start: HHMM
    end: HHMM

    _v = field_validator("start", "end")(classmethod(lambda cls, v: _check_hhmm(v)))


class Officer(_Model):
    """Police constables available for grant-funded overtime: one (``id``) or a pool (``count`` + ``id_prefix``)."""

    id: str | None = None
    id_prefix: str | None = None
    count: int | None = Field(default=None, ge=1, le=500)
    station: str
    pay: list[DatedPay] = Field(min_length=1, description="annual pay by date; hourly = annual x 7 / 365 / 40")
    duty: list[DutyShift] = Field(default_factory=list)
    duty_rotation_days: int = Field(
        default=0, ge=0, le=6, description="pool members' duty patterns are shifted by i x this many days"
    )
    leave: list[date] = Field(
        default_factory=list,
        description="days the person cannot work (leave, sickness): no patrol shift and no normal duty then; "
        "in a pool, every member",
    )

    @model_validator(mode="after")
    def _ident(self) -> Officer:
        if (self.id is None) == (self.id_prefix is None):
            raise ValueError("give either id (one officer) or id_prefix with count (a pool)")
        if self.id_prefix is not None and self.count is None:
            raise ValueError("a pool with id_prefix needs count")
        return self


class Pcso(_Model):
    """Police Community Support Officers: force-funded (cost reported, never charged to the grant)."""

    id: str | None = None
    id_prefix: str | None = None
    count: int | None = Field(default=None, ge=1, le=500)
    station: str
    hourly_cost_gbp: float = Field(gt=0, le=500, description="including employer on-costs")
    duty: list[DutyShift] = Field(default_factory=list)
    duty_rotation_days: int = Field(default=0, ge=0, le=6)
    leave: list[date] = Field(
        default_factory=list,
        description="days the person cannot work (leave, sickness): no patrol shift and no normal duty then; "
        "in a pool, every member",
    )

    @model_validator(mode="after")
    def _ident(self) -> Pcso:
        if (self.id is None) == (self.id_prefix is None):
            raise ValueError("give either id (one PCSO) or id_prefix with count (a pool)")
        if self.id_prefix is not None and self.count is None:
            raise ValueError("a pool with id_prefix needs count")
        return self


class Staff(_Model):
    """Everyone who can patrol."""

    wardens: list[Warden] = Field(default_factory=list)
    officers: list[Officer] = Field(default_factory=list)
    pcsos: list[Pcso] = Field(default_factory=list)


class OnCosts(_Model):
    """Employer on-cost rates added to pay (fractions, e.g. 0.138 for 13.8% employer NI)."""

    officer_overtime_rate: float = Field(default=0.138, ge=0, le=1)
    pcso_rate: float = Field(default=0.0, ge=0, le=1)


class Overtime(_Model):
    """Police Regulations 2003 Annex G/H overtime multipliers."""

    ordinary_multiplier: float = Field(default=1.333, ge=1, le=3)
    rest_day_multiplier: float = Field(default=1.5, ge=1, le=3)
    rest_day_min_paid_hours: float = Field(default=4.0, ge=0, le=12)
    public_holiday_multiplier: float = Field(default=2.0, ge=1, le=4)
    pay_week_hours: float = Field(default=40.0, gt=0, le=60, description="hourly = annual x 7 / 365 / this")


class ShiftTemplate(_Model):
    """A shift people may be rostered on: start and end clock times, days it may start on, roles."""

    id: str = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    start: HHMM
    end: HHMM
    days: list[DayName] = Field(default_factory=lambda: list(DAYS), min_length=1)
    break_minutes: int | None = Field(
        default=None, ge=0, le=120, description="break length; default from working_time when the shift is long"
    )

    _v = field_validator("start", "end")(classmethod(lambda cls, v: _check_hhmm(v)))

    def length_minutes(self) -> int:
        """Shift length in minutes (an end at or before the start is the next day)."""
        start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        return minutes if minutes > 0 else minutes + 1440


class WorkingTime(_Model):
    """Working-time rules (UK Working Time Regulations 1998 defaults; Police Federation fatigue guidance)."""

    daily_rest_hours: float = Field(default=11, ge=0, le=24)
    weekly_rest_hours: float = Field(default=24, ge=0, le=72)
    max_weekly_hours: float = Field(default=48, gt=0, le=100)
    break_after_hours: float = Field(default=6, gt=0, le=24)
    break_minutes: int = Field(default=20, ge=0, le=120)
    break_edge_minutes: int = Field(
        default=60,
        ge=0,
        le=240,
        description="a break starts at least this long after its shift starts and ends at least this long before "
        "it ends (WTR: taken during the working period, not at its start or end; assumption: an hour)",
    )
    breaks_paid: bool = False
    max_shift_hours: float = Field(default=12, gt=0, le=24)
    max_consecutive_days: int = Field(default=6, ge=1, le=14)


class TravelSettings(_Model):
    """How travel times are computed: a real street network from an OSM extract, or crow-fly x circuity."""

    model: Literal["crowfly", "network"] = "crowfly"
    extract: Path | None = Field(
        default=None, description="OSM extract (.osm, .osm.pbf, .graphml) relative to the YAML"
    )
    circuity: float = Field(default=1.3, ge=1, le=3)
    snap_max_m: float = Field(default=300, gt=0, le=5000)
    profiles: dict[Role, Profile] = Field(default_factory=lambda: dict(DEFAULT_PROFILES))
    speeds_kmh: dict[Profile, float] = Field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    beat_minutes: dict[Role, Annotated[int, Field(gt=0, le=24 * 60)]] = Field(
        default_factory=dict,
        description="largest travel time (minutes, crew profile) from a crew's base to a hotspot it patrols, by role; "
        "a crew takes the smallest of its members' limits; no entry means no limit",
    )

    @model_validator(mode="after")
    def _extract(self) -> TravelSettings:
        if self.model == "network" and self.extract is None:
            raise ValueError("model: network needs extract: (a .osm, .osm.pbf or .graphml file)")
        for profile in ("walk", "drive"):
            speed = self.speeds_kmh.get(profile)  # type: ignore[call-overload]
            if speed is None or not 0 < speed <= 130:
                raise ValueError(f"speeds_kmh.{profile} must be given, between 0 and 130 km/h")
        return self


class SolverSettings(_Model):
    """CP-SAT and routing parameters; results are deterministic for a given seed and worker count."""

    time_limit_seconds: float = Field(default=60, gt=0, le=86_400)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    workers: int = Field(default=2, ge=1, le=64)
    visit_grid_minutes: int = Field(default=15, ge=1, le=120, description="spacing of candidate visit arrival times")


class SoftWeights(_Model):
    """Weights of the soft rules, in dosage units, combined only in the objective."""

    visit_shortfall: float = Field(default=0.05, ge=0, description="per visit short of visits_wanted_per_day, x harm")
    hours_spread: float = Field(default=0.0, ge=0, description="per hour between the most and least worked of a role")
    nights_spread: float = Field(default=0.0, ge=0, description="per night shift between most and least")
    weekends_spread: float = Field(default=0.0, ge=0, description="per weekend shift between most and least")


class ForceAreaFiles(_Model):
    """The force's Lower Layer Super Output Areas: which district each is in, its area, its boundary.

    Why in the scenario: every force has its own LSOAs; hotspot detection keeps the incidents in them,
    assigns each to a council district and divides by the force's area (the Predictive Accuracy Index).
    """

    lsoa_file: Path = Field(
        description="CSV with LSOA21CD, LSOA21NM, LAD22CD, LAD22NM, area_m2_bgc (ONS), relative to the YAML"
    )
    lsoa_boundaries: Path | None = Field(
        default=None, description="GeoJSON of LSOA polygons (LSOA11CD or LSOA21CD), for the lsoa hotspot method"
    )


class Scenario(_Model):
    """A whole patrol programme scenario; see the README for every field."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    timezone: str = "Europe/London"
    period: Period
    default_week_start: date
    districts: dict[str, District] = Field(min_length=1)
    projects: Projects
    hotspots: list[Hotspot] = Field(default_factory=list)
    hotspots_file: Path | None = None
    hotspots_window: str | None = Field(
        default=None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2]):\d{4}-(0[1-9]|1[0-2])$",
        description="police.uk months the hotspots were detected from (YYYY-MM:YYYY-MM); taken from the "
        "hotspots file; a plan of a week inside or before them is warned about (it uses later data)",
    )
    force_area: ForceAreaFiles | None = Field(
        default=None,
        description="the force's LSOA tables, what hotspots refresh/evaluate take as the force area and districts",
    )
    police_uk_dir: Path | None = Field(
        default=None,
        description="folder of the force's police.uk monthly street files (YYYY-MM-<force>-street.csv[.gz], searched "
        "recursively), relative to the YAML: what hotspots refresh/evaluate and seasonal budgets read",
    )
    bases: list[Base] = Field(min_length=1)
    staff: Staff = Staff()
    on_costs: OnCosts = OnCosts()
    overtime: Overtime = Overtime()
    public_holidays: list[date] = Field(default_factory=list)
    shift_templates: list[ShiftTemplate] = Field(min_length=1)
    working_time: WorkingTime = WorkingTime()
    working_time_by_role: dict[Role, WorkingTime] = Field(default_factory=dict)
    sv_crewing: Literal["single", "double", "officer_pcso"] = "double"
    active_projects: list[ProjectName] = Field(
        default_factory=lambda: list(PROJECT_NAMES), min_length=1, description="projects planned in this scenario"
    )
    travel: TravelSettings = TravelSettings()
    solver: SolverSettings = SolverSettings()
    soft_weights: SoftWeights = SoftWeights()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/London)") from exc
        return value

    # ---- derived views -------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        """The scenario's time zone."""
        return ZoneInfo(self.timezone)

    def rules_for(self, role: str) -> WorkingTime:
        """Working-time rules for a role (a role-specific override, else the general rules)."""
        return self.working_time_by_role.get(role, self.working_time)  # type: ignore[call-overload]

    def weekly_budget_gbp(self, project: str, week_start: date) -> float:
        """The project's budget for the week starting ``week_start``.

        Default: allocation x (days of the week inside the period) / (days in the period), so a
        week straddling the period end gets a pro-rata share; an explicit override wins.
        """
        spec = self.projects.get(project)
        if spec.weekly_budget_gbp is not None:
            return spec.weekly_budget_gbp
        inside = sum(1 for i in range(7) if self.period.start <= week_start + timedelta(days=i) <= self.period.end)
        return spec.allocation_gbp * inside / self.period.days

    def warden_list(self) -> list[ExpandedWarden]:
        """Wardens with pools expanded to ids such as ``W-MID-01``."""
        out: list[ExpandedWarden] = []
        for entry in self.staff.wardens:
            ids = [entry.id] if entry.id is not None else _pool_ids(entry.id_prefix or "", entry.count or 0)
            for staff_id in ids:
                out.append(
                    ExpandedWarden(
                        id=staff_id,
                        district=entry.district,
                        base=entry.base,
                        contract_start=entry.contract_start,
                        contract_end=entry.contract_end,
                        contracted_hours_per_week=entry.contracted_hours_per_week,
                        annual_cost_gbp=entry.annual_cost_gbp,
                        leave=tuple(entry.leave),
                    )
                )
        return out

    def officer_list(self) -> list[ExpandedOfficer]:
        """Officers with pools expanded to ids such as ``PC-MID-01``, duty rotated per member."""
        return [ExpandedOfficer(**e) for e in _expand_pool(self.staff.officers, "officer")]

    def pcso_list(self) -> list[ExpandedPcso]:
        """PCSOs with pools expanded to ids such as ``PCSO-MID-01``."""
        return [ExpandedPcso(**e) for e in _expand_pool(self.staff.pcsos, "pcso")]

    def base(self, base_id: str) -> Base:
        """The base or station with this id."""
        for base in self.bases:
            if base.id == base_id:
                return base
        raise KeyError(base_id)


@dataclass(frozen=True)
class ExpandedWarden:
    """One warden after pool expansion."""

    id: str
    district: str
    base: str
    contract_start: date
    contract_end: date
    contracted_hours_per_week: float
    annual_cost_gbp: float
    leave: tuple[date, ...]


@dataclass(frozen=True)
class ExpandedOfficer:
    """One officer after pool expansion."""

    id: str
    station: str
    pay: tuple[DatedPay, ...]
    duty: tuple[DutyShift, ...]
    leave: tuple[date, ...] = ()


@dataclass(frozen=True)
class ExpandedPcso:
    """One PCSO after pool expansion."""

    id: str
    station: str
    hourly_cost_gbp: float
    duty: tuple[DutyShift, ...]
    leave: tuple[date, ...] = ()


def _rotate(duty: Sequence[DutyShift], days: int) -> tuple[DutyShift, ...]:
    if days == 0:
        return tuple(duty)
    return tuple(
        DutyShift(day=DAYS[(DAYS.index(shift.day) + days) % 7], start=shift.start, end=shift.end) for shift in duty
    )


def _pool_ids(prefix: str, count: int) -> list[str]:
    width = max(2, len(str(count)))
    return [f"{prefix}-{i + 1:0{width}d}" for i in range(count)]


def _expand_pool(entries: Sequence[Officer | Pcso], role: str) -> list[dict[str, Any]]:
    expanded: list[dict[str, Any]] = []
    for entry in entries:
        extra: dict[str, Any] = (
            {"pay": tuple(entry.pay)} if isinstance(entry, Officer) else {"hourly_cost_gbp": entry.hourly_cost_gbp}
        )
        extra["leave"] = tuple(entry.leave)
        if entry.id is not None:
            expanded.append({"id": entry.id, "station": entry.station, "duty": tuple(entry.duty), **extra})
            continue
        assert entry.count is not None and entry.id_prefix is not None
        for i, staff_id in enumerate(_pool_ids(entry.id_prefix, entry.count)):
            expanded.append(
                {
                    "id": staff_id,
                    "station": entry.station,
                    "duty": _rotate(entry.duty, (i * entry.duty_rotation_days) % 7),
                    **extra,
                }
            )
    return expanded


# ------------------------------------------------------------------------------------------------
# YAML loading with line numbers
# ------------------------------------------------------------------------------------------------


class _ValueProblem(yaml.constructor.ConstructorError):
    """A value YAML reads but the scenario cannot take (a date that does not exist, a key given twice)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 sexagesimal integers, so 14:00 stays the string '14:00'.

    It also refuses a key given twice in one mapping (YAML keeps the last silently, so a pasted line
    changed an allocation unseen) and names an impossible date (2024-02-30) at its line.
    """

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue  # a list or mapping as a key: YAML's own error names it ("unhashable key")
                key = key_node.value
                if key in seen and key_node.tag != "tag:yaml.org,2002:merge":
                    raise _ValueProblem(
                        None,
                        None,
                        f"{key}: given twice (also at line {seen[key]}); keep one",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise _ValueProblem(
                None, None, f"{node.value!r} is not a date ({exc}); write a real date as YYYY-MM-DD", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)

PathKey = tuple[str | int, ...]


def _line_map(node: yaml.Node, prefix: PathKey, lines: dict[PathKey, int]) -> None:
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*prefix, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*prefix, key), lines)
            lines[(*prefix, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*prefix, index), lines)


@dataclass
class _Source:
    """One YAML file read: its data, and where each field path was written."""

    path: Path
    data: dict[str, Any]
    lines: dict[PathKey, int]


def _read_yaml(path: Path) -> _Source:
    shown = str(path)
    if not path.exists():
        raise ScenarioError(
            [
                Problem(
                    shown,
                    None,
                    "",
                    "file not found; check the path (one on the command line is from the current directory, one "
                    "inside a YAML file from that file's folder)",
                )
            ]
        )
    if path.is_dir():
        raise ScenarioError([Problem(shown, None, "", "is a folder, not a scenario YAML file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(shown, None, "", f"cannot be read ({exc}); save it as UTF-8 text")]) from exc
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, _ValueProblem):
            raise ScenarioError([Problem(shown, line, "", problem)]) from exc
        raise ScenarioError([Problem(shown, line, "", f"broken YAML: {problem}; fix the syntax at that line")]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(shown, 1, "", "a scenario must be a YAML mapping of fields (name: ..., period: ...)")]
        )
    lines: dict[PathKey, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return _Source(path, data, lines)


_PATH_FIELDS: tuple[PathKey, ...] = (
    ("hotspots_file",),
    ("police_uk_dir",),
    ("travel", "extract"),
    ("force_area", "lsoa_file"),
    ("force_area", "lsoa_boundaries"),
)


def _resolve_paths(data: dict[str, Any], base_dir: Path) -> None:
    """Make path fields absolute relative to the YAML file that wrote them."""
    for path_key in _PATH_FIELDS:
        holder: Any = data
        for key in path_key[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        leaf = path_key[-1]
        if isinstance(holder, dict) and isinstance(holder.get(leaf), str):
            candidate = Path(holder[leaf]).expanduser()
            holder[leaf] = str(candidate if candidate.is_absolute() else (base_dir / candidate).resolve())


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _paths_of(data: Any, prefix: PathKey = ()) -> Iterable[PathKey]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths_of(value, (*prefix, index))


@dataclass
class _Origins:
    """For each field path, which file (and line) last set it."""

    where: dict[PathKey, tuple[str, int | None]] = field(default_factory=dict)

    def record(self, source: _Source, data: Mapping[str, Any]) -> None:
        for path_key in _paths_of(dict(data)):
            if path_key:
                self.where[path_key] = (str(source.path), source.lines.get(path_key))

    def locate(self, loc: PathKey, default_file: str) -> tuple[str, int | None]:
        # a --set inside the failing field is the likelier cause than the file line that opened the field
        for path_key, (source, _line) in self.where.items():
            if source.startswith("--set ") and len(path_key) > len(loc) and tuple(path_key[: len(loc)]) == tuple(loc):
                return source, None
        for cut in range(len(loc), 0, -1):
            found = self.where.get(tuple(loc[:cut]))
            if found is not None:
                return found
        return default_file, None


def _load_chain(path: Path, origins: _Origins, seen: tuple[Path, ...]) -> dict[str, Any]:
    source = _read_yaml(path)
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in (*seen, resolved))
        raise ScenarioError(
            [Problem(str(path), source.lines.get(("extends",)), "extends", f"circular extends: {chain}")]
        )
    data = dict(source.data)
    _resolve_paths(data, path.parent)
    parent_name = data.pop("extends", None)
    merged: dict[str, Any] = {}
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise ScenarioError([Problem(str(path), source.lines.get(("extends",)), "extends", "must be a file name")])
        parent = Path(parent_name)
        parent = parent if parent.is_absolute() else path.parent / parent
        if not parent.exists():
            raise ScenarioError(
                [Problem(str(path), source.lines.get(("extends",)), "extends", f"base scenario {parent} not found")]
            )
        merged = _load_chain(parent, origins, (*seen, resolved))
    origins.record(source, data)
    return _deep_merge(merged, data)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse a ``--set a.b.c=value`` override into its key path and YAML-typed value."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected key.path=value, e.g. projects.sv.weekly_budget_gbp=9000")
    key, _, raw = text.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ScenarioError(f"--set {text!r}: the key path is empty")
    try:
        value = yaml.load(raw, Loader=_Loader) if raw.strip() else ""
    except _ValueProblem as exc:
        raise ScenarioError(f"--set {text!r}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"--set {text!r}: the value is not valid YAML ({exc})") from exc
    return parts, value


def _apply_override(data: dict[str, Any], parts: list[str], value: Any, text: str) -> None:
    holder: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(holder, list):
            if not part.isdigit() or int(part) >= len(holder):
                raise ScenarioError(f"--set {text}: {'.'.join(parts[: depth + 1])} is not an index of that list")
            holder = holder[int(part)]
        else:
            holder = holder.setdefault(part, {})
        if not isinstance(holder, dict | list):
            raise ScenarioError(f"--set {text}: {'.'.join(parts[: depth + 1])} is a value, not a section")
    last = parts[-1]
    if isinstance(holder, list):
        if not last.isdigit() or int(last) >= len(holder):
            raise ScenarioError(f"--set {text}: {last} is not an index of that list")
        holder[int(last)] = value
    else:
        holder[last] = value


def _fmt_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario plus where it came from (for plans to record)."""

    scenario: Scenario
    path: Path
    overrides: tuple[str, ...]
    resolved: dict[str, Any]
    sha256: str

    def resolved_yaml(self) -> str:
        """The fully resolved scenario (after extends and --set) as YAML: the plan's record."""
        return yaml.safe_dump(self.resolved, sort_keys=False, allow_unicode=True)


def load_scenario(path: str | Path | None = None, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Load, merge (``extends``), override (``--set``) and validate a scenario file.

    Parameters
    ----------
    path : str or Path, optional
        The scenario YAML; ``None`` means the embedded default (``scenarios/cleveland.yaml``).
    overrides : sequence of str
        ``key.path=value`` overrides applied last (highest precedence).

    Raises
    ------
    ScenarioError
        Listing every problem found, each as ``file:line: field.path: message``.
    """
    scenario_path = Path(path) if path is not None else DEFAULT_SCENARIO
    origins = _Origins()
    data = _load_chain(scenario_path, origins, ())
    for text in overrides:
        parts, value = parse_override(text)
        _apply_override(data, parts, value, text)
        # list indices as the validator's locations give them (ints), so an error there is blamed on --set
        origins.where[tuple(int(part) if part.isdigit() else part for part in parts)] = (f"--set {text}", None)
    if overrides:
        # a path given with --set is from the current directory (the YAML files' own are absolute by now), and
        # absolute in the resolved scenario so a plan folder's copy reads the same anywhere
        _resolve_paths(data, Path.cwd())
    hotspots_file = data.get("hotspots_file")
    if hotspots_file:
        file_hotspots, window = _read_hotspots_file(
            Path(str(hotspots_file)), origins, offset=len(data.get("hotspots") or [])
        )
        # the resolved scenario embeds the file's hotspots, so it is self-contained (plans are checked anywhere)
        data = {**data, "hotspots": list(data.get("hotspots") or []) + file_hotspots, "hotspots_file": None}
        if window:
            data["hotspots_window"] = window  # the file's own months: they are what the hotspots came from
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            file, line = origins.locate(loc, str(scenario_path))
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field; check the spelling (patrol schema lists every field)"
            elif message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            elif (
                error["type"] != "missing"
                and "got" not in message
                and isinstance(error.get("input"), str | int | float | bool)
            ):
                # pydantic's own messages do not say what was written: show it, to find it in the file
                message = f"{message}; got {error['input']!r}"
            problems.append(Problem(file, line, _fmt_loc(loc), message))
    if scenario is not None:
        problems.extend(cross_check(scenario, origins, str(scenario_path)))
        for warning in leave_warnings(scenario, origins, str(scenario_path)):
            log.warning("%s", warning)
    else:  # the sections' own errors hide the cross-references: check the ones raw data allows, all in one run
        problems.extend(_raw_cross_check(data, origins, str(scenario_path)))
    if problems:
        raise ScenarioError(problems)
    assert scenario is not None
    canonical = yaml.safe_dump(_jsonable(data), sort_keys=True)
    return LoadedScenario(
        scenario=scenario,
        path=scenario_path,
        overrides=tuple(overrides),
        resolved=_jsonable(data),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _read_hotspots_file(path: Path, origins: _Origins, *, offset: int = 0) -> tuple[list[Any], str | None]:
    """Read a ``hotspots_file``: its entries and the police.uk months they come from (``window``, if given).

    Its problems are reported at its own lines (entries follow ``offset`` inline ones).
    """
    source = _read_yaml(path)
    hotspots = source.data.get("hotspots")
    if not isinstance(hotspots, list):
        raise ScenarioError([Problem(str(path), 1, "hotspots", "a hotspots file must hold a list under 'hotspots:'")])
    unknown = sorted(set(source.data) - {"hotspots", "generated_by", "window", "method"})
    if unknown:
        line = source.lines.get((unknown[0],))
        raise ScenarioError([Problem(str(path), line, unknown[0], "unknown field in hotspots file")])
    for key, line in source.lines.items():
        if len(key) >= 2 and key[0] == "hotspots" and isinstance(key[1], int):
            origins.where[("hotspots", key[1] + offset, *key[2:])] = (str(path), line)
    window = source.data.get("window")
    months = str(window).split(":")
    if window is not None and (
        not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2]):\d{4}-(0[1-9]|1[0-2])", str(window)) or months[0] > months[1]
    ):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    source.lines.get(("window",)),
                    "window",
                    "must be YYYY-MM:YYYY-MM, first month to last (police.uk months)",
                )
            ]
        )
    return hotspots, str(window) if window else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


#: Mean Earth radius (IUGG), metres.
MEAN_EARTH_RADIUS_M = 6_371_008.8
#: A hotspot farther than this from every base is taken for a misplaced point (a force area is far smaller).
FARTHEST_HOTSPOT_KM = 100.0


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres between two points in degrees, on the mean Earth radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * MEAN_EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, half)))


def _misplaced(hotspot: Hotspot, bases: Sequence[Base]) -> str:
    """Why a hotspot's point is not where it should be (empty when it is plausible).

    Why: a point with lat and lon swapped validated and planned, and the hotspot silently got no visits
    (no crew could reach it). Its own polygon, and the bases, say where it should be.
    """
    where = f"({hotspot.lat:g}, {hotspot.lon:g})"
    if hotspot.polygon:
        points = [p for ring in polygon_parts(hotspot.polygon) for p in ring]
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        margin = 0.01  # degrees, about a kilometre: a point beside its area is still plausible
        inside = min(lats) - margin <= hotspot.lat <= max(lats) + margin
        if not (inside and min(lons) - margin <= hotspot.lon <= max(lons) + margin):
            return (
                f"the point {where} lies outside the hotspot's own polygon (lat {min(lats):g}..{max(lats):g}, "
                f"lon {min(lons):g}..{max(lons):g}): lat and lon swapped?"
            )
    if bases:
        km, nearest = min((great_circle_m(hotspot.lat, hotspot.lon, b.lat, b.lon) / 1000, b.id) for b in bases)
        if km > FARTHEST_HOTSPOT_KM:
            return (
                f"the point {where} is {km:,.0f} km from the nearest base ({nearest}): lat and lon swapped, or a "
                "point outside the force area?"
            )
    return ""


def cross_check(scenario: Scenario, origins: _Origins | None = None, default_file: str = "") -> list[Problem]:
    """Layer 2: cross-references between sections (a warden's district exists, ids are unique, ...)."""
    origins = origins or _Origins()
    problems: list[Problem] = []

    def add(loc: PathKey, message: str) -> None:
        file, line = origins.locate(loc, default_file)
        problems.append(Problem(file, line, _fmt_loc(loc), message))

    districts = set(scenario.districts)
    base_ids = [b.id for b in scenario.bases]
    bases = {b.id: b for b in scenario.bases}
    if len(set(base_ids)) != len(base_ids):
        add(("bases",), f"duplicate base ids: {sorted({b for b in base_ids if base_ids.count(b) > 1})}")
    for i, base in enumerate(scenario.bases):
        if base.district is not None and base.district not in districts:
            add(("bases", i, "district"), f"unknown district {base.district!r}; known: {sorted(districts)}")

    week = scenario.default_week_start
    if week.weekday() != 0:
        add(("default_week_start",), f"{week} is a {week.strftime('%A')}; a week starts on a Monday")
    if not scenario.period.start <= week <= scenario.period.end:
        add(("default_week_start",), f"{week} is outside the period {scenario.period.start}..{scenario.period.end}")

    seen_hotspots: set[str] = set()
    for i, hotspot in enumerate(scenario.hotspots):
        if hotspot.id in seen_hotspots:
            add(("hotspots", i, "id"), f"duplicate hotspot id {hotspot.id!r}")
        seen_hotspots.add(hotspot.id)
        if hotspot.district not in districts:
            add(("hotspots", i, "district"), f"unknown district {hotspot.district!r}; known: {sorted(districts)}")
        if hotspot.radius_m is None and hotspot.polygon is None:
            add(("hotspots", i), "give radius_m or polygon for the hotspot's area")
        if problem := _misplaced(hotspot, scenario.bases):
            add(("hotspots", i, "lat"), problem)

    def replaced(loc: PathKey, section: str = "bases") -> str:
        """A hint when a list comes from another file than the field naming it (a child replaced the list)."""
        where, _ = origins.locate((section,), default_file)
        here, _ = origins.locate(loc, default_file)
        if where != here:
            what = section.replace("_", " ")
            return (
                f" (the {what} come from {where}: under extends:, a list a file gives replaces the base file's whole)"
            )
        return ""

    staff_ids: list[str] = [w.id for w in scenario.warden_list()]
    for i, warden in enumerate(scenario.staff.wardens):
        if warden.district not in districts:
            add(
                ("staff", "wardens", i, "district"), f"unknown district {warden.district!r}; known: {sorted(districts)}"
            )
        if warden.base not in bases:
            loc = ("staff", "wardens", i, "base")
            add(loc, f"unknown base {warden.base!r}; known: {sorted(bases)}{replaced(loc)}")
    police: list[tuple[str, Sequence[Officer | Pcso]]] = [
        ("officers", scenario.staff.officers),
        ("pcsos", scenario.staff.pcsos),
    ]
    for kind, entries in police:
        for i, entry in enumerate(entries):
            if entry.station not in bases:
                loc = ("staff", kind, i, "station")
                add(loc, f"unknown station {entry.station!r}; known: {sorted(bases)}{replaced(loc)}")
    staff_ids += [o.id for o in scenario.officer_list()] + [p.id for p in scenario.pcso_list()]
    duplicates = sorted({s for s in staff_ids if staff_ids.count(s) > 1})
    if duplicates:
        add(("staff",), f"duplicate staff ids: {duplicates}")

    template_ids = [t.id for t in scenario.shift_templates]
    if len(set(template_ids)) != len(template_ids):
        add(("shift_templates",), "duplicate shift template ids")
    for i, template in enumerate(scenario.shift_templates):
        for role in template.roles:
            limit = scenario.rules_for(role).max_shift_hours
            if template.length_minutes() > limit * 60:
                add(
                    ("shift_templates", i),
                    f"shift {template.id} lasts {template.length_minutes() / 60:.2f} h, over max_shift_hours "
                    f"{limit:g} for {role}s",
                )
    for name in ("asb", "sv"):
        project = scenario.projects.get(name)
        for role in project.roles:
            if not any(role in t.roles for t in scenario.shift_templates):
                roles_loc: PathKey = ("projects", name, "roles")
                add(roles_loc, f"no shift template allows role {role!r}{replaced(roles_loc, 'shift_templates')}")
    for name in ("asb", "sv"):
        counts = scenario.projects.get(name).hotspots_per_district
        if isinstance(counts, dict):
            for district in counts:
                if district not in districts:
                    add(
                        ("projects", name, "hotspots_per_district", district),
                        f"unknown district {district!r}; known: {sorted(districts)}",
                    )
    if "warden" in scenario.projects.sv.roles:
        add(("projects", "sv", "roles"), "wardens patrol ASB hotspots only (council grant agreements)")
    for role in scenario.projects.asb.roles:
        if role != "warden":
            add(("projects", "asb", "roles"), f"ASB hotspots are patrolled by wardens; {role!r} is not allowed")
    return problems


def leave_warnings(scenario: Scenario, origins: _Origins | None = None, default_file: str = "") -> list[str]:
    """Leave days no week of the grant can see, as ``file:line: field: message`` warnings.

    Why: a year typed wrong (2025-05-14 for 2024-05-14) leaves the person rostered on the day meant, and
    nothing said. Warnings, not errors: a what-if that shortens contracts, or a leave list kept across years,
    is legitimate. Officers' and PCSOs' leave a day either side of the period can still shape the first or
    last week (duty from the Sunday before, to the Monday after).
    """
    origins = origins or _Origins()
    period = scenario.period
    out: list[str] = []

    def warn(loc: PathKey, message: str) -> None:
        file, line = origins.locate(loc, default_file)
        out.append(str(Problem(file, line, _fmt_loc(loc), message)))

    for i, warden in enumerate(scenario.staff.wardens):
        who = warden.id or f"the {warden.id_prefix} pool"
        for k, day in enumerate(warden.leave):
            if not period.start <= day <= period.end:
                warn(
                    ("staff", "wardens", i, "leave", k),
                    f"leave {day} is outside the grant period {period.start}..{period.end}, so no plan sees it (the "
                    "year typed wrong?)",
                )
            elif not warden.contract_start <= day <= warden.contract_end:
                warn(
                    ("staff", "wardens", i, "leave", k),
                    f"leave {day} is outside {who}'s contract {warden.contract_start}..{warden.contract_end}, so no "
                    "plan sees it",
                )
    police: list[tuple[str, Sequence[Officer | Pcso]]] = [
        ("officers", scenario.staff.officers),
        ("pcsos", scenario.staff.pcsos),
    ]
    for kind, entries in police:
        for i, entry in enumerate(entries):
            for k, day in enumerate(entry.leave):
                if not period.start - timedelta(days=1) <= day <= period.end + timedelta(days=1):
                    warn(
                        ("staff", kind, i, "leave", k),
                        f"leave {day} is outside the grant period {period.start}..{period.end}, so no plan sees it "
                        "(the year typed wrong?)",
                    )
    return out


def _raw_cross_check(data: Mapping[str, Any], origins: _Origins, default_file: str) -> list[Problem]:
    """The cross-references of :func:`cross_check` that need no valid model, read from the raw YAML.

    Repeated ids, unknown districts and bases. Only plain values are compared (an id, district or base
    that is not text or a whole number, or a section that is not a list, has its own field error already),
    so nothing here is reported twice or made up from a value the schema rejects.
    """
    problems: list[Problem] = []

    def add(loc: PathKey, message: str) -> None:
        file, line = origins.locate(loc, default_file)
        problems.append(Problem(file, line, _fmt_loc(loc), message))

    def plain(value: Any) -> str | None:
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None

    def section(*path: str) -> list[Any] | None:
        holder: Any = data
        for key in path:
            holder = holder.get(key) if isinstance(holder, Mapping) else None
        return holder if isinstance(holder, list) else None

    def entries(*path: str) -> list[tuple[int, Mapping[str, Any]]]:
        return [(i, e) for i, e in enumerate(section(*path) or []) if isinstance(e, Mapping)]

    raw_districts = data.get("districts")
    districts = {str(k) for k in raw_districts} if isinstance(raw_districts, Mapping) else None
    base_ids = [b for _, e in entries("bases") if (b := plain(e.get("id"))) is not None]
    if len(set(base_ids)) != len(base_ids):
        add(("bases",), f"duplicate base ids: {sorted({b for b in base_ids if base_ids.count(b) > 1})}")
    seen: set[str] = set()
    for i, hotspot in entries("hotspots"):
        hotspot_id = plain(hotspot.get("id"))
        if hotspot_id is not None and hotspot_id in seen:
            add(("hotspots", i, "id"), f"duplicate hotspot id {hotspot.get('id')!r}")
        if hotspot_id is not None:
            seen.add(hotspot_id)
    for prefix in (("bases",), ("hotspots",), ("staff", "wardens")):
        for i, entry in entries(*prefix):
            district = plain(entry.get("district"))
            if districts is not None and district is not None and district not in districts:
                add((*prefix, i, "district"), f"unknown district {district!r}; known: {sorted(districts)}")
    if section("bases") is not None:  # bases readable: a staff member's base or station can be looked up
        bases = set(base_ids)
        checks = [("wardens", "base"), ("officers", "station"), ("pcsos", "station")]
        for kind, field_name in checks:
            for i, entry in entries("staff", kind):
                where = plain(entry.get(field_name))
                if where is not None and where not in bases:
                    add(
                        ("staff", kind, i, field_name),
                        f"unknown {'base' if field_name == 'base' else 'station'} {where!r}; known: {sorted(bases)}",
                    )
    template_ids = [t for _, e in entries("shift_templates") if (t := plain(e.get("id"))) is not None]
    if len(set(template_ids)) != len(template_ids):
        add(("shift_templates",), "duplicate shift template ids")
    return problems


def not_a_monday(week_start: date) -> str | None:
    """Why ``week_start`` cannot start a week (it is not a Monday), or None when it can."""
    if week_start.weekday() != 0:
        return f"--week {week_start} is a {week_start.strftime('%A')}; give a Monday (a week runs Monday to Sunday)"
    return None


def week_is_valid(scenario: Scenario, week_start: date) -> str | None:
    """Why ``week_start`` cannot be planned (not a Monday, outside the period), or None when fine."""
    if problem := not_a_monday(week_start):
        return problem
    if not scenario.period.start <= week_start <= scenario.period.end:
        return (
            f"--week {week_start} is outside the grant period {scenario.period.start}..{scenario.period.end}; "
            "give a Monday inside it"
        )
    return None


def json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editors' autocompletion (``patrol schema``).

    A file with ``extends:`` gives only what it changes, so for it nothing is required (the same shapes
    without ``required``); a file without it must give every required field. Why: with one schema every
    child file, the documented way to make a variant, was marked invalid in the editor.
    """
    full = Scenario.model_json_schema()
    full["properties"]["extends"] = {"type": "string", "description": "base scenario file this one overrides"}
    definitions = full.pop("$defs", {})
    partial = _partial(full)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "patrol scenario",
        "description": "a scenario file; with extends: only the fields it changes",
        "$defs": {**definitions, **{f"{name}{_PARTIAL}": _partial(shape) for name, shape in definitions.items()}},
        "if": {"type": "object", "required": ["extends"]},
        "then": partial,
        "else": full,
    }


_PARTIAL = "_partial"


def _partial(shape: Any) -> Any:
    """``shape`` with no ``required`` and its ``$ref`` to the partial definitions (an extends file).

    A list's items keep the full shape: under ``extends:`` a list replaces the base's list whole, so each item
    must be complete.
    """
    if isinstance(shape, dict):
        out = {
            key: value if key in ("items", "prefixItems") else _partial(value)
            for key, value in shape.items()
            if key != "required"
        }
        if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#/$defs/"):
            out["$ref"] = f"{out['$ref']}{_PARTIAL}"
        return out
    if isinstance(shape, list):
        return [_partial(item) for item in shape]
    return shape


def minutes_of(text: str) -> int:
    """Minutes after midnight of an ``HH:MM`` string."""
    moment = parse_hhmm(text)
    return moment.hour * 60 + moment.minute


def ceil_div(numerator: float, denominator: float) -> int:
    """Integer ceiling of a division, robust to float noise (used for rounding money-free quantities)."""
    return math.ceil(numerator / denominator - 1e-9)
