"""``python -m tensorgrad.as_torch script.py [args]``: run a PyTorch script on tensorgrad.

The script runs as ``python script.py [args]`` would run it (as ``__main__``, with
``sys.argv == ['script.py', *args]`` and the script's folder first on ``sys.path``), after
``tensorgrad.as_torch.install()``. ``-m module [args]`` runs a module instead, as ``python -m``.
Under a debugger: ``python -m pdb -m tensorgrad.as_torch script.py``.
"""

from __future__ import annotations

import os
import runpy
import sys

from . import install

USAGE = "usage: python -m tensorgrad.as_torch script.py [args ...] | -m module [args ...]"


def main(argv: list[str] | None = None) -> None:
    """Run the script (or ``-m`` module) named by ``argv`` (default ``sys.argv[1:]``) with
    ``torch`` resolved to tensorgrad."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        raise SystemExit(2 if not argv else 0)
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            raise SystemExit(USAGE)
        sys.argv = [argv[1], *argv[2:]]  # runpy puts the module's file in argv[0]
        sys.path.insert(0, os.getcwd())  # as `python -m` does
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.exists(script):
        raise SystemExit(f"python -m tensorgrad.as_torch: can't open file {script!r}")
    sys.argv = argv
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
