"""Runs one scenario on retrograd and on PyTorch 2.13.0 and compares what the two return.

A scenario is a function of ``lib``, the library (``retrograd`` or ``torch``): both share the
names it uses (``lib.tensor``, ``lib.autograd.grad``, ``lib.no_grad``...), so the same code builds
the same graph from the same seeded data in each, and PyTorch's answer is the expected one.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch

import retrograd as rg


def data(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Seeded standard-normal data, the same for both libraries."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def to_numpy(value: Any) -> Any:
    """Arrays in place of the tensors of either library, inside tuples and lists too."""
    if isinstance(value, (tuple, list)):
        return [to_numpy(v) for v in value]
    if isinstance(value, (rg.Tensor, torch.Tensor)):
        return value.detach().numpy()
    return value


def assert_same(ours: Any, theirs: Any, rtol: float = 1e-6, atol: float = 1e-6) -> None:
    """Same structure; same shape, dtype and (within tolerance) values for every array."""
    ours, theirs = to_numpy(ours), to_numpy(theirs)
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, rtol, atol)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"expected an array, got {ours!r}"
        assert ours.shape == theirs.shape
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    else:
        assert ours == theirs


def check_against_torch(scenario: Callable[[Any], Any], rtol: float = 1e-6,
                        atol: float = 1e-6) -> None:
    """``scenario(rg)`` must return what ``scenario(torch)`` returns."""
    assert_same(scenario(rg), scenario(torch), rtol, atol)


def both_raise(scenario: Callable[[Any], Any], error: type = RuntimeError,
               match: str | None = None) -> None:
    """PyTorch raises ``error`` on ``scenario``, and so does retrograd, with ``match`` in its
    message (the words that tell the user what to do)."""
    with pytest.raises(error):
        scenario(torch)
    with pytest.raises(error, match=match):
        scenario(rg)
