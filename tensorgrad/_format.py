"""``repr`` of a tensor, character for character PyTorch's (``torch/_tensor_str.py``).

``tensor([1.0000, 2.5000], requires_grad=True)``: one formatter per tensor chooses between
integer mode (``1.``), fixed point with 4 decimals and scientific notation from the nonzero
finite values, pads every element to the widest, and wraps lines at 80 columns. Tensors with
more than 1000 elements show 3 items at each edge of every dimension. ``set_printoptions``
changes these numbers, as PyTorch's does.
"""

from __future__ import annotations

import math

import numpy as np

from . import backend
from .backend import is_float

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE = None  # None: chosen per tensor from its values; True or False: always or never
_PROFILES = {  # precision, threshold, edgeitems, linewidth
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """How tensors print (PyTorch's options): ``precision`` digits after the point (4);
    ``threshold``, the element count above which a tensor is summarized (1000);
    ``edgeitems``, the items shown at each end of every dimension when summarized (3);
    ``linewidth``, the characters per line (80); ``profile``, 'default', 'short' (precision 2,
    edgeitems 2) or 'full' (never summarized), set before the other arguments; ``sci_mode``
    True or False forces scientific notation on or off, None (the default, and what every call
    that omits it sets) lets each tensor choose."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {', '.join(_PROFILES)}, got {profile!r}")
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        PRECISION = precision
    if threshold is not None:
        THRESHOLD = threshold
    if edgeitems is not None:
        EDGEITEMS = edgeitems
    if linewidth is not None:
        LINEWIDTH = linewidth
    SCI_MODE = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dict(
        precision=PRECISION,
        threshold=THRESHOLD,
        edgeitems=EDGEITEMS,
        linewidth=LINEWIDTH,
        sci_mode=SCI_MODE,
    )


class _Formatter:
    """The shared width and notation of every element, chosen from ``values`` (all of them)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = is_float(values.dtype)
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
        if SCI_MODE is not None:
            self.sci_mode = bool(SCI_MODE)
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
    if EDGEITEMS == 0:  # PyTorch's quirk: a vector keeps all its items (self[-0:]), else none
        return array if array.ndim == 1 else array[(slice(0, 0),) * array.ndim]
    for axis, size in enumerate(array.shape):
        if size > 2 * EDGEITEMS:
            index = np.r_[0:EDGEITEMS, size - EDGEITEMS : size]
            array = np.take(array, index, axis=axis)
    return array


def _vector(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    elements_per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
    if summarize and not EDGEITEMS:
        data = ["..."]
    elif summarize and array.shape[0] > 2 * EDGEITEMS:
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
        if array.dtype != backend.DEFAULT_FLOAT:  # no elements to tell the dtype by
            suffixes.append(f"dtype={t.dtype}")
    else:
        if not EDGEITEMS:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype not in (backend.DEFAULT_FLOAT, np.int64, np.bool_):
            suffixes.append(f"dtype={t.dtype}")
        if array.dtype == np.float16 or array.dtype is backend.BF16:
            array = array.astype(np.float32)  # exact; their scalars would format otherwise
        summarize = array.size > THRESHOLD
        fmt = _Formatter(_summarized(array) if summarize else array)
        body = _nested(array, len(prefix), summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))
