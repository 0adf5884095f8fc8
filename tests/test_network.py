"""Street networks, snapping and travel-time matrices, mostly on the shipped Leeds extract.

The Leeds extract (data/osm/leeds_its_example.*, © OpenStreetMap contributors, ODbL 1.0) is a 1.4 km x
0.85 km clip of Leeds University / Hyde Park; its walking graph has about 200 nodes, so every test here
runs in well under a second once osmnx is imported.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from optimiser import network as nw
from optimiser.errors import DataError, NetworkUnavailableError

ROOT = Path(__file__).resolve().parents[1]
LEEDS = ROOT / "data" / "osm" / "leeds_its_example"
FORMATS = ("osm", "osm.pbf", "graphml")

# Real places inside the extract (ids, lat, lon): Parkinson Building steps, the Woodhouse Lane shops,
# Leeds University Union (Lifton Place), St George's Field, Clarendon Rd / Moorland Rd, Blenheim Terrace.
LEEDS_POINTS = [
    ("parkinson-steps", 53.8081, -1.5524),
    ("woodhouse-lane-shops", 53.8080, -1.5520),
    ("union-lifton-place", 53.8067, -1.5559),
    ("st-georges-field", 53.8090, -1.5566),
    ("clarendon-moorland", 53.8082, -1.5597),
    ("blenheim-terrace", 53.8091, -1.5521),
]
# Inner part of the walking graph's extent, where every point is within a few hundred metres of a street.
LAT = st.floats(53.8055, 53.8105)
LON = st.floats(-1.5610, -1.5495)


def _network(extract: Path, *, snap_max_m: float = 300.0, **speeds: float) -> nw.TravelSettings:
    return nw.TravelSettings(
        model="network",
        extract=extract,
        snap_max_m=snap_max_m,
        speeds_kmh={"walk": 4.8, "drive": 30.0, **speeds},
    )


@pytest.fixture(autouse=True)
def _fresh_memory() -> None:
    """Each test starts without in-process graphs or matrices, so disk-cache behaviour is observable."""
    nw.clear_caches()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("patrol-cache")


@pytest.fixture(scope="module")
def walk_graph(cache: Path) -> nw.StreetGraph:
    return nw.load_graph(f"{LEEDS}.osm.pbf", profile="walk", cache_dir=cache)


@pytest.fixture(scope="module")
def drive_graph(cache: Path) -> nw.StreetGraph:
    return nw.load_graph(f"{LEEDS}.osm.pbf", profile="drive", cache_dir=cache)


# --- loading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", nw.PROFILES)
def test_three_formats_give_identical_graphs_and_matrices(profile: str, tmp_path: Path) -> None:
    """.osm, .osm.pbf and .graphml of the same extract load to the same arrays and integer matrices."""
    graphs, matrices = [], []
    for fmt in FORMATS:
        extract = Path(f"{LEEDS}.{fmt}")
        graphs.append(nw.load_graph(extract, profile=profile, cache_dir=tmp_path / fmt))
        matrices.append(
            nw.travel_matrix(
                LEEDS_POINTS, travel=_network(extract, snap_max_m=400), profile=profile, cache_dir=tmp_path / fmt
            )
        )
    first = graphs[0]
    assert first.n_nodes > 50
    for other in graphs[1:]:
        assert other.stats == first.stats
        for name in ("osmid", "lat", "lon", "src", "dst", "length_m"):
            assert np.array_equal(getattr(other, name), getattr(first, name)), name
    for matrix in matrices[1:]:
        assert matrix.seconds.dtype == np.int64
        assert np.array_equal(matrix.seconds, matrices[0].seconds)
        assert matrix.snap_distances_m == matrices[0].snap_distances_m
    # The graph is the whole node set of the matrix: also compare every node pair, not just six points.
    everyone = [(str(i), float(a), float(b)) for i, a, b in zip(first.osmid, first.lat, first.lon, strict=True)]
    full = [nw.graph_travel_matrix(g, everyone, snap_max_m=1.0).seconds for g in graphs]
    assert np.array_equal(full[0], full[1]) and np.array_equal(full[0], full[2])


@pytest.mark.parametrize("profile", nw.PROFILES)
def test_loaded_graph_is_one_strong_component_without_parallel_edges(profile: str, cache: Path) -> None:
    graph = nw.load_graph(f"{LEEDS}.osm", profile=profile, cache_dir=cache)
    n_comp, _ = connected_components(graph.length_csr, directed=True, connection="strong")
    assert n_comp == 1
    pairs = set(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
    assert len(pairs) == graph.n_edges  # no parallel edges
    assert not np.any(graph.src == graph.dst)
    assert np.all(graph.length_m >= 0)
    s = graph.stats
    assert (s.nodes, s.edges) == (graph.n_nodes, graph.n_edges)
    assert s.components >= 1 and s.components_dropped == s.components - 1
    assert s.nodes_dropped >= s.components_dropped  # each dropped component has at least one node
    if profile == "walk":  # every walking edge is two-way with the same length
        reverse = {(d, u): w for u, d, w in zip(graph.src, graph.dst, graph.length_m, strict=True)}
        assert all(reverse[(u, d)] == w for u, d, w in zip(graph.src, graph.dst, graph.length_m, strict=True))
    else:
        assert graph.travel_time_s is not None and np.all(graph.travel_time_s > 0)


def test_drive_respects_one_way_streets_and_walk_does_not(walk_graph, drive_graph) -> None:
    """The extract has one-way roads (Blenheim Walk, A660), so some drive pair must differ by direction."""
    drive = nw.graph_travel_matrix(drive_graph, _all_nodes(drive_graph), snap_max_m=1.0).seconds
    walk = nw.graph_travel_matrix(walk_graph, _all_nodes(walk_graph), snap_max_m=1.0).seconds
    assert not np.array_equal(drive, drive.T)
    assert np.array_equal(walk, walk.T)


def test_drive_speeds_use_maxspeed_and_fallback_for_classes_without_one(tmp_path: Path) -> None:
    """Woodhouse Lane (trunk, maxspeed 30 mph) is timed at 48.28 km/h whatever the fallback; residential
    streets have no maxspeed anywhere in the extract, so they take the fallback: 20 km/h is 1.5x slower
    than 30 km/h on exactly those edges."""
    fast = nw.load_graph(f"{LEEDS}.osm", profile="drive", drive_fallback_kmh=30.0, cache_dir=tmp_path)
    slow = nw.load_graph(f"{LEEDS}.osm", profile="drive", drive_fallback_kmh=20.0, cache_dir=tmp_path)
    assert np.array_equal(fast.src, slow.src)
    speed_fast = fast.length_m / fast.travel_time_s * 3.6  # km/h per edge
    speed_slow = slow.length_m / slow.travel_time_s * 3.6
    mph30 = 30 * 1.609344
    at_limit = np.isclose(speed_fast, mph30)
    fallback = np.isclose(speed_fast, 30.0)
    assert at_limit.any() and fallback.any()
    assert np.allclose(speed_slow[at_limit], mph30)
    assert np.allclose(speed_slow[fallback], 20.0)


@pytest.mark.parametrize(
    ("tags", "walk", "drive"),
    [
        ({"highway": "footway"}, True, False),
        ({"highway": "residential"}, True, True),
        ({"highway": "trunk", "oneway": True}, True, True),
        ({"highway": "motorway"}, False, True),
        ({"highway": "trunk", "motorroad": "yes"}, False, True),
        ({"highway": "trunk", "foot": "no"}, False, True),
        ({"highway": "service", "access": "private"}, False, False),
        ({"highway": "pedestrian", "access": "no", "foot": "yes"}, True, False),
        ({"highway": "service", "access": "private", "motor_vehicle": "destination"}, False, True),
        ({"highway": "service", "motor_vehicle": "no"}, True, False),
        ({"highway": "service", "service": "parking_aisle"}, True, False),
        ({"highway": "pedestrian", "area": "yes"}, True, False),
        ({"highway": ["footway", "residential"]}, True, False),  # a merged edge is usable only as a whole
        ({"highway": ["residential", "motorway"]}, False, True),
        ({"highway": "construction"}, False, False),
        ({"building": "yes"}, False, False),
    ],
)
def test_profile_filters(tags: dict, walk: bool, drive: bool) -> None:
    assert nw._walkable(tags) is walk
    assert nw._drivable(tags) is drive


def test_graph_cache_is_used_and_invalidated_when_the_extract_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second load of the same file comes from disk (no rebuild); editing the file forces a rebuild."""
    extract = tmp_path / "leeds.osm"
    shutil.copyfile(f"{LEEDS}.osm", extract)
    cache = tmp_path / "cache"
    builds: list[Path] = []
    real_build = nw._build_graph

    def counting_build(path: Path, **kwargs):
        builds.append(path)
        return real_build(path, **kwargs)

    monkeypatch.setattr(nw, "_build_graph", counting_build)
    before = nw.load_graph(extract, profile="walk", cache_dir=cache)
    nw.clear_caches()  # forget the in-process copy: the disk cache must serve it
    again = nw.load_graph(extract, profile="walk", cache_dir=cache)
    assert len(builds) == 1
    assert np.array_equal(again.length_m, before.length_m) and again.stats == before.stats
    m_before = nw.travel_matrix(LEEDS_POINTS, travel=_network(extract), profile="walk", cache_dir=cache)

    # Close every footway (highway=footway -> highway=construction): fewer walkable streets.
    text = extract.read_text(encoding="utf-8")
    assert text.count('v="footway"') > 10
    extract.write_text(text.replace('k="highway" v="footway"', 'k="highway" v="construction"'), encoding="utf-8")
    after = nw.load_graph(extract, profile="walk", cache_dir=cache)
    assert len(builds) == 2
    assert after.sha256 != before.sha256
    assert after.stats.profile_edges < before.stats.profile_edges
    assert len(list((cache / "graphs").glob("*.npz"))) == 2
    m_after = nw.travel_matrix(LEEDS_POINTS, travel=_network(extract), profile="walk", cache_dir=cache)
    assert not np.array_equal(m_after.seconds, m_before.seconds)
    assert len(list((cache / "matrices").glob("*.npz"))) == 2


