"""Tune the OR-Tools engine: run candidate configurations on one part of the benchmark split.

Each candidate is a first-solution strategy, a metaheuristic and an
:class:`~routing.solving.engines.ortools_search.OrToolsTuning` (search parameters in protobuf
text format). Every (candidate, instance) run is one single-core OR-Tools
search; ``--jobs 2`` runs two at a time on the two cores. Tune on ``--part train`` only; the
chosen candidate becomes ``TUNED`` in ``routing/solving/engines/ortools_search.py`` and is
reported on ``--part test`` by ``cvrplib_suite.py``::

    python benchmarks/ortools_tuning.py ../shared/data/cvrplib ../shared/data/solomon \\
        --split benchmarks/split.toml --part train --time-limit 10 --jobs 2 \\
        --candidates base lambda0.2 close-lns --out-dir benchmarks/results

It prints, per candidate and instance set, the mean gap to the best known and the geometric
mean of the candidate's cost over the first candidate's (``bench``'s summary, with each candidate
as an engine), and writes every run to a CSV.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console

from routing.reports.terminal import text_table
from routing.research import (
    BenchResult,
    instance_paths,
    read_instance,
    read_split,
    run_instance,
    select_split,
    summary_header,
    summary_rows,
    summary_table_rows,
    write_bench_csv,
)
from routing.research.bench import BenchInstance
from routing.solving import OrToolsEngine, OrToolsTuning, SolveSettings


@dataclass(frozen=True)
class Candidate:
    """One OR-Tools configuration to measure."""

    first_solution: str = "SAVINGS"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    tuning: OrToolsTuning = field(default_factory=OrToolsTuning)


CLOSE_LNS = """
local_search_operators {
  use_global_cheapest_insertion_close_nodes_lns: BOOL_TRUE
  use_local_cheapest_insertion_close_nodes_lns: BOOL_TRUE
}
"""
PATH_LNS = """
local_search_operators { use_path_lns: BOOL_TRUE use_inactive_lns: BOOL_TRUE }
"""
CHAIN_LNS = """
local_search_operators {
  use_global_cheapest_insertion_expensive_chain_lns: BOOL_TRUE
  use_local_cheapest_insertion_expensive_chain_lns: BOOL_TRUE
}
"""
MORE_MOVES = """
local_search_operators { use_relocate_neighbors: BOOL_TRUE use_cross_exchange: BOOL_TRUE }
"""

#: The candidates by name; ``base`` is OR-Tools' defaults with SAVINGS and guided local search
#: (each candidate is a complete configuration, not a change to ``TUNED``).
CANDIDATES: dict[str, Candidate] = {
    "base": Candidate(),
    "lambda0.05": Candidate(tuning=OrToolsTuning(
        search="guided_local_search_lambda_coefficient: 0.05")),
    "lambda0.2": Candidate(tuning=OrToolsTuning(
        search="guided_local_search_lambda_coefficient: 0.2")),
    "lambda0.3": Candidate(tuning=OrToolsTuning(
        search="guided_local_search_lambda_coefficient: 0.3")),
    "close-lns": Candidate(tuning=OrToolsTuning(search=CLOSE_LNS)),
    "close-lns10": Candidate(tuning=OrToolsTuning(
        search=CLOSE_LNS + "heuristic_close_nodes_lns_num_nodes: 10")),
    "path-lns": Candidate(tuning=OrToolsTuning(search=PATH_LNS)),
    "chain-lns": Candidate(tuning=OrToolsTuning(search=CHAIN_LNS)),
    "more-moves": Candidate(tuning=OrToolsTuning(search=MORE_MOVES)),
    "neighbours30": Candidate(tuning=OrToolsTuning(
        search="ls_operator_neighbors_ratio: 0.3 ls_operator_min_neighbors: 30")),
    "lci": Candidate(first_solution="LOCAL_CHEAPEST_INSERTION"),
    "pci": Candidate(first_solution="PARALLEL_CHEAPEST_INSERTION"),
    "christofides": Candidate(first_solution="CHRISTOFIDES"),
    "lns-1s": Candidate(tuning=OrToolsTuning(search="lns_time_limit { seconds: 1 }")),
    "close-lns15": Candidate(tuning=OrToolsTuning(
        search=CLOSE_LNS + "heuristic_close_nodes_lns_num_nodes: 15")),
    "close-lns25": Candidate(tuning=OrToolsTuning(
        search=CLOSE_LNS + "heuristic_close_nodes_lns_num_nodes: 25")),
    "close-lns40": Candidate(tuning=OrToolsTuning(
        search=CLOSE_LNS + "heuristic_close_nodes_lns_num_nodes: 40")),
    "close+lambda0.2": Candidate(tuning=OrToolsTuning(
        search=CLOSE_LNS + "guided_local_search_lambda_coefficient: 0.2")),
    "close+moves": Candidate(tuning=OrToolsTuning(search=CLOSE_LNS + MORE_MOVES)),
    "close+pci": Candidate(first_solution="PARALLEL_CHEAPEST_INSERTION",
                           tuning=OrToolsTuning(search=CLOSE_LNS)),
    "close+moves+pci": Candidate(first_solution="PARALLEL_CHEAPEST_INSERTION",
                                 tuning=OrToolsTuning(search=CLOSE_LNS + MORE_MOVES)),
}


def select(folders: list[Path], split: Path, part: str) -> list[Path]:
    """The instance files of ``part`` of ``split``, looked up by stem in ``folders``."""
    chosen, missing = select_split(instance_paths(folders), read_split(split, part))
    if missing:
        raise SystemExit(f"{split}: {part}: no file for {', '.join(missing)} in the folders given")
    return chosen


def _run(task: tuple[str, Candidate, BenchInstance, float]) -> BenchResult:
    """One candidate on one instance, labelled with the candidate's name as its engine."""
    name, candidate, instance, limit = task
    settings = SolveSettings(time_limit_s=limit, first_solution=candidate.first_solution,
                             metaheuristic=candidate.metaheuristic)
    return replace(run_instance(instance, OrToolsEngine(candidate.tuning), settings),
                   engine=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--split", type=Path, default=Path("benchmarks/split.toml"))
    parser.add_argument("--part", choices=("train", "test"), default="train")
    parser.add_argument("--candidates", nargs="+", default=["base"], choices=sorted(CANDIDATES))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--tag", default="tuning")
    args = parser.parse_args()

    instances = [read_instance(p) for p in select(args.folders, args.split, args.part)]
    # Candidates alternate per instance so that they share similar machine conditions.
    tasks = [(name, CANDIDATES[name], instance, args.time_limit)
             for instance in instances for name in args.candidates]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        runs: list[BenchResult] = []
        for run in pool.imap(_run, tasks):
            runs.append(run)
            print(f"{run.engine:<14} {run.instance:<12} gap {run.gap_pct} %", flush=True)
    out = args.out_dir / f"{args.tag}-{args.part}-{args.time_limit:g}s.csv"
    write_bench_csv(runs, out)
    rows = summary_table_rows(summary_rows(runs, reference=args.candidates[0]))
    Console().print(text_table("OR-Tools candidates: mean gap % to the best known",
                               summary_header(args.candidates[0]), rows), crop=False)
    print(f"{len(runs)} runs in {time.perf_counter() - started:.0f} s on "
          f"{time.strftime('%Y-%m-%d')}; wrote {out}")


if __name__ == "__main__":
    main()
