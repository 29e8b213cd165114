"""DistributedSampler against PyTorch's: the same shares with shuffle=False, and with
shuffle=True a partition of one permutation that set_epoch changes deterministically."""
import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler as TorchDistributedSampler

import retrograd as rg
from retrograd.utils.data import DataLoader, DistributedSampler, TensorDataset

SIZES = [0, 1, 5, 10, 11, 16, 17]
REPLICAS = [1, 2, 3, 4, 7]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("num_replicas", REPLICAS)
@pytest.mark.parametrize("size", SIZES)
def test_same_indices_as_torch_in_order(size, num_replicas, drop_last):
    for rank in range(num_replicas):
        ours = DistributedSampler(range(size), num_replicas, rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = TorchDistributedSampler(range(size), num_replicas, rank, shuffle=False,
                                         drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert ours.total_size == theirs.total_size


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("size, num_replicas", [(10, 3), (12, 4), (5, 7), (17, 2)])
def test_shuffled_shares_partition_one_permutation(size, num_replicas, drop_last):
    shares = [list(DistributedSampler(range(size), num_replicas, rank, seed=3,
                                      drop_last=drop_last)) for rank in range(num_replicas)]
    assert len({len(share) for share in shares}) == 1
    # interleaved back in rank order, the shares are the padded (or cut) permutation
    order = [share[i] for i in range(len(shares[0])) for share in shares]
    permutation = rg.randperm(size, generator=rg.Generator().manual_seed(3)).tolist()
    padded = (permutation * (num_replicas + 1))[:len(order)]
    assert order == padded
    if not drop_last:
        assert set(order) == set(range(size))


def test_set_epoch_changes_the_order_deterministically():
    sampler = DistributedSampler(range(100), num_replicas=2, rank=1, seed=7)
    first = list(sampler)
    assert list(sampler) == first  # same epoch, same order
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    other = DistributedSampler(range(100), num_replicas=2, rank=0, seed=7)
    other.set_epoch(1)
    assert sorted(list(other) + second) == list(range(100))  # still a partition
    again = DistributedSampler(range(100), num_replicas=2, rank=1, seed=7)
    again.set_epoch(1)
    assert list(again) == second


def test_defaults_without_process_group():
    sampler = DistributedSampler(range(5), shuffle=False)
    assert (sampler.num_replicas, sampler.rank) == (1, 0)
    assert list(sampler) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("rank", [-1, 2])
def test_rank_out_of_range(rank):
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(range(5), num_replicas=2, rank=rank)


def test_data_loader_batches_of_one_share():
    features = rg.arange(10).reshape(10, 1)
    sampler = DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False)
    loader = DataLoader(TensorDataset(features), batch_size=2, sampler=sampler)
    assert [batch[0].flatten().tolist() for batch in loader] == [[2, 5], [8, 1]]
    assert len(loader) == 2
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(10).reshape(10, 1)), batch_size=2,
        sampler=TorchDistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False))
    assert [batch[0].flatten().tolist() for batch in theirs] == [[2, 5], [8, 1]]
    assert sampler.epoch_order().dtype == np.int64
