"""Randomized low-rank SVD and PCA, PyTorch's ``torch.svd_lowrank`` and ``torch.pca_lowrank``
(``torch/_lowrank.py``), composed from matmul, QR and SVD, so they differentiate as those do.

Halko, Martinsson and Tropp (2009), algorithms 4.4 and 5.1: for ``A`` of shape (m, n), with
m >= n (else work on Aᴴ), a Gaussian R (n, q) gives the range sketch ``Q = qr(A R).Q``; ``niter``
subspace iterations ``Q = qr(A qr(Aᴴ Q).Q).Q`` sharpen it toward the top singular subspace; then
``B = Qᴴ A`` (q, n) is small, ``B = Û S Vᴴ`` and ``A ≈ (Q Û) diag(S) Vᴴ``. For a matrix of rank
<= q the result is exact up to rounding. R comes from the global generator, whose stream is
PyTorch's: after the same ``manual_seed`` the sketch is PyTorch's, and U and V agree with
PyTorch's up to rounding and the signs (NumPy's and PyTorch's LAPACK pick different ones).
"""

from __future__ import annotations

from . import linalg
from .creation import randn
from .tensor import Tensor


def _floating_dtype(A: Tensor):
    return A.dtype if A.is_floating_point() else None  # None: the default float32


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """Q (m, q) with orthonormal columns whose span approximates the range of A - M."""
    R = randn(A.shape[-1], q, dtype=_floating_dtype(A), device=A.device)

    def times(X):  # (A - M) X without forming A - M
        return A @ X if M is None else A @ X - M @ X

    def times_h(X):
        return A.mH @ X if M is None else A.mH @ X - M.mH @ X

    Q = linalg.qr(times(R)).Q
    for _ in range(niter):
        Q = linalg.qr(times_h(Q)).Q
        Q = linalg.qr(times(Q)).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None):
    """``(U, S, V)`` with ``A - M ≈ U diag(S) Vᴴ`` of rank ``q`` (6 when None), by ``niter``
    subspace iterations (2 when None); ``M`` broadcasts to ``A`` and defaults to zero. Note
    that V comes back, not Vᴴ as from ``linalg.svd``."""
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mH
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """``svd_lowrank`` of ``A`` (m samples by n features) less its column means when
    ``center``: ``V[:, :k]`` are the first k principal directions, ``S**2 / (m - 1)`` the
    variances along them, ``A @ V[:, :k]`` the projected data. ``q`` defaults to
    ``min(6, m, n)``."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (0 <= q <= min(m, n)):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter)
