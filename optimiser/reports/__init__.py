"""Planner views of a plan folder: roster.xlsx, roster.html, map.html and calendars/<staff_id>.ics.

The plan contract (roster.csv, visits.csv, hotspots.csv, summary.json, scenario.resolved.yaml) is the
source of truth; these are views of it for people who do not read CSV, built from the folder alone
so they also work on a plan edited by hand and re-checked with ``patrol check``. Every view works on
a PC without internet.

``patrol plan`` calls :func:`write_reports` inside its atomic plan-folder write; ``patrol report``
calls :func:`report_folder`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from optimiser.errors import DataError, PatrolError
from optimiser.plan import PLAN_FILES, VIEW_FILES, Plan
from optimiser.reports.calendars import write_calendars
from optimiser.reports.printable import write_printable
from optimiser.reports.view import PlanView, build_view
from optimiser.reports.webmap import write_map
from optimiser.reports.workbook import write_workbook
from optimiser.scenario import LoadedScenario, Scenario, load_scenario

__all__ = [
    "FORMATS",
    "OUTPUT_NAMES",
    "ReportFormatError",
    "build_view",
    "check_formats",
    "report_folder",
    "write_reports",
]

LOGGER = logging.getLogger(__name__)

FORMATS = ("xlsx", "html", "map", "ics")
OUTPUT_NAMES = VIEW_FILES


class ReportFormatError(PatrolError):
    """An unknown view was asked for (``--formats``); a usage error."""

    exit_code = 2


def check_formats(formats: Iterable[str]) -> list[str]:
    """The views named, known and each once; an unknown name is a usage error (checked before any solving)."""
    wanted: list[str] = []
    for name in formats:
        key = name.strip().lower()
        if not key:
            continue
        if key not in FORMATS:
            raise ReportFormatError(
                f"--formats: unknown view {name!r}; choose from {','.join(FORMATS)} (e.g. --formats xlsx,map)"
            )
        if key not in wanted:
            wanted.append(key)
    return wanted


def _scenario_of(plan: Plan, scenario: Scenario | LoadedScenario | None) -> Scenario:
    """The scenario to label the views with: the one given, else the plan's own resolved scenario."""
    if isinstance(scenario, LoadedScenario):
        return scenario.scenario
    if scenario is not None:
        return scenario
    with tempfile.TemporaryDirectory(prefix="patrol-report-") as folder:
        path = Path(folder) / "scenario.resolved.yaml"
        path.write_text(plan.scenario_yaml, encoding="utf-8")
        return load_scenario(path).scenario


def _install(staged: Path, final: Path) -> None:
    """Move a finished file or folder into place, replacing the old one only once the new one is complete."""
    if final.is_dir() and not final.is_symlink():
        trash = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, trash)
        os.replace(staged, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staged, final)


def write_reports(
    plan: Plan,
    out_dir: Path,
    *,
    formats: Iterable[str] = FORMATS,
    scenario: Scenario | LoadedScenario | None = None,
) -> list[Path]:
    """Write the planner views of ``plan`` into ``out_dir``.

    Parameters
    ----------
    plan : Plan
        The plan (contract tables and summary).
    out_dir : Path
        Folder to write into (created if missing); usually the plan folder itself.
    formats : iterable of str
        Any of ``xlsx`` (roster.xlsx), ``html`` (roster.html), ``map`` (map.html) and ``ics``
        (calendars/<staff_id>.ics), in any order; default all four.
    scenario : Scenario or LoadedScenario, optional
        The scenario for names, shapes and the time zone; default the plan's ``scenario_yaml``.

    Returns
    -------
    list of Path
        Every file written (each calendar separately), in the order of ``FORMATS``.

    Raises
    ------
    ReportFormatError
        For an unknown format name.
    DataError
        When the plan refers to a crew or hotspot it does not define.

    Notes
    -----
    Every view is written to a staging folder inside ``out_dir`` first and only then are they moved into
    place, so a failure (a full disk) never leaves a half-written file or a mixed set of old and new
    views, and a re-run replaces ``calendars/`` whole (no stale calendar of someone no longer rostered).
    """
    wanted = check_formats(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not wanted:
        return []
    view = build_view(plan, _scenario_of(plan, scenario))
    written: list[Path] = []
    staging = Path(tempfile.mkdtemp(prefix=".reports-", dir=out_dir))
    keys = [key for key in FORMATS if key in wanted]
    try:
        staged = {key: _write_one(key, view, staging, out_dir) for key in keys}  # all written, then moved
        for key in keys:
            _install(staging / OUTPUT_NAMES[key], out_dir / OUTPUT_NAMES[key])
            written.extend(out_dir / path.relative_to(staging) for path in staged[key])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    LOGGER.info("wrote %d planner view file(s) to %s", len(written), out_dir)
    return written


def _write_one(key: str, view: PlanView, staging: Path, out_dir: Path) -> list[Path]:
    """Write one view into ``staging`` (the calendars knowing those in ``out_dir``); the files written there."""
    staged = staging / OUTPUT_NAMES[key]
    if key == "xlsx":
        write_workbook(view, staged)
    elif key == "html":
        write_printable(view, staged)
    elif key == "map":
        write_map(view, staged)
    else:
        published = out_dir / OUTPUT_NAMES[key]
        calendars = write_calendars(view, staged, published=published if published.is_dir() else None)
        return [staged / f.name for f in calendars]
    return [staged]


def report_folder(
    plan_dir: str | Path,
    *,
    formats: Iterable[str] = FORMATS,
    out_dir: str | Path | None = None,
) -> list[Path]:
    """Build the planner views from a plan folder alone (``patrol report PLAN_DIR``); the files written.

    As :func:`check_and_report`, for callers that need only the files.
    """
    return check_and_report(plan_dir, formats=formats, out_dir=out_dir)[0]


def check_and_report(
    plan_dir: str | Path,
    *,
    formats: Iterable[str] = FORMATS,
    out_dir: str | Path | None = None,
) -> tuple[list[Path], list[str]]:
    """Check a plan folder again and build its planner views; the files written and the violations.

    The views show the check as just run, not the one in ``summary.json`` (a hand edit since then may
    break a rule): a plan failing it has views marked CHECK FAILED.

    Parameters
    ----------
    plan_dir : str or Path
        A plan folder (roster.csv, visits.csv, hotspots.csv, summary.json, scenario.resolved.yaml).
    formats : iterable of str
        As :func:`write_reports`.
    out_dir : str or Path, optional
        Where to write; default the plan folder. A folder holding another plan's files is refused (its
        views would then describe a plan they sit beside but do not show).
    """
    from optimiser.validate import check_folder

    folder = Path(plan_dir)
    wanted = check_formats(formats)
    target = Path(out_dir) if out_dir is not None else folder
    if target.exists() and not target.is_dir():
        raise DataError(f"{target}: is a file, not a folder; give --out a folder for the views")
    if target.resolve() != folder.resolve() and any((target / name).exists() for name in PLAN_FILES):
        raise DataError(
            f"{target}: holds another plan's files ({', '.join(n for n in PLAN_FILES if (target / n).exists())}); "
            "its views would not show it: write the views into an empty folder or the plan's own"
        )
    found, plan = check_folder(folder)
    violations = [v.message for v in found]
    plan.summary = {**plan.summary, "validation": {"ok": not violations, "violations": violations}}
    loaded = load_scenario(folder / "scenario.resolved.yaml")
    return write_reports(plan, target, formats=wanted, scenario=loaded), violations
