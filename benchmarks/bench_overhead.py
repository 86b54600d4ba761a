"""Per-op overhead: a long chain of tiny elementwise ops, forward and backward.

x is (16, 16) float32; one iteration applies ``y = (y * 1.0001 + 0.0001).tanh()`` 200 times
(600 graph nodes) and backpropagates ``y.sum()``. The arrays are so small that the time is
almost all Python and graph bookkeeping, which is what this measures. Target: tensorgrad
at most half of PyTorch's time (PyTorch pays C++ dispatch per op; we pay NumPy's).
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

SHAPE = (16, 16)
DEPTH = 200


def _x0() -> np.ndarray:
    return np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)


def setup_tg():
    import tensorgrad as tg

    x = tg.tensor(_x0(), requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(DEPTH):
            y = (y * 1.0001 + 0.0001).tanh()
        y.sum().backward()

    def check():
        step()
        return float(x.grad.array.sum())

    return step, check


def setup_torch():
    import torch

    x = torch.tensor(_x0(), requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(DEPTH):
            y = (y * 1.0001 + 0.0001).tanh()
        y.sum().backward()

    def check():
        step()
        return float(x.grad.sum())

    return step, check


BENCH = _harness.Benchmark(
    name="overhead",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=0.5,
    full=_harness.Settings(iters=10, warmup=20, repeats=5, rounds=15),
    quick=_harness.Settings(iters=3, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
