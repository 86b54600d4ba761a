"""bfloat16 training step: the MLP benchmark's 784-512-512-10 ReLU MLP, batch 128, as a bfloat16
model (``model.bfloat16()``), cross-entropy in float32, the library's SGD with momentum.

Both libraries draw the same initial weights and batch (tensorgrad draws PyTorch's stream), so
the check, the loss, agrees to bfloat16 rounding. tensorgrad computes each op in float32 and
rounds once (``Op.apply``), with BLAS in float32 after widening each weight; PyTorch runs its
bfloat16 GEMMs natively (AVX512-BF16 where the CPU has it). Target ratio 1.0.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness


def _setup(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    ).bfloat16()
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.randn(128, 784).to(lib.bfloat16)
    y = lib.randint(0, 10, (128,))

    def loss():
        return nn.functional.cross_entropy(model(x).float(), y)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()

    def check():
        with lib.no_grad():
            return float(loss())

    return step, check


def setup_tg():
    import tensorgrad

    return _setup(tensorgrad)


def setup_torch():
    import torch

    return _setup(torch)


BENCH = _harness.Benchmark(
    name="bf16",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=1.0,
    full=_harness.Settings(iters=10, warmup=10, repeats=5, rounds=9),
    quick=_harness.Settings(iters=3, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
