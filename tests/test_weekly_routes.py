"""Tests of the weekly route stage (optimiser/routing/weekly.py): dispatch, ruin-and-recreate, idle filling,
the slot model's series, and the exact value the route search is judged by (optimiser/pipeline.py)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from optimiser import pipeline
from optimiser.instance import build
from optimiser.roster.model import SolverParams
from optimiser.roster.model import solve as solve_roster
from optimiser.routing.model import Stop
from optimiser.routing.weekly import (
    DispatchHotspot,
    RoutedCrew,
    TeamDay,
    VisitSlot,
    WeeklyCrew,
    _first_allowed,
    break_start,
    dispatch_routes,
    fill_idle,
    improve_routes,
    push_insert,
    route_team_day,
    with_breaks,
)
from optimiser.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "roster"

# two hotspots 10 minutes apart on a line, the base between them (5 minutes from each)
MATRIX = {"drive": np.array([[0, 10, 5], [10, 0, 5], [5, 5, 0]], dtype=np.int64)}
BASE = 2


def spot(index: int, harm: float, *, gap: int = 120) -> DispatchHotspot:
    return DispatchHotspot(
        hotspot=index, hotspot_id=f"H{index}", location=index, harm=harm, dwell=15, gap=gap, cap_visits=6, factor=0.6
    )


def crew(crew_id: str, start: int, end: int, *, break_minutes: int = 0) -> WeeklyCrew:
    return WeeklyCrew(crew_id, BASE, start, end, "drive", break_minutes, frozenset({0, 1}))


def always(_minute: int) -> float:
    return 1.0


def whole_day(_minute: int) -> int:
    return 0


def contract_worth(hotspots: list[DispatchHotspot], arrivals: Mapping[int, list[int]]):
    """The contract's value of routes on one day: harm x factor^(rank - 1), ranks shared with ``arrivals``."""
    by_id = {h.hotspot_id: h for h in hotspots}

    def worth(routes: Mapping[str, RoutedCrew]) -> float:
        times = {h.hotspot: list(arrivals.get(h.hotspot, ())) for h in hotspots}
        for route in routes.values():
            for stop in route.stops:
                times[by_id[stop.visit_id.split("@")[0]].hotspot].append(stop.arrive)
        return sum(h.harm * sum(h.factor**k for k in range(len(times[h.hotspot]))) for h in hotspots)

    return worth


@pytest.mark.parametrize("seed", range(20))
def test_first_allowed_matches_brute_force(seed: int) -> None:
    """The bisecting search gives the earliest minute keeping the gap from every taken arrival."""
    rng = random.Random(seed)
    gap = rng.choice([0, 1, 30, 120])
    taken = sorted(rng.sample(range(0, 600), rng.randint(0, 8)))
    start = rng.randint(0, 600)
    expected = next(t for t in range(start, 2000) if all(abs(t - other) >= gap for other in taken))
    assert _first_allowed(start, taken, gap) == expected


def test_fill_idle_inserts_into_a_waiting_gap_and_keeps_the_revisit_gap() -> None:
    """A crew that visits H0 at 0:05 and 2:05 waits in between: H1 fits (twice, 2 h apart), and nothing is
    put inside H0's revisit gap."""
    hotspots = [spot(0, 10.0), spot(1, 4.0)]
    crews = [crew("C", 0, 240)]
    routes = {"C": RoutedCrew("C", [Stop("H0@5", 5, 20), Stop("H0@125", 125, 140)])}
    worth = contract_worth(hotspots, {})
    filled = fill_idle(TeamDay(crews, hotspots, MATRIX, always, whole_day, {}), routes, worth)
    stops = filled["C"].stops
    assert [s.visit_id.split("@")[0] for s in stops].count("H1") == 2
    assert worth(filled) == pytest.approx(10 * 1.6 + 4 * 1.6)
    h0 = [s.arrive for s in stops if s.visit_id.startswith("H0")]
    h1 = [s.arrive for s in stops if s.visit_id.startswith("H1")]
    assert h0 == [5, 125] and h1[1] - h1[0] >= 120
    for before, after in pairwise(stops):
        travel = MATRIX["drive"][int(before.visit_id[1]), int(after.visit_id[1])]
        assert after.arrive >= before.depart + travel


