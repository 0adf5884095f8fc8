"""Tests of the CP-SAT weekly roster (optimiser/roster/model.py): one test per rule family, exact optima.

Every fixture is a tiny scenario in tests/data/roster/ (README there gives every number): one district,
one to three hotspots on a meridian, one or two wardens or up to three officers, one to seven days. One
"step" of 0.0089 degrees of latitude is 10 minutes on foot and 1 minute by car. Each rule test either
fixes an assignment and builds that rule alone (feasible / infeasible), or solves the whole model with
a fixed seed and one worker and asserts the optimum worked out by hand in its docstring.

The table :data:`RULE_TESTS` maps every rule registered in :data:`optimiser.roster.model.RULES` (and the
objective pieces) to its test; ``test_every_rule_has_a_test`` fails when a rule is added without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from optimiser import instance
from optimiser.instance import ProblemData
from optimiser.roster import model as roster_model
from optimiser.roster.model import (
    RULES,
    VALUE_SCALE,
    Pin,
    SolverParams,
    build_model,
    explain_infeasible,
    gap_buckets,
    solve,
)
from optimiser.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "roster"
PARAMS = SolverParams(time_limit_seconds=10, workers=1, seed=0)
#: 10 x (1 + 0.6 + 0.36 + 0.216): four visits of harm 10 on one day, repeat factor 0.6
FOUR_VISITS = 21.76
#: 10 x (1 + 0.6): two visits
TWO_VISITS = 16.0
#: 10 x (1 + 0.6 + 0.36): three visits
THREE_VISITS = 19.6
#: the objective's coefficients are rounded up to 1/VALUE_SCALE each (a valid bound), so optima match to this
TOL = 1e-3
#: two ASB windows, 14:00-18:00 and 18:00-22:00, with the given weights (a --set value)
WINDOWS = '[{{start: "14:00", end: "18:00", weight: {first}}}, {{start: "18:00", end: "22:00", weight: {second}}}]'


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def problem(name: str, *overrides: str) -> ProblemData:
    """The integer problem of ``tests/data/roster/<name>.yaml`` (with ``--set`` overrides) for its week."""
    loaded = load_scenario(DATA / f"{name}.yaml", overrides)
    return instance.build(loaded.scenario, loaded.scenario.default_week_start)


def option(data: ProblemData, person: str, day: int, template: str) -> int:
    """Index of the shift option of ``person`` on week day ``day`` (0 = Monday) for ``template``."""
    found = [o.index for o in data.options if (o.person, o.day, o.template_id) == (person, day, template)]
    assert len(found) == 1, f"no single option {person} day {day} {template}: {found}"
    return found[0]


@dataclass
class Outcome:
    """A solve of a (possibly partial) roster model."""

    status: str
    objective: float
    shifts: list[int]
    visits: list[tuple[str, int, int]]
    soft: dict[str, float]

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


def run(
    data: ProblemData,
    *,
    rules: Iterable[str] | None = None,
    fixed: Sequence[int] | None = None,
) -> Outcome:
    """Build the model with only ``rules`` (default all), every rule assumption enforced, and solve it.

    ``fixed`` fixes the shift options worked (all others are not worked). The objective pieces
    (dosage value, shortfall, fairness) are always built, as in :func:`build_model`.
    """
    chosen = dict(RULES) if rules is None else {name: RULES[name] for name in rules}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roster_model, "RULES", chosen)
        pin = None if fixed is None else Pin(frozenset(fixed), frozenset(range(7)))
        built = build_model(data, pin=pin)
    model, v = built.model, built.vars
    for literal in v.assumptions.values():
        model.Add(literal == 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = PARAMS.time_limit_seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(name, float("nan"), [], [], {})
    assert status == cp_model.OPTIMAL, "tiny fixtures must solve to optimality"
    soft = {
        term: sum(solver.Value(expr) * weight for expr, weight in pieces) for term, pieces in built.soft_terms.items()
    }
    return Outcome(
        name,
        solver.ObjectiveValue() / VALUE_SCALE,
        sorted(i for i, var in v.shift.items() if solver.Value(var)),
        sorted(key for key, var in v.class_visit.items() if solver.Value(var)),
        soft,
    )


def without(*names: str) -> list[str]:
    """Every registered rule but ``names``."""
    return [name for name in RULES if name not in names]


# --------------------------------------------------------------------------------------------------
# hard rule families
# --------------------------------------------------------------------------------------------------


def test_double_booking() -> None:
    """rest.yaml: one warden, Monday-Tuesday; W-EARLY 05:50-13:50, W-DAY 13:50-22:10, W-MID 16:00-20:00.

    With the double-booking rule alone: Monday W-DAY + W-MID overlap (16:00-20:00 inside 13:50-22:10):
    infeasible; Monday W-EARLY + W-DAY only touch at 13:50: feasible; Monday W-DAY + Tuesday W-MID:
    feasible. Whole model optimum: 8 paid hours due, so W-MID on both days (4 h each) beats one W-DAY:
    2 x 10 x (1 + 0.6) = 32 (two visits 120 min apart fit in 16:10-19:45 each day).
    """
    data = problem("rest")
    early, day, mid = (option(data, "W-1", 0, t) for t in ("W-EARLY", "W-DAY", "W-MID"))
    assert not run(data, rules=["double-booking"], fixed=[day, mid]).feasible
    assert run(data, rules=["double-booking"], fixed=[early, day]).feasible
    assert run(data, rules=["double-booking"], fixed=[day, option(data, "W-1", 1, "W-MID")]).feasible
    best = run(data)
    assert best.objective == pytest.approx(32.0, abs=TOL)
    assert best.shifts == [mid, option(data, "W-1", 1, "W-MID")]


def test_daily_rest() -> None:
    """rest.yaml (as test_double_booking), daily rest 11 h, max shift 10 h; the daily-rest rule alone.

    Monday W-EARLY then W-DAY touch: one 16 h 20 min work period > 10 h: infeasible. Monday W-DAY
    (to 22:10) then Tuesday W-EARLY (from 05:50): 7 h 40 min rest < 11 h: infeasible. W-EARLY on both
    days (16 h rest) and W-DAY on both days (15 h 40 min rest): feasible.
    """
    data = problem("rest")
    mon = {t: option(data, "W-1", 0, t) for t in ("W-EARLY", "W-DAY")}
    tue = {t: option(data, "W-1", 1, t) for t in ("W-EARLY", "W-DAY")}
    only = ["daily-rest"]
    assert not run(data, rules=only, fixed=[mon["W-EARLY"], mon["W-DAY"]]).feasible
    assert not run(data, rules=only, fixed=[mon["W-DAY"], tue["W-EARLY"]]).feasible
    assert run(data, rules=only, fixed=[mon["W-EARLY"], tue["W-EARLY"]]).feasible
    assert run(data, rules=only, fixed=[mon["W-DAY"], tue["W-DAY"]]).feasible
    # 14 h of rest is enough when the rule asks for 7
    relaxed = problem("rest", "working_time.daily_rest_hours=7")
    assert run(
        relaxed, rules=only, fixed=[option(relaxed, "W-1", 0, "W-DAY"), option(relaxed, "W-1", 1, "W-EARLY")]
    ).feasible


def test_weekly_rest() -> None:
    """week.yaml: one warden, W-SHORT 14:00-18:00 every day, 28 h due (= 7 shifts), 24 h weekly rest.

    With max_consecutive_days 7 (so only the rest rules bind): seven shifts leave at most 20 h of rest
    (18:00 to 14:00; 14 h before Monday's, 6 h after Sunday's): infeasible; six shifts without Wednesday
    leave 44 h (Tue 18:00 - Thu 14:00): feasible. The whole week is infeasible and the explanation names
    weekly-rest and contracted-hours for W-1; with 20 h of weekly rest it is feasible with optimum
    7 days x 2 visits x 16 = 7 x 16 = 112.
    """
    data = problem("week", "working_time.max_consecutive_days=7")
    every_day = [option(data, "W-1", d, "W-SHORT") for d in range(7)]
    assert not run(data, rules=["weekly-rest"], fixed=every_day).feasible
    assert run(data, rules=["weekly-rest"], fixed=[i for i in every_day if i != every_day[2]]).feasible
    assert solve(data, PARAMS).status == "infeasible"
    conflicts = explain_infeasible(data, PARAMS)
    assert any(c.startswith("weekly-rest: W-1") for c in conflicts)
    assert any(c.startswith("contracted-hours: W-1") for c in conflicts)
    relaxed = problem("week", "working_time.max_consecutive_days=7", "working_time.weekly_rest_hours=20")
    best = run(relaxed)
    assert best.objective == pytest.approx(7 * TWO_VISITS, abs=TOL)


def test_weekly_hours() -> None:
    """duty.yaml: officer O-1 on duty Mon-Thu 07:00-17:00 (4 x 9 h 40 min worked = 2320 min), 48 h cap.

    OT-LONG 15:00-23:00 (7 h 40 min worked) is possible Fri and Sat only (Sunday's would leave 8 h before
    the next Monday's duty: 11 h daily rest). The cap leaves 2880 - 2320 =
    560 min: one overtime shift (460) fits, two (920) do not. Optimum: one shift, 2 visits = 16. With a
    60 h cap (1280 min) two shifts fit: 2 x 16 = 32 (Mon-Thu + Fri, Sat is 6 days in a row, allowed).
    """
    data = problem("duty")
    fri, sat = option(data, "O-1", 4, "OT-LONG"), option(data, "O-1", 5, "OT-LONG")
    assert {o.day for o in data.options} == {4, 5}
    assert run(data, rules=["weekly-hours"], fixed=[fri]).feasible
    assert not run(data, rules=["weekly-hours"], fixed=[fri, sat]).feasible
    best = run(data)
    assert best.objective == pytest.approx(TWO_VISITS, abs=TOL)
    assert len(best.shifts) == 1
    relaxed = run(problem("duty", "working_time.max_weekly_hours=60"))
    assert relaxed.objective == pytest.approx(2 * TWO_VISITS, abs=TOL)
    assert len(relaxed.shifts) == 2


def test_max_consecutive_days() -> None:
    """week.yaml with max_consecutive_days 3 and no weekly rest; duty.yaml with 4.

    Warden: Mon-Thu (4 days in a row) infeasible; Mon, Tue, Wed, Fri feasible. With 24 h due (six
    W-SHORT shifts) the only pattern is three on, one off, three on: optimum 6 x 16 = 96; with at most 2
    days in a row six shifts cannot fit in 7 days: infeasible. Officer O-1 (duty Mon-Thu, limit 4):
    overtime on Friday makes 5 days in a row: infeasible; Saturday: feasible.
    """
    data = problem("week", "working_time.max_consecutive_days=3", "working_time.weekly_rest_hours=0")
    shifts = [option(data, "W-1", d, "W-SHORT") for d in range(7)]
    only = ["max-consecutive-days"]
    assert not run(data, rules=only, fixed=shifts[0:4]).feasible
    assert run(data, rules=only, fixed=[*shifts[0:3], shifts[4]]).feasible
    six = ("working_time.weekly_rest_hours=0", "staff.wardens.0.contracted_hours_per_week=24")
    best = run(problem("week", "working_time.max_consecutive_days=3", *six))
    assert best.objective == pytest.approx(6 * TWO_VISITS, abs=TOL)
    assert [data.options[i].day for i in best.shifts] == [0, 1, 2, 4, 5, 6]
    assert not run(problem("week", "working_time.max_consecutive_days=2", *six)).feasible
    duty = problem("duty", "working_time.max_consecutive_days=4")
    assert not run(duty, rules=only, fixed=[option(duty, "O-1", 4, "OT-LONG")]).feasible
    assert run(duty, rules=only, fixed=[option(duty, "O-1", 5, "OT-LONG")]).feasible


WHOLE_WEEK = ("staff.wardens.0.contract_end=2024-12-08", "staff.wardens.0.contracted_hours_per_week=8")
"""base.yaml's W-1 on a whole-week contract of 8 hours (8 paid hours due, exactly)."""


def test_contracted_hours() -> None:
    """base.yaml, W-1 on a whole-week contract of 8 h: 8 paid hours due, exactly.

    W-DAY 13:50-22:10 less a 20-minute unpaid break is 8.0 paid hours: the optimum works it once, with four
    visits (14:00, 16:00, ~19:00, ~21:00) = 21.76. Not working it breaks the rule (infeasible). With W-DAY
    ending 21:40 (7.5 paid hours) no set of shifts makes 8 h: infeasible, and the explanation names the
    rule, the warden and the numbers. base.yaml's own one-day contract (56 h a week, Monday: 8 h pro rata)
    is a part week: up to 8 h, short by less than a day's 11.2 h, so working nothing is legal, and a
    shift of 8.5 paid hours (over) is never worked.
    """
    data = problem("base", *WHOLE_WEEK)
    assert data.people["W-1"].required_paid_minutes == 480
    assert data.options[0].paid_minutes == 480
    assert not run(data, rules=["contracted-hours"], fixed=[]).feasible
    best = solve(data, PARAMS)
    assert best.status == "optimal"
    assert len(best.shifts) == 1
    assert best.objective == pytest.approx(FOUR_VISITS, abs=TOL)

    part_week = problem("base")
    assert part_week.people["W-1"].paid_shortfall_minutes == 56 * 60 // 5 - 1
    assert run(part_week, rules=["contracted-hours"], fixed=[]).feasible
    longer = problem("base", "shift_templates.0.end=22:40")
    assert solve(longer, PARAMS).shifts == []

    short = problem("base", *WHOLE_WEEK, "shift_templates.0.end=21:40")
    result = solve(short, PARAMS)
    assert result.status == "infeasible"
    assert "contracted-hours: W-1 must work exactly 8 paid hours from shifts of [7.5] h" in result.conflicts
    assert any("W-1" in c and c.startswith("contracted-hours") for c in explain_infeasible(short, PARAMS))


def test_explanation_names_only_the_conflict() -> None:
    """base.yaml with 7.5-hour shifts: the only conflict is contracted-hours (weekly rest and hours hold)."""
    conflicts = explain_infeasible(problem("base", *WHOLE_WEEK, "shift_templates.0.end=21:40"), PARAMS)
    assert conflicts == ["contracted-hours: W-1 must work exactly 8 paid hours from shifts of [7.5] h"]


def test_budget() -> None:
    """officers.yaml: O-01..O-03, no duty, OT-EVE 18:00-22:00 Mon and Tue, double crewing, one SV hotspot.

    Each shift is a 4 h rest day at 1.5 x £17.50 = £105.00 (cost bound 10500 pence). SV budget £250: one
    crew-day (£210): 2 visits = 16. £500: two crew-days (£420): 32. £209.99: no crew: 0. With the budget
    rule alone, four shifts (£420) at £250 are infeasible.
    """
    data = problem("officers")
    assert {o.cost_pence for o in data.options} == {10500}
    assert data.budgets_pence["sv"] == 25000
    best = run(data)
    assert best.objective == pytest.approx(TWO_VISITS, abs=TOL)
    assert len(best.shifts) == 2
    assert sum(data.options[i].cost_pence for i in best.shifts) <= data.budgets_pence["sv"]
    more = run(problem("officers", "projects.sv.weekly_budget_gbp=500"))
    assert more.objective == pytest.approx(2 * TWO_VISITS, abs=TOL)
    assert len(more.shifts) == 4
    assert run(problem("officers", "projects.sv.weekly_budget_gbp=209.99")).objective == pytest.approx(0.0, abs=TOL)
    four = [option(data, f"O-0{k}", d, "OT-EVE") for k, d in ((1, 0), (2, 0), (1, 1), (2, 1))]
    assert not run(data, rules=["budget"], fixed=four).feasible
    assert run(data, rules=["budget"], fixed=four[:2]).feasible


def test_crewing() -> None:
    """officers.yaml (3 officers, double crewing: at most one crew of two on each day).

    With the crewing rule alone: one officer on Monday is no crew (infeasible); two make one crew
    (feasible); three cannot make whole crews (infeasible). With single crewing three crews of one are
    fine. In the optimum, shifts come in pairs of the same day.
    """
    data = problem("officers")
    mon = [option(data, f"O-0{k}", 0, "OT-EVE") for k in (1, 2, 3)]
    assert not run(data, rules=["crewing"], fixed=mon[:1]).feasible
    assert run(data, rules=["crewing"], fixed=mon[:2]).feasible
    assert not run(data, rules=["crewing"], fixed=mon).feasible
    single = problem("officers", "sv_crewing=single")
    assert run(single, rules=["crewing"], fixed=[option(single, f"O-0{k}", 0, "OT-EVE") for k in (1, 2, 3)]).feasible
    best = run(problem("officers", "projects.sv.weekly_budget_gbp=500"))
    days = [data.options[i].day for i in best.shifts]
    assert sorted(days) == [0, 0, 1, 1]


def test_visit_capacity() -> None:
    """two_hotspots.yaml: one warden for 50 minutes (14:00-14:50) on Monday; H-N (harm 10) 12 min north
    of the base, H-S (harm 6) 12 min south, 24 min apart.

    One visit fits (12 + 15 + 12 = 39 min); two need at least 12 + 10 + 24 + 10 + 12 = 68 min > 50 even
    at the minimum dwell. The capacity rule (visits at minimum dwell + shortest leg, 22 min each, within
    50 - 12 = 38 min) allows one: optimum 10 at H-N. Without it the relaxation takes both: 16.
    """
    data = problem("two_hotspots")
    walk = data.matrices["walk"]
    assert (int(walk[0, 2]), int(walk[1, 2]), int(walk[0, 1])) == (12, 12, 24)  # H-N, H-S, B-W
    best = run(data)
    assert best.objective == pytest.approx(10.0, abs=TOL)
    assert [h for _c, h, _b in best.visits] == [0]
    assert run(data, rules=without("visit-capacity")).objective == pytest.approx(16.0, abs=TOL)


def test_coverage() -> None:
    """base.yaml with a Monday-Tuesday contract of 28 h (8 h due: one W-DAY, either day).

    Working Monday, the coverage rule keeps every visit on Monday: 4 visits = 21.76. Without coverage or
    capacity, Tuesday's buckets fill too although nobody is on shift: 2 x 21.76 = 43.52.
    """
    data = problem("base", "staff.wardens.0.contract_end=2024-12-03", "staff.wardens.0.contracted_hours_per_week=28")
    monday = [option(data, "W-1", 0, "W-DAY")]
    covered = run(data, rules=["crewing", "coverage", "revisit-gap"], fixed=monday)
    assert covered.objective == pytest.approx(FOUR_VISITS, abs=TOL)
    assert all(data.clock.day_index(b * 30) == 0 for _c, _h, b in covered.visits)
    loose = run(data, rules=["crewing", "revisit-gap"], fixed=monday)
    assert loose.objective == pytest.approx(2 * FOUR_VISITS, abs=TOL)
    assert run(data, fixed=monday).objective == pytest.approx(FOUR_VISITS, abs=TOL)


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(120, FOUR_VISITS), (180, THREE_VISITS), (240, TWO_VISITS), (480, 10.0)],
)
def test_revisit_gap(gap: int, expected: float) -> None:
    """base.yaml, window 14:00-22:00 (arrivals 14:00-21:45): visits at least ``gap`` minutes apart.

    120 -> 14:00, 16:00, 18:00, 20:00: 21.76; 180 -> 14:00, 17:00, 20:00: 19.6; 240 -> 14:00, 18:00: 16;
    480 -> one visit: 10. The chosen half-hour buckets are at least gap // 30 apart.
    """
    data = problem("base", f"projects.asb.dosage.revisit_gap_minutes={gap}")
    best = run(data)
    assert best.objective == pytest.approx(expected, abs=TOL)
    buckets = sorted(b for _c, _h, b in best.visits)
    assert all(b2 - b1 >= gap_buckets(gap) for b1, b2 in pairwise(buckets))


