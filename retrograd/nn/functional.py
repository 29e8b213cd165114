"""Functional forms of activations, losses and layers (linear, convolutions, pooling, padding,
dropout, normalization, embedding), as ``torch.nn.functional`` (``import
retrograd.nn.functional as F``)."""
from __future__ import annotations

from ..ops.activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus
from ..ops.conv import conv1d, conv2d, pad
from ..ops.dropout import dropout, dropout2d
from ..ops.elementwise import tanh
from ..ops.embedding import embedding
from ..ops.linalg import linear
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)
from ..ops.normalization import batch_norm, layer_norm
from ..ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = ["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", "softmax",
           "log_softmax", "linear", "nll_loss", "cross_entropy"]

__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "multi_margin_loss",
            "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "hinge_embedding_loss",
            "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
            "kl_div"]  # losses

__all__ += ["dropout", "batch_norm", "layer_norm", "embedding"]  # layers' functional forms

__all__ += ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool1d", "adaptive_avg_pool2d", "pad", "dropout2d"]  # convolutional

from ..ops.activation import hardtanh, logsigmoid, mish, relu6, silu  # noqa: E402
from ..ops.conv import conv_transpose1d, conv_transpose2d  # noqa: E402
from ..ops.distance import cosine_similarity, normalize, pairwise_distance  # noqa: E402
from ..ops.embedding import one_hot  # noqa: E402
from ..ops.interpolate import interpolate  # noqa: E402
from ..ops.normalization import group_norm  # noqa: E402

__all__ += ["logsigmoid", "hardtanh", "relu6", "silu", "mish", "one_hot", "normalize",
            "cosine_similarity", "pairwise_distance", "group_norm", "conv_transpose1d",
            "conv_transpose2d", "interpolate"]  # activations, vectors, resampling (issue 10)

# more layers, losses and utilities (issue 10: more nn layers)
from ..ops.activation import prelu  # noqa: E402
from ..ops.conv import fold, unfold  # noqa: E402
from ..ops.dropout import alpha_dropout, dropout1d  # noqa: E402
from ..ops.loss import (  # noqa: E402
    gaussian_nll_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
)
from ..ops.normalization import instance_norm  # noqa: E402
from ..ops.pooling import adaptive_max_pool1d, adaptive_max_pool2d  # noqa: E402

__all__ += ["prelu", "dropout1d", "alpha_dropout", "instance_norm", "adaptive_max_pool1d",
            "adaptive_max_pool2d", "unfold", "fold", "soft_margin_loss",
            "multilabel_soft_margin_loss", "poisson_nll_loss",
            "gaussian_nll_loss"]  # more nn layers