def test_fill_idle_respects_other_teams_arrivals_and_the_break() -> None:
    """Another team's visit at H1 (minute 60) blocks H1 until 180; the 30-min break still fits somewhere.

    H1 at 180-195 (back at 200, the shift's end) fits only with the break in the idle time before it,
    which is where it must then be.
    """
    hotspots = [spot(0, 10.0), spot(1, 4.0)]
    crews = [crew("C", 0, 200, break_minutes=30)]
    routes = {"C": RoutedCrew("C", [Stop("H0@5", 5, 20)], 170)}
    worth = contract_worth(hotspots, {1: [60]})
    filled = fill_idle(TeamDay(crews, hotspots, MATRIX, always, whole_day, {1: [60]}), routes, worth)["C"]
    assert ("H1@180", 180) in [(stop.visit_id, stop.arrive) for stop in filled.stops]
    for stop in filled.stops:
        if stop.visit_id.startswith("H1"):
            assert abs(stop.arrive - 60) >= 120
    # every leg fits, and the one the break falls in fits the break too
    assert filled.break_start is not None
    brk = (filled.break_start, filled.break_start + 30)
    path = [(BASE, 0)] + [(int(s.visit_id[1]), s.arrive, s.depart) for s in filled.stops] + [(BASE, 200)]
    legs = [(path[0][0], 0, *path[1][:2])] + [(a[0], a[2], b[0], b[1]) for a, b in pairwise(path[1:]) if len(a) == 3]
    for origin, leave, target, reach in legs:
        pause = 30 if leave <= brk[0] and brk[1] <= reach else 0
        assert reach - leave >= MATRIX["drive"][origin, target] + pause
    assert any(leave <= brk[0] and brk[1] <= reach for _, leave, _, reach in legs)


def test_improve_routes_never_worse_and_repeats_for_a_seed() -> None:
    """Ruin and recreate keeps only improvements (never below the dispatch) and is deterministic."""
    hotspots = [spot(0, 10.0, gap=60), spot(1, 7.0, gap=60)]
    crews = [crew("A", 0, 300), crew("B", 30, 330)]
    worth = contract_worth(hotspots, {})
    team = TeamDay(crews, hotspots, MATRIX, always, whole_day, {})
    start = dispatch_routes(team, seed=3)
    runs = [improve_routes(team, start, worth, rounds=50, seed=7) for _ in range(2)]
    assert worth(runs[0]) >= worth(start) - 1e-9
    assert {c: r.stops for c, r in runs[0].items()} == {c: r.stops for c, r in runs[1].items()}


def test_slot_series_are_independent() -> None:
    """A visit after midnight (series 2) does not need the evening's visits (series 1) at that hotspot:
    a crew on shift only after midnight can take it."""
    slots = [
        VisitSlot("H0@evening#1", 0, 0, 5.0, 15, 0, 200, 1, series=0),
        VisitSlot("H0@evening#2", 0, 0, 3.0, 15, 120, 200, 2, series=0),
        VisitSlot("H0@night#1", 0, 0, 9.0, 15, 1440, 1600, 1441, series=1440),
    ]
    night = WeeklyCrew("N", BASE, 1430, 1700, "drive", 0, frozenset({0}))
    result = route_team_day(
        [night],
        slots,
        MATRIX,
        revisit_gap={0: 120},
        time_limit_seconds=10,
        initial={"N": RoutedCrew("N")},
        deterministic_time=2.0,
    )
    assert [s.visit_id for s in result.routes["N"].stops] == ["H0@night#1"]
    assert result.value == pytest.approx(9.0)


