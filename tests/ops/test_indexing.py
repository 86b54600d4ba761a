"""Indexing (``x[i]``, ``x[i] = v``, gather, scatter, masks) against PyTorch and finite
differences (see tests/op_harness.py), a Hypothesis search over random index expressions, and
the errors PyTorch raises.

Index arrays and masks are ``Const`` inputs (the harness hands them over as integer or bool
tensors of each library). Repeated indices check that
gradients accumulate instead of overwriting each other.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tests.op_harness import Const, OpSpec, make_tests

torch = pytest.importorskip("torch")


def const(value, dtype=None):
    return Const(lambda rng: np.array(value, dtype=dtype))


def mask(*shape, p=0.5):
    """A random bool mask with at least one True."""

    def make(rng):
        m = rng.random(shape) < p
        m.flat[0] = True
        return m

    return Const(make)


REPEATED = const([0, 2, 0, -1, 0])  # into a dimension of size 3 or more
NONNEGATIVE = const([0, 2, 0, 1, 0])  # index_select takes no negative indices
REPEATED_2D = const([[1, 1], [0, 1], [1, 0]])  # into a dimension of size 2 or more
M23 = ((2, 3),)
M43 = ((4, 3),)
T423 = ((4, 2, 3),)


def setitem(index, value_fn=lambda lib, x, v: v):
    """clone x, write ``value_fn(...)`` at ``index`` and return the result."""

    def fn(lib, x, v, *consts):
        y = x.clone()
        idx = index(*consts) if callable(index) else index
        y[idx] = value_fn(lib, x, v)
        return y

    return fn


OPS = [
    # ------------------------------------------------------------------ basic indexing (views)
    OpSpec("__getitem__", lambda lib, x: x[1], [((3,),), M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[-1], [((3,),), M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[1, -2], [M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[3, -1, 2], [T423]),
    OpSpec("__getitem__", lambda lib, x: x[1:], [((3,),), M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[::2], [((3,),), M43, T423]),
    OpSpec("__getitem__", lambda lib, x: x[:, 1::2], [M23, M43, T423]),
    OpSpec("__getitem__", lambda lib, x: x[-3:-1, :2], [M43, T423]),
    OpSpec("__getitem__", lambda lib, x: x[1:10:3, 5:], [M43, T423]),  # empty and clipped
    OpSpec("__getitem__", lambda lib, x: x[None], [((),), ((3,),), M23]),
    OpSpec("__getitem__", lambda lib, x: x[:, None], [((3,),), M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[None, ..., None], [((),), M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[...], [((),), M23]),
    OpSpec("__getitem__", lambda lib, x: x[..., 1], [M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[..., 1:, None], [M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[1, ..., ::2], [M23, T423]),
    OpSpec("__getitem__", lambda lib, x: x[()], [((),), M23]),
    # ------------------------------------------------------------------ integer arrays
    OpSpec("__getitem__", lambda lib, x, i: x[i], [((3,), REPEATED), ((4, 3), REPEATED)]),
    OpSpec("__getitem__", lambda lib, x, i: x[i], [((4, 2, 3), REPEATED), ((2, 3), REPEATED_2D)]),
    OpSpec("__getitem__", lambda lib, x, i: x[:, i], [((2, 3), REPEATED), ((4, 3), REPEATED_2D)]),
    OpSpec("__getitem__", lambda lib, x, i: x[..., i], [((4, 2, 3), REPEATED)]),
    OpSpec("__getitem__", lambda lib, x, i: x[i, 1:], [((4, 3), REPEATED), ((4, 2, 3), REPEATED)]),
    OpSpec("__getitem__", lambda lib, x, i: x[1:, i], [((4, 3), REPEATED)]),
    OpSpec("__getitem__", lambda lib, x, i: x[i, 1], [((4, 3), REPEATED)]),
    OpSpec("__getitem__", lambda lib, x: x[[0, 0, 1]], [M23]),  # a Python list
    OpSpec(
        "__getitem__",
        lambda lib, x, i, j: x[i, j],  # two arrays broadcast: (3, 1) with (2,)
        [((4, 3), const([[0], [3], [0]]), const([2, 2]))],
    ),
    OpSpec(
        "__getitem__",
        lambda lib, x, i, j: x[i, :, j],  # separated by a slice: the indexed dims go first
        [((4, 2, 3), REPEATED, const([1, 2, 2, 0, 1]))],
    ),
    OpSpec(
        "__getitem__",
        lambda lib, x, i: x[:, i, 0],  # PyTorch selects the int first: the arrays stay in place
        [((4, 3, 2), REPEATED)],
    ),
    OpSpec(
        "__getitem__",
        lambda lib, x, i, j: x[:, i, ..., j],  # an empty Ellipsis doesn't separate the arrays
        [((4, 3, 2), REPEATED, const([1, 0, 1, 1, 0]))],
    ),
    OpSpec(
        "__getitem__",
        lambda lib, x, i: x[None, i, ..., ::2],
        [((4, 2, 3), REPEATED)],
    ),
    # ------------------------------------------------------------------ boolean masks
    OpSpec("__getitem__", lambda lib, x, m: x[m], [((2, 3), mask(2, 3)), ((4, 2, 3), mask(4))]),
    OpSpec("__getitem__", lambda lib, x, m: x[m], [((4, 2, 3), mask(4, 2)), ((3,), mask(3))]),
    OpSpec("__getitem__", lambda lib, x, m: x[m, 0], [((4, 3), mask(4)), ((4, 2, 3), mask(4))]),
    OpSpec("__getitem__", lambda lib, x, m: x[:, m], [((4, 3), mask(3)), ((4, 2, 3), mask(2, 3))]),
    OpSpec(
        "__getitem__", lambda lib, x, m: x[..., None, m], [((2, 3), mask(3)), ((4, 2, 3), mask(3))]
    ),
    OpSpec("__getitem__", lambda lib, x, m: x[1:, m], [((4, 3), mask(3))]),
    OpSpec("__getitem__", lambda lib, x, m: x[m, :, 1:], [((4, 2, 3), mask(4))]),
    OpSpec(
        "__getitem__",
        lambda lib, x, m, i: x[m, i],  # a mask's nonzero count broadcasts with an index array
        [((4, 3), const([True, False, True, True]), const([2, 0, 2]))],
    ),
    # ------------------------------------------------------------------ assignment
    OpSpec("__setitem__", setitem(np.s_[1:]), [((4, 3), (3, 3)), ((4, 3), (3,)), ((4, 3), ())]),
    OpSpec(
        "__setitem__",
        setitem(np.s_[:, 1]),
        [((4, 3), (4,)), ((4, 2, 3), (4, 3)), ((4, 2, 3), (3,))],
    ),
    OpSpec("__setitem__", setitem(np.s_[0]), [((4, 3), (1, 3)), ((4, 2, 3), (2, 1))]),
    OpSpec("__setitem__", setitem(np.s_[..., ::2]), [((4, 3), (4, 2)), ((2, 3), (2,))]),
    OpSpec("__setitem__", setitem(lambda i: i), [((4, 3), (3, 3), const([2, 0, -1]))]),
    OpSpec("__setitem__", setitem(lambda i: (i, 1)), [((4, 3), (3,), const([2, 0, 3]))]),
    OpSpec(
        "__setitem__", setitem(lambda m: m), [((2, 3), (), const([[1, 0, 1], [0, 0, 1]], bool))]
    ),
    OpSpec(
        "__setitem__",
        setitem(lambda m: m),
        [((4, 3), (3,), const([True, False, True, True]))],
    ),
    OpSpec(  # the value depends on x too: both paths send gradient back to x
        "__setitem__",
        setitem(np.s_[0], lambda lib, x, v: x[1] * v),
        [((4, 3), (3,)), ((4, 2, 3), (2, 3))],
    ),
    OpSpec(
        "__setitem__",
        setitem(lambda i: (slice(None), i, 0)),  # PyTorch's order: the int is selected first
        [((4, 3, 2), (4, 2), const([2, 0]))],
    ),
    # ------------------------------------------------------------------ gather and scatter
    OpSpec(
        "gather",
        lambda lib, x, i: x.gather(1, i),
        [
            ((3, 4), const([[0, 3, 3, 1, 0], [1, 1, 1, 1, 1], [2, 0, 0, 3, 2]])),
            ((3, 4), const([[3, 3, 0], [0, 1, 0]])),  # smaller than x in dim 0
            ((2, 4, 3), const([[[0, 1], [3, 3]], [[2, 0], [1, 1]]])),
        ],
    ),
    OpSpec(
        "gather",
        lambda lib, x, i: x.gather(0, i),
        [((3, 4), const([[0, 2], [0, 0], [2, 1], [1, 2], [0, 0]])), ((4,), const([3, 3, 0]))],
    ),
    OpSpec(
        "gather",
        lambda lib, x, i: x.gather(-1, i),
        [((2, 4, 3), const([[[0, 2], [2, 2]], [[1, 1], [0, 0]]]))],
    ),
    OpSpec(
        "scatter",
        lambda lib, x, i, s: x.scatter(1, i, s),  # unique positions per row
        [
            ((3, 4), const([[3, 0], [1, 2], [0, 3]]), (3, 2)),
            ((3, 4), const([[2, 0, 1], [1, 3, 2]]), (2, 3)),  # smaller than x in dim 0
        ],
    ),
    OpSpec(
        "scatter",
        lambda lib, x, i, s: x.scatter(0, i, s),
        [((3, 4), const([[2, 0, 1, 1], [0, 2, 2, 0]]), (2, 4))],
    ),
    OpSpec(
        "scatter",
        lambda lib, x, i: x.scatter(1, i, 0.5),  # a scalar value
        [((3, 4), const([[3, 0], [1, 2], [0, 3]]))],
    ),
    OpSpec(
        "scatter_add",
        lambda lib, x, i, s: x.scatter_add(1, i, s),
        [
            ((3, 4), const([[3, 3, 0, 3, 1], [1, 1, 1, 1, 1]]), (2, 5)),  # repeats, smaller
            ((3, 4), const([[0, 0], [2, 2], [3, 1]]), (3, 2)),
        ],
    ),
    OpSpec(
        "scatter_add",
        lambda lib, x, i, s: x.scatter_add(0, i, s),
        [
            ((3, 2), const([[0, 1], [0, 1], [2, 0], [0, 0]]), (4, 2)),
            ((3, 2), const([[0], [0], [2]]), (3, 1)),
            ((5,), const([4, 4, 0, 4]), (4,)),
        ],
    ),
    OpSpec(
        "scatter_add",
        lambda lib, x, i, s: x.scatter_add(-1, i, s),
        [((2, 2, 3), const([[[0, 0, 2, 0]], [[1, 1, 1, 1]]]), (2, 1, 4))],
    ),
    OpSpec(
        "index_select",
        lambda lib, x, i: x.index_select(0, i),
        [((3,), NONNEGATIVE), ((4, 3), NONNEGATIVE), ((4, 2, 3), const([1, 1]))],
    ),
    OpSpec(
        "index_select",
        lambda lib, x, i: x.index_select(-1, i),
        [((4, 3), NONNEGATIVE), ((4, 2, 3), const([2, 2, 0])), ((2, 3), const([], np.int64))],
    ),
    OpSpec(
        "masked_fill",
        lambda lib, x, m: x.masked_fill(m, 0.5),
        [
            ((2, 3), mask(2, 3)),
            ((4, 2, 3), mask(2, 3)),
            ((4, 2, 3), mask(4, 1, 1)),
            ((3,), mask(3)),
        ],
    ),
    OpSpec(
        "masked_fill",
        lambda lib, x, m: x.masked_fill(m, -2),  # an int value into floats
        [((2, 3), mask(1, 3))],
    ),
    OpSpec(
        "masked_select",
        lambda lib, x, m: x.masked_select(m),
        [((2, 3), mask(2, 3)), ((4, 2, 3), mask(2, 3)), ((4, 2, 3), mask(4, 1, 1))],
    ),
]

test_matches_torch, test_gradcheck = make_tests(OPS)


# ---------------------------------------------------------------------- random index expressions


@st.composite
def index_expressions(draw):
    """(shape, index): a tensor shape and a valid index of ints, slices (positive steps), None,
    at most one Ellipsis, integer arrays (all of one broadcastable shape) and at most one mask."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    kinds = draw(
        st.lists(st.sampled_from(["int", "slice", "none", "array", "mask"]), max_size=ndim + 2)
    )
    items, remaining, has_mask = [], ndim, False  # (kind, number of dims consumed)
    for kind in kinds:
        need = 0 if kind == "none" else 1
        if kind == "mask":
            if has_mask:
                continue
            has_mask = True
            need = draw(st.integers(1, 2))
        if need > remaining:
            continue
        items.append((kind, need))
        remaining -= need
    ellipsis_at = draw(st.none() | st.integers(0, len(items)))
    # the dimension each item starts at: those after the Ellipsis take the trailing ones
    starts, d = [], 0
    for k, (_, need) in enumerate(items):
        if ellipsis_at is not None and k == ellipsis_at:
            d += remaining
        starts.append(d)
        d += need
    mask_array = None
    for (kind, need), start in zip(items, starts):
        if kind == "mask":
            mask_shape = shape[start : start + need]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mask_shape))))
            mask_array = np.array(bits[: int(np.prod(mask_shape))], bool).reshape(mask_shape)
    if mask_array is not None:
        array_shape = (int(mask_array.sum()),)  # int arrays broadcast with the mask's nonzeros
    else:
        array_shape = draw(st.sampled_from([(1,), (2,), (3,), (2, 2), (3, 1)]))
    index = []
    for (kind, _), start in zip(items, starts):
        n = shape[start] if start < ndim else 1
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            index.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
        elif kind == "none":
            index.append(None)
        elif kind == "array":
            size = int(np.prod(array_shape))
            values = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            index.append(np.array(values, np.int64).reshape(array_shape))
        else:
            index.append(mask_array)
    if ellipsis_at is not None:
        index.insert(ellipsis_at, Ellipsis)
    return shape, tuple(index)


