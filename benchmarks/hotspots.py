"""Hotspot speed (load + detect on every shipped police.uk month) and, on request, the PAI table.

Speed: ``optimiser.incidents.load`` on all shipped Cleveland street files (21 months, 2023-12..2025-08,
155,996 rows), then ``optimiser.hotspots.detect`` with the defaults (150 m grid, the programme's K per
district, joint merge) over all those months. The same run also times bare ``pandas.read_csv`` of the
same files as a baseline, so the cost of the checks, the projection and the detection shows as a
ratio. Each is run ``--repeat`` times and the best is reported (least disturbed by other work on a
shared machine). Required: load + detect under 5 s on 2 cores; the exit code is 1 otherwise.

Quality (``--pai``): ``optimiser.hotspots.evaluate`` detects on 2023-12..2024-11 and scores
2024-12..2025-08 for the default methods and K values, each next to the equal-area baseline (150 m
cells by count), prints the table and writes it as CSV.

    python benchmarks/hotspots.py
    python benchmarks/hotspots.py --pai --out benchmarks/results/hotspots_pai.csv
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser import hotspots, incidents

REQUIRED_SECONDS = 5.0


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bare_read(files: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported (default 3)")
    parser.add_argument("--pai", action="store_true", help="also print the PAI evaluation table")
    parser.add_argument("--out", type=Path, help="CSV for the PAI table (with --pai)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    files = incidents.street_files()
    force = incidents.load_force_area()
    best: dict[str, tuple[float, float]] = {}
    rows = kept = 0
    found: hotspots.HotspotList | None = None
    for _ in range(args.repeat):
        raw, wall, cpu = timed(bare_read, files)
        best["read_csv"] = min(best.get("read_csv", (1e9, 1e9)), (wall, cpu))
        (frame, report), wall_load, cpu_load = timed(incidents.load, files)
        found, wall_detect, cpu_detect = timed(hotspots.detect, frame, force_area=force)
        best["load"] = min(best.get("load", (1e9, 1e9)), (wall_load, cpu_load))
        best["detect"] = min(best.get("detect", (1e9, 1e9)), (wall_detect, cpu_detect))
        best["load+detect"] = min(best.get("load+detect", (1e9, 1e9)), (wall_load + wall_detect, cpu_load + cpu_detect))
        rows, kept = report.rows_read, report.rows_kept
        assert len(raw) == rows
    assert found is not None
    total_wall = best["load+detect"][0]
    print(f"Hotspot speed: {len(files)} files, {rows:,} rows read, {kept:,} kept; {len(found)} hotspots")
    print(f"{'stage':<12} {'wall s':>8} {'cpu s':>8}")
    for stage in ("read_csv", "load", "detect", "load+detect"):
        wall, cpu = best[stage]
        print(f"{stage:<12} {wall:>8.3f} {cpu:>8.3f}")
    print(f"rows per second (load + detect, wall): {rows / total_wall:,.0f}")
    print(f"load + detect / bare read_csv: {total_wall / best['read_csv'][0]:.2f}x")
    ok = total_wall < REQUIRED_SECONDS
    print(f"required: under {REQUIRED_SECONDS:.0f} s -> {'PASS' if ok else 'FAIL'} ({total_wall:.2f} s)")

    if args.pai:
        frame, _ = incidents.load(files)
        table = hotspots.evaluate(frame, train="2023-12:2024-11", test="2024-12:2025-08", force_area=force)
        print()
        print(hotspots.format_evaluation(table))
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(args.out, index=False, float_format="%.4f")
            print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
