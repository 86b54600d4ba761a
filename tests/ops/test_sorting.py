"""Sorting and searching (tensorgrad/ops/sorting.py) against PyTorch.

sort, topk and kthvalue are in the op table (float64 gradcheck, forward and gradients against
PyTorch under a random upstream gradient, non-contiguous inputs) on distinct values, where
PyTorch's indices are fully specified. Below the table: exact comparisons over int, float and
bool dtypes, dims, keepdim, empty tensors, duplicates and NaN for every op, and the errors.

Ties: PyTorch specifies the order of equal elements only for ``sort(stable=True)`` (and so
``argsort(stable=True)``); for ``stable=False``, ``topk`` and ``kthvalue`` the tests check the
values exactly and that the indices point at those values, not which of the tied indices.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import BINARY, UNARY, OpSpec, distinct, make_tests

torch = pytest.importorskip("torch")

# PyTorch warns that it copies non-contiguous searchsorted inputs; those inputs are on purpose
pytestmark = pytest.mark.filterwarnings("ignore:torch.searchsorted.*non-contiguous:UserWarning")

ND = [((3,),), ((2, 3),), ((4, 2, 3),)]  # dim 0 of size >= 2 ... and a dim -1
ND1 = [((2, 3),), ((4, 2, 3),), ((3, 1),)]  # ... and a dim 1
ROWS3 = [((2, 3),), ((4, 2, 3),), ((5, 3),)]  # a last dim of size 3

OPS = [
    # ------------------------------------------------------------------ sort
    OpSpec("sort", lambda lib, x: tuple(x.sort()), gen=distinct),
    OpSpec("sort", lambda lib, x: tuple(x.sort(0)), ND + [((),)], gen=distinct),
    OpSpec("sort", lambda lib, x: tuple(lib.sort(x, -1, True)), UNARY, gen=distinct),
    OpSpec("sort", lambda lib, x: x.sort(dim=1, descending=True).values, ND1, gen=distinct),
    OpSpec(
        "sort",
        lambda lib, x: tuple(lib.sort(x, stable=True, dim=0, descending=True)),
        ND,
        gen=distinct,
    ),
    # ties: stable=True is specified, so indices and gradients must match PyTorch's
    OpSpec(
        "sort",
        lambda lib, x: tuple(x.expand(3, *x.shape).sort(dim=0, stable=True)),
        ND,
        gen=distinct,
    ),
    OpSpec(
        "sort",
        lambda lib, x: tuple(x.repeat(1, 2).sort(stable=True, descending=True)),
        [((2, 3),), ((3, 1),)],
        gen=distinct,
    ),
    # broadcast inputs: the gradient of a broadcast operand is summed back
    OpSpec(
        "sort",
        lambda lib, x, y: (x + y).sort(0).values,
        [c for c in BINARY if len(c[0]) >= 1 and len(c[1]) >= 1],
        gen=distinct,
    ),
    # ------------------------------------------------------------------ topk
    OpSpec("topk", lambda lib, x: tuple(x.topk(1)), gen=distinct),
    OpSpec("topk", lambda lib, x: tuple(lib.topk(x, 2, 0)), ND, gen=distinct),
    OpSpec("topk", lambda lib, x: tuple(x.topk(2, largest=False)), ROWS3, gen=distinct),
    OpSpec("topk", lambda lib, x: tuple(x.topk(3, dim=-1, sorted=True)), ROWS3, gen=distinct),
    OpSpec("topk", lambda lib, x: x.topk(1, 1, False, True).values, ND1, gen=distinct),
    OpSpec("topk", lambda lib, x: tuple(x.topk(0, -1)), ROWS3, gen=distinct),
    OpSpec("topk", lambda lib, x, y: lib.topk(x * y, 2, dim=-1).values, BINARY[:2], gen=distinct),
    # ------------------------------------------------------------------ kthvalue
    OpSpec("kthvalue", lambda lib, x: tuple(x.kthvalue(1)), gen=distinct),
    OpSpec("kthvalue", lambda lib, x: tuple(lib.kthvalue(x, 2, 0)), ND, gen=distinct),
    OpSpec("kthvalue", lambda lib, x: tuple(x.kthvalue(3, -1, True)), ROWS3, gen=distinct),
    OpSpec(
        "kthvalue", lambda lib, x: x.kthvalue(1, dim=1, keepdim=False).values, ND1, gen=distinct
    ),
    OpSpec(
        "kthvalue", lambda lib, x: tuple(x.kthvalue(2, dim=-2, keepdim=True)), ND1[:2], gen=distinct
    ),
]


def distinct_with_nans(rng, shape):
    """``distinct`` values with about a third NaN in inputs of 2+ dims, the first element of
    every row (along the last dim) a number: nanmedian/nanquantile never see an all-NaN row."""
    x = distinct(rng, shape)
    if x.ndim < 2:  # 1-D inputs stay numbers (the q-level inputs of the quantile specs)
        return x
    nan = rng.random(shape) < 0.35
    nan[..., 0] = False
    return np.where(nan, np.nan, x)


def _q(lib, w):
    """Quantile levels in (0, 1) from a differentiable input: the gradient reaches q too."""
    return w.sigmoid()


Q3 = [((2, 5), (3,)), ((4, 2, 3), (3,))]

OPS += [
    # ------------------------------------------------------------------ median, nanmedian
    OpSpec("median", lambda lib, x: x.median(), gen=distinct),
    OpSpec("median", lambda lib, x: lib.median(x), [((2, 4),)], gen=distinct),
    OpSpec("median", lambda lib, x: tuple(x.median(0)), ND + [((),)], gen=distinct),
    OpSpec(
        "median", lambda lib, x: tuple(lib.median(x, -1, True)), ROWS3 + [((2, 4),)], gen=distinct
    ),
    OpSpec("median", lambda lib, x: x.median(dim=1).values, ND1, gen=distinct),
    OpSpec("nanmedian", lambda lib, x: x.nanmedian(), gen=distinct),
    OpSpec(
        "nanmedian", lambda lib, x: tuple(x.nanmedian(-1)), ND + [((),)], gen=distinct_with_nans
    ),
    OpSpec("nanmedian", lambda lib, x: lib.nanmedian(x, 1, keepdim=True).values, ND1, gen=distinct),
    # ------------------------------------------------------------------ mode
    OpSpec("mode", lambda lib, x: tuple(x.mode()), gen=distinct),
    OpSpec("mode", lambda lib, x: tuple(lib.mode(x, 0, True)), ND, gen=distinct),
    OpSpec("mode", lambda lib, x: x.mode(dim=1).values, ND1, gen=distinct),
    # ------------------------------------------------------------------ quantile, nanquantile
    OpSpec("quantile", lambda lib, x: x.quantile(0.3), gen=distinct),
    OpSpec("quantile", lambda lib, x: lib.quantile(x, 0.5, dim=0), ND + [((),)], gen=distinct),
    OpSpec("quantile", lambda lib, x: x.quantile(1.0, -1, keepdim=True), ND1, gen=distinct),
    OpSpec("quantile", lambda lib, x, w: x.quantile(_q(lib, w)), Q3, gen=distinct),
    OpSpec("quantile", lambda lib, x, w: x.quantile(_q(lib, w), 1, keepdim=True), Q3, gen=distinct),
    OpSpec("quantile", lambda lib, x, w: lib.quantile(x, _q(lib, w), None, True), Q3, gen=distinct),
    *[
        OpSpec(
            "quantile",
            lambda lib, x, w, how=how: x.quantile(_q(lib, w), -1, interpolation=how),
            Q3,
            gen=distinct,
        )
        for how in ("lower", "higher", "midpoint", "nearest")
    ],
    OpSpec("nanquantile", lambda lib, x: x.nanquantile(0.7), ND, gen=distinct_with_nans),
    OpSpec(
        "nanquantile",
        lambda lib, x, w: x.nanquantile(_q(lib, w), dim=-1),
        Q3,
        gen=distinct_with_nans,
    ),
    OpSpec(
        "nanquantile",
        lambda lib, x: lib.nanquantile(x, 0.25, 1, True, interpolation="midpoint"),
        [((2, 3),), ((3, 1),), ((2, 4),)],
        gen=distinct_with_nans,
    ),
]

OPS += [
    OpSpec("msort", lambda lib, x: x.msort(), ND + [((),)], gen=distinct),
    OpSpec("msort", lambda lib, x: lib.msort(x), [((5, 2),)], gen=distinct),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- helpers

INT_DTYPES = [np.int64, np.int32, np.int16, np.uint8]
FLOAT_DTYPES = [np.float32, np.float64]
SHAPES = [(), (7,), (3, 5), (2, 4, 6), (0,), (3, 0), (0, 4)]


def _pair(a):
    return tg.tensor(a), torch.from_numpy(
        np.array(a, copy=True)
    )  # np.ascontiguousarray makes 0-d 1-d


def _same(ours, theirs, what=""):
    """Exact equality of a tensor or a (named) tuple of tensors: type, shape, dtype, values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{what}: {ours}"
        if hasattr(theirs, "_fields"):
            assert ours._fields == ("values", "indices")
        for a, b in zip(ours, theirs):
            _same(a, b, what)
        return
    assert isinstance(ours, tg.Tensor), f"{what}: got {type(ours).__name__}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: {ours.shape} vs {theirs.shape}"
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (
        f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    )
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=what)


