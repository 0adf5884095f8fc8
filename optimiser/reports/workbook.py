"""roster.xlsx: the plan as an Excel workbook (Summary, one sheet per district, By-person, Shifts, Visits).

Figures are copied from the plan contract exactly (costs, budgets, visits and minutes per hotspot);
totals are ``=SUBTOTAL(109, ...)`` formulas over those cells (sums of the rows a filter shows), so a
finance officer can see how each total is made and Excel recomputes them if a cell is edited or filtered.
Excel has no time zones: dates and times are written as naive local clock times of the scenario's time
zone, and the Summary sheet says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.worksheet import Worksheet

from optimiser.plan import FUNDINGS, summary_mapping
from optimiser.reports.view import (
    FUNDING_LABEL,
    FUNDING_PROJECT,
    PROJECT_LABEL,
    ROLE_LABEL,
    PlanView,
    ShiftView,
    clock_on,
    day_label,
    plan_notes,
    revision_lines,
    span,
)

MONEY = '"£"#,##0.00'
HOURS = "0.00"
DATE = "ddd dd/mm/yyyy"
DATETIME = "ddd dd/mm/yyyy hh:mm"
TIME = "hh:mm"
PERCENT = "0.0%"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
RESERVED_SHEETS = ("Summary", "By-person", "Shifts", "Visits")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _local(moment: datetime | None, view: PlanView) -> datetime | None:
    """A naive local datetime for Excel (which has no time zones)."""
    if moment is None:
        return None
    return moment.astimezone(view.tz).replace(tzinfo=None)


def _header(ws: Worksheet, row: int, titles: Sequence[str], *, column: int = 1) -> None:
    for offset, title in enumerate(titles):
        cell = ws.cell(row=row, column=column + offset, value=title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _display_width(value: Any, number_format: str) -> int:
    """Characters a cell needs, for column widths (Excel sizes columns in characters of the default font)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 20 if "hh" in number_format else 15
    if isinstance(value, date | time):
        return 15
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return len(f"{value:,.2f}") + (2 if "£" in number_format else 0) + 1
    text = str(value)
    if text.startswith("="):
        return 12
    return max((len(line) for line in text.splitlines()), default=0)


def _fit_widths(ws: Worksheet, *, minimum: int = 8, maximum: int = 60, skip_rows: Iterable[int] = ()) -> None:
    """Set each column's width to its widest cell (capped), so nothing is cut off or needlessly wide."""
    skipped = set(skip_rows)
    widths: dict[int, int] = defaultdict(int)
    for row in ws.iter_rows():
        for cell in row:
            if cell.row in skipped or cell.value is None:
                continue
            widths[cell.column] = max(widths[cell.column], _display_width(cell.value, cell.number_format))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, minimum), maximum)


def _sheet_names(codes: Sequence[str], view: PlanView) -> dict[str, str]:
    r"""Excel-safe, unique sheet names for districts (31 characters, no ``[]:*?/\``)."""
    taken = {name.lower() for name in RESERVED_SHEETS}
    names: dict[str, str] = {}
    for code in codes:
        base = _BAD_SHEET_CHARS.sub("-", view.district_name(code)).strip("'") or code
        name = base[:31]
        counter = 2
        while name.lower() in taken:
            suffix = f" ({counter})"
            name = base[: 31 - len(suffix)] + suffix
            counter += 1
        taken.add(name.lower())
        names[code] = name
    return names


def _sum(column: int, first: int, last: int) -> str:
    letter = get_column_letter(column)
    # SUBTOTAL(109, ...) sums the rows a filter shows: a sheet filtered to one role totals that role
    return f"=SUBTOTAL(109,{letter}{first}:{letter}{last})" if last >= first else "=0"


def _revision_label(index: int, line: str) -> str:
    """The Summary sheet's label of a revision line: the revision, then withdrawn or changed shifts."""
    if index == 0:
        return "Revision"
    return "Withdrawn" if line.startswith("Withdrawn") else "Changed"


