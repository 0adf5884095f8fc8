"""police.uk street-level CSVs -> tidy incidents (crime type, harm weight, month, point, LSOA, district).

police.uk publishes one CSV per force per month (columns ``Crime ID, Month, Reported by, Falls within,
Longitude, Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category, Context``).
:func:`load` reads many of them at once (plain or ``.csv.gz``), checks every row and returns one tidy
table plus a :class:`LoadReport` that counts every row it could not use and why. No row is dropped
without being counted: a row is excluded for the first of these reasons that applies, in this order,

1. ``short_row``/``long_row``: fewer/more fields than the header;
2. ``repeated_crime_id``: a Crime ID already seen in this file or an earlier one (ASB rows have no ID
   and are never repeats);
3. ``bad_month``: ``Month`` is not ``YYYY-MM``;
4. ``outside_months``: outside the months asked for (not a data problem, so not warned about);
5. ``other_force``: ``Falls within`` names another force than the one most rows belong to (below);
6. ``no_coordinates``: ``Longitude``/``Latitude`` empty, not numbers, or outside Great Britain;
7. ``outside_force_area``: its ``LSOA code`` is not one of the force's LSOAs (police.uk files carry a
   few border rows in neighbouring councils);
8. ``unknown_crime_type``: the crime type has no harm weight in the harm table,

so ``rows_read == rows_kept + sum of the counts``. Points are also projected to the British
National Grid (EPSG:27700, metres), which is what the hotspot grid and every distance use.

When months are asked for, a month of the window left with no usable row is refused (a
:class:`~optimiser.errors.DataError` naming the month, its files and why their rows were not used),
as a missing month file is: a month saved by a spreadsheet program (``Month`` rewritten as
``Nov-24``) or another force's file would otherwise make every harm rate too low by the month's share.

Duplicates. A file whose Crime IDs repeat within it for more than :data:`MAX_REPEAT_SHARE` of its
rows with an ID is refused ("download it again"): it holds its rows twice (two downloads joined), and
its ASB rows, which have no Crime ID, cannot be told apart and would all count twice. A file whose
Crime IDs are, for more than that share, those of one earlier file is refused naming both (the same
month given twice, e.g. under another force's name). Fewer repeats are counted (``repeated_crime_id``)
and the first row kept.

Forces. Rows whose ``Falls within`` is not the force most rows belong to (e.g. British Transport
Police rows of a custom download) are not kept (``other_force``) and the report counts every force's
rows: police.uk's force download holds only the force's own rows, so keeping them would make the
hotspots differ between two refreshes for a reason other than crime (one custom download and one not).

Harm weights come from a shipped table (``data/harm_weights.csv``): days of imprisonment at the
sentencing starting point, Cambridge Crime Harm Index style (Sherman, Neyroud & Neyroud 2016).
"""

from __future__ import annotations

import calendar
import csv
import gzip
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pyproj import Transformer

from optimiser.errors import DataError

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEFAULT_STREET_DIR = DATA_DIR / "police_uk" / "cleveland" / "street"
DEFAULT_STOP_AND_SEARCH_DIR = DATA_DIR / "police_uk" / "cleveland" / "stop_and_search"
DEFAULT_LSOA_FILE = DATA_DIR / "lsoa" / "cleveland_lsoa2021_population_census2021.csv"
DEFAULT_LSOA_BOUNDARIES = DATA_DIR / "lsoa" / "cleveland_lsoa2011_bsc.geojson"
DEFAULT_HARM_WEIGHTS = DATA_DIR / "harm_weights.csv"

STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
"""The columns every police.uk street-level file must have (order does not matter)."""

STOP_AND_SEARCH_COLUMNS: tuple[str, ...] = ("Type", "Date", "Latitude", "Longitude")
"""The stop-and-search columns this module reads (the files have more)."""

INCIDENT_COLUMNS: tuple[str, ...] = (
    "crime_id",
    "month",
    "crime_type",
    "harm",
    "lon",
    "lat",
    "x",
    "y",
    "location",
    "lsoa",
    "district",
    "source",
)
"""Columns of the tidy incidents table returned by :func:`load` (``x``/``y`` are EPSG:27700 metres)."""

REASONS: tuple[str, ...] = (
    "short_row",
    "long_row",
    "repeated_crime_id",
    "bad_month",
    "outside_months",
    "other_force",
    "no_coordinates",
    "outside_force_area",
    "unknown_crime_type",
)
"""Why a row was not kept, in the order the checks are applied (``short_row`` / ``long_row``: fewer / more
fields than the header; ``repeated_crime_id``: a Crime ID already seen in the file or an earlier file;
``other_force``: ``Falls within`` is not the force most rows belong to)."""

PROBLEM_REASONS: tuple[str, ...] = (
    "short_row",
    "long_row",
    "repeated_crime_id",
    "bad_month",
    "other_force",
    "no_coordinates",
    "outside_force_area",
    "unknown_crime_type",
)
"""The reasons that are data problems (warned about); ``outside_months`` is a filter the caller asked for."""

MAX_REPEAT_SHARE = 0.05
"""Largest share of a file's rows with a Crime ID that may repeat an ID of the same file, or of one
earlier file, before the file is refused. Measured on every real police.uk street file at hand (the 21
shipped in data/police_uk/cleveland/street and the 21 in /work/shared/data/police_uk/cleveland, Cleveland
2023-12..2025-08: 42 files, 311,992 rows): no Crime ID repeats within any file (0%), and the most any
month's file shares with another month's is 1 Crime ID of 6,382 (2024-04 with 2024-03, 0.016%). A file
holding its rows twice repeats 50% of its IDs; 5% is 300 times the real worst and still catches a file
with a tenth of its rows given twice. A file is refused only from :data:`MIN_REPEATS_REFUSED` repeats on:
a handful cannot double a month and is counted."""

