"""See inside training: pictures of the backward graph, with parameter names and gradient norms.

Trains a small MLP on the 8x8 digits (datasets.Digits) for a few steps, and on the last step
draws the graph that ``loss.backward()`` walks (``tensorgrad.viz.draw_graph``): every node with
its output shape and dtype, every parameter by name, and the norm of the gradient that flowed
through each.
Then it draws a 6-layer GPT (the model of ``benchmarks/bench_gpt.py``, at a small width) with
its repeated transformer blocks collapsed into one box each. Writes into ``--out`` (default
``runs/see_inside/``):

- ``mlp_graph.png``, ``mlp_graph.svg``, ``mlp_graph.dot``: the MLP's graph;
- ``gpt_graph.png``, ``gpt_graph.svg``, ``gpt_graph.dot``: the collapsed GPT graph.

The ``.dot`` files need nothing installed; the pictures need Graphviz (``apt-get install
graphviz`` and ``pip install graphviz``) and are skipped, with a note, without it.

    python examples/see_inside.py            # 200 steps: 3 s on a 2-core AMD EPYC
    python examples/see_inside.py --tiny     # 3 steps, for CI
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np

import tensorgrad as tg
from tensorgrad import nn, viz
from tensorgrad.data import DataLoader
from tensorgrad.datasets import Digits

BENCH_GPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpt.py"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "see_inside"), help="output folder")
    p.add_argument("--tiny", action="store_true", help="3 steps (CI)")
    return p.parse_args(argv)


def can_render() -> bool:
    """Whether Graphviz (its ``dot`` program and the Python package) is installed."""
    return shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None


def save(graph: viz.Graph, out: str, name: str) -> list:
    """Write ``name``.dot always, and ``name``.png and ``.svg`` where Graphviz is installed."""
    paths = [os.path.join(out, f"{name}.dot")]
    Path(paths[0]).write_text(graph.source)
    if can_render():
        paths += [graph.render(os.path.join(out, f"{name}.{ext}")) for ext in ("png", "svg")]
    return paths


def train_mlp(args) -> tuple:
    """A few SGD steps of a 64-32-10 MLP; the last one is drawn. Returns (model, losses, graph)."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = tg.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loader = DataLoader(Digits("train"), batch_size=args.batch_size, shuffle=True)
    losses, graph, step = [], None, 0
    while step < args.steps:
        for x, y in loader:
            step += 1
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            if step == args.steps:  # draw before backward, so the hooks see the gradients
                graph = viz.draw_graph(loss, dict(model.named_parameters()), show_grads=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if step == args.steps:
                break
    return model, losses, graph


def gpt_graph(layers: int = 6) -> viz.Graph:
    """One forward and backward of bench_gpt's GPT at width 16, drawn with blocks collapsed."""
    spec = importlib.util.spec_from_file_location("bench_gpt", BENCH_GPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    vocab, context = 17, 8
    model = bench.build(tg, vocab=vocab, context=context, layers=layers, d_model=16, heads=2)()
    rng = np.random.default_rng(0)
    idx = tg.tensor(rng.integers(0, vocab, (2, context)))
    targets = tg.tensor(rng.integers(0, vocab, (2, context)))
    future = tg.tensor(np.triu(np.ones((context, context), dtype=bool), 1))
    with viz.trace(model):  # records which block ran each op: only inside this block
        loss = model(idx, tg.arange(context), future, targets)
    graph = viz.draw_graph(loss, show_grads=True, collapse=True)
    loss.backward()
    return graph


def sigmoid_grad_report(args, steps: int = 20) -> tg.utils.GradReport:
    """A few SGD steps of a deep sigmoid MLP (six 64-wide layers), and its gradient report.

    Each sigmoid passes back at most 1/4 of the gradient (its slope is s(1 - s) <= 1/4), so the
    first layers get ten thousand times less gradient than the last and barely move: flagged
    ``vanishing``. Each step of lr 0.5 moves the last layer's weights by a fifth of their
    norm: an ``exploding`` update ratio. ``track_updates`` measures every step's update/weight
    ratio."""
    layers = [nn.Flatten()]
    for _ in range(6):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(64, 10))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.5)
    updates = tg.utils.track_updates(optimizer)
    loader = DataLoader(Digits("train"), batch_size=args.batch_size, shuffle=True)
    for step, (x, y) in enumerate(loader, 1):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        if step == min(steps, args.steps):
            break
    return tg.utils.grad_report(model, updates)


def main(argv=None) -> dict:
    """Train, draw, save; returns ``{'losses', 'files', 'mlp_graph', 'gpt_graph'}``."""
    args = parse_args(argv)
    if args.tiny:
        args.steps = 3
    tg.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    model, losses, mlp = train_mlp(args)
    print(f"MLP: {len(losses)} steps, loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    files = save(mlp, args.out, "mlp_graph")

    # the gradient-flow report of a deep sigmoid MLP: which layers learn, and how fast
    report = sigmoid_grad_report(args)
    print(report)
    files += [os.path.join(args.out, name) for name in ("grad_report.png", "grad_report.txt")]
    report.plot(files[-2], title="gradient flow: 6 sigmoid layers on Digits, SGD lr 0.5")
    Path(files[-1]).write_text(str(report) + "\n")

    gpt = gpt_graph()
    files += save(gpt, args.out, "gpt_graph")
    if not can_render():
        print(
            "Graphviz not installed (apt-get install graphviz; pip install graphviz): "
            "wrote the .dot files only"
        )
    print("wrote " + ", ".join(files))
    return {"losses": losses, "files": files, "mlp_graph": mlp, "gpt_graph": gpt}


if __name__ == "__main__":
    main()
