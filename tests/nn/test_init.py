"""tensorgrad.nn.init against PyTorch's fan and gain rules and the distributions it promises.

Deterministic initialisers (constant, eye, dirac, gains, fans) must equal PyTorch's exactly.
Random ones are checked statistically on large tensors: bounds, mean and variance against the
closed form, and a Kolmogorov-Smirnov distance to the target CDF (the seed is fixed, so the
tolerances, several standard errors wide, cannot flake).
"""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn import init

torch = pytest.importorskip("torch")

N = 200_000  # elements in a statistical sample: standard error of a mean ~ 0.0022 sigma


def _np(t):
    return t.detach().numpy().astype(np.float64).ravel()


def _norm_cdf(x):
    erf = np.asarray(np.frompyfunc(math.erf, 1, 1)(np.asarray(x) / math.sqrt(2)), dtype=float)
    return 0.5 * (1.0 + erf)


def _ks(sample, cdf):
    """Kolmogorov-Smirnov distance between the sample's empirical CDF and ``cdf``."""
    x = np.sort(sample)
    f = cdf(x)
    n = len(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def _ks_limit(n):
    return 2.0 / math.sqrt(n)  # the 99.9% point of the KS distance is 1.95 / sqrt(n)


# Tolerances are 5 standard errors of the estimate for the sample's size.


def _check_uniform(v, low, high):
    n = len(v)
    assert v.min() >= low and v.max() <= high
    width = high - low
    assert abs(v.mean() - (low + high) / 2) < 5 * width / math.sqrt(12 * n)
    # kurtosis 9/5: the sample variance's relative standard error is sqrt(0.8 / n)
    assert abs(v.var() / (width**2 / 12) - 1) < 5 * math.sqrt(0.8 / n)
    assert _ks(v, lambda x: (x - low) / width) < _ks_limit(n)


def _check_normal(v, mean, std):
    n = len(v)
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(v.std() / std - 1) < 5 / math.sqrt(2 * n)
    assert _ks(v, lambda x: _norm_cdf((x - mean) / std)) < _ks_limit(n)


# ---------------------------------------------------------------- gains and fans


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose1d", None),
        ("conv_transpose2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("leaky_relu", 0),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


@pytest.mark.parametrize("bad", [("leaky_relu", True), ("leaky_relu", "0.1"), ("swish", None)])
def test_calculate_gain_rejects_what_torch_rejects(bad):
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain(*bad)
    with pytest.raises(ValueError):
        init.calculate_gain(*bad)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (8, 4, 3), (16, 3, 3, 5), (4, 2, 3, 3, 3)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(tg.empty(*shape)) == expected
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(tg.empty(*shape), mode) == (
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
        )


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*\(5,\)"):
        init.xavier_uniform_(tg.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(tg.empty(3, 4), mode="fan_avg")


# ---------------------------------------------------------------- deterministic fills


def test_constant_zeros_ones():
    w = tg.empty(3, 4)
    assert init.constant_(w, 0.25) is w
    assert np.all(w.numpy() == 0.25)
    assert np.all(init.zeros_(w).numpy() == 0)
    assert np.all(init.ones_(w).numpy() == 1)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2)])
def test_eye_matches_torch(shape):
    expected = torch.nn.init.eye_(torch.empty(shape)).numpy()
    np.testing.assert_array_equal(init.eye_(tg.empty(*shape)).numpy(), expected)


@pytest.mark.parametrize(
    "shape, groups",
    [((4, 3, 5), 1), ((6, 4, 3, 3), 1), ((6, 2, 3, 4), 2), ((4, 6, 3, 3, 3), 1), ((6, 1, 5), 3)],
)
def test_dirac_matches_torch(shape, groups):
    expected = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    np.testing.assert_array_equal(init.dirac_(tg.empty(*shape), groups).numpy(), expected)


def test_dirac_conv_is_identity():
    w = init.dirac_(tg.empty(3, 3, 3, 3))
    x = np.random.default_rng(0).standard_normal((1, 3, 6, 6))
    y = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w.numpy()).double(), padding=1)
    np.testing.assert_allclose(y.numpy(), x)