MIN_REPEATS_REFUSED = 20
"""Fewest repeated Crime IDs that can get a file refused (see :data:`MAX_REPEAT_SHARE`)."""

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Great Britain and its islands, generously: anything outside is a bad coordinate, not a place.
_GB_LON = (-9.0, 2.5)
_GB_LAT = (49.0, 61.5)
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


# ---- months ------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class MonthWindow:
    """An inclusive range of police.uk months, ``start`` .. ``end`` as ``YYYY-MM`` strings."""

    start: str
    end: str

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if not _MONTH.match(value):
                raise DataError(f"month {value!r} is not YYYY-MM (e.g. 2024-11)")
        if self.end < self.start:
            raise DataError(f"month window {self.start}:{self.end} ends before it starts")

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"

    @property
    def months(self) -> list[str]:
        """Every month in the window, oldest first."""
        return month_range(self.start, self.end)

    @property
    def days(self) -> int:
        """Calendar days covered by the window (e.g. 366 for 2023-12..2024-11, which holds 29 Feb)."""
        total = 0
        for month in self.months:
            year, mon = int(month[:4]), int(month[5:])
            total += calendar.monthrange(year, mon)[1]
        return total

    def __contains__(self, month: object) -> bool:
        return isinstance(month, str) and self.start <= month <= self.end


def month_range(start: str, end: str) -> list[str]:
    """All ``YYYY-MM`` months from ``start`` to ``end`` inclusive."""
    year, mon = int(start[:4]), int(start[5:])
    out: list[str] = []
    while f"{year:04d}-{mon:02d}" <= end:
        out.append(f"{year:04d}-{mon:02d}")
        mon += 1
        if mon == 13:
            year, mon = year + 1, 1
    return out


def parse_months(text: str | MonthWindow | tuple[str, str]) -> MonthWindow:
    """Parse ``"2023-12:2024-11"`` (or a single ``"2024-11"``) into a :class:`MonthWindow`.

    Raises
    ------
    DataError
        When the text is not ``YYYY-MM[:YYYY-MM]`` or the window ends before it starts.
    """
    if isinstance(text, MonthWindow):
        return text
    if isinstance(text, tuple):
        return MonthWindow(str(text[0]), str(text[1]))
    parts = str(text).strip().split(":")
    if len(parts) == 1:
        parts = [parts[0], parts[0]]
    if len(parts) != 2 or not all(_MONTH.match(p) for p in parts):
        raise DataError(f"months {text!r} must be YYYY-MM:YYYY-MM, e.g. 2023-12:2024-11")
    return MonthWindow(parts[0], parts[1])


def default_window(week_start: date, *, months: int = 12) -> MonthWindow:
    """The ``months`` whole months before the month holding ``week_start``.

    A plan of the week 2024-12-02 therefore uses 2023-12..2024-11 and never sees later data (police.uk
    publishes a month only after it ends).
    """
    if months < 1:
        raise DataError(f"a month window needs at least 1 month, got {months}")
    year, mon = week_start.year, week_start.month - 1
    if mon == 0:
        year, mon = year - 1, 12
    end = f"{year:04d}-{mon:02d}"
    total = year * 12 + (mon - 1) - (months - 1)
    start = f"{total // 12:04d}-{total % 12 + 1:02d}"
    return MonthWindow(start, end)


# ---- reference tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class ForceArea:
    """The force's LSOAs (2021 codes): which council district each is in, and its area in m².

    The force area is the sum of the LSOA areas (``area_m2_bgc``, ONS boundaries clipped to the
    coastline), the denominator of every area share and of the Predictive Accuracy Index.
    """

    lsoa_district: dict[str, str]
    lsoa_area_m2: dict[str, float]
    lsoa_name: dict[str, str]
    district_names: dict[str, str]
    source: str = ""

    @property
    def area_m2(self) -> float:
        """Force area in square metres."""
        return float(sum(self.lsoa_area_m2.values()))

    def district_area_m2(self) -> dict[str, float]:
        """Area of each district in square metres."""
        out: dict[str, float] = {}
        for code, district in self.lsoa_district.items():
            out[district] = out.get(district, 0.0) + self.lsoa_area_m2[code]
        return out


def load_force_area(path: str | Path = DEFAULT_LSOA_FILE) -> ForceArea:
    """Read the LSOA table (``LSOA21CD, LSOA21NM, LAD22CD, LAD22NM, area_m2_bgc``, extra columns ignored).

    Raises
    ------
    DataError
        When the file is missing, lacks a column, repeats an LSOA or has an area that is not a
        positive number.
    """
    path = Path(path)
    needed = ["LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM", "area_m2_bgc"]
    frame = _read_table(path, needed)
    codes = frame["LSOA21CD"].str.strip()
    duplicated = codes[codes.duplicated()]
    if len(duplicated):
        raise DataError(f"{path}: LSOA {duplicated.iloc[0]!r} appears more than once; keep one row per LSOA")
    area = pd.to_numeric(frame["area_m2_bgc"], errors="coerce")
    bad = frame.index[~(area > 0)]
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{path}: row {row + 2}: area_m2_bgc {frame.loc[row, 'area_m2_bgc']!r} is not a positive number of m²"
        )
    return ForceArea(
        lsoa_district=dict(zip(codes, frame["LAD22CD"].str.strip(), strict=True)),
        lsoa_area_m2=dict(zip(codes, area.astype(float), strict=True)),
        lsoa_name=dict(zip(codes, frame["LSOA21NM"].str.strip(), strict=True)),
        district_names=dict(zip(frame["LAD22CD"].str.strip(), frame["LAD22NM"].str.strip(), strict=False)),
        source=str(path),
    )


