"""PyVRP engine: prize-collecting VRP with time windows solved by PyVRP's iterated local search."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyvrp
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, RandomNumberGenerator, Solution, VehicleType
from pyvrp.search import (
    OPERATORS,
    LocalSearch,
    NeighbourhoodParams,
    PerturbationManager,
    PerturbationParams,
    compute_neighbours,
)
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

from optimiser.routing.engine import EngineOutput, candidate_visits, prize_scale, route_budget, work_seconds
from optimiser.routing.model import Instance, RoutingParams

logger = logging.getLogger(__name__)

#: Deterministic budget: ``time_limit * _ITER_RATE * 100 / clients`` iterations, or half of that
#: without improving the best solution, whichever comes first. PyVRP ran 1,600-5,400 iterations per
#: second on 100-client TOPTW instances on the reference 2-core machine, but only about 300 on patrol
#: cases with many crews and narrow windows, so the time limit is a target, not a promise.
_ITER_RATE = 1200.0
#: Initial penalty per unit of time warp / excess duration, relative to (median prize / typical leg).
_PENALTY_START = 1.0
#: Penalties may move this factor above or below their start.
_PENALTY_RANGE = 1000.0


class _Model:
    """Index maps between the routing instance and the PyVRP problem data."""

    def __init__(self, inst: Instance, visits: Sequence[int]) -> None:
        self.inst = inst
        self.visits = list(visits)  # client index -> visit index
        self.client_of = {v: i for i, v in enumerate(self.visits)}
        self.distance_mode = _windows_never_bind(inst, self.visits)
        depots: dict[int, int] = {}
        for c in inst.crews:
            depots.setdefault(c.start_location, len(depots))
            depots.setdefault(c.end_location, len(depots))
        self.depot_locs = list(depots)  # depot index -> matrix location
        self.depot_of = depots
        # Vehicle types: crews that are interchangeable (same base, shift, profile and allowed visits).
        allowed = inst.allowed[:, self.visits]
        types: dict[tuple[object, ...], list[int]] = {}
        for k, c in enumerate(inst.crews):
            key = (
                c.start_location,
                c.end_location,
                c.shift_start,
                c.shift_start + route_budget(inst, k),
                c.profile,
                allowed[k].tobytes(),
            )
            types.setdefault(key, []).append(k)
        self.type_crews = list(types.values())  # vehicle type -> crew indices
        self.type_of = {k: t for t, ks in enumerate(self.type_crews) for k in ks}
        profiles: dict[tuple[str, bytes], int] = {}
        self.type_profile = []
        for ks in self.type_crews:
            k = ks[0]
            self.type_profile.append(profiles.setdefault((inst.crews[k].profile, allowed[k].tobytes()), len(profiles)))
        self.profiles = list(profiles)
        self.data = self._build()

    def _build(self) -> ProblemData:
        inst = self.inst
        nd = len(self.depot_locs)
        locs = np.array(self.depot_locs + [inst.visits[v].location for v in self.visits], dtype=np.int64)
        dwell = np.array([0] * nd + [inst.visits[v].dwell_minutes for v in self.visits], dtype=np.int64)
        locations = [Location(0.0, 0.0) for _ in locs]
        depots = [Depot(i) for i in range(nd)]
        total_cost = sum(len(ks) * route_budget(inst, ks[0]) for ks in self.type_crews)
        self.scale = prize_scale(inst, self.visits, total_cost=total_cost)
        self.prizes = [round(inst.visits[v].value * self.scale) for v in self.visits]
        groups: dict[int, list[int]] = {}
        for i, v in enumerate(self.visits):
            if inst.group_of[v] >= 0:
                groups.setdefault(inst.group_of[v], []).append(i)
        multi = {g: m for g, m in groups.items() if len(m) > 1}
        group_idx = {g: j for j, g in enumerate(sorted(multi))}
        clients = []
        for i, v in enumerate(self.visits):
            vis = inst.visits[v]
            g = group_idx.get(inst.group_of[v])
            if self.distance_mode:
                clients.append(Client(nd + i, prize=self.prizes[i], required=False, group=g, name=vis.visit_id))
            else:
                clients.append(
                    Client(
                        nd + i,
                        service_duration=vis.dwell_minutes,
                        tw_early=vis.earliest_arrival,
                        tw_late=vis.latest_arrival,
                        prize=self.prizes[i],
                        required=False,
                        group=g,
                        name=vis.visit_id,
                    )
                )
        client_groups = [ClientGroup(multi[g], required=False) for g in sorted(multi)]
        dist_mats: list[Any] = []
        dur_mats: list[Any] = []
        # "This crew may not go there": longer than any shift, yet small enough that penalties times
        # violations stay far from int64 overflow (a huge sentinel made PyVRP's search cycle).
        longest = max(route_budget(inst, k) for k in range(inst.num_crews))
        biggest = max(int(inst.matrices[p].max(initial=0)) for p, _ in self.profiles) + int(dwell.max(initial=0))
        self.forbidden = forbidden_value = 2 * (longest + biggest) + 1
        for profile, allowed_bytes in self.profiles:
            base = inst.matrices[profile][np.ix_(locs, locs)].astype(np.int64)
            allowed = np.frombuffer(allowed_bytes, dtype=bool)
            forbidden = np.concatenate([np.zeros(nd, dtype=bool), ~allowed])
            if self.distance_mode:
                dist = base + dwell[:, None]
                dist[forbidden, :] = forbidden_value
                dist[:, forbidden] = forbidden_value
                np.fill_diagonal(dist, 0)
                dur = np.zeros_like(dist)
            else:
                dist = base.copy()
                dist[forbidden, :] = forbidden_value
                dist[:, forbidden] = forbidden_value
                np.fill_diagonal(dist, 0)
                dur = dist.copy()
            dist_mats.append(dist)
            dur_mats.append(dur)
        vehicle_types = []
        for t, ks in enumerate(self.type_crews):
            c = inst.crews[ks[0]]
            budget = route_budget(inst, ks[0])
            start, end = self.depot_of[c.start_location], self.depot_of[c.end_location]
            if self.distance_mode:
                vehicle_types.append(
                    VehicleType(
                        len(ks),
                        start_depot=start,
                        end_depot=end,
                        max_distance=budget,
                        profile=self.type_profile[t],
                        name=c.crew_id,
                    )
                )
            else:
                vehicle_types.append(
                    VehicleType(
                        len(ks),
                        start_depot=start,
                        end_depot=end,
                        tw_early=c.shift_start,
                        tw_late=c.shift_start + budget,
                        profile=self.type_profile[t],
                        name=c.crew_id,
                    )
                )
        return ProblemData(locations, clients, depots, vehicle_types, dist_mats, dur_mats, client_groups)

    def initial_penalty(self) -> float:
        """Penalty per unit of violation at which collecting a median prize stops paying off."""
        prizes = np.array(self.prizes, dtype=float)
        mat = self.data.distance_matrix(0)
        nd = len(self.depot_locs)
        sub = mat[nd:, nd:].astype(float)
        sub[sub >= self.forbidden] = np.inf
        np.fill_diagonal(sub, np.inf)
        legs = sub.min(axis=1) if sub.size else np.array([])
        legs = legs[np.isfinite(legs)]
        leg = max(1.0, float(np.median(legs))) if legs.size else 1.0
        return _PENALTY_START * float(np.median(prizes)) / leg

    def to_solution(self, routes: Mapping[int, Sequence[int]]) -> Solution | None:
        """PyVRP solution from crew routes (visit indices); ``None`` if a route uses no known client."""
        pv_routes = []
        for k, order in routes.items():
            clients = [self.client_of[v] for v in order if v in self.client_of]
            if clients:
                pv_routes.append(pyvrp.Route(self.data, clients, self.type_of[k]))
        if not pv_routes:
            return None
        return Solution(self.data, pv_routes)

    def from_solution(self, sol: Solution) -> list[list[int]]:
        """Crew routes (visit indices) from a PyVRP solution; routes of one type go to its crews in order."""
        out: list[list[int]] = [[] for _ in range(self.inst.num_crews)]
        used = [0] * len(self.type_crews)
        for r in sol.routes():
            t = r.vehicle_type()
            k = self.type_crews[t][used[t]]
            used[t] += 1
            out[k] = [self.visits[a.idx] for a in r if a.is_client()]
        return out


def _windows_never_bind(inst: Instance, visits: Sequence[int]) -> bool:
    """True if no visit window can ever make a crew wait or be late on any feasible route.

    Then time is just route duration (travel plus dwell) against the shift length, and the faster
    distance-constrained PyVRP model is exact: a visit's arrival always lies in
    [shift start + travel from start, shift end - dwell - travel to end] for the crews allowed to serve it.
    """
    for k, c in enumerate(inst.crews):
        mat = inst.travel(k)
        end = c.shift_start + route_budget(inst, k)
        if c.break_minutes > 0:
            return False
        for v in visits:
            if not inst.allowed[k, v]:
                continue
            vis = inst.visits[v]
            if vis.earliest_arrival > c.shift_start + int(mat[c.start_location, vis.location]):
                return False
            if vis.latest_arrival < end - vis.dwell_minutes - int(mat[vis.location, c.end_location]):
                return False
    return True


def solve_pyvrp(
    inst: Instance, params: RoutingParams, *, initial: Mapping[int, Sequence[int]] | None = None
) -> EngineOutput:
    """Solve with PyVRP's iterated local search (prize-collecting, time windows, groups, many depots).

    Crew restrictions become forbidden edges in a per-type routing profile; breaks are approximated by
    shortening the shift by the break length and settled exactly afterwards by the caller's repair.
    """
    visits = candidate_visits(inst)
    if not visits:
        return EngineOutput([[] for _ in range(inst.num_crews)], "pyvrp")
    model = _Model(inst, visits)
    data = model.data
    rng = RandomNumberGenerator(seed=params.seed)
    neighbours = compute_neighbours(data, NeighbourhoodParams(num_neighbours=min(50, max(1, len(visits) - 1))))
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(PerturbationParams()))
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    p0 = max(1.0, model.initial_penalty())
    pen_params = pyvrp.PenaltyParams(min_penalty=p0 / _PENALTY_RANGE, max_penalty=p0 * _PENALTY_RANGE)
    pm = pyvrp.PenaltyManager(([], p0, p0), pen_params)
    init = model.to_solution(initial) if initial else None
    if init is None:
        init = ls(Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    stop: StoppingCriterion
    if params.deterministic:
        iters = max(100, int(params.time_limit_seconds * _ITER_RATE * 100 / max(10, len(visits))))
        stale = max(200, iters // 2)
        stop = MultipleCriteria([MaxIterations(iters), NoImprovement(stale), MaxRuntime(work_seconds(params))])
    else:
        iters = stale = 0
        stop = MaxRuntime(params.time_limit_seconds)
    algo = pyvrp.IteratedLocalSearch(data, pm, ls, init)
    t0 = time.perf_counter()
    res = algo.run(stop, collect_stats=False)
    if params.deterministic and time.perf_counter() - t0 >= work_seconds(params):
        logger.warning(
            "PyVRP stopped on the wall-clock cap after %d of %d iterations (%.1f s); the routes may differ "
            "between runs on this machine",
            res.num_iterations,
            iters,
            time.perf_counter() - t0,
        )
    logger.debug(
        "PyVRP: %d clients, %s model, %d iterations in %.2f s",
        len(visits),
        "distance" if model.distance_mode else "time-window",
        res.num_iterations,
        time.perf_counter() - t0,
    )
    best = res.best
    if not best.is_feasible():
        logger.debug("PyVRP found no solution feasible in its model; returning empty routes")
        return EngineOutput([[] for _ in range(inst.num_crews)], "pyvrp")
    return EngineOutput(model.from_solution(best), "pyvrp")
