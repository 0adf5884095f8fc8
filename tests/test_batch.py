"""Tests of optimiser.batch: folders and summary, failures reported, local processes vs a Dask cluster.

Fixtures: tests/data/finance/tiny.yaml and tiny-b.yaml (each week solves to optimum in well under a
second), a broken YAML and a missing file written per test.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from optimiser.batch import SUMMARY_COLUMNS, TIMING_COLUMNS, batch, expand
from optimiser.errors import DataError
from optimiser.plan import read_plan

DATA = Path(__file__).parent / "data" / "finance"


@pytest.fixture
def scenarios(tmp_path: Path) -> list[str]:
    """tiny + tiny-b copied in, a broken YAML, a missing file and a pattern matching nothing."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("tiny.yaml", "tiny-b.yaml"):
        shutil.copy(DATA / name, folder / name)
    (folder / "broken.yaml").write_text("name: [unclosed\n")
    return [
        str(folder / "tiny*.yaml"),
        str(folder / "broken.yaml"),
        str(folder / "missing.yaml"),
        str(tmp_path / "none" / "*.yaml"),
    ]


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(TIMING_COLUMNS)).reset_index(drop=True)


def test_batch_writes_folders_and_reports_failures(scenarios: list[str], tmp_path: Path) -> None:
    """2 scenarios plan (optimal), 3 fail with a reason, in input order; one folder per planned scenario."""
    seen: list[tuple[int, int]] = []
    out = tmp_path / "out"
    frame = batch(scenarios, out_dir=out, workers=1, progress=lambda done, total, row: seen.append((done, total)))
    assert list(frame.columns[: len(SUMMARY_COLUMNS)]) == list(SUMMARY_COLUMNS)
    assert frame["scenario"].tolist()[:2] == ["tiny-finance-b", "tiny-finance"]  # sorted file names: tiny-b, tiny
    assert frame["status"].tolist() == ["optimal", "optimal", "error", "error", "error"]
    errors = frame["error"].tolist()
    assert "broken YAML" in errors[2]
    assert "file not found" in errors[3]
    assert "no file matches" in errors[4]
    assert frame.loc[0, "cost_grant_sv_gbp"] == pytest.approx(136.56)
    # Friday and Saturday overtime (Sunday's would end 9 h before Monday's duty: 11 h daily rest)
    assert frame.loc[1, "cost_grant_sv_gbp"] == pytest.approx(273.12)
    assert sorted(seen) == [(i, 5) for i in range(1, 6)]
    plan = read_plan(out / "tiny")
    assert plan.summary["status"] == "optimal" and plan.roster
    written = pd.read_csv(out / "summary.csv")
    assert written["status"].tolist() == frame["status"].tolist()


