"""The demo (``make demo``): a small CNN learns the 8x8 digits shipped with tensorgrad.

1,797 images split 70/15/15 into train/validation/test sets; ``tensorgrad.training.fit`` trains
with Adam and a cosine learning-rate schedule, showing a progress bar (on a terminal) and one
line per epoch with the train/validation loss and accuracy. The script then reports the test
accuracy and writes into ``--out`` (default ``runs/digits/``):

- ``checkpoint.tgc``: model, optimizer, scheduler, epoch and RNG state after the last epoch
  (``tensorgrad.checkpoint``; ``--resume`` continues from it);
- ``curves.png``: the loss, accuracy and learning-rate curves (``History.plot``).

    python examples/digits_cnn.py                 # 20 epochs: 5 s on 2 cores (+6 s once: compiling)
    python examples/digits_cnn.py --tiny          # 1 epoch on a subset, for CI
    python examples/digits_cnn.py --device cuda   # on the GPU (needs CuPy)
"""

from __future__ import annotations

import argparse
import os
import time

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.checkpoint import load_checkpoint
from tensorgrad.data import DataLoader, Subset, random_split
from tensorgrad.datasets import Digits
from tensorgrad.training import evaluate, fit


class DigitsCNN(nn.Module):
    """(N, 1, 8, 8) images (or (N, 64) rows) -> (N, 10) logits.

    conv3x3(32) ReLU maxpool -> conv3x3(64) ReLU maxpool -> linear(256 -> 128) ReLU dropout
    -> linear(128 -> 10); padding 1 keeps the 8x8 and 4x4 maps, pooling halves them."""

    def __init__(self, dropout: float = 0.2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 2 * 2, 128),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x.reshape(-1, 1, 8, 8)))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "digits"), help="output folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.tgc")
    p.add_argument("--no-progress", action="store_true", help="plain log lines, no bar")
    p.add_argument("--tiny", action="store_true", help="1 epoch on a 300-image subset (CI)")
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda' (needs CuPy and a GPU)")
    p.add_argument("--compile", action="store_true", help="replay each step (tg.compile)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Train and test; returns ``{'test_loss', 'test_accuracy', 'history', 'checkpoint',
    'plot'}``."""
    args = parse_args(argv)
    start = time.perf_counter()
    tg.manual_seed(args.seed)
    dataset = Digits()
    if args.tiny:
        args.epochs = 1
        dataset = Subset(dataset, range(300))
    # a fixed split, independent of --seed, so runs are comparable
    split = tg.Generator().manual_seed(1234)
    train_set, val_set, test_set = random_split(dataset, [0.7, 0.15, 0.15], generator=split)
    print(f"digits: {len(train_set)} train / {len(val_set)} val / {len(test_set)} test images")

    device = args.device
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, device=device)
    val_loader = DataLoader(val_set, batch_size=256, device=device)
    test_loader = DataLoader(test_set, batch_size=256, device=device)

    model = DigitsCNN().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = tg.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint.tgc")
    if not args.resume and os.path.exists(ckpt):
        os.remove(ckpt)  # a fresh run starts from scratch
    history = fit(
        model,
        train_loader,
        loss_fn,
        optimizer,
        args.epochs,
        val_loader=val_loader,
        scheduler=scheduler,
        checkpoint=ckpt,
        resume=args.resume,
        progress=not args.no_progress,
        compile=args.compile,
    )
    if not os.path.exists(ckpt):  # nothing trained in this run (e.g. resumed a finished one)
        raise RuntimeError(f"digits_cnn: no checkpoint was written to {ckpt!r}")
    load_checkpoint(ckpt, model)  # what was saved is what gets tested
    test = evaluate(model, test_loader, loss_fn)
    plot = os.path.join(args.out, "curves.png")
    history.plot(plot)
    print(f"test loss {test['loss']:.4f} - test accuracy {test['accuracy']:.4f}")
    print(f"saved {ckpt} and {plot} ({time.perf_counter() - start:.1f}s)")
    return {
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "history": history,
        "checkpoint": ckpt,
        "plot": plot,
    }


if __name__ == "__main__":
    main()
