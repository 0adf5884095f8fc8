"""patrol: hotspot patrol allocation optimiser (public API)."""

from __future__ import annotations

__version__ = "0.1.0"