def test_local_processes_and_dask_give_identical_summaries(scenarios: list[str], tmp_path: Path) -> None:
    """The same batch on 2 spawned processes and on a 2-worker local Dask cluster: identical apart from timings."""
    from dask.distributed import LocalCluster

    local = batch(scenarios, out_dir=tmp_path / "local", workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = batch(scenarios, out_dir=tmp_path / "dask", dask_scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(_stable(local), _stable(remote))
    assert (tmp_path / "dask" / "tiny-b" / "visits.csv").read_text() == (
        tmp_path / "local" / "tiny-b" / "visits.csv"
    ).read_text()


def test_expand_and_name_clashes(tmp_path: Path) -> None:
    """Files with the same stem in two folders get folder-qualified names; repeats are planned once."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(DATA / "tiny.yaml", tmp_path / sub / "tiny.yaml")
    files, unmatched = expand([str(tmp_path / "*" / "tiny.yaml"), str(tmp_path / "a" / "tiny.yaml")])
    assert len(files) == 2 and unmatched == []
    frame = batch([str(f) for f in files], out_dir=tmp_path / "out", progress=False)
    assert frame["folder"].tolist() == ["a-tiny", "b-tiny"]


def test_batch_needs_scenarios(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no scenario files"):
        batch([], out_dir=tmp_path)


def test_a_folder_that_is_not_a_plan_fails_its_scenario_only(tmp_path: Path) -> None:
    """An output folder holding other files is not replaced: that scenario fails, the others are written."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("tiny.yaml", "tiny-b.yaml"):
        shutil.copy(DATA / name, folder / name)
    out = tmp_path / "out"
    (out / "tiny").mkdir(parents=True)  # a scenario's folder is named after its file
    (out / "tiny" / "notes.txt").write_text("keep", encoding="utf-8")
    frame = batch([str(folder / "tiny.yaml"), str(folder / "tiny-b.yaml")], out_dir=out, workers=1)
    assert frame["status"].tolist() == ["error", "optimal"]
    assert "holds files that are not a weekly plan" in frame["error"].tolist()[0]
    assert (out / "tiny" / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert (out / "tiny-b" / "summary.json").exists() and (out / "summary.csv").exists()


def test_batch_console_is_a_few_columns_and_each_failure_in_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cli

    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    poor = tmp_path / "poor.yaml"
    poor.write_text(
        f"extends: {DATA / 'tiny.yaml'}\nname: tiny-poor\nprojects: {{asb: {{weekly_budget_gbp: 1}}}}\n",
        encoding="utf-8",
    )
    code = cli.main(["batch", str(DATA / "tiny.yaml"), str(broken), str(poor), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].split() == ["scenario", "status", "objective", "gap", "ASB", "£", "SV", "£", "valid", "seconds"]
    assert out[1].split()[:2] == ["tiny-finance", "optimal"] and out[2].split()[:2] == ["broken", "error"]
    infeasible = next(line.split() for line in out[1:4] if line.startswith("tiny-poor"))
    assert infeasible[1] == "infeasible" and infeasible[4:7] == ["-", "-", "-"]  # no plan: not "valid True"
    assert out[4].startswith("broken: ") and "broken YAML" in out[4]
    assert max(len(line) for line in out[:3]) < 120


def test_batch_plans_several_weeks_of_each_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--weeks FIRST:LAST`: one plan and one row per scenario and week, in `<name>-<week>/` folders."""
    import cli

    shutil.copy(DATA / "tiny.yaml", tmp_path / "tiny.yaml")
    out = tmp_path / "out"
    code = cli.main(["batch", str(tmp_path / "tiny.yaml"), "--weeks", "2024-05-06:2024-05-20", "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out / "summary.csv")
    assert frame["week_start"].tolist() == ["2024-05-06", "2024-05-13", "2024-05-20"]
    assert frame["folder"].tolist() == ["tiny-2024-05-06", "tiny-2024-05-13", "tiny-2024-05-20"]
    assert (frame["status"] == "optimal").all()
    assert read_plan(out / "tiny-2024-05-13").summary["week_start"] == "2024-05-13"
    assert "week" in capsys.readouterr().out.splitlines()[0]
    assert cli.main(["batch", str(tmp_path / "tiny.yaml"), "--weeks", "2024-05-07:2024-05-20", "--out", str(out)]) == 2
    assert "two Mondays" in capsys.readouterr().err


def test_a_week_with_no_plan_never_replaces_last_nights_valid_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-run with a budget that makes the week infeasible: the valid `tiny/` stays, the answer goes beside it
    (`tiny.infeasible/`), its row has no validation flag (no roster was checked); a week with no plan in the
    time limit makes the run exit 1, as cron must see it."""
    import cli

    scenario = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", scenario)
    out = tmp_path / "out"
    first = batch([str(scenario)], out_dir=out, workers=1, progress=False)
    assert first["status"].tolist() == ["optimal"]
    again = batch(
        [str(scenario)], out_dir=out, workers=1, progress=False, overrides=["projects.asb.weekly_budget_gbp=10"]
    )
    assert again["status"].tolist() == ["infeasible"]
    assert again["folder"].tolist() == ["tiny.infeasible"]
    assert pd.isna(again["validation_ok"].tolist()[0])
    assert read_plan(out / "tiny").summary["status"] == "optimal"
    assert read_plan(out / "tiny.infeasible").summary["status"] == "infeasible"
    assert pd.read_csv(out / "summary.csv")["folder"].tolist() == ["tiny.infeasible"]
    # an infeasible week is an answer (exit 0); a failed check is not (exit 1)
    assert cli.main(["batch", str(scenario), "--out", str(out), "--set", "projects.asb.weekly_budget_gbp=10"]) == 0
    capsys.readouterr()


def test_batch_out_must_be_a_folder_of_its_own_and_the_week_a_monday(tmp_path: Path) -> None:
    """A plan's folder, or a folder whose summary.csv is someone else's, is refused before solving."""
    scenario = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", scenario)
    plan_folder = tmp_path / "plan"
    batch([str(scenario)], out_dir=tmp_path / "out", workers=1, progress=False)
    shutil.copytree(tmp_path / "out" / "tiny", plan_folder)
    with pytest.raises(DataError, match="is a plan's folder"):
        batch([str(scenario)], out_dir=plan_folder, workers=1, progress=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.csv").write_text("month,spend\n2024-04,100\n", encoding="utf-8")
    with pytest.raises(DataError, match="is not a batch summary"):
        batch([str(scenario)], out_dir=mine, workers=1, progress=False)
    assert (mine / "summary.csv").read_text(encoding="utf-8") == "month,spend\n2024-04,100\n"
    with pytest.raises(DataError, match="is a Wednesday; give a Monday"):
        batch([str(scenario)], out_dir=tmp_path / "w", workers=1, progress=False, week_start=date(2024, 4, 3))


def test_cron_sees_exit_1_for_a_plan_failing_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validation_ok` false (or a no-plan) is not an answer: the run exits 1 and says how many."""
    import cli
    from optimiser import batch as batch_module

    real = batch_module.run_job

    def failing(job: batch_module.Job) -> tuple[dict[str, object], object]:
        row, plan = real(job)
        row["validation_ok"] = False
        return row, plan

    monkeypatch.setattr(batch_module, "run_job", failing)
    scenario = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", scenario)
    assert cli.main(["batch", str(scenario), "--out", str(tmp_path / "out")]) == 1
    assert "1 without a valid plan" in capsys.readouterr().out


def test_a_result_written_beside_never_replaces_another_scenarios_valid_plan(tmp_path: Path) -> None:
    """`x.infeasible.yaml` has the folder `x.infeasible`, the name `x`'s infeasible week would go to: it goes to
    `x.infeasible.2` instead, and both valid plans stay (`patrol plan` picks side folders the same way)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(DATA / "tiny.yaml", folder / "tiny.yaml")
    shutil.copy(DATA / "tiny.yaml", folder / "x.yaml")
    shutil.copy(DATA / "tiny-b.yaml", folder / "x.infeasible.yaml")  # extends tiny.yaml
    out = tmp_path / "out"
    night1 = batch([str(folder / "x.yaml"), str(folder / "x.infeasible.yaml")], out_dir=out, progress=False)
    assert night1["status"].tolist() == ["optimal", "optimal"]
    night2 = batch(
        [str(folder / "x.yaml")], out_dir=out, progress=False, overrides=["projects.asb.weekly_budget_gbp=10"]
    )
    assert night2["folder"].tolist() == ["x.infeasible.2"]
    assert read_plan(out / "x").summary["status"] == "optimal"
    assert read_plan(out / "x.infeasible").summary["scenario"] == "tiny-finance-b"
    assert read_plan(out / "x.infeasible").summary["status"] == "optimal"
    assert read_plan(out / "x.infeasible.2").summary["status"] == "infeasible"
