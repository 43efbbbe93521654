"""Delivery strategies: each turns a scenario into one or more routing problems and checked plans.

* ``independent``  — today's practice: every carrier serves only its own parcels from its own
  branch with its own fleet (one routing problem per carrier); the total is the sum.
* ``consolidated`` — carriers hand their parcels to the county joint distribution centre (a
  feeder trip each) and one shared fleet visits each village once with all its parcels.
* ``township-relay`` — two echelons: trunk vehicles carry pooled parcels from the centre to
  township stations; local vehicles (e.g. electric tricycles) serve each village from its
  nearest station. Both echelons are solved and reported together.

Farm produce rides back on the same routes (simultaneous pickup and delivery). Under
``independent`` each carrier collects its market share of a village's produce.

Every routing problem (a carrier's day, the shared fleet, the relay trunk, a township round, a
relay re-solve, a gap plan) gets its search budget from one rule, :func:`budget_s`: the same
seconds per stop for every strategy and leg, so no strategy is searched harder than another.

Simplifications, stated so results are read honestly: the two relay echelons are solved one
after the other, not synchronised (local vehicles start at their own shift start, which should
leave time for the trunk run; produce collected locally returns on the trunk's next run); feeder
trips from carrier branches to the centre are priced as direct round trips, not routed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from routing.checker import CheckReport
from routing.costs import CostBreakdown, CostModel, Usage, price, priced
from routing.engines.base import Engine, SolveSettings
from routing.errors import InputError, ModelError, SearchError
from routing.model import Depot, Plan, Problem, Stop, Unserved, VehicleType, Why
from routing.pipeline import Geography, StepHook, Timings, budget_s, locate
from routing.problem import build_problem
from routing.scenario import Scenario
from routing.solve import make_engine, solve_checked

STRATEGIES: tuple[str, ...] = ("independent", "consolidated", "township-relay")

K = TypeVar("K", str, int)


def has_load(stop: Stop) -> bool:
    """Whether a village has anything to drop or collect today (else no vehicle need call)."""
    return bool(stop.parcels or stop.weight_kg or stop.produce_kg)


def villages_with_demand(scenario: Scenario) -> int:
    """How many villages have something to drop or collect: the consolidated problem's size,
    the reference the search budget is scaled from."""
    return sum(1 for s in scenario.stops if has_load(s))


@dataclass(frozen=True, eq=False)
class Leg:
    """One routing problem solved within a strategy: a carrier's day, the shared fleet, the
    relay trunk or one township's local round.

    ``budget_s`` is the search budget the leg's plan was found with (:func:`budget_s`);
    ``superseded_s`` is solver time spent on an earlier plan of this leg that was replaced (a
    relay round solved again once the trunk's arrival is known), outside the leg's budget.
    """

    label: str
    echelon: str
    problem: Problem
    plan: Plan
    check: CheckReport
    budget_s: float = 0.0
    superseded_s: float = 0.0


@dataclass(frozen=True)
class Feeder:
    """A carrier's trips from its branch to the transfer hub with all its parcels, in its first
    listed vehicle type, priced as direct round trips."""

    carrier: str
    kind: str
    trips: int
    distance_m: int
    duration_s: int
    parcels: int


@dataclass(frozen=True, eq=False)
class StrategyResult:
    """Every leg of a strategy with village-level totals, ready for costing and reports."""

    strategy: str
    scenario: Scenario
    geography: Geography
    legs: tuple[Leg, ...]
    feeders: tuple[Feeder, ...]
    transferred_parcels: int
    unserved: tuple[Unserved, ...]
    solve_time_s: float
    undelivered: frozenset[str] = frozenset()

    @property
    def idle(self) -> tuple[str, ...]:
        """Villages with nothing to deliver or collect today: no strategy visits them."""
        return tuple(s.id for s in self.scenario.stops if not has_load(s))

    def usage(self) -> list[Usage]:
        """One entry per vehicle-day: every route of every leg, and every feeder trip set."""
        kinds = {vt.id: vt.kind for leg in self.legs for vt in leg.problem.vehicle_types}
        routes = [Usage(kinds[r.vehicle_type], r.distance_m, r.duration_s)
                  for leg in self.legs for r in leg.plan.routes]
        return routes + [Usage(f.kind, f.distance_m, f.duration_s) for f in self.feeders]

    def _visits(self) -> list[Stop]:
        """Every village visit that hands over a load (final echelon; a relay village whose
        trunk load never reached its station receives nothing)."""
        return [leg.problem.stop_by_id[sid] for leg in self.legs if leg.echelon != "trunk"
                for route in leg.plan.routes for sid in route.stops
                if sid not in self.undelivered]

    def delivered(self) -> tuple[int, int, int]:
        """Parcels, parcel kg and produce kg handed over at villages."""
        visits = self._visits()
        return (sum(s.parcels for s in visits), sum(s.weight_kg for s in visits),
                sum(s.produce_kg for s in visits))

    def village_visits(self) -> int:
        """Stops made at villages: one per village when pooled, one per carrier when not."""
        return len(self._visits())

    def kpis(self) -> dict[str, int | float]:
        """Totals across legs and feeders: vehicles, km, hours, served villages, parcels."""
        usage = self.usage()
        routes = sum(len(leg.plan.routes) for leg in self.legs)
        distance = sum(u.distance_m for u in usage)
        duration = sum(u.duration_s for u in usage)
        parcels, weight, produce = self.delivered()
        unserved = len({u.stop for u in self.unserved})
        return {
            "vehicles": routes + len(self.feeders),
            "routes": routes,
            "distance_m": distance,
            "duration_s": duration,
            "distance_km": round(distance / 1000, 1),
            "driver_hours": round(duration / 3600, 2),
            "feeder_km": round(sum(f.distance_m for f in self.feeders) / 1000, 1),
            "stops_served": len(self.scenario.stops) - len(self.idle) - unserved,
            "stops_unserved": unserved,
            "stops_without_demand": len(self.idle),
            "village_visits": self.village_visits(),
            "parcels": parcels,
            "parcels_kg": weight,
            "produce_kg": produce,
            "transferred_parcels": self.transferred_parcels,
            "km_per_parcel": round(distance / 1000 / parcels, 3) if parcels else 0.0,
            "solve_time_s": round(self.solve_time_s, 2),
        }

    def costs(self, model: CostModel) -> CostBreakdown:
        """This strategy's day priced under ``model``."""
        parcels, _, _ = self.delivered()
        return price(model, self.usage(), stops=self.village_visits(), parcels=parcels,
                     transferred_parcels=self.transferred_parcels)


def run_strategy(
    scenario: Scenario,
    strategy: str,
    settings: SolveSettings,
    *,
    engine: str | None = None,
    geography: Geography | None = None,
    cache_dir: Path | None = None,
    hook: StepHook | None = None,
) -> StrategyResult:
    """Plan ``scenario`` under ``strategy``; every leg's plan is checked before it is returned.

    ``settings.time_limit_s`` is the budget of a problem the size of the consolidated one;
    each leg's budget is scaled from it by its own stop count (:func:`budget_s`).
    """
    if strategy not in STRATEGIES:
        raise ModelError(f"strategy: unknown strategy {strategy!r}; choose one of "
                         f"{', '.join(STRATEGIES)}")
    timings = Timings(hook=hook)
    if geography is None:
        geography = locate(scenario, timings=timings, cache_dir=cache_dir)
    runner = _Runner(scenario, geography, settings, make_engine(engine or scenario.solver.engine),
                     timings)
    build: Callable[[_Runner], StrategyResult] = {
        "independent": _independent, "consolidated": _consolidated,
        "township-relay": _township_relay}[strategy]
    with timings.step(f"solve {strategy}"):
        result = build(runner)
    from routing.strategy_check import check_strategy  # it imports this module

    check_strategy(result)  # raises PlanError: a strategy whose legs do not add up is no plan
    return result


@dataclass
class _Runner:
    """Shared machinery of the strategies: build a leg's problem, give it time, solve, check.

    ``reference_stops`` is the size the time limit refers to (:func:`budget_s`): the scenario's
    villages with demand unless given (a gap plan keeps the full scenario's).
    """

    scenario: Scenario
    geography: Geography
    settings: SolveSettings
    engine: Engine
    timings: Timings
    reference_stops: int = 0

    def __post_init__(self) -> None:
        if not self.reference_stops:
            self.reference_stops = villages_with_demand(self.scenario)

    def budget_of(self, problem: Problem) -> float:
        """The search budget of ``problem``: the one rule, :func:`budget_s`."""
        return budget_s(len(problem.stops), time_limit_s=self.settings.time_limit_s,
                        reference_stops=self.reference_stops)

    def vehicle_types(self, ids: Sequence[str]) -> list[VehicleType]:
        by_id = self.scenario.vehicle_type_by_id
        types = [by_id[i] for i in ids]
        return list(priced(types, self.scenario.cost_model)) if self.scenario.cost_model else types

    def problem(self, label: str, depots: Sequence[Depot], stops: Sequence[Stop],
                vehicle_types: Sequence[VehicleType], *,
                location_of: Mapping[str, str] | None = None, per_stop_s: int | None = None,
                per_parcel_s: int | None = None,
                excluded: Mapping[str, str] | None = None) -> Problem:
        geo, svc = self.geography, self.scenario.service
        location_of = location_of or {}
        ids = list(geo.matrices.ids)
        position = {loc: i for i, loc in enumerate(ids)}
        rows = [position[d.id] for d in depots] + [position[location_of.get(s.id, s.id)]
                                                   for s in stops]
        # Re-label the rows so repeated locations (split stations) get their own ids.
        labels = [d.id for d in depots] + [s.id for s in stops]

        def pick(matrix: np.ndarray) -> np.ndarray:
            return matrix[np.ix_(rows, rows)]

        profiles = {vt.profile: (pick(geo.profiles[vt.profile].distance_m),
                                 pick(geo.profiles[vt.profile].duration_s))
                    for vt in vehicle_types if vt.profile in geo.profiles}
        skip = {s.id: geo.too_far[location_of.get(s.id, s.id)] for s in stops
                if location_of.get(s.id, s.id) in geo.too_far}
        skip.update(excluded or {})
        return build_problem(
            name=f"{self.scenario.name}:{label}", depots=depots, stops=stops,
            vehicle_types=vehicle_types, ids=labels, distance_m=pick(geo.matrices.distance_m),
            duration_s=pick(geo.matrices.duration_s),
            per_stop_s=svc.per_stop_s if per_stop_s is None else per_stop_s,
            per_parcel_s=svc.per_parcel_s if per_parcel_s is None else per_parcel_s,
            excluded=skip, profiles=profiles)

    def solve(self, problems: Sequence[tuple[str, str, Problem]]) -> list[Leg]:
        """Solve and check each (label, echelon, problem) within its own budget."""
        legs = []
        for label, echelon, problem in problems:
            budget = self.budget_of(problem)
            plan, check = solve_checked(problem, self.engine,
                                        replace(self.settings, time_limit_s=budget))
            legs.append(Leg(label, echelon, problem, plan, check, budget_s=budget))
        return legs

    def feeders(self, hub: str) -> tuple[Feeder, ...]:
        """Each carrier's daily round trips from its branch to ``hub`` with all its parcels."""
        geo = self.geography
        index = {loc: i for i, loc in enumerate(geo.matrices.ids)}
        out = []
        per_carrier = carrier_stops(self.scenario)
        for carrier in self.scenario.carriers:
            if carrier.depot == hub:
                continue
            mine = per_carrier[carrier.id]
            parcels = sum(s.parcels for s in mine)
            weight = sum(s.weight_kg for s in mine)
            vt = self.scenario.vehicle_type_by_id[carrier.vehicles[0]]
            trips = max(math.ceil(parcels / vt.capacity_parcels),
                        math.ceil(weight / vt.capacity_kg))
            if trips == 0:
                continue
            a, b = index[carrier.depot], index[hub]
            dist = int(geo.matrices.distance_m[a, b] + geo.matrices.distance_m[b, a])
            dur = int(geo.matrices.duration_s[a, b] + geo.matrices.duration_s[b, a])
            out.append(Feeder(carrier.id, vt.kind, trips, trips * dist,
                              trips * (dur + self.scenario.service.per_stop_s), parcels))
        return tuple(out)


def _village_unserved(legs: Sequence[Leg], *, prefix: bool) -> tuple[Unserved, ...]:
    """Unserved villages across legs, one entry per village with every leg's reason."""
    reasons: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, Why] = {}
    for leg in legs:
        for u in leg.plan.unserved:
            reasons[u.stop].append(f"{leg.label}: {u.reason}" if prefix else u.reason)
            kinds.setdefault(u.stop, u.why)
    return tuple(Unserved(stop, "; ".join(r), kinds[stop]) for stop, r in sorted(reasons.items()))