def _duplicates(rng, shape, dtype):
    """Values from a small range, so every row has ties."""
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    return rng.integers(0, 4, shape).astype(dtype)


def _dims(shape):
    return [None] if not shape else [0, -1, *range(1, len(shape))]


def _raises_like_torch(fn, exc=RuntimeError, match=None):
    """fn(lib) raises ``exc`` in PyTorch and in tensorgrad."""
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(tg)


# ---------------------------------------------------------------------- sort, argsort


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES + [np.bool_])
@pytest.mark.parametrize("shape", SHAPES)
def test_stable_sort_matches_torch_with_ties(dtype, shape):
    x, tx = _pair(_duplicates(np.random.default_rng(0), shape, dtype))
    for dim in _dims(shape):
        for desc in (False, True):
            kw = {} if dim is None else {"dim": dim}
            what = f"{dtype.__name__} {shape} dim={dim} descending={desc}"
            _same(
                x.sort(**kw, descending=desc, stable=True),
                tx.sort(**kw, descending=desc, stable=True),
                what,
            )
            _same(
                tg.argsort(x, **kw, descending=desc, stable=True),
                torch.argsort(tx, **kw, descending=desc, stable=True),
                what,
            )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.int64, np.uint8])
def test_unstable_sort_values_match_and_indices_point_at_them(dtype):
    a = _duplicates(np.random.default_rng(1), (4, 9), dtype)
    x, tx = _pair(a)
    for dim in (0, 1):
        for desc in (False, True):
            v, i = tg.sort(x, dim, desc)
            _same(v, torch.sort(tx, dim, desc).values)
            np.testing.assert_array_equal(np.take_along_axis(a, i.numpy(), dim), v.numpy())
            np.testing.assert_array_equal(np.sort(i.numpy(), dim), np.indices(a.shape)[dim])
            # tensorgrad's default order is the stable one
            _same(x.argsort(dim, desc), torch.argsort(tx, dim=dim, descending=desc, stable=True))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sort_puts_nan_last_ascending_and_first_descending(dtype):
    a = np.array([[1.0, np.nan, -np.inf, 2.0, np.nan, np.inf, 1.0, -0.0, 0.0]], dtype=dtype)
    x, tx = _pair(a)
    for desc in (False, True):
        _same(x.sort(descending=desc, stable=True), tx.sort(descending=desc, stable=True))
        _same(tg.topk(x, 4, largest=desc).values, torch.topk(tx, 4, largest=desc).values)
    _same(x.kthvalue(9).values, tx.kthvalue(9).values)
    _same(x.kthvalue(7), tx.kthvalue(7))


