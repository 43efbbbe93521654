"""Strategies on a straight-road world whose right answers are known by hand."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from routing.core import (
    STRATEGIES,
    Echelon,
    LikeForLike,
    ModelError,
    Objective,
    Strategy,
    VehicleType,
    Why,
    saving_pct,
)
from routing.inputs import load_scenario
from routing.pipeline import MIN_BUDGET_S, MIN_BUDGET_STOPS, budget_s, settings_for
from routing.solving import SolveSettings
from routing.strategies import Comparison, carrier_stops, check_strategy, gap_plan, run_strategy
from tests.routing.strategies.strategy_world import COSTS, with_types, world

SETTINGS = SolveSettings(time_limit_s=1, objective="cost", solution_limit=300)


def _run(strategy: str, **kw):
    scenario, geography = world(**kw)
    return run_strategy(scenario, strategy, SETTINGS, geography=geography)


def _leg(result, label: str):
    (leg,) = [lg for lg in result.legs if lg.label == label]
    return leg


def _local(result):
    """The one local leg of a one-station relay (its label depends on whether the rounds were
    solved again after the trunk)."""
    (leg,) = [lg for lg in result.legs if lg.echelon == Echelon.LOCAL]
    return leg


#: The carriers' feeder vans leave their branches at 08:00, reach the centre 100 m away after
#: 10 s and unload in 60 s (the world's per-stop time); sorting takes the default 1,800 s.
READY_S = 8 * 3600 + 10 + 60 + 1800


def test_independent_sends_each_carrier_to_every_village():
    result = _run("independent")
    assert [leg.label for leg in result.legs] == ["carrier a", "carrier b"]
    # a from -100 m: out to 3 km and back = 6,200 m; b from +100 m: 5,800 m.
    assert [leg.plan.distance_m for leg in result.legs] == [6200, 5800]
    assert result.kpis()["village_visits"] == 6
    assert result.kpis()["parcels"] == 30
    assert result.transferred_parcels == 0


def test_consolidated_visits_each_village_once_and_is_not_worse_in_distance():
    independent, consolidated = _run("independent"), _run("consolidated")
    assert [leg.label for leg in consolidated.legs] == ["feeder a", "feeder b", "shared fleet"]
    leg = _leg(consolidated, "shared fleet")
    assert leg.plan.distance_m == 6000
    # feeder legs: a and b bring 18 and 12 parcels from 100 m away, one van trip each, and
    # their one load stands at the centre
    feeders = consolidated.feeder_legs
    assert [(f.label, f.echelon, len(f.plan.routes), f.plan.distance_m) for f in feeders] == [
        ("feeder a", Echelon.FEEDER, 1, 200), ("feeder b", Echelon.FEEDER, 1, 200)]
    assert [[(s.id, s.parcels, s.weight_kg) for s in f.problem.stops] for f in feeders] == [
        [("jdc", 18, 36)], [("jdc", 12, 24)]]
    assert [r.depot for f in feeders for r in f.plan.routes] == ["a-branch", "b-branch"]
    # the shared van leaves only once the feeders have unloaded and the parcels are sorted
    assert [r.start_s for r in leg.plan.routes] == [READY_S]
    kpis = consolidated.kpis()
    assert kpis["distance_m"] == 6400 <= independent.kpis()["distance_m"] == 12000
    assert (kpis["vehicles"], kpis["trips"], kpis["feeder_vehicles"], kpis["feeder_km"]) == (
        3, 3, 2, 0.4)
    assert kpis["village_visits"] == 3
    assert consolidated.transferred_parcels == 30


def test_costs_price_vehicles_distance_and_transfers():
    result = _run("consolidated")
    cost = result.costs(COSTS)
    # one shared van (100 + 6 km x 1.0) and two feeder vans (100 + 0.2 km each), 30 transfers
    assert cost.fixed == 300
    assert cost.distance == pytest.approx(6.0 + 0.2 + 0.2)
    assert cost.transfer == pytest.approx(3.0)
    assert cost.co2_kg == pytest.approx(6.4 * 200 / 1000)
    assert cost.per_parcel == pytest.approx(cost.total / 30)


def test_township_relay_solves_trunk_and_local_echelons():
    result = _run("township-relay")
    *feeders, trunk, local = result.legs
    assert [f.label for f in feeders] == ["feeder a", "feeder b"]
    assert (trunk.echelon, local.echelon) == ("trunk", "local")
    assert trunk.label == "trunk" and local.label in ("local rounds", "local t1")
    assert trunk.plan.distance_m == 4000  # centre to the station at 2 km and back
    assert [r.start_s for r in trunk.plan.routes] == [READY_S]  # after the feeders' parcels
    # the station's fleet, named type@station
    assert [(d.id, vt.id, vt.depot, vt.count) for d, vt in zip(
        local.problem.depots, local.problem.vehicle_types, strict=True)] == [
        ("t1", "trike@t1", "t1", 2)]
    assert sorted(s for r in local.plan.routes for s in r.stops) == ["v1", "v2", "v3"]
    assert [(s.id, s.parcels) for s in trunk.problem.stops] == [("t1", 30)]
    assert trunk.location("t1") == "t1"
    assert result.unserved == ()
    assert result.transferred_parcels == 30 + 30  # at the centre, then at the station


def test_relay_stations_are_chosen_by_the_solver_within_each_stations_fleet():
    scenario, geography = world(stations=("t1", "t2"))  # t2 at 4 km, beyond v3
    trikes = [replace(vt, capacity_parcels=20) if vt.id == "trike" else vt
              for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(trikes),
                       relay=replace(scenario.relay, local_per_station=1))
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    # one 20-parcel trike per station: t1, nearest to all three villages, takes v1 and v2, and
    # v3 is served from t2 (1 km away too) rather than left out or sent on the trunk
    rounds = {(r.depot, r.vehicle_type): sorted(r.stops) for leg in result.legs
              if leg.echelon == Echelon.LOCAL for r in leg.plan.routes}
    assert rounds == {("t1", "trike@t1"): ["v1", "v2"], ("t2", "trike@t2"): ["v3"]}
    trunk = _leg(result, "trunk")
    assert sorted((s.id, s.parcels) for s in trunk.problem.stops) == [("t1", 20), ("t2", 10)]
    assert result.unserved == () and check_strategy(result).ok


def test_cheaper_small_vehicle_is_chosen_where_it_fits():
    scenario, geography = world()
    trike = VehicleType("small", count=1, capacity_parcels=40, capacity_kg=100, depot="jdc",
                        kind="tricycle")
    scenario = with_types(scenario, trike, shared=("shared-van", "small"))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    assert [r.vehicle_type for r in _leg(result, "shared fleet").plan.routes] == ["small"]


def test_small_vehicle_is_not_used_where_the_load_does_not_fit():
    scenario, geography = world()
    trike = VehicleType("small", count=1, capacity_parcels=20, capacity_kg=100, depot="jdc",
                        kind="tricycle")
    scenario = with_types(scenario, trike, shared=("shared-van", "small"))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    assert all(leg.check.ok for leg in result.legs)
    routes = _leg(result, "shared fleet").plan.routes
    loads = [r.load[0] for r in routes if r.vehicle_type == "small"]
    assert all(load <= 20 for load in loads)
    assert sum(r.load[0] for r in routes) == 30


def test_produce_rides_back_and_a_village_too_heavy_for_a_trike_is_split_and_served():
    result = _run("township-relay", produce_kg=250)  # a trike carries 200 kg
    trunk, local = _leg(result, "trunk"), _local(result)
    # each village's 250 kg is split into two 125 kg visits standing at the village; the two
    # one-trip trikes take the two visits of v2, at their station
    assert sorted((s.id, s.parcels, s.weight_kg, s.produce_kg, local.location(s.id))
                  for s in local.problem.stops) == [("v2#1", 5, 10, 125, "v2"),
                                                    ("v2#2", 5, 10, 125, "v2")]
    assert sorted(s for r in local.plan.routes for s in r.stops) == ["v2#1", "v2#2"]
    # the trunk brings v2's load to the station and serves the other villages directly
    assert trunk.problem.stop_by_id["t1"].produce_kg == 250
    direct = [trunk.problem.stop_by_id[s] for r in trunk.plan.routes for s in r.stops
              if s != "t1"]
    for village in ("v1", "v3"):
        mine = [s for s in direct if trunk.location(s.id) == village]
        assert (sum(s.parcels for s in mine), sum(s.weight_kg for s in mine),
                sum(s.produce_kg for s in mine)) == (10, 20, 250), village
    assert any("directly from the hub, where no local vehicle can: v1, v3" in n
               for n in trunk.plan.notes)
    assert result.unserved == ()
    kpis = result.kpis()
    # v2 in two trike visits, v1 and v3 in one trunk visit each (a truck carries them whole)
    assert (kpis["stops_served"], kpis["village_visits"], kpis["produce_kg"]) == (3, 4, 750)
    assert check_strategy(result).ok
    # A 400 kg van holds one village's 250 kg of produce, not two: two vans serve two villages.
    consolidated = _run("consolidated", produce_kg=250)
    assert consolidated.kpis()["produce_kg"] == 500
    (unserved,) = consolidated.unserved
    assert unserved.reason.startswith("fleet too small")
    assert max(max(r.max_load) for r in consolidated.legs[0].check.routes) <= 400


def test_a_village_the_trunk_serves_directly_gets_one_visit_where_the_truck_carries_it_whole():
    # The visits a trike could not make (v1#1, v1#2) reach the trunk as v1 whole: the 2,000 kg
    # truck carries its 250 kg, and splits are made only where no vehicle of the leg can.
    result = _run("township-relay", produce_kg=250)
    trunk = _leg(result, "trunk")
    direct = [(trunk.location(s.id), s.parcels, s.weight_kg, s.produce_kg)
              for s in trunk.problem.stops if trunk.location(s.id) in ("v1", "v3")]
    assert sorted(direct) == [("v1", 10, 20, 250), ("v3", 10, 20, 250)]


def test_a_village_the_trunk_serves_directly_takes_the_village_service_time():
    # Known failure (relay._trunk_leg): every trunk stop is timed as a station transfer
    # (relay.transfer_s, 300 s here), a village served directly by the truck included; at a
    # village the scenario's [service] time applies (60 s + 0 s per parcel here).
    scenario, geography = world()
    stops = tuple(replace(s, close_s=8 * 3600 + 200) if s.id == "v1" else s
                  for s in scenario.stops)  # no trike reaches v1 in time
    result = run_strategy(replace(scenario, stops=stops), "township-relay", SETTINGS,
                          geography=geography)
    trunk = _leg(result, "trunk")
    assert trunk.location("v1") == "v1"
    assert int(trunk.problem.service_s[trunk.problem.index["v1"]]) == 60
    assert int(trunk.problem.service_s[trunk.problem.index["t1"]]) == 300


def test_each_carrier_collects_its_share_of_the_produce():
    scenario, _ = world(produce_kg=7)
    split = carrier_stops(scenario)
    assert [s.produce_kg for s in split["a"]] == [4, 4, 4]
    assert [s.produce_kg for s in split["b"]] == [3, 3, 3]
    assert [s.parcels for s in split["a"]] == [6, 6, 6]
    assert [s.weight_kg for s in split["a"]] == [12, 12, 12]


def test_unknown_strategy_names_the_choices():
    scenario, geography = world()
    with pytest.raises(ValueError, match="strategy: unknown strategy 'teleport'; choose one of"):
        run_strategy(scenario, "teleport", SETTINGS, geography=geography)


def test_a_village_with_no_load_is_not_visited_and_is_counted_apart():
    scenario, geography = world()
    quiet = replace(scenario.stops[1], parcels=0, weight_kg=0, parcels_by_carrier={"a": 0, "b": 0})
    scenario = replace(scenario, stops=(scenario.stops[0], quiet, scenario.stops[2]))
    for strategy in ("independent", "consolidated", "township-relay"):
        result = run_strategy(scenario, strategy, SETTINGS, geography=geography)
        kpis = result.kpis()
        assert result.idle == ("v2",)
        assert (kpis["stops_served"], kpis["stops_unserved"], kpis["stops_without_demand"]) == (
            2, 0, 1), strategy


def test_a_trunk_load_that_is_not_delivered_takes_its_villages_out_of_the_delivered_total():
    scenario, geography = world()
    tiny_truck = VehicleType("truck", count=1, capacity_parcels=500, capacity_kg=2000,
                             depot="jdc", kind="truck", max_duration_s=60)
    scenario = replace(scenario, vehicle_types=tuple(
        tiny_truck if vt.id == "truck" else vt for vt in scenario.vehicle_types))
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    assert sorted(u.stop for u in result.unserved) == ["v1", "v2", "v3"]
    assert all("trunk load for station t1 was not delivered" in u.reason for u in result.unserved)
    assert result.delivered() == (0, 0, 0)
    assert result.kpis()["stops_served"] == 0
    assert result.transferred_parcels == 30  # only the carriers' hand-over at the centre


def test_feeder_trips_count_kilograms_too():
    scenario, geography = world()
    light = [replace(vt, capacity_kg=20) if vt.id == "a-van" else vt
             for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(light))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    feeder_a = _leg(result, "feeder a")
    # carrier a brings 18 parcels weighing 36 kg: two 18 kg loads, one per 20 kg van
    assert [(s.id, s.parcels, s.weight_kg) for s in feeder_a.problem.stops] == [
        ("jdc#1", 9, 18), ("jdc#2", 9, 18)]
    assert {feeder_a.location(s.id) for s in feeder_a.problem.stops} == {"jdc"}
    assert (len(feeder_a.plan.routes), feeder_a.plan.distance_m) == (2, 400)
    assert result.kpis()["feeder_vehicles"] == 3


def test_local_rounds_wait_for_the_trunk_to_unload_at_their_station():
    scenario, geography = world()
    early = [replace(vt, shift_start_s=6 * 3600) if vt.id == "trike" else vt
             for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(early))
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    trunk, local = _leg(result, "trunk"), _local(result)
    # the truck leaves once the feeders' parcels are sorted, reaches the station 2 km away
    # after 200 s and unloads in 300 s
    ready = trunk.plan.routes[0].arrival_s[0] + 300
    assert ready == READY_S + 200 + 300
    assert all(r.start_s >= ready for r in local.plan.routes)
    assert all(leg.check.ok for leg in result.legs)


def test_a_village_without_a_road_stays_listed_when_the_rounds_are_solved_again():
    # Found by the 10-county sweep (Xiayi): a village with no road is left out of the first
    # local solve, so the station-by-station re-solve never holds it; it must stay unserved.
    scenario, geography = world()
    early = [replace(vt, shift_start_s=6 * 3600) if vt.id == "trike" else vt
             for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(early))
    geography = replace(geography, too_far={"v3": "no drivable road within 5 km"})
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    local = _local(result)
    assert local.label == "local t1"  # solved again, station by station, after the trunk
    assert [(u.stop, u.why) for u in result.unserved] == [("v3", Why.NO_ROAD)]
    assert result.kpis()["stops_served"] == 2
    assert check_strategy(result).ok


def test_a_tricycle_that_avoids_a_road_class_joins_the_network_at_its_own_nearest_road(tmp_path):
    # Both township stations of the small county lie on tertiary roads; a tricycle barred from
    # them must still reach its villages, entering the network at the nearest road it may use.
    source = Path(__file__).parents[2] / "data" / "small_county"
    shutil.copytree(source, tmp_path / "sc")
    toml = tmp_path / "sc" / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'avoid_roads = ["motorway", "motorway_link"]', 'avoid_roads = ["tertiary"]'),
        encoding="utf-8")
    sc = load_scenario(toml)
    result = run_strategy(sc, "township-relay", settings_for(sc, time_limit_s=1))
    assert all(leg.check.ok for leg in result.legs)
    assert result.kpis()["stops_served"] == 9


# --- one search budget rule; strategies priced like for like ----------------------------------


def test_every_problem_gets_the_same_seconds_per_stop_and_doubling_doubles_every_budget():
    # Guoyang: 193 villages with demand, a carrier's day of 186 stops, a 3-station trunk
    assert budget_s(186, time_limit_s=30, reference_stops=193) == pytest.approx(30 * 186 / 193)
    assert budget_s(3, time_limit_s=30, reference_stops=193) == pytest.approx(
        30 * MIN_BUDGET_STOPS / 193)
    # the floor never exceeds the reference problem's own budget
    assert budget_s(1, time_limit_s=2, reference_stops=3) == pytest.approx(2)
    assert budget_s(5, time_limit_s=0.1, reference_stops=193) == MIN_BUDGET_S
    for n in (1, 3, 50, 186, 400):
        assert budget_s(n, time_limit_s=60, reference_stops=193) == pytest.approx(
            2 * budget_s(n, time_limit_s=30, reference_stops=193))


def test_each_carrier_gets_a_budget_for_its_own_size_not_a_share_of_one():
    independent, consolidated = _run("independent"), _run("consolidated")
    # every problem here has the 3 villages with demand (the trunk's 1 stop is floored at 3):
    # each gets the whole 1 s the consolidated problem gets, not half of it
    # (the feeders' one load is floored at 3 too)
    assert [leg.budget_s for leg in independent.legs] == [1.0, 1.0]
    assert [leg.budget_s for leg in consolidated.legs] == [1.0, 1.0, 1.0]
    assert [leg.budget_s for leg in _run("township-relay").legs] == [1.0, 1.0, 1.0, 1.0]


def test_a_relay_round_solved_again_after_the_trunk_gets_the_leg_budget_once():
    scenario, geography = world()
    early = [replace(vt, shift_start_s=6 * 3600) if vt.id == "trike" else vt
             for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(early))
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    trunk, local = _leg(result, "trunk"), _local(result)
    assert local.problem.vehicle_types[0].shift_start_s == READY_S + 200 + 300  # re-solved
    assert local.budget_s == budget_s(3, time_limit_s=1, reference_stops=3) == 1.0
    assert local.superseded_s > 0 and trunk.superseded_s == 0
    assert all(leg.superseded_s == 0 for leg in result.feeder_legs)
    assert result.solve_time_s == pytest.approx(
        sum(leg.plan.solve_time_s for leg in result.legs) + local.superseded_s)


def test_a_relay_whose_trunk_delivers_nothing_is_charged_the_carriers_vans_and_saves_nothing():
    scenario, geography = world()
    tiny_truck = VehicleType("truck", count=1, capacity_parcels=500, capacity_kg=2000,
                             depot="jdc", kind="truck", max_duration_s=60)
    scenario = replace(scenario, vehicle_types=tuple(
        tiny_truck if vt.id == "truck" else vt for vt in scenario.vehicle_types))
    relay = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    independent = run_strategy(scenario, "independent", SETTINGS, geography=geography)
    gap = gap_plan(relay, SETTINGS)
    assert gap is not None and gap_plan(independent, SETTINGS) is None
    # the gap plan is the carriers' own day for exactly the three villages: a and b, as alone
    assert [leg.label for leg in gap.legs] == ["carrier a", "carrier b"]
    assert [leg.plan.distance_m for leg in gap.legs] == [6200, 5800]
    assert gap.delivered() == independent.delivered() == (30, 60, 0)
    comparison = Comparison(scenario, {"independent": independent, "township-relay": relay},
                            (COSTS,), {"independent": None, "township-relay": gap})
    row = next(r for r in comparison.rows() if r["strategy"] == "township-relay")
    assert (row["served"], row["parcels"], row["gap_villages"], row["gap_parcels"]) == (0, 0, 3, 30)
    relay_cost, base_cost = relay.costs(COSTS).total, independent.costs(COSTS).total
    assert relay_cost > 0 and row["gap_cost"] == round(base_cost)
    # like for like it pays its trunk, trikes and feeders on top of the carriers' own day
    assert comparison.saving("township-relay", COSTS) == pytest.approx(
        -100 * relay_cost / base_cost)
    assert float(row["saving_pct"]) < 0
    assert "costs" in comparison.headline()[0] and "add" in comparison.headline()[0]


def test_a_village_left_unserved_is_priced_as_its_carriers_serving_exactly_it():
    consolidated = _run("consolidated", produce_kg=250)
    (unserved,) = consolidated.unserved
    gap = gap_plan(consolidated, SETTINGS)
    assert gap is not None
    assert [[s.id for s in leg.problem.stops] for leg in gap.legs] == [[unserved.stop]] * 2
    assert [s.produce_kg for leg in gap.legs for s in leg.problem.stops] == [150, 100]
    assert gap.delivered() == (10, 20, 250) and gap.unserved == ()
    assert all(leg.check.ok and leg.budget_s == 1.0 for leg in gap.legs)


def test_a_day_without_parcels_has_no_saving_and_no_division_by_zero():
    assert saving_pct(LikeForLike(100.0, 0), LikeForLike(50.0, 10)) is None
    assert saving_pct(LikeForLike(100.0, 10), LikeForLike(50.0, 0)) is None
    assert saving_pct(LikeForLike(0.0, 10), LikeForLike(0.0, 10)) is None
    # the gap's parcels count: 130 for 5 parcels against 50 for 10
    assert saving_pct(LikeForLike(100.0, 0, 30.0, 5), LikeForLike(50.0, 10)) == pytest.approx(
        100 * (1 - 26 / 5))
    # a pickup-only day: every village has produce to collect and no parcel to drop
    scenario, geography = world(produce_kg=50)
    scenario = replace(scenario, stops=tuple(
        replace(s, parcels=0, weight_kg=0, parcels_by_carrier={"a": 0, "b": 0})
        for s in scenario.stops))
    results = {s: run_strategy(scenario, s, SETTINGS, geography=geography)
               for s in ("independent", "consolidated")}
    comparison = Comparison(scenario, results, (COSTS,))
    rows = comparison.rows()
    assert [(r["parcels"], r["served"]) for r in rows] == [(0, 3), (0, 3)]
    assert all(r["cost"] > 0 for r in rows)
    assert [(r["like_for_like_per_parcel"], r["saving_pct"]) for r in rows] == [("", "")] * 2
    assert comparison.headline() == []


def test_strategies_and_echelons_are_members_that_read_and_print_as_their_names():
    relay = _run(Strategy.TOWNSHIP_RELAY)
    assert relay.strategy is Strategy.TOWNSHIP_RELAY
    assert [leg.echelon for leg in relay.legs] == [Echelon.FEEDER, Echelon.FEEDER,
                                                   Echelon.TRUNK, Echelon.LOCAL]
    assert all(type(leg.echelon) is Echelon for leg in relay.legs)
    by_name = _run("independent")
    assert by_name.strategy is Strategy.INDEPENDENT
    assert {leg.echelon for leg in by_name.legs} == {Echelon.DELIVERY}
    # a member is its name wherever a string was: JSON, CSV cells, f-strings, dict keys
    assert json.dumps({"s": relay.strategy, "e": Echelon.TRUNK}) == \
        '{"s": "township-relay", "e": "trunk"}'
    assert f"{relay.strategy}/{Echelon.LOCAL}" == "township-relay/local"
    assert {"township-relay": 1}[relay.strategy] == 1
    assert STRATEGIES == ("independent", "consolidated", "township-relay")
    assert Strategy.values() == STRATEGIES and Objective.values() == ("distance", "duration",
                                                                      "cost")


def test_an_objective_is_parsed_where_settings_are_made():
    assert SolveSettings(objective="cost").objective is Objective.COST
    assert SolveSettings().objective is Objective.DISTANCE
    with pytest.raises(ModelError, match=r"^objective: 'speed' is not one of distance, duration, "
                                         r"cost$"):
        SolveSettings(objective="speed")
    with pytest.raises(ModelError, match=r"^echelon: 'air' is not one of delivery, trunk, local, "
                                         r"feeder$"):
        Echelon.parse("air", "echelon")
