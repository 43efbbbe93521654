"""The engines: anything that turns a :class:`~routing.core.model.Problem` into a plan.

* :mod:`~routing.solving.engines.base` — the extension point (:class:`Engine`) and its settings;
* :mod:`~routing.solving.engines.ortools` — the OR-Tools adapter, searching as
  :mod:`~routing.solving.engines.ortools_search` configures it (tuned on benchmark instances);
* :mod:`~routing.solving.engines.pyvrp` — the PyVRP adapter, with its integer scaling
  (:mod:`~routing.solving.engines.pyvrp_scaling`) and its repair of infeasible searches
  (:mod:`~routing.solving.engines.pyvrp_repair`);
* :mod:`~routing.solving.engines.ranking` — which of several plans is best, the one rule;
* :mod:`~routing.solving.engines.portfolio` — several configurations side by side, best plan kept;
* :mod:`~routing.solving.engines.auto` — PyVRP and a partner search on both cores, sharing
  their best plan (OR-Tools where PyVRP cannot model the problem).

Engines are found by name in :mod:`routing.solving.registry`.
"""

from __future__ import annotations

from routing.solving.engines.auto import AutoEngine
from routing.solving.engines.base import DROPPED_BY_ENGINE, Checkpoints, Engine, SolveSettings
from routing.solving.engines.ortools import OrToolsEngine
from routing.solving.engines.ortools_search import TUNED, OrToolsTuning
from routing.solving.engines.portfolio import OrToolsParallelEngine
from routing.solving.engines.pyvrp import PyVrpEngine, pyvrp_unsupported

__all__ = [
    "DROPPED_BY_ENGINE",
    "TUNED",
    "AutoEngine",
    "Checkpoints",
    "Engine",
    "OrToolsEngine",
    "OrToolsParallelEngine",
    "OrToolsTuning",
    "PyVrpEngine",
    "SolveSettings",
    "pyvrp_unsupported",
]
