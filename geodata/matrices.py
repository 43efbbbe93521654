"""All-pairs road distance and travel-time matrices between snapped locations.

Entry ``(i, j)`` is the access leg from location ``i`` to its road node, the shortest
road path to ``j``'s node, and ``j``'s access leg. Distances use shortest-distance
paths and durations fastest paths, each from one multi-source Dijkstra run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.roads import RoadNetwork
from geodata.snapping import Snap, gc_paused
from routing.errors import ModelError, NetworkError

#: Speed (km/h) on the access leg between a location and its road node. That leg is the
#: unmapped village lane or farm track OSM lacks (median ~200 m, p90 ~1 km in Guoyang):
#: a van crawls along it, so it is slower than any mapped road class but for living streets.
ACCESS_SPEED_KMH = 15.0

#: Bump when the matrix computation changes, so stale cache files are not reused.
CACHE_VERSION = 1

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
        int64 metres, rounded, along shortest-distance paths.
    duration_s
        int64 seconds, rounded, along fastest paths.
    """

    ids: tuple[str, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray


def road_csr(graph: nx.MultiDiGraph, weight: str) -> tuple[np.ndarray, csr_matrix]:
    """Return the graph's sorted node ids and its ``weight`` adjacency as a CSR matrix.

    Parallel edges keep their minimum weight: building a CSR from COO would sum them.

    Parameters
    ----------
    graph
        A road graph (see :class:`geodata.roads.RoadNetwork`).
    weight
        The edge attribute to use, ``"length_m"`` or ``"time_s"``.

    Returns
    -------
    tuple of numpy.ndarray and scipy.sparse.csr_matrix
        Row/column ``k`` of the matrix is node ``nodes[k]``.
    """
    nodes, u, v, weights = _edge_arrays(graph, (weight,))
    return nodes, _min_csr(nodes.size, u, v, weights[0])


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
    size, cu, cv, (c_length, c_time), position = contract_chains(
        nodes.size, u, v, [length, time], terminals=where)
    sources = position[where]
    road_m = _road_costs(_min_csr(size, cu, cv, c_length), sources)
    road_s = _road_costs(_min_csr(size, cu, cv, c_time), sources)
    unreachable = ~(np.isfinite(road_m) & np.isfinite(road_s))
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
    graph: nx.MultiDiGraph, weights: tuple[str, ...]
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
    """Replace every chain of two-neighbour nodes by one edge per direction, keeping distances.

    An unsimplified OSM graph is mostly chains of nodes that only bend a road: a node with
    exactly two distinct neighbours that is not a ``terminal`` is passed through by every
    shortest path that uses it, so the chain between two junctions becomes one edge whose weight
    is the chain's sum (per weight, parallel edges take their minimum). Shortest-path costs
    between the remaining nodes are unchanged, and Dijkstra runs on ~4x fewer nodes.

    Parameters
    ----------
    n
        Number of nodes; ``u``, ``v`` are edge source/target positions in ``range(n)``.
    u, v
        Directed edges.
    weights
        One array per edge weight (e.g. length and time), each aligned with ``u``.
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
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]]
    starts = np.flatnonzero(first)
    keys = key[first]
    best = [np.minimum.reduceat(w[order], starts) if starts.size else w[:0] for w in weights]

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


def _min_csr(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> csr_matrix:
    """Build an ``n x n`` CSR keeping the smallest weight of parallel ``u -> v`` edges."""
    order = np.lexsort((w, v, u))
    pair = u[order] * n + v[order]
    first = order[np.r_[True, pair[1:] != pair[:-1]]]
    # Explicit zeros stay edges in csgraph, so zero-length pieces are safe here.
    return csr_matrix((w[first], (u[first], v[first])), shape=(n, n))


def _road_costs(matrix: csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Return shortest path costs between every pair of ``sources`` (node positions)."""
    unique, inverse = np.unique(sources, return_inverse=True)
    rows = np.empty((unique.size, sources.size))
    for start in range(0, unique.size, _SOURCE_CHUNK):
        chunk = unique[start : start + _SOURCE_CHUNK]
        rows[start : start + chunk.size] = dijkstra(matrix, directed=True, indices=chunk)[
            :, sources
        ]
    return rows[inverse]


def _with_access(road: np.ndarray, access: np.ndarray) -> np.ndarray:
    """Add both access legs to every off-diagonal entry and round to int64."""
    total = access[:, None] + road + access[None, :]
    np.fill_diagonal(total, 0.0)
    return np.rint(total).astype(np.int64)


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
