"""rg.models against the same networks written layer by layer in PyTorch 2.13.0: same state_dict
keys, same outputs and gradients for the same weights and inputs; and the errors for images too
small for a network."""
import pytest
from nn.helpers import FLOAT32, check_layer, data
from torch import nn as tnn

import retrograd as rg
from retrograd.models import lenet5, mlp, small_cnn


def torch_lenet5(image_size: int, activation=tnn.ReLU, pool=tnn.MaxPool2d) -> tnn.Sequential:
    """LeNet-5 as docs/cnn.md describes it: 'same' first convolution; the second is unpadded
    on 28x28 images (400 features), padded by 2 on 8x8 ones (16 * 2 * 2 = 64 features)."""
    second_padding, side = {28: (0, 5), 8: (2, 2)}[image_size]
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), activation(), pool(2),
        tnn.Conv2d(6, 16, 5, padding=second_padding), activation(), pool(2),
        tnn.Flatten(),
        tnn.Linear(16 * side * side, 120), activation(),
        tnn.Linear(120, 84), activation(),
        tnn.Linear(84, 10))


@pytest.mark.parametrize("image_size", [28, 8])
def test_lenet5_equals_torch(image_size):
    check_layer(lenet5(image_size=image_size), torch_lenet5(image_size),
                data(4, 1, image_size, image_size), rtol=1e-4, atol=1e-5)


def test_lenet5_of_1998_tanh_and_average_pooling():
    check_layer(lenet5(image_size=28, activation=rg.nn.Tanh, pool="avg"),
                torch_lenet5(28, tnn.Tanh, tnn.AvgPool2d), data(2, 1, 28, 28),
                rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size, pool", [(3, "max"), (5, "avg"), (2, "max")])
def test_small_cnn_equals_torch(kernel_size, pool):
    # 8x8 images: two blocks take them to 4x4 then 2x2 (an even kernel, padded by 1, adds a
    # pixel before each pooling: 8 -> 9 -> 4 -> 5 -> 2)
    pooling = {"max": tnn.MaxPool2d, "avg": tnn.AvgPool2d}[pool]
    theirs = tnn.Sequential(
        tnn.Conv2d(2, 4, kernel_size, padding=kernel_size // 2), tnn.Tanh(), pooling(2),
        tnn.Conv2d(4, 6, kernel_size, padding=kernel_size // 2), tnn.Tanh(), pooling(2),
        tnn.Flatten(), tnn.Linear(6 * 2 * 2, 16), tnn.Tanh(), tnn.Linear(16, 3))
    ours = small_cnn(num_classes=3, in_channels=2, image_size=8, channels=[4, 6],
                     kernel_size=kernel_size, hidden=[16], activation=rg.nn.Tanh, pool=pool)
    check_layer(ours, theirs, data(3, 2, 8, 8), rtol=1e-4, atol=1e-5)


def test_mlp_equals_torch():
    theirs = tnn.Sequential(tnn.Linear(5, 8), tnn.ReLU(), tnn.Linear(8, 7), tnn.ReLU(),
                            tnn.Linear(7, 3))
    check_layer(mlp(5, [8, 7], 3), theirs, data(4, 5), **FLOAT32)


def test_default_initialisation_is_seeded():
    rg.manual_seed(3)
    first = lenet5(image_size=8).state_dict()
    rg.manual_seed(3)
    again = lenet5(image_size=8).state_dict()
    assert all((first[key].array == again[key].array).all() for key in first)


def test_images_too_small():
    with pytest.raises(ValueError, match="lenet5 needs images of at least 4x4"):
        lenet5(image_size=3)
    with pytest.raises(ValueError, match="down to 1x1 in convolution block 4 of 4"):
        small_cnn(image_size=8, channels=[4, 4, 4, 4])
    with pytest.raises(ValueError, match="pool must be 'max' or 'avg', got 'min'"):
        small_cnn(image_size=8, pool="min")
