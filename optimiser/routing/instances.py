"""Published orienteering benchmarks (Chao et al. TOP, Solomon/Cordeau TOPTW) as routing inputs.

The functions read instance *text* (the caller opens the file), so the routing package stays free of I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimiser.errors import DataError
from optimiser.routing.model import CandidateVisit, RoutingCrew


@dataclass(frozen=True)
class TopInstance:
    """A team orienteering instance (with optional time windows), as published.

    Attributes
    ----------
    name : str
        Instance name (file stem).
    xy : np.ndarray
        Point coordinates, shape (n, 2).
    score : np.ndarray
        Score of each point, shape (n,); start and end points score 0.
    num_vehicles : int
        Number of routes (m).
    tmax : float
        Route length limit (Chao) or end of the depot time window (TOPTW), in the instance's units.
    start, end : int
        Indices of the start and end point.
    service, open, close : np.ndarray | None
        TOPTW only: service duration and window on the service start per point.
    decimals : int | None
        TOPTW only: distances are Euclidean truncated to this many decimals (1 Solomon, 2 Cordeau); Chao
        distances are exact Euclidean (``None``).
    """

    name: str
    xy: np.ndarray
    score: np.ndarray
    num_vehicles: int
    tmax: float
    start: int
    end: int
    service: np.ndarray | None = None
    open: np.ndarray | None = None
    close: np.ndarray | None = None
    decimals: int | None = None

    @property
    def size(self) -> int:
        """Number of points including start and end."""
        return len(self.score)

    def distances(self) -> np.ndarray:
        """True distances between points (float): Euclidean, truncated for TOPTW instances."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=-1))
        if self.decimals is not None:
            factor = 10**self.decimals
            dist = np.floor(dist * factor + 1e-9) / factor
        return dist


def parse_chao(text: str, *, name: str = "") -> TopInstance:
    """Parse a Chao, Golden & Wasil (1996) TOP file: ``n N``, ``m M``, ``tmax T``, then ``x y score`` lines.

    The first point is the start and the last point the end of every route.
    """
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    try:
        header = {ln[0]: ln[1] for ln in lines[:3]}
        n, m, tmax = int(header["n"]), int(header["m"]), float(header["tmax"])
        rows = np.array([[float(t) for t in ln[:3]] for ln in lines[3 : 3 + n]], dtype=float)
    except (KeyError, ValueError, IndexError) as exc:
        raise DataError(
            f"{name or 'TOP instance'}: not in Chao format (n/m/tmax header, x y score lines): {exc}"
        ) from exc
    if rows.shape != (n, 3):
        raise DataError(f"{name or 'TOP instance'}: header says n {n} but {rows.shape[0]} point lines follow")
    return TopInstance(name=name, xy=rows[:, :2], score=rows[:, 2], num_vehicles=m, tmax=tmax, start=0, end=n - 1)


def parse_toptw(text: str, *, name: str = "", num_vehicles: int = 1, decimals: int = 1) -> TopInstance:
    """Parse a TOPTW file in the Vansteenwegen/Montemanni format (``i x y d S f a list O C`` lines).

    Point 0 is start and end; the route must be back by its window close (Tmax). ``decimals`` is 1 for
    Solomon-based files and 2 for Cordeau-based (``pr``) files, as the format note prescribes.
    """
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    try:
        count = int(lines[0][2])
        nodes = []
        for ln in lines[1:]:
            if len(ln) < 9:
                continue
            a = int(ln[6])
            x, y, d, s = (float(t) for t in ln[1:5])
            o, c = float(ln[7 + a]), float(ln[8 + a])
            nodes.append((x, y, d, s, o, c))
    except (ValueError, IndexError) as exc:
        raise DataError(f"{name or 'TOPTW instance'}: not in TOPTW format ({exc})") from exc
    if len(nodes) != count + 1:
        raise DataError(f"{name or 'TOPTW instance'}: header says {count} customers, found {len(nodes) - 1}")
    arr = np.array(nodes, dtype=float)
    return TopInstance(
        name=name,
        xy=arr[:, :2],
        score=arr[:, 3],
        num_vehicles=num_vehicles,
        tmax=float(arr[0, 5]),
        start=0,
        end=0,
        service=arr[:, 2],
        open=arr[:, 4],
        close=arr[:, 5],
        decimals=decimals,
    )


