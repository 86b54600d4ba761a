"""Data-parallel scaling: the mlp workload on 1 process vs 2 (DDP), tensorgrad and PyTorch.

    python benchmarks/bench_ddp.py [--quick] [--rounds N]

The workload is bench_mlp's (784-512-512-10 ReLU MLP, float32, cross-entropy, SGD with
momentum through each library's optimizer class) with a global batch of 256: one process
takes all 256 samples a step; two processes (``mpiexec -n 2``, DistributedDataParallel) take 128
each and average gradients. Every process runs 1 BLAS thread, so 2 processes use 2 cores.
PyTorch runs the same with its DDP on the gloo backend (rendezvous on 127.0.0.1).

Reported per library: wall time per global batch on 1 and on 2 processes, the speedup
t1 / t2 and the scaling efficiency speedup / 2 (1.0 = perfect), each the median over rounds
that alternate tg-1, tg-2, torch-1, torch-2 so machine drift hits all four alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness
import bench_mlp

GLOBAL_BATCH = 256
RESULT_TAG = "DDP-RESULT "


def _batch(rank: int, world: int) -> tuple[list, np.ndarray, np.ndarray]:
    """The weights of bench_mlp and this rank's share of a fixed global batch."""
    params, _, _ = bench_mlp._init()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((GLOBAL_BATCH, bench_mlp.SIZES[0])).astype(np.float32)
    y = rng.integers(0, bench_mlp.SIZES[-1], GLOBAL_BATCH).astype(np.int64)
    share = GLOBAL_BATCH // world
    return params, x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share]


def setup_tg(rank: int, world: int):
    import tensorgrad as tg
    import tensorgrad.distributed as dist
    from tensorgrad import nn

    arrays, x_np, y_np = _batch(rank, world)
    sizes = bench_mlp.SIZES
    model = nn.Sequential(
        nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]), nn.ReLU(),
        nn.Linear(sizes[2], sizes[3]),
    )  # fmt: skip
    for p, a in zip(model.parameters(), arrays):
        p.array[...] = a
    if world > 1:
        dist.init_process_group("mpi", timeout=120)
        model = dist.DistributedDataParallel(model)
    opt = tg.optim.SGD(model.parameters(), lr=bench_mlp.LR, momentum=bench_mlp.MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    x, y = tg.tensor(x_np), tg.tensor(y_np)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    barrier = dist.barrier if world > 1 else (lambda: None)
    return step, barrier


def setup_torch(rank: int, world: int, port: int):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    arrays, x_np, y_np = _batch(rank, world)
    sizes = bench_mlp.SIZES
    model = torch.nn.Sequential(
        torch.nn.Linear(sizes[0], sizes[1]), torch.nn.ReLU(), torch.nn.Linear(sizes[1], sizes[2]),
        torch.nn.ReLU(), torch.nn.Linear(sizes[2], sizes[3]),
    )  # fmt: skip
    with torch.no_grad():
        for p, a in zip(model.parameters(), arrays):
            p.copy_(torch.from_numpy(a))
    if world > 1:
        dist.init_process_group(
            "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
        )
        model = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=bench_mlp.LR, momentum=bench_mlp.MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    barrier = dist.barrier if world > 1 else (lambda: None)
    return step, barrier


def worker(lib: str, port: int, settings: _harness.Settings) -> None:
    """One rank: time ``settings.repeats`` runs of ``iters`` steps, all ranks starting each
    run together; rank 0 prints the best seconds per global batch."""
    rank = int(os.environ.get("PMI_RANK", 0))
    world = int(os.environ.get("PMI_SIZE", 1))
    step, barrier = setup_tg(rank, world) if lib == "tg" else setup_torch(rank, world, port)
    for _ in range(settings.warmup):
        step()
    best = float("inf")
    for _ in range(settings.repeats):
        barrier()
        start = time.perf_counter()
        for _ in range(settings.iters):
            step()
        barrier()  # the slowest rank decides
        best = min(best, (time.perf_counter() - start) / settings.iters)
    if rank == 0:
        print(RESULT_TAG + json.dumps({"sec_per_batch": best}), flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(lib: str, world: int, settings: _harness.Settings) -> float:
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or "mpiexec"
    cmd = [
        mpiexec, "-n", str(world), sys.executable, __file__, "--worker", lib,
        "--port", str(_free_port()), "--iters", str(settings.iters),
        "--warmup", str(settings.warmup), "--repeats", str(settings.repeats),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=_harness.worker_env(1), capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])["sec_per_batch"]
    raise RuntimeError(f"{lib} on {world} processes failed:\n{proc.stdout}\n{proc.stderr}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds and iterations (smoke)")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--worker", choices=["tg", "torch"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.port, _harness.Settings(args.iters, args.warmup, args.repeats, 1))
        return 0
    settings = (
        _harness.Settings(iters=3, warmup=1, repeats=2, rounds=2)
        if args.quick
        else _harness.Settings(iters=10, warmup=5, repeats=5, rounds=5)
    )
    rounds = args.rounds or settings.rounds
    times: dict = {(lib, n): [] for lib in ("tg", "torch") for n in (1, 2)}
    print(f"ddp: {__doc__.splitlines()[0]}", flush=True)
    for i in range(rounds):
        for key in times:
            times[key].append(_run(*key, settings))
        print(
            f"  round {i + 1}/{rounds}: "
            + ", ".join(f"{lib}-{n} {times[lib, n][-1] * 1e3:.2f} ms" for lib, n in times),
            flush=True,
        )
    print()
    print(f"{'library':<10}{'1 process':>12}{'2 processes':>14}{'speedup':>10}{'efficiency':>12}")
    for lib in ("tg", "torch"):
        t1, t2 = statistics.median(times[lib, 1]), statistics.median(times[lib, 2])
        speedups = [a / b for a, b in zip(times[lib, 1], times[lib, 2])]
        s = statistics.median(speedups)
        print(f"{lib:<10}{t1 * 1e3:>10.2f}ms{t2 * 1e3:>12.2f}ms{s:>10.2f}{s / 2:>12.2f}")
    ratio = statistics.median(a / b for a, b in zip(times["tg", 2], times["torch", 2]))
    print(f"\ntg / torch on 2 processes (time per global batch): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
