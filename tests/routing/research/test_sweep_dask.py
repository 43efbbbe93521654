"""A sweep on a real Dask scheduler and worker (separate processes on 127.0.0.1) survives a
killed worker and an interrupted driver: rerunning completes every cell exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing.inputs import load_scenario, load_sweep
from routing.research import OK, ResultsStore, expand

REPO = Path(__file__).resolve().parents[3]
SMALL = REPO / "tests" / "data" / "small_county" / "scenario.toml"
SEEDS = (1, 2, 3, 4, 5, 6)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


class Processes:
    """Start helper processes in their own sessions; stop every one of them at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        # Ctrl-C's default action in the child, whatever the test process inherited (an
        # ignored SIGINT survives exec and would make the driver deaf to the interrupt).
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=_env(), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def _wait_for(condition, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    p = Processes(tmp_path)
    try:
        yield p
    finally:
        p.stop_all()


def _worker(procs: Processes, name: str, address: str) -> subprocess.Popen:
    return procs.start(name, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                       "--nworkers", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                       "--death-timeout", "60")


def test_a_killed_worker_and_an_interrupted_sweep_lose_no_cell_and_rerun_fills_the_rest(
        tmp_path, procs):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        f'name = "dask-test"\nscenarios = ["{SMALL}"]\nstrategies = ["consolidated"]\n'
        f'cost_models = ["diesel", "electric"]\nseeds = {list(SEEDS)}\ntime_limit_s = 1\n'
        # bounded by work too: six legs a cell (five feeders) must not each wait out 1 s
        f'solution_limit = 100\n',
        encoding="utf-8")
    results = tmp_path / "results"
    cache = tmp_path / "cache"
    expected = {c.key for c in expand(load_sweep(sweep_file), scenarios_dir=results / "sc",
                                      cache_dir=cache)}
    assert len(expected) == len(SEEDS)

    scheduler_file = tmp_path / "scheduler.json"
    procs.start("scheduler", "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                "--port", "0", "--dashboard-address", "127.0.0.1:0",
                "--scheduler-file", str(scheduler_file))
    _wait_for(scheduler_file.is_file, timeout_s=30, what="the scheduler to start")
    address = json.loads(scheduler_file.read_text())["address"]
    assert address.startswith("tcp://127.0.0.1:")
    first_worker = _worker(procs, "worker-1", address)

    sweep_args = ("-m", "cli", "sweep", str(sweep_file), "--out", str(results),
                  "--scheduler", address, "--cache-dir", str(cache))
    driver = procs.start("sweep-1", *sweep_args)
    store = ResultsStore(results)
    # a fresh clone on a busy 2-core machine compiles and imports everything first
    _wait_for(lambda: len(store.files()) >= 1 or driver.poll() is not None, timeout_s=150,
              what="the first recorded cell")
    assert driver.poll() is None, procs.log("sweep-1")
    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=10)
    time.sleep(0.5)
    assert driver.poll() is None, "with no worker left the sweep must still be waiting"
    driver.send_signal(signal.SIGINT)
    try:
        code = driver.wait(timeout=90)
    except subprocess.TimeoutExpired:
        code = None
    assert code == 130, procs.log("sweep-1")
    assert "interrupted: every recorded cell is kept" in procs.log("sweep-1")

    before = {p.name: p.stat().st_mtime_ns for p in store.files()}
    assert 1 <= len(before) < len(SEEDS)
    assert set(store.done()) <= expected

    _worker(procs, "worker-2", address)
    rerun = subprocess.run([sys.executable, *sweep_args], cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=180,
                           stdin=subprocess.DEVNULL)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"{len(SEEDS)} cells, {len(before)} already recorded, "
            f"{len(SEEDS) - len(before)} to run") in rerun.stderr

    df = store.table()
    assert len(df) == len(SEEDS) and df["cell"].is_unique
    assert set(df["cell"]) == expected
    assert set(df["status"]) == {OK}
    assert sorted(df["seed"]) == list(SEEDS)
    for name, stamp in before.items():
        assert (store.cells_dir / name).stat().st_mtime_ns == stamp, f"{name} was recomputed"
    villages = sorted(s.id for s in load_scenario(SMALL).stops)
    for plan in df["plan_path"]:
        doc = json.loads((results / plan).read_text(encoding="utf-8"))
        # each cell's own plan, solved with its own seed, serving all nine villages once (the
        # other legs are the carriers' feeders to the centre)
        (leg,) = [lg for lg in doc["legs"] if lg["echelon"] == "delivery"]
        assert {lg["seed"] for lg in doc["legs"]} == {doc["cell"]["seed"]}
        assert sorted(s for r in leg["routes"] for s in r["stops"]) == villages
        assert doc["kpis"]["parcels"] == 225 and set(doc["costs"]) == {"diesel", "electric"}

    again = subprocess.run([sys.executable, *sweep_args], cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr
    assert f"nothing to run: all {len(SEEDS)} cells are recorded" in again.stderr
    assert len(store.files()) == len(SEEDS)
