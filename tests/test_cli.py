"""Tests of the `patrol` command (cli.py): exit codes, messages for people, files written.

Every test calls ``cli.main([...])`` in-process and checks the exit code (0 success, 1 error or a plan
that fails its check, 2 usage or invalid input, 3 infeasible), what was printed, and that no traceback
reached the user. Plan-running tests are few and short: the illustrative Leeds demo (5 hotspots, 2
wardens, 4 officers, 2 PCSOs on the real Leeds street network) with ``--time-limit 5``, and the Cleveland
cut-20% variant, which stops at the presolve budget check. Broken-scenario fixtures: tests/data/scenarios/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path

import pytest
import yaml

import cli
from optimiser import __version__
from optimiser.errors import ScenarioError
from optimiser.network import travel_matrix
from optimiser.scenario import SCENARIO_DIR, TravelSettings, json_schema, load_scenario

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "scenarios"
LEEDS = SCENARIO_DIR / "leeds-demo.yaml"
CUT20 = SCENARIO_DIR / "cleveland-cut20.yaml"
#: Overrides of the Leeds plan run once per module (a short time limit; an SV weekly budget of £700).
LEEDS_SET = "projects.sv.weekly_budget_gbp=700"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run `patrol argv...`; return (exit code, stdout, stderr), having checked that no traceback was shown."""
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Traceback" not in captured.out, captured.err
    return code, captured.out, captured.err


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------------------------------
# --version, --help, usage errors
# --------------------------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol --version` prints the package version and exits 0."""
    assert run(capsys, "--version") == (0, f"patrol {__version__}\n", "")


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and sub-command of the parser, as argument paths (('plan',), ('network', 'inspect'), ...)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _command_paths(sub, (*prefix, name))


COMMANDS = list(_command_paths(cli.build_parser()))


