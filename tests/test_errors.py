"""Mistakes fail at the call that makes them, with PyTorch's exception type and a message that
names the op and the shapes, dtypes or devices involved, never from deep inside NumPy."""

import types

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _raises(exc, fn, *fragments):
    """Assert ``fn()`` raises ``exc`` whose message holds every fragment, raised outside NumPy."""
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    last = str(info.traceback[-1].path)
    assert "numpy" not in last, f"raised inside NumPy ({last}): {message}"
    assert "tensorgrad" in last or "tests" in last
    return message


# (id, exception, call, fragments the message must contain)
CASES = [
    ("broadcast add", RuntimeError, lambda: tg.ones(2, 3) + tg.ones(4, 3), ["(2, 3)", "(4, 3)"]),
    ("broadcast mul", RuntimeError, lambda: tg.ones(2, 3) * tg.ones(4, 3), ["(2, 3)", "(4, 3)"]),
    (
        "broadcast int",
        RuntimeError,
        lambda: tg.ones(2, 3, dtype=tg.int64) - tg.ones(4, 3, dtype=tg.int64),
        ["(2, 3)", "(4, 3)"],
    ),
    (
        "broadcast promoted",
        RuntimeError,
        lambda: tg.ones(2, 3) / tg.ones(4, 3, dtype=tg.float64),
        ["(2, 3)", "(4, 3)"],
    ),
    (
        "broadcast with grad",
        RuntimeError,
        lambda: tg.ones(2, 3, requires_grad=True) + tg.ones(4, 3),
        ["add", "(2, 3)", "(4, 3)"],
    ),
    (
        "broadcast compare",
        RuntimeError,
        lambda: tg.ones(2, 3) < tg.ones(4, 3),
        ["(2, 3)", "(4, 3)"],
    ),
    ("broadcast pow", RuntimeError, lambda: tg.ones(2, 3) ** tg.ones(4, 3), ["(2, 3)", "(4, 3)"]),
    (
        "broadcast where",
        RuntimeError,
        lambda: tg.where(tg.ones(2, 3) > 0, tg.ones(4, 3), 0.0),
        ["(2, 3)", "(4, 3)"],
    ),
    (
        "broadcast in place",
        RuntimeError,
        lambda: tg.ones(2, 3).add_(tg.ones(4, 3)),
        ["(2, 3)", "(4, 3)"],
    ),
    (
        "matmul",
        RuntimeError,
        lambda: tg.ones(2, 3) @ tg.ones(2, 3),
        ["matmul", "(2, 3)", "2x3"],
    ),
    ("matmul 1-d", RuntimeError, lambda: tg.ones(3) @ tg.ones(4), ["(3,)", "(4,)"]),
    ("matmul 0-d", RuntimeError, lambda: tg.ones(3) @ tg.tensor(2.0), ["matmul"]),
    (
        "reshape",
        RuntimeError,
        lambda: tg.ones(2, 3).reshape(4, 2),
        ["(4, 2)", "6", "(2, 3)"],
    ),
    ("view", RuntimeError, lambda: tg.ones(2, 3).view(5), ["(5,)", "6"]),
    ("reshape two -1", RuntimeError, lambda: tg.ones(2, 3).reshape(-1, -1), ["-1"]),
    ("index", IndexError, lambda: tg.ones(2, 3)[5], ["5", "(2, 3)"]),
    ("index dim 1", IndexError, lambda: tg.ones(2, 3)[0, 3], ["3", "(2, 3)"]),
    ("index negative", IndexError, lambda: tg.ones(2, 3)[-3], ["-3", "(2, 3)"]),
    ("index tensor", IndexError, lambda: tg.ones(2, 3)[tg.tensor([0, 2])], ["2", "(2, 3)"]),
    ("too many indices", IndexError, lambda: tg.ones(2, 3)[0, 0, 0], ["(2, 3)"]),
    ("setitem", IndexError, lambda: tg.ones(2, 3).__setitem__(5, 1.0), ["5", "(2, 3)"]),
    ("float index", IndexError, lambda: tg.ones(2, 3)[1.5], ["1.5", "float"]),
    ("float tensor index", IndexError, lambda: tg.ones(2, 3)[tg.tensor([1.0])], ["float32"]),
    (
        "backward without grad",
        RuntimeError,
        lambda: tg.ones(2).sum().backward(),
        ["does not require grad"],
    ),
    (
        "backward of a non-scalar",
        RuntimeError,
        lambda: (tg.ones(2, requires_grad=True) * 2).backward(),
        ["scalar", "(2,)"],
    ),
    (
        "requires_grad on int",
        RuntimeError,
        lambda: tg.ones(2, dtype=tg.int64).requires_grad_(),
        ["floating point", "int64"],
    ),
    (
        "tensor int requires_grad",
        RuntimeError,
        lambda: tg.tensor([1, 2], requires_grad=True),
        ["floating point", "int64"],
    ),
    (
        "grad of an int tensor",
        RuntimeError,
        lambda: tg.autograd.grad(tg.ones(2, requires_grad=True).sum(), [tg.tensor([1, 2])]),
        ["does not require grad"],
    ),
    ("unknown device", ValueError, lambda: tg.device("tpu"), ["tpu"]),
    ("bad device index", ValueError, lambda: tg.zeros(2, device="cuda:x"), ["cuda:x"]),
    ("cpu with index", ValueError, lambda: tg.device("cpu:0"), ["cpu:0"]),
    ("string data", TypeError, lambda: tg.tensor("abc"), ["str"]),
    ("string data with dtype", TypeError, lambda: tg.tensor("1.5", dtype=tg.float32), ["str"]),
    ("list of strings", TypeError, lambda: tg.tensor(["a", "b"]), ["list"]),
    ("object data", TypeError, lambda: tg.tensor(object()), ["object"]),
    ("None data", TypeError, lambda: tg.tensor(None), ["NoneType"]),
    ("complex data", TypeError, lambda: tg.tensor([1j]), ["complex"]),
    ("ragged data", ValueError, lambda: tg.tensor([[1, 2], [3]]), ["list"]),
    ("unknown dtype", TypeError, lambda: tg.zeros(2, dtype="complex64"), ["complex64"]),
    ("dim sum", IndexError, lambda: tg.ones(2, 3).sum(2), ["[-2, 1]", "2"]),
    ("dim softmax", IndexError, lambda: tg.ones(2, 3).softmax(-3), ["[-2, 1]", "-3"]),
    ("dim size", IndexError, lambda: tg.ones(2, 3).size(2), ["[-2, 1]"]),
    ("dim transpose", IndexError, lambda: tg.ones(2, 3).transpose(0, 2), ["[-2, 1]"]),
    ("dim unsqueeze", IndexError, lambda: tg.ones(2, 3).unsqueeze(3), ["[-3, 2]"]),
    ("dim argmax", IndexError, lambda: tg.ones(2, 3).argmax(2), ["[-2, 1]"]),
    ("dim max", IndexError, lambda: tg.ones(2, 3).max(2), ["[-2, 1]"]),
    ("dim cat", IndexError, lambda: tg.cat([tg.ones(2), tg.ones(2)], 1), ["[-1, 0]"]),
    ("dim 0-d", IndexError, lambda: tg.tensor(1.0).sum(1), ["[-1, 0]"]),
    (
        "cat shapes",
        RuntimeError,
        lambda: tg.cat([tg.ones(2, 3), tg.ones(2, 4)]),
        ["(2, 3)", "(2, 4)"],
    ),
    (
        "stack shapes",
        RuntimeError,
        lambda: tg.stack([tg.ones(2, 3), tg.ones(2, 4)]),
        ["(2, 3)", "(2, 4)"],
    ),
    ("expand", RuntimeError, lambda: tg.ones(2, 3).expand(4, 3), ["(2, 3)", "(4, 3)"]),
    ("permute", RuntimeError, lambda: tg.ones(2, 3).permute(0, 0), ["(0, 0)", "(2, 3)"]),
    ("mean of int", RuntimeError, lambda: tg.ones(2, dtype=tg.int64).mean(), ["int64"]),
    ("item of many", RuntimeError, lambda: tg.ones(2).item(), ["2 elements"]),
    ("bool of many", RuntimeError, lambda: bool(tg.ones(2)), ["ambiguous"]),
    ("randint bounds", RuntimeError, lambda: tg.randint(3, 1, (2,)), ["low=3", "high=1"]),
    ("bool subtraction", RuntimeError, lambda: tg.ones(2, dtype=tg.bool) - 1, ["bool"]),
    ("bool negation", RuntimeError, lambda: -tg.ones(2, dtype=tg.bool), ["bool"]),
    ("invert float", TypeError, lambda: ~tg.ones(2), ["float32"]),
    (
        "in-place on a leaf",
        RuntimeError,
        lambda: tg.ones(2, requires_grad=True).mul_(2),
        ["leaf", "in-place"],
    ),
    ("numpy with grad", RuntimeError, lambda: tg.ones(2, requires_grad=True).numpy(), ["detach"]),
]


