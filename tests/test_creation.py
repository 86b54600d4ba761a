"""Creation functions: ``tg.tensor`` and friends, as functions and as ``Tensor`` static methods,
with the shapes, dtypes and (for the deterministic ones) values of PyTorch's."""

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _check(got, want, values: bool = True):
    assert isinstance(got, tg.Tensor)
    assert got.shape == tuple(want.shape)
    assert _name(got.dtype) == _name(want.dtype)
    assert got.requires_grad == want.requires_grad
    if values:
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


# ---------------------------------------------------------------------------- tg.tensor

TENSOR_DATA = [
    1.5,
    3,
    True,
    [1.0, 2.0],
    [1, 2, 3],
    [True, False],
    [1, 2.5],
    [True, 2],
    [[1.0, 2.0], [3.0, 4.0]],
    [[[1], [2]], [[3], [4]]],
    [],
    [[], []],
    np.ones(3),
    np.arange(4, dtype=np.int32).reshape(2, 2),
    np.array([1.5], dtype=np.float16),
    np.array([1, 0], dtype=np.bool_),
    np.array([1, 2], dtype=np.uint8),
    np.float64(2.0),
    np.int32(4),
    # NumPy scalars, arrays and tensors inside a list keep their dtype, promoted with the rest
    # (a NumPy env's float64 rewards: torch.tensor(rewards) is float64)
    [np.float64(1.0), np.float64(2.0)],
    [np.float64(1.0), 2.0],
    [np.float32(1.0), 2.0],
    [np.float16(1.0), 2.0],
    [np.float16(1.0), np.int64(2)],
    [np.uint8(1), np.uint8(2)],
    [np.int32(1), 2],
    [np.bool_(True), False],
    [[np.float64(1.0)], [2.0]],
    [np.zeros(2, np.float32), np.ones(2, np.float32)],
    [np.zeros(2), np.ones(2)],
    (np.float64(0.5), 1.0),
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[f"case{i}" for i in range(len(TENSOR_DATA))])
def test_tensor_infers_dtype_like_torch(data):
    _check(tg.tensor(data), torch.tensor(data))


def test_tensor_of_a_list_of_tensors_keeps_their_dtype():
    for lib in (tg, torch):
        t = lib.tensor([lib.tensor(1.0, dtype=lib.float64), lib.tensor(2.0)])
        assert t.dtype == lib.float64 and t.tolist() == [1.0, 2.0]
        assert lib.as_tensor([np.float64(1.0), 2.0]).dtype == lib.float64


