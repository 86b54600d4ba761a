"""tensorgrad._special.erf / erfc against Python's math.erf / math.erfc (libm)."""

import math
import warnings

import numpy as np
import pytest

from tensorgrad._special import erf, erfc

RNG = np.random.default_rng(1234)
# boundaries between the approximation regions, and their neighbours
_EDGES = np.array([0.25, 0.84375, 1.25, 1 / 0.35, 6.0, 28.0])
EDGES = np.concatenate([_EDGES, np.nextafter(_EDGES, 0), np.nextafter(_EDGES, np.inf)])


def _ref(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(float(v)) for v in x.ravel()], dtype=np.float64).reshape(x.shape)


def _grid(lo: float, hi: float) -> np.ndarray:
    parts = [np.linspace(lo, hi, 200_001), RNG.uniform(lo, hi, 100_000),
             RNG.uniform(-3.0, 3.0, 100_000), EDGES, -EDGES]
    x = np.concatenate(parts)
    return x[(x >= lo) & (x <= hi)]


def _max_rel(got: np.ndarray, ref: np.ndarray) -> float:
    assert np.array_equal(got == 0, ref == 0)
    nz = ref != 0
    return float(np.max(np.abs(got[nz] - ref[nz]) / np.abs(ref[nz])))


def _max_ulp32(got: np.ndarray, ref64: np.ndarray) -> float:
    """Error of a float32 result in ulps of the correctly rounded float32 reference."""
    ref = ref64.astype(np.float32)
    assert got.dtype == np.float32
    return float(np.max(np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref))))


@pytest.fixture(autouse=True)
def _no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_erf_float64_matches_math():
    x = _grid(-10.0, 10.0)
    got = erf(x, np)
    assert got.dtype == np.float64 and got.shape == x.shape
    assert _max_rel(got, _ref(math.erf, x)) < 1e-14


def test_erfc_float64_matches_math():
    x = _grid(-10.0, 26.0)
    got = erfc(x, np)
    assert got.dtype == np.float64
    assert _max_rel(got, _ref(math.erfc, x)) < 1e-13


def test_erf_float32_within_2_ulp():
    x = _grid(-10.0, 10.0).astype(np.float32)
    assert _max_ulp32(erf(x, np), _ref(math.erf, x)) <= 2


def test_erfc_float32():
    x = _grid(-10.0, 10.5).astype(np.float32)
    got, ref = erfc(x, np), _ref(math.erfc, x)
    normal = ref >= np.finfo(np.float32).tiny
    assert _max_ulp32(got[normal], ref[normal]) <= 4
    # float32 subnormal results: absolute error of a few of the smallest subnormals
    tiniest = np.finfo(np.float32).smallest_subnormal
    assert np.max(np.abs(got[~normal] - ref[~normal])) <= 8 * tiniest


def test_float16_keeps_dtype():
    x = np.linspace(-5, 5, 2001).astype(np.float16)
    for fn, ref_fn in ((erf, math.erf), (erfc, math.erfc)):
        got = fn(x, np)
        assert got.dtype == np.float16
        ref = _ref(ref_fn, x).astype(np.float16)
        assert np.all(np.abs(got.astype(np.float64) - ref) <= np.spacing(np.abs(ref)))


def test_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    e, c = erf(x, np), erfc(x, np)
    np.testing.assert_array_equal(e, [1.0, -1.0, np.nan, 0.0, -0.0])
    np.testing.assert_array_equal(c, [0.0, 2.0, np.nan, 1.0, 1.0])
    assert not np.signbit(e[3]) and np.signbit(e[4])
    e32 = erf(x.astype(np.float32), np)
    assert e32.dtype == np.float32 and np.signbit(e32[4]) and np.isnan(e32[2])
    np.testing.assert_array_equal(erfc(np.array([30.0, 1e300, -30.0]), np), [0.0, 0.0, 2.0])


def test_tiny_and_subnormal_inputs():
    x = np.array([1e-300, -1e-300, 1e-310, 5e-324, -5e-324, 1e-20, 2.0**-28])
    np.testing.assert_array_equal(erf(x, np), _ref(math.erf, x))
    np.testing.assert_array_equal(erfc(x, np), _ref(math.erfc, x))
    x32 = np.array([1e-40, 1e-45, -1e-30, 1e-10], dtype=np.float32)
    assert _max_ulp32(erf(x32, np), _ref(math.erf, x32)) <= 2


def test_symmetry_is_exact():
    x = RNG.uniform(0, 8, 10_000)
    np.testing.assert_array_equal(erf(-x, np), -erf(x, np))
    assert np.max(np.abs(erfc(-x, np) + erfc(x, np) - 2.0)) <= 4e-16


def test_scalar_integer_and_input_untouched():
    assert erf(np.array(0.5), np).shape == ()
    assert math.isclose(float(erf(0.5, np)), math.erf(0.5), rel_tol=1e-15)
    got = erf(np.array([0, 1, -2]), np)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, _ref(math.erf, np.array([0.0, 1.0, -2.0])))
    x = np.array([[-3.0, -0.5], [0.9, 7.0]])
    before = x.copy()
    assert erfc(x, np).shape == (2, 2)
    np.testing.assert_array_equal(x, before)


@pytest.mark.cuda
def test_cupy_matches_numpy():
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("no CUDA device")
    x = _grid(-10.0, 26.0)
    for dtype in (np.float64, np.float32):
        xd = cp.asarray(x.astype(dtype))
        for fn in (erf, erfc):
            got = fn(xd, cp)
            assert got.dtype == dtype
            np.testing.assert_allclose(cp.asnumpy(got), fn(x.astype(dtype), np), rtol=4e-15 if
                                       dtype == np.float64 else 5e-7, atol=0)
