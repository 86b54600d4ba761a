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
        orig = x.array[idx].copy()
        x.array[idx] = orig + eps
        plus = [o.array.astype(np.float64).copy() for o in _differentiable_outputs(func, inputs)]
        x.array[idx] = orig - eps
        minus = [o.array.astype(np.float64).copy() for o in _differentiable_outputs(func, inputs)]
        x.array[idx] = orig
        columns.append([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
    sizes = [o.array.size for o in _differentiable_outputs(func, inputs)]  # x may be empty
    return [np.array([c[k] for c in columns]).reshape(x.array.size, n) for k, n in enumerate(sizes)]


def _analytical_jacobian(outputs, diff_inputs) -> list:
    """jac[k][i] has shape (inputs[i].numel(), outputs[k].numel())."""
    jac = []
    for out in outputs:
        per_input = [np.zeros((x.array.size, out.array.size)) for x in diff_inputs]
        if out.requires_grad:
            for j in range(out.array.size):
                v = np.zeros(out.array.size, dtype=out.array.dtype)
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
                        per_input[i][:, j] = np.asarray(g.array, dtype=np.float64).reshape(-1)
        jac.append(per_input)
    return jac


def _refuse_unsupported(name: str, **options) -> None:
    """PyTorch's checks that tensorgrad cannot run (forward-mode AD, vmap, sparse inputs):
    asking for one is a TypeError, not a check silently skipped."""
    for option, (value, supported) in options.items():
        if value != supported:
            raise TypeError(
                f"{name}: {option}={value!r} is not supported (tensorgrad has no forward-mode "
                f"AD, vmap or sparse tensors); only {option}={supported!r} is"
            )


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """True when backward's Jacobian matches finite differences for every input and output.

    PyTorch's signature. ``fast_mode`` compares vᵀ J u for random u and v instead of the whole
    Jacobian (one backward and two forwards per input instead of one per element).
    ``check_grad_dtypes`` also requires each gradient to have its input's dtype. Backward here is
    deterministic and a missing output gradient is always materialized as zeros by the engine,
    so ``nondet_tol`` and ``check_undefined_grad`` are accepted with nothing left to check.
    Checks that need forward-mode AD, vmap or sparse tensors raise a TypeError when asked for.
    """
    _refuse_unsupported(
        "gradcheck",
        check_batched_grad=(check_batched_grad, False),
        check_batched_forward_grad=(check_batched_forward_grad, False),
        check_forward_ad=(check_forward_ad, False),
        check_backward_ad=(check_backward_ad, True),
        masked=(bool(masked), False),
    )
    inputs = _as_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    outputs = _differentiable_outputs(func, inputs)
    if check_grad_dtypes:
        _check_grad_dtypes(outputs, diff_inputs)
    if fast_mode:
        return _fast_check(func, inputs, outputs, diff_inputs, eps, atol, rtol, raise_exception)
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


def _check_grad_dtypes(outputs, diff_inputs) -> None:
    """Each input's gradient has the input's dtype (PyTorch's ``check_grad_dtypes``)."""
    for out in outputs:
        if not out.requires_grad:
            continue
        v = Tensor._make(np.ones(out.shape, dtype=out.array.dtype))
        grads = grad(out, diff_inputs, v, retain_graph=True, allow_unused=True)
        for i, (x, g) in enumerate(zip(diff_inputs, grads)):
            if g is not None and g.dtype != x.dtype:
                raise GradcheckError(
                    f"Gradient for input {i} has dtype {g.dtype} but the input has dtype {x.dtype}"
                )


def _fast_check(func, inputs, outputs, diff_inputs, eps, atol, rtol, raise_exception) -> bool:
    """vᵀ J u against vᵀ (f(x + eps u) - f(x - eps u)) / 2 eps, per input and output. u and v
    come from a seed of their own: drawn like the inputs (a test's ``default_rng(0)``), v could
    equal an input and hide a transposed gradient."""
    rng = np.random.default_rng(0x5EED)
    vs = [rng.standard_normal(o.shape) for o in outputs]
    for i, x in enumerate(diff_inputs):
        u = rng.standard_normal(x.shape)
        orig = x.array.copy()
        x.array[...] = orig + eps * u
        plus = [o.array.astype(np.float64) for o in _differentiable_outputs(func, inputs)]
        x.array[...] = orig - eps * u
        minus = [o.array.astype(np.float64) for o in _differentiable_outputs(func, inputs)]
        x.array[...] = orig
        for k, out in enumerate(outputs):
            numerical = float(np.sum(vs[k] * (plus[k] - minus[k]) / (2 * eps)))
            analytical = 0.0
            if out.requires_grad:
                v = Tensor._make(vs[k].astype(out.array.dtype))
                (g,) = grad(out, [x], v, retain_graph=True, allow_unused=True)
                if g is not None:
                    analytical = float(np.sum(np.asarray(g.array, dtype=np.float64) * u))
            if not abs(analytical - numerical) <= atol + rtol * abs(numerical):
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i} "
                    f"(shape {x.shape}, dtype {x.dtype}) in fast mode: vᵀJu is {analytical:.6g} "
                    f"from backward, {numerical:.6g} from finite differences"
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
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """gradcheck of (inputs, v) -> vᵀ J(inputs): second derivatives through ``create_graph``.

    PyTorch's signature; the options mean what they mean for ``gradcheck``.
    ``gen_non_contig_grad_outputs`` makes the random ``v`` non-contiguous.
    """
    _refuse_unsupported(
        "gradgradcheck",
        check_batched_grad=(check_batched_grad, False),
        check_fwd_over_rev=(check_fwd_over_rev, False),
        check_rev_over_rev=(check_rev_over_rev, True),
        masked=(bool(masked), False),
    )
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _random_grad_output(rng, o, gen_non_contig_grad_outputs) for o in outputs
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
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
    )


def _random_grad_output(rng, out: Tensor, non_contiguous: bool) -> Tensor:
    """A random v of ``out``'s shape and dtype that requires grad; with ``non_contiguous``,
    every other element of an array twice as long in its last axis."""
    if non_contiguous and out.ndim:
        wide = rng.standard_normal((*out.shape[:-1], 2 * out.shape[-1])).astype(out.array.dtype)
        return Tensor._make(wide[..., ::2]).requires_grad_()
    return Tensor._from_data(rng.standard_normal(out.shape), dtype=out.dtype).requires_grad_()
