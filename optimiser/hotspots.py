"""Incidents -> ranked hotspots (grid cells, LSOAs or street segments); refresh diff; predictive accuracy (PAI).

How a hotspot list is made (:func:`detect`)
-------------------------------------------
1. Keep the incidents of the window (whole months) and drop those at police.uk's institutional snap
   points (``On or near Police Station``, ``Prison``, ``Hospital`` by default; counted and logged):
   crimes recorded in custody, inside a prison or reported at A&E are mapped there, and no street
   patrol can prevent them.
2. Put every incident in a *unit*: a square cell of the British National Grid (EPSG:27700, default
   150 m, aligned to the grid origin so cell ``E450150N531300`` always means the same ground), an LSOA
   (2021 code), or a street segment of a loaded street graph (nearest edge within ``max_snap_m``).
3. Per project (``asb``, ``sv``; the crime types come from the scenario), score every unit by count or
   by harm over the window; keep units with at least ``min_incidents`` incidents and, optionally, hot
   (at least one incident) in at least ``k`` of the last ``m`` months (persistence).
4. Walk the units from the best down, district by district quota. A unit with no unit of its
   district's hotspots (same project) within ``separation_m`` (default 500 m, centre to centre)
   starts a new hotspot while the district has fewer than its ``top_k``; otherwise it joins the
   nearest of them if that holds fewer than ``max_cells`` units (default 9, about 0.2 km² of 150 m
   cells), else it is skipped. So the best units of any two hotspots of a district are at least
   ``separation_m`` apart, and a busy town centre becomes one hotspot of several cells rather than
   five hotspots on top of each other. Separation is applied within a district because each
   district has its own quota (and, for ASB, its own council wardens).
5. An ASB hotspot and an SV hotspot of the same district closer than the separation (nearest units)
   merge into one ``joint`` hotspot that carries both harm figures (closest pairs first, one to one).

A unit's district, and a hotspot's, is the district holding most of its incidents.

Crime types (:data:`DEFAULT_CRIME_TYPES`, set per project in the scenario)
--------------------------------------------------------------------------
ASB is police.uk's ``Anti-social behaviour``, its one ASB category (police.uk has 14 crime types and
ASB rows have no Crime ID: /work/shared/FACTS.md, "police.uk data"). SV is ``Violence and sexual
offences``, ``Robbery`` and ``Possession of weapons``: an *assumption*, since police.uk has no
"serious violence" category and FACTS.md gives no definition; they are the three categories holding
violence against the person, robbery and weapon offences. ``Violence and sexual offences`` is wide
(violence without injury, stalking and harassment, sexual offences, including domestic and online
offences no street patrol reaches), so SV figures overstate what patrols can prevent; a scenario can
narrow ``projects.sv.crime_types``. ASB-related crime (criminal damage and arson, public order) is in
neither project: ``hotspots report`` counts it as other crime.

police.uk snap points
---------------------
police.uk anonymises every location to the nearest of about 750,000 snap points (a street centre or
public place with at least 8 addresses), so many incidents share one point and nothing finer than a
snap point is known. The method copes by (a) never ranking points: it ranks units of 150 m or more,
each holding several snap points, over 12 months; (b) assigning each snap point wholly to one unit
(a point never straddles a cell or segment, so counts are exact, not smeared); (c) letting a hotspot
hold several cells within the separation, so a cluster of busy snap points cut by a grid line still
ends up in one hotspot; (d) placing the hotspot's point (``lat``/``lon``) on the busiest snap point of
its best unit, which lies on a street or public place by construction and so snaps to the street
graph; and (e) reporting ``snap_points`` per hotspot, so a hotspot fed by one point (a supermarket, a
car park) is visible to the analyst. Institutional snap points are excluded (step 1).

Figures and weights
-------------------
``harm_asb``/``harm_sv`` are days of harm (Cambridge Crime Harm Index style) of the project's crime
types in the hotspot's units over the window, counted for the projects that patrol it (an ASB
hotspot has ``harm_sv = 0``). ``harm_weight`` is harm per day of window: ``(harm_asb + harm_sv) /
window days`` (e.g. 366 for 2023-12..2024-11), so ASB and SV weights use the same scale and a joint
hotspot's weight is the sum of its two project weights. ``priority`` ranks hotspots within their
project and district (1 = best) by the ranking measure. ``incidents`` counts the crime types of the
projects that patrol the hotspot (ASB + SV for a joint one), the measure it was chosen by;
``incidents_asb`` and ``incidents_sv`` count each project's crime types in every hotspot, whichever
team patrols it (the ASB incidents of an SV-only hotspot too), the figures of a Home Office return.

The ``polygon`` written for a hotspot is the union of its units: one ring when they touch, else
several parts (``[[[lon, lat], ...], ...]`` in YAML, a GeoJSON MultiPolygon). Its figures
(``incidents``, ``incidents_asb``/``incidents_sv``, ``harm_asb``/``harm_sv``, ``snap_points``) are
counted as points in that published polygon, as anyone recounting from the raw files would, for kept,
added and dropped hotspots alike. Why the union and not the convex hull it once was: the hull took in
the gaps between units, up to twice their area, so the published count could not be reproduced from
the published shape; the union keeps the units' figures, which chose the hotspot. The coordinates are
written to 6 decimals (about 0.1 m) unless a snap point lies so near a unit's edge that the rounding
would move it across (the Craggs Street point of SV-E06000004-02 is 8 mm from a grid line); then more
decimals are written, so the published polygon holds exactly the units' incidents. That holds for grid
cells; LSOA units take rows by their LSOA code and street segments by the nearest street, and are drawn
from generalised shapes, so their figures stay the units' (those that chose them) and the file's header
says that a count of points inside the outline differs.

Evidence (:func:`evaluate`, :func:`coverage`)
---------------------------------------------
Hit rate is the share of a window's incidents inside the hotspots; the Predictive Accuracy Index is
``hit rate % / area %`` (area share of the force area, the sum of its LSOA areas). :func:`evaluate`
detects on a training window and scores a later test window, next to the simple baseline: 150 m cells
ranked by count, the top N per district with N chosen so the baseline has the same area in each
district as the method it is compared with (rounded to whole cells, at least one).

Choice of the default method (measured on Cleveland, train 2023-12..2024-11, test 2024-12..2025-08;
``python benchmarks/hotspots.py --pai``): 150 m grid cells ranked by count. Because step 4 groups the
best cells into hotspots instead of discarding the ones near a chosen hotspot, the default list covers
the district's best cells, so its test hit rate equals the baseline's at equal area (ASB 9.79% of test
incidents on 0.120% of the force area, PAI 81; SV 6.64% on 0.079%, PAI 84, at the programme's K);
keeping single cells 500 m apart instead (``max_cells=1``) loses 5% of the ASB hits and a quarter of
the SV hits at equal area (ASB 6.33% against 6.69%, SV 3.63% against 4.80%).
Ranking by harm, persistence 9/12, 250 m cells and LSOAs do not beat it; 100 m cells do (ASB PAI
174, SV 144) but are finer than the 150 m the guidance sets for snap-point data. Joint merging adds
the other team's cells to each team's area and costs about half a point of hit rate at equal area:
the ``merge_joint=true`` rows show it.
"""

from __future__ import annotations

import json
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from optimiser.errors import DataError
from optimiser.incidents import (
    DEFAULT_LSOA_BOUNDARIES,
    PROBLEM_REASONS,
    REASON_LABELS,
    ForceArea,
    LoadReport,
    MonthWindow,
    parse_months,
)
from optimiser.outputs import replace_files
from optimiser.scenario import polygon_parts

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

logger = logging.getLogger(__name__)

PROJECTS: tuple[str, ...] = ("asb", "sv")
PREFIX: dict[str, str] = {"asb": "ASB", "sv": "SV", "joint": "JNT"}

DEFAULT_CRIME_TYPES: dict[str, tuple[str, ...]] = {
    "asb": ("Anti-social behaviour",),
    "sv": ("Violence and sexual offences", "Robbery", "Possession of weapons"),
}
"""Crime types feeding each project unless the scenario says otherwise."""

DEFAULT_TOP_K: dict[str, dict[str, int]] = {
    "asb": {"E06000001": 5, "E06000002": 5, "E06000003": 5, "E06000004": 5},
    "sv": {"E06000001": 2, "E06000002": 5, "E06000003": 1, "E06000004": 4},
}
"""Hotspots per district per project in the Cleveland programme: ASB 5 in each council; SV
Middlesbrough 5, Stockton-on-Tees 4, Hartlepool 2, Redcar and Cleveland 1."""

DEFAULT_EXCLUDE_LOCATIONS: tuple[str, ...] = (
    "On or near Police Station",
    "On or near Prison",
    "On or near Hospital",
)
"""police.uk institutional snap points: offences in custody, in prison or reported at hospital."""

DEFAULT_METHOD = "grid"
"""The default detection method (see :func:`parse_method`); chosen by :func:`evaluate` (module docs)."""

DEFAULT_EVALUATION_METHODS: tuple[str, ...] = (
    "grid",
    "grid:max_cells=1",
    "grid:rank_by=harm",
    "grid:persistence=9/12",
    "grid:cell_m=100",
    "grid:cell_m=250",
    "lsoa",
    "grid:merge_joint=true",
)
"""Methods compared by ``patrol hotspots evaluate`` unless others are named. Methods are compared on
each project's own hotspots (joint merging off) unless the method says ``merge_joint=true``: that row
shows the list as patrolled, where a joint hotspot adds the other project's units to each team's area."""

DEFAULT_K_VALUES: tuple[int | str, ...] = ("default", 1, 3, 5, 10)
"""K values compared: ``default`` is :data:`DEFAULT_TOP_K`; an integer is K in every district."""

BASELINE_CELL_M = 150

# police.uk place categories used as snap-point names; a street name is preferred when naming.
_GENERIC_PLACES = frozenset(
    {
        "Parking Area",
        "Supermarket",
        "Petrol Station",
        "Shopping Area",
        "Sports/Recreation Area",
        "Park/Open Space",
        "Nightclub",
        "Police Station",
        "Hospital",
        "Prison",
        "Further/Higher Educational Building",
        "Theatre/Concert Hall",
        "Conference/Exhibition Centre",
        "Bus/Coach Station",
        "Airport/Airfield",
        "Trunk Road",
        "Pedestrian Subway",
    }
)

_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _reproject(transformer: Transformer, geometry: Any) -> Any:
    """The geometry with every coordinate transformed (vectorised)."""

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)