def test_sort_gradient_scatters_back_through_indices():
    a = np.array([[0.3, -1.0, 2.0], [5.0, 4.0, -3.0]])
    x = tg.tensor(a, requires_grad=True)
    v, i = x.sort(1, descending=True)
    g = np.arange(6.0).reshape(2, 3)
    v.backward(tg.tensor(g))
    expected = np.zeros_like(a)
    np.put_along_axis(expected, i.numpy(), g, 1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert not i.requires_grad and i.grad_fn is None


def test_namedtuple_results():
    x = tg.tensor([[3.0, 1.0, 2.0]])
    for out in (x.sort(), x.topk(2), x.kthvalue(2), tg.sort(x), tg.topk(x, 1), tg.kthvalue(x, 1)):
        values, indices = out
        assert out.values is values and out.indices is indices
        assert indices.dtype == tg.int64


# ---------------------------------------------------------------------- topk


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 4, 6)])
def test_topk_distinct_values_match_torch(dtype, shape):
    rng = np.random.default_rng(2)
    n = int(np.prod(shape))
    a = rng.permutation(n).reshape(shape).astype(dtype)
    x, tx = _pair(a)
    for dim in _dims(shape):
        size = shape[dim] if shape else 1
        for k in sorted({0, 1, size // 2, size}):
            for largest in (True, False):
                kw = {} if dim is None else {"dim": dim}
                _same(
                    x.topk(k, **kw, largest=largest),
                    tx.topk(k, **kw, largest=largest),
                    f"{shape} dim={dim} k={k} largest={largest}",
                )


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_topk_with_ties_values_match_and_indices_point_at_them(dtype):
    a = _duplicates(np.random.default_rng(3), (5, 40), dtype)
    x, tx = _pair(a)
    for k in (1, 7, 40):
        for largest in (True, False):
            v, i = x.topk(k, largest=largest)
            _same(v, tx.topk(k, largest=largest).values)
            np.testing.assert_array_equal(np.take_along_axis(a, i.numpy(), 1), v.numpy())
            assert all(len(set(row)) == k for row in i.numpy().tolist())
            # ties go to the lower index: a stable sort's first k
            _same(i, tx.sort(descending=largest, stable=True).indices[:, :k])


def test_topk_unsorted_gives_the_same_set():
    a = np.random.default_rng(4).permutation(30).reshape(3, 10).astype(np.float64)
    x, tx = _pair(a)
    v, i = x.topk(4, sorted=False)
    tv, ti = tx.topk(4, sorted=False)
    np.testing.assert_array_equal(np.sort(v.numpy(), 1), np.sort(tv.numpy(), 1))
    np.testing.assert_array_equal(np.sort(i.numpy(), 1), np.sort(ti.numpy(), 1))


def test_topk_of_empty_tensors():
    for shape, k, dim in [((0,), 0, 0), ((2, 0), 0, -1), ((0, 3), 2, 1), ((2, 0), 0, 0)]:
        x, tx = _pair(np.zeros(shape, np.float32))
        _same(x.topk(k, dim), tx.topk(k, dim), f"{shape} k={k} dim={dim}")


# ---------------------------------------------------------------------- kthvalue


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 4, 6)])
def test_kthvalue_distinct_values_match_torch(dtype, shape):
    a = np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape).astype(dtype)
    x, tx = _pair(a)
    for dim in _dims(shape):
        size = shape[dim] if shape else 1
        for k in sorted({1, (size + 1) // 2, size}):
            for keepdim in (False, True):
                kw = {} if dim is None else {"dim": dim}
                _same(
                    x.kthvalue(k, **kw, keepdim=keepdim),
                    tx.kthvalue(k, **kw, keepdim=keepdim),
                    f"{shape} dim={dim} k={k} keepdim={keepdim}",
                )


def test_kthvalue_with_ties_value_matches_and_index_points_at_it():
    a = _duplicates(np.random.default_rng(6), (6, 11), np.float64)
    x, tx = _pair(a)
    for k in (1, 4, 11):
        v, i = x.kthvalue(k, 1, keepdim=True)
        _same(v, tx.kthvalue(k, 1, keepdim=True).values)
        np.testing.assert_array_equal(np.take_along_axis(a, i.numpy(), 1), v.numpy())
        _same(i, tx.sort(dim=1, stable=True).indices[:, k - 1 : k])  # the stable sort's k-th


def test_kthvalue_of_empty_tensor_along_a_nonempty_dim():
    x, tx = _pair(np.zeros((0, 2)))
    _same(x.kthvalue(1, 1), tx.kthvalue(1, 1))
    _same(x.kthvalue(2, 1, True), tx.kthvalue(2, 1, True))


# ---------------------------------------------------------------------- searchsorted

SEQ = np.array([1.0, 2.0, 2.0, 2.0, 3.5, 7.0, 7.0])
VALS = np.array([[-1.0, 1.0, 2.0, 2.5], [3.5, 7.0, 8.0, 2.0]])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"right": True},
        {"side": "left"},
        {"side": "right"},
        {"right": True, "side": "right"},
        {"out_int32": True},
    ],
)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.int64, np.int32])
def test_searchsorted_1d_sequence_matches_torch(kw, dtype):
    seq, tseq = _pair(SEQ.astype(dtype))
    v, tv = _pair(VALS.astype(dtype))
    _same(tg.searchsorted(seq, v, **kw), torch.searchsorted(tseq, tv, **kw))
    _same(tg.searchsorted(seq, v[0], **kw), torch.searchsorted(tseq, tv[0], **kw))
    _same(tg.searchsorted(seq, v[0, 2], **kw), torch.searchsorted(tseq, tv[0, 2], **kw))
    for scalar in (2, 2.5, -3, 100):
        _same(tg.searchsorted(seq, scalar, **kw), torch.searchsorted(tseq, scalar, **kw))


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_batched_sequences_match_torch(right):
    rng = np.random.default_rng(7)
    seq = np.sort(rng.integers(0, 6, (2, 3, 8)), -1).astype(np.float32)
    vals = rng.integers(-1, 7, (2, 3, 5)).astype(np.float32)
    (s, ts), (v, tv) = _pair(seq), _pair(vals)
    _same(tg.searchsorted(s, v, right=right), torch.searchsorted(ts, tv, right=right))
    _same(tg.searchsorted(s[0], v[0], right=right), torch.searchsorted(ts[0], tv[0], right=right))
    # non-contiguous inputs
    _same(
        tg.searchsorted(s.transpose(0, 1), v.transpose(0, 1), right=right),
        torch.searchsorted(ts.transpose(0, 1), tv.transpose(0, 1), right=right),
    )


