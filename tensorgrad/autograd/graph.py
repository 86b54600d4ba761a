"""``torch.autograd.graph``: hooks on the tensors that ops save for backward.

``with saved_tensors_hooks(pack, unpack):`` every tensor an op saves for its backward while
the block runs is handed to ``pack(tensor)``, and the graph keeps what it returns instead of
the tensor; backward calls ``unpack(kept)`` to get the tensor back. That is how activations are
offloaded (``save_on_cpu``), compressed or logged. The hooks are taken when the tensor is
saved, so backward may run after the block has ended. As in PyTorch, what ``pack`` returned is
what was saved: an in-place change of the original tensor is not checked (a hook that keeps a
copy is unaffected by it; one that keeps the tensor itself sees the change). ``Node`` is the
graph node class (``tensorgrad.autograd.function.Node``)."""

from __future__ import annotations

from . import function
from .function import Node


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor) -> anything`` runs when an op saves ``tensor`` for
    backward, ``unpack_hook(anything) -> tensor`` when backward reads it (its values must be
    the saved tensor's). Nested blocks: the innermost pair applies."""

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if function.hooks_disabled_message is not None:
            raise RuntimeError(function.hooks_disabled_message)
        function.saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        function.saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors go to host memory in forward and back to their device in backward:
    activation offloading, for GPU memory. (``pin_memory`` is accepted: CuPy copies from
    pageable memory.) On the CPU it keeps the tensors as they are."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(tensor):
            if tensor.device.type == "cpu":
                return tensor.device, tensor
            return tensor.device, tensor.to("cpu")

        def unpack(packed):
            device, tensor = packed
            return tensor if tensor.device == device else tensor.to(device)

        super().__init__(pack, unpack)
        self.pin_memory, self.device_type = pin_memory, device_type


class disable_saved_tensors_hooks:
    """Context manager in which entering ``saved_tensors_hooks`` raises RuntimeError with
    ``error_message`` (a library that cannot have its saved tensors moved says so)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> disable_saved_tensors_hooks:
        self._before = function.hooks_disabled_message
        function.hooks_disabled_message = self.error_message
        return self

    def __exit__(self, *exc) -> None:
        function.hooks_disabled_message = self._before


__all__ = ["Node", "disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]
