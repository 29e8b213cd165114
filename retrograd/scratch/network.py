"""The practical work's network, written out by hand in plain NumPy: no autograd, every gradient
a formula you can read.

A batch is a matrix with one example per row: X is N x n_x, Y (one-hot targets) is N x n_y.
With W_h of shape n_h x n_x and W_y of shape n_y x n_h, the network computes

    H~ = X W_h^T + b_h          (N, n_h)   pre-activation of the hidden layer
    H  = f(H~)                  (N, n_h)   f: tanh (default), sigmoid, relu or softplus
    Y~ = H W_y^T + b_y          (N, n_y)   scores
    Y^ = g(Y~)                  (N, n_y)   g: softmax_rows (default), sigmoid or identity

(adding the bias row vector to every row is the lectures' ``repmat_N(b^T)``) and the loss

    cross_entropy, softmax output:  L = -mean_rows(sum_cols(Y (.) log Y^))
    cross_entropy, sigmoid output:  L = -mean_rows(sum_cols(Y (.) log Y^ + (1-Y) (.) log(1-Y^)))
    mse (any output):               L = mean_rows(sum_cols((Y^ - Y)^2))
    plus, when l2 = lambda > 0:     lambda ||theta||^2 = lambda sum over W_h, b_h, W_y, b_y of
                                    the sum of their squared entries (every parameter, biases
                                    included, as in the homework's R(theta) + lambda ||theta||^2)

Backpropagation goes through the same steps in reverse, ``dZ`` meaning dL/dZ:

    dY~ = (Y^ - Y) / N                              cross-entropy (softmax or sigmoid output)
    dY~ = dY^ (.) g'(Y~), dY^ = 2 (Y^ - Y) / N      mse; for softmax, row by row
                                                    dY~ = Y^ (.) (dY^ - sum_cols(dY^ (.) Y^))
    dW_y = dY~^T H,        db_y = sum_rows(dY~)
    dH~  = (dY~ W_y) (.) f'(H~)                     tanh: 1 - H^2, sigmoid: H (1 - H),
                                                    relu: [H~ > 0], softplus: sigmoid(H~)
    dW_h = dH~^T X,        db_h = sum_rows(dH~)
    plus 2 lambda theta for each parameter theta when l2 = lambda > 0.

The whole practical work::

    from retrograd import scratch
    X, y = rg.datasets.circles(1000, seed=0)
    Y = scratch.one_hot(y, 2)
    params = scratch.init_params(nx=2, nh=10, ny=2, seed=0)
    history = scratch.train(params, X, Y, eta=0.1, epochs=50, batch_size=10)
    Yhat, outputs = scratch.forward(params, X)
    L, acc = scratch.loss_accuracy(Yhat, Y)

The variants (other activations, outputs and losses, L2) are chosen with a ``Config`` passed to
``forward``, ``loss_accuracy``, ``backward`` and ``train`` alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..random import default_generator

Params = dict[str, np.ndarray]
PARAM_NAMES = ("Wh", "bh", "Wy", "by")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-x)``, computed as ``e^(-softplus(-x))`` so that no x overflows."""
    return np.exp(-softplus(-x))


def softplus(x: np.ndarray) -> np.ndarray:
    """``ln(1 + e^x)``, computed as ``logaddexp(0, x)`` so that no x overflows."""
    return np.logaddexp(0, x)


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """``e^x / sum_cols(e^x)`` row by row. Subtracting each row's maximum first changes nothing
    (softmax is invariant to adding a constant) but keeps e^x from overflowing."""
    exps = np.exp(x - x.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


# Each hidden activation f: (f, f') with f' written from H~ and H = f(H~), whichever is simpler.
HIDDEN_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "tanh": (np.tanh, lambda Htilde, H: 1 - H ** 2),
    "sigmoid": (sigmoid, lambda Htilde, H: H * (1 - H)),
    "relu": (lambda x: np.maximum(x, 0), lambda Htilde, H: (Htilde > 0).astype(H.dtype)),
    "softplus": (softplus, lambda Htilde, H: sigmoid(Htilde)),
}
OUTPUTS: dict[str, Callable] = {"softmax": softmax_rows, "sigmoid": sigmoid,
                                "identity": lambda x: x}
LOSSES = ("cross_entropy", "mse")


