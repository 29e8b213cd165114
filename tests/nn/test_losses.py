"""Every loss of ``rg.nn.functional`` checked against PyTorch 2.13.0 and by finite differences.

One table, ``loss_cases(n, c, reduction)``, drives three checks (the helpers of
``tests/ops/oracle.py``): PyTorch as oracle in float32 and float64 (values, dtypes and the
gradients of every differentiable input, targets included, for a random upstream gradient) on
two sets of shapes; ``rg.autograd.gradcheck`` in float64; and ``gradgradcheck`` for the second
order. Then: extreme inputs (logits of +-1e4, probabilities of exactly 0 and 1), the deprecated
``size_average``/``reduce`` arguments, and the error messages.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ops.oracle import Arg, Case, check_against_torch, check_gradients, const, indices, positive

import retrograd as rg

REDUCTIONS = ("mean", "sum", "none")


def F(lib):
    """``lib.nn.functional``: ``rg.nn.functional`` or ``torch.nn.functional``."""
    return lib.nn.functional


# -- how loss inputs are drawn -----------------------------------------------------------------

def probabilities(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [0.05, 0.95]: BCE's domain, away from the clamped ends."""
    return rng.uniform(0.05, 0.95, shape)


def distributions(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Positive rows that sum to 1 along the class dimension (1, or 0 for a single example)."""
    values = rng.uniform(0.1, 1.0, shape)
    return values / values.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def log_distributions(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.log(distributions(rng, shape))


def signs(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """1 or -1: the labels of the embedding and ranking losses."""
    return rng.choice([-1.0, 1.0], shape)


def signs_and_zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """1, -1 or 0: hinge_embedding_loss gives a target that is neither both of its terms."""
    return rng.choice([-1.0, 0.0, 1.0], shape)


def loss_cases(n: int, c: int, reduction: str) -> list[Case]:
    """One line per loss and option, for a batch of n examples of c classes or features."""
    r = reduction
    x = (n, c)
    labels = const((n,), indices(c))
    some_ignored = const((n,), indices(c, ignore=-100))  # the first of every three ignored
    class_weight = const((c,), positive)
    return [
        # classification
        Case(f"cross_entropy {r}", lambda lib, z, t: F(lib).cross_entropy(z, t, reduction=r),
             [x, labels]),
        Case(f"cross_entropy weight ignore_index {r}",
             lambda lib, z, t, w: F(lib).cross_entropy(z, t, w, reduction=r), [x, some_ignored,
                                                                              class_weight]),
        Case(f"cross_entropy label_smoothing {r}",
             lambda lib, z, t: F(lib).cross_entropy(z, t, reduction=r, label_smoothing=0.3),
             [x, labels]),
        Case(f"cross_entropy weight ignore_index label_smoothing {r}",
             lambda lib, z, t, w: F(lib).cross_entropy(z, t, w, reduction=r,
                                                       label_smoothing=0.2),
             [x, some_ignored, class_weight]),
        Case(f"cross_entropy (N,C,d1,d2) ignore_index=1 label_smoothing {r}",
             lambda lib, z, t: F(lib).cross_entropy(z, t, ignore_index=1, reduction=r,
                                                    label_smoothing=0.1),
             [(n, c, 2, 3), const((n, 2, 3), indices(c, ignore=1))]),
        Case(f"cross_entropy one example label_smoothing {r}",
             lambda lib, z, t: F(lib).cross_entropy(z, t, reduction=r, label_smoothing=0.1),
             [(c,), const((), indices(c))]),
        Case(f"cross_entropy probabilities {r}",
             lambda lib, z, p: F(lib).cross_entropy(z, p, reduction=r),
             [x, Arg(x, distributions)]),
        Case(f"cross_entropy probabilities weight label_smoothing {r}",
             lambda lib, z, p, w: F(lib).cross_entropy(z, p, w, reduction=r,
                                                       label_smoothing=0.25),
             [x, Arg(x, distributions), class_weight]),
        Case(f"cross_entropy probabilities (N,C,d1) {r}",
             lambda lib, z, p: F(lib).cross_entropy(z, p, reduction=r),
             [(n, c, 3), Arg((n, c, 3), distributions)]),
        Case(f"cross_entropy probabilities one example {r}",
             lambda lib, z, p: F(lib).cross_entropy(z, p, reduction=r),
             [(c,), Arg((c,), distributions)]),
        Case(f"nll_loss weight ignore_index {r}",
             lambda lib, z, t, w: F(lib).nll_loss(z, t, w, reduction=r),
             [x, some_ignored, class_weight]),
        Case(f"nll_loss one example {r}", lambda lib, z, t: F(lib).nll_loss(z, t, reduction=r),
             [(c,), const((), indices(c))]),
        Case(f"binary_cross_entropy {r}",
             lambda lib, p, t: F(lib).binary_cross_entropy(p, t, reduction=r),
             [Arg(x, probabilities), Arg(x, probabilities)]),
        Case(f"binary_cross_entropy weight {r}",
             lambda lib, p, t, w: F(lib).binary_cross_entropy(p, t, w, reduction=r),
             [Arg(x, probabilities), Arg(x, probabilities), class_weight]),
        Case(f"binary_cross_entropy_with_logits {r}",
             lambda lib, z, t: F(lib).binary_cross_entropy_with_logits(z, t, reduction=r),
             [x, Arg(x, probabilities)]),
        Case(f"binary_cross_entropy_with_logits weight pos_weight {r}",
             lambda lib, z, t, w, pw: F(lib).binary_cross_entropy_with_logits(
                 z, t, w, reduction=r, pos_weight=pw),
             [x, Arg(x, probabilities), const((n, 1), positive), class_weight]),
        Case(f"multi_margin_loss {r}",
             lambda lib, z, t: F(lib).multi_margin_loss(z, t, reduction=r), [x, labels]),
        Case(f"multi_margin_loss p=2 margin weight {r}",
             lambda lib, z, t, w: F(lib).multi_margin_loss(z, t, p=2, margin=0.6, weight=w,
                                                           reduction=r),
             [x, labels, class_weight]),
        Case(f"multi_margin_loss one example {r}",
             lambda lib, z, t: F(lib).multi_margin_loss(z, t, reduction=r),
             [(c,), const((), indices(c))]),
        # regression
        Case(f"mse_loss {r}", lambda lib, a, b: F(lib).mse_loss(a, b, reduction=r), [x, x]),
        Case(f"mse_loss weight {r}",
             lambda lib, a, b, w: F(lib).mse_loss(a, b, reduction=r, weight=w),
             [x, x, Arg(x, positive)]),
        Case(f"l1_loss {r}", lambda lib, a, b: F(lib).l1_loss(a, b, reduction=r), [x, x]),
        Case(f"l1_loss weight {r}",
             lambda lib, a, b, w: F(lib).l1_loss(a, b, reduction=r, weight=w),
             [x, x, Arg(x, positive)]),
        Case(f"smooth_l1_loss beta=0.5 {r}",
             lambda lib, a, b: F(lib).smooth_l1_loss(a, b, reduction=r, beta=0.5), [x, x]),
        Case(f"smooth_l1_loss beta=0 {r}",
             lambda lib, a, b: F(lib).smooth_l1_loss(a, b, reduction=r, beta=0.0), [x, x]),
        Case(f"huber_loss delta=0.7 {r}",
             lambda lib, a, b: F(lib).huber_loss(a, b, reduction=r, delta=0.7), [x, x]),
        Case(f"huber_loss weight {r}",
             lambda lib, a, b, w: F(lib).huber_loss(a, b, reduction=r, weight=w),
             [x, x, Arg(x, positive)]),
        # embeddings and rankings
        Case(f"hinge_embedding_loss margin=0.5 {r}",
             lambda lib, d, y: F(lib).hinge_embedding_loss(d, y, margin=0.5, reduction=r),
             [x, const(x, signs_and_zeros)]),
        Case(f"cosine_embedding_loss margin=0.1 {r}",
             lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, margin=0.1,
                                                               reduction=r),
             [x, x, const((n,), signs)]),
        Case(f"cosine_embedding_loss one pair {r}",
             lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, reduction=r),
             [(c,), (c,), const((), signs)]),
        Case(f"margin_ranking_loss margin=0.3 {r}",
             lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
             [(n,), (n,), Arg((n,), signs)]),
        Case(f"triplet_margin_loss {r}",
             lambda lib, a, p, q: F(lib).triplet_margin_loss(a, p, q, reduction=r), [x, x, x]),
        Case(f"triplet_margin_loss p=1 swap {r}",
             lambda lib, a, p, q: F(lib).triplet_margin_loss(a, p, q, p=1, swap=True,
                                                             reduction=r), [x, x, x]),
        Case(f"triplet_margin_loss p=3 margin=2 eps=1e-3 {r}",
             lambda lib, a, p, q: F(lib).triplet_margin_loss(a, p, q, margin=2.0, p=3,
                                                             eps=1e-3, reduction=r),
             [x, x, x]),
        Case(f"triplet_margin_loss one triplet {r}",
             lambda lib, a, p, q: F(lib).triplet_margin_loss(a, p, q, reduction=r),
             [(c,), (c,), (c,)]),
        # distributions ('mean' warns in both libraries: batchmean is tested in its place)
        Case(f"kl_div {r}",
             lambda lib, q, p: F(lib).kl_div(q, p, reduction="batchmean" if r == "mean" else r),
             [Arg(x, log_distributions), Arg(x, distributions)]),
        Case(f"kl_div log_target {r}",
             lambda lib, q, p: F(lib).kl_div(q, p, reduction="batchmean" if r == "mean" else r,
                                             log_target=True),
             [Arg(x, log_distributions), Arg(x, log_distributions)]),
    ]


def params(n: int, c: int, reductions=REDUCTIONS) -> list:
    return [pytest.param(case, id=f"{case.name} n={n} c={c}") for r in reductions
            for case in loss_cases(n, c, r)]


# Two sets of shapes for the oracle; gradcheck in float64 on the first (it is slow: two
# evaluations per input element).
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", params(3, 4) + params(7, 2))
def test_matches_torch(case, dtype):
    check_against_torch(case, dtype)


@pytest.mark.parametrize("case", params(3, 4, ("mean", "none")))
def test_gradcheck(case):
    check_gradients(case)


@pytest.mark.parametrize("case", params(3, 3, ("mean", "none")))
def test_gradgradcheck(case):
    check_gradients(case, second_order=True)


@settings(max_examples=20)
@given(n=st.integers(1, 6), c=st.integers(2, 6), reduction=st.sampled_from(REDUCTIONS),
       data=st.data())
def test_random_shapes_match_torch(n, c, reduction, data):
    case = data.draw(st.sampled_from(loss_cases(n, c, reduction)), label="case")
    for dtype in (np.float32, np.float64):
        check_against_torch(case, dtype)


def every_target_ignored(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.full(shape, -100)


@pytest.mark.parametrize("case", [
    Case(f"{name} every target ignored {options}",
         lambda lib, z, t, name=name, options=options: getattr(F(lib), name)(z, t, **options),
         [(2, 3), const((2,), every_target_ignored)])
    for name, options in [("nll_loss", {}), ("cross_entropy", {}),
                          ("cross_entropy", dict(label_smoothing=0.2))]],
    ids=lambda case: case.name)
def test_every_target_ignored_gives_nan_and_zero_gradient(case):
    check_against_torch(case, np.float32)  # as PyTorch: the mean of nothing is NaN


def test_kl_div_mean_warns_and_matches_torch():
    rng = np.random.default_rng(0)
    q, p = log_distributions(rng, (3, 4)), distributions(rng, (3, 4))
    with pytest.warns(UserWarning, match="batchmean"):
        ours = rg.nn.functional.kl_div(rg.tensor(q), rg.tensor(p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.functional.kl_div(torch.tensor(q), torch.tensor(p))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


# -- extreme values: finite wherever PyTorch is finite, and equal to it -------------------------

def both(array: np.ndarray, requires_grad: bool = False) -> tuple:
    return (rg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def assert_value_and_gradient(ours_loss, theirs_loss, ours_input, theirs_input,
                              rtol: float = 1e-6) -> None:
    ours_loss.backward()
    theirs_loss.backward()
    for mine, reference in ((ours_loss.array, theirs_loss.detach().numpy()),
                            (ours_input.grad.array, theirs_input.grad.numpy())):
        assert np.isfinite(mine).all()
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=1e-6)


EXTREME_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [5e3, 5e3, -1e4]],
                          dtype=np.float32)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_extreme_logits(label_smoothing):
    target = np.array([1, 1, 2])  # confidently wrong, right, and wrong by 1.5e4
    (z, tz), (t, tt) = both(EXTREME_LOGITS, True), both(target)
    assert_value_and_gradient(rg.nn.functional.cross_entropy(z, t,
                                                             label_smoothing=label_smoothing),
                              torch.nn.functional.cross_entropy(tz, tt,
                                                                label_smoothing=label_smoothing),
                              z, tz)


def test_cross_entropy_probabilities_extreme_logits():
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    (z, tz), (t, tt) = both(EXTREME_LOGITS, True), both(p)
    assert_value_and_gradient(rg.nn.functional.cross_entropy(z, t),
                              torch.nn.functional.cross_entropy(tz, tt), z, tz)


@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_binary_cross_entropy_with_logits_extreme_logits(pos_weight):
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 88.0, -104.0], dtype=np.float32)
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0], dtype=np.float32)
    (z, tz), (t, tt) = both(logits, True), both(target)
    weights = {} if pos_weight is None else dict(pos_weight=np.full(7, pos_weight, np.float32))
    ours = {k: rg.tensor(v) for k, v in weights.items()}
    theirs = {k: torch.tensor(v) for k, v in weights.items()}
    assert_value_and_gradient(
        rg.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum", **ours),
        torch.nn.functional.binary_cross_entropy_with_logits(tz, tt, reduction="sum", **theirs),
        z, tz)


def test_binary_cross_entropy_probabilities_of_zero_and_one():
    # PyTorch clamps each log at -100 and the gradient's denominator at 1e-12
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5])
    target = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5])
    (x, tx), (t, tt) = both(p, True), both(target)
    ours = rg.nn.functional.binary_cross_entropy(x, t, reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(tx, tt, reduction="none")
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-12)
    assert ours.array.max() == 100.0
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_of_a_sigmoid_deep_in_its_left_tail(dtype):
    # sigmoid(-20) = 2.06e-9 must survive in float32: rounded to 0 it made the loss the clamped
    # 100 with a zero gradient, where PyTorch gives 20 and -(1 - sigmoid(-20)) ~ -1
    logits = np.array([-20.0, -30.0, -60.0, 15.0], dtype=dtype)
    target = np.array([1.0, 1.0, 1.0, 0.0], dtype=dtype)
    (z, tz), (t, tt) = both(logits, True), both(target)
    ours = rg.nn.functional.binary_cross_entropy(rg.sigmoid(z), t, reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.sigmoid(tz), tt, reduction="none")
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-6, atol=0)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(z.grad.array, tz.grad.numpy(), rtol=1e-6, atol=0)
    assert ours.array[0] == pytest.approx(20.0, rel=1e-6)
    assert z.grad.array[0] == pytest.approx(-1.0, rel=1e-6)


def test_kl_div_zero_target_contributes_nothing():
    q = np.log(np.array([[0.5, 0.5, 1e-30], [0.2, 0.3, 0.5]]))
    p = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    (x, tx), (t, tt) = both(q, True), both(p)
    assert_value_and_gradient(rg.nn.functional.kl_div(x, t, reduction="batchmean"),
                              torch.nn.functional.kl_div(tx, tt, reduction="batchmean"), x, tx)


def test_multi_margin_loss_is_the_lectures_svm_hinge():
    # sum_{j != y} max(0, s_j - s_y + 1), divided by C as PyTorch does
    scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], dtype=np.float32)
    labels = np.array([0, 1, 2])
    loss = rg.nn.functional.multi_margin_loss(rg.tensor(scores), rg.tensor(labels),
                                              reduction="sum")
    hinge = np.maximum(0, scores - scores[np.arange(3), labels][:, None] + 1)
    hinge[np.arange(3), labels] = 0
    np.testing.assert_allclose(loss.item() * 3, hinge.sum(), rtol=1e-6)  # 2.9 + 0 + 12.9


# -- PyTorch's deprecated size_average and reduce ----------------------------------------------

@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, True),
                                                  (False, True)])
def test_deprecated_size_average_and_reduce(size_average, reduce):
    rng = np.random.default_rng(0)
    (a, ta), (b, tb) = both(rng.standard_normal((3, 4))), both(rng.standard_normal((3, 4)))
    with pytest.warns(DeprecationWarning, match="reduction="):
        ours = rg.nn.functional.mse_loss(a, b, size_average, reduce, "none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.functional.mse_loss(ta, tb, size_average, reduce, "none")
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)


# -- errors that say what was wrong and what to do ---------------------------------------------

def _logits_and_labels():
    return rg.randn(3, 4), rg.tensor([0, 1, 3])


LOSSES_WITH_TWO_ARGUMENTS = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                             "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                             "binary_cross_entropy_with_logits", "kl_div",
                             "hinge_embedding_loss"]


@pytest.mark.parametrize("name", LOSSES_WITH_TWO_ARGUMENTS + ["multi_margin_loss"])
def test_bad_reduction(name):
    x = rg.rand(3, 4)
    target = rg.tensor([0, 1, 3]) if name in ("cross_entropy", "nll_loss",
                                              "multi_margin_loss") else rg.rand(3, 4)
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of .*'avg'"):
        getattr(rg.nn.functional, name)(x, target, reduction="avg")


@pytest.mark.parametrize("name", LOSSES_WITH_TWO_ARGUMENTS)
def test_input_must_be_a_tensor(name):
    with pytest.raises(TypeError, match=rf"{name}: input must be a .*Tensor, got list"):
        getattr(rg.nn.functional, name)([[0.5, 0.5]], rg.tensor([1]))


def test_cross_entropy_float_class_indices():
    x, _ = _logits_and_labels()
    with pytest.raises(TypeError, match=r"cross_entropy: a target of shape \(3,\) holds class "
                                        r"indices and must be int64, got .*float32.*input's "
                                        r"shape \(3, 4\)"):
        rg.nn.functional.cross_entropy(x, rg.tensor([0.0, 1.0, 3.0]))


def test_cross_entropy_integer_probabilities():
    x, _ = _logits_and_labels()
    with pytest.raises(TypeError, match=r"class probabilities and must be floating point, got "
                                        r".*int64.*class indices have shape \(3,\)"):
        rg.nn.functional.cross_entropy(x, rg.zeros(3, 4).long())


def test_cross_entropy_probabilities_with_ignore_index():
    x, _ = _logits_and_labels()
    with pytest.raises(ValueError, match="ignore_index is not supported with class-probability"):
        rg.nn.functional.cross_entropy(x, rg.full((3, 4), 0.25), ignore_index=0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "multi_margin_loss"])
@pytest.mark.parametrize("bad", [4, -1])
def test_class_index_out_of_range(name, bad):
    x, _ = _logits_and_labels()
    with pytest.raises(IndexError, match=rf"{name}: target {bad} is out of bounds: the input "
                                         r"has 4 classes, so targets must be in \[0, 3\]"):
        getattr(rg.nn.functional, name)(x, rg.tensor([0, bad, 1]))


def test_ignored_index_is_not_out_of_range():
    x, _ = _logits_and_labels()
    rg.nn.functional.cross_entropy(x, rg.tensor([0, -100, 1]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_target_of_wrong_shape(name):
    x, _ = _logits_and_labels()
    with pytest.raises(ValueError, match=rf"{name}: input of shape \(3, 4\) needs a target of "
                                         r"class indices of shape \(3,\), got \(2,\)"):
        getattr(rg.nn.functional, name)(x, rg.tensor([0, 1]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "multi_margin_loss"])
def test_class_weight_of_wrong_shape(name):
    x, y = _logits_and_labels()
    with pytest.raises(ValueError, match=rf"{name}: weight must have one value per class, "
                                         r"shape \(4,\), got \(3,\)"):
        getattr(rg.nn.functional, name)(x, y, weight=rg.ones(3))


def test_class_weight_does_not_take_gradients():
    x, y = _logits_and_labels()
    with pytest.raises(RuntimeError, match="not differentiable with respect to weight; pass "
                                           r"weight.detach\(\)"):
        rg.nn.functional.cross_entropy(x, y, weight=rg.ones(4, requires_grad=True))


def test_label_smoothing_out_of_range():
    x, y = _logits_and_labels()
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        rg.nn.functional.cross_entropy(x, y, label_smoothing=1.5)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_shapes_that_do_not_broadcast(name):
    with pytest.raises(RuntimeError, match=rf"{name}: input of shape \(3, 4\) and target of "
                                           r"shape \(2, 4\) do not broadcast together"):
        getattr(rg.nn.functional, name)(rg.rand(3, 4), rg.rand(2, 4))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_shapes_that_broadcast_warn(name):
    # PyTorch broadcasts (N, 1) against (N, C) with a warning: a classic silent bug
    with pytest.warns(UserWarning, match=rf"{name}: target of shape \(3, 1\) differs from "
                                         r"input of shape \(3, 4\)"):
        getattr(rg.nn.functional, name)(rg.rand(3, 4), rg.rand(3, 1))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight_of_wrong_shape(name):
    with pytest.raises(ValueError, match=rf"{name}: weight of shape \(4,\) must have the "
                                         r"input's shape \(3, 4\)"):
        getattr(rg.nn.functional, name)(rg.rand(3, 4), rg.rand(3, 4), weight=rg.ones(4))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_cross_entropy_shape_mismatch(name):
    with pytest.raises(ValueError, match=rf"{name}: target of shape \(3, 1\) must have the "
                                         r"input's shape \(3, 4\)"):
        getattr(rg.nn.functional, name)(rg.rand(3, 4), rg.rand(3, 1))


def test_binary_cross_entropy_of_logits_points_to_the_right_loss():
    with pytest.raises(ValueError, match=r"every element of input must be in \[0, 1\], found "
                                         r"values in \[-2, 3\].*binary_cross_entropy_with_logits"):
        rg.nn.functional.binary_cross_entropy(rg.tensor([-2.0, 3.0]), rg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"every element of target must be in \[0, 1\]"):
        rg.nn.functional.binary_cross_entropy(rg.tensor([0.2, 0.3]), rg.tensor([0.0, 2.0]))


def test_pos_weight_does_not_take_gradients():
    with pytest.raises(RuntimeError, match="not differentiable with respect to pos_weight"):
        rg.nn.functional.binary_cross_entropy_with_logits(
            rg.rand(3, 4), rg.rand(3, 4), pos_weight=rg.ones(4, requires_grad=True))


def test_multi_margin_loss_options():
    x, y = _logits_and_labels()
    with pytest.raises(ValueError, match="p must be 1 or 2, got 3"):
        rg.nn.functional.multi_margin_loss(x, y, p=3)
    with pytest.raises(ValueError, match=r"input must be \(N, C\) or a non-empty \(C\), got "
                                         r"shape \(3, 4, 2\)"):
        rg.nn.functional.multi_margin_loss(rg.rand(3, 4, 2), y)


def test_smooth_l1_and_huber_thresholds():
    a, b = rg.rand(3), rg.rand(3)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        rg.nn.functional.smooth_l1_loss(a, b, beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        rg.nn.functional.huber_loss(a, b, delta=0)


def test_cosine_embedding_loss_shapes():
    with pytest.raises(ValueError, match=r"target must be \(N\) or \(\), got shape \(3, 1\)"):
        rg.nn.functional.cosine_embedding_loss(rg.rand(3, 2), rg.rand(3, 2), rg.ones(3, 1))
    with pytest.raises(ValueError, match=r"a target of shape \(3,\) needs inputs with 2 "
                                         r"dimensions, got \(2,\) and \(3, 2\)"):
        rg.nn.functional.cosine_embedding_loss(rg.rand(2), rg.rand(3, 2), rg.ones(3))
    with pytest.raises(ValueError, match=r"give \(3,\) similarities but target has shape \(2,\)"):
        rg.nn.functional.cosine_embedding_loss(rg.rand(3, 2), rg.rand(3, 2), rg.ones(2))


def test_margin_ranking_loss_dimensions():
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1, input2 and target must "
                                         r"have the same number of dimensions, got shapes "
                                         r"\(3,\), \(3, 1\) and \(3,\)"):
        rg.nn.functional.margin_ranking_loss(rg.rand(3), rg.rand(3, 1), rg.ones(3))


def test_triplet_margin_loss_errors():
    a = rg.rand(3, 2)
    with pytest.raises(ValueError, match="margin must be > 0, got 0"):
        rg.nn.functional.triplet_margin_loss(a, a, a, margin=0)
    with pytest.raises(ValueError, match=r"anchor, positive and negative must have the same "
                                         r"number of dimensions, got shapes \(3, 2\), \(3, 2\) "
                                         r"and \(3, 2, 1\)"):
        rg.nn.functional.triplet_margin_loss(a, a, rg.rand(3, 2, 1))
    with pytest.raises(TypeError, match="triplet_margin_loss: negative must be a Tensor"):
        rg.nn.functional.triplet_margin_loss(a, a, None)


def test_kl_div_shapes_and_reduction():
    with pytest.raises(RuntimeError, match=r"kl_div: input of shape \(3, 4\) and target of "
                                           r"shape \(2, 4\) do not broadcast together"):
        rg.nn.functional.kl_div(rg.rand(3, 4), rg.rand(2, 4), reduction="sum")
    with pytest.raises(ValueError, match="reduction must be one of .*'batchmean'"):
        rg.nn.functional.kl_div(rg.rand(3, 4), rg.rand(3, 4), reduction="batch")
