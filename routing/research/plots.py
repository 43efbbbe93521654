"""PNG plots of a sweep's results (matplotlib, Agg backend: no display needed).

* ``cost_per_parcel_by_strategy.png`` — cost per parcel of each strategy, one box per strategy
  and cost model over every scenario, fleet, demand scale and seed;
* ``saving_vs_density.png`` — each strategy's saving against ``independent`` (mean over seeds,
  bars for the spread) against villages per km² of the county;
* ``cost_vs_fleet_size.png`` — daily cost against the fleet size offered to the solver.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from routing.core import Strategy
from routing.research.results import costs_long, savings_summary

#: File names of the plots :func:`write_plots` writes, in order.
PLOT_FILES: tuple[str, ...] = ("cost_per_parcel_by_strategy.png", "saving_vs_density.png",
                               "cost_vs_fleet_size.png")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _finish(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def cost_per_parcel_by_strategy(long: pd.DataFrame, path: Path) -> Path:
    """Box plot of cost per parcel per strategy, one colour per cost model, every cell a dot."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    if long.empty:
        _empty(ax, "no finished cells")
        return _finish(fig, path)
    strategies = sorted(long["strategy"].unique())
    models = sorted(long["cost_model"].unique())
    width = 0.8 / len(models)
    for m, model in enumerate(models):
        data = [long[(long["strategy"] == s) & (long["cost_model"] == model)]["cost_per_parcel"]
                .dropna().to_numpy() for s in strategies]
        positions = [i + (m - (len(models) - 1) / 2) * width for i in range(len(strategies))]
        box = ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True,
                         showfliers=True)
        colour = plt.get_cmap("tab10")(m)
        for patch in box["boxes"]:
            patch.set_facecolor(colour)
            patch.set_alpha(0.6)
        for x, values in zip(positions, data, strict=True):
            spread = np.linspace(-width * 0.25, width * 0.25, len(values))
            ax.scatter(x + spread, values, s=9, color=colour, edgecolor="black",
                       linewidth=0.3, zorder=3)
        ax.plot([], [], "s", color=colour, alpha=0.6, label=model)
    ax.set_xticks(range(len(strategies)), strategies)
    ax.set_ylabel("cost per parcel (CNY)")
    ax.set_title("Cost per parcel by strategy")
    ax.legend(title="cost model")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def saving_vs_density(df: pd.DataFrame, path: Path, *,
                      baseline: str = Strategy.INDEPENDENT) -> Path:
    """Saving against ``baseline`` (mean and spread over seeds) vs villages per km²."""
    summary = savings_summary(df, baseline=baseline)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    summary = summary.dropna(subset=["villages_per_km2"])
    if summary.empty:
        _empty(ax, f"no saving to plot: needs the {str(baseline)!r} strategy and another one, "
                   f"on scenarios with a boundary")
        return _finish(fig, path)
    groups = summary.groupby(["strategy", "cost_model"])
    for i, ((strategy, model), part) in enumerate(groups):
        ax.errorbar(part["villages_per_km2"], part["mean_pct"], yerr=part["std_pct"].fillna(0),
                    fmt=_MARKERS[i % len(_MARKERS)], capsize=3, alpha=0.8,
                    label=f"{strategy} ({model})")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("villages per km² of the county")
    ax.set_ylabel(f"saving vs {baseline} (%)")
    ax.set_title(f"Saving against {baseline} by settlement density")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return _finish(fig, path)


def cost_vs_fleet_size(long: pd.DataFrame, path: Path) -> Path:
    """Mean daily cost against the fleet size offered, one line per strategy and cost model."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    if long.empty:
        _empty(ax, "no finished cells")
        return _finish(fig, path)
    grouped = long.groupby(["strategy", "cost_model", "fleet_size"])["cost"].mean().reset_index()
    for i, ((strategy, model), part) in enumerate(grouped.groupby(["strategy", "cost_model"])):
        part = part.sort_values("fleet_size")
        ax.plot(part["fleet_size"], part["cost"], marker=_MARKERS[i % len(_MARKERS)],
                label=f"{strategy} ({model})")
    ax.set_xlabel("fleet size offered (vehicles)")
    ax.set_ylabel("mean daily cost (CNY)")
    ax.set_title("Cost vs fleet size")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return _finish(fig, path)


def write_plots(df: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write every plot of the results table ``df`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    long = costs_long(df)
    return [cost_per_parcel_by_strategy(long, out_dir / PLOT_FILES[0]),
            saving_vs_density(df, out_dir / PLOT_FILES[1]),
            cost_vs_fleet_size(long, out_dir / PLOT_FILES[2])]