def _result(runner: _Runner, strategy: str, legs: list[Leg], feeders: tuple[Feeder, ...],
            transfers: int, unserved: tuple[Unserved, ...]) -> StrategyResult:
    return StrategyResult(strategy, runner.scenario, runner.geography, tuple(legs), feeders,
                          transfers, unserved,
                          sum(leg.plan.solve_time_s + leg.superseded_s for leg in legs))


def _consolidated(runner: _Runner) -> StrategyResult:
    sc = runner.scenario
    fleet = sc.shared_fleet()
    if not fleet.vehicles:
        raise InputError(sc.path, "consolidated.vehicles",
                         "no shared vehicle type; add a [consolidated] table naming the fleet")
    problem = runner.problem("shared fleet", sc.depots_of(fleet.vehicles),
                             [s for s in sc.stops if has_load(s)],
                             runner.vehicle_types(fleet.vehicles))
    legs = runner.solve([("shared fleet", "delivery", problem)])
    feeders = runner.feeders(fleet.depot)
    return _result(runner, "consolidated", legs, feeders,
                   sum(f.parcels for f in feeders), _village_unserved(legs, prefix=False))


def carrier_stops(scenario: Scenario) -> dict[str, list[Stop]]:
    """Each carrier's part of every village: its parcels, their kg and the produce pro rata to
    its parcels there (by market share where the village receives no parcels), rounded by
    largest remainder so the village totals are kept. A carrier with nothing to drop or collect
    at a village does not go there."""
    shares = {c.id: c.share for c in scenario.carriers}
    out: dict[str, list[Stop]] = {c.id: [] for c in scenario.carriers}
    for stop in scenario.stops:
        weights = ({c: stop.parcels_by_carrier[c] for c in shares} if stop.parcels else shares)
        produce = _apportion(stop.produce_kg, weights)
        weight = _apportion(stop.weight_kg, weights)
        for cid in shares:
            parcels = stop.parcels_by_carrier[cid]
            if not (parcels or weight[cid] or produce[cid]):
                continue
            out[cid].append(replace(stop, parcels=parcels, weight_kg=weight[cid],
                                    produce_kg=produce[cid], parcels_by_carrier={cid: parcels}))
    return out


