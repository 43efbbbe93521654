"""Matrices restricted to the pairs that can share a route, and computed on several cores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

import geodata.matrices as matrices
from geodata import UNREACHABLE, RoadNetwork, Snap, snap_points, travel_matrices
from routing.core import ModelError, NetworkError
from tests.geodata.test_matrices import _detour_network

#: Three depots and a 5 x 5 grid of villages over the Guoyang extract.
DEPOTS = {"seat": (116.2157, 33.5059), "west": (116.18, 33.48), "east": (116.25, 33.52)}
VILLAGES = {
    f"v{r}{c}": (116.17 + 0.0225 * c, 33.46 + 0.0175 * r) for r in range(5) for c in range(5)
}
#: Each village with the one next to it in its row and the one above it: a sparse, local set.
PAIRS = {
    f"v{r}{c}": [f"v{r}{c + 1}"] * (c < 4) + [f"v{r + 1}{c}"] * (r < 4)
    for r in range(5) for c in range(5)
}


@pytest.fixture
def grid(small_network: RoadNetwork) -> tuple[RoadNetwork, dict[str, Snap]]:
    """The small extract snapped to the depots and the village grid."""
    return snap_points(small_network, {**DEPOTS, **VILLAGES})


def _kept(ids: tuple[str, ...], pairs: dict[str, list[str]]) -> np.ndarray:
    """The entries a restricted call must compute, built independently of the module."""
    index = {pid: k for k, pid in enumerate(ids)}
    kept = np.eye(len(ids), dtype=bool)
    for i, pid in enumerate(ids):
        if pid not in pairs:
            kept[i, :] = kept[:, i] = True
        for other in pairs.get(pid, []):
            kept[i, index[other]] = kept[index[other], i] = True
    return kept


def test_restricted_equals_full_on_kept_pairs_and_is_unreachable_elsewhere(
    grid: tuple[RoadNetwork, dict[str, Snap]],
) -> None:
    network, snaps = grid
    full = travel_matrices(network, snaps)
    part = travel_matrices(network, snaps, pairs=PAIRS)
    assert part.ids == full.ids and part.restricted and not full.restricted
    kept = _kept(part.ids, PAIRS)
    assert 0.2 < kept.mean() < 0.6, "the fixture must actually leave pairs out"
    for mine, theirs in ((part.distance_m, full.distance_m), (part.duration_s, full.duration_s)):
        np.testing.assert_array_equal(mine[kept], theirs[kept])
        assert (mine[~kept] == UNREACHABLE).all()
        assert (theirs[~kept] < UNREACHABLE).all()


def test_sources_absent_from_pairs_get_full_rows_and_columns(
    grid: tuple[RoadNetwork, dict[str, Snap]],
) -> None:
    network, snaps = grid
    full = travel_matrices(network, snaps)
    part = travel_matrices(network, snaps, pairs=PAIRS)
    depots = [part.ids.index(d) for d in DEPOTS]
    for m, f in ((part.distance_m, full.distance_m), (part.duration_s, full.duration_s)):
        np.testing.assert_array_equal(m[depots], f[depots])
        np.testing.assert_array_equal(m[:, depots], f[:, depots])
    # v00 only neighbours v01 and v10 (and v00 is nobody else's pair): the rest of its row is off.
    row = part.distance_m[part.ids.index("v00")]
    computed = {part.ids[j] for j in np.flatnonzero(row < UNREACHABLE)}
    assert computed == {*DEPOTS, "v00", "v01", "v10"}


def test_pairs_are_symmetric_and_unknown_ids_ignored(
    grid: tuple[RoadNetwork, dict[str, Snap]],
) -> None:
    network, snaps = grid
    one_way = travel_matrices(network, snaps, pairs={v: [] for v in VILLAGES} | {"v00": ["v44"]})
    i, j = one_way.ids.index("v00"), one_way.ids.index("v44")
    assert one_way.distance_m[i, j] < UNREACHABLE and one_way.distance_m[j, i] < UNREACHABLE
    with_ghost = travel_matrices(
        network, snaps, pairs={v: [] for v in VILLAGES} | {"v00": ["v44", "ghost"], "ghost": []}
    )
    np.testing.assert_array_equal(with_ghost.distance_m, one_way.distance_m)
    everyone = travel_matrices(network, snaps, pairs={})
    assert not everyone.restricted
    np.testing.assert_array_equal(everyone.distance_m, travel_matrices(network, snaps).distance_m)
    with pytest.raises(ModelError, match="pairs: v00: give a collection"):
        travel_matrices(network, snaps, pairs={"v00": "v01"})


def test_a_bound_too_tight_is_searched_again_not_taken_for_unreachable(
    grid: tuple[RoadNetwork, dict[str, Snap]], monkeypatch: pytest.MonkeyPatch
) -> None:
    network, snaps = grid

    def unbounded_calls(slack: float) -> tuple[int, matrices.TravelMatrices]:
        calls: list[float] = []

        def counting(*args: Any, **kwargs: Any) -> Any:
            calls.append(float(kwargs.get("limit", np.inf)))
            return dijkstra(*args, **kwargs)

        monkeypatch.setattr(matrices, "dijkstra", counting)
        monkeypatch.setattr(matrices, "_LIMIT_SLACK", slack)
        result = travel_matrices(network, snaps, pairs=PAIRS, jobs=1)
        assert any(np.isfinite(c) for c in calls), "the rows ran with a bound"
        return sum(bool(np.isinf(c)) for c in calls), result

    normal, expected = unbounded_calls(matrices._LIMIT_SLACK)
    tight, again = unbounded_calls(-0.9)  # every bound cut to a tenth: targets are missed
    assert tight > normal, "the missed rows ran again without a bound"
    np.testing.assert_array_equal(again.distance_m, expected.distance_m)
    np.testing.assert_array_equal(again.duration_s, expected.duration_s)


def test_without_depots_every_row_is_still_right(
    grid: tuple[RoadNetwork, dict[str, Snap]],
) -> None:
    network, snaps = grid
    pairs = PAIRS | {d: ["v22"] for d in DEPOTS}
    full = travel_matrices(network, snaps)
    part = travel_matrices(network, snaps, pairs=pairs)
    kept = _kept(part.ids, pairs)
    np.testing.assert_array_equal(part.duration_s[kept], full.duration_s[kept])
    assert (part.duration_s[~kept] == UNREACHABLE).all()


def test_two_jobs_give_the_same_matrices_as_one(
    grid: tuple[RoadNetwork, dict[str, Snap]],
) -> None:
    network, snaps = grid
    for pairs in (None, PAIRS):
        one = travel_matrices(network, snaps, pairs=pairs, jobs=1)
        two = travel_matrices(network, snaps, pairs=pairs, jobs=2)
        assert two.restricted == one.restricted == (pairs is not None)
        np.testing.assert_array_equal(two.distance_m, one.distance_m)
        np.testing.assert_array_equal(two.duration_s, one.duration_s)


def test_the_cache_keeps_restricted_and_full_apart(
    grid: tuple[RoadNetwork, dict[str, Snap]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network, snaps = grid
    cache = tmp_path / "cache"
    part = travel_matrices(network, snaps, pairs=PAIRS, cache_dir=cache)
    full = travel_matrices(network, snaps, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2

    def no_dijkstra(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("dijkstra ran although the cache should have answered")

    monkeypatch.setattr(matrices, "dijkstra", no_dijkstra)
    again = travel_matrices(network, snaps, pairs=PAIRS, cache_dir=cache)
    assert again.restricted
    np.testing.assert_array_equal(again.distance_m, part.distance_m)
    assert not travel_matrices(network, snaps, cache_dir=cache).restricted
    np.testing.assert_array_equal(
        travel_matrices(network, snaps, cache_dir=cache).duration_s, full.duration_s
    )
    with pytest.raises(AssertionError, match="dijkstra ran"):
        travel_matrices(network, snaps, pairs=PAIRS | {"v00": ["v44"]}, cache_dir=cache)


def test_restricted_unreachable_pairs_raise_only_when_wanted() -> None:
    network, snaps = _detour_network()
    graph = network.graph.copy()
    graph.remove_edge(2, 1, 0)
    graph.remove_edge(2, 3, 0)
    cut = replace(network, graph=graph)
    # Neither wants the other: only the diagonal is computed, nothing to raise about.
    alone = travel_matrices(cut, snaps, pairs={"A": [], "B": []})
    assert alone.restricted and alone.distance_m[0, 1] == alone.distance_m[1, 0] == UNREACHABLE
    with pytest.raises(NetworkError, match="no road path from B to A"):
        travel_matrices(cut, snaps, pairs={"B": ["A"]})
    with pytest.raises(NetworkError, match="no road path from B to A"):
        travel_matrices(cut, snaps, pairs={"B": []})  # A is a depot: B's column is wanted
    allowed = travel_matrices(cut, snaps, pairs={"B": []}, allow_unreachable=True)
    assert allowed.distance_m[1, 0] == UNREACHABLE
    assert (allowed.distance_m[0, 1], allowed.duration_s[0, 1]) == (1562, 94)
