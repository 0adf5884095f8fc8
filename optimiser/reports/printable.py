"""roster.html: a printable roster, one section (one printed page or more) per district and day.

For the briefing room: each crew's shift, break, base and numbered route with arrival times, and a
blank column for notes. A single self-contained file (inline CSS, no scripts, fonts or images from
anywhere), so it prints the same from any council or force PC without internet.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from html import escape
from pathlib import Path

from optimiser.plan import FUNDINGS, summary_mapping
from optimiser.reports.view import (
    FUNDING_LABEL,
    FUNDING_PROJECT,
    PROJECT_LABEL,
    ROLE_LABEL,
    CrewView,
    PlanView,
    clock_on,
    day_label,
    long_day_label,
    money,
    plan_notes,
    revision_lines,
    span,
)

CSS = """
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #111; margin: 1.5em; }
h1 { font-size: 18pt; margin: 0 0 .3em; }
h2 { font-size: 14pt; margin: 0 0 .2em; border-bottom: 2px solid #333; padding-bottom: .15em; }
p.meta { margin: .2em 0 .8em; color: #333; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #888; padding: .25em .4em; vertical-align: top; text-align: left; }
th { background: #e6ebf2; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.time { white-space: nowrap; }
ol.route { margin: 0; padding-left: 1.6em; }
ol.route li { margin: 0; }
td.notes { width: 16%; }
.project-asb { border-left: 6px solid #E69F00; }
.project-sv { border-left: 6px solid #0072B2; }
.muted { color: #555; }
nav h2 { margin-top: 1em; }
nav ul { columns: 2; margin: .3em 0; }
section.day, section.locations { margin-top: 2em; }
table.facts { width: auto; }
footer { margin-top: 2em; font-size: 9pt; color: #555; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  nav { display: none; }
  section.day, section.locations { break-before: page; page-break-before: always; margin-top: 0; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  th { background: #e6ebf2 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _anchor(code: str, day: date) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in code)
    return f"d-{safe}-{day.isoformat()}"


def _people(crew: CrewView) -> str:
    return "<br>".join(
        f"<strong>{escape(member)}</strong> <span class='muted'>{escape(ROLE_LABEL.get(role, role))}</span>"
        for member, role in zip(crew.members, crew.roles, strict=True)
    )


def _route(crew: CrewView, view: PlanView) -> str:
    if not crew.visits:
        return "<span class='muted'>no visits planned</span>"
    items = []
    for visit in crew.visits:
        spot = view.hotspot(visit.row.hotspot_id)
        items.append(
            f"<li><span class='time'>{escape(span(visit.arrive, visit.depart, day=crew.day))}</span> "
            f"<strong>{escape(spot.name)}</strong> <span class='muted'>({escape(spot.hotspot_id)}, "
            f"{visit.row.dwell_minutes} min, {visit.row.travel_minutes_from_prev} min travel)</span></li>"
        )
    return f"<ol class='route'>{''.join(items)}</ol>"


def _cover(view: PlanView, sections: dict[tuple[str, date], list[CrewView]]) -> str:
    summary = view.summary
    costs = summary_mapping(summary, "cost_gbp")
    budgets = summary_mapping(summary, "budget_gbp")
    rows = []
    for funding in list(FUNDINGS) + [f for f in costs if f not in FUNDINGS]:
        project = FUNDING_PROJECT.get(funding, "")
        budget = budgets.get(project) if project else None
        rows.append(
            f"<tr><td>{escape(str(FUNDING_LABEL.get(funding, funding)))}</td>"
            f"<td class='num'>{escape(money(float(costs.get(funding, 0.0))))}</td>"
            f"<td class='num'>{escape(money(float(budget))) if budget is not None else '-'}</td></tr>"
        )
    visits = sum(len(c.visits) for c in view.crews)
    minutes = sum(v.row.dwell_minutes for c in view.crews for v in c.visits)
    gap = summary.get("gap")
    gap_text = f"{float(gap):.2%}" if isinstance(gap, int | float) else "-"
    contents = []
    codes = list(view.district_names) + sorted({code for code, _ in sections} - set(view.district_names))
    for code in codes:
        links = []
        for day in view.days:
            crews = sections.get((code, day))
            if crews:
                links.append(f"<a href='#{_anchor(code, day)}'>{escape(day_label(day))}</a> ({len(crews)})")
        listed = ", ".join(links) if links else "<span class='muted'>no shifts this week</span>"
        contents.append(f"<li><strong>{escape(view.district_name(code))}</strong>: {listed}</li>")
    explanation = summary.get("explanation") or ""
    return (
        f"<header><h1>Patrol roster: week of {escape(long_day_label(view.week_start))}</h1>"
        f"<p class='meta'>Scenario <strong>{escape(str(summary.get('scenario', view.scenario.name)))}</strong>; "
        f"plan status <strong>{escape(view.status)}</strong> (gap {escape(gap_text)}); "
        f"{visits} visits, {minutes} minutes of patrol at hotspots. "
        f"All times are local ({escape(view.scenario.timezone)}); (+1) marks the next day.</p>"
        + (f"<p class='meta'>{escape(str(explanation))}</p>" if explanation else "")
        + "".join(f"<p class='meta'><strong>{escape(line)}</strong></p>" for line in revision_lines(view))
        + "".join(f"<p class='meta'>Note: {escape(note)}</p>" for note in plan_notes(view))
        + "<table class='facts'><thead><tr><th>Funding</th><th class='num'>Cost this week</th>"
        f"<th class='num'>Weekly budget</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<nav><h2>Contents</h2><ul>{''.join(contents)}</ul></nav></header>"
    )


def _section(code: str, day: date, crews: list[CrewView], view: PlanView) -> str:
    rows = []
    for crew in crews:
        break_text = (
            f"{clock_on(crew.break_start, day)} ({crew.break_minutes} min)"
            if crew.break_start is not None and crew.break_minutes
            else "-"
        )
        rows.append(
            f"<tr class='project-{escape(crew.project)}'><td>{_people(crew)}</td>"
            f"<td class='time'>{escape(span(crew.start, crew.end, day=day))}</td>"
            f"<td class='time'>{escape(break_text)}</td>"
            f"<td>{escape(view.base_name(crew.base_id))}</td>"
            f"<td>{escape(PROJECT_LABEL.get(crew.project, crew.project))}<br>"
            f"<span class='muted'>{escape(crew.crew_id)}</span></td>"
            f"<td>{_route(crew, view)}</td><td class='notes'></td></tr>"
        )
    # officers roam across districts: a hotspot visited by another district's crew is not unpatrolled; a visit
    # counts on the day it is made (a night crew's 01:00 stop is the next day's, as the presence cap counts it)
    district_spots = [h for h in view.hotspots if h.district == code]
    here = {h.hotspot_id for h in district_spots}
    todays = [(c, v) for c in view.crews for v in c.visits if v.arrive.date() == day]
    visited = {v.row.hotspot_id for _c, v in todays}
    from_elsewhere = sorted(
        {(v.row.hotspot_id, c.district) for c, v in todays if c.district != code and v.row.hotspot_id in here}
    )
    missed = [h for h in district_spots if h.hotspot_id not in visited]
    missed_text = (
        "Hotspots with no visit from any crew on this day: " + ", ".join(escape(h.name) for h in missed)
        if missed
        else "Every hotspot in the district has a visit on this day."
    )
    if from_elsewhere:
        names = {h.hotspot_id: h.name for h in district_spots}
        missed_text += " Visited by crews of other districts: " + "; ".join(
            f"{escape(names[spot])} ({escape(view.district_name(district))})" for spot, district in from_elsewhere
        )
    visits = sum(len(c.visits) for c in crews)
    return (
        f"<section class='day' id='{_anchor(code, day)}'>"
        f"<h2>{escape(view.district_name(code))}: {escape(long_day_label(day))}</h2>"
        f"<p class='meta'>{len(crews)} crew(s), {visits} visit(s). {missed_text}</p>"
        f"<p class='meta muted'>Times are local; (+1) marks the next day. Travel minutes: "
        f"{escape(str(view.summary.get('travel_model') or 'as planned'))}. Hotspot locations: last page.</p>"
        "<table class='roster'><thead><tr><th>People</th><th>Shift</th><th>Break</th><th>Base</th>"
        "<th>Project / crew</th><th>Route (arrive-depart, hotspot)</th><th>Notes</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _locations(view: PlanView) -> str:
    """The last page: where each hotspot is, by district (its point as latitude, longitude).

    Why: routes name hotspots as police.uk names streets ("Supermarket", "Parking Area"); a crew working
    from the printout alone needs the point to find it, as the map gives it on screen.
    """
    rows = "".join(
        f"<tr><td>{escape(view.district_name(h.district))}</td><td>{escape(h.hotspot_id)}</td>"
        f"<td>{escape(h.name)}</td><td>{escape(PROJECT_LABEL.get(h.project, h.project))}</td>"
        f"<td class='time'>{h.lat:.5f}, {h.lon:.5f}</td></tr>"
        for h in sorted(view.hotspots, key=lambda h: (view.district_name(h.district), h.hotspot_id))
    )
    return (
        "<section class='locations' id='hotspot-locations'><h2>Hotspot locations</h2>"
        "<table class='roster'><thead><tr><th>District</th><th>Hotspot</th><th>Name</th><th>Project</th>"
        f"<th>Latitude, longitude</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def write_printable(view: PlanView, path: Path) -> Path:
    """Write ``roster.html``: a cover (week, status, costs, contents) then one section per district and day.

    Each section starts a new printed page (print CSS ``break-before: page``); table headers repeat
    on every page and a crew's row is never split across pages.

    Returns
    -------
    Path
        ``path``.
    """
    sections: dict[tuple[str, date], list[CrewView]] = defaultdict(list)
    for crew in view.crews:
        sections[(crew.district, crew.day)].append(crew)
    codes = list(view.district_names) + sorted({code for code, _ in sections} - set(view.district_names))
    body = [_cover(view, sections)]
    for code in codes:
        for day in view.days:
            crews = sections.get((code, day))
            if crews:
                body.append(_section(code, day, crews, view))
    if not view.crews:
        body.append(f"<p><strong>No shifts in this plan</strong> (status {escape(view.status)}).</p>")
    else:
        body.append(_locations(view))
    title = f"Patrol roster, week of {day_label(view.week_start)}"
    html = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "<footer>Written by patrol from the plan folder (roster.csv, visits.csv, summary.json); "
        "the plan files are the record.</footer></body></html>\n"
    )
    path.write_text(html, encoding="utf-8")
    return path
