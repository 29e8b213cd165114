"""A deliberately wrong backward: the sigmoid's derivative H (1 - H) used for tanh's, 1 - H^2,
so the gradients of Wh and bh are wrong. The other functions are those of network.py.

    retrograd check examples/check/wrong_sigmoid_derivative.py  # exit 1, hint: the sigmoid's
"""
from network import forward, init_params, loss_accuracy  # noqa: F401 (the file's contract)


def backward(params, outputs, Y):
    N = len(Y)
    dYtilde = (outputs["Yhat"] - Y) / N
    H = outputs["H"]
    dHtilde = (dYtilde @ params["Wy"]) * H * (1 - H)  # wrong: that is the sigmoid's derivative
    return {"Wy": dYtilde.T @ H, "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
