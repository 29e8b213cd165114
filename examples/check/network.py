"""The practical work's network with a correct hand-written backward, in NumPy.

    retrograd check examples/check/network.py        # exit status 0: every gradient matches

A batch is a matrix with one example per row: X is N x nx, Y (one-hot) is N x ny.
"""
import numpy as np


def init_params(nx, nh, ny):
    """Weights and biases drawn from N(0, 0.3^2); Wh is nh x nx, Wy is ny x nh."""
    return {"Wh": 0.3 * np.random.randn(nh, nx), "bh": 0.3 * np.random.randn(nh),
            "Wy": 0.3 * np.random.randn(ny, nh), "by": 0.3 * np.random.randn(ny)}


def forward(params, X):
    Htilde = X @ params["Wh"].T + params["bh"]
    H = np.tanh(Htilde)
    Ytilde = H @ params["Wy"].T + params["by"]
    exps = np.exp(Ytilde - Ytilde.max(axis=1, keepdims=True))
    Yhat = exps / exps.sum(axis=1, keepdims=True)  # softmax of each row
    return Yhat, {"X": X, "Htilde": Htilde, "H": H, "Ytilde": Ytilde, "Yhat": Yhat}


def loss_accuracy(Yhat, Y):
    L = -np.mean(np.sum(Y * np.log(Yhat), axis=1))
    acc = np.mean(Yhat.argmax(axis=1) == Y.argmax(axis=1))
    return L, acc


def backward(params, outputs, Y):
    N = len(Y)
    dYtilde = (outputs["Yhat"] - Y) / N  # the 1/N of the mean
    dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
    return {"Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
