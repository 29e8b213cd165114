"""What the DDP worker and the single-process reference share: models, data, optimizers."""
import numpy as np

import retrograd as rg
from retrograd.models import networks

BATCH, STEPS = 8, 3


def build_model(name: str, seed: int) -> rg.nn.Module:
    """The same initial model whatever ``seed`` says of the rank: DDP must broadcast rank 0's
    parameters, so the ranks start from different ones (seed + 100 * rank) on purpose."""
    rg.manual_seed(seed * 100)
    if name == "mlp":
        return networks.mlp(784, (64, 32), 10)
    return networks.lenet5()


def build_optimizer(name: str, params) -> rg.optim.Optimizer:
    if name == "sgd":
        return rg.optim.SGD(params, lr=0.1, momentum=0.9)
    return rg.optim.Adam(params, lr=1e-3)


def batch_of_step(model: str, step: int, size: int) -> tuple:
    rng = np.random.default_rng(step)
    shape = (size, 784) if model == "mlp" else (size, 1, 28, 28)
    return (rg.tensor(rng.standard_normal(shape).astype(np.float32)),
            rg.tensor(rng.integers(0, 10, size)))
