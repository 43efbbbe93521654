"""Cost games among carriers: who pays what of the pooled day, and would any group do better alone.

A *cost game* gives every coalition ``S`` of players (carriers) the cost ``c(S)`` of serving its
members' demand together. An *allocation* ``x`` splits the grand coalition's cost ``c(N)`` among
the players. Pure maths on given numbers: nothing here routes, reads files or knows about roads.

Rules (:data:`RULES`):

* ``parcels`` and ``standalone``: ``c(N)`` split in proportion to each player's parcels or to its
  stand-alone cost ``c({i})``;
* ``shapley``: the Shapley value, exact over all ``2^n`` subsets (each player pays its marginal
  cost averaged over every order in which the coalition could form);
* ``nucleolus``: the allocation that minimises the largest *excess* ``x(S) - c(S)`` (what a
  coalition pays beyond its own cost), then the next largest, and so on, over the imputations
  (no player pays more than alone, ``x_i <= c({i})``) when there are any
  (``sum c({i}) >= c(N)``); otherwise over all efficient allocations (the prenucleolus).

Stability: ``x`` is in the *core* when it is efficient (``x(N) = c(N)``) and no coalition pays
more than it would alone (``x(S) <= c(S)`` for every ``S``), up to :func:`tolerance`. A
coalition with ``x(S) > c(S)`` *blocks* ``x`` (:class:`Blocking`: by how much it overpays). The
*least core* is the smallest ``epsilon`` for which some efficient ``x`` has ``x(S) <= c(S) +
epsilon`` for every proper coalition; the core is empty exactly when that ``epsilon`` is positive.

Linear programs: :func:`scipy.optimize.linprog` with ``method="highs"``. HiGHS is maintained
(actively developed, SciPy's default LP solver), ships with SciPy (already a dependency: no new
package or licence), solves exactly (dual simplex, or interior point with crossover to a basic
solution, not a heuristic) and returns the dual values (``marginals``) the nucleolus needs. The
nucleolus is a sequence of LPs (Maschler, Peleg & Shapley 1979): each minimises the largest
excess ``t`` over the coalitions not yet fixed, keeping the excesses fixed in earlier rounds.

Ties: several coalitions can share the largest excess in a round. Those with a positive dual
value are tight at *every* optimum (complementary slackness), so all of them are fixed at ``t``
together; at least one always is, because the duals of the ``t`` constraints add up to 1. Tied
coalitions with zero dual stay free and are settled in a later round; so are coalitions whose
excess the fixed ones already determine (their incidence vector lies in the span of the fixed
ones), which are dropped. The nucleolus is unique, so no tie needs breaking among allocations;
the last LP's point is it. Costs are divided by their largest absolute value before solving, so
the tolerances are relative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy.optimize import OptimizeResult, linprog

from routing.core import ModelError

#: The allocation rules, in the order reports show them.
RULES: tuple[str, ...] = ("parcels", "standalone", "shapley", "nucleolus")
#: Tolerance of the core check and of "the core is empty", relative to the largest cost.
RELATIVE_TOLERANCE = 1e-6
#: A dual value above this (costs scaled to at most 1) marks a coalition tight at every optimum.
DUAL_TOLERANCE = 1e-9
#: The most players a game may have: ``2^n - 1`` coalition costs are needed.
MAX_PLAYERS = 16

Coalition = tuple[str, ...]


def subsets(players: Sequence[str]) -> Iterator[Coalition]:
    """Every non-empty coalition of ``players``: by size, then in the players' order."""
    for size in range(1, len(players) + 1):
        yield from combinations(players, size)


@dataclass(frozen=True)
class CostGame:
    """A cost game: ``costs`` maps every non-empty coalition (members in any order) to c(S).

    Keys are stored with members in ``players`` order; every one of the ``2^n - 1`` coalitions
    must be given, with a finite cost.
    """

    players: tuple[str, ...]
    costs: Mapping[Coalition, float] = field(hash=False)

    def __post_init__(self) -> None:
        players = tuple(self.players)
        if not players or len(set(players)) != len(players):
            raise ModelError("players: a game needs at least one player, each named once")
        if len(players) > MAX_PLAYERS:
            raise ModelError(f"players: at most {MAX_PLAYERS} players, got {len(players)}")
        order = {p: i for i, p in enumerate(players)}
        canonical: dict[Coalition, float] = {}
        for members, cost in self.costs.items():
            unknown = [m for m in members if m not in order]
            if unknown or not members or len(set(members)) != len(members):
                raise ModelError(f"costs: coalition {list(members)} is not a set of players "
                                 f"({', '.join(players)})")
            if not math.isfinite(cost):
                raise ModelError(f"costs: coalition {';'.join(members)} has cost {cost!r}")
            canonical[tuple(sorted(members, key=order.__getitem__))] = float(cost)
        missing = [s for s in subsets(players) if s not in canonical]
        if missing:
            raise ModelError(f"costs: no cost for coalition {';'.join(missing[0])} "
                             f"({len(missing)} of {2 ** len(players) - 1} missing)")
        object.__setattr__(self, "players", players)
        object.__setattr__(self, "costs", canonical)

    def coalitions(self) -> list[Coalition]:
        """Every coalition, by size, then in the players' order (the grand coalition last)."""
        return list(subsets(self.players))

    def cost(self, members: Iterable[str]) -> float:
        """c(S) of the coalition of ``members`` (any order); 0 for the empty coalition."""
        wanted = set(members)
        if not wanted:
            return 0.0
        return self.costs[tuple(p for p in self.players if p in wanted)]

    @property
    def grand(self) -> float:
        """c(N), the cost the allocations share out."""
        return self.costs[self.players]

    def standalone(self) -> dict[str, float]:
        """Each player's cost alone, c({i})."""
        return {p: self.costs[(p,)] for p in self.players}

    def saving(self, members: Iterable[str]) -> float:
        """What the coalition saves against its members each serving alone."""
        members = tuple(members)
        alone = self.standalone()
        return sum(alone[m] for m in members) - self.cost(members)


