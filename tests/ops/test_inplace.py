"""In-place forms of the elementwise ops (``exp_``, ``addcmul_``, ``eq_``, ...; the table
``INPLACE`` in tensorgrad/tensor.py) against PyTorch: values and gradients through an in-place
op on a non-leaf (``y = x * 1; y.exp_()``) in the op table, then the rules around them: the
leaf error, views writing through to their base, version counters, dtype and shape checks,
integer tensors, the in-place operators (``&=``, ``<<=``, ...) and a compiled step.
"""

import math
import operator
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import (
    UNARY,
    Const,
    OpSpec,
    away_from_zero,
    distinct,
    make_tests,
    normal,
    positive,
    torch,
)
from tests.ops.test_elementwise import (
    above_one,
    inside_unit,
    off_grid,
    small,
    unit_interval,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

ONE = [UNARY[-1]]  # (4, 2, 3)
# self and the other operands: self has the broadcast shape (an in-place op can't grow it)
INTO = [((2, 3), (2, 3)), ((4, 2, 3), (2, 3)), ((2, 3), ())]
INTO3 = [((2, 3), (2, 3), (2, 3)), ((4, 2, 3), (1,), (2, 3))]


def _inplace(name, *args, **kwargs):
    """fn(lib, x, *others): ``(x * 1).name(*others, *args, **kwargs)``, in place on a non-leaf
    copy of x, so the gradient flows through the in-place op to x."""

    def fn(lib, x, *others):
        return getattr(x * 1, name)(*others, *args, **kwargs)

    return fn


def _unary(name, gen=normal, *args, cases=ONE, **kwargs):
    return OpSpec(name, _inplace(name, *args, **kwargs), cases, gen=gen)


def _binary(name, gen=normal, *args, cases=INTO, **kwargs):
    return OpSpec(name, _inplace(name, *args, **kwargs), cases, gen=gen)


def _against_out_of_place(name, gen=normal):
    """PyTorch has no derivative for the in-place forms of asinh, acosh and atanh: compare with
    its out-of-place op."""

    def fn(lib, x):
        return getattr(x * 1, name)() if lib is tg else getattr(x, name[:-1])()

    return OpSpec(name, fn, ONE, gen=gen)


def _exponents(shape):
    return Const(lambda rng: rng.integers(0, 4, shape))


OPS = [
    _unary("abs_", away_from_zero, cases=UNARY),
    _unary("absolute_", away_from_zero),
    _unary("neg_"),
    _unary("negative_"),
    _unary("exp_", cases=UNARY),
    _unary("exp2_"),
    _unary("expm1_"),
    _unary("log_", positive),
    _unary("log2_", positive),
    _unary("log10_", positive),
    _unary("log1p_", positive),
    _unary("sqrt_", positive),
    _unary("rsqrt_", positive),
    _unary("square_"),
    _unary("reciprocal_", away_from_zero),
    _unary("sigmoid_"),
    _unary("tanh_", cases=UNARY),
    _unary("relu_", away_from_zero),
    _unary("sin_"),
    _unary("cos_"),
    _unary("tan_", small),
    _unary("asin_", inside_unit),
    _unary("acos_", inside_unit),
    _unary("atan_"),
    _unary("arcsin_", inside_unit),
    _unary("arccos_", inside_unit),
    _unary("arctan_"),
    _unary("sinh_"),
    _unary("cosh_"),
    _against_out_of_place("asinh_"),
    _against_out_of_place("acosh_", above_one),
    _against_out_of_place("atanh_", inside_unit),
    _against_out_of_place("arcsinh_"),
    _against_out_of_place("arccosh_", above_one),
    _against_out_of_place("arctanh_", inside_unit),
    _unary("ceil_", off_grid),
    _unary("floor_", off_grid),
    _unary("round_", off_grid),
    _unary("round_", lambda r, s: off_grid(r, s) / 10, decimals=1),
    _unary("trunc_", off_grid),
    _unary("fix_", off_grid),
    _unary("frac_", off_grid),
    _unary("sign_", away_from_zero),
    # x sgn(x) = |x|: PyTorch's gradient of sgn alone is a ZeroTensor, which has no numpy()
    OpSpec("sgn_", lambda lib, x: (x * 1).sgn_() * x, ONE, gen=away_from_zero),
    _unary("erf_"),
    _unary("erfc_"),
    _unary("erfinv_", inside_unit),
    _unary("lgamma_", positive),
    _unary("digamma_", positive),
    _unary("polygamma_", positive, 1),
    _unary("mvlgamma_", above_one, 2),
    _unary("i0_"),
    _unary("logit_", unit_interval),
    _unary("logit_", lambda r, s: r.uniform(0.25, 0.75, s), 0.2),
    _unary("sinc_", away_from_zero),
    _unary("deg2rad_"),
    _unary("rad2deg_"),
    _unary("nan_to_num_"),
    _unary("clamp_min_", off_grid, 0.5),
    _unary("clamp_max_", off_grid, -0.5),
    _unary("copysign_", away_from_zero, -1.0),
    _unary("fmod_", off_grid, 2.0),
    _unary("remainder_", off_grid, -2.0),
    _unary("renorm_", normal, 2, 0, 1.5),
    _unary("renorm_", normal, 3, -1, 1.0),
    _unary("div_", off_grid, 2.0, rounding_mode="trunc"),
    _unary("divide_", positive, 4.0),
    _unary("true_divide_", positive, 0.5),
    _unary("multiply_", normal, 2.5),
    _unary("subtract_", normal, 1.5, alpha=2),
    OpSpec("float_power_", lambda lib, x: (x.double() * 1).float_power_(2.5), ONE, gen=positive),
    OpSpec(
        "float_power_",
        lambda lib, x, y: (x.double() * 1).float_power_(y),
        INTO[:2],
        gen=positive,
    ),
    _binary("atan2_", away_from_zero),
    _binary("arctan2_", away_from_zero),
    _binary("hypot_", away_from_zero),
    _binary("xlogy_", positive),
    _binary("copysign_", away_from_zero),
    _binary("clamp_min_", distinct),
    _binary("clamp_max_", distinct),
    _binary("lerp_", normal, 0.3),
    _binary("divide_", positive),
    _binary("multiply_"),
    _binary("subtract_"),
    OpSpec("lerp_", _inplace("lerp_"), INTO3),
    OpSpec("addcmul_", _inplace("addcmul_", value=0.5), INTO3),
    OpSpec("addcdiv_", _inplace("addcdiv_", value=-2), INTO3, gen=positive),
    OpSpec(
        "ldexp_", _inplace("ldexp_"), [((2, 3), _exponents((2, 3))), ((4, 2, 3), _exponents((3,)))]
    ),
    # comparisons write 0/1 in self's dtype; the gradient is 0 (PyTorch's EqBackward0, ...)
    *[_binary(f"{n}_", distinct, cases=INTO[:2]) for n in ("eq", "ne", "lt", "le", "gt", "ge")],
    *[
        _binary(f"{n}_", distinct, cases=INTO[:1])
        for n in ("greater", "greater_equal", "less", "less_equal", "not_equal")
    ],
    _unary("lt_", normal, 0.0),
    # matrix products added into self: beta self + alpha (products)
    OpSpec("addmm_", _inplace("addmm_", beta=0.5, alpha=2.0), [((2, 4), (2, 3), (3, 4))]),
    OpSpec("addmv_", _inplace("addmv_", beta=0.5, alpha=2.0), [((2,), (2, 3), (3,))]),
    OpSpec("addr_", _inplace("addr_", beta=0.5, alpha=2.0), [((2, 3), (2,), (3,))]),
    OpSpec("addbmm_", _inplace("addbmm_", alpha=-1.0), [((2, 4), (3, 2, 5), (3, 5, 4))]),
    OpSpec("baddbmm_", _inplace("baddbmm_", beta=2.0), [((3, 2, 4), (3, 2, 5), (3, 5, 4))]),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- autograd and views


def test_an_inplace_op_on_a_leaf_that_requires_grad_raises():
    for lib in (tg, torch):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            x.exp_()
        with pytest.raises(RuntimeError, match="leaf"):
            x[1:].sin_()  # a view of such a leaf too
    x = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        x.exp_()  # what optimizers do
    np.testing.assert_allclose(x.detach().numpy(), [math.e] * 3, rtol=1e-6)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, y: y[1].exp_(),
        lambda lib, y: y[:, 1:].sigmoid_(),
        lambda lib, y: y.t()[0].addcmul_(y.t()[1] * 1, y.t()[2] * 1, value=2),
        lambda lib, y: y.reshape(-1)[::2].clamp_min_(0.0),
        lambda lib, y: y.transpose(0, 1).tanh_(),
        lambda lib, y: y[0].lt_(0.0),
    ],
    ids=[
        "row exp_",
        "columns sigmoid_",
        "addcmul_ on a view",
        "strided clamp_min_",
        "tanh_ on t",
        "lt_",
    ],
)
def test_an_inplace_op_on_a_view_writes_through_to_the_base(fn):
    a = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    g = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x * 1
        before = y._version
        fn(lib, y)
        assert y._version > before
        (y * lib.tensor(g)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-7)


