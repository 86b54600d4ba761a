"""The Optimizer base: param groups, zero_grad, closures, in-place updates, state dicts (PyTorch's
layout, bit-identical resume through a pickled checkpoint) and hyperparameter validation."""

import copy
import inspect
import pickle

import numpy as np
import pytest
import torch

import tensorgrad as tg

from .trajectory import make_params, to_numpy, train

# Every optimizer in a configuration that fills all of its state keys.
CONFIGS = {
    "sgd_momentum": lambda optim, p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda optim, p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda optim, p: optim.Adam(p, lr=0.02, weight_decay=0.01),
    "adam_amsgrad": lambda optim, p: optim.Adam(p, lr=0.02, amsgrad=True),
    "adamw": lambda optim, p: optim.AdamW(p, lr=0.02),
    "rmsprop": lambda optim, p: optim.RMSprop(p, lr=0.005, momentum=0.5, centered=True),
    "adagrad": lambda optim, p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
}
TG_ONLY = {"lion": lambda optim, p: optim.Lion(p, lr=1e-3, weight_decay=0.1)}
GROUPS = [([0, 3], dict(lr=0.01)), ([1, 2, 4], dict())]


# ----------------------------------------------------------------------------- resume


@pytest.mark.parametrize("groups", [None, GROUPS], ids=["one_group", "two_groups"])
@pytest.mark.parametrize(
    "make_opt", [*CONFIGS.values(), *TG_ONLY.values()], ids=[*CONFIGS, *TG_ONLY]
)
def test_resume_is_bit_identical(make_opt, groups):
    straight, _ = train(tg, make_opt, 30, groups)
    params, opt = train(tg, make_opt, 12, groups)
    checkpoint = pickle.loads(pickle.dumps(opt.state_dict()))  # a save/load round trip
    # a fresh optimizer over the same parameters, built with other hyperparameters on purpose:
    # load_state_dict must bring back the saved ones
    fresh = make_opt(
        tg.optim,
        params
        if groups is None
        else [dict(params=[params[i] for i in idx], lr=123.0) for idx, _ in groups],
    )
    fresh.load_state_dict(checkpoint)
    resumed, _ = train(tg, make_opt, 18, params=params, opt=fresh, start=12)
    for a, b in zip(to_numpy(straight), to_numpy(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_loaded_state_is_a_copy():
    params, opt = train(tg, CONFIGS["adam"], 3)
    saved = opt.state_dict()
    before = copy.deepcopy(saved)
    opt2 = CONFIGS["adam"](tg.optim, params)
    opt2.load_state_dict(saved)
    train(tg, CONFIGS["adam"], 2, params=params, opt=opt2, start=3)
    for i, s in before["state"].items():
        np.testing.assert_array_equal(saved["state"][i]["exp_avg"].array, s["exp_avg"].array)
        assert float(saved["state"][i]["step"]) == 3.0


# ----------------------------------------------------------------------------- layout


@pytest.mark.parametrize("groups", [None, GROUPS], ids=["one_group", "two_groups"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_layout_matches_torch(name, groups):
    make_opt = CONFIGS[name]
    _, ours = train(tg, make_opt, 3, groups)
    _, theirs = train(torch, make_opt, 3, groups)
    a, b = ours.state_dict(), theirs.state_dict()
    assert set(a) == set(b) == {"state", "param_groups"}
    assert list(a["state"]) == list(b["state"])
    for i in b["state"]:
        assert list(a["state"][i]) == list(b["state"][i])
        for key, value in b["state"][i].items():
            mine = a["state"][i][key]
            assert isinstance(mine, tg.Tensor)
            assert mine.shape == tuple(value.shape)
            if key == "step":
                assert mine.dtype == tg.float32 and float(mine) == float(value)
            else:
                np.testing.assert_allclose(mine.array, value.numpy(), rtol=1e-9, atol=1e-15)
    assert len(a["param_groups"]) == len(b["param_groups"])
    for ga, gb in zip(a["param_groups"], b["param_groups"], strict=True):
        assert ga["params"] == gb["params"]
        # the same keys in the same order, torch's implementation switches included
        assert list(ga) == list(gb)
        for key in ga:
            assert ga[key] == gb[key], key


def test_adagrad_state_exists_before_the_first_step():
    params = make_params(tg)
    sd = tg.optim.Adagrad(params, initial_accumulator_value=0.5).state_dict()
    assert list(sd["state"]) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(sd["state"][0]["sum"].array, np.full((5, 3), 0.5))


def test_load_state_dict_validates():
    params = make_params(tg)
    opt = tg.optim.Adam(params)
    train(tg, lambda optim, p: opt, 1, params=params, opt=opt)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        tg.optim.Adam([{"params": params[:2]}, {"params": params[2:]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        tg.optim.Adam(params[:4]).load_state_dict(sd)
    # same count, other shapes: the saved buffers cannot belong to these parameters
    swapped = [params[1], params[0], *params[2:]]
    with pytest.raises(
        ValueError, match=r"'exp_avg' of shape \(5, 3\) for parameter 0, which has shape \(5,\)"
    ):
        tg.optim.Adam(swapped).load_state_dict(sd)


def test_loads_a_torch_state_dict():
    """Numbers and tensors saved by PyTorch load too (its tensors convert through NumPy)."""
    tg_params, _ = train(tg, CONFIGS["adam_amsgrad"], 5)
    torch_params, theirs = train(torch, CONFIGS["adam_amsgrad"], 5)
    ours = CONFIGS["adam_amsgrad"](tg.optim, tg_params)
    ours.load_state_dict(theirs.state_dict())
    for p in tg_params:
        assert float(ours.state[p]["step"]) == 5.0
    train(tg, None, 3, params=tg_params, opt=ours, start=5)
    train(torch, None, 3, params=torch_params, opt=theirs, start=5)
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)


# ----------------------------------------------------------------------------- stepping


def test_param_groups_fill_defaults_and_add_param_group():
    w, b, extra = (tg.zeros(3, requires_grad=True) for _ in range(3))
    opt = tg.optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [extra], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="duplicate"):
        tg.optim.SGD([w, w])


def test_step_is_in_place_without_graph_and_skips_params_without_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    frozen = tg.tensor([3.0], requires_grad=True)
    opt = tg.optim.Adam([w, frozen], lr=0.1)
    array, version = w.array, w._version
    (w * w).sum().backward()
    opt.step()
    assert w.array is array and w._version == version + 1
    assert w.grad_fn is None and w.is_leaf and w.requires_grad
    assert frozen not in opt.state and frozen.tolist() == [3.0]
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 1.9], rtol=1e-6)


def test_step_under_no_grad_and_views_see_the_update():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    view = w.detach()[1:]
    opt = tg.optim.SGD([w], lr=1.0)
    w.grad = tg.ones(3)
    with tg.no_grad():
        opt.step()
    assert view.tolist() == [1.0, 2.0]


def test_zero_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([w])
    (w * 3).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_closure_is_evaluated_with_grad_and_its_loss_returned():
    params = make_params(tg)
    opt = tg.optim.SGD(params, lr=0.05)
    calls = []

    def closure():
        calls.append(tg.is_grad_enabled())
        opt.zero_grad()
        loss = (params[0] ** 2).sum()
        loss.backward()
        return loss

    before = params[0].detach().numpy().copy()
    with tg.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert calls == [True]
    assert float(loss) == pytest.approx(float((before**2).sum()))
    np.testing.assert_allclose(params[0].detach().numpy(), before * 0.9)
    assert opt.step() is None


def _closure_run(lib) -> tuple[list[float], list[np.ndarray]]:
    params = make_params(lib)
    opt = (tg.optim if lib is tg else torch.optim).Adam(params, lr=0.05)

    def closure():
        opt.zero_grad()
        loss = (params[0].sin() ** 2).sum() + (params[2] ** 2).sum()
        loss.backward()
        return loss

    return [float(opt.step(closure).detach()) for _ in range(5)], to_numpy(params)


def test_closure_matches_torch():
    (tg_losses, tg_params), (torch_losses, torch_params) = _closure_run(tg), _closure_run(torch)
    np.testing.assert_allclose(tg_losses, torch_losses, rtol=1e-10)
    for a, b in zip(tg_params, torch_params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_float32_params_keep_float32_state():
    w = tg.randn(4, 3, requires_grad=True)
    opt = tg.optim.Adam([w], amsgrad=True)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == tg.float32
    assert all(v.dtype == tg.float32 for v in opt.state[w].values())


# ----------------------------------------------------------------------------- errors


def test_gradient_shape_or_dtype_mismatch_is_an_error_before_any_update():
    first = tg.ones(4, requires_grad=True)
    w = tg.zeros(2, 3, requires_grad=True)
    opt = tg.optim.Adam([first, w], lr=0.1)
    first.grad = tg.ones(4)
    w._grad = tg.zeros(3, 2)  # bypasses the grad setter's own check
    with pytest.raises(RuntimeError, match=r"Adam.step: gradient of shape \(3, 2\).*\(2, 3\)"):
        opt.step()
    assert first.tolist() == [1.0] * 4 and not opt.state  # nothing moved, no state made
    w._grad = tg.zeros(2, 3, dtype=tg.float64)
    with pytest.raises(RuntimeError, match="gradient of dtype .*float64.*float32"):
        opt.step()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: tg.optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: tg.optim.SGD(p, momentum=-0.5), "Invalid momentum value"),
        (lambda p: tg.optim.SGD(p, weight_decay=-1), "Invalid weight_decay value"),
        (lambda p: tg.optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum"),
        (
            lambda p: tg.optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            "zero dampening",
        ),
        (lambda p: tg.optim.Adam(p, lr=-1e-3), "Invalid learning rate"),
        (lambda p: tg.optim.Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0: 1.0"),
        (lambda p: tg.optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1: -0.1"),
        (lambda p: tg.optim.AdamW(p, eps=-1e-8), "Invalid epsilon value"),
        (lambda p: tg.optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value"),
        (lambda p: tg.optim.RMSprop(p, alpha=-0.5), "Invalid alpha value"),
        (lambda p: tg.optim.RMSprop(p, momentum=-0.5), "Invalid momentum value"),
        (lambda p: tg.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
        (lambda p: tg.optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator"),
        (lambda p: tg.optim.Lion(p, betas=(0.9, 1.5)), "beta parameter at index 1"),
        (lambda p: tg.optim.Lion(p, lr=-1), "Invalid learning rate"),
        (lambda p: tg.optim.SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_hyperparameter_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make([tg.zeros(2, requires_grad=True)])


def test_params_argument_errors():
    w = tg.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        tg.optim.SGD(w)
    with pytest.raises(TypeError, match="ordered collections"):
        tg.optim.SGD([w]).add_param_group({"params": {tg.zeros(1, requires_grad=True)}})
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        tg.optim.SGD([w, 3.0])
    with pytest.raises(ValueError, match="non-leaf"):
        tg.optim.SGD([w * 2])
    with pytest.raises(TypeError, match="param_group must be a dict"):
        tg.optim.SGD([w]).add_param_group([w])


# ----------------------------------------------------------------------------- threaded kernels


@pytest.mark.parametrize("threads", [2, 7])
@pytest.mark.parametrize(
    "make_opt", [*CONFIGS.values(), *TG_ONLY.values()], ids=[*CONFIGS, *TG_ONLY]
)
def test_threaded_step_is_bit_identical(monkeypatch, make_opt, threads):
    """The step split into shares across threads gives exactly the single-pass result."""
    from tensorgrad import threads as tg_threads
    from tensorgrad.optim import _foreach as optimizer

    # the pool's size follows tg.get_num_threads() (set here without touching numba's count)
    monkeypatch.setattr(tg_threads, "_threads", 1)
    serial, _ = train(tg, make_opt, 10)
    monkeypatch.setattr(tg_threads, "_threads", threads)
    monkeypatch.setattr(optimizer, "_MIN_PARALLEL", 1)  # split even this small model
    threaded, _ = train(tg, make_opt, 10)
    for a, b in zip(to_numpy(serial), to_numpy(threaded), strict=True):
        np.testing.assert_array_equal(a, b)


def test_split_covers_every_element_once():
    from tensorgrad.optim._foreach import split as _split

    for parts in (1, 2, 3, 4, 66, 100):
        arrays = [np.zeros(n) for n in (5, 1, 17, 3, 40)]
        jobs = [((a, None), (i,)) for i, a in enumerate(arrays)]
        shares = _split(jobs, parts)
        assert 1 <= len(shares) <= parts
        for share in shares:
            for (view, none), _ in share:
                assert none is None
                view += 1
        for a in arrays:
            np.testing.assert_array_equal(a, 1)
        sizes = [sum(v.size for (v, _), _ in share) for share in shares]
        assert max(sizes) - min(sizes) <= 1 or parts > 66


def test_threaded_step_on_large_parameter_matches_torch(monkeypatch):
    from tensorgrad import threads as tg_threads

    monkeypatch.setattr(tg_threads, "_threads", 2)
    rng = np.random.default_rng(0)
    w0, g = rng.standard_normal((2, 300, 500))
    w, tw = tg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, topt = tg.optim.Adam([w], lr=0.01), torch.optim.Adam([tw], lr=0.01)
    for k in range(3):
        w.grad, tw.grad = tg.tensor(g * (k + 1)), torch.tensor(g * (k + 1))
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- PyTorch's switches

# every optimizer torch.optim has, with arguments that build it
TORCH_OPTIMIZERS = {
    "SGD": dict(lr=0.1),
    "Adam": {},
    "AdamW": {},
    "Adamax": {},
    "Adadelta": {},
    "Adagrad": {},
    "ASGD": {},
    "NAdam": {},
    "RAdam": {},
    "RMSprop": {},
    "Rprop": {},
    "Adafactor": {},
    "LBFGS": {},
}


@pytest.mark.parametrize("name", list(TORCH_OPTIMIZERS))
def test_signature_and_group_keys_match_torch(name):
    """PyTorch's parameter names, kinds (positional or keyword-only) and defaults, and the same
    keys, in the same order, in a param group."""
    ours, theirs = getattr(tg.optim, name), getattr(torch.optim, name)
    mine = inspect.signature(ours.__init__).parameters
    want = inspect.signature(theirs.__init__).parameters
    assert list(mine) == list(want)
    for key, param in want.items():
        assert mine[key].kind == param.kind, key
        assert mine[key].default == param.default, key
    kwargs = TORCH_OPTIMIZERS[name]
    group = ours(make_params(tg), **kwargs).param_groups[0]
    torch_group = theirs(make_params(torch), **kwargs).param_groups[0]
    assert list(group) == list(torch_group)
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in torch_group.items() if k != "params"
    }


FLAGGED = [n for n in TORCH_OPTIMIZERS if n != "LBFGS"]


def _accepts(name, flag):
    return flag in inspect.signature(getattr(tg.optim, name).__init__).parameters


@pytest.mark.parametrize("name", FLAGGED)
def test_foreach_is_accepted_and_changes_nothing(name):
    kwargs = TORCH_OPTIMIZERS[name]
    plain, _ = train(tg, lambda optim, p: getattr(optim, name)(p, **kwargs), 5)
    for foreach in (True, False):
        params, opt = train(
            tg, lambda optim, p, f=foreach: getattr(optim, name)(p, foreach=f, **kwargs), 5
        )
        assert opt.param_groups[0]["foreach"] is foreach
        for a, b in zip(to_numpy(plain), to_numpy(params), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", [n for n in FLAGGED if _accepts(n, "fused")])
def test_fused_is_accepted_and_matches_torchs_fused_step(name):
    kwargs = dict(TORCH_OPTIMIZERS[name], fused=True)
    if name == "SGD":
        kwargs["momentum"] = 0.9
    ours, opt = train(tg, lambda optim, p: getattr(optim, name)(p, **kwargs), 20)
    theirs, _ = train(torch, lambda optim, p: getattr(optim, name)(p, **kwargs), 20)
    assert opt.param_groups[0]["fused"] is True
    for a, b in zip(to_numpy(ours), to_numpy(theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(tg.optim, name)(make_params(tg), fused=True, foreach=True, **TORCH_OPTIMIZERS[name])


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
@pytest.mark.parametrize("name", FLAGGED)
def test_capturable_and_differentiable_raise_clearly(name, flag):
    if not _accepts(name, flag):
        with pytest.raises(TypeError):  # as in PyTorch, which has no such argument there
            getattr(tg.optim, name)(make_params(tg), **{flag: True}, **TORCH_OPTIMIZERS[name])
        return
    opt = getattr(tg.optim, name)(make_params(tg), **{flag: False}, **TORCH_OPTIMIZERS[name])
    assert opt.param_groups[0][flag] is False
    with pytest.raises(NotImplementedError, match=f"{name}: {flag}=True"):
        getattr(tg.optim, name)(make_params(tg), **{flag: True}, **TORCH_OPTIMIZERS[name])


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", dict(lr=0.05, momentum=0.9)),
        ("Adam", dict(lr=0.02, amsgrad=True)),
        ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True)),
        ("Rprop", dict(lr=0.02)),
        ("Adafactor", dict(lr=0.02)),
        ("NAdam", dict(lr=0.02)),
    ],
)
def test_a_torch_state_dict_with_its_switches_loads_and_resumes(name, kwargs):
    """A state dict saved by PyTorch (its groups carry foreach, fused, capturable, ...) loads
    into a fresh optimizer, which then keeps going exactly as PyTorch's does."""

    def make(optim, p):
        return getattr(optim, name)(p, **kwargs)

    torch_params, theirs = train(torch, make, 5)
    tg_params, _ = train(tg, make, 5)
    ours = getattr(tg.optim, name)(tg_params, lr=123.0)
    ours.load_state_dict(pickle.loads(pickle.dumps(theirs.state_dict())))
    group = {k: v for k, v in ours.param_groups[0].items() if k != "params"}
    assert group == {k: v for k, v in theirs.param_groups[0].items() if k != "params"}
    train(tg, None, 5, params=tg_params, opt=ours, start=5)
    train(torch, None, 5, params=torch_params, opt=theirs, start=5)
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-13)
