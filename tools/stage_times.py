#!/usr/bin/env python
"""Sum Snakemake's benchmark files per data set and stage: jobs, seconds, peak memory.

Every heavy rule writes a benchmark TSV (``s``, ``max_rss`` in MB, ``cpu_time``)
under ``benchmarks/<dataset>/<stage>/...``. This prints one Markdown row per
(data set, stage) and a total, plus the wall time of the whole run when a
Snakemake log is given (first and last time stamp in it).

    python tools/stage_times.py benchmarks --log .snakemake/log/<run>.snakemake.log
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path


def read_benchmarks(root: Path) -> dict[tuple[str, str], dict]:
    """``{(dataset, stage): {"jobs", "seconds", "cpu", "max_rss"}}`` from every ``*.tsv`` under ``root``."""
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"jobs": 0, "seconds": 0.0, "cpu": 0.0, "max_rss": 0.0})
    for path in sorted(root.rglob("*.tsv")):
        rel = path.relative_to(root).parts
        dataset = rel[0] if len(rel) > 1 else "-"
        stage = rel[1] if len(rel) > 2 else Path(rel[-1]).stem
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if not rows:
            continue
        r = rows[-1]
        agg = out[(dataset, stage)]
        agg["jobs"] += 1
        agg["seconds"] += float(r["s"])
        agg["cpu"] += float(r.get("cpu_time") or 0.0)
        rss = r.get("max_rss", "NA")
        if rss not in ("NA", "-", ""):
            agg["max_rss"] = max(agg["max_rss"], float(rss))
    return dict(out)


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")


def log_wall_seconds(log: Path) -> float | None:
    """Seconds between the first and the last ``[Sat Nov 21 23:35:33 2026]`` stamp of a Snakemake log."""
    stamps = []
    with open(log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = _STAMP.match(line)
            if m:
                stamps.append(datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y"))
    if len(stamps) < 2:
        return None
    return (stamps[-1] - stamps[0]).total_seconds()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("benchmarks", type=Path, help="the benchmarks folder of a run (paths.benchmarks)")
    p.add_argument("--log", type=Path, default=None, help="the run's Snakemake log, for its wall time")
    a = p.parse_args(argv)
    if not a.benchmarks.is_dir():
        print(f"stage_times: {a.benchmarks}: not a folder", file=sys.stderr)
        return 2
    table = read_benchmarks(a.benchmarks)
    print("| data set | stage | jobs | job seconds | CPU seconds | peak MB (largest job) |")
    print("|---|---|---|---|---|---|")
    tot = {"jobs": 0, "seconds": 0.0, "cpu": 0.0}
    for (dataset, stage), r in sorted(table.items()):
        print(f"| {dataset} | {stage} | {r['jobs']} | {r['seconds']:.0f} | {r['cpu']:.0f} | {r['max_rss']:.0f} |")
        for k in tot:
            tot[k] += r[k]
    print(f"| all | all | {tot['jobs']} | {tot['seconds']:.0f} | {tot['cpu']:.0f} | |")
    if a.log:
        wall = log_wall_seconds(a.log)
        if wall is not None:
            print(f"\nwall time of the run ({a.log.name}): {wall:.0f} s = {wall / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
