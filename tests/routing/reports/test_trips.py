"""Several trips per vehicle, split village visits and feeder legs in the reports: ``plan.json``
records each route's trip, each vehicle's day and the feeders, its reader gives the same sheet
rows back, and a vehicle's page lists its trips with the reload between them.

The result is hand-made and checked (:mod:`tests.routing.reports._result_fixtures`): van 01
drives v1, v2 and then the first visit of v3; van 02 the second visit; carrier a's van feeds the
hub.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from routing.core import InputError
from routing.reports import (
    FEEDER_NOTE,
    format_clock,
    plan_document,
    read_sheet_routes,
    result_colours,
    route_colour,
    route_sheets,
    sheet_facts,
    sheet_routes,
    stop_rows,
)
from routing.research.sweep_grid import Cell
from routing.research.sweep_worker import plan_document as sweep_plan_document
from tests.routing.reports._result_fixtures import LOAD_S, WAIT_S, line_geometries, trips_result

DAY = dt.date(2026, 5, 1)


@pytest.fixture(scope="module")
def result():
    return trips_result()


@pytest.fixture(scope="module")
def document(result) -> dict:
    """plan.json as written and read back as JSON."""
    return json.loads(json.dumps(plan_document(result, seed=0, engine="hand")))


def _trips(result, vehicle: str):
    return next(leg.plan.trips()[vehicle] for leg in result.legs
                if vehicle in leg.plan.trips())


def test_every_route_carries_its_trip_and_each_vehicle_its_day(result, document):
    first, again = _trips(result, "shared-van-01")
    assert [(r["leg"], r["vehicle"], r["trip"]) for r in document["routes"]] == [
        ("feeder a", "a-van-01", 1), ("shared fleet", "shared-van-01", 1),
        ("shared fleet", "shared-van-02", 1), ("shared fleet", "shared-van-01", 2)]
    assert [s["trip"] for s in document["route_sheets"]] == [1, 1, 1, 2]
    assert [s["load_s"] for s in document["route_sheets"]] == [LOAD_S] * 4
    vans = {v["vehicle"]: v for v in document["vehicles"]}
    assert list(vans) == ["a-van-01", "shared-van-01", "shared-van-02"]
    van = vans["shared-van-01"]
    assert (van["trips"], van["start_s"], van["end_s"]) == ([1, 2], first.start_s, again.end_s)
    assert again.start_s == first.end_s + WAIT_S
    assert van["duration_s"] == again.end_s - first.start_s
    assert van["distance_m"] == first.distance_m + again.distance_m == 10_000
    assert (van["stops"], van["parcels"], van["echelon"]) == (3, 35, "delivery")
    assert vans["a-van-01"]["echelon"] == "feeder" and vans["a-van-01"]["depot"] == "a-branch"
    legs = {leg["label"]: leg for leg in document["legs"]}
    assert (legs["shared fleet"]["vehicles"], legs["shared fleet"]["trips"]) == (2, 3)
    assert legs["feeder a"]["echelon"] == "feeder"
    assert document["feeders"] == [{
        "leg": "feeder a", "carrier": "a", "vehicles": 1, "trips": 1, "distance_m": 200,
        "distance_km": 0.2, "duration_s": vans["a-van-01"]["duration_s"], "parcels": 30}]
    assert (document["kpis"]["vehicles"], document["kpis"]["trips"]) == (3, 4)
    # the checker's peaks are each trip's own, not the vehicle's last trip's
    peaks = [r["max_load"]["parcels"] for r in document["routes"]]
    assert peaks == [30, 20, 15, 15]


def test_the_reader_gives_back_the_rows_of_the_result_trips_and_visits_included(
        result, document):
    rows = read_sheet_routes(Path("plan.json"), document)
    assert rows == sheet_routes(result)
    assert [r.route.trip for r in rows] == [1, 1, 1, 2]
    visits = {s.stop_id: s.visit for r in rows for s in r.stops}
    assert visits == {"jdc": "", "v1": "", "v2": "", "v3#2": "visit 2 of 2",
                      "v3#1": "visit 1 of 2"}
    names = {s.stop_id: s.name for r in rows for s in r.stops}
    assert names["v3#1"] == names["v3#2"] == "v3"  # the village's own name
    assert rows[3].locations == ("v3",) and rows[3].load_s == LOAD_S


def test_a_plan_written_before_trips_reads_as_first_trips(document):
    old = json.loads(json.dumps(document))
    del old["routes"][3], old["route_sheets"][3]
    for entry in (*old["routes"], *old["route_sheets"]):
        del entry["trip"]
    for entry in old["route_sheets"]:
        del entry["load_s"]
    rows = read_sheet_routes(Path("plan.json"), old)
    assert [r.route.trip for r in rows] == [1, 1, 1] and {r.load_s for r in rows} == {0}


def test_the_reader_rejects_a_trip_listed_twice_or_sheets_of_another_trip(document):
    twice = json.loads(json.dumps(document))
    twice["routes"][3]["trip"] = 1
    twice["route_sheets"][3]["trip"] = 1
    with pytest.raises(InputError, match=r"routes\[3\]\.trip: vehicle shared-van-01 has trip 1 "
                                         r"twice"):
        read_sheet_routes(Path("plan.json"), twice)
    other = json.loads(json.dumps(document))
    other["route_sheets"][3]["trip"] = 3
    with pytest.raises(InputError, match=r"route_sheets\[3\]\.trip"):
        read_sheet_routes(Path("plan.json"), other)


def _sheets(rows, result):
    depots = {d.id: d for leg in result.legs for d in leg.problem.depots}
    return route_sheets(rows, depots=depots, geometries=line_geometries(result), title="t",
                        strategy="consolidated", day=DAY)


def test_a_vehicle_page_from_the_plan_on_disk_equals_the_one_from_memory(result, document):
    memory = _sheets(sheet_routes(result), result)
    disk = _sheets(read_sheet_routes(Path("plan.json"), document), result)
    assert [s.vehicle for s in memory] == ["a-van-01", "shared-van-01", "shared-van-02"]
    for a, b in zip(memory, disk, strict=True):
        assert (a.trips, a.colour, a.leg, a.echelon, a.note) == (
            b.trips, b.colour, b.leg, b.echelon, b.note)
        assert a.geometry.equals_exact(b.geometry, tolerance=0)
    colours = result_colours(result)
    assert [s.colour for s in memory] == [colours[s.vehicle] for s in memory] == [
        route_colour(k) for k in range(3)]


def test_the_page_of_a_two_trip_van_says_when_it_reloads(result):
    first, again = _trips(result, "shared-van-01")
    sheet = next(s for s in _sheets(sheet_routes(result), result)
                 if s.vehicle == "shared-van-01")
    rows = stop_rows(sheet)
    assert [r["kind"] for r in rows] == ["stop", "stop", "reload", "stop", "back"]
    assert rows[2]["name"] == (
        f"back at jdc {format_clock(first.end_s)}, load for trip 2 (load time 5 min), leave "
        f"{format_clock(again.start_s + LOAD_S)}")
    assert rows[3]["name"] == "v3" and rows[3]["name_en"] == "visit 1 of 2"
    assert rows[3]["no"] == "3" and rows[3]["km"] == "7.0"  # 4 km of trip 1, then 3 km out
    assert rows[4]["km"] == "10.0" and rows[4]["arrival"] == format_clock(again.end_s)
    assert dict(sheet_facts(sheet))["Trips 趟次"] == (
        f"trip 1 {format_clock(first.start_s)}–{format_clock(first.end_s)} · trip 2 "
        f"{format_clock(again.start_s)}–{format_clock(again.end_s)}")


def test_a_feeder_van_has_a_sheet_to_the_hub(result):
    sheet = next(s for s in _sheets(sheet_routes(result), result) if s.echelon == "feeder")
    assert (sheet.vehicle, sheet.leg, sheet.depot.id, sheet.note) == (
        "a-van-01", "feeder a", "a-branch", FEEDER_NOTE)
    assert [(s.stop_id, s.name, s.parcels) for s in sheet.stops] == [("jdc", "jdc", 30)]
    assert "30 parcels (60 kg)" in dict(sheet_facts(sheet))["Totals 合计"]


def test_a_sweep_cells_plan_file_records_trips_and_feeders(result):
    cell = Cell(key="k", sweep="s", scenario="line", scenario_file="line.toml", county="line",
                strategy="consolidated", fleet={}, demand_scale=1.0, seed=0, time_limit_s=1.0,
                engine="hand", cost_models=())
    document = json.loads(json.dumps(sweep_plan_document(cell, result, {})))
    routes = [(leg["label"], r["vehicle"], r["trip"]) for leg in document["legs"]
              for r in leg["routes"]]
    assert routes == [("feeder a", "a-van-01", 1), ("shared fleet", "shared-van-01", 1),
                      ("shared fleet", "shared-van-02", 1), ("shared fleet", "shared-van-01", 2)]
    assert [leg["vehicles"] for leg in document["legs"]] == [1, 2]
    (feeder,) = document["feeders"]
    assert (feeder["leg"], feeder["vehicles"], feeder["trips"], feeder["distance_m"],
            feeder["parcels"]) == ("feeder a", 1, 1, 200, 30)
    assert (document["kpis"]["vehicles"], document["kpis"]["trips"]) == (3, 4)
