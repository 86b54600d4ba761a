"""Reverse-mode automatic differentiation: graph nodes, the backward engine, grad mode, checks."""

from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .engine import backward, grad
from .function import AccumulateGrad, Function, Node, Op
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "AccumulateGrad",
    "Function",
    "GradcheckError",
    "Node",
    "Op",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
