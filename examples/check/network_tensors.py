"""The same network and correct backward written with retrograd tensors instead of NumPy
arrays: the gradients are still computed by hand, but since the functions run on tensors,
`retrograd check` also compares them with retrograd's autograd.

    retrograd check examples/check/network_tensors.py   # exit status 0
"""
import retrograd as rg


def init_params(nx, nh, ny):
    return {"Wh": 0.3 * rg.randn(nh, nx), "bh": 0.3 * rg.randn(nh),
            "Wy": 0.3 * rg.randn(ny, nh), "by": 0.3 * rg.randn(ny)}


def forward(params, X):
    H = rg.tanh(X @ params["Wh"].T + params["bh"])
    Yhat = rg.softmax(H @ params["Wy"].T + params["by"], dim=1)
    return Yhat, {"X": X, "H": H, "Yhat": Yhat}


def loss_accuracy(Yhat, Y):
    L = -(Y * rg.log(Yhat)).sum(dim=1).mean()
    acc = (Yhat.argmax(dim=1) == Y.argmax(dim=1)).float().mean()
    return L, acc


def backward(params, outputs, Y):
    dYtilde = (outputs["Yhat"] - Y) / len(Y)
    dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
    return {"Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(dim=0),
            "Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(dim=0)}
