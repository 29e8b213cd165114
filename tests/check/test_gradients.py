"""rg.check.gradients: the expected gradients against torch's autograd, a correct backward
passes, and each typical mistake of a hand-written backward is caught with the right hint."""
import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import scratch
from retrograd.check import gradients

N, NX, NH, NY = 8, 4, 5, 3
LAMBDA = 0.01


@pytest.fixture
def problem():
    """float64 parameters (Wh nh x nx, ...), inputs X (N x nx) and one-hot Y, from one seed."""
    rng = np.random.default_rng(1)
    params = {"Wh": 0.5 * rng.standard_normal((NH, NX)), "bh": 0.5 * rng.standard_normal(NH),
              "Wy": 0.5 * rng.standard_normal((NY, NH)), "by": 0.5 * rng.standard_normal(NY)}
    X = rng.standard_normal((N, NX))
    Y = np.eye(NY)[rng.integers(0, NY, N)]
    return params, X, Y


# -- the test's own network, independent of rg.scratch ---------------------------------------

def numpy_loss(params, X, Y, l2=0.0):
    """Mean cross-entropy of softmax(tanh(X Wh^T + bh) Wy^T + by), plus l2 ||theta||^2."""
    H = np.tanh(X @ params["Wh"].T + params["bh"])
    scores = H @ params["Wy"].T + params["by"]
    log_softmax = scores - scores.max(1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(1, keepdims=True))
    return -(Y * log_softmax).sum(1).mean() + l2 * sum((p ** 2).sum() for p in params.values())


def library_loss(lib, params, X, Y, l2=0.0):
    """The same loss written with the tensors of ``lib`` (retrograd or torch)."""
    H = lib.tanh(X @ params["Wh"].T + params["bh"])
    log_softmax = lib.log_softmax(H @ params["Wy"].T + params["by"], dim=1)
    return -(Y * log_softmax).sum(1).mean() + l2 * sum((p ** 2).sum() for p in params.values())


def parts(params, X, Y):
    """The forward pass's steps that a backward uses."""
    H = np.tanh(X @ params["Wh"].T + params["bh"])
    scores = H @ params["Wy"].T + params["by"]
    Yhat = np.exp(scores - scores.max(1, keepdims=True))
    Yhat /= Yhat.sum(1, keepdims=True)
    return {"X": X, "H": H, "dYtilde": (Yhat - Y) / len(X), "derivative": 1 - H ** 2}


def backward_from(params, X, H, dYtilde, derivative):
    """Backprop from dL/dY~ down, with ``derivative`` the activation's f'(H~)."""
    dHtilde = (dYtilde @ params["Wy"]) * derivative
    return {"Wh": dHtilde.T @ X, "bh": dHtilde.sum(0), "Wy": dYtilde.T @ H,
            "by": dYtilde.sum(0)}


def torch_gradients(params, X, Y, l2=0.0):
    leaves = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    library_loss(torch, leaves, torch.tensor(X), torch.tensor(Y), l2).backward()
    return {name: leaf.grad.numpy() for name, leaf in leaves.items()}


def check(params, X, Y, grads, l2=0.0, **options):
    return gradients(lambda p: numpy_loss(p, X, Y, l2), params, grads, batch_size=N, **options)


# -- a correct backward passes, and the expected gradients are torch's ----------------------------

def test_correct_backward_passes_and_expected_is_torch_gradient(problem):
    params, X, Y = problem
    truth = torch_gradients(params, X, Y)
    grads = backward_from(params, **parts(params, X, Y))
    for name in params:  # the test's own backward is right, by torch
        np.testing.assert_allclose(grads[name], truth[name], rtol=1e-10, atol=1e-12)
    report = check(params, X, Y, grads)
    assert report.ok, str(report)
    assert "finite differences" in report.reference and "autograd" not in report.reference
    for name, result in report.parameters.items():
        assert result.ok and result.pattern is None and result.checked == params[name].size
        np.testing.assert_allclose(result.expected, truth[name], rtol=1e-6, atol=1e-9)
        assert result.max_abs_error < 1e-8
    assert list(report.parameters) == list(params)


def test_retrograd_loss_uses_autograd_confirmed_by_finite_differences(problem):
    params, X, Y = problem
    truth = torch_gradients(params, X, Y, LAMBDA)
    tensors = {name: rg.tensor(value) for name, value in params.items()}
    report = gradients(lambda p: library_loss(rg, p, rg.tensor(X), rg.tensor(Y), LAMBDA),
                       tensors, truth)
    assert report.ok, str(report)
    assert report.reference.startswith("autograd")
    assert not report.notes
    for name, result in report.parameters.items():
        np.testing.assert_allclose(result.expected, truth[name], rtol=1e-10, atol=1e-12)


