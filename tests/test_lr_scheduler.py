"""tensorgrad.lr_scheduler against torch.optim.lr_scheduler: lr sequences step for step, momentum
cycling, ReduceLROnPlateau on hand-made metrics, WarmupCosineLR's closed form, and resuming."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import tensorgrad as tg
import tensorgrad.lr_scheduler as tsched
from tensorgrad import optim as toptim

LRS = (0.1, 0.03)  # two param groups with different lrs
RTOL = 1e-12


def _arrays():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 2)), rng.standard_normal(4)]


def _make_opt(lib, arrays, opt="sgd", opt_kwargs=None):
    """An optimizer of ``lib`` (tensorgrad or torch) over two params, one group each."""
    params = [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True) for a in arrays]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS)]
    optim = toptim if lib is tg else torch.optim
    cls = {"sgd": optim.SGD, "adam": optim.Adam}[opt]
    kwargs = {"lr": 0.5, **(opt_kwargs or {})}
    return cls(groups, **kwargs), params


def _sched_cls(lib, name):
    return getattr(tsched if lib is tg else torch.optim.lr_scheduler, name)


# schedulers that drive other schedulers, built the same way in both libraries
COMPOSITES = {
    "warmup_cosine": lambda s, o: s.SequentialLR(
        o,
        [s.LinearLR(o, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(o, T_max=20)],
        milestones=[5],
    ),
    "constant_then_exponential": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.1, total_iters=8), s.ExponentialLR(o, gamma=0.9)], [8]
    ),
    "three_phases": lambda s, o: s.SequentialLR(
        o,
        [
            s.LinearLR(o, start_factor=0.5, total_iters=3),
            s.StepLR(o, step_size=2, gamma=0.5),
            s.PolynomialLR(o, total_iters=6, power=2.0),
        ],
        milestones=[3, 9],
    ),  # fmt: skip
    "chained": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=6), s.ExponentialLR(o, gamma=0.9)]
    ),
    "chained_with_optimizer": lambda s, o: s.ChainedScheduler(
        [s.LinearLR(o, start_factor=0.2, total_iters=4), s.StepLR(o, step_size=3)], optimizer=o
    ),
    "sequential_of_chained": lambda s, o: s.SequentialLR(
        o,
        [
            s.ChainedScheduler(
                [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.8)]
            ),
            s.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        ],
        milestones=[6],
    ),  # fmt: skip
}


def _make_sched(lib, name, opt, kwargs):
    if name in COMPOSITES:
        return COMPOSITES[name](tsched if lib is tg else torch.optim.lr_scheduler, opt)
    return _sched_cls(lib, name)(opt, **kwargs)


def _loss_backward(lib, params):
    loss = sum(((p.sin() * p).sum() + (p * p).sum() * 0.1) for p in params)
    loss.backward()


def _lr_trace(lib, name, kwargs, steps, opt="sgd", opt_kwargs=None, train=False):
    """Build optimizer + scheduler, then ``steps`` times: (train step,) optimizer.step(),
    scheduler.step(). Records group lrs, get_last_lr() and momentum at construction and after
    each step."""
    opt_, params = _make_opt(lib, _arrays(), opt, opt_kwargs)
    sched = _make_sched(lib, name, opt_, kwargs)
    lrs, last, moms = [], [], []

    def record():
        lrs.append([g["lr"] for g in opt_.param_groups])
        last.append(list(sched.get_last_lr()))
        moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt_.param_groups])

    record()
    for _ in range(steps):
        if train:
            opt_.zero_grad()
            _loss_backward(lib, params)
        opt_.step()
        sched.step()
        record()
    values = [p.detach().numpy().copy() for p in params]
    return np.array(lrs), np.array(last), np.array(moms), values


def _assert_same(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=RTOL, atol=0)


# (scheduler, kwargs, number of steps: >= 3 periods where the schedule has one)
CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5), 12),
    ("StepLR", dict(step_size=1, gamma=0.9), 10),
    ("StepLR", dict(step_size=5, gamma=1.5), 20),
    ("StepLR", dict(step_size=1.0, gamma=0.1), 6),  # PyTorch's text classification tutorial
    ("CosineAnnealingLR", dict(T_max=4.0), 12),
    ("LinearLR", dict(total_iters=4.0), 8),
    ("ConstantLR", dict(total_iters=3.0), 6),
    ("PolynomialLR", dict(total_iters=4.0), 8),
    ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=0.5), 30),
    ("MultiStepLR", dict(milestones=[3, 3, 7]), 25),
    ("ExponentialLR", dict(gamma=0.9), 30),
    ("ExponentialLR", dict(gamma=0.5), 15),
    ("CosineAnnealingLR", dict(T_max=10), 40),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), 30),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01), 6),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e), 30),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: e // 3 + 1]), 15),
    ("LinearLR", dict(), 20),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=8), 30),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=4), 15),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30), 30),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=25, anneal_strategy="linear"), 25),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=40, three_phase=True, pct_start=0.25), 40),
    (
        "OneCycleLR",
        dict(max_lr=0.3, epochs=4, steps_per_epoch=5, div_factor=10.0, final_div_factor=100.0),
        20,
    ),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=12, cycle_momentum=False), 12),
    ("ConstantLR", dict(), 10),
    ("ConstantLR", dict(factor=0.5, total_iters=3), 10),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95), 20),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9, lambda e: 1 + 0.01 * e]), 15),
    ("PolynomialLR", dict(), 10),
    ("PolynomialLR", dict(total_iters=8, power=0.9), 15),
    ("PolynomialLR", dict(total_iters=6, power=2.0), 10),
    ("CosineAnnealingWarmRestarts", dict(T_0=5), 30),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), 50),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), 30),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
        40,
    ),  # fmt: skip
    (
        "CyclicLR",
        dict(
            base_lr=[0.01, 0.002],
            max_lr=[0.1, 0.05],
            step_size_up=4,
            mode="exp_range",
            gamma=0.9,
            base_momentum=0.7,
            max_momentum=0.95,
        ),
        30,
    ),  # fmt: skip
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 0.5**x), 20),
    (
        "CyclicLR",
        dict(
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=3,
            step_size_down=0,
            scale_fn=lambda t: 1 / (1 + t),
            scale_mode="iterations",
        ),
        20,
    ),  # fmt: skip
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False), 12),
    *[(name, {}, 30) for name in COMPOSITES],
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("name,kwargs,steps", CASES, ids=IDS)
def test_lr_sequence_matches_torch(name, kwargs, steps, opt):
    opt_kwargs = {"momentum": 0.9} if opt == "sgd" else {}
    t_lrs, t_last, t_mom, _ = _lr_trace(tg, name, kwargs, steps, opt, opt_kwargs)
    r_lrs, r_last, r_mom, _ = _lr_trace(torch, name, kwargs, steps, opt, opt_kwargs)
    _assert_same(t_lrs, r_lrs)
    _assert_same(t_last, r_last)
    _assert_same(t_lrs, t_last)
    # OneCycleLR cycles SGD's momentum or Adam's beta1; the others leave them alone
    _assert_same(t_mom, r_mom)
    assert len(t_lrs) == steps + 1 and t_lrs.shape[1] == 2


def test_cosine_annealing_past_t_max_climbs_back():
    lrs, *_ = _lr_trace(tg, "CosineAnnealingLR", dict(T_max=5, eta_min=0.01), 20)
    base = np.array(LRS)
    _assert_same(lrs[5], [0.01, 0.01])
    np.testing.assert_allclose(lrs[10], base, rtol=1e-12)  # back at base after 2 T_max
    np.testing.assert_allclose(lrs[15], [0.01, 0.01], rtol=1e-12)


def test_training_with_scheduler_matches_torch():
    """Parameters too: the scheduled lrs feed the optimizers' updates."""
    for name, kwargs, opt, opt_kwargs in [
        ("OneCycleLR", dict(max_lr=0.2, total_steps=20), "adam", {}),
        ("CosineAnnealingLR", dict(T_max=6), "sgd", {"momentum": 0.9, "nesterov": True}),
    ]:
        t = _lr_trace(tg, name, kwargs, 20, opt, opt_kwargs, train=True)
        r = _lr_trace(torch, name, kwargs, 20, opt, opt_kwargs, train=True)
        _assert_same(t[0], r[0])
        for a, b in zip(t[3], r[3]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_onecycle_past_total_steps_raises():
    opt, _ = _make_opt(tg, _arrays())
    sched = tsched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total steps is 3"):
        sched.step()


def test_onecycle_needs_momentum():
    class Plain:
        defaults = {"lr": 0.1}
        param_groups = [{"lr": 0.1}]

    with pytest.raises(ValueError, match="momentum or beta1"):
        tsched.OneCycleLR(Plain(), max_lr=0.1, total_steps=10)
    tsched.OneCycleLR(Plain(), max_lr=0.1, total_steps=10, cycle_momentum=False)


# ------------------------------------------------------------------------ deprecated step(epoch)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("StepLR", dict(step_size=3, gamma=0.5)),
        ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=0.5)),
        ("ExponentialLR", dict(gamma=0.9)),
        ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
        ("LinearLR", dict(start_factor=0.25, total_iters=4)),
        ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1))),
        ("ConstantLR", dict(factor=0.5, total_iters=4)),
        ("PolynomialLR", dict(total_iters=10, power=0.5)),
        ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),  # no closed form: get_lr
    ],
)
def test_step_with_epoch_uses_closed_form_like_torch(name, kwargs):
    out = []
    for lib in (tg, torch):
        opt, _ = _make_opt(lib, _arrays())
        sched = _sched_cls(lib, name)(opt, **kwargs)
        seq = []
        for epoch in (3, 4, 9, 2, 11, 12):
            opt.step()
            with pytest.warns(UserWarning, match="deprecated"):
                sched.step(epoch)
            seq.append(sched.get_last_lr())
        out.append(seq)
    _assert_same(*out)


