"""The networks ``retrograd train --model NAME`` builds, and the flags that shape each one.

    mlp    --hidden, --activation                                 (any data set)
    lenet  --activation, --pool                                   (images: LeNet-5)
    cnn    --channels, --kernel-size, --pool, --hidden, --activation   (images)

A configuration keeps only the options its network uses: the others are None in config.json,
and giving one on the command line (``--model lenet --hidden 64``) is an error.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from .. import models, nn
from ..random import manual_seed
from .errors import ConfigError

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus,
               "gelu": nn.GELU, "leaky_relu": nn.LeakyReLU}
POOLS = ("max", "avg")

# The configuration keys each network reads, in the order --help and messages name them.
OPTIONS: dict[str, tuple[str, ...]] = {
    "mlp": ("hidden", "activation"),
    "lenet": ("activation", "pool"),
    "cnn": ("channels", "kernel_size", "pool", "hidden", "activation"),
}
MODELS = tuple(OPTIONS)
ARCHITECTURE_KEYS = ("hidden", "activation", "channels", "kernel_size", "pool")  # all of them

# What differs from the data set's defaults for each network, so that `--model lenet` with no
# other flag trains well: convolutions with SGD at lr 0.1 start unsteadily on digits; a smaller
# step and a little weight decay reach >= 97% test accuracy over several seeds.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "lenet": {"lr": 0.05, "weight_decay": 5e-4},
    "cnn": {"lr": 0.05, "weight_decay": 5e-4},
}


def is_convolutional(model: str) -> bool:
    """Whether the network reads images (N, channels, height, width) rather than rows."""
    return model != "mlp"


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def keep_used_options(config: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the options its network does not use set to None; raises ConfigError
    when ``given`` (the flags the user set) holds such an option."""
    model = config["model"]
    used = OPTIONS[model]
    for key in ARCHITECTURE_KEYS:
        if key in used:
            continue
        if given.get(key) is not None:
            users = [name for name, keys in OPTIONS.items() if key in keys]
            raise ConfigError(f"{_flag(key)} does not apply to --model {model}, which takes "
                             f"{', '.join(map(_flag, used))}; {_flag(key)} shapes --model "
                             f"{' and '.join(users)}")
        config[key] = None
    return config


def describe(config: dict[str, Any], details: bool = True) -> str:
    """The network in words, with its article: 'an mlp [32, 32]', then with ``details`` its
    activation (and pooling), which leave the shapes of the weights unchanged: ' (relu)'."""
    model = config["model"]
    if model == "mlp":
        name = f"an mlp {config['hidden']}"
    elif model == "lenet":
        name = "a LeNet-5"
    else:
        name = (f"a cnn with channels {config['channels']}, {config['kernel_size']}x"
                f"{config['kernel_size']} kernels and head {config['hidden']}")
    if not details:
        return name
    pooling = f", {config['pool']} pooling" if config["pool"] else ""
    return f"{name} ({config['activation']}{pooling})"


def build_model(config: dict[str, Any], input_shape: int | Sequence[int],
                n_classes: int) -> nn.Module:
    """The network of ``config`` for examples of shape ``input_shape`` ((features,), or an int,
    for mlp; (channels, height, width) for lenet and cnn), with LogSoftmax at the end for the
    nll loss, which expects log-probabilities. The weights are drawn from the global generator
    seeded with ``seed``."""
    manual_seed(config["seed"])
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    model, activation = config["model"], ACTIVATIONS[config["activation"]]
    if model == "mlp":
        network = models.mlp(math.prod(shape), config["hidden"], n_classes, activation)
    elif len(shape) != 3 or shape[1] != shape[2]:
        raise ConfigError(f"--model {model} reads square images (channels, height, width), but "
                         f"the examples have shape {shape}; use --model mlp")
    elif model == "lenet":
        network = models.lenet5(n_classes, shape[0], shape[1], activation, config["pool"])
    else:
        try:
            network = models.small_cnn(n_classes, shape[0], shape[1], config["channels"],
                                       config["kernel_size"], config["hidden"], activation,
                                       config["pool"])
        except ValueError as error:  # too many blocks for the images: a matter of the flags
            raise ConfigError(f"--channels {','.join(map(str, config['channels']))}: "
                              f"{error}") from None
    if config["loss"] == "nll":
        network.append(nn.LogSoftmax(dim=1))
    return network
