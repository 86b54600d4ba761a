"""ASGD against torch.optim.ASGD: float64 trajectories (with the averaging on, t0 small), the
float32 ``eta`` and ``mu`` scalars, the averaged iterate ``ax``, state dicts, validation."""

import pickle

import numpy as np
import pytest
import torch

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params, to_numpy, train

CASES = {
    "default": dict(),  # t0 = 1e6: mu stays 1 and ax just copies the parameters
    "averaging": dict(lr=0.05, t0=10),
    "lambd_alpha": dict(lr=0.05, lambd=0.01, alpha=0.6, t0=20),
    "weight_decay": dict(lr=0.05, weight_decay=0.1, t0=5),
    "maximize_wd": dict(lr=0.05, weight_decay=0.05, maximize=True, t0=10),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_asgd_matches_torch(kwargs):
    # rtol 1e-10: an eta kept in float64 (torch rounds it to float32) would fail this
    assert_same_trajectory(lambda optim, p: optim.ASGD(p, **kwargs), rtol=1e-10)


def test_asgd_param_groups_match_torch():
    groups = [([0, 2], dict(lr=0.02, t0=5)), ([1], dict(lambd=0.1, alpha=0.5)), ([3, 4], dict())]
    assert_same_trajectory(lambda optim, g: optim.ASGD(g, lr=0.05, t0=15), groups=groups)


def config(optim, params):
    return optim.ASGD(params, lr=0.05, lambd=1e-3, t0=5, weight_decay=0.01)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_asgd_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "asgd", config)
    base.test_state_dict_layout_matches_torch("asgd", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_asgd_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


def test_averaged_iterate_and_scalars_match_torch():
    tg_params, ours = train(tg, config, 30)
    torch_params, theirs = train(torch, config, 30)
    for p, q in zip(tg_params, torch_params, strict=True):
        mine, expected = ours.state[p], theirs.state[q]
        assert list(mine) == ["step", "eta", "mu", "ax"] == list(expected)
        for key in ("step", "eta", "mu"):
            assert mine[key].dtype == tg.float32 and float(mine[key]) == float(expected[key])
        assert float(mine["mu"]) == float(np.float32(1 / (30 - 5)))  # 1 / (t - t0)
        np.testing.assert_allclose(mine["ax"].array, expected["ax"].numpy(), rtol=1e-10)
        assert not np.allclose(mine["ax"].array, p.array)  # a real average, not the iterate


def test_loads_a_torch_state_dict_mid_trajectory():
    tg_params, _ = train(tg, config, 8)
    torch_params, theirs = train(torch, config, 8)
    ours = config(tg.optim, tg_params)
    ours.load_state_dict(pickle.loads(pickle.dumps(theirs.state_dict())))
    assert ours.state[tg_params[0]]["eta"].dtype == tg.float32
    train(tg, None, 10, params=tg_params, opt=ours, start=8)
    train(torch, None, 10, params=torch_params, opt=theirs, start=8)
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Invalid learning rate"),
        (dict(lambd=-1e-4), "Invalid lambd value: -0.0001"),
        (dict(alpha=-0.75), "Invalid alpha value"),
        (dict(t0=-1.0), "Invalid t0 value"),
        (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ],
)
def test_asgd_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.ASGD(make_params(tg), **kwargs)


def test_asgd_positional_arguments_are_torchs():
    # torch's seventh positional argument is foreach, the eighth maximize (not keyword-only)
    opt = tg.optim.ASGD(make_params(tg), 0.01, 1e-4, 0.75, 1e6, 0, None, True)
    assert opt.defaults["foreach"] is None and opt.defaults["maximize"] is True
