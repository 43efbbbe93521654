"""The ``township-relay`` strategy: two echelons, solved one after the other.

Carriers' feeder vans bring their parcels to the hub; trunk vehicles carry the pooled parcels from
the hub to township stations; local vehicles (e.g. electric tricycles, several rounds each) serve
the villages from the stations. The local echelon is one multi-depot problem over every
station's fleet, so the solver chooses which station serves a village within each station's
vehicle count. A village no local vehicle can serve (even split into several visits) is served
directly by the trunk from the hub. A local round may leave its station only once the trunk has
unloaded there, and the trunk brings each station exactly what its rounds hand over
(``_settle_relay``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

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
    has_load,
    leave_after,
    ready_s,
    strategy_result,
    village_unserved,
)

#: How many times the relay may re-plan its trunk after local rounds changed what they serve.
RELAY_SETTLE_ROUNDS = 3


def _local_leg(runner: Runner, stations: Sequence[Depot], ready: Mapping[str, int]) -> Leg:
    """Every station's local rounds as one problem; a station's vehicles leave no earlier than
    ``ready[station]`` (the trunk has unloaded there)."""
    sc = runner.scenario
    relay = sc.relay
    assert relay is not None
    local_type = runner.vehicle_types([relay.local_vehicle])[0]
    fleets = [leave_after(replace(local_type, id=f"{local_type.id}@{station.id}",
                                  depot=station.id, count=relay.local_per_station),
                          ready.get(station.id, 0))
              for station in stations]
    problem = runner.problem("local rounds", stations, [s for s in sc.stops if has_load(s)],
                             fleets)
    (leg,) = runner.solve(Echelon.LOCAL, [problem])
    return leg


def _station_loads(local: Leg) -> dict[str, Stop]:
    """What the trunk must bring each station: the sum of the visits its rounds make."""
    totals: dict[str, list[Stop]] = defaultdict(list)
    for route in local.plan.routes:
        totals[route.depot] += [local.problem.stop_by_id[s] for s in route.stops]
    out = {}
    for depot in local.problem.depots:
        served = totals.get(depot.id, [])
        if served:
            out[depot.id] = Stop(depot.id, depot.name, depot.lon, depot.lat,
                                 parcels=sum(s.parcels for s in served),
                                 weight_kg=sum(s.weight_kg for s in served),
                                 produce_kg=sum(s.produce_kg for s in served))
    return out


def _direct(local: Leg) -> list[Stop]:
    """Village visits no local vehicle can make: the trunk serves them from the hub."""
    return [local.problem.stop_by_id[u.stop] for u in local.plan.unserved
            if u.why is not Why.NO_ROAD]


def _trunk_leg(runner: Runner, trunk_types: Sequence[VehicleType], local: Leg) -> Leg | None:
    """The trunk from the hub: each station's load (split where one truck cannot carry it) and
    the villages the local rounds cannot serve."""
    sc = runner.scenario
    relay = sc.relay
    assert relay is not None
    loads = list(_station_loads(local).values())
    direct = _direct(local)
    if not loads and not direct:
        return None
    hub = {d.id: d for d in sc.depots}[relay.hub]
    where = {s.id: s.id for s in loads} | {s.id: local.location(s.id) for s in direct}
    problem = runner.problem("trunk", [hub], [*loads, *direct], trunk_types,
                             location_of=where, per_stop_s=relay.transfer_s, per_parcel_s=0)
    (leg,) = runner.solve(Echelon.TRUNK, [problem])
    return leg


def _unloaded(trunk: Leg | None, transfer_s: int) -> dict[str, int]:
    """When the trunk has finished unloading at each station it reaches."""
    ready: dict[str, int] = {}
    if trunk is None:
        return ready
    for route in trunk.plan.routes:
        for sid, arrival in zip(route.stops, route.arrival_s, strict=True):
            place = trunk.location(sid)
            ready[place] = max(ready.get(place, 0), arrival + transfer_s)
    return ready


def _villages_at(local: Leg) -> dict[str, frozenset[str]]:
    """The visits each station's rounds make, whatever their order: what decides the trunk."""
    out: dict[str, set[str]] = defaultdict(set)
    for route in local.plan.routes:
        out[route.depot] |= set(route.stops)
    return {k: frozenset(v) for k, v in out.items()}