def test_matrix_disk_cache_returns_the_same_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    travel = _network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=400)
    first = nw.travel_matrix(LEEDS_POINTS, travel=travel, profile="walk", cache_dir=tmp_path)
    nw.clear_caches()
    monkeypatch.setattr(nw, "_seconds_from_graph", _must_not_run)
    second = nw.travel_matrix(LEEDS_POINTS, travel=travel, profile="walk", cache_dir=tmp_path)
    assert np.array_equal(first.seconds, second.seconds)
    assert first.snap_distances_m == second.snap_distances_m
    # A different walking speed is a different matrix, so it must be computed, not served from the cache.
    with pytest.raises(AssertionError, match="computed"):
        nw.travel_matrix(LEEDS_POINTS, travel=_network(Path(f"{LEEDS}.osm.pbf"), walk=5.0), profile="walk",
                         cache_dir=tmp_path)  # fmt: skip


def _must_not_run(*args, **kwargs):
    raise AssertionError("the matrix was computed instead of read from the cache")


def test_bad_extracts_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        nw.load_graph(tmp_path / "missing.osm.pbf", profile="walk", cache_dir=tmp_path)
    shapefile = tmp_path / "roads.shp"
    shapefile.write_bytes(b"\0")
    with pytest.raises(DataError, match=r"unknown street network format.*\.osm\.pbf"):
        nw.load_graph(shapefile, profile="walk", cache_dir=tmp_path)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='53.8' lon=", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.osm"):
        nw.load_graph(broken, profile="walk", cache_dir=tmp_path)
    no_streets = tmp_path / "no_streets.osm"
    no_streets.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "  <node id='1' version='1' lat='53.8' lon='-1.55'/>\n  <node id='2' version='1' lat='53.81' lon='-1.55'/>\n"
        "  <way id='9' version='1'><nd ref='1'/><nd ref='2'/><tag k='building' v='yes'/></way>\n</osm>\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"no_streets\.osm: the extract holds no streets"):
        nw.load_graph(no_streets, profile="walk", cache_dir=tmp_path)
    with pytest.raises(DataError, match="unknown travel profile 'cycle'"):
        nw.load_graph(f"{LEEDS}.osm", profile="cycle", cache_dir=tmp_path)
    with pytest.raises(DataError, match=r"travel\.extract is not set"):
        nw.travel_matrix(LEEDS_POINTS, travel=nw.TravelSettings(model="network"), profile="walk")


