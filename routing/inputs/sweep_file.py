"""Read and validate a sweep file (TOML): the axes of a grid of what-if solves.

The file format is described in :mod:`routing.research.sweep`, which expands the grid and runs
it. Everything that can be checked without solving is checked here, before any work starts;
every error is one line naming the file and the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from geodata import County, find_county, read_counties
from routing.core import COST_SEPARATOR, STRATEGIES, InputError, Strategy
from routing.inputs.cost_file import COST_MODELS_DIR, load_cost_model
from routing.inputs.files import read_toml
from routing.solving import ENGINES

#: Top-level fields a sweep file may have.
SWEEP_FIELDS: tuple[str, ...] = (
    "name", "scenarios", "counties", "strategies", "cost_models", "seeds", "time_limit_s",
    "demand_scales", "fleets", "engine", "solution_limit",
)
#: Fields of the ``[counties]`` table.
COUNTY_FIELDS: tuple[str, ...] = ("names", "osm")


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, validated sweep file: the axes of the grid and the settings every cell shares."""

    path: Path
    name: str
    scenario_files: tuple[Path, ...]
    counties: tuple[str, ...]
    county_osm: Path | None
    strategies: tuple[Strategy, ...]
    cost_models: tuple[Path, ...]
    seeds: tuple[int, ...]
    time_limit_s: float
    demand_scales: tuple[float, ...] = (1.0,)
    fleets: tuple[Mapping[str, int], ...] = ({},)
    engine: str = "auto"
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fleets", tuple(dict(f) for f in self.fleets))


def _list(file: Path, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...],
          *, default: Sequence[Any] | None = None) -> list[Any]:
    if key not in data:
        if default is None:
            raise InputError(file, key, "is required but missing")
        return list(default)
    value = data[key]
    if not isinstance(value, list):
        raise InputError(file, key, f"must be a list, got {value!r}")
    if not value:
        raise InputError(file, key, "is an empty list, so the grid is empty; give at least one")
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise InputError(file, f"{key}[{i}]", f"must be {names}, got {item!r}")
    dupes = sorted({json.dumps(v, sort_keys=True) for v in value
                    if sum(w == v for w in value) > 1})
    if dupes:
        raise InputError(file, key, f"lists {dupes[0]} twice; each grid value once")
    return value


def _resolve(base: Path, value: str) -> Path:
    path = Path(value)
    return (path if path.is_absolute() else base / path).resolve()


