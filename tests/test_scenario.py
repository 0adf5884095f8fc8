"""Tests of scenario files (optimiser/scenario.py) and of every shipped scenario in scenarios/.

Fixtures: tests/data/scenarios/ (README there), each broken in one way and a few lines long; most extend
the shipped Cleveland or Leeds scenario by a relative path. Each test states the expected message or
figure, worked out by hand from the fixture.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from optimiser.errors import ScenarioError
from optimiser.network import travel_matrix
from optimiser.scenario import (
    DEFAULT_SCENARIO,
    SCENARIO_DIR,
    LoadedScenario,
    json_schema,
    load_scenario,
    week_is_valid,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "scenarios"
SHIPPED = sorted(SCENARIO_DIR.glob("*.yaml"))
CLEVELAND = SCENARIO_DIR / "cleveland.yaml"
LEEDS = SCENARIO_DIR / "leeds-demo.yaml"
LEEDS_EXTRACT = ROOT / "data" / "osm" / "leeds_its_example.osm.pbf"
CLEVELAND_DISTRICTS = "['E06000001', 'E06000002', 'E06000003', 'E06000004']"


@cache
def _load(path: Path) -> LoadedScenario:
    """A shipped scenario loaded once per test session (read-only use; mutate copies of ``resolved`` only)."""
    return load_scenario(path)


def _problems(path: Path | str, overrides: tuple[str, ...] = ()) -> list[str]:
    """The problems ``load_scenario`` raises, as ``file:line: field: message`` strings."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return [str(p) for p in caught.value.problems]


def _committed_weekly_gbp(loaded: LoadedScenario, week: date) -> float:
    """Committed warden cost of a week: annual cost x contract days in the week / 365, summed (GBP)."""
    days = [week + timedelta(days=i) for i in range(7)]
    return sum(
        w.annual_cost_gbp * sum(1 for d in days if w.contract_start <= d <= w.contract_end) / 365
        for w in loaded.scenario.warden_list()
    )


# --------------------------------------------------------------------------------------------------
# every shipped scenario
# --------------------------------------------------------------------------------------------------


def test_the_shipped_scenarios_are_the_expected_five() -> None:
    """scenarios/ holds the default and its variants plus the Leeds demo (a new file must be added here too)."""
    assert [p.name for p in SHIPPED] == [
        "cleveland-contracts-end.yaml",
        "cleveland-cut20.yaml",
        "cleveland-sv-only.yaml",
        "cleveland.yaml",
        "leeds-demo.yaml",
    ]
    assert DEFAULT_SCENARIO == CLEVELAND


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_scenario_validates(path: Path) -> None:
    """Each file loads with no problem; its name is its file stem (plans go to plans/<name>-<week>/)."""
    loaded = load_scenario(path)
    scenario = loaded.scenario
    assert scenario.name == path.stem
    assert week_is_valid(scenario, scenario.default_week_start) is None
    assert scenario.hotspots, "a scenario with no hotspots plans nothing"
    for project in scenario.active_projects:
        assert scenario.weekly_budget_gbp(project, scenario.default_week_start) > 0


def test_resolved_yaml_revalidates_to_the_same_scenario(tmp_path: Path) -> None:
    """A plan's scenario.resolved.yaml is self-contained: loaded from anywhere, it gives the same Scenario."""
    for path in SHIPPED:
        loaded = _load(path)
        copy = tmp_path / f"{path.stem}.resolved.yaml"
        copy.write_text(loaded.resolved_yaml(), encoding="utf-8")
        again = load_scenario(copy)
        assert again.scenario == loaded.scenario, path.name
        assert again.sha256 == loaded.sha256, path.name


# --------------------------------------------------------------------------------------------------
# the Cleveland variants
# --------------------------------------------------------------------------------------------------


def test_cut20_cuts_both_allocations_by_a_fifth_and_makes_the_default_week_unaffordable() -> None:
    """ASB £988,500 x 0.8 = £790,800; SV £431,923 x 0.8 = £345,538.40; the rest is Cleveland's.

    Week of 2024-12-02: ASB budget £790,800 x 7/365 = £15,166.03 < committed £966,999.98 x 7/365 =
    £18,545.21 (16 wardens at £44,000, 6 at £43,833.33, all under contract all week).
    """
    base = _load(CLEVELAND).scenario
    cut = _load(SCENARIO_DIR / "cleveland-cut20.yaml")
    scenario = cut.scenario
    assert scenario.projects.asb.allocation_gbp == 790_800
    assert scenario.projects.sv.allocation_gbp == pytest.approx(345_538.40, abs=1e-9)
    assert scenario.projects.asb.allocation_gbp == pytest.approx(0.8 * base.projects.asb.allocation_gbp)
    assert scenario.projects.sv.allocation_gbp == pytest.approx(0.8 * base.projects.sv.allocation_gbp)
    # mappings merge: everything else is inherited
    assert scenario.projects.asb.roles == base.projects.asb.roles
    assert scenario.projects.sv.windows == base.projects.sv.windows
    assert scenario.staff == base.staff and scenario.hotspots == base.hotspots
    week = scenario.default_week_start
    assert week == date(2024, 12, 2)
    assert round(scenario.weekly_budget_gbp("asb", week), 2) == 15_166.03
    assert round(_committed_weekly_gbp(cut, week), 2) == 18_545.21


