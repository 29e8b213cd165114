"""A deliberately wrong backward: dH~ = dY~ Wy, forgetting tanh's derivative 1 - H^2, so the
gradients of Wh and bh are wrong (those of Wy and by are right). The other functions are those
of network.py.

    retrograd check examples/check/wrong_missing_derivative.py  # exit 1, hint: elementwise
"""
from network import forward, init_params, loss_accuracy  # noqa: F401 (the file's contract)


def backward(params, outputs, Y):
    N = len(Y)
    dYtilde = (outputs["Yhat"] - Y) / N
    dHtilde = dYtilde @ params["Wy"]  # wrong: misses the factor (1 - H^2) of tanh
    return {"Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(axis=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(axis=0)}
