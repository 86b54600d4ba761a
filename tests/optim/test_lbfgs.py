"""LBFGS against torch.optim.LBFGS: the same iterates, losses, evaluation counts and state on
Rosenbrock's function and the non-convex trajectory model, with and without the strong-Wolfe
line search; state dict round trips; validation."""

import pickle

import numpy as np
import pytest
import torch

import tensorgrad as tg

from .trajectory import loss_fn, make_params, to_numpy

ROSEN_START = np.array([-1.5, 2.0, -0.5, 1.2])


def rosenbrock_params(lib, dtype=np.float64) -> list:
    """Rosenbrock's 4-d start split over two parameters of different shapes, (1,) and (3, 1)."""
    arrays = [ROSEN_START[:1].astype(dtype), ROSEN_START[1:].reshape(3, 1).astype(dtype)]
    make = torch.tensor if lib is torch else tg.tensor
    return [make(a, requires_grad=True) for a in arrays]


def rosenbrock(lib, params):
    """sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2: a curved valley, minimum 0 at x = 1."""
    a, b = params
    x = lib.cat([a, b.reshape(-1)])
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def make_closure(lib, problem, params, opt):
    def closure():
        opt.zero_grad()
        if problem == "rosenbrock":
            loss = rosenbrock(lib, params)
        else:
            loss = loss_fn(lib, params)
        loss.backward()
        return loss

    return closure


def run(lib, problem, steps, params=None, opt=None, dtype=np.float64, **kwargs):
    """``steps`` LBFGS steps; returns (params, first losses of the steps, optimizer)."""
    if params is None:
        params = rosenbrock_params(lib, dtype) if problem == "rosenbrock" else make_params(lib)
    if opt is None:
        opt = (torch.optim if lib is torch else tg.optim).LBFGS(params, **kwargs)
    closure = make_closure(lib, problem, params, opt)
    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return params, losses, opt


