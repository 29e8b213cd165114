"""A deliberately wrong backward: dY~ = Y^ - Y without the 1/N of the mean, so every gradient
is N times too large. The other functions are those of network.py.

    retrograd check examples/check/wrong_sum_not_mean.py  # exit status 1, hint: factor of N
"""
from network import forward, init_params, loss_accuracy  # noqa: F401 (the file's contract)


def backward(params, outputs, Y):
    dYtilde = outputs["Yhat"] - Y  # wrong: the loss is a mean, so divide by N
    dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
    return {"Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