# ---- data types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hotspot:
    """A detected hotspot: the scenario hotspot fields plus the evidence behind it.

    Attributes
    ----------
    id, name, district, project, lat, lon, polygon, harm_weight, priority, harm_asb, harm_sv, incidents
        As in a scenario's ``hotspots:`` entry (``polygon`` is ``((lon, lat), ...)``, EPSG:4326, open ring,
        or a tuple of such rings when the units do not touch); the figures are counted in the polygon.
    incidents_asb, incidents_sv : int
        Incidents of each project's crime types in the polygon, in every hotspot whichever project patrols
        it (``incidents`` counts only the projects that patrol it).
    units : tuple of str
        The units (grid cells ``E<easting>N<northing>`` of the south-west corner, LSOA codes, or street
        edges ``u-v-key``) in rank order; the first is the best.
    unit_area_m2 : float
        Area of the units in m² (what the PAI uses).
    patrol_area_m2 : float
        Area of ``polygon`` in m² (the units' area, to the rounding of its coordinates).
    snap_points : int
        Distinct police.uk snap points among the counted incidents.
    method : str
        The detection method that made it.
    """

    id: str
    name: str
    district: str
    project: str
    lat: float
    lon: float
    polygon: tuple[tuple[float, float], ...] | tuple[tuple[tuple[float, float], ...], ...]
    harm_weight: float
    priority: int
    harm_asb: float
    harm_sv: float
    incidents: int
    incidents_asb: int = 0
    incidents_sv: int = 0
    units: tuple[str, ...] = ()
    unit_area_m2: float = 0.0
    patrol_area_m2: float = 0.0
    snap_points: int = 0
    method: str = ""

    @property
    def harm(self) -> float:
        """Total harm days in the window (``harm_asb + harm_sv``)."""
        return self.harm_asb + self.harm_sv

    def serves(self, project: str) -> bool:
        """Whether patrols of ``project`` count here: its own project, or a joint hotspot."""
        return self.project == project or self.project == "joint"

    def to_scenario_dict(self) -> dict[str, Any]:
        """The entry as written under ``hotspots:`` in a scenario or hotspots file."""
        return {
            "id": self.id,
            "name": self.name,
            "district": self.district,
            "project": self.project,
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "polygon": _published_polygon(self.polygon),
            "harm_weight": self.harm_weight,
            "priority": self.priority,
            "harm_asb": round(self.harm_asb, 2),
            "harm_sv": round(self.harm_sv, 2),
            "incidents": self.incidents,
            "incidents_asb": self.incidents_asb,
            "incidents_sv": self.incidents_sv,
        }


class HotspotList(list[Hotspot]):
    """A list of hotspots that also says how it was made (method, window, notes for people)."""

    def __init__(self, items: Iterable[Hotspot] = (), *, method: str = "", window: MonthWindow | None = None) -> None:
        super().__init__(items)
        self.method = method
        self.window = window
        self.notes: list[str] = []


@dataclass(frozen=True)
class RefreshResult:
    """What :func:`refresh` wrote: the new list, the diff table and the three file paths."""

    hotspots: HotspotList
    diff: pd.DataFrame
    yaml_path: Path
    diff_path: Path
    geojson_path: Path
    rows_not_used_path: Path | None = None


# ---- methods -----------------------------------------------------------------------------------

_METHOD_KINDS = ("grid", "lsoa", "segment")
_METHOD_OPTIONS: dict[str, type] = {
    "cell_m": int,
    "rank_by": str,
    "persistence": str,
    "separation_m": float,
    "max_cells": int,
    "min_incidents": int,
    "segment_buffer_m": float,
    "max_snap_m": float,
    "merge_joint": str,
}


def parse_method(text: str) -> dict[str, Any]:
    """Parse a method string into :func:`detect` keyword options.

    Format: ``kind[:option=value,...]`` with ``kind`` one of ``grid``, ``lsoa``, ``segment``, e.g.
    ``grid``, ``grid:cell_m=200,rank_by=harm``, ``grid:persistence=6/12``, ``lsoa:rank_by=harm``.

    Raises
    ------
    DataError
        Naming the unknown kind or option and listing the valid ones.
    """
    kind, _, rest = text.strip().partition(":")
    if kind not in _METHOD_KINDS:
        raise DataError(f"unknown hotspot method {kind!r} in {text!r}; use one of {', '.join(_METHOD_KINDS)}")
    options: dict[str, Any] = {"method": kind}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or key not in _METHOD_OPTIONS:
            raise DataError(
                f"hotspot method option {item!r} in {text!r} is not known; use key=value with key one of "
                f"{', '.join(_METHOD_OPTIONS)}"
            )
        try:
            options[key] = _METHOD_OPTIONS[key](value)
        except ValueError as exc:
            raise DataError(f"hotspot method option {key}={value!r} in {text!r} is not a valid number") from exc
        if isinstance(options[key], float) and not math.isfinite(options[key]):
            raise DataError(f"hotspot method option {key}={value!r} in {text!r} must be a finite number")
    if "persistence" in options:
        options["persistence"] = _parse_persistence(options["persistence"])
    if "merge_joint" in options:
        flag = str(options["merge_joint"]).lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            raise DataError(f"merge_joint must be true or false, got {options['merge_joint']!r} in {text!r}")
        options["merge_joint"] = flag in ("true", "1", "yes")
    if options.get("rank_by", "count") not in ("count", "harm"):
        raise DataError(f"rank_by must be 'count' or 'harm', got {options['rank_by']!r} in {text!r}")
    return options


def _parse_persistence(value: str | tuple[int, int] | None) -> tuple[int, int] | None:
    if value is None or isinstance(value, tuple):
        return value
    k, slash, m = str(value).partition("/")
    if not slash or not k.isdigit() or not m.isdigit() or not 1 <= int(k) <= int(m):
        raise DataError(
            f"persistence {value!r} must be k/m with 1 <= k <= m, e.g. 6/12 (hot in 6 of the last 12 months)"
        )
    return int(k), int(m)


def method_label(
    method: str = "grid",
    *,
    cell_m: int = 150,
    rank_by: str = "count",
    persistence: tuple[int, int] | None = None,
    separation_m: float = 500.0,
    max_cells: int = 9,
    min_incidents: int = 10,
    **_: Any,
) -> str:
    """A canonical, human-readable label of a method and its options (written into output files)."""
    parts = [f"rank_by={rank_by}"]
    if method == "grid":
        parts.insert(0, f"cell_m={cell_m}")
    if persistence:
        parts.append(f"persistence={persistence[0]}/{persistence[1]}")
    parts += [f"separation_m={separation_m:g}", f"max_cells={max_cells}", f"min_incidents={min_incidents}"]
    return f"{method}:" + ",".join(parts)


# ---- spatial units -----------------------------------------------------------------------------


class _Partition(ABC):
    """Spatial units of one method: incident -> unit code, and each unit's centre, area and shape (EPSG:27700)."""

    kind = ""
    #: Whether a unit's shape holds exactly the incidents assigned to it (grid cells); LSOAs are assigned by
    #: the row's LSOA code and drawn from generalised boundaries, segments by the nearest street.
    exact_shapes = False

    @abstractmethod
    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        """Unit code (int64, -1 when unassigned) of each incident."""

    @abstractmethod
    def unit_id(self, code: int) -> str:
        """Readable id of a unit."""

    @abstractmethod
    def centres(self, codes: np.ndarray, frame: pd.DataFrame, unit_of: np.ndarray) -> np.ndarray:
        """Centres (n, 2) of units, metres."""

    @abstractmethod
    def area_m2(self, code: int) -> float:
        """Area of a unit, m²."""

    @abstractmethod
    def shape(self, code: int, frame: pd.DataFrame, unit_of: np.ndarray) -> Polygon:
        """Polygon of a unit, EPSG:27700."""

    def street_name(self, code: int) -> str | None:
        """A street name for the unit, when the units are streets."""
        return None


class _Grid(_Partition):
    kind = "grid"
    exact_shapes = True
    _OFFSET = 1 << 20
    _SHIFT = 1 << 22

    def __init__(self, cell_m: int) -> None:
        if not 10 <= cell_m <= 5000:
            raise DataError(f"cell_m must be between 10 and 5000 metres, got {cell_m}")
        self.cell_m = int(cell_m)

    def _ij(self, code: int) -> tuple[int, int]:
        i, j = divmod(int(code), self._SHIFT)
        return i - self._OFFSET, j - self._OFFSET

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        ix = np.floor(frame["x"].to_numpy(dtype=float) / self.cell_m).astype(np.int64)
        iy = np.floor(frame["y"].to_numpy(dtype=float) / self.cell_m).astype(np.int64)
        return (ix + self._OFFSET) * self._SHIFT + (iy + self._OFFSET)

    def unit_id(self, code: int) -> str:
        i, j = self._ij(code)
        return f"E{i * self.cell_m}N{j * self.cell_m}"

    def centres(self, codes: np.ndarray, frame: pd.DataFrame, unit_of: np.ndarray) -> np.ndarray:
        i, j = np.divmod(codes.astype(np.int64), self._SHIFT)
        return np.column_stack([(i - self._OFFSET + 0.5) * self.cell_m, (j - self._OFFSET + 0.5) * self.cell_m])

    def area_m2(self, code: int) -> float:
        return float(self.cell_m**2)

    def shape(self, code: int, frame: pd.DataFrame, unit_of: np.ndarray) -> Polygon:
        i, j = self._ij(code)
        return box(i * self.cell_m, j * self.cell_m, (i + 1) * self.cell_m, (j + 1) * self.cell_m)


class _Lsoa(_Partition):
    kind = "lsoa"

    def __init__(self, force_area: ForceArea, boundaries: Mapping[str, Polygon] | None) -> None:
        self.force = force_area
        self.codes = sorted(force_area.lsoa_district)
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.boundaries = dict(boundaries or {})

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["lsoa"].map(self.index).fillna(-1).to_numpy(dtype=np.int64)

    def unit_id(self, code: int) -> str:
        return self.codes[int(code)]

    def centres(self, codes: np.ndarray, frame: pd.DataFrame, unit_of: np.ndarray) -> np.ndarray:
        out = np.zeros((len(codes), 2))
        for n, code in enumerate(codes):
            polygon = self.boundaries.get(self.codes[int(code)])
            if polygon is not None:
                c = polygon.representative_point()
                out[n] = (c.x, c.y)
            else:
                mask = unit_of == code
                out[n] = (frame["x"].to_numpy()[mask].mean(), frame["y"].to_numpy()[mask].mean())
        return out

    def area_m2(self, code: int) -> float:
        return float(self.force.lsoa_area_m2[self.codes[int(code)]])

    def shape(self, code: int, frame: pd.DataFrame, unit_of: np.ndarray) -> Polygon:
        polygon = self.boundaries.get(self.codes[int(code)])
        if polygon is not None:
            return polygon
        # 2021 LSOAs with no 2011 boundary: the hull of their incident points, buffered by 50 m.
        mask = unit_of == code
        points = shapely.points(frame["x"].to_numpy()[mask], frame["y"].to_numpy()[mask])
        hull = shapely.convex_hull(shapely.multipoints(points)).buffer(50.0)
        return hull if isinstance(hull, Polygon) else hull.envelope


class _Segments(_Partition):
    kind = "segment"

    def __init__(self, graph: Any, *, buffer_m: float, max_snap_m: float) -> None:
        import osmnx as ox

        if isinstance(graph, str | Path):
            path = Path(graph)
            if not path.exists():
                raise DataError(f"{path}: street graph (GraphML) not found")
            graph = ox.load_graphml(path)
        crs = str(graph.graph.get("crs", "")).lower()
        projected = graph if crs in ("epsg:27700",) else ox.project_graph(graph, to_crs="EPSG:27700")
        undirected = ox.convert.to_undirected(projected)
        edges = ox.graph_to_gdfs(undirected, nodes=False, fill_edge_geometry=True)
        if edges.empty:
            raise DataError("the street graph has no edges; load a street network with streets in it")
        edges = edges.sort_index()
        self.ids = [f"{u}-{v}-{k}" for u, v, k in edges.index]
        self.lines = list(edges.geometry)
        names = edges["name"] if "name" in edges.columns else pd.Series([None] * len(edges), index=edges.index)
        self.names = [_edge_name(n) for n in names]
        self.tree = shapely.STRtree(self.lines)
        self.buffer_m = float(buffer_m)
        self.max_snap_m = float(max_snap_m)
        self.unassigned = 0

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.full(len(frame), -1, dtype=np.int64)
        if not len(frame):
            return out
        points = shapely.points(frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float))
        idx = self.tree.query_nearest(points, max_distance=self.max_snap_m, all_matches=False)
        out[idx[0]] = idx[1]
        self.unassigned = int((out < 0).sum())
        return out

    def unit_id(self, code: int) -> str:
        return self.ids[int(code)]

    def centres(self, codes: np.ndarray, frame: pd.DataFrame, unit_of: np.ndarray) -> np.ndarray:
        return np.array([[p.x, p.y] for p in (self.lines[int(c)].interpolate(0.5, normalized=True) for c in codes)])

    def area_m2(self, code: int) -> float:
        return float(self.lines[int(code)].buffer(self.buffer_m, cap_style="flat").area)

    def shape(self, code: int, frame: pd.DataFrame, unit_of: np.ndarray) -> Polygon:
        polygon = self.lines[int(code)].buffer(self.buffer_m, cap_style="flat")
        return polygon if isinstance(polygon, Polygon) else polygon.convex_hull

    def street_name(self, code: int) -> str | None:
        return self.names[int(code)]


