"""The Tensor object itself: attributes, conversions, repr, in-place ops, operators, casts."""

import operator

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _version(x) -> int:
    """The in-place version counter, an int in both libraries."""
    return x._version


def _both(fn):
    """``fn(lib)`` for tensorgrad and torch, as NumPy arrays."""
    return np.asarray(fn(tg).detach()), fn(torch).detach().numpy()


# ---------------------------------------------------------------------------- attributes


def test_attributes_of_a_leaf():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(x.array, np.ndarray)
    np.testing.assert_array_equal(x.array, [[1, 2, 3], [4, 5, 6]])
    assert x.grad is None
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.shape == (2, 3) and x.size() == (2, 3)
    assert x.size(0) == 2 and x.size(1) == 3 and x.size(-1) == 3
    assert isinstance(x.size(), tg.Size) and x.size().numel() == 6  # torch.Size's method
    assert repr(x.size()) == "tensorgrad.Size([2, 3])" and x.size()[1:] == tg.Size([3])
    assert x.ndim == 2 and x.dim() == 2
    assert x.dtype == tg.float32 and x.dtype is tg.float32
    assert x.device == tg.device("cpu") and x.device == "cpu" and str(x.device) == "cpu"
    assert x.numel() == 6


def test_attributes_of_a_result():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert isinstance(x.grad, tg.Tensor) and not x.grad.requires_grad


def test_T_and_mT_match_torch():
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    for f in (lambda t: t.mT, lambda t: t[0].T, lambda t: t[1].T.contiguous()):
        got, want = f(tg.tensor(a)), f(torch.tensor(a))
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        _ = tg.ones(3).mT


def test_mT_gradient():
    x = tg.randn(2, 3, requires_grad=True)
    g = tg.randn(3, 2)
    (x.mT * g).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), g.numpy().T)


# ---------------------------------------------------------------------------- conversions


def test_numpy_shares_memory_and_refuses_requires_grad():
    x = tg.zeros(3)
    a = x.numpy()
    a[0] = 5.0
    assert x[0].item() == 5.0
    y = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        y.numpy()
    np.testing.assert_array_equal(y.detach().numpy(), np.zeros(3))


def test_numpy_of_a_tensor_that_requires_grad_works_under_no_grad_as_in_torch():
    # `with torch.no_grad(): w = model.weight.numpy()`: PyTorch refuses only while grad mode is
    # on (tensor_numpy.cpp checks GradMode::is_enabled() && requires_grad())
    for lib in (tg, torch):
        w = lib.nn.Parameter(lib.ones(2))
        with lib.no_grad():
            np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])
            np.testing.assert_array_equal((w * 2).numpy(), [2.0, 2.0])
        with lib.inference_mode():
            np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])
        with pytest.raises(RuntimeError, match="detach"):
            w.numpy()


def test_item_tolist_and_python_numbers():
    assert tg.tensor(2.5).item() == 2.5 and isinstance(tg.tensor(2.5).item(), float)
    assert tg.tensor([7]).item() == 7 and isinstance(tg.tensor([7]).item(), int)
    assert tg.tensor(True).item() is True
    with pytest.raises(RuntimeError, match="2 elements"):
        tg.tensor([1.0, 2.0]).item()
    assert tg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert tg.tensor(3.0).tolist() == 3.0
    assert float(tg.tensor([1.5])) == 1.5 and int(tg.tensor(3.7)) == 3
    assert bool(tg.tensor([1])) and not bool(tg.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.tensor([1, 2]))


def test_len_and_iter():
    x = tg.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, tg.Tensor) and r.shape == (2,) for r in rows)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(TypeError):
        len(tg.tensor(1.0))
    with pytest.raises(TypeError):
        iter(tg.tensor(1.0))


def test_iteration_keeps_the_graph():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    total = sum(v * v for v in x)
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_array_protocol():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    a = np.asarray(x)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0]])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(tg.tensor([1, 2])).dtype == np.int64


def test_detach_shares_storage_and_cuts_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.add_(1.0)  # the same storage, as PyTorch
    np.testing.assert_array_equal(y.detach().numpy(), [4.0, 7.0])
    assert y._version == d._version == 1


