"""Random draws: seed, initialise a 1024x1024 Linear weight, draw a batch, drop out, shuffle.

One iteration is what a training script draws around a step: ``manual_seed(0)``, a
Kaiming-uniform fill of a (1024, 1024) float32 weight (``uniform_``), ``randn(512, 1024)``,
``dropout(p=0.1)`` of it, and ``randperm(60000)`` (an MNIST epoch's order). tensorgrad draws
PyTorch's stream (``tensorgrad/random_stream.py``), so the check, the sum of everything drawn,
is equal in the two libraries. Target ratio 1.0.
"""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

BOUND = 1.0 / math.sqrt(1024)


def _setup(lib, functional):
    weight = lib.empty(1024, 1024)

    def draws():
        lib.manual_seed(0)
        weight.uniform_(-BOUND, BOUND)
        x = lib.randn(512, 1024)
        return weight, functional.dropout(x, 0.1), lib.randperm(60000)

    def check():
        w, d, order = draws()
        return float(w.double().sum() + d.double().sum() + order[:100].double().sum())

    return draws, check


def setup_tg():
    import tensorgrad as tg

    return _setup(tg, tg.nn.functional)


def setup_torch():
    import torch

    return _setup(torch, torch.nn.functional)


BENCH = _harness.Benchmark(
    name="random",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=1.0,
    full=_harness.Settings(iters=10, warmup=5, repeats=5, rounds=9),
    quick=_harness.Settings(iters=2, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
