"""Solve independent routing problems side by side, one search per core.

A strategy's legs that do not wait for each other (each carrier's day, the feeders, the relay's
stations solved again) need not wait for each other's search either: :func:`solve_all` runs them
in forked processes, each with its own budget, and returns the same checked plans in the same
order as solving them one after the other would (bit for bit where the search is bounded by
``solution_limit``). In a process that may not start others (a Dask worker, a pool worker) or
with one job, it solves them in turn. The worker processes are daemonic, so the ``auto`` engine
runs its lead search alone in each: the cores go to the legs instead of its partner search.

Several callers can share the cores too (:func:`shared_pool`, :func:`concurrently`): the
strategies of one ``compare`` each run in a thread, and every search any of them starts goes to
one pool of worker processes, forked before the threads start. At most one search runs per
worker, so each keeps a core for its whole budget; among those waiting the longest budget
starts first.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_EXCEPTION,
    CancelledError,
    Future,
    InvalidStateError,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from routing.core import Plan, Problem
from routing.solving.checker import CheckReport
from routing.solving.engines.base import Engine, SolveSettings
from routing.solving.engines.ranking import cores
from routing.solving.solve import solve_checked

T = TypeVar("T")
Solved = tuple[Plan, CheckReport]


def pool_size(settings: SolveSettings) -> int:
    """How many searches may run at once: ``settings.jobs`` (default the cores this process may
    use), and one inside a daemonic process, which may not start others."""
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, cores() if settings.jobs is None else settings.jobs)


def workers_for(jobs: int, settings: SolveSettings) -> int:
    """How many processes solve ``jobs`` problems: :func:`pool_size`, at most one per
    problem."""
    return max(1, min(jobs, pool_size(settings)))


@dataclass(frozen=True)
class _Task:
    """A call waiting for a worker, and the future its result goes to."""

    call: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any] = field(default_factory=Future)


class SharedPool:
    """Worker processes that every :func:`solve_all` of this process feeds while it is open: at
    most one call per worker at once, the longest budget first among those waiting (then the
    first submitted). Safe to submit to from any thread.

    Each worker has a pipe of its own and a thread here that hands it one call at a time, so no
    lock is shared between processes: a worker killed mid-search (on leaving, or by the system)
    cannot hang the others, and one that dies gives up the pool with an error instead of
    leaving its caller waiting."""

    def __init__(self, workers: Sequence[tuple[BaseProcess, Connection]]) -> None:
        self.workers = len(workers)
        self._ready = threading.Condition()
        self._waiting: list[tuple[float, int, _Task]] = []
        self._running: set[Future[Any]] = set()
        self._order = itertools.count()
        self._closed = False
        self._feeders = [threading.Thread(target=self._feed, args=(process, conn), daemon=True,
                                          name=f"ruralroute-feeder-{process.pid}")
                         for process, conn in workers]
        for feeder in self._feeders:
            feeder.start()

    def submit(self, call: Callable[..., T], jobs: Sequence[tuple[float, tuple[Any, ...]]]
               ) -> list[Future[T]]:
        """``call(*args)`` for every (budget in seconds, args) of ``jobs``, each in a worker
        once one is free and no longer budget waits; their futures, in order."""
        tasks = [_Task(call, args) for _, args in jobs]
        with self._ready:
            if self._closed:
                raise RuntimeError("shared pool: closed, the searches were given up")
            for (budget_s, _), task in zip(jobs, tasks, strict=True):
                heapq.heappush(self._waiting, (-budget_s, next(self._order), task))
            self._ready.notify(len(tasks))
        return [task.future for task in tasks]

    def close(self) -> None:
        """Give up every call not finished (a caller waiting on one gets CancelledError); nothing
        more may be submitted."""
        with self._ready:
            self._closed = True
            given_up = [*self._running, *(task.future for *_, task in self._waiting)]
            self._waiting.clear()
            self._ready.notify_all()
        for future in given_up:
            _give_up(future)

    def join(self) -> None:
        """Wait for the feeder threads (once the workers have ended)."""
        for feeder in self._feeders:
            feeder.join()

    def _next(self) -> _Task | None:
        """The waiting call to start next, once there is one; None once closed."""
        with self._ready:
            while not self._closed:
                while self._waiting:
                    *_, task = heapq.heappop(self._waiting)
                    if not task.future.done():  # else given up while it waited
                        self._running.add(task.future)
                        return task
                self._ready.wait()
        return None

    def _feed(self, process: BaseProcess, conn: Connection) -> None:
        """One worker's calls, one at a time, until the pool is closed or the worker ends."""
        while (task := self._next()) is not None:
            try:
                conn.send((task.call, task.args))
            except Exception as exc:  # nothing was sent: the call's arguments do not pickle
                self._settle(task.future, False, exc)
                continue
            try:
                ok, value = conn.recv()
            except (EOFError, OSError):
                process.join(timeout=1.0)
                self._settle(task.future, False, RuntimeError(
                    f"a solver process ended during the search (exit code {process.exitcode})"))
                self.close()
                return
            self._settle(task.future, ok, value)

    def _settle(self, future: Future[Any], ok: bool, value: Any) -> None:
        """A call's result (``ok``) or error, for whoever waits on ``future``."""
        with self._ready:
            self._running.discard(future)
        with suppress(InvalidStateError):  # given up meanwhile
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def _give_up(future: Future[Any]) -> None:
    """Settle ``future`` with CancelledError unless it is settled already; whoever waits on it
    wakes up (``Future.cancel`` would not wake :func:`concurrent.futures.wait`)."""
    with suppress(InvalidStateError):
        future.set_exception(CancelledError("the search was given up: another one failed"))


