"""The starter file that ``retrograd check --template FILE.py`` writes: the practical work's
network in NumPy, with a ``TODO(...)`` wherever the student writes the formula."""

TEMPLATE = '''\
"""My network for the practical work: one hidden layer (tanh), a softmax output and the mean
cross-entropy, with backpropagation written by hand.

Replace every call of TODO by your code, then check the gradients of your backward with

    retrograd check THIS_FILE.py

A batch is a matrix with one example per row: X is N x nx, Y (one-hot) is N x ny.
"""
import numpy as np


def TODO(what):
    """Marks what is left to write (retrograd check reports it): replace the call by code."""
    raise NotImplementedError(f"TODO: {what}")


def init_params(nx, nh, ny):
    """Weights and biases drawn from N(0, 0.3^2); Wh is nh x nx, Wy is ny x nh."""
    return {"Wh": 0.3 * np.random.randn(nh, nx), "bh": 0.3 * np.random.randn(nh),
            "Wy": 0.3 * np.random.randn(ny, nh), "by": 0.3 * np.random.randn(ny)}


def forward(params, X):
    """Returns (Yhat, outputs): the predictions, N x ny, and what backward needs."""
    Htilde = TODO("the hidden pre-activation, N x nh: X Wh^T + bh")
    H = TODO("the hidden layer, N x nh: tanh of Htilde")
    Ytilde = TODO("the output pre-activation, N x ny: H Wy^T + by")
    Yhat = TODO("the softmax of each row of Ytilde, N x ny (subtract the row's max first)")
    return Yhat, {"X": X, "Htilde": Htilde, "H": H, "Ytilde": Ytilde, "Yhat": Yhat}


def loss_accuracy(Yhat, Y):
    """Returns (L, acc): the mean cross-entropy and the fraction of examples right."""
    L = TODO("the cross-entropy of each row, -sum(Y log Yhat), averaged over the N rows")
    acc = np.mean(Yhat.argmax(axis=1) == Y.argmax(axis=1))
    return L, acc


def backward(params, outputs, Y):
    """Returns the gradients dL/dparam, a dict with the keys (and shapes) of params."""
    dYtilde = TODO("dL/dYtilde, N x ny: (Yhat - Y) / N")
    dHtilde = TODO("dL/dHtilde, N x nh: dYtilde Wy, times tanh's derivative 1 - H^2")
    return {"Wy": TODO("dL/dWy, ny x nh: dYtilde^T H"),
            "by": TODO("dL/dby, ny: the sum of the rows of dYtilde"),
            "Wh": TODO("dL/dWh, nh x nx: dHtilde^T X"),
            "bh": TODO("dL/dbh, nh: the sum of the rows of dHtilde")}
'''
