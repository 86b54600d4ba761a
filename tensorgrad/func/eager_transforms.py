"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``: function
transforms built on reverse-mode ``autograd.grad``.

Each transform calls ``f`` on fresh leaves: the differentiated arguments, detached and made to
require grad, so the gradient is taken with respect to them alone. An argument that already
requires grad (an outer transform's leaf, a parameter under ordinary autograd) enters through a
view instead, so the result stays a differentiable function of it: that is what lets transforms
nest (``grad(grad(f))``, ``jacrev(jacrev(f))``) and mix with ``loss.backward()``.

A transform records the graph of its own backward pass (``create_graph``) only when ``f``'s
output depends on a tensor from outside the transform (an outer transform's leaves, a tensor
that requires grad under enabled grad mode). Otherwise the results are plain tensors, as
PyTorch's are: ``grad(f)(x)`` has no ``grad_fn``. ``jvp`` is the double-backward trick of
``autograd.functional`` (no forward-mode AD); ``jacrev`` is ``vmap(vjp_fn)`` over the rows of
the identity, as in PyTorch, and ``jacfwd`` computes the same Jacobian the same way.
"""

from __future__ import annotations

import contextlib
import functools

from ..autograd.function import AccumulateGrad
from ..autograd.functional import double_backward_linearize, vjp_of
from ..creation import eye, zeros_like
from ..grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor
from .batching import vmap
from .pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp"]

# the leaves made by each transform now running, innermost last; a finished transform hands its
# leaves to the one around it, for which they are its own
_scopes: list[list[Tensor]] = []


@contextlib.contextmanager
def _transform():
    leaves: list[Tensor] = []
    _scopes.append(leaves)
    try:
        with enable_grad():  # a transform differentiates even under an outer no_grad
            yield leaves
    finally:
        _scopes.pop()
        if _scopes:
            _scopes[-1].extend(leaves)


def _differentiable(x, leaves: list, outer_grad: bool) -> Tensor:
    """The tensor ``f`` sees for a differentiated argument ``x``."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if outer_grad and x.requires_grad:
        return x.view_as(x)  # stays a function of x for whoever differentiates x
    leaf = x.detach().requires_grad_()
    leaves.append(leaf)
    return leaf


def _depends_on_outside(tree, leaves: list) -> bool:
    """Whether a tensor of ``tree`` reaches, through its graph, a leaf that this transform did
    not make."""
    own = {id(leaf) for leaf in leaves}
    nodes, seen = [], set()
    for t in tree_flatten(tree)[0]:
        if isinstance(t, Tensor) and t.requires_grad:
            if t.grad_fn is None:
                if id(t) not in own:
                    return True
            else:
                nodes.append(t.grad_fn)
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in own:
                return True
            continue
        nodes.extend(edge[0] for edge in node.next_functions if edge is not None)
    return False


def _detach(tree):
    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False) -> tuple:
    """``Σ_k grad_outputs[k]ᵀ ∂outputs[k]/∂inputs``, zeros for inputs the outputs miss."""
    grads = vjp_of(list(outputs), list(inputs), grad_outputs, create_graph)
    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, inputs))


# --------------------------------------------------------------------------- argnums


