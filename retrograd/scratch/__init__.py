"""``rg.scratch``: the practical work's one-hidden-layer network written by hand in NumPy, with
its backpropagation formulas in batch form (see ``network.py`` for every equation).

    from retrograd import scratch
    params = scratch.init_params(nx=2, nh=10, ny=2, seed=0)
    Yhat, outputs = scratch.forward(params, X)
    L, acc = scratch.loss_accuracy(Yhat, Y)
    grads = scratch.backward(params, outputs, Y)
    scratch.sgd(params, grads, eta=0.1)
"""
from .network import (
    DEFAULT,
    Config,
    backward,
    forward,
    init_params,
    loss_accuracy,
    one_hot,
    sgd,
    sigmoid,
    softmax_rows,
    softplus,
    train,
)

__all__ = ["Config", "DEFAULT", "init_params", "forward", "loss_accuracy", "backward", "sgd",
           "train", "one_hot", "sigmoid", "softplus", "softmax_rows"]
