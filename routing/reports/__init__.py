"""Reports of checked plans: plan.json, GeoJSON and CSV, web maps, route sheets and comparisons.

* :mod:`~routing.reports.plan_json` — ``plan.json``, written and read in one place;
* :mod:`~routing.reports.geojson` — routes and stops as GeoJSON and CSV;
* :mod:`~routing.reports.webmap` — self-contained Leaflet web maps;
* :mod:`~routing.reports.write` — every file of a strategy's plan folder, the comparison map;
* :mod:`~routing.reports.comparison` — ``comparison.csv``, ``convergence.csv`` and Markdown;
* :mod:`~routing.reports.sheets` — what a driver's route sheet says;
* :mod:`~routing.reports.sheet_pdf` — route sheets printed as PDF and HTML.
"""

from __future__ import annotations

from routing.reports.comparison import (
    comparison_markdown,
    write_comparison_csv,
    write_convergence_csv,
)
from routing.reports.geojson import (
    STOP_COLUMNS,
    format_clock,
    route_colour,
    routes_geojson,
    stops_geojson,
    stops_table,
    write_csv,
    write_geojson,
)
from routing.reports.plan_json import (
    ECHELONS,
    check_document,
    plan_document,
    read_plan_json,
    write_plan_json,
)
from routing.reports.sheet_pdf import (
    CJK_FONT_ENV,
    find_cjk_font,
    sheets_html,
    write_sheets,
    write_sheets_pdf,
)
from routing.reports.sheets import (
    ROW_KEYS,
    TRUNK_NOTE,
    RouteSheet,
    SheetBook,
    SheetLeg,
    SheetStop,
    build_sheets,
    cumulative_distances,
    sheet_facts,
    sheets_from_plan_dir,
    station_loads,
    stop_rows,
)
from routing.reports.webmap import OSM_TILES_URL, PlanLayer, route_map, save_map, strategies_map
from routing.reports.write import (
    MAP_ROAD_CLASSES,
    leg_geometries,
    write_comparison_map,
    write_strategy_map,
    write_strategy_reports,
)

__all__ = [
    "CJK_FONT_ENV",
    "ECHELONS",
    "MAP_ROAD_CLASSES",
    "OSM_TILES_URL",
    "ROW_KEYS",
    "STOP_COLUMNS",
    "TRUNK_NOTE",
    "PlanLayer",
    "RouteSheet",
    "SheetBook",
    "SheetLeg",
    "SheetStop",
    "build_sheets",
    "check_document",
    "comparison_markdown",
    "cumulative_distances",
    "find_cjk_font",
    "format_clock",
    "leg_geometries",
    "plan_document",
    "read_plan_json",
    "route_colour",
    "route_map",
    "routes_geojson",
    "save_map",
    "sheet_facts",
    "sheets_from_plan_dir",
    "sheets_html",
    "station_loads",
    "stop_rows",
    "stops_geojson",
    "stops_table",
    "strategies_map",
    "write_comparison_csv",
    "write_comparison_map",
    "write_convergence_csv",
    "write_csv",
    "write_geojson",
    "write_plan_json",
    "write_sheets",
    "write_sheets_pdf",
    "write_strategy_map",
    "write_strategy_reports",
]
