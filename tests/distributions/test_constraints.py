"""tensorgrad.distributions.constraints against torch.distributions.constraints: the same
check on the same values, the same reprs and static attributes."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import constraints as C

from .helpers import torch

_V = np.array([[-1.0, 0.0, 0.5], [1.0, 2.0, np.nan]])
_SIMPLEX = np.array([[0.2, 0.3, 0.5], [0.5, 0.6, -0.1]])
_MATS = np.array(
    [
        [[2.0, 0.0], [0.5, 1.0]],  # lower triangular, positive diagonal
        [[1.0, 0.3], [0.3, 1.0]],  # symmetric positive definite
        [[1.0, 2.0], [2.0, 1.0]],  # symmetric, indefinite
        [[0.6, 0.0], [0.6, 0.8]],  # a correlation Cholesky factor
    ]
)

# name -> (make(cs) -> constraint, values)
CONSTRAINTS = {
    "real": (lambda c: c.real, _V),
    "real_vector": (lambda c: c.real_vector, _V),
    "boolean": (lambda c: c.boolean, _V),
    "positive": (lambda c: c.positive, _V),
    "nonnegative": (lambda c: c.nonnegative, _V),
    "nonnegative_integer": (lambda c: c.nonnegative_integer, _V),
    "positive_integer": (lambda c: c.positive_integer, _V),
    "unit_interval": (lambda c: c.unit_interval, _V),
    "greater_than": (lambda c: c.greater_than(0.5), _V),
    "greater_than_eq": (lambda c: c.greater_than_eq(0.5), _V),
    "less_than": (lambda c: c.less_than(0.5), _V),
    "interval": (lambda c: c.interval(-1.0, 0.5), _V),
    "half_open_interval": (lambda c: c.half_open_interval(-1.0, 0.5), _V),
    "integer_interval": (lambda c: c.integer_interval(0, 1), _V),
    "simplex": (lambda c: c.simplex, _SIMPLEX),
    "one_hot": (lambda c: c.one_hot, np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])),
    "multinomial": (lambda c: c.multinomial(3), np.array([[1.0, 2.0, 0.0], [2.0, 2.0, 0.0]])),
    "lower_triangular": (lambda c: c.lower_triangular, _MATS),
    "lower_cholesky": (lambda c: c.lower_cholesky, _MATS),
    "corr_cholesky": (lambda c: c.corr_cholesky, _MATS),
    "square": (lambda c: c.square, _MATS),
    "symmetric": (lambda c: c.symmetric, _MATS),
    "positive_semidefinite": (lambda c: c.positive_semidefinite, _MATS[1:3]),
    "positive_definite": (lambda c: c.positive_definite, _MATS[1:3]),
    "independent": (lambda c: c.independent(c.positive, 1), _V),
    "cat": (lambda c: c.cat([c.positive, c.real], 1, [1, 2]), _V),
    "stack": (lambda c: c.stack([c.positive, c.real, c.unit_interval], 1), _V),
}


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_matches_torch(name):
    make, values = CONSTRAINTS[name]
    ours, ref = make(C), make(torch.distributions.constraints)
    got = ours.check(tg.tensor(values)).numpy()
    want = ref.check(torch.tensor(values)).numpy()
    np.testing.assert_array_equal(got, want)
    assert ours.event_dim == ref.event_dim and ours.is_discrete == ref.is_discrete
    if name not in ("multinomial",):
        assert repr(ours) == repr(ref)


def test_dependent_constraints():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    dep = C.dependent(is_discrete=True, event_dim=1)
    assert dep.is_discrete and dep.event_dim == 1
    with pytest.raises(ValueError, match="dependent"):
        dep.check(tg.zeros(2))
    support = tg.distributions.Uniform.support  # a dependent_property, read on the class
    assert C.is_dependent(support) and support.event_dim == 0 and not support.is_discrete
    support = tg.distributions.Categorical.support
    assert C.is_dependent(support) and support.is_discrete


def test_mixture_same_family_constraint():
    c = C.MixtureSameFamilyConstraint(C.positive)
    np.testing.assert_array_equal(c.check(tg.tensor([1.0, -1.0])).numpy(), [True, False])
    ref = torch.distributions.constraints.MixtureSameFamilyConstraint(
        torch.distributions.constraints.positive
    )
    assert repr(c) == repr(ref)
