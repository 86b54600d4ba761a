"""``repr`` of a tensor, in PyTorch's format: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from . import backend

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: str(v)
    absmax, absmin = np.abs(finite).max(), np.abs(finite).min()
    if np.all(finite == np.round(finite)) and absmax < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    if absmax >= 1e8 or (absmin > 0 and absmin < 1e-4) or (absmin > 0 and absmax / absmin > 1e3):
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def _body(array: np.ndarray) -> str:
    if array.dtype.kind == "f":
        fmt = _float_formatter(array.astype(np.float64))
        width = max((len(fmt(v)) for v in array.reshape(-1)), default=0)
        return np.array2string(
            array,
            separator=", ",
            formatter={"float_kind": lambda v: fmt(v).rjust(width)},
            prefix="tensor(",
            threshold=1000,
            edgeitems=3,
            max_line_width=80,
        )
    if array.dtype.kind == "b":
        return np.array2string(
            array,
            separator=", ",
            formatter={"bool": lambda v: "True" if v else "False"},
            prefix="tensor(",
            threshold=1000,
            edgeitems=3,
            max_line_width=80,
        )
    return np.array2string(
        array, separator=", ", prefix="tensor(", threshold=1000, max_line_width=80
    )


def format_tensor(t) -> str:
    array = backend.to_device(t.data, backend.CPU)
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if array.size == 0:
        body = "[]"
        if array.shape != (0,):
            extras.insert(0, f"size={tuple(array.shape)}")
    else:
        body = _body(array)
    if array.dtype.name not in _DEFAULT_DTYPES or (array.size == 0 and array.dtype != np.float32):
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
