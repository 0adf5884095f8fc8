"""Exact CP-SAT engine for small routing cases: one circuit per crew with optional visits, windows and breaks.

It proves optima for tests and small shifts and gives ``engine="auto"`` a bound. Time is modelled exactly,
including the in-place break, so its routes need no repair.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

from optimiser import cpsat
from optimiser.routing.engine import EngineOutput, candidate_visits
from optimiser.routing.model import Instance, RoutingParams
from optimiser.routing.schedule import time_route

logger = logging.getLogger(__name__)


def _value_scale(values: Sequence[float]) -> float:
    """Power of ten turning values into integers with about six significant digits (1 for integers)."""
    if all(float(v).is_integer() for v in values):
        return 1.0
    top = max((abs(v) for v in values), default=1.0) or 1.0
    return float(10 ** max(0, 6 - math.ceil(math.log10(top))))


def solve_cpsat(
    inst: Instance, params: RoutingParams, *, initial: Mapping[int, Sequence[int]] | None = None
) -> EngineOutput:
    """Solve the routing case exactly (up to the time budget) with CP-SAT on one worker.

    Variables: an arc literal per crew and pair of its allowed visits (pruned when windows make the arc
    impossible), a self-loop literal for each skipped visit, the visit start time, each crew's return
    time, and for crews with a break its start, the gap holding it and whether it is taken before or
    after the leg's travel. The objective is the total value served; the best bound is reported.
    """
    visits = candidate_visits(inst)
    if not visits:
        return EngineOutput([[] for _ in range(inst.num_crews)], "cpsat", status="optimal", bound=0.0)
    scale = _value_scale([inst.visits[v].value for v in visits])
    m = cp_model.CpModel()
    t = {
        v: m.new_int_var(inst.visits[v].earliest_arrival, inst.visits[v].latest_arrival, f"arrive[v={v}]")
        for v in visits
    }
    served_by: dict[int, list[cp_model.LiteralT]] = {v: [] for v in visits}
    arcs_of: list[dict[tuple[int, int], cp_model.IntVar]] = []
    crew_visits: list[list[int]] = []
    for k, c in enumerate(inst.crews):
        mat = inst.travel(k)
        mine = [v for v in visits if inst.allowed[k, v]]
        crew_visits.append(mine)
        node_of = {v: i + 1 for i, v in enumerate(mine)}
        {0: c.start_location, **{node_of[v]: inst.visits[v].location for v in mine}}
        end = m.new_int_var(c.shift_start, c.shift_end, f"back[k={k}]")
        arcs: list[tuple[int, int, cp_model.IntVar]] = []
        arc_lit: dict[tuple[int, int], cp_model.IntVar] = {}
        empty = m.new_bool_var(f"empty[k={k}]")
        arcs.append((0, 0, empty))
        arc_lit[(0, 0)] = empty
        visited: dict[int, cp_model.LiteralT] = {}
        for v in mine:
            i = node_of[v]
            skip = m.new_bool_var(f"skip[k={k},v={v}]")
            arcs.append((i, i, skip))
            visited[v] = ~skip
            served_by[v].append(~skip)
        # Travel legs: (from node, to node) -> minutes; depot legs use the start/end locations.
        legs: dict[tuple[int, int], int] = {}
        for v in mine:
            i = node_of[v]
            legs[(0, i)] = int(mat[c.start_location, inst.visits[v].location])
            legs[(i, 0)] = int(mat[inst.visits[v].location, c.end_location])
            for w in mine:
                if w == v:
                    continue
                vis, wis = inst.visits[v], inst.visits[w]
                tt = int(mat[vis.location, wis.location])
                if vis.earliest_arrival + vis.dwell_minutes + tt > wis.latest_arrival:
                    continue  # windows make w unreachable after v
                legs[(i, node_of[w])] = tt
        legs[(0, 0)] = int(mat[c.start_location, c.end_location])
        visit_of = {i: v for v, i in node_of.items()}

        def depart(i: int, c=c, visit_of=visit_of) -> cp_model.LinearExprT:
            if i == 0:
                return c.shift_start
            v = visit_of[i]
            return t[v] + inst.visits[v].dwell_minutes

        def arrive(j: int, end=end, visit_of=visit_of) -> cp_model.LinearExprT:
            return end if j == 0 else t[visit_of[j]]

        for (i, j), tt in legs.items():
            if (i, j) == (0, 0):
                lit = empty
            else:
                lit = m.new_bool_var(f"arc[k={k},{i}->{j}]")
                arcs.append((i, j, lit))
                arc_lit[(i, j)] = lit
            m.add(arrive(j) >= depart(i) + tt).only_enforce_if(lit)
        m.add_circuit(arcs)
        window = c.break_window
        if window is not None:
            b = m.new_int_var(window[0], window[1], f"break[k={k}]")
            at_origin = m.new_bool_var(f"break_at_origin[k={k}]")
            gap = {0: m.new_bool_var(f"break_gap[k={k},0]")}
            for v in mine:
                gap[node_of[v]] = m.new_bool_var(f"break_gap[k={k},{node_of[v]}]")
                m.add_implication(gap[node_of[v]], visited[v])
            m.add_exactly_one(gap.values())
            bm = c.break_minutes
            for (i, j), tt in legs.items():
                lit = arc_lit[(i, j)]
                m.add(b >= depart(i)).only_enforce_if([lit, gap[i], at_origin])
                m.add(b + bm + tt <= arrive(j)).only_enforce_if([lit, gap[i], at_origin])
                m.add(b >= depart(i) + tt).only_enforce_if([lit, gap[i], ~at_origin])
                m.add(b + bm <= arrive(j)).only_enforce_if([lit, gap[i], ~at_origin])
        arcs_of.append({(i, j): lit for i, j, lit in arcs})
        if initial and k in initial:
            _hint(m, inst, k, [v for v in initial[k] if v in node_of], node_of, arc_lit, t, end)
    for v in visits:
        m.add_at_most_one(served_by[v])
    groups: dict[int, list[int]] = {}
    for v in visits:
        if inst.group_of[v] >= 0:
            groups.setdefault(inst.group_of[v], []).append(v)
    for members in groups.values():
        if len(members) > 1:
            m.add_at_most_one([lit for v in members for lit in served_by[v]])
    coeff = {v: round(inst.visits[v].value * scale) for v in visits}
    m.maximize(sum(coeff[v] * lit for v in visits for lit in served_by[v]))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = params.seed
    if params.deterministic:
        solver.parameters.max_deterministic_time = params.time_limit_seconds
        solver.parameters.max_time_in_seconds = params.time_limit_seconds * params.wall_cap_factor
    else:
        solver.parameters.max_time_in_seconds = params.time_limit_seconds
    status = cpsat.solve(solver, m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        logger.debug("CP-SAT found no routes (%s)", solver.status_name(status))
        return EngineOutput([[] for _ in range(inst.num_crews)], "cpsat")
    routes: list[list[int]] = []
    for k in range(inst.num_crews):
        succ = {i: j for (i, j), lit in arcs_of[k].items() if i != j and solver.boolean_value(lit)}
        order, node = [], succ.get(0, 0)
        while node != 0:
            order.append(crew_visits[k][node - 1])
            node = succ[node]
        routes.append(order)
    bound = solver.best_objective_bound / scale
    return EngineOutput(
        routes, "cpsat", status="optimal" if status == cp_model.OPTIMAL else "feasible", bound=float(bound)
    )


def _hint(
    m: cp_model.CpModel,
    inst: Instance,
    k: int,
    order: Sequence[int],
    node_of: Mapping[int, int],
    arc_lit: Mapping[tuple[int, int], cp_model.IntVar],
    t: Mapping[int, cp_model.IntVar],
    end: cp_model.IntVar,
) -> None:
    """Hint one crew's warm-start route (arcs and times) when it is feasible in the exact model."""
    timing = time_route(inst, k, order)
    if timing is None:
        return
    nodes = [0, *(node_of[v] for v in order), 0]
    used = set(itertools.pairwise(nodes)) if order else {(0, 0)}
    if any(p not in arc_lit for p in used):
        return
    for pair, lit in arc_lit.items():
        m.add_hint(lit, pair in used)
    for v, a in zip(order, timing.arrive, strict=True):
        m.add_hint(t[v], a)
    m.add_hint(end, timing.end_time)