def test_requires_grad_():
    x = tg.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_clone_copies_and_passes_gradients():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and not c.is_leaf
    assert c.array is not x.array and not np.shares_memory(c.array, x.array)
    (c * tg.tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_contiguous():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.array.flags.c_contiguous
    np.testing.assert_array_equal(c.numpy(), x.numpy().T)
    y = tg.randn(2, 3, requires_grad=True)
    g = tg.randn(3, 2)
    (y.T.contiguous() * g).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), g.numpy().T)


# ---------------------------------------------------------------------------- DLPack


def test_dlpack_to_torch_shares_memory():
    x = tg.zeros(2, 3)
    t = torch.from_dlpack(x)
    assert tuple(t.shape) == (2, 3) and t.dtype == torch.float32
    t[0, 1] = 5.0
    assert x[0, 1].item() == 5.0
    x[1, 2] = 7.0
    assert t[1, 2].item() == 7.0


def test_dlpack_from_torch_shares_memory():
    t = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    x = tg.from_dlpack(t)
    assert x.shape == (2, 3) and x.dtype == tg.int64 and not x.requires_grad
    t[0, 0] = 42
    assert x[0, 0].item() == 42
    x[1, 1] = -1
    assert t[1, 1].item() == -1


def test_dlpack_with_numpy():
    x = tg.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(x)
    a[0] = 10.0
    assert x[0].item() == 10.0
    b = np.arange(3.0)
    y = tg.from_dlpack(b)
    b[1] = -5.0
    assert y[1].item() == -5.0 and y.dtype == tg.float64


def test_tensor_from_a_torch_tensor_copies():
    t = torch.ones(2)
    x = tg.tensor(t)
    t[0] = 3.0
    assert x.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------- repr

