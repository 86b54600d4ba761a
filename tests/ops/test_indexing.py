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

# PyTorch's own warnings on calls made on purpose: index_reduce is beta, scatter's reduce=
# argument deprecated
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:index_reduce\(\) is in beta:UserWarning"),
    pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning"),
]


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
        [
            ((3, 4), const([[0, 2], [0, 0], [2, 1], [1, 2], [0, 0]])),
            ((4,), const([3, 3, 0])),
            ((4,), const(2)),  # PyTorch reads a 0-d index or input as 1-d of one element
            ((), const([0, 0])),
        ],
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
        [
            ((3, 4), const([[2, 0, 1, 1], [0, 2, 2, 0]]), (2, 4)),
            ((5,), const(2), ()),  # 0-d index and src: as 1-d of one element
            ((), const(0), ()),  # (src of shape (2,): PyTorch's backward raises)
        ],
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
            ((5,), const(4), ()),  # 0-d index and src: as 1-d of one element
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

# ---------------------------------------------------------------------- index ops along a dim,
# flat positions, masks and *_scatter (tensorgrad/ops/indexing.py); in-place forms on a clone


def zeros_at(*shape, at=()):
    """A float Const of ones with zeros at ``at`` (flat positions): multiplying src by it puts
    exact zeros in a differentiable input (scatter_reduce's prod)."""

    def make(rng):
        m = np.ones(shape)
        m.flat[list(at)] = 0.0
        return m.astype(np.int64)

    return Const(make)


IDX_ROWS = const([[0, 0, 1], [3, 3, 3], [2, 1, 2]])  # into dim 1 of (3, 4), with repeats
IDX_COLS = const([[2, 0, 2, 1], [0, 0, 2, 2]])  # into dim 0 of (3, 4)

