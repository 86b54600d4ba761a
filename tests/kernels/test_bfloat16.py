"""The float32 -> bfloat16 rounding kernel against ml_dtypes' cast (round to nearest even)."""

import numpy as np
import pytest

from tensorgrad.kernels import bfloat16 as kbf16

pytest.importorskip("numba")
ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)


@pytest.mark.parametrize("n", [1, 7, 1000, 4099])
def test_narrow_rounds_as_ml_dtypes(n):
    rng = np.random.default_rng(n)
    ties = (np.arange(0x3F00, 0x3F00 + n, dtype=np.uint32) << 16 | 0x8000).view(np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, 3.4e38, -3.39e38, 1e-40, -1e-45], np.float32)
    for a in (rng.standard_normal(n).astype(np.float32) * 100, ties, special):
        np.testing.assert_array_equal(
            kbf16.narrow(a, BF16).view(np.uint16), a.astype(BF16).view(np.uint16)
        )
    into = np.empty((2, 3), BF16)
    assert kbf16.narrow(np.ones((2, 3), np.float32), BF16, out=into) is into
    nan = kbf16.narrow(np.array([np.nan, -np.nan], np.float32), BF16)
    assert np.isnan(nan.astype(np.float32)).all()


def test_what_narrow_leaves_to_ml_dtypes():
    a = np.ones((3, 4), np.float32)
    assert kbf16.narrow(a.T, BF16) is None
    assert kbf16.narrow(a.astype(np.float64), BF16) is None
    assert kbf16.narrow(a[:0], BF16) is None