def test_contracts_end_splits_each_district_in_half() -> None:
    """22 wardens keep Cleveland's ids; 11 end 2024-11-30 (Middlesbrough 4, Stockton 3, Hartlepool 2, Redcar 2).

    Apart from the end date, each warden equals its Cleveland namesake (district, base, hours, cost, leave).
    """
    base = {w.id: w for w in _load(CLEVELAND).scenario.warden_list()}
    loaded = _load(SCENARIO_DIR / "cleveland-contracts-end.yaml")
    wardens = loaded.scenario.warden_list()
    assert len(wardens) == 22 and {w.id for w in wardens} == set(base)
    ending = [w for w in wardens if w.contract_end == date(2024, 11, 30)]
    staying = [w for w in wardens if w.contract_end == date(2025, 3, 31)]
    assert len(ending) == 11 and len(staying) == 11
    by_district = {d: sum(1 for w in ending if w.district == d) for d in sorted({w.district for w in wardens})}
    assert by_district == {"E06000001": 2, "E06000002": 4, "E06000003": 2, "E06000004": 3}
    for warden in wardens:
        namesake = base[warden.id]
        assert (warden.district, warden.base, warden.contract_start, warden.contracted_hours_per_week) == (
            namesake.district,
            namesake.base,
            namesake.contract_start,
            namesake.contracted_hours_per_week,
        )
        assert (warden.annual_cost_gbp, warden.leave) == (namesake.annual_cost_gbp, namesake.leave)
    assert loaded.scenario.default_week_start == date(2024, 12, 2)
    # the week's committed cost is the 11 wardens still in post: 8 x £44,000 + 3 x £43,833.33, x 7/365
    expected = round((8 * 44_000 + 3 * 43_833.33) * 7 / 365, 2)
    assert round(_committed_weekly_gbp(loaded, date(2024, 12, 2)), 2) == expected
    assert loaded.scenario.staff.officers == _load(CLEVELAND).scenario.staff.officers


def test_sv_only_plans_only_sv_with_a_short_time_limit() -> None:
    """active_projects [sv], 20 s; hotspots, staff and money as Cleveland's."""
    base = _load(CLEVELAND).scenario
    scenario = _load(SCENARIO_DIR / "cleveland-sv-only.yaml").scenario
    assert scenario.active_projects == ["sv"]
    assert scenario.solver.time_limit_seconds == 40
    assert scenario.solver.seed == base.solver.seed and scenario.solver.workers == base.solver.workers
    assert scenario.hotspots == base.hotspots and scenario.staff == base.staff
    assert scenario.projects == base.projects


# --------------------------------------------------------------------------------------------------
# the Leeds demo
# --------------------------------------------------------------------------------------------------


def test_leeds_demo_is_a_separate_small_illustrative_scenario() -> None:
    """Not an extension of Cleveland; one district (E08000035 Leeds); a handful of hotspots and staff."""
    raw = yaml.safe_load(LEEDS.read_text(encoding="utf-8"))
    assert "extends" not in raw
    loaded = _load(LEEDS)
    scenario = loaded.scenario
    assert "illustrative" in scenario.description.lower()
    assert dict(scenario.districts) == {"E08000035": scenario.districts["E08000035"]}
    assert scenario.districts["E08000035"].name == "Leeds"
    assert 4 <= len(scenario.hotspots) <= 6
    assert {h.district for h in scenario.hotspots} == {"E08000035"}
    kinds = sorted(b.kind for b in scenario.bases)
    assert kinds == ["police_station", "warden_base"]
    assert 2 <= len(scenario.warden_list()) <= 3
    assert len(scenario.officer_list()) == 4
    assert 0 <= len(scenario.pcso_list()) <= 2
    assert all(t.length_minutes() <= 6 * 60 for t in scenario.shift_templates), "short shifts keep the demo quick"
    week = scenario.default_week_start
    assert scenario.period.start <= week <= scenario.period.end - timedelta(days=6)
    assert scenario.weekly_budget_gbp("asb", week) >= _committed_weekly_gbp(loaded, week)


def test_leeds_demo_walks_the_real_extract_and_every_point_snaps_close(tmp_path: Path) -> None:
    """Network travel on the shipped extract; every hotspot and base inside its bbox and within 300 m of a node.

    The extract's nodes span lat 53.8047-53.8124, lon -1.5688 to -1.5481 (data/osm/SOURCES.md). Everyone
    walks (its drivable graph does not reach the western streets).
    """
    scenario = _load(LEEDS).scenario
    travel = scenario.travel
    assert travel.model == "network"
    assert travel.extract is not None and Path(travel.extract) == LEEDS_EXTRACT.resolve()
    assert set(travel.profiles.values()) == {"walk"}
    points = [(h.id, h.lat, h.lon) for h in scenario.hotspots] + [(b.id, b.lat, b.lon) for b in scenario.bases]
    for pid, lat, lon in points:
        assert 53.8047 <= lat <= 53.8124 and -1.5688 <= lon <= -1.5481, pid
    matrix = travel_matrix(points, travel=travel, profile="walk", cache_dir=tmp_path)
    assert matrix.model == "network"
    assert all(distance <= 300 for distance in matrix.snap_distances_m.values()), matrix.snap_distances_m
    # real streets: off the diagonal, walking times are positive and the farthest pair is minutes apart
    seconds = matrix.seconds
    off = [int(seconds[i][j]) for i in range(len(points)) for j in range(len(points)) if i != j]
    assert min(off) > 0 and max(off) > 5 * 60


# --------------------------------------------------------------------------------------------------
# broken scenarios: one fixture per kind, exact message with file, line and field path
# --------------------------------------------------------------------------------------------------

