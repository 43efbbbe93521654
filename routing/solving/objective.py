"""The value of a plan under the problem's objective, computed from its routes alone.

Engine-independent: the portfolio ranks candidate plans of different engines by it, and the
PyVRP adapter records it on its plans.
"""

from __future__ import annotations

from routing.core import Plan, Problem


def plan_objective(problem: Problem, plan: Plan, objective: str) -> int:
    """The plan's value under ``objective``, computed from its routes (engine-independent).

    ``distance`` in metres, ``duration`` in seconds of working time, ``cost`` in cents (fixed
    cost of each used vehicle, once per day however many trips, plus its per-km and per-hour
    rates).
    """
    if objective == "distance":
        return plan.distance_m
    if objective == "duration":
        return plan.duration_s
    types = {t.id: t for t in problem.vehicle_types}
    cents = 0.0
    for day in plan.days():
        t = types[day.vehicle_type]
        cents += 100 * (t.fixed_cost + t.cost_per_km * day.distance_m / 1000
                        + t.cost_per_hour * day.duration_s / 3600)
    return round(cents)
