"""``tensorgrad.backend``: dtypes, PyTorch's promotion rules, devices and array helpers."""

import itertools
import math
import pickle
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import backend

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _np(name: str) -> np.dtype:
    return np.dtype(np.bool_ if name == "bool" else name)


# ---------------------------------------------------------------------------- dtypes


def test_dtype_objects():
    assert tg.float32.name == "float32" and tg.float32.np == np.float32
    assert tg.float32.is_floating_point and not tg.int64.is_floating_point
    assert tg.int8.is_signed and not tg.uint8.is_signed and not tg.bool.is_signed
    assert tg.float64.itemsize == 8 and tg.bool.itemsize == 1
    assert repr(tg.int64) == "tensorgrad.int64"
    assert tg.float is tg.float32 and tg.double is tg.float64 and tg.half is tg.float16
    assert tg.long is tg.int64 and tg.int is tg.int32 and tg.short is tg.int16


@pytest.mark.parametrize("d", backend.DTYPES, ids=lambda d: d.name)
def test_dtypes_pickle_to_the_same_object(d):
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("name", NAMES)
def test_to_dtype_accepts_every_spelling(name):
    d = getattr(tg, name)
    assert backend.to_dtype(d) is d
    assert backend.to_dtype(name) is d
    assert backend.to_dtype(_np(name)) is d
    assert backend.to_dtype(_np(name).type) is d
    assert backend.from_np(_np(name)) is d


def test_to_dtype_python_types_and_torch_aliases():
    assert backend.to_dtype(float) is tg.float64  # PyTorch's: zeros(2, dtype=float) is double
    assert tg.zeros(2, dtype=float).dtype is tg.float64
    assert tg.ones(2).to(float).dtype is tg.float64
    assert backend.to_dtype(int) is tg.int64
    assert backend.to_dtype(bool) is tg.bool
    for alias in ("half", "float", "double", "short", "int", "long"):
        assert backend.to_dtype(alias) is getattr(tg, alias)


@pytest.mark.parametrize("bad", ["complex64", np.complex128, "foo", object, 3])
def test_to_dtype_rejects_unsupported(bad):
    with pytest.raises(TypeError, match="unsupported dtype"):
        backend.to_dtype(bad)


def test_from_np_rejects_unsupported():
    with pytest.raises(TypeError, match="complex128"):
        backend.from_np(np.dtype(np.complex128))


# ---------------------------------------------------------------------------- promotion


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch(a, b):
    want = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert backend.promote_types(_np(a), _np(b)).name == str(want).split(".")[-1]


def _operands(lib, spec):
    """``("t", name)`` a 2-d tensor, ``("z", name)`` a 0-d tensor, else a Python scalar."""
    if isinstance(spec, tuple):
        kind, name = spec
        return lib.ones((2, 2) if kind == "t" else (), dtype=getattr(lib, name))
    return spec


RESULT_TYPE_CASES = [  # (operands, PyTorch's result dtype)
    ([("t", "int32"), ("z", "int64")], "int32"),
    ([("t", "int32"), ("z", "float64")], "float64"),
    ([("t", "float16"), ("z", "float64")], "float16"),
    ([("t", "bool"), ("z", "int8")], "int8"),
    ([("t", "uint8"), ("t", "int8")], "int16"),
    ([("t", "int64"), 2.5], "float32"),
    ([("t", "int16"), 2], "int16"),
    ([("t", "bool"), True], "bool"),
    ([("t", "bool"), 3], "int64"),
    ([("t", "float16"), 1.0], "float16"),
    ([("z", "int32"), 1.5], "float32"),
    ([("z", "bool"), 2], "int64"),
    ([3, ("z", "uint8")], "uint8"),
    ([("t", "float32"), ("t", "float64")], "float64"),
    ([("z", "float64"), ("t", "int8"), 1.0], "float64"),
    ([("z", "int64"), ("t", "bool"), 1.0], "float32"),
    ([("t", "bool"), ("z", "bool"), True], "bool"),
    ([("t", "uint8"), ("z", "int64"), ("z", "float16"), 2], "float16"),
]


@pytest.mark.parametrize("case,want", RESULT_TYPE_CASES, ids=str)
def test_result_type(case, want):
    assert backend.result_type(*[_operands(tg, s) for s in case]).name == want
    if len(case) == 2:
        got = torch.result_type(*[_operands(torch, s) for s in case])
        assert str(got).split(".")[-1] == want


def test_result_type_of_two_operands_matches_torch_result_type():
    specs = [("t", n) for n in NAMES] + [("z", n) for n in NAMES] + [True, 2, 2.5]
    for a, b in itertools.product(specs, specs):
        if not (isinstance(a, tuple) or isinstance(b, tuple)):
            continue
        got = backend.result_type(_operands(tg, a), _operands(tg, b))
        want = torch.result_type(_operands(torch, a), _operands(torch, b))
        assert got.name == str(want).split(".")[-1], (a, b)


def test_result_type_rejects_non_numbers():
    with pytest.raises(TypeError, match="str"):
        backend.result_type(tg.ones(2), "a")


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize(
    "spec,type_,index,text,rep",
    [
        ("cpu", "cpu", None, "cpu", "device(type='cpu')"),
        ("cuda", "cuda", 0, "cuda:0", "device(type='cuda', index=0)"),
        ("cuda:0", "cuda", 0, "cuda:0", "device(type='cuda', index=0)"),
        ("cuda:3", "cuda", 3, "cuda:3", "device(type='cuda', index=3)"),
    ],
)
def test_device_parsing(spec, type_, index, text, rep):
    d = tg.device(spec)
    assert d.type == type_ and d.index == index
    assert str(d) == text and repr(d) == rep
    assert tg.device(d) == d and backend.Device(d) == d


