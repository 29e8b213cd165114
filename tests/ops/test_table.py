"""Every line of the operation table, checked three ways (see ``table.py``).

1. ``rg.autograd.gradcheck`` in float64: analytic gradients against finite differences;
2. PyTorch 2.13.0 as oracle in float32 and float64: output shape, dtype and values, and the
   gradients of every input, with hypothesis drawing broadcastable shapes for binary ops;
3. ``rg.autograd.gradgradcheck`` where the operation is twice differentiable.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from .oracle import check_against_torch, check_gradients
from .table import TABLE


def cases(minimum_order: int = 0, broadcast: bool = False) -> list:
    chosen = [case for case in TABLE if case.order >= minimum_order and
              (not broadcast or case.broadcast)]
    return [pytest.param(case, id=case.name) for case in chosen]


@pytest.mark.parametrize("case", cases(minimum_order=1))
def test_gradcheck(case):
    check_gradients(case)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", cases())
def test_matches_torch(case, dtype):
    check_against_torch(case, dtype)


@pytest.mark.parametrize("case", cases(minimum_order=2))
def test_gradgradcheck(case):
    check_gradients(case, second_order=True)


# The same table on a second device: the CuPy stand-in of tests/fake_cupy.py as "cuda". Every
# output and gradient must stay on the device and match torch as on the CPU.

@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", cases())
def test_matches_torch_on_device(case, dtype, fake_cuda):
    check_against_torch(case, dtype, device="cuda")


@pytest.mark.parametrize("case", cases(minimum_order=2))
def test_gradgradcheck_on_device(case, fake_cuda):
    check_gradients(case, second_order=True, device="cuda")


@pytest.mark.parametrize("case", cases(broadcast=True))
@settings(max_examples=15)  # per operation; both dtypes run for each drawn set of shapes
@given(data=st.data())
def test_broadcasting_matches_torch(case, data):
    if isinstance(case.broadcast, str):  # a gufunc signature, such as matmul's
        strategy = mutually_broadcastable_shapes(signature=case.broadcast, max_dims=3, max_side=3)
    else:
        strategy = mutually_broadcastable_shapes(num_shapes=len(case.args), max_dims=3,
                                                 max_side=3)
    shapes = data.draw(strategy).input_shapes
    for dtype in (np.float32, np.float64):
        check_against_torch(case, dtype, shapes)