def test_tensor_of_a_list_of_numpy_scalars_ignores_the_default_dtype():
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.tensor([np.float32(1.0), np.float32(2.0)]).dtype == tg.float32
        assert tg.tensor([1.0, 2.0]).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_tensor_with_dtype(dtype):
    data = [[0.0, 1.0], [2.0, 3.0]]
    _check(
        tg.tensor(data, dtype=getattr(tg, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
    )
    _check(tg.tensor(np.array(data), dtype=dtype), torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_requires_grad_and_device():
    x = tg.tensor([1.0, 2.0], requires_grad=True, device="cpu")
    assert x.requires_grad and x.is_leaf and x.device == "cpu"
    with pytest.raises(TypeError, match=r"no dtype, requires_grad .*tg\.tensor\(data, dtype"):
        tg.Tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)  # as torch.Tensor: TypeError


# PyTorch's legacy constructor: float32 whatever it is given; sizes make an uninitialised tensor
SIZES = ["Tensor()", "Tensor(3)", "Tensor(2, 3)", "Tensor(0)", "Tensor(np.int64(3))",
         "Tensor(2, 3, device='cpu')", "Tensor(size=(2, 3))"]  # fmt: skip
DATA = ["Tensor([-4, 2])", "Tensor((2, 3))", "Tensor([])", "Tensor([True, False])",
        "Tensor([[1, 2], [3, 4]])", "Tensor(np.array([1, 2]))", "Tensor(np.array([1.5, 2.0]))",
        "Tensor([1], device='cpu')", "Tensor(data=[1, 2])"]  # fmt: skip


@pytest.mark.parametrize("call", SIZES + DATA)
def test_legacy_constructor_matches_torch(call):
    mine = eval(call, {"Tensor": tg.Tensor, "np": np})
    theirs = eval(call, {"Tensor": torch.Tensor, "np": np})
    assert mine.dtype == tg.float32 and mine.shape == tuple(theirs.shape)
    if call in DATA:  # sizes leave the values uninitialised, in both
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_legacy_constructor_of_a_tensor_shares_its_storage_and_dtype():
    for a in (tg.tensor([1.0, 2.0]), tg.tensor([1, 2]), tg.tensor([1.0], dtype=tg.float64)):
        b = tg.Tensor(a)
        assert b is not a and b.array is a.array and b.dtype == a.dtype


@pytest.mark.parametrize(("call", "error"), [
    ("Tensor(3.0)", TypeError), ("Tensor(True)", TypeError), ("Tensor('ab')", TypeError),
    ("Tensor(np.float64(2.0))", TypeError), ("Tensor(2, [3])", TypeError),
    ("Tensor(-1)", RuntimeError), ("Tensor([[1, 2], [3]])", ValueError),
])  # fmt: skip
def test_legacy_constructor_refuses_what_torch_refuses(call, error):
    with pytest.raises(error):
        eval(call, {"Tensor": torch.Tensor, "np": np})
    with pytest.raises(error, match="Tensor|tensor|list"):
        eval(call, {"Tensor": tg.Tensor, "np": np})


def test_tensor_copies_its_input():
    a = np.zeros(3, dtype=np.float32)
    x = tg.tensor(a)
    a[0] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0]
    y = tg.tensor(x)
    x.data[1] = 2.0
    assert y.tolist() == [0.0, 0.0, 0.0]
    z = tg.Tensor(a)
    a[2] = 5.0
    assert z.tolist() == [1.0, 0.0, 0.0]


def test_tensor_of_a_tensor_with_grad_is_a_new_leaf():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor(x * 2)
    assert y.is_leaf and not y.requires_grad
    assert y.tolist() == [2.0, 4.0]


def test_from_numpy_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    x = tg.from_numpy(a)
    assert x.dtype == tg.float64 and x.shape == (2, 3)
    a[0, 0] = 9.0
    assert x[0, 0].item() == 9.0
    x[1, 2] = -1.0
    assert a[1, 2] == -1.0
    y = tg.Tensor.from_numpy(np.ones(2, dtype=np.int32))
    assert y.dtype == tg.int32
    with pytest.raises(TypeError):
        tg.from_numpy([1.0, 2.0])


# ---------------------------------------------------------------------------- factories

# (name, args, kwargs); dtypes given by name are looked up in each library
DETERMINISTIC = [
    ("zeros", (2, 3), {}),
    ("zeros", ((2, 3),), {}),
    ("zeros", ([2, 3],), {}),
    ("zeros", ((),), {}),
    ("zeros", (0, 2), {}),
    ("zeros", (4,), {"dtype": "int32"}),
    ("zeros", (), {"size": (2, 3)}),
    ("ones", (), {"size": [4], "dtype": "int64"}),
    ("zeros", (2, 2), {"requires_grad": True}),
    ("ones", (2, 3), {"dtype": "float16"}),
    ("ones", ((3,),), {"dtype": "bool"}),
    ("ones", (2,), {"dtype": "float64", "requires_grad": True}),
    ("full", ((2, 3), 7), {}),
    ("full", ((2, 3), 7.5), {}),
    ("full", ((2,), True), {}),
    ("full", ([2], 1), {"dtype": "float64"}),
    ("full", ((2,), 1.0), {"requires_grad": True}),
    ("arange", (5,), {}),
    ("arange", (2, 9, 3), {}),
    ("arange", (5, 0, -1), {}),
    ("arange", (5.0,), {}),
    ("arange", (0, 5, 0.5), {}),
    ("arange", (1, 2.5, 0.5), {}),
    ("arange", (5,), {"dtype": "float32"}),
    ("arange", (5,), {"dtype": "float64", "requires_grad": True}),
    ("arange", (0, 1, 0.1), {}),
    ("arange", (-1, 1, 0.1), {}),
    ("arange", (0.1, 2.3, 0.3), {}),
    ("arange", (1, 0, -0.07), {}),
    ("arange", (-3.7, 9.2, 0.11), {}),
    ("arange", (0, 10, 1 / 3), {}),
    ("arange", (0, 1e-3, 1e-5), {}),
    ("arange", (0, 100, 0.7), {}),
    ("arange", (0, 100, 0.7), {"dtype": "float16"}),
    ("linspace", (0, 1, 5), {}),
    ("linspace", (-2, 3, 11), {"dtype": "float64"}),
    ("linspace", (0, 1, 1), {}),
    ("linspace", (0, 1, 0), {}),
    ("eye", (3,), {}),
    ("eye", (2, 4), {}),
    ("eye", (3,), {"dtype": "int64"}),
]


def _resolve(lib, kwargs):
    return {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("where", ["module", "Tensor"])
@pytest.mark.parametrize(
    "name,args,kwargs",
    DETERMINISTIC,
    ids=[f"{n}{i}" for i, (n, _, _) in enumerate(DETERMINISTIC)],
)
def test_deterministic_factories_match_torch(where, name, args, kwargs):
    fn = getattr(tg if where == "module" else tg.Tensor, name)
    _check(
        fn(*args, **_resolve(tg, kwargs)), getattr(torch, name)(*args, **_resolve(torch, kwargs))
    )


def test_arange_float32_values_equal_torch_on_random_ranges():
    rng = np.random.default_rng(0)
    for _ in range(50):
        start = float(rng.uniform(-100, 100))
        step = float(rng.uniform(0.001, 3)) * rng.choice([-1, 1])
        end = start + step * (int(rng.integers(1, 3000)) - 0.5)
        _check(tg.arange(start, end, step), torch.arange(start, end, step))


def test_arange_float64_is_close_to_torch():
    got = tg.arange(-3.7, 9.2, 0.11, dtype=tg.float64)
    want = torch.arange(-3.7, 9.2, 0.11, dtype=torch.float64)
    _check(got, want, values=False)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32"])
def test_linspace_equals_torch_to_the_bit(dtype):
    """PyTorch's kernel counts the first half from start and the second back from end, each
    a fused multiply-add; NumPy's float64 linspace cast down differs in the last bit at most
    sizes (an affine_grid built on it moved sample points across pixel edges)."""
    for steps in [*range(2, 70), 257, 1000, 4097]:
        for start, end in [(-1, 1), (0, 1), (-2.5, 3.7), (10, -3), (0, 2 * np.pi), (3, 1000)]:
            if dtype == "float16" and end > 100:
                continue
            want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
            got = tg.linspace(start, end, steps, dtype=getattr(tg, dtype)).numpy()
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{steps} {start} {end}")


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step"):
        tg.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="step sign"):
        tg.arange(5, 0)
    with pytest.raises(RuntimeError):
        torch.arange(5, 0)


# (name, args, kwargs) for factories whose values are random or uninitialized
SHAPED = [
    ("empty", (2, 3), {}),
    ("empty", ((2, 3),), {"dtype": "int64"}),
    ("rand", (2, 3), {}),
    ("rand", ((2, 3),), {"dtype": "float64"}),
    ("rand", (4,), {"requires_grad": True}),
    ("randn", (2, 3), {}),
    ("randn", ((1000, 20),), {}),
    ("randn", (3,), {"dtype": "float16"}),
    ("randn", (2, 2), {"dtype": "float64", "requires_grad": True}),
    ("randint", (5, (3,)), {}),
    ("randint", (0, 5, (1000,)), {}),
    ("randint", (-3, 3, (2, 4)), {"dtype": "int32"}),
    ("randint", (10, [2, 2]), {"dtype": "float32"}),
    ("randperm", (7,), {}),
    ("randperm", (7,), {"dtype": "int32"}),
    ("empty", (), {"size": (2, 3)}),
    ("rand", (), {"size": [4]}),
    ("randn", (), {"size": (2, 1), "dtype": "float64"}),
]


@pytest.mark.parametrize("where", ["module", "Tensor"])
@pytest.mark.parametrize(
    "name,args,kwargs", SHAPED, ids=[f"{n}{i}" for i, (n, _, _) in enumerate(SHAPED)]
)
def test_random_and_empty_factories_match_torch_shape_and_dtype(where, name, args, kwargs):
    fn = getattr(tg if where == "module" else tg.Tensor, name)
    _check(
        fn(*args, **_resolve(tg, kwargs)),
        getattr(torch, name)(*args, **_resolve(torch, kwargs)),
        values=False,
    )


def test_randint_keyword_forms():
    forms = [
        ((5,), {"size": (3,)}),
        ((), {"high": 5, "size": (3,)}),
        ((), {"low": 0, "high": 5, "size": (3,)}),
        ((0, 5), {"size": [3]}),
        ((5, [3]), {}),
    ]
    for args, kwargs in forms:
        x = tg.randint(*args, **kwargs)
        assert x.shape == (3,) and x.dtype == tg.int64
        assert 0 <= x.min().item() and x.max().item() < 5
        assert torch.randint(*args, **kwargs).shape == (3,)
    with pytest.raises(TypeError, match="size"):
        tg.randint(5)


def test_random_values_are_in_range():
    u = tg.rand(10000)
    assert 0.0 <= u.min().item() and u.max().item() < 1.0 and abs(u.mean().item() - 0.5) < 0.02
    n = tg.randn(10000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1.0) < 0.05
    i = tg.Tensor.randint(0, 5, (1000,))
    assert set(i.tolist()) == {0, 1, 2, 3, 4}
    i = tg.randint(-2, 1, (1000,))
    assert set(i.tolist()) == {-2, -1, 0}
    assert sorted(tg.randperm(10).tolist()) == list(range(10))


def test_seed_example_shapes():
    x = tg.Tensor.randn(1000, 20)
    y = tg.Tensor.randint(0, 5, (1000,))
    assert x.shape == (1000, 20) and x.dtype == tg.float32
    assert y.shape == (1000,) and y.dtype == tg.int64


# ---------------------------------------------------------------------------- *_like

LIKE = [
    ("zeros_like", (), {}),
    ("zeros_like", (), {"dtype": "int32"}),
    ("ones_like", (), {}),
    ("ones_like", (), {"dtype": "float64", "requires_grad": True}),
    ("full_like", (2.7,), {}),
    ("full_like", (3,), {"dtype": "int64"}),
    ("randn_like", (), {}),
    ("randn_like", (), {"dtype": "float64"}),
    ("rand_like", (), {}),
    ("empty_like", (), {}),
]


@pytest.mark.parametrize("where", ["module", "Tensor"])
@pytest.mark.parametrize("source_dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize(
    "name,args,kwargs", LIKE, ids=[f"{n}{i}" for i, (n, _, _) in enumerate(LIKE)]
)
def test_like_factories_match_torch(where, source_dtype, name, args, kwargs):
    if name in ("randn_like", "rand_like") and source_dtype == "int32" and not kwargs:
        with pytest.raises(RuntimeError):
            getattr(torch, name)(torch.ones(2, dtype=torch.int32))
        return
    src_tg = tg.ones(2, 3, dtype=getattr(tg, source_dtype))
    src_torch = torch.ones(2, 3, dtype=getattr(torch, source_dtype))
    fn = getattr(tg if where == "module" else tg.Tensor, name)
    deterministic = name in ("zeros_like", "ones_like", "full_like")
    _check(
        fn(src_tg, *args, **_resolve(tg, kwargs)),
        getattr(torch, name)(src_torch, *args, **_resolve(torch, kwargs)),
        values=deterministic,
    )


def test_like_does_not_inherit_requires_grad():
    x = tg.ones(2, requires_grad=True)
    assert not tg.zeros_like(x).requires_grad and not tg.randn_like(x).requires_grad


# ---------------------------------------------------------------------------- errors


def test_factory_errors():
    with pytest.raises(ValueError):
        tg.zeros(-1)
    with pytest.raises(RuntimeError, match="low < high"):
        tg.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="floating point"):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)
    with pytest.raises(TypeError):
        tg.zeros(2, dtype="complex128")


