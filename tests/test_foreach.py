"""tensorgrad.foreach against PyTorch's torch._foreach_*: every function, in place and out of
place, on lists of tensors of different shapes in float32 and float64, with each form of the
second argument; in-place results are the given tensors; PyTorch's errors; gradients; and an
Adam step written with foreach ops."""

import numpy as np
import pytest
import torch

import tensorgrad as tg
import tensorgrad.as_torch
from tensorgrad import foreach

SHAPES = [(2, 3), (4,), ()]
DTYPES = ["float32", "float64"]
RNG = np.random.default_rng(0)


def arrays(dtype: str, lo: float = -2.0, hi: float = 2.0) -> list[np.ndarray]:
    return [RNG.uniform(lo, hi, s).astype(dtype) for s in SHAPES]


def tg_list(arrs):
    return [tg.tensor(a) for a in arrs]


def torch_list(arrs):
    return [torch.tensor(a) for a in arrs]


def both(arg):
    """``arg`` as tensorgrad's and as torch's: lists of arrays become lists of tensors."""
    if isinstance(arg, list) and arg and isinstance(arg[0], np.ndarray):
        return tg_list(arg), torch_list(arg)
    if isinstance(arg, np.ndarray):
        return tg.tensor(arg), torch.tensor(arg)
    return arg, arg


def assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = w.detach().numpy()
        assert g.shape == w.shape
        assert str(g.dtype).split(".")[-1] == str(w.dtype)
        rtol = 1e-5 if w.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=rtol, atol=rtol)


def check(name: str, *args, **kwargs):
    """``_foreach_<name>`` out of place (a tuple, as PyTorch's) and in place (the same list, its
    tensors modified), both equal to PyTorch's."""
    if not name.endswith("_"):  # copy_ and zero_ have only the in-place form
        tg_args, torch_args = zip(*(both(a) for a in args))
        got = getattr(tg, f"_foreach_{name}")(*tg_args, **kwargs)
        want = getattr(torch, f"_foreach_{name}")(*torch_args, **kwargs)
        assert isinstance(got, tuple)
        assert_same(got, want)
    name = name.rstrip("_") + "_"
    if hasattr(torch, f"_foreach_{name}") and isinstance(args[0], list):
        tg_args, torch_args = zip(*(both(a) for a in args))
        self, originals = tg_args[0], list(tg_args[0])
        returned = getattr(tg, f"_foreach_{name}")(*tg_args, **kwargs)
        getattr(torch, f"_foreach_{name}")(*torch_args, **kwargs)
        assert returned is self and all(a is b for a, b in zip(self, originals))
        assert_same(self, torch_args[0])


def test_every_foreach_function_is_there():
    names = {n for n in dir(torch) if n.startswith("_foreach_")}
    assert names == set(foreach.__all__)
    assert all(callable(getattr(tg, n)) and getattr(tg, n).__doc__ for n in names)
    with tg.as_torch.installed() as fake_torch:
        assert fake_torch._foreach_add_ is tg._foreach_add_


