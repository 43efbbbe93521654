"""Wall-clock timings of the named steps of a solve, reported to a hook as they start and end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: Called with a step name when it starts and again with its duration when it ends.
StepHook = Callable[[str, float | None], None]


@dataclass
class Timings:
    """Wall-clock seconds per named step, in the order the steps ran."""

    seconds: dict[str, float] = field(default_factory=dict)
    hook: StepHook | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.hook:
            self.hook(name, None)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            if self.hook:
                self.hook(name, elapsed)
