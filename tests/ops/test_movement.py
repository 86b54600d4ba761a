"""Movement ops (reshape, permute, expand, flip, roll, cat, split, ...) against PyTorch and finite
differences (see tests/op_harness.py). Every case is valid for its op: transposes get ndim >= 2,
squeezes get size-1 dims, splits get outputs that the harness compares one by one.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import UNARY, Const, OpSpec, make_tests


def positive_or_negative(rng, shape):
    """Values away from 0 (cumprod's second derivative is exact only without zeros)."""
    x = rng.uniform(0.5, 1.5, shape)
    return x * rng.choice([-1.0, 1.0], shape)


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
    OpSpec("unsafe_split", lambda lib, x: x.unsafe_split(2, dim=-1), [((2, 3),)]),
    OpSpec("unsafe_chunk", lambda lib, x: x.unsafe_chunk(2), [((4, 2, 3),)]),
    # a real tensor's complex views are the tensor itself; to_dense of a dense one too
    *[
        OpSpec(name, lambda lib, x, name=name: getattr(x, name)() * 1, [((2, 3),)])
        for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "to_dense")
    ],
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


def vander(lib, x, N=None, increasing=False):
    """``vander`` here; for PyTorch, whose vander has no gradient (its in-place cumprod trips
    its own version check), the same matrix as powers x_i ** p."""
    if lib is tg:
        return tg.vander(x, N, increasing)
    powers = lib.arange(x.shape[0] if N is None else N, dtype=x.dtype)
    return x[:, None] ** (powers if increasing else powers.flip(0))


# ---------------------------------------------------------------------- selecting, splitting,
# windows, sums to a size, Vandermonde matrices, in-place triangles and in-place view ops

