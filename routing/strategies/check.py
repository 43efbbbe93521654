"""Check a strategy's legs against each other and against the scenario, before anything is written.

:mod:`routing.solving.checker` checks each leg's plan alone (routes against the matrices, loads,
windows). This module checks what no single leg can: that the legs of a strategy add up to the
scenario's day. Expected values are recomputed from the scenario and the plans' routes, not taken
from the numbers the strategy code computed:

* every village with demand receives its whole load, summed over its visits (a village bigger
  than a vehicle is split into several), or is listed unserved (all strategies);
* ``independent``: the carriers' parts of a village add up to the village (parcels, kg, produce)
  and each carrier's leg carries exactly that carrier's parcels;
* ``consolidated`` and ``township-relay``: each delivery leg holds every village's whole load
  and no visit is driven twice; feeder legs bring every carrier's parcels from its branch to the
  hub (a carrier whose branch is the hub needs none), and the pooled fleet (the shared fleet,
  the relay trunk) leaves the hub only ``[feeders] sort_s`` after the last feeder has unloaded;
* ``township-relay``: the trunk brings each station exactly what its local rounds deliver (summed
  over split loads and over the routes actually driven); local rounds leave a station only after
  the trunk has unloaded there (arrival + ``relay.transfer_s``); the produce the trunk takes back
  from a station is what its rounds collect, and whether it rides back the same day or on the
  trunk's next run is stated.

Where a stop stands is read from ``Leg.location``, never from its id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from routing.core import Echelon, PlanError, Stop, Strategy
from routing.strategies.base import Leg, StrategyResult, carrier_stops, ready_s

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
    """The legs that hold every village they serve (all but the relay trunk and feeders)."""
    return [leg for leg in result.legs if leg.echelon not in (Echelon.TRUNK, Echelon.FEEDER)]


def _at_villages(result: StrategyResult, leg: Leg, *, driven: bool) -> dict[str, Load]:
    """The load ``leg`` holds (or, with ``driven``, hands over) at each village, summed over
    its visits there; a relay village whose station load never arrived receives nothing."""
    villages = {s.id for s in result.scenario.stops}
    ids = _driven(leg) if driven else [s.id for s in leg.problem.stops]
    out: dict[str, Load] = defaultdict(lambda: ZERO)
    for sid in ids:
        village = leg.location(sid)
        if village in villages and not (driven and village in result.undelivered):
            out[village] = _plus(out[village], _load(leg.problem.stop_by_id[sid]))
    return dict(out)


def _driven(leg: Leg) -> list[str]:
    """Stop ids on the leg's routes, in route order."""
    return [sid for route in leg.plan.routes for sid in route.stops]


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


# --- every strategy ---------------------------------------------------------------------------


def _demand_covered(result: StrategyResult) -> RuleCheck:
    """Every village with demand receives its whole load over its visits, or is listed
    unserved; nothing is listed unserved that receives its whole load."""
    demand = _demand(result)
    listed = Counter(u.stop for u in result.unserved)
    known = {s.id for s in result.scenario.stops}
    out = [f"unserved village {sid} is not in the scenario" for sid in listed if sid not in known]
    out += [f"village {u.stop} is listed unserved without a reason" for u in result.unserved
            if not u.reason.strip()]
    out += [f"village {sid} is listed unserved {n} times" for sid, n in listed.items() if n > 1]
    got: dict[str, Load] = defaultdict(lambda: ZERO)
    for leg in result.legs:
        for village, load in _at_villages(result, leg, driven=True).items():
            got[village] = _plus(got[village], load)
    for sid, stop in demand.items():
        whole = got.get(sid, ZERO) == _load(stop)
        if sid in listed and whole:
            out.append(f"village {sid} is listed unserved but receives its whole load")
        elif sid not in listed and not whole:
            out.append(f"village {sid} receives {_show(got.get(sid, ZERO))} of its "
                       f"{_show(_load(stop))} and is not listed unserved")
    return RuleCheck("demand-covered", f"{len(demand)} villages with demand: each receives its "
                     f"whole load (over all its visits) or is among the {len(listed)} listed "
                     f"unserved", tuple(out))


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
            parts[leg.location(stop.id)].append(stop)
        held = {village: load[0] for village, load in
                _at_villages(result, leg, driven=False).items()}
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
    """No leg holds a place that is neither a village nor a station, no visit is driven twice,
    and no village gets more than its load over all its visits (by every leg: the shared fleet,
    the relay's rounds, the trunk's direct visits); that it gets its whole load, or is listed
    unserved, is ``demand-covered``'s rule."""
    villages = {s.id: s for s in result.scenario.stops}
    places = set(villages) | {s.id for s in result.scenario.stations}
    out = []
    got: dict[str, Load] = defaultdict(lambda: ZERO)
    for leg in result.legs:
        if leg.echelon == Echelon.FEEDER:
            continue
        strays = {leg.location(s.id) for s in leg.problem.stops} - places
        out += [f"{leg.label} holds {sid}, which is not a village of the scenario"
                for sid in sorted(strays)]
        for village, load in _at_villages(result, leg, driven=True).items():
            got[village] = _plus(got[village], load)
    for village, load in got.items():
        if any(a > b for a, b in zip(load, _load(villages[village]), strict=True)):
            out.append(f"village {village} gets {_show(load)} over its visits, more than its "
                       f"{_show(_load(villages[village]))}")
    driven = Counter(sid for leg in result.legs if leg.echelon != Echelon.FEEDER
                     for sid in _driven(leg) if leg.location(sid) in villages)
    out += [f"visit {sid} is driven {n} times" for sid, n in driven.items() if n > 1]
    return RuleCheck("pooled-villages", f"{len(got)} villages get no more than their load, "
                     f"{len(driven)} visits each driven at most once", tuple(out))


