"""Solve a big multi-depot problem by parts: a cluster per depot, side by side, then as a whole.

A province or region is a batch of nearly independent county problems: most villages are best
served from their own county's hub. One search over all of them spends most of its budget on
moves between villages that never share a route, so at the limits people use it is far from
converged. Decomposed, the problem is solved in three steps:

1. **Clusters** (:func:`clusters`): every stop goes to a depot, the one of its own county (where
   the scenario has county boundaries) and else the nearest by round trip in travel time,
   within what that depot's fleet can carry in a day (capacity x trips, out and back); a stop
   that no longer fits goes to the next depot with room, the farthest stops first to move.
2. **Cluster searches**: each cluster is its own problem (its depot, its depot's vehicle types,
   its stops), solved and checked side by side on the cores (:func:`solve_all`) in the first
   :data:`CLUSTER_SHARE` of the wall budget; each cluster's budget is its share of the stops.
3. **Border step**: the joined plan is the warm start of one search over the whole problem for
   the rest of the budget, so villages near a border may switch hub, a cluster's village its
   fleet could not take is served from a neighbour, and routes are polished across clusters.

The result is a plan of the whole problem, diagnosed and checked like any other
(:func:`~routing.solving.solve.solve_checked`, in the shared worker pool of a ``compare``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.core import LOAD_DIMENSIONS, Depot, Plan, Problem, Stop, VehicleType
from routing.solving.checker import CheckReport
from routing.solving.engines.base import Engine, SolveSettings
from routing.solving.parallel import solve_all, solve_one, workers_for

#: Problems with more stops than this, and vehicles at several depots, are decomposed unless
#: told otherwise: below it one search converges well within the usual budgets.
DECOMPOSE_MIN_STOPS = 300
#: Share of the wall budget the cluster searches get; the border step gets the rest.
CLUSTER_SHARE = 0.5
#: The least budget (s) of a cluster search or of the border step.
MIN_STEP_S = 0.5
#: How many nearest depots' clusters a stop counts as neighbours: the pairs that may share a
#: route after the border step (see :func:`neighbour_pairs`).
NEIGHBOUR_DEPOTS = 3


@dataclass(frozen=True)
class Cluster:
    """A depot and the stops (by id) its vehicles serve in the cluster search."""

    depot: str
    stops: tuple[str, ...]


def decomposes(problem: Problem, decompose: bool | None) -> bool:
    """Whether ``problem`` is solved by parts (:func:`decomposes_size`)."""
    return decomposes_size(len({vt.depot for vt in problem.vehicle_types}), len(problem.stops),
                           decompose)


def decomposes_size(depots: int, stops: int, decompose: bool | None) -> bool:
    """Whether a problem with vehicles at ``depots`` depots and ``stops`` stops is solved by
    parts: it needs several depots and, unless ``decompose`` is True, more than
    :data:`DECOMPOSE_MIN_STOPS` stops; never if ``decompose`` is False."""
    if decompose is False or depots < 2:
        return False
    return decompose is True or stops > DECOMPOSE_MIN_STOPS


def clusters(problem: Problem, *, regions: Mapping[str, str] | None = None
             ) -> tuple[Cluster, ...]:
    """Each vehicle depot of ``problem`` with the stops it serves in the cluster search.

    ``regions`` maps depot and stop ids to a region (county) name; a stop prefers the depots
    of its own region. See :func:`assign` for the rule.
    """
    owner = assign(problem.depots, problem.stops, problem.vehicle_types,
                   out_s=problem.duration_s[:len(problem.depots), len(problem.depots):],
                   back_s=problem.duration_s[len(problem.depots):, :len(problem.depots)].T,
                   regions=regions or {})
    return tuple(Cluster(d.id, tuple(s.id for s in problem.stops if owner[s.id] == d.id))
                 for d in problem.depots if any(owner[s.id] == d.id for s in problem.stops))


def assign(depots: Sequence[Depot], stops: Sequence[Stop], vehicle_types: Sequence[VehicleType],
           *, out_s: np.ndarray, back_s: np.ndarray, regions: Mapping[str, str]
           ) -> dict[str, str]:
    """The depot (id) of every stop: the one rule behind :func:`clusters` and the restricted
    travel matrices of a decomposed scenario.

    ``out_s[d, s]`` and ``back_s[d, s]`` are the travel times from depot ``d`` to stop ``s``
    and back. A stop prefers the depots of its own region (``regions``), then the rest, each
    group nearest first by round trip; depots without vehicles are never chosen. Stops are
    placed nearest first, each at its first preference with room left in the day's capacity of
    that depot's fleet (:func:`day_capacity`), so the farthest stops of a full depot overflow to
    their next choice. A stop that fits nowhere goes to its first preference.
    """
    ids = [d.id for d in depots]
    room = {i: day_capacity([vt for vt in vehicle_types if vt.depot == i]) for i in ids}
    homes = [k for k, i in enumerate(ids) if room[i].any()]
    round_trip = np.asarray(out_s, dtype=np.int64) + np.asarray(back_s, dtype=np.int64)

    def preference(s: int) -> list[int]:
        region = regions.get(stops[s].id)
        return sorted(homes, key=lambda k: (region is None or regions.get(ids[k]) != region,
                                            int(round_trip[k, s]), k))

    prefs = [preference(s) for s in range(len(stops))]
    owner: dict[str, str] = {}
    for s in sorted(range(len(stops)), key=lambda s: (int(round_trip[prefs[s][0], s]), s)):
        need = np.array([*stops[s].delivery, *stops[s].pickup], dtype=np.int64)
        chosen = next((k for k in prefs[s] if (room[ids[k]] >= need).all()), prefs[s][0])
        room[ids[chosen]] -= need
        owner[stops[s].id] = ids[chosen]
    return owner


def day_capacity(vehicle_types: Sequence[VehicleType]) -> np.ndarray:
    """What a fleet carries in a day: out, then back, per :data:`LOAD_DIMENSIONS` (each vehicle's
    capacity once per trip it may drive)."""
    out = np.array([sum(vt.capacity[d] * vt.count * vt.max_trips for vt in vehicle_types)
                    for d in range(len(LOAD_DIMENSIONS))], dtype=np.int64)
    return np.concatenate([out, out])


def neighbour_pairs(owner: Mapping[str, str], out_s: np.ndarray, back_s: np.ndarray,
                    depots: Sequence[str], stops: Sequence[str]) -> dict[str, set[str]]:
    """The stops each stop may share a route with once decomposed: those of its own cluster and
    of the clusters of its :data:`NEIGHBOUR_DEPOTS` nearest depots (round trip), where the
    border step may move it. ``owner`` is :func:`assign`'s answer."""
    members: dict[str, set[str]] = {}
    for sid, depot in owner.items():
        members.setdefault(depot, set()).add(sid)
    round_trip = np.asarray(out_s, dtype=np.int64) + np.asarray(back_s, dtype=np.int64)
    pairs: dict[str, set[str]] = {}
    for s, sid in enumerate(stops):
        near = [depots[k] for k in np.argsort(round_trip[:, s], kind="stable")]
        chosen = [d for d in near if d in members][:NEIGHBOUR_DEPOTS]
        if owner[sid] not in chosen:
            chosen.append(owner[sid])
        pairs[sid] = set().union(*(members[d] for d in chosen)) - {sid}
    return pairs


