"""Street networks from OpenStreetMap: load, filter, snap and build integer travel-time matrices (cached)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from optimiser.errors import DataError, NetworkUnavailableError

__all__ = [
    "DEFAULT_CIRCUITY",
    "DEFAULT_SNAP_MAX_M",
    "DEFAULT_SPEEDS_KMH",
    "EARTH_RADIUS_M",
    "PROFILES",
    "GraphStats",
    "NetworkReport",
    "SnapError",
    "Snapped",
    "StreetGraph",
    "TravelMatrix",
    "TravelSettings",
    "TravelSettingsLike",
    "clear_caches",
    "crowfly_seconds",
    "default_cache_dir",
    "export_graphml",
    "fetch",
    "graph_from_arrays",
    "graph_travel_matrix",
    "haversine_m",
    "inspect",
    "load_graph",
    "network_seconds",
    "pair_costs",
    "snap",
    "travel_matrix",
]

logger = logging.getLogger(__name__)

PROFILES: tuple[str, ...] = ("walk", "drive")
MODELS: tuple[str, ...] = ("crowfly", "network")
EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres; the haversine radius of the crow-fly model."""
DEFAULT_CIRCUITY = 1.3
DEFAULT_SNAP_MAX_M = 300.0
DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType({"walk": 4.8, "drive": 30.0})

# Seconds are rounded up, but a float sum such as 59.99999999999 + 1e-12 must not become 61: values within
# this many seconds above an integer count as that integer.
_ROUND_TOLERANCE_S = 1e-6
# Bump when the processing below changes, so stale disk caches are ignored rather than trusted.
_CACHE_VERSION = 4
# At most this many float64 cells per Dijkstra batch (sources x graph nodes), about 4 MB: measured on a
# 50,000-node grid, batches of 200 sources ran at 16 ms a source and batches of <= 16 at 5-6 ms (the
# distance rows stay in cache).
_MAX_BATCH_CELLS = 500_000
_EXTRA_WAY_TAGS = ("foot", "motor_vehicle", "motorcar", "vehicle", "motorroad")
_XML_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.gz")
_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_GRAPHML_SUFFIXES = (".graphml",)

# --- which ways each profile may use -------------------------------------------------------------------------

_WALK_HIGHWAYS = frozenset(
    {
        "footway", "path", "pedestrian", "living_street", "residential", "service", "track", "steps",
        "cycleway", "bridleway", "unclassified", "road", "tertiary", "tertiary_link", "secondary",
        "secondary_link", "primary", "primary_link", "trunk", "trunk_link",
    }
)  # fmt: skip
# Fastest first; a simplified edge that merges several road classes is timed as its slowest class.
_DRIVE_HIGHWAY_ORDER = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "road", "living_street",
    "service",
)  # fmt: skip
_DRIVE_HIGHWAYS = frozenset(_DRIVE_HIGHWAY_ORDER)
_DRIVE_SERVICE_EXCLUDED = frozenset({"parking", "parking_aisle", "driveway", "private", "emergency_access"})
_NO_ACCESS = frozenset({"no", "private"})
_ACCESS_GRANTED = frozenset({"yes", "designated", "permissive", "official", "destination"})


class TravelSettingsLike(Protocol):
    """What :func:`travel_matrix` reads from a scenario's ``travel`` section (duck-typed, read-only).

    Attributes
    ----------
    model : str
        ``"crowfly"`` (great-circle distance x circuity / speed) or ``"network"`` (street graph).
    extract : Path | None
        Absolute path of the OSM extract (``.osm``, ``.osm.pbf`` or osmnx ``.graphml``) for ``network``.
    circuity : float
        Ratio of street distance to straight-line distance for ``crowfly`` (dimensionless, >= 1).
    snap_max_m : float
        Largest allowed distance, metres, from a point to its nearest street-graph node.
    speeds_kmh : Mapping[str, float]
        ``walk`` and ``drive`` speeds, km/h. ``network`` walking uses the walk speed over edge lengths;
        ``network`` driving uses OSM speed limits and the drive speed only where a road class has none.
    """

    @property
    def model(self) -> str: ...  # noqa: D102

    @property
    def extract(self) -> Path | None: ...  # noqa: D102

    @property
    def circuity(self) -> float: ...  # noqa: D102

    @property
    def snap_max_m(self) -> float: ...  # noqa: D102

    @property
    def speeds_kmh(self) -> Mapping[Any, float]: ...  # noqa: D102


