"""The planner's report, ``report.html``: one self-contained page a county planner can email to
the county government or print to PDF from a browser, readable with no network at all.

The page holds, in order:

* the headline: what each strategy saves against ``independent``, like for like, per cost
  model: per parcel, per day and per year (:data:`DAYS_PER_YEAR`), km and CO2 avoided; its
  caveats and how far each saving moved when the search budget doubled (or how to check that);
* the strategy table per cost model: the rows of ``comparison.csv`` (:meth:`Comparison.rows`);
* charts (cost per parcel, km and CO2, vehicles and their trips) drawn by matplotlib as inline
  SVG;
* the strategies map: compare's ``map.html`` (Leaflet inlined) in an ``iframe srcdoc``;
* the carriers' bills under each allocation rule and their stability, when a coalition study
  is given (anything shaped like :class:`CoalitionStudyView`);
* unserved villages with reasons, and the scenario's assumptions (fleet per strategy, cost
  model figures, demand totals, solver settings).

Every name reaches the page through Jinja2 with autoescape on; the charts are matplotlib's own
escaped SVG with text kept as text and mathtext off, so a ``$`` in a name stays a dollar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

from routing.core import CostModel, VehicleType
from routing.reports.report_charts import charts, lfl_co2, lfl_km
from routing.strategies import BASELINE, COLUMNS, Comparison, has_load

#: Days a year the yearly figures assume deliveries on, with the modelled day's demand each day.
#: Rural express delivery in China runs every day of the year.
DAYS_PER_YEAR = 365

#: The command that checks how far the savings depend on the search budget.
CONVERGENCE_HINT = "ruralroute compare SCENARIO --out DIR --check-convergence"



# --- what the report needs of a coalition study ------------------------------------------------


class AllocationView(Protocol):
    """One carrier's bill under one allocation rule and cost model (a row of allocation.csv)."""

    @property
    def cost_model(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def carrier(self) -> str: ...
    @property
    def cost(self) -> float: ...
    @property
    def standalone_cost(self) -> float: ...
    @property
    def saving_pct(self) -> float: ...
    @property
    def in_core(self) -> bool: ...


class BlockingView(Protocol):
    """A coalition whose members a rule charges more than they would pay on their own:
    ``excess`` is what the rule charges them together minus their coalition's cost c(S)."""

    @property
    def cost_model(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def members(self) -> Sequence[str]: ...
    @property
    def excess(self) -> float: ...


class CoalitionStudyView(Protocol):
    """What the report reads of a coalition study: every bill and every blocking coalition."""

    @property
    def allocations(self) -> Sequence[AllocationView]: ...
    @property
    def blocking(self) -> Sequence[BlockingView]: ...


# --- the headline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """What one strategy saves against ``independent`` under one cost model, like for like: the
    gap plan (the carriers' own vans serving the villages it leaves) is in its cost, parcels, km
    and CO2. Money per day is the saving per parcel times the parcels it delivers."""

    strategy: str
    cost_model: str
    currency: str
    saving_pct: float
    per_parcel: float
    base_per_parcel: float
    parcels: int
    km: float
    base_km: float
    co2_kg: float
    base_co2_kg: float
    served: int
    villages: int
    gap_villages: int
    moved_pts: float | None

    @property
    def saving_per_parcel(self) -> float:
        """Money saved per parcel delivered (negative: it costs more)."""
        return self.base_per_parcel - self.per_parcel

    @property
    def saving_per_day(self) -> float:
        """Money saved a day: the saving per parcel times the parcels delivered."""
        return self.saving_per_parcel * self.parcels

    @property
    def saving_per_year(self) -> float:
        """Money saved a year: a day's saving times :data:`DAYS_PER_YEAR`."""
        return self.saving_per_day * DAYS_PER_YEAR

    @property
    def km_avoided(self) -> float:
        """Km a day fewer than the baseline drives (negative: more)."""
        return self.base_km - self.km

    @property
    def co2_avoided_kg(self) -> float:
        """CO2 (kg) a day less than the baseline emits (negative: more)."""
        return self.base_co2_kg - self.co2_kg


def _moved(comparison: Comparison) -> dict[tuple[str, str], float]:
    """Points each saving moved with twice the budget, by (strategy, cost model)."""
    return {(str(r["strategy"]), str(r["cost_model"])): float(r["moved_pts"])
            for r in comparison.convergence_rows() if r["moved_pts"] != ""}


def headlines(comparison: Comparison) -> list[Headline]:
    """One :class:`Headline` per cost model and strategy with a saving to speak of (not the
    baseline, something delivered on both sides), in the order of the comparison rows."""
    if BASELINE not in comparison.results:
        return []
    moved, out = _moved(comparison), []
    for model in comparison.cost_models:
        base = comparison.like_for_like(BASELINE, model)
        for strategy, result in comparison.results.items():
            saving, lfl = comparison.saving(strategy, model), comparison.like_for_like(
                strategy, model)
            if saving is None or lfl.per_parcel is None or base.per_parcel is None:
                continue
            k, gap = result.kpis(), comparison.gaps.get(strategy)
            out.append(Headline(
                strategy=str(strategy), cost_model=model.name, currency=model.currency,
                saving_pct=saving, per_parcel=lfl.per_parcel, base_per_parcel=base.per_parcel,
                parcels=lfl.total_parcels, km=lfl_km(comparison, strategy),
                base_km=lfl_km(comparison, BASELINE), co2_kg=lfl_co2(comparison, strategy, model),
                base_co2_kg=lfl_co2(comparison, BASELINE, model), served=int(k["stops_served"]),
                villages=int(k["stops_served"]) + int(k["stops_unserved"]),
                gap_villages=int(gap.kpis()["stops_served"]) if gap else 0,
                moved_pts=moved.get((str(strategy), model.name))))
    return out


def _headline_sentence(h: Headline) -> str:
    """The headline of one strategy under one cost model, in words a planner can quote."""
    saves = h.saving_pct >= 0
    verb = "saves" if saves else "costs"
    than, more = ("against", "") if saves else ("more than", " more")
    fewer = "fewer" if h.km_avoided >= 0 else "more"
    less = "less" if h.co2_avoided_kg >= 0 else "more"
    text = (f"{h.strategy} {verb} {abs(h.saving_pct):.1f} % per parcel {than} independent: "
            f"{abs(h.saving_per_parcel):.2f} {h.currency} a parcel{more} ({h.per_parcel:.2f} "
            f"vs {h.base_per_parcel:.2f}), {abs(h.saving_per_day):,.0f} {h.currency} a day and "
            f"{abs(h.saving_per_year):,.0f} {h.currency} a year{more} ({DAYS_PER_YEAR} days); "
            f"{abs(h.km_avoided):,.1f} km a day {fewer} and {abs(h.co2_avoided_kg):,.0f} kg "
            f"CO2 a day {less} ({abs(h.co2_avoided_kg) * DAYS_PER_YEAR / 1000:,.1f} t a year). "
            f"It serves {h.served} of {h.villages} villages")
    if h.gap_villages:
        text += (f"; the carriers' own vans serving the {h.gap_villages} it leaves are "
                 "included")
    return text + "."


def _convergence_text(h: Headline, checked: bool) -> str:
    if h.moved_pts is not None:
        return f"moved {h.moved_pts:+.2f} points"
    return "no second figure" if checked else "not checked"


# --- tables ------------------------------------------------------------------------------------


def _cell(value: str | int | float) -> str:
    """A table cell: thousands separated, empty shown as a dash."""
    if value == "":
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}"


def strategy_tables(comparison: Comparison) -> list[tuple[str, list[list[str]]]]:
    """Per cost model, the comparison rows as table cells in :data:`COLUMNS` order."""
    rows = comparison.rows()
    return [(m.name, [[_cell(r[c]) for c in COLUMNS] for r in rows if r["cost_model"] == m.name])
            for m in comparison.cost_models]


def _villages(comparison: Comparison) -> dict[str, tuple[str, int]]:
    stops = comparison.scenario.stops
    return {s.id: (f"{s.name} {s.name_en}".strip(), s.parcels) for s in stops}


def unserved_rows(comparison: Comparison) -> list[dict[str, str]]:
    """Every village a strategy leaves unserved, why, and whether the carriers' vans (its gap
    plan) serve it instead."""
    names, out = _villages(comparison), []
    for strategy, result in comparison.results.items():
        gap = comparison.gaps.get(strategy)
        still = {u.stop: u.reason for u in gap.unserved} if gap else {}
        for u in result.unserved:
            name, parcels = names.get(u.stop, ("", 0))
            if gap is None:
                instead = "–"
            elif u.stop in still:
                instead = f"no: {still[u.stop]}"
            else:
                instead = "yes (in the gap cost)"
            out.append({"strategy": strategy, "stop": u.stop, "name": name,
                        "parcels": str(parcels), "why": str(u.why), "reason": u.reason,
                        "instead": instead})
    return out


def fleet_rows(comparison: Comparison) -> list[dict[str, str]]:
    """Per strategy, echelon and vehicle type: legs, depots, vehicles offered and used, and the
    trips the used ones drive."""
    out = []
    for strategy, result in comparison.results.items():
        offered: dict[tuple[str, str], list[tuple[VehicleType, int, int]]] = {}
        for leg in result.legs:
            used = [day.vehicle_type for day in leg.plan.days()]
            trips = [r.vehicle_type for r in leg.plan.routes]
            for vt in leg.problem.vehicle_types:
                offered.setdefault((str(leg.echelon), vt.id), []).append(
                    (vt, used.count(vt.id), trips.count(vt.id)))
        for (echelon, vid), legs in offered.items():
            first = legs[0][0]
            out.append({
                "strategy": str(strategy), "echelon": echelon, "vehicle": vid,
                "kind": first.kind,
                "capacity": f"{first.capacity_parcels} parcels, {first.capacity_kg} kg",
                "legs": str(len(legs)),
                "depots": ", ".join(sorted({v.depot for v, _, _ in legs})),
                "offered": str(sum(v.count for v, _, _ in legs)),
                "used": str(sum(u for _, u, _ in legs)),
                "trips": str(sum(t for _, _, t in legs))})
    return out


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def feeder_lines(comparison: Comparison) -> list[str]:
    """One sentence per strategy with feeder legs (carriers' vans from their branches to the
    hub): carriers, vehicles, trips, km and hours."""
    out = []
    for strategy, result in comparison.results.items():
        feeders = result.feeder_legs
        if not feeders:
            continue
        vehicles = sum(len(leg.plan.days()) for leg in feeders)
        trips = sum(len(leg.plan.routes) for leg in feeders)
        km = sum(leg.plan.distance_m for leg in feeders) / 1000
        hours = sum(leg.plan.duration_s for leg in feeders) / 3600
        out.append(f"{strategy}: {_plural(len(feeders), 'carrier')} feed the hub with "
                   f"{_plural(vehicles, 'vehicle')} in {_plural(trips, 'trip')}, {km:,.1f} km "
                   f"and {hours:,.1f} h (routed and checked like every route, before the "
                   f"pooled fleet leaves)")
    return out


def demand_facts(comparison: Comparison) -> dict[str, str]:
    """The day's demand: villages, parcels, kg, produce."""
    stops = comparison.scenario.stops
    return {"villages": f"{len(stops):,}",
            "villages with demand": f"{sum(1 for s in stops if has_load(s)):,}",
            "parcels": f"{sum(s.parcels for s in stops):,}",
            "parcel weight": f"{sum(s.weight_kg for s in stops):,} kg",
            "produce to collect": f"{sum(s.produce_kg for s in stops):,} kg"}


def carrier_rows(comparison: Comparison) -> list[dict[str, str]]:
    sc = comparison.scenario
    return [{"id": c.id, "name": c.name, "share": f"{100 * c.share:.1f} %", "branch": c.depot,
             "vehicles": ", ".join(c.vehicles)} for c in sc.carriers]


def cost_model_rows(model: CostModel) -> list[dict[str, str]]:
    """The rates of one cost model per vehicle kind."""
    return [{"kind": kind, "fixed": f"{r.fixed_per_day:,.2f}", "per_km": f"{r.per_km:,.2f}",
             "per_hour": f"{r.per_hour:,.2f}", "co2": f"{r.co2_g_per_km:,.0f}"}
            for kind, r in model.rates.items()]


# --- coalitions --------------------------------------------------------------------------------


def _carrier_names(comparison: Comparison) -> dict[str, str]:
    return {c.id: c.name for c in comparison.scenario.carriers}


def coalition_sections(comparison: Comparison, study: CoalitionStudyView | None
                       ) -> list[dict[str, object]]:
    """Per cost model of the study: the bills by rule and carrier, and per rule whether it is in
    the core and which coalitions block it. Empty without a study."""
    if study is None:
        return []
    names = _carrier_names(comparison)
    currency = {m.name: m.currency for m in comparison.cost_models}
    models = list(dict.fromkeys(a.cost_model for a in study.allocations))
    out: list[dict[str, object]] = []
    for model in models:
        bills = [a for a in study.allocations if a.cost_model == model]
        rules = list(dict.fromkeys(a.rule for a in bills))
        rows = [{"rule": a.rule, "carrier": names.get(a.carrier, a.carrier),
                 "cost": f"{a.cost:,.0f}", "standalone": f"{a.standalone_cost:,.0f}",
                 "saving": f"{a.standalone_cost - a.cost:,.0f}",
                 "saving_pct": f"{a.saving_pct:.1f}", "in_core": "yes" if a.in_core else "no"}
                for a in bills]
        stability = [_stability(rule, bills, study.blocking, model, names) for rule in rules]
        out.append({"model": model, "currency": currency.get(model, "CNY"), "rows": rows,
                    "stability": stability})
    return out


def _stability(rule: str, bills: Sequence[AllocationView], blocking: Sequence[BlockingView],
               model: str, names: Mapping[str, str]) -> str:
    """One sentence: is ``rule``'s allocation in the core, and if not, who blocks it."""
    blocks = [b for b in blocking if b.cost_model == model and b.rule == rule]
    in_core = all(a.in_core for a in bills if a.rule == rule)
    if in_core and not blocks:
        return f"{rule}: in the core (no group of carriers would pay less on its own)"
    if not blocks:
        return f"{rule}: not in the core"
    listed = "; ".join(f"{' + '.join(names.get(m, m) for m in b.members)} would pay "
                       f"{b.excess:,.0f} less on its own" for b in blocks)
    return f"{rule}: not in the core: {listed}"


# --- the page ----------------------------------------------------------------------------------



#: The page's Jinja2 template, ``templates/report.html`` beside this module.
_PAGE = Environment(loader=PackageLoader("routing.reports", "templates"), autoescape=True,
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                    keep_trailing_newline=True).get_template("report.html")


def _headline_view(h: Headline, checked: bool) -> dict[str, str]:
    """A headline's figures as the page shows them."""
    return {"strategy": h.strategy, "cost_model": h.cost_model,
            "tone": "saves" if h.saving_pct >= 0 else "costs",
            "saving_pct": f"{h.saving_pct:.1f}", "per_parcel": f"{h.saving_per_parcel:,.2f}",
            "per_day": f"{h.saving_per_day:,.0f}", "per_year": f"{h.saving_per_year:,.0f}",
            "km": f"{h.km_avoided:,.1f}", "co2": f"{h.co2_avoided_kg:,.0f}",
            "co2_year": f"{h.co2_avoided_kg * DAYS_PER_YEAR / 1000:,.1f}",
            "served": f"{h.served} of {h.villages}", "moved": _convergence_text(h, checked),
            "sentence": _headline_sentence(h)}


def convergence_summary(comparison: Comparison, heads: Sequence[Headline]) -> str:
    """How far the savings moved when the budget doubled, or that it was not checked."""
    if comparison.doubled is None:
        return (f"Not checked: these savings come from one search budget. Run "
                f"`{CONVERGENCE_HINT}` to solve every strategy again with twice the budget "
                f"and see how far each saving moves.")
    moved = [h for h in heads if h.moved_pts is not None]
    if not moved:
        return "Checked with twice the search budget, but no saving has a second figure."
    worst = max(moved, key=lambda h: abs(h.moved_pts or 0.0))
    return (f"With twice the search budget every saving moved by at most "
            f"{abs(worst.moved_pts or 0.0):.2f} percentage points (the largest: {worst.strategy}, "
            f"{worst.cost_model}, {worst.moved_pts:+.2f}); convergence.csv has every figure.")


def caveats(comparison: Comparison) -> list[str]:
    """What the figures rest on, said plainly."""
    models = "; ".join(f"{m.name}: {m.description}" if m.description else m.name
                       for m in comparison.cost_models)
    return [
        "Demand is synthetic: parcels and produce per village come from a seeded model (see the "
        "scenario's README), not from the carriers' records.",
        f"Costs are illustrative ({models}); the rates are under Assumptions, to be replaced by "
        "the carriers' own figures.",
        f"Yearly figures are a day's times {DAYS_PER_YEAR}: deliveries every day of the year "
        "with this day's demand.",
        "Like for like: a strategy that leaves villages unserved is charged the carriers' own "
        "vans serving them (the gap plan), in its cost, parcels, km and CO2; a day's saving is "
        "the saving per parcel times the parcels delivered.",
        "Feeder trips from the carriers' branches to the hub are routed, scheduled before the "
        "pooled fleet leaves and checked like every route; their vehicles, km, hours, cost and "
        "CO2 are in the figures. Vehicles count vehicles a day (a fixed cost each), however "
        "many trips each drives.",
    ]


def _model_view(model: CostModel) -> dict[str, object]:
    return {"name": model.name, "description": model.description, "currency": model.currency,
            "transfer": f"{model.transfer_per_parcel:,.2f}", "per_stop": f"{model.per_stop:,.2f}",
            "carbon": f"{model.carbon_price_per_t:,.0f}", "rates": cost_model_rows(model)}


def _scenario_line(comparison: Comparison) -> str:
    sc, facts = comparison.scenario, demand_facts(comparison)
    return (f"Scenario {sc.name}: {facts['villages']} villages, {facts['parcels']} parcels and "
            f"{facts['produce to collect']} of produce a day; strategies "
            f"{', '.join(comparison.results)}; cost models "
            f"{', '.join(m.name for m in comparison.cost_models)}.")


def render_report_html(comparison: Comparison, *, map_html: str | None = None,
                       study: CoalitionStudyView | None = None,
                       run: Mapping[str, object] | None = None, command: str = "compare") -> str:
    """The planner's report as one self-contained HTML page.

    Parameters
    ----------
    comparison
        The compared strategies (their rows are the page's figures).
    map_html
        The strategies map page (compare's ``map.html``), inlined in an ``iframe srcdoc``.
    study
        A coalition study: the carriers' bills by rule and their stability.
    run
        Solver facts to list under Assumptions (engine, seed, settings).
    command
        The ruralroute command that wrote the page.
    """
    heads = headlines(comparison)
    checked = comparison.doubled is not None
    context = {
        "title": f"{comparison.scenario.title}: what pooling the carriers' parcels saves",
        "scenario_line": _scenario_line(comparison), "command": command,
        "currency": comparison.cost_models[0].currency if comparison.cost_models else "CNY",
        "days_per_year": DAYS_PER_YEAR,
        "headlines": [_headline_view(h, checked) for h in heads],
        "convergence": convergence_summary(comparison, heads), "caveats": caveats(comparison),
        "columns": [c.replace("_", " ") for c in COLUMNS], "tables": strategy_tables(comparison),
        "charts": charts(comparison) if comparison.cost_models else [],
        "map_html": map_html or "", "coalitions": coalition_sections(comparison, study),
        "unserved": unserved_rows(comparison), "demand": demand_facts(comparison),
        "carriers": carrier_rows(comparison), "fleet": fleet_rows(comparison),
        "feeders": feeder_lines(comparison),
        "models": [_model_view(m) for m in comparison.cost_models],
        "run": {k: "–" if v is None else str(v) for k, v in (run or {}).items()},
    }
    return _PAGE.render(context)


def write_report_html(path: Path, comparison: Comparison, *, map_html: str | None = None,
                      study: CoalitionStudyView | None = None,
                      run: Mapping[str, object] | None = None, command: str = "compare") -> Path:
    """Write ``report.html`` (:func:`render_report_html`) to ``path``; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report_html(comparison, map_html=map_html, study=study, run=run,
                                       command=command), encoding="utf-8")
    return path
