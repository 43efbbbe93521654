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
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import ModelError, NetworkError
from geodata.matrices import path_weight
from geodata.roads import RoadArrays, RoadNetwork
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
    paths are those of an unbounded run. Only the legs' paths are kept from a run, not its
    node-sized rows: a region's ~1,800 starts would hold 1.5 GB of predecessor rows.

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
    roads = network.arrays
    matrix = _fastest_csr(roads)
    where = {loc: int(np.searchsorted(roads.node_id, snaps[loc].node))
             for seq in sequences.values() for loc in seq}
    targets: dict[int, set[int]] = {}
    for seq in sequences.values():
        for a, b in pairwise(seq):
            targets.setdefault(where[a], set()).add(where[b])
    paths = {(start, end): path for start, ends in targets.items()
             for end, path in _paths_from(matrix, start, sorted(ends), first_radius_s).items()}
    lines = {}
    for key, seq in sequences.items():
        coords: list[np.ndarray] = []
        for a, b in pairwise(seq):
            path = paths[where[a], where[b]]
            if path is None:
                raise NetworkError(f"{network.source}: no road path from {a} to {b}")
            coords += [np.array([[snaps[a].lon, snaps[a].lat]]),
                       np.column_stack([roads.lon[path], roads.lat[path]])]
        coords.append(np.array([[snaps[seq[-1]].lon, snaps[seq[-1]].lat]]))
        xy = np.vstack(coords)
        xy = xy[np.r_[True, (np.diff(xy, axis=0) != 0).any(axis=1)]]
        lines[key] = shapely.LineString(np.vstack([xy, xy]) if len(xy) == 1 else xy)
    return lines


def _fastest_csr(roads: RoadArrays) -> csr_matrix:
    """The :func:`~geodata.matrices.path_weight` adjacency of ``roads`` as a CSR.

    Row/column ``k`` is node ``roads.node_id[k]``. Of parallel edges the least weight is kept
    (a CSR built from COO would sum them); columns are sorted within each row, as
    :func:`geodata.matrices.fastest_csr` builds it, so Dijkstra breaks ties the same way.
    """
    n = roads.node_id.size
    weight = path_weight(roads.length_m, roads.time_s)
    order = np.lexsort((weight, roads.v, roads.u))
    pair = roads.u[order] * n + roads.v[order]
    first = order[np.r_[True, pair[1:] != pair[:-1]][: pair.size]]
    indptr = np.r_[0, np.cumsum(np.bincount(roads.u[first], minlength=n))]
    # Explicit zeros stay edges in csgraph, so zero-length pieces are safe here.
    return csr_matrix((weight[first], roads.v[first], indptr), shape=(n, n))


def _paths_from(matrix: csr_matrix, start: int, ends: Sequence[int],
                first_radius_s: float) -> dict[int, np.ndarray | None]:
    """Node positions of the fastest path from ``start`` to each of ``ends`` (None: none).

    Dijkstra runs bounded to ``first_radius_s``, quadrupled until every end is reached; only
    the paths are kept, not the run's node-sized arrays (a region has ~2,000 starts).
    """
    radius = first_radius_s
    wanted = np.asarray(ends, dtype=np.int64)
    while True:
        # One source as a one-row batch: scipy-stubs type ``indices`` as arrays only.
        dists, preds = dijkstra(matrix, directed=True, indices=[start],
                                return_predecessors=True, limit=radius)
        if np.isfinite(dists[0, wanted]).all() or not np.isfinite(radius):
            break
        radius = radius * 4 if radius < 1e6 else np.inf
    return {end: _walk_back(preds[0], start, end) for end in ends}


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
    roads = network.arrays
    drawn = roads.highway_in(classes)
    u, v = roads.u[drawn], roads.v[drawn]
    # Each segment once, the way its first edge runs (a two-way road has an edge each way).
    first = np.sort(np.unique(np.minimum(u, v) * roads.node_id.size + np.maximum(u, v),
                              return_index=True)[1])
    if not first.size:
        return ()
    ends = np.stack([u[first], v[first]], axis=1)
    segments = np.asarray(
        shapely.linestrings(np.stack([roads.lon[ends], roads.lat[ends]], axis=-1)))
    merged = shapely.line_merge(shapely.multilinestrings(segments))
    return tuple(getattr(merged, "geoms", [merged]))
