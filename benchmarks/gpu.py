"""GPU benchmark: tensorgrad on CUDA (CuPy) vs PyTorch eager on CUDA, same card, one process.

Workloads (issue 6), one training step each (forward, loss, backward, optimizer step):

* mlp: 784-2048-2048-10 ReLU, batch 1024, float32, SGD momentum. Target ratio <= 1.15.
* gpt: vocab 65, context 256, batch 64, 6 layers, d_model 384, 6 heads, MLP 4x tanh-GELU,
  pre-norm, attention written with matmuls in both (no fused attention), AdamW. float32 target
  <= 1.2; with autocast float16 + GradScaler (when ``tensorgrad.amp`` exists) vs PyTorch's
  autocast float16, target <= 1.3; peak memory ratio <= 1.3.

Both libraries run the same model code (``build_*(lib)``), each in a process of its own. Timing
synchronizes the device before starting and stopping the clock and reports the median of
``--repeats`` timed runs of ``--iters`` steps each. Peak memory is measured in separate steps:
tensorgrad's as the maximum of CuPy's memory pool ``used_bytes()`` seen at every allocation (a
tracking allocator, off while timing) plus the pool's ``total_bytes()``; PyTorch's as
``torch.cuda.max_memory_allocated()`` and ``max_memory_reserved()``.

PyTorch is optional: without a CUDA build of torch only tensorgrad's numbers print.
``--device cpu`` runs everything on the CPU (a smoke test of this script, not a benchmark).

    python benchmarks/gpu.py             # full sizes
    python benchmarks/gpu.py --quick     # fewer steps, smaller gpt (a smoke run)
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gpt import build as build_gpt_class

import tensorgrad as tg

TARGETS = {"mlp": 1.15, "gpt": 1.2, "gpt-amp": 1.3}
# --compile: each library's compiler on the same steps; the target is tg.compile against
# PyTorch eager (issue 17: <= 0.9 on the gpt), the ratio printed is against torch.compile
COMPILED_TARGETS = {"mlp compiled": None, "gpt compiled": 0.9}
MEMORY_TARGET = 1.3


# ----------------------------------------------------------------------------- models


def build_mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 10)
    )


def build_gpt(lib, vocab, context, layers, d_model, heads):
    """The GPT of benchmarks/bench_gpt.py at this benchmark's sizes."""
    return build_gpt_class(lib, vocab, context, layers, d_model, heads)()


# ----------------------------------------------------------------------------- libraries


class Lib:
    """What the benchmark needs from one library: tensors, sync, memory, autocast."""

    def __init__(self, name: str, device: str):
        self.name, self.device = name, device
        if name == "tensorgrad":
            self.mod = tg
            self.amp = _tg_amp()
        else:
            import torch

            self.mod = torch
            self.amp = torch.amp if device == "cuda" else None

    def tensor(self, a: np.ndarray):
        if self.name == "tensorgrad":
            return tg.tensor(a, device=self.device)
        return self.mod.from_numpy(a).to(self.device)

    def sync(self) -> None:
        if self.device != "cuda":
            return
        if self.name == "tensorgrad":
            import cupy

            cupy.cuda.Device().synchronize()
        else:
            self.mod.cuda.synchronize()

    def autocast(self):
        if self.name == "tensorgrad":
            return self.amp.autocast(device_type="cuda", dtype=tg.float16)
        return self.mod.autocast(device_type="cuda", dtype=self.mod.float16)

    def grad_scaler(self):
        if self.name == "tensorgrad":
            return self.amp.GradScaler()
        return self.mod.amp.GradScaler("cuda")

    def reset_memory(self) -> None:
        gc.collect()  # the last case's model and optimizer state
        if self.device != "cuda":
            return
        if self.name == "tensorgrad":
            import cupy

            cupy.get_default_memory_pool().free_all_blocks()
        else:
            self.mod.cuda.empty_cache()
            self.mod.cuda.reset_peak_memory_stats()

    def measure_memory(self, step, steps: int = 2) -> dict | None:
        """Peak bytes in use (and reserved by the allocator) over ``steps`` steps."""
        if self.device != "cuda":
            return None
        self.sync()
        if self.name == "torch":
            torch = self.mod
            torch.cuda.reset_peak_memory_stats()
            for _ in range(steps):
                step()
            self.sync()
            return {
                "peak": torch.cuda.max_memory_allocated(),
                "reserved": torch.cuda.max_memory_reserved(),
            }
        import cupy

        pool = cupy.get_default_memory_pool()
        peak = [pool.used_bytes()]

        def tracking_malloc(nbytes):
            mem = pool.malloc(nbytes)
            used = pool.used_bytes()
            if used > peak[0]:
                peak[0] = used
            return mem

        cupy.cuda.set_allocator(tracking_malloc)
        try:
            for _ in range(steps):
                step()
            self.sync()
        finally:
            cupy.cuda.set_allocator(pool.malloc)
        return {"peak": peak[0], "reserved": pool.total_bytes()}