OPS += [
    OpSpec("take", lambda lib, x, i: x.take(i), [((2, 3), const([0, -1, 5, 5]))]),
    OpSpec("take", lambda lib, x, i: lib.take(x, i), [((4, 2, 3), const([[3, 0], [23, -24]]))]),
    OpSpec("take", lambda lib, x, i: x.take(i), [((), const([0, -1])), ((3,), const(1))]),
    OpSpec(
        "put",
        lambda lib, x, i, s: x.put(i, s),  # unique positions: repeats are unspecified
        [((2, 3), const([0, -1, 4]), (3,)), ((4, 2, 3), const([[1, 7], [-2, 0]]), (2, 2))],
    ),
    OpSpec(
        "put",
        lambda lib, x, i, s: x.put(i, s, accumulate=True),
        [((2, 3), const([0, 0, -1, 5]), (4,)), ((), const([0, -1]), (2,))],
    ),
    OpSpec(
        "put_",
        lambda lib, x, i, s: (x * 1).put_(i, s, accumulate=True),
        [((2, 3), const([1, 1, 4]), (3,)), ((), const([0]), (1,))],
    ),
    OpSpec(
        "put_", lambda lib, x, i, s: x.mT.clone().put_(i, s), [((4, 3), const([[2, 5]]), (1, 2))]
    ),
    OpSpec(
        "index_add",
        lambda lib, x, i, s: x.index_add(1, i, s, alpha=2),
        [((2, 3), const([0, 2, 0, 0]), (2, 4))],
    ),
    OpSpec(
        "index_add",
        lambda lib, x, i, s: lib.index_add(x, 0, i, s),
        [((4, 2, 3), const([3, 3, 1]), (3, 2, 3)), ((3,), const(2), (1,)), ((), const([0]), ())],
    ),
    OpSpec(
        "index_add_",
        lambda lib, x, i, s: (x * 1).index_add_(-1, i, s),
        [((4, 2, 3), const([2, 2]), (4, 2, 2))],
    ),
    OpSpec(
        "index_copy",
        lambda lib, x, i, s: x.index_copy(1, i, s),
        [((2, 3), const([2, 0]), (2, 2)), ((4, 2, 3), const([1]), (4, 1, 3))],
    ),
    OpSpec(
        "index_copy_",
        lambda lib, x, i, s: (x * 1).index_copy_(0, i, s),
        [((4, 2, 3), const([3, 0]), (2, 2, 3))],
    ),
    OpSpec("index_fill", lambda lib, x, i: x.index_fill(1, i, -1.5), [((2, 3), const([0, -1]))]),
    OpSpec(
        "index_fill",
        lambda lib, x, i, v: lib.index_fill(x, 0, i, v),  # a 0-d value gets the gradient
        [((4, 2, 3), const([1, 1, 3]), ()), ((), const([0]), ())],
    ),
    OpSpec("index_fill_", lambda lib, x, i: (x * 1).index_fill_(-1, i, 2), [((4, 2, 3), const(1))]),
    OpSpec(
        "index_put",
        lambda lib, x, i, j, v: x.index_put((i, j), v),
        [((4, 3), const([0, 1, 3]), const([2, 2, 1]), (3,)), ((4, 3), const([3]), const(0), ())],
    ),
    OpSpec(
        "index_put",
        lambda lib, x, i, j, v: lib.index_put(x, (i, j), v, accumulate=True),
        [((4, 3), const([0, 0, 3, 0]), const([2, 2, 1, 2]), (4,))],
    ),
    OpSpec(
        "index_put",
        lambda lib, x, m, v: x.index_put((m,), v),
        [((4, 3), mask(4), (3,)), ((2, 3), mask(2, 3), ())],
    ),
    OpSpec(
        "index_put_",
        lambda lib, x, i, v: (x * 1).index_put_([i], v, accumulate=True),
        [((4, 2, 3), const([1, 1, 2]), (2, 3)), ((4, 3), const([[0, 0], [2, 0]]), (1, 3))],
    ),
    OpSpec(
        "masked_scatter",
        lambda lib, x, m, s: x.masked_scatter(m, s),
        [((2, 3), mask(2, 3), (8,)), ((4, 2, 3), mask(2, 3), (5, 6)), ((3,), mask(2, 3), (6,))],
    ),
    OpSpec(
        "masked_scatter_",
        lambda lib, x, m, s: (x * 1).masked_scatter_(m, s),
        [((4, 2, 3), mask(3), (25,))],
    ),
    OpSpec(
        "masked_select",
        lambda lib, x, m: lib.masked_select(x, m),  # input and mask broadcast together
        [((3,), mask(2, 3)), ((2, 1), mask(3))],
    ),
    OpSpec(
        "select_scatter",
        lambda lib, x, s: lib.select_scatter(x, s, 0, -1),
        [((2, 3), (3,)), ((4, 2, 3), (2, 3))],
    ),
    OpSpec("select_scatter", lambda lib, x, s: x.select_scatter(s, 1, 1), [((4, 2, 3), (4, 3))]),
    OpSpec(
        "slice_scatter",
        lambda lib, x, s: x.slice_scatter(s, 0, 1, None, 2),
        [((4, 3), (2, 3)), ((4, 2, 3), (2, 2, 3))],
    ),
    OpSpec("slice_scatter", lambda lib, x, s: lib.slice_scatter(x, s, -1, -2), [((2, 5), (2, 2))]),
    OpSpec(
        "diagonal_scatter",
        lambda lib, x, s: x.diagonal_scatter(s),
        [((3, 4), (3,)), ((2, 3), (2,))],
    ),
    OpSpec(
        "diagonal_scatter",
        lambda lib, x, s: lib.diagonal_scatter(x, s, -1),
        [((3, 4), (2,))],
    ),
    OpSpec(
        "diagonal_scatter",
        lambda lib, x, s: lib.diagonal_scatter(x, s, 1, 2, 0),
        [((4, 2, 3), (2, 3))],
    ),
]

