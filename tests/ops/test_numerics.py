"""Numerical behaviour the table's random inputs do not reach: extreme values must stay finite
and agree with PyTorch, and the exact special cases (ties, zeros) PyTorch defines."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg
import retrograd.nn.functional as F

from .oracle import assert_same


def pair(array: np.ndarray) -> tuple:
    """The same values as a retrograd and a torch tensor, both requiring grad."""
    return rg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-3), (np.float64, 1e-9)])
@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shift", [1000.0, -1000.0])
def test_softmax_is_invariant_to_adding_a_constant(function, shift, dtype, tolerance):
    # in float32, x + 1000 rounds x to about 6e-5: hence the looser tolerance
    x = np.random.default_rng(0).standard_normal((3, 5))
    apply = getattr(F, function)
    shifted = apply(rg.tensor((x + shift).astype(dtype)), dim=1)
    plain = apply(rg.tensor(x.astype(dtype)), dim=1)
    assert np.isfinite(shifted.array).all()
    np.testing.assert_allclose(shifted.array, plain.array, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_of_extreme_logits_matches_torch(function):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [3e38, 3e38, 0.0]], dtype=np.float32)
    ours, theirs = pair(x)
    out_ours = getattr(F, function)(ours, dim=1)
    out_theirs = getattr(torch.nn.functional, function)(theirs, dim=1)
    assert_same(out_ours, out_theirs, function)
    upstream = np.arange(9, dtype=np.float32).reshape(3, 3)
    out_ours.backward(rg.tensor(upstream))
    out_theirs.backward(torch.tensor(upstream))
    assert np.isfinite(ours.grad.array).all()
    assert_same(ours.grad, theirs.grad, f"{function} gradient")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_extreme_logits_stays_finite(reduction):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [0.0, 0.0, 1e4]], dtype=np.float32)
    target = np.array([1, 1, 2])
    ours, theirs = pair(logits)
    loss_ours = F.cross_entropy(ours, rg.tensor(target), reduction=reduction)
    loss_theirs = torch.nn.functional.cross_entropy(theirs, torch.tensor(target),
                                                    reduction=reduction)
    assert np.isfinite(loss_ours.array).all()
    assert_same(loss_ours, loss_theirs, "cross_entropy")
    loss_ours.sum().backward()
    loss_theirs.sum().backward()
    assert np.isfinite(ours.grad.array).all()
    assert_same(ours.grad, theirs.grad, "cross_entropy gradient")


@pytest.mark.parametrize("name, call", [
    ("sigmoid", lambda lib, x: lib.sigmoid(x)),
    ("tanh", lambda lib, x: lib.tanh(x)),
    ("softplus", lambda lib, x: lib.nn.functional.softplus(x)),
    ("softplus beta", lambda lib, x: lib.nn.functional.softplus(x, beta=0.5, threshold=50.0)),
    ("elu", lambda lib, x: lib.nn.functional.elu(x)),
    ("gelu", lambda lib, x: lib.nn.functional.gelu(x)),
    ("logsumexp", lambda lib, x: lib.logsumexp(x, 0)),
])
def test_activation_of_extreme_inputs_matches_torch(name, call):
    x = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype=np.float32)
    ours, theirs = pair(x)
    out_ours, out_theirs = call(rg, ours), call(torch, theirs)
    assert np.isfinite(out_ours.array).all(), name
    assert_same(out_ours, out_theirs, name, atol=1e-6)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    assert_same(ours.grad, theirs.grad, f"{name} gradient", atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_its_relative_precision_in_both_tails(dtype):
    # (1 + tanh(x/2)) / 2 rounds the left tail to 0 in float32 (sigmoid(-20) is 2.06e-9);
    # the values down to the smallest normal number of the dtype must match torch's to rtol
    tiny = np.finfo(dtype).tiny
    x = np.concatenate([np.linspace(-80.0, 80.0, 1601), [-1e4, 1e4, 0.0, -0.0]]).astype(dtype)
    x = np.concatenate([x, np.geomspace(1e-8, 30, 200).astype(dtype) * -1])
    ours, theirs = pair(x)
    out_ours, out_theirs = rg.sigmoid(ours), torch.sigmoid(theirs)
    assert out_ours.dtype == (rg.float32 if dtype == np.float32 else rg.float64)
    reference = out_theirs.detach().numpy()
    normal = reference >= tiny
    np.testing.assert_allclose(out_ours.array[normal], reference[normal],
                               rtol=4e-7 if dtype == np.float32 else 1e-15, atol=0)
    np.testing.assert_allclose(out_ours.array[~normal], reference[~normal], rtol=0, atol=tiny)
    assert rg.sigmoid(rg.tensor(-20.0)).item() == pytest.approx(2.0611536e-09, rel=1e-6)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    gradient = theirs.grad.numpy()
    normal = gradient >= tiny
    np.testing.assert_allclose(ours.grad.array[normal], gradient[normal],
                               rtol=1e-6 if dtype == np.float32 else 1e-15, atol=0)


def erf_points() -> np.ndarray:
    """Zero, tiny values, both sides of each of Cody's interval ends (0.46875, 4) and of 6
    (where erf rounds to 1), and a dense sweep; each with its negative."""
    rng = np.random.default_rng(0)
    edges = np.array([0.46875, 4.0, 6.0])
    positive = np.concatenate([
        [0.0, 5e-324, 1e-300, 1e-200, 1e-20, 1e-10, 1e-8, 1e-5, 1e-3, 0.1, 0.5, 1.0, 2.0, 3.0,
         5.0, 26.0, 1e300, np.inf],
        np.nextafter(edges, 0), edges, np.nextafter(edges, np.inf),
        np.geomspace(1e-12, 8.0, 2000), rng.uniform(0.0, 7.0, 5000)])
    return np.concatenate([positive, -positive])


def test_erf_matches_torch_to_float64_rounding():
    x = erf_points()
    ours, theirs = pair(x)
    out_ours, out_theirs = rg.erf(ours), torch.erf(theirs)
    reference = out_theirs.detach().numpy()
    # both within a few ulp of the true value: 1e-15 relative is about 4.5 ulp
    np.testing.assert_allclose(out_ours.array, reference, rtol=1e-15, atol=0)
    assert out_ours.array[x == 0].tolist() == [0.0, 0.0]
    assert np.signbit(out_ours.array[x == 0]).tolist() == [False, True]  # erf(-0.) = -0.
    np.testing.assert_array_equal(np.sign(out_ours.array), np.sign(x))  # the sign near 0
    assert rg.erf(rg.tensor(1e-10, dtype=rg.float64)).item() == pytest.approx(
        2 / np.sqrt(np.pi) * 1e-10, rel=1e-15)
    np.testing.assert_array_equal(rg.erf(rg.tensor(-x)).array, -out_ours.array)  # odd
    with np.errstate(over="ignore"):  # x * x = inf for x = 1e300: exp(-inf) = 0, as in torch
        out_ours.sum().backward()
    out_theirs.sum().backward()
    np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-14, atol=0)


def test_erf_in_float32_and_of_integers_and_nan_match_torch():
    x = erf_points()
    x = x[np.abs(x) < 3e38].astype(np.float32)
    ours = rg.erf(rg.tensor(x)).array
    np.testing.assert_allclose(ours, torch.erf(torch.tensor(x)).numpy(), rtol=2.5e-7, atol=0)
    assert ours.dtype == np.float32
    assert_same(rg.erf(rg.tensor([0, 1, -2])), torch.erf(torch.tensor([0, 1, -2])), "erf int64")
    assert_same(rg.erf(rg.tensor(0.25)), torch.erf(torch.tensor(0.25)), "erf 0-d")
    nan = [np.nan, 0.1, np.nan, 5.0]
    assert_same(rg.erf(rg.tensor(nan, dtype=rg.float64)),
                torch.erf(torch.tensor(nan, dtype=torch.float64)), "erf of NaN")


# Where PyTorch defines a gradient at a kink or a tie, retrograd gives the same value.
@pytest.mark.parametrize("name, call, values", [
    ("abs at 0", lambda lib, x: lib.abs(x), [0.0, 1.0]),
    ("relu at 0", lambda lib, x: lib.relu(x), [0.0, 1.0]),
    ("clamp at its bounds", lambda lib, x: lib.clamp(x, -1.0, 1.0), [-1.0, 1.0, 2.0]),
    ("max ties split", lambda lib, x: x.max(), [2.0, 2.0, 1.0]),
    ("amax ties split", lambda lib, x: x.amax(dim=0), [[2.0, 1.0], [2.0, 3.0]]),
    ("maximum tie halves", lambda lib, x: lib.maximum(x, lib.ones(2)), [1.0, 0.0]),
    ("minimum tie halves", lambda lib, x: lib.minimum(x, lib.ones(2)), [1.0, 2.0]),
    ("norm at 0", lambda lib, x: x.norm(), [0.0, 0.0]),
    ("norm p=3 at 0", lambda lib, x: x.norm(p=3), [0.0, 0.0]),
    ("norm p=1 at 0", lambda lib, x: x.norm(p=1), [0.0, 0.0]),
    ("norm p=0.5 at 0", lambda lib, x: x.norm(p=0.5), [0.0, 0.0]),
    # std_backward is grad / (2 std) masked to 0 where std = 0: a constant has gradient 0
    ("std of a constant", lambda lib, x: x.std(), [3.0, 3.0, 3.0]),
    ("std of a constant row", lambda lib, x: x.std(dim=1), [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]),
    ("std correction=0 of a constant", lambda lib, x: lib.std(x, correction=0), [5.0, 5.0]),
    ("var of a constant", lambda lib, x: x.var(), [3.0, 3.0, 3.0]),
    # no degree of freedom: var and std are NaN and so are their gradients
    ("var of one element", lambda lib, x: x.var(), [2.0]),
    ("std of one element", lambda lib, x: x.std(), [2.0]),
    ("pow 0**2", lambda lib, x: x ** 2, [0.0, 1.0]),
    ("pow 0**x", lambda lib, x: lib.pow(0.0, x), [2.0, 0.5]),
    ("prod of zeros", lambda lib, x: x.prod(), [0.0, 0.0, 3.0]),
    ("sqrt of 0", lambda lib, x: lib.sqrt(x), [0.0, 4.0]),
    ("log of 0", lambda lib, x: lib.log(x), [0.0, 1.0]),
])
def test_special_points_match_torch(name, call, values):
    x = np.array(values, dtype=np.float64)
    ours, theirs = pair(x)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # log(0) = -inf and sqrt's 1/0 = inf as in torch; var of one element warns in both
        warnings.simplefilter("ignore")
        out_ours = call(rg, ours)
        out_ours.sum().backward()
        out_theirs = call(torch, theirs)
    out_theirs.sum().backward()
    assert_same(out_ours, out_theirs, name)
    assert_same(ours.grad, theirs.grad, f"{name} gradient")


@pytest.mark.parametrize("values", [[3.0, 3.0, 3.0], [1.0, 3.0, 2.0]])
def test_std_second_order_matches_torch(values):
    # the Hessian-vector product of std goes through std_backward's masked 1 / (2 std) too
    direction = np.array([1.0, 2.0, -1.0])
    results = []
    for lib, x in zip((rg, torch), pair(np.array(values))):
        gradient, = lib.autograd.grad(x.std(), x, create_graph=True)
        second, = lib.autograd.grad((gradient * lib.tensor(direction)).sum(), x)
        results.append((gradient, second))
    (grad_ours, second_ours), (grad_theirs, second_theirs) = results
    assert_same(grad_ours, grad_theirs, "std gradient")
    assert_same(second_ours, second_theirs, "std second order")


def test_pow_gradient_wrt_exponent_at_a_zero_base_matches_torch():
    base = np.array([0.0, 0.0, 2.0])
    ours, theirs = pair(np.array([2.0, 0.5, 3.0]))
    rg.pow(rg.tensor(base), ours).sum().backward()
    torch.pow(torch.tensor(base), theirs).sum().backward()
    assert_same(ours.grad, theirs.grad, "d 0**e / de")