@dataclass(frozen=True)
class Config:
    """Which variant of the network: hidden activation, output, loss and L2 strength.

    - ``activation``: ``'tanh'`` (the practical work), ``'sigmoid'``, ``'relu'`` or
      ``'softplus'`` (the homework);
    - ``output``: ``'softmax'`` (exclusive classes), ``'sigmoid'`` (independent outputs in
      (0, 1)) or ``'identity'`` (raw scores, for regression);
    - ``loss``: ``'cross_entropy'`` (categorical under softmax, binary per output under
      sigmoid; it needs a probability, so not under identity) or ``'mse'``, the squared error
      summed over the outputs and averaged over the examples (under softmax or sigmoid its
      gradient vanishes where the output saturates, which is why cross-entropy learns faster);
    - ``l2``: lambda in the penalty ``lambda ||theta||^2`` over every parameter (0: none).

    >>> config = Config(activation="softplus", l2=1e-3)   # the homework's network
    >>> Yhat, outputs = forward(params, X, config)
    """

    activation: str = "tanh"
    output: str = "softmax"
    loss: str = "cross_entropy"
    l2: float = 0.0

    def __post_init__(self) -> None:
        for field, choices in (("activation", HIDDEN_ACTIVATIONS), ("output", OUTPUTS),
                               ("loss", LOSSES)):
            if getattr(self, field) not in choices:
                raise ValueError(f"Config: {field} must be one of {', '.join(map(repr, choices))}"
                                 f", got {getattr(self, field)!r}")
        if self.loss == "cross_entropy" and self.output == "identity":
            raise ValueError("Config: cross-entropy needs probabilities, so a 'softmax' or "
                             "'sigmoid' output; use loss='mse' with output='identity'")
        if not self.l2 >= 0:
            raise ValueError(f"Config: l2 is the weight lambda of lambda ||theta||^2 and must be "
                             f">= 0, got {self.l2}")


DEFAULT = Config()


def init_params(nx: int, nh: int, ny: int, std: float = 0.3, seed: int | None = None,
                dtype=np.float32) -> Params:
    """The parameters of a network with ``nx`` inputs, ``nh`` hidden units and ``ny`` outputs,
    every entry drawn from N(0, std^2) (the practical work: std = 0.3).

    The biases are drawn too, not set to zero: on data centred on the origin (the circles),
    zero biases would make every hidden unit an odd function of x at the start.

    Returns ``{'Wh': (nh, nx), 'bh': (nh,), 'Wy': (ny, nh), 'by': (ny,)}``. The draws come from
    ``seed`` when given, else from retrograd's global generator (``rg.manual_seed``).

    >>> params = init_params(2, 10, 2, seed=0)
    >>> params["Wh"].shape
    (10, 2)
    """
    for name, size in (("nx", nx), ("nh", nh), ("ny", ny)):
        if not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"init_params: {name} is a number of units and must be a positive "
                             f"int, got {size!r}")
    if not std >= 0:
        raise ValueError(f"init_params: std is a standard deviation and cannot be negative, "
                         f"got {std}")
    rng = np.random.default_rng(seed) if seed is not None else default_generator.numpy
    shapes = {"Wh": (nh, nx), "bh": (nh,), "Wy": (ny, nh), "by": (ny,)}
    return {name: (std * rng.standard_normal(shape)).astype(dtype)
            for name, shape in shapes.items()}


