"""Check a strategy's legs against each other and against the scenario, before anything is written.

:mod:`routing.solving.checker` checks each leg's plan alone (routes against the matrices, loads,
windows). This module checks what no single leg can: that the legs of a strategy add up to the
scenario's day. Expected values are recomputed from the scenario and the plans' routes, not taken
from the numbers the strategy code computed:

* every village with demand is served in the final echelon or listed unserved (all strategies);
* ``independent``: the carriers' parts of a village add up to the village (parcels, kg, produce)
  and each carrier's leg carries exactly that carrier's parcels;
* ``consolidated`` and ``township-relay``: each village is held by one final-echelon leg with its
  whole load and served at most once; feeders bring every carrier's parcels to the hub (a carrier
  whose branch is the hub needs none) within their trips' capacity;
* ``township-relay``: the trunk brings each station exactly what its local rounds deliver (summed
  over split loads ``t1#1``, ``t1#2`` and over the routes actually driven); local rounds leave a
  station only after the trunk has unloaded there (arrival + ``relay.transfer_s``); the produce
  the trunk takes back from a station is what its rounds collect, and whether it rides back the
  same day or on the trunk's next run is stated.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from routing.core import Echelon, PlanError, Stop, Strategy, VehicleType
from routing.strategies.base import Feeder, Leg, StrategyResult, carrier_stops

#: A load as (parcels, parcel kg, produce kg).
Load = tuple[int, int, int]

ZERO: Load = (0, 0, 0)


@dataclass(frozen=True)
class RuleCheck:
    """One strategy-level rule: what it compared (``checked``) and what it found wrong."""

    name: str
    checked: str
    violations: tuple[str, ...] = ()
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class StrategyCheck:
    """Every rule that ran on a strategy result; ``violations`` is empty for a sound result."""

    strategy: Strategy
    rules: tuple[RuleCheck, ...]

    @property
    def violations(self) -> tuple[str, ...]:
        return tuple(f"{r.name}: {v}" for r in self.rules for v in r.violations)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)


def check_strategy(result: StrategyResult, *, strict: bool = True) -> StrategyCheck:
    """Run every rule that applies to ``result.strategy``; with ``strict`` raise
    :class:`~routing.core.errors.PlanError` listing every violation."""
    rules = [_demand_covered(result)]
    if result.strategy == Strategy.INDEPENDENT:
        rules.append(_carrier_parts(result))
    elif result.strategy in (Strategy.CONSOLIDATED, Strategy.TOWNSHIP_RELAY):
        rules += [_pooled_villages(result), _feeders(result)]
    else:
        rules.append(RuleCheck("strategy", "the strategy is one this check knows",
                               (f"unknown strategy {result.strategy!r}",)))
    if result.strategy == Strategy.TOWNSHIP_RELAY:
        relay = _read_relay(result)
        rules += [_relay_loads(relay), _relay_timing(relay), _relay_produce(relay)]
    check = StrategyCheck(result.strategy, tuple(rules))
    if strict and check.violations:
        raise PlanError(list(check.violations))
    return check


# --- shared helpers ---------------------------------------------------------------------------


def _load(stop: Stop) -> Load:
    return (stop.parcels, stop.weight_kg, stop.produce_kg)


def _plus(a: Load, b: Load) -> Load:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _total(stops: Iterable[Stop]) -> Load:
    total = ZERO
    for s in stops:
        total = _plus(total, _load(s))
    return total


def _show(load: Load) -> str:
    return f"{load[0]} parcels / {load[1]} kg / {load[2]} kg produce"


def _demand(result: StrategyResult) -> dict[str, Stop]:
    """The scenario's villages with something to drop or collect today."""
    return {s.id: s for s in result.scenario.stops if s.parcels or s.weight_kg or s.produce_kg}


def _final(result: StrategyResult) -> list[Leg]:
    """The legs that call at villages (every leg but the relay trunk)."""
    return [leg for leg in result.legs if leg.echelon != Echelon.TRUNK]


def _driven(leg: Leg) -> list[str]:
    """Stop ids on the leg's routes, in route order."""
    return [sid for route in leg.plan.routes for sid in route.stops]


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


# --- every strategy ---------------------------------------------------------------------------


