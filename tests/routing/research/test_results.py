"""The sweep results store (one Parquet file per cell), its summaries, plots and CLI report."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from routing.core import LikeForLike, saving_pct
from routing.research import (
    FAILED,
    OK,
    PLOT_FILES,
    ResultsStore,
    costs_long,
    savings,
    savings_summary,
    status_counts,
    strategy_summary,
    write_plots,
)


def _row(cell: str, *, scenario: str = "a", strategy: str = "consolidated", seed: int = 1,
         diesel: float = 100.0, electric: float = 90.0, fleet_size: int = 4,
         status: str = OK) -> dict:
    row = {"cell": cell, "status": status, "error": "" if status == OK else "boom",
           "sweep": "t", "scenario": scenario, "strategy": strategy, "fleet": "as-is",
           "fleet_size": fleet_size, "demand_scale": 1.0, "seed": seed, "engine": "ortools",
           "villages": 20, "area_km2": 100.0, "villages_per_km2": 0.2}
    if status == OK:
        row.update({"vehicles": 2, "distance_km": 50.0, "stops_unserved": 0, "parcels": 100,
                    "solve_time_s": 1.0,
                    "cost.diesel": diesel, "cost_per_parcel.diesel": diesel / 100,
                    "co2_kg.diesel": 10.0,
                    "cost.electric": electric, "cost_per_parcel.electric": electric / 100,
                    "co2_kg.electric": 5.0})
    return row


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    """Two counties x two strategies x two seeds, plus one failed cell."""
    s = ResultsStore(tmp_path / "results")
    costs = {("a", "independent"): (100.0, 110.0), ("a", "consolidated"): (80.0, 77.0),
             ("b", "independent"): (200.0, 220.0), ("b", "consolidated"): (150.0, 176.0)}
    for (scenario, strategy), (diesel, electric) in costs.items():
        for seed in (1, 2):
            bump = 0.0 if seed == 1 else 10.0
            s.record(_row(f"{scenario}-{strategy}-{seed}", scenario=scenario, strategy=strategy,
                          seed=seed, diesel=diesel + bump, electric=electric + bump),
                     {"routes": [], "seed": seed})
    s.record(_row("a-township-relay-1", strategy="township-relay", status=FAILED))
    return s


def test_a_recorded_row_reads_back_with_its_plan_path(store):
    df = store.table()
    assert len(df) == 9 and df["cell"].is_unique
    row = df.set_index("cell").loc["a-consolidated-2"]
    assert row["cost.diesel"] == 90.0 and row["status"] == OK
    assert (store.root / row["plan_path"]).is_file()
    failed = df.set_index("cell").loc["a-township-relay-1"]
    assert failed["status"] == FAILED and failed["plan_path"] == ""
    assert math.isnan(failed["cost.diesel"])


def test_rerecording_a_cell_replaces_its_row(store):
    assert store.statuses()["a-township-relay-1"] == FAILED
    assert "a-township-relay-1" not in store.done()
    store.record(_row("a-township-relay-1", strategy="township-relay", diesel=70.0))
    df = store.table()
    assert len(df) == 9
    assert df.set_index("cell").loc["a-township-relay-1", "cost.diesel"] == 70.0
    assert "a-township-relay-1" in store.done()


def test_a_half_written_temporary_file_is_not_a_row(store):
    (store.cells_dir / ".x.parquet.123.tmp").write_bytes(b"PAR1 half")
    assert len(store.table()) == 9


def test_costs_long_has_one_row_per_finished_cell_and_cost_model(store):
    long = costs_long(store.table())
    assert len(long) == 8 * 2
    assert set(long["cost_model"]) == {"diesel", "electric"}
    one = long[(long["cell"] == "b-consolidated-1") & (long["cost_model"] == "electric")]
    assert one["cost"].item() == 176.0 and one["co2_kg"].item() == 5.0


def test_savings_against_independent(store):
    s = savings(store.table())
    one = s[(s["scenario"] == "a") & (s["seed"] == 1) & (s["cost_model"] == "diesel")]
    assert one["saving_pct"].item() == pytest.approx(20.0)
    summary = savings_summary(store.table())
    row = summary[(summary["scenario"] == "a") & (summary["cost_model"] == "diesel")]
    expected = [100 * (1 - 80 / 100), 100 * (1 - 90 / 110)]
    assert row["mean_pct"].item() == pytest.approx(sum(expected) / 2)
    assert row["std_pct"].item() == pytest.approx(abs(expected[0] - expected[1]) / math.sqrt(2))
    assert row["seeds"].item() == 2
    assert row["unserved"].item() == 0 and row["baseline_unserved"].item() == 0
    b = summary[(summary["scenario"] == "b") & (summary["cost_model"] == "electric")]
    assert b["mean_pct"].item() == pytest.approx(100 * (1 - 176 / 220) / 2
                                                 + 100 * (1 - 186 / 230) / 2)


def test_strategy_summary_and_counts(store):
    df = store.table()
    assert status_counts(df) == {"ok": 8, "failed": 1}
    summary = strategy_summary(df).set_index(["cost_model", "strategy"])
    assert summary.loc[("diesel", "consolidated"), "cells"] == 4
    assert summary.loc[("diesel", "consolidated"), "cost"] == pytest.approx(
        (80 + 90 + 150 + 160) / 4)


def test_plots_are_png_files(store, tmp_path):
    paths = write_plots(store.table(), tmp_path / "plots")
    assert [p.name for p in paths] == list(PLOT_FILES)
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5_000


def test_results_command_prints_savings_writes_plots_and_csv(store, tmp_path):
    out_csv = tmp_path / "all.csv"
    result = CliRunner().invoke(main, ["results", str(store.root), "--csv", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert "9 cells recorded: 8 ok, 1 failed" in result.output
    assert "Saving vs independent" in result.output
    for name in PLOT_FILES:
        assert (store.root / name).is_file()
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 9 and len({r["cell"] for r in rows}) == 9
    assert rows[0]["cell"] and "cost.diesel" in rows[0]


def test_results_of_an_empty_folder_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["results", str(tmp_path)])
    assert result.exit_code == 2
    assert "no recorded cells" in result.output


def test_savings_are_like_for_like_cost_per_parcel_from_the_one_saving_function(tmp_path):
    s = ResultsStore(tmp_path / "lfl")
    s.record(_row("base", strategy="independent", diesel=100.0, electric=100.0))
    # half the parcels delivered for 40; the carriers' vans would charge 70 for the other half
    relay = _row("relay", strategy="township-relay", diesel=40.0, electric=40.0)
    relay.update({"parcels": 50, "stops_unserved": 3, "gap_villages": 3, "gap_parcels": 50,
                  "gap_cost.diesel": 70.0, "gap_cost.electric": 70.0})
    s.record(relay)
    # nothing delivered at all: no saving, and no division by zero
    empty = _row("empty", strategy="consolidated", diesel=30.0, electric=30.0)
    empty.update({"parcels": 0, "stops_unserved": 20})
    s.record(empty)
    out = savings(s.table()).set_index(["strategy", "cost_model"])
    expected = saving_pct(LikeForLike(40.0, 50, 70.0, 50), LikeForLike(100.0, 100))
    assert out.loc[("township-relay", "diesel"), "saving_pct"] == pytest.approx(expected)
    assert expected == pytest.approx(-10.0)  # 110 for 100 parcels against 100: not 20 % cheaper
    assert math.isnan(out.loc[("consolidated", "diesel"), "saving_pct"])
    summary = savings_summary(s.table()).set_index(["strategy", "cost_model"])
    assert summary.loc[("township-relay", "diesel"), "gap_villages"] == 3
    assert summary.loc[("consolidated", "diesel"), "seeds"] == 0
    result = CliRunner().invoke(main, ["results", str(s.root)])
    assert result.exit_code == 0, result.output
    assert "like for like" in result.output and "-10.0" in result.output
