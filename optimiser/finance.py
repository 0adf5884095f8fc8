"""Finance: the annual plan against the grant (a PuLP MILP), budget sweeps and plan comparisons.

The annual plan answers what the grant buys month by month: whole warden posts per district (fixed-term
contracts from a start month to the period end, committed once hired), officer overtime hours per month
and district, and the force-funded PCSO hours reported apart. It maximises harm-weighted patrol hours:
a person-hour on a patrol shift is worth the harm share of the district it patrols, times the month's
seasonal weight from police.uk incident counts, discounted for diminishing returns once the district's
hotspots already get their daily visits (the dosage policy's ``repeat_visit_factor``). A soft minimum on
total patrol hours (a force's target, e.g. Cleveland's 13,000 hours) and the Home Office ceiling of
20,000 patrol hours per force per year bound the total.

The weekly roster (``optimiser.pipeline``) is the exact model of a week; this plan is the year's
coarse one, costed with the weekly model's own pay functions (:func:`optimiser.instance.build`).
"""

from __future__ import annotations

import calendar
import csv
import json
import logging
import math
import os
import sys
import time as clock_time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pulp
import yaml

from optimiser import incidents
from optimiser.errors import DataError, PatrolError
from optimiser.instance import build, crew_make_ups, crew_profile
from optimiser.network import haversine_m
from optimiser.outputs import beside, replace_files, written_summary
from optimiser.plan import PLAN_FILES, Plan, summary_mapping
from optimiser.scenario import LoadedScenario, Scenario, TravelSettings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
POLICE_UK_DIR = REPO_ROOT / "data" / "police_uk"

PROJECTS: tuple[str, ...] = ("asb", "sv")
#: Cleveland's 2025-26 target of 13,000 patrol hours (source: PCC decision 2025-26-001, FACTS.md).
DEFAULT_TARGET_HOURS = 13_000.0
#: Home Office ceiling: up to 20,000 patrol hours per force per year (source: gov.uk ASB hotspot response
#: programme, FACTS.md). Counted in person-hours, as the pilot evaluation reported its 153,569 hours.
DEFAULT_CEILING_HOURS = 20_000.0
MONTHLY_COLUMNS: tuple[str, ...] = (
    "month", "project", "district", "warden_posts", "officer_overtime_hours", "patrol_person_hours",
    "patrol_crew_hours", "spend_gbp", "headroom_gbp",
)  # fmt: skip
PCSO_COLUMNS: tuple[str, ...] = ("month", "district", "pcso_patrol_hours", "cost_gbp", "funding")
ACTUALS_COLUMNS: tuple[str, ...] = ("month", "project", "district", "spend_gbp", "patrol_hours")
SolverName = Literal["cbc", "highs"]
SOLVERS: tuple[str, ...] = ("cbc", "highs")


# ---- months ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month clipped to the grant period: ``key`` ``YYYY-MM``, first and last day inside it."""

    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        """Days of the month inside the grant period."""
        return (self.last - self.first).days + 1


def period_months(start: date, end: date) -> tuple[Month, ...]:
    """The calendar months from ``start`` to ``end`` (inclusive), each clipped to that range."""
    months: list[Month] = []
    first = start
    while first <= end:
        last_of_month = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        last = min(last_of_month, end)
        months.append(Month(f"{first.year:04d}-{first.month:02d}", first, last))
        first = last + timedelta(days=1)
    return tuple(months)


def _month_index(months: Sequence[Month], key: str) -> int | None:
    for i, month in enumerate(months):
        if month.key == key:
            return i
    return None


# ---- seasonal weights --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seasonality:
    """Seasonal weight of each calendar month (1..12) per project, mean 1 over the year.

    Attributes
    ----------
    weights : dict
        ``project -> (w_jan, ..., w_dec)``; a month's patrol hour is worth its weight times its harm value.
    source : str
        Where the weights came from (files and months read, or "flat").
    months_used : tuple of str
        police.uk months counted.
    """

    weights: Mapping[str, tuple[float, ...]]
    source: str
    months_used: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def flat(cls) -> Seasonality:
        """Every month weighs 1 (no seasonal data)."""
        return cls({p: (1.0,) * 12 for p in PROJECTS}, "flat (every month weighs 1)")


def default_street_dir(scenario: Scenario) -> Path:
    """Where the scenario's police.uk street files are: its ``police_uk_dir``, else ``data/police_uk/<name>/street``."""
    return scenario.police_uk_dir if scenario.police_uk_dir is not None else POLICE_UK_DIR / scenario.name / "street"


