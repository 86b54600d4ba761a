"""Compiled training steps: tensorgrad eager and ``tg.compile`` against PyTorch eager and
``torch.compile``.

    python benchmarks/bench_compile.py [--quick] [--rounds N] [--only overhead mlp cnn gpt]

Workloads (each a whole step: forward, backward, optimizer update):
- overhead: the per-op chain of bench_overhead.py (16x16, 200 x ``(y*1.0001+0.0001).tanh()``);
- mlp: 784-512-512-10 ReLU, batch 128, ``optim.SGD(momentum=0.9)``;
- cnn: bench_cnn.py's step (two conv blocks, Adam);
- gpt: bench_gpt.py's step (2-layer GPT, AdamW).

Five variants, each in its own process (``--worker VARIANT``), rounds alternating between them:
``tg`` (eager), ``tg.compile`` (the whole step), ``tg.compile(model)`` (the model compiled,
the loss, ``backward()`` and the optimizer eager: PyTorch users' spelling; not for the overhead
chain, which has no model), ``torch`` (eager) and ``torch.compile`` of the step (inductor; it
needs a C++ compiler). Ratios are to PyTorch eager (median over rounds); "first fast step" is the
wall time of a fresh process's first three calls of the compiled step (tensorgrad: eager,
record, first replay with its fused kernels compiled or loaded from the cache; PyTorch:
Dynamo and Inductor, whose cache is warm after the first round too).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
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


def run_worker(name: str, variant: str, iters: int, repeats: int, threads: int) -> dict:
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
    for _ in range(2):
        step()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        best = min(best, (time.perf_counter() - start) / iters)
    return {"sec_per_iter": best, "first": first, "check": check_value}


def _round(name, variant, args, threads) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, "--only", name]
    cmd += ["--iters", str(args.iters), "--repeats", str(args.repeats), "--threads", str(threads)]
    proc = subprocess.run(cmd, env=_harness.worker_env(threads), capture_output=True, text=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_harness.RESULT_TAG):
            return json.loads(line[len(_harness.RESULT_TAG) :])
    raise RuntimeError(f"{name} {variant} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _cell(ratio) -> str:
    return "-" if ratio is None else f"{ratio:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _harness.add_common_args(parser)
    parser.add_argument("--only", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    threads = args.threads or _harness.default_threads()
    if args.worker:
        result = run_worker(args.only[0], args.worker, args.iters, args.repeats, threads)
        print(_harness.RESULT_TAG + json.dumps(result), flush=True)
        return 0
    rounds = args.rounds or (2 if args.quick else 5)
    if args.quick:
        args.iters, args.repeats = 3, 2
    rows = []
    for name in args.only:
        times = {v: [] for v in VARIANTS}
        first = {v: [] for v in VARIANTS}
        checks = {}
        variants = [v for v in VARIANTS if not (v.endswith("(model)") and name in NO_MODEL)]
        for i in range(rounds):
            for variant in variants if i % 2 == 0 else variants[::-1]:  # ABBA: see _harness
                r = _round(name, variant, args, threads)
                times[variant].append(r["sec_per_iter"])
                first[variant].append(r["first"])
                checks[variant] = r["check"]
            print(
                f"  {name} round {i + 1}/{rounds}: "
                + ", ".join(f"{v} {times[v][-1] * 1e3:.3f} ms" for v in variants),
                flush=True,
            )
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
            f"{statistics.median(first['tg.compile']):.2f} s / "
            f"{statistics.median(first['torch.compile']):.2f} s"
            + ("" if agree else f"  MISMATCH {checks}")
        )
    print(
        f"(ratios to PyTorch eager, median over {rounds} alternating rounds, {threads} threads "
        "each; first fast step: the first three calls of a fresh process)"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