def _hub(result: StrategyResult) -> str:
    sc = result.scenario
    if result.strategy == Strategy.TOWNSHIP_RELAY and sc.relay is not None:
        return sc.relay.hub
    return sc.shared_fleet().depot


def _feeders(result: StrategyResult) -> RuleCheck:
    """Each carrier away from the hub has one feeder leg, from its branch in its own vans,
    whose loads stand at the hub and add up to its parcels and kg; the pooled fleet leaves the
    hub only ``sort_s`` after the last feeder has unloaded."""
    hub, sc = _hub(result), result.scenario
    own = {cid: _total(stops) for cid, stops in carrier_stops(sc).items()}
    feeders = result.feeder_legs
    out = []
    for carrier in sc.carriers:
        mine = [leg for leg in feeders if {d.id for d in leg.problem.depots} == {carrier.depot}
                and {vt.id for vt in leg.problem.vehicle_types} <= set(carrier.vehicles)]
        need = own.get(carrier.id, ZERO)[:2]
        if carrier.depot == hub or need == (0, 0):
            out += [f"carrier {carrier.id} needs no feeder, yet {leg.label} runs" for leg in mine]
            continue
        if len(mine) != 1:
            out.append(f"carrier {carrier.id} has {len(mine)} feeder legs, not one")
            continue
        (leg,) = mine
        out += [f"{leg.label}: load {s.id} stands at {leg.location(s.id)}, not the hub {hub}"
                for s in leg.problem.stops if leg.location(s.id) != hub]
        brought = _total(leg.problem.stop_by_id[sid] for sid in _driven(leg))[:2]
        if brought != need:
            out.append(f"{leg.label} brings {brought[0]} parcels / {brought[1]} kg to {hub}, "
                       f"not carrier {carrier.id}'s {need[0]} parcels / {need[1]} kg")
    ready = ready_s(feeders, sc.feeders.sort_s)
    pooled = [leg for leg in result.legs if leg.echelon in (Echelon.DELIVERY, Echelon.TRUNK)]
    out += [f"{leg.label}: {r.vehicle} leaves the hub at {_clock(r.start_s)}, before the "
            f"feeders' parcels are sorted at {_clock(ready)}"
            for leg in pooled for r in leg.plan.routes if r.start_s < ready]
    return RuleCheck("feeders", f"{len(feeders)} feeder legs bring the parcels of carriers away "
                     f"from the hub {hub}; the pooled fleet leaves after {_clock(ready)}",
                     tuple(out))


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


def _read_relay(result: StrategyResult) -> _Relay:
    stations = {s.id for s in result.scenario.stations}
    villages = {s.id for s in result.scenario.stops}
    transfer_s = result.scenario.relay.transfer_s if result.scenario.relay else 0
    brought: dict[str, Load] = defaultdict(lambda: ZERO)
    unloaded: dict[str, int] = {}
    stray: list[str] = []
    for leg in (lg for lg in result.legs if lg.echelon == Echelon.TRUNK):
        for route in leg.plan.routes:
            for sid, arrival in zip(route.stops, route.arrival_s, strict=True):
                station, stop = leg.location(sid), leg.problem.stop_by_id[sid]
                if station in villages:
                    continue  # a village the trunk serves directly
                if station not in stations:
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
                      if leg.location(s) not in result.undelivered]
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