def test_the_foundation_commands_exist() -> None:
    """The commands the foundation issue promises are all registered."""
    assert {("validate",), ("schema",), ("plan",), ("check",), ("report",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=["patrol", *(" ".join(c) for c in COMMANDS)])
def test_help_on_every_command(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> None:
    """`patrol [COMMAND...] --help` prints that command's usage and exits 0."""
    code, out, err = run(capsys, *path, "--help")
    assert code == 0 and err == ""
    assert out.startswith("usage: " + " ".join(("patrol", *path)))


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol` alone: usage on stderr, exit 2."""
    code, out, err = run(capsys)
    assert code == 2 and out == "" and err.startswith("usage: patrol")


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol roster`: exit 2 naming the bad choice."""
    code, _, err = run(capsys, "roster")
    assert code == 2 and "invalid choice: 'roster'" in err


# --------------------------------------------------------------------------------------------------
# patrol validate
# --------------------------------------------------------------------------------------------------


def test_validate_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol validate scenarios/*.yaml` exits 0 with one ok line per file; the shipped infeasible week
    (cleveland-cut20) is a warning with the rule `patrol plan` would name, not a problem of the file."""
    files = sorted(SCENARIO_DIR.glob("*.yaml"))
    code, out, err = run(capsys, "validate", *files)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    ok = [line for line in lines if ": ok (" in line]
    assert len(ok) == len(files) == 5
    assert all(line.startswith(f"{f}: ok (") for line, f in zip(ok, files, strict=True))
    warnings = [line for line in lines if ": warning: " in line]
    assert warnings == [
        f"{SCENARIO_DIR / 'cleveland-cut20.yaml'}: warning: the default week 2024-12-02 cannot be planned (patrol plan "
        "exits 3): budget: ASB weekly budget £15,166.03 < committed warden contracts £18,545.21: cut posts in the "
        "annual plan (patrol budget plan)"
    ]


def test_validate_finds_what_plan_would_refuse_before_solving(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A 47-hour contract that 7.4-hour shifts never add up to once passed `validate` and failed `plan` (exit 3);
    a street network the places are far from failed `plan` only (exit 2): validate names both now."""
    code, out, _err = run(
        capsys, "validate", SCENARIO_DIR / "cleveland.yaml", "--set", "staff.wardens.0.contracted_hours_per_week=47"
    )
    assert code == 0
    assert "warning: the default week 2024-12-02 cannot be planned (patrol plan exits 3): contracted-hours:" in out
    assert "(nearest: 44.4 h and 51.8 h)" in out
    code, _out, err = run(
        capsys, "validate", SCENARIO_DIR / "leeds-demo.yaml", "--set", "travel.profiles.officer=drive"
    )
    assert code == 2
    assert f"{SCENARIO_DIR / 'leeds-demo.yaml'}: default week 2024-11-04: 1 point(s) lie farther than" in err
    assert "'ASB-LDS-02' is 343 m away but 13 m from a street the network dropped" in err


BROKEN = [
    ("unknown_key.yaml", ":6: solver.time_limt_seconds: unknown field; check the spelling"),
    ("negative_budget.yaml", ":7: projects.asb.allocation_gbp: Input should be greater than or equal to 0; got -5"),
    ("unknown_district.yaml", ":9: staff.wardens[0].district: unknown district 'E06000099'"),
    ("contract_order.yaml", ":7: staff.wardens[0]: contract_end 2024-05-01 is before contract_start 2025-03-31"),
    ("broken_yaml.yaml", ":5: broken YAML: expected ',' or '}', but got ':'; fix the syntax at that line"),
    ("not_a_mapping.yaml", ":1: a scenario must be a YAML mapping of fields"),
    ("not_monday.yaml", ":5: default_week_start: 2024-12-03 is a Tuesday; a week starts on a Monday"),
    ("missing_base.yaml", ":4: extends: base scenario "),
    ("circular_a.yaml", ":3: extends: circular extends: "),
]


def test_validate_warns_of_a_hotspot_list_from_after_the_default_week(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A list refreshed from 2024-10:2025-09 adopted for the default week 2024-12-02: `patrol plan` warns
    that it uses later data; validate said only `ok`. It now gives the same warning (exit 0)."""
    shipped = (SCENARIO_DIR / "hotspots" / "cleveland-2023-12_2024-11.yaml").read_text(encoding="utf-8")
    later = tmp_path / "hotspots.yaml"
    later.write_text(shipped.replace("window: 2023-12:2024-11", "window: 2024-10:2025-09"), encoding="utf-8")
    code, out, err = run(capsys, "validate", SCENARIO_DIR / "cleveland.yaml", "--set", f"hotspots_file={later}")
    assert code == 0, err
    assert "warning: default week 2024-12-02: the hotspots come from police.uk months 2024-10:2025-09" in out
    assert "patrol hotspots refresh --months" in out
    code, out, _ = run(capsys, "validate", SCENARIO_DIR / "cleveland.yaml")
    assert code == 0 and "warning" not in out


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_validate_a_broken_scenario_exits_2_with_file_line_and_field(
    capsys: pytest.CaptureFixture[str], name: str, expected: str
) -> None:
    """One problem line `file:line: field.path: message` and a count, on stderr; exit 2; no traceback."""
    path = FIXTURES / name
    code, out, err = run(capsys, "validate", path)
    assert (code, out) == (2, "")
    assert err.splitlines()[0].startswith(f"{path}{expected}")
    assert err.splitlines()[1:] == ["1 problem(s) found"]


def test_validate_lists_every_problem_of_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A good file and two bad ones in one run: ok for the good one, 7 + 3 problems for the others."""
    several, cross = FIXTURES / "several_problems.yaml", FIXTURES / "several_cross_references.yaml"
    code, out, err = run(capsys, "validate", LEEDS, several, cross)
    assert code == 2
    assert out == f"{LEEDS}: ok (leeds-demo, 5 hotspots)\n"
    lines = err.splitlines()
    assert lines[-1] == "10 problem(s) found"
    assert sum(line.startswith(f"{several}:") for line in lines) == 7
    assert sum(line.startswith(f"{cross}:") for line in lines) == 3
    assert f"{several}:7: colour: unknown field; check the spelling (patrol schema lists every field)" in lines


def test_validate_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A path that does not exist: exit 2, one line naming it."""
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, "validate", missing)
    assert code == 2
    assert err.splitlines() == [
        f"{missing}: file not found; check the path (one on the command line is from the current directory, one "
        "inside a YAML file from that file's folder)",
        "1 problem(s) found",
    ]


def test_validate_with_set(capsys: pytest.CaptureFixture[str]) -> None:
    """`--set` applies to validate too: a bad value is located at the --set that wrote it."""
    code, _, err = run(capsys, "validate", LEEDS, "--set", "solver.workers=0")
    assert code == 2
    assert err.splitlines()[0] == (
        "--set solver.workers=0: solver.workers: Input should be greater than or equal to 1; got 0"
    )
    assert run(capsys, "validate", LEEDS, "--set", "solver.workers=1")[0] == 0


# --------------------------------------------------------------------------------------------------
# patrol schema
# --------------------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol schema` prints JSON (exit 0) equal to json_schema() (test_scenario.py checks scenarios against it)."""
    code, out, err = run(capsys, "schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema == json.loads(json.dumps(json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"period", "projects", "staff", "travel", "solver", "extends"} <= set(schema["else"]["properties"])


# --------------------------------------------------------------------------------------------------
# patrol plan: input errors (fail before any solving, write nothing)
# --------------------------------------------------------------------------------------------------


def test_plan_broken_yaml_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Broken YAML: exit 2 with exactly one line on stderr; no plan folder."""
    path = FIXTURES / "broken_yaml.yaml"
    code, _, err = run(capsys, "plan", path, "--out", tmp_path / "p")
    assert code == 2
    assert err.splitlines() == [
        f"{path}:5: broken YAML: expected ',' or '}}', but got ':'; fix the syntax at that line"
    ]
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "name", ["unknown_key.yaml", "negative_budget.yaml", "unknown_district.yaml", "contract_order.yaml"]
)
def test_plan_an_invalid_scenario_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    """`patrol plan` on each broken fixture: exit 2, the problem on stderr with file and line; no plan folder."""
    path = FIXTURES / name
    code, _, err = run(capsys, "plan", path, "--out", tmp_path / "p")
    assert code == 2 and err.startswith(f"{path}:")
    assert not (tmp_path / "p").exists()


def test_plan_a_missing_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A missing scenario file: exit 2, one line."""
    code, _, err = run(capsys, "plan", tmp_path / "nope.yaml")
    assert code == 2 and len(err.splitlines()) == 1 and "file not found" in err


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2024-11-05", "--week 2024-11-05 is a Tuesday; give a Monday (a week runs Monday to Sunday)"),
        ("2025-04-07", "--week 2025-04-07 is outside the grant period 2024-04-01..2025-03-31; give a Monday inside it"),
        ("2024-03-25", "--week 2024-03-25 is outside the grant period 2024-04-01..2025-03-31; give a Monday inside it"),
    ],
)
def test_plan_week_must_be_a_monday_inside_the_period(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, week: str, message: str
) -> None:
    """`--week` not a Monday, or outside the grant period: exit 2 with one line naming --week; nothing written."""
    code, _, err = run(capsys, "plan", LEEDS, "--week", week, "--out", tmp_path / "p")
    assert code == 2
    assert len(err.splitlines()) == 1 and err.rstrip().endswith(message)
    assert not (tmp_path / "p").exists()


def test_plan_week_that_is_not_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    """`--week 2024-13-01`: a usage error (exit 2) naming the argument."""
    code, _, err = run(capsys, "plan", LEEDS, "--week", "2024-13-01")
    assert code == 2 and "argument --week: '2024-13-01' is not a date YYYY-MM-DD" in err


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("solver.workers", "--set 'solver.workers': expected key.path=value"),
        (
            "solver.workers=0",
            "--set solver.workers=0: solver.workers: Input should be greater than or equal to 1; got 0",
        ),
        ("solver.colour=red", "--set solver.colour=red: solver.colour: unknown field"),
        ("colour.shade=red", "--set colour.shade=red: colour: unknown field"),
        ("travel.extract=null", "--set travel.extract=null: travel: model: network needs extract"),
    ],
)
def test_plan_with_a_bad_set(capsys: pytest.CaptureFixture[str], tmp_path: Path, override: str, message: str) -> None:
    """A malformed or invalid `--set`: exit 2 quoting it."""
    code, _, err = run(capsys, "plan", LEEDS, "--set", override, "--out", tmp_path / "p")
    assert code == 2 and message in err