for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        OPS += [
            OpSpec(
                "scatter_reduce",
                lambda lib, x, i, s, r=_reduce, k=_self: x.scatter_reduce(
                    1, i, s, r, include_self=k
                ),
                [((3, 4), IDX_ROWS, (3, 3))],
            ),
            OpSpec(
                "scatter_reduce",
                lambda lib, x, i, s, r=_reduce, k=_self: lib.scatter_reduce(
                    x, 0, i, s, r, include_self=k
                ),
                [((3, 4), IDX_COLS, (2, 4))],
            ),
        ]
    if _reduce != "sum":
        OPS.append(
            OpSpec(
                "index_reduce",
                lambda lib, x, i, s, r=_reduce: x.index_reduce(0, i, s, r),
                [((3, 4), const([0, 2, 0, 0]), (4, 4)), ((4, 2, 3), const([3, 3]), (2, 2, 3))],
            )
        )
        OPS.append(
            OpSpec(
                "index_reduce",
                lambda lib, x, i, s, r=_reduce: lib.index_reduce(
                    x, -1, i, s, r, include_self=False
                ),
                [((2, 3), const([1, 1, 0]), (2, 3))],
            )
        )

OPS += [
    # prod with exact zeros: one zero in a slot (x's or src's), and two src zeros in one slot
    # (first order only: PyTorch, and tensorgrad, refuse double backward there)
    OpSpec(
        "scatter_reduce",
        lambda lib, x, i, s, z: (x * z).scatter_reduce(1, i, s, "prod"),
        [((3, 4), IDX_ROWS, (3, 3), zeros_at(3, 4, at=(0, 7)))],
    ),
    OpSpec(
        "scatter_reduce",
        lambda lib, x, i, s, z: x.scatter_reduce(1, i, s * z, "prod", include_self=False),
        [((3, 4), IDX_ROWS, (3, 3), zeros_at(3, 3, at=(1, 3)))],
    ),
    OpSpec(
        "scatter_reduce",
        lambda lib, x, i, s, z: x.scatter_reduce(1, i, s * z, "prod"),
        [((3, 4), IDX_ROWS, (3, 3), zeros_at(3, 3, at=(0, 1, 4)))],
        second_order=False,
    ),
    # ties in amax/amin: src copies of x's own values share the gradient with them
    OpSpec(
        "scatter_reduce",
        lambda lib, x, r=None: x.scatter_reduce(
            0, lib.tensor([[0, 1], [0, 1]]), x[:2, :2].flip(0), "amax"
        ),
        [((3, 4),)],
    ),
    OpSpec(
        "index_reduce",
        lambda lib, x: x.index_reduce(0, lib.tensor([0, 0, 1]), x[[0, 0, 2]], "amin"),
        [((3, 4),)],
    ),
    OpSpec(
        "scatter_reduce_",
        lambda lib, x, i, s: (x * 1).scatter_reduce_(1, i, s, "mean", include_self=False),
        [((3, 4), IDX_ROWS, (3, 3))],
    ),
    OpSpec(
        "index_reduce_",
        lambda lib, x, i, s: (x * 1).index_reduce_(0, i, s, "prod"),
        [((3, 4), const([2, 2]), (2, 4))],
    ),
    OpSpec(
        "scatter_",
        lambda lib, x, i, s: (x * 1).scatter_(1, i, s),
        [((3, 4), const([[3, 0], [1, 2], [0, 3]]), (3, 2))],
    ),
    OpSpec(
        "scatter_",
        lambda lib, x, i: (x * 1).scatter_(0, i, value=0.5),
        [((3, 4), const([[2, 0, 1, 1]]))],
    ),
    OpSpec(
        "scatter_add_",
        lambda lib, x, i, s: (x * 1).scatter_add_(1, i, s),
        [((3, 4), IDX_ROWS, (3, 3))],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


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


@pytest.mark.parametrize(
    "index",
    [
        (range(3), [0, 1, 3]),  # Karpathy's makemore: logprobs[range(n), Yb]
        range(1, 3),
        (slice(None), range(0, 4, 2)),
        range(0),
    ],
)
def test_range_index_reads_and_writes_like_torch(index):
    """A ``range`` indexes as the list of its integers, in reading, writing and backward."""
    data = np.arange(12.0).reshape(3, 4)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, requires_grad=True)
        g = lib.tensor(np.arange(12.0).reshape(3, 4) + 1)
        y = x[index]
        (y * g[index]).sum().backward()
        z = lib.zeros(3, 4, dtype=lib.float64)
        z[index] = 5.0
        z[index] -= 1.0
        results.append([y.detach().numpy(), x.grad.numpy(), z.numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


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


def test_an_index_changed_in_place_after_indexing_keeps_the_gradient_of_what_was_computed():
    """The index tensors and arrays are kept as they were: PyTorch raises when they change
    before the backward; the gradient here is that of the computation that ran."""
    x = tg.zeros(3, 2, requires_grad=True)
    v = tg.ones(2, 2, requires_grad=True)
    y, mask = x * 1, tg.tensor([True, False, True])
    y[mask] = v
    mask[0] = False
    index = np.array([2, 0])
    z = (y * tg.arange(6.0).reshape(3, 2))[index]
    index[0] = 1
    z.sum().backward()
    assert v.grad.tolist() == [[0.0, 1.0], [4.0, 5.0]]
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


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


def test_one_hot_by_scatter_of_a_zero_dim_index_as_the_data_tutorial():
    # the "Datasets & DataLoaders" tutorial's target_transform
    for lib in (tg, torch):
        y = lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(3), value=1)
        assert y.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        r = lib.zeros(4).scatter_reduce(0, lib.tensor(1), lib.tensor([2.0, 5.0]), "amax")
        assert r.tolist() == [0, 2, 0, 0]
    with pytest.raises(RuntimeError, match="index has 0 dimensions"):
        tg.zeros(2, 3).scatter(0, tg.tensor(1), 1.0)  # a 0-d index for a 2-d tensor still raises


def test_index_select_rejects_negative_indices():
    with pytest.raises(IndexError, match=r"\(4, 3\)"):
        tg.zeros(4, 3).index_select(0, tg.tensor([0, -1]))
    with pytest.raises(IndexError):
        torch.zeros(4, 3).index_select(0, torch.tensor([0, -1]))


# ---------------------------------------------------------------------- index ops: beyond the table


def test_scatter_reduce_with_src_larger_than_index():
    """Only src[:index.shape] takes part and the rest gets a zero gradient (PyTorch computes
    the same forward but refuses the backward, so gradients are checked by finite
    differences)."""
    rng = np.random.default_rng(0)
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    index = np.array([[0, 0, 1], [3, 3, 3], [2, 1, 2]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        out = tg.from_numpy(x).scatter_reduce(1, tg.from_numpy(index), tg.from_numpy(src), reduce)
        ref = torch.from_numpy(x).scatter_reduce(
            1, torch.from_numpy(index), torch.from_numpy(src), reduce
        )
        np.testing.assert_allclose(out.numpy(), ref.numpy())

        def f(a, s, reduce=reduce):
            return a.scatter_reduce(1, tg.from_numpy(index), s, reduce, include_self=False)

        inputs = [tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True)]
        assert tg.autograd.gradcheck(f, inputs)
        assert tg.autograd.gradgradcheck(f, inputs)


def test_scatter_reduce_prod_double_backward_with_two_zeros_in_a_slot_raises_like_torch():
    index = [[0, 0, 1]]
    results = []
    for lib in (tg, torch):
        x = lib.tensor([[2.0, 3.0]], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([[0.0, 0.0, 5.0]], dtype=lib.float64, requires_grad=True)
        out = x.scatter_reduce(1, lib.tensor(index), s, "prod")
        (gs,) = lib.autograd.grad(out.sum(), s, create_graph=True)
        results.append(gs.detach().numpy())
        with pytest.raises(RuntimeError, match="(?i)double backward"):
            lib.autograd.grad(gs.sum(), s)
    np.testing.assert_array_equal(*results)


def test_scatter_with_reduce_matches_torch_forward_and_has_scatter_reduce_gradients():
    """``scatter(..., reduce='add'|'multiply')``: PyTorch's values; PyTorch has no gradient
    there, tensorgrad gives scatter_reduce's (sum, prod with include_self)."""
    rng = np.random.default_rng(1)
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    index = np.array([[2, 0, 2, 1], [0, 0, 2, 2]])
    for reduce, name in (("add", "sum"), ("multiply", "prod")):
        for s in (src, 1.5):
            ours = tg.from_numpy(x).scatter(
                0,
                tg.from_numpy(index),
                tg.from_numpy(s) if isinstance(s, np.ndarray) else s,
                reduce=reduce,
            )
            ref = torch.from_numpy(x).scatter(
                0,
                torch.from_numpy(index),
                torch.from_numpy(s) if isinstance(s, np.ndarray) else s,
                reduce=reduce,
            )
            np.testing.assert_allclose(ours.numpy(), ref.numpy())
        a = tg.tensor(x, requires_grad=True)
        a.scatter(0, tg.from_numpy(index), tg.from_numpy(src), reduce=reduce).sum().backward()
        b = tg.tensor(x, requires_grad=True)
        b.scatter_reduce(0, tg.from_numpy(index), tg.from_numpy(src), name).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())


def test_integer_and_nan_reductions_match_torch():
    x = np.arange(6).reshape(2, 3)
    index = np.zeros((2, 3), dtype=np.int64)
    src = np.array([[-1, -2, -3], [-4, -4, -4]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            ours = tg.from_numpy(x).scatter_reduce(
                0, tg.from_numpy(index), tg.from_numpy(src), reduce, include_self=include_self
            )
            ref = torch.from_numpy(x).scatter_reduce(
                0, torch.from_numpy(index), torch.from_numpy(src), reduce, include_self=include_self
            )
            assert ours.dtype == tg.int64
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    src = np.array([[1.0, np.nan, 3.0], [4.0, 4.0, 4.0]])
    for reduce in ("amax", "amin", "sum", "mean"):
        ours = tg.from_numpy(x * 1.0).scatter_reduce(
            0, tg.from_numpy(index), tg.tensor(src), reduce
        )
        ref = torch.from_numpy(x * 1.0).scatter_reduce(
            0, torch.from_numpy(index), torch.tensor(src), reduce
        )
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_in_place_index_ops_write_into_views_and_bump_versions():
    base = tg.zeros(3, 4)
    row = base[1]
    row.index_add_(0, tg.tensor([0, 0, 3]), tg.ones(3))
    assert base.tolist()[1] == [2.0, 0.0, 0.0, 1.0] and base._version == 1
    base.put_(tg.tensor([0, -1]), tg.tensor([5.0, 6.0]))
    base.index_put_((tg.tensor([2]), tg.tensor([1])), tg.tensor(7.0), accumulate=True)
    base.T.index_fill_(0, tg.tensor([2]), -1.0)  # a transposed view: fills column 2
    expected = torch.zeros(3, 4)
    expected[1].index_add_(0, torch.tensor([0, 0, 3]), torch.ones(3))
    expected.put_(torch.tensor([0, -1]), torch.tensor([5.0, 6.0]))
    expected.index_put_((torch.tensor([2]), torch.tensor([1])), torch.tensor(7.0), accumulate=True)
    expected.T.index_fill_(0, torch.tensor([2]), -1.0)
    np.testing.assert_array_equal(base.numpy(), expected.numpy())
    assert base._version == 4


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: x.index_add_(0, lib.tensor([0]), lib.ones(1, 3)),
        lambda lib, x: x.index_put_((lib.tensor([0]),), lib.tensor(1.0)),
        lambda lib, x: x.scatter_reduce_(0, lib.tensor([[0]]), lib.ones(1, 1), "amax"),
        lambda lib, x: x.masked_scatter_(x > 0, lib.ones(6)),
        lambda lib, x: x.put_(lib.tensor([0]), lib.ones(1)),
    ],
)
def test_in_place_index_ops_on_a_leaf_that_requires_grad_raise(call):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="leaf"):
            call(lib, lib.zeros(2, 3, requires_grad=True))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda lib, x: lib.take(x, lib.tensor([6])), IndexError),
        (lambda lib, x: lib.take(x, lib.tensor([-7])), IndexError),
        (lambda lib, x: lib.take(x, lib.tensor([1.0])), RuntimeError),
        (lambda lib, x: lib.take(x, lib.tensor([1], dtype=lib.int32)), RuntimeError),
        (lambda lib, x: x.put(lib.tensor([7]), lib.tensor([9.0])), IndexError),
        (lambda lib, x: x.put(lib.tensor([1, 2]), lib.tensor([9.0])), IndexError),
        (lambda lib, x: x.put(lib.tensor([1]), lib.tensor([9.0], dtype=lib.float64)), RuntimeError),
        (lambda lib, x: x.index_add(0, lib.tensor([-1]), lib.ones(1, 3)), RuntimeError),
        (lambda lib, x: x.index_add(0, lib.tensor([2]), lib.ones(1, 3)), RuntimeError),
        (lambda lib, x: x.index_add(0, lib.tensor([1]), lib.ones(2, 3)), RuntimeError),
        (lambda lib, x: x.index_add(0, lib.tensor([[1]]), lib.ones(1, 3)), IndexError),
        (lambda lib, x: x.index_add(0, lib.tensor([1.0]), lib.ones(1, 3)), RuntimeError),
        (
            lambda lib, x: x.index_add(0, lib.tensor([1]), lib.ones(1, 3, dtype=lib.float64)),
            RuntimeError,
        ),
        (lambda lib, x: x.index_copy(1, lib.tensor([-1]), lib.ones(2, 1)), IndexError),
        (lambda lib, x: x.index_copy(1, lib.tensor([5]), lib.ones(2, 1)), IndexError),
        (lambda lib, x: x.index_fill(1, lib.tensor([3]), -1.0), IndexError),
        (lambda lib, x: x.index_fill(1, lib.tensor([0]), lib.tensor([2.0])), RuntimeError),
        (lambda lib, x: x.index_fill(1, lib.tensor([[0]]), 2.0), RuntimeError),
        (lambda lib, x: x.index_reduce(1, lib.tensor([0]), lib.ones(2, 1), "sum"), RuntimeError),
        (lambda lib, x: x.index_reduce(1, lib.tensor([3]), lib.ones(2, 1), "prod"), IndexError),
        (lambda lib, x: x.index_put((lib.tensor([3]),), lib.tensor(1.0)), IndexError),
        (lambda lib, x: x.index_put((lib.tensor([0]),), lib.tensor([1.0, 2.0])), RuntimeError),
        (lambda lib, x: x.index_put((lib.tensor([1.0]),), lib.tensor(1.0)), IndexError),
        (
            lambda lib, x: x.index_put((lib.tensor([1]),), lib.tensor(1.0, dtype=lib.float64)),
            RuntimeError,
        ),
        (
            lambda lib, x: x.index_put((lib.tensor([1]),) * 3, lib.tensor(1.0)),
            IndexError,
        ),
        (
            lambda lib, x: x.scatter_reduce(1, lib.tensor([[3]]), lib.ones(2, 1), "sum"),
            RuntimeError,
        ),
        (
            lambda lib, x: x.scatter_reduce(1, lib.tensor([[0]]), lib.ones(2, 1), "add"),
            RuntimeError,
        ),
        (
            lambda lib, x: x.scatter_reduce(
                1, lib.tensor([[0]]), lib.ones(2, 1, dtype=lib.int64), "sum"
            ),
            RuntimeError,
        ),
        (lambda lib, x: x.masked_scatter(x > 3, lib.arange(1.0)), RuntimeError),
        (lambda lib, x: x.masked_scatter((x > 3).float(), lib.arange(9.0)), RuntimeError),
        (lambda lib, x: x.masked_scatter(x > 3, lib.arange(9)), RuntimeError),
        (lambda lib, x: lib.masked_select(x, lib.tensor([1, 0, 1])), RuntimeError),
        (lambda lib, x: lib.select_scatter(x, lib.ones(4), 1, 0), RuntimeError),
        (lambda lib, x: lib.select_scatter(x, lib.ones(2), 1, 5), IndexError),
        (lambda lib, x: lib.slice_scatter(x, lib.ones(2, 3), 1, 0, None, 2), RuntimeError),
        (lambda lib, x: lib.diagonal_scatter(x, lib.ones(3)), RuntimeError),
    ],
)
def test_bad_index_arguments_raise_like_torch(call, error):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(error):
        call(torch, torch.tensor(x, dtype=torch.float32))
    with pytest.raises(error, match=r"\d|reduce|mask"):  # names the sizes, values or argument
        call(tg, tg.tensor(x, dtype=tg.float32))


