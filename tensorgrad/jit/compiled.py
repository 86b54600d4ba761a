"""``tg.compile``: run a step eagerly once, record it once, replay it from then on.

Call 1 of a function (for each new argument signature) runs eagerly, so lazy state (optimizer
moments, step counters) comes to exist; call 2 runs eagerly while ``recorder.Recorder``
records it; later calls with the same signature replay the recording (``replay.Replay``).

Guards, checked on every call: the arguments' structure, each tensor argument's shape, dtype,
strides, device and requires_grad, the other arguments' values (or identity), grad mode and
autocast (that is the key of a recording), then that every tensor the recording read a
constant array from still holds it, every module called kept its train/eval mode, and every
value our code declared a branch on (``recorder.guard``) is the same. A miss records again; a
function keeps at most ``MAX_RECORDINGS`` recordings, and records again for at most that many
changed values, and then runs eagerly, with one warning.
"""

from __future__ import annotations

import functools
import time
import warnings

from .. import kernels
from ..amp import AutocastState
from ..autograd import function
from ..backend import silence_float_warnings
from ..grad_mode import GradMode
from ..tensor import Tensor
from . import recorder
from .replay import Replay, callee, timed

MAX_RECORDINGS = 8


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend="tensorgrad",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
    fuse: bool = True,
):
    """Compile ``model``, a function that runs a step on tensors: ``tg.compile(fn)`` or
    ``@tg.compile``, ``torch.compile``'s signature (``backend``, ``mode`` and ``options`` are
    accepted and change nothing; ``dynamic`` too: a recording is always specialised to its
    arguments' shapes, as with ``dynamic=False``, and a new shape is recorded next to it). See
    the module docstring and docs/compile.md.

    A Module comes back as itself with its ``forward`` compiled (``jit/graphed.py``): the
    forward and its backward each replayed as one graph node, the forward alone under
    ``no_grad``; its parameters and ``state_dict`` are the module's own."""
    if model is None:
        return functools.partial(
            compile, fullgraph=fullgraph, dynamic=dynamic, disable=disable, fuse=fuse
        )
    from ..nn.module import Module

    if disable or isinstance(model, CompiledFunction):
        return model
    if isinstance(model, Module):
        from .graphed import GraphedForward

        if not isinstance(model.__dict__.get("forward"), GraphedForward):
            options = dict(fuse=fuse, dynamic=bool(dynamic), fullgraph=fullgraph)
            object.__setattr__(model, "forward", GraphedForward(model, **options))
        return model
    if not callable(model):
        raise TypeError(f"tg.compile expects a function or a Module, got {type(model).__name__}")
    return CompiledFunction(model, fuse=fuse, dynamic=bool(dynamic), fullgraph=fullgraph)


