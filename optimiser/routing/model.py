"""Routing inputs and outputs: crews, candidate visits, solver parameters, timed routes, input checks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from optimiser.errors import DataError, InfeasibleError

ENGINES = ("auto", "pyvrp", "ortools", "cpsat")


@dataclass(frozen=True)
class RoutingCrew:
    """One patrol crew on one shift: where it starts and ends, when, and how it travels.

    Attributes
    ----------
    crew_id : str
        Unique name of the crew (a warden or officer pair on one shift).
    start_location, end_location : int
        Row/column indices into the travel-time matrices (the base or the first/last point).
    shift_start, shift_end : int
        Shift window in absolute minutes (e.g. from the week start). The crew leaves the start location
        no earlier than ``shift_start`` and must be back at ``end_location`` by ``shift_end``.
    profile : str
        Key into the ``matrices`` mapping (``"walk"``, ``"drive"``).
    break_minutes : int
        Length of an unpaid break taken in place (standing still, not during a visit), in minutes; 0 means
        no break.
    break_earliest, break_latest : int | None
        Window for the break *start*, absolute minutes. ``None`` means the shift start, respectively the
        latest start that still ends inside the shift.
    """

    crew_id: str
    start_location: int
    end_location: int
    shift_start: int
    shift_end: int
    profile: str
    break_minutes: int = 0
    break_earliest: int | None = None
    break_latest: int | None = None

    @property
    def break_window(self) -> tuple[int, int] | None:
        """Earliest and latest break start in minutes, or ``None`` when the crew takes no break."""
        if self.break_minutes <= 0:
            return None
        earliest = self.shift_start if self.break_earliest is None else self.break_earliest
        latest = self.shift_end - self.break_minutes if self.break_latest is None else self.break_latest
        return earliest, latest


@dataclass(frozen=True)
class CandidateVisit:
    """One visit a crew may make: a stay of ``dwell_minutes`` at a hotspot, worth ``value`` if made.

    Attributes
    ----------
    visit_id : str
        Unique name of the visit.
    location : int
        Index into the travel-time matrices.
    value : float
        Prize collected if the visit is served (harm-weighted patrol value); non-negative.
    dwell_minutes : int
        Time spent at the hotspot (service time), in minutes.
    earliest_arrival, latest_arrival : int
        Window on the visit start (arrival), absolute minutes. A crew arriving earlier waits.
    group : str | None
        Visits sharing a group are alternatives (for example one hotspot visit offered at several times):
        at most one of them is served.
    crews : frozenset[str] | None
        Crew ids allowed to serve the visit; ``None`` means any crew.
    """

    visit_id: str
    location: int
    value: float
    dwell_minutes: int
    earliest_arrival: int
    latest_arrival: int
    group: str | None = None
    crews: frozenset[str] | None = None


@dataclass(frozen=True)
class RoutingParams:
    """Solver settings for :func:`optimiser.routing.solve`.

    Attributes
    ----------
    time_limit_seconds : float
        Search budget in seconds per call.
    seed : int
        Seed of every random choice; equal inputs and seed give equal routes when ``deterministic``.
    engine : str
        ``"pyvrp"`` (iterated local search, the default behind ``"auto"``), ``"ortools"`` (OR-Tools
        routing with guided local search), ``"cpsat"`` (exact CP-SAT model, for small cases) or
        ``"auto"`` (PyVRP, then CP-SAT to prove or improve the result when the case is small).
    deterministic : bool
        When true (the default) the searches stop on a work budget derived from ``time_limit_seconds``
        and the instance size (PyVRP iterations, CP-SAT deterministic time, OR-Tools solution count), so
        results repeat on any machine; a wall-clock cap of ``wall_cap_factor`` times the limit guards
        against slow machines and is logged when it cuts a search short. When false the searches run
        for exactly the wall-clock limit, as benchmark protocols do.
    wall_cap_factor : float
        Multiple of ``time_limit_seconds`` after which a deterministic search is cut short.
    """

    time_limit_seconds: float = 2.0
    seed: int = 0
    engine: str = "auto"
    deterministic: bool = True
    wall_cap_factor: float = 4.0


@dataclass(frozen=True)
class Stop:
    """A served visit on a route: arrival (= visit start) and departure, in integer minutes."""

    visit_id: str
    arrive: int
    depart: int


@dataclass(frozen=True)
class RoutingResult:
    """Routes chosen for every crew, their timing and how they were found.

    Attributes
    ----------
    routes : dict[str, list[Stop]]
        Served visits per crew id in visiting order (every crew has an entry, possibly empty).
    break_start : dict[str, int | None]
        Break start per crew in minutes (``None`` for crews without a break).
    end_time : dict[str, int]
        Arrival at the end location per crew, minutes.
    value : float
        Sum of the values of the served visits.
    engine : str
        Engine that produced the routes (``"pyvrp"``, ``"ortools"``, ``"cpsat"``, or ``"warm_start"`` when
        the given initial routes were kept because no engine beat them).
    status : str
        ``"optimal"`` when CP-SAT proved the value optimal, otherwise ``"feasible"``.
    bound : float | None
        Proven upper bound on the value (CP-SAT only).
    seconds : float
        Wall-clock time of the call.
    unserved : list[str]
        Candidate visit ids not served, in input order.
    """

    routes: dict[str, list[Stop]]
    break_start: dict[str, int | None]
    end_time: dict[str, int]
    value: float
    engine: str
    status: str
    bound: float | None
    seconds: float
    unserved: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Instance:
    """Validated routing input with integer indices, shared by the engines (internal)."""

    crews: tuple[RoutingCrew, ...]
    visits: tuple[CandidateVisit, ...]
    matrices: Mapping[str, np.ndarray]
    allowed: np.ndarray  # bool [crew, visit]: crew may serve the visit and can reach it alone
    group_of: tuple[int, ...]  # group index per visit, -1 when none

    @property
    def num_crews(self) -> int:
        """Number of crews."""
        return len(self.crews)

    @property
    def num_visits(self) -> int:
        """Number of candidate visits."""
        return len(self.visits)

    def travel(self, crew: int) -> np.ndarray:
        """Travel-time matrix (int minutes) of a crew's profile."""
        return self.matrices[self.crews[crew].profile]


