"""Scenario files parse into validated objects; each kind of bad input names file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from routing.core import InputError
from routing.inputs import load_scenario

DATA = Path(__file__).parents[2] / "data" / "small_county"
GUOYANG = Path(__file__).parents[3] / "scenarios" / "guoyang" / "scenario.toml"


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A writable copy of the small-county test scenario."""
    target = tmp_path / "sc"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_default_scenario_loads():
    sc = load_scenario(GUOYANG)
    assert sc.name == "guoyang"
    assert len(sc.stops) == 193
    assert len(sc.stations) == 19
    assert sc.depots[0].id == "guoyang-jdc"
    assert sc.vehicle_types[0].capacity == (300, 800)
    assert sc.vehicle_types[0].max_duration_s == 9 * 3600
    assert sum(s.parcels for s in sc.stops) == 5418
    assert all(sum(s.parcels_by_carrier.values()) == s.parcels for s in sc.stops)
    assert sc.solver.engine == "auto"


def test_small_scenario_values(scenario_dir):
    sc = load_scenario(scenario_dir / "scenario.toml")
    assert [d.id for d in sc.depots] == ["jdc", "ems-branch", "zto-branch", "yto-branch",
                                         "yunda-branch", "jt-branch"]
    assert [c.id for c in sc.carriers] == ["ems", "zto", "yto", "yunda", "jt"]
    assert sc.shared_fleet().vehicles == ("van",)
    assert sc.relay is not None and sc.relay.local_vehicle == "trike"
    assert sc.cost_model is not None and sc.cost_model.name == "diesel"
    assert sc.vehicle_type_by_id["trike"].profile == "max25-avoid:motorway,motorway_link"
    assert len(sc.stops) == 9
    assert sc.solver.time_limit_s == 2.0
    assert sc.solver.seed == 7 and sc.solver.engine == "ortools"
    assert sc.vehicle_types[0].depot == "jdc"
    assert sc.network.osm == scenario_dir / "roads.osm.pbf"


def test_a_solver_naming_no_engine_gets_auto(scenario_dir):
    _edit(scenario_dir / "scenario.toml", 'engine = "ortools"', "")
    assert load_scenario(scenario_dir / "scenario.toml").solver.engine == "auto"


def test_missing_scenario_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.toml: file: scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_unknown_field_is_named(scenario_dir):
    path = scenario_dir / "scenario.toml"
    _edit(path, "count = 3", "count = 3\ncapacity_litres = 9")
    with pytest.raises(InputError, match=r"scenario\.toml: vehicle_types\[0\]\.capacity_litres: "
                                         r"unknown field"):
        load_scenario(path)


def test_missing_stops_file_is_named(scenario_dir):
    (scenario_dir / "villages.csv").unlink()
    with pytest.raises(InputError, match=r"stops\.file: file not found"):
        load_scenario(scenario_dir / "scenario.toml")


def test_stop_without_coordinates(scenario_dir):
    _edit(scenario_dir / "villages.csv", "116.2914528", "")
    with pytest.raises(InputError, match=r"villages\.csv: line 2 lon: stop 'v4697677803' has no "
                                         r"coordinates"):
        load_scenario(scenario_dir / "scenario.toml")


def test_demand_larger_than_any_vehicle_loads_to_be_split_into_visits(scenario_dir):
    # 700 parcels and 1,600 kg of produce: more than the 600-parcel / 1,500 kg truck carries,
    # served by several visits (routing.core.split_stop), not refused
    _edit(scenario_dir / "villages.csv", "Helou,116.2914528,33.4666302,17,17,0,", "Helou,"
          "116.2914528,33.4666302,700,17,1600,")
    _edit(scenario_dir / "villages.csv", ",5,2,3,3,4", ",688,2,3,3,4")
    sc = load_scenario(scenario_dir / "scenario.toml")
    helou = next(s for s in sc.stops if s.id == "v4697677803")
    assert (helou.parcels, helou.weight_kg, helou.produce_kg) == (700, 17, 1600)


def test_parcels_heavier_on_average_than_every_vehicle_carries(scenario_dir):
    # 17 parcels of 1,600 kg each on average: no split of them fits the 1,500 kg truck
    _edit(scenario_dir / "villages.csv", "Helou,116.2914528,33.4666302,17,17,0,",
          "Helou,116.2914528,33.4666302,17,27200,0,")
    with pytest.raises(InputError, match=r"villages\.csv: stop v4697677803 weight_kg: its 17 "
                                         r"parcels weigh 27200 kg, 1600 kg each on average, more "
                                         r"than any vehicle carries \(1500 kg\)"):
        load_scenario(scenario_dir / "scenario.toml")
    # as heavy as the truck carries, on average, is a split the truck can make
    _edit(scenario_dir / "villages.csv", ",17,27200,0,", ",17,25500,0,")
    assert load_scenario(scenario_dir / "scenario.toml").stops[0].weight_kg == 25500


