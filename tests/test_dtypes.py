"""Type promotion and result dtypes, checked against PyTorch's for every pair of dtypes."""

import itertools
import math
import operator

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
OPS = {"add": operator.add, "mul": operator.mul, "truediv": operator.truediv}
# (left shape, right shape): tensor vs tensor, tensor vs 0-d tensor and the reverse, 0-d vs 0-d
SHAPES = [((2, 3), (2, 3)), ((2, 3), ()), ((), (2, 3)), ((), ())]
SCALARS = [True, 2, 2.5]


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _make(lib, dtype: str, shape):
    return lib.ones(shape, dtype=getattr(lib, dtype))


def _result_dtype(fn, lib) -> str:
    try:
        return _name(fn(lib).dtype)
    except RuntimeError:
        return "error"


@pytest.mark.parametrize("op", OPS, ids=list(OPS))
@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_tensor_tensor_promotion_matches_torch(op, a, b):
    for sa, sb in SHAPES:

        def f(lib, sa=sa, sb=sb):
            return OPS[op](_make(lib, a, sa), _make(lib, b, sb))

        got, want = _result_dtype(f, tg), _result_dtype(f, torch)
        assert got == want, f"{a}{sa} {op} {b}{sb}: {got} != torch's {want}"


@pytest.mark.parametrize("op", OPS, ids=list(OPS))
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(op, a, scalar):
    for shape, reflected in itertools.product([(2, 3), ()], [False, True]):

        def f(lib, shape=shape, reflected=reflected):
            t = _make(lib, a, shape)
            return OPS[op](scalar, t) if reflected else OPS[op](t, scalar)

        got, want = _result_dtype(f, tg), _result_dtype(f, torch)
        assert got == want, f"{a}{shape} {op} {scalar!r} (reflected={reflected})"


def test_promotion_examples():
    assert (tg.ones(2, dtype=tg.int32) + tg.tensor(3)).dtype == tg.int32
    assert (tg.ones(2, dtype=tg.int64) * 2.5).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.float16) + 1.0).dtype == tg.float16
    assert (tg.tensor([1, 2]) / tg.tensor([2, 2])).dtype == tg.float32
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.int32) + tg.ones(2, dtype=tg.float16)).dtype == tg.float16
    assert (tg.ones(2, dtype=tg.float16) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float16
    assert (tg.ones(2, dtype=tg.int32) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float64
    assert (tg.ones(2, dtype=tg.bool) + tg.tensor(1, dtype=tg.int32)).dtype == tg.int32


@pytest.mark.parametrize("scalar", [2, 2.5, -1.0, True, 1e30, np.float64(0.5), np.int64(3)])
def test_float32_with_python_scalars_stays_float32(scalar):
    x = tg.ones(3)
    for out in (x + scalar, scalar + x, x * scalar, x / scalar, scalar * x, x**2, x - 1.5):
        assert out.dtype == tg.float32


def test_promoted_values_match_torch():
    a = np.array([1, 2, 3], dtype=np.int32)
    b = np.array([0.5, 0.25, 2.0], dtype=np.float16)
    for fn in (
        lambda L: L.tensor(a) / L.tensor(b),
        lambda L: L.tensor(a) * 2.5,
        lambda L: L.tensor(a) / 2,
        lambda L: 7 / L.tensor(a),
        lambda L: L.tensor(a) + L.tensor(b, dtype=L.float64),
    ):
        got, want = fn(tg), fn(torch)
        assert _name(got.dtype) == _name(want.dtype)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-3)


def test_gradient_flows_through_promotion_in_the_input_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], dtype=tg.float64, requires_grad=True)
    out = x * y
    assert out.dtype == tg.float64
    out.sum().backward()
    assert x.grad.dtype == tg.float32 and y.grad.dtype == tg.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "prod", "cumsum", "amax", "mean"])
def test_reduction_dtypes_match_torch(dtype, reduction):
    def f(lib):
        x = _make(lib, dtype, (2, 3))
        if reduction == "cumsum":
            return x.cumsum(0)
        if reduction in ("amax",) and dtype == "bool":
            return x.amax(0)
        return getattr(x, reduction)()

    try:
        want = _name(f(torch).dtype)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            f(tg)
        return
    assert _name(f(tg).dtype) == want


def test_reduction_examples():
    assert tg.ones(3, dtype=tg.int32).sum().dtype == tg.int64
    assert tg.ones(3, dtype=tg.bool).sum().dtype == tg.int64
    assert tg.ones(3, dtype=tg.bool).sum().item() == 3
    assert tg.ones(3, dtype=tg.float16).sum().dtype == tg.float16
    assert tg.ones(3, dtype=tg.int32).sum(dtype=tg.float64).dtype == tg.float64
    assert tg.ones(3, dtype=tg.int32).mean(dtype=tg.float32).item() == 1.0
    with pytest.raises(RuntimeError, match="mean"):
        tg.ones(3, dtype=tg.int64).mean()


