"""rg.utils.data against torch.utils.data 2.13.0: the same data in both, the same batches out."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import retrograd as rg
from retrograd.utils import data as rdata


def assert_same(ours, theirs):
    """Recursively: same container types, same tensors (shape, dtype, values), same leaves."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, rg.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for our_item, their_item in zip(ours, theirs):
            assert_same(our_item, their_item)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    else:
        assert ours == theirs


def both_tensor_datasets(n, n_features=3):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, n_features)).astype(np.float32)
    y = rng.integers(0, 5, size=n)
    return (rdata.TensorDataset(rg.from_numpy(X), rg.from_numpy(y)),
            tdata.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)))


def epoch_labels(loader):
    """The label tensors of one epoch, as lists of ints."""
    return [batch[-1].tolist() for batch in loader]


# -- DataLoader ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last", [
    (10, 3, False), (10, 3, True), (12, 4, False), (12, 4, True), (5, 8, False), (5, 8, True),
    (7, 1, False)])
def test_loader_batches_match_torch_without_shuffle(n, batch_size, drop_last):
    ours, theirs = both_tensor_datasets(n)
    our_loader = rdata.DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    their_loader = tdata.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(our_loader) == len(their_loader)
    our_batches, their_batches = list(our_loader), list(their_loader)
    assert len(our_batches) == len(their_batches)
    for our_batch, their_batch in zip(our_batches, their_batches):
        assert_same(our_batch, their_batch)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffle_visits_every_index_once_per_epoch(drop_last):
    n, batch_size = 23, 5
    dataset = rdata.TensorDataset(rg.arange(n))
    loader = rdata.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=drop_last,
                              generator=rg.Generator().manual_seed(3))
    epochs = [epoch_labels(loader) for _ in range(3)]
    for batches in epochs:
        sizes = [len(batch) for batch in batches]
        expected = [batch_size] * (n // batch_size) + ([] if drop_last else [n % batch_size])
        assert sizes == expected and len(batches) == len(loader)
        seen = [index for batch in batches for index in batch]
        assert len(set(seen)) == len(seen)  # no index twice
        if not drop_last:
            assert sorted(seen) == list(range(n))
    assert epochs[0] != epochs[1] != epochs[2]  # each epoch reshuffles


def test_same_seed_same_order_and_different_seeds_differ():
    dataset = rdata.TensorDataset(rg.arange(50))

    def orders(seed):
        loader = rdata.DataLoader(dataset, batch_size=7, shuffle=True,
                                  generator=rg.Generator().manual_seed(seed))
        return [epoch_labels(loader) for _ in range(2)]

    assert orders(0) == orders(0)
    assert orders(0) != orders(1)


def test_global_seed_makes_shuffling_reproducible():
    loader = rdata.DataLoader(rdata.TensorDataset(rg.arange(40)), batch_size=8, shuffle=True)
    rg.manual_seed(5)
    first = [epoch_labels(loader) for _ in range(2)]
    rg.manual_seed(5)
    assert [epoch_labels(loader) for _ in range(2)] == first
    assert first[0] != first[1]


def by_examples(batch):
    """A collate_fn that forces the per-example path while collating the same way."""
    return rdata.default_collate(batch)


@pytest.mark.parametrize("shuffle", [False, True])
def test_fancy_index_path_equals_per_example_path(shuffle):
    ours, _ = both_tensor_datasets(31)
    train, _ = rdata.random_split(ours, [0.75, 0.25], generator=rg.Generator().manual_seed(0))
    for dataset in (ours, train):
        fast, slow = (rdata.DataLoader(dataset, batch_size=4, shuffle=shuffle, collate_fn=fn,
                                       generator=rg.Generator().manual_seed(9))
                      for fn in (None, by_examples))
        for fast_batch, slow_batch in zip(fast, slow, strict=True):
            assert len(fast_batch) == len(slow_batch) == 2
            for a, b in zip(fast_batch, slow_batch):
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a.numpy(), b.numpy())


