"""What-if variants of a scenario for sweeps: more or fewer parcels, a different fleet."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from routing.core import ModelError
from routing.inputs import Scenario


def scale_demand(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every village's parcels, kg and produce multiplied by ``factor``.

    Values are rounded to whole units; a village keeps at least one parcel if it had any, and
    its carrier split is rescaled so it still adds up to the village's parcels.
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ModelError(f"demand_scale: must be a number > 0, got {factor!r}")
    stops = []
    for stop in scenario.stops:
        parcels = max(round(stop.parcels * factor), 1 if stop.parcels else 0)
        split = dict(stop.parcels_by_carrier)
        if split:
            scaled = {c: math.floor(n * parcels / stop.parcels) for c, n in split.items()}
            for c in sorted(split, key=lambda c: (-(split[c] * parcels / stop.parcels % 1), c))[
                    :parcels - sum(scaled.values())]:
                scaled[c] += 1
            split = scaled
        stops.append(replace(stop, parcels=parcels, weight_kg=round(stop.weight_kg * factor),
                             produce_kg=round(stop.produce_kg * factor),
                             parcels_by_carrier=split))
    return replace(scenario, stops=tuple(stops))


def with_fleet(scenario: Scenario, counts: Mapping[str, int]) -> Scenario:
    """The scenario with the given vehicle types' counts replaced (type id -> vehicles)."""
    known = scenario.vehicle_type_by_id
    for vid, count in counts.items():
        if vid not in known:
            raise ModelError(f"fleets: unknown vehicle type {vid!r}; the scenario has "
                             f"{', '.join(sorted(known))}")
        if not isinstance(count, int) or count < 1:
            raise ModelError(f"fleets.{vid}: must be a whole number >= 1, got {count!r}")
    types = tuple(replace(vt, count=counts.get(vt.id, vt.count)) for vt in scenario.vehicle_types)
    return replace(scenario, vehicle_types=types)
