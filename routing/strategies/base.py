"""The shared base of the strategies: legs, feeder trips, results and the runner that solves.

A strategy builds one or more routing problems (legs) through :class:`Runner`, which gives each
its search budget (:func:`~routing.pipeline.settings.budget_s`), solves it and checks the plan;
:class:`StrategyResult` adds the legs up for costing and reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from routing.core import (
    CostBreakdown,
    CostModel,
    Depot,
    Echelon,
    Plan,
    Problem,
    Stop,
    Strategy,
    Unserved,
    Usage,
    VehicleType,
    Why,
    apportion,
    build_problem,
    has_load,
    joined,
    price,
    priced,
    split_stop,
)
from routing.inputs import Scenario
from routing.pipeline import Geography, Timings, budget_s
from routing.solving import (
    CheckReport,
    Engine,
    SolveSettings,
    decomposes,
    solve_all,
    solve_decomposed,
)


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
    ``location_of`` maps a stop id to the location it stands at where they differ (a relay
    station's trunk load split in parts stands at the station); empty means each stop is its own
    location. Read it with :meth:`location`, never by parsing ids.
    """

    label: str
    echelon: Echelon
    problem: Problem
    plan: Plan
    check: CheckReport
    budget_s: float = 0.0
    superseded_s: float = 0.0
    location_of: Mapping[str, str] = field(default_factory=dict)

    def location(self, stop_id: str) -> str:
        """The location (depot, station or village id) the stop ``stop_id`` stands at."""
        return self.location_of.get(stop_id, stop_id)


