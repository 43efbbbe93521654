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
from dataclasses import dataclass, replace

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
    has_load,
    joined,
)
from routing.strategies.base import (
    Leg,
    Runner,
    StrategyResult,
    leave_after,
    ready_s,
    strategy_result,
    village_unserved,
)

#: How many times the relay may re-plan its trunk after local rounds changed what they serve.
RELAY_SETTLE_ROUNDS = 3


def _station_fleet(runner: Runner, station: Depot, ready: Mapping[str, int]) -> VehicleType:
    """A station's local vehicles (``local_per_station`` of the local type, stationed there),
    leaving no earlier than ``ready[station]`` (the trunk has unloaded there)."""
    relay = runner.scenario.relay
    assert relay is not None
    local_type = runner.vehicle_types([relay.local_vehicle])[0]
    return leave_after(replace(local_type, id=f"{local_type.id}@{station.id}", depot=station.id,
                               count=relay.local_per_station), ready.get(station.id, 0))


def _local_leg(runner: Runner, stations: Sequence[Depot], ready: Mapping[str, int]) -> Leg:
    """Every station's local rounds as one problem, so the solver chooses each village's
    station within each station's fleet."""
    sc = runner.scenario
    problem = runner.problem("local rounds", stations, [s for s in sc.stops if has_load(s)],
                             [_station_fleet(runner, station, ready) for station in stations])
    (leg,) = runner.solve(Echelon.LOCAL, [problem])
    return leg


@dataclass(frozen=True)
class Direct:
    """A village visit the trunk makes from the hub, and why no local round makes it."""

    visit: Stop
    village: str
    why_not_local: Unserved


def _station_legs(runner: Runner, stations: Sequence[Depot], legs: Sequence[Leg],
                  ready: Mapping[str, int]) -> list[Leg]:
    """The local rounds solved again station by station, each station keeping the visits it
    made in ``legs`` (so the trunk's loads stay as planned), its vehicles leaving no earlier
    than ``ready[station]``."""
    problems = []
    for station in stations:
        visits = [(leg, sid) for leg in legs for r in leg.plan.routes if r.depot == station.id
                  for sid in r.stops]
        if not visits:
            continue
        problems.append(runner.problem(
            f"local {station.name or station.id}", [station],
            [leg.problem.stop_by_id[sid] for leg, sid in visits],
            [_station_fleet(runner, station, ready)],
            location_of={sid: leg.location(sid) for leg, sid in visits}))
    return runner.solve(Echelon.LOCAL, problems)


def _station_loads(legs: Sequence[Leg]) -> list[Stop]:
    """What the trunk must bring each station: the sum of the visits its rounds make."""
    served: dict[str, list[Stop]] = defaultdict(list)
    depots: dict[str, Depot] = {}
    for leg in legs:
        depots.update(leg.problem.depot_by_id)
        for route in leg.plan.routes:
            served[route.depot] += [leg.problem.stop_by_id[s] for s in route.stops]
    # pooled parcels: a station's load keeps no carrier split
    return [replace(joined(Stop(d, depots[d].name, depots[d].lon, depots[d].lat, parcels=0,
                                weight_kg=0), stops), parcels_by_carrier={})
            for d, stops in served.items() if stops]


def _direct(legs: Sequence[Leg]) -> dict[str, Direct]:
    """Village visits no local round makes (no vehicle of a station can): the trunk serves
    them from the hub. By visit id."""
    return {u.stop: Direct(leg.problem.stop_by_id[u.stop], leg.location(u.stop), u)
            for leg in legs for u in leg.plan.unserved if u.why is not Why.NO_ROAD}


def _direct_stops(direct: Mapping[str, Direct]) -> list[Stop]:
    """The trunk's direct visits, one per village: the visits no round makes there, added up
    (the trunk splits them again only if one truck cannot carry them)."""
    parts: dict[str, list[Direct]] = defaultdict(list)
    for d in direct.values():
        parts[d.village].append(d)
    return [joined(replace(ds[0].visit, id=village), [d.visit for d in ds])
            for village, ds in parts.items()]


def _trunk_leg(runner: Runner, trunk_types: Sequence[VehicleType],
               direct: Mapping[str, Direct], legs: Sequence[Leg]) -> Leg | None:
    """The trunk from the hub: each station's load (split where one truck cannot carry it,
    unloaded in ``relay.transfer_s``) and the villages no round serves (at the village's own
    service time)."""
    sc = runner.scenario
    relay = sc.relay
    assert relay is not None
    loads = _station_loads(legs)
    if not loads and not direct:
        return None
    hub = {d.id: d for d in sc.depots}[relay.hub]
    villages = _direct_stops(direct)
    problem = runner.problem("trunk", [hub], [*loads, *villages], trunk_types,
                             service_at={s.id: relay.transfer_s for s in loads})
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


