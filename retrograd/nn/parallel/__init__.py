"""Parallel training, as ``torch.nn.parallel``: ``DistributedDataParallel`` over the ranks of
``retrograd.distributed``."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