BROKEN: list[tuple[str, str]] = [
    (
        "unknown_key.yaml",
        "{f}:6: solver.time_limt_seconds: unknown field; check the spelling (patrol schema lists every field)",
    ),
    ("negative_budget.yaml", "{f}:7: projects.asb.allocation_gbp: Input should be greater than or equal to 0; got -5"),
    (
        "unknown_district.yaml",
        f"{{f}}:9: staff.wardens[0].district: unknown district 'E06000099'; known: {CLEVELAND_DISTRICTS}",
    ),
    ("contract_order.yaml", "{f}:7: staff.wardens[0]: contract_end 2024-05-01 is before contract_start 2025-03-31"),
    ("broken_yaml.yaml", "{f}:5: broken YAML: expected ',' or '}}', but got ':'; fix the syntax at that line"),
    ("not_a_mapping.yaml", "{f}:1: a scenario must be a YAML mapping of fields (name: ..., period: ...)"),
    ("not_monday.yaml", "{f}:5: default_week_start: 2024-12-03 is a Tuesday; a week starts on a Monday"),
    ("missing_base.yaml", "{f}:4: extends: base scenario {d}/no_such_base.yaml not found"),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_scenario_gives_exactly_one_located_problem(name: str, expected: str) -> None:
    """Each fixture is broken in one way: exactly one problem, naming file, line, field path and the fix."""
    path = FIXTURES / name
    assert _problems(path) == [expected.format(f=path, d=FIXTURES)]


def test_a_missing_file_is_one_problem_without_a_line() -> None:
    """A scenario path that does not exist: one problem naming the path as given."""
    assert _problems("no/such/scenario.yaml") == [
        "no/such/scenario.yaml: file not found; check the path (one on the command line is from the current "
        "directory, one "
        "inside a YAML file from that file's folder)"
    ]


def test_a_folder_is_not_a_scenario() -> None:
    """Passing a folder: one problem saying so."""
    assert _problems(FIXTURES) == [f"{FIXTURES}: is a folder, not a scenario YAML file"]


def test_circular_extends_names_the_chain() -> None:
    """a extends b extends a: one problem on a's `extends` line (3) naming the whole chain."""
    a, b = FIXTURES / "circular_a.yaml", FIXTURES / "circular_b.yaml"
    assert _problems(a) == [f"{a}:3: extends: circular extends: {a} -> {b} -> {a}"]


def test_several_schema_problems_are_all_listed_in_one_run() -> None:
    """The seven problems of several_problems.yaml, each with its line (see the fixture's header)."""
    f = FIXTURES / "several_problems.yaml"
    assert sorted(_problems(f), key=lambda s: int(s.split(":")[1])) == [
        f"{f}:6: name: String should match pattern '^[A-Za-z0-9_.-]+$'; got 'has spaces'",
        f"{f}:7: colour: unknown field; check the spelling (patrol schema lists every field)",
        f"{f}:10: projects.sv.allocation_gbp: Input should be greater than or equal to 0; got -1",
        f"{f}:11: projects.sv.dosage.dwell_min_minutes: Input should be greater than or equal to 10; got 5",
        f"{f}:13: solver.workers: Input should be greater than or equal to 1; got 0",
        f"{f}:14: solver.time_limit_seconds: Input should be a valid number, unable to parse string as a number; "
        "got 'fast'",
        f"{f}:16: shift_templates[0].start: expected a time as HH:MM (24-hour clock, e.g. '14:00'), got '25:00'",
    ]


def test_several_cross_reference_problems_are_all_listed_in_one_run() -> None:
    """Layer 2: an unknown base, an unknown station and a base in an unknown district, each with its line."""
    f = FIXTURES / "several_cross_references.yaml"
    assert sorted(_problems(f), key=lambda s: int(s.split(":")[1])) == [
        f"{f}:10: staff.wardens[0].base: unknown base 'BASE-NOWHERE'; known: ['BASE-LDS', 'STN-LDS']",
        f"{f}:16: staff.officers[0].station: unknown station 'STN-NOWHERE'; known: ['BASE-LDS', 'STN-LDS']",
        f"{f}:20: bases[1].district: unknown district 'E06000002'; known: ['E08000035']",
    ]


def test_a_problem_in_the_base_file_is_located_in_the_base_file(tmp_path: Path) -> None:
    """A child that changes nothing broken inherits a base's bad value: the problem names the base's file and line."""
    base = tmp_path / "base.yaml"
    text = (LEEDS.read_text(encoding="utf-8")).replace("snap_max_m: 300", "snap_max_m: -300")
    base.write_text(text.replace("../data/osm/", str(ROOT / "data" / "osm") + "/"), encoding="utf-8")
    line = 1 + text.splitlines().index("  snap_max_m: -300")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\n", encoding="utf-8")
    assert _problems(child) == [f"{base}:{line}: travel.snap_max_m: Input should be greater than 0; got -300"]


def test_a_problem_in_a_hotspots_file_names_that_file_and_line() -> None:
    """bad_hotspots.yaml line 3 holds a hotspot in district E06000099: the problem must point there."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(FIXTURES / "bad_hotspots_file.yaml")
    problems = caught.value.problems
    assert len(problems) == 1
    problem = problems[0]
    assert Path(problem.file).resolve() == (FIXTURES / "hotspots" / "bad_hotspots.yaml").resolve()
    assert problem.line == 3
    assert problem.field.endswith(".district") and "E06000099" in problem.message


# --------------------------------------------------------------------------------------------------
# extends and --set: precedence, recording, relative paths
# --------------------------------------------------------------------------------------------------


def test_precedence_schema_default_then_base_then_file_then_set() -> None:
    """precedence.yaml extends cleveland-sv-only.yaml extends cleveland.yaml (see the fixture's header)."""
    solver = load_scenario(FIXTURES / "precedence.yaml").scenario.solver
    assert solver.visit_grid_minutes == 15  # schema default
    assert solver.workers == 2  # cleveland.yaml (base of the base)
    assert solver.time_limit_seconds == 40  # cleveland-sv-only.yaml overrides cleveland's 60
    assert solver.seed == 7  # this file overrides cleveland's 0
    overridden = load_scenario(
        FIXTURES / "precedence.yaml",
        ["solver.seed=9", "solver.time_limit_seconds=3", "solver.visit_grid_minutes=30", "solver.workers=1"],
    ).scenario.solver
    assert (overridden.seed, overridden.time_limit_seconds, overridden.visit_grid_minutes, overridden.workers) == (
        9,
        3,
        30,
        1,
    )


def test_a_later_set_beats_an_earlier_one_and_the_overrides_are_recorded() -> None:
    """Overrides apply in order; the loaded scenario records them all, and its hash changes with them."""
    plain = _load(LEEDS)
    loaded = load_scenario(LEEDS, ["solver.seed=1", "solver.seed=5", "projects.sv.weekly_budget_gbp=700"])
    assert loaded.scenario.solver.seed == 5
    assert loaded.overrides == ("solver.seed=1", "solver.seed=5", "projects.sv.weekly_budget_gbp=700")
    assert plain.overrides == ()
    assert loaded.sha256 != plain.sha256
    resolved = yaml.safe_load(loaded.resolved_yaml())
    assert resolved["solver"]["seed"] == 5 and resolved["projects"]["sv"]["weekly_budget_gbp"] == 700


def test_set_reaches_into_lists_by_index() -> None:
    """``staff.wardens.0.count=3`` grows Leeds' warden pool from 2 to 3 (ids W-LDS-01..03)."""
    scenario = load_scenario(LEEDS, ["staff.wardens.0.count=3"]).scenario
    assert [w.id for w in scenario.warden_list()] == ["W-LDS-01", "W-LDS-02", "W-LDS-03"]


def test_lists_replace_wholesale_and_mappings_merge() -> None:
    """cut20 changes one field of each project (merged); contracts-end re-lists wardens (replaced, not appended)."""
    cleveland = _load(CLEVELAND).scenario
    contracts_end = _load(SCENARIO_DIR / "cleveland-contracts-end.yaml").scenario
    assert len(contracts_end.staff.wardens) == 16 and len(cleveland.staff.wardens) == 5
    assert len(contracts_end.warden_list()) == len(cleveland.warden_list()) == 22


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("solver.workers", "--set 'solver.workers': expected key.path=value, e.g. projects.sv.weekly_budget_gbp=9000"),
        ("=3", "--set '=3': the key path is empty"),
        ("staff.wardens.9.count=3", "--set staff.wardens.9.count=3: staff.wardens.9 is not an index of that list"),
        ("name.first=x", "--set name.first=x: name is a value, not a section"),
    ],
)
def test_a_malformed_set_is_a_clear_problem(override: str, expected: str) -> None:
    """Each malformed override: one problem quoting it and saying what is wrong."""
    assert _problems(LEEDS, (override,)) == [f"<input>: {expected}"]


