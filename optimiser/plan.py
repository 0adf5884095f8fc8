"""The Plan and its folder contract: roster, visits, hotspots, summary; read and written atomically.

This is the bottom floor: it imports nothing from the solvers, so the validator and the reports can
read any plan (including one edited by hand) with exactly the code that wrote it.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from optimiser.errors import DataError

ROSTER_COLUMNS = (
    "shift_id", "crew_id", "staff_id", "role", "district", "base_id", "shift_start", "shift_end",
    "break_start", "break_minutes", "paid_hours", "pay_multiplier", "cost_gbp", "funding",
)  # fmt: skip
VISIT_COLUMNS = (
    "visit_id", "crew_id", "hotspot_id", "arrive", "depart", "dwell_minutes",
    "travel_minutes_from_prev", "prev_location",
)  # fmt: skip
HOTSPOT_COLUMNS = ("hotspot_id", "name", "district", "project", "lat", "lon", "harm_weight")
SUMMARY_KEYS = (
    "scenario", "scenario_sha256", "overrides", "week_start", "status", "explanation", "objective",
    "best_bound", "gap", "harm_weighted_dosage", "soft_terms", "dosage_minutes_by_hotspot",
    "visits_by_hotspot", "predictability_by_hotspot", "cost_gbp", "budget_gbp", "travel_model",
    "solve_seconds", "validation",
)  # fmt: skip
FUNDINGS = ("grant-asb", "grant-sv", "force")
STATUSES = ("optimal", "feasible", "infeasible", "no-plan")


def format_time(moment: datetime) -> str:
    """ISO datetime to the minute with its UTC offset, e.g. ``2024-10-27T01:30+01:00``."""
    if moment.tzinfo is None:
        raise ValueError("plan times must carry a time zone")
    return moment.isoformat(timespec="minutes")


def parse_time(text: str, zone: tzinfo | None = None) -> datetime:
    """Parse a contract time; it carries its UTC offset so overnight shifts are unambiguous.

    A time typed by hand without one (``2024-12-02 17:55``) is read in ``zone``, the plan's time zone,
    unless that wall time happens twice or never there (the hour the clocks change): then the offset is
    needed, and the message says so.
    """
    if len(text.strip()) <= 10:
        raise ValueError(f"{text!r} is a date without a time of day (write e.g. 2024-12-02T14:00+00:00)")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        # a spreadsheet re-saving the CSV writes its own date style (05/12/2024 18:43 in the UK)
        raise ValueError(
            f"not a plan time; write YYYY-MM-DDTHH:MM with its offset, e.g. 2024-12-05T18:43+00:00, or "
            f"YYYY-MM-DD HH:MM in the plan's time zone (a spreadsheet may have rewritten it: {exc})"
        ) from exc
    if moment.second or moment.microsecond:
        raise ValueError(f"{text!r} has seconds; plan times are to the minute (write e.g. 2024-12-02T14:00+00:00)")
    if moment.tzinfo is not None:
        return moment
    if zone is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. 2024-12-02T14:00+00:00)")
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise ValueError(f"{text!r} does not exist in {zone} (the clocks go forward): write a time with its offset")
    if first.utcoffset() != second.utcoffset():
        raise ValueError(
            f"{text!r} has no UTC offset and happens twice in {zone} (the clocks go back): write its offset, "
            f"{first.isoformat(timespec='minutes')} or {second.isoformat(timespec='minutes')}"
        )
    return datetime.fromisoformat(first.isoformat())


@dataclass(frozen=True)
class RosterRow:
    """One person on one stretch of a shift at one pay rate (a shift splits where the rate changes)."""

    shift_id: str
    crew_id: str
    staff_id: str
    role: str
    district: str
    base_id: str
    shift_start: datetime
    shift_end: datetime
    break_start: datetime | None
    break_minutes: int
    paid_hours: float
    pay_multiplier: float
    cost_gbp: float
    funding: str
    project: str = ""
    pay_type: str = ""
    template_id: str = ""


@dataclass(frozen=True)
class VisitRow:
    """One crew's visit to one hotspot."""

    visit_id: str
    crew_id: str
    hotspot_id: str
    arrive: datetime
    depart: datetime
    dwell_minutes: int
    travel_minutes_from_prev: int
    prev_location: str
    project: str = ""
    value: float | None = None  # the contract's value of the visit; None when a hand-made file leaves it out


@dataclass(frozen=True)
class HotspotRow:
    """A hotspot as planned (the scenario's hotspot, flattened)."""

    hotspot_id: str
    name: str
    district: str
    project: str
    lat: float
    lon: float
    harm_weight: float