def _edge_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def load_lsoa_boundaries(path: str | Path = DEFAULT_LSOA_BOUNDARIES) -> dict[str, Polygon]:
    """LSOA polygons (EPSG:27700) keyed by LSOA code, from a GeoJSON with ``LSOA11CD`` or ``LSOA21CD``.

    The shipped boundaries are the 2011 LSOAs; the 2021 codes used by police.uk that have no 2011
    polygon fall back to the hull of their incidents in the LSOA method.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: LSOA boundaries (GeoJSON) not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as GeoJSON ({exc})") from exc
    out: dict[str, Polygon] = {}
    for i, feature in enumerate(data.get("features", [])):
        props = feature.get("properties") or {}
        code = props.get("LSOA21CD") or props.get("LSOA11CD")
        if not code:
            raise DataError(f"{path}: feature {i} has no LSOA21CD or LSOA11CD property")
        geometry = _reproject(_TO_BNG, shape(feature["geometry"]))
        if isinstance(geometry, MultiPolygon):
            geometry = max(geometry.geoms, key=lambda g: g.area)
        out[str(code)] = geometry
    return out


def _partition(
    method: str,
    *,
    cell_m: int,
    force_area: ForceArea | None,
    lsoa_boundaries: Mapping[str, Polygon] | str | Path | None,
    graph: Any,
    segment_buffer_m: float,
    max_snap_m: float,
) -> _Partition:
    if method == "grid":
        return _Grid(cell_m)
    if method == "lsoa":
        if force_area is None:
            raise DataError("the LSOA method needs the force's LSOA table (force_area=incidents.load_force_area(...))")
        if isinstance(lsoa_boundaries, str | Path):
            lsoa_boundaries = load_lsoa_boundaries(lsoa_boundaries)
        return _Lsoa(force_area, lsoa_boundaries)
    if method == "segment":
        if graph is None:
            raise DataError(
                "the street-segment method needs a street network: pass graph= (an osmnx graph or a GraphML path)"
            )
        return _Segments(graph, buffer_m=segment_buffer_m, max_snap_m=max_snap_m)
    raise DataError(f"unknown hotspot method {method!r}; use one of {', '.join(_METHOD_KINDS)}")


# ---- detection ---------------------------------------------------------------------------------

_REQUIRED = ("month", "crime_type", "harm", "x", "y", "lon", "lat", "location", "district")


def _check_incidents(incidents: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in incidents.columns]
    if missing:
        raise DataError(
            f"the incidents table lacks column(s) {', '.join(missing)}; load it with optimiser.incidents.load()"
        )


def _window_of(incidents: pd.DataFrame, window: MonthWindow | str | tuple[str, str] | None) -> MonthWindow:
    if window is not None:
        return parse_months(window)
    if incidents.empty:
        raise DataError("no incidents to detect hotspots from; check the months and files loaded")
    months = incidents["month"]
    return MonthWindow(str(months.min()), str(months.max()))


def _normalise_top_k(
    top_k: Mapping[str, Mapping[str, int] | int] | int, districts: Sequence[str]
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for project in PROJECTS:
        spec = top_k if isinstance(top_k, int) else top_k.get(project, 0)
        if isinstance(spec, int):
            out[project] = dict.fromkeys(districts, spec)
        else:
            out[project] = {str(d): int(k) for d, k in spec.items()}
        for district, k in out[project].items():
            if k < 0:
                raise DataError(f"top_k for {project} in {district} is {k}; use 0 or more hotspots")
    return out


@dataclass
class _Selected:
    """A hotspot under construction: its project, district and member unit codes (best first)."""

    project: str
    district: str
    members: list[int]
    score: float = 0.0
    seed_rank: int = 0


@dataclass
class _Detection:
    """Everything :func:`detect` computed, kept for evaluation."""

    hotspots: HotspotList
    partition: _Partition
    unit_of: np.ndarray
    frame: pd.DataFrame
    members: list[list[int]] = field(default_factory=list)


def scenario_top_k(scenario: Scenario) -> dict[str, dict[str, int]]:
    """Hotspots per district per project from the scenario (``projects.<p>.hotspots_per_district``)."""
    out: dict[str, dict[str, int]] = {}
    for project in PROJECTS:
        counts = scenario.projects.get(project).hotspots_per_district
        if isinstance(counts, int):
            out[project] = dict.fromkeys(scenario.districts, counts)
        else:
            out[project] = {district: counts.get(district, 0) for district in scenario.districts}
    return out


def detect(
    incidents: pd.DataFrame,
    *,
    method: str = DEFAULT_METHOD,
    cell_m: int = 150,
    rank_by: str = "count",
    window: MonthWindow | str | tuple[str, str] | None = None,
    top_k: Mapping[str, Mapping[str, int] | int] | int = DEFAULT_TOP_K,
    crime_types: Mapping[str, Sequence[str]] = DEFAULT_CRIME_TYPES,
    persistence: tuple[int, int] | str | None = None,
    separation_m: float = 500.0,
    max_cells: int = 9,
    min_incidents: int = 10,
    exclude_locations: Sequence[str] = DEFAULT_EXCLUDE_LOCATIONS,
    merge_joint: bool = True,
    force_area: ForceArea | None = None,
    lsoa_boundaries: Mapping[str, Polygon] | str | Path | None = DEFAULT_LSOA_BOUNDARIES,
    graph: Any = None,
    segment_buffer_m: float = 25.0,
    max_snap_m: float = 100.0,
) -> HotspotList:
    """Detect ranked hotspots per project and district from incidents (method in the module docs).

    Parameters
    ----------
    incidents : pandas.DataFrame
        From :func:`optimiser.incidents.load` (columns ``month, crime_type, harm, x, y, lon, lat,
        location, district``; ``lsoa`` for the LSOA method).
    method : {"grid", "lsoa", "segment"}
        Spatial unit: British National Grid cells, LSOAs, or street segments of ``graph``.
    cell_m : int
        Grid cell side in metres (cells aligned to the grid origin).
    rank_by : {"count", "harm"}
        Rank units by incidents or by harm days.
    window : MonthWindow or "YYYY-MM:YYYY-MM", optional
        Months used; default all months in ``incidents``.
    top_k : mapping or int
        Hotspots per district per project, ``{"asb": {"E06000001": 5, ...}, "sv": {...}}``; an int
        means that many in every district; districts not listed get none.
    crime_types : mapping
        Crime types of each project (``asb``, ``sv``).
    persistence : (k, m) or "k/m", optional
        Keep only units with incidents in at least ``k`` of the window's last ``m`` months.
    separation_m : float
        Minimum distance in metres between units of different hotspots of a project (0 = none).
    max_cells : int
        Most units one hotspot may hold.
    min_incidents : int
        Floor: a unit needs at least this many incidents of the project in the window.
    exclude_locations : sequence of str
        police.uk ``Location`` values whose incidents are left out (counted in the notes).
    merge_joint : bool
        Merge close ASB and SV hotspots of a district into joint hotspots.
    force_area : ForceArea, optional
        LSOA table; required by the LSOA method and used for district names.
    lsoa_boundaries : mapping or path, optional
        LSOA polygons for the LSOA method.
    graph : osmnx graph or GraphML path, optional
        Street network for the segment method.
    segment_buffer_m : float
        Half-width of a street segment's patrol area, metres.
    max_snap_m : float
        Incidents further than this from every street segment are not assigned (counted in the notes).

    Returns
    -------
    HotspotList
        Hotspots sorted by project, district and priority; ``.notes`` says what was left out.
    """
    return _detect(
        incidents,
        method=method,
        cell_m=cell_m,
        rank_by=rank_by,
        window=window,
        top_k=top_k,
        crime_types=crime_types,
        persistence=persistence,
        separation_m=separation_m,
        max_cells=max_cells,
        min_incidents=min_incidents,
        exclude_locations=exclude_locations,
        merge_joint=merge_joint,
        force_area=force_area,
        lsoa_boundaries=lsoa_boundaries,
        graph=graph,
        segment_buffer_m=segment_buffer_m,
        max_snap_m=max_snap_m,
    ).hotspots


def _prepare(
    incidents: pd.DataFrame,
    window: MonthWindow,
    crime_types: Mapping[str, Sequence[str]],
    exclude_locations: Sequence[str],
    notes: list[str],
) -> pd.DataFrame:
    _check_incidents(incidents)
    known = incidents.attrs.get("crime_types")
    for project in PROJECTS:
        types = list(crime_types.get(project, ()))
        if not types:
            raise DataError(f"project {project!r} has no crime types; set projects.{project}.crime_types")
        if known:
            unknown = [t for t in types if t not in known]
            if unknown:
                raise DataError(
                    f"projects.{project}.crime_types: {', '.join(repr(t) for t in unknown)} is not a police.uk "
                    f"crime type of the harm table; known: {', '.join(known)}"
                )
    months = incidents["month"]
    frame = incidents[(months >= window.start) & (months <= window.end)]
    frame.attrs = {}  # pandas deep-copies attrs on every operation; not needed past this point
    if exclude_locations:
        excluded = frame["location"].isin(list(exclude_locations))
        count = int(excluded.sum())
        if count:
            places = frame.loc[excluded, "location"].value_counts()
            text = ", ".join(f"{name.removeprefix('On or near ')} {n}" for name, n in places.items())
            notes.append(f"left out {count} incidents at institutional snap points ({text})")
        frame = frame[~excluded.to_numpy()]
    return frame.reset_index(drop=True)


def _detect(
    incidents: pd.DataFrame,
    *,
    method: str,
    cell_m: int,
    rank_by: str,
    window: MonthWindow | str | tuple[str, str] | None,
    top_k: Mapping[str, Mapping[str, int] | int] | int,
    crime_types: Mapping[str, Sequence[str]],
    persistence: tuple[int, int] | str | None,
    separation_m: float,
    max_cells: int,
    min_incidents: int,
    exclude_locations: Sequence[str],
    merge_joint: bool,
    force_area: ForceArea | None,
    lsoa_boundaries: Mapping[str, Polygon] | str | Path | None,
    graph: Any,
    segment_buffer_m: float,
    max_snap_m: float,
    cache: dict[str, Any] | None = None,
) -> _Detection:
    if rank_by not in ("count", "harm"):
        raise DataError(f"rank_by must be 'count' or 'harm', got {rank_by!r}")
    if separation_m < 0 or max_cells < 1 or min_incidents < 1:
        raise DataError(
            f"separation_m must be >= 0, max_cells >= 1 and min_incidents >= 1 "
            f"(got {separation_m}, {max_cells}, {min_incidents})"
        )
    persistence = _parse_persistence(persistence)
    win = _window_of(incidents, window)
    label = method_label(
        method,
        cell_m=cell_m,
        rank_by=rank_by,
        persistence=persistence,
        separation_m=separation_m,
        max_cells=max_cells,
        min_incidents=min_incidents,
    )
    result = HotspotList(method=label, window=win)
    stage = cache.get("stage") if cache is not None else None
    if stage is None:
        # Everything that does not depend on top_k; evaluate() reuses it across K values.
        notes: list[str] = []
        frame = _prepare(incidents, win, crime_types, exclude_locations, notes)
        partition = _partition(
            method,
            cell_m=cell_m,
            force_area=force_area,
            lsoa_boundaries=lsoa_boundaries,
            graph=graph,
            segment_buffer_m=segment_buffer_m,
            max_snap_m=max_snap_m,
        )
        unit_of = partition.assign(frame)
        if partition.kind == "segment" and int((unit_of < 0).sum()):
            notes.append(
                f"{int((unit_of < 0).sum())} incidents are more than {max_snap_m:g} m from every street segment "
                "and were not assigned"
            )
        tables: dict[str, pd.DataFrame] = {}
        for project in PROJECTS:
            mask = frame["crime_type"].isin(list(crime_types[project])).to_numpy() & (unit_of >= 0)
            tables[project] = _unit_table(frame[mask], unit_of[mask], partition, win, persistence, rank_by)
        stage = (frame, notes, partition, unit_of, tables)
        if cache is not None:
            cache["stage"] = stage
    frame, notes, partition, unit_of, tables = stage
    result.notes.extend(notes)
    districts = sorted(force_area.district_names) if force_area else sorted(frame["district"].dropna().unique())
    quotas = _normalise_top_k(top_k, districts)
    selected: list[_Selected] = []
    for project in PROJECTS:
        chosen = _select(tables[project], quotas[project], separation_m, max_cells, min_incidents)
        for district, k in sorted(quotas[project].items()):
            got = sum(1 for s in chosen if s.district == district)
            if got < k:
                result.notes.append(
                    f"{project} {district}: only {got} of {k} hotspots have at least {min_incidents} incidents"
                    + (f" and persistence {persistence[0]}/{persistence[1]}" if persistence else "")
                )
        for s in chosen:
            s.project = project
        selected.extend(chosen)
    if merge_joint and separation_m > 0:
        selected = _merge_joint(selected, tables, separation_m)
    members: list[list[int]] = []
    for hotspot, s in _build(selected, frame, unit_of, partition, crime_types, win, rank_by, label):
        result.append(hotspot)
        members.append(s.members)
    for note in result.notes:
        logger.info("hotspots: %s", note)
    return _Detection(hotspots=result, partition=partition, unit_of=unit_of, frame=frame, members=members)


def _unit_table(
    frame: pd.DataFrame,
    unit_of: np.ndarray,
    partition: _Partition,
    window: MonthWindow,
    persistence: tuple[int, int] | None,
    rank_by: str,
) -> pd.DataFrame:
    """Per unit: incidents, harm, district (most incidents), centre, persistence flag and score."""
    columns = ["n", "harm", "district", "cx", "cy", "persistent", "score"]
    if not len(frame):
        return pd.DataFrame(columns=columns, index=pd.Index([], dtype=np.int64, name="unit"))
    data = pd.DataFrame(
        {
            "unit": unit_of,
            "harm": frame["harm"].to_numpy(dtype=float),
            "district": frame["district"].to_numpy(dtype=object),
            "month": frame["month"].to_numpy(dtype=object),
        }
    )
    grouped = data.groupby("unit", sort=True)
    table = pd.DataFrame({"n": grouped.size(), "harm": grouped["harm"].sum()})
    by_district = data.groupby(["unit", "district"], sort=True).size().rename("c").reset_index()
    by_district = by_district.sort_values(["unit", "c", "district"], ascending=[True, False, True], kind="stable")
    table["district"] = by_district.drop_duplicates("unit").set_index("unit")["district"]
    centres = partition.centres(table.index.to_numpy(), frame, unit_of)
    table["cx"], table["cy"] = centres[:, 0], centres[:, 1]
    if persistence:
        k, m = persistence
        recent = set(window.months[-m:])
        hot = data[data["month"].isin(recent)].groupby("unit")["month"].nunique()
        table["persistent"] = hot.reindex(table.index).fillna(0).to_numpy() >= k
    else:
        table["persistent"] = True
    table["score"] = table["n"].astype(float) if rank_by == "count" else table["harm"]
    # Rank: score, then the other measure, then unit code (stable and deterministic).
    other = table["harm"] if rank_by == "count" else table["n"].astype(float)
    order = np.lexsort((table.index.to_numpy(), -other.to_numpy(), -table["score"].to_numpy()))
    return table.iloc[order]


def _select(
    table: pd.DataFrame, quota: Mapping[str, int], separation_m: float, max_cells: int, min_incidents: int
) -> list[_Selected]:
    """Greedy grouping of ranked units into hotspots (step 4 of the module docs).

    A unit with no unit of its district's hotspots within ``separation_m`` starts a new hotspot (while
    the district has fewer than its quota); otherwise it joins the nearest such hotspot if that has
    fewer than ``max_cells`` units, else it is skipped. Hence the seed units of any two hotspots of a
    district are at least ``separation_m`` apart, and the units chosen are the district's best units
    except those skipped next to a full hotspot.
    """
    open_districts = {d for d, k in quota.items() if k > 0}
    opened: dict[str, int] = {}
    chosen: list[_Selected] = []
    # Per district: centres of chosen units and which hotspot owns each.
    member_xy: dict[str, list[tuple[float, float]]] = {}
    member_owner: dict[str, list[int]] = {}
    candidates = table[(table["n"] >= min_incidents) & table["persistent"].astype(bool)]
    codes = candidates.index.to_numpy()
    districts = candidates["district"].to_numpy(dtype=object)
    cx = candidates["cx"].to_numpy(dtype=float)
    cy = candidates["cy"].to_numpy(dtype=float)
    scores = candidates["score"].to_numpy(dtype=float)
    for rank in range(len(codes)):
        if not open_districts:
            break
        district = districts[rank]
        if district not in open_districts:
            continue
        xy_list = member_xy.setdefault(district, [])
        owners = member_owner.setdefault(district, [])
        nearest = -1
        if separation_m > 0 and xy_list:
            xy = np.asarray(xy_list)
            dist = np.hypot(xy[:, 0] - cx[rank], xy[:, 1] - cy[rank])
            closest = int(np.argmin(dist))
            if dist[closest] < separation_m:
                nearest = owners[closest]
        if nearest < 0:
            chosen.append(_Selected("", district, [int(codes[rank])], float(scores[rank]), rank))
            xy_list.append((cx[rank], cy[rank]))
            owners.append(len(chosen) - 1)
            opened[district] = opened.get(district, 0) + 1
            if opened[district] >= quota[district]:
                open_districts.discard(district)
        elif len(chosen[nearest].members) < max_cells:
            chosen[nearest].members.append(int(codes[rank]))
            chosen[nearest].score += float(scores[rank])
            xy_list.append((cx[rank], cy[rank]))
            owners.append(nearest)
    return chosen


def _merge_joint(selected: list[_Selected], tables: dict[str, pd.DataFrame], separation_m: float) -> list[_Selected]:
    """Merge ASB and SV hotspots of a district closer than the separation into joint hotspots.

    Distance is between the nearest unit centres of the two hotspots; the closest pairs merge first and
    each hotspot merges at most once.
    """
    centres = {id(s): tables[s.project].loc[s.members, ["cx", "cy"]].to_numpy(dtype=float) for s in selected}
    asb = [s for s in selected if s.project == "asb"]
    sv = [s for s in selected if s.project == "sv"]
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(asb):
        ca = centres[id(a)]
        for j, b in enumerate(sv):
            if a.district != b.district:
                continue
            cb = centres[id(b)]
            d = float(np.min(np.hypot(ca[:, None, 0] - cb[None, :, 0], ca[:, None, 1] - cb[None, :, 1])))
            if d < separation_m:
                pairs.append((d, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    joint: list[_Selected] = []
    for _, i, j in sorted(pairs):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        a, b = asb[i], sv[j]
        members = list(dict.fromkeys(a.members + b.members))
        joint.append(_Selected("joint", a.district, members, a.score + b.score, min(a.seed_rank, b.seed_rank)))
    rest = [s for i, s in enumerate(asb) if i not in used_a] + [s for j, s in enumerate(sv) if j not in used_b]
    return rest + joint


def _outline(polygons: Sequence[Polygon]) -> list[Polygon]:
    """The parts of the union of a hotspot's units (EPSG:27700, each one counter-clockwise ring).

    A hole (units around one that is not a unit) is filled: the published polygon has no holes, and
    the figures are counted in it, so they include what lies in the hole.
    """
    union = unary_union(polygons)
    parts = list(union.geoms) if isinstance(union, MultiPolygon) else [union]
    return [orient(Polygon(part.exterior), sign=1.0) for part in parts if isinstance(part, Polygon) and part.area > 0]


_DECIMALS = (6, 7, 8, 9)
"""Decimals of degrees tried for a polygon's coordinates (6 is about 0.1 m; see the module docstring)."""