UNIT_DOMAIN = {"acos", "asin", "log", "log10", "log1p", "log2", "sqrt", "rsqrt", "lgamma"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", foreach.UNARY)
def test_unary(name, dtype):
    lo, hi = (0.1, 0.9) if name in UNIT_DOMAIN else (-2.0, 2.0)
    check(name, arrays(dtype, lo, hi))


BINARY = ["add", "sub", "mul", "div", "pow", "clamp_min", "clamp_max", "maximum", "minimum"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["scalar", "scalars", "tensors", "0-dim tensor"])
@pytest.mark.parametrize("name", BINARY)
def test_binary(name, form, dtype):
    self = arrays(dtype, 0.5, 2.0) if name == "pow" else arrays(dtype)
    other = {
        "scalar": 1.5,
        "scalars": [0.5, -1.25, 2.0],
        "tensors": arrays(dtype, 0.5, 2.0),
        "0-dim tensor": np.array(1.5, dtype=dtype),
    }[form]
    if form == "0-dim tensor" and name not in ("add", "sub", "mul", "div"):
        other = float(other)  # PyTorch's Tensor overload is add, mul, div's (sub reads a Scalar)
    check(name, self, other)


@pytest.mark.parametrize(
    "name, form", [("add", "tensors"), ("add", "0-dim tensor"), ("sub", "tensors")]
)
def test_alpha(name, form):  # PyTorch's overloads with alpha
    other = arrays("float64") if form == "tensors" else np.array(0.5)
    check(name, arrays("float64"), other, alpha=-0.3)


def test_broadcast_second_list():
    check("mul", [np.ones((2, 3))], [np.arange(3.0)])
    with pytest.raises(RuntimeError, match="broadcast"):
        tg._foreach_add_([tg.ones(3)], [tg.ones(2, 3)])


def test_pow_with_a_number_as_base():
    check("pow", 2.0, arrays("float32"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", ["default", 0.5, [0.5, -2.0, 3.0], "1-dim tensor"])
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv(name, value, dtype):
    args = (arrays(dtype), arrays(dtype), arrays(dtype, 0.5, 2.0))
    if value == "default":
        check(name, *args)
    elif value == "1-dim tensor":
        check(name, *args, np.array([0.5, -2.0, 3.0], dtype=dtype))
    else:
        check(name, *args, value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight", [0.3, [0.2, 0.7, -1.0], "tensors"])
def test_lerp(weight, dtype):
    weight = arrays(dtype, 0.0, 1.0) if weight == "tensors" else weight
    check("lerp", arrays(dtype), arrays(dtype), weight)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, 0, float("inf"), float("-inf")])
def test_norm(ord):
    arrs = arrays("float32")
    arrs[1][0] = 0.0  # a zero for ord 0 to skip
    check("norm", arrs, ord)
    check("powsum", arrs, ord)


def test_norm_dtype():
    arrs = arrays("float32")
    got = tg._foreach_norm(tg_list(arrs), 3, dtype=tg.float64)
    assert_same(got, torch._foreach_norm(torch_list(arrs), 3, dtype=torch.float64))
    got = tg._foreach_powsum(tg_list(arrs), 3, dtype=tg.float64)
    assert_same(got, torch._foreach_powsum(torch_list(arrs), 3, dtype=torch.float64))


def test_max_mm_clone_copy_zero():
    check("max", arrays("float32"))
    check("mm", [RNG.normal(size=(2, 3)), RNG.normal(size=(1, 3))], [RNG.normal(size=(3, 4))] * 2)
    check("clone", arrays("float64"))
    check("copy_", arrays("float64"), [np.float32(1.5) * np.ones(s, "float32") for s in SHAPES])
    check("zero_", arrays("float32"))


def torch_error(fn, *args):
    with pytest.raises((RuntimeError, TypeError)) as e:
        fn(*args)
    return str(e.value).splitlines()[0]


@pytest.mark.parametrize(
    "name, args",
    [
        ("add", lambda a, b: ([], 1.0)),
        ("exp_", lambda a, b: ([],)),
        ("norm", lambda a, b: ([],)),
        ("zero_", lambda a, b: ([],)),
        ("pow", lambda a, b: (2.0, [])),
        ("add", lambda a, b: (a, b[:1])),
        ("add_", lambda a, b: (a, [1.0])),
        ("mul", lambda a, b: (a, b[0])),  # a tensor that is not 0-dim
        ("addcmul", lambda a, b: (a, b, b[:2])),
        ("addcdiv", lambda a, b: (a, b, b, [1.0])),
        ("addcmul_", lambda a, b: (a, b, b, b[0])),  # packed scalars of dimension 2
        ("addcdiv", lambda a, b: (a, b, b, b[1])),  # 4 packed scalars for 3 tensors
        ("lerp", lambda a, b: (a, b[:2], 0.5)),
        ("lerp_", lambda a, b: (a, b, [0.5])),
        ("copy_", lambda a, b: (a, b[:2])),
        ("max", lambda a, b: ([a[0][:0]],)),
        ("mm", lambda a, b: ([a[0]], [])),
    ],
)
def test_errors_as_pytorch(name, args):
    arrs, arrs2 = arrays("float32"), arrays("float32")
    want = torch_error(getattr(torch, f"_foreach_{name}"), *args(*both(arrs)[1:], both(arrs2)[1]))
    with pytest.raises(RuntimeError) as got:
        getattr(tg, f"_foreach_{name}")(*args(both(arrs)[0], both(arrs2)[0]))
    assert str(got.value) == want


def test_in_place_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="leaf"):
        tg._foreach_add_([tg.ones(2, requires_grad=True)], 1.0)


def test_gradients_through_out_of_place_ops():
    xs_np, ys_np = arrays("float64", 0.5, 2.0), arrays("float64")
    ws_np = arrays("float64", 0.0, 1.0)

    def run(lib, lists):
        xs, ys, ws = ([lib.tensor(a, requires_grad=True) for a in arrs] for arrs in lists)
        prods = lib._foreach_mul(xs, ys)
        mixed = lib._foreach_lerp(prods, lib._foreach_sqrt(xs), ws)
        norms = lib._foreach_norm(mixed)
        sum(n * (i + 1) for i, n in enumerate(norms)).backward()
        return [t.grad for t in (*xs, *ys, *ws)]

    got, want = run(tg, (xs_np, ys_np, ws_np)), run(torch, (xs_np, ys_np, ws_np))
    assert_same(got, want)


def adam_steps(lib, params_np, grads_np, steps=3, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
    """Adam as torch.optim.Adam's foreach path writes it, on fixed gradients."""
    params = [lib.tensor(p) for p in params_np]
    grads = [lib.tensor(g) for g in grads_np]
    exp_avgs = [lib.zeros_like(p) for p in params]
    exp_avg_sqs = [lib.zeros_like(p) for p in params]
    beta1, beta2 = betas
    for step in range(1, steps + 1):
        lib._foreach_mul_(exp_avgs, beta1)
        lib._foreach_add_(exp_avgs, grads, alpha=1 - beta1)
        lib._foreach_mul_(exp_avg_sqs, beta2)
        lib._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        bias_correction2 = 1 - beta2**step
        step_size = lr / (1 - beta1**step)
        denom = lib._foreach_sqrt(exp_avg_sqs)
        lib._foreach_div_(denom, bias_correction2**0.5)
        lib._foreach_add_(denom, eps)
        lib._foreach_addcdiv_(params, exp_avgs, denom, -step_size)
        grads = lib._foreach_mul(grads, 0.5)  # new gradients for the next step
    return params


def test_adam_written_with_foreach_ops_matches_pytorch():
    params_np, grads_np = arrays("float32"), arrays("float32")
    got = adam_steps(tg, params_np, grads_np)
    want = adam_steps(torch, params_np, grads_np)
    assert_same(got, want)
    # and torch.optim.Adam's own foreach implementation agrees
    params = [torch.tensor(p, requires_grad=True) for p in params_np]
    opt = torch.optim.Adam(params, lr=0.01, foreach=True)
    for step in range(3):
        for p, g in zip(params, grads_np):
            p.grad = torch.tensor(g) * 0.5**step
        opt.step()
    assert_same(got, params)


def test_compiled_step_with_foreach_update_replays_the_eager_one():
    """tg.compile records the single-tensor ops the loops call: SGD with momentum written with
    foreach ops gives the eager step's parameters, bit for bit."""

    def make():
        tg.manual_seed(0)
        model = tg.nn.Linear(3, 2)
        params = list(model.parameters())
        bufs = [tg.zeros_like(p) for p in params]
        x, y = tg.randn(4, 3), tg.randn(4, 2)

        def step():
            for p in params:
                p.grad = None
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                tg._foreach_mul_(bufs, 0.9)
                tg._foreach_add_(bufs, [p.grad for p in params])
                tg._foreach_add_(params, bufs, alpha=-0.1)
                tg._foreach_clamp_min_(params, -0.3)
            return loss

        return params, step

    (eager_params, eager), (params, step) = make(), make()
    compiled = tg.compile(step, fuse=False)
    for _ in range(4):
        assert eager().item() == compiled().item()
    for a, b in zip(eager_params, params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
