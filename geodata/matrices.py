"""All-pairs road distance and travel-time matrices between snapped locations.

Entry ``(i, j)`` is the access leg from location ``i`` to its road node, the fastest road
path to ``j``'s node, and ``j``'s access leg. Distance and duration are both measured along
that one path, as OSRM and VROOM report them, so the kilometres (and per-km cost, CO2) are
those of the path the schedule drives and the map draws (:mod:`geodata.geometry` picks the
same path). One multi-source Dijkstra run on the travel times gives each source's tree of
fastest paths; lengths and times are then summed along the tree.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import ModelError, NetworkError
from geodata.roads import RoadNetwork, gc_paused
from geodata.snapping import Snap

#: Speed (km/h) on the access leg between a location and its road node. That leg is the
#: unmapped village lane or farm track OSM lacks (median ~200 m, p90 ~1 km in Guoyang):
#: a van crawls along it, so it is slower than any mapped road class but for living streets.
ACCESS_SPEED_KMH = 15.0

#: Bump when the matrix computation changes, so stale cache files are not reused.
#: 2: distances along the fastest path instead of the shortest one.
CACHE_VERSION = 2

#: Seconds added per metre to an edge's travel time when choosing a path: among paths equally
#: fast the shorter one wins, so the matrices and the map line agree on the same path. It moves
#: a 100 km leg's choice by at most 0.1 s, well under the seconds the matrices are rounded to.
TIE_BREAK_S_PER_M = 1e-6

#: Sources per Dijkstra call: bounds memory to ``chunk x nodes`` floats on large graphs.
_SOURCE_CHUNK = 64


@dataclass(frozen=True, eq=False)
class TravelMatrices:
    """Square matrices over ``ids``, zero on the diagonal.

    Attributes
    ----------
    ids
        Location ids, the row and column order.
    distance_m
        int64 metres, rounded, along the fastest path (ties: the shorter).
    duration_s
        int64 seconds, rounded, along the same path.
    """

    ids: tuple[str, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray


@overload
def path_weight(length_m: np.ndarray, time_s: np.ndarray) -> np.ndarray: ...
@overload
def path_weight(length_m: float, time_s: float) -> float: ...
def path_weight(
    length_m: np.ndarray | float, time_s: np.ndarray | float
) -> np.ndarray | float:
    """Return the weight fastest paths minimise: travel time, ties broken by length.

    See :data:`TIE_BREAK_S_PER_M`; the matrices and the route lines both use it.
    """
    return time_s + TIE_BREAK_S_PER_M * length_m


def fastest_csr(graph: nx.MultiDiGraph[int]) -> tuple[np.ndarray, csr_matrix]:
    """Return the graph's sorted node ids and its :func:`path_weight` adjacency as a CSR.

    Parallel edges keep their minimum weight: building a CSR from COO would sum them.

    Parameters
    ----------
    graph
        A road graph (see :class:`geodata.roads.RoadNetwork`).

    Returns
    -------
    tuple of numpy.ndarray and scipy.sparse.csr_matrix
        Row/column ``k`` of the matrix is node ``nodes[k]``.
    """
    nodes, u, v, (length, time) = _edge_arrays(graph, ("length_m", "time_s"))
    matrix, _ = _pick_csr(nodes.size, u, v, [path_weight(length, time)])
    return nodes, matrix


#: Distance (m) and duration (s) entered for a pair with no road path, when allowed: larger than
#: any shift, so no route can use it and the stop is reported as unreachable.
UNREACHABLE = 10_000_000


def travel_matrices(
    network: RoadNetwork,
    snaps: Mapping[str, Snap],
    *,
    access_speed_kmh: float = ACCESS_SPEED_KMH,
    cache_dir: Path | None = None,
    allow_unreachable: bool = False,
) -> TravelMatrices:
    """Compute the distance and duration matrices between snapped locations.

    Parameters
    ----------
    network
        The network returned by :func:`geodata.snapping.snap_points` with ``snaps``.
    snaps
        Location id -> snap; the matrix order is the mapping's order.
    access_speed_kmh
        Speed on the access legs, see :data:`ACCESS_SPEED_KMH`.
    cache_dir
        When given, results are stored there as ``.npz`` keyed by a sha256 of the graph
        content, the snaps and the access speed, and reused on the next identical call.
    allow_unreachable
        Fill pairs with no road path with :data:`UNREACHABLE` instead of raising; for restricted
        vehicle profiles (a tricycle off trunk roads) that never need to make some trips.

    Returns
    -------
    TravelMatrices

    Raises
    ------
    ModelError
        ``access_speed_kmh`` is not a positive number.
    NetworkError
        A snap's node is not in the graph, or some pair is unreachable.
    """
    if not (math.isfinite(access_speed_kmh) and access_speed_kmh > 0):
        raise ModelError(f"access_speed_kmh: {access_speed_kmh!r} is not a positive km/h")
    ids = tuple(snaps)
    with gc_paused():
        nodes, u, v, (length, time) = _edge_arrays(network.graph, ("length_m", "time_s"))
    snap_nodes = np.array([snaps[i].node for i in ids], dtype=np.int64)
    where = np.searchsorted(nodes, snap_nodes)
    missing = ~np.isin(snap_nodes, nodes)
    if missing.any():
        pid = ids[int(np.flatnonzero(missing)[0])]
        raise NetworkError(
            f"snap {pid}: node {snaps[pid].node} is not in the road graph "
            "(pass the network returned by snap_points)"
        )

    cache = None
    if cache_dir is not None:
        key = _cache_key(network, nodes, u, v, length, time, snaps, access_speed_kmh)
        cache = Path(cache_dir) / f"travel-matrices-{key[:32]}.npz"
        cached = _load(cache, ids)
        if cached is not None:
            return cached

    access = np.array([snaps[i].access_m for i in ids], dtype=float)
    access_s = access / (access_speed_kmh / 3.6)
    size, cu, cv, weights, position = contract_chains(
        nodes.size, u, v, [path_weight(length, time), length, time], terminals=where)
    road_m, road_s = _fastest_paths(size, cu, cv, weights, position[where])
    unreachable = ~np.isfinite(road_m)
    if unreachable.any() and allow_unreachable:
        road_m[unreachable] = road_s[unreachable] = UNREACHABLE
        cache = None
    elif unreachable.any():
        i, j = np.argwhere(unreachable)[0]
        raise NetworkError(
            f"{network.source}: no road path from {ids[i]} to {ids[j]} "
            f"({int(unreachable.sum())} unreachable pairs)"
        )
    result = TravelMatrices(
        ids=ids,
        distance_m=_with_access(road_m, access),
        duration_s=_with_access(road_s, access_s),
    )
    if cache is not None:
        _store(cache, result)
    return result


def _edge_arrays(
    graph: nx.MultiDiGraph[int], weights: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return sorted node ids, edge source/target positions and edge weights as arrays."""
    nodes = np.sort(np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes()))
    edges = list(graph.edges(data=True))
    ends = np.array([(a, b) for a, b, _ in edges], dtype=np.int64).reshape(-1, 2)
    values = [np.array([d[w] for _, _, d in edges], dtype=float) for w in weights]
    return nodes, np.searchsorted(nodes, ends[:, 0]), np.searchsorted(nodes, ends[:, 1]), values


