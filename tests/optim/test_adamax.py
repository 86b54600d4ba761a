"""Adamax against torch.optim.Adamax: float64 trajectories, state dicts, validation."""

import pytest

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params

CASES = {
    "default": dict(),
    "lr_betas_eps": dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "maximize_wd": dict(lr=0.01, weight_decay=0.05, maximize=True),
    "beta1_zero": dict(lr=0.01, betas=(0.0, 0.9)),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_adamax_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, p: optim.Adamax(p, **kwargs), rtol=1e-10)


def test_adamax_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.03)), ([1], dict(betas=(0.5, 0.9))), ([3, 4], dict())]
    assert_same_trajectory(
        lambda optim, g: optim.Adamax(g, lr=0.01, weight_decay=0.01), groups=groups, rtol=1e-10
    )


def config(optim, params):
    return optim.Adamax(params, lr=0.02, weight_decay=0.01)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_adamax_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "adamax", config)
    base.test_state_dict_layout_matches_torch("adamax", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_adamax_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Invalid learning rate"),
        (dict(eps=-1.0), "Invalid epsilon value"),
        (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (dict(betas=(0.9,)), "betas must be a pair"),
        (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ],
)
def test_adamax_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.Adamax(make_params(tg), **kwargs)