def _crew_kind(roles: Sequence[str]) -> str:
    """How a crew is funded, for the returns: wardens (ASB grant), officers only, or with a PCSO."""
    if "warden" in roles:
        return "Warden crews (ASB grant)"
    return "Officer + PCSO crews (SV grant and force)" if "pcso" in roles else "Officer crews (SV grant)"


def _write_activity(ws: Worksheet, row: int, view: PlanView) -> int:
    """The week's activity as a Home Office return counts it; returns the next free row.

    Why: "patrols" read three ways (157 person-shifts, 133 crew shifts, 654 visits) and hours were only in
    ``patrol compare`` (hours worked, where these are hours paid: they differ by a rest-day minimum's top-up);
    here each count is named, and hours and visits are split by who pays, so a return of grant-funded
    activity leaves out the force-funded PCSOs.
    """
    ws.cell(row=row, column=1, value="Activity this week").font = TITLE
    row += 1
    hours: dict[str, float] = defaultdict(float)
    for shift in view.shifts:
        hours[shift.role] += shift.paid_hours
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for crew in view.crews:
        tally = kinds[_crew_kind(crew.roles)]
        tally[0] += 1
        tally[1] += len(crew.visits)
        tally[2] += sum(v.row.dwell_minutes for v in crew.visits)
    visits = sum(t[1] for t in kinds.values())
    person_minutes = sum(len(c.members) * v.row.dwell_minutes for c in view.crews for v in c.visits)
    facts: list[tuple[str, Any, str]] = [
        ("Crew shifts (one crew, one or two people, one shift)", len(view.crews), "0"),
        ("Person-shifts", len(view.shifts), "0"),
        ("Hotspot visits", visits, "0"),
        ("Crew-minutes at hotspots", sum(t[2] for t in kinds.values()), "0"),
        ("Person-minutes at hotspots (a crew of two counts twice)", person_minutes, "0"),
        ("Paid hours, grant-funded (wardens and officer overtime)", hours["warden"] + hours["officer"], HOURS),
        ("  of which wardens", hours["warden"], HOURS),
        ("  of which officer overtime", hours["officer"], HOURS),
        ("Paid hours, PCSOs (force-funded)", hours["pcso"], HOURS),
    ]
    for label, value, number_format in facts:
        ws.cell(row=row, column=1, value=label).font = BOLD
        ws.cell(
            row=row, column=2, value=round(value, 4) if isinstance(value, float) else value
        ).number_format = number_format
        row += 1
    _header(ws, row, ["Crews", "Crew shifts", "Visits", "Crew-minutes"])
    for kind in sorted(kinds):
        row += 1
        for column, value in enumerate([kind, *kinds[kind]], start=1):
            ws.cell(row=row, column=column, value=value)
    return row + 2


