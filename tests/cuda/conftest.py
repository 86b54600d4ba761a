"""Every test in tests/cuda/ is marked ``cuda`` and skips without CuPy and a CUDA GPU.

Run them with ``make test-gpu`` or ``python -m pytest -m cuda tests/cuda tests/test_cuda.py``.
"""

import os
import pathlib

import pytest

from tests.conftest import cuda_available

HERE = pathlib.Path(__file__).parent
HAVE_CUDA = cuda_available() or bool(os.environ.get("TG_CUDA_SELFCHECK"))


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skipif(not HAVE_CUDA, reason="needs CuPy and a CUDA GPU")
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cuda)
            item.add_marker(skip)
