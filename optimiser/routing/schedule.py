"""Route timing (earliest feasible times, break taken in place) and an independent route checker."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimiser.routing.model import CandidateVisit, Instance, RoutingCrew, RoutingResult, Stop


@dataclass(frozen=True)
class RouteTiming:
    """Times of one timed route (minutes): visit starts, break start and arrival at the end location."""

    arrive: tuple[int, ...]
    break_start: int | None
    end_time: int


def time_route(inst: Instance, crew: int, order: Sequence[int]) -> RouteTiming | None:
    """Earliest feasible timing of ``order`` (visit indices) for ``crew``, or ``None`` if there is none.

    Why earliest: waiting is allowed, so arriving as early as possible never hurts a later visit; the
    earliest schedule is feasible whenever any schedule is. The break (if the crew takes one) is tried in
    every gap between consecutive stops, either at the origin before travelling or at the destination
    before the visit starts; the gap that brings the crew back earliest wins (first gap on ties).
    """
    c = inst.crews[crew]
    mat = inst.travel(crew)
    seq = [inst.visits[v] for v in order]
    return _time_sequence(c, seq, mat)


def _time_sequence(c: RoutingCrew, seq: Sequence[CandidateVisit], mat: np.ndarray) -> RouteTiming | None:
    locs = [c.start_location, *(v.location for v in seq), c.end_location]
    travel = [int(mat[a, b]) for a, b in itertools.pairwise(locs)]
    n = len(seq)
    # Forward pass without a break: free[i] = time the crew may leave node i (node 0 = start).
    arrive: list[int] = []
    free = c.shift_start
    ok_upto = n  # last visit index (1-based) reached within its window
    for i, vis in enumerate(seq):
        a = max(vis.earliest_arrival, free + travel[i])
        if a > vis.latest_arrival:
            ok_upto = i
            break
        arrive.append(a)
        free = a + vis.dwell_minutes
    window = c.break_window
    if window is None:
        if ok_upto < n:
            return None
        end = free + travel[n]
        return RouteTiming(tuple(arrive), None, end) if end <= c.shift_end else None

    earliest, latest = window
    best: RouteTiming | None = None
    # Gap g sits between node g and node g+1 (node 0 = start, node n+1 = end); the break can only be in a
    # gap the no-break pass reached in time.
    for g in range(min(ok_upto, n) + 1):
        ready = c.shift_start if g == 0 else arrive[g - 1] + seq[g - 1].dwell_minutes
        t = travel[g]
        b_dest = max(earliest, ready + t)  # travel first, break at the destination
        if b_dest <= latest:
            b, reach = b_dest, b_dest + c.break_minutes
        else:
            b = max(earliest, ready)  # break at the origin, then travel
            if b > latest:
                break  # later gaps start even later
            reach = b + c.break_minutes + t
        times = list(arrive[:g])
        feasible = True
        for i in range(g, n):
            vis = seq[i]
            a = max(vis.earliest_arrival, reach)
            if a > vis.latest_arrival:
                feasible = False
                break
            times.append(a)
            reach = a + vis.dwell_minutes + travel[i + 1]
        if not feasible or reach > c.shift_end:
            continue
        if best is None or reach < best.end_time:
            best = RouteTiming(tuple(times), b, reach)
    return best


def check_routes(
    crews: Sequence[RoutingCrew],
    visits: Sequence[CandidateVisit],
    matrices: Mapping[str, np.ndarray],
    result: RoutingResult,
) -> list[str]:
    """Re-check every route of ``result`` from scratch; return one message per violation (empty = feasible).

    Checked: known crews and visits; each visit served at most once and at most one visit per group; only
    allowed crews; arrival inside the window and departure = arrival + dwell; every leg (start -> first
    visit from ``shift_start``, visit -> visit, last visit -> end by ``shift_end``) long enough for the
    matrix travel time; the break (when the crew has one) starts inside its window and fits in one gap
    without overlapping a visit, taken standing at the origin or the destination of that leg.
    """
    vis_by_id = {v.visit_id: v for v in visits}
    crew_by_id = {c.crew_id: c for c in crews}
    out: list[str] = []
    served: dict[str, str] = {}
    group_used: dict[str, str] = {}
    for cid in result.routes:
        if cid not in crew_by_id:
            out.append(f"route for unknown crew {cid!r}")
    for crew in crews:
        cid = crew.crew_id
        stops = result.routes.get(cid, [])
        mat = np.asarray(matrices[crew.profile])
        for s in stops:
            vis = vis_by_id.get(s.visit_id)
            if vis is None:
                out.append(f"crew {cid}: unknown visit {s.visit_id!r}")
                continue
            if s.visit_id in served:
                out.append(f"visit {s.visit_id} served by {served[s.visit_id]} and {cid}")
            served[s.visit_id] = cid
            if vis.group is not None:
                if vis.group in group_used and group_used[vis.group] != s.visit_id:
                    out.append(f"group {vis.group}: both {group_used[vis.group]} and {s.visit_id} served")
                group_used.setdefault(vis.group, s.visit_id)
            if vis.crews is not None and cid not in vis.crews:
                out.append(f"crew {cid} may not serve {s.visit_id}")
            if not vis.earliest_arrival <= s.arrive <= vis.latest_arrival:
                out.append(
                    f"crew {cid}: {s.visit_id} arrives {s.arrive} outside [{vis.earliest_arrival}, "
                    f"{vis.latest_arrival}]"
                )
            if s.depart != s.arrive + vis.dwell_minutes:
                out.append(f"crew {cid}: {s.visit_id} departs {s.depart}, expected arrive + dwell")
        if any(s.visit_id not in vis_by_id for s in stops):
            continue
        # Gaps: (free time, origin location) -> (deadline, destination location).
        gaps: list[tuple[int, int, int, int]] = []
        free, loc = crew.shift_start, crew.start_location
        for s in stops:
            vis = vis_by_id[s.visit_id]
            gaps.append((free, loc, s.arrive, vis.location))
            free, loc = s.depart, vis.location
        end_time = result.end_time.get(cid, crew.shift_end)
        if end_time > crew.shift_end:
            out.append(f"crew {cid}: back at {end_time}, after shift_end {crew.shift_end}")
        gaps.append((free, loc, min(end_time, crew.shift_end), crew.end_location))
        b = result.break_start.get(cid)
        window = crew.break_window
        if window is None and b is not None:
            out.append(f"crew {cid} has no break but break_start {b}")
        if window is not None and b is None:
            out.append(f"crew {cid}: break of {crew.break_minutes} min not placed")
        if window is not None and b is not None and not window[0] <= b <= window[1]:
            out.append(f"crew {cid}: break starts {b}, outside [{window[0]}, {window[1]}]")
        break_placed = False
        for free_t, a_loc, deadline, b_loc in gaps:
            t = int(mat[a_loc, b_loc])
            if window is not None and b is not None and free_t <= b and b + crew.break_minutes <= deadline:
                bm = crew.break_minutes
                at_origin = b + bm + t <= deadline
                at_dest = free_t + t <= b
                if at_origin or at_dest:
                    break_placed = True
                    continue
            if free_t + t > deadline:
                out.append(f"crew {cid}: leg {a_loc}->{b_loc} needs {t} min, has {deadline - free_t}")
        if window is not None and b is not None and not break_placed:
            out.append(f"crew {cid}: break [{b}, {b + crew.break_minutes}] fits in no gap between stops")
    return out


def to_stops(inst: Instance, order: Sequence[int], timing: RouteTiming) -> list[Stop]:
    """Stops of a timed route (visit ids, arrival, departure)."""
    return [
        Stop(inst.visits[v].visit_id, a, a + inst.visits[v].dwell_minutes)
        for v, a in zip(order, timing.arrive, strict=True)
    ]
