"""Cost games: Shapley value, nucleolus, least core and the core check against hand computations."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from scipy.optimize import linprog

from routing.core import ModelError
from routing.research import (
    RULES,
    CostGame,
    analyse,
    least_core,
    nucleolus,
    shapley,
)
from routing.research.cost_games import proportional, stability, subsets

# Three carriers, each 6 alone; A and B pool well (8 instead of 12), C gains nothing with either
# alone (12 = 6 + 6), all three together 13.
#
# Shapley by hand, over the 6 orders: A pays 6 first (2 orders), 2 after B, 6 after C and
# 13 - 12 = 1 last (2 orders): (6 + 6 + 2 + 6 + 1 + 1) / 6 = 11/3; B the same; C pays 6 in
# the four orders where it is not last and 13 - 8 = 5 last (2 orders): 34/6 = 17/3.
#
# Core by hand: x_A, x_B, x_C <= 6, x_A + x_B <= 8, x_A + x_C <= 12, x_B + x_C <= 12 and the sum
# is 13, i.e. 5 <= x_C <= 6 (from the pair constraints) with x_A + x_B = 13 - x_C.
#
# Nucleolus by hand: by symmetry x_A = x_B = a, x_C = 13 - 2a; the excesses are a - 6 (twice),
# 7 - 2a (C), 2a - 8 (AB) and 1 - a (AC, BC). The largest is least where 7 - 2a = 2a - 8:
# a = 3.75, excess -0.5 (the least core's epsilon). Fixing x_C = 5.5 and x_A + x_B = 7.5, the
# next largest, max(x_A - 6, 1.5 - x_A, x_A - 6.5, 1 - x_A), is least at x_A = 3.75: -2.25.
TOY = CostGame(("A", "B", "C"), {
    ("A",): 6, ("B",): 6, ("C",): 6, ("A", "B"): 8, ("A", "C"): 12, ("B", "C"): 12,
    ("A", "B", "C"): 13})

# Every pair costs what one player does alone: three players would need 3/2 but cost 2 together.
# No split is stable: x(S) <= 1 for the three pairs means 2 * x(N) <= 3 < 4. The least core
# needs x(pair) <= 1 + eps: eps = 1/3 at x = (2/3, 2/3, 2/3), where every pair overpays 1/3.
EMPTY = CostGame(("A", "B", "C"), {
    ("A",): 1, ("B",): 1, ("C",): 1, ("A", "B"): 1, ("A", "C"): 1, ("B", "C"): 1,
    ("A", "B", "C"): 2})


def test_shapley_matches_the_hand_computed_values():
    assert shapley(TOY) == pytest.approx({"A": 11 / 3, "B": 11 / 3, "C": 17 / 3})


def test_nucleolus_and_least_core_match_the_hand_computation():
    nucleus = nucleolus(TOY)
    assert nucleus.shares == pytest.approx({"A": 3.75, "B": 3.75, "C": 5.5})
    assert nucleus.levels == pytest.approx((-0.5, -2.25))
    assert nucleus.imputations
    epsilon, point = least_core(TOY)
    assert epsilon == pytest.approx(-0.5)
    assert sum(point.values()) == pytest.approx(13)
    assert point["C"] == pytest.approx(5.5)  # C's excess is -0.5 at every least-core point


@pytest.mark.parametrize(("shares", "in_core"), [
    ({"A": 3.5, "B": 3.5, "C": 6.0}, True),    # x_C = 6: on the core's edge
    ({"A": 2.0, "B": 6.0, "C": 5.0}, True),    # x_C = 5: the other edge
    ({"A": 4.0, "B": 4.5, "C": 4.5}, False),   # AB pays 8.5 > 8, C below 5
    ({"A": 1.0, "B": 5.0, "C": 6.5}, False),   # C pays more than alone
    ({"A": 3.5, "B": 3.5, "C": 5.5}, False),   # sums to 12.5, not 13: not efficient
])
def test_the_core_check_agrees_with_the_hand_computed_core(shares, in_core):
    assert stability(TOY, "given", shares).in_core is in_core


def test_rules_outside_the_core_list_their_blocking_coalition_and_by_how_much():
    analysis = analyse(TOY, {"A": 10, "B": 10, "C": 5})
    assert not analysis.core_empty and analysis.least_core_epsilon == pytest.approx(-0.5)
    by_parcels = analysis.allocation("parcels")
    assert by_parcels.shares == pytest.approx({"A": 5.2, "B": 5.2, "C": 2.6})
    assert [b.members for b in by_parcels.blocking] == [("A", "B")]
    assert by_parcels.blocking[0].excess == pytest.approx(2.4)   # 10.4 against 8
    alone = analysis.allocation("standalone")
    assert alone.shares == pytest.approx({p: 13 / 3 for p in "ABC"})
    assert [(b.members, round(b.excess, 6)) for b in alone.blocking] == [(("A", "B"),
                                                                          round(2 / 3, 6))]
    assert analysis.allocation("shapley").in_core and analysis.allocation("nucleolus").in_core


def test_an_empty_core_is_reported_with_its_blocking_coalitions():
    analysis = analyse(EMPTY, {"A": 1, "B": 1, "C": 1})
    assert analysis.core_empty
    assert analysis.least_core_epsilon == pytest.approx(1 / 3)
    nucleus = analysis.allocation("nucleolus")
    assert nucleus.shares == pytest.approx({"A": 2 / 3, "B": 2 / 3, "C": 2 / 3})
    assert sorted(b.members for b in nucleus.blocking) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert all(b.excess == pytest.approx(1 / 3) for b in nucleus.blocking)
    assert not any(a.in_core for a in analysis.allocations)


def _random_game(rng: random.Random, n: int) -> CostGame:
    """Each player's stand-alone cost, with a random discount for every coalition."""
    players = tuple("ABCDEFG"[:n])
    alone = {p: rng.uniform(100, 400) for p in players}
    costs = {s: (alone[s[0]] if len(s) == 1 else
                 sum(alone[p] for p in s) * rng.uniform(0.55, 1.05)) for s in subsets(players)}
    return CostGame(players, costs)


