"""Measure how a solve scales with the number of villages: time per step and peak memory.

Each size runs in its own Python process (so peak memory is that size's alone) on the shipped
region scenario ``scenarios/anhui/scenario.toml``: the N villages nearest the centre of all
villages, their nearest county hubs, and each hub's vans sized to its villages' parcels. Steps:
read roads (whole tile), snap, matrices (no cache), solve, and write the reports and map.

Run (a few minutes; the machine has 2 cores, so run nothing else meanwhile)::

    python benchmarks/scale.py --sizes 200 800 1800 --engine pyvrp --time-limit 60 \\
        --out benchmarks/results/scale.csv

Peak memory is the process's maximum resident set size (``getrusage``) after each step, so a
column holds the peak of that step and every step before it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.builder import VanSpec, nearest_of
from routing.inputs import load_scenario
from routing.pipeline import Timings, locate, settings_for
from routing.reports import write_strategy_reports
from routing.strategies import run_strategy

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "scenarios" / "anhui" / "scenario.toml"
STEPS = ("read roads", "snap", "matrices", "solve", "map")
COLUMNS = ("stops", "hubs", "vans", "engine", "time_limit_s",
           *(f"{s.replace(' ', '_')}_s" for s in STEPS),
           *(f"peak_mb_after_{s.replace(' ', '_')}" for s in STEPS),
           "total_s", "routes", "km", "unserved", "map_mb")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(size: int, *, engine: str, time_limit_s: float, scenario: Path) -> dict[str, object]:
    """Plan the ``size`` villages nearest the region's centre; return timings and peaks."""
    region = load_scenario(scenario)
    lon = sum(s.lon for s in region.stops) / len(region.stops)
    lat = sum(s.lat for s in region.stops) / len(region.stops)
    stops = list(region.stops)
    order = sorted(range(len(stops)), key=lambda k: (
        (stops[k].lon - lon) ** 2 + (stops[k].lat - lat) ** 2, stops[k].id))
    chosen = tuple(stops[k] for k in sorted(order[:size]))
    hub_of = nearest_of(region.depots, chosen)
    van = VanSpec()
    depots, types = [], []
    for k, depot in enumerate(region.depots):
        mine = [s for s, h in zip(chosen, hub_of, strict=True) if h == k]
        if not mine:
            continue
        depots.append(depot)
        (vt,) = [v for v in region.vehicle_types if v.depot == depot.id]
        types.append(dataclasses.replace(vt, count=van.count_for(sum(s.parcels for s in mine))))
    sc = dataclasses.replace(region, stops=chosen, depots=tuple(depots),
                             vehicle_types=tuple(types))

    seconds: dict[str, float] = {}
    peaks: dict[str, float] = {}

    def hook(name: str, elapsed: float | None) -> None:
        if elapsed is not None:
            seconds[name] = seconds.get(name, 0.0) + elapsed
            peaks[name] = _peak_mb()

    settings = settings_for(sc, time_limit_s=time_limit_s)
    # Every hub with its own vans in one problem (multi-depot): the consolidated strategy.
    timings = Timings(hook=hook)
    geography = locate(sc, timings=timings, cache_dir=None)
    with timings.step("solve"):
        result = run_strategy(sc, "consolidated", settings, engine=engine, geography=geography)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_strategy_reports(result, Path(out), seed=settings.seed, engine=engine)
        seconds["map"] = time.perf_counter() - started
        peaks["map"] = _peak_mb()
        map_mb = (Path(out) / "map.html").stat().st_size / 2**20
    kpis = result.kpis()
    row: dict[str, object] = {
        "stops": len(chosen), "hubs": len(depots), "vans": sum(t.count for t in types),
        "engine": engine, "time_limit_s": time_limit_s}
    for step in STEPS:
        key = step.replace(" ", "_")
        row[f"{key}_s"] = round(seconds.get(step, float("nan")), 2)
        row[f"peak_mb_after_{key}"] = round(peaks.get(step, float("nan")))
    row.update(total_s=round(sum(seconds.values()), 1), routes=kpis["trips"],
               km=round(kpis["distance_km"]), unserved=kpis["stops_unserved"],
               map_mb=round(map_mb, 2))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 800, 1800])
    parser.add_argument("--engine", default="pyvrp")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--scenario", type=Path, default=REGION)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.csv")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        row = run_size(args.child, engine=args.engine, time_limit_s=args.time_limit,
                       scenario=args.scenario)
        print(json.dumps(row))
        return

    console = Console(width=160)
    rows = []
    for size in args.sizes:
        console.print(f"[dim]… {size} stops[/dim]")
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--engine", args.engine,
             "--time-limit", str(args.time_limit), "--scenario", str(args.scenario)],
            capture_output=True, text=True, check=False)
        if done.returncode != 0:
            console.print(done.stderr[-2000:], markup=False)
            raise SystemExit(f"size {size} failed")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))

    table = Table(title=f"Scale: {args.scenario.name}, {args.engine}, "
                        f"time limit {args.time_limit:g} s", title_justify="left")
    for column in ("stops", "hubs", "vans", *(f"{s} s" for s in STEPS), "total s",
                   "peak MB", "routes", "km", "unserved", "map MB"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(str(r["stops"]), str(r["hubs"]), str(r["vans"]),
                      *(f"{r[s.replace(' ', '_') + '_s']:.1f}" for s in STEPS),
                      f"{r['total_s']:.0f}", f"{r['peak_mb_after_map']:,}", str(r["routes"]),
                      f"{r['km']:,}", str(r["unserved"]), f"{r['map_mb']:.1f}")
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
