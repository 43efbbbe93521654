"""The charts of the planner's report and the like-for-like figures they and its headline share.

Charts are matplotlib figures written as SVG into the page: text kept as text (no paths), ids
prefixed per chart so several charts live on one page, metadata dropped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from routing.core import CostModel, Strategy
from routing.strategies import Comparison

#: A row of :meth:`Comparison.rows`.
Row = Mapping[str, str | int | float]


def gap_km(comparison: Comparison, strategy: Strategy) -> float:
    """Km of ``strategy``'s gap plan (0 without one)."""
    gap = comparison.gaps.get(strategy)
    return float(gap.kpis()["distance_km"]) if gap is not None else 0.0


def lfl_km(comparison: Comparison, strategy: Strategy) -> float:
    """Km of ``strategy``'s day with its gap plan's."""
    return float(comparison.results[strategy].kpis()["distance_km"]) + gap_km(comparison,
                                                                               strategy)


def lfl_co2(comparison: Comparison, strategy: Strategy, model: CostModel) -> float:
    """CO2 (kg) of ``strategy``'s day with its gap plan's, under ``model``."""
    parts = [comparison.results[strategy], comparison.gaps.get(strategy)]
    return float(sum(r.costs(model).co2_kg for r in parts if r is not None))


# --- charts ------------------------------------------------------------------------------------

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class Chart:
    """One chart as inline SVG (matplotlib's, text as text)."""

    name: str
    title: str
    svg: Markup


# A tag of matplotlib's SVG (text inside it is escaped, so holds no "<" or ">"), and what in a
# tag names or refers to an id.
_SVG_TAG = re.compile(r"<[^<>]+>")
_SVG_ID_REF = re.compile(r'(\sid="|url\(#|href="#)')
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg(fig: Figure, name: str) -> Markup:
    """``fig`` as an ``<svg>`` element to inline: no XML prolog, and every id (and reference
    to one) prefixed with ``name``, so charts on one page never share an id."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"rr-{name}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = _SVG_METADATA.sub("", buffer.getvalue())
    text = _SVG_TAG.sub(lambda tag: _SVG_ID_REF.sub(lambda ref: f"{ref.group(1)}{name}-",
                                                    tag.group(0)), text[text.index("<svg"):])
    return Markup(text.replace("<svg ", f'<svg class="chart" data-chart="{name}" ', 1))


def _figure(width: float = 7.0, height: float = 3.4, ncols: int = 1
            ) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _grouped(ax: Axes, strategies: Sequence[str], series: Mapping[str, Sequence[float]],
             unit: str) -> None:
    """Bars per strategy, one colour per series (cost model), each labelled with its value."""
    width = 0.8 / max(1, len(series))
    for m, (label, values) in enumerate(series.items()):
        xs = [i + (m - (len(series) - 1) / 2) * width for i in range(len(strategies))]
        bars = ax.bar(xs, values, width * 0.92, label=label, color=_COLOURS[m % len(_COLOURS)])
        ax.bar_label(bars, fmt="{:,.2f}" if max(values, default=0) < 100 else "{:,.0f}",
                     fontsize=7)
    ax.set_xticks(range(len(strategies)), list(strategies))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel(unit)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, title="cost model", title_fontsize=7,
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(3, len(series)))


def _number(value: str | int | float) -> float:
    return 0.0 if value == "" else float(value)


def _by_model(comparison: Comparison, column: str) -> dict[str, list[float]]:
    rows = comparison.rows()
    return {m.name: [_number(r[column]) for r in rows if r["cost_model"] == m.name]
            for m in comparison.cost_models}


def _first_model_rows(comparison: Comparison) -> list[Row]:
    first = comparison.cost_models[0].name
    return [r for r in comparison.rows() if r["cost_model"] == first]


def charts(comparison: Comparison) -> list[Chart]:
    """Cost per parcel (like for like) by strategy and cost model; km and CO2; vehicles (the
    shared or own fleet and the carriers' feeders) with their trips."""
    strategies = list(comparison.results)
    with matplotlib.rc_context({"svg.fonttype": "none", "text.parse_math": False,
                                "font.size": 9}):
        fig, (ax,) = _figure()
        currency = comparison.cost_models[0].currency
        _grouped(ax, strategies, _by_model(comparison, "like_for_like_per_parcel"),
                 f"{currency} per parcel")
        cost = Chart("cost", "Cost per parcel, like for like", _svg(fig, "cost"))
        fig, (km_ax, co2_ax) = _figure(ncols=2)
        km = {"own routes": [_number(r["km"]) for r in _first_model_rows(comparison)],
              "gap plan": [gap_km(comparison, s) for s in strategies]}
        _stacked(km_ax, strategies, km, "km a day")
        _grouped(co2_ax, strategies, {m.name: [lfl_co2(comparison, s, m) for s in strategies]
                                      for m in comparison.cost_models}, "kg CO2 a day")
        distance = Chart("km-co2", "Km and CO2 a day (gap plan included)", _svg(fig, "km-co2"))
        fig, (ax,) = _figure()
        rows = _first_model_rows(comparison)
        _stacked(ax, strategies, {
            "delivery vehicles": [_number(r["vehicles"]) - _number(r["feeder_vehicles"])
                                  for r in rows],
            "feeder vehicles": [_number(r["feeder_vehicles"]) for r in rows]}, "vehicles")
        ax.set_xticks(range(len(strategies)), [f"{s}\n{_number(r['trips']):,.0f} trips"
                                               for s, r in zip(strategies, rows, strict=True)])
        vehicles = Chart("vehicles", "Vehicles a day (and the trips they drive)",
                         _svg(fig, "vehicles"))
    return [cost, distance, vehicles]


def _stacked(ax: Axes, strategies: Sequence[str], parts: Mapping[str, Sequence[float]],
             unit: str) -> None:
    """Stacked bars per strategy, the total written on top."""
    bottom = [0.0] * len(strategies)
    for m, (label, values) in enumerate(parts.items()):
        ax.bar(range(len(strategies)), values, 0.6, bottom=bottom, label=label,
               color=_COLOURS[m % len(_COLOURS)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for i, total in enumerate(bottom):
        ax.annotate(f"{total:,.0f}", (i, total), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(strategies)), list(strategies))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel(unit)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncols=len(parts))


