"""Find why a stop was left unserved, from the problem and the plan alone (any engine alike).

Each reason is decided by the shared rules of :mod:`routing.solving.feasibility`, vehicle type
by vehicle type, so the fit and the reach are checked for the same type:

* ``no road``: excluded before solving (the geography found no road near the village);
* ``too big``: no vehicle type of the leg can carry its delivery and pickup;
* ``unreachable``: every type that can carry it cannot reach it within its window and be back
  within its shift (or has no road path for its travel profile);
* ``fleet too small``: some type could serve it on a trip of its own, but every vehicle of such a
  type is already in use and no vehicle's day has room for it (no feasible insertion into one of
  its trips, nor a trip of its own before or after them).

A stop that fits none of these, i.e. one an unused vehicle could serve alone or one that fits into
a route of the plan, was dropped by a search that fell short: :func:`missed_stops` lists them and
the solve step retries or fails (:mod:`routing.solving.solve`); it is never reported as unserved.
"""

from __future__ import annotations

from dataclasses import replace

from routing.core import LOAD_DIMENSIONS, Plan, Problem, Unserved, Why
from routing.solving.feasibility import Infeasible, fits, fleet_capacity, has_room, lone_trip


def _sizes(problem: Problem) -> str:
    return ", ".join(f"{vt.id} {vt.capacity_parcels} parcels / {vt.capacity_kg} kg"
                     for vt in problem.vehicle_types)


def unserved_reason(problem: Problem, plan: Plan, stop_id: str) -> Unserved | None:
    """Why ``plan`` leaves ``stop_id`` unserved, or None when it could have been served."""
    if stop_id in problem.excluded:
        return Unserved(stop_id, problem.excluded[stop_id], Why.NO_ROAD)
    stop = problem.stop_by_id[stop_id]
    carriers = [vt for vt in problem.vehicle_types if fits(vt, stop)]
    if not carriers:
        return Unserved(stop_id, f"too big: needs {stop.parcels} parcels / {stop.weight_kg} kg "
                                 f"out and {stop.produce_kg} kg back, more than any vehicle "
                                 f"carries ({_sizes(problem)})", Why.TOO_BIG)
    trips = {vt.id: lone_trip(problem, vt, stop_id) for vt in carriers}
    able = [vt for vt in carriers if not isinstance(trips[vt.id], Infeasible)]
    if not able:
        why = "; ".join(t.reason for t in trips.values() if isinstance(t, Infeasible))
        return Unserved(stop_id, f"unreachable: {why}", Why.UNREACHABLE)
    used = {r.vehicle for r in plan.routes}
    for vt in able:
        if any(v.type.id == vt.id and v.id not in used for v in problem.vehicles):
            return None
    if has_room(problem, plan, stop_id):
        return None
    count = sum(1 for v in problem.vehicles if v.type in able)
    return Unserved(stop_id, f"fleet too small: {_short_of(problem, plan, stop_id)}all {count} "
                             f"vehicles that could serve it alone "
                             f"({', '.join(vt.id for vt in able)}) are in use and no vehicle has "
                             f"room for its {stop.parcels} parcels / {stop.weight_kg} kg out and "
                             f"{stop.produce_kg} kg back (add vehicles or trips)",
                    Why.FLEET_TOO_SMALL)


def _short_of(problem: Problem, plan: Plan, stop_id: str) -> str:
    """Where the whole fleet cannot carry the served load plus this stop, say so."""
    served = [problem.stop_by_id[s] for r in plan.routes for s in r.stops]
    stop = problem.stop_by_id[stop_id]
    for d, dim in enumerate(LOAD_DIMENSIONS):
        have = fleet_capacity(problem, d)
        for label, part in (("out", "delivery"), ("back", "pickup")):
            need = sum(getattr(s, part)[d] for s in served) + getattr(stop, part)[d]
            if need > have:
                return (f"the fleet carries {have} {dim} but the served stops and this one "
                        f"need {need} {dim} {label}; ")
    return ""


def missed_stops(problem: Problem, plan: Plan) -> tuple[str, ...]:
    """Stops ``plan`` leaves unserved although a vehicle of the fleet could have served them."""
    return tuple(u.stop for u in plan.unserved if unserved_reason(problem, plan, u.stop) is None)


def explain_unserved(problem: Problem, plan: Plan) -> Plan:
    """Return ``plan`` with every engine-dropped stop's reason replaced by its diagnosed cause.

    A stop that could have been served keeps ``Why.DROPPED``: the checker rejects such a plan.
    """
    unserved = []
    for u in plan.unserved:
        if u.why is not Why.DROPPED:
            unserved.append(u)
            continue
        unserved.append(unserved_reason(problem, plan, u.stop) or u)
    return replace(plan, unserved=tuple(unserved))