class CountingTensor(rg.Tensor):
    """A tensor that counts how often it is indexed."""
    __slots__ = ()
    reads = 0

    def __getitem__(self, key):
        CountingTensor.reads += 1
        return super().__getitem__(key)


def test_tensor_dataset_batches_by_one_fancy_index_per_tensor_and_keeps_a_subclass_getitem():
    X = CountingTensor(np.zeros((1000, 4), dtype=np.float32))
    y = CountingTensor(np.zeros(1000, dtype=np.int64))
    CountingTensor.reads = 0
    loader = rdata.DataLoader(rdata.TensorDataset(X, y), batch_size=100, shuffle=True)
    assert sum(1 for _ in loader) == 10
    assert CountingTensor.reads == 10 * 2


@pytest.mark.parametrize("requires_grad", [False, True])
def test_fast_batches_equal_indexing_the_tensors(requires_grad):
    X = rg.randn(50, 3, requires_grad=requires_grad)
    y = rg.randint(0, 4, (50,))
    order = rg.Generator().manual_seed(3)
    loader = rdata.DataLoader(rdata.TensorDataset(X, y), batch_size=7, shuffle=True,
                              generator=order)
    indices = rdata.BatchSampler(rdata.RandomSampler(range(50), generator=rg.Generator()
                                                     .manual_seed(3)), 7, False)
    for (xb, yb), batch in zip(loader, indices, strict=True):
        assert xb.dtype == X.dtype and yb.dtype == y.dtype
        np.testing.assert_array_equal(xb.detach().numpy(), X.detach().numpy()[batch])
        np.testing.assert_array_equal(yb.numpy(), y.numpy()[batch])
        assert not np.shares_memory(xb.detach().numpy(), X.detach().numpy())
        assert (xb.grad_fn is not None) == requires_grad and yb.grad_fn is None


def test_tensor_dataset_subclass_keeps_its_getitem():
    class Doubled(rdata.TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    dataset = Doubled(rg.arange(6).float(), rg.arange(6))
    (x, y), = list(rdata.DataLoader(dataset, batch_size=6))
    assert x.tolist() == [0, 2, 4, 6, 8, 10] and y.tolist() == list(range(6))


def test_loader_over_a_general_dataset_collates_dicts_like_torch():
    class Ours(rdata.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, dtype=np.float32), "label": i, "name": f"item{i}"}

    class Theirs(tdata.Dataset):
        __len__, __getitem__ = Ours.__len__, Ours.__getitem__

    for our_batch, their_batch in zip(rdata.DataLoader(Ours(), batch_size=2),
                                      tdata.DataLoader(Theirs(), batch_size=2), strict=True):
        assert_same(our_batch, their_batch)


def test_user_sampler_and_batch_sampler():
    ours, theirs = both_tensor_datasets(10)
    order = [9, 0, 8, 1, 7, 2, 6]

    class Ours(rdata.Sampler):
        def __iter__(self):
            return iter(order)

        def __len__(self):
            return len(order)

    our_loader = rdata.DataLoader(ours, batch_size=3, sampler=Ours(), drop_last=True)
    their_loader = tdata.DataLoader(theirs, batch_size=3, sampler=order, drop_last=True)
    assert len(our_loader) == len(their_loader) == 2
    for our_batch, their_batch in zip(our_loader, their_loader, strict=True):
        assert_same(our_batch, their_batch)
    batches = [[0, 5], [1, 2, 3], [9]]
    for our_batch, their_batch in zip(rdata.DataLoader(ours, batch_sampler=batches),
                                      tdata.DataLoader(theirs, batch_sampler=batches),
                                      strict=True):
        assert_same(our_batch, their_batch)


@pytest.mark.parametrize("kwargs", [
    dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True), dict(num_workers=-1), dict(batch_size=0),
    dict(batch_size=2.5), dict(drop_last=1)])
