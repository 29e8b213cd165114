"""Optimizers (``rg.optim.SGD``, ``Adam``, ...) and learning-rate schedules
(``rg.optim.lr_scheduler``), with PyTorch's names, options and update formulas.

    optimizer = rg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
"""
from . import lr_scheduler
from .optimizer import Optimizer
from .optimizers import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
    Rprop,
)

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam",
           "RAdam", "Adamax", "Rprop", "ASGD", "lr_scheduler"]
