"""Tests of optimiser.hotspots: detection rules, joint merge, evidence/PAI, refresh outputs, shipped list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import yaml
from pyproj import Transformer

import cli
from optimiser import hotspots, incidents
from optimiser.errors import DataError
from optimiser.incidents import ForceArea
from optimiser.scenario import Hotspot as ScenarioHotspot
from optimiser.scenario import load_scenario

HERE = Path(__file__).parent
LEEDS = HERE / "data" / "hotspots" / "leeds_its_example.graphml"
SHIPPED = HERE.parent / "scenarios" / "hotspots" / "cleveland-2023-12_2024-11.yaml"
HARM = incidents.load_harm_weights()
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

ASB = "Anti-social behaviour"
VIOLENCE = "Violence and sexual offences"
ROBBERY = "Robbery"

# Cell centres (British National Grid metres). A and B touch (B is east of A); C is 2 km east of A.
A = (450_075.0, 519_975.0)
B = (450_225.0, 519_975.0)
C = (452_075.0, 519_975.0)
S = (450_375.0, 519_975.0)  # 300 m east of A: within the 500 m separation


def make(rows: Sequence[tuple[tuple[float, float], str, int, str, str, str]]) -> pd.DataFrame:
    """Incidents from (point, crime type, count, month, district, location) rows, shaped like incidents.load()."""
    records = []
    for (x, y), crime_type, count, month, district, location in rows:
        lon, lat = _TO_WGS84.transform(x, y)
        records += [
            {
                "crime_id": "",
                "month": month,
                "crime_type": crime_type,
                "harm": HARM[crime_type],
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "x": x,
                "y": y,
                "location": location,
                "lsoa": "",
                "district": district,
                "source": "test",
            }
        ] * count
    frame = pd.DataFrame.from_records(records, columns=list(incidents.INCIDENT_COLUMNS))
    frame.attrs["crime_types"] = sorted(HARM)
    return frame


def asb_only(k: int, district: str = "D1") -> dict[str, dict[str, int]]:
    return {"asb": {district: k}, "sv": {}}


def three_cells() -> pd.DataFrame:
    """ASB in district D1: cell A 10, cell B (touching A) 8, cell C (2 km away) 6, all in 2024-01."""
    return make(
        [
            (A, ASB, 10, "2024-01", "D1", "On or near Albert Road"),
            (B, ASB, 8, "2024-01", "D1", "On or near Linthorpe Road"),
            (C, ASB, 6, "2024-01", "D1", "On or near High Street"),
        ]
    )


def test_grid_cells_are_aligned_to_the_grid_origin() -> None:
    """Points at easting 450,149.9 and 450,150.01 fall in cells E450000 and E450150 (150 m cells from 0).

    (Not 450,150.0 exactly: a point on a line is on the edge of both published polygons, and is counted
    where their coordinates, rounded and projected back, put it; real snap points are never exactly on a
    line.)"""
    frame = make(
        [
            ((450_149.9, 520_010.0), ASB, 3, "2024-01", "D1", "On or near West Street"),
            ((450_150.01, 520_010.0), ASB, 2, "2024-01", "D1", "On or near East Street"),
        ]
    )
    found = hotspots.detect(frame, top_k=asb_only(2), separation_m=0, min_incidents=1)
    assert [h.units for h in found] == [("E450000N519900",), ("E450150N519900",)]
    assert [h.incidents for h in found] == [3, 2]


def test_close_cells_join_one_hotspot_and_far_cells_start_another() -> None:
    """three_cells, K=2, separation 500 m: hotspot 1 = A + B (18 incidents, a 300 m x 150 m outline),
    hotspot 2 = C (6). Ids and priorities follow the count; the point is A's snap point."""
    first, second = hotspots.detect(three_cells(), top_k=asb_only(2), min_incidents=1)
    assert first.id == "ASB-D1-01" and first.priority == 1
    assert first.units == ("E450000N519900", "E450150N519900")
    assert first.incidents == first.incidents_asb == 18
    assert first.harm_asb == 18.0 and first.harm_sv == 0.0
    assert first.unit_area_m2 == 45_000.0
    assert first.patrol_area_m2 == pytest.approx(45_000.0)
    assert first.name == "Albert Road / Linthorpe Road"
    lon, lat = _TO_WGS84.transform(*A)
    assert (first.lon, first.lat) == (round(lon, 6), round(lat, 6))
    assert second.id == "ASB-D1-02" and second.units == ("E451950N519900",) and second.incidents == 6


def test_a_full_hotspot_skips_close_cells() -> None:
    """max_cells=1: B is closer than 500 m to the full hotspot A, so it is skipped; C is hotspot 2."""
    found = hotspots.detect(three_cells(), top_k=asb_only(2), min_incidents=1, max_cells=1)
    assert [h.units for h in found] == [("E450000N519900",), ("E451950N519900",)]


def test_no_separation_gives_one_hotspot_per_cell() -> None:
    """separation_m=0: the two best cells (A, B) are separate hotspots; C is third and out of K=2."""
    found = hotspots.detect(three_cells(), top_k=asb_only(2), min_incidents=1, separation_m=0)
    assert [h.units for h in found] == [("E450000N519900",), ("E450150N519900",)]


