"""From a configuration (a dict of the command line's flags) to data, model, loss, optimizer
and schedule: the pieces every command of ``retrograd`` builds in the same way.

A configuration holds only JSON values, so that it can go into ``config.json`` and into the
checkpoint, from which ``retrograd eval`` and ``--resume`` rebuild the very same model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets, nn, optim
from .. import distributed as dist
from ..backend import array_module
from ..creation import randperm
from ..nn import functional as F
from ..optim import lr_scheduler
from ..random import Generator
from ..serialization import load
from ..tensor import Tensor
from ..utils.data import DataLoader, DistributedSampler, TensorDataset
from .errors import ConfigError
from .models import ACTIVATIONS, MODEL_DEFAULTS, MODELS, POOLS, is_convolutional, keep_used_options

# Every flag that changes what is trained (the run folder and --resume are not part of it).
DEFAULTS: dict[str, Any] = {
    "dataset": "circles",
    "data_dir": "data",
    "samples": None,           # generated data sets: their own default size
    "val_fraction": 0.2,
    "seed": 0,
    "model": "mlp",
    "hidden": [32, 32],        # mlp; cnn: its head
    "activation": "relu",
    "channels": [16, 32],      # cnn: one convolution block per entry
    "kernel_size": 3,          # cnn
    "pool": "max",             # lenet, cnn
    "loss": "cross_entropy",
    "optimizer": "sgd",
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 0.0,
    "batch_size": 32,
    "epochs": 30,
    "schedule": "cosine",     # calm last epochs: the final model is a good one
    "step_size": None,         # step: a third of the epochs
    "milestones": None,        # multistep: at half and three quarters of the epochs
    "gamma": None,             # step, multistep: 0.1; exponential: 0.95
    "power": 1.0,              # poly
    "min_lr": 0.0,             # cosine
    "patience": None,          # early stopping off
}

# What differs from DEFAULTS for each data set, so that `retrograd train --dataset X` with no
# other flag trains well (validation accuracy >= 97% on circles, spirals and digits).
DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    "spirals": {"hidden": [64, 64], "epochs": 60},
    "digits": {"hidden": [128], "epochs": 30},
    "mnist": {"hidden": [256, 128], "epochs": 10, "batch_size": 64},
    "fashion_mnist": {"hidden": [256, 128], "epochs": 10, "batch_size": 64},
}

LOSSES = ("cross_entropy", "nll", "multi_margin", "mse")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
              "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
SCHEDULES = ("none", "step", "multistep", "exponential", "cosine", "poly")


def dataset_name(name: str) -> str:
    """The registry's name of a data set: 'fashion-mnist' and 'Fashion_MNIST' both work."""
    canonical = name.strip().lower().replace("-", "_")
    if canonical not in datasets.available():
        raise ValueError(f"unknown data set {name!r}: choose one of "
                         f"{', '.join(datasets.available())} (see `retrograd datasets`)")
    return canonical


