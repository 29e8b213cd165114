"""``rg.utils.hooks.RemovableHandle``, under PyTorch's name (defined in ``retrograd/hooks.py``)."""
from ..hooks import RemovableHandle

__all__ = ["RemovableHandle"]
