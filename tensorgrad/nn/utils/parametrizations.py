"""Weight norm and spectral norm as parametrizations (``parametrize.register_parametrization``),
PyTorch's ``torch.nn.utils.parametrizations`` with its state-dict keys.

* ``weight_norm(module)``: weight = g v / ||v|| (the norm over every dimension but ``dim``),
  stored as ``parametrizations.weight.original0`` (g) and ``original1`` (v); a checkpoint of
  the old hook API (``weight_g``, ``weight_v``) loads into it.
* ``spectral_norm(module)``: weight = W / sigma(W), sigma estimated by power iteration on the
  weight seen as a matrix, with the iteration's vectors in the buffers
  ``parametrizations.weight.0._u`` and ``_v``: 15 iterations at registration, then
  ``n_power_iterations`` at every access in training mode (none in eval mode). A 1-D weight is
  simply normalised.

* ``orthogonal(module)``: the weight (a matrix, or a batch of them, n x k) made orthogonal
  (orthonormal columns or rows) as a map of an unconstrained matrix X stored as ``original``:
  the exponential of the skew-symmetric part, e^(tril(X) - tril(X)ᵀ) (``matrix_exp``, the
  default for square weights), its Cayley transform (I - A/2)^-1 (I + A/2) (``cayley``), or
  the product of the Householder reflections stored below X's diagonal (``householder``, the
  default otherwise), PyTorch's maps. With ``use_trivialization`` (the default) the result is
  ``base @ Q``, ``base`` (a buffer, ``parametrizations.weight.0.base``) being the orthogonal
  matrix the weight was at registration (or was last assigned), and ``original`` starts at
  -I, which the maps send to the identity.
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import backend, creation, linalg
from ...backend import np_finfo
from ...grad_mode import no_grad
from ...tensor import Tensor, cat
from ..distance import normalize
from ..module import Module
from . import parametrize
from .spectral_norm import is_transposed_conv
from .weight_norm import norm_except_dim, weight_norm_from

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ----------------------------------------------------------------------------- orthogonal


def _is_orthogonal(Q: Tensor) -> bool:
    """Qᵀ Q = I up to 10 n eps (PyTorch's test)."""
    n, k = Q.shape[-2], Q.shape[-1]
    q = backend.to_numpy(Q.detach().array)
    eps = 10.0 * n * np_finfo(q.dtype).eps
    return bool(np.allclose(q.swapaxes(-1, -2) @ q, np.eye(k), rtol=1e-5, atol=eps))


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q of A's QR factorisation with each column's sign flipped so that diag(R) >= 0:
    LAPACK's Householder QR as PyTorch's ``householder_product(geqrf(A))``."""
    q, r = np.linalg.qr(backend.to_numpy(A.detach().array))
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    return Tensor._make(backend.to_device(q, A.device))


def _householder_reflectors(Q: Tensor) -> Tensor:
    """``geqrf(Q)``'s reflectors with the diagonal replaced by the signs of R's diagonal,
    negated where tau is 0: the X that the ``householder`` map sends back to Q."""
    h, tau = np.linalg.qr(backend.to_numpy(Q.detach().array), mode="raw")
    a = np.ascontiguousarray(h.swapaxes(-1, -2))
    diag = np.sign(np.diagonal(a, axis1=-2, axis2=-1)) * np.where(tau == 0.0, -1.0, 1.0)
    k = diag.shape[-1]
    a[..., np.arange(k), np.arange(k)] = diag
    return Tensor._make(backend.to_device(a, Q.device))


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Q(X): an orthogonal matrix (or batch) of the weight's shape (see the module
    docstring); ``right_inverse(Q)`` gives an X with Q(X) = Q."""

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:  # completed to a square matrix with zero columns
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)], -1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:
                eye = creation.eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = linalg.householder_product(A, tau)
            # the signs PyTorch reads off X's diagonal (truncated to integers: no gradient)
            Q = Q * X.diagonal(0, -2, -1).detach().int().to(Q.dtype).unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                f"shape {Q.shape}."
            )
        with no_grad():
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False."
                    )
                A = _householder_reflectors(Q).to(Q.dtype)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # completed by random columns, then made orthogonal
                N = creation.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], -1))
            self.base = Q.to(Q_init.dtype)
            rows, cols = Q_init.shape[-2:]
            neg_eye = creation.eye(rows, cols, dtype=Q_init.dtype, device=Q_init.device)
            return (-neg_eye).expand(Q_init.shape).clone()


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Make ``module.<name>`` (a matrix or batch of matrices) orthogonal through a
    parametrization (see the module docstring): ``orthogonal_map`` is ``'matrix_exp'`` (the
    default for square weights), ``'cayley'`` or ``'householder'`` (the default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
            f"{orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ----------------------------------------------------------------------------- weight norm


class _WeightNorm(Module):
    """w = g v / ||v||: ``forward(g, v)``; ``right_inverse(w)`` = (||w||, w)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_from(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g v / ||v|| (norm over every dimension but ``dim``;
    the whole tensor for ``dim=None``), with g and v stored as
    ``parametrizations.<name>.original0`` and ``original1``. State dicts of the old
    ``nn.utils.weight_norm`` (``<name>_g``, ``<name>_v``) are renamed on load."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """weight / sigma(weight) with sigma = uᵀ W v from power iteration (buffers ``_u``,
    ``_v``); a 1-D weight is normalised instead."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """u <- normalize(W v), v <- normalize(Wᵀ u), in the buffers, unrecorded."""
        with no_grad():
            for _ in range(n_power_iterations):
                normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                normalize(weight_mat.mT.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the buffers change in place at the next power iteration
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration (see the
    module docstring); ``dim`` defaults to 1 for transposed convolutions and 0 otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if is_transposed_conv(module) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