def test_searchsorted_with_sorter_empty_nan_and_unsorted_input_match_torch():
    rng = np.random.default_rng(8)
    raw = rng.standard_normal((3, 6))
    order = np.argsort(raw, -1)
    vals = rng.standard_normal((3, 4))
    (r, tr), (o, to), (v, tv) = _pair(raw), _pair(order), _pair(vals)
    for side in ("left", "right"):
        _same(
            tg.searchsorted(r, v, side=side, sorter=o),
            torch.searchsorted(tr, tv, side=side, sorter=to),
        )
    # the bisection is PyTorch's step for step, so even unsorted rows and NaN agree
    _same(tg.searchsorted(r, v), torch.searchsorted(tr, tv))
    nan = np.array([1.0, np.nan, 3.0, np.nan])
    (s, ts), (q, tq) = _pair(nan), _pair(np.array([np.nan, 2.0, 5.0, 1.0]))
    _same(tg.searchsorted(s, q), torch.searchsorted(ts, tq))
    _same(tg.searchsorted(s, q, right=True), torch.searchsorted(ts, tq, right=True))
    (e, te), (ev, tev) = _pair(np.zeros(0)), _pair(np.zeros((2, 0)))
    _same(tg.searchsorted(e, v), torch.searchsorted(te, tv))
    _same(tg.searchsorted(r[:, :0], v[:, :1]), torch.searchsorted(tr[:, :0], tv[:, :1]))
    _same(tg.searchsorted(r[:2], ev), torch.searchsorted(tr[:2], tev))