CASES = {
    "rosenbrock_fixed_step": ("rosenbrock", 5, dict(lr=0.1, max_iter=5, history_size=3)),
    "rosenbrock_strong_wolfe": ("rosenbrock", 5, dict(line_search_fn="strong_wolfe")),
    "rosenbrock_wolfe_short_history": (
        "rosenbrock",
        5,
        dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2),
    ),
    "rosenbrock_wolfe_max_eval": (
        "rosenbrock",
        4,
        dict(line_search_fn="strong_wolfe", max_iter=10, max_eval=6, lr=0.5),
    ),
    "model_fixed_step": ("model", 3, dict(lr=0.5, max_iter=10)),
    "model_strong_wolfe": ("model", 3, dict(line_search_fn="strong_wolfe", max_iter=8)),
    "model_tolerance_change": (
        "model",
        4,
        dict(line_search_fn="strong_wolfe", tolerance_change=1e-3, history_size=4),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_lbfgs_matches_torch(case):
    problem, steps, kwargs = case
    tg_params, tg_losses, ours = run(tg, problem, steps, **kwargs)
    torch_params, torch_losses, theirs = run(torch, problem, steps, **kwargs)
    np.testing.assert_allclose(tg_losses, torch_losses, rtol=1e-8, atol=1e-12)
    for i, (a, b) in enumerate(zip(to_numpy(tg_params), to_numpy(torch_params), strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10, err_msg=f"parameter {i}")
    mine, expected = ours.state[tg_params[0]], theirs.state[torch_params[0]]
    assert list(mine) == list(expected)  # torch's keys in torch's order
    assert (mine["func_evals"], mine["n_iter"]) == (expected["func_evals"], expected["n_iter"])
    assert len(mine["old_dirs"]) == len(expected["old_dirs"])
    assert not np.allclose(to_numpy(tg_params)[0], to_numpy(rosenbrock_params(tg))[0])


def test_strong_wolfe_solves_rosenbrock():
    params, losses, _ = run(tg, "rosenbrock", 5, line_search_fn="strong_wolfe")
    assert losses[0] > 100 and float(rosenbrock(tg, params)) < 1e-9
    x = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.testing.assert_allclose(x, 1, rtol=1e-5)


def test_state_matches_torch():
    tg_params, _, ours = run(tg, "model", 2, line_search_fn="strong_wolfe", max_iter=6)
    torch_params, _, theirs = run(torch, "model", 2, line_search_fn="strong_wolfe", max_iter=6)

    def check(mine, expected, key):
        if isinstance(expected, list):
            assert isinstance(mine, list) and len(mine) == len(expected), key
            for m, e in zip(mine, expected, strict=True):
                check(m, e, key)
        elif isinstance(expected, torch.Tensor):
            assert isinstance(mine, tg.Tensor) and mine.shape == tuple(expected.shape), key
            np.testing.assert_allclose(mine.array, expected.numpy(), rtol=1e-7, err_msg=key)
        elif expected is None:  # an unused slot of 'al'
            assert mine is None, key
        else:
            assert mine == pytest.approx(expected, rel=1e-8), key

    mine, expected = ours.state_dict(), theirs.state_dict()
    assert list(mine["state"]) == list(expected["state"]) == [0]
    for key, value in expected["state"][0].items():
        check(mine["state"][0][key], value, key)
    assert mine["param_groups"] == expected["param_groups"]


def test_state_dict_round_trip_mid_trajectory_is_bit_identical():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=5)
    straight, straight_losses, _ = run(tg, "model", 6, **kwargs)
    params, losses, opt = run(tg, "model", 3, **kwargs)
    checkpoint = pickle.loads(pickle.dumps(opt.state_dict()))
    n_iter, saved_grad = (
        checkpoint["state"][0]["n_iter"],
        checkpoint["state"][0]["prev_flat_grad"].array.copy(),
    )
    fresh = tg.optim.LBFGS(params, lr=123.0)  # the saved hyperparameters must come back
    fresh.load_state_dict(checkpoint)
    assert fresh.param_groups[0]["line_search_fn"] == "strong_wolfe"
    _, more, _ = run(tg, "model", 3, params=params, opt=fresh)
    assert losses + more == straight_losses
    for a, b in zip(to_numpy(straight), to_numpy(params), strict=True):
        np.testing.assert_array_equal(a, b)
    # the loaded state is a copy: stepping did not write into the checkpoint
    assert checkpoint["state"][0]["n_iter"] == n_iter < fresh.state[params[0]]["n_iter"]
    np.testing.assert_array_equal(checkpoint["state"][0]["prev_flat_grad"].array, saved_grad)


def test_loads_a_torch_state_dict_mid_trajectory():
    kwargs = dict(max_iter=4, lr=0.5, history_size=3)
    tg_params, _, _ = run(tg, "rosenbrock", 2, **kwargs)
    torch_params, _, theirs = run(torch, "rosenbrock", 2, **kwargs)
    ours = tg.optim.LBFGS(tg_params)
    ours.load_state_dict(theirs.state_dict())
    assert isinstance(ours.state[tg_params[0]]["old_dirs"][0], tg.Tensor)
    _, tg_losses, _ = run(tg, "rosenbrock", 3, params=tg_params, opt=ours)
    _, torch_losses, _ = run(torch, "rosenbrock", 3, params=torch_params, opt=theirs)
    np.testing.assert_allclose(tg_losses, torch_losses, rtol=1e-9)
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_float32_parameters_stay_float32_and_follow_torch():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=5)
    tg_params, _, ours = run(tg, "rosenbrock", 3, dtype=np.float32, **kwargs)
    torch_params, _, _ = run(torch, "rosenbrock", 3, dtype=np.float32, **kwargs)
    assert all(p.dtype == tg.float32 for p in tg_params)
    assert ours.state[tg_params[0]]["d"].dtype == tg.float32
    for a, b in zip(to_numpy(tg_params), to_numpy(torch_params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_an_optimal_start_returns_after_one_evaluation():
    for lib in (tg, torch):
        params, losses, opt = run(lib, "rosenbrock", 2, tolerance_grad=1e4)
        assert to_numpy(params)[0].tolist() == [-1.5]
        assert opt.state[params[0]]["func_evals"] == 2 and opt.state[params[0]]["n_iter"] == 0
        assert losses[0] == losses[1]


def test_step_runs_the_hooks_once_and_the_closure_with_grad():
    params = rosenbrock_params(tg)
    opt = tg.optim.LBFGS(params, max_iter=3)
    calls = []
    opt.register_step_pre_hook(lambda *args: calls.append("pre"))
    opt.register_step_post_hook(lambda *args: calls.append("post"))
    closure = make_closure(tg, "rosenbrock", params, opt)

    def recording_closure():
        calls.append(tg.is_grad_enabled())
        return closure()

    with tg.no_grad():
        opt.step(recording_closure)
    assert calls == ["pre", True, True, True, "post"]


def test_lbfgs_errors():
    params = rosenbrock_params(tg)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        tg.optim.LBFGS([{"params": params[:1]}, {"params": params[1:]}])
    opt = tg.optim.LBFGS(params)
    with pytest.raises(TypeError):
        opt.step()  # as in PyTorch, the closure is required
    with pytest.raises(RuntimeError, match="LBFGS.step needs a closure"):
        opt.step(None)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1.0), "Invalid learning rate"),
        (dict(max_iter=0), r"Invalid max_iter value: 0 \(must be >= 1\)"),
        (dict(max_eval=0), "Invalid max_eval value"),
        (dict(tolerance_grad=-1e-7), "Invalid tolerance_grad value"),
        (dict(tolerance_change=-1e-9), "Invalid tolerance_change value"),
        (dict(history_size=0), "Invalid history_size value"),
        (dict(line_search_fn="armijo"), "Invalid line_search_fn: 'armijo'"),
    ],
)
def test_lbfgs_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.LBFGS(rosenbrock_params(tg), **kwargs)


def test_max_eval_defaults_to_five_quarters_of_max_iter():
    assert tg.optim.LBFGS(rosenbrock_params(tg), max_iter=10).defaults["max_eval"] == 12
    assert tg.optim.LBFGS(rosenbrock_params(tg)).defaults == (
        torch.optim.LBFGS(rosenbrock_params(torch)).defaults
    )
