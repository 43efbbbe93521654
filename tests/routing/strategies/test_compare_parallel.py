"""The strategies of one compare solved at once give the plans solving them in turn gives."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from routing.core import SearchError
from routing.solving import PyVrpEngine, SolveSettings
from routing.strategies import compare_strategies
from tests.routing.strategies.strategy_world import world

SETTINGS = SolveSettings(time_limit_s=0.5, objective="cost", solution_limit=150)


@pytest.fixture
def scenario(monkeypatch):
    """The line world, located without roads: compare uses its hand-made geography."""
    scenario, geography = world()
    monkeypatch.setattr("routing.strategies.compare.locate", lambda *_a, **_k: geography)
    return scenario


def _plans(comparison):
    return {strategy: [(leg.label, leg.plan.routes, leg.plan.unserved) for leg in result.legs]
            for strategy, result in comparison.results.items()}


def _compare(scenario, jobs, hook=None, engine="pyvrp", twice=True):
    return compare_strategies(scenario, replace(SETTINGS, jobs=jobs), engine=engine, hook=hook,
                              check_convergence=twice)


@pytest.mark.parametrize(("engine", "twice"), [("pyvrp", True), ("ortools", False)])
def test_strategies_solved_at_once_give_the_plans_solved_in_turn_give(scenario, engine, twice):
    in_turn = _compare(scenario, 1, engine=engine, twice=twice)
    at_once = _compare(scenario, 2, engine=engine, twice=twice)
    assert list(at_once.results) == ["independent", "consolidated", "township-relay"]
    assert _plans(at_once) == _plans(in_turn)
    assert at_once.rows() == in_turn.rows()
    if twice:
        assert _plans(at_once.doubled) == _plans(in_turn.doubled)
        assert at_once.convergence_rows() == in_turn.convergence_rows()


class Steps:
    """A step hook recording (thread, step, started) and whether two calls ever overlapped."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []
        self.inside = 0
        self.overlapped = False

    def __call__(self, name: str, elapsed: float | None) -> None:
        self.inside += 1
        self.overlapped |= self.inside > 1
        time.sleep(0.002)  # a slow display: overlapping calls would show here
        self.calls.append((threading.current_thread().name, name, elapsed is None))
        self.inside -= 1


def test_one_job_solves_in_turn_in_this_thread(scenario):
    steps = Steps()
    _compare(scenario, 1, steps)
    assert {thread for thread, _, _ in steps.calls} == {threading.current_thread().name}
    solving = [(name, started) for _, name, started in steps.calls if name.startswith("solve")]
    assert solving[:2] == [("solve independent", True), ("solve independent", False)]


def test_with_two_jobs_each_strategy_runs_in_a_thread_and_the_hook_one_call_at_a_time(scenario):
    steps = Steps()
    _compare(scenario, 2, steps)
    threads = {name: thread for thread, name, _ in steps.calls if name.startswith("solve")}
    assert set(threads) == {f"solve {s}{twice}" for s in
                            ("independent", "consolidated", "township-relay")
                            for twice in ("", " (twice the budget)")}
    assert len(set(threads.values())) == 6
    assert threading.current_thread().name not in threads.values()
    assert not steps.overlapped
    started = [name for _, name, begun in steps.calls if begun]
    ended = [name for _, name, begun in steps.calls if not begun]
    assert sorted(started) == sorted(ended)


class FailsOnTheSharedFleet:
    """PyVRP, except that the consolidated strategy's search always falls short."""

    name = "fails-on-the-shared-fleet"

    def solve(self, problem, settings, **options):
        if problem.name.endswith("shared fleet"):
            raise SearchError(f"{problem.name}: nothing found")
        return PyVrpEngine().solve(problem, settings, **options)


def test_a_search_failing_in_one_strategy_stops_the_compare_with_its_message(scenario,
                                                                            monkeypatch):
    engine = FailsOnTheSharedFleet()
    for module in ("routing.strategies.run", "routing.strategies.gap", "routing.solving.solve"):
        monkeypatch.setattr(f"{module}.make_engine", lambda _name: engine)
    threads = threading.active_count()
    with pytest.raises(SearchError, match=r"^line:shared fleet: fails-on-the-shared-fleet found "
                       r"no plan that serves every servable stop in (0.5|1) s"):
        _compare(scenario, 2)
    assert threading.active_count() == threads  # no thread of the compare is left behind
