"""Writing a set of output files so that a failure never leaves a half-written set.

Why: hotspot refreshes and annual budget plans each write several files that are read together, into
a folder that may hold other files; a crash or a full disk half-way must leave the previous set, not a
mixture. (A plan folder is replaced whole instead: ``optimiser.plan.write_plan``.)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from optimiser.errors import DataError
from optimiser.plan import prepare_out_dir


def replace_files(out_dir: Path, writers: Mapping[str, Callable[[Path], object]]) -> Path:
    """Write each named file with its writer into a staging folder, then move the set into ``out_dir``.

    A new ``out_dir`` is the staging folder renamed (all or nothing); an existing one has only these
    files replaced, each by an atomic rename, after every one of them was written, so other files in it
    are kept and a failed writer changes nothing.

    Raises
    ------
    DataError
        When ``out_dir`` exists and is not a folder.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"{out_dir}: exists and is not a folder; choose another --out")
    parent = out_dir if out_dir.exists() else out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=parent))
    staging.chmod(0o755)  # mkdtemp makes it private; these folders are shared with planners and finance
    try:
        for name, write in writers.items():
            write(staging / name)
        if not out_dir.exists():
            os.rename(staging, out_dir)
        else:
            for name in writers:
                os.replace(staging / name, out_dir / name)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def written_summary(folder: Path) -> dict[str, Any] | None:
    """The ``summary.json`` a folder holds, as written (None when it has none or it does not read)."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def beside(target: Path, outcome: str, usable: Callable[[Path], bool]) -> Path:
    """``<target>.<outcome>``, or the first of ``.2`` ... ``.9`` after it that is ``usable``.

    Why: a result that is not a valid plan must not replace the valid one in ``target``; it is solved
    already, so it must land somewhere rather than fail on a name someone else uses.
    """
    names = [f"{target.name}.{outcome}"] + [f"{target.name}.{outcome}.{n}" for n in range(2, 10)]
    for name in names:
        if usable(target.with_name(name)):
            return target.with_name(name)
    raise DataError(f"{target}: holds a valid plan and {names[0]} ... {names[-1]} are all taken; give another --out")


def may_take_a_plan(folder: Path) -> bool:
    """Whether a plan may be written to ``folder``: missing, empty or a plan's folder (``prepare_out_dir``)."""
    try:
        prepare_out_dir(folder)
    except DataError:
        return False
    return True


def holds_a_valid_plan(folder: Path) -> bool:
    """Whether ``folder`` holds a plan whose summary says it is a valid plan (as written, not re-checked)."""
    summary = written_summary(folder)
    if summary is None or summary.get("status") not in ("optimal", "feasible"):
        return False
    validation = summary.get("validation")
    return isinstance(validation, dict) and validation.get("ok") is True


def may_replace_with_any(folder: Path) -> bool:
    """Whether a result that is not a valid plan may go to ``folder``: it may take a plan and holds no valid one.

    Why: a side folder (``<name>.infeasible``) can be another scenario's folder holding its valid plan (a
    scenario file called ``x.infeasible.yaml``); a no-plan must never replace a valid plan, whosever it is.
    """
    return may_take_a_plan(folder) and not holds_a_valid_plan(folder)
