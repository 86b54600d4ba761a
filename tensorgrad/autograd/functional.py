"""Derivatives of whole functions, as ``torch.autograd.functional``: Jacobians, Hessians and
their products with a vector, built from reverse-mode ``autograd.grad`` alone.

For ``f: x -> y``, ``vjp`` gives ``vᵀ J`` with one backward; ``jvp`` gives ``J v`` by the
double-backward trick: ``u -> Jᵀ u`` is linear in ``u``, so differentiating it with respect to
``u`` (at ``u = 0``) against ``v`` gives ``J v``. ``hvp`` is the same trick on ``∇f``. A
Jacobian is one ``vjp`` per output element (``vectorize`` and ``strategy`` are accepted and
give the same numbers). ``inputs`` is a Tensor or a tuple of Tensors, and results follow its
form (and the form of ``func``'s output). The inputs are used detached, so the results carry
no graph unless ``create_graph=True``; an input ``func`` does not use gets zeros unless
``strict=True``, which raises instead.
"""

from __future__ import annotations

from ..creation import zeros, zeros_like
from ..grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..tensor import Tensor, stack
from .engine import grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(x, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, el in enumerate(xs):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return is_tuple, xs


def _unpack(res, is_tuple):
    """Undo ``_as_tuple``: one flag for a flat result, two (outputs, inputs) for a nested one."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(el[0] for el in res)
        is_tuple = is_tuple[0]
    return res if is_tuple else res[0]


def _prepare(xs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    # with create_graph the results stay attached to the caller's graph through a view
    return tuple(
        x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(need_graph)
        for x in xs
    )


def _finish(res, create_graph: bool):
    if isinstance(res, Tensor):
        return res if create_graph else res.detach()
    return tuple(_finish(r, create_graph) for r in res)


def _check_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(other) != len(v):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prepend = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {b.shape} but got {a.shape}."
            )


def _outputs(func, inputs: tuple, fn_name: str, strict: bool) -> tuple:
    """``func(*inputs)`` as ``(is_tuple, outputs)``, checked as the user function's outputs."""
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def vjp_of(outputs, inputs, grad_outputs=None, create_graph=False) -> tuple:
    """``Σ_k grad_outputs[k]ᵀ ∂outputs[k]/∂inputs``: ``autograd.grad`` over the outputs that
    require grad (the graph kept); ``None`` for an input the outputs do not reach."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad(
        [o for o, _ in pairs],
        list(inputs),
        [g for _, g in pairs],
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )


def _zeros_for_none(grads: tuple, refs: tuple, strict: bool, create_graph: bool) -> tuple:
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i} "
                    f"(shape {ref.shape}). This is not allowed in strict mode."
                )
            g = zeros_like(ref, requires_grad=create_graph and ref.requires_grad)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                f"The gradient for input {i} is independent of the inputs; this is not allowed "
                "in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _check_requires_grad(xs: tuple, what: str, strict: bool) -> None:
    if strict:
        for i, x in enumerate(xs):
            if x is None or not x.requires_grad:
                raise RuntimeError(
                    f"The {what} of the user-provided function does not require gradients at "
                    f"index {i}; it is independent of the inputs, which strict mode forbids."
                )


def _scalar_output(func, fn_name: str):
    def single(*inp):
        is_tuple, out = _as_tuple(func(*inp), "outputs of the user-provided function", fn_name)
        if is_tuple:
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if out[0].numel() != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to {fn_name} should contain a single "
                f"element, got shape {out[0].shape}"
            )
        return out[0]

    return single


def double_backward_linearize(outputs: tuple, inputs: tuple, strict: bool = False):
    """The linear map ``v -> J v`` for the Jacobian ``J`` of ``outputs`` with respect to
    ``inputs``, with reverse mode only: ``g(u) = Jᵀ u`` is linear in ``u``, so its
    vector-Jacobian product with ``v`` is ``vᵀ Jᵀ = (J v)ᵀ`` at any ``u`` (zeros here). One
    backward pass with ``create_graph`` builds ``g`` once; each ``map(v, create_graph)`` is one
    more pass, giving one ``J v`` per output (``None`` for an output that is None or does not
    depend on the inputs). ``strict`` raises where ``g`` does not depend on ``u``."""
    kept = [i for i, o in enumerate(outputs) if o is not None]
    with enable_grad():
        u = tuple(zeros_like(outputs[i], requires_grad=True) for i in kept)
        jt_u = vjp_of(tuple(outputs[i] for i in kept), inputs, u, create_graph=True)
    _check_requires_grad(jt_u, "grad_inputs", strict)

    def jacobian_vector_product(v: tuple, create_graph: bool = False) -> tuple:
        jv = dict(zip(kept, vjp_of(jt_u, u, v, create_graph) if u else ()))
        return tuple(jv.get(i) for i in range(len(outputs)))

    return jacobian_vector_product


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``; ``v`` may be omitted when ``func`` returns one element."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_out_tuple, outputs = _outputs(func, inputs, "vjp", strict)
        if v is not None:
            v = _prepare(_as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            _check_v(v, outputs, is_out_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        with set_grad_enabled(create_graph or is_grad_enabled()):
            res = vjp_of(outputs, inputs, v, create_graph)
            res = _zeros_for_none(res, inputs, strict, create_graph)
    return (
        _unpack(_finish(outputs, create_graph), is_out_tuple),
        _unpack(_finish(res, create_graph), is_in_tuple),
    )


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``, by the double-backward trick: ``J v = d(Jᵀ u)/du · v``."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _prepare(_as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            _check_v(v, inputs, is_in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        is_out_tuple, outputs = _outputs(func, inputs, "jvp", strict)
        with set_grad_enabled(create_graph or is_grad_enabled()):
            res = double_backward_linearize(outputs, inputs, strict)(v, create_graph)
            res = _zeros_for_none(res, outputs, strict, create_graph)
    return (
        _unpack(_finish(outputs, create_graph), is_out_tuple),
        _unpack(_finish(res, create_graph), is_out_tuple),
    )


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """``J[i][j] = ∂ output_i / ∂ input_j``, each of shape ``output_i.shape + input_j.shape``,
    one backward per output element."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `strategy='forward-mode'` currently "
            "only works with `vectorize=True`"
        )
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_out_tuple, outputs = _outputs(func, inputs, "jacobian", strict)
        jac = []
        for out in outputs:
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                row = vjp_of((flat[k],), inputs, create_graph=create_graph)
                row = _zeros_for_none(row, inputs, strict, create_graph)
                for acc, g in zip(rows, row):
                    acc.append(g)
            jac.append(
                tuple(
                    stack(r).reshape(*out.shape, *x.shape)
                    if r
                    else zeros((*out.shape, *x.shape), dtype=x.dtype, device=x.device)
                    for r, x in zip(rows, inputs)
                )
            )
    return _unpack(_finish(tuple(jac), create_graph), (is_out_tuple, is_in_tuple))


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """``H[i][j] = ∂² func / ∂ input_i ∂ input_j`` for a ``func`` returning one element: the
    Jacobian of its gradient, of shape ``input_i.shape + input_j.shape``."""
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    single = _scalar_output(func, "hessian")

    def gradient(*inp):
        g = jacobian(lambda *a: single(*a).reshape(()), inp, create_graph=True)
        _check_requires_grad(g, "jacobian", strict)
        return g

    res = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(res, (is_in_tuple, is_in_tuple))


