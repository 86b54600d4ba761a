"""Reverse-mode automatic differentiation: graph nodes, the backward engine, grad mode, checks."""

from ..grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import graph
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
    "functional",
    "grad",
    "gradcheck",
    "graph",
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


def __getattr__(name: str):
    # torch.autograd.functional without an import of its own; loaded on first use because it
    # builds on tensorgrad's creation functions, which import this package while they load
    if name == "functional":
        import importlib

        return importlib.import_module(".functional", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