def _settle_relay(runner: Runner, stations: Sequence[Depot], trunk_types: Sequence[VehicleType],
                  local: Leg) -> tuple[Leg | None, Leg]:
    """Plan the trunk for what the local rounds serve, re-solve the rounds if some would leave
    a station before the trunk unloads there, and repeat while that changes what they serve,
    so the trunk brings each station exactly what its rounds hand over.

    A re-solve is the leg's search with its full budget; the attempt it replaces is kept as the
    leg's ``superseded_s``."""
    sc = runner.scenario
    assert sc.relay is not None
    for _ in range(RELAY_SETTLE_ROUNDS):
        trunk = _trunk_leg(runner, trunk_types, local)
        ready = _unloaded(trunk, sc.relay.transfer_s)
        if all(r.start_s >= ready.get(r.depot, 0) for r in local.plan.routes):
            return trunk, local
        again = _local_leg(runner, stations, ready)
        again = replace(again, superseded_s=local.superseded_s + local.plan.solve_time_s)
        if _villages_at(again) == _villages_at(local) and _direct(again) == _direct(local):
            return trunk, again
        local = again
    raise SearchError(f"{sc.path}: township-relay: the trunk and the local rounds did not "
                      f"settle in {RELAY_SETTLE_ROUNDS} rounds (each trunk plan made rounds "
                      f"drop villages); raise --time-limit or widen the villages' time windows")


def _relay_unserved(local: Leg, trunk: Leg | None) -> tuple[list[Unserved], dict[str, str]]:
    """Villages left unserved (neither the rounds nor the trunk serve them) and villages whose
    station load the trunk did not deliver (id -> reason)."""
    unserved = list(village_unserved([local], prefix=False))
    if trunk is None:
        return unserved, {}
    served_directly = {trunk.location(s) for r in trunk.plan.routes for s in r.stops}
    by_trunk = {u.stop: u for u in village_unserved([trunk], prefix=False)}
    unserved = [replace(u, reason=f"{u.reason}; trunk: {by_trunk[u.stop].reason}")
                if u.stop in by_trunk else u
                for u in unserved if u.stop not in served_directly]
    stations = {d.id for d in local.problem.depots}
    cut_off: dict[str, str] = {}
    for u in trunk.plan.unserved:
        station = trunk.location(u.stop)
        if station not in stations:
            continue
        for route in (r for r in local.plan.routes if r.depot == station):
            for sid in route.stops:
                cut_off.setdefault(local.location(sid), f"the trunk load for station {station} "
                                                        f"was not delivered: {u.reason}")
    return unserved, cut_off


def plan_township_relay(runner: Runner) -> StrategyResult:
    sc = runner.scenario
    relay = sc.relay
    if relay is None:
        raise InputError(sc.path, "relay", "the township-relay strategy needs a [relay] table "
                         "(hub, trunk_vehicles, local_vehicle, local_per_station)")
    stations = [s for s in sc.stations if not relay.stations or s.id in relay.stations]
    feeders = runner.feeders(relay.hub)
    trunk_types = [leave_after(vt, ready_s(feeders, sc.feeders.sort_s))
                   for vt in runner.vehicle_types(relay.trunk_vehicles)]
    trunk, local = _settle_relay(runner, stations, trunk_types,
                                 _local_leg(runner, stations, {}))
    unserved, cut_off = _relay_unserved(local, trunk)
    unserved += [Unserved(sid, reason, Why.UPSTREAM) for sid, reason in sorted(cut_off.items())]
    delivered = sum(local.problem.stop_by_id[sid].parcels for route in local.plan.routes
                    for sid in route.stops if local.location(sid) not in cut_off)
    transfers = sum(s.parcels for leg in feeders for s in leg.problem.stops) + delivered
    legs = [*feeders, *([trunk] if trunk is not None else []), local]
    result = strategy_result(runner, Strategy.TOWNSHIP_RELAY, legs, transfers, tuple(unserved))
    return replace(result, undelivered=frozenset(cut_off))
