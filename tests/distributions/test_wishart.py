"""tensorgrad.distributions.wishart against torch.distributions.wishart."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Wishart

from .helpers import DTYPES, compare, torch

_COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])


def _values(rng, shape, p=3):
    """Positive definite matrices: A A^T + p I."""
    a = rng.standard_normal(shape + (p, p))
    return a @ np.swapaxes(a, -1, -2) + p * np.eye(p)


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize(
    "df_shape, cov_batch, value_batch", [((), (), (4,)), ((2,), (), (2,)), ((2, 1), (3,), (2, 3))]
)
def test_wishart_matches_torch(param, df_shape, cov_batch, value_batch, dtype, tol):
    rng = np.random.default_rng(0)
    matrix = _values(rng, cov_batch) / 3
    if param == "scale_tril":
        matrix = np.linalg.cholesky(matrix)
    params = [rng.uniform(3.5, 8.0, df_shape), matrix, _values(rng, value_batch)]

    def build(lib, D, df, m, value):
        d = D.Wishart(df, **{param: m})
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "precision_matrix": d.precision_matrix,
        }

    compare(build, params, dtype, 10 * tol)  # Cholesky and solves round differently


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_wishart_mode_is_nan_for_small_df(dtype, tol):
    def build(lib, D, df, cov):
        return {"mode": D.Wishart(df, cov).mode}

    compare(build, [np.array([3.5, 4.0, 5.0]), _COV], dtype, tol)


def test_wishart_entropy_equals_the_exponential_family_formula():
    d = Wishart(tg.tensor([3.5, 6.0], dtype=tg.float64), tg.tensor(_COV))
    bregman = super(Wishart, d).entropy()  # from the log normalizer's gradient
    np.testing.assert_allclose(d.entropy().numpy(), bregman.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wishart_rsample_gradient_matches_torch(dtype):
    # PyTorch's rsample cannot backpropagate (it redraws every sample, then updates in place
    # the flag it indexed the sample by): its reference is the second of two Bartlett draws,
    # the sample its rsample returns. The draws are PyTorch's to rounding
    # (tests/test_random_stream.py); df's gradient goes through PyTorch's approximate
    # _standard_gamma_grad (~1e-3 relative, see test_gamma.py)
    df_np, tril_np = np.array([4.0, 6.5], dtype), np.linalg.cholesky(_COV).astype(dtype)
    r = np.random.default_rng(2).uniform(0.5, 1.5, (3, 2, 3, 3)).astype(dtype)
    out = []
    for lib in (tg, torch):
        df = lib.tensor(df_np, requires_grad=True)
        tril = lib.tensor(tril_np, requires_grad=True)
        d = lib.distributions.Wishart(df, scale_tril=tril)
        lib.manual_seed(0)
        if lib is tg:
            x = d.rsample((3,))
        else:
            d._bartlett_sampling(torch.Size((3,)))
            x = d._bartlett_sampling(torch.Size((3,)))
        (x * lib.tensor(r)).sum().backward()
        out.append((x.detach().numpy(), df.grad.numpy(), tril.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=3e-3)
    np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-4)


def test_wishart_samples_and_expand():
    d = Wishart(tg.tensor([4.0, 9.0]), scale_tril=tg.tensor(np.linalg.cholesky(_COV)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Singular sample" warning for regular samples
        x = d.sample((5,))
    assert x.shape == (5, 2, 3, 3) and bool(d.support.check(x).all())
    e = d.expand((4, 2))
    assert type(e) is Wishart and e.batch_shape == (4, 2) and e.sample().shape == (4, 2, 3, 3)
    np.testing.assert_array_equal(e.scale_tril.numpy()[1, 0], d.scale_tril.numpy()[0])


def test_wishart_errors():
    with pytest.raises(AssertionError, match="Exactly one of"):
        Wishart(4.0, tg.eye(2), scale_tril=tg.eye(2))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        Wishart(4.0, tg.ones(2))
    with pytest.raises(ValueError, match="greater than ndim - 1 = 2"):
        Wishart(tg.tensor([4.0, 2.0]), tg.eye(3))
    with pytest.warns(UserWarning, match="Low df"):
        Wishart(2.5, tg.eye(3))
    with pytest.raises(ValueError, match="PositiveDefinite"):
        Wishart(4.0, tg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="LowerCholesky"):
        Wishart(4.0, scale_tril=tg.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="within the support"):
        Wishart(4.0, tg.eye(2)).log_prob(tg.tensor([[1.0, 2.0], [2.0, 1.0]]))
