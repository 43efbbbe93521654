"""Run engines on VRPLIB instances; write a CSV of runs and a markdown summary of the gaps.

Run (one suite at a time: the machine has 2 cores and ``auto``/``ortools-parallel`` use both)::

    python benchmarks/cvrplib_suite.py ../shared/data/cvrplib ../shared/data/solomon \\
        --split benchmarks/split.toml --part test \\
        --engines ortools pyvrp auto --time-limits 10 60 --out-dir benchmarks/results

Arguments are instance files or folders (every CVRPLIB ``.vrp`` and Solomon ``.txt`` inside);
``--split``/``--part`` keep the instances the split file lists for that part. Engines alternate
per instance so they meet the same machine load; the summary gives per set (CVRP, VRPTW), limit
and engine the mean gap and the geometric-mean cost ratio against ``pyvrp`` in the same run.
``--jobs N`` runs N single-core engine runs at once in separate processes (refused for the
engines that use both cores themselves).

OR-Tools' own search settings are tuned by ``ortools_tuning.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.reports.terminal import text_table
from routing.research import (
    TABLE_HEADER,
    BenchResult,
    instance_paths,
    markdown_table,
    read_instance,
    read_split,
    run_instance,
    select_split,
    summary_header,
    summary_markdown,
    summary_rows,
    summary_table_rows,
    table_rows,
    write_bench_csv,
)
from routing.solving import ENGINES, OrToolsParallelEngine, SolveSettings

#: Measured but not shipped: two OR-Tools configurations on the two cores.
ENGINES.setdefault("ortools-parallel", OrToolsParallelEngine)

#: Engines that use both cores themselves: never run side by side (``--jobs``).
MULTI_CORE = frozenset({"auto", "ortools-parallel"})


@dataclasses.dataclass(frozen=True)
class Job:
    """One engine run on one instance file, as sent to a worker process."""

    path: Path
    engine: str
    time_limit_s: float
    seed: int


def run_job(job: Job) -> BenchResult:
    """Read the instance and solve it with the job's engine (read inside the call, so a worker
    process does the same)."""
    settings = SolveSettings(time_limit_s=job.time_limit_s, seed=job.seed)
    return run_instance(read_instance(job.path), job.engine, settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="instance files or folders")
    parser.add_argument("--engines", nargs="+", default=["ortools", "pyvrp", "auto"])
    parser.add_argument("--time-limits", nargs="+", type=float, default=[10.0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", type=Path, default=None,
                        help="split file, e.g. benchmarks/split.toml (with --part)")
    parser.add_argument("--part", default=None, help="part of the split to run: train or test")
    parser.add_argument("--jobs", type=int, default=1,
                        help="single-core engine runs at once, in separate processes")
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--tag", default="", help="suffix of the output file names")
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        parser.error(f"--engines: unknown {', '.join(unknown)}; choose from "
                     f"{', '.join(sorted(ENGINES))}")
    if (args.split is None) != (args.part is None):
        parser.error("--split and --part go together")
    if args.jobs < 1:
        parser.error(f"--jobs: must be >= 1, got {args.jobs}")
    both = sorted(MULTI_CORE.intersection(args.engines))
    if args.jobs > 1 and both:
        parser.error(f"--jobs {args.jobs}: {', '.join(both)} use both cores themselves; "
                     "run them with --jobs 1")


def _paths(args: argparse.Namespace) -> list[Path]:
    """The instance files to run: every one given, or those of the split's part."""
    paths = instance_paths(args.paths)
    if args.split is None:
        return paths
    chosen, missing = select_split(paths, read_split(args.split, args.part))
    if missing:
        print(f"warning: {len(missing)} instances of {args.split} [{args.part}] not given: "
              f"{', '.join(missing)}", file=sys.stderr)
    if not chosen:
        sys.exit(f"error: {args.split}: {args.part}: none of its instances is in the given paths")
    return chosen


def _run(jobs: Sequence[Job], workers: int) -> list[BenchResult]:
    """Run ``jobs`` in order (``workers`` at a time in spawned processes) and report each."""
    def report(result: BenchResult) -> BenchResult:
        print(f"{result.time_limit_s:>5g} s {result.engine:<20} {result.instance:<12} "
              f"gap {result.gap_pct} % feasible {result.feasible}", flush=True)
        return result

    if workers == 1:
        return [report(run_job(job)) for job in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: list[Future[BenchResult]] = [pool.submit(run_job, job) for job in jobs]
        return [report(future.result()) for future in futures]


def _markdown(results: Sequence[BenchResult], args: argparse.Namespace, load: str) -> str:
    split = f"{args.split} [{args.part}]" if args.split else "none (all given instances)"
    head = (f"Measured {datetime.date.today().isoformat()}, seed {args.seed}, "
            f"--jobs {args.jobs}; split: {split}; {load}.")
    sections = [head, f"## Summary\n\n{summary_markdown(summary_rows(results))}\n"]
    for limit in args.time_limits:
        mine = [r for r in results if r.time_limit_s == limit]
        order = {engine: i for i, engine in enumerate(dict.fromkeys(r.engine for r in mine))}
        mine.sort(key=lambda r: (r.kind, order[r.engine]))
        sections.append(f"## {limit:g} s per instance\n\n{markdown_table(mine)}\n")
    return "\n\n".join(sections)


def _print_tables(results: Sequence[BenchResult], title: str) -> None:
    console = Console()
    rows = [[*row, f"{result.time_limit_s:g}"]
            for result, row in zip(results, table_rows(results), strict=True)]
    console.print(text_table(title, (*TABLE_HEADER, "limit s"), rows), crop=False)
    console.print(text_table("Summary: means per set, limit and engine (cost ratio: same run "
                              "only)", summary_header(), summary_table_rows(summary_rows(results))),
                  crop=False)


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    _check_args(parser, args)
    paths = _paths(args)
    for path in paths:
        read_instance(path)  # fail on a bad file before any solve
    # Engines alternate per instance so that they share similar machine conditions.
    jobs = [Job(path, engine, limit, args.seed) for limit in args.time_limits
            for path in paths for engine in dict.fromkeys(args.engines)]
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results = _run(jobs, args.jobs)
    # Wall-clock limits: other work on the machine means fewer search iterations; say how busy.
    load = f"1-min load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    stem = "results" + (f"-{args.tag}" if args.tag else "")
    write_bench_csv(results, args.out_dir / f"{stem}.csv")
    (args.out_dir / f"{stem}.md").write_text(_markdown(results, args, load))
    _print_tables(results, f"VRPLIB suite ({time.perf_counter() - started:.0f} s, {load})")
    print(f"wrote {args.out_dir / (stem + '.csv')} and {args.out_dir / (stem + '.md')}")


if __name__ == "__main__":
    main()