def test_incident_floor_leaves_a_district_short_and_says_so() -> None:
    """min_incidents=7: C (6) is not a candidate, so D1 gets 1 of its 2 hotspots and a note says why."""
    found = hotspots.detect(three_cells(), top_k=asb_only(2), min_incidents=7)
    assert [h.units for h in found] == [("E450000N519900", "E450150N519900")]
    assert any("only 1 of 2 hotspots have at least 7 incidents" in note for note in found.notes)


def test_top_k_per_district_and_district_by_most_incidents() -> None:
    """Cell A holds 3 ASB incidents recorded in D2 and 2 in D1, so it is a D2 hotspot; cell C (4, D1) is
    D1's. With K = 1 in each district both appear, each in its own district."""
    frame = make(
        [
            (A, ASB, 3, "2024-01", "D2", "On or near Border Road"),
            (A, ASB, 2, "2024-01", "D1", "On or near Border Road"),
            (C, ASB, 4, "2024-01", "D1", "On or near High Street"),
        ]
    )
    found = hotspots.detect(frame, top_k={"asb": {"D1": 1, "D2": 1}, "sv": {}}, min_incidents=1)
    assert {(h.id, h.units[0], h.incidents) for h in found} == {
        ("ASB-D1-01", "E451950N519900", 4),
        ("ASB-D2-01", "E450000N519900", 5),
    }


def test_persistence_prefers_steady_cells_over_one_month_bursts() -> None:
    """Cell A: 12 incidents, all in January. Cell C: 6, one a month January-June. K=1: by count A wins;
    with persistence 3/6 (incidents in at least 3 of the last 6 months) only C qualifies."""
    rows = [(A, ASB, 12, "2024-01", "D1", "On or near Albert Road")]
    rows += [(C, ASB, 1, f"2024-0{m}", "D1", "On or near High Street") for m in range(1, 7)]
    frame = make(rows)
    plain = hotspots.detect(frame, top_k=asb_only(1), min_incidents=1, window="2024-01:2024-06")
    steady = hotspots.detect(frame, top_k=asb_only(1), min_incidents=1, window="2024-01:2024-06", persistence="3/6")
    assert plain[0].units == ("E450000N519900",)
    assert steady[0].units == ("E451950N519900",)


def test_rank_by_harm_or_by_count() -> None:
    """SV, K=1: cell A has 3 violence offences (600 harm days), cell C 2 robberies (730). Count picks A,
    harm picks C."""
    frame = make(
        [
            (A, VIOLENCE, 3, "2024-01", "D1", "On or near Albert Road"),
            (C, ROBBERY, 2, "2024-01", "D1", "On or near High Street"),
        ]
    )
    top_k = {"asb": {}, "sv": {"D1": 1}}
    by_count = hotspots.detect(frame, top_k=top_k, min_incidents=1)
    by_harm = hotspots.detect(frame, top_k=top_k, min_incidents=1, rank_by="harm")
    assert by_count[0].units == ("E450000N519900",) and by_count[0].harm_sv == 600.0
    assert by_harm[0].units == ("E451950N519900",) and by_harm[0].harm_sv == 730.0


def test_close_asb_and_sv_hotspots_merge_into_one_joint_hotspot() -> None:
    """D1: ASB hotspot at A (10 incidents) and SV hotspot at S, 300 m away (5 violence = 1,000 harm days):
    one joint hotspot carrying both figures; harm_weight = 10/31 + 1000/31 for the 31-day January window.
    In D2, an ASB cell and an SV cell 300 m apart but in different districts do not merge."""
    far = 10_000.0
    frame = make(
        [
            (A, ASB, 10, "2024-01", "D1", "On or near Albert Road"),
            (S, VIOLENCE, 5, "2024-01", "D1", "On or near Station Street"),
            ((A[0] + far, A[1]), ASB, 4, "2024-01", "D2", "On or near Far Road"),
            ((S[0] + far, S[1]), VIOLENCE, 4, "2024-01", "D3", "On or near Far Street"),
        ]
    )
    top_k = {"asb": {"D1": 1, "D2": 1}, "sv": {"D1": 1, "D3": 1}}
    found = {h.id: h for h in hotspots.detect(frame, top_k=top_k, min_incidents=1)}
    assert sorted(found) == ["ASB-D2-01", "JNT-D1-01", "SV-D3-01"]
    joint = found["JNT-D1-01"]
    assert joint.project == "joint" and joint.district == "D1"
    assert (joint.harm_asb, joint.harm_sv, joint.incidents) == (10.0, 1000.0, 15)
    assert joint.harm_weight == pytest.approx(10 / 31 + 1000 / 31, rel=1e-5)  # 6 significant figures
    assert set(joint.units) == {"E450000N519900", "E450300N519900"}
    assert joint.serves("asb") and joint.serves("sv")
    unmerged = hotspots.detect(frame, top_k=top_k, min_incidents=1, merge_joint=False)
    assert sorted(h.id for h in unmerged) == ["ASB-D1-01", "ASB-D2-01", "SV-D1-01", "SV-D3-01"]


