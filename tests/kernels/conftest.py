"""Fixtures the kernel tests share: each runs code under both switches of tensorgrad.kernels
and puts the switch back afterwards."""

import numpy as np
import pytest

from tensorgrad import kernels


@pytest.fixture
def both_paths():
    """Restore the switch after a test that calls ``kernels.use`` itself."""
    before = kernels.current()
    yield
    kernels.use(before)


@pytest.fixture
def path():
    """``run(name, fn, *args)``: ``fn(*args)`` under path ``name``, the switch restored after."""
    saved = kernels.current()

    def run(name, fn, *args):
        kernels.use(name)
        try:
            return fn(*args)
        finally:
            kernels.use(saved)

    yield run
    kernels.use(saved)


@pytest.fixture(autouse=True, params=["serial", "parallel"])
def threads(request, monkeypatch):
    """Every kernel test runs with each kernel as its serial loop, and the float32 ones (and
    those without a dtype) again across the threads (``kernels.MIN_PARALLEL`` decides between
    them by size; the test shapes are small). The two versions are one loop compiled with and
    without ``parallel=True``; compiling the parallel one for float64 too would add a minute
    to a cold ``make test`` and test nothing the float32 one does not."""
    params = getattr(request.node, "callspec", None)
    dtype = params.params.get("dtype") if params else None
    if request.param == "parallel" and dtype is not None and np.dtype(dtype) != np.float32:
        pytest.skip("the parallel loops are tested in float32")
    monkeypatch.setattr(kernels, "MIN_PARALLEL", 0 if request.param == "parallel" else 1 << 62)
    return request.param