OPS += [
    OpSpec("t", lambda lib, x: lib.t(x), [((2, 3),), ((3,),)]),  # torch.t, torch.broadcast_to
    OpSpec("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3, 4)), [((3, 1),)]),
    OpSpec("select", lambda lib, x: x.select(1, -1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("select", lambda lib, x: lib.select(x, 0, 1), [((3,),), ((4, 2, 3),)]),
    OpSpec("narrow_copy", lambda lib, x: x.narrow_copy(-1, 1, 2), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("narrow_copy", lambda lib, x: lib.narrow_copy(x, 0, -2, 1), [((3,),)]),
    OpSpec("ravel", lambda lib, x: x.ravel(), UNARY),
    OpSpec("ravel", lambda lib, x: lib.ravel(x.mT), MATRICES),
    OpSpec(
        "broadcast_tensors",
        lambda lib, a, b: lib.broadcast_tensors(a, b),
        [((3, 1), (1, 3)), ((), (2, 3)), ((2, 3), (4, 2, 3))],
    ),
    OpSpec(
        "broadcast_tensors",
        lambda lib, a, b, c: lib.broadcast_tensors(a, b, c),
        [((1,), (3, 1), (2, 1, 1))],
    ),
    OpSpec("tensor_split", lambda lib, x: x.tensor_split(3, 1), [((2, 5),), ((2, 2),)]),
    OpSpec("tensor_split", lambda lib, x: x.tensor_split([1, 4, 2, -1], dim=-1), [((2, 5),)]),
    OpSpec("tensor_split", lambda lib, x: lib.tensor_split(x, 2), [((3,),), ((4, 2, 3),)]),
    OpSpec("hsplit", lambda lib, x: x.hsplit(2), [((2, 4),), ((4,),)]),
    OpSpec("hsplit", lambda lib, x: lib.hsplit(x, [1, 3]), [((4, 2, 3),)]),
    OpSpec("vsplit", lambda lib, x: x.vsplit(2), [((4, 2, 3),)]),
    OpSpec("vsplit", lambda lib, x: lib.vsplit(x, [1]), [((2, 3),)]),
    OpSpec("dsplit", lambda lib, x: x.dsplit([1]), [((4, 2, 3),)]),
    OpSpec("dsplit", lambda lib, x: lib.dsplit(x, 3), [((4, 2, 3),)]),
    OpSpec("split_with_sizes", lambda lib, x: x.split_with_sizes([1, 2], -1), [((2, 3),)]),
    OpSpec("split_with_sizes", lambda lib, x: lib.split_with_sizes(x, [4, 0]), [((4, 2, 3),)]),
    OpSpec("fliplr", lambda lib, x: x.fliplr(), MATRICES),
    OpSpec("flipud", lambda lib, x: lib.flipud(x), [((3,),), *MATRICES]),
    OpSpec("diagflat", lambda lib, x: x.diagflat(), [((3,),), ((),), ((2, 2),)]),
    OpSpec("diagflat", lambda lib, x: lib.diagflat(x, -1), [((3,),), ((2, 2),)]),
    OpSpec("unfold", lambda lib, x: x.unfold(1, 2, 1), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("unfold", lambda lib, x: x.unfold(0, 2, 2), [((4, 2, 3),), ((5,),)]),
    OpSpec("unfold", lambda lib, x: x.unfold(-1, 3, 1), [((2, 3),), ((3,),)]),
    OpSpec("unfold", lambda lib, x: x.unfold(0, 1, 3), [((),), ((4, 2, 3),)]),
    OpSpec("unfold", lambda lib, x: x.unfold(0, 0, 2), [((5,),)]),  # empty windows
    # squared: the gradient depends on x, so its UnfoldBackward is differentiated too
    OpSpec("unfold", lambda lib, x: x.unfold(-1, 2, 1) ** 2, [((2, 3),)]),
    OpSpec("sum_to_size", lambda lib, x: x.sum_to_size(1, 3), [((2, 3),), ((4, 1, 3),)]),
    OpSpec("sum_to_size", lambda lib, x: x.sum_to_size((2, 1)), [((4, 2, 3),), ((2, 3),)]),
    OpSpec("sum_to_size", lambda lib, x: x.sum_to_size(()), [((2, 3),)]),
    OpSpec("vander", lambda lib, x: vander(lib, x), [((3,),), ((4,),)], gen=positive_or_negative),
    OpSpec("vander", lambda lib, x: vander(lib, x, 4, True), [((3,),)], gen=positive_or_negative),
    OpSpec("vander", lambda lib, x: vander(lib, x, 2) * x[:, None], [((3,),)]),
    # in-place forms, on a non-leaf copy (x * 1) or a view of one
    OpSpec("tril_", lambda lib, x: (x * 1).tril_(-1), [((3, 3),), *MATRICES]),
    OpSpec("triu_", lambda lib, x: (x * 1).triu_(1), [((3, 3),), *MATRICES]),
    OpSpec("triu_", lambda lib, x: (x * 1)[1:].triu_(), [((4, 2, 3),)]),  # through a view
    OpSpec("fill_diagonal_", lambda lib, x: (x * 1).fill_diagonal_(2.5), [((3, 3),), ((2, 3),)]),
    OpSpec(
        "fill_diagonal_",
        lambda lib, x: (x * 1).fill_diagonal_(-1, wrap=True),
        [((7, 3),), ((2, 2, 2),)],
    ),
    OpSpec("squeeze_", lambda lib, x: (x * 1).squeeze_(), [((1, 3, 1),), ((2, 3),), ((1,),)]),
    OpSpec("squeeze_", lambda lib, x: (x * 1).squeeze_(-1) * x.squeeze(-1), [((3, 1),)]),
    OpSpec("unsqueeze_", lambda lib, x: (x * 1).unsqueeze_(1), [((2, 3),), ((3,),)]),
    OpSpec("unsqueeze_", lambda lib, x: (x * 1)[1].unsqueeze_(0), [((4, 2, 3),)]),  # a view
    OpSpec("transpose_", lambda lib, x: (x * 1).transpose_(0, -1), MATRICES),
    OpSpec("swapaxes_", lambda lib, x: (x * 1).swapaxes_(1, 0), MATRICES),
    OpSpec("swapdims_", lambda lib, x: (x * 1).swapdims_(0, 1), MATRICES),
    OpSpec("t_", lambda lib, x: (x * 1).t_(), [((2, 3),), ((3,),), ((),)]),
    OpSpec(
        "t_",  # the tensor's own history continues from the transpose
        lambda lib, x: (lambda y: (y.t_(), y * 2)[1])(x * 1),
        [((2, 3),)],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


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


# ---------------------------------------------------------------------- beyond the table


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda lib: lib.zeros(3, 4).select(1, 4), IndexError),
        (lambda lib: lib.zeros(3, 4).select(1, -5), IndexError),
        (lambda lib: lib.tensor(1.0).select(0, 0), IndexError),
        (lambda lib: lib.zeros(7).tensor_split(0), RuntimeError),
        (lambda lib: lib.tensor(1.0).tensor_split(1), RuntimeError),
        (lambda lib: lib.zeros(7).tensor_split(lib.tensor([[2]])), RuntimeError),
        (lambda lib: lib.zeros(7).tensor_split(lib.tensor([2.0])), RuntimeError),
        (lambda lib: lib.zeros(3, 4).hsplit(3), RuntimeError),
        (lambda lib: lib.tensor(1.0).hsplit(1), RuntimeError),
        (lambda lib: lib.zeros(6).vsplit(3), RuntimeError),
        (lambda lib: lib.zeros(3, 4).dsplit(2), RuntimeError),
        (lambda lib: lib.zeros(3, 4).split_with_sizes([1, 2], 1), RuntimeError),
        (lambda lib: lib.zeros(3).fliplr(), RuntimeError),
        (lambda lib: lib.tensor(1.0).flipud(), RuntimeError),
        (lambda lib: lib.zeros(7).unfold(0, 8, 2), RuntimeError),
        (lambda lib: lib.zeros(7).unfold(0, 2, 0), RuntimeError),
        (lambda lib: lib.zeros(2, 3).sum_to_size(4, 3), RuntimeError),
        (lambda lib: lib.zeros(2, 3).sum_to_size(1, 2, 3), RuntimeError),
        (lambda lib: lib.vander(lib.tensor(2.0)), RuntimeError),
        (lambda lib: lib.vander(lib.zeros(3), -1), RuntimeError),
        (lambda lib: lib.broadcast_shapes((2, 1), (3, 2)), RuntimeError),
        (lambda lib: lib.broadcast_shapes((-1,), (3,)), ValueError),
        (lambda lib: lib.broadcast_tensors(lib.ones(2, 1), lib.ones(3, 2)), RuntimeError),
        (lambda lib: lib.zeros(3).stride(1), IndexError),
        (lambda lib: lib.zeros(3).fill_diagonal_(1.0), RuntimeError),
        (lambda lib: lib.zeros(3, 3, 2).fill_diagonal_(1.0), RuntimeError),
    ],
)
def test_shape_and_split_errors_like_torch(call, error):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=r"\d|shape|dim"):
        call(tg)


def test_splits_shapes_and_sequences_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        lambda lib: lib.tensor_split(lib.arange(7), 3),
        lambda lib: lib.tensor_split(lib.arange(7), [1, 5, 9, 3]),
        lambda lib: lib.tensor_split(lib.arange(7), lib.tensor(3)),
        lambda lib: lib.tensor_split(lib.arange(7), lib.tensor([2, 4])),
        lambda lib: lib.tensor_split(lib.arange(12).reshape(3, 4), (-1,), dim=1),
        lambda lib: lib.arange(12).reshape(3, 4).hsplit([1, 3]),
        lambda lib: lib.arange(12).reshape(3, 4).unfold(1, 3, 1),
        lambda lib: lib.tensor(5.0).unfold(0, 1, 1),
        lambda lib: lib.arange(7.0).unfold(0, 0, 2),
        lambda lib: lib.ones(2, 3, dtype=lib.int64).sum_to_size(1, 3),
        lambda lib: lib.vander(lib.tensor([1, 2, 3])),
        lambda lib: lib.vander(lib.tensor([1, 2], dtype=lib.int32), 3, True),
        lambda lib: lib.vander(lib.tensor([True, False])),
        lambda lib: lib.vander(lib.tensor([1.0, 2.0, 3.0]), N=0),
        lambda lib: lib.vander(lib.tensor([-1.5, 0.0, 2.0]), 5),
        lambda lib: lib.logspace(0, 2, 3),
        lambda lib: lib.logspace(-2, 3, 11, base=2),
        lambda lib: lib.logspace(0.5, -1.5, 7, dtype=lib.float64),
        lambda lib: lib.logspace(0, 2, 3, base=2, dtype=lib.int64),
        lambda lib: lib.logspace(1, 5, 1),
        lambda lib: lib.logspace(1, 5, 0),
        lambda lib: lib.zeros(4, 3).fill_diagonal_(5),
        lambda lib: lib.zeros(7, 3).fill_diagonal_(5, wrap=True),
        lambda lib: lib.zeros(7, 3).fill_diagonal_(5),
        lambda lib: lib.zeros(3, 3, 3, dtype=lib.int64).fill_diagonal_(2),
        lambda lib: lib.arange(6.0).reshape(2, 3).msort(),
        lambda lib: lib.ones(3).ravel(),
    ]
    for fn in cases:
        ours, theirs = fn(tg), fn(torch)
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert tuple(a.shape) == tuple(b.shape)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert (
        tg.broadcast_shapes((2, 1), (3,), ())
        == (2, 3)
        == tuple(torch.broadcast_shapes((2, 1), (3,), ()))
    )
    assert tg.broadcast_shapes(2, (3, 1)) == (3, 2)
    assert isinstance(tg.broadcast_shapes((1,)), tg.Size)


def test_range_includes_the_end_warns_and_defaults_to_float32():
    torch = pytest.importorskip("torch")
    cases = [
        ((0, 1, 0.3), None),
        ((0, 3), None),
        ((3, 0, -1), None),
        ((0, 3), "int64"),
        ((-1.5, 1.0, 0.25), "float64"),
        ((0, 0.9, 0.1), None),
    ]
    for args, dtype in cases:
        values = []
        for lib in (tg, torch):
            with pytest.warns(UserWarning, match="deprecated"):
                values.append(lib.range(*args, dtype=dtype and getattr(lib, dtype)))
        ours, theirs = values
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for args in ((3, 0), (0, 3, 0)):
        for lib in (tg, torch):
            with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="step"):
                lib.range(*args)


def test_stride_matches_torch_and_agrees_with_is_contiguous():
    torch = pytest.importorskip("torch")
    views = [
        lambda x: x,
        lambda x: x.t(),
        lambda x: x[:, None],
        lambda x: x[None],
        lambda x: x[:, 1:2],
        lambda x: x.unsqueeze(-1),
        lambda x: x.t()[1:, ::2],
        lambda x: x.permute(1, 0).unsqueeze(1),
        lambda x: x.t().unsqueeze(0),
        lambda x: x[1],
        lambda x: x[:, 1],
        lambda x: x[:, :1].expand(3, 5),
        lambda x: x[:1].expand(4, 4),
        lambda x: x.reshape(2, 2, 3).transpose(0, 2),
        lambda x: x.narrow(1, 1, 2),
        lambda x: x[:0],
        lambda x: x.reshape(4, 0, 3) if x.numel() == 0 else x.new_zeros(4, 0, 3),
        lambda x: x.sum(),
        lambda x: x.unfold(1, 2, 1),
    ]
    data = np.arange(12.0).reshape(3, 4)
    for view in views:
        ours, theirs = view(tg.tensor(data)), view(torch.tensor(data))
        assert ours.stride() == theirs.stride(), (ours.shape, ours.stride(), theirs.stride())
        assert ours.is_contiguous() == theirs.is_contiguous()
        for d in range(-ours.ndim, ours.ndim):
            assert ours.stride(d) == theirs.stride(d)
    x = tg.ones(2, 3)
    assert x.ndimension() == 2 and tg.tensor(1.0).ndimension() == 0
    assert x.get_device() == -1 and tg.get_device(x) == -1


def test_unfold_is_a_view_and_overlapping_windows_are_read_only():
    x = tg.arange(6.0)
    w = x.unfold(0, 2, 2)  # no overlap: writable, writes reach x
    w[1, 0] = 10.0
    assert x.tolist() == [0.0, 1.0, 10.0, 3.0, 4.0, 5.0]
    x[5] = -1.0
    assert w.tolist()[2] == [4.0, -1.0]
    overlapping = x.unfold(0, 3, 1)
    assert overlapping._base is x
    with pytest.raises(ValueError):
        overlapping[0, 1] = 2.0


def test_in_place_view_ops_follow_torch():
    """``unsqueeze_``/``t_``/...: the tensor's own shape changes, its version goes up (a node
    that saved it raises at backward), a leaf that requires grad refuses unless under no_grad,
    a view stays a view of its base, and gradients flow through the new history."""
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        leaf = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.unsqueeze_(0)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf[0].t_()
        with lib.no_grad():
            leaf.t_()
        assert tuple(leaf.shape) == (3, 2) and leaf.is_leaf and leaf.requires_grad

        y = leaf * 2
        z = (y * y).sum()  # saves y
        before = y._version
        assert y.squeeze_() is y  # nothing to squeeze: still a write
        assert y._version == before + 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()

        base = lib.arange(6.0).reshape(2, 3).clone()
        row = base[1]
        row.unsqueeze_(0)
        assert tuple(row.shape) == (1, 3) and row._base is base
        row[0, 0] = 100.0
        assert base[1, 0].item() == 100.0

        x = lib.arange(6.0, requires_grad=True)
        v = (x * 1).reshape(2, 3)
        v.transpose_(0, 1)
        assert tuple(v.shape) == (3, 2) and v.stride() == (1, 3) and not v.is_contiguous()
        v.mul_(lib.arange(6.0).reshape(3, 2))
        v.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 4.0, 1.0, 3.0, 5.0])