REPR_CASES = [
    lambda L: L.tensor([[1.5, 2.25, -3.0], [4.125, 5.0, 6.0]]),
    lambda L: L.tensor([1.0, 2.0]),
    lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    lambda L: L.tensor([0.5, 2.0], requires_grad=True),
    lambda L: L.tensor([1, 2, 3]),
    lambda L: L.tensor([[1, -200], [3, 4]]),
    lambda L: L.tensor([True, False]),
    lambda L: L.tensor([[True, False], [False, True]]),
    lambda L: L.tensor(3.5),
    lambda L: L.tensor(3.0),
    lambda L: L.tensor(3),
    lambda L: L.tensor(True),
    lambda L: L.tensor(-0.0),
    lambda L: L.tensor(1e-7),
    lambda L: L.tensor([1.5, 2.0], dtype=L.float64),
    lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    lambda L: L.tensor([1.5, 2.0], dtype=L.float16),
    lambda L: L.tensor([1, 2], dtype=L.int32),
    lambda L: L.tensor([1, 2], dtype=L.uint8),
    lambda L: L.tensor([1.5, 2.5], dtype=L.float64, requires_grad=True),
    lambda L: L.tensor([1e10, 1.0]),
    lambda L: L.tensor([1e-5, 1.0]),
    lambda L: L.tensor([1e-5, 2e-5]),
    lambda L: L.tensor([123456.7, 1.5]),
    lambda L: L.tensor([1e7, 1.0]),
    lambda L: L.tensor([1e8, 1.0]),
    lambda L: L.tensor([1e-4, 1.0]),
    lambda L: L.tensor([0.0, 0.0]),
    lambda L: L.tensor([1.23456789, 100.0]),
    lambda L: L.tensor([[1e-10, 1.0], [3.0, 1e10]], dtype=L.float64),
    lambda L: L.tensor([float("nan"), 1.5, float("inf")]),
    lambda L: L.tensor([float("nan"), 1.0, float("-inf")]),
    lambda L: L.tensor([]),
    lambda L: L.zeros(0, 3),
    lambda L: L.zeros(0, dtype=L.int64),
    lambda L: L.ones(2, 0, 3, dtype=L.int32),
    lambda L: L.arange(40.0) / 3,
    lambda L: (L.arange(40.0) / 3).reshape(5, 8),
    lambda L: L.arange(24.0).reshape(2, 3, 4),
    lambda L: L.arange(2000.0),
    lambda L: L.arange(2000),
    lambda L: L.arange(2000.0).reshape(40, 50),
    lambda L: L.arange(7000.0).reshape(10, 7, 100) / 7,
    lambda L: L.arange(1001) > 500,
    lambda L: (L.arange(17.0) * 1e5).requires_grad_(),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_matches_torch(case):
    make = REPR_CASES[case]
    want = repr(make(torch)).replace("torch.", "tensorgrad.")
    assert repr(make(tg)) == want


FORMAT_CASES = [
    (lambda L: L.tensor(0.123456789), ".4f"),
    (lambda L: L.tensor(2.5, requires_grad=True) * 2, ".3e"),
    (lambda L: L.tensor(7), "d"),
    (lambda L: L.tensor(7), ">5"),
    (lambda L: L.tensor(True), ""),
    (lambda L: L.tensor([1.0, 2.0]), ""),
]


@pytest.mark.parametrize("case", range(len(FORMAT_CASES)))
def test_format_matches_torch(case):
    # f"{loss:.4f}" on a 0-d tensor (clip_grad_norm_'s result, a loss) is common in scripts
    make, spec = FORMAT_CASES[case]
    want = format(make(torch), spec).replace("torch.", "tensorgrad.")
    assert format(make(tg), spec) == want


def test_format_spec_on_a_tensor_that_is_not_0d_raises_like_torch():
    for lib in (tg, torch):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(lib.tensor([1.0, 2.0]), ".2f")
        with pytest.raises(TypeError, match="unsupported format string"):
            format(lib.nn.Parameter(lib.tensor(1.0)), ".2f")


def test_repr_of_a_result_names_its_grad_fn():
    y = tg.tensor([1.5, 2.0], requires_grad=True) * 2
    assert repr(y).startswith("tensor([3., 4.], grad_fn=<Mul")


# ---------------------------------------------------------------------------- in place

INPLACE = [
    ("add_", lambda x: x.add_(2.0)),
    ("add_ tensor", lambda x, L: x.add_(L.tensor([1.0, 2.0, 3.0]), alpha=2)),
    ("sub_", lambda x: x.sub_(0.5)),
    ("sub_ tensor", lambda x, L: x.sub_(L.ones(2, 1))),
    ("mul_", lambda x: x.mul_(3)),
    ("mul_ tensor", lambda x, L: x.mul_(L.tensor([[2.0], [3.0]]))),
    ("div_", lambda x: x.div_(4)),
    ("div_ tensor", lambda x, L: x.div_(L.tensor([1.0, 2.0, 4.0]))),
    ("zero_", lambda x: x.zero_()),
    ("fill_", lambda x: x.fill_(1.25)),
    ("copy_", lambda x, L: x.copy_(L.tensor([7.0, 8.0, 9.0]))),
    ("clamp_", lambda x: x.clamp_(-0.5, 0.5)),
    ("clamp_ min", lambda x: x.clamp_(min=0.0)),
    ("setitem int", lambda x: x.__setitem__(0, 5.0)),
    ("setitem slice", lambda x: x.__setitem__((slice(None), 1), -1.0)),
    ("setitem mask", lambda x: x.__setitem__(x > 0, 0.0)),
    ("setitem tensor", lambda x, L: x.__setitem__(1, L.tensor([1.0, 2.0, 3.0]))),
    ("iadd", lambda x: operator.iadd(x, 1.0)),
    ("imul", lambda x: operator.imul(x, 2.0)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_matches_torch_and_bumps_the_version(name, fn):
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a.copy())
        before = _version(x)
        out = fn(x, lib) if fn.__code__.co_argcount == 2 else fn(x)
        if out is not None:
            assert out is x
        assert _version(x) == before + 1
        results.append(x.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_version_counter_is_shared_with_views_and_detach():
    x = tg.zeros(4)
    v = x[1:3]
    d = x.detach()
    assert x._version == 0
    x.add_(1.0)
    assert x._version == v._version == d._version == 1
    v.fill_(5.0)
    assert x.tolist() == [1.0, 5.0, 5.0, 1.0] and x._version == 2


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)
    with tg.no_grad():
        x.add_(1.0)
    assert x.tolist() == [2.0, 2.0]


def test_inplace_integer_tensor_rejects_float_result():
    x = tg.tensor([1, 2])
    with pytest.raises(RuntimeError):
        x.div_(2)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).div_(2)


# ---------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "op",
    [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow],
    ids=["add", "sub", "mul", "truediv", "pow"],
)
@pytest.mark.parametrize("scalar", [2, 0.5, -3])
def test_operators_with_python_scalars_on_either_side(op, scalar):
    a = np.array([[0.5, 1.5, 2.0], [3.0, 0.25, 1.0]], dtype=np.float32)
    for left in (True, False):
        if op is operator.pow and not left and scalar < 0:
            continue  # a negative base to a fractional power is nan

        def f(lib, left=left):
            x = lib.tensor(a)
            return op(x, scalar) if left else op(scalar, x)

        got, want = _both(f)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_operators_with_python_scalars_keep_the_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (2 - x) * 3 + 1 / x - x / 2 + 2**x
    y.sum().backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    ((2 - t) * 3 + 1 / t - t / 2 + 2**t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "op",
    [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge],
    ids=["eq", "ne", "lt", "le", "gt", "ge"],
)
def test_comparisons_give_bool_tensors_without_grad(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    x = tg.tensor(a, requires_grad=True)
    for other_tg, other_torch in ((tg.tensor(b), torch.tensor(b)), (2.0, 2.0), (2, 2)):
        out = op(x, other_tg)
        assert out.dtype == tg.bool and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), op(torch.tensor(a), other_torch).numpy())


