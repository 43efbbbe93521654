"""Coalitions of carriers: what every group would pay pooling its parcels, and a fair split.

For a scenario's carriers ``N``, every coalition ``S`` (``2^k - 1`` of them) gets its daily cost
``c(S)`` from a checked plan:

* ``|S| >= 2``: the ``consolidated`` strategy (the joint centre, the whole shared fleet, a feeder
  from each member's branch) restricted to S's share of every village;
* ``|S| = 1``: the carrier alone, the ``independent`` strategy on a one-carrier scenario (its own
  vans from its own branch), i.e. its leg of today's practice.

S's share of a village is the sum of its members' parts as :func:`~routing.strategies.carrier_stops`
splits the village for the independent strategy (their parcels, kg and produce pro rata), so a
singleton's problem is exactly its leg of ``independent``. Inside a coalition the members' parts
are re-split the same way for the feeders and the strategy check (kg and produce may differ by
rounding, a kilogram per village). :func:`run_strategy` checks every leg and the strategy; a
coalition whose plan leaves villages unserved also pays its gap plan (its members' own vans
serving them, :func:`~routing.strategies.gap_plan`), as ``compare`` prices like for like.

Search budget: each coalition's problems get the full scenario's seconds per stop (the one
rule, :func:`~routing.pipeline.budget_s`): a coalition's time limit is ``time_limit_s`` times its
villages with demand over the scenario's, so ``--time-limit`` means what it means everywhere.

Solving and caching: one task per coalition, run on a Dask cluster (each worker process places
the scenario on its roads once, from the matrix cache) or in this process. Each solved coalition
is one JSON file, ``STORE/coalitions/<key>.json``, written atomically by the driver; its key is a
digest of the scenario's content, the members, the solver settings, the engine and the code
(:func:`coalition_key`), like a sweep cell's. The file keeps what prices a day (vehicle use,
visits, parcels), not prices: every cost model prices the same plans when read, so adding a cost
model recomputes nothing, and neither does a rerun.

The cost game is per cost model; :mod:`~routing.research.cost_games` computes the allocations and
their stability, and :class:`CoalitionStudy` holds it all for the terminal, CSVs and reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

from routing.core import (
    CostBreakdown,
    CostModel,
    InputError,
    ModelError,
    RuralRouteError,
    SearchError,
    Usage,
    price,
)
from routing.inputs import Scenario
from routing.pipeline import Geography, Timings, locate
from routing.research.cost_games import (
    Coalition,
    subsets,
)
from routing.research.sweep import code_digest, scenario_digest
from routing.solving import SolveSettings
from routing.strategies import (
    StrategyResult,
    carrier_stops,
    gap_plan,
    has_load,
    run_strategy,
    villages_with_demand,
)

#: The most carriers a study takes: ``2^k - 1`` coalitions are each solved.
MAX_CARRIERS = 10
#: Separator of a coalition's members in files and tables (``ems;zto``).
MEMBER_SEPARATOR = ";"


def label(members: Coalition) -> str:
    """A coalition as text: its members joined by ``;``."""
    return MEMBER_SEPARATOR.join(members)


# --- a coalition's scenario ------------------------------------------------------------------


def coalition_scenario(scenario: Scenario, members: Coalition) -> Scenario:
    """``scenario`` restricted to the carriers ``members``: their share of every village (the
    sum of their parts from :func:`carrier_stops`), only villages where they have something to
    drop or collect, their carriers with shares rescaled to add up to 1, and the scenario's own
    shared fleet (other carriers' vans do not join it)."""
    known = {c.id: c for c in scenario.carriers}
    unknown = [m for m in members if m not in known]
    if unknown or not members:
        raise InputError(scenario.path, "carriers", f"no carrier {unknown[0] if unknown else ''!r}"
                         f" in the scenario (it has {', '.join(known)})")
    parts = carrier_stops(scenario)
    by_village: dict[str, dict[str, Any]] = {}
    for cid in members:
        for part in parts[cid]:
            entry = by_village.setdefault(part.id, {"parcels": 0, "weight_kg": 0,
                                                    "produce_kg": 0, "split": {}})
            entry["parcels"] += part.parcels
            entry["weight_kg"] += part.weight_kg
            entry["produce_kg"] += part.produce_kg
            entry["split"][cid] = part.parcels
    stops = tuple(
        replace(stop, parcels=e["parcels"], weight_kg=e["weight_kg"], produce_kg=e["produce_kg"],
                parcels_by_carrier={cid: e["split"].get(cid, 0) for cid in members})
        for stop in scenario.stops if (e := by_village.get(stop.id)) is not None)
    share = sum(known[m].share for m in members)
    carriers = tuple(replace(c, share=c.share / share) for c in scenario.carriers
                     if c.id in members)
    return replace(scenario, stops=tuple(s for s in stops if has_load(s)), carriers=carriers,
                   consolidated=scenario.shared_fleet())


def coalition_settings(scenario: Scenario, sub: Scenario, settings: SolveSettings
                       ) -> SolveSettings:
    """``settings`` with the time limit scaled to the coalition's villages with demand, so its
    problems get the full scenario's seconds per stop."""
    ratio = villages_with_demand(sub) / max(villages_with_demand(scenario), 1)
    return replace(settings, time_limit_s=settings.time_limit_s * ratio)


# --- what a solved coalition keeps ------------------------------------------------------------


@dataclass(frozen=True)
class DayUse:
    """What prices a plan's day: vehicle use, village visits, parcels delivered and handed to
    the joint centre."""

    usage: tuple[Usage, ...]
    visits: int
    parcels: int
    transferred_parcels: int

    @classmethod
    def of(cls, result: StrategyResult) -> DayUse:
        return cls(tuple(result.usage()), result.village_visits(), result.delivered()[0],
                   result.transferred_parcels)

    def price(self, model: CostModel) -> CostBreakdown:
        return price(model, self.usage, stops=self.visits, parcels=self.parcels,
                     transferred_parcels=self.transferred_parcels)


@dataclass(frozen=True)
class CoalitionRun:
    """One coalition's checked plan, reduced to what its cost and its row need.

    ``day`` is the coalition's own plan; ``gap`` the plan of its members' vans serving the
    villages that plan leaves unserved (None when it serves all). ``villages``, ``vehicles``
    and ``distance_m`` count both; ``unserved`` is what stays unserved after the gap plan.
    """

    key: str
    members: Coalition
    strategy: str
    day: DayUse
    gap: DayUse | None
    villages: int
    gap_villages: int
    unserved: int
    vehicles: int
    distance_m: int
    solve_time_s: float
    engine: str

    def costs(self, model: CostModel) -> float:
        """c(S) under ``model``: the plan's cost plus its gap plan's."""
        gap = self.gap.price(model).total if self.gap else 0.0
        return self.day.price(model).total + gap

    def gap_cost(self, model: CostModel) -> float:
        return self.gap.price(model).total if self.gap else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoalitionRun:
        def day(d: Mapping[str, Any] | None) -> DayUse | None:
            if d is None:
                return None
            return DayUse(tuple(Usage(**u) for u in d["usage"]), int(d["visits"]),
                          int(d["parcels"]), int(d["transferred_parcels"]))

        own = day(data["day"])
        assert own is not None
        return cls(str(data["key"]), tuple(data["members"]), str(data["strategy"]), own,
                   day(data["gap"]), int(data["villages"]), int(data["gap_villages"]),
                   int(data["unserved"]), int(data["vehicles"]), int(data["distance_m"]),
                   float(data["solve_time_s"]), str(data["engine"]))


def _run_of(key: str, members: Coalition, result: StrategyResult,
            gap: StrategyResult | None) -> CoalitionRun:
    k = result.kpis()
    g = gap.kpis() if gap else {"stops_served": 0, "stops_unserved": k["stops_unserved"],
                                "vehicles": 0, "distance_m": 0}
    return CoalitionRun(
        key, members, str(result.strategy), DayUse.of(result), DayUse.of(gap) if gap else None,
        villages=int(k["stops_served"]) + int(g["stops_served"]),
        gap_villages=int(g["stops_served"]), unserved=int(g["stops_unserved"]),
        vehicles=int(k["vehicles"]) + int(g["vehicles"]),
        distance_m=int(k["distance_m"]) + int(g["distance_m"]),
        solve_time_s=round(result.solve_time_s + (gap.solve_time_s if gap else 0.0), 3),
        engine=result.legs[0].plan.engine if result.legs else "")


# --- tasks, keys and the store ---------------------------------------------------------------


def coalition_key(scenario: str, members: Coalition, settings: SolveSettings,
                  engine: str) -> str:
    """A stable 16-hex-digit key from the scenario's digest, the members, the solver settings,
    the engine and the code's digest."""
    payload = json.dumps({"scenario": scenario, "members": list(members),
                          "settings": {k: v if v is None or isinstance(v, int | float) else str(v)
                                       for k, v in asdict(settings).items()},
                          "engine": engine, "code": code_digest()}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class CoalitionTask:
    """Everything a worker needs to solve one coalition."""

    key: str
    members: Coalition
    scenario: Scenario = field(repr=False)
    settings: SolveSettings
    engine: str
    scenario_key: str
    cache_dir: str | None = None


def coalition_tasks(scenario: Scenario, settings: SolveSettings, *, engine: str | None = None,
                    cache_dir: Path | None = None) -> list[CoalitionTask]:
    """One task per coalition of the scenario's carriers (singletons first, the grand
    coalition last), after checking the scenario can make a game."""
    check_scenario(scenario)
    ids = tuple(c.id for c in scenario.carriers)
    digest = scenario_digest(scenario)
    name = engine or scenario.solver.engine
    return [CoalitionTask(coalition_key(digest, members, settings, name), members, scenario,
                          settings, name, digest,
                          str(cache_dir.resolve()) if cache_dir else None)
            for members in subsets(ids)]


def check_scenario(scenario: Scenario) -> None:
    """Coalitions need two to :data:`MAX_CARRIERS` carriers and a shared fleet."""
    count = len(scenario.carriers)
    if count < 2:
        having = f" ({scenario.carriers[0].id})" if count else ""
        raise InputError(scenario.path, "carriers", f"coalitions need at least two carriers; "
                         f"the scenario has {count}{having}")
    if count > MAX_CARRIERS:
        raise InputError(scenario.path, "carriers", f"at most {MAX_CARRIERS} carriers "
                         f"({2 ** MAX_CARRIERS - 1} coalitions); the scenario has {count}")
    if not scenario.shared_fleet().vehicles:
        raise InputError(scenario.path, "consolidated.vehicles", "coalitions pool parcels on "
                         "the shared fleet; add a [consolidated] table naming it")


class CoalitionStore:
    """Solved coalitions, one JSON file each under ``root/coalitions``; only the driver writes."""

    def __init__(self, root: Path) -> None:
        self.dir = Path(root) / "coalitions"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str) -> CoalitionRun | None:
        """The recorded coalition, or None if absent or unreadable (it is solved again)."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            return CoalitionRun.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, run: CoalitionRun) -> Path:
        """Write ``run`` to a temporary file, fsync, rename: a crash leaves it whole or absent."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.path(run.key)
        text = json.dumps(run.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def missing(self, tasks: Sequence[CoalitionTask]) -> list[CoalitionTask]:
        return [t for t in tasks if self.get(t.key) is None]


# --- solving (on a worker or here) -----------------------------------------------------------

#: Each worker process places a scenario on its roads once (the last one it saw).
_PLACED: dict[str, Geography] = {}


def _geography(task: CoalitionTask) -> Geography:
    where = f"{task.scenario_key}:{task.cache_dir}"
    if where not in _PLACED:
        _PLACED.clear()
        _PLACED[where] = locate(task.scenario, timings=Timings(),
                                cache_dir=Path(task.cache_dir) if task.cache_dir else None)
    return _PLACED[where]


def solve_coalition(task: CoalitionTask, geography: Geography | None = None) -> CoalitionRun:
    """Plan one coalition (checked) and its gap plan; runs on a Dask worker or in-process."""
    geography = geography or _geography(task)
    sub = coalition_scenario(task.scenario, task.members)
    settings = coalition_settings(task.scenario, sub, task.settings)
    strategy = "independent" if len(task.members) == 1 else "consolidated"
    result = run_strategy(sub, strategy, settings, engine=task.engine, geography=geography)
    gap = gap_plan(result, settings, engine=task.engine)
    return _run_of(task.key, task.members, result, gap)


@dataclass(frozen=True)
class CoalitionFailure:
    """A coalition whose solve raised a domain error on a worker, as plain text: such errors
    do not all survive pickling, so the driver raises them again from this."""

    members: Coalition
    kind: str
    message: str

    def error(self) -> RuralRouteError:
        """The error to raise on the driver: a search that fell short stays a
        :class:`SearchError` (exit code 1), anything else is a :class:`ModelError`."""
        text = f"coalition {label(self.members)}: {self.message}"
        return SearchError(text) if self.kind == "SearchError" else ModelError(
            f"{text} ({self.kind})")


def solve_remote(task: CoalitionTask) -> CoalitionRun | CoalitionFailure:
    """:func:`solve_coalition` for a Dask worker: a domain error comes back as a failure."""
    try:
        return solve_coalition(task)
    except RuralRouteError as exc:
        return CoalitionFailure(task.members, type(exc).__name__, " ".join(str(exc).split()))


def solve_missing(tasks: Sequence[CoalitionTask], store: CoalitionStore, *,
                  client: Client | None = None, geography: Geography | None = None,
                  on_solved: Callable[[CoalitionRun, int, int], None] | None = None) -> int:
    """Solve the tasks not yet in ``store`` (on ``client``, else here), recording each as it
    finishes; return how many were solved. A coalition that fails raises (a game needs every
    cost); those recorded before it stay recorded."""
    todo = store.missing(tasks)
    if not todo:
        return 0
    done = 0
    if client is None:
        geography = geography or _geography(todo[0])
        for task in todo:
            run = solve_coalition(task, geography)
            store.put(run)
            done += 1
            if on_solved:
                on_solved(run, done, len(todo))
        return done
    futures = [client.submit(solve_remote, t, key=f"ruralroute-coalition-{t.key}",
                             pure=False, retries=0) for t in todo]
    try:
        from distributed import as_completed  # noqa: PLC0415 (Dask loads only when a cluster runs)

        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            run = future.result()
            if isinstance(run, CoalitionFailure):
                raise run.error()
            store.put(run)
            done += 1
            if on_solved:
                on_solved(run, done, len(todo))
    except BaseException:
        client.cancel(futures)  # type: ignore[no-untyped-call]
        raise
    return done


__all__ = [
    "MAX_CARRIERS",
    "CoalitionFailure",
    "CoalitionRun",
    "CoalitionStore",
    "CoalitionTask",
    "DayUse",
    "coalition_key",
    "coalition_scenario",
    "coalition_tasks",
    "label",
    "solve_coalition",
    "solve_missing",
    "solve_remote",
]
