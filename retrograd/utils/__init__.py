"""Utilities with PyTorch's names: ``rg.utils.data`` (data sets, samplers and the DataLoader)."""
from . import data

__all__ = ["data"]