def test_bitwise_ops_on_bool_tensors():
    a = tg.tensor([True, True, False, False])
    b = tg.tensor([True, False, True, False])
    assert (a & b).tolist() == [True, False, False, False]
    assert (a | b).tolist() == [True, True, True, False]
    assert (a ^ b).tolist() == [False, True, True, False]
    assert (~a).tolist() == [False, False, True, True]
    assert (a & b).dtype == tg.bool and (~a).dtype == tg.bool
    mask = (tg.arange(4) > 0) & (tg.arange(4) < 3)
    assert mask.tolist() == [False, True, True, False]
    with pytest.raises(TypeError):
        ~tg.ones(2)


def test_bool_tensor_subtraction_and_negation_raise_like_torch():
    a = tg.tensor([True, False])
    for fn in (lambda x: x - x, lambda x: -x, lambda x: x - 1, lambda x: 1 - x):
        with pytest.raises(RuntimeError, match="~"):
            fn(a)
        with pytest.raises(RuntimeError):
            fn(torch.tensor([True, False]))


# ---------------------------------------------------------------------------- casts


def test_casts():
    x = tg.tensor([1.7, -2.2, 0.0])
    t = torch.tensor([1.7, -2.2, 0.0])
    for name in ("float", "double", "half", "long", "int", "bool"):
        got, want = getattr(x, name)(), getattr(t, name)()
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for dt in ("float64", "int32", "bool", "float16"):
        got, want = x.to(getattr(tg, dt)), t.to(getattr(torch, dt))
        assert got.dtype.name == dt
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert x.to(tg.float32) is x and x.float() is x
    assert x.cpu() is x and x.to("cpu") is x
    assert x.to(np.float64).dtype == tg.float64 and x.to(int).dtype == tg.int64
    assert x.to(tg.ones(1, dtype=tg.float16)).dtype == tg.float16
    assert x.to("cpu", tg.float64).dtype == tg.float64
    assert x.to(dtype=tg.int64).dtype == tg.int64


def test_cast_keeps_the_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.dtype == tg.float64
    (y * y).sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_cuda_without_a_gpu_raises_a_clear_error():
    from tests.conftest import cuda_available

    if cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="(?i)cuda"):
        tg.ones(2).cuda()
    with pytest.raises(RuntimeError, match="(?i)cupy"):
        tg.ones(2).to("cuda:0")
    with pytest.raises(RuntimeError, match="(?i)cuda"):
        tg.zeros(2, device="cuda")