def test_institutional_snap_points_are_left_out_and_counted() -> None:
    """20 ASB incidents 'On or near Police Station' at C are left out (noted); A (10) is the hotspot."""
    frame = make(
        [
            (A, ASB, 10, "2024-01", "D1", "On or near Albert Road"),
            (C, ASB, 20, "2024-01", "D1", "On or near Police Station"),
        ]
    )
    found = hotspots.detect(frame, top_k=asb_only(1), min_incidents=1)
    assert found[0].units == ("E450000N519900",)
    assert any("left out 20 incidents" in note and "Police Station 20" in note for note in found.notes)
    kept = hotspots.detect(frame, top_k=asb_only(1), min_incidents=1, exclude_locations=())
    assert kept[0].units == ("E451950N519900",)


def test_lsoa_method_uses_lsoa_codes_and_areas() -> None:
    """Three-LSOA force (lsoa_tiny.csv): E01000001 (D E06000901, 500,000 m²) 5 ASB; E01000002 (same
    district, 2 km away) 3; E01000003 (E06000902) 2. K=1 per district: E01000001 and E01000003."""
    force = incidents.load_force_area(HERE / "data" / "police_uk" / "lsoa_tiny.csv")
    frame = make(
        [
            (A, ASB, 5, "2024-01", "E06000901", "On or near Albert Road"),
            (C, ASB, 3, "2024-01", "E06000901", "On or near High Street"),
            ((A[0], A[1] + 5_000), ASB, 2, "2024-01", "E06000902", "On or near North Road"),
        ]
    )
    frame["lsoa"] = ["E01000001"] * 5 + ["E01000002"] * 3 + ["E01000003"] * 2
    found = hotspots.detect(frame, method="lsoa", top_k=1, min_incidents=1, force_area=force, lsoa_boundaries=None)
    assert [(h.district, h.units, h.unit_area_m2) for h in found] == [
        ("E06000901", ("E01000001",), 500_000.0),
        ("E06000902", ("E01000003",), 200_000.0),
    ]
    assert all(len(h.polygon) >= 3 for h in found)


def _leeds_edges() -> pd.DataFrame:
    graph = ox.convert.to_undirected(ox.project_graph(ox.load_graphml(LEEDS), to_crs="EPSG:27700"))
    return ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).sort_index()


def test_street_segment_method_on_the_leeds_extract() -> None:
    """Made-up incidents on the Leeds extract: 8 at the middle of the longest Blenheim Terrace edge, 4 at
    the middle of the longest Clarendon Road edge (657 m away), and 3 a kilometre outside the extract
    (further than max_snap_m from every street: not assigned, noted). K=2: two segment hotspots, named
    after their streets, Blenheim Terrace first; a segment's area is about its length x 2 x 25 m (a
    flat-ended 25 m buffer, a little less on bends)."""
    edges = _leeds_edges()
    edges["length_m"] = edges.geometry.length

    def middle(name: str) -> tuple[tuple[float, float], str]:
        edge = edges[edges["name"] == name].sort_values("length_m").iloc[-1]
        point = edge.geometry.interpolate(0.5, normalized=True)
        u, v, k = edge.name
        return (point.x, point.y), f"{u}-{v}-{k}"

    blenheim, blenheim_id = middle("Blenheim Terrace")
    clarendon, clarendon_id = middle("Clarendon Road")
    outside = (blenheim[0], blenheim[1] + 3_000)
    frame = make(
        [
            (blenheim, ASB, 8, "2024-01", "LEEDS", "On or near Blenheim Terrace"),
            (clarendon, ASB, 4, "2024-01", "LEEDS", "On or near Clarendon Road"),
            (outside, ASB, 3, "2024-01", "LEEDS", "On or near Nowhere"),
        ]
    )
    found = hotspots.detect(frame, method="segment", graph=LEEDS, top_k=asb_only(2, "LEEDS"), min_incidents=1)
    assert [(h.units, h.incidents) for h in found] == [((blenheim_id,), 8), ((clarendon_id,), 4)]
    assert found[0].name.startswith("Blenheim Terrace")
    assert found[1].name.startswith("Clarendon Road")
    assert found[0].unit_area_m2 == pytest.approx(
        edges.loc[tuple(map(int, blenheim_id.split("-")))].geometry.length * 50, rel=0.03
    )
    assert any("3 incidents are more than 100 m from every street segment" in n for n in found.notes)


def test_method_strings_and_bad_options() -> None:
    assert hotspots.parse_method("grid:cell_m=200,rank_by=harm,persistence=6/12") == {
        "method": "grid",
        "cell_m": 200,
        "rank_by": "harm",
        "persistence": (6, 12),
    }
    assert hotspots.parse_method("lsoa") == {"method": "lsoa"}
    with pytest.raises(DataError, match="unknown hotspot method 'hexagon'"):
        hotspots.parse_method("hexagon")
    with pytest.raises(DataError, match=r"'cells=3' .* not known"):
        hotspots.parse_method("grid:cells=3")
    with pytest.raises(DataError, match="persistence"):
        hotspots.parse_method("grid:persistence=7/6")
    with pytest.raises(DataError, match=r"separation_m='nan' .* must be a finite number"):
        hotspots.parse_method("grid:separation_m=nan")  # once accepted: no hotspots merged, nan in the header


