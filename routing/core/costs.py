"""Cost models: turn a plan's vehicle use into money and emissions, one rate table per model.

A cost model prices each vehicle *kind* (van, truck, tricycle): a fixed cost per vehicle-day
used, a cost per km, a cost per hour of driver time, and CO2 per km. It also prices each parcel
handled at a transfer point (the joint distribution centre, a township station) and each stop,
and can charge a carbon price. A plan is optimised under one model (the scenario's) and can be
evaluated under any number of others, so a conclusion can be tested against the cost model.

Savings have one definition, computed by :func:`saving_pct` for ``compare``, the sweep store
and ``results`` alike: cost per parcel delivered, like for like (:class:`LikeForLike`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from routing.core.errors import ModelError
from routing.core.model import VehicleType

#: Separator between a cost figure and its cost model in a wide column name: ``cost.diesel``
#: (the sweep results store's); a cost model's name must not contain it.
COST_SEPARATOR = "."


@dataclass(frozen=True)
class Rates:
    """What one vehicle of a kind costs and emits."""

    fixed_per_day: float
    per_km: float
    per_hour: float
    co2_g_per_km: float

    def __post_init__(self) -> None:
        for name in ("fixed_per_day", "per_km", "per_hour", "co2_g_per_km"):
            if getattr(self, name) < 0:
                raise ModelError(f"{name}: must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class CostModel:
    """Rates per vehicle kind plus per-parcel transfer, per-stop and carbon prices."""

    name: str
    rates: Mapping[str, Rates] = field(hash=False)
    description: str = ""
    currency: str = "CNY"
    transfer_per_parcel: float = 0.0
    per_stop: float = 0.0
    carbon_price_per_t: float = 0.0
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.rates:
            raise ModelError("rates: a cost model needs rates for at least one vehicle kind")
        for name in ("transfer_per_parcel", "per_stop", "carbon_price_per_t"):
            if getattr(self, name) < 0:
                raise ModelError(f"{name}: must be >= 0, got {getattr(self, name)}")
        object.__setattr__(self, "rates", dict(self.rates))

    def rates_for(self, kind: str) -> Rates:
        """The rates of vehicle ``kind``; a kind the model does not price is an error."""
        if kind not in self.rates:
            raise ModelError(f"cost model {self.name}: rates.{kind}: no rates for vehicle kind "
                             f"{kind!r}; add a [rates.{kind}] table")
        return self.rates[kind]


def priced(vehicle_types: Iterable[VehicleType], model: CostModel) -> tuple[VehicleType, ...]:
    """The vehicle types with ``model``'s rates written in, for engines that optimise cost."""
    out = []
    for vt in vehicle_types:
        r = model.rates_for(vt.kind)
        out.append(replace(vt, fixed_cost=r.fixed_per_day, cost_per_km=r.per_km,
                           cost_per_hour=r.per_hour, co2_g_per_km=r.co2_g_per_km))
    return tuple(out)


@dataclass(frozen=True)
class Usage:
    """One vehicle-day of driving: its kind, how far and how long."""

    kind: str
    distance_m: int
    duration_s: int


@dataclass(frozen=True)
class CostBreakdown:
    """A plan priced under one cost model (money in the model's currency, CO2 in kg)."""

    model: str
    fixed: float
    distance: float
    time: float
    stops: float
    transfer: float
    carbon: float
    co2_kg: float
    parcels: int

    @property
    def total(self) -> float:
        return self.fixed + self.distance + self.time + self.stops + self.transfer + self.carbon

    @property
    def per_parcel(self) -> float:
        return self.total / self.parcels if self.parcels else 0.0

    def figures(self) -> dict[str, float]:
        """The breakdown as named, rounded figures (for plan.json and results tables)."""
        return {"cost": round(self.total, 2), "cost_per_parcel": round(self.per_parcel, 4),
                "co2_kg": round(self.co2_kg, 2), "cost_fixed": round(self.fixed, 2),
                "cost_distance": round(self.distance, 2), "cost_time": round(self.time, 2),
                "cost_stops": round(self.stops, 2), "cost_transfer": round(self.transfer, 2),
                "cost_carbon": round(self.carbon, 2)}


def price(model: CostModel, usage: Iterable[Usage], *, stops: int, parcels: int,
          transferred_parcels: int) -> CostBreakdown:
    """Price vehicle use, stop visits and parcel transfers under ``model``."""
    fixed = distance = time = co2_g = 0.0
    for u in usage:
        r = model.rates_for(u.kind)
        fixed += r.fixed_per_day
        distance += r.per_km * u.distance_m / 1000
        time += r.per_hour * u.duration_s / 3600
        co2_g += r.co2_g_per_km * u.distance_m / 1000
    co2_kg = co2_g / 1000
    return CostBreakdown(
        model=model.name, fixed=fixed, distance=distance, time=time, stops=model.per_stop * stops,
        transfer=model.transfer_per_parcel * transferred_parcels,
        carbon=model.carbon_price_per_t * co2_kg / 1000, co2_kg=co2_kg, parcels=parcels)


@dataclass(frozen=True)
class LikeForLike:
    """A strategy's day made comparable with the baseline's: its own cost and parcels plus the
    *gap*, the cost and parcels of serving the villages it leaves unserved by the baseline's
    means (each carrier's own vans from its own branch, solved and checked as the independent
    strategy restricted to those villages; see :func:`routing.strategies.gap.gap_plan`)."""

    cost: float
    parcels: int
    gap_cost: float = 0.0
    gap_parcels: int = 0

    @property
    def total(self) -> float:
        """Cost of the day including the gap."""
        return self.cost + self.gap_cost

    @property
    def total_parcels(self) -> int:
        """Parcels delivered including those the gap plan delivers."""
        return self.parcels + self.gap_parcels

    @property
    def per_parcel(self) -> float | None:
        """Like-for-like cost per parcel delivered; None when no parcel is delivered at all."""
        return self.total / self.total_parcels if self.total_parcels > 0 else None


def saving_pct(strategy: LikeForLike, baseline: LikeForLike) -> float | None:
    """The saving of ``strategy`` against ``baseline`` in percent: ``100 * (1 - p / p_base)``
    where ``p`` is cost per parcel delivered, like for like (gap included on both sides).

    Positive means cheaper per parcel than the baseline. None (no saving to speak of) when
    either side delivers no parcel, counting the parcels its gap plan delivers, or the
    baseline's day costs nothing: there is no per-parcel figure to compare. A strategy whose own
    routes deliver nothing is judged on its gap plan, the carriers' vans doing the whole day.
    """
    mine, base = strategy.per_parcel, baseline.per_parcel
    if mine is None or base is None or base <= 0:
        return None
    return 100.0 * (1.0 - mine / base)