def _demand_covered(result: StrategyResult) -> RuleCheck:
    """Every village with demand is served (in the final echelon, its load handed over) or
    listed unserved; nothing is listed unserved that every leg holding it serves."""
    demand = _demand(result)
    listed = Counter(u.stop for u in result.unserved)
    known = {s.id for s in result.scenario.stops}
    out = [f"unserved village {sid} is not in the scenario" for sid in listed if sid not in known]
    out += [f"village {u.stop} is listed unserved without a reason" for u in result.unserved
            if not u.reason.strip()]
    out += [f"village {sid} is listed unserved {n} times" for sid, n in listed.items() if n > 1]
    holders: dict[str, int] = Counter()
    servers: dict[str, int] = Counter()
    for leg in _final(result):
        driven = {sid for sid in _driven(leg) if sid not in result.undelivered}
        for stop in leg.problem.stops:
            holders[stop.id] += 1
            if stop.id in driven:
                servers[stop.id] += 1
            elif stop.id not in listed:
                out.append(f"village {stop.id} is not served by {leg.label} and not listed "
                           f"unserved")
    for sid, stop in demand.items():
        if not holders[sid] and sid not in listed:  # held but unserved is reported above
            out.append(f"village {sid} has demand ({_show(_load(stop))}) but is neither served "
                       f"nor listed unserved")
    out += [f"village {sid} is listed unserved but every leg holding it serves it"
            for sid in listed if holders[sid] and servers[sid] == holders[sid]]
    return RuleCheck("demand-covered", f"{len(demand)} villages with demand: each served in the "
                     f"final echelon or among the {len(listed)} listed unserved", tuple(out))


# --- independent ------------------------------------------------------------------------------


def _carrier_of(result: StrategyResult) -> tuple[dict[str, Leg], list[str]]:
    """Each carrier's leg, told by its fleet and branch (not by label)."""
    free = list(_final(result))
    out: dict[str, Leg] = {}
    for carrier in result.scenario.carriers:
        for leg in free:
            types = {vt.id for vt in leg.problem.vehicle_types}
            depots = {d.id for d in leg.problem.depots}
            if types <= set(carrier.vehicles) and depots == {carrier.depot}:
                out[carrier.id] = leg
                free.remove(leg)
                break
    return out, [f"{leg.label} drives no carrier's own fleet from its branch" for leg in free]


def _carrier_parts(result: StrategyResult) -> RuleCheck:
    """The carriers' parts of every village add up to the village; each carrier's leg holds
    exactly its own parcels there."""
    legs, out = _carrier_of(result)
    parts: dict[str, list[Stop]] = defaultdict(list)
    for carrier in result.scenario.carriers:
        leg = legs.get(carrier.id)
        if leg is None:
            out.append(f"carrier {carrier.id} drives no leg")
            continue
        for stop in leg.problem.stops:
            parts[stop.id].append(stop)
        held = {s.id: s.parcels for s in leg.problem.stops}
        for village in result.scenario.stops:
            own = village.parcels_by_carrier.get(carrier.id, 0)
            if held.get(village.id, 0) != own:
                out.append(f"{leg.label} holds {held.get(village.id, 0)} parcels at "
                           f"{village.id}, but carrier {carrier.id}'s part is {own}")
    for village in result.scenario.stops:
        summed = _total(parts.pop(village.id, []))
        if summed != _load(village):
            out.append(f"the carriers' parts of village {village.id} add up to {_show(summed)}, "
                       f"not its {_show(_load(village))}")
    out += [f"legs hold village {sid}, which is not in the scenario" for sid in parts]
    return RuleCheck("carrier-parts", f"{len(result.scenario.carriers)} carriers' parts of "
                     f"{len(result.scenario.stops)} villages (parcels, kg, produce)", tuple(out))


# --- consolidated and township relay ----------------------------------------------------------


def _pooled_villages(result: StrategyResult) -> RuleCheck:
    """Each village is held by one final-echelon leg, with its whole load, and served at most
    once."""
    villages = {s.id: s for s in result.scenario.stops}
    held: Counter[str] = Counter()
    out = []
    for leg in _final(result):
        for stop in leg.problem.stops:
            held[stop.id] += 1
            village = villages.get(stop.id)
            if village is None:
                out.append(f"{leg.label} holds {stop.id}, which is not a village of the scenario")
            elif _load(stop) != _load(village):
                out.append(f"{leg.label} holds village {stop.id} with {_show(_load(stop))}, not "
                           f"its {_show(_load(village))}")
    out += [f"village {sid} is held by {n} legs" for sid, n in held.items() if n > 1]
    visits = Counter(sid for leg in _final(result) for sid in _driven(leg))
    out += [f"village {sid} is served {n} times" for sid, n in visits.items() if n > 1]
    return RuleCheck("pooled-villages", f"{len(held)} villages each held once with the "
                     f"scenario's load and served at most once", tuple(out))