def test_debug_shows_the_traceback() -> None:
    """`--debug` lets the error propagate (for developers); without it the CLI prints one line."""
    with pytest.raises(ScenarioError):
        cli.main(["--debug", "plan", str(FIXTURES / "negative_budget.yaml")])


def test_check_a_folder_that_is_not_a_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`patrol check` on a missing folder: exit 2, one line."""
    code, _, err = run(capsys, "check", tmp_path / "nothing")
    assert code == 2 and len(err.splitlines()) == 1 and "not a plan folder" in err


@pytest.mark.parametrize("kind", ["file", "folder of other files", "unwritable"])
def test_plan_never_replaces_what_is_not_a_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    """`--out` naming a file or a folder of other files fails before solving (exit 2) and keeps them."""
    if kind == "file":
        out = tmp_path / "notes.txt"
        out.write_text("keep", encoding="utf-8")
    elif kind == "folder of other files":
        out = tmp_path / "documents"
        out.mkdir()
        (out / "important.txt").write_text("keep", encoding="utf-8")
    else:
        blocker = tmp_path / "blocker"
        blocker.write_text("keep", encoding="utf-8")
        out = blocker / "plan"  # a folder inside a file cannot be made
    code, _, err = run(capsys, "plan", LEEDS, "--out", out, "--time-limit", "1")
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "--out" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        {"file": ["notes.txt"], "folder of other files": ["documents", "important.txt"], "unwritable": ["blocker"]}[
            kind
        ]
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--time-limit", "0", "a number of seconds above 0"),
        ("--time-limit", "soon", "not a number"),
        ("--workers", "0", "a number of workers from 1 to 64"),
    ],
)
def test_solver_flags_are_checked_as_flags(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    """A bad --time-limit or --workers is named as that flag, not as a scenario override."""
    code, _, err = run(capsys, "plan", LEEDS, flag, value)
    last = err.strip().splitlines()[-1]
    assert code == 2 and f"argument {flag}" in last and message in last and "--set" not in last, err


def test_hotspots_refresh_needs_the_scenarios_own_police_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Leeds ships no police.uk files: refresh says so rather than score Leeds on Cleveland's data."""
    code, _, err = run(capsys, "hotspots", "refresh", LEEDS, "--out", tmp_path / "out")
    assert code == 2 and "leeds-demo names no police.uk data" in err and "police_uk_dir" in err
    assert not (tmp_path / "out").exists()