# --- snapping ------------------------------------------------------------------------------------------------


def test_snap_matches_brute_force_nearest_node(walk_graph) -> None:
    rng = np.random.default_rng(4)
    lat = rng.uniform(53.8055, 53.8105, 40)
    lon = rng.uniform(-1.5610, -1.5495, 40)
    points = [(f"p{i}", a, b) for i, (a, b) in enumerate(zip(lat, lon, strict=True))]
    snapped = nw.snap(walk_graph, points, snap_max_m=1e9)
    for i, (_, a, b) in enumerate(points):
        brute = nw.haversine_m(a, b, walk_graph.lat, walk_graph.lon)
        # UTM and the sphere can disagree on a near tie; the chosen node must be within 0.5 m of the best.
        assert snapped.distance_m[i] == pytest.approx(brute[snapped.node[i]])
        assert snapped.distance_m[i] <= brute.min() + 0.5


def test_point_far_from_the_network_is_named_with_its_distance(walk_graph, cache: Path) -> None:
    """Leeds station (53.7954, -1.5476) is about 1.1 km south of the extract's southernmost street node."""
    station = ("leeds-station", 53.7954, -1.5476)
    nearest = nw.haversine_m(station[1], station[2], walk_graph.lat, walk_graph.lon).min()
    assert 900 < nearest < 1500
    with pytest.raises(nw.SnapError) as caught:
        nw.travel_matrix([*LEEDS_POINTS, station], travel=_network(Path(f"{LEEDS}.osm.pbf")), profile="walk",
                         cache_dir=cache)  # fmt: skip
    error = caught.value
    assert isinstance(error, DataError)
    assert [pid for pid, _ in error.far] == ["leeds-station"]
    assert error.far[0][1] == pytest.approx(nearest)
    assert "'leeds-station' is " in str(error) and f"{nearest:,.0f} m" in str(error)
    assert "300 m" in str(error)
    # With a larger limit the same point is accepted and its snap distance reported.
    matrix = nw.travel_matrix([*LEEDS_POINTS, station], travel=_network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=2000),
                              profile="walk", cache_dir=cache)  # fmt: skip
    assert matrix.snap_distances_m["leeds-station"] == pytest.approx(nearest, abs=0.05)