def test_eye_and_dirac_reject_wrong_dimensions():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(tg.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(tg.empty(2, 2))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(tg.empty(5, 2, 3), groups=2)


# ---------------------------------------------------------------- random fills


def test_uniform_and_normal_distributions():
    w = tg.empty(N)
    _check_uniform(_np(init.uniform_(w, -0.5, 1.5)), -0.5, 1.5)
    _check_uniform(_np(init.uniform_(w)), 0.0, 1.0)
    _check_normal(_np(init.normal_(w, 0.3, 2.0)), 0.3, 2.0)
    _check_normal(_np(init.normal_(w)), 0.0, 1.0)


@pytest.mark.parametrize("shape, gain", [((400, 500), 1.0), ((64, 32, 3, 3), 2.0)])
def test_xavier(shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    _check_uniform(_np(init.xavier_uniform_(tg.empty(*shape), gain=gain)), -bound, bound)
    _check_normal(_np(init.xavier_normal_(tg.empty(*shape), gain)), 0.0, std)


KAIMING = [
    ((400, 500), 0, "fan_in", "leaky_relu"),
    ((400, 500), math.sqrt(5), "fan_in", "leaky_relu"),  # Linear/Conv default
    ((64, 32, 3, 3), 0, "fan_out", "relu"),
    ((64, 32, 3, 3), 0.2, "fan_in", "leaky_relu"),
    ((500, 400), 0, "fan_in", "tanh"),
    ((500, 400), 0, "fan_in", "linear"),
]


def _kaiming_std(shape, a, mode, nonlinearity):
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


@pytest.mark.parametrize("shape, a, mode, nonlinearity", KAIMING)
def test_kaiming_uniform(shape, a, mode, nonlinearity):
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    w = init.kaiming_uniform_(tg.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(_np(w), -bound, bound)


@pytest.mark.parametrize("shape, a, mode, nonlinearity", KAIMING)
def test_kaiming_normal(shape, a, mode, nonlinearity):
    std = _kaiming_std(shape, a, mode, nonlinearity)
    w = init.kaiming_normal_(tg.empty(*shape), a, mode, nonlinearity)
    _check_normal(_np(w), 0.0, std)


def test_kaiming_on_zero_elements_warns_and_is_a_no_op():
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        w = tg.empty(0, 3)
        with pytest.warns(UserWarning, match="zero-element"):
            assert fn(w) is w


def _truncated_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std

    def pdf(z):
        return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    z = _norm_cdf(beta) - _norm_cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    ratio = (pdf(alpha) - pdf(beta)) / z
    var = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ratio**2)
    return m, var, z


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),  # the defaults: most of the mass, redrawn normals
        (0.0, 0.02, -0.04, 0.04),  # ViT-style
        (1.0, 2.0, 0.0, 5.0),
        (0.0, 1.0, 2.0, 3.0),  # a tail: uniform proposals with acceptance
        (0.0, 1.0, -0.1, 0.1),  # narrow: also the proposal branch
    ],
)
def test_trunc_normal(mean, std, a, b):
    v = _np(init.trunc_normal_(tg.empty(N), mean, std, a, b))
    assert v.min() >= a and v.max() <= b
    m, var, mass = _truncated_moments(mean, std, a, b)
    sd = math.sqrt(var)
    assert abs(v.mean() - m) < 0.01 * sd
    assert abs(v.var() / var - 1) < 0.02
    lo = _norm_cdf((a - mean) / std)
    assert _ks(v, lambda x: (_norm_cdf((x - mean) / std) - lo) / mass) < _ks_limit(N)


def test_trunc_normal_keeps_float16_and_float64_bounds():
    for dtype in (tg.float16, tg.float64):
        w = init.trunc_normal_(tg.empty(10_000, dtype=dtype), std=0.5, a=-0.3, b=0.2)
        assert w.dtype == dtype
        v = w.numpy()
        assert v.min() >= np.asarray(-0.3, dtype=v.dtype) and v.max() <= np.asarray(0.2, v.dtype)


def test_trunc_normal_warns_when_mean_is_far_outside():
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(tg.empty(100), mean=10.0, std=1.0, a=-2.0, b=2.0)


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (6, 2, 3, 3), (4, 64)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    w = init.orthogonal_(tg.empty(*shape), gain=gain)
    q = w.numpy().reshape(shape[0], -1).astype(np.float64) / gain
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, np.eye(min(q.shape)), atol=1e-5)