def _exact_shapes(method: str) -> bool:
    """Whether the units of a method label (``grid:cell_m=150,...``) hold exactly the rows assigned to them."""
    kind = method.split(":", 1)[0]
    return any(unit.kind == kind and unit.exact_shapes for unit in (_Grid, _Lsoa, _Segments))


def _rounded_parts(parts: Sequence[Polygon], decimals: int) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The parts' rings in EPSG:4326, open, coordinates rounded as they are written."""
    rings = []
    for part in parts:
        ring = _reproject(_TO_WGS84, part)
        rings.append(
            tuple((round(float(x), decimals), round(float(y), decimals)) for x, y in ring.exterior.coords[:-1])
        )
    return tuple(rings)


def _published_shape(
    parts: Sequence[Polygon], x: np.ndarray, y: np.ndarray, in_units: np.ndarray
) -> tuple[tuple[tuple[tuple[float, float], ...], ...], np.ndarray]:
    """The rings to publish and which of the points ``x, y`` lie in them (as written, in EPSG:27700).

    The fewest decimals (from 6) whose rounded polygon holds exactly the points ``in_units``; when none
    does (a point within the projections' round trip, about 1 mm, of a unit's edge; units that are not
    grid cells; a filled hole), the one that differs on fewest points, and the figures follow the polygon.
    """
    best: tuple[int, tuple[tuple[tuple[float, float], ...], ...], np.ndarray] | None = None
    for decimals in _DECIMALS:
        rings = _rounded_parts(parts, decimals)
        inside = shapely.intersects_xy(_polygon_geometry(rings), x, y)
        differ = int((inside != in_units).sum())
        if differ == 0:
            return rings, inside
        if best is None or differ < best[0]:
            best = (differ, rings, inside)
    assert best is not None
    return best[1], best[2]


def _polygon_geometry(polygon: Any) -> Any:
    """A hotspot polygon (one ring or several parts, ``[lon, lat]``) as a shapely geometry in EPSG:27700."""
    parts = [Polygon(ring) for ring in polygon_parts(polygon)]
    geometry = _reproject(_TO_BNG, parts[0] if len(parts) == 1 else MultiPolygon(parts))
    return geometry if geometry.is_valid else geometry.buffer(0)


def _published_polygon(polygon: Any) -> list[Any]:
    """The polygon as written: one ring ``[[lon, lat], ...]``, or a list of such rings (several parts)."""
    rings = [[[lon, lat] for lon, lat in ring] for ring in polygon_parts(polygon)]
    return rings[0] if len(rings) == 1 else rings