def test_float32_inputs_and_lists_are_accepted_and_never_changed(problem):
    params, X, Y = problem
    params32 = [value.astype(np.float32) for value in params.values()]
    before = [value.copy() for value in params32]
    grads = backward_from(dict(zip(params, params32)), **parts(params, X, Y))
    report = gradients(lambda p: numpy_loss(dict(zip(params, p)), X, Y), params32,
                       [rg.tensor(grads[name]) for name in params])
    assert report.ok, str(report)
    assert list(report.parameters) == ["params[0]", "params[1]", "params[2]", "params[3]"]
    for value, original in zip(params32, before):
        assert value.dtype == np.float32 and np.array_equal(value, original)


def test_scratch_backward_passes(problem):
    params, X, Y = problem
    for config in (scratch.Config(), scratch.Config(activation="relu", l2=LAMBDA),
                   scratch.Config(activation="softplus", output="sigmoid", loss="mse")):
        _, outputs = scratch.forward(params, X, config)
        grads = scratch.backward(params, outputs, Y, config)
        report = gradients(lambda p: scratch.loss_accuracy(
            scratch.forward(p, X, config)[0], Y, config, p)[0], params, grads)
        assert report.ok, f"{config}\n{report}"


# -- each typical mistake is caught, with its hint --------------------------------------------

def sum_not_mean(params, X, H, dYtilde, derivative):
    return backward_from(params, X, H, dYtilde * N, derivative)


def mean_twice(params, X, H, dYtilde, derivative):
    return backward_from(params, X, H, dYtilde / N, derivative)


def wrong_sign(params, X, H, dYtilde, derivative):
    return backward_from(params, X, H, -dYtilde, derivative)


def missing_tanh_derivative(params, X, H, dYtilde, derivative):
    return backward_from(params, X, H, dYtilde, 1.0)


def transposed(params, X, H, dYtilde, derivative):
    return {**backward_from(params, X, H, dYtilde, derivative), "Wy": H.T @ dYtilde}


def zeros(params, X, H, dYtilde, derivative):
    return {**backward_from(params, X, H, dYtilde, derivative), "bh": np.zeros(NH)}


def bias_not_summed(params, X, H, dYtilde, derivative):
    return {**backward_from(params, X, H, dYtilde, derivative), "by": dYtilde}


def bias_keepdims(params, X, H, dYtilde, derivative):
    return {**backward_from(params, X, H, dYtilde, derivative),
            "by": dYtilde.sum(0, keepdims=True)}


def wrong_shape(params, X, H, dYtilde, derivative):
    return {**backward_from(params, X, H, dYtilde, derivative), "Wh": np.ones((2, 2))}


def nan(params, X, H, dYtilde, derivative):
    grads = backward_from(params, X, H, dYtilde, derivative)
    return {**grads, "Wy": grads["Wy"] * np.nan}


