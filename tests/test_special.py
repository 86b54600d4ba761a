"""tensorgrad._special against references: erf / erfc against Python's math.erf / math.erfc
(libm); lgamma, digamma, polygamma, erfinv, ndtri, log_ndtr, i0 and i1 against mpmath (40
digits) where it is installed, and their poles and edges against PyTorch's values."""

import math
import warnings

import numpy as np
import pytest

from tensorgrad import _special
from tensorgrad._special import erf, erfc

RNG = np.random.default_rng(1234)
# boundaries between the approximation regions, and their neighbours
_EDGES = np.array([0.25, 0.84375, 1.25, 1 / 0.35, 6.0, 28.0])
EDGES = np.concatenate([_EDGES, np.nextafter(_EDGES, 0), np.nextafter(_EDGES, np.inf)])


def _ref(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(float(v)) for v in x.ravel()], dtype=np.float64).reshape(x.shape)


def _grid(lo: float, hi: float) -> np.ndarray:
    parts = [
        np.linspace(lo, hi, 200_001),
        RNG.uniform(lo, hi, 100_000),
        RNG.uniform(-3.0, 3.0, 100_000),
        EDGES,
        -EDGES,
    ]
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
            np.testing.assert_allclose(
                cp.asnumpy(got),
                fn(x.astype(dtype), np),
                rtol=4e-15 if dtype == np.float64 else 5e-7,
                atol=0,
            )


# ------------------------------------------------------------------ gamma family, inverse erf, I0


def _mp():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    return mpmath


def _mp_ref(fn, x: np.ndarray) -> np.ndarray:
    return np.array([float(fn(v)) for v in x.ravel()], dtype=np.float64).reshape(x.shape)


# away from the poles (0, -1, -2, ...), a few hundred points each: mpmath is slow
_R = np.random.default_rng(7)
_X = np.concatenate(
    [
        _R.uniform(-25, 40, 300),
        _R.uniform(0, 3, 200),
        np.exp(_R.uniform(-25, 25, 200)),
        1 + _R.uniform(-1e-4, 1e-4, 20),
        2 + _R.uniform(-1e-4, 1e-4, 20),
    ]
)
_X = _X[np.abs(_X - np.round(_X)) > 1e-3 * (_X < 0.5)]


def test_lgamma_matches_mpmath():
    mp = _mp()
    ref = _mp_ref(lambda v: mp.log(abs(mp.gamma(mp.mpf(v)))), _X)
    got = _special.lgamma(_X, np)
    # the negative roots of lgamma (x ~ -2.457, -2.747, ...) lose relative accuracy to
    # log|sin(pi x)|, as in every implementation; measured in absolute terms there
    err = np.abs(got - ref) / np.maximum(np.abs(ref), 1.0 * (_X < 0))
    assert err.max() < 1e-13


def test_lgamma_is_accurate_at_its_roots_1_and_2():
    """The series about 2 keeps lgamma(1 + e) ~ -0.577 e and lgamma(2 + e) ~ 0.423 e to the last
    digits; log of Lanczos' Gamma (and glibc's lgamma, so PyTorch's) has an absolute error of
    1e-16 there, which is all of lgamma(1 + 1e-12)."""
    mp = _mp()
    x = np.concatenate(
        [1 + np.array([1e-12, -1e-9, 3e-6, -1e-3, 0.3]), 2 + np.array([1e-12, -0.4])]
    )
    ref = _mp_ref(lambda v: mp.loggamma(mp.mpf(v)), x)
    assert _max_rel(_special.lgamma(x, np), ref) < 1e-15


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, 12])
def test_polygamma_matches_mpmath(n):
    mp = _mp()
    x = _X if n else _X[np.abs(_X - 1.4616321449683622) > 1e-2]  # digamma's root at 1.46...
    ref = _mp_ref(lambda v: mp.polygamma(n, mp.mpf(v)), x)
    got = _special.polygamma(n, x, np)
    # reflection for x < 0 subtracts pi^(n+1) P_n(cot(pi x)): absolute error ~ the terms
    scale = np.maximum(np.abs(ref), np.where(x < 0, np.abs(_special.polygamma(n, 1 - x, np)), 0))
    assert np.max(np.abs(got - ref) / scale) < (1e-13 if n < 6 else 1e-12)
    np.testing.assert_array_equal(_special.digamma(x, np), _special.polygamma(0, x, np))


def test_inverse_error_functions_match_mpmath():
    mp = _mp()
    u = np.concatenate(
        [
            _R.uniform(-1, 1, 300),
            1 - np.exp(_R.uniform(-36, 0, 200)),
            np.exp(_R.uniform(-700, 0, 50)),
            [0.5, -0.5, 1e-300, 5e-324],
        ]
    )
    assert _max_rel(_special.erfinv(u, np), _mp_ref(lambda v: mp.erfinv(mp.mpf(v)), u)) < 1e-15
    # ndtri: Phi(ndtri(p)) = p, down to the smallest subnormal
    p = np.concatenate(
        [
            _R.uniform(0, 1, 200),
            np.exp(_R.uniform(-744, 0, 200)),
            1 - np.exp(_R.uniform(-36, 0, 100)),
            [5e-324, 1e-300],
        ]
    )
    y = _special.ndtri(p, np)
    phi = _mp_ref(lambda v: mp.ncdf(mp.mpf(v)), y)
    # cond of p -> y: |d log p / d log y| = y phi/Phi ~ y^2, so a 1-ulp y moves p by ~y^2 ulp
    assert np.all(np.abs(phi - p) / p <= 4e-16 * np.maximum(y * y, 1.0))


