"""``ctc_loss`` and ``CTCLoss`` against PyTorch.

* an op table: the loss of ``log_softmax(x)`` for padded and concatenated targets, repeated
  labels, a blank other than 0, unbatched input, an empty target, every reduction and
  ``zero_infinity`` (gradcheck, gradgradcheck, float32/float64 values and the gradient of x);
* random cases, with impossible alignments (inf, and PyTorch's NaN gradient) among them;
* the gradient with respect to ``log_probs`` itself, which differs from PyTorch's kernel by
  exp(log_probs) (see tensorgrad/nn/ctc.py);
* the module, tensor and tuple lengths, the errors.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")
F = tg.nn.functional


def ctc(targets, input_lengths, target_lengths, **kwargs):
    """``ctc_loss(log_softmax(x), ...)``: the targets and lengths are constants."""

    def fn(lib, x):
        t = lib.tensor(np.asarray(targets))
        return lib.nn.functional.ctc_loss(
            x.log_softmax(-1), t, input_lengths, target_lengths, **kwargs
        )

    return fn


PADDED = [[1, 1, 2], [3, 4, 0], [2, 3, 2]]  # repeated labels need a blank between them

OPS = [
    OpSpec("nn.functional.ctc_loss", ctc(PADDED, [6, 5, 6], [3, 2, 3]), [((6, 3, 5),)]),
    OpSpec(
        "nn.functional.ctc_loss",
        ctc([1, 1, 3, 4, 2], (6, 4, 5), (2, 1, 2), reduction="sum"),  # concatenated
        [((6, 3, 5),)],
    ),
    OpSpec(
        "nn.functional.ctc_loss",
        ctc([[0, 1], [2, 2]], [5, 4], [2, 2], blank=3, reduction="none"),
        [((5, 2, 4),)],
    ),
    OpSpec(
        "nn.functional.ctc_loss",
        ctc([[1, 2, 2], [1, 0, 0]], [4, 4], [3, 0], reduction="none"),  # an empty target
        [((4, 2, 3),)],
    ),
    OpSpec(
        "nn.functional.ctc_loss",  # sample 0 has no alignment (4 frames for 1 b 1 b 1)
        ctc([[1, 1, 1], [2, 1, 0]], [4, 4], [3, 2], zero_infinity=True),
        [((4, 2, 3),)],
    ),
    OpSpec(
        "nn.functional.ctc_loss",  # unbatched: (T, C), targets (S,), 0-d lengths
        lambda lib, x: lib.nn.functional.ctc_loss(
            x.log_softmax(-1), lib.tensor([1, 2, 1]), lib.tensor(5), lib.tensor(3)
        ),
        [((5, 3),)],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


def _random_case(rng, T, N, C, S, blank):
    labels = [c for c in range(C) if c != blank]
    target_lengths = rng.integers(0, S + 1, N)
    targets = rng.choice(labels, (N, S))
    targets[:, 1] = targets[:, 0]  # a repeated label in every target of length >= 2
    input_lengths = rng.integers(max(1, T // 2), T + 1, N)
    return targets, input_lengths, target_lengths


def _both(x, targets, il, tl, lp_leaf=False, **kwargs):
    """Loss and gradient (of x, or of the log-probabilities themselves) in both libraries."""
    out = []
    g = None
    for lib in (tg, torch):
        leaf = lib.tensor(x, requires_grad=True)
        lp = leaf if lp_leaf else leaf.log_softmax(-1)
        loss = lib.nn.functional.ctc_loss(
            lp, lib.tensor(targets), lib.tensor(il), lib.tensor(tl), **kwargs
        )
        if g is None:
            g = np.random.default_rng(1).standard_normal(tuple(loss.shape))
        loss.backward(lib.tensor(g, dtype=loss.dtype))
        out.append((loss.detach().numpy(), leaf.grad.numpy()))
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_random_cases_match_torch(seed, reduction):
    """Random lengths (some targets too long for their frames: inf), blank 0 or not."""
    rng = np.random.default_rng(seed)
    T, N, C, S = 7, 4, 5, 4
    blank = [0, C - 1][seed % 2]
    targets, il, tl = _random_case(rng, T, N, C, S, blank)
    x = rng.standard_normal((T, N, C)) * 2
    for zero_infinity in (False, True):
        (a, ga), (b, gb) = _both(
            x, targets, il, tl, blank=blank, reduction=reduction, zero_infinity=zero_infinity
        )
        np.testing.assert_allclose(a, b, rtol=1e-10)
        # impossible samples: PyTorch's gradient is NaN at their frames, ours too
        np.testing.assert_array_equal(np.isnan(ga), np.isnan(gb))
        np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-12)


def test_impossible_alignment_is_inf_and_zero_infinity_zeroes_it():
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    targets, il, tl = np.array([[1, 1], [1, 2]]), np.array([2, 3]), np.array([2, 2])
    (a, ga), (b, gb) = _both(x, targets, il, tl, reduction="none")
    assert np.isinf(a[0]) and np.isfinite(a[1]) and np.isinf(b[0])
    assert np.isnan(ga[:2, 0]).all() and (ga[2:, 0] == 0).all() and np.isfinite(ga[:, 1]).all()
    (a, ga), (b, gb) = _both(x, targets, il, tl, reduction="none", zero_infinity=True)
    assert a[0] == 0 and (ga[:, 0] == 0).all()
    np.testing.assert_allclose(ga, gb, rtol=1e-10)


def test_gradient_of_log_probs_is_the_derivative_not_torchs_kernel_value():
    """PyTorch's kernel adds exp(log_probs) (times the upstream gradient) at every frame
    before the input length; through the log_softmax it vanishes (the other tests)."""
    rng = np.random.default_rng(3)
    x = np.log(rng.dirichlet(np.ones(5), (6, 2)))
    targets, il, tl = np.array([[1, 2, 2], [3, 1, 0]]), np.array([6, 5]), np.array([3, 2])
    (a, ga), (b, gb) = _both(x, targets, il, tl, lp_leaf=True, reduction="sum")
    np.testing.assert_allclose(a, b, rtol=1e-12)
    active = (np.arange(6)[:, None] < il)[:, :, None]
    upstream = np.random.default_rng(1).standard_normal(())  # _both's upstream gradient
    np.testing.assert_allclose(ga + np.exp(x) * active * upstream, gb, rtol=1e-10, atol=1e-12)
    lp = tg.tensor(x, requires_grad=True)
    args = (tg.tensor(targets), tg.tensor(il), tg.tensor(tl))
    assert tg.autograd.gradcheck(lambda t: F.ctc_loss(t, *args), [lp])


def test_float32_and_int32_lengths_match_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3, 6)).astype(np.float32)
    targets = rng.integers(1, 6, (3, 4)).astype(np.int32)
    il, tl = np.array([8, 7, 6], dtype=np.int32), np.array([4, 3, 2], dtype=np.int32)
    (a, ga), (b, gb) = _both(x, targets, il, tl)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(ga, gb, rtol=1e-4, atol=1e-6)


def test_module_matches_torch():
    rng = np.random.default_rng(2)
    lp = np.log(rng.dirichlet(np.ones(4), (6, 3)))
    targets = np.array([[1, 2], [3, 3], [2, 1]])
    for kwargs in ({}, {"blank": 1, "reduction": "sum"}, {"zero_infinity": True}):
        if kwargs.get("blank") == 1:
            targets = np.array([[0, 2], [3, 3], [2, 0]])
        ours, theirs = tg.nn.CTCLoss(**kwargs), torch.nn.CTCLoss(**kwargs)
        assert repr(ours) == repr(theirs)
        assert (ours.blank, ours.zero_infinity, ours.reduction) == (
            theirs.blank,
            theirs.zero_infinity,
            theirs.reduction,
        )
        check_layer(  # log_softmax first: the gradient of log_probs itself differs
            ours,
            theirs,
            [lp, targets, np.array([6, 5, 6]), np.array([2, 2, 1])],
            forward=lambda layer, x, *rest: layer(x.log_softmax(-1), *rest),
        )
    # lengths as tuples of ints, as PyTorch allows
    a = tg.nn.CTCLoss()(tg.tensor(lp), tg.tensor(targets), (6, 5, 6), (2, 2, 1))
    b = torch.nn.CTCLoss()(torch.tensor(lp), torch.tensor(targets), (6, 5, 6), (2, 2, 1))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_signatures_are_torchs():
    import inspect

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(F.ctc_loss) == params(torch.nn.functional.ctc_loss)
    assert params(tg.nn.CTCLoss.__init__) == params(torch.nn.CTCLoss.__init__)


def test_errors_name_the_problem():
    lp = tg.randn(5, 2, 4).log_softmax(-1)
    t = tg.tensor([[1, 2], [2, 3]])
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 5"):
        F.ctc_loss(lp, t, [6, 5], [2, 2])
    with pytest.raises(RuntimeError, match="size at least 3 at dimension 1"):
        F.ctc_loss(lp, t, [5, 5], [3, 2])
    with pytest.raises(RuntimeError, match="value at least 0"):
        F.ctc_loss(lp, t, [5, -1], [2, 2])
    with pytest.raises(RuntimeError, match="must be of size batch_size"):
        F.ctc_loss(lp, t, [5, 5, 5], [2, 2])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, t, [5, 5], [2, 2], blank=4)
    with pytest.raises(RuntimeError, match=r"labels must be in \[0, 4\)"):
        F.ctc_loss(lp, tg.tensor([[1, 7], [2, 3]]), [5, 5], [2, 2])
    with pytest.raises(RuntimeError, match="sum\\(target_lengths\\) = 4"):
        F.ctc_loss(lp, tg.tensor([1, 2, 3]), [5, 5], [2, 2])
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.ctc_loss(lp, t, [5, 5], [2, 2], reduction="avg")
    with pytest.raises(RuntimeError, match="floating point"):
        F.ctc_loss(tg.ones(5, 2, 4, dtype=tg.int64), t, [5, 5], [2, 2])


def test_compiled_ctc_loss_replays_with_new_targets_and_lengths():
    def step(x, targets, il, tl):
        return F.ctc_loss(x.log_softmax(-1), targets, il, tl)

    compiled = tg.compile(step)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = tg.tensor(rng.standard_normal((6, 2, 5)))
        targets = tg.tensor(rng.integers(1, 5, (2, 3)))
        il, tl = tg.tensor(rng.integers(4, 7, 2)), tg.tensor(rng.integers(1, 4, 2))
        np.testing.assert_allclose(
            compiled(x, targets, il, tl).numpy(), step(x, targets, il, tl).numpy(), rtol=1e-12
        )