def test_comparison_and_argmax_dtypes():
    x = tg.tensor([1.0, 3.0, 2.0])
    assert (x > 1).dtype == tg.bool and (x == x).dtype == tg.bool
    assert x.argmax().dtype == tg.int64 and x.max(0).indices.dtype == tg.int64
    assert tg.tensor([1, 2]).float().mean().dtype == tg.float32


def test_unary_float_ops_on_integers_give_float32():
    x = tg.tensor([1, 2, 4])
    for name in ("exp", "log", "sqrt", "sin", "tanh", "sigmoid"):
        got, want = getattr(x, name)(), getattr(torch.tensor([1, 2, 4]), name)()
        assert _name(got.dtype) == _name(want.dtype) == "float32"
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------- float16 scalars


@pytest.mark.parametrize("scalar", [1e5, 70000.0, 65520.0, 0.1, 1 / 3, 3.0001, 1e-5, 1e-8, -0.7, 7])
def test_float16_with_a_python_scalar_matches_torch_bit_for_bit(scalar):
    """Regression: NumPy rounds the scalar to float16 before multiplying (float16 * 1e5 was inf
    everywhere, * 1e-8 zero); PyTorch multiplies and divides in float32 with the scalar's own
    value and rounds once, and computes ``s / x`` as ``x.reciprocal() * s``. Its add, sub, pow
    and remainder do round the scalar first, as NumPy does."""
    a = np.random.default_rng(0).standard_normal(500) * np.repeat([1e-3, 1.0, 100.0, 3000.0], 125)
    a = a.astype(np.float16)
    ops = {
        "x * s": lambda x: x * scalar,
        "s * x": lambda x: scalar * x,
        "x / s": lambda x: x / scalar,
        "s / x": lambda x: scalar / x,
        "x + s": lambda x: x + scalar,
        "s - x": lambda x: scalar - x,
        "|x| ** s": lambda x: x.abs() ** min(scalar, 3),
        "x % s": lambda x: x % scalar,
        "x.mul(s)": lambda x: x.mul(scalar),
        "x.div(s)": lambda x: x.div(scalar),
    }
    for name, op in ops.items():
        got, want = op(tg.tensor(a)), op(torch.tensor(a))
        assert got.dtype == tg.float16, name
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_float16_times_a_one_element_tensor_matches_torch(dtype, shape):
    """A one-element second operand is a scalar to PyTorch's kernel: its value, in float32."""
    a = (np.random.default_rng(1).standard_normal(300) * 500).astype(np.float16)
    for value in (0.1, 1e5, 3):
        for op in (lambda x, s: x * s, lambda x, s: x / s, lambda x, s: s * x):
            got = op(tg.tensor(a), tg.tensor(value).to(getattr(tg, dtype)).reshape(shape))
            want = op(torch.tensor(a), torch.tensor(value).to(getattr(torch, dtype)).reshape(shape))
            assert _name(got.dtype) == _name(want.dtype)
            np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_float16_scalar_product_keeps_its_gradient():
    x = tg.tensor([0.3, -0.02, 0.1], dtype=tg.float16, requires_grad=True)
    t = torch.tensor([0.3, -0.02, 0.1], dtype=torch.float16, requires_grad=True)
    for v in (x, t):
        out = v * 1e5 + 2.0 / v  # finite: 1e5 rounded to float16 first would give inf
        out.sum().backward()
    assert x.grad.dtype == tg.float16
    np.testing.assert_array_equal((x * 1e5).detach().numpy(), (t * 1e5).detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=2e-3)


# ---------------------------------------------------------------------------- default dtype


@pytest.fixture
def default_dtype():
    """Puts float32 back as tensorgrad's and PyTorch's default dtype after the test."""
    yield
    tg.set_default_dtype(tg.float32)
    torch.set_default_dtype(torch.float32)


