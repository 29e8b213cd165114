"""Products, rounding, integer division, predicates, ``rg.normal`` and ``out=``, against
PyTorch 2.13.0 (the op table checks values and gradients; here: dtypes, forms, errors)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import retrograd as rg

from .oracle import assert_like_torch, both_raise, check_scenario, data


def _pair(array: np.ndarray, requires_grad: bool = False) -> tuple:
    return (rg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


# -- einsum ------------------------------------------------------------------------------------

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),        # matrix product
    ("ii->", [(3, 3)]),                     # trace
    ("ii", [(3, 3)]),                       # trace, implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),  # batch
    ("i,j->ij", [(3,), (4,)]),              # outer
    ("ij->ji", [(2, 3)]),                   # transpose
    ("ji", [(2, 3)]),                       # implicit: alphabetical output, a transpose
    ("ij->", [(2, 3)]),                     # sum
    ("ij->i", [(2, 3)]),                    # row sums
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),  # broadcast batch
    ("i i , i ->", [(3, 3), (3,)]),         # spaces, diagonal times vector
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_torch(equation, shapes):
    def scenario(lib):
        operands = [lib.tensor(data(*shape, seed=i), requires_grad=True)
                    for i, shape in enumerate(shapes)]
        out = lib.einsum(equation, *operands)
        grads = lib.autograd.grad((out * out).sum(), operands)
        return out, *grads
    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_einsum_integers_and_forms():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    (ra, ta), (rb, tb) = _pair(a), _pair(b)
    assert_like_torch(rg.einsum("ij,jk", ra, rb), torch.einsum("ij,jk", ta, tb))
    assert_like_torch(rg.einsum("ij,jk", [ra, rb]), torch.einsum("ij,jk", [ta, tb]))
    assert_like_torch(rg.einsum(ra, [0, 1], rb, [1, 2]), torch.einsum(ta, [0, 1], tb, [1, 2]))
    assert_like_torch(rg.einsum(ra, [Ellipsis, 1], [1]), torch.einsum(ta, [Ellipsis, 1], [1]))


@pytest.mark.parametrize("equation,shapes,match", [
    ("ij,jk->ii", [(2, 3), (3, 3)], "appears more than once"),
    ("ij,jk->l", [(2, 3), (3, 3)], "does not appear"),
    ("ij,jk", [(2, 3), (4, 3)], "does not broadcast"),
    ("ijk", [(2, 3)], "number of subscripts"),
    ("ii", [(2, 3)], "repeated"),
])
def test_einsum_errors(equation, shapes, match):
    both_raise(lambda lib: lib.einsum(equation, *[lib.ones(*s) for s in shapes]),
               RuntimeError, match)


def test_einsum_refuses_mixed_dtypes():
    both_raise(lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(3, 3, dtype=lib.float64)))


# -- fixed-rank products -------------------------------------------------------------------------

@pytest.mark.parametrize("call,shapes", [
    (lambda lib, a, b: lib.mm(a, b), [(2, 3, 1), (3, 4)]),
    (lambda lib, a, b: lib.mm(a, b), [(3,), (3, 4)]),
    (lambda lib, a, b: lib.mm(a, b), [(2, 3), (4, 5)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 3), (3, 4)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (3, 3, 4)]),
    (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 4, 4)]),
    (lambda lib, a, b: lib.dot(a, b), [(2, 3), (2, 3)]),
    (lambda lib, a, b: lib.dot(a, b), [(3,), (4,)]),
    (lambda lib, a, b: lib.outer(a, b), [(3, 1), (4,)]),
    (lambda lib, a, b: lib.addmm(lib.ones(5), a, b), [(2, 3), (3, 4)]),
])
def test_product_shape_errors(call, shapes):
    both_raise(lambda lib: call(lib, *[lib.ones(*s) for s in shapes]))


def test_products_refuse_mixed_dtypes():
    both_raise(lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)))
    both_raise(lambda lib: lib.dot(lib.ones(3), lib.ones(3, dtype=lib.float64)))


def test_products_of_integers():
    a, b = np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2)
    (ra, ta), (rb, tb) = _pair(a), _pair(b)
    assert_like_torch(rg.mm(ra, rb), torch.mm(ta, tb))
    assert_like_torch(ra[0].dot(rb[:, 0]), ta[0].dot(tb[:, 0]))
    assert_like_torch(rg.outer(ra[0], rb[0]), torch.outer(ta[0], tb[0]))


def test_addmm_beta_zero_ignores_nan():
    def scenario(lib):
        c = lib.full((2, 2), math.nan, dtype=lib.float64)
        a = lib.tensor(data(2, 3), requires_grad=True)
        out = lib.addmm(c, a, lib.tensor(data(3, 2, seed=1)), beta=0, alpha=2)
        return out, lib.autograd.grad(out.sum(), a)[0]
    check_scenario(scenario)


# -- rounding and integer division ---------------------------------------------------------------

INTEGERS = np.array([-7, -6, -1, 0, 1, 5, 7])
DIVISORS = np.array([2, -2, 3, -3, 4, -4, 5])


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float32", "float64"])
def test_integer_division_dtypes_and_signs(name, dtype):
    a, b = np.abs(INTEGERS) if dtype == "uint8" else INTEGERS, \
        np.abs(DIVISORS) if dtype == "uint8" else DIVISORS
    (ra, ta), (rb, tb) = _pair(a.astype(dtype)), _pair(b.astype(dtype))
    assert_like_torch(getattr(rg, name)(ra, rb), getattr(torch, name)(ta, tb))
    assert_like_torch(getattr(rg, name)(ra, 3), getattr(torch, name)(ta, 3))
    assert_like_torch(getattr(rg, name)(ra, 2.5), getattr(torch, name)(ta, 2.5))


def test_division_operators_and_promotion():
    (ra, ta) = _pair(INTEGERS)
    (rf, tf) = _pair(DIVISORS.astype(np.float64))
    (ri, ti) = _pair(DIVISORS.astype(np.int32))
    assert_like_torch(ra // 2, ta // 2)
    assert_like_torch(-7 // ri, -7 // ti)
    assert_like_torch(ra % ri, ta % ti)         # int64 with int32: int64
    assert_like_torch(5 % ri, 5 % ti)
    assert_like_torch(ra // rf, ta // tf)       # int with float: float
    assert_like_torch(ra % rf, ta % tf)
    assert_like_torch(ri.remainder(rg.tensor(2)), ti.remainder(torch.tensor(2)))
    assert_like_torch(rf // 0.0, tf // 0.0)     # float division by zero: inf and nan
    assert_like_torch(rf.fmod(0.0), tf.fmod(0.0))


def test_integer_division_by_zero_raises():
    for name in ("floor_divide", "remainder", "fmod"):
        both_raise(lambda lib: getattr(lib, name)(lib.tensor([1, 2]), lib.tensor([1, 0])),
                   RuntimeError, "ZeroDivisionError")


def test_floor_divide_has_no_derivative():
    def forward(lib):
        a = lib.tensor([1.5, -2.5], requires_grad=True)
        return a // 0.5
    assert forward(rg).requires_grad and forward(torch).requires_grad
    both_raise(lambda lib: forward(lib).sum().backward(), RuntimeError, "not implemented")
    both_raise(lambda lib: (2 % lib.tensor([1.5], requires_grad=True)).sum().backward(),
               RuntimeError, "not implemented")


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "trunc"])
def test_rounding_integers_keeps_dtype(name):
    (r, t) = _pair(np.array([-3, 0, 7], dtype=np.int32))
    assert_like_torch(getattr(rg, name)(r), getattr(torch, name)(t))
    assert_like_torch(getattr(r, name)(), getattr(t, name)())


def test_rounding_refusals():
    both_raise(lambda lib: lib.frac(lib.tensor([1, 2])), NotImplementedError)
    both_raise(lambda lib: lib.floor(lib.tensor([True])), NotImplementedError)
    both_raise(lambda lib: lib.round(lib.tensor([12]), decimals=-1), NotImplementedError)
    both_raise(lambda lib: lib.remainder(lib.tensor([True]), lib.tensor([True])),
               NotImplementedError)


def test_round_halves_to_even_and_decimals():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 1234.5678, -0.0451])
    for dtype in (np.float32, np.float64):
        (r, t) = _pair(values.astype(dtype))
        assert_like_torch(rg.round(r), torch.round(t))
        for decimals in (1, 2, 3, -1, -2):
            assert_like_torch(rg.round(r, decimals=decimals), torch.round(t, decimals=decimals))


# -- clamp with tensor bounds --------------------------------------------------------------------

def test_clamp_tensor_bounds_broadcast_with_gradients():
    def scenario(lib):
        x = lib.tensor(data(3, 4), requires_grad=True)
        low = lib.tensor(data(4, seed=1) * 0.3 - 0.5, requires_grad=True)
        high = lib.tensor(data(3, 1, seed=2) * 0.3 + 0.5, requires_grad=True)
        out = lib.clamp(x, low, high)
        return (out, *lib.autograd.grad((out * out).sum(), [x, low, high]),
                x.clamp(min=low), x.clip(max=high))
    check_scenario(scenario, rtol=1e-12, atol=1e-12)


def test_clamp_dtypes_and_refusals():
    (r, t) = _pair(np.array([1, 5, 9]))
    assert_like_torch(rg.clamp(r, min=2.5), torch.clamp(t, min=2.5))        # float32
    assert_like_torch(rg.clamp(r, 2, 6), torch.clamp(t, 2, 6))              # stays int64
    (bound, tbound) = _pair(np.array([2.0, 2.0, 2.0]))
    assert_like_torch(rg.clamp(r, min=bound), torch.clamp(t, min=tbound))   # float32
    (f, tf) = _pair(np.array([0.1, 2.0], dtype=np.float32))
    (b64, tb64) = _pair(np.array([1.0, 1.0]))
    assert_like_torch(rg.clamp(f, max=b64), torch.clamp(tf, max=tb64))     # float64
    both_raise(lambda lib: lib.clamp(lib.ones(3), min=lib.zeros(3), max=0.5), TypeError)
    both_raise(lambda lib: lib.clamp(lib.ones(3)), RuntimeError, "at least one")


# -- predicates ------------------------------------------------------------------------------------

SPECIAL = np.array([1.0, -1.0, 0.0, math.inf, -math.inf, math.nan, 1e-9])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isposinf", "isneginf", "isfinite"])
def test_float_predicates(name):
    for array in (SPECIAL, SPECIAL.astype(np.float32), np.array([1, 2]), np.array([True])):
        (r, t) = _pair(array)
        assert_like_torch(getattr(rg, name)(r), getattr(torch, name)(t))
        if name != "isnan" and name != "isfinite":
            assert_like_torch(getattr(r, name)(), getattr(t, name)())


def test_isclose_forms():
    (a, ta) = _pair(SPECIAL)
    (b, tb) = _pair(SPECIAL * (1 + 1e-6))
    for kwargs in (dict(), dict(equal_nan=True), dict(rtol=0, atol=0), dict(rtol=1e-7),
                   dict(atol=2.0)):
        assert_like_torch(rg.isclose(a, b, **kwargs), torch.isclose(ta, tb, **kwargs))
        assert_like_torch(a.isclose(b[:1], **kwargs), ta.isclose(tb[:1], **kwargs))
    (i, ti), (j, tj) = _pair(np.array([1, 5, 10])), _pair(np.array([1, 3, 11]))
    assert_like_torch(rg.isclose(i, j, atol=1.5), torch.isclose(ti, tj, atol=1.5))
    both_raise(lambda lib: lib.isclose(lib.ones(2), lib.ones(2, dtype=lib.float64)))
    both_raise(lambda lib: lib.isclose(lib.ones(2), 1.0), TypeError)
    both_raise(lambda lib: lib.isclose(lib.ones(2), lib.ones(2), rtol=-1.0))


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_forms(name):
    arrays = [np.array([[0, 1, 2], [0, 0, 3]]), np.array([[0.0, 1.5], [2.0, 3.0]]),
              np.array([[True, False]]), np.array([0, 7], dtype=np.uint8), np.array(0.5)]
    for array in arrays:
        (r, t) = _pair(array)
        assert_like_torch(getattr(rg, name)(r), getattr(torch, name)(t))
        if array.ndim:
            assert_like_torch(getattr(rg, name)(r, dim=0), getattr(torch, name)(t, dim=0))
            assert_like_torch(getattr(rg, name)(r, -1, keepdim=True),
                              getattr(torch, name)(t, -1, keepdim=True))
        if array.ndim == 2:
            assert_like_torch(getattr(rg, name)(r, dim=(0, -1)),
                              getattr(torch, name)(t, dim=(0, -1)))


# -- normal ------------------------------------------------------------------------------------

def test_normal_forms_shapes_and_dtypes():
    g = rg.Generator().manual_seed(0)
    cases = [
        (lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3))),
        (lambda lib: lib.normal(lib.zeros(4, dtype=lib.float64), 2.0)),
        (lambda lib: lib.normal(lib.zeros(4))),
        (lambda lib: lib.normal(1.0, lib.ones(2, 3, dtype=lib.float64))),
        (lambda lib: lib.normal(0.0, 1.0, (2, 3))),
        (lambda lib: lib.normal(2, 3, size=(5,), dtype=lib.float64)),
        (lambda lib: lib.normal(0.0, 1.0, size=(2,), requires_grad=True)),
    ]
    for case in cases:
        ours, theirs = case(rg), case(torch)
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        assert ours.requires_grad == theirs.requires_grad
    assert rg.normal(0.0, 1.0, (3,), generator=g).shape == (3,)


def test_normal_statistics_and_generator():
    mean, std = rg.full((20000,), 3.0), rg.full((20000,), 0.5)
    sample = rg.normal(mean, std)
    assert abs(sample.mean().item() - 3.0) < 0.02 and abs(sample.std().item() - 0.5) < 0.02
    sample = rg.normal(-1.0, 2.0, (20000,))
    assert abs(sample.mean().item() + 1.0) < 0.06 and abs(sample.std().item() - 2.0) < 0.06
    first = rg.normal(0.0, 1.0, (4,), generator=rg.Generator().manual_seed(7))
    second = rg.normal(0.0, 1.0, (4,), generator=rg.Generator().manual_seed(7))
    assert rg.equal(first, second)


def test_normal_zero_gradients_and_errors():
    def scenario(lib):
        mean = lib.zeros(3, requires_grad=True)
        std = lib.ones(3, requires_grad=True)
        sample = lib.normal(mean, std)
        return lib.autograd.grad(sample.sum(), [mean, std])
    check_scenario(scenario)
    both_raise(lambda lib: lib.normal(0.0, 1.0), TypeError)
    both_raise(lambda lib: lib.normal(lib.zeros(2), -1.0), RuntimeError, "std >= 0.0")
    both_raise(lambda lib: lib.normal(lib.zeros(2), lib.tensor([1.0, -1.0])), RuntimeError)
    both_raise(lambda lib: lib.normal(lib.zeros(2, 2), lib.ones(3)), RuntimeError)
    both_raise(lambda lib: lib.normal(lib.tensor([1, 2]), 1.0), NotImplementedError)


# -- out= ----------------------------------------------------------------------------------------

OUT_CALLS = [
    ("matmul", lambda lib, a, b, out: lib.matmul(a, b, out=out)),
    ("mm", lambda lib, a, b, out: lib.mm(a, b, out=out)),
    ("bmm", lambda lib, a, b, out: lib.bmm(a[None], b[None], out=out)),
    ("add", lambda lib, a, b, out: lib.add(a, b[:2, :3], alpha=2, out=out)),
    ("sub", lambda lib, a, b, out: lib.sub(a, b[:2, :3], out=out)),
    ("mul", lambda lib, a, b, out: lib.mul(a, 3.0, out=out)),
    ("div", lambda lib, a, b, out: lib.div(a, b[:2, :3], out=out)),
    ("exp", lambda lib, a, b, out: lib.exp(a, out=out)),
    ("sum", lambda lib, a, b, out: lib.sum(a, 1, out=out)),
    ("clamp", lambda lib, a, b, out: lib.clamp(a, -0.5, 0.5, out=out)),
    ("outer", lambda lib, a, b, out: lib.outer(a[0], b[0], out=out)),
]


@pytest.mark.parametrize("call", [c for _, c in OUT_CALLS], ids=[n for n, _ in OUT_CALLS])
def test_out_writes_and_returns_out(call):
    def scenario(lib):
        a, b = lib.tensor(data(2, 3)), lib.tensor(data(3, 4, seed=1))
        expected = call(lib, a, b, None)
        out = lib.empty(expected.shape, dtype=lib.float64)
        returned = call(lib, a, b, out)
        empty = lib.empty(0, dtype=lib.float64)  # an empty out is resized silently
        call(lib, a, b, empty)
        return returned is out, out, expected, empty
    check_scenario(scenario, rtol=1e-12, atol=1e-12)


def test_out_resizes_with_a_warning_and_casts():
    def scenario(lib):
        out = lib.zeros(5, 5, dtype=lib.float64)
        with pytest.warns(UserWarning, match="resized"):
            lib.add(lib.ones(2, 3, dtype=lib.float64), 1, out=out)
        wider = lib.zeros(2, dtype=lib.float64)
        lib.add(lib.ones(2), 1, out=wider)  # float32 into float64: allowed
        return out, wider
    check_scenario(scenario)


def test_out_refusals():
    both_raise(lambda lib: lib.add(lib.ones(2), 0.5, out=lib.zeros(2, dtype=lib.int64)))
    both_raise(lambda lib: lib.mm(lib.ones(2, 2), lib.ones(2, 2),
                                  out=lib.zeros(2, 2, dtype=lib.float64)))
    both_raise(lambda lib: lib.mul(lib.ones(2, requires_grad=True), 2, out=lib.zeros(2)),
               RuntimeError, "don't support automatic differentiation")
    both_raise(lambda lib: lib.exp(lib.ones(2), out=lib.zeros(2, requires_grad=True)),
               RuntimeError, "don't support automatic differentiation")


def test_out_with_grad_allowed_under_no_grad():
    for lib in (rg, torch):
        x = lib.ones(2, requires_grad=True)
        out = lib.zeros(2)
        with lib.no_grad():
            assert lib.mul(x, 2, out=out) is out
        assert out.tolist() == [2.0, 2.0] and not out.requires_grad
