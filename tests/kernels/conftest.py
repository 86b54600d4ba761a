"""Fixtures the kernel tests share: each runs code under both switches of tensorgrad.kernels
and puts the switch back afterwards."""

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
    """Every kernel test runs twice: each kernel as its serial loop, then across the threads
    (``kernels.MIN_PARALLEL`` decides between them by size; the test shapes are small)."""
    monkeypatch.setattr(kernels, "MIN_PARALLEL", 0 if request.param == "parallel" else 1 << 62)
    return request.param
