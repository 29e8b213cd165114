"""Neural-network building blocks, as ``torch.nn``: ``Module`` and ``Parameter``, layers,
containers, ``init`` and ``utils``; ``retrograd.nn.functional`` holds the functional forms.

    net = rg.nn.Sequential(rg.nn.Linear(2, 16), rg.nn.Tanh(), rg.nn.Linear(16, 3))
"""
from . import functional
from . import init
from . import utils
from .module import Module
from .modules.activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax,
                                 Softplus, Tanh)
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.conv import Conv1d, Conv2d
from .modules.dropout import Dropout, Dropout2d
from .modules.flatten import Flatten
from .modules.linear import Identity, Linear
from .modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                           HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss,
                           MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss, TripletMarginLoss)
from .modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d,
                              MaxPool1d, MaxPool2d)
from .modules.sparse import Embedding
from .parameter import Parameter
from .summary import summary

__all__ = ["functional", "init", "utils", "Module", "Parameter",
           "ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus",
           "Tanh", "ModuleDict", "ModuleList", "Sequential", "Dropout", "Flatten", "Identity",
           "Linear", "BatchNorm1d", "LayerNorm", "Embedding"]

__all__ += ["BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
            "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss",
            "MSELoss", "MultiMarginLoss", "NLLLoss", "SmoothL1Loss",
            "TripletMarginLoss"]  # losses

__all__ += ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
            "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
            "summary"]  # convolutional networks