def test_an_invalid_set_value_is_located_at_the_set() -> None:
    """A value that fails the schema names the --set that wrote it, in place of file and line."""
    assert _problems(LEEDS, ("solver.workers=0",)) == [
        "--set solver.workers=0: solver.workers: Input should be greater than or equal to 1; got 0"
    ]
    assert _problems(LEEDS, ("solver.colour=red",)) == [
        "--set solver.colour=red: solver.colour: unknown field; check the spelling (patrol schema lists every field)"
    ]


def test_paths_resolve_relative_to_the_yaml_that_names_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """relative_paths.yaml, loaded from an unrelated current directory.

    travel.extract is written in scenarios/leeds-demo.yaml as ../data/osm/..., so it is data/osm/...;
    hotspots_file is written in the fixture as hotspots/extra_hotspots.yaml, so it is read from the
    fixture's folder: Leeds' 5 inline hotspots plus its 1 = 6.
    """
    monkeypatch.chdir(tmp_path)
    loaded = load_scenario(FIXTURES / "relative_paths.yaml")
    scenario = loaded.scenario
    assert scenario.travel.extract is not None and Path(scenario.travel.extract) == LEEDS_EXTRACT.resolve()
    assert [h.id for h in scenario.hotspots][-1] == "LDS-EXTRA-01" and len(scenario.hotspots) == 6
    # the resolved record embeds the hotspots and holds absolute paths, so it is valid anywhere
    assert loaded.resolved["hotspots_file"] is None
    assert Path(loaded.resolved["travel"]["extract"]).is_absolute()