def cost_model_path(file: Path, where: str, value: str) -> Path:
    """A cost model given by shipped name (``diesel``) or by path, relative to ``file``."""
    if "/" not in value and "\\" not in value and not value.endswith(".toml"):
        path = COST_MODELS_DIR / f"{value}.toml"
        if not path.is_file():
            shipped = ", ".join(sorted(p.stem for p in COST_MODELS_DIR.glob("*.toml")))
            raise InputError(file, where, f"unknown cost model {value!r}; shipped: {shipped} "
                                          f"(or give a path to a cost model .toml file)")
        return path
    path = _resolve(file.parent, value)
    if not path.is_file():
        raise InputError(file, where, f"cost model file not found: {path}")
    return path


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every error is one line naming the file and field.

    Checks everything that can be checked without solving: unknown fields, empty axes, missing
    scenario and cost model files, unknown strategies and engines, and (for counties) that
    every county name is a county of the OSM file.
    """
    file, data = read_toml(path, what="sweep")
    unknown = sorted(set(data) - set(SWEEP_FIELDS))
    if unknown:
        raise InputError(file, unknown[0], f"unknown parameter (known: {', '.join(SWEEP_FIELDS)})")
    base = file.parent.resolve()
    name = _read_name(file, data)
    scenario_files = _read_scenario_files(file, base, data)
    counties, county_osm = _read_counties(file, base, data.get("counties"))
    if not scenario_files and not counties:
        raise InputError(file, "scenarios", "no scenarios and no [counties] given, so the grid "
                                            "is empty; list scenario files or county names")
    strategies = _read_strategies(file, data)
    cost_models = _read_cost_models(file, data)
    seeds = _list(file, data, "seeds", int)
    scales = _read_demand_scales(file, data)
    fleets = _read_fleets(file, data)
    limit = _read_time_limit(file, data)
    engine = _read_engine(file, data)
    solution_limit = _read_solution_limit(file, data)
    return SweepSpec(path=file.resolve(), name=name, scenario_files=tuple(scenario_files),
                     counties=tuple(counties), county_osm=county_osm,
                     strategies=tuple(strategies), cost_models=tuple(cost_models),
                     seeds=tuple(seeds), time_limit_s=limit, demand_scales=tuple(scales),
                     fleets=tuple(fleets), engine=engine, solution_limit=solution_limit)


def _read_name(file: Path, data: Mapping[str, Any]) -> str:
    """``name``: the sweep's name, by default the file's stem."""
    name = data.get("name", file.stem)
    if not isinstance(name, str) or not name.strip():
        raise InputError(file, "name", f"must be a non-empty string, got {name!r}")
    return name


def _read_scenario_files(file: Path, base: Path, data: Mapping[str, Any]) -> list[Path]:
    """``scenarios``: scenario files relative to the sweep file, each of which must exist."""
    scenario_files: list[Path] = []
    if "scenarios" in data:
        for i, value in enumerate(_list(file, data, "scenarios", str)):
            scenario = _resolve(base, value)
            if not scenario.is_file():
                raise InputError(file, f"scenarios[{i}]", f"scenario file not found: {scenario}")
            scenario_files.append(scenario)
    return scenario_files


def _read_strategies(file: Path, data: Mapping[str, Any]) -> list[Strategy]:
    """``strategies``: names of known strategies."""
    names: list[str] = _list(file, data, "strategies", str)
    for i, name in enumerate(names):
        if name not in STRATEGIES:
            raise InputError(file, f"strategies[{i}]", f"unknown strategy {name!r}; "
                                                       f"choose from {', '.join(STRATEGIES)}")
    return [Strategy(name) for name in names]


def _read_cost_models(file: Path, data: Mapping[str, Any]) -> list[Path]:
    """``cost_models``: cost model files whose names are distinct and free of the separator."""
    cost_models = [cost_model_path(file, f"cost_models[{i}]", v)
                   for i, v in enumerate(_list(file, data, "cost_models", str))]
    names = [load_cost_model(p).name for p in cost_models]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise InputError(file, "cost_models", f"two cost models are both named {clash[0]!r}; "
                                              f"give each a distinct name")
    for n in names:
        if COST_SEPARATOR in n:
            raise InputError(file, "cost_models", f"cost model name {n!r} must not contain "
                                                  f"{COST_SEPARATOR!r}")
    return cost_models


def _read_demand_scales(file: Path, data: Mapping[str, Any]) -> list[float]:
    """``demand_scales``: finite factors > 0, by default ``[1.0]``."""
    scales = [float(v) for v in _list(file, data, "demand_scales", (int, float), default=[1.0])]
    for i, scale in enumerate(scales):
        if not math.isfinite(scale) or scale <= 0:
            raise InputError(file, f"demand_scales[{i}]", f"must be > 0, got {scale}")
    return scales


def _read_fleets(file: Path, data: Mapping[str, Any]) -> list[dict[str, int]]:
    """``fleets``: vehicle type id -> count (>= 1) tables, by default one empty (as is) fleet."""
    fleets: list[dict[str, int]] = []
    for i, fleet in enumerate(_list(file, data, "fleets", dict, default=[{}])):
        for type_id, count in fleet.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise InputError(file, f"fleets[{i}].{type_id}",
                                 f"must be a vehicle count >= 1, got {count!r}")
        fleets.append(dict(fleet))
    return fleets


def _read_time_limit(file: Path, data: Mapping[str, Any]) -> float:
    """``time_limit_s``: the required search budget in seconds, > 0."""
    if "time_limit_s" not in data:
        raise InputError(file, "time_limit_s", "is required but missing (seconds per cell)")
    limit = data["time_limit_s"]
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        raise InputError(file, "time_limit_s", f"must be a number of seconds > 0, got {limit!r}")
    return float(limit)


def _read_engine(file: Path, data: Mapping[str, Any]) -> str:
    """``engine``: a known engine's name, by default ``auto``."""
    engine = data.get("engine", "auto")
    if engine not in ENGINES:
        raise InputError(file, "engine", f"unknown engine {engine!r}; choose from "
                                         f"{', '.join(ENGINES)}")
    return str(engine)


def _read_solution_limit(file: Path, data: Mapping[str, Any]) -> int | None:
    """``solution_limit``: an optional whole number of solutions >= 1."""
    solution_limit = data.get("solution_limit")
    if solution_limit is not None and (isinstance(solution_limit, bool)
                                       or not isinstance(solution_limit, int)
                                       or solution_limit < 1):
        raise InputError(file, "solution_limit", f"must be a whole number >= 1, "
                                                 f"got {solution_limit!r}")
    return solution_limit


def _read_counties(file: Path, base: Path, data: object) -> tuple[list[str], Path | None]:
    """``[counties]``: county names, each a distinct county of the ``osm`` file."""
    if data is None:
        return [], None
    if not isinstance(data, dict):
        raise InputError(file, "counties", "must be a table with names = [...] and osm = \"...\"")
    unknown = sorted(set(data) - set(COUNTY_FIELDS))
    if unknown:
        raise InputError(file, f"counties.{unknown[0]}",
                         f"unknown parameter (known: {', '.join(COUNTY_FIELDS)})")
    names = [n.strip() for n in _list(file, data, "names", str)]
    if "osm" not in data or not isinstance(data["osm"], str):
        raise InputError(file, "counties.osm", "is required: the OSM file the counties are in")
    osm = _resolve(base, data["osm"])
    if not osm.is_file():
        raise InputError(file, "counties.osm", f"OSM file not found: {osm}")
    ids = [county_id(file, f"counties.names[{i}]", osm, name) for i, name in enumerate(names)]
    if len(set(ids)) != len(ids):
        raise InputError(file, "counties.names", "names one county twice; list each once")
    return names, osm


def county_id(file: Path, where: str, osm: Path, name: str) -> int:
    """The boundary relation id of county ``name`` in ``osm``, else an error naming ``where``."""
    try:
        return find_county(_counties(osm), name, path=osm).osm_id
    except InputError as exc:
        raise InputError(file, where, f"{name!r} is not a county of {osm.name}: "
                                      f"{exc.problem}") from None


@lru_cache(maxsize=4)
def _counties(osm: Path) -> list[County]:
    return read_counties(osm)
