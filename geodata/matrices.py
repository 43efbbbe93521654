"""All-pairs road distance and travel-time matrices between snapped locations.

Entry ``(i, j)`` is the access leg from location ``i`` to its road node, the fastest road
path to ``j``'s node, and ``j``'s access leg. Distance and duration are both measured along
that one path, as OSRM and VROOM report them, so the kilometres (and per-km cost, CO2) are
those of the path the schedule drives and the map draws (:mod:`geodata.geometry` picks the
same path). One Dijkstra run per source on the travel times gives its tree of fastest paths;
lengths and times are then summed down the tree.

With ``pairs`` only the entries a plan can use are computed (a cluster of villages with its hub
and neighbours): the hubs' rows and columns in full, every other row only towards its
neighbours, by a Dijkstra that stops at a distance bound taken through the hubs. The runs are
spread over the machine's cores.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import ModelError, NetworkError
from geodata.roads import RoadArrays, RoadNetwork
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

#: Sources per task: bounds a worker's memory to a few ``chunk x nodes`` arrays (~40 MB on
#: the Anhui tile), while leaving enough tasks to balance the workers.
_SOURCE_CHUNK = 32

#: Relative margin on a restricted row's Dijkstra bound, for rounding in the summed bound.
_LIMIT_SLACK = 1e-9


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
    restricted
        True when only some pairs were computed (``pairs`` of :func:`travel_matrices`): every
        other entry holds :data:`UNREACHABLE` in both matrices, so no route uses it.
    """

    ids: tuple[str, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray
    restricted: bool = False


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
    pairs: Mapping[str, Collection[str]] | None = None,
    jobs: int | None = None,
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
        content, the snaps, the access speed and the pairs, and reused on the next identical
        call.
    allow_unreachable
        Fill pairs with no road path with :data:`UNREACHABLE` instead of raising; for restricted
        vehicle profiles (a tricycle off trunk roads) that never need to make some trips.
    pairs
        Location id -> the ids it may share a route with. The matrices stay square over every
        snap, but only entry ``(i, j)`` with ``j`` in ``pairs[i]`` or ``i`` in ``pairs[j]``, and
        the diagonal, are computed; the others hold :data:`UNREACHABLE` and the result is
        ``restricted``. A snap that is not a key of ``pairs`` (pass the depots so) gets its full
        row and column: it is everyone's neighbour, as vehicles start and end at depots. Ids
        that are not snaps are ignored, so one mapping serves every profile's snaps; a mapping
        that leaves no pair out gives the full (not ``restricted``) matrices. Computed entries
        equal the full matrices' (but where two paths tie exactly, either may be taken).
        Without depots left out of ``pairs`` every row's Dijkstra runs unbounded. None: every
        pair.
    jobs
        Cores to run Dijkstra on, in forked worker processes (the graph arrays are inherited,
        not copied). None: the cores this process may use, or 1 inside a daemonic process
        (a pool worker, which may not fork). The result does not depend on it. Processes, not
        threads: scipy 1.17's Dijkstra holds the GIL. Measured on the Anhui tile (194k nodes,
        1,809 snaps, 2 cores): full matrices 27.3 s on 1 job, 13.0 s on 2; restricted to 29 %
        of the pairs (each village with 3 counties' villages) 12.6 s on 1 job, 8.1 s on 2
        processes, 14.3 s on 2 threads.

    Returns
    -------
    TravelMatrices

    Raises
    ------
    ModelError
        ``access_speed_kmh`` is not a positive number, ``jobs`` not a positive count, or a
        ``pairs`` value is a string.
    NetworkError
        A snap's node is not in the graph, or some wanted pair is unreachable.
    """
    if not (math.isfinite(access_speed_kmh) and access_speed_kmh > 0):
        raise ModelError(f"access_speed_kmh: {access_speed_kmh!r} is not a positive km/h")
    workers = _worker_count(jobs)
    ids = tuple(snaps)
    wanted = _wanted(ids, pairs)
    roads = network.arrays
    nodes, u, v, length, time = roads.node_id, roads.u, roads.v, roads.length_m, roads.time_s
    where = _snap_positions(nodes, snaps)

    cache = None
    if cache_dir is not None:
        key = _cache_key(network, nodes, u, v, length, time, snaps, access_speed_kmh, wanted)
        cache = Path(cache_dir) / f"travel-matrices-{key[:32]}.npz"
        cached = _load(cache, ids)
        if cached is not None:
            return cached

    access = np.array([snaps[i].access_m for i in ids], dtype=float)
    access_s = access / (access_speed_kmh / 3.6)
    size, cu, cv, weights, position = _contracted(roads, where)
    road_m, road_s = _fastest_paths(size, cu, cv, weights, position[where], wanted, workers)
    skipped = np.zeros(road_m.shape, dtype=bool) if wanted is None else ~wanted
    road_m[skipped] = road_s[skipped] = 0.0
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
    distance, duration = _with_access(road_m, access), _with_access(road_s, access_s)
    distance[skipped] = duration[skipped] = UNREACHABLE
    result = TravelMatrices(ids, distance, duration, restricted=wanted is not None)
    if cache is not None:
        _store(cache, result)
    return result


def _worker_count(jobs: int | None) -> int:
    """Return the number of worker processes ``jobs`` asks for, see :func:`travel_matrices`."""
    if jobs is None:
        if multiprocessing.current_process().daemon:
            return 1
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ModelError(f"jobs: {jobs!r} is not a positive number of cores")
    return jobs


def _wanted(
    ids: tuple[str, ...], pairs: Mapping[str, Collection[str]] | None
) -> np.ndarray | None:
    """Return which entries ``pairs`` asks for, as a symmetric bool matrix; None for all."""
    if pairs is None:
        return None
    index = {pid: k for k, pid in enumerate(ids)}
    wanted = np.zeros((len(ids), len(ids)), dtype=bool)
    full = np.ones(len(ids), dtype=bool)
    for source, targets in pairs.items():
        if isinstance(targets, str):
            raise ModelError(f"pairs: {source}: give a collection of ids, not the string "
                             f"{targets!r}")
        if source in index:
            full[index[source]] = False
            wanted[index[source], [index[t] for t in targets if t in index]] = True
    wanted[full] = True
    wanted |= wanted.T
    np.fill_diagonal(wanted, True)
    return None if wanted.all() else wanted


def _snap_positions(nodes: np.ndarray, snaps: Mapping[str, Snap]) -> np.ndarray:
    """Return each snap's position in the sorted ``nodes``; raise if a node is missing."""
    ids = tuple(snaps)
    snap_nodes = np.array([snaps[i].node for i in ids], dtype=np.int64)
    missing = ~np.isin(snap_nodes, nodes)
    if missing.any():
        pid = ids[int(np.flatnonzero(missing)[0])]
        raise NetworkError(
            f"snap {pid}: node {snaps[pid].node} is not in the road graph "
            "(pass the network returned by snap_points)"
        )
    where: np.ndarray = np.searchsorted(nodes, snap_nodes)
    return where


def _edge_arrays(
    graph: nx.MultiDiGraph[int], weights: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return sorted node ids, edge source/target positions and edge weights as arrays."""
    nodes = np.sort(np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes()))
    edges = list(graph.edges(data=True))
    ends = np.array([(a, b) for a, b, _ in edges], dtype=np.int64).reshape(-1, 2)
    values = [np.array([d[w] for _, _, d in edges], dtype=float) for w in weights]
    return nodes, np.searchsorted(nodes, ends[:, 0]), np.searchsorted(nodes, ends[:, 1]), values


#: What :func:`contract_chains` returns: kept nodes, edge ends, edge weights, new positions.
_Contraction = tuple[int, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]
#: The last contraction (:func:`_contracted`): its road arrays, terminals and result.
_LAST_CONTRACTION: list[tuple[RoadArrays, bytes, _Contraction]] = []


def _contracted(roads: RoadArrays, where: np.ndarray) -> _Contraction:
    """:func:`contract_chains` of ``roads`` keeping the nodes ``where``, reused when the same
    roads and snaps are asked for again (a decomposed region's depot rows, then its pairs)."""
    key = where.tobytes()
    if _LAST_CONTRACTION and _LAST_CONTRACTION[0][0] is roads and _LAST_CONTRACTION[0][1] == key:
        return _LAST_CONTRACTION[0][2]
    found = contract_chains(roads.node_id.size, roads.u, roads.v,
                            [path_weight(roads.length_m, roads.time_s), roads.length_m,
                             roads.time_s], terminals=where)
    _LAST_CONTRACTION[:] = [(roads, key, found)]
    return found


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


@dataclass(frozen=True, eq=False)
class _Graph:
    """The contracted road graph every Dijkstra task reads; forked workers inherit it.

    ``forward`` is the :func:`path_weight` CSR, ``backward`` its transpose; ``keys`` the sorted
    ``u * n + v`` of ``forward``'s edges, whose lengths and times are ``length_m``, ``time_s``.
    ``targets`` are the distinct node positions of the snaps, the columns of every result.
    """

    forward: csr_matrix
    backward: csr_matrix
    keys: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    targets: np.ndarray


@dataclass(frozen=True, eq=False)
class _Task:
    """Fastest paths from ``sources`` to every target (or, ``inbound``, from every target to
    ``sources``), each source's Dijkstra stopping at its ``limits`` entry when given; lengths
    and times only towards the ``wanted`` targets (sources x targets) when given."""

    inbound: bool
    sources: np.ndarray
    limits: np.ndarray | None = None
    wanted: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class _Rows:
    """Length, time and path weight per (task source, target); inf where not reached."""

    length_m: np.ndarray
    time_s: np.ndarray
    weight: np.ndarray


def _fastest_paths(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    weights: list[np.ndarray],
    sources: np.ndarray,
    wanted: np.ndarray | None,
    jobs: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return length and time of the fastest path between every ``wanted`` pair of ``sources``.

    ``weights`` are :func:`path_weight`, length and time per edge. Unreachable pairs are inf;
    pairs not wanted are inf or any value.
    """
    matrix, (length, time) = _pick_csr(n, u, v, weights)
    backward, _ = _pick_csr(n, v, u, weights)
    keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr)) * n + matrix.indices
    unique, inverse = np.unique(sources, return_inverse=True)
    graph = _Graph(matrix, backward, keys, length, time, unique)
    need = np.ones((unique.size, unique.size), dtype=bool)
    if wanted is not None:
        need = _node_pairs(wanted, inverse, unique.size)
    with _workers(graph, jobs) as run:
        road_m, road_s = _node_paths(graph, need, run, jobs)
    return road_m[inverse][:, inverse], road_s[inverse][:, inverse]


def _node_pairs(wanted: np.ndarray, inverse: np.ndarray, count: int) -> np.ndarray:
    """Return the wanted pairs of snap nodes, given the wanted pairs of snaps."""
    rows, cols = np.nonzero(wanted)
    need = np.zeros(count * count, dtype=bool)
    need[inverse[rows] * count + inverse[cols]] = True
    return need.reshape(count, count)


_Run = Callable[[list[_Task]], list[_Rows]]


def _node_paths(
    graph: _Graph, need: np.ndarray, run: _Run, jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return length and time between the ``need``-ed pairs of target nodes (inf elsewhere).

    Nodes whose whole row is needed (the hubs) get full rows and, by one backward Dijkstra
    each, full columns; then the other rows, each bounded through the hubs.
    """
    full = need.all(axis=1)
    hubs, rest = np.flatnonzero(full), np.flatnonzero(~full)
    tasks = [_Task(False, graph.targets[hubs[c]]) for c in _chunks(hubs.size, jobs)]
    if rest.size:
        tasks += [_Task(True, graph.targets[hubs[c]]) for c in _chunks(hubs.size, jobs)]
    results = run(tasks)
    split = len(_chunks(hubs.size, jobs))
    out, inward = _stack(results[:split], graph), _stack(results[split:], graph)
    road_m = np.full(need.shape, np.inf)
    road_s = np.full(need.shape, np.inf)
    road_m[hubs], road_s[hubs] = out.length_m, out.time_s
    if rest.size:
        rows = _bounded_rows(graph, need[rest] & ~full, rest, out, inward, run, jobs)
        road_m[rest], road_s[rest] = rows.length_m, rows.time_s
        road_m[np.ix_(rest, hubs)] = inward.length_m[:, rest].T
        road_s[np.ix_(rest, hubs)] = inward.time_s[:, rest].T
    return road_m, road_s


def _bounded_rows(
    graph: _Graph,
    want: np.ndarray,
    rest: np.ndarray,
    out: _Rows,
    inward: _Rows,
    run: _Run,
    jobs: int,
) -> _Rows:
    """Return the rows of nodes ``rest`` towards the targets they ``want`` (and maybe more).

    Each row's Dijkstra stops beyond the farthest wanted target's bound through a hub,
    ``d(s, t) <= d(s, h) + d(h, t)``; a wanted target it still missed (rounding) is searched
    again without a bound, so none is taken for unreachable.
    """
    far = want.copy()
    far[np.arange(rest.size), rest] = False
    bound = np.full(far.shape, np.inf)
    for to_hub, from_hub in zip(inward.weight, out.weight, strict=True):
        np.minimum(bound, to_hub[rest][:, None] + from_hub[None, :], out=bound)
    limits = np.where(far, bound, 0.0).max(axis=1, initial=0.0) * (1 + _LIMIT_SLACK)
    # a row wanting only the hubs (whose columns are known) needs no search of its own
    active = np.flatnonzero(far.any(axis=1))
    found = _stack(run([_Task(False, graph.targets[rest[active[c]]], limits[active[c]],
                              want[active[c]]) for c in _chunks(active.size, jobs)]), graph)
    rows = _Rows(*(np.full(far.shape, np.inf) for _ in range(3)))
    for mine in (rows.length_m, rows.time_s, rows.weight):
        mine[np.arange(rest.size), rest] = 0.0  # a node to itself
    for mine, theirs in zip((rows.length_m, rows.time_s, rows.weight),
                            (found.length_m, found.time_s, found.weight), strict=True):
        mine[active] = theirs
    missed = far & ~np.isfinite(rows.weight) & np.isfinite(limits)[:, None]
    again = np.flatnonzero(missed.any(axis=1))
    if again.size:
        redo = _stack(run([_Task(False, graph.targets[rest[again[c]]], None, want[again[c]])
                           for c in _chunks(again.size, jobs)]), graph)
        for mine, theirs in zip((rows.length_m, rows.time_s, rows.weight),
                                (redo.length_m, redo.time_s, redo.weight), strict=True):
            mine[again] = theirs
    return rows


def _chunks(count: int, jobs: int) -> list[np.ndarray]:
    """Split ``range(count)`` into pieces of at most :data:`_SOURCE_CHUNK`, two per job or more."""
    size = max(1, min(_SOURCE_CHUNK, math.ceil(count / (2 * jobs))))
    return [np.arange(start, min(start + size, count)) for start in range(0, count, size)]


def _stack(parts: list[_Rows], graph: _Graph) -> _Rows:
    """Join task results row-wise; no parts give zero rows."""
    if not parts:
        empty = np.empty((0, graph.targets.size))
        return _Rows(empty, empty, empty)
    return _Rows(*(np.vstack([getattr(p, f) for p in parts])
                   for f in ("length_m", "time_s", "weight")))


@contextmanager
def _workers(graph: _Graph, jobs: int) -> Iterator[_Run]:
    """Yield a function that runs tasks on ``jobs`` forked processes (or here, for one job).

    The workers inherit ``graph`` at fork, so it is never pickled; a daemonic process (which may
    not have children) or a platform without ``fork`` runs the tasks here.
    """
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if jobs == 1 or not forkable or multiprocessing.current_process().daemon:
        yield lambda tasks: [_work(graph, task) for task in tasks]
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_adopt, initargs=(graph,)) as pool:
        yield lambda tasks: pool.map(_adopted_work, tasks, chunksize=1)


#: The graph a forked worker inherited (set by :func:`_adopt` in the worker only).
_ADOPTED: list[_Graph] = []


def _adopt(graph: _Graph) -> None:
    """Keep the inherited graph; no garbage collection, so the parent's pages stay shared."""
    gc.disable()
    _ADOPTED[:] = [graph]


def _adopted_work(task: _Task) -> _Rows:
    """Run ``task`` on the graph this worker inherited."""
    return _work(_ADOPTED[0], task)


def _work(graph: _Graph, task: _Task) -> _Rows:
    """Run one task: Dijkstra from its sources, lengths and times summed along the paths."""
    if task.inbound:
        return _inbound(graph, task.sources)
    if task.limits is None:
        cost, pred = dijkstra(graph.forward, directed=True, indices=task.sources,
                              return_predecessors=True)
    else:
        runs = [dijkstra(graph.forward, directed=True, indices=[s], return_predecessors=True,
                         limit=float(limit))
                for s, limit in zip(task.sources, task.limits, strict=True)]
        cost, pred = np.vstack([c for c, _ in runs]), np.vstack([p for _, p in runs])
    weight = cost[:, graph.targets]
    wanted = np.isfinite(weight) if task.wanted is None else np.isfinite(weight) & task.wanted
    n = pred.shape[1]
    at = (np.arange(pred.shape[0])[:, None] * n + graph.targets[None, :])[wanted]
    sum_m, sum_s = np.full(weight.shape, np.inf), np.full(weight.shape, np.inf)
    sum_m[wanted], sum_s[wanted] = _tree_sums(graph, task.sources, pred, at)
    return _Rows(sum_m, sum_s, weight)


def _tree_sums(
    graph: _Graph, roots: np.ndarray, pred: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sum edge lengths and times down each root's fastest-path tree, one depth at a time.

    ``pred`` is Dijkstra's predecessor matrix, one row per root (-9999 at the root and at
    unreached nodes); ``wanted`` are reached flat ``row * nodes + node`` positions, whose sums
    are returned. Only the nodes on paths to them are summed (a sixth of the tree on the
    Anhui tile). Each node's sum is its parent's plus the edge, so a path is summed from its
    source on, in the same order as :func:`_inbound` sums it.
    """
    k, n = pred.shape
    flat = pred.ravel()
    child = np.flatnonzero(_on_paths(flat, n, wanted) & (flat >= 0))
    node = np.concatenate([np.arange(k) * n + roots, child])
    slot = np.full(k * n, -1, dtype=np.int64)
    slot[node] = np.arange(node.size)
    parent = slot[child - child % n + flat[child]]
    edge = np.searchsorted(graph.keys, flat[child] * n + child % n)
    order = np.argsort(parent, kind="stable")
    start = np.r_[0, np.cumsum(np.bincount(parent, minlength=node.size))]
    sum_m, sum_s = np.zeros(node.size), np.zeros(node.size)
    front = np.arange(k)
    while front.size:
        at = order[_ranges(start[front], start[front + 1])]
        front, via = at + k, edge[at]
        sum_m[front] = sum_m[parent[at]] + graph.length_m[via]
        sum_s[front] = sum_s[parent[at]] + graph.time_s[via]
    return sum_m[slot[wanted]], sum_s[slot[wanted]]


def _on_paths(flat: np.ndarray, n: int, wanted: np.ndarray) -> np.ndarray:
    """Mark the flat positions on the tree paths from ``wanted`` up to their roots."""
    marked = np.zeros(flat.size, dtype=bool)
    front = wanted
    while front.size:
        marked[front] = True
        up = flat[front]
        front = front[up >= 0]
        front = front - front % n + up[up >= 0]
        front = front[~marked[front]]
    return marked


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return the concatenation of ``range(lo[i], hi[i])`` over ``i``."""
    count = hi - lo
    shift = np.repeat(lo - np.cumsum(count) + count, count)
    joined: np.ndarray = shift + np.arange(int(count.sum()))
    return joined


def _inbound(graph: _Graph, hubs: np.ndarray) -> _Rows:
    """Return the fastest paths from every target to each of ``hubs`` (rows: hubs).

    One backward Dijkstra per hub gives each node its next step towards the hub; every
    target walks those steps, summing from its own end as :func:`_tree_sums` does.
    """
    cost, pred = dijkstra(graph.backward, directed=True, indices=hubs, return_predecessors=True)
    k, n = pred.shape
    flat = pred.ravel()
    stepping = np.flatnonzero(flat >= 0)
    edge = np.searchsorted(graph.keys, stepping % n * n + flat[stepping])
    step_m, step_s = np.zeros(k * n), np.zeros(k * n)
    step_m[stepping], step_s[stepping] = graph.length_m[edge], graph.time_s[edge]
    up = np.arange(k * n)
    up[stepping] = stepping - stepping % n + flat[stepping]
    here = (np.arange(k)[:, None] * n + graph.targets[None, :]).ravel()
    sum_m, sum_s = np.zeros(here.size), np.zeros(here.size)
    walking = np.arange(here.size)
    while walking.size:
        at = here[walking]
        sum_m[walking] += step_m[at]
        sum_s[walking] += step_s[at]
        here[walking] = up[at]
        walking = walking[up[at] != at]
    return _at_targets(graph, cost, sum_m, sum_s)


def _at_targets(graph: _Graph, cost: np.ndarray, sum_m: np.ndarray, sum_s: np.ndarray) -> _Rows:
    """Rows of ``sum_m``, ``sum_s`` (flat, one per row and target) where ``cost`` is finite."""
    weight = cost[:, graph.targets]
    reached = np.isfinite(weight)
    return _Rows(np.where(reached, sum_m.reshape(weight.shape), np.inf),
                 np.where(reached, sum_s.reshape(weight.shape), np.inf), weight)



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
    wanted: np.ndarray | None,
) -> str:
    """Return a sha256 hex digest of everything the matrices depend on.

    Restricted matrices add a digest of the wanted pairs, so they never answer for full ones
    (nor full ones for them); full ones keep the key they always had.
    """
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
    if wanted is not None:
        meta["pairs"] = hashlib.sha256(np.packbits(wanted).tobytes()).hexdigest()
    digest.update(json.dumps(meta, ensure_ascii=False).encode())
    return digest.hexdigest()


def _load(path: Path, ids: tuple[str, ...]) -> TravelMatrices | None:
    """Return the cached matrices at ``path``, or None if absent, unreadable or stale."""
    try:
        with np.load(path) as data:
            if tuple(data["ids"].tolist()) != ids:
                return None
            restricted = bool(data["restricted"]) if "restricted" in data.files else False
            return TravelMatrices(ids, data["distance_m"], data["duration_s"], restricted)
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
            restricted=np.array(matrices.restricted),
        )
    os.replace(partial, path)