def test_searchsorted_is_a_function_only_and_has_no_gradient():
    assert not hasattr(tg.Tensor, "searchsorted") or hasattr(torch.Tensor, "searchsorted")
    out = tg.searchsorted(tg.tensor([1.0, 2.0]), tg.tensor([1.5], requires_grad=True))
    assert not out.requires_grad


# ---------------------------------------------------------------------- bincount


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_bincount_matches_torch(dtype):
    a = np.random.default_rng(9).integers(0, 6, 20).astype(dtype)
    x, tx = _pair(a)
    _same(tg.bincount(x), torch.bincount(tx))
    _same(x.bincount(minlength=3), tx.bincount(minlength=3))
    _same(x.bincount(minlength=10), tx.bincount(minlength=10))
    for wdtype in (np.float32, np.float64, np.int64, np.float16):
        w = np.random.default_rng(10).standard_normal(20).astype(wdtype)
        (tw_ours, tw) = _pair(w)
        out, tout = tg.bincount(x, tw_ours, 8), torch.bincount(tx, tw, 8)
        assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1]
        np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-5, atol=1e-5)


def test_bincount_of_empty_input():
    x, tx = _pair(np.zeros(0, np.int64))
    _same(x.bincount(), tx.bincount())
    _same(x.bincount(minlength=3), tx.bincount(minlength=3))
    w, tw = _pair(np.zeros(0, np.float32))
    _same(x.bincount(w, 2), tx.bincount(tw, 2))


def test_bincount_has_no_gradient():
    w = tg.tensor([0.5, 1.0], requires_grad=True)
    assert not tg.bincount(tg.tensor([1, 1]), w).requires_grad


# ---------------------------------------------------------------------- unique


def _unique_cases():
    rng = np.random.default_rng(11)
    yield _duplicates(rng, (4, 5), np.int64)
    yield _duplicates(rng, (3, 2, 4), np.float32)
    yield _duplicates(rng, (6,), np.uint8)
    yield rng.random((3, 4)) < 0.5
    yield np.array(2.5)
    yield np.zeros((0,), np.float64)
    yield np.zeros((0, 3), np.int32)
    yield np.array([[1.0, np.nan, 1.0, np.nan], [np.nan, 0.0, -0.0, 0.0]])
    yield np.array([[2, 1, 2], [3, 1, 2], [2, 1, 2], [3, 1, 2]])


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
@pytest.mark.parametrize("case", range(9))
def test_unique_and_unique_consecutive_match_torch(case, inverse, counts):
    a = list(_unique_cases())[case]
    x, tx = _pair(a)
    kw = dict(return_inverse=inverse, return_counts=counts)
    _same(tg.unique(x, **kw), torch.unique(tx, **kw), "unique")
    _same(x.unique(**kw), tx.unique(**kw), "unique method")
    _same(x.unique(sorted=False, **kw), tx.unique(sorted=True, **kw), "unique sorted=False")
    _same(tg.unique_consecutive(x, **kw), torch.unique_consecutive(tx, **kw), "consecutive")
    _same(x.unique_consecutive(**kw), tx.unique_consecutive(**kw), "consecutive method")
    # PyTorch orders slices holding NaN with std::sort on `<`, which is no ordering there:
    # unique(dim=...) of such slices is unspecified, so only unique_consecutive is compared
    nan_slices = a.dtype.kind == "f" and bool(np.isnan(a).any())
    for dim in range(-a.ndim, a.ndim):
        if 0 in a.shape and a.shape[dim] != 0:
            continue  # PyTorch refuses: see test_unique_errors
        if not nan_slices:
            _same(tg.unique(x, dim=dim, **kw), torch.unique(tx, dim=dim, **kw), f"dim={dim}")
        _same(
            tg.unique_consecutive(x, dim=dim, **kw),
            torch.unique_consecutive(tx, dim=dim, **kw),
            f"consecutive dim={dim}",
        )


def test_unique_sorted_false_returns_the_sorted_unique_values():
    a = np.array([3, 1, 3, 2, 1])
    x, tx = _pair(a)
    out, inv = x.unique(sorted=False, return_inverse=True)
    tout = torch.unique(tx, sorted=False)
    np.testing.assert_array_equal(np.sort(out.numpy()), np.sort(tout.numpy()))
    np.testing.assert_array_equal(out.numpy()[inv.numpy()], a)  # PyTorch's contract
    np.testing.assert_array_equal(out.numpy(), [1, 2, 3])


def test_unique_has_no_gradient():
    x = tg.tensor([1.0, 2.0, 1.0], requires_grad=True)
    assert not tg.unique(x).requires_grad
    assert not tg.unique_consecutive(x).requires_grad
    assert not tg.argsort(x).requires_grad


# ---------------------------------------------------------------------- errors


