"""Route sheets from the in-memory strategy result equal the sheets of the plan folder it wrote:
``solve --sheets`` and ``ruralroute sheets PLAN_DIR`` print the same pages."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from shapely.geometry import LineString

from routing.core import STRATEGIES, InputError
from routing.inputs import load_scenario
from routing.pipeline import Timings, locate, settings_for
from routing.reports import (
    TRUNK_NOTE,
    RouteSheet,
    sheets_from_plan_dir,
    sheets_from_result,
    write_strategy_reports,
)
from routing.strategies import run_strategy

SMALL = Path(__file__).parents[2] / "data" / "small_county"


def _cache(factory: pytest.TempPathFactory) -> Path:
    """The matrix cache test_sheets.py uses, so the roads are routed once per session."""
    return factory.getbasetemp() / "sheets-matrix-cache"


def _same_sheet(a: RouteSheet, b: RouteSheet) -> bool:
    """Every field equal, the road line vertex for vertex."""
    fields = ("title", "strategy", "day", "vehicle", "vehicle_type", "vehicle_name", "depot",
              "colour", "trips", "start_s", "end_s", "distance_m", "stops", "leg", "echelon",
              "note")
    return (all(getattr(a, f) == getattr(b, f) for f in fields)
            and a.geometry.equals_exact(b.geometry, tolerance=0))


def test_sheets_from_the_result_equal_the_sheets_from_its_plan_folder(tmp_path_factory):
    """The in-memory path (solve --sheets) and a plan folder on disk (ruralroute sheets) print
    the same pages: carriers' shares, relay trunk loads and trike distances included."""
    sc = load_scenario(SMALL / "scenario.toml")
    geography = locate(sc, timings=Timings(), cache_dir=_cache(tmp_path_factory))
    settings = replace(settings_for(sc, time_limit_s=1, seed=3), solution_limit=30)
    out = tmp_path_factory.mktemp("equal")
    # small trucks split the stations' trunk loads in parts (t1#1, t1#2) standing at t1
    small_trucks = replace(sc, vehicle_types=tuple(
        replace(vt, capacity_parcels=100, count=4) if vt.id == "truck" else vt
        for vt in sc.vehicle_types))
    books = {}
    for strategy, scenario in [*((s, sc) for s in STRATEGIES), ("split", small_trucks)]:
        result = run_strategy(scenario, "township-relay" if strategy == "split" else strategy,
                              settings, engine="ortools", geography=geography)
        write_strategy_reports(result, out / strategy, seed=3, engine="ortools")
        memory = sheets_from_result(result)
        disk = sheets_from_plan_dir(out / strategy, geography=geography)
        assert len(memory.sheets) == len(disk.sheets) == sum(
            len(leg.plan.days()) for leg in result.legs) > 0, strategy
        for a, b in zip(memory.sheets, disk.sheets, strict=True):
            assert _same_sheet(a, b), (strategy, a.vehicle)
        assert memory.boundary is not None and memory.boundary.equals(disk.boundary)
        assert [r.wkb for r in memory.roads] == [r.wkb for r in disk.roads]
        books[strategy] = memory
    trunk = [s for s in books["township-relay"].sheets if s.echelon == "trunk"]
    assert trunk and all(s.note == TRUNK_NOTE for s in trunk)
    loads = [stop for sheet in books["split"].sheets if sheet.echelon == "trunk"
             for stop in sheet.stops]
    assert {s.stop_id for s in loads} == {"t-test-west#1", "t-test-west#2", "t4697677826"}
    assert sorted(s.visit for s in loads) == ["", "load 1/2", "load 2/2"]
    west = next(s for s in sc.stations if s.id == "t-test-west")
    assert all((s.lon, s.lat, s.name) == (west.lon, west.lat, west.name) for s in loads
               if s.visit)
    feeders = [s for s in books["consolidated"].sheets if s.echelon == "feeder"]
    assert feeders and all(s.leg.startswith("feeder") for s in feeders)
    assert {s.leg for s in books["independent"].sheets} == {f"carrier {c.id}" for c in sc.carriers}
    # a sheet differing in one figure or in its line is told apart
    first = books["consolidated"].sheets[0]
    longer = replace(first.trips[0], distance_m=first.trips[0].distance_m + 1)
    assert not _same_sheet(replace(first, trips=(longer, *first.trips[1:])), first)
    assert not _same_sheet(replace(first, geometry=LineString(first.geometry.coords[::-1])), first)
    # a plan folder written before route_sheets existed says how to get one
    plan_file = out / "consolidated" / "plan.json"
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    del document["route_sheets"]
    plan_file.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match="route_sheets: is missing; write the plan again"):
        sheets_from_plan_dir(out / "consolidated", geography=geography)
