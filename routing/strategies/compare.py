"""Compare strategies on the same inputs under several cost models: the planner's headline table.

Strategies are compared on equal terms:

* **The same search for every problem.** Each routing problem of every strategy gets the same
  seconds per stop (:func:`routing.pipeline.settings.budget_s`).
* **Like for like.** A strategy that leaves villages unserved is charged what serving them would
  cost by the baseline's means, the carriers' own vans (:func:`routing.strategies.gap.gap_plan`, a
  checked plan): that addition is the ``gap_cost`` column.
* **One saving.** Savings are in cost per parcel delivered, like for like, against
  ``independent`` (today's practice), computed by :func:`routing.core.costs.saving_pct` (the sweep
  store and ``ruralroute results`` use the same function).

With ``check_convergence`` every strategy (and its gap plan) is solved again with twice the
budget, and :meth:`Comparison.convergence_rows` says how many points each saving moved.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from routing.core import STRATEGIES, CostModel, InputError, LikeForLike, Strategy, saving_pct
from routing.inputs import Scenario
from routing.pipeline import Geography, StepHook, Timings, locate
from routing.solving import SolveSettings
from routing.solving.parallel import SharedPool, concurrently, pool_size, shared_pool
from routing.strategies.base import StrategyResult
from routing.strategies.gap import BASELINE, gap_plan
from routing.strategies.run import run_strategy

COLUMNS = ("strategy", "cost_model", "vehicles", "trips", "feeder_vehicles", "km", "driver_hours",
           "village_visits", "parcels", "served", "unserved", "cost", "cost_per_parcel",
           "gap_villages", "gap_parcels", "gap_cost", "like_for_like_per_parcel", "co2_kg",
           "budget_s", "saving_pct")

CONVERGENCE_COLUMNS = ("strategy", "cost_model", "budget_s", "budget_2x_s",
                       "like_for_like_per_parcel", "like_for_like_per_parcel_2x",
                       "saving_pct", "saving_pct_2x", "moved_pts")


def _round(value: float | None, digits: int) -> float | str:
    """A figure for a table cell: rounded, or empty where there is none."""
    return "" if value is None else round(value, digits)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every strategy's result on one scenario, the plans that fill their gaps, the cost models
    they are priced under and, when convergence was checked, the same with twice the budget."""

    scenario: Scenario
    results: dict[Strategy, StrategyResult]
    cost_models: tuple[CostModel, ...]
    gaps: dict[Strategy, StrategyResult | None] = field(default_factory=dict)
    doubled: Comparison | None = None

    def like_for_like(self, strategy: Strategy, model: CostModel) -> LikeForLike:
        """``strategy``'s cost and parcels under ``model``, plus its gap plan's."""
        result, gap = self.results[strategy], self.gaps.get(strategy)
        own = result.costs(model)
        if gap is None:
            return LikeForLike(own.total, own.parcels)
        extra = gap.costs(model)
        return LikeForLike(own.total, own.parcels, extra.total, extra.parcels)

    def saving(self, strategy: Strategy, model: CostModel) -> float | None:
        """Saving in percent against the baseline, like for like; None for the baseline itself,
        without a baseline, or where no parcel is delivered."""
        if strategy == BASELINE or BASELINE not in self.results:
            return None
        return saving_pct(self.like_for_like(strategy, model),
                          self.like_for_like(BASELINE, model))

    def budget_s(self, strategy: Strategy) -> float:
        """The search budget of all of ``strategy``'s legs together, in seconds."""
        return sum(leg.budget_s for leg in self.results[strategy].legs)

    def rows(self) -> list[dict[str, str | int | float]]:
        """One row per strategy and cost model, with the saving against ``independent``."""
        rows = []
        for model in self.cost_models:
            for strategy, result in self.results.items():
                k, c = result.kpis(), result.costs(model)
                lfl, gap = self.like_for_like(strategy, model), self.gaps.get(strategy)
                rows.append({
                    "strategy": str(strategy), "cost_model": model.name,
                    "vehicles": k["vehicles"], "trips": k["trips"],
                    "feeder_vehicles": k["feeder_vehicles"], "km": k["distance_km"],
                    "driver_hours": round(k["driver_hours"], 1),
                    "village_visits": k["village_visits"], "parcels": k["parcels"],
                    "served": k["stops_served"], "unserved": k["stops_unserved"],
                    "cost": round(c.total), "cost_per_parcel": round(c.per_parcel, 2),
                    "gap_villages": gap.kpis()["stops_served"] if gap else 0,
                    "gap_parcels": lfl.gap_parcels, "gap_cost": round(lfl.gap_cost),
                    "like_for_like_per_parcel": _round(lfl.per_parcel, 2),
                    "co2_kg": round(c.co2_kg), "budget_s": round(self.budget_s(strategy), 1),
                    "saving_pct": _round(self.saving(strategy, model), 1),
                })
        return rows

    def convergence_rows(self) -> list[dict[str, str | int | float]]:
        """Per strategy and cost model: like-for-like cost per parcel and saving with the
        budget and with twice the budget, and how many points the saving moved. Empty when
        convergence was not checked."""
        twice = self.doubled
        if twice is None:
            return []
        rows: list[dict[str, str | int | float]] = []
        for model in self.cost_models:
            for strategy in self.results:
                first, second = self.saving(strategy, model), twice.saving(strategy, model)
                moved = None if first is None or second is None else second - first
                rows.append({
                    "strategy": str(strategy), "cost_model": model.name,
                    "budget_s": round(self.budget_s(strategy), 1),
                    "budget_2x_s": round(twice.budget_s(strategy), 1),
                    "like_for_like_per_parcel": _round(
                        self.like_for_like(strategy, model).per_parcel, 3),
                    "like_for_like_per_parcel_2x": _round(
                        twice.like_for_like(strategy, model).per_parcel, 3),
                    "saving_pct": _round(first, 2), "saving_pct_2x": _round(second, 2),
                    "moved_pts": _round(moved, 2),
                })
        return rows

    def headline(self) -> list[str]:
        """One sentence per strategy and cost model on what pooling saves, read off the rows."""
        lines = []
        moved = {(r["strategy"], r["cost_model"]): r["moved_pts"]
                 for r in self.convergence_rows()}
        all_rows = self.rows()
        for model in self.cost_models:
            rows = {str(r["strategy"]): r for r in all_rows if r["cost_model"] == model.name}
            base = rows.get(BASELINE)
            if base is None:
                continue
            for strategy, row in rows.items():
                if strategy == BASELINE or row["saving_pct"] == "":
                    continue
                lines.append(_sentence(model, strategy, row, base,
                                       moved.get((strategy, model.name), "")))
        return lines


