"""Adadelta against torch.optim.Adadelta: float64 trajectories, state dicts, validation."""

import pytest

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params

CASES = {
    "default": dict(),
    "lr_rho_eps": dict(lr=0.5, rho=0.8, eps=1e-5),
    "weight_decay": dict(lr=0.7, weight_decay=0.1),
    "maximize_wd": dict(lr=0.5, weight_decay=0.05, maximize=True),
    "rho_one": dict(rho=1.0),  # the averages never move: a constant sqrt(eps / eps) step
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_adadelta_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, p: optim.Adadelta(p, **kwargs), rtol=1e-10)


def test_adadelta_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.3, rho=0.7)), ([1], dict(weight_decay=0.1)), ([3, 4], dict())]
    assert_same_trajectory(lambda optim, g: optim.Adadelta(g, lr=0.8), groups=groups, rtol=1e-10)


def config(optim, params):
    return optim.Adadelta(params, lr=0.7, weight_decay=0.01)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_adadelta_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "adadelta", config)
    base.test_state_dict_layout_matches_torch("adadelta", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_adadelta_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1.0), "Invalid learning rate: -1.0"),
        (dict(rho=-0.1), "Invalid rho value: -0.1"),
        (dict(rho=1.5), r"Invalid rho value: 1.5 \(must be in \[0.0, 1.0\]\)"),
        (dict(eps=-1e-6), "Invalid epsilon value"),
        (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ],
)
def test_adadelta_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.Adadelta(make_params(tg), **kwargs)