# ------------------------------------------------------------------------ resuming


def test_resume_with_last_epoch_matches_torch():
    for name, kwargs in [
        ("ExponentialLR", dict(gamma=0.8)),
        ("CosineAnnealingLR", dict(T_max=8)),
        ("StepLR", dict(step_size=2)),
        ("LinearLR", dict(total_iters=6)),
        ("ConstantLR", dict(total_iters=8)),
        ("PolynomialLR", dict(total_iters=12, power=0.7)),
        ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
        ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2)),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ]:
        out = []
        for lib in (tg, torch):
            opt, _ = _make_opt(lib, _arrays())
            for g in opt.param_groups:
                g["initial_lr"] = g["lr"] * 2
            sched = _sched_cls(lib, name)(opt, last_epoch=4, **kwargs)
            seq = [sched.get_last_lr()]
            for _ in range(10):
                opt.step()
                sched.step()
                seq.append(sched.get_last_lr())
            out.append(seq)
            assert sched.last_epoch == 15
        _assert_same(*out)


def test_resume_without_initial_lr_raises():
    opt, _ = _make_opt(tg, _arrays())
    with pytest.raises(KeyError, match="initial_lr"):
        tsched.StepLR(opt, step_size=2, last_epoch=3)


class _Warmup:
    """A picklable callable lr_lambda with state (its ``__dict__`` is saved by LambdaLR)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, e):
        return min(1.0, (e + 1) / self.n)


class _Halving:
    """A picklable callable scale_fn with state (its ``__dict__`` is saved by CyclicLR)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, cycle):
        return self.base**cycle