def tolerance(game: CostGame) -> float:
    """The absolute tolerance of the core check: :data:`RELATIVE_TOLERANCE` of the largest cost
    (at least of 1)."""
    return RELATIVE_TOLERANCE * max(1.0, max(abs(c) for c in game.costs.values()))


@dataclass(frozen=True)
class Blocking:
    """A coalition that pays more under an allocation than serving itself would cost."""

    members: Coalition
    cost: float
    pays: float

    @property
    def excess(self) -> float:
        """By how much the coalition overpays: ``x(S) - c(S)``."""
        return self.pays - self.cost


@dataclass(frozen=True)
class Allocation:
    """How one rule splits c(N): each player's share and whether the split is stable.

    ``blocking`` lists every proper coalition that pays more than its own cost, largest excess
    first; ``efficient`` says whether the shares add up to c(N).
    """

    rule: str
    shares: Mapping[str, float] = field(hash=False)
    efficient: bool = True
    blocking: tuple[Blocking, ...] = ()

    @property
    def in_core(self) -> bool:
        return self.efficient and not self.blocking

    @property
    def total(self) -> float:
        return sum(self.shares.values())


def stability(game: CostGame, rule: str, shares: Mapping[str, float]) -> Allocation:
    """``shares`` checked against the core: efficiency and every blocking coalition."""
    if set(shares) != set(game.players):
        raise ModelError(f"shares: {rule} must give a share to each of {', '.join(game.players)}")
    tol = tolerance(game)
    blocking = []
    for members in game.coalitions()[:-1]:
        pays = sum(shares[m] for m in members)
        if pays > game.costs[members] + tol:
            blocking.append(Blocking(members, game.costs[members], pays))
    blocking.sort(key=lambda b: (-b.excess, len(b.members), b.members))
    efficient = abs(sum(shares.values()) - game.grand) <= tol
    return Allocation(rule, {p: float(shares[p]) for p in game.players}, efficient,
                      tuple(blocking))


def proportional(game: CostGame, weights: Mapping[str, float]) -> dict[str, float]:
    """c(N) split in proportion to ``weights`` (parcels, stand-alone costs)."""
    missing = [p for p in game.players if p not in weights]
    if missing:
        raise ModelError(f"weights: no weight for player {missing[0]}")
    if any(weights[p] < 0 for p in game.players):
        raise ModelError("weights: must be >= 0")
    total = sum(weights[p] for p in game.players)
    if total <= 0:
        raise ModelError("weights: all zero; there is nothing to split in proportion to")
    return {p: game.grand * weights[p] / total for p in game.players}


def shapley(game: CostGame) -> dict[str, float]:
    """The Shapley value, exact: each player's marginal cost ``c(S + i) - c(S)`` over every
    coalition ``S`` without it, weighted ``|S|! (n - |S| - 1)! / n!``."""
    n = len(game.players)
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
              for s in range(n)]
    value = {}
    for player in game.players:
        others = [p for p in game.players if p != player]
        total = weight[0] * game.cost((player,))
        for size in range(1, n):
            for rest in combinations(others, size):
                total += weight[size] * (game.cost((*rest, player)) - game.cost(rest))
        value[player] = total
    return value


def _scaled(game: CostGame) -> tuple[float, list[Coalition], np.ndarray, np.ndarray]:
    """The scale, the proper coalitions, their incidence rows and their costs / scale."""
    scale = max(1.0, max(abs(c) for c in game.costs.values()))
    proper = game.coalitions()[:-1]
    rows = np.array([[1.0 if p in s else 0.0 for p in game.players] for s in proper])
    costs = np.array([game.costs[s] / scale for s in proper])
    return scale, proper, rows.reshape(len(proper), len(game.players)), costs