@dataclass(frozen=True)
class TravelSettings:
    """A plain implementation of :class:`TravelSettingsLike` for library users, tests and benchmarks."""

    model: str = "crowfly"
    extract: Path | None = None
    circuity: float = DEFAULT_CIRCUITY
    snap_max_m: float = DEFAULT_SNAP_MAX_M
    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Travel times between points, the one source of leg times for the solver and the plan validator.

    Attributes
    ----------
    ids : tuple[str, ...]
        Point ids, in the order of the matrix rows and columns.
    seconds : numpy.ndarray
        int64 [n, n] travel times in seconds, rounded up, zero diagonal; read-only.
    model : str
        ``"crowfly"`` or ``"network"``: the travel model every plan must state.
    profile : str
        ``"walk"`` or ``"drive"``.
    snap_distances_m : dict[str, float]
        Distance, metres, from each point to the street-graph node it was snapped to (empty for crowfly).

    Notes
    -----
    Network times run between the snapped nodes: the walk from a point to its node is reported in
    ``snap_distances_m`` but not added, so two points on the same node are 0 s apart. Compared with
    ``==`` by identity (it holds an array); compare ``seconds`` with ``numpy.array_equal``.
    """

    ids: tuple[str, ...]
    seconds: np.ndarray
    model: str
    profile: str
    snap_distances_m: dict[str, float]
    notes: tuple[str, ...] = ()  # what a planner should hear about the street graph (kept share, one-way streets)
    extract_sha256: str = ""  # SHA-256 of the extract the network times came from ("" for crowfly)

    def minutes(self) -> np.ndarray:
        """Leg times in whole minutes, ``ceil(seconds / 60)``, as the plan contract states them (int64)."""
        return (self.seconds + 59) // 60

    def minutes_between(self, a: str, b: str) -> int:
        """Minutes from point ``a`` to point ``b`` (rounded up); ``KeyError`` names an unknown id."""
        index = self._index
        for point in (a, b):
            if point not in index:
                raise KeyError(f"point {point!r} is not in this travel matrix ({len(self.ids)} points)")
        return int((int(self.seconds[index[a], index[b]]) + 59) // 60)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {point: i for i, point in enumerate(self.ids)}


# --- the street graph ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphStats:
    """What loading kept and dropped, so a report can show the network is the one the user expects.

    Attributes
    ----------
    source_nodes, source_edges : int
        Nodes and directed edges of the osmnx graph built from every highway in the extract.
    profile_edges : int
        Directed edges the profile may use (walking edges counted in both directions).
    components : int
        Strongly connected components among the nodes those edges touch.
    nodes, edges : int
        Nodes and directed edges kept: the largest strongly connected component, parallel edges merged.
    nodes_dropped : int
        Nodes on usable edges that were outside the kept component.
    """

    source_nodes: int
    source_edges: int
    profile_edges: int
    components: int
    nodes: int
    edges: int
    nodes_dropped: int

    @property
    def components_dropped(self) -> int:
        """Strongly connected components discarded (all but the largest)."""
        return max(self.components - 1, 0)


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """A profile's street graph as flat arrays: the form the compiled shortest-path routine needs.

    Attributes
    ----------
    profile : str
        ``"walk"`` or ``"drive"``.
    source : str
        Where the graph came from (the extract path, or a description for synthetic graphs).
    sha256 : str
        SHA-256 of the extract file ("" for synthetic graphs); part of every cache key.
    osmid : numpy.ndarray
        int64 [n] OSM node ids; below zero, a street point a simplified GraphML had merged into an edge.
    lat, lon : numpy.ndarray
        float64 [n] node coordinates, degrees (WGS84).
    src, dst : numpy.ndarray
        int64 [m] directed edges as node indices; no parallel edges, no self-loops.
    length_m : numpy.ndarray
        float64 [m] edge lengths, metres.
    travel_time_s : numpy.ndarray | None
        float64 [m] drive travel times, seconds, from OSM speed limits; None for walking graphs.
    stats : GraphStats
        Counts of what was kept and dropped.
    dropped_lat, dropped_lon : numpy.ndarray
        float64 coordinates of the usable street nodes outside the kept component (a place near them is near
        a street, one the network cannot use: a snap error says so rather than "off the map").
    """

    profile: str
    source: str
    sha256: str
    osmid: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray | None
    stats: GraphStats
    dropped_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dropped_lon: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        # Graphs are shared through the in-process cache: make their arrays read-only.
        for array in (
            self.osmid, self.lat, self.lon, self.src, self.dst, self.length_m, self.travel_time_s, self.dropped_lat,
            self.dropped_lon,
        ):  # fmt: skip
            if array is not None:
                array.flags.writeable = False

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.osmid)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.src)

    @cached_property
    def length_csr(self) -> sp.csr_matrix:
        """Edge lengths (metres) as a CSR matrix for :func:`scipy.sparse.csgraph.dijkstra`."""
        return _csr(self.src, self.dst, self.length_m, self.n_nodes)

    @cached_property
    def time_csr(self) -> sp.csr_matrix:
        """Drive travel times (seconds) as a CSR matrix; raises for walking graphs."""
        if self.travel_time_s is None:
            raise ValueError("a walking graph has no edge travel times; use length_csr and the walk speed")
        return _csr(self.src, self.dst, self.travel_time_s, self.n_nodes)

    @cached_property
    def two_way_only(self) -> bool:
        """Whether every edge has its reverse (no one-way street): worked out once per graph, not per matrix."""
        forward = set(zip(self.src.tolist(), self.dst.tolist(), strict=True))
        return all((b, a) in forward for a, b in forward)

    @cached_property
    def _tree(self) -> tuple[cKDTree, Any]:
        transformer = _utm_transformer(float(np.mean(self.lat)), float(np.mean(self.lon)))
        x, y = transformer.transform(self.lon, self.lat)
        return cKDTree(np.column_stack([x, y])), transformer


def _csr(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> sp.csr_matrix:
    """Build a CSR adjacency matrix; edges must be unique so nothing is summed, and zero weights stay edges."""
    matrix = sp.csr_matrix((weight.astype(np.float64), (src, dst)), shape=(n, n))
    matrix.sort_indices()
    return matrix


def graph_from_arrays(
    lat: np.ndarray,
    lon: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    length_m: np.ndarray,
    *,
    profile: str = "walk",
    travel_time_s: np.ndarray | None = None,
    osmid: np.ndarray | None = None,
    source: str = "arrays",
) -> StreetGraph:
    """Make a :class:`StreetGraph` from edge arrays, merging parallel edges (shortest kept) and self-loops.

    Used for synthetic graphs (tests, benchmarks); unlike :func:`load_graph` it keeps every component,
    so unreachable pairs are possible.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Node coordinates, degrees.
    src, dst : numpy.ndarray
        Directed edges as node indices (add both directions for a two-way street).
    length_m : numpy.ndarray
        Edge lengths, metres.
    profile : str
        ``"walk"`` or ``"drive"``; drive needs ``travel_time_s`` (seconds per edge).
    """
    _check_profile(profile)
    if profile == "drive" and travel_time_s is None:
        raise ValueError("a drive graph needs travel_time_s")
    n = len(lat)
    weight = travel_time_s if profile == "drive" else length_m
    keep = _dedup_edges(np.asarray(src), np.asarray(dst), np.asarray(weight, dtype=np.float64))
    src_k = np.asarray(src, dtype=np.int64)[keep]
    stats = GraphStats(n, len(src), len(src), 0, n, len(src_k), 0)
    return StreetGraph(
        profile=profile,
        source=source,
        sha256="",
        osmid=np.arange(n, dtype=np.int64) if osmid is None else np.array(osmid, dtype=np.int64),
        lat=np.array(lat, dtype=np.float64),
        lon=np.array(lon, dtype=np.float64),
        src=src_k,
        dst=np.asarray(dst, dtype=np.int64)[keep],
        length_m=np.asarray(length_m, dtype=np.float64)[keep],
        travel_time_s=None if travel_time_s is None else np.asarray(travel_time_s, dtype=np.float64)[keep],
        stats=stats,
    )


def _dedup_edges(src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Indices of the edges to keep: no self-loops, and of parallel edges only the lightest (first on ties)."""
    order = np.lexsort((np.arange(len(src)), weight, dst, src))
    s, d = src[order], dst[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    keep = order[first & (s != d)]
    return np.sort(keep)


def default_cache_dir() -> Path:
    """Where processed graphs and matrices are cached: ``$PATROL_CACHE_DIR`` or ``~/.cache/patrol``."""
    env = os.environ.get("PATROL_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "patrol"


def load_graph(
    extract: Path | str,
    *,
    profile: str,
    drive_fallback_kmh: float = DEFAULT_SPEEDS_KMH["drive"],
    cache_dir: Path | None = None,
) -> StreetGraph:
    """Load a profile's street graph from an OSM extract, using the in-process and disk caches.

    Loading builds the osmnx graph of every ``highway`` way with every street node (a simplified GraphML has
    its edges split back at their geometry's points), keeps the edges the profile may
    use (see the module's ``_walkable`` / ``_drivable``), makes walking edges two-way, times driving
    edges from OSM speed limits (``ox.add_edge_speeds``; ``drive_fallback_kmh`` for road classes with no
    limit in the extract) and keeps the largest strongly connected component, so every kept node can
    reach every other. The result is cached on disk by (extract SHA-256, profile[, fallback speed]).

    Parameters
    ----------
    extract : Path | str
        ``.osm`` (also ``.osm.bz2``/``.osm.gz``), ``.osm.pbf`` or an osmnx ``.graphml`` file.
    profile : str
        ``"walk"`` or ``"drive"``.
    drive_fallback_kmh : float
        Drive speed, km/h, for road classes without any ``maxspeed`` in the extract (drive only).
    cache_dir : Path | None
        Cache folder; None means :func:`default_cache_dir`.

    Raises
    ------
    DataError
        The file is missing, of an unknown kind, unreadable, or holds no usable streets.
    """
    _check_profile(profile)
    path = Path(extract).expanduser().resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError(f"{extract}: street network extract not found or unreadable ({exc.strerror}).") from exc
    if not path.is_file():
        raise DataError(f"{extract}: street network extract is not a file.")
    _extract_kind(path)
    fallback = float(drive_fallback_kmh) if profile == "drive" else 0.0
    if profile == "drive" and not (math.isfinite(fallback) and fallback > 0):
        raise DataError(f"speeds_kmh.drive must be a positive speed in km/h, not {drive_fallback_kmh!r}.")
    cache = None if cache_dir is None else Path(cache_dir)
    return _load_graph_cached(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino, profile, fallback, cache)


@lru_cache(maxsize=16)
def _load_graph_cached(
    path: str, mtime_ns: int, size: int, inode: int, profile: str, fallback: float, cache_dir: Path | None
) -> StreetGraph:
    """Load once per (file version, profile, fallback): the arguments after ``path`` key the LRU cache."""
    del mtime_ns, size, inode  # part of the cache key only
    extract = Path(path)
    digest = file_sha256(extract)
    key = f"v{_CACHE_VERSION}-{digest}-{profile}" + (f"-{fallback:g}kmh" if profile == "drive" else "")
    folder = (cache_dir or default_cache_dir()) / "graphs"
    cached = folder / f"{key}.npz"
    if cached.is_file():
        try:
            graph = _read_graph(cached, source=path, sha256=digest)
        except Exception as exc:  # any damage (a truncated zip, a short array): the cache is rebuilt, never trusted
            logger.warning("ignoring unreadable graph cache %s (%s: %s); rebuilding", cached, type(exc).__name__, exc)
        else:
            logger.info("street graph %s (%s) from cache %s", extract.name, profile, cached)
            return graph
    started = time.perf_counter()
    graph = _build_graph(extract, profile=profile, drive_fallback_kmh=fallback, sha256=digest)
    s = graph.stats
    logger.info(
        "street graph %s (%s): %d nodes, %d edges kept; %d of %d components dropped (%d nodes) in %.1f s",
        extract.name, profile, s.nodes, s.edges, s.components_dropped, s.components, s.nodes_dropped,
        time.perf_counter() - started,
    )  # fmt: skip
    _write_graph(cached, graph)
    return graph


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _extract_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        return "pbf"
    if name.endswith(_XML_SUFFIXES):
        return "xml"
    if name.endswith(_GRAPHML_SUFFIXES):
        return "graphml"
    raise DataError(
        f"{path}: unknown street network format; use an OpenStreetMap extract ending .osm, .osm.pbf "
        "(for example from download.geofabrik.de) or an osmnx .graphml file."
    )


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise DataError(f"unknown travel profile {profile!r}; use one of {', '.join(PROFILES)}.")


@contextlib.contextmanager
def _osmnx_settings(**overrides: Any) -> Iterator[Any]:
    """Temporarily change ``osmnx.settings`` (a module of globals), restoring them afterwards."""
    import osmnx as ox

    saved = {name: getattr(ox.settings, name) for name in overrides}
    try:
        for name, value in overrides.items():
            setattr(ox.settings, name, value)
        yield ox
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _useful_way_tags() -> list[str]:
    import osmnx as ox

    return list(dict.fromkeys([*ox.settings.useful_tags_way, *_EXTRA_WAY_TAGS]))


def _read_osmnx_graph(path: Path) -> Any:
    """Read an extract into an unfiltered osmnx MultiDiGraph of its highways (one-way aware, every node kept).

    A simplified GraphML (osmnx's default download) has its edges split back at the points of their
    geometry (:func:`_split_simplified_edges`), so it keeps every street node as an extract does.
    """
    kind = _extract_kind(path)
    with _osmnx_settings(useful_tags_way=_useful_way_tags(), log_console=False) as ox:
        if kind == "graphml":
            try:
                graph = ox.load_graphml(path)
            except Exception as exc:  # osmnx/networkx raise many types for a malformed file
                raise DataError(f"{path}: not a readable osmnx GraphML file ({exc}).") from exc
            crs = str(graph.graph.get("crs", "epsg:4326")).lower()
            if crs not in {"epsg:4326", "wgs84", "+proj=longlat +datum=wgs84 +no_defs"}:
                raise DataError(
                    f"{path}: GraphML graph is projected ({crs}); save the unprojected graph "
                    "(crs epsg:4326, as osmnx downloads it) or pass the .osm/.osm.pbf extract instead."
                )
            if not graph.is_directed():
                # an undirected graph gives each street once, in an arbitrary direction: driving would lose most
                # streets and one-way streets would be lost altogether
                raise DataError(
                    f"{path}: the GraphML graph is undirected (saved after ox.convert.to_undirected?), so the "
                    "direction of travel along its streets is lost; save the directed graph osmnx downloads "
                    "(ox.save_graphml(G)) or pass the .osm/.osm.pbf extract"
                )
            _require_attributes(graph, path)
            return _split_simplified_edges(graph)
        with tempfile.TemporaryDirectory(prefix="patrol-osm-") as tmp:
            highways = Path(tmp) / "highways.osm"
            if _write_highways_xml(path, highways) == 0:
                raise DataError(
                    f"{path}: the extract holds no streets (no OSM ways tagged highway=*); check that it "
                    "covers the area and was not filtered to other features."
                )
            try:
                # not simplified: every OSM node of the streets stays a node (metres apart), so a place snaps to
                # the street it stands on, not to a junction hundreds of metres along it (a simplified rural edge)
                return ox.graph_from_xml(highways, bidirectional=False, simplify=False, retain_all=True)
            except Exception as exc:  # InsufficientResponseError, ParseError, ...
                raise DataError(f"{path}: no street network could be built from this extract ({exc}).") from exc


def _coordinate_key(lon: float, lat: float) -> tuple[float, float]:
    """A point's position to about a centimetre: the two directions of a street share their inner points."""
    return (round(float(lon), 7), round(float(lat), 7))


def _split_simplified_edges(graph: Any) -> Any:
    """Split each edge with a ``geometry`` at its inner points, as the unsimplified graph of its streets.

    osmnx's default download (``simplify=True``) keeps only junctions as nodes and the street's shape as an
    edge ``geometry``. Snapping to such a graph puts a place in the middle of a long street at a junction
    hundreds of metres away, untimed, or refuses it as off the map. Each inner point becomes a node (a
    negative id, numbered in coordinate order so loads repeat), shared by both directions of a two-way
    street, and each piece keeps the edge's tags, with the edge's ``length`` shared out in proportion to
    the pieces' great-circle lengths: a path's length and drive time along the street are unchanged. What the
    simplification merged stays merged: an edge joining a drivable and a non-drivable way carries both tags,
    so driving leaves it out whole (12 of 200 scattered Leeds points snap up to 41 m differently).
    """
    shaped = [
        (u, v, k, data)
        for u, v, k, data in graph.edges(keys=True, data=True)
        if data.get("geometry") is not None and len(data["geometry"].coords) > 2
    ]
    if not shaped:
        return graph
    node_at = {_coordinate_key(data["x"], data["y"]): node for node, data in graph.nodes(data=True)}
    inner = sorted(
        {_coordinate_key(*point) for _u, _v, _k, data in shaped for point in data["geometry"].coords[1:-1]}
        - node_at.keys()
    )
    for number, (lon, lat) in enumerate(inner, start=1):
        node_at[(lon, lat)] = -number
        graph.add_node(-number, x=lon, y=lat, street_count=2)
    for u, v, k, data in shaped:
        points = np.asarray(data["geometry"].coords, dtype=np.float64)
        chain = [u, *(node_at[_coordinate_key(*point)] for point in points[1:-1]), v]
        pieces = haversine_m(points[:-1, 1], points[:-1, 0], points[1:, 1], points[1:, 0])
        total = float(pieces.sum())
        share = pieces / total if total > 0 else np.full(len(pieces), 1.0 / len(pieces))
        tags = {key: value for key, value in data.items() if key not in ("geometry", "length")}
        length = float(data["length"])
        graph.remove_edge(u, v, k)
        for start, end, fraction in zip(chain[:-1], chain[1:], share, strict=True):
            if start == end:  # a point repeated in the geometry: no length to share
                continue
            graph.add_edge(start, end, **tags, length=length * float(fraction))
    graph.graph["simplified"] = False
    return graph


def _require_attributes(graph: Any, path: Path) -> None:
    """Every node has ``x`` and ``y`` and every edge a ``length``, as osmnx writes them (else a KeyError later)."""
    nodes = [node for node, data in graph.nodes(data=True) if "x" not in data or "y" not in data]
    if nodes:
        raise DataError(
            f"{path}: {len(nodes)} of {graph.number_of_nodes()} nodes have no x/y coordinates (first: node "
            f"{nodes[0]}); save the graph with osmnx (ox.save_graphml) or pass the .osm/.osm.pbf extract"
        )
    edges = [(u, v) for u, v, data in graph.edges(data=True) if "length" not in data]
    if edges:
        raise DataError(
            f"{path}: {len(edges)} of {graph.number_of_edges()} street edges have no 'length' (first: "
            f"{edges[0][0]} -> {edges[0][1]}); save the graph with osmnx (ox.save_graphml) or pass the "
            ".osm/.osm.pbf extract"
        )


def _write_highways_xml(path: Path, out: Path) -> int:
    """Copy the ``highway`` ways of an OSM file (XML or PBF) and the nodes they use to an OSM XML file.

    Buildings, land use and the rest are left out before osmnx sees the data: they are not streets, and
    in a city extract they are most of the file. Returns the number of ways written.
    """
    import osmium

    count = 0
    try:
        with osmium.BackReferenceWriter(str(out), ref_src=str(path), overwrite=True, remove_tags=False) as writer:
            ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
            for way in ways:
                writer.add_way(way)
                count += 1
    except (RuntimeError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable OpenStreetMap file ({exc}).") from exc
    return count


def export_graphml(extract: Path | str, out: Path | str) -> Path:
    """Save the unfiltered osmnx graph of an ``.osm``/``.osm.pbf`` extract (every street node) as GraphML.

    The file holds exactly what :func:`load_graph` builds before applying a profile, so loading it
    gives the same graphs, snaps and matrices as the extract itself (this is how the shipped
    ``data/osm/leeds_its_example.graphml`` was made).
    """
    import osmnx as ox

    source = Path(extract)
    if _extract_kind(source) == "graphml":
        raise DataError(f"{source}: already GraphML; give the .osm or .osm.pbf extract it came from.")
    graph = _read_osmnx_graph(source)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, target)
    return target


def _values(data: Mapping[str, Any], key: str) -> list[str]:
    """An edge tag as a list of lower-case strings: simplified edges carry one value per merged way."""
    value = data.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item).strip().lower() for item in items]