def test_bad_inputs_are_data_errors() -> None:
    frame = three_cells()
    with pytest.raises(DataError, match="lacks column"):
        hotspots.detect(frame.drop(columns="district"))
    with pytest.raises(DataError, match=r"'Litter' is not a police\.uk crime type"):
        hotspots.detect(frame, crime_types={"asb": ["Litter"], "sv": [VIOLENCE]})
    with pytest.raises(DataError, match="street network"):
        hotspots.detect(frame, method="segment")


# ---- evidence ----------------------------------------------------------------------------------


def evaluation_frame() -> pd.DataFrame:
    """Train 2024-01: ASB A 10, C 6; SV A 4. Test 2024-02: ASB A 5, far cell 5; SV A 2, C 2."""
    far = (460_075.0, 530_025.0)
    return make(
        [
            (A, ASB, 10, "2024-01", "D1", "On or near Albert Road"),
            (C, ASB, 6, "2024-01", "D1", "On or near High Street"),
            (A, VIOLENCE, 4, "2024-01", "D1", "On or near Albert Road"),
            (A, ASB, 5, "2024-02", "D1", "On or near Albert Road"),
            (far, ASB, 5, "2024-02", "D1", "On or near Far Road"),
            (A, VIOLENCE, 2, "2024-02", "D1", "On or near Albert Road"),
            (C, VIOLENCE, 2, "2024-02", "D1", "On or near High Street"),
        ]
    )


ONE_KM2 = ForceArea(
    lsoa_district={"L1": "D1"}, lsoa_area_m2={"L1": 1_000_000.0}, lsoa_name={"L1": "x"}, district_names={"D1": "One"}
)


def test_evaluate_pai_by_hand() -> None:
    """evaluation_frame, one district, force area 1 km², K=1 per project: both hotspots are cell A
    (22,500 m² = 2.25% of the area). ASB: train hit 10/16 = 62.5%, test hit 5/10 = 50%, PAI 50/2.25 =
    22.2; SV: test hit 2/4 = 50% of incidents and of harm. The baseline (best 150 m cell) is also A."""
    table = hotspots.evaluate(
        evaluation_frame(),
        train="2024-01:2024-01",
        test="2024-02:2024-02",
        force_area=ONE_KM2,
        methods=["grid:min_incidents=1"],
        k_values=[1],
        lsoa_boundaries=None,
    )
    asb = table[table["project"] == "asb"].iloc[0]
    assert asb["hotspots"] == 1
    assert asb["area_pct"] == pytest.approx(2.25)
    assert asb["train_hit_pct"] == pytest.approx(62.5)
    assert asb["test_hit_pct"] == pytest.approx(50.0)
    assert asb["pai"] == pytest.approx(50 / 2.25)
    assert asb["baseline_hit_pct"] == pytest.approx(50.0) and asb["hit_vs_baseline"] == 0.0
    sv = table[table["project"] == "sv"].iloc[0]
    assert sv["test_hit_pct"] == pytest.approx(50.0) and sv["test_harm_pct"] == pytest.approx(50.0)
    text = hotspots.format_evaluation(table)
    assert "PAI" in text and "grid:min_incidents=1" in text and "22.2" in text


def test_evaluate_rejects_overlapping_windows() -> None:
    with pytest.raises(DataError, match="must start after"):
        hotspots.evaluate(evaluation_frame(), train="2024-01:2024-02", test="2024-02:2024-02", force_area=ONE_KM2)


def test_coverage_of_any_list_with_a_radius() -> None:
    """A 100 m circle around cell A's centre covers the 10 January ASB incidents at A of 16 (62.5%);
    its area is about pi x 100² = 31,400 m² (3.14% of 1 km²)."""
    lon, lat = _TO_WGS84.transform(*A)
    table = hotspots.coverage(
        [{"id": "X", "project": "asb", "district": "D1", "lat": lat, "lon": lon, "radius_m": 100}],
        evaluation_frame(),
        force_area_m2=1_000_000.0,
        months="2024-01:2024-01",
    )
    assert table.loc["asb", "hit_pct"] == pytest.approx(62.5)
    assert table.loc["asb", "area_km2"] == pytest.approx(0.0314, abs=2e-4)
    assert table.loc["sv", "hotspots"] == 0 and table.loc["sv", "covered"] == 0


# ---- refresh -----------------------------------------------------------------------------------


def square(centre: tuple[float, float], half: float) -> list[list[float]]:
    x, y = centre
    return [
        list(_TO_WGS84.transform(px, py))
        for px, py in ((x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half))
    ]


