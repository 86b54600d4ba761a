"""``tg.svd_lowrank`` and ``tg.pca_lowrank`` (``tensorgrad/lowrank.py``) against PyTorch's: the
sketch is random and the streams differ, so compare what does not depend on it: exact recovery
of a matrix of rank <= q, singular values, the projector V Vᴴ, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _low_rank(rng, m, n, k):
    return rng.standard_normal((m, k)) @ rng.standard_normal((k, n))


@pytest.mark.parametrize("shape", [(12, 7), (7, 12), (2, 9, 6)])
def test_svd_lowrank_recovers_a_low_rank_matrix_like_torch(shape):
    rng = np.random.default_rng(0)
    *batch, m, n = shape
    a = np.stack([_low_rank(rng, m, n, 3) for _ in range(int(np.prod(batch)))]).reshape(shape)
    U, S, V = tg.svd_lowrank(tg.tensor(a), q=4, niter=2)
    tU, tS, tV = torch.svd_lowrank(torch.tensor(a), q=4, niter=2)
    assert U.shape == tuple(tU.shape) and S.shape == tuple(tS.shape) and V.shape == tuple(tV.shape)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-10)
    recon = U.numpy() @ (S.numpy()[..., None] * np.swapaxes(V.numpy(), -1, -2))
    np.testing.assert_allclose(recon, a, atol=1e-10)
    proj = V.numpy()[..., :3] @ np.swapaxes(V.numpy()[..., :3], -1, -2)
    tproj = tV.numpy()[..., :3] @ np.swapaxes(tV.numpy()[..., :3], -1, -2)
    np.testing.assert_allclose(proj, tproj, atol=1e-10)


def test_svd_lowrank_with_m_and_gradient():
    rng = np.random.default_rng(1)
    a = _low_rank(rng, 8, 5, 2) + 3.0
    mean = np.full((1, 5), 3.0)
    U, S, V = tg.svd_lowrank(tg.tensor(a), q=3, M=tg.tensor(mean))
    _, tS, _ = torch.svd_lowrank(torch.tensor(a), q=3, M=torch.tensor(mean))
    np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-10)
    x = tg.tensor(a, requires_grad=True)  # composed of differentiable ops: S[0] = u₀ᵀ A v₀
    tg.svd_lowrank(x, q=3)[1][0].backward()
    tx = torch.tensor(a, requires_grad=True)
    torch.svd_lowrank(tx, q=3)[1][0].backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-8)  # u₀ v₀ᵀ: no sign


def test_pca_lowrank_like_torch():
    rng = np.random.default_rng(2)
    a = _low_rank(rng, 30, 6, 3) + rng.standard_normal(6) * 5  # rank 3 after centering
    for center in (True, False):
        U, S, V = tg.pca_lowrank(tg.tensor(a), q=4, center=center)
        tU, tS, tV = torch.pca_lowrank(torch.tensor(a), q=4, center=center)
        assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape)
        np.testing.assert_allclose(S.numpy()[:3], tS.numpy()[:3], rtol=1e-8)
    assert tg.pca_lowrank(tg.tensor(a))[1].shape == (6,)  # q = min(6, m, n)
    for lib in (tg, torch):
        with pytest.raises(ValueError, match="not greater than min"):
            lib.pca_lowrank(lib.tensor(a), q=7)
        with pytest.raises(ValueError, match="niter"):
            lib.pca_lowrank(lib.tensor(a), niter=-1)
