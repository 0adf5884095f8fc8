"""What every routing engine receives and returns, and shared helpers for scaling values to integers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimiser.routing.model import Instance, RoutingParams


@dataclass(frozen=True)
class EngineOutput:
    """Visit orders per crew (indices into the instance's visits), with status and optional bound."""

    routes: list[list[int]]
    engine: str
    status: str = "feasible"
    bound: float | None = None


def candidate_visits(inst: Instance) -> list[int]:
    """Visits worth routing: positive value and reachable alone by at least one allowed crew."""
    return [v for v in range(inst.num_visits) if inst.visits[v].value > 0 and inst.allowed[:, v].any()]


def route_budget(inst: Instance, crew: int) -> int:
    """Longest possible route duration of a crew in minutes (shift length less its break)."""
    c = inst.crews[crew]
    return max(0, c.shift_end - c.shift_start - max(0, c.break_minutes))


def prize_scale(inst: Instance, visits: Sequence[int], *, total_cost: int) -> float:
    """Factor turning values into integer prizes that outweigh any travel cost (lexicographic objective).

    Why: the engines minimise travel cost plus uncollected prizes; with every prize above the largest
    possible total travel (``total_cost``), collecting value always comes first and travel only breaks
    ties. The factor is capped so that prizes stay far from int64 overflow.
    """
    values = np.array([inst.visits[v].value for v in visits], dtype=float)
    values = values[values > 0]
    if values.size == 0:
        return 1.0
    scale = (total_cost + 1) / float(values.min())
    cap = 1e14 / (float(values.sum()) + 1.0)
    return float(min(scale, cap))


def work_seconds(params: RoutingParams) -> float:
    """Wall-clock seconds an engine may run: the limit itself, or the safety cap in deterministic mode."""
    if params.deterministic:
        return params.time_limit_seconds * params.wall_cap_factor
    return params.time_limit_seconds