# ------------------------------------------------------------- PyTorch's predicates and type()

PREDICATES = ["is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_ipu", "is_xla", "is_maia",
              "is_mtia", "is_vulkan", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn",
              "is_nested"]  # fmt: skip


@pytest.mark.parametrize("name", PREDICATES)
def test_device_and_layout_predicates_match_torch_on_the_cpu(name):
    assert getattr(tg.ones(2), name) is getattr(torch.ones(2), name)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])  # fmt: skip
def test_type_names_and_predicates_match_torch(dtype):
    mine = tg.zeros(3, dtype=getattr(tg, dtype))
    theirs = torch.zeros(3, dtype=getattr(torch, dtype))
    assert mine.type() == theirs.type()
    assert mine.is_complex() == theirs.is_complex() and mine.is_signed() == theirs.is_signed()
    assert mine.is_floating_point() == theirs.is_floating_point()
    assert mine.type(theirs.type()).dtype == mine.dtype  # by its own name: unchanged
    assert tg.ones(2).type(theirs.type()).dtype == mine.dtype  # by name: converted


def test_type_converts_to_a_dtype_and_refuses_other_names():
    x = tg.tensor([1.5, -2.0])
    assert x.type(tg.float64).dtype == tg.float64 and x.type(tg.float32) is x
    assert x.type("torch.LongTensor").tolist() == [1, -2]
    with pytest.raises(ValueError, match="invalid type: 'float'"):
        x.type("float")


def test_is_nonzero_same_size_and_the_always_false_queries():
    assert tg.tensor([3]).is_nonzero() and not tg.tensor(0.0).is_nonzero()
    with pytest.raises(RuntimeError, match="2 elements is ambiguous"):
        tg.tensor([1, 2]).is_nonzero()
    assert tg.ones(2, 3).is_same_size(tg.zeros(2, 3)) and not tg.ones(2).is_same_size(tg.ones(3))
    x = tg.ones(2)
    assert not (x.is_inference() or x.is_pinned() or x.is_shared())


# ------------------------------------------------------------------------ .data, as PyTorch's


def test_data_is_a_detached_tensor_on_the_same_array_in_the_pytorch_idioms():
    p = tg.nn.Parameter(tg.ones(3))
    (p * 2).sum().backward()
    version = p._version
    p.data.add_(p.grad, alpha=-0.5)  # the manual SGD step of PyTorch scripts
    assert p.tolist() == [0.0, 0.0, 0.0] and p._version == version  # unseen by autograd
    assert isinstance(p.data, tg.Tensor) and not isinstance(p.data, tg.nn.Parameter)
    assert not p.data.requires_grad and p.data.grad_fn is None
    w = tg.zeros(2, 3)
    w.data.uniform_(-0.1, 0.1)
    assert 0 < float(w.abs().max()) <= 0.1
    out = tg.tensor([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]])
    assert out.data.max(1, keepdim=True)[1].tolist() == [[1], [0]]
    assert out.data.cpu().numpy() is not None and np.shares_memory(out.data.numpy(), out.array)


def test_setting_data_swaps_the_storage_and_keeps_the_parameter():
    p = tg.nn.Parameter(tg.ones(2))
    other = tg.zeros(4)
    p.data = other
    assert isinstance(p, tg.nn.Parameter) and p.requires_grad and p.shape == (4,)
    assert p.array is other.array
    with pytest.raises(TypeError, match="must be set to a Tensor, got list"):
        p.data = [1.0, 2.0]


def test_a_cast_to_an_integer_or_bool_dtype_leaves_the_graph():
    # it kept requires_grad and a CastBackward0 node, so gradients flowed through int casts
    x = tg.tensor([1.5, -2.5], requires_grad=True)
    for cast in (x.int(), x.long(), x.bool(), x.to(tg.int64)):
        assert not cast.requires_grad and cast.grad_fn is None
    assert x.double().requires_grad and x.half().requires_grad


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_copy_into_an_empty_tensor():
    # zeros(0, 8) has NumPy strides (0, 0), which read as an expanded (overlapping) tensor
    z = tg.zeros(0, 8)
    assert z.copy_(tg.zeros(0, 8)) is z
    layer = tg.nn.Linear(8, 0).double()
    layer.load_state_dict(tg.nn.Linear(8, 0).double().state_dict())


