"""tensorgrad.distributions.fishersnedecor against torch.distributions.fishersnedecor."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import FisherSnedecor

from .helpers import DTYPES, SHAPES2, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("df1_shape, df2_shape, value_shape", SHAPES2)
def test_fisher_snedecor_matches_torch(df1_shape, df2_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(2.5, 9.0, df1_shape),
        rng.uniform(4.5, 12.0, df2_shape),
        rng.uniform(0.1, 4.0, value_shape),
    ]

    def build(lib, D, df1, df2, value):
        d = D.FisherSnedecor(df1, df2)
        return {"log_prob": d.log_prob(value), "mean": d.mean, "mode": d.mode, "var": d.variance}

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_fisher_snedecor_undefined_moments_are_nan_as_in_torch(dtype, tol):
    # mean needs df2 > 2, variance df2 > 4, the mode df1 > 2
    def build(lib, D, df1, df2):
        d = D.FisherSnedecor(df1, df2)
        return {"mean": d.mean, "mode": d.mode, "variance": d.variance}

    params = [np.array([1.0, 2.0, 3.0, 6.0]), np.array([1.5, 3.0, 4.0, 8.0])]
    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fisher_snedecor_rsample_gradient_matches_torch(dtype):
    # the same draws after the same seed (tests/test_random_stream.py); the gradients differ
    # by PyTorch's approximate _standard_gamma_grad (~1e-3 relative, see test_gamma.py)
    df1_np, df2_np = np.array([0.7, 3.0, 12.0], dtype), np.array([2.0, 5.0, 40.0], dtype)
    grads = []
    for lib in (tg, torch):
        df1 = lib.tensor(df1_np, requires_grad=True)
        df2 = lib.tensor(df2_np, requires_grad=True)
        lib.manual_seed(0)
        x = lib.distributions.FisherSnedecor(df1, df2).rsample((4,))
        r = np.random.default_rng(1).uniform(0.5, 1.5, tuple(x.shape)).astype(dtype)
        (x * lib.tensor(r)).sum().backward()
        grads.append((x.detach().numpy(), df1.grad.numpy(), df2.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    for ours, ref in zip(grads[0][1:], grads[1][1:]):
        np.testing.assert_allclose(ours, ref, rtol=3e-3)


def test_fisher_snedecor_shapes_and_errors():
    assert FisherSnedecor(2.0, 3.0).batch_shape == ()
    assert FisherSnedecor(tg.ones(2, 1), tg.ones(3)).sample((4,)).shape == (4, 2, 3)
    # as in PyTorch, the Gamma of df2 checks it first
    with pytest.raises(ValueError, match="parameter concentration .* Gamma"):
        FisherSnedecor(1.0, tg.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="within the support"):
        FisherSnedecor(2.0, 3.0).log_prob(tg.tensor(-1.0))