def _apportion(total: int, weights: Mapping[K, float]) -> dict[K, int]:
    """Split a whole number by weights so the parts add up to it (largest remainder)."""
    norm = sum(weights.values()) or 1.0
    exact = {k: total * w / norm for k, w in weights.items()}
    parts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(parts.values())
    for k in sorted(exact, key=lambda k: (parts[k] - exact[k], k))[:rest]:
        parts[k] += 1
    return parts


def _independent(runner: _Runner) -> StrategyResult:
    sc = runner.scenario
    if not sc.carriers:
        raise InputError(sc.path, "carriers", "the independent strategy needs [[carriers]] "
                         "with their shares, depots and fleets")
    depots = {d.id: d for d in sc.depots}
    per_carrier = carrier_stops(sc)
    problems = [(f"carrier {c.id}", "delivery",
                 runner.problem(f"carrier {c.id}", [depots[c.depot]], per_carrier[c.id],
                                runner.vehicle_types(c.vehicles)))
                for c in sc.carriers if per_carrier[c.id]]
    legs = runner.solve(problems)
    return _result(runner, "independent", legs, (), 0, _village_unserved(legs, prefix=True))


#: The strategy whose means price the villages another strategy leaves unserved.
BASELINE = "independent"


def gap_plan(result: StrategyResult, settings: SolveSettings, *,
             engine: str | None = None) -> StrategyResult | None:
    """The villages ``result`` leaves unserved, served by the baseline's means: the independent
    strategy restricted to exactly those villages (each carrier its share, with its own vans
    from its own branch), solved within the usual budgets and checked like any plan.

    Adding its cost prices ``result`` like for like with the baseline
    (:class:`~routing.costs.LikeForLike`). Villages the carriers' vans cannot serve either (no
    road, too big) stay unserved in the gap plan too. The result is an ``independent`` result
    over a scenario holding only those villages. None for the baseline itself, for a scenario
    without carriers and when every village with demand is served.
    """
    sc = result.scenario
    missing = {u.stop for u in result.unserved}
    stops = tuple(s for s in sc.stops if s.id in missing and has_load(s))
    if result.strategy == BASELINE or not sc.carriers or not stops:
        return None
    runner = _Runner(replace(sc, stops=stops), result.geography, settings,
                     make_engine(engine or sc.solver.engine), Timings(),
                     reference_stops=villages_with_demand(sc))
    gap = _independent(runner)
    from routing.strategy_check import check_strategy  # it imports this module

    check_strategy(gap)  # checked like the baseline's own plan
    return gap


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
        parts = [_apportion(x, dict.fromkeys(range(chunks), 1.0)) for x in totals]
        for k in range(chunks):
            sid = station.id if chunks == 1 else f"{station.id}#{k + 1}"
            location_of[sid] = station.id
            stops.append(Stop(sid, station.name, station.lon, station.lat,
                              parcels=parts[0][k], weight_kg=parts[1][k],
                              produce_kg=parts[2][k]))
    return stops, location_of


