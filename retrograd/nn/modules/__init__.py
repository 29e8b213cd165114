"""The layers of ``rg.nn``, one file per kind as in PyTorch."""
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout, Dropout2d
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss,
                   MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss, TripletMarginLoss)
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
                      MaxPool2d)
from .sparse import Embedding

__all__ = ["ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus",
           "Tanh", "ModuleDict", "ModuleList", "Sequential", "Dropout", "Flatten", "Identity",
           "Linear", "BatchNorm1d", "LayerNorm", "Embedding"]

__all__ += ["BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
            "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss",
            "MSELoss", "MultiMarginLoss", "NLLLoss", "SmoothL1Loss",
            "TripletMarginLoss"]  # losses

__all__ += ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
            "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm2d",
            "Dropout2d"]  # convolutional networks
