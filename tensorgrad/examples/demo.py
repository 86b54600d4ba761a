"""A small end-to-end training run: a two-layer MLP learns to separate two interleaved spirals.

Everything is tensorgrad's own Tensor and autograd; the SGD-with-momentum step is written out
on the parameters, since the optimizers arrive with ``tensorgrad.optim``.

    python -m tensorgrad.examples.demo
"""

from __future__ import annotations

import math
import time

import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F


def spirals(n_per_class: int = 500, noise: float = 0.2, seed: int = 0):
    """Two interleaved spirals in the plane: points (n, 2) float32 and labels (n,) int64."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n_per_class)) * 3 * math.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * math.pi)
    jitter = rng.normal(0, 2 * noise / (3 * math.pi), (2 * n_per_class, 2))
    points = np.concatenate([arm, -arm]) + jitter
    labels = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.int64)
    return points.astype(np.float32), labels


def init_linear(fan_in: int, fan_out: int):
    """PyTorch's Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    bound = 1 / math.sqrt(fan_in)
    w = tg.rand(fan_out, fan_in) * (2 * bound) - bound
    b = tg.rand(fan_out) * (2 * bound) - bound
    return w.requires_grad_(), b.requires_grad_()


def main(epochs: int = 200, batch_size: int = 64, lr: float = 0.1, momentum: float = 0.9) -> float:
    tg.manual_seed(0)
    x_np, y_np = spirals()
    x, y = tg.tensor(x_np), tg.tensor(y_np)
    params = [*init_linear(2, 64), *init_linear(64, 64), *init_linear(64, 2)]
    velocity = [np.zeros_like(p.data) for p in params]

    def forward(inputs):
        w1, b1, w2, b2, w3, b3 = params
        h = F.linear(inputs, w1, b1).tanh()
        h = F.linear(h, w2, b2).tanh()
        return F.linear(h, w3, b3)

    n = len(x)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = tg.randperm(n)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(forward(x[idx]), y[idx])
            loss.backward()
            with tg.no_grad():
                for p, v in zip(params, velocity):
                    v *= momentum
                    v += p.grad.data
                    p.data -= lr * v
                    p.grad = None
            total += loss.item() * len(idx)
        if epoch % 20 == 0 or epoch == 1:
            with tg.no_grad():
                accuracy = (forward(x).argmax(1) == y).float().mean().item()
            bar = "#" * int(30 * epoch / epochs)
            print(f"epoch {epoch:3d}/{epochs} [{bar:<30}] loss {total / n:.4f}  acc {accuracy:.3f}")
    print(f"trained in {time.perf_counter() - start:.1f}s")
    return accuracy


if __name__ == "__main__":
    main()