def test_sort_topk_kthvalue_errors():
    x = np.arange(6.0).reshape(2, 3)

    def on(lib):
        return tg.tensor(x) if lib is tg else torch.tensor(x)

    _raises_like_torch(lambda lib: on(lib).sort(2), IndexError, "Dimension out of range")
    _raises_like_torch(lambda lib: lib.argsort(on(lib), -3), IndexError, "Dimension out of range")
    _raises_like_torch(lambda lib: on(lib).topk(4), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).topk(-1), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).topk(3, dim=0), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).topk(1, 2), IndexError, "Dimension out of range")
    _raises_like_torch(lambda lib: on(lib).topk(1.0), TypeError, "must be int")
    _raises_like_torch(lambda lib: on(lib).kthvalue(0), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).kthvalue(4), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).kthvalue(3, 0), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib).kthvalue(1, -3), IndexError, "Dimension out of range")
    _raises_like_torch(lambda lib: on(lib)[:, :0].kthvalue(1), IndexError, "non-zero size")
    _raises_like_torch(lambda lib: on(lib)[0, 0].topk(2), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: on(lib)[0, 0].kthvalue(2), RuntimeError, "k out of range")
    _raises_like_torch(lambda lib: (on(lib) > 1).topk(1), RuntimeError, "bool")
    _raises_like_torch(lambda lib: (on(lib) > 1).kthvalue(1), RuntimeError, "bool")


def test_searchsorted_errors():
    seq2 = np.array([[1.0, 2.0], [3.0, 4.0]])

    def t(lib, a):
        return tg.tensor(a) if lib is tg else torch.tensor(a)

    def ss(*args, **kw):
        return lambda lib: lib.searchsorted(*[t(lib, a) for a in args], **kw)

    one, vals = np.array([1.0, 2.0, 3.0]), np.array([2.0])
    _raises_like_torch(ss(one, vals, side="left", right=True), match="opposites")
    _raises_like_torch(ss(one, vals, side="middle"), match="'left' or 'right'")
    _raises_like_torch(ss(np.array(1.0), vals), match="positive dimension")
    _raises_like_torch(ss(seq2, vals), match="first N-1 dimensions")
    _raises_like_torch(ss(seq2, np.array([[2.0]])), match="first N-1 dimensions")
    _raises_like_torch(lambda lib: lib.searchsorted(t(lib, seq2), 2.0), match="scalar")
    _raises_like_torch(
        lambda lib: lib.searchsorted(t(lib, one), t(lib, vals), sorter=t(lib, [0, 1])),
        match="same size",
    )
    _raises_like_torch(
        lambda lib: lib.searchsorted(t(lib, one), t(lib, vals), sorter=t(lib, [0, 1, 5])),
        match="out of range",
    )
    _raises_like_torch(
        lambda lib: lib.searchsorted(t(lib, one), t(lib, vals), sorter=t(lib, [0.0, 1.0, 2.0])),
        match="long",
    )


def test_bincount_errors():
    def t(lib, a):
        return tg.tensor(a) if lib is tg else torch.tensor(a)

    msg = "1-d non-negative integral"
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [[1, 2]])), match=msg)
    _raises_like_torch(lambda lib: lib.bincount(t(lib, 1)), match=msg)
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [1, -1])), match=msg)
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [1.0, 2.0])), match=msg)
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [True])), match=msg)
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [1, 2]), minlength=-1), match="minlength")
    _raises_like_torch(lambda lib: lib.bincount(t(lib, [1, 2]), t(lib, [1.0])), match="weights")
    _raises_like_torch(
        lambda lib: lib.bincount(t(lib, [1, 2]), t(lib, [[1.0, 2.0]])), match="weights"
    )


def test_unique_errors():
    def t(lib, a):
        return tg.tensor(a) if lib is tg else torch.tensor(a)

    x = np.arange(6).reshape(2, 3)
    for name in ("unique", "unique_consecutive"):
        _raises_like_torch(
            lambda lib, name=name: getattr(lib, name)(t(lib, x), dim=2),
            IndexError,
            "Dimension out of range",
        )
        _raises_like_torch(
            lambda lib, name=name: getattr(lib, name)(t(lib, 3), dim=0), IndexError, "no dimensions"
        )
        _raises_like_torch(
            lambda lib, name=name: getattr(lib, name)(t(lib, np.zeros((3, 0))), dim=0),
            RuntimeError,
            "0 sized dimensions",
        )


# ---------------------------------------------------------------------- median, mode, quantile


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 4, 5), (1,)])
def test_median_and_mode_with_ties_match_torch(dtype, shape):
    """Values from a small range: ties everywhere. PyTorch's median and mode indices on the
    CPU are reproduced (mode: the last occurrence; median: the stable sort's middle)."""
    a = _duplicates(np.random.default_rng(1), shape, dtype)
    x, tx = _pair(a)
    _same(x.median(), tx.median(), "median()")
    _same(x.nanmedian(), tx.nanmedian(), "nanmedian()")
    for dim in _dims(shape):
        for keepdim in (False, True):
            for name in ("median", "nanmedian", "mode"):
                _same(
                    getattr(x, name)(dim, keepdim),
                    getattr(tx, name)(dim, keepdim),
                    f"{name}({dim}, {keepdim})",
                )