def forward(params: Params, X: np.ndarray,
            config: Config = DEFAULT) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The forward pass on a batch X of shape (N, n_x), one example per row.

    Returns ``Yhat`` (N, n_y) and ``outputs``, the intermediate steps that ``backward`` needs:
    ``{'X': X, 'Htilde': H~, 'H': H, 'Ytilde': Y~, 'Yhat': Y^}`` with

        H~ = X W_h^T + b_h,   H = f(H~),   Y~ = H W_y^T + b_y,   Y^ = g(Y~)

    (f and g: ``config.activation`` and ``config.output``; tanh and softmax_rows by default).
    """
    nx, _, _ = _check_params(params)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != nx:
        raise ValueError(f"forward: X must be a matrix of shape (N, {nx}), one example per row "
                         f"with the {nx} inputs of W_h (n_h x n_x), got shape {X.shape}")
    activation, _ = HIDDEN_ACTIVATIONS[config.activation]
    Htilde = X @ params["Wh"].T + params["bh"]  # the bias row is added to every row
    H = activation(Htilde)
    Ytilde = H @ params["Wy"].T + params["by"]
    Yhat = OUTPUTS[config.output](Ytilde)
    return Yhat, {"X": X, "Htilde": Htilde, "H": H, "Ytilde": Ytilde, "Yhat": Yhat}


def loss_accuracy(Yhat: np.ndarray, Y: np.ndarray, config: Config = DEFAULT,
                  params: Params | None = None) -> tuple[float, float]:
    """The loss L of predictions ``Yhat`` (N, n_y) against one-hot targets ``Y`` (N, n_y), and
    the accuracy: the rate of rows whose largest prediction is at the target's class.

    Default: the mean cross-entropy ``L = -mean_rows(sum_cols(Y (.) log Y^))``. See ``Config``
    for the other losses; with ``config.l2 = lambda > 0``, L also holds ``lambda ||theta||^2``,
    for which ``params`` must be given.

    >>> L, acc = loss_accuracy(Yhat, Y)
    """
    Yhat, Y = np.asarray(Yhat), np.asarray(Y)
    _check_targets(Y, Yhat.shape, "loss_accuracy")
    if config.loss == "mse":
        per_example = ((Yhat - Y) ** 2).sum(axis=1)
    else:
        # log(0) would be -inf, and 0 * -inf = nan where Y is 0: clip at the smallest float
        tiny = np.finfo(np.result_type(Yhat, np.float32)).tiny
        log_likelihood = Y * np.log(np.maximum(Yhat, tiny))
        if config.output == "sigmoid":  # one binary cross-entropy per output
            log_likelihood += (1 - Y) * np.log(np.maximum(1 - Yhat, tiny))
        per_example = -log_likelihood.sum(axis=1)
    loss = per_example.mean()
    if config.l2 > 0:
        if params is None:
            raise ValueError("loss_accuracy: config.l2 > 0 adds lambda ||theta||^2 to the loss, "
                             "so pass params=")
        loss += config.l2 * sum((params[name] ** 2).sum() for name in PARAM_NAMES)
    accuracy = (Yhat.argmax(axis=1) == Y.argmax(axis=1)).mean()
    return float(loss), float(accuracy)


def backward(params: Params, outputs: dict[str, np.ndarray], Y: np.ndarray,
             config: Config = DEFAULT) -> Params:
    """The exact gradient of the loss that ``loss_accuracy`` returns (the mean's 1/N
    included), by backpropagation through the steps that ``forward`` saved in ``outputs``.

    Returns ``{'Wh', 'bh', 'Wy', 'by'}``, each of its parameter's shape. Default network:

        dY~ = (Y^ - Y) / N
        dW_y = dY~^T H,   db_y = sum_rows(dY~)
        dH~ = (dY~ W_y) (.) (1 - H^2)
        dW_h = dH~^T X,   db_h = sum_rows(dH~)

    (the other variants: see the module's docstring). ``config`` must be the one ``forward``
    ran with.
    """
    _check_params(params)
    missing = [key for key in ("X", "Htilde", "H", "Yhat") if key not in outputs]
    if missing:
        raise ValueError(f"backward: outputs lacks {missing}; pass the dict that forward "
                         f"returned")
    X, Htilde, H, Yhat = outputs["X"], outputs["Htilde"], outputs["H"], outputs["Yhat"]
    Y = np.asarray(Y)
    _check_targets(Y, Yhat.shape, "backward")
    dYtilde = _output_gradient(Yhat, Y, config)
    _, activation_derivative = HIDDEN_ACTIVATIONS[config.activation]
    dHtilde = (dYtilde @ params["Wy"]) * activation_derivative(Htilde, H)
    grads = {"Wh": dHtilde.T @ X, "bh": dHtilde.sum(axis=0),
             "Wy": dYtilde.T @ H, "by": dYtilde.sum(axis=0)}
    if config.l2 > 0:  # d(lambda ||theta||^2)/d theta = 2 lambda theta
        grads = {name: grad + 2 * config.l2 * params[name] for name, grad in grads.items()}
    return grads


def _output_gradient(Yhat: np.ndarray, Y: np.ndarray, config: Config) -> np.ndarray:
    """dL/dY~, the gradient of the data term of the loss with respect to the scores."""
    N = len(Y)
    if config.loss == "cross_entropy":
        # softmax + cross-entropy and sigmoid + binary cross-entropy simplify alike
        return (Yhat - Y) / N
    dYhat = 2 * (Yhat - Y) / N
    if config.output == "softmax":
        # the Jacobian diag(S) - S S^T of each row, applied without building it
        return Yhat * (dYhat - (dYhat * Yhat).sum(axis=1, keepdims=True))
    if config.output == "sigmoid":
        return dYhat * Yhat * (1 - Yhat)
    return dYhat


def sgd(params: Params, grads: Params, eta: float) -> Params:
    """One step of gradient descent, ``theta <- theta - eta dL/dtheta`` for each parameter, in
    place (the arrays of ``params`` are updated, not replaced). Returns ``params``."""
    if set(grads) != set(params):
        raise ValueError(f"sgd: grads must have the keys of params {sorted(params)}, got "
                         f"{sorted(grads)}")
    for name, grad in grads.items():
        if np.shape(grad) != params[name].shape:
            raise ValueError(f"sgd: the gradient of {name} has shape {np.shape(grad)}, its "
                             f"parameter {params[name].shape}")
        params[name] -= eta * grad
    return params


def train(params: Params, X: np.ndarray, Y: np.ndarray, eta: float, epochs: int,
          batch_size: int = 32, mode: str = "minibatch", seed: int | None = None,
          X_val: np.ndarray | None = None, Y_val: np.ndarray | None = None,
          config: Config = DEFAULT, verbose: bool = False) -> dict[str, list[float]]:
    """The learning algorithm: ``epochs`` passes over (X, Y), each visiting the examples in a
    new random order, with one ``forward``, ``backward`` and ``sgd`` step per batch.

    ``mode``: ``'minibatch'`` (batches of ``batch_size`` rows), ``'full'`` (the whole set, one
    step per epoch) or ``'online'`` (one example at a time). The order comes from ``seed`` when
    given, else from retrograd's global generator. ``params`` are updated in place.

    Returns the history, one value per epoch measured after it on the whole set:
    ``{'train_loss': [...], 'train_acc': [...]}``, plus ``'val_loss'`` and ``'val_acc'`` when
    ``X_val`` and ``Y_val`` are given. ``verbose`` prints them as it goes.

    >>> history = train(params, X, one_hot(y, 2), eta=0.1, epochs=50, batch_size=10)
    """
    X, Y = np.asarray(X), np.asarray(Y)
    _check_targets(Y, (len(X), params["by"].shape[0]), "train")
    sizes = {"minibatch": batch_size, "full": len(X), "online": 1}
    if mode not in sizes:
        raise ValueError(f"train: mode must be 'minibatch', 'full' or 'online', got {mode!r}")
    if mode == "minibatch" and not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"train: batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"train: epochs must be an int >= 0, got {epochs!r}")
    if (X_val is None) != (Y_val is None):
        raise ValueError("train: give both X_val and Y_val, or neither")
    batch_size = sizes[mode]
    rng = np.random.default_rng(seed) if seed is not None else default_generator.numpy
    sets = {"train": (X, Y)} if X_val is None or Y_val is None else \
        {"train": (X, Y), "val": (X_val, Y_val)}
    history: dict[str, list[float]] = {f"{name}_{metric}": [] for name in sets
                                       for metric in ("loss", "acc")}
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            _, outputs = forward(params, X[rows], config)
            sgd(params, backward(params, outputs, Y[rows], config), eta)
        for name, (inputs, targets) in sets.items():
            loss, accuracy = loss_accuracy(forward(params, inputs, config)[0], targets, config,
                                           params)
            history[f"{name}_loss"].append(loss)
            history[f"{name}_acc"].append(accuracy)
        if verbose:
            print(f"epoch {epoch:{len(str(epochs))}d}  " + "  ".join(
                f"{key} {values[-1]:.1%}" if key.endswith("acc") else f"{key} {values[-1]:.4f}"
                for key, values in history.items()))
    return history


def one_hot(y: np.ndarray, ny: int) -> np.ndarray:
    """The one-hot matrix of class labels ``y`` (N,) in 0..ny-1: float32 (N, ny) with a 1 at
    ``[i, y[i]]`` and 0 elsewhere.

    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"one_hot: y must be a 1-D array of int class labels, got "
                         f"{y.dtype} of shape {y.shape}")
    if len(y) and not (0 <= y.min() and y.max() < ny):
        raise ValueError(f"one_hot: labels must lie in 0..{ny - 1} for ny={ny}, got labels from "
                         f"{y.min()} to {y.max()}")
    return (y[:, None] == np.arange(ny)).astype(np.float32)


