"""The grid of a sweep: its cells, each with a key that is a hash of all its inputs.

:func:`expand` turns a :class:`~routing.inputs.SweepSpec` into cells in a stable order (building
the sweep's county scenarios first). A cell's key is a hash of everything that determines its
result (the scenario's content, the files it reads, the strategy, fleet, demand scale, seed,
limits, engine, cost models and ruralroute's own code), so a rerun of the same sweep skips
exactly the cells already recorded in the results store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd

from geodata import read_boundary
from routing.builder import build_county_scenario
from routing.core import InputError, ModelError, Strategy
from routing.inputs import Scenario, SweepSpec, county_id, load_scenario


@dataclass(frozen=True)
class Cell:
    """One solve of the grid, with everything a worker needs to run it and the row's inputs."""

    key: str
    sweep: str
    scenario: str
    scenario_file: str
    county: str
    strategy: Strategy
    fleet: Mapping[str, int]
    demand_scale: float
    seed: int
    time_limit_s: float
    engine: str
    cost_models: tuple[str, ...]
    solution_limit: int | None = None
    villages: int = 0
    area_km2: float | None = None
    cache_dir: str | None = None
    fleet_size: int = 0
    #: Whether big multi-depot problems are solved by parts (``--decompose``); None: by size.
    decompose: bool | None = None

    def __post_init__(self) -> None:
        if self.strategy not in tuple(Strategy):
            raise ModelError(f"cell {self.key}: strategy: unknown strategy {self.strategy!r}")
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        if not self.demand_scale > 0 or not self.time_limit_s > 0:
            raise ModelError(f"cell {self.key}: demand_scale and time_limit_s must be > 0")
        if any(count < 1 for count in self.fleet.values()):
            raise ModelError(f"cell {self.key}: fleet: vehicle counts must be >= 1")
        object.__setattr__(self, "fleet", dict(sorted(self.fleet.items())))

    @property
    def fleet_label(self) -> str:
        """``"as-is"`` for the scenario's own fleet, else ``"tricycle=4,van=2"``."""
        return ",".join(f"{k}={v}" for k, v in self.fleet.items()) or "as-is"

    def inputs(self) -> dict[str, Any]:
        """The row's input columns (also all that a failed cell records besides its error)."""
        density = (self.villages / self.area_km2
                   if self.area_km2 and self.area_km2 > 0 else None)
        return {
            "cell": self.key, "sweep": self.sweep, "scenario": self.scenario,
            "scenario_file": self.scenario_file, "county": self.county,
            "strategy": str(self.strategy), "fleet": self.fleet_label,
            "fleet_size": int(self.fleet_size),
            "demand_scale": float(self.demand_scale), "seed": int(self.seed),
            "time_limit_s": float(self.time_limit_s), "solution_limit": self.solution_limit,
            "engine": self.engine, "decompose": self.decompose,
            "cost_models": ",".join(Path(p).stem for p in self.cost_models),
            "villages": int(self.villages), "area_km2": self.area_km2,
            "villages_per_km2": density,
        }


@dataclass(frozen=True)
class CellOutcome:
    """What a worker sends back: the row to record and the plan document (None if failed)."""

    row: dict[str, Any]
    plan: dict[str, Any] | None



# --- expanding the grid ---------------------------------------------------------------------


@cache
def code_digest() -> str:
    """A digest of ruralroute's own source: a rerun after the code changed recomputes cells
    instead of mixing results from two versions of the planner."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for package in ("routing", "geodata"):
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]



@lru_cache(maxsize=256)
def _file_digest(stamp: tuple[str, int, int]) -> str:
    """SHA-256 of the file a ``(path, size, mtime_ns)`` stamp names; the stamp is the memo key."""
    h = hashlib.sha256()
    with open(stamp[0], "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (memoised per path, size and modification time)."""
    st = path.stat()
    return _file_digest((str(path), st.st_size, st.st_mtime_ns))