def seasonal_weights(scenario: Scenario, *, street_dir: str | Path | None = None) -> Seasonality:
    """Seasonal weights per project from police.uk monthly counts of the project's crime types.

    The count of each month is divided by its days (so February is not penalised), averaged over the
    years present for each calendar month, and scaled to mean 1 over the twelve months. Calendar months
    with no data take the mean (weight 1) and are listed in ``notes``.

    Parameters
    ----------
    scenario : Scenario
        Supplies each project's ``crime_types``.
    street_dir : path, optional
        Folder of ``YYYY-MM-<force>-street.csv[.gz]`` files; default :func:`default_street_dir`.

    Raises
    ------
    DataError
        When the folder is missing or holds no street files, a file lacks ``Month`` or ``Crime type``,
        or a project's crime types never occur (the message says what to do).
    """
    folder = Path(street_dir) if street_dir is not None else default_street_dir(scenario)
    files = sorted(
        p for p in (folder.rglob("*-street.csv*") if folder.is_dir() else []) if p.name.endswith((".csv", ".csv.gz"))
    )
    if not files:
        raise DataError(
            f"{folder}: no police.uk street files (*-street.csv or *-street.csv.gz) for the seasonal weights; "
            "copy the force's monthly files there and set police_uk_dir: in the scenario, "
            "or plan without seasons (seasonality='flat' / --flat-seasons)"
        )
    incidents.refuse_repeated_file_names(files)
    counts: dict[tuple[str, str], int] = {}
    bad_months = 0
    for path in files:
        try:
            frame = pd.read_csv(path, usecols=["Month", "Crime type"], dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{path}: the file is empty; expected a police.uk CSV: download it again") from exc
        except ValueError as exc:
            raise DataError(f"{path}: needs the police.uk columns 'Month' and 'Crime type' ({exc})") from exc
        except (OSError, EOFError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: cannot be read as a police.uk CSV, plain or gzip ({exc})") from exc
        incidents.check_month_file(path, frame["Month"])
        month = frame["Month"].str.strip()
        valid = month.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
        bad_months += int((~valid).sum())
        grouped = frame[valid].groupby([month[valid], frame.loc[valid, "Crime type"].str.strip()]).size()
        for (key, crime), n in grouped.items():
            counts[(str(key), str(crime))] = counts.get((str(key), str(crime)), 0) + int(n)
    notes: list[str] = []
    if bad_months:
        notes.append(f"{bad_months} row(s) with a Month that is not YYYY-MM were not counted")
        log.warning("seasonal weights: %d police.uk row(s) with a bad Month not counted", bad_months)
    months_used = tuple(sorted({key for key, _ in counts}))
    weights: dict[str, tuple[float, ...]] = {}
    for project in PROJECTS:
        types = set(scenario.projects.get(project).crime_types)
        by_month: dict[int, list[float]] = {}
        total = 0
        for key in months_used:
            year, mon = int(key[:4]), int(key[5:])
            n = sum(c for (k, crime), c in counts.items() if k == key and crime in types)
            total += n
            by_month.setdefault(mon, []).append(n / calendar.monthrange(year, mon)[1])
        if total == 0:
            raise DataError(
                f"{folder}: no incidents of projects.{project}.crime_types {sorted(types)} in {len(files)} file(s); "
                "check the spelling against the police.uk 'Crime type' column"
            )
        rates = {mon: float(np.mean(values)) for mon, values in by_month.items()}
        missing = [m for m in range(1, 13) if m not in rates]
        mean_rate = float(np.mean(list(rates.values())))
        if missing:
            notes.append(f"{project}: no data for calendar month(s) {missing}; they weigh 1")
        year_rates = [rates.get(m, mean_rate) for m in range(1, 13)]
        scale = float(np.mean(year_rates))
        weights[project] = tuple(r / scale for r in year_rates)
    source = f"police.uk street files in {folder} ({months_used[0]}..{months_used[-1]}, {len(files)} file(s))"
    return Seasonality(weights, source, months_used, tuple(notes))


# ---- inputs of the annual model ----------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """The hotspots of one project in one district: where a patrol hour of that project earns value.

    A person-hour in the zone is worth ``share`` (the zone's share of all hotspot harm) in its first
    tier; each further tier is worth ``repeat_factor`` times the one before (the k-th visit of a day is
    worth ``factor^(k-1)`` of the first), and hours past the last tier are worth nothing.
    ``tier_hours_per_day`` person-hours a day fill one tier.
    """

    project: str
    district: str
    hotspots: int
    harm: float
    share: float
    tiers: int
    tier_hours_per_day: float
    repeat_factor: float


@dataclass(frozen=True)
class Actuals:
    """Spend and patrol hours recorded up to ``as_of`` (inclusive): these months are fixed."""

    as_of: str
    spend_gbp: Mapping[tuple[str, str, str], float]  # (month, project, district) -> GBP
    patrol_hours: Mapping[tuple[str, str, str], float]  # (month, project, district) -> person-hours
    source: str = ""
    rows_after_as_of: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnualInputs:
    """Everything the annual model needs, in GBP and person-hours per month (aligned with ``months``).

    ``fixed_months`` leading months come from actuals (``actual_spend_gbp``/``actual_hours`` keyed by
    ``(month, project, district)``); ``committed_posts`` are warden posts in post at the last of them.
    ``contract_posts`` are the scenario's warden contracts in force in each month per district: posts
    already committed, which the plan keeps (empty when posts are planned afresh).
    """

    months: tuple[Month, ...]
    allocation_gbp: Mapping[str, float]
    zones: tuple[Zone, ...]
    seasonal: Mapping[str, tuple[float, ...]]
    warden_cost_gbp: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    warden_hours: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    warden_first_month: int = 0
    officer_rate_gbp: tuple[float, ...] = ()
    officer_capacity_hours: tuple[float, ...] = ()
    sv_crew_size: int = 2
    target_hours: float = DEFAULT_TARGET_HOURS
    ceiling_hours: float = DEFAULT_CEILING_HOURS
    shortfall_weight: float | None = None
    fixed_months: int = 0
    actual_spend_gbp: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    actual_hours: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    committed_posts: Mapping[str, int] = field(default_factory=dict)
    contract_posts: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    pcso_hours: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    pcso_cost_gbp: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def zone(self, project: str, district: str) -> Zone | None:
        """The zone of ``project`` in ``district`` (None when it has no hotspots)."""
        for zone in self.zones:
            if zone.project == project and zone.district == district:
                return zone
        return None

    def value_per_hour(self, zone: Zone, month: int, tier: int) -> float:
        """Objective value of one person-hour in tier ``tier`` (0-based) of ``zone`` in ``month``."""
        return self.seasonal[zone.project][month] * zone.share * zone.repeat_factor**tier

    def crew_size(self, project: str) -> int:
        """Person-hours per crew-hour: 1 for wardens, by ``sv_crewing`` for officers."""
        return 1 if project == "asb" else self.sv_crew_size

    def actual_total(self, project: str | None = None, *, what: str = "spend") -> float:
        """Sum of the actual spend (GBP) or patrol hours of a project (or all) over the fixed months."""
        table = self.actual_spend_gbp if what == "spend" else self.actual_hours
        return float(sum(v for (_m, p, _d), v in table.items() if project is None or p == project))


@dataclass
class AnnualSolution:
    """The annual model's decisions and how the solve went."""

    status: str
    objective: float | None
    posts: dict[str, list[int]]
    officer_hours: dict[str, list[float]]
    shortfall_hours: float
    solve_seconds: float
    solver: str
    best_bound: float | None = None
    warm_start: bool = False
    explanation: str = ""


def _longest_window_minutes(scenario: Scenario, project: str) -> int:
    lengths = []
    for window in scenario.projects.get(project).windows:
        start = int(window.start[:2]) * 60 + int(window.start[3:])
        end = int(window.end[:2]) * 60 + int(window.end[3:])
        lengths.append(end - start if end > start else end - start + 1440)
    return max(lengths)


def _leg_minutes(scenario: Scenario, project: str, district: str, points: Sequence[tuple[float, float]]) -> float:
    """Mean crow-fly leg (minutes) between a zone's hotspots; a lone hotspot's leg is to its nearest base."""
    roles = ("warden",) if project == "asb" else crew_make_ups(scenario.sv_crewing)[0]
    profile = crew_profile(scenario, roles)
    metres_per_minute = scenario.travel.speeds_kmh[profile] * 1000 / 60  # type: ignore[index]
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    if len(points) >= 2:
        distance = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(distance, np.inf)
        metres = float(distance.min(axis=1).mean())
    else:
        kind = "warden_base" if project == "asb" else "police_station"
        bases = [b for b in scenario.bases if b.kind == kind and (project == "sv" or b.district == district)]
        bases = bases or [b for b in scenario.bases if b.kind == kind] or list(scenario.bases)
        metres = float(min(haversine_m(lat[0], lon[0], b.lat, b.lon) for b in bases))
    return metres * scenario.travel.circuity / metres_per_minute


def build_zones(scenario: Scenario) -> tuple[Zone, ...]:
    """The zones of the active projects, with harm shares and diminishing-returns tiers.

    A zone's tiers come from its dosage policy: ``K`` useful visits a day per hotspot (no more than the
    presence cap allows at the target dwell, nor than the revisit gap allows in the longest window).
    Delivering them takes at least ``max(n K (dwell + leg), (K - 1) gap + dwell)`` crew-minutes a day
    for ``n`` hotspots (visits and travel, or one crew present across the spaced visits), times the crew
    size; the ``K`` tiers share that equally. Legs are crow-fly x circuity at the crew's speed, whatever
    the travel model, so the estimate needs no street network.
    """
    zones: list[tuple[str, str, list[Any]]] = []
    for project in PROJECTS:
        if project not in scenario.active_projects:
            continue
        for district in sorted(scenario.districts):
            spots = [h for h in scenario.hotspots if h.district == district and h.serves(project)]
            if spots:
                zones.append((project, district, spots))
    total = sum(h.harm_weight for _p, _d, spots in zones for h in spots)
    out: list[Zone] = []
    for project, district, spots in zones:
        policy = scenario.projects.get(project).dosage
        dwell, gap = policy.dwell_target_minutes, policy.revisit_gap_minutes
        tiers = policy.max_presence_minutes_per_day // dwell
        if gap > 0:
            tiers = min(tiers, 1 + max(0, _longest_window_minutes(scenario, project) - dwell) // gap)
        tiers = max(1, tiers)
        leg = _leg_minutes(scenario, project, district, [(h.lat, h.lon) for h in spots])
        crew = 2 if project == "sv" and scenario.sv_crewing == "double" else 1
        crew_minutes = max(len(spots) * tiers * (dwell + leg), (tiers - 1) * gap + dwell)
        harm = sum(h.harm_weight for h in spots)
        out.append(
            Zone(
                project=project,
                district=district,
                hotspots=len(spots),
                harm=harm,
                share=harm / total,
                tiers=tiers,
                tier_hours_per_day=crew * crew_minutes / 60 / tiers,
                repeat_factor=policy.repeat_visit_factor,
            )
        )
    return tuple(out)


def _mondays(start: date, end: date) -> list[date]:
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(days=7 * i) for i in range((end - first).days // 7 + 1)]


@dataclass(frozen=True)
class _PoliceProfile:
    rate_gbp: tuple[float, ...]
    capacity_hours: tuple[float, ...]
    pcso_hours: dict[str, tuple[float, ...]]
    pcso_cost_gbp: dict[str, tuple[float, ...]]
    notes: tuple[str, ...]


def _police_profile(scenario: Scenario, months: Sequence[Month]) -> _PoliceProfile:
    """Officer overtime cost per patrol hour and capacity, and PCSO duty patrol hours, month by month.

    Every week of the period is built with :func:`optimiser.instance.build` (crow-fly travel: costs do
    not depend on it), so pay awards, rest-day and public-holiday rates and the 4-hour minimum are
    exactly the weekly model's. A month's rate is the cost of all its overtime options over their
    worked hours. An officer's weekly capacity is the working-time limit less normal duty
    (``max_weekly_hours`` minus duty hours), no more than one option's hours a day, spread over the
    days pro rata. PCSO hours are their duty shifts that fit a PCSO shift template (force-funded).
    """
    n = len(months)
    cost_pence = np.zeros(n)
    worked_minutes = np.zeros(n)
    capacity = np.zeros(n)
    pcso_minutes: dict[str, np.ndarray] = {}
    pcso_pence: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if "sv" not in scenario.active_projects or not (scenario.staff.officers or scenario.staff.pcsos):
        return _PoliceProfile((0.0,) * n, (0.0,) * n, {}, {}, ())
    costing = scenario.model_copy(update={"active_projects": ["sv"], "travel": TravelSettings()})
    start, end = months[0].first, months[-1].last
    month_of = {}
    for i, month in enumerate(months):
        day = month.first
        while day <= month.last:
            month_of[day] = i
            day += timedelta(days=1)
    for monday in _mondays(start, end):
        data = build(costing, monday)
        by_person_day: dict[tuple[str, int], list[Any]] = {}
        for option in data.options:
            by_person_day.setdefault((option.person, option.day), []).append(option)
            when = monday + timedelta(days=option.day)
            if option.role == "officer" and when in month_of:
                cost_pence[month_of[when]] += option.cost_pence
                worked_minutes[month_of[when]] += option.worked_minutes
        for person in data.people.values():
            if person.role == "officer":
                duty = sum(max(0, min(b, 7 * 1440) - max(a, 0)) for a, b in person.duty)
                weekly = max(0.0, person.rules.max_weekly_hours * 60 - duty)
                best = [
                    max((o.worked_minutes for o in by_person_day.get((person.id, d), [])), default=0) for d in range(7)
                ]
                available = sum(best)
                if available == 0:
                    continue
                usable = min(weekly, available)
                for d in range(7):
                    when = monday + timedelta(days=d)
                    if when in month_of:
                        capacity[month_of[when]] += usable * best[d] / available
            elif person.role == "pcso":
                district = person.district or "unknown"
                for d in range(7):
                    when = monday + timedelta(days=d)
                    options = by_person_day.get((person.id, d), [])
                    if when in month_of and options:
                        chosen = max(options, key=lambda o: (o.worked_minutes, -o.cost_pence))
                        pcso_minutes.setdefault(district, np.zeros(n))[month_of[when]] += chosen.worked_minutes
                        pcso_pence.setdefault(district, np.zeros(n))[month_of[when]] += chosen.cost_pence
    rate = []
    for i, month in enumerate(months):
        if worked_minutes[i] > 0:
            rate.append(cost_pence[i] / 100 / (worked_minutes[i] / 60))
        else:
            rate.append(0.0)
            if scenario.staff.officers:
                notes.append(f"{month.key}: no officer overtime shift fits around duty; no overtime is planned")
    return _PoliceProfile(
        rate_gbp=tuple(rate),
        capacity_hours=tuple(float(c) / 60 for c in capacity),
        pcso_hours={d: tuple(float(v) / 60 for v in vals) for d, vals in sorted(pcso_minutes.items())},
        pcso_cost_gbp={d: tuple(float(v) / 100 for v in vals) for d, vals in sorted(pcso_pence.items())},
        notes=tuple(notes),
    )


def _warden_costs(
    scenario: Scenario, months: Sequence[Month], districts: Sequence[str]
) -> tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, ...]], int, list[str]]:
    """Cost (GBP) and contracted hours of one warden post per district and month; first hiring month.

    A post costs ``annual_cost_gbp x days / 365`` a month (the plan rules' committed cost) and gives
    ``contracted_hours_per_week x days / 7`` patrol person-hours, from the district's warden entries (the
    mean over them, or over all wardens when the district has none). Posts can start no earlier than the
    month of the earliest ``contract_start`` (recruitment takes time; an earlier year underspent from it).
    """
    wardens = scenario.warden_list()
    notes: list[str] = []
    if not districts:
        return {}, {}, 0, notes
    if not wardens:
        raise DataError(
            "the scenario has no wardens (staff.wardens): the annual plan takes a warden post's cost and hours "
            "from them; add one entry per district (a pool with count: 1 will do)"
        )
    costs: dict[str, tuple[float, ...]] = {}
    hours: dict[str, tuple[float, ...]] = {}
    for district in districts:
        here = [w for w in wardens if w.district == district]
        if not here:
            notes.append(f"district {district} has no warden entry: its posts use the mean of all wardens")
            here = wardens
        annual = float(np.mean([w.annual_cost_gbp for w in here]))
        weekly = float(np.mean([w.contracted_hours_per_week for w in here]))
        costs[district] = tuple(annual * m.days / 365 for m in months)
        hours[district] = tuple(weekly * m.days / 7 for m in months)
    earliest = min(w.contract_start for w in wardens)
    first = 0
    for i, month in enumerate(months):
        if month.last >= earliest:
            first = i
            break
    else:
        first = len(months)
    if any(w.leave for w in wardens):
        notes.append("wardens' individual leave days are not deducted from annual post hours")
    return costs, hours, first, notes


def _ledger_number(text: str) -> float:
    """A number as finance systems export it: ``1,234.50``, ``£1,234.50``, ``-200`` or ``(200)`` (a credit)."""
    cleaned = text.strip().replace(",", "").replace("£", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    try:
        value = float(cleaned[1:-1] if negative else cleaned)
    except ValueError:
        return float("nan")
    return -value if negative else value


def _same_width_rows(path: Path) -> None:
    """Every row of a small CSV has as many values as its header (else its values would be read shifted)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        width = len(next(reader, []))
        for fields in reader:
            if fields and len(fields) != width:
                raise DataError(
                    f"{path}:{reader.line_num}: {len(fields)} values for the {width} columns of the header; quote an "
                    'amount with a thousands comma ("1,234.56") or remove the extra value'
                )


def read_actuals(path: str | Path, scenario: Scenario, *, as_of: str | None = None) -> Actuals:
    """Read an actuals CSV (``month, project, district, spend_gbp, patrol_hours``) up to ``as_of``.

    Rows after ``as_of`` are not used (counted in ``rows_after_as_of``). Every month from the period
    start to ``as_of`` needs at least one row; a project/district with no row in such a month counts
    as zero. ``as_of`` defaults to the latest month in the file.

    Raises
    ------
    DataError
        Naming the file, line and column: a missing column, a month not ``YYYY-MM`` or outside the
        period, an unknown project or district, a non-numeric amount or negative hours, a repeated row, or a
        month up to ``as_of`` with no row.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: actuals file not found")
    try:
        _same_width_rows(path)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    except (OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ACTUALS_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; the header must be {', '.join(ACTUALS_COLUMNS)}"
        )
    months = period_months(scenario.period.start, scenario.period.end)
    keys = [m.key for m in months]
    by_name = {d.name.casefold(): code for code, d in scenario.districts.items()}
    rows: list[tuple[int, str, str, str, float, float]] = []
    for i, record in enumerate(frame.to_dict("records")):
        line = i + 2
        month = record["month"].strip()
        if month not in keys:
            raise DataError(
                f"{path}:{line}: month {month!r} is not a YYYY-MM month of the grant period {keys[0]}..{keys[-1]}"
            )
        project = record["project"].strip().lower()
        if project not in PROJECTS:
            raise DataError(f"{path}:{line}: project {record['project']!r} must be asb or sv")
        district = record["district"].strip()
        district = by_name.get(district.casefold(), district)  # a ledger may name the council, not its code
        if district not in scenario.districts:
            raise DataError(
                f"{path}:{line}: district {district!r} is not in the scenario (codes {sorted(scenario.districts)} "
                f"or names {sorted(d.name for d in scenario.districts.values())})"
            )
        values = []
        for column in ("spend_gbp", "patrol_hours"):
            value = _ledger_number(record[column])
            # spend may be a net credit (a refund or adjustment); hours cannot be negative
            if not math.isfinite(value) or (column == "patrol_hours" and value < 0):
                wanted = "a number (a credit as -200 or (200))" if column == "spend_gbp" else "a number >= 0"
                raise DataError(f"{path}:{line}: {column} {record[column]!r} must be {wanted}")
            values.append(value)
        rows.append((line, month, project, district, values[0], values[1]))
    if not rows:
        raise DataError(f"{path}: no rows; give one row per month, project and district up to --as-of")
    as_of = as_of or max(r[1] for r in rows)
    if as_of not in keys:
        raise DataError(f"--as-of {as_of!r} must be a YYYY-MM month of the grant period {keys[0]}..{keys[-1]}")
    last = keys.index(as_of)
    spend: dict[tuple[str, str, str], float] = {}
    hours: dict[tuple[str, str, str], float] = {}
    seen_lines: dict[tuple[str, str, str], int] = {}
    after = 0
    for line, month, project, district, value, patrol in rows:
        key = (month, project, district)
        if key in seen_lines:
            raise DataError(
                f"{path}:{line}: repeats {month} {project} {district} (first on line {seen_lines[key]}); keep one row"
            )
        seen_lines[key] = line
        if keys.index(month) > last:
            after += 1
            continue
        spend[key] = value
        hours[key] = patrol
    for month_key in keys[: last + 1]:
        if not any(k[0] == month_key for k in spend):
            raise DataError(
                f"{path}: no actuals for {month_key} (up to --as-of {as_of}); add its rows (0 if nothing was spent)"
            )
    # a line the ledger has for other months but not this one (a late invoice) would read as £0 and no posts
    pairs = sorted({(project, district) for _month, project, district in spend})
    missing = [
        f"{month_key} {project} {district}"
        for month_key in keys[: last + 1]
        for project, district in pairs
        if (month_key, project, district) not in spend
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataError(
            f"{path}: no line for {shown}, which other months have; add it (0 if nothing was spent): a missing "
            "line would count as no spend and no posts in post"
        )
    notes = []
    if after:
        notes.append(f"{after} actuals row(s) after --as-of {as_of} were not used")
        log.info("%s: %d row(s) after --as-of %s not used", path, after, as_of)
    return Actuals(as_of, spend, hours, str(path), after, tuple(notes))


def _contract_posts(
    scenario: Scenario, months: Sequence[Month], districts: Sequence[str]
) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    """The scenario's warden contracts in force per district and month (on the month's last day).

    Why: a fixed-term contract is a committed cost; the annual plan must not show its money as headroom
    nor fund fewer posts than are already employed (the weekly roster pays every contract).
    """
    wardens = scenario.warden_list()
    notes = []
    posts = {
        d: tuple(
            sum(1 for w in wardens if w.district == d and w.contract_start <= m.last <= w.contract_end) for m in months
        )
        for d in districts
    }
    split = sorted(
        w.id
        for w in wardens
        if w.district in districts
        and any((m.first < w.contract_start <= m.last) or (m.first <= w.contract_end < m.last) for m in months)
    )
    if split:
        notes.append(
            f"{len(split)} warden contract(s) start or end mid-month ({', '.join(split[:3])}"
            + (" ..." if len(split) > 3 else "")
            + "): counted in the months whose last day they cover"
        )
    return posts, notes


def annual_inputs(
    scenario: Scenario,
    *,
    seasonality: Seasonality,
    actuals: Actuals | None = None,
    target_hours: float = DEFAULT_TARGET_HOURS,
    ceiling_hours: float = DEFAULT_CEILING_HOURS,
    commit_contracts: bool = False,
) -> AnnualInputs:
    """Build the annual model's inputs from a scenario (costs from the weekly model's pay rules).

    Warden posts are planned afresh (what the grant can fund as a programme) unless ``commit_contracts``:
    then the scenario's contracts are posts already committed, kept in every month they are in force.
    """
    months = period_months(scenario.period.start, scenario.period.end)
    zones = build_zones(scenario)
    asb_districts = [z.district for z in zones if z.project == "asb"]
    warden_cost, warden_hours, first, notes = _warden_costs(scenario, months, asb_districts)
    police = _police_profile(scenario, months)
    notes.extend(police.notes)
    contracts: dict[str, tuple[int, ...]] = {}
    if commit_contracts:
        contracts, contract_notes = _contract_posts(scenario, months, asb_districts)
        notes.extend(contract_notes)
    notes.extend(seasonality.notes)
    crewing = scenario.sv_crewing
    fixed = 0
    committed: dict[str, int] = {}
    spend: Mapping[tuple[str, str, str], float] = {}
    hours: Mapping[tuple[str, str, str], float] = {}
    if actuals is not None:
        fixed = [m.key for m in months].index(actuals.as_of) + 1
        spend, hours = actuals.spend_gbp, actuals.patrol_hours
        notes.extend(actuals.notes)
        for m, month in enumerate(months[:fixed]):
            # officer overtime beyond what the officers could work that month is likely a ledger slip
            sv_hours = sum(h for (key, project, _d), h in hours.items() if key == month.key and project == "sv")
            if police.capacity_hours[m] > 0 and sv_hours > 1.05 * police.capacity_hours[m]:
                notes.append(
                    f"actuals: {month.key} SV patrol hours {sv_hours:,.1f} exceed the officers' overtime capacity "
                    f"that month ({police.capacity_hours[m]:,.1f} h: max_weekly_hours less normal duty); check the "
                    "ledger (person-hours, not pounds?)"
                )
        last = months[fixed - 1].key
        for district in asb_districts:
            paid = spend.get((last, "asb", district), 0.0)
            per_post = warden_cost[district][fixed - 1]
            posts = paid / per_post if per_post > 0 else 0.0
            committed[district] = max(0, round(posts))  # a credit month is no post
            if abs(posts - round(posts)) > 0.25:
                notes.append(
                    f"{district}: ASB spend in {last} of £{paid:,.2f} is {posts:.2f} posts at £{per_post:,.2f} a post; "
                    f"{round(posts)} post(s) taken as committed"
                )
    return AnnualInputs(
        months=months,
        allocation_gbp={p: scenario.projects.get(p).allocation_gbp for p in PROJECTS},
        zones=zones,
        seasonal={p: tuple(seasonality.weights[p][m.first.month - 1] for m in months) for p in PROJECTS},
        warden_cost_gbp=warden_cost,
        warden_hours=warden_hours,
        warden_first_month=first,
        officer_rate_gbp=police.rate_gbp,
        officer_capacity_hours=police.capacity_hours,
        sv_crew_size=2 if crewing == "double" else 1,
        target_hours=target_hours,
        ceiling_hours=ceiling_hours,
        fixed_months=fixed,
        actual_spend_gbp=spend,
        actual_hours=hours,
        committed_posts=committed,
        contract_posts=contracts,
        pcso_hours=police.pcso_hours,
        pcso_cost_gbp=police.pcso_cost_gbp,
        notes=tuple(notes),
    )


# ---- the model ---------------------------------------------------------------------------------


class _HighsWithStart(pulp.HiGHS):  # type: ignore[misc, name-defined]
    """PuLP's HiGHS interface, passing the variables' initial values to HiGHS as a MIP start."""

    def __init__(self, *, start: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        # HiGHS prints a banner on stdout when the first model of a process is made: the CLI owns stdout.
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as sink:
                os.dup2(sink.fileno(), 1)
                super().createAndConfigureSolver(lp)
        finally:
            os.dup2(saved, 1)
            os.close(saved)

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.start:
            import highspy

            values = [0.0] * len(lp.variables())
            for var in lp.variables():
                values[var.index] = float(var.varValue or 0.0)
            solution = highspy.HighsSolution()
            solution.col_value = values
            solution.value_valid = True
            lp.solverModel.setSolution(solution)
        lp.solverModel.run()


def _solver(name: str, *, time_limit_seconds: float, warm: bool) -> pulp.LpSolver:
    if name == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 deprecates its bundled CBC in favour of a separate install (pulp[cbc]) for PuLP 4;
            # pyproject pins pulp < 4, where the bundled binary is the one every install has.
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_seconds, gapRel=0.0, threads=1, warmStart=warm)
    if name == "highs":
        return _HighsWithStart(msg=False, timeLimit=time_limit_seconds, gapRel=0.0, threads=1, start=warm)
    raise DataError(f"solver {name!r} is not known; use one of {', '.join(SOLVERS)}")


def _infeasible_reason(inputs: AnnualInputs) -> str:
    """Why the fixed part of the year already breaks a hard limit (empty when it does not)."""
    reasons = []
    planned = range(inputs.fixed_months, len(inputs.months))
    floors = _post_floors(inputs)
    committed_hours = sum(posts[m] * inputs.warden_hours[d][m] for d, posts in floors.items() for m in planned)
    for project in PROJECTS:
        spent = inputs.actual_total(project)
        committed = 0.0
        if project == "asb":
            committed = sum(posts[m] * inputs.warden_cost_gbp[d][m] for d, posts in floors.items() for m in planned)
        if spent + committed > inputs.allocation_gbp[project] + 0.005:
            what = "the scenario's warden contracts" if inputs.contract_posts else "committed warden posts"
            reasons.append(
                f"{project}: "
                + (f"actual spend £{spent:,.2f} plus " if spent else "")
                + (f"{what} £{committed:,.2f} " if committed else "")
                + f"exceed{'s' if not committed else ''} the allocation £{inputs.allocation_gbp[project]:,.2f}"
                + (": cut posts, or plan posts afresh (without --commit-contracts)" if committed else "")
            )
    done = inputs.actual_total(what="hours")
    if done > inputs.ceiling_hours:
        reasons.append(f"actual patrol hours {done:,.1f} already exceed the ceiling of {inputs.ceiling_hours:,.0f}")
    elif done + committed_hours > inputs.ceiling_hours + 1e-6:
        reasons.append(
            (f"actual patrol hours {done:,.1f} plus " if done else "")
            + f"the committed warden posts' {committed_hours:,.1f} contracted hours exceed the ceiling of "
            f"{inputs.ceiling_hours:,.0f} patrol person-hours: cut posts, or raise the ceiling (Home Office)"
        )
    return "; ".join(reasons)


def _post_floors(inputs: AnnualInputs) -> dict[str, list[int]]:
    """Warden posts each district keeps in each month.

    Its contracts in force, else the posts in post at the last month of actuals (kept to the period end).
    """
    floors: dict[str, list[int]] = {}
    for zone in inputs.zones:
        if zone.project != "asb":
            continue
        d = zone.district
        contracts = inputs.contract_posts.get(d)
        floors[d] = list(contracts) if contracts else [int(inputs.committed_posts.get(d, 0))] * len(inputs.months)
    return floors


def solve_annual(
    inputs: AnnualInputs,
    *,
    solver: SolverName = "cbc",
    time_limit_seconds: float = 60.0,
    warm_start: AnnualSolution | None = None,
) -> AnnualSolution:
    """Solve the annual model: whole warden posts and officer overtime hours per district and month.

    Decisions (planned months only; the first ``fixed_months`` are actuals):

    - ``posts[d,m]`` integer warden posts in district ``d``, non-decreasing over the months except where
      a scenario contract ends (a post is committed from its start month to the period end), none new
      before ``warden_first_month``, at least the contracts in force (``contract_posts``), else at least
      ``committed_posts[d]``;
    - ``officer[d,m] >= 0`` officer overtime person-hours patrolling district ``d``'s SV hotspots,
      their sum within the month's force-wide overtime capacity.

    Constraints: each project's planned spend within its allocation less actual spend; total patrol
    person-hours (actual + planned, grant-funded) within ``ceiling_hours``. Objective: the zones'
    tiered harm value of the hours, minus ``shortfall_weight`` per hour short of ``target_hours``,
    minus a tie-break of 1/1000 of the least valued hour per pound at the dearest hourly cost, so that
    money buying nothing is left as headroom rather than spent.

    Returns
    -------
    AnnualSolution
        ``status`` optimal / feasible (time limit) / infeasible / no-plan; ``objective`` without the
        tie-break.
    """
    started = clock_time.perf_counter()
    reason = _infeasible_reason(inputs)
    empty_posts = {z.district: [0] * len(inputs.months) for z in inputs.zones if z.project == "asb"}
    empty_officer = {z.district: [0.0] * len(inputs.months) for z in inputs.zones if z.project == "sv"}
    if reason:
        return AnnualSolution("infeasible", None, empty_posts, empty_officer, 0.0, 0.0, solver, explanation=reason)
    months = inputs.months
    planned = list(range(inputs.fixed_months, len(months)))
    # minimised, negated: CBC scores a MIP start with the wrong sign on a maximisation, so a start worth
    # less than the optimum, with the objective below zero, was taken as proven optimal
    prob = pulp.LpProblem("annual_plan", pulp.LpMinimize)
    posts: dict[tuple[str, int], pulp.LpVariable] = {}
    officer: dict[tuple[str, int], pulp.LpVariable] = {}
    hours_of: dict[tuple[str, str, int], Any] = {}
    tier_vars: dict[tuple[str, str, int], tuple[list[pulp.LpVariable], pulp.LpVariable]] = {}
    spend: dict[str, list[Any]] = {p: [] for p in PROJECTS}
    value_terms: list[Any] = []
    positive_values: list[float] = []
    hourly_costs: list[float] = [1.0]
    first_hire = max(inputs.warden_first_month, inputs.fixed_months)
    floors = _post_floors(inputs)
    for zone in inputs.zones:
        d = zone.district
        if zone.project == "asb":
            floor = floors[d]
            cheapest = min((c for c in inputs.warden_cost_gbp[d] if c > 0), default=1.0)
            upper = int(inputs.allocation_gbp["asb"] // cheapest)
            previous = None
            for m in planned:
                high = max(upper, floor[m]) if m >= first_hire else floor[m]
                var = prob.add_variable(f"posts[d={d},m={months[m].key}]", floor[m], high, cat=pulp.LpInteger)
                posts[(d, m)] = var
                if previous is not None:
                    # a post, once filled, is kept to the period end; only a contract's own end releases it
                    ended = max(0, floor[m - 1] - floor[m])
                    prob += var >= previous - ended, f"committed[d={d},m={months[m].key}]"
                previous = var
                hours_of[("asb", d, m)] = inputs.warden_hours[d][m] * var
                spend["asb"].append(inputs.warden_cost_gbp[d][m] * var)
                if inputs.warden_hours[d][m] > 0:
                    hourly_costs.append(inputs.warden_cost_gbp[d][m] / inputs.warden_hours[d][m])
        else:
            for m in planned:
                var = prob.add_variable(f"officer[d={d},m={months[m].key}]", 0)
                officer[(d, m)] = var
                hours_of[("sv", d, m)] = var
                spend["sv"].append(inputs.officer_rate_gbp[m] * var)
                hourly_costs.append(inputs.officer_rate_gbp[m])
        for m in planned:
            width = zone.tier_hours_per_day * months[m].days
            tiers = []
            for k in range(zone.tiers):
                tier = prob.add_variable(f"tier[{zone.project},d={d},m={months[m].key},k={k + 1}]", 0, width)
                tiers.append(tier)
                value = inputs.value_per_hour(zone, m, k)
                value_terms.append(value * tier)
                if value > 0:
                    positive_values.append(value)
            idle = prob.add_variable(f"beyond_tiers[{zone.project},d={d},m={months[m].key}]", 0)
            tier_vars[(zone.project, d, m)] = (tiers, idle)
            prob += (
                pulp.lpSum(tiers) + idle == hours_of[(zone.project, d, m)],
                f"tiers[{zone.project},d={d},m={months[m].key}]",
            )
    for m in planned:
        here = [officer[(z.district, m)] for z in inputs.zones if z.project == "sv"]
        if here:
            prob += pulp.lpSum(here) <= inputs.officer_capacity_hours[m], f"officer_capacity[m={months[m].key}]"
    for project in PROJECTS:
        if spend[project]:
            remaining = inputs.allocation_gbp[project] - inputs.actual_total(project)
            prob += pulp.lpSum(spend[project]) <= remaining, f"budget[{project}]"
    total_hours = pulp.lpSum(hours_of.values()) + inputs.actual_total(what="hours")
    prob += total_hours <= inputs.ceiling_hours, "ceiling"
    shortfall = prob.add_variable("target_shortfall", 0)
    prob += total_hours + shortfall >= inputs.target_hours, "target"
    weight = inputs.shortfall_weight
    if weight is None:
        weight = max(positive_values, default=1.0)
    epsilon = 1e-3 * min(positive_values, default=1.0) / max(hourly_costs)
    # a second tie-break: of plans worth the same, the one ending with fewest posts. Posts are kept once
    # filled, so this hires what the money allows as early as it can rather than, say, seven wardens for
    # the last month (flat seasons make every month's hour worth the same); a thousandth of the best hour's
    # value a post, less than any post-month's worth yet above the solvers' tolerances
    peak = 1e-3 * max(positive_values, default=1.0)
    final_posts = [var for (d, m), var in posts.items() if m == len(months) - 1]
    prob += -(
        pulp.lpSum(value_terms)
        - weight * shortfall
        - epsilon * pulp.lpSum(spend["asb"] + spend["sv"])
        - peak * pulp.lpSum(final_posts)
    )
    warm = False
    if warm_start is not None and warm_start.status in ("optimal", "feasible"):
        warm = _set_start(inputs, warm_start, posts, officer, tier_vars, shortfall)
    engine = _solver(solver, time_limit_seconds=time_limit_seconds, warm=warm)
    try:
        prob.solve(engine)
    except pulp.PulpSolverError as exc:
        raise PatrolError(f"the {solver} solver failed on the annual plan ({exc})") from exc
    seconds = clock_time.perf_counter() - started
    if prob.status == pulp.LpStatusInfeasible:
        return AnnualSolution(
            "infeasible", None, empty_posts, empty_officer, 0.0, seconds, solver, warm_start=warm,
            explanation="no annual plan keeps the allocations, committed posts and the patrol-hour ceiling",
        )  # fmt: skip
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return AnnualSolution(
            "no-plan", None, empty_posts, empty_officer, 0.0, seconds, solver, warm_start=warm,
            explanation=f"the {solver} solver found no plan within {time_limit_seconds:g} s",
        )  # fmt: skip
    out_posts = {d: list(v) for d, v in empty_posts.items()}
    out_officer = {d: list(v) for d, v in empty_officer.items()}
    for (d, m), var in posts.items():
        out_posts[d][m] = round(var.value() or 0.0)
    for (d, m), var in officer.items():
        out_officer[d][m] = max(0.0, float(var.value() or 0.0))
    objective = float(pulp.value(pulp.lpSum(value_terms)) or 0.0) - weight * float(shortfall.value() or 0.0)
    status = "optimal" if prob.sol_status == pulp.LpSolutionOptimal else "feasible"
    best_bound = None
    if status == "optimal":
        best_bound = objective
    elif solver == "highs":
        # the tie-breaks at their largest: every pound of the allocations spent, every final post at its bound
        most_spend = sum(inputs.allocation_gbp[p] - inputs.actual_total(p) for p in PROJECTS if spend[p])
        most_posts = sum(float(var.upBound or 0.0) for var in final_posts)
        best_bound = _highs_bound(prob, objective, epsilon * max(most_spend, 0.0) + peak * most_posts)
    return AnnualSolution(
        status, objective, out_posts, out_officer, float(shortfall.value() or 0.0), seconds, solver,
        best_bound=best_bound, warm_start=warm,
    )  # fmt: skip


def _highs_bound(prob: pulp.LpProblem, objective: float, most_tie: float) -> float | None:
    """HiGHS's dual bound in the reported objective's units, valid whatever the tie-breaks take off.

    The model minimises the negated objective less the tie-breaks; every plan's objective is at most the
    negated dual bound plus the largest the tie-breaks can be (``most_tie``).
    """
    try:
        info = prob.solverModel.getInfo()
        bound = float(info.mip_dual_bound)
    except AttributeError:
        return None
    if not math.isfinite(bound):
        return objective
    return max(objective, -bound + most_tie)


def _set_start(
    inputs: AnnualInputs,
    start: AnnualSolution,
    posts: Mapping[tuple[str, int], pulp.LpVariable],
    officer: Mapping[tuple[str, int], pulp.LpVariable],
    tier_vars: Mapping[tuple[str, str, int], tuple[list[pulp.LpVariable], pulp.LpVariable]],
    shortfall: pulp.LpVariable,
) -> bool:
    """Give the solver ``start`` as initial values of every variable; False when it does not fit.

    The start's posts and officer hours are kept; each zone's hours fill its tiers in order (the best
    completion) and the shortfall follows, so the start is a whole, feasible point whenever the
    decisions are (a lower budget level's plan is, at a higher level).
    """
    try:
        hours: dict[tuple[str, str, int], float] = {}
        for (d, m), var in posts.items():
            var.setInitialValue(start.posts[d][m])
            hours[("asb", d, m)] = start.posts[d][m] * inputs.warden_hours[d][m]
        for (d, m), var in officer.items():
            var.setInitialValue(start.officer_hours[d][m])
            hours[("sv", d, m)] = start.officer_hours[d][m]
    except (KeyError, IndexError):
        return False
    for key, (tiers, idle) in tier_vars.items():
        left = hours.get(key, 0.0)
        for tier in tiers:
            take = min(left, float(tier.upBound))
            tier.setInitialValue(take)
            left -= take
        idle.setInitialValue(max(0.0, left))
    total = sum(hours.values()) + inputs.actual_total(what="hours")
    shortfall.setInitialValue(max(0.0, inputs.target_hours - total))
    return True


# ---- the annual plan ---------------------------------------------------------------------------


@dataclass
class AnnualPlan:
    """The annual plan: month-by-month staffing and spend, the PCSO hours apart, and its summary."""

    inputs: AnnualInputs
    solution: AnnualSolution
    monthly: pd.DataFrame
    pcso: pd.DataFrame
    summary: dict[str, Any]
    out_dir: Path | None = None

    @property
    def status(self) -> str:
        """optimal, feasible, infeasible or no-plan."""
        return self.solution.status

    def posts_in(self, month_key: str) -> dict[str, int]:
        """Warden posts per district in the month ``YYYY-MM``."""
        rows = self.monthly[(self.monthly["month"] == month_key) & (self.monthly["project"] == "asb")]
        return {str(r.district): int(r.warden_posts) for r in rows.itertuples()}

    def hires(self) -> dict[str, list[tuple[str, int]]]:
        """Per district, the posts that start in each month: ``[(YYYY-MM, new posts), ...]``."""
        out: dict[str, list[tuple[str, int]]] = {}
        asb = self.monthly[self.monthly["project"] == "asb"]
        for district, rows in asb.groupby("district", sort=True):
            previous = 0
            for row in rows.itertuples():
                posts = int(row.warden_posts)
                if posts > previous:
                    out.setdefault(str(district), []).append((str(row.month), posts - previous))
                previous = max(previous, posts)
        return out

    def spend_in(self, month_key: str, project: str) -> float:
        """Planned (or actual) spend of a project in a month, GBP."""
        rows = self.monthly[(self.monthly["month"] == month_key) & (self.monthly["project"] == project)]
        return float(rows["spend_gbp"].sum())

    def text(self) -> str:
        """A short human summary (the CLI prints it)."""
        s = self.summary
        lines = [f"annual plan {s['period']}: {s['status']} ({s['solver']}, {s['solve_seconds']:.2f} s)"]
        if s.get("explanation"):
            lines.append(f"  {s['explanation']}")
        if s["status"] in ("optimal", "feasible"):
            for project in PROJECTS:
                p = s["projects"][project]
                if not p.get("planned", True):
                    lines.append(f"  {project}: not planned in this scenario (active_projects)")
                    continue
                lines.append(
                    f"  {project}: spend £{p['spend_gbp']:,.2f} of £{p['allocation_gbp']:,.2f} "
                    f"(headroom £{p['headroom_gbp']:,.2f}); {p['patrol_person_hours']:,.1f} person-hours"
                )
            posts = ", ".join(f"{d} {n}" for d, n in s["warden_posts_at_end"].items()) or "none"
            lines.append(f"  warden posts at the period end: {posts}")
            lines.append(
                f"  patrol person-hours {s['patrol_person_hours']:,.1f} (target {s['target_hours']:,.0f}, "
                f"ceiling {s['ceiling_hours']:,.0f}; short {s['target_shortfall_hours']:,.1f}); "
                f"harm-weighted {s['harm_weighted_patrol_hours']:,.1f}"
            )
            lines.append(f"  PCSO hours (force-funded, apart): {s['pcso_patrol_hours']:,.1f}")
        for note in s.get("notes", []):
            lines.append(f"  note: {note}")
        return "\n".join(lines)


def _monthly_frame(inputs: AnnualInputs, solution: AnnualSolution) -> pd.DataFrame:
    months = inputs.months
    keys: list[tuple[str, str]] = [(z.project, z.district) for z in inputs.zones]
    for _m, p, d in list(inputs.actual_spend_gbp) + list(inputs.actual_hours):
        if (p, d) not in keys:
            keys.append((p, d))
    keys.sort(key=lambda k: (PROJECTS.index(k[0]), k[1]))
    records: list[dict[str, Any]] = []
    spent = dict.fromkeys(PROJECTS, 0.0)
    for m, month in enumerate(months):
        fixed = m < inputs.fixed_months
        for project, district in keys:
            posts = 0
            officer_hours = 0.0
            if fixed:
                spend = inputs.actual_spend_gbp.get((month.key, project, district), 0.0)
                person = inputs.actual_hours.get((month.key, project, district), 0.0)
                if project == "asb" and district in inputs.warden_cost_gbp and inputs.warden_cost_gbp[district][m] > 0:
                    posts = round(spend / inputs.warden_cost_gbp[district][m])
                if project == "sv":
                    officer_hours = person
            elif project == "asb":
                posts = solution.posts.get(district, [0] * len(months))[m]
                person = posts * inputs.warden_hours.get(district, (0.0,) * len(months))[m]
                spend = posts * inputs.warden_cost_gbp.get(district, (0.0,) * len(months))[m]
            else:
                officer_hours = solution.officer_hours.get(district, [0.0] * len(months))[m]
                person = officer_hours
                spend = officer_hours * inputs.officer_rate_gbp[m]
            records.append(
                {
                    "month": month.key,
                    "project": project,
                    "district": district,
                    "warden_posts": posts,
                    "officer_overtime_hours": round(officer_hours, 2),
                    "patrol_person_hours": round(person, 2),
                    "patrol_crew_hours": round(person / inputs.crew_size(project), 2),
                    "spend_gbp": round(spend, 2),
                }
            )
        # the allocation left at the month's end, over all districts (rows rounded as written, so the last
        # month's figure is the summary's headroom)
        for project in PROJECTS:
            spent[project] += sum(
                r["spend_gbp"] for r in records if r["month"] == month.key and r["project"] == project
            )
        for record in records:
            if record["month"] == month.key:
                record["headroom_gbp"] = round(inputs.allocation_gbp[record["project"]] - spent[record["project"]], 2)
    return pd.DataFrame.from_records(records, columns=list(MONTHLY_COLUMNS))


def _pcso_frame(inputs: AnnualInputs) -> pd.DataFrame:
    records = []
    for m, month in enumerate(inputs.months):
        for district in sorted(inputs.pcso_hours):
            records.append(
                {
                    "month": month.key,
                    "district": district,
                    "pcso_patrol_hours": round(inputs.pcso_hours[district][m], 2),
                    "cost_gbp": round(inputs.pcso_cost_gbp[district][m], 2),
                    "funding": "force",
                }
            )
    return pd.DataFrame.from_records(records, columns=list(PCSO_COLUMNS))


def _summary(loaded: LoadedScenario, inputs: AnnualInputs, solution: AnnualSolution, monthly: pd.DataFrame,
             pcso: pd.DataFrame, seasonality: Seasonality, actuals: Actuals | None) -> dict[str, Any]:  # fmt: skip
    scenario = loaded.scenario
    share = {(z.project, z.district): z.share for z in inputs.zones}
    harm_hours = float(
        sum(share.get((r.project, r.district), 0.0) * r.patrol_person_hours for r in monthly.itertuples())
    )
    projects = {}
    for project in PROJECTS:
        rows = monthly[monthly["project"] == project]
        spend = float(rows["spend_gbp"].sum())
        planned = project in scenario.active_projects
        projects[project] = {
            "planned": planned,
            "allocation_gbp": round(inputs.allocation_gbp[project], 2),
            "spend_gbp": round(spend, 2),
            # a project the scenario leaves out has no headroom in this plan: its money is not planned here
            "headroom_gbp": round(inputs.allocation_gbp[project] - spend, 2) if planned else 0.0,
            "patrol_person_hours": round(float(rows["patrol_person_hours"].sum()), 2),
            "patrol_crew_hours": round(float(rows["patrol_crew_hours"].sum()), 2),
            "spend_by_district_gbp": {
                str(d): round(float(v), 2) for d, v in rows.groupby("district")["spend_gbp"].sum().items()
            },
        }
    last = inputs.months[-1].key
    end_rows = monthly[(monthly["month"] == last) & (monthly["project"] == "asb")]
    return {
        "scenario": scenario.name,
        "scenario_sha256": loaded.sha256,
        "overrides": list(loaded.overrides),
        "period": f"{scenario.period.start}..{scenario.period.end}",
        "status": solution.status,
        "explanation": solution.explanation,
        "solver": solution.solver,
        "objective": None if solution.objective is None else round(solution.objective, 6),
        "best_bound": None if solution.best_bound is None else round(solution.best_bound, 6),
        "warm_start": solution.warm_start,
        "solve_seconds": round(solution.solve_seconds, 3),
        "harm_weighted_patrol_hours": round(harm_hours, 3),
        "patrol_person_hours": round(float(monthly["patrol_person_hours"].sum()), 2),
        "patrol_crew_hours": round(float(monthly["patrol_crew_hours"].sum()), 2),
        "target_hours": inputs.target_hours,
        "ceiling_hours": inputs.ceiling_hours,
        "target_shortfall_hours": round(solution.shortfall_hours, 2),
        "projects": projects,
        "warden_posts_at_end": {str(r.district): int(r.warden_posts) for r in end_rows.itertuples()},
        "officer_overtime_hours": round(float(monthly["officer_overtime_hours"].sum()), 2),
        "pcso_patrol_hours": round(float(pcso["pcso_patrol_hours"].sum()), 2) if len(pcso) else 0.0,
        "pcso_cost_gbp": round(float(pcso["cost_gbp"].sum()), 2) if len(pcso) else 0.0,
        "zones": [
            {
                "project": z.project,
                "district": z.district,
                "hotspots": z.hotspots,
                "harm_share": round(z.share, 6),
                "tiers": z.tiers,
                "tier_person_hours_per_day": round(z.tier_hours_per_day, 4),
            }
            for z in inputs.zones
        ],
        "seasonal_weights": {p: [round(w, 4) for w in seasonality.weights[p]] for p in PROJECTS},
        "seasonal_source": seasonality.source,
        "officer_rate_gbp_per_hour": {
            m.key: round(r, 4) for m, r in zip(inputs.months, inputs.officer_rate_gbp, strict=True)
        },
        "officer_capacity_hours": {
            m.key: round(c, 2) for m, c in zip(inputs.months, inputs.officer_capacity_hours, strict=True)
        },
        "actuals": None
        if actuals is None
        else {"file": actuals.source, "as_of": actuals.as_of, "committed_posts": dict(inputs.committed_posts)},
        "warden_contracts": _contracts_summary(scenario, inputs),
        "notes": [
            *inputs.notes,
            *_limit_notes(scenario, inputs, solution, monthly, projects),
            *_contract_notes(scenario, inputs, solution, projects),
            *_unused_settings_notes(scenario),
            *(
                [
                    f"the target of {inputs.target_hours:,.0f} patrol person-hours is above the ceiling of "
                    f"{inputs.ceiling_hours:,.0f}: the plan cannot meet it; check --target-hours and --ceiling-hours"
                ]
                if inputs.target_hours > inputs.ceiling_hours
                else []
            ),
        ],
    }


def _ceiling_reached(inputs: AnnualInputs, monthly: pd.DataFrame) -> bool:
    """Whether the plan's patrol person-hours reach the Home Office ceiling.

    Within 1%: posts come whole, so the last hours may not fit.
    """
    return float(monthly["patrol_person_hours"].sum()) >= 0.99 * inputs.ceiling_hours


def _officer_capacity_use(inputs: AnnualInputs, monthly: pd.DataFrame) -> tuple[float, float]:
    """Officer overtime capacity of the planned months and the hours the plan uses of it."""
    planned = range(inputs.fixed_months, len(inputs.months))
    capacity = sum(inputs.officer_capacity_hours[m] for m in planned)
    keys = {inputs.months[m].key for m in planned}
    used = float(monthly[monthly["month"].isin(keys) & (monthly["project"] == "sv")]["officer_overtime_hours"].sum())
    return capacity, used


def _capacity_notes(
    scenario: Scenario, inputs: AnnualInputs, monthly: pd.DataFrame, projects: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Say so when the officers' working-time capacity, not the money, limits SV overtime.

    Why: finance sees SV money unspent and would read it as a plan that did not try; the limit is the
    officers' weekly hours (``max_weekly_hours`` less normal duty), which only more officers lift.
    """
    if "sv" not in scenario.active_projects:
        return []
    capacity, used = _officer_capacity_use(inputs, monthly)
    left = float(projects["sv"]["headroom_gbp"])
    if capacity <= 0 or used < 0.99 * capacity or left < 0.01 * float(projects["sv"]["allocation_gbp"]):
        return []
    short = capacity - used
    # a few hours short of capacity with the ceiling reached: the ceiling took them, and says so here
    where = (
        f"within {short:,.0f} h of the officers' working-time capacity (the patrol-hour ceiling takes those)"
        if short >= 1 and _ceiling_reached(inputs, monthly)
        else "at the officers' working-time capacity"
    )
    return [
        f"officer overtime is {where} ({used:,.0f} of {capacity:,.0f} hours: max_weekly_hours less normal duty), "
        f"not the money: £{left:,.2f} of the SV allocation is left; more officers in the overtime pool would use it"
    ]


def _unused_settings_notes(scenario: Scenario) -> list[str]:
    """Scenario settings the annual plan does not use, named so an override is not thought to have worked."""
    notes = []
    for project in PROJECTS:
        if scenario.projects.get(project).weekly_budget_gbp is not None:
            notes.append(
                f"projects.{project}.weekly_budget_gbp is a weekly plan's budget; the annual plan uses "
                f"projects.{project}.allocation_gbp"
            )
    left_out = [p for p in PROJECTS if p not in scenario.active_projects]
    if left_out:
        notes.append(f"{', '.join(left_out)} not planned in this scenario (active_projects): no spend, no headroom")
    return notes


def _contracts_summary(scenario: Scenario, inputs: AnnualInputs) -> dict[str, Any]:
    """The scenario's warden contracts over the period: how many, their cost and hours.

    ``committed`` says whether the plan kept them (``--commit-contracts``) or planned posts afresh.
    """
    start, end = scenario.period.start, scenario.period.end
    count, cost, hours = 0, 0.0, 0.0
    for warden in scenario.warden_list():
        first, last = max(start, warden.contract_start), min(end, warden.contract_end)
        if first <= last:
            days = (last - first).days + 1
            count += 1
            cost += warden.annual_cost_gbp * days / 365
            hours += warden.contracted_hours_per_week * days / 7
    return {
        "count": count,
        "cost_gbp": round(cost, 2),
        "contracted_hours": round(hours, 1),
        "committed": bool(inputs.contract_posts),
    }


def _contract_notes(
    scenario: Scenario, inputs: AnnualInputs, solution: AnnualSolution, projects: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Set the scenario's warden contracts beside a plan that funds posts afresh.

    Why: the weekly roster pays every contract in the scenario; a plan of fresh posts can show their
    money as headroom (or call a cut allocation affordable that the contracts already exceed).
    """
    if inputs.contract_posts or "asb" not in scenario.active_projects:
        return []
    contracts = _contracts_summary(scenario, inputs)
    if not contracts["count"]:
        return []
    allocation = float(projects["asb"]["allocation_gbp"])
    left = allocation - contracts["cost_gbp"]
    posts = sum(solution.posts[d][-1] for d in solution.posts) if solution.posts else 0
    return [
        f"posts are planned afresh ({posts} at the period end): the scenario's {contracts['count']} warden contracts "
        f"cost £{contracts['cost_gbp']:,.2f} in the period"
        + (
            f", £{-left:,.2f} more than the ASB allocation (the weekly roster of this scenario is infeasible)"
            if left < 0
            else f", leaving £{left:,.2f} of the ASB allocation"
        )
        + "; --commit-contracts plans around them"
    ]


def _limit_notes(
    scenario: Scenario,
    inputs: AnnualInputs,
    solution: AnnualSolution,
    monthly: pd.DataFrame,
    projects: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Say which limit, not the money, decides a plan: the Home Office ceiling, the officers' capacity."""
    if solution.status not in ("optimal", "feasible"):
        return []
    return [
        *_ceiling_notes(scenario, inputs, monthly, projects),
        *_capacity_notes(scenario, inputs, monthly, projects),
        *_saturation_notes(scenario, inputs, solution, monthly, projects),
    ]


def _saturation_notes(
    scenario: Scenario,
    inputs: AnnualInputs,
    solution: AnnualSolution,
    monthly: pd.DataFrame,
    projects: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Say why money is left when neither the ceiling nor the officers' capacity decides (their own notes).

    Less than one more post-month (ASB) or overtime hour (SV) is left; or, with the patrol-hour target met,
    the hotspots' useful hours (a zone's tiers, the visits a day they can use) are full and an hour past
    them is worth nothing, so the plan leaves the money as headroom; finance read that as --target-hours
    capping the spend.
    """
    if _ceiling_reached(inputs, monthly):
        return []  # the ceiling decides (its own note)
    notes = []
    for project in PROJECTS:
        if project not in scenario.active_projects or project not in projects:
            continue
        left = float(projects[project]["headroom_gbp"])
        if left < 0.01 * float(projects[project]["allocation_gbp"]):
            continue
        if project == "sv" and _capacity_notes(scenario, inputs, monthly, projects):
            continue
        last = len(inputs.months) - 1
        unit = (
            min((c[last] for c in inputs.warden_cost_gbp.values() if c[last] > 0), default=0.0)
            if project == "asb"
            else inputs.officer_rate_gbp[last]
        )
        if left < unit:
            what = "a warden post-month" if project == "asb" else "an officer overtime hour"
            notes.append(f"£{left:,.2f} of the {project.upper()} allocation is left: less than {what} (£{unit:,.2f})")
            continue
        if solution.shortfall_hours > 1e-6:
            continue  # short of the target: every affordable hour is bought
        zones = [z for z in inputs.zones if z.project == project]
        full = [z for z in zones if _zone_full(inputs, monthly, z)]
        if not full:
            continue
        useful = ", ".join(f"{z.district} {z.tiers * z.tier_hours_per_day:.1f} h a day" for z in full)
        notes.append(
            f"£{left:,.2f} of the {project.upper()} allocation is left: the patrol-hour target "
            f"({inputs.target_hours:,.0f}) is met and the hotspots' useful hours are full ({useful}): the plan "
            f"values more {project.upper()} hours there at nothing (the harm-weighted hours figure still counts "
            "them); raise --target-hours to buy hours anyway"
        )
    return notes


def _zone_full(inputs: AnnualInputs, monthly: pd.DataFrame, zone: Zone) -> bool:
    """Whether a zone's planned hours reach its useful hours (tiers x hours a day) in some planned month."""
    rows = monthly[(monthly["project"] == zone.project) & (monthly["district"] == zone.district)]
    hours = dict(zip(rows["month"], rows["patrol_person_hours"], strict=True))
    return any(
        hours.get(month.key, 0.0) >= 0.99 * zone.tiers * zone.tier_hours_per_day * month.days
        for month in inputs.months[inputs.fixed_months :]
    )


def _ceiling_notes(
    scenario: Scenario, inputs: AnnualInputs, monthly: pd.DataFrame, projects: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Say so when the Home Office ceiling, not the money, decides the plan.

    Why: the weekly roster pays every warden contract in the scenario, while this plan may fund fewer
    posts because the year's patrol hours are capped; finance must see that the two differ and why.
    """
    if not _ceiling_reached(inputs, monthly):
        return []
    hours = float(monthly["patrol_person_hours"].sum())
    contracts = _contracts_summary(scenario, inputs)
    posts, contracted = contracts["count"], contracts["contracted_hours"]
    unspent = projects["asb"]["headroom_gbp"] if "asb" in projects else 0.0
    final_month = inputs.months[-1].key
    funded = int(monthly[(monthly["month"] == final_month) & (monthly["project"] == "asb")]["warden_posts"].sum())
    notes = []
    if "asb" in projects and funded < posts and unspent >= 0.01 * float(projects["asb"]["allocation_gbp"]):
        notes.append(
            f"the ceiling of {inputs.ceiling_hours:,.0f} patrol person-hours decides this plan ({hours:,.1f} "
            f"planned), not the money: the scenario's {posts} warden contracts alone are {contracted:,.0f} "
            f"contracted hours in the period, so posts are cut and £{unspent:,.2f} of the ASB allocation is left "
            "(the weekly roster still pays every contract in the scenario: align them, or raise the ceiling if the "
            "Home Office agrees)"
        )
    left_sv = float(projects["sv"]["headroom_gbp"]) if "sv" in projects else 0.0
    capacity, used = _officer_capacity_use(inputs, monthly)
    if (
        "sv" in scenario.active_projects
        and "sv" in projects
        and capacity > 0
        and used < 0.99 * capacity  # near capacity, the officers' hours decide (their note)
        and left_sv >= 0.01 * float(projects["sv"]["allocation_gbp"])
    ):
        notes.append(
            f"£{left_sv:,.2f} of the SV allocation is left: the ceiling of {inputs.ceiling_hours:,.0f} patrol "
            f"person-hours is reached ({hours:,.1f} planned), so no more overtime hours fit beside the warden posts"
        )
    return notes


def annual_plan(
    loaded: LoadedScenario,
    *,
    out_dir: str | Path | None = None,
    actuals: str | Path | None = None,
    as_of: str | None = None,
    solver: SolverName = "cbc",
    seasonality: Seasonality | Literal["incidents", "flat"] = "incidents",
    street_dir: str | Path | None = None,
    target_hours: float = DEFAULT_TARGET_HOURS,
    ceiling_hours: float = DEFAULT_CEILING_HOURS,
    time_limit_seconds: float | None = None,
    warm_start: AnnualPlan | None = None,
    commit_contracts: bool = False,
) -> AnnualPlan:
    """Plan the grant period month by month; write ``monthly_plan.csv`` and the summary when ``out_dir``.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario (period, allocations, hotspots, staff, pay rules).
    out_dir : path, optional
        Folder for ``monthly_plan.csv``, ``pcso_hours.csv``, ``summary.json`` and ``summary.txt``.
    actuals, as_of : path and ``YYYY-MM``, optional
        Spend and hours so far (see :func:`read_actuals`): months up to ``as_of`` are fixed and the rest
        re-planned with what is left of each allocation, so an underspend moves forward.
    solver : "cbc" or "highs"
        CBC (bundled with PuLP) by default; HiGHS through ``highspy``.
    seasonality : Seasonality, "incidents" or "flat"
        Seasonal weights; "incidents" reads police.uk files from ``street_dir``.
    target_hours, ceiling_hours : float
        Soft minimum and hard maximum of grant-funded patrol person-hours over the period.
    time_limit_seconds : float, optional
        Solver time limit; default the scenario's ``solver.time_limit_seconds``.
    warm_start : AnnualPlan, optional
        A previous plan whose decisions start the solver (used by budget sweeps).
    commit_contracts : bool
        The scenario's warden contracts are committed posts (their cost is spent, not headroom; the
        in-year view); by default posts are planned afresh (what the grant can fund as a programme),
        and the summary sets the contracts' cost beside the plan.

    Returns
    -------
    AnnualPlan
        An infeasible plan is returned with its status and explanation, not raised.
    """
    scenario = loaded.scenario
    if isinstance(seasonality, str):
        if seasonality == "flat":
            seasons = Seasonality.flat()
        elif seasonality == "incidents":
            seasons = seasonal_weights(scenario, street_dir=street_dir)
        else:
            raise DataError(f"seasonality {seasonality!r} must be 'incidents' or 'flat'")
    else:
        seasons = seasonality
    if as_of is not None and actuals is None:
        raise DataError("--as-of needs --actuals FILE (the spend and hours up to that month)")
    recorded = read_actuals(actuals, scenario, as_of=as_of) if actuals is not None else None
    inputs = annual_inputs(
        scenario,
        seasonality=seasons,
        actuals=recorded,
        target_hours=target_hours,
        ceiling_hours=ceiling_hours,
        commit_contracts=commit_contracts,
    )
    limit = time_limit_seconds if time_limit_seconds is not None else scenario.solver.time_limit_seconds
    solution = solve_annual(
        inputs, solver=solver, time_limit_seconds=limit, warm_start=warm_start.solution if warm_start else None
    )
    monthly = _monthly_frame(inputs, solution)
    pcso = _pcso_frame(inputs)
    summary = _summary(loaded, inputs, solution, monthly, pcso, seasons, recorded)
    plan = AnnualPlan(inputs, solution, monthly, pcso, summary)
    if out_dir is not None:
        plan.out_dir = write_annual_plan(plan, out_dir)
    log.info("annual plan: %s", plan.text().splitlines()[0])
    return plan


def write_annual_plan(plan: AnnualPlan, out_dir: str | Path) -> Path:
    """Write ``monthly_plan.csv``, ``pcso_hours.csv``, ``summary.json`` and ``summary.txt`` into ``out_dir``.

    The four are written together or not at all. A plan that is not one (infeasible, no plan) never
    replaces a plan in its folder: it goes beside it, ``<folder>.<status>`` (the folder it went to is
    returned), as ``patrol plan`` does.
    """
    folder = Path(out_dir)
    others = [name for name in PLAN_FILES if name != "summary.json" and (folder / name).exists()]
    if others:
        raise DataError(
            f"{folder}: holds a weekly plan ({', '.join(others)}); an annual plan would replace its summary.json: "
            "give --out another folder"
        )
    if plan.status not in ("optimal", "feasible") and _holds_an_annual_plan(folder):
        folder = beside(folder, plan.status, lambda place: not _holds_an_annual_plan(place) and not place.is_file())
    return replace_files(
        folder,
        {
            "monthly_plan.csv": lambda path: plan.monthly.to_csv(path, index=False),
            "pcso_hours.csv": lambda path: plan.pcso.to_csv(path, index=False),
            "summary.json": lambda path: path.write_text(json.dumps(plan.summary, indent=2) + "\n", encoding="utf-8"),
            "summary.txt": lambda path: path.write_text(plan.text() + "\n", encoding="utf-8"),
        },
    )


def _holds_an_annual_plan(folder: Path) -> bool:
    """Whether ``folder`` holds an annual plan whose summary says it is one (optimal or feasible)."""
    summary = written_summary(folder)
    return summary is not None and "period" in summary and summary.get("status") in ("optimal", "feasible")


# ---- figures of a weekly plan ------------------------------------------------------------------


def _plan_scenario(plan: Plan) -> tuple[Scenario, date] | None:
    """The plan's own scenario and week (None when the plan does not carry them readably)."""
    week = plan.summary.get("week_start")
    if not plan.scenario_yaml or not isinstance(week, str):
        return None
    try:
        return Scenario.model_validate(yaml.safe_load(plan.scenario_yaml)), date.fromisoformat(week)
    except (ValueError, yaml.YAMLError):
        return None


def _warden_contracts(plan: Plan) -> list[tuple[str, float]] | None:
    """``(district, committed cost GBP)`` of each warden contract in force in the plan's week.

    The budget rule's committed cost (annual cost x contract days in the week / 365): one on leave all
    week is still a post and a cost. Empty when the plan leaves ASB out (no committed cost then); None
    without a readable scenario.
    """
    if plan.summary.get("status") in ("infeasible", "no-plan"):
        return []  # no plan, no figures: its zeros must not sit beside contract costs
    known = _plan_scenario(plan)
    if known is None:
        return None
    scenario, first = known
    if "asb" not in scenario.active_projects:
        return []
    days = [first + timedelta(days=i) for i in range(7)]
    contracts = []
    period = scenario.period
    for warden in scenario.warden_list():
        first, last = max(warden.contract_start, period.start), min(warden.contract_end, period.end)
        in_force = sum(1 for d in days if first <= d <= last)
        if in_force:
            contracts.append((warden.district, warden.annual_cost_gbp * in_force / 365))
    return contracts


def _warden_posts(plan: Plan) -> int:
    """Warden contracts in force in the plan's week, from the plan's own scenario (else the wardens rostered)."""
    contracts = _warden_contracts(plan)
    if contracts is None:
        return len({r.staff_id for r in plan.roster if r.role == "warden"})
    return len(contracts)


def plan_figures(plan: Plan) -> dict[str, Any]:
    """Key figures of a planned week, from its summary and roster (for sweeps, comparisons and batches).

    Person-hours are shift lengths less breaks (time on a patrol shift), by role; costs by funding are
    the summary's (ASB is the committed warden cost); by project and district, ASB is the committed cost
    of each district's contracts (so the districts add up to the ASB total) and SV the officer rows by
    the officer's district (PCSOs are force-funded and kept apart).
    """
    summary = plan.summary
    shifts: dict[str, list[Any]] = {}
    for row in plan.roster:
        shifts.setdefault(row.shift_id, []).append(row)
    hours = {"warden": 0.0, "officer": 0.0, "pcso": 0.0}
    for rows in shifts.values():
        start = min(r.shift_start for r in rows)
        end = max(r.shift_end for r in rows)
        # in UTC: two datetimes sharing a zone subtract on the wall clock (a night over a clock change)
        elapsed = end.astimezone(UTC) - start.astimezone(UTC)
        worked = elapsed.total_seconds() / 3600 - rows[0].break_minutes / 60
        hours[rows[0].role] = hours.get(rows[0].role, 0.0) + worked
    by_district: dict[str, float] = {}
    contracts = _warden_contracts(plan)
    for row in plan.roster:
        project = {"warden": "asb", "officer": "sv"}.get(row.role)
        if project == "sv" or (project == "asb" and contracts is None):
            key = f"cost_{project}_{row.district}_gbp"
            by_district[key] = by_district.get(key, 0.0) + row.cost_gbp
    # ASB by district is the committed contract cost, as the ASB total is (a paid day of leave included)
    for district, cost_gbp in contracts or []:
        key = f"cost_asb_{district}_gbp"
        by_district[key] = by_district.get(key, 0.0) + cost_gbp
    cost = summary_mapping(summary, "cost_gbp")
    budget = summary_mapping(summary, "budget_gbp")
    visits = summary_mapping(summary, "visits_by_hotspot")
    return {
        "status": summary.get("status"),
        "objective": summary.get("objective"),
        "best_bound": summary.get("best_bound"),
        "gap": summary.get("gap"),
        "harm_weighted_dosage": summary.get("harm_weighted_dosage"),
        "visits": int(sum(visits.values())),
        "hotspots_visited": sum(1 for n in visits.values() if n > 0),
        "shifts": len(shifts),
        "warden_posts": _warden_posts(plan),
        "patrol_hours": round(hours["warden"] + hours["officer"], 2),
        "officer_overtime_hours": round(hours["officer"], 2),
        "pcso_hours": round(hours["pcso"], 2),
        "cost_grant_asb_gbp": cost.get("grant-asb"),
        "cost_grant_sv_gbp": cost.get("grant-sv"),
        "cost_force_gbp": cost.get("force"),
        "budget_asb_gbp": budget.get("asb"),
        "budget_sv_gbp": budget.get("sv"),
        "validation_ok": summary_mapping(summary, "validation").get("ok"),
        "solve_seconds": summary.get("solve_seconds"),
        **{k: v for k, v in sorted(_pennies(by_district).items())},
    }


def _pennies(amounts: Mapping[str, float]) -> dict[str, float]:
    """Amounts rounded to the penny, adding up within each prefix (``cost_asb_``, ``cost_sv_``).

    Each prefix's amounts add up to their sum rounded to the penny: the largest remainders take the odd
    pennies (finance adds the districts up and expects the total).
    """
    out: dict[str, float] = {}
    for prefix in sorted({key.rsplit("_", 2)[0] for key in amounts}):
        keys = [key for key in amounts if key.rsplit("_", 2)[0] == prefix]
        exact = {key: amounts[key] * 100 for key in keys}
        floors = {key: math.floor(value + 1e-9) for key, value in exact.items()}
        left = round(sum(exact.values())) - sum(floors.values())
        for key in sorted(keys, key=lambda k: (floors[k] - exact[k], k))[: max(0, left)]:
            floors[key] += 1
        out.update({key: floors[key] / 100 for key in keys})
    return out


# ---- budget sweep ------------------------------------------------------------------------------

SWEEP_COLUMNS: tuple[str, ...] = (
    "factor", "asb_budget_gbp", "sv_budget_gbp", "status", "warden_posts", "officer_overtime_hours",
    "harm_weighted_dosage", "patrol_hours", "visits", "cost_gbp", "marginal_dosage_per_1000_gbp",
)  # fmt: skip


def _yaml_value(value: Any) -> str:
    """A ``--set`` value: JSON is YAML, so lists of mappings and dates (as strings) pass unchanged."""
    return json.dumps(value, separators=(",", ":"))


def staffing_overrides(scenario: Scenario, annual: AnnualPlan, week_start: date) -> list[str]:
    """``--set`` overrides that give the week the annual plan's staffing and money.

    - ``staff.wardens``: one pool per district and hiring month (contract from the 1st of that month to
      the period end, cost and hours as the annual plan priced them: the mean of the district's
      wardens, whose base the pool uses); posts starting after the week are left out. Individual leave
      days of the scenario's wardens do not carry over (the posts are new people).
    - ``projects.asb.weekly_budget_gbp``: the posts' committed cost that week (the plan rules' formula,
      rounded up to the penny), which the annual plan has already fitted into the allocation.
    - ``projects.sv.weekly_budget_gbp``: the annual plan's overtime spend of each day of the week (its
      month's spend spread evenly over the month's days).
    """
    week_end = week_start + timedelta(days=6)
    months = annual.inputs.months
    entries: list[dict[str, Any]] = []
    committed_gbp = 0.0
    wardens = scenario.warden_list()
    for district, hires in sorted(annual.hires().items()):
        here = [w for w in scenario.staff.wardens if w.district == district]
        pool_of = [w for w in wardens if w.district == district] or wardens
        annual_cost = float(np.mean([w.annual_cost_gbp for w in pool_of]))
        weekly_hours = float(np.mean([w.contracted_hours_per_week for w in pool_of]))
        if here:
            base, prefix = here[0].base, here[0].id_prefix or here[0].id or f"W-{district}"
        else:
            bases = [b.id for b in scenario.bases if b.kind == "warden_base" and b.district == district]
            if not bases:
                raise DataError(
                    f"district {district}: the annual plan hires wardens there but the scenario has no warden "
                    "entry nor warden_base in it; add a base with kind: warden_base and district: " + district
                )
            base, prefix = bases[0], f"W-{district}"
        for month_key, count in hires:
            month = months[_month_index(months, month_key) or 0]
            start = month.first
            if start > week_end:
                continue
            end = scenario.period.end
            entries.append(
                {
                    "id_prefix": f"{prefix}-{month_key.replace('-', '')}",
                    "count": count,
                    "district": district,
                    "base": base,
                    "contract_start": start.isoformat(),
                    "contract_end": end.isoformat(),
                    "contracted_hours_per_week": round(weekly_hours, 4),
                    "annual_cost_gbp": round(annual_cost, 2),
                }
            )
            days = sum(1 for i in range(7) if start <= week_start + timedelta(days=i) <= end)
            committed_gbp += count * round(annual_cost, 2) * days / 365
    sv_budget = 0.0
    for i in range(7):
        day = week_start + timedelta(days=i)
        for month in months:
            if month.first <= day <= month.last:
                sv_budget += annual.spend_in(month.key, "sv") / month.days
                break
    return [
        f"staff.wardens={_yaml_value(entries)}",
        # the posts' cost summed, then rounded up to the penny: the week's check allows no less
        f"projects.asb.weekly_budget_gbp={math.ceil(round(committed_gbp * 100, 6)) / 100:.2f}",
        f"projects.sv.weekly_budget_gbp={math.floor(sv_budget * 100) / 100:.2f}",
    ]


def budget_sweep(
    loaded: LoadedScenario,
    *,
    factors: Sequence[float],
    out_dir: str | Path,
    solver: SolverName = "cbc",
    seasonality: Seasonality | Literal["incidents", "flat"] = "incidents",
    street_dir: str | Path | None = None,
    target_hours: float = DEFAULT_TARGET_HOURS,
    ceiling_hours: float = DEFAULT_CEILING_HOURS,
    week_start: date | None = None,
) -> pd.DataFrame:
    """Scale both allocations by each factor, plan the year, then roster the week with that staffing.

    Levels are solved in increasing order of factor; each level's annual model starts from the previous
    level's plan (a MIP start: a smaller budget's plan is feasible at a larger one; the optimum found is
    the same as without it). Each level's week is rostered on its own (the people differ between levels,
    so no roster carries over). Results are not smoothed: a level that is infeasible, or whose week fails
    its check (``check-failed``), keeps its row with its status and explanation. Warden posts
    are planned afresh at every level (what each budget buys as a programme), not from the scenario's
    contracts, which would leave nothing to choose below their cost.

    Writes ``sweep.csv`` (:data:`SWEEP_COLUMNS`, then annual figures, costs by funding and by project and
    district), ``sweep.png`` (the frontier) and, per level, ``factor-<f>/annual`` and ``factor-<f>/week``.

    Returns
    -------
    pandas.DataFrame
        One row per factor, increasing. ``marginal_dosage_per_1000_gbp`` is the change in the week's
        harm-weighted dosage per £1,000 more annual allocation (both projects) than the previous level.
    """
    from optimiser.pipeline import plan_to_folder
    from optimiser.scenario import load_scenario

    levels = sorted({float(f) for f in factors})
    if not levels:
        raise DataError("give at least one budget factor, e.g. --factors 0.5,0.75,1,1.25")
    if levels[0] < 0:
        raise DataError(f"budget factors must be >= 0 (got {levels[0]:g})")
    scenario = loaded.scenario
    week = week_start or scenario.default_week_start
    if isinstance(seasonality, str):
        seasons = (
            seasonal_weights(scenario, street_dir=street_dir) if seasonality == "incidents" else Seasonality.flat()
        )
    else:
        seasons = seasonality
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    asb, sv = scenario.projects.asb.allocation_gbp, scenario.projects.sv.allocation_gbp
    rows: list[dict[str, Any]] = []
    previous: AnnualPlan | None = None
    for factor in levels:
        level_dir = folder / f"factor-{factor:g}"
        scaled_overrides = [
            *loaded.overrides,
            f"projects.asb.allocation_gbp={asb * factor:.2f}",
            f"projects.sv.allocation_gbp={sv * factor:.2f}",
        ]
        row: dict[str, Any] = {
            "factor": factor,
            "asb_budget_gbp": round(asb * factor, 2),
            "sv_budget_gbp": round(sv * factor, 2),
        }
        scaled = load_scenario(loaded.path, scaled_overrides)
        annual = annual_plan(
            scaled, out_dir=level_dir / "annual", solver=solver, seasonality=seasons, target_hours=target_hours,
            ceiling_hours=ceiling_hours, warm_start=previous,
        )  # fmt: skip
        row.update(
            annual_status=annual.status,
            annual_objective=annual.summary["objective"],
            annual_patrol_person_hours=annual.summary["patrol_person_hours"],
            annual_officer_overtime_hours=annual.summary["officer_overtime_hours"],
            annual_spend_gbp=round(sum(annual.summary["projects"][p]["spend_gbp"] for p in PROJECTS), 2),
            annual_headroom_gbp=round(sum(annual.summary["projects"][p]["headroom_gbp"] for p in PROJECTS), 2),
            annual_warm_start=annual.summary["warm_start"],
        )
        if annual.status not in ("optimal", "feasible"):
            row.update(status=f"annual-{annual.status}", explanation=annual.summary["explanation"])
            rows.append(row)
            continue
        previous = annual
        try:
            staffed = load_scenario(loaded.path, scaled_overrides + staffing_overrides(scaled.scenario, annual, week))
            result = plan_to_folder(staffed, week_start=week, out_dir=level_dir / "week", keep_valid=False)
        except PatrolError as exc:
            row.update(status="error", explanation=str(exc))
            rows.append(row)
            continue
        figures = plan_figures(result.plan)
        row.update(figures)
        row["explanation"] = result.plan.summary.get("explanation", "")
        if figures["status"] in ("optimal", "feasible") and figures["validation_ok"] is False:
            # a week that fails its own check is not a point on the frontier: say so, as `patrol plan` does
            violations = result.plan.summary["validation"]["violations"]
            row["status"] = "check-failed"
            row["explanation"] = f"the week's plan failed its check: {'; '.join(violations[:3])}"
        if row["status"] in ("optimal", "feasible"):
            row["cost_gbp"] = round((figures["cost_grant_asb_gbp"] or 0.0) + (figures["cost_grant_sv_gbp"] or 0.0), 2)
        rows.append(row)
        log.info("sweep factor %g: %s", factor, result.headline())
    frame = pd.DataFrame.from_records(rows)
    # every project and district has its cost column whatever the levels listed, so sweeps line up
    districts = [f"cost_{p}_{d}_gbp" for p in PROJECTS for d in sorted(scenario.districts)]
    for column in [*SWEEP_COLUMNS, *districts, "explanation"]:
        if column not in frame.columns:
            frame[column] = np.nan
    planned = frame["status"].isin(["optimal", "feasible"])
    for column in [c for c in frame.columns if c.startswith("cost_") and c.endswith("_gbp")]:
        frame.loc[planned, column] = frame.loc[planned, column].fillna(0.0)
    frame["marginal_dosage_per_1000_gbp"] = _marginal(frame)
    fixed = [*SWEEP_COLUMNS, *districts, "explanation"]
    others = sorted(c for c in frame.columns if c not in fixed)
    frame = frame[[*SWEEP_COLUMNS, *others, *districts, "explanation"]]
    frame.to_csv(folder / "sweep.csv", index=False)
    _plot_frontier(frame, folder / "sweep.png", title=f"{scenario.name}: week {week} by budget factor")
    return frame


def _marginal(frame: pd.DataFrame) -> list[float]:
    """Dosage gained per £1,000 of annual allocation since the previous level with a weekly plan."""
    out: list[float] = []
    last: tuple[float, float] | None = None
    for row in frame.itertuples():
        money = float(row.asb_budget_gbp) + float(row.sv_budget_gbp)
        dosage = row.harm_weighted_dosage
        planned = row.status in ("optimal", "feasible") and isinstance(dosage, int | float) and math.isfinite(dosage)
        if planned and last is not None and money > last[0]:
            out.append(round((float(dosage) - last[1]) / ((money - last[0]) / 1000), 6))
        else:
            out.append(float("nan"))
        if planned:
            last = (money, float(dosage))
    return out


def _plot_frontier(frame: pd.DataFrame, path: Path, *, title: str) -> None:
    """The frontier: the week's harm-weighted dosage against the annual allocation; failed levels marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    money = (frame["asb_budget_gbp"] + frame["sv_budget_gbp"]) / 1000
    ok = frame["status"].isin(["optimal", "feasible"])
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(money[ok], frame.loc[ok, "harm_weighted_dosage"], "o-", color="tab:blue", label="weekly plan")
    gaps = frame["gap"] if "gap" in frame.columns else pd.Series([None] * len(frame))
    for x, y, f, status, gap in zip(
        money[ok], frame.loc[ok, "harm_weighted_dosage"], frame.loc[ok, "factor"], frame.loc[ok, "status"], gaps[ok],
        strict=True,
    ):  # fmt: skip
        label = f"x{f:g}" if status == "optimal" else f"x{f:g} (feasible, gap {float(gap) * 100:.0f}%)"
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 6), fontsize=8)
    if (~ok).any():
        ax.plot(money[~ok], [0.0] * int((~ok).sum()), "x", color="tab:red", markersize=9, label="no plan (see status)")
    ax.set_xlabel("annual allocation, ASB + SV (£ thousand)")
    ax.set_ylabel("harm-weighted dosage in the week")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---- compare -----------------------------------------------------------------------------------

COMPARE_FIGURES: tuple[str, ...] = (
    "status", "harm_weighted_dosage", "objective", "best_bound", "gap", "visits", "hotspots_visited", "shifts",
    "warden_posts", "patrol_hours", "officer_overtime_hours", "pcso_hours", "cost_grant_asb_gbp", "cost_grant_sv_gbp",
    "cost_force_gbp", "budget_asb_gbp", "budget_sv_gbp", "solve_seconds",
)  # fmt: skip


def _plan_of(source: str | Path, *, week_start: date | None, overrides: Sequence[str]) -> tuple[str, Plan]:

    path = Path(source)
    if path.is_dir():
        from optimiser.validate import check_folder

        # checked again, as `patrol report` does: a folder edited since it was written may break a rule
        violations, plan = check_folder(path)
        messages = [v.message for v in violations]
        plan.summary = {**plan.summary, "validation": {"ok": not messages, "violations": messages}}
        return str(path), plan
    from optimiser.pipeline import plan_week
    from optimiser.scenario import load_scenario

    loaded = load_scenario(path, overrides)
    return str(path), plan_week(loaded, week_start=week_start).plan


def annual_figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Key figures of an annual plan (its ``summary.json``), for comparing two budget scenarios."""
    figures: dict[str, Any] = {
        "status": summary.get("status"),
        "patrol_person_hours": summary.get("patrol_person_hours"),
        "harm_weighted_patrol_hours": summary.get("harm_weighted_patrol_hours"),
        "target_shortfall_hours": summary.get("target_shortfall_hours"),
        "officer_overtime_hours": summary.get("officer_overtime_hours"),
        "warden_posts_at_end": sum(summary_mapping(summary, "warden_posts_at_end").values()),
        "pcso_patrol_hours": summary.get("pcso_patrol_hours"),
    }
    for project, figures_of in summary_mapping(summary, "projects").items():
        for name in ("allocation_gbp", "spend_gbp", "headroom_gbp"):
            figures[f"{project}_{name}"] = figures_of.get(name)
    # the inputs that explain a difference: the hour limits, the months fixed by actuals, the contracts
    contracts = summary_mapping(summary, "warden_contracts")
    figures.update(
        target_hours=summary.get("target_hours"),
        ceiling_hours=summary.get("ceiling_hours"),
        actuals_as_of=summary_mapping(summary, "actuals").get("as_of") or "none",
        contracts_committed=bool(contracts.get("committed")),
        projects_planned=",".join(p for p, f in summary_mapping(summary, "projects").items() if f.get("planned", True)),
    )
    return figures


def _annual_summary(source: str | Path) -> dict[str, Any] | None:
    """The summary of an annual plan folder (``patrol budget plan --out``), else None."""
    folder = Path(source)
    summary = written_summary(folder) if folder.is_dir() else None
    return summary if summary is not None and "period" in summary and (folder / "monthly_plan.csv").exists() else None


def compare_table(
    a: str | Path, b: str | Path, *, week: date | None = None, overrides: Sequence[str] = ()
) -> pd.DataFrame:
    """Key figures of two plans side by side: ``figure, a, b, delta`` (delta = b - a where numeric).

    ``a`` and ``b`` are scenario YAML files (planned here for ``week``, default each scenario's own) or
    plan folders (read as written): two weekly plans, or two annual plans (``patrol budget plan``).
    """
    for side in (a, b):
        if not Path(side).exists():
            raise DataError(f"{side}: not found; give a scenario file or a plan folder")
    annual_a, annual_b = _annual_summary(a), _annual_summary(b)
    if (annual_a is None) != (annual_b is None):
        raise DataError(
            f"{a if annual_a is not None else b} is an annual plan and the other side is not: compare two weekly "
            "plans (or scenarios) or two annual plans"
        )
    if annual_a is not None and annual_b is not None:
        fig_a, fig_b = annual_figures(annual_a), annual_figures(annual_b)
        frame = _side_by_side(a, b, fig_a, fig_b, annual_a, annual_b, tuple(fig_a))
        if fig_a["projects_planned"] != fig_b["projects_planned"]:
            # each plan shares harm over its own projects' hotspots: the same hours weigh differently
            frame.attrs["notes"] = [
                f"the two plans cover different projects ({fig_a['projects_planned']} against "
                f"{fig_b['projects_planned']}): harm-weighted hours share the harm over each plan's own projects, "
                "so they do not compare; compare hours and spend"
            ]
        return frame
    _name_a, plan_a = _plan_of(a, week_start=week, overrides=overrides)
    _name_b, plan_b = _plan_of(b, week_start=week, overrides=overrides)
    return _side_by_side(
        a, b, plan_figures(plan_a), plan_figures(plan_b), plan_a.summary, plan_b.summary, COMPARE_FIGURES
    )


def _side_by_side(
    a: str | Path,
    b: str | Path,
    fig_a: Mapping[str, Any],
    fig_b: Mapping[str, Any],
    summary_a: Mapping[str, Any],
    summary_b: Mapping[str, Any],
    first: Sequence[str],
) -> pd.DataFrame:
    extra = sorted((set(fig_a) | set(fig_b)) - set(first) - {"validation_ok"})
    records = []
    for name in (*first, *extra):
        va, vb = fig_a.get(name, 0.0 if name in extra else None), fig_b.get(name, 0.0 if name in extra else None)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb))
        delta = round(vb - va, 6) if numeric else ("same" if va == vb else "differs")  # type: ignore[operator]
        records.append({"figure": name, "a": va, "b": vb, "delta": delta})
    frame = pd.DataFrame.from_records(records, columns=["figure", "a", "b", "delta"])
    frame.attrs["a"], frame.attrs["b"] = str(a), str(b)
    frame.attrs["week"] = tuple(s.get("week_start") or s.get("period") for s in (summary_a, summary_b))
    frame.attrs["unplanned"] = {
        side: f"{summary.get('status')}: {summary.get('explanation') or 'no reason given'}"
        for side, summary in (("A", summary_a), ("B", summary_b))
        if summary.get("status") not in ("optimal", "feasible")
    }
    frame.attrs["failed"] = {
        side: list(summary_mapping(summary, "validation").get("violations") or [])
        for side, summary in (("A", summary_a), ("B", summary_b))
        if summary.get("status") in ("optimal", "feasible")
        and summary_mapping(summary, "validation").get("ok") is False
    }
    return frame


def _fmt(value: Any, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:+,d}" if signed else f"{value:,d}"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def compare(a: str | Path, b: str | Path, *, week: date | None = None, overrides: Sequence[str] = ()) -> str:
    """Plan (or read) two weeks and return their key figures side by side with deltas, as text."""
    return format_comparison(compare_table(a, b, week=week, overrides=overrides))


def format_comparison(frame: pd.DataFrame) -> str:
    """A :func:`compare_table` as text: the two sides, then one figure a line with B - A."""
    weeks = frame.attrs["week"]
    header = ("figure", f"A ({weeks[0]})", f"B ({weeks[1]})", "B - A")
    lines = [
        (str(r.figure), *(_fmt_gap(v, signed=i == 2) for i, v in enumerate((r.a, r.b, r.delta))))
        if r.figure == "gap"
        else (str(r.figure), _fmt(r.a), _fmt(r.b), _fmt(r.delta, signed=True))
        for r in frame.itertuples()
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = [f"A: {frame.attrs['a']}", f"B: {frame.attrs['b']}", ""]
    out.append("  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header)))
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(line)))
    # a side with no plan has zero figures: say so, or its zeros read as a plan that does nothing
    for side, reason in frame.attrs["unplanned"].items():
        out.append(f"note: {side} has no plan ({reason}); its figures are zeros, not a plan's")
    for note in frame.attrs.get("notes", []):
        out.append(f"note: {note}")
    for side, violations in frame.attrs.get("failed", {}).items():
        first = f", first: {violations[0]}" if violations else ""
        out.append(
            f"note: {side} fails its check ({len(violations)} violation(s){first}); its figures are not a valid "
            f"plan's: run `patrol check {frame.attrs[side.lower()]}`"
        )
    return "\n".join(out)


def _fmt_gap(value: Any, *, signed: bool = False) -> str:
    """An optimality gap (a fraction) as the plan headline shows it: a percentage."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value * 100:+.2f}%" if signed else f"{value * 100:.2f}%"
    return _fmt(value, signed=signed)