def test_refresh_writes_yaml_diff_and_geojson(tmp_path: Path) -> None:
    """three_cells with max_cells=1 gives hotspots at A and C. Old list: ASB-D1-07 over A (overlaps, so
    A is kept and keeps id ASB-D1-07) and ASB-D1-03 far away (dropped, 0 incidents there now). C is added
    and gets the first number no old hotspot used: ASB-D1-01."""
    old = [
        {"id": "ASB-D1-07", "project": "asb", "district": "D1", "priority": 1, "polygon": square(A, 100)},
        {
            "id": "ASB-D1-03",
            "project": "asb",
            "district": "D1",
            "priority": 2,
            "polygon": square((470_000, 540_000), 75),
        },
    ]
    out = tmp_path / "refresh"
    result = hotspots.refresh(
        three_cells(),
        window="2024-01:2024-01",
        out_dir=out,
        old_hotspots=old,
        command="patrol hotspots refresh test.yaml --months 2024-01:2024-01 --out refresh",
        top_k=asb_only(2),
        min_incidents=1,
        max_cells=1,
    )
    assert sorted(p.name for p in out.iterdir()) == ["diff.csv", "hotspots.geojson", "hotspots.yaml"]
    assert not list(tmp_path.glob(".hotspots-refresh-*"))
    diff = pd.read_csv(result.diff_path, keep_default_na=False)
    assert list(diff.columns[:7]) == ["status", "hotspot_id", "project", "district", "harm", "rank", "incidents"]
    assert diff[["status", "hotspot_id", "incidents", "rank"]].values.tolist() == [
        ["kept", "ASB-D1-07", 10, 1],
        ["added", "ASB-D1-01", 6, 2],
        ["dropped", "ASB-D1-03", 0, 2],
    ]
    # what each new hotspot was before: the kept one was ASB rank 1; the added one was nothing
    assert list(diff.columns) == list(hotspots.DIFF_COLUMNS)
    assert diff[["previous_project", "previous_rank"]].astype(str).values.tolist() == [
        ["asb", "1"],
        ["", ""],
        ["asb", "2"],
    ]
    text = result.yaml_path.read_text()
    assert "#   patrol hotspots refresh test.yaml --months 2024-01:2024-01 --out refresh" in text
    assert "Open Government Licence v3.0" in text
    loaded = yaml.safe_load(text)
    entries = [ScenarioHotspot.model_validate(h) for h in loaded["hotspots"]]
    assert [h.id for h in entries] == ["ASB-D1-07", "ASB-D1-01"]
    assert entries[0].harm_weight == pytest.approx(10 / 31, rel=1e-5)
    geo = json.loads(result.geojson_path.read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    feature = geo["features"][0]
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
    assert {"hotspot_id", "name", "district", "project", "harm"} <= set(feature["properties"])
    assert "Open Government Licence v3.0" in geo["attribution"]
    assert "incidents, harm_asb, harm_sv count the points inside the" in text


def test_asb_and_sv_incidents_are_written_for_every_hotspot(tmp_path: Path) -> None:
    """An SV-only hotspot at A holding 5 violent crimes and 3 ASB incidents: for a Home Office return the
    ASB there counts too. Before, only ``incidents`` (the patrolling projects' sum, 5) was written and the
    ASB could not be read anywhere; now incidents_asb 3 and incidents_sv 5 are in hotspots.yaml, the
    GeoJSON properties and diff.csv (new columns at the end), and harm_asb stays 0 (no warden patrols it)."""
    frame = make(
        [
            (A, VIOLENCE, 5, "2024-01", "D1", "On or near Albert Road"),
            (A, ASB, 3, "2024-01", "D1", "On or near Albert Road"),
        ]
    )
    result = hotspots.refresh(
        frame, window="2024-01", out_dir=tmp_path / "r", top_k={"asb": {}, "sv": {"D1": 1}}, min_incidents=1
    )
    (entry,) = yaml.safe_load(result.yaml_path.read_text())["hotspots"]
    assert entry["project"] == "sv" and entry["harm_asb"] == 0.0
    assert (entry["incidents"], entry["incidents_asb"], entry["incidents_sv"]) == (5, 3, 5)
    assert list(entry)[-3:] == ["incidents", "incidents_asb", "incidents_sv"]
    ScenarioHotspot.model_validate(entry)
    (feature,) = json.loads(result.geojson_path.read_text())["features"]
    assert list(feature["properties"])[-2:] == ["incidents_asb", "incidents_sv"]
    assert (feature["properties"]["incidents_asb"], feature["properties"]["incidents_sv"]) == (3, 5)
    diff = pd.read_csv(result.diff_path)
    assert list(diff.columns)[10:12] == ["incidents_asb", "incidents_sv"]  # after the columns there were
    assert diff[["incidents", "incidents_asb", "incidents_sv"]].values.tolist() == [[5, 3, 5]]


def test_diff_shows_the_previous_figures_and_the_overlap(tmp_path: Path) -> None:
    """The old list had ASB-D1-05 over cells A and B (30 incidents, weight 1.5) and ASB-D1-09 far away
    (12, weight 0.4). Now only A is a hotspot (max_cells=1): before, it read as plainly 'kept', with no
    sign it lost half its ground; now diff.csv gives the old figures and the share of the old area still
    covered (0.5), and the dropped one its old figures and overlap 0 (new columns at the end)."""

    def rectangle(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
        return [list(_TO_WGS84.transform(x, y)) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]

    old = [
        {
            "id": "ASB-D1-05",
            "project": "asb",
            "district": "D1",
            "priority": 1,
            "incidents": 30,
            "incidents_asb": 30,  # a list of cell-union polygons (its figures split by project)
            "harm_weight": 1.5,
            "polygon": rectangle(450_000, 519_900, 450_300, 520_050),
        },
        {
            "id": "ASB-D1-09",
            "project": "asb",
            "district": "D1",
            "priority": 2,
            "incidents": 12,
            "incidents_asb": 12,
            "harm_weight": 0.4,
            "polygon": rectangle(470_000, 540_000, 470_150, 540_150),
        },
    ]
    result = hotspots.refresh(
        three_cells(),
        window="2024-01",
        out_dir=tmp_path / "r",
        old_hotspots=old,
        top_k=asb_only(1),
        min_incidents=1,
        max_cells=1,
    )
    diff = pd.read_csv(result.diff_path, keep_default_na=False)
    assert list(diff.columns)[-3:] == ["previous_incidents", "previous_harm_weight", "overlap_share"]
    kept = diff[diff["status"] == "kept"].iloc[0]
    assert (kept["hotspot_id"], kept["incidents"], kept["previous_incidents"], kept["previous_harm_weight"]) == (
        "ASB-D1-05",
        10,
        30,
        1.5,
    )
    assert kept["overlap_share"] == pytest.approx(0.5, abs=1e-3)
    dropped = diff[diff["status"] == "dropped"].iloc[0]
    assert (dropped["hotspot_id"], dropped["previous_incidents"], dropped["overlap_share"]) == ("ASB-D1-09", 12, 0.0)


def test_a_refresh_that_finds_no_hotspot_writes_nothing(tmp_path: Path) -> None:
    """A floor no cell reaches: an empty list would pass `patrol validate` and fail only at planning, so
    the refresh stops with the reason and leaves no files."""
    out = tmp_path / "refresh"
    with pytest.raises(DataError, match="no hotspot found in 2024-01:2024-01"):
        hotspots.refresh(three_cells(), window="2024-01", out_dir=out, top_k=asb_only(2), min_incidents=1000)
    assert not out.exists()


def test_a_refresh_asking_for_no_hotspot_says_so(tmp_path: Path) -> None:
    """0 hotspots per district everywhere: the reason is the quota, not the data."""
    with pytest.raises(DataError, match="hotspots_per_district is 0 for every district and project"):
        hotspots.refresh(three_cells(), window="2024-01", out_dir=tmp_path / "r", top_k=0, min_incidents=1)
    assert not (tmp_path / "r").exists()


def test_the_scenario_sets_the_hotspots_per_district() -> None:
    """cleveland.yaml states the programme's numbers (ASB 5 a council; SV 2/5/1/4), the ones the shipped
    list was made with; a number applies to every district."""
    scenario = load_scenario(None).scenario
    assert hotspots.scenario_top_k(scenario) == hotspots.DEFAULT_TOP_K
    varied = load_scenario(None, ["projects.sv.hotspots_per_district=3"]).scenario
    assert hotspots.scenario_top_k(varied)["sv"] == dict.fromkeys(scenario.districts, 3)


def test_refresh_into_an_existing_folder_replaces_only_its_files(tmp_path: Path) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "diff.csv").write_text("stale")
    hotspots.refresh(three_cells(), window="2024-01", out_dir=out, top_k=asb_only(1), min_incidents=1)
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "diff.csv").read_text().startswith("status,hotspot_id")
    assert sorted(p.name for p in out.iterdir()) == ["diff.csv", "hotspots.geojson", "hotspots.yaml", "notes.txt"]


