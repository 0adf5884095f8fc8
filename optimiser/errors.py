"""Project errors: messages written for people, turned into one clear line by the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        The file the problem is in (as the user named it), or "" when not tied to a file.
    line : int | None
        1-based line number where known.
    field : str
        Dotted field path (``projects.sv.weekly_budget_gbp``) or column/row reference.
    message : str
        What is wrong and what to do about it.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """Render as ``file:line: field: message`` so editors can jump to it."""
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class PatrolError(Exception):
    """Base class of every error the CLI reports without a traceback.

    ``exit_code`` follows the design guide: 1 error, 2 usage or invalid input, 3 infeasible.
    """

    exit_code: int = 1


class ScenarioError(PatrolError):
    """A scenario file (or an override) is invalid; carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, "", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(PatrolError):
    """Input data (CSV, OSM extract, plan folder) is unreadable or inconsistent."""

    exit_code = 2


class InfeasibleError(PatrolError):
    """The rules cannot all hold at once; the message names the rules in conflict and the numbers."""

    exit_code = 3

    def __init__(self, explanation: str, *, conflicts: list[str] | None = None) -> None:
        self.explanation = explanation
        self.conflicts: list[str] = list(conflicts or [explanation])
        super().__init__(explanation)


class NetworkUnavailableError(PatrolError):
    """A download was asked for but the internet cannot be reached."""

    exit_code = 1