DEFAULT_DTYPE_CASES = {
    "zeros": lambda L: L.zeros(2, 3),
    "ones": lambda L: L.ones(2),
    "empty": lambda L: L.empty(2),
    "full float": lambda L: L.full((2,), 1.5),
    "full int": lambda L: L.full((2,), 3),
    "rand": lambda L: L.rand(2),
    "randn": lambda L: L.randn(2),
    "normal": lambda L: L.normal(0.0, 1.0, (2,)),
    "arange float": lambda L: L.arange(0.0, 2.0, 0.5),
    "arange int": lambda L: L.arange(3),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "eye": lambda L: L.eye(3),
    "tensor([1.0])": lambda L: L.tensor([1.0, 2.5]),
    "tensor(1.0)": lambda L: L.tensor(1.0),
    "tensor([1])": lambda L: L.tensor([1, 2]),
    "as_tensor": lambda L: L.as_tensor([1.5]),
    "Tensor(data)": lambda L: L.Tensor([1, 2]),
    "Tensor(sizes)": lambda L: L.Tensor(2, 3),
    "int * 2.5": lambda L: L.tensor([1, 2]) * 2.5,
    "int / int": lambda L: L.tensor([1, 2]) / L.tensor([2, 2]),
    "int.exp()": lambda L: L.tensor([1, 2]).exp(),
    "int.sqrt()": lambda L: L.tensor([1, 4]).sqrt(),
    "bool.float()": lambda L: L.tensor([True]).float(),
    "float32 stays": lambda L: L.ones(2, dtype=L.float32) * 2.5,
    "randint": lambda L: L.randint(0, 5, (2,)),
    "Linear weight": lambda L: L.nn.Linear(2, 3).weight,
    "Conv2d bias": lambda L: L.nn.Conv2d(1, 2, 3).bias,
    "LayerNorm weight": lambda L: L.nn.LayerNorm(4).weight,
    "Embedding weight": lambda L: L.nn.Embedding(5, 2).weight,
    "BatchNorm1d running_var": lambda L: L.nn.BatchNorm1d(3).running_var,
    "Parameter()": lambda L: L.nn.Parameter(),
}


@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("case", list(DEFAULT_DTYPE_CASES))
def test_set_default_dtype_matches_torch(default_dtype, dtype, case):
    tg.set_default_dtype(getattr(tg, dtype))
    torch.set_default_dtype(getattr(torch, dtype))
    assert tg.get_default_dtype() is getattr(tg, dtype)
    make = DEFAULT_DTYPE_CASES[case]
    got, want = make(tg), make(torch)
    assert _name(got.dtype) == _name(want.dtype), case


def test_set_default_dtype_changes_values_and_printing(default_dtype):
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    for make in (lambda L: L.arange(0.0, 1.0, 0.1), lambda L: L.tensor([1, 2]) / 3):
        got, want = make(tg), make(torch)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == tg.float64 and repr(got) == repr(want)
    # linspace computes in float64 and may differ from PyTorch's (fused multiply-adds) in the
    # last bit: 5.6e-17 for 0 here
    got, want = tg.linspace(-1, 1, 7), torch.linspace(-1, 1, 7)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15, atol=1e-15)
    for make in (lambda L: L.ones(2, dtype=L.float32), lambda L: L.zeros(0), lambda L: L.ones(0)):
        assert repr(make(tg)) == repr(make(torch)).replace("torch.", "tensorgrad.")


def test_set_default_dtype_takes_only_floating_dtypes(default_dtype):
    for bad in (tg.int64, tg.bool, "int32"):
        with pytest.raises(TypeError, match="floating"):
            tg.set_default_dtype(bad)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)
    assert tg.get_default_dtype() is tg.float32
    tg.set_default_dtype("float64")
    assert tg.zeros(1).dtype == tg.float64


# ---------------------------------------------------------------------------- dtype queries


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    got, want = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(got, field) == getattr(want, field), field
        assert type(getattr(got, field)) is type(getattr(want, field)), field
    assert repr(got) == repr(want)
    assert tg.finfo(name) == got


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    got, want = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
    assert (got.bits, got.min, got.max, got.dtype) == (want.bits, want.min, want.max, want.dtype)
    assert type(got.max) is int and repr(got) == repr(want)


def test_finfo_and_iinfo_defaults_and_errors(default_dtype):
    assert tg.finfo().dtype == "float32"
    tg.set_default_dtype(tg.float64)
    assert tg.finfo().eps == np.finfo(np.float64).eps
    for lib in (tg, torch):
        with pytest.raises(TypeError):
            lib.finfo(lib.int64)
        with pytest.raises(TypeError):
            lib.iinfo(lib.float32)
        with pytest.raises(TypeError):
            lib.iinfo(lib.bool)


ALL = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a", ALL)
def test_promote_types_and_can_cast_match_torch(a):
    for b in ALL:
        got = tg.promote_types(getattr(tg, a), getattr(tg, b))
        assert _name(got) == _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
        assert tg.can_cast(getattr(tg, a), getattr(tg, b)) == torch.can_cast(
            getattr(torch, a), getattr(torch, b)
        ), (a, b)


@pytest.mark.parametrize(
    "operands",
    [
        lambda L: (L.tensor([1]), 1.0),
        lambda L: (1, 1.0),
        lambda L: (2, True),
        lambda L: (L.tensor([1], dtype=L.int32), L.tensor(1)),
        lambda L: (L.tensor(1.0, dtype=L.float64), L.tensor([1], dtype=L.int8)),
        lambda L: (L.tensor([True]), 2),
        lambda L: (L.ones(2, dtype=L.float16), L.ones(2)),
    ],
)
def test_result_type_matches_torch(operands):
    assert _name(tg.result_type(*operands(tg))) == _name(torch.result_type(*operands(torch)))


