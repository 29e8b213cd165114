"""``rg.backends``: the flags PyTorch scripts set or probe (``torch.backends.mps``,
``torch.backends.cudnn``), answered as PyTorch answers on a machine without them."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
