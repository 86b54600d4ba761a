"""Rprop against torch.optim.Rprop: float64 trajectories, state dicts, sign rules, validation."""

import numpy as np
import pytest
import torch

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params

CASES = {
    "default": dict(),
    "lr_etas_step_sizes": dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2)),
    "maximize": dict(lr=0.02, maximize=True),
    "tight_clamp": dict(lr=0.1, step_sizes=(0.01, 0.05)),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_rprop_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, p: optim.Rprop(p, **kwargs), rtol=1e-10)


def test_rprop_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.03)), ([1], dict(etas=(0.4, 1.1))), ([3, 4], dict())]
    assert_same_trajectory(lambda optim, g: optim.Rprop(g, lr=0.01), groups=groups, rtol=1e-10)


def config(optim, params):
    return optim.Rprop(params, lr=0.02, etas=(0.4, 1.3))


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_rprop_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "rprop", config)
    base.test_state_dict_layout_matches_torch("rprop", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_rprop_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


def test_rprop_sign_rules_by_hand():
    """Same sign: the step grows by eta+; a flip: it shrinks by eta-, and that coordinate does
    not move (its stored gradient becomes 0, so the next step counts as 'no sign')."""
    w = tg.tensor([0.0, 0.0, 0.0], dtype=tg.float64, requires_grad=True)
    opt = tg.optim.Rprop([w], lr=0.1, etas=(0.5, 2.0))
    moves = []
    for g in ([1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [1.0, -1.0, -1.0]):
        before = w.detach().numpy().copy()
        w.grad = tg.tensor(g, dtype=tg.float64)
        opt.step()
        moves.append(w.detach().numpy() - before)
    np.testing.assert_allclose(moves[0], [-0.1, -0.1, 0.0])  # first step: size lr
    np.testing.assert_allclose(moves[1], [-0.2, 0.0, 0.0])  # grown; flipped: no move
    np.testing.assert_allclose(moves[2], [-0.4, 0.05, 0.1])  # after a flip the factor is 1
    np.testing.assert_allclose(opt.state[w]["step_size"].numpy(), [0.4, 0.05, 0.1])
    assert float(opt.state[w]["step"]) == 3.0


def test_rprop_float32_matches_torch():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    w, tw = tg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, topt = tg.optim.Rprop([w], lr=0.01), torch.optim.Rprop([tw], lr=0.01)
    for _ in range(8):
        g = rng.standard_normal((4, 3)).astype(np.float32)
        w.grad, tw.grad = tg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    assert opt.state[w]["step_size"].dtype == tg.float32
    np.testing.assert_array_equal(w.detach().numpy(), tw.detach().numpy())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Invalid learning rate"),
        (dict(etas=(1.0, 1.2)), "Invalid eta values: 1.0, 1.2"),
        (dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
        (dict(step_sizes=(1.0, 0.1)), "Invalid step_sizes"),
    ],
)
def test_rprop_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.Rprop(make_params(tg), **kwargs)
