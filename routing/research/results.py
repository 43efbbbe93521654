"""The sweep results store: one Parquet file per cell under ``RESULTS/cells``, plus summaries.

Why Parquet files and not a DuckDB database (``benchmarks/results_store.py``, 2 cores): writing
one durable row costs about the same in both (1.4-4 ms per row for Parquet with fsync + rename,
~2 ms for a DuckDB INSERT + COMMIT) and reading 1,000 rows back takes 0.65 s vs 0.02 s; both are
noise next to a solve of several seconds. What decides is crash safety and concurrency: a cell
file is written to a temporary name, fsynced and renamed, so it is either whole or absent and no
crash (Ctrl-C, a killed driver, a full disk) can damage the rows recorded before it; re-recording
a cell replaces its file, so a cell can never have two rows; and the store is plain files, so
``ruralroute results`` can read it while a sweep is still writing (a DuckDB file takes a lock
that keeps a second process from opening it while the writer has it open), and any tool that
reads Parquet (pandas, polars, DuckDB itself, Spark) reads the folder as one table.

A row holds every input of its cell, the versions that produced it, its KPIs, one column per
cost figure and cost model (``cost.diesel``, ``co2_kg.electric``: :func:`costs_long` turns them
into one row per cell and cost model), the solve time and the path of the cell's plan file.
A cell whose strategy leaves villages unserved also holds its *gap*: ``gap_villages``,
``gap_parcels`` and ``gap_cost.<model>``, what the carriers' own vans would need to serve them
(:func:`routing.strategies.gap.gap_plan`), so :func:`savings` is like for like.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from routing.core import COST_SEPARATOR, InputError, LikeForLike, Strategy, saving_pct

#: Status of a cell whose solve finished and passed the checker.
OK = "ok"
#: Status of a cell whose solve raised; the ``error`` column holds the one-line message.
FAILED = "failed"

#: Columns that describe a cell's inputs (the rest are its outputs); used to group summaries.
INPUT_COLUMNS: tuple[str, ...] = (
    "cell", "sweep", "scenario", "scenario_file", "county", "strategy", "fleet", "fleet_size",
    "demand_scale", "seed", "time_limit_s", "solution_limit", "engine", "cost_models",
    "villages", "area_km2", "villages_per_km2",
)

def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class ResultsStore:
    """A folder of per-cell Parquet rows (``cells/<key>.parquet``) and plans (``plans/``).

    Only the sweep driver writes; any number of readers may read at any time.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.cells_dir = self.root / "cells"
        self.plans_dir = self.root / "plans"

    def cell_path(self, key: str) -> Path:
        return self.cells_dir / f"{key}.parquet"

    def plan_path(self, key: str) -> Path:
        return self.plans_dir / f"{key}.json"

    def record(self, row: Mapping[str, Any], plan: Mapping[str, Any] | None = None) -> Path:
        """Durably record one cell's row (and its plan, written first); return the row's file.

        The row is durable when this returns: a crash before that leaves the cell absent (it is
        recomputed on the next run), never half-written. A cell recorded again (a failed cell
        that now succeeded) replaces its earlier row.
        """
        key = str(row["cell"])
        values = dict(row)
        if plan is not None:
            text = json.dumps(plan, ensure_ascii=False, indent=1).encode("utf-8")
            _atomic_write(self.plan_path(key), lambda fh: fh.write(text))
            values["plan_path"] = str(self.plan_path(key).relative_to(self.root))
        else:
            values.setdefault("plan_path", "")
        table = pa.Table.from_pylist([values])
        path = self.cell_path(key)
        _atomic_write(path, lambda fh: pq.write_table(table, fh))
        return path

    def files(self) -> list[Path]:
        """Every recorded cell's file, sorted by cell key."""
        if not self.cells_dir.is_dir():
            return []
        return sorted(self.cells_dir.glob("*.parquet"))

    def statuses(self) -> dict[str, str]:
        """Cell key -> status (:data:`OK` or :data:`FAILED`) of every recorded cell."""
        out: dict[str, str] = {}
        for path in self.files():
            column = pq.read_table(path, columns=["status"]).column("status").to_pylist()
            out[path.stem] = str(column[0])
        return out

    def done(self) -> set[str]:
        """Keys of the cells recorded with status :data:`OK`: a rerun skips exactly these."""
        return {key for key, status in self.statuses().items() if status == OK}

    def table(self) -> pd.DataFrame:
        """Every recorded row as one DataFrame (columns missing from a row are null)."""
        files = self.files()
        if not files:
            raise InputError(self.root, "cells", "no recorded cells; run `ruralroute sweep` "
                                                 "with --out pointing here first")
        tables = [pq.read_table(p) for p in files]
        merged = pa.concat_tables(tables, promote_options="permissive")
        return merged.to_pandas()


def cost_models_in(df: pd.DataFrame) -> list[str]:
    """Names of the cost models that have a ``cost.<model>`` column, in column order."""
    prefix = f"cost{COST_SEPARATOR}"
    return [c[len(prefix):] for c in df.columns if c.startswith(prefix)]


