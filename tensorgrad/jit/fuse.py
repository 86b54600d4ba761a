"""Fusion: each run of elementwise steps in a recording becomes one numba loop.

A recorded step like ``v7 = Mul.forward(S, v6, 1.0001)`` is one NumPy call: one pass over
memory, one temporary and a few microseconds of Python. A run of them over arrays of one shape
and dtype (the per-op chain of a tanh network, a backward's elementwise tail) is a single
expression per element, so it becomes one kernel that reads each input once, keeps every
intermediate in a register and writes only what later steps read::

    def fused_3f2a(out, in0):           # (y * 1.0001 + 0.0001).tanh(), twice
        ...                              # blocks of BLOCK elements, see _TEMPLATE
            t0 = f32(in0[i] * f32(1.000100016593933))
            t1 = f32(t0 + f32(9.999999747378752e-05))
            t2 = f32(tanh(t1))
            ...
            buf[0, j] = t2               # what later steps read: rows of ``out``
            buf[1, j] = t5

Each intermediate is rounded to the dtype (``f32(...)``), as NumPy rounds each op's result, and
Python numbers are literals of that dtype (NumPy 2 computes ``float32 * 1.0001`` in float32),
so a fused run equals the unfused replay to rounding: ``exp`` and ``tanh`` are
tensorgrad/kernels/scalar.py's vectorising forms (within 2 ulp of NumPy's), ``math.log`` and
``math.sqrt`` run in float64 and round once.

Kernels are written to files in the cache folder and imported, so numba's disk cache
(``cache=True``) serves them to the next process; a run is fused only if it has at least two
ops. Steps fuse when their result is C-contiguous and every array they read has the run's shape
(or none: a 0-d array) and dtype (a Where's condition: bool); an input in another layout (an
expanded or transposed view) is read through a C-order copy (``ravel``). Anything else (a
broadcast, a reduction, a matmul, Python) ends the run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
from pathlib import Path

import numpy as np

from ..ops import elementwise as ew
from .recorder import Slot, Step

# op -> the expression of its result from its operands' expressions
EXPRESSIONS = {
    ew.Add: "{0} + {1}",
    ew.Sub: "{0} - {1}",
    ew.Mul: "{0} * {1}",
    ew.Div: "{0} / {1}",
    ew.Neg: "-{0}",
    ew.Exp: "exp({0})",
    ew.Log: "math.log({0})",
    ew.Tanh: "tanh({0})",
    ew.Sqrt: "math.sqrt({0})",
    ew.Where: "{1} if {0} else {2}",
    # formulas of several ops, each rounded to the dtype ({f}: f32 or f64) as NumPy rounds it
    ew.TanhBackward: "{0} * {f}({f}(1.0) - {f}({1} * {1}))",
    ew.SigmoidBackward: "{f}({0} * {1}) * {f}({f}(1.0) - {1})",
}
_FLOATS = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
MIN_OPS = 2
# numba compiles a loop of n ops in about 0.3 s + n * 10 ms here, and superlinearly beyond a
# few dozen: a long run is cut into pieces of MAX_OPS ops. Names inside a kernel are by position,
# so the pieces of a repeating chain (the layers of a deep net) are one kernel, compiled once;
# 48 is a multiple of the common periods (3 and 4 ops per layer forward and backward).
MAX_OPS = 48


def cache_dir() -> Path:
    """Where generated kernels live: ``$TENSORGRAD_CACHE_DIR/jit``, by default
    ``~/.cache/tensorgrad/jit``."""
    root = os.environ.get("TENSORGRAD_CACHE_DIR") or Path.home() / ".cache" / "tensorgrad"
    return Path(root) / "jit"


def fuse(steps: list[Step], meta: dict, keep: set) -> list[Step]:
    """``steps`` with each run of fusable steps replaced by one 'fused' step. ``meta``: slot
    -> (shape, dtype, C-contiguous, NumPy) of the array recorded there; ``keep``: slots that must be
    materialised whatever reads them (inputs, returned values)."""
    readers: dict[int, int] = {}  # slot -> index of the last step reading it
    for i, step in enumerate(steps):
        for s in step.reads():
            readers[s] = max(readers.get(s, -1), i)
    out: list[Step] = []
    run: list[Step] = []
    rows: dict = {}  # slot -> (arena, row, rows) of the fused kernels' outputs
    kind = None
    for i, step in enumerate(steps + [None]):
        k = _fusable(step, meta) if step is not None else None
        if k is not None and (kind is None or k == kind) and len(run) < MAX_OPS:
            run.append(step)
            kind = k
            continue
        fused = None
        if len(run) >= MIN_OPS:
            fused = _fused_step(run, kind, meta, keep, readers, i - 1, rows)
        out += run if fused is None else [fused]
        run, kind = [], None
        if step is None:
            break
        if k is not None:
            run, kind = [step], k
        else:
            out.append(step)
    return out


def _fusable(step: Step, meta: dict):
    """(shape, dtype) of the run ``step`` can join, or None."""
    if step.kind != "op" or step.op not in EXPRESSIONS or step.kwargs or step.side:
        return None
    shape, dtype, contiguous, host = meta[step.out]
    if dtype not in _FLOATS or not contiguous or not host:  # numba: NumPy arrays only
        return None
    conditions = (0,) if step.op is ew.Where else ()
    for j, a in enumerate(step.args):
        if type(a) is Slot:
            a_shape, a_dtype, _, host = meta[a.n]
            if not host:
                return None
        elif isinstance(a, np.ndarray):
            a_shape, a_dtype = a.shape, a.dtype
        elif type(a) in (float, int, bool):
            continue
        else:
            return None
        want = np.dtype(bool) if j in conditions else dtype
        if a_dtype != want or a_shape not in (shape, ()):
            return None
        if a_shape == () and j in conditions:
            return None
    return shape, dtype


def _fused_step(run, kind, meta, keep, readers, end, rows: dict) -> Step | None:
    """One kernel for ``run``. Its outputs are the rows of one new array (an *arena*, ``out``:
    (outputs, elements)); an input that is a row of an earlier kernel's arena is read from that
    arena (``rows``: slot -> (arena, row, rows), filled here), so a call passes a few arrays
    whatever the number of values it reads and writes: numba spends about a microsecond per
    array argument on each call, more than a small kernel's loop."""
    shape, dtype = kind
    f = _FLOATS[dtype]
    made = {step.out for step in run}
    arenas: dict = {}  # arena name -> (parameter name, rows)
    flats: list = []  # Slot / constant arrays read as flat arrays
    scalars: list = []  # 0-d arrays: numbers of the kernel's dtype
    names: dict = {}
    body = []
    local = {step.out: f"t{k}" for k, step in enumerate(run)}  # by position: see MAX_OPS

    def operand(a) -> str:
        if type(a) is Slot and a.n in made:
            return local[a.n]
        if type(a) is not Slot and not isinstance(a, np.ndarray):  # a Python number: a literal
            return _literal(dtype.type(a), f)
        key = ("s", a.n) if type(a) is Slot else ("c", id(a))
        if key in names:
            return names[key]
        if type(a) is Slot and a.n in rows:
            arena, row, n_rows = rows[a.n]
            if arena not in arenas:
                arenas[arena] = (f"arena{len(arenas)}", n_rows)
            names[key] = f"{arenas[arena][0]}[{row}, i]"
        elif (meta[a.n][0] if type(a) is Slot else a.shape) == ():  # numba: a number
            scalars.append(a)
            names[key] = f"s{len(scalars) - 1}"
        else:
            flats.append(a)
            names[key] = f"in{len(flats) - 1}[i]"
        return names[key]

    for step in run:
        expr = EXPRESSIONS[step.op].format(*(operand(a) for a in step.args), f=f)
        body.append(f"{local[step.out]} = {f}({expr})")
    outs = [s.out for s in run if s.out in keep or readers.get(s.out, -1) > end]
    outs = outs or [run[-1].out]  # a kernel writes at least one array
    lines = [f"buf[{k}, j] = {local[n]}" for k, n in enumerate(outs)]
    params = ["out", *(p for p, _ in arenas.values())]
    params += [f"in{k}" for k in range(len(flats))] + [f"s{k}" for k in range(len(scalars))]
    loop = "\n".join(" " * 12 + line for line in body + lines)
    digest = hashlib.sha1(f"{params}{loop}".encode()).hexdigest()[:12]
    source = _TEMPLATE.format(
        name=f"fused_{digest}", params=", ".join(params), outs=len(outs), f=f, loop=loop
    )
    fn = _load(digest, source)
    try:  # compile now, on one-element arrays: a replay must not fail halfway
        one = [np.empty((len(outs), 1), dtype)]
        one += [np.empty((n, 1), dtype) for _, n in arenas.values()]
        one += [np.empty(1, meta[a.n][1] if type(a) is Slot else a.dtype) for a in flats]
        one += [np.zeros((), dtype) for _ in scalars]
        fn(*one)
    except Exception:  # any numba error: this run stays unfused
        return None
    arena = f"a{run[0].out}"
    for k, n in enumerate(outs):
        rows[n] = (arena, k, len(outs))
    step = Step("fused", fn, (), {}, tuple(outs))
    step.args = (tuple((a, n) for a, (_, n) in arenas.items()), tuple(flats), tuple(scalars))
    step.label = " ".join(s.op.__name__ for s in run)
    step.side = [shape, dtype, source, arena]
    return step