def test_hotspots_refresh_takes_the_force_area_from_the_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Another force's scenario is never detected inside Cleveland's LSOAs (every incident would be
    'outside the force area' and the refresh would succeed empty): no table, or one without its
    districts, is a named error."""
    street = f"police_uk_dir={ROOT / 'data' / 'police_uk' / 'cleveland' / 'street'}"
    months = ["--months", "2024-01", "--out", tmp_path / "out"]
    code, _, err = run(capsys, "hotspots", "refresh", LEEDS, "--set", street, *months)
    assert code == 2 and "leeds-demo names no force area: set force_area.lsoa_file" in err, err
    table = f"force_area.lsoa_file={ROOT / 'data' / 'lsoa' / 'cleveland_lsoa2021_population_census2021.csv'}"
    code, _, err = run(capsys, "hotspots", "refresh", LEEDS, "--set", street, "--set", table, *months)
    assert code == 2 and "no LSOA of district(s) E08000035" in err, err
    assert not (tmp_path / "out").exists()


def test_hotspots_month_flags_are_checked_before_reading(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An empty --months is an error, not the default window; a test window before the training one is
    named as such, not as the span between them."""
    code, _, err = run(capsys, "hotspots", "refresh", "--months", "", "--out", tmp_path / "out")
    assert code == 2 and "months '' must be YYYY-MM:YYYY-MM" in err, err
    code, _, err = run(capsys, "hotspots", "evaluate", "--train", "2024-06:2024-12", "--test", "2024-01:2024-03")
    assert code == 2 and "the test window 2024-01:2024-03 must start after the training window" in err, err


def test_hotspots_months_past_the_data_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "hotspots", "refresh", "--months", "2023-12:2026-01", "--out", tmp_path / "out")
    assert code == 2 and "no police.uk street file for 2025-09..2026-01" in err, err
    code, _, err = run(capsys, "hotspots", "evaluate", "--train", "2023-12:2024-11", "--test", "2024-12:2026-12")
    assert code == 2 and "2025-09..2026-12" in err, err


