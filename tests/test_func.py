"""``tg.func`` (``tensorgrad/func/``) against ``torch.func``: every transform on small functions,
their compositions, pytrees of arguments, ``argnums``/``has_aux``, ``functional_call`` and
``stack_module_state``, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")
pytest.importorskip("torch.func")

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)
B = RNG.standard_normal((4, 3))
W = RNG.standard_normal((2, 3))


def _same(ours, theirs):
    """Same structure, shapes, requires_grad and values (float64: to rounding)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12
        )
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _both(make):
    """``make(lib, T)`` with tensorgrad and with torch; T builds a float64 tensor."""
    ours = make(tg, lambda a, **kw: tg.tensor(np.asarray(a), **kw))
    theirs = make(torch, lambda a, **kw: torch.tensor(np.asarray(a), **kw))
    _same(ours, theirs)


def f_scalar(x):
    return (x.sin() * x).sum()


def f_vec(x):
    return x.sin() * x.exp()


CASES = {
    "grad": lambda L, T: L.func.grad(f_scalar)(T(X)),
    "grad_argnums": lambda L, T: L.func.grad(lambda a, b: (a * b.cos()).sum(), argnums=1)(
        T(X), T(Y)
    ),
    "grad_argnums_tuple": lambda L, T: L.func.grad(lambda a, b: (a * a * b).sum(), (0, 1))(
        T(X), T(Y)
    ),
    "grad_negative_argnum": lambda L, T: L.func.grad(lambda a, b: (a * b).sum(), -1)(T(X), T(Y)),
    "grad_has_aux": lambda L, T: L.func.grad(
        lambda a: ((a**2).sum(), (a.mean(), [a])), has_aux=True
    )(T(X)),
    "grad_dict": lambda L, T: L.func.grad(lambda p, x: ((p["w"] @ x + p["b"]) ** 2).sum())(
        {"w": T(W), "b": T(X[:2])}, T(Y)
    ),
    "grad_kwargs": lambda L, T: L.func.grad(lambda a, scale=1.0: (a * scale).sum())(
        T(X), scale=3.0
    ),
    "grad_unused": lambda L, T: L.func.grad(lambda a, b: a.sum(), argnums=(0, 1))(T(X), T(Y)),
    "grad_and_value": lambda L, T: L.func.grad_and_value(f_scalar)(T(X)),
    "grad_and_value_aux": lambda L, T: L.func.grad_and_value(
        lambda a: (a.sum(), a * 2), has_aux=True
    )(T(X)),
    "grad_grad": lambda L, T: L.func.grad(L.func.grad(lambda a: a.sin() * a**3))(T(0.7)),
    "grad_grad_grad": lambda L, T: L.func.grad(L.func.grad(L.func.grad(lambda a: a.exp() * a)))(
        T(0.3)
    ),
    "vmap_grad": lambda L, T: L.func.vmap(L.func.grad(f_scalar))(T(B)),
    "vmap_grad_in_dims": lambda L, T: L.func.vmap(
        L.func.grad(lambda w, x: ((w @ x) ** 2).sum()), in_dims=(None, 0)
    )(T(W), T(B)),
    "vjp": lambda L, T: (lambda r: (r[0], r[1](T(Y))))(L.func.vjp(f_vec, T(X))),
    "vjp_two": lambda L, T: (lambda r: (r[0], r[1]((T(Y), T(1.5)))))(
        L.func.vjp(lambda a, b: (a * b, (a * b).sum()), T(X), T(Y))
    ),
    "vjp_aux": lambda L, T: (lambda r: (r[0], r[1](T(Y)), r[2]))(
        L.func.vjp(lambda a: (a.exp(), a.sum()), T(X), has_aux=True)
    ),
    "jvp": lambda L, T: L.func.jvp(f_vec, (T(X),), (T(Y),)),
    "jvp_two": lambda L, T: L.func.jvp(lambda a, b: (a * b, a.sum()), (T(X), T(Y)), (T(Y), T(X))),
    "jvp_aux": lambda L, T: L.func.jvp(lambda a: (a.exp(), a * 2), (T(X),), (T(Y),), has_aux=True),
    "jacrev": lambda L, T: L.func.jacrev(f_vec)(T(X)),
    "jacrev_argnums": lambda L, T: L.func.jacrev(lambda a, b: a * b.exp(), argnums=(0, 1))(
        T(X), T(Y)
    ),
    "jacrev_two_out": lambda L, T: L.func.jacrev(lambda a: (a.exp(), a.sum(), a[:2] * a[1:]))(T(X)),
    "jacrev_matrix": lambda L, T: L.func.jacrev(lambda w: w @ w.T)(T(W)),
    "jacrev_aux": lambda L, T: L.func.jacrev(lambda a: (a.sin(), a.cos()), has_aux=True)(T(X)),
    "jacrev_jacrev": lambda L, T: L.func.jacrev(L.func.jacrev(f_scalar))(T(X)),
    "jacfwd": lambda L, T: L.func.jacfwd(f_vec)(T(X)),
    "jacfwd_argnums": lambda L, T: L.func.jacfwd(lambda a, b: (a * b).sum(0), argnums=(0, 1))(
        T(W), T(W)
    ),
    "jacfwd_jacrev": lambda L, T: L.func.jacfwd(L.func.jacrev(f_vec))(T(X)),
    "hessian": lambda L, T: L.func.hessian(f_scalar)(T(X)),
    "hessian_argnums": lambda L, T: L.func.hessian(lambda a, b: (a * a * b.exp()).sum(), (0, 1))(
        T(X), T(Y)
    ),
    "vmap_jacrev": lambda L, T: L.func.vmap(L.func.jacrev(f_vec))(T(B)),
    "vmap_hessian": lambda L, T: L.func.vmap(L.func.hessian(f_scalar))(T(B)),
    "linearize": lambda L, T: (lambda r: (r[0], r[1](T(Y))))(L.func.linearize(f_vec, T(X))),
}