def _check_params(params: Params) -> tuple[int, int, int]:
    """Checks the names and shapes of ``params``; returns (n_x, n_h, n_y)."""
    if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
        found = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with the keys {list(PARAM_NAMES)} (as "
                         f"init_params returns), got {found}")
    if np.ndim(params["Wh"]) != 2 or np.ndim(params["Wy"]) != 2:
        raise ValueError(f"params: Wh and Wy must be matrices, got shapes "
                         f"{np.shape(params['Wh'])} and {np.shape(params['Wy'])}")
    nh, nx = params["Wh"].shape
    ny = params["Wy"].shape[0]
    expected = {"Wh": (nh, nx), "bh": (nh,), "Wy": (ny, nh), "by": (ny,)}
    wrong = [f"{name} {np.shape(params[name])} (expected {shape})"
             for name, shape in expected.items() if np.shape(params[name]) != shape]
    if wrong:
        raise ValueError(f"params: inconsistent shapes {', '.join(wrong)}; Wh is n_h x n_x and "
                         f"Wy is n_y x n_h")
    return nx, nh, ny


def _check_targets(Y: np.ndarray, expected: tuple[int, int], where: str) -> None:
    """Checks that the one-hot targets ``Y`` have shape ``expected``, (N, n_y)."""
    if Y.shape != tuple(expected):
        hint = " (labels? use one_hot(y, n_y))" if Y.ndim == 1 else ""
        raise ValueError(f"{where}: Y must be one-hot targets of shape {tuple(expected)}, one row "
                         f"per example, got shape {Y.shape}{hint}")
