"""tensorgrad.distributions.transforms against torch.distributions.transforms: forward,
inverse and log |det J| values and gradients, shapes, flags, caching and equality; the
log-det of the elementwise maps against autograd's derivative."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import transforms as T

from .helpers import DTYPES, compare, torch

_R = np.random.default_rng(0)

# name -> (make(lib, T) -> transform, x values in its domain)
TRANSFORMS = {
    "Exp": (lambda lib, t: t.ExpTransform(), _R.standard_normal((2, 3))),
    "Sigmoid": (lambda lib, t: t.SigmoidTransform(), _R.standard_normal((2, 3))),
    "Tanh": (lambda lib, t: t.TanhTransform(), _R.standard_normal((2, 3))),
    "Softplus": (lambda lib, t: t.SoftplusTransform(), _R.standard_normal((2, 3))),
    "Abs": (lambda lib, t: t.AbsTransform(), _R.uniform(0.1, 2, (2, 3))),
    "Power": (
        lambda lib, t: t.PowerTransform(lib.tensor([0.5, 2.0, -1.5], dtype=lib.float64)),
        _R.uniform(0.5, 2, (2, 3)),
    ),
    "Affine": (
        lambda lib, t: t.AffineTransform(
            lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64),
            lib.tensor([2.0, -0.5, 3.0], dtype=lib.float64),
        ),
        _R.standard_normal((2, 3)),
    ),
    "AffineNumbers": (lambda lib, t: t.AffineTransform(1.5, -2.0), _R.standard_normal((2, 3))),
    "AffineEvent": (
        lambda lib, t: t.AffineTransform(0.5, lib.tensor([2.0, 3.0, 0.5], dtype=lib.float64), 1),
        _R.standard_normal((2, 3)),
    ),
    "Softmax": (lambda lib, t: t.SoftmaxTransform(), _R.standard_normal((2, 3))),
    "StickBreaking": (lambda lib, t: t.StickBreakingTransform(), _R.standard_normal((2, 3))),
    "LowerCholesky": (lambda lib, t: t.LowerCholeskyTransform(), _R.standard_normal((2, 3, 3))),
    "PositiveDefinite": (
        lambda lib, t: t.PositiveDefiniteTransform(),
        _R.standard_normal((2, 3, 3)),
    ),
    "CorrCholesky": (lambda lib, t: t.CorrCholeskyTransform(), _R.standard_normal((2, 3))),
    "Compose": (
        lambda lib, t: t.ComposeTransform(
            [t.ExpTransform(), t.AffineTransform(1.0, 2.0), t.PowerTransform(lib.tensor(0.5))]
        ),
        _R.standard_normal((2, 3)),
    ),
    "ComposeEvent": (
        lambda lib, t: t.ComposeTransform([t.SigmoidTransform(), t.StickBreakingTransform()]),
        _R.standard_normal((2, 3)),
    ),
    "Independent": (
        lambda lib, t: t.IndependentTransform(t.SigmoidTransform(), 1),
        _R.standard_normal((2, 3)),
    ),
    "Reshape": (lambda lib, t: t.ReshapeTransform((3,), (3, 1)), _R.standard_normal((2, 3))),
    "Cat": (
        lambda lib, t: t.CatTransform([t.ExpTransform(), t.SigmoidTransform()], 1, [1, 2]),
        _R.standard_normal((2, 3)),
    ),
    "Stack": (
        lambda lib, t: t.StackTransform(
            [t.ExpTransform(), t.SigmoidTransform(), t.AffineTransform(1.0, 3.0)], 1
        ),
        _R.standard_normal((2, 3)),
    ),
    "InverseExp": (lambda lib, t: t.ExpTransform().inv, _R.uniform(0.5, 2, (2, 3))),
    "Identity": (lambda lib, t: t.identity_transform, _R.standard_normal((2, 3))),
}
NOT_INVERTIBLE = {"Abs", "Softmax", "LowerCholesky", "PositiveDefinite"}
NO_LOG_DET = {"Abs", "Softmax", "LowerCholesky", "PositiveDefinite"}


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_matches_torch(name, dtype, tol):
    make, x = TRANSFORMS[name]

    def build(lib, D, x):
        t = make(lib, D.transforms)
        y = t(x)
        out = {"y": y, "x_back": t.inv(y.detach())}
        if name not in NO_LOG_DET:
            out["log_det"] = t.log_abs_det_jacobian(x, y)
        return out

    compare(build, [x], dtype, max(tol, 1e-9))
    ours, ref = make(tg, tg.distributions), make(torch, torch.distributions)
    assert ours.bijective == ref.bijective
    assert ours.domain.event_dim == ref.domain.event_dim
    assert ours.codomain.event_dim == ref.codomain.event_dim
    assert type(ours.codomain).__name__.lstrip("_") == type(ref.codomain).__name__.lstrip("_")
    for shape in [(4, 2, 3), (4,) + x.shape[1:]]:
        assert tuple(ours.forward_shape(shape)) == tuple(ref.forward_shape(torch.Size(shape)))
    y_shape = tuple(ref.forward_shape(torch.Size(x.shape)))
    assert tuple(ours.inverse_shape(y_shape)) == tuple(ref.inverse_shape(torch.Size(y_shape)))
    if name not in NOT_INVERTIBLE:
        xt = tg.tensor(x)
        np.testing.assert_allclose(ours.inv(ours(xt)).numpy(), x, rtol=1e-9, atol=1e-9)
        assert ours.codomain.check(ours(xt)).all()


@pytest.mark.parametrize("name", ["Exp", "Sigmoid", "Tanh", "Softplus", "Power", "Affine"])
def test_elementwise_log_det_is_log_of_the_derivative(name):
    t = TRANSFORMS[name][0](tg, tg.distributions)
    x = tg.tensor(TRANSFORMS[name][1], requires_grad=True)
    y = t(x)
    (dy,) = tg.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(
        t.log_abs_det_jacobian(x, y).detach().numpy(), np.log(np.abs(dy.numpy())), rtol=1e-10
    )


def test_stick_breaking_log_det_is_that_of_the_jacobian():
    x = tg.tensor([0.3, -0.8, 1.1], dtype=tg.float64)
    t = T.StickBreakingTransform()
    xg = x.clone().requires_grad_()
    y = t(xg)
    # the first 3 outputs determine the 4th (they sum to 1): their Jacobian is square
    jac = np.stack([tg.autograd.grad(y[i], xg, retain_graph=True)[0].numpy() for i in range(3)])
    np.testing.assert_allclose(
        t.log_abs_det_jacobian(x, t(x)).item(), np.log(abs(np.linalg.det(jac))), rtol=1e-10
    )


def test_cache_equality_inverse_and_repr():
    t = T.ExpTransform(cache_size=1)
    x = tg.tensor([0.5, 1.0])
    y = t(x)
    assert t(x) is y and t.inv(y) is x  # the cached pair
    assert T.ExpTransform().inv.inv == T.ExpTransform() and T.ExpTransform() != T.TanhTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.PowerTransform(tg.tensor(2.0)) == T.PowerTransform(tg.tensor(2.0))
    c = T.ComposeTransform([T.ExpTransform(), T.SigmoidTransform()])
    assert c.inv.inv is c and c.inv.parts[0] == T.SigmoidTransform().inv
    assert c.with_cache(1)._cache_size == 1 and c.bijective and c.sign == 1
    assert T.AffineTransform(0.0, -2.0).sign == -1
    assert repr(T.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    assert repr(c) == repr(
        torch.distributions.ComposeTransform(
            [torch.distributions.ExpTransform(), torch.distributions.SigmoidTransform()]
        )
    )
    with pytest.raises(ValueError, match="cache_size"):
        T.ExpTransform(cache_size=2)
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="Shape mismatch"):
        T.ReshapeTransform((3,), (3, 1)).forward_shape((4, 2))