def test_invalid_points_are_named() -> None:
    crowfly = nw.TravelSettings()
    with pytest.raises(DataError, match="'a' appears twice"):
        nw.travel_matrix([("a", 53.8, -1.55), ("a", 53.81, -1.55)], travel=crowfly, profile="walk")
    with pytest.raises(DataError, match="'b' has invalid coordinates"):
        nw.travel_matrix([("b", 153.8, -1.55)], travel=crowfly, profile="walk")


# --- matrices ------------------------------------------------------------------------------------------------


def test_crowfly_two_points_by_hand() -> None:
    """A=(0, 0), B=(0, 0.01): 6371008.8 m x 0.01 deg x pi/180 = 1111.9508 m; x 1.3 = 1445.536 m.
    Walking at 4.8 km/h (1.3333 m/s): 1084.15 s -> 1085 s -> 19 min. Driving at 30 km/h (8.3333 m/s):
    173.46 s -> 174 s -> 3 min."""
    points = [("A", 0.0, 0.0), ("B", 0.0, 0.01)]
    travel = nw.TravelSettings(model="crowfly", circuity=1.3, speeds_kmh={"walk": 4.8, "drive": 30.0})
    walk = nw.travel_matrix(points, travel=travel, profile="walk")
    assert walk.seconds.tolist() == [[0, 1085], [1085, 0]]
    assert walk.minutes().tolist() == [[0, 19], [19, 0]]
    assert walk.minutes_between("A", "B") == 19
    assert (walk.model, walk.profile, walk.snap_distances_m) == ("crowfly", "walk", {})
    drive = nw.travel_matrix(points, travel=travel, profile="drive")
    assert drive.seconds.tolist() == [[0, 174], [174, 0]]
    assert drive.minutes_between("B", "A") == 3
    assert nw.haversine_m(0.0, 0.0, 0.0, 0.01) == pytest.approx(1111.9508, abs=1e-3)
    with pytest.raises(KeyError, match="'C'"):
        walk.minutes_between("A", "C")


def test_minutes_round_up_exact_minutes_stay() -> None:
    matrix = nw.TravelMatrix(("a", "b"), np.array([[0, 60], [61, 0]], dtype=np.int64), "crowfly", "walk", {})
    assert matrix.minutes().tolist() == [[0, 1], [2, 0]]


def test_matrix_is_read_only() -> None:
    matrix = nw.travel_matrix(LEEDS_POINTS, travel=nw.TravelSettings(), profile="walk")
    with pytest.raises(ValueError, match="read-only"):
        matrix.seconds[0, 1] = 5


def test_network_walk_time_is_shortest_length_over_speed(walk_graph) -> None:
    """Two graph nodes joined by a direct edge, with that edge the shortest path: time = length / speed."""
    u, v = int(walk_graph.src[0]), int(walk_graph.dst[0])
    length = float(walk_graph.length_m[0])
    metres = nw.pair_costs(walk_graph.length_csr, np.array([u]), np.array([v]))[0, 0]
    assert metres <= length
    points = [("u", walk_graph.lat[u], walk_graph.lon[u]), ("v", walk_graph.lat[v], walk_graph.lon[v])]
    matrix = nw.graph_travel_matrix(walk_graph, points, snap_max_m=0.01, walk_kmh=3.6)  # 1 m/s
    assert matrix.seconds[0, 1] == math.ceil(metres - 1e-6)
    assert matrix.snap_distances_m == {"u": 0.0, "v": 0.0}