def _tg_amp():
    try:
        from tensorgrad import amp

        return amp
    except ImportError:
        return None


# ----------------------------------------------------------------------------- steps


def make_step(lib: Lib, workload: str, sizes: dict, amp: bool):
    m = lib.mod
    m.manual_seed(0)
    rng = np.random.default_rng(0)
    if workload == "mlp":
        model = build_mlp(m).to(lib.device)
        opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        batch = sizes["mlp_batch"]
        x = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, batch).astype(np.int64))

        def loss_fn():
            return m.nn.functional.cross_entropy(model(x), y)

    else:
        g = sizes["gpt"]
        model = build_gpt(m, g["vocab"], g["context"], g["layers"], g["d_model"], g["heads"])
        model = model.to(lib.device)
        opt = m.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
        B, T = g["batch"], g["context"]
        inputs = [
            lib.tensor(rng.integers(0, g["vocab"], (B, T)).astype(np.int64)),
            lib.tensor(np.arange(T, dtype=np.int64)),
            lib.tensor(np.triu(np.ones((T, T), dtype=bool), 1)),
            lib.tensor(rng.integers(0, g["vocab"], (B, T)).astype(np.int64)),
        ]

        def loss_fn():
            return model(*inputs)

    if not amp:

        def step():
            opt.zero_grad()
            loss_fn().backward()
            opt.step()

        return step

    scaler = lib.grad_scaler()

    def amp_step():
        opt.zero_grad()
        with lib.autocast():
            loss = loss_fn()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    return amp_step


def time_steps(lib: Lib, step, iters: int, warmup: int, repeats: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        lib.sync()
        start = time.perf_counter()
        for _ in range(iters):
            step()
        lib.sync()
        times.append((time.perf_counter() - start) / iters)
    return statistics.median(times)


def run_case(
    lib: Lib, workload: str, sizes: dict, amp: bool, settings: dict, compiled: bool = False
) -> dict:
    lib.reset_memory()
    step = make_step(lib, workload, sizes, amp)
    first = None
    if compiled:  # tg.compile records on the 2nd call and replays from the 3rd
        step = lib.mod.compile(step)
        start = time.perf_counter()
        for _ in range(3):
            step()
        lib.sync()
        first = time.perf_counter() - start
    seconds = time_steps(lib, step, **settings)
    memory = lib.measure_memory(step)
    del step
    lib.reset_memory()
    return {"seconds": seconds, "memory": memory, "first": first}


def _mib(n) -> str:
    return "-" if n is None else f"{n / 2**20:,.0f}"


def _torch_status(device: str) -> str | None:
    """None when PyTorch can run on ``device``, else why not."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed: only tensorgrad's numbers print"
    if device == "cuda" and not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no CUDA device: only tensorgrad's numbers print"
    return None


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few steps, a 2-layer context-64 gpt")
    p.add_argument("--device", default="cuda", help="'cuda' (default) or 'cpu' (smoke test)")
    p.add_argument(
        "--only", nargs="*", choices=["mlp", "gpt", "gpt-amp"], help="run only these workloads"
    )
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch side")
    p.add_argument("--iters", type=int, help="steps per timed run")
    p.add_argument("--repeats", type=int, help="timed runs (median reported)")
    p.add_argument(
        "--compile", action="store_true",
        help="also time mlp and gpt under tg.compile and torch.compile (first calls timed apart)",
    )  # fmt: skip
    p.add_argument("--lib", choices=["tensorgrad", "torch"], help=argparse.SUPPRESS)  # a worker
    return p.parse_args(argv)


def run_worker(args, sizes, settings, cases) -> int:
    """One library's cases in this process: a ``RESULT {json}`` line each (main() reads them)."""
    lib = Lib(args.lib, args.device)
    for label, workload, amp, compiled in cases:
        if amp and args.lib == "tensorgrad" and lib.amp is None:
            continue
        try:
            r = run_case(lib, workload, sizes, amp, settings, compiled)
        except Exception as e:  # report and go on with the other cases
            print(f"{label} [{args.lib}]: FAILED {type(e).__name__}: {e}", file=sys.stderr)
            continue
        print("RESULT " + json.dumps({"label": label, **r}), flush=True)
    return 0


def run_library(name: str, argv: list) -> dict:
    """Run ``name``'s cases in a process of its own (the libraries' allocators, thread pools
    and caches never meet): {label: result}."""
    proc = subprocess.run(
        [sys.executable, __file__, *argv, "--lib", name], capture_output=True, text=True
    )
    sys.stderr.write(proc.stderr[-4000:])
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[len("RESULT ") :])
            results[r.pop("label")] = r
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    gpt = dict(vocab=65, context=256, batch=64, layers=6, d_model=384, heads=6)
    sizes = {"mlp_batch": 1024, "gpt": gpt}
    settings = dict(iters=10, warmup=3, repeats=5)
    if args.quick:
        sizes["gpt"] = dict(gpt, context=64, batch=16, layers=2)
        settings = dict(iters=3, warmup=2, repeats=3)
    if args.device == "cpu":  # smoke test only: tiny sizes
        sizes = {"mlp_batch": 16, "gpt": dict(gpt, context=16, batch=2, layers=1, d_model=48)}
        settings = dict(iters=1, warmup=1, repeats=1)
    if args.iters:
        settings["iters"] = args.iters
    if args.repeats:
        settings["repeats"] = args.repeats

    device = args.device
    cases = [("mlp", "mlp", False, False), ("gpt", "gpt", False, False)]
    cases.append(("gpt-amp", "gpt", True, False))
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    if device != "cuda":
        cases = [c for c in cases if not c[2]]
    if args.compile:
        cases += [(f"{c[0]} compiled", c[1], False, True) for c in cases if not c[2]]
    if args.lib:
        return run_worker(args, sizes, settings, cases)
    header = f"device {device}"
    if device == "cuda":
        try:
            import cupy

            props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
            name = props["name"]
            name = name.decode() if isinstance(name, bytes) else name
            header = f"{name}, CuPy {cupy.__version__}"
        except Exception as e:  # no CuPy or no GPU: nothing to benchmark
            print(f"error: tensorgrad on CUDA needs CuPy and a GPU ({type(e).__name__}: {e})")
            return 1
    why_no_torch = "--no-torch" if args.no_torch else _torch_status(device)
    if why_no_torch:
        print(f"note: {why_no_torch}")
    else:
        import torch

        header += f", PyTorch {torch.__version__}"
    print(header)

    by_lib = {"tensorgrad": run_library("tensorgrad", argv)}
    if not why_no_torch:
        by_lib["torch"] = run_library("torch", argv)
    rows = []
    for label, *_ in cases:
        res = {name: r[label] for name, r in by_lib.items() if label in r}
        rows.append((label, res))
        _print_row(label, res)

    print()
    print(
        f"{'workload':<9} {'tg ms':>9} {'torch ms':>9} {'ratio':>7} {'target':>7} "
        f"{'tg MiB':>8} {'torch MiB':>9} {'mem ratio':>9} {'tg pool':>8} {'th rsvd':>8}"
    )
    for label, res in rows:
        if label in COMPILED_TARGETS:
            continue  # their own table below
        t, h = res.get("tensorgrad"), res.get("torch")
        ratio = t["seconds"] / h["seconds"] if t and h else None
        tm = t and t["memory"]
        hm = h and h["memory"]
        mem_ratio = tm["peak"] / hm["peak"] if tm and hm and hm["peak"] else None
        print(
            f"{label:<9} {_ms(t):>9} {_ms(h):>9} {_fmt(ratio, 'x'):>7} "
            f"{TARGETS[label]:>6.2f}x {_mib(tm and tm['peak']):>8} {_mib(hm and hm['peak']):>9} "
            f"{_fmt(mem_ratio, 'x'):>9} {_mib(tm and tm['reserved']):>8} "
            f"{_mib(hm and hm['reserved']):>8}"
        )
    print(f"(memory target: peak ratio <= {MEMORY_TARGET}; ms = median time per training step)")
    compiled_rows = [(label, res) for label, res in rows if label in COMPILED_TARGETS]
    if compiled_rows:
        _print_compiled(compiled_rows, dict(rows))
    return 0


