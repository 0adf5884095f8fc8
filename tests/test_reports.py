"""Planner views: roster.xlsx, roster.html, map.html (in headless Chromium) and calendars/*.ics.

Fixture: tests/data/reports/plan-small (see its README): week of Mon 2024-10-21 in Europe/London ending
on the autumn clock change; 4 hotspots, 3 bases, 4 crews (Mon 2 crews / 5 visits, Sat 1 crew / 3
visits over the clock change, Sun 1 crew / 1 visit), 6 roster rows, 9 visits, 140 minutes; contract
costs grant-asb £1,684.47, grant-sv £394.74, force £175.24 (total £2,254.45); roster-row costs £1,075.65.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from optimiser.errors import DataError
from optimiser.plan import read_plan, write_plan
from optimiser.reports import ReportFormatError, report_folder, write_reports
from optimiser.reports.calendars import date_time_property, escape_text, fold, vtimezone
from optimiser.reports.webmap import leaflet_assets

PLAN_DIR = Path(__file__).parent / "data" / "reports" / "plan-small"
LONDON = ZoneInfo("Europe/London")
STAFF = ("PC-MB-01", "PCSO-MB-01", "W-MB-01", "W-ST-01")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every view of the fixture plan, written once for the module."""
    out = tmp_path_factory.mktemp("views")
    paths = report_folder(PLAN_DIR, out_dir=out)
    return {"out": out, "paths": paths, "plan": read_plan(PLAN_DIR)}


def test_fixture_is_a_valid_plan() -> None:
    """The fixture keeps every rule of docs/plan-rules.md, so the views are tested on a real plan shape."""
    from optimiser.validate import check_folder

    violations, _plan = check_folder(PLAN_DIR)
    assert violations == []


# ---- the API -----------------------------------------------------------------------------------------


def test_report_folder_writes_every_view(written: dict[str, Any]) -> None:
    out = written["out"]
    expected = [out / "roster.xlsx", out / "roster.html", out / "map.html"]
    expected += [out / "calendars" / f"{s}.ics" for s in STAFF]
    assert written["paths"] == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in expected)
    # PC-MB-02 is in the scenario but has no shift: no calendar; no staging folder left behind
    assert sorted(p.name for p in (out / "calendars").iterdir()) == [f"{s}.ics" for s in STAFF]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ReportFormatError, match="unknown view 'pdf'") as caught:
        report_folder(PLAN_DIR, formats=("xlsx", "pdf"), out_dir=tmp_path)
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_subset_of_formats_and_stale_calendars_are_replaced(tmp_path: Path) -> None:
    """Only the asked views are written; re-reporting replaces calendars/ whole (no stale person)."""
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "W-GONE-01.ics").write_text("old", encoding="utf-8")
    paths = write_reports(read_plan(PLAN_DIR), tmp_path, formats=["ics"])
    assert [p.name for p in paths] == [f"{s}.ics" for s in STAFF]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calendars"]
    assert not (tmp_path / "calendars" / "W-GONE-01.ics").exists()


def test_a_visit_of_an_unknown_crew_names_the_row(tmp_path: Path) -> None:
    plan = read_plan(PLAN_DIR)
    plan.visits[3] = replace(plan.visits[3], crew_id="C-NOPE")
    with pytest.raises(DataError, match=r"visits\.csv: visit V4 belongs to crew 'C-NOPE'"):
        write_reports(plan, tmp_path)


def test_views_inside_the_atomic_plan_write(tmp_path: Path) -> None:
    """As `patrol plan` does: the views are written into write_plan's staging folder and swapped in with it."""
    plan = read_plan(PLAN_DIR)
    out = write_plan(
        plan,
        tmp_path / "plan",
        extra_files={"views": lambda folder: write_reports(plan, folder, formats=("xlsx", "ics"))},
    )
    names = sorted(p.name for p in out.iterdir())
    contract = ["hotspots.csv", "roster.csv", "scenario.resolved.yaml", "summary.json", "visits.csv"]
    assert names == sorted([*contract, "calendars", "roster.xlsx"])
    assert read_plan(out).roster == plan.roster


def test_a_plan_without_shifts_still_has_every_view(tmp_path: Path) -> None:
    """An infeasible week: no roster, no visits; the views say so instead of failing."""
    plan = read_plan(PLAN_DIR)
    plan = replace(
        plan, roster=[], visits=[], summary={**plan.summary, "status": "infeasible", "explanation": "budget too small"}
    )
    paths = write_reports(plan, tmp_path)
    assert [p.name for p in paths] == ["roster.xlsx", "roster.html", "map.html"]
    assert list((tmp_path / "calendars").iterdir()) == []
    assert "No shifts in this plan" in (tmp_path / "roster.html").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(tmp_path / "roster.xlsx")
    assert book["Summary"]["B6"].value == "infeasible" and book["Summary"]["B7"].value == "budget too small"
    page, _dom = _dump_dom((tmp_path / "map.html").as_uri(), tmp_path / "profile")
    assert page.tags[0][1].get("data-errors") == "0", page.tags[0][1].get("data-error-messages")
    status = next(a for t, a in page.tags if a.get("id") == "map-status")
    assert (status["data-ready"], status["data-hotspots"], status["data-routes"]) == ("1", "4", "0")
    assert status["data-day"] == "2024-10-21"


