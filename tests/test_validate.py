"""Tests of the plan validator (optimiser/validate.py) on the hand-made fixture in tests/data/validate/.

The fixture (README there): 1 patrolled district, 3 hotspots (H-A asb, H-J joint, H-S sv), a warden base
and a police station, 2 wardens, 4 officers, 2 PCSOs; 9 shifts in 6 crews (11 roster rows) and 16 visits
on Monday 26 August 2024 (a bank holiday) and Tuesday 27 August. It is valid; its summary holds
harm-weighted dosage 246.75, soft terms 25.5 + 0.7 + 0.5 + 0, objective 220.05, costs grant-asb 900.00,
grant-sv 689.47, force 200.00.

Each mutation in the table breaks exactly one rule of docs/plan-rules.md (the summary is recomputed
after it, so the summary rule holds unless it is the target): the table test asserts that rule and only
it is reported; the hypothesis test draws mutations with random targets and parameters and asserts the
rule is among those reported.
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser.errors import DataError
from optimiser.plan import Plan, RosterRow, VisitRow, read_plan, write_plan
from optimiser.scenario import Scenario, load_scenario
from optimiser.validate import (
    RULES,
    Violation,
    check,
    check_folder,
    format_report,
    recompute_summary,
    reprice,
    update_summary,
    visit_values,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "validate" / "plan"
WEEK = date(2024, 8, 26)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# --------------------------------------------------------------------------------------------------
# fixture helpers
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _loaded() -> tuple[Plan, dict[str, Any]]:
    plan = read_plan(FIXTURE)
    data = load_scenario(FIXTURE / "scenario.resolved.yaml").resolved
    return plan, data


def base() -> tuple[Plan, dict[str, Any]]:
    """A fresh copy of the valid fixture: the plan and its resolved scenario as a dict."""
    plan, data = _loaded()
    return copy.deepcopy(plan), copy.deepcopy(data)


def scenario_of(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data)


def finish(plan: Plan, data: dict[str, Any]) -> tuple[Plan, Scenario]:
    """Record the (possibly mutated) scenario in the plan and recompute its summary figures."""
    scenario = scenario_of(data)
    plan = replace(plan, scenario_yaml=yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True))
    plan.summary = {**plan.summary, **recompute_summary(plan, scenario, WEEK)}
    return plan, scenario


def rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def priced(plan: Plan, data: dict[str, Any]) -> Plan:
    """The plan with every row's pay and cost as the rules give (so only the targeted rule breaks)."""
    return reprice(plan, scenario_of(data), WEEK)


def visit(plan: Plan, visit_id: str) -> VisitRow:
    return next(v for v in plan.visits if v.visit_id == visit_id)


def crew_visits(plan: Plan, crew_id: str) -> list[VisitRow]:
    return sorted((v for v in plan.visits if v.crew_id == crew_id), key=lambda v: v.arrive)


def edit_visit(plan: Plan, visit_id: str, **changes: Any) -> Plan:
    visits = [replace(v, **changes) if v.visit_id == visit_id else v for v in plan.visits]
    return replace(plan, visits=visits)


def move_visit(plan: Plan, visit_id: str, minutes: int, *, dwell: int | None = None) -> Plan:
    """Move a visit by ``minutes`` (keeping its dwell unless ``dwell`` is given)."""
    row = visit(plan, visit_id)
    arrive = row.arrive + timedelta(minutes=minutes)
    stay = row.dwell_minutes if dwell is None else dwell
    return edit_visit(plan, visit_id, arrive=arrive, depart=arrive + timedelta(minutes=stay), dwell_minutes=stay)


def edit_rows(plan: Plan, match: Callable[[RosterRow], bool], **changes: Any) -> Plan:
    return replace(plan, roster=[replace(r, **changes) if match(r) else r for r in plan.roster])


def move_crew(plan: Plan, crew_id: str, minutes: int) -> Plan:
    """Move a crew's shifts (rows, break) and visits by ``minutes``."""
    delta = timedelta(minutes=minutes)
    roster = [
        replace(
            r,
            shift_start=r.shift_start + delta,
            shift_end=r.shift_end + delta,
            break_start=r.break_start + delta if r.break_start else None,
        )
        if r.crew_id == crew_id
        else r
        for r in plan.roster
    ]
    visits = [
        replace(v, arrive=v.arrive + delta, depart=v.depart + delta) if v.crew_id == crew_id else v for v in plan.visits
    ]
    return replace(plan, roster=roster, visits=visits)


def extend_shift_end(plan: Plan, shift_ids: set[str], minutes: int) -> Plan:
    """Move the end of the last row of each shift by ``minutes``."""
    roster = list(plan.roster)
    for shift_id in shift_ids:
        index = max((i for i, r in enumerate(roster) if r.shift_id == shift_id), key=lambda i: roster[i].shift_end)
        roster[index] = replace(roster[index], shift_end=roster[index].shift_end + timedelta(minutes=minutes))
    return replace(plan, roster=roster)


def person(data: dict[str, Any], kind: str, staff_id: str) -> dict[str, Any]:
    return next(p for p in data["staff"][kind] if p.get("id") == staff_id)


def set_role_rules(data: dict[str, Any], role: str, **changes: Any) -> dict[str, Any]:
    rules = dict(data.get("working_time_by_role", {}).get(role) or data["working_time"])
    rules.update(changes)
    data.setdefault("working_time_by_role", {})[role] = rules
    return data


PLAN0, DATA0 = _loaded()
SHIFT_IDS = sorted({r.shift_id for r in PLAN0.roster})
ROLE_OF_SHIFT = {r.shift_id: r.role for r in PLAN0.roster}
VISIT_IDS = [v.visit_id for v in PLAN0.visits]
CREWS_WITH_VISITS = sorted({v.crew_id for v in PLAN0.visits})
FIGURES = [
    ("harm_weighted_dosage", None),
    ("objective", None),
    *[("soft_terms", k) for k in ("visit_shortfall", "hours_spread", "nights_spread", "weekends_spread")],
    *[("visits_by_hotspot", h) for h in ("H-A", "H-J", "H-S")],
    *[("dosage_minutes_by_hotspot", h) for h in ("H-A", "H-J", "H-S")],
    *[("cost_gbp", k) for k in ("grant-asb", "grant-sv", "force")],
    *[("budget_gbp", k) for k in ("asb", "sv")],
]


# --------------------------------------------------------------------------------------------------
# the mutation table: each entry breaks one rule
# --------------------------------------------------------------------------------------------------

Mutate = Callable[[Plan, dict[str, Any], Any], tuple[Plan, dict[str, Any]]]


@dataclass(frozen=True)
class Mutation:
    """A way to break ``rule``: ``apply(plan, data, params)``; ``example`` for the table, ``params`` for hypothesis."""

    name: str
    rule: str
    apply: Mutate
    example: Any
    params: st.SearchStrategy[Any]

    def build(self, params: Any) -> tuple[Plan, Scenario]:
        plan, data = base()
        plan, data = self.apply(plan, data, params)
        return finish(plan, data)


def _row_role(plan: Plan, data: dict[str, Any], p: tuple[str, str]) -> tuple[Plan, dict[str, Any]]:
    shift_id, role = p
    return edit_rows(plan, lambda r: r.shift_id == shift_id, role=role), data


def _unknown_staff(plan: Plan, data: dict[str, Any], p: tuple[str, str]) -> tuple[Plan, dict[str, Any]]:
    staff_id, new_id = p
    return edit_rows(plan, lambda r: r.staff_id == staff_id, staff_id=new_id), data


