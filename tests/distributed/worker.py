"""The rank side of the distributed tests: ``mpiexec -n N python worker.py SCENARIO OUTDIR``.

Each scenario runs on every rank and writes what the test checks into OUTDIR (``rank{r}.npz``
or ``rank{r}.json``); the pytest side (test_*.py beside this file) launches the job and compares.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

import tensorgrad as tg
import tensorgrad.distributed as dist
from tensorgrad import nn
from tensorgrad.data import DataLoader, TensorDataset
from tensorgrad.optim import SGD

STEPS, PER_RANK_BATCH, FEATURES, CLASSES = 20, 8, 6, 3


def mlp(seed: int) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(FEATURES, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, CLASSES)
    ).double()


def global_batches(world: int) -> list:
    """STEPS batches of world * PER_RANK_BATCH samples, the same on every rank."""
    rng = np.random.default_rng(1234)
    n = world * PER_RANK_BATCH
    return [(rng.standard_normal((n, FEATURES)), rng.integers(0, CLASSES, n)) for _ in range(STEPS)]


def train_reference(world: int) -> dict:
    """One process, the concatenated batch: what DDP on ``world`` ranks must reproduce."""
    model = mlp(0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for x, y in global_batches(world):
        opt.zero_grad()
        loss_fn(model(tg.tensor(x)), tg.tensor(y)).backward()
        opt.step()
    return {k: v.numpy() for k, v in model.state_dict().items()}


def _save(outdir: str, rank: int, arrays: dict) -> None:
    np.savez(os.path.join(outdir, f"rank{rank}.npz"), **arrays)


def scenario_ddp(outdir: str) -> None:
    """DDP over SGD with momentum; every rank starts from different weights (seed = rank) so the
    broadcast from rank 0 is part of what is tested. Small buckets: several per backward.
    argv[3] may name the backend ('nccl': the model and batches on the rank's GPU)."""
    backend = sys.argv[3] if len(sys.argv) > 3 else "mpi"
    device = "cuda" if backend == "nccl" else "cpu"
    dist.init_process_group(backend, timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    model = dist.DistributedDataParallel(mlp(rank).to(device), bucket_cap_mb=0.001)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    group = dist.process_group._group
    calls = []
    all_reduce = group.all_reduce

    def counting(array, op, what, then=None):
        calls.append(what)
        return all_reduce(array, op, what, then)

    group.all_reduce = counting
    lo, hi = rank * PER_RANK_BATCH, (rank + 1) * PER_RANK_BATCH
    per_step = []
    for x, y in global_batches(world):
        opt.zero_grad()
        calls.clear()
        xb, yb = tg.tensor(x[lo:hi], device=device), tg.tensor(y[lo:hi], device=device)
        loss_fn(model(xb), yb).backward()
        per_step.append(len(calls))
        opt.step()
    arrays = {k: v.cpu().numpy() for k, v in model.module.state_dict().items()}
    arrays["_collectives_per_step"] = np.array(per_step)
    arrays["_buckets"] = np.array(len(model._buckets))
    _save(outdir, rank, arrays)
    dist.destroy_process_group()


def scenario_no_sync(outdir: str) -> None:
    """Gradient accumulation: two half-batches per rank, the first under no_sync, each loss
    halved; must equal the plain DDP run (and so the single-process run)."""
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    model = dist.DistributedDataParallel(mlp(rank))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    lo, mid, hi = (
        rank * PER_RANK_BATCH,
        rank * PER_RANK_BATCH + PER_RANK_BATCH // 2,
        (rank + 1) * PER_RANK_BATCH,
    )
    for x, y in global_batches(world):
        opt.zero_grad()
        with model.no_sync():
            (loss_fn(model(tg.tensor(x[lo:mid])), tg.tensor(y[lo:mid])) / 2).backward()
        (loss_fn(model(tg.tensor(x[mid:hi])), tg.tensor(y[mid:hi])) / 2).backward()
        opt.step()
    _save(outdir, rank, {k: v.numpy() for k, v in model.module.state_dict().items()})


def bn_model(norm) -> nn.Module:
    tg.manual_seed(0)
    return nn.Sequential(
        nn.Linear(FEATURES, 16), norm(16), nn.ReLU(), nn.Linear(16, CLASSES)
    ).double()


def train_bn_reference(world: int) -> dict:
    """BatchNorm1d in one process on the concatenated batch."""
    model = bn_model(nn.BatchNorm1d)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in global_batches(world):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(tg.tensor(x)), tg.tensor(y)).backward()
        opt.step()
    return {k: v.numpy() for k, v in model.state_dict().items()}


def scenario_syncbn(outdir: str) -> None:
    """SyncBatchNorm (through convert_sync_batchnorm) under DDP equals BatchNorm on the
    concatenated batch: parameters and running statistics."""
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    model = dist.SyncBatchNorm.convert_sync_batchnorm(bn_model(nn.BatchNorm1d))
    assert isinstance(model[1], dist.SyncBatchNorm)
    model = dist.DistributedDataParallel(model)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    lo, hi = rank * PER_RANK_BATCH, (rank + 1) * PER_RANK_BATCH
    for x, y in global_batches(world):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(tg.tensor(x[lo:hi])), tg.tensor(y[lo:hi])).backward()
        opt.step()
    _save(outdir, rank, {k: v.numpy() for k, v in model.module.state_dict().items()})