def to_routing(
    inst: TopInstance, *, scale: int | None = None, relax: bool = False
) -> tuple[list[RoutingCrew], list[CandidateVisit], dict[str, np.ndarray], int]:
    """Routing input for a TOP/TOPTW instance, in integer time units of ``1/scale``.

    Chao distances are irrational, so they are scaled (default 10^4) and rounded **up**, and Tmax rounded
    **down**: a route feasible in integers is then feasible in true distance. With ``relax=True`` the
    rounding goes the other way (distances down, Tmax up), so every route feasible in true distance stays
    feasible: an exact solve of the relaxed input gives an upper bound valid in true distance. TOPTW
    distances are already truncated to ``decimals`` decimals, so scaling by ``10**decimals`` (the default)
    is exact and ``relax`` changes nothing.

    Returns crews, visits (``visit_id`` = point index as text), ``{"euclid": matrix}`` and the scale.
    """
    dist = inst.distances()
    if inst.decimals is None:
        scale = scale or 10**4
        # Rounded up: never below the true distance (down when relaxing: never above).
        mat = (np.maximum(np.floor(dist * scale - 1e-6), 0) if relax else np.ceil(dist * scale)).astype(np.int64)
    else:
        scale = scale or 10**inst.decimals
        mat = np.floor(dist * scale + 1e-6).astype(np.int64)
    np.fill_diagonal(mat, 0)
    horizon = math.ceil(inst.tmax * scale + 1e-6) if relax else math.floor(inst.tmax * scale + 1e-9)
    t_open = 0 if inst.open is None else _exact(inst.open[inst.start] * scale)
    crews = [RoutingCrew(f"v{k}", inst.start, inst.end, t_open, horizon, "euclid") for k in range(inst.num_vehicles)]
    visits = []
    for i in range(inst.size):
        if i in (inst.start, inst.end):
            continue
        if inst.service is None or inst.open is None or inst.close is None:
            dwell, early, late = 0, t_open, horizon
        else:
            dwell = _exact(inst.service[i] * scale)
            early, late = _exact(inst.open[i] * scale), _exact(inst.close[i] * scale)
        visits.append(CandidateVisit(str(i), i, float(inst.score[i]), dwell, early, late))
    return crews, visits, {"euclid": mat}, scale


def _exact(x: float) -> int:
    r = round(x)
    if abs(r - x) > 1e-6:
        raise DataError(f"time value {x} is not a whole number of scaled units; pass a larger scale")
    return int(r)


def route_length(inst: TopInstance, route: Sequence[int]) -> float:
    """True length of a route given as point indices including start and end."""
    dist = inst.distances()
    return float(sum(dist[a, b] for a, b in itertools.pairwise(route)))


def check_top_routes(inst: TopInstance, routes: Sequence[Sequence[int]]) -> list[str]:
    """Independent check of TOP/TOPTW routes in true distance; returns violation messages (empty = ok).

    Each route must start at the start and end at the end point, have length <= Tmax (Chao) or meet every
    window with waiting allowed and be back by Tmax (TOPTW), and no point may be visited twice overall.
    """
    out: list[str] = []
    if len(routes) > inst.num_vehicles:
        out.append(f"{len(routes)} routes for {inst.num_vehicles} vehicles")
    seen: set[int] = set()
    dist = inst.distances()
    for r, route in enumerate(routes):
        if len(route) < 2 or route[0] != inst.start or route[-1] != inst.end:
            out.append(f"route {r} must run from point {inst.start} to point {inst.end}")
            continue
        for p in route[1:-1]:
            if p in seen or p in (inst.start, inst.end):
                out.append(f"route {r}: point {p} visited twice")
            seen.add(p)
        if inst.open is None or inst.close is None or inst.service is None:
            length = route_length(inst, route)
            if length > inst.tmax + 1e-9:
                out.append(f"route {r}: length {length:.6f} exceeds tmax {inst.tmax}")
            continue
        t = float(inst.open[inst.start])
        for a, b in itertools.pairwise(route):
            t = t + (float(inst.service[a]) if a != inst.start else 0.0) + dist[a, b]
            if b == inst.end:
                break
            t = max(t, float(inst.open[b]))
            if t > inst.close[b] + 1e-9:
                out.append(f"route {r}: point {b} starts at {t:.2f}, after its window closes {inst.close[b]}")
        if t > inst.tmax + 1e-9:
            out.append(f"route {r}: back at {t:.2f}, after tmax {inst.tmax}")
    return out