def _visits_at(legs: Sequence[Leg]) -> dict[str, frozenset[str]]:
    """The visits each station's rounds make, whatever their order: what decides the trunk."""
    out: dict[str, set[str]] = defaultdict(set)
    for leg in legs:
        for route in leg.plan.routes:
            out[route.depot] |= set(route.stops)
    return {k: frozenset(v) for k, v in out.items()}


def _settle_relay(runner: Runner, stations: Sequence[Depot], trunk_types: Sequence[VehicleType],
                  first: Leg) -> tuple[Leg | None, list[Leg], dict[str, Direct]]:
    """Plan the trunk for what the local rounds serve; where a round would leave a station
    before the trunk unloads there, solve the rounds again station by station (each keeping
    its villages, leaving once the trunk has unloaded), and repeat while that changes what
    they serve, so the trunk brings each station exactly what its rounds hand over.

    The first local solve chooses which station serves which village; a re-solve is each
    station's search with its full budget, and the attempt it replaces is kept as the legs'
    ``superseded_s``. Returns the trunk, the local legs and the visits the trunk makes
    directly."""
    sc = runner.scenario
    assert sc.relay is not None
    legs, direct = [first], _direct([first])
    for _ in range(RELAY_SETTLE_ROUNDS):
        trunk = _trunk_leg(runner, trunk_types, direct, legs)
        ready = _unloaded(trunk, sc.relay.transfer_s)
        if all(r.start_s >= ready.get(r.depot, 0) for leg in legs for r in leg.plan.routes):
            return trunk, legs, direct
        spent = sum(leg.plan.solve_time_s + leg.superseded_s for leg in legs)
        again = _station_legs(runner, stations, legs, ready)
        again = [replace(leg, superseded_s=spent * len(leg.problem.stops)
                         / max(1, sum(len(g.problem.stops) for g in again))) for leg in again]
        more = {**direct, **_direct(again)}
        if _visits_at(again) == _visits_at(legs) and more.keys() == direct.keys():
            return trunk, again, direct
        legs, direct = again, more
    raise SearchError(f"{sc.path}: township-relay: the trunk and the local rounds did not "
                      f"settle in {RELAY_SETTLE_ROUNDS} rounds (each trunk plan made rounds "
                      f"drop villages); raise --time-limit or widen the villages' time windows")


def _relay_unserved(first: Leg, locals_: Sequence[Leg], trunk: Leg | None,
                    direct: Mapping[str, Direct]) -> tuple[list[Unserved], dict[str, str]]:
    """Villages left unserved and villages whose station load the trunk did not deliver
    (id -> reason). A village no local round can serve is unserved only if the trunk does not
    serve it either; one without a road (left out of the ``first`` local solve, which holds
    every village, so never handed to a station's re-solve) is unserved outright."""
    unserved = [u for u in village_unserved([first], prefix=False) if u.why is Why.NO_ROAD]
    missed = {} if trunk is None else {trunk.location(u.stop): u for u in trunk.plan.unserved}
    failed: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, Why] = {}
    for d in direct.values():
        if trunk is None or d.village in missed:
            trunk_says = missed[d.village].reason if d.village in missed else "no trunk runs"
            failed[d.village].append(f"{d.why_not_local.reason}; trunk: {trunk_says}")
            kinds.setdefault(d.village, missed[d.village].why if d.village in missed
                             else Why.UPSTREAM)
    unserved += [Unserved(v, "; ".join(dict.fromkeys(r)), kinds[v])
                 for v, r in sorted(failed.items())]
    if trunk is None:
        return unserved, {}
    stations = {d.id for leg in locals_ for d in leg.problem.depots}
    cut_off: dict[str, str] = {}
    for u in trunk.plan.unserved:
        station = trunk.location(u.stop)
        if station not in stations:
            continue
        for leg in locals_:
            for sid in (s for r in leg.plan.routes if r.depot == station for s in r.stops):
                cut_off.setdefault(leg.location(sid), f"the trunk load for station {station} "
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
    first = _local_leg(runner, stations, {})
    trunk, locals_, direct = _settle_relay(runner, stations, trunk_types, first)
    if trunk is not None and direct:
        villages = sorted({d.village for d in direct.values()})
        note = (f"serves {len(direct)} village visits directly from the hub, where no local "
                f"vehicle can: {', '.join(villages)}")
        trunk = replace(trunk, plan=replace(trunk.plan, notes=(*trunk.plan.notes, note)))
    unserved, cut_off = _relay_unserved(first, locals_, trunk, direct)
    unserved += [Unserved(sid, reason, Why.UPSTREAM) for sid, reason in sorted(cut_off.items())]
    delivered = sum(leg.problem.stop_by_id[sid].parcels for leg in locals_
                    for route in leg.plan.routes for sid in route.stops
                    if leg.location(sid) not in cut_off)
    transfers = sum(s.parcels for leg in feeders for s in leg.problem.stops) + delivered
    legs = [*feeders, *([trunk] if trunk is not None else []), *locals_]
    result = strategy_result(runner, Strategy.TOWNSHIP_RELAY, legs, transfers, tuple(unserved))
    return replace(result, undelivered=frozenset(cut_off))
