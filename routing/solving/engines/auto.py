"""The ``auto`` engine: the best of two searches on the machine's two cores, sharing their best.

* Every feature of the problem is one PyVRP's model covers (see
  :func:`~routing.solving.engines.pyvrp.pyvrp_unsupported`):

  - the *lead*, PyVRP with the given seed, searches for the whole time limit without a break,
    exactly as ``--engine pyvrp`` would, and posts its best plan at the end of every round
    (:func:`rounds_for` rounds);
  - the *partner*, in a second process, runs PyVRP in those rounds, each with a new seed and
    starting from the better of its own best and the lead's latest post: a restart from the
    best plan either search has found;
  - the better checked plan of the two wins (:func:`~routing.solving.engines.portfolio.best_plan`),
    so ``auto`` is never worse than the lead, and ``plan.engine`` says which produced it:
    ``auto(pyvrp)`` or ``auto(pyvrp+exchange)``.

  Restarting a PyVRP search costs it its adapted penalties and acceptance history, so searches
  that *both* restart every round lost as often as they won (benchmarks/README.md); an
  uninterrupted lead keeps what a single search does well.
* Otherwise (a constraint only OR-Tools models): the OR-Tools engine as configured.

Both searches end at a deadline fixed at the start, so ``auto`` takes the same wall time as a
single engine. With ``solution_limit`` set, the lead posts after fixed iteration counts, the
partner waits for each post, and the whole search is reproducible. Without a second core (or
inside a daemonic worker, which may not start processes) ``auto`` is the lead alone.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import queue
import time
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue

from routing.core import Plan, Problem, SearchError
from routing.solving.engines.base import SolveSettings
from routing.solving.engines.ortools import OrToolsEngine
from routing.solving.engines.pyvrp import PyVrpEngine, pyvrp_unsupported
from routing.solving.engines.ranking import best_plan, cores

#: Seconds of search per round of the partner (measured: benchmarks/README.md).
ROUND_S = 2.0
#: At most this many rounds, however long the time limit.
MAX_ROUNDS = 8
#: The label of a plan the partner produced.
PARTNER = "pyvrp+exchange"
#: Seconds the lead waits for the partner's plan after the deadline before giving up on it.
GRACE_S = 30.0
#: The partner's round r uses seed ``seed + PARTNER_SEEDS * (r + 1)``: far from the seeds a sweep
#: or a retry gives the lead, so the partner never repeats another run's search.
PARTNER_SEEDS = 1_000_003

#: A message from the lead to the partner: a plan, or None when the lead has finished.
Post = Plan | None


def rounds_for(settings: SolveSettings) -> int:
    """How many rounds a search of ``settings.time_limit_s`` is cut into (at least one)."""
    return max(1, min(MAX_ROUNDS, math.floor(settings.time_limit_s / ROUND_S)))


@dataclasses.dataclass  # not frozen: it counts the posts it has made
class _Posts:
    """The lead's :class:`~routing.solving.engines.base.Checkpoints`: a post at the end of each
    round but the last, by iterations when the settings cap them, else by time."""

    inbox: Queue[Post]
    marks: list[float]
    by_iterations: bool
    posted: int = 0

    @classmethod
    def for_settings(cls, inbox: Queue[Post], settings: SolveSettings) -> _Posts:
        rounds = rounds_for(settings)
        total = (settings.time_limit_s if settings.solution_limit is None
                 else settings.solution_limit)
        return cls(inbox, [total * k / rounds for k in range(1, rounds)],
                   settings.solution_limit is not None)

    def due(self, iterations: int, elapsed_s: float) -> bool:
        done = iterations if self.by_iterations else elapsed_s
        return self.posted < len(self.marks) and done >= self.marks[self.posted]

    def post(self, plan: Plan) -> None:
        self.inbox.put(plan)
        self.posted += 1


def _partner(problem: Problem, settings: SolveSettings, initial: Plan | None,
             inbox: Queue[Post], outbox: Queue[Plan | SearchError], deadline: float) -> None:
    """The partner's rounds (run in its own process); its best plan goes to ``outbox``."""
    rounds = rounds_for(settings)
    limit = None if settings.solution_limit is None else max(1, settings.solution_limit // rounds)
    best, lead_done, failure = initial, False, None
    for round_ in range(rounds):
        if round_ and not lead_done:
            lead_done, best = _take_post(problem, settings, inbox, best, deadline)
        left_s = (deadline - time.perf_counter()) / (rounds - round_)
        if left_s <= 0 and best is not None:
            break
        share = dataclasses.replace(settings, seed=settings.seed + PARTNER_SEEDS * (round_ + 1),
                                    time_limit_s=max(left_s, 0.1), solution_limit=limit)
        try:
            plan = dataclasses.replace(PyVrpEngine().solve(problem, share, initial=best),
                                       engine=PARTNER)
        except Exception as exc:  # a failed round costs the round, not what came before
            failure = exc
            continue
        best = best_plan(problem, [plan, *([best] if best else [])], settings.objective)
    outbox.put(best if best is not None else SearchError(
        f"{problem.name}: auto's partner search found no plan ({failure!r})"))


def _take_post(problem: Problem, settings: SolveSettings, inbox: Queue[Post],
               best: Plan | None, deadline: float) -> tuple[bool, Plan | None]:
    """(whether the lead has finished, the better of ``best`` and the lead's next post; without
    ``solution_limit``, its newest post, since the rounds follow the clock, not the posts)."""
    try:
        post = inbox.get(timeout=max(deadline - time.perf_counter(), 0.0) + GRACE_S)
        while settings.solution_limit is None and post is not None and not inbox.empty():
            post = inbox.get_nowait()
    except queue.Empty:
        return True, best
    if post is None:
        return True, best
    candidates = [*([best] if best else []), post]
    return False, best_plan(problem, candidates, settings.objective)


class AutoEngine:
    """PyVRP and a restarting PyVRP partner on two cores where PyVRP's model fits the problem,
    else OR-Tools."""

    name = "auto"

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        started = time.perf_counter()
        if pyvrp_unsupported(problem):
            plan = OrToolsEngine().solve(problem, settings, initial=initial)
        elif cores() < 2 or multiprocessing.current_process().daemon:
            plan = PyVrpEngine().solve(problem, settings, initial=initial)
            plan = dataclasses.replace(plan, notes=(*plan.notes, "auto ran PyVRP alone: no "
                                                    "second core, or inside a daemonic worker"))
        else:
            plan = self._pair(problem, settings, initial, started)
        return dataclasses.replace(plan, engine=f"{self.name}({plan.engine})", seed=settings.seed,
                                   solve_time_s=round(time.perf_counter() - started, 3))

    @staticmethod
    def _pair(problem: Problem, settings: SolveSettings, initial: Plan | None,
              started: float) -> Plan:
        """The better checked plan of the lead (here) and the partner (a forked process)."""
        context = multiprocessing.get_context("fork")
        inbox: Queue[Post] = context.Queue()
        inbox.cancel_join_thread()  # posts the partner no longer reads must not block our exit
        outbox: Queue[Plan | SearchError] = context.Queue()
        deadline = started + settings.time_limit_s
        partner = context.Process(target=_partner, daemon=True,
                                  args=(problem, settings, initial, inbox, outbox, deadline))
        partner.start()
        try:
            lead = _lead(problem, settings, initial, inbox, deadline)
            other = _receive(problem, outbox, partner, deadline)
        finally:
            if partner.is_alive():
                partner.terminate()
            partner.join(timeout=1.0)
            inbox.close()
            outbox.close()
        plans = [p for p in (lead, other) if isinstance(p, Plan)]
        if not plans:
            raise lead if isinstance(lead, SearchError) else other  # type: ignore[misc]
        return best_plan(problem, plans, settings.objective)


def _lead(problem: Problem, settings: SolveSettings, initial: Plan | None, inbox: Queue[Post],
          deadline: float) -> Plan | SearchError:
    """The lead's plan (or why it has none), searched until ``deadline``; tells the partner when
    it has finished."""
    lead_settings = dataclasses.replace(
        settings, time_limit_s=max(deadline - time.perf_counter(), 0.1))
    try:
        return PyVrpEngine(_Posts.for_settings(inbox, settings)).solve(
            problem, lead_settings, initial=initial)
    except SearchError as exc:
        return exc
    finally:
        inbox.put(None)


def _receive(problem: Problem, outbox: Queue[Plan | SearchError], partner: BaseProcess,
             deadline: float) -> Plan | SearchError:
    """The partner's plan, or a SearchError if it ended or fell silent without sending one."""
    end = deadline + GRACE_S
    while True:
        try:
            return outbox.get(timeout=0.2)
        except queue.Empty:
            if not partner.is_alive() or time.perf_counter() > end:
                break
    return SearchError(f"{problem.name}: auto's partner search sent no plan")
