"""Errors a person can act on: one line per mistake, checked against PyTorch.

Each line makes the same mistake in both libraries (``lib`` is retrograd or torch, ``F`` its
``nn.functional``). PyTorch must reject it too, retrograd must raise the same exception class,
and retrograd's message must contain the listed words: the operation, the shapes or values at
fault, or what was expected.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as torch_F

import retrograd as rg
import retrograd.nn.functional as rg_F


def ones(lib, *shape):
    return lib.ones(*shape)


def labels(lib, *values):
    return lib.tensor(values)


ERRORS = [
    # shape mismatches name the operation and both shapes
    ("matmul (2,3)@(4,5)", lambda lib, F: ones(lib, 2, 3) @ ones(lib, 4, 5),
     ["matmul", "(2, 3)", "(4, 5)"]),
    ("matmul vectors", lambda lib, F: lib.matmul(ones(lib, 3), ones(lib, 4)),
     ["matmul", "(3,)", "(4,)"]),
    ("matmul batch dims", lambda lib, F: ones(lib, 2, 2, 3) @ ones(lib, 3, 3, 4),
     ["matmul", "(2, 2, 3)", "(3, 3, 4)"]),
    ("add broadcast", lambda lib, F: ones(lib, 2, 3) + ones(lib, 4), ["add", "(2, 3)", "(4,)"]),
    ("mul broadcast", lambda lib, F: ones(lib, 2, 3) * ones(lib, 2, 2),
     ["mul", "(2, 3)", "(2, 2)"]),
    ("maximum broadcast", lambda lib, F: lib.maximum(ones(lib, 2, 3), ones(lib, 2)),
     ["maximum", "(2, 3)", "(2,)"]),
    ("cat shapes", lambda lib, F: lib.cat([ones(lib, 2, 3), ones(lib, 2, 4)]),
     ["cat", "(2, 3)", "(2, 4)"]),
    ("cat ranks", lambda lib, F: lib.cat([ones(lib, 2, 3), ones(lib, 3)]),
     ["cat", "(2, 3)", "(3,)"]),
    ("stack shapes", lambda lib, F: lib.stack([ones(lib, 2, 3), ones(lib, 3, 2)]),
     ["stack", "(2, 3)", "(3, 2)"]),
    ("reshape impossible", lambda lib, F: ones(lib, 2, 3).reshape(4, 2),
     ["reshape", "[4, 2]", "(2, 3)", "6 elements"]),
    ("reshape -1 impossible", lambda lib, F: ones(lib, 2, 3).reshape(4, -1),
     ["reshape", "[4, -1]", "(2, 3)"]),
    ("view impossible", lambda lib, F: ones(lib, 2, 3).view(5), ["[5]", "(2, 3)"]),
    ("expand", lambda lib, F: ones(lib, 2, 3).expand(4, 3), ["expand", "(2, 3)", "[4, 3]"]),
    ("gather rank", lambda lib, F: ones(lib, 2, 3).gather(1, lib.zeros(2, dtype=lib.int64)),
     ["gather", "1 dimensions", "2"]),
    ("split sizes", lambda lib, F: ones(lib, 5).split([2, 2]), ["split", "[2, 2]", "5"]),
    ("repeat too few", lambda lib, F: ones(lib, 2, 3).repeat(2), ["repeat", "2 dimensions"]),
    ("bool mask shape", lambda lib, F: ones(lib, 2, 3)[ones(lib, 3) > 0], ["(2, 3)"]),
    ("index out of range", lambda lib, F: ones(lib, 2, 3)[2], ["index 2", "(2, 3)"]),
    # dimensions out of range say which dim and the valid range
    ("sum dim", lambda lib, F: ones(lib, 2, 3).sum(dim=2), ["sum", "dim 2", "-2 <= dim < 2"]),
    ("softmax dim", lambda lib, F: F.softmax(ones(lib, 2, 3), dim=3), ["softmax", "dim 3"]),
    ("transpose dim", lambda lib, F: ones(lib, 2, 3).transpose(0, 2), ["transpose", "dim 2"]),
    ("permute duplicate", lambda lib, F: ones(lib, 2, 3).permute(0, 0), ["permute", "[0, 0]"]),
    # wrong types say what was expected
    ("matmul with a list", lambda lib, F: lib.matmul(ones(lib, 2), [1.0, 2.0]),
     ["matmul", "list", "Tensor"]),
    ("@ with a list", lambda lib, F: ones(lib, 2) @ [1.0, 2.0], ["list", "Tensor"]),
    ("add a string", lambda lib, F: ones(lib, 2) + "a", ["str", "Tensor"]),
    ("exp of a list", lambda lib, F: lib.exp([1.0, 2.0]), ["list", "Tensor"]),
    ("relu of a list", lambda lib, F: F.relu([1.0]), ["list", "Tensor"]),
    ("cat with an int", lambda lib, F: lib.cat([ones(lib, 2), 3]), ["element 1", "Tensor"]),
    ("cat of one tensor", lambda lib, F: lib.cat(ones(lib, 2, 2)), ["cat", "list", "Tensor"]),
    ("int tensor requires grad", lambda lib, F: lib.tensor([1, 2], requires_grad=True),
     ["floating point", "int64"]),
    ("mean of ints", lambda lib, F: lib.ones(2, dtype=lib.int64).mean(), ["mean", "int64"]),
    ("mean of uint8", lambda lib, F: lib.ones(2, dtype=lib.uint8).mean(dim=0),
     ["mean", "uint8"]),
    ("mean of bools", lambda lib, F: (lib.ones(2) > 0).mean(), ["mean", "bool"]),
    ("std of ints", lambda lib, F: lib.ones(3, dtype=lib.int64).std(), ["std", "int64"]),
    ("var of uint8", lambda lib, F: lib.ones(3, dtype=lib.uint8).var(dim=0), ["var", "uint8"]),
    # bad argument values
    ("gelu approximate", lambda lib, F: F.gelu(ones(lib, 2), approximate="fast"),
     ["'none'", "'tanh'", "'fast'"]),
    ("clamp without bounds", lambda lib, F: lib.clamp(ones(lib, 2)), ["min", "max"]),
    ("chunk 0", lambda lib, F: ones(lib, 2, 3).chunk(0), ["chunk", "0"]),
    ("max of an empty tensor", lambda lib, F: ones(lib, 0).max(), ["max", "dim"]),
    # class targets
    ("cross_entropy target too large",
     lambda lib, F: F.cross_entropy(lib.zeros(2, 3), labels(lib, 0, 3)),
     ["cross_entropy", "target 3", "3 classes", "[0, 2]"]),
    ("cross_entropy negative target",
     lambda lib, F: F.cross_entropy(lib.zeros(2, 3), labels(lib, 0, -2)), ["target -2", "[0, 2]"]),
    ("nll_loss target out of range", lambda lib, F: F.nll_loss(lib.zeros(2, 3), labels(lib, 5, 0)),
     ["nll_loss", "target 5"]),
    ("cross_entropy batch sizes",
     lambda lib, F: F.cross_entropy(lib.zeros(2, 3), labels(lib, 0, 1, 2)), ["(2,)", "(3,)"]),
    ("cross_entropy reduction",
     lambda lib, F: F.cross_entropy(lib.zeros(2, 3), labels(lib, 0, 1), reduction="avg"),
     ["reduction", "'avg'", "'mean'"]),
]

@pytest.mark.parametrize("call, words", [pytest.param(call, words, id=name)
                                          for name, call, words in ERRORS])
def test_error_matches_torch_and_explains(call, words):
    with pytest.raises(Exception) as theirs:
        call(torch, torch_F)
    with pytest.raises(Exception) as ours:
        call(rg, rg_F)
    assert isinstance(ours.value, type(theirs.value)), \
        f"retrograd raised {type(ours.value).__name__}, torch {type(theirs.value).__name__}"
    message = str(ours.value).lower()
    missing = [word for word in words if word.lower() not in message]
    assert not missing, f"the message {str(ours.value)!r} does not mention {missing}"


@pytest.mark.parametrize("data, words", [
    (["a"], ["dtype", "<u1", "numbers"]),
    ([object()], ["dtype", "object", "numbers"]),
    ([1 + 2j], ["complex128", "float32"]),  # PyTorch has complex tensors, retrograd does not
])
def test_unsupported_dtype_says_what_is_supported(data, words):
    with pytest.raises(TypeError) as error:
        rg.tensor(data)
    message = str(error.value).lower()
    assert all(word in message for word in words), message


def test_ragged_data_is_rejected():
    with pytest.raises(TypeError, match="inhomogeneous"):
        rg.tensor([[1.0], [1.0, 2.0]])


def test_cross_entropy_float_target_says_int64():
    # torch raises RuntimeError here; ours is a TypeError (a wrong dtype), which names int64
    with pytest.raises(TypeError, match="int64"):
        rg_F.cross_entropy(rg.zeros(2, 3), rg.zeros(2))
