"""RAdam against torch.optim.RAdam: float64 trajectories through both branches (the first steps
with rho_t <= 5 are plain momentum SGD), L2 and decoupled decay, state dicts, validation."""

import pytest

import tensorgrad as tg

from . import test_optimizer as base
from .trajectory import assert_same_trajectory, make_params

CASES = {
    "default": dict(),
    "lr_betas_eps": dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6),
    # beta2 = 0.5: rho_inf = 3, so rho_t never exceeds 5 and every step is the SGD branch
    "unrectified_only": dict(lr=0.01, betas=(0.9, 0.5)),
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "decoupled_weight_decay": dict(lr=0.01, weight_decay=0.3, decoupled_weight_decay=True),
    "maximize_decoupled": dict(
        lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True
    ),
    "maximize_l2": dict(lr=0.01, weight_decay=0.05, maximize=True),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_radam_matches_torch(kwargs):
    assert_same_trajectory(lambda optim, p: optim.RAdam(p, **kwargs), rtol=1e-10)


def test_radam_param_groups_match_torch():
    groups = [
        ([0, 2], dict(lr=0.02, betas=(0.9, 0.99))),
        ([1], dict(weight_decay=0.1, decoupled_weight_decay=True)),
        ([3, 4], dict()),
    ]
    assert_same_trajectory(
        lambda optim, g: optim.RAdam(g, lr=0.01, weight_decay=0.01), groups=groups, rtol=1e-10
    )


def config(optim, params):
    return optim.RAdam(params, lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)


@pytest.mark.parametrize("groups", [None, base.GROUPS], ids=["one_group", "two_groups"])
def test_radam_state_dict(monkeypatch, groups):
    monkeypatch.setitem(base.CONFIGS, "radam", config)
    base.test_state_dict_layout_matches_torch("radam", groups)
    base.test_resume_is_bit_identical(config, groups)


def test_radam_threaded_step_is_bit_identical(monkeypatch):
    base.test_threaded_step_is_bit_identical(monkeypatch, config, 7)


def test_first_steps_are_bias_corrected_sgd():
    # with the default betas rho_t <= 5 for t <= 5: the step is lr * m / (1 - beta1^t), and
    # from zero momentum the first one is exactly lr * grad
    p = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    opt = tg.optim.RAdam([p], lr=0.1)
    p.grad = tg.tensor([0.5, -3.0], dtype=tg.float64)
    opt.step()
    assert p.tolist() == pytest.approx([0.95, -1.7], rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "Invalid learning rate"),
        (dict(eps=-1.0), "Invalid epsilon value"),
        (dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0"),
        (dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
        (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    ],
)
def test_radam_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.RAdam(make_params(tg), **kwargs)
