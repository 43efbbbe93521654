"""Split a load too big for one vehicle into parts that each fit: the one rule for a village
served by several visits, a station's trunk loads and a carrier's feeder loads.

Parts are as few as the largest vehicle type allows and as equal as whole numbers allow; they add
up exactly to the whole (largest remainder). A part stands where the whole stands: callers map
its id to the original location (``Leg.location_of``), never by parsing the id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from routing.core.model import Stop, VehicleType

K = TypeVar("K", str, int)


def apportion(total: int, weights: Mapping[K, float]) -> dict[K, int]:
    """Split a whole number by weights so the parts add up to it (largest remainder)."""
    if not any(weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    norm = sum(weights.values())
    exact = {k: total * w / norm for k, w in weights.items()}
    parts = {k: math.floor(v) for k, v in exact.items()}
    rest = total - sum(parts.values())
    for k in sorted(exact, key=lambda k: (parts[k] - exact[k], k))[:rest]:
        parts[k] += 1
    return parts


def fits_whole(stop: Stop, vehicle_types: Sequence[VehicleType]) -> bool:
    """Whether some vehicle type carries ``stop``'s delivery and its pickup in one visit."""
    return any(vt.carries(stop) for vt in vehicle_types)


def _parts(stop: Stop, n: int) -> list[Stop]:
    """``stop`` cut into ``n`` visits: parcels evenly, their kg with the parcels, produce
    evenly, each carrier's parcels laid end to end so every sum is kept."""
    even = dict.fromkeys(range(n), 1.0)
    parcels = apportion(stop.parcels, even)
    weight = apportion(stop.weight_kg, {k: float(p) for k, p in parcels.items()}
                       if stop.parcels else even)
    produce = apportion(stop.produce_kg, even)
    carriers = _carrier_parts(stop.parcels_by_carrier, [parcels[k] for k in range(n)])
    return [replace(stop, id=f"{stop.id}#{k + 1}", parcels=parcels[k], weight_kg=weight[k],
                    produce_kg=produce[k], parcels_by_carrier=carriers[k]) for k in range(n)]


def _carrier_parts(by_carrier: Mapping[str, int], sizes: Sequence[int]) -> list[dict[str, int]]:
    """Each part's parcels by carrier: the carriers' parcels in order, cut at ``sizes``."""
    out: list[dict[str, int]] = [{} for _ in sizes]
    queue = [(c, n) for c, n in by_carrier.items() if n]
    for part, size in zip(out, sizes, strict=True):
        while size and queue:
            carrier, left = queue[0]
            take = min(size, left)
            part[carrier] = part.get(carrier, 0) + take
            size -= take
            queue[0] = (carrier, left - take)
            if not queue[0][1]:
                queue.pop(0)
    return out


def split_stop(stop: Stop, vehicle_types: Sequence[VehicleType]) -> tuple[Stop, ...]:
    """``stop`` as it is if a vehicle type of ``vehicle_types`` carries it whole, else the fewest
    parts (ids ``<id>#1``, ``<id>#2``, ...) that each fit one such type.

    A load that cannot be split to fit (a single parcel heavier than every type carries) is
    returned whole, for the diagnosis to call it too big.
    """
    if fits_whole(stop, vehicle_types):
        return (stop,)
    for vt in sorted(vehicle_types, key=lambda t: (-t.capacity_parcels, -t.capacity_kg, t.id)):
        least = max(math.ceil(stop.parcels / vt.capacity_parcels),
                    math.ceil(stop.weight_kg / vt.capacity_kg),
                    math.ceil(stop.produce_kg / vt.capacity_kg))
        for n in range(least, least + max(stop.parcels, 1) + 1):
            parts = _parts(stop, n)
            if all(fits_whole(p, [vt]) for p in parts):
                return tuple(parts)
    return (stop,)


def joined(stop: Stop, parts: Sequence[Stop]) -> Stop:
    """``stop`` (its id, name and place) carrying the sum of ``parts``' loads and carriers'
    parcels: what a vehicle brings for several visits at once (a station's trunk load, a
    carrier's feeder load, a village's visits served together)."""
    carriers: dict[str, int] = {}
    for part in parts:
        for carrier, n in part.parcels_by_carrier.items():
            carriers[carrier] = carriers.get(carrier, 0) + n
    return replace(stop, parcels=sum(p.parcels for p in parts),
                   weight_kg=sum(p.weight_kg for p in parts),
                   produce_kg=sum(p.produce_kg for p in parts), parcels_by_carrier=carriers)
