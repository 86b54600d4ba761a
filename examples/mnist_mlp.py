"""An MLP on MNIST (or Fashion-MNIST) read from the standard IDX files in ``--root``.

``--root`` must hold ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (optionally gzipped; see
``tensorgrad.datasets.MNIST``). Nothing is downloaded. 10% of the training set is held out for
validation; the test set is evaluated at the end, and a checkpoint and a curve PNG are written
into ``--out``.

    python examples/mnist_mlp.py --root ~/data/mnist   # 5 epochs: 10 s on a 2-core AMD EPYC
    python examples/mnist_mlp.py --root ~/data/fashion --fashion
    python examples/mnist_mlp.py --root DIR --tiny     # 1 epoch on at most 512 images (CI)
"""

from __future__ import annotations

import argparse
import os

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.data import DataLoader, Subset, random_split
from tensorgrad.datasets import MNIST, FashionMNIST
from tensorgrad.training import evaluate, fit


def mlp(hidden: int = 256, dropout: float = 0.1) -> nn.Module:
    """(N, 28, 28) or (N, 1, 28, 28) images -> (N, 10) logits: 784 -> hidden -> hidden -> 10."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, 10),
    )


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", required=True, help="folder with the four IDX files")
    p.add_argument(
        "--fashion", action="store_true", help="the files are Fashion-MNIST (same format)"
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "mnist"), help="output folder")
    p.add_argument("--tiny", action="store_true", help="1 epoch on at most 512 images (CI)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Train and test; returns ``{'test_loss', 'test_accuracy', 'history', 'checkpoint',
    'plot'}``."""
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    cls = FashionMNIST if args.fashion else MNIST
    try:
        train_full, test_set = cls(args.root, train=True), cls(args.root, train=False)
    except FileNotFoundError as e:  # the first thing a new user meets: a message, no traceback
        raise SystemExit(f"error: {e}") from None
    if args.tiny:
        args.epochs = 1
        train_full = Subset(train_full, range(min(512, len(train_full))))
        test_set = Subset(test_set, range(min(512, len(test_set))))
    train_set, val_set = random_split(train_full, [0.9, 0.1])
    print(f"{cls.__name__}: {len(train_set)} train / {len(val_set)} val / {len(test_set)} test")

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=1024)
    model = mlp(args.hidden)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint.tgc")
    history = fit(
        model, train_loader, loss_fn, optimizer, args.epochs, val_loader=val_loader, checkpoint=ckpt
    )
    test = evaluate(model, DataLoader(test_set, batch_size=1024), loss_fn)
    plot = os.path.join(args.out, "curves.png")
    history.plot(plot)
    print(f"test loss {test['loss']:.4f} - test accuracy {test['accuracy']:.4f}")
    print(f"saved {ckpt} and {plot}")
    return {
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "history": history,
        "checkpoint": ckpt,
        "plot": plot,
    }


if __name__ == "__main__":
    main()
