"""Reading VRPLIB instances, their rounding conventions, gaps and the ``bench`` command."""

from __future__ import annotations

import csv
import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from routing.core import InputError, Plan, Route
from routing.research import (
    BenchInstance,
    best_known_cost,
    gap_percent,
    markdown_table,
    mean_gap,
    read_instance,
    run_instance,
)
from routing.research.bench import nint_euclidean, truncated_euclidean_x10
from routing.solving import SolveSettings, check_plan

DATA = Path(__file__).resolve().parents[2] / "data" / "cvrplib"
FAST = SolveSettings(time_limit_s=1, solution_limit=200)


def test_cvrplib_distances_are_nearest_integers_with_halves_rounded_up():
    # 2.5 rounds up to 3 (banker's rounding would give 2); 14.14 rounds to 14.
    coords = np.array([[0, 0], [1.5, 2], [10, 10]])
    assert nint_euclidean(coords).tolist() == [[0, 3, 14], [3, 0, 12], [14, 12, 0]]


def test_solomon_distances_are_truncated_to_one_decimal_and_scaled_by_ten():
    # sqrt(2) = 1.414 -> 14, 5 -> 50, sqrt(13) = 3.606 -> 36 (truncated, not rounded to 37)
    coords = np.array([[0, 0], [1, 1], [3, 4]])
    assert truncated_euclidean_x10(coords).tolist() == [[0, 14, 50], [14, 0, 36], [50, 36, 0]]


def test_cvrplib_instance_becomes_a_problem_with_its_best_known_cost():
    inst = read_instance(DATA / "A-n32-k5.vrp")
    problem = inst.problem
    assert (inst.name, inst.kind, inst.customers, inst.best_known) == ("A-n32-k5", "CVRP", 31, 784)
    assert len(problem.depots) == 1 and len(problem.stops) == 31
    # node 1 (82, 76) to node 2 (96, 44): sqrt(14² + 32²) = 34.93 -> 35
    assert problem.distance_m[0, 1] == 35
    assert not problem.duration_s.any()
    (vehicle,) = problem.vehicle_types
    assert vehicle.capacity_parcels == 100
    assert vehicle.count == 5 + 2  # k5 plus 10 % spare, at least 2
    assert sum(s.parcels for s in problem.stops) == 410


def test_the_best_known_solution_costs_what_its_file_says():
    # The .sol routes priced with our matrix give the .sol cost: the rounding convention matches.
    inst = read_instance(DATA / "A-n32-k5.vrp")
    problem = inst.problem
    routes = [line.split(":")[1].split() for line in
              (DATA / "A-n32-k5.sol").read_text().splitlines() if line.startswith("Route")]
    total = 0
    for route in routes:
        path = [0, *(int(c) for c in route), 0]
        total += sum(int(problem.distance_m[a, b]) for a, b in itertools.pairwise(path))
    assert total == inst.best_known == 784


def test_solomon_instance_scales_windows_and_service_and_reads_bks_csv():
    inst = read_instance(DATA / "toy-tw.txt")
    problem = inst.problem
    assert (inst.kind, inst.scale, inst.customers, inst.best_known) == ("VRPTW", 10, 3, 14.8)
    c2 = problem.stop_by_id["c2"]
    assert (c2.open_s, c2.close_s) == (200, 600)
    assert problem.service_s.tolist() == [0, 50, 50, 50]
    assert problem.depots[0].close_s == 1000
    assert problem.vehicle_types[0].count == 2
    assert problem.distance_m[0, 2] == 50 and problem.duration_s[1, 2] == 36


def test_bks_csv_is_used_when_there_is_no_sol_file(tmp_path):
    shutil.copy(DATA / "A-n32-k5.vrp", tmp_path)
    assert best_known_cost(tmp_path / "A-n32-k5.vrp") is None
    (tmp_path / "bks.csv").write_text("instance,bks,source\nA-n32-k5,790,test\n")
    assert best_known_cost(tmp_path / "A-n32-k5.vrp") == 790