def scenario_force_area(scenario: Scenario) -> ForceArea:
    """The scenario's force area (its ``force_area.lsoa_file``), checked against its districts.

    Why strict: with another force's LSOA table every incident is "outside the force area" and the
    refresh succeeds with no hotspots; a district missing from the table could never get one.
    """
    if scenario.force_area is None:
        raise DataError(
            f"scenario {scenario.name} names no force area: set force_area.lsoa_file: to a CSV of the force's "
            "LSOAs (LSOA21CD, LSOA21NM, LAD22CD, LAD22NM, area_m2_bgc; ONS 2021 LSOAs and their BGC areas)"
        )
    force = load_force_area(scenario.force_area.lsoa_file)
    missing = sorted(set(scenario.districts) - set(force.district_names))
    if missing:
        raise DataError(
            f"{scenario.force_area.lsoa_file}: no LSOA of district(s) {', '.join(missing)} (LAD22CD); the table "
            f"holds {', '.join(sorted(force.district_names))}: use the force's own LSOA table"
        )
    return force


def load_harm_weights(path: str | Path = DEFAULT_HARM_WEIGHTS) -> dict[str, float]:
    """Read the harm table ``crime_type, days, source``: days of harm per incident of each crime type.

    Raises
    ------
    DataError
        When a column is missing, a crime type repeats, or ``days`` is not a number >= 0.
    """
    path = Path(path)
    frame = _read_table(path, ["crime_type", "days", "source"])
    weights: dict[str, float] = {}
    for i, (name, days) in enumerate(zip(frame["crime_type"], frame["days"], strict=True)):
        crime_type = name.strip()
        try:
            value = float(days)
        except ValueError:
            value = float("nan")
        if not value >= 0:
            raise DataError(f"{path}: row {i + 2} ({crime_type}): days {days!r} is not a number >= 0")
        if crime_type in weights:
            raise DataError(f"{path}: row {i + 2}: crime type {crime_type!r} appears twice; keep one row")
        weights[crime_type] = value
    if not weights:
        raise DataError(f"{path}: the harm table has no rows")
    return weights


def _read_table(path: Path, needed: Sequence[str]) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; the header must have {list(needed)}"
        )
    return frame


# ---- street-level crime ------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What :func:`load` read and every row it did not keep, by reason and by file.

    Attributes
    ----------
    files : list of str
        The files read, in order.
    rows_read : int
        Data rows read (headers excluded).
    rows_kept : int
        Rows in the returned incidents table.
    counts : dict
        Rows not kept, by reason (see :data:`REASONS`); every reason is present, 0 when none.
    by_file : dict
        ``file -> reason -> count`` for the reasons with a non-zero count.
    first_line : dict
        ``file -> reason -> line`` of the first such row (line 1 is the header), so it can be found.
    unknown_crime_types : dict
        The crime type names with no harm weight, and how many rows had each.
    forces : dict
        Rows read by ``Falls within`` (the force whose area the row is in, as police.uk says).
    file_forces : dict
        ``file -> force -> rows``, the same by file.
    force : str
        The force most rows belong to; rows of the others are ``other_force``.
    swapped_coordinates : int
        Of the rows with no usable coordinates, those that would lie in Great Britain with Longitude and
        Latitude swapped (a hint for the reader; the rows are not kept).
    """

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    swapped_coordinates: int = 0
    first_line: dict[str, dict[str, int]] = field(default_factory=dict)
    unknown_crime_types: dict[str, int] = field(default_factory=dict)
    forces: dict[str, int] = field(default_factory=dict)
    file_forces: dict[str, dict[str, int]] = field(default_factory=dict)
    force: str = ""

    @property
    def bad_month(self) -> int:
        """Rows whose Month is not YYYY-MM."""
        return self.counts["bad_month"]

    @property
    def outside_months(self) -> int:
        """Rows outside the months asked for."""
        return self.counts["outside_months"]

    @property
    def no_coordinates(self) -> int:
        """Rows with empty, non-numeric or non-GB coordinates."""
        return self.counts["no_coordinates"]

    @property
    def outside_force_area(self) -> int:
        """Rows whose LSOA is not one of the force's LSOAs."""
        return self.counts["outside_force_area"]

    @property
    def unknown_crime_type(self) -> int:
        """Rows whose crime type has no harm weight."""
        return self.counts["unknown_crime_type"]

    @property
    def problems(self) -> int:
        """Rows not kept because of a data problem (everything except ``outside_months``)."""
        return sum(self.counts[r] for r in PROBLEM_REASONS)

    def rows_not_used(self) -> pd.DataFrame:
        """The rows not kept as a table to write beside the figures: ``reason, file, rows, first_line``.

        Why a file: a Home Office return needs the rows set aside next to the counts, and a printed
        line is lost once the terminal closes. One row per reason and file, most rows first within a
        reason (reasons in :data:`REASONS` order); ``first_line`` is empty for ``outside_months`` (a filter,
        not a problem), and rows of another force say which forces in ``detail``.
        """
        rows: list[dict[str, object]] = []
        for reason in REASONS:
            ranked = sorted(
                ((f, c[reason]) for f, c in self.by_file.items() if c.get(reason)), key=lambda fc: (-fc[1], fc[0])
            )
            for path, n in ranked:
                detail = ""
                if reason == "other_force":
                    detail = (
                        "force: "
                        + self.force
                        + "; read: "
                        + ", ".join(f"{name or '(empty)'} {count}" for name, count in sorted(self.forces.items()))
                    )
                elif reason == "unknown_crime_type":
                    detail = ", ".join(f"{k}: {v}" for k, v in sorted(self.unknown_crime_types.items()))
                rows.append(
                    {
                        "reason": reason,
                        "file": Path(path).name,
                        "rows": n,
                        "first_line": self.first_line.get(path, {}).get(reason, "")
                        if reason != "outside_months"
                        else "",
                        "detail": detail,
                    }
                )
        return pd.DataFrame(rows, columns=["reason", "file", "rows", "first_line", "detail"])

    def summary(self) -> str:
        """One paragraph for people: rows read and kept, then each reason with its count and files."""
        lines = [f"read {self.rows_read} rows from {len(self.files)} file(s); kept {self.rows_kept}"]
        if len(self.forces) > 1:
            by_force = ", ".join(
                f"{name or '(empty)'} {n}" for name, n in sorted(self.forces.items(), key=lambda t: -t[1])
            )
            lines.append(f"  rows by force (Falls within): {by_force}; only {self.force}'s rows are used")
        for reason in REASONS:
            count = self.counts[reason]
            if not count:
                continue
            # most rows first, so the file responsible is never hidden in "and N more"
            ranked = sorted(((f, c[reason]) for f, c in self.by_file.items() if c.get(reason)), key=lambda fc: -fc[1])
            files = [
                f"{Path(f).name} ({n}, first at line {self.first_line[f][reason]})"
                if reason in PROBLEM_REASONS
                else f"{Path(f).name} ({n})"
                for f, n in ranked
            ]
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            extra = ""
            if reason == "unknown_crime_type":
                extra = " (" + ", ".join(f"{k!r}: {v}" for k, v in sorted(self.unknown_crime_types.items())) + ")"
            if reason == "no_coordinates" and self.swapped_coordinates:
                extra = (
                    f" ({self.swapped_coordinates} of them would be in Great Britain with Longitude and Latitude "
                    "swapped: check the columns)"
                )
            lines.append(f"  {count} row(s) {REASON_LABELS[reason][0]}{extra} in {shown}")
        return "\n".join(lines)


