"""Coalitions of carriers on the 9-village scenario: shares, checked solves, the store, the CLI."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from distributed import Client

from cli import main
from routing.core import SearchError
from routing.inputs import load_cost_model, load_scenario
from routing.pipeline import Geography, Timings, locate, settings_for
from routing.research import (
    RULES,
    CoalitionStore,
    CoalitionStudy,
    CostGame,
    analyse,
    coalition_study,
    coalition_tasks,
)
from routing.research import coalitions as module
from routing.research.coalitions import coalition_key, coalition_scenario, solve_missing
from routing.strategies import carrier_stops, has_load, run_strategy

SMALL = Path(__file__).resolve().parents[2] / "data" / "small_county"
TIME_LIMIT = 0.2
CARRIERS = ("ems", "zto", "yto", "yunda", "jt")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small county with a solution limit, so every solve is quick and repeatable."""
    folder = tmp_path_factory.mktemp("small") / "small_county"
    shutil.copytree(SMALL, folder)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.rstrip().endswith("seed = 7")  # [solver] is the last table
    toml.write_text(text.rstrip() + "\nsolution_limit = 20\n", encoding="utf-8")
    return toml


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrices")


@pytest.fixture(scope="module")
def geography(scenario_file: Path, cache: Path) -> Geography:
    return locate(load_scenario(scenario_file), timings=Timings(), cache_dir=cache)


