"""Lion has no PyTorch twin: its trajectory is checked against a NumPy transcription of the
paper's Algorithm 2, fed tensorgrad's gradients of the same model (the sign update is
discontinuous, so a last-bit difference in a near-zero gradient would flip a coordinate)."""

import numpy as np
import pytest

import tensorgrad as tg

from .trajectory import initial_arrays, loss_fn, to_numpy, train


def lion_reference(steps, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False):
    beta1, beta2 = betas
    arrays = initial_arrays()
    momenta = [np.zeros_like(a) for a in arrays]
    sign = -1.0 if maximize else 1.0
    for k in range(steps):
        params = [tg.tensor(a, requires_grad=True) for a in arrays]
        (sign * loss_fn(tg, params, k)).backward()
        for a, m, p in zip(arrays, momenta, params, strict=True):
            g = -p.grad.numpy() if maximize else p.grad.numpy()
            c = beta1 * m + (1 - beta1) * g
            a *= 1 - lr * weight_decay
            a -= lr * np.sign(c)
            m *= beta2
            m += (1 - beta2) * g
    return arrays


CASES = {
    "default": dict(),
    "lr_betas": dict(lr=3e-3, betas=(0.95, 0.98)),
    "weight_decay": dict(lr=3e-3, weight_decay=0.5),
    "maximize": dict(lr=1e-3, weight_decay=0.1, maximize=True),
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_lion_matches_numpy_reference(kwargs):
    params, opt = train(tg, lambda optim, p: optim.Lion(p, **kwargs), 50)
    expected = lion_reference(50, **kwargs)
    for i, (a, b) in enumerate(zip(to_numpy(params), expected, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=f"parameter {i}")
    assert set(opt.state[params[0]]) == {"exp_avg"}


def test_lion_moves_each_coordinate_by_lr():
    # the sign update: from zero momentum the first step moves every coordinate by exactly lr
    p = tg.tensor([1.0, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    opt = tg.optim.Lion([p], lr=0.1)
    p.grad = tg.tensor([0.5, -1e-9, 0.0], dtype=tg.float64)  # sign(0) = 0: no move
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 3.0])
