"""The digits CNN of ``make demo``, trained data-parallel on several processes.

    mpiexec -n 2 python examples/ddp_digits.py            # 2 ranks, the demo's numbers, 5 s
    mpiexec -n 2 python examples/ddp_digits.py --tiny     # 1 epoch on a subset (CI)
    python examples/ddp_digits.py                         # also runs alone, as a job of one

Every rank builds the same model (``DistributedDataParallel`` broadcasts rank 0's weights),
reads its own share of each epoch through ``DistributedSampler`` and averages gradients with
the others after every backward, so ``--batch-size`` is the global batch: each of N ranks takes
``batch_size / N`` samples a step, and the run follows the single-process one. ``fit`` prints and
saves the checkpoint on rank 0 only; rank 0 then reports the test accuracy. Set
``OMP_NUM_THREADS`` so that ranks x threads does not exceed the cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import tensorgrad as tg
import tensorgrad.distributed as dist
from tensorgrad import nn
from tensorgrad.data import DataLoader, Subset, random_split
from tensorgrad.datasets import Digits
from tensorgrad.training import evaluate, fit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_cnn import DigitsCNN


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32, help="global batch (all ranks)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join("runs", "ddp_digits"), help="output folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.tgc")
    p.add_argument("--tiny", action="store_true", help="1 epoch on a 300-image subset (CI)")
    p.add_argument("--backend", default="mpi", help="'mpi' (CPU) or 'nccl' (a GPU per rank)")
    p.add_argument("--timeout", type=float, default=300, help="seconds a collective may wait")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.perf_counter()
    dist.init_process_group(args.backend, timeout=args.timeout)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = "cuda" if args.backend == "nccl" else "cpu"
    if args.batch_size % world:
        raise ValueError(f"--batch-size {args.batch_size} is not a multiple of {world} ranks")
    tg.manual_seed(args.seed)  # the same on every rank: same dropout stream, same init
    dataset = Digits()
    if args.tiny:
        args.epochs = 1
        dataset = Subset(dataset, range(300))
    split = tg.Generator().manual_seed(1234)
    train_set, val_set, test_set = random_split(dataset, [0.7, 0.15, 0.15], generator=split)
    if rank == 0:
        print(
            f"ddp_digits: {world} ranks x {args.batch_size // world} images a step; "
            f"{len(train_set)} train / {len(val_set)} val / {len(test_set)} test images"
        )

    train_loader = DataLoader(
        train_set,
        batch_size=args.batch_size // world,
        sampler=dist.DistributedSampler(train_set, shuffle=True, seed=args.seed),
        device=device,
    )
    val_loader = DataLoader(
        val_set,
        batch_size=256,
        sampler=dist.DistributedSampler(val_set, shuffle=False),
        device=device,
    )
    model = dist.DistributedDataParallel(DigitsCNN().to(device))
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = tg.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint.tgc")
    if rank == 0 and not args.resume and os.path.exists(ckpt):
        os.remove(ckpt)
    dist.barrier()  # nobody looks for the checkpoint before rank 0 removed a stale one
    history = fit(
        model,
        train_loader,
        nn.CrossEntropyLoss(),
        optimizer,
        args.epochs,
        val_loader=val_loader,
        scheduler=scheduler,
        checkpoint=ckpt,
        resume=args.resume,
    )
    result = {"history": history, "checkpoint": ckpt, "rank": rank, "world_size": world}
    if rank == 0:  # local work only: no collective may run on one rank alone
        test = evaluate(
            model.module, DataLoader(test_set, batch_size=256, device=device), nn.CrossEntropyLoss()
        )
        print(
            f"test loss {test['loss']:.4f} - test accuracy {test['accuracy']:.4f} "
            f"({time.perf_counter() - start:.1f}s on {world} ranks)"
        )
        result.update(test_loss=test["loss"], test_accuracy=test["accuracy"])
    dist.destroy_process_group()
    return result


if __name__ == "__main__":
    main()
