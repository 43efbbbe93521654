"""Run engines on VRPLIB instances and write a CSV plus a markdown table of gaps to the best known.

Run (one suite at a time: the machine has 2 cores and ``auto``/``ortools-parallel`` use both)::

    python benchmarks/cvrplib_suite.py ../shared/data/cvrplib/*.vrp \\
        --engines ortools pyvrp auto --time-limits 10 60 --out-dir benchmarks/results

``--variant`` measures OR-Tools search settings the engine does not expose yet, by adjusting
the search parameters it starts from (measurement only; see benchmarks/README.md):

* ``savings`` / ``pca`` / ``pci``: first solution SAVINGS / PATH_CHEAPEST_ARC /
  PARALLEL_CHEAPEST_INSERTION, guided local search (the engine's own knobs);
* ``lambda0.2`` / ``lambda0.05``: guided local search penalty coefficient;
* ``neighbors``: local search operators restricted to each node's 30 nearest neighbours;
* ``trim``: no dimension for a load that is zero at every stop (the CVRP ``kg``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from ortools.constraint_solver import pywrapcp
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.core import Problem
from routing.research import (
    TABLE_HEADER,
    BenchResult,
    markdown_table,
    read_instance,
    run_instance,
    table_rows,
    write_bench_csv,
)
from routing.solving import ENGINES, OrToolsEngine, OrToolsParallelEngine, SolveSettings

#: Measured but not shipped: two OR-Tools configurations on the two cores.
ENGINES.setdefault("ortools-parallel", OrToolsParallelEngine)


def _params_tweak(**fields: float) -> Callable[[], object]:
    default = pywrapcp.DefaultRoutingSearchParameters

    def make() -> object:
        params = default()
        for name, value in fields.items():
            setattr(params, name, value)
        return params
    return make


DEFAULT_FIRST = SolveSettings().first_solution

#: name -> (first solution strategy, search-parameter factory or None, trim zero loads)
VARIANTS: dict[str, tuple[str, Callable[[], object] | None, bool]] = {
    "default": (DEFAULT_FIRST, None, False),
    "savings": ("SAVINGS", None, False),
    "pca": ("PATH_CHEAPEST_ARC", None, False),
    "pci": ("PARALLEL_CHEAPEST_INSERTION", None, False),
    "lambda0.2": (DEFAULT_FIRST, _params_tweak(guided_local_search_lambda_coefficient=0.2), False),
    "lambda0.05": (DEFAULT_FIRST, _params_tweak(guided_local_search_lambda_coefficient=0.05),
                   False),
    "neighbors": (DEFAULT_FIRST, _params_tweak(ls_operator_neighbors_ratio=0.0,
                                               ls_operator_min_neighbors=30), False),
    "trim": (DEFAULT_FIRST, None, True),
}

#: ``OrToolsEngine._add_loads``: (problem, OR-Tools routing model) -> None.
AddLoads = Callable[[Problem, Any], None]


@contextmanager
def _variant(name: str) -> Iterator[str]:
    """The variant's first solution strategy, with OR-Tools patched as the variant says."""
    first_solution, params, trim = VARIANTS[name]
    with ExitStack() as patches:
        if params is not None:
            patches.enter_context(
                mock.patch.object(pywrapcp, "DefaultRoutingSearchParameters", params))
        if trim:
            trimmed = staticmethod(_trimmed_loads(OrToolsEngine._add_loads))
            patches.enter_context(mock.patch.object(OrToolsEngine, "_add_loads", trimmed))
        yield first_solution


def _trimmed_loads(add_loads: AddLoads) -> AddLoads:
    """``_add_loads`` on a copy of the problem whose all-zero load dimension is dropped."""
    def add(problem: Problem, model: Any) -> None:
        used = [d for d in range(2) if problem.delivery_matrix()[:, d].any()
                or problem.pickup_matrix()[:, d].any()]
        if len(used) == 2:
            add_loads(problem, model)
            return
        d = used[0] if used else 0
        cb = model.RegisterUnaryTransitVector(problem.delivery_matrix()[:, d].tolist())
        model.AddDimensionWithVehicleCapacity(
            cb, 0, [int(v.type.capacity[d]) for v in problem.vehicles], True, "load")
    return add


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--engines", nargs="+", default=["ortools", "pyvrp", "auto"])
    parser.add_argument("--time-limits", nargs="+", type=float, default=[10.0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="default")
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--tag", default="", help="suffix of the output file names")
    args = parser.parse_args()

    instances = [read_instance(path) for path in args.files]
    results: list[BenchResult] = []
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with _variant(args.variant) as first_solution:
        for limit in args.time_limits:
            settings = SolveSettings(time_limit_s=limit, seed=args.seed,
                                     first_solution=first_solution)
            # Engines alternate per instance so that they share similar machine conditions.
            for instance in instances:
                for engine in args.engines:
                    result = run_instance(instance, engine, settings)
                    if args.variant != "default":
                        result = BenchResult(**{**result.__dict__,
                                                "engine": f"{engine}[{args.variant}]"})
                    results.append(result)
                    print(f"{limit:>5g} s {result.engine:<20} {result.instance:<12} "
                          f"gap {result.gap_pct} % feasible {result.feasible}", flush=True)
    stem = "results" + (f"-{args.tag}" if args.tag else "")
    write_bench_csv(results, args.out_dir / f"{stem}.csv")
    # Wall-clock limits: other work on the machine means fewer search iterations; say how busy.
    load = f"1-min load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    sections = []
    for limit in args.time_limits:
        mine = [r for r in results if r.time_limit_s == limit]
        order = {engine: i for i, engine in enumerate(dict.fromkeys(r.engine for r in mine))}
        mine.sort(key=lambda r: order[r.engine])
        sections.append(f"### {limit:g} s per instance ({load})\n\n{markdown_table(mine)}\n")
    (args.out_dir / f"{stem}.md").write_text("\n".join(sections))
    table = Table(title=f"VRPLIB suite ({time.perf_counter() - started:.0f} s)")
    for column in (*TABLE_HEADER, "limit s"):
        table.add_column(column, justify="left" if column in ("instance", "engine") else "right")
    for result, row in zip(results, table_rows(results), strict=True):
        table.add_row(*row, f"{result.time_limit_s:g}")
    Console().print(table)
    print(f"wrote {args.out_dir / (stem + '.csv')} and {args.out_dir / (stem + '.md')}")


if __name__ == "__main__":
    main()
