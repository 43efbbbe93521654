"""ruralroute's planner: from a scenario file to checked routes, reports and research grids.

Subpackages, in the order a solve flows through them. Imports run one way, with no cycle
between packages: core, then solving, inputs, pipeline, strategies, then reports and research;
builder needs only core; all of them build on :mod:`geodata`, which imports nothing from here.

* :mod:`routing.core` — the domain: depots, stops, vehicles, problems, plans, errors, costs;
* :mod:`routing.builder` — write a scenario folder for any county of an OSM extract;
* :mod:`routing.inputs` — read scenario, cost model and sweep files;
* :mod:`routing.pipeline` — place a scenario on its roads; solver settings and the budget rule;
* :mod:`routing.strategies` — independent, consolidated and township relay, checked and compared;
* :mod:`routing.solving` — engines (OR-Tools, PyVRP, auto) behind one registry, the plan checker
  and the diagnosis of unserved stops;
* :mod:`routing.reports` — plan.json, GeoJSON/CSV, web maps, route sheets (PDF/HTML), comparisons;
* :mod:`routing.research` — sweeps on Dask, the results store, plots and benchmarks.
"""