RESUME_CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 10, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.9**e)),
    ("LambdaLR", dict(lr_lambda=[_Warmup(5), _Warmup(8)])),
    ("LinearLR", dict(start_factor=0.2, total_iters=15)),
    ("OneCycleLR", dict(max_lr=0.4, total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.4, total_steps=30, three_phase=True, anneal_strategy="linear")),
    ("WarmupCosineLR", dict(warmup_epochs=5, max_epochs=25, warmup_start_lr=0.001)),
    ("ConstantLR", dict(factor=0.25, total_iters=15)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.97)),
    ("PolynomialLR", dict(total_iters=20, power=1.5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=_Halving(0.7))),
    *[(name, {}) for name in COMPOSITES],
]


@pytest.mark.parametrize("opt,opt_kwargs", [("sgd", {"momentum": 0.9}), ("adam", {})])
@pytest.mark.parametrize(
    "name,kwargs", RESUME_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RESUME_CASES)]
)
def test_resume_is_bit_identical(name, kwargs, opt, opt_kwargs):
    """30 steps straight vs 12 steps, state dicts through pickle, a fresh optimizer and scheduler,
    load_state_dict, 18 more steps: the same lrs, momenta and parameters, bit for bit."""

    def make(opt_):
        return _make_sched(tg, name, opt_, kwargs)

    def train(opt_, params, sched, n, trace):
        for _ in range(n):
            opt_.zero_grad()
            _loss_backward(tg, params)
            opt_.step()
            sched.step()
            groups = opt_.param_groups
            trace.append(
                [g["lr"] for g in groups]
                + [g["betas"][0] if "betas" in g else g["momentum"] for g in groups]
                + list(sched.get_last_lr())
            )

    opt_, params = _make_opt(tg, _arrays(), opt, opt_kwargs)
    sched = make(opt_)
    straight = []
    train(opt_, params, sched, 30, straight)

    opt_, params = _make_opt(tg, _arrays(), opt, opt_kwargs)
    sched = make(opt_)
    resumed = []
    train(opt_, params, sched, 12, resumed)
    checkpoint = pickle.loads(
        pickle.dumps(
            {
                "params": [p.detach().numpy().copy() for p in params],
                "opt": opt_.state_dict(),
                "sched": sched.state_dict(),
            }
        )
    )
    train(opt_, params, sched, 3, [])  # the old run goes on: must not leak into the checkpoint

    opt2, params2 = _make_opt(tg, checkpoint["params"], opt, opt_kwargs)
    sched2 = make(opt2)  # construct first: it rewrites the groups' lrs ...
    opt2.load_state_dict(checkpoint["opt"])  # ... which the optimizer's state restores
    sched2.load_state_dict(checkpoint["sched"])
    assert getattr(sched2, "last_epoch", 12) == 12  # (ChainedScheduler has none)
    train(opt2, params2, sched2, 18, resumed)

    assert resumed == straight  # exact equality of floats
    straight_params = [p.detach().numpy() for p in _final_params(make, opt, opt_kwargs)]
    for a, b in zip(straight_params, params2):
        assert np.array_equal(a, b.detach().numpy())


