"""Measure the two candidate sweep results stores: one Parquet file per cell vs one DuckDB file.

A sweep records one row per finished cell as soon as it finishes (crash safety), then reads the
whole table once for the summary. So the measurement is: write 1 row x N (each durable on its
own: Parquet via temp file + fsync + rename, DuckDB via INSERT + COMMIT), then read every row.

Run: ``python benchmarks/results_store.py [--rows 90 1000] [--csv out.csv]``; prints a table.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def _row(i: int) -> dict[str, object]:
    """A row shaped like a sweep cell: ~40 columns of text, ints and floats."""
    row: dict[str, object] = {
        "cell": f"{i:016x}", "status": "ok", "error": "", "scenario": f"county-{i % 12}",
        "strategy": ("independent", "consolidated", "township-relay")[i % 3], "seed": i % 3,
        "engine": "ortools", "time_limit_s": 10.0, "demand_scale": 1.0, "fleet": "",
        "ruralroute_version": "0.1.0", "ortools_version": "9.15", "plan_path": f"plans/{i}.json",
    }
    for k in range(12):
        row[f"kpi_{k}"] = float(i * k)
    for k in range(12):
        row[f"count_{k}"] = i + k
    return row


def _parquet(folder: Path, n: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    for i in range(n):
        table = pa.Table.from_pylist([_row(i)])
        final = folder / f"{i:06d}.parquet"
        tmp = folder / f".{i:06d}.parquet.tmp"
        with tmp.open("wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    written = time.perf_counter() - started
    started = time.perf_counter()
    rows = pq.ParquetDataset(sorted(folder.glob("*.parquet"))).read().num_rows
    return written, time.perf_counter() - started, rows


def _duckdb(folder: Path, n: int) -> tuple[float, float, int]:
    path = folder / "results.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    first = _row(0)
    cols = ", ".join(f"{k} {'VARCHAR' if isinstance(v, str) else 'DOUBLE'}"
                     for k, v in first.items())
    con.execute(f"CREATE TABLE results ({cols})")
    marks = ", ".join("?" for _ in first)
    for i in range(n):
        con.execute("BEGIN")
        con.execute(f"INSERT INTO results VALUES ({marks})", list(_row(i).values()))
        con.execute("COMMIT")
    con.close()
    written = time.perf_counter() - started
    started = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    rows = len(con.execute("SELECT * FROM results").fetchall())
    con.close()
    return written, time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[90, 1000])
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    results = []
    for n in args.rows:
        for name, fn in (("parquet-per-cell", _parquet), ("duckdb", _duckdb)):
            folder = Path(tempfile.mkdtemp(prefix=f"store-{name}-"))
            try:
                write_s, read_s, rows = fn(folder, n)
                size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            finally:
                shutil.rmtree(folder)
            assert rows == n, (name, rows, n)
            results.append({"store": name, "rows": n, "write_s": round(write_s, 3),
                            "ms_per_row": round(1000 * write_s / n, 2),
                            "read_all_s": round(read_s, 3), "bytes": size})
    print(f"{'store':<18}{'rows':>6}{'write s':>10}{'ms/row':>9}{'read all s':>12}{'bytes':>11}")
    for r in results:
        print(f"{r['store']:<18}{r['rows']:>6}{r['write_s']:>10}{r['ms_per_row']:>9}"
              f"{r['read_all_s']:>12}{r['bytes']:>11}")
    if args.csv:
        with args.csv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(results[0]))
            writer.writeheader()
            writer.writerows(results)


if __name__ == "__main__":
    main()