def test_size_is_a_tuple_with_numel():
    s = tg.Size([2, 3, 4])
    assert isinstance(s, tuple) and s == (2, 3, 4) and s.numel() == 24
    assert tg.ones(2, 3).shape == tg.Size([2, 3]) and tg.Size(tg.ones(2, 3).shape) == (2, 3)
    assert isinstance(s[1:], tg.Size) and s[1:] == (3, 4) and s[0] == 2
    assert isinstance(s + (5,), tg.Size) and (1,) + s == (1, 2, 3, 4)
    assert isinstance((1,) + s, tg.Size) and s * 2 == (2, 3, 4, 2, 3, 4)
    assert tg.Size().numel() == 1 and tg.Size(tg.tensor([2, 5])) == (2, 5)
    assert repr(s) == "tensorgrad.Size([2, 3, 4])"
    assert repr(torch.Size([2, 3, 4])) == "torch.Size([2, 3, 4])"
    with pytest.raises(TypeError, match="int"):
        tg.Size([2.0])
    with pytest.raises(TypeError):
        torch.Size([2.0])


def test_predicates_and_constants_match_torch():
    for lib in (tg, torch):
        x, i = lib.tensor([1.5]), lib.tensor([1, 2])
        assert lib.is_tensor(x) and not lib.is_tensor([1.0])
        assert lib.is_floating_point(x) and not lib.is_floating_point(i)
        assert not lib.is_complex(x)
        assert lib.is_nonzero(lib.tensor([0.5])) and not lib.is_nonzero(lib.tensor(0))
        with pytest.raises(RuntimeError):
            lib.is_nonzero(i)
    for name in ("pi", "e", "inf"):
        assert getattr(tg, name) == getattr(torch, name)
    assert math.isnan(tg.nan) and tg.newaxis is None is torch.newaxis
    assert tg.ones(3)[:, tg.newaxis].shape == (3, 1)


# ---------------------------------------------------------------------------- print options


@pytest.fixture
def printoptions():
    """Puts tensorgrad's and PyTorch's default print options back after the test."""
    yield
    tg.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


PRINT_OPTIONS = [
    dict(precision=2),
    dict(precision=8),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(linewidth=40),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="short", precision=6),
]
PRINTED = [
    lambda L: L.tensor([1.12345678, -2.5, 300.0]),
    lambda L: L.tensor([1e-6, 1.0, 12345.678]),
    lambda L: L.tensor([1.0, 2.0, 100.0]),
    lambda L: L.arange(10),
    lambda L: L.arange(12.0).reshape(3, 4) / 7,
    lambda L: L.arange(2000.0).reshape(20, 100),
    lambda L: L.arange(60.0).reshape(3, 4, 5),
    lambda L: L.tensor([float("nan"), float("inf"), 1.5], requires_grad=True),
    lambda L: L.tensor(3.14159265),
    lambda L: L.tensor([True, False, True, True, False, True, True]),
    lambda L: L.tensor([1.5, 2.5], dtype=L.float64),
]


@pytest.mark.parametrize(
    "options", PRINT_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_set_printoptions_matches_torch(printoptions, options):
    tg.set_printoptions(**options)
    torch.set_printoptions(**options)
    for make in PRINTED:
        assert repr(make(tg)) == repr(make(torch)).replace("torch.", "tensorgrad.")


def test_set_printoptions_rejects_an_unknown_profile(printoptions):
    with pytest.raises(ValueError, match="profile"):
        tg.set_printoptions(profile="long")


def test_bfloat16_is_a_name_scripts_can_mention_and_an_unknown_dtype_lists_the_known():
    # nanoGPT's table and the disabled-autocast line run (tests/test_bfloat16.py: the tensors)
    ptdtype = {"float32": tg.float32, "bfloat16": tg.bfloat16, "float16": tg.float16}
    assert ptdtype["bfloat16"] is tg.bfloat16 and repr(tg.bfloat16) == "tensorgrad.bfloat16"
    assert tg.bfloat16.is_floating_point and tg.bfloat16.itemsize == 2
    assert tg.ones(2).dtype != tg.bfloat16
    with tg.autocast("cpu", dtype=tg.bfloat16, enabled=False):
        assert (tg.ones(2, 3) @ tg.ones(3, 2)).dtype == tg.float32
    with pytest.raises(TypeError, match=r"use one of float16, .*bfloat16") as e:
        tg.zeros(2, dtype="complex64")
    assert "complex64" in str(e.value)
