"""Research on the planner: sweeps of what-if solves, their results store and plots, benchmarks.

* :mod:`~routing.research.sweep` — expand a sweep's grid and run its cells on Dask;
* :mod:`~routing.research.results` — the results store (one Parquet file per cell) and summaries;
* :mod:`~routing.research.plots` — PNG plots of a sweep's results;
* :mod:`~routing.research.bench` — engines on published VRP instances against the best known.
"""

from __future__ import annotations

from routing.research.bench import (
    TABLE_HEADER,
    BenchInstance,
    BenchResult,
    best_known_cost,
    gap_percent,
    markdown_table,
    mean_gap,
    read_instance,
    run_instance,
    table_rows,
    write_bench_csv,
)
from routing.research.plots import PLOT_FILES, write_plots
from routing.research.results import (
    FAILED,
    OK,
    ResultsStore,
    costs_long,
    savings,
    savings_summary,
    status_counts,
    strategy_summary,
    write_results_csv,
)
from routing.research.sweep import (
    Cell,
    CellOutcome,
    Progress,
    cell_key,
    dask_client,
    default_workers,
    execute,
    expand,
    run_cell,
    scenario_digest,
)

__all__ = [
    "FAILED",
    "OK",
    "PLOT_FILES",
    "TABLE_HEADER",
    "BenchInstance",
    "BenchResult",
    "Cell",
    "CellOutcome",
    "Progress",
    "ResultsStore",
    "best_known_cost",
    "cell_key",
    "costs_long",
    "dask_client",
    "default_workers",
    "execute",
    "expand",
    "gap_percent",
    "markdown_table",
    "mean_gap",
    "read_instance",
    "run_cell",
    "run_instance",
    "savings",
    "savings_summary",
    "scenario_digest",
    "status_counts",
    "strategy_summary",
    "table_rows",
    "write_bench_csv",
    "write_plots",
    "write_results_csv",
]