def _write_summary(ws: Worksheet, view: PlanView) -> None:
    summary = view.summary
    ws.title = "Summary"
    ws["A1"] = f"Patrol plan: {summary.get('scenario', view.scenario.name)}, week of {day_label(view.week_start)}"
    ws["A1"].font = TITLE
    validation = summary.get("validation")
    if isinstance(validation, dict):
        problems = validation.get("violations") or []
        checked = "passed" if validation.get("ok") else f"{len(problems)} violation(s): run `patrol check`"
    else:
        checked = "not recorded"
    facts: list[tuple[str, Any, str | None]] = [
        ("Scenario", summary.get("scenario", view.scenario.name), None),
        ("Week starts", view.week_start, DATE),
        ("Week ends", view.week_end, DATE),
        ("Status", view.status, None),
        ("Explanation", summary.get("explanation") or "", None),
        ("Objective", summary.get("objective"), "0.00"),
        ("Best bound", summary.get("best_bound"), "0.00"),
        ("Optimality gap", summary.get("gap"), "0.00%"),
        ("Harm-weighted dosage", summary.get("harm_weighted_dosage"), "0.00"),
        ("Travel model", summary.get("travel_model", ""), None),
        ("Solve time (s)", summary.get("solve_seconds"), "0.0"),
        ("Validation", checked, None),
        ("Time zone", view.scenario.timezone, None),
        *((_revision_label(i, line), line, None) for i, line in enumerate(revision_lines(view))),
        *(("Note", str(note), None) for note in plan_notes(view)),
    ]
    row = 3
    for label, value, number_format in facts:
        ws.cell(row=row, column=1, value=label).font = BOLD
        cell = ws.cell(row=row, column=2, value=value if not isinstance(value, dict | list) else str(value))
        if number_format:
            cell.number_format = number_format
        row += 1
    note = ws.cell(
        row=row,
        column=1,
        value=(
            f"Dates and times are local clock times in {view.scenario.timezone}. Excel has no time zones, so they "
            "carry no UTC offset here; roster.csv and visits.csv keep the offsets (e.g. around a clock change)."
        ),
    )
    note.font = Font(italic=True)
    row += 2

    # ---- cost against budget ----
    ws.cell(row=row, column=1, value="Cost and budget this week").font = TITLE
    row += 1
    _header(ws, row, ["Funding", "Project", "Cost (£)", "Weekly budget (£)", "Remaining (£)", "Budget used"])
    costs = summary_mapping(summary, "cost_gbp")
    budgets = summary_mapping(summary, "budget_gbp")
    fundings = list(FUNDINGS) + [f for f in costs if f not in FUNDINGS]
    grant_rows: list[int] = []
    for funding in fundings:
        row += 1
        project = FUNDING_PROJECT.get(funding, "")
        if project:
            grant_rows.append(row)
        ws.cell(row=row, column=1, value=FUNDING_LABEL.get(funding, funding))
        ws.cell(row=row, column=2, value=PROJECT_LABEL.get(project, "not charged to a grant"))
        ws.cell(row=row, column=3, value=float(costs.get(funding, 0.0))).number_format = MONEY
        if project and project in budgets:
            ws.cell(row=row, column=4, value=float(budgets[project])).number_format = MONEY
            ws.cell(row=row, column=5, value=f"=D{row}-C{row}").number_format = MONEY
            ws.cell(row=row, column=6, value=f"=IF(D{row}>0,C{row}/D{row},0)").number_format = PERCENT
    row += 1
    # the grant rows only: force-funded PCSO pay has no grant budget, and adding it would show an overspend
    ws.cell(row=row, column=1, value="Total charged to the grants").font = BOLD
    for column in (3, 4):
        letter = get_column_letter(column)
        formula = "=" + "+".join(f"{letter}{r}" for r in grant_rows) if grant_rows else "=0"
        cell = ws.cell(row=row, column=column, value=formula)
        cell.number_format = MONEY
        cell.font = BOLD
    row += 1
    warden_pay = round(sum(s.cost_gbp for s in view.shifts if s.role == "warden"), 2)
    cost_note = ws.cell(
        row=row,
        column=1,
        value=(
            "ASB cost is the committed contract cost of every warden employed in the week (paid whether or not they "
            f"patrol), as the budget rule defines; the rostered warden shifts themselves cost £{warden_pay:,.2f} "
            "(By-person sheet). PCSOs are force-funded and never charged to a grant."
        ),
    )
    cost_note.font = Font(italic=True)
    row += 2
    row = _write_activity(ws, row, view)

    # ---- dosage by hotspot ----
    ws.cell(row=row, column=1, value="Dosage by hotspot this week").font = TITLE
    row += 1
    _header(
        ws,
        row,
        ["Hotspot", "Name", "District", "Project", "Harm weight", "Visits", "Minutes", "Predictability (min spread)"],
    )
    first = row + 1
    visits = summary_mapping(summary, "visits_by_hotspot")
    minutes = summary_mapping(summary, "dosage_minutes_by_hotspot")
    predictability = summary_mapping(summary, "predictability_by_hotspot")
    for spot in view.hotspots:
        row += 1
        values: list[Any] = [
            spot.hotspot_id,
            spot.name,
            view.district_name(spot.district),
            PROJECT_LABEL.get(spot.project, spot.project),
            spot.harm_weight,
            int(visits.get(spot.hotspot_id, 0)),
            int(minutes.get(spot.hotspot_id, 0)),
            predictability.get(spot.hotspot_id),
        ]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            if column in (5, 8):
                cell.number_format = "0.00"
    last = row
    row += 1
    ws.cell(row=row, column=1, value="Total").font = BOLD
    for column in (6, 7):
        cell = ws.cell(row=row, column=column, value=_sum(column, first, last))
        cell.font = BOLD
    ws.freeze_panes = "A3"
    _fit_widths(ws, skip_rows=(1, note.row, cost_note.row), maximum=45)


