"""Read the drivable roads of an OpenStreetMap file into a projected, strongly connected graph.

The graph is deliberately *not* simplified: every OSM way is cut at each of its
nodes, so every edge is a straight segment between its two end nodes. Snapping
and route geometry rely on that (an edge's shape is fully given by its nodes).

The graph is kept as flat numpy arrays (:class:`RoadArrays`): a 194k-node tile takes ~30 MB
that way against ~450 MB as a networkx graph, and copying it to snap points is cheap.
:attr:`RoadNetwork.graph` builds a networkx view on demand for code that wants one.
"""

from __future__ import annotations

import gc
import math
from array import array
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import networkx as nx
import numpy as np
import numpy.typing as npt
import osmium
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputError, ModelError, NetworkError

#: Free-flow speed (km/h) per OSM ``highway`` class. A class is drivable iff it has a speed.
#: Rural Chinese roads are slow: these are delivery-van speeds, not legal limits. Treat it as
#: read-only; pass ``speeds_kmh`` to :func:`read_road_network` to change speeds.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 25.0,
}

#: OSM ``highway`` values a scenario may name (speeds, roads a vehicle avoids).
HIGHWAY_CLASSES: tuple[str, ...] = (*DEFAULT_SPEEDS_KMH, "track")

#: How far outside the ``boundary`` a way may lie and still be kept: roads that
#: leave the county and come back must stay, or trips along the border break.
BOUNDARY_BUFFER_M = 2_000.0

