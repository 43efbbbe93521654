"""A seeded, documented model of daily parcels and farm produce per village (OSM has no demand).

The figures are illustrative, not measured: rural Chinese villages of a few hundred households
receive tens of e-commerce parcels a day and send farm produce back. Per village:

* parcels/day ~ round(LogNormal(median=``median_parcels``, sigma=``sigma_parcels``)), at least 1;
* mean kg per parcel ~ Uniform(0.8, 2.0), so ``weight_kg = ceil(parcels * kg_per_parcel)``;
* produce kg/day: zero with probability ``p_no_produce``, else LogNormal(median 40 kg, sigma 0.8).

Each village draws from its own generator seeded by ``(seed, osm id)``, so adding or removing a
village leaves every other village's demand unchanged. Every value lands in an editable CSV
(:func:`routing.inputs.write_stops_csv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DemandModel:
    """Parameters of the synthetic demand; the defaults are those of the shipped scenarios."""

    median_parcels: float = 25.0
    sigma_parcels: float = 0.6
    kg_per_parcel_low: float = 0.8
    kg_per_parcel_high: float = 2.0
    p_no_produce: float = 0.4
    median_produce_kg: float = 40.0
    sigma_produce: float = 0.8
    max_parcels: int = 250
    max_produce_kg: int = 600


@dataclass(frozen=True)
class VillageDemand:
    parcels: int
    weight_kg: int
    produce_kg: int


def village_demand(seed: int, key: int, model: DemandModel = DemandModel()) -> VillageDemand:
    """Draw one village's day from a generator seeded by ``(seed, key)``."""
    rng = np.random.default_rng([seed, key])
    parcels = round(rng.lognormal(math.log(model.median_parcels), model.sigma_parcels))
    parcels = min(max(parcels, 1), model.max_parcels)
    kg_each = rng.uniform(model.kg_per_parcel_low, model.kg_per_parcel_high)
    produce = 0
    if rng.random() >= model.p_no_produce:
        produce = round(rng.lognormal(math.log(model.median_produce_kg), model.sigma_produce))
        produce = min(produce, model.max_produce_kg)
    return VillageDemand(parcels, math.ceil(parcels * kg_each), produce)


def split_by_share(
    parcels: int, shares: dict[str, float], *, seed: int, key: int
) -> dict[str, int]:
    """Split a village's parcels among carriers by market share (multinomial, seeded per village).

    ``shares`` must sum to 1; the result's values sum to ``parcels``.
    """
    rng = np.random.default_rng([seed, key, 1])
    names = list(shares)
    counts = rng.multinomial(parcels, [shares[n] for n in names])
    return {n: int(c) for n, c in zip(names, counts, strict=True)}