def test_team_day_worth_is_the_contract_objective_difference() -> None:
    """mixed.yaml: the route search's value of a team-day equals the week's objective with those routes
    less the objective without them (other teams' visits fixed), so it optimises the contract's figure."""
    scenario = load_scenario(DATA / "mixed.yaml").scenario
    data = build(scenario, scenario.default_week_start)
    roster = solve_roster(data, SolverParams(time_limit_seconds=10, workers=1, deterministic_time=5))
    crews = pipeline._form_crews(data, roster)
    routed = pipeline._route_all(data, crews, time_budget=5)
    project_of = {c.crew_id: c.group.project for c in crews}
    for team_day in {(c.group.team, c.group.day) for c in crews}:
        mine = [c for c in crews if (c.group.team, c.group.day) == team_day]
        ids = {c.crew_id for c in mine}
        others = {k: r for k, r in routed.items() if k not in ids}
        worth = pipeline._team_day_worth(data, mine, others, project_of)
        with_routes = worth({k: r for k, r in routed.items() if k in ids})
        without = worth({})
        week = pipeline._routes_objective(data, routed, project_of)
        week_without = pipeline._routes_objective(data, others, project_of)
        assert with_routes - without == pytest.approx(week - week_without, abs=1e-9)


def test_fill_idle_keeps_the_daily_visit_cap() -> None:
    """H0 may have two visits a day (cap_visits 2): with both made, idle time goes to H1 only."""
    capped = DispatchHotspot(
        hotspot=0, hotspot_id="H0", location=0, harm=10.0, dwell=15, gap=30, cap_visits=2, factor=0.6
    )
    hotspots = [capped, spot(1, 1.0, gap=600)]
    crews = [crew("C", 0, 400)]
    routes = {"C": RoutedCrew("C", [Stop("H0@5", 5, 20), Stop("H0@200", 200, 215)])}
    worth = contract_worth(hotspots, {})
    filled = fill_idle(TeamDay(crews, hotspots, MATRIX, always, whole_day, {}), routes, worth)
    names = [s.visit_id.split("@")[0] for s in filled["C"].stops]
    assert names.count("H0") == 2 and names.count("H1") == 1


def test_break_goes_where_the_route_leaves_time_for_it() -> None:
    """The shift's end when there is room, else the first idle span long enough, else no route at all."""
    location = {"H0": 0, "H1": 1}.__getitem__

    def at(stops: list[Stop]) -> int | None:
        return break_start(crew("C", 0, 100, break_minutes=20), stops, MATRIX["drive"], lambda s: location(s.visit_id))

    assert at([Stop("H0", 5, 20)]) == 80  # back at 25: the end has room
    assert at([Stop("H0", 5, 20), Stop("H1", 60, 75), Stop("H0", 85, 90)]) == 20  # 30 idle after the leg
    with pytest.raises(ValueError):
        at([Stop("H0", 5, 20), Stop("H1", 30, 45), Stop("H0", 65, 80)])  # idle 0, 0, 10 and 15 minutes
    assert break_start(crew("C", 0, 100), [], MATRIX["drive"], lambda s: 0) is None


def test_dispatch_uses_the_shift_end_once_the_crew_has_waited_for_its_break() -> None:
    """A crew that waits out a revisit gap takes its break then, and works to the end of its shift.

    One hotspot 5 minutes from base, a 60-minute revisit gap, a 0-100 shift with a 20-minute break. The
    first visit is at 5-20; the next allowed is at 65 (45 minutes of waiting): it leaves at 80 and is back
    at 85, which only fits if the break is not kept for 80-100 (the old rule made one visit only).
    """
    team = TeamDay(
        [crew("C", 0, 100, break_minutes=20)], [spot(0, 10.0, gap=60)], MATRIX, always, whole_day, arrivals={}
    )
    routes = dispatch_routes(team, seed=0, restarts=0)
    assert [stop.arrive for stop in routes["C"].stops] == [5, 65]
    assert routes["C"].break_start == 20
    # a route from elsewhere with its break at the end is moved to where the search expects it
    assert with_breaks(team, {"C": RoutedCrew("C", routes["C"].stops, 80)})["C"].break_start == 20
    assert with_breaks(team, {})["C"] == RoutedCrew("C", [], 80)