def test_a_tensor_saved_for_backward_then_changed_in_place_raises():
    for lib in (tg, torch):
        x = lib.tensor([0.5, 1.0], requires_grad=True)
        y = x * 1
        z = y.sin()  # saves y
        y.exp_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_inplace_ops_return_self_name_their_node_and_keep_a_docstring():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    assert y.exp_() is y and y.grad_fn.name() == "ExpBackward0"
    assert tg.Tensor.exp_.__name__ == "exp_" and "e^x" in tg.Tensor.exp_.__doc__
    z = x * 1
    z.eq_(1.0)
    assert z.requires_grad and z.tolist() == [1.0, 0.0]
    z.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_an_expanded_tensor_refuses_inplace_ops():
    x = tg.ones(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location|read-only"):
        x.exp_()


# ---------------------------------------------------------------------- dtypes and shapes


def _both(fn, data, dtype):
    out = []
    for lib in (tg, torch):
        x = lib.tensor(data, dtype=getattr(lib, dtype))
        y = fn(lib, x)
        assert y is x
        out.append(x)
    assert str(out[0].dtype).split(".")[-1] == str(out[1].dtype).split(".")[-1]
    np.testing.assert_array_equal(out[0].numpy(), out[1].numpy())


_I = [[5, -3, 12], [0, 7, -8]]
INTEGER = {
    "abs_": lambda lib, x: x.abs_(),
    "neg_": lambda lib, x: x.neg_(),
    "sign_": lambda lib, x: x.sign_(),
    "square_": lambda lib, x: x.square_(),
    "relu_": lambda lib, x: x.relu_(),
    "round_": lambda lib, x: x.round_(),
    "trunc_": lambda lib, x: x.trunc_(),
    "floor_": lambda lib, x: x.floor_(),
    "nan_to_num_": lambda lib, x: x.nan_to_num_(),
    "clamp_min_": lambda lib, x: x.clamp_min_(1),
    "clamp_max_": lambda lib, x: x.clamp_max_(lib.tensor([0, 1, 2])),
    "fmod_": lambda lib, x: x.fmod_(-3),
    "remainder_": lambda lib, x: x.remainder_(5),
    "floor_divide_": lambda lib, x: x.floor_divide_(4),
    "div_ floor": lambda lib, x: x.div_(4, rounding_mode="floor"),
    "div_ trunc": lambda lib, x: x.div_(lib.tensor([4, -4, 5]), rounding_mode="trunc"),
    "mul_": lambda lib, x: x.mul_(3),
    "gcd_": lambda lib, x: x.gcd_(lib.tensor([4, 6, 9])),
    "lcm_": lambda lib, x: x.lcm_(lib.tensor([4, 6, 9])),
    "bitwise_and_": lambda lib, x: x.bitwise_and_(6),
    "bitwise_or_": lambda lib, x: x.bitwise_or_(lib.tensor([1, 2, 4])),
    "bitwise_xor_": lambda lib, x: x.bitwise_xor_(lib.tensor(3)),
    "bitwise_not_": lambda lib, x: x.bitwise_not_(),
    "bitwise_left_shift_": lambda lib, x: x.bitwise_left_shift_(lib.tensor([1, 63, 70])),
    "bitwise_right_shift_": lambda lib, x: x.bitwise_right_shift_(lib.tensor([1, 2, -1])),
    "heaviside_": lambda lib, x: x.heaviside_(lib.tensor([7], dtype=x.dtype)),
    "eq_": lambda lib, x: x.eq_(lib.tensor([5, 7, 12])),
    "ne_": lambda lib, x: x.ne_(0),
    "lt_": lambda lib, x: x.lt_(3),
    "le_": lambda lib, x: x.le_(-3),
    "gt_": lambda lib, x: x.gt_(lib.tensor([0, 0, 0])),
    "ge_": lambda lib, x: x.ge_(7),
    "greater_equal_": lambda lib, x: x.greater_equal_(7),
    "not_equal_": lambda lib, x: x.not_equal_(7),
    "logical_and_": lambda lib, x: x.logical_and_(lib.tensor([1, 0, 1])),
    "logical_or_": lambda lib, x: x.logical_or_(lib.tensor([0.0, 0.0, 1.0])),
    "logical_xor_": lambda lib, x: x.logical_xor_(lib.tensor([True, False, True])),
    "logical_not_": lambda lib, x: x.logical_not_(),
    "&=": lambda lib, x: operator.iand(x, 6),
    "|=": lambda lib, x: operator.ior(x, lib.tensor([1, 2, 4])),
    "^=": lambda lib, x: operator.ixor(x, 5),
    "<<=": lambda lib, x: operator.ilshift(x, 2),
    ">>=": lambda lib, x: operator.irshift(x, lib.tensor([1, 2, 3])),
    "//=": lambda lib, x: operator.ifloordiv(x, 3),
    "%=": lambda lib, x: operator.imod(x, -3),
    "**=": lambda lib, x: operator.ipow(x, 2),
}


@pytest.mark.parametrize("name", list(INTEGER))
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_inplace_ops_on_integer_tensors(name, dtype):
    _both(INTEGER[name], _I, dtype)


FLOATING = {
    "eq_": lambda lib, x: x.eq_(lib.tensor([0.5, 2.0, 0.0])),
    "logical_not_": lambda lib, x: x.logical_not_(),
    "logical_and_": lambda lib, x: x.logical_and_(lib.tensor([1, 0, 1])),
    "div_ floor": lambda lib, x: x.div_(-0.75, rounding_mode="floor"),
    "div_ trunc": lambda lib, x: x.div_(lib.tensor([2.0, -2.0, 3.0]), rounding_mode="trunc"),
    "floor_divide_": lambda lib, x: x.floor_divide_(0.75),
    "nextafter_": lambda lib, x: x.nextafter_(lib.tensor([math.inf, 0.0, -1.0])),
    "heaviside_": lambda lib, x: x.heaviside_(lib.tensor(0.25)),
    "float_power_ float64": lambda lib, x: x.double().float_power_(3),
    "&= bool": lambda lib, x: operator.iand(x.bool(), lib.tensor([True, False, True])),
    "|= bool": lambda lib, x: operator.ior(x.bool(), False),
    "round_ decimals": lambda lib, x: x.round_(decimals=2),
    "copysign_ -0.0": lambda lib, x: x.copysign_(lib.tensor([-0.0, 0.0, -0.0])),
}


@pytest.mark.parametrize("name", list(FLOATING))
def test_inplace_ops_on_float_tensors(name):
    out = []
    for lib in (tg, torch):
        x = lib.tensor([0.5, -1.25, 0.0])
        y = FLOATING[name](lib, x)
        out.append(y)
    assert str(out[0].dtype).split(".")[-1] == str(out[1].dtype).split(".")[-1]
    np.testing.assert_array_equal(out[0].numpy(), out[1].numpy())


ERRORS = {
    "exp_ of an integer tensor": lambda lib: lib.tensor([1, 2]).exp_(),
    "div_ of an integer tensor": lambda lib: lib.tensor([1, 2]).div_(2),
    "sqrt_ of an integer tensor": lambda lib: lib.tensor([1, 4]).sqrt_(),
    "ldexp_ of an integer tensor": lambda lib: lib.tensor([1, 4]).ldexp_(lib.tensor([1])),
    "add_ of an int into bool": lambda lib: lib.tensor([True]).clamp_min_(2),
    "float_power_ of float32": lambda lib: lib.tensor([1.0, 2.0]).float_power_(2),
    "a broadcast that grows self": lambda lib: lib.ones(2).eq_(lib.ones(3, 2)),
    "hypot_ growing self": lambda lib: lib.ones(2).hypot_(lib.ones(3, 2)),
    "neg_ of bool": lambda lib: lib.tensor([True]).neg_(),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_inplace_errors_where_torch_raises(name):
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            ERRORS[name](lib)


def test_the_dtype_error_names_both_dtypes():
    with pytest.raises(RuntimeError, match=r"exp_: result type tensorgrad.float32 .*\.int64"):
        tg.tensor([1, 2]).exp_()


@pytest.mark.parametrize("scalar", [1e5, 70000.0, 0.1, 1e-8, 1 / 3])
def test_float16_mul_and_div_in_place_compute_in_float32(scalar):
    """As out of place (tests/test_dtypes.py): the scalar is not rounded to float16 first."""
    a = (np.random.default_rng(0).standard_normal(200) * 300).astype(np.float16)
    for name in ("mul_", "div_", "multiply_", "divide_"):
        x, t = tg.tensor(a), torch.tensor(a)
        getattr(x, name)(scalar)
        getattr(t, name)(scalar)
        np.testing.assert_array_equal(x.numpy(), t.numpy(), err_msg=name)


def test_inplace_operators_keep_the_object():
    x = tg.tensor([6, 5])
    y = x
    x &= 3
    x <<= 1
    x **= 2
    assert y is x and x.tolist() == [16, 4]


# ---------------------------------------------------------------------- tg.compile


def test_a_compiled_step_with_inplace_ops_replays_equal_to_eager():
    rng = np.random.default_rng(0)
    batches = [tg.tensor(rng.standard_normal((8, 5)).astype(np.float32)) for _ in range(6)]

    def run(compiled: bool):
        w = tg.tensor(
            np.linspace(-1.0, 1.0, 15, dtype=np.float32).reshape(5, 3), requires_grad=True
        )
        opt = tg.optim.SGD([w], lr=0.1)

        def step(x):
            opt.zero_grad()
            h = x @ w
            h.tanh_()
            h.mul_(2.0)
            h.addcmul_(x[:, :3], x[:, 2:], value=0.5).clamp_min_(-0.5)
            loss = h.square_().mean()
            loss.backward()
            opt.step()
            return loss

        fn = tg.compile(step) if compiled else step
        losses = [fn(x).item() for x in batches]
        return losses, w.detach().numpy().copy(), fn

    eager, w_eager, _ = run(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to eager
        replayed, w_replayed, fn = run(True)
    assert fn.replays == len(batches) - 2
    np.testing.assert_array_equal(replayed, eager)
    np.testing.assert_array_equal(w_replayed, w_eager)


@pytest.mark.parametrize("name", ["atan2_", "xlogy_", "hypot_", "copysign_", "lerp_"])
def test_inplace_on_a_plain_tensor_with_an_argument_that_requires_grad(name):
    # self has no history, but the gradient of the argument reads self's old values: they
    # were overwritten by the write ("modified by an inplace operation")
    grads = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0, 3.0])
        w = lib.tensor([2.0, 0.5, 1.5], requires_grad=True)
        extra = (0.25,) if name == "lerp_" else ()
        getattr(a, name)(w, *extra)
        (a * lib.tensor([1.0, -2.0, 0.5])).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
