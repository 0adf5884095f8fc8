"""Ctrl-C stops a CP-SAT solve at once and for good (optimiser.cpsat)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from ortools.sat.python import cp_model

from optimiser import cpsat


def _slow_model() -> cp_model.CpModel:
    """A search that runs to its time limit: all-different values with a weighted sum to maximise."""
    model = cp_model.CpModel()
    values = [model.new_int_var(0, 200, f"v{i}") for i in range(80)]
    model.add_all_different(values)
    for i in range(79):
        model.add(values[i] + values[i + 1] <= 201 + i % 7)
    model.maximize(sum((i % 5 + 1) * v for i, v in enumerate(values)))
    return model


def test_ctrl_c_stops_the_solve_at_once_and_leaves_no_solve_running() -> None:
    """SIGINT 0.5 s into a 30 s solve: KeyboardInterrupt within a few seconds, no solver thread left.

    Before, CP-SAT caught SIGINT itself and only ended the search: the run went on and wrote its plan.
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30.0
    solver.parameters.num_workers = 2
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        cpsat.solve(solver, _slow_model())
    assert time.perf_counter() - started < 10.0
    assert not [t for t in threading.enumerate() if t.name == "cp-sat" and t.is_alive()]


def test_a_solve_returns_its_status() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 3, "x")
    model.maximize(x)
    solver = cp_model.CpSolver()
    assert cpsat.solve(solver, model) == cp_model.OPTIMAL
    assert solver.value(x) == 3
