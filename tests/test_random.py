"""Random factories, manual_seed and Generator: shapes, dtypes, ranges, reproducibility.

retrograd draws from NumPy's PCG64, not PyTorch's Mersenne Twister, so the numbers themselves
differ from torch's; the shapes, dtypes, ranges, distributions and seeding rules are the same.
"""
import numpy as np
import pytest
import torch

import retrograd as rg

FACTORIES = {
    "rand": lambda lib, **kw: lib.rand(3, 4, **kw),
    "randn": lambda lib, **kw: lib.randn((3, 4), **kw),
    "randint": lambda lib, **kw: lib.randint(-5, 5, (3, 4), **kw),
    "randperm": lambda lib, **kw: lib.randperm(12, **kw),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_shapes_and_dtypes_match_torch(name):
    ours, theirs = FACTORIES[name](rg), FACTORIES[name](torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", FACTORIES)
def test_manual_seed_makes_draws_reproducible(name):
    rg.manual_seed(123)
    first = FACTORIES[name](rg).numpy().copy()
    again = FACTORIES[name](rg).numpy()
    rg.manual_seed(123)
    repeated = FACTORIES[name](rg).numpy()
    rg.manual_seed(124)
    other_seed = FACTORIES[name](rg).numpy()
    np.testing.assert_array_equal(first, repeated)
    assert not np.array_equal(first, again) and not np.array_equal(first, other_seed)


@pytest.mark.parametrize("name", FACTORIES)
def test_generators_are_reproducible_and_independent(name):
    draw = FACTORIES[name]
    g1, g2 = rg.Generator().manual_seed(7), rg.Generator().manual_seed(7)
    rg.manual_seed(0)
    global_first = draw(rg).numpy().copy()
    a = draw(rg, generator=g1).numpy()
    draw(rg, generator=g1)  # advances g1 only
    b = draw(rg, generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
    rg.manual_seed(0)
    draw(rg, generator=g2)  # another generator leaves the global stream alone
    np.testing.assert_array_equal(draw(rg).numpy(), global_first)


def test_generator_state_round_trip_and_initial_seed():
    g = rg.Generator().manual_seed(3)
    assert g.initial_seed() == 3
    state = g.get_state()
    first = rg.randn(5, generator=g).numpy().copy()
    g.set_state(state)
    np.testing.assert_array_equal(rg.randn(5, generator=g).numpy(), first)
    assert isinstance(rg.manual_seed(11), rg.Generator) and rg.initial_seed() == 11
    with pytest.raises(TypeError, match="int"):
        g.manual_seed(1.5)


def test_distributions_and_ranges():
    uniform = rg.rand(20_000).numpy()
    normal = rg.randn(20_000, dtype=rg.float64).numpy()
    integers = rg.randint(3, 8, (20_000,)).numpy()
    assert 0 <= uniform.min() and uniform.max() < 1
    assert abs(uniform.mean() - 0.5) < 0.01 and abs(uniform.var() - 1 / 12) < 0.005
    assert abs(normal.mean()) < 0.03 and abs(normal.std() - 1) < 0.03
    assert set(np.unique(integers)) == set(range(3, 8))
    assert sorted(rg.randperm(50).tolist()) == list(range(50))


@pytest.mark.parametrize("call", [lambda lib: lib.randint(10, (3,)),
                                  lambda lib: lib.randint(2, 9, (2, 2)),
                                  lambda lib: lib.randint(5, size=(4,)),
                                  lambda lib: lib.randint(0, 4, (3,), dtype=lib.float32)])
def test_randint_forms_and_dtypes_like_torch(call):
    ours, theirs = call(rg), call(torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


def test_randint_range_and_errors():
    values = rg.randint(10, (1000,)).numpy()
    assert values.min() == 0 and values.max() == 9
    with pytest.raises(ValueError, match="greater than low"):
        rg.randint(5, 5, (2,))


def test_float_dtypes_and_requires_grad():
    assert rg.rand(2, dtype=rg.float64).dtype == rg.float64
    assert rg.randn(2).dtype == rg.float32
    x = rg.randn(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    assert rg.rand_like(x).dtype == rg.float32 and rg.randn_like(x).shape == (2, 3)
    with pytest.raises(TypeError, match="floating-point"):
        rg.randn(2, dtype=rg.int64)


def test_in_place_fills_use_the_generator():
    g = rg.Generator().manual_seed(5)
    a = rg.empty(1000, dtype=rg.float64).normal_(2.0, 0.5, generator=g)
    b = rg.empty(1000, dtype=rg.float64).uniform_(-1.0, 3.0, generator=g)
    assert abs(a.numpy().mean() - 2.0) < 0.1 and abs(a.numpy().std() - 0.5) < 0.05
    assert -1.0 <= b.numpy().min() and b.numpy().max() < 3.0
    g.manual_seed(5)
    np.testing.assert_array_equal(rg.empty(1000, dtype=rg.float64).normal_(2.0, 0.5, generator=g)
                                  .numpy(), a.numpy())