def test_zero_capacity_vehicle(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "capacity_kg = 400", "capacity_kg = 0")
    with pytest.raises(InputError, match=r"vehicle_types\[0\]: vehicle_type van\.capacity_kg: "
                                         r"must be > 0"):
        load_scenario(scenario_dir / "scenario.toml")


def test_time_window_closing_before_it_opens(scenario_dir):
    path = scenario_dir / "scenario.toml"
    _edit(path, 'name = "涡阳县 centre"', 'name = "x"\nopen = "18:00"\nclose = "07:00"')
    with pytest.raises(InputError, match=r"depots\[0\]: depot jdc\.close_s: time window closes"):
        load_scenario(path)


def test_bad_clock_text(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "max_shift_h = 8", 'max_shift_h = 8\nshift_start = "8am"')
    with pytest.raises(InputError, match=r"vehicle_types\[0\]\.shift_start: must be a time like"):
        load_scenario(scenario_dir / "scenario.toml")


def test_unknown_solver_strategy(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "seed = 7", 'seed = 7\nfirst_solution = "MAGIC"')
    with pytest.raises(InputError, match=r"solver\.first_solution: 'MAGIC' is not one of"):
        load_scenario(scenario_dir / "scenario.toml")


def test_wrong_type_is_named(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "count = 3", 'count = "three"')
    with pytest.raises(InputError, match=r"vehicle_types\[0\]\.count: must be int, got 'three'"):
        load_scenario(scenario_dir / "scenario.toml")


def test_carrier_split_must_add_up(scenario_dir):
    _edit(scenario_dir / "villages.csv", ",5,2,3,3,4", ",9,2,3,3,4")
    with pytest.raises(InputError, match=r"line 2: stop v4697677803\.parcels_by_carrier: carrier "
                                         r"parcels sum to 21 but parcels is 17"):
        load_scenario(scenario_dir / "scenario.toml")


def test_unknown_stop_column(scenario_dir):
    _edit(scenario_dir / "villages.csv", "produce_kg,", "produce_kg,colour,")
    with pytest.raises(InputError, match=r"villages\.csv: colour: unknown column"):
        load_scenario(scenario_dir / "scenario.toml")