@pytest.mark.parametrize("name", CASES)
def test_transform_matches_torch(name):
    _both(CASES[name])


VMAP_CASES = {
    "default": lambda L, T: L.func.vmap(lambda a: a.sum() * a)(T(B)),
    "in_dims_1": lambda L, T: L.func.vmap(lambda a: a * 2, in_dims=1)(T(B)),
    "in_dims_negative": lambda L, T: L.func.vmap(lambda a: a.cumsum(0), in_dims=-1)(T(B)),
    "out_dims_1": lambda L, T: L.func.vmap(lambda a: a.outer(a), out_dims=1)(T(B)),
    "none_in_dim": lambda L, T: L.func.vmap(lambda a, w: w @ a, in_dims=(0, None))(T(B), T(W)),
    "nested_in_dims": lambda L, T: L.func.vmap(
        lambda p, x: p[0] * x + p[1], in_dims=((0, None), 0)
    )((T(B), T(X)), T(B)),
    "dict_arg": lambda L, T: L.func.vmap(lambda d: d["a"] - d["b"])({"a": T(B), "b": T(B * 2)}),
    "tuple_out": lambda L, T: L.func.vmap(lambda a: (a.exp(), a.sum()), out_dims=(1, 0))(T(B)),
    "none_out_dim": lambda L, T: L.func.vmap(lambda a: (a * 2, "label"), out_dims=(0, None))(T(B)),
    "constant_output": lambda L, T: L.func.vmap(lambda a: T(X))(T(B)),
    "nested": lambda L, T: L.func.vmap(L.func.vmap(lambda a, b: a * b), in_dims=(0, None))(
        T(B), T(X)
    ),
    "kwargs": lambda L, T: L.func.vmap(lambda a, scale: a * scale)(T(B), scale=T(X)),
    "chunk_size": lambda L, T: L.func.vmap(lambda a: a.norm(), chunk_size=3)(T(B)),
    "torch_vmap": lambda L, T: L.vmap(L.outer)(T(B), T(B)),
}


@pytest.mark.parametrize("name", VMAP_CASES)
def test_vmap_matches_torch(name):
    _both(VMAP_CASES[name])


