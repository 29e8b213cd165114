"""Comparisons against PyTorch 2.13.0 as the oracle, in two forms.

The three-way check of an operation: finite differences, PyTorch as oracle, second order. An
operation is described once, as a ``Case`` in ``table.py``: its call is written against a
library module, so ``lambda lib, x: lib.exp(x)`` runs as ``rg.exp(x)`` and as ``torch.exp(x)``
(a ``torch_call`` is given only where PyTorch spells it differently), and each input is an
``Arg`` saying how to draw it. The helpers below draw the same seeded values for both libraries
and compare shapes, dtypes, values and gradients with explicit tolerances.

Scenarios, for the autograd tests: a function of ``lib`` that uses names both libraries share
(``lib.tensor``, ``lib.autograd.grad``, ``lib.no_grad``...), so that the same code builds the
same graph from the same seeded data (``data``) in each; ``check_scenario`` compares what the
two return, ``both_raise`` the errors. ``assert_like_torch`` compares two tensors exactly.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import torch

import retrograd as rg

torch.set_num_threads(1)  # tiny tensors: threads cost more than they give on a shared machine

Draw = Callable[[np.random.Generator, tuple], np.ndarray]

# Tolerances by dtype: float32 allows for a different summation order or formula (a few ulps of
# each term); float64 must agree to about 10 significant digits.
TOLERANCES = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
              np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}


# -- how inputs are drawn (values in float64; cast to the dtype under test) -------------------

def real(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Standard normal values."""
    return np.asarray(rng.standard_normal(shape))


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [0.5, 2]: the domain of log and sqrt, and the base of a real power."""
    return np.asarray(rng.uniform(0.5, 2.0, shape))


def away_from(*kinks: float, margin: float = 0.2) -> Draw:
    """Normal values at least ``margin`` from every kink, where the derivative jumps (0 for abs
    and relu, the bounds of clamp): finite differences must not straddle one."""
    def draw(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        values = real(rng, shape)
        while True:
            near = np.zeros(shape, dtype=bool)
            for kink in kinks:
                near |= np.abs(values - kink) < margin
            if not near.any():
                return values
            values[near] = rng.standard_normal(int(near.sum()))  # redraw only those
    return draw


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values at least 0.2 apart in random order: max, min and argmax have no tie to break."""
    count = math.prod(shape)
    spaced = (rng.permutation(count) - count / 2) * 0.25 + rng.uniform(0, 0.05, count)
    return spaced.reshape(shape)