def test_unreachable_pair_names_both_points() -> None:
    """Synthetic graph: nodes 0 <-> 1 and 2 <-> 3 (100 m edges), two islands; 0 -> 2 has no route."""
    lat = np.array([0.0, 0.0, 1.0, 1.0])
    lon = np.array([0.0, 0.001, 0.0, 0.001])
    graph = nw.graph_from_arrays(lat, lon, np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), np.full(4, 100.0))
    points = [("west", 0.0, 0.0), ("west2", 0.0, 0.001), ("north", 1.0, 0.0)]
    with pytest.raises(DataError, match=r"'west' -> 'north'.*'north' -> 'west'"):
        nw.graph_travel_matrix(graph, points, snap_max_m=1.0, walk_kmh=3.6)
    ok = nw.graph_travel_matrix(graph, points[:2], snap_max_m=1.0, walk_kmh=3.6)
    assert ok.seconds.tolist() == [[0, 100], [100, 0]]


def test_parallel_edges_keep_the_shortest() -> None:
    """0 -> 1 twice (50 m and 30 m) and 1 -> 0 (40 m): 30 m one way, 40 m the other; self-loop dropped."""
    graph = nw.graph_from_arrays(
        np.array([0.0, 0.0]), np.array([0.0, 0.001]),
        np.array([0, 0, 1, 1]), np.array([1, 1, 0, 1]), np.array([50.0, 30.0, 40.0, 5.0]),
    )  # fmt: skip
    assert graph.n_edges == 2
    costs = nw.pair_costs(graph.length_csr, np.array([0, 1]), np.array([0, 1]))
    assert costs.tolist() == [[0.0, 30.0], [40.0, 0.0]]


@settings(max_examples=25, deadline=None)
@given(
    profile=st.sampled_from(nw.PROFILES),
    coords=st.lists(st.tuples(LAT, LON), min_size=2, max_size=8),
)
def test_network_matrix_properties(profile: str, coords: list[tuple[float, float]], cache: Path) -> None:
    points = [(f"p{i}", a, b) for i, (a, b) in enumerate(coords)]
    travel = _network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=5000)
    matrix = nw.travel_matrix(points, travel=travel, profile=profile, cache_dir=cache)
    _check_matrix(matrix.seconds, symmetric=profile == "walk")
    assert set(matrix.snap_distances_m) == {p[0] for p in points}


@settings(max_examples=50, deadline=None)
@given(
    profile=st.sampled_from(nw.PROFILES),
    coords=st.lists(st.tuples(st.floats(-60, 60), st.floats(-179, 179)), min_size=1, max_size=8),
    circuity=st.floats(1.0, 2.0),
)
def test_crowfly_matrix_properties(profile: str, coords: list[tuple[float, float]], circuity: float) -> None:
    points = [(f"p{i}", a, b) for i, (a, b) in enumerate(coords)]
    matrix = nw.travel_matrix(points, travel=nw.TravelSettings(circuity=circuity), profile=profile)
    _check_matrix(matrix.seconds, symmetric=True)


def test_triangle_inequality_over_every_node_triple(walk_graph, drive_graph) -> None:
    """Exhaustive over all ~200^3 node triples of the Leeds graphs: rounding up never breaks d(i,k) <= d(i,j) +
    d(j,k) in whole seconds."""
    for graph in (walk_graph, drive_graph):
        seconds = nw.graph_travel_matrix(graph, _all_nodes(graph), snap_max_m=1.0).seconds
        _check_matrix(seconds, symmetric=graph.profile == "walk")


def _all_nodes(graph: nw.StreetGraph) -> list[tuple[str, float, float]]:
    return [(str(i), float(a), float(b)) for i, a, b in zip(graph.osmid, graph.lat, graph.lon, strict=True)]


def _check_matrix(seconds: np.ndarray, *, symmetric: bool) -> None:
    assert seconds.dtype == np.int64
    assert np.all(np.diag(seconds) == 0)
    assert np.all(seconds >= 0)
    if symmetric:
        assert np.array_equal(seconds, seconds.T)
    for j in range(len(seconds)):  # d(i,k) <= d(i,j) + d(j,k) for every i, k
        assert np.all(seconds <= seconds[:, j : j + 1] + seconds[j : j + 1, :])


# --- CLI helpers ---------------------------------------------------------------------------------------------


def test_inspect_reports_graph_snaps_and_matrix_summary(cache: Path) -> None:
    report = nw.inspect(_network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=400), LEEDS_POINTS, profile="walk",
                        cache_dir=cache)  # fmt: skip
    matrix = nw.travel_matrix(LEEDS_POINTS, travel=_network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=400),
                              profile="walk", cache_dir=cache)  # fmt: skip
    off = matrix.seconds[~np.eye(len(LEEDS_POINTS), dtype=bool)]
    assert (report.min_s, report.max_s) == (off.min(), off.max())
    assert report.stats is not None and report.stats.nodes > 50
    assert report.snap_distances_m == matrix.snap_distances_m
    text = report.to_text()
    assert "travel model: network, profile: walk" in text
    assert f"{report.stats.nodes:,} nodes" in text and "components: 1 kept" in text
    assert "st-georges-field" in text and "median" in text
    crowfly = nw.inspect(nw.TravelSettings(), LEEDS_POINTS, profile="drive")
    assert crowfly.stats is None and "travel model: crowfly, profile: drive" in crowfly.to_text()


