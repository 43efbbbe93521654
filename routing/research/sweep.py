"""Sweeps: run a grid of what-if solves (scenarios x strategies x fleets x demand x seeds) on Dask.

The grid and its cell keys are :mod:`routing.research.sweep_grid`'s, one cell's solve
:mod:`routing.research.sweep_worker`'s; this module is the driver.

A sweep file (TOML) names the grid::

    name = "anhui-example"
    scenarios = ["guoyang/scenario.toml"]       # scenario files, relative to this file
    strategies = ["independent", "consolidated"]
    cost_models = ["diesel", "electric"]         # shipped names or paths to cost model files
    seeds = [1, 2, 3]
    time_limit_s = 10                            # search budget of a consolidated-size problem
    demand_scales = [1.0, 2.0]                   # optional: multiply every village's demand
    fleets = [{}, { van = 6 }]                   # optional: vehicle type id -> count ({} = as is)
    engine = "auto"                              # optional (the default)
    solution_limit = 200                         # optional: cap solver work for repeatability

    [counties]                                   # optional: scenarios built from OSM counties
    names = ["涡阳县", "蒙城县"]
    osm = "anhui/anhui.osm.pbf"

Each *cell* of the grid is one strategy run (one or more checked solves) on one scenario
variant; every cost model prices the same run, so cost models multiply columns, not solves.
``time_limit_s`` means what ``--time-limit`` means everywhere: the search budget of a problem
the size of the consolidated one (every village with demand); every routing problem of the
cell gets the same seconds per stop (:func:`routing.pipeline.settings.budget_s`), so an independent
cell takes about five times as long as a consolidated one. A cell that leaves villages
unserved also solves its gap plan (:func:`routing.strategies.gap.gap_plan`) and records its cost,
so the saving ``ruralroute results`` reports is like for like.
A cell's key is a hash of everything that determines its result (the scenario's content, the
files it reads, the strategy, fleet, demand scale, seed, limits, engine and cost models), so a
rerun of the same sweep skips exactly the cells already recorded in the results store.

The driver validates the whole sweep file before any work starts, submits the missing cells to
a Dask cluster (a local one by default), and records each finished cell in the
:class:`~routing.research.results.ResultsStore` as it arrives. Workers only compute: they return
the row and the plan document and never write into the results folder, so a killed worker or an
interrupted driver loses no recorded cell and a worker needs no access to the results folder
(it does need the scenario, OSM and cost model files at the same paths as the driver).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client, Future

from routing.core import ModelError
from routing.research.results import FAILED, OK, ResultsStore
from routing.research.sweep_grid import (
    Cell,
    CellOutcome,
    cell_key,
    code_digest,
    expand,
    file_digest,
    scenario_digest,
)
from routing.research.sweep_worker import one_line, run_cell, utc_now, versions

__all__ = [
    "Cell",
    "CellOutcome",
    "Progress",
    "cell_key",
    "code_digest",
    "dask_client",
    "default_workers",
    "execute",
    "expand",
    "file_digest",
    "run_cell",
    "scenario_digest",
    "task_key",
]


@dataclass
class Progress:
    """Counts the progress bar shows; ``skipped`` cells were already recorded before this run."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.done + self.failed


def default_workers() -> int:
    """Worker processes for a local cluster: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None,
                timeout_s: float = 30.0) -> Iterator[Client]:
    """A Dask client on ``scheduler``, or on a new local cluster of ``workers`` processes.

    The local cluster listens on loopback only, one single-threaded worker process per core
    (the solvers are single-threaded and hold the GIL); its status pages too use loopback.
    """
    from distributed import Client, LocalCluster  # noqa: PLC0415 (Dask loads only when a cluster runs)

    # distributed leaves these constructors and close() unannotated.
    if scheduler:
        client = Client(scheduler, timeout=f"{timeout_s}s")  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            # bounded, so Ctrl-C returns promptly even with the cluster's workers gone
            client.close(timeout=10)  # type: ignore[no-untyped-call]
        return
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


def task_key(cell: Cell) -> str:
    """The Dask key of a cell's task (the same for the same cell in every run)."""
    return f"ruralroute-cell-{cell.key}"


def execute(cells: Sequence[Cell], store: ResultsStore, client: Client | None, *,
            on_progress: Callable[[Progress], None] | None = None,
            poll_s: float = 0.25) -> Progress:
    """Run the cells not yet recorded as ok on ``client``; record each one as it finishes.

    A cell whose task raises (including a worker killed too often) is recorded as failed with
    its message. Ctrl-C stops submitting, cancels what is running and returns with
    ``interrupted`` set: every cell recorded so far stays recorded.
    """
    done_before = store.done()
    todo = [c for c in cells if c.key not in done_before]
    progress = Progress(total=len(cells), skipped=len(cells) - len(todo))
    if on_progress:
        on_progress(progress)
    if not todo:
        return progress
    if client is None:
        raise ModelError(f"client: a Dask client is needed to run {len(todo)} cells")
    by_key = {task_key(c): c for c in todo}
    futures = [client.submit(run_cell, c, key=task_key(c), pure=False, retries=0) for c in todo]
    from distributed import as_completed  # noqa: PLC0415 (Dask loads only when a cluster runs)

    # distributed leaves as_completed's methods unannotated.
    pending = as_completed(futures)  # type: ignore[no-untyped-call]
    try:
        while not pending.is_empty():  # type: ignore[no-untyped-call]
            ready: list[Future[CellOutcome]] = (
                pending.next_batch(block=False)  # type: ignore[no-untyped-call]
                if pending.has_ready() else [])  # type: ignore[no-untyped-call]
            for future in ready:
                cell = by_key[str(future.key)]
                try:
                    outcome = future.result()
                except Exception as exc:  # a task error or a lost worker: record, go on
                    outcome = CellOutcome({**cell.inputs(), **versions(), "status": FAILED,
                                           "error": one_line(exc), "finished_at": utc_now()}, None)
                store.record(outcome.row, outcome.plan)
                if outcome.row["status"] == OK:
                    progress.done += 1
                else:
                    progress.failed += 1
                    progress.errors.append(f"{cell.scenario} {cell.strategy} seed {cell.seed}: "
                                           f"{outcome.row['error']}")
                future.release()  # type: ignore[no-untyped-call]
            progress.running = _running(client, by_key)
            if on_progress:
                on_progress(progress)
            if not ready:
                time.sleep(poll_s)
    except KeyboardInterrupt:
        progress.interrupted = True
        client.cancel(futures)  # type: ignore[no-untyped-call]
    return progress


def _running(client: Client, keys: Mapping[str, Cell]) -> int:
    """How many of ``keys`` workers are running now (0 if the scheduler cannot be asked).

    Workers may hold a few more tasks than they have threads (queued to start next), so the
    count of held tasks is capped at the number of worker threads.
    """
    try:  # distributed leaves these scheduler queries unannotated
        processing: dict[str, Iterable[object]] = client.processing()  # type: ignore[no-untyped-call]
        nthreads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        threads = sum(nthreads.values())
    except Exception:
        return 0
    return min(threads, sum(1 for tasks in processing.values() for k in tasks if k in keys))
