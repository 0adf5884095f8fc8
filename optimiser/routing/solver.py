"""The routing front door: validate, run the chosen engine, repair and time the routes, check, return."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import numpy as np

from optimiser.errors import DataError
from optimiser.routing.engine import EngineOutput, candidate_visits
from optimiser.routing.model import (
    ENGINES,
    CandidateVisit,
    Instance,
    RoutingCrew,
    RoutingParams,
    RoutingResult,
    build_instance,
)
from optimiser.routing.repair import fill, make_feasible, sanitise
from optimiser.routing.schedule import check_routes, time_route, to_stops

logger = logging.getLogger(__name__)

#: Parameters used when the caller gives none.
DEFAULT_PARAMS = RoutingParams()
#: ``engine="auto"`` adds an exact CP-SAT pass when the case is at most this many candidate visits ...
AUTO_EXACT_MAX_VISITS = 20
#: ... and at most this many (crew, visit) pairs.
AUTO_EXACT_MAX_PAIRS = 80


def solve(
    crews: Sequence[RoutingCrew],
    visits: Sequence[CandidateVisit],
    matrices: Mapping[str, np.ndarray],
    *,
    params: RoutingParams = DEFAULT_PARAMS,
    initial_routes: Mapping[str, Sequence[str]] | None = None,
) -> RoutingResult:
    """Choose and sequence visits for every crew to collect the most value (team orienteering with windows).

    Parameters
    ----------
    crews
        Crews on shift; each gets one route from its start to its end location inside its shift.
    visits
        Candidate visits with value, dwell (minutes) and an arrival window (absolute minutes).
    matrices
        Travel time in whole minutes per profile, ``matrices[crew.profile][i, j]`` from location i to j.
    params
        Engine, time limit, seed and determinism (see :class:`RoutingParams`).
    initial_routes
        Optional warm start, visit ids in order per crew id. Engines that can start from it do; the
        result is never worse than the warm start when the warm start is itself feasible.

    Returns
    -------
    RoutingResult
        Timed routes that :func:`check_routes` accepts (checked before returning).

    Raises
    ------
    DataError
        When the input is inconsistent (unknown profile, index outside the matrix, empty window, ...).
    InfeasibleError
        When a crew cannot even get from its start to its end location within its shift.
    """
    t0 = time.perf_counter()
    if params.engine not in ENGINES:
        raise DataError(f"routing engine {params.engine!r} is unknown; use one of {', '.join(ENGINES)}")
    inst = build_instance(crews, visits, matrices)
    initial = _initial_routes(inst, initial_routes)
    outputs: list[EngineOutput] = []
    engine = params.engine
    if engine in ("auto", "pyvrp"):
        from optimiser.routing.pyvrp_engine import solve_pyvrp

        outputs.append(solve_pyvrp(inst, params, initial=initial))
    if engine == "ortools":
        from optimiser.routing.ortools_engine import solve_ortools

        outputs.append(solve_ortools(inst, params, initial=initial))
    small = len(candidate_visits(inst)) <= AUTO_EXACT_MAX_VISITS and int(inst.allowed.sum()) <= AUTO_EXACT_MAX_PAIRS
    if engine == "cpsat" or (engine == "auto" and small):
        from optimiser.routing.cpsat_engine import solve_cpsat

        hint = initial
        if outputs:
            hint = dict(enumerate(_finish(inst, outputs[0].routes)))
        outputs.append(solve_cpsat(inst, params, initial=hint))

    best_routes: list[list[int]] | None = None
    best_value = -1.0
    best_engine = engine
    bound: float | None = None
    for out in outputs:
        if out.bound is not None:
            bound = out.bound if bound is None else min(bound, out.bound)
        routes = _finish(inst, out.routes)
        value = _value(inst, routes)
        if value > best_value + 1e-9:
            best_routes, best_value, best_engine = routes, value, out.engine
    if initial is not None:
        warm = [initial.get(k, []) for k in range(inst.num_crews)]
        if all(time_route(inst, k, r) is not None for k, r in enumerate(warm)):
            value = _value(inst, warm)
            if value > best_value + 1e-9:
                best_routes, best_value, best_engine = warm, value, "warm_start"
    if best_routes is None:
        best_routes = [[] for _ in range(inst.num_crews)]
        best_value = 0.0
    # Optimal when the value reaches CP-SAT's proven bound (whichever engine found the routes).
    proven = bound is not None and best_value >= bound - 1e-6 * max(1.0, abs(bound))
    status = "optimal" if proven else "feasible"
    result = _result(inst, best_routes, engine=best_engine, status=status, bound=bound, t0=t0)
    problems = check_routes(inst.crews, inst.visits, inst.matrices, result)
    if problems:  # a bug if it happens: never hand out an infeasible route
        raise RuntimeError("routing produced infeasible routes:\n  " + "\n  ".join(problems))
    logger.info(
        "routing: %d crews, %d visits, served %d, value %.3f (%s, %s) in %.2f s",
        inst.num_crews,
        inst.num_visits,
        sum(len(r) for r in result.routes.values()),
        result.value,
        result.engine,
        result.status,
        result.seconds,
    )
    return result


def _initial_routes(inst: Instance, initial_routes: Mapping[str, Sequence[str]] | None) -> dict[int, list[int]] | None:
    if not initial_routes:
        return None
    crew_idx = {c.crew_id: k for k, c in enumerate(inst.crews)}
    visit_idx = {v.visit_id: i for i, v in enumerate(inst.visits)}
    problems = [f"initial_routes: unknown crew {cid!r}" for cid in initial_routes if cid not in crew_idx]
    problems += [
        f"initial_routes[{cid!r}]: unknown visit {vid!r}"
        for cid, ids in initial_routes.items()
        for vid in ids
        if vid not in visit_idx
    ]
    if problems:
        raise DataError("routing warm start is invalid:\n  " + "\n  ".join(problems))
    raw = {crew_idx[cid]: [visit_idx[v] for v in ids] for cid, ids in initial_routes.items()}
    clean = sanitise(inst, [raw.get(k, []) for k in range(inst.num_crews)])
    return {k: r for k, r in enumerate(clean) if k in raw}


def _finish(inst: Instance, routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """Sanitise, repair (exact break and timing) and refill engine routes."""
    clean = sanitise(inst, routes)
    feasible, dropped = make_feasible(inst, clean)
    if dropped or any(c.break_minutes > 0 for c in inst.crews):
        feasible = fill(inst, feasible)
    return feasible


def _value(inst: Instance, routes: Sequence[Sequence[int]]) -> float:
    return float(sum(inst.visits[v].value for r in routes for v in r))


def _result(
    inst: Instance, routes: Sequence[Sequence[int]], *, engine: str, status: str, bound: float | None, t0: float
) -> RoutingResult:
    stops, breaks, ends = {}, {}, {}
    for k, crew in enumerate(inst.crews):
        timing = time_route(inst, k, routes[k])
        if timing is None:  # _finish guarantees feasibility; this is a bug guard
            raise RuntimeError(f"route of crew {crew.crew_id} lost feasibility after repair")
        stops[crew.crew_id] = to_stops(inst, routes[k], timing)
        breaks[crew.crew_id] = timing.break_start
        ends[crew.crew_id] = timing.end_time
    served = {v for r in routes for v in r}
    return RoutingResult(
        routes=stops,
        break_start=breaks,
        end_time=ends,
        value=_value(inst, routes),
        engine=engine,
        status=status,
        bound=bound,
        seconds=time.perf_counter() - t0,
        unserved=[inst.visits[v].visit_id for v in range(inst.num_visits) if v not in served],
    )