def test_default_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATROL_CACHE_DIR", str(tmp_path / "c"))
    assert nw.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("PATROL_CACHE_DIR")
    assert nw.default_cache_dir() == Path.home() / ".cache" / "patrol"


def test_fetch_fails_fast_offline(tmp_path: Path) -> None:
    """Sockets are blocked by conftest: fetch must give up within seconds with NetworkUnavailableError."""
    started = time.perf_counter()
    with pytest.raises(NetworkUnavailableError, match="not reachable"):
        nw.fetch("Middlesbrough, UK", tmp_path / "mbro.graphml", timeout_s=3)
    assert time.perf_counter() - started < 15
    assert not (tmp_path / "mbro.graphml").exists()


def test_fetch_rejects_bad_arguments_before_going_online(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\.graphml"):
        nw.fetch("Middlesbrough, UK", tmp_path / "mbro.osm.pbf")
    with pytest.raises(DataError, match="unknown fetch profile"):
        nw.fetch("Middlesbrough, UK", tmp_path / "mbro.graphml", profile="bike")


@pytest.mark.parametrize(
    ("attributes", "replacement", "message"),
    [
        (("length",), "", r"1357 of 1357 street edges have no 'length' \(first: "),
        (("x", "y"), "", r"626 of 626 nodes have no x/y coordinates \(first: node "),
        (("length",), "-5", r"street edge\(s\) have no valid length \(first: "),
    ],
    ids=["no-length", "no-xy", "negative-length"],
)
def test_a_graphml_without_lengths_or_coordinates_is_named(
    tmp_path: Path, attributes: tuple[str, ...], replacement: str, message: str
) -> None:
    """Such files were KeyError tracebacks: now the count, the first edge or node, and what to do."""
    text = Path(f"{LEEDS}.graphml").read_text(encoding="utf-8")
    for name in attributes:
        key = re.search(rf'<key id="(d\d+)" for="(?:edge|node)" attr.name="{name}"', text)
        assert key is not None, name  # the GraphML key of the attribute the test removes or breaks
        data = rf'<data key="{key.group(1)}">[^<]*</data>'
        text = re.sub(data, f'<data key="{key.group(1)}">{replacement}</data>' if replacement else "", text)
    broken = tmp_path / "broken.graphml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        nw.load_graph(broken, profile="walk", cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_cache_file_is_rebuilt_not_a_traceback(tmp_path: Path, damage: str) -> None:
    """A cache file cut short (a full disk, a killed run) or overwritten is ignored and rebuilt, with the same
    graph and matrix as before (it once raised BadZipFile / EOFError out of `patrol plan`)."""
    travel = _network(Path(f"{LEEDS}.osm.pbf"), snap_max_m=400)
    graph = nw.load_graph(f"{LEEDS}.osm.pbf", profile="walk", cache_dir=tmp_path)
    matrix = nw.travel_matrix(LEEDS_POINTS, travel=travel, profile="walk", cache_dir=tmp_path)
    for cached in [*(tmp_path / "graphs").glob("*.npz"), *(tmp_path / "matrices").glob("*.npz")]:
        if damage == "truncate":
            cached.write_bytes(cached.read_bytes()[:100])
        else:
            cached.write_bytes(b"\x00not a zip file at all" * 10)
    nw.clear_caches()
    again = nw.load_graph(f"{LEEDS}.osm.pbf", profile="walk", cache_dir=tmp_path)
    assert np.array_equal(again.length_m, graph.length_m)
    nw.clear_caches()
    rebuilt = nw.travel_matrix(LEEDS_POINTS, travel=travel, profile="walk", cache_dir=tmp_path)
    assert np.array_equal(rebuilt.seconds, matrix.seconds)


def test_fetch_behind_a_proxy_skips_the_direct_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTPS_PROXY set (police and council networks), a direct TCP probe always fails though the download
    through the proxy would work: the probe is skipped and the download's own error is what is reported."""
    import osmnx as ox
    import requests

    probes: list[str] = []
    monkeypatch.setattr(nw, "_probe", lambda url, timeout_s: probes.append(url) or "blocked")

    def through_the_proxy(*args: object, **kwargs: object) -> None:
        raise requests.exceptions.ProxyError("proxy said no")

    monkeypatch.setattr(ox, "graph_from_place", through_the_proxy)
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NetworkUnavailableError, match="not reachable"):
        nw.fetch("Middlesbrough, UK", tmp_path / "mbro.graphml", timeout_s=1)
    assert probes
    probes.clear()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.force.example:8080")
    with pytest.raises(NetworkUnavailableError, match="ProxyError: proxy said no"):
        nw.fetch("Middlesbrough, UK", tmp_path / "mbro.graphml", timeout_s=1)
    assert probes == []


