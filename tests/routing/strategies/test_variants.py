"""Scenario variants for sweeps keep the scenario valid and change only what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.inputs import load_scenario
from routing.strategies import scale_demand, with_fleet

SMALL = Path(__file__).parents[2] / "data" / "small_county" / "scenario.toml"


def test_doubling_demand_doubles_parcels_and_keeps_carrier_splits_whole():
    sc = load_scenario(SMALL)
    doubled = scale_demand(sc, 2.0)
    assert [s.parcels for s in doubled.stops] == [2 * s.parcels for s in sc.stops]
    assert [s.produce_kg for s in doubled.stops] == [2 * s.produce_kg for s in sc.stops]
    assert [s.parcels_by_carrier for s in doubled.stops] == [
        {c: 2 * n for c, n in s.parcels_by_carrier.items()} for s in sc.stops]


def test_a_third_of_the_demand_still_adds_up_per_carrier():
    sc = load_scenario(SMALL)
    scaled = scale_demand(sc, 1 / 3)
    assert [s.parcels for s in scaled.stops] == [max(round(s.parcels / 3), 1) for s in sc.stops]
    assert [s.weight_kg for s in scaled.stops] == [round(s.weight_kg / 3) for s in sc.stops]
    for old, new in zip(sc.stops, scaled.stops, strict=True):
        assert sum(new.parcels_by_carrier.values()) == new.parcels, new.id
        assert set(new.parcels_by_carrier) == set(old.parcels_by_carrier)
        for carrier, n in old.parcels_by_carrier.items():  # each share rounded, not moved
            assert abs(new.parcels_by_carrier[carrier] - n * new.parcels / old.parcels) < 1


def test_fleet_counts_are_replaced_by_vehicle_type_id():
    sc = with_fleet(load_scenario(SMALL), {"van": 7, "trike": 2})
    assert sc.vehicle_type_by_id["van"].count == 7
    assert sc.vehicle_type_by_id["trike"].count == 2
    assert sc.vehicle_type_by_id["truck"].count == 1


def test_unknown_vehicle_type_and_bad_scale_are_named():
    with pytest.raises(ValueError, match="fleets: unknown vehicle type 'bus'"):
        with_fleet(load_scenario(SMALL), {"bus": 3})
    with pytest.raises(ValueError, match="demand_scale: must be a number > 0"):
        scale_demand(load_scenario(SMALL), 0)
