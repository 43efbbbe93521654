"""A scenario placed on its roads: read the roads, snap every place, compute travel matrices.

Each step is timed (:class:`~routing.pipeline.timings.Timings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geodata import (
    DEFAULT_SPEEDS_KMH,
    NO_STOPPING_HIGHWAYS,
    UNREACHABLE,
    RoadNetwork,
    Snap,
    TravelMatrices,
    county_of,
    load_counties,
    profile_network,
    read_boundary,
    read_road_network,
    snap_points,
    travel_matrices,
)
from routing.core import DEFAULT_PROFILE, Depot, InputError, Stop, has_load
from routing.inputs import Scenario
from routing.pipeline.timings import Timings
from routing.solving import assign, decomposes_size, neighbour_pairs


@dataclass(frozen=True, eq=False)
class Geography:
    """A scenario placed on its roads: the graph, every location's snap and the travel matrices."""

    network: RoadNetwork
    snaps: dict[str, Snap]
    matrices: TravelMatrices
    too_far: dict[str, str]
    notes: tuple[str, ...]
    profiles: dict[str, TravelMatrices] = field(default_factory=dict)
    #: Each restricted travel profile's own road network and snaps, which its matrices and so
    #: its drawn routes follow.
    profile_roads: dict[str, tuple[RoadNetwork, dict[str, Snap]]] = field(default_factory=dict)
    #: The county (``[network] counties``) each depot, station and village lies in; a place
    #: in none is absent. A decomposed solve clusters villages by it.
    county_of: dict[str, str] = field(default_factory=dict)

    def roads_for(self, profile: str) -> tuple[RoadNetwork, dict[str, Snap]]:
        """The road network and snaps a vehicle of travel ``profile`` drives on."""
        return self.profile_roads.get(profile, (self.network, self.snaps))


def locate(scenario: Scenario, *, timings: Timings, cache_dir: Path | None = None,
           extra: Sequence[Depot] = (), decompose: bool | None = None) -> Geography:
    """Read the roads, snap depots, stations and stops, and compute the travel matrices.

    A scenario whose one problem will be solved by parts (``decompose``,
    :func:`decomposed_pairs`) gets matrices restricted to the pairs that can share a route.
    """
    with timings.step("read roads"):
        speeds = {**DEFAULT_SPEEDS_KMH, **scenario.network.speeds_kmh}
        boundary = (read_boundary(scenario.network.boundary)
                    if scenario.network.boundary else None)
        network = read_road_network(scenario.network.osm, speeds_kmh=speeds, boundary=boundary)
    places: tuple[Depot | Stop, ...] = (*scenario.depots, *scenario.stations, *extra,
                                        *scenario.stops)
    points = {loc.id: (loc.lon, loc.lat) for loc in places}
    with timings.step("snap"):
        roads = network
        network, snaps = snap_points(roads, points)
    limit = scenario.network.max_access_m
    stop_ids = {s.id for s in scenario.stops}
    too_far = {
        sid: (f"no drivable road within {limit / 1000:g} km (nearest is "
              f"{snap.access_m / 1000:.1f} km away): map the village road in OSM or raise "
              f"network.max_access_m")
        for sid, snap in snaps.items() if sid in stop_ids and snap.access_m > limit}
    for depot in (*scenario.depots, *extra):
        if snaps[depot.id].access_m > limit:
            raise InputError(scenario.path, f"depots {depot.id}", f"no drivable road within "
                             f"{limit / 1000:g} km; move the depot onto the road network")
    counties = (county_of(points, load_counties(scenario.network.counties))
                if scenario.network.counties else {})
    with timings.step("matrices"):
        pairs = decomposed_pairs(scenario, network, snaps, counties, decompose=decompose,
                                 cache_dir=cache_dir)
        matrices = travel_matrices(network, snaps, cache_dir=cache_dir, pairs=pairs)
        profiles = {}
        profile_roads = {}
        for vt in scenario.vehicle_types:
            if vt.profile != DEFAULT_PROFILE and vt.profile not in profiles:
                # A vehicle that avoids some roads joins the network at its own nearest road.
                restricted = profile_network(roads, max_speed_kmh=vt.max_speed_kmh,
                                             avoid_roads=vt.avoid_roads)
                restricted, own_snaps = snap_points(
                    restricted, points,
                    skip_highways=NO_STOPPING_HIGHWAYS | set(vt.avoid_roads))
                profiles[vt.profile] = travel_matrices(restricted, own_snaps,
                                                       cache_dir=cache_dir,
                                                       allow_unreachable=True)
                profile_roads[vt.profile] = (restricted, own_snaps)
    notes = []
    fragments = sum(1 for sid in stop_ids if snaps[sid].outside_component)
    if fragments:
        notes.append(f"{fragments} villages lie nearest a road fragment cut off from the main "
                     f"network; they were joined to the nearest connected road instead")
    dropped = len(network.outside_nodes)
    notes.append(f"road graph: {network.nodes_total - dropped:,} of {network.nodes_total:,} "
                 f"drivable nodes in the largest strongly connected component, "
                 f"{len(snaps):,} places snapped onto it")
    if matrices.restricted:
        notes.append(_restricted_note(matrices, stop_ids))
    return Geography(network, snaps, matrices, too_far, tuple(notes), profiles, profile_roads,
                     dict(counties))


