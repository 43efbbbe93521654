"""Static route maps for printed sheets, drawn offline with matplotlib from our own geodata.

A sheet map shows one route zoomed to its extent: main roads in grey, the county boundary
dashed, the route along the roads in its colour, numbered stops, the depot, a north arrow and
a scale bar in kilometres; a small inset shows where the route lies in the county. No tile
server is involved, so sheets print the same anywhere.

Coordinates are drawn in a local equirectangular projection in kilometres around the route's
centre (x = Δlon·cos φ₀, y = Δlat), which keeps distances true to well under 1 % over a
county, so the scale bar and north arrow are honest.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

#: Kilometres per degree of latitude (mean), and of longitude at the equator.
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320

_MM_PER_INCH = 25.4
_ROAD_GREY = "#b5b5b5"
_BOUNDARY_GREY = "#444444"


@dataclass(frozen=True)
class _Projection:
    """Local equirectangular projection to kilometres around (lon0, lat0)."""

    lon0: float
    lat0: float

    def xy(self, lonlat: np.ndarray) -> np.ndarray:
        lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        x = (lonlat[:, 0] - self.lon0) * _KM_PER_DEG_LON * math.cos(math.radians(self.lat0))
        y = (lonlat[:, 1] - self.lat0) * _KM_PER_DEG_LAT
        return np.column_stack([x, y])

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon = self.lon0 + x / (_KM_PER_DEG_LON * math.cos(math.radians(self.lat0)))
        return lon, self.lat0 + y / _KM_PER_DEG_LAT


def _lines(geometry: BaseGeometry | None) -> list[np.ndarray]:
    """The coordinate arrays of every line part of ``geometry`` (polygons give their rings)."""
    if geometry is None or geometry.is_empty:
        return []
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        geometry = geometry.boundary
    parts = getattr(geometry, "geoms", [geometry])
    return [np.asarray(g.coords) for g in parts if g.geom_type in ("LineString", "LinearRing")
            and len(g.coords) >= 2]


def nice_scale_km(span_km: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ km) close to a fifth of ``span_km``."""
    if span_km <= 0:
        raise ValueError(f"map span must be > 0 km, got {span_km}")
    target = span_km / 5
    power: float = 10 ** math.floor(math.log10(target))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda v: abs(math.log(v / target)))


def _extent(points: np.ndarray, aspect: float, *, pad: float = 0.10,
            min_span_km: float = 3.0) -> tuple[float, float, float, float]:
    """Bounds (xmin, xmax, ymin, ymax) around ``points`` padded and widened to ``aspect``."""
    (xmin, ymin), (xmax, ymax) = points.min(axis=0), points.max(axis=0)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    width = max(xmax - xmin, min_span_km) * (1 + 2 * pad)
    height = max(ymax - ymin, min_span_km) * (1 + 2 * pad)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _north_arrow(ax: Axes, corner: str) -> None:
    x = 0.965 if corner.endswith("e") else 0.035
    top = 0.90 if corner.startswith("n") else 0.22
    ax.annotate("", xy=(x, top), xytext=(x, top - 0.09), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1",
                            "color": "black", "lw": 1.5}, zorder=5)
    ax.text(x, top + 0.01, "N", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=10, fontweight="bold", zorder=5)


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float], corner: str) -> None:
    xmin, xmax, ymin, ymax = extent
    length = nice_scale_km(xmax - xmin)
    margin = (xmax - xmin) * 0.05
    x0 = xmax - margin - length if corner.endswith("e") else xmin + margin
    y0 = ymin + (ymax - ymin) * (0.90 if corner.startswith("n") else 0.05)
    h = (ymax - ymin) * 0.012
    ax.add_patch(Rectangle((x0 - length * 0.12, y0 - h * 1.5), length * 1.24,
                           (ymax - ymin) * 0.075, facecolor="white", alpha=0.85,
                           edgecolor="none", zorder=5))
    for k in range(2):
        ax.add_patch(Rectangle((x0 + k * length / 2, y0), length / 2, h,
                               facecolor="black" if k == 0 else "white", edgecolor="black",
                               lw=0.8, zorder=5))
    ax.text(x0, y0 + h * 1.6, "0", ha="center", va="bottom", fontsize=7, zorder=5)
    ax.text(x0 + length, y0 + h * 1.6, f"{length:g} km", ha="center", va="bottom", fontsize=7,
            zorder=5)


def _crowding(frac: np.ndarray, weights: np.ndarray, corner: str, w: float, h: float) -> float:
    """Weight of the points (in axes fractions) inside a ``w`` x ``h`` box at ``corner``."""
    x_in = frac[:, 0] < w if corner.endswith("w") else frac[:, 0] > 1 - w
    y_in = frac[:, 1] > 1 - h if corner.startswith("n") else frac[:, 1] < h
    return float(weights[x_in & y_in].sum())


