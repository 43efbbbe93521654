"""Sweep files: validation before any work, grid expansion with stable keys, running cells."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import Client

from cli import main
from routing.core import InputError, ModelError, Strategy
from routing.inputs import load_scenario, load_sweep
from routing.research import (
    FAILED,
    OK,
    Cell,
    ResultsStore,
    cell_key,
    execute,
    expand,
    run_cell,
    scenario_digest,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SMALL = DATA / "small_county" / "scenario.toml"
ANHUI = Path(__file__).resolve().parents[3] / "scenarios" / "anhui" / "anhui_tile_7-105-51.osm.pbf"
EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "sweep-example.toml"


def _sweep(tmp_path: Path, body: str, *, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


GOOD = f"""
name = "t"
scenarios = ["{SMALL}"]
strategies = ["consolidated"]
cost_models = ["diesel", "electric"]
seeds = [1, 2]
demand_scales = [1.0]
time_limit_s = 1
solution_limit = 20
"""


def test_a_good_sweep_file_is_read(tmp_path):
    spec = load_sweep(_sweep(tmp_path, GOOD))
    assert spec.name == "t" and spec.scenario_files == (SMALL,)
    assert spec.seeds == (1, 2) and spec.time_limit_s == 1.0 and spec.solution_limit == 20
    assert [p.stem for p in spec.cost_models] == ["diesel", "electric"]
    assert spec.fleets == ({},) and spec.engine == "auto"


@pytest.mark.parametrize(("name", "counties", "strategies", "seeds"), [
    ("sweep-example.toml", 2, 2, 1), ("sweep-anhui.toml", 10, 3, 3),
    ("sweep-anhui-all.toml", 18, 3, 1)])
def test_the_shipped_sweeps_are_valid(name, counties, strategies, seeds):
    spec = load_sweep(EXAMPLE.parent / name)
    assert (len(spec.counties), len(spec.strategies), len(spec.seeds)) == \
        (counties, strategies, seeds)
    assert [p.stem for p in spec.cost_models] == ["diesel", "electric"]


@pytest.mark.parametrize(("edit", "field", "words"), [
    (("seeds = [1, 2]", "seeds = [1, 2]\nworkers = 3"), "workers", "unknown parameter"),
    (('strategies = ["consolidated"]', "strategies = []"), "strategies", "grid is empty"),
    (("seeds = [1, 2]", "seeds = []"), "seeds", "grid is empty"),
    ((f'scenarios = ["{SMALL}"]', ""), "scenarios", "grid is empty"),
    (('strategies = ["consolidated"]', 'strategies = ["pooled"]'), "strategies[0]",
     "unknown strategy"),
    (('"electric"]', '"solar"]'), "cost_models[1]", "unknown cost model"),
    (('"electric"]', '"nope/x.toml"]'), "cost_models[1]", "not found"),
    ((str(SMALL), "missing.toml"), "scenarios[0]", "not found"),
    (("time_limit_s = 1", "time_limit_s = 0"), "time_limit_s", "> 0"),
    (("demand_scales = [1.0]", "demand_scales = [-2]"), "demand_scales[0]", "> 0"),
    (("seeds = [1, 2]", "seeds = [1, 1]"), "seeds", "twice"),
])
def test_a_bad_sweep_file_is_a_one_line_error_naming_the_field(tmp_path, edit, field, words):
    old, new = edit
    assert old in GOOD
    path = _sweep(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as err:
        load_sweep(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: ") and words in message


def test_a_county_not_in_the_osm_file_is_rejected_by_name(tmp_path):
    body = GOOD + f'\n[counties]\nosm = "{ANHUI}"\nnames = ["蒙城县", "Atlantis County"]\n'
    with pytest.raises(InputError) as err:
        load_sweep(_sweep(tmp_path, body))
    assert str(err.value).startswith(f"{tmp_path / 'sweep.toml'}: counties.names[1]: ")
    assert "'Atlantis County' is not a county of anhui_tile_7-105-51.osm.pbf" in str(err.value)


def test_a_fleet_naming_an_unknown_vehicle_type_fails_before_solving(tmp_path):
    path = _sweep(tmp_path, GOOD + 'fleets = [{ tricycle = 3 }]\n')
    with pytest.raises(InputError, match=r"fleets\[0\]\.tricycle: scenario .* has no vehicle "
                                         r"type 'tricycle'"):
        expand(load_sweep(path), scenarios_dir=tmp_path / "built")


def test_the_cli_rejects_a_bad_sweep_file_before_any_work(tmp_path):
    path = _sweep(tmp_path, GOOD.replace("seeds = [1, 2]", "seeds = [1, 2]\nsedes = [3]"))
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line]
    assert lines == [f"error: {path}: sedes: unknown parameter (known: name, scenarios, "
                     f"counties, strategies, cost_models, seeds, time_limit_s, demand_scales, "
                     f"fleets, engine, solution_limit)"]
    assert not out.exists()


def test_the_grid_has_one_cell_per_combination_with_stable_distinct_keys(tmp_path):
    body = GOOD.replace("demand_scales = [1.0]", "demand_scales = [1.0, 1.5]")
    spec = load_sweep(_sweep(tmp_path, body))
    cells = expand(spec, scenarios_dir=tmp_path / "built")
    assert len(cells) == 1 * 2 * 2
    assert len({c.key for c in cells}) == 4
    assert [c.key for c in expand(spec, scenarios_dir=tmp_path / "built")] == \
        [c.key for c in cells]
    assert {(c.seed, c.demand_scale) for c in cells} == {(1, 1.0), (2, 1.0), (1, 1.5), (2, 1.5)}
    assert cells[0].villages == 9 and cells[0].area_km2 == pytest.approx(181.26, rel=1e-3)


def test_a_key_changes_when_the_scenario_content_changes():
    scenario = load_scenario(SMALL)
    digest = scenario_digest(scenario)
    assert scenario_digest(load_scenario(SMALL)) == digest
    first = scenario.stops[0]
    more = replace(scenario, stops=(replace(first, produce_kg=first.produce_kg + 1),
                                    *scenario.stops[1:]))
    assert scenario_digest(more) != digest
    moved = replace(scenario, network=replace(scenario.network, osm=ANHUI))
    assert scenario_digest(moved) != digest
    inputs = {"strategy": "consolidated", "fleet": {}, "demand_scale": 1.0, "seed": 1,
              "time_limit_s": 1.0, "solution_limit": None, "engine": "ortools",
              "cost_models": ["x"]}
    assert cell_key(scenario=digest, **inputs) == cell_key(scenario=digest, **inputs)
    assert cell_key(scenario=digest, **inputs) != cell_key(scenario=scenario_digest(more),
                                                           **inputs)
    assert cell_key(scenario=digest, **inputs) != cell_key(scenario=digest,
                                                           **{**inputs, "seed": 2})


@pytest.fixture(scope="module")
def cells(tmp_path_factory) -> list[Cell]:
    tmp = tmp_path_factory.mktemp("sweep")
    # OR-Tools by name: one process per cell, and the engine the rows below expect
    spec = load_sweep(_sweep(tmp, GOOD + 'engine = "ortools"\n'))
    return expand(spec, scenarios_dir=tmp / "built", cache_dir=tmp / "cache")


def _feeders() -> dict[str, int]:
    """Each feeder leg the consolidated plan of ``SMALL`` has, by label, with the parcels it
    must bring: one per carrier whose branch is away from the hub, its parcels in villages.csv."""
    sc = load_scenario(SMALL)
    with (SMALL.parent / "villages.csv").open(encoding="utf-8") as fh:
        villages = list(csv.DictReader(fh))
    return {f"feeder {c.id}": sum(int(v[f"parcels_{c.id}"]) for v in villages)
            for c in sc.carriers if c.depot != sc.consolidated.depot}


def test_run_cell_solves_checks_and_prices_under_every_cost_model(cells):
    outcome = run_cell(cells[0])
    row, plan = outcome.row, outcome.plan
    assert row["status"] == OK and row["error"] == "" and row["check_ok"]
    assert row["stops_served"] + row["stops_unserved"] == 9
    assert row["parcels"] == 225 and row["seed"] == 1 and row["engine"] == "ortools"
    assert row["ortools_version"] and row["ruralroute_version"]
    # core-seconds: the cell's own CPU time, at least its solver's (one process, one thread)
    assert 0.5 * row["solve_time_s"] <= row["cpu_s"] <= row["wall_time_s"] + 1
    assert row["decompose"] is None
    for model in ("diesel", "electric"):
        assert row[f"cost.{model}"] > 0
        assert row[f"cost_per_parcel.{model}"] == pytest.approx(row[f"cost.{model}"] / 225,
                                                               abs=1e-3)
    assert row["co2_kg.electric"] < row["co2_kg.diesel"]
    # villages are the stops of the delivery legs; a feeder's stops stand at the hub
    visited = sorted(s for leg in plan["legs"] if leg["echelon"] != "feeder"
                     for r in leg["routes"] for s in r["stops"])
    assert len(visited) == row["stops_served"] and len(set(visited)) == len(visited)
    assert {s.id for s in load_scenario(SMALL).stops} >= set(visited)
    routes = [r for leg in plan["legs"] for r in leg["routes"]]
    assert row["vehicles"] == len({(leg["label"], r["vehicle"]) for leg in plan["legs"]
                                   for r in leg["routes"]})
    assert row["trips"] == len(routes)
    assert row["distance_m"] == sum(r["distance_m"] for r in routes)
    feeders = _feeders()
    assert [f["leg"] for f in plan["feeders"]] == list(feeders)
    assert [leg["label"] for leg in plan["legs"] if leg["echelon"] == "feeder"] == list(feeders)
    for feeder in plan["feeders"]:
        assert feeder["parcels"] == feeders[feeder["leg"]], feeder
        (leg,) = [leg for leg in plan["legs"] if leg["label"] == feeder["leg"]]
        assert feeder["trips"] == len(leg["routes"])
        assert feeder["distance_m"] == sum(r["distance_m"] for r in leg["routes"])
        assert all(r["stops"] == ["jdc"] for r in leg["routes"])
    assert plan["costs"]["diesel"]["cost"] == row["cost.diesel"]


def test_a_cell_that_cannot_run_is_a_failed_row_with_its_message(cells, tmp_path):
    bad = tmp_path / "trucks-only.toml"
    bad.write_text("name = \"trucks-only\"\n[rates.truck]\nfixed_per_day = 1\nper_km = 1\n"
                   "per_hour = 1\nco2_g_per_km = 1\n", encoding="utf-8")
    cell = Cell(**{**cells[0].__dict__, "cost_models": (str(bad),)})
    outcome = run_cell(cell)
    assert outcome.plan is None
    assert outcome.row["status"] == FAILED
    assert "no rates for vehicle kind 'van'" in outcome.row["error"]
    assert "\n" not in outcome.row["error"]


def test_execute_records_every_cell_and_a_rerun_only_the_missing_ones(cells, tmp_path):
    store = ResultsStore(tmp_path / "results")
    with Client(processes=False, n_workers=1, threads_per_worker=2,
                dashboard_address=None) as client:
        first = execute(cells, store, client, poll_s=0.05)
        assert (first.done, first.failed, first.skipped) == (2, 0, 0)
        kept = store.cell_path(cells[0].key)
        stamp = kept.stat().st_mtime_ns
        store.cell_path(cells[1].key).unlink()
        second = execute(cells, store, client, poll_s=0.05)
    assert (second.done, second.skipped) == (1, 1)
    assert kept.stat().st_mtime_ns == stamp
    df = store.table()
    assert sorted(df["cell"]) == sorted(c.key for c in cells)
    assert set(df["status"]) == {OK}
    assert all((store.root / p).is_file() for p in df["plan_path"])


def test_a_cell_leaving_villages_unserved_records_their_gap_and_every_leg_its_budget(cells):
    cell = Cell(**{**cells[0].__dict__, "fleet": {"van": 1}})
    outcome = run_cell(cell)
    row, plan = outcome.row, outcome.plan
    assert row["status"] == OK, row["error"]
    assert row["stops_unserved"] > 0
    assert row["gap_villages"] == row["stops_unserved"] == plan["gap"]["kpis"]["stops_served"]
    assert row["gap_parcels"] == 225 - row["parcels"] > 0
    for model in ("diesel", "electric"):
        assert row[f"gap_cost.{model}"] > 0
    assert row["gap_cost.electric"] != row["gap_cost.diesel"]
    # 9 villages with demand, 1 s for the consolidated-size problem: 1 s per leg of <= 9 stops,
    # the shared fleet's and each carrier's feeder
    assert [leg["label"] for leg in plan["legs"]] == [*_feeders(), "shared fleet"]
    assert [leg["budget_s"] for leg in plan["legs"]] == [1.0] * (len(_feeders()) + 1)
    gap_legs = plan["gap"]["legs"]
    assert gap_legs and all(leg["label"].startswith("carrier ") for leg in gap_legs)
    assert all(leg["budget_s"] == 1.0 for leg in gap_legs)
    assert run_cell(cells[0]).row["gap_villages"] == 0


def test_strategies_are_parsed_at_the_edge_and_leave_plain_strings_in_rows(cells):
    spec_strategies = {c.strategy for c in cells}
    assert spec_strategies == {Strategy.CONSOLIDATED}
    cell = Cell(**{**cells[0].__dict__, "strategy": "township-relay"})
    assert cell.strategy is Strategy.TOWNSHIP_RELAY
    # rows and plan documents hold plain strings: Parquet columns and JSON stay as they were
    assert type(cell.inputs()["strategy"]) is str and cell.inputs()["strategy"] == "township-relay"
    outcome = run_cell(cells[0])
    assert outcome.plan is not None
    assert type(outcome.plan["strategy"]) is str and outcome.plan["strategy"] == "consolidated"
    echelons = [leg["echelon"] for leg in outcome.plan["legs"]]
    assert all(type(e) is str for e in echelons)
    assert echelons == ["feeder"] * len(_feeders()) + ["delivery"]
    with pytest.raises(ModelError, match=r"cell .*: strategy: unknown strategy 'pooled'"):
        Cell(**{**cells[0].__dict__, "strategy": "pooled"})


def test_a_sweep_file_names_its_strategies_as_members(tmp_path):
    body = GOOD.replace('strategies = ["consolidated"]',
                        'strategies = ["independent", "township-relay"]')
    spec = load_sweep(_sweep(tmp_path, body))
    assert spec.strategies == (Strategy.INDEPENDENT, Strategy.TOWNSHIP_RELAY)
    assert all(type(s) is Strategy for s in spec.strategies)
