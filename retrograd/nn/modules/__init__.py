"""The layers of ``rg.nn``, one file per kind as in PyTorch."""
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss,
                   MSELoss, MultiMarginLoss, NLLLoss, SmoothL1Loss, TripletMarginLoss)
from .normalization import BatchNorm1d, LayerNorm
from .sparse import Embedding

__all__ = ["ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus",
           "Tanh", "ModuleDict", "ModuleList", "Sequential", "Dropout", "Flatten", "Identity",
           "Linear", "BatchNorm1d", "LayerNorm", "Embedding"]

__all__ += ["BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
            "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss",
            "MSELoss", "MultiMarginLoss", "NLLLoss", "SmoothL1Loss",
            "TripletMarginLoss"]  # losses