def _final_params(make, opt, opt_kwargs):
    opt_, params = _make_opt(tg, _arrays(), opt, opt_kwargs)
    sched = make(opt_)
    for _ in range(30):
        opt_.zero_grad()
        _loss_backward(tg, params)
        opt_.step()
        sched.step()
    return params


def test_lambda_state_dict_skips_plain_functions_keeps_callable_state():
    opt, _ = _make_opt(tg, _arrays())
    warm = _Warmup(4)
    sched = tsched.LambdaLR(opt, lr_lambda=[lambda e: 1.0, warm])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"n": 4}]
    assert "optimizer" not in state
    warm.n = 100
    sched.load_state_dict(state)
    assert warm.n == 4
    assert "lr_lambdas" in state  # loading does not consume the dict


def test_state_dict_keys_match_torch():
    for name, kwargs in [
        ("StepLR", dict(step_size=3)),
        ("CosineAnnealingLR", dict(T_max=3)),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10)),
        ("ReduceLROnPlateau", dict()),
        ("ConstantLR", dict()),
        ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
        ("PolynomialLR", dict()),
        ("CosineAnnealingWarmRestarts", dict(T_0=3)),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1)),
    ]:
        keys = []
        for lib in (tg, torch):
            opt, _ = _make_opt(lib, _arrays())
            keys.append(set(_sched_cls(lib, name)(opt, **kwargs).state_dict()))
        assert {"last_epoch", "_last_lr"} <= keys[0]
        if name != "ReduceLROnPlateau":
            assert {"base_lrs", "_step_count"} <= keys[0]
        assert keys[0] <= keys[1] | {"_anneal_func_type", "_schedule_phases"}, name


# ------------------------------------------------------------------------ ReduceLROnPlateau


def _plateau(lib, metrics, **kwargs):
    opt, _ = _make_opt(lib, _arrays())
    sched = _sched_cls(lib, "ReduceLROnPlateau")(opt, **kwargs)
    seq = [[g["lr"] for g in opt.param_groups]]
    for m in metrics:
        opt.step()
        sched.step(m)
        seq.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == seq[-1]
    return np.array(seq)


