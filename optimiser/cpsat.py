"""CP-SAT solves that Ctrl-C stops at once and for good.

Why: CP-SAT catches SIGINT itself by default and only ends the search early, so a Ctrl-C during a solve
let the run carry on and write a worse plan over the published one (and once a solve ends it leaves
SIGINT at the system default, so a later Ctrl-C killed the process without cleaning up). Here CP-SAT
leaves SIGINT to Python; the solve runs in a worker thread (CP-SAT releases the GIL) while the main
thread waits, so the KeyboardInterrupt arrives at once, stops the search and goes on up to the CLI,
which writes nothing and exits 130.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model

POLL_SECONDS = 0.1

_wall_clock_stops: list[list[str]] = []


@contextmanager
def wall_clock_stops() -> Iterator[list[str]]:
    """Collect what stopped on the wall-clock safety cap inside the block (searches that may not repeat).

    Why: results repeat because searches stop on deterministic budgets; a busy machine can hit the
    wall-clock cap first, and a log line is easily missed, so the plan itself says so.
    """
    stops: list[str] = []
    _wall_clock_stops.append(stops)
    try:
        yield stops
    finally:
        _wall_clock_stops.remove(stops)


def note_wall_clock_stop(what: str) -> None:
    """Record that ``what`` stopped on the wall clock before its deterministic budget (see above)."""
    for stops in _wall_clock_stops:
        if what not in stops:
            stops.append(what)


def solve(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> int:
    """``solver.solve(model)``, interruptible by Ctrl-C (KeyboardInterrupt) at any moment."""
    solver.parameters.catch_sigint_signal = False
    outcome: dict[str, object] = {}
    done = threading.Event()
    cancelled = threading.Event()

    def run() -> None:
        try:
            if not cancelled.is_set():
                outcome["status"] = solver.solve(model, callback)
        except BaseException as exc:  # handed to the waiting thread, re-raised there
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=run, name="cp-sat", daemon=True)
    try:
        worker.start()  # inside: a Ctrl-C can land while start() waits for the thread to run
        while not done.wait(POLL_SECONDS):
            pass
    except KeyboardInterrupt:
        _stop(solver, worker, done, cancelled)
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["status"]  # type: ignore[return-value]


def _stop(
    solver: cp_model.CpSolver, worker: threading.Thread, done: threading.Event, cancelled: threading.Event
) -> None:
    """Stop the solve and wait until it has returned (a solve left running aborts the process at exit).

    Asked again each poll: a stop asked before the solve has begun is lost. A second Ctrl-C only asks again.
    Waited on through ``done``, not ``join``: a join interrupted by Ctrl-C can mark a running thread as
    stopped (CPython 3.11).
    """
    cancelled.set()
    while worker.is_alive() and not done.is_set():
        try:
            solver.stop_search()
            done.wait(POLL_SECONDS)
        except KeyboardInterrupt:
            continue