def _build(
    selected: list[_Selected],
    frame: pd.DataFrame,
    unit_of: np.ndarray,
    partition: _Partition,
    crime_types: Mapping[str, Sequence[str]],
    window: MonthWindow,
    rank_by: str,
    label: str,
) -> Iterable[tuple[Hotspot, _Selected]]:
    """Turn selections into :class:`Hotspot` objects with figures, names, shapes and priorities."""
    days = window.days
    type_project = {t: i for i, p in enumerate(PROJECTS) for t in crime_types[p]}
    member_arrays = [np.asarray(s.members, dtype=np.int64) for s in selected]
    everything = np.unique(np.concatenate(member_arrays)) if member_arrays else np.zeros(0, dtype=np.int64)
    project_all = frame["crime_type"].map(type_project).fillna(-1).to_numpy(dtype=np.int64)
    # Work on the few incidents in or near chosen units, with snap points and location names as integer
    # codes: near, because a point just outside a unit can fall in the polygon as written (rounded).
    xs = frame["x"].to_numpy(dtype=float)
    ys = frame["y"].to_numpy(dtype=float)
    outlines = [_outline([partition.shape(m, frame, unit_of) for m in s.members]) for s in selected]
    bounds = [shapely.bounds(unary_union(parts)) for parts in outlines]
    near = np.zeros(len(frame), dtype=bool)
    for x0, y0, x1, y1 in bounds:
        near |= (xs >= x0 - 1.0) & (xs <= x1 + 1.0) & (ys >= y0 - 1.0) & (ys <= y1 + 1.0)
    relevant = (np.isin(unit_of, everything) | near) & (project_all >= 0)
    units = unit_of[relevant]
    x_rel, y_rel = xs[relevant], ys[relevant]
    project_of = project_all[relevant]
    harm = frame["harm"].to_numpy(dtype=float)[relevant]
    lonlat = np.column_stack(
        [frame["lon"].to_numpy(dtype=float)[relevant], frame["lat"].to_numpy(dtype=float)[relevant]]
    )
    snaps, snap_of = np.unique(lonlat, axis=0, return_inverse=True)
    snap_of = snap_of.reshape(-1)
    location_of, locations = pd.factorize(frame["location"].to_numpy(dtype=object)[relevant])
    drafts: list[tuple[Hotspot, _Selected, float]] = []
    for s, parts in zip(selected, outlines, strict=True):
        serves = [0, 1] if s.project == "joint" else [PROJECTS.index(s.project)]
        in_units = np.isin(units, np.asarray(s.members, dtype=np.int64))
        if partition.exact_shapes:
            rings, inside = _published_shape(parts, x_rel, y_rel, in_units)
        else:
            # the figures that chose the hotspot stay its figures: an LSOA's or a segment's drawn shape does not
            # hold the rows assigned to it (104 chosen, 78 in the shape), and the header says so
            rings, inside = _rounded_parts(parts, _DECIMALS[0]), in_units
        counted = inside & np.isin(project_of, serves)
        figures = [
            (int((counted & (project_of == i)).sum()), float(harm[counted & (project_of == i)].sum())) for i in (0, 1)
        ]
        seed = counted & in_units & (units == s.members[0])
        if not seed.any():  # a joint hotspot whose seed unit only holds the other project's incidents
            seed = counted
        if not seed.any():  # its incidents all on an edge the published polygon leaves out (about 1 mm)
            seed = in_units & np.isin(project_of, serves)
        lon, lat = snaps[int(np.argmax(np.bincount(snap_of[seed])))]
        (n_asb, harm_asb), (n_sv, harm_sv) = figures
        all_asb, all_sv = int((inside & (project_of == 0)).sum()), int((inside & (project_of == 1)).sum())
        measure = (n_asb + n_sv) if rank_by == "count" else harm_asb + harm_sv
        counts = np.bincount(location_of[counted], minlength=len(locations))
        hotspot = Hotspot(
            id="",
            name=_name(
                {str(locations[i]): int(counts[i]) for i in np.flatnonzero(counts)}, partition.street_name(s.members[0])
            ),
            district=s.district,
            project=s.project,
            lat=float(lat),
            lon=float(lon),
            polygon=rings[0] if len(rings) == 1 else rings,
            harm_weight=_weight(harm_asb, harm_sv, days),
            priority=0,
            harm_asb=harm_asb,
            harm_sv=harm_sv,
            incidents=n_asb + n_sv,
            incidents_asb=all_asb,
            incidents_sv=all_sv,
            units=tuple(partition.unit_id(m) for m in s.members),
            unit_area_m2=float(sum(partition.area_m2(m) for m in s.members)),
            patrol_area_m2=float(sum(part.area for part in parts)),
            snap_points=len(np.unique(snap_of[counted])),
            method=label,
        )
        drafts.append((hotspot, s, measure))
    drafts.sort(key=lambda d: (d[0].project, d[0].district, -d[2], d[1].seed_rank))
    counters: dict[tuple[str, str], int] = {}
    for hotspot, s, _ in drafts:
        key = (hotspot.project, hotspot.district)
        counters[key] = counters.get(key, 0) + 1
        rank = counters[key]
        yield replace(hotspot, priority=rank, id=f"{PREFIX[hotspot.project]}-{hotspot.district}-{rank:02d}"), s


def _weight(harm_asb: float, harm_sv: float, days: int) -> float:
    """Harm per day of window, rounded to 6 significant figures (never 0 for a hotspot with harm)."""
    value = harm_asb / days + harm_sv / days
    if value <= 0:
        return 0.0
    return float(f"{value:.6g}")


def _name(counts: Mapping[str, int], street: str | None) -> str:
    """A readable name: the two commonest police.uk location names, street names before place types."""
    ranked = sorted(
        ((name.removeprefix("On or near "), n) for name, n in counts.items()),
        key=lambda kv: (kv[0] in _GENERIC_PLACES, -kv[1], kv[0]),
    )
    names = [name for name, _ in ranked if name]
    if street:
        names = [street] + [n for n in names if n != street]
    return " / ".join(names[:2]) or "unnamed place"


# ---- evidence ----------------------------------------------------------------------------------


def _hotspot_shape(item: Any) -> tuple[str, str, str, int, Polygon]:
    """(id, project, district, priority, polygon in EPSG:27700) of a hotspot-like object or mapping."""

    def get(name: str, default: Any = None) -> Any:
        value = _field(item, name)
        return default if value == "" else value

    hotspot_id = str(get("id"))
    polygon = get("polygon")
    radius = get("radius_m")
    if polygon:
        geometry = _polygon_geometry(polygon)
    elif radius:
        x, y = _TO_BNG.transform(float(get("lon")), float(get("lat")))
        geometry = Point(x, y).buffer(float(radius), quad_segs=16)
    else:
        raise DataError(f"hotspot {hotspot_id}: give a polygon or radius_m to measure what it covers")
    return hotspot_id, str(get("project")), str(get("district")), int(get("priority", 1) or 1), geometry


def coverage(
    hotspots: Sequence[Any],
    incidents: pd.DataFrame,
    *,
    force_area_m2: float,
    crime_types: Mapping[str, Sequence[str]] = DEFAULT_CRIME_TYPES,
    months: MonthWindow | str | tuple[str, str] | None = None,
    exclude_locations: Sequence[str] = DEFAULT_EXCLUDE_LOCATIONS,
) -> pd.DataFrame:
    """Share of incidents and harm a hotspot list covers against its share of the force area, per project.

    Works for any list: detected :class:`Hotspot` objects, a scenario's hotspots or mappings with
    ``polygon`` or ``lat``/``lon``/``radius_m``. An incident counts when its point lies in (or on the
    edge of) a hotspot serving the project (its own or a joint hotspot).

    Returns
    -------
    pandas.DataFrame
        One row per project: ``hotspots, incidents, covered, hit_pct, harm, harm_covered, harm_pct,
        area_km2, area_pct, pai``.
    """
    _check_incidents(incidents)
    window = _window_of(incidents, months)
    notes: list[str] = []
    frame = _prepare(incidents, window, crime_types, exclude_locations, notes)
    shapes = [_hotspot_shape(h) for h in hotspots]
    rows = []
    for project in PROJECTS:
        mine = [g for _, p, _, _, g in shapes if p in (project, "joint")]
        sub = frame[frame["crime_type"].isin(list(crime_types[project]))]
        union = unary_union(mine) if mine else Polygon()
        inside = (
            shapely.intersects_xy(union, sub["x"].to_numpy(), sub["y"].to_numpy()) if mine else np.zeros(len(sub), bool)
        )
        rows.append(_evidence_row(project, len(mine), sub, inside, union.area, force_area_m2))
    return pd.DataFrame(rows).set_index("project")


def _evidence_row(
    project: str, count: int, sub: pd.DataFrame, inside: np.ndarray, area_m2: float, force_area_m2: float
) -> dict[str, Any]:
    total = len(sub)
    harm = float(sub["harm"].sum())
    covered = int(inside.sum())
    harm_covered = float(sub["harm"].to_numpy()[inside].sum())
    hit = 100.0 * covered / total if total else 0.0
    area_pct = 100.0 * area_m2 / force_area_m2
    return {
        "project": project,
        "hotspots": count,
        "incidents": total,
        "covered": covered,
        "hit_pct": hit,
        "harm": harm,
        "harm_covered": harm_covered,
        "harm_pct": 100.0 * harm_covered / harm if harm else 0.0,
        "area_km2": area_m2 / 1e6,
        "area_pct": area_pct,
        "pai": hit / area_pct if area_pct else 0.0,
    }


def check_windows(
    train: MonthWindow | str | tuple[str, str], test: MonthWindow | str | tuple[str, str]
) -> tuple[MonthWindow, MonthWindow]:
    """The training and test windows, the test one after the training one (a forecast is scored later)."""
    train_w, test_w = parse_months(train), parse_months(test)
    if test_w.start <= train_w.end:
        raise DataError(f"the test window {test_w} must start after the training window {train_w} ends")
    return train_w, test_w


