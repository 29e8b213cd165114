"""A deliberately wrong backward: dWy computed as H^T dY~ (n_h x n_y), the transpose of
dY~^T H (n_y x n_h). The other functions are those of network.py.

    retrograd check examples/check/wrong_transposed.py   # exit status 1, hint: transposed
"""
from network import forward, init_params, loss_accuracy  # noqa: F401 (the file's contract)


def backward(params, outputs, Y):
    N = len(Y)
    dYtilde = (outputs["Yhat"] - Y) / N
    dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
    return {"Wy": outputs["H"].T @ dYtilde,  # wrong: should be dYtilde.T @ H
            "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
