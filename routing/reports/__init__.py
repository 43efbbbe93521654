"""Reports of checked plans: plan.json, GeoJSON and CSV, web maps, route sheets and comparisons.

* :mod:`~routing.reports.plan_json` — ``plan.json``, written and read in one place;
* :mod:`~routing.reports.geojson` — routes and stops as GeoJSON and CSV;
* :mod:`~routing.reports.leaflet` — the offline Leaflet page maps are drawn on;
* :mod:`~routing.reports.webmap` — self-contained Leaflet web maps of one or several plans;
* :mod:`~routing.reports.write` — every file of a strategy's plan folder, the comparison map;
* :mod:`~routing.reports.comparison` — ``comparison.csv``, ``convergence.csv`` and Markdown;
* :mod:`~routing.reports.sheet_rows` — each route's sheet lines, read off the strategy's legs;
* :mod:`~routing.reports.sheets` — route sheets (a page per vehicle, its trips in order) of a
  result in memory or a plan folder on disk;
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
    part_label,
    route_colour,
    route_key,
    routes_geojson,
    stops_geojson,
    stops_table,
    trip_name,
    vehicle_colours,
    visit_parts,
    write_csv,
    write_geojson,
)
from routing.reports.leaflet import OSM_TILES_URL
from routing.reports.plan_json import (
    ECHELONS,
    check_document,
    feeder_entries,
    plan_document,
    read_plan_json,
    read_sheet_routes,
    vehicle_entries,
    write_plan_json,
)
from routing.reports.sheet_pdf import (
    CJK_FONT_ENV,
    find_cjk_font,
    sheets_html,
    write_sheets,
    write_sheets_pdf,
)
from routing.reports.sheet_rows import (
    FEEDER_NOTE,
    TRUNK_NOTE,
    SheetRoute,
    SheetStop,
    cumulative_distances,
    part_labels,
    sheet_route,
    sheet_routes,
    station_loads,
)
from routing.reports.sheets import (
    ROW_KEYS,
    ROW_KINDS,
    RouteSheet,
    SheetBook,
    SheetTrip,
    build_sheets,
    reload_text,
    route_sheets,
    sheet_facts,
    sheets_from_plan_dir,
    sheets_from_result,
    stop_rows,
)
from routing.reports.webmap import (
    MapPart,
    PlanLayer,
    plans_map,
    route_map,
    save_map,
    strategies_map,
)
from routing.reports.write import (
    FEEDER_LAYER,
    MAP_ROAD_CLASSES,
    comparison_map_html,
    leg_geometries,
    map_context,
    result_colours,
    route_lines,
    write_comparison_map,
    write_strategy_map,
    write_strategy_reports,
)

__all__ = [
    "CJK_FONT_ENV",
    "ECHELONS",
    "FEEDER_LAYER",
    "FEEDER_NOTE",
    "MAP_ROAD_CLASSES",
    "OSM_TILES_URL",
    "ROW_KEYS",
    "ROW_KINDS",
    "STOP_COLUMNS",
    "TRUNK_NOTE",
    "MapPart",
    "PlanLayer",
    "RouteSheet",
    "SheetBook",
    "SheetRoute",
    "SheetStop",
    "SheetTrip",
    "build_sheets",
    "check_document",
    "comparison_map_html",
    "comparison_markdown",
    "cumulative_distances",
    "feeder_entries",
    "find_cjk_font",
    "format_clock",
    "leg_geometries",
    "map_context",
    "part_label",
    "part_labels",
    "plan_document",
    "plans_map",
    "read_plan_json",
    "read_sheet_routes",
    "reload_text",
    "result_colours",
    "route_colour",
    "route_key",
    "route_lines",
    "route_map",
    "route_sheets",
    "routes_geojson",
    "save_map",
    "sheet_facts",
    "sheet_route",
    "sheet_routes",
    "sheets_from_plan_dir",
    "sheets_from_result",
    "sheets_html",
    "station_loads",
    "stop_rows",
    "stops_geojson",
    "stops_table",
    "strategies_map",
    "trip_name",
    "vehicle_colours",
    "vehicle_entries",
    "visit_parts",
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
