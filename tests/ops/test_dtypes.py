"""Result dtypes of operations on mixed dtypes, against PyTorch's type promotion.

The table tests draw every input in the dtype under test; these lines mix dtypes (float32 with
int64, Python scalars, 0-d tensors) and compare the result's dtype and values with torch's.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg

from .oracle import assert_same


def f32(lib):
    return lib.tensor([0.5, -1.5, 2.0])


def f64(lib):
    return lib.tensor([0.25, 1.0, -3.0], dtype=lib.float64)


def i64(lib):
    return lib.tensor([1, -2, 3])


PROMOTIONS = [
    ("float32 * 2", lambda lib: f32(lib) * 2),
    ("float32 ** 2", lambda lib: f32(lib) ** 2),
    ("float32 * True", lambda lib: f32(lib) * True),
    ("float32 + float64", lambda lib: f32(lib) + f64(lib)),
    ("cat float32 float64", lambda lib: lib.cat([f32(lib), f64(lib)])),
    ("where float32 scalar", lambda lib: lib.where(f32(lib) > 0, f32(lib), 0.0)),
    ("int64 * 2", lambda lib: i64(lib) * 2),
    ("int64 + int64", lambda lib: i64(lib) + i64(lib)),
    ("2 ** int64", lambda lib: 2 ** lib.abs(i64(lib))),
    ("abs int64", lambda lib: lib.abs(i64(lib))),
    ("neg int64", lambda lib: -i64(lib)),
    ("sum of bools", lambda lib: (f32(lib) > 0).sum()),
    ("sum of int64", lambda lib: i64(lib).sum()),
    ("prod of bools", lambda lib: (f32(lib) > 0).prod()),
    # the sum and product of any integer or bool tensor are int64 (uint8 past 255 too)
    ("sum of uint8", lambda lib: lib.tensor([200, 100, 7], dtype=lib.uint8).sum()),
    ("sum of uint8 over a dim", lambda lib: lib.tensor([[200, 100], [255, 1]],
                                                       dtype=lib.uint8).sum(1)),
    ("sum of uint8 keepdim", lambda lib: lib.tensor([[200, 100], [255, 1]],
                                                    dtype=lib.uint8).sum(0, keepdim=True)),
    ("prod of uint8", lambda lib: lib.tensor([200, 100, 7], dtype=lib.uint8).prod()),
    ("prod of uint8 over a dim", lambda lib: lib.tensor([[200, 2], [3, 1]],
                                                        dtype=lib.uint8).prod(0)),
    ("sum of int8", lambda lib: lib.tensor([100, 100, -7], dtype=lib.int8).sum()),
    ("sum of int16", lambda lib: lib.tensor([30000, 30000], dtype=lib.int16).sum()),
    ("sum of int32", lambda lib: lib.tensor([2 ** 30, 2 ** 30], dtype=lib.int32).sum()),
    ("prod of int32", lambda lib: lib.tensor([2 ** 20, 2 ** 20], dtype=lib.int32).prod()),
    ("sum of bools over a dim", lambda lib: (lib.ones(2, 3) > 0).sum(0)),
    ("bool + bool", lambda lib: (f32(lib) > 0) + (f32(lib) < 1)),
    ("argmax", lambda lib: f32(lib).argmax()),
    ("comparison", lambda lib: f32(lib) >= i64(lib)),
    ("double()", lambda lib: f32(lib).double()),
    ("long()", lambda lib: f32(lib).long()),
    # NumPy computes these in float64; Op.apply brings them back to PyTorch's float32
    ("float32 + int64", lambda lib: f32(lib) + i64(lib)),
    ("int64 + 2.5", lambda lib: i64(lib) + 2.5),
    ("int64 / 2", lambda lib: i64(lib) / 2),
    ("int64 / int64", lambda lib: i64(lib) / i64(lib)),
    ("2.0 ** int64", lambda lib: 2.0 ** i64(lib)),
    ("exp int64", lambda lib: lib.exp(i64(lib))),
    ("sqrt int64", lambda lib: lib.sqrt(lib.abs(i64(lib)))),
    ("sigmoid int64", lambda lib: lib.sigmoid(i64(lib))),
    ("logsumexp int64", lambda lib: lib.logsumexp(i64(lib), 0)),
    ("maximum float32 int64", lambda lib: lib.maximum(f32(lib), i64(lib))),
    ("where float32 int64", lambda lib: lib.where(f32(lib) > 0, f32(lib), i64(lib))),
    ("clamp int64 with a float", lambda lib: i64(lib).clamp(min=0.5)),
    # PyTorch lets a 0-d tensor or a NumPy scalar of float64 follow a float32 tensor's dtype
    # (NumPy promotes to float64)
    ("float32 + 0-d float64", lambda lib: f32(lib) + lib.tensor(2.0, dtype=lib.float64)),
    ("float32 * 0-d float64", lambda lib: f32(lib) * lib.tensor(3.0, dtype=lib.float64)),
    ("float32 + np.float64", lambda lib: f32(lib) + np.float64(2.0)),
    ("0-d float64 ** float32", lambda lib: lib.tensor(2.0, dtype=lib.float64) ** f32(lib)),
    ("maximum float32 0-d float64",
     lambda lib: lib.maximum(f32(lib), lib.tensor(0.0, dtype=lib.float64))),
    ("where float32 0-d float64",
     lambda lib: lib.where(f32(lib) > 0, f32(lib), lib.tensor(-1.0, dtype=lib.float64))),
    ("int64 * 0-d float64", lambda lib: i64(lib) * lib.tensor(0.5, dtype=lib.float64)),
    ("0-d float32 + 0-d float64",
     lambda lib: lib.tensor(1.0) + lib.tensor(2.0, dtype=lib.float64)),
]



@pytest.mark.parametrize("call", [pytest.param(call, id=name) for name, call in PROMOTIONS])
def test_result_dtype_matches_torch(call):
    assert_same(call(rg), call(torch), "result")


# -- torch.result_type over every mix of operands ----------------------------------------------
#
# PyTorch ranks dimensioned tensors above 0-d tensors above Python (and NumPy) numbers, within a
# category (bool < integer < float): float32 * a float64 0-d tensor stays float32, int32 + an
# int64 0-d tensor stays int32, int64 * 2.5 is float32. NumPy 2 ranks 0-d arrays as arrays.

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = {"True": True, "3": 3, "-2": -2, "300": 300, "2.5": 2.5, "np.float64(2.5)":
           np.float64(2.5), "np.int64(3)": np.int64(3), "np.float32(0.5)": np.float32(0.5)}


def operand(lib, kind: str):
    """A tensor of a dtype, dimensioned ('float32[3]') or 0-d ('float32[]'), or a number."""
    if kind in NUMBERS:
        return NUMBERS[kind]
    name, zero_dim = kind.split("[")[0], kind.endswith("[]")
    values = [True] if zero_dim else [True, False, True]
    if name != "bool":
        values = [2] if zero_dim else [1, 2, 3]
    dtype = getattr(lib, name)
    return lib.tensor(values[0] if zero_dim else values, dtype=dtype)


TENSORS = [f"{name}[{size}]" for name in DTYPES for size in ("3", "")]
BINARY = {
    "+": lambda lib, a, b: a + b, "-": lambda lib, a, b: a - b, "*": lambda lib, a, b: a * b,
    "/": lambda lib, a, b: a / b, "**": lambda lib, a, b: a ** b,
    "maximum": lambda lib, a, b: lib.maximum(a, b), "minimum": lambda lib, a, b: lib.minimum(a, b),
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False, True]), a, b),
}
RESULT_TOLERANCE = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-12}


def _outcome(call, lib, a, b):
    try:
        return call(lib, a, b), None
    except Exception as error:  # noqa: BLE001 - what torch refuses is not compared
        return None, error


@pytest.mark.parametrize("left", TENSORS + list(NUMBERS))
def test_binary_operations_follow_torch_result_type(left):
    mismatches = []
    for right in TENSORS + (list(NUMBERS) if left in TENSORS else []):
        ours_a, ours_b = operand(rg, left), operand(rg, right)
        theirs_a, theirs_b = operand(torch, left), operand(torch, right)
        # torch.result_type takes a Tensor first; the rule is symmetric
        expected = torch.result_type(theirs_a, theirs_b) if isinstance(
            theirs_a, torch.Tensor) else torch.result_type(theirs_b, theirs_a)
        ours = rg.result_type(ours_a, ours_b)
        if ours.name != str(expected).removeprefix("torch."):
            mismatches.append(f"result_type({left}, {right}): {ours.name}, torch {expected}")
        for name, call in BINARY.items():
            theirs, refused = _outcome(call, torch, theirs_a, theirs_b)
            if refused is not None:  # e.g. bool - bool, ints to negative powers
                continue
            with np.errstate(all="ignore"):
                mine, error = _outcome(call, rg, ours_a, ours_b)
            if error is not None:
                mismatches.append(f"{left} {name} {right}: {type(error).__name__}: {error}")
                continue
            dtype = str(theirs.dtype).removeprefix("torch.")
            if mine.dtype.name != dtype:
                mismatches.append(f"{left} {name} {right}: {mine.dtype.name}, torch {dtype}")
                continue
            expected_values = theirs.numpy()
            if dtype in RESULT_TOLERANCE:
                close = np.allclose(mine.array, expected_values, equal_nan=True, atol=0,
                                    rtol=RESULT_TOLERANCE[dtype])
            else:
                close = np.array_equal(mine.array, expected_values)
            if not close or mine.shape != tuple(theirs.shape):
                mismatches.append(f"{left} {name} {right}: {mine.array}, torch {expected_values}")
    assert not mismatches, "\n".join(mismatches)


def test_gradients_reach_each_operand_in_its_own_dtype():
    # float32 matrix * float64 0-d tensor: computed in float32, the 0-d operand's gradient is
    # float64 (the cast's backward), as in torch
    results = []
    for lib in (rg, torch):
        x = lib.tensor([[0.5, -1.5], [2.0, 3.0]], requires_grad=True)
        scale = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        y = (x * scale + scale) / scale ** 2
        y.sum().backward()
        results.append((y, x.grad, scale.grad))
    for mine, reference, what in zip(results[0], results[1], ("y", "x.grad", "scale.grad")):
        assert_same(mine, reference, what)


def test_second_order_through_a_promoted_operand_matches_torch():
    results = []
    for lib in (rg, torch):
        x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
        scale = lib.tensor(0.7, dtype=lib.float64, requires_grad=True)
        gradient, = lib.autograd.grad((x * scale).pow(2).sum(), x, create_graph=True)
        second, = lib.autograd.grad(gradient.sum(), scale)
        results.append((gradient, second))
    for mine, reference, what in zip(results[0], results[1], ("gradient", "second order")):
        assert_same(mine, reference, what)


def test_result_type_and_promote_types_match_torch():
    assert rg.result_type(rg.ones(2), rg.tensor(1.0, dtype=rg.float64)) == rg.float32
    assert rg.result_type(rg.ones(2, dtype=rg.int32), 2 ** 40) == rg.int32
    assert rg.result_type(rg.ones(2, dtype=rg.int64), 2.5) == rg.float32
    assert rg.result_type(2, 2.5) == rg.float32
    for a in DTYPES:
        for b in DTYPES:
            expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
            assert rg.promote_types(getattr(rg, a), getattr(rg, b)).name == \
                str(expected).removeprefix("torch."), (a, b)


COMPARISONS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@pytest.mark.parametrize("left", TENSORS)
def test_comparisons_match_torch_for_every_mix_of_dtypes(left):
    mismatches = []
    for right in TENSORS + list(NUMBERS):
        for name, compare in COMPARISONS.items():
            theirs, refused = _outcome(lambda lib, a, b: compare(a, b), torch,
                                       operand(torch, left), operand(torch, right))
            if refused is not None:
                continue
            mine = compare(operand(rg, left), operand(rg, right))
            if mine.dtype.name != "bool" or not np.array_equal(mine.array, theirs.numpy()):
                mismatches.append(f"{left} {name} {right}: {mine.array}, torch {theirs.numpy()}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_are_computed_in_the_result_type(name):
    # a float32 tensor against a 0-d float64 tensor compares in float32, as in torch
    pairs = [([0.1, 0.2, 0.3], (0.1, "float64")), ([0.1, 1e-8, 0.3], (0.3, "float64")),
             ([2049.0, 1.0], (2049.0, "float32"))]
    for values, (value, other_dtype) in pairs:
        results = []
        for lib in (rg, torch):
            a = lib.tensor(values, dtype=lib.float16 if value == 2049.0 else lib.float32)
            b = lib.tensor(value, dtype=getattr(lib, other_dtype))
            results.append(np.asarray(COMPARISONS[name](a, b).tolist()))
        np.testing.assert_array_equal(results[0], results[1], err_msg=f"{values} {name} {value}")