# ---- the shipped default list ------------------------------------------------------------------


def test_shipped_hotspots_cover_every_district_with_the_programme_quotas() -> None:
    """scenarios/hotspots/cleveland-2023-12_2024-11.yaml: hotspots serving ASB, 5 in each council;
    serving SV, Middlesbrough 5, Stockton-on-Tees 4, Hartlepool 2, Redcar and Cleveland 1; valid
    scenario entries with unique ids."""
    data = yaml.safe_load(SHIPPED.read_text())
    assert data["window"] == "2023-12:2024-11"
    entries = [ScenarioHotspot.model_validate(h) for h in data["hotspots"]]
    assert len({h.id for h in entries}) == len(entries)
    for project, quota in hotspots.DEFAULT_TOP_K.items():
        for district, k in quota.items():
            assert sum(1 for h in entries if h.serves(project) and h.district == district) == k, (project, district)
    assert all(h.harm_weight > 0 and h.polygon for h in entries)


def test_shipped_hotspots_are_reproduced_by_detect() -> None:
    """Detecting on the shipped 2023-12..2024-11 data with the defaults gives exactly the shipped list."""
    frame, _ = incidents.load(incidents.street_files(months="2023-12:2024-11"))
    found = hotspots.detect(frame, window="2023-12:2024-11", force_area=incidents.load_force_area())
    shipped = yaml.safe_load(SHIPPED.read_text())["hotspots"]
    assert [h.to_scenario_dict() for h in found] == shipped
    assert np.isclose(sum(h.harm_weight for h in found), sum(h["harm_weight"] for h in shipped))