def _place(frac: np.ndarray, weights: np.ndarray, inset: tuple[float, float] | None
           ) -> tuple[str, str, str]:
    """Corners for the inset, the scale bar and the north arrow.

    Each goes where it hides least of the route, the inset first as it is the largest; stops
    weigh more than line vertices because a hidden stop number is worse than a hidden road.
    """
    corners = ("sw", "nw", "se", "ne")
    taken = ""
    if inset is not None:
        taken = min(corners, key=lambda c: (_crowding(frac, weights, c, *inset),
                                            corners.index(c)))
    bar = min((c for c in ("se", "sw", "ne", "nw") if c != taken),
              key=lambda c: _crowding(frac, weights, c, 0.32, 0.14))
    arrow = min((c for c in ("ne", "nw", "se", "sw") if c not in (taken, bar)),
                key=lambda c: _crowding(frac, weights, c, 0.08, 0.2))
    return taken, bar, arrow


def _inset_size(rings: Sequence[np.ndarray], width_mm: float, height_mm: float
                ) -> tuple[float, float]:
    """Inset width and height as fractions of the map, keeping the county's shape."""
    allxy = np.vstack(rings)
    (bx0, by0), (bx1, by1) = allxy.min(axis=0), allxy.max(axis=0)
    size_mm = min(width_mm, height_mm) * 0.24
    aspect = (bx1 - bx0) / max(by1 - by0, 1e-9)
    w_mm, h_mm = (size_mm, size_mm / aspect) if aspect >= 1 else (size_mm * aspect, size_mm)
    return w_mm / width_mm, h_mm / height_mm


def route_sheet_map(
    route: LineString,
    stops: Sequence[tuple[float, float]],
    depot: tuple[float, float],
    *,
    colour: str,
    boundary: BaseGeometry | None = None,
    roads: Sequence[LineString] = (),
    width_mm: float = 190.0,
    height_mm: float = 110.0,
) -> Figure:
    """Draw one route on its roads, as a matplotlib figure ready to save as PNG or SVG.

    Parameters
    ----------
    route
        Road-following line in EPSG:4326 (lon, lat).
    stops
        ``(lon, lat)`` of the stops in visiting order; drawn as circles numbered from 1.
        Stops at the same place (a relay station's loads) share one circle, e.g. "2,3".
    depot
        ``(lon, lat)`` of the depot, drawn as a black square marked D.
    colour
        The route's colour (``#rrggbb``).
    boundary
        County (Multi)Polygon in EPSG:4326, drawn dashed and in the inset.
    roads
        Main roads in EPSG:4326, drawn in grey.
    width_mm, height_mm
        Printed size of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot, so it needs no closing; see :func:`figure_bytes`.
    """
    if not stops:
        raise ValueError("a sheet map needs at least one stop")
    route_ll = np.asarray(route.coords)
    stops_ll = np.asarray(stops, dtype=float)
    depot_ll = np.asarray([depot], dtype=float)
    everything = np.vstack([route_ll, stops_ll, depot_ll])
    centre = (everything.min(axis=0) + everything.max(axis=0)) / 2
    proj = _Projection(float(centre[0]), float(centre[1]))
    route_xy, stops_xy, depot_xy = proj.xy(route_ll), proj.xy(stops_ll), proj.xy(depot_ll)
    extent = _extent(np.vstack([route_xy, stops_xy, depot_xy]), width_mm / height_mm)
    xmin, xmax, ymin, ymax = extent

    fig = Figure(figsize=(width_mm / _MM_PER_INCH, height_mm / _MM_PER_INCH))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#333333")
    ax.set_facecolor("#fbfbf8")

    (lon_a, lat_a), (lon_b, lat_b) = proj.lonlat(xmin, ymin), proj.lonlat(xmax, ymax)
    view = (lon_a, lat_a, lon_b, lat_b)
    road_parts = [proj.xy(c) for r in roads
                  for c in _lines(shapely.clip_by_rect(r, *view)) if len(c) >= 2]
    if road_parts:
        ax.add_collection(LineCollection(road_parts, colors=_ROAD_GREY, linewidths=0.8,
                                         zorder=1))
    if boundary is not None:
        clipped = shapely.clip_by_rect(boundary.boundary, *view)
        ax.add_collection(LineCollection([proj.xy(c) for c in _lines(clipped)],
                                         colors=_BOUNDARY_GREY, linewidths=1.2,
                                         linestyles=(0, (6, 3)), zorder=2))
    ax.plot(route_xy[:, 0], route_xy[:, 1], color="white", lw=4.5, solid_capstyle="round",
            zorder=3)
    ax.plot(route_xy[:, 0], route_xy[:, 1], color=colour, lw=2.6, solid_capstyle="round",
            zorder=4)
    radius_pt = 6.5 if len(stops) < 40 else 5
    places: dict[tuple[float, float], list[int]] = {}
    for n, (lon, lat) in enumerate(stops, start=1):
        places.setdefault((float(lon), float(lat)), []).append(n)
    for (lon, lat), numbers in places.items():
        label = ",".join(map(str, numbers))
        (x, y), = proj.xy(np.array([lon, lat]))
        scale = max(1.0, len(label) / 2.5)
        ax.scatter([x], [y], s=(2 * radius_pt * scale) ** 2, c=colour, edgecolors="white",
                   linewidths=1.2, zorder=6)
        ax.text(x, y, label, ha="center", va="center", color="white", zorder=7,
                fontsize=6.5 if len(label) < 3 else 5, fontweight="bold")
    ax.scatter(depot_xy[:, 0], depot_xy[:, 1], s=15 ** 2, marker="s", c="#111111",
               edgecolors="white", linewidths=1.2, zorder=8)
    ax.text(depot_xy[0, 0], depot_xy[0, 1], "D", ha="center", va="center", color="white",
            fontsize=8, fontweight="bold", zorder=9)

    rings = [proj.xy(c) for c in _lines(boundary)] if boundary is not None else []
    inset = _inset_size(rings, width_mm, height_mm) if rings else None
    points = np.vstack([route_xy, stops_xy])
    frac = (points - [xmin, ymin]) / [xmax - xmin, ymax - ymin]
    weights = np.r_[np.ones(len(route_xy)), np.full(len(stops_xy), 20.0)]
    corner, bar, arrow = _place(frac, weights, inset)
    _north_arrow(ax, arrow)
    _scale_bar(ax, extent, bar)
    if inset is not None:
        _inset(fig, rings, route_xy, extent, corner, inset, colour, width_mm, height_mm)
    return fig