def street_files(directory: str | Path = DEFAULT_STREET_DIR, *, months: MonthWindow | str | None = None) -> list[Path]:
    """The police.uk street files in ``directory`` (``YYYY-MM-<force>-street.csv[.gz]``), oldest first.

    Parameters
    ----------
    directory : str or Path
        Folder searched recursively.
    months : MonthWindow or str, optional
        Keep only files whose name starts with a month in this window.

    Raises
    ------
    DataError
        When the folder does not exist or holds no matching file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: folder of police.uk street files not found")
    window = parse_months(months) if months is not None else None
    found: list[tuple[str, Path]] = []
    for path in directory.rglob("*-street.csv*"):
        if not (path.name.endswith(".csv") or path.name.endswith(".csv.gz")):
            continue
        month = path.name[:7]
        if window is not None and (not _MONTH.match(month) or month not in window):
            continue
        found.append((path.name, path))
    if not found:
        asked = f" for months {window}" if window else ""
        raise DataError(f"{directory}: no police.uk street files (*-street.csv or *-street.csv.gz){asked}")
    refuse_repeated_file_names([p for _, p in found])
    return [p for _, p in sorted(found)]


def refuse_repeated_file_names(files: Sequence[Path]) -> None:
    """One file per month and force: two (a .csv and its .csv.gz, or a copy in a subfolder) would count twice.

    Why an error: unzipping two overlapping police.uk downloads into one folder is the usual way this
    happens, and counting the months twice inflates every incident count and harm rate silently.
    """
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name.removesuffix(".gz"), []).append(path)
    repeated = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if repeated:
        name, paths = sorted(repeated.items())[0]
        more = f" ({len(repeated) - 1} more name(s) repeated)" if len(repeated) > 1 else ""
        raise DataError(
            f"{name} is given by {len(paths)} files: {', '.join(str(p) for p in sorted(paths))}{more}; "
            "keep one copy of each month, or its incidents are counted twice"
        )


def refuse_repeated_crimes(files: Sequence[tuple[Path, pd.Series]]) -> None:
    """Refuse a file holding its rows twice, or the same crimes as an earlier file (``Crime ID`` columns).

    Why an error, not a count: a crime's repeat can be set aside by its Crime ID, but ASB rows have no
    Crime ID, so a file given twice (two downloads joined) would count every ASB incident twice, and a
    month given by two files (e.g. once under another force's name) every incident. The share allowed is
    :data:`MAX_REPEAT_SHARE`, far above what real police.uk files show (see there).
    """
    earlier: list[tuple[Path, set[str]]] = []
    for path, column in files:
        ids = column.astype(str).str.strip()
        ids = ids[ids != ""]
        if not len(ids):
            continue
        repeats = int(ids.duplicated().sum())
        if repeats >= MIN_REPEATS_REFUSED and repeats > MAX_REPEAT_SHARE * len(ids):
            raise DataError(
                f"{path}: {repeats} of its {len(ids)} rows with a Crime ID repeat an earlier row of the file "
                f"({100 * repeats / len(ids):.0f}%; real police.uk files repeat none): the file holds rows twice "
                "(two downloads joined?), and its ASB rows, which have no Crime ID, cannot be told apart and would "
                "count twice: download it again from data.police.uk"
            )
        distinct = set(ids)
        for other, other_ids in earlier:
            shared = len(distinct & other_ids)
            if shared >= MIN_REPEATS_REFUSED and shared > MAX_REPEAT_SHARE * len(distinct):
                raise DataError(
                    f"{path}: {shared} of its {len(distinct)} Crime IDs ({100 * shared / len(distinct):.0f}%) are "
                    f"also in {other}: the two files hold the same crimes (one month downloaded twice, or the same "
                    "data under another force's name), so they would count twice: keep the right one of the two"
                )
        earlier.append((path, distinct))


def scenario_street_files(scenario: Scenario, months: MonthWindow) -> list[Path]:
    """The scenario's police.uk street files for every month of ``months`` (its ``police_uk_dir``).

    Why strict: a window reaching past the data would divide the incidents by days with no data (harm
    too low by the missing share), and a scenario of another force must not be scored on this one's data.
    """
    folder = scenario.police_uk_dir
    if folder is None:
        raise DataError(
            f"scenario {scenario.name} names no police.uk data: download the force's monthly street files "
            "(data.police.uk/data, 'Include crime data') and set police_uk_dir: to their folder"
        )
    files = street_files(folder)
    held = sorted({p.name[:7] for p in files if _MONTH.match(p.name[:7])})
    if not held:
        raise DataError(f"{folder}: no police.uk street file named YYYY-MM-<force>-street.csv[.gz]")
    missing = [m for m in months.months if m not in held]
    if missing:
        raise DataError(
            f"{folder}: no police.uk street file for {', '.join(_month_runs(missing))} (the folder holds "
            f"{', '.join(_month_runs(held))}); choose months inside it or add the missing files"
        )
    return [p for p in files if p.name[:7] in months]


def _month_runs(months: Sequence[str]) -> list[str]:
    """Consecutive months as ``A..B`` runs (``2025-09..2026-01``), for messages."""
    runs: list[list[str]] = []
    for month in months:
        if runs and month_range(runs[-1][-1], month)[1:] == [month]:
            runs[-1].append(month)
        else:
            runs.append([month])
    return [run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs]


def not_utf8(path: Path, exc: UnicodeDecodeError) -> DataError:
    """The error for a file that is not UTF-8: the line and the bytes that are not, and what to do.

    Why: the decoder's message gives a byte offset in a read buffer ("position 758"), which leads nowhere;
    police.uk files are UTF-8, and one opened and saved in a spreadsheet program is often Windows-1252
    (``Café`` as byte 0xe9).
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    where = ""
    try:
        with opener(path, "rb") as handle:  # type: ignore[operator]
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    # the text around the byte (it may sit past the first columns), the byte shown as U+FFFD
                    around = line[max(0, bad.start - 40) : bad.start + 40].decode("utf-8", errors="replace")
                    where = f" at line {number} (byte {line[bad.start : bad.start + 1]!r} in {around.strip()!r})"
                    break
    except (OSError, EOFError):
        pass
    return DataError(
        f"{path}: is not UTF-8 text{where or f' ({exc.reason} at byte {exc.start} of a read)'}; police.uk files "
        "are UTF-8: re-save it as UTF-8 (CSV UTF-8 in Excel), or download it again from data.police.uk"
    )


def _read_header(path: Path) -> list[str]:
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:  # type: ignore[operator]
            first = handle.readline()
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from exc
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read ({exc}); is it a police.uk CSV (plain or gzip)?") from exc
    if not first.strip():
        raise DataError(f"{path}: the file is empty; expected a police.uk CSV with a header row")
    return [c.strip() for c in next(csv.reader([first]))]


def _check_columns(path: Path, columns: Sequence[str], required: Sequence[str]) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise DataError(
            f"{path}: missing column(s) {names}; a police.uk file has {', '.join(required)} "
            "(download it again from data.police.uk)"
        )


def load(
    paths: str | Path | Iterable[str | Path],
    *,
    lsoa_file: str | Path | ForceArea = DEFAULT_LSOA_FILE,
    harm_weights_file: str | Path | dict[str, float] = DEFAULT_HARM_WEIGHTS,
    months: MonthWindow | str | tuple[str, str] | None = None,
    log_report: bool = True,
) -> tuple[pd.DataFrame, LoadReport]:
    """Load police.uk street-level files into one tidy incidents table, counting every row not kept.

    Parameters
    ----------
    paths : path or iterable of paths
        CSV files (plain or ``.csv.gz``), or folders searched for ``*-street.csv[.gz]``.
    lsoa_file : path or ForceArea
        The force's LSOA table (see :func:`load_force_area`); rows in other LSOAs are outside.
    harm_weights_file : path or dict
        The harm table (see :func:`load_harm_weights`) or a ready ``crime type -> days`` mapping.
    months : MonthWindow or "YYYY-MM:YYYY-MM", optional
        Keep only these months (the others are counted as ``outside_months``).
    log_report : bool
        Log the report (a warning when rows had problems); off for callers that print it themselves.

    Returns
    -------
    incidents : pandas.DataFrame
        Columns :data:`INCIDENT_COLUMNS`: ``month`` (``YYYY-MM``), ``harm`` (days), ``lon``/``lat``
        (EPSG:4326 degrees), ``x``/``y`` (EPSG:27700 metres), ``district`` (council code of the LSOA),
        ``location`` (the police.uk "On or near ..." text) and ``source`` (file name).
        ``attrs["crime_types"]`` lists the crime types of the harm table.
    report : LoadReport
        Rows read, kept, and not kept by reason; a warning is logged when any row had a data problem.

    Raises
    ------
    DataError
        When a file is missing, unreadable, or lacks a column (the message names column and file).
    """
    force = lsoa_file if isinstance(lsoa_file, ForceArea) else load_force_area(lsoa_file)
    weights = harm_weights_file if isinstance(harm_weights_file, dict) else load_harm_weights(harm_weights_file)
    window = parse_months(months) if months is not None else None
    files = _expand(paths)
    report = LoadReport(files=[str(p) for p in files])
    frames: list[pd.DataFrame] = []
    usecols = ["Crime ID", "Month", "Falls within", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"]
    raws: list[tuple[Path, pd.DataFrame, np.ndarray, np.ndarray]] = []
    for path in files:
        _check_columns(path, _read_header(path), STREET_COLUMNS)
        try:
            # index_col=False: rows longer than the header must not turn the first column into the index
            raw = pd.read_csv(
                path, dtype=object, keep_default_na=False, usecols=usecols, encoding="utf-8-sig", index_col=False
            )
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from exc
        except (OSError, EOFError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: cannot be read as a police.uk CSV ({exc})") from exc
        try:
            short, long = _row_widths(path, len(raw))
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from exc
        raws.append((path, raw, short, long))
    refuse_repeated_crimes([(path, raw["Crime ID"]) for path, raw, _, _ in raws])
    for path, raw, _, _ in raws:
        for name, n in raw["Falls within"].str.strip().value_counts().items():
            report.forces[str(name)] = report.forces.get(str(name), 0) + int(n)
            report.file_forces.setdefault(str(path), {})[str(name)] = int(n)
    report.force = max(sorted(report.forces), key=lambda name: report.forces[name]) if report.forces else ""
    seen: set[str] = set()
    for path, raw, short, long in raws:
        frames.append(_check_rows(raw, path, force, weights, window, report, whole=short, not_long=long, seen_ids=seen))
    incidents = pd.concat(frames, ignore_index=True) if frames else _empty()
    report.rows_kept = len(incidents)
    if window is not None:
        refuse_empty_months(window, incidents, report, files)
    incidents.attrs["crime_types"] = sorted(weights)
    if log_report and report.problems:
        logger.warning("police.uk rows not used:\n%s", report.summary())
    elif log_report:
        logger.info("%s", report.summary())
    return incidents, report


REASON_LABELS: dict[str, tuple[str, str]] = {
    "short_row": ("with fewer fields than the header (a cut or damaged line)", "with fewer fields than the header"),
    "long_row": (
        "with more fields than the header (an unquoted comma in a field?)",
        "with more fields than the header",
    ),
    "repeated_crime_id": (
        "repeating an earlier row's Crime ID (in the file or an earlier file)",
        "repeating a Crime ID",
    ),
    "other_force": ("of another force (Falls within)", "of another force"),
    "bad_month": ("with a Month that is not YYYY-MM", "with a Month that is not YYYY-MM"),
    "outside_months": ("outside the months asked for", "of other months"),
    "no_coordinates": ("with no usable coordinates", "with no usable coordinates"),
    "outside_force_area": ("outside the force area (LSOA not among the force's LSOAs)", "outside the force area"),
    "unknown_crime_type": ("with a crime type that has no harm weight", "with a crime type that has no harm weight"),
}
"""Each reason a row is not used: (the load report's words, the short form a refused month quotes)."""


def _force_detail(report: LoadReport, path: Path) -> str:
    """`` (Durham Constabulary; the files are mostly Cleveland Police's)``: which force a file's rows are."""
    others = sorted(f for f in report.file_forces.get(str(path), {}) if f != report.force)
    return f" ({', '.join(o or '(empty)' for o in others)}; the files are mostly {report.force}'s)"


def refuse_empty_months(
    window: MonthWindow, incidents: pd.DataFrame, report: LoadReport, files: Sequence[Path]
) -> None:
    """Every month of ``window`` kept at least one row; else a :class:`DataError` like a missing month file's.

    Why: harm is divided by the window's days, so a month whose rows were all set aside (``Month``
    rewritten as ``Nov-24`` by a spreadsheet program, a file of another force) makes every harm rate too
    low by that month's share and can change the list, exactly as a missing month file would; the
    row counts alone went by as one line of the report. The message names the month, the files named
    after it (or all files when none is) and the main reasons their rows were not used, with counts.
    """
    kept = set(incidents["month"].unique()) if len(incidents) else set()
    empty = [m for m in window.months if m not in kept]
    if not empty:
        return
    parts: list[str] = []
    for month in empty:
        named = [p for p in files if p.name.startswith(month)]
        if not named:
            parts.append(f"{month}: no file named after it holds a usable row")
            continue
        described = []
        for path in named:
            counts = report.by_file.get(str(path), {})
            reasons = sorted(((n, r) for r, n in counts.items() if r != "outside_months"), reverse=True)
            text = ", ".join(
                f"{n} {REASON_LABELS.get(r, (r, r))[1]}{_force_detail(report, path) if r == 'other_force' else ''} "
                f"(first at line {report.first_line[str(path)][r]})"
                for n, r in reasons[:3]
            )
            described.append(f"{path} ({text or 'no row of the month'})")
        parts.append(f"{month}: " + "; ".join(described))
    raise DataError(
        f"no usable police.uk row for {len(empty)} month(s) of {window}: "
        + " | ".join(parts)
        + ". A month with no data would make every harm rate too low by its share, like a missing month file: "
        "download the month again from data.police.uk and use it as downloaded (a spreadsheet program rewrites "
        "Month, e.g. as Nov-24), make sure it is this force's file, or choose --months without it"
    )


def _expand(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files.extend(street_files(path))
        else:
            files.append(path)
    if not files:
        raise DataError("no police.uk files given; pass CSV files or a folder holding *-street.csv[.gz]")
    refuse_repeated_file_names(files)
    return files


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in INCIDENT_COLUMNS})
    for c in ("harm", "lon", "lat", "x", "y"):
        frame[c] = frame[c].astype(float)
    return frame


def _factorized(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes and stripped distinct values: checks then run on the few distinct values, not every row."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, [str(u).strip() for u in uniques]


def _check_rows(
    raw: pd.DataFrame,
    path: Path,
    force: ForceArea,
    weights: dict[str, float],
    window: MonthWindow | None,
    report: LoadReport,
    *,
    whole: np.ndarray | None = None,
    not_long: np.ndarray | None = None,
    seen_ids: set[str] | None = None,
) -> pd.DataFrame:
    """Check one file's rows, count those not kept by reason, and return the kept ones as incidents.

    ``seen_ids`` holds the Crime IDs kept from the files checked before (updated here): a crime given by
    two files counts once.
    """
    n = len(raw)
    report.rows_read += n
    if n == 0:
        raise DataError(f"{path}: a header but no rows; a police.uk month is never empty: download it again")
    if whole is None:
        whole = np.ones(n, dtype=bool)
    if not_long is None:
        not_long = np.ones(n, dtype=bool)
    crime_ids = raw["Crime ID"].str.strip().to_numpy(dtype=object)
    named = np.array([bool(c) for c in crime_ids], dtype=bool)
    earlier = seen_ids if seen_ids is not None else set()
    ok_force = np.ones(n, dtype=bool)
    if "Falls within" in raw.columns and report.force:
        ok_force = (raw["Falls within"].str.strip() == report.force).to_numpy()
    month_codes, month_values = _factorized(raw["Month"])
    months = np.array(month_values, dtype=object)[month_codes] if n else np.array([], dtype=object)
    good_month = np.array([bool(_MONTH.match(m)) for m in month_values], dtype=bool)
    ok_month = good_month[month_codes] if n else np.ones(0, dtype=bool)
    _check_file_month(path, month_values, good_month, month_codes, whole)
    in_window = np.ones(n, dtype=bool)
    if window is not None and n:
        in_window = np.array([m in window for m in month_values], dtype=bool)[month_codes]
    lon = pd.to_numeric(raw["Longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(raw["Latitude"], errors="coerce").to_numpy(dtype=float)
    ok_xy = (lon >= _GB_LON[0]) & (lon <= _GB_LON[1]) & (lat >= _GB_LAT[0]) & (lat <= _GB_LAT[1])
    swapped = ~ok_xy & (lat >= _GB_LON[0]) & (lat <= _GB_LON[1]) & (lon >= _GB_LAT[0]) & (lon <= _GB_LAT[1])
    lsoa_codes, lsoa_values = _factorized(raw["LSOA code"])
    lsoa_district = np.array([force.lsoa_district.get(v) for v in lsoa_values] or [None], dtype=object)
    ok_area = np.array([d is not None for d in lsoa_district], dtype=bool)[lsoa_codes] if n else np.ones(0, dtype=bool)
    type_codes, type_values = _factorized(raw["Crime type"])
    type_harm = np.array([weights.get(v, np.nan) for v in type_values] or [np.nan], dtype=float)
    ok_type = ~np.isnan(type_harm[type_codes]) if n else np.ones(0, dtype=bool)
    # a repeat repeats a row that is used, in this file as across files: a crime whose first row is set aside
    # (no coordinates, say) is counted once, from its next row, not lost
    ids = pd.Series(crime_ids)
    usable = named & whole & not_long & ok_month & in_window & ok_force & ok_xy & ok_area & ok_type
    first_used = pd.Series(np.arange(n))[usable].groupby(ids[usable].to_numpy()).min()
    first_at = ids.map(first_used).to_numpy(dtype=float)
    repeated = (first_at < np.arange(n)) | ids.isin(earlier).to_numpy()
    first_of_id = ~(repeated & named)

    remaining = np.ones(n, dtype=bool)
    file_counts: Counter[str] = Counter()
    first_lines: dict[str, int] = {}
    for reason, ok in (
        ("short_row", whole),
        ("long_row", not_long),
        ("repeated_crime_id", first_of_id),
        ("bad_month", ok_month),
        ("outside_months", in_window),
        ("other_force", ok_force),
        ("no_coordinates", ok_xy),
        ("outside_force_area", ok_area),
        ("unknown_crime_type", ok_type),
    ):
        failed = remaining & ~ok
        count = int(failed.sum())
        if count:
            file_counts[reason] += count
            report.counts[reason] += count
            first_lines[reason] = int(np.flatnonzero(failed)[0]) + 2  # line 1 is the header
            if reason == "unknown_crime_type":
                for code, c in zip(*np.unique(type_codes[failed], return_counts=True), strict=True):
                    name = type_values[int(code)]
                    report.unknown_crime_types[name] = report.unknown_crime_types.get(name, 0) + int(c)
        if reason == "no_coordinates":
            report.swapped_coordinates += int((failed & swapped).sum())
        remaining &= ok
    if file_counts:
        report.by_file[str(path)] = dict(file_counts)
        report.first_line[str(path)] = first_lines

    keep = remaining
    # only kept rows make a later file's row a repeat: a crime first seen in a row set aside (another
    # force's, say) is still counted once
    earlier.update(c for c in crime_ids[keep & named])
    x, y = _TO_BNG.transform(lon[keep], lat[keep])
    return pd.DataFrame(
        {
            "crime_id": raw["Crime ID"].to_numpy(dtype=object)[keep],
            "month": months[keep],
            "crime_type": np.array(type_values or [""], dtype=object)[type_codes[keep]],
            "harm": type_harm[type_codes[keep]],
            "lon": lon[keep],
            "lat": lat[keep],
            "x": np.asarray(x, dtype=float),
            "y": np.asarray(y, dtype=float),
            "location": raw["Location"].to_numpy(dtype=object)[keep],
            "lsoa": np.array(lsoa_values or [""], dtype=object)[lsoa_codes[keep]],
            "district": lsoa_district[lsoa_codes[keep]],
            "source": path.name,
        }
    )


def _row_widths(path: Path, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Which data rows have every field of the header, and which no more than it.

    Why a second pass: pandas fills a short line's missing fields with empty text, which would blame
    the row on its LSOA or crime type, and reads a long one (an unquoted comma) shifted; the csv module
    sees the field count. Blank lines are skipped, as pandas skips them, so row ``i`` here is row ``i``
    of the table.
    """
    whole = np.ones(rows, dtype=bool)
    not_long = np.ones(rows, dtype=bool)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:  # type: ignore[operator]
        reader = csv.reader(handle)
        width = len(next(reader, []))
        index = 0
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank or whitespace-only line, which pandas skips too
            if index < rows and len(fields) < width:
                whole[index] = False
            elif index < rows and len(fields) > width:
                not_long[index] = False
            index += 1
    return whole, not_long


def check_month_file(path: Path, months: pd.Series) -> None:
    """A police.uk month file has rows, all of the month its name starts with (``Month`` column values).

    For readers of a file's columns other than :func:`load` (the seasonal weights of ``budget plan``):
    the same refusals as :func:`load` makes, so a misnamed or empty file is never counted silently.
    """
    if len(months) == 0:
        raise DataError(f"{path}: a header but no rows; a police.uk month is never empty: download it again")
    codes, values = _factorized(months)
    good = np.array([bool(_MONTH.match(m)) for m in values], dtype=bool)
    _check_file_month(path, values, good, codes, np.ones(len(months), dtype=bool))


def _check_file_month(
    path: Path, month_values: list[str], good_month: np.ndarray, month_codes: np.ndarray, whole: np.ndarray
) -> None:
    """A police.uk file holds the one month its name starts with; rows of another month mean a misnamed file.

    Why an error, not a count: a file of April saved under March's name would be read as March's
    data missing (its rows fall outside the window) and every harm rate diluted, with nothing said.
    """
    named = path.name[:7]
    if not _MONTH.match(named):
        return
    other = [i for i, m in enumerate(month_values) if good_month[i] and m != named]
    if not other:
        return
    rows = np.isin(month_codes, other) & whole
    if not rows.any():
        return
    found = sorted({month_values[i] for i in other})
    raise DataError(
        f"{path}: the name says {named} but {int(rows.sum())} row(s) are for {', '.join(found)} (first at line "
        f"{int(np.flatnonzero(rows)[0]) + 2}); name each file after the month it holds (YYYY-MM-<force>-street.csv)"
    )


def project_points(
    lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude (degrees) to British National Grid easting/northing (metres)."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# ---- stop and search ---------------------------------------------------------------------------

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def stop_and_search_weekday_profile(
    paths: str | Path | Iterable[str | Path] = DEFAULT_STOP_AND_SEARCH_DIR, *, timezone: str = "Europe/London"
) -> pd.Series:
    """Share of stop-and-search records on each day of the week (Monday first; sums to 1).

    Street-level crime has only a month, so day-of-week patterns need another source; police.uk
    stop-and-search records carry a date. The files give local midnight as a UTC time (``T23:00:00+00:00``
    in summer), so dates are converted to ``timezone`` before taking the weekday.

    Parameters
    ----------
    paths : path or iterable of paths
        ``*-stop-and-search.csv[.gz]`` files or folders holding them.
    timezone : str
        IANA time zone of the force.

    Raises
    ------
    DataError
        When a file lacks a column, or no record has a readable date.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*-stop-and-search.csv*")))
        else:
            files.append(path)
    if not files:
        raise DataError(f"no stop-and-search files found in {', '.join(str(i) for i in items)}")
    counts = np.zeros(7, dtype=np.int64)
    unreadable = 0
    for path in files:
        _check_columns(path, _read_header(path), STOP_AND_SEARCH_COLUMNS)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["Date"], encoding="utf-8-sig")
        stamps = pd.to_datetime(frame["Date"], errors="coerce", utc=True, format="ISO8601")
        unreadable += int(stamps.isna().sum())
        local = stamps.dropna().dt.tz_convert(timezone)
        counts += np.bincount(local.dt.day_of_week.to_numpy(), minlength=7)
    if unreadable:
        logger.warning("%d stop-and-search record(s) had no readable Date and were not counted", unreadable)
    if counts.sum() == 0:
        raise DataError("no stop-and-search record had a readable Date; cannot build a day-of-week profile")
    return pd.Series(counts / counts.sum(), index=list(WEEKDAYS), name="share")
