"""Staffing moves for the search that judges a roster by its routes (see ``pipeline._restaff``).

The roster model chooses shifts by a relaxation that over-credits what crews can route (it counts
visits per half hour, not routes), so two rosters it scores alike can route hundreds of dosage units
apart: a crew on 15:00-23:00 misses the first hour after midnight, which is the first visit of a new
day at a night hotspot. The route stage can tell them apart; this module answers the staffing
question for it: *can one crew move from this group to that one (or be added) with every staffing
rule still holding, and who would work it?*

:class:`StaffingOracle` keeps the roster model's staffing rules alone (no visit buckets: small and
quick) and solves them with every shift outside the groups a move touches frozen, choosing the cheapest
people for the touched groups. Rules are the roster model's own ``define_<rule>`` functions, so a move
the oracle allows is one the roster model could have chosen; the independent validator checks the plan
again before it is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from ortools.sat.python import cp_model

from optimiser import cpsat
from optimiser.instance import ProblemData
from optimiser.roster.model import Pin, build_model

#: CP-SAT's deterministic time for one staffing question (answers take milliseconds; this is a cap).
QUESTION_DETERMINISTIC_TIME = 1.0


class StaffingOracle:
    """The week's staffing rules (budget, contracts, working time, crewing, pins), asked one move at a time."""

    def __init__(self, data: ProblemData, *, pin: Pin | None = None, seed: int = 0) -> None:
        self._data = data
        self._seed = seed
        built = build_model(data, pin=pin, with_visits=False)
        self._model = built.model
        self._vars = built.vars
        for literal in built.vars.assumptions.values():
            self._model.add(literal == 1)
        self.group_of: dict[int, int] = {
            i: g for g, group in enumerate(data.groups) for indices in group.options_by_role.values() for i in indices
        }

    def staff(self, shifts: Collection[int], crews: Mapping[int, int], touched: Collection[int]) -> list[int] | None:
        """The shifts worked with crew counts ``crews``, or None when no staffing satisfies the rules.

        Every shift outside the ``touched`` groups stays as in ``shifts``; inside them the cheapest
        people who can work (each shift's cost bound, so overtime spend is kept down) are chosen.
        """
        model = self._model.clone()
        current = set(shifts)
        touched = set(touched)

        def var(literal: cp_model.IntVar) -> cp_model.IntVar:
            return model.get_int_var_from_proto_index(literal.index)

        for g, count_var in self._vars.crews.items():
            model.add(var(count_var) == crews.get(g, 0))
        costs = []
        for index, shift_var in self._vars.shift.items():
            if self.group_of.get(index) in touched:
                costs.append((var(shift_var), self._data.options[index].cost_pence))
            else:
                model.add(var(shift_var) == (1 if index in current else 0))
        if costs:
            model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in costs], [c for _, c in costs]))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self._seed
        solver.parameters.max_deterministic_time = QUESTION_DETERMINISTIC_TIME
        status = cpsat.solve(solver, model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return sorted(i for i, shift_var in self._vars.shift.items() if solver.value(shift_var))


def fairness_penalty(data: ProblemData, shifts: Collection[int]) -> float:
    """The spread soft terms of a set of shifts, as the contract counts them (rostered people, by role).

    Mirrors ``recompute_summary``: per role, (most - least) paid hours, night shifts and weekend shifts
    among the people who work at least one shift, each times its weight.
    """
    weights = data.scenario.soft_weights
    if weights.hours_spread <= 0 and weights.nights_spread <= 0 and weights.weekends_spread <= 0:
        return 0.0
    hours: dict[str, float] = defaultdict(float)
    nights: dict[str, int] = defaultdict(int)
    weekends: dict[str, int] = defaultdict(int)
    role_of: dict[str, str] = {}
    for index in shifts:
        option = data.options[index]
        role_of[option.person] = option.role
        hours[option.person] += option.paid_minutes / 60
        nights[option.person] += int(option.night)
        weekends[option.person] += int(option.weekend)

    def spread(counts: Mapping[str, float]) -> float:
        total = 0.0
        for role in sorted(set(role_of.values())):
            values = [counts[p] for p, r in role_of.items() if r == role]
            total += max(values) - min(values)
        return total

    return (
        weights.hours_spread * spread(hours)
        + weights.nights_spread * spread(nights)
        + weights.weekends_spread * spread(weekends)
    )
