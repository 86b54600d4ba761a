"""Side-by-side benchmark driver: tensorgrad against PyTorch on the CPU.

A benchmark script defines one workload twice, as a ``Benchmark`` whose ``setup_tg`` and
``setup_torch`` each build the inputs and return ``(step, check)``: ``step()`` runs one
iteration and ``check()`` returns a float that both libraries must agree on (a loss or a
gradient sum), so a benchmark that silently computes something different is caught.

How a comparison is run, and why:

* Each library runs in its own worker process (``script --worker tg|torch``), so the two
  never share a process: their thread pools (OpenBLAS, OpenMP, torch's intra-op pool) cannot
  fight, and neither sees the other's warmed caches or allocator. A worker sets up, warms up
  and then stays alive, timing one block of iterations each time the driver asks (``Worker``,
  ``serve``): a round is one block of each library, a fraction of a second apart.
* Why workers that stay alive: this kind of machine (a shared 2-core VM) changes speed in
  phases of a few seconds (the same GEMMs 2.5 or 3.8 ms). With a fresh process per round,
  the two libraries of a round were timed seconds apart, in different phases: per-round
  ratios of the same GPT step ranged 0.69-1.56 within one run. Blocks a fraction of a second
  apart mostly share a phase, and the ratio of the pair cancels it.
* Between two blocks the driver waits ``GAP`` seconds, so that the threads the previous
  worker left spinning (OpenBLAS's wait about 0.1 s before they sleep) are asleep when the
  next block starts.
* Rounds alternate tg, torch, torch, tg, tg, torch, ... (ABBA) so slow drift of the machine
  hits both libraries alike, even drift that comes and goes in a cycle as long as two blocks;
  the reported ratio is the median of the per-round ratios.
* Both workers get the same thread count through OMP/OPENBLAS/MKL_NUM_THREADS, and the
  torch worker also calls ``torch.set_num_threads``. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
  are dropped (see ``worker_env``); other variables are passed through untouched.
* Inside a worker: ``warmup`` untimed iterations once, then per block ``repeats`` timed runs
  of ``iters`` iterations each; the best run gives the block's per-iteration time (the
  minimum is the least noisy estimate of what the code costs, and the median across rounds
  guards against a lucky outlier).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
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
GAP = 0.25  # seconds between two timed blocks: see the module docstring

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
        on a machine whose speed drifts."""
        return quartiles(self.ratios)

    @property
    def tg_median(self) -> float:
        return statistics.median(self.tg_times)

    @property
    def torch_median(self) -> float:
        return statistics.median(self.torch_times)

    @property
    def checks_agree(self) -> bool:
        return math.isclose(self.tg_check, self.torch_check, rel_tol=1e-3, abs_tol=1e-4)


def quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles (the whole range with fewer than 4 values)."""
    if len(values) < 4:
        return min(values), max(values)
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


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


def time_block(step: Step, settings: Settings) -> float:
    """Seconds per iteration: the best of ``repeats`` timed runs of ``iters`` iterations."""
    best = math.inf
    for _ in range(settings.repeats):
        start = time.perf_counter()
        for _ in range(settings.iters):
            step()
        best = min(best, (time.perf_counter() - start) / settings.iters)
    return best


def serve(step: Step, settings: Settings, ready: dict) -> None:
    """The worker's side of ``Worker``: warm up, report ``ready``, then time one block per
    ``time`` line read from stdin, until stdin closes."""
    for _ in range(settings.warmup):
        step()
    print(RESULT_TAG + json.dumps(ready), flush=True)
    for line in sys.stdin:
        if line.strip() != "time":
            break
        print(RESULT_TAG + json.dumps({"sec_per_iter": time_block(step, settings)}), flush=True)


def run_worker(bench: Benchmark, lib: str, settings: Settings, threads: int) -> None:
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        step, check = bench.setup_torch()
    else:
        step, check = bench.setup_tg()
    # The check runs once before timing, on fresh parameters, so both libraries report it
    # for the same state.
    serve(step, settings, {"lib": lib, "check": float(check())})


# ----------------------------------------------------------------------------- driver side


class Worker:
    """A worker process kept alive across rounds: ``ready`` is what it reported after its
    setup and warmup, ``time()`` one timed block (a dict with ``sec_per_iter``)."""

    def __init__(self, cmd: list[str], threads: int, name: str):
        self.name = name
        self._stderr = tempfile.TemporaryFile(mode="w+")  # read only if the worker fails
        self._proc = subprocess.Popen(
            cmd,
            env=worker_env(threads),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._cmd = cmd
        self.ready = self._result()

    def _result(self) -> dict:
        for line in self._proc.stdout:
            if line.startswith(RESULT_TAG):
                return json.loads(line[len(RESULT_TAG) :])
        self._proc.wait()
        self._stderr.seek(0)
        raise RuntimeError(
            f"{self.name}: worker failed (exit {self._proc.returncode}): "
            f"{' '.join(self._cmd)}\n{self._stderr.read()}"
        )

    def time(self) -> dict:
        try:
            self._proc.stdin.write("time\n")
            self._proc.stdin.flush()
        except BrokenPipeError:  # it died: _result reports its exit status and stderr
            pass
        return self._result()

    def close(self) -> None:
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        self._proc.wait()
        self._stderr.close()


def start_workers(cmds: dict[str, list[str]], threads: int) -> dict[str, Worker]:
    """One ``Worker`` per entry, started one after another (their setups and warmups do not
    overlap); all of them are closed again if one fails."""
    workers = {}
    try:
        for name, cmd in cmds.items():
            workers[name] = Worker(cmd, threads, name)
    except BaseException:
        for w in workers.values():
            w.close()
        raise
    return workers


def time_rounds(workers: dict[str, Worker], rounds: int, report=None) -> dict[str, list[float]]:
    """``rounds`` rounds of one block per worker, in ABBA order with ``GAP`` before each
    block; the seconds per iteration of each worker, one per round. ``report(i, times)``
    after each round."""
    order = list(workers)
    times = {name: [] for name in order}
    for i in range(rounds):
        for name in order if i % 2 == 0 else order[::-1]:
            time.sleep(GAP)
            times[name].append(workers[name].time()["sec_per_iter"])
        if report:
            report(i, times)
    return times


def run_rounds(
    cmds: dict[str, list[str]], threads: int, rounds: int, report=None
) -> tuple[dict[str, list[float]], dict[str, dict]]:
    """Start a ``Worker`` per command, time ``rounds`` rounds (``time_rounds``) and close them
    again: (seconds per iteration of each worker, one per round; what each reported ready)."""
    workers = start_workers(cmds, threads)
    try:
        return time_rounds(workers, rounds, report), {n: w.ready for n, w in workers.items()}
    finally:
        for w in workers.values():
            w.close()


def worker_args(settings: Settings, threads: int) -> list[str]:
    """The command-line options that hand ``settings`` and ``threads`` to a worker."""
    return [
        *("--iters", str(settings.iters), "--warmup", str(settings.warmup)),
        *("--repeats", str(settings.repeats), "--threads", str(threads)),
    ]


def compare(
    bench: Benchmark, settings: Settings, threads: int | None = None, verbose: bool = False
) -> Comparison:
    threads = threads or default_threads()
    cmd = [sys.executable, bench.script, *worker_args(settings, threads)]
    cmds = {lib: [*cmd, "--worker", lib] for lib in LIBS}

    def report(i, times):
        tg, pt = times["tg"][-1], times["torch"][-1]
        print(
            f"  {bench.name} round {i + 1}/{settings.rounds}: "
            f"tg {tg * 1e3:.3f} ms, torch {pt * 1e3:.3f} ms, ratio {tg / pt:.2f}",
            flush=True,
        )

    times, ready = run_rounds(cmds, threads, settings.rounds, report if verbose else None)
    tg_times, torch_times = times["tg"], times["torch"]
    tg_check, torch_check = ready["tg"]["check"], ready["torch"]["check"]
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
    parser.add_argument("--rounds", type=int, help="rounds per library (default 15, quick 2)")
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
        run_worker(bench, args.worker, settings, args.threads or default_threads())
        return 0
    result = compare(bench, settings, args.threads, verbose=True)
    print(format_table([result]))
    return 0 if result.checks_agree else 1
