"""The char GPT on the GPU against the CPU, and with mixed precision against float32 (issue 17,
items 3 and 4), in one command for a GPU session:

    python3 scripts/gpu_parity.py [--steps 1500]

Runs ``examples/char_gpt.py`` three times at once, each in its own process: on the CPU, on
'cuda', and on 'cuda' with ``--amp`` (autocast float16 + GradScaler). Prints each run's
validation losses and whether the final ones agree within 2% (cuda vs cpu, amp vs float32).
Exit status 1 if a run failed or a comparison is off.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = {
    "cpu": ["--device", "cpu"],
    "cuda": ["--device", "cuda"],
    "amp": ["--device", "cuda", "--amp"],
}
STEP = re.compile(r"step\s+(\d+)/\d+\s+train loss ([\d.]+)\s+val loss ([\d.]+)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--tolerance", type=float, default=0.02)
    args = p.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    script = str(ROOT / "examples" / "char_gpt.py")
    procs = {
        name: subprocess.Popen(
            [sys.executable, script, "--steps", str(args.steps), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )  # fmt: skip
        for name, flags in RUNS.items()
    }
    losses, ok = {}, True
    for name, proc in procs.items():
        out, _ = proc.communicate()
        rows = [(int(s), float(t), float(v)) for s, t, v in STEP.findall(out)]
        print(f"== {name} (exit {proc.returncode})")
        print("\n".join(f"  step {s:5d}  train {t:.3f}  val {v:.3f}" for s, t, v in rows))
        if proc.returncode or not rows:
            print(out[-3000:])
            ok = False
        else:
            losses[name] = rows[-1][2]
    for a, b in (("cuda", "cpu"), ("amp", "cuda")):
        if a in losses and b in losses:
            rel = abs(losses[a] - losses[b]) / losses[b]
            good = rel <= args.tolerance
            ok &= good
            print(f"final val loss {a} {losses[a]:.3f} vs {b} {losses[b]:.3f}: {rel:.1%} "
                  f"({'ok' if good else 'OFF'}, tolerance {args.tolerance:.0%})")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
