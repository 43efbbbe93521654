"""The one-way flow of a solve: scenario -> roads -> snaps -> matrices -> problem -> checked plan.

Each step is timed; the CLI shows the timings and never does any of this work itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geodata.matrices import TravelMatrices, travel_matrices
from geodata.places import read_boundary
from geodata.profiles import profile_network
from geodata.roads import DEFAULT_SPEEDS_KMH, RoadNetwork, read_road_network
from geodata.snapping import NO_STOPPING_HIGHWAYS, Snap, snap_points
from routing.engines.base import SolveSettings
from routing.errors import InputError
from routing.model import DEFAULT_PROFILE, Depot, Stop
from routing.scenario import Scenario

#: Called with a step name when it starts and again with its duration when it ends.
StepHook = Callable[[str, float | None], None]


@dataclass
class Timings:
    """Wall-clock seconds per named step, in the order the steps ran."""

    seconds: dict[str, float] = field(default_factory=dict)
    hook: StepHook | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.hook:
            self.hook(name, None)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            if self.hook:
                self.hook(name, elapsed)


@dataclass(frozen=True, eq=False)
class Geography:
    """A scenario placed on its roads: the graph, every location's snap and the travel matrices."""

    network: RoadNetwork
    snaps: dict[str, Snap]
    matrices: TravelMatrices
    too_far: dict[str, str]
    notes: tuple[str, ...]
    profiles: dict[str, TravelMatrices] = field(default_factory=dict)
    #: Each restricted travel profile's own road network and snaps, which its matrices and so
    #: its drawn routes follow.
    profile_roads: dict[str, tuple[RoadNetwork, dict[str, Snap]]] = field(default_factory=dict)

    def roads_for(self, profile: str) -> tuple[RoadNetwork, dict[str, Snap]]:
        """The road network and snaps a vehicle of travel ``profile`` drives on."""
        return self.profile_roads.get(profile, (self.network, self.snaps))


def settings_for(scenario: Scenario, *, time_limit_s: float | None = None,
                 seed: int | None = None) -> SolveSettings:
    """The scenario's solver settings, with command-line overrides where given.

    ``time_limit_s`` (``--time-limit``, else ``solver.time_limit_s``) is the budget of a
    problem the size of the consolidated one; see :func:`budget_s`.
    """
    spec = scenario.solver
    return SolveSettings(
        time_limit_s=spec.time_limit_s if time_limit_s is None else time_limit_s,
        seed=spec.seed if seed is None else seed, first_solution=spec.first_solution,
        metaheuristic=spec.metaheuristic, objective=spec.objective,
        solution_limit=spec.solution_limit)


#: A routing problem is budgeted as if it had at least this many stops (or as many as the
#: reference problem, where that has fewer): small legs are not starved, and the floor grows
#: with the budget, so doubling ``time_limit_s`` doubles every problem's search.
MIN_BUDGET_STOPS = 10
#: The least time any search gets, whatever the budget (reached only with tiny time limits).
MIN_BUDGET_S = 0.1


def budget_s(n_stops: int, *, time_limit_s: float, reference_stops: int) -> float:
    """The search budget, in seconds, of one routing problem of ``n_stops`` stops.

    The one rule for every strategy and leg. ``time_limit_s`` (``--time-limit``, the scenario's
    ``solver.time_limit_s``, a sweep's ``time_limit_s``) is the budget of a problem the size of
    the consolidated one: ``reference_stops`` stops, every village with demand. Every problem
    gets the same seconds per stop, ``time_limit_s / reference_stops``, times its own stop count,
    but at least as much as a problem of ``min(MIN_BUDGET_STOPS, reference_stops)`` stops, and
    never under :data:`MIN_BUDGET_S`. So independent's five carrier problems of ~186 stops each
    get ~186/193 of consolidated's budget apiece (the strategy takes ~5x as long), and doubling
    ``time_limit_s`` doubles every problem's budget.
    """
    reference = max(reference_stops, 1)
    per_stop = time_limit_s / reference
    return max(MIN_BUDGET_S, per_stop * max(n_stops, min(MIN_BUDGET_STOPS, reference)))