def _walkable(data: Mapping[str, Any]) -> bool:
    """Whether people may walk an edge: every merged way a walkable road class, none closed to pedestrians.

    Motorways, ``motorroad=yes`` roads and ways with ``foot=no`` are out; ``access=private|no`` is out
    unless ``foot`` grants access; private service roads are out. Pedestrian areas are kept: walking
    round their edge is a valid (slightly long) route.
    """
    highways = _values(data, "highway")
    if not highways or any(h not in _WALK_HIGHWAYS for h in highways):
        return False
    if "yes" in _values(data, "motorroad"):
        return False
    foot = _values(data, "foot")
    if any(f in _NO_ACCESS for f in foot):
        return False
    if any(a in _NO_ACCESS for a in _values(data, "access")) and not any(f in _ACCESS_GRANTED for f in foot):
        return False
    return "private" not in _values(data, "service")


def _drivable(data: Mapping[str, Any]) -> bool:
    """Whether a car may use an edge: every merged way a public road class, open to motor vehicles.

    Tracks, paths and pedestrian ways are out, as are areas, parking aisles, driveways and emergency
    access roads (as osmnx's ``drive`` network), and ways closed by ``access``/``motor_vehicle``/
    ``motorcar``/``vehicle`` ``= no|private`` unless a more specific motor tag grants access.
    """
    highways = _values(data, "highway")
    if not highways or any(h not in _DRIVE_HIGHWAYS for h in highways):
        return False
    if "yes" in _values(data, "area"):
        return False
    if any(s in _DRIVE_SERVICE_EXCLUDED for s in _values(data, "service")):
        return False
    motor = _values(data, "motor_vehicle") + _values(data, "motorcar")
    if any(m in _NO_ACCESS for m in motor):
        return False
    general = _values(data, "access") + _values(data, "vehicle")
    return not (any(a in _NO_ACCESS for a in general) and not any(m in _ACCESS_GRANTED for m in motor))


