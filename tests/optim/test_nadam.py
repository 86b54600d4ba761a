"""NAdam against torch.optim.NAdam: float64 trajectories (L2 and decoupled decay, the momentum
schedule), the float32 ``mu_product``, state dicts, validation."""

import pickle

import numpy as np
import pytest
import torch

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params, to_numpy, train

CASES = {
    "default": dict(),
    "lr_betas_eps": dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6),
    "momentum_decay": dict(lr=0.01, momentum_decay=0.05),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "decoupled_weight_decay": dict(lr=0.01, weight_decay=0.3, decoupled_weight_decay=True),
    "maximize_decoupled": dict(
        lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True
    ),
    "maximize_l2": dict(lr=0.01, weight_decay=0.05, maximize=True),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_nadam_matches_torch(kwargs):
    # rtol 1e-10: a mu_product kept in float64 (torch rounds it to float32) would fail this
    assert_same_trajectory(lambda optim, p: optim.NAdam(p, **kwargs), rtol=1e-10)


def test_nadam_param_groups_match_torch():
    groups = [
        ([0, 2], dict(lr=0.02, momentum_decay=0.01)),
        ([1], dict(weight_decay=0.1, decoupled_weight_decay=True)),
        ([3, 4], dict()),
    ]
    assert_same_trajectory(
        lambda optim, g: optim.NAdam(g, lr=0.01, weight_decay=0.01), groups=groups, rtol=1e-10
    )


def config(optim, params):
    return optim.NAdam(params, lr=0.01, weight_decay=0.01)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_nadam_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "nadam", config)
    base.test_state_dict_layout_matches_torch("nadam", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_nadam_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


def test_mu_product_is_torchs_float32_scalar():
    tg_params, ours = train(tg, config, 7)
    torch_params, theirs = train(torch, config, 7)
    for p, q in zip(tg_params, torch_params, strict=True):
        mine, expected = ours.state[p]["mu_product"], theirs.state[q]["mu_product"]
        assert mine.shape == () and mine.dtype == tg.float32
        assert float(mine) == float(expected)  # bit for bit


def test_loads_a_torch_state_dict_mid_trajectory():
    """Torch's float32 scalars load as ours; the run then goes on as torch's own does (torch
    itself casts the loaded mu_product to float64, hence rtol 1e-9 rather than bits)."""
    tg_params, _ = train(tg, config, 5)
    torch_params, theirs = train(torch, config, 5)
    ours = config(tg.optim, tg_params)
    ours.load_state_dict(pickle.loads(pickle.dumps(theirs.state_dict())))
    assert ours.state[tg_params[0]]["mu_product"].dtype == tg.float32
    train(tg, None, 10, params=tg_params, opt=ours, start=5)
    train(torch, None, 10, params=torch_params, opt=theirs, start=5)
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Invalid learning rate"),
        (dict(eps=-1.0), "Invalid epsilon value"),
        (dict(betas=(1.5, 0.999)), "Invalid beta parameter at index 0"),
        (dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
        (dict(weight_decay=-0.1), "Invalid weight_decay value"),
        (dict(momentum_decay=-4e-3), "Invalid momentum_decay value: -0.004"),
    ],
)
def test_nadam_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.NAdam(make_params(tg), **kwargs)