def test_an_undirected_graphml_is_refused_and_a_network_of_one_node_too(tmp_path: Path) -> None:
    """An undirected GraphML (ox.convert.to_undirected, saved for display) keeps each street once in an
    arbitrary direction: refused by name. A network whose largest two-way part is one node would snap every
    point to it and time every leg at 0 minutes: refused, not planned."""
    import osmnx as ox

    directed = ox.load_graphml(f"{LEEDS}.graphml")
    undirected = tmp_path / "undirected.graphml"
    ox.save_graphml(ox.convert.to_undirected(directed), undirected)
    with pytest.raises(DataError, match="undirected"):
        nw.load_graph(undirected, profile="drive", cache_dir=tmp_path)
    one_way_pair = directed.subgraph(list(directed.nodes)[:2]).copy()
    one_way_pair.remove_edges_from(list(one_way_pair.edges))
    first, second = list(one_way_pair.nodes)
    one_way_pair.add_edge(first, second, length=100.0, highway="residential", oneway=True)
    tiny = tmp_path / "one-way.graphml"
    ox.save_graphml(one_way_pair, tiny)
    with pytest.raises(DataError, match="no two places connected both ways"):
        nw.load_graph(tiny, profile="drive", cache_dir=tmp_path)


def test_a_simplified_graphml_is_split_back_at_its_street_points(tmp_path: Path) -> None:
    """osmnx's default download keeps only junctions; a place mid-street snapped to a junction, untimed. Split
    at its geometry, the simplified file gives the snaps and legs of the extract it came from."""
    import osmnx as ox

    simplified = tmp_path / "simplified.graphml"
    ox.save_graphml(ox.simplify_graph(ox.load_graphml(f"{LEEDS}.graphml")), simplified)
    rng = np.random.default_rng(0)
    scattered = [
        (f"p{i}", float(lat), float(lon))
        for i, (lat, lon) in enumerate(
            zip(rng.uniform(53.8055, 53.8105, 200), rng.uniform(-1.5610, -1.5495, 200), strict=True)
        )
    ]
    for profile in nw.PROFILES:
        matrices = [
            nw.travel_matrix(
                LEEDS_POINTS, travel=_network(extract, snap_max_m=400), profile=profile, cache_dir=tmp_path / "c"
            )
            for extract in (Path(f"{LEEDS}.osm.pbf"), simplified)
        ]
        assert np.array_equal(matrices[0].seconds, matrices[1].seconds), profile
        assert matrices[0].snap_distances_m == matrices[1].snap_distances_m
    walk = [
        nw.load_graph(extract, profile="walk", cache_dir=tmp_path / "c") for extract in (f"{LEEDS}.osm", simplified)
    ]
    assert walk[1].stats.source_nodes == walk[0].stats.source_nodes == 626  # every street point is back
    split, extract = (nw.snap(graph, scattered, snap_max_m=1e6).distance_m for graph in reversed(walk))
    assert np.allclose(split, extract)
    assert (walk[1].osmid < 0).sum() > 300  # the points the simplification merged, numbered below zero

    nw.clear_caches()
    junctions = ox.load_graphml(simplified)  # as the file was read before: a snap to the nearest junction
    lat = np.array([data["y"] for _node, data in junctions.nodes(data=True)])
    lon = np.array([data["x"] for _node, data in junctions.nodes(data=True)])
    nearest_junction = np.array(
        [haversine.min() for haversine in (nw.haversine_m(a, b, lat, lon) for _i, a, b in scattered)]
    )
    assert nearest_junction.mean() > 1.2 * split.mean()  # 39 m against 29 m