def test_plateau_hand_computed():
    # patience 2: the 3rd consecutive epoch without improvement (by more than 0.1, abs)
    # reduces; cooldown 2: the next two epochs count no bad epochs.
    # without the cooldown, epochs 5-7 would be bad epochs 1-3 and reduce at epoch 7
    metrics = [1.0, 0.95, 0.93, 0.92, 0.91, 0.9, 0.905, 0.95, 0.5, 0.5, 0.5, 0.5]
    got = _plateau(tg, metrics, patience=2, factor=0.5, threshold=0.1, threshold_mode="abs",
                   cooldown=2)  # fmt: skip
    halvings = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    expected = np.array([[lr * 0.5**h for lr in LRS] for h in halvings])
    _assert_same(got, expected)


@pytest.mark.parametrize(
    "metrics,kwargs",
    [
        ([1.0, 0.75, 0.75, 0.5], dict(threshold=0.25, threshold_mode="abs")),
        ([1.0, 0.5, 0.5, 0.25], dict(threshold=0.5)),
        ([2.0, 3.0, 3.0, 4.0], dict(mode="max", threshold=0.5)),
        ([1.0, 1.25, 1.25, 2.0], dict(mode="max", threshold=0.25, threshold_mode="abs")),
    ],
)
def test_plateau_threshold_boundary_is_not_an_improvement(metrics, kwargs):
    # metrics[1] equals the dynamic threshold exactly: not better (strict comparison)
    got = _plateau(tg, metrics, patience=1, factor=0.5, **kwargs)
    expected = np.array([[lr * 0.5**h for lr in LRS] for h in [0, 0, 0, 1, 1]])
    _assert_same(got, expected)
    _assert_same(got, _plateau(torch, metrics, patience=1, factor=0.5, **kwargs))


PLATEAU_CASES = [
    dict(patience=2, factor=0.5, cooldown=2, threshold=1e-3),
    dict(patience=0, factor=0.5),
    dict(patience=1, factor=0.3, threshold=0.5, threshold_mode="abs", min_lr=[0.01, 0.001]),
    dict(mode="max", patience=2, factor=0.5, threshold=0.05),
    dict(mode="max", patience=1, threshold=0.2, threshold_mode="abs", cooldown=1, min_lr=0.002),
    dict(patience=1, factor=0.9, min_lr=0.0295, eps=1e-3),  # eps: a change <= eps is skipped
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES)
def test_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(1)
    noise = rng.uniform(-0.3, 0.3, 60)
    metrics = np.concatenate([np.linspace(10, 5, 10), np.full(15, 5.0), np.linspace(5, 8, 10)])
    metrics = np.concatenate([metrics, 5 + noise[:25]]).tolist()
    metrics[12] = 4.9999  # rel improvement below threshold 1e-3
    metrics[14] = 4.99  # above it
    got = _plateau(tg, metrics, **kwargs)
    want = _plateau(torch, metrics, **kwargs)
    _assert_same(got, want)
    assert (np.diff(got, axis=0) != 0).any()  # the sequence exercises at least one reduction


def test_plateau_accepts_tensor_metric_and_resumes():
    opt, _ = _make_opt(tg, _arrays())
    sched = tsched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in (1.0, 1.0, 1.0):
        sched.step(tg.tensor(m))
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    opt2, _ = _make_opt(tg, _arrays())
    sched2 = tsched.ReduceLROnPlateau(opt2, mode="max")
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    for m in (1.0, 1.0, 1.0, 0.5, 0.6, 0.7):
        sched.step(m)
        sched2.step(m)
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert sched2.num_bad_epochs == sched.num_bad_epochs
    assert sched2.mode == "min" and sched2.mode_worse == math.inf


# ------------------------------------------------------------------------ WarmupCosineLR


def _warmup_cosine(base, e, warmup, max_e, start, eta_min):
    if e <= warmup:
        return base if warmup == 0 else start + (base - start) * e / warmup
    if e <= max_e:
        return (
            eta_min
            + (base - eta_min) * (1 + math.cos(math.pi * (e - warmup) / (max_e - warmup))) / 2
        )
    return eta_min