@pytest.mark.parametrize(
    ("cap", "expected"), [(90, FOUR_VISITS), (40, FOUR_VISITS), (39, THREE_VISITS), (20, TWO_VISITS)]
)
def test_presence_cap(cap: int, expected: float) -> None:
    """base.yaml (gap 120 allows 4 visits): at most ``cap`` minutes of visits a day, each at least 10 min.

    The relaxation counts visits at the minimum dwell (10 min), since a plan may shorten its visits: 90
    and 40 -> 4 visits: 21.76; 39 -> 3: 19.6; 20 -> 2: 16. (With cap 59 a plan of three 15-minute visits
    and one of 14 is worth 21.62, so counting 15-minute visits, 19.6, would not be a valid bound.) With
    the rule dropped a 20-minute cap still gives 21.76.
    """
    data = problem("base", f"projects.asb.dosage.max_presence_minutes_per_day={cap}")
    assert run(data).objective == pytest.approx(expected, abs=TOL)
    if cap == 20:
        assert run(data, rules=without("presence-cap")).objective == pytest.approx(FOUR_VISITS, abs=TOL)


# --------------------------------------------------------------------------------------------------
# objective pieces
# --------------------------------------------------------------------------------------------------


def test_dosage_value() -> None:
    """base.yaml: one hotspot of harm 10, window 14:00-22:00, gap 120, repeat factor 0.6.

    One weight: 4 visits = 10 x (1 + 0.6 + 0.36 + 0.216) = 21.76. Falling weights (14:00-18:00 x2, then
    x1): 14:00 and 16:00 at 2, 18:00 and 20:00 at 1: 10 x (2 + 1.2 + 0.36 + 0.216) = 37.76, exact.
    Rising weights (x1 then x2): early visits lower the later ones' rank, so the best plan is 18:00 and
    20:00 only: 10 x 2 x 1.6 = 32 (also three visits: 10 x (1 + 1.2 + 0.72) = 29.2); the model's chord
    bound is exact here.
    """
    assert run(problem("base")).objective == pytest.approx(FOUR_VISITS, abs=TOL)
    falling = "projects.asb.windows=" + WINDOWS.format(first=2.0, second=1.0)
    assert run(problem("base", falling)).objective == pytest.approx(37.76, abs=TOL)
    rising = "projects.asb.windows=" + WINDOWS.format(first=1.0, second=2.0)
    best = run(problem("base", rising))
    assert best.objective == pytest.approx(32.0, abs=TOL)
    assert all(b >= 36 for _c, _h, b in best.visits)  # 18:00 is bucket 36


