"""The strategy-level check: each rule rejects a deliberately broken result, real ones pass."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from routing.core import Carrier, Echelon, PlanError, Stop, Unserved, VehicleType
from routing.inputs import FeederSpec, Scenario
from routing.reports import plan_document, write_strategy_reports
from routing.solving import SolveSettings
from routing.strategies import (
    Leg,
    StrategyResult,
    check_strategy,
    consolidated,
    run,
    run_strategy,
)
from routing.strategies.base import ready_s
from tests.routing.strategies.strategy_world import world

SETTINGS = SolveSettings(time_limit_s=1, objective="cost", solution_limit=300)

RULES = {
    "independent": ("demand-covered", "carrier-parts"),
    "consolidated": ("demand-covered", "pooled-villages", "feeders"),
    "township-relay": ("demand-covered", "pooled-villages", "feeders", "relay-trunk-loads",
                       "relay-trunk-first", "relay-produce"),
}


def _run(strategy: str, scenario: Scenario | None = None, **kw: int) -> StrategyResult:
    base, geography = world(**kw)
    return run_strategy(scenario or base, strategy, SETTINGS, geography=geography)


def _leg(result: StrategyResult, label: str) -> Leg:
    (leg,) = [lg for lg in result.legs if lg.label == label]
    return leg


def _local(result: StrategyResult) -> Leg:
    """The one local leg of a one-station relay, whatever its label."""
    (leg,) = [lg for lg in result.legs if lg.echelon == Echelon.LOCAL]
    return leg


def _swap(result: StrategyResult, label: str, **changes: object) -> StrategyResult:
    """``result`` with one leg changed (its problem or plan replaced)."""
    legs = tuple(replace(lg, **changes) if lg.label == label else lg for lg in result.legs)
    return replace(result, legs=legs)


def _restock(leg: Leg, sid: str, **load: int) -> dict[str, object]:
    """The leg's problem with stop ``sid``'s load changed, as ``_swap`` keywords."""
    stops = tuple(replace(s, **load) if s.id == sid else s for s in leg.problem.stops)
    return {"problem": replace(leg.problem, stops=stops)}


def _without(result: StrategyResult, *labels: str) -> StrategyResult:
    """``result`` with the legs labelled ``labels`` left out."""
    return replace(result, legs=tuple(lg for lg in result.legs if lg.label not in labels))


def _violations(result: StrategyResult) -> tuple[str, ...]:
    return check_strategy(result, strict=False).violations


def _with_types(scenario: Scenario, *types: VehicleType) -> Scenario:
    """The scenario with some vehicle types replaced (by id) or added."""
    by_id = {vt.id: vt for vt in scenario.vehicle_types} | {vt.id: vt for vt in types}
    return replace(scenario, vehicle_types=tuple(by_id.values()))


# --- real strategies pass ---------------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(RULES))
def test_real_strategies_pass_every_rule_that_applies(strategy):
    check = check_strategy(_run(strategy, produce_kg=5))
    assert check.names == RULES[strategy]
    assert check.ok and check.violations == ()
    assert all(rule.checked for rule in check.rules)


def test_strict_check_raises_a_plan_error_naming_the_rule_and_counting_the_rest():
    result = _run("consolidated")
    broken = replace(_without(result, "feeder a", "feeder b"),
                     unserved=(Unserved("v9", "lost"),))
    with pytest.raises(PlanError, match=r"demand-covered: unserved village v9 is not in the "
                                        r"scenario \(and 2 more\)"):
        check_strategy(broken)
    assert check_strategy(broken, strict=False).violations == (
        "demand-covered: unserved village v9 is not in the scenario",
        "feeders: carrier a has 0 feeder legs, not one",
        "feeders: carrier b has 0 feeder legs, not one")


def test_run_strategy_refuses_a_result_whose_legs_do_not_add_up(monkeypatch):
    build = consolidated.plan_consolidated
    monkeypatch.setattr(run, "plan_consolidated",
                        lambda runner: _without(build(runner), "feeder b"))
    with pytest.raises(PlanError, match="feeders: carrier b has 0 feeder legs, not one"):
        _run("consolidated")


# --- every strategy: demand covered -----------------------------------------------------------


def test_a_village_neither_served_nor_listed_unserved_is_rejected():
    result = _run("consolidated")
    leg = _leg(result, "shared fleet")
    no_routes = _swap(result, "shared fleet", plan=replace(leg.plan, routes=()))
    assert _violations(no_routes) == tuple(
        f"demand-covered: village {v} receives 0 parcels / 0 kg / 0 kg produce of its 10 "
        f"parcels / 20 kg / 0 kg produce and is not listed unserved" for v in ("v1", "v2", "v3"))
    no_legs = replace(result, legs=())
    assert ("demand-covered: village v1 receives 0 parcels / 0 kg / 0 kg produce of its 10 "
            "parcels / 20 kg / 0 kg produce and is not listed unserved") in _violations(no_legs)


def test_a_village_listed_unserved_that_receives_its_whole_load_is_rejected():
    result = _run("independent")
    broken = replace(result, unserved=(Unserved("v2", "carrier a: fleet too small"),))
    assert _violations(broken) == (
        "demand-covered: village v2 is listed unserved but receives its whole load",)


def test_a_village_one_carrier_leaves_must_be_listed_unserved():
    result = _run("independent")
    leg = _leg(result, "carrier b")
    (route,) = leg.plan.routes
    short = replace(route, stops=route.stops[:2], arrival_s=route.arrival_s[:2])
    broken = _swap(result, "carrier b", plan=replace(leg.plan, routes=(short,)))
    assert _violations(broken) == (
        "demand-covered: village v3 receives 6 parcels / 12 kg / 0 kg produce of its 10 parcels "
        "/ 20 kg / 0 kg produce and is not listed unserved",)
    listed = replace(broken, unserved=(Unserved("v3", "carrier b: unreachable"),))
    assert _violations(listed) == ()


# --- independent: carriers' parts add up ------------------------------------------------------


def test_carriers_parts_must_add_up_to_the_village():
    result = _run("independent", produce_kg=5)
    leg = _leg(result, "carrier a")
    fewer = _swap(result, "carrier a",
                  **_restock(leg, "v1", parcels=5, parcels_by_carrier={"a": 5}))
    assert _violations(fewer) == (
        "demand-covered: village v1 receives 9 parcels / 20 kg / 5 kg produce of its 10 parcels "
        "/ 20 kg / 5 kg produce and is not listed unserved",
        "carrier-parts: carrier a holds 5 parcels at v1, but carrier a's part is 6",
        "carrier-parts: the carriers' parts of village v1 add up to 9 parcels / 20 kg / 5 kg "
        "produce, not its 10 parcels / 20 kg / 5 kg produce")
    less_produce = _swap(result, "carrier a", **_restock(leg, "v2", produce_kg=0))
    assert _violations(less_produce) == (
        "demand-covered: village v2 receives 10 parcels / 20 kg / 2 kg produce of its 10 parcels "
        "/ 20 kg / 5 kg produce and is not listed unserved",
        "carrier-parts: the carriers' parts of village v2 add up to 10 parcels / 20 kg / 2 kg "
        "produce, not its 10 parcels / 20 kg / 5 kg produce",)


def test_a_carrier_without_a_leg_is_rejected():
    result = _run("independent")
    broken = replace(result, legs=result.legs[:1])
    violations = _violations(broken)
    assert "carrier-parts: carrier b drives no leg" in violations
    assert any("parts of village v1 add up to 6 parcels" in v for v in violations)


# --- consolidated: each village once ----------------------------------------------------------


def test_consolidated_village_served_twice_is_rejected():
    result = _run("consolidated")
    twice = replace(result, legs=(*result.legs, _leg(result, "shared fleet")))
    assert _violations(twice) == (
        *(f"demand-covered: village {v} receives 20 parcels / 40 kg / 0 kg produce of its 10 "
          f"parcels / 20 kg / 0 kg produce and is not listed unserved" for v in ("v1", "v2", "v3")),
        *(f"pooled-villages: village {v} gets 20 parcels / 40 kg / 0 kg produce over its visits, "
          f"more than its 10 parcels / 20 kg / 0 kg produce" for v in ("v1", "v2", "v3")),
        *(f"pooled-villages: visit {v} is driven 2 times" for v in ("v1", "v2", "v3")))


def test_consolidated_village_with_a_changed_load_is_rejected():
    result = _run("consolidated")
    leg = _leg(result, "shared fleet")
    broken = _swap(result, "shared fleet", **_restock(leg, "v3", weight_kg=25))
    assert _violations(broken) == (
        "demand-covered: village v3 receives 10 parcels / 25 kg / 0 kg produce of its 10 parcels "
        "/ 20 kg / 0 kg produce and is not listed unserved",
        "pooled-villages: village v3 gets 10 parcels / 25 kg / 0 kg produce over its visits, "
        "more than its 10 parcels / 20 kg / 0 kg produce",)


def test_a_split_village_is_checked_over_its_visits():
    scenario, _ = world()
    # v1's 150 parcels do not fit a 100-parcel van: two visits of 75
    stops = tuple(replace(s, parcels=150, weight_kg=300, parcels_by_carrier={"a": 90, "b": 60})
                  if s.id == "v1" else s for s in scenario.stops)
    result = _run("consolidated", replace(scenario, stops=stops))
    leg = _leg(result, "shared fleet")
    assert [(s.id, s.parcels, s.weight_kg, leg.location(s.id)) for s in leg.problem.stops
            if s.id.startswith("v1")] == [("v1#1", 75, 150, "v1"), ("v1#2", 75, 150, "v1")]
    assert check_strategy(result).ok
    routes = tuple(r for r in leg.plan.routes if "v1#2" not in r.stops)
    one_visit = _swap(result, "shared fleet", plan=replace(leg.plan, routes=routes))
    missing = [v for v in _violations(one_visit) if "v1" in v]
    assert missing == ["demand-covered: village v1 receives 75 parcels / 150 kg / 0 kg produce of "
                       "its 150 parcels / 300 kg / 0 kg produce and is not listed unserved"]
    lighter = _swap(result, "shared fleet", **_restock(leg, "v1#2", weight_kg=140))
    assert _violations(lighter) == (
        "demand-covered: village v1 receives 150 parcels / 290 kg / 0 kg produce of its 150 "
        "parcels / 300 kg / 0 kg produce and is not listed unserved",)


# --- feeders ----------------------------------------------------------------------------------


def test_feeders_must_carry_every_carriers_parcels_to_the_hub():
    result = _run("consolidated")
    assert _violations(_without(result, "feeder b")) == (
        "feeders: carrier b has 0 feeder legs, not one",)
    b = _leg(result, "feeder b")
    fewer = _swap(result, "feeder b", **_restock(b, "jdc", parcels=11,
                                                 parcels_by_carrier={"b": 11}))
    assert _violations(fewer) == (
        "feeders: feeder b brings 11 parcels / 24 kg to jdc, not carrier b's 12 parcels / 24 kg",)
    undriven = _swap(result, "feeder b", plan=replace(b.plan, routes=()))
    assert _violations(undriven) == (
        "feeders: feeder b brings 0 parcels / 0 kg to jdc, not carrier b's 12 parcels / 24 kg",)
    elsewhere = _swap(result, "feeder b", location_of={"jdc": "a-branch"})
    assert _violations(elsewhere) == (
        "feeders: feeder b: load jdc stands at a-branch, not the hub jdc",)


def test_feeder_loads_split_into_van_loads_are_summed_and_a_missing_one_is_caught():
    scenario, _ = world()
    small = VehicleType("a-van", count=2, capacity_parcels=10, capacity_kg=400, depot="a-branch")
    result = _run("consolidated", _with_types(scenario, small))
    a = _leg(result, "feeder a")
    assert [(s.id, s.parcels, a.location(s.id)) for s in a.problem.stops] == [
        ("jdc#1", 9, "jdc"), ("jdc#2", 9, "jdc")]
    assert len(a.plan.routes) == 2 and _violations(result) == ()
    one = _swap(result, "feeder a", plan=replace(a.plan, routes=a.plan.routes[:1]))
    assert _violations(one) == (
        "feeders: feeder a brings 9 parcels / 18 kg to jdc, not carrier a's 18 parcels / 36 kg",)


@pytest.mark.parametrize("strategy", ["consolidated", "township-relay"])
def test_the_pooled_fleet_leaving_before_the_feeders_parcels_are_sorted_is_rejected(strategy):
    result = _run(strategy)
    ready = ready_s(result.feeder_legs, result.scenario.feeders.sort_s)
    # the feeders reach the centre at 08:00:10, unload for 60 s, sorting takes 1,800 s
    assert ready == 8 * 3600 + 10 + 60 + 1800
    label = "shared fleet" if strategy == "consolidated" else "trunk"
    leg = _leg(result, label)
    assert all(r.start_s >= ready for r in leg.plan.routes)
    (route,) = leg.plan.routes
    early = replace(route, start_s=ready - 1)
    broken = _swap(result, label, plan=replace(leg.plan, routes=(early,)))
    assert _violations(broken) == (
        f"feeders: {label}: {route.vehicle} leaves the hub at 08:31, before the feeders' parcels "
        f"are sorted at 08:31",)
    at_eight = _swap(result, label, plan=replace(leg.plan, routes=(replace(route,
                                                                           start_s=8 * 3600),)))
    assert _violations(at_eight) == (
        f"feeders: {label}: {route.vehicle} leaves the hub at 08:00, before the feeders' parcels "
        f"are sorted at 08:31",)


def test_a_longer_sorting_time_makes_the_shared_fleet_leave_later():
    base, geography = world()
    scenario = replace(base, feeders=FeederSpec(depart_s=7 * 3600, sort_s=600))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    assert [r.start_s for f in result.feeder_legs for r in f.plan.routes] == [7 * 3600] * 2
    ready = 7 * 3600 + 10 + 60 + 600
    assert ready_s(result.feeder_legs, 600) == ready
    (route,) = _leg(result, "shared fleet").plan.routes
    # the van's type starts its shift at 08:00, later than the parcels are ready
    assert route.start_s == 8 * 3600 > ready
    late = replace(scenario, feeders=FeederSpec(depart_s=7 * 3600, sort_s=2 * 3600))
    result = run_strategy(late, "consolidated", SETTINGS, geography=geography)
    (route,) = _leg(result, "shared fleet").plan.routes
    assert route.start_s == 7 * 3600 + 10 + 60 + 2 * 3600


@pytest.mark.parametrize("strategy", ["independent", "consolidated", "township-relay"])
def test_a_carrier_whose_branch_is_the_hub_needs_no_feeder(strategy):
    scenario, _ = world()
    own = VehicleType("a-hub-van", count=2, capacity_parcels=100, capacity_kg=400, depot="jdc")
    at_hub = replace(_with_types(scenario, own),
                     carriers=(Carrier("a", "A", 0.6, "jdc", ("a-hub-van",)),
                               scenario.carriers[1]))
    result = _run(strategy, at_hub)
    check = check_strategy(result)
    assert check.ok and check.names == RULES[strategy]
    if strategy == "independent":
        assert result.feeder_legs == ()
        return
    assert [(f.label, [s.parcels for s in f.problem.stops]) for f in result.feeder_legs] == [
        ("feeder b", [12])]
    b = _leg(result, "feeder b")
    (route,) = b.plan.routes
    hub, load = result.scenario.depots[0], replace(b.problem.stops[0], id="jdc#1")
    extra = replace(b, label="feeder a", location_of={"jdc#1": "jdc"},
                    problem=replace(b.problem, depots=(hub,), vehicle_types=(own,), stops=(load,)),
                    plan=replace(b.plan, routes=(replace(route, stops=("jdc#1",), depot="jdc",
                                                         vehicle_type=own.id),)))
    assert _violations(replace(result, legs=(extra, *result.legs))) == (
        "feeders: carrier a needs no feeder, yet feeder a runs",)


# --- township relay ---------------------------------------------------------------------------


def test_relay_trunk_must_bring_what_the_local_rounds_deliver():
    result = _run("township-relay")
    trunk = _leg(result, "trunk")
    broken = _swap(result, "trunk", **_restock(trunk, "t1", parcels=29))
    assert _violations(broken) == (
        "relay-trunk-loads: station t1: the trunk brings 29 parcels / 60 kg but its local "
        "rounds deliver 30 parcels / 60 kg",)


def test_relay_split_trunk_loads_are_summed_and_a_missing_one_is_caught():
    scenario, _ = world()
    small = VehicleType("truck", count=2, capacity_parcels=20, capacity_kg=2000, depot="jdc",
                        kind="truck")
    result = _run("township-relay", _with_types(scenario, small))
    trunk = _leg(result, "trunk")
    assert sorted(s.id for s in trunk.problem.stops) == ["t1#1", "t1#2"]
    assert check_strategy(result).ok
    one = tuple(r for r in trunk.plan.routes if r.stops != ("t1#2",))
    one = tuple(replace(r, stops=r.stops[:1], arrival_s=r.arrival_s[:1]) for r in one)
    broken = _swap(result, "trunk", plan=replace(trunk.plan, routes=one))
    assert _violations(broken) == (
        "relay-trunk-loads: station t1: the trunk brings 15 parcels / 30 kg but its local "
        "rounds deliver 30 parcels / 60 kg",)


def test_relay_local_round_leaving_before_the_trunk_unloads_is_rejected():
    result = _run("township-relay")
    local = _local(result)
    early = tuple(replace(r, start_s=8 * 3600) for r in local.plan.routes)
    broken = _swap(result, local.label, plan=replace(local.plan, routes=early))
    # The trunk leaves once the feeders' parcels are sorted (08:31:10), reaches t1 200 s later
    # (2 km at 10 m/s) and unloads for 300 s.
    assert _violations(broken) == (
        "relay-trunk-first: station t1: a local round leaves at 08:00 (28800 s), before the "
        "trunk has unloaded at 08:39 (31170 s)",)


def test_relay_trunk_loads_match_local_deliveries_after_a_re_solve():
    result = _run("township-relay")
    trunk, local = _leg(result, "trunk"), _local(result)
    (arrival,) = trunk.plan.routes[0].arrival_s
    ready = arrival + result.scenario.relay.transfer_s
    # The trike's shift starts at 08:00, before the trunk has unloaded: its round was re-solved.
    assert all(vt.shift_start_s == ready for vt in local.problem.vehicle_types)
    assert all(r.start_s >= ready for r in local.plan.routes)
    handed = [local.problem.stop_by_id[s] for r in local.plan.routes for s in r.stops]
    assert trunk.problem.stops[0].parcels == sum(s.parcels for s in handed) == 30


def test_relay_trunk_loads_follow_a_re_solve_that_drops_a_village():
    scenario, _ = world()
    # v1 closes at 08:03:20: reachable at a 08:00 start, not after the trunk unloads at 08:08.
    stops = tuple(replace(s, close_s=8 * 3600 + 200) if s.id == "v1" else s
                  for s in scenario.stops)
    result = _run("township-relay", replace(scenario, stops=stops))
    (unserved,) = result.unserved
    assert unserved.stop == "v1"
    trunk = _leg(result, "trunk")
    # t1's load is what the re-solved rounds hand over; v1, which no round can reach in time,
    # is offered to the trunk directly, which cannot reach it by 08:03 either
    assert [(s.id, s.parcels, trunk.location(s.id)) for s in trunk.problem.stops] == [
        ("t1", 20, "t1"), ("v1", 10, "v1")]
    assert [r.stops for r in trunk.plan.routes] == [("t1",)]
    assert "trike@t1 from t1 reaches v1 at 08:41" in unserved.reason
    assert "; trunk: unreachable: truck from jdc reaches v1 at 08:32" in unserved.reason
    assert check_strategy(result).ok


def test_relay_produce_must_be_taken_back_and_its_day_stated():
    result = _run("township-relay", produce_kg=5)
    (rule,) = [r for r in check_strategy(result).rules if r.name == "relay-produce"]
    assert rule.details == ("station t1: 15 kg produce, back to the hub next day (trunk leaves "
                            "08:39, last round back 08:49)",)
    trunk = _leg(result, "trunk")
    broken = _swap(result, "trunk", **_restock(trunk, "t1", produce_kg=10))
    assert _violations(broken) == (
        "relay-produce: station t1: local rounds collect 15 kg produce but the trunk takes 10 "
        "kg back",)


def test_relay_trunk_stop_at_no_station_is_rejected():
    result = _run("township-relay")
    trunk = _leg(result, "trunk")
    moved = tuple(replace(r, stops=("elsewhere",)) for r in trunk.plan.routes)
    stops = (Stop("elsewhere", "x", 116.0, 33.0, parcels=30, weight_kg=60),)
    broken = _swap(result, "trunk", problem=replace(trunk.problem, stops=stops),
                   plan=replace(trunk.plan, routes=moved))
    violations = _violations(broken)
    assert "relay-trunk-loads: trunk stop elsewhere stands at no township station" in violations
    assert ("relay-trunk-loads: station t1: the trunk brings 0 parcels / 0 kg but its local "
            "rounds deliver 30 parcels / 60 kg") in violations


# --- plan.json --------------------------------------------------------------------------------


def test_plan_json_lists_every_check_that_ran_leg_and_strategy_level():
    result = _run("township-relay")
    check = plan_document(result, seed=1, engine="ortools")["check"]
    assert check["ok"] is True and check["violations"] == []
    assert [leg.label for leg in result.legs][:3] == ["feeder a", "feeder b", "trunk"]
    assert [(c["level"], c["name"]) for c in check["checks"]] == [
        *(("leg", leg.label) for leg in result.legs),
        *(("strategy", name) for name in RULES["township-relay"])]
    assert all(c["ok"] and c["checked"] for c in check["checks"])
    assert check["checks"][0]["checked"].startswith(
        "1 trips of 1 vehicles recomputed from the matrices")


def test_a_result_that_fails_the_check_is_never_written(tmp_path: Path):
    result = _run("consolidated")
    broken = _without(result, "feeder a")
    check = plan_document(broken, seed=1, engine="ortools")["check"]
    assert check["ok"] is False
    assert check["violations"] == ["feeders: carrier a has 0 feeder legs, not one"]
    assert [c["name"] for c in check["checks"] if not c["ok"]] == ["feeders"]
    with pytest.raises(PlanError, match="carrier a has 0 feeder legs"):
        write_strategy_reports(broken, tmp_path / "out", seed=1, engine="ortools")
    assert not (tmp_path / "out").exists()
    json.dumps(check)  # the record is plain JSON
