"""More elementwise functions, reductions and helpers against PyTorch: dtypes, keyword forms,
errors, in-place variants (version counters, views), and the random draws statistically."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg

from .oracle import assert_same


def both(data, dtype=None):
    return rg.tensor(data, dtype=getattr(rg, dtype) if dtype else None), \
        torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)


@pytest.mark.parametrize("name", ["square", "rsqrt", "reciprocal", "expm1", "exp2", "log2",
                                  "log10", "sinh", "cosh", "asin", "acos", "atan"])
def test_unary_dtypes_of_integers(name):
    ours, theirs = both([1, 2, 3])
    assert_same(getattr(rg, name)(ours), getattr(torch, name)(theirs), name)
    assert_same(getattr(ours, name)(), getattr(theirs, name)(), name)


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "xlogy"])
def test_binary_mixed_dtypes(name):
    a, ta = both([[1.0, 2.0], [0.5, 3.0]])
    b, tb = both([1.0, 4.0], "float64")
    assert_same(getattr(rg, name)(a, b), getattr(torch, name)(ta, tb), name)


def test_xlogy_zero_and_nan():
    x, tx = both([0.0, 0.0, 2.0, 1.0])
    y, ty = both([0.0, float("nan"), 3.0, float("nan")])
    assert_same(rg.xlogy(x, y), torch.xlogy(tx, ty), "xlogy")


def test_out_keyword():
    a, ta = both([1.0, 4.0])
    out, tout = rg.empty(2), torch.empty(2)
    assert rg.rsqrt(a, out=out) is out
    torch.rsqrt(ta, out=tout)
    assert_same(out, tout, "rsqrt out")


def test_errors_like_torch():
    a = rg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="dtype"):
        rg.lerp(a, a.double(), 0.5)
    with pytest.raises(RuntimeError, match="Integer division"):
        rg.addcdiv(a, rg.tensor([1, 2]), rg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="floating point"):
        rg.addcmul(rg.tensor([1, 2]), rg.tensor([1, 2]), rg.tensor([1, 2]), value=0.5)
    with pytest.raises(RuntimeError, match="1D or 2D"):
        rg.diag(rg.zeros(2, 2, 2))
    with pytest.raises(RuntimeError):
        rg.trace(a)
    with pytest.raises(RuntimeError, match="indexing"):
        rg.meshgrid(a, a, indexing="yx")
    with pytest.raises(RuntimeError, match="columns"):
        rg.cdist(rg.zeros(2, 3), rg.zeros(2, 4))
    with pytest.raises(RuntimeError, match="non-negative"):
        rg.bincount(rg.tensor([1, -1]))
    with pytest.raises(RuntimeError):
        rg.bincount(rg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="without replacement"):
        rg.multinomial(rg.tensor([1.0, 0.0]), 2)
    with pytest.raises(RuntimeError):
        rg.multinomial(rg.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError):
        rg.zeros(2, 3, 4).fill_diagonal_(1)
    with pytest.raises(RuntimeError):
        rg.tensor([1, 2]).exp_()  # float into an int tensor, as torch refuses


def test_reduction_helpers_dtypes_and_forms():
    x, tx = both([[1.0, 0.0, 3.0], [4.0, 0.0, -1.0]])
    for ours, theirs in ((rg.std_mean(x, dim=1, correction=0), torch.std_mean(tx, dim=1,
                                                                              correction=0)),
                         (rg.var_mean(x, (0, 1), keepdim=True),
                          torch.var_mean(tx, (0, 1), keepdim=True))):
        assert isinstance(ours, tuple) and len(ours) == 2
        for o, t in zip(ours, theirs):
            assert_same(o, t, "spread")
    result, expected = rg.aminmax(x, dim=0), torch.aminmax(tx, dim=0)
    assert_same(result.min, expected.min, "aminmax min")
    assert_same(result.max, expected.max, "aminmax max")
    assert_same(rg.count_nonzero(x, 1), torch.count_nonzero(tx, 1), "count_nonzero")
    i, ti = both([[1, 2], [3, 4]], "int32")
    assert_same(rg.trace(i), torch.trace(ti), "trace int")
    assert_same(rg.diag(i), torch.diag(ti), "diag int")
    b, tb = both([0, 3, 3, 1])
    w, tw = both([0.5, 1.0, 2.0, 1.5], "float64")
    assert_same(rg.bincount(b), torch.bincount(tb), "bincount")
    assert_same(rg.bincount(b, w), torch.bincount(tb, tw), "bincount weights")
    assert_same(rg.histc(x.double(), 3), torch.histc(tx.double(), 3), "histc")
    assert_same(rg.cartesian_prod(b), torch.cartesian_prod(tb), "cartesian_prod one")


def test_diag_of_a_matrix_is_a_copy():
    x = rg.ones(2, 2)
    rg.diag(x).zero_()
    assert x.sum().item() == 4


def test_meshgrid_warns_without_indexing():
    a = rg.arange(3)
    with pytest.warns(UserWarning, match="indexing"):
        grids = rg.meshgrid(a, a)
    assert grids[0].shape == (3, 3)


def test_cdist_gradient_at_zero_distance():
    x, tx = both([[1.0, 2.0], [3.0, 4.0]], "float64")
    x.requires_grad_(), tx.requires_grad_()
    rg.cdist(x, x).sum().backward()
    torch.cdist(tx, tx).sum().backward()
    assert_same(x.grad, tx.grad, "cdist grad")


IN_PLACE = [("exp_", ()), ("log_", ()), ("sqrt_", ()), ("abs_", ()), ("neg_", ()),
            ("sigmoid_", ()), ("tanh_", ()), ("sin_", ()), ("cos_", ()), ("square_", ()),
            ("reciprocal_", ()), ("pow_", (2.5,)), ("lerp_", ("end", 0.25)),
            ("addcmul_", ("end", "end")), ("addcdiv_", ("end", "end"))]


def _arguments(lib, arguments):
    return [lib.tensor([2.0, 3.0, 4.0]) if a == "end" else a for a in arguments]


@pytest.mark.parametrize("name,arguments", IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_values_version_and_view(name, arguments):
    ours, theirs = both([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]])
    version = ours._version
    assert getattr(ours[1], name)(*_arguments(rg, arguments)) is not None
    getattr(theirs[1], name)(*_arguments(torch, arguments))
    assert_same(ours, theirs, name)
    assert ours._version > version
    leaf = rg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(leaf, name)(*_arguments(rg, arguments))


@pytest.mark.parametrize("name", ["exp_", "sqrt_", "tanh_", "sigmoid_"])
def test_in_place_on_a_saved_tensor_fails_backward(name):
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.sin() if name != "sqrt_" else y.exp()  # sin saves its input, exp its result
    saved = y if name != "sqrt_" else z
    getattr(saved, name)()
    with pytest.raises(RuntimeError):
        z.sum().backward()


def test_fill_diagonal_matches_torch():
    for shape, wrap in (((3, 5), False), ((7, 3), True), ((7, 3), False), ((3, 3, 3), False)):
        ours, theirs = rg.zeros(*shape), torch.zeros(*shape)
        ours.fill_diagonal_(2.0, wrap), theirs.fill_diagonal_(2.0, wrap)
        assert_same(ours, theirs, f"fill_diagonal_ {shape} {wrap}")


def test_multinomial_statistics():
    rg.manual_seed(0)
    weights = rg.tensor([1.0, 0.0, 3.0, 4.0])
    draws = rg.multinomial(weights, 20000, replacement=True)
    assert draws.dtype == rg.int64 and draws.shape == (20000,)
    frequencies = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(frequencies, [0.125, 0.0, 0.375, 0.5], atol=0.02)
    rows = rg.multinomial(rg.tensor([[1.0, 1.0, 2.0], [0.0, 5.0, 1.0]]), 2,
                          generator=rg.Generator().manual_seed(1))
    assert rows.shape == (2, 2)
    for row in rows.tolist():
        assert len(set(row)) == 2  # without replacement: distinct
    firsts = [rg.multinomial(rg.tensor([1.0, 3.0]), 1).item() for _ in range(2000)]
    assert abs(np.mean(firsts) - 0.75) < 0.04


def test_bernoulli_statistics_and_generator():
    p = rg.full((20000,), 0.3, dtype=rg.float64)
    draws = rg.bernoulli(p)
    assert draws.dtype == rg.float64 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    assert abs(draws.mean().item() - 0.3) < 0.02
    assert abs(rg.bernoulli(p, 0.8).mean().item() - 0.8) < 0.02
    same = [rg.bernoulli(p, generator=rg.Generator().manual_seed(3)) for _ in range(2)]
    assert rg.equal(*same)
    x = rg.empty(20000, dtype=rg.int64)
    before = x._version
    assert x.bernoulli_(0.25) is x and x._version > before
    assert abs(x.double().mean().item() - 0.25) < 0.02
    x.bernoulli_(rg.full((20000,), 0.9))
    assert abs(x.double().mean().item() - 0.9) < 0.02
    with pytest.raises(RuntimeError):
        rg.bernoulli(rg.tensor([1.5]))