class CompiledFunction:
    """``fn`` with its recordings, one per argument signature (see the module docstring)."""

    def __init__(self, fn, *, fuse=True, dynamic=False, fullgraph=False) -> None:
        functools.update_wrapper(self, fn)
        self.fn, self.fuse, self.dynamic, self.fullgraph = fn, fuse, dynamic, fullgraph
        self.reset()

    def reset(self) -> None:
        """Drop every recording: the next call runs eagerly, the one after records."""
        self._replays: dict = {}  # signature -> Replay
        self._warm: set = set()  # signatures that ran once eagerly
        self._eager: str | None = None  # why the function runs eagerly from now on
        self.log: list[str] = []  # what happened, for explain()
        self.replays = 0  # calls answered by a replay
        self._misses = 0  # recordings dropped because a declared value changed

    def __call__(self, *args, **kwargs):
        if self._eager is not None:
            return self.fn(*args, **kwargs)
        key, tensors = _key(args, kwargs)
        replay = self._replays.get(key)
        if replay is not None:
            why = replay.stale()
            miss = replay.guard_miss(tensors) if why is None else None
            if why is None and miss is None:
                silence_float_warnings()
                self.replays += 1
                return replay.run(tensors)
            del self._replays[key]
            if miss is not None:
                self._misses += 1
                if self._misses > MAX_RECORDINGS:
                    self._give_up(f"{miss}, after {MAX_RECORDINGS} values", stacklevel=3)
                    return self.fn(*args, **kwargs)
            self.log.append(f"recording again: {why or miss}")
            return self._record(key, tensors, args, kwargs)
        if key not in self._warm:
            self._warm.add(key)
            return self.fn(*args, **kwargs)
        if len(self._replays) >= MAX_RECORDINGS:
            self._give_up(f"more than {MAX_RECORDINGS} argument signatures", stacklevel=3)
            return self.fn(*args, **kwargs)
        if self._replays:
            self.log.append(f"recording again: new argument signature {_describe(key)}")
        return self._record(key, tensors, args, kwargs)

    def _record(self, key, tensors: list, args: tuple, kwargs: dict):
        if recorder.ACTIVE is not None:  # a compiled function called inside another's step
            return self.fn(*args, **kwargs)
        rec = recorder.Recorder([t.array for t in tensors], self.fullgraph, tensors)
        recorder.ACTIVE = rec
        function.set_recorder(rec.op)
        try:
            out = self.fn(*args, **kwargs)
            finish = self._recording_done(rec, tensors, out)
        finally:
            function.set_recorder(None)
            recorder.ACTIVE = None
        if not rec.breaks:
            temporaries = rec.temporaries()
            if temporaries:
                rec.breaks.append(
                    "arrays computed outside the recorded ops, read by "
                    + ", ".join(temporaries[:3])
                    + (f" and {len(temporaries) - 3} more" if len(temporaries) > 3 else "")
                )
        if rec.breaks:
            self._give_up("; ".join(rec.breaks))
            return out
        replay = finish()
        if replay is None:
            self._give_up("its result cannot be replayed")
            return out
        self._replays[key] = replay
        self.log.append(f"recorded {replay.n_steps} steps for {_describe(key)}")
        return out

    def _recording_done(self, rec, tensors: list, out):
        """Called with the recorder still on, once ``fn`` has run: anything more to record,
        and a function that makes the replay from the recording (or None)."""
        return lambda: Replay(rec, out, fuse=self.fuse and _can_fuse())

    def _give_up(self, why: str, stacklevel: int = 4) -> None:
        """Run eagerly from now on, and say why once (``stacklevel``: the user's call)."""
        self._eager = why
        self._replays.clear()
        self.log.append(f"running eagerly from now on: {why}")
        warnings.warn(
            f"tg.compile: {self.__name__} runs eagerly from now on: {why} (a replay would reuse "
            "what Python saw while recording)",
            stacklevel=stacklevel,
        )

    def explain(self) -> str:
        """What was recorded: each recording's steps as the array code a replay runs, the
        constants it reads and the guards it checks, and why each recording happened."""
        out = [f"tg.compile({self.__name__}): {len(self._replays)} recording(s)"]
        out += [f"  {line}" for line in self.log]
        if self._eager is not None:
            out.append(f"  eager: {self._eager}")
        for key, replay in self._replays.items():
            out.append("")
            out.append(f"recording for {_describe(key)}: {replay.n_steps} steps")
            out.append(
                f"guards: {len(replay.owners)} tensors hold the same arrays, "
                f"{len(replay.modules)} modules keep their train/eval mode"
                + "".join(f", {label} is {value!r}" for _, _, value, label in replay.guards)
            )
            results, n_buffers, buffer_bytes = replay.planned
            count, nbytes = replay.made
            out.append(
                f"buffers: {results} results written into {n_buffers} planned buffers "
                f"({_size(buffer_bytes)}), made once and reused by every replay"
            )
            out.append(
                f"arrays: {count} made per replay ({_size(nbytes)}), freed after their last "
                f"use; constants read by reference: {replay.n_constants} "
                f"({_size(replay.constant_bytes)}); fused kernels: {replay.n_fused} calls"
            )
            out.append(replay.source)
            for source in replay.kernels:
                out.append(f"fused kernel:\n{source}")
        return "\n".join(out)

    def profile(self, *args, steps: int = 20, top: int = 20, **kwargs) -> str:
        """Time each line of the replay that answers ``self(*args, **kwargs)`` over ``steps``
        replayed calls: the slowest lines, then the time of each function the lines call.

        The calls are real: a training step trains ``steps`` times (after the eager call and
        the recording call, when no recording answers these arguments yet). The clock around
        each line costs well under a microsecond, so the lines add up to the call's time.
        ``steps`` and ``top`` are profile's own: a step's arguments of those names go by
        position."""
        if steps < 1 or top < 1:
            raise ValueError(f"profile: steps and top must be >= 1, got {steps} and {top}")
        replay = None
        for _ in range(3):  # a new signature runs eagerly, then records, then replays
            if self._eager is not None:
                raise RuntimeError(
                    f"tg.compile({self.__name__}).profile: the function runs eagerly "
                    f"({self._eager}); there is no replay to time"
                )
            key, tensors = _key(args, kwargs)
            replay = self._replays.get(key)
            if replay is not None and replay.stale() is None and not replay.guard_miss(tensors):
                break
            replay = None
            self(*args, **kwargs)
        if replay is None:
            raise RuntimeError(
                f"tg.compile({self.__name__}).profile: no recording answers these arguments "
                f"after three calls ({self.log[-1] if self.log else 'nothing recorded'})"
            )
        originals = {name: getattr(replay, name) for name in replay.functions}
        clocked = {name: timed(fn) for name, fn in originals.items()}
        replays = self.replays
        try:
            for name, (fn, _, _) in clocked.items():
                setattr(replay, name, fn)
            start = time.perf_counter()
            for _ in range(steps):
                self(*args, **kwargs)
            per_call = (time.perf_counter() - start) / steps
        finally:
            for name, fn in originals.items():
                setattr(replay, name, fn)
        if self.replays - replays != steps:
            raise RuntimeError(
                f"tg.compile({self.__name__}).profile: a call recorded again instead of "
                f"replaying ({self.log[-1]}); the timings would mix recordings"
            )
        return _profile_table(self.__name__, steps, per_call, clocked.values(), top)


