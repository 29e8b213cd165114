"""Neural-network building blocks, as ``torch.nn``: ``Module`` and ``Parameter``, layers,
containers, ``init`` and ``utils``; ``retrograd.nn.functional`` holds the functional forms.

    net = rg.nn.Sequential(rg.nn.Linear(2, 16), rg.nn.Tanh(), rg.nn.Linear(16, 3))
"""
from . import functional, init, utils
from .module import Module
from .modules import *  # noqa: F401,F403  every layer, listed once in modules/__init__.py
from .modules import __all__ as _layers
from .parameter import Parameter
from .summary import summary

__all__ = ["functional", "init", "utils", "Module", "Parameter", "summary"] + _layers
