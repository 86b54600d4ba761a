"""Multi-process data-parallel training (PyTorch's ``torch.distributed``), on MPI for CPUs
and NCCL for GPUs. Start N processes with ``mpiexec -n N python script.py``; in the script::

    import tensorgrad.distributed as dist
    dist.init_process_group("mpi")
    model = dist.DistributedDataParallel(model)
    loader = DataLoader(data, batch_size=B, sampler=dist.DistributedSampler(data))
    fit(model, loader, loss_fn, optimizer, num_epochs)   # logs on rank 0 only

Importing this package does not import MPI; ``init_process_group`` does.
"""

from .ddp import DistributedDataParallel
from .process_group import (
    ReduceOp,
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    reduce_scatter,
)
from .sampler import DistributedSampler
from .sync_batchnorm import SyncBatchNorm

__all__ = [
    "DistributedDataParallel",
    "DistributedSampler",
    "ReduceOp",
    "SyncBatchNorm",
    "Work",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "reduce_scatter",
]
