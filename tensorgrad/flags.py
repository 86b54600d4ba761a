"""Process-wide switches that PyTorch scripts set at the top, with PyTorch's names and checks.

tensorgrad's matmuls always run in full float32 on the CPU and through CuPy's default (no TF32)
on the GPU, and its CPU ops are deterministic, so most of these switches record what was asked
and change nothing; they exist so that an unchanged PyTorch script runs and reads back what it
set (``torch.set_float32_matmul_precision('high')`` opens many training scripts).
"""

from __future__ import annotations

import warnings

_matmul_precision = "highest"
_deterministic = False
_deterministic_warn_only = False
_warn_always = False
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``'highest'``, ``'high'`` or ``'medium'`` (PyTorch may then use TF32 or bfloat16
    in float32 matmuls; tensorgrad always computes them in float32). Another value warns and
    changes nothing, as PyTorch's."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            stacklevel=2,
        )
        return
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The last precision ``set_float32_matmul_precision`` recorded (``'highest'`` at first)."""
    return _matmul_precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (tensorgrad's CPU ops are; on the GPU, index adds
    use CuPy's atomics, whose float sums may differ in the last bits from run to run)."""
    global _deterministic, _deterministic_warn_only
    if not isinstance(mode, bool):
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    _deterministic, _deterministic_warn_only = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in effect."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether it was set with ``warn_only=True``."""
    return _deterministic_warn_only


def set_deterministic_debug_mode(debug_mode) -> None:
    """``'default'``/0 (off), ``'warn'``/1 (on, warn only) or ``'error'``/2 (on)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                f"got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2) or isinstance(debug_mode, bool):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 (warn only) or 2, as ``set_deterministic_debug_mode`` takes them."""
    if not _deterministic:
        return 0
    return 1 if _deterministic_warn_only else 2


def set_flush_denormal(mode: bool) -> bool:
    """False: tensorgrad leaves the CPU's handling of denormal numbers as it is (PyTorch
    returns False where it cannot set it either)."""
    return False


def set_warn_always(b: bool) -> None:
    """Record whether warnings PyTorch gives once should be given every time."""
    global _warn_always
    _warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    """What ``set_warn_always`` recorded (False at first)."""
    return _warn_always


def typename(obj) -> str:
    """A tensor's legacy type name (``'torch.FloatTensor'``, from ``Tensor.type()``), else
    the object's qualified class name."""
    from .tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"