def test_hotspots_report_writes_the_three_tables_of_the_adopted_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`patrol hotspots report --months 2024-01`: the shipped list's 26 hotspots x 1 month x 14 police.uk
    crime types, the summary (hotspots, lists, districts, force) and the rows set aside; a window past
    the data writes nothing (exit 2)."""
    out = tmp_path / "report"
    code, printed, err = run(capsys, "hotspots", "report", "--months", "2024-01", "--out", out)
    assert code == 0, err
    assert "26 hotspots, 2024-01:2024-01: " in printed and "% of the force's ASB incidents" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "hotspot_incidents.csv",
        "hotspot_summary.csv",
        "rows_not_used.csv",
    ]
    with (out / "hotspot_incidents.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 26 * 1 * 14
    assert list(rows[0]) == [
        "hotspot_id",
        "name",
        "district",
        "project",
        "month",
        "crime_type",
        "category",
        "incidents",
    ]
    with (out / "hotspot_summary.csv").open(encoding="utf-8") as handle:
        summary = list(csv.DictReader(handle))
    assert [r["level"] for r in summary].count("hotspot") == 26
    force = next(r for r in summary if r["level"] == "force")
    assert force["asb_share_pct"] == "100.0"
    with (out / "rows_not_used.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["reason", "file", "rows", "first_line", "detail"]
    code, _, err = run(capsys, "hotspots", "report", "--months", "2025-01:2026-01", "--out", tmp_path / "late")
    assert code == 2 and "no police.uk street file for 2025-09..2026-01" in err and not (tmp_path / "late").exists()
    refreshed = tmp_path / "refresh"
    refreshed.mkdir()
    (refreshed / "hotspots.yaml").write_text("hotspots: []\n", encoding="utf-8")
    (refreshed / "rows_not_used.csv").write_text("the refresh's\n", encoding="utf-8")
    code, _, err = run(capsys, "hotspots", "report", "--months", "2024-01", "--out", refreshed)
    assert code == 2 and "holds a hotspot refresh's files (hotspots.yaml)" in err
    assert (refreshed / "rows_not_used.csv").read_text(encoding="utf-8") == "the refresh's\n"
    # and the other way: a refresh into the report's folder would replace the report's load report
    before = (out / "rows_not_used.csv").read_bytes()
    code, _, err = run(capsys, "hotspots", "refresh", "--months", "2024-01:2024-12", "--out", out)
    assert code == 2 and "holds a hotspot report's files (hotspot_incidents.csv, hotspot_summary.csv)" in err
    assert (out / "rows_not_used.csv").read_bytes() == before and not (out / "hotspots.yaml").exists()


def test_hotspots_refresh_writes_the_rows_not_used_beside_the_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every 50th row of 2024-11 without coordinates: before, the count went only to the terminal and
    hotspots.yaml said nothing; now its header sums the rows set aside and rows_not_used.csv names the file,
    the reason, the count and the first line."""
    import gzip

    shipped = SCENARIO_DIR.parent / "data" / "police_uk" / "cleveland" / "street"
    street = tmp_path / "street"
    street.mkdir()
    (street / "2024-10-cleveland-street.csv.gz").symlink_to(shipped / "2024-10-cleveland-street.csv.gz")
    with gzip.open(shipped / "2024-11-cleveland-street.csv.gz", "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split(",")
    lon, lat = header.index("Longitude"), header.index("Latitude")
    for i in range(50, len(lines), 50):
        fields = next(csv.reader([lines[i]]))
        fields[lon] = fields[lat] = ""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        lines[i] = buffer.getvalue()
    (street / "2024-11-cleveland-street.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    missing = (len(lines) - 1) // 50
    out = tmp_path / "out"
    code, printed, err = run(
        capsys, "hotspots", "refresh", "--set", f"police_uk_dir={street}", "--months", "2024-10:2024-11", "--out", out
    )
    assert code == 0, err
    assert str(out / "rows_not_used.csv") in printed
    text = (out / "hotspots.yaml").read_text(encoding="utf-8")
    assert f"{missing} with no usable coordinates" in text and "rows_not_used.csv)" in text
    with (out / "rows_not_used.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"reason": "no_coordinates", "file": "2024-11-cleveland-street.csv", "rows": str(missing)}.items() <= next(
        r for r in rows if r["reason"] == "no_coordinates"
    ).items()
    assert next(r for r in rows if r["reason"] == "no_coordinates")["first_line"] == "51"


def test_street_files_without_months_in_their_names_are_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    street = tmp_path / "street"
    street.mkdir()
    (street / "cleveland-street.csv").write_text("Month,Crime type\n", encoding="utf-8")
    code, _, err = run(capsys, "hotspots", "refresh", "--set", f"police_uk_dir={street}", "--out", tmp_path / "out")
    assert code == 2 and "no police.uk street file named YYYY-MM-<force>-street.csv" in err, err


def test_a_week_with_no_plan_never_replaces_a_valid_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A what-if run (here an ASB budget below the committed contracts) into the
    folder of a published plan: the plan stays, the infeasible result goes beside it."""
    out = tmp_path / "published"
    code, _, _ = run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", out)
    assert code == 0
    before = (out / "roster.csv").read_text(encoding="utf-8")
    code, stdout, _ = run(
        capsys, "plan", LEEDS, "--set", "projects.asb.weekly_budget_gbp=1", "--no-reports", "--out", out
    )
    assert code == 3
    assert (out / "roster.csv").read_text(encoding="utf-8") == before
    beside = tmp_path / "published.infeasible"
    assert json.loads((beside / "summary.json").read_text(encoding="utf-8"))["status"] == "infeasible"
    assert f"plan written to {beside}" in stdout
    # that name taken by something else: the next free one, not a failure after the solve
    shutil.rmtree(beside)
    beside.write_text("someone's notes", encoding="utf-8")
    code, stdout, _ = run(
        capsys, "plan", LEEDS, "--set", "projects.asb.weekly_budget_gbp=1", "--no-reports", "--out", out
    )
    assert code == 3 and f"plan written to {tmp_path / 'published.infeasible.2'}" in stdout
    assert beside.read_text(encoding="utf-8") == "someone's notes"


def test_a_folder_of_hidden_files_is_not_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`.git` or `.env` are someone's work: refused before solving, kept."""
    out = tmp_path / "repo"
    (out / ".git").mkdir(parents=True)
    (out / ".env").write_text("secret", encoding="utf-8")
    code, _, err = run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", out)
    assert code == 2 and "holds files that are not a weekly plan" in err
    assert (out / ".env").read_text(encoding="utf-8") == "secret" and (out / ".git").is_dir()


def test_an_annual_plan_or_a_plan_with_other_files_is_not_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A summary.json alone does not make a weekly plan folder: an annual plan, or a plan folder holding
    someone's own file, is refused before solving and kept whole."""
    annual = tmp_path / "annual"
    annual.mkdir()
    (annual / "summary.json").write_text('{"kind": "annual"}', encoding="utf-8")
    (annual / "monthly_plan.csv").write_text("month\n", encoding="utf-8")
    code, _, err = run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", annual)
    assert code == 2 and "holds files that are not a weekly plan" in err
    assert (annual / "monthly_plan.csv").is_file()
    published = tmp_path / "published"
    assert run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", published)[0] == 0
    (published / ".DS_Store").write_bytes(b"finder")  # desktop litter does not stop a re-plan
    assert run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", published)[0] == 0
    (published / "thesis.docx").write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, "plan", LEEDS, "--time-limit", "5", "--no-reports", "--out", published)
    assert code == 2 and "other files (thesis.docx)" in err
    assert (published / "thesis.docx").read_text(encoding="utf-8") == "mine"


def test_report_into_a_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep", encoding="utf-8")
    code, _, err = run(capsys, "report", ROOT / "tests" / "data" / "reports" / "plan-small", "--out", target)
    assert code == 2 and len(err.splitlines()) == 1 and "a-file" in err, err
    assert target.read_text(encoding="utf-8") == "keep"


# --------------------------------------------------------------------------------------------------
# patrol plan: an infeasible week (exit 3) and a real plan on the Leeds streets
# --------------------------------------------------------------------------------------------------


def test_plan_cut20_is_infeasible_and_names_the_budget_conflict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cleveland-cut20: ASB week budget £790,800 x 7/365 = £15,166.03 is below the committed warden contracts.

    Exit 3; the explanation names the budget conflict; with no --out the folder is
    plans/cleveland-cut20-2024-12-02/ under the current directory, holding the summary and no rows.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATROL_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(capsys, "plan", CUT20, "--time-limit", "5")
    assert code == 3
    assert "infeasible: budget: ASB weekly budget £15,166.03 < committed warden contracts £18,545" in err
    assert "cut posts in the annual plan" in err
    folder = tmp_path / "plans" / "cleveland-cut20-2024-12-02"
    assert f"plan written to {Path('plans') / 'cleveland-cut20-2024-12-02'}" in out
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "infeasible"
    assert summary["explanation"].startswith("budget: ASB weekly budget £15,166.03 < committed warden contracts")
    assert summary["budget_gbp"]["asb"] == 15_166.03
    assert _rows(folder / "roster.csv") == [] and _rows(folder / "visits.csv") == []


@pytest.fixture(scope="module")
def leeds_plan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, str, Path]]:
    """`patrol plan scenarios/leeds-demo.yaml --time-limit 5 --set projects.sv.weekly_budget_gbp=700`, run once."""
    tmp = tmp_path_factory.mktemp("leeds")
    out_dir = tmp / "plan"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.setenv("PATROL_CACHE_DIR", str(tmp / "cache"))
        code = cli.main(
            ["plan", str(LEEDS), "--time-limit", "5", "--set", LEEDS_SET, "--no-reports", "--out", str(out_dir)]
        )
    yield code, out.getvalue(), err.getvalue(), out_dir