@dataclass
class Plan:
    """A week's plan: the contract's tables, the summary and the resolved scenario it came from."""

    scenario_yaml: str
    hotspots: list[HotspotRow] = field(default_factory=list)
    roster: list[RosterRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def relative_gap(best_bound: float, objective: float) -> float | None:
    """The contract's gap: (best_bound - objective) / |best_bound|, rounded to 6 places; None when unknown.

    Why |best_bound|: soft penalties can make a week's objective and bound negative, and a gap must still be
    at least 0 when the bound is above the objective. A bound of 0 gives no ratio: 0 when the objective is 0
    too (the bound is reached), else unknown.
    """
    if abs(best_bound) <= 1e-9:
        return 0.0 if abs(objective) <= 1e-9 else None
    return round((best_bound - objective) / abs(best_bound), 6)


#: A plan is reported ``optimal`` when its objective is within this share of a valid bound (the relative gap
#: CPLEX and Gurobi stop at by default): the solver's coefficients are rounded up by up to 1e-4 of a dosage
#: unit each, so a bound is never reached more exactly than that.
OPTIMAL_GAP = 1e-4


def proven_optimal(best_bound: float, objective: float) -> bool:
    """True when the objective is within ``OPTIMAL_GAP`` of the bound (and not above it: that would be a bug)."""
    gap = relative_gap(best_bound, objective)
    return gap is not None and -1e-6 <= gap <= OPTIMAL_GAP


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, float):
        return repr(round(value, 6)) if value != int(value) else f"{value:.1f}"
    return str(value)


def _write_csv(path: Path, rows: Sequence[Any], columns: Sequence[str], row_type: type) -> None:
    names = [f.name for f in fields(row_type)]
    ordered = list(columns) + [n for n in names if n not in columns]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ordered)
        for row in rows:
            record = asdict(row)
            writer.writerow([_cell(record[name]) for name in ordered])


def shift_spans(roster: Sequence[RosterRow]) -> dict[str, tuple[str, datetime, datetime]]:
    """Each shift's ``shift_id -> (staff_id, start, end)``: its rows' earliest start and latest end (instants)."""
    spans: dict[str, tuple[str, datetime, datetime]] = {}
    for row in roster:
        staff_id, start, end = spans.get(row.shift_id, (row.staff_id, row.shift_start, row.shift_end))
        start = min(start, row.shift_start, key=datetime.timestamp)
        spans[row.shift_id] = (staff_id, start, max(end, row.shift_end, key=datetime.timestamp))
    return spans


def shift_day_keys(roster: Sequence[RosterRow], tz: tzinfo) -> dict[str, tuple[str, date, int]]:
    """Each shift's calendar key: ``shift_id -> (staff_id, local start date, n)``, n its order that day.

    Why a key apart from ``shift_id``: the id names the template, so a shift moved to another template on
    the same day would look like a new event beside the old one in staff calendars; the key stays.
    """
    keys: dict[str, tuple[str, date, int]] = {}
    seen: dict[tuple[str, date], int] = {}
    ordered = sorted(shift_spans(roster).items(), key=lambda item: (item[1][0], item[1][1].timestamp()))
    for shift_id, (staff_id, start, _end) in ordered:
        day = start.astimezone(tz).date()
        seen[(staff_id, day)] = seen.get((staff_id, day), 0) + 1
        keys[shift_id] = (staff_id, day, seen[(staff_id, day)])
    return keys


def calendar_namespace(summary: Mapping[str, Any]) -> str:
    """The name a plan's calendar events are keyed under: the scenario of its first revision.

    Why not always the scenario's name: a revision planned from a renamed scenario file (a variant that
    ``extends:`` the published one) must update the events staff already hold, not send a second copy of
    every shift; revisions carry the first one's namespace in ``summary.json`` (``calendar_namespace``).
    """
    return str(summary.get("calendar_namespace") or summary.get("scenario") or "patrol")


PLAN_FILES: tuple[str, ...] = ("roster.csv", "visits.csv", "hotspots.csv", "summary.json", "scenario.resolved.yaml")
"""The plan contract's files: a folder holding any of them holds a plan."""
#: The planner views written into a plan folder, by ``--formats`` key.
VIEW_FILES: dict[str, str] = {"xlsx": "roster.xlsx", "html": "roster.html", "map": "map.html", "ics": "calendars"}