def build_instance(
    crews: Sequence[RoutingCrew], visits: Sequence[CandidateVisit], matrices: Mapping[str, np.ndarray]
) -> Instance:
    """Check the routing input and index it.

    Every problem found is collected and reported in one :class:`~optimiser.errors.DataError`. A crew that
    cannot even go from its start to its end location (and take its break) inside its shift raises
    :class:`~optimiser.errors.InfeasibleError`. Visits no crew can reach inside its windows stay in the
    instance but are marked as not allowed for every crew (they are reported as unserved).
    """
    problems: list[str] = []
    mats: dict[str, np.ndarray] = {}
    for name, raw in matrices.items():
        arr = np.asarray(raw)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            problems.append(f"matrices[{name!r}] must be square, got shape {arr.shape}")
            continue
        if not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                problems.append(
                    f"matrices[{name!r}] must hold integer minutes (dtype {arr.dtype}); round travel times "
                    "up to whole minutes before routing"
                )
                continue
        if arr.size and arr.min() < 0:
            problems.append(f"matrices[{name!r}] has negative travel times (min {arr.min()})")
            continue
        mats[name] = np.ascontiguousarray(arr, dtype=np.int64)

    crew_ids: dict[str, int] = {}
    for k, crew in enumerate(crews):
        where = f"crews[{k}] ({crew.crew_id!r})"
        if crew.crew_id in crew_ids:
            problems.append(f"{where}: crew_id repeats crews[{crew_ids[crew.crew_id]}]; crew ids must be unique")
        crew_ids.setdefault(crew.crew_id, k)
        if crew.profile not in matrices:
            problems.append(f"{where}.profile: {crew.profile!r} is not a key of matrices (have {sorted(matrices)})")
        elif crew.profile in mats:
            size = mats[crew.profile].shape[0]
            for attr in ("start_location", "end_location"):
                loc = getattr(crew, attr)
                if not 0 <= loc < size:
                    problems.append(f"{where}.{attr}: {loc} is outside the {size}x{size} {crew.profile!r} matrix")
        if crew.shift_end < crew.shift_start:
            problems.append(f"{where}: shift_end {crew.shift_end} is before shift_start {crew.shift_start}")
        if crew.break_minutes < 0:
            problems.append(f"{where}.break_minutes: {crew.break_minutes} is negative")
        window = crew.break_window
        if window is not None and window[0] > window[1]:
            problems.append(f"{where}: break window [{window[0]}, {window[1]}] (start minutes) is empty")

    visit_ids: dict[str, int] = {}
    sizes = {crews[k].profile: mats[crews[k].profile].shape[0] for k in range(len(crews)) if crews[k].profile in mats}
    min_size = min(sizes.values()) if sizes else 0
    for v, visit in enumerate(visits):
        where = f"visits[{v}] ({visit.visit_id!r})"
        if visit.visit_id in visit_ids:
            problems.append(f"{where}: visit_id repeats visits[{visit_ids[visit.visit_id]}]; visit ids must be unique")
        visit_ids.setdefault(visit.visit_id, v)
        if sizes and not 0 <= visit.location < min_size:
            problems.append(f"{where}.location: {visit.location} is outside the travel matrices (size {min_size})")
        if not math.isfinite(visit.value) or visit.value < 0:
            problems.append(f"{where}.value: {visit.value} must be a finite number >= 0")
        if visit.dwell_minutes < 0:
            problems.append(f"{where}.dwell_minutes: {visit.dwell_minutes} is negative")
        if visit.latest_arrival < visit.earliest_arrival:
            problems.append(
                f"{where}: latest_arrival {visit.latest_arrival} is before earliest_arrival {visit.earliest_arrival}"
            )
        if visit.crews is not None:
            unknown = sorted(c for c in visit.crews if c not in {cr.crew_id for cr in crews})
            if unknown:
                problems.append(f"{where}.crews: unknown crew ids {unknown}")
    if problems:
        raise DataError("routing input is invalid:\n  " + "\n  ".join(problems))

    groups: dict[str, int] = {}
    group_of = tuple(-1 if vis.group is None else groups.setdefault(vis.group, len(groups)) for vis in visits)
    inst = Instance(
        crews=tuple(crews),
        visits=tuple(visits),
        matrices=mats,
        allowed=np.zeros((len(crews), len(visits)), dtype=bool),
        group_of=group_of,
    )
    from optimiser.routing.schedule import time_route  # local import: schedule builds on this module

    stuck = [crew.crew_id for k, crew in enumerate(crews) if time_route(inst, k, ()) is None]
    if stuck:
        raise InfeasibleError(
            f"crews {stuck} cannot travel from their start to their end location (and take their break) "
            "inside their shift; lengthen the shift or move the base",
            conflicts=[f"crew {c}: shift window vs travel time start->end" for c in stuck],
        )
    allowed = inst.allowed
    for k, crew in enumerate(crews):
        for v, visit in enumerate(visits):
            if visit.crews is not None and crew.crew_id not in visit.crews:
                continue
            allowed[k, v] = time_route(inst, k, (v,)) is not None
    return inst