def distinct_magnitudes(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Random signs, magnitudes at least 0.2 apart and away from 0 (the inf-norm's kinks)."""
    count = math.prod(shape)
    magnitudes = (rng.permutation(count) + 1) * 0.25 + rng.uniform(0, 0.05, count)
    return (magnitudes * rng.choice([-1.0, 1.0], count)).reshape(shape)


def small_integers(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Whole numbers in [-2, 2] as floats: comparisons then meet equal pairs too."""
    return rng.integers(-2, 3, shape).astype(np.float64)


def with_zeros(count: int) -> Draw:
    """Normal values with ``count`` of them set to exactly 0 (prod's special case)."""
    def draw(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        values = real(rng, shape)
        values.reshape(-1)[rng.choice(values.size, count, replace=False)] = 0.0
        return values
    return draw


def indices(high: int, ignore: int | None = None) -> Draw:
    """int64 indices in [0, high); with ``ignore``, every third one is set to that value."""
    def draw(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        values = rng.integers(0, high, shape)
        if ignore is not None:
            values.reshape(-1)[::3] = ignore
        return values
    return draw


def mask(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """A random boolean mask."""
    return rng.random(shape) < 0.5


# -- the table's vocabulary --------------------------------------------------------------------

@dataclass(frozen=True)
class Arg:
    """One input: its shape, how to draw it, and whether gradients are taken with respect to it.

    Floating-point inputs are cast to the dtype under test; integer and boolean ones (indices,
    masks) keep theirs. ``differentiable=False`` on a float input (a class weight) passes it
    as a plain tensor.
    """

    shape: tuple
    draw: Draw = real
    differentiable: bool = True


def const(shape: tuple, draw: Draw) -> Arg:
    """An input that takes no gradient (indices, a mask, a condition, a class weight)."""
    return Arg(shape, draw, differentiable=False)


@dataclass(frozen=True)
class Case:
    """One line of the table: an operation, its inputs, and how differentiable it is.

    ``order`` is 2 for an operation twice differentiable at the drawn points (gradcheck and
    gradgradcheck), 1 for once (gradcheck only), 0 for no gradient (comparisons, argmax).
    ``broadcast`` is True when the inputs broadcast elementwise, or a gufunc signature such as
    matmul's: hypothesis then draws their shapes. ``atol`` raises the absolute tolerance of the
    oracle comparison, for a documented difference of formula.
    """

    name: str
    call: Callable[..., Any]
    args: tuple
    order: int = 2
    torch_call: Callable[..., Any] | None = None
    broadcast: bool | str = False
    atol: float = 0.0

    def __post_init__(self) -> None:
        # a bare shape stands for an Arg of normal values
        object.__setattr__(self, "args", tuple(a if isinstance(a, Arg) else Arg(a)
                                               for a in self.args))

    def run(self, lib, *inputs) -> tuple:
        """The call's outputs, always as a tuple, in retrograd (lib=rg) or torch."""
        call = self.torch_call if lib is torch and self.torch_call is not None else self.call
        result = call(lib, *inputs)
        return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def draw_inputs(case: Case, dtype, shapes: tuple | None = None) -> list[np.ndarray]:
    """The case's inputs as arrays, seeded by its name; ``shapes`` overrides the table's."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    shapes = shapes or [arg.shape for arg in case.args]
    arrays = []
    for arg, shape in zip(case.args, shapes):
        array = arg.draw(rng, tuple(shape))
        arrays.append(array.astype(dtype) if array.dtype.kind == "f" else array)
    return arrays


def as_tensors(lib, arrays: list[np.ndarray], args: tuple, device: str = "cpu") -> list:
    """The arrays as ``lib`` tensors on ``device``; differentiable float inputs require grad."""
    return [lib.tensor(array, device=device,
                       requires_grad=arg.differentiable and array.dtype.kind == "f")
            for array, arg in zip(arrays, args)]


def differentiable_inputs(tensors: list) -> list:
    return [t for t in tensors if t.requires_grad]


def floating(outputs: tuple) -> tuple:
    """The outputs that carry gradients (values, not the int64 indices of max)."""
    return tuple(o for o in outputs if o.is_floating_point())


# -- comparisons -------------------------------------------------------------------------------

def _assert_arrays_match(actual: np.ndarray, expected: np.ndarray, what: str, rtol: float,
                         atol: float) -> None:
    """Same shape, same dtype, and values within tolerance (exact for ints and bools)."""
    assert actual.shape == expected.shape, \
        f"{what}: retrograd shape {actual.shape}, torch {expected.shape}"
    assert actual.dtype == expected.dtype, \
        f"{what}: retrograd dtype {actual.dtype}, torch {expected.dtype}"
    if actual.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_same(ours: rg.Tensor, theirs: torch.Tensor, what: str, atol: float = 0.0,
                device: str = "cpu") -> None:
    """Same shape, same dtype, and values within the dtype's tolerance (exact for ints, bools);
    ``ours`` must be on ``device``."""
    assert ours.device.type == device, \
        f"{what}: on {ours.device}, expected {device}"
    actual = ours.cpu().array
    tolerance = TOLERANCES[actual.dtype] if actual.dtype.kind == "f" else dict(rtol=0, atol=0)
    _assert_arrays_match(actual, theirs.detach().numpy(), what, tolerance["rtol"],
                         max(tolerance["atol"], atol))


def check_against_torch(case: Case, dtype, shapes: tuple | None = None,
                        device: str = "cpu") -> None:
    """Runs the case in both libraries on the same data and compares outputs and gradients;
    retrograd's inputs are on ``device`` (torch's on the CPU).

    The gradients are vector-Jacobian products with the same random upstream gradient, so
    every entry of the Jacobian matters.
    """
    arrays = draw_inputs(case, dtype, shapes)
    ours_in = as_tensors(rg, arrays, case.args, device)
    theirs_in = as_tensors(torch, arrays, case.args)
    ours, theirs = case.run(rg, *ours_in), case.run(torch, *theirs_in)
    assert len(ours) == len(theirs), f"{case.name}: {len(ours)} outputs, torch {len(theirs)}"
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_same(mine, reference, f"{case.name} output {i}", case.atol, device)
        assert mine.requires_grad == reference.requires_grad, \
            f"{case.name} output {i}: requires_grad {mine.requires_grad}, torch " \
            f"{reference.requires_grad}"
    if case.order == 0:
        return
    rng = np.random.default_rng(1)
    upstream = [rng.standard_normal(o.shape).astype(dtype) for o in floating(ours)]
    ours_wrt, theirs_wrt = differentiable_inputs(ours_in), differentiable_inputs(theirs_in)
    our_grads = rg.autograd.grad(floating(ours), ours_wrt,
                                 [rg.tensor(u, device=device) for u in upstream],
                                 allow_unused=True)
    their_grads = torch.autograd.grad(floating(theirs), theirs_wrt,
                                      [torch.tensor(u) for u in upstream], allow_unused=True)
    for i, (mine, reference) in enumerate(zip(our_grads, their_grads)):
        # an input that does not reach the output gets None in both: compare it as zeros
        mine = rg.zeros_like(ours_wrt[i]) if mine is None else mine
        reference = torch.zeros_like(theirs_wrt[i]) if reference is None else reference
        assert_same(mine, reference, f"{case.name} gradient of input {i}", case.atol, device)


def check_gradients(case: Case, second_order: bool = False, device: str = "cpu") -> None:
    """``rg.autograd.gradcheck`` (or ``gradgradcheck``) of the case in float64, on ``device``."""
    inputs = as_tensors(rg, draw_inputs(case, np.float64), case.args, device)

    def function(*tensors):
        return floating(case.run(rg, *tensors))

    check = rg.autograd.gradgradcheck if second_order else rg.autograd.gradcheck
    assert check(function, tuple(inputs))


# -- scenarios ---------------------------------------------------------------------------------

def data(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Seeded standard-normal data, the same for both libraries."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def assert_like_torch(ours: rg.Tensor, theirs: torch.Tensor) -> None:
    """Same shape, same dtype (by name) and exactly the same values."""
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def _numpy(value: Any) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, (rg.Tensor, torch.Tensor)) else value


def _assert_results_match(ours: Any, theirs: Any, what: str, rtol: float, atol: float) -> None:
    """Same structure (tuples and lists); tensors compared as arrays, other values equal."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), \
            f"{what}: retrograd {ours!r}, torch {theirs!r}"
        for i, (mine, reference) in enumerate(zip(ours, theirs)):
            _assert_results_match(mine, reference, f"{what}[{i}]", rtol, atol)
    elif isinstance(theirs, (torch.Tensor, np.ndarray)):
        assert isinstance(ours, (rg.Tensor, np.ndarray)), f"{what}: expected an array, got {ours!r}"
        _assert_arrays_match(_numpy(ours), _numpy(theirs), what, rtol, atol)
    else:
        assert ours == theirs, f"{what}: retrograd {ours!r}, torch {theirs!r}"


def check_scenario(scenario: Callable[[Any], Any], rtol: float = 1e-6,
                   atol: float = 1e-6) -> None:
    """``scenario(rg)`` must return what ``scenario(torch)`` returns."""
    _assert_results_match(scenario(rg), scenario(torch), "result", rtol, atol)


def both_raise(scenario: Callable[[Any], Any], error: type = RuntimeError,
               match: str | None = None) -> None:
    """PyTorch raises ``error`` on ``scenario``, and so does retrograd, with ``match`` in its
    message (the words that tell the user what to do)."""
    with pytest.raises(error):
        scenario(torch)
    with pytest.raises(error, match=match):
        scenario(rg)
