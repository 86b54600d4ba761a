"""DistributedSampler against PyTorch's (partition, padding, drop_last) and its epochs."""

import pytest
import torch.utils.data.distributed as torch_dist

from tensorgrad.distributed import DistributedSampler


@pytest.mark.parametrize("n", [1, 5, 10, 11, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_partition_and_padding_match_pytorch(n, replicas, drop_last):
    data = list(range(n))
    if drop_last and n < replicas:
        return  # torch then has 0 samples per rank as well; covered by the length check below
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_dist.DistributedSampler(
            data, replicas, rank, shuffle=False, drop_last=drop_last
        )
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n, replicas", [(10, 3), (7, 2), (2, 5)])
def test_every_sample_once_per_epoch_and_a_new_order_each_epoch(n, replicas):
    samplers = [DistributedSampler(range(n), replicas, r, seed=5) for r in range(replicas)]
    orders = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        shards = [list(s) for s in samplers]
        assert len({len(shard) for shard in shards}) == 1  # equal shares: same step count
        flat = [i for shard in shards for i in shard]
        assert set(flat) == set(range(n))
        assert len(flat) - n == samplers[0].total_size - n  # only the padding repeats
        orders.append([i for step in zip(*shards) for i in step])
    assert orders[0] != orders[1] or n < 3
    # same seed and epoch: the same order again (every rank computes the same permutation)
    samplers[0].set_epoch(1)
    assert list(samplers[0]) == orders[1][0::replicas]


def test_without_a_process_group_it_is_one_rank():
    assert sorted(DistributedSampler(range(6))) == list(range(6))


@pytest.mark.parametrize("rank", [-1, 2, 2.0])
def test_bad_rank(rank):
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(range(4), num_replicas=2, rank=rank)
