"""Tests of optimiser.breaks: a crew's break moved off the edges of its shift, routes re-timed to keep every rule.

Fixture: tests/data/roster/mixed.yaml (README.md there): warden W-1's W-DAY shift on Monday, 13:50-22:10
(minutes 830-1330), 20-minute break, base B-W; H-A is 10 minutes' walk from the base, H-J 10 from H-A.
With the default margin of 60 minutes the break may start from 14:50 (890) to 20:50 (1250).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from optimiser import instance
from optimiser.breaks import BreakCrew, break_is_inside, place_breaks
from optimiser.instance import ProblemData
from optimiser.routing.model import Stop
from optimiser.routing.weekly import RoutedCrew
from optimiser.scenario import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "roster"
CREW = BreakCrew("W", start=830, end=1330, break_minutes=20, edge_minutes=60, base_location=3, profile="walk")


def mixed() -> ProblemData:
    loaded = load_scenario(DATA / "mixed.yaml")
    return instance.build(loaded.scenario, loaded.scenario.default_week_start)


def count_visits(crew_id: str, others: dict[str, RoutedCrew]):  # type: ignore[no-untyped-def]
    """A worth that counts the crew's visits: every placement that keeps them all is as good as another."""

    def worth(routes: Mapping[str, RoutedCrew]) -> float:
        return float(len(routes[crew_id].stops))

    return worth


def test_the_window_keeps_an_hour_from_either_end() -> None:
    assert not break_is_inside(CREW, 1310)  # at the end: the crew would go home early
    assert not break_is_inside(CREW, 830) and not break_is_inside(CREW, 889)
    assert break_is_inside(CREW, 890) and break_is_inside(CREW, 1250) and not break_is_inside(CREW, 1251)
    short = BreakCrew("S", start=0, end=100, break_minutes=20, edge_minutes=60, base_location=3, profile="walk")
    assert break_is_inside(short, 40) and not break_is_inside(short, 39)  # too short for the margins: the middle


def test_a_break_at_the_end_goes_into_the_first_gap_that_moves_nothing() -> None:
    """H-A 14:00, H-J 14:30, H-A 16:15 with the break at 21:50: after H-J (free from 14:45, so 14:50) the
    next arrival is untouched. Before the first visit would push H-A to 15:20, 55 min before its 16:15 visit
    (revisit gap 120); after H-A at 14:15 would push H-J to 15:20 (allowed, but a move)."""
    stops = [Stop("H-A@1", 840, 855), Stop("H-J@1", 870, 885), Stop("H-A@2", 975, 990)]
    placed = place_breaks(mixed(), [CREW], {"W": RoutedCrew("W", stops, 1310)}, count_visits)
    assert placed["W"].break_start == 890
    assert placed["W"].stops == stops


def test_visits_after_the_break_are_delayed_when_no_gap_is_long_enough() -> None:
    """Back-to-back visits from 14:00 to 16:55: the break after H-J at 14:45 (from 14:50) delays the later
    visits by 25 minutes, each keeping its dwell and the 120-minute gap at H-A."""
    stops = [
        Stop("H-A@1", 840, 855),
        Stop("H-J@1", 870, 885),
        Stop("H-A@2", 995, 1010),
        Stop("H-J@2", 1020, 1035),
    ]
    placed = place_breaks(mixed(), [CREW], {"W": RoutedCrew("W", stops, 1310)}, count_visits)
    route = placed["W"]
    assert break_is_inside(CREW, route.break_start)
    assert len(route.stops) == 4
    assert [s.depart - s.arrive for s in route.stops] == [15, 15, 15, 15]
    for a, b in zip(route.stops, route.stops[1:], strict=False):
        assert b.arrive >= a.depart + 10 + (20 if a.depart <= (route.break_start or 0) < b.arrive else 0)
    arrivals_at_a = [s.arrive for s in route.stops if s.visit_id.startswith("H-A")]
    assert arrivals_at_a[1] - arrivals_at_a[0] >= 120


def test_another_crews_visit_blocks_a_delay() -> None:
    """Another crew visits H-A at 17:00, 125 minutes after this crew's 14:55 visit there: a break before
    that visit would delay it past the 120-minute gap, so the break goes after it."""
    stops = [Stop("H-J@1", 870, 885), Stop("H-A@2", 895, 910)]
    other = RoutedCrew("X", [Stop("H-A@9", 1020, 1035)], None)
    placed = place_breaks(mixed(), [CREW], {"W": RoutedCrew("W", stops, 1310), "X": other}, count_visits)
    route = placed["W"]
    assert break_is_inside(CREW, route.break_start)
    assert [s.arrive for s in route.stops if s.visit_id.startswith("H-A")] == [895]
    assert placed["X"] == other


def test_a_published_route_moves_its_break_only_into_a_gap_as_it_is() -> None:
    """keep_visits (a pinned day): the break goes into the published 14:45-16:15 gap; with no such gap the
    route stays as published (the check will name it) rather than rewrite what was done."""
    stops = [Stop("H-A@1", 840, 855), Stop("H-J@1", 870, 885), Stop("H-A@2", 975, 990)]
    routes = {"W": RoutedCrew("W", stops, 1310)}
    placed = place_breaks(mixed(), [CREW], routes, count_visits, keep_visits=frozenset({"W"}))
    assert placed["W"].stops == stops and placed["W"].break_start == 890
    packed = [Stop("H-A@1", 840, 855), Stop("H-J@1", 865, 1320)]  # one long stay to the end: no gap
    routes = {"W": RoutedCrew("W", packed, 830)}
    assert place_breaks(mixed(), [CREW], routes, count_visits, keep_visits=frozenset({"W"}))["W"] == routes["W"]