@dataclass(frozen=True, eq=False)
class StrategyResult:
    """Every leg of a strategy with village-level totals, ready for costing and reports."""

    strategy: Strategy
    scenario: Scenario
    geography: Geography
    legs: tuple[Leg, ...]
    transferred_parcels: int
    unserved: tuple[Unserved, ...]
    solve_time_s: float
    undelivered: frozenset[str] = frozenset()

    @property
    def feeder_legs(self) -> tuple[Leg, ...]:
        """The carriers' trips bringing their parcels to the hub (:attr:`Echelon.FEEDER`)."""
        return tuple(leg for leg in self.legs if leg.echelon == Echelon.FEEDER)

    @property
    def idle(self) -> tuple[str, ...]:
        """Villages with nothing to deliver or collect today: no strategy visits them."""
        return tuple(s.id for s in self.scenario.stops if not has_load(s))

    def usage(self) -> list[Usage]:
        """One entry per vehicle-day of every leg, feeders included: a vehicle driving several
        trips is one vehicle-day (its fixed cost is charged once)."""
        kinds = {vt.id: vt.kind for leg in self.legs for vt in leg.problem.vehicle_types}
        return [Usage(kinds[day.vehicle_type], day.distance_m, day.duration_s)
                for leg in self.legs for day in leg.plan.days()]

    def _visits(self) -> list[Stop]:
        """Every village visit that hands over a load (a split village counts each visit; a
        relay village whose trunk load never reached its station receives nothing)."""
        villages = {s.id for s in self.scenario.stops}
        return [leg.problem.stop_by_id[sid] for leg in self.legs
                for route in leg.plan.routes for sid in route.stops
                if leg.location(sid) in villages and leg.location(sid) not in self.undelivered]

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
        distance = sum(u.distance_m for u in usage)
        duration = sum(u.duration_s for u in usage)
        parcels, weight, produce = self.delivered()
        unserved = len({u.stop for u in self.unserved})
        feeders = self.feeder_legs
        return {
            "vehicles": len(usage),
            "trips": sum(len(leg.plan.routes) for leg in self.legs),
            "feeder_vehicles": sum(len(leg.plan.days()) for leg in feeders),
            "distance_m": distance,
            "duration_s": duration,
            "distance_km": round(distance / 1000, 1),
            "driver_hours": round(duration / 3600, 2),
            "feeder_km": round(sum(leg.plan.distance_m for leg in feeders) / 1000, 1),
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


@dataclass
class Runner:
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
                location_of: Mapping[str, str] | None = None,
                service_at: Mapping[str, int] | None = None,
                excluded: Mapping[str, str] | None = None) -> LegProblem:
        """The leg's routing problem over the scenario's matrices. A stop too big for every
        vehicle type of the leg is split into visits that each fit (:func:`split_stop`),
        standing where the stop stands. Visits take the scenario's ``[service]`` time, but
        those standing at a location in ``service_at`` take that many seconds (a station's
        transfer, unloading at the hub)."""
        geo, svc = self.geography, self.scenario.service
        where = dict(location_of or {})
        visits: list[Stop] = []
        for stop in stops:
            parts = split_stop(stop, vehicle_types)
            visits += parts
            where.update({p.id: where.get(stop.id, stop.id) for p in parts if p.id != stop.id})
        ids = list(geo.matrices.ids)
        position = {loc: i for i, loc in enumerate(ids)}
        rows = [position[d.id] for d in depots] + [position[where.get(s.id, s.id)]
                                                   for s in visits]
        # Re-label the rows so repeated locations (split loads) get their own ids.
        labels = [d.id for d in depots] + [s.id for s in visits]

        def pick(matrix: np.ndarray) -> np.ndarray:
            return matrix[np.ix_(rows, rows)]

        profiles = {vt.profile: (pick(geo.profiles[vt.profile].distance_m),
                                 pick(geo.profiles[vt.profile].duration_s))
                    for vt in vehicle_types if vt.profile in geo.profiles}
        skip = {s.id: geo.too_far[where.get(s.id, s.id)] for s in visits
                if where.get(s.id, s.id) in geo.too_far}
        skip.update(excluded or {})
        service_at = service_at or {}
        fixed = {s.id: service_at[where.get(s.id, s.id)] for s in visits
                 if where.get(s.id, s.id) in service_at}
        problem = build_problem(
            name=f"{self.scenario.name}:{label}", depots=depots, stops=visits,
            vehicle_types=vehicle_types, ids=labels, distance_m=pick(geo.matrices.distance_m),
            duration_s=pick(geo.matrices.duration_s),
            per_stop_s=svc.per_stop_s,
            per_parcel_s=svc.per_parcel_s,
            load_s=svc.load_s, service_s=fixed, excluded=skip, profiles=profiles)
        return LegProblem(label, problem, where)

    def solve(self, echelon: Echelon, problems: Sequence[LegProblem]) -> list[Leg]:
        """Solve and check each problem of ``echelon`` within its own budget, side by side on
        the cores (:func:`solve_all`): they do not depend on each other."""
        budgets = [self.budget_of(p.problem) for p in problems]
        tasks = [(p.problem, replace(self.settings, time_limit_s=budget))
                 for p, budget in zip(problems, budgets, strict=True)]
        whole = [k for k, (problem, s) in enumerate(tasks) if not decomposes(problem, s.decompose)]
        found = dict(zip(whole, solve_all([tasks[k] for k in whole], self.engine), strict=True))
        for k, (problem, s) in enumerate(tasks):
            if k not in found:  # solved by parts, each using the cores itself
                found[k] = solve_decomposed(problem, self.engine, s,
                                            regions=self.regions(problems[k]))
        solved = [found[k] for k in range(len(tasks))]
        return [Leg(p.label, echelon, p.problem, plan, check, budget_s=budget,
                    location_of=p.location_of)
                for p, budget, (plan, check) in zip(problems, budgets, solved, strict=True)]

    def regions(self, leg: LegProblem) -> dict[str, str]:
        """The county of each depot and stop of ``leg`` that lies in one (by its location)."""
        county = self.geography.county_of
        ids = [d.id for d in leg.problem.depots] + [s.id for s in leg.problem.stops]
        return {i: county[leg.location(i)] for i in ids if leg.location(i) in county}

    def feeders(self, hub: str) -> list[Leg]:
        """Each carrier's vans bringing all its parcels from its branch to ``hub`` (split into
        van loads), leaving at ``[feeders] depart`` and routed and checked like any leg."""
        sc = self.scenario
        depots = {d.id: d for d in sc.depots}
        per_carrier = carrier_stops(sc)
        problems = []
        for carrier in sc.carriers:
            hub_depot = depots[hub]
            load = replace(joined(Stop(hub, hub_depot.name, hub_depot.lon, hub_depot.lat,
                                       parcels=0, weight_kg=0), per_carrier[carrier.id]),
                           produce_kg=0)  # the vans bring parcels; produce rides the pooled fleet
            if carrier.depot == hub or not (load.parcels or load.weight_kg):
                continue
            types = [vt if sc.feeders.depart_s is None else
                     replace(vt, shift_start_s=sc.feeders.depart_s)
                     for vt in self.vehicle_types(carrier.vehicles)]
            problems.append(self.problem(f"feeder {carrier.id}", [depots[carrier.depot]],
                                         [load], types,
                                         service_at={hub: sc.service.per_stop_s}))
        return self.solve(Echelon.FEEDER, problems)


