"""Movement ops (reshape, permute, expand, flip, roll, cat, split, ...) against PyTorch and finite
differences (see tests/op_harness.py). Every case is valid for its op: transposes get ndim >= 2,
squeezes get size-1 dims, splits get outputs that the harness compares one by one.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import UNARY, Const, OpSpec, make_tests

MATRICES = [((3, 1),), ((2, 3),), ((4, 2, 3),)]  # ndim >= 2

OPS = [
    # ------------------------------------------------------------------ reshape and views
    OpSpec("reshape", lambda lib, x: x.reshape(-1), UNARY),
    OpSpec("reshape", lambda lib, x: x.reshape(3, -1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("reshape", lambda lib, x: x.reshape((2, -1, 3)), [((4, 2, 3),)]),
    OpSpec("reshape", lambda lib, x: x.reshape(()), [((),), ((1,),)]),
    # torch's view() refuses the non-contiguous variant; reshape covers that
    OpSpec("view", lambda lib, x: x.view(-1, 3), [((2, 3),), ((4, 2, 3),)], noncontiguous=False),
    OpSpec("view", lambda lib, x: x.view(4, 6), [((4, 2, 3),)], noncontiguous=False),
    OpSpec(
        "view_as",
        lambda lib, x, y: x.view_as(y),
        [((2, 3), (3, 2))],
        noncontiguous=False,
        covers=("reshape_as",),
    ),
    OpSpec("transpose", lambda lib, x: x.transpose(0, 1), MATRICES, covers=("swapaxes",)),
    OpSpec("transpose", lambda lib, x: x.transpose(-1, 0), MATRICES, covers=("swapdims",)),
    OpSpec("transpose", lambda lib, x: x.transpose(1, 1), MATRICES),
    OpSpec("t", lambda lib, x: x.t(), [((3,),), ((2, 3),)]),
    OpSpec("permute", lambda lib, x: x.permute(2, 0, 1), [((4, 2, 3),)]),
    OpSpec("permute", lambda lib, x: x.permute((1, -1, 0)), [((4, 2, 3),)]),
    OpSpec("permute", lambda lib, x: x.permute(1, 0), [((3, 1),), ((2, 3),)]),
    OpSpec("T", lambda lib, x: x.T, [((2, 3),), ((3, 1),)]),
    OpSpec("mT", lambda lib, x: x.mT, MATRICES),
    # ------------------------------------------------------------------ broadcasting
    OpSpec("expand", lambda lib, x: x.expand(2, 3, 4), [((),), ((1,),), ((3, 1),), ((1, 4),)]),
    OpSpec("expand", lambda lib, x: x.expand(2, -1, 4), [((3, 1),), ((1, 1),)]),
    OpSpec("expand", lambda lib, x: x.expand((4, 2, 3)), [((2, 3),), ((4, 1, 3),)]),
    OpSpec("expand_as", lambda lib, x, y: x.expand_as(y), [((3, 1), (2, 3, 4)), ((), (2, 3))]),
    OpSpec("broadcast_to", lambda lib, x: x.broadcast_to((2, 3, 4)), [((3, 1),), ((1, 4),)]),
    # ------------------------------------------------------------------ adding/removing dims
    OpSpec("squeeze", lambda lib, x: x.squeeze(), [*UNARY, ((1, 3, 1),), ((1, 1),)]),
    OpSpec("squeeze", lambda lib, x: x.squeeze(1), [((3, 1),), ((2, 1, 3),), ((2, 3),)]),
    OpSpec("squeeze", lambda lib, x: x.squeeze(-1), [((3, 1),), ((1,),), ((2, 3),)]),
    OpSpec("squeeze", lambda lib, x: x.squeeze((0, 2)), [((1, 3, 1),), ((1, 3, 2),)]),
    OpSpec("unsqueeze", lambda lib, x: x.unsqueeze(0), UNARY),
    OpSpec("unsqueeze", lambda lib, x: x.unsqueeze(-1), UNARY),
    OpSpec("unsqueeze", lambda lib, x: x.unsqueeze(-2), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("unsqueeze", lambda lib, x: x.unsqueeze(1), [((2, 3),), ((3,),)]),
    OpSpec("flatten", lambda lib, x: x.flatten(), UNARY),
    OpSpec("flatten", lambda lib, x: x.flatten(1), [((4, 2, 3),), ((2, 3),)]),
    OpSpec("flatten", lambda lib, x: x.flatten(0, 1), [((4, 2, 3),)]),
    OpSpec("flatten", lambda lib, x: x.flatten(-2, -1), [((4, 2, 3),), ((2, 3),)]),
    OpSpec("flatten", lambda lib, x: x.flatten(1, 1), [((4, 2, 3),)]),
    OpSpec("unflatten", lambda lib, x: x.unflatten(1, (3, 2)), [((2, 6),), ((2, 6, 1),)]),
    OpSpec("unflatten", lambda lib, x: x.unflatten(-1, (2, -1)), [((2, 6),), ((4,),)]),
    # ------------------------------------------------------------------ repeating
    OpSpec("repeat", lambda lib, x: x.repeat(2, 1), [((3, 1),), ((2, 3),), ((3,),)]),
    OpSpec("repeat", lambda lib, x: x.repeat(2, 1, 3), [((3, 1),), ((2, 3),), ((1,),)]),
    OpSpec("repeat", lambda lib, x: x.repeat(1, 2, 1), [((4, 2, 3),)]),
    OpSpec("tile", lambda lib, x: x.tile(2), [((3,),), ((2, 3),), ((),)]),
    OpSpec("repeat_interleave", lambda lib, x: x.repeat_interleave(2), [*UNARY]),
    OpSpec("repeat_interleave", lambda lib, x: x.repeat_interleave(3, -1), [((2, 3),), ((3, 1),)]),
    OpSpec(
        "repeat_interleave",
        lambda lib, x, r: x.repeat_interleave(r, dim=1),
        [((2, 3), Const(lambda rng: np.array([2, 0, 3])))],
    ),
    OpSpec(
        "repeat_interleave",
        lambda lib, x, r: lib.repeat_interleave(x, r),
        [((2, 2), Const(lambda rng: np.array([1, 3, 0, 2])))],
    ),
    OpSpec("tile", lambda lib, x: x.tile((2, 1, 3)), [((2, 3),), ((3,),)]),
    # ------------------------------------------------------------------ reordering
    OpSpec("flip", lambda lib, x: x.flip(0), [((3,),), ((2, 3),), ((4, 2, 3),)]),
    OpSpec("flip", lambda lib, x: x.flip(0, -1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("flip", lambda lib, x: x.flip((1, 2)), [((4, 2, 3),)]),
    OpSpec("roll", lambda lib, x: x.roll(2), [*UNARY[1:]]),
    OpSpec("roll", lambda lib, x: x.roll(-1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("roll", lambda lib, x: x.roll(1, 0), [((3,),), ((2, 3),), ((4, 2, 3),)]),
    OpSpec("roll", lambda lib, x: x.roll(-4, dims=-1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("roll", lambda lib, x: x.roll((1, -2), (0, 2)), [((4, 2, 3),)]),
    OpSpec("roll", lambda lib, x: x.roll((1, 1), (1, 1)), [((4, 2, 3),)]),
    # ------------------------------------------------------------------ slicing into parts
    OpSpec("narrow", lambda lib, x: x.narrow(-1, 1, 2), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("narrow", lambda lib, x: x.narrow(0, -2, 2), [((3,),), ((4, 2, 3),)]),
    OpSpec("narrow", lambda lib, x: x.narrow(1, 0, 0), [((2, 3),)]),
    OpSpec("split", lambda lib, x: x.split(2), [((4, 2, 3),), ((3,),), ((5, 2),)]),
    OpSpec("split", lambda lib, x: x.split(2, dim=-1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("split", lambda lib, x: x.split([1, 2], dim=-1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("split", lambda lib, x: x.split([2, 0, 2], 0), [((4, 2, 3),)]),
    OpSpec("chunk", lambda lib, x: x.chunk(2), [((4, 2, 3),), ((3,),), ((5, 2),)]),
    OpSpec("chunk", lambda lib, x: x.chunk(3, dim=-1), [((2, 3),), ((4, 2, 5),)]),
    OpSpec("chunk", lambda lib, x: x.chunk(4, 1), [((2, 3),), ((2, 6),)]),
    OpSpec("unbind", lambda lib, x: x.unbind(), [((3,),), ((2, 3),), ((4, 2, 3),)]),
    OpSpec("unbind", lambda lib, x: x.unbind(-1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("unbind", lambda lib, x: x.unbind(1), [((3, 1),), ((4, 2, 3),)]),
    # ------------------------------------------------------------------ joining
    OpSpec(
        "cat",
        lambda lib, a, b: lib.cat([a, b], 0),
        [((2, 3), (1, 3)), ((3,), (2,)), ((4, 2, 3), (1, 2, 3))],
        covers=("concat", "concatenate"),
    ),
    OpSpec("cat", lambda lib, a, b: lib.cat([a, b], 1), [((2, 3), (2, 4)), ((4, 2, 3), (4, 1, 3))]),
    OpSpec("cat", lambda lib, a, b: lib.cat((a, b), dim=-1), [((2, 3), (2, 1)), ((4, 2, 3),) * 2]),
    OpSpec("cat", lambda lib, a, b, c: lib.cat([a, b, c]), [((2,), (3,), (1,)), ((1, 3),) * 3]),
    OpSpec("cat", lambda lib, a, b: lib.cat([a, b, a], 0), [((2, 3), (1, 3))]),
    OpSpec("stack", lambda lib, a, b: lib.stack([a, b]), [((), ()), ((3,), (3,)), ((2, 3),) * 2]),
    OpSpec("stack", lambda lib, a, b: lib.stack([a, b], dim=-1), [((3,), (3,)), ((4, 2, 3),) * 2]),
    OpSpec("stack", lambda lib, a, b, c: lib.stack((a, b, c), 1), [((2, 3),) * 3]),
    # ------------------------------------------------------------------ triangles
    OpSpec("tril", lambda lib, x: x.tril(), [((3, 3),), *MATRICES]),
    OpSpec("tril", lambda lib, x: x.tril(1), [((3, 3),), *MATRICES]),
    OpSpec("tril", lambda lib, x: x.tril(-1), [((3, 3),), *MATRICES]),
    OpSpec("tril", lambda lib, x: x.tril(-5), [((2, 3),)]),
    OpSpec("triu", lambda lib, x: x.triu(), [((3, 3),), *MATRICES]),
    OpSpec("triu", lambda lib, x: x.triu(1), [((3, 3),), *MATRICES]),
    OpSpec("triu", lambda lib, x: x.triu(diagonal=-1), [((3, 3),), *MATRICES]),
    OpSpec("triu", lambda lib, x: x.triu(4), [((2, 3),)]),
    # ------------------------------------------------------------------ diagonals
    OpSpec("diagonal", lambda lib, x: x.diagonal(), [((3, 3),), *MATRICES]),
    OpSpec("diagonal", lambda lib, x: x.diagonal(1), [((3, 3),), ((2, 3),), ((3, 1),)]),
    OpSpec("diagonal", lambda lib, x: x.diagonal(-1, 1, 2), [((4, 2, 3),), ((2, 3, 3),)]),
    OpSpec("diagonal", lambda lib, x: x.diagonal(1, -1, 0), [((4, 2, 3),)]),  # dim1 > dim2
    OpSpec("diagonal", lambda lib, x: lib.diagonal(x, offset=5), [((2, 3),)]),  # empty
    OpSpec("diag_embed", lambda lib, x: x.diag_embed(), [((3,),), ((2, 3),), ((1,),)]),
    OpSpec("diag_embed", lambda lib, x: x.diag_embed(1), [((3,),), ((2, 3),)]),
    OpSpec("diag_embed", lambda lib, x: lib.diag_embed(x, -2, 0, 2), [((2, 3),)]),
    OpSpec("diag_embed", lambda lib, x: x.diag_embed(-1, dim1=-1, dim2=0), [((4, 2, 3),)]),
    OpSpec("diag", lambda lib, x: x.diag(), [((3,),), ((1,),), ((3, 3),), ((2, 3),)]),
    OpSpec("diag", lambda lib, x: lib.diag(x, 1), [((3,),), ((3, 3),), ((3, 1),)]),
    OpSpec("diag", lambda lib, x: x.diag(diagonal=-2), [((2,),), ((4, 3),)]),
    OpSpec("trace", lambda lib, x: x.trace(), [((3, 3),), ((2, 3),), ((3, 1),)]),
    OpSpec("trace", lambda lib, x: lib.trace(x), [((1, 1),)]),
    # ------------------------------------------------------------------ differences, rotations
    OpSpec("diff", lambda lib, x: x.diff(), [((3,),), ((2, 3),), ((4, 2, 3),), ((1,),)]),
    OpSpec("diff", lambda lib, x: x.diff(2, 0), [((4, 2, 3),), ((3,),), ((2, 3),)]),
    OpSpec("diff", lambda lib, x: lib.diff(x, n=3, dim=-2), [((4, 2, 3),)]),  # n > size: empty
    OpSpec("diff", lambda lib, x: x.diff(0), [((2, 3),)]),
    OpSpec(
        "diff",
        lambda lib, x, p, a: x.diff(dim=1, prepend=p, append=a),
        [((2, 3), (2, 1), (2, 2)), ((4, 2, 3), (4, 1, 3), (4, 2, 3))],
    ),
    OpSpec("diff", lambda lib, x, a: lib.diff(x, 2, append=a), [((3,), (2,))]),
    OpSpec("rot90", lambda lib, x: x.rot90(), [((2, 3),), ((4, 2, 3),), ((3, 1),)]),
    OpSpec("rot90", lambda lib, x: x.rot90(2, (1, 2)), [((4, 2, 3),)]),
    OpSpec("rot90", lambda lib, x: x.rot90(-1, (-1, 0)), [((4, 2, 3),), ((2, 3),)]),
    OpSpec("rot90", lambda lib, x: lib.rot90(x, 4), [((2, 3),)]),
    OpSpec("rot90", lambda lib, x: lib.rot90(x, 7, [1, 0]), [((2, 3),)]),
    # ------------------------------------------------------------------ gathering
    OpSpec(
        "take_along_dim",
        lambda lib, x, i: x.take_along_dim(i, 1),
        [
            ((2, 3), Const(lambda rng: np.array([[2, 0, 2, 1], [1, 1, 0, 0]]))),
            ((4, 2, 3), Const(lambda rng: rng.integers(0, 2, (1, 5, 1)))),  # broadcast
        ],
    ),
    OpSpec(
        "take_along_dim",
        lambda lib, x, i: lib.take_along_dim(x, i),  # flattened
        [((2, 3), Const(lambda rng: np.array([5, 0, 3, 3])))],
        noncontiguous=False,  # PyTorch's flattens with view(), which refuses a transposed input
    ),
    OpSpec(
        "take_along_dim",
        lambda lib, x, i: lib.take_along_dim(x, i, dim=-1),
        [((2, 3), Const(lambda rng: rng.integers(0, 3, (1, 5))))],
    ),
    # ------------------------------------------------------------------ grids
    OpSpec("meshgrid", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), [((2,), (3,))]),
    OpSpec(
        "meshgrid",
        lambda lib, a, b, c: lib.meshgrid([a, b, c], indexing="xy"),
        [((2,), (3,), (4,))],
    ),
    OpSpec("meshgrid", lambda lib, a, b: lib.meshgrid(a, b, indexing="xy"), [((), (3,))]),
    OpSpec("meshgrid", lambda lib, a: lib.meshgrid(a, indexing="ij"), [((3,),)]),
    # ------------------------------------------------------------------ copies and casts
    OpSpec("clone", lambda lib, x: x.clone(), UNARY),
    OpSpec("contiguous", lambda lib, x: x.contiguous(), UNARY),
    OpSpec("contiguous", lambda lib, x: x.mT.contiguous(), MATRICES),
    # In float64 the cast's finite differences see float32 rounding (an ulp of 1e-7 over a step
    # of 2e-6), hence the loose gradcheck tolerance; the PyTorch comparison is exact.
    OpSpec("to", lambda lib, x: x.to(lib.float32), UNARY, gradcheck_atol=0.2, covers=("float",)),
    OpSpec("to", lambda lib, x: x.to(lib.float64), UNARY, covers=("double",)),
    OpSpec("type_as", lambda lib, x, y: x.type_as(y) * y, [((2, 3), (2, 3))]),
]


def test_cast_gradient_keeps_input_dtype():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), dtype=tg.float64, requires_grad=True)
    y = x.to(tg.float32)
    assert y.dtype == tg.float32
    y.sum().backward()
    assert x.grad.dtype == tg.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_repeat_interleave_errors_name_the_problem():
    x = tg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"repeats must have 3 elements .*shape \(2, 3\)"):
        x.repeat_interleave(tg.tensor([1, 2]), dim=1)
    with pytest.raises(RuntimeError, match="can not be negative"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="integer tensor"):
        x.repeat_interleave(tg.tensor([1.0, 2.0]), dim=0)
    with pytest.raises(RuntimeError, match="output_size 5 does not match the 4"):
        x.repeat_interleave(2, dim=0, output_size=5)
    with pytest.raises(RuntimeError, match="1-D integer tensor"):
        tg.repeat_interleave(x)


OPS += [
    # ------------------------------------------------------------------ movedim, moveaxis
    OpSpec("movedim", lambda lib, x: x.movedim(0, -1), [((3,),), ((2, 3),), ((4, 2, 3),)]),
    OpSpec("movedim", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), [((4, 2, 3),)]),
    OpSpec("movedim", lambda lib, x: x.movedim([-1], [1]), [((4, 2, 3),), ((3, 1),)]),
    OpSpec("movedim", lambda lib, x: lib.movedim(x, 0, 0), [((),), ((2, 3),)]),
    OpSpec("moveaxis", lambda lib, x: x.moveaxis(2, 0), [((4, 2, 3),)]),
    OpSpec("moveaxis", lambda lib, x: lib.moveaxis(x, (1, 0), (0, 2)), [((4, 2, 3),)]),
    OpSpec("swapdims", lambda lib, x: lib.swapdims(x, 0, -1), MATRICES),
    OpSpec("swapaxes", lambda lib, x: lib.swapaxes(x, 1, 0), MATRICES),
    # ------------------------------------------------------------------ inner, vdot
    OpSpec("inner", lambda lib, a, b: a.inner(b), [((3,), (3,)), ((2, 3), (4, 2, 3))]),
    OpSpec(
        "inner", lambda lib, a, b: lib.inner(a, b), [((), (2, 3)), ((3, 1), ()), ((4,), (2, 4))]
    ),
    OpSpec("vdot", lambda lib, a, b: a.vdot(b), [((3,), (3,)), ((1,), (1,))]),
    OpSpec("vdot", lambda lib, a, b: lib.vdot(a, b), [((4,), (4,))]),
    # ------------------------------------------------------------------ joining several tensors
    OpSpec(
        "block_diag",
        lambda lib, a, b, c: lib.block_diag(a, b, c),
        [((2, 3), (), (4,)), ((1, 2), (3, 1), (2, 2))],
    ),
    OpSpec("block_diag", lambda lib, a: lib.block_diag(a), [((2, 3),), ((3,),)]),
    OpSpec("cartesian_prod", lambda lib, a, b: lib.cartesian_prod(a, b), [((2,), (3,))]),
    OpSpec(
        "cartesian_prod", lambda lib, a, b, c: lib.cartesian_prod(a, b, c), [((2,), (1,), (3,))]
    ),
    OpSpec("cartesian_prod", lambda lib, a: lib.cartesian_prod(a), [((3,),)]),
    OpSpec("combinations", lambda lib, a: lib.combinations(a), [((4,),), ((2,),)]),
    OpSpec("combinations", lambda lib, a: lib.combinations(a, 3), [((4,),)]),
    OpSpec("combinations", lambda lib, a: lib.combinations(a, 2, True), [((3,),)]),
    OpSpec("atleast_1d", lambda lib, x: lib.atleast_1d(x), UNARY),
    OpSpec("atleast_2d", lambda lib, x: lib.atleast_2d(x), UNARY),
    OpSpec("atleast_3d", lambda lib, x: lib.atleast_3d(x), UNARY),
    OpSpec(
        "atleast_3d",
        lambda lib, a, b, c: lib.atleast_3d((a, b, c)),
        [((), (3,), (2, 3))],
        covers=("atleast_1d", "atleast_2d"),
    ),
    OpSpec("atleast_2d", lambda lib, a, b: lib.atleast_2d(a, b), [((), (3,))]),
    OpSpec("hstack", lambda lib, a, b: lib.hstack([a, b]), [((3,), (2,)), ((2, 3), (2, 1))]),
    OpSpec("hstack", lambda lib, a, b: lib.hstack((a, b)), [((), (2,))]),
    OpSpec("vstack", lambda lib, a, b: lib.vstack([a, b]), [((3,), (3,)), ((2, 3), (1, 3))]),
    OpSpec("vstack", lambda lib, a, b: lib.row_stack([a, b]), [((4, 2, 3), (1, 2, 3))]),
    OpSpec("dstack", lambda lib, a, b: lib.dstack([a, b]), [((3,), (3,)), ((2, 3), (2, 3))]),
    OpSpec("dstack", lambda lib, a, b: lib.dstack([a, b]), [((4, 2, 3), (4, 2, 1))]),
    OpSpec(
        "column_stack",
        lambda lib, a, b, c: lib.column_stack([a, b, c]),
        [((3,), (3, 2), (3,)), ((), (1, 2), (1,))],
    ),
]

test_matches_torch, test_gradcheck = make_tests(OPS)


def test_split_with_grad_is_one_node_of_views():
    """split() under autograd: one SplitBackward0 node for all pieces (its backward one
    concatenation), and each piece still a view: writing into one in place changes the base,
    and the gradients are those of the same values computed out of place (PyTorch refuses the
    in-place write on a multi-view output; we follow the write, as for any view)."""
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((4, 6))
    x = tg.tensor(data, requires_grad=True)
    y = x * 1
    a, b = y.split([2, 4], 1)
    assert a.grad_fn is b.grad_fn and a.grad_fn.name() == "SplitBackward0"
    assert a._base is y and np.shares_memory(a.array, y.array)
    a.mul_(3)
    np.testing.assert_array_equal(y.array[:, :2], data[:, :2] * 3)
    (y * y).sum().backward(retain_graph=True)
    b.sum().backward()
    X = torch.tensor(data, requires_grad=True)
    Y = torch.cat([X[:, :2] * 3, X[:, 2:]], 1)
    ((Y * Y).sum() + Y[:, 2:].sum()).backward()
    np.testing.assert_allclose(x.grad.array, X.grad.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(2, 3).diagonal(0, 1, 1),
        lambda lib: lib.zeros(2, 3, 4).diag(),
        lambda lib: lib.zeros(2, 3, 4).trace(),
        lambda lib: lib.zeros(2, 3).rot90(1, (0, 0)),
        lambda lib: lib.zeros(2, 3).rot90(1, (0, 1, 2)),
        lambda lib: lib.zeros(3).rot90(),
        lambda lib: lib.zeros(2, 3).diff(1, 0, prepend=lib.zeros(3)),
        lambda lib: lib.zeros(2, 3).take_along_dim(lib.zeros(2, dtype=lib.int64), 1),
        lambda lib: lib.meshgrid(lib.zeros(2, 2), lib.zeros(2), indexing="ij"),
        lambda lib: lib.zeros(2, 3).movedim((0, 1), (1,)),
        lambda lib: lib.zeros(2, 3).movedim((0, 0), (1, 0)),
        lambda lib: lib.zeros(2, 3).inner(lib.zeros(2)),
        lambda lib: lib.zeros(2, 3).vdot(lib.zeros(3)),
        lambda lib: lib.zeros(2).vdot(lib.zeros(3)),
        lambda lib: lib.block_diag(lib.zeros(2, 2, 2)),
        lambda lib: lib.cartesian_prod(lib.zeros(2, 2)),
        lambda lib: lib.combinations(lib.zeros(2, 2)),
        lambda lib: lib.hstack([lib.zeros(2, 3), lib.zeros(3, 3)]),
    ],
)
def test_bad_arguments_raise_like_torch_and_name_the_shape_or_dims(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=r"\d"):
        call(tg)


def test_meshgrid_default_indexing_is_ij_without_a_warning():
    a, b = tg.arange(2), tg.arange(3)
    x, y = tg.meshgrid(a, b)
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(y.numpy(), [[0, 1, 2], [0, 1, 2]])


def test_diff_of_bool_and_integer_tensors_like_torch():
    torch = pytest.importorskip("torch")
    for values in ([True, False, False, True], [3, 1, 4, 1, 5]):
        out, expected = tg.tensor(values).diff(), torch.tensor(values).diff()
        assert str(out.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_trace_of_an_integer_matrix_is_int64():
    out = tg.tensor([[1, 2], [3, 4]], dtype=tg.int32).trace()
    assert out.dtype == tg.int64 and out.item() == 5


def test_joining_functions_match_torch_on_integers_and_edge_cases():
    torch = pytest.importorskip("torch")
    cases = [
        lambda lib: lib.block_diag(lib.tensor([[1, 2]]), lib.tensor([3.5])),
        lambda lib: lib.block_diag(),
        lambda lib: lib.block_diag(lib.zeros(0, 2), lib.ones(1, 0)),
        lambda lib: lib.cartesian_prod(lib.arange(3), lib.tensor([5, 7])),
        lambda lib: lib.combinations(lib.arange(3), 0),
        lambda lib: lib.combinations(lib.arange(2), 3),
        lambda lib: lib.combinations(lib.arange(3), 2, with_replacement=True),
        lambda lib: lib.atleast_1d([lib.tensor(1)])[0],
        lambda lib: lib.vstack([lib.tensor([1, 2]), lib.tensor([3.0, 4.0])]),
    ]
    for fn in cases:
        ours, theirs = fn(tg), fn(torch)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert isinstance(tg.atleast_2d(tg.ones(2)), tg.Tensor)
    assert isinstance(tg.atleast_2d([tg.ones(2)]), tuple)
