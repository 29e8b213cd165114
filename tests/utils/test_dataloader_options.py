"""DataLoader's keywords against torch.utils.data.DataLoader: the same signature, the same
checks and errors, and their meaning where they have one in a main-process loader
(generator, worker_init_fn, persistent_workers)."""
import inspect
import multiprocessing

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import retrograd as rg
import retrograd.utils.data as rdata


def datasets(n=10):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    return rdata.TensorDataset(rg.tensor(x)), tdata.TensorDataset(torch.tensor(x))


def test_signature_is_torchs():
    ours = inspect.signature(rdata.DataLoader).parameters
    theirs = inspect.signature(tdata.DataLoader).parameters
    assert list(ours) == list(theirs)
    for name, parameter in ours.items():
        assert parameter.kind == theirs[name].kind, name
        assert parameter.default == theirs[name].default, name


ACCEPTED = [
    dict(pin_memory=True),
    dict(pin_memory=True, pin_memory_device="cuda"),
    dict(timeout=0), dict(timeout=2.5, num_workers=1),
    dict(num_workers=2), dict(num_workers=2, prefetch_factor=4),
    dict(num_workers=2, prefetch_factor=0),
    dict(num_workers=1, persistent_workers=True),
    dict(num_workers=1, multiprocessing_context="spawn"),
    dict(num_workers=1, multiprocessing_context=multiprocessing.get_context("spawn")),
    dict(in_order=False), dict(shuffle=None), dict(worker_init_fn=print),
]


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=[str(i) for i in range(len(ACCEPTED))])
def test_accepted_keywords_and_attributes_are_torchs(kwargs):
    ours, theirs = datasets()
    loader = rdata.DataLoader(ours, batch_size=3, **kwargs)
    their_loader = tdata.DataLoader(theirs, batch_size=3, **kwargs)
    for name in ("num_workers", "prefetch_factor", "pin_memory", "pin_memory_device", "timeout",
                 "worker_init_fn", "in_order", "persistent_workers", "generator"):
        assert getattr(loader, name) == getattr(their_loader, name), name
    context = loader.multiprocessing_context
    their_context = their_loader.multiprocessing_context
    assert (context is None) == (their_context is None)
    if context is not None:
        assert context.get_start_method() == their_context.get_start_method()
    if not kwargs.get("num_workers"):  # batches as without the option
        assert [batch[0].tolist() for batch in loader] == \
            [batch[0].tolist() for batch in their_loader]


REFUSED = [
    (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified"),
    (dict(num_workers=1, prefetch_factor=-1), ValueError,
     "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="spawn"), ValueError,
     "multiprocessing_context can only be used with multi-process loading"),
    (dict(num_workers=1, multiprocessing_context="teleport"), ValueError,
     "multiprocessing_context option should specify a valid start method"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError,
     "multiprocessing_context option should be a valid context object"),
    (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (dict(timeout=-0.5, prefetch_factor=2), ValueError, "timeout option"),  # checked first
    (dict(prefetch_factor=2, persistent_workers=True), ValueError, "prefetch_factor"),
    (dict(multiprocessing_context="spawn", shuffle=True, sampler=[0]), ValueError,
     "multiprocessing_context can only"),
]


@pytest.mark.parametrize("kwargs, error, message", REFUSED, ids=[str(r[0]) for r in REFUSED])
def test_refused_keywords_raise_as_torch(kwargs, error, message):
    ours, theirs = datasets()
    with pytest.raises(error, match=message):
        rdata.DataLoader(ours, **kwargs)
    with pytest.raises(error, match=message):
        tdata.DataLoader(theirs, **kwargs)


@pytest.mark.parametrize("name", ["batch_size", "sampler", "batch_sampler", "drop_last",
                                  "dataset", "persistent_workers"])
def test_attributes_fixed_after_init_as_torch(name):
    ours, theirs = datasets()
    for loader in (rdata.DataLoader(ours), tdata.DataLoader(theirs)):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after "
                                             f"DataLoader is initialized"):
            setattr(loader, name, None)
    loader = rdata.DataLoader(ours)
    loader.num_workers = 3  # the others may change, as in torch
    loader.pin_memory = True


def test_generator_drives_the_shuffle_reproducibly():
    ours, _ = datasets(50)

    def orders(seed, positional=False):
        generator = rg.Generator().manual_seed(seed)
        if positional:  # generator is torch's 13th positional argument
            loader = rdata.DataLoader(ours, 5, True, None, None, 0, None, False, False, 0, None,
                                      None, generator)
        else:
            loader = rdata.DataLoader(ours, batch_size=5, shuffle=True, generator=generator)
        return [np.concatenate([batch[0].array[:, 0] for batch in loader]) // 2
                for _ in range(3)]

    first, again, other = orders(0), orders(0, positional=True), orders(1)
    for epoch, order in enumerate(first):
        assert sorted(order.tolist()) == list(range(50))  # each epoch is a permutation
        np.testing.assert_array_equal(order, again[epoch])  # the same seed, the same orders
    assert not np.array_equal(first[0], first[1])  # a new order at every epoch
    assert not np.array_equal(first[0], other[0])  # another seed, another order
    loader = rdata.DataLoader(ours, batch_size=5, shuffle=True,
                              generator=rg.Generator().manual_seed(0))
    assert isinstance(loader.sampler, rdata.RandomSampler)
    assert loader.sampler.generator is loader.generator


def test_global_seed_drives_the_shuffle_without_a_generator():
    ours, _ = datasets(30)
    runs = []
    for _ in range(2):
        rg.manual_seed(123)
        loader = rdata.DataLoader(ours, batch_size=4, shuffle=True)
        runs.append([np.concatenate([b[0].array[:, 0] for b in loader]) for _ in range(2)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_worker_init_fn_is_called_per_worker_at_each_epoch():
    ours, _ = datasets()
    calls = []
    loader = rdata.DataLoader(ours, batch_size=4, num_workers=3, worker_init_fn=calls.append)
    assert calls == []  # nothing until an epoch starts
    batches = iter(loader)
    assert calls == [0, 1, 2]  # when the iterator is made, as torch starts its workers
    assert len(list(batches)) == 3
    list(loader)
    assert calls == [0, 1, 2, 0, 1, 2]  # new workers each epoch


def test_worker_init_fn_runs_once_with_persistent_workers():
    ours, _ = datasets()
    calls = []
    loader = rdata.DataLoader(ours, batch_size=4, num_workers=2, persistent_workers=True,
                              worker_init_fn=calls.append)
    for _ in range(3):
        assert len(list(loader)) == 3
    assert calls == [0, 1]


def test_worker_init_fn_is_not_called_without_workers_as_torch():
    ours, theirs = datasets()
    for lib_data, dataset in ((rdata, ours), (tdata, theirs)):
        calls = []
        loader = lib_data.DataLoader(dataset, batch_size=4, worker_init_fn=calls.append)
        assert len(list(loader)) == 3
        assert calls == []


def test_batches_with_workers_equal_those_without():
    ours, theirs = datasets(11)
    plain = [b[0].tolist() for b in rdata.DataLoader(ours, batch_size=3)]
    options = dict(num_workers=2, prefetch_factor=3, persistent_workers=True, timeout=5,
                   pin_memory=True, in_order=False)
    assert [b[0].tolist() for b in rdata.DataLoader(ours, batch_size=3, **options)] == plain
    assert [b[0].tolist() for b in tdata.DataLoader(theirs, batch_size=3)] == plain
