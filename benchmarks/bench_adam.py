"""Adam step: one optimizer step over the mlp benchmark's parameters, float32.

The parameters are those of ``bench_mlp`` (784-512-512-10 weights and biases, about 670k
numbers) with fixed random gradients set once, so one iteration is ``Adam.step()`` alone: the
optimizer's own cost, tensorgrad's ``tg.optim.Adam`` against ``torch.optim.Adam`` with its
default implementation choice (foreach where PyTorch picks it; on the CPU it runs the
per-tensor loop). Both update in place; the check is the parameters' sum after one step from
the same state. Elementwise work bound by memory traffic: target ratio 0.8 (one numba pass
over all parameters against its per-tensor loop).
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness
import bench_mlp

LR = 1e-3


def _init() -> tuple[list[np.ndarray], list[np.ndarray]]:
    params, _, _ = bench_mlp._init()
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(p.shape).astype(np.float32) * 1e-2 for p in params]
    return params, grads


def setup_tg():
    import tensorgrad as tg

    arrays, grads = _init()
    params = [tg.tensor(a, requires_grad=True) for a in arrays]
    for p, g in zip(params, grads, strict=True):
        p.grad = tg.tensor(g)
    opt = tg.optim.Adam(params, lr=LR)

    def check():
        opt.step()
        return float(sum(float(p.array.sum(dtype=np.float64)) for p in params))

    return opt.step, check


def setup_torch():
    import torch

    arrays, grads = _init()
    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.Adam(params, lr=LR)

    def check():
        opt.step()
        with torch.no_grad():
            return float(sum(float(p.double().sum()) for p in params))

    return opt.step, check


BENCH = _harness.Benchmark(
    name="adam",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=0.8,
    full=_harness.Settings(iters=20, warmup=20, repeats=5, rounds=15),
    quick=_harness.Settings(iters=5, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
