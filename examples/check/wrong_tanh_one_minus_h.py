"""A deliberately wrong backward, the commonest tanh mistake: its derivative written 1 - H
instead of 1 - H^2, so the gradients of Wh and bh are wrong. The other functions are those of
network.py.

    retrograd check examples/check/wrong_tanh_one_minus_h.py  # exit 1, hint: 1 - H, at any seed
"""
from network import forward, init_params, loss_accuracy  # noqa: F401 (the file's contract)


def backward(params, outputs, Y):
    N = len(Y)
    dYtilde = (outputs["Yhat"] - Y) / N
    dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"])  # wrong: tanh' is 1 - H^2
    return {"Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
