"""Recording a step: every array computation it makes, in order, as steps a replay runs again.

While a ``Recorder`` is ``ACTIVE`` (``tg.compile``'s second call of a function), the step runs
eagerly as always, and each array computation is appended to ``steps``:

* every ``Op.apply`` (forward ops, and the engine's backward formulas, which are ops too): the
  op's ``forward(ctx, *arrays, **params)`` with the arrays it got and the one it returned. It
  is the same call a replay makes, so a branch inside ``forward`` on the data (a finiteness
  test, the numba-or-NumPy choice) is taken again on the new data;
* every ``call(fn, *args)`` at the few places that compute on arrays outside an op: the
  engine's seed gradient and ``.grad`` accumulation, in-place writes without a graph
  (``add_`` under ``no_grad``, BatchNorm's running statistics), dropout's random draw;
* every ``python(fn, *args)``: Python that a replay runs again as it is (``optimizer.step``,
  ``zero_grad``, a scheduler's ``step``), so learning rates, step counts and bias corrections
  are read afresh on every replay. The ops inside it are not recorded.

An array an op or call returned is a *slot* (a local variable of the replay); every other
array is a *constant*, read by reference at replay: parameters, buffers, optimizer state. The
recorder remembers which tensor held each constant, and a replay first checks that each still
holds the same array (a ``load_state_dict`` or ``.to()`` that replaced one re-records).

Python that reads a tensor's value during the recording (``.item()``, ``float(t)``,
``bool(t)``, ``.tolist()``, ``.numpy()``) would be frozen into the replay, so it is a *break*:
the recording is thrown away and the function runs eagerly from then on (``fullgraph=True``:
an error at the read). This module imports nothing of tensorgrad at load time: the autograd
core imports it.
"""

from __future__ import annotations

import functools
import sys
import weakref
from pathlib import Path

import numpy as np

ACTIVE = None  # the Recorder of the step being recorded, or None (checked by the hook sites)

_PACKAGE = str(Path(__file__).resolve().parent.parent)  # tensorgrad/