def summary_mapping(summary: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A summary entry that should be a mapping, or ``{}`` when it is missing or not one.

    Why: ``summary.json`` may be edited by hand; views and comparisons must still show the plan (its
    check names the broken entry) rather than stop on a traceback.
    """
    value = summary.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def rewrite_summary(plan: Plan, folder: Path) -> None:
    """Replace a plan folder's ``summary.json`` and ``visits.csv`` (the value column) together, nothing else.

    For a plan edited by hand and re-checked: its figures are recomputed, while its roster, hotspots,
    scenario and planner views stay as they are.
    """
    from optimiser.outputs import replace_files

    replace_files(
        folder,
        {
            "visits.csv": lambda path: _write_csv(path, plan.visits, VISIT_COLUMNS, VisitRow),
            "summary.json": lambda path: path.write_text(
                json.dumps(plan.summary, indent=2, default=str) + "\n", encoding="utf-8"
            ),
        },
    )


def prepare_out_dir(out_dir: Path) -> Path:
    """Check before solving that a plan folder can be written at ``out_dir`` without losing anything.

    Why: writing replaces the folder whole, so a file, or a folder of other things, given as ``--out`` by
    mistake would be lost; and an unwritable place should fail now, not after minutes of solving. An
    empty folder, or an earlier weekly plan's folder (a weekly plan's ``summary.json`` and nothing but
    the plan's files and views), may be replaced.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"{out_dir}: is a file, not a plan folder; give --out a new or empty folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        from optimiser.outputs import written_summary

        summary = written_summary(out_dir)
        if summary is None or "week_start" not in summary or "status" not in summary:
            raise DataError(
                f"{out_dir}: holds files that are not a weekly plan (no weekly plan's summary.json) and writing "
                "would replace them; give --out a new or empty folder, or an earlier plan's folder"
            )
        known = {*PLAN_FILES, *VIEW_FILES.values()}
        others = sorted(
            entry.name for entry in out_dir.iterdir() if entry.name not in known and not _litter(entry.name)
        )
        if others:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            raise DataError(
                f"{out_dir}: holds a plan and other files ({shown}) that writing would delete; move them out, "
                "or give --out a new or empty folder"
            )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent)
    except OSError as exc:
        raise DataError(f"{out_dir}: cannot write here ({exc.strerror or exc}); choose another --out") from exc
    os.rmdir(probe)
    return out_dir


def _litter(name: str) -> bool:
    """Whether a file is litter a desktop or an office suite leaves in a folder someone opened.

    Or a killed run's staging folder: nobody's work, so a plan folder holding them may still be replaced.
    """
    return name in (".DS_Store", "Thumbs.db", "desktop.ini") or name.startswith(("~$", ".~lock.", ".reports-", "._"))


