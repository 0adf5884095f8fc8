"""Many scenarios at once: one plan folder each and a summary, on local processes or a Dask cluster.

Solver models are not picklable, so workers receive only a job (scenario path, overrides, week) and
build everything themselves; they send back the plan (plain rows) and its figures, and this process
writes every folder. The summary is in input order whatever order jobs finish in, and a scenario that
fails (bad file, solver error, dead worker) is a row with status ``error`` while the batch goes on.
"""

from __future__ import annotations

import glob
import logging
import multiprocessing
import time as clock_time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from optimiser.errors import DataError, PatrolError
from optimiser.finance import plan_figures
from optimiser.outputs import beside, holds_a_valid_plan, may_replace_with_any, written_summary
from optimiser.plan import Plan, prepare_out_dir, write_plan
from optimiser.scenario import not_a_monday

log = logging.getLogger(__name__)

SUMMARY_COLUMNS: tuple[str, ...] = (
    "scenario", "file", "folder", "status", "objective", "best_bound", "gap", "harm_weighted_dosage", "visits",
    "patrol_hours", "cost_grant_asb_gbp", "cost_grant_sv_gbp", "cost_force_gbp", "budget_asb_gbp", "budget_sv_gbp",
    "validation_ok", "solve_seconds", "wall_seconds", "error",
)  # fmt: skip
#: Columns that depend on the machine and its load; everything else repeats for the same inputs.
TIMING_COLUMNS: tuple[str, ...] = ("solve_seconds", "wall_seconds")

Progress = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class Job:
    """What a worker needs to plan one scenario: plain, picklable values only."""

    index: int
    name: str
    path: str
    overrides: tuple[str, ...]
    week_start: str | None


