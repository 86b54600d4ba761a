"""``DataParallel``: PyTorch's single-process wrapper, on tensorgrad's one device per process.

PyTorch's ``nn.DataParallel`` splits each batch over the GPUs of one process, runs a replica
of the module on each slice and gathers the outputs on ``output_device``. Tensorgrad does not
replicate modules inside a process (multi-GPU training is ``tensorgrad.distributed``'s
``DistributedDataParallel``, one process per device, as PyTorch recommends), so here the whole
batch runs on the first device: the outputs, and the gradients, are the ones the replicas would
give (a batch-norm's running statistics, which PyTorch updates from the first replica's slice
only, then see the whole batch).

What stays PyTorch's: the wrapped layer is ``.module`` (so state-dict keys are prefixed
``module.``); without a GPU ``forward`` simply calls it; with one, the module must be on
``device_ids[0]`` (a single ``device_id`` moves it there at construction), tensor inputs are
moved there and the outputs to ``output_device``.
"""

from __future__ import annotations

from .. import cuda
from ..backend import Device
from ..tensor import Tensor
from .module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(device) -> int:
    if isinstance(device, int):
        return device
    device = Device(device)
    if device.type != "cuda":
        raise ValueError(f"DataParallel: expected a CUDA device or index, got {device}")
    return device.index


def _to(value, device: Device):
    """``value`` with every tensor (also inside tuples, lists and dicts) moved to ``device``."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_to(v, device) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_to(v, device) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _to(v, device)) for k, v in value.items())
    return value


def _check_on(module: Module, device: Device) -> None:
    for t in (*module.parameters(), *module.buffers()):
        if t.device != device:
            raise RuntimeError(
                f"module must have its parameters and buffers on device {device} "
                f"(device_ids[0]) but found one of them on device: {t.device}"
            )


class DataParallel(Module):
    """Holds ``module`` and calls it (see the module docstring): ``DataParallel(model)(x)`` is
    ``model(x)`` on the first GPU, or on the CPU when there is none. ``dim`` is kept for
    PyTorch's signature (it is the dimension PyTorch splits the batch along)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        if not cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = Device(f"cuda:{self.device_ids[0]}")
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_on(self.module, self.src_device_obj)
        inputs, kwargs = _to(inputs, self.src_device_obj), _to(kwargs, self.src_device_obj)
        output = self.module(*inputs, **kwargs)
        if len(self.device_ids) == 1:
            return output
        return _to(output, Device(f"cuda:{self.output_device}"))


def data_parallel(
    module: Module,
    inputs,
    device_ids=None,
    output_device=None,
    dim: int = 0,
    module_kwargs=None,
):
    """``module(*inputs, **module_kwargs)`` as ``DataParallel`` runs it, without the wrapper:
    on the first of ``device_ids`` (the module must be there), the outputs on
    ``output_device``. Needs a GPU, as PyTorch's."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    if device_ids is None:
        device_ids = list(range(cuda.device_count()))
    if output_device is None:
        output_device = device_ids[0]
    source = Device(f"cuda:{_device_index(device_ids[0])}")
    _check_on(module, source)
    output = module(*_to(inputs, source), **_to(module_kwargs or {}, source))
    return _to(output, Device(f"cuda:{_device_index(output_device)}"))