def _hub(result: StrategyResult) -> str:
    sc = result.scenario
    if result.strategy == Strategy.TOWNSHIP_RELAY and sc.relay is not None:
        return sc.relay.hub
    return sc.shared_fleet().depot


def _feeders(result: StrategyResult) -> RuleCheck:
    """Feeders bring each carrier's parcels from its branch to the hub within the capacity of
    their trips; a carrier whose branch is the hub needs no feeder."""
    hub, sc = _hub(result), result.scenario
    kg = {cid: sum(s.weight_kg for s in stops) for cid, stops in carrier_stops(sc).items()}
    by_carrier: dict[str, list[Feeder]] = defaultdict(list)
    for f in result.feeders:
        by_carrier[f.carrier].append(f)
    out = [f"feeder of unknown carrier {cid}" for cid in by_carrier
           if cid not in {c.id for c in sc.carriers}]
    away = 0
    for carrier in sc.carriers:
        parcels = sum(s.parcels_by_carrier.get(carrier.id, 0) for s in sc.stops)
        feeders = by_carrier.get(carrier.id, [])
        if carrier.depot == hub:
            if feeders:
                out.append(f"carrier {carrier.id}'s branch is the hub {hub}; it needs no feeder")
            continue
        away += parcels
        types = [sc.vehicle_type_by_id[v] for v in carrier.vehicles]
        out += _feeder_violations(carrier.id, feeders, parcels, kg.get(carrier.id, 0), types)
    carried = sum(f.parcels for f in result.feeders)
    if carried != away:
        out.append(f"feeders carry {carried} parcels to {hub}; carriers away from it hold {away}")
    return RuleCheck("feeders", f"{len(result.feeders)} feeders carry the {away} parcels of "
                     f"carriers whose branch is not the hub {hub}", tuple(out))


def _feeder_violations(carrier: str, feeders: list[Feeder], parcels: int, kg: int,
                       types: list[VehicleType]) -> list[str]:
    """What is wrong with one carrier's feeders (its whole load, in capacity)."""
    if not (parcels or kg):
        return [f"carrier {carrier} has nothing to bring, yet runs a feeder"] if feeders else []
    if not feeders:
        return [f"carrier {carrier}'s {parcels} parcels / {kg} kg reach the hub by no feeder"]
    out = []
    if len(feeders) > 1:
        out.append(f"carrier {carrier} has {len(feeders)} feeders")
    carried = sum(f.parcels for f in feeders)
    if carried != parcels:
        out.append(f"carrier {carrier}'s feeders carry {carried} parcels, not its {parcels}")
    for f in feeders:
        fits = [vt for vt in types if vt.kind == f.kind]
        if not fits:
            out.append(f"carrier {carrier}'s feeder is a {f.kind}, which it has not")
            continue
        cap_parcels = max(vt.capacity_parcels for vt in fits)
        cap_kg = max(vt.capacity_kg for vt in fits)
        if f.trips * cap_parcels < parcels or f.trips * cap_kg < kg:
            out.append(f"carrier {carrier}'s {f.trips} feeder trips carry at most "
                       f"{f.trips * cap_parcels} parcels / {f.trips * cap_kg} kg, less than its "
                       f"{parcels} parcels / {kg} kg")
    return out


# --- township relay ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Relay:
    """The relay's legs read station by station: what the trunk brought, when it finished
    unloading and left, and what the local rounds handed over and collected."""

    brought: dict[str, Load]
    unloaded_s: dict[str, int]
    local: dict[str, Load]
    rounds: dict[str, list[tuple[int, int]]]
    stray: tuple[str, ...]


def _station_of(sid: str, stations: set[str]) -> str | None:
    """The station a trunk stop stands at: ``t1`` or a split load ``t1#2``."""
    if sid in stations:
        return sid
    base, _, k = sid.rpartition("#")
    return base if base in stations and k.isdigit() else None