def test_an_extract_is_parsed_once_for_both_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing is most of a cold build: the walk and drive graphs share one parse, and the graphs are the same
    as parsed apart (benchmarks/network.py --cold measures the time)."""
    reads: list[Path] = []
    real = nw._read_osmnx_graph

    def counting(path: Path):  # type: ignore[no-untyped-def]
        reads.append(path)
        return real(path)

    monkeypatch.setattr(nw, "_read_osmnx_graph", counting)
    shared = [nw.load_graph(f"{LEEDS}.osm", profile=p, cache_dir=tmp_path / "shared") for p in nw.PROFILES]
    assert len(reads) == 1
    nw.clear_caches()
    apart = []
    for profile in nw.PROFILES:
        nw.release_source_graph()
        apart.append(nw.load_graph(f"{LEEDS}.osm", profile=profile, cache_dir=tmp_path / "apart"))
    assert len(reads) == 3
    for a, b in zip(shared, apart, strict=True):
        assert np.array_equal(a.length_m, b.length_m) and a.stats == b.stats
    assert nw._SOURCE_GRAPH  # kept for another profile until released
    nw.release_source_graph()
    assert not nw._SOURCE_GRAPH


def test_every_plan_on_a_thin_or_two_way_only_drive_network_says_so(tmp_path: Path) -> None:
    """Load warnings are printed once, when a graph is built; the matrix carries them to every plan's notes. The
    shipped Leeds clip keeps 122 of 315 drivable street nodes (clipped one-way streets); a GraphML downloaded for
    walking has no one-way street."""
    import osmnx as ox

    shipped = nw.load_graph(f"{LEEDS}.osm.pbf", profile="drive", cache_dir=tmp_path)
    assert any("keeps 122 of 315 street nodes" in note for note in nw.graph_notes(shipped))
    assert nw.graph_notes(nw.load_graph(f"{LEEDS}.osm.pbf", profile="walk", cache_dir=tmp_path)) == ()
    walked = ox.load_graphml(f"{LEEDS}.graphml")
    two_way = tmp_path / "two-way.graphml"
    for u, v, data in list(walked.edges(data=True)):
        if not walked.has_edge(v, u):
            walked.add_edge(v, u, **{**data, "reversed": True})
        data["oneway"] = False
    ox.save_graphml(walked, two_way)
    notes = nw.graph_notes(nw.load_graph(two_way, profile="drive", cache_dir=tmp_path))
    assert any("has no one-way street" in note for note in notes)
    nw.clear_caches()
    matrix = nw.travel_matrix(
        LEEDS_POINTS, travel=_network(two_way, snap_max_m=400), profile="drive", cache_dir=tmp_path
    )
    assert any("has no one-way street" in note for note in matrix.notes)


def test_all_proxy_counts_as_a_proxy_and_no_proxy_bypasses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert not nw._proxied("https://nominatim.openstreetmap.org/")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.force.example:8080")
    assert nw._proxied("https://nominatim.openstreetmap.org/")
    monkeypatch.setenv("NO_PROXY", "openstreetmap.org")
    assert not nw._proxied("https://nominatim.openstreetmap.org/")


def test_a_place_near_a_street_the_pruning_dropped_is_told_so(tmp_path: Path) -> None:
    """ASB-LDS-02 is 343 m from the kept drive network of the Leeds clip but 13 m from a road outside its largest
    two-way part: the snap error says so (it read as "off the map: check the coordinates"), and the dropped
    nodes survive the disk cache."""
    graph = nw.load_graph(f"{LEEDS}.osm.pbf", profile="drive", cache_dir=tmp_path)
    assert len(graph.dropped_lat) == graph.stats.nodes_dropped > 0
    point = [("ASB-LDS-02", 53.80812, -1.55984)]
    with pytest.raises(nw.SnapError, match=r"'ASB-LDS-02' is \d+ m away but \d+ m from a street the network dropped"):
        nw.snap(graph, point, snap_max_m=300)
    nw.clear_caches()
    cached = nw.load_graph(f"{LEEDS}.osm.pbf", profile="drive", cache_dir=tmp_path)
    assert np.array_equal(cached.dropped_lat, graph.dropped_lat)
    with pytest.raises(nw.SnapError) as caught:
        nw.snap(graph, [("FAR", 53.85, -1.56)], snap_max_m=300)  # 4 km north: off the map, no hint
    assert "dropped" not in str(caught.value)


def test_a_failed_build_still_releases_the_parsed_extract(tmp_path: Path) -> None:
    """The parsed extract is kept only for the week's other profile: a build whose matrix fails (a place too far
    from the drive network) releases it too, or a batch worker would hold the largest thing in memory."""
    from optimiser import scenario as scenario_module
    from optimiser.errors import PatrolError
    from optimiser.instance import build

    nw.clear_caches()
    loaded = scenario_module.load_scenario(ROOT / "scenarios" / "leeds-demo.yaml", ["travel.profiles.officer=drive"])
    with pytest.raises(PatrolError, match=r"farther than travel\.snap_max_m"):
        build(loaded.scenario, loaded.scenario.default_week_start, cache_dir=tmp_path)  # a cold cache: parsed
    assert not nw._SOURCE_GRAPH
    graph = nw.load_graph(f"{LEEDS}.osm.pbf", profile="drive")
    assert not graph.dropped_lat.flags.writeable and graph.two_way_only is False
