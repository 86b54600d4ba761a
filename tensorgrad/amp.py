"""Automatic mixed precision: ``autocast`` and ``GradScaler``, as ``torch.amp``.

``autocast(device_type, dtype=float16)`` makes a short list of ops compute in lower precision and
another short list in float32, whatever the dtype of their inputs (PyTorch's CUDA op lists, cut
to the ops tensorgrad has, are the guide; the same lists apply on ``'cpu'``):

* lower precision (``LOWER``): ``matmul``/``@``/``dot``, ``einsum``, ``F.linear`` (the fused
  Linear op too), ``conv1d``, ``conv2d``, ``conv_transpose2d``. Floating inputs other than float64
  are cast to ``dtype`` (PyTorch leaves float64 alone too).
* float32 (``FP32``): ``softmax``, ``log_softmax`` (Tensor methods and ``F``), every loss in
  ``nn/loss.py`` that takes floating inputs, ``layer_norm``, ``rms_norm``, ``group_norm``,
  ``batch_norm``. Inputs in float16 are cast to float32, so the result is float32.

Everything else runs in the dtype it is given. Differences from PyTorch: elementwise ops and
reductions (``exp``, ``log``, ``pow``, ``sum``) are not on the float32 list (it would put a flag
check in every op); on ``'cpu'`` PyTorch runs softmax and the norms in the input's dtype, we use
the CUDA list on both devices. ``dtype`` is float16 or, on ``'cpu'``, bfloat16 (PyTorch's CPU
default, here too; it needs the ml_dtypes package, and CuPy has no bfloat16).

The casts are the differentiable ``Cast`` op, so gradients flow back to float32 parameters in
float32: master weights stay float32. The state is process-global, like grad mode (tensorgrad
runs ops from one thread); outside ``autocast`` an op pays one attribute check.

``GradScaler`` is dynamic loss scaling with PyTorch's semantics and state dict.
``custom_fwd``/``custom_bwd`` decorate a custom ``autograd.Function``'s forward and backward as
PyTorch's do; ``set_autocast_dtype`` sets the dtype an ``autocast`` without one uses.
"""

from __future__ import annotations

import collections.abc
import functools
import math

import numpy as np

from . import backend
from .backend import is_float
from .jit import recorder
from .jit.recorder import replayed

LOWER = "lower"
FP32 = "fp32"


__all__ = [
    "GradScaler",
    "autocast",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
    "set_autocast_dtype",
]

_DEVICE_TYPES = ("cpu", "cuda")


class AutocastState:
    """``active``: some device type has autocast on (the one flag the ops check);
    ``dtypes``: device type -> the lower-precision numpy dtype while enabled;
    ``defaults``: device type -> the dtype ``set_autocast_dtype`` set (used by an ``autocast``
    given no dtype)."""

    active = False
    dtypes: dict[str, np.dtype] = {}
    defaults: dict[str, np.dtype] = {}


def is_autocast_available(device_type: str) -> bool:
    """Whether ``autocast(device_type)`` works: True for ``'cpu'`` and ``'cuda'``, the two
    device types tensorgrad has (PyTorch also answers True for the others it knows)."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether code runs inside an enabled ``autocast(device_type)``; with no argument, CUDA's
    (as ``torch.is_autocast_enabled()``)."""
    return device_type in AutocastState.dtypes


def get_autocast_dtype(device_type: str = "cuda"):
    """The dtype autocast uses for ``device_type``: PyTorch's defaults, bfloat16 on ``'cpu'``
    and float16 on ``'cuda'``, unless ``set_autocast_dtype`` changed them."""
    fast = AutocastState.dtypes.get(device_type, AutocastState.defaults.get(device_type))
    if fast is None:
        return backend.bfloat16 if device_type == "cpu" else backend.float16
    return backend.from_np(fast)


