"""The coalition study: every coalition's checked cost priced under each cost model, the
allocations of the grand coalition's cost and their stability (:mod:`~routing.research.cost_games`).

The coalitions are solved and cached by :mod:`~routing.research.coalitions`; this module turns
their recorded vehicle use into games and bills.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

from routing.core import (
    CostModel,
    InputError,
)
from routing.inputs import Scenario
from routing.pipeline import Geography
from routing.research.coalitions import (
    CoalitionRun,
    CoalitionStore,
    coalition_tasks,
    label,
    solve_missing,
)
from routing.research.cost_games import (
    Coalition,
    CostGame,
    GameAnalysis,
    analyse,
)
from routing.solving import SolveSettings

# --- the study -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bill:
    """One carrier's daily bill under one allocation rule and cost model."""

    cost_model: str
    rule: str
    carrier: str
    cost: float
    standalone_cost: float
    saving_pct: float
    in_core: bool


@dataclass(frozen=True)
class BlockingCoalition:
    """A coalition a rule charges more than it would cost on its own, by ``excess``."""

    cost_model: str
    rule: str
    members: tuple[str, ...]
    excess: float


@dataclass(frozen=True, eq=False)
class CoalitionStudy:
    """Every coalition's cost under every cost model, the allocations of the grand coalition's
    cost and their stability: what ``ruralroute coalitions`` prints and writes, and what a
    report shows ("the carriers' bills under each allocation rule, and stability").

    ``runs`` maps each coalition (members in the scenario's carrier order) to its solved plan;
    ``analyses`` maps each cost model's name to its game and allocations; ``parcels`` is each
    carrier's parcels of the day; ``solved`` and ``cached`` count this run's solves and the
    coalitions read from the store.
    """

    scenario: str
    title: str
    carriers: tuple[str, ...]
    carrier_names: Mapping[str, str]
    parcels: Mapping[str, int]
    cost_models: tuple[CostModel, ...]
    runs: Mapping[Coalition, CoalitionRun]
    analyses: Mapping[str, GameAnalysis]
    solved: int = 0
    cached: int = 0
    wall_time_s: float = 0.0

    @property
    def currency(self) -> str:
        return self.cost_models[0].currency if self.cost_models else "CNY"

    @property
    def allocations(self) -> tuple[Bill, ...]:
        """Every carrier's bill under every rule and cost model (allocation.csv's rows)."""
        return tuple(Bill(r["cost_model"], r["rule"], r["carrier"], r["cost"],
                          r["standalone_cost"], r["saving_pct"], r["in_core"])
                     for r in self.allocation_rows())

    @property
    def blocking(self) -> tuple[BlockingCoalition, ...]:
        """Every coalition that blocks a rule, under every cost model (blocking.csv's rows)."""
        return tuple(BlockingCoalition(name, a.rule, tuple(b.members), b.excess)
                     for name, analysis in self.analyses.items() for a in analysis.allocations
                     for b in a.blocking)

    def coalition_rows(self) -> list[dict[str, Any]]:
        """One row per coalition and cost model: cost, saving against its members alone, and
        its plan's villages, vehicles and km (coalitions.csv)."""
        rows = []
        for model in self.cost_models:
            game = self.analyses[model.name].game
            for members, run in self.runs.items():
                alone = sum(game.cost((m,)) for m in members)
                cost = game.cost(members)
                rows.append({
                    "members": label(members), "size": len(members), "cost_model": model.name,
                    "cost": round(cost, 2), "saving": round(alone - cost, 2),
                    "saving_pct": round(100 * (alone - cost) / alone, 2) if alone else 0.0,
                    "villages": run.villages, "vehicles": run.vehicles,
                    "km": round(run.distance_m / 1000, 1), "parcels": run.day.parcels,
                    "gap_villages": run.gap_villages,
                    "gap_cost": round(run.gap_cost(model), 2), "unserved": run.unserved,
                    "strategy": run.strategy, "solve_time_s": run.solve_time_s})
        return rows

    def allocation_rows(self) -> list[dict[str, Any]]:
        """One row per rule, cost model and carrier: the allocated cost, the cost alone, the
        saving in money and percent, cost per parcel and whether the split is in the core."""
        rows = []
        for model in self.cost_models:
            analysis = self.analyses[model.name]
            alone = analysis.game.standalone()
            for allocation in analysis.allocations:
                for carrier in self.carriers:
                    cost, own = allocation.shares[carrier], alone[carrier]
                    parcels = self.parcels.get(carrier, 0)
                    rows.append({
                        "rule": allocation.rule, "cost_model": model.name, "carrier": carrier,
                        "cost": round(cost, 2), "standalone_cost": round(own, 2),
                        "saving": round(own - cost, 2),
                        "saving_pct": round(100 * (own - cost) / own, 2) if own else 0.0,
                        "parcels": parcels,
                        "cost_per_parcel": round(cost / parcels, 3) if parcels else 0.0,
                        "in_core": allocation.in_core})
        return rows

    def stability_rows(self) -> list[dict[str, Any]]:
        """One row per cost model, rule and blocking coalition: what it would pay under the
        rule, what it costs alone and by how much it overpays (blocking.csv)."""
        return [{"cost_model": name, "rule": a.rule, "members": label(b.members),
                 "cost": round(b.cost, 2), "pays": round(b.pays, 2),
                 "excess": round(b.excess, 2)}
                for name, analysis in self.analyses.items() for a in analysis.allocations
                for b in a.blocking]

    def stability_lines(self, model: str, *, shown: int = 3) -> list[str]:
        """In words, under ``model``: whether the core is empty (the least-core epsilon) and,
        for each rule outside the core, its ``shown`` worst blocking coalitions."""
        analysis = self.analyses[model]
        eps = f"least-core epsilon {analysis.least_core_epsilon:,.2f} {self.currency}"
        lines = [f"{model}: the core is empty: no split keeps every group of carriers from "
                 f"doing better alone ({eps})" if analysis.core_empty else
                 f"{model}: the core is not empty ({eps})"]
        for allocation in analysis.allocations:
            if allocation.in_core:
                continue
            if not allocation.efficient:
                lines.append(f"  {allocation.rule}: does not add up to the pooled cost")
            worst = ", ".join(f"{label(b.members)} by {b.excess:,.2f}"
                              for b in allocation.blocking[:shown])
            more = len(allocation.blocking) - shown
            if worst:
                lines.append(f"  {allocation.rule}: blocked by {worst}"
                             + (f" and {more} more" if more > 0 else ""))
        return lines