def test_median_with_nan_matches_torch():
    nan = np.nan
    a = np.array([[1.0, nan, 3.0, nan], [4.0, 2.0, 2.0, 1.0], [nan, nan, nan, nan], [2, 1, nan, 5]])
    x, tx = _pair(a)
    for name in ("median", "nanmedian"):
        _same(getattr(x, name)(), getattr(tx, name)(), name)
        for dim in (0, 1) if name == "median" else (0,):
            _same(getattr(x, name)(dim), getattr(tx, name)(dim), f"{name}({dim})")
    # an all-NaN row: nanmedian is NaN at the row's first index (PyTorch: wherever its
    # nth_element leaves a NaN, here index 2)
    values, indices = x.nanmedian(1)
    _same(values, tx.nanmedian(1).values)
    assert indices.tolist() == [0, 1, 0, 0]
    empty = tg.zeros(0).median(), torch.zeros(0).median()
    _same(*empty, "median of nothing")


def test_median_gradient_of_ties_is_shared_without_dim_and_indexed_with_dim():
    a = np.array([[3.0, 1.0, 3.0], [2.0, 3.0, 0.0]])
    g = np.array([[0.5, -1.0], [2.0, 1.5]])
    for fn, upstream in [
        (lambda x: x.median(), None),
        (lambda x: x.nanmedian(), None),
        (lambda x: x.median(1).values, g[0]),
        (lambda x: x.mode(0).values, g[1, :1].repeat(3)),
    ]:
        x = tg.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        out, tout = fn(x), fn(tx)
        if upstream is None:
            out.backward()
            tout.backward()
        else:
            out.backward(tg.tensor(upstream))
            tout.backward(torch.tensor(upstream))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_quantile_with_ties_nan_and_many_q_matches_torch(interpolation, dtype):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, (3, 4, 6)).astype(dtype)
    a[0, 0, 2] = a[2, 1, :] = np.nan
    q = np.array([0.0, 0.125, 0.5, 0.7, 1.0], dtype)
    x, tx = _pair(a)
    for name in ("quantile", "nanquantile"):
        for dim in (None, 0, 1, -1):
            for keepdim in (False, True):
                for qq, tq in ((q, q), (0.35, 0.35), (tg.tensor(q[2]), torch.tensor(q[2]))):
                    if isinstance(qq, np.ndarray):
                        qq, tq = tg.tensor(q), torch.tensor(q)
                    ours = getattr(x, name)(qq, dim, keepdim, interpolation=interpolation)
                    theirs = getattr(tx, name)(tq, dim, keepdim, interpolation=interpolation)
                    assert tuple(ours.shape) == tuple(theirs.shape), (name, dim, keepdim)
                    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
                    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_quantile_and_median_errors():
    calls = [
        lambda lib: lib.tensor([1, 2]).quantile(0.5),
        lambda lib: lib.ones(3).quantile(1.5),
        lambda lib: lib.ones(3).quantile(lib.tensor([0.5, -0.1])),
        lambda lib: lib.ones(3).quantile(lib.ones(2, 2) / 2),
        lambda lib: lib.ones(3).quantile(lib.tensor([0.5], dtype=lib.float64)),
        lambda lib: lib.zeros(0).quantile(0.5),
        lambda lib: lib.zeros(2, 0).median(1),
        lambda lib: lib.zeros(2, 0).mode(1),
        lambda lib: lib.ones(2).median(2),
        lambda lib: lib.tensor([True, False]).median(),
    ]
    for call in calls:
        _raises_like_torch(call, (RuntimeError, IndexError, ValueError))
    with pytest.raises(ValueError, match="interpolation"):
        tg.ones(3).quantile(0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match=r"range \[0, 1\]"):
        tg.ones(3).quantile(tg.tensor([0.5, 2.0]))


# ---------------------------------------------------------------------- bucketize, histc


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_bucketize_matches_torch(right, out_int32):
    b = np.array([1.0, 3.0, 3.0, 5.0, 9.0])
    v = np.array([[0.0, 1.0, 3.0, 4.0], [5.0, 9.0, 10.0, np.nan]])
    kw = dict(right=right, out_int32=out_int32)
    _same(
        tg.bucketize(tg.tensor(v), tg.tensor(b), **kw),
        torch.bucketize(torch.tensor(v), torch.tensor(b), **kw),
    )
    _same(tg.bucketize(3.0, tg.tensor(b), **kw), torch.bucketize(3.0, torch.tensor(b), **kw))
    with pytest.raises(RuntimeError, match="1 dimension"):
        tg.bucketize(tg.tensor(v), tg.tensor(v))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "values, kw",
    [
        ([1.0, 2.0, 1.0, 0.0, 3.0, 3.0, -1.0, 7.0], dict(bins=4, min=0, max=3)),
        ([2.0, 2.0], dict(bins=4)),
        ([0.1, 0.2, 0.3, 0.7, 0.9, 1.0], dict(bins=10, min=0.1, max=1.0)),
        ([5.0, -3.0, 2.5, np.nan, 0.0], dict(bins=7, min=-3, max=5)),
        ([5.0, -3.0, 2.5, 0.0, 0.1], dict(bins=7)),
        ([], dict(bins=3)),
    ],
)
def test_histc_matches_torch(dtype, values, kw):
    a = np.array(values, dtype)
    _same(tg.tensor(a).histc(**kw), torch.tensor(a).histc(**kw))
    _same(tg.histc(tg.tensor(a), **kw), torch.histc(torch.tensor(a), **kw))