def _profile_table(name: str, steps: int, per_call: float, clocked, top: int) -> str:
    """``profile``'s report: microseconds per call of the slowest lines and of each callee."""
    lines = [
        (label, seconds / steps)
        for _, labels, sums in clocked
        for label, seconds in zip(labels, sums)
    ]
    total = sum(t for _, t in lines)
    out = [
        f"tg.compile({name}): {steps} replays, {per_call * 1e3:.3f} ms per call, "
        f"{total * 1e3:.3f} ms in its {len(lines)} lines",
        f"{'us/call':>10} {'share':>6}  line",
    ]
    share = (lambda t: t / total) if total > 0 else (lambda t: 0.0)
    for label, t in sorted(lines, key=lambda x: -x[1])[:top]:
        label = label if len(label) <= 100 else label[:99] + "…"  # a fused run's long comment
        out.append(f"{t * 1e6:10.1f} {share(t):6.1%}  {label}")
    by_callee: dict[str, list] = {}
    for label, t in lines:
        entry = by_callee.setdefault(callee(label), [0.0, 0])
        entry[0] += t
        entry[1] += 1
    out.append(f"{'us/call':>10} {'share':>6}  function (lines)")
    for fn, (t, n) in sorted(by_callee.items(), key=lambda x: -x[1][0])[:top]:
        out.append(f"{t * 1e6:10.1f} {share(t):6.1%}  {fn} ({n})")
    return "\n".join(out)


def _key(args: tuple, kwargs: dict) -> tuple:
    """The recording key of a call (argument signatures, grad mode, autocast) and its tensors."""
    tensors: list = []
    key = (_signature(args, tensors), _signature(kwargs, tensors), GradMode.enabled)
    if AutocastState.active:
        key += (tuple(AutocastState.dtypes.items()),)
    return key, tensors


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:.2f} MiB" if nbytes >= 2**20 else f"{nbytes / 2**10:.1f} KiB"


@functools.cache
def _can_fuse() -> bool:
    """Fusion compiles with numba (the fast extra); without it, replays are unfused."""
    if kernels.AVAILABLE:
        return True
    warnings.warn(
        "tg.compile: numba is not installed (pip install tensorgrad[fast]): steps are recorded "
        "and replayed without fusing elementwise ops",
        stacklevel=4,
    )
    return False


def _signature(x, tensors: list):
    """A hashable description of an argument (tensors are appended to ``tensors``)."""
    if isinstance(x, Tensor):
        tensors.append(x)
        a = x.array
        return (Tensor, type(a), a.shape, a.dtype, a.strides, x.requires_grad, str(x.device))
    if isinstance(x, tuple) or type(x) is list:  # named tuples too (a PackedSequence)
        return (type(x), tuple(_signature(v, tensors) for v in x))
    if type(x) is dict:
        return (dict, tuple((k, _signature(v, tensors)) for k, v in x.items()))
    try:
        hash(x)
    except TypeError:
        return ("id", id(x))
    return (type(x), x)


def _describe(key) -> str:
    shapes = []

    def walk(sig):
        if type(sig) is tuple and sig and sig[0] is Tensor:
            shapes.append(f"{tuple(sig[2])} {sig[3]}")
        elif type(sig) is tuple:
            for s in sig:
                walk(s)

    walk(key[:2])
    return "tensors " + (", ".join(shapes) if shapes else "none")