def _print_compiled(compiled_rows, by_label) -> None:
    """tg.compile and torch.compile: ms per step, ratios to PyTorch eager and to each other,
    and the seconds of each compiler's first three calls."""
    print()
    print(
        f"{'workload':<13} {'tg.c ms':>8} {'th.c ms':>8} {'tg.c/eager':>11} {'target':>7} "
        f"{'tg.c/th.c':>10} {'first calls tg / torch':>24}"
    )
    for label, res in compiled_rows:
        t, h = res.get("tensorgrad"), res.get("torch")
        eager = by_label.get(label.split()[0], {}).get("torch")
        vs_eager = t["seconds"] / eager["seconds"] if t and eager else None
        vs_compile = t["seconds"] / h["seconds"] if t and h else None
        target = COMPILED_TARGETS[label]
        first = " / ".join("-" if not r else f"{r['first']:.2f} s" for r in (t, h))
        print(
            f"{label:<13} {_ms(t):>8} {_ms(h):>8} {_fmt(vs_eager, 'x'):>11} "
            f"{'-' if target is None else f'{target:.2f}x':>7} {_fmt(vs_compile, 'x'):>10} "
            f"{first:>24}"
        )


def _ms(r) -> str:
    return "-" if not r else f"{r['seconds'] * 1e3:.2f}"


def _fmt(x, suffix="") -> str:
    return "-" if x is None else f"{x:.2f}{suffix}"


def _print_row(label, res) -> None:
    parts = [f"{name} {r['seconds'] * 1e3:.2f} ms" for name, r in res.items()]
    print(f"{label}: " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