# ---------------------------------------------------------------------- results without gradient


def test_nonzero_argwhere_isin_and_index_tables_match_torch():
    x = np.array([[0, 1, 0], [2, 0, 3]])
    cases = [
        lambda lib: lib.nonzero(lib.tensor(x)),
        lambda lib: lib.tensor(x).nonzero(as_tuple=True),
        lambda lib: lib.nonzero(lib.tensor(3)),
        lambda lib: lib.nonzero(lib.tensor(0)),
        lambda lib: lib.nonzero(lib.tensor(3), as_tuple=True),
        lambda lib: lib.nonzero(lib.zeros(0, 2)),
        lambda lib: lib.argwhere(lib.tensor(x > 0)),
        lambda lib: lib.tensor(x).argwhere(),
        lambda lib: lib.isin(lib.tensor(x), lib.tensor([1, 3, 7])),
        lambda lib: lib.isin(lib.tensor(x), 2, invert=True),
        lambda lib: lib.isin(2, lib.tensor(x)),
        lambda lib: lib.isin(lib.tensor([1.0, float("nan"), 2.0]), lib.tensor([float("nan"), 2])),
        lambda lib: lib.isin(lib.tensor([1, 2]), lib.tensor([1.5, 2.0]), assume_unique=True),
        lambda lib: lib.tril_indices(3, 4),
        lambda lib: lib.tril_indices(4, 3, -1),
        lambda lib: lib.triu_indices(3, 4, 1),
        lambda lib: lib.triu_indices(3, 3, -5, dtype=lib.int32),
        lambda lib: lib.tril_indices(0, 4),
        lambda lib: lib.unravel_index(lib.tensor([5, -1, 6, 13]), (2, 3)),
        lambda lib: lib.unravel_index(lib.tensor([[4, 0], [1, 2]]), (2, 1, 3)),
        lambda lib: lib.unravel_index(lib.tensor(4), (2, 3)),
        lambda lib: lib.unravel_index(lib.tensor([4], dtype=lib.int32), (5,)),
    ]
    for fn in cases:
        ours, theirs = fn(tg), fn(torch)
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert tuple(a.shape) == tuple(b.shape)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda lib: lib.tril_indices(-1, 4), RuntimeError),
        (lambda lib: lib.triu_indices(3, -2), RuntimeError),
        (lambda lib: lib.tril_indices(3, 4, dtype=lib.float32), NotImplementedError),
        (lambda lib: lib.unravel_index(lib.tensor([4.0]), (2, 3)), TypeError),
        (lambda lib: lib.unravel_index(lib.tensor([4]), (2, -3)), ValueError),
    ],
)
def test_index_table_errors_like_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)


def test_index_ops_replay_under_compile_with_new_data():
    """The data-dependent parts (mask counts, positions, bounds checks) go through the
    recorder: a replay on new values gives eager's results, and a bad index still raises. A
    mask's count sizes results, so it is a guard: masks with as many True values replay."""

    def step(x, m, i):
        a = x.masked_select(m).sum() + x.masked_scatter(m, x.flip(0)).sum()
        b = (
            x.index_add(0, i, x[:2] * 2).sum()
            + x.scatter_reduce(0, i.unsqueeze(1).expand(2, 3), x[:2], "amax").sum()
        )
        c = x.take(i).sum() + x.nonzero().sum() + x.index_fill(1, i, 0.5).sum()
        return a + b + c

    compiled = tg.compile(step, fullgraph=True)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal((3, 3)))
        m = tg.tensor(rng.permutation(9).reshape(3, 3) < 4)  # four True values each time
        i = tg.tensor(rng.integers(0, 3, 2))
        np.testing.assert_allclose(compiled(x, m, i).numpy(), step(x, m, i).numpy())
    assert compiled.replays >= 2
    with pytest.raises(RuntimeError):
        compiled(x, m, tg.tensor([0, 3]))