@pytest.fixture(scope="module")
def studies(scenario_file: Path, cache: Path, geography: Geography,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The study run twice into the same store, counting the solves each run makes."""
    sc = load_scenario(scenario_file)
    settings = settings_for(sc, time_limit_s=TIME_LIMIT)
    out = tmp_path_factory.mktemp("coalitions")
    models = [load_cost_model("diesel"), load_cost_model("electric")]
    calls: list[str] = []

    def counting(scenario: Any, strategy: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(strategy)
        return run_strategy(scenario, strategy, *args, **kwargs)

    def refusing(*_: Any, **__: Any) -> Any:
        raise AssertionError("a rerun must not solve")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, "run_strategy", counting)
        first = coalition_study(sc, settings, CoalitionStore(out), cost_models=models,
                                cache_dir=cache, geography=geography)
        first_calls = list(calls)
        mp.setattr(module, "run_strategy", refusing)
        second = coalition_study(sc, settings, CoalitionStore(out), cost_models=models,
                                 cache_dir=cache, geography=geography)
    yield {"first": first, "second": second, "calls": first_calls, "out": out,
           "scenario": sc, "settings": settings}


def test_a_coalitions_share_of_a_village_is_the_sum_of_its_members_parts(scenario_file):
    sc = load_scenario(scenario_file)
    parts = carrier_stops(sc)
    pair = coalition_scenario(sc, ("ems", "jt"))
    assert [c.id for c in pair.carriers] == ["ems", "jt"]
    assert sum(c.share for c in pair.carriers) == pytest.approx(1.0)
    assert pair.shared_fleet() == sc.shared_fleet()  # the other carriers' vans stay out
    for stop in pair.stops:
        mine = [p for cid in ("ems", "jt") for p in parts[cid] if p.id == stop.id]
        assert stop.parcels == sum(p.parcels for p in mine)
        assert stop.weight_kg == sum(p.weight_kg for p in mine)
        assert stop.produce_kg == sum(p.produce_kg for p in mine)
        assert dict(stop.parcels_by_carrier) == {
            cid: next((p.parcels for p in parts[cid] if p.id == stop.id), 0)
            for cid in ("ems", "jt")}
    alone = coalition_scenario(sc, ("yunda",))
    assert [(s.id, s.parcels, s.weight_kg, s.produce_kg) for s in alone.stops] == [
        (s.id, s.parcels, s.weight_kg, s.produce_kg) for s in parts["yunda"]]
    everyone = coalition_scenario(sc, CARRIERS)
    assert [(s.id, s.parcels, s.weight_kg, s.produce_kg) for s in everyone.stops] == [
        (s.id, s.parcels, s.weight_kg, s.produce_kg) for s in sc.stops if has_load(s)]


def test_every_coalition_is_solved_once_and_a_rerun_solves_nothing(studies):
    first, second = studies["first"], studies["second"]
    assert first.solved == 31 and first.cached == 0
    assert sorted(studies["calls"]) == sorted(["independent"] * 5 + ["consolidated"] * 26)
    assert second.solved == 0 and second.cached == 31
    assert len(list((studies["out"] / "coalitions").glob("*.json"))) == 31
    assert second.coalition_rows() == first.coalition_rows()
    assert second.allocation_rows() == first.allocation_rows()


def test_coalition_costs_agree_with_the_strategies_on_the_whole_scenario(studies, geography):
    study: CoalitionStudy = studies["first"]
    sc, settings = studies["scenario"], studies["settings"]
    diesel = study.cost_models[0]
    pooled = run_strategy(sc, "consolidated", settings, geography=geography)
    alone = run_strategy(sc, "independent", settings, geography=geography)
    game = study.analyses["diesel"].game
    assert game.grand == pytest.approx(pooled.costs(diesel).total, rel=1e-9)
    assert sum(game.standalone().values()) == pytest.approx(alone.costs(diesel).total, rel=1e-9)
    assert {c: study.runs[(c,)].distance_m for c in CARRIERS} == {
        leg.label.removeprefix("carrier "): sum(r.distance_m for r in leg.plan.routes)
        for leg in alone.legs}


def test_allocations_add_up_to_the_grand_coalitions_cost(studies):
    study: CoalitionStudy = studies["first"]
    rows = study.allocation_rows()
    assert len(rows) == len(RULES) * len(CARRIERS) * 2
    for model in ("diesel", "electric"):
        analysis = study.analyses[model]
        alone = analysis.game.standalone()
        for allocation in analysis.allocations:
            assert allocation.total == pytest.approx(analysis.game.grand, rel=1e-9)
            mine = [r for r in rows if r["rule"] == allocation.rule and r["cost_model"] == model]
            assert {r["carrier"]: r["standalone_cost"] for r in mine} == {
                c: round(alone[c], 2) for c in CARRIERS}
            assert {r["in_core"] for r in mine} == {allocation.in_core}
        if not analysis.core_empty:
            assert analysis.allocation("nucleolus").in_core


def test_coalition_rows_price_each_coalition_against_its_members_alone(studies):
    study: CoalitionStudy = studies["first"]
    rows = [r for r in study.coalition_rows() if r["cost_model"] == "electric"]
    assert len(rows) == 31
    cost = {r["members"]: r["cost"] for r in rows}
    for row in rows:
        members = row["members"].split(";")
        assert row["saving"] == pytest.approx(sum(cost[m] for m in members) - row["cost"],
                                              abs=0.02)
        assert row["villages"] > 0 and row["vehicles"] >= 1 and row["km"] > 0
        assert row["strategy"] == ("independent" if len(members) == 1 else "consolidated")
    grand = next(r for r in rows if r["size"] == 5)
    assert grand["parcels"] == sum(study.parcels.values())


def test_a_damaged_record_is_solved_again_and_keys_follow_their_inputs(studies):
    sc, settings = studies["scenario"], studies["settings"]
    store = CoalitionStore(studies["out"])
    tasks = coalition_tasks(sc, settings)
    assert store.missing(tasks) == []
    run = store.get(tasks[7].key)
    assert run is not None and type(run).from_json(run.to_json()) == run
    damaged = store.path(tasks[7].key)
    original = damaged.read_bytes()
    damaged.write_text("{not json", encoding="utf-8")
    try:
        assert [t.members for t in store.missing(tasks)] == [tasks[7].members]
    finally:
        damaged.write_bytes(original)
    key = tasks[7].key
    assert coalition_key(tasks[7].scenario_key, ("zto", "ems"), settings, "ortools") != key
    assert coalition_key(tasks[7].scenario_key, tasks[7].members,
                         replace(settings, seed=settings.seed + 1), "ortools") != key
    assert coalition_key("0" * 64, tasks[7].members, settings, "ortools") != key


def test_coalitions_are_solved_on_a_dask_cluster(studies, tmp_path, cache):
    sc, settings = studies["scenario"], studies["settings"]
    tasks = [t for t in coalition_tasks(sc, settings, cache_dir=cache)
             if t.members in (("zto",), ("ems", "yto"), CARRIERS)]
    store = CoalitionStore(tmp_path)
    with Client(processes=False, n_workers=1, threads_per_worker=1,
                dashboard_address=None) as client:
        assert solve_missing(tasks, store, client=client) == 3
    model = studies["first"].cost_models[0]
    for task in tasks:
        run = store.get(task.key)
        assert run is not None
        assert run.costs(model) == pytest.approx(studies["first"].runs[task.members].costs(model))


def test_a_coalition_that_fails_on_a_worker_stops_the_study_with_its_error(studies, tmp_path,
                                                                         monkeypatch):
    sc, settings = studies["scenario"], studies["settings"]
    tasks = [t for t in coalition_tasks(sc, settings) if t.members == ("zto", "jt")]

    def short(task: Any, _geography: Any = None) -> Any:
        raise SearchError(f"ortools found no solution for {len(task.members)} carriers; "
                          "raise --time-limit")

    monkeypatch.setattr(module, "solve_coalition", short)
    with Client(processes=False, n_workers=1, threads_per_worker=1,
                dashboard_address=None) as client, pytest.raises(
            SearchError, match="coalition zto;jt: ortools found no solution for 2 carriers"):
        solve_missing(tasks, CoalitionStore(tmp_path), client=client)
    assert not list(tmp_path.rglob("*.json"))


def test_the_command_writes_the_tables_and_prints_every_carriers_bill(studies, scenario_file,
                                                                       cache):
    out = studies["out"]  # every coalition is recorded there: no cluster is started
    result = CliRunner().invoke(main, [
        "coalitions", str(scenario_file), "--out", str(out), "--time-limit", str(TIME_LIMIT),
        "--cost-model", "diesel", "--cost-model", "electric", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert "solved 0 coalitions (31 from" in result.output
    assert "diesel: the core is" in result.output and "electric: the core is" in result.output
    for carrier in CARRIERS:
        assert re.search(rf"{carrier}\s+│\s+\d+\s+│\s+[\d,]+\s+│", result.output), carrier
    with (out / "coalitions.csv").open(encoding="utf-8") as fh:
        coalitions = list(csv.DictReader(fh))
    assert len(coalitions) == 62
    assert {"members", "cost_model", "cost", "saving", "villages", "vehicles", "km"} <= set(
        coalitions[0])
    assert "ems;zto;yto;yunda;jt" in {r["members"] for r in coalitions}
    with (out / "allocation.csv").open(encoding="utf-8") as fh:
        allocation = list(csv.DictReader(fh))
    assert len(allocation) == 40
    assert {"rule", "cost_model", "carrier", "cost", "standalone_cost", "saving_pct",
            "in_core"} <= set(allocation[0])
    for model in ("diesel", "electric"):
        grand = next(float(r["cost"]) for r in coalitions
                     if r["cost_model"] == model and r["members"] == ";".join(CARRIERS))
        for rule in RULES:
            total = sum(float(r["cost"]) for r in allocation
                        if r["rule"] == rule and r["cost_model"] == model)
            assert total == pytest.approx(grand, abs=0.05)


def test_stability_lines_name_an_empty_core_and_the_blocking_coalitions():
    game = CostGame(("A", "B", "C"), {s: 1.0 if len(s) < 3 else 2.0
                                      for s in [("A",), ("B",), ("C",), ("A", "B"),
                                                ("A", "C"), ("B", "C"), ("A", "B", "C")]})
    model = load_cost_model("diesel")
    study = CoalitionStudy("toy", "Toy", ("A", "B", "C"), {}, {"A": 1, "B": 1, "C": 1},
                           (model,), {}, {model.name: analyse(game, {"A": 1, "B": 1, "C": 1})})
    lines = study.stability_lines("diesel", shown=2)
    assert lines[0] == ("diesel: the core is empty: no split keeps every group of carriers "
                        "from doing better alone (least-core epsilon 0.33 CNY)")
    assert "  nucleolus: blocked by A;B by 0.33, A;C by 0.33 and 1 more" in lines
    assert len(lines) == 1 + len(RULES)
    assert {r["members"] for r in study.stability_rows()} == {"A;B", "A;C", "B;C"}


def _one_carrier(tmp_path: Path) -> Path:
    """The small county with ems as its only carrier, holding every parcel."""
    folder = tmp_path / "one"
    shutil.copytree(SMALL, folder)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r'\[\[carriers\]\]\nid = "(zto|yto|yunda|jt)"\n(?:[^\n]+\n)*', "", text)
    toml.write_text(text.replace("share = 0.3", "share = 1.0"), encoding="utf-8")
    villages = folder / "villages.csv"
    with villages.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = [c for c in rows[0] if not c.startswith("parcels_") or c == "parcels_ems"]
    with villages.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keep, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "parcels_ems": r["parcels"]} for r in rows)
    assert [c.id for c in load_scenario(toml).carriers] == ["ems"]
    return toml


@pytest.mark.parametrize(("case", "message"), [
    ("one-carrier", "carriers: coalitions need at least two carriers; the scenario has 1 (ems)"),
    ("unknown-cost-model", "nosuch.toml: file: cost model file not found"),
    ("both-schedulers", "give --scheduler or --workers, not both"),
])
def test_bad_input_is_one_line_with_exit_code_2(tmp_path, case, message):
    scenario = _one_carrier(tmp_path) if case == "one-carrier" else SMALL / "scenario.toml"
    args = ["coalitions", str(scenario), "--out", str(tmp_path / "out")]
    if case == "unknown-cost-model":
        args += ["--cost-model", "nosuch"]
    if case == "both-schedulers":
        args += ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.stderr
    if case != "both-schedulers":  # click's usage errors add a usage line and a hint
        assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error:")
    assert not (tmp_path / "out" / "coalitions").exists()


def test_compare_with_coalitions_puts_every_carriers_bill_into_the_report(studies, scenario_file,
                                                                         cache):
    out = studies["out"]  # every coalition is recorded there: compare starts no cluster
    result = CliRunner().invoke(main, [
        "compare", str(scenario_file), "--out", str(out), "--time-limit", str(TIME_LIMIT),
        "--cost-model", "diesel", "--cache-dir", str(cache), "--coalitions"])
    assert result.exit_code == 0, result.output
    with (out / "allocation.csv").open(encoding="utf-8") as fh:
        bills = [r for r in csv.DictReader(fh) if r["rule"] == "shapley"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert len(bills) == len(CARRIERS)
    for bill in bills:
        assert f"{float(bill['cost']):,.0f}" in page, bill
    assert "diesel: the core is" in result.output