def evaluate(
    incidents: pd.DataFrame,
    *,
    train: MonthWindow | str | tuple[str, str],
    test: MonthWindow | str | tuple[str, str],
    force_area: ForceArea,
    methods: Sequence[str] = DEFAULT_EVALUATION_METHODS,
    k_values: Sequence[int | str] = DEFAULT_K_VALUES,
    crime_types: Mapping[str, Sequence[str]] = DEFAULT_CRIME_TYPES,
    default_top_k: Mapping[str, Mapping[str, int] | int] = DEFAULT_TOP_K,
    exclude_locations: Sequence[str] = DEFAULT_EXCLUDE_LOCATIONS,
    lsoa_boundaries: Mapping[str, Polygon] | str | Path | None = DEFAULT_LSOA_BOUNDARIES,
    graph: Any = None,
) -> pd.DataFrame:
    """Compare hotspot methods and K values on a later window, each next to the equal-area baseline.

    For every method and K, hotspots are detected on ``train`` and scored on ``test``: hit rate (share
    of the project's test incidents inside the units of the hotspots serving the project), harm share
    and PAI (hit % / area %). The baseline ranks 150 m grid cells by train count and takes, in each
    district, as many top cells as give the method's area there; so ``hit_vs_baseline`` compares hit
    rates at equal area. Joint merging is off unless a method says ``merge_joint=true``, so a row
    measures the detection method itself; the merged row shows the list as patrolled.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Covering both windows (from :func:`optimiser.incidents.load`).
    train, test : MonthWindow or "YYYY-MM:YYYY-MM"
        Detection window and the later window scored.
    force_area : ForceArea
        The force's LSOAs (area denominator; LSOA method).
    methods : sequence of str
        Method strings (see :func:`parse_method`).
    k_values : sequence of int or "default"
        Hotspots per district per project; ``"default"`` uses ``default_top_k``.
    crime_types, default_top_k, exclude_locations, lsoa_boundaries, graph
        As in :func:`detect`; the same incidents are left out of every method and of the baseline.

    Returns
    -------
    pandas.DataFrame
        One row per method, K and project: ``method, k, project, hotspots, area_km2, area_pct,
        train_hit_pct, test_hit_pct, test_harm_pct, pai, baseline_area_km2, baseline_hit_pct,
        baseline_pai, hit_vs_baseline``; ``attrs`` hold the windows and test incident totals.
    """
    train_w, test_w = check_windows(train, test)
    notes: list[str] = []
    test_frame = _prepare(incidents, test_w, crime_types, exclude_locations, notes)
    if test_frame.empty:
        raise DataError(f"no incidents in the test window {test_w}; load the files for those months")
    force_m2 = force_area.area_m2
    baseline = _Grid(BASELINE_CELL_M)
    rows: list[dict[str, Any]] = []
    base_train: pd.DataFrame | None = None
    base_tables: dict[str, pd.DataFrame] = {}
    for text in methods:
        options = parse_method(text)
        kind = options.pop("method")
        cache: dict[str, Any] = {}
        for k in k_values:
            top_k = default_top_k if k == "default" else int(k)
            detection = _detect(
                incidents,
                method=kind,
                cell_m=options.get("cell_m", 150),
                rank_by=options.get("rank_by", "count"),
                window=train_w,
                top_k=top_k,
                crime_types=crime_types,
                persistence=options.get("persistence"),
                separation_m=options.get("separation_m", 500.0),
                max_cells=options.get("max_cells", 9),
                min_incidents=options.get("min_incidents", 10),
                exclude_locations=exclude_locations,
                merge_joint=options.get("merge_joint", False),
                force_area=force_area,
                lsoa_boundaries=lsoa_boundaries,
                graph=graph,
                segment_buffer_m=options.get("segment_buffer_m", 25.0),
                max_snap_m=options.get("max_snap_m", 100.0),
                cache=cache,
            )
            partition = detection.partition
            if base_train is None:
                base_train = detection.frame
                base_units = baseline.assign(base_train)
                for project in PROJECTS:
                    mask = base_train["crime_type"].isin(list(crime_types[project])).to_numpy()
                    base_tables[project] = _unit_table(
                        base_train[mask], base_units[mask], baseline, train_w, None, "count"
                    )
            test_units = partition.assign(test_frame)
            train_units = detection.unit_of
            for project in PROJECTS:
                serving = [
                    (h, m) for h, m in zip(detection.hotspots, detection.members, strict=True) if h.serves(project)
                ]
                codes = np.asarray(sorted({c for _, m in serving for c in m}), dtype=np.int64)
                area_by_district: dict[str, float] = {}
                for h, m in serving:
                    area_by_district[h.district] = area_by_district.get(h.district, 0.0) + sum(
                        partition.area_m2(c) for c in m
                    )
                area = float(sum(partition.area_m2(int(c)) for c in codes))
                types = list(crime_types[project])
                tr_mask = detection.frame["crime_type"].isin(types).to_numpy()
                te_mask = test_frame["crime_type"].isin(types).to_numpy()
                train_in = np.isin(train_units[tr_mask], codes)
                test_sub = test_frame[te_mask]
                test_in = np.isin(test_units[te_mask], codes)
                row = _evidence_row(project, len(serving), test_sub, test_in, area, force_m2)
                base_area, base_in = _baseline(
                    base_tables[project], area_by_district, baseline, test_sub, baseline.assign(test_sub)
                )
                base_row = _evidence_row(project, 0, test_sub, base_in, base_area, force_m2)
                rows.append(
                    {
                        "method": text,
                        "k": str(k),
                        "project": project,
                        "hotspots": len(serving),
                        "area_km2": row["area_km2"],
                        "area_pct": row["area_pct"],
                        "train_hit_pct": 100.0 * train_in.mean() if len(train_in) else 0.0,
                        "test_hit_pct": row["hit_pct"],
                        "test_harm_pct": row["harm_pct"],
                        "pai": row["pai"],
                        "baseline_area_km2": base_row["area_km2"],
                        "baseline_hit_pct": base_row["hit_pct"],
                        "baseline_pai": base_row["pai"],
                        "hit_vs_baseline": row["hit_pct"] - base_row["hit_pct"],
                    }
                )
    table = pd.DataFrame(rows)
    table.attrs.update(
        {
            "train": str(train_w),
            "test": str(test_w),
            "test_incidents": {p: int(test_frame["crime_type"].isin(list(crime_types[p])).sum()) for p in PROJECTS},
            "notes": notes,
        }
    )
    return table


