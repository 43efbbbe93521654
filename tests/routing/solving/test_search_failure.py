"""A search that falls short is retried, and stops with a SearchError: never a plan."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

import routing.solving.solve
from cli import main
from routing.core import Plan, Problem, SearchError, Unserved
from routing.solving import ENGINES, OrToolsEngine, SolveSettings, make_engine, solve_checked
from tests.test_cli import SMALL

FAST = SolveSettings(time_limit_s=1, solution_limit=50)


class Dropper:
    """An engine that gives up on the last stop of every problem: a search that fell short."""

    name = "dropper"
    calls: list[SolveSettings]

    def __init__(self) -> None:
        self.calls = []

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        self.calls.append(settings)
        plan = OrToolsEngine().solve(problem, settings)
        last = problem.stops[-1].id
        routes = [dataclasses.replace(r, stops=r.stops[:-1], arrival_s=r.arrival_s[:-1])
                  if r.stops[-1] == last else r for r in plan.routes if r.stops != (last,)]
        return dataclasses.replace(plan, engine=self.name, routes=tuple(routes),
                                   unserved=(Unserved(last, "left out by the solver"),))


class NoSolution:
    name = "ortools"

    def solve(self, _problem: Problem, settings: SolveSettings) -> Plan:
        raise SearchError(f"ortools found no solution with first solution "
                          f"{settings.first_solution}")


def test_a_stop_left_out_that_a_van_could_serve_is_solved_again_by_the_other_engine(three_stops):
    dropper = Dropper()
    plan, report = solve_checked(three_stops, dropper, FAST)
    assert report.ok and plan.unserved == ()
    assert plan.engine == "ortools"
    # another seed, then twice the time, then the other engine
    assert [s.seed for s in dropper.calls] == [1, 2, 2]
    assert [s.time_limit_s for s in dropper.calls] == [1, 1, 2]
    assert plan.notes == ("the first search fell short (dropper (left out 1 stop a vehicle "
                          "could serve (c))); solved with engine ortools, twice the time",)


def test_when_every_try_falls_short_the_error_names_the_engine_and_the_fix(monkeypatch,
                                                                          three_stops):
    monkeypatch.setattr(routing.solving.solve, "make_engine", lambda _name: NoSolution())
    with pytest.raises(SearchError, match=r"line: ortools found no plan that serves every "
                       r"servable stop in 1 s; tried ortools \(ortools found no solution with "
                       r"first solution SAVINGS\); first solution PARALLEL_CHEAPEST_INSERTION "
                       r".*raise --time-limit, add vehicles or try another --engine"):
        solve_checked(three_stops, NoSolution(), FAST)


def test_a_failed_search_exits_1_with_one_line_and_writes_no_plan(monkeypatch, tmp_path):
    monkeypatch.setitem(ENGINES, "ortools", NoSolution)
    monkeypatch.setitem(ENGINES, "pyvrp", NoSolution)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(SMALL / "scenario.toml"), "--out", str(out),
                                       "--time-limit", "1", "--engine", "ortools", "--jobs", "1",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 1, result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert line == result.output.splitlines()[-1]
    # the first leg solved, the EMS feeder vans' trip to the centre, fails first
    assert line.startswith("error: small-county:feeder ems: ortools found no plan")
    assert "Traceback" not in result.output
    assert not (out / "plan.json").exists()


class FirstTryDrops:
    """OR-Tools that, on its first call only, gives up on the last stop."""

    name = "ortools"
    calls = 0

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        FirstTryDrops.calls += 1
        if FirstTryDrops.calls == 1:
            return Dropper().solve(problem, settings)
        return OrToolsEngine().solve(problem, settings)


def test_a_retried_search_is_said_on_the_terminal_and_in_plan_json(monkeypatch, tmp_path):
    monkeypatch.setitem(ENGINES, "ortools", FirstTryDrops)
    FirstTryDrops.calls = 0
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(SMALL / "scenario.toml"), "--out", str(out),
                                       "--time-limit", "1", "--engine", "ortools", "--jobs", "1",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    # the first leg solved, the EMS feeder, gets the dropping first try
    assert "note: feeder ems: the first search fell short (ortools (left out 1 stop a" in (
        " ".join(result.output.split()))
    legs = json.loads((out / "plan.json").read_text(encoding="utf-8"))["legs"]
    (leg,) = [leg for leg in legs if leg["notes"]]
    assert leg["label"] == "feeder ems"
    assert leg["notes"] == [n for n in leg["notes"] if "solved with first solution "
                            "PARALLEL_CHEAPEST_INSERTION" in n] != []


def test_auto_is_retried_with_its_next_seed_and_a_switch_drops_the_solution_limit(
        three_stops):
    tries = routing.solving.solve.retries(make_engine("auto"), three_stops, FAST)
    assert [(engine.name, label) for engine, _, label in tries] == [
        ("auto", "seed 2"), ("auto", "seed 2, twice the time"),
        ("ortools", "engine ortools, twice the time")]
    assert [s.solution_limit for _, s, _ in tries] == [50, 100, None]
