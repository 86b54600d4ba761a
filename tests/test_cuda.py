"""CUDA (CuPy) paths: the same ops give the same values and gradients as on the CPU.

Marked ``cuda``; they skip on machines without CuPy and a GPU.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.conftest import cuda_available

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not cuda_available(), reason="needs CuPy and a CUDA GPU"),
]


def _mlp_loss(x, w1, w2, y):
    h = (x @ w1).relu()
    return tg.nn.functional.cross_entropy(h @ w2, y)


def test_mlp_forward_backward_matches_cpu():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(8, 5), (5, 7), (7, 3)]]
    labels = rng.integers(0, 3, 8)
    results = {}
    for device in ("cpu", "cuda"):
        x, w1, w2 = [tg.tensor(a, device=device) for a in arrays]
        w1.requires_grad_(), w2.requires_grad_()
        loss = _mlp_loss(x, w1, w2, tg.tensor(labels, device=device))
        loss.backward()
        results[device] = (loss.item(), w1.grad.cpu().numpy(), w2.grad.cpu().numpy())
    assert results["cuda"][0] == pytest.approx(results["cpu"][0], rel=1e-5)
    for a, b in zip(results["cuda"][1:], results["cpu"][1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_to_device_round_trip_keeps_gradient():
    x = tg.randn(3, 4, requires_grad=True)
    y = (x.cuda() * 2).sum()
    assert y.device.type == "cuda"
    y.backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="cpu.*cuda|cuda.*cpu"):
        tg.ones(2) + tg.ones(2, device="cuda")


def test_elementwise_and_reductions_match_cpu():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 5)).astype(np.float32)
    for fn in (
        lambda t: t.exp().sum(1),
        lambda t: t.tanh().mean(),
        lambda t: t.softmax(-1),
        lambda t: t.gelu(),
        lambda t: t[1:, ::2].amax(0),
        lambda t: t.gather(1, tg.tensor([[0], [1], [2], [3]], device=t.device)),
    ):
        cpu = fn(tg.tensor(a)).numpy()
        gpu = fn(tg.tensor(a, device="cuda")).cpu().numpy()
        np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-6)
