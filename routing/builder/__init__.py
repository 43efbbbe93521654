"""Build ready-to-solve scenario folders for any county (or a whole region) of an OSM extract.

* :mod:`~routing.builder.county` — villages, hubs, carriers and fleets of a county, assembled
  as a scenario and written by :func:`routing.inputs.write_scenario`;
* :mod:`~routing.builder.region` — every village of a file, from one hub per county seat;
* :mod:`~routing.builder.fleet` — the vehicles the builder writes and the rules that size fleets;
* :mod:`~routing.builder.extract` — the roads and boundary cut from the OSM extract;
* :mod:`~routing.builder.demand` — the seeded model of daily parcels and produce per village.
"""

from __future__ import annotations

from routing.builder.county import (
    BRANCH_RING_M,
    CARRIER_SHARES,
    DEFAULT_CARRIERS,
    DEFAULT_SEED,
    BuiltScenario,
    CarrierSpec,
    build_county_scenario,
    slug,
)
from routing.builder.demand import (
    DemandModel,
    VillageDemand,
    split_by_share,
    village_demand,
)
from routing.builder.extract import ATTRIBUTION, cut_roads
from routing.builder.fleet import (
    E_TRIKE,
    LIGHT_VAN,
    TRUNK_TRUCK,
    Relay,
    VanSpec,
    VehicleSpec,
    nearest_of,
    relay_fleet,
)
from routing.builder.region import build_region_scenario

__all__ = [
    "ATTRIBUTION",
    "BRANCH_RING_M",
    "CARRIER_SHARES",
    "DEFAULT_CARRIERS",
    "DEFAULT_SEED",
    "E_TRIKE",
    "LIGHT_VAN",
    "TRUNK_TRUCK",
    "BuiltScenario",
    "CarrierSpec",
    "DemandModel",
    "Relay",
    "VanSpec",
    "VehicleSpec",
    "VillageDemand",
    "build_county_scenario",
    "build_region_scenario",
    "cut_roads",
    "nearest_of",
    "relay_fleet",
    "slug",
    "split_by_share",
    "village_demand",
]
