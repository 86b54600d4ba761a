"""Derivatives of the regularized incomplete gamma and beta functions in their shape
parameters: ``Gamma.cdf``'s gradient in the concentration (its value is
``special.gammainc``, as PyTorch's) and the implicit reparameterisation gradients of Gamma,
Beta and Dirichlet samples (``rsample``).

A sample x of Gamma(a) cannot be written as a smooth function of a and noise, but its
distribution function can: holding u = P(a, x) fixed as a moves gives the pathwise
derivative dx/da = -(dP/da)(a, x) / p(a, x) (Figurnov et al. 2018, "Implicit
Reparameterization Gradients"; PyTorch's ``_standard_gamma_grad``). PyTorch evaluates it
with fitted approximations; here dP/da is computed to float64 precision by forward-mode
differentiation (dual numbers) of the classic expansions (Numerical Recipes 6.2, 6.4):

* P(a, x) = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1)...(a + n))   for x < a + 1
* Q(a, x) = x^a e^-x / Gamma(a) * 1/(x + 1 - a - 1(1 - a)/(x + 3 - a - ...))  otherwise
* I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * betacf(a, b, x)   for x < (a + 1)/(a + b + 2),
  else 1 - I_(1-x)(b, a)

Every function takes and returns float64 NumPy/CuPy arrays (broadcast together).
"""

from __future__ import annotations

import numpy as np

from .. import _special
from ..autograd.function import Op, unbroadcast
from ..backend import xp_of

_EPS = 1e-15  # a few ulps: the relative change at which an expansion has converged
_FPMIN = 1e-300
_MAX_ITER = 20_000  # enough for shapes up to ~1e7


def _digamma(x):
    return _special.digamma(x, xp_of(x))


def _lgamma(x):
    return _special.lgamma(x, xp_of(x))


def _clip(v, dv):
    """Lentz's guard: a denominator that vanishes is replaced by a tiny one (its derivative
    by 0)."""
    xp = xp_of(v)
    small = xp.abs(v) < _FPMIN
    return xp.where(small, _FPMIN, v), xp.where(small, 0.0, dv)


def _gamma_series(a, x):
    """S and dS/da of P(a, x) = x^a e^-x / Gamma(a + 1) * S (converges for all x; used for
    x < a + 1, where the terms fall from the first)."""
    xp = xp_of(a)
    t, dt = xp.ones_like(a), xp.zeros_like(a)
    s, ds = t.copy(), dt.copy()
    n = 0
    while n < _MAX_ITER:
        n += 1
        r = x / (a + n)
        t = t * r
        dt = dt * r - t / (a + n)  # d/da of t_{n-1} x / (a + n)
        s, ds = s + t, ds + dt
        if n % 8 == 0 and bool(
            xp.all((xp.abs(t) <= _EPS * xp.abs(s)) & (xp.abs(dt) <= _EPS * xp.abs(ds) + 1e-300))
        ):
            break
    return s, ds


def _gamma_cf(a, x):
    """h and dh/da of Q(a, x) = x^a e^-x / Gamma(a) * h (Legendre's continued fraction by the
    modified Lentz method, dual numbers in a; used for x >= a + 1)."""
    xp = xp_of(a)
    b, db = x + 1 - a, -xp.ones_like(a)
    c, dc = xp.full_like(a, 1 / _FPMIN), xp.zeros_like(a)
    d, dd = 1 / b, 1 / (b * b)  # d(1/b)/da = -db / b^2
    h, dh = d, dd
    i = 0
    while i < _MAX_ITER:
        i += 1
        an, dan = -i * (i - a), float(i)
        b, db = b + 2, db
        d, dd = _clip(an * d + b, dan * d + an * dd + db)
        c, dc = _clip(b + an / c, db + dan / c - an * dc / (c * c))
        d, dd = 1 / d, -dd / (d * d)
        delta, ddelta = d * c, dd * c + d * dc
        h, dh = h * delta, dh * delta + h * ddelta
        if i % 4 == 0 and bool(
            xp.all((xp.abs(delta - 1) <= _EPS) & (xp.abs(ddelta * h) <= _EPS * xp.abs(dh) + 1e-300))
        ):
            break
    return h, dh


def _split(a, x):
    """The (a, x) pairs of each expansion: the series' where x < a + 1, the continued
    fraction's elsewhere, other entries (and those without a finite answer: a <= 0, x = inf,
    NaN) replaced by a point where that expansion converges at once, so that both run on
    whole arrays and stop. Returns the series mask and the two pairs."""
    xp = xp_of(a)
    ok = (a > 0) & (x > 0) & (x < np.inf) & (a < np.inf)
    series = ok & (x < a + 1)
    fraction = ok & ~series
    a_s, x_s = xp.where(series, a, 1.0), xp.where(series, x, 0.5)
    a_c, x_c = xp.where(fraction, a, 1.0), xp.where(fraction, x, 4.0)
    return series, a_s, x_s, a_c, x_c