ALL = ("Wh", "bh", "Wy", "by")
# mistake: (the wrong backward, the parameters whose gradient it breaks, the pattern named)
MISTAKES = {
    "sum_not_mean": (sum_not_mean, ALL, "batch_factor"),
    "mean_twice": (mean_twice, ALL, "batch_factor"),
    "wrong_sign": (wrong_sign, ALL, "sign"),
    "missing_tanh_derivative": (missing_tanh_derivative, ("Wh", "bh"), "elementwise"),
    "transposed": (transposed, ("Wy",), "transposed"),
    "zeros": (zeros, ("bh",), "zeros"),
    "bias_not_summed": (bias_not_summed, ("by",), "unsummed"),
    "bias_keepdims": (bias_keepdims, ("by",), "reshaped"),
    "wrong_shape": (wrong_shape, ("Wh",), "shape"),
    "nan": (nan, ("Wy",), "nonfinite"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_caught_with_its_hint(problem, mistake):
    params, X, Y = problem
    wrong_backward, broken, pattern = MISTAKES[mistake]
    report = check(params, X, Y, wrong_backward(params, **parts(params, X, Y)))
    assert not report.ok
    for name, result in report.parameters.items():
        assert result.ok == (name not in broken), f"{name}\n{report}"
        if name in broken:
            assert result.pattern == pattern, f"{name}\n{report}"
            assert result.hint and result.hint in str(report)
            assert f"{name}: FAIL" in str(report)


def test_batch_factor_hint_names_the_batch_size(problem):
    params, X, Y = problem
    report = check(params, X, Y, sum_not_mean(params, **parts(params, X, Y)))
    assert f"yours = {N} x expected" in report.parameters["Wy"].hint
    # without batch_size the factor is still estimated, and its meaning suggested
    report = gradients(lambda p: numpy_loss(p, X, Y), params,
                       mean_twice(params, **parts(params, X, Y)))
    assert report.parameters["Wy"].pattern == "factor"
    assert f"1/{N} x expected" in report.parameters["Wy"].hint
    assert "batch size" in report.parameters["Wy"].hint


def test_worst_entries_are_the_largest_errors(problem):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))
    truth = torch_gradients(params, X, Y)
    wrong = grads["Wh"].copy()
    wrong[2, 1] += 0.5
    wrong[0, 3] -= 0.2
    result = check(params, X, Y, {**grads, "Wh": wrong}).parameters["Wh"]
    assert [index for index, _, _ in result.worst[:2]] == [(2, 1), (0, 3)]
    index, yours, expected = result.worst[0]
    assert yours == wrong[2, 1]
    np.testing.assert_allclose(expected, truth["Wh"][2, 1], rtol=1e-6)
    np.testing.assert_allclose(result.max_abs_error, 0.5, rtol=1e-6)
    assert result.pattern is None and "no pattern recognised" in result.hint


@pytest.mark.parametrize("share, words", [(0.0, "is missing"), (0.5, "derivative of lambda"),
                                          (2.0, "counted twice")])
def test_l2_term_missing_halved_or_doubled(problem, share, words):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))
    wrong = {name: grad + share * 2 * LAMBDA * params[name] for name, grad in grads.items()}
    report = gradients(lambda p: numpy_loss(p, X, Y, LAMBDA), params, wrong, l2=LAMBDA)
    for result in report.parameters.values():
        assert not result.ok and result.pattern == "l2" and words in result.hint, str(report)


def test_missing_l2_term_is_recognised_without_lambda(problem):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))  # no 2 lambda theta
    report = check(params, X, Y, grads, l2=LAMBDA)
    for result in report.parameters.values():
        assert result.pattern == "l2" and f"lambda = {LAMBDA:.4g}" in result.hint, str(report)


def test_missing_constant_term_and_missing_factor_two():
    """A loss with a term linear in W (its gradient a constant) and a squared error (whose
    derivative has a 2): forgetting either is recognised."""
    rng = np.random.default_rng(2)
    W, X, T = rng.standard_normal((3, 4)), rng.standard_normal((6, 4)), rng.standard_normal((6, 3))

    def loss(p):
        return ((X @ p["W"].T - T) ** 2).sum() + 0.3 * p["W"].sum()

    W_torch = torch.tensor(W, requires_grad=True)
    squared_error = ((torch.tensor(X) @ W_torch.T - torch.tensor(T)) ** 2).sum()
    (squared_error + 0.3 * W_torch.sum()).backward()
    true = W_torch.grad.numpy()
    assert gradients(loss, {"W": W}, {"W": true}).ok
    offset = gradients(loss, {"W": W}, {"W": true - 0.3}).parameters["W"]
    assert offset.pattern == "offset" and "0.3 in every entry" in offset.hint
    without_two = gradients(lambda p: ((X @ p["W"].T - T) ** 2).sum(), {"W": W},
                            {"W": (X @ W.T - T).T @ X})
    result = without_two.parameters["W"]
    assert result.pattern == "factor" and "1/2 x expected" in result.hint
    assert "derivative of a square" in result.hint


def test_square_matrix_transposed_and_swapped_gradients():
    rng = np.random.default_rng(3)
    A, B, X = (rng.standard_normal((4, 4)) for _ in range(3))

    def loss(p):
        return (np.tanh(X @ p["A"].T) * X).sum() + (p["B"] ** 3).sum() / 3

    A_torch, B_torch = (torch.tensor(v, requires_grad=True) for v in (A, B))
    ((torch.tanh(torch.tensor(X) @ A_torch.T) * torch.tensor(X)).sum()
     + (B_torch ** 3).sum() / 3).backward()
    dA, dB = A_torch.grad.numpy(), B_torch.grad.numpy()
    assert gradients(loss, {"A": A, "B": B}, {"A": dA, "B": dB}).ok
    transposed = gradients(loss, {"A": A, "B": B}, {"A": dA.T, "B": dB}).parameters["A"]
    assert transposed.pattern == "transposed" and "yours.T matches" in transposed.hint
    swapped = gradients(loss, {"A": A, "B": B}, {"A": dB, "B": dA}).parameters
    assert swapped["A"].pattern == swapped["B"].pattern == "swapped"
    assert "gradient of B" in swapped["A"].hint