def test_views_made_before_an_in_place_view_op_keep_the_old_layout():
    """A view of x taken before ``x.t_()`` still reads x's old layout, with and without autograd:
    its values, in-place writes through it or x, and the gradients, as PyTorch."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        a = lib.zeros(2, 3)
        col = a[:, 2]
        a.t_()
        out = [col.exp() * 1, a.clone()]
        leaf = lib.arange(9.0, requires_grad=True)
        x = leaf.reshape(3, 3) * 1  # a tensor with no base
        row, flat = x[0], x.view(9)
        x.t_()
        x.unsqueeze_(0)
        row.mul_(2)
        x.add_(lib.arange(9.0).reshape(1, 3, 3))
        (x * lib.arange(9.0).reshape(1, 3, 3)).sum().backward(retain_graph=True)
        (row * row).sum().backward(retain_graph=True)
        (flat * lib.arange(9.0)).sum().backward()
        results.append([*out, x, row, flat, leaf.grad])
    for ours, theirs in zip(*results):
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_in_place_view_ops_under_compile():
    """On a tensor made inside the step they replay; on an argument (whose shape the caller
    sees change) the step runs eagerly instead."""

    def step(x):
        y = x * 2
        y.unsqueeze_(0)
        y.transpose_(0, 1)
        return y.cumsum_(0).sum(0)

    compiled = tg.compile(step, fullgraph=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = tg.tensor(rng.standard_normal((3, 4)))
        np.testing.assert_allclose(compiled(x).numpy(), step(x).numpy())
    assert compiled.replays == 1

    def grow(x):
        x.unsqueeze_(0)
        return x * 2

    compiled = tg.compile(grow)
    with pytest.warns(UserWarning, match="unsqueeze_"):
        for _ in range(3):
            x = tg.ones(3)
            assert compiled(x).shape == (1, 3) and x.shape == (1, 3)
    assert compiled.replays == 0


# PyTorch's sized methods take their sizes as varargs, as one sequence, or by keyword:
# torch.flip(x, dims=[3]) is the usual horizontal flip of an image batch
KEYWORD_SIZES = [
    lambda lib, x: x.flip(dims=[2]),
    lambda lib, x: lib.flip(x, dims=(0, 2)),
    lambda lib, x: x.permute(dims=(2, 0, 1)),
    lambda lib, x: lib.permute(x, dims=[2, 0, 1]),
    lambda lib, x: x.reshape(shape=(6, 4)),
    lambda lib, x: lib.reshape(x, shape=(-1,)),
    lambda lib, x: x.view(size=(4, 6)),
    lambda lib, x: x[:, :1].expand(size=(2, 3, 4)),
    lambda lib, x: x.repeat(repeats=(1, 2, 1)),
    lambda lib, x: x.tile(dims=(2,)),
    lambda lib, x: lib.tile(x, dims=[2, 1]),
    lambda lib, x: x.sum_to_size(size=(1, 3, 1)),
    lambda lib, x: x.new_zeros(size=(2,)),
    lambda lib, x: x.new_ones(size=[2, 1]),
    lambda lib, x: x.new_empty(size=(3,)).zero_(),
]


@pytest.mark.parametrize("call", KEYWORD_SIZES)
def test_sizes_by_keyword_match_torch(call):
    torch = pytest.importorskip("torch")
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    want = call(torch, torch.from_numpy(x))
    got = call(tg, tg.from_numpy(x))
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_sizes_given_twice_raise_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tg):
        with pytest.raises(TypeError):
            lib.ones(2, 3).flip(0, dims=[1])
