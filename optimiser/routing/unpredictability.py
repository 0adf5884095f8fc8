"""Unpredictable patrols: seeded day-to-day variation of visit windows and values, and how spread arrivals are.

Koper's hotspot guidance asks for random, intermittent presence: if a crew reaches a hotspot at the same
time every day, offenders learn it. :func:`vary_visits` perturbs each visit's start phase (its earliest
arrival) and, slightly, its value, differently per day but reproducibly per seed, so the router picks
other orders and times; :func:`predictability_by_hotspot` measures the result over a week.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from optimiser.routing.model import CandidateVisit


def _rng(seed: int, day: int, key: str) -> np.random.Generator:
    """Generator fixed by (seed, day, key); zlib.crc32 is stable across processes, unlike ``hash``."""
    return np.random.default_rng([seed & 0xFFFFFFFF, day & 0xFFFFFFFF, zlib.crc32(key.encode())])


def vary_visits(
    visits: Sequence[CandidateVisit],
    *,
    seed: int,
    day: int,
    phase_minutes: int = 60,
    value_jitter: float = 0.05,
) -> list[CandidateVisit]:
    """Candidate visits for one day with a random start phase and a small value jitter.

    Parameters
    ----------
    visits
        The day's candidate visits.
    seed, day
        Together they fix every draw: the same (seed, day) gives the same visits, another day other ones.
    phase_minutes
        Each visit's earliest arrival moves later by a uniform whole number of minutes in
        [0, phase_minutes], never past its latest arrival. Larger phases vary arrival times more but can
        make crews wait, which costs patrol value.
    value_jitter
        Each value is multiplied by a uniform factor in [1 - value_jitter, 1 + value_jitter], so near-ties
        between hotspots (and hence visit orders) break differently each day.

    Returns
    -------
    list[CandidateVisit]
        The perturbed visits, in input order.
    """
    if phase_minutes < 0 or not 0 <= value_jitter < 1:
        raise ValueError("phase_minutes must be >= 0 and value_jitter in [0, 1)")
    out = []
    for vis in visits:
        rng = _rng(seed, day, vis.visit_id)
        phase = int(rng.integers(0, phase_minutes + 1))
        factor = 1.0 + float(rng.uniform(-value_jitter, value_jitter))
        out.append(
            replace(
                vis,
                earliest_arrival=min(vis.earliest_arrival + phase, vis.latest_arrival),
                value=vis.value * factor,
            )
        )
    return out


def predictability_by_hotspot(
    arrivals: Mapping[str, Sequence[int]], *, period_minutes: int = 1440
) -> dict[str, dict[str, float]]:
    """How spread out the arrival times of day are at each hotspot (larger = less predictable).

    Parameters
    ----------
    arrivals
        Arrival times in absolute minutes per hotspot id (for example every visit start over a week).
    period_minutes
        Length of the cycle the times are folded onto; 1440 compares times of day.

    Returns
    -------
    dict[str, dict[str, float]]
        Per hotspot: ``visits`` (count), ``clock_range_minutes`` (shortest arc of the clock holding every
        arrival; 0 for a single visit) and ``circular_sd_minutes`` (circular standard deviation of the
        time of day, in minutes; capped at half the period).
    """
    out: dict[str, dict[str, float]] = {}
    for hotspot, times in arrivals.items():
        folded = sorted(int(t) % period_minutes for t in times)
        n = len(folded)
        if n == 0:
            out[hotspot] = {"visits": 0.0, "clock_range_minutes": 0.0, "circular_sd_minutes": 0.0}
            continue
        gaps = [b - a for a, b in itertools.pairwise(folded)]
        gaps.append(folded[0] + period_minutes - folded[-1])
        clock_range = float(period_minutes - max(gaps)) if n > 1 else 0.0
        angles = 2 * math.pi * np.asarray(folded, dtype=float) / period_minutes
        r = float(np.hypot(np.cos(angles).mean(), np.sin(angles).mean()))
        sd = math.sqrt(-2.0 * math.log(r)) * period_minutes / (2 * math.pi) if r > 1e-12 else math.inf
        out[hotspot] = {
            "visits": float(n),
            "clock_range_minutes": clock_range,
            "circular_sd_minutes": min(sd, period_minutes / 2),
        }
    return out