def test_visit_shortfall() -> None:
    """base.yaml with 2 visits wanted a day at weight 0.5: one day of work in a 7-day week.

    Four visits on Monday: 6 other days x 2 missing x 10 x 0.5 = 60, objective 21.76 - 60 = -38.24.
    With a 15-minute presence cap (one visit a day): 60 + 1 x 10 x 0.5 = 65, objective 10 - 65 = -55.
    """
    wanted = ("projects.asb.dosage.visits_wanted_per_day=2", "soft_weights.visit_shortfall=0.5")
    best = run(problem("base", *wanted))
    assert best.soft["visit_shortfall"] == pytest.approx(60.0)
    assert best.objective == pytest.approx(FOUR_VISITS - 60.0, abs=TOL)
    capped = run(problem("base", *wanted, "projects.asb.dosage.max_presence_minutes_per_day=15"))
    assert capped.soft["visit_shortfall"] == pytest.approx(65.0)
    assert capped.objective == pytest.approx(10.0 - 65.0, abs=TOL)


def test_fairness() -> None:
    """pair.yaml: W-1 (8 h due) and W-2 (4 h due), Friday-Saturday; weights hours 0.1, nights 0.5,
    weekends 0.2 (per hour / night shift / weekend shift between the most and least of the role).

    Fixed W-1 Friday W-NIGHT (20:00-04:20), W-2 Saturday W-SHORT: hours 8 - 4 = 4 h x 0.1 = 0.4; nights
    1 - 0 x 0.5 = 0.5; weekends 0 vs 1: 0.2. Fixed W-1 and W-2 both on Saturday (W-DAY, W-SHORT): 0.4,
    0, 0. Optimum with hours weight 0.6 (0.01 a minute, exact): W-1 W-DAY and W-2 W-SHORT on different
    days: 21.76 + 16 - 4 x 0.6 - 0.2 = 35.16 (same day: 21.76 - 2.4 = 19.36).
    """
    data = problem("pair")
    night = run(data, fixed=[option(data, "W-1", 4, "W-NIGHT"), option(data, "W-2", 5, "W-SHORT")])
    assert night.soft["hours_spread"] == pytest.approx(0.4)
    assert night.soft["nights_spread"] == pytest.approx(0.5)
    assert night.soft["weekends_spread"] == pytest.approx(0.2)
    same = run(data, fixed=[option(data, "W-1", 5, "W-DAY"), option(data, "W-2", 5, "W-SHORT")])
    assert same.soft == pytest.approx(
        {"visit_shortfall": 0.0, "hours_spread": 0.4, "nights_spread": 0.0, "weekends_spread": 0.0}
    )
    exact = problem("pair", "soft_weights.hours_spread=0.6")
    best = run(exact)
    assert best.objective == pytest.approx(FOUR_VISITS + TWO_VISITS - 2.4 - 0.2, abs=TOL)
    templates = sorted((exact.options[i].person, exact.options[i].template_id) for i in best.shifts)
    assert templates == [("W-1", "W-DAY"), ("W-2", "W-SHORT")]
    assert len({exact.options[i].day for i in best.shifts}) == 2


