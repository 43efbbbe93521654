"""The region at scale, side by side: decomposed against one monolithic search, and growth.

Runs the shipped region scenario ``scenarios/anhui/scenario.toml`` (consolidated, one hub per
county seat) in a fresh Python process per run, so each run's peak memory is its own:

* the whole region (every village) at ``--time-limit`` with each of ``--seeds``, decomposed
  (``--decompose``) and monolithic (``--no-decompose``), alternating so that both see the same
  machine;
* the ``--sizes`` villages nearest the centre of all villages (with their hubs and each hub's
  vans sized to its villages, as :func:`subset`), decomposed and not, with the first seed.

Each run records its steps' seconds (read roads, snap, matrices, solve, reports with the map),
its peak resident memory (of the run's process, and of the largest process it forked: matrix
workers, cluster searches, ``auto``'s partner search; forked pages are shared until written), the
plan's km (the region's objective is distance), vehicles, trips
and unserved villages. Prints a table, writes a CSV and a Markdown table.

Run (about 20 minutes; the machine has 2 cores, so run nothing else meanwhile)::

    python benchmarks/region.py --time-limit 60 --seeds 1 2 3 --sizes 200 800 \\
        --out benchmarks/results/region.csv
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.builder import VanSpec, nearest_of
from routing.inputs import Scenario, load_scenario
from routing.pipeline import Timings, locate, settings_for
from routing.reports import write_strategy_reports
from routing.strategies import run_strategy

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "scenarios" / "anhui" / "scenario.toml"
STEPS = ("read roads", "snap", "matrices", "solve", "reports")
COLUMNS = ("mode", "villages", "hubs", "vans", "seed", "time_limit_s",
           *(f"{s.replace(' ', '_')}_s" for s in STEPS), "total_s", "peak_mb", "peak_child_mb",
           "km", "vehicles", "trips", "unserved")


def subset(region: Scenario, size: int) -> Scenario:
    """The ``size`` villages nearest the centre of all villages, the hubs nearest them (straight
    line) and each hub's vans sized to those villages' parcels; the whole region if ``size``
    covers it."""
    stops = list(region.stops)
    if size >= len(stops):
        return region
    lon = sum(s.lon for s in stops) / len(stops)
    lat = sum(s.lat for s in stops) / len(stops)
    order = sorted(range(len(stops)), key=lambda k: (
        (stops[k].lon - lon) ** 2 + (stops[k].lat - lat) ** 2, stops[k].id))
    chosen = tuple(stops[k] for k in sorted(order[:size]))
    hub_of = nearest_of(region.depots, chosen)
    van = VanSpec()
    depots, types = [], []
    for k, depot in enumerate(region.depots):
        mine = [s for s, h in zip(chosen, hub_of, strict=True) if h == k]
        if mine:
            depots.append(depot)
            (vt,) = [v for v in region.vehicle_types if v.depot == depot.id]
            types.append(dataclasses.replace(
                vt, count=van.count_for(sum(s.parcels for s in mine))))
    return dataclasses.replace(region, stops=chosen, depots=tuple(depots),
                               vehicle_types=tuple(types))


def run_one(scenario_file: Path, *, size: int, decompose: bool, seed: int,
            time_limit_s: float) -> dict[str, object]:
    """One run in this process: locate, solve, write the reports; its timings and peak."""
    sc = subset(load_scenario(scenario_file), size)
    seconds: dict[str, float] = {}

    def hook(name: str, elapsed: float | None) -> None:
        if elapsed is not None:
            seconds[name] = seconds.get(name, 0.0) + elapsed

    settings = settings_for(sc, time_limit_s=time_limit_s, seed=seed, decompose=decompose)
    timings = Timings(hook=hook)
    geography = locate(sc, timings=timings, cache_dir=None, decompose=decompose)
    started = time.perf_counter()
    result = run_strategy(sc, "consolidated", settings, geography=geography)
    seconds["solve"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_strategy_reports(result, Path(out), seed=seed, engine=sc.solver.engine)
        seconds["reports"] = time.perf_counter() - started
    kpis = result.kpis()
    row: dict[str, object] = {
        "mode": "decomposed" if decompose else "monolithic", "villages": len(sc.stops),
        "hubs": len(sc.depots), "vans": sum(t.count for t in sc.vehicle_types), "seed": seed,
        "time_limit_s": time_limit_s}
    for step in STEPS:
        row[f"{step.replace(' ', '_')}_s"] = round(seconds.get(step, float("nan")), 2)
    row.update(total_s=round(sum(seconds.get(s, 0.0) for s in STEPS), 1),
               peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               peak_child_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
               km=kpis["distance_km"], vehicles=kpis["vehicles"], trips=kpis["trips"],
               unserved=kpis["stops_unserved"])
    return row


def _child(args: argparse.Namespace, size: int, decompose: bool, seed: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", str(size), "--child-seed", str(seed),
               "--time-limit", str(args.time_limit), "--scenario", str(args.scenario),
               "--decompose" if decompose else "--no-decompose"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{size} villages, seed {seed}, decompose={decompose} failed:\n"
                         f"{done.stderr[-2000:]}")
    row: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def _table(rows: list[dict[str, object]], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("mode", "villages", "seed", *(f"{s} s" for s in STEPS), "total s",
                   "peak MB", "child MB", "km", "vehicles", "trips", "unserved"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(str(r["mode"]), str(r["villages"]), str(r["seed"]),
                      *(f"{float(str(r[s.replace(' ', '_') + '_s'])):.1f}" for s in STEPS),
                      f"{float(str(r['total_s'])):.0f}", f"{r['peak_mb']:,}",
                      f"{r['peak_child_mb']:,}",
                      f"{float(str(r['km'])):,.1f}", str(r["vehicles"]), str(r["trips"]),
                      str(r["unserved"]))
    return table


def summary(rows: list[dict[str, object]]) -> str:
    """Mean km of each mode over the whole-region runs, and their ratio."""
    full = max(int(str(r["villages"])) for r in rows)
    mean = {mode: statistics.mean(float(str(r["km"])) for r in rows
                                  if r["mode"] == mode and r["villages"] == full)
            for mode in ("decomposed", "monolithic")}
    return (f"whole region ({full} villages): decomposed {mean['decomposed']:,.1f} km, "
            f"monolithic {mean['monolithic']:,.1f} km (means over seeds): ratio "
            f"{mean['decomposed'] / mean['monolithic']:.3f}")


def markdown(rows: list[dict[str, object]]) -> str:
    head = ["mode", "villages", "seed", *(f"{s} s" for s in STEPS), "total s", "peak MB",
            "child MB", "km", "vehicles", "trips", "unserved"]
    keys = ["mode", "villages", "seed", *(f"{s.replace(' ', '_')}_s" for s in STEPS),
            "total_s", "peak_mb", "peak_child_mb", "km", "vehicles", "trips", "unserved"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 800])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--scenario", type=Path, default=REGION)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "region.csv")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--decompose", action=argparse.BooleanOptionalAction, default=True,
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.scenario, size=args.child, decompose=args.decompose,
                                 seed=args.child_seed, time_limit_s=args.time_limit)))
        return
    console = Console(width=170)
    whole = len(load_scenario(args.scenario).stops)
    plan = [(whole, mode, seed) for seed in args.seeds for mode in (True, False)]
    plan += [(size, mode, args.seeds[0]) for size in args.sizes for mode in (True, False)]
    rows = []
    for size, mode, seed in plan:
        console.print(f"[dim]… {size} villages, seed {seed}, "
                      f"{'decomposed' if mode else 'monolithic'}[/dim]")
        rows.append(_child(args, size, mode, seed))
    console.print(_table(rows, f"Region: {args.scenario.name}, time limit "
                               f"{args.time_limit:g} s, {time.strftime('%Y-%m-%d')}"))
    console.print(summary(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    args.out.with_suffix(".md").write_text(markdown(rows) + "\n\n" + summary(rows) + "\n",
                                           encoding="utf-8")
    console.print(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
