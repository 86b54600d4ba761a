"""tensorgrad against itself: one benchmark's tensorgrad step in two worker processes that differ
only in their environment or in the checkout they import, timed in pairs of blocks as
``make bench`` times tensorgrad against PyTorch (``_harness``).

    python benchmarks/ab.py gpt --b-env TENSORGRAD_KERNELS=numpy
    python benchmarks/ab.py cnn --a-checkout ../before   # e.g. a git worktree of an older commit

BENCH is a name (overhead, mlp, cnn, gpt, adam) or the path of a script defining ``BENCH``.
Prints the median ratio B / A over the rounds with its quartiles. On a machine whose speed
drifts by 2x, this is how an effect of a few percent shows: the two variants' blocks run a
quarter of a second apart, so a pair mostly shares the machine's phase.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

NAMES = ("overhead", "mlp", "cnn", "gpt", "adam")


def load(bench: str) -> _harness.Benchmark:
    """The ``BENCH`` of ``benchmarks/bench_<name>.py``, or of the script at a path."""
    path = Path(__file__).resolve().parent / f"bench_{bench}.py" if bench in NAMES else Path(bench)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BENCH


def worker_cmd(bench: _harness.Benchmark, settings, threads: int, env: list, checkout) -> list:
    """The tg worker's command line, under ``env`` (``K=V`` strings) and importing tensorgrad
    from ``checkout`` when given."""
    if checkout:
        env = [*env, f"PYTHONPATH={Path(checkout).resolve()}{os.pathsep}{_harness.REPO_ROOT}"]
    cmd = [sys.executable, bench.script, "--worker", "tg", *_harness.worker_args(settings, threads)]
    return ["env", *env, *cmd] if env else cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", help=f"one of {', '.join(NAMES)}, or a script's path")
    _harness.add_common_args(parser)
    for side in ("a", "b"):
        parser.add_argument(f"--{side}-env", action="append", default=[], metavar="K=V")
        parser.add_argument(f"--{side}-checkout", metavar="DIR", help="import tensorgrad from DIR")
    args = parser.parse_args(argv)
    for value in args.a_env + args.b_env:
        if "=" not in value:
            parser.error(f"--a-env/--b-env take K=V, got {value!r}")
    bench = load(args.bench)
    settings = _harness.settings_from_args(bench, args)
    threads = args.threads or _harness.default_threads()
    cmds = {
        side: worker_cmd(bench, settings, threads, getattr(args, f"{side}_env"),
                         getattr(args, f"{side}_checkout"))
        for side in ("a", "b")
    }  # fmt: skip
    for side, cmd in cmds.items():
        print(f"{side.upper()}: {' '.join(cmd)}", flush=True)
    times, ready = _harness.run_rounds(cmds, threads, settings.rounds)
    ratios = [b / a for a, b in zip(times["a"], times["b"], strict=True)]
    q1, q3 = _harness.quartiles(ratios)
    checks = ready["a"]["check"], ready["b"]["check"]
    print(
        f"{bench.name}: A {statistics.median(times['a']) * 1e3:.3f} ms, "
        f"B {statistics.median(times['b']) * 1e3:.3f} ms, B / A {statistics.median(ratios):.3f} "
        f"(q1-q3 {q1:.3f}-{q3:.3f}, {settings.rounds} rounds, {threads} threads each); "
        f"checks A {checks[0]:.6g}, B {checks[1]:.6g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
