"""tensorgrad.distributions.constraint_registry against
torch.distributions.constraint_registry: the same transform for each constraint, mapping
the reals into the constraint's set."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import biject_to, constraints, transform_to

from .helpers import torch

CONSTRAINTS = {
    "real": lambda c: c.real,
    "positive": lambda c: c.positive,
    "nonnegative": lambda c: c.nonnegative,
    "greater_than": lambda c: c.greater_than(1.5),
    "less_than": lambda c: c.less_than(-1.0),
    "unit_interval": lambda c: c.unit_interval,
    "interval": lambda c: c.interval(-2.0, 3.0),
    "half_open_interval": lambda c: c.half_open_interval(0.0, 1.0),
    "simplex": lambda c: c.simplex,
    "real_vector": lambda c: c.real_vector,
    "independent": lambda c: c.independent(c.positive, 1),
    "lower_cholesky": lambda c: c.lower_cholesky,
    "positive_definite": lambda c: c.positive_definite,
    "corr_cholesky": lambda c: c.corr_cholesky,
    "cat": lambda c: c.cat([c.positive, c.real], 1, [1, 2]),
    "stack": lambda c: c.stack([c.positive, c.real, c.unit_interval], 1),
}
_X = {
    "lower_cholesky": (2, 3, 3),
    "positive_definite": (2, 3, 3),
    "corr_cholesky": (2, 3),
}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_registry_matches_torch(registry, name):
    ours_reg = {"biject_to": biject_to, "transform_to": transform_to}[registry]
    ref_reg = getattr(torch.distributions, registry)
    ref_c = CONSTRAINTS[name](torch.distributions.constraints)
    ours_c = CONSTRAINTS[name](constraints)
    try:
        ref = ref_reg(ref_c)
    except NotImplementedError:
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            ours_reg(ours_c)
        return
    ours = ours_reg(ours_c)
    assert repr(ours) == repr(ref)
    x = np.random.default_rng(0).standard_normal(_X.get(name, (2, 3)))
    y = ours(tg.tensor(x))
    np.testing.assert_allclose(y.numpy(), ref(torch.tensor(x)).numpy(), rtol=1e-10, atol=1e-12)
    assert bool(ours_c.check(y).all())


def test_register_a_new_constraint():
    class Odd(constraints.Constraint):
        pass

    sentinel = tg.distributions.transforms.ExpTransform()
    transform_to.register(Odd, lambda c: sentinel)
    assert transform_to(Odd()) is sentinel
    with pytest.raises(NotImplementedError, match="Cannot transform Odd"):
        biject_to(Odd())
    with pytest.raises(TypeError):
        biject_to.register(3, lambda c: sentinel)