def _read_relay(result: StrategyResult) -> _Relay:
    stations = {s.id for s in result.scenario.stations}
    transfer_s = result.scenario.relay.transfer_s if result.scenario.relay else 0
    brought: dict[str, Load] = defaultdict(lambda: ZERO)
    unloaded: dict[str, int] = {}
    stray: list[str] = []
    for leg in (lg for lg in result.legs if lg.echelon == Echelon.TRUNK):
        for route in leg.plan.routes:
            for sid, arrival in zip(route.stops, route.arrival_s, strict=True):
                station, stop = _station_of(sid, stations), leg.problem.stop_by_id[sid]
                if station is None:
                    stray.append(f"trunk stop {sid} stands at no township station")
                    continue
                brought[station] = _plus(brought[station], _load(stop))
                done = max(arrival, stop.open_s) + transfer_s
                unloaded[station] = max(unloaded.get(station, 0), done)
    local: dict[str, Load] = defaultdict(lambda: ZERO)
    rounds: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for leg in (lg for lg in result.legs if lg.echelon == Echelon.LOCAL):
        for route in leg.plan.routes:
            handed = [leg.problem.stop_by_id[s] for s in route.stops
                      if s not in result.undelivered]
            if not handed:
                continue
            if route.depot not in stations:
                stray.append(f"local round {route.vehicle} leaves {route.depot}, not a station")
            local[route.depot] = _plus(local[route.depot], _total(handed))
            rounds[route.depot].append((route.start_s, route.end_s))
    return _Relay(dict(brought), unloaded, dict(local), dict(rounds), tuple(stray))


def _relay_loads(relay: _Relay) -> RuleCheck:
    """The trunk brings each station exactly the parcels and kg its local rounds hand over."""
    out = list(relay.stray)
    stations = sorted(set(relay.brought) | set(relay.local))
    for station in stations:
        trunk, local = relay.brought.get(station, ZERO), relay.local.get(station, ZERO)
        if trunk[:2] != local[:2]:
            out.append(f"station {station}: the trunk brings {trunk[0]} parcels / {trunk[1]} kg "
                       f"but its local rounds deliver {local[0]} parcels / {local[1]} kg")
    return RuleCheck("relay-trunk-loads", f"{len(stations)} stations: trunk loads (over split "
                     f"loads) = what the local rounds driven deliver (parcels, kg)", tuple(out))


def _relay_timing(relay: _Relay) -> RuleCheck:
    """Local rounds leave a station only once the trunk has unloaded there."""
    out = []
    for station, rounds in sorted(relay.rounds.items()):
        ready = relay.unloaded_s.get(station)
        if ready is None:
            continue  # nothing reached the station; relay-trunk-loads says so
        out += [f"station {station}: a local round leaves at {_clock(start)} ({start} s), "
                f"before the trunk has unloaded at {_clock(ready)} ({ready} s)"
                for start, _ in rounds if start < ready]
    n = sum(len(r) for r in relay.rounds.values())
    return RuleCheck("relay-trunk-first", f"{n} local rounds leave after the trunk's arrival + "
                     f"the transfer time at their station", tuple(out))


def _relay_produce(relay: _Relay) -> RuleCheck:
    """The produce the trunk takes back from each station is what its rounds collect; say
    whether it rides back the same day or on the trunk's next run."""
    out, details = [], []
    for station in sorted(set(relay.brought) | set(relay.local)):
        back = relay.brought.get(station, ZERO)[2]
        collected = relay.local.get(station, ZERO)[2]
        if back != collected:
            out.append(f"station {station}: local rounds collect {collected} kg produce but the "
                       f"trunk takes {back} kg back")
        elif collected:
            returned = max((end for _, end in relay.rounds.get(station, [])), default=0)
            leaves = relay.unloaded_s.get(station, 0)
            when = "same day" if leaves >= returned else "next day"
            details.append(f"station {station}: {collected} kg produce, back to the hub {when} "
                           f"(trunk leaves {_clock(leaves)}, last round back {_clock(returned)})")
    collected = sum(load[2] for load in relay.local.values())
    return RuleCheck("relay-produce", f"{collected} kg produce collected locally = taken back by "
                     f"the trunk, station by station", tuple(out), tuple(details))
