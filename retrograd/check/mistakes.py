"""The known mistakes of a hand-written backward, tested on the user's own forward values.

``retrograd check`` knows the practical work's network: dense layers ``Z = A W^T + b``, one
activation (tanh, sigmoid or ReLU) after every hidden layer, a softmax over each row and the
mean cross-entropy. When the user's parameters form such a chain and the network rebuilt from
them gives the user's ``Yhat``, the gradients are recomputed under each known mistake (tanh's
derivative written ``1 - H`` or ``H (1 - H)``, a derivative left out, ``dY~`` without the 1/N
of the mean or with the wrong sign, and pairs of them) and compared with the user's: the one
that matches names the mistake. Since that is an exact comparison, not a resemblance, the same
mistake gets the same hint whatever the random data.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from .gradients import PATTERN_SLACK

# activation -> (f(Z), f'(Z) written from H = f(Z) and Z)
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "tanh": (np.tanh, lambda H, Z: 1 - H ** 2),
    "sigmoid": (lambda Z: 1 / (1 + np.exp(-Z)), lambda H, Z: H * (1 - H)),
    "relu": (lambda Z: np.maximum(Z, 0), lambda H, Z: (Z > 0).astype(np.float64)),
}
# activation -> the wrong derivatives students write: name -> (value from H and Z, words)
WRONG_DERIVATIVES: dict[str, dict[str, tuple[Callable, str]]] = {
    "tanh": {
        "1 - H": (lambda H, Z: 1 - H, "tanh's derivative written 1 - H{k}; it is 1 - H{k}^2"),
        "H (1 - H)": (lambda H, Z: H * (1 - H), "H{k} (1 - H{k}) as tanh's derivative: that "
                      "is the sigmoid's; tanh's is 1 - H{k}^2"),
        "1 - Z^2": (lambda H, Z: 1 - Z ** 2, "1 - H~{k}^2 from the pre-activation H~{k}; "
                    "tanh's derivative is 1 - H{k}^2, from H{k} = tanh(H~{k})"),
        "none": (lambda H, Z: 1.0, "tanh's derivative 1 - H{k}^2 is missing"),
    },
    "sigmoid": {
        "1 - H^2": (lambda H, Z: 1 - H ** 2, "1 - H{k}^2 as the sigmoid's derivative: that is "
                    "tanh's; the sigmoid's is H{k} (1 - H{k})"),
        "none": (lambda H, Z: 1.0, "the sigmoid's derivative H{k} (1 - H{k}) is missing"),
    },
    "relu": {
        "none": (lambda H, Z: 1.0, "ReLU's derivative (H~{k} > 0) is missing"),
    },
}
# the output step dL/dY~ of softmax and mean cross-entropy, right and wrong: name -> words
OUTPUT_STEPS = {
    "no mean": "dY~ = Y^ - Y without the 1/N of the mean (divide by N once)",
    "sign": "dY~ = Y - Y^, the wrong sign (it is (Y^ - Y) / N)",
}
MAX_SITES = 2  # mistakes combined, beyond the same wrong derivative at every layer


@dataclass
class Layer:
    """One dense layer: the names of its weight and bias in params."""

    weight: str
    bias: str


class Network:
    """The practical work's network, rebuilt from the user's parameters (float64 arrays)."""

    def __init__(self, params: Mapping[str, np.ndarray], layers: list[Layer],
                 transposed: bool, activation: str, X: np.ndarray) -> None:
        self.params, self.layers, self.activation = params, layers, activation
        self.transposed = transposed  # W is n_in x n_out, used as A W
        self.inputs, self.pre = [X], []  # A_k entering each layer, Z_k leaving it
        function = ACTIVATIONS[activation][0]
        for k, layer in enumerate(layers):
            Z = self.inputs[-1] @ self._matrix(layer) + params[layer.bias]
            self.pre.append(Z)
            if k < len(layers) - 1:
                self.inputs.append(function(Z))
        Z = self.pre[-1]
        exps = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.Yhat = exps / exps.sum(axis=1, keepdims=True)

    def _matrix(self, layer: Layer) -> np.ndarray:
        """W as multiplied on the right of A: W^T, or W itself when stored n_in x n_out."""
        weight = self.params[layer.weight]
        return weight if self.transposed else weight.T

    def backward(self, Y: np.ndarray, output: str | None,
                 derivatives: dict[int, str]) -> dict[str, np.ndarray]:
        """The gradients with the output step ``output`` (None: right) and, at each hidden
        layer k, the wrong derivative ``derivatives[k]`` (absent: right)."""
        N = len(Y)
        dZ = {None: (self.Yhat - Y) / N, "no mean": self.Yhat - Y,
              "sign": (Y - self.Yhat) / N}[output]
        grads = {}
        for k in reversed(range(len(self.layers))):
            layer, A = self.layers[k], self.inputs[k]
            grads[layer.weight] = A.T @ dZ if self.transposed else dZ.T @ A
            grads[layer.bias] = dZ.sum(axis=0)
            if k:
                H, Z = self.inputs[k], self.pre[k - 1]
                wrong = derivatives.get(k - 1)
                slope = (ACTIVATIONS[self.activation][1] if wrong is None
                         else WRONG_DERIVATIVES[self.activation][wrong][0])(H, Z)
                dZ = (dZ @ self._matrix(layer).T) * slope
        return grads


def rebuild(params: Mapping[str, np.ndarray], X: np.ndarray, Yhat: np.ndarray,
            ny: int) -> Network | None:
    """The network that gives the user's ``Yhat`` from ``params`` (in the order of the dict:
    weight matrices and their biases, input to output), or None when there is none."""
    weights = [name for name, value in params.items() if value.ndim == 2]
    biases = [name for name, value in params.items() if value.ndim == 1]
    if not weights or len(weights) != len(biases) or len(params) != 2 * len(weights):
        return None
    layers = [Layer(weight, bias) for weight, bias in zip(weights, biases)]
    for transposed in (False, True):
        sizes = [params[layer.weight].shape[::-1 if transposed else 1] for layer in layers]
        chain = [X.shape[1]] + [n_out for n_out, _ in sizes]  # (n_out, n_in) per layer
        if (any(n_in != chain[k] for k, (_, n_in) in enumerate(sizes)) or chain[-1] != ny
                or any(params[layer.bias].shape != (n_out,)
                       for layer, (n_out, _) in zip(layers, sizes))):
            continue
        for activation in ACTIVATIONS:
            with np.errstate(all="ignore"):
                network = Network(params, layers, transposed, activation, X)
            if np.allclose(network.Yhat, Yhat, rtol=1e-6, atol=1e-9):
                return network
    return None


def _configurations(network: Network) -> list[tuple[str | None, dict[int, str]]]:
    """The mistakes to try, (output step, {hidden layer: wrong derivative}), fewest first: up
    to MAX_SITES mistakes anywhere, and the same wrong derivative at every hidden layer."""
    hidden = range(len(network.layers) - 1)
    wrong = list(WRONG_DERIVATIVES[network.activation])
    sites = [("output", step) for step in OUTPUT_STEPS] + [
        (k, name) for k in hidden for name in wrong]
    found: list[dict] = []
    for count in range(1, MAX_SITES + 1):
        for chosen in itertools.combinations(sites, count):
            places = [place for place, _ in chosen]
            if len(set(places)) == count:
                found.append(dict(chosen))
    for name in wrong:
        for step in (None, *OUTPUT_STEPS):
            found.append({k: name for k in hidden} | ({"output": step} if step else {}))
    configurations, seen = [], set()
    for wrong_at in sorted(found, key=len):
        key = tuple(sorted(wrong_at.items(), key=str))
        if key not in seen:
            seen.add(key)
            configurations.append((wrong_at.pop("output", None), wrong_at))
    return configurations


def explain(network: Network, Y: np.ndarray, yours: Mapping[str, np.ndarray],
            wrong: list[str], atol: float, rtol: float) -> dict[str, str]:
    """For each parameter of ``wrong``, the hint naming the known mistakes whose gradient is
    ``yours`` within PATTERN_SLACK times the tolerance; parameters no mistake explains are left
    out."""
    hints: dict[str, str] = {}
    layer_of = {name: k for k, layer in enumerate(network.layers)
                for name in (layer.weight, layer.bias)}
    for output, derivatives in _configurations(network):
        candidate = network.backward(Y, output, derivatives)
        for name in wrong:
            if name in hints or yours[name].shape != candidate[name].shape:
                continue
            if np.all(np.abs(yours[name] - candidate[name])
                      <= PATTERN_SLACK * (atol + rtol * np.abs(candidate[name]))):
                hints[name] = _words(network, output, derivatives, layer_of[name])
    return hints


def _words(network: Network, output: str | None, derivatives: dict[int, str],
           layer: int) -> str:
    """The hint for the gradient of a parameter of ``layer``: the mistakes on its path."""
    words = [OUTPUT_STEPS[output]] if output else []
    many = len(network.layers) > 2  # name the hidden layer when there are several
    for k in sorted(derivatives, reverse=True):
        if k >= layer:  # a mistake at layer k reaches the parameters of layers <= k only
            text = WRONG_DERIVATIVES[network.activation][derivatives[k]][1]
            where = network.layers[k].weight
            words.append(text.format(k=str(k + 1) if many else "") + (
                f" (after {where})" if many else ""))
    return ("yours is the gradient with this known mistake: " if len(words) == 1 else
            "yours is the gradient with these known mistakes: ") + "; ".join(words)