def _lower_dtype(dtype, what: str, device_type: str) -> np.dtype:
    d = backend.to_dtype(dtype)
    if d is backend.bfloat16:
        if device_type != "cpu":
            raise RuntimeError(
                f"{what}: bfloat16 is not supported on {device_type!r} (CuPy has no bfloat16 "
                "type); use dtype=float16"
            )
        try:
            return d.np
        except TypeError as e:  # ml_dtypes is missing
            raise RuntimeError(f"{what}: {e}; or pass dtype=tg.float16") from None
    if d is not backend.float16:
        raise RuntimeError(
            f"{what}: only float16 and bfloat16 (on 'cpu') are supported as the "
            f"lower-precision dtype, got {d}"
        )
    return d.np


def _check_device_type(device_type, what: str) -> None:
    if not isinstance(device_type, str):
        raise ValueError(
            f"{what}: expected device_type as a string, got {type(device_type).__name__}"
        )
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"{what}: device_type must be 'cpu' or 'cuda', got {device_type!r}")


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Set the dtype an ``autocast(device_type)`` given no ``dtype`` uses (PyTorch's
    ``torch.set_autocast_dtype``): float16, or bfloat16 on ``'cpu'``."""
    _check_device_type(device_type, "set_autocast_dtype")
    AutocastState.defaults = {
        **AutocastState.defaults,
        device_type: _lower_dtype(dtype, "set_autocast_dtype", device_type),
    }


class autocast:
    """``with autocast('cuda'):`` or ``@autocast('cpu', dtype=tg.float16)``: see the module
    docstring for which ops change dtype. ``enabled=False`` turns autocast off inside the block
    (nested blocks restore the outer state on exit). ``tg.autocast`` is this class, as
    ``torch.autocast`` is ``torch.amp.autocast``; ``device_type`` is required, as there."""

    def __init__(
        self,
        device_type: str,
        dtype=None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        _check_device_type(device_type, "autocast")
        if dtype is None:
            dtype = AutocastState.defaults.get(device_type)
        if dtype is None:  # PyTorch's defaults
            dtype = backend.bfloat16 if device_type == "cpu" else backend.float16
        # a disabled block never casts: its dtype needs no package (bfloat16's ml_dtypes)
        np_dtype = _lower_dtype(dtype, "autocast", device_type) if enabled else None
        self.device_type, self.fast_dtype, self.enabled = device_type, np_dtype, bool(enabled)
        self._prev: list = []

    def __enter__(self) -> autocast:
        self._prev.append(dict(AutocastState.dtypes))
        dtypes = dict(AutocastState.dtypes)
        if self.enabled:
            dtypes[self.device_type] = self.fast_dtype
        else:
            dtypes.pop(self.device_type, None)
        AutocastState.dtypes, AutocastState.active = dtypes, bool(dtypes)
        return self

    def __exit__(self, *exc) -> None:
        dtypes = self._prev.pop()
        AutocastState.dtypes, AutocastState.active = dtypes, bool(dtypes)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


def _cast(value, device_type: str, dtype):
    """``value`` with every floating tensor on ``device_type`` (float64 excepted) cast to
    ``dtype``, through lists, tuples, dicts and other iterables, as PyTorch's ``_cast``."""
    from .tensor import Tensor

    if isinstance(value, Tensor):
        eligible = (
            value.is_floating_point()
            and value.device.type == device_type
            and value.dtype != backend.float64
        )
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {
            _cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()
        }
    if isinstance(value, collections.abc.Iterable):
        cast = (_cast(v, device_type, dtype) for v in value)
        return type(value)(cast) if isinstance(value, (list, tuple)) else cast
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorate the ``forward`` of a custom ``autograd.Function`` (``torch.amp.custom_fwd``).

    Inside an enabled ``autocast(device_type)`` with ``cast_inputs`` given, the floating
    tensors among the arguments (not float64) are cast to ``cast_inputs`` and ``forward`` runs
    with autocast off; with ``cast_inputs=None`` it runs under the current autocast state.
    Outside autocast it is a plain call. The state is noted on ``ctx`` for ``custom_bwd``.
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        with autocast(device_type, enabled=False):
            return fwd(
                *_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs)
            )

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorate the ``backward`` of a custom ``autograd.Function`` (``torch.amp.custom_bwd``):
    it runs under the autocast state its ``forward`` (decorated with ``custom_fwd``) ran in."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd


def autocast_inputs(*tensors, policy: str):
    """The inputs of an autocast op, cast by ``policy`` (``LOWER`` or ``FP32``) when autocast is
    enabled for their device type; anything that is not a floating tensor passes unchanged.
    Callers check ``AutocastState.active`` first, so ops outside autocast pay nothing more."""
    dtypes = AutocastState.dtypes
    out = []
    for t in tensors:
        dt = getattr(t, "array", None)
        dt = getattr(dt, "dtype", None)
        if dt is not None and is_float(dt) and hasattr(t, "device"):
            fast = dtypes.get(t.device.type)
            if fast is not None:
                if policy == LOWER and dt != fast and dt != np.float64:
                    t = t.to(fast)
                elif policy == FP32 and dt == fast:
                    t = t.to(np.float32)
        out.append(t)
    return tuple(out)


# ---------------------------------------------------------------------------------- GradScaler


_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """Dynamic loss scaling: ``scaler.scale(loss).backward()``, then ``scaler.step(optimizer)``
    (which unscales the gradients and skips the step if any is inf or NaN) and
    ``scaler.update()`` (scale *= backoff_factor after an overflow, *= growth_factor after
    ``growth_interval`` clean steps). Call ``scaler.unscale_(optimizer)`` before gradient
    clipping. With ``enabled=False`` every method is a pass-through.

    Unlike PyTorch the scale is a Python float (no device tensor, so no host sync to save)."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer_states: dict[int, dict] = {}

    # ------------------------------------------------------------------ scaling

    def scale(self, outputs):
        """``outputs * scale`` for a tensor or a (nested) list/tuple of tensors."""
        if not self._enabled:
            return outputs
        from .tensor import Tensor

        def apply(x):
            if isinstance(x, Tensor):
                # PyTorch's scale is a 0-dim float32 tensor: a 0-dim float16 loss times it is
                # float32, a float16 tensor stays float16 but is multiplied in float32 (as its
                # CPU kernels compute float16), so 65536 * 0.5 is 32768, not inf
                # a recorded call: tg.compile's replay reads the scale update() left
                scale = Tensor._make(recorder.call(self._scale_array, x.device))
                if x.array.dtype != np.float16:
                    return x * scale
                out = x.float() * scale
                return out.half() if x.ndim else out
            if isinstance(x, (list, tuple)):
                return type(x)(apply(v) for v in x)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _scale_array(self, device):
        return backend.to_device(np.asarray(np.float32(self._scale)), device)

    def _state(self, optimizer) -> dict:
        return self._per_optimizer_states.setdefault(
            id(optimizer), {"stage": _READY, "found_inf": False}
        )

    @replayed  # the inf check and the skipped step: Python again on every tg.compile replay
    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place (once per step) and record
        whether any is inf or NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float32(1.0 / self._scale)  # as PyTorch: the reciprocal in float64, then float32
        finite: dict = {}  # xp -> device booleans, read back once (one sync per step, not per grad)
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.array.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                # a new array, not in place: a gradient may be a read-only broadcast view
                g.array = g.array * inv.astype(g.array.dtype)
                xp = backend.xp_of(g.array)
                finite.setdefault(xp, []).append(xp.isfinite(g.array).all())
        state["found_inf"] = not all(bool(xp.stack(fs).all()) for xp, fs in finite.items())
        state["stage"] = _UNSCALED

    @replayed
    def step(self, optimizer, *args, **kwargs):
        """Unscale (if ``unscale_`` was not called) and run ``optimizer.step(*args, **kwargs)``
        unless a gradient is inf or NaN; returns its value, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        retval = None
        if not state["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return retval

    @replayed
    def update(self, new_scale=None) -> None:
        """Back off after an overflow in this iteration, else grow every ``growth_interval``
        clean steps; ``new_scale`` (a float or a one-element tensor) sets the scale instead."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        else:
            if not self._per_optimizer_states:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer_states.values()):
                self._scale = float(np.float32(self._scale * self._backoff_factor))
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = float(np.float32(self._scale * self._growth_factor))
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer_states = {}

    # ------------------------------------------------------------------ accessors

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """PyTorch's keys; empty when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