def scenario_collectives(outdir: str) -> None:
    """Every collective and reduce op against the value computed by hand."""
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {}

    def value(r, dtype=np.float64):
        return (np.arange(6).reshape(2, 3) + 10 * r).astype(dtype)

    every = [value(r) for r in range(world)]
    for op, expect in (
        (dist.ReduceOp.SUM, sum(every)),
        (dist.ReduceOp.AVG, sum(every) / world),
        (dist.ReduceOp.MAX, np.maximum.reduce(every)),
        (dist.ReduceOp.MIN, np.minimum.reduce(every)),
    ):
        t = tg.tensor(value(rank))
        version = t._version
        dist.all_reduce(t, op=op)
        results[f"all_reduce_{op}"] = bool(np.array_equal(t.numpy(), expect))
        results[f"all_reduce_{op}_version"] = t._version > version
    for dtype in (np.float32, np.float16, np.int64):
        t = tg.tensor(value(rank, dtype))
        dist.all_reduce(t)
        ok = np.array_equal(t.numpy(), sum(value(r, dtype) for r in range(world)))
        results[f"all_reduce_{np.dtype(dtype).name}"] = bool(ok and t.numpy().dtype == dtype)
    # bfloat16 (MPI has none): reduced in float32, moved as its bits
    t = tg.tensor(value(rank, np.float32)).bfloat16()
    dist.all_reduce(t)
    expect = sum(value(r, np.float32) for r in range(world))
    results["all_reduce_bfloat16"] = t.dtype == tg.bfloat16 and bool(
        np.array_equal(t.float().numpy(), expect)
    )
    t = tg.tensor(value(rank, np.float32) + 0.5).bfloat16()
    dist.broadcast(t, src=world - 1)
    expect = (value(world - 1, np.float32) + 0.5).tolist()
    results["broadcast_bfloat16"] = t.dtype == tg.bfloat16 and t.float().tolist() == expect
    base = tg.tensor(np.arange(12.0).reshape(3, 4) + rank)
    view = base[:, ::2]  # not contiguous: reduced through a copy, written back into base
    dist.all_reduce(view)
    expect = sum(np.arange(12.0).reshape(3, 4)[:, ::2] + r for r in range(world))
    results["all_reduce_noncontiguous"] = bool(np.array_equal(base.numpy()[:, ::2], expect))
    t = tg.tensor(value(rank))
    dist.broadcast(t, src=world - 1)
    results["broadcast"] = bool(np.array_equal(t.numpy(), value(world - 1)))
    out = [tg.zeros(2, 3, dtype=tg.float64) for _ in range(world)]
    dist.all_gather(out, tg.tensor(value(rank)))
    results["all_gather"] = all(np.array_equal(o.numpy(), value(r)) for r, o in enumerate(out))
    inputs = [tg.tensor(value(rank) + 100 * i) for i in range(world)]
    y = tg.zeros(2, 3, dtype=tg.float64)
    dist.reduce_scatter(y, inputs)
    results["reduce_scatter"] = bool(
        np.array_equal(y.numpy(), sum(value(r) + 100 * rank for r in range(world)))
    )
    work = dist.all_reduce(tg.ones(3), async_op=True)
    results["async_op"] = work.wait() is True and work.is_completed()
    dist.barrier()
    try:
        dist.all_gather([tg.zeros(2)], tg.zeros(2))
        results["bad_list_raises"] = False
    except ValueError as e:
        results["bad_list_raises"] = "world_size=" in str(e)
    with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
        json.dump(results, f)
    dist.destroy_process_group()