def contract_chains(
    n: int, u: np.ndarray, v: np.ndarray, weights: list[np.ndarray], *, terminals: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Replace every chain of two-neighbour nodes by one edge per direction, keeping paths.

    An unsimplified OSM graph is mostly chains of nodes that only bend a road: a node with
    exactly two distinct neighbours that is not a ``terminal`` is passed through by every
    path that uses it, so the chain between two junctions becomes one edge whose weights are
    the chain's sums. Of parallel edges, the one with the least first weight is kept (ties: the
    least second weight, and so on) and its other weights come with it, so they stay the
    weights of the path the first one picks. Shortest paths by the first weight between the
    remaining nodes are unchanged, and Dijkstra runs on ~4x fewer nodes.

    Parameters
    ----------
    n
        Number of nodes; ``u``, ``v`` are edge source/target positions in ``range(n)``.
    u, v
        Directed edges.
    weights
        One array per edge weight, each aligned with ``u``; the first one picks among
        parallel edges (e.g. :func:`path_weight`, then length and time).
    terminals
        Node positions that must stay (the snapped locations).

    Returns
    -------
    tuple
        The number of kept nodes, the new edges' source and target positions, their weights
        (same order as ``weights``), and per old node position its new position (-1 if gone).
    """
    loops = u != v
    u, v, weights = u[loops], v[loops], [w[loops] for w in weights]
    key = u * n + v
    order = np.lexsort((*weights[::-1], key))
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]][: key.size]
    keys = key[first]
    best = [w[order][first] for w in weights]

    # Distinct undirected neighbours of every node.
    a, b = keys // n, keys % n
    both = np.unique(np.concatenate([a * n + b, b * n + a]))
    owner, neighbour = both // n, both % n
    degree = np.bincount(owner, minlength=n)
    offset = np.r_[0, np.cumsum(degree)[:-1]]
    passing = degree == 2
    passing[terminals] = False
    if not passing.any():
        return n, u, v, list(weights), np.arange(n)
    side0 = np.where(passing, neighbour[np.minimum(offset, both.size - 1)], -1)
    side1 = np.where(passing, neighbour[np.minimum(offset + 1, both.size - 1)], -1)

    def lookup(p: np.ndarray, q: np.ndarray) -> list[np.ndarray]:
        wanted = p * n + q
        at = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
        found = keys[at] == wanted
        return [np.where(found, w[at], np.inf) for w in best]

    # Walk every chain from each junction end at once; each walk yields one directed edge.
    start_mask = ~passing[owner] & passing[neighbour]
    origin, cur = owner[start_mask], neighbour[start_mask]
    prev = origin.copy()
    sums = lookup(origin, cur)
    walking = np.flatnonzero(passing[cur])
    while walking.size:
        here, came = cur[walking], prev[walking]
        nxt = np.where(side0[here] == came, side1[here], side0[here])
        for total, step in zip(sums, lookup(here, nxt), strict=True):
            total[walking] += step
        prev[walking], cur[walking] = here, nxt
        walking = walking[passing[nxt]]
    usable = np.isfinite(sums[0]) & (origin != cur)

    kept = ~passing[a] & ~passing[b]
    position = np.full(n, -1, dtype=np.int64)
    position[~passing] = np.arange(int((~passing).sum()))
    new_u = position[np.concatenate([a[kept], origin[usable]])]
    new_v = position[np.concatenate([b[kept], cur[usable]])]
    new_w = [np.concatenate([w[kept], s[usable]]) for w, s in zip(best, sums, strict=True)]
    return int((~passing).sum()), new_u, new_v, new_w, position


def _pick_csr(
    n: int, u: np.ndarray, v: np.ndarray, weights: list[np.ndarray]
) -> tuple[csr_matrix, list[np.ndarray]]:
    """Build an ``n x n`` CSR of ``weights[0]``, one entry per ``u -> v`` pair.

    Of parallel edges the one with the least ``weights[0]`` is kept (ties: the next weights).
    The other weights of the kept edges are returned aligned with the CSR's ``data``, whose
    entries are sorted by row, then column.
    """
    order = np.lexsort((*weights[::-1], v, u))
    pair = u[order] * n + v[order]
    first = order[np.r_[True, pair[1:] != pair[:-1]][: pair.size]]
    indptr = np.r_[0, np.cumsum(np.bincount(u[first], minlength=n))]
    # Explicit zeros stay edges in csgraph, so zero-length pieces are safe here.
    matrix = csr_matrix((weights[0][first], v[first], indptr), shape=(n, n))
    return matrix, [w[first] for w in weights[1:]]


def _fastest_paths(
    n: int, u: np.ndarray, v: np.ndarray, weights: list[np.ndarray], sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return length and time of the fastest path between every pair of ``sources``.

    ``weights`` are :func:`path_weight`, length and time per edge. Unreachable pairs are inf.
    """
    matrix, (length, time) = _pick_csr(n, u, v, weights)
    keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr)) * n + matrix.indices
    unique, inverse = np.unique(sources, return_inverse=True)
    road_m = np.empty((unique.size, sources.size))
    road_s = np.empty((unique.size, sources.size))
    for start in range(0, unique.size, _SOURCE_CHUNK):
        chunk = unique[start : start + _SOURCE_CHUNK]
        cost, pred = dijkstra(matrix, directed=True, indices=chunk, return_predecessors=True)
        sum_m, sum_s = _sum_back(pred, sources, keys, length, time)
        reached = np.isfinite(cost[:, sources])
        road_m[start : start + chunk.size] = np.where(reached, sum_m, np.inf)
        road_s[start : start + chunk.size] = np.where(reached, sum_s, np.inf)
    return road_m[inverse], road_s[inverse]


