"""The networks of ``rg.models``: an MLP, LeNet-5 and a small configurable CNN, each a
``Sequential`` whose layers print, index and save (``0.weight``...) like any other."""
from __future__ import annotations

from typing import Callable, Sequence

from .. import nn
from ..ops.conv import output_size  # floor((i + 2p - k) / s) + 1, padding as (before, after)

Activation = Callable[[], nn.Module]  # a layer class such as nn.ReLU, called once per use


def _pooling(kind: str) -> nn.Module:
    """A 2x2 pooling with stride 2, which halves the height and the width."""
    if kind == "max":
        return nn.MaxPool2d(2)
    if kind == "avg":
        return nn.AvgPool2d(2)
    raise ValueError(f"pool must be 'max' or 'avg', got {kind!r}")


def mlp(in_features: int, hidden: Sequence[int] = (32, 32), num_classes: int = 10,
        activation: Activation = nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron: Linear + activation for each size in ``hidden``, then a Linear
    to the class scores.

    Input (N, in_features); output (N, num_classes) scores (logits, for ``cross_entropy``).

    >>> model = mlp(64, hidden=[128], num_classes=10)   # Linear(64, 128), ReLU, Linear(128, 10)
    """
    sizes = [in_features, *hidden]
    layers: list[nn.Module] = []
    for size_in, size_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(size_in, size_out), activation()]
    layers.append(nn.Linear(sizes[-1], num_classes))
    return nn.Sequential(*layers)


def lenet5(num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
           activation: Activation = nn.ReLU, pool: str = "max") -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) for square images of side ``image_size``: a 5x5
    convolution to 6 channels, 2x2 pooling, a 5x5 convolution to 16 channels, 2x2 pooling, then
    Linear layers of 120 and 84 units and the class scores.

    Input (N, in_channels, image_size, image_size); output (N, num_classes) scores.

    The original reads 32x32 images. As usual for MNIST's 28x28, the first convolution pads by
    2 and keeps the size; the second is unpadded, as in the original, when its input is at least
    6x6 (28x28 images: 28 -> pool 14 -> conv 10 -> pool 5, so 16 * 5 * 5 = 400 features). On
    smaller images, such as the 8x8 digits, an unpadded 5x5 convolution would leave nothing to
    pool, so it pads by 2 as well (8 -> pool 4 -> conv 4 -> pool 2: 16 * 2 * 2 = 64 features).

    ReLU and max pooling are today's choices; ``activation=nn.Tanh, pool="avg"`` come closer to
    1998's squashing functions and subsampling.

    >>> model = lenet5(image_size=8)     # for rg.datasets.digits(flatten=False)
    """
    if image_size < 4:
        raise ValueError(f"lenet5 needs images of at least 4x4 (two 2x2 poolings), got "
                         f"{image_size}x{image_size}")
    side = image_size // 2  # the first convolution keeps the size, its pooling halves it
    second_padding = 0 if side >= 6 else 2
    side = output_size(side, 5, padding=(second_padding, second_padding)) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2), activation(), _pooling(pool),
        nn.Conv2d(6, 16, 5, padding=second_padding), activation(), _pooling(pool),
        nn.Flatten(),
        nn.Linear(16 * side * side, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, num_classes))


def small_cnn(num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
              channels: Sequence[int] = (16, 32), kernel_size: int = 3,
              hidden: Sequence[int] = (128,), activation: Activation = nn.ReLU,
              pool: str = "max") -> nn.Sequential:
    """A small convolutional network for square images: one block per entry of ``channels``
    (a ``kernel_size`` convolution padded by ``kernel_size // 2``, which keeps the size for an
    odd kernel, then the activation and a 2x2 pooling that halves the size), then ``Flatten``
    and an MLP head (``mlp`` with ``hidden``) to the class scores.

    Input (N, in_channels, image_size, image_size); output (N, num_classes) scores.

    >>> model = small_cnn(image_size=28, channels=[16, 32])   # 28 -> 14 -> 7: 32 * 7 * 7 features
    """
    layers: list[nn.Module] = []
    side, size_in = image_size, in_channels
    for block, size_out in enumerate(channels, start=1):
        side = output_size(side, kernel_size, padding=(kernel_size // 2, kernel_size // 2))
        if side < 2:
            raise ValueError(f"small_cnn: {image_size}x{image_size} images are down to "
                             f"{side}x{side} in convolution block {block} of {len(channels)}, "
                             f"too small for its 2x2 pooling; use fewer blocks (channels) or "
                             f"larger images")
        layers += [nn.Conv2d(size_in, size_out, kernel_size, padding=kernel_size // 2),
                   activation(), _pooling(pool)]
        side, size_in = side // 2, size_out
    head = mlp(size_in * side * side, hidden, num_classes, activation)
    return nn.Sequential(*layers, nn.Flatten(), *head)