def _canonical(value: Any) -> Any:
    """A JSON-ready form of a domain value in which files stand for their content."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)
                if f.name not in ("path", "source")}
    if isinstance(value, Path):
        return file_digest(value) if value.is_file() else value.name
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def scenario_digest(scenario: Scenario) -> str:
    """A hash of a scenario's content and of every file it reads (roads, boundary)."""
    text = json.dumps(_canonical(scenario), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cell_key(*, scenario: str, strategy: Strategy, fleet: Mapping[str, int], demand_scale: float,
             seed: int, time_limit_s: float, solution_limit: int | None, engine: str,
             cost_models: Sequence[str], decompose: bool | None = None) -> str:
    """A stable 16-hex-digit key for a cell from the digests and values of all its inputs."""
    payload = json.dumps({
        "scenario": scenario, "strategy": strategy, "fleet": dict(sorted(fleet.items())),
        "demand_scale": float(demand_scale), "seed": int(seed),
        "time_limit_s": float(time_limit_s), "solution_limit": solution_limit,
        "engine": engine, "cost_models": list(cost_models), "decompose": decompose,
        "code": code_digest()},
        sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def boundary_area_km2(boundary: Path | None) -> float | None:
    """Area of a boundary polygon in km², measured in its local UTM projection."""
    if boundary is None:
        return None
    shape = gpd.GeoSeries([read_boundary(boundary)], crs="EPSG:4326")
    return float(shape.to_crs(shape.estimate_utm_crs()).area.iloc[0] / 1e6)


def build_county_scenarios(spec: SweepSpec, out_dir: Path) -> list[tuple[str, Path]]:
    """Build a scenario folder for each county of the sweep under ``out_dir``.

    The builder is deterministic, so rebuilding on every run gives the same files (and the same
    cell keys) while a changed builder or OSM file yields new keys instead of stale results.
    """
    if not spec.counties:
        return []
    assert spec.county_osm is not None
    built = []
    for i, county in enumerate(spec.counties):
        relation = county_id(spec.path, f"counties.names[{i}]", spec.county_osm, county)
        folder = out_dir / f"county-{relation}"
        made = build_county_scenario(spec.county_osm, str(relation), folder)
        built.append((county, Path(made.scenario)))
    return built


def expand(spec: SweepSpec, *, scenarios_dir: Path, cache_dir: Path | None = None,
           decompose: bool | None = None) -> list[Cell]:
    """Every cell of the grid in a stable order, with its key; checks fleets against scenarios.
    ``decompose`` (``--decompose/--no-decompose``) goes into every cell.

    County scenarios are built into ``scenarios_dir`` first (kept there, reused by reruns).
    """
    sources = [("", p) for p in spec.scenario_files]
    sources += build_county_scenarios(spec, scenarios_dir)
    models = tuple(str(p) for p in spec.cost_models)
    model_digests = [file_digest(p) for p in spec.cost_models]
    cells = []
    for county, file in sources:
        scenario = load_scenario(file)
        types = {vt.id for vt in scenario.vehicle_types}
        for i, fleet in enumerate(spec.fleets):
            for type_id in fleet:
                if type_id not in types:
                    raise InputError(spec.path, f"fleets[{i}].{type_id}",
                                     f"scenario {file} has no vehicle type {type_id!r} "
                                     f"(it has {', '.join(sorted(types))})")
        digest = scenario_digest(scenario)
        area = boundary_area_km2(scenario.network.boundary)
        for strategy in spec.strategies:
            for fleet in spec.fleets:
                size = sum(fleet.get(vt.id, vt.count) for vt in scenario.vehicle_types)
                for scale in spec.demand_scales:
                    for seed in spec.seeds:
                        key = cell_key(scenario=digest, strategy=strategy, fleet=fleet,
                                       demand_scale=scale, seed=seed,
                                       time_limit_s=spec.time_limit_s,
                                       solution_limit=spec.solution_limit, engine=spec.engine,
                                       cost_models=model_digests, decompose=decompose)
                        cells.append(Cell(
                            key=key, sweep=spec.name, scenario=scenario.name,
                            scenario_file=str(file.resolve()), county=county, strategy=strategy,
                            fleet=fleet, demand_scale=scale, seed=seed,
                            time_limit_s=spec.time_limit_s, engine=spec.engine,
                            cost_models=models, solution_limit=spec.solution_limit,
                            villages=len(scenario.stops), area_km2=area,
                            cache_dir=str(cache_dir.resolve()) if cache_dir else None,
                            fleet_size=size, decompose=decompose))
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise InputError(spec.path, "scenarios", "two grid cells are identical (the same "
                                                 "scenario listed twice?); list each once")
    return cells