#: What ``time_limit_s`` means, as recorded in ``plan.json`` (the rule is :func:`budget_s`;
#: each leg records its own ``budget_s``).
BUDGET_RULE = ("time_limit_s is the search budget of a problem the size of the consolidated one "
               "(every village with demand); every routing problem gets the same seconds per "
               f"stop times its own stop count (at least a {MIN_BUDGET_STOPS}-stop problem's)")


def settings_document(settings: SolveSettings) -> dict[str, object]:
    """The solver settings as recorded in ``plan.json``."""
    return {"time_limit_s": settings.time_limit_s, "budget_rule": BUDGET_RULE,
            "first_solution": settings.first_solution,
            "metaheuristic": settings.metaheuristic, "objective": settings.objective,
            "solution_limit": settings.solution_limit}


def locate(scenario: Scenario, *, timings: Timings, cache_dir: Path | None = None,
           extra: Sequence[Depot] = ()) -> Geography:
    """Read the roads, snap depots, stations and stops, and compute the travel matrices."""
    with timings.step("read roads"):
        speeds = {**DEFAULT_SPEEDS_KMH, **scenario.network.speeds_kmh}
        boundary = (read_boundary(scenario.network.boundary)
                    if scenario.network.boundary else None)
        network = read_road_network(scenario.network.osm, speeds_kmh=speeds, boundary=boundary)
    places: tuple[Depot | Stop, ...] = (*scenario.depots, *scenario.stations, *extra,
                                        *scenario.stops)
    points = {loc.id: (loc.lon, loc.lat) for loc in places}
    with timings.step("snap"):
        roads = network
        network, snaps = snap_points(roads, points)
    limit = scenario.network.max_access_m
    stop_ids = {s.id for s in scenario.stops}
    too_far = {
        sid: (f"no drivable road within {limit / 1000:g} km (nearest is "
              f"{snap.access_m / 1000:.1f} km away): map the village road in OSM or raise "
              f"network.max_access_m")
        for sid, snap in snaps.items() if sid in stop_ids and snap.access_m > limit}
    for depot in (*scenario.depots, *extra):
        if snaps[depot.id].access_m > limit:
            raise InputError(scenario.path, f"depots {depot.id}", f"no drivable road within "
                             f"{limit / 1000:g} km; move the depot onto the road network")
    with timings.step("matrices"):
        matrices = travel_matrices(network, snaps, cache_dir=cache_dir)
        profiles = {}
        profile_roads = {}
        for vt in scenario.vehicle_types:
            if vt.profile != DEFAULT_PROFILE and vt.profile not in profiles:
                # A vehicle that avoids some roads joins the network at its own nearest road.
                restricted = profile_network(roads, max_speed_kmh=vt.max_speed_kmh,
                                             avoid_roads=vt.avoid_roads)
                restricted, own_snaps = snap_points(
                    restricted, points,
                    skip_highways=NO_STOPPING_HIGHWAYS | set(vt.avoid_roads))
                profiles[vt.profile] = travel_matrices(restricted, own_snaps,
                                                       cache_dir=cache_dir,
                                                       allow_unreachable=True)
                profile_roads[vt.profile] = (restricted, own_snaps)
    notes = []
    fragments = sum(1 for sid in stop_ids if snaps[sid].outside_component)
    if fragments:
        notes.append(f"{fragments} villages lie nearest a road fragment cut off from the main "
                     f"network; they were joined to the nearest connected road instead")
    dropped = len(network.outside_nodes)
    notes.append(f"road graph: {network.nodes_total - dropped:,} of {network.nodes_total:,} "
                 f"drivable nodes in the largest strongly connected component, "
                 f"{len(snaps):,} places snapped onto it")
    return Geography(network, snaps, matrices, too_far, tuple(notes), profiles, profile_roads)
