"""How tensors print: PyTorch's ``set_printoptions`` (precision, threshold, edgeitems,
linewidth, profile), read by ``Tensor.__repr__``."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


options = PrintOptions()

_PROFILES = {"default": PrintOptions(), "short": PrintOptions(precision=2, edgeitems=2),
             "full": PrintOptions(threshold=math.inf)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Sets how tensors print, as PyTorch's ``torch.set_printoptions``: ``precision`` digits
    after the point (4), more than ``threshold`` elements (1000) summarised with ``edgeitems``
    (3) at each end, lines of ``linewidth`` characters (80); ``profile`` 'default', 'short' or
    'full' first sets all of them; ``sci_mode`` True or False forces or forbids scientific
    notation (None: chosen from the values)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        chosen = _PROFILES[profile]
        options.precision, options.threshold = chosen.precision, chosen.threshold
        options.edgeitems, options.linewidth = chosen.edgeitems, chosen.linewidth
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(options, name, value)
    options.sci_mode = sci_mode