def test_a_file_that_is_no_instance_names_the_file(tmp_path):
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : bad\nEDGE_WEIGHT_TYPE : EXPLICIT\n")
    with pytest.raises(InputError, match=r"bad\.vrp: EDGE_WEIGHT_TYPE"):
        read_instance(bad)
    with pytest.raises(InputError, match="no such file"):
        read_instance(tmp_path / "missing.vrp")


def test_gap_is_percent_above_the_best_known():
    assert gap_percent(1050, 1000) == pytest.approx(5.0)
    assert gap_percent(990, 1000) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="best_known"):
        gap_percent(10, 0)


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_toy_solomon_optimum_is_found_and_checked(engine):
    inst = read_instance(DATA / "toy-tw.txt")
    result = run_instance(inst, engine, FAST)
    assert result.feasible
    assert result.cost == pytest.approx(14.8)
    assert result.gap_pct == pytest.approx(0.0)


@pytest.mark.parametrize(("engine", "settings"), [
    ("ortools", SolveSettings(time_limit_s=1)),
    ("pyvrp", SolveSettings(time_limit_s=2, solution_limit=300)),
])
def test_both_engines_reach_the_optimum_of_a_31_customer_instance(engine, settings):
    # Measured: both reach 784 within 0.3 s; the first solution alone lands 9-15 % above it
    # (PyVRP's first iteration 854, OR-Tools' savings start 904), so a broken search misses 1 %.
    result = run_instance(read_instance(DATA / "A-n32-k5.vrp"), engine, settings)
    assert result.feasible and result.routes == 5
    assert result.gap_pct is not None and result.gap_pct <= 1.0, result.cost


def test_an_infeasible_plan_has_no_gap():
    inst = read_instance(DATA / "toy-n5-k2.vrp")
    route = Route(vehicle="vehicle-01", vehicle_type="vehicle", depot="depot",
                  stops=("c1", "c2", "c3", "c4"), arrival_s=(0, 0, 0, 0), start_s=0, end_s=0,
                  distance_m=80, load=(20, 0))
    plan = Plan(problem=inst.name, engine="hand", seed=0, routes=(route,), unserved=())
    assert not check_plan(inst.problem, plan, strict=False).ok  # 20 parcels in a 10-parcel van

    class HandEngine:
        name = "hand"

        def solve(self, _problem, _settings):
            return plan

    result = run_instance(inst, HandEngine(), FAST)
    assert not result.feasible and result.gap_pct is None and result.cost is None
    assert "capacity" in result.violations
    assert mean_gap([result]) is None


def test_markdown_table_has_a_mean_row_per_engine():
    inst = read_instance(DATA / "toy-n5-k2.vrp")
    assert isinstance(inst, BenchInstance)
    results = [run_instance(inst, engine, FAST) for engine in ("ortools", "pyvrp")]
    table = markdown_table(results)
    assert table.count("| toy-n5-k2 |") == 2
    assert "| **mean** | | ortools | | | 0.00 |" in table
    assert "| **mean** | | pyvrp | | | 0.00 |" in table


def test_bench_command_prints_the_table_and_writes_csv(tmp_path):
    out_csv = tmp_path / "results.csv"
    result = CliRunner().invoke(main, [
        "bench", str(DATA / "toy-n5-k2.vrp"), str(DATA / "toy-tw.txt"), "--engine", "pyvrp",
        "--time-limit", "0.5", "--seed", "3", "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert "toy-n5-k2" in result.output and "toy-tw" in result.output
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["instance"] for r in rows] == ["toy-n5-k2", "toy-tw"]
    assert [float(r["cost"]) for r in rows] == [80.0, 14.8]
    assert {r["seed"] for r in rows} == {"3"} and {r["feasible"] for r in rows} == {"True"}


def test_bench_command_rejects_a_bad_file_in_one_line(tmp_path):
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : bad\nEDGE_WEIGHT_TYPE : GEO\n")
    result = CliRunner().invoke(main, ["bench", str(bad)])
    assert result.exit_code == 2
    assert "EDGE_WEIGHT_TYPE" in result.output