@pytest.mark.parametrize("seed", range(6))
def test_every_allocation_adds_up_to_the_grand_coalitions_cost(seed):
    rng = random.Random(seed)
    game = _random_game(rng, 3 + seed % 3)
    analysis = analyse(game, {p: rng.randint(0, 90) + 1 for p in game.players})
    assert [a.rule for a in analysis.allocations] == list(RULES)
    for allocation in analysis.allocations:
        assert allocation.total == pytest.approx(game.grand, rel=1e-9), allocation.rule
        assert allocation.efficient
    if not analysis.core_empty:  # the nucleolus lies in the core whenever the core has points
        assert analysis.allocation("nucleolus").in_core


def _improving_direction(game: CostGame, shares: dict[str, float]) -> float:
    """Kohlberg's criterion, checked independently of the nucleolus' own LPs: ``shares`` is the
    nucleolus iff for every k no feasible direction ``d`` (``d(N) = 0``; ``d_i <= 0`` where a
    player already pays its stand-alone cost) lowers the excess of some coalition among the k
    highest excess levels without raising any other of them. Returns the most any direction
    in the unit box lowers their total (0 for the nucleolus)."""
    players, tol = game.players, 1e-7 * game.grand
    excess = {s: sum(shares[p] for p in s) - game.cost(s) for s in game.coalitions()[:-1]}
    levels = sorted(set(round(e / tol) for e in excess.values()), reverse=True)
    binding = [p for p in players if shares[p] >= game.cost((p,)) - tol]
    worst = 0.0
    for level in levels:
        top = [s for s, e in excess.items() if round(e / tol) >= level]
        rows = [[1.0 if p in s else 0.0 for p in players] for s in top]
        res = linprog([sum(r[i] for r in rows) for i in range(len(players))],
                      A_ub=rows + [[1.0 if q == p else 0.0 for q in players] for p in binding],
                      b_ub=[0.0] * (len(rows) + len(binding)),
                      A_eq=[[1.0] * len(players)], b_eq=[0.0],
                      bounds=[(-1, 1)] * len(players), method="highs")
        worst = min(worst, float(res.fun))
    return -worst


