"""Key figures of a plan: vehicles, distance, driver time, parcels, produce, served stops."""

from __future__ import annotations

from routing.model import Plan, Problem


def plan_kpis(problem: Problem, plan: Plan) -> dict[str, int | float]:
    """Totals a planner compares across scenarios; integers in base units plus handy km/h."""
    served = [problem.stop_by_id[s] for r in plan.routes for s in r.stops]
    parcels = sum(s.parcels for s in served)
    return {
        "vehicles": len(plan.routes),
        "distance_m": plan.distance_m,
        "duration_s": plan.duration_s,
        "distance_km": round(plan.distance_m / 1000, 1),
        "driver_hours": round(plan.duration_s / 3600, 2),
        "stops_served": len(served),
        "stops_unserved": len(plan.unserved),
        "parcels": parcels,
        "parcels_kg": sum(s.weight_kg for s in served),
        "produce_kg": sum(s.produce_kg for s in served),
        "km_per_parcel": round(plan.distance_m / 1000 / parcels, 3) if parcels else 0.0,
    }