def _lib_index(lib, index):
    return tuple(lib.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)


@settings(max_examples=150, deadline=None)
@given(index_expressions(), st.booleans())
def test_random_index_expressions_match_torch(case, numpy_arrays):
    """tensorgrad takes the arrays as NumPy arrays or as tensors; PyTorch always gets tensors
    (it mishandles a NumPy mask of 2+ dims after an Ellipsis)."""
    shape, index = case
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape)
    x_tg = tg.tensor(data, dtype=tg.float64, requires_grad=True)
    x_th = torch.tensor(data, requires_grad=True)
    y_th = x_th[_lib_index(torch, index)]
    y_tg = x_tg[index if numpy_arrays else _lib_index(tg, index)]
    assert y_tg.shape == tuple(y_th.shape), f"index {index}"
    np.testing.assert_array_equal(y_tg.detach().numpy(), y_th.detach().numpy())
    g = rng.standard_normal(tuple(y_th.shape))
    y_th.backward(torch.tensor(g))
    y_tg.backward(tg.tensor(g, dtype=tg.float64))
    np.testing.assert_allclose(x_tg.grad.numpy(), x_th.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(index_expressions())
def test_random_index_assignments_match_torch(case):
    """``y[index] = v`` with a 0-d v (so repeated positions get the same value): the result and
    the gradients of x and v."""
    shape, index = case
    data = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        v = lib.tensor(2.5, dtype=lib.float64, requires_grad=True)
        y = x.clone()
        y[_lib_index(lib, index)] = v * 2
        (y * lib.tensor(np.arange(y.numel()).reshape(shape), dtype=lib.float64)).sum().backward()
        results.append([y.detach().numpy(), x.grad.numpy(), v.grad.numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=f"index {index}")


def test_assignment_order_without_autograd_matches_torch():
    """An int between index arrays is selected first (PyTorch), not broadcast with them (NumPy)."""
    value = np.arange(4.0).reshape(2, 2)
    ours, theirs = tg.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    ours[:, tg.tensor([0, 2]), 1] = tg.tensor(value)
    theirs[:, torch.tensor([0, 2]), 1] = torch.tensor(value, dtype=torch.float32)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "index",
    [5, -4, (0, 2), (slice(None), 7), np.array([0, 3]), [0, -5]],
    ids=["int", "negative", "second-dim", "after-slice", "array", "list"],
)
def test_out_of_range_index_raises_index_error_naming_the_shape(index):
    x = tg.zeros(3, 2)
    with pytest.raises(IndexError, match=r"\(3, 2\)"):
        x[index]
    with pytest.raises(IndexError):
        torch.zeros(3, 2)[index]


@pytest.mark.parametrize("index", [1.5, (0, 0.0), np.array([0.5]), tg.tensor([1.0])])
def test_float_index_raises_index_error(index):
    with pytest.raises(IndexError, match=r"\(3, 2\)"):
        tg.zeros(3, 2)[index]


def test_setitem_on_leaf_that_requires_grad_raises():
    x = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0
    with tg.no_grad():  # what optimizers do
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_bumps_version_and_stale_saved_tensor_raises_on_backward():
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    y = x.clone()
    z = (y * y).sum()  # Mul saves y
    before = y._version
    y[0] = 5.0
    assert y._version == before + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_setitem_without_grad_bumps_version_of_views():
    x = tg.zeros(2, 3)
    row = x[0]
    x[0, 1] = 2.0
    assert x._version == 1 and row._version == 1
    assert row.tolist() == [0.0, 2.0, 0.0]


def test_setitem_gradient_reaches_value_and_untouched_elements():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64, requires_grad=True)
    v = tg.tensor(10.0, dtype=tg.float64, requires_grad=True)
    y = x.clone()
    y[tg.tensor([1, 3])] = v
    (y * tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0, 0.0]
    assert v.grad.item() == 6.0


