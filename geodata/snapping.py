"""Snap locations (villages, depots) onto the road graph at the nearest point of the nearest road.

Rural villages often lie hundreds of metres from the nearest mapped road, and the
nearest road *node* can be far along that road. So a point is joined to the exact
nearest point on an edge, which becomes a virtual node splitting the edge.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pyproj
import shapely

from geodata.errors import ModelError, NetworkError
from geodata.roads import RoadArrays, RoadNetwork

#: Highway classes a location cannot be joined to: a van cannot stop on a motorway or a
#: (usually one-way) slip road beside a village, it has to come by the local road.
NO_STOPPING_HIGHWAYS: frozenset[str] = frozenset(
    {"motorway", "motorway_link", "trunk_link", "primary_link", "secondary_link",
     "tertiary_link"}
)


@dataclass(frozen=True)
class Snap:
    """Where a location joins the road network.

    Attributes
    ----------
    id
        The location id the snap belongs to.
    lon, lat
        The location itself (EPSG:4326), not the snapped point.
    node
        The graph node the location enters the road network at: an existing OSM node or a
        virtual (negative id) node splitting the nearest edge.
    access_m
        Straight-line metres from the location to ``node``, travelled off the mapped roads.
    outside_component
        True when a drivable road fragment outside the largest strongly connected component
        lies nearer than the road snapped to: the snap had to go further, to a usable road.
        Worth a look on the map (a missing link in OSM, or a one-way mapped wrongly).
    """

    id: str
    lon: float
    lat: float
    node: int
    access_m: float
    outside_component: bool


def snap_points(
    network: RoadNetwork,
    points: Mapping[str, tuple[float, float]],
    *,
    node_tolerance_m: float = 1.0,
    max_access_m: float | None = None,
    skip_highways: Collection[str] = NO_STOPPING_HIGHWAYS,
) -> tuple[RoadNetwork, dict[str, Snap]]:
    """Snap each point to the nearest point on the nearest edge, splitting that edge there.

    Parameters
    ----------
    network
        The network to snap to; it is not modified.
    points
        Location id -> ``(lon, lat)`` in EPSG:4326.
    node_tolerance_m
        A snapped point this close to an edge end (or to another snapped point on the same
        edge) reuses that node instead of adding a virtual one, so no near-zero edges appear.
    max_access_m
        When given, a point farther than this from every road raises :class:`NetworkError`.
    skip_highways
        Highway classes a location may not join, see :data:`NO_STOPPING_HIGHWAYS`. An edge
        pair is skipped only when every edge between its two nodes is of these classes.

    Returns
    -------
    tuple of RoadNetwork and dict of str to Snap
        A new network with the virtual nodes inserted (ids ``-1``, ``-2``, ... below any
        existing negative id, numbered in input order), and the snaps keyed by id in input
        order; with no points, ``network`` itself. Each split edge (and its reverse and any parallel
        edge) becomes a chain whose lengths and times add up to the original.

    Raises
    ------
    ModelError
        A coordinate is not a finite lon/lat.
    NetworkError
        The graph has no edge to snap to, or a point is farther than ``max_access_m`` from any road.
    """
    roads = network.arrays
    pairs, lines = _edge_segments(roads, frozenset(skip_highways))
    if not len(pairs):
        raise NetworkError(f"{network.source}: the road network has no road to snap to")
    ids = list(points)
    lonlat = np.array([points[i] for i in ids], dtype=float).reshape(-1, 2)
    bad = ~(np.isfinite(lonlat).all(axis=1) & (np.abs(lonlat[:, 0]) <= 180)
            & (np.abs(lonlat[:, 1]) <= 90))
    if bad.any():
        first = ids[int(np.flatnonzero(bad)[0])]
        raise ModelError(f"point {first}: {points[first]!r} is not a (lon, lat) in degrees")
    if not ids:
        return network, {}

    to_xy = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    px, py = to_xy.transform(lonlat[:, 0], lonlat[:, 1])
    pts = shapely.points(px, py)

    seg, dist = _nearest(shapely.STRtree(lines), pts)
    outside = np.zeros(len(ids), dtype=bool)
    if len(network.fragment_lines):
        _, frag_dist = _nearest(shapely.STRtree(network.fragment_lines), pts)
        outside = frag_dist < dist
    if max_access_m is not None and (dist > max_access_m).any():
        far = int(np.argmax(dist))
        raise NetworkError(
            f"point {ids[far]}: nearest road is {dist[far]:.0f} m away "
            f"(more than max_access_m={max_access_m:g})"
        )

    along = shapely.line_locate_point(lines[seg], pts)
    seg_len = shapely.length(lines[seg])
    node_of, new_nodes = _place_nodes(roads, pairs, seg, along, seg_len, node_tolerance_m)
    snapped = _add_nodes(roads, network.crs, new_nodes, lines)
    if new_nodes:
        snapped = _split_edges(snapped, _chains(pairs, seg, along, seg_len, node_of, new_nodes))

    at = snapped.positions(node_of)
    access = np.hypot(snapped.x[at] - px, snapped.y[at] - py)
    snaps = {
        pid: Snap(pid, float(lonlat[k, 0]), float(lonlat[k, 1]), int(node_of[k]),
                  float(access[k]), bool(outside[k]))
        for k, pid in enumerate(ids)
    }
    return network.with_arrays(snapped), snaps


def _edge_segments(
    roads: RoadArrays, skip_highways: frozenset[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the undirected node id pairs ``(a < b)`` with an edge not in ``skip_highways``.

    Also returns their LineStrings, in the same order.
    """
    usable = ~roads.highway_in(skip_highways)
    ends = np.column_stack([roads.node_id[roads.u[usable]], roads.node_id[roads.v[usable]]])
    pairs = np.unique(np.sort(ends.reshape(-1, 2), axis=1), axis=0)
    at = np.searchsorted(roads.node_id, pairs)
    coords = np.stack([roads.x[at], roads.y[at]], axis=-1)
    return pairs, np.asarray(shapely.linestrings(coords))


