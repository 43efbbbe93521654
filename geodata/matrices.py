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
from geodata.snapping import Snap
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


def travel_matrices(
    network: RoadNetwork,
    snaps: Mapping[str, Snap],
    *,
    access_speed_kmh: float = ACCESS_SPEED_KMH,
    cache_dir: Path | None = None,
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
    road_m = _road_costs(_min_csr(nodes.size, u, v, length), where)
    road_s = _road_costs(_min_csr(nodes.size, u, v, time), where)
    unreachable = ~(np.isfinite(road_m) & np.isfinite(road_s))
    if unreachable.any():
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