def carrier_parcels(scenario: Scenario) -> dict[str, int]:
    """Each carrier's parcels of the day, summed over villages."""
    return {c.id: sum(s.parcels_by_carrier.get(c.id, 0) for s in scenario.stops)
            for c in scenario.carriers}


def check_cost_models(scenario: Scenario, models: Sequence[CostModel]) -> None:
    """Every cost model must price every vehicle kind of the scenario (one-line error if not)."""
    for model in models:
        for kind in sorted({vt.kind for vt in scenario.vehicle_types}):
            model.rates_for(kind)


def coalition_study(scenario: Scenario, settings: SolveSettings, store: CoalitionStore, *,
                    cost_models: Sequence[CostModel] = (), engine: str | None = None,
                    cache_dir: Path | None = None, client: Client | None = None,
                    geography: Geography | None = None,
                    on_solved: Callable[[CoalitionRun, int, int], None] | None = None
                    ) -> CoalitionStudy:
    """Solve (or read from ``store``) every coalition of the scenario's carriers and analyse the
    game under each cost model (the scenario's own when none is given)."""
    started = time.perf_counter()
    models = tuple(cost_models) or ((scenario.cost_model,) if scenario.cost_model else ())
    if not models:
        raise InputError(scenario.path, "costs", "coalitions need a cost model; add [costs] "
                         "model = \"diesel\" or pass --cost-model")
    check_cost_models(scenario, models)
    tasks = coalition_tasks(scenario, settings, engine=engine, cache_dir=cache_dir)
    solved = solve_missing(tasks, store, client=client, geography=geography,
                           on_solved=on_solved)
    runs = {}
    for task in tasks:
        run = store.get(task.key)
        if run is None:
            raise InputError(store.path(task.key), "file", "the coalition was solved but its "
                             "record cannot be read back")
        runs[task.members] = run
    parcels = carrier_parcels(scenario)
    ids = tuple(c.id for c in scenario.carriers)
    analyses = {m.name: analyse(CostGame(ids, {s: r.costs(m) for s, r in runs.items()}),
                                {c: float(p) for c, p in parcels.items()}) for m in models}
    return CoalitionStudy(scenario.name, scenario.title, ids,
                          {c.id: c.name or c.id for c in scenario.carriers}, parcels, models,
                          runs, analyses, solved=solved, cached=len(tasks) - solved,
                          wall_time_s=round(time.perf_counter() - started, 2))


def write_study_csvs(study: CoalitionStudy, out_dir: Path) -> None:
    """Write ``study``'s coalitions.csv, allocation.csv and blocking.csv into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (("coalitions.csv", study.coalition_rows()),
                       ("allocation.csv", study.allocation_rows()),
                       ("blocking.csv", study.stability_rows())):
        with (out_dir / name).open("w", newline="", encoding="utf-8") as fh:
            columns = list(rows[0]) if rows else ["cost_model", "rule", "members", "cost",
                                                  "pays", "excess"]
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)


__all__ = ["Bill", "BlockingCoalition", "CoalitionStudy", "carrier_parcels",
           "check_cost_models", "coalition_study", "write_study_csvs"]