def _recount(polygons: dict[str, dict], months: tuple[str, str]) -> dict[str, tuple[int, int]]:
    """Independent of the tool's code path: ASB and SV incidents in each published polygon, from the raw
    police.uk files (pandas, pyproj, shapely only), as an analyst or the Home Office would count them.

    ``polygons``: id -> GeoJSON geometry or scenario polygon ([[lon, lat], ...] or a list of rings).
    Rows kept as the loader does: the window's months, the force's own rows, a Crime ID once, coordinates
    given; institutional snap points left out as the hotspot figures do.
    """
    import glob

    import shapely
    from shapely.geometry import MultiPolygon, Polygon, shape

    street = HERE.parent / "data" / "police_uk" / "cleveland" / "street"
    raw = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(glob.glob(f"{street}/*"))])
    raw = raw[(raw["Month"] >= months[0]) & (raw["Month"] <= months[1]) & (raw["Falls within"] == "Cleveland Police")]
    raw = raw[(raw["Crime ID"] == "") | ~raw["Crime ID"].duplicated()]
    raw = raw[(raw["Longitude"] != "") & ~raw["Location"].isin(hotspots.DEFAULT_EXCLUDE_LOCATIONS)]
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(raw["Longitude"].astype(float).to_numpy(), raw["Latitude"].astype(float).to_numpy())
    asb = (raw["Crime type"] == ASB).to_numpy()
    sv = raw["Crime type"].isin(hotspots.DEFAULT_CRIME_TYPES["sv"]).to_numpy()
    out = {}
    for hotspot_id, geometry in polygons.items():
        if isinstance(geometry, dict):
            geom = shape(geometry)
        else:
            nested = isinstance(geometry[0][0], list | tuple)
            geom = MultiPolygon([Polygon(r) for r in geometry]) if nested else Polygon(geometry)
        geom = shapely.transform(geom, lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1])))
        inside = shapely.intersects_xy(geom, x, y)
        out[hotspot_id] = (int((inside & asb).sum()), int((inside & sv).sum()))
    return out


def test_published_counts_are_a_recount_in_the_published_polygons(tmp_path: Path) -> None:
    """The analyst's check: counting the raw police.uk points in each published polygon gives the
    published figure, for kept and dropped hotspots alike. Before, kept hotspots counted their grid units
    while the polygon was their convex hull (JNT-E06000001-01: 415 published, 573 in the polygon), a
    dropped one counted the polygon (ASB-E06000004-01: 126 kept, 164 dropped), and SV-E06000004-02 read 51
    against 62 in its polygon, whose 6-decimal rounding took in a snap point 8 mm outside its cell."""
    frame, _ = incidents.load(incidents.street_files(months="2023-12:2024-11"), months="2023-12:2024-11")
    scenario = load_scenario(None).scenario
    result = hotspots.refresh(
        frame,
        window="2023-12:2024-11",
        out_dir=tmp_path / "r",
        old_hotspots=[h for h in scenario.hotspots if h.project != "sv"],  # so the SV-only ones are added
        force_area=incidents.load_force_area(),
        top_k={"asb": dict.fromkeys(hotspots.DEFAULT_TOP_K["asb"], 0), "sv": hotspots.DEFAULT_TOP_K["sv"]},
    )
    features = json.loads(result.geojson_path.read_text())["features"]
    published = {f["properties"]["hotspot_id"]: f for f in features}
    recount = _recount({k: f["geometry"] for k, f in published.items()}, ("2023-12", "2024-11"))
    for hotspot_id, feature in published.items():
        n_asb, n_sv = recount[hotspot_id]
        serves = {"asb": n_asb, "sv": n_sv, "joint": n_asb + n_sv}[feature["properties"]["project"]]
        assert feature["properties"]["incidents"] == serves, hotspot_id
        assert (feature["properties"]["incidents_asb"], feature["properties"]["incidents_sv"]) == (n_asb, n_sv)
    # the Craggs Street hotspot (SV-E06000004-02 in the shipped list; added here, so under a new id)
    craggs = next(h for h in scenario.hotspots if h.id == "SV-E06000004-02")
    (feature,) = [f for f in features if (f["properties"]["lat"], f["properties"]["lon"]) == (craggs.lat, craggs.lon)]
    assert feature["properties"]["incidents"] == 51
    diff = pd.read_csv(result.diff_path, keep_default_na=False).set_index("hotspot_id")
    assert set(diff.loc[list(published), "status"]) == {"kept", "added"}
    assert (diff["status"] == "dropped").sum() == 14  # the ASB-only hotspots, asked for none
    old = {h.id: h.polygon for h in scenario.hotspots}
    dropped = diff[diff["status"] == "dropped"]
    old_counts = _recount({i: old[i] for i in dropped.index}, ("2023-12", "2024-11"))
    assert dropped["incidents"].to_dict() == {i: old_counts[i][0] for i in dropped.index}
    assert dropped["incidents_sv"].to_dict() == {i: old_counts[i][1] for i in dropped.index}
    # the same hotspot, kept in the shipped list and dropped here, has one figure
    shipped = {h["id"]: h for h in yaml.safe_load(SHIPPED.read_text())["hotspots"]}
    assert dropped.loc["ASB-E06000004-01", "incidents"] == shipped["ASB-E06000004-01"]["incidents"] == 126
    assert dropped.loc["ASB-E06000001-01", "incidents"] == shipped["ASB-E06000001-01"]["incidents"] == 81