@pytest.mark.parametrize(
    "warmup,max_e,start,eta_min",
    [(5, 20, 0.0, 0.0), (3, 10, 0.01, 0.001), (0, 8, 0.0, 0.005), (4, 4, 0.02, 0.0), (1, 2, 0, 0)],
)
def test_warmup_cosine_closed_form(warmup, max_e, start, eta_min):
    opt, _ = _make_opt(tg, _arrays(), "adam")
    sched = tsched.WarmupCosineLR(opt, warmup, max_e, warmup_start_lr=start, eta_min=eta_min)
    for e in range(3 * max_e + 2):  # well past max_epochs
        want = [_warmup_cosine(base, e, warmup, max_e, start, eta_min) for base in LRS]
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], want, rtol=RTOL, atol=0)
        np.testing.assert_allclose(sched.get_last_lr(), want, rtol=RTOL, atol=0)
        assert sched.last_epoch == e
        opt.step()
        sched.step()
    if warmup:
        assert sched.get_last_lr() == [eta_min, eta_min]


def test_warmup_cosine_anchors_to_initial_lr():
    opt, _ = _make_opt(tg, _arrays())
    for g in opt.param_groups:
        g["initial_lr"] = 1.0  # e.g. set by an earlier scheduler: that is the base
    sched = tsched.WarmupCosineLR(opt, warmup_epochs=2, max_epochs=4)
    sched.step()
    assert sched.get_last_lr() == [0.5, 0.5]


# ------------------------------------------------------------------------ composing, validation


def test_composes_with_any_param_groups_object():
    class Bare:
        param_groups = [{"lr": 1.0}, {"lr": 2.0}]

    bare = Bare()
    sched = tsched.StepLR(bare, step_size=2, gamma=0.5)
    for _ in range(4):
        sched.step()
    assert [g["lr"] for g in bare.param_groups] == [0.25, 0.5]
    assert [g["initial_lr"] for g in bare.param_groups] == [1.0, 2.0]
    with pytest.raises(TypeError, match="param_groups"):
        tsched.StepLR(object(), step_size=2)