def test_the_default_scenario_loads_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_scenario(None)`` is the embedded Cleveland default, whatever the current directory."""
    monkeypatch.chdir(tmp_path)
    loaded = load_scenario(None)
    assert loaded.path == CLEVELAND and loaded.scenario.name == "cleveland"
    assert len(loaded.scenario.hotspots) == 26  # ASB 14, SV 6, joint 6 (hotspots file header)


# --------------------------------------------------------------------------------------------------
# pools, weeks and budgets
# --------------------------------------------------------------------------------------------------


def test_pools_expand_to_numbered_ids_with_rotated_duty() -> None:
    """Cleveland: PC-MBRO-01..10, PC-STK-01..06, PC-HPL-01..04, PC-RCC-01..04; PCSO-MBRO-01..04, PCSO-STK-01..04.

    Duty rotates by ``i x duty_rotation_days``: PC-MBRO-02 (rotation 1) works tue-fri; PC-HPL-02 (rotation 2)
    works wed-sat; PC-MBRO-01 keeps mon-thu.
    """
    scenario = _load(CLEVELAND).scenario
    officers = {o.id: o for o in scenario.officer_list()}
    assert list(officers)[:3] == ["PC-MBRO-01", "PC-MBRO-02", "PC-MBRO-03"]
    assert sorted(officers) == sorted(
        [f"PC-MBRO-{i:02d}" for i in range(1, 11)]
        + [f"PC-STK-{i:02d}" for i in range(1, 7)]
        + [f"PC-HPL-{i:02d}" for i in range(1, 5)]
        + [f"PC-RCC-{i:02d}" for i in range(1, 5)]
    )
    assert [d.day for d in officers["PC-MBRO-01"].duty] == ["mon", "tue", "wed", "thu"]
    assert [d.day for d in officers["PC-MBRO-02"].duty] == ["tue", "wed", "thu", "fri"]
    assert [d.day for d in officers["PC-HPL-02"].duty] == ["wed", "thu", "fri", "sat"]
    assert [p.id for p in scenario.pcso_list()] == [f"PCSO-MBRO-{i:02d}" for i in range(1, 5)] + [
        f"PCSO-STK-{i:02d}" for i in range(1, 5)
    ]
    wardens = [w.id for w in scenario.warden_list()]
    assert wardens[:2] == ["W-MBRO-01", "W-MBRO-02"] and "W-HPL-04" in wardens and len(wardens) == 22


def test_a_pool_of_a_hundred_gets_three_digit_ids() -> None:
    """count 100 -> PC-LDS-001 .. PC-LDS-100 (ids sort in order)."""
    ids = [o.id for o in load_scenario(LEEDS, ["staff.officers.0.count=100"]).scenario.officer_list()]
    assert ids[0] == "PC-LDS-001" and ids[-1] == "PC-LDS-100" and ids == sorted(ids)


def test_weekly_budget_is_pro_rata_by_days_inside_the_period() -> None:
    """Cleveland, period 2024-04-01..2025-03-31 (365 days).

    A whole week: £988,500 x 7/365 = £18,957.53. The last week, Monday 2025-03-31, has one day inside:
    £988,500 x 1/365 = £2,708.22 (SV £431,923 / 365 = £1,183.35). An explicit weekly budget wins.
    """
    scenario = _load(CLEVELAND).scenario
    assert round(scenario.weekly_budget_gbp("asb", date(2024, 12, 2)), 2) == 18_957.53
    assert round(scenario.weekly_budget_gbp("asb", date(2025, 3, 31)), 2) == 2_708.22
    assert round(scenario.weekly_budget_gbp("sv", date(2025, 3, 31)), 2) == 1_183.35
    assert week_is_valid(scenario, date(2025, 3, 31)) is None
    fixed = load_scenario(CLEVELAND, ["projects.sv.weekly_budget_gbp=9000"]).scenario
    assert fixed.weekly_budget_gbp("sv", date(2025, 3, 31)) == 9000
    assert fixed.weekly_budget_gbp("sv", date(2024, 12, 2)) == 9000


def test_weekly_budget_when_the_period_ends_midweek() -> None:
    """Period 2024-04-01..2025-03-26 (360 days, ends on a Wednesday): week 2025-03-24 has 3 days inside.

    ASB: £988,500 x 3/360 = £8,237.50 exactly.
    """
    scenario = load_scenario(CLEVELAND, ["period.end=2025-03-26"]).scenario
    assert scenario.period.days == 360
    assert scenario.weekly_budget_gbp("asb", date(2025, 3, 24)) == pytest.approx(8_237.50, abs=1e-9)


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        (date(2024, 12, 2), None),
        (date(2024, 4, 1), None),
        (date(2024, 12, 3), "--week 2024-12-03 is a Tuesday; give a Monday (a week runs Monday to Sunday)"),
        (
            date(2025, 4, 7),
            "--week 2025-04-07 is outside the grant period 2024-04-01..2025-03-31; give a Monday inside it",
        ),
        (
            date(2024, 3, 25),
            "--week 2024-03-25 is outside the grant period 2024-04-01..2025-03-31; give a Monday inside it",
        ),
    ],
)
def test_week_is_valid(week: date, expected: str | None) -> None:
    """A week is a Monday inside the grant period (the first and the last Monday of Cleveland's included)."""
    assert week_is_valid(_load(CLEVELAND).scenario, week) == expected


# --------------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------------


def _schema_errors(value: Any) -> list[str]:
    """Every way ``value`` breaks ``patrol schema``, checked by the jsonschema library (draft 2020-12, formats)."""
    schema = json.loads(json.dumps(json_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'.'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in checker.iter_errors(value)]


def _as_written(path: Path) -> Any:
    """A scenario file as an editor sees it: the YAML as written, dates as ISO strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_json_schema_is_a_valid_schema_and_names_its_dialect() -> None:
    """The schema round-trips through JSON, is itself valid draft 2020-12, allows `extends` and forbids unknown
    keys in every object; a file with `extends:` is checked against the same shapes with nothing required."""
    schema = json.loads(json.dumps(json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    for branch in ("then", "else"):
        assert schema[branch]["type"] == "object" and schema[branch]["additionalProperties"] is False
        assert schema[branch]["properties"]["extends"]["type"] == "string"
    assert "required" in schema["else"] and "required" not in json.dumps(schema["then"])
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name
    refs = re.findall(r'"\$ref": "#/\$defs/([A-Za-z_]+)"', json.dumps(schema))
    assert refs and set(refs) <= set(schema["$defs"])


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_resolved_scenario_satisfies_the_json_schema(path: Path) -> None:
    """The resolved dict (after extends and --set) of each shipped scenario passes the schema."""
    assert _schema_errors(json.loads(json.dumps(_load(path).resolved))) == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_file_as_written_satisfies_the_json_schema(path: Path) -> None:
    """What an editor sees, child files (`extends:`) included: they give only what they change (every child
    file was once marked invalid for the fields it inherits)."""
    assert _schema_errors(_as_written(path)) == []


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update(colour="blue"), "('colour' was unexpected)"),
        (lambda d: d["projects"]["asb"].update(allocation_gbp=-5), "-5 is less than the minimum of 0"),
        (lambda d: d["solver"].update(workers="two"), "'two' is not of type 'integer'"),
        (lambda d: d["projects"]["sv"].update(roles=["warden", "chief"]), "'chief' is not one of"),
        (lambda d: d.pop("period"), "'period' is a required property"),
        (lambda d: d["hotspots"][0].update(polygon=[[1.0, 2.0, 3.0]] * 3), "hotspots.0.polygon: [[1.0, 2.0, 3.0]"),
        (lambda d: d.update(default_week_start="2024-13-01"), "is not a 'date'"),
    ],
)
def test_the_schema_rejects_broken_scenarios(mutate: Any, fragment: str) -> None:
    """The schema is not vacuous: each mutation of Leeds' resolved dict is reported."""
    data = json.loads(json.dumps(_load(LEEDS).resolved))
    mutate(data)
    errors = _schema_errors(data)
    assert any(fragment in e for e in errors), errors


def test_the_schema_checks_a_child_file_for_typos_but_not_for_what_it_inherits() -> None:
    """An `extends:` file needs no `period` (its base gives it) but a misspelt or mistyped field is still caught."""
    child = _as_written(SCENARIO_DIR / "cleveland-cut20.yaml")
    assert "period" not in child and _schema_errors(child) == []
    child["solver"] = {"time_limt_seconds": 30}
    child["projects"]["asb"]["allocation_gbp"] = "lots"
    errors = _schema_errors(child)
    assert any("('time_limt_seconds' was unexpected)" in e for e in errors), errors
    assert any("'lots' is not of type 'number'" in e for e in errors), errors


def test_a_path_given_with_set_is_from_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--set police_uk_dir=street` from tmp_path: absolute in the resolved scenario, so a plan folder's copy
    loads to the same scenario (and the same sha256) from anywhere."""
    monkeypatch.chdir(tmp_path)
    loaded = load_scenario(None, ["police_uk_dir=street"])
    assert loaded.scenario.police_uk_dir == tmp_path / "street"
    copy = tmp_path / "copy.yaml"
    copy.write_text(loaded.resolved_yaml(), encoding="utf-8")
    monkeypatch.chdir(Path(__file__).parent)
    assert load_scenario(copy).sha256 == loaded.sha256


def test_field_errors_do_not_hide_cross_references(tmp_path: Path) -> None:
    """All problems in one run: a field error elsewhere still lets the repeated id and unknown district show."""
    path = tmp_path / "both.yaml"
    path.write_text(
        f"extends: {SCENARIO_DIR / 'leeds-demo.yaml'}\n"
        "solver: {time_limit_seconds: -5}\n"
        "hotspots:\n"
        "  - {id: H1, name: a, district: NOWHERE, project: asb, lat: 53.8, lon: -1.5, radius_m: 90, harm_weight: 1}\n"
        "  - {id: H1, name: b, district: NOWHERE, project: asb, lat: 53.8, lon: -1.5, radius_m: 90, harm_weight: 1}\n",
        encoding="utf-8",
    )
    problems = _problems(path)
    assert any("solver.time_limit_seconds: Input should be greater than 0" in p for p in problems)
    assert f"{path}:5: hotspots[1].id: duplicate hotspot id 'H1'" in problems
    assert any(p.startswith(f"{path}:4: hotspots[0].district: unknown district 'NOWHERE'") for p in problems)


@pytest.mark.parametrize(
    ("body", "absent"),
    [
        (
            "hotspots:\n  - {id: H1, name: a, district: [D1], project: asb, lat: 53.8, lon: -1.5, radius_m: 90}\n",
            "unknown",
        ),
        ("hotspots:\n  - {id: [H1], name: a, district: X, project: asb, lat: 53.8, lon: -1.5, radius_m: 90}\n", "dupl"),
        ("bases: {B1: {kind: warden_base}}\n", "unknown base"),
        (
            "shift_templates:\n  - {roles: [warden], start: '10:00', end: '14:00'}\n"
            "  - {roles: [warden], start: '14:00', end: '18:00'}\n",
            "duplicate shift template",
        ),
    ],
)
def test_odd_yaml_shapes_get_field_errors_not_tracebacks_or_made_up_problems(
    tmp_path: Path, body: str, absent: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(f"extends: {SCENARIO_DIR / 'leeds-demo.yaml'}\n{body}", encoding="utf-8")
    problems = _problems(path)
    assert problems and not any(absent in p for p in problems), problems


def test_crime_types_are_police_uk_names_each_feeding_one_project() -> None:
    """A misspelt type would match no incident (a project with no hotspots); a type in both projects
    would be counted for one of them only. Both are scenario errors naming the field."""
    (misspelt,) = _problems(SCENARIO_DIR / "cleveland.yaml", ("projects.asb.crime_types=[Anti-social behavior]",))
    assert "projects.asb.crime_types: unknown police.uk crime type(s) ['Anti-social behavior']" in misspelt
    shared = "projects.asb.crime_types=[Anti-social behaviour, Robbery]"
    (both,) = _problems(SCENARIO_DIR / "cleveland.yaml", (shared,))
    assert "crime type(s) ['Robbery'] are listed for both asb and sv" in both


def test_hotspots_per_district_names_known_districts() -> None:
    (problem,) = _problems(SCENARIO_DIR / "cleveland.yaml", ("projects.sv.hotspots_per_district={E06000099: 2}",))
    assert "projects.sv.hotspots_per_district.E06000099: unknown district 'E06000099'" in problem


def test_a_hotspots_files_window_is_its_own_and_checked_at_its_line(tmp_path: Path) -> None:
    """The file's months are what its hotspots came from: they win over a hotspots_window in the scenario,
    and a malformed one is named at the file's line."""
    shipped = SCENARIO_DIR / "hotspots" / "cleveland-2023-12_2024-11.yaml"
    loaded = load_scenario(SCENARIO_DIR / "cleveland.yaml", ("hotspots_window=2020-01:2020-12",))
    assert loaded.scenario.hotspots_window == "2023-12:2024-11"
    broken = tmp_path / "hotspots.yaml"
    broken.write_text(shipped.read_text(encoding="utf-8").replace("window: 2023-12:2024-11", "window: last year"))
    (problem,) = _problems(SCENARIO_DIR / "cleveland.yaml", (f"hotspots_file={broken}",))
    assert problem.startswith(f"{broken}:") and "window: must be YYYY-MM:YYYY-MM" in problem
    broken.write_text(shipped.read_text(encoding="utf-8").replace("window: 2023-12:2024-11", "window: 2024-11:2023-12"))
    (reversed_months,) = _problems(SCENARIO_DIR / "cleveland.yaml", (f"hotspots_file={broken}",))
    assert "first month to last" in reversed_months


def test_an_impossible_date_and_a_key_given_twice_are_named_at_their_lines(tmp_path: Path) -> None:
    """YAML builds dates while reading (2024-11-31 was a traceback) and keeps the last of two equal keys
    (a pasted line changed an allocation unseen): both are scenario errors at their line."""
    leeds = SCENARIO_DIR / "leeds-demo.yaml"
    path = tmp_path / "dates.yaml"
    path.write_text(f"extends: {leeds}\nname: x\ndefault_week_start: 2024-11-31\n", encoding="utf-8")
    (problem,) = _problems(path)
    assert f"{path}:3: '2024-11-31' is not a date" in problem and "YYYY-MM-DD" in problem
    (override,) = _problems(leeds, ("period.end=2025-13-01",))
    assert "'2025-13-01' is not a date" in override
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        f"extends: {leeds}\nname: x\nprojects:\n  asb:\n    allocation_gbp: 60000\n    allocation_gbp: 6000\n",
        encoding="utf-8",
    )
    (repeated,) = _problems(twice)
    assert f"{twice}:6: allocation_gbp: given twice (also at line 5); keep one" in repeated
    listed = tmp_path / "listed.yaml"
    listed.write_text(f"extends: {leeds}\nname: x\n[a, b]: 1\n", encoding="utf-8")  # a list as a key
    (unhashable,) = _problems(listed)
    assert f"{listed}:3: broken YAML: found unhashable key" in unhashable


def test_a_hotspot_point_with_lat_and_lon_swapped_is_named(tmp_path: Path) -> None:
    """Swapped, the point lay in the Indian Ocean, validated, and the hotspot got no visits unseen: its own
    polygon names it; a point 300 km from every base (no polygon) is named too."""
    shipped = (SCENARIO_DIR / "hotspots" / "cleveland-2023-12_2024-11.yaml").read_text(encoding="utf-8")
    swapped = shipped.replace("  lat: 54.569879\n  lon: -1.248347\n", "  lat: -1.248347\n  lon: 54.569879\n")
    assert swapped != shipped
    path = tmp_path / "hotspots.yaml"
    path.write_text(swapped, encoding="utf-8")
    (problem,) = _problems(SCENARIO_DIR / "cleveland.yaml", (f"hotspots_file={path}",))
    line = swapped.splitlines().index("  lat: -1.248347") + 1  # the hotspot's lat line
    assert f"{path}:{line}: hotspots[" in problem and "outside the hotspot's own polygon" in problem
    assert "lat and lon swapped?" in problem
    far = "hotspots.0.lat=51.5"
    (distant,) = _problems(SCENARIO_DIR / "leeds-demo.yaml", (far,))
    assert "km from the nearest base" in distant


def test_a_child_that_replaces_the_bases_is_named_in_the_error(tmp_path: Path) -> None:
    """Adding one base under extends: replaces the list; the staff's bases in the base file are then unknown,
    and the error says where the bases came from (it once pointed into the base file alone)."""
    child = tmp_path / "addbase.yaml"
    child.write_text(
        f"extends: {SCENARIO_DIR / 'leeds-demo.yaml'}\nname: addbase\nbases:\n"
        "  - {id: BASE-HIL, name: New base, kind: warden_base, district: E08000035, lat: 53.8064, lon: -1.5530}\n",
        encoding="utf-8",
    )
    problems = _problems(child)
    assert any("unknown base 'BASE-LDS'" in p and f"the bases come from {child}" in p for p in problems)


@pytest.mark.parametrize("gap", [0, 29])
def test_a_revisit_gap_under_half_an_hour_is_refused_with_the_reason(gap: int) -> None:
    """Plans are made in half-hour slots (one visit to a hotspot starting in any 30 minutes), so a shorter
    gap would let real plans out-score the solver's bound: refused, saying why, not planned wrongly."""
    problems = _problems(CLEVELAND, (f"projects.asb.dosage.revisit_gap_minutes={gap}",))
    assert len(problems) == 1
    assert "projects.asb.dosage.revisit_gap_minutes" in problems[0]
    assert f"{gap} minutes is too short" in problems[0] and "at least 30" in problems[0]
    assert load_scenario(CLEVELAND, ("projects.asb.dosage.revisit_gap_minutes=30",)).scenario


def test_a_set_with_a_list_index_is_blamed_on_the_set_not_a_line_of_the_file() -> None:
    """`--set projects.asb.windows.0.start=25:00` once pointed at cleveland.yaml's line (which says 14:00)."""
    assert _problems(CLEVELAND, ("projects.asb.windows.0.start=25:00",)) == [
        "--set projects.asb.windows.0.start=25:00: projects.asb.windows[0].start: expected a time as HH:MM "
        "(24-hour clock, e.g. '14:00'), got '25:00'"
    ]
    assert _problems(CLEVELAND, ("staff.wardens.4.contracted_hours_per_week=abc",)) == [
        "--set staff.wardens.4.contracted_hours_per_week=abc: staff.wardens[4].contracted_hours_per_week: Input "
        "should be a valid number, unable to parse string as a number; got 'abc'"
    ]


def test_leave_the_plan_can_never_see_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A leave day outside the grant period (a year typed wrong) or a warden's contract would leave the person
    rostered on the day meant, silently: a warning with the file's line. A warning, not an error: a what-if
    that shortens contracts is legitimate; officers' leave a day outside the period can shape the edge weeks."""
    caplog.set_level("WARNING", logger="optimiser.scenario")
    load_scenario(
        CLEVELAND,
        (
            "staff.wardens.0.leave=[2025-12-03]",
            "staff.wardens.1.contract_end=2024-10-31",
            "staff.wardens.1.leave=[2024-11-04]",
            "staff.officers.0.leave=[2023-12-03, 2024-03-31]",
        ),
    )
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 3, warnings
    assert (
        "staff.wardens[0].leave[0]: leave 2025-12-03 is outside the grant period 2024-04-01..2025-03-31" in warnings[0]
    )
    assert "staff.wardens[1].leave[0]: leave 2024-11-04 is outside" in warnings[1] and "contract" in warnings[1]
    assert "staff.officers[0].leave[0]: leave 2023-12-03 is outside the grant period" in warnings[2]


def test_a_child_that_replaces_the_shift_templates_is_told_why_a_role_has_none(tmp_path: Path) -> None:
    """Meant to add a template, the child replaced the list: the problem says where the templates come from."""
    child = tmp_path / "templates.yaml"
    child.write_text(
        f"extends: {CLEVELAND}\nname: one-template\n"
        'shift_templates:\n  - {id: W-EARLY, roles: [warden], start: "10:00", end: "17:44"}\n',
        encoding="utf-8",
    )
    problems = _problems(child)
    assert problems and all("no shift template allows role" in p for p in problems)
    assert all(f"the shift templates come from {child}" in p for p in problems)


def test_a_child_files_list_items_must_be_whole_in_the_schema() -> None:
    """Under extends: a list replaces the base's list whole, so each item needs its required fields."""
    child = {"extends": "cleveland.yaml", "bases": [{"id": "B-X"}]}
    errors = _schema_errors(child)
    assert any("'kind' is a required property" in e for e in errors), errors
    assert _schema_errors({"extends": "cleveland.yaml", "solver": {"seed": 3}}) == []


@pytest.mark.parametrize(
    ("polygon", "got"),
    [
        ("[[-1.2, 54.6, 0], [-1.21, 54.61, 0], [-1.2, 54.62, 0]]", "got [-1.2, 54.6, 0]"),  # heights, as KML gives
        (
            "[[[-1.2, 54.6], [-1.21, 54.61], [-1.2, 54.62]], [[-1.3, 54.6], [-1.31, x], [-1.3, 54.62]]]",
            "got [-1.31, 'x']",
        ),
    ],
)
def test_a_polygon_of_the_wrong_form_is_one_problem_naming_the_point(tmp_path: Path, polygon: str, got: str) -> None:
    """A polygon may be one ring or several: a wrong point read as a dozen problems, half about the form the
    author never meant. Now one problem, the form expected and the first point that is not [lon, lat]."""
    path = tmp_path / "polygon.yaml"
    path.write_text(
        f"extends: {SCENARIO_DIR / 'cleveland.yaml'}\nhotspots_file: null\nhotspots:\n"
        "  - {id: H1, name: X, district: E06000001, project: asb, lat: 54.61, lon: -1.205, harm_weight: 1,\n"
        f"     polygon: {polygon}}}\n",
        encoding="utf-8",
    )
    problems = [p for p in _problems(path) if "polygon" in p]
    assert len(problems) == 1 and "a polygon is a ring of [lon, lat] pairs" in problems[0] and got in problems[0]