def _second_order(func, inputs, v, create_graph, strict, fn_name):
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    if v is not None:
        v = _prepare(_as_tuple(v, "v", fn_name)[1], create_graph, need_graph=False)
        _check_v(v, inputs, is_in_tuple)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    out = _scalar_output(func, fn_name)(*inputs)
    jac = vjp_of((out,), inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_in_tuple, inputs, v, out, jac


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ H)`` for a ``func`` returning one element."""
    with enable_grad():
        is_tuple, inputs, v, out, jac = _second_order(func, inputs, v, create_graph, strict, "vhp")
        with set_grad_enabled(create_graph or is_grad_enabled()):
            res = vjp_of(jac, inputs, v, create_graph)
            res = _zeros_for_none(res, inputs, strict, create_graph)
    return _finish(out, create_graph), _unpack(_finish(res, create_graph), is_tuple)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a ``func`` returning one element, by the double-backward
    trick on the gradient (equal to ``vhp`` where ``H`` is symmetric)."""
    with enable_grad():
        is_tuple, inputs, v, out, jac = _second_order(func, inputs, v, create_graph, strict, "hvp")
        with set_grad_enabled(create_graph or is_grad_enabled()):
            res = double_backward_linearize(jac, inputs)(v, create_graph)
            res = _zeros_for_none(res, inputs, strict, create_graph)
    return _finish(out, create_graph), _unpack(_finish(res, create_graph), is_tuple)