def test_invalid_toml(scenario_dir):
    (scenario_dir / "scenario.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"scenario\.toml: syntax: not valid TOML"):
        load_scenario(scenario_dir / "scenario.toml")


def test_carrier_shares_must_sum_to_one(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "share = 0.3\n", "share = 0.2\n")
    with pytest.raises(InputError, match=r"scenario\.toml: carriers\.share: carrier shares sum "
                                         r"to 0\.9; they must sum to 1"):
        load_scenario(scenario_dir / "scenario.toml")


def test_trips_loading_time_and_feeders_are_read(scenario_dir):
    path = scenario_dir / "scenario.toml"
    _edit(path, 'id = "van"\ncount = 3', 'id = "van"\ncount = 3\nmax_trips = 3')
    _edit(path, "[solver]", '[service]\nload_s = 900\n\n[feeders]\ndepart = "06:30"\n'
          "sort_s = 1200\n\n[solver]")
    sc = load_scenario(path)
    assert sc.vehicle_type_by_id["van"].max_trips == 3
    assert sc.vehicle_type_by_id["truck"].max_trips == 1  # the default: one trip a day
    assert sc.service.load_s == 900
    assert (sc.feeders.depart_s, sc.feeders.sort_s) == (6 * 3600 + 30 * 60, 1200)


def test_without_feeders_table_feeders_leave_at_their_shift_and_sorting_takes_half_an_hour(
        scenario_dir):
    sc = load_scenario(scenario_dir / "scenario.toml")
    assert (sc.feeders.depart_s, sc.feeders.sort_s, sc.service.load_s) == (None, 1800, 0)


def test_carrier_fleet_must_be_at_its_branch(scenario_dir):
    _edit(scenario_dir / "scenario.toml", 'vehicles = ["ems-van"]', 'vehicles = ["zto-van"]')
    with pytest.raises(InputError, match=r"carriers\[0\]\.vehicles: vehicle type zto-van is "
                                         r"stationed at zto-branch, not at the carrier's depot"):
        load_scenario(scenario_dir / "scenario.toml")


def test_unknown_cost_model_lists_the_shipped_ones(scenario_dir):
    _edit(scenario_dir / "scenario.toml", 'model = "diesel"', 'model = "steam"')
    with pytest.raises(InputError, match=r"scenario\.toml: costs\.model: cost model not found: "
                                         r".*steam\.toml \(shipped models: diesel, electric\)"):
        load_scenario(scenario_dir / "scenario.toml")


def test_vehicle_kind_the_cost_model_does_not_price(scenario_dir):
    _edit(scenario_dir / "scenario.toml", 'kind = "truck"', 'kind = "barge"')
    with pytest.raises(InputError, match=r"vehicle_types\[1\]\.kind: 'barge' has no rates in "
                                         r"cost model diesel\.toml"):
        load_scenario(scenario_dir / "scenario.toml")


def test_relay_station_must_exist(scenario_dir):
    _edit(scenario_dir / "scenario.toml", "local_per_station = 3",
          'local_per_station = 3\nstations = ["t-nowhere"]')
    with pytest.raises(InputError, match=r"relay\.stations: unknown id 't-nowhere'"):
        load_scenario(scenario_dir / "scenario.toml")


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("scenario.toml", 'id = "truck"', 'id = "van"',
     r"vehicle_types\.id: ids must be unique, repeated: van"),
    ("scenario.toml", 'id = "ems-branch"', 'id = "jdc"', r"depots\.id: ids must be unique"),
    ("scenario.toml", '[[depots]]\nid = "jdc"', '[[depotz]]\nid = "x"\n\n[[depots]]\nid = "jdc"',
     r"scenario\.toml: depotz: unknown field"),
    ("scenario.toml", 'avoid_roads = ["motorway", "motorway_link"]',
     'avoid_roads = ["motorwya"]', r"vehicle_types\[2\]\.avoid_roads: unknown OSM highway class"),
    ("scenario.toml", 'engine = "ortools"', 'engine = "gurobi"',
     r"solver\.engine: 'gurobi' is not one of auto, ortools, pyvrp"),
    ("scenario.toml", "seed = 7", "seed = 7\nsolution_limit = 0", r"solver\.solution_limit"),
    ("scenario.toml", "max_shift_h = 8", "max_shift_h = 1e12", r"max_shift_h: must be within"),
    ("scenario.toml", 'trunk_vehicles = ["truck"]', 'trunk_vehicles = ["ems-van"]',
     r"relay\.trunk_vehicles: trunk vehicle type ems-van is stationed at ems-branch"),
    ("villages.csv", "Helou,116.2914528,33.4666302,17,17,0,5,2,3,3,4",
     "Helou,116.2914528,33.4666302,17,17,0,5,2,3,3,4,99",
     r"villages\.csv: line 2: has more values than the header's 13 columns"),
    ("villages.csv", "v4697677803,", "v46#977803,", r"stop id 'v46#977803' uses a reserved"),
    ("villages.csv", "Helou,116.2914528,", "Helou,nan,",
     r"villages\.csv: line 2 lon: is not a finite number"),
    ("scenario.toml", "[solver]", "[service]\nload_s = -5\n\n[solver]",
     r"scenario\.toml: service\.load_s: must be >= 0 seconds, got -5"),
    ("scenario.toml", "[solver]", "[feeders]\nsort_s = -1\n\n[solver]",
     r"scenario\.toml: feeders\.sort_s: must be >= 0 seconds, got -1"),
    ("scenario.toml", "[solver]", '[feeders]\ndepart = "6.30"\n\n[solver]',
     r"scenario\.toml: feeders\.depart: must be a time like"),
    ("scenario.toml", "[solver]", "[feeders]\nsort = 60\n\n[solver]",
     r"scenario\.toml: feeders\.sort: unknown field"),
    ("scenario.toml", 'id = "van"\ncount = 3', 'id = "van"\ncount = 3\nmax_trips = 0',
     r"scenario\.toml: vehicle_types\[0\]: vehicle_type van\.max_trips: must be >= 1, got 0"),
    ("scenario.toml", 'id = "van"\ncount = 3', 'id = "van"\ncount = 3\nmax_trips = 1.5',
     r"vehicle_types\[0\]\.max_trips: must be int, got 1\.5"),
])
def test_more_bad_input_names_file_and_field(scenario_dir, file, old, new, message):
    _edit(scenario_dir / file, old, new)
    with pytest.raises(InputError, match=message):
        load_scenario(scenario_dir / "scenario.toml")


def test_csv_time_out_of_range(scenario_dir):
    path = scenario_dir / "villages.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] += ",open"
    text[1] += ",10:75"
    text[2:] = [line + "," for line in text[2:]]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2 open: is not a time of day: '10:75'"):
        load_scenario(scenario_dir / "scenario.toml")