def least_core(game: CostGame) -> tuple[float, dict[str, float]]:
    """The least-core ``epsilon`` and a point of the least core (one LP).

    ``epsilon`` is the smallest amount such that some efficient allocation charges no proper
    coalition more than ``c(S) + epsilon``; the core is empty exactly when it is positive.
    """
    n = len(game.players)
    if n == 1:
        return 0.0, {game.players[0]: game.grand}
    scale, _, rows, costs = _scaled(game)
    res = _solve(rows, costs, fixed_rows=np.zeros((0, n)), fixed_values=np.zeros(0),
                 grand=game.grand / scale, upper=None)
    point = {p: float(v) * scale for p, v in zip(game.players, res.x[:n], strict=True)}
    return float(res.x[-1]) * scale, point


def _solve(rows: np.ndarray, costs: np.ndarray, *, fixed_rows: np.ndarray,
           fixed_values: np.ndarray, grand: float, upper: np.ndarray | None) -> OptimizeResult:
    """min t s.t. x(S) - t <= c(S) (``rows``), x(S) = value (``fixed_rows``), x(N) = c(N)."""
    n = rows.shape[1]
    objective = np.zeros(n + 1)
    objective[-1] = 1.0
    a_ub = np.hstack([rows, -np.ones((len(rows), 1))])
    a_eq = np.vstack([np.append(np.ones(n), 0.0),
                      np.hstack([fixed_rows, np.zeros((len(fixed_rows), 1))])])
    b_eq = np.append(grand, fixed_values)
    bounds = [(None, None if upper is None else float(upper[i])) for i in range(n)]
    res = linprog(objective, A_ub=a_ub, b_ub=costs, A_eq=a_eq, b_eq=b_eq,
                  bounds=[*bounds, (None, None)], method="highs")
    if res.status != 0:
        raise ModelError(f"nucleolus: the LP solver (HiGHS) failed: {res.message}")
    return res


def _rank(rows: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(rows, tol=1e-9)) if len(rows) else 0


@dataclass(frozen=True)
class Nucleolus:
    """The nucleolus and the excess fixed in each round of LPs (largest first).

    ``imputations`` says whether it was taken over the imputations (no player pays more than
    alone) or, there being none, over all efficient allocations (the prenucleolus).
    """

    shares: Mapping[str, float] = field(hash=False)
    levels: tuple[float, ...]
    imputations: bool


def nucleolus(game: CostGame) -> Nucleolus:
    """The nucleolus by the sequence of LPs the module docstring describes."""
    n = len(game.players)
    alone = np.array([game.costs[(p,)] for p in game.players])
    imputations = bool(alone.sum() >= game.grand - tolerance(game))
    if n == 1:
        return Nucleolus({game.players[0]: game.grand}, (), imputations)
    scale, _, rows, costs = _scaled(game)
    upper = alone / scale if imputations else None
    active = list(range(len(rows)))
    fixed: list[int] = []
    values: list[float] = []
    levels = []
    x = np.zeros(n)
    while active:
        res = _solve(rows[active], costs[active], fixed_rows=rows[fixed],
                     fixed_values=np.array(values), grand=game.grand / scale, upper=upper)
        t, x = float(res.x[-1]), res.x[:n]
        duals = -res.ineqlin.marginals
        tight = [k for k, d in zip(active, duals, strict=True) if d > DUAL_TOLERANCE]
        if not tight:  # cannot happen (the duals add up to 1); guard against solver noise
            tight = [active[int(np.argmax(duals))]]
        fixed += tight
        values += [costs[k] + t for k in tight]
        levels.append(t * scale)
        basis = np.vstack([np.ones(n), rows[fixed]])
        rank = _rank(basis)
        active = [k for k in active if k not in tight
                  and _rank(np.vstack([basis, rows[k]])) > rank]
    return Nucleolus({p: float(v) * scale for p, v in zip(game.players, x, strict=True)},
                     tuple(levels), imputations)


@dataclass(frozen=True)
class GameAnalysis:
    """A game with every rule's allocation, checked against the core, and its least core."""

    game: CostGame
    allocations: tuple[Allocation, ...]
    least_core_epsilon: float
    nucleolus_levels: tuple[float, ...] = ()
    nucleolus_over_imputations: bool = True

    @property
    def core_empty(self) -> bool:
        """Whether no allocation is stable: the least-core epsilon is positive."""
        return self.least_core_epsilon > tolerance(self.game)

    def allocation(self, rule: str) -> Allocation:
        for allocation in self.allocations:
            if allocation.rule == rule:
                return allocation
        raise ModelError(f"rule: unknown allocation rule {rule!r}; known: {', '.join(RULES)}")


def analyse(game: CostGame, parcels: Mapping[str, float]) -> GameAnalysis:
    """Every rule of :data:`RULES` on ``game`` (``parcels`` weighs the ``parcels`` rule), each
    checked against the core, with the least-core epsilon."""
    nucleus = nucleolus(game)
    shares = {"parcels": proportional(game, parcels),
              "standalone": proportional(game, game.standalone()),
              "shapley": shapley(game), "nucleolus": dict(nucleus.shares)}
    epsilon, _ = least_core(game)
    return GameAnalysis(game, tuple(stability(game, rule, shares[rule]) for rule in RULES),
                        epsilon, nucleus.levels, nucleus.imputations)