def test_histc_of_random_data_matches_torch_and_has_no_gradient():
    a = np.random.default_rng(3).standard_normal((50, 4)).astype(np.float32)
    x = tg.tensor(a, requires_grad=True)
    _same(x.histc(13), torch.tensor(a).histc(13))
    _same(x.histc(8, -1.0, 1.0), torch.tensor(a).histc(8, -1.0, 1.0))
    assert not x.histc().requires_grad
    for call in (
        lambda lib: lib.tensor([1, 2]).histc(),
        lambda lib: lib.ones(3).histc(0),
        lambda lib: lib.ones(3).histc(4, 2.0, 1.0),
        lambda lib: lib.tensor([1.0, float("inf")]).histc(),
        lambda lib: lib.tensor([1.0, float("nan")]).histc(),
    ):
        _raises_like_torch(call)


# ---------------------------------------------------------------------- histogram


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "values, kw",
    [
        ([1.0, 2.0, 1.0, 4.0], dict(bins=4)),
        ([1.0, 2.0, 1.0, 4.0], dict(bins=4, range=(0.0, 3.0), density=True)),
        ([1.0, 1.0], dict(bins=2)),
        ([], dict(bins=2)),
        ([[1.0, 2.0], [3.0, 4.0]], dict(bins=2)),
        ([0.1, 0.2, 0.3, 0.7, 1.0, -0.4, 0.55], dict(bins=10, range=(-0.5, 1.0))),
        ([5.0, -3.0, 2.5, np.nan, 0.0], dict(bins=7, range=(-3, 5))),
    ],
)
def test_histogram_matches_torch(dtype, values, kw):
    a = np.array(values, dtype)
    ours, theirs = tg.histogram(tg.tensor(a), **kw), torch.histogram(torch.tensor(a), **kw)
    assert ours._fields == ("hist", "bin_edges")
    _same(ours.hist, theirs.hist)
    _same(ours.bin_edges, theirs.bin_edges)
    ours = tg.tensor(a).histogram(**kw)
    _same(ours.hist, theirs.hist)


def test_histogram_of_random_data_with_weights_and_edges_matches_torch():
    rng = np.random.default_rng(4)
    for dtype in FLOAT_DTYPES:
        a = rng.standard_normal((60, 3)).astype(dtype)
        w = rng.uniform(0, 2, (60, 3)).astype(dtype)
        edges = np.array([-2.0, -0.5, 0.0, 0.25, 1.5], dtype)
        for kw in (
            dict(bins=13),
            dict(bins=6, weight="w", density=True),
            dict(bins="edges"),
            dict(bins="edges", weight="w", density=True),
            dict(bins=5, range=(-1.0, 1.0), weight="w"),
        ):
            results = []
            for lib in (tg, torch):
                args = {k: v for k, v in kw.items()}
                if args.get("weight") == "w":
                    args["weight"] = lib.tensor(w)
                if args.get("bins") == "edges":
                    args["bins"] = lib.tensor(edges)
                results.append(lib.histogram(lib.tensor(a), **args))
            ours, theirs = results
            np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)
            assert ours.hist.dtype == getattr(tg, str(theirs.hist.dtype).split(".")[-1])
            np.testing.assert_array_equal(ours.bin_edges.numpy(), theirs.bin_edges.numpy())
    x = tg.tensor(a, requires_grad=True)
    assert not x.histogram(5).hist.requires_grad


def test_histogram_errors_like_torch():
    for call, exc in (
        (lambda lib: lib.histogram(lib.tensor([1, 2]), bins=2), NotImplementedError),
        (lambda lib: lib.histogram(lib.tensor([1.0, float("nan")]), bins=2), RuntimeError),
        (lambda lib: lib.histogram(lib.tensor([1.0, float("inf")]), bins=2), RuntimeError),
        (lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), bins=2, range=(3.0, 1.0)), RuntimeError),
        (lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), bins=0), RuntimeError),
    ):
        _raises_like_torch(call, exc)


def test_histogram_with_decreasing_edges_counts_nothing_like_torch():
    edges = [3.0, 1.5, 0.0]
    ours = tg.histogram(tg.tensor([1.0, 2.0]), bins=tg.tensor(edges))
    theirs = torch.histogram(torch.tensor([1.0, 2.0]), bins=torch.tensor(edges))
    _same(ours.hist, theirs.hist)