def _sentence(model: CostModel, strategy: str, row: dict[str, str | int | float],
              base: dict[str, str | int | float], moved: str | int | float) -> str:
    """The headline sentence of one strategy under one cost model."""
    saving = float(row["saving_pct"])
    verb = "saves" if saving >= 0 else "costs"
    text = (f"Under the {model.name} cost model, {strategy} {verb} {abs(saving):.1f} % per "
            f"parcel against independent, like for like ({row['like_for_like_per_parcel']} vs "
            f"{base['like_for_like_per_parcel']} {model.currency}), drives {row['km']:,} km "
            f"instead of {base['km']:,} and serves {row['served']} of "
            f"{int(row['served']) + int(row['unserved'])} villages")
    if row["gap_villages"]:
        text += (f"; the carriers' own vans serving the {row['gap_villages']} villages it "
                 f"leaves would add {row['gap_cost']:,} {model.currency}")
    if moved != "":
        text += f"; with twice the search budget the saving moves {float(moved):+.2f} points"
    return text + "."


def _check_models(scenario: Scenario, models: Sequence[CostModel]) -> None:
    """Every vehicle kind of the scenario must be priced by every cost model."""
    kinds = sorted({vt.kind for vt in scenario.vehicle_types})
    for model in models:
        missing = [k for k in kinds if k not in model.rates]
        if missing:
            raise InputError(model.source or model.name, f"rates.{missing[0]}",
                             f"the scenario has {missing[0]} vehicles but this cost model does "
                             f"not price them; add a [rates.{missing[0]}] table")


