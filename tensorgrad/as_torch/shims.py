"""The names a torch script may read that tensorgrad has no module for: switches that only mean
something to CUDA kernels tensorgrad does not use, version strings.

Each dict below fills in one torch module (see ``mapping.MODULES``); a name tensorgrad itself
defines wins over the shim of the same name. The switches are accepted and remembered, and
change nothing:

- ``torch.backends.cudnn.benchmark / deterministic / enabled / allow_tf32``: tensorgrad's
  convolutions are matrix products (im2col), not cuDNN calls, so there is no algorithm to pick
  and no nondeterministic kernel to avoid; ``cudnn.is_available()`` is False.
- ``torch.backends.cuda.matmul.allow_tf32``: float32 products run in float32 (NumPy; CuPy's
  default, which does not use TF32).

``torch.set_float32_matmul_precision``, ``torch.use_deterministic_algorithms`` and the other
process-wide switches are tensorgrad's own (``tensorgrad/flags.py``).
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Iterable

from .. import __file__ as _tensorgrad_file
from .. import __version__ as _tensorgrad_version
from .. import amp, cuda

TORCH_VERSION = "2.13.0"  # the PyTorch whose API tensorgrad follows (the test oracle)


TORCH = {
    # PEP 440 local label: version checks see the PyTorch API this follows
    "__version__": f"{TORCH_VERSION}+tensorgrad.{_tensorgrad_version}",
    # os.path.dirname(torch.__file__): the package that answers for torch
    "__file__": _tensorgrad_file,
}


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """``torch.save`` under as_torch: PyTorch's zip format (``checkpoint.save(...,
    format="torch")``), so that real PyTorch's ``torch.load`` reads what the script saved.
    What that format cannot hold (a whole module, NumPy arrays) is saved in tensorgrad's own
    format instead, which this ``torch.load`` reads. The pickle arguments are accepted and
    unused."""
    from .. import checkpoint

    try:
        checkpoint.save(obj, f, format="torch")
    except TypeError:
        checkpoint.save(obj, f)


VERSION = {
    "__version__": TORCH["__version__"],
    "cuda": None,  # no CUDA toolkit is linked in: CuPy brings its own
    "hip": None,
    "debug": False,
    "git_version": "tensorgrad",
}


def _false() -> bool:
    return False


CUDNN = {
    "benchmark": False,
    "deterministic": False,
    "enabled": True,
    "allow_tf32": True,
    "benchmark_limit": 10,
    "is_available": _false,
    "version": lambda: None,
}

BACKENDS_CUDA = {
    "matmul": types.SimpleNamespace(
        allow_tf32=False,
        allow_fp16_reduced_precision_reduction=True,
        allow_bf16_reduced_precision_reduction=True,
    ),
    "is_built": cuda.is_available,
}

NOT_BUILT = {"is_available": _false, "is_built": _false, "enabled": False}


def _cuda_autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True):
    """``torch.cuda.amp.autocast(...)``, PyTorch's deprecated spelling of
    ``torch.amp.autocast('cuda', ...)``."""
    return amp.autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def _cuda_grad_scaler(*args, **kwargs):
    """``torch.cuda.amp.GradScaler(...)``: ``torch.amp.GradScaler('cuda', ...)``."""
    return amp.GradScaler("cuda", *args, **kwargs)


def _cuda_custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd``: ``torch.amp.custom_fwd(device_type='cuda', ...)``."""
    return amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def _cuda_custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd``: ``torch.amp.custom_bwd(device_type='cuda')``."""
    return amp.custom_bwd(bwd, device_type="cuda")


CUDA_AMP = {
    "autocast": _cuda_autocast,
    "GradScaler": _cuda_grad_scaler,
    "custom_fwd": _cuda_custom_fwd,
    "custom_bwd": _cuda_custom_bwd,
}


def _ntuple(n: int, name: str = "parse"):
    def parse(x):
        if isinstance(x, Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


NN_MODULES_UTILS = {
    "_ntuple": _ntuple,
    "_single": _ntuple(1, "_single"),
    "_pair": _ntuple(2, "_pair"),
    "_triple": _ntuple(3, "_triple"),
    "_quadruple": _ntuple(4, "_quadruple"),
}