def test_dispatch_waits_for_a_new_day_when_it_is_worth_more() -> None:
    """A visit at 23:50 would be the day's sixth (0.6^5 of the weight); at 00:00 it is the next day's first.

    One crew, one hotspot already visited five times on day 0 (other teams); the shift runs 23:40-01:00.
    The greedy arrival (23:45) is worth 100 x 0.6^5 = 7.8 over 20 minutes; waiting to 00:00 is worth 100
    over 35 minutes, so the dispatcher must wait (it used to take the first allowed arrival only).
    """
    midnight = 24 * 60
    hotspot = spot(0, 100.0)
    team = TeamDay(
        [WeeklyCrew("C", BASE, midnight - 20, midnight + 60, "drive", 0, frozenset({0}))],
        [hotspot],
        MATRIX,
        weight_at=always,
        day_of=lambda minute: minute // (24 * 60),
        arrivals={0: [midnight - 600, midnight - 480, midnight - 360, midnight - 240, midnight - 122]},
    )
    assert team.value_steps == [midnight]
    routes = dispatch_routes(team, seed=0, restarts=0)
    assert [stop.arrive for stop in routes["C"].stops] == [midnight]


def test_push_insert_goes_far_first_and_pushes_the_visit_near_base() -> None:
    """Only inserting *before* the planned visit and pushing it back earns both (idle filling cannot).

    H0 is a minute from base, H1 twenty minutes from both; the shift runs 0-80 and a new day starts at
    minute 50. The route visits H0 at 50 (the new day's first). H1 fits before it only if H0 moves to
    55 (still the new day's first) and after it not at all (H0 leaves at 65, H1 would be reached at 85).
    """
    matrix = {"drive": np.array([[0, 20, 1], [20, 0, 20], [1, 20, 0]], dtype=np.int64)}
    hotspots = [spot(0, 100.0), spot(1, 10.0)]
    team = TeamDay(
        [WeeklyCrew("C", BASE, 0, 80, "drive", 0, frozenset({0, 1}))],
        hotspots,
        matrix,
        weight_at=always,
        day_of=lambda minute: 0 if minute < 50 else 1,
        arrivals={},
    )

    def worth(routes: Mapping[str, RoutedCrew]) -> float:
        value = {"H0": 100.0, "H1": 10.0}
        return sum(value[stop.visit_id.split("@")[0]] for route in routes.values() for stop in route.stops)

    start = {"C": RoutedCrew("C", [Stop("H0@50", 50, 65)])}
    assert fill_idle(team, start, worth)["C"].stops == start["C"].stops
    pushed = push_insert(team, start, worth)["C"].stops
    assert [(stop.visit_id.split("@")[0], stop.arrive) for stop in pushed] == [("H1", 20), ("H0", 55)]


@pytest.mark.parametrize("seed", range(10))
def test_visits_that_day_matches_a_scan(seed: int) -> None:
    """The bisecting day count equals counting the taken arrivals whose day of arrival is the same."""
    rng = random.Random(seed)
    offset = rng.randint(0, 1439)  # days start at an odd minute (a clock change, another time zone)

    def day_of(minute: int) -> int:
        return (minute + offset) // 1440

    start = rng.randint(0, 3000)
    team = TeamDay([crew("C", start, start + 600)], [], MATRIX, always, day_of, {})
    taken = sorted(rng.sample(range(start - 2000, start + 2600), 30))
    for arrival in range(start, start + 600, 7):
        assert team.visits_that_day(arrival, taken) == sum(1 for t in taken if day_of(t) == day_of(arrival))