def _serve(conn: Connection) -> None:
    """A worker's loop: each call it receives run, its result or error sent back."""
    while True:
        try:
            call, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, call(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # nothing was sent: the result or error does not pickle
            conn.send((False, RuntimeError(f"{getattr(call, '__name__', call)}: {exc!r}")))


@contextmanager
def _forked(workers: int) -> Iterator[SharedPool]:
    """A :class:`SharedPool` of ``workers`` forked daemonic processes, ended on leaving."""
    context = multiprocessing.get_context("fork")
    started: list[tuple[BaseProcess, Connection]] = []
    try:
        for _ in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), daemon=True,
                                      name="ruralroute-solver")
            process.start()
            theirs.close()  # so our end sees EOF when the worker ends
            started.append((process, mine))
        shared = SharedPool(started)
    except BaseException:
        _end(started, None)
        raise
    try:
        yield shared
    finally:
        _end(started, shared)


def _end(workers: Sequence[tuple[BaseProcess, Connection]], shared: SharedPool | None) -> None:
    """Give up ``shared``'s calls, stop its worker processes (idle or not), wait for its feeder
    threads and close our ends of the pipes."""
    if shared is not None:
        shared.close()
    for process, _ in workers:
        if process.exitcode is None:
            process.terminate()
    for process, _ in workers:
        process.join()
    if shared is not None:
        shared.join()  # each feeder sees its worker's pipe end (EOF) and stops
    for _, conn in workers:
        conn.close()


class _Active:
    """The process's open shared pool, if any."""

    pool: SharedPool | None = None


@contextmanager
def shared_pool(workers: int) -> Iterator[SharedPool | None]:
    """While open, every :func:`solve_all` of this process (from any thread) solves in one pool
    of ``workers`` forked processes: enter it before starting threads. None, and solving as
    usual, with one worker, inside a daemonic process or when a shared pool is already open
    (that one is used)."""
    if workers <= 1 or multiprocessing.current_process().daemon or _Active.pool is not None:
        yield None
        return
    with _forked(workers) as shared:
        _Active.pool = shared
        try:
            yield shared
        finally:
            _Active.pool = None


def concurrently(pool: SharedPool, calls: Sequence[Callable[[], T]]) -> list[T]:
    """Every call's result, in order, each call run in its own thread (feeding ``pool``). The
    first error is raised once the other threads have stopped: it gives up ``pool``, so they
    stop at their next search."""
    with ThreadPoolExecutor(max_workers=max(1, len(calls)),
                            thread_name_prefix="ruralroute") as threads:
        futures = [threads.submit(call) for call in calls]
        try:
            return _results(futures)
        except BaseException:
            pool.close()
            raise


def _results(futures: Sequence[Future[T]]) -> list[T]:
    """The futures' results in order once all are done, or the first error (in order among
    those that failed by then) as soon as one fails."""
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    for future in futures:
        if future in done and future.exception() is not None:
            future.result()  # raises its error
    return [future.result() for future in futures]


def solve_all(problems: Sequence[tuple[Problem, SolveSettings]], engine: Engine
              ) -> list[Solved]:
    """:func:`solve_checked` on every (problem, settings), in order, on up to
    :func:`workers_for` cores (in the :func:`shared_pool` when one is open, whatever its
    size); the longest budgets start first. The first error a search raises
    (:class:`SearchError`, :class:`PlanError`) is raised here."""
    if not problems:
        return []
    if _Active.pool is not None and not multiprocessing.current_process().daemon:
        return _in_pool(_Active.pool, problems, engine)
    workers = workers_for(len(problems), problems[0][1])
    if workers == 1:
        return [solve_checked(problem, engine, settings) for problem, settings in problems]
    with _forked(workers) as pool:
        return _in_pool(pool, problems, engine)


def _in_pool(pool: SharedPool, problems: Sequence[tuple[Problem, SolveSettings]],
             engine: Engine) -> list[Solved]:
    """The problems solved in ``pool``; on an error the rest of them are given up."""
    futures = pool.submit(solve_checked, [(settings.time_limit_s, (problem, engine, settings))
                                          for problem, settings in problems])
    try:
        return _results(futures)
    except BaseException:
        for future in futures:
            _give_up(future)
        raise


def solve_one(problem: Problem, engine: Engine, settings: SolveSettings, *,
              initial: Plan | None = None) -> Solved:
    """:func:`solve_checked` (from ``initial`` when given), in the :func:`shared_pool` when one
    is open, so a search a thread starts takes a worker like any other; else here."""
    shared = _Active.pool
    if shared is None or multiprocessing.current_process().daemon:
        return _solve_from(problem, engine, settings, initial)
    (future,) = shared.submit(_solve_from, [(settings.time_limit_s,
                                             (problem, engine, settings, initial))])
    return _results([future])[0]


def _solve_from(problem: Problem, engine: Engine, settings: SolveSettings,
                initial: Plan | None) -> Solved:
    """:func:`solve_checked`, given ``initial`` only when there is one."""
    if initial is None:
        return solve_checked(problem, engine, settings)
    return solve_checked(problem, engine, settings, initial=initial)

