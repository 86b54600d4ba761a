"""Run every tensorgrad-vs-PyTorch benchmark and print one table.

    python benchmarks/run_all.py [--quick] [--rounds N] [--threads N] [--only NAME ...]

Exit status is 1 if a benchmark's two libraries disagree on its check value (a broken
benchmark), and, with --strict, also if a ratio is over its target.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness
import bench_adam
import bench_bf16
import bench_cnn
import bench_gpt
import bench_mlp
import bench_overhead
import bench_random

BENCHMARKS = [
    bench_overhead.BENCH,
    bench_mlp.BENCH,
    bench_cnn.BENCH,
    bench_gpt.BENCH,
    bench_adam.BENCH,
    bench_random.BENCH,
    bench_bf16.BENCH,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _harness.add_common_args(parser)
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHMARKS])
    parser.add_argument("--strict", action="store_true", help="fail if a ratio misses its target")
    args = parser.parse_args(argv)

    results = []
    for bench in BENCHMARKS:
        if args.only and bench.name not in args.only:
            continue
        print(f"{bench.name}: {bench.description}", flush=True)
        settings = _harness.settings_from_args(bench, args)
        results.append(_harness.compare(bench, settings, args.threads, verbose=True))
    print()
    print(_harness.format_table(results))
    failed = [r for r in results if not r.checks_agree]
    if args.strict:
        failed += [r for r in results if r.ratio > r.target]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