def expand(patterns: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Scenario files matching the patterns (sorted within a pattern, first occurrence kept).

    Returns the files and the patterns that matched nothing (reported as failed rows).
    """
    files: list[Path] = []
    seen: set[Path] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        text = str(pattern)
        if glob.has_magic(text):
            matches = sorted(m for m in glob.glob(text, recursive=True) if Path(m).is_file())
        else:
            matches = [text]  # a named file that is missing becomes a failed row, with the loader's message
        if not matches:
            unmatched.append(text)
        for match in matches:
            resolved = Path(match).resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(Path(match))
    return files, unmatched


def _names(files: Sequence[Path]) -> list[str]:
    """Folder names: the file stem, with the parent folder (then a number) added where stems repeat."""
    stems = [f.stem for f in files]
    names = [s if stems.count(s) == 1 else f"{f.parent.name}-{s}" for f, s in zip(files, stems, strict=True)]
    out: list[str] = []
    for name in names:
        candidate, n = name, 2
        while candidate in out:
            candidate, n = f"{name}-{n}", n + 1
        out.append(candidate)
    return out


def run_job(job: Job) -> tuple[dict[str, Any], Plan | None]:
    """Plan one scenario (in a worker): its summary row and its plan, or an error row.

    Imports the planner here so a worker process pays for it once and the client never needs it.
    """
    from optimiser.pipeline import plan_week
    from optimiser.scenario import load_scenario, week_is_valid

    started = clock_time.perf_counter()
    row: dict[str, Any] = {"scenario": job.name, "file": job.path, "week_start": job.week_start}
    try:
        loaded = load_scenario(job.path, job.overrides)
        week = date.fromisoformat(job.week_start) if job.week_start else None
        if week is not None and (problem := week_is_valid(loaded.scenario, week)):
            row.update(status="error", error=f"{job.path}: {problem}")
            return _timed(row, started), None
        result = plan_week(loaded, week_start=week)
    except PatrolError as exc:
        row.update(status="error", error=str(exc).replace("\n", "; "))
        return _timed(row, started), None
    except Exception as exc:  # a bug in one scenario's run must not stop the batch: report it and go on
        log.error("scenario %s failed:\n%s", job.path, traceback.format_exc())
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        return _timed(row, started), None
    row["scenario"] = loaded.scenario.name
    row["week_start"] = result.plan.summary.get("week_start")
    row.update(plan_figures(result.plan))
    if row["status"] not in ("optimal", "feasible"):
        row["validation_ok"] = None  # no roster was checked: a filter on validation_ok must not take it
    # a plan that may not repeat for its seed (a busy machine): a nightly run can filter on it
    row["stopped_on_wall_clock"] = "; ".join(result.plan.summary.get("stopped_on_wall_clock", [])) or None
    if result.plan.summary.get("explanation"):
        row["error"] = result.plan.summary["explanation"]
    return _timed(row, started), result.plan


def is_valid_plan(row: dict[str, Any]) -> bool:
    """Whether a summary row is a plan that passed its check (what a nightly run wants every row to be)."""
    # `in (True,)`: read back from a table the flag may be a numpy bool, or NaN where it was left empty
    return row.get("status") in ("optimal", "feasible") and row.get("validation_ok") in (True,)


def _write_summary(frame: pd.DataFrame, folder: Path) -> None:
    """``summary.csv`` replaced atomically: a reader (or a Ctrl-C) never sees half of it."""
    staging = folder / ".summary.csv.tmp"
    frame.to_csv(staging, index=False)
    staging.replace(folder / "summary.csv")


def _frame(rows: dict[int, dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records([rows[i] for i in sorted(rows)])
    for column in SUMMARY_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[list(SUMMARY_COLUMNS) + sorted(c for c in frame.columns if c not in SUMMARY_COLUMNS)]


def _check_out_dir(folder: Path) -> None:
    """Refuse an ``--out`` that is a plan's folder or holds a summary.csv that is not a batch's."""
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: is a file, not a folder; give --out a folder for the batch's plans")
    if written_summary(folder) is not None or (folder / "summary.json").exists():
        raise DataError(f"{folder}: is a plan's folder; give --out a folder of its own for the batch")
    summary = folder / "summary.csv"
    if summary.is_file():
        try:
            header = summary.read_text(encoding="utf-8").partition("\n")[0].strip().split(",")
        except (OSError, UnicodeDecodeError):
            header = []
        if header[: len(SUMMARY_COLUMNS)] != list(SUMMARY_COLUMNS):
            raise DataError(
                f"{summary}: is not a batch summary (its columns differ); give --out a folder of its own for the batch"
            )


def _timed(row: dict[str, Any], started: float) -> dict[str, Any]:
    row["wall_seconds"] = round(clock_time.perf_counter() - started, 3)
    return row


def _local_futures(jobs: Sequence[Job], workers: int) -> tuple[Any, dict[Any, Job]]:
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return pool, {pool.submit(run_job, job): job for job in jobs}


def batch(
    patterns: Iterable[str | Path],
    *,
    out_dir: str | Path,
    workers: int = 1,
    dask_scheduler: str | None = None,
    progress: bool | Progress = True,
    overrides: Sequence[str] = (),
    week_start: date | None = None,
    solver_workers: int | None = None,
    weeks: Sequence[date] = (),
) -> pd.DataFrame:
    """Plan every scenario matching ``patterns``; write a plan folder each and ``summary.csv``.

    Parameters
    ----------
    patterns : iterable of str or Path
        Scenario files or glob patterns (``scenarios/*.yaml``).
    out_dir : path
        Gets ``<name>/`` per scenario (the plan contract files) and ``summary.csv``.
    workers : int
        Local worker processes (spawned); 1 runs in this process. Ignored with ``dask_scheduler``.
    dask_scheduler : str, optional
        ``tcp://host:port`` of a Dask scheduler (its workers need this package importable), or ``local``
        to start a cluster of ``workers`` processes on this machine for the run.
    progress : bool or callable
        True shows a progress bar on stderr; a callable gets ``(done, total, row)`` after each scenario.
    overrides : sequence of str
        ``key.path=value`` overrides applied to every scenario.
    week_start : date, optional
        The Monday to plan; default each scenario's own ``default_week_start``.
    weeks : sequence of date
        Several Mondays to plan each scenario for (instead of ``week_start``): one plan each, in
        ``<name>-<week>/``, and one row each.
    solver_workers : int or None
        CP-SAT threads per scenario, set through ``solver.workers``; None (default) keeps each scenario's
        setting. 1 makes every solve that ends before its time limit repeat exactly (fixed seed, one
        thread), so local and Dask summaries match; a solve stopped by the time limit depends on the
        machine's speed whatever the setting.

    Returns
    -------
    pandas.DataFrame
        One row per scenario in input order (:data:`SUMMARY_COLUMNS` first, then costs by project and
        district); failed scenarios have status ``error`` and the reason in ``error``.
    """
    files, unmatched = expand(patterns)
    if not files and not unmatched:
        raise DataError("no scenario files given; pass YAML files or patterns such as scenarios/*.yaml")
    if workers < 1:
        raise DataError(f"--workers must be at least 1 (got {workers})")
    if weeks and week_start is not None:
        raise DataError("give one week (--week) or several (--weeks), not both")
    if week_start is not None and (problem := not_a_monday(week_start)):
        raise DataError(problem)
    folder = Path(out_dir)
    _check_out_dir(folder)
    folder.mkdir(parents=True, exist_ok=True)
    extra = [f"solver.workers={solver_workers}"] if solver_workers is not None else []
    names = _names(files)
    planned: list[date | None] = list(weeks) or [week_start]
    jobs = [
        Job(
            len(planned) * i + k,
            name if len(planned) == 1 or week is None else f"{name}-{week.isoformat()}",
            str(path.resolve()),
            (*overrides, *extra),
            week.isoformat() if week else None,
        )
        for i, (name, path) in enumerate(zip(names, files, strict=True))
        for k, week in enumerate(planned)
    ]
    rows: dict[int, dict[str, Any]] = {}
    offset = len(jobs)
    for k, pattern in enumerate(unmatched):
        rows[offset + k] = {
            "scenario": pattern,
            "file": pattern,
            "status": "error",
            "error": "no file matches this pattern",
        }
        log.warning("batch: no file matches %s", pattern)
    job_folders = {job.name for job in jobs}  # a result written beside a valid plan never takes one of these
    # a folder that cannot take a plan (someone's files) is named before any solving, not after it
    blocked: list[Job] = []
    for job in jobs:
        try:
            prepare_out_dir(folder / job.name)
        except DataError as exc:
            blocked.append(job)
            rows[job.index] = {
                "scenario": job.name,
                "file": job.path,
                "week_start": job.week_start,
                "status": "error",
                "error": str(exc),  # it names the folder
            }
    jobs = [job for job in jobs if job not in blocked]
    total = len(jobs) + len(rows)
    report, finish = _progress(progress, total)
    for row in list(rows.values()):
        report(row)

    def collect(job: Job, outcome: tuple[dict[str, Any], Plan | None] | BaseException) -> None:
        if isinstance(outcome, BaseException):
            row: dict[str, Any] = {
                "scenario": job.name,
                "file": job.path,
                "week_start": job.week_start,
                "status": "error",
                "error": f"worker failed: {outcome!r}",
            }
            plan = None
        else:
            row, plan = outcome
        if plan is not None:
            target = folder / job.name
            try:
                if not is_valid_plan(row) and holds_a_valid_plan(target):
                    # as `patrol plan` does: last night's valid plan is not replaced by no plan
                    kind = str(row["status"]) if row["status"] not in ("optimal", "feasible") else "failed-check"
                    # never another scenario's folder of this batch, nor any valid plan
                    target = beside(target, kind, lambda p: p.name not in job_folders and may_replace_with_any(p))
                    log.warning(
                        "%s holds a valid plan: this run's %s result is written beside it, in %s",
                        folder / job.name,
                        kind,
                        target.name,
                    )
                write_plan(plan, target)
                row["folder"] = target.name  # relative to out_dir, so summaries compare across machines
            except (OSError, DataError) as exc:  # DataError: the folder holds something that is not a plan
                row.update(status="error", error=f"cannot write {target}: {exc}")
        rows[job.index] = row
        report(row)
        # written as each scenario ends: the summary always lists the folders this run has replaced
        _write_summary(_frame(rows), folder)

    try:
        if dask_scheduler == "local":
            with _dask_logs_at_warning_unless_verbose():
                _run_local_dask(jobs, workers, collect)
        elif dask_scheduler is not None:
            with _dask_logs_at_warning_unless_verbose():
                _run_dask(jobs, dask_scheduler, collect)
        elif workers == 1 or len(jobs) <= 1:
            for job in jobs:
                collect(job, run_job(job))
        else:
            pool, futures = _local_futures(jobs, min(workers, len(jobs)))
            with pool:
                for future in as_completed(futures):
                    collect(futures[future], _outcome(future))
    finally:
        finish()
    frame = _frame(rows)
    _write_summary(frame, folder)
    written = {str(name) for name in frame["folder"].dropna()}
    stale = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and p.name not in written and p.name not in job_folders and written_summary(p) is not None
    )
    if stale:
        log.warning(
            "batch: %d plan folder(s) in %s are from earlier runs and not in this summary: %s",
            len(stale),
            folder,
            ", ".join(stale[:10]) + (" ..." if len(stale) > 10 else ""),
        )
    failed = int((frame["status"] == "error").sum())
    log.info("batch: %d scenario(s), %d failed; summary in %s", len(frame), failed, folder / "summary.csv")
    return frame


def _outcome(future: Future[Any]) -> tuple[dict[str, Any], Plan | None] | BaseException:
    try:
        return future.result()  # type: ignore[no-any-return]
    except Exception as exc:  # a worker that died or could not unpickle: that scenario failed, the batch goes on
        return exc


def _run_local_dask(jobs: Sequence[Job], workers: int, collect: Callable[[Job, Any], None]) -> None:
    """Start a Dask cluster on this machine (``--dask-scheduler local``), run the jobs on it, stop it."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        _run_dask(jobs, cluster.scheduler_address, collect)


@contextmanager
def _dask_logs_at_warning_unless_verbose() -> Iterator[None]:
    """Dask logs every start, connection and stop at INFO: shown with -v only, as patrol's own INFO lines are."""
    import distributed  # noqa: F401 - imported first: its import sets the "distributed" loggers to INFO

    dask_log = logging.getLogger("distributed")
    before = dask_log.level
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        dask_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        dask_log.setLevel(before)


def _run_dask(jobs: Sequence[Job], address: str, collect: Callable[[Job, Any], None]) -> None:
    """Run the jobs on a Dask cluster; ``collect`` each result as it arrives."""
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise DataError("--dask-scheduler needs dask.distributed (pip install 'dask[distributed]')") from exc
    try:
        client = Client(address, timeout="30s")
    except OSError as exc:
        raise DataError(f"cannot reach the Dask scheduler at {address} ({exc}); is `dask scheduler` running?") from exc
    with client:
        futures = {client.submit(run_job, job, key=f"patrol-{job.index}-{job.name}", pure=False): job for job in jobs}
        for future in dask_completed(list(futures)):
            job = futures[future]
            try:
                outcome: Any = future.result()
            except Exception as exc:  # the task failed on its worker: report that scenario, go on
                outcome = exc
            collect(job, outcome)


def _progress(progress: bool | Progress, total: int) -> tuple[Callable[[dict[str, Any]], None], Callable[[], None]]:
    """A reporter called once per finished scenario, and a finisher."""
    done = 0
    if callable(progress):
        callback = progress

        def report(row: dict[str, Any]) -> None:
            nonlocal done
            done += 1
            callback(done, total, row)

        return report, lambda: None
    if not progress:
        return (lambda row: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
        console=Console(stderr=True), transient=False,
    )  # fmt: skip
    task = bar.add_task("", total=total)
    bar.start()

    def advance(row: dict[str, Any]) -> None:
        bar.update(task, advance=1, description=f"{row.get('scenario')}: {row.get('status')}")

    return advance, bar.stop
