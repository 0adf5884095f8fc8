"""Route repair: make engine routes feasible in the true model (breaks, exact times) and refill slack."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from optimiser.routing.model import Instance
from optimiser.routing.schedule import time_route

logger = logging.getLogger(__name__)


def sanitise(inst: Instance, routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """Drop visits served twice, a second visit of a group, and visits a crew may not serve.

    Engines never produce these, but a warm start or an approximate engine model might; the first
    occurrence (crews in input order) is kept.
    """
    seen: set[int] = set()
    groups: set[int] = set()
    out: list[list[int]] = []
    for k, order in enumerate(routes):
        kept: list[int] = []
        for v in order:
            g = inst.group_of[v]
            if v in seen or (g >= 0 and g in groups) or not inst.allowed[k, v]:
                continue
            seen.add(v)
            if g >= 0:
                groups.add(g)
            kept.append(v)
        out.append(kept)
    return out


def make_feasible(inst: Instance, routes: Sequence[Sequence[int]]) -> tuple[list[list[int]], int]:
    """Remove as little value as possible from each route until it can be timed (break included).

    Why: PyVRP and OR-Tools do not model an in-place break exactly, so a route can come back one break
    too long. Each step drops the single visit whose removal makes the route feasible at the least value;
    if no single removal suffices, the lowest-value visit goes and the search repeats. Returns the routes
    and the number of visits dropped.
    """
    out: list[list[int]] = []
    dropped = 0
    for k, order in enumerate(routes):
        cur = list(order)
        while cur and time_route(inst, k, cur) is None:
            best: tuple[float, int] | None = None
            for i, v in enumerate(cur):
                trial = cur[:i] + cur[i + 1 :]
                if time_route(inst, k, trial) is not None:
                    key = (inst.visits[v].value, i)
                    if best is None or key < best:
                        best = key
            idx = best[1] if best is not None else min(range(len(cur)), key=lambda i: (inst.visits[cur[i]].value, i))
            cur.pop(idx)
            dropped += 1
        out.append(cur)
    if dropped:
        logger.debug("repair dropped %d visits to make routes feasible", dropped)
    return out, dropped


def fill(inst: Instance, routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """Greedily insert unserved visits (highest value first) where they fit with the least extra time.

    Why: after a repair, or when breaks were modelled approximately, routes may have slack that an
    unserved visit can use. Every insertion is checked with the exact timing, so routes stay feasible.
    """
    out = [list(r) for r in routes]
    served = {v for r in out for v in r}
    groups = {inst.group_of[v] for v in served if inst.group_of[v] >= 0}
    ends = []
    for k, r in enumerate(out):
        timing = time_route(inst, k, r)
        ends.append(timing.end_time if timing is not None else None)
    candidates = sorted(
        (v for v in range(inst.num_visits) if v not in served and inst.allowed[:, v].any()),
        key=lambda v: (-inst.visits[v].value, v),
    )
    for v in candidates:
        if inst.visits[v].value <= 0:
            break
        g = inst.group_of[v]
        if g >= 0 and g in groups:
            continue
        best: tuple[int, int, int, int] | None = None  # (extra end time, crew, position, new end)
        for k in range(inst.num_crews):
            end_k = ends[k]
            if not inst.allowed[k, v] or end_k is None:
                continue
            r = out[k]
            for pos in range(len(r) + 1):
                timing = time_route(inst, k, [*r[:pos], v, *r[pos:]])
                if timing is None:
                    continue
                key = (timing.end_time - end_k, k, pos, timing.end_time)
                if best is None or key < best:
                    best = key
        if best is None:
            continue
        _, k, pos, new_end = best
        out[k].insert(pos, v)
        ends[k] = new_end
        served.add(v)
        if g >= 0:
            groups.add(g)
    return out