def _after_trunk(runner: _Runner, local_legs: Sequence[Leg], trunk: Leg,
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


def _local_legs(runner: _Runner, stations: Sequence[Depot]) -> list[Leg]:
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
        local_problems.append((label, "local", runner.problem(label, [station],
                                                              villages[station.id], [fleet])))
    return runner.solve(local_problems)


def _served_at(local_legs: Sequence[Leg]) -> dict[str, list[Stop]]:
    """The villages each station's local rounds serve, by station id."""
    served: dict[str, list[Stop]] = defaultdict(list)
    for leg in local_legs:
        for route in leg.plan.routes:
            served[leg.problem.depots[0].id] += [leg.problem.stop_by_id[s] for s in route.stops]
    return served


def _settle_relay(runner: _Runner, stations: Sequence[Depot], local_legs: list[Leg]
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
        (trunk_leg,) = runner.solve([("trunk", "trunk", trunk)])
        settled = _after_trunk(runner, local_legs, trunk_leg, location_of, relay.transfer_s)
        if _served_at(settled) == served_at:
            return trunk_leg, settled, location_of
        local_legs = settled
    raise SearchError(f"{sc.path}: township-relay: the trunk and the local rounds did not "
                      f"settle in {RELAY_SETTLE_ROUNDS} rounds (each trunk plan made rounds "
                      f"drop villages); raise --time-limit or widen the villages' time windows")


def _township_relay(runner: _Runner) -> StrategyResult:
    sc = runner.scenario
    relay = sc.relay
    if relay is None:
        raise InputError(sc.path, "relay", "the township-relay strategy needs a [relay] table "
                         "(hub, trunk_vehicles, local_vehicle, local_per_station)")
    stations = [s for s in sc.stations if not relay.stations or s.id in relay.stations]
    trunk_leg, local_legs, location_of = _settle_relay(runner, stations,
                                                       _local_legs(runner, stations))
    legs = local_legs if trunk_leg is None else [trunk_leg, *local_legs]
    unserved = list(_village_unserved(local_legs, prefix=False))
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
    result = _result(runner, "township-relay", legs, feeders, transfers, tuple(unserved))
    return replace(result, undelivered=frozenset(cut_off))
