"""Shared fixtures: every test starts from the same random state (tensorgrad's, NumPy's and,
once a test has imported it, PyTorch's: under pytest-xdist a worker runs its share of the tests
in any order). tg.compile's generated kernels go to a fresh folder per run
(TENSORGRAD_CACHE_DIR, unless set), so a test run here compiles them as a clean machine's does
instead of loading what earlier code left behind."""

import os
import sys
import tempfile

import numpy as np
import pytest

import tensorgrad as tg

os.environ.setdefault("TENSORGRAD_CACHE_DIR", tempfile.mkdtemp(prefix="tensorgrad-jit-"))


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    np.random.seed(0)
    if "torch" in sys.modules:  # PyTorch layers made as references draw from torch's generator
        sys.modules["torch"].manual_seed(0)
    yield


def cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False