def standard_gamma_grad(a, x):
    """dx/da = -(dP/da)(a, x) / p(a, x) for x drawn from Gamma(a, 1): the implicit
    reparameterisation gradient (PyTorch's ``_standard_gamma_grad(a, x)``). With
    P = x^a e^-x / Gamma(a + 1) S and p = x^(a - 1) e^-x / Gamma(a), the prefactors cancel to
    -(x / a)((log x - digamma(a + 1)) S + dS/da) below a + 1 and
    x ((log x - digamma(a)) h + dh/da) above (Q = 1 - P there)."""
    xp = xp_of(a)
    a, x = xp.broadcast_arrays(a, x)
    series, a_s, x_s, a_c, x_c = _split(a, x)
    with np.errstate(all="ignore"):
        s, ds = _gamma_series(a_s, x_s)
        h, dh = _gamma_cf(a_c, x_c)
        low = -(x_s / a_s) * ((xp.log(x_s) - _digamma(a_s + 1)) * s + ds)
        high = x_c * ((xp.log(x_c) - _digamma(a_c)) * h + dh)
        out = xp.where(series, low, high)
        out = xp.where((x > 0) & (x < np.inf), out, 0.0)
        return xp.where(xp.isnan(x) | xp.isnan(a) | (a <= 0), np.nan, out)


def _betacf(a, b, x):
    """h, dh/da, dh/db of I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * h: the continued fraction
    by the modified Lentz method, dual numbers in a and b (converges fast for
    x < (a + 1) / (a + b + 2))."""
    xp = xp_of(a)
    zero = xp.zeros_like(a)
    qab, qap, qam = a + b, a + 1, a - 1
    c, dca, dcb = xp.ones_like(a), zero, zero
    d = 1 - qab * x / qap
    dda = x * (b - 1) / (qap * qap)
    ddb = -x / qap
    d, dda = _clip(d, dda)
    _, ddb = _clip(d, ddb)
    d, dda, ddb = 1 / d, -dda / (d * d), -ddb / (d * d)
    h, dha, dhb = d, dda, ddb

    def step(aa, daa, dab, c, dca, dcb, d, dda, ddb):
        dn = 1 + aa * d
        d_a = daa * d + aa * dda
        d_b = dab * d + aa * ddb
        dn, d_a = _clip(dn, d_a)
        _, d_b = _clip(dn, d_b)
        cn = 1 + aa / c
        c_a = daa / c - aa * dca / (c * c)
        c_b = dab / c - aa * dcb / (c * c)
        cn, c_a = _clip(cn, c_a)
        _, c_b = _clip(cn, c_b)
        inv = 1 / dn
        return cn, c_a, c_b, inv, -d_a * inv * inv, -d_b * inv * inv

    m = 0
    while m < _MAX_ITER:
        m += 1
        m2 = 2 * m
        # even step: aa = m (b - m) x / ((a - 1 + 2m)(a + 2m))
        den = (qam + m2) * (a + m2)
        aa = m * (b - m) * x / den
        daa = -aa * (1 / (qam + m2) + 1 / (a + m2))
        dab = m * x / den
        c, dca, dcb, d, dda, ddb = step(aa, daa, dab, c, dca, dcb, d, dda, ddb)
        delta, dela, delb = d * c, dda * c + d * dca, ddb * c + d * dcb
        h, dha, dhb = h * delta, dha * delta + h * dela, dhb * delta + h * delb
        # odd step: aa = -(a + m)(a + b + m) x / ((a + 2m)(a + 1 + 2m))
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        daa = aa * (1 / (a + m) + 1 / (qab + m) - 1 / (a + m2) - 1 / (qap + m2))
        dab = aa / (qab + m)
        c, dca, dcb, d, dda, ddb = step(aa, daa, dab, c, dca, dcb, d, dda, ddb)
        delta, dela, delb = d * c, dda * c + d * dca, ddb * c + d * dcb
        h, dha, dhb = h * delta, dha * delta + h * dela, dhb * delta + h * delb
        if m % 4 == 0:
            tol = _EPS * (xp.abs(dha) + xp.abs(dhb)) + 1e-300
            done = (xp.abs(delta - 1) <= _EPS) & (xp.abs(dela * h) + xp.abs(delb * h) <= tol)
            if bool(xp.all(done)):
                break
    return h, dha, dhb


