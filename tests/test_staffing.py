"""The staffing search judged by routes (pipeline._restaff) and its rule oracle (optimiser/roster/staffing.py).

Fixtures are the roster tests' tiny scenarios (tests/data/roster/README.md). mixed.yaml: warden W-1 works
one W-DAY (13:50-22:10) on Monday or Tuesday; officers O-01 and O-02 one double crew on OT-EVE
(18:00-22:00) Monday or Tuesday (the SV budget buys one crew-day); H-A asb, H-J joint, H-S sv. The hand
optimum puts the crew and the warden on different days (objective 140.04); on the same day they share
H-J's revisit gap and leave the other day empty.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from optimiser import instance, pipeline
from optimiser.instance import ProblemData
from optimiser.plan import Plan
from optimiser.roster.model import RosterSolution
from optimiser.roster.staffing import StaffingOracle, fairness_penalty
from optimiser.scenario import load_scenario
from optimiser.validate import check, recompute_summary

DATA = Path(__file__).resolve().parent / "data" / "roster"
HAND_OPTIMUM = 140.04


def problem(name: str, *overrides: str) -> ProblemData:
    loaded = load_scenario(DATA / f"{name}.yaml", overrides)
    return instance.build(loaded.scenario, loaded.scenario.default_week_start)


def group(data: ProblemData, day: int, template: str) -> int:
    found = [g for g, grp in enumerate(data.groups) if (grp.day, grp.template_id) == (day, template)]
    assert len(found) == 1
    return found[0]


def same_day_roster(data: ProblemData) -> RosterSolution:
    """The warden and the officer crew both on Monday, staffed by the oracle (every rule holds)."""
    counts = {group(data, 0, "W-DAY"): 1, group(data, 0, "OT-EVE"): 1}
    shifts = StaffingOracle(data).staff([], counts, set(range(len(data.groups))))
    assert shifts is not None
    return RosterSolution("feasible", 0.0, 0.0, 0.0, shifts, counts, [])


def same_day_start(data: ProblemData) -> pipeline._Staffing:
    """The same-day roster routed (the staffing search's starting point)."""
    roster = same_day_roster(data)
    crews = pipeline._form_crews(data, roster)
    return pipeline._Staffing.of(data, roster, crews, pipeline._route_all(data, crews, time_budget=5))


def restaff(
    data: ProblemData, start: pipeline._Staffing, budget: pipeline._SearchCounts, pin: pipeline.Pin | None = None
) -> pipeline._Staffing:
    """The staffing search with no wall-clock deadline (counts decide)."""
    return pipeline._restaff(data, start, budget, pin=pin, time_budget=5, deadline=float("inf"))


def plan_of(data: ProblemData, crews: list[pipeline.Crew], routed: dict) -> dict:
    plan = Plan(scenario_yaml="", hotspots=pipeline._hotspot_rows(data))
    plan.roster, plan.visits = pipeline._plan_rows(data, crews, pipeline._breaks_inside(data, crews, routed))
    return {"plan": plan, "figures": recompute_summary(plan, data.scenario, data.week_start)}


def test_oracle_staffs_a_move_and_refuses_a_broken_rule() -> None:
    """mixed.yaml: moving the crew from Monday to Tuesday keeps both officers (the only ones); a second
    crew-day (£420 > £250 budget) or a crew on a day the template does not run cannot be staffed."""
    data = problem("mixed")
    oracle = StaffingOracle(data)
    roster = same_day_roster(data)
    monday, tuesday = group(data, 0, "OT-EVE"), group(data, 1, "OT-EVE")
    moved = oracle.staff(roster.shifts, {**{g: 1 for g in roster.crews if g != monday}, tuesday: 1}, {monday, tuesday})
    assert moved is not None
    assert sorted(
        (data.options[i].person, data.options[i].day) for i in moved if data.options[i].role == "officer"
    ) == [
        ("O-01", 1),
        ("O-02", 1),
    ]
    assert oracle.staff(roster.shifts, {**roster.crews, tuesday: 1}, {tuesday}) is None  # over budget
    # the warden's shift cannot be dropped: contracted hours are exact
    assert oracle.staff(roster.shifts, {monday: 1}, {group(data, 0, "W-DAY")}) is None


def test_oracle_picks_the_cheapest_people() -> None:
    """officers.yaml with a £500 budget: three officers, any two can crew Monday at £105 each; with
    O-01's shifts made dearer (£210) the oracle crews Monday with O-02 and O-03."""
    data = problem("officers", "projects.sv.weekly_budget_gbp=500")
    assert len({o.cost_pence for o in data.options}) == 1  # equal pay: make O-01 dearer
    data.options = [replace(o, cost_pence=o.cost_pence * 2) if o.person == "O-01" else o for o in data.options]
    chosen = StaffingOracle(data).staff([], {group(data, 0, "OT-EVE"): 1}, set(range(len(data.groups))))
    assert chosen is not None
    assert sorted(data.options[i].person for i in chosen) == ["O-02", "O-03"]


def test_restaff_moves_a_crew_to_the_empty_day() -> None:
    """mixed.yaml from the same-day roster: the search moves one crew to Tuesday and reaches the hand
    optimum 140.04; the plan it returns passes the independent check and its objective is the contract's."""
    data = problem("mixed")
    start = same_day_start(data)
    before = plan_of(data, start.crews, start.routed)["figures"]["objective"]
    assert before < HAND_OPTIMUM - 1.0
    staffing = restaff(data, start, pipeline._SearchCounts.for_stage(10))
    assert {c.group.day for c in staffing.crews} == {0, 1}
    result = plan_of(data, staffing.crews, staffing.routed)
    assert result["figures"]["objective"] == pytest.approx(HAND_OPTIMUM, abs=1e-3)
    assert staffing.value == pytest.approx(result["figures"]["objective"], abs=1e-6)
    # every hard rule holds (the summary file is the pipeline's to write, checked in test_pipeline.py)
    violations = check(result["plan"], data.scenario, week_start=data.week_start)
    assert [v.message for v in violations if v.rule != "summary"] == []


def test_extended_search_replays_a_smaller_budget_then_goes_on() -> None:
    """mixed.yaml from the same-day roster, the search past STAGE_SECONDS with 0, 1 and 20 full re-routes:
    with none it cannot start a round and the staffing stays; one re-route takes the crew to Tuesday (its
    only team-day left to route) and reaches the hand optimum; twenty replay that search and find nothing
    more, so they end on the same shifts and value."""
    data = problem("mixed")
    start = same_day_start(data)
    ends = [restaff(data, start, replace(pipeline._SearchCounts.extended(20), calls=calls)) for calls in (0, 1, 20)]
    assert ends[0].value == pytest.approx(start.value)
    assert ends[0].shifts == start.shifts
    assert ends[1].value == pytest.approx(HAND_OPTIMUM, abs=1e-3)
    assert (ends[2].shifts, ends[2].value) == (ends[1].shifts, pytest.approx(ends[1].value))


def test_time_past_the_stage_goes_to_the_staffing_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """plan_week with a limit past STAGE_SECONDS: the roster model and the first routes get the stage's
    budget (so a longer limit starts from the same plan), the staffing search the stage's counts and then
    the extended counts of the time left."""
    monkeypatch.setattr(pipeline, "STAGE_SECONDS", 2.0)
    asked: dict[str, object] = {}
    solve = pipeline.solve_roster

    def roster_spy(data: ProblemData, params: pipeline.SolverParams, **kwargs: object) -> RosterSolution:
        asked["deterministic_time"] = params.deterministic_time
        # reported as not proven optimal, so the staffing search runs even where the routes realise it
        return replace(solve(data, params, **kwargs), status="feasible")  # type: ignore[arg-type]

    searches: list[pipeline._SearchCounts] = []
    restaff = pipeline._restaff

    def restaff_spy(data: ProblemData, current: pipeline._Staffing, budget: pipeline._SearchCounts, **kwargs: object):
        searches.append(budget)
        return restaff(data, current, budget, **kwargs)  # type: ignore[arg-type]

    def route_spy(data: ProblemData, crews: list[pipeline.Crew], *, time_budget: float, fixed: dict) -> dict:
        asked["route_budget"] = time_budget
        return route_all(data, crews, time_budget=time_budget, fixed=fixed)

    route_all = pipeline._route_all
    monkeypatch.setattr(pipeline, "solve_roster", roster_spy)
    monkeypatch.setattr(pipeline, "_restaff", restaff_spy)
    monkeypatch.setattr(pipeline, "_route_all", route_spy)
    result = pipeline.plan_week(load_scenario(DATA / "mixed.yaml", ["solver.time_limit_seconds=5"]))
    assert result.plan.summary["status"] in ("optimal", "feasible")
    assert asked["deterministic_time"] == pytest.approx(2.0 * pipeline.ROSTER_SHARE * pipeline.DETERMINISTIC_PER_SECOND)
    assert asked["route_budget"] == pytest.approx(2.0 * (1 - pipeline.ROSTER_SHARE))
    assert searches == [pipeline._SearchCounts.for_stage(2.0), pipeline._SearchCounts.extended(3.0)]


def test_restaff_keeps_pinned_days() -> None:
    """Pinning Monday as worked (both on Monday) leaves nothing to move: the staffing stays."""
    data = problem("mixed")
    start = same_day_start(data)
    pin = pipeline.Pin(frozenset(start.shifts), frozenset({0}))
    staffing = restaff(data, start, pipeline._SearchCounts.for_stage(10), pin)
    assert sorted(staffing.shifts) == sorted(start.shifts)


def test_fairness_penalty_is_the_contracts() -> None:
    """pair.yaml (weights hours 0.1, nights 0.5, weekends 0.2): W-1 Friday W-NIGHT and W-2 Saturday
    W-SHORT spread 4 h, one night and one weekend shift: 0.4 + 0.5 + 0.2 = 1.1, as recompute_summary says."""
    data = problem("pair")
    night = [
        next(o.index for o in data.options if (o.person, o.day, o.template_id) == ("W-1", 4, "W-NIGHT")),
        next(o.index for o in data.options if (o.person, o.day, o.template_id) == ("W-2", 5, "W-SHORT")),
    ]
    assert fairness_penalty(data, night) == pytest.approx(1.1)
    counts = {g: 1 for g, grp in enumerate(data.groups) for i in night if i in grp.options_by_role.get("warden", ())}
    crews = pipeline._form_crews(data, RosterSolution("feasible", 0.0, 0.0, 0.0, night, counts, []))
    routed = pipeline._route_all(data, crews, time_budget=2)  # places each crew's unpaid break
    figures = plan_of(data, crews, routed)["figures"]
    spreads = sum(figures["soft_terms"][t] for t in ("hours_spread", "nights_spread", "weekends_spread"))
    assert spreads == pytest.approx(1.1)
