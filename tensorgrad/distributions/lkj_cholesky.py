"""``LKJCholesky(dim, concentration)``: the LKJ distribution over Cholesky factors of
correlation matrices."""

from __future__ import annotations

import math

from ..backend import np_finfo
from ..creation import arange, randn
from ..grad_mode import no_grad
from ..tensor import Tensor, cat
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all


class LKJCholesky(Distribution):
    """The LKJ distribution over lower Cholesky factors L of dim x dim correlation matrices
    M = L L^T, with ``concentration`` eta > 0: p(M) is proportional to det(M)^(eta - 1) (uniform
    over correlation matrices at eta = 1). With the Jacobian of L -> L L^T this is

        log p(L) = sum_{i=2..D} (2 (eta - 1) + D - i) log L_ii - log Z,
        log Z = (D - 1) log(pi) / 2 + log Gamma_{D-1}(eta + (D - 1) / 2 - 1/2)
                - (D - 1) lgamma(eta + (D - 1) / 2)

    (Lewandowski, Kurowicka and Joe 2009). ``sample`` is PyTorch's vectorised onion method:
    below the diagonal, row i (from 0) of L is sqrt(y_i) u_i, with y_i ~ Beta(i - 1/2,
    eta + (D - 1 - i) / 2) (PyTorch's parameters, drawn first, with a placeholder for row 0)
    and u_i a standard normal vector (drawn next) scaled to unit length; the diagonal is
    sqrt(1 - |row|^2), at least the dtype's smallest normal number. There is no ``rsample``,
    as in PyTorch."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # the Beta of each row (Sec. 3.2 of the paper), row 0's a placeholder that sample()
        # draws and discards, so that all rows draw at once
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        c = self.concentration
        offset = arange(self.dim - 1, dtype=c.dtype, device=c.device)
        offset = cat([offset.new_zeros((1,)), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(self.concentration.shape, (dim, dim), validate_args)

    def expand(self, batch_shape, _instance=None) -> LKJCholesky:
        """The same distribution with its concentration expanded to ``batch_shape``."""
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = tuple(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()) -> Tensor:
        """Cholesky factors of shape ``sample_shape + batch_shape + (dim, dim)``, no gradient."""
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = randn(
                self._extended_shape(sample_shape), dtype=y.dtype, device=y.device
            ).tril(-1)
            u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
            u_hypersphere[..., 0, :] = 0.0  # row 0 is 0 / 0: it has no off-diagonal entries
            w = y.sqrt() * u_hypersphere
            tiny = float(np_finfo(w.array.dtype).tiny)
            diag_elems = (1 - w.pow(2).sum(-1)).clamp(min=tiny).sqrt()
            return w + diag_elems.diag_embed()

    def log_prob(self, value) -> Tensor:
        """sum_{i>=2} (2 (eta - 1) + D - i) log L_ii - log Z (see the class docstring)."""
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = alpha.lgamma() * dm1
        numerator = (alpha - 0.5).mvlgamma(dm1)
        # the paper's pi term is D (D - 1) / 4 log pi; mvlgamma has (D - 1)(D - 2) / 4 log pi
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