def test_scatter_with_src_larger_than_index():
    """Only src[:index.shape] is used; the rest gets a zero gradient. (PyTorch computes the same
    forward but its backward returns a gradient of index's shape, so this is checked here.)"""
    index = np.array([[2, 0, 2], [1, 1, 3]])
    rng = np.random.default_rng(0)
    x, src = rng.standard_normal((2, 4)), rng.standard_normal((3, 5))
    for name in ("scatter_add", "scatter"):
        idx = index if name == "scatter_add" else np.array([[2, 0, 1], [1, 3, 2]])
        out = getattr(tg.from_numpy(x), name)(1, tg.from_numpy(idx), tg.from_numpy(src))
        ref = getattr(torch.from_numpy(x), name)(1, torch.from_numpy(idx), torch.from_numpy(src))
        np.testing.assert_allclose(out.numpy(), ref.numpy())

        def f(a, s, name=name, idx=idx):
            return getattr(a, name)(1, tg.from_numpy(idx), s)

        inputs = [tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True)]
        assert tg.autograd.gradcheck(f, inputs)
        assert tg.autograd.gradgradcheck(f, inputs)


def test_index_select_rejects_negative_indices():
    with pytest.raises(IndexError, match=r"\(4, 3\)"):
        tg.zeros(4, 3).index_select(0, tg.tensor([0, -1]))
    with pytest.raises(IndexError):
        torch.zeros(4, 3).index_select(0, torch.tensor([0, -1]))
