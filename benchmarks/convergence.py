"""How robust is the saving? Compare strategies with each engine, then again at twice the budget.

Runs ``ruralroute compare SCENARIO --check-convergence`` once per engine (one after the other, or
side by side with ``--parallel``: each engine is single-threaded, so two fit a 2-core machine),
then prints one table and writes ``convergence.csv``: per engine, strategy and cost model, the
saving at the budget, the saving at twice the budget, how far it moved, and the spread between
engines. Long-running (Guoyang: about 15 minutes per engine); run by hand, never as a test.

    python benchmarks/convergence.py scenarios/guoyang/scenario.toml --out out/convergence \
        --engines ortools pyvrp --parallel
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

COST_MODELS = ("diesel", "electric")


def _command(scenario: Path, out: Path, engine: str, time_limit: float | None) -> list[str]:
    cmd = ["ruralroute", "compare", str(scenario), "--out", str(out), "--engine", engine,
           "--check-convergence"]
    for model in COST_MODELS:
        cmd += ["--cost-model", model]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    return cmd


def run(scenario: Path, out: Path, engines: list[str], *, parallel: bool,
        time_limit: float | None) -> dict[str, float]:
    """Run compare once per engine into ``out/<engine>``; return each engine's wall seconds."""
    started: dict[str, float] = {}
    walls: dict[str, float] = {}
    procs = []
    for engine in engines:
        started[engine] = time.perf_counter()
        proc = subprocess.Popen(_command(scenario, out / engine, engine, time_limit),
                                stdout=subprocess.DEVNULL)
        if parallel:
            procs.append((engine, proc))
            continue
        if proc.wait() != 0:
            sys.exit(f"compare with --engine {engine} failed (exit {proc.returncode})")
        walls[engine] = time.perf_counter() - started[engine]
    for engine, proc in procs:
        if proc.wait() != 0:
            sys.exit(f"compare with --engine {engine} failed (exit {proc.returncode})")
        walls[engine] = time.perf_counter() - started[engine]
    return walls


def table(out: Path, engines: list[str]) -> list[dict[str, str]]:
    """One row per engine, strategy and cost model, read from each run's convergence.csv."""
    rows = []
    for engine in engines:
        with (out / engine / "convergence.csv").open(encoding="utf-8") as fh:
            rows += [{"engine": engine, **row} for row in csv.DictReader(fh)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--engines", nargs="+", default=["ortools", "pyvrp"])
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--parallel", action="store_true",
                        help="run the engines side by side (one core each)")
    args = parser.parse_args()
    walls = run(args.scenario, args.out, args.engines, parallel=args.parallel,
                time_limit=args.time_limit)
    rows = table(args.out, args.engines)
    fields = list(rows[0])
    with (args.out / "convergence.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    print("| " + " | ".join(fields) + " |")
    print("|" + "---|" * len(fields))
    for row in rows:
        print("| " + " | ".join(row[f] for f in fields) + " |")
    print(", ".join(f"{e}: {w / 60:.1f} min wall" for e, w in walls.items()))


if __name__ == "__main__":
    main()
