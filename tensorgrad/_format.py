"""``repr`` of a tensor, character for character PyTorch's (``torch/_tensor_str.py``).

``tensor([1.0000, 2.5000], requires_grad=True)``: one formatter per tensor chooses between
integer mode (``1.``), fixed point with 4 decimals and scientific notation from the nonzero
finite values, pads every element to the widest, and wraps lines at 80 columns. Tensors with
more than 1000 elements show 3 items at each edge of every dimension.
"""

from __future__ import annotations

import math

import numpy as np

from . import backend

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
_DEFAULT_DTYPES = ("float32", "int64", "bool")


class _Formatter:
    """The shared width and notation of every element, chosen from ``values`` (all of them)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            self.max_width = max([1, *(len(str(v)) for v in values.reshape(-1).tolist())])
            return
        flat = values.reshape(-1).astype(np.float64)
        nonzero = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero.size == 0:
            return
        magnitude = np.abs(nonzero)
        lo, hi = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        # integral values only switch to scientific notation for a large range or size
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4))
        if self.sci_mode:
            widths = (len(f"{v:.{PRECISION}e}") for v in nonzero.tolist())
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in nonzero.tolist())  # + 1 for the "."
        else:
            widths = (len(f"{v:.{PRECISION}f}") for v in nonzero.tolist())
        self.max_width = max(widths)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.max_width)


def _summarized(array: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: the edge items of every dimension."""
    for axis, size in enumerate(array.shape):
        if size > 2 * EDGEITEMS:
            index = np.r_[0:EDGEITEMS, size - EDGEITEMS : size]
            array = np.take(array, index, axis=axis)
    return array


def _vector(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    elements_per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
    if summarize and array.shape[0] > 2 * EDGEITEMS:
        data = [fmt.format(v) for v in array[:EDGEITEMS].tolist()]
        data += [" ..."] + [fmt.format(v) for v in array[-EDGEITEMS:].tolist()]
    else:
        data = [fmt.format(v) for v in array.tolist()]
    lines = [
        ", ".join(data[i : i + elements_per_line]) for i in range(0, len(data), elements_per_line)
    ]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if array.ndim == 0:
        return fmt.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, fmt)
    n = array.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = [*range(EDGEITEMS), None, *range(n - EDGEITEMS, n)]
    else:
        rows = list(range(n))
    slices = ["..." if i is None else _nested(array[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would pass 80 columns."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(t) -> str:
    prefix = "tensor("
    array = backend.to_device(t.array, backend.CPU)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != np.float32:  # no elements to tell the dtype by
            suffixes.append(f"dtype={t.dtype}")
    else:
        if array.dtype.name not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={t.dtype}")
        if array.dtype == np.float16:
            array = array.astype(np.float32)
        summarize = array.size > THRESHOLD
        fmt = _Formatter(_summarized(array) if summarize else array)
        body = _nested(array, len(prefix), summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))