def costs_long(df: pd.DataFrame) -> pd.DataFrame:
    """One row per finished cell and cost model with plain ``cost``, ``cost_per_parcel``, ...

    The wide store keeps one row per cell (one solve); figures that depend on the cost model
    are columns ``<figure>.<model>``. This melts them into a ``cost_model`` column.
    """
    ok = df[df["status"] == OK]
    models = cost_models_in(ok)
    per_model = [c for c in ok.columns if COST_SEPARATOR in c
                 and c.rsplit(COST_SEPARATOR, 1)[1] in models]
    shared = [c for c in ok.columns if c not in per_model]
    parts = []
    for model in models:
        suffix = f"{COST_SEPARATOR}{model}"
        mine = {c: c[: -len(suffix)] for c in per_model if c.endswith(suffix)}
        part = ok[shared + list(mine)].rename(columns=mine)
        part.insert(0, "cost_model", model)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*shared, "cost_model", "cost"])
    return pd.concat(parts, ignore_index=True)


#: Gap columns (see the module docstring); zero where a cell has none (or predates them).
GAP_COLUMNS: tuple[str, ...] = ("gap_villages", "gap_parcels", "gap_cost")


def _with_gaps(long: pd.DataFrame) -> pd.DataFrame:
    """``long`` with every gap column, zero where a cell has no gap."""
    long = long.copy()
    for column in GAP_COLUMNS:
        long[column] = long[column].fillna(0) if column in long.columns else 0
    return long


def _like_for_like(row: Any, prefix: str = "") -> LikeForLike:
    return LikeForLike(float(row[f"{prefix}cost"]), int(row[f"{prefix}parcels"]),
                       float(row[f"{prefix}gap_cost"]), int(row[f"{prefix}gap_parcels"]))


def savings(df: pd.DataFrame, *, baseline: str = Strategy.INDEPENDENT) -> pd.DataFrame:
    """Saving of every strategy against ``baseline`` per scenario, fleet, demand, seed and model.

    ``saving_pct`` is :func:`routing.core.saving_pct`, the one definition ``compare`` uses too:
    cost per parcel delivered, like for like (each side's cost and parcels plus its gap's);
    positive means cheaper than carriers delivering alone, NaN where a side delivers no parcel.
    Cells whose baseline is missing or failed are left out.
    """
    long = _with_gaps(costs_long(df))
    keys = ["scenario", "fleet", "demand_scale", "seed", "cost_model"]
    figures = ["cost", "parcels", "gap_cost", "gap_parcels", "stops_unserved"]
    base = long[long["strategy"] == baseline][[*keys, *figures]].rename(
        columns={**{f: f"baseline_{f}" for f in figures},
                 "stops_unserved": "baseline_unserved"})
    others = long[long["strategy"] != baseline]
    merged = others.merge(base, on=keys, how="inner")
    values = [saving_pct(_like_for_like(r), _like_for_like(r, "baseline_"))
              for _, r in merged.iterrows()]
    merged["saving_pct"] = pd.Series([math.nan if v is None else v for v in values],
                                     index=merged.index, dtype=float)
    return merged


def savings_summary(df: pd.DataFrame, *, baseline: str = Strategy.INDEPENDENT) -> pd.DataFrame:
    """Mean, spread (sample std) and count over seeds of each strategy's saving per county.

    ``unserved`` and ``baseline_unserved`` are the most villages the strategy and the baseline
    left unserved in any seed; ``gap_villages`` the most of a strategy's unserved villages that
    its saving prices as served by the carriers' own vans (like for like). ``seeds`` counts the
    seeds with a saving (a side that delivers nothing has none).
    """
    s = savings(df, baseline=baseline)
    cols = ["scenario", "villages_per_km2", "strategy", "cost_model", "fleet", "demand_scale"]
    if s.empty:
        return pd.DataFrame(columns=[*cols, "mean_pct", "std_pct", "seeds", "unserved",
                                     "baseline_unserved", "gap_villages"])
    s = s.assign(villages_per_km2=s["villages_per_km2"].fillna(math.nan))
    grouped = s.groupby(cols, dropna=False)
    out = grouped.agg(mean_pct=("saving_pct", "mean"), std_pct=("saving_pct", "std"),
                      seeds=("saving_pct", "count"),
                      unserved=("stops_unserved", "max"),
                      baseline_unserved=("baseline_unserved", "max"),
                      gap_villages=("gap_villages", "max")).reset_index()
    return out.sort_values(["cost_model", "strategy", "scenario"]).reset_index(drop=True)


def strategy_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and cost model: cells, mean cost per parcel, cost, gap cost, CO2, km,
    vehicles, unserved villages and solve time."""
    long = costs_long(df)
    if long.empty:
        return pd.DataFrame()
    grouped = _with_gaps(long).groupby(["cost_model", "strategy"])
    out = grouped.agg(cells=("cell", "count"), cost_per_parcel=("cost_per_parcel", "mean"),
                      cost=("cost", "mean"), gap_cost=("gap_cost", "mean"),
                      co2_kg=("co2_kg", "mean"),
                      distance_km=("distance_km", "mean"), vehicles=("vehicles", "mean"),
                      stops_unserved=("stops_unserved", "sum"),
                      solve_time_s=("solve_time_s", "mean"))
    return out.reset_index()


def status_counts(df: pd.DataFrame) -> dict[str, int]:
    """How many recorded cells finished ok and how many failed."""
    counts = df["status"].value_counts().to_dict()
    return {OK: int(counts.get(OK, 0)), FAILED: int(counts.get(FAILED, 0))}


def write_results_csv(df: pd.DataFrame, path: Path, *, columns: Sequence[str] | None = None
                      ) -> Path:
    """Export the whole table (one row per recorded cell) as UTF-8 CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = [c for c in INPUT_COLUMNS if c in df.columns]
    rest = [c for c in df.columns if c not in ordered]
    (df[list(columns)] if columns else df[ordered + rest]).to_csv(path, index=False)
    return path
