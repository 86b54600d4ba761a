"""tensorgrad.distributions.utils against torch.distributions.utils."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions.utils import (
    broadcast_all,
    clamp_probs,
    logits_to_probs,
    probs_to_logits,
    tril_matrix_to_vec,
    vec_to_tril_matrix,
)

from .helpers import torch

tu = torch.distributions.utils


@pytest.mark.parametrize("diag", [-2, -1, 0, 1])
def test_tril_vector_round_trip_matches_torch(diag):
    m = np.random.default_rng(0).standard_normal((2, 4, 4))
    v = tril_matrix_to_vec(tg.tensor(m), diag)
    ref = tu.tril_matrix_to_vec(torch.tensor(m), diag)
    np.testing.assert_array_equal(v.numpy(), ref.numpy())
    back = vec_to_tril_matrix(v, diag)
    np.testing.assert_array_equal(back.numpy(), tu.vec_to_tril_matrix(ref, diag).numpy())
    x = tg.tensor(v.numpy(), requires_grad=True)
    vec_to_tril_matrix(x, diag).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(v.shape))
    with pytest.raises(ValueError, match="lower triangular part"):
        vec_to_tril_matrix(tg.zeros(5))


def test_probability_helpers_match_torch():
    p = np.array([0.0, 0.3, 1.0])
    for ours, ref in [
        (clamp_probs(tg.tensor(p)), tu.clamp_probs(torch.tensor(p))),
        (probs_to_logits(tg.tensor(p), True), tu.probs_to_logits(torch.tensor(p), True)),
        (probs_to_logits(tg.tensor(p)), tu.probs_to_logits(torch.tensor(p))),
        (logits_to_probs(tg.tensor(p)), tu.logits_to_probs(torch.tensor(p))),
    ]:
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    a, b = broadcast_all(tg.zeros(2, 1, dtype=tg.float64), 3.0)
    assert a.shape == b.shape == (2, 1) and b.dtype == tg.float64
    with pytest.raises(ValueError, match="Number or Tensor"):
        broadcast_all("x", 1.0)