def _rows_gap(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """O-1's second row (after midnight) starts ``minutes`` late: the rows are not contiguous."""
    late = datetime.fromisoformat("2024-08-27T00:00+01:00")
    plan = edit_rows(
        plan,
        lambda r: r.shift_id == "S-O1-MON" and r.shift_start == late,
        shift_start=late + timedelta(minutes=minutes),
    )
    return priced(plan, data), data


def _outside_week(plan: Plan, data: dict[str, Any], weeks: int) -> tuple[Plan, dict[str, Any]]:
    return move_crew(plan, "C-O-TUE", weeks * 7 * 1440), data


def _harm_in_csv(plan: Plan, data: dict[str, Any], p: tuple[str, float]) -> tuple[Plan, dict[str, Any]]:
    hotspot_id, factor = p
    hotspots = [
        replace(h, harm_weight=h.harm_weight * factor) if h.hotspot_id == hotspot_id else h for h in plan.hotspots
    ]
    return replace(plan, hotspots=hotspots), data


def _drop_hotspot_row(plan: Plan, data: dict[str, Any], hotspot_id: str) -> tuple[Plan, dict[str, Any]]:
    return replace(plan, hotspots=[h for h in plan.hotspots if h.hotspot_id != hotspot_id]), data


def _ghost_crew(plan: Plan, data: dict[str, Any], crew_id: str) -> tuple[Plan, dict[str, Any]]:
    last = crew_visits(plan, crew_id)[-1]
    return edit_visit(plan, last.visit_id, crew_id="C-GHOST"), data


def _late_last_visit(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    """The crew's last visit departs ``over`` minutes after the shift ends."""
    crew_id, over = p
    last = crew_visits(plan, crew_id)[-1]
    end = max(r.shift_end for r in plan.roster if r.crew_id == crew_id)
    minutes = int((end - last.depart).total_seconds() // 60) + over
    return move_visit(plan, last.visit_id, minutes), data


def _into_break(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """V04 (W-01, H-J 16:45) moved ``minutes`` later, into W-01's 17:30-17:50 break (31..64 overlap it)."""
    return move_visit(plan, "V04", minutes), data


def _overlap_previous(plan: Plan, data: dict[str, Any], p: tuple[str, int, float]) -> tuple[Plan, dict[str, Any]]:
    """Visit ``index`` (>= 1) of a crew arrives inside the previous visit (a fraction through it)."""
    crew_id, index, fraction = p
    visits = crew_visits(plan, crew_id)
    index = 1 + index % (len(visits) - 1)
    previous, target = visits[index - 1], visits[index]
    stay = int((previous.depart - previous.arrive).total_seconds() // 60)
    arrive = previous.arrive + timedelta(minutes=1 + int(fraction * (stay - 2)))
    return move_visit(plan, target.visit_id, int((arrive - target.arrive).total_seconds() // 60)), data


def _duplicate_crew(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    """A copy of a crew's shifts (new crew and shift ids, no visits), ``offset`` minutes later: people booked twice."""
    crew_id, offset = p
    delta = timedelta(minutes=offset)
    copies = [
        replace(
            r,
            shift_id=r.shift_id + "-DUP",
            crew_id=crew_id + "-DUP",
            shift_start=r.shift_start + delta,
            shift_end=r.shift_end + delta,
            break_start=r.break_start + delta if r.break_start else None,
        )
        for r in plan.roster
        if r.crew_id == crew_id
    ]
    return priced(replace(plan, roster=plan.roster + copies), data), data


def _early_first_visit(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    """The crew's first visit arrives ``early`` minutes after the shift starts (a leg takes longer)."""
    crew_id, early = p
    first = crew_visits(plan, crew_id)[0]
    start = min(r.shift_start for r in plan.roster if r.crew_id == crew_id)
    leg = first.travel_minutes_from_prev
    arrive = start + timedelta(minutes=min(early, leg - 1))
    return move_visit(plan, first.visit_id, int((arrive - first.arrive).total_seconds() // 60)), data


def _late_return(plan: Plan, data: dict[str, Any], short: int) -> tuple[Plan, dict[str, Any]]:
    """V08 (W-01's last, H-A) departs so the 9-min walk back misses the 22:00 end by ``short`` minutes (1..9)."""
    return move_visit(plan, "V08", 65 - 9 + short), data


def _leg_too_fast(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """V13 (W-02 Tue, H-A -> H-J, a 7-min walk) arrives ``minutes`` (0..6) after V12 departs at 14:45."""
    return move_visit(plan, "V13", -75 + minutes), data


def _travel_field(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    visit_id, delta = p
    row = visit(plan, visit_id)
    return edit_visit(plan, visit_id, travel_minutes_from_prev=max(0, row.travel_minutes_from_prev + delta)), data


def _prev_location(plan: Plan, data: dict[str, Any], p: tuple[str, str]) -> tuple[Plan, dict[str, Any]]:
    visit_id, location = p
    return edit_visit(plan, visit_id, prev_location=location), data


def _dwell_field(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    visit_id, minutes = p
    return edit_visit(plan, visit_id, dwell_minutes=minutes), data


def _dwell_out_of_bounds(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    visit_id, minutes = p
    return move_visit(plan, visit_id, 0, dwell=minutes), data


def _revisit_soon(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """V13 (W-02 Tue, H-J 16:00) moved ``minutes`` later (31..210): under 120 min before or after V15 at 18:30."""
    return move_visit(plan, "V13", minutes), data


def _revisit_gap_raised(plan: Plan, data: dict[str, Any], gap: int) -> tuple[Plan, dict[str, Any]]:
    data["projects"]["asb"]["dosage"]["revisit_gap_minutes"] = gap
    return plan, data


def _longer_joint_visit(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    """One H-J visit of a day at the 45-min joint cap lasts ``extra`` (1..5) minutes longer."""
    visit_id, extra = p
    row = visit(plan, visit_id)
    return move_visit(plan, visit_id, 0, dwell=row.dwell_minutes + extra), data


def _warden_moves_district(plan: Plan, data: dict[str, Any], warden_id: str) -> tuple[Plan, dict[str, Any]]:
    person(data, "wardens", warden_id)["district"] = "D2"
    return edit_rows(plan, lambda r: r.staff_id == warden_id, district="D2"), data


def _hotspot_becomes_asb(plan: Plan, data: dict[str, Any], _: Any) -> tuple[Plan, dict[str, Any]]:
    next(h for h in data["hotspots"] if h["id"] == "H-S")["project"] = "asb"
    hotspots = [replace(h, project="asb") if h.hotspot_id == "H-S" else h for h in plan.hotspots]
    return replace(plan, hotspots=hotspots), data


def _sv_roles_officers_only(plan: Plan, data: dict[str, Any], _: Any) -> tuple[Plan, dict[str, Any]]:
    data["projects"]["sv"]["roles"] = ["officer"]
    return plan, data


def _split_crew(plan: Plan, data: dict[str, Any], crew_id: str) -> tuple[Plan, dict[str, Any]]:
    """The second member of a two-person crew gets a crew of their own."""
    second = sorted({r.staff_id for r in plan.roster if r.crew_id == crew_id})[1]
    plan = edit_rows(plan, lambda r: r.crew_id == crew_id and r.staff_id == second, crew_id=crew_id + "-B")
    return plan, data


def _member_stays_longer(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """O-4 stays ``minutes`` (1..60) after O-3: the crew's members no longer share shift times."""
    return priced(extend_shift_end(plan, {"S-O4-TUE"}, minutes), data), data


def _crewing_single(plan: Plan, data: dict[str, Any], _: Any) -> tuple[Plan, dict[str, Any]]:
    data["sv_crewing"] = "single"
    return plan, data


def _shift_on_other_day(plan: Plan, data: dict[str, Any], p: tuple[str, int]) -> tuple[Plan, dict[str, Any]]:
    """A warden's shift moves whole days later, out of the contract (W-01 after Tuesday) or onto leave."""
    crew_id, days = p
    return move_crew(plan, crew_id, days * 1440), data


def _extra_leave(plan: Plan, data: dict[str, Any], day: int) -> tuple[Plan, dict[str, Any]]:
    """W-02 gets leave on a day without a shift (Thursday..Sunday): 12 h worked but 9 h due."""
    person(data, "wardens", "W-02")["leave"].append((WEEK + timedelta(days=day)).isoformat())
    return plan, data


def _warden_leaves_early(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """W-02's Tuesday shift ends ``minutes`` (1..210) early: fewer than the 12 contracted hours."""
    return priced(extend_shift_end(plan, {"S-W02-TUE"}, -minutes), data), data


def _duty_runs_late(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """O-4's Tuesday duty (10:00-18:00) ends ``minutes`` later, into the 18:00 overtime."""
    duty = person(data, "officers", "O-4")["duty"][0]
    assert duty["day"] == "tue"
    end = datetime(2024, 1, 1, 18, 0) + timedelta(minutes=minutes)
    duty["end"] = end.strftime("%H:%M")
    return plan, data


def _pcso_duty_shorter(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """The PCSOs' Monday duty (17:00-23:00) ends ``minutes`` (61..300) earlier, before their 22:00 shift end."""
    duty = data["staff"]["pcsos"][0]["duty"][0]
    assert duty["day"] == "mon"
    duty["end"] = (datetime(2024, 1, 1, 23, 0) - timedelta(minutes=minutes)).strftime("%H:%M")
    return plan, data


def _overtime_starts_early(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """Crew C-O-TUE starts ``minutes`` (1..60) before 18:00, inside O-4's duty."""
    delta = timedelta(minutes=minutes)
    plan = edit_rows(
        plan, lambda r: r.crew_id == "C-O-TUE", shift_start=datetime.fromisoformat("2024-08-27T18:00+01:00") - delta
    )
    return priced(plan, data), data


def _short_rest(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """W-02's Tuesday shift (and visits) moves ``minutes`` (421..780) earlier: under 11 h after Monday 20:00."""
    return move_crew(plan, "C-W02-TUE", -minutes), data


def _rest_after_duty_before_week(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """O-1 gets a Sunday night duty (23:00 to Monday 08:00 + ``minutes``, 1..600): the one starting the day
    before the week ends under 11 h before O-1's Monday 19:00 overtime (the week's own Sunday duty has no
    roster shift near it)."""
    end = datetime(2024, 1, 1, 8, 0) + timedelta(minutes=minutes)
    person(data, "officers", "O-1")["duty"].append({"day": "sun", "start": "23:00", "end": end.strftime("%H:%M")})
    return plan, data


def _rest_before_duty_after_week(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """Crew C-O-TUE (O-3, O-4) moves to Sunday 18:00-21:00 and O-3's Sunday duty to Monday, starting at
    08:00 less ``minutes`` (1..480): under 11 h after the overtime, on the Monday after the week."""
    plan = priced(move_crew(plan, "C-O-TUE", 5 * 1440), data)
    o3 = person(data, "officers", "O-3")
    start = datetime(2024, 1, 1, 8, 0) - timedelta(minutes=minutes)
    o3["duty"] = [d for d in o3["duty"] if d["day"] != "sun"]
    o3["duty"].append({"day": "mon", "start": start.strftime("%H:%M"), "end": "14:00"})
    return priced(plan, data), data


def _weekly_rest_raised(plan: Plan, data: dict[str, Any], hours: int) -> tuple[Plan, dict[str, Any]]:
    """Officers need ``hours`` (44..60) of weekly rest; O-1 gets 43 h at most."""
    return plan, set_role_rules(data, "officer", weekly_rest_hours=hours)


def _weekly_hours_lowered(plan: Plan, data: dict[str, Any], hours: float) -> tuple[Plan, dict[str, Any]]:
    """Officers may work ``hours`` (< 38) a week; O-4 works 41.33 h (see the duty-break test)."""
    return plan, set_role_rules(data, "officer", max_weekly_hours=hours)


def _overtime_runs_long(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """Crew C-O-TUE ends ``minutes`` (61..119) after 21:00: O-4's duty plus overtime exceeds 12 h."""
    return priced(extend_shift_end(plan, {"S-O3-TUE", "S-O4-TUE"}, minutes), data), data


def _shift_length_lowered(plan: Plan, data: dict[str, Any], hours: float) -> tuple[Plan, dict[str, Any]]:
    """Officers may work ``hours`` (< 12) in one go; O-2 works 13:00-01:00."""
    return plan, set_role_rules(data, "officer", max_shift_hours=hours)


def _short_break(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """W-01's 8 h 20 min shift gets a ``minutes`` (0..19) break and ends earlier by the difference (still 8 h paid)."""
    plan = edit_rows(
        plan,
        lambda r: r.shift_id == "S-W01-MON",
        break_minutes=minutes,
        break_start=datetime.fromisoformat("2024-08-26T17:30+01:00") if minutes else None,
    )
    return extend_shift_end(plan, {"S-W01-MON"}, -(20 - minutes)), data


def _break_edge_raised(plan: Plan, data: dict[str, Any], minutes: int) -> tuple[Plan, dict[str, Any]]:
    """Wardens' breaks must be ``minutes`` (231..240) from either end: W-01's 17:30 break is 230 min in."""
    return plan, set_role_rules(data, "warden", break_edge_minutes=minutes)


def _consecutive_lowered(plan: Plan, data: dict[str, Any], days: int) -> tuple[Plan, dict[str, Any]]:
    """Officers may work ``days`` (1..4) in a row; O-4 works Tuesday (overtime and duty) to Saturday."""
    return plan, set_role_rules(data, "officer", max_consecutive_days=days)


def _multiplier(plan: Plan, data: dict[str, Any], p: tuple[int, float]) -> tuple[Plan, dict[str, Any]]:
    index, multiplier = p
    roster = list(plan.roster)
    row = roster[index % len(roster)]
    if abs(row.pay_multiplier - multiplier) < 1e-9:
        multiplier = 1.0 if multiplier != 1.0 else 2.0
    roster[index % len(roster)] = replace(row, pay_multiplier=multiplier)
    return replace(plan, roster=roster), data


def _paid_hours(plan: Plan, data: dict[str, Any], p: tuple[int, float]) -> tuple[Plan, dict[str, Any]]:
    index, delta = p
    roster = list(plan.roster)
    row = roster[index % len(roster)]
    roster[index % len(roster)] = replace(row, paid_hours=round(row.paid_hours + delta, 6))
    return replace(plan, roster=roster), data


def _merge_holiday_rows(plan: Plan, data: dict[str, Any], shift_id: str) -> tuple[Plan, dict[str, Any]]:
    """The two rows of an overnight shift from the bank holiday merged into one (it spans the midnight rate change)."""
    rows = sorted((r for r in plan.roster if r.shift_id == shift_id), key=lambda r: r.shift_start)
    merged = replace(rows[0], shift_end=rows[-1].shift_end)
    roster = [r for r in plan.roster if r.shift_id != shift_id] + [merged]
    return priced(replace(plan, roster=roster), data), data


def _cost(plan: Plan, data: dict[str, Any], p: tuple[int, float]) -> tuple[Plan, dict[str, Any]]:
    index, delta = p
    roster = list(plan.roster)
    row = roster[index % len(roster)]
    roster[index % len(roster)] = replace(row, cost_gbp=round(row.cost_gbp + delta, 2))
    return replace(plan, roster=roster), data


def _funding(plan: Plan, data: dict[str, Any], p: tuple[int, str]) -> tuple[Plan, dict[str, Any]]:
    index, funding = p
    roster = list(plan.roster)
    row = roster[index % len(roster)]
    if row.funding == funding:
        funding = "grant-sv" if funding != "grant-sv" else "force"
    roster[index % len(roster)] = replace(row, funding=funding)
    return replace(plan, roster=roster), data


def _budget(plan: Plan, data: dict[str, Any], p: tuple[str, float]) -> tuple[Plan, dict[str, Any]]:
    """A project's weekly budget cut to ``share`` of what the plan spends (ASB 900.00 committed, SV 689.47)."""
    project, share = p
    spent = {"asb": 900.0, "sv": 689.47}[project]
    data["projects"][project]["weekly_budget_gbp"] = round(spent * share, 2)
    return plan, data


def _summary_figure(plan: Plan, data: dict[str, Any], p: tuple[int, float]) -> tuple[Plan, dict[str, Any]]:
    """One summary figure off by ``delta``: applied after the recomputation, see ``Mutation.build``."""
    return plan, data


def _bound_below(plan: Plan, data: dict[str, Any], p: float) -> tuple[Plan, dict[str, Any]]:
    return plan, data


class _SummaryMutation(Mutation):
    """Mutations of the summary itself happen after the figures are recomputed."""

    def build(self, params: Any) -> tuple[Plan, Scenario]:
        plan, data = base()
        plan, scenario = finish(plan, data)
        summary = copy.deepcopy(plan.summary)
        if self.name == "summary-figure":
            index, delta = params
            key, sub = FIGURES[index % len(FIGURES)]
            if sub is None:
                summary[key] = summary[key] + delta
            else:
                summary[key][sub] = summary[key][sub] + delta
        elif self.name == "summary-bound":
            summary["best_bound"] = summary["objective"] - params
            summary["gap"] = (summary["best_bound"] - summary["objective"]) / summary["best_bound"]
        elif self.name == "summary-gap":
            summary["best_bound"] = summary["objective"] + 10
            summary["gap"] = 10 / summary["best_bound"] + params
        elif self.name == "summary-labels":
            key, value = params
            summary[key] = value
        plan.summary = summary
        return plan, scenario


def _signed(low: float, high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.floats(low, high), st.floats(-high, -low))


MUTATIONS: list[Mutation] = [
    Mutation(
        "row-role", "roster", _row_role, ("S-O1-MON", "warden"),
        st.tuples(st.sampled_from(SHIFT_IDS), st.sampled_from(["warden", "officer", "pcso", "sergeant"])).filter(
            lambda p: ROLE_OF_SHIFT[p[0]] != p[1]
        ),
    ),
    Mutation(
        "unknown-staff", "roster", _unknown_staff, ("O-4", "O-9"),
        st.tuples(st.sampled_from(["O-1", "O-2", "O-3", "O-4", "PCSO-01", "PCSO-02"]), st.sampled_from(["X", "O-9"])),
    ),
    Mutation("rows-not-contiguous", "roster", _rows_gap, 10, st.integers(1, 59)),
    Mutation("shift-outside-week", "roster", _outside_week, 1, st.sampled_from([-2, -1, 1, 2])),
    Mutation(
        "hotspot-harm-in-csv", "hotspots", _harm_in_csv, ("H-J", 2.0),
        st.tuples(st.sampled_from(["H-A", "H-J", "H-S"]), st.sampled_from([0.5, 1.1, 2.0, 10.0])),
    ),
    Mutation("hotspot-row-missing", "hotspots", _drop_hotspot_row, "H-S", st.sampled_from(["H-A", "H-J", "H-S"])),
    Mutation("visit-of-unknown-crew", "visit-in-shift", _ghost_crew, "C-W01-MON", st.sampled_from(CREWS_WITH_VISITS)),
    Mutation(
        "visit-after-shift", "visit-in-shift", _late_last_visit, ("C-W01-MON", 5),
        st.tuples(st.sampled_from(CREWS_WITH_VISITS), st.integers(1, 30)),
    ),
    Mutation("visit-in-break", "visit-in-break", _into_break, 40, st.integers(31, 64)),
    Mutation(
        "visits-overlap", "crew-overlap", _overlap_previous, ("C-W02-TUE", 0, 0.5),
        st.tuples(
            st.sampled_from(["C-W01-MON", "C-W02-MON", "C-W02-TUE", "C-P-MON", "C-O-MON", "C-O-TUE"]),
            st.integers(0, 5),
            st.floats(0, 1),
        ),
    ),
    Mutation(
        "person-twice", "double-booking", _duplicate_crew, ("C-P-MON", 0),
        st.tuples(st.sampled_from(["C-W01-MON", "C-W02-TUE", "C-P-MON", "C-O-MON", "C-O-TUE"]), st.integers(-120, 120)),
    ),
    Mutation(
        "first-leg-too-short", "base-legs", _early_first_visit, ("C-W01-MON", 3),
        st.tuples(st.sampled_from(CREWS_WITH_VISITS), st.integers(0, 8)),
    ),
    Mutation("last-leg-too-short", "base-legs", _late_return, 4, st.integers(1, 9)),
    Mutation("leg-too-fast", "travel", _leg_too_fast, 3, st.integers(0, 6)),
    Mutation(
        "travel-minutes-field", "travel", _travel_field, ("V04", 1),
        st.tuples(st.sampled_from(VISIT_IDS), st.sampled_from([-3, -1, 1, 2, 10])).filter(
            lambda p: visit(PLAN0, p[0]).travel_minutes_from_prev + p[1] >= 0
        ),
    ),
    Mutation(
        "prev-location-field", "travel", _prev_location, ("V06", "H-A"),
        st.tuples(st.sampled_from(VISIT_IDS), st.sampled_from(["H-A", "H-J", "H-S", "B-W", "B-P"])).filter(
            lambda p: visit(PLAN0, p[0]).prev_location != p[1]
        ),
    ),
    Mutation(
        "dwell-field", "dwell", _dwell_field, ("V01", 12),
        st.tuples(st.sampled_from(VISIT_IDS), st.integers(10, 20)).filter(
            lambda p: visit(PLAN0, p[0]).dwell_minutes != p[1]
        ),
    ),
    Mutation(
        "dwell-too-short", "dwell", _dwell_out_of_bounds, ("V07", 5),
        st.tuples(st.sampled_from(VISIT_IDS), st.integers(1, 9)),
    ),
    Mutation(
        "dwell-too-long", "dwell", _dwell_out_of_bounds, ("V12", 23),
        st.tuples(st.sampled_from(["V01", "V12", "V02"]), st.integers(21, 25)),
    ),
    Mutation("revisit-too-soon", "revisit-gap", _revisit_soon, 60, st.integers(31, 210)),
    Mutation("revisit-gap-raised", "revisit-gap", _revisit_gap_raised, 150, st.integers(146, 600)),
    Mutation(
        "presence-over-cap", "presence-cap", _longer_joint_visit, ("V15", 3),
        st.tuples(st.sampled_from(["V02", "V04", "V09", "V11", "V13", "V15"]), st.integers(1, 5)),
    ),
    Mutation(
        "warden-other-district", "eligibility", _warden_moves_district, "W-01", st.sampled_from(["W-01", "W-02"])
    ),
    Mutation("sv-hotspot-becomes-asb", "eligibility", _hotspot_becomes_asb, None, st.none()),
    Mutation("pcso-not-in-sv-roles", "eligibility", _sv_roles_officers_only, None, st.none()),
    Mutation("crew-split", "crewing", _split_crew, "C-O-TUE", st.sampled_from(["C-P-MON", "C-O-MON", "C-O-TUE"])),
    Mutation("member-stays-longer", "crewing", _member_stays_longer, 30, st.integers(1, 60)),
    Mutation("single-crewing", "crewing", _crewing_single, None, st.none()),
    Mutation(
        "warden-outside-contract", "contract", _shift_on_other_day, ("C-W01-MON", 3),
        st.one_of(
            st.tuples(st.just("C-W01-MON"), st.integers(2, 6)),
            st.tuples(st.just("C-W02-TUE"), st.just(1)),
        ),
    ),
    Mutation("extra-leave", "contracted-hours", _extra_leave, 3, st.integers(3, 6)),
    Mutation("warden-leaves-early", "contracted-hours", _warden_leaves_early, 60, st.integers(1, 210)),
    Mutation("duty-runs-into-overtime", "duty-overlap", _duty_runs_late, 30, st.integers(1, 180)),
    Mutation("pcso-outside-duty", "duty-overlap", _pcso_duty_shorter, 90, st.integers(61, 300)),
    Mutation("overtime-starts-in-duty", "duty-overlap", _overtime_starts_early, 30, st.integers(1, 60)),
    Mutation("rest-too-short", "daily-rest", _short_rest, 480, st.integers(421, 780)),
    Mutation("rest-after-duty-before-week", "daily-rest", _rest_after_duty_before_week, 60, st.integers(1, 600)),
    Mutation("rest-before-duty-after-week", "daily-rest", _rest_before_duty_after_week, 60, st.integers(1, 480)),
    Mutation("weekly-rest-raised", "weekly-rest", _weekly_rest_raised, 50, st.integers(44, 60)),
    Mutation("weekly-hours-lowered", "weekly-hours", _weekly_hours_lowered, 37.5, st.floats(20, 37.9)),
    Mutation("overtime-runs-long", "shift-length", _overtime_runs_long, 90, st.integers(61, 119)),
    Mutation("shift-length-lowered", "shift-length", _shift_length_lowered, 11.5, st.floats(6, 11.9)),
    Mutation("break-too-short", "break", _short_break, 0, st.integers(0, 19)),
    Mutation("break-near-shift-end", "break", _break_edge_raised, 235, st.integers(231, 240)),
    Mutation("consecutive-days-lowered", "max-consecutive-days", _consecutive_lowered, 4, st.integers(1, 4)),
    Mutation(
        "pay-multiplier", "pay", _multiplier, (5, 1.5),
        st.tuples(st.integers(0, 10), st.sampled_from([1.0, 1.333, 1.5, 2.0, 3.0])),
    ),
    Mutation("paid-hours", "pay", _paid_hours, (9, -1.0), st.tuples(st.integers(0, 10), _signed(0.01, 3))),
    Mutation(
        "rows-span-holiday-midnight", "pay", _merge_holiday_rows, "S-O1-MON", st.sampled_from(["S-O1-MON", "S-O2-MON"])
    ),
    Mutation("row-cost", "cost", _cost, (7, 0.05), st.tuples(st.integers(0, 10), _signed(0.02, 50))),
    Mutation(
        "row-funding", "cost", _funding, (3, "grant-sv"),
        st.tuples(st.integers(0, 10), st.sampled_from(["grant-asb", "grant-sv", "force", "council"])),
    ),
    Mutation(
        "budget-cut", "budget", _budget, ("sv", 0.9),
        st.tuples(st.sampled_from(["asb", "sv"]), st.floats(0, 0.999)),
    ),
    _SummaryMutation(
        "summary-figure", "summary", _summary_figure, (0, 1.0),
        st.tuples(st.integers(0, len(FIGURES) - 1), st.sampled_from([-5.0, -1.0, 0.5, 1.0, 100.0])),
    ),
    _SummaryMutation("summary-bound", "summary", _bound_below, 1.0, st.floats(0.01, 50)),
    _SummaryMutation("summary-gap", "summary", _bound_below, 0.01, _signed(0.001, 0.5)),
    _SummaryMutation(
        "summary-labels", "summary", _bound_below, ("travel_model", "network"),
        st.sampled_from([("travel_model", "network"), ("status", "done"), ("week_start", "2024-08-19")]),
    ),
]  # fmt: skip


# --------------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------------


def test_fixture_is_valid() -> None:
    plan, data = base()
    violations = check(plan, scenario_of(data))
    assert violations == [], format_report(violations)


def test_fixture_folder_is_valid_and_summary_hand_checked() -> None:
    violations, plan = check_folder(FIXTURE)
    assert violations == []
    scenario = load_scenario(FIXTURE / "scenario.resolved.yaml").scenario
    figures = recompute_summary(plan, scenario, WEEK)
    # the hand computation in tests/data/validate/README.md
    assert figures["harm_weighted_dosage"] == pytest.approx(246.75)
    assert figures["soft_terms"] == pytest.approx(
        {"visit_shortfall": 25.5, "hours_spread": 0.7, "nights_spread": 0.5, "weekends_spread": 0.0}
    )
    assert figures["objective"] == pytest.approx(220.05)
    assert figures["visits_by_hotspot"] == {"H-A": 5, "H-J": 6, "H-S": 5}
    assert figures["dosage_minutes_by_hotspot"] == {"H-A": 75, "H-J": 90, "H-S": 70}
    assert figures["cost_gbp"] == {"grant-asb": 900.0, "grant-sv": 689.47, "force": 200.0}
    assert figures["budget_gbp"] == {"asb": 1000.0, "sv": 800.0}


def test_reprice_reproduces_the_hand_priced_rows() -> None:
    plan, data = base()
    again = reprice(plan, scenario_of(data), WEEK)
    assert [(r.paid_hours, r.pay_multiplier, r.cost_gbp, r.funding) for r in again.roster] == [
        (r.paid_hours, r.pay_multiplier, r.cost_gbp, r.funding) for r in plan.roster
    ]


def test_rules_are_those_of_the_document() -> None:
    text = (ROOT / "docs" / "plan-rules.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.MULTILINE)
    assert tuple(documented) == RULES


def test_every_rule_has_a_mutation() -> None:
    assert {m.rule for m in MUTATIONS} == set(RULES)
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.rule}:{m.name}")
def test_mutation_breaks_exactly_its_rule(mutation: Mutation) -> None:
    plan, scenario = mutation.build(mutation.example)
    violations = check(plan, scenario, week_start=WEEK)
    assert rules_of(violations) == {mutation.rule}, format_report(violations)
    for violation in violations:
        assert violation.message.startswith(f"{violation.rule}: ")


def write_as_planned(plan: Plan, folder: Path) -> Path:
    """Write ``plan`` with the sha of the scenario it carries in its summary, as ``patrol plan`` records it."""
    written = write_plan(plan, folder)
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    summary["scenario_sha256"] = load_scenario(written / "scenario.resolved.yaml").sha256
    (written / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return written


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.rule}:{m.name}")
def test_mutated_folder_fails_check_folder(mutation: Mutation, tmp_path: Path) -> None:
    plan, _ = mutation.build(mutation.example)
    folder = write_as_planned(plan, tmp_path / "plan")
    violations, _ = check_folder(folder)
    assert rules_of(violations) == {mutation.rule}, format_report(violations)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_are_reported_under_their_rule(data: st.DataObject) -> None:
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    params = data.draw(mutation.params, label="params")
    plan, scenario = mutation.build(params)
    violations = check(plan, scenario, week_start=WEEK)
    assert mutation.rule in rules_of(violations), format_report(violations)


def test_reordering_rows_is_harmless() -> None:
    plan, data = base()
    shuffler = random.Random(7)
    for _ in range(5):
        roster, visits, hotspots = list(plan.roster), list(plan.visits), list(plan.hotspots)
        shuffler.shuffle(roster)
        shuffler.shuffle(visits)
        shuffler.shuffle(hotspots)
        shuffled = replace(plan, roster=roster, visits=visits, hotspots=hotspots)
        assert check(shuffled, scenario_of(data)) == []


def test_renaming_ids_is_harmless() -> None:
    plan, data = base()
    renamed = replace(plan, visits=[replace(v, visit_id=f"visit-{i:03d}") for i, v in enumerate(reversed(plan.visits))])
    assert check(renamed, scenario_of(data)) == []
    crews = {c: f"crew{i}" for i, c in enumerate(sorted({r.crew_id for r in plan.roster}))}
    renamed = replace(
        plan,
        roster=[replace(r, crew_id=crews[r.crew_id], shift_id="s-" + r.shift_id) for r in plan.roster],
        visits=[replace(v, crew_id=crews[v.crew_id]) for v in plan.visits],
    )
    assert check(renamed, scenario_of(data)) == []


def test_times_in_another_utc_offset_are_harmless(tmp_path: Path) -> None:
    """The same instants written in UTC (+00:00) instead of BST: nothing changes."""
    plan, data = base()
    utc = replace(
        plan,
        roster=[
            replace(
                r,
                shift_start=r.shift_start.astimezone(UTC),
                shift_end=r.shift_end.astimezone(UTC),
                break_start=r.break_start.astimezone(UTC) if r.break_start else None,
            )
            for r in plan.roster
        ],
        visits=[replace(v, arrive=v.arrive.astimezone(UTC), depart=v.depart.astimezone(UTC)) for v in plan.visits],
    )
    assert check(utc, scenario_of(data)) == []
    violations, _ = check_folder(write_plan(utc, tmp_path / "utc"))
    assert violations == []


def test_messages_name_rule_rows_and_numbers() -> None:
    plan, scenario = next(m for m in MUTATIONS if m.name == "rest-too-short").build(480)
    (violation,) = check(plan, scenario)
    assert violation.rule == "daily-rest"
    # W-02 ends Monday 20:00 and now starts Tuesday 06:00 (14:00 - 8 h): 10 h of rest
    assert violation.message == (
        "daily-rest: W-02 rests 10.0 h between 2024-08-26T20:00+01:00 and 2024-08-27T06:00+01:00 (minimum 11 h)"
    )
    assert set(violation.rows) == {"S-W02-MON", "S-W02-TUE", "W-02"}


def test_format_report() -> None:
    assert format_report([]).startswith("plan is valid")
    plan, scenario = next(m for m in MUTATIONS if m.name == "budget-cut").build(("asb", 0.5))
    report = format_report(check(plan, scenario))
    assert report.splitlines()[0] == "plan breaks 1 rule(s) with 1 violation(s): budget 1"
    assert "ASB weekly budget £450.00 < committed warden contracts £900.00" in report


def test_normal_duty_breaks_count_as_the_planner_counts_them() -> None:
    """O-4: five 8-h duty shifts (10:00-18:00, each over break_after_hours 6 with its unpaid 20 min) and
    3 h of overtime: 40 - 5 x 1/3 + 3 = 41.33 h worked, as the roster model counts it (43 h before: a
    plan the model called legal failed its own check in the week the clocks go back)."""
    plan, data = base()
    plan, data = _weekly_hours_lowered(plan, data, 41.4)
    assert check(*finish(plan, data)) == []
    plan, data = base()
    plan, data = _weekly_hours_lowered(plan, data, 41.3)
    assert [v.message for v in check(*finish(plan, data))] == [
        "weekly-hours: O-4 works 41.33 h in the week, roster and normal duty (maximum 41.3 h)"
    ]


def test_a_part_week_contract_is_paid_up_to_its_pro_rata_hours() -> None:
    """W-01's contract ends on Tuesday: 28 h x 2/7 = 8 h due; whole shifts rarely add up to a pro rata
    figure, so in such a week the paid hours may be short by less than one day's hours (28/5 = 5.6 h).
    Its 8-hour Monday is due exactly; with the contract to Wednesday (12 h due) the same 8 h is legal
    (over 6.4 h); without the Monday (0 h) it is short by a whole day's hours and more."""
    plan, data = base()
    data["staff"]["wardens"][0]["contract_end"] = "2024-08-28"
    assert [v for v in check(*finish(plan, data)) if v.rule == "contracted-hours"] == []
    plan, data = base()
    plan.roster = [r for r in plan.roster if r.shift_id != "S-W01-MON"]
    plan.visits = [v for v in plan.visits if v.crew_id in {r.crew_id for r in plan.roster}]
    messages = [v.message for v in check(*finish(plan, data)) if v.rule == "contracted-hours"]
    assert messages == [
        "contracted-hours: warden W-01 is paid 0.00 h in the week; the contract needs more than 2.40 h and at most "
        "8.00 h (28 h x 2/7 contract days - 0 leave day(s) x 28/5)"
    ]
    # the contract ends on Monday, a day of leave: nothing is due, so the 8 h Monday is over, and 0 h would do
    plan, data = base()
    data["staff"]["wardens"][0]["contract_end"] = "2024-08-26"
    data["staff"]["wardens"][0]["leave"] = ["2024-08-26"]
    messages = [v.message for v in check(*finish(plan, data)) if v.rule == "contracted-hours"]
    assert messages == [
        "contracted-hours: warden W-01 is paid 8.00 h in the week; the contract needs at most 0.00 h "
        "(28 h x 1/7 contract days - 1 leave day(s) x 28/5)"
    ]


def test_summary_missing_is_reported() -> None:
    plan, data = base()
    plan.summary = {}
    assert rules_of(check(plan, scenario_of(data), week_start=WEEK)) == {"summary"}


def test_recompute_summary_works_before_the_summary_exists() -> None:
    plan, data = base()
    expected = recompute_summary(plan, scenario_of(data), WEEK)
    plan.summary = {}
    assert recompute_summary(plan, scenario_of(data), WEEK) == expected


def test_infeasible_plan_without_rows_is_valid() -> None:
    plan, data = base()
    empty = replace(
        plan,
        roster=[],
        visits=[],
        summary={"status": "infeasible", "week_start": WEEK.isoformat(), "explanation": "budget"},
    )
    assert check(empty, scenario_of(data)) == []


def test_week_comes_from_summary_or_argument() -> None:
    plan, data = base()
    scenario = scenario_of(data)
    assert check(plan, scenario) == []
    # checked as the following week, every shift is outside it and the summary names another week
    later = rules_of(check(plan, scenario, week_start=WEEK + timedelta(days=7)))
    assert {"roster", "summary"} <= later


def test_clock_change_durations_are_absolute() -> None:
    """A shift 22:00 BST to 06:00 GMT across the October 2024 change lasts 9 h, not 8 (paid 9 h)."""
    plan, data = base()
    start = datetime.fromisoformat("2024-10-26T22:00+01:00")
    end = datetime.fromisoformat("2024-10-27T06:00+00:00")
    row = replace(plan.roster[3], shift_start=start, shift_end=end)  # a PCSO row, hourly 20.00
    priced_plan = reprice(replace(plan, roster=[row], visits=[]), scenario_of(data), date(2024, 10, 21))
    assert priced_plan.roster[0].paid_hours == pytest.approx(9.0)
    assert priced_plan.roster[0].cost_gbp == pytest.approx(180.0)
    # over 6 h without a break: the break rule fires on the absolute length
    found = check(priced_plan, scenario_of(data), week_start=date(2024, 10, 21))
    assert any(v.rule == "break" and "9.00 h" in v.message for v in found)


def test_check_folder_errors_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        check_folder(tmp_path / "missing")
    plan, _ = base()
    folder = write_plan(plan, tmp_path / "plan")
    (folder / "scenario.resolved.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match="scenario"):
        check_folder(folder)
    folder = write_plan(plan, tmp_path / "plan2")
    (folder / "summary.json").write_text(json.dumps({**plan.summary, "week_start": "next monday"}), encoding="utf-8")
    with pytest.raises(DataError, match="week_start"):
        check_folder(folder)


def _edit_line(path: Path, number: int, edit: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _nan_multiplier(folder: Path) -> None:
    _edit_line(folder / "roster.csv", 2, lambda line: line.replace(",1.0,", ",nan,", 1))


def _year_9999(folder: Path) -> None:
    _edit_line(
        folder / "roster.csv", 2, lambda line: re.sub(r"2024-08-26T(\d\d:\d\d)", "9999-12-31T\\1", line, count=1)
    )


def _huge_break(folder: Path) -> None:
    _edit_line(folder / "roster.csv", 2, lambda line: line.replace(",20,", ",999999999999,", 1))


def _infinite_lat(folder: Path) -> None:
    _edit_line(folder / "hotspots.csv", 3, lambda line: line.replace("54.578094", "inf"))


def _short_row(folder: Path) -> None:
    _edit_line(folder / "roster.csv", 3, lambda line: ",".join(line.split(",")[:5]))


def _long_row(folder: Path) -> None:
    _edit_line(folder / "visits.csv", 4, lambda line: line + ",extra")


def _not_utf8(folder: Path) -> None:
    raw = (folder / "visits.csv").read_bytes()
    (folder / "visits.csv").write_bytes(raw.replace(b"H-A", b"H-\xff", 1))


def _summary_list(folder: Path) -> None:
    (folder / "summary.json").write_text("[1, 2]", encoding="utf-8")


def _roster_folder(folder: Path) -> None:
    (folder / "roster.csv").unlink()
    (folder / "roster.csv").mkdir()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_nan_multiplier, r"roster.csv:2: column pay_multiplier: 'nan' is not a number"),
        (_infinite_lat, r"hotspots.csv:3: column lat: 'inf' is not a number"),
        (_year_9999, r"roster.csv:2: column shift_start: '9999-12-31T.*' is not a plan time \(year 9999\)"),
        (_huge_break, r"roster.csv:2: column break_minutes: '999999999999' is far too large"),
        (_short_row, r"roster.csv:3: no value for column\(s\) base_id, shift_start"),
        (_long_row, r"visits.csv:4: 9 values for 8 columns"),
        (_not_utf8, r"visits.csv: not UTF-8 text"),
        (_summary_list, r"summary.json: holds a JSON list, not an object"),
        (_roster_folder, r"roster.csv: not a file"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_damaged_plan_files_are_data_errors(damage: Callable[[Path], None], message: str, tmp_path: Path) -> None:
    """A file that is not the contract's table names the file, line and column (exit 2), never a traceback."""
    folder = shutil.copytree(FIXTURE, tmp_path / "plan")
    damage(folder)
    with pytest.raises(DataError, match=message):
        check_folder(folder)


def test_a_spreadsheet_byte_order_mark_is_harmless(tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURE, tmp_path / "plan")
    for name in ("roster.csv", "visits.csv", "hotspots.csv"):
        (folder / name).write_bytes(b"\xef\xbb\xbf" + (folder / name).read_bytes())
    violations, _ = check_folder(folder)
    assert violations == []


def test_visit_value_column_and_ids_are_checked() -> None:
    """A written ``value`` must be the contract's; a repeated ``visit_id`` is named (and loses no value)."""
    plan, data = base()
    plan, scenario = finish(plan, data)
    values = visit_values(plan, scenario, WEEK)
    valued = replace(plan, visits=[replace(v, value=round(values[v.visit_id], 6)) for v in plan.visits])
    assert check(valued, scenario) == []
    tampered = edit_visit(valued, "V04", value=999.0)
    found = check(tampered, scenario)
    assert [v.rule for v in found] == ["summary"] and "visit V04's value is 999.0" in found[0].message
    repeated = replace(plan, visits=[replace(v, visit_id="V04") if v.visit_id == "V05" else v for v in plan.visits])
    found = check(repeated, scenario)
    assert rules_of(found) == {"visit-in-shift"}, format_report(found)
    assert "visit_id V04 is used by 2 visits" in found[0].message


def test_summary_figures_must_be_numbers(tmp_path: Path) -> None:
    plan, data = base()
    plan, scenario = finish(plan, data)
    as_text = {**plan.summary, "gap": "8.78%"}
    found = check(replace(plan, summary=as_text), scenario)
    assert [v.message for v in found] == [
        "summary: gap is the text '8.78%', not a number; write a number, or null when unknown"
    ]
    folder = write_plan(plan, tmp_path / "plan")
    text = (folder / "summary.json").read_text(encoding="utf-8")
    (folder / "summary.json").write_text(text.replace('"best_bound": ', '"best_bound": NaN, "was": '), encoding="utf-8")
    with pytest.raises(DataError, match="NaN is not a JSON number"):
        check_folder(folder)


def test_a_repeated_roster_row_is_named() -> None:
    plan, data = base()
    plan = replace(plan, roster=[*plan.roster, plan.roster[0]])
    messages = [v.message for v in check(plan, scenario_of(data)) if v.rule == "roster"]
    assert messages and "rows overlap" in messages[0] and "repeated row" in messages[0]


def test_an_edited_scenario_file_in_the_folder_is_named(tmp_path: Path) -> None:
    """Raising the budget in the folder's own scenario.resolved.yaml must not make a plan pass unnoticed."""
    plan, data = base()
    plan, _ = finish(plan, data)
    folder = write_plan(plan, tmp_path / "plan")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["scenario_sha256"] = load_scenario(folder / "scenario.resolved.yaml").sha256
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert check_folder(folder)[0] == []
    edited = (
        (folder / "scenario.resolved.yaml")
        .read_text(encoding="utf-8")
        .replace("weekly_budget_gbp: 800", "weekly_budget_gbp: 900")
    )
    (folder / "scenario.resolved.yaml").write_text(edited, encoding="utf-8")
    violations, _ = check_folder(folder)
    assert rules_of(violations) == {"summary"} and "edited after planning" in violations[-1].message


def test_check_folder_with_another_scenario(tmp_path: Path) -> None:
    """``--scenario FILE`` judges the plan by another scenario: here one with a smaller SV budget."""
    _, data = base()
    data["projects"]["sv"]["weekly_budget_gbp"] = 600
    other = tmp_path / "tight.yaml"
    other.write_text(yaml.safe_dump(data), encoding="utf-8")
    violations, _ = check_folder(FIXTURE, scenario_path=other)
    # the budget breaks, and the summary's budget figure no longer matches
    assert rules_of(violations) == {"budget", "summary"}


def test_validator_loads_no_solver_code() -> None:
    code = (
        "import sys, optimiser.validate\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('ortools', 'pyvrp') "
        "or m.startswith(('optimiser.roster', 'optimiser.routing'))]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""


def test_patrol_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``patrol check``: 0 on the valid fixture, 1 naming the rule on every mutated one, 2 when unreadable."""
    import cli

    assert cli.main(["check", str(FIXTURE)]) == 0
    assert "plan is valid" in capsys.readouterr().out
    for mutation in MUTATIONS:
        plan, _ = mutation.build(mutation.example)
        folder = write_plan(plan, tmp_path / mutation.name)
        assert cli.main(["check", str(folder)]) == 1, mutation.name
        out = capsys.readouterr().out
        assert f"  {mutation.rule}: " in out, (mutation.name, out)
    assert cli.main(["check", str(tmp_path / "no-such-plan")]) == 2
    assert "not a plan folder" in capsys.readouterr().err


def test_check_update_summary_refreshes_the_figures_of_a_legal_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """V01 cut from 15 to 14 minutes by hand (legal: dwell_min is 10): the check fails on the summary's
    figures only, `--update-summary` recomputes them (and V01's value), and the check passes. A visit
    stretched to 45 minutes breaks a rule: nothing is rewritten. An edited scenario is never accepted."""
    import cli

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    visits = folder / "visits.csv"
    visits.write_text(
        visits.read_text(encoding="utf-8").replace(
            "V01,C-W01-MON,H-A,2024-08-26T14:00+01:00,2024-08-26T14:15+01:00,15,",
            "V01,C-W01-MON,H-A,2024-08-26T14:00+01:00,2024-08-26T14:14+01:00,14,",
        ),
        encoding="utf-8",
    )
    assert cli.main(["check", str(folder)]) == 1
    shown = capsys.readouterr()
    assert "summary:" in shown.out and "--update-summary` recomputes its figures" in shown.err
    assert cli.main(["check", str(folder), "--update-summary"]) == 0
    capsys.readouterr()
    assert cli.main(["check", str(folder)]) == 0
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["edited"] is True and summary["dosage_minutes_by_hotspot"]["H-A"] < 999

    before = (folder / "summary.json").read_bytes()
    stretched = visits.read_text(encoding="utf-8").replace("14:14+01:00,14,", "14:45+01:00,45,")
    visits.write_text(stretched, encoding="utf-8")
    assert cli.main(["check", str(folder), "--update-summary"]) == 1
    assert "dwell" in capsys.readouterr().out
    assert (folder / "summary.json").read_bytes() == before

    shutil.rmtree(folder)
    shutil.copytree(FIXTURE, folder)
    scenario = folder / "scenario.resolved.yaml"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["scenario_sha256"] = load_scenario(scenario).sha256  # as a planned folder records it
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("max_weekly_hours: 48", "max_weekly_hours: 47"))
    assert cli.main(["check", str(folder), "--update-summary"]) == 1
    assert "is not the scenario this plan was made with" in capsys.readouterr().out


def test_a_missing_scenario_sha_or_a_bad_status_is_not_mended_by_update_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without its sha, the folder's scenario could be relaxed (weekly hours 48 -> 50) and any plan pass:
    a missing sha is a violation, and --update-summary writes nothing. A status a recompute does not mend
    once left a summary marked valid while the command said "not updated"."""
    import cli

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    unsigned = {k: v for k, v in summary.items() if k != "scenario_sha256"}
    (folder / "summary.json").write_text(json.dumps(unsigned), encoding="utf-8")
    violations, _ = check_folder(folder)
    assert [v.message for v in violations] == [
        "summary: scenario_sha256 is missing, so scenario.resolved.yaml cannot be shown to be the scenario of the "
        "plan; check against the intended scenario with --scenario FILE"
    ]
    before = (folder / "summary.json").read_bytes()
    assert cli.main(["check", str(folder), "--update-summary"]) == 1
    assert (folder / "summary.json").read_bytes() == before

    (folder / "summary.json").write_text(json.dumps({**summary, "status": "great"}), encoding="utf-8")
    before = (folder / "summary.json").read_bytes()
    assert cli.main(["check", str(folder), "--update-summary"]) == 1
    assert "status 'great'" in capsys.readouterr().out
    assert (folder / "summary.json").read_bytes() == before


def test_no_shift_after_the_grant_period(tmp_path: Path) -> None:
    """The grant period ending on Monday 26 August: the fixture's Tuesday shifts fall after it (the
    programme patrols inside its period), and each is named; Monday's stand."""
    plan, data = base()
    data["period"] = {"start": "2024-04-01", "end": "2024-08-26"}
    broken = sorted(v.message for v in check(*finish(plan, data)) if v.rule == "roster")
    assert broken == [
        f"roster: shift {sid} starts on 2024-08-27, outside the grant period 2024-04-01..2024-08-26 "
        "(the programme patrols inside it)"
        for sid in ("S-O3-TUE", "S-O4-TUE", "S-W02-TUE")
    ]
    # and no visit is wanted after it: the shortfall counts Monday only
    whole = recompute_summary(*base()[:1], scenario_of(base()[1]), WEEK)["soft_terms"]["visit_shortfall"]
    monday = recompute_summary(plan, scenario_of(data), WEEK)["soft_terms"]["visit_shortfall"]
    assert monday < whole  # Monday is covered; the days after the period no longer count


def test_times_typed_without_an_offset_are_read_in_the_plans_zone(tmp_path: Path) -> None:
    """A planner's hand edit in a spreadsheet drops the offsets: `2024-08-26 14:00` is read as London time
    (BST, the same instant as 14:00+01:00) and the plan checks as before. In the hour the clocks go back a
    time without its offset happens twice: it is refused, with both readings to choose from."""
    from zoneinfo import ZoneInfo

    from optimiser.plan import parse_time

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    visits = folder / "visits.csv"
    text = visits.read_text(encoding="utf-8")
    typed = text.replace("2024-08-26T14:00+01:00,2024-08-26T14:15+01:00", "2024-08-26 14:00,2024-08-26 14:15")
    visits.write_text(typed)
    assert "2024-08-26 14:00," in visits.read_text(encoding="utf-8")
    violations, plan = check_folder(folder)
    assert violations == []
    assert plan.visits[0].arrive.isoformat() == "2024-08-26T14:00:00+01:00"
    london = ZoneInfo("Europe/London")
    twice = r"happens twice in Europe/London .* 2024-10-27T01:30\+01:00 or 2024-10-27T01:30\+00:00"
    with pytest.raises(ValueError, match=twice):
        parse_time("2024-10-27 01:30", london)
    with pytest.raises(ValueError, match="does not exist in Europe/London"):
        parse_time("2025-03-30 01:30", london)
    with pytest.raises(ValueError, match="a date without a time of day"):
        parse_time("2024-08-26", london)
    with pytest.raises(ValueError, match="has seconds; plan times are to the minute"):
        parse_time("2024-08-26T14:00:30+01:00")
    # checked against a scenario given apart (no scenario in the folder): its zone reads the typed times
    scenario = tmp_path / "scenario.yaml"
    shutil.move(folder / "scenario.resolved.yaml", scenario)
    violations, _plan = check_folder(folder, scenario_path=scenario)
    assert [v for v in violations if v.rule != "summary"] == []


def test_a_leg_too_fast_says_when_the_crew_can_arrive() -> None:
    """V13 arrives 3 min after V12 leaves at 14:45, for a 7-min walk: the message gives 14:52 as the earliest."""
    (mutation,) = [m for m in MUTATIONS if m.name == "leg-too-fast"]
    plan, scenario = mutation.build(3)
    (message,) = [v.message for v in check(plan, scenario, week_start=WEEK) if v.rule == "travel"]
    assert "3 min for a 7-min leg; arrive at " in message and "14:52" in message and "or leave earlier" in message
    assert "docs/plan-rules.md" in format_report(check(plan, scenario, week_start=WEEK)).splitlines()[-1]


def test_a_street_network_plan_checked_on_another_extract_names_the_cause_first(tmp_path: Path) -> None:
    """A routine OSM refresh under a plan: the check says the streets changed (before the legs it breaks)."""
    import shutil

    from optimiser.pipeline import plan_week
    from optimiser.plan import write_plan

    root = Path(__file__).resolve().parents[1]
    extract = tmp_path / "area.osm"
    shutil.copyfile(root / "data" / "osm" / "leeds_its_example.osm", extract)
    loaded = load_scenario(
        root / "scenarios" / "leeds-demo.yaml", [f"travel.extract={extract}", "solver.time_limit_seconds=10"]
    )
    result = plan_week(loaded)
    assert result.plan.summary["travel_extract_sha256"]
    folder = write_plan(result.plan, tmp_path / "plan")
    assert check_folder(folder)[0] == []
    text = extract.read_text(encoding="utf-8")
    extract.write_text(text.replace('k="highway" v="footway"', 'k="highway" v="construction"'), encoding="utf-8")
    violations, _plan = check_folder(folder)
    assert any("is not the one the plan was made with" in v.message for v in violations)
    report = format_report(violations).splitlines()
    assert "is not the one the plan was made with" in report[1]


def test_optimal_is_a_claim_the_check_holds_to_the_bound(tmp_path: Path) -> None:
    """`status: optimal` means within 0.01% of best_bound (plan-rules.md): 'optimal' beside a 50% gap is named;
    `--update-summary` of an edit that reaches the bound says optimal, one that loses value says feasible."""
    plan, data = base()
    plan, scenario = finish(plan, data)
    objective = plan.summary["objective"]
    plan.summary = {**plan.summary, "status": "optimal", "best_bound": objective * 2, "gap": 0.5}
    found = [v for v in check(plan, scenario, week_start=WEEK) if v.rule == "summary"]
    assert len(found) == 1 and "status 'optimal' but the objective" in found[0].message
    plan.summary = {**plan.summary, "best_bound": objective * (1 + 5e-5), "gap": round(5e-5 / (1 + 5e-5), 6)}
    assert [v for v in check(plan, scenario, week_start=WEEK) if v.rule == "summary"] == []

    folder = tmp_path / "plan"
    shutil.copytree(FIXTURE, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary.update(best_bound=summary["objective"], gap=0.0, status="feasible")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert update_summary(folder) == []
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["status"] == "optimal"
