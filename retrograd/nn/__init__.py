"""Neural-network building blocks; ``retrograd.nn.functional`` holds the functional forms."""
from . import functional

__all__ = ["functional"]