def _slowest_class(highways: list[str]) -> str:
    return max(highways, key=lambda h: _DRIVE_HIGHWAY_ORDER.index(h) if h in _DRIVE_HIGHWAYS else -1)


#: The osmnx graph of the extract last read, kept for its other profile: (path, sha256) -> graph. Why: parsing
#: the extract is a large part of building a profile's graph, and a plan needs both profiles (a 44,000-node
#: grid: 15.1 s cold for walk and drive, 12.4 s reading it once); one entry, dropped by
#: :func:`release_source_graph` once the travel matrices are made, as it is the largest thing in memory.
_SOURCE_GRAPH: dict[tuple[str, str], Any] = {}
_SOURCE_LOCK = threading.Lock()


def _source_graph(path: Path, sha256: str) -> Any:
    """The osmnx graph of ``path``, read once for every profile (see ``_SOURCE_GRAPH``)."""
    key = (str(path), sha256)
    with _SOURCE_LOCK:
        if key not in _SOURCE_GRAPH:
            _SOURCE_GRAPH.clear()
            _SOURCE_GRAPH[key] = _read_osmnx_graph(path)
        return _SOURCE_GRAPH[key]


def release_source_graph() -> None:
    """Drop the parsed extract kept for a second profile (its street graphs stay cached)."""
    with _SOURCE_LOCK:
        _SOURCE_GRAPH.clear()


