"""calendars/<staff_id>.ics: each person's shifts as iCalendar (RFC 5545) events for their own calendar.

One VEVENT per shift, in local time with a TZID and a VTIMEZONE built from the IANA zone, so
calendar programs show the right times on both sides of a clock change; the visits are listed in the
description. Output is deterministic: DTSTAMP is the week's start (one minute on per plan revision),
not the clock; a UID is the person, the day and the shift's order that day, so re-importing a plan
updates the same events, and a revised plan (``--pin``, or one written over the published week) moves
them with a higher SEQUENCE and cancels the shifts it withdrew.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from optimiser.plan import calendar_namespace, shift_day_keys
from optimiser.reports.view import (
    PROJECT_LABEL,
    ROLE_LABEL,
    PlanView,
    ShiftView,
    WithdrawnShift,
    clock_on,
    day_label,
    span,
)

PRODID = "-//patrol//hotspot patrol planner//EN"
_UNSAFE_FILE = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_UID = re.compile(r"[^A-Za-z0-9._@-]")
_TOKEN = re.compile(r"\\.|.", re.DOTALL)


def escape_text(text: str) -> str:
    r"""Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines (as ``\n``)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    r"""Fold a content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character.

    Continuation lines start with one space, which counts towards their 75 octets; lines are joined
    with CRLF. An escape such as ``\,`` is kept on one line: the standard allows a split inside it, but
    some calendar programs mis-read one.
    """
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for token in _TOKEN.findall(line):
        width = len(token.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current = " "
            size = 1
        current += token
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta(0)).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _transitions(tz: ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """UTC instants (to the minute) when the zone's UTC offset or abbreviation changes in these years."""
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)

    def key(moment: datetime) -> tuple[timedelta | None, str | None]:
        local = moment.astimezone(tz)
        return local.utcoffset(), local.tzname()

    found: list[datetime] = []
    moment = start
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        if key(moment) != key(following):
            low, high = moment, following  # key(low) is the old state, key(high) the new one
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    middle = low + timedelta(minutes=1)
                if key(middle) == key(low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        moment = following
    return found


def vtimezone(tz: ZoneInfo, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE component for ``tz`` with one observance per transition in ``first_year..last_year``.

    Explicit observances (no RRULE) are exact for any IANA zone, including rule changes; a zone
    without transitions gets a single STANDARD observance.
    """
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}", f"X-LIC-LOCATION:{tz.key}"]
    changes = _transitions(tz, first_year, last_year)
    if not changes:
        probe = datetime(first_year, 1, 1, 12, tzinfo=UTC).astimezone(tz)
        lines += [
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{_offset(probe.utcoffset())}",
            f"TZOFFSETTO:{_offset(probe.utcoffset())}",
            f"TZNAME:{probe.tzname()}",
            "END:STANDARD",
        ]
    for change in changes:
        before = (change - timedelta(minutes=1)).astimezone(tz)
        after = change.astimezone(tz)
        kind = "DAYLIGHT" if after.dst() else "STANDARD"
        onset = (change + (before.utcoffset() or timedelta(0))).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{_stamp(onset)}",
            f"TZOFFSETFROM:{_offset(before.utcoffset())}",
            f"TZOFFSETTO:{_offset(after.utcoffset())}",
            f"TZNAME:{after.tzname()}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def date_time_property(name: str, moment: datetime, tz: ZoneInfo) -> str:
    """``NAME;TZID=zone:YYYYMMDDTHHMMSS`` in local time, or UTC (``...Z``) when the local time is ambiguous.

    In the repeated hour after clocks go back a local time names two instants; RFC 5545 then means the
    first, so the second is written in UTC instead to keep the exact instant.
    """
    local = moment.astimezone(tz)
    naive = local.replace(tzinfo=None, fold=0)
    if naive.replace(tzinfo=tz, fold=0).astimezone(UTC) != moment.astimezone(UTC):
        return f"{name}:{_stamp(moment.astimezone(UTC))}Z"
    return f"{name};TZID={tz.key}:{_stamp(naive)}"


def _description(shift: ShiftView, view: PlanView) -> str:
    crew = view.crew(shift.crew_id)
    lines = [
        f"{ROLE_LABEL.get(shift.role, shift.role)} patrol shift {shift.shift_id} (crew {shift.crew_id}), "
        f"{PROJECT_LABEL.get(crew.project, crew.project)} project, {view.district_name(shift.district)}.",
        f"Start and end at {view.base_name(shift.base_id)} ({shift.base_id}).",
    ]
    mates = [
        f"{member} ({ROLE_LABEL.get(role, role)})"
        for member, role in zip(crew.members, crew.roles, strict=True)
        if member != shift.staff_id
    ]
    if mates:
        lines.append("With " + ", ".join(mates) + ".")
    if shift.break_start is not None and shift.break_minutes:
        lines.append(f"Break {clock_on(shift.break_start, shift.start.date())} for {shift.break_minutes} min.")
    if crew.visits:
        lines.append("Visits:")
        for visit in crew.visits:
            lines.append(
                f"{visit.stop}. {span(visit.arrive, visit.depart, day=shift.day)} {visit.hotspot_name} "
                f"({visit.row.hotspot_id}), {visit.row.dwell_minutes} min"
            )
    else:
        lines.append("No hotspot visits planned.")
    lines.append(f"Times are local ({view.scenario.timezone}). Paid hours {shift.paid_hours:.2f}.")
    return "\n".join(lines)


def calendar_lines(
    staff_id: str, shifts: Sequence[ShiftView], view: PlanView, withdrawn: Sequence[WithdrawnShift] = ()
) -> list[str]:
    """The unfolded content lines of one person's calendar (VCALENDAR with VTIMEZONE and VEVENTs).

    An event's UID is the person, the day and the shift's order that day, so a re-published week updates
    a moved shift in place; SEQUENCE is the plan's ``revision`` (and DTSTAMP moves on with it), as a
    calendar needs to take a revised event; ``withdrawn`` shifts of the previous revision are sent as
    cancelled events.
    """
    tz = view.tz
    years = [s.start.year for s in shifts] + [s.end.year for s in shifts] + [view.week_start.year]
    years += [w.start.year for w in withdrawn]
    revision = view.revision
    stamp = week_stamp(view.week_start, tz, revision=revision)
    scenario = _UNSAFE_UID.sub("-", calendar_namespace({"scenario": view.scenario.name, **view.summary}))
    keys = shift_day_keys([row for shift in shifts for row in shift.rows], tz)

    def uid(day: date, n: int) -> str:
        return _UNSAFE_UID.sub("-", f"{staff_id}.{day.isoformat()}.{n}@{scenario}.patrol")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'Patrol shifts {staff_id}, week of {day_label(view.week_start)}')}",
        f"X-WR-TIMEZONE:{tz.key}",
        *vtimezone(tz, min(years) - 1, max(years)),
    ]
    for shift in sorted(shifts, key=lambda s: s.start.timestamp()):
        crew = view.crew(shift.crew_id)
        base = view.base(shift.base_id)
        visits = len(crew.visits)
        summary = (
            ("CHECK FAILED - " if view.violations else "")
            + f"Patrol: {ROLE_LABEL.get(shift.role, shift.role)}, {view.district_name(shift.district)} "
            f"({visits} visit{'s' if visits != 1 else ''})"
        )
        _, day, n = keys[shift.shift_id]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(day, n)}",
            f"DTSTAMP:{stamp}",
            date_time_property("DTSTART", shift.start, tz),
            date_time_property("DTEND", shift.end, tz),
            f"SUMMARY:{escape_text(summary)}",
            f"LOCATION:{escape_text(view.base_name(shift.base_id))}",
        ]
        if base is not None:
            lines.append(f"GEO:{base.lat:.6f};{base.lon:.6f}")
        lines += [
            f"DESCRIPTION:{escape_text(_description(shift, view))}",
            f"CATEGORIES:{escape_text('Patrol')},{escape_text(PROJECT_LABEL.get(crew.project, crew.project))}",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            f"SEQUENCE:{revision}",
            "END:VEVENT",
        ]
    for dropped in withdrawn:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(dropped.day, dropped.n)}",
            f"DTSTAMP:{stamp}",
            date_time_property("DTSTART", dropped.start.astimezone(tz), tz),
            date_time_property("DTEND", dropped.end.astimezone(tz), tz),
            f"SUMMARY:{escape_text('Cancelled: patrol shift')}",
            f"DESCRIPTION:{escape_text(f'Withdrawn in revision {revision} of the plan.')}",
            "STATUS:CANCELLED",
            f"SEQUENCE:{revision}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return lines


def _file_names(staff_ids: Iterable[str]) -> dict[str, str]:
    """A file name per person (``W-MBRO-01.ics``), unique even when ids differ only in unsafe characters."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for staff_id in sorted(staff_ids):
        stem = _UNSAFE_FILE.sub("_", staff_id) or "staff"
        name, counter = f"{stem}.ics", 2
        while name.lower() in taken:
            name, counter = f"{stem}-{counter}.ics", counter + 1
        taken.add(name.lower())
        names[staff_id] = name
    return names


_CONTENT = ("DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS")
"""Event properties whose change a calendar must be told of by a higher SEQUENCE (RFC 5545, 3.8.7.4)."""


def _events(lines: Iterable[str]) -> dict[str, dict[str, str]]:
    """The VEVENTs of unfolded content lines, by UID: each property name (parameters dropped) -> value."""
    events: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            events[current.get("UID", "")] = current
            current = None
        elif current is not None and ":" in line:
            name, _, value = line.partition(":")
            current[name.split(";", 1)[0]] = value
    return events


def _published_events(path: Path) -> dict[str, dict[str, str]]:
    """The events of a calendar file written before (unfolded), or none when there is none or it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return _events(re.sub(r"\r?\n[ \t]", "", text).splitlines())


def _bump_changed(lines: list[str], published: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Keep each event's SEQUENCE (and DTSTAMP) at least the published one's, and above it when it changed.

    Why: the views of a plan edited by hand are rebuilt with the plan's revision, the one already sent;
    a calendar that has the event keeps its old time unless the SEQUENCE goes up, and ignores an event
    whose SEQUENCE went down.
    """
    if not published:
        return lines
    targets: dict[str, tuple[int, str]] = {}
    for uid, new in _events(lines).items():
        old = published.get(uid)
        if old is None:
            continue
        old_sequence, new_sequence = int(old.get("SEQUENCE", "0")), int(new.get("SEQUENCE", "0"))
        changed = any(old.get(name) != new.get(name) for name in _CONTENT)
        sequence = max(new_sequence, old_sequence + 1 if changed else old_sequence)
        stamps = [_parse_stamp(new.get("DTSTAMP", "")), _parse_stamp(old.get("DTSTAMP", ""))]
        known = [moment for moment in stamps if moment is not None]
        if not known:
            continue
        latest = max(known) + (timedelta(minutes=1) if changed and new_sequence <= old_sequence else timedelta())
        targets[uid] = (sequence, f"{_stamp(latest)}Z")
    out: list[str] = []
    uid = ""
    for line in lines:
        if line.startswith("UID:"):
            uid = line[4:]
        if uid in targets and line.startswith("SEQUENCE:"):
            line = f"SEQUENCE:{targets[uid][0]}"
        elif uid in targets and line.startswith("DTSTAMP:"):
            line = f"DTSTAMP:{targets[uid][1]}"
        elif line == "END:VEVENT":
            uid = ""
        out.append(line)
    return out


def _parse_stamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        return None


def write_calendars(view: PlanView, folder: Path, *, published: Path | None = None) -> list[Path]:
    """Write ``calendars/<staff_id>.ics`` for every person with a shift; return the files written.

    Lines end in CRLF and are folded at 75 octets, as RFC 5545 requires. ``published`` is the calendars
    folder these replace, if any: an event that changed since (a hand edit) gets a higher SEQUENCE.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_person: dict[str, list[ShiftView]] = defaultdict(list)
    for shift in view.shifts:
        by_person[shift.staff_id].append(shift)
    withdrawn: dict[str, list[WithdrawnShift]] = defaultdict(list)
    for dropped in view.withdrawn:
        withdrawn[dropped.staff_id].append(dropped)
        by_person.setdefault(dropped.staff_id, [])
    written: list[Path] = []
    for staff_id, name in _file_names(by_person).items():
        lines = calendar_lines(staff_id, by_person[staff_id], view, withdrawn[staff_id])
        if published is not None:
            lines = _bump_changed(lines, _published_events(published / name))
        text = "\r\n".join(fold(line) for line in lines) + "\r\n"
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def week_stamp(week_start: date, tz: ZoneInfo, *, revision: int = 0) -> str:
    """The DTSTAMP of a week's events: its Monday 00:00 local, in UTC (``20241020T230000Z``).

    One minute later per revision: a calendar takes the later stamp of a revised event.
    """
    moment = datetime.combine(week_start, time(), tzinfo=tz).astimezone(UTC) + timedelta(minutes=revision)
    return _stamp(moment) + "Z"
