"""Compiled training steps: tensorgrad eager and ``tg.compile`` against PyTorch eager and
``torch.compile``.

    python benchmarks/bench_compile.py [--quick] [--rounds N] [--only overhead mlp cnn gpt]

Workloads (each a whole step: forward, backward, optimizer update):
- overhead: the per-op chain of bench_overhead.py (16x16, 200 x ``(y*1.0001+0.0001).tanh()``);
- mlp: 784-512-512-10 ReLU, batch 128, ``optim.SGD(momentum=0.9)``;
- cnn: bench_cnn.py's step (two conv blocks, Adam);
- gpt: bench_gpt.py's step (2-layer GPT, AdamW).

Five variants, each in its own worker process (``--worker VARIANT``, kept alive across rounds
as in ``_harness``), rounds alternating between them:
``tg`` (eager), ``tg.compile`` (the whole step), ``tg.compile(model)`` (the model compiled,
the loss, ``backward()`` and the optimizer eager: PyTorch users' spelling; not for the overhead
chain, which has no model), ``torch`` (eager) and ``torch.compile`` of the step (inductor; it
needs a C++ compiler). Ratios are to PyTorch eager (median over rounds); "first fast step" is the
wall time of a fresh worker's first three calls of the compiled step (tensorgrad: eager,
record, first replay with its fused kernels compiled or loaded from numba's disk cache;
PyTorch: Dynamo and Inductor, with Inductor's own disk cache as an earlier run left it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness
import bench_cnn
import bench_gpt
import bench_overhead

VARIANTS = ("tg", "tg.compile", "tg.compile(model)", "torch", "torch.compile")
NO_MODEL = {"overhead"}  # a chain of ops on a tensor: no module to compile
TARGETS = {"overhead": 0.1, "mlp": 0.8, "cnn": 0.9, "gpt": 0.75}  # tg.compile / torch eager
SIZES, BATCH = (784, 512, 512, 10), 128


def _mlp_setup(lib):
    """The MLP step with the library's own SGD with momentum, from shared weights and batch."""

    def setup(compile_model: bool = False):
        rng = np.random.default_rng(0)
        nn = lib.nn
        layers = []
        for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        model = nn.Sequential(*layers[:-1])
        state = {}
        for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            w = rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
            state[f"{2 * i}.weight"] = w.astype(np.float32)
            state[f"{2 * i}.bias"] = np.zeros(fan_out, np.float32)
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        if compile_model:
            lib.compile(model)
        x = lib.tensor(rng.standard_normal((BATCH, SIZES[0])).astype(np.float32))
        y = lib.tensor(rng.integers(0, SIZES[-1], BATCH))
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        F = lib.nn.functional

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        def check():
            step()
            return float(F.cross_entropy(model(x), y).item())

        return step, check

    return setup


def _workloads():
    # each setup imports its own library only: tensorgrad sets OMP_WAIT_POLICY=PASSIVE for
    # numba's threads, which would slow PyTorch's OpenMP pool if both were in one process
    def tg_mlp(compile_model=False):
        import tensorgrad

        return _mlp_setup(tensorgrad)(compile_model)

    def torch_mlp():
        import torch

        return _mlp_setup(torch)()

    return {
        "overhead": (bench_overhead.setup_tg, bench_overhead.setup_torch),
        "mlp": (tg_mlp, torch_mlp),
        "cnn": (bench_cnn.setup_tg, bench_cnn.setup_torch),
        "gpt": (bench_gpt.setup_tg, bench_gpt.setup_torch),
    }


def run_worker(name: str, variant: str, settings: _harness.Settings, threads: int) -> None:
    setup_tg, setup_torch = _workloads()[name]
    if variant.startswith("torch"):
        import torch

        torch.set_num_threads(threads)
        step, check = setup_torch()
        if variant == "torch.compile":
            step = torch.compile(step)
    else:
        import tensorgrad as tg

        step, check = setup_tg(compile_model=True) if variant.endswith("(model)") else setup_tg()
        if variant == "tg.compile":
            step = tg.compile(step)
    check_value = float(check())
    start = time.perf_counter()
    for _ in range(3):  # eager, record, first replay / compilation
        step()
    first = time.perf_counter() - start
    _harness.serve(step, settings, {"first": first, "check": check_value})


def _cell(ratio) -> str:
    return "-" if ratio is None else f"{ratio:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _harness.add_common_args(parser)
    parser.add_argument("--only", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    threads = args.threads or _harness.default_threads()
    rounds = args.rounds or (2 if args.quick else 9)
    if args.quick:
        args.iters, args.repeats, args.warmup = 3, 2, 1
    settings = _harness.Settings(args.iters, args.warmup, args.repeats, rounds)
    if args.worker:
        run_worker(args.only[0], args.worker, settings, threads)
        return 0
    rows = []
    for name in args.only:
        variants = [v for v in VARIANTS if not (v.endswith("(model)") and name in NO_MODEL)]
        cmd = [sys.executable, __file__, "--only", name, *_harness.worker_args(settings, threads)]
        cmds = {v: [*cmd, "--worker", v] for v in variants}

        def report(i, times, name=name, variants=variants):
            print(
                f"  {name} round {i + 1}/{rounds}: "
                + ", ".join(f"{v} {times[v][-1] * 1e3:.3f} ms" for v in variants),
                flush=True,
            )

        times, ready = _harness.run_rounds(cmds, threads, rounds, report)
        first = {v: ready[v]["first"] for v in variants}
        checks = {v: ready[v]["check"] for v in variants}
        base = times["torch"]
        ratio = {v: statistics.median(t / b for t, b in zip(times[v], base)) for v in variants}
        vs_inductor = statistics.median(
            a / b for a, b in zip(times["tg.compile"], times["torch.compile"])
        )
        rows.append((name, ratio, vs_inductor, first, checks))
    print(
        f"\n{'workload':<9} {'tg':>6} {'tg.compile':>11} {'(model)':>8} {'torch.compile':>14} "
        f"{'tg.c/torch.c':>13} {'target':>7}   first fast step: tg.compile / torch.compile"
    )
    status = 0
    for name, ratio, vs_inductor, first, checks in rows:
        spread = max(checks.values()) - min(checks.values())
        agree = spread <= 1e-3 * max(1.0, abs(checks["torch"]))
        status |= not agree
        print(
            f"{name:<9} {ratio['tg']:>6.2f} {ratio['tg.compile']:>11.2f} "
            f"{_cell(ratio.get('tg.compile(model)')):>8} {ratio['torch.compile']:>14.2f} "
            f"{vs_inductor:>13.2f} {TARGETS[name]:>7.2f}   "
            f"{first['tg.compile']:.2f} s / {first['torch.compile']:.2f} s"
            + ("" if agree else f"  MISMATCH {checks}")
        )
    print(
        f"(ratios to PyTorch eager, median over {rounds} alternating rounds, {threads} threads "
        "each; first fast step: the first three calls of each worker process)"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