def dirichlet_grad(x, alpha, total):
    """-(dI_x(alpha, beta)/d alpha) / (p(x; alpha, beta) (1 - x)) with beta = total - alpha
    held fixed, for x drawn from Beta(alpha, beta): PyTorch's ``_dirichlet_grad``, from which
    the gradient of a Dirichlet (or Beta) sample follows. With K = x^a (1 - x)^b / (a B(a, b))
    and p = x^(a-1) (1 - x)^(b-1) / B(a, b): -(x/a)((log x - 1/a - digamma(a) +
    digamma(a + b)) h + dh/da) below the switch point, and (x/b)((log x - digamma(a) +
    digamma(a + b)) h' + dh'/da) above it, h' the fraction of I_(1-x)(b, a)."""
    xp = xp_of(x)
    x, a, total = xp.broadcast_arrays(x, alpha, total)
    ok = (a > 0) & (total > a) & (x >= 0) & (x <= 1) & xp.isfinite(total)
    a, total = xp.where(ok, a, 1.0), xp.where(ok, total, 2.0)  # others: a point that stops
    x = xp.where(ok, x, 0.5)
    b = total - a
    direct = x < (a + 1) / (total + 2)
    xd = xp.where(direct, x, 0.0)
    yd = xp.where(direct, 0.0, 1 - x)
    with np.errstate(all="ignore"):
        h, ha, _ = _betacf(a, b, xd)
        h2, _, h2a = _betacf(b, a, yd)
        psi = _digamma(total) - _digamma(a)
        logx = xp.log(x)
        low = -(x / a) * ((logx - 1 / a + psi) * h + ha)
        high = (x / b) * ((logx + psi) * h2 + h2a)
        out = xp.where(direct, low, high)
        return xp.where(ok, xp.where(x > 0, out, 0.0), np.nan)


def _as64(array):
    return array.astype(np.float64, copy=False)


class Gammainc(Op):
    """P(a, x), the regularized lower incomplete gamma function. Gradients:
    dP/dx = x^(a-1) e^-x / Gamma(a) (in tensor ops, so it differentiates again) and
    dP/da = -p(a, x) dx/da (``StandardGammaGrad``, first order only)."""

    saves_inputs = True

    def forward(ctx, a, x):  # PyTorch's Gamma.cdf is special.gammainc(concentration, rate x)
        return _special.gammainc(a, x, xp_of(a))

    def backward(ctx, g):  # dP/dx = p(a, x); dP/da = -p(a, x) dx/da (x moved at fixed P)
        a, x = ctx.saved_tensors
        need_a, need_x = ctx.needs_input_grad
        pdf = ((a - 1) * x.log() - x - a.lgamma()).exp()
        ga = -g * pdf * StandardGammaGrad.apply(a, x) if need_a else None
        return unbroadcast(ctx, ga, g * pdf if need_x else None)


class StandardGammaGrad(Op):
    """dx/da for x ~ Gamma(a, 1) (``standard_gamma_grad``): the gradient a Gamma sample
    passes to its concentration. Not differentiable itself (neither is PyTorch's)."""

    def forward(ctx, a, x):
        return standard_gamma_grad(_as64(a), _as64(x)).astype(
            np.result_type(a.dtype, x.dtype), copy=False
        )

    def backward(ctx, g):
        raise RuntimeError(
            "the gradient of a Gamma sample w.r.t. its concentration (_standard_gamma_grad) "
            "is not differentiable: double backward through Gamma/Beta/Dirichlet rsample is "
            "not supported"
        )


class GammaReparam(Op):
    """The identity on a Gamma(a, 1) sample x drawn apart, differentiable in a by the implicit
    reparameterisation: d out / da = dx/da (``StandardGammaGrad``)."""

    saves_inputs = True

    def forward(ctx, a, x):
        return x.copy()

    def backward(ctx, g):  # d out / da = dx/da = -(dP/da) / p at the drawn x
        a, x = ctx.saved_tensors
        return g * StandardGammaGrad.apply(a, x), None


class DirichletGrad(Op):
    """``dirichlet_grad(x, a, a.sum(-1))`` for a Dirichlet(a) sample x: each coordinate's
    scaled implicit gradient as the first coordinate of a Beta(a_i, total - a_i). Not
    differentiable itself (neither is PyTorch's)."""

    def forward(ctx, a, x):
        a64 = _as64(a)
        total = a64.sum(-1, keepdims=True)
        return dirichlet_grad(_as64(x), a64, total).astype(
            np.result_type(a.dtype, x.dtype), copy=False
        )

    def backward(ctx, g):
        raise RuntimeError(
            "the gradient of a Dirichlet sample w.r.t. its concentration (_dirichlet_grad) is "
            "not differentiable: double backward through Beta/Dirichlet rsample is not "
            "supported"
        )


class DirichletReparam(Op):
    """The identity on a Dirichlet(a) sample x drawn apart, differentiable in a by the
    implicit reparameterisation (PyTorch's): grad_a = D * (g - sum_j x_j g_j) with D the
    ``DirichletGrad`` of each coordinate."""

    saves_inputs = True

    def forward(ctx, a, x):
        return x.copy()

    def backward(ctx, g):  # grad_a_i = D_i (g_i - sum_j x_j g_j), D_i = dirichlet_grad
        a, x = ctx.saved_tensors
        x = x.detach()
        grad = DirichletGrad.apply(a, x)
        return grad * (g - (x * g).sum(-1, keepdim=True)), None
