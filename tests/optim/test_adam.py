import pytest

from .trajectory import assert_same_trajectory

ADAM_CASES = {
    "default": dict(),
    "lr_betas_eps": dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6),
    "amsgrad": dict(lr=0.02, amsgrad=True),
    "weight_decay": dict(lr=0.02, weight_decay=0.1),
    "amsgrad_wd_maximize": dict(lr=0.02, weight_decay=0.05, amsgrad=True, maximize=True),
    "beta1_zero": dict(lr=0.01, betas=(0.0, 0.9)),
}


@pytest.mark.parametrize("kwargs", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, params: optim.Adam(params, **kwargs))


ADAMW_CASES = {
    "default": dict(),
    "strong_decay": dict(lr=0.02, weight_decay=0.5),
    "amsgrad_maximize": dict(lr=0.02, amsgrad=True, maximize=True),
}


@pytest.mark.parametrize("kwargs", ADAMW_CASES.values(), ids=ADAMW_CASES.keys())
def test_adamw_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, params: optim.AdamW(params, **kwargs))


def test_adam_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.03)), ([1], dict(lr=0.001, amsgrad=True)), ([3, 4], dict())]
    assert_same_trajectory(
        lambda optim, g: optim.Adam(g, lr=0.01, weight_decay=0.01), groups=groups
    )
    assert_same_trajectory(lambda optim, g: optim.AdamW(g, lr=0.01), groups=groups)