def test_near_miss_is_blamed_on_precision_not_on_the_formula(problem):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))
    report = check(params, X, Y, {**grads, "Wy": grads["Wy"] * (1 + 3e-3)})
    assert report.parameters["Wy"].pattern == "precision" and not report.ok


def test_unused_parameter_expects_zero(problem):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))
    report = check({**params, "unused": np.ones(3)}, X, Y, {**grads, "unused": np.ones(3)})
    result = report.parameters["unused"]
    assert result.pattern == "expected_zero" and not result.ok
    np.testing.assert_array_equal(result.expected, np.zeros(3))


# -- large parameters, disagreeing references, errors ---------------------------------------------

def test_large_parameter_is_checked_on_a_random_subset():
    rng = np.random.default_rng(4)
    W, X = rng.standard_normal((30, 40)), rng.standard_normal((5, 40))
    true = (1 - np.tanh(X @ W.T) ** 2).T @ X  # d sum(tanh(X W^T)) / dW
    report = gradients(lambda p: np.tanh(X @ p["W"].T).sum(), {"W": W}, {"W": true},
                       max_entries=50)
    result = report.parameters["W"]
    assert report.ok and result.checked == 50 and np.isnan(result.expected).sum() == 1200 - 50
    assert "50 of 1200 entries" in report.reference
    wrong = gradients(lambda p: np.tanh(X @ p["W"].T).sum(), {"W": W}, {"W": -true},
                      max_entries=50)
    assert wrong.parameters["W"].pattern == "sign"
    # with autograd, every entry is compared
    tensors = {"W": rg.tensor(W)}
    full = gradients(lambda p: rg.tanh(rg.tensor(X) @ p["W"].T).sum(), tensors, {"W": true},
                     max_entries=50)
    assert full.ok and full.parameters["W"].checked == 1200


def test_autograd_that_disagrees_with_finite_differences_is_not_trusted():
    w = rg.tensor(np.array([0.5, -1.5, 2.0]))

    def loss(p):  # the detach hides the second term from autograd, not from the function
        return (p["w"] ** 2).sum() + (3 * p["w"].detach()).sum()

    report = gradients(loss, {"w": w}, {"w": 2 * w.array + 3})
    assert report.ok, str(report)
    assert any("disagree on w" in note for note in report.notes)
    assert "finite differences" in report.reference


def test_report_text_and_html(problem):
    params, X, Y = problem
    report = check(params, X, Y, transposed(params, **parts(params, X, Y)))
    text = str(report)
    assert text.startswith("Gradient check: 1 of 4 gradients wrong: Wy")
    for heading in ("parameter", "shape", "max abs error", "rel. error", "result"):
        assert heading in text
    assert "(3, 5), yours (5, 3)" in text and text.count("ok") >= 3
    html = report._repr_html_()
    assert html.count("<tr") == 6 and "yours.T matches" in html
    assert "ok=False" in repr(report)


def test_bad_arguments_get_clear_errors(problem):
    params, X, Y = problem
    grads = backward_from(params, **parts(params, X, Y))

    def loss(p):
        return numpy_loss(p, X, Y)

    with pytest.raises(ValueError, match=r"missing \['by'\]"):
        gradients(loss, params, {k: v for k, v in grads.items() if k != "by"})
    with pytest.raises(TypeError, match="returned a tuple of 2; return only the loss"):
        gradients(lambda p: (loss(p), 1.0), params, grads)
    with pytest.raises(TypeError, match="must return one number"):
        gradients(lambda p: p["bh"] * 2, params, grads)
    with pytest.raises(ValueError, match="finite loss"):
        gradients(lambda p: loss(p) * np.nan, params, grads)
    with pytest.raises(ValueError, match="eps"):
        gradients(loss, params, grads, eps=0)
    with pytest.raises(TypeError, match="dict \\(or list\\)"):
        gradients(loss, params["Wh"], grads)
    with pytest.raises(TypeError, match="grads\\['Wh'\\] must be an array"):
        gradients(loss, params, {**grads, "Wh": "not a gradient"})
