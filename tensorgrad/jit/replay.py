"""A recording as one straight-line Python function: the array code a replay runs.

Each recorded step becomes one line, its slots local variables ``v0, v1, ...``, and every other
value a named constant (op classes by name, parameters' arrays as ``c3``)::

    def replay(v0, v1):
        v2 = MatMul.forward(S, v0, c0)
        v3 = Add.forward(S, v2, c1)
        del v2
        ...

No Tensor, no graph and no engine runs: only the ops' forward functions on arrays, in the order
the eager step ran them. A slot is deleted after its last use, so a replay holds no more memory
than the eager step did. ``source`` is what ``explain()`` shows.
"""

from __future__ import annotations

import itertools
import linecache
import math
import re
import time

import numpy as np

from ..autograd.function import SCRATCH
from ..tensor import Tensor
from . import buffers
from . import fuse as fusion
from .recorder import Recorder, Slot, slots_in

_counter = itertools.count()


class Replay:
    """What one recording replays: ``run(arrays)`` takes the input tensors' arrays and returns
    the step's outputs, with each returned tensor new."""

    functions = ("_fn",)  # the attributes holding the loaded replay functions (``profile``)

    def __init__(self, rec: Recorder, result, fuse: bool = False) -> None:
        self.outputs = _output_refs(rec, result)
        returned = sorted({s.n for s in slots_in(self.outputs)})
        self.n_steps = len(rec.steps)
        steps = rec.steps
        if fuse:
            steps = fusion.fuse(steps, rec.meta, set(returned) | set(rec.inputs))
        # each distinct kernel once (the pieces of a repeating chain share one)
        self.kernels = list(dict.fromkeys(s.side[2] for s in steps if s.kind == "fused"))
        self.source, namespace, plan = _generate(rec, steps, returned)
        self._measure(rec, [(steps, plan)])
        self._fn = load(self.source, namespace)
        self._returned = returned
        self._guard(rec, rec.inputs)

    def _measure(self, rec: Recorder, parts: list) -> None:
        """What explain() reports: the results written into planned buffers (count) and the
        buffers' bytes, the arrays a replay still allocates (count, bytes), constants read.
        ``parts``: (steps, plan) of each function the replay runs."""
        self.plans = [plan for _, plan in parts]
        planned = made = made_bytes = 0
        for steps, plan in parts:
            for i, step in enumerate(steps):
                if step.kind == "fused":  # one arena for all its outputs
                    shape, dtype = step.side[0], step.side[1]
                    new = [(len(step.out) * math.prod(shape) * dtype.itemsize)]
                else:  # arrays that own their memory (a view makes none)
                    outs = step.out if type(step.out) is tuple else (step.out,)
                    outs = [n for n in (*outs, *(n for _, n in step.side)) if n is not None]
                    new = [_nbytes(rec.meta[n]) for n in outs if rec.new_memory(n)]
                if i in plan.into:
                    planned += len(step.out) if step.kind == "fused" else 1
                    new = new[1:] if step.kind != "fused" else []  # side outputs stay new
                made, made_bytes = made + len(new), made_bytes + sum(new)
        n_buffers = sum(len(plan.buffers) for _, plan in parts)
        self.planned = (planned, n_buffers, sum(plan.nbytes for _, plan in parts))
        self.made = (made, made_bytes)
        constants = {id(a): a for _, a in rec.owners.values()}
        self.n_constants = len(constants)
        self.constant_bytes = sum(a.nbytes for a in constants.values())
        self.n_fused = sum(1 for steps, _ in parts for s in steps if s.kind == "fused")

    def _guard(self, rec: Recorder, inputs: list) -> None:
        """What ``stale`` checks: ``inputs`` are the slots of the replay's arguments."""
        # constants held by tensors: a replay is valid only while each tensor holds its array
        self.owners = list(rec.owners.values())
        self.modules = [(m, m.training) for m in rec.modules.values()]
        position = {n: k for k, n in enumerate(inputs)}
        self.guards = [
            (fn, _resolve(args, position), value, label) for fn, args, value, label in rec.guards
        ]

    def guard_miss(self, tensors: list) -> str | None:
        """Which declared value (``recorder.guard``) differs on the arguments ``tensors``."""
        for fn, args, value, label in self.guards:
            now = fn(*_bind(args, tensors))
            if now != value:
                return f"{label} is {now!r}, the recording saw {value!r}"
        return None

    def stale(self) -> str | None:
        """Why this replay no longer fits the program state, or None."""
        for ref, array in self.owners:
            tensor = ref()
            if tensor is None or tensor.array is not array:
                return f"a tensor of shape {tuple(array.shape)} read by the step holds a new array"
        for module, training in self.modules:
            if module.training is not training:
                mode = "train" if module.training else "eval"
                return f"{type(module).__name__} was switched to {mode} mode"
        return None

    def run(self, tensors: list):
        values = self._fn(*[t.array for t in tensors])
        return _build(self.outputs, dict(zip(self._returned, values)))