def test_chained_schedulers_compose_like_torch():
    out = []
    for lib in (tg, torch):
        opt, _ = _make_opt(lib, _arrays(), "adam")
        a = _sched_cls(lib, "ExponentialLR")(opt, gamma=0.9)
        b = _sched_cls(lib, "StepLR")(opt, step_size=3, gamma=0.5)
        seq = []
        for _ in range(12):
            opt.step()
            a.step()
            b.step()
            seq.append(b.get_last_lr())
        out.append(seq)
    _assert_same(*out)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("StepLR", dict(step_size=0), "step_size must be a positive integer"),
        ("StepLR", dict(step_size=2.5), "step_size must be a positive integer"),
        ("StepLR", dict(step_size=2, gamma=0.0), "gamma must be a positive"),
        ("ExponentialLR", dict(gamma=-0.5), "gamma must be a positive"),
        ("MultiStepLR", dict(milestones=[5, 3]), "milestones must be increasing"),
        ("MultiStepLR", dict(milestones=[2, 4], gamma=float("nan")), "gamma"),
        ("CosineAnnealingLR", dict(T_max=0), "T_max must be a positive integer"),
        ("CosineAnnealingLR", dict(T_max=0.0), "T_max must be a positive integer"),
        ("LinearLR", dict(total_iters=2.5), "total_iters must be a positive integer"),
        ("CosineAnnealingLR", dict(T_max=5, eta_min=-1.0), "eta_min"),
        ("LinearLR", dict(start_factor=0.0), "start_factor"),
        ("LinearLR", dict(end_factor=1.5), "end_factor"),
        ("LinearLR", dict(total_iters=0), "total_iters"),
        ("LambdaLR", dict(lr_lambda=[lambda e: 1.0]), "expected 2 lr_lambdas"),
        ("OneCycleLR", dict(max_lr=0.1), "total_steps OR"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=0), "total_steps"),
        ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=0), "steps_per_epoch"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=5, pct_start=1.5), "pct_start"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=5, anneal_strategy="exp"), "anneal_strategy"),
        ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=5), "same length"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=5, div_factor=0), "div_factor"),
        ("ReduceLROnPlateau", dict(factor=1.0), r"factor should be in \[0, 1\)"),
        ("ReduceLROnPlateau", dict(mode="avg"), "mode 'avg' is unknown"),
        ("ReduceLROnPlateau", dict(threshold_mode="pct"), "threshold mode 'pct' is unknown"),
        ("ReduceLROnPlateau", dict(patience=-1), "patience"),
        ("ReduceLROnPlateau", dict(min_lr=[0.1]), "expected 2 min_lrs"),
        ("WarmupCosineLR", dict(warmup_epochs=5, max_epochs=3), "max_epochs"),
        ("WarmupCosineLR", dict(warmup_epochs=-1, max_epochs=3), "warmup_epochs"),
        ("ConstantLR", dict(factor=1.5), r"factor expected to be in \(0, 1\]"),
        ("ConstantLR", dict(factor=0.0), "factor"),
        ("ConstantLR", dict(total_iters=0), "total_iters must be a positive integer"),
        ("PolynomialLR", dict(total_iters=0), "total_iters must be a positive integer"),
        ("PolynomialLR", dict(power=-1.0), "power must be a finite number >= 0"),
        ("CosineAnnealingWarmRestarts", dict(T_0=0), "Expected positive integer T_0"),
        ("CosineAnnealingWarmRestarts", dict(T_0=2.5), "Expected positive integer T_0"),
        ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0), "Expected integer T_mult >= 1"),
        ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="0"), "Expected float or int"),
        ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="cosine"), "mode 'cosine' is invalid"),
        ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, step_size_up=0), "step_size_up must be"),
        ("CyclicLR", dict(base_lr=[0.1], max_lr=1.0), "base_lr must have the same length"),
        ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, scale_mode="epoch"), "scale_mode must be"),
    ],
)
def test_validation_errors(name, kwargs, match):
    opt, _ = _make_opt(tg, _arrays())
    before = copy.deepcopy(
        [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    )
    with pytest.raises(ValueError, match=match):
        getattr(tsched, name)(opt, **kwargs)
    if name != "OneCycleLR":  # (PyTorch's OneCycleLR also writes the groups before failing)
        assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == before


def test_no_warnings_in_normal_use():
    opt, _ = _make_opt(tg, _arrays())
    sched = tsched.CosineAnnealingLR(opt, T_max=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(5):
            opt.step()
            sched.step()


# ------------------------------------------------------------------------ warm restarts, cycles


def _cawr_run(lib, epochs, iters, kwargs):
    opt, _ = _make_opt(lib, _arrays())
    sched = _sched_cls(lib, "CosineAnnealingWarmRestarts")(opt, **kwargs)
    seq = []
    for epoch in range(epochs):
        for i in range(iters):
            opt.step()
            sched.step(epoch + i / iters)  # PyTorch's example: step after every batch
            seq.append(sched.get_last_lr() + [sched.T_cur, sched.T_i, sched.last_epoch])
    return seq


@pytest.mark.parametrize(
    "kwargs", [dict(T_0=3), dict(T_0=2, T_mult=2, eta_min=0.001), dict(T_0=1, T_mult=3)]
)
def test_warm_restarts_fractional_epochs_match_torch(kwargs):
    ours, theirs = _cawr_run(tg, 12, 7, kwargs), _cawr_run(torch, 12, 7, kwargs)
    _assert_same(ours, theirs)
    assert len({round(row[0], 12) for row in ours}) > 20  # the lr really moves


def test_warm_restarts_interleaved_step_and_epoch_match_torch():
    """PyTorch's second example: 20 plain steps, then step(26), then plain steps from 27 on."""
    out = []
    for lib in (tg, torch):
        opt, _ = _make_opt(lib, _arrays())
        sched = _sched_cls(lib, "CosineAnnealingWarmRestarts")(opt, T_0=5, T_mult=2)
        seq = []
        for _ in range(20):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        sched.step(26)
        seq.append(sched.get_last_lr())
        for _ in range(10):
            sched.step()
            seq.append(sched.get_last_lr())
            seq.append([sched.last_epoch, sched.T_cur])
        out.append(seq)
    _assert_same(*out)
    with pytest.raises(ValueError, match="non-negative epoch"):
        sched.step(-1)


def test_warm_restarts_restart_at_period_ends():
    opt, _ = _make_opt(tg, _arrays())
    sched = tsched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(14):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    # periods of 2, 4, 8 epochs: back at the base lr at epochs 0, 2, 6 and 14
    for e in (0, 2, 6, 14):
        assert lrs[e] == LRS[0]
    assert lrs[1] == pytest.approx(LRS[0] / 2) and lrs[4] == pytest.approx(LRS[0] / 2)


def test_cyclic_triangular_closed_form():
    """step_size_up=2, down=2: 0.01, 0.055, 0.1, 0.055, 0.01, ... with the momentum opposite."""
    opt, _ = _make_opt(tg, _arrays(), "sgd", {"momentum": 0.5})
    sched = tsched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    got, mom = [], []
    for _ in range(9):
        got.append(opt.param_groups[0]["lr"])
        mom.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(got, [0.01, 0.055, 0.1, 0.055] * 2 + [0.01], rtol=1e-12)
    np.testing.assert_allclose(mom, [0.9, 0.85, 0.8, 0.85] * 2 + [0.9], rtol=1e-12)
    assert opt.param_groups[0]["max_momentum"] == 0.9
    assert opt.param_groups[0]["base_momentum"] == 0.8


def test_cyclic_needs_momentum_and_keeps_callable_scale_state():
    class Plain:
        defaults = {"lr": 0.1}
        param_groups = [{"lr": 0.1}]

    with pytest.raises(ValueError, match="momentum or beta1"):
        tsched.CyclicLR(Plain(), base_lr=0.01, max_lr=0.1)
    tsched.CyclicLR(Plain(), base_lr=0.01, max_lr=0.1, cycle_momentum=False)

    opt, _ = _make_opt(tg, _arrays())
    halving = _Halving(0.5)
    sched = tsched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=halving)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"base": 0.5} and "_scale_fn_ref" not in state
    halving.base = 0.9
    sched.load_state_dict(state)
    assert halving.base == 0.5 and state["_scale_fn_custom"] == {"base": 0.5}
    lam = tsched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=lambda x: 1.0)
    assert lam.state_dict()["_scale_fn_custom"] is None
    # a mode's function is rebuilt on load (PyTorch drops it from the state too)
    exp = tsched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=0.5)
    exp.load_state_dict(pickle.loads(pickle.dumps(exp.state_dict())))
    assert exp.scale_fn(2) == 0.25 and exp.scale_mode == "iterations"