def _inset(fig: Figure, rings: Sequence[np.ndarray], route_xy: np.ndarray,
           extent: tuple[float, float, float, float], corner: str, size: tuple[float, float],
           colour: str, width_mm: float, height_mm: float) -> None:
    """A small whole-county locator map in ``corner`` with the route and the main view."""
    allxy = np.vstack(rings)
    (bx0, by0), (bx1, by1) = allxy.min(axis=0), allxy.max(axis=0)
    w, h = size
    margin_x, margin_y = 3 / width_mm, 3 / height_mm
    left = margin_x if corner.endswith("w") else 1 - margin_x - w
    bottom = 1 - margin_y - h if corner.startswith("n") else margin_y
    inset = fig.add_axes((left, bottom, w, h))
    inset.set_facecolor((1, 1, 1, 0.8))
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor("#666666")
    for ring in rings:
        inset.fill(ring[:, 0], ring[:, 1], facecolor="#eeeeea", edgecolor=_BOUNDARY_GREY,
                   lw=0.6)
    inset.plot(route_xy[:, 0], route_xy[:, 1], color=colour, lw=1.2)
    xmin, xmax, ymin, ymax = extent
    inset.add_patch(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, fill=False,
                              edgecolor="#c0392b", lw=0.8))
    pad_x, pad_y = (bx1 - bx0) * 0.04, (by1 - by0) * 0.04
    inset.set_xlim(bx0 - pad_x, bx1 + pad_x)
    inset.set_ylim(by0 - pad_y, by1 + pad_y)
    inset.set_aspect("equal", adjustable="datalim")


def figure_bytes(fig: Figure, *, fmt: str = "png", dpi: int = 200, colours: int = 64) -> bytes:
    """Render ``fig`` as PNG or SVG bytes (``fmt`` is ``"png"`` or ``"svg"``).

    PNGs are reduced to a palette of ``colours`` (0 keeps full colour): a sheet map has few
    colours, and a palette makes the file about five times smaller with no visible change.
    The palette image is taken straight from the Agg pixel buffer and encoded once, at zlib's
    default level: a plan of hundreds of routes draws hundreds of maps.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format must be 'png' or 'svg', got {fmt!r}")
    if fmt == "svg" or not colours:
        buffer = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
        return buffer.getvalue()
    shown_dpi = fig.dpi
    fig.set_dpi(dpi)
    try:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib leaves Agg's draw untyped
        rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", canvas.get_width_height(), rgba)
        palette = image.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    finally:
        fig.set_dpi(shown_dpi)
    out = io.BytesIO()
    palette.save(out, format="PNG")
    return out.getvalue()