def _restricted_note(matrices: TravelMatrices, stop_ids: set[str]) -> str:
    """How many village pairs restricted matrices computed (the rest hold the no-road value)."""
    rows = [i for i, loc in enumerate(matrices.ids) if loc in stop_ids]
    known = int((matrices.duration_s[np.ix_(rows, rows)] < UNREACHABLE).sum()) - len(rows)
    return (f"travel matrices between villages only where they can share a route once "
            f"decomposed (own and neighbouring hubs' clusters): {known:,} of "
            f"{len(rows) * (len(rows) - 1):,} village pairs")


def decomposed_pairs(scenario: Scenario, network: RoadNetwork, snaps: Mapping[str, Snap],
                     counties: Mapping[str, str], *, decompose: bool | None,
                     cache_dir: Path | None) -> dict[str, set[str]] | None:
    """The village pairs whose travel times a decomposed solve needs, or None for all.

    Only a scenario whose one routing problem is the shared fleet's (no carriers, no stations:
    a region) and that is solved by parts (:func:`decomposes_size`) is restricted. Its villages
    are clustered by the decomposition's own rule (:func:`assign`, on depot rows computed first)
    and each village keeps the pairs with its own and its neighbouring hubs' clusters
    (:func:`neighbour_pairs`); depots keep full rows and columns.
    """
    if scenario.carriers or scenario.stations:
        return None
    fleet = scenario.shared_fleet()
    depots = scenario.depots_of(fleet.vehicles)
    stops = [s for s in scenario.stops if has_load(s)]
    if not decomposes_size(len(depots), len(stops), decompose):
        return None
    rows = travel_matrices(network, snaps, cache_dir=cache_dir,
                           pairs={s.id: () for s in scenario.stops})
    where = {loc: i for i, loc in enumerate(rows.ids)}
    d_rows = [where[d.id] for d in depots]
    s_rows = [where[s.id] for s in stops]
    out_s = rows.duration_s[np.ix_(d_rows, s_rows)]
    back_s = rows.duration_s[np.ix_(s_rows, d_rows)].T
    types = [scenario.vehicle_type_by_id[v] for v in fleet.vehicles]
    owner = assign(depots, stops, types, out_s=out_s, back_s=back_s, regions=counties)
    pairs: dict[str, set[str]] = {s.id: set() for s in scenario.stops}
    pairs.update(neighbour_pairs(owner, out_s, back_s, [d.id for d in depots],
                                 [s.id for s in stops]))
    return pairs
