"""Road-following route lines (EPSG:4326) for maps and route sheets.

Each leg is drawn along the fastest road path, the one :func:`geodata.matrices.travel_matrices`
measures (same :func:`geodata.matrices.path_weight`, same tie-break), so a leg's line is as long
as its matrix distance and the map shows the road the schedule drives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from geodata.errors import ModelError, NetworkError
from geodata.matrices import fastest_csr
from geodata.roads import RoadNetwork
from geodata.snapping import Snap

#: Metres per degree of latitude, to turn a metric tolerance into degrees for display.
_M_PER_DEGREE = 111_320.0


def route_geometry(
    network: RoadNetwork, snaps: Mapping[str, Snap], sequence: Sequence[str]
) -> shapely.LineString:
    """Return the line a vehicle drives visiting ``sequence`` in order, along the roads.

    Each leg runs from the location straight to its road node, along the fastest road path
    (the one both travel matrices count), and straight on to the next location. Pass the
    network of the vehicle's profile (:func:`geodata.profiles.profile_network`) for a vehicle
    that has one, so the line is the path its own matrices measure.

    Parameters
    ----------
    network
        The network returned by :func:`geodata.snapping.snap_points` with ``snaps``.
    snaps
        Location id -> snap.
    sequence
        Location ids in visiting order, e.g. ``[depot, s1, s2, depot]``.

    Returns
    -------
    shapely.LineString
        ``(lon, lat)`` coordinates, starting at the first location and ending at the last,
        without repeated consecutive vertices.

    Raises
    ------
    ModelError
        ``sequence`` has fewer than two ids, or an id has no snap.
    NetworkError
        Some leg has no road path (cannot happen within one strongly connected graph).
    """
    if len(sequence) < 2:
        raise ModelError(f"route sequence {list(sequence)!r} needs at least two locations")
    return route_geometries(network, snaps, {"route": sequence})["route"]


def route_geometries(
    network: RoadNetwork,
    snaps: Mapping[str, Snap],
    sequences: Mapping[str, Sequence[str]],
    *,
    first_radius_s: float = 600.0,
) -> dict[str, shapely.LineString]:
    """Return :func:`route_geometry` of many routes at once, keyed like ``sequences``.

    The same lines, built for a region: the road matrix is made once, and each leg's path comes
    from a Dijkstra run bounded to a travel time (``first_radius_s``, quadrupled until every leg
    from that location is reached), so a leg between neighbouring villages explores a few
    thousand nodes instead of the whole tile. Within its bound a Dijkstra run is exact, so the
    paths are those of an unbounded run.

    Raises
    ------
    ModelError
        A sequence has fewer than two ids, or an id has no snap.
    NetworkError
        Some leg has no road path.
    """
    for key, sequence in sequences.items():
        if len(sequence) < 2:
            raise ModelError(f"route {key}: sequence {list(sequence)!r} needs two locations")
        unknown = [i for i in sequence if i not in snaps]
        if unknown:
            raise ModelError(f"route {key}: no snapped location {unknown[0]!r}")
    graph = network.graph
    nodes, matrix = fastest_csr(graph)
    lon = np.array([graph.nodes[n]["lon"] for n in nodes.tolist()])
    lat = np.array([graph.nodes[n]["lat"] for n in nodes.tolist()])
    where = {loc: int(np.searchsorted(nodes, snaps[loc].node))
             for seq in sequences.values() for loc in seq}
    targets: dict[int, set[int]] = {}
    for seq in sequences.values():
        for a, b in pairwise(seq):
            targets.setdefault(where[a], set()).add(where[b])
    predecessors: dict[int, np.ndarray] = {}
    for start, ends in targets.items():
        radius = first_radius_s
        wanted = np.fromiter(ends, dtype=np.int64)
        while True:
            # One source as a one-row batch: scipy-stubs type ``indices`` as arrays only.
            dists, preds = dijkstra(matrix, directed=True, indices=[start],
                                    return_predecessors=True, limit=radius)
            dist, pred = dists[0], preds[0]
            if np.isfinite(dist[wanted]).all() or not np.isfinite(radius):
                break
            radius = radius * 4 if radius < 1e6 else np.inf
        predecessors[start] = pred
    lines = {}
    for key, seq in sequences.items():
        coords: list[tuple[float, float]] = []
        for a, b in pairwise(seq):
            path = _walk_back(predecessors[where[a]], where[a], where[b])
            if path is None:
                raise NetworkError(f"{network.source}: no road path from {a} to {b}")
            coords.append((snaps[a].lon, snaps[a].lat))
            coords.extend(zip(lon[path].tolist(), lat[path].tolist(), strict=True))
        coords.append((snaps[seq[-1]].lon, snaps[seq[-1]].lat))
        xy = np.array(coords)
        xy = xy[np.r_[True, (np.diff(xy, axis=0) != 0).any(axis=1)]]
        lines[key] = shapely.LineString(np.vstack([xy, xy]) if len(xy) == 1 else xy)
    return lines


def simplify_for_display(
    line: shapely.LineString, *, tolerance_m: float = 5.0
) -> shapely.LineString:
    """Drop vertices that change the line by less than about ``tolerance_m``, for light maps.

    Parameters
    ----------
    line
        A ``(lon, lat)`` line such as :func:`route_geometry` returns.
    tolerance_m
        Tolerance in metres, turned into degrees of latitude; along longitude it is a bit
        stricter away from the equator, which only keeps a few more vertices.

    Returns
    -------
    shapely.LineString
        The simplified line, same first and last vertex.
    """
    return shapely.simplify(line, tolerance_m / _M_PER_DEGREE, preserve_topology=False)


def _walk_back(predecessors: np.ndarray, start: int, end: int) -> np.ndarray | None:
    """Return node positions from ``start`` to ``end`` from a Dijkstra predecessor row."""
    path = [end]
    while path[-1] != start:
        previous = int(predecessors[path[-1]])
        if previous < 0:
            return None
        path.append(previous)
    return np.array(path[::-1])


@lru_cache(maxsize=4)
def road_lines(network: RoadNetwork, *,
               classes: tuple[str, ...]) -> tuple[shapely.LineString, ...]:
    """Merged lon/lat lines of the roads of the given highway ``classes``, for drawing maps.

    Each road segment is drawn once (a two-way road has an edge each way), and touching segments
    are merged into longer lines so a map holds few, long polylines. Cached per network, so
    several maps of one scenario merge the roads once.
    """
    wanted = set(classes)
    seen: set[tuple[int, int]] = set()
    segments = []
    nodes = network.graph.nodes
    highway: str | None
    for u, v, highway in network.graph.edges(data="highway"):
        key = (min(u, v), max(u, v))
        if highway not in wanted or key in seen:
            continue
        seen.add(key)
        segments.append(((nodes[u]["lon"], nodes[u]["lat"]), (nodes[v]["lon"], nodes[v]["lat"])))
    if not segments:
        return ()
    merged = shapely.line_merge(shapely.MultiLineString(segments))
    return tuple(getattr(merged, "geoms", [merged]))
