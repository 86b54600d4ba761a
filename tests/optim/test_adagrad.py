import pytest

from .trajectory import assert_same_trajectory

CASES = {
    "default": dict(),
    "lr_decay_initial_accumulator": dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3),
    "weight_decay_eps": dict(lr=0.05, weight_decay=0.1, eps=1e-6),
    "maximize": dict(lr=0.05, maximize=True, initial_accumulator_value=0.1),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_adagrad_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, params: optim.Adagrad(params, **kwargs))


def test_adagrad_param_groups_match_torch():
    groups = [([0, 1], dict(lr=0.2, lr_decay=0.1)), ([2, 3, 4], dict(initial_accumulator_value=1))]
    assert_same_trajectory(lambda optim, g: optim.Adagrad(g, lr=0.05), groups=groups)