def test_loader_argument_errors_match_torch(kwargs):
    ours, theirs = both_tensor_datasets(4)
    with pytest.raises(ValueError) as their_error:
        tdata.DataLoader(theirs, **kwargs)
    with pytest.raises(type(their_error.value)):
        rdata.DataLoader(ours, **kwargs)


# -- default_collate ---------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


def collate_cases():
    """Pairs of (our batch, torch's batch) built from the same values."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    return {
        "tensors": ([rg.from_numpy(a) for a in arrays], [torch.from_numpy(a) for a in arrays]),
        "tuples of tensor and int": ([(rg.from_numpy(a), i) for i, a in enumerate(arrays)],
                                     [(torch.from_numpy(a), i) for i, a in enumerate(arrays)]),
        "python floats are float64": ([0.5, 1.5, 2.5],) * 2,
        "python bools": ([True, False],) * 2,
        "numpy arrays keep their dtype": ([a.astype(np.float64) for a in arrays],) * 2,
        "numpy scalars": ([np.float32(1), np.float32(2)],) * 2,
        "numpy int scalars": ([np.int32(1), np.int32(2)],) * 2,
        "dicts": ([{"a": i, "b": [float(i), 2.0 * i], "s": "x"} for i in range(3)],) * 2,
        "nested": ([((i, np.ones(2) * i), {"k": (i,)}) for i in range(3)],) * 2,
        "named tuples": ([Point(i, float(i)) for i in range(3)],) * 2,
        "ordered dicts": ([collections.OrderedDict(b=i, a=i) for i in range(2)],) * 2,
        "strings": (["a", "bc"],) * 2,
    }


@pytest.mark.parametrize("case", list(collate_cases()))
def test_default_collate_matches_torch(case):
    ours, theirs = collate_cases()[case]
    assert_same(rdata.default_collate(ours), tdata.default_collate(theirs))


@pytest.mark.parametrize("batch", [
    [np.array(["a"]), np.array(["b"])], [object(), object()], [[1, 2], [3]]])
def test_default_collate_errors_match_torch(batch):
    with pytest.raises((TypeError, RuntimeError)) as their_error:
        tdata.default_collate(batch)
    with pytest.raises(type(their_error.value)):
        rdata.default_collate(batch)


def test_default_collate_rejects_tensors_of_different_shapes():
    with pytest.raises(RuntimeError, match=r"same shape.*\(2,\).*\(3,\)"):
        rdata.default_collate([rg.zeros(2), rg.zeros(3)])


# -- data sets ---------------------------------------------------------------------------------

def test_tensor_dataset_indexing_matches_torch():
    ours, theirs = both_tensor_datasets(6)
    assert len(ours) == len(theirs)
    for index in (0, 5, -1, slice(1, 4), [0, 2, 2]):
        assert_same(ours[index], theirs[index])


def test_tensor_dataset_takes_numpy_arrays_without_copy():
    X = np.zeros((3, 2), dtype=np.float32)
    dataset = rdata.TensorDataset(X, np.arange(3))
    X[1, 0] = 7
    assert dataset[1][0].tolist() == [7.0, 0.0] and dataset[1][1].dtype == rg.int64


def test_tensor_dataset_errors():
    with pytest.raises(AssertionError, match=r"Size mismatch.*\[3, 2\]"):
        rdata.TensorDataset(rg.zeros(3, 2), rg.zeros(2))
    with pytest.raises(AssertionError):  # as torch
        tdata.TensorDataset(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(TypeError, match="list"):
        rdata.TensorDataset([1, 2, 3])
    with pytest.raises(ValueError, match="0-d"):
        rdata.TensorDataset(rg.tensor(1.0))
    with pytest.raises(ValueError, match="at least one"):
        rdata.TensorDataset()


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        rdata.Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(rdata.Dataset())


def test_subset_and_concat_dataset_match_torch():
    (ours_a, theirs_a), (ours_b, theirs_b) = both_tensor_datasets(5), both_tensor_datasets(3)
    our_sub, their_sub = rdata.Subset(ours_a, [4, 0, 2]), tdata.Subset(theirs_a, [4, 0, 2])
    assert len(our_sub) == len(their_sub) == 3
    for index in (0, 2, -1, [0, 1]):
        assert_same(our_sub[index], their_sub[index])
    our_cat = rdata.ConcatDataset([ours_a, our_sub, ours_b])
    their_cat = tdata.ConcatDataset([theirs_a, their_sub, theirs_b])
    assert our_cat.cumulative_sizes == their_cat.cumulative_sizes == [5, 8, 11]
    for index in range(-len(their_cat), len(their_cat)):
        assert_same(our_cat[index], their_cat[index])
    added = ours_a + ours_b
    assert isinstance(added, rdata.ConcatDataset) and len(added) == 8
    with pytest.raises(ValueError, match="exceed dataset length"):
        our_cat[-12]
    with pytest.raises(AssertionError, match="empty"):
        rdata.ConcatDataset([])


# -- random_split --------------------------------------------------------------------------------

@pytest.mark.parametrize("n, lengths", [
    (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (10, [3, 7]), (7, [0.1, 0.1, 0.8]),
    (1797, [0.8, 0.2])])
def test_random_split_sizes_match_torch_and_cover_everything(n, lengths):
    ours = rdata.random_split(rdata.TensorDataset(rg.arange(n)), lengths,
                              generator=rg.Generator().manual_seed(0))
    theirs = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(subset) for subset in ours] == [len(subset) for subset in theirs]
    indices = [index for subset in ours for index in subset.indices]
    assert sorted(indices) == list(range(n))  # disjoint, and every example is somewhere
    assert all(isinstance(subset, rdata.Subset) for subset in ours)


def test_random_split_is_reproducible_by_seed():
    def split(seed):
        parts = rdata.random_split(rdata.TensorDataset(rg.arange(40)), [0.5, 0.5],
                                   generator=rg.Generator().manual_seed(seed))
        return [part.indices for part in parts]

    assert split(1) == split(1)
    assert split(1) != split(2)
    rg.manual_seed(4)
    first = rdata.random_split(range(20), [10, 10])[0].indices
    rg.manual_seed(4)
    assert rdata.random_split(range(20), [10, 10])[0].indices == first


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [1.5, -0.5]])
def test_random_split_errors_match_torch(lengths):
    with pytest.raises(ValueError):
        tdata.random_split(range(10), lengths)
    with pytest.raises(ValueError):
        rdata.random_split(range(10), lengths)


def test_random_split_warns_about_an_empty_split():
    # floor(3 * 0.1) = 0 twice; the one left over goes to split 0, split 1 stays empty
    with pytest.warns(UserWarning, match="index 1 is 0"):
        tdata.random_split(range(3), [0.1, 0.1, 0.8])
    with pytest.warns(UserWarning, match="index 1 is 0"):
        rdata.random_split(range(3), [0.1, 0.1, 0.8])


# -- samplers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (5, False), (11, True)])
def test_batch_sampler_matches_torch(batch_size, drop_last):
    ours = rdata.BatchSampler(rdata.SequentialSampler(range(10)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    over_a_list = rdata.BatchSampler(list(range(10)), batch_size, drop_last)
    assert list(over_a_list) == list(theirs)


def test_random_sampler():
    sampler = rdata.RandomSampler(range(20), generator=rg.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    assert all(type(index) is int for index in first)
    longer = rdata.RandomSampler(range(20), num_samples=45)
    drawn = list(longer)
    assert len(drawn) == len(longer) == 45
    assert all(sorted(drawn[k:k + 20]) == list(range(20)) for k in (0, 20))
    with_replacement = list(rdata.RandomSampler(range(5), replacement=True, num_samples=100))
    assert len(with_replacement) == 100 and set(with_replacement) == set(range(5))
    subset = list(rdata.SubsetRandomSampler([3, 5, 7]))
    assert sorted(subset) == [3, 5, 7]
    with pytest.raises(ValueError, match="num_samples"):
        rdata.RandomSampler(range(5), num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        rdata.RandomSampler(range(5), replacement=1)
