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
]

# PyTorch lets a 0-d tensor or a NumPy scalar of float64 follow a float32 tensor's dtype;
# NumPy (and retrograd) promote to float64. These lines are the specification of that rule.
TO_FLOAT32 = "a float64 0-d tensor or scalar promotes a float32 tensor to float64 in NumPy"
PROMOTIONS_TO_FIX = [
    ("float32 + 0-d float64", lambda lib: f32(lib) + lib.tensor(2.0, dtype=lib.float64)),
    ("float32 + np.float64", lambda lib: f32(lib) + np.float64(2.0)),
]


@pytest.mark.parametrize("call", [pytest.param(call, id=name) for name, call in PROMOTIONS] + [
    pytest.param(call, id=name, marks=pytest.mark.xfail(strict=True, reason=TO_FLOAT32))
    for name, call in PROMOTIONS_TO_FIX])
def test_result_dtype_matches_torch(call):
    assert_same(call(rg), call(torch), "result")