def test_results_carry_a_graph_only_to_outside_tensors():
    """As PyTorch's: a transform's result is differentiable with respect to tensors from
    outside it (here a leaf under ordinary autograd), and plain otherwise."""

    def run(L, T):
        x = T(X, requires_grad=True)
        g = L.func.grad(lambda a: (a**3).sum())(x)
        plain = L.func.grad(lambda a: (a**3).sum())(x.detach())
        (g * T(Y)).sum().backward()
        return g.requires_grad, plain.requires_grad, plain.grad_fn is None, x.grad

    _both(run)


def test_grad_ignores_an_outer_no_grad():
    def run(L, T):
        with L.no_grad():
            return L.func.grad(f_scalar)(T(X, requires_grad=True))

    _both(run)


def test_maml_style_inner_grad_under_outer_grad():
    """An outer ``grad`` over parameters through an inner ``grad`` step (MAML): the inner
    result depends on the outer leaves, so its graph is kept."""

    def run(L, T):
        def inner_loss(w, x):
            return ((w * x).sum() - 1.0) ** 2

        def outer_loss(w, x):
            w2 = w - 0.1 * L.func.grad(inner_loss)(w, x)
            return inner_loss(w2, x * 2)

        return L.func.grad_and_value(outer_loss)(T(X), T(Y))

    _both(run)


def _linear_modules(L):
    L.manual_seed(0)
    return [L.nn.Linear(3, 2).double() for _ in range(3)]


def test_functional_call_and_stack_module_state():
    def run(L, T):
        models = _linear_modules(L)
        for m in models:
            with L.no_grad():
                m.weight.copy_(T(W))
                m.bias.copy_(T(X[:2]))
        params, buffers = L.func.stack_module_state(models)

        def fmodel(p, b, x):
            return L.func.functional_call(models[0], (p, b), (x,))

        out = L.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, T(B))
        return out, params["weight"].requires_grad, params["weight"].is_leaf

    _both(run)