def test_device_equality_and_hash():
    assert tg.device("cpu") == tg.device("cpu") == "cpu"
    assert tg.device("cuda:0") != tg.device("cpu")
    assert tg.device("cuda") == tg.device("cuda:0") == "cuda:0"
    assert tg.device("cuda:0") != tg.device("cuda:1")
    assert tg.device("cuda", 2) == tg.device("cuda:2")
    assert len({tg.device("cuda"), tg.device("cuda:0"), tg.device("cpu")}) == 2
    assert tg.device("cpu") != 3


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "cpu:0", "gpu", "cuda:-1", ""])
def test_unknown_device_raises_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        tg.device(spec)


def test_device_of_non_string_raises_type_error():
    with pytest.raises(TypeError):
        tg.device(0.5)


# ---------------------------------------------------------------------------- array helpers


def test_cpu_array_helpers():
    a = np.ones(3)
    assert backend.xp_of(a) is np and backend.xp_for(backend.CPU) is np
    assert backend.device_of(a) == "cpu"
    assert backend.to_device(a, backend.CPU) is a
    assert backend.is_array(a) and not backend.is_array([1.0]) and not backend.is_array(tg.ones(1))


def test_scatter_add_adds_repeated_indices():
    target = np.zeros(4)
    backend.scatter_add(target, (np.array([0, 1, 1, 3]),), np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(target, [1.0, 5.0, 0.0, 4.0])


def test_cupy_missing_gives_an_installable_hint():
    from tests.conftest import cuda_available

    if cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CuPy"):
        backend.cupy()
    with pytest.raises(RuntimeError, match="CuPy"):
        backend.xp_for(tg.device("cuda"))


def test_cupy_missing_is_tried_once(monkeypatch):
    """cuda.is_available() in a training loop: the import is attempted once, not per call
    (a failed import costs ~34 us each time)."""
    from tests.conftest import cuda_available

    if cuda_available():
        pytest.skip("a GPU is present")
    assert not tg.cuda.is_available()
    import builtins

    real_import = builtins.__import__
    attempts = []

    def counting_import(name, *args, **kwargs):
        attempts.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", counting_import)
    assert not tg.cuda.is_available()
    with pytest.raises(RuntimeError, match="CuPy"):
        backend.cupy()
    assert "cupy" not in attempts


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, True),
        ({"TENSORGRAD_MALLOC_DEFAULTS": "1"}, False),
        ({"MALLOC_TRIM_THRESHOLD_": "1"}, False),
    ],
)
def test_malloc_keeps_freed_memory_unless_told_not_to(env, expected):
    """backend._keep_freed_host_memory: on glibc Linux, unless the user set malloc's own
    variables or opted out (a fresh process each, since it acts once at import)."""
    import os
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc malloc tuning is Linux-only")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "TENSORGRAD_"))}
    code = "import tensorgrad.backend as b; print(b.MALLOC_TUNED)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(expected) or (expected and not backend.MALLOC_TUNED)


# ------------------------------------------------------------------ NumPy's floating-point warnings

FLOAT_EDGES = {  # PyTorch computes these silently (-inf, inf, nan); NumPy would warn
    "log(0)": lambda: tg.zeros(2).log(),
    "1/0": lambda: tg.ones(2) / tg.zeros(2),
    "sqrt(-1)": lambda: tg.tensor([-1.0]).sqrt(),
    "inf-inf": lambda: tg.tensor([float("inf")]) - tg.tensor([float("inf")]),
    "inf*0": lambda: tg.tensor([float("inf")]) * 0,
    "exp(1000)": lambda: tg.tensor([1000.0]).exp(),
    "0**-1": lambda: tg.zeros(2) ** -1,
    "rsqrt(0)": lambda: tg.zeros(1).rsqrt(),
    "log1p(-1)": lambda: tg.tensor([-1.0]).log1p(),
    "mean of empty": lambda: tg.tensor([]).mean(),
    "var of one": lambda: tg.tensor([1.0]).var(),
    "to int32 overflow": lambda: tg.tensor([1e10]).to(tg.int32),
    "to float16 overflow": lambda: tg.tensor([1e10]).half(),
    "log_softmax(-inf)": lambda: tg.nn.functional.log_softmax(tg.tensor([-math.inf, -math.inf]), 0),
    "bce at 0 and 1": lambda: tg.nn.functional.binary_cross_entropy(
        tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.0])
    ),
    "sqrt backward at 0": lambda: tg.zeros(3, requires_grad=True).sqrt().sum().backward(),
}


@pytest.mark.parametrize("case", FLOAT_EDGES)
def test_well_defined_float_edge_cases_warn_nothing(case):
    with warnings.catch_warnings(record=True) as caught:
        FLOAT_EDGES[case]()
    assert [str(w.message) for w in caught] == []


def test_the_users_own_numpy_still_warns_and_errstate_still_raises():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.log(np.zeros(1))
    assert any("divide by zero" in str(w.message) for w in caught)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        tg.zeros(1).log()


def test_owner_of_views_and_of_arrays_on_foreign_memory():
    """backend.owner finds the array owning a view's memory; an array on memory no NumPy
    array owns (numba's allocation, frombuffer) is its own owner, not an AttributeError (the
    engine's old helper walked into numba's MemInfo)."""
    a = np.zeros((4, 6))
    assert backend.owner(a) is a and backend.owner(a[1:].T[::2]) is a
    foreign = np.frombuffer(bytearray(32))
    assert backend.owner(foreign) is foreign and backend.owner(foreign[1:]) is foreign
    numba = pytest.importorskip("numba")
    made = numba.njit(lambda n: np.empty(n))(5)
    assert backend.owner(made) is made and backend.owner(made[2:]) is made
