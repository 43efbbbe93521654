"""The shared base of the strategies: legs, feeder trips, results and the runner that solves.

A strategy builds one or more routing problems (legs) through :class:`Runner`, which gives each
its search budget (:func:`~routing.pipeline.settings.budget_s`), solves it and checks the plan;
:class:`StrategyResult` adds the legs up for costing and reports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

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
    build_problem,
    price,
    priced,
)
from routing.inputs import Scenario
from routing.pipeline import Geography, Timings, budget_s
from routing.solving import CheckReport, Engine, SolveSettings, solve_checked

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

    strategy: Strategy
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
        return [leg.problem.stop_by_id[sid] for leg in self.legs if leg.echelon != Echelon.TRUNK
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

    def solve(self, problems: Sequence[tuple[str, Echelon, Problem]]) -> list[Leg]:
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


def village_unserved(legs: Sequence[Leg], *, prefix: bool) -> tuple[Unserved, ...]:
    """Unserved villages across legs, one entry per village with every leg's reason."""
    reasons: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, Why] = {}
    for leg in legs:
        for u in leg.plan.unserved:
            reasons[u.stop].append(f"{leg.label}: {u.reason}" if prefix else u.reason)
            kinds.setdefault(u.stop, u.why)
    return tuple(Unserved(stop, "; ".join(r), kinds[stop]) for stop, r in sorted(reasons.items()))


def strategy_result(runner: Runner, strategy: Strategy, legs: list[Leg],
                    feeders: tuple[Feeder, ...], transfers: int,
                    unserved: tuple[Unserved, ...]) -> StrategyResult:
    """A strategy's result from its solved legs, with their solver time added up."""
    return StrategyResult(strategy, runner.scenario, runner.geography, tuple(legs), feeders,
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


def apportion(total: int, weights: Mapping[K, float]) -> dict[K, int]:
    """Split a whole number by weights so the parts add up to it (largest remainder)."""
    norm = sum(weights.values()) or 1.0
    exact = {k: total * w / norm for k, w in weights.items()}
    parts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(parts.values())
    for k in sorted(exact, key=lambda k: (parts[k] - exact[k], k))[:rest]:
        parts[k] += 1
    return parts
