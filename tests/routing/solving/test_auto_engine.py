"""The ``auto`` engine (a lead and a partner sharing their best plan) and the portfolio."""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import time
from multiprocessing.queues import Queue

import numpy as np
import pytest

from routing.core import (
    Depot,
    Plan,
    Problem,
    Route,
    SearchError,
    Stop,
    Unserved,
    VehicleType,
    build_problem,
)
from routing.solving import (
    DROPPED_BY_ENGINE,
    ENGINES,
    AutoEngine,
    OrToolsEngine,
    OrToolsParallelEngine,
    PyVrpEngine,
    SolveSettings,
    check_plan,
    make_engine,
    plan_objective,
    pyvrp_unsupported,
    solve_checked,
)
from routing.solving.engines import auto, portfolio
from routing.solving.engines.base import Checkpoints
from routing.solving.engines.portfolio import run_jobs
from routing.solving.engines.ranking import best_plan, plan_rank
from routing.solving.solve import retries
from tests.routing.solving.problems import line_problem

FAST = SolveSettings(time_limit_s=1, seed=4, solution_limit=100)
#: Few enough PyVRP iterations that the search has not settled on one plan: the seed matters.
UNSETTLED = SolveSettings(time_limit_s=5, seed=4, solution_limit=50)


def _driven_m(problem: Problem, route: Route) -> int:
    """The route's metres summed from the matrix here, not taken from the engine or checker."""
    path = [route.depot, *route.stops, route.depot]
    return sum(int(problem.distance_m[problem.index[a], problem.index[b]])
               for a, b in itertools.pairwise(path))