def test_orthogonal_is_haar_distributed():
    """The sign correction makes Q uniform over O(n). Without it LAPACK's Householder QR gives
    Q[0, 0] < 0 and det(Q) > 0 for every 3 x 3 draw; with it both are symmetric about 0."""
    draws = np.stack([init.orthogonal_(tg.empty(3, 3)).numpy() for _ in range(2000)])
    first = draws[:, 0, 0]
    assert abs(np.mean(first > 0) - 0.5) < 0.05
    assert abs(first.mean()) < 0.05
    det = np.linalg.det(draws)
    assert abs(np.mean(det > 0) - 0.5) < 0.05
    # every entry of a Haar orthogonal n x n matrix has E[q^2] = 1/n
    np.testing.assert_allclose((draws**2).mean(axis=0), np.full((3, 3), 1 / 3), atol=0.03)


def test_orthogonal_rejects_vectors():
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(tg.empty(4))


def test_sparse():
    w = init.sparse_(tg.empty(400, 300), sparsity=0.3, std=0.05)
    v = w.numpy()
    zeros_per_column = (v == 0).sum(axis=0)
    assert np.all(zeros_per_column == math.ceil(0.3 * 400))
    nonzero = v[v != 0].astype(np.float64)
    assert abs(nonzero.std() / 0.05 - 1) < 0.02
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(tg.empty(4), 0.5)


# ---------------------------------------------------------------- in-place semantics


ALL_RANDOM = [
    lambda w, g: init.uniform_(w, generator=g),
    lambda w, g: init.normal_(w, generator=g),
    lambda w, g: init.trunc_normal_(w, generator=g),
    lambda w, g: init.xavier_uniform_(w, generator=g),
    lambda w, g: init.xavier_normal_(w, generator=g),
    lambda w, g: init.kaiming_uniform_(w, generator=g),
    lambda w, g: init.kaiming_normal_(w, generator=g),
    lambda w, g: init.orthogonal_(w, generator=g),
    lambda w, g: init.sparse_(w, 0.5, generator=g),
]


@pytest.mark.parametrize("fill", ALL_RANDOM)
def test_generators_make_draws_repeat(fill):
    a = fill(tg.empty(6, 4), tg.Generator().manual_seed(3)).numpy().copy()
    b = fill(tg.empty(6, 4), tg.Generator().manual_seed(3)).numpy().copy()
    c = fill(tg.empty(6, 4), tg.Generator().manual_seed(4)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    tg.manual_seed(7)
    d = fill(tg.empty(6, 4), None).numpy().copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(fill(tg.empty(6, 4), None).numpy(), d)


@pytest.mark.parametrize(
    "fill", ALL_RANDOM + [lambda w, g: init.eye_(w), lambda w, g: init.ones_(w)]
)
def test_fills_parameters_in_place_without_a_graph(fill):
    p = tg.nn.Parameter(tg.zeros(6, 4, dtype=tg.float64))
    version = p._version
    out = fill(p, None)
    assert out is p
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.dtype == tg.float64
    assert p._version > version
    assert np.any(p.detach().numpy() != 0)


def test_fills_write_through_a_transposed_view():
    w = tg.zeros(3, 5)
    init.eye_(w.T)
    np.testing.assert_array_equal(w.numpy(), np.eye(5, 3).T)
    init.orthogonal_(w.T)
    q = w.numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-5)


def test_no_warning_for_ordinary_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.trunc_normal_(tg.empty(10))
        init.kaiming_uniform_(tg.empty(3, 4))


DEPRECATED = [
    ("uniform", (-0.5, 0.5)),
    ("normal", (0.0, 2.0)),
    ("constant", (0.3,)),
    ("eye", ()),
    ("dirac", ()),
    ("xavier_uniform", ()),
    ("xavier_normal", (2.0,)),
    ("kaiming_uniform", ()),
    ("kaiming_normal", (0.1,)),
    ("orthogonal", ()),
    ("sparse", (0.5,)),
]


@pytest.mark.parametrize("name, args", DEPRECATED)
def test_deprecated_aliases_warn_and_fill_as_the_underscore_forms(name, args):
    shape = (4, 3, 3) if name == "dirac" else (4, 5)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of"):
        tg.manual_seed(0)
        a = getattr(init, name)(tg.empty(*shape), *args)
    tg.manual_seed(0)
    b = getattr(init, name + "_")(tg.empty(*shape), *args)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated"):
        getattr(torch.nn.init, name)(torch.empty(*shape), *args)  # PyTorch's message
    assert getattr(init, name).__name__ == name and name in init.__all__
