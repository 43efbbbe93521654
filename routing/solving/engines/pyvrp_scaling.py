"""How a problem enters PyVRP's integer arithmetic: costs, penalty bounds, prizes, matrices.

PyVRP adds costs in 64-bit integers and weighs violations (excess load, time warp) by penalties
it adapts between bounds. :func:`scaling` picks the cost units and those bounds from the problem
so that a violation always outweighs a vehicle's cost and every sum stays within PyVRP's
integers; :func:`pyvrp_matrices` gives the matrices as PyVRP gets them, with geodata's no-road
sentinel replaced by a value just past any shift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pyvrp

from geodata import UNREACHABLE
from routing.core import DEFAULT_PROFILE, LOAD_DIMENSIONS, ModelError, Problem, Stop, VehicleType

#: Money enters PyVRP in integer thousandths of a cent (fen), so that per-metre and per-second
#: rates stay integers: 1 yuan/km = 100 units per metre. :func:`scaling` falls back to the
#: coarser scales after it, down to whole fen, when a problem's penalties would not fit.
COST_UNITS_PER_YUAN = 100_000
COST_SCALES: tuple[int, ...] = (COST_UNITS_PER_YUAN, 10_000, 1_000, 100)

#: Bound on the penalised cost of any PyVRP solution. PyVRP adds costs in 64-bit integers and
#: weighs violations by doubles; 2**61 leaves a factor of four below 2**63 for the objective,
#: prizes and the differences its moves compute.
PENALISED_COST_LIMIT = 2**61
#: A client's prize (when clients are optional) is this many violation bounds.
PRIZE_FACTOR = 10
#: PyVRP's penalty manager may raise a penalty weight up to this many prizes per unit, so at
#: its cap dropping a client always beats keeping it with any violation.
PENALTY_ROOM = 10


def profile_names(problem: Problem) -> list[str]:
    """The problem's travel profiles in PyVRP's order: the default one first, then by name."""
    return [DEFAULT_PROFILE, *sorted(p for p in problem.profiles if p != DEFAULT_PROFILE)]


def unit_costs(vt: VehicleType, objective: str, units_per_yuan: int = COST_UNITS_PER_YUAN
               ) -> tuple[int, int, int]:
    """(fixed, per metre, per second) costs of ``vt`` in PyVRP's integer units."""
    if objective == "distance":
        return 0, 1, 0
    if objective == "duration":
        return 0, 0, 1
    return (round(vt.fixed_cost * units_per_yuan),
            round(vt.cost_per_km * units_per_yuan / 1000),
            round(vt.cost_per_hour * units_per_yuan / 3600))


@dataclasses.dataclass(frozen=True)
class Scaling:
    """How a problem's objective and constraints enter PyVRP's integer arithmetic.

    ``violation_cost`` is the least PyVRP charges for one unit of excess load or one second of
    time warp (lateness, or a shift overrun): more than the most a client can save by being
    left out or squeezed into a route that cannot take it, i.e. more than a vehicle's fixed
    cost plus a whole shift's time and a return trip to the farthest location. So an overloaded
    or late route never looks cheaper than one more vehicle, however the penalty manager adapts.
    """

    units_per_yuan: int
    violation_cost: int
    prize: int
    max_penalty: int

    def penalty_params(self) -> pyvrp.PenaltyParams:
        return pyvrp.PenaltyParams(min_penalty=self.violation_cost, max_penalty=self.max_penalty)


