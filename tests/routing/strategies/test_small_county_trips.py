"""End to end on the small county: a village bigger than every van is split into visits whose
loads add up, and one van serves the county in several trips."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from routing.core import Echelon
from routing.inputs import load_scenario
from routing.pipeline import settings_for
from routing.strategies import StrategyResult, check_strategy, run_strategy

SMALL = Path(__file__).parents[2] / "data" / "small_county"

#: Changying: 44 parcels / 86 kg / 96 kg produce in the shipped file.
BIG = "v4697677813"


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(SMALL, tmp_path / "sc")
    return tmp_path / "sc" / "scenario.toml"


def _consolidated(toml: Path) -> StrategyResult:
    sc = load_scenario(toml)
    settings = replace(settings_for(sc, time_limit_s=1), solution_limit=100)
    return run_strategy(sc, "consolidated", settings, cache_dir=toml.parent / "cache")


def _grow(villages: Path, **columns: str) -> None:
    """Rewrite the villages CSV with village ``BIG``'s columns changed."""
    with villages.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["id"] == BIG:
            row.update(columns)
    with villages.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_village_bigger_than_every_van_is_served_in_two_visits_that_add_up(tmp_path):
    toml = _copy(tmp_path)
    # 200 parcels against a 150-parcel van (the only shared type)
    _grow(toml.parent / "villages.csv", parcels="200", weight_kg="300", parcels_ems="80",
          parcels_zto="40", parcels_yto="40", parcels_yunda="25", parcels_jt="15")
    result = _consolidated(toml)
    (leg,) = [lg for lg in result.legs if lg.label == "shared fleet"]
    parts = [s for s in leg.problem.stops if leg.location(s.id) == BIG]
    assert [(s.id, s.parcels, s.weight_kg, s.produce_kg, s.parcels_by_carrier) for s in parts] == [
        (f"{BIG}#1", 100, 150, 48, {"ems": 80, "zto": 20}),
        (f"{BIG}#2", 100, 150, 48, {"zto": 20, "yto": 40, "yunda": 25, "jt": 15})]
    # every other village is held whole, under its own id
    assert all("#" not in s.id for s in leg.problem.stops if s not in parts)
    driven = [s for r in leg.plan.routes for s in r.stops]
    assert sorted(s for s in driven if leg.location(s) == BIG) == [f"{BIG}#1", f"{BIG}#2"]
    assert result.unserved == ()
    kpis = result.kpis()
    assert (kpis["stops_served"], kpis["village_visits"]) == (9, 10)
    assert (kpis["parcels"], kpis["produce_kg"]) == (225 - 44 + 200, 354)
    assert check_strategy(result).ok


def test_one_van_with_two_trips_serves_the_county_in_two_trips(tmp_path):
    toml = _copy(tmp_path)
    text = toml.read_text(encoding="utf-8")
    assert 'id = "van"\ncount = 3' in text
    toml.write_text(text.replace('id = "van"\ncount = 3', 'id = "van"\ncount = 1\nmax_trips = 2'),
                    encoding="utf-8")
    result = _consolidated(toml)
    # 225 parcels against a 150-parcel van: two trips within its 8-hour shift
    (leg,) = [lg for lg in result.legs if lg.label == "shared fleet"]
    (day,) = leg.plan.days()
    assert [r.trip for r in day.trips] == [1, 2]
    assert day.trips[1].start_s >= day.trips[0].end_s
    van = leg.problem.vehicle_types[0]
    assert van.max_trips == 2 and day.end_s <= van.shift_end_s
    assert sum(r.load[0] for r in day.trips) == 225
    assert result.unserved == ()
    kpis = result.kpis()
    feeders = [lg for lg in result.legs if lg.echelon == Echelon.FEEDER]
    feeder_trips = sum(len(lg.plan.routes) for lg in feeders)
    assert kpis["vehicles"] - kpis["feeder_vehicles"] == 1
    assert kpis["trips"] - feeder_trips == 2
    assert kpis["stops_served"] == 9
    assert check_strategy(result).ok


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_the_van_waits_for_the_feeders_and_loads_before_each_trip(tmp_path, engine):
    toml = _copy(tmp_path)
    text = toml.read_text(encoding="utf-8")
    text = text.replace('id = "van"\ncount = 3', 'id = "van"\ncount = 1\nmax_trips = 2')
    text = text.replace("[solver]", '[service]\nload_s = 600\n\n[feeders]\ndepart = "08:30"\n'
                                     'sort_s = 900\n\n[solver]')
    toml.write_text(text, encoding="utf-8")
    sc = load_scenario(toml)
    assert (sc.service.load_s, sc.feeders.sort_s) == (600, 900)
    assert sc.feeders.depart_s == 8 * 3600 + 1800
    settings = replace(settings_for(sc, time_limit_s=1), solution_limit=100)
    result = run_strategy(sc, "consolidated", settings, engine=engine,
                          cache_dir=toml.parent / "cache")
    feeders = [lg for lg in result.legs if lg.echelon == Echelon.FEEDER]
    assert {r.start_s for lg in feeders for r in lg.plan.routes} == {8 * 3600 + 1800}
    # the shared van (shift from 08:00) leaves only 900 s after the last feeder has unloaded
    done = max(arrival + int(lg.problem.service_s[lg.problem.index[sid]])
               for lg in feeders for r in lg.plan.routes
               for sid, arrival in zip(r.stops, r.arrival_s, strict=True))
    (leg,) = [lg for lg in result.legs if lg.label == "shared fleet"]
    (day,) = leg.plan.days()
    assert len(day.trips) == 2
    assert done + 900 > 8 * 3600 and day.trips[0].start_s >= done + 900
    # the centre's loading time starts every trip: 600 s before the first village
    depot = leg.problem.index[leg.problem.depots[0].id]
    assert int(leg.problem.service_s[depot]) == 600
    for trip in day.trips:
        first = leg.problem.index[trip.stops[0]]
        travel = int(leg.problem.duration_s[depot, first])
        assert trip.arrival_s[0] >= trip.start_s + 600 + travel
    assert check_strategy(result).ok