def _cell_text(shift: ShiftView, view: PlanView) -> str:
    """What a district sheet shows for one shift: times, break, crew mates and the route."""
    lines = [span(shift.start, shift.end, day=shift.day)]
    if shift.break_start is not None and shift.break_minutes:
        lines.append(f"Break {clock_on(shift.break_start, shift.start.date())} ({shift.break_minutes} min)")
    crew = view.crew(shift.crew_id)
    mates = [m for m in crew.members if m != shift.staff_id]
    lines.append(f"Base {view.base_name(shift.base_id)}" + (f"; with {', '.join(mates)}" if mates else ""))
    for visit in crew.visits:
        lines.append(
            f"{visit.stop}. {span(visit.arrive, visit.depart, day=shift.day)} {visit.row.hotspot_id} "
            f"{visit.hotspot_name}"
        )
    if not crew.visits:
        lines.append("no visits planned")
    return "\n".join(lines)


def _write_district(ws: Worksheet, code: str, shifts: Sequence[ShiftView], view: PlanView) -> None:
    days = list(view.days)
    titles = ["Person", "Role", *[day_label(d) for d in days], "Paid hours", "Cost (£)"]
    _header(ws, 1, titles)
    for offset, day in enumerate(days):
        cell = ws.cell(row=1, column=3 + offset, value=day)
        cell.number_format = "ddd d mmm yyyy"
    people: dict[str, list[ShiftView]] = defaultdict(list)
    for shift in shifts:
        people[shift.staff_id].append(shift)
    order = sorted(people, key=lambda staff: (people[staff][0].role, staff))
    hours_col, cost_col = 3 + len(days), 4 + len(days)
    row = 1
    for staff in order:
        row += 1
        mine = people[staff]
        ws.cell(row=row, column=1, value=staff).font = BOLD
        ws.cell(row=row, column=2, value=ROLE_LABEL.get(mine[0].role, mine[0].role))
        tallest = 1
        for offset, day in enumerate(days):
            todays = [s for s in mine if s.day == day]
            if not todays:
                continue
            text = "\n\n".join(_cell_text(s, view) for s in sorted(todays, key=lambda s: s.start))
            cell = ws.cell(row=row, column=3 + offset, value=text)
            cell.alignment = WRAP_TOP
            tallest = max(tallest, text.count("\n") + 1)
        ws.cell(row=row, column=hours_col, value=round(sum(s.paid_hours for s in mine), 4)).number_format = HOURS
        ws.cell(row=row, column=cost_col, value=round(sum(s.cost_gbp for s in mine), 2)).number_format = MONEY
        for column in (1, 2, hours_col, cost_col):
            ws.cell(row=row, column=column).alignment = Alignment(vertical="top")
        ws.row_dimensions[row].height = 15 * tallest
    last = row
    row += 1
    ws.cell(row=row, column=1, value="Total").font = BOLD
    for column, number_format in ((hours_col, HOURS), (cost_col, MONEY)):
        cell = ws.cell(row=row, column=column, value=_sum(column, 2, last))
        cell.number_format = number_format
        cell.font = BOLD
    # the total adds three budgets; a returns officer reading the district's grant spend needs them apart
    rows = [record for shift in shifts for record in shift.rows]
    present = {record.funding for record in rows}
    for funding in [f for f in FUNDINGS if f in present] + sorted(present - set(FUNDINGS)):
        row += 1
        # the ASB grant is charged the committed contracts (Summary), not these rostered shifts' pay
        label = (
            "warden shifts (ASB grant, rostered pay)" if funding == "grant-asb" else FUNDING_LABEL.get(funding, funding)
        )
        ws.cell(row=row, column=1, value=f"of which {label}")
        hours = sum(record.paid_hours for record in rows if record.funding == funding)
        cost = sum(record.cost_gbp for record in rows if record.funding == funding)
        ws.cell(row=row, column=hours_col, value=round(hours, 4)).number_format = HOURS
        ws.cell(row=row, column=cost_col, value=round(cost, 2)).number_format = MONEY
    ws.freeze_panes = "C2"
    _fit_widths(ws, maximum=48)
    ws.print_title_rows = "1:1"
    ws.print_title_cols = "A:B"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = f"{view.district_name(code)}: week of {day_label(view.week_start)}"