def write_plan(plan: Plan, out_dir: Path, *, extra_files: Mapping[str, Callable[[Path], None]] | None = None) -> Path:
    """Write the plan folder atomically: build it beside ``out_dir`` then swap it in.

    An existing folder is replaced only once the new one is complete, so a failure never leaves a
    half-written plan. ``extra_files`` maps names to writers called with the temporary folder
    (reports, maps), so they are inside the same atomic swap.
    """
    out_dir = prepare_out_dir(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a plan folder is shared with planners
    try:
        (staging / "scenario.resolved.yaml").write_text(plan.scenario_yaml, encoding="utf-8")
        _write_csv(staging / "hotspots.csv", plan.hotspots, HOTSPOT_COLUMNS, HotspotRow)
        _write_csv(staging / "roster.csv", plan.roster, ROSTER_COLUMNS, RosterRow)
        _write_csv(staging / "visits.csv", plan.visits, VISIT_COLUMNS, VisitRow)
        (staging / "summary.json").write_text(json.dumps(plan.summary, indent=2, default=str) + "\n", encoding="utf-8")
        for _name, writer in (extra_files or {}).items():
            writer(staging)
        if out_dir.exists():
            trash = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, trash)
            os.replace(staging, out_dir)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _read_csv(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a contract CSV with their line numbers; a file that is not such a table is a DataError.

    Why so strict: a short or long row would otherwise shift or drop values silently, and the plan
    would be judged on what the file does not say.
    """
    contents = "a plan folder holds roster.csv, visits.csv, hotspots.csv and summary.json"
    if not path.exists():
        raise DataError(f"{path}: missing; {contents}")
    if not path.is_file():
        raise DataError(f"{path}: not a file; {contents}")
    try:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)}; the plan contract needs them")
            rows = []
            for record in reader:
                line = reader.line_num
                if None in record:
                    raise DataError(
                        f"{path}:{line}: {len(header) + len(record[None])} values for {len(header)} columns; "  # type: ignore[index]
                        "quote values that hold commas"
                    )
                short = [c for c in header if record[c] is None]
                if short:
                    raise DataError(f"{path}:{line}: no value for column(s) {', '.join(short)} (the row is short)")
                rows.append((line, record))
            return rows
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV") from exc
    except csv.Error as exc:
        raise DataError(f"{path}: not a readable CSV ({exc})") from exc


def _convert(path: Path, line: int, column: str, text: str, kind: Callable[[str], Any]) -> Any:
    try:
        value = kind(text)
    except ValueError as exc:
        raise DataError(f"{path}:{line}: column {column}: {text!r} is not valid ({exc})") from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(f"{path}:{line}: column {column}: {text!r} is not a number; write a finite number")
    # absurd values (a hand edit gone wrong) are unreadable, not rule breaks: date arithmetic on them fails
    if isinstance(value, datetime) and not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise DataError(
            f"{path}:{line}: column {column}: {text!r} is not a plan time (year {value.year}); write the planned "
            "week's date and time"
        )
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > _LARGEST_FIGURE:
        raise DataError(f"{path}:{line}: column {column}: {text!r} is far too large for a plan figure")
    return value


_FIRST_YEAR, _LAST_YEAR = 1970, 2200
_LARGEST_FIGURE = 1e9


def _zone_of(scenario_yaml: str) -> tzinfo | None:
    """The plan's time zone from its scenario (``timezone:``), for times typed without an offset."""
    match = re.search(r"^timezone:\s*['\"]?([A-Za-z0-9_+/-]+)", scenario_yaml, flags=re.MULTILINE)
    try:
        return ZoneInfo(match.group(1)) if match else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _time_types(zone: tzinfo | None) -> tuple[dict[str, Callable[[str], Any]], dict[str, Callable[[str], Any]]]:
    """The roster and visit column types, reading times without an offset in ``zone``."""

    def moment(text: str) -> datetime:
        return parse_time(text, zone)

    def optional(text: str) -> datetime | None:
        return moment(text) if text.strip() else None

    roster = {**_ROSTER_TYPES, "shift_start": moment, "shift_end": moment, "break_start": optional}
    visits = {**_VISIT_TYPES, "arrive": moment, "depart": moment}
    return roster, visits


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


# the time columns are added by _time_types, reading times typed without an offset in the plan's zone
_ROSTER_TYPES: dict[str, Callable[[str], Any]] = {
    "break_minutes": int, "paid_hours": float, "pay_multiplier": float, "cost_gbp": float,
}  # fmt: skip
_VISIT_TYPES: dict[str, Callable[[str], Any]] = {
    "dwell_minutes": int, "travel_minutes_from_prev": int, "value": _opt_float,
}  # fmt: skip
_HOTSPOT_TYPES: dict[str, Callable[[str], Any]] = {"lat": float, "lon": float, "harm_weight": float}


def _rows(path: Path, columns: Sequence[str], row_type: type, types: Mapping[str, Callable[[str], Any]]) -> list[Any]:
    names = {f.name for f in fields(row_type)}
    out = []
    for line, record in _read_csv(path, columns):
        values: dict[str, Any] = {}
        for name in names:
            if name not in record:
                continue
            text = record[name]
            kind = types.get(name)
            values[name] = _convert(path, line, name, text, kind) if kind else text
        out.append(row_type(**values))
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from exc


def _read_summary(path: Path) -> dict[str, Any]:
    """summary.json as an object; anything else is a DataError naming the file."""

    def not_json(constant: str) -> None:
        raise DataError(f"{path}: {constant} is not a JSON number; write a number, or null when unknown")

    try:
        summary = json.loads(_read_text(path), parse_constant=not_json)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(summary, dict):
        raise DataError(f"{path}: holds a JSON {type(summary).__name__}, not an object of summary keys")
    return summary


def read_plan(plan_dir: str | Path, *, require_scenario: bool = True, zone: tzinfo | None = None) -> Plan:
    """Read a plan folder; raise :class:`DataError` naming the file, line and column when it is malformed.

    ``require_scenario=False`` accepts a folder without ``scenario.resolved.yaml`` (the caller has the
    scenario from elsewhere, e.g. ``patrol check --scenario FILE``). Times written without an offset are
    read in ``zone``, by default the folder scenario's ``timezone``.
    """
    folder = Path(plan_dir)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a plan folder (write one with `patrol plan --out DIR`)")
    scenario_file = folder / "scenario.resolved.yaml"
    if not scenario_file.exists() and require_scenario:
        raise DataError(
            f"{scenario_file}: missing; a folder written by `patrol plan` holds it (`patrol check` can take the "
            "scenario with --scenario FILE)"
        )
    summary_file = folder / "summary.json"
    summary = _read_summary(summary_file) if summary_file.exists() else {}
    scenario_yaml = _read_text(scenario_file) if scenario_file.exists() else ""
    roster_types, visit_types = _time_types(zone if zone is not None else _zone_of(scenario_yaml))
    return Plan(
        scenario_yaml=scenario_yaml,
        hotspots=_rows(folder / "hotspots.csv", HOTSPOT_COLUMNS, HotspotRow, _HOTSPOT_TYPES),
        roster=_rows(folder / "roster.csv", ROSTER_COLUMNS, RosterRow, roster_types),
        visits=_rows(folder / "visits.csv", VISIT_COLUMNS, VisitRow, visit_types),
        summary=summary,
    )
