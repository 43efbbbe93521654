"""The OR-Tools engine's search configuration: parsed and checked at construction."""

from __future__ import annotations

import pytest

from routing.core import ModelError
from routing.solving import SolveSettings
from routing.solving.engines.ortools_search import TUNED, OrToolsTuning, parameters


def test_settings_and_tuning_both_reach_the_search_parameters() -> None:
    tuning = OrToolsTuning(search="guided_local_search_lambda_coefficient: 0.25\n"
                                  "local_search_operators { use_cross_exchange: BOOL_TRUE }")
    params = parameters(SolveSettings(time_limit_s=7, first_solution="PATH_CHEAPEST_ARC",
                                      solution_limit=40), tuning)
    assert params.guided_local_search_lambda_coefficient == pytest.approx(0.25)
    assert params.local_search_operators.use_cross_exchange == 3  # BOOL_TRUE
    assert params.time_limit.seconds == 7
    assert params.solution_limit == 40
    assert params.first_solution_strategy == 3  # PATH_CHEAPEST_ARC


def test_the_settings_win_over_the_tuning_for_what_they_name() -> None:
    tuning = OrToolsTuning(search="first_solution_strategy: CHRISTOFIDES")
    params = parameters(SolveSettings(first_solution="SAVINGS"), tuning)
    assert params.first_solution_strategy == 10  # SAVINGS


@pytest.mark.parametrize(("text", "named"), [
    ("no_such_field: 1", "no_such_field"),
    ("guided_local_search_lambda_coefficient: fast", "guided_local_search_lambda_coefficient"),
])
def test_a_bad_configuration_fails_when_built_naming_the_field(text: str, named: str) -> None:
    with pytest.raises(ModelError, match=f"^ortools search: .*{named}"):
        OrToolsTuning(search=text)


def test_the_tuned_configuration_is_the_one_chosen_on_the_train_split() -> None:
    params = parameters(SolveSettings(), TUNED)
    assert params.heuristic_close_nodes_lns_num_nodes == 15
    operators = params.local_search_operators
    assert operators.use_global_cheapest_insertion_close_nodes_lns == 3  # BOOL_TRUE
    assert operators.use_local_cheapest_insertion_close_nodes_lns == 3