class _Argument:
    """An argument of a guard: the array of the call's tensor argument ``k``."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k


def _resolve(x, position: dict):
    """A guard's arguments with each ``Slot`` (a recording input) as an ``_Argument``."""
    if type(x) is Slot:
        return _Argument(position[x.n])
    if type(x) in (tuple, list):
        return type(x)(_resolve(v, position) for v in x)
    return x


def _bind(x, tensors: list):
    if type(x) is _Argument:
        return tensors[x.k].array
    if type(x) in (tuple, list):
        return type(x)(_bind(v, tensors) for v in x)
    return x


def _nbytes(meta: tuple) -> int:
    shape, dtype = meta[0], meta[1]
    return math.prod(shape) * dtype.itemsize


def load(source: str, namespace: dict, kind: str = "replay"):
    """The ``replay`` function that ``source`` defines (its lines show in tracebacks)."""
    filename = f"<tg.compile {kind} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    fn = namespace["replay"]
    fn.source = source  # what ``timed`` instruments
    return fn


def timed(fn) -> tuple:
    """The replay function ``fn`` (made by ``load``) with a clock around each line: returns the
    timed function, its lines, and the array each call adds every line's seconds into."""
    head, *lines = fn.source.splitlines()
    body, labels = [head], []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("return"):
            body.append("    _tg_t0 = _tg_clock()")
            body.append(line)
            body.append(f"    _tg_seconds[{len(labels)}] += _tg_clock() - _tg_t0")
            labels.append(line.strip())
        else:
            body.append(line)
    seconds = np.zeros(len(labels))
    namespace = dict(fn.__globals__, _tg_clock=time.perf_counter, _tg_seconds=seconds)
    return load("\n".join(body) + "\n", namespace, "timed replay"), labels, seconds


def callee(line: str) -> str:
    """The function a replay line calls (``v3 = MatMul.forward(S, v1, c0)``: MatMul.forward),
    ``del`` for a line that frees slots, ``=`` for an assignment without a call."""
    if line.startswith("del "):
        return "del"
    calls = re.findall(r"([A-Za-z_][\w.]*)\(", line)
    calls = [c for c in calls if c != "array0"]  # the 0-d wrapper: name what it wraps
    return calls[0] if calls else "="


# ----------------------------------------------------------------------------- outputs


def _output_refs(rec: Recorder, x):
    """The step's return value with each tensor made from a slot replaced by its ``Slot``."""
    if isinstance(x, Tensor):
        n = rec.slot_of(x.array)
        return x if n is None else Slot(n)  # a tensor from before the step is returned as is
    if type(x) in (tuple, list):
        return type(x)(_output_refs(rec, v) for v in x)
    if type(x) is dict:
        return {k: _output_refs(rec, v) for k, v in x.items()}
    return x


def _build(x, values: dict):
    if type(x) is Slot:
        return Tensor._make(values[x.n])
    if type(x) in (tuple, list):
        return type(x)(_build(v, values) for v in x)
    if type(x) is dict:
        return {k: _build(v, values) for k, v in x.items()}
    return x


# ----------------------------------------------------------------------------- code


def _array0(x):
    """A NumPy scalar (what NumPy returns for an op on 0-d arrays) as the 0-d array eager mode
    makes of it (``Tensor._make``); arrays, CuPy's included, pass through."""
    return np.asarray(x) if isinstance(x, np.generic) else x


class _Names:
    """Names for the constants a replay's code reads (op classes by their own name)."""

    def __init__(self) -> None:
        self.namespace: dict = {
            "S": SCRATCH,
            "new": object.__new__,
            "empty": np.empty,
            "ravel": np.ravel,
            "array0": _array0,
        }
        self._by_id: dict[int, str] = {}
        self._count: dict[str, int] = {}

    def of(self, value, prefix: str = "c") -> str:
        """The name of ``value``: its own name, or ``prefix`` and a number (arrays)."""
        name = self._by_id.get(id(value))
        if name is not None:
            return name
        base = getattr(value, "__name__", None)
        if base == "<lambda>":  # zeros.<locals>.<lambda> -> zeros_fn
            base = value.__qualname__.split(".")[0] + "_fn"
        elif isinstance(value, np.dtype):
            base = str(value)
        if not (isinstance(base, str) and base.isidentifier()):
            self._count[prefix] = self._count.get(prefix, -1) + 1
            base = f"{prefix}{self._count[prefix]}"
        name, k = base, 1
        while name in self.namespace:
            name, k = f"{base}_{k}", k + 1
        self.namespace[name] = value
        self._by_id[id(value)] = name
        return name