def scaling(problem: Problem, clients: Sequence[Stop], objective: str) -> Scaling:
    """The finest cost scale of :data:`COST_SCALES` (distance and duration: their own units) at
    which the penalties fit: the cap of ``PENALTY_ROOM`` prizes per unit, times the largest
    total violation a solution can have, stays within :data:`PENALISED_COST_LIMIT`."""
    ceiling = PENALISED_COST_LIMIT // _worst_violation(problem, clients)
    for units in COST_SCALES if objective == "cost" else (1,):
        bound = _violation_bound(problem, objective, units)
        prize = PRIZE_FACTOR * bound
        if PENALTY_ROOM * prize <= ceiling and prize <= pyvrp.constants.MAX_VALUE // 4:
            return Scaling(units, bound, prize, PENALTY_ROOM * prize)
    field = {"cost": "vehicle_types costs", "distance": "distance_m"}.get(objective, "duration_s")
    raise ModelError(f"{field}: too large for PyVRP's integer arithmetic (a unit of violation "
                     f"must cost {bound} and at most {ceiling // (PENALTY_ROOM * PRIZE_FACTOR)} "
                     f"fits); use --engine ortools")


def _violation_bound(problem: Problem, objective: str, units_per_yuan: int) -> int:
    """One more than the cost of a vehicle's day out to the farthest location and back: its
    fixed cost, twice the longest arc and a whole shift plus the longest service on top."""
    service = int(problem.service_s.max())
    worst = 0
    for vt, (distance, duration) in zip(problem.vehicle_types, _type_matrices(problem),
                                        strict=True):
        fixed, per_m, per_s = unit_costs(vt, objective, units_per_yuan)
        day = vt.max_duration_s + 2 * int(duration.max()) + service
        worst = max(worst, fixed + per_m * 2 * int(distance.max()) + per_s * day)
    return worst + 1


def _worst_violation(problem: Problem, clients: Sequence[Stop]) -> int:
    """An upper bound on a PyVRP solution's total violation: all the load in excess, plus a
    time warp of at most, per route, its latest start and the time it drives, loads at its depot
    (at the start of each of its trips) and serves, twice (late arrivals and the shift overrun
    are both counted)."""
    load = sum(s.delivery[d] + s.pickup[d] for s in clients for d in range(len(LOAD_DIMENSIONS)))
    longest = max(int(duration.max()) for _, duration in _type_matrices(problem))
    horizon = max([d.close_s for d in problem.depots] + [s.close_s for s in clients]
                  + [vt.shift_end_s for vt in problem.vehicle_types])
    vehicles = len(problem.vehicles)
    trips = sum(v.type.max_trips for v in problem.vehicles)
    work = sum(int(problem.service_s[problem.index[s.id]]) for s in clients)
    work += sum(v.type.max_trips * int(problem.service_s[problem.index[v.depot]])
                for v in problem.vehicles)
    work += (len(clients) + trips) * longest
    return max(1, load + 2 * (vehicles * horizon + work))


def _capped(matrix: np.ndarray, floor: int) -> np.ndarray:
    """``matrix`` with geodata's no-road sentinel replaced by one more than any other entry and
    ``floor``: still unusable (longer than any shift) but far from PyVRP's integer limits."""
    matrix = np.asarray(matrix, dtype=np.int64)
    blocked = matrix >= UNREACHABLE
    if not blocked.any():
        return matrix
    legit = int(matrix[~blocked].max(initial=0))
    return np.where(blocked, max(legit, floor) + 1, matrix)


def pyvrp_matrices(problem: Problem) -> list[tuple[np.ndarray, np.ndarray]]:
    """(distance, duration) per travel profile in :func:`profile_names` order, as PyVRP gets
    them: a pair with no road path takes one second longer than any shift."""
    shift = max(vt.max_duration_s for vt in problem.vehicle_types)
    out = []
    for name in profile_names(problem):
        distance, duration = ((problem.distance_m, problem.duration_s)
                              if name == DEFAULT_PROFILE else problem.profiles[name])
        out.append((_capped(distance, 0), _capped(duration, shift)))
    return out


def _type_matrices(problem: Problem) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyVRP's (distance, duration) matrices of each vehicle type, in type order."""
    matrices = pyvrp_matrices(problem)
    names = profile_names(problem)
    return [matrices[names.index(vt.profile)] for vt in problem.vehicle_types]
