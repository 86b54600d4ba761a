"""``torch.profiler`` / ``torch.autograd.profiler``, reduced to wall-clock timing of the
blocks a script names with ``record_function``.

PyTorch's profiler also records every operator (``aten::addmm``, ...) with its input shapes and
memory; tensorgrad has no operator-level hooks for that, so only ``record_function`` blocks (and
the whole ``profile`` block, as ``"ProfilerStep"``-free totals) appear in ``key_averages()``.
``record_shapes``, ``profile_memory``, ``with_stack``, ``schedule`` and the CUDA activity are
accepted and record nothing extra; ``on_trace_ready`` is called on exit. Times are host time in
microseconds, ``self`` time excluding nested ``record_function`` blocks.
"""

from __future__ import annotations

import enum
import functools
import json
import time
from dataclasses import dataclass

__all__ = [
    "EventList",
    "FunctionEventAvg",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "tensorboard_trace_handler",
]


class ProfilerActivity(enum.Enum):
    """Which devices to profile; only host (CPU) time is measured."""

    CPU = 0
    CUDA = 1
    XPU = 2
    MTIA = 3


@dataclass
class FunctionEventAvg:
    """The totals of one ``record_function`` name: ``count`` calls, ``cpu_time_total`` and
    ``self_cpu_time_total`` in microseconds; ``cpu_time`` is the mean per call."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        """Mean microseconds per call."""
        return self.cpu_time_total / max(self.count, 1)


class EventList(list):
    """The ``FunctionEventAvg`` rows of ``key_averages()``, with PyTorch's ``table``."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs) -> str:
        """A text table like PyTorch's, sorted by ``sort_by`` (``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"cpu_time"``, ``"count"``; ``cuda_*`` keys sort as
        zero), longest first."""
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by, 0.0), reverse=True)
        rows = rows[:row_limit] if row_limit and row_limit > 0 else rows
        total = sum(e.self_cpu_time_total for e in self) or 1.0
        width = max([len("Name")] + [len(e.key) for e in rows]) + 2
        head = (
            f"{'Name':<{width}}{'Self CPU %':>12}{'Self CPU':>12}"
            f"{'CPU total':>12}{'CPU time avg':>14}{'# of Calls':>12}"
        )
        line = "-" * len(head)
        out = [line, head, line]
        for e in rows:
            out.append(
                f"{e.key:<{width}}{100 * e.self_cpu_time_total / total:>11.2f}%"
                f"{_us(e.self_cpu_time_total):>12}{_us(e.cpu_time_total):>12}"
                f"{_us(e.cpu_time):>14}{e.count:>12}"
            )
        out += [line, f"Self CPU time total: {_us(total)}", ""]
        return "\n".join(out)

    def total_average(self) -> FunctionEventAvg:
        """All rows added together."""
        t = FunctionEventAvg("Total")
        for e in self:
            t.count += e.count
            t.cpu_time_total += e.cpu_time_total
            t.self_cpu_time_total += e.self_cpu_time_total
        return t


def _us(micro: float) -> str:
    if micro >= 1e6:
        return f"{micro / 1e6:.3f}s"
    if micro >= 1e3:
        return f"{micro / 1e3:.3f}ms"
    return f"{micro:.3f}us"


_ACTIVE: list[profile] = []  # the profiles now recording, innermost last


class profile:
    """``with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:``;
    afterwards ``prof.key_averages().table(sort_by="cpu_time_total")``. Also
    ``torch.autograd.profiler.profile(enabled=True, use_cuda=False, ...)``: the same class.
    See the module docstring for what is recorded."""

    def __init__(self, *args, enabled: bool = True, on_trace_ready=None, **kwargs) -> None:
        self.enabled = enabled
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self._events: list[tuple[str, float, float, float]] = []  # name, start, total, self

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Begin recording (what ``__enter__`` does)."""
        if self.enabled:
            _ACTIVE.append(self)

    def stop(self) -> None:
        """End recording and call ``on_trace_ready(self)`` if given."""
        if self in _ACTIVE:
            _ACTIVE.remove(self)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def step(self) -> None:
        """Mark the end of a training step (counted; no schedule is applied)."""
        self.step_num += 1

    def _add(self, name: str, start: float, total: float, self_time: float) -> None:
        self._events.append((name, start, total, self_time))

    def key_averages(self, group_by_input_shape: bool = False, **kwargs) -> EventList:
        """One ``FunctionEventAvg`` per ``record_function`` name, in first-seen order."""
        rows: dict[str, FunctionEventAvg] = {}
        for name, _, total, self_time in self._events:
            e = rows.setdefault(name, FunctionEventAvg(name))
            e.count += 1
            e.cpu_time_total += total
            e.self_cpu_time_total += self_time
        return EventList(rows.values())

    def table(self, *args, **kwargs) -> str:
        """``key_averages().table(...)``."""
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path: str) -> None:
        """The blocks as Chrome trace events (``chrome://tracing``, Perfetto)."""
        events = [
            {"name": n, "ph": "X", "ts": s, "dur": t, "pid": 0, "tid": 0, "cat": "user_annotation"}
            for n, s, t, _ in self._events
        ]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"traceEvents": events}, f)


class record_function:
    """``with record_function("forward"):`` (or as a decorator): times the block into every
    active ``profile``; costs two clock reads when none is active."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._starts: list[float] = []

    def __enter__(self) -> record_function:
        self._starts.append(time.perf_counter())
        _CHILD_TIME.append(0.0)
        return self

    def __exit__(self, *exc) -> None:
        total = (time.perf_counter() - self._starts[-1]) * 1e6
        start = self._starts.pop() * 1e6
        child_time = _CHILD_TIME.pop()
        if _CHILD_TIME:
            _CHILD_TIME[-1] += total
        for prof in _ACTIVE:
            prof._add(self.name, start, total, total - child_time)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapper


_CHILD_TIME: list[float] = []  # for each open record_function, its nested blocks' time


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """``torch.profiler.schedule(...)``: accepted; ``profile`` records every step anyway."""
    return lambda step: None


def tensorboard_trace_handler(dir_name: str, worker_name=None, use_gzip: bool = False):
    """``on_trace_ready`` handler writing ``dir_name/<worker>.pt.trace.json`` (Chrome trace)."""
    import os
    import socket

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{name}.{time.time_ns()}.pt.trace.json"))

    return handler