def test_fairness_spreads_over_rostered_people_only() -> None:
    """officers.yaml, hours weight 0.1: the budget buys one double crew-day (O-01 and O-02, 4 h each);
    O-03 works no shift, so, as the contract counts it (rostered people only), the spread is 0 and the
    optimum is 2 visits = 16. Counting O-03 at 0 h would charge 0.4 and prove a bound of 15.6, below the
    plan's objective: an invalid bound."""
    best = run(problem("officers", "soft_weights.hours_spread=0.1", "soft_weights.nights_spread=0.5"))
    assert best.soft["hours_spread"] == pytest.approx(0.0)
    assert best.objective == pytest.approx(TWO_VISITS, abs=TOL)
    assert len(best.shifts) == 2


# --------------------------------------------------------------------------------------------------
# every rule has a test; the solve reports and repeats
# --------------------------------------------------------------------------------------------------

RULE_TESTS: dict[str, Callable[..., None]] = {
    "double-booking": test_double_booking,
    "daily-rest": test_daily_rest,
    "weekly-rest": test_weekly_rest,
    "weekly-hours": test_weekly_hours,
    "max-consecutive-days": test_max_consecutive_days,
    "contracted-hours": test_contracted_hours,
    "budget": test_budget,
    "crewing": test_crewing,
    "visit-capacity": test_visit_capacity,
    "coverage": test_coverage,
    "revisit-gap": test_revisit_gap,
    "presence-cap": test_presence_cap,
}
OBJECTIVE_TESTS: dict[str, Callable[..., None]] = {
    "define_dosage_value": test_dosage_value,
    "define_visit_shortfall": test_visit_shortfall,
    "define_fairness": test_fairness,
}


