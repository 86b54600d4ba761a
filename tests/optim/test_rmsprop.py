import pytest

from .trajectory import assert_same_trajectory

CASES = {
    "default": dict(),
    "alpha_eps": dict(lr=0.005, alpha=0.9, eps=1e-6),
    "momentum": dict(lr=0.005, momentum=0.9),
    "centered": dict(lr=0.005, centered=True),
    "centered_momentum_wd": dict(lr=0.005, centered=True, momentum=0.8, weight_decay=0.05),
    "maximize": dict(lr=0.005, momentum=0.5, maximize=True),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_rmsprop_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, params: optim.RMSprop(params, **kwargs))


def test_rmsprop_param_groups_match_torch():
    groups = [([0, 1, 2], dict(lr=0.002, centered=True)), ([3, 4], dict(momentum=0.9))]
    assert_same_trajectory(lambda optim, g: optim.RMSprop(g, lr=0.01), groups=groups)
