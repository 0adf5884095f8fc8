"""OR-Tools routing engine: optional visits as disjunctions, a time dimension, guided local search.

Kept as the measured alternative to PyVRP (benchmarks/top.py --engine ortools); breaks are approximated by
shortening the shift and settled by the caller's repair, as for PyVRP. In deterministic mode it runs greedy
descent to a local optimum; in wall-clock mode guided local search for the whole limit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimiser.routing.engine import EngineOutput, candidate_visits, prize_scale, route_budget
from optimiser.routing.model import Instance, RoutingParams

logger = logging.getLogger(__name__)


def solve_ortools(
    inst: Instance, params: RoutingParams, *, initial: Mapping[int, Sequence[int]] | None = None
) -> EngineOutput:
    """Solve with OR-Tools routing (one vehicle per crew, prizes as disjunction penalties)."""
    visits = candidate_visits(inst)
    if not visits:
        return EngineOutput([[] for _ in range(inst.num_crews)], "ortools")
    depot_locs: dict[int, int] = {}
    for c in inst.crews:
        depot_locs.setdefault(c.start_location, len(depot_locs))
        depot_locs.setdefault(c.end_location, len(depot_locs))
    nd = len(depot_locs)
    node_loc = list(depot_locs) + [inst.visits[v].location for v in visits]
    node_dwell = [0] * nd + [inst.visits[v].dwell_minutes for v in visits]
    starts = [depot_locs[c.start_location] for c in inst.crews]
    ends = [depot_locs[c.end_location] for c in inst.crews]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), inst.num_crews, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    total_cost = sum(route_budget(inst, k) for k in range(inst.num_crews))
    scale = prize_scale(inst, visits, total_cost=total_cost)
    prize = {v: round(inst.visits[v].value * scale) for v in visits}
    group_top: dict[int, int] = {}
    for v in visits:
        g = inst.group_of[v]
        if g >= 0:
            group_top[g] = max(group_top.get(g, 0), prize[v])
    # Serving a lower-value member of a group costs its shortfall to the group's best member.
    extra = [0] * nd + [group_top[inst.group_of[v]] - prize[v] if inst.group_of[v] >= 0 else 0 for v in visits]

    time_cb: dict[str, int] = {}
    cost_cb: dict[str, int] = {}
    for profile in sorted({c.profile for c in inst.crews}):
        mat = inst.matrices[profile]

        def travel(i: int, j: int, mat=mat) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return int(mat[node_loc[a], node_loc[b]]) + node_dwell[a]

        def cost(i: int, j: int, mat=mat) -> int:
            a, b = manager.IndexToNode(i), manager.IndexToNode(j)
            return int(mat[node_loc[a], node_loc[b]]) + extra[b]

        time_cb[profile] = routing.RegisterTransitCallback(travel)
        cost_cb[profile] = routing.RegisterTransitCallback(cost)
    horizon = max(c.shift_end for c in inst.crews)
    routing.AddDimensionWithVehicleTransits([time_cb[c.profile] for c in inst.crews], horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for k, c in enumerate(inst.crews):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[c.profile], k)
        last = c.shift_start + route_budget(inst, k)
        dim.CumulVar(routing.Start(k)).SetRange(c.shift_start, last)
        dim.CumulVar(routing.End(k)).SetRange(c.shift_start, last)
    groups: dict[int, list[int]] = {}
    for n, v in enumerate(visits, start=nd):
        index = manager.NodeToIndex(n)
        vis = inst.visits[v]
        dim.CumulVar(index).SetRange(vis.earliest_arrival, vis.latest_arrival)
        barred = [k for k in range(inst.num_crews) if not inst.allowed[k, v]]
        if barred:  # (SetAllowedVehiclesForIndex's Python binding rejects lists in OR-Tools 9.15)
            routing.VehicleVar(index).RemoveValues(barred)
        if inst.group_of[v] >= 0:
            groups.setdefault(inst.group_of[v], []).append(index)
        else:
            routing.AddDisjunction([index], prize[v])
    for g, members in groups.items():
        routing.AddDisjunction(members, group_top[g], 1)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    if params.deterministic:
        # Guided local search only stops on time, which would make results machine-dependent; greedy
        # descent stops at a local optimum, the same on every run.
        search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        search.time_limit.FromMilliseconds(int(1000 * params.time_limit_seconds * params.wall_cap_factor))
    else:
        search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        search.time_limit.FromMilliseconds(int(1000 * params.time_limit_seconds))
    node_of = {v: n for n, v in enumerate(visits, start=nd)}
    solution = None
    if initial:
        warm = [[node_of[v] for v in initial.get(k, []) if v in node_of] for k in range(inst.num_crews)]
        routing.CloseModelWithParameters(search)
        start = routing.ReadAssignmentFromRoutes(warm, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, search)
    if solution is None:
        solution = routing.SolveWithParameters(search)
    if solution is None:
        logger.debug("OR-Tools found no routes")
        return EngineOutput([[] for _ in range(inst.num_crews)], "ortools")
    routes: list[list[int]] = []
    for k in range(inst.num_crews):
        order = []
        index = solution.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            order.append(visits[manager.IndexToNode(index) - nd])
            index = solution.Value(routing.NextVar(index))
        routes.append(order)
    return EngineOutput(routes, "ortools")