# ------------------------------------------------------------------------ SequentialLR, Chained


def test_sequential_warmup_then_cosine_hand_computed():
    opt, _ = _make_opt(tg, _arrays())
    warmup = tsched.LinearLR(opt, start_factor=0.25, total_iters=4)
    cosine = tsched.CosineAnnealingLR(opt, T_max=6)
    sched = tsched.SequentialLR(opt, [warmup, cosine], milestones=[4])
    got = [sched.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
    base = LRS[0]
    want = [base * (0.25 + 0.75 * e / 4) for e in range(4)]
    want += [base * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(7)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-17)
    assert sched.last_epoch == 10 and cosine.last_epoch == 6


def test_composite_errors_match_torch():
    opt, _ = _make_opt(tg, _arrays())
    other, _ = _make_opt(tg, _arrays())
    a = tsched.ExponentialLR(opt, gamma=0.9)
    b = tsched.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        tsched.SequentialLR(opt, [a, b], milestones=[2, 4])
    with pytest.raises(ValueError, match="at least one scheduler"):
        tsched.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="at least one scheduler"):
        tsched.ChainedScheduler([])
    with pytest.raises(ValueError, match="same optimizer"):
        tsched.SequentialLR(other, [a, b], milestones=[3])
    with pytest.raises(ValueError, match="same optimizer"):
        tsched.ChainedScheduler([a, tsched.StepLR(other, step_size=2)])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        tsched.ChainedScheduler([a, tsched.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        tsched.SequentialLR(opt, [a, object()], milestones=[3])
    with pytest.raises(ValueError, match="milestones must be increasing"):
        tsched.SequentialLR(opt, [a, b, tsched.StepLR(opt, 2)], milestones=[5, 3])


def test_composite_state_dict_holds_the_schedulers_states():
    out = []
    for lib in (tg, torch):
        opt, _ = _make_opt(lib, _arrays())
        sched = COMPOSITES["warmup_cosine"](tsched if lib is tg else torch.optim.lr_scheduler, opt)
        for _ in range(7):
            opt.step()
            sched.step()
        state = sched.state_dict()
        out.append(state)
        assert "optimizer" not in state and len(state["_schedulers"]) == 2
        assert state["_schedulers"][1]["last_epoch"] == 2
    assert set(out[0]) == set(out[1])
    chained, _ = _make_opt(tg, _arrays())
    state = COMPOSITES["chained"](tsched, chained).state_dict()
    assert set(state) == {"_schedulers", "_last_lr"}