def _nearest(tree: shapely.STRtree, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per point, the nearest geometry's index (lowest on ties) and its distance."""
    (which, index), dist = tree.query_nearest(pts, return_distance=True, all_matches=True)
    order = np.lexsort((index, which))
    first = np.unique(which[order], return_index=True)[1]
    chosen = order[first]
    return index[chosen], dist[chosen]


#: A virtual node per point placed inside an edge pair: its id -> (segment, metres along it).
_NewNodes = dict[int, tuple[int, float]]


def _place_nodes(
    roads: RoadArrays,
    pairs: np.ndarray,
    seg: np.ndarray,
    along: np.ndarray,
    seg_len: np.ndarray,
    tolerance_m: float,
) -> tuple[list[int], _NewNodes]:
    """Choose the entry node of every point: an edge end, or a new virtual node on the edge.

    Returns the node per point, in input order, and the virtual nodes to add.
    """
    node_of: list[int] = [0] * len(seg)
    start = pairs[seg, 0]
    end = pairs[seg, 1]
    at_start = along <= tolerance_m
    at_end = ~at_start & (seg_len - along <= tolerance_m)
    for k in np.flatnonzero(at_start).tolist():
        node_of[k] = int(start[k])
    for k in np.flatnonzero(at_end).tolist():
        node_of[k] = int(end[k])

    inner = np.flatnonzero(~at_start & ~at_end)
    next_id = min(0, int(roads.node_id.min())) - 1
    new_nodes: _NewNodes = {}
    for k in inner.tolist():
        same = inner[(seg[inner] == seg[k]) & (np.abs(along[inner] - along[k]) <= tolerance_m)]
        first = int(same.min())
        if first != k:
            node_of[k] = node_of[first]
            continue
        node_of[k] = next_id
        new_nodes[next_id] = (int(seg[k]), float(along[k]))
        next_id -= 1
    return node_of, new_nodes


def _add_nodes(roads: RoadArrays, crs: pyproj.CRS, new_nodes: _NewNodes,
               lines: np.ndarray) -> RoadArrays:
    """``roads`` with the virtual nodes added at their points on their segments (no edges)."""
    if not new_nodes:
        return roads
    where = np.array([s for s, _ in new_nodes.values()])
    points = shapely.line_interpolate_point(lines[where], [d for _, d in new_nodes.values()])
    vx, vy = shapely.get_x(points), shapely.get_y(points)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    vlon, vlat = to_lonlat.transform(vx, vy)
    ids = np.concatenate([roads.node_id, np.fromiter(new_nodes, dtype=np.int64)])
    order = np.argsort(ids, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return replace(
        roads, node_id=ids[order],
        x=np.concatenate([roads.x, vx])[order], y=np.concatenate([roads.y, vy])[order],
        lon=np.concatenate([roads.lon, vlon])[order],
        lat=np.concatenate([roads.lat, vlat])[order],
        u=rank[roads.u], v=rank[roads.v])


#: Per split edge pair ``(a, b)`` (ids, ``a < b``): its inner nodes and their fractions from a.
_Chains = dict[tuple[int, int], tuple[list[int], list[float]]]


def _chains(pairs: np.ndarray, seg: np.ndarray, along: np.ndarray, seg_len: np.ndarray,
            node_of: list[int], new_nodes: _NewNodes) -> _Chains:
    """The chain of virtual nodes each split edge pair becomes, in order from its first end."""
    pieces: dict[int, list[tuple[float, int]]] = {}
    for k, node in enumerate(node_of):
        if node in new_nodes:
            chain = pieces.setdefault(int(seg[k]), [])
            if all(other != node for _, other in chain):
                chain.append((float(along[k] / seg_len[k]), node))
    chains: _Chains = {}
    for s, chain in pieces.items():
        chain.sort()
        chains[int(pairs[s, 0]), int(pairs[s, 1])] = ([n for _, n in chain], [f for f, _ in chain])
    return chains


def _split_edges(roads: RoadArrays, chains: _Chains) -> RoadArrays:
    """Replace every edge between a split pair's ends, either way, by a chain through its nodes.

    Length and time are split in proportion (the edge is straight and of uniform speed), and
    ``highway`` and ``way_id`` are copied onto each piece.
    """
    eu, ev = roads.node_id[roads.u], roads.node_id[roads.v]
    lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
    ends = np.array(list(chains), dtype=np.int64).reshape(-1, 2)
    maybe = np.flatnonzero(np.isin(lo, ends[:, 0]) & np.isin(hi, ends[:, 1]))
    split = [e for e in maybe.tolist() if (int(lo[e]), int(hi[e])) in chains]
    p: list[int] = []
    q: list[int] = []
    share: list[float] = []
    source: list[int] = []
    for e in split:
        a, b = int(lo[e]), int(hi[e])
        inner, fractions = chains[a, b]
        nodes, steps = [a, *inner, b], [0.0, *fractions, 1.0]
        if int(eu[e]) != a:
            nodes, steps = nodes[::-1], [1.0 - f for f in steps[::-1]]
        p += nodes[:-1]
        q += nodes[1:]
        share += np.diff(steps).tolist()
        source += [e] * (len(nodes) - 1)
    keep = np.ones(eu.size, dtype=bool)
    keep[split] = False
    cut = np.array(source, dtype=np.int64)
    parts = np.array(share)
    return replace(
        roads,
        u=np.concatenate([roads.u[keep], roads.positions(p)]),
        v=np.concatenate([roads.v[keep], roads.positions(q)]),
        length_m=np.concatenate([roads.length_m[keep], roads.length_m[cut] * parts]),
        time_s=np.concatenate([roads.time_s[keep], roads.time_s[cut] * parts]),
        highway=np.concatenate([roads.highway[keep], roads.highway[cut]]),
        way_id=np.concatenate([roads.way_id[keep], roads.way_id[cut]]))
