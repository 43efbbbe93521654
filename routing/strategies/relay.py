"""The ``township-relay`` strategy: two echelons, solved one after the other.

Trunk vehicles carry pooled parcels from the centre to township stations; local vehicles (e.g.
electric tricycles) serve each village from its nearest station. A local round may leave its
station only once the trunk has unloaded there, and the trunk brings each station exactly what
its rounds hand over (``_settle_relay``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from routing.core import (
    Depot,
    Echelon,
    InputError,
    SearchError,
    Stop,
    Strategy,
    Unserved,
    VehicleType,
    Why,
)
from routing.strategies.base import (
    Leg,
    Runner,
    StrategyResult,
    apportion,
    has_load,
    strategy_result,
    village_unserved,
)


def trunk_loads(stations: Sequence[Depot], served_at: Mapping[str, Sequence[Stop]],
                trunk_types: Sequence[VehicleType]) -> tuple[list[Stop], dict[str, str]]:
    """The trunk echelon's stops: each station's total parcels, kg and produce for the villages
    served from it, split into equal loads (``t123#1``, ``t123#2``) where one truck cannot carry
    it. Returns the stops and the station each stop stands at."""
    cap_parcels = max(vt.capacity_parcels for vt in trunk_types)
    cap_kg = max(vt.capacity_kg for vt in trunk_types)
    stops, location_of = [], {}
    for station in stations:
        served = served_at.get(station.id, [])
        if not served:
            continue
        totals = (sum(s.parcels for s in served), sum(s.weight_kg for s in served),
                  sum(s.produce_kg for s in served))
        chunks = max(math.ceil(totals[0] / cap_parcels), math.ceil(totals[1] / cap_kg),
                     math.ceil(totals[2] / cap_kg), 1)
        parts = [apportion(x, dict.fromkeys(range(chunks), 1.0)) for x in totals]
        for k in range(chunks):
            sid = station.id if chunks == 1 else f"{station.id}#{k + 1}"
            location_of[sid] = station.id
            stops.append(Stop(sid, station.name, station.lon, station.lat,
                              parcels=parts[0][k], weight_kg=parts[1][k],
                              produce_kg=parts[2][k]))
    return stops, location_of


def _after_trunk(runner: Runner, local_legs: Sequence[Leg], trunk: Leg,
                 location_of: Mapping[str, str], transfer_s: int) -> list[Leg]:
    """Local rounds may leave a station only once the trunk has unloaded there: a round
    planned to leave earlier is solved again with its shift starting at that moment.

    The re-solve is the leg's search: it gets the leg's full budget (:func:`budget_s`, the same
    stop count), and the first attempt, which only decided the station's trunk load, is kept
    as the leg's ``superseded_s``, not counted against its budget."""
    ready: dict[str, int] = {}
    for route in trunk.plan.routes:
        for sid, arrival in zip(route.stops, route.arrival_s, strict=True):
            station = location_of[sid]
            ready[station] = max(ready.get(station, 0), arrival + transfer_s)
    legs = []
    for leg in local_legs:
        station = leg.problem.depots[0].id
        if all(r.start_s >= ready.get(station, 0) for r in leg.plan.routes):
            legs.append(leg)
            continue
        (vt,) = leg.problem.vehicle_types
        later = replace(vt, shift_start_s=ready[station],
                        max_duration_s=max(vt.shift_end_s - ready[station], 1))
        problem = replace(leg.problem, vehicle_types=(later,))
        (again,) = runner.solve([(leg.label, leg.echelon, problem)])
        legs.append(replace(again, superseded_s=leg.superseded_s + leg.plan.solve_time_s))
    return legs


#: How many times the relay may re-plan its trunk after local rounds changed what they serve.
RELAY_SETTLE_ROUNDS = 3


def _local_legs(runner: Runner, stations: Sequence[Depot]) -> list[Leg]:
    """Each station's local rounds, serving the villages nearest it by the local vehicle."""
    sc, geo = runner.scenario, runner.geography
    relay = sc.relay
    assert relay is not None
    local_type = runner.vehicle_types([relay.local_vehicle])[0]
    local_dur = geo.profiles.get(local_type.profile, geo.matrices).duration_s
    index = {loc: i for i, loc in enumerate(geo.matrices.ids)}
    station_rows = np.array([index[s.id] for s in stations])
    villages: dict[str, list[Stop]] = defaultdict(list)
    for stop in filter(has_load, sc.stops):
        row = index[stop.id]
        trip = local_dur[station_rows, row] + local_dur[row, station_rows]
        villages[stations[int(np.argmin(trip))].id].append(stop)
    local_problems = []
    for station in stations:
        if not villages[station.id]:
            continue
        fleet = replace(local_type, id=f"{local_type.id}@{station.id}", depot=station.id,
                        count=relay.local_per_station)
        label = f"local {station.name or station.id}"
        local_problems.append((label, Echelon.LOCAL,
                               runner.problem(label, [station], villages[station.id], [fleet])))
    return runner.solve(local_problems)


def _served_at(local_legs: Sequence[Leg]) -> dict[str, list[Stop]]:
    """The villages each station's local rounds serve, by station id."""
    served: dict[str, list[Stop]] = defaultdict(list)
    for leg in local_legs:
        for route in leg.plan.routes:
            served[leg.problem.depots[0].id] += [leg.problem.stop_by_id[s] for s in route.stops]
    return served


def _villages_at(local_legs: Sequence[Leg]) -> dict[str, frozenset[str]]:
    """The ids of the villages each station's rounds serve, whatever their order: what decides
    the trunk's loads."""
    return {station: frozenset(s.id for s in stops)
            for station, stops in _served_at(local_legs).items()}


def _settle_relay(runner: Runner, stations: Sequence[Depot], local_legs: list[Leg]
                  ) -> tuple[Leg | None, list[Leg], dict[str, str]]:
    """Plan the trunk for what the local rounds serve, re-solve rounds that would leave before
    it unloads, and repeat while that changes what they serve, so the trunk brings each station
    exactly what its rounds hand over. Returns the trunk leg, the local legs and where each
    trunk stop stands."""
    sc = runner.scenario
    relay = sc.relay
    assert relay is not None
    trunk_types = runner.vehicle_types(relay.trunk_vehicles)
    hub = {d.id: d for d in sc.depots}[relay.hub]
    for _ in range(RELAY_SETTLE_ROUNDS):
        served_at = _served_at(local_legs)
        trunk_stops, location_of = trunk_loads(stations, served_at, trunk_types)
        if not trunk_stops:
            return None, local_legs, location_of
        trunk = runner.problem("trunk", [hub], trunk_stops, trunk_types,
                               location_of=location_of, per_stop_s=relay.transfer_s,
                               per_parcel_s=0)
        (solved,) = runner.solve([("trunk", Echelon.TRUNK, trunk)])
        trunk_leg = replace(solved, location_of=location_of)  # split loads stand at a station
        settled = _after_trunk(runner, local_legs, trunk_leg, location_of, relay.transfer_s)
        if _villages_at(settled) == _villages_at(local_legs):
            return trunk_leg, settled, location_of
        local_legs = settled
    raise SearchError(f"{sc.path}: township-relay: the trunk and the local rounds did not "
                      f"settle in {RELAY_SETTLE_ROUNDS} rounds (each trunk plan made rounds "
                      f"drop villages); raise --time-limit or widen the villages' time windows")


def plan_township_relay(runner: Runner) -> StrategyResult:
    sc = runner.scenario
    relay = sc.relay
    if relay is None:
        raise InputError(sc.path, "relay", "the township-relay strategy needs a [relay] table "
                         "(hub, trunk_vehicles, local_vehicle, local_per_station)")
    stations = [s for s in sc.stations if not relay.stations or s.id in relay.stations]
    trunk_leg, local_legs, location_of = _settle_relay(runner, stations,
                                                       _local_legs(runner, stations))
    legs = local_legs if trunk_leg is None else [trunk_leg, *local_legs]
    unserved = list(village_unserved(local_legs, prefix=False))
    served_at = _served_at(local_legs)
    cut_off: dict[str, str] = {}
    for u in trunk_leg.plan.unserved if trunk_leg is not None else ():
        station_id = location_of[u.stop]
        for s in served_at[station_id]:
            cut_off.setdefault(s.id, f"the trunk load for station {station_id} was not "
                                     f"delivered: {u.reason}")
    unserved += [Unserved(sid, reason, Why.UPSTREAM) for sid, reason in sorted(cut_off.items())]
    feeders = runner.feeders(relay.hub)
    delivered = sum(leg.problem.stop_by_id[sid].parcels for leg in local_legs
                    for route in leg.plan.routes for sid in route.stops if sid not in cut_off)
    transfers = sum(f.parcels for f in feeders) + delivered
    result = strategy_result(runner, Strategy.TOWNSHIP_RELAY, legs, feeders, transfers,
                             tuple(unserved))
    return replace(result, undelivered=frozenset(cut_off))
