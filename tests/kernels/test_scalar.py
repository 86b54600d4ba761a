"""The scalar functions kernels call per element (tensorgrad/kernels/scalar.py) against NumPy."""

import numpy as np
import pytest

pytest.importorskip("numba")
import numba

from tensorgrad.kernels.scalar import tanh


@numba.njit(error_model="numpy")
def _tanh_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh(x[i])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_is_within_two_ulp_of_numpy(dtype):
    tiny = np.geomspace(1e-30, 1, 2000)
    x = np.concatenate(
        [np.linspace(-30, 30, 100_001), np.linspace(-1, 1, 100_001), tiny, -tiny, [0.0, 1e4]]
    ).astype(dtype)
    out = np.empty_like(x)
    _tanh_loop(x, out)
    ref = np.tanh(x)
    ulp = np.spacing(np.abs(ref).astype(dtype) + np.finfo(dtype).tiny)
    assert np.max(np.abs(out - ref) / ulp) <= 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_of_inf_and_nan(dtype):
    x = np.array([np.inf, -np.inf, np.nan], dtype)
    out = np.empty_like(x)
    _tanh_loop(x, out)
    np.testing.assert_array_equal(out, [1.0, -1.0, np.nan])
