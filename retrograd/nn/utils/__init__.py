"""Utilities for training networks: gradient clipping, parameters as one vector."""
from . import rnn  # pad_sequence and friends, as torch.nn.utils.rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "rnn"]
