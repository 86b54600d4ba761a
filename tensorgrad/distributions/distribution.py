"""``Distribution``: the interface every distribution implements (PyTorch's)."""

from __future__ import annotations

import warnings

from ..backend import Size
from ..grad_mode import no_grad
from ..jit import recorder
from ..tensor import Tensor
from . import constraints
from .utils import lazy_property


def _size(shape) -> Size:
    return Size((shape,) if isinstance(shape, int) else shape)


class Distribution:
    """A batch of distributions of shape ``batch_shape``, each over events of shape
    ``event_shape``; ``sample(sample_shape)`` has shape
    ``sample_shape + batch_shape + event_shape``.

    With ``validate_args`` (the default, as in PyTorch; ``set_default_validate_args`` changes
    it) the parameters are checked against ``arg_constraints`` when the distribution is made,
    and the values given to ``log_prob``/``cdf`` against ``support``: a violation is a
    ``ValueError`` naming the parameter, the constraint and the values."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions made from now on."""
        if value not in (True, False):
            raise ValueError(f"validate_args must be True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = _size(batch_shape)
        self._event_shape = _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(
                f"{type(self).__name__} does not define `arg_constraints`: set "
                "`arg_constraints = {}` or pass `validate_args=False` to turn off validation.",
                stacklevel=2,
            )
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(
                getattr(type(self), param, None), lazy_property
            ):
                continue  # derived lazily from the parameter that was given (and checked)
            value = getattr(self, param)

            def message(value, param=param, constraint=constraint):
                return (
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n{value}"
                )

            _check(constraint.check(value), value, message)

    @property
    def batch_shape(self) -> tuple:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        """``{parameter name: Constraint}``, checked when ``validate_args``."""
        raise NotImplementedError

    @property
    def support(self) -> constraints.Constraint:
        """The constraint the values of ``log_prob`` must satisfy."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        """The mean of the distribution."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        """The mode of the distribution."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance of the distribution."""
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, sqrt(variance)."""
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """The same distribution with its parameters expanded to ``batch_shape`` (views)."""
        raise NotImplementedError

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return type(self).__new__(type(self)) if _instance is None else _instance

    def sample(self, sample_shape=()) -> Tensor:
        """A sample of shape ``sample_shape + batch_shape + event_shape``, no gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised sample: gradients flow back to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))``."""
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the probability density/mass at ``value``."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of the cumulative distribution function."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution's support, along a new first dim."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The entropy, a tensor of shape ``batch_shape``."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=()) -> tuple:
        return _size(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.ndim - len(self._event_shape)
        if value.shape[event_start:] != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: {value.shape} vs "
                f"{self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: {value.shape} "
                    f"vs {expected}."
                )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{type(self).__name__} does not define `support`: the value is not checked.",
                stacklevel=2,
            )
            return

        def message(value):
            return (
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}"
            )

        _check(support.check(value), value, message)

    def __repr__(self) -> str:
        try:
            params = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            params = []
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].shape}"
            for p in params
        )
        return f"{type(self).__name__}({args})"


def _check(ok, value, message) -> None:
    """Raise ``ValueError(message(value))`` unless ``ok`` is all True: a check tg.compile runs
    again on every replay's arrays (``recorder.check``), not a host read of the values."""
    if isinstance(ok, Tensor) and isinstance(value, Tensor):
        recorder.check(_raise_unless_all, ok.array, value.array, message)
    elif not bool(ok.all() if isinstance(ok, Tensor) else ok):
        raise ValueError(message(value))


def _raise_unless_all(ok, value, message) -> None:
    if not bool(ok.all()):
        raise ValueError(message(Tensor._make(value)))