def test_log_ndtr_matches_mpmath():
    mp = _mp()
    x = np.concatenate([_R.uniform(-60, 12, 300), -np.exp(_R.uniform(0, 300, 100)), [-1.0, 38.0]])
    ref = _mp_ref(
        lambda v: mp.log(mp.ncdf(mp.mpf(v))) if v < 0 else mp.log1p(-mp.ncdf(-mp.mpf(v))), x
    )
    assert _max_rel(_special.log_ndtr(x, np), ref) < 5e-14  # erfc's 1e-13 at x/sqrt(2) ~ 7


def test_bessel_i_matches_mpmath():
    mp = _mp()
    x = np.concatenate([_R.uniform(-40, 40, 300), _R.uniform(-713, 713, 100), [0.0, 30.0, 713.9]])
    for nu, fn in ((0, _special.i0), (1, _special.i1)):
        ref = _mp_ref(lambda v, nu=nu: mp.besseli(nu, mp.mpf(v)), x)
        assert _max_rel(fn(x, np), ref) < 5e-15


def test_gamma_family_poles_and_edges():
    """PyTorch's values at the poles and infinities (torch.lgamma, digamma, polygamma)."""
    inf, nan = np.inf, np.nan
    x = np.array([0.0, -0.0, -1.0, -2.0, inf, -inf, nan, 1e-300, -1e20])
    np.testing.assert_array_equal(
        _special.lgamma(x, np), [inf, inf, inf, inf, inf, inf, nan, -np.log(1e-300), inf]
    )
    np.testing.assert_allclose(
        _special.digamma(x, np), [-inf, inf, nan, nan, inf, nan, nan, -1e300, nan], rtol=1e-15
    )
    got = _special.polygamma(2, x[:7], np)  # PyTorch gives nan at +inf; the limit is 0
    np.testing.assert_array_equal(got, [-inf, -inf, -inf, -inf, -0.0, nan, nan])
    np.testing.assert_array_equal(_special.polygamma(3, np.array([0.0, -3.0]), np), [inf, inf])
    np.testing.assert_array_equal(
        _special.erfinv(np.array([1.0, -1.0, 0.0, -0.0, 1.5, nan]), np),
        [inf, -inf, 0, -0.0, nan, nan],
    )
    assert np.signbit(_special.erfinv(np.array(-0.0), np))
    np.testing.assert_array_equal(
        _special.ndtri(np.array([0.0, 1.0, 0.5, -0.1, 1.1, nan]), np), [-inf, inf, 0, nan, nan, nan]
    )
    np.testing.assert_array_equal(_special.log_ndtr(np.array([inf, -inf, nan]), np), [0, -inf, nan])
    np.testing.assert_array_equal(
        _special.i0(np.array([0.0, inf, -inf, 714.0]), np), [1, inf, inf, inf]
    )


def test_gamma_family_keeps_dtypes_and_shapes():
    x = np.linspace(0.1, 5, 12).reshape(3, 4)
    for fn in (
        _special.lgamma,
        _special.digamma,
        _special.erfinv,
        _special.ndtri,
        _special.log_ndtr,
        _special.i0,
        _special.i1,
    ):
        for dtype in (np.float64, np.float32, np.float16):
            got = fn((x / 6).astype(dtype), np)
            assert got.dtype == dtype and got.shape == (3, 4)
        assert fn(np.array(0.5), np).shape == () and fn(np.array([0, 1]), np).dtype == np.float64
    assert _special.polygamma(2, x.astype(np.float32), np).dtype == np.float32


def test_polygamma_rejects_bad_orders():
    with pytest.raises(RuntimeError, match="n must be >= 0, got n = -1"):
        _special.polygamma(-1, np.ones(2), np)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        _special.polygamma(1.0, np.ones(2), np)


@pytest.mark.cuda
def test_gamma_family_on_cupy_matches_numpy():
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("no CUDA device")
    x = _X
    u = np.clip(_R.uniform(-1, 1, _X.size), -0.999, 0.999)
    for fn, v in (
        (_special.lgamma, x),
        (_special.digamma, x),
        (_special.erfinv, u),
        (_special.ndtri, (u + 1) / 2),
        (_special.log_ndtr, x),
        (_special.i0, x),
    ):
        np.testing.assert_allclose(cp.asnumpy(fn(cp.asarray(v), cp)), fn(v, np), rtol=1e-14)
    got = cp.asnumpy(_special.polygamma(3, cp.asarray(x), cp))
    np.testing.assert_allclose(got, _special.polygamma(3, x, np), rtol=1e-13)


def test_torch_special_is_tensorgrad_special():
    """``import torch.special`` under tensorgrad.as_torch gives tg.special's functions."""
    import tensorgrad as tg
    from tensorgrad import as_torch

    with as_torch.installed() as torch:
        import torch.special  # the import itself is tested
        from torch.special import gammaln, ndtri

        assert ndtri is tg.special.ndtri and gammaln is tg.special.gammaln
        assert torch.special.polygamma is tg.special.polygamma
        assert set(tg.special.__all__) <= set(dir(torch.special))