def complete(given: dict[str, Any], saved: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full configuration: the flags given, else those of a ``saved`` configuration (the
    one ``retrograd eval`` reads), else the model's defaults, else the data set's, else
    DEFAULTS. The options the model does not use are None; a flag given for one of them is a
    ValueError (see ``models.keep_used_options``)."""
    given, saved = ({key: value for key, value in flags.items()
                     if key in DEFAULTS and value is not None} for flags in (given, saved or {}))
    dataset = dataset_name(given.get("dataset") or saved.get("dataset") or DEFAULTS["dataset"])
    model = given.get("model") or saved.get("model") or DEFAULTS["model"]
    config = {**DEFAULTS, **DATASET_DEFAULTS.get(dataset, {}), **MODEL_DEFAULTS.get(model, {}),
              **saved, **given, "dataset": dataset}
    return keep_used_options(config, given)


# -- data -------------------------------------------------------------------------------------

def read_saved_model(path: str, target: Any = "cpu") -> tuple[dict[str, Any], dict[str, Any]]:
    """The weights (on device ``target``) and the configuration ({} when unknown) saved in
    ``path``: a checkpoint of ``retrograd train``, or a bare state_dict saved with
    ``rg.save(model.state_dict(), ...)``. The file may come from anyone: its configuration is
    checked (``check_saved_config``) before a model is built from it."""
    saved = load(path, map_location=target)
    if not isinstance(saved, dict):
        raise ValueError(f"{path} holds a {type(saved).__name__}, not a model")
    if isinstance(saved.get("model"), dict):  # a checkpoint of `retrograd train`
        weights, config = saved["model"], saved.get("config") or {}
        check_saved_config(config, weights, path)
        return weights, config
    return saved, {}


# What a saved configuration may ask for. A model is built from it before its weights are
# loaded, so a file of a few KB could otherwise ask for gigabytes (hidden sizes of 8000).
MAX_UNITS, MAX_LAYERS, MAX_CHANNELS, MAX_BLOCKS, MAX_KERNEL = 4096, 16, 1024, 8, 15
MAX_SAMPLES = 1_000_000


def check_saved_config(config: Any, weights: dict[str, Any], path: str) -> None:
    """Refuses a configuration saved in ``path`` that ``retrograd train`` could not have
    written: unknown names, sizes out of the stated caps, wrong types, or layer sizes that need
    more parameters than ``weights`` (the file's own) hold. The error names the file and the
    field."""
    if not isinstance(config, dict):
        raise ValueError(f"{path}: its configuration is a {type(config).__name__}, not a dict")

    def refuse(field: str, why: str) -> None:
        raise ValueError(f"{path}: the saved configuration's {field!r} {why}; the file was not "
                         f"written by `retrograd train` or was edited")

    choices = {"model": MODELS, "activation": tuple(ACTIVATIONS), "pool": POOLS,
               "loss": LOSSES, "optimizer": tuple(OPTIMIZERS), "schedule": SCHEDULES}
    for field, allowed in choices.items():
        value = config.get(field)
        if value is not None and value not in allowed:
            refuse(field, f"is {str(value)[:40]!r}, not one of {', '.join(allowed)}")
    dataset = config.get("dataset")
    if dataset is not None and (not isinstance(dataset, str) or
                                dataset_name_or_none(dataset) is None):
        refuse("dataset", f"is {str(dataset)[:40]!r}, not a known data set")
    for field, most, count in (("hidden", MAX_UNITS, MAX_LAYERS),
                               ("channels", MAX_CHANNELS, MAX_BLOCKS)):
        sizes = config.get(field)
        if sizes is None:
            continue
        if not isinstance(sizes, list) or not 0 < len(sizes) <= count or not all(
                type(n) is int and 0 < n <= most for n in sizes):
            refuse(field, f"must be a list of 1 to {count} sizes from 1 to {most}")
    for field, most in (("kernel_size", MAX_KERNEL), ("samples", MAX_SAMPLES)):
        value = config.get(field)
        if value is not None and not (type(value) is int and 0 < value <= most):
            refuse(field, f"must be an integer from 1 to {most}")
    # every consecutive pair of sizes is at least one weight matrix (or kernel) of the model
    kernel = config.get("kernel_size") or 1
    needed = sum(a * b for a, b in zip(config.get("hidden") or [], (config.get("hidden")
                                                                      or [])[1:]))
    needed += sum(a * b * kernel * kernel for a, b in zip(config.get("channels") or [],
                                                          (config.get("channels") or [])[1:]))
    stored = sum(int(np.prod(w.shape)) for w in weights.values() if hasattr(w, "shape"))
    if needed > stored:
        refuse("hidden" if config.get("hidden") else "channels",
               f"asks for at least {needed:,} weights, but the file holds {stored:,}")


def dataset_name_or_none(name: str) -> str | None:
    try:
        return dataset_name(name)
    except ValueError:
        return None


@dataclass
class Data:
    """A data set split for training: arrays X float32, (N, features), or (N, 1, height, width)
    for a convolutional model, and y (N,) int64. The validation part, drawn from the training
    data, chooses between epochs and settings; the test part (None for the generated sets) is
    the data set's own, evaluated once, after training."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    n_features: int
    n_classes: int
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example: (features,) or (1, height, width)."""
        return self.X_train.shape[1:]


def has_test_set(dataset: str) -> bool:
    """Whether the data set has a test set of its own (digits, MNIST-like sets)."""
    return dataset == "digits" or datasets.available()[dataset].needs_root


def load_data(config: dict[str, Any]) -> Data:
    """The configured data set: training, validation and (digits, MNIST-like sets) test parts.

    The validation part is ``val_fraction`` of the training data, drawn at random with
    ``seed``. Generated sets are drawn with ``seed`` and have no test part; digits keeps its
    standard test split (``rg.datasets.digits(train=False)``, the same whatever the seed);
    MNIST-like sets use their test files. Images come as rows of pixels for an MLP, as
    (N, 1, height, width) for a CNN.
    """
    info = datasets.available()[config["dataset"]]
    flatten = not is_convolutional(config["model"])
    if has_test_set(info.name):
        where = (config["data_dir"],) if info.needs_root else ()
        X, y = info.load(*where, train=True, flatten=flatten)
        X_test, y_test = info.load(*where, train=False, flatten=flatten)
    elif not flatten:
        raise ConfigError(f"--model {config['model']} reads images, but {info.name} holds "
                          f"{info.n_features}-D points: use --dataset digits, mnist or "
                          f"fashion-mnist, or --model mlp")
    else:
        X, y = info.load(config["samples"] or info.n_samples, seed=config["seed"])
        X_test = y_test = None
    order = randperm(len(y), generator=Generator().manual_seed(config["seed"])).numpy()
    n_val = round(len(y) * config["val_fraction"])
    if not 0 < n_val < len(y):
        raise ConfigError(f"--val-fraction {config['val_fraction']} of {len(y)} training "
                          f"examples leaves an empty training or validation set: choose a "
                          f"fraction nearer 0.5" + ("" if X_test is not None else
                                                   ", or more --samples"))
    val, train = order[:n_val], order[n_val:]
    return Data(X[train], y[train], X[val], y[val], info.n_features, info.n_classes, X_test,
                y_test)


def evaluation_loader(X: np.ndarray, y: np.ndarray) -> DataLoader:
    """The batches of an evaluation (validation or test), in order."""
    return DataLoader(TensorDataset(X, y), batch_size=1024)


def loaders(data: Data, config: dict[str, Any]) -> tuple[DataLoader, DataLoader]:
    """Training batches shuffled by their own generator seeded with ``seed`` (so the order
    is part of the checkpoint), and validation batches in order. In a distributed run, each
    process takes its share of every epoch's permutation (``DistributedSampler``, seeded with
    ``seed`` and the epoch), in batches of ``batch_size``; each evaluates the whole
    validation set."""
    examples = TensorDataset(data.X_train, data.y_train)
    if dist.is_initialized() and dist.get_world_size() > 1:
        train = DataLoader(examples, batch_size=config["batch_size"],
                           sampler=DistributedSampler(examples, seed=config["seed"]))
    else:
        train = DataLoader(examples, batch_size=config["batch_size"], shuffle=True,
                           generator=Generator().manual_seed(config["seed"]))
    return train, evaluation_loader(data.X_val, data.y_val)


# -- model, loss, optimizer, schedule -------------------------------------------------------------

class OneHotMSELoss(nn.Module):
    """Mean squared error between the class scores (N, C) and the one-hot rows of the class
    indices (N,): regression onto the labels, to compare with cross-entropy."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        xp = array_module(target.array)  # the rows are made on the targets' device
        one_hot = xp.eye(self.n_classes, dtype=input.array.dtype)[target.array]
        return F.mse_loss(input, Tensor(one_hot))


def build_loss(config: dict[str, Any], n_classes: int) -> nn.Module:
    """The loss module that ``config["loss"]`` names."""
    # each builds a loss
    return {"cross_entropy": nn.CrossEntropyLoss, "nll": nn.NLLLoss,  # type: ignore[operator]
            "multi_margin": nn.MultiMarginLoss,
            "mse": lambda: OneHotMSELoss(n_classes)}[config["loss"]]()


def build_optimizer(config: dict[str, Any], model: nn.Module) -> optim.Optimizer:
    """The optimizer with lr and weight_decay; momentum goes to SGD and RMSprop (the others
    have none)."""
    options = {"lr": config["lr"], "weight_decay": config["weight_decay"]}
    if config["optimizer"] in ("sgd", "rmsprop"):
        options["momentum"] = config["momentum"]
    return OPTIMIZERS[config["optimizer"]](model.parameters(), **options)


SCHEDULERS = {"step": lr_scheduler.StepLR, "multistep": lr_scheduler.MultiStepLR,
              "exponential": lr_scheduler.ExponentialLR, "cosine": lr_scheduler.CosineAnnealingLR,
              "poly": lr_scheduler.PolynomialLR}
PLANNED_SCHEDULES = ("cosine", "poly")  # built for a number of epochs: they end there
INITIALISATION = "PyTorch's default (uniform within +-1/sqrt(fan_in))"


def schedule_options(config: dict[str, Any]) -> dict[str, Any]:
    """The arguments of the schedule's class, the lengths defaulting to the number of epochs
    ({} for no schedule)."""
    epochs, gamma = config["epochs"], config["gamma"]
    return {
        "none": {},
        "step": {"step_size": config["step_size"] or max(1, epochs // 3), "gamma": gamma or 0.1},
        "multistep": {"milestones": config["milestones"] or [max(1, epochs // 2),
                                                             max(1, 3 * epochs // 4)],
                      "gamma": gamma or 0.1},
        "exponential": {"gamma": gamma or 0.95},
        "cosine": {"T_max": epochs, "eta_min": config["min_lr"]},
        "poly": {"total_iters": epochs, "power": config["power"]},
    }[config["schedule"]]


def build_scheduler(config: dict[str, Any],
                    optimizer: optim.Optimizer) -> lr_scheduler.LRScheduler | None:
    """The learning-rate schedule, stepped once per epoch, or None (``--schedule none``)."""
    if config["schedule"] == "none":
        return None
    return SCHEDULERS[config["schedule"]](optimizer, **schedule_options(config))


def describe_schedule(config: dict[str, Any]) -> str:
    """The schedule in words: 'cosine schedule (lr annealed to 0 over 30 epochs)'."""
    name, options = config["schedule"], schedule_options(config)
    gamma = f"lr x{options.get('gamma', 0):g}"
    return {
        "none": lambda: "no schedule (constant lr)",
        "step": lambda: f"step schedule ({gamma} every {options['step_size']} epochs)",
        "multistep": lambda: f"multistep schedule ({gamma} at epochs "
                             f"{','.join(map(str, options['milestones']))})",
        "exponential": lambda: f"exponential schedule ({gamma} per epoch)",
        "cosine": lambda: f"cosine schedule (lr annealed to {options['eta_min']:g} over "
                          f"{options['T_max']} epochs)",
        "poly": lambda: f"poly schedule (lr down to 0 over {options['total_iters']} epochs, "
                        f"power {options['power']:g})",
    }[name]()


def describe_optimizer(config: dict[str, Any], lr: bool = True) -> str:
    """The optimizer in words, with what it uses of the flags: 'sgd lr 0.1, momentum 0.9'."""
    name = config["optimizer"]
    parts = [f"{name} lr {config['lr']:g}" if lr else name]
    if name in ("sgd", "rmsprop"):
        parts.append(f"momentum {config['momentum']:g}")
    elif name in ("adam", "adamw"):
        parts.append("betas (0.9, 0.999), its own momentum")
    else:
        parts.append("no momentum")
    if config["weight_decay"]:
        parts.append(f"weight decay {config['weight_decay']:g}")
    return ", ".join(parts)
