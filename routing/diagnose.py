"""Find why a stop was left unserved, from the problem alone (any engine's drops get the same)."""

from __future__ import annotations

from geodata.matrices import UNREACHABLE
from routing.engines.base import DROPPED_BY_ENGINE
from routing.model import LOAD_DIMENSIONS, Plan, Problem, Unserved


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def unserved_reason(problem: Problem, stop_id: str) -> str:
    """The first reason that explains why no vehicle of the fleet can or did serve ``stop_id``.

    Checked in order: excluded before solving (e.g. no road nearby), no vehicle type can reach
    the stop's time window from its depot within the shift, the fleet's total capacity is below
    the day's demand, else the solver found no room in any route (fleet too small or too little
    search time).
    """
    if stop_id in problem.excluded:
        return problem.excluded[stop_id]
    stop = problem.stop_by_id[stop_id]
    s = problem.index[stop_id]
    reasons = []
    for vt in problem.vehicle_types:
        depot = problem.depot_by_id[vt.depot]
        d = problem.index[vt.depot]
        _, duration_s = problem.matrices_for(vt)
        if max(duration_s[d, s], duration_s[s, d]) >= UNREACHABLE:
            reasons.append(f"no road path between {vt.depot} and the stop for {vt.id} "
                           f"(travel profile {vt.profile})")
            continue
        # Leave as late as still reaches the stop when it opens: waiting is not driving.
        earliest = max(vt.shift_start_s, depot.open_s)
        leave = max(earliest, stop.open_s - int(duration_s[d, s]))
        arrive = max(leave + int(duration_s[d, s]), stop.open_s)
        back = arrive + int(problem.service_s[s]) + int(duration_s[s, d])
        if arrive > stop.close_s:
            reasons.append(f"{vt.id} from {vt.depot} arrives {_clock(arrive)} at the earliest, "
                           f"after the window closes at {_clock(stop.close_s)}")
        elif back - leave > vt.max_duration_s:
            reasons.append(f"the round trip from {vt.depot} takes {(back - leave) / 3600:.1f} h, "
                           f"over the {vt.max_duration_s / 3600:.1f} h shift of {vt.id}")
        elif back > min(depot.close_s, vt.shift_end_s):
            reasons.append(f"{vt.id} cannot be back at {vt.depot} before its shift ends or the "
                           f"depot closes at {_clock(min(depot.close_s, vt.shift_end_s))}")
        else:
            reasons = []
            break
    if reasons:
        return "; ".join(reasons)
    demand = problem.delivery_matrix().sum(axis=0)
    capacity = [sum(v.type.capacity[i] for v in problem.vehicles)
                for i in range(len(LOAD_DIMENSIONS))]
    for dim, need, have in zip(LOAD_DIMENSIONS, demand, capacity, strict=True):
        if need > have:
            return (f"fleet too small: the day's {int(need)} {dim} exceed the fleet's "
                    f"{have} {dim} capacity")
    return ("fleet too small: no vehicle had capacity or shift time left for this stop "
            "(add vehicles or allow more solver time)")


def explain_unserved(problem: Problem, plan: Plan) -> Plan:
    """Return ``plan`` with each engine-dropped stop's reason replaced by its diagnosed cause."""
    unserved = tuple(
        Unserved(u.stop, unserved_reason(problem, u.stop)) if u.reason == DROPPED_BY_ENGINE else u
        for u in plan.unserved)
    return Plan(problem=plan.problem, engine=plan.engine, seed=plan.seed, routes=plan.routes,
                unserved=unserved, solve_time_s=plan.solve_time_s, objective=plan.objective)