# ---------------------------------------------------------------------------- default dtype


@pytest.fixture
def float64_default():
    """float64 as tensorgrad's and PyTorch's default dtype for the test, float32 after it."""
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    yield
    tg.set_default_dtype(tg.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.zeros(2, dtype=L.float32),
        lambda L: L.tensor([1.0], dtype=L.float16),
        lambda L: L.tensor(np.ones(2, np.float32)),
        lambda L: L.tensor(np.float32(1.5)),
        lambda L: L.zeros_like(L.ones(2, dtype=L.int32)),
        lambda L: L.full_like(L.ones(2, dtype=L.float32), 2.5),
        lambda L: L.rand_like(L.ones(2, dtype=L.float32)),
        lambda L: L.full((2,), True),
        lambda L: L.arange(5),
        lambda L: L.arange(5, dtype=L.float32),
        lambda L: L.randperm(4),
        lambda L: L.tensor([1.0]).new_zeros(2),
        lambda L: L.tensor([1, 2], dtype=L.int32).new_ones(2),
    ],
)
def test_explicit_and_inherited_dtypes_ignore_the_default(float64_default, make):
    _check(make(tg), make(torch), values=False)


def test_the_default_dtype_is_read_at_each_call(float64_default):
    assert tg.zeros(1).dtype == tg.float64 and tg.tensor([0.5]).dtype == tg.float64
    tg.set_default_dtype(tg.float16)
    assert tg.ones(1).dtype == tg.float16 and tg.randn(2).dtype == tg.float16
    assert tg.arange(0.0, 1.0, 0.25).dtype == tg.float16 and tg.eye(2).dtype == tg.float16