_ONEWAY_FORWARD = frozenset({"yes", "1", "true"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_ONEWAY_NO = frozenset({"no", "0", "false"})
_IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
_IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway"})

# Direction codes of a way: travel allowed along the node order, against it, or both.
_FORWARD, _BACKWARD, _BOTH = 1, 2, 3


#: Attribute set on a graph :attr:`RoadNetwork.graph` builds: the arrays it was built from.
_VIEW_OF = "_ruralroute_arrays"


@dataclass(frozen=True, eq=False)
class RoadArrays:
    """A road graph as flat arrays: one row per node and one per directed edge.

    Attributes
    ----------
    node_id
        int64 node ids, sorted ascending (OSM ids; virtual snap nodes are negative).
    x, y
        Node coordinates in metres (the network's CRS).
    lon, lat
        Node coordinates in EPSG:4326.
    u, v
        int64 positions (into the node arrays) of each edge's source and target.
    length_m, time_s
        Edge length and free-flow travel time.
    highway
        int16 code per edge into ``highways``.
    way_id
        int64 OSM way id per edge.
    highways
        The ``highway`` class names the codes stand for.
    """

    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    highway: np.ndarray
    way_id: np.ndarray
    highways: tuple[str, ...]

    @classmethod
    def empty(cls) -> RoadArrays:
        """No node, no edge."""
        ints, floats = np.empty(0, dtype=np.int64), np.empty(0)
        return cls(ints, floats, floats, floats, floats, ints, ints, floats, floats,
                   np.empty(0, dtype=np.int16), ints, ())

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph[int]) -> RoadArrays:
        """The arrays of a networkx road graph (node ``x``, ``y``, ``lon``, ``lat``; edge
        ``length_m``, ``time_s``, ``highway``, ``way_id``), as :attr:`RoadNetwork.graph` has."""
        ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        order = np.argsort(ids)
        nodes = [graph.nodes[n] for n in ids[order].tolist()]
        coords = {k: np.array([d[k] for d in nodes], dtype=float) for k in ("x", "y", "lon", "lat")}
        edges = list(graph.edges(data=True))
        names = [str(d.get("highway", "")) for _, _, d in edges]
        highways = tuple(sorted(set(names)))
        ends = np.array([(a, b) for a, b, _ in edges], dtype=np.int64).reshape(-1, 2)
        node_id = ids[order]
        return cls(
            node_id, coords["x"], coords["y"], coords["lon"], coords["lat"],
            np.searchsorted(node_id, ends[:, 0]), np.searchsorted(node_id, ends[:, 1]),
            np.array([d["length_m"] for _, _, d in edges], dtype=float),
            np.array([d["time_s"] for _, _, d in edges], dtype=float),
            np.array([highways.index(h) for h in names], dtype=np.int16).reshape(-1),
            np.array([d.get("way_id", -1) for _, _, d in edges], dtype=np.int64),
            highways)

    def to_graph(self, **attrs: object) -> nx.MultiDiGraph[int]:
        """A new networkx graph of these arrays (nodes in id order, edges in row order), with
        graph attributes ``attrs``."""
        graph: nx.MultiDiGraph[int] = nx.MultiDiGraph()
        graph.graph.update(attrs)
        with gc_paused():
            graph.add_nodes_from(
                (n, {"x": x, "y": y, "lon": lon, "lat": lat})
                for n, x, y, lon, lat in zip(
                    self.node_id.tolist(), self.x.tolist(), self.y.tolist(), self.lon.tolist(),
                    self.lat.tolist(), strict=True))
            names = self.highways
            graph.add_edges_from(
                (u, v, {"length_m": d, "time_s": t, "highway": names[h], "way_id": w})
                for u, v, d, t, h, w in zip(
                    self.node_id[self.u].tolist(), self.node_id[self.v].tolist(),
                    self.length_m.tolist(), self.time_s.tolist(), self.highway.tolist(),
                    self.way_id.tolist(), strict=True))
        return graph

    def positions(self, ids: npt.ArrayLike) -> np.ndarray:
        """Node positions of node ``ids``; -1 for an id not in the graph."""
        wanted = np.asarray(ids, dtype=np.int64)
        if not self.node_id.size:
            return np.full(wanted.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.node_id, wanted), self.node_id.size - 1)
        return np.where(self.node_id[at] == wanted, at, -1)

    def highway_in(self, classes: Collection[str]) -> np.ndarray:
        """Per edge, whether its ``highway`` class is one of ``classes``."""
        codes = [k for k, name in enumerate(self.highways) if name in set(classes)]
        return np.isin(self.highway, np.array(codes, dtype=np.int16))

    def edges_only(self, keep: np.ndarray, *, time_s: np.ndarray | None = None) -> RoadArrays:
        """The same nodes with only the edges ``keep`` selects (and new times, if given)."""
        return replace(self, u=self.u[keep], v=self.v[keep], length_m=self.length_m[keep],
                       time_s=(self.time_s if time_s is None else time_s)[keep],
                       highway=self.highway[keep], way_id=self.way_id[keep])

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(int(a.nbytes) for a in (self.node_id, self.x, self.y, self.lon, self.lat,
                                           self.u, self.v, self.length_m, self.time_s,
                                           self.highway, self.way_id))


class _GraphView:
    """Gives :class:`RoadNetwork` its ``graph``, a networkx view of its arrays built on demand."""

    arrays: RoadArrays
    crs: pyproj.CRS

    @property
    def graph(self) -> nx.MultiDiGraph[int]:
        """A new networkx ``MultiDiGraph`` of the network, built at each access.

        Keyed by node id, with node attributes ``x``, ``y``, ``lon``, ``lat`` and edge
        attributes ``length_m``, ``time_s``, ``highway``, ``way_id``. Building it takes seconds
        and ~450 MB on a 194k-node tile, so code that runs on tiles reads :attr:`arrays`.
        Changing the view changes nothing; pass a changed *copy* of it as ``graph=`` to
        :class:`RoadNetwork` (or ``dataclasses.replace``) to make a network of it.
        """
        view = self.arrays.to_graph(crs=self.crs.to_string())
        setattr(view, _VIEW_OF, self.arrays)
        return view


