"""Finite-difference checks of gradients, with PyTorch's contract.

``gradcheck`` compares the Jacobian that backward computes (one ``grad`` call per output element)
with central differences (f(x + eps) - f(x - eps)) / 2 eps, element by element:
``|analytical - numerical| <= atol + rtol * |numerical|``. Use float64 inputs: in float32 the
differences are dominated by rounding. ``gradgradcheck`` applies the same check to the function
(inputs, v) -> vᵀJ, which checks second derivatives.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..tensor import Tensor
from .engine import grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(func, inputs) -> tuple:
    return tuple(
        o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.is_floating_point()
    )


def _numerical_jacobian(func, inputs, x: Tensor, eps: float) -> list:
    """One array of shape (x.numel(), out.numel()) per output."""
    columns = []
    for idx in itertools.product(*[range(n) for n in x.shape]):
        # func runs with grad mode as the caller has it: gradgradcheck's func calls grad()
        orig = x.data[idx].copy()
        x.data[idx] = orig + eps
        plus = [o.data.astype(np.float64).copy() for o in _differentiable_outputs(func, inputs)]
        x.data[idx] = orig - eps
        minus = [o.data.astype(np.float64).copy() for o in _differentiable_outputs(func, inputs)]
        x.data[idx] = orig
        columns.append([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
    sizes = [o.data.size for o in _differentiable_outputs(func, inputs)]  # x may be empty
    return [np.array([c[k] for c in columns]).reshape(x.data.size, n) for k, n in enumerate(sizes)]


def _analytical_jacobian(outputs, diff_inputs) -> list:
    """jac[k][i] has shape (inputs[i].numel(), outputs[k].numel())."""
    jac = []
    for out in outputs:
        per_input = [np.zeros((x.data.size, out.data.size)) for x in diff_inputs]
        if out.requires_grad:
            for j in range(out.data.size):
                v = np.zeros(out.data.size, dtype=out.data.dtype)
                v[j] = 1
                grads = grad(
                    out,
                    diff_inputs,
                    Tensor._make(v.reshape(out.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for i, g in enumerate(grads):
                    if g is not None:
                        per_input[i][:, j] = np.asarray(g.data, dtype=np.float64).reshape(-1)
        jac.append(per_input)
    return jac


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_ignored,
) -> bool:
    """True when backward's Jacobian matches finite differences for every input and output."""
    inputs = _as_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    outputs = _differentiable_outputs(func, inputs)
    analytical = _analytical_jacobian(outputs, diff_inputs)
    for i, x in enumerate(diff_inputs):
        numerical = _numerical_jacobian(func, inputs, x, eps)
        for k in range(len(outputs)):
            a, n = analytical[k][i], numerical[k]
            bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
            if bad.any():
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i} "
                    f"(shape {x.shape}, dtype {x.dtype}):\nnumerical:\n{n}\nanalytical:\n{a}\n"
                    f"max abs difference {np.abs(a - n).max():.3g}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_ignored,
) -> bool:
    """gradcheck of (inputs, v) -> vᵀ J(inputs): second derivatives through ``create_graph``."""
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(o.shape), dtype=o.dtype).requires_grad_() for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        ins, vs = args[:n], args[n:]
        outs = _differentiable_outputs(func, ins)
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if not pairs:
            return ()
        grads = grad(
            [o for o, _ in pairs],
            [x for x in ins if isinstance(x, Tensor) and x.requires_grad],
            [v for _, v in pairs],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
