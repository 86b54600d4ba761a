"""Adafactor against torch.optim.Adafactor: float64 trajectories (matrices factored, vectors and
scalars not), a batch of matrices, float32, state dicts, validation."""

import numpy as np
import pytest
import torch

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params

CASES = {
    "default": dict(),
    "lr_weight_decay": dict(lr=0.05, weight_decay=0.1),
    "maximize": dict(lr=0.02, maximize=True),
    "eps_d_beta2": dict(eps=(1e-20, 1e-2), d=2.0, beta2_decay=-0.5),
    "no_relative_floor": dict(lr=0.03, eps=(1e-30, 0.0)),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_adafactor_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, p: optim.Adafactor(p, **kwargs), rtol=1e-10)


def test_adafactor_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.03)), ([1], dict(weight_decay=0.2)), ([3, 4], dict(d=1.5))]
    assert_same_trajectory(lambda optim, g: optim.Adafactor(g, lr=0.01), groups=groups, rtol=1e-10)


def config(optim, params):
    return optim.Adafactor(params, lr=0.02, weight_decay=0.01)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_adafactor_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "adafactor", config)
    base.test_state_dict_layout_matches_torch("adafactor", groups)
    base.test_resume_is_bit_identical(config, groups)


def _run(lib, w0, grads, **kwargs):
    w = lib.tensor(w0, requires_grad=True)
    opt = (tg.optim if lib is tg else torch.optim).Adafactor([w], **kwargs)
    for g in grads:
        w.grad = lib.tensor(g)
        opt.step()
    return w.detach().numpy(), {k: np.asarray(v) for k, v in opt.state[w].items()}


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", [(2, 3, 4), (5, 1), (1, 6), (7,)])
def test_adafactor_batched_and_degenerate_shapes_match_torch(shape, dtype, rtol):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(6)]
    ours, our_state = _run(tg, w0, grads, lr=0.05)
    theirs, their_state = _run(torch, w0, grads, lr=0.05)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
    assert list(our_state) == list(their_state)
    for key, value in their_state.items():
        assert our_state[key].shape == value.shape and our_state[key].dtype == value.dtype
        np.testing.assert_allclose(our_state[key], value, rtol=rtol, atol=1e-30)


def test_adafactor_factored_state_is_small():
    w = tg.zeros(300, 200, requires_grad=True)
    opt = tg.optim.Adafactor([w])
    w.grad = tg.ones(300, 200)
    opt.step()
    state = opt.state[w]
    assert list(state) == ["step", "row_var", "col_var"]
    assert state["row_var"].shape == (300, 1) and state["col_var"].shape == (1, 200)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Learning rate should be >= 0"),
        (dict(beta2_decay=0.5), "beta2_decay should be <= 0"),
        (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0"),
        (dict(eps=(None, -1e-3)), "epsilon2 should be >= 0"),
        (dict(d=0.5), "Clipping threshold d should be >= 1"),
        (dict(weight_decay=-0.1), "weight_decay should be >= 0"),
    ],
)
def test_adafactor_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.Adafactor(make_params(tg), **kwargs)
