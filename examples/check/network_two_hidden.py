"""A network with two hidden layers (tanh), in NumPy, with a correct hand-written backward:
`retrograd check` takes the parameters from init_params's dict, so any depth is checked (and
its known mistakes recognised layer by layer). Both hidden layers have nh units.

    retrograd check examples/check/network_two_hidden.py     # exit status 0
"""
import numpy as np


def init_params(nx, nh, ny):
    """W1 is nh x nx, W2 nh x nh, W3 ny x nh; the biases are drawn too."""
    return {"W1": 0.3 * np.random.randn(nh, nx), "b1": 0.3 * np.random.randn(nh),
            "W2": 0.3 * np.random.randn(nh, nh), "b2": 0.3 * np.random.randn(nh),
            "W3": 0.3 * np.random.randn(ny, nh), "b3": 0.3 * np.random.randn(ny)}


def forward(params, X):
    H1 = np.tanh(X @ params["W1"].T + params["b1"])
    H2 = np.tanh(H1 @ params["W2"].T + params["b2"])
    scores = H2 @ params["W3"].T + params["b3"]
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    Yhat = exps / exps.sum(axis=1, keepdims=True)
    return Yhat, {"X": X, "H1": H1, "H2": H2, "Yhat": Yhat}


def loss_accuracy(Yhat, Y):
    L = -np.mean(np.sum(Y * np.log(Yhat), axis=1))
    acc = np.mean(Yhat.argmax(axis=1) == Y.argmax(axis=1))
    return L, acc


def backward(params, outputs, Y):
    dZ3 = (outputs["Yhat"] - Y) / len(Y)
    dZ2 = (dZ3 @ params["W3"]) * (1 - outputs["H2"] ** 2)
    dZ1 = (dZ2 @ params["W2"]) * (1 - outputs["H1"] ** 2)
    return {"W3": dZ3.T @ outputs["H2"], "b3": dZ3.sum(axis=0),
            "W2": dZ2.T @ outputs["H1"], "b2": dZ2.sum(axis=0),
            "W1": dZ1.T @ outputs["X"], "b1": dZ1.sum(axis=0)}