def sub_problem(problem: Problem, cluster: Cluster) -> Problem:
    """``problem`` restricted to ``cluster``: its depot, that depot's vehicle types, its stops."""
    keep = [problem.index[cluster.depot], *(problem.index[s] for s in cluster.stops)]
    grid = np.ix_(keep, keep)
    stops = tuple(problem.stop_by_id[s] for s in cluster.stops)
    return Problem(
        name=f"{problem.name} [{cluster.depot}]", depots=(problem.depot_by_id[cluster.depot],),
        stops=stops, vehicle_types=tuple(vt for vt in problem.vehicle_types
                                         if vt.depot == cluster.depot),
        distance_m=problem.distance_m[grid], duration_s=problem.duration_s[grid],
        service_s=problem.service_s[keep],
        excluded={s: why for s, why in problem.excluded.items() if s in set(cluster.stops)},
        profiles={name: (d[grid], t[grid]) for name, (d, t) in problem.profiles.items()})


def joined_plan(problem: Problem, plans: Sequence[Plan], engine: str, seed: int) -> Plan:
    """The cluster plans as one plan of ``problem``: every route, every unserved stop."""
    return Plan(problem=problem.name, engine=engine, seed=seed,
                routes=tuple(r for p in plans for r in p.routes),
                unserved=tuple(u for p in plans for u in p.unserved),
                solve_time_s=round(sum(p.solve_time_s for p in plans), 3))


def cluster_budgets(parts: Sequence[Problem], settings: SolveSettings) -> list[float]:
    """Each cluster search's budget: :data:`CLUSTER_SHARE` of the wall budget times the cores
    the clusters run on, shared by stop count, at least :data:`MIN_STEP_S`."""
    total = max(sum(len(p.stops) for p in parts), 1)
    core_s = CLUSTER_SHARE * settings.time_limit_s * workers_for(len(parts), settings)
    return [max(MIN_STEP_S, core_s * len(p.stops) / total) for p in parts]


def solve_decomposed(problem: Problem, engine: Engine, settings: SolveSettings, *,
                     regions: Mapping[str, str] | None = None) -> tuple[Plan, CheckReport]:
    """Solve ``problem`` by :func:`clusters`, joined and improved as a whole within
    ``settings.time_limit_s`` of wall time, and check the plan (see the module docstring)."""
    started = time.perf_counter()
    parts = [sub_problem(problem, c) for c in clusters(problem, regions=regions)]
    budgets = cluster_budgets(parts, settings)
    solved = solve_all([(p, dataclasses.replace(settings, time_limit_s=b))
                        for p, b in zip(parts, budgets, strict=True)], engine)
    start = joined_plan(problem, [plan for plan, _ in solved], engine.name, settings.seed)
    rest = max(MIN_STEP_S, settings.time_limit_s - (time.perf_counter() - started))
    plan, report = solve_one(problem, engine, dataclasses.replace(settings, time_limit_s=rest),
                             initial=start)
    note = (f"decomposed: {len(parts)} clusters solved side by side "
            f"({sum(budgets):.1f} core-s), then improved as a whole for {rest:.1f} s")
    plan = dataclasses.replace(plan, notes=(*plan.notes, note),
                               solve_time_s=round(time.perf_counter() - started, 3))
    return plan, report
