"""Side-by-side benchmark driver: tensorgrad against PyTorch on the CPU.

A benchmark script defines one workload twice, as a ``Benchmark`` whose ``setup_tg`` and
``setup_torch`` each build the inputs and return ``(step, check)``: ``step()`` runs one
iteration and ``check()`` returns a float that both libraries must agree on (a loss or a
gradient sum), so a benchmark that silently computes something different is caught.

How a comparison is run, and why:

* Each measurement runs in its own subprocess (``script --worker tg|torch``), so the two
  libraries never share a process: their thread pools (OpenBLAS, OpenMP, torch's intra-op
  pool) cannot fight, and neither sees the other's warmed caches or allocator.
* Rounds alternate tg, torch, torch, tg, tg, torch, ... (ABBA) so slow drift of the machine
  (thermal, other load) hits both libraries alike, even drift that comes and goes in a cycle
  as long as two runs (a fixed tg, torch order measured one library in the slow half of such
  a cycle, round after round, on a shared 2-core VM); the reported ratio is the median of
  the per-round ratios.
* Both subprocesses get the same thread count through OMP/OPENBLAS/MKL_NUM_THREADS, and the
  torch worker also calls ``torch.set_num_threads``. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
  are dropped (see ``worker_env``); other variables
  are passed through untouched.
* Inside a worker: ``warmup`` untimed iterations, then ``repeats`` timed runs of ``iters``
  iterations each; the best run gives the per-iteration time (the minimum is the least
  noisy estimate of what the code costs, and the median across rounds guards against a
  lucky outlier).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT_TAG = "BENCH-RESULT "
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
LIBS = ("tg", "torch")

Step = Callable[[], None]
Check = Callable[[], float]


@dataclass(frozen=True)
class Settings:
    """How many iterations a worker times, and how many rounds the driver runs."""

    iters: int
    warmup: int
    repeats: int
    rounds: int


@dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    script: str  # path of the script that defines it; the driver re-runs it as a worker
    setup_tg: Callable[[], tuple[Step, Check]]
    setup_torch: Callable[[], tuple[Step, Check]]
    target: float  # the tensorgrad/PyTorch ratio we aim to stay at or below
    full: Settings
    quick: Settings


@dataclass(frozen=True)
class Comparison:
    name: str
    threads: int
    tg_times: list[float]  # seconds per iteration, one per round
    torch_times: list[float]
    ratios: list[float]  # tg/torch, per round
    tg_check: float
    torch_check: float
    target: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        """The first and third quartiles of the per-round ratios: how far to trust ``ratio``
        on a machine whose speed drifts (the whole range with fewer than 4 rounds)."""
        if len(self.ratios) < 4:
            return min(self.ratios), max(self.ratios)
        q1, _, q3 = statistics.quantiles(self.ratios, n=4)
        return q1, q3

    @property
    def tg_median(self) -> float:
        return statistics.median(self.tg_times)

    @property
    def torch_median(self) -> float:
        return statistics.median(self.torch_times)

    @property
    def checks_agree(self) -> bool:
        return math.isclose(self.tg_check, self.torch_check, rel_tol=1e-3, abs_tol=1e-4)


def default_threads() -> int:
    # sched_getaffinity respects CPU pinning (containers, taskset); cpu_count does not.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    # Some machines here set OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS builds; they
    # pin NumPy's current OpenBLAS to a slower kernel (about 1.4x on the MLP's matmuls). A user
    # of a current NumPy doesn't have them, so the benchmark drops both (never in tests or CI).
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    # Import tensorgrad from this checkout even if it is not installed in the interpreter.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


# ----------------------------------------------------------------------------- worker side


def run_worker(bench: Benchmark, lib: str, settings: Settings, threads: int) -> dict:
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        step, check = bench.setup_torch()
    else:
        step, check = bench.setup_tg()
    # The check runs once before timing, on fresh parameters, so both libraries report it
    # for the same state.
    check_value = float(check())
    for _ in range(settings.warmup):
        step()
    best = math.inf
    for _ in range(settings.repeats):
        start = time.perf_counter()
        for _ in range(settings.iters):
            step()
        best = min(best, (time.perf_counter() - start) / settings.iters)
    return {"lib": lib, "sec_per_iter": best, "check": check_value}


# ----------------------------------------------------------------------------- driver side


def _run_round(bench: Benchmark, lib: str, settings: Settings, threads: int) -> dict:
    cmd = [
        sys.executable,
        bench.script,
        "--worker",
        lib,
        "--iters",
        str(settings.iters),
        "--warmup",
        str(settings.warmup),
        "--repeats",
        str(settings.repeats),
        "--threads",
        str(threads),
    ]
    proc = subprocess.run(cmd, env=worker_env(threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{bench.name}: {lib} worker failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"{proc.stdout}{proc.stderr}"
        )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    raise RuntimeError(f"{bench.name}: {lib} worker printed no result:\n{proc.stdout}")


def compare(
    bench: Benchmark, settings: Settings, threads: int | None = None, verbose: bool = False
) -> Comparison:
    threads = threads or default_threads()
    tg_times, torch_times, tg_check, torch_check = [], [], math.nan, math.nan
    for i in range(settings.rounds):
        # ABBA: a machine whose speed drifts in a cycle as long as two runs would otherwise
        # always slow down the same library
        for lib in LIBS if i % 2 == 0 else LIBS[::-1]:
            result = _run_round(bench, lib, settings, threads)
            if lib == "tg":
                tg_times.append(result["sec_per_iter"])
                tg_check = result["check"]
            else:
                torch_times.append(result["sec_per_iter"])
                torch_check = result["check"]
        if verbose:
            print(
                f"  {bench.name} round {i + 1}/{settings.rounds}: "
                f"tg {tg_times[-1] * 1e3:.3f} ms, torch {torch_times[-1] * 1e3:.3f} ms, "
                f"ratio {tg_times[-1] / torch_times[-1]:.2f}",
                flush=True,
            )
    return Comparison(
        name=bench.name,
        threads=threads,
        tg_times=tg_times,
        torch_times=torch_times,
        ratios=[a / b for a, b in zip(tg_times, torch_times, strict=True)],
        tg_check=tg_check,
        torch_check=torch_check,
        target=bench.target,
    )


def format_table(results: list[Comparison]) -> str:
    header = (
        f"{'benchmark':<12} {'tensorgrad ms':>14} {'pytorch ms':>11} "
        f"{'ratio':>7} {'q1-q3':>11} {'target':>7}  status"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        status = "ok" if r.ratio <= r.target else "SLOW"
        if not r.checks_agree:
            status += f" MISMATCH (tg {r.tg_check:.6g} vs torch {r.torch_check:.6g})"
        q1, q3 = r.spread
        lines.append(
            f"{r.name:<12} {r.tg_median * 1e3:>14.3f} {r.torch_median * 1e3:>11.3f} "
            f"{r.ratio:>7.2f} {f'{q1:.2f}-{q3:.2f}':>11} {r.target:>7.2f}  {status}"
        )
    if results:
        lines.append(
            f"(median over {len(results[0].ratios)} alternating rounds per library, "
            f"{results[0].threads} threads each; ratio = tensorgrad / PyTorch, lower is better; "
            "q1-q3: quartiles of the rounds' ratios)"
        )
    return "\n".join(lines)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="few rounds and iterations (smoke)")
    parser.add_argument("--rounds", type=int, help="rounds per library (default 7, quick 2)")
    parser.add_argument("--threads", type=int, help="threads per library (default: all CPUs)")


def settings_from_args(bench: Benchmark, args: argparse.Namespace) -> Settings:
    base = bench.quick if args.quick else bench.full
    return Settings(
        iters=getattr(args, "iters", None) or base.iters,
        warmup=base.warmup if getattr(args, "warmup", None) is None else args.warmup,
        repeats=getattr(args, "repeats", None) or base.repeats,
        rounds=args.rounds or base.rounds,
    )


def main(bench: Benchmark, argv: list[str] | None = None) -> int:
    """Entry point of a benchmark script: the driver by default, a worker with --worker."""
    parser = argparse.ArgumentParser(description=bench.description)
    add_common_args(parser)
    parser.add_argument("--worker", choices=LIBS, help=argparse.SUPPRESS)
    parser.add_argument("--iters", type=int, help="timed iterations per repeat")
    parser.add_argument("--warmup", type=int, help="untimed iterations before timing")
    parser.add_argument("--repeats", type=int, help="timed repeats per round (best is kept)")
    args = parser.parse_args(argv)
    settings = settings_from_args(bench, args)
    if args.worker:
        result = run_worker(bench, args.worker, settings, args.threads or default_threads())
        print(RESULT_TAG + json.dumps(result), flush=True)
        return 0
    result = compare(bench, settings, args.threads, verbose=True)
    print(format_table([result]))
    return 0 if result.checks_agree else 1
