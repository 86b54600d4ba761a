"""Where a GPU training step's time goes: tensorgrad (CuPy) and PyTorch on the same card.

For each workload of ``benchmarks/gpu.py``, and each library:

* wall time per step (synchronized), and for tensorgrad CuPy's ``cupyx.profiler.benchmark``
  split into the host time that issues the step and the device time between its first and
  last launch: host time >= device time means the step is bound by Python and launches;
* the kernels the step launches, from ``torch.profiler`` (CUPTI sees every kernel of the
  process, CuPy's too): launches per step, device time per step, the top kernels;
* for tensorgrad, ``cProfile``'s top functions by own time.

    python benchmarks/gpu_profile.py [--only mlp gpt gpt-amp] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpu  # benchmarks/gpu.py: the workloads


def kernel_table(step, steps: int, top: int) -> str:
    import torch
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    events = [e for e in prof.key_averages() if e.device_type.name == "CUDA"]
    launches = sum(e.count for e in events) / steps
    device_us = sum(e.self_device_time_total for e in events) / steps
    events.sort(key=lambda e: -e.self_device_time_total)
    lines = [f"  kernels per step {launches:.0f}, device time per step {device_us / 1e3:.2f} ms"]
    for e in events[:top]:
        lines.append(
            f"  {e.self_device_time_total / steps / 1e3:8.3f} ms {e.count / steps:6.1f}x  "
            f"{e.key[:110]}"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--only", nargs="*", default=["mlp", "gpt", "gpt-amp"])
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--libs", nargs="*", default=["tensorgrad", "torch"])
    p.add_argument("--no-cprofile", action="store_true")
    args = p.parse_args()
    g = dict(vocab=65, context=256, batch=64, layers=6, d_model=384, heads=6)
    sizes = {"mlp_batch": 1024, "gpt": g}
    cases = {"mlp": ("mlp", False), "gpt": ("gpt", False), "gpt-amp": ("gpt", True)}
    for label in args.only:
        workload, amp = cases[label]
        for name in args.libs:
            lib = gpu.Lib(name, "cuda")
            lib.reset_memory()
            step = gpu.make_step(lib, workload, sizes, amp)
            for _ in range(3):
                step()
            lib.sync()
            t0 = time.perf_counter()
            for _ in range(10):
                step()
            lib.sync()
            wall = (time.perf_counter() - t0) / 10
            print(f"\n=== {label} [{name}]: {wall * 1e3:.2f} ms per step (10 steps, synchronized)")
            if name == "tensorgrad":
                from cupyx.profiler import benchmark

                r = benchmark(step, n_repeat=10, n_warmup=1)
                print(
                    f"  cupyx: host {r.cpu_times.mean() * 1e3:.2f} ms, "
                    f"device {r.gpu_times.mean() * 1e3:.2f} ms per step"
                )
            print(kernel_table(step, 3, args.top))
            if name == "tensorgrad" and not args.no_cprofile:
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(5):
                    step()
                lib.sync()
                prof.disable()
                s = io.StringIO()
                pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
                print("\n".join(s.getvalue().splitlines()[4:]))
            del step
            lib.reset_memory()
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