def doubled_settings(settings: SolveSettings) -> SolveSettings:
    """The same search with twice the budget: twice the time limit (so every problem's budget
    doubles, floor included) and twice any solution limit."""
    limit = settings.solution_limit
    return replace(settings, time_limit_s=2 * settings.time_limit_s,
                   solution_limit=None if limit is None else 2 * limit)


@dataclass(frozen=True)
class _Run:
    """What every strategy of one comparison is solved with."""

    scenario: Scenario
    settings: SolveSettings
    geography: Geography
    engine: str | None
    hook: StepHook | None

    def solve(self, strategy: Strategy | str) -> tuple[StrategyResult, StrategyResult | None]:
        """``strategy`` solved and the plan filling its gap."""
        result = run_strategy(self.scenario, strategy, self.settings, engine=self.engine,
                              geography=self.geography, hook=self.hook)
        return result, gap_plan(result, self.settings, engine=self.engine)


def _serialised(hook: StepHook | None, lock: threading.Lock, suffix: str = ""
                ) -> StepHook | None:
    """``hook`` called under ``lock``, by one thread at a time (the progress display is not
    thread-safe), with ``suffix`` after each step name so steps of the same name running at
    once stay apart."""
    if hook is None:
        return None

    def call(name: str, elapsed: float | None) -> None:
        with lock:
            hook(name + suffix, elapsed)
    return call


def _solve_all(runs: Sequence[_Run], strategies: Sequence[Strategy | str],
               models: tuple[CostModel, ...], pool: SharedPool | None) -> list[Comparison]:
    """Per run, every strategy and its gap plan: one after the other without ``pool``, else
    each in a thread, all their searches sharing ``pool``'s workers."""
    calls = [partial(run.solve, s) for run in runs for s in strategies]
    solved = iter([call() for call in calls] if pool is None else concurrently(pool, calls))
    comparisons = []
    for run in runs:
        pairs = [next(solved) for _ in strategies]
        results = {r.strategy: r for r, _ in pairs}
        gaps = {r.strategy: gap for r, gap in pairs}
        comparisons.append(Comparison(run.scenario, results, models, gaps))
    return comparisons


def compare_strategies(
    scenario: Scenario,
    settings: SolveSettings,
    *,
    strategies: Sequence[Strategy | str] = STRATEGIES,
    cost_models: Sequence[CostModel] = (),
    engine: str | None = None,
    cache_dir: Path | None = None,
    hook: StepHook | None = None,
    check_convergence: bool = False,
) -> Comparison:
    """Solve each strategy (and the plan filling its gap) on the same located scenario; price
    each under every cost model.

    Without ``cost_models`` the scenario's own cost model is used. With ``check_convergence``
    everything is solved again with :func:`doubled_settings`, kept as ``doubled``.

    The strategies (and the doubled runs) are solved at once, each in a thread, every search
    of theirs in one shared pool of :func:`pool_size` workers, so each search still has a core
    for its whole budget and the plans are those solving them in turn gives. With one job
    (``settings.jobs == 1``), one strategy or inside a daemonic process they are solved in turn.
    """
    models = tuple(cost_models) or ((scenario.cost_model,) if scenario.cost_model else ())
    if not models:
        raise InputError(scenario.path, "costs", "comparing strategies needs a cost model; add "
                         "[costs] model = \"diesel\" or pass --cost-model")
    _check_models(scenario, models)
    phases = [settings, *([doubled_settings(settings)] if check_convergence else [])]
    at_once = len(phases) * len(strategies) > 1
    # the workers are forked here, before any thread starts
    with shared_pool(pool_size(settings) if at_once else 1) as pool:
        geography = locate(scenario, timings=Timings(hook=hook), cache_dir=cache_dir,
                           decompose=settings.decompose)
        lock = threading.Lock()
        hooks = ([hook, hook] if pool is None else
                 [_serialised(hook, lock), _serialised(hook, lock, " (twice the budget)")])
        runs = [_Run(scenario, s, geography, engine, h)
                for s, h in zip(phases, hooks, strict=False)]
        comparison, *twice = _solve_all(runs, strategies, models, pool)
    return replace(comparison, doubled=twice[0]) if twice else comparison
