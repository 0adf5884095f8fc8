"""Writing a set of output files so that a failure never leaves a half-written set.

Why: hotspot refreshes and annual budget plans each write several files that are read together, into
a folder that may hold other files; a crash or a full disk half-way must leave the previous set, not a
mixture. (A plan folder is replaced whole instead: ``optimiser.plan.write_plan``.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from optimiser.errors import DataError


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
