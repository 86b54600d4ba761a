"""In-place ops on views (``y[0].mul_(2)``, ``y.t().add_(z)``, ``y[0][1] = w``) against
PyTorch and finite differences (see tests/op_harness.py).

Writing through a view changes its base, so the base's history must change too: its new
``grad_fn`` is a ``CopySlices`` node (tensorgrad/autograd/views.py), whose gradient is the
upstream gradient outside the view's region and, inside it, the gradient of the op that wrote
there. Each table entry clones its input (``x * 1``), modifies a view of the clone in place and
returns the base, so gradcheck and gradgradcheck run through ``CopySlices``.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


def _mul_row(lib, x):
    y = x * 1
    y[0].mul_(2)
    return y


def _add_column(lib, x, z):
    y = x * 1
    y[:, 1].add_(z)
    return y


def _set_element_of_row(lib, x, w):
    y = x * 1
    y[0][1] = w
    return y


def _add_through_reshape(lib, x, z):
    y = x * 1
    y.reshape(-1).add_(z)  # a view if y is contiguous; a copy (y unchanged) if not, in both
    return y * y


def _mul_transpose(lib, x, z):
    y = x * 1
    y.transpose(-1, -2).mul_(z)  # Mul keeps the old values of the view: they are copied first
    return y


def _div_chained_slices(lib, x, z):
    y = x * 1
    y[0:2][1].div_(z)
    return y


def _sub_row_of_transpose(lib, x, z):
    y = x * 1
    y.transpose(0, 1)[1].sub_(z * z)
    return y


def _add_into_zeros(lib, w):
    buf = lib.zeros((2, 3), dtype=w.dtype)
    buf[0].add_(w)
    return buf * buf


def _iadd_reshaped(lib, x, b):
    h = (x * 2).reshape(-1)
    h += b
    return h


def _view_then_base_then_view(lib, x, z):
    y = x * 1
    v = y[1]
    y.mul_(2)  # v's own grad_fn now predates y's change; the next write must not use it
    v.add_(z)
    return y, v


def _modified_view_reused(lib, x, z):
    y = x * 1
    v = y[0]
    v.mul_(z)
    v.mul_(z)
    return y * v.sum()


def _copy_zero_clamp(lib, x, w):
    y = x * 1
    y[0].copy_(w)
    y[1, :1].zero_()
    y[:, 2].clamp_(-0.5, 0.5)
    return y


def _element_views(lib, x):
    y = x * 1
    y[0, 1].mul_(3)  # a 0-d view
    y[1][0].pow_(2)
    return y


def _clamp_and_masked_fill(lib, x):
    y = x * 1
    y.clamp_(-1.0, 1.0)  # regression: Clamp kept y itself, then saw it overwritten
    y[0].masked_fill_(y[0] > 0.5, 2.0)
    return y


R = ((2, 3),)
T = ((4, 2, 3),)

OPS = [
    OpSpec("mul_", _mul_row, [R, T, ((3, 1),)]),
    OpSpec("add_", _add_column, [((2, 3), (2,)), ((2, 3), ()), ((4, 2, 3), (4, 3))]),
    OpSpec("__setitem__", _set_element_of_row, [((2, 3), ()), ((4, 2, 3), (3,))]),
    OpSpec("add_", _add_through_reshape, [((2, 3), (6,)), ((4, 2, 3), ())]),
    OpSpec("mul_", _mul_transpose, [((2, 3), (3, 2)), ((4, 2, 3), (3, 2))]),
    OpSpec("div_", _div_chained_slices, [((3, 4), (4,)), ((3, 2, 4), (2, 1))]),
    OpSpec("sub_", _sub_row_of_transpose, [((3, 2), (3,))]),
    OpSpec("add_", _add_into_zeros, [((3,),), ((),)], noncontiguous=False),
    OpSpec("__iadd__", _iadd_reshaped, [((2, 3), (6,)), ((2, 3), ())]),
    OpSpec("add_", _view_then_base_then_view, [((2, 3), (3,))]),
    OpSpec("mul_", _modified_view_reused, [((2, 3), (3,)), ((3, 2), ())]),
    OpSpec("copy_", _copy_zero_clamp, [((2, 3), (3,)), ((2, 3), ())]),
    OpSpec("pow_", _element_views, [R, T]),
    OpSpec("clamp_", _clamp_and_masked_fill, [R, T]),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _pair(a):
    return tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- the base's new history


def test_view_write_updates_base_graph_and_values():
    # regression: y's graph never learned that y[0] changed, so x.grad was [[4, 8], [6, 8]]
    xa = np.arange(1.0, 5.0).reshape(2, 2)
    results = []
    for x in _pair(xa):
        y = x * 1
        y[0].mul_(2)
        (y * y).sum().backward()
        results.append((x.grad, y))
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][0].numpy(), [[8, 16], [6, 8]])


@pytest.mark.parametrize(
    "shape,args", [((2, 4), ()), ((4, 2), ()), ((2, 4), (1,)), ((3, 2, 4), (-1, 0, 2))]
)
def test_write_into_diagonal_reaches_base_and_its_graph(shape, args):
    # regression: the diagonal of a wide matrix was a copy, and writes into it were lost
    xa = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    results = []
    for x in _pair(xa):
        y = x * 1
        d = y.diagonal(*args)
        d.mul_(3)
        d.add_(1)
        (y * y).sum().backward()
        results.append((x.grad, y, d))
    for a, b in zip(*results):
        _close(a, b)
    plain = tg.zeros(*shape)
    plain.diagonal(*args).fill_(5)
    expected = torch.zeros(*shape)
    expected.diagonal(*args).fill_(5)
    np.testing.assert_array_equal(plain.numpy(), expected.numpy())


def test_base_and_view_history_after_write():
    x = tg.ones((2, 3), requires_grad=True)
    y = x * 1
    v = y[0]
    data, version = y.array, y._version
    v.mul_(2)
    assert y.grad_fn.name() == "CopySlices" and not y.is_leaf
    assert v.grad_fn.next_functions[0][0] is y.grad_fn  # v is made again from the new base
    assert y.array is data and np.shares_memory(v.array, y.array)
    assert y._version == v._version == version + 1
    np.testing.assert_array_equal(y.detach().numpy(), [[2, 2, 2], [1, 1, 1]])


def test_write_into_view_of_plain_buffer_gives_it_a_graph():
    wa = np.array([1.0, -2.0, 3.0])
    grads = []
    for lib, w in zip((tg, torch), _pair(wa)):
        buf = lib.zeros(2, 3)
        buf[0].add_(w)
        assert buf.requires_grad and not buf.is_leaf and buf.grad_fn is not None
        (buf.sum() * 3).backward()
        grads.append(w.grad)
    _close(*grads)


def test_iadd_on_reshaped_non_leaf(rng):
    xa, ba = rng.standard_normal((2, 2)), rng.standard_normal(4)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        b = lib.tensor(ba, requires_grad=True)
        h = (x * 2).view(4)
        h += b
        (h * h).sum().backward()
        results.append((h, x.grad, b.grad))
    for a, b in zip(*results):
        _close(a, b)


def test_reshape_that_copies_is_not_a_view():
    x = tg.ones((2, 3), requires_grad=True)
    y = x * 1
    r = y.t().reshape(6)  # not contiguous: a copy, as in PyTorch
    assert r._base is None
    r.add_(1)
    np.testing.assert_array_equal(y.detach().numpy(), np.ones((2, 3)))
    assert r._version == 1 and y._version == 0
    assert y.reshape(6)._base is y and y.t()[0]._base is y  # chained views keep the root


def test_flip_is_a_copy_as_in_torch():
    for lib in (tg, torch):
        x = lib.arange(4.0)
        x.flip(0).mul_(2)
        np.testing.assert_array_equal(x.numpy(), [0, 1, 2, 3])


def test_retained_grads_follow_base_and_view(rng):
    xa = rng.standard_normal((2, 3))
    results = []
    for x in _pair(xa):
        y = x * 1
        v = y[1]
        y.retain_grad()
        v.retain_grad()
        v.mul_(3)
        ((y * y).sum() + (v * v).sum()).backward()
        results.append((y.grad, v.grad, x.grad))
    for a, b in zip(*results):
        _close(a, b)


def test_view_made_under_no_grad_is_tracked_when_written_with_grad():
    # PyTorch refuses this as ambiguous; tensorgrad records it, as if the view had been made
    # with grad enabled (what PyTorch computes when both happen outside no_grad)
    xa = np.arange(1.0, 7.0).reshape(2, 3)
    x = tg.tensor(xa, requires_grad=True)
    y = x * 1
    with tg.no_grad():
        v = y[0]
    v.mul_(2)
    (y * y).sum().backward()
    tx = torch.tensor(xa, requires_grad=True)
    ty = tx * 1
    ty[0].mul_(2)
    (ty * ty).sum().backward()
    _close(x.grad, tx.grad)


def test_write_without_grad_mode_is_a_plain_write():
    x = tg.ones((2, 2), requires_grad=True)
    y = x * 1
    fn = y.grad_fn
    with tg.no_grad():
        y[0].mul_(2)
    assert y.grad_fn is fn and y._version == 1
    np.testing.assert_array_equal(y.detach().numpy(), [[2, 2], [1, 1]])


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_saved_input_modified_through_view_raises(lib):
    x = lib.ones((2, 3), requires_grad=True)
    y = x * 1
    z = y.sin()  # saves its input y
    y[0].add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_saved_output_modified_through_view_raises(lib):
    x = lib.ones((2, 3), requires_grad=True)
    z = (x * 1).exp()  # saves its output z
    z[1].mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()


def test_input_of_op_saving_only_its_output_may_change_through_view(rng):
    xa = rng.standard_normal((2, 3))
    grads = []
    for x in _pair(xa):
        y = x * 1
        z = y.exp()  # exp saves its output, not y: modifying y is fine, as in PyTorch
        y[0].add_(1)
        (z.sum() + (y * y).sum()).backward()
        grads.append(x.grad)
    _close(*grads)


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_view_of_leaf_still_raises(lib):
    x = lib.ones((2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.t()[0].add_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        x.reshape(3, 2)[1:].mul_(tg.ones(1) if lib is tg else torch.ones(1))


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_write_into_expanded_tensor_raises(lib):
    y = lib.zeros(1, 2).expand(3, 2)
    with pytest.raises(RuntimeError, match="single memory location"):
        y.add_(1)
    with pytest.raises(RuntimeError, match="single memory location"):
        y.copy_(lib.ones(3, 2))
    with pytest.raises(RuntimeError, match="single memory location"):
        y.mul_(lib.ones(3, 2, requires_grad=True))


@pytest.mark.parametrize("case", ["sibling_view", "view_before_base_write"])
def test_stale_view_gets_current_history(case):
    """A view made before its base changed in place (through the base or a sibling view)
    sends its gradient through the base's new history, as in PyTorch."""
    grads = []
    for lib in (tg, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        if case == "sibling_view":
            v = y.reshape(-1)
            y[0].mul_(2)
        else:
            v = y[0]
            y.mul_(3)
        (v * v).sum().backward()
        grads.append(x.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1])