# Blocks of BLOCK elements: the values go to a local buffer first, then to ``out``. LLVM
# vectorises the loop only if it can rule out that the stores overlap the loads; with more
# than a few output rows it gives up on checking at run time (the overhead chain's forward
# kernel ran 105 us on 256 elements, 10 us through the buffer), while a buffer the kernel
# allocated itself overlaps nothing.
BLOCK = 512
_TEMPLATE = """def {name}({params}):
    n = out.shape[1]
    for b in prange((n + {block} - 1) // {block}):
        start = b * {block}
        m = min({block}, n - start)
        buf = np.empty(({outs}, {block}), {f})
        for j in range(m):
            i = start + j
{loop}
        for k in range({outs}):
            for j in range(m):
                out[k, start + j] = buf[k, j]
""".replace("{block}", str(BLOCK))


def _literal(value, f: str) -> str:
    """``value`` (of the kernel's dtype) as source: the same number, rounded to the dtype by
    ``f32``/``f64``. A literal, not an argument: numba folds it, and a call with fewer
    arguments is cheaper to dispatch (each scalar argument costs about a microsecond)."""
    v = float(value)
    text = repr(v) if math.isfinite(v) else f"math.{'nan' if math.isnan(v) else 'inf'}"
    return f"{f}({'-' if math.isinf(v) and v < 0 else ''}{text})"


_HEADER = '''"""A kernel tg.compile made (tensorgrad/jit/fuse.py): one run of elementwise ops."""

import math

import numpy as np
from numba import prange

from tensorgrad.kernels import kernel
from tensorgrad.kernels.scalar import exp, tanh

f32, f64 = np.float32, np.float64

'''


def _load(digest: str, source: str):
    """The kernel in ``source``, from a file in the cache folder (numba caches beside it)."""
    name = f"tensorgrad_jit_{digest}"
    module = sys.modules.get(name)
    if module is None:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.py"
        text = _HEADER + '@kernel(error_model="numpy")\n' + source
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)  # never a half-written file for another process to import
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return getattr(module, f"fused_{digest}")