def _wrap_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -num_args <= argnum < num_args:
        return argnum % num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _slice_argnums(args: tuple, argnums):
    """The argument at ``argnums`` (an int), or the tuple of them (a tuple)."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return args[_wrap_argnum(argnums, len(args))]
    argnums = tuple(_wrap_argnum(a, len(args)) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[i] for i in argnums)


def _replace_args(args: tuple, new, argnums) -> tuple:
    if isinstance(argnums, int):
        argnums, new = (argnums,), (new,)
    where = {_wrap_argnum(a, len(args)): k for k, a in enumerate(argnums)}
    return tuple(new[where[i]] if i in where else a for i, a in enumerate(args))


def _split_aux(output, has_aux: bool, api: str):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    for leaf in tree_flatten(output[1])[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return output


def _check_tensor_outputs(flat: list, api: str) -> None:
    if len(flat) == 0 or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = {flat})"
        )
    for out in flat:
        if not isinstance(out, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(out)}"
            )


# --------------------------------------------------------------------------- grad


def _grad_and_value(func, argnums, has_aux: bool, args: tuple, kwargs: dict):
    outer_grad = is_grad_enabled()
    with _transform() as leaves:
        flat, spec = tree_flatten(_slice_argnums(args, argnums))
        inner = [_differentiable(x, leaves, outer_grad) for x in flat]
        args = _replace_args(args, tree_unflatten(inner, spec), argnums)
        output, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value(f)(*args)")
        if not isinstance(output, Tensor):
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                f"{type(output)}"
            )
        if output.dim() != 0:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                "APIs instead?"
            )
        keep = outer_grad and _depends_on_outside((output, aux), leaves)
        grads = tree_unflatten(_autograd_grad([output], inner, create_graph=keep), spec)
    if not keep:
        output, aux = output.detach(), _detach(aux)
    return grads, ((output, aux) if has_aux else output)


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``f -> (∇f, f)``: the function returning both the gradient of ``func`` (a scalar-valued
    function) with respect to the argument(s) at ``argnums`` and its value. With ``has_aux``,
    ``func`` returns ``(output, aux)`` and the transform ``(grad, (output, aux))``. The
    gradient has the structure of the differentiated argument (a dict of parameters gives a
    dict); a tuple ``argnums`` gives a tuple of them."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """``f -> ∇f``: the gradient of ``func``, a function returning a scalar Tensor, with
    respect to the argument(s) at ``argnums`` (``(∇f, aux)`` with ``has_aux``). Nests:
    ``grad(grad(f))`` is the second derivative of a scalar function; keyword arguments are
    passed to ``func`` and not differentiated."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


# --------------------------------------------------------------------------- vjp and jvp


def _call(func, primals: tuple, argnums, has_aux: bool, api: str, leaves, outer_grad) -> tuple:
    """``func`` on the primals, those at ``argnums`` (None: all) replaced by differentiable
    copies inside the transform (``outer_grad``: grad mode outside it): ``(the copies, flat,
    their nesting, output, aux)``."""
    diff = primals if argnums is None else _slice_argnums(primals, argnums)
    flat, spec = tree_flatten(diff)
    inner = [_differentiable(x, leaves, outer_grad) for x in flat]
    diff = tree_unflatten(inner, spec)
    args = diff if argnums is None else _replace_args(primals, diff, argnums)
    output, aux = _split_aux(func(*args), has_aux, api)
    return inner, spec, output, aux


def _vjp(func, primals: tuple, argnums, has_aux: bool, api: str = "vjp(f, *primals)"):
    """``vjp`` differentiating only the primals at ``argnums`` (None: all of them)."""
    outer_grad = is_grad_enabled()
    with _transform() as leaves:
        inner, spec, output, aux = _call(func, primals, argnums, has_aux, api, leaves, outer_grad)
        flat_out, out_spec = tree_flatten(output)
        _check_tensor_outputs(flat_out, api)
        for out in flat_out:
            if not out.is_floating_point():
                raise RuntimeError(
                    "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                    f"got Tensor with dtype {out.dtype}"
                )
        keep = outer_grad and _depends_on_outside((output, aux), leaves)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        """``vᵀ J`` for cotangents ``v`` of the output's structure, one per primal."""
        flat_v, v_spec = tree_flatten(cotangents)
        if v_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {v_spec}, primal output: {out_spec}"
            )
        if create_graph is None:
            outside = keep or any(isinstance(v, Tensor) and v.requires_grad for v in flat_v)
            create_graph = is_grad_enabled() and outside
        with enable_grad():
            grads = _autograd_grad(flat_out, inner, flat_v, create_graph=create_graph)
        return tree_unflatten(grads, spec)

    if not keep:
        output, aux = _detach(output), _detach(aux)
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)`` where ``vjp_fn(v)`` gives the vector-Jacobian product
    ``vᵀ J`` with respect to every primal, as a tuple (``v`` has the structure of the output);
    ``vjp_fn`` may be called many times. With ``has_aux``, ``func`` returns ``(output, aux)``
    and the result is ``(output, vjp_fn, aux)``."""
    return _vjp(func, primals, None, has_aux)


def _linearize(func, primals: tuple, argnums, has_aux: bool, api: str):
    """``f`` at ``primals`` and its linear map ``v -> J v`` over the primals at ``argnums``
    (None: all), by the double-backward trick: ``(output, aux, jvp_flat, keep, spec)`` where
    ``jvp_flat(flat_tangents, create_graph)`` gives one ``J v`` per flat output (None where an
    output does not depend on the primals) and ``spec`` is the differentiated primals'."""
    outer_grad = is_grad_enabled()
    with _transform() as leaves:
        inner, spec, output, aux = _call(func, primals, argnums, has_aux, api, leaves, outer_grad)
        flat_out = tree_flatten(output)[0]
        _check_tensor_outputs(flat_out, api)
        keep = outer_grad and _depends_on_outside((output, aux), leaves)
        linear = double_backward_linearize(tuple(flat_out), tuple(inner))

    def jvp_flat(flat_tangents, create_graph: bool) -> tuple:
        with enable_grad():
            return linear(tuple(flat_tangents), create_graph)

    return output, aux, jvp_flat, keep, spec