@dataclass(frozen=True, eq=False)
class RoadNetwork(_GraphView):
    """The largest strongly connected piece of a file's drivable roads, in a metric CRS.

    Attributes
    ----------
    arrays
        The directed road graph as flat arrays (:class:`RoadArrays`); every edge is a straight
        segment. :attr:`graph` is a networkx view of it.
    crs
        The UTM zone of the data's centroid, so lengths are in metres with < 0.1 % error.
    source
        The OSM file the network was read from.
    nodes_total, edges_total
        Drivable nodes and directed edges read, before keeping the largest component.
    outside_nodes
        Drivable nodes left out because they are not in the largest strongly connected
        component (islands, dead-end one-ways).
    speeds_kmh
        The speed table used to compute ``time_s``.
    fragment_lines
        Shapely LineStrings (in ``crs``) of the drivable segments left out of the graph,
        so snapping can tell when a point's nearest road is an unusable fragment.
    graph
        Init only: a networkx road graph to take ``arrays`` from (see :attr:`graph`);
        a view the network itself built is ignored, so ``replace`` keeps ``arrays``.
    """

    crs: pyproj.CRS
    source: Path
    nodes_total: int
    edges_total: int
    outside_nodes: frozenset[int]
    speeds_kmh: Mapping[str, float]
    fragment_lines: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    arrays: RoadArrays = field(default_factory=RoadArrays.empty)
    graph: InitVar[nx.MultiDiGraph[int] | None] = None

    def __post_init__(self, graph: nx.MultiDiGraph[int] | None) -> None:
        if graph is not None and getattr(graph, _VIEW_OF, None) is None:
            object.__setattr__(self, "arrays", RoadArrays.from_graph(graph))

    def with_arrays(self, arrays: RoadArrays) -> RoadNetwork:
        """The same network on other road arrays (cheap: no networkx view is built)."""
        return replace(self, arrays=arrays, graph=None)


# The InitVar's default stays the class attribute and would hide ``_GraphView.graph``.
del RoadNetwork.graph


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """Return the WGS84 UTM zone CRS containing ``(lon, lat)``.

    Parameters
    ----------
    lon, lat
        A point in EPSG:4326, usually the centroid of the area of interest.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx north of the equator, EPSG:327xx south of it.
    """
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def buffer_lonlat(geometry: BaseGeometry, distance_m: float) -> BaseGeometry:
    """Return ``geometry`` (EPSG:4326) grown by ``distance_m`` metres, back in EPSG:4326.

    The buffer is taken in the UTM zone of the geometry's centroid, so it is metric.
    """
    centroid = geometry.centroid
    local = utm_crs(centroid.x, centroid.y)
    forward = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True)
    backward = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return _reproject(_reproject(geometry, forward).buffer(distance_m), backward)


def _reproject(geometry: BaseGeometry, transformer: pyproj.Transformer) -> BaseGeometry:
    """Return ``geometry`` with its (x, y) coordinates moved through ``transformer``."""

    def move(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y]).astype(np.float64, copy=False)

    return shapely.transform(geometry, move)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of small dicts are made.

    Every few hundred allocations the collector walks the young objects, and often all of
    them: in a process that holds a 180k-node graph and has imported the solvers, that tripled
    the time of a tile-sized copy (8.4 s against 2.7 s). Nothing built here forms cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_road_network(
    path: str | Path,
    *,
    speeds_kmh: Mapping[str, float] | None = None,
    boundary: BaseGeometry | None = None,
) -> RoadNetwork:
    """Read the drivable ``highway`` ways of an OSM file into a :class:`RoadNetwork`.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` file.
    speeds_kmh
        Speed per ``highway`` class; replaces :data:`DEFAULT_SPEEDS_KMH` entirely, so a
        class left out is not drivable.
    boundary
        A (Multi)Polygon in EPSG:4326. When given, only ways with at least one node
        within :data:`BOUNDARY_BUFFER_M` of it are kept, which makes a large tile cheap.

    Returns
    -------
    RoadNetwork
        Only the largest strongly connected component, so every pair of nodes is
        mutually reachable and travel matrices are always finite.

    Raises
    ------
    InputError
        The file does not exist or cannot be parsed.
    NetworkError
        The file (inside the boundary) holds no drivable road.
    ModelError
        A speed is not a positive number.
    """
    with gc_paused():
        return _read_road_network(Path(path), speeds_kmh, boundary)


