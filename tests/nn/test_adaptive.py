"""``AdaptiveLogSoftmaxWithLoss`` against PyTorch: weights copied through ``load_state_dict``
(PyTorch's keys ``head.weight``, ``tail.0.0.weight``, ...), then the (output, loss) of
``forward`` and every gradient, ``log_prob`` and ``predict``, for targets in the shortlist and
in each cluster (and clusters no row falls in), batched and unbatched."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer, copy_weights

torch = pytest.importorskip("torch")

CONFIGS = [
    dict(in_features=16, n_classes=10, cutoffs=[3, 6]),
    dict(in_features=8, n_classes=10, cutoffs=[4], div_value=2.0, head_bias=True),
    dict(in_features=16, n_classes=20, cutoffs=[2, 5, 12], div_value=1.5),
]


def _layers(config):
    return tg.nn.AdaptiveLogSoftmaxWithLoss(**config), torch.nn.AdaptiveLogSoftmaxWithLoss(**config)


@pytest.mark.parametrize("config", CONFIGS)
def test_forward_output_loss_and_gradients_match_torch(config):
    rng = np.random.default_rng(0)
    n = config["n_classes"]
    x = rng.standard_normal((7, config["in_features"]))
    target = rng.integers(0, n, 7)
    target[:2] = [0, n - 1]  # the shortlist and the last cluster at least
    ours, theirs = _layers(config)
    tg_out, th_out = check_layer(ours, theirs, [x, target])
    assert len(tg_out) == 2
    out = ours(tg.tensor(x), tg.tensor(target))
    assert out._fields == ("output", "loss") and out.output.shape == (7,)


def test_unbatched_and_rows_in_one_cluster_only():
    config = CONFIGS[2]
    ours, theirs = _layers(config)
    x = np.random.default_rng(1).standard_normal(config["in_features"])
    check_layer(ours, theirs, [x, np.array(7)])  # 0-d target, 1-d input: output ()
    assert ours(tg.tensor(x), tg.tensor(7)).output.shape == ()
    x2 = np.random.default_rng(2).standard_normal((3, config["in_features"]))
    check_layer(ours, theirs, [x2, np.array([0, 1, 1])], copy=False)  # no tail row


@pytest.mark.parametrize("config", CONFIGS)
def test_log_prob_and_predict_match_torch(config):
    ours, theirs = _layers(config)
    theirs.double()
    ours.double()
    copy_weights(ours, theirs)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, config["in_features"])) * 3
    a, b = ours.log_prob(tg.tensor(x)), theirs.log_prob(torch.tensor(x))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.exp(a.detach().numpy()).sum(1), 1.0, rtol=1e-10)
    p, q = ours.predict(tg.tensor(x)), theirs.predict(torch.tensor(x))
    assert p.dtype == tg.int64
    np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert (q.numpy() >= config["cutoffs"][0]).any()  # some rows leave the shortlist


def test_structure_repr_and_state_dict_are_torchs():
    for config in CONFIGS:
        ours, theirs = _layers(config)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for attr in ("cutoffs", "shortlist_size", "n_clusters", "head_size", "div_value"):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    import inspect

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(tg.nn.AdaptiveLogSoftmaxWithLoss.__init__) == params(
        torch.nn.AdaptiveLogSoftmaxWithLoss.__init__
    )


def test_errors_are_torchs():
    m = tg.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])
    for cutoffs in ([], [3, 3], [0, 4], [4, 3], [10]):
        with pytest.raises(ValueError, match="cutoffs"):
            tg.nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(tg.randn(2, 4), tg.tensor([1, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(tg.randn(2, 4), tg.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        m(tg.randn(2, 4), tg.tensor(1))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(tg.randn(2, 4), tg.tensor([[1]]))
