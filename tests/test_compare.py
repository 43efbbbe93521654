"""End-to-end: ``ruralroute compare`` on the small real-data scenario with two cost models."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cli import main

SMALL = Path(__file__).parent / "data" / "small_county" / "scenario.toml"


def test_compare_writes_the_table_the_plans_and_a_map_per_strategy(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(SMALL), "--out", str(out),
                                       "--cost-model", "diesel", "--cost-model", "electric",
                                       "--time-limit", "1", "--cache-dir", str(tmp_path / "c")])
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