def scenario_fit(outdir: str) -> None:
    """DDP + DistributedSampler + fit with a checkpoint: run for argv epochs, resuming when
    the checkpoint exists. Writes the parameters and each rank's sampled indices."""
    epochs = int(sys.argv[3])
    dist.init_process_group("mpi", timeout=60)
    rank = dist.get_rank()
    tg.manual_seed(0)
    rng = np.random.default_rng(7)
    x = tg.tensor(rng.standard_normal((45, FEATURES)))
    y = tg.tensor(rng.integers(0, CLASSES, 45))
    data = TensorDataset(x, y)
    sampler = dist.DistributedSampler(data, shuffle=True, seed=3)
    seen = []

    class Recording(TensorDataset):
        def __getitem__(self, i):
            seen.append(int(i) if np.ndim(i) == 0 else [int(j) for j in i])
            return super().__getitem__(i)

    loader = DataLoader(Recording(x, y), batch_size=4, sampler=sampler)
    model = dist.DistributedDataParallel(
        nn.Sequential(
            nn.Linear(FEATURES, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, CLASSES)
        ).double()
    )
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = tg.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    history = tg.training.fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        opt,
        epochs,
        val_loader=loader,
        scheduler=sched,
        checkpoint=os.path.join(outdir, "ckpt.tgc"),
        resume=True,
        progress=False,
    )
    arrays = {k: v.numpy() for k, v in model.module.state_dict().items()}
    arrays["_train_loss"] = np.array(history.train_loss)
    _save(outdir, rank, arrays)
    with open(os.path.join(outdir, f"seen{rank}.json"), "w") as f:
        json.dump(seen, f)
    dist.destroy_process_group()


def scenario_raise(outdir: str) -> None:
    """Rank 1 raises in its fifth step; the job must end, not hang."""
    dist.init_process_group("mpi", timeout=float(sys.argv[3]))
    rank, world = dist.get_rank(), dist.get_world_size()
    model = dist.DistributedDataParallel(mlp(0))
    opt = SGD(model.parameters(), lr=0.1)
    for step, (x, y) in enumerate(global_batches(world)):
        if rank == 1 and step == 4:
            raise ValueError("rank 1 failed on purpose in step 4")
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(tg.tensor(x)), tg.tensor(y)).backward()
        opt.step()


def scenario_skip(outdir: str) -> None:
    """Rank 1 leaves without its last collective (no exception): rank 0's wait times out with
    an error instead of hanging."""
    dist.init_process_group("mpi", timeout=float(sys.argv[3]))
    if dist.get_rank() == 0:
        dist.all_reduce(tg.ones(3))


if __name__ == "__main__":
    globals()[f"scenario_{sys.argv[1]}"](sys.argv[2])