def _read_road_network(path: Path, speeds_kmh: Mapping[str, float] | None,
                       boundary: BaseGeometry | None) -> RoadNetwork:
    if not path.is_file():
        raise InputError(path, "file", "no such OSM file")
    speeds = dict(DEFAULT_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
    for highway, speed in speeds.items():
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ModelError(f"speeds_kmh: highway={highway}: {speed!r} is not a positive km/h")

    ways = _read_ways(path, speeds)
    node_ids, lon, lat, way_of_node, valid = ways.node_arrays()
    seg = np.flatnonzero(
        (way_of_node[1:] == way_of_node[:-1])
        & valid[1:]
        & valid[:-1]
        & (node_ids[1:] != node_ids[:-1])
    )
    if boundary is not None and seg.size:
        seg = seg[_ways_near(boundary, lon, lat, way_of_node)[way_of_node[seg]]]
    where = " inside the boundary" if boundary is not None else ""
    if not seg.size:
        raise NetworkError(f"{path}: no drivable road (highway={'|'.join(speeds)}) found{where}")

    # One row per drivable node, in id order; coordinates from its first occurrence.
    ends = np.concatenate([seg, seg + 1])
    nodes, first = np.unique(node_ids[ends], return_index=True)
    node_lon, node_lat = lon[ends][first], lat[ends][first]
    crs = utm_crs(float(node_lon.mean()), float(node_lat.mean()))
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    node_x, node_y = to_utm.transform(node_lon, node_lat)

    a = np.searchsorted(nodes, node_ids[seg])
    b = np.searchsorted(nodes, node_ids[seg + 1])
    length = np.hypot(node_x[b] - node_x[a], node_y[b] - node_y[a])
    seg_way = way_of_node[seg]
    direction = ways.direction[seg_way]
    fwd = (direction & _FORWARD).astype(bool)
    bwd = (direction & _BACKWARD).astype(bool)
    src = np.concatenate([a[fwd], b[bwd]])
    dst = np.concatenate([b[fwd], a[bwd]])
    edge_seg = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])

    n = nodes.size
    adjacency = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    in_scc = labels == np.argmax(np.bincount(labels))
    keep = in_scc[src] & in_scc[dst]

    # Kept nodes keep their id order, so positions are a cumulative count of the kept ones.
    position = np.cumsum(in_scc) - 1
    kept_seg = edge_seg[keep]
    kept_way = seg_way[kept_seg]
    edge_len = length[kept_seg]
    highways = tuple(sorted(set(ways.highway)))
    way_code = np.searchsorted(np.array(highways), np.array(ways.highway)).astype(np.int16)
    arrays = RoadArrays(
        node_id=nodes[in_scc], x=np.asarray(node_x)[in_scc], y=np.asarray(node_y)[in_scc],
        lon=node_lon[in_scc], lat=node_lat[in_scc],
        u=position[src[keep]], v=position[dst[keep]], length_m=edge_len,
        time_s=edge_len / (ways.speed_kmh[kept_way] / 3.6),
        highway=way_code[kept_way], way_id=np.asarray(ways.way_id, dtype=np.int64)[kept_way],
        highways=highways)

    dropped = np.unique(edge_seg[~keep])
    fragment_xy = np.stack(
        [np.column_stack([node_x[a[dropped]], node_y[a[dropped]]]),
         np.column_stack([node_x[b[dropped]], node_y[b[dropped]]])],
        axis=1,
    ).reshape(-1, 2, 2)
    return RoadNetwork(
        arrays=arrays,
        crs=crs,
        source=path,
        nodes_total=int(n),
        edges_total=int(src.size),
        outside_nodes=frozenset(nodes[~in_scc].tolist()),
        speeds_kmh=MappingProxyType(speeds),
        fragment_lines=np.asarray(shapely.linestrings(fragment_xy), dtype=object),
    )


