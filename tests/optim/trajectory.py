"""The small model every optimizer test trains, written once for tensorgrad and PyTorch.

Five parameters of different shapes (a matrix, vectors, a scalar) and a non-convex loss: a tanh
MLP's squared error plus sine and quartic terms. ``train(lib, make_opt, steps)`` runs ``steps``
optimizer steps from the same float64 weights and returns the parameters as NumPy arrays.
"""

from __future__ import annotations

import numpy as np
import torch

import tensorgrad as tg

SHAPES = [(5, 3), (5,), (2, 5), (2,), ()]
RNG_SEED = 1234


def initial_arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    return [np.asarray(rng.standard_normal(s) * 0.7) for s in SHAPES]  # 0-d stays an array


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED + 1)
    return rng.standard_normal((8, 3)), rng.standard_normal((8, 2))


def make_params(lib) -> list:
    if lib is torch:
        return [torch.tensor(a, requires_grad=True) for a in initial_arrays()]
    return [tg.tensor(a, requires_grad=True) for a in initial_arrays()]


def loss_fn(lib, params, step: int = 0):
    """Non-convex: tanh layer, sin of the first weights, a double-well in the scalar. The data
    shift with ``step`` so gradients keep changing like a mini-batch's."""
    w1, b1, w2, b2, s = params
    x_np, y_np = _data()
    x_np = np.roll(x_np, step, axis=0)
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    h = (x @ w1.T + b1).tanh()
    out = h @ w2.T + b2 * s
    return ((out - y) ** 2).mean() + 0.1 * (3 * w1).sin().sum() + (s * s - 1) ** 2 * 0.25


def train(lib, make_opt, steps: int, groups=None, params=None, opt=None, start: int = 0):
    """``make_opt(optim_module, params_or_groups)`` builds the optimizer; ``groups`` is a list of
    ``(indices, hyperparameters)`` for several param groups. Returns (params, optimizer)."""
    optim = torch.optim if lib is torch else tg.optim
    if params is None:
        params = make_params(lib)
    if opt is None:
        if groups is None:
            opt = make_opt(optim, params)
        else:
            opt = make_opt(
                optim, [dict(params=[params[i] for i in idx], **kw) for idx, kw in groups]
            )
    # maximize=True climbs -loss, so the run stays bounded and still tests the sign flip
    sign = -1.0 if opt.defaults.get("maximize") else 1.0
    for k in range(start, start + steps):
        opt.zero_grad()
        (sign * loss_fn(lib, params, k)).backward()
        opt.step()
    return params, opt


def to_numpy(params) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in params]


def assert_same_trajectory(make_opt, steps: int = 50, groups=None, rtol: float = 1e-7) -> None:
    tg_params, _ = train(tg, make_opt, steps, groups)
    torch_params, _ = train(torch, make_opt, steps, groups)
    initial = initial_arrays()
    for i, (a, b) in enumerate(zip(to_numpy(tg_params), to_numpy(torch_params), strict=True)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=f"parameter {i}")
    # the run must actually move every parameter, or the comparison proves nothing
    for a, b in zip(to_numpy(tg_params), initial, strict=True):
        assert np.isfinite(a).all() and not np.allclose(a, b)
