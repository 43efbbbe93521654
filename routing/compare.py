"""Compare strategies on the same inputs under several cost models: the planner's headline table.

Savings are measured in cost per parcel delivered against ``independent`` (today's practice),
so a strategy that leaves villages unserved does not look cheaper merely for delivering less;
the served/unserved columns say when that happens.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from routing.costs import CostModel
from routing.engines.base import SolveSettings
from routing.errors import InputError
from routing.pipeline import StepHook, Timings, locate
from routing.scenario import Scenario
from routing.strategies import STRATEGIES, StrategyResult, run_strategy

BASELINE = "independent"

COLUMNS = ("strategy", "cost_model", "vehicles", "routes", "km", "driver_hours",
           "village_visits", "parcels", "served", "unserved", "cost", "cost_per_parcel",
           "co2_kg", "saving_pct")


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every strategy's result on one scenario, and the cost models they are priced under."""

    scenario: Scenario
    results: dict[str, StrategyResult]
    cost_models: tuple[CostModel, ...]

    def rows(self) -> list[dict[str, str | int | float]]:
        """One row per strategy and cost model, with the saving against ``independent``."""
        rows = []
        for model in self.cost_models:
            base = self.results.get(BASELINE)
            base_pp = base.costs(model).per_parcel if base is not None else None
            for strategy, result in self.results.items():
                k, c = result.kpis(), result.costs(model)
                saving = (round(100 * (1 - c.per_parcel / base_pp), 1)
                          if base_pp and strategy != BASELINE else "")
                rows.append({
                    "strategy": strategy, "cost_model": model.name,
                    "vehicles": k["vehicles"], "routes": k["routes"], "km": k["distance_km"],
                    "driver_hours": round(k["driver_hours"], 1),
                    "village_visits": k["village_visits"], "parcels": k["parcels"],
                    "served": k["stops_served"], "unserved": k["stops_unserved"],
                    "cost": round(c.total), "cost_per_parcel": round(c.per_parcel, 2),
                    "co2_kg": round(c.co2_kg), "saving_pct": saving,
                })
        return rows

    def headline(self) -> list[str]:
        """One sentence per cost model on what pooling saves, read off the rows."""
        lines = []
        all_rows = self.rows()
        for model in self.cost_models:
            rows = {r["strategy"]: r for r in all_rows if r["cost_model"] == model.name}
            base = rows.get(BASELINE)
            if base is None:
                continue
            for strategy, row in rows.items():
                if strategy == BASELINE or row["saving_pct"] == "":
                    continue
                verb = "saves" if float(row["saving_pct"]) >= 0 else "costs"
                lines.append(
                    f"Under the {model.name} cost model, {strategy} {verb} "
                    f"{abs(float(row['saving_pct'])):.1f} % per parcel against independent "
                    f"({row['cost_per_parcel']} vs {base['cost_per_parcel']} {model.currency}), "
                    f"drives {row['km']:,} km instead of {base['km']:,} and serves "
                    f"{row['served']} of {row['served'] + row['unserved']} villages.")
        return lines


def compare_strategies(
    scenario: Scenario,
    settings: SolveSettings,
    *,
    strategies: Sequence[str] = STRATEGIES,
    cost_models: Sequence[CostModel] = (),
    engine: str | None = None,
    cache_dir: Path | None = None,
    hook: StepHook | None = None,
) -> Comparison:
    """Solve each strategy on the same located scenario; price each under every cost model.

    Without ``cost_models`` the scenario's own cost model is used.
    """
    models = tuple(cost_models) or ((scenario.cost_model,) if scenario.cost_model else ())
    if not models:
        raise InputError(scenario.path, "costs", "comparing strategies needs a cost model; add "
                         "[costs] model = \"diesel\" or pass --cost-model")
    kinds = sorted({vt.kind for vt in scenario.vehicle_types})
    for model in models:
        missing = [k for k in kinds if k not in model.rates]
        if missing:
            raise InputError(model.source or model.name, f"rates.{missing[0]}",
                             f"the scenario has {missing[0]} vehicles but this cost model does "
                             f"not price them; add a [rates.{missing[0]}] table")
    geography = locate(scenario, timings=Timings(hook=hook), cache_dir=cache_dir)
    results = {s: run_strategy(scenario, s, settings, engine=engine, geography=geography,
                               hook=hook) for s in strategies}
    return Comparison(scenario, results, models)


def write_comparison_csv(path: Path, comparison: Comparison) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(comparison.rows())
    return path


def comparison_markdown(comparison: Comparison) -> str:
    """The comparison as a Markdown report: the table, the headline and its caveats."""
    sc = comparison.scenario
    lines = [f"# {sc.title}: strategies compared", "",
             f"{len(sc.stops)} villages, {sum(s.parcels for s in sc.stops):,} parcels and "
             f"{sum(s.produce_kg for s in sc.stops):,} kg of produce a day.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in comparison.rows():
        lines.append("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    lines += ["", *comparison.headline(), "",
              "Saving is in cost per parcel delivered, against `independent`. Feeder trips from "
              "carrier branches to the hub and each parcel transfer are included in the cost. "
              "Demand is synthetic (a seeded model, see the scenario's README); road data is "
              "OpenStreetMap (© OpenStreetMap contributors, ODbL)."]
    return "\n".join(lines) + "\n"