def test_leeds_plan_succeeds_and_passes_its_check(
    leeds_plan: tuple[int, str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 0; the summary says feasible or optimal and its own check passed; `patrol check` agrees (exit 0)."""
    code, out, err, folder = leeds_plan
    assert code == 0 and "Traceback" not in out + err
    assert f"plan written to {folder}" in out and "check passed" in out
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("optimal", "feasible")
    assert summary["validation"] == {"ok": True, "violations": []}
    assert summary["week_start"] == "2024-11-04"
    code, out, _ = run(capsys, "check", folder)
    assert code == 0 and "plan is valid" in out
    # every role was rostered, and hotspots were visited
    roles = {row["role"] for row in _rows(folder / "roster.csv")}
    assert roles == {"warden", "officer", "pcso"}
    assert len(_rows(folder / "visits.csv")) > 0


def test_leeds_plan_records_its_overrides(leeds_plan: tuple[int, str, str, Path]) -> None:
    """The summary lists the --set and the --time-limit (as an override); the resolved scenario holds them."""
    _, _, _, folder = leeds_plan
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["overrides"] == [LEEDS_SET, "solver.time_limit_seconds=5.0"]
    assert summary["budget_gbp"]["sv"] == 700
    resolved = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["projects"]["sv"]["weekly_budget_gbp"] == 700
    assert resolved["solver"]["time_limit_seconds"] == 5.0
    # the record is itself a valid scenario, checkable anywhere
    assert load_scenario(folder / "scenario.resolved.yaml").scenario.projects.sv.weekly_budget_gbp == 700


def test_leeds_plan_routes_over_the_real_streets(leeds_plan: tuple[int, str, str, Path], tmp_path: Path) -> None:
    """travel_model is network; every leg's minutes equal the street-network walk, not crow-fly x 1.3.

    Recomputes the walking matrix of the plan's hotspots and bases on the Leeds extract and compares each
    visit's ``travel_minutes_from_prev``; at least one leg must differ from the crow-fly estimate, so the
    streets (not straight lines) made the plan.
    """
    _, _, _, folder = leeds_plan
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["travel_model"].startswith("network")
    scenario = load_scenario(LEEDS).scenario
    points = [(h.id, h.lat, h.lon) for h in scenario.hotspots] + [(b.id, b.lat, b.lon) for b in scenario.bases]
    network = travel_matrix(points, travel=scenario.travel, profile="walk", cache_dir=tmp_path)
    crowfly = travel_matrix(points, travel=TravelSettings(model="crowfly"), profile="walk")
    legs = [
        (row["prev_location"], row["hotspot_id"], int(row["travel_minutes_from_prev"]))
        for row in _rows(folder / "visits.csv")
    ]
    assert legs
    for prev, hotspot, minutes in legs:
        assert minutes == network.minutes_between(prev, hotspot), (prev, hotspot)
    assert any(network.minutes_between(a, b) != crowfly.minutes_between(a, b) for a, b, _ in legs)


def test_leeds_plan_visit_values_add_up_to_the_dosage(leeds_plan: tuple[int, str, str, Path]) -> None:
    """The visits.csv `value` column sums to summary.json's harm_weighted_dosage."""
    _, _, _, folder = leeds_plan
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    total = sum(float(row["value"]) for row in _rows(folder / "visits.csv"))
    assert summary["harm_weighted_dosage"] > 0
    assert total == pytest.approx(summary["harm_weighted_dosage"], rel=1e-6)


def test_plan_with_one_active_project_passes_its_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leeds with `--set active_projects=[sv]` (as cleveland-sv-only does): a plan that passes its own check, exit 0."""
    monkeypatch.setenv("PATROL_CACHE_DIR", str(tmp_path / "cache"))
    out_dir = tmp_path / "p"
    code, _, _ = run(
        capsys, "plan", LEEDS, "--set", "active_projects=[sv]", "--time-limit", "5", "--no-reports", "--out", out_dir
    )
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    assert {row["role"] for row in _rows(out_dir / "roster.csv")} <= {"officer", "pcso"}
    assert summary["validation"]["ok"], summary["validation"]["violations"][:1]
    assert code == 0


def test_plan_that_finds_no_roster_is_not_a_success(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 0.01-second limit finds no roster: the summary says no-plan and the exit code must say it too (1)."""
    monkeypatch.setenv("PATROL_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = run(capsys, "plan", LEEDS, "--time-limit", "0.01", "--no-reports", "--out", tmp_path / "p")
    summary = json.loads((tmp_path / "p" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "no-plan" and "raise --time-limit" in out
    assert code == 1


def test_budget_sweep_passes_the_week_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`budget sweep --week` rosters that week (it was accepted and then ignored: every level planned the
    scenario's default week)."""
    import pandas as pd

    from optimiser import finance

    asked: dict[str, object] = {}

    def sweep(loaded: object, **options: object) -> pd.DataFrame:
        asked.update(options)
        return pd.DataFrame(
            {"factor": [1.0], "status": ["infeasible"], "explanation": ["budget: too little"], "cost_asb_X_gbp": [1]}
        )

    monkeypatch.setattr(finance, "budget_sweep", sweep)
    code, out, _ = run(
        capsys, "budget", "sweep", LEEDS, "--factors", "1", "--week", "2024-06-03", "--flat-seasons", "--out", tmp_path
    )
    assert code == 0 and asked["week_start"] == date(2024, 6, 3) and asked["seasonality"] == "flat"
    # the terminal shows the headline columns and each level's explanation; sweep.csv keeps the rest
    assert "cost_asb_X_gbp" not in out and "x1: budget: too little" in out


def test_pin_days_are_checked_as_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """--pin-days names days of the week, and only means something with --pin."""
    code, _, err = run(capsys, "plan", LEEDS, "--pin-days", "mon,someday")
    assert code == 2 and "give days of the week separated by commas, e.g. mon,tue" in err
    code, _, err = run(capsys, "plan", LEEDS, "--pin-days", "mon,tue")
    assert code == 2 and "--pin-days needs --pin PLAN_DIR" in err


def test_hotspots_refresh_takes_a_method(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """What `hotspots evaluate` compares, refresh can apply: the method goes into the list and its header."""
    code, out, _ = run(
        capsys, "hotspots", "refresh", "--months", "2024-01", "--method", "grid:cell_m=100", "--out", tmp_path / "a"
    )
    assert code == 0 and "hotspots for 2024-01:2024-01" in out
    text = (tmp_path / "a" / "hotspots.yaml").read_text(encoding="utf-8")
    assert "method: grid:cell_m=100," in text and "--method grid:cell_m=100" in text
    code, _, err = run(capsys, "hotspots", "refresh", "--method", "segment", "--out", tmp_path / "b")
    assert code == 2 and "--method segment needs a street network" in err and not (tmp_path / "b").exists()


def test_verbose_and_debug_go_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", LEEDS, "-v")
    assert code == 0 and "ok" in out
    code, _, _ = run(capsys, "validate", LEEDS, "--debug")
    assert code == 0


def test_check_of_a_folder_with_no_plan_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An infeasible week's folder has nothing to judge but its summary: not 'plan is valid'."""
    out = tmp_path / "cut"
    assert run(capsys, "plan", LEEDS, "--set", "projects.asb.weekly_budget_gbp=1", "--out", out)[0] == 3
    code, text, _ = run(capsys, "check", out)
    assert code == 0 and text.startswith("no plan to check: the folder's status is infeasible (budget:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("plan", "--formats", "xlsx,pdf"), "--formats: unknown view 'pdf'"),
        (("plan", "--formats", ","), "--formats is empty"),
        (("budget", "sweep", "--factors", "inf"), "each from 0 to 100"),
        (("validate", str(LEEDS), "--set", "projects.sv.allocation_gbp=inf"), "less than or equal to 1000000000"),
        (
            ("validate", str(LEEDS), "--set", "travel.beat_minutes.pcso=-5"),
            "beat_minutes.pcso: Input should be greater",
        ),
    ],
)
def test_bad_options_and_values_fail_before_any_solving(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    """A view typo once failed after the whole solve; inf money passed validation then crashed the solver;
    a negative beat silently removed every PCSO patrol."""
    extra = ("--out", str(tmp_path / "out")) if argv[0] in ("plan", "budget") else ()
    code, _, err = run(capsys, *argv, *extra)
    assert code == 2 and message in err, err
    assert not (tmp_path / "out").exists()


def test_evaluate_never_writes_into_a_plan_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`hotspots evaluate --out plan/roster.csv` once replaced the plan's roster (and the plan failed its check)."""
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "summary.json").write_text("{}", encoding="utf-8")
    (plan / "roster.csv").write_text("shift_id\n", encoding="utf-8")
    argv = ("hotspots", "evaluate", "--train", "2024-01:2024-02", "--test", "2024-03:2024-03", "--out")
    code, _, err = run(capsys, *argv, plan / "roster.csv")
    assert code == 2 and "a plan's folder; write it elsewhere" in err, err
    assert (plan / "roster.csv").read_text(encoding="utf-8") == "shift_id\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("plan", "--time-limit", "1e9"),
            "argument --time-limit: '1e9': give a number of seconds above 0 up to 86,400",
        ),
        (("plan", "--seed", "-1"), "argument --seed: '-1': give a seed from 0 to 2,147,483,647"),
        (("plan", "--workers", "100"), "argument --workers: '100': give a number of workers from 1 to 64"),
    ],
)
def test_flag_errors_name_the_flag_not_an_override(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    """They once read as a `--set solver...` the user never typed."""
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "--set solver" not in err, err


def test_report_and_batch_into_a_file_say_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "a-file.csv"
    target.write_text("x\n", encoding="utf-8")
    code, _, err = run(capsys, "batch", LEEDS, "--out", target)
    assert code == 2 and "is a file, not a folder" in err
    assert target.read_text(encoding="utf-8") == "x\n"


def test_a_write_that_fails_without_a_file_name_names_the_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk raises an OSError with no file name; the message names the --out being written."""
    import optimiser.pipeline as pipeline

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "write_plan", full_disk)
    out = tmp_path / "week"
    code, _, err = run(capsys, "plan", LEEDS, "--no-reports", "--out", out)
    assert code == 2 and f"patrol: {out}: No space left on device" in err