def test_report_counts_are_a_recount_in_the_adopted_polygons() -> None:
    """`hotspots report` on the shipped list over 2024-06..2024-11 (months the list was not counted on):
    each hotspot's ASB and SV, summed over months and crime types, equal an independent recount in its
    published polygon from the raw files; the force row holds every incident the loader kept."""
    window = "2024-06:2024-11"
    frame, _ = incidents.load(incidents.street_files(months=window), months=window)
    scenario = load_scenario(None).scenario
    detail, summary = hotspots.report_tables(
        scenario.hotspots, frame, window=window, force_area=incidents.load_force_area()
    )
    assert set(detail["month"]) == set(incidents.parse_months(window).months)
    by_hotspot = detail.groupby(["hotspot_id", "category"])["incidents"].sum().unstack(fill_value=0)
    recount = _recount({h.id: h.polygon for h in scenario.hotspots}, ("2024-06", "2024-11"))
    assert {i: (int(r["asb"]), int(r["sv"])) for i, r in by_hotspot.iterrows()} == recount
    rows = summary.set_index("hotspot_id")
    sv_only = rows.loc["SV-E06000001-01"]
    assert sv_only["asb_incidents"] == recount["SV-E06000001-01"][0] > 0  # ASB in an SV-only hotspot
    force = summary[summary["level"] == "force"].iloc[0]
    kept = frame[~frame["location"].isin(hotspots.DEFAULT_EXCLUDE_LOCATIONS)]
    assert force["total"] == len(kept) and force["left_out_institutional"] == len(frame) - len(kept)
    listed = summary[(summary["level"] == "list") & (summary["district"] == "") & (summary["project"] == "all")]
    assert 0 < listed.iloc[0]["asb_share_pct"] < 100 and 0 < listed.iloc[0]["area_share_pct"] < 1
    # a district's list rows are shares of the district, every other row of the force, and say so
    lists = summary[summary["level"] == "list"]
    assert set(lists[lists["district"] != ""]["share_of"]) == {"district"}
    assert set(summary[(summary["level"] != "list") | (summary["district"] == "")]["share_of"]) == {"force"}
    hartlepool = lists[(lists["district"] == "E06000001") & (lists["project"] == "all")].iloc[0]
    in_district = kept[kept["district"] == "E06000001"]
    share = 100 * hartlepool["asb_incidents"] / (in_district["crime_type"] == "Anti-social behaviour").sum()
    assert hartlepool["asb_share_pct"] == pytest.approx(share, abs=1e-3)


def test_lsoa_hotspots_keep_the_figures_that_chose_them(tmp_path: Path) -> None:
    """LSOA units take rows by their LSOA code and are drawn from generalised boundaries, so the drawn
    polygon does not hold them: ASB-E06000003-03 was chosen for the 104 ASB rows of its LSOA, and counting
    points in its outline published 78 (74 its own) and re-ranked the list. Its figures stay the units', and
    the header says a point count in the outline differs, where grid lists say the polygon holds exactly."""
    out = tmp_path / "lsoa"
    code = cli.main(["hotspots", "refresh", "--method", "lsoa", "--months", "2023-12:2024-11", "--out", str(out)])
    assert code == 0
    text = (out / "hotspots.yaml").read_text(encoding="utf-8")
    listed = {h["id"]: h for h in yaml.safe_load(text)["hotspots"]}
    assert listed["ASB-E06000003-03"]["incidents"] == listed["ASB-E06000003-03"]["incidents_asb"] == 104
    assert "generalised outline, so a count of points inside it differs" in text
    assert "holds exactly the units' incidents" not in text


def test_diff_against_a_hull_era_or_hand_made_list_says_what_it_cannot_compare(tmp_path: Path) -> None:
    """A list written before polygons were the units' union outlined each hotspot by its hull (up to twice
    the units' area): the same cells read as 'lost half its ground' (overlap 0.375-0.5). Its overlap_share is
    left empty, with a note. A hand-made list has no figures: previous_incidents is empty, not 0."""
    frame, _ = incidents.load(incidents.street_files(months="2023-12:2024-11"), months="2023-12:2024-11")
    shipped = load_scenario(None).scenario.hotspots
    eras = {
        "hull": [h.model_copy(update={"incidents_asb": 0, "incidents_sv": 0}) for h in shipped],
        "hand": [h.model_copy(update={"incidents": 0, "harm_asb": 0.0, "harm_sv": 0.0}) for h in shipped],
    }
    diffs = {}
    for era, old in eras.items():
        result = hotspots.refresh(
            frame,
            window="2023-12:2024-11",
            out_dir=tmp_path / era,
            old_hotspots=old,
            force_area=incidents.load_force_area(),
        )
        diffs[era] = pd.read_csv(result.diff_path, keep_default_na=False)
        notes = " ".join(result.hotspots.notes)
        assert ("overlap_share is left empty" in notes) == (era == "hull")
    kept = {era: diff[diff["status"] == "kept"] for era, diff in diffs.items()}
    assert len(kept["hull"]) == 26 and set(kept["hull"]["overlap_share"]) == {""}
    assert set(kept["hand"]["previous_incidents"]) == {""}
    assert (kept["hand"]["overlap_share"].astype(float) > 0.99).all()  # same cells: whole ground kept