@dataclass
class _Ways:
    """Drivable ways as parallel lists, filled while streaming the file.

    The per-node columns are typed arrays (8 bytes a value, not a Python object each): a tile
    has millions of way nodes.
    """

    way_id: list[int] = field(default_factory=list)
    highway: list[str] = field(default_factory=list)
    speed: list[float] = field(default_factory=list)
    directions: list[int] = field(default_factory=list)
    refs: array[int] = field(default_factory=lambda: array("q"))
    lons: array[float] = field(default_factory=lambda: array("d"))
    lats: array[float] = field(default_factory=lambda: array("d"))
    way_index: array[int] = field(default_factory=lambda: array("q"))

    @property
    def direction(self) -> np.ndarray:
        """Direction code per way, as an array indexable by way position."""
        return np.asarray(self.directions, dtype=np.int8)

    @property
    def speed_kmh(self) -> np.ndarray:
        """Speed per way, as an array indexable by way position."""
        return np.asarray(self.speed, dtype=float)

    def node_arrays(self) -> tuple[np.ndarray, ...]:
        """Return node id, lon, lat, way position and location validity per way node."""
        lon = np.asarray(self.lons, dtype=float)
        return (
            np.asarray(self.refs, dtype=np.int64),
            lon,
            np.asarray(self.lats, dtype=float),
            np.asarray(self.way_index, dtype=np.int64),
            np.isfinite(lon),
        )


def _read_ways(path: Path, speeds: Mapping[str, float]) -> _Ways:
    """Stream the drivable ways of ``path`` with their node locations."""
    ways = _Ways()
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = way.tags
            highway = tags.get("highway")
            if highway is None or highway not in speeds or tags.get("area") == "yes":
                continue
            position = len(ways.way_id)
            ways.way_id.append(way.id)
            ways.highway.append(highway)
            ways.speed.append(float(speeds[highway]))
            ways.directions.append(_direction(highway, tags))
            for ref in way.nodes:
                location = ref.location
                ok = location.valid()
                ways.refs.append(ref.ref)
                ways.lons.append(location.lon if ok else math.nan)
                ways.lats.append(location.lat if ok else math.nan)
                ways.way_index.append(position)
    except RuntimeError as exc:
        raise InputError(path, "file", f"cannot read OSM data ({exc})") from exc
    return ways


def _direction(highway: str, tags: osmium.osm.TagList) -> int:
    """Return the direction code of a way from its ``oneway``/``junction`` tags."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in _ONEWAY_FORWARD:
        return _FORWARD
    if oneway in _ONEWAY_BACKWARD:
        return _BACKWARD
    if oneway in _ONEWAY_NO:
        return _BOTH
    if tags.get("junction") in _IMPLIED_ONEWAY_JUNCTIONS or highway in _IMPLIED_ONEWAY_HIGHWAYS:
        return _FORWARD
    return _BOTH


def _ways_near(
    boundary: BaseGeometry, lon: np.ndarray, lat: np.ndarray, way_of_node: np.ndarray
) -> np.ndarray:
    """Return, per way position, whether any of its nodes lies near ``boundary``."""
    area = buffer_lonlat(boundary, BOUNDARY_BUFFER_M)
    shapely.prepare(area)
    inside = np.zeros(lon.size, dtype=bool)
    valid = np.isfinite(lon)
    inside[valid] = shapely.contains_xy(area, lon[valid], lat[valid])
    near = np.zeros(int(way_of_node.max()) + 1, dtype=bool)
    near[way_of_node[inside]] = True
    return near
