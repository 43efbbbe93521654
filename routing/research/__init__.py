"""Research on the planner: sweeps of what-if solves, their results store and plots, benchmarks.

* :mod:`~routing.research.sweep` — run a sweep's cells on Dask and record them as they finish;
  its grid and cell keys are :mod:`~routing.research.sweep_grid`'s, one cell's solve
  :mod:`~routing.research.sweep_worker`'s;
* :mod:`~routing.research.results` — the results store (one Parquet file per cell) and summaries;
* :mod:`~routing.research.plots` — PNG plots of a sweep's results;
* :mod:`~routing.research.bench` — engines on published VRP instances against the best known.
* :mod:`~routing.research.cost_games` — cost games: Shapley value, nucleolus, core and least core;
* :mod:`~routing.research.coalition_study` — the games, allocations and stability of a study;
* :mod:`~routing.research.coalitions` — every coalition of carriers solved (on Dask, cached) and
  the pooled cost split among them (:class:`CoalitionStudy`).
"""

from __future__ import annotations

from routing.research.bench import (
    TABLE_HEADER,
    BenchInstance,
    BenchResult,
    SummaryRow,
    best_known_cost,
    gap_percent,
    instance_paths,
    markdown_table,
    mean_gap,
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
from routing.research.coalition_study import CoalitionStudy, coalition_study, write_study_csvs
from routing.research.coalitions import CoalitionRun, CoalitionStore, coalition_tasks
from routing.research.cost_games import (
    RULES,
    Allocation,
    Blocking,
    CostGame,
    GameAnalysis,
    analyse,
    least_core,
    nucleolus,
    shapley,
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
    "RULES",
    "TABLE_HEADER",
    "Allocation",
    "BenchInstance",
    "BenchResult",
    "Blocking",
    "Cell",
    "CellOutcome",
    "CoalitionRun",
    "CoalitionStore",
    "CoalitionStudy",
    "CostGame",
    "GameAnalysis",
    "Progress",
    "ResultsStore",
    "SummaryRow",
    "analyse",
    "best_known_cost",
    "cell_key",
    "coalition_study",
    "coalition_tasks",
    "costs_long",
    "dask_client",
    "default_workers",
    "execute",
    "expand",
    "gap_percent",
    "instance_paths",
    "least_core",
    "markdown_table",
    "mean_gap",
    "nucleolus",
    "read_instance",
    "read_split",
    "run_cell",
    "run_instance",
    "savings",
    "savings_summary",
    "scenario_digest",
    "select_split",
    "shapley",
    "status_counts",
    "strategy_summary",
    "summary_header",
    "summary_markdown",
    "summary_rows",
    "summary_table_rows",
    "table_rows",
    "write_bench_csv",
    "write_plots",
    "write_results_csv",
    "write_study_csvs",
]