def test_every_rule_has_a_test() -> None:
    """Each rule in RULES (and each objective piece) maps to a test in this module; none is left over."""
    assert set(RULE_TESTS) == set(RULES), f"rules without a test: {sorted(set(RULES) - set(RULE_TESTS))}"
    for name in OBJECTIVE_TESTS:
        assert callable(getattr(roster_model, name)), name
    for function in [*RULE_TESTS.values(), *OBJECTIVE_TESTS.values()]:
        assert function.__name__.startswith("test_") and globals()[function.__name__] is function


def test_solve_reports_bound_and_repeats() -> None:
    """mixed.yaml: the roster solve reports optimal with objective == best bound, and repeats exactly."""
    data = problem("mixed")
    first = solve(data, PARAMS)
    second = solve(data, PARAMS)
    assert first.status == "optimal"
    assert first.best_bound == pytest.approx(first.objective)
    assert (first.shifts, first.crews, first.visits) == (second.shifts, second.crews, second.visits)


def test_a_first_roster_search_is_on_a_deterministic_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deterministic budget too small to find a roster: the search for a first one runs on a budget
    of FIRST_SEARCH_FACTOR times more deterministic units (not on whatever wall-clock time is left, which
    gave a plan on an idle machine and none on a busy one), and finds the same roster every time."""
    from dataclasses import replace as replaced

    from optimiser.roster import model

    budgets: list[float | None] = []
    make = model.make_solver

    def recording(params: SolverParams) -> object:
        budgets.append(params.deterministic_time)
        return make(params)

    monkeypatch.setattr(model, "make_solver", recording)
    data = problem("mixed")
    small = replaced(PARAMS, deterministic_time=2e-3)  # mixed.yaml needs about 3e-3 units for a roster
    first = solve(data, small)
    assert budgets == [2e-3, pytest.approx(2e-3 * model.FIRST_SEARCH_FACTOR)]
    assert first.status == "feasible"
    second = solve(data, small)
    assert (first.shifts, first.crews) == (second.shifts, second.crews)


def test_far_cliques_cover_every_far_pair() -> None:
    """Four hotspots: A, B close (5 min); C 40 min from both; D 40 min from all. With a limit of 19
    minutes (a half-hour run less the 10-minute minimum dwell) the far pairs are A-C, A-D, B-C, B-D, C-D:
    the cliques {A, C, D} and {B, C, D} cover them, and A-B (near) is in no clique."""
    from optimiser.roster.model import _far_cliques

    a, b, c, d = 0, 1, 2, 3
    near = {(a, b): 5, (b, a): 5}
    distance = {(x, y): near.get((x, y), 40) for x in range(4) for y in range(4) if x != y}
    cliques = _far_cliques(distance, [a, b, c, d], 19)
    covered = {frozenset((x, y)) for clique in cliques for x in clique for y in clique if x != y}
    assert covered == {frozenset(p) for p in [(a, c), (a, d), (b, c), (b, d), (c, d)]}
    assert all(not {a, b} <= set(clique) for clique in cliques)
    assert sorted(map(sorted, cliques)) == [[a, c, d], [b, c, d]]


# --------------------------------------------------------------------------------------------------
# the hotspot-day ceilings (a second valid bound, reported when tighter than the roster's)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "expected"),
    [(90, FOUR_VISITS), (59, 10 * (1.96 + (59 / 15 - 3) * 0.216)), (39, 10 * (1.6 + 0.6 * 0.36)), (15, 10.0)],
)
def test_hotspot_day_ceiling_presence(cap: int, expected: float) -> None:
    """base.yaml (Monday only, one hotspot of harm 10, arrivals 14:00-21:45, gap 120: four arrivals).

    The day's dose is at most cap / 15: 90 -> 6 doses but 4 arrivals: 21.76; 59 -> 3.93 doses:
    10 x (1 + 0.6 + 0.36 + 0.93 x 0.216) = 21.616, exactly the best plan (three 15-minute visits and one
    of 14); 39 -> 2.6 doses: 10 x (1 + 0.6 + 0.6 x 0.36) = 18.16 (the best plan, 15 + 14 + 10 minutes, is
    worth 18.0); 15 -> one visit: 10. No other day has a crew, so the week's bound is the same figure.
    """
    data = problem("base", f"projects.asb.dosage.max_presence_minutes_per_day={cap}")
    ceilings = roster_model.hotspot_day_ceilings(data)
    assert list(ceilings) == [(0, 0)]
    assert ceilings[(0, 0)] == pytest.approx(expected, abs=1e-9)
    assert roster_model.ceiling_bound(data) == pytest.approx(expected, abs=1e-9)


def test_hotspot_day_ceiling_weights_and_shortfall() -> None:
    """base.yaml with windows 14:00-18:00 x1 and 18:00-22:00 x2 (the best plan is 18:00 and 20:00: 32).

    Two arrivals fit in each window and four in all; matched best-first to the ranks, 10 x (2 + 2 x 0.6 +
    0.36 + 0.216) = 37.76, but ranks follow the clock: an afternoon visit pushes both evening ones down
    (16:00, 18:00, 20:00: 10 x (1 + 1.2 + 0.72) = 29.2), so the chronological ceiling is the optimum, 32.
    With 2 visits wanted a day at weight 0.5, the six days no crew can reach cost 6 x 2 x 10 x 0.5 = 60
    whatever the plan.
    """
    rising = "projects.asb.windows=" + WINDOWS.format(first=1.0, second=2.0)
    data = problem("base", rising)
    assert roster_model.hotspot_day_ceilings(data)[(0, 0)] == pytest.approx(32.0, abs=1e-9)
    falling = problem("base", "projects.asb.windows=" + WINDOWS.format(first=2.0, second=1.0))
    # falling weights: heaviest first is also the clock's order, so both bounds agree (four arrivals)
    assert roster_model.hotspot_day_ceilings(falling)[(0, 0)] == pytest.approx(10 * (2 + 1.2 + 0.36 + 0.216))
    assert run(data).objective <= roster_model.ceiling_bound(data)
    wanted = ("projects.asb.dosage.visits_wanted_per_day=2", "soft_weights.visit_shortfall=0.5")
    assert roster_model.ceiling_bound(problem("base", *wanted)) == pytest.approx(FOUR_VISITS - 60.0, abs=1e-9)


def test_weekly_hours_count_duty_as_the_validator_does() -> None:
    """The validator fixture's O-4 with a night duty from Sunday 22:00 into Monday 08:00 added (10 h, so
    less a 20-minute break), beside five 8-hour day duties: duty starting in the week, whole, each less
    its break, 5 x 7h40 + 9h40 = 48h00 (the piece of last Sunday's night inside the week is not this
    week's duty). The model's cap and the validator's count must agree, or a plan could pass one and
    fail the other."""
    from datetime import date

    from optimiser.plan import read_plan
    from optimiser.validate import check

    folder = Path(__file__).parent / "data" / "validate" / "plan"
    loaded = load_scenario(folder / "scenario.resolved.yaml")
    data = loaded.resolved
    officers = data["staff"]["officers"]
    o4 = next(o for o in officers if o.get("id") == "O-4")
    o4["duty"] = [*o4["duty"], {"day": "sun", "start": "22:00", "end": "08:00"}]
    from optimiser.scenario import Scenario

    scenario = Scenario.model_validate(data)
    week = date(2024, 8, 26)
    problem = instance.build(scenario, week)
    assert roster_model.weekly_duty_minutes(problem, "O-4") == 5 * 460 + 580
    plan = read_plan(folder)  # O-4 works 3 h of overtime on Tuesday: 51 h in all
    for limit, fails in ((51.0, False), (50.9, True)):
        limited = scenario.model_copy(
            update={"working_time": scenario.working_time.model_copy(update={"max_weekly_hours": limit})}
        )
        model_cap = round(limit * 60) - roster_model.weekly_duty_minutes(problem, "O-4")
        hours = [v for v in check(plan, limited, week_start=week) if v.rule == "weekly-hours" and "O-4" in v.message]
        assert (model_cap < 180) == fails == bool(hours), (limit, model_cap, hours)