def _write_by_person(ws: Worksheet, view: PlanView) -> None:
    titles = [
        "Person", "Role", "District", "Base", "Shifts", "Paid hours", "Night shifts", "Weekend shifts",
        "Crew visits", "Cost (£)", "Funding",
    ]  # fmt: skip
    _header(ws, 1, titles)
    people: dict[str, list[ShiftView]] = defaultdict(list)
    for shift in view.shifts:
        people[shift.staff_id].append(shift)
    row = 1
    for staff in sorted(people, key=lambda s: (people[s][0].role, s)):
        mine = sorted(people[staff], key=lambda s: s.start.timestamp())
        row += 1
        nights = sum(1 for s in mine if s.end.date() > s.day and (s.end.hour, s.end.minute) != (0, 0))
        weekends = sum(1 for s in mine if s.day.weekday() >= 5)
        visits = sum(len(view.crew(s.crew_id).visits) for s in mine)
        values: list[Any] = [
            staff,
            ROLE_LABEL.get(mine[0].role, mine[0].role),
            ", ".join(dict.fromkeys(view.district_name(s.district) for s in mine)),
            ", ".join(dict.fromkeys(view.base_name(s.base_id) for s in mine)),
            len(mine),
            round(sum(s.paid_hours for s in mine), 4),
            nights,
            weekends,
            visits,
            round(sum(s.cost_gbp for s in mine), 2),
            ", ".join(dict.fromkeys(f for s in mine for f in s.fundings)),
        ]
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            if column == 6:
                cell.number_format = HOURS
            elif column == 10:
                cell.number_format = MONEY
    last = row
    row += 1
    ws.cell(row=row, column=1, value="Total").font = BOLD
    # no total of crew visits: a crew of two's visit is each member's, so a sum would count it twice
    for column in (5, 6, 7, 8, 10):
        cell = ws.cell(row=row, column=column, value=_sum(column, 2, last))
        cell.font = BOLD
        cell.number_format = MONEY if column == 10 else (HOURS if column == 6 else "0")
    ws.cell(row=1, column=7).comment = Comment("shifts ending after local midnight", "patrol")
    ws.cell(row=1, column=9).comment = Comment(
        "visits of this person's crews: a crew of two's visit counts for both members, so this column is not "
        "totalled; the plan's visits are on the Visits sheet",
        "patrol",
    )
    ws.freeze_panes = "B2"
    if last >= 2:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"
    _fit_widths(ws)


