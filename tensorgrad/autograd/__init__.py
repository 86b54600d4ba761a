"""Reverse-mode automatic differentiation: graph nodes, the backward engine, grad mode, checks."""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import AccumulateGrad, Function, Node, Op
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable, is_tensor_like

__all__ = [
    "AccumulateGrad",
    "Function",
    "GradcheckError",
    "Node",
    "Op",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_tensor_like",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
    "Variable",
]
