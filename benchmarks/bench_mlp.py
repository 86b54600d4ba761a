"""MLP training step: 784-512-512-10 ReLU MLP, batch 128, float32.

One iteration is forward, cross-entropy, backward, and an SGD-with-momentum update written
by hand on the raw arrays (``buf = momentum * buf + grad; p -= lr * buf``), so the optimizer
classes of neither library are measured. Both start from the same weights and batch. Most of
the time is in matmuls (BLAS in both); the target is a ratio of at most 0.9.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
MOMENTUM = 0.9


def _init() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Kaiming-normal weights (out, in), zero biases, one fixed batch."""
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        w = rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
        params += [w.astype(np.float32), np.zeros(fan_out, dtype=np.float32)]
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH).astype(np.int64)
    return params, x, y


def setup_tg():
    import tensorgrad as tg
    import tensorgrad.nn.functional as F

    arrays, x_np, y_np = _init()
    params = [tg.tensor(a, requires_grad=True) for a in arrays]
    bufs = [np.zeros_like(a) for a in arrays]
    x, y = tg.tensor(x_np), tg.tensor(y_np)
    w1, b1, w2, b2, w3, b3 = params

    def loss():
        h = (x @ w1.T + b1).relu()
        h = (h @ w2.T + b2).relu()
        return F.cross_entropy(h @ w3.T + b3, y)

    def step():
        loss().backward()
        for p, buf in zip(params, bufs, strict=True):
            buf *= MOMENTUM
            buf += p.grad.array
            data = p.array
            data -= LR * buf
            p.grad = None

    def check():
        return float(loss().array)

    return step, check


def setup_torch():
    import torch
    import torch.nn.functional as F

    arrays, x_np, y_np = _init()
    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    bufs = [torch.zeros_like(p) for p in params]
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    w1, b1, w2, b2, w3, b3 = params

    def loss():
        h = (x @ w1.T + b1).relu()
        h = (h @ w2.T + b2).relu()
        return F.cross_entropy(h @ w3.T + b3, y)

    def step():
        loss().backward()
        with torch.no_grad():
            for p, buf in zip(params, bufs, strict=True):
                buf.mul_(MOMENTUM).add_(p.grad)
                p.data.sub_(LR * buf)
                p.grad = None

    def check():
        with torch.no_grad():
            return float(loss())

    return step, check


BENCH = _harness.Benchmark(
    name="mlp",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=0.9,
    full=_harness.Settings(iters=10, warmup=20, repeats=5, rounds=15),
    quick=_harness.Settings(iters=3, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
