"""The one engine registry: every engine by the name ``--engine``, scenarios and sweeps use."""

from __future__ import annotations

from routing.core import ModelError
from routing.solving.engines.auto import AutoEngine
from routing.solving.engines.base import Engine
from routing.solving.engines.ortools import OrToolsEngine
from routing.solving.engines.pyvrp import PyVrpEngine

#: Engines by name: ``ortools``, ``pyvrp`` and ``auto``.
ENGINES: dict[str, type[Engine]] = {"ortools": OrToolsEngine, "pyvrp": PyVrpEngine,
                                    "auto": AutoEngine}


def make_engine(name: str) -> Engine:
    """The engine registered under ``name``."""
    if name not in ENGINES:
        raise ModelError(f"engine: unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    engine: Engine = ENGINES[name]()
    return engine
