"""rg.scratch: the hand-written network against finite differences, retrograd's autograd and
PyTorch, for every variant; training on the circles; shapes; errors."""
import itertools

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import scratch
from retrograd.scratch import Config

ACTIVATIONS = ("tanh", "sigmoid", "relu", "softplus")
OUTPUT_LOSSES = (("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("softmax", "mse"),
                 ("sigmoid", "mse"), ("identity", "mse"))
VARIANTS = [Config(activation, output, loss, l2) for activation, (output, loss), l2
            in itertools.product(ACTIVATIONS, OUTPUT_LOSSES, (0.0, 0.01))]
LIBRARIES = {"retrograd": (rg, rg.nn.functional), "torch": (torch, torch.nn.functional)}


def variant_id(config: Config) -> str:
    return f"{config.activation}-{config.output}-{config.loss}-l2={config.l2}"


def small_problem(N=7, nx=3, nh=5, ny=4, seed=0):
    """float64 parameters, inputs and one-hot targets, all from one seed."""
    rng = np.random.default_rng(seed)
    params = scratch.init_params(nx, nh, ny, std=0.5, seed=seed, dtype=np.float64)
    X = rng.standard_normal((N, nx))
    Y = scratch.one_hot(rng.integers(0, ny, N), ny).astype(np.float64)
    return params, X, Y


def loss_of(params, X, Y, config):
    return scratch.loss_accuracy(scratch.forward(params, X, config)[0], Y, config, params)[0]


def reference_loss(library: str, params, X, Y, config):
    """The same loss, written with the tensors and operations of retrograd or torch."""
    lib, F = LIBRARIES[library]
    activation = {"tanh": lib.tanh, "sigmoid": lib.sigmoid, "relu": lib.relu,
                  "softplus": F.softplus}[config.activation]
    output = {"softmax": lambda z: lib.softmax(z, dim=1), "sigmoid": lib.sigmoid,
              "identity": lambda z: z}[config.output]
    Yhat = output(activation(X @ params["Wh"].T + params["bh"]) @ params["Wy"].T + params["by"])
    if config.loss == "mse":
        per_example = ((Yhat - Y) ** 2).sum(1)
    elif config.output == "softmax":
        per_example = -(Y * lib.log(Yhat)).sum(1)
    else:
        per_example = -(Y * lib.log(Yhat) + (1 - Y) * lib.log(1 - Yhat)).sum(1)
    return per_example.mean() + config.l2 * sum((p ** 2).sum() for p in params.values())


@pytest.mark.parametrize("config", VARIANTS, ids=variant_id)
def test_backward_equals_centred_finite_differences(config):
    params, X, Y = small_problem()
    _, outputs = scratch.forward(params, X, config)
    grads = scratch.backward(params, outputs, Y, config)
    eps = 1e-6
    for name, param in params.items():
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            plus = loss_of(params, X, Y, config)
            param[index] = saved - eps
            minus = loss_of(params, X, Y, config)
            param[index] = saved
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("config", VARIANTS, ids=variant_id)
def test_loss_and_backward_equal_autograd(config, library):
    params, X, Y = small_problem()
    Yhat, outputs = scratch.forward(params, X, config)
    loss, _ = scratch.loss_accuracy(Yhat, Y, config, params)
    grads = scratch.backward(params, outputs, Y, config)

    make = rg.tensor if library == "retrograd" else torch.tensor
    leaves = {name: make(value, requires_grad=True) for name, value in params.items()}
    expected = reference_loss(library, leaves, make(X), make(Y), config)
    expected.backward()
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-12)
    for name, leaf in leaves.items():
        np.testing.assert_allclose(grads[name], leaf.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_forward_outputs_and_gradient_shapes_in_float32():
    params = scratch.init_params(3, 5, 4, seed=0)
    X = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    Y = scratch.one_hot(np.array([0, 1, 2, 3, 0, 1]), 4)
    Yhat, outputs = scratch.forward(params, X)
    assert list(outputs) == ["X", "Htilde", "H", "Ytilde", "Yhat"]
    expected = {"X": (6, 3), "Htilde": (6, 5), "H": (6, 5), "Ytilde": (6, 4), "Yhat": (6, 4)}
    assert {key: value.shape for key, value in outputs.items()} == expected
    assert outputs["Yhat"] is Yhat
    np.testing.assert_allclose(Yhat.sum(axis=1), 1, rtol=1e-6)
    grads = scratch.backward(params, outputs, Y)
    assert list(grads) == ["Wh", "bh", "Wy", "by"]
    for name, grad in grads.items():
        assert grad.shape == params[name].shape and grad.dtype == np.float32, name
    assert Yhat.dtype == np.float32


def test_init_params_shapes_distribution_and_seeding():
    params = scratch.init_params(200, 300, 10, seed=1)
    assert {name: (p.shape, p.dtype) for name, p in params.items()} == {
        "Wh": ((300, 200), np.float32), "bh": ((300,), np.float32),
        "Wy": ((10, 300), np.float32), "by": ((10,), np.float32)}
    assert abs(params["Wh"].mean()) < 0.005 and abs(params["Wh"].std() - 0.3) < 0.005
    assert abs(scratch.init_params(2, 2, 2, std=2.0, seed=1)["Wh"].std()) > 0.5
    again = scratch.init_params(200, 300, 10, seed=1)
    assert all(np.array_equal(params[name], again[name]) for name in params)
    # without seed=, the draws follow rg.manual_seed
    rg.manual_seed(5)
    first = scratch.init_params(2, 3, 2)
    rg.manual_seed(5)
    assert np.array_equal(first["Wh"], scratch.init_params(2, 3, 2)["Wh"])


def test_loss_accuracy_equals_torch_cross_entropy():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((50, 3)) * 3, rng.integers(0, 3, 50)
    loss, accuracy = scratch.loss_accuracy(scratch.softmax_rows(logits), scratch.one_hot(labels, 3))
    torch_logits, torch_labels = torch.tensor(logits), torch.tensor(labels)
    expected = torch.nn.functional.cross_entropy(torch_logits, torch_labels).item()
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert accuracy == (torch_logits.argmax(1) == torch_labels).double().mean().item()


def test_helpers_equal_torch():
    x = np.array([[-1000.0, -3.0, 0.0, 2.5, 40.0, 1000.0]])
    t = torch.tensor(x)
    np.testing.assert_allclose(scratch.sigmoid(x), torch.sigmoid(t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(scratch.softplus(x), torch.nn.functional.softplus(t).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(scratch.softmax_rows(x), torch.softmax(t, 1).numpy(), rtol=1e-12)
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(
        scratch.one_hot(labels, 4), torch.nn.functional.one_hot(torch.tensor(labels), 4).numpy())
    assert scratch.one_hot(labels, 4).dtype == np.float32


def test_sgd_updates_in_place_and_returns_params():
    params, X, Y = small_problem()
    arrays = dict(params)
    before = {name: value.copy() for name, value in params.items()}
    grads = scratch.backward(params, scratch.forward(params, X)[1], Y)
    assert scratch.sgd(params, grads, eta=0.5) is params
    for name in params:
        assert params[name] is arrays[name]
        np.testing.assert_allclose(params[name], before[name] - 0.5 * grads[name], rtol=1e-15)


def test_full_batch_training_follows_torch_gradient_descent():
    """Full-batch gradient descent: the same trajectory as torch autograd and manual updates."""
    params, X, Y = small_problem(N=20)
    config = Config(activation="softplus", l2=0.01)
    leaves = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    history = scratch.train(params, X, Y, eta=0.3, epochs=5, mode="full", config=config)
    for _ in range(5):
        loss = reference_loss("torch", leaves, torch.tensor(X), torch.tensor(Y), config)
        grads = torch.autograd.grad(loss, list(leaves.values()))
        with torch.no_grad():
            for leaf, grad in zip(leaves.values(), grads):
                leaf -= 0.3 * grad
    for name, leaf in leaves.items():
        np.testing.assert_allclose(params[name], leaf.detach().numpy(), rtol=1e-10, err_msg=name)
    final = reference_loss("torch", leaves, torch.tensor(X), torch.tensor(Y), config).item()
    np.testing.assert_allclose(history["train_loss"][-1], final, rtol=1e-10)


@pytest.fixture(scope="module")
def circles():
    X, y = rg.datasets.circles(400, noise=0.1, seed=0)
    X_val, y_val = rg.datasets.circles(200, noise=0.1, seed=1)
    return X, scratch.one_hot(y, 2), X_val, scratch.one_hot(y_val, 2)


@pytest.mark.parametrize("config, eta", [
    (Config("tanh"), 0.3), (Config("sigmoid"), 1.0), (Config("relu"), 0.3),
    (Config("softplus"), 0.3), (Config(output="sigmoid"), 0.3),
    (Config(loss="mse"), 0.3), (Config(output="sigmoid", loss="mse"), 1.0),
    (Config(output="identity", loss="mse"), 0.3), (Config("softplus", l2=1e-3), 0.3),
], ids=lambda value: variant_id(value) if isinstance(value, Config) else f"eta={value}")
def test_every_variant_learns_the_circles(circles, config, eta):
    X, Y, X_val, Y_val = circles
    params = scratch.init_params(2, 16, 2, seed=0)
    history = scratch.train(params, X, Y, eta=eta, epochs=50, batch_size=10, seed=0,
                            X_val=X_val, Y_val=Y_val, config=config)
    assert list(history) == ["train_loss", "train_acc", "val_loss", "val_acc"]
    assert all(len(values) == 50 for values in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["train_acc"][-1] >= 0.95 and history["val_acc"][-1] >= 0.95


@pytest.mark.parametrize("mode, eta, epochs", [("full", 1.0, 300), ("minibatch", 0.3, 30),
                                               ("online", 0.05, 10)])
def test_full_minibatch_and_online_modes_learn(circles, mode, eta, epochs):
    X, Y, _, _ = circles
    params = scratch.init_params(2, 16, 2, seed=0)
    history = scratch.train(params, X, Y, eta=eta, epochs=epochs, mode=mode, seed=0)
    assert list(history) == ["train_loss", "train_acc"]
    assert history["train_acc"][-1] >= 0.95
    assert scratch.loss_accuracy(scratch.forward(params, X)[0], Y)[0] == history["train_loss"][-1]


def test_train_is_reproducible_with_a_seed_and_prints_when_verbose(circles, capsys):
    X, Y, _, _ = circles
    runs = [scratch.train(scratch.init_params(2, 4, 2, seed=0), X, Y, eta=0.1, epochs=2, seed=3,
                          verbose=True) for _ in range(2)]
    assert runs[0] == runs[1]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("epoch 1") and "train_acc" in lines[0]


def test_errors_say_what_is_wrong():
    params, X, Y = small_problem()  # 3 inputs, 4 outputs
    with pytest.raises(ValueError, match=r"X must be a matrix of shape \(N, 3\).*got shape "
                                         r"\(7, 2\)"):
        scratch.forward(params, X[:, :2])
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        scratch.forward(params, X[0])
    with pytest.raises(ValueError, match=r"Y must be one-hot targets of shape \(7, 4\).*one_hot"):
        scratch.loss_accuracy(scratch.forward(params, X)[0], Y.argmax(1))
    with pytest.raises(ValueError, match=r"Y must be one-hot targets of shape \(7, 4\)"):
        scratch.backward(params, scratch.forward(params, X)[1], Y[:, :3])
    with pytest.raises(ValueError, match="outputs lacks"):
        scratch.backward(params, {"Yhat": Y}, Y)
    with pytest.raises(ValueError, match=r"inconsistent shapes Wy \(4, 6\)"):
        scratch.forward({**params, "Wy": np.zeros((4, 6))}, X)
    with pytest.raises(ValueError, match="keys"):
        scratch.forward({"W": params["Wh"]}, X)
    with pytest.raises(ValueError, match="pass params="):
        scratch.loss_accuracy(Y, Y, Config(l2=0.1))
    with pytest.raises(ValueError, match="activation must be one of"):
        Config(activation="gelu")
    with pytest.raises(ValueError, match="use loss='mse' with output='identity'"):
        Config(output="identity")
    with pytest.raises(ValueError, match="l2"):
        Config(l2=-1.0)
    with pytest.raises(ValueError, match="grads must have the keys"):
        scratch.sgd(params, {"Wh": params["Wh"]}, 0.1)
    with pytest.raises(ValueError, match="gradient of bh has shape"):
        scratch.sgd(params, {**params, "bh": np.zeros(2)}, 0.1)
    with pytest.raises(ValueError, match="mode must be"):
        scratch.train(params, X, Y, eta=0.1, epochs=1, mode="batch")
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        scratch.train(params, X, Y, eta=0.1, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="epochs"):
        scratch.train(params, X, Y, eta=0.1, epochs=-1)
    with pytest.raises(ValueError, match="both X_val and Y_val"):
        scratch.train(params, X, Y, eta=0.1, epochs=1, X_val=X)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        scratch.one_hot(np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="int class labels"):
        scratch.one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="nh is a number of units"):
        scratch.init_params(2, 0, 2)
