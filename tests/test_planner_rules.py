"""Planner-side rules no other test reaches (from the mutation audit, reviews/mutate.md): R02, R12, R14, R18-R20.

The validator would catch each of these at run time, but then the planner writes a plan that fails its own
check. Every case sits on the rule's boundary and its expected figures are worked by hand in the docstring.
Fixtures: tests/data/roster/ (README there) and the validator fixture tests/data/validate/plan/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest
from test_breaks import mixed
from test_roster import option, problem, run

from optimiser import instance
from optimiser.breaks import BreakCrew, _keeps_hotspot_rules, place_breaks
from optimiser.instance import PayRow, _fits_around_duty, _shift_cost_bound
from optimiser.routing.model import Stop
from optimiser.routing.weekly import RoutedCrew
from optimiser.scenario import Scenario, WorkingTime, load_scenario

VALIDATE_SCENARIO = Path(__file__).resolve().parent / "data" / "validate" / "plan" / "scenario.resolved.yaml"
VALIDATE_WEEK = date(2024, 8, 26)


# --------------------------------------------------------------------------------------------------
# roster model: daily rest
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rest_hours", "feasible"), [(16, False), (15.5, True)])
def test_daily_rest_between_two_shifts_near_the_boundary(rest_hours: float, feasible: bool) -> None:
    """[R02] daily-rest: rest.yaml, W-DAY (13:50-22:10) on Monday and on Tuesday leaves 15 h 40 min of rest.
    With daily_rest_hours 16 that is 20 min short (infeasible); with 15.5 it is 10 min over (feasible)."""
    data = problem("rest", f"working_time.daily_rest_hours={rest_hours}")
    fixed = [option(data, "W-1", 0, "W-DAY"), option(data, "W-1", 1, "W-DAY")]
    assert run(data, rules=["daily-rest"], fixed=fixed).feasible is feasible


# --------------------------------------------------------------------------------------------------
# instance: overtime around duty, cost bound
# --------------------------------------------------------------------------------------------------


def test_overtime_touching_duty_keeps_the_merged_period_within_max_shift_hours() -> None:
    """[R12] Overtime touching duty is one work period with it: duty 10:00-18:00 (600-1080) then overtime
    18:00-22:00 is 12 h (the maximum, allowed); to 23:00 it is 13 h (refused)."""
    rules = WorkingTime(max_shift_hours=12)
    assert _fits_around_duty(1080, 1320, [(600, 1080)], rules)
    assert not _fits_around_duty(1080, 1380, [(600, 1080)], rules)


def _validate_scenario_with(templates: list[dict[str, object]]) -> Scenario:
    loaded = load_scenario(VALIDATE_SCENARIO).resolved
    loaded["shift_templates"] = [*loaded["shift_templates"], *templates]
    return Scenario.model_validate(loaded)


def test_no_overtime_option_makes_a_work_period_over_max_shift_hours() -> None:
    """[R12] On the validator fixture, a Tuesday template 18:00-23:00: O-4 (duty Tue 10:00-18:00) would work
    13 h in one period (> 12), so it is not offered to O-4; O-3 (no duty Tuesday) gets it, and O-4 gets the
    18:00-21:00 OT-EVE (11 h)."""
    scenario = _validate_scenario_with([{"id": "OT-LATE", "roles": ["officer"], "start": "18:00", "end": "23:00"}])
    data = instance.build(scenario, VALIDATE_WEEK)
    offered = {(o.person, o.template_id) for o in data.options if o.day == 1}
    assert ("O-3", "OT-LATE") in offered and ("O-4", "OT-EVE") in offered
    assert ("O-4", "OT-LATE") not in offered


def test_the_budget_cost_bound_is_the_dearest_break_placement() -> None:
    """[R14] O-1 on the bank holiday (a rest day) 19:00-01:00 with a 20-min unpaid break; £17.50/h, on-cost 20%:
    a Monday row at x2.0 (£42.00 an hour) and a Tuesday row at x1.5 (£31.50 an hour); 5 h 40 min paid, over the
    4-h rest-day minimum, so no top-up.

    - break in the Monday row: 4 h 40 x 42.00 + 1 h x 31.50 = 196.00 + 31.50 = £227.50
    - break in the Tuesday row: 5 h x 42.00 + 40 min x 31.50 = 210.00 + 21.00 = £231.00

    The bound is the dearer: 23100 pence (the break in the cheaper, later row)."""
    rows = [
        PayRow(1140, 1440, 17.5, 2.0, 0.2, "public_holiday"),
        PayRow(1440, 1500, 17.5, 1.5, 0.2, "rest_day"),
    ]
    assert _shift_cost_bound(rows, 20, 4) == 23100
    assert _shift_cost_bound(rows, 0, 4) == 24150  # no break: 5 h x 42.00 + 1 h x 31.50 = £241.50


# --------------------------------------------------------------------------------------------------
# breaks: re-timing keeps the revisit gap, the presence cap and the return leg
# --------------------------------------------------------------------------------------------------

#: mixed.yaml: W-1's W-DAY shift 13:50-22:10 (830-1330), base B-W (location 3), H-A a 10-min walk from it
EDGELESS = BreakCrew("W", start=830, end=1330, break_minutes=20, edge_minutes=0, base_location=3, profile="walk")


def _index() -> dict[str, int]:
    return {h.id: h.index for h in mixed().hotspots}


@pytest.mark.parametrize(("arrive", "keeps"), [(900, True), (901, False), (915, False)])
def test_a_delayed_visit_keeps_the_revisit_gap(arrive: int, keeps: bool) -> None:
    """[R18] H-A (ASB, revisit gap 120): another crew is there at 17:00 (1020). W-1's visit at 14:55 (895)
    delayed to 15:00 (900) is 120 min before it (kept); to 15:01 (119 min) or 15:15 (105 min), it is not."""
    data = mixed()
    moved = Stop("H-A@2", arrive, arrive + 15)
    assert _keeps_hotspot_rules(data, _index(), moved, Stop("H-A@2", 895, 910), [Stop("H-A@9", 1020, 1035)]) is keeps


@pytest.mark.parametrize(("second_stay", "keeps"), [(35, True), (36, False)])
def test_a_visit_delayed_past_midnight_keeps_the_next_days_presence_cap(second_stay: int, keeps: bool) -> None:
    """[R20] H-J (joint: cap min(90, 90) = 90 min a day, gap 120). W-1's Monday 23:20 visit (1400-1415)
    delayed to Tuesday 00:05 (1445-1460, 15 min) joins Tuesday's two visits there (1600-1640 and 1800-1835
    or -1836, 155 and 355 min away): 40 + 35 + 15 = 90 min is the cap (kept); 40 + 36 + 15 = 91 is over it
    (refused)."""
    data = mixed()
    assert [data.clock.day_index(m) for m in (1400, 1445)] == [0, 1]
    company = [Stop("H-J@7", 1600, 1640), Stop("H-J@8", 1800, 1800 + second_stay)]
    moved, original = Stop("H-J@1", 1445, 1460), Stop("H-J@1", 1400, 1415)
    assert _keeps_hotspot_rules(data, _index(), moved, original, company) is keeps


def test_a_break_after_the_last_visit_leaves_time_to_walk_home() -> None:
    """[R19] Edge margin 0, so the break may start as late as 21:50 (1330 - 20 = 1310). W-1's one visit, at H-A,
    ends 21:45 (1305): a break after it ends 22:05 and the 10-min walk home 22:15, after the 22:10 end. Of the
    placements the worth below prefers the latest, so only the rule keeps the break at base before the visit
    (13:50, when the crew can still reach H-A by 21:30)."""
    stops = [Stop("H-A@1", 1290, 1305)]

    def latest_break(crew_id: str, others: Mapping[str, RoutedCrew]) -> Callable[[Mapping[str, RoutedCrew]], float]:
        def worth(routes: Mapping[str, RoutedCrew]) -> float:
            return float(routes[crew_id].break_start or 0)

        return worth

    placed = place_breaks(mixed(), [EDGELESS], {"W": RoutedCrew("W", stops, None)}, latest_break)["W"]
    assert placed.stops == stops
    assert placed.break_start == 830