class Slot:
    """A reference, in a recorded step's arguments, to the array in slot ``n``."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"v{self.n}"


class Step:
    """One recorded computation: ``out = fn(*args, **kwargs)`` (args may hold ``Slot``\\ s).

    ``kind`` is 'op' (``fn`` is an op's forward, called with a ctx first), 'call' (an array
    function), 'check' (an array function that only raises, see ``check``) or 'python'
    (re-run as is, no slots). ``out`` is the output's slot number or None
    (a tuple of them for a call that returns several arrays);
    ``side``: for an op, ``(attribute, slot)`` of arrays its forward left on ``ctx`` (max
    pooling's indices) that later steps read."""

    __slots__ = ("kind", "fn", "args", "kwargs", "out", "op", "side", "label")

    def __init__(self, kind, fn, args, kwargs, out, op=None, label="") -> None:
        self.kind, self.fn, self.args, self.kwargs, self.out = kind, fn, args, kwargs, out
        self.op, self.side, self.label = op, [], label

    def reads(self) -> set[int]:
        """The slots this step reads."""
        return {s.n for s in slots_in((self.args, self.kwargs))}


def slots_in(x):
    """The ``Slot``\\ s in ``x``, an argument or a structure of them (tuples, lists, dicts)."""
    if type(x) is Slot:
        yield x
    elif type(x) in (tuple, list):
        for v in x:
            yield from slots_in(v)
    elif type(x) is dict:
        for v in x.values():
            yield from slots_in(v)


class Break(RuntimeError):
    """A host read inside a ``fullgraph=True`` recording."""


def is_array(x) -> bool:
    from ..backend import is_array

    return is_array(x)


def owner(array):
    from ..backend import owner

    return owner(array)


def user_line() -> str:
    """``file:line`` of the innermost frame outside tensorgrad (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_PACKAGE):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class Recorder:
    """The steps of one recording, the slots they fill and the constants they read."""

    def __init__(self, inputs: list, fullgraph: bool = False, tensors=()) -> None:
        self.steps: list[Step] = []
        self.slots: dict[int, int] = {}  # id(array) -> slot
        self.keep: list = []  # every array seen, alive until the end: ids stay unique
        self.n_slots = 0
        # slot -> (shape, dtype, C-contiguous, NumPy) of the array recorded there
        self.meta: dict[int, tuple] = {}
        # slot -> its axes from outermost to innermost in memory, for an array that fills its
        # memory in another order than C's (a transposed C-contiguous array, an image stored
        # channels first); buffer planning gives such a result a buffer of the same layout
        self.orders: dict[int, tuple] = {}
        # slot -> id of the array owning the memory its array lives in (views share their
        # base's), and that memory -> the first slot seen in it; buffer planning reads both
        self.roots: dict[int, int] = {}
        self.first_in: dict[int, int] = {}
        self.owners: dict[int, tuple] = {}  # id(constant array) -> (tensor weakref, array)
        # id(tensor) -> (its weakref, the tensor it was detached from): see alias()
        self.aliases: dict[int, tuple] = {}
        self.modules: dict[int, object] = {}  # modules called: their train/eval mode is guarded
        self.breaks: list[str] = []  # 'what at file:line' of each host read
        self.guards: list[tuple] = []  # (fn, args, value, label): see guard()
        self.static: set[int] = set()  # slots made from Python values only: see static_call()
        self.fullgraph = fullgraph
        self.paused = 0  # > 0 inside python(): nothing is recorded
        self.inputs = [self._new_slot(a) for a in inputs]
        self.arguments = {id(t) for t in tensors}  # the argument tensors (new ones each call)

    # ------------------------------------------------------------------ slots and references

    def _new_slot(self, array) -> int:
        n = self.n_slots
        self.n_slots += 1
        self.slots[id(array)] = n
        host = type(array) is np.ndarray
        self.meta[n] = (array.shape, array.dtype, array.flags.c_contiguous, host)
        if not array.flags.c_contiguous:
            order = tuple(sorted(range(array.ndim), key=lambda d: -array.strides[d]))
            if array.transpose(order).flags.c_contiguous:
                self.orders[n] = order
        memory = id(owner(array))
        self.roots[n] = memory
        self.first_in.setdefault(memory, n)
        self.keep.append(array)
        return n

    def ref(self, x):
        """``x`` (an argument) with each slot array replaced by its ``Slot``."""
        if is_array(x):
            n = self.slots.get(id(x))
            if n is None:
                self.keep.append(x)  # a constant
                return x
            return Slot(n)
        if type(x) is tuple or type(x) is list:
            return type(x)(self.ref(v) for v in x)
        if type(x) is dict:
            return {k: self.ref(v) for k, v in x.items()}
        return x

    def new_memory(self, n: int) -> bool:
        """Whether slot ``n``'s array is in memory it brought: not a view of an earlier slot's
        array or of a constant, nor the same array again."""
        root = self.roots[n]
        return self.first_in[root] == n and root not in self.owners

    def slot_of(self, array) -> int | None:
        return self.slots.get(id(array))

    # ------------------------------------------------------------------ what the hooks call

    def op(self, apply, cls, inputs: tuple, params: dict):
        """Run ``cls.apply(*inputs, **params)`` (``apply``: the body behind the hook) and
        record its forward."""
        from .. import backend
        from ..autograd import function
        from ..tensor import Tensor

        if not issubclass(cls, function.Op):
            # its forward and backward are the user's Python on tensors, which a replay of
            # this recording cannot tell apart from ours (future work: record their ops)
            self.unsupported(f"the custom autograd.Function {cls.__name__}")
            return _unhooked(apply, cls, inputs, params)
        if self.paused:
            return _unhooked(apply, cls, inputs, params)
        if function.saved_hooks:  # the hooks are the user's Python, run per saved tensor
            self.unsupported("saved_tensors_hooks")
            return _unhooked(apply, cls, inputs, params)
        replayed = cls
        bf16 = backend.BF16
        if (
            bf16 is not None
            and not (cls.is_view or cls.takes_bfloat16)
            and any(getattr(getattr(x, "array", None), "dtype", None) is bf16 for x in inputs)
        ):  # Op.apply gives its forward float32 copies and rounds: so does the replay
            replayed = function.in_float32_op(cls)
        scratch = function.SCRATCH.__dict__
        scratch.clear()
        out = _unhooked(apply, cls, inputs, params)
        arrays = []
        for x in inputs:
            if isinstance(x, Tensor):
                a = x.array
                if id(a) not in self.slots and id(a) not in self.owners:
                    # a constant that a tensor holds: guarded (weakly, as the recording must
                    # not keep a temporary tensor alive, see temporaries()); through a
                    # detached copy (p.detach()), the tensor it was made from
                    self.owners[id(a)] = (weakref.ref(self._holder(x)), a)
                arrays.append(a)
            else:
                arrays.append(x)
        args = self.ref(tuple(arrays))
        step = Step("op", replayed.forward, args, self.ref(params), None, op=replayed)
        ctx = out.grad_fn if type(out.grad_fn) is cls else function.SCRATCH
        attrs = vars(ctx) if ctx is not function.SCRATCH else scratch
        self.steps.append(step)
        step.out = self._new_slot(out.array)
        for name, value in attrs.items():  # an argument or a constant needs no side slot
            if is_array(value) and id(value) not in self.slots and id(value) not in self.owners:
                step.side.append((name, self._new_slot(value)))
        step.label = cls.__name__
        return out

    def _holder(self, x):
        """The tensor that ``x`` was detached from (through any chain of detaches), else x."""
        while id(x) in self.aliases:
            ref, source = self.aliases[id(x)]
            if ref() is not x or source() is None:
                break
            x = source()
        return x

    def call(
        self, fn, args: tuple, kwargs: dict, out, label: str = "", kind="call", static=False
    ) -> None:
        """Record ``out = fn(*args, **kwargs)``, which has just run (``kind`` 'check': a test
        that returns nothing and keeps nothing it reads)."""
        if any(id(a) in self.arguments for a in args):  # e.g. .grad set on an argument
            self.unsupported(f"{getattr(fn, '__name__', fn)} on an argument tensor")
        step = Step(kind, fn, self.ref(args), self.ref(kwargs), None)
        step.label = label or getattr(fn, "__name__", repr(fn))
        self.steps.append(step)
        if is_array(out):
            step.out = self._new_slot(out)
        elif type(out) is tuple and all(a is None or is_array(a) for a in out):
            # several arrays (None for one not computed)
            step.out = tuple(None if a is None else self._new_slot(a) for a in out)
        elif out is not None:
            # a Python value: the code that uses it keeps the value of this call, and a replay
            # would run on with it, stale
            self.host_read(f"{step.label}, which returned a {type(out).__name__} (not an array),")
        if static and step.out is not None and _plain((args, kwargs)):
            self.static.update([step.out] if type(step.out) is int else step.out)
            self.static.discard(None)

    def guard(self, fn, args: tuple, value, label: str) -> None:
        """Keep ``value = fn(*args)`` as a guard (see the module-level ``guard``)."""
        refs = self.ref(args)
        slots = {s.n for s in slots_in(refs)}
        if slots and slots <= self.static:  # made from Python values: the same on every call
            return
        if any(n not in self.inputs for n in slots):
            self.host_read(f"{label}, on a value computed inside the step,")
            return
        self.guards.append((fn, refs, value, label))

    def python(self, fn, args: tuple, kwargs: dict):
        """Run ``fn(*args, **kwargs)`` unrecorded and record it to be run again at replay."""
        self.steps.append(Step("python", fn, args, kwargs, None, label=_qualname(fn)))
        self.paused += 1
        try:
            return fn(*args, **kwargs)
        finally:
            self.paused -= 1

    def temporaries(self) -> list[str]:
        """The steps that read a constant array nothing outside this recording holds: one a
        step made on the side, out of the recorder's sight (a raw array computation in Python),
        which a replay would reuse instead of computing again. Called once the step has run,
        while the recorder's references are the only ones it knows of."""
        consts: dict[int, object] = {}
        ours: dict[int, int] = {}
        readers: dict[int, str] = {}

        def walk(x, label):
            if is_array(x):
                if id(x) not in self.slots:
                    consts[id(x)] = x
                    ours[id(x)] = ours.get(id(x), 0) + 1
                    readers.setdefault(id(x), label)
            elif type(x) in (tuple, list):
                for v in x:
                    walk(v, label)
            elif type(x) is dict:
                for v in x.values():
                    walk(v, label)

        for step in self.steps:
            if step.kind != "python":
                walk((step.args, step.kwargs), step.label)
        for a in self.keep:
            if id(a) in ours:
                ours[id(a)] += 1
        for _, a in self.owners.values():
            if id(a) in ours:
                ours[id(a)] += 1
        found = [
            f"an op (an array of shape {tuple(a.shape)}, its tensor gone)"
            for ref, a in self.owners.values()
            if ref() is None
        ]
        for key in list(consts):
            # references: ours, the consts dict, and getrefcount's argument
            if sys.getrefcount(consts[key]) - 2 <= ours[key]:
                a = consts[key]
                found.append(f"{readers[key]} (an array of shape {tuple(a.shape)})")
        return found

    def host_read(self, what: str) -> None:
        """A tensor's value read by Python: the recording cannot stand for later calls."""
        if self.paused:
            return
        where = f"{what} at {user_line()}"
        if self.fullgraph:
            raise Break(
                f"tg.compile(fullgraph=True): {where} reads a tensor's value inside the compiled "
                "function; a replay would reuse the value read while recording. Move the read "
                "out of the function, or compile without fullgraph=True (the function then runs "
                "eagerly)"
            )
        self.breaks.append(where)

    def unsupported(self, what: str) -> None:
        """Something a replay cannot repeat (a hook, a closure): a break like a host read."""
        self.host_read(what)


def _unhooked(apply, cls, inputs: tuple, params: dict):
    """``apply`` with the hook off (the ops a view refresh runs inside it are bookkeeping)."""
    from ..autograd import function

    function.set_recorder(None)
    try:
        return apply(cls, *inputs, **params)
    finally:
        function.set_recorder(ACTIVE.op if ACTIVE is not None else None)


def _qualname(fn) -> str:
    inner = getattr(fn, "__func__", fn)
    owner = getattr(fn, "__self__", None)
    name = getattr(inner, "__qualname__", repr(inner))
    return name if owner is None else f"{type(owner).__name__}.{name.rsplit('.', 1)[-1]}"


# ----------------------------------------------------------------------------- hook helpers


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, recorded as one step while a recording is in progress: the
    array work that happens outside ``Op.apply``. A NumPy scalar result (what a NumPy function
    gives for 0-d input) comes back as a 0-d array, as a tensor holds it, so that the recording
    keeps track of it."""
    return _run(fn, args, kwargs, static=False)


def _run(fn, args: tuple, kwargs: dict, static: bool):
    out = fn(*args, **kwargs)
    if isinstance(out, np.generic):
        out = np.asarray(out)
    rec = ACTIVE
    if rec is not None and not rec.paused:
        rec.call(fn, args, kwargs, out, static=static)
    return out


# Functions ``call`` steps run that keep nothing they read (they return new arrays or views of
# their arguments): buffer planning may put what they read in a planned buffer, where anything
# else a call runs might keep a reference to it.
PURE_CALLS: set = {np.stack}


def pure(fn):
    """Declare ``fn`` (run through ``call``) pure: it keeps no reference to what it reads."""
    PURE_CALLS.add(fn)
    return fn


def static_call(fn, *args, **kwargs):
    """``call`` for a function of Python values only (ints, floats, tuples of them, dtypes, a
    device: a tensor made from a list, an index array made from lengths). Its result is
    recorded and made again by every replay like any call's, but a value our code reads from
    it (``guard``) needs no check before a replay: it cannot change between calls."""
    return _run(fn, args, kwargs, static=True)


def _plain(x) -> bool:
    """Whether ``x`` holds Python values only (no arrays, tensors or other objects whose
    contents could change between calls)."""
    if x is None or type(x) in (int, float, bool, complex, str, slice):
        return True
    if type(x) in (tuple, list):
        return all(_plain(v) for v in x)
    if type(x) is dict:
        return all(_plain(v) for v in x.values())
    from ..backend import Device

    return isinstance(x, (np.dtype, Device, np.integer, np.floating, np.bool_)) or (
        type(x) is type(np)  # an array module (numpy or cupy)
    )


def alias(tensor, source) -> None:
    """``tensor`` holds ``source``'s array (``detach``, ``.data``): while recording, a constant
    read through it is guarded through ``source``, which outlives it (a parameter)."""
    rec = ACTIVE
    if rec is not None:
        rec.aliases[id(tensor)] = (weakref.ref(tensor), weakref.ref(source))


def check(fn, *args) -> None:
    """``fn(*args)``: a test of our own on array values (an index in range, a probability in
    [0, 1]) that raises on bad input. A branch point declared to the recorder: while recording
    it becomes a step of its own, run again on every replay's arrays, so a replay raises the
    error eager mode would raise instead of reusing the recorded call's verdict."""
    fn(*args)
    rec = ACTIVE
    if rec is not None and not rec.paused:
        rec.call(fn, args, {}, None, kind="check")


def guard(fn, *args, label: str):
    """``fn(*args)``: a Python value computed from arrays that our code branches on (whether a
    mask is the causal one, a packed sequence's batch sizes). A branch point declared to the
    recorder: a value from the step's arguments or constants becomes a guard of the recording,
    computed again on every later call before the replay starts, and a different value records
    again, as a new argument shape does. A value computed inside the step cannot be checked
    before the replay runs: it is a host read (the function runs eagerly). ``label`` says what
    the value is, for ``explain()``."""
    value = fn(*args)
    rec = ACTIVE
    if rec is not None and not rec.paused:
        rec.guard(fn, args, value, label)
    return value


def python(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``; while recording, run again as Python on every replay."""
    rec = ACTIVE
    if rec is None or rec.paused:
        return fn(*args, **kwargs)
    return rec.python(fn, args, kwargs)


def host_read(what: str) -> None:
    rec = ACTIVE
    if rec is not None:
        rec.host_read(what)


def replayed(method):
    """A method that a replay runs again as Python instead of recording the array work inside
    it (``optimizer.step``, ``zero_grad``, a scheduler's ``step``)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        rec = ACTIVE
        if rec is None or rec.paused:
            return method(*args, **kwargs)
        return rec.python(method, args, kwargs)

    return wrapper
