"""Fleet sizing for built scenarios: the vehicles the builder writes and the rules that count them.

A :class:`VehicleSpec` is a vehicle type before it has a depot and a count; its
:meth:`~VehicleSpec.count_for` sizes a fleet for the parcels and villages it serves, and
:meth:`~VehicleSpec.vehicle_type` makes the scenario's :class:`~routing.core.VehicleType`. The
township relay is sized by :func:`relay_fleet` from straight-line catchments (:func:`nearest_of`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyproj

from geodata import Place, utm_crs
from routing.core import ModelError, Stop, VehicleType


class Located(Protocol):
    """Anything with a WGS84 position: a place, stop or depot."""

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...


@dataclass(frozen=True)
class VehicleSpec:
    """A vehicle type the builder writes, and the rule that sizes its fleet.

    ``count_for`` takes whichever binds first, load or shift time: a fleet that visits ``stops``
    villages needs ``stops / stops_per_route`` routes even when the parcels would fit in fewer
    vehicles (a carrier's van calls at many villages with a few parcels each, so its shift ends
    long before it is full). Both are multiplied by ``slack`` (routes are rarely full) and
    rounded up, and at least ``minimum`` vehicles are written.
    """

    id: str
    name: str
    kind: str
    capacity_parcels: int
    capacity_kg: int
    shift_start: str = "08:00"
    max_shift_h: float = 9.0
    max_speed_kmh: float | None = None
    avoid_roads: tuple[str, ...] = ()
    #: Villages one vehicle can serve in a shift; None when only the load counts.
    stops_per_route: float | None = None
    #: Spare vehicles per vehicle of pure need: routes are rarely full and shifts end first.
    slack: float = 1.3
    minimum: int = 1
    #: Trips a vehicle may drive in its shift (back to its depot to unload and reload).
    max_trips: int = 3

    def __post_init__(self) -> None:
        if self.capacity_parcels <= 0 or self.capacity_kg <= 0 or self.slack < 1:
            raise ModelError(f"vehicle {self.id}: capacities must be > 0 and slack >= 1")
        if self.minimum < 1 or (self.stops_per_route is not None and self.stops_per_route <= 0):
            raise ModelError(f"vehicle {self.id}: minimum must be >= 1, stops_per_route > 0")
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.shift_start):
            raise ModelError(f"vehicle {self.id}: shift_start must be a time like \"08:00\", "
                             f"got {self.shift_start!r}")

    def count_for(self, parcels: int, *, stops: int = 0) -> int:
        """Vehicles for ``parcels`` a day at ``stops`` villages:
        ``ceil(max(parcels / capacity, stops / stops_per_route) * slack)``, at least ``minimum``.
        """
        need = parcels / self.capacity_parcels
        if self.stops_per_route is not None:
            need = max(need, stops / self.stops_per_route)
        return max(self.minimum, math.ceil(need * self.slack))

    def rule(self, *, villages: bool = True) -> str:
        """:meth:`count_for` in words, for the comments of a built scenario file (without the
        villages' part when ``villages`` is false: a fleet sized by its parcels alone)."""
        need = f"parcels / {self.capacity_parcels}"
        if villages and self.stops_per_route is not None:
            need = f"max({need}, villages / {self.stops_per_route:g})"
        return f"ceil({need} x {self.slack:g}), at least {self.minimum}"

    def vehicle_type(self, *, depot: str, count: int, type_id: str | None = None) -> VehicleType:
        """The scenario's vehicle type: ``count`` of these at ``depot``, as ``type_id`` if given."""
        hours, minutes = (int(part) for part in self.shift_start.split(":"))
        return VehicleType(
            id=type_id or self.id, name=self.name, kind=self.kind, depot=depot, count=count,
            capacity_parcels=self.capacity_parcels, capacity_kg=self.capacity_kg,
            shift_start_s=hours * 3600 + minutes * 60,
            max_duration_s=round(self.max_shift_h * 3600), max_speed_kmh=self.max_speed_kmh,
            avoid_roads=self.avoid_roads, max_trips=self.max_trips)


@dataclass(frozen=True)
class VanSpec(VehicleSpec):
    """The default vehicle: a light van, for the shared fleet and for every carrier's own.

    ``stops_per_route = 20``: a carrier's van carries only its share (a few parcels) to each
    village, so its 9-hour shift, not its 300 parcels, ends the route. On the Anhui tile its
    routes reached 26-33 villages on average (Guoyang, Yongcheng, Changfeng, Dingyuan, Panji;
    12-30 s solves); 20 leaves room for sparser counties and shorter solves. The shared
    fleet's vans carry ~25 parcels a village and fill up after ~12 villages, so for them the
    parcels rule binds and the count is ``ceil(parcels / 300 x 1.3)`` as before.
    """

    id: str = "light-van"
    name: str = "Light van (Wuling Rongguang class, ~5 m³)"
    kind: str = "van"
    capacity_parcels: int = 300
    capacity_kg: int = 800
    stops_per_route: float | None = 20.0


#: The light van of the shared fleet and of the carriers (:class:`VanSpec` defaults).
LIGHT_VAN = VanSpec()

#: The relay's trunk truck, sized to the county's parcels (at least two).
TRUNK_TRUCK = VehicleSpec(
    id="trunk-truck", name="4.2 m light truck (relay trunk)", kind="truck",
    capacity_parcels=1200, capacity_kg=2500, shift_start="06:30", minimum=2, max_trips=2)

#: The relay's local vehicle, ``count_for`` the largest township catchment (at least two).
E_TRIKE = VehicleSpec(
    id="e-trike", name="Electric cargo tricycle (township station)", kind="tricycle",
    capacity_parcels=120, capacity_kg=400, shift_start="10:00", max_shift_h=8.0,
    max_speed_kmh=30.0, avoid_roads=("motorway", "motorway_link", "trunk", "trunk_link"),
    minimum=2)


@dataclass(frozen=True)
class Relay:
    """The township relay as built: trucks from the hub, tricycles at every station."""

    trunk_trucks: int
    trikes_per_station: int
    largest_catchment: str
    largest_catchment_parcels: int


def nearest_of(candidates: Sequence[Located], points: Sequence[Located]) -> list[int]:
    """Index into ``candidates`` of the nearest one (straight line, metres) to every point.

    Distances are taken in the UTM zone of the points' mean, so they are metric to < 0.1 %.
    """
    crs = utm_crs(float(np.mean([v.lon for v in points])),
                  float(np.mean([v.lat for v in points])))
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    sx, sy = to_xy.transform([s.lon for s in candidates], [s.lat for s in candidates])
    vx, vy = to_xy.transform([v.lon for v in points], [v.lat for v in points])
    dist = np.hypot(np.asarray(vx)[:, None] - np.asarray(sx)[None, :],
                    np.asarray(vy)[:, None] - np.asarray(sy)[None, :])
    return [int(k) for k in np.argmin(dist, axis=1)]


def relay_fleet(towns: Sequence[Place], stops: Sequence[Stop], *,
                trunk: VehicleSpec = TRUNK_TRUCK, trike: VehicleSpec = E_TRIKE) -> Relay:
    """Size the township relay: trucks for all parcels, tricycles for the busiest station.

    Each village is given to its nearest township seat in a straight line (the strategy uses
    tricycle travel time, which mostly agrees); every station gets as many tricycles as the
    station with the most parcels needs.
    """
    nearest = nearest_of(towns, stops)
    load = [0] * len(towns)
    for stop, k in zip(stops, nearest, strict=True):
        load[k] += stop.parcels
    busiest = max(range(len(towns)), key=lambda k: (load[k], -k))
    return Relay(trunk_trucks=trunk.count_for(sum(s.parcels for s in stops)),
                 trikes_per_station=trike.count_for(load[busiest]),
                 largest_catchment=towns[busiest].name,
                 largest_catchment_parcels=load[busiest])
