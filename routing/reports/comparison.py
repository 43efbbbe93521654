"""The comparison of strategies as files: ``comparison.csv``, ``convergence.csv`` and Markdown."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from routing.strategies import COLUMNS, CONVERGENCE_COLUMNS, Comparison


def write_comparison_csv(path: Path, comparison: Comparison) -> Path:
    """``comparison.csv``: one row per strategy and cost model (:data:`COLUMNS`)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(comparison.rows())
    return path


def write_convergence_csv(path: Path, comparison: Comparison) -> Path:
    """``convergence.csv``: how far each saving moved when the budget doubled."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CONVERGENCE_COLUMNS)
        writer.writeheader()
        writer.writerows(comparison.convergence_rows())
    return path


def _table(columns: Sequence[str], rows: Sequence[dict[str, str | int | float]]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns),
            *("| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows)]


def comparison_markdown(comparison: Comparison) -> str:
    """The comparison as a Markdown report: the table, the headline and its caveats."""
    sc = comparison.scenario
    lines = [f"# {sc.title}: strategies compared", "",
             f"{len(sc.stops)} villages, {sum(s.parcels for s in sc.stops):,} parcels and "
             f"{sum(s.produce_kg for s in sc.stops):,} kg of produce a day.", "",
             *_table(COLUMNS, comparison.rows())]
    lines += ["", *comparison.headline(), "",
              "Saving is in cost per parcel delivered, like for like, against `independent`: "
              "a strategy that leaves villages unserved is charged `gap_cost`, what the "
              "carriers' own vans would cost to serve them (the independent strategy solved "
              "for exactly those villages, each carrier its share from its own branch; "
              "`gap_villages` of them could be served so), and its cost per parcel is taken "
              "over its own and the gap's parcels together. Every routing problem gets the "
              "same search budget per stop (`budget_s` sums a strategy's legs). `vehicles` "
              "counts vehicles a day (a fixed cost each), which drive `trips` trips in all; "
              "`feeder_vehicles` of them are the carriers' vans bringing their parcels to the "
              "hub, routed and checked like any route. Feeder trips and each parcel transfer "
              "are included in the cost. Demand is synthetic (a seeded model, see the "
              "scenario's README); road data is OpenStreetMap (© OpenStreetMap contributors, "
              "ODbL)."]
    convergence = comparison.convergence_rows()
    if convergence:
        lines += ["", "## Convergence: the same comparison with twice the search budget", "",
                  *_table(CONVERGENCE_COLUMNS, convergence), "",
                  "`moved_pts` is the saving with twice the budget minus the saving with the "
                  "budget, in percentage points; the smaller, the less the saving depends on "
                  "how long the engines searched."]
    return "\n".join(lines) + "\n"
