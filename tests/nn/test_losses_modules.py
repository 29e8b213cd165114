"""The loss modules of ``rg.nn`` against PyTorch 2.13.0's: same options, same inputs, same
values, input gradients, ``state_dict`` keys and ``repr``; plus their construction errors.

The functional losses they call are checked option by option in ``test_losses.py``; here each
module is run with non-default options to show that it passes every one of them on.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg

N, C = 4, 3


def draw(seed: int) -> dict:
    """Seeded arrays of every kind the losses take."""
    rng = np.random.default_rng(seed)
    probabilities = rng.uniform(0.05, 0.95, (N, C))
    return dict(logits=rng.standard_normal((N, C)), other=rng.standard_normal((N, C)),
                third=rng.standard_normal((N, C)), labels=rng.integers(0, C, N),
                probabilities=probabilities, targets=rng.uniform(0, 1, (N, C)),
                log_probabilities=np.log(probabilities / probabilities.sum(1, keepdims=True)),
                signs=rng.choice([-1.0, 1.0], N), signs_per_element=rng.choice([-1.0, 1.0],
                                                                             (N, C)),
                class_weight=rng.uniform(0.5, 2.0, C), values=rng.standard_normal(N),
                other_values=rng.standard_normal(N))


# (module name, constructor options naming arrays of draw() as "@name", the inputs' names; the
# first input is the one whose gradient is compared)
MODULES = [
    ("CrossEntropyLoss", dict(weight="@class_weight", ignore_index=1, label_smoothing=0.2),
     ["logits", "labels"]),
    ("CrossEntropyLoss", dict(reduction="sum", label_smoothing=0.1),
     ["logits", "probabilities"]),
    ("NLLLoss", dict(weight="@class_weight", ignore_index=0, reduction="sum"),
     ["log_probabilities", "labels"]),
    ("BCELoss", dict(weight="@class_weight", reduction="none"), ["probabilities", "targets"]),
    ("BCEWithLogitsLoss", dict(weight="@class_weight", pos_weight="@class_weight"),
     ["logits", "targets"]),
    ("MultiMarginLoss", dict(p=2, margin=0.5, weight="@class_weight"), ["logits", "labels"]),
    ("MSELoss", dict(reduction="sum"), ["logits", "other"]),
    ("L1Loss", dict(reduction="none"), ["logits", "other"]),
    ("SmoothL1Loss", dict(beta=0.4), ["logits", "other"]),
    ("HuberLoss", dict(delta=0.6, reduction="sum"), ["logits", "other"]),
    ("HingeEmbeddingLoss", dict(margin=0.7), ["logits", "signs_per_element"]),
    ("CosineEmbeddingLoss", dict(margin=0.2, reduction="none"),
     ["logits", "other", "signs"]),
    ("MarginRankingLoss", dict(margin=0.3), ["values", "other_values", "signs"]),
    ("TripletMarginLoss", dict(margin=0.8, p=1.5, eps=1e-4, swap=True),
     ["logits", "other", "third"]),
    ("KLDivLoss", dict(reduction="batchmean"), ["log_probabilities", "probabilities"]),
    ("KLDivLoss", dict(reduction="sum", log_target=True),
     ["log_probabilities", "log_probabilities"]),
]


def build(lib, name: str, options: dict, arrays: dict):
    """The module ``lib.nn.<name>`` with its options, "@name" options made tensors."""
    options = {key: lib.tensor(arrays[value[1:]]) if isinstance(value, str) and
               value.startswith("@") else value for key, value in options.items()}
    return getattr(lib.nn, name)(**options)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name, options, inputs", MODULES,
                         ids=[f"{m[0]} {sorted(m[1])}" for m in MODULES])
def test_module_matches_torch(name, options, inputs, dtype):
    arrays = {key: value.astype(dtype) if value.dtype.kind == "f" else value
              for key, value in draw(0).items()}
    ours, theirs = build(rg, name, options, arrays), build(torch, name, options, arrays)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    our_inputs = [rg.tensor(arrays[key]) for key in inputs]
    their_inputs = [torch.tensor(arrays[key]) for key in inputs]
    our_inputs[0].requires_grad_()
    their_inputs[0].requires_grad_()
    our_loss, their_loss = ours(*our_inputs), theirs(*their_inputs)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10,
                                                                            atol=1e-12)
    assert our_loss.array.dtype == their_loss.detach().numpy().dtype
    np.testing.assert_allclose(our_loss.array, their_loss.detach().numpy(), **tolerance)
    upstream = np.random.default_rng(1).standard_normal(our_loss.shape).astype(dtype)
    our_loss.backward(rg.tensor(upstream))
    their_loss.backward(torch.tensor(upstream))
    np.testing.assert_allclose(our_inputs[0].grad.array, their_inputs[0].grad.numpy(),
                               **tolerance)


def test_weights_are_buffers_that_follow_the_dtype():
    loss = rg.nn.BCEWithLogitsLoss(weight=rg.ones(3), pos_weight=rg.full((3,), 2.0))
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    assert list(loss.parameters()) == []
    loss.double()
    assert loss.weight.dtype == rg.float64 and loss.pos_weight.dtype == rg.float64


def test_deprecated_arguments_set_the_reduction_like_torch():
    for size_average, reduce in [(False, None), (None, False), (True, None)]:
        with pytest.warns(DeprecationWarning):
            ours = rg.nn.MSELoss(size_average, reduce).reduction
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ours == torch.nn.MSELoss(size_average, reduce).reduction


@pytest.mark.parametrize("make, error, message", [
    (lambda: rg.nn.MSELoss(reduction="avg"), ValueError,
     r"MSELoss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"),
    (lambda: rg.nn.CrossEntropyLoss(reduction="batchmean"), ValueError,
     r"CrossEntropyLoss: reduction must be one of"),
    (lambda: rg.nn.MultiMarginLoss(p=3), ValueError, r"MultiMarginLoss: p must be 1 or 2, got 3"),
    (lambda: rg.nn.MultiMarginLoss(weight=rg.ones(2, 2)), ValueError,
     r"weight must be None or a 1-d tensor \(C\), got shape \(2, 2\)"),
    (lambda: rg.nn.TripletMarginLoss(margin=-1.0), ValueError,
     r"TripletMarginLoss: margin must be > 0, got -1.0"),
    (lambda: rg.nn.HuberLoss(delta="1"), TypeError, r"delta must be a float or int, got str"),
])
def test_construction_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_kl_div_loss_accepts_batchmean():
    assert rg.nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