def _build_graph(path: Path, *, profile: str, drive_fallback_kmh: float, sha256: str) -> StreetGraph:
    """Filter, orient, time and prune the osmnx graph of ``path`` into a :class:`StreetGraph`."""
    graph = _source_graph(path, sha256) if sha256 else _read_osmnx_graph(path)
    if (
        profile == "drive"
        and _extract_kind(path) == "graphml"
        and graph.number_of_edges() > 100
        and not any("true" in _values(data, "oneway") for _u, _v, data in graph.edges(data=True))
    ):
        logger.warning(
            "%s: no street in this GraphML is one-way: a graph downloaded for walking (osmnx "
            "network_type='walk') treats every street as two-way, so driving times ignore one-way streets; use "
            "`patrol network fetch` or the .osm/.osm.pbf extract for driving",
            path,
        )
    allowed = _walkable if profile == "walk" else _drivable
    edges = [(u, v, k, data) for u, v, k, data in graph.edges(keys=True, data=True) if allowed(data)]
    if not edges:
        raise DataError(f"{path}: the extract has no streets usable for {profile!r} travel.")
    if profile == "drive":
        sub = graph.edge_subgraph([(u, v, k) for u, v, k, _data in edges]).copy()
        for _u, _v, data in sub.edges(data=True):
            if isinstance(data.get("highway"), list):
                # osmnx times a merged edge by the first class in an unordered list; make it deterministic.
                data["highway"] = _slowest_class(_values(data, "highway"))
        import osmnx as ox

        sub = ox.add_edge_travel_times(ox.add_edge_speeds(sub, fallback=drive_fallback_kmh))
        kept = [(u, v, data) for u, v, data in sub.edges(data=True)]
    else:
        # walking needs lengths only: read them off the source graph, no copy of it (most of a cold build once)
        kept = [(u, v, data) for u, v, _k, data in edges]

    node_ids = np.array(sorted({u for u, _v, _d in kept} | {v for _u, v, _d in kept}), dtype=np.int64)
    index = {int(osmid): i for i, osmid in enumerate(node_ids)}
    rows = [
        (index[u], index[v], float(data["length"]), float(data.get("travel_time", math.nan))) for u, v, data in kept
    ]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    src, dst = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)
    length, seconds = arr[:, 2], arr[:, 3]
    if profile == "walk":  # people walk both ways along one-way streets
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        length = np.concatenate([length, length])
    weight = length if profile == "walk" else seconds
    invalid = ~np.isfinite(weight) | (weight < 0)
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        what = "length" if profile == "walk" else "travel time"
        raise DataError(
            f"{path}: {int(invalid.sum())} street edge(s) have no valid {what} "
            f"(first: {node_ids[src[first]]} -> {node_ids[dst[first]]}, {float(weight[first]):g}); re-export the file"
        )
    keep = _dedup_edges(src, dst, weight)
    src, dst, length = src[keep], dst[keep], length[keep]
    seconds = seconds[keep] if profile == "drive" else None  # type: ignore[assignment]  # walk graphs have no times
    n = len(node_ids)
    profile_edges = len(src)

    adjacency = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    n_comp, labels = connected_components(adjacency, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=n_comp)
    # Largest component; on a tie, the one holding the smallest OSM node id, so the choice is repeatable.
    smallest_id = np.full(n_comp, np.iinfo(np.int64).max)
    np.minimum.at(smallest_id, labels, node_ids)
    best = int(np.lexsort((smallest_id, -sizes))[0])
    kept_nodes = np.flatnonzero(labels == best)
    if len(kept_nodes) < 2:
        # every point would snap to one node and every leg take 0 minutes: a plan would be nonsense, not valid
        raise DataError(
            f"{path}: the {profile} street network has no two places connected both ways ({n_comp} separate "
            f"part(s) of {n} street nodes); check the extract covers the area with its streets, and that a GraphML "
            "file keeps each street's direction"
        )
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[kept_nodes] = np.arange(len(kept_nodes))
    in_comp = (renumber[src] >= 0) & (renumber[dst] >= 0)
    lat = np.array([float(graph.nodes[int(i)]["y"]) for i in node_ids[kept_nodes]], dtype=np.float64)
    lon = np.array([float(graph.nodes[int(i)]["x"]) for i in node_ids[kept_nodes]], dtype=np.float64)
    stats = GraphStats(
        source_nodes=graph.number_of_nodes(),
        source_edges=graph.number_of_edges(),
        profile_edges=profile_edges,
        components=int(n_comp),
        nodes=len(kept_nodes),
        edges=int(in_comp.sum()),
        nodes_dropped=n - len(kept_nodes),
    )
    return StreetGraph(
        profile=profile,
        source=str(path),
        sha256=sha256,
        osmid=node_ids[kept_nodes],
        lat=lat,
        lon=lon,
        src=renumber[src[in_comp]],
        dst=renumber[dst[in_comp]],
        length_m=length[in_comp],
        travel_time_s=None if seconds is None else seconds[in_comp],
        stats=stats,
        dropped_lat=np.array([float(graph.nodes[int(i)]["y"]) for i in node_ids[labels != best]], dtype=np.float64),
        dropped_lon=np.array([float(graph.nodes[int(i)]["x"]) for i in node_ids[labels != best]], dtype=np.float64),
    )


def _write_graph(path: Path, graph: StreetGraph) -> None:
    """Write the graph arrays to the disk cache atomically; a cache that cannot be written only logs."""
    arrays = {
        "osmid": graph.osmid, "lat": graph.lat, "lon": graph.lon, "src": graph.src, "dst": graph.dst,
        "length_m": graph.length_m, "dropped_lat": graph.dropped_lat, "dropped_lon": graph.dropped_lon,
        "meta": np.array(json.dumps({"profile": graph.profile, "stats": graph.stats.__dict__})),
    }  # fmt: skip
    if graph.travel_time_s is not None:
        arrays["travel_time_s"] = graph.travel_time_s
    _atomic_npz(path, arrays)


def _read_graph(path: Path, *, source: str, sha256: str) -> StreetGraph:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        return StreetGraph(
            profile=meta["profile"],
            source=source,
            sha256=sha256,
            osmid=data["osmid"],
            lat=data["lat"],
            lon=data["lon"],
            src=data["src"],
            dst=data["dst"],
            length_m=data["length_m"],
            travel_time_s=data["travel_time_s"] if "travel_time_s" in data.files else None,
            stats=GraphStats(**meta["stats"]),
            **{key: data[key] for key in ("dropped_lat", "dropped_lon") if key in data.files},
        )


