"""Tensor factories: shapes, dtypes, values and requires_grad, against PyTorch."""
import numpy as np
import pytest
import torch
from ops.oracle import assert_like_torch

import retrograd as rg


def both(build):
    """``build(lib)`` with retrograd and with torch, compared."""
    assert_like_torch(build(rg), build(torch))


SIZES = [(), (3,), (2, 3), (2, 0, 4)]


@pytest.mark.parametrize("factory", ["zeros", "ones"])
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_zeros_and_ones_take_varargs_tuples_and_lists(factory, size):
    if size:  # torch.zeros() with no size at all is an error
        both(lambda lib: getattr(lib, factory)(*size))
    both(lambda lib: getattr(lib, factory)(size))
    both(lambda lib: getattr(lib, factory)(list(size)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_factories_with_a_dtype(dtype):
    both(lambda lib: lib.zeros(2, 3, dtype=getattr(lib, dtype)))
    both(lambda lib: lib.ones((4,), dtype=getattr(lib, dtype)))
    both(lambda lib: lib.eye(3, dtype=getattr(lib, dtype)))
    both(lambda lib: lib.full((2,), 1, dtype=getattr(lib, dtype)))
    assert rg.empty(2, 3, dtype=getattr(rg, dtype)).dtype == getattr(rg, dtype)


def test_empty_has_the_shape_and_default_dtype():
    for size in [(2, 3), ((2, 3),), (0,)]:
        ours, theirs = rg.empty(*size), torch.empty(*size)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == rg.float32


@pytest.mark.parametrize("fill", [1.5, 3, True, -2.0])
def test_full_takes_its_dtype_from_the_value(fill):
    both(lambda lib: lib.full((2, 3), fill))
    both(lambda lib: lib.full([4], fill))


def test_eye_square_and_rectangular():
    both(lambda lib: lib.eye(3))
    both(lambda lib: lib.eye(2, 4))
    both(lambda lib: lib.eye(4, 2))


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (5, 0, -2), (0.0, 1.0, 0.25),
                                  (1, 4, 0.5), (-1.5, 2.0), (3.0,)], ids=str)
def test_arange_values_and_dtypes(args):
    both(lambda lib: lib.arange(*args))


def test_arange_bad_steps_raise():
    for args in [(0, 5, 0), (5, 0, 1), (0, 5, -1)]:
        with pytest.raises(RuntimeError):
            torch.arange(*args)
        with pytest.raises(ValueError, match="step"):
            rg.arange(*args)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.5, 3.0, 7), (1, 1, 3), (0, 10, 1), (2, -2, 4)],
                         ids=str)
def test_linspace(args):
    ours, theirs = rg.linspace(*args), torch.linspace(*args)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == rg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    ours = rg.linspace(*args, dtype=rg.float64)
    np.testing.assert_allclose(ours.numpy(), torch.linspace(*args, dtype=torch.float64).numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
def test_requires_grad_argument_makes_a_leaf(factory):
    x = getattr(rg, factory)(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.shape == (2, 3)
    y = rg.full((2,), 0.5, requires_grad=True)
    z = rg.eye(2, requires_grad=True)
    w = rg.arange(0.0, 3.0, requires_grad=True)
    v = rg.linspace(0, 1, 3, requires_grad=True)
    assert all(t.requires_grad and t.is_leaf for t in (y, z, w, v))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_like_factories_keep_shape_and_dtype(dtype):
    source = np.arange(6).reshape(2, 3)
    both(lambda lib: lib.zeros_like(lib.tensor(source, dtype=getattr(lib, dtype))))
    both(lambda lib: lib.ones_like(lib.tensor(source, dtype=getattr(lib, dtype))))
    both(lambda lib: lib.ones_like(lib.tensor(source, dtype=getattr(lib, dtype)),
                                   dtype=lib.float64))
    if dtype != "int64":
        like = rg.randn_like(rg.tensor(source, dtype=getattr(rg, dtype)))
        assert like.shape == (2, 3) and like.dtype == getattr(rg, dtype)


def test_like_factories_do_not_inherit_requires_grad():
    x = rg.ones(2, requires_grad=True)
    assert not rg.zeros_like(x).requires_grad
    assert rg.ones_like(x, requires_grad=True).requires_grad
    assert rg.randn_like(x, requires_grad=True).requires_grad


def test_negative_sizes_raise():
    with pytest.raises(ValueError, match="negative"):
        rg.zeros(-1)
