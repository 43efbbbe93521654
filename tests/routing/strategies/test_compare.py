"""End-to-end: ``ruralroute compare`` on the small real-data scenario with two cost models."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

SMALL = Path(__file__).parents[2] / "data" / "small_county" / "scenario.toml"


def test_compare_writes_the_table_the_plans_and_a_map_per_strategy(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(SMALL), "--out", str(out),
                                       "--cost-model", "diesel", "--cost-model", "electric",
                                       "--time-limit", "0.3", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "comparison.csv").open(encoding="utf-8")))
    assert [(r["strategy"], r["cost_model"]) for r in rows] == [
        (s, m) for m in ("diesel", "electric")
        for s in ("independent", "consolidated", "township-relay")]
    by = {(r["strategy"], r["cost_model"]): r for r in rows}
    indep, cons = by["independent", "diesel"], by["consolidated", "diesel"]
    assert float(cons["km"]) <= float(indep["km"])
    villages = list(csv.DictReader((SMALL.parent / "villages.csv").open(encoding="utf-8")))
    # each carrier calls wherever it has parcels (it collects produce only there)
    carrier_calls = sum(int(v[c]) > 0 for v in villages for c in v if c.startswith("parcels_"))
    assert int(indep["village_visits"]) == carrier_calls == 44
    assert int(cons["village_visits"]) == 9
    assert indep["saving_pct"] == ""
    saving = 100 * (1 - float(cons["cost_per_parcel"]) / float(indep["cost_per_parcel"]))
    assert abs(float(cons["saving_pct"]) - saving) < 0.2
    assert all(int(r["served"]) + int(r["unserved"]) == 9 for r in rows)
    # every village is served, so nothing is added and like for like is the plain figure
    assert (cons["served"], cons["gap_villages"], cons["gap_cost"]) == ("9", "0", "0")
    assert cons["like_for_like_per_parcel"] == cons["cost_per_parcel"]
    # the same seconds per stop for every problem: each carrier's ~9 calls get what the
    # consolidated 9-village problem gets (0.3 s), five problems in all; consolidated has that
    # for its shared fleet and each of its five feeder legs (one load, floored at 9 stops)
    assert float(indep["budget_s"]) == pytest.approx(5 * 0.3, abs=0.1)
    assert float(cons["budget_s"]) == pytest.approx(6 * 0.3, abs=0.1)
    report = (out / "comparison.md").read_text(encoding="utf-8")
    assert "| consolidated | diesel |" in report and "synthetic" in report
    for strategy in ("independent", "consolidated", "township-relay"):
        plan = json.loads((out / strategy / "plan.json").read_text(encoding="utf-8"))
        assert plan["strategy"] == strategy and plan["check"]["ok"]
        assert set(plan["costs"]) == {"diesel", "electric"}
    page = (out / "map.html").read_text(encoding="utf-8")
    for strategy in ("independent", "consolidated", "township-relay"):
        assert f"{strategy} · " in page
    assert "consolidated saves" in result.output


def test_compare_rejects_an_unknown_strategy(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(SMALL), "--out", str(tmp_path),
                                       "--strategies", "consolidated,teleport"])
    assert result.exit_code == 2
    assert "unknown strategy teleport" in result.output


def test_check_convergence_solves_again_with_twice_the_budget_and_reports_the_move(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(SMALL), "--out", str(out),
                                       "--strategies", "independent,consolidated",
                                       "--cost-model", "diesel", "--time-limit", "0.1",
                                       "--check-convergence", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "convergence.csv").open(encoding="utf-8")))
    assert [(r["strategy"], r["cost_model"]) for r in rows] == [
        ("independent", "diesel"), ("consolidated", "diesel")]
    by = {r["strategy"]: r for r in rows}
    for row in rows:
        assert float(row["budget_2x_s"]) == pytest.approx(2 * float(row["budget_s"]), abs=0.11)
        assert float(row["like_for_like_per_parcel_2x"]) > 0
    indep, cons = by["independent"], by["consolidated"]
    assert indep["saving_pct"] == indep["moved_pts"] == ""
    moved = float(cons["saving_pct_2x"]) - float(cons["saving_pct"])
    assert float(cons["moved_pts"]) == pytest.approx(moved, abs=0.011)
    first = {r["strategy"]: r for r in csv.DictReader((out / "comparison.csv").open())}
    assert float(cons["saving_pct"]) == pytest.approx(float(first["consolidated"]["saving_pct"]),
                                                      abs=0.06)
    report = (out / "comparison.md").read_text(encoding="utf-8")
    assert "## Convergence" in report and "| consolidated | diesel |" in report
    assert "with twice the search budget the saving moves" in result.output
    assert "convergence.csv" in result.output


def test_a_strategy_that_leaves_villages_unserved_is_charged_the_carriers_vans_for_them(tmp_path):
    shutil.copytree(SMALL.parent, tmp_path / "sc")
    toml = tmp_path / "sc" / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'id = "van"\ncount = 3' in text
    toml.write_text(text.replace('id = "van"\ncount = 3', 'id = "van"\ncount = 1'),
                    encoding="utf-8")
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(toml), "--out", str(out),
                                       "--strategies", "independent,consolidated",
                                       "--cost-model", "diesel", "--time-limit", "0.1",
                                       "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    by = {r["strategy"]: r for r in csv.DictReader((out / "comparison.csv").open())}
    indep, cons = by["independent"], by["consolidated"]
    unserved = int(cons["unserved"])
    assert unserved > 0 and int(cons["served"]) + unserved == 9
    assert int(cons["gap_villages"]) == unserved and float(cons["gap_cost"]) > 0
    assert int(cons["parcels"]) + int(cons["gap_parcels"]) == int(indep["parcels"]) == 225
    lfl = (float(cons["cost"]) + float(cons["gap_cost"])) / 225
    assert float(cons["like_for_like_per_parcel"]) == pytest.approx(lfl, abs=0.01)
    saving = 100 * (1 - lfl / float(indep["like_for_like_per_parcel"]))
    assert float(cons["saving_pct"]) == pytest.approx(saving, abs=0.2)
    gap = json.loads((out / "consolidated-gap" / "plan.json").read_text(encoding="utf-8"))
    served = json.loads((out / "consolidated" / "plan.json").read_text(encoding="utf-8"))
    left = {u["stop"] for u in served["unserved"]}
    assert {s for r in gap["routes"] for s in r["stops"]} == left
    assert all(r["vehicle_type"] != "van" for r in gap["routes"])  # the carriers' own vans
    assert not (out / "independent-gap").exists()
    assert "would add" in result.output
