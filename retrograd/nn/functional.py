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
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                        cosine_embedding_loss, cross_entropy, hinge_embedding_loss, huber_loss,
                        kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss,
                        nll_loss, smooth_l1_loss, triplet_margin_loss)
from ..ops.normalization import batch_norm, layer_norm
from ..ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                           max_pool1d, max_pool2d)

__all__ = ["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", "softmax",
           "log_softmax", "linear", "nll_loss", "cross_entropy"]

__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "multi_margin_loss",
            "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "hinge_embedding_loss",
            "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
            "kl_div"]  # losses

__all__ += ["dropout", "batch_norm", "layer_norm", "embedding"]  # layers' functional forms

__all__ += ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
            "adaptive_avg_pool1d", "adaptive_avg_pool2d", "pad", "dropout2d"]  # convolutional
