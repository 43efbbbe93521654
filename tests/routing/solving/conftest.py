"""Fixtures for routing tests."""

from __future__ import annotations

import pytest

from routing.core import Problem
from tests.routing.solving.problems import line_problem


@pytest.fixture
def three_stops() -> Problem:
    """Stops a, b, c at 1, 2 and 3 km east of the depot; one van can serve them all (6 km)."""
    return line_problem({"a": 1000, "b": 2000, "c": 3000})