@pytest.mark.parametrize("exc,call,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_clear_error(exc, call, fragments):
    _raises(exc, call, *fragments)


# The same mistakes in PyTorch raise the same exception type: a check that the cases above
# follow PyTorch and are not just whatever tensorgrad happens to do. (One deliberate difference:
# an unknown device string is a ValueError here, a RuntimeError in PyTorch.)
TORCH_TWINS = {
    "broadcast add": lambda: torch.ones(2, 3) + torch.ones(4, 3),
    "matmul": lambda: torch.ones(2, 3) @ torch.ones(2, 3),
    "reshape": lambda: torch.ones(2, 3).reshape(4, 2),
    "index": lambda: torch.ones(2, 3)[5],
    "float index": lambda: torch.ones(2, 3)[1.5],
    "backward without grad": lambda: torch.ones(2).sum().backward(),
    "requires_grad on int": lambda: torch.ones(2, dtype=torch.int64).requires_grad_(),
    "string data": lambda: torch.tensor("abc"),
    "ragged data": lambda: torch.tensor([[1, 2], [3]]),
    "dim sum": lambda: torch.ones(2, 3).sum(2),
    "dim unsqueeze": lambda: torch.ones(2, 3).unsqueeze(3),
    "mean of int": lambda: torch.ones(2, dtype=torch.int64).mean(),
    "bool subtraction": lambda: torch.ones(2, dtype=torch.bool) - 1,
    "in-place on a leaf": lambda: torch.ones(2, requires_grad=True).mul_(2),
}


@pytest.mark.parametrize("name", list(TORCH_TWINS))
def test_exception_type_matches_torch(name):
    exc = next(c[1] for c in CASES if c[0] == name)
    with pytest.raises(exc):
        TORCH_TWINS[name]()


def test_errors_leave_the_tensors_usable():
    x = tg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x + tg.ones(4, 3)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_devices_compare():
    assert tg.device("cuda:0") != tg.device("cpu")
    assert tg.device("cuda") == tg.device("cuda:0")
    assert tg.device("cuda:1") != tg.device("cuda:0")
    assert tg.ones(2).device == "cpu" and tg.ones(2).device != "cuda"


def test_mixing_devices_is_checked_before_computing():
    """Without a GPU, fake a CUDA-resident operand: the check must name both devices."""

    class FakeCudaArray(np.ndarray):
        device = types.SimpleNamespace(id=0)

    a = tg.ones(2)
    b = tg.Tensor._make(np.ones(2).view(FakeCudaArray))
    assert b.device == "cuda:0"
    for fn in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: tg.cat([a, b])):
        _raises(RuntimeError, fn, "same device", "cpu", "cuda:0")