def _expr(x, names: _Names) -> str:
    if type(x) is Slot:
        return f"v{x.n}"
    if type(x) is tuple:
        inner = ", ".join(_expr(v, names) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if type(x) is list:
        return "[" + ", ".join(_expr(v, names) for v in x) + "]"
    if type(x) is dict and all(isinstance(k, str) for k in x):
        return "{" + ", ".join(f"{k!r}: {_expr(v, names)}" for k, v in x.items()) + "}"
    if x is None or type(x) in (bool, int, str) or (type(x) is float and math.isfinite(x)):
        return repr(x)
    return names.of(x)


def _arguments(args, kwargs, names: _Names) -> str:
    parts = [_expr(a, names) for a in args]
    parts += [f"{k}={_expr(v, names)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _generate(rec: Recorder, steps: list, returned: list, inputs=None) -> tuple[str, dict]:
    """The source of ``def replay(*inputs)`` running ``steps`` and returning the ``returned``
    slots (``inputs``: slots, the recording's inputs by default), and its namespace."""
    inputs = rec.inputs if inputs is None else inputs
    names = _Names()
    keep = set(returned) | set(inputs)
    plan = buffers.plan(rec, steps, keep)
    last: dict[int, int] = {}  # slot -> index of the last step reading it
    for i, step in enumerate(steps):
        for n in step.reads():
            last[n] = i
    ends: dict[int, list] = {}
    lines = ["def replay(" + ", ".join(f"v{n}" for n in inputs) + "):"]
    for i, step in enumerate(steps):
        arguments = _arguments(step.args, step.kwargs, names)
        if step.kind == "op":
            op = names.of(step.op)
            side = [(attr, n) for attr, n in step.side if n in last or n in keep]
            ctx = "ctx" if side else "S"
            if side:
                lines.append(f"    ctx = new({op})")
            call = f"{op}.forward({ctx}, {arguments})"
            if i in plan.into:  # the same forward, written into its planned buffer
                buffer = names.of(plan.into[i], "b")
                if step.op in buffers.FORWARD_OUT:
                    call = f"{op}.forward({ctx}, {arguments}, out={buffer})"
                else:
                    call = f"{names.of(buffers.INTO[step.op])}({arguments}, out={buffer})"
            if rec.meta[step.out][0] == ():  # NumPy returns a scalar where eager makes a 0-d array
                call = f"array0({call})"
            lines.append(f"    v{step.out} = {call}")
            lines += [f"    v{n} = ctx.{attr}" for attr, n in side]
            made = [step.out] + [n for _, n in side]
        elif step.kind == "fused":  # one new array for the outputs (their rows), one call
            shape, dtype, _, arena = step.side
            arenas, flats, scalars = step.args
            made = list(step.out)
            if i in plan.into:
                lines.append(f"    {arena} = {names.of(plan.into[i], 'b')}")
            else:
                lines.append(f"    {arena} = empty(({len(made)}, *{shape!r}), {names.of(dtype)})")
            args = [f"{name}.reshape({n}, -1)" for name, n in ((arena, len(made)), *arenas)]
            args += [f"ravel({_expr(a, names)})" for a in flats]
            args += [_expr(s, names) for s in scalars]
            lines.append(f"    {names.of(step.fn)}({', '.join(args)})  # {step.label}")
            # [k, ...]: a 0-d row stays an array (arena[k] would be a NumPy scalar)
            lines += [f"    v{n} = {arena}[{k}, ...]" for k, n in enumerate(made)]
        else:
            call = f"{names.of(step.fn)}({arguments})"
            if i in plan.into:  # its result's planned element written into a buffer
                call = f"{names.of(step.fn)}({arguments}, out={names.of(plan.into[i], 'b')})"
            if type(step.out) is tuple:
                made = [n for n in step.out if n is not None]
                targets = ", ".join("_" if n is None else f"v{n}" for n in step.out)
                lines.append(f"    {targets}{',' if len(step.out) == 1 else ''} = {call}")
            else:
                made = [] if step.out is None else [step.out]
                if made and rec.meta[step.out][0] == ():
                    call = f"array0({call})"
                lines.append(f"    v{step.out} = {call}" if made else f"    {call}")
        for n in made:  # never read and not returned: free it at once
            if n not in last and n not in keep:
                ends.setdefault(i, []).append(n)
        for s in step.reads():
            if last[s] == i and s not in keep:
                ends.setdefault(i, []).append(s)
        if i in ends:
            lines.append("    del " + ", ".join(f"v{n}" for n in sorted(set(ends[i]))))
    lines.append("    return (" + "".join(f"v{n}, " for n in returned) + ")")
    return "\n".join(lines) + "\n", names.namespace, plan
