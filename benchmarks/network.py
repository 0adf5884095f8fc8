"""Travel-matrix speed: compiled Dijkstra (scipy, as optimiser.network uses) against a networkx loop.

Cases: a synthetic street grid of about 50,000 nodes (224 x 224 junctions 80 m apart near Middlesbrough,
edge lengths jittered +0-25 %, 5 % of street segments removed, largest strongly connected component
kept) with 100, 500 and 1,000 points on random junctions; and every node of the shipped Leeds extract's
walking and driving graphs. For each case both methods build the same integer-seconds matrix in the same
run; the networkx baseline is ``nx.single_source_dijkstra_path_length`` once per distinct source (its
graph-building time is reported but not counted). Both are single-threaded, so the speed-up is the ratio
of CPU seconds (steady on a shared machine); wall-clock seconds are shown too. Both matrices must be
identical. Required: at least 20x at 500 points on the grid.

    python benchmarks/network.py                 # full run, several minutes (the baseline is slow)
    python benchmarks/network.py --points 100 500 --out network.csv
    python benchmarks/network.py --cold 80       # cold load of both profiles: extract read once vs twice

``--cold SIDE`` writes a synthetic OSM XML grid (SIDE x SIDE junctions 80 m apart, three shape nodes a
block) and times building the walk and drive graphs from it with no cache, twice in one process: first
parsing the extract for each profile (the baseline: the parsed graph is released between them), then
parsing it once for both, as a plan does. Both runs must give identical graphs.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser import network as nw

LEEDS = Path(__file__).resolve().parents[1] / "data" / "osm" / "leeds_its_example.osm.pbf"
WALK_KMH = 4.8
REQUIRED_RATIO = 20.0


def grid_graph(side: int = 224, *, spacing_m: float = 80.0, seed: int = 0) -> nw.StreetGraph:
    """A walking street grid of ``side`` x ``side`` junctions, reduced to its largest strong component."""
    rng = np.random.default_rng(seed)
    dlat = spacing_m / 111_195.0
    dlon = dlat / np.cos(np.radians(54.55))
    idx = np.arange(side * side).reshape(side, side)
    lat = (54.50 + dlat * np.arange(side))[:, None].repeat(side, 1).ravel()
    lon = (-1.30 + dlon * np.arange(side))[None, :].repeat(side, 0).ravel()
    pairs = np.concatenate(
        [np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], 1), np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], 1)]
    )
    pairs = pairs[rng.random(len(pairs)) >= 0.05]
    length = nw.haversine_m(lat[pairs[:, 0]], lon[pairs[:, 0]], lat[pairs[:, 1]], lon[pairs[:, 1]])
    length = length * rng.uniform(1.0, 1.25, len(pairs))
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    full = nw.graph_from_arrays(lat, lon, src, dst, np.concatenate([length, length]), source="synthetic grid")
    # Keep the largest strongly connected component, as load_graph does for real extracts.
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(full.length_csr, directed=True, connection="strong")
    keep = np.flatnonzero(labels == np.bincount(labels).argmax())
    renumber = np.full(len(lat), -1)
    renumber[keep] = np.arange(len(keep))
    inside = (renumber[full.src] >= 0) & (renumber[full.dst] >= 0)
    return nw.graph_from_arrays(
        lat[keep], lon[keep], renumber[full.src[inside]], renumber[full.dst[inside]], full.length_m[inside],
        source=f"synthetic grid {side}x{side}",
    )  # fmt: skip


def to_networkx(graph: nw.StreetGraph) -> nx.DiGraph:
    """The same graph as a networkx DiGraph with ``weight`` = metres (walk) or seconds (drive)."""
    weight = graph.length_m if graph.profile == "walk" else graph.travel_time_s
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(graph.src.tolist(), graph.dst.tolist(), weight.tolist(), strict=True))
    return g


def networkx_seconds(g: nx.DiGraph, graph: nw.StreetGraph, nodes: np.ndarray) -> np.ndarray:
    """Baseline: one networkx Dijkstra per distinct source node, then the same rounding as the library."""
    out = np.full((len(nodes), len(nodes)), np.inf)
    for source in dict.fromkeys(int(n) for n in nodes):
        lengths = nx.single_source_dijkstra_path_length(g, source, weight="weight")
        row = np.array([lengths.get(int(t), np.inf) for t in nodes])
        for i in np.flatnonzero(nodes == source):
            out[i] = row
    if graph.profile == "walk":
        out = np.minimum(out, out.T) / (WALK_KMH / 3.6)
    np.fill_diagonal(out, 0.0)
    return nw._ceil_seconds(out)


def run_case(name: str, graph: nw.StreetGraph, nodes: np.ndarray, g: nx.DiGraph) -> dict[str, object]:
    points = [(f"n{int(n)}", float(graph.lat[n]), float(graph.lon[n])) for n in nodes]
    wall, cpu = time.perf_counter(), time.process_time()
    compiled = nw.graph_travel_matrix(graph, points, snap_max_m=1.0, walk_kmh=WALK_KMH).seconds
    compiled_s, compiled_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    baseline = networkx_seconds(g, graph, nodes)
    networkx_s, networkx_cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "case": name,
        "profile": graph.profile,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "points": len(nodes),
        "compiled_s": round(compiled_s, 3),
        "networkx_s": round(networkx_s, 3),
        "compiled_cpu_s": round(compiled_cpu, 3),
        "networkx_cpu_s": round(networkx_cpu, 3),
        "speedup": round(networkx_cpu / max(compiled_cpu, 1e-6), 1),
        "identical": bool(np.array_equal(compiled, baseline)),
        "max_abs_diff_s": int(np.abs(compiled - baseline).max()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=224, help="grid junctions per side (default 224: ~50k nodes)")
    ap.add_argument("--points", type=int, nargs="+", default=[100, 500, 1000], help="matrix sizes on the grid")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-leeds", action="store_true", help="skip the Leeds extract cases")
    ap.add_argument("--out", type=Path, help="write the table as CSV")
    ap.add_argument("--cold", type=int, metavar="SIDE", help="only the cold-load case, on a SIDE x SIDE OSM grid")
    args = ap.parse_args(argv)
    if args.cold:
        return cold_load(args.cold)

    rows: list[dict[str, object]] = []
    started = time.perf_counter()
    grid = grid_graph(args.side, seed=args.seed)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    g = to_networkx(grid)
    nx_build_s = time.perf_counter() - started
    print(
        f"grid: {grid.n_nodes:,} nodes, {grid.n_edges:,} directed edges "
        f"(arrays {build_s:.2f} s; networkx graph {nx_build_s:.2f} s, not counted)",
        flush=True,
    )
    rng = np.random.default_rng(args.seed)
    for k in args.points:
        nodes = rng.choice(grid.n_nodes, size=k, replace=False)
        rows.append(run_case("grid", grid, nodes, g))
        print(_fmt(rows[-1]), flush=True)

    if not args.no_leeds:
        with tempfile.TemporaryDirectory() as cache:
            for profile in nw.PROFILES:
                leeds = nw.load_graph(LEEDS, profile=profile, cache_dir=Path(cache))
                rows.append(run_case("leeds", leeds, np.arange(leeds.n_nodes), to_networkx(leeds)))
                print(_fmt(rows[-1]), flush=True)

    print()
    header = (
        "case", "profile", "nodes", "edges", "points", "compiled_s", "networkx_s", "compiled_cpu_s",
        "networkx_cpu_s", "speedup", "identical",
    )  # fmt: skip
    print(" ".join(f"{h:>14}" for h in header))
    for row in rows:
        print(" ".join(f"{row[h]!s:>14}" for h in header))
    gate = [r for r in rows if r["case"] == "grid" and r["points"] == 500 and args.side == 224]
    if gate:
        verdict = "meets" if float(gate[0]["speedup"]) >= REQUIRED_RATIO else "FAILS"
        ratio = gate[0]["speedup"]
        print(f"\n500 points on the ~50k-node grid: {ratio}x ({verdict} the {REQUIRED_RATIO:g}x requirement)")
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    ok = all(r["identical"] for r in rows) and all(float(r["speedup"]) >= REQUIRED_RATIO for r in gate)
    return 0 if ok else 1


def write_grid_osm(side: int, out: Path, *, shape_nodes: int = 3) -> int:
    """A synthetic OSM XML street grid (residential, two-way), SIDE x SIDE junctions 80 m apart; returns its nodes."""
    lat0, lon0, step = 54.55, -1.25, 80 / 111_195.0
    lon_step = step / 0.58
    node_id = 1
    junction: dict[tuple[int, int], int] = {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="patrol-benchmark">']
    for i in range(side):
        for j in range(side):
            junction[i, j] = node_id
            lines.append(
                f'  <node id="{node_id}" version="1" lat="{lat0 + i * step:.7f}" lon="{lon0 + j * lon_step:.7f}"/>'
            )
            node_id += 1
    ways: list[list[int]] = []
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0)):
                if i + di >= side or j + dj >= side:
                    continue
                refs = [junction[i, j]]
                for k in range(1, shape_nodes + 1):
                    f = k / (shape_nodes + 1)
                    lat, lon = lat0 + (i + di * f) * step, lon0 + (j + dj * f) * lon_step
                    lines.append(f'  <node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
                    refs.append(node_id)
                    node_id += 1
                refs.append(junction[i + di, j + dj])
                ways.append(refs)
    for way_id, refs in enumerate(ways, start=1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += ['    <tag k="highway" v="residential"/>', "  </way>"]
    lines.append("</osm>")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return node_id - 1


def cold_load(side: int) -> int:
    """Walk and drive graphs of one extract with no cache: parsed per profile (baseline) vs once for both."""
    import osmnx  # noqa: F401 - imported before timing: its import is paid once by either way

    with tempfile.TemporaryDirectory() as folder:
        extract = Path(folder) / f"grid{side}.osm"
        nodes = write_grid_osm(side, extract)
        print(f"grid extract: {nodes:,} OSM nodes, {extract.stat().st_size / 1e6:.1f} MB", flush=True)
        timings, graphs = {}, {}
        for way in ("per profile", "once"):
            nw.clear_caches()
            started = time.perf_counter()
            built = []
            for profile in nw.PROFILES:
                if way == "per profile":
                    nw.release_source_graph()
                built.append(nw.load_graph(extract, profile=profile, cache_dir=Path(folder) / way))
            timings[way] = time.perf_counter() - started
            graphs[way] = built
            print(f"{way}: {timings[way]:.1f} s", flush=True)
        identical = all(
            np.array_equal(a.length_m, b.length_m) and a.stats == b.stats
            for a, b in zip(graphs["per profile"], graphs["once"], strict=True)
        )
    ratio = timings["per profile"] / timings["once"]
    print(f"cold load of walk + drive: {ratio:.2f}x faster reading the extract once; identical={identical}")
    return 0 if identical else 1


def _fmt(row: dict[str, object]) -> str:
    return (
        f"{row['case']} {row['profile']} {row['points']} points: compiled {row['compiled_s']} s, "
        f"networkx {row['networkx_s']} s (CPU {row['compiled_cpu_s']} / {row['networkx_cpu_s']} s), "
        f"{row['speedup']}x, identical={row['identical']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