def _write_shifts(ws: Worksheet, view: PlanView) -> None:
    titles = [
        "Shift", "Crew", "Person", "Role", "District", "Base", "Start", "End", "Break start", "Break (min)",
        "Paid hours", "Pay multiplier", "Cost (£)", "Funding", "Pay type", "Template",
    ]  # fmt: skip
    _header(ws, 1, titles)
    row = 1
    for shift in sorted(view.shifts, key=lambda s: (s.start, s.staff_id)):
        for record in shift.rows:
            row += 1
            values: list[Any] = [
                record.shift_id,
                record.crew_id,
                record.staff_id,
                ROLE_LABEL.get(record.role, record.role),
                view.district_name(record.district),
                record.base_id,
                _local(record.shift_start, view),
                _local(record.shift_end, view),
                _local(record.break_start, view),
                record.break_minutes,
                record.paid_hours,
                record.pay_multiplier,
                record.cost_gbp,
                record.funding,
                record.pay_type,
                record.template_id,
            ]
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=column, value=value)
                if column in (7, 8, 9):
                    cell.number_format = DATETIME
                elif column == 11:
                    cell.number_format = "0.0000"
                elif column == 12:
                    cell.number_format = "0.000"
                elif column == 13:
                    cell.number_format = MONEY
    last = row
    row += 1
    ws.cell(row=row, column=1, value="Total").font = BOLD
    for column, number_format in ((11, "0.0000"), (13, MONEY)):
        cell = ws.cell(row=row, column=column, value=_sum(column, 2, last))
        cell.number_format = number_format
        cell.font = BOLD
    ws.freeze_panes = "D2"
    if last >= 2:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"
    _fit_widths(ws)


def _write_visits(ws: Worksheet, view: PlanView) -> None:
    titles = [
        "Visit", "Day", "Crew", "People", "District", "Hotspot", "Name", "Project", "Stop", "Arrive", "Depart",
        "Dwell (min)", "Travel from previous (min)", "From", "Value",
    ]  # fmt: skip
    _header(ws, 1, titles)
    row = 1
    for crew in view.crews:
        for visit in crew.visits:
            row += 1
            spot = view.hotspot(visit.row.hotspot_id)
            values: list[Any] = [
                visit.row.visit_id,
                crew.day,
                crew.crew_id,
                ", ".join(crew.members),
                view.district_name(spot.district),
                spot.hotspot_id,
                spot.name,
                PROJECT_LABEL.get(spot.project, spot.project),
                visit.stop,
                _local(visit.arrive, view),
                _local(visit.depart, view),
                visit.row.dwell_minutes,
                visit.row.travel_minutes_from_prev,
                visit.row.prev_location,
                visit.row.value,
            ]
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=column, value=value)
                if column == 2:
                    cell.number_format = DATE
                elif column in (10, 11):
                    cell.number_format = DATETIME
                elif column == 15:
                    cell.number_format = "0.00"
    last = row
    row += 1
    ws.cell(row=row, column=1, value="Total").font = BOLD
    for column, number_format in ((12, "0"), (13, "0"), (15, "0.00")):
        cell = ws.cell(row=row, column=column, value=_sum(column, 2, last))
        cell.number_format = number_format
        cell.font = BOLD
    ws.cell(row=1, column=2).comment = Comment(
        "the day the crew's shift starts (a visit after midnight keeps it)", "patrol"
    )
    ws.freeze_panes = "B2"
    if last >= 2:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"
    _fit_widths(ws)


def write_workbook(view: PlanView, path: Path) -> Path:
    """Write ``roster.xlsx``: Summary, one sheet per district, By-person, Shifts and Visits.

    Parameters
    ----------
    view : PlanView
        The plan regrouped for reading (:func:`optimiser.reports.view.build_view`).
    path : Path
        The workbook file to write.

    Returns
    -------
    Path
        ``path``.
    """
    workbook = Workbook()
    workbook.calculation = CalcProperties(fullCalcOnLoad=True)
    workbook.properties.creator = "patrol"
    workbook.properties.title = f"Patrol roster, week of {view.week_start.isoformat()}"
    workbook.properties.created = datetime.combine(view.week_start, time())
    _write_summary(workbook.active, view)
    codes = list(view.district_names) + sorted({s.district for s in view.shifts} - set(view.district_names))
    names = _sheet_names(codes, view)
    by_district: dict[str, list[ShiftView]] = defaultdict(list)
    for shift in view.shifts:
        by_district[shift.district].append(shift)
    for code in codes:
        _write_district(workbook.create_sheet(names[code]), code, by_district.get(code, []), view)
    _write_by_person(workbook.create_sheet("By-person"), view)
    _write_shifts(workbook.create_sheet("Shifts"), view)
    _write_visits(workbook.create_sheet("Visits"), view)
    workbook.save(path)
    return path