def _sum_back(
    pred: np.ndarray, targets: np.ndarray, keys: np.ndarray, length: np.ndarray, time: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sum edge lengths and times along each source's fastest-path tree to every target.

    ``pred`` is Dijkstra's predecessor matrix (one row per source, -9999 at the root and at
    unreached nodes); ``keys`` the sorted ``u * n + v`` of the edges that ``length`` and
    ``time`` belong to. Every (source, target) pair steps back one edge per pass, all at once,
    so memory stays ``sources x targets`` whatever the size of the graph.
    """
    n = pred.shape[1]
    rows = np.repeat(np.arange(pred.shape[0]), targets.size)
    cols = np.tile(np.arange(targets.size), pred.shape[0])
    here = targets[cols].astype(np.int64)
    sum_m = np.zeros((pred.shape[0], targets.size))
    sum_s = np.zeros((pred.shape[0], targets.size))
    back = pred[rows, here].astype(np.int64)
    while (walking := back >= 0).any():
        rows, cols, here, back = rows[walking], cols[walking], here[walking], back[walking]
        at = np.searchsorted(keys, back * n + here)
        sum_m[rows, cols] += length[at]
        sum_s[rows, cols] += time[at]
        here, back = back, pred[rows, back].astype(np.int64)
    return sum_m, sum_s


def _with_access(road: np.ndarray, access: np.ndarray) -> np.ndarray:
    """Add both access legs to every off-diagonal entry and round to int64."""
    total = access[:, None] + road + access[None, :]
    np.fill_diagonal(total, 0.0)
    rounded: np.ndarray = np.rint(total).astype(np.int64)
    return rounded


def _cache_key(
    network: RoadNetwork,
    nodes: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    time: np.ndarray,
    snaps: Mapping[str, Snap],
    access_speed_kmh: float,
) -> str:
    """Return a sha256 hex digest of everything the matrices depend on."""
    digest = hashlib.sha256()
    order = np.lexsort((time, length, v, u))
    for array in (nodes, u[order], v[order], length[order], time[order]):
        digest.update(np.ascontiguousarray(array).tobytes())
    meta = {
        "version": CACHE_VERSION,
        "speeds": sorted(network.speeds_kmh.items()),
        "snaps": [[s.id, s.lon, s.lat, s.node, s.access_m] for s in snaps.values()],
        "ids": list(snaps),
        "access_speed_kmh": access_speed_kmh,
    }
    digest.update(json.dumps(meta, ensure_ascii=False).encode())
    return digest.hexdigest()


def _load(path: Path, ids: tuple[str, ...]) -> TravelMatrices | None:
    """Return the cached matrices at ``path``, or None if absent, unreadable or stale."""
    try:
        with np.load(path) as data:
            if tuple(data["ids"].tolist()) != ids:
                return None
            return TravelMatrices(ids, data["distance_m"], data["duration_s"])
    except (OSError, KeyError, ValueError):
        return None


def _store(path: Path, matrices: TravelMatrices) -> None:
    """Write ``matrices`` to ``path`` atomically, so a crash never leaves half a cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            ids=np.array(matrices.ids, dtype=str),
            distance_m=matrices.distance_m,
            duration_s=matrices.duration_s,
        )
    os.replace(partial, path)
