"""write_scenario: a written scenario reads back to the same Scenario, CSVs included."""

from __future__ import annotations

import csv
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from routing.core import Depot, InputError, ModelError, Objective
from routing.inputs import (
    STATIONS_FILE,
    STOPS_FILE,
    NetworkSpec,
    Scenario,
    format_clock,
    load_cost_model,
    load_scenario,
    read_stops_csv,
    write_scenario,
    write_stops_csv,
)

DATA = Path(__file__).parents[2] / "data" / "small_county"
GUOYANG = Path(__file__).parents[3] / "scenarios" / "guoyang" / "scenario.toml"


def _same_files(sc: Scenario) -> Scenario:
    """``sc`` with its paths resolved, so two paths naming one file compare equal."""
    net = sc.network
    return replace(sc, path=Path("scenario.toml"), network=replace(
        net, osm=net.osm.resolve(), boundary=net.boundary.resolve() if net.boundary else None))


@pytest.mark.parametrize("source", [DATA / "scenario.toml", GUOYANG], ids=["small", "guoyang"])
def test_a_written_scenario_reads_back_to_the_same_scenario(tmp_path, source):
    sc = load_scenario(source)
    written = write_scenario(tmp_path / "out" / "scenario.toml", sc)
    assert [p.name for p in written] == ["scenario.toml", STOPS_FILE, STATIONS_FILE]
    again = load_scenario(tmp_path / "out" / "scenario.toml")
    assert again.path == tmp_path / "out" / "scenario.toml"
    assert _same_files(again) == _same_files(sc)
    # the files it names are the same files, by relative paths from the new folder
    assert again.network.osm.resolve() == sc.network.osm.resolve()
    assert again.cost_model is not None and sc.cost_model is not None
    assert again.cost_model.source == sc.cost_model.source
    # written again from the re-read scenario, every file is byte for byte the same
    write_scenario(tmp_path / "twice" / "scenario.toml", again)
    for name in ("scenario.toml", STOPS_FILE, STATIONS_FILE):
        assert (tmp_path / "twice" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()


def test_every_optional_field_survives_the_round_trip(tmp_path):
    folder = tmp_path / "src"
    shutil.copytree(DATA, folder)
    custom_costs = folder / "my-costs.toml"
    shutil.copy(Path(__file__).parents[3] / "scenarios" / "costs" / "electric.toml", custom_costs)
    sc = load_scenario(folder / "scenario.toml")
    assert sc.relay is not None
    stops = tuple(replace(s, open_s=7 * 3600 + 30 * 60, close_s=17 * 3600) if i % 2 else s
                  for i, s in enumerate(sc.stops))
    sc = replace(
        sc, stops=stops,
        depots=(replace(sc.depots[0], name="", open_s=5 * 3600), *sc.depots[1:]),
        network=NetworkSpec(osm=sc.network.osm, boundary=None,
                            speeds_kmh={"tertiary": 35.0, "unclassified": 25.5},
                            max_access_m=1234.5),
        relay=replace(sc.relay, stations=(sc.stations[0].id,), transfer_s=900),
        solver=replace(sc.solver, solution_limit=77, objective=Objective.DURATION,
                       engine="pyvrp", time_limit_s=2.5),
        cost_model=load_cost_model(custom_costs))
    write_scenario(tmp_path / "out" / "scenario.toml", sc)
    text = (tmp_path / "out" / "scenario.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["costs"]["model"] == "../src/my-costs.toml"  # not a shipped one: by its path
    assert data["network"]["speeds_kmh"] == {"tertiary": 35.0, "unclassified": 25.5}
    assert "name" not in data["depots"][0] and data["depots"][0]["open"] == "05:00"
    assert "open" not in data["depots"][1]  # open all day, as the reader's default
    with (tmp_path / "out" / STOPS_FILE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert (rows[0]["open"], rows[0]["close"], rows[1]["open"]) == ("00:00", "48:00", "07:30")
    again = load_scenario(tmp_path / "out" / "scenario.toml")
    assert _same_files(again) == _same_files(sc)
    assert again.solver.objective is Objective.DURATION


def test_the_header_comes_first_as_comments_and_changes_nothing_read(tmp_path):
    sc = load_scenario(DATA / "scenario.toml")
    path = tmp_path / "scenario.toml"
    write_scenario(path, sc, header=["Line one", "", "two\nlines"])
    assert path.read_text(encoding="utf-8").splitlines()[:5] == [
        "# Line one", "#", "# two", "# lines", 'name = "small-county"']
    assert _same_files(load_scenario(path)) == _same_files(sc)


def test_station_english_names_are_written_beside_the_stations(tmp_path):
    sc = load_scenario(DATA / "scenario.toml")
    first = sc.stations[0].id
    write_scenario(tmp_path / "scenario.toml", sc, station_names_en={first: "East Town"})
    with (tmp_path / STATIONS_FILE).open(encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert rows[first]["name_en"] == "East Town"
    assert {r["name_en"] for i, r in rows.items() if i != first} == {""}


def test_a_stop_without_a_carrier_figure_keeps_its_empty_cell(tmp_path):
    sc = load_scenario(DATA / "scenario.toml")
    stop = replace(sc.stops[0], parcels_by_carrier={})
    path = write_stops_csv(tmp_path / "v.csv", [stop, sc.stops[1]])
    assert read_stops_csv(path) == (stop, sc.stops[1])


def test_what_a_scenario_file_cannot_say_is_an_error_naming_the_field(tmp_path):
    sc = load_scenario(DATA / "scenario.toml")
    assert sc.cost_model is not None
    unnamed = replace(sc, cost_model=replace(sc.cost_model, source=None))
    with pytest.raises(ModelError, match=r"costs\.model: cost model diesel was not read from"):
        write_scenario(tmp_path / "a" / "scenario.toml", unnamed)
    odd = replace(sc, depots=(replace(sc.depots[0], open_s=6 * 3600 + 5), *sc.depots[1:]))
    with pytest.raises(ModelError, match=r"depot jdc\.open_s: 21605 s is not a whole minute"):
        write_scenario(tmp_path / "b" / "scenario.toml", odd)
    priced = replace(sc, vehicle_types=(replace(sc.vehicle_types[0], cost_per_km=1.5),
                                        *sc.vehicle_types[1:]))
    with pytest.raises(ModelError, match=r"vehicle_type van: its rates come from"):
        write_scenario(tmp_path / "c" / "scenario.toml", priced)


def test_clock_text_is_hours_and_minutes_up_to_the_next_midnight():
    assert [format_clock(s, "t") for s in (0, 8 * 3600 + 5 * 60, 48 * 3600)] == [
        "00:00", "08:05", "48:00"]
    with pytest.raises(ModelError, match="t: 172860 s is not a whole minute between"):
        format_clock(48 * 3600 + 60, "t")


def test_a_bad_objective_is_an_error_naming_the_file_and_field(tmp_path):
    shutil.copytree(DATA, tmp_path / "sc")
    toml = tmp_path / "sc" / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[solver]", '[solver]\nobjective = "speed"', 1),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"scenario\.toml: solver\.objective: 'speed' is not one "
                                         r"of distance, duration, cost$"):
        load_scenario(toml)


def test_a_station_depot_written_and_read_keeps_its_coordinates_to_a_centimetre(tmp_path):
    sc = load_scenario(DATA / "scenario.toml")
    station = Depot("t9", "九镇", 116.123456789, 33.987654321)
    write_scenario(tmp_path / "scenario.toml", replace(sc, stations=(*sc.stations, station)))
    again = load_scenario(tmp_path / "scenario.toml").stations[-1]
    assert (again.lon, again.lat) == (116.1234568, 33.9876543)
