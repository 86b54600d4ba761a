"""Shared fixtures: every test starts from the same random state. tg.compile's generated
kernels go to a fresh folder per run (TENSORGRAD_CACHE_DIR, unless set), so a test run here
compiles them as a clean machine's does instead of loading what earlier code left behind."""

import os
import tempfile

import numpy as np
import pytest

import tensorgrad as tg

os.environ.setdefault("TENSORGRAD_CACHE_DIR", tempfile.mkdtemp(prefix="tensorgrad-jit-"))


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    np.random.seed(0)
    yield


def cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False