def scattered(n: int, *, seed: int = 0) -> Problem:
    """``n`` stops scattered over 20 x 20 km around the depot, 8 vans of 100 parcels: many
    plans of nearly equal length, so two runs agreeing says something about the seed."""
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 20_000, size=(n + 1, 2))
    xy[0] = (10_000, 10_000)
    gap = xy[:, None, :] - xy[None, :, :]
    distance = np.rint(np.hypot(gap[..., 0], gap[..., 1])).astype(np.int64)
    ids = ["d", *(f"s{k:02d}" for k in range(1, n + 1))]
    stops = [Stop(sid, sid, 116.0, 33.0, parcels=int(p), weight_kg=int(p))
             for sid, p in zip(ids[1:], rng.integers(5, 30, size=n), strict=True)]
    vans = [VehicleType("van", count=8, capacity_parcels=100, capacity_kg=100, depot="d")]
    return build_problem(name="scattered", depots=[Depot("d", "Depot", 116.0, 33.0)],
                         stops=stops, vehicle_types=vans, ids=ids, distance_m=distance,
                         duration_s=distance // 10, per_stop_s=60, per_parcel_s=0)


@dataclasses.dataclass(frozen=True)
class StopWithBreak(Stop):
    """A stop with a model feature PyVRP's adapter does not know (stands in for e.g. breaks)."""

    break_s: int = 0


def test_auto_ortools_and_pyvrp_are_registered() -> None:
    assert {"ortools", "pyvrp", "auto"} <= set(ENGINES)


def test_auto_runs_pyvrp_when_pyvrp_models_the_problem(three_stops: Problem) -> None:
    plan, _ = solve_checked(three_stops, make_engine("auto"), FAST)
    assert plan.engine in {"auto(pyvrp)", f"auto({auto.PARTNER})"} and plan.seed == 4
    # 6 km is the least: one van out to c and back (two vans drive at least 8 km)
    (route,) = plan.routes
    assert sorted(route.stops) == ["a", "b", "c"]
    assert _driven_m(three_stops, route) == route.distance_m == 6000
    assert route.load == (30, 30)


def test_auto_falls_back_to_ortools_for_what_pyvrp_cannot_model() -> None:
    stops: list[Stop] = [StopWithBreak(s, s, 116.0, 33.0, 1, 1, break_s=600) for s in ("a", "b")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops)
    assert pyvrp_unsupported(problem) == ("stop a.break_s", "stop b.break_s")
    plan, _ = solve_checked(problem, AutoEngine(), FAST)
    assert plan.engine == "auto(ortools)"
    (route,) = plan.routes
    assert route.stops in (("a", "b"), ("b", "a")) and route.load == (2, 2)
    assert _driven_m(problem, route) == route.distance_m == 4000


def test_ortools_parallel_runs_two_differently_started_searches(
        three_stops: Problem, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[portfolio.Job]] = []

    def spy(problem: Problem, jobs: list[portfolio.Job],
            initial: Plan | None = None) -> list[Plan | SearchError]:
        ran.append(list(jobs))
        return real_run(problem, jobs, initial)

    real_run = portfolio.run_jobs
    monkeypatch.setattr(portfolio, "run_jobs", spy)  # what solve_portfolio runs its jobs with
    plan, _ = solve_checked(three_stops, OrToolsParallelEngine(), FAST)
    ((first, second),) = ran
    assert [engine for engine, _ in (first, second)] == ["ortools", "ortools"]
    assert first[1] == FAST  # the configured search itself, unchanged
    assert (second[1].first_solution, second[1].metaheuristic) == (
        "PATH_CHEAPEST_ARC", "GUIDED_LOCAL_SEARCH")
    assert plan.engine == "ortools-parallel(ortools)"
    assert [_driven_m(three_stops, r) for r in plan.routes] == [6000]


def test_run_jobs_returns_each_jobs_plan_in_order(three_stops: Problem) -> None:
    plans = run_jobs(three_stops, [("pyvrp", FAST), ("ortools", FAST)])
    assert [p.engine if isinstance(p, Plan) else p for p in plans] == ["pyvrp", "ortools"]


def _plan(distance_m: int, *, unserved: tuple[Unserved, ...] = (), load: int = 20,
          name: str = "x") -> Plan:
    route = Route(vehicle="van-01", vehicle_type="van", depot="d", stops=("a", "b"),
                  arrival_s=(28_900, 29_060), start_s=28_800, end_s=29_420,
                  distance_m=distance_m, load=(load, load))
    return Plan(problem="line", engine=name, seed=0, routes=(route,), unserved=unserved)


def _scheduled(problem: Problem, vehicle: str, stops: tuple[str, ...]) -> Route:
    """``vehicle`` (a van of ``problem``) driving ``stops`` in order from its shift start,
    with the times, metres and load worked out here from the matrices."""
    type_id = vehicle.rsplit("-", 1)[0]
    van = next(vt for vt in problem.vehicle_types if vt.id == type_id)
    path = [problem.index[van.depot], *(problem.index[s] for s in stops),
            problem.index[van.depot]]
    clock, arrivals = van.shift_start_s, []
    for a, b in itertools.pairwise(path):
        clock += int(problem.service_s[a]) + int(problem.duration_s[a, b])
        arrivals.append(clock)
    load = tuple(sum(problem.stop_by_id[s].delivery[k] for s in stops) for k in (0, 1))
    return Route(vehicle=vehicle, vehicle_type=van.id, depot=van.depot, stops=stops,
                 arrival_s=tuple(arrivals[:-1]), start_s=van.shift_start_s, end_s=clock,
                 distance_m=sum(int(problem.distance_m[a, b])
                                for a, b in itertools.pairwise(path)), load=load)


def _hand_plan(problem: Problem, name: str, *routes: tuple[str, ...]) -> Plan:
    served = {s for stops in routes for s in stops}
    return Plan(problem=problem.name, engine=name, seed=0,
                routes=tuple(_scheduled(problem, f"van-{k:02d}", stops)
                             for k, stops in enumerate(routes, start=1)),
                unserved=tuple(Unserved(s.id, DROPPED_BY_ENGINE) for s in problem.stops
                               if s.id not in served))


def test_best_plan_prefers_a_checked_plan_then_the_lowest_objective() -> None:
    problem = line_problem({"a": 1000, "b": 2000})
    good = _plan(4000, name="good")
    # claims a shorter distance than the matrix gives: fails the checker despite the lower cost
    lying = _plan(3000, name="lying")
    assert plan_rank(problem, lying, "distance")[0] == 1
    assert plan_rank(problem, good, "distance") == (0, 0, 4000)
    assert best_plan(problem, [lying, good], "distance").engine == "good"
    assert best_plan(problem, [good, dataclasses.replace(good, engine="twin")],
                     "distance").engine == "good"
    # both checked and complete: the shorter wins, whichever comes first
    apart = _hand_plan(problem, "apart", ("a",), ("b",))
    assert plan_rank(problem, apart, "distance") == (0, 0, 6000)
    assert best_plan(problem, [apart, good], "distance").engine == "good"


def test_best_plan_prefers_fewer_unserved_stops_to_fewer_metres() -> None:
    # One van of 100 parcels, stops of 60, 50, 45 and 45: serving the two 45s leaves two stops
    # out for want of room, serving the 60 alone leaves three, on a quarter of the road.
    sizes = {"a": 60, "b": 50, "c": 45, "e": 45}
    stops = [Stop(sid, sid.upper(), 116.0, 33.0, parcels=n, weight_kg=n)
             for sid, n in sizes.items()]
    van = VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d")
    problem = line_problem({"a": 1000, "b": 2000, "c": 3000, "e": 4000}, stops=stops,
                           vehicle_types=[van])
    near = _hand_plan(problem, "near", ("a",))
    far = _hand_plan(problem, "far", ("c", "e"))
    assert plan_rank(problem, near, "distance") == (0, 3, 2000)
    assert plan_rank(problem, far, "distance") == (0, 2, 8000)
    assert best_plan(problem, [near, far], "distance").engine == "far"


def test_auto_is_reproducible_with_a_seed_and_a_solution_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = scattered(40)
    monkeypatch.setattr(auto, "cores", lambda: 2)  # the pair, whatever the machine
    assert auto.rounds_for(UNSETTLED) == 2
    first, _ = solve_checked(problem, make_engine("auto"), UNSETTLED)
    again, _ = solve_checked(problem, make_engine("auto"), UNSETTLED)
    assert first.routes == again.routes
    # never worse than its lead, PyVRP alone with the same settings (the same plan if it won)
    lead = PyVrpEngine().solve(problem, UNSETTLED)
    assert plan_rank(problem, first, "distance") <= plan_rank(problem, lead, "distance")
    assert first.engine != "auto(pyvrp)" or first.routes == lead.routes
    # and another seed searches elsewhere (so the equality above says something)
    other, _ = solve_checked(problem, make_engine("auto"), dataclasses.replace(UNSETTLED, seed=9))
    assert other.routes != first.routes


def test_a_pyvrp_seed_changes_the_plan_and_the_same_seed_repeats_it() -> None:
    problem = scattered(40)
    by_seed = {seed: PyVrpEngine().solve(problem, dataclasses.replace(UNSETTLED, seed=seed))
               for seed in (1, 2, 3, 4)}
    assert len({plan.distance_m for plan in by_seed.values()}) >= 2
    for seed in (1, 3):
        again = PyVrpEngine().solve(problem, dataclasses.replace(UNSETTLED, seed=seed))
        assert again.routes == by_seed[seed].routes, seed
        assert sum(_driven_m(problem, r) for r in again.routes) == again.distance_m


def test_a_portfolio_keeps_the_plan_of_a_job_whose_search_did_not_fail(
        monkeypatch: pytest.MonkeyPatch, three_stops: Problem) -> None:
    def one_fails(engine: str, problem: Problem, settings: SolveSettings, initial: Plan | None
                  ) -> Plan | SearchError:
        if engine == "pyvrp":
            return SearchError("pyvrp found no feasible routes")
        return OrToolsEngine().solve(problem, settings, initial=initial)

    monkeypatch.setattr(portfolio, "_solve_job", one_fails)
    monkeypatch.setattr(portfolio, "cores", lambda: 1)
    plan = portfolio.solve_portfolio(three_stops, [("pyvrp", FAST), ("ortools", FAST)], "auto",
                                     FAST.objective)
    assert plan.engine == "auto(ortools)" and plan.unserved == ()
    monkeypatch.setattr(portfolio, "_solve_job",
                        lambda *_: SearchError("pyvrp found no feasible routes"))
    with pytest.raises(SearchError, match="pyvrp found no feasible routes"):
        portfolio.solve_portfolio(three_stops, [("pyvrp", FAST)], "auto", FAST.objective)



class _Fixed:
    """An engine that returns one hand-made plan of ``three_stops``, whatever it is asked."""

    name = "fixed"
    routes: tuple[tuple[str, ...], ...] = ()
    #: a length to claim for the first route instead of the one it drives (fails the checker)
    claimed_m: int | None = None

    def solve(self, problem: Problem, settings: SolveSettings, *,  # noqa: ARG002
              initial: Plan | None = None) -> Plan:  # noqa: ARG002
        plan = _hand_plan(problem, self.name, *self.routes)
        if self.claimed_m is None:
            return plan
        first = dataclasses.replace(plan.routes[0], distance_m=self.claimed_m)
        return dataclasses.replace(plan, routes=(first, *plan.routes[1:]))


class Straight(_Fixed):
    """One van out to c and back: 6 km, the least."""

    name = "straight"
    routes = (("a", "b", "c"),)


class Detour(_Fixed):
    """Two vans, a and c on one, b on the other: 6 + 4 = 10 km."""

    name = "detour"
    routes = (("a", "c"), ("b",))


class Liar(_Fixed):
    """The straight route claiming 3 km: the cheapest on paper, but it fails the checker."""

    name = "liar"
    routes = (("a", "b", "c"),)
    claimed_m = 3000


class _FakePyVrp:
    """PyVRP as ``auto`` sees it: the lead (the search given checkpoints) returns ``lead``'s
    plan and the partner ``partner``'s; None is a search that fell short."""

    lead: type[_Fixed] | None = None
    partner: type[_Fixed] | None = None

    def __init__(self, checkpoints: Checkpoints | None = None) -> None:
        self.checkpoints = checkpoints

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        engine = self.partner if self.checkpoints is None else self.lead
        if engine is None:
            raise SearchError("pyvrp found no feasible routes")
        plan = engine().solve(problem, settings, initial=initial)
        return dataclasses.replace(plan, engine="pyvrp")


def test_a_plan_that_fails_the_checker_loses_to_a_dearer_one(three_stops: Problem) -> None:
    liar, detour = Liar().solve(three_stops, FAST), Detour().solve(three_stops, FAST)
    assert plan_objective(three_stops, liar, "distance") == 3000
    assert plan_objective(three_stops, detour, "distance") == 10_000
    assert not check_plan(three_stops, liar, strict=False).ok
    assert best_plan(three_stops, [liar, detour], "distance") is detour


@pytest.mark.parametrize(("lead", "partner", "winner", "routes"), [
    (Detour, Straight, auto.PARTNER, Straight), (Straight, Detour, "pyvrp", Straight),
    (Liar, Detour, auto.PARTNER, Detour), (Detour, Liar, "pyvrp", Detour),
    (None, Detour, auto.PARTNER, Detour), (Detour, None, "pyvrp", Detour)])
def test_auto_keeps_the_better_checked_plan_and_names_the_search_that_found_it(
        three_stops: Problem, monkeypatch: pytest.MonkeyPatch, lead: type[_Fixed] | None,
        partner: type[_Fixed] | None, winner: str, routes: type[_Fixed]) -> None:
    # the partner runs in a forked process: it inherits the patched module
    fake = type("Fake", (_FakePyVrp,), {"lead": lead, "partner": partner})
    monkeypatch.setattr(auto, "PyVrpEngine", fake)
    monkeypatch.setattr(auto, "cores", lambda: 2)
    plan = AutoEngine().solve(three_stops, FAST)
    assert plan.engine == f"auto({winner})" and plan.seed == FAST.seed
    assert plan.routes == routes().solve(three_stops, FAST).routes
    assert check_plan(three_stops, plan).ok


def test_auto_fails_only_when_both_searches_fall_short(three_stops: Problem,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auto, "PyVrpEngine", _FakePyVrp)
    monkeypatch.setattr(auto, "cores", lambda: 2)
    with pytest.raises(SearchError, match="pyvrp found no feasible routes"):
        AutoEngine().solve(three_stops, FAST)


def _queue() -> Queue[Plan | None]:
    return multiprocessing.get_context("fork").Queue()


def _routes(plan: Plan | None) -> tuple[Route, ...] | None:
    return None if plan is None else plan.routes


def test_each_partner_round_starts_from_the_best_plan_either_search_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = scattered(30)
    # iterations, not the clock, end each round: a limit no busy machine reaches
    settings = SolveSettings(time_limit_s=40, seed=4, solution_limit=40)
    monkeypatch.setattr(auto, "ROUND_S", 10)
    assert auto.rounds_for(settings) == 4
    runs: list[tuple[int, int | None, Plan | None, Plan]] = []

    class Spy(PyVrpEngine):
        def solve(self, problem: Problem, settings: SolveSettings, *,
                  initial: Plan | None = None) -> Plan:
            plan = super().solve(problem, settings, initial=initial)
            runs.append((settings.seed, settings.solution_limit, initial, plan))
            return plan

    monkeypatch.setattr(auto, "PyVrpEngine", Spy)
    # the lead's posts: a poor plan, then a good one, then that it has finished
    poor = OrToolsEngine().solve(problem, SolveSettings(
        time_limit_s=2, first_solution="PATH_CHEAPEST_ARC", solution_limit=1))
    good = PyVrpEngine().solve(problem, SolveSettings(time_limit_s=5, solution_limit=300))
    inbox, outbox = _queue(), _queue()
    for post in (poor, good, None):
        inbox.put(post)
    auto._partner(problem, settings, None, inbox, outbox,  # type: ignore[arg-type]
                  time.perf_counter() + settings.time_limit_s)
    result = outbox.get(timeout=5)
    assert [(seed, limit) for seed, limit, _, _ in runs] == [
        (4 + auto.PARTNER_SEEDS * r, 10) for r in (1, 2, 3, 4)]
    best: Plan | None = None
    ranks = []
    for round_, (_, _, start, plan) in enumerate(runs):
        if round_ in (1, 2):  # the lead's post, where better
            post = (poor, good)[round_ - 1]
            best = best_plan(problem, [*([best] if best else []), post], "distance")
        assert _routes(start) == _routes(best), round_
        if start is not None:  # a search from a plan returns one no worse
            assert plan_rank(problem, plan, "distance") <= plan_rank(problem, start, "distance")
        best = best_plan(problem, [plan, *([best] if best else [])], "distance")
        ranks.append(plan_rank(problem, best, "distance"))
    assert _routes(runs[1][2]) != poor.routes and _routes(runs[2][2]) == good.routes
    assert ranks == sorted(ranks, reverse=True) and ranks[0][:2] == (0, 0)
    assert isinstance(result, Plan) and result.engine == auto.PARTNER
    assert result.routes == _routes(best)


class _Worsening:
    """The straight route from scratch, the detour from any start: a search that got worse."""

    name = "pyvrp"

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        return (Straight if initial is None else Detour)().solve(problem, settings)


def test_the_partners_best_survives_a_round_whose_search_got_worse(
        three_stops: Problem, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auto, "ROUND_S", FAST.time_limit_s / 2)
    assert auto.rounds_for(FAST) == 2
    monkeypatch.setattr(auto, "PyVrpEngine", _Worsening)
    inbox, outbox = _queue(), _queue()
    inbox.put(None)  # the lead has finished
    auto._partner(three_stops, FAST, None, inbox, outbox,  # type: ignore[arg-type]
                  time.perf_counter() + FAST.time_limit_s)
    result = outbox.get(timeout=5)
    assert isinstance(result, Plan) and result.routes == Straight().solve(three_stops, FAST).routes


def test_the_lead_posts_its_best_plan_at_the_end_of_every_round_but_the_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = scattered(30)
    settings = SolveSettings(time_limit_s=2, seed=4, solution_limit=40)
    monkeypatch.setattr(auto, "ROUND_S", 0.5)
    inbox = _queue()
    posts = auto._Posts.for_settings(inbox, settings)
    assert posts.marks == [10, 20, 30] and posts.by_iterations
    plan = PyVrpEngine(posts).solve(problem, settings)
    posted = [inbox.get(timeout=5) for _ in range(3)]
    assert inbox.empty() and posts.posted == 3
    ranks = [plan_rank(problem, p, "distance") for p in posted if p is not None]
    assert len(ranks) == 3 and ranks == sorted(ranks, reverse=True)
    assert plan_rank(problem, plan, "distance") <= ranks[-1]
    # posting does not change the search: the same plan as without checkpoints
    assert plan.routes == PyVrpEngine().solve(problem, settings).routes


def test_auto_is_retried_with_a_seed_none_of_its_searches_used(three_stops: Problem) -> None:
    settings = SolveSettings(time_limit_s=3 * auto.ROUND_S, seed=1)
    assert auto.rounds_for(settings) == 3  # the lead's seed 1, the partner's 1 + k * 1_000_003
    tries = retries(make_engine("auto"), three_stops, settings)
    assert [(engine.name, s.seed) for engine, s, _ in tries[:2]] == [("auto", 2), ("auto", 2)]