def _baseline(
    table: pd.DataFrame,
    area_by_district: Mapping[str, float],
    grid: _Grid,
    test_sub: pd.DataFrame,
    test_units: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Top 150 m cells by train count in each district, as many as match the method's area there."""
    cell_area = grid.area_m2(0)
    chosen: list[int] = []
    for district, area in area_by_district.items():
        n = max(1, round(area / cell_area)) if area > 0 else 0
        chosen.extend(int(c) for c in table.index[table["district"] == district][:n])
    codes = np.asarray(chosen, dtype=np.int64)
    return len(chosen) * cell_area, np.isin(test_units, codes)


def format_evaluation(table: pd.DataFrame) -> str:
    """Render :func:`evaluate`'s table as plain text, one block per project, methods and K side by side."""
    lines = [
        f"Hotspot evaluation: detect on {table.attrs.get('train', '?')}, score on {table.attrs.get('test', '?')}. "
        "Hit % = share of test incidents in the hotspots; PAI = hit % / area %;",
        "baseline = 150 m cells by count, top N per district at the method's area (whole cells, at least one).",
    ]
    totals = table.attrs.get("test_incidents", {})
    header = (
        f"{'method':<34} {'K':>7} {'spots':>5} {'km2':>6} {'area%':>6} {'train%':>6} {'hit%':>6} "
        f"{'harm%':>6} {'PAI':>6} {'base%':>6} {'basePAI':>7} {'vs base':>7}"
    )
    for project in PROJECTS:
        sub = table[table["project"] == project]
        if sub.empty:
            continue
        lines += ["", f"{project.upper()} ({totals.get(project, '?')} test incidents)", header]
        for _, r in sub.iterrows():
            lines.append(
                f"{r['method']:<34} {r['k']:>7} {r['hotspots']:>5d} {r['area_km2']:>6.2f} {r['area_pct']:>6.3f} "
                f"{r['train_hit_pct']:>6.2f} {r['test_hit_pct']:>6.2f} {r['test_harm_pct']:>6.2f} {r['pai']:>6.1f} "
                f"{r['baseline_hit_pct']:>6.2f} {r['baseline_pai']:>7.1f} {r['hit_vs_baseline']:>+7.2f}"
            )
    for note in table.attrs.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


# ---- refresh -----------------------------------------------------------------------------------


DIFF_COLUMNS: tuple[str, ...] = (
    "status",
    "hotspot_id",
    "project",
    "district",
    "harm",
    "rank",
    "incidents",
    "previous_id",
    "previous_project",
    "previous_rank",
    "incidents_asb",
    "incidents_sv",
    "previous_incidents",
    "previous_harm_weight",
    "overlap_share",
)
"""``diff.csv``: each new hotspot ``kept`` (overlaps ``previous_id``) or ``added``, each old one no new hotspot
overlaps ``dropped`` (its figures in the new window); ``previous_project``/``previous_rank`` show a kept
hotspot's change of team (a joint one becoming SV-only leaves the wardens) and of rank; ``incidents_asb`` /
``incidents_sv``: each project's incidents in the polygon, whichever team patrols it; ``previous_incidents`` /
``previous_harm_weight``: the old list's own figures for ``previous_id`` (its window), and ``overlap_share``: the
share of the old polygon's area the new one still covers (1.0 unchanged; a "kept" hotspot at 0.5 lost half
its ground, moved or shrunk; 0 for a dropped one), so a kept hotspot that moved is told apart."""


def refresh(
    incidents: pd.DataFrame,
    *,
    window: MonthWindow | str | tuple[str, str],
    out_dir: str | Path,
    old_hotspots: Sequence[Any] = (),
    command: str = "",
    title: str = "",
    load_report: LoadReport | None = None,
    **detect_options: Any,
) -> RefreshResult:
    """Detect a new hotspot list and write ``hotspots.yaml``, ``diff.csv`` and ``hotspots.geojson``.

    A new hotspot is ``kept`` when it overlaps an old one (and keeps the old id when project and
    district match, so ids stay stable across reviews), else ``added``; an old hotspot that no new
    one overlaps is ``dropped``, with its incidents and harm in the new window as evidence. New ids
    never reuse an old id. The three files are written into a temporary folder and then renamed into
    ``out_dir``, so a failed refresh never leaves a half-written set.

    Parameters
    ----------
    incidents : pandas.DataFrame
        From :func:`optimiser.incidents.load`.
    window : MonthWindow or "YYYY-MM:YYYY-MM"
        Months to detect from (e.g. the 12 before the scenario's ``default_week_start``).
    out_dir : path
        Folder for the three files (created if missing).
    old_hotspots : sequence
        The current list (scenario hotspots, :class:`Hotspot` objects or mappings).
    command : str
        The command that produced the files, written in the YAML header so it can be re-run.
    title : str
        Short description for the YAML header (e.g. the force name).
    load_report : LoadReport, optional
        What the loader set aside: written as ``rows_not_used.csv`` beside the list and summed up in the
        YAML header, so the counts a return needs travel with the figures (not only to the terminal).
    **detect_options
        Passed to :func:`detect` (method, top_k, crime_types, ...).
    """
    window_w = parse_months(window)
    crime_types = detect_options.get("crime_types", DEFAULT_CRIME_TYPES)
    exclude = detect_options.get("exclude_locations", DEFAULT_EXCLUDE_LOCATIONS)
    if _asks_for_none(detect_options.get("top_k", DEFAULT_TOP_K)):
        raise DataError(
            "hotspots_per_district is 0 for every district and project: no hotspot is asked for; "
            "set projects.<asb|sv>.hotspots_per_district"
        )
    new = detect(incidents, window=window_w, **detect_options)
    if not len(new):
        reasons = "; ".join(new.notes) or "no incidents of the projects' crime types"
        raise DataError(
            f"no hotspot found in {window_w} ({reasons}); widen --months or check the files; nothing was written"
        )
    old = [_hotspot_shape(h) for h in old_hotspots]
    old_figures = {o[0]: _previous_figures(h) for o, h in zip(old, old_hotspots, strict=True)}
    hull_era = sorted(oid for oid, figures in old_figures.items() if figures[2])
    if hull_era:
        new.notes.append(
            f"{len(hull_era)} hotspot(s) of the previous list ({', '.join(hull_era[:3])}"
            + (" ..." if len(hull_era) > 3 else "")
            + ") come from a list written before polygons were the units' union (their outline was a hull up to "
            "twice the units' area): overlap_share is left empty for them; compare previous_incidents"
        )
    new_shapes = [_polygon_geometry(h.polygon) for h in new]

    reuse: dict[int, str] = {}
    matched: dict[int, str] = {}
    overlap_share: dict[int, float] = {}
    overlapped_old: set[int] = set()
    for n, (h, g) in enumerate(zip(new, new_shapes, strict=True)):
        overlaps = []
        for o, (oid, oproject, odistrict, _, og) in enumerate(old):
            inter = g.intersection(og).area if g.intersects(og) else 0.0
            if inter > 1.0:
                overlaps.append((inter, o, oid, oproject, odistrict))
                overlapped_old.add(o)
        if overlaps:
            overlaps.sort(key=lambda t: (-t[0], t[2]))
            matched[n] = overlaps[0][2]
            overlap_share[n] = overlaps[0][0] / old[overlaps[0][1]][4].area if old[overlaps[0][1]][4].area else 0.0
            for _, _, oid, oproject, odistrict in overlaps:
                if oproject == h.project and odistrict == h.district and oid not in reuse.values():
                    reuse[n] = oid
                    break
    old_by_id = {o[0]: o for o in old}
    notes_made = list(new.notes)
    new = HotspotList(_assign_ids(new, reuse, {o[0] for o in old}), method=new.method, window=new.window)
    new.notes.extend(notes_made)

    rows: list[dict[str, Any]] = []
    for n, h in enumerate(new):
        rows.append(
            {
                "status": "kept" if n in matched else "added",
                "hotspot_id": h.id,
                "project": h.project,
                "district": h.district,
                "harm": round(h.harm, 2),
                "rank": h.priority,
                "incidents": h.incidents,
                "previous_id": matched.get(n, ""),
                "previous_project": old_by_id[matched[n]][1] if n in matched else "",
                "previous_rank": old_by_id[matched[n]][3] if n in matched else "",
                "incidents_asb": h.incidents_asb,
                "incidents_sv": h.incidents_sv,
                "previous_incidents": old_figures[matched[n]][0] if n in matched else "",
                "previous_harm_weight": old_figures[matched[n]][1] if n in matched else "",
                "overlap_share": round(overlap_share[n], 4) if n in matched and not old_figures[matched[n]][2] else "",
            }
        )
    dropped = [o for o in range(len(old)) if o not in overlapped_old]
    if dropped:
        notes: list[str] = []
        frame = _prepare(incidents, window_w, crime_types, exclude, notes)
        for o in dropped:
            oid, oproject, odistrict, opriority, og = old[o]
            serves = PROJECTS if oproject == "joint" else (oproject,)
            types = [t for p in serves if p in crime_types for t in crime_types[p]]
            sub = frame[frame["crime_type"].isin(types)]
            inside = shapely.intersects_xy(og, sub["x"].to_numpy(), sub["y"].to_numpy())
            every = {
                p: int(shapely.intersects_xy(og, f["x"].to_numpy(), f["y"].to_numpy()).sum())
                for p in PROJECTS
                for f in [frame[frame["crime_type"].isin(list(crime_types.get(p, ())))]]
            }
            rows.append(
                {
                    "status": "dropped",
                    "hotspot_id": oid,
                    "project": oproject,
                    "district": odistrict,
                    "harm": round(float(sub["harm"].to_numpy()[inside].sum()), 2),
                    "rank": opriority,
                    "incidents": int(inside.sum()),
                    "previous_id": oid,
                    "previous_project": oproject,
                    "previous_rank": opriority,
                    "incidents_asb": every["asb"],
                    "incidents_sv": every["sv"],
                    "previous_incidents": old_figures[oid][0],
                    "previous_harm_weight": old_figures[oid][1],
                    "overlap_share": 0.0,
                }
            )
    diff = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    order = {"kept": 0, "added": 1, "dropped": 2}
    diff = diff.sort_values(
        ["status", "project", "district", "rank", "hotspot_id"],
        key=lambda c: c.map(order) if c.name == "status" else c,
        kind="stable",
    ).reset_index(drop=True)
    paths = _write_outputs(new, diff, Path(out_dir), command=command, title=title, load_report=load_report)
    logger.info(
        "hotspot refresh %s: %d kept, %d added, %d dropped -> %s",
        window_w,
        int((diff["status"] == "kept").sum()),
        int((diff["status"] == "added").sum()),
        int((diff["status"] == "dropped").sum()),
        out_dir,
    )
    return RefreshResult(new, diff, *paths)


def _previous_figures(item: Any) -> tuple[Any, Any, bool]:
    """An old hotspot's (incidents, harm_weight, outlined as a hull) for diff.csv.

    ``incidents`` is empty text for a hand-made list (no figures: 0 incidents and no harm), not a 0 that
    reads as "had none". A list written before polygons were the units' union has figures but no per-project
    counts (``incidents_asb``/``incidents_sv`` 0 while ``incidents`` is not): its outline was their hull, so an
    overlap with it says nothing of ground lost.
    """
    incidents = _field(item, "incidents")
    harm = [_field(item, name) for name in ("harm_asb", "harm_sv")]
    hand_made = incidents in ("", 0) and all(value in ("", 0, 0.0) for value in harm)
    split = [_field(item, name) for name in ("incidents_asb", "incidents_sv")]
    hull = not hand_made and all(value in ("", 0) for value in split)
    return ("" if hand_made else incidents), _field(item, "harm_weight"), hull


def _field(item: Any, name: str) -> Any:
    """A field of a hotspot-like object or mapping, empty text when it has none (a hand-made list)."""
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return "" if value is None else value


def _asks_for_none(top_k: Mapping[str, Mapping[str, int] | int] | int) -> bool:
    """Whether a ``top_k`` asks for no hotspot at all (0 everywhere)."""
    if isinstance(top_k, int):
        return top_k == 0
    return all((k == 0) if isinstance(k, int) else not any(k.values()) for k in top_k.values())


def _assign_ids(hotspots: Sequence[Hotspot], reuse: Mapping[int, str], old_ids: set[str]) -> list[Hotspot]:
    """Kept hotspots keep their old id; the others get the next number not used by any old or kept id."""
    taken = set(old_ids) | set(reuse.values())
    out: list[Hotspot] = []
    for n, h in enumerate(hotspots):
        if n in reuse:
            out.append(replace(h, id=reuse[n]))
            continue
        number = 1
        while f"{PREFIX[h.project]}-{h.district}-{number:02d}" in taken:
            number += 1
        new_id = f"{PREFIX[h.project]}-{h.district}-{number:02d}"
        taken.add(new_id)
        out.append(replace(h, id=new_id))
    return out


class _FlowList(list[Any]):
    """A list written in YAML flow style (``[a, b]``), for coordinates."""


class _Dumper(yaml.SafeDumper):
    """YAML writer: coordinates on one line, keys in the order given."""


_Dumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def load_note(report: LoadReport) -> str:
    """One line on the police.uk rows read, kept and set aside by reason, for a YAML header."""
    reasons = [f"{report.counts[r]} {REASON_LABELS[r][1]}" for r in PROBLEM_REASONS if report.counts[r]]
    forces = ""
    if len(report.forces) > 1:
        forces = "; rows by force: " + ", ".join(f"{k} {v}" for k, v in sorted(report.forces.items()))
    return (
        f"police.uk rows: read {report.rows_read} from {len(report.files)} file(s), kept {report.rows_kept}; "
        + ("not used: " + ", ".join(reasons) if reasons else "none set aside for a data problem")
        + (f" ({report.outside_months} outside the months)" if report.outside_months else "")
        + forces
        + " (by file: the refresh's rows_not_used.csv)"
    )


def hotspots_yaml(
    hotspots: HotspotList | Sequence[Hotspot],
    *,
    command: str = "",
    title: str = "",
    load_report: LoadReport | None = None,
) -> str:
    """The hotspots file text: a header of comments (provenance, method, weights) and ``hotspots:``."""
    window = getattr(hotspots, "window", None)
    method = getattr(hotspots, "method", "") or (hotspots[0].method if hotspots else "")
    days = window.days if window else None
    counts: dict[str, int] = {}
    for h in hotspots:
        counts[h.project] = counts.get(h.project, 0) + 1
    header = [
        f"# Hotspots{' for ' + title if title else ''}: police.uk street-level crime and ASB, "
        + (f"months {window.start}..{window.end} ({days} days)." if window else "all months loaded."),
        "# Generated by optimiser.hotspots.refresh; regenerate rather than edit. Exact command:",
        *(f"#   {line}" for line in (command or "(not recorded)").splitlines()),
        f"# Method: {method}.",
        "# Units (grid: EPSG:27700 squares aligned to the grid origin) are ranked; a hotspot is its best unit plus",
        "# the next-best units closer than the separation to it; lat/lon is the busiest police.uk snap point of",
        "# its best unit (on a street or public place). polygon: the union of the units, one ring [[lon, lat], ...]",
        "# or, when they do not touch, a list of rings. incidents, harm_asb, harm_sv count the points inside the",
        (
            "# polygon (which holds exactly the units' incidents), as a recount from the police.uk files would:"
            if _exact_shapes(method)
            else "# units (rows by LSOA code or nearest street: the drawn polygon is a generalised outline, so a "
            "count of points inside it differs):"
        ),
        "# incidents for the projects patrolling it; incidents_asb / incidents_sv for each project in every hotspot.",
        "# harm_asb/harm_sv: days of harm (Cambridge Crime Harm Index style, data/harm_weights.csv) in the window;",
        f"# harm_weight = (harm_asb + harm_sv) / {days or 'window days'} (harm days per day of window).",
        "# priority ranks hotspots within project and district (1 = highest).",
        "# Hotspots: " + ", ".join(f"{p} {counts[p]}" for p in ("asb", "sv", "joint") if p in counts) + ".",
    ]
    header += [f"# Note: {note}." for note in getattr(hotspots, "notes", [])]
    if load_report is not None:
        header.append(f"# Note: {load_note(load_report)}.")
    header.append("# Contains public sector information licensed under the Open Government Licence v3.0.")
    body: dict[str, Any] = {}
    body["generated_by"] = "optimiser.hotspots.refresh"
    if window is not None:
        body["window"] = str(window)
    if method:
        body["method"] = method
    entries = []
    for h in hotspots:
        entry = h.to_scenario_dict()
        entry["polygon"] = _FlowList(_FlowList(p) for p in entry["polygon"])
        entries.append(entry)
    body["hotspots"] = entries
    text = yaml.dump(body, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return "\n".join(header) + "\n" + text


def hotspots_geojson(hotspots: HotspotList | Sequence[Hotspot]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (EPSG:4326), one polygon feature per hotspot with its figures."""
    window = getattr(hotspots, "window", None)
    features = []
    for h in hotspots:
        rings = [[[lon, lat] for lon, lat in ring] + [[ring[0][0], ring[0][1]]] for ring in polygon_parts(h.polygon)]
        geometry = (
            {"type": "Polygon", "coordinates": rings}
            if len(rings) == 1
            else {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]}
        )
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "hotspot_id": h.id,
                    "name": h.name,
                    "district": h.district,
                    "project": h.project,
                    "priority": h.priority,
                    "harm": round(h.harm, 2),
                    "harm_asb": round(h.harm_asb, 2),
                    "harm_sv": round(h.harm_sv, 2),
                    "harm_weight": h.harm_weight,
                    "incidents": h.incidents,
                    "units": len(h.units),
                    "unit_area_m2": round(h.unit_area_m2, 1),
                    "patrol_area_m2": round(h.patrol_area_m2, 1),
                    "snap_points": h.snap_points,
                    "lat": round(h.lat, 6),
                    "lon": round(h.lon, 6),
                    "window": str(window) if window else "",
                    "method": h.method,
                    "incidents_asb": h.incidents_asb,
                    "incidents_sv": h.incidents_sv,
                },
                "geometry": geometry,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "hotspots",
        "attribution": "Contains public sector information licensed under the Open Government Licence v3.0 "
        "(police.uk street-level crime); incidents and harm count the points inside each polygon",
        "features": features,
    }


def _geojson_text(collection: Mapping[str, Any]) -> str:
    """GeoJSON text with one feature per line: small, valid, and readable in a diff."""
    head = json.dumps({k: v for k, v in collection.items() if k != "features"})[:-1]
    features = ",\n".join(json.dumps(f, separators=(",", ":")) for f in collection["features"])
    return f'{head}, "features": [\n{features}\n]}}\n'


#: What each command writes into its --out folder. Both write rows_not_used.csv (the load report of their
#: window), so neither may write into the other's folder, nor into a plan's.
OUTPUT_SETS: dict[str, tuple[str, ...]] = {
    "hotspot refresh": ("hotspots.yaml", "diff.csv", "hotspots.geojson", "rows_not_used.csv"),
    "hotspot report": ("hotspot_incidents.csv", "hotspot_summary.csv", "rows_not_used.csv"),
    "plan": ("summary.json", "roster.csv", "visits.csv"),
}


def refuse_other_outputs(out_dir: str | Path, ours: str) -> None:
    """Refuse an ``--out`` folder holding another command's files (``ours`` names this command's set).

    Why: a refresh written into a report's folder (or the other way) replaced its ``rows_not_used.csv`` with
    another window's load report, beside figures it no longer described; a plan's folder is someone's week.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: is a file; give a folder")
    for kind, names in OUTPUT_SETS.items():
        found = [name for name in names if name not in OUTPUT_SETS[ours] and (out / name).is_file()]
        if kind != ours and found:
            raise DataError(f"--out {out}: holds a {kind}'s files ({', '.join(found)}); write the {ours} elsewhere")


def _write_outputs(
    hotspots: HotspotList,
    diff: pd.DataFrame,
    out_dir: Path,
    *,
    command: str,
    title: str,
    load_report: LoadReport | None = None,
) -> tuple[Path, Path, Path, Path | None]:
    names = OUTPUT_SETS["hotspot refresh"]
    refuse_other_outputs(out_dir, "hotspot refresh")
    writers = {
        names[0]: lambda path: path.write_text(
            hotspots_yaml(hotspots, command=command, title=title, load_report=load_report), encoding="utf-8"
        ),
        names[1]: lambda path: diff.to_csv(path, index=False, lineterminator="\n"),
        names[2]: lambda path: path.write_text(_geojson_text(hotspots_geojson(hotspots)), encoding="utf-8"),
    }
    if load_report is not None:
        writers[names[3]] = _csv_writer(load_report.rows_not_used())
    replace_files(out_dir, writers)
    return out_dir / names[0], out_dir / names[1], out_dir / names[2], out_dir / names[3] if load_report else None


# ---- report: figures of an adopted list -------------------------------------------------------

REPORT_INCIDENT_COLUMNS: tuple[str, ...] = (
    "hotspot_id",
    "name",
    "district",
    "project",
    "month",
    "crime_type",
    "category",
    "incidents",
)
"""``hotspot_incidents.csv``: one row per hotspot x month x police.uk crime type (zeros included, so a
trend has every month); ``category`` is ``asb``, ``sv`` (the projects' crime types) or ``other``."""

REPORT_SUMMARY_COLUMNS: tuple[str, ...] = (
    "level",
    "hotspot_id",
    "name",
    "district",
    "project",
    "asb_incidents",
    "sv_crimes",
    "other_crime",
    "total",
    "left_out_institutional",
    "area_m2",
    "asb_share_pct",
    "sv_share_pct",
    "area_share_pct",
    "share_of",
)
"""``hotspot_summary.csv``. ``level``: ``hotspot`` (one hotspot, counted in its polygon), ``list``
(the hotspots serving ``project`` asb or sv, or ``all`` of them, in a district or the whole force
(``district`` empty), each incident counted once however many of them it falls in), ``district`` and
``force`` (every incident there). Shares: of the district's ASB incidents, SV crimes and area for the
``list`` rows of a district; of the force's for every other row; ``share_of`` says which (``district`` or
``force``), so a table filtered to one level never mixes them unseen. ``left_out_institutional``: incidents
at police.uk's institutional snap points (police station, prison, hospital), left out of every figure as in
``refresh``."""


def report_tables(
    hotspot_list: Sequence[Any],
    incidents: pd.DataFrame,
    *,
    window: MonthWindow | str | tuple[str, str],
    force_area: ForceArea,
    crime_types: Mapping[str, Sequence[str]] = DEFAULT_CRIME_TYPES,
    exclude_locations: Sequence[str] = DEFAULT_EXCLUDE_LOCATIONS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ASB incidents, SV crimes and other crime in each hotspot of an adopted list, by month and crime type.

    Counted as points in each published polygon (or circle of ``radius_m``), the same definition as
    the list's own figures, over any months of data: the counts an analyst reports to the Home Office
    (before/after, trend, the list's share of the force's ASB and SV on its share of the area).

    Returns
    -------
    (hotspot_incidents, hotspot_summary) : pandas.DataFrame
        Columns :data:`REPORT_INCIDENT_COLUMNS` and :data:`REPORT_SUMMARY_COLUMNS`.
    """
    window_w = parse_months(window)
    if not hotspot_list:
        raise DataError("the scenario has no hotspots to report on; set hotspots_file: or hotspots:")
    _check_incidents(incidents)
    months = incidents["month"]
    in_window = incidents[(months >= window_w.start) & (months <= window_w.end)].reset_index(drop=True)
    institutional = in_window["location"].isin(list(exclude_locations)).to_numpy()
    frame = in_window[~institutional].reset_index(drop=True)
    left_out = in_window[institutional].reset_index(drop=True)
    types = list(incidents.attrs.get("crime_types") or sorted(set(incidents["crime_type"])))
    category = {t: "other" for t in types}
    for project in PROJECTS:
        for t in crime_types.get(project, ()):
            category[t] = project
    cat = frame["crime_type"].map(category).fillna("other").to_numpy(dtype=object)
    x, y = frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float)
    lx, ly = left_out["x"].to_numpy(dtype=float), left_out["y"].to_numpy(dtype=float)
    is_asb, is_sv, is_other = (cat == "asb"), (cat == "sv"), (cat == "other")  # once, not per row of the table
    force_asb, force_sv = int(is_asb.sum()), int(is_sv.sum())
    district_area = force_area.district_area_m2()

    entries = []
    for item in hotspot_list:
        hotspot_id, project, district, _, geometry = _hotspot_shape(item)
        name = _field(item, "name")
        entries.append((hotspot_id, str(name), district, project, geometry))

    def figures(inside: np.ndarray, left: np.ndarray) -> dict[str, Any]:
        asb, sv, other = int((inside & is_asb).sum()), int((inside & is_sv).sum()), int((inside & is_other).sum())
        return {
            "asb_incidents": asb,
            "sv_crimes": sv,
            "other_crime": other,
            "total": asb + sv + other,
            "left_out_institutional": int(left.sum()),
        }

    def shares(
        row: dict[str, Any], asb_total: int, sv_total: int, area_total: float, of: str = "force"
    ) -> dict[str, Any]:
        return {
            **row,
            "asb_share_pct": round(100.0 * row["asb_incidents"] / asb_total, 3) if asb_total else 0.0,
            "sv_share_pct": round(100.0 * row["sv_crimes"] / sv_total, 3) if sv_total else 0.0,
            "area_share_pct": round(100.0 * row["area_m2"] / area_total, 4) if area_total else 0.0,
            "share_of": of,
        }

    month_list = window_w.months
    detail: list[pd.DataFrame] = []
    summary: list[dict[str, Any]] = []
    for hotspot_id, name, district, project, geometry in entries:
        inside = shapely.intersects_xy(geometry, x, y)
        sub = frame[inside]
        counts = sub.groupby(["month", "crime_type"]).size()
        grid = pd.MultiIndex.from_product([month_list, types], names=["month", "crime_type"])
        table = counts.reindex(grid, fill_value=0).rename("incidents").reset_index()
        table.insert(0, "project", project)
        table.insert(0, "district", district)
        table.insert(0, "name", name)
        table.insert(0, "hotspot_id", hotspot_id)
        table["category"] = table["crime_type"].map(category).fillna("other")
        detail.append(table[list(REPORT_INCIDENT_COLUMNS)])
        row: dict[str, Any] = {
            "level": "hotspot",
            "hotspot_id": hotspot_id,
            "name": name,
            "district": district,
            "project": project,
        }
        row |= figures(inside, shapely.intersects_xy(geometry, lx, ly))
        row["area_m2"] = round(float(geometry.area), 1)
        summary.append(shares(row, force_asb, force_sv, force_area.area_m2))

    scopes: list[tuple[str, str]] = [(d, force_area.district_names.get(d, d)) for d in sorted(district_area)]
    scopes.append(("", "force"))
    for district, label in scopes:
        in_scope = frame["district"].to_numpy(dtype=object) == district if district else np.ones(len(frame), bool)
        left_scope = left_out["district"].to_numpy(dtype=object) == district if district else np.ones(len(lx), bool)
        area_total = district_area[district] if district else force_area.area_m2
        asb_total = int((in_scope & is_asb).sum()) if district else force_asb
        sv_total = int((in_scope & is_sv).sum()) if district else force_sv
        for listed in ("asb", "sv", "all"):
            mine = [
                g
                for _, _, d, p, g in entries
                if (not district or d == district) and (listed == "all" or p in (listed, "joint"))
            ]
            union = unary_union(mine) if mine else Polygon()
            inside = shapely.intersects_xy(union, x, y) if mine else np.zeros(len(frame), bool)
            left = shapely.intersects_xy(union, lx, ly) if mine else np.zeros(len(lx), bool)
            row = {
                "level": "list",
                "hotspot_id": "",
                "name": f"{len(mine)} hotspots serving {listed} in {label}"
                if listed != "all"
                else f"all {len(mine)} hotspots in {label}",
                "district": district,
                "project": listed,
            }
            row |= figures(inside, left)
            row["area_m2"] = round(float(union.area), 1)
            summary.append(shares(row, asb_total, sv_total, area_total, "district" if district else "force"))
        row = {"level": "district" if district else "force", "hotspot_id": "", "name": label, "district": district}
        row |= {"project": ""} | figures(in_scope, left_scope)
        row["area_m2"] = round(float(area_total), 1)
        summary.append(shares(row, force_asb, force_sv, force_area.area_m2))
    incidents_table = pd.concat(detail, ignore_index=True) if detail else pd.DataFrame(columns=REPORT_INCIDENT_COLUMNS)
    return incidents_table, pd.DataFrame(summary, columns=list(REPORT_SUMMARY_COLUMNS))


def write_report(
    out_dir: str | Path, hotspot_incidents: pd.DataFrame, summary: pd.DataFrame, rows_not_used: pd.DataFrame
) -> list[Path]:
    """Write ``hotspot_incidents.csv``, ``hotspot_summary.csv`` and ``rows_not_used.csv`` into ``out_dir``.

    All three or none: they are written into a temporary folder and then renamed (as ``refresh`` does),
    so a failed report never leaves a figure without its load report.
    """
    out = Path(out_dir)
    refuse_other_outputs(out, "hotspot report")
    tables = {
        "hotspot_incidents.csv": hotspot_incidents,
        "hotspot_summary.csv": summary,
        "rows_not_used.csv": rows_not_used,
    }
    replace_files(out, {name: _csv_writer(table) for name, table in tables.items()})
    return [out / name for name in tables]


def _csv_writer(table: pd.DataFrame) -> Any:
    """A writer for :func:`optimiser.outputs.replace_files`: the table as CSV, Unix line ends."""

    def write(path: Path) -> None:
        table.to_csv(path, index=False, lineterminator="\n")

    return write


def read_hotspots_file(path: str | Path) -> list[dict[str, Any]]:
    """The ``hotspots:`` entries of a hotspots file, as mappings (for diffs and checks).

    Raises
    ------
    DataError
        When the file is missing, not YAML, or has no ``hotspots:`` list.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: hotspots file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot be read as YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("hotspots"), list):
        raise DataError(f"{path}: a hotspots file must be a mapping with a list under 'hotspots:'")
    return [dict(h) for h in data["hotspots"]]