def _atomic_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` via a temporary file and rename, so readers never see half a file."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            temporary = handle.name
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub misreads **kwargs
        os.replace(temporary, path)
    except OSError as exc:
        logger.warning("could not write cache file %s (%s); continuing without it", path, exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


# --- snapping ------------------------------------------------------------------------------------------------


class SnapError(DataError):
    """Points lie farther from the street graph than allowed; ``far`` lists (point id, distance in metres)."""

    def __init__(self, message: str, *, far: Sequence[tuple[str, float]], limit_m: float) -> None:
        self.far: tuple[tuple[str, float], ...] = tuple(far)
        self.limit_m = limit_m
        super().__init__(message)


@dataclass(frozen=True)
class Snapped:
    """Points snapped to graph nodes.

    Attributes
    ----------
    node : numpy.ndarray
        int64 [k] index of each point's nearest graph node.
    distance_m : numpy.ndarray
        float64 [k] great-circle distance, metres, from each point to that node.
    """

    node: np.ndarray
    distance_m: np.ndarray


def _utm_transformer(lat: float, lon: float) -> Any:
    """A WGS84 -> UTM transformer for the zone holding (lat, lon): metres with under 0.1 % scale error."""
    from pyproj import Transformer

    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    epsg = (32600 if lat >= 0 else 32700) + zone
    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


def _dropped_street_nearby(graph: StreetGraph, lat: float, lon: float, distance_m: float) -> str:
    """A hint when a dropped street lies much nearer a far point than the kept network ("" otherwise).

    Why: a point 13 m from a road the pruning dropped (not connected both ways to the rest, often one-way
    streets cut at the extract's edge) read as "off the map: check its coordinates".
    """
    if not len(graph.dropped_lat):
        return ""
    nearest = float(np.min(haversine_m(lat, lon, graph.dropped_lat, graph.dropped_lon)))
    if nearest >= distance_m / 2:
        return ""
    return (
        f" but {nearest:,.0f} m from a street the network dropped (not connected both ways to the rest: one-way "
        "streets cut at the extract's edge? use an extract reaching further)"
    )


def snap(
    graph: StreetGraph,
    points: Sequence[tuple[str, float, float]],
    *,
    snap_max_m: float = DEFAULT_SNAP_MAX_M,
) -> Snapped:
    """Snap each point to its nearest graph node (KD-tree in UTM metres).

    Parameters
    ----------
    graph : StreetGraph
        The profile's street graph.
    points : Sequence[tuple[str, float, float]]
        ``(id, lat, lon)`` in degrees.
    snap_max_m : float
        Largest allowed snap distance, metres.

    Raises
    ------
    SnapError
        Naming every point farther than ``snap_max_m`` and its distance.
    """
    if not points:
        return Snapped(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
    if graph.n_nodes == 0:
        raise DataError(f"{graph.source}: the {graph.profile} street graph is empty.")
    tree, transformer = graph._tree
    lat = np.array([p[1] for p in points], dtype=np.float64)
    lon = np.array([p[2] for p in points], dtype=np.float64)
    x, y = transformer.transform(lon, lat)
    _, node = tree.query(np.column_stack([x, y]), k=1)
    node = np.asarray(node, dtype=np.int64)
    distance = haversine_m(lat, lon, graph.lat[node], graph.lon[node])
    far_index = np.flatnonzero(distance > snap_max_m)
    far = [(str(points[int(i)][0]), float(distance[i])) for i in far_index]
    if far:
        listed = "; ".join(
            f"{pid!r} is {dist:,.0f} m away{_dropped_street_nearby(graph, lat[i], lon[i], dist)}"
            for (pid, dist), i in zip(far[:10], far_index[:10], strict=False)
        )
        more = f" (and {len(far) - 10} more)" if len(far) > 10 else ""
        raise SnapError(
            f"{len(far)} point(s) lie farther than travel.snap_max_m = {snap_max_m:g} m from the "
            f"{graph.profile} street network of {graph.source}: {listed}{more}. Check their coordinates "
            "(lat/lon not swapped?), use an extract that covers them, or raise travel.snap_max_m.",
            far=far,
            limit_m=snap_max_m,
        )
    return Snapped(node, distance)


# --- matrices ------------------------------------------------------------------------------------------------


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance, metres, on a sphere of radius :data:`EARTH_RADIUS_M` (broadcasts)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _ceil_seconds(values: np.ndarray) -> np.ndarray:
    """Round seconds up to int64, forgiving float noise below :data:`_ROUND_TOLERANCE_S`."""
    return np.ceil(np.maximum(values - _ROUND_TOLERANCE_S, 0.0)).astype(np.int64)


def crowfly_seconds(points: Sequence[tuple[str, float, float]], *, circuity: float, speed_kmh: float) -> np.ndarray:
    """Crow-fly travel times: haversine distance x circuity / speed, in seconds rounded up (int64 [n, n]).

    Parameters
    ----------
    points : Sequence[tuple[str, float, float]]
        ``(id, lat, lon)`` in degrees.
    circuity : float
        Street distance per straight-line distance (dimensionless, >= 1).
    speed_kmh : float
        Travel speed, km/h.
    """
    lat = np.array([p[1] for p in points], dtype=np.float64)
    lon = np.array([p[2] for p in points], dtype=np.float64)
    metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    seconds = _ceil_seconds(metres * circuity / (speed_kmh / 3.6))
    np.fill_diagonal(seconds, 0)
    return seconds


def pair_costs(csr: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Shortest-path costs from each source node to each target node (``inf`` if unreachable).

    Runs compiled Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`) from the distinct sources only, in
    batches so memory stays near ``_MAX_BATCH_CELLS`` floats however large the graph.

    Parameters
    ----------
    csr : scipy.sparse.csr_matrix
        Non-negative edge weights (metres or seconds), ``csr[u, v]`` for the edge u -> v.
    sources, targets : numpy.ndarray
        Node indices.

    Returns
    -------
    numpy.ndarray
        float64 [len(sources), len(targets)] in the weights' unit.
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    unique, inverse = np.unique(sources, return_inverse=True)
    out = np.empty((len(unique), len(targets)), dtype=np.float64)
    batch = max(1, _MAX_BATCH_CELLS // max(csr.shape[0], 1))
    for start in range(0, len(unique), batch):
        rows = dijkstra(csr, directed=True, indices=unique[start : start + batch])
        out[start : start + batch] = rows[:, targets]
    return out[inverse.reshape(-1)]


def network_seconds(
    graph: StreetGraph, nodes: np.ndarray, *, walk_kmh: float = DEFAULT_SPEEDS_KMH["walk"]
) -> np.ndarray:
    """Travel seconds (float, not rounded) between graph nodes over the street graph.

    Walking time is shortest length / ``walk_kmh``, made exactly symmetric (every walking edge is
    two-way, so the shorter of the two directions' float sums is the true value). Driving time is
    the shortest sum of edge travel times, one-way streets respected.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if graph.profile == "walk":
        metres = pair_costs(graph.length_csr, nodes, nodes)
        metres = np.minimum(metres, metres.T)
        return metres / (walk_kmh / 3.6)
    return pair_costs(graph.time_csr, nodes, nodes)


def _seconds_from_graph(graph: StreetGraph, ids: Sequence[str], nodes: np.ndarray, *, walk_kmh: float) -> np.ndarray:
    """Integer seconds between points snapped to ``nodes``; unreachable pairs raise a DataError."""
    values = network_seconds(graph, nodes, walk_kmh=walk_kmh)
    np.fill_diagonal(values, 0.0)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        pairs = "; ".join(f"{ids[i]!r} -> {ids[j]!r}" for i, j in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise DataError(
            f"no {graph.profile} route on the street network of {graph.source} for {len(bad)} pair(s): "
            f"{pairs}{more}. The points sit on disconnected parts of the network; move them or use a "
            "larger extract."
        )
    return _ceil_seconds(values)


def graph_travel_matrix(
    graph: StreetGraph,
    points: Sequence[tuple[str, float, float]],
    *,
    snap_max_m: float = DEFAULT_SNAP_MAX_M,
    walk_kmh: float = DEFAULT_SPEEDS_KMH["walk"],
) -> TravelMatrix:
    """Snap points to a given street graph and time every pair (no caching): the core of ``travel_matrix``.

    Parameters
    ----------
    graph : StreetGraph
        A loaded (:func:`load_graph`) or synthetic (:func:`graph_from_arrays`) graph.
    points : Sequence[tuple[str, float, float]]
        ``(id, lat, lon)`` in degrees; ids must be unique.
    snap_max_m : float
        Largest allowed snap distance, metres.
    walk_kmh : float
        Walking speed, km/h (walking graphs only).

    Raises
    ------
    DataError
        A point too far from the graph (:class:`SnapError`) or a pair with no route (both ids named).
    """
    clean = _validate_points(points)
    snapped = snap(graph, clean, snap_max_m=snap_max_m)
    ids = tuple(p[0] for p in clean)
    seconds = _seconds_from_graph(graph, ids, snapped.node, walk_kmh=walk_kmh)
    seconds.flags.writeable = False
    distances = {pid: round(float(d), 1) for pid, d in zip(ids, snapped.distance_m, strict=True)}
    return TravelMatrix(ids, seconds, "network", graph.profile, distances)


def _validate_points(points: Sequence[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    clean: list[tuple[str, float, float]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for point in points:
        pid, lat, lon = str(point[0]), float(point[1]), float(point[2])
        if pid in seen:
            problems.append(f"point id {pid!r} appears twice")
        seen.add(pid)
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0 and math.isfinite(lon) and -180.0 <= lon <= 180.0):
            problems.append(f"point {pid!r} has invalid coordinates lat={lat!r}, lon={lon!r}")
        clean.append((pid, lat, lon))
    if problems:
        raise DataError("travel points are invalid: " + "; ".join(problems) + ".")
    return clean


def _speed(travel: TravelSettingsLike, profile: str) -> float:
    try:
        speed = float(travel.speeds_kmh[profile])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"travel.speeds_kmh.{profile} is missing; give a speed in km/h.") from exc
    if not (math.isfinite(speed) and speed > 0):
        raise DataError(f"travel.speeds_kmh.{profile} must be a positive speed in km/h, not {speed!r}.")
    return speed


def travel_matrix(
    points: Sequence[tuple[str, float, float]],
    *,
    travel: TravelSettingsLike,
    profile: str,
    cache_dir: Path | None = None,
) -> TravelMatrix:
    """Travel times between all points: the one function the solver pipeline and the validator both call.

    ``crowfly``: haversine distance x ``travel.circuity`` / ``travel.speeds_kmh[profile]``. ``network``:
    points are snapped to the profile's street graph of ``travel.extract`` and timed along shortest
    paths (walking at the walk speed; driving at OSM speed limits). Seconds are rounded up; the
    diagonal is zero. Network matrices are cached in memory and on disk by (extract SHA-256, profile,
    points, speeds).

    Parameters
    ----------
    points : Sequence[tuple[str, float, float]]
        ``(id, lat, lon)`` in degrees; ids must be unique.
    travel : TravelSettingsLike
        The scenario's travel settings.
    profile : str
        ``"walk"`` or ``"drive"``.
    cache_dir : Path | None
        Cache folder; None means ``$PATROL_CACHE_DIR`` or ``~/.cache/patrol``.

    Raises
    ------
    DataError
        Bad points or settings, a missing or unreadable extract, a point too far from the network
        (:class:`SnapError`), or a pair with no route.
    """
    _check_profile(profile)
    clean = _validate_points(points)
    ids = tuple(p[0] for p in clean)
    model = str(travel.model)
    speed = _speed(travel, profile)
    if model == "crowfly":
        circuity = float(travel.circuity)
        if not (math.isfinite(circuity) and circuity > 0):
            raise DataError(f"travel.circuity must be a positive number, not {travel.circuity!r}.")
        seconds = crowfly_seconds(clean, circuity=circuity, speed_kmh=speed)
        seconds.flags.writeable = False
        return TravelMatrix(ids, seconds, "crowfly", profile, {})
    if model != "network":
        raise DataError(f"unknown travel.model {model!r}; use 'crowfly' or 'network'.")
    if travel.extract is None:
        raise DataError("travel.model is 'network' but travel.extract is not set; give an .osm/.osm.pbf file.")
    drive_kmh = _speed(travel, "drive") if profile == "drive" else DEFAULT_SPEEDS_KMH["drive"]
    graph = load_graph(travel.extract, profile=profile, drive_fallback_kmh=drive_kmh, cache_dir=cache_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    seconds, distances = _network_matrix_cached(graph, tuple(clean), walk_kmh=speed, drive_kmh=drive_kmh, cache=cache)
    limit = float(travel.snap_max_m)
    far = [(pid, dist) for pid, dist in zip(ids, distances, strict=True) if dist > limit]
    if far:  # a cached matrix was built under a looser limit: recheck through snap() for the same message
        snap(graph, clean, snap_max_m=limit)
    snapped = {pid: round(float(dist), 1) for pid, dist in zip(ids, distances, strict=True)}
    return TravelMatrix(ids, seconds, "network", profile, snapped, graph_notes(graph), graph.sha256)


#: Below this share of the street nodes on usable streets, the kept network is named in the plan's notes.
KEPT_SHARE_NOTE = 0.5


def graph_notes(graph: StreetGraph) -> tuple[str, ...]:
    """Notes on a street graph a plan is timed on: most of its nodes dropped, or no one-way street to drive.

    Why: the warnings at load are printed once, when the graph is built, and a cached graph is silent; the
    plan's notes carry them on every plan made on it.
    """
    notes = []
    usable = graph.stats.nodes + graph.stats.nodes_dropped
    if usable and graph.stats.nodes < KEPT_SHARE_NOTE * usable:
        notes.append(
            f"the {graph.profile} street network keeps {graph.stats.nodes:,} of {usable:,} street nodes (its largest "
            "part connected both ways): places on the rest are timed from its nearest node; check the extract covers "
            "the area and keeps each street's direction"
        )
    if graph.profile == "drive" and graph.n_edges > 100 and graph.two_way_only:
        notes.append(
            "the drive street network has no one-way street: driving times ignore one-way streets (a GraphML "
            "downloaded for walking treats every street as two-way); use `patrol network fetch` or the "
            ".osm/.osm.pbf extract"
        )
    return tuple(notes)


_MEMORY_MATRICES: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_MEMORY_LOCK = threading.Lock()
_MEMORY_MAX = 64


def clear_caches() -> None:
    """Forget the graphs and matrices kept in this process (the disk cache is left alone)."""
    _load_graph_cached.cache_clear()
    release_source_graph()
    with _MEMORY_LOCK:
        _MEMORY_MATRICES.clear()


def _network_matrix_cached(
    graph: StreetGraph,
    points: tuple[tuple[str, float, float], ...],
    *,
    walk_kmh: float,
    drive_kmh: float,
    cache: Path,
) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, snap distances) from memory, then disk, else computed; no snap limit applied here."""
    speeds = {"walk": walk_kmh} if graph.profile == "walk" else {"drive_fallback": drive_kmh}
    payload = json.dumps(
        {"v": _CACHE_VERSION, "graph": graph.sha256, "profile": graph.profile, "points": points, "speeds": speeds},
        sort_keys=True,
    )
    key = hashlib.sha256(payload.encode()).hexdigest()
    with _MEMORY_LOCK:
        hit = _MEMORY_MATRICES.get(key)
    if hit is not None:
        return hit
    path = cache / "matrices" / f"{key}.npz"
    result: tuple[np.ndarray, np.ndarray] | None = None
    if graph.sha256 and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                result = (data["seconds"].astype(np.int64), data["snap_m"].astype(np.float64))
            if result[0].shape != (len(points), len(points)) or len(result[1]) != len(points):
                raise ValueError("shape does not match the points")
        except Exception as exc:  # any damage (a truncated zip, a short array): the cache is rebuilt, never trusted
            logger.warning("ignoring unreadable matrix cache %s (%s: %s); rebuilding", path, type(exc).__name__, exc)
            result = None
    if result is None:
        snapped = snap(graph, points, snap_max_m=math.inf)
        seconds = _seconds_from_graph(graph, [p[0] for p in points], snapped.node, walk_kmh=walk_kmh)
        result = (seconds, snapped.distance_m)
        if graph.sha256:
            _atomic_npz(path, {"seconds": seconds, "snap_m": snapped.distance_m})
    for array in result:
        array.flags.writeable = False
    with _MEMORY_LOCK:
        if len(_MEMORY_MATRICES) >= _MEMORY_MAX:
            _MEMORY_MATRICES.pop(next(iter(_MEMORY_MATRICES)))
        _MEMORY_MATRICES[key] = result
    return result


# --- CLI helpers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkReport:
    """What ``patrol network inspect`` shows: the graph kept, how far each point snapped, the matrix range.

    Attributes
    ----------
    model, profile : str
        Travel model and profile.
    extract : str
        Extract path ("" for crowfly).
    stats : GraphStats | None
        Nodes, edges and components kept/dropped (None for crowfly).
    snap_distances_m : dict[str, float]
        Metres from each point to its graph node (empty for crowfly).
    points : int
        Number of points in the matrix.
    min_s, median_s, max_s : int
        Off-diagonal travel times, seconds (0 when fewer than two points).
    """

    model: str
    profile: str
    extract: str
    stats: GraphStats | None
    snap_distances_m: dict[str, float]
    points: int
    min_s: int
    median_s: int
    max_s: int

    def to_text(self) -> str:
        """Plain-text rendering for the terminal."""
        lines = [f"travel model: {self.model}, profile: {self.profile}"]
        if self.stats is not None:
            s = self.stats
            lines += [
                f"extract: {self.extract}",
                f"graph: {s.nodes:,} nodes, {s.edges:,} directed edges kept "
                f"(from {s.source_nodes:,} nodes / {s.source_edges:,} edges of highways in the extract)",
                f"components: 1 kept, {s.components_dropped:,} dropped ({s.nodes_dropped:,} nodes dropped)",
            ]
        if self.snap_distances_m:
            lines.append("snap distances (m):")
            width = max(len(pid) for pid in self.snap_distances_m)
            lines += [f"  {pid:<{width}}  {dist:8.1f}" for pid, dist in self.snap_distances_m.items()]
        lines.append(
            f"matrix: {self.points} points; travel time min {_clock(self.min_s)}, "
            f"median {_clock(self.median_s)}, max {_clock(self.max_s)} (off-diagonal)"
        )
        return "\n".join(lines)


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def inspect(
    travel: TravelSettingsLike,
    points: Sequence[tuple[str, float, float]],
    *,
    profile: str,
    cache_dir: Path | None = None,
) -> NetworkReport:
    """Build the travel matrix for ``points`` and summarise the graph, snaps and times for a person."""
    matrix = travel_matrix(points, travel=travel, profile=profile, cache_dir=cache_dir)
    stats = None
    extract = ""
    if matrix.model == "network" and travel.extract is not None:
        drive_kmh = _speed(travel, "drive") if profile == "drive" else DEFAULT_SPEEDS_KMH["drive"]
        graph = load_graph(travel.extract, profile=profile, drive_fallback_kmh=drive_kmh, cache_dir=cache_dir)
        stats, extract = graph.stats, str(travel.extract)
    n = len(matrix.ids)
    off = matrix.seconds[~np.eye(n, dtype=bool)] if n > 1 else np.zeros(1, dtype=np.int64)
    return NetworkReport(
        model=matrix.model,
        profile=profile,
        extract=extract,
        stats=stats,
        snap_distances_m=dict(matrix.snap_distances_m),
        points=n,
        min_s=int(off.min()),
        median_s=int(np.ceil(np.median(off))),
        max_s=int(off.max()),
    )


_FETCH_NETWORK_TYPES = {"all": "all", "walk": "walk", "drive": "drive"}


def _proxied(url: str) -> bool:
    """Whether requests would reach ``url`` through a proxy (``HTTPS_PROXY``, ``ALL_PROXY``; not ``NO_PROXY``).

    Why: police and council networks often allow the internet only through a proxy; a direct probe there
    always fails, though the download itself (requests honours the proxy variables) would work.
    """
    import urllib.request

    host = urlparse(url).hostname or ""
    scheme = urlparse(url).scheme or "https"
    proxies = urllib.request.getproxies()
    return bool(proxies.get(scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(host)


def _probe(url: str, timeout_s: float) -> str | None:
    """Try a TCP connection to ``url``'s host within ``timeout_s``; return why it failed, or None.

    Runs in a daemon thread because name resolution cannot be given a timeout and may hang offline.
    """
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: list[str | None] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append(None)
        except OSError as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=attempt, name=f"patrol-probe-{host}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not outcome:
        return f"no answer from {host} within {timeout_s:g} s"
    return outcome[0]


def fetch(place: str, out: Path, *, profile: str = "all", timeout_s: float = 10) -> Path:
    """Download the street network of a named place with osmnx and save it as GraphML for ``load_graph``.

    The only function here that uses the internet. Hosts are probed first so that, offline, it fails
    within about ``timeout_s`` seconds instead of waiting on osmnx's retries and rate-limit pauses.

    Parameters
    ----------
    place : str
        A place name Nominatim knows, e.g. ``"Middlesbrough, UK"``.
    out : Path
        Output file; must end ``.graphml``.
    profile : str
        ``"all"`` (default; serves both walk and drive), ``"walk"`` or ``"drive"``.
    timeout_s : float
        Seconds to wait for each server.

    Raises
    ------
    NetworkUnavailableError
        The servers cannot be reached.
    DataError
        Bad arguments, or the place is unknown to the geocoder.
    """
    if profile not in _FETCH_NETWORK_TYPES:
        raise DataError(f"unknown fetch profile {profile!r}; use one of {', '.join(_FETCH_NETWORK_TYPES)}.")
    out = Path(out)
    if not out.name.lower().endswith(".graphml"):
        raise DataError(
            f"{out}: fetch writes an osmnx GraphML file; give a name ending .graphml. For .osm.pbf "
            "extracts of a whole region, download one from download.geofabrik.de instead."
        )
    if not place.strip():
        raise DataError("fetch needs a place name, e.g. --place 'Middlesbrough, UK'.")
    import osmnx as ox

    for url in (ox.settings.nominatim_url, ox.settings.overpass_url):
        if _proxied(url):
            continue  # behind a proxy (HTTPS_PROXY), only requests' own connection through it can tell
        problem = _probe(url, timeout_s)
        if problem is not None:
            raise NetworkUnavailableError(
                f"cannot download the street network of {place!r}: {urlparse(url).hostname} is not "
                f"reachable ({problem}). Connect to the internet, or download an .osm.pbf extract "
                "elsewhere and set travel.extract to it."
            )
    import requests
    from osmnx._errors import InsufficientResponseError

    settings = {
        "requests_timeout": max(1, math.ceil(timeout_s)),
        "overpass_rate_limit": False,
        "use_cache": False,
        "log_console": False,
        "useful_tags_way": _useful_way_tags(),
    }
    with _osmnx_settings(**settings):
        try:
            graph = ox.graph_from_place(
                place, network_type=_FETCH_NETWORK_TYPES[profile], simplify=False, retain_all=True
            )
        except requests.exceptions.RequestException as exc:
            raise NetworkUnavailableError(
                f"download of the street network of {place!r} failed ({type(exc).__name__}: {exc}); "
                "try again later or use a downloaded .osm.pbf extract."
            ) from exc
        except (ValueError, TypeError, InsufficientResponseError) as exc:
            raise DataError(f"could not get a street network for {place!r}: {exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, out)
    logger.info("saved %d nodes, %d edges for %r to %s", len(graph), graph.number_of_edges(), place, out)
    return out