@dataclass(frozen=True, eq=False)
class LegProblem:
    """A leg's problem before it is solved, with the location each split stop stands at."""

    label: str
    problem: Problem
    location_of: Mapping[str, str] = field(default_factory=dict)

    def location(self, stop_id: str) -> str:
        """The location the stop ``stop_id`` stands at (see :attr:`Leg.location_of`)."""
        return self.location_of.get(stop_id, stop_id)


def ready_s(feeders: Sequence[Leg], sort_s: int) -> int:
    """When the pooled fleet may leave the hub: ``sort_s`` after the last feeder has unloaded
    there (0 when no feeder runs)."""
    done = [arrival + int(leg.problem.service_s[leg.problem.index[sid]])
            for leg in feeders for route in leg.plan.routes
            for sid, arrival in zip(route.stops, route.arrival_s, strict=True)]
    return max(done) + sort_s if done else 0


def leave_after(vehicle_type: VehicleType, ready: int) -> VehicleType:
    """``vehicle_type`` with its shift starting no earlier than ``ready`` (its end kept): its
    vehicles may leave only once what they carry has arrived."""
    if ready <= vehicle_type.shift_start_s:
        return vehicle_type
    return replace(vehicle_type, shift_start_s=ready,
                   max_duration_s=max(vehicle_type.shift_end_s - ready, 1))


def village_unserved(legs: Sequence[Leg], *, prefix: bool) -> tuple[Unserved, ...]:
    """Unserved villages across legs, one entry per village with every leg's reason."""
    reasons: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, Why] = {}
    for leg in legs:
        for u in leg.plan.unserved:
            village = leg.location(u.stop)
            reasons[village].append(f"{leg.label}: {u.reason}" if prefix else u.reason)
            kinds.setdefault(village, u.why)
    return tuple(Unserved(stop, "; ".join(r), kinds[stop]) for stop, r in sorted(reasons.items()))


def strategy_result(runner: Runner, strategy: Strategy, legs: list[Leg], transfers: int,
                    unserved: tuple[Unserved, ...]) -> StrategyResult:
    """A strategy's result from its solved legs, with their solver time added up."""
    return StrategyResult(strategy, runner.scenario, runner.geography, tuple(legs),
                          transfers, unserved,
                          sum(leg.plan.solve_time_s + leg.superseded_s for leg in legs))


def carrier_stops(scenario: Scenario) -> dict[str, list[Stop]]:
    """Each carrier's part of every village: its parcels, their kg and the produce pro rata to
    its parcels there (by market share where the village receives no parcels), rounded by
    largest remainder so the village totals are kept. A carrier with nothing to drop or collect
    at a village does not go there."""
    shares = {c.id: c.share for c in scenario.carriers}
    out: dict[str, list[Stop]] = {c.id: [] for c in scenario.carriers}
    for stop in scenario.stops:
        weights = ({c: stop.parcels_by_carrier[c] for c in shares} if stop.parcels else shares)
        produce = apportion(stop.produce_kg, weights)
        weight = apportion(stop.weight_kg, weights)
        for cid in shares:
            parcels = stop.parcels_by_carrier[cid]
            if not (parcels or weight[cid] or produce[cid]):
                continue
            out[cid].append(replace(stop, parcels=parcels, weight_kg=weight[cid],
                                    produce_kg=produce[cid], parcels_by_carrier={cid: parcels}))
    return out