def test_functional_call_swaps_and_restores():
    m = tg.nn.Linear(3, 2)
    weight = m.weight
    w = tg.ones(2, 3, requires_grad=True)
    out = tg.func.functional_call(m, {"weight": w}, tg.ones(1, 3))
    out.sum().backward()
    assert m.weight is weight and w.grad is not None and weight.grad is None
    with pytest.raises(RuntimeError, match="boom"):

        class Boom(tg.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = tg.nn.Parameter(tg.zeros(2))

            def forward(self, x):
                raise RuntimeError("boom")

        boom = Boom()
        tg.func.functional_call(boom, {"w": tg.ones(2), "extra": tg.ones(1)}, (tg.ones(1),))
    assert isinstance(boom.w, tg.nn.Parameter) and not hasattr(boom, "extra")


def _tied_module(L):
    class Tied(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = L.nn.Linear(2, 2, bias=False)
            self.b = L.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    return Tied()


@pytest.mark.parametrize("L", [tg, torch], ids=["tensorgrad", "torch"])
def test_functional_call_tied_and_strict_errors(L):
    m = _tied_module(L)
    x = L.ones(1, 2)
    out = L.func.functional_call(m, {"a.weight": L.eye(2) * 2}, (x,))
    np.testing.assert_allclose(out.detach().numpy(), [[4.0, 4.0]])
    with pytest.raises(ValueError, match="which are tied"):
        L.func.functional_call(m, {"a.weight": L.eye(2), "b.weight": L.ones(2, 2)}, (x,))
    with pytest.raises(RuntimeError, match="Missing key"):
        L.func.functional_call(m, {"a.weight": L.eye(2)}, (x,), tie_weights=False, strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        L.func.functional_call(m, ({"a.weight": L.eye(2)}, {"a.weight": L.eye(2)}), (x,))


def test_stateless_functional_call_is_deprecated_alias():
    m = tg.nn.Linear(2, 1)
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        out = tg.nn.utils.stateless.functional_call(
            m, {"weight": tg.ones(1, 2), "bias": tg.zeros(1)}, tg.ones(1, 2)
        )
    assert out.item() == 2.0


ERRORS = {
    "batch_sizes": (
        lambda L: L.func.vmap(lambda a, b: a + b)(L.ones(2), L.ones(3)),
        ValueError,
        "same size in the mapped dimension, got sizes [2, 3]",
    ),
    "no_batched": (
        lambda L: L.func.vmap(lambda a: a, in_dims=None)(L.ones(2)),
        ValueError,
        "expected `in_dims` to be int or a (potentially nested) tuple",
    ),
    "in_dims_structure": (
        lambda L: L.func.vmap(lambda a, b: a, in_dims=(0, 0, 0))(L.ones(2), L.ones(2)),
        ValueError,
        "in_dims is not compatible with the structure of `inputs`",
    ),
    "in_dim_range": (
        lambda L: L.func.vmap(lambda a: a, in_dims=2)(L.ones(2, 3)),
        ValueError,
        "expected in_dim to satisfy -2 <= in_dim < 2",
    ),
    "non_tensor": (
        lambda L: L.func.vmap(lambda a, n: a * n)(L.ones(2), 3),
        ValueError,
        "We cannot vmap over non-Tensor arguments",
    ),
    "randomness_arg": (
        lambda L: L.func.vmap(lambda a: a, randomness="sometimes"),
        RuntimeError,
        "Only allowed values for randomness",
    ),
    "random_op": (
        lambda L: L.func.vmap(lambda a: a + L.rand(()))(L.ones(2)),
        RuntimeError,
        "called random operation while in randomness error mode",
    ),
    "non_tensor_output": (
        lambda L: L.func.vmap(lambda a: 3)(L.ones(2)),
        ValueError,
        "must only return Tensors",
    ),
    "grad_not_scalar": (
        lambda L: L.func.grad(lambda a: a * 2)(L.ones(2)),
        RuntimeError,
        "Expected f(*args) to return a scalar Tensor, got tensor with 1 dims",
    ),
    "grad_aux_form": (
        lambda L: L.func.grad(lambda a: a.sum(), has_aux=True)(L.ones(2)),
        RuntimeError,
        "output of function f should be a tuple: (output, aux)",
    ),
    "argnum_range": (
        lambda L: L.func.grad(lambda a: a.sum(), argnums=2)(L.ones(2)),
        RuntimeError,
        "Got argnum=2, but only 1 positional inputs",
    ),
    "argnums_unique": (
        lambda L: L.func.grad(lambda a, b: a.sum(), argnums=(0, 0))(L.ones(2), L.ones(2)),
        RuntimeError,
        "argnums elements must be unique",
    ),
    "aux_not_tensor": (
        lambda L: L.func.grad(lambda a: (a.sum(), 3), has_aux=True)(L.ones(2)),
        RuntimeError,
        "Expected tensors, got unsupported type <class 'int'>",
    ),
    "jvp_primals_tuple": (
        lambda L: L.func.jvp(lambda a: a, L.ones(2), (L.ones(2),)),
        RuntimeError,
        "Expected primals to be a tuple",
    ),
    "cotangent_structure": (
        lambda L: L.func.vjp(lambda a: (a, a), L.ones(2))[1](L.ones(2)),
        RuntimeError,
        "Expected pytree structure of cotangents",
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    call, kind, message = ERRORS[name]
    for L in (tg, torch):
        with pytest.raises(kind) as info:
            call(L)
        assert message in str(info.value), (L.__name__, str(info.value))


def test_vmap_randomness_same_and_different():
    same = tg.func.vmap(lambda a: a + tg.rand(()), randomness="same")(tg.zeros(3))
    different = tg.func.vmap(lambda a: a + tg.rand(()), randomness="different")(tg.zeros(3))
    assert len(set(same.tolist())) == 1 and len(set(different.tolist())) == 3


def test_torch_func_imports_under_as_torch():
    from tensorgrad import as_torch

    with as_torch.installed() as t:
        import torch.func as tf
        from torch.func import vmap
        from torch.nn.utils.stateless import functional_call

        assert vmap is tg.func.vmap and tf.grad is tg.func.grad
        assert functional_call is tg.nn.utils.stateless.functional_call
        assert t.vmap is tg.func.vmap
