"""Sorting, scanning and selection against PyTorch, beyond the op table: named results, int64
indices, stable sorts and ties, unique's extra outputs, nonzero's forms, every form of scatter,
in-place variants through views, dtypes, and the errors PyTorch raises."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg

from .oracle import both_raise, check_scenario

TIES = [3.0, 1.0, 2.0, 1.0, 3.0, float("nan"), 0.0, 1.0, -0.0]


def grid(lib, dtype=None):
    return lib.arange(12.0).reshape(3, 4) if dtype is None else \
        lib.arange(12).reshape(3, 4).to(dtype)


# -- named results and dtypes --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sort", "topk"])
def test_named_results_like_torch(name):
    call = {"sort": lambda lib, x: lib.sort(x, descending=True),
            "topk": lambda lib, x: lib.topk(x, 2)}[name]
    ours, theirs = call(rg, grid(rg)), call(torch, grid(torch))
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert ours._fields == ("values", "indices")
    assert ours.indices.dtype == rg.int64 and theirs.indices.dtype == torch.int64
    values, indices = ours  # unpacks as a pair
    assert values is ours.values and indices is ours.indices
    check_scenario(lambda lib: call(lib, grid(lib)))


def test_sort_is_stable_with_ties_and_nan():
    for descending in (False, True):
        check_scenario(lambda lib: lib.sort(lib.tensor(TIES), descending=descending,
                                            stable=True))
        check_scenario(lambda lib: lib.argsort(lib.tensor(TIES).reshape(3, 3), dim=0,
                                               descending=descending, stable=True))


def test_sort_of_integers_and_bools():
    check_scenario(lambda lib: lib.sort(lib.tensor([[3, 1, 2], [0, -5, 4]]), stable=True))
    check_scenario(lambda lib: lib.sort(lib.tensor([True, False, True]), stable=True))
    check_scenario(lambda lib: lib.topk(lib.tensor([1, 3, 2]), 2))


def test_topk_unsorted_picks_the_same_elements():
    x = np.random.default_rng(0).permutation(20).astype(np.float32)
    ours = rg.topk(rg.tensor(x), 5, sorted=False)
    theirs = torch.topk(torch.tensor(x), 5, sorted=False)
    assert sorted(ours.values.tolist()) == sorted(theirs.values.tolist())
    assert sorted(ours.indices.tolist()) == sorted(theirs.indices.tolist())


def test_sort_gradient_goes_to_the_sorted_positions():
    def scenario(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]], requires_grad=True)
        values, _ = x.sort(1, descending=True)
        (values * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return x.grad
    check_scenario(scenario)


@pytest.mark.parametrize("options", [dict(), dict(return_inverse=True),
                                     dict(return_counts=True),
                                     dict(return_inverse=True, return_counts=True),
                                     dict(sorted=False, return_inverse=True)])
def test_unique_like_torch(options):
    check_scenario(lambda lib: lib.unique(lib.tensor([[3, 1, 2], [1, 3, 3]]), **options))
    check_scenario(lambda lib: lib.tensor([2.5, -1.0, 2.5]).unique(**options))
    check_scenario(lambda lib: lib.unique(lib.tensor(7), **options))


def test_unique_has_no_gradient_and_no_dim():
    x = rg.tensor([1.0, 2.0, 1.0], requires_grad=True)
    out = rg.unique(x)
    assert out.requires_grad and out.grad_fn.name() == "Unique2Backward0"  # as in PyTorch
    with pytest.raises(NotImplementedError, match="derivative for 'unique'"):
        out.sum().backward()
    with pytest.raises(NotImplementedError, match="dim=None"):
        rg.unique(x, dim=0)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "float16", "float64"])
def test_scan_dtypes_like_torch(dtype):
    check_scenario(lambda lib: lib.cumsum(grid(lib, getattr(lib, dtype)), 1))
    check_scenario(lambda lib: grid(lib, getattr(lib, dtype)).cumprod(0))
    check_scenario(lambda lib: lib.cumsum(grid(lib, getattr(lib, dtype)), 0, dtype=lib.float64))


def test_cumprod_gradients_with_zeros_like_torch():
    x = np.random.default_rng(3).standard_normal((4, 7))
    x[0, 2] = x[1, 0] = x[1, 5] = x[2, 6] = x[3, 1] = x[3, 2] = 0.0

    def scenario(lib):
        t = lib.tensor(x, requires_grad=True)
        out = lib.cumprod(t, 1)
        weights = lib.tensor(np.arange(28.0).reshape(4, 7))
        grad, = lib.autograd.grad((out * weights).sum(), t, create_graph=True)
        second, = lib.autograd.grad((grad * grad).sum(), t)
        return out, grad, second
    check_scenario(scenario, rtol=1e-10, atol=1e-10)


def test_flip_roll_tril_triu_forms():
    check_scenario(lambda lib: (grid(lib).flip(0, 1), grid(lib).flip([1]), lib.flip(grid(lib), ())))
    check_scenario(lambda lib: (lib.roll(grid(lib), -3), grid(lib).roll((1, 1), (1, 1)),
                                lib.roll(grid(lib), shifts=2, dims=0)))
    check_scenario(lambda lib: (lib.tril(grid(lib, lib.int32), 1), grid(lib, lib.bool).triu(),
                                lib.triu(lib.ones(2, 3, 3), diagonal=-1),
                                lib.tril(lib.tensor([[float("inf"), 1.0], [2.0, float("nan")]]))))
    flipped = rg.flip(grid(rg), [0])
    flipped[0, 0] = -1.0  # a copy, as in PyTorch, not a view
    assert grid(rg)[2, 0].item() == 8.0


# -- selection ------------------------------------------------------------------------------------

def test_index_select_forms():
    check_scenario(lambda lib: (lib.index_select(grid(lib), 1, lib.tensor([2, 0, 2])),
                                grid(lib).index_select(0, lib.tensor(1)),
                                lib.index_select(grid(lib), -1, lib.tensor([3], dtype=lib.int32)),
                                lib.index_select(lib.tensor(5.0), 0, lib.tensor([0]))))


def test_masked_fill_dtype_and_broadcasting():
    check_scenario(lambda lib: (lib.tensor([1, 2]).masked_fill(lib.tensor([True, False]), 2.7),
                                lib.masked_fill(lib.tensor([1.0, 2.0, 3.0]),
                                                lib.tensor([[True, False, True],
                                                            [False, False, True]]), 0.0),
                                grid(lib).masked_fill(grid(lib) > 4,
                                                      lib.tensor(-1.0, dtype=lib.float64))))


@pytest.mark.parametrize("condition", [[[1, 0], [2, 3]], [0.0, 1.5, 0.0], 1.0, 0.0, [],
                                       [[True, False]]])
def test_nonzero_argwhere_and_where(condition):
    check_scenario(lambda lib: (lib.nonzero(lib.tensor(condition)),
                                lib.tensor(condition).nonzero(as_tuple=True),
                                lib.argwhere(lib.tensor(condition)),
                                lib.where(lib.tensor(condition))))


def test_scatter_forms_like_torch():
    index = [[0, 1], [2, 0]]
    check_scenario(lambda lib: (
        lib.scatter(grid(lib), 1, lib.tensor(index), lib.ones(2, 2)),
        lib.scatter(grid(lib), 1, lib.tensor(index), 2.5),
        lib.scatter(grid(lib), 1, lib.tensor(index), value=2.5),
        grid(lib).scatter(1, lib.tensor(index), src=-lib.ones(3, 3)),  # src larger than index
        grid(lib).scatter(0, lib.tensor(index, dtype=lib.int32), lib.ones(2, 2)),
        lib.scatter_add(grid(lib), 1, lib.tensor([[0, 0, 3]]), lib.ones(2, 4)),
        grid(lib).scatter_add(0, lib.tensor([[1, 1], [1, 2]]), lib.ones(2, 2)),
        lib.scatter(lib.tensor(1.0), 0, lib.tensor(0), lib.tensor(3.0)),
        lib.scatter_add(lib.tensor(1.0), 0, lib.tensor(0), lib.tensor(3.0))))


def test_scatter_gradient_with_src_larger_than_index():
    # PyTorch's own backward fails here; the gradient of src is zero outside index's block
    x = rg.zeros(3, 4, requires_grad=True)
    src = rg.ones(3, 3, requires_grad=True)
    (rg.scatter(x, 1, rg.tensor([[0, 1], [2, 0]]), src) * rg.arange(12.0).reshape(3, 4)).sum() \
        .backward()
    np.testing.assert_array_equal(src.grad.numpy(), [[0, 1, 0], [6, 4, 0], [0, 0, 0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 2, 3], [0, 5, 0, 7], [8, 9, 10, 11]])


@pytest.mark.parametrize("change", ["scatter_", "scatter_ value", "scatter_add_", "masked_fill_"])
def test_in_place_through_a_view_like_torch(change):
    def scenario(lib):
        leaf = lib.arange(12.0).reshape(3, 4).requires_grad_()
        src = lib.tensor([[10.0, 20.0], [30.0, 40.0]], requires_grad=True)
        base = leaf * 1
        view = base[1:]  # a view of the last two rows
        index = lib.tensor([[0, 3], [3, 3]])
        returned = {"scatter_": lambda: view.scatter_(1, index[:, :1], src[:, :1]),
                    "scatter_ value": lambda: view.scatter_(1, index, value=-1.0),
                    "scatter_add_": lambda: view.scatter_add_(1, index, src),
                    "masked_fill_": lambda: view.masked_fill_(view > 6, src[0, 1])}[change]()
        assert returned is view
        (base * lib.arange(12.0).reshape(3, 4)).sum().backward()
        return base, leaf.grad, src.grad if src.grad is not None else lib.zeros(2, 2)
    check_scenario(scenario)


def test_in_place_without_graph_writes_the_memory():
    for lib in (rg, torch):
        x = lib.zeros(2, 3)
        row = x[1]
        row.scatter_(0, lib.tensor([2, 0]), lib.tensor([5.0, 6.0]))
        row.scatter_add_(0, lib.tensor([2, 2]), lib.tensor([1.0, 1.0]))
        x.masked_fill_(lib.tensor([True, False, False]), 9.0)
        assert x.tolist() == [[9.0, 0.0, 0.0], [9.0, 0.0, 7.0]]


# -- errors ---------------------------------------------------------------------------------------

ERRORS = [
    (lambda lib: lib.sort(grid(lib), dim=2), IndexError, "dim 2 is out of range"),
    (lambda lib: lib.argsort(grid(lib), -3), IndexError, "out of range"),
    (lambda lib: lib.topk(grid(lib), 5), RuntimeError, "k out of range"),
    (lambda lib: lib.topk(grid(lib), -1), RuntimeError, "k out of range"),
    (lambda lib: grid(lib).topk(1, dim=2), IndexError, "out of range"),
    (lambda lib: lib.cumsum(grid(lib), 2), IndexError, "cumsum"),
    (lambda lib: lib.cumprod(lib.tensor(2.0), 1), IndexError, "cumprod"),
    (lambda lib: lib.flip(grid(lib), [0, -2]), RuntimeError, "appears multiple times"),
    (lambda lib: lib.flip(grid(lib), 0), TypeError, "tuple or list of ints"),
    (lambda lib: lib.flip(grid(lib), [2]), IndexError, "out of range"),
    (lambda lib: lib.roll(grid(lib), (1, 2), 0), RuntimeError, "must align"),
    (lambda lib: lib.roll(grid(lib), (1, 2)), RuntimeError, "must align"),
    (lambda lib: lib.roll(lib.tensor(1.0), 1, 0), IndexError, "no dimensions"),
    (lambda lib: lib.tril(lib.arange(3.0)), RuntimeError, "at least 2 dimensions"),
    (lambda lib: grid(lib).triu(), None, None),  # fine: a control
    (lambda lib: lib.index_select(grid(lib), 1, lib.tensor([[2]])), IndexError, "vector"),
    (lambda lib: lib.index_select(grid(lib), 1, lib.tensor([2.0])), RuntimeError, "int32 or int64"),
    (lambda lib: lib.index_select(grid(lib), 1, lib.tensor([4])), RuntimeError, "out of bounds"),
    (lambda lib: lib.index_select(grid(lib), 1, lib.tensor([-1])), RuntimeError, "out of bounds"),
    (lambda lib: lib.index_select(grid(lib), 2, lib.tensor([0])), IndexError, "out of range"),
    (lambda lib: lib.index_select(lib.tensor(5.0), 0, lib.tensor([0, 0])), RuntimeError,
     "only 1 value"),
    (lambda lib: grid(lib).masked_fill(lib.tensor([1.0, 0, 0, 0]), 0), RuntimeError,
     "boolean masks"),
    (lambda lib: grid(lib).masked_fill_(grid(lib) > 1, lib.tensor([1.0])), RuntimeError,
     "0-dimensional value"),
    (lambda lib: lib.tensor([1.0, 2.0]).masked_fill_(lib.tensor([[True], [False]]), 0.0),
     RuntimeError, "shapes do not fit"),
    (lambda lib: grid(lib).scatter(1, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
     RuntimeError, "self.dtype to be equal to src.dtype"),
    (lambda lib: grid(lib).scatter(1, lib.tensor([0, 1]), lib.ones(2, 2)), RuntimeError,
     "same number of dimensions as self"),
    (lambda lib: grid(lib).scatter(1, lib.tensor([[0]]), lib.tensor(2.0)), RuntimeError,
     "same number of dimensions as src"),
    (lambda lib: grid(lib).scatter(1, lib.zeros(2, 5, dtype=lib.int64), lib.ones(2, 2)),
     RuntimeError, "no larger than self"),
    (lambda lib: grid(lib).scatter(1, lib.zeros(4, 1, dtype=lib.int64), 1.0), RuntimeError,
     "no larger than self"),
    (lambda lib: grid(lib).scatter(1, lib.tensor([[0, 9]]), lib.ones(2, 2)), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda lib: grid(lib).scatter_(1, lib.tensor([[-1]]), 1.0), RuntimeError, "out of bounds"),
    (lambda lib: grid(lib).scatter(3, lib.tensor([[0]]), 1.0), IndexError, "out of range"),
    (lambda lib: lib.scatter_add(grid(lib), 1, lib.tensor([[0]]), 1.0), TypeError,
     "must be Tensor"),
    (lambda lib: grid(lib).scatter_add_(1, lib.tensor([[0]]), lib.ones(1, 1).double()),
     RuntimeError, "self.dtype to be equal to src.dtype"),
]


@pytest.mark.parametrize("scenario, error, match", ERRORS)
def test_errors_like_torch(scenario, error, match):
    if error is None:
        scenario(torch)
        scenario(rg)
    else:
        both_raise(scenario, error, match)


def test_our_own_refusals():
    with pytest.raises(NotImplementedError, match="scatter_add"):
        grid(rg).scatter(1, rg.tensor([[0]]), 1.0, reduce="add")
    with pytest.raises(TypeError, match="exactly one"):
        rg.scatter(grid(rg), 1, rg.tensor([[0]]))
    with pytest.raises(TypeError, match="a condition alone"):
        rg.where(grid(rg) > 1, grid(rg))