def test_cli_report_command(tmp_path: Path) -> None:
    import cli

    assert cli.main(["report", str(PLAN_DIR), "--out", str(tmp_path), "--formats", "html,map"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "roster.html"]
    assert cli.main(["report", str(PLAN_DIR), "--out", str(tmp_path), "--formats", "pdf"]) == 2


# ---- roster.xlsx --------------------------------------------------------------------------------------


def _evaluate(ws: Any, value: Any) -> float:
    """Evaluate the few formulas the workbook uses: =SUBTOTAL(109,A1:A9), =D9-C9, =C2+C3, cell values."""
    if not isinstance(value, str) or not value.startswith("="):
        return float(value or 0)
    formula = value[1:]
    match = re.fullmatch(r"SUBTOTAL\(109,([A-Z]+)(\d+):([A-Z]+)(\d+)\)", formula)  # no row is filtered out
    if match:
        column, first, _, last = match.groups()
        return sum(_evaluate(ws, ws[f"{column}{row}"].value) for row in range(int(first), int(last) + 1))
    match = re.fullmatch(r"([A-Z]+\d+)-([A-Z]+\d+)", formula)
    if match:
        return _evaluate(ws, ws[match.group(1)].value) - _evaluate(ws, ws[match.group(2)].value)
    if re.fullmatch(r"[A-Z]+\d+(\+[A-Z]+\d+)+", formula):
        return sum(_evaluate(ws, ws[ref].value) for ref in formula.split("+"))
    if formula == "0":
        return 0.0
    raise AssertionError(f"unexpected formula {value}")


def _row_of(ws: Any, label: str, *, column: int = 1, start: int = 1) -> int:
    for row in range(start, ws.max_row + 1):
        if ws.cell(row=row, column=column).value == label:
            return row
    raise AssertionError(f"{label!r} not found in {ws.title}")


def test_workbook_sheets_and_formatting(written: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(written["out"] / "roster.xlsx")
    assert book.sheetnames == ["Summary", "Middlesbrough", "Stockton-on-Tees", "By-person", "Shifts", "Visits"]
    for ws in book.worksheets:
        assert ws.freeze_panes is not None, ws.title
    for name in book.sheetnames[1:]:
        ws = book[name]
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None), name
        for column in ws.iter_cols(min_row=2):
            texts = [str(c.value) for c in column if isinstance(c.value, str) and not c.value.startswith("=")]
            longest = max((len(line) for t in texts for line in t.splitlines()), default=0)
            width = ws.column_dimensions[column[0].column_letter].width
            assert width >= min(longest, 46), (name, column[0].column_letter, width, longest)
    person = book["By-person"]
    cost = person.cell(row=2, column=10)
    assert cost.number_format == '"£"#,##0.00'
    summary = book["Summary"]
    note = summary.cell(row=_row_of(summary, "Time zone") + 1, column=1).value
    assert "Excel has no time zones" in note and "Europe/London" in note


def test_workbook_totals_match_the_contract(written: dict[str, Any]) -> None:
    """Summary costs are the contract's; totals (formulas) equal the contract's sums."""
    plan = written["plan"]
    book = openpyxl.load_workbook(written["out"] / "roster.xlsx")
    summary = book["Summary"]
    header = _row_of(summary, "Funding")
    costs = {
        summary.cell(row=header + i, column=1).value: summary.cell(row=header + i, column=3).value for i in (1, 2, 3)
    }
    assert costs == {
        "ASB grant (council wardens)": 1684.47,
        "SV grant (police overtime)": 394.74,
        "Force budget (PCSOs)": 175.24,
    }
    assert list(costs.values()) == [plan.summary["cost_gbp"][f] for f in ("grant-asb", "grant-sv", "force")]
    # the grants' total leaves out the force-funded PCSOs (they have no grant budget to be set against)
    total_row = _row_of(summary, "Total charged to the grants", start=header)
    assert _evaluate(summary, summary.cell(row=total_row, column=3).value) == pytest.approx(2079.21, abs=1e-9)
    assert _evaluate(summary, summary.cell(row=total_row, column=4).value) == pytest.approx(
        plan.summary["budget_gbp"]["asb"] + plan.summary["budget_gbp"]["sv"], abs=1e-9
    )
    assert _evaluate(summary, summary.cell(row=header + 1, column=5).value) == pytest.approx(1917.81 - 1684.47)
    spots = _row_of(summary, "Hotspot")
    spot_total = _row_of(summary, "Total", start=spots)
    assert _evaluate(summary, summary.cell(row=spot_total, column=6).value) == 9
    assert _evaluate(summary, summary.cell(row=spot_total, column=7).value) == 140

    roster_cost = round(sum(r.cost_gbp for r in plan.roster), 2)
    assert roster_cost == 1075.65
    person = book["By-person"]
    last = _row_of(person, "Total")
    assert _evaluate(person, person.cell(row=last, column=10).value) == pytest.approx(roster_cost, abs=1e-9)
    assert _evaluate(person, person.cell(row=last, column=5).value) == 5  # shifts
    # crew visits are each member's: not totalled (a sum would count a crew of two's visits twice)
    assert person.cell(row=1, column=9).value == "Crew visits" and person.cell(row=last, column=9).value is None
    shifts = book["Shifts"]
    last = _row_of(shifts, "Total")
    assert last == 2 + len(plan.roster)
    assert _evaluate(shifts, shifts.cell(row=last, column=13).value) == pytest.approx(roster_cost, abs=1e-9)
    visits = book["Visits"]
    last = _row_of(visits, "Total")
    assert last == 2 + len(plan.visits)
    assert _evaluate(visits, visits.cell(row=last, column=12).value) == sum(
        plan.summary["dosage_minutes_by_hotspot"].values()
    )
    district_total = 0.0
    for name in ("Middlesbrough", "Stockton-on-Tees"):
        ws = book[name]
        total = _row_of(ws, "Total")
        district_total += _evaluate(ws, ws.cell(row=total, column=11).value)
        # the district's total split by who pays: the grants apart from the force-funded PCSOs
        parts = {
            ws.cell(row=r, column=1).value: ws.cell(row=r, column=11).value for r in range(total + 1, ws.max_row + 1)
        }
        assert parts and all(str(label).startswith("of which ") for label in parts)
        assert sum(parts.values()) == pytest.approx(_evaluate(ws, ws.cell(row=total, column=11).value), abs=0.02)
    assert district_total == pytest.approx(roster_cost, abs=1e-9)
    # the week's activity as a return counts it: each count named, hours by who pays
    facts = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    paid = {role: sum(r.paid_hours for r in plan.roster if r.role == role) for role in ("warden", "officer", "pcso")}
    assert facts["Paid hours, grant-funded (wardens and officer overtime)"] == pytest.approx(
        paid["warden"] + paid["officer"], abs=1e-3
    )
    assert facts["Paid hours, PCSOs (force-funded)"] == pytest.approx(paid["pcso"], abs=1e-3)
    assert facts["Hotspot visits"] == len(plan.visits) == 9
    assert facts["Person-shifts"] == len({r.shift_id for r in plan.roster})
    assert facts["Crew shifts (one crew, one or two people, one shift)"] == len({r.crew_id for r in plan.roster})


def test_workbook_times_are_real_local_datetimes(written: dict[str, Any]) -> None:
    """Excel cells hold naive local datetimes: the Saturday shift runs 19:00 BST to 03:00 GMT (9 h elapsed)."""
    book = openpyxl.load_workbook(written["out"] / "roster.xlsx")
    shifts = book["Shifts"]
    rows = {(r[0], r[6]): r for r in shifts.iter_rows(min_row=2, values_only=True) if r[0] != "Total"}
    pcso = rows[("S-1026-PCSO-MB-01", datetime(2024, 10, 26, 19, 0))]
    assert pcso[7] == datetime(2024, 10, 27, 3, 0)
    assert pcso[8] == datetime(2024, 10, 26, 21, 0)
    assert shifts["G2"].number_format == "ddd dd/mm/yyyy hh:mm"
    visits = book["Visits"]
    v8 = next(r for r in visits.iter_rows(min_row=2, values_only=True) if r[0] == "V8")
    assert v8[1] == datetime(2024, 10, 26)  # the day of the crew's shift
    assert (v8[9], v8[10], v8[8]) == (datetime(2024, 10, 27, 1, 30), datetime(2024, 10, 27, 1, 45), 3)
    middlesbrough = book["Middlesbrough"]
    assert [c.value for c in middlesbrough["A"][1:4]] == ["PC-MB-01", "PCSO-MB-01", "W-MB-01"]
    assert middlesbrough["C1"].value == datetime(2024, 10, 21)
    monday = middlesbrough["C4"].value
    assert monday.splitlines()[0] == "13:00–20:44"
    assert "1. 14:00–14:15 H-MB-1 Middlesbrough centre" in monday and "3. 18:00–18:15 H-MB-1" in monday
    assert middlesbrough["H2"].value.startswith("19:00–03:00 (+1)\nBreak 21:00 (20 min)")


# ---- roster.html --------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        self.text.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    return parser


def test_printable_roster_sections_and_print_css(written: dict[str, Any]) -> None:
    page = _parse((written["out"] / "roster.html").read_text(encoding="utf-8"))
    ids = [a["id"] for a in page.find("section", "day")]
    assert ids == [
        "d-E06000002-2024-10-21",
        "d-E06000002-2024-10-26",
        "d-E06000002-2024-10-27",
        "d-E06000004-2024-10-21",
    ]
    css = re.sub(r"\s+", " ", page.style)
    print_block = css[css.index("@media print") :]
    assert "section.day, section.locations { break-before: page;" in print_block
    assert "thead { display: table-header-group; }" in print_block
    # self-contained: no scripts, stylesheets, images or fonts from anywhere
    assert not page.find("script") and not page.find("link") and not page.find("img")
    assert all(a["href"].startswith("#") for a in page.find("a"))
    text = re.sub(r"\s+", " ", "".join(page.text))
    assert "01:30 GMT–01:45 GMT (+1) Newport Road" in text  # the second 01:xx of 27 October
    assert text.index("20:00–20:15 Newport Road") < text.index("22:30–22:45 Linthorpe Road, south")
    # a crew working from paper can find each hotspot: its point, on the last page
    (locations,) = page.find("section", "locations")
    assert locations["id"] == "hotspot-locations"
    assert text.count("(+1) marks the next day") == 1 + len(ids)  # the cover and every section


# ---- calendars/*.ics ----------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9-]+")
_UNESCAPE = re.compile(r"\\(.)")


def _unescape(value: str) -> str:
    """Strict RFC 5545 TEXT unescaping: only \\\\ \\; \\, \\n \\N; bare ; or , are errors."""
    plain = _UNESCAPE.sub("", value)
    assert ";" not in plain and "," not in plain, f"unescaped separator in {value!r}"

    def one(match: re.Match[str]) -> str:
        char = match.group(1)
        assert char in "\\;,nN", f"bad escape \\{char} in {value!r}"
        return "\n" if char in "nN" else char

    return _UNESCAPE.sub(one, value)


def _parse_ics(data: bytes) -> list[tuple[str, dict[str, str], str]]:
    """Check the physical lines (CRLF, <= 75 octets, folding) and return unfolded (name, params, value)."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical), "bare CR or LF"
    assert all(len(line) <= 75 for line in physical), "line over 75 octets"
    logical: list[str] = []
    for line in physical:
        text = line.decode("utf-8")  # folding never splits a UTF-8 character
        if text.startswith(" "):
            assert logical, "continuation before any line"
            logical[-1] += text[1:]
        else:
            assert text and not text.startswith("\t")
            logical.append(text)
    parsed = []
    for text in logical:
        head, sep, value = text.partition(":")
        assert sep, f"no ':' in {text!r}"
        name, *params = head.split(";")
        assert _NAME.fullmatch(name), name
        fields = {}
        for param in params:
            key, eq, val = param.partition("=")
            assert eq and _NAME.fullmatch(key), param
            fields[key] = val
        parsed.append((name.upper(), fields, value))
    return parsed


def _components(lines: list[tuple[str, dict[str, str], str]]) -> list[dict[str, Any]]:
    """Nest BEGIN/END into dicts: {'type', 'props': [(name, params, value)], 'children': [...]}."""
    root: dict[str, Any] = {"type": "ROOT", "props": [], "children": []}
    stack = [root]
    for name, params, value in lines:
        if name == "BEGIN":
            node = {"type": value, "props": [], "children": []}
            stack[-1]["children"].append(node)
            stack.append(node)
        elif name == "END":
            assert stack[-1]["type"] == value, f"END:{value} closes {stack[-1]['type']}"
            stack.pop()
        else:
            stack[-1]["props"].append((name, params, value))
    assert stack == [root], "unclosed component"
    return root["children"]


def _prop(node: dict[str, Any], name: str) -> tuple[dict[str, str], str]:
    found = [(p, v) for n, p, v in node["props"] if n == name]
    assert len(found) == 1, f"{node['type']} needs exactly one {name}"
    return found[0]


def _instant(params: dict[str, str], value: str) -> datetime:
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(params["TZID"]))


def _offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def test_calendars_are_valid_icalendar(written: dict[str, Any]) -> None:
    """Strictly parsed: one VEVENT per shift at the contract's instants, visits in the description; the
    UID is the person, the day and the shift's order that day (stable when the template changes)."""
    from optimiser.plan import shift_day_keys

    plan = written["plan"]
    shifts: dict[str, list[Any]] = {}
    for row in plan.roster:
        shifts.setdefault(row.shift_id, []).append(row)
    by_key = {
        f"{staff}.{day.isoformat()}.{n}": sid for sid, (staff, day, n) in shift_day_keys(plan.roster, LONDON).items()
    }
    uids: set[str] = set()
    for staff_id in STAFF:
        tree = _components(_parse_ics((written["out"] / "calendars" / f"{staff_id}.ics").read_bytes()))
        assert [c["type"] for c in tree] == ["VCALENDAR"]
        calendar = tree[0]
        assert _prop(calendar, "VERSION")[1] == "2.0"
        assert _prop(calendar, "PRODID")[1]
        zones = [c for c in calendar["children"] if c["type"] == "VTIMEZONE"]
        assert len(zones) == 1 and _prop(zones[0], "TZID")[1] == "Europe/London"
        for observance in zones[0]["children"]:
            assert observance["type"] in {"STANDARD", "DAYLIGHT"}
            onset = datetime.strptime(_prop(observance, "DTSTART")[1], "%Y%m%dT%H%M%S")
            before, after = _offset(_prop(observance, "TZOFFSETFROM")[1]), _offset(_prop(observance, "TZOFFSETTO")[1])
            instant = (onset - before).replace(tzinfo=UTC)
            assert instant.astimezone(LONDON).utcoffset() == after
            assert (instant - timedelta(minutes=1)).astimezone(LONDON).utcoffset() == before
        events = [c for c in calendar["children"] if c["type"] == "VEVENT"]
        mine = {sid: rows for sid, rows in shifts.items() if rows[0].staff_id == staff_id}
        assert len(events) == len(mine)
        for event in events:
            uid = _prop(event, "UID")[1]
            assert uid not in uids
            uids.add(uid)
            assert _prop(event, "DTSTAMP")[1] == "20241020T230000Z"  # Mon 21 Oct 00:00 BST, not the clock
            start_params, start = _prop(event, "DTSTART")
            end_params, end = _prop(event, "DTEND")
            assert start_params == end_params == {"TZID": "Europe/London"}
            rows = mine[by_key[uid.split("@")[0]]]
            assert _instant(start_params, start) == min(r.shift_start for r in rows)
            assert _instant(end_params, end) == max(r.shift_end for r in rows)
            _unescape(_prop(event, "SUMMARY")[1])
            _unescape(_prop(event, "LOCATION")[1])
            description = _unescape(_prop(event, "DESCRIPTION")[1])
            visits = [v for v in plan.visits if v.crew_id == rows[0].crew_id]
            listed = [line for line in description.splitlines() if re.match(r"\d+\. ", line)]
            assert len(listed) == len(visits)
    assert len(uids) == 5
    officer = (written["out"] / "calendars" / "PC-MB-01.ics").read_bytes().decode()
    unfolded = officer.replace("\r\n ", "")
    assert "DTSTART;TZID=Europe/London:20241026T190000" in unfolded
    assert "DTEND;TZID=Europe/London:20241027T030000" in unfolded
    assert "3. 01:30 GMT–01:45 GMT (+1) Newport Road (H-MB-3)\\, 15 min" in unfolded
    assert "SUMMARY:Patrol: Officer\\, Middlesbrough (3 visits)" in unfolded


def test_calendars_are_deterministic(written: dict[str, Any], tmp_path: Path) -> None:
    again = write_reports(written["plan"], tmp_path, formats=["ics"])
    for path in again:
        assert path.read_bytes() == (written["out"] / "calendars" / path.name).read_bytes()


def test_fold_keeps_characters_and_escapes_whole() -> None:
    line = "DESCRIPTION:" + escape_text("Café £12.50; Linthorpe Road, south\nnext line " * 6)
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert all(not p.endswith("\\") for p in parts[:-1])  # an escape is never split
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert escape_text("a\\b;c,d\r\ne") == "a\\\\b\\;c\\,d\\ne"


def test_ambiguous_local_time_is_written_in_utc() -> None:
    """01:30 on 27 Oct 2024 happens twice in London; the second (GMT) one must keep its instant."""
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert date_time_property("DTSTART", first, LONDON) == "DTSTART;TZID=Europe/London:20241027T013000"
    assert date_time_property("DTSTART", second, LONDON) == "DTSTART:20241027T013000Z"


def test_vtimezone_without_daylight_saving() -> None:
    lines = vtimezone(ZoneInfo("Asia/Kolkata"), 2023, 2024)
    assert lines == [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Kolkata",
        "X-LIC-LOCATION:Asia/Kolkata",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0530",
        "TZOFFSETTO:+0530",
        "TZNAME:IST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


# ---- map.html -----------------------------------------------------------------------------------------


def test_map_is_self_contained(written: dict[str, Any]) -> None:
    text = (written["out"] / "map.html").read_text(encoding="utf-8")
    page = _parse(text)
    assert not page.find("link") and not page.find("img")
    assert all("src" not in attrs for attrs in page.find("script"))
    csp = [a for a in page.find("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert "sourceMappingURL" not in text and "url(images/" not in text
    script, css = leaflet_assets()
    assert 'version="1.9.4"' in script and "data:image/png;base64," in css
    data = json.loads(re.search(r"<script type='application/json' id='plan-data'>(.*?)</script>", text, re.S).group(1))
    assert len(data["hotspots"]) == 4 and len(data["routes"]) == 4
    assert [d["visits"] for d in data["days"]] == [5, 0, 0, 0, 0, 3, 1]
    polygon = next(h for h in data["hotspots"] if h["id"] == "H-MB-1")["polygon"]
    assert polygon[0][0][0] == [54.5753, -1.2362]  # [lat, lon] for Leaflet, from the scenario's [lon, lat]
    # a stop after midnight is on the next day, in the route list as in the printout
    assert any("01:30 GMT (+1)" in route["panel"] for route in data["routes"])


def _chromium() -> str:
    found = os.environ.get("PATROL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "headless Chromium is needed for the map test: run `bash .ci/chromium.sh` (apt-get install chromium)"
        )
    return found


def _dump_dom(url: str, profile: Path) -> tuple[_Tags, str]:
    """Open ``url`` in headless Chromium with networking disabled and return the rendered DOM."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--window-size=1280,800",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    dom = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0 and "<html" in dom, result.stderr.decode("utf-8", "replace")[-2000:]
    return _parse(dom), dom


@pytest.mark.parametrize(
    ("fragment", "day"),
    [
        ("", "2024-10-21"),
        ("#day=2024-10-26", "2024-10-26"),
        ("#day=2024-10-27&tiles=osm", "2024-10-27"),
        ("#day=2024-12-09", "2024-10-21"),  # not in the week: the first day, and the page says so
    ],
)
def test_map_draws_in_headless_chromium(written: dict[str, Any], tmp_path: Path, fragment: str, day: str) -> None:
    """Hotspot shapes, bases, route lines and numbered stops are in the rendered DOM, with no script error.

    Expected per day: Mon 2 routes / 5 stops at 3 markers (H-MB-1 twice by one crew, H-ST-1 twice);
    Sat 1 route / 3 stops at 2 markers; Sun 1 route / 1 stop. Offline, the OSM layer fails quietly.
    """
    plan = written["plan"]
    page, dom = _dump_dom((written["out"] / "map.html").as_uri() + fragment, tmp_path / "profile")
    root = page.tags[0][1] if page.tags[0][0] == "html" else {}
    assert root.get("data-errors") == "0", root.get("data-error-messages")
    status = next(a for t, a in page.tags if a.get("id") == "map-status")
    assert status["data-ready"] == "1" and status["data-day"] == day
    notice = re.search(r'id="day-notice"[^>]*>(.*?)</p>', dom, re.S)
    asked = fragment.partition("day=")[2].partition("&")[0]
    assert notice and notice.group(1) == (
        f"No {asked} in this plan's week: showing {day}." if asked == "2024-12-09" else ""
    )

    hotspots = page.find("path", "hotspot")
    assert len(hotspots) == len(plan.hotspots) == int(status["data-hotspots"]) == 4
    projects = Counter(c for a in hotspots for c in a["class"].split() if c.startswith("hotspot-"))
    assert projects == Counter(f"hotspot-{h.project}" for h in plan.hotspots)
    assert len(page.find("div", "base-icon")) == int(status["data-bases"]) == 3

    crew_days: dict[str, date] = {}
    for row in plan.roster:
        start = row.shift_start.astimezone(LONDON).date()
        crew_days[row.crew_id] = min(start, crew_days.get(row.crew_id, start))
    crews = {c for c, d in crew_days.items() if d.isoformat() == day}
    visits = [v for v in plan.visits if v.crew_id in crews]
    assert len(page.find("path", "route")) == int(status["data-routes"]) == len(crews)
    stops = [a for t, a in page.tags if t == "span" and "data-stops" in a]
    assert len(stops) == int(status["data-stop-markers"]) == len({(v.crew_id, v.hotspot_id) for v in visits})
    numbers: dict[str, list[int]] = {}
    for attrs in stops:
        numbers.setdefault(attrs["data-crew"], []).extend(int(n) for n in attrs["data-stops"].split(","))
    assert {c: sorted(n) for c, n in numbers.items()} == {
        c: list(range(1, sum(v.crew_id == c for v in visits) + 1)) for c in crews
    }
    assert int(status["data-stops"]) == len(visits)
    # arrival times are labelled on the map (a small day), and the scale bar and layer control exist
    assert int(status["data-time-labels"]) == len(stops)
    assert page.find("div", "leaflet-control-scale") and page.find("div", "leaflet-control-layers")
    options = [a["value"] for a in page.find("option")]
    assert options == [f"2024-10-{d}" for d in range(21, 28)]
    attribution = re.search(r'class="leaflet-control-attribution[^"]*">(.*?)</div>', dom, re.S)
    assert attribution and "Leaflet" in attribution.group(1)
    if "tiles=osm" in fragment:
        assert status["data-base-layer"] == "osm" and "OpenStreetMap</a> contributors" in attribution.group(1)
        assert page.find("img", "leaflet-tile")  # requested, failed offline, harmless
    else:
        assert status["data-base-layer"] == "plain" and not page.find("img", "leaflet-tile")
        assert "OpenStreetMap" not in attribution.group(1)


def test_times_in_the_hour_the_clocks_go_back_name_their_zone() -> None:
    """27 October 2024: 01:00-02:00 happens twice in London. 00:44 UTC is 01:44 BST and 01:22 UTC is
    01:22 GMT; in time order 01:44 BST comes first, and each says which it is. Other times stay bare."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from optimiser.reports.view import hhmm

    london = ZoneInfo("Europe/London")
    first = datetime(2024, 10, 27, 0, 44, tzinfo=UTC).astimezone(london)
    second = datetime(2024, 10, 27, 1, 22, tzinfo=UTC).astimezone(london)
    assert [hhmm(t) for t in sorted([second, first], key=lambda t: t.timestamp())] == ["01:44 BST", "01:22 GMT"]
    assert hhmm(datetime(2024, 10, 27, 3, 0, tzinfo=london)) == "03:00"


def test_report_of_a_plan_failing_its_check_says_so_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan folder edited by hand (its summary's dosage raised by 100) fails its check: `patrol report`
    still writes the views, each saying CHECK FAILED (never the 'passed' of summary.json), and exits 1."""
    import cli

    folder = tmp_path / "edited"
    shutil.copytree(PLAN_DIR, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["harm_weighted_dosage"] += 100
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    code = cli.main(["report", str(folder)])
    err = capsys.readouterr().err
    assert code == 1 and "the plan fails its check (1 violation(s)" in err
    assert "CHECK FAILED (1 violation(s)" in (folder / "roster.html").read_text(encoding="utf-8")
    assert "CHECK FAILED" in (folder / "map.html").read_text(encoding="utf-8")
    calendar = next((folder / "calendars").glob("*.ics")).read_text(encoding="utf-8")
    assert "SUMMARY:CHECK FAILED - Patrol" in calendar.replace("\r\n ", "")
    sheet = openpyxl.load_workbook(folder / "roster.xlsx")["Summary"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("1 violation(s)" in c for c in cells) and "passed" not in cells


def test_report_refuses_another_plans_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report A --out B` where B holds another plan: its views would describe A beside B's files."""
    import cli

    other = tmp_path / "other"
    shutil.copytree(PLAN_DIR, other)
    before = (other / "roster.html").read_bytes() if (other / "roster.html").exists() else None
    code = cli.main(["report", str(PLAN_DIR), "--out", str(other)])
    assert code == 2 and "holds another plan's files" in capsys.readouterr().err
    assert ((other / "roster.html").read_bytes() if (other / "roster.html").exists() else None) == before


def test_a_hotspot_visited_by_another_districts_crew_is_not_listed_as_missed() -> None:
    """Officers roam: on 21 October the Stockton crew's first stop is moved to Middlesbrough's Newport
    Road, the one Middlesbrough hotspot its own crew did not visit. Middlesbrough's section then has every
    hotspot visited and names the visit from Stockton-on-Tees (it listed Newport Road under 'no visit from
    these crews', read as an unpatrolled hotspot)."""
    from dataclasses import replace as replaced

    from optimiser.reports.printable import _section
    from optimiser.reports.view import build_view
    from optimiser.scenario import load_scenario

    plan = read_plan(PLAN_DIR)
    plan.visits = [replaced(v, hotspot_id="H-MB-3") if v.visit_id == "V4" else v for v in plan.visits]
    view = build_view(plan, load_scenario(PLAN_DIR / "scenario.resolved.yaml").scenario)
    day = date(2024, 10, 21)
    crews = [c for c in view.crews if c.day == day and c.district == "E06000002"]
    text = re.sub(r"<[^>]+>", "", _section("E06000002", day, crews, view))
    assert "Every hotspot in the district has a visit on this day." in text
    assert "Visited by crews of other districts: Newport Road (Stockton-on-Tees)" in text


def test_a_visit_after_midnight_counts_on_the_day_it_is_made() -> None:
    """The Saturday night crew's 01:30 GMT stop at Newport Road is made on Sunday 27 October (the day the
    presence cap and the value count it): Sunday's section no longer lists Newport Road as unvisited."""
    from optimiser.reports.printable import _section
    from optimiser.reports.view import build_view
    from optimiser.scenario import load_scenario

    view = build_view(read_plan(PLAN_DIR), load_scenario(PLAN_DIR / "scenario.resolved.yaml").scenario)
    sunday = date(2024, 10, 27)
    crews = [c for c in view.crews if c.day == sunday and c.district == "E06000002"]
    text = re.sub(r"<[^>]+>", "", _section("E06000002", sunday, crews, view))
    missed = text.split("Hotspots with no visit from any crew on this day: ")[1].split("Times are local")[0]
    assert missed == "Middlesbrough centre"  # before: "Middlesbrough centre, Newport Road"


def test_a_revised_plan_updates_and_cancels_calendar_events(tmp_path: Path) -> None:
    """Revision 2 of the small plan, having dropped W-MB-01's Sunday 27 October shift of revision 1: every
    event carries SEQUENCE:2 and a DTSTAMP two minutes on, and W-MB-01's calendar cancels the dropped
    shift under its UID (person, day, order that day), as it stood in revision 1."""
    from optimiser.scenario import load_scenario

    plan = read_plan(PLAN_DIR)
    plan.summary = {
        **plan.summary,
        "revision": 2,
        "withdrawn_shifts": [
            {"staff_id": "W-MB-01", "day": "2024-10-26", "n": 1,
             "shift_start": "2024-10-26T13:00+01:00", "shift_end": "2024-10-26T20:44+01:00"}
        ],
    }  # fmt: skip
    write_reports(plan, tmp_path, formats=("ics",), scenario=load_scenario(PLAN_DIR / "scenario.resolved.yaml"))
    text = (tmp_path / "calendars" / "W-MB-01.ics").read_text(encoding="utf-8").replace("\r\n ", "")
    assert text.count("SEQUENCE:2") == text.count("BEGIN:VEVENT") == 3
    assert "DTSTAMP:20241020T230200Z" in text
    cancelled = text[text.index("STATUS:CANCELLED") - 400 : text.index("STATUS:CANCELLED")]
    assert "UID:W-MB-01.2024-10-26.1@" in cancelled and "DTSTART;TZID=Europe/London:20241026T130000" in cancelled
    assert "UID:W-MB-01.2024-10-21.1@" in text  # the Monday shift kept its event


def test_a_hand_edited_withdrawn_shift_that_does_not_read_is_left_out(tmp_path: Path) -> None:
    """A withdrawn shift with n 'two' or a time without an offset: the views still build, without it."""
    from optimiser.scenario import load_scenario

    plan = read_plan(PLAN_DIR)
    good = {"staff_id": "W-MB-01", "day": "2024-10-26", "n": 1,
            "shift_start": "2024-10-26T13:00+01:00", "shift_end": "2024-10-26T20:44+01:00"}  # fmt: skip
    plan.summary = {
        **plan.summary,
        "withdrawn_shifts": [{**good, "n": "two"}, {**good, "shift_start": "2024-10-26 13:00"}, good],
    }
    write_reports(plan, tmp_path, formats=("ics",), scenario=load_scenario(PLAN_DIR / "scenario.resolved.yaml"))
    text = (tmp_path / "calendars" / "W-MB-01.ics").read_text(encoding="utf-8")
    assert text.count("STATUS:CANCELLED") == 1


def test_views_rebuilt_by_report_show_the_plans_own_figures(tmp_path: Path) -> None:
    """The workbook written with a plan and the one `patrol report` rebuilds from its folder hold the same
    cell values (harm weights were shown to 7 digits in one and 6 in the other)."""
    from optimiser.pipeline import plan_to_folder
    from optimiser.scenario import load_scenario

    mixed = Path(__file__).parent / "data" / "roster" / "mixed.yaml"
    precise = load_scenario(mixed, ["hotspots.0.harm_weight=10.12345678"])  # more digits than the CSV keeps
    plan_to_folder(precise, out_dir=tmp_path / "plan", formats=("xlsx",))
    report_folder(tmp_path / "plan", formats=("xlsx",), out_dir=tmp_path / "again")

    def cells(path: Path) -> list[list[Any]]:
        book = openpyxl.load_workbook(path)
        return [[c.value for row in sheet.iter_rows() for c in row] for sheet in book.worksheets]

    assert cells(tmp_path / "plan" / "roster.xlsx") == cells(tmp_path / "again" / "roster.xlsx")


def test_a_failing_view_leaves_the_earlier_views_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Views are all written before any is moved in: a failure half-way (a full disk) once left the new
    workbook beside the old map and calendars."""
    import optimiser.reports as reports

    folder = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, folder)
    report_folder(folder)
    for name in ("roster.xlsx", "roster.html"):  # the views as an earlier plan left them
        (folder / name).write_bytes(b"earlier")
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports, "write_map", full_disk)
    with pytest.raises(OSError, match="No space left"):
        report_folder(folder)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_a_hand_edit_raises_the_sequence_of_the_events_it_changed(tmp_path: Path) -> None:
    """Views rebuilt after a hand edit carry the plan's revision, the SEQUENCE already sent: a calendar would
    keep the old time. An event that changed goes one above the published one (DTSTAMP a minute on); one
    that did not keeps the published SEQUENCE, never a lower one."""
    from optimiser.reports.calendars import _bump_changed

    def event(uid: str, start: str, sequence: int, stamp: str = "20241202T000100Z") -> list[str]:
        return [
            "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART:{start}", "DTEND:20241202T220000",
            "SUMMARY:Patrol", f"SEQUENCE:{sequence}", "END:VEVENT",
        ]  # fmt: skip

    published = {
        "a": {"UID": "a", "DTSTART": "20241202T140000", "DTEND": "20241202T220000", "SUMMARY": "Patrol",
              "SEQUENCE": "1", "DTSTAMP": "20241202T000100Z"},
        "b": {"UID": "b", "DTSTART": "20241202T140000", "DTEND": "20241202T220000", "SUMMARY": "Patrol",
              "SEQUENCE": "3", "DTSTAMP": "20241202T000500Z"},
    }  # fmt: skip
    lines = ["BEGIN:VCALENDAR", *event("a", "20241202T130000", 1), *event("b", "20241202T140000", 1), "END:VCALENDAR"]
    bumped = _bump_changed(lines, published)
    a, b = bumped[1:9], bumped[9:17]
    assert "SEQUENCE:2" in a and "DTSTAMP:20241202T000200Z" in a  # moved from 14:00 to 13:00
    assert "SEQUENCE:3" in b and "DTSTAMP:20241202T000500Z" in b  # unchanged: as published


def test_a_revised_plans_printed_views_name_the_revision_and_the_withdrawn_shifts(tmp_path: Path) -> None:
    """A roster on a noticeboard must be told apart from the one it replaces, as the calendars are."""
    folder = shutil.copytree(PLAN_DIR, tmp_path / "plan")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["revision"] = 2
    summary["withdrawn_shifts"] = [
        {
            "staff_id": "W-X",
            "day": "2024-10-22",
            "n": 1,
            "shift_start": "2024-10-22T14:00+01:00",
            "shift_end": "2024-10-22T22:00+01:00",
        }
    ]
    summary["changed_shifts"] = [
        {
            "staff_id": "W-Y",
            "day": "2024-10-23",
            "n": 1,
            "shift_start": "2024-10-23T13:00+01:00",
            "shift_end": "2024-10-24T01:00+01:00",
            "changes": ["break", "route"],
        },
        {"staff_id": "W-Z", "changes": ["times"]},  # a hand-edited record that does not read: left off
    ]
    summary["notes"] = ["£2,230.85 of the SV budget is left: no further officer crew fits"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    write_reports(read_plan(folder), tmp_path / "views", formats=("html", "xlsx"))
    html = (tmp_path / "views" / "roster.html").read_text(encoding="utf-8")
    assert "Revision 2 (replaces revision 1)" in html
    assert "Withdrawn since the last revision (1): W-X Tue 22 Oct 2024 14:00–22:00" in html
    assert "Breaks moved since the last revision (1): W-Y Wed 23 Oct 2024 13:00–01:00 (+1)" in html
    assert "Routes changed since the last revision (1): W-Y Wed 23 Oct 2024" in html
    assert "Shift times moved" not in html and "W-Z" not in html
    assert "Note: £2,230.85 of the SV budget is left" in html
    sheet = openpyxl.load_workbook(tmp_path / "views" / "roster.xlsx")["Summary"]
    facts = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert facts["Revision"] == "Revision 2 (replaces revision 1)" and facts["Withdrawn"].startswith("Withdrawn since")
    assert facts["Changed"].startswith("Routes changed since")  # the last of the two change lines
    assert facts["Note"].startswith("£2,230.85 of the SV budget")


def test_a_break_after_midnight_is_marked_on_the_next_day() -> None:
    from optimiser.reports.view import clock_on

    night = datetime(2024, 12, 7, 0, 1, tzinfo=ZoneInfo("Europe/London"))
    assert clock_on(night, date(2024, 12, 6)) == "00:01 (+1)" and clock_on(night, date(2024, 12, 7)) == "00:01"
