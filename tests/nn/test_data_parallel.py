"""The single-process wrappers of ``torch.nn`` on one process: ``DataParallel`` (holds
``.module``, calls it, state-dict keys under ``module.``) and ``nn.SyncBatchNorm`` (batch norm
when there is one process; ``convert_sync_batchnorm`` replaces every batch norm)."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6), lib.nn.Linear(6, 2))


def test_data_parallel_wraps_the_module_as_torch():
    ours, theirs = tg.nn.DataParallel(_model(tg)), torch.nn.DataParallel(_model(torch))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict())[0] == "module.0.weight"
    x = np.random.default_rng(0).standard_normal((5, 4))
    check_layer(ours, theirs, [x])  # values, gradients, running statistics
    assert ours.device_ids == theirs.device_ids == []  # no GPU here
    # a checkpoint saved from the wrapped model loads into the bare one after stripping
    bare = _model(tg)
    bare.load_state_dict({k.removeprefix("module."): v for k, v in ours.state_dict().items()})


def test_data_parallel_passes_keyword_arguments_and_structures():
    class Pair(tg.nn.Module):
        def forward(self, x, *, scale=1.0, extra=None):
            return {"y": x * scale, "extra": extra}

    out = tg.nn.DataParallel(Pair())(tg.ones(2), scale=3.0, extra=(tg.ones(1),))
    np.testing.assert_array_equal(out["y"].numpy(), [3.0, 3.0])
    assert isinstance(out["extra"], tuple)


def test_sync_batchnorm_is_batch_norm_on_one_process():
    assert tg.nn.SyncBatchNorm is tg.distributed.SyncBatchNorm
    x = np.random.default_rng(1).standard_normal((6, 3, 4))
    for train in (True, False):
        check_layer(tg.nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3), [x], train=train)


def test_convert_sync_batchnorm_replaces_every_batch_norm_as_torch():
    def build(lib):
        return lib.nn.Sequential(
            lib.nn.Conv2d(3, 3, 1),
            lib.nn.BatchNorm2d(3),
            lib.nn.Sequential(lib.nn.BatchNorm1d(3, momentum=0.3, affine=False)),
        )

    ours = tg.nn.SyncBatchNorm.convert_sync_batchnorm(build(tg))
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build(torch))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
