"""Strategies on a straight-road world whose right answers are known by hand."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from routing.engines.base import SolveSettings
from routing.model import VehicleType
from routing.strategies import carrier_stops, run_strategy
from tests.routing.strategy_world import COSTS, with_types, world

SETTINGS = SolveSettings(time_limit_s=1, objective="cost", solution_limit=300)


def _run(strategy: str, **kw):
    scenario, geography = world(**kw)
    return run_strategy(scenario, strategy, SETTINGS, geography=geography)


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
    (leg,) = consolidated.legs
    assert leg.plan.distance_m == 6000
    # feeder trips: a and b bring 18 and 12 parcels from 100 m away, one round trip each
    assert [(f.carrier, f.trips, f.distance_m, f.parcels) for f in consolidated.feeders] == [
        ("a", 1, 200, 18), ("b", 1, 200, 12)]
    assert consolidated.kpis()["distance_m"] == 6400 <= independent.kpis()["distance_m"] == 12000
    assert consolidated.kpis()["village_visits"] == 3
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
    trunk, local = result.legs
    assert (trunk.echelon, local.echelon) == ("trunk", "local")
    assert trunk.plan.distance_m == 4000  # centre to the station at 2 km and back
    assert sorted(s for r in local.plan.routes for s in r.stops) == ["v1", "v2", "v3"]
    assert trunk.problem.stops[0].parcels == 30
    assert result.unserved == ()
    assert result.transferred_parcels == 30 + 30  # at the centre, then at the station


def test_cheaper_small_vehicle_is_chosen_where_it_fits():
    scenario, geography = world()
    trike = VehicleType("small", count=1, capacity_parcels=40, capacity_kg=100, depot="jdc",
                        kind="tricycle")
    scenario = with_types(scenario, trike, shared=("shared-van", "small"))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    assert [r.vehicle_type for r in result.legs[0].plan.routes] == ["small"]


def test_small_vehicle_is_not_used_where_the_load_does_not_fit():
    scenario, geography = world()
    trike = VehicleType("small", count=1, capacity_parcels=20, capacity_kg=100, depot="jdc",
                        kind="tricycle")
    scenario = with_types(scenario, trike, shared=("shared-van", "small"))
    result = run_strategy(scenario, "consolidated", SETTINGS, geography=geography)
    assert all(leg.check.ok for leg in result.legs)
    loads = [r.load[0] for r in result.legs[0].plan.routes if r.vehicle_type == "small"]
    assert all(load <= 20 for load in loads)


def test_produce_rides_back_and_a_village_too_heavy_for_a_trike_is_unserved_with_reason():
    result = _run("township-relay", produce_kg=250)  # a trike carries 200 kg
    reasons = {u.stop: u.reason for u in result.unserved}
    assert set(reasons) == {"v1", "v2", "v3"}
    assert "more than any vehicle of local station carries" in reasons["v1"]
    # A 400 kg van holds one village's 250 kg of produce, not two: two vans serve two villages.
    consolidated = _run("consolidated", produce_kg=250)
    assert consolidated.kpis()["produce_kg"] == 500
    (unserved,) = consolidated.unserved
    assert unserved.reason.startswith("fleet too small")
    assert max(max(r.max_load) for r in consolidated.legs[0].check.routes) <= 400


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
    feeder_a = next(f for f in result.feeders if f.carrier == "a")
    # carrier a brings 18 parcels weighing 36 kg: two trips of a 20 kg van
    assert (feeder_a.trips, feeder_a.distance_m) == (2, 400)


def test_local_rounds_wait_for_the_trunk_to_unload_at_their_station():
    scenario, geography = world()
    early = [replace(vt, shift_start_s=6 * 3600) if vt.id == "trike" else vt
             for vt in scenario.vehicle_types]
    scenario = replace(scenario, vehicle_types=tuple(early))
    result = run_strategy(scenario, "township-relay", SETTINGS, geography=geography)
    trunk, local = result.legs
    # the truck leaves at 08:00, reaches the station 2 km away after 200 s, unloads in 300 s
    ready = trunk.plan.routes[0].arrival_s[0] + 300
    assert ready == 8 * 3600 + 200 + 300
    assert all(r.start_s >= ready for r in local.plan.routes)
    assert all(leg.check.ok for leg in result.legs)


def test_a_tricycle_that_avoids_a_road_class_joins_the_network_at_its_own_nearest_road(tmp_path):
    # Both township stations of the small county lie on tertiary roads; a tricycle barred from
    # them must still reach its villages, entering the network at the nearest road it may use.
    import shutil

    from routing.pipeline import settings_for
    from routing.scenario import load_scenario

    source = Path(__file__).parents[1] / "data" / "small_county"
    shutil.copytree(source, tmp_path / "sc")
    toml = tmp_path / "sc" / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'avoid_roads = ["motorway", "motorway_link"]', 'avoid_roads = ["tertiary"]'),
        encoding="utf-8")
    sc = load_scenario(toml)
    result = run_strategy(sc, "township-relay", settings_for(sc, time_limit_s=1))
    assert all(leg.check.ok for leg in result.legs)
    assert result.kpis()["stops_served"] == 9