def _check_tangents(api: str, primals, tangents) -> list:
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec} and tangents with structure {t_spec}"
        )
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if len(flat) == 0:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{api}: Expected {name} to only contain Tensors, got {type(x)}")
    for p, t in zip(flat_p, flat_t):
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    return flat_t


def _tangents_out(output, jvp_flat, flat_t: list, keep: bool, strict: bool = False):
    flat_out, out_spec = tree_flatten(output)
    keep = keep or (is_grad_enabled() and any(t.requires_grad for t in flat_t))
    jv = jvp_flat(flat_t, keep)
    if strict and any(t is None for t in jv):
        raise RuntimeError(
            "jvp(f, primals, tangents, strict=True): The output of f is independent of the "
            "inputs. This is not allowed with strict=True."
        )
    jv = [zeros_like(o) if t is None else t for t, o in zip(jv, flat_out)]
    return tree_unflatten(jv, out_spec)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J v)``: the Jacobian of ``func`` at ``primals`` times ``tangents``
    (of the primals' structure), by the double-backward trick of reverse mode
    (``J v = ∂(Jᵀ u)/∂u · v``; PyTorch uses forward-mode AD, with the same result). ``strict``
    raises where an output does not depend on the inputs (its ``J v`` is zeros otherwise);
    with ``has_aux`` the result is ``(output, jvp_out, aux)``."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_t = _check_tangents(api, primals, tangents)
    output, aux, jvp_flat, keep, _ = _linearize(func, primals, None, has_aux, api)
    jv = _tangents_out(output, jvp_flat, flat_t, keep and is_grad_enabled(), strict)
    if not keep:
        output, aux = _detach(output), _detach(aux)
    return (output, jv, aux) if has_aux else (output, jv)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is ``J v`` at ``primals`` for
    tangents of the primals' structure: ``func`` runs once and each ``jvp_fn`` call is one
    backward pass (the double-backward trick; PyTorch traces the forward-mode graph)."""
    api = "linearize(f, *primals)"
    output, _, jvp_flat, keep, _ = _linearize(func, primals, None, False, api)

    def jvp_fn(*tangents):
        """``J v`` for tangents ``v`` of the primals' structure."""
        flat_t = _check_tangents(api, primals, tangents)
        return _tangents_out(output, jvp_flat, flat_t, keep)

    return (output if keep else _detach(output)), jvp_fn


# --------------------------------------------------------------------------- Jacobians


def _jacobian(func, argnums, has_aux: bool, args: tuple, api: str):
    """``J[out][arg] = ∂ out / ∂ arg`` of shape ``out.shape + arg.shape``: one ``vjp_fn`` per
    row of the identity over all output elements (``vmap(vjp_fn)(I)``), split per output."""
    out = _vjp(func, args, argnums, has_aux, api)
    output, vjp_fn, aux = out if has_aux else (*out, None)
    flat_out, out_spec = tree_flatten(output)
    numels = [o.numel() for o in flat_out]
    n = sum(numels)
    identity = eye(n, dtype=flat_out[0].dtype, device=flat_out[0].device)
    basis = [c.reshape(n, *o.shape) for c, o in zip(identity.split(numels, dim=1), flat_out)]
    rows = vmap(vjp_fn)(tree_unflatten(basis, out_spec))  # the primals' structure, n rows each
    flat_rows, primals_spec = tree_flatten(rows)
    flat_primals = tree_flatten(_slice_argnums(args, argnums))[0]
    # per output: the Jacobian of each primal, as the primals' structure
    per_output = []
    for k, o in enumerate(flat_out):
        lo = sum(numels[:k])
        blocks = [
            r[lo : lo + numels[k]].reshape(*o.shape, *p.shape)
            for r, p in zip(flat_rows, flat_primals)
        ]
        per_output.append(tree_unflatten(blocks, primals_spec))
    jac = tree_unflatten(per_output, out_spec)
    return (jac, aux) if has_aux else jac


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy=False):
    """``f -> J``: the Jacobian of ``func`` with respect to the argument(s) at ``argnums``,
    ``J[i, j] = ∂ f(x)_i / ∂ x_j`` of shape ``output.shape + input.shape`` (nested as the
    outputs, then as the arguments), one backward pass per output element (a row ``eᵢᵀ J``).
    ``jacrev(jacrev(f))`` is the Hessian; ``vmap(jacrev(f))`` the per-example Jacobians.
    ``chunk_size`` is checked and otherwise changes nothing; ``(J, aux)`` with ``has_aux``."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        return _jacobian(func, argnums, has_aux, args, "vjp(f, *primals)")

    return wrapper


def _jacobian_columns(func, argnums, has_aux: bool, args: tuple):
    """``J[out][arg]`` one column at a time: ``J e_j`` for every element ``j`` of the
    differentiated arguments (``vmap`` of the linearised ``f`` over the identity's rows), as
    PyTorch's forward mode computes it, moved to the back and split per argument."""
    api = "jvp(f, primals, tangents)"
    output, aux, jvp_flat, keep, spec = _linearize(func, args, argnums, has_aux, api)
    flat_out, out_spec = tree_flatten(output)
    flat_primals = tree_flatten(_slice_argnums(args, argnums))[0]
    numels = [p.numel() for p in flat_primals]
    n = sum(numels)
    identity = eye(n, dtype=flat_primals[0].dtype, device=flat_primals[0].device)
    basis = [c.reshape(n, *p.shape) for c, p in zip(identity.split(numels, dim=1), flat_primals)]

    def column(*tangents):
        jv = jvp_flat(tangents, keep)
        return tuple(zeros_like(o) if t is None else t for t, o in zip(jv, flat_out))

    columns = vmap(column)(*basis)  # per output: n columns stacked in front
    per_output = []
    for col, o in zip(columns, flat_out):
        col = col.movedim(0, -1)
        blocks = col.split(numels, dim=-1)
        blocks = [b.reshape(*o.shape, *p.shape) for b, p in zip(blocks, flat_primals)]
        per_output.append(tree_unflatten(blocks, spec))
    jac = tree_unflatten(per_output, out_spec)
    if not keep:
        jac, aux = _detach(jac), _detach(aux)
    return (jac, aux) if has_aux else jac


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """``f -> J``, the Jacobian of ``func`` with respect to the argument(s) at ``argnums``
    (shapes and nesting as ``jacrev``'s), one column ``J e_j`` per input element, each a
    ``jvp``. PyTorch computes those in forward mode; here each is one more backward pass of
    the double-backward trick, which gives the same numbers (signed zeros included, where
    ``jacrev``'s rows may differ). ``randomness`` is checked as ``vmap``'s."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )

    @functools.wraps(func)
    def wrapper(*args):
        return _jacobian_columns(func, argnums, has_aux, args)

    return wrapper


def hessian(func, argnums=0):
    """``f -> H``, ``H[i, j] = ∂² f / ∂x_i ∂x_j`` for a scalar-valued ``func``: the Jacobian
    of its gradient, ``jacfwd(jacrev(func, argnums), argnums)``, of shape
    ``input.shape + input.shape``."""
    return jacfwd(jacrev(func, argnums), argnums)