def test_as_tensor_of_a_tensor_stays_in_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert tg.as_tensor(x, dtype=tg.float32) is x  # its own dtype: the tensor itself
    y = tg.as_tensor(x, dtype=tg.float64)  # a cast, differentiable as PyTorch's
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


@pytest.fixture
def default_device():
    yield
    tg.set_default_device(None)


FACTORIES = {
    "zeros": lambda: tg.zeros(2),
    "ones": lambda: tg.ones(2, 3),
    "full": lambda: tg.full((2,), 3.0),
    "eye": lambda: tg.eye(2),
    "tensor": lambda: tg.tensor([1.0, 2.0]),
    "as_tensor": lambda: tg.as_tensor([1, 2]),
    "randn": lambda: tg.randn(2),
    "randint": lambda: tg.randint(0, 3, (2,)),
    "randperm": lambda: tg.randperm(3),
    "normal": lambda: tg.normal(0.0, 1.0, (2,)),
    "arange": lambda: tg.arange(3),
    "linspace": lambda: tg.linspace(0, 1, 3),
    "Linear's parameters": lambda: tg.nn.Linear(2, 2).weight,
    "logspace": lambda: tg.logspace(0, 1, 3),
    "hann_window": lambda: tg.hann_window(4),
    "tril_indices": lambda: tg.tril_indices(3, 3),
    "range": lambda: tg.range(0, 2),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_set_default_device_routes_the_factories(default_device, name):
    """As torch.set_default_device: the factories (and layers' parameters) go to the default
    device. Without a GPU, 'cuda' then raises the CuPy error at the factory call: the proof
    that the default was read."""
    from tests.conftest import cuda_available

    assert tg.get_default_device() == tg.device("cpu")
    tg.set_default_device("cuda")
    assert tg.get_default_device() == tg.device("cuda:0")
    if cuda_available():
        assert FACTORIES[name]().device == tg.device("cuda:0")
    else:
        with pytest.raises(RuntimeError, match="device 'cuda' needs CuPy"):
            FACTORIES[name]()
    tg.set_default_device("cpu")
    assert FACTORIES[name]().device == tg.device("cpu")


def test_default_device_leaves_tensor_derived_and_numpy_tensors(default_device):
    x = tg.ones(2)
    tg.set_default_device("cuda")
    assert tg.zeros_like(x).device == tg.device("cpu")  # a function of a tensor keeps its device
    assert tg.from_numpy(np.ones(2)).device == tg.device("cpu")  # as torch.from_numpy
    assert (x * 2).device == tg.device("cpu")
    tg.set_default_device(None)
    assert tg.get_default_device() == tg.device("cpu")


def test_factories_take_out_and_make_its_dtype_as_pytorch():
    def run(lib):
        o = lib.empty(6)
        assert lib.zeros(2, 3, out=o) is o  # resized without a warning
        long = lib.empty(0, dtype=lib.long)
        lib.arange(4, out=long)
        dbl = lib.empty(0, dtype=lib.float64)
        lib.linspace(0, 1, 5, out=dbl)
        e = lib.eye(2, out=lib.empty(0, dtype=lib.long))
        r = lib.rand(3, out=lib.empty(0, dtype=lib.float64))
        with pytest.raises(RuntimeError, match="does not match dtype of out"):
            lib.zeros(2, dtype=lib.float32, out=lib.empty(2, dtype=lib.long))
        return o, long, dbl, e, r

    *same, rand_g = run(tg)
    *want, rand_t = run(torch)
    for g, t in zip(same, want, strict=True):
        _check(g, t)
    _check(rand_g, rand_t, values=False)
