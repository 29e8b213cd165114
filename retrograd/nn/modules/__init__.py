"""The layers of ``rg.nn``, one file per kind as in PyTorch."""
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout, Dropout2d
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
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

from .activation import Hardtanh, LogSigmoid, Mish, ReLU6, SiLU  # noqa: E402
from .container import ParameterDict, ParameterList  # noqa: E402
from .conv import ConvTranspose1d, ConvTranspose2d  # noqa: E402
from .distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from .flatten import Unflatten  # noqa: E402
from .normalization import GroupNorm  # noqa: E402
from .upsampling import Upsample  # noqa: E402

__all__ += ["LogSigmoid", "Hardtanh", "ReLU6", "SiLU", "Mish", "CosineSimilarity",
            "PairwiseDistance", "ParameterList", "ParameterDict", "Unflatten", "GroupNorm",
            "ConvTranspose1d", "ConvTranspose2d", "Upsample"]  # issue 10

# more layers, losses and utilities (issue 10: more nn layers)
from .activation import PReLU  # noqa: E402
from .dropout import AlphaDropout, Dropout1d  # noqa: E402
from .fold import Fold, Unfold  # noqa: E402
from .loss import (  # noqa: E402
    GaussianNLLLoss,
    MultiLabelSoftMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
)
from .normalization import InstanceNorm1d, InstanceNorm2d  # noqa: E402
from .padding import (  # noqa: E402
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from .pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d  # noqa: E402

__all__ += ["PReLU", "Dropout1d", "AlphaDropout", "InstanceNorm1d", "InstanceNorm2d",
            "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "ZeroPad1d", "ZeroPad2d",
            "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
            "ReplicationPad1d", "ReplicationPad2d", "Unfold", "Fold", "SoftMarginLoss",
            "MultiLabelSoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss"]  # more nn layers

# recurrent layers (issue 10: recurrent layers)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell",
            "GRUCell"]  # recurrent layers
