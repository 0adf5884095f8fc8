"""Patrol routes per shift: team orienteering with time windows, breaks and crew restrictions.

The weekly roster hands over crews on shift and candidate visits; :func:`solve` picks and sequences the
visits that collect the most value, and every returned route passes :func:`check_routes`. The package does
no file or network I/O.
"""

from __future__ import annotations

from optimiser.routing.model import CandidateVisit, RoutingCrew, RoutingParams, RoutingResult, Stop
from optimiser.routing.schedule import check_routes
from optimiser.routing.solver import solve
from optimiser.routing.unpredictability import predictability_by_hotspot, vary_visits

__all__ = [
    "CandidateVisit",
    "RoutingCrew",
    "RoutingParams",
    "RoutingResult",
    "Stop",
    "check_routes",
    "predictability_by_hotspot",
    "solve",
    "vary_visits",
]
