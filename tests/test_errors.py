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


# The most common user mistakes, each run in tensorgrad and in PyTorch: the exception must be
# PyTorch's class (or a subclass) and the message must hold PyTorch's key phrase, so that
# `except RuntimeError`, `pytest.raises(match=...)` and a web search behave as under PyTorch.
# (name, call taking the module `t` (tensorgrad or torch), PyTorch's key phrase)
def _ce(t, target):
    return t.nn.CrossEntropyLoss()(t.ones(4, 3), target)


def _backward_twice(t):
    y = (t.ones(2, requires_grad=True) * t.ones(2)).exp().sum()
    y.backward()
    y.backward()


def _modified_saved(t):
    x = t.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


def _ragged_batch(t):
    data = t.utils.data if t is torch else tg.data

    class Ragged(data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return t.ones(i + 1)

    next(iter(data.DataLoader(Ragged(), batch_size=2)))


def _load_state(t, state, **kw):
    t.nn.Linear(2, 2).load_state_dict(state(t), **kw)


MISTAKES = [
    (
        "linear shapes",
        lambda t: t.nn.Linear(5, 2)(t.ones(4, 3)),
        "mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)",
    ),
    (
        "matmul shapes",
        lambda t: t.ones(4, 3) @ t.ones(5, 2),
        "mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)",
    ),
    (
        "mm shapes",
        lambda t: t.mm(t.ones(4, 3), t.ones(5, 2)),
        "mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)",
    ),
    (
        "linear float64 input",
        lambda t: t.nn.Linear(3, 2)(t.ones(4, 3, dtype=t.float64)),
        "mat1 and mat2 must have the same dtype",
    ),
    (
        "linear int input",
        lambda t: t.nn.Linear(2, 2)(t.ones(2, 2, dtype=t.long)),
        "mat1 and mat2 must have the same dtype",
    ),
    ("matmul dtypes", lambda t: t.ones(2, 2) @ t.ones(2, 2, dtype=t.float64), "same dtype"),
    ("view size", lambda t: t.ones(2, 3).view(4, 2), "is invalid for input of"),
    ("reshape size", lambda t: t.ones(2, 3).reshape(5), "is invalid for input of"),
    (
        "cat sizes",
        lambda t: t.cat([t.ones(2, 3), t.ones(3, 4)]),
        "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4",
    ),
    (
        "stack shapes",
        lambda t: t.stack([t.ones(2, 3), t.ones(2, 4)]),
        "stack expects each tensor to be equal size",
    ),
    (
        "broadcast",
        lambda t: t.ones(2, 3) + t.ones(4, 3),
        "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0",
    ),
    (
        "broadcast last dim",
        lambda t: t.ones(4, 2) - t.ones(3),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1",
    ),
    ("conv channels", lambda t: t.nn.Conv2d(3, 8, 3)(t.ones(1, 4, 8, 8)), "3 channels"),
    ("conv unbatched channels", lambda t: t.nn.Conv2d(3, 8, 3)(t.ones(1, 8, 8)), "3 channels"),
    ("conv 2-d input", lambda t: t.nn.Conv2d(3, 8, 3)(t.ones(8, 8)), "(unbatched) or 4"),
    (
        "conv dtypes",
        lambda t: t.nn.Conv2d(1, 1, 3)(t.ones(1, 1, 5, 5, dtype=t.float64)),
        "should be the same",
    ),
    ("ce float target shape", lambda t: _ce(t, t.ones(4, 5)), ""),
    (
        "ce target out of range",
        lambda t: _ce(t, t.tensor([0, 1, 2, 5])),
        "arget 5 is out of bounds",
    ),
    (
        "ce int32 target",
        lambda t: _ce(t, t.tensor([0, 1, 2, 1], dtype=t.int32)),
        "expected target dtype to be Long or Byte",
    ),
    (
        "ce (N, 1) target",
        lambda t: _ce(t, t.zeros(4, 1, dtype=t.long)),
        "0D or 1D target tensor expected, multi-target not supported",
    ),
    (
        "ce batch sizes",
        lambda t: _ce(t, t.zeros(5, dtype=t.long)),
        "xpected input batch_size (4) to match target batch_size (5)",
    ),
    ("ce int probabilities", lambda t: _ce(t, t.ones(4, 3, dtype=t.long)), ""),
    (
        "nll 3-d target",
        lambda t: t.nn.functional.nll_loss(t.ones(2, 3, 4), t.zeros(2, 3, dtype=t.long)),
        "",
    ),
    (
        "bce range",
        lambda t: t.nn.BCELoss()(t.tensor([1.5, 0.5]), t.tensor([1.0, 0.0])),
        "all elements of input should be between 0 and 1",
    ),
    ("bce shapes", lambda t: t.nn.BCELoss()(t.full((4, 1), 0.5), t.ones(4)), ""),
    ("bce logits shapes", lambda t: t.nn.BCEWithLogitsLoss()(t.ones(4, 1), t.ones(4)), ""),
    ("backward twice", _backward_twice, "Trying to backward through the graph a second time"),
    (
        "backward non-scalar",
        lambda t: (t.ones(2, requires_grad=True) * 2).backward(),
        "grad can be implicitly created only for scalar outputs",
    ),
    (
        "item of many",
        lambda t: t.ones(2).item(),
        "a Tensor with 2 elements cannot be converted to Scalar",
    ),
    (
        "numpy with grad",
        lambda t: t.ones(2, requires_grad=True).numpy(),
        "Can't call numpy() on Tensor that requires grad",
    ),
    (
        "in-place on a leaf",
        lambda t: t.ones(2, requires_grad=True).add_(1),
        "a leaf Variable that requires grad is being used in an in-place operation",
    ),
    (
        "modified saved tensor",
        _modified_saved,
        "variables needed for gradient computation has been modified by an inplace operation",
    ),
    (
        "requires_grad int",
        lambda t: t.ones(2, dtype=t.long).requires_grad_(),
        "only Tensors of floating point dtype can require gradients",
    ),
    ("index", lambda t: t.ones(3)[5], "index 5 is out of bounds for"),
    ("gather float index", lambda t: t.ones(3, 3).gather(1, t.zeros(3, 1)), "gather()"),
    (
        "embedding index",
        lambda t: t.nn.Embedding(10, 3)(t.tensor([1, 10])),
        "index out of range in self",
    ),
    ("embedding float index", lambda t: t.nn.Embedding(10, 3)(t.tensor([1.0])), ""),
    ("optimizer empty", lambda t: t.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
    (
        "optimizer non-leaf",
        lambda t: t.optim.SGD([t.ones(2, requires_grad=True) * 2], lr=0.1),
        "can't optimize a non-leaf Tensor",
    ),
    (
        "optimizer one tensor",
        lambda t: t.optim.SGD(t.ones(2, requires_grad=True), lr=0.1),
        "iterable of Tensors or dicts",
    ),
    (
        "state_dict missing",
        lambda t: _load_state(t, lambda t: {"weight": t.ones(2, 2)}),
        'Missing key(s) in state_dict: "bias"',
    ),
    (
        "state_dict unexpected",
        lambda t: _load_state(t, lambda t: {**t.nn.Linear(2, 2).state_dict(), "extra": t.ones(1)}),
        'Unexpected key(s) in state_dict: "extra"',
    ),
    (
        "state_dict size",
        lambda t: _load_state(t, lambda t: t.nn.Linear(3, 2).state_dict()),
        "size mismatch for weight: copying a param with shape",
    ),
    (
        "state_dict size non-strict",
        lambda t: _load_state(t, lambda t: t.nn.Linear(3, 2).state_dict(), strict=False),
        "size mismatch for weight",
    ),
    ("collate ragged", _ragged_batch, "stack expects each tensor to be equal size"),
    ("ragged list", lambda t: t.tensor([[1, 2], [3]]), ""),
    (
        "load missing file",
        lambda t: t.load("/nonexistent/tensorgrad/x.pt"),
        "No such file or directory",
    ),
    (
        "attribute typo",
        lambda t: t.nn.Linear(2, 2).wieght,
        "'Linear' object has no attribute 'wieght'",
    ),
    (
        "max without dim unpacked",
        lambda t: tuple(t.max(t.ones(2, 2))),
        "iteration over a 0-d tensor",
    ),
    (
        "batchnorm batch of one",
        lambda t: t.nn.BatchNorm1d(3)(t.ones(1, 3)),
        "Expected more than 1 value per channel when training",
    ),
    (
        "lstm features",
        lambda t: t.nn.LSTM(3, 4)(t.ones(5, 2, 4)),
        "input.size(-1) must be equal to input_size. Expected 3, got 4",
    ),
    ("bool of many", lambda t: bool(t.ones(2)), ""),
]


def _exception(module, call):
    try:
        call(module)
    except Exception as e:  # the exception is what is compared
        return e
    raise AssertionError(f"no exception from {module.__name__}")


@pytest.mark.parametrize("call,phrase", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_mistake_raises_like_torch(call, phrase):
    expected, got = _exception(torch, call), _exception(tg, call)
    assert isinstance(got, type(expected)), f"PyTorch: {expected!r}; tensorgrad: {got!r}"
    assert phrase in str(got), f"{phrase!r} not in {str(got)!r}"


def test_cuda_without_a_gpu_raises_like_torch():
    """PyTorch built without CUDA raises AssertionError; tensorgrad's error is both that and
    the RuntimeError a CUDA build without a GPU raises."""
    if tg.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("a GPU is present")
    calls = [
        lambda t: t.ones(2).to("cuda"),
        lambda t: t.ones(2).cuda(),
        lambda t: t.nn.Linear(2, 2).cuda(),
        lambda t: t.zeros(2, device="cuda"),
    ]
    for call in calls:
        expected, got = _exception(torch, call), _exception(tg, call)
        assert isinstance(got, (type(expected), RuntimeError)), repr(got)
        assert isinstance(got, AssertionError), repr(got)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.nn.functional.softmax(t.ones(2, 3)),
        lambda t: t.nn.functional.log_softmax(t.ones(2, 3)),
        lambda t: t.nn.Softmax()(t.ones(2, 3)),
    ],
    ids=["softmax", "log_softmax", "Softmax"],
)
def test_implicit_softmax_dim_warns_like_torch(call):
    for module in (torch, tg):
        with pytest.warns(UserWarning, match="Implicit dimension choice for"):
            call(module)


def test_working_calls_still_work_like_torch():
    """Calls near the mistakes above that PyTorch accepts: tensorgrad must accept them too."""
    for t in (torch, tg):
        assert tuple(t.nn.Conv2d(3, 8, 3)(t.ones(3, 8, 8)).shape) == (8, 6, 6)  # unbatched
        loss = t.nn.CrossEntropyLoss()
        loss(t.ones(4, 3), t.tensor([0, 1, 2, 1], dtype=t.uint8))  # uint8 targets
        loss(t.ones(4, 3), t.ones(4, 3) / 3)  # class probabilities
        with pytest.warns(UserWarning, match="Using a target size"):
            t.nn.MSELoss()(t.ones(4, 1), t.ones(4))
        model = t.nn.Linear(2, 2)
        t.optim.SGD(model.parameters(), lr=0.1).step()  # step before backward: no-op
        values, indices = t.max(t.tensor([[1.0, 3.0], [4.0, 2.0]]), 1)
        assert indices.tolist() == [1, 0]
        t.gather(t.ones(3, 3), 1, t.zeros(3, 1, dtype=t.int32))  # int32 index