# ------------------------------------------------------------------- NumPy argument names


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: x.sum(1, keepdims=True),  # Karpathy's makemore: P.sum(1, keepdims=True)
        lambda L, x: L.sum(x, axis=0),
        lambda L, x: x.mean(axis=-1, keepdims=True),
        lambda L, x: x.max(axis=1).values,
        lambda L, x: x.amax(axis=(0, 1)),
        lambda L, x: x.std(axis=0, keepdims=True),
        lambda L, x: x.logsumexp(axis=1, keepdims=True),
        lambda L, x: x.argmax(axis=1, keepdims=True),
        lambda L, x: x.cumsum(axis=1),
        lambda L, x: x.softmax(axis=1),
        lambda L, x: x.unsqueeze(axis=0),
        lambda L, x: L.cat([x, x], axis=1),
        lambda L, x: L.stack([x, x], axis=2),
    ],
)
def test_numpy_axis_and_keepdims_names_are_taken_like_torch(call):
    a = np.arange(12.0).reshape(3, 4) / 7
    want = call(torch, torch.tensor(a)).numpy()
    np.testing.assert_allclose(call(tg, tg.tensor(a)).numpy(), want, rtol=1e-12)


def test_a_dim_given_under_both_names_is_refused():
    with pytest.raises(TypeError, match="sum"):
        tg.ones(2, 3).sum(dim=1, axis=1)


# ---------------------------------------------------------------------------- out=


def test_out_keyword_writes_into_the_given_tensor_as_pytorch():
    # the tensors tutorial: torch.matmul(tensor, tensor.T, out=y3), torch.mul(..., out=z3)
    def run(lib):
        t = lib.ones(4, 4)
        t[:, 1] = 0
        y3, z3 = lib.rand_like(t), lib.rand_like(t)
        kept = y3
        assert lib.matmul(t, t.T, out=y3) is y3 is kept
        assert lib.mul(t, t, out=z3) is z3
        wide = lib.empty(0, dtype=lib.float64)  # empty: resized without a warning
        lib.add(t, 2, alpha=3, out=wide)
        s = lib.zeros(4)
        lib.sum(t, 0, out=s)
        row = lib.zeros(2, 4)
        lib.exp(t[0], out=row[1])  # a view: written through to its base
        c = lib.empty(0)
        lib.cat([t, t], dim=1, out=c)
        w = lib.where(t > 0, t, -t, out=lib.empty(4, 4))
        values, indices = lib.empty(4), lib.empty(4, dtype=lib.long)
        got = lib.max(t, 1, out=(values, indices))  # a tuple of results into a tuple of tensors
        assert got.values is values and got[1] is indices
        pair = (lib.empty(0), lib.empty(0, dtype=lib.long))
        top = lib.topk(lib.tensor([2.0, 5.0, 1.0, 4.0]), 2, out=pair)
        return y3, z3, wide, s, row, c, w, values, indices, *top

    for g, t in zip(run(tg), run(torch), strict=True):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_out_keyword_errors_and_resize_warning_as_pytorch():
    for lib in (tg, torch):
        a, w = lib.ones(2, 3), lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="result type Float can't be cast|float32 can't"):
            lib.mul(a, a, out=lib.empty(2, 3, dtype=lib.long))
        with pytest.raises(RuntimeError, match="dtype"):  # matmul wants the same dtype
            lib.matmul(a, a.T, out=lib.empty(2, 2, dtype=lib.float64))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.mul(w, a, out=lib.empty(2, 3))
        with lib.no_grad():
            assert not lib.mul(w, a, out=lib.empty(2, 3)).requires_grad
        o = lib.empty(5)
        with pytest.warns(UserWarning, match="resized since it had shape \\[5\\]"):
            lib.mul(a, 2, out=o)
        assert tuple(o.shape) == (2, 3) and o.sum().item() == 12
