"""Build ready-to-solve scenario folders for any county (or a whole region) of an OSM extract.

* :mod:`~routing.builder.county` — villages, hubs, carriers and fleets of a county, written as a
  scenario folder;
* :mod:`~routing.builder.demand` — the seeded model of daily parcels and produce per village.
"""

from __future__ import annotations

from routing.builder.county import (
    DEFAULT_SEED,
    VanSpec,
    build_county_scenario,
    build_region_scenario,
    nearest_of,
)
from routing.builder.demand import (
    DemandModel,
    VillageDemand,
    split_by_share,
    village_demand,
    write_stops_csv,
)

__all__ = [
    "DEFAULT_SEED",
    "DemandModel",
    "VanSpec",
    "VillageDemand",
    "build_county_scenario",
    "build_region_scenario",
    "nearest_of",
    "split_by_share",
    "village_demand",
    "write_stops_csv",
]
