"""Breaks inside the working day: move a crew's break off the edges of its shift.

Why: under the Working Time Regulations a rest break is taken during the working period, not at its
beginning or end, so a break must start at least ``break_edge_minutes`` after the shift starts and end at
least that long before it ends (rule ``break`` of docs/plan-rules.md). The route search keeps a break's
minutes free but is happy to leave them at the shift's end (a crew going home early); this stage, run on
the finished routes, takes the break after one of the crew's visits instead and moves the visits after it
later where needed, keeping every rule the routes kept (revisit gap and presence cap across all crews,
legs, the shift end). Of the placements that keep them it takes the one the week's objective likes best;
when no placement keeps them it drops the visit whose loss costs least and tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from optimiser.instance import ProblemData
from optimiser.roster.model import hotspot_policy_gap
from optimiser.routing.model import Stop
from optimiser.routing.weekly import RoutedCrew


@dataclass(frozen=True)
class BreakCrew:
    """What the break stage needs of a crew: shift, break, base, travel profile and the edge margin."""

    crew_id: str
    start: int
    end: int
    break_minutes: int
    edge_minutes: int
    base_location: int
    profile: str


def break_window(crew: BreakCrew) -> tuple[int, int]:
    """Earliest and latest minute the crew's break may start (a shift too short for the margins: its middle)."""
    edge = min(crew.edge_minutes, (crew.end - crew.start - crew.break_minutes) // 2)
    return crew.start + edge, crew.end - edge - crew.break_minutes


def break_is_inside(crew: BreakCrew, break_start: int | None) -> bool:
    """Whether the route's break keeps the edge rule (a crew without a break keeps it trivially)."""
    if crew.break_minutes <= 0:
        return True
    if break_start is None:
        return False
    earliest, latest = break_window(crew)
    return earliest <= break_start <= latest


def place_breaks(
    data: ProblemData,
    crews: Sequence[BreakCrew],
    routed: Mapping[str, RoutedCrew],
    worth_for: Callable[[str, dict[str, RoutedCrew]], Callable[[Mapping[str, RoutedCrew]], float]],
    *,
    keep_visits: frozenset[str] = frozenset(),
) -> dict[str, RoutedCrew]:
    """Every crew's break inside its window, the routes re-timed to fit; crews already inside are kept.

    ``keep_visits`` crews (published routes of days already worked) move their break only where no visit
    moves; where none is free, their route stays as published.

    ``worth_for(crew_id, others)`` values the crew's route against everyone else's (the contract's
    objective as far as that route changes it), so a placement that moves a visit out of a heavier window,
    or to another day's rank, is judged by what it really costs.
    """
    routes = dict(routed)
    index = {h.id: h.index for h in data.hotspots}
    for crew in sorted(crews, key=lambda c: c.crew_id):
        route = routes.get(crew.crew_id, RoutedCrew(crew.crew_id))
        if break_is_inside(crew, route.break_start):
            continue
        others = {k: r for k, r in routes.items() if k != crew.crew_id}
        worth = worth_for(crew.crew_id, others)
        stops = list(route.stops)
        while True:
            best: tuple[float, int, list[Stop], int] | None = None
            for stops_tried, break_start in _placements(data, crew, stops, others, index):
                # equal worth: the placement that moves the visits least (the planner's route as searched)
                moved = sum(abs(a.arrive - b.arrive) for a, b in zip(stops_tried, stops, strict=True))
                if crew.crew_id in keep_visits and moved:
                    continue
                value = worth({crew.crew_id: RoutedCrew(crew.crew_id, stops_tried, break_start)})
                if best is None or value > best[0] + 1e-9 or (value > best[0] - 1e-9 and moved < best[1]):
                    best = (value, moved, stops_tried, break_start)
            if best is not None:
                routes[crew.crew_id] = RoutedCrew(crew.crew_id, best[2], best[3])
                break
            if crew.crew_id in keep_visits:
                break  # history stands: the check will name the break
            if not stops:  # an empty shift always has room (its window is not empty by the instance's rules)
                raise ValueError(f"crew {crew.crew_id}: no room for its break inside the shift")
            # no placement keeps every rule: drop the visit whose loss costs least, then try again
            stops = max(
                (stops[:k] + stops[k + 1 :] for k in range(len(stops))),
                key=lambda kept: worth({crew.crew_id: RoutedCrew(crew.crew_id, kept, None)}),
            )
    return routes


def _placements(
    data: ProblemData,
    crew: BreakCrew,
    stops: list[Stop],
    others: Mapping[str, RoutedCrew],
    index: Mapping[str, int],
) -> list[tuple[list[Stop], int]]:
    """Each way to take the break after the k-th visit (or at base before the first), later visits delayed.

    The break starts where the window allows once the k-th visit is over; it may be taken before or after
    the leg to the next place (a window opening mid-leg costs no waiting), so the next arrival is no sooner
    than the leg plus the break, nor before the break ends.
    """
    matrix = data.matrices[crew.profile]
    earliest, latest = break_window(crew)
    location = [data.hotspots[index[s.visit_id.split("@")[0]]].location for s in stops]
    by_hotspot = _other_arrivals(others, index)
    options = []
    for k in range(len(stops) + 1):
        here = crew.base_location if k == 0 else location[k - 1]
        free_from = crew.start if k == 0 else stops[k - 1].depart
        break_start = max(free_from, earliest)
        if break_start > latest:
            break  # later positions start later still
        moved = list(stops[:k])
        # the break lies wholly between leaving ``here`` and the next arrival, before or after the leg: the
        # next place is reached no sooner than the leg plus the break, nor before the break ends
        ready, previous, rested = free_from, here, break_start + crew.break_minutes
        for j in range(k, len(stops)):
            leg = int(matrix[previous, location[j]])
            earliest_arrival = ready + leg + (crew.break_minutes if j == k else 0)
            arrive = max(stops[j].arrive, earliest_arrival, rested if j == k else 0)
            dwell = stops[j].depart - stops[j].arrive
            moved.append(Stop(stops[j].visit_id, arrive, arrive + dwell))
            ready, previous = arrive + dwell, location[j]
        home = ready + int(matrix[previous, crew.base_location])
        if k == len(stops):
            home = max(home + crew.break_minutes, rested)
        if home > crew.end:
            continue
        if all(
            _keeps_hotspot_rules(
                data, index, s, o, [*by_hotspot.get(index[s.visit_id.split("@")[0]], []), *moved[:j], *moved[j + 1 :]]
            )
            for j, (s, o) in enumerate(zip(moved, stops, strict=True))
        ):
            options.append((moved, break_start))
    return options


def _other_arrivals(routes: Mapping[str, RoutedCrew], index: Mapping[str, int]) -> dict[int, list[Stop]]:
    """Other crews' visits by hotspot (what a moved visit must keep the gap and cap from)."""
    by_hotspot: dict[int, list[Stop]] = {}
    for route in routes.values():
        for stop in route.stops:
            by_hotspot.setdefault(index[stop.visit_id.split("@")[0]], []).append(stop)
    return by_hotspot


def _keeps_hotspot_rules(
    data: ProblemData, index: Mapping[str, int], moved: Stop, original: Stop, company: Sequence[Stop]
) -> bool:
    """A visit moved in time keeps the revisit gap and the day's presence cap against ``company``.

    ``company``: every other visit that may share its hotspot (other crews' and this crew's own, as moved:
    a wait can absorb a delay, so two of the crew's visits to one hotspot may come closer).
    """
    if moved.arrive == original.arrive:
        return True
    hotspot = index[moved.visit_id.split("@")[0]]
    gap, cap = hotspot_policy_gap(data, hotspot)
    nearby = [other for other in company if index[other.visit_id.split("@")[0]] == hotspot]
    if any(abs(other.arrive - moved.arrive) < gap for other in nearby):
        return False
    day = data.clock.day_index(moved.arrive)
    if day == data.clock.day_index(original.arrive):
        return True
    present = sum(o.depart - o.arrive for o in nearby if data.clock.day_index(o.arrive) == day)
    return present + (moved.depart - moved.arrive) <= cap
