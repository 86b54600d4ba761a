import pytest

from .trajectory import assert_same_trajectory

CASES = {
    "plain": dict(lr=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "momentum_dampening_wd": dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "maximize": dict(lr=0.01, momentum=0.5, maximize=True),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_sgd_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, params: optim.SGD(params, **kwargs))


def test_sgd_param_groups_match_torch():
    groups = [([0, 1], dict(lr=0.02)), ([2, 3, 4], dict(lr=0.1, momentum=0.5))]
    assert_same_trajectory(lambda optim, g: optim.SGD(g, lr=0.05, momentum=0.9), groups=groups)


def test_sgd_default_lr():
    assert_same_trajectory(lambda optim, params: optim.SGD(params, momentum=0.9))
