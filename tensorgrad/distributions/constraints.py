"""Constraints: the sets a parameter or a sample must lie in (``torch.distributions.constraints``).

``constraint.check(value)`` is a bool tensor, True where ``value`` satisfies it (reduced over
the constraint's ``event_dim`` rightmost dims). The reprs are PyTorch's, so error messages read
the same.
"""

from __future__ import annotations


class Constraint:
    """A set of values: ``check(value)`` says which elements lie in it."""

    is_discrete = False  # the set is countable (integers, booleans)
    event_dim = 0  # rightmost dims that together form one event (1 for the simplex)

    def check(self, value):
        """A bool tensor: True where ``value`` satisfies the constraint."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dependent(Constraint):
    """A placeholder for a constraint that depends on other parameters: never checked."""

    def __init__(self, *, is_discrete: bool = False, event_dim: int = 0) -> None:
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is a ``Dependent`` placeholder (skipped by argument checks)."""
    return isinstance(constraint, Dependent)


class dependent_property(property):
    """A property that computes a constraint from the instance (``Categorical.support``);
    on the class it reads as a ``Dependent`` constraint with ``is_discrete``/``event_dim``."""

    def __init__(self, fn=None, *, is_discrete: bool = False, event_dim: int = 0) -> None:
        super().__init__(fn)
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def __call__(self, fn):
        return dependent_property(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


class Real(Constraint):
    """The extended real line [-inf, inf]: everything but NaN."""

    def check(self, value):
        return value == value  # False for NaN


class Boolean(Constraint):
    """{0, 1}."""

    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class GreaterThan(Constraint):
    """The half line (lower_bound, inf]."""

    def __init__(self, lower_bound) -> None:
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound < value

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class LessThan(Constraint):
    """The half line [-inf, upper_bound)."""

    def __init__(self, upper_bound) -> None:
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self.upper_bound})"


class Interval(Constraint):
    """The closed interval [lower_bound, upper_bound]."""

    def __init__(self, lower_bound, upper_bound) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class IntegerInterval(Interval):
    """The integers in [lower_bound, upper_bound]."""

    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & super().check(value)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class Simplex(Constraint):
    """Vectors (the last dim) of non-negative entries summing to 1 (within 1e-6)."""

    event_dim = 1

    def check(self, value):
        return (value >= 0).all(dim=-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class IndependentConstraint(Constraint):
    """``base`` on each element, reduced with ``all`` over the ``reinterpreted_batch_ndims``
    rightmost dims (``real_vector`` is ``independent(real, 1)``)."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if result.ndim < n:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.ndim}")
        return result.reshape(result.shape[: result.ndim - n] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


dependent = Dependent()
real = Real()
real_vector = IndependentConstraint(real, 1)
boolean = Boolean()
positive = GreaterThan(0.0)
unit_interval = Interval(0.0, 1.0)
simplex = Simplex()
greater_than = GreaterThan
less_than = LessThan
interval = Interval
integer_interval = IntegerInterval
independent = IndependentConstraint
