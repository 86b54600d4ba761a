"""Helpers for comparing a CPU run with the same run on ``'cuda'``."""

from __future__ import annotations

import os

import numpy as np

import tensorgrad as tg

# float32 on the GPU vs float32 on the CPU: different summation orders, cuBLAS vs BLAS
ATOL, RTOL = 1e-5, 1e-4
# The device under test. TG_CUDA_SELFCHECK=1 runs these tests CPU-vs-CPU on a machine without
# a GPU, to check the tests themselves (tests/cuda/conftest.py then doesn't skip them).
DEVICE = "cpu" if os.environ.get("TG_CUDA_SELFCHECK") else "cuda"


def to_numpy(t) -> np.ndarray:
    if isinstance(t, tg.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out] if out is not None else []


def assert_close(gpu, cpu, what: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    if isinstance(gpu, tg.Tensor):
        assert gpu.device.type == DEVICE, f"{what}: result on {gpu.device}, expected {DEVICE}"
        assert gpu.dtype == cpu.dtype, f"{what}: dtype {gpu.dtype} on cuda vs {cpu.dtype} on cpu"
    a, b = to_numpy(gpu), to_numpy(cpu)
    assert a.shape == b.shape, f"{what}: shape {a.shape} on cuda vs {b.shape} on cpu"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=what)


class CudaLib:
    """``tensorgrad`` with creation functions defaulting to ``device='cuda'``: op-table specs
    that build tensors inside ``fn`` (``lib.tensor(...)``, ``lib.from_numpy(idx)``) then build
    them on the GPU next to their inputs."""

    _CREATION = {
        "tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye",
        "rand", "randn", "randint", "randperm",
    }  # fmt: skip

    def __getattr__(self, name):
        attr = getattr(tg, name)
        if name == "from_numpy":
            return lambda a: tg.from_numpy(a).to(DEVICE)
        if name in self._CREATION:

            def make(*args, **kwargs):
                kwargs.setdefault("device", DEVICE)
                return attr(*args, **kwargs)

            return make
        return attr


CUDA_LIB = CudaLib()