@pytest.mark.parametrize("seed", range(8))
def test_the_nucleolus_meets_kohlbergs_criterion(seed):
    rng = random.Random(100 + seed)
    game = _random_game(rng, 4 + seed % 2)
    nucleus = nucleolus(game)
    alone = game.standalone()
    assert nucleus.imputations
    assert all(nucleus.shares[p] <= alone[p] + 1e-6 for p in game.players)  # an imputation
    assert sum(nucleus.shares.values()) == pytest.approx(game.grand)
    assert _improving_direction(game, dict(nucleus.shares)) == pytest.approx(0, abs=1e-7)


def test_kohlbergs_criterion_tells_a_least_core_point_from_the_nucleolus():
    # The check above can fail: on the toy game the least core is the segment x_C = 5.5,
    # x_A + x_B = 7.5; its ends are not the nucleolus and a direction improves them.
    assert _improving_direction(TOY, {"A": 1.5, "B": 6.0, "C": 5.5}) > 0.1
    assert _improving_direction(TOY, {"A": 3.75, "B": 3.75, "C": 5.5}) == pytest.approx(0)


def test_shapley_gives_a_dummy_player_its_own_cost_and_symmetric_players_the_same():
    players = ("A", "B", "D")
    base = {("A",): 5.0, ("B",): 5.0, ("A", "B"): 7.0}
    costs = {}
    for s in subsets(players):  # D adds exactly its own 3 to any coalition
        rest = tuple(p for p in s if p != "D")
        costs[s] = (base[rest] if rest else 0.0) + (3.0 if "D" in s else 0.0)
    value = shapley(CostGame(players, costs))
    assert value == pytest.approx({"A": 3.5, "B": 3.5, "D": 3.0})


def test_without_imputations_the_nucleolus_is_the_prenucleolus():
    # Pooling costs more than alone: 4 > 1 + 1 + 1, so no split keeps everyone at or below alone.
    game = CostGame(("A", "B", "C"), {s: (1.0 if len(s) == 1 else 2.0 if len(s) == 2 else 4.0)
                                      for s in subsets(("A", "B", "C"))})
    nucleus = nucleolus(game)
    assert not nucleus.imputations
    assert nucleus.shares == pytest.approx({"A": 4 / 3, "B": 4 / 3, "C": 4 / 3})


def test_coalitions_may_be_given_in_any_member_order():
    game = CostGame(("A", "B"), {("A",): 3, ("B",): 4, ("B", "A"): 5})
    assert game.cost(["B", "A"]) == 5 and game.saving(("A", "B")) == 2
    assert shapley(game) == pytest.approx({"A": 2.0, "B": 3.0})
    assert nucleolus(game).shares == pytest.approx({"A": 2.0, "B": 3.0})


@pytest.mark.parametrize(("costs", "match"), [
    ({("A",): 1, ("B",): 1}, "no cost for coalition A;B"),
    ({("A",): 1, ("B",): 1, ("A", "B"): 1, ("A", "Z"): 1}, "not a set of players"),
    ({("A",): 1, ("B",): math.nan, ("A", "B"): 1}, "coalition B has cost nan"),
])
def test_an_incomplete_or_unknown_game_is_refused(costs, match):
    with pytest.raises(ModelError, match=match):
        CostGame(("A", "B"), costs)


def test_proportional_split_needs_a_weight_for_everyone():
    with pytest.raises(ModelError, match="weights: all zero"):
        proportional(TOY, {"A": 0, "B": 0, "C": 0})
    with pytest.raises(ModelError, match="no weight for player C"):
        proportional(TOY, {"A": 1, "B": 1})


def test_a_single_player_pays_everything():
    game = CostGame(("A",), {("A",): 7.0})
    assert shapley(game) == {"A": 7.0} and nucleolus(game).shares == {"A": 7.0}
    assert least_core(game)[0] == 0.0


def test_subsets_are_every_nonempty_coalition_by_size():
    got = list(subsets(("A", "B", "C")))
    assert got == [("A",), ("B",), ("C",), ("A", "B"), ("A", "C"), ("B", "C"), ("A", "B", "C")]
    assert len(list(subsets(tuple("ABCDE")))) == 31
    assert len(set(itertools.chain(got))) == 7
