"""IterableDataset, ChainDataset, WeightedRandomSampler, get_worker_info, default_convert and
DataLoader(batch_size=None) against torch.utils.data."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import retrograd as rg
import retrograd.utils.data as rdata


def stream(module, n=11, with_len=True):
    class Stream(module.IterableDataset):
        def __iter__(self):
            return iter([(np.arange(3, dtype=np.float32) * i, i, {"id": float(i)})
                         for i in range(n)])

    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


def plain(value):
    """A batch as nested Python lists of NumPy arrays, whichever library made it."""
    if isinstance(value, (rg.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], value.numpy().tolist())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [plain(item) for item in value]
    return value


def assert_same_batches(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert plain(a) == plain(b)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                    dict(batch_size=11), dict(batch_size=20, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=3, shuffle=False)])
def test_loader_over_an_iterable_dataset_equals_torchs(kwargs):
    ours, theirs = rdata.DataLoader(stream(rdata), **kwargs), tdata.DataLoader(stream(tdata),
                                                                                **kwargs)
    assert len(ours) == len(theirs)
    assert_same_batches(ours, theirs)
    assert_same_batches(ours, theirs)  # a second epoch starts the stream again


def test_iterable_dataset_without_len():
    ours = rdata.DataLoader(stream(rdata, with_len=False), batch_size=4)
    theirs = tdata.DataLoader(stream(tdata, with_len=False), batch_size=4)
    assert_same_batches(ours, theirs)
    for loader in (ours, theirs):
        with pytest.raises(TypeError):
            len(loader)


@pytest.mark.parametrize("kwargs, message", [
    (dict(shuffle=True), "expected unspecified shuffle option, but got shuffle=True"),
    (dict(sampler=[0, 1]), "expected unspecified sampler option"),
    (dict(batch_sampler=[[0, 1]]), "expected unspecified batch_sampler option"),
])
def test_iterable_dataset_refuses_samplers_as_torch(kwargs, message):
    for module in (rdata, tdata):
        with pytest.raises(ValueError, match=message):
            module.DataLoader(stream(module), **kwargs)


def test_batch_size_none_yields_each_example_converted():
    x = np.arange(12.0).reshape(6, 2)
    for module, lib in ((rdata, rg), (tdata, torch)):
        with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
            module.DataLoader(module.TensorDataset(lib.tensor(x)), batch_size=None,
                              drop_last=True)

    class Examples:
        def __getitem__(self, i):
            return {"x": x[i], "y": np.int64(i), "name": f"n{i}"}, (x[i], 1.5)

        def __len__(self):
            return 6

    ours = rdata.DataLoader(Examples(), batch_size=None, shuffle=True,
                            generator=rg.Generator().manual_seed(0))
    assert len(ours) == 6
    assert sorted(batch[0]["y"].item() for batch in ours) == list(range(6))
    ours = rdata.DataLoader(Examples(), batch_size=None)
    theirs = tdata.DataLoader(Examples(), batch_size=None)
    assert_same_batches(ours, theirs)
    assert ours.collate_fn is rdata.default_convert and ours.batch_sampler is None


def test_default_convert_equals_torchs():
    point = collections.namedtuple("Point", "x y")
    for data in [np.zeros(2), np.float32(3), (np.ones(2), 3), {"a": np.int64(4), "b": "x"},
                 [np.array(["a"])], "str", point(np.zeros(1), 2), [np.bool_(True), b"b"],
                 collections.OrderedDict(a=np.ones(1))]:
        ours, theirs = rdata.default_convert(data), tdata.default_convert(data)
        assert type(ours).__name__ == type(theirs).__name__.replace("Tensor", "Tensor")
        assert str(plain(ours)) == str(plain(theirs))
    tensor = rg.ones(2)
    assert rdata.default_convert(tensor) is tensor


def test_chain_dataset_equals_torchs():
    for module in (rdata, tdata):
        chained = module.ChainDataset([stream(module, 3), stream(module, 2)])
        assert len(chained) == 5
        assert [example[1] for example in chained] == [0, 1, 2, 0, 1]
        added = stream(module, 2) + stream(module, 1)
        assert isinstance(added, module.ChainDataset) and len(list(added)) == 3
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            list(module.ChainDataset([stream(module), [1, 2]]))
    assert_same_batches(rdata.DataLoader(rdata.ChainDataset([stream(rdata, 5), stream(rdata, 4)]),
                                         batch_size=4),
                        tdata.DataLoader(tdata.ChainDataset([stream(tdata, 5), stream(tdata, 4)]),
                                         batch_size=4))


def test_iterable_dataset_base_needs_iter():
    with pytest.raises(NotImplementedError, match="should implement __iter__"):
        iter(rdata.IterableDataset())


def test_get_worker_info_is_none_in_the_main_process():
    assert rdata.get_worker_info() is None is tdata.get_worker_info()
    seen = []

    class Sharded(rdata.IterableDataset):
        def __iter__(self):
            seen.append(rdata.get_worker_info())
            return iter(range(4))

    assert [batch.tolist() for batch in rdata.DataLoader(Sharded(), batch_size=2)] \
        == [[0, 1], [2, 3]]
    assert seen == [None]


# -- WeightedRandomSampler ----------------------------------------------------------------------

WEIGHTS = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]


def test_weighted_sampler_frequencies_follow_the_weights():
    sampler = rdata.WeightedRandomSampler(WEIGHTS, 20000, generator=rg.Generator().manual_seed(3))
    assert len(sampler) == 20000
    draws = list(sampler)
    assert all(isinstance(index, int) for index in draws[:10])
    frequencies = np.bincount(draws, minlength=6) / len(draws)
    expected = np.array(WEIGHTS) / sum(WEIGHTS)
    # 4 standard deviations of a frequency estimated from 20000 draws
    np.testing.assert_allclose(frequencies, expected, atol=4 * np.sqrt(0.25 / 20000))
    assert sampler.weights.dtype == rg.float64 and sampler.replacement is True


def test_weighted_sampler_without_replacement_and_zero_weights():
    generator = rg.Generator().manual_seed(0)
    for _ in range(20):
        draws = list(rdata.WeightedRandomSampler([0.0, 1.0, 2.0, 0.0, 5.0], 3, replacement=False,
                                                 generator=generator))
        assert sorted(draws) == [1, 2, 4]
    first = [list(rdata.WeightedRandomSampler(WEIGHTS, 6, False, generator)) for _ in range(300)]
    first_pick = np.bincount([draws[0] for draws in first], minlength=6) / 300
    assert first_pick.argmax() == 4  # the heaviest weight comes first most often
    for module in (rdata, torch.utils.data):  # more than the weights: refused
        with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist"):
            list(module.WeightedRandomSampler([1.0, 0.0], 3, replacement=False))


def test_weighted_sampler_is_reproducible_with_a_seeded_generator():
    def epochs(seed):
        sampler = rdata.WeightedRandomSampler(WEIGHTS, 50,
                                              generator=rg.Generator().manual_seed(seed))
        return [list(sampler), list(sampler)]
    first, again = epochs(7), epochs(7)
    assert first == again and first[0] != first[1] and epochs(8) != first
    rg.manual_seed(5)
    global_draws = list(rdata.WeightedRandomSampler(WEIGHTS, 30))
    rg.manual_seed(5)
    assert list(rdata.WeightedRandomSampler(WEIGHTS, 30)) == global_draws


def test_weighted_sampler_in_a_loader_balances_classes():
    labels = np.array([0] * 90 + [1] * 10)
    weights = 1.0 / np.bincount(labels)[labels]
    sampler = rdata.WeightedRandomSampler(weights, 4000, generator=rg.Generator().manual_seed(1))
    loader = rdata.DataLoader(rdata.TensorDataset(rg.tensor(labels)), batch_size=100,
                              sampler=sampler)
    drawn = np.concatenate([batch.numpy() for (batch,) in loader])
    assert len(loader) == 40 and abs(drawn.mean() - 0.5) < 0.05


@pytest.mark.parametrize("args, message", [
    ((WEIGHTS, 0), "num_samples should be a positive integer value, but got num_samples=0"),
    ((WEIGHTS, True), "num_samples should be a positive integer value"),
    ((WEIGHTS, 2.0), "num_samples should be a positive integer value"),
    ((WEIGHTS, 3, 1), "replacement should be a boolean value, but got replacement=1"),
    (([[1.0, 2.0]], 3), r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
])
def test_weighted_sampler_errors_are_torchs(args, message):
    for module in (rdata, tdata):
        with pytest.raises(ValueError, match=message):
            module.WeightedRandomSampler(*args)


def test_exports_are_torchs():
    for name in ["IterableDataset", "ChainDataset", "ConcatDataset", "WeightedRandomSampler",
                 "SubsetRandomSampler", "RandomSampler", "SequentialSampler", "BatchSampler",
                 "get_worker_info", "default_collate", "default_convert"]:
        assert hasattr(rdata, name) and hasattr(tdata, name), name
