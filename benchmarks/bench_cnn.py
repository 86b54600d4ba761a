"""CNN training step: two conv + ReLU + max-pool blocks and an MLP head, batch 64 of 1x28x28.

Conv2d(1, 32, 3, padding=1) + ReLU + MaxPool2d(2), Conv2d(32, 64, 3, padding=1) + ReLU +
MaxPool2d(2), Flatten, Linear(3136, 128) + ReLU, Linear(128, 10), cross-entropy, backward,
then an Adam step (lr 1e-3), float32: what training does. Both libraries build the model from
their own ``nn`` layers, load the same weights with ``load_state_dict`` and take the same
batch. PyTorch runs its convolutions through oneDNN; tensorgrad does im2col and one GEMM per
convolution and per gradient (col2im, the 2x2 max pooling and its gradient, ReLU and Adam as
numba kernels when the fast extra is installed; im2col stays a NumPy copy). Target: PyTorch's
speed.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

BATCH = 64
LR = 1e-3


def _data() -> tuple[dict, np.ndarray, np.ndarray]:
    """Weights drawn as PyTorch's default initialisation draws them (U(-b, b), b =
    1/sqrt(fan_in), for weights and biases alike), keyed as both state dicts, and one batch.
    Made with NumPy so that the tensorgrad worker never imports torch."""
    rng = np.random.default_rng(0)
    shapes = {
        "0.weight": (32, 1, 3, 3),
        "0.bias": (32,),
        "3.weight": (64, 32, 3, 3),
        "3.bias": (64,),
        "7.weight": (128, 3136),
        "7.bias": (128,),
        "9.weight": (10, 128),
        "9.bias": (10,),
    }
    state = {}
    for name, shape in shapes.items():
        weight = shapes[name.replace("bias", "weight")]
        bound = 1 / np.sqrt(np.prod(weight[1:]))
        state[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=BATCH).astype(np.int64)
    return state, x, y


def _model(nn):
    """The same architecture from either library's ``nn`` module."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3136, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def setup_tg(compile_model: bool = False):
    """The step; ``compile_model``: with ``tg.compile(model)`` (bench_compile.py)."""
    import tensorgrad as tg
    import tensorgrad.nn.functional as F

    state, x_np, y_np = _data()
    model = _model(tg.nn)
    model.load_state_dict(state)
    if compile_model:
        tg.compile(model)
    opt = tg.optim.Adam(model.parameters(), lr=LR)
    x, y = tg.tensor(x_np), tg.tensor(y_np)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def check():  # the loss after one step from the shared initial weights
        step()
        with tg.no_grad():
            return float(F.cross_entropy(model(x), y).array)

    return step, check


def setup_torch():
    import torch
    import torch.nn.functional as F

    state, x_np, y_np = _data()
    model = _model(torch.nn)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def check():
        step()
        with torch.no_grad():
            return float(F.cross_entropy(model(x), y))

    return step, check


BENCH = _harness.Benchmark(
    name="cnn",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=1.0,
    full=_harness.Settings(iters=5, warmup=10, repeats=3, rounds=15),
    quick=_harness.Settings(iters=2, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
