"""What works without a job: errors before any MPI call, a process on its own as rank 0 of 1,
and SyncBatchNorm outside training or alone being BatchNorm."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.distributed as dist
from tensorgrad import nn


def test_without_init_a_process_is_rank_0_of_1():
    assert not dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)


def test_ddp_and_collectives_need_init_process_group():
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(tg.ones(2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.barrier()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "gloo"}, "backend must be 'mpi' or 'nccl'"),
        ({"backend": "mpi", "timeout": -1}, "timeout must be"),
    ],
)
def test_init_process_group_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_sync_batchnorm_alone_is_batchnorm():
    tg.manual_seed(0)
    x = tg.randn(6, 4, 3, dtype=tg.float64)
    bn, sync = nn.BatchNorm1d(4).double(), dist.SyncBatchNorm(4).double()
    for mode in ("train", "eval"):
        getattr(bn, mode)()
        getattr(sync, mode)()
        np.testing.assert_array_equal(bn(x).detach().numpy(), sync(x).detach().numpy())
    np.testing.assert_array_equal(bn.running_var.numpy(), sync.running_var.numpy())


def test_convert_sync_batchnorm_keeps_parameters_buffers_and_mode():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, momentum=0.3), nn.ReLU())
    model.eval()
    weight, running_mean = model[1].weight, model[1].running_mean
    converted = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and isinstance(model[1], dist.SyncBatchNorm)
    assert model[1].weight is weight and model[1].running_mean is running_mean
    assert model[1].momentum == 0.3 and not model[1].training
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
