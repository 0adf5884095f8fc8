"""CP-SAT weekly roster: who works which shift and which hotspots each crew class covers, by half hour."""
